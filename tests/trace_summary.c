/* Reads a Chrome trace written by --trace and checks its structure: a traceEvents array, every
 * complete ("X") event with a name, a category, numeric ts and dur >= 0, a pid and a tid 1 (host)
 * or 2 (queue), and every queue event inside a host span of the same process. Prints one line
 * per distinct name, "host", NAME and COUNT (or "queue", ...) separated by tabs. Names are kinds
 * that viewers can group: a name ending in a number ("train step 12") is malformed, and every
 * "train step" span carries its step in args.step. Exit 1 on any malformed event.
 * usage: trace_summary TRACE.json */
#include <stdbool.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMES 256

typedef struct span {
    int pid;
    double start, end;
} span;

typedef struct tally {
    char name[64];
    int tid;
    long count;
} tally;

static tally tallies[MAX_NAMES];
static int tally_count;

static bool count_name(const char *name, int tid)
{
    char base[64];
    snprintf(base, sizeof base, "%s", name);
    const char *space = strrchr(base, ' ');
    if (space && space[1] && strspn(space + 1, "0123456789") == strlen(space + 1)) {
        fprintf(stderr, "event '%s' is named per step; put the step in its args\n", name);
        return false;
    }
    for (int i = 0; i < tally_count; i++)
        if (tallies[i].tid == tid && !strcmp(tallies[i].name, base)) {
            tallies[i].count++;
            return true;
        }
    if (tally_count == MAX_NAMES)
        return false;
    tallies[tally_count] = (tally){.tid = tid, .count = 1};
    snprintf(tallies[tally_count].name, sizeof tallies[tally_count].name, "%s", base);
    tally_count++;
    return true;
}

static bool number(json_object *event, const char *key, double *value)
{
    json_object *field;
    if (!json_object_object_get_ex(event, key, &field) ||
        !(json_object_is_type(field, json_type_double) || json_object_is_type(field, json_type_int)))
        return false;
    *value = json_object_get_double(field);
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: trace_summary TRACE.json\n");
        return 2;
    }
    json_object *document = json_object_from_file(argv[1]), *events;
    if (!document || !json_object_object_get_ex(document, "traceEvents", &events) ||
        !json_object_is_type(events, json_type_array)) {
        fprintf(stderr, "%s: not a trace: no traceEvents array\n", argv[1]);
        return 1;
    }
    size_t count = json_object_array_length(events);
    span *host_spans = calloc(count + 1, sizeof *host_spans);
    int host_count = 0, bad = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < count; i++) {
            json_object *event = json_object_array_get_idx(events, i), *field;
            const char *phase = json_object_object_get_ex(event, "ph", &field)
                                    ? json_object_get_string(field) : "";
            if (strcmp(phase, "X") != 0)
                continue;
            double ts, dur, pid, tid;
            const char *name = json_object_object_get_ex(event, "name", &field)
                                   ? json_object_get_string(field) : NULL;
            if (!name || !json_object_object_get_ex(event, "cat", &field) || !number(event, "ts", &ts) ||
                !number(event, "dur", &dur) || dur < 0 || !number(event, "pid", &pid) ||
                !number(event, "tid", &tid) || (tid != 1 && tid != 2)) {
                if (pass == 0)
                    fprintf(stderr, "event %zu is malformed: %s\n", i, json_object_to_json_string(event));
                bad += pass == 0;
                continue;
            }
            if (pass == 0 && tid == 1)
                host_spans[host_count++] = (span){(int)pid, ts, ts + dur};
            if (pass == 1) {
                bool inside = tid == 1;
                for (int k = 0; k < host_count && !inside; k++)
                    inside = host_spans[k].pid == (int)pid && host_spans[k].start <= ts + 0.5 &&
                             ts + dur <= host_spans[k].end + 0.5;
                if (!inside) {
                    fprintf(stderr, "queue event %zu (%s) lies outside every host span\n", i, name);
                    bad++;
                }
                if (!count_name(name, (int)tid))
                    bad++;
                json_object *arguments, *step;
                if (!strcmp(name, "train step") &&
                    !(json_object_object_get_ex(event, "args", &arguments) &&
                      json_object_object_get_ex(arguments, "step", &step) &&
                      json_object_get_int64(step) > 0)) {
                    fprintf(stderr, "train step event %zu has no args.step\n", i);
                    bad++;
                }
            }
        }
    for (int i = 0; i < tally_count; i++)
        printf("%s\t%s\t%ld\n", tallies[i].tid == 1 ? "host" : "queue", tallies[i].name,
               tallies[i].count);
    free(host_spans);
    json_object_put(document);
    return bad ? 1 : 0;
}
