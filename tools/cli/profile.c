/* The --profile table and profile.csv, and `clcnn profile`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static void geometry(const clcnn_profile_row *row, char *out, size_t size)
{
    if (row->global_size)
        snprintf(out, size, "%zu/%zu", row->global_size, row->local_size);
    else
        snprintf(out, size, "(CLBlast)");
}

bool report_profile(clcnn_context *context, const char *csv_path)
{
    clcnn_profile_row *rows = NULL;
    int count = clcnn_profile_rows(context, &rows);
    if (count < 0) {
        fprintf(stderr, "clcnn: profiling failed: %s\n", clcnn_last_error());
        return false;
    }
    printf("\nProfile on %s (device time from OpenCL events)\n", clcnn_context_device(context)->name);
    printf("%-34s %7s %10s %10s %10s %6s %8s %8s %s\n", "kernel", "calls", "total ms", "mean us",
           "median us", "share", "GFLOP/s", "GB/s", "global/local");
    for (int i = 0; i < count; i++) {
        const clcnn_profile_row *row = &rows[i];
        char where[48];
        geometry(row, where, sizeof where);
        printf("%-34s %7ld %10.1f %10.1f %10.1f %5.1f%% %8.1f %8.1f %s\n", row->name, row->calls,
               row->total_ms, row->mean_us, row->median_us, 100 * row->share, row->gflops,
               row->gbytes_per_s, where);
    }
    bool ok = true;
    if (csv_path) {
        FILE *file = fopen(csv_path, "w");
        ok = file != NULL;
        if (file) {
            fprintf(file, "kernel,calls,total_ms,mean_us,median_us,share,gflops,gbytes_per_s,"
                          "global_size,local_size\n");
            for (int i = 0; i < count; i++)
                fprintf(file, "%s,%ld,%.3f,%.3f,%.3f,%.5f,%.3f,%.3f,%zu,%zu\n", rows[i].name,
                        rows[i].calls, rows[i].total_ms, rows[i].mean_us, rows[i].median_us,
                        rows[i].share, rows[i].gflops, rows[i].gbytes_per_s, rows[i].global_size,
                        rows[i].local_size);
            ok = fclose(file) == 0;
        }
        if (!ok)
            fprintf(stderr, "clcnn: cannot write %s\n", csv_path);
        else
            printf("(also in %s)\n", csv_path);
    }
    free(rows);
    return ok;
}

/* ---- clcnn profile: per-kernel tables of devices side by side ---------------------------------- */

#define PROFILE_WARMUP_STEPS 2
#define MAX_PROFILED_DEVICES 8

typedef struct device_profile {
    char name[128];
    clcnn_profile_row *rows;
    int count;
    double step_ms; /* all device time of one step */
} device_profile;

static const clcnn_profile_row *find_row(const device_profile *p, const char *kernel)
{
    for (int i = 0; i < p->count; i++)
        if (!strcmp(p->rows[i].name, kernel))
            return &p->rows[i];
    return NULL;
}

static bool profile_device(const char *spec, const char *model, long steps, struct json_object *trace, int process,
                           device_profile *out)
{
    *out = (device_profile){0};
    const clcnn_context_options options = {.profiling = true, .trace = trace != NULL};
    workload w;
    bool ok = workload_open(&w, spec, &options, model);
    clcnn_status status = CLCNN_OK;
    if (ok) {
        snprintf(out->name, sizeof out->name, "%s", clcnn_context_device(w.context)->name);
        print_device_header(clcnn_context_device(w.context));
        for (int i = 0; i < PROFILE_WARMUP_STEPS && status == CLCNN_OK; i++)
            status = workload_step(&w, i, NULL);
        clcnn_profile_reset(w.context);
        for (long i = 0; i < steps && status == CLCNN_OK; i++)
            status = workload_step(&w, (int)i, NULL);
        if (status != CLCNN_OK) {
            report_failure(status, "the profiled steps");
            ok = false;
        }
    }
    if (ok) {
        out->count = clcnn_profile_rows(w.context, &out->rows);
        ok = out->count >= 0;
        if (!ok)
            fprintf(stderr, "clcnn: profiling failed: %s\n", clcnn_last_error());
        for (int i = 0; i < out->count; i++)
            out->step_ms += out->rows[i].total_ms / (double)steps;
    }
    if (ok && trace)
        ok = trace_append(trace, w.context, process);
    workload_close(&w);
    return ok;
}

/* One line per kernel any device ran, in the first device's order (largest first), then the
 * kernels only later devices ran; per device: ms per step, share of its step, GFLOP/s, GB/s. */
