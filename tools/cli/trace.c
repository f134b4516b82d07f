/* --trace FILE: Chrome trace-event JSON, which Perfetto (ui.perfetto.dev) and chrome://tracing
 * open. Each device is one process with two threads: "host" (the spans the library marks:
 * training steps, each layer's forward and backward, the optimizer) and "queue" (every kernel
 * and CLBlast call, timed by its OpenCL events). Times are microseconds on the host's
 * monotonic clock. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { HOST_THREAD = 1, QUEUE_THREAD = 2 };

static json_object *name_event(const char *kind, int process, int thread, const char *name)
{
    json_object *event = json_object_new_object();
    json_object_object_add(event, "name", json_object_new_string(kind));
    json_object_object_add(event, "ph", json_object_new_string("M"));
    json_object_object_add(event, "pid", json_object_new_int(process));
    json_object_object_add(event, "tid", json_object_new_int(thread));
    json_object *arguments = json_object_new_object();
    json_object_object_add(arguments, "name", json_object_new_string(name));
    json_object_object_add(event, "args", arguments);
    return event;
}

static json_object *span_event(const clcnn_trace_record *record, int process)
{
    json_object *event = json_object_new_object();
    json_object_object_add(event, "name", json_object_new_string(record->name));
    const char *category = !record->on_device ? "host" : record->global_size ? "kernel" : "clblast";
    json_object_object_add(event, "cat", json_object_new_string(category));
    json_object_object_add(event, "ph", json_object_new_string("X"));
    json_object_object_add(event, "ts", json_object_new_double(record->start_us));
    json_object_object_add(event, "dur", json_object_new_double(record->duration_us));
    json_object_object_add(event, "pid", json_object_new_int(process));
    json_object_object_add(event, "tid", json_object_new_int(record->on_device ? QUEUE_THREAD
                                                                                : HOST_THREAD));
    /* names are kinds ("train step"), so that Perfetto groups them; the step is an argument */
    if (record->global_size || record->step) {
        json_object *arguments = json_object_new_object();
        if (record->step)
            json_object_object_add(arguments, "step", json_object_new_int64((int64_t)record->step));
        if (record->global_size) {
            json_object_object_add(arguments, "global_size",
                                   json_object_new_int64((int64_t)record->global_size));
            json_object_object_add(arguments, "local_size",
                                   json_object_new_int64((int64_t)record->local_size));
        }
        json_object_object_add(event, "args", arguments);
    }
    return event;
}

json_object *trace_new(void) { return json_object_new_array(); }

bool trace_writable(const char *path)
{
    char folder[4096];
    snprintf(folder, sizeof folder, "%s", path);
    char *slash = strrchr(folder, '/');
    if (slash && slash != folder) {
        *slash = '\0';
        if (!make_output_dir(folder))
            return false;
    }
    /* checked without touching the file: a run that fails later leaves an old trace intact */
    const char *parent = !slash ? "." : slash == folder ? "/" : folder;
    struct stat info;
    bool exists = stat(path, &info) == 0;
    if (exists && !S_ISREG(info.st_mode))
        errno = S_ISDIR(info.st_mode) ? EISDIR : EINVAL;
    else if (access(exists ? path : parent, W_OK) == 0)
        return true;
    fprintf(stderr, "clcnn: cannot write the trace %s: %s\n", path, strerror(errno));
    return false;
}

bool trace_append(json_object *events, clcnn_context *context, int process)
{
    clcnn_trace_record *records = NULL;
    long dropped = 0;
    int count = clcnn_trace_records(context, &records, &dropped);
    if (count < 0) {
        fprintf(stderr, "clcnn: reading the trace failed: %s\n", clcnn_last_error());
        return false;
    }
    const clcnn_device_info *device = clcnn_context_device(context);
    json_object_array_add(events, name_event("process_name", process, 0, device->name));
    json_object_array_add(events, name_event("thread_name", process, HOST_THREAD, "host"));
    json_object_array_add(events, name_event("thread_name", process, QUEUE_THREAD, "queue"));
    for (int i = 0; i < count; i++)
        json_object_array_add(events, span_event(&records[i], process));
    free(records);
    if (dropped > 0)
        fprintf(stderr, "clcnn: the trace keeps the first %d records of %s; %ld later ones were "
                        "dropped (trace a shorter run)\n", count, device->name, dropped);
    return true;
}

bool trace_write(json_object *events, const char *path)
{
    json_object *document = json_object_new_object();
    json_object_object_add(document, "traceEvents", events);
    json_object_object_add(document, "displayTimeUnit", json_object_new_string("ms"));
    /* a temporary name, then rename: the file is the old trace or the whole new one */
    char temporary[4300];
    temporary_name(temporary, sizeof temporary, path);
    bool written = json_object_to_file_ext(temporary, document, JSON_C_TO_STRING_PLAIN) == 0;
    bool ok = written && rename(temporary, path) == 0;
    json_object_put(document);
    if (ok) {
        fprintf(stderr, "clcnn: trace written to %s (open it in ui.perfetto.dev or chrome://tracing)\n",
                path);
        return true;
    }
    fprintf(stderr, "clcnn: cannot write the trace %s: %s\n", path,
            written ? strerror(errno) : json_util_get_last_err());
    unlink(temporary);
    return false;
}