static void print_side_by_side(const device_profile *profiles, int count, long steps,
                               const char *model)
{
    printf("\nPer-kernel device time, mean of %ld training steps of %s (batch %d) after %d "
           "warm-up steps\n%-34s", steps, model ? model : "the tutorial's model", WORKLOAD_BATCH,
           PROFILE_WARMUP_STEPS, "");
    for (int d = 0; d < count; d++)
        printf(" | %-32.32s", profiles[d].name);
    printf("\n%-34s", "kernel");
    for (int d = 0; d < count; d++)
        printf(" | %8s %6s %8s %7s", "ms/step", "share", "GFLOP/s", "GB/s");
    printf("\n");
    for (int d = 0; d < count; d++)
        for (int i = 0; i < profiles[d].count; i++) {
            const char *kernel = profiles[d].rows[i].name;
            bool printed = false;
            for (int e = 0; e < d && !printed; e++)
                printed = find_row(&profiles[e], kernel) != NULL;
            if (printed)
                continue;
            printf("%-34s", kernel);
            for (int e = 0; e < count; e++) {
                const clcnn_profile_row *row = find_row(&profiles[e], kernel);
                if (row)
                    printf(" | %8.3f %5.1f%% %8.1f %7.1f", row->total_ms / (double)steps,
                           100 * row->share, row->gflops, row->gbytes_per_s);
                else
                    printf(" | %8s %6s %8s %7s", "-", "", "", "");
            }
            printf("\n");
        }
    printf("%-34s", "all kernels");
    for (int d = 0; d < count; d++)
        printf(" | %8.3f %6s %8s %7s", profiles[d].step_ms, "100%", "", "");
    printf("\n");
}

static bool write_profiles_csv(const char *path, const device_profile *profiles, int count, long steps)
{
    FILE *file = fopen(path, "w");
    if (!file) {
        fprintf(stderr, "clcnn: cannot write %s\n", path);
        return false;
    }
    fprintf(file, "device,kernel,calls,ms_per_step,share,mean_us,median_us,gflops,gbytes_per_s,"
                  "global_size,local_size\n");
    for (int d = 0; d < count; d++)
        for (int i = 0; i < profiles[d].count; i++) {
            const clcnn_profile_row *row = &profiles[d].rows[i];
            fprintf(file, "\"%s\",%s,%ld,%.4f,%.5f,%.3f,%.3f,%.3f,%.3f,%zu,%zu\n", profiles[d].name,
                    row->name, row->calls, row->total_ms / (double)steps, row->share, row->mean_us,
                    row->median_us, row->gflops, row->gbytes_per_s, row->global_size,
                    row->local_size);
        }
    bool ok = fclose(file) == 0;
    if (!ok)
        fprintf(stderr, "clcnn: cannot write %s\n", path);
    return ok;
}

typedef struct profile_config {
    const char *device, *csv, *trace, *model;
    long steps;
} profile_config;

static bool handle(int key, const char *arg, void *config)
{
    profile_config *c = config;
    switch (key) {
    case 'd': c->device = arg; break;
    case 's': return parse_int_flag("--steps", arg, 1, 1000, &c->steps);
    case 'c': c->csv = arg; break;
    case 'm': c->model = arg; break;
    case 't': c->trace = arg; break;
    }
    return true;
}

int command_profile(int argc, char **argv)
{
    static const struct argp_option options[] = {
        {"device", 'd', "SPEC", 0, "the device, or all: every device but simulators", 0},
        {"steps", 's', "N", 0, "timed training steps (default 5)", 0},
        {"csv", 'c', "FILE", 0, "also write every row as CSV", 0},
        {"model", 'm', "FILE", 0, "profile this model file's network instead of the tutorial's", 0},
        {"trace", 't', "FILE", 0, "write a Chrome trace of the steps (ui.perfetto.dev)", 0},
        HELP_OPTION, {0}};
    static const command_line line = {
        options, NULL,
        "Runs " CLI_STRING(PROFILE_WARMUP_STEPS) " warm-up and N training steps of the "
        "tutorial's model (or --model's) on synthetic images on each device, timing every kernel from OpenCL events, and prints the per-kernel tables "
        "side by side.",
        handle};
    profile_config config = {.steps = 5};
    int parsed = parse_command_line(&line, argc, argv, &config, NULL);
    if (parsed >= 0)
        return parsed;
    const char *device_flag = config.device, *csv = config.csv, *trace_path = config.trace;
    const long steps = config.steps;
    const char *spec = device_spec(device_flag);
    if (spec && !strcasecmp(spec, "ref")) {
        fprintf(stderr, "clcnn profile: the reference path runs no kernels; pick an OpenCL device\n");
        return EXIT_USAGE;
    }
    if (trace_path && !trace_writable(trace_path))
        return 1;
    char specs[MAX_PROFILED_DEVICES][32];
    int count = 0;
    if (spec && !strcmp(spec, "all")) {
        int listed = every_device_spec(specs, MAX_PROFILED_DEVICES, &count);
        if (listed != 0)
            return listed;
        if (count == 0) {
            fprintf(stderr, "clcnn profile: no OpenCL device found\n");
            return EXIT_USAGE;
        }
    } else {
        snprintf(specs[count++], 32, "%s", spec ? spec : "");
    }
    device_profile profiles[MAX_PROFILED_DEVICES];
    struct json_object *trace = trace_path ? trace_new() : NULL;
    int done = 0, result = 0;
    for (int d = 0; d < count && result == 0; d++) {
        if (profile_device(specs[d][0] ? specs[d] : NULL, config.model, steps, trace, d + 1, &profiles[done]))
            done++;
        else
            result = 1;
    }
    if (done > 0)
        print_side_by_side(profiles, done, steps, config.model);
    if (csv && done > 0 && !write_profiles_csv(csv, profiles, done, steps))
        result = 1;
    if (trace && !trace_write(trace, trace_path) && result == 0)
        result = 1;
    for (int d = 0; d < done; d++)
        free(profiles[d].rows);
    return result;
}
