/* clcnn bench [--device SPEC|all] [--model FILE] [--steps N] [--json] [--profile] [--trace FILE]
 * The benchmark: on each device, after a warm-up, the median and spread of one training step
 * and one validation batch of the tutorial's model or a model file's (batch 64, synthetic
 * images), and of each op at the tutorial's shapes (through the cross-check, so every timed op was also verified); cold
 * start (empty caches) and warm start (full caches), each the time from launching a fresh
 * process to the end of its first training step. The reference path runs the same for scale. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <json-c/json.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

#define WARMUP_STEPS 3
#define REFERENCE_STEPS 3 /* the plain-C path takes seconds a step: a few runs give its scale */
#define MAX_BENCH_DEVICES 16

typedef struct timing {
    double median_ms, min_ms, max_ms;
    int runs;
} timing;

typedef struct startup {
    double seconds;       /* launch of a fresh process to the end of its first step */
    double build_seconds; /* of that, building or loading the kernel programs */
    int built, loaded;    /* programs compiled from source, loaded from the cache */
    long peak_rss_kib;    /* the process's peak resident memory by then */
} startup;

typedef struct device_result {
    clcnn_device_info device;
    char spec[32];
    timing step, validation;
    double step_syncs;       /* host synchronisations per step, outside bench's own drain */
    bool resident;           /* the images fit on the device: resident steps were timed */
    double resident_step_ms; /* a resident step: wall time of back-to-back steps, per step */
    double resident_syncs;   /* their host synchronisations per step */
    int resident_runs;
    bool buffered;           /* host batches uploaded without waiting were timed */
    double buffered_step_ms, buffered_syncs;
    startup cold, warm;
    bool cold_measured;
    clcnn_check_row *ops;
    int op_count, op_failures;
} device_result;

typedef struct bench_config {
    const char *model; /* a model file, or NULL for the tutorial's model */
    long steps;
    bool json, profile, reference, cold_start;
    const char *trace;
} bench_config;

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static timing summarise(double *samples, int count)
{
    qsort(samples, (size_t)count, sizeof *samples, compare_doubles);
    return (timing){samples[count / 2], samples[0], samples[count - 1], count};
}

/* ---- start-up, in a fresh process ---------------------------------------------------------- */

/* The child's side (`clcnn bench --startup-probe --device SPEC`): the workload's set-up and one
 * step, then the monotonic time it finished and what the build did, on stdout. */
static int startup_probe(const char *spec, const char *model)
{
    workload w;
    if (!workload_open(&w, spec, NULL, model)) {
        workload_close(&w);
        return w.exit_status;
    }
    clcnn_status status = workload_step(&w, 0, NULL);
    struct timespec done;
    clock_gettime(CLOCK_MONOTONIC, &done);
    clcnn_build_stats stats = clcnn_context_build_stats(w.context);
    workload_close(&w);
    if (status != CLCNN_OK)
        return report_failure(status, "the first step");
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("%lld %.9ld %.6f %d %d %ld\n", (long long)done.tv_sec, done.tv_nsec,
           stats.build_seconds, stats.built_from_source, stats.loaded_from_cache, usage.ru_maxrss);
    return 0;
}

static int remove_entry(const char *path, const struct stat *info, int flag, struct FTW *walk)
{
    (void)info, (void)flag, (void)walk;
    return remove(path);
}

/* The environment with the caches pointed into `folder` (cold), or unchanged (warm). PoCL and
 * NVIDIA keep caches of their own beside clcnn's: those are emptied (or switched off) too. */
static char **probe_environment(const char *folder, char storage[3][4200])
{
    size_t count = 0;
    while (environ[count])
        count++;
    char **variables = calloc(count + 4, sizeof *variables);
    if (!variables)
        return NULL;
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (!folder || (strncmp(environ[i], "CLCNN_CACHE_DIR=", 16) &&
                        strncmp(environ[i], "POCL_CACHE_DIR=", 15) &&
                        strncmp(environ[i], "CUDA_CACHE_DISABLE=", 19)))
            variables[kept++] = environ[i];
    if (!folder)
        return variables;
    snprintf(storage[0], sizeof storage[0], "CLCNN_CACHE_DIR=%s/clcnn", folder);
    snprintf(storage[1], sizeof storage[1], "POCL_CACHE_DIR=%s/pocl", folder);
    snprintf(storage[2], sizeof storage[2], "CUDA_CACHE_DISABLE=1");
    for (int i = 0; i < 3; i++)
        variables[kept++] = storage[i];
    return variables;
}

/* Runs the probe in a fresh process and times it from the spawn. */
static bool measure_startup(const char *spec, const char *model, bool cold, startup *result)
{
    *result = (startup){0};
    char folder[4096] = "", storage[3][4200];
    if (cold) {
        const char *temporary = getenv("TMPDIR");
        snprintf(folder, sizeof folder, "%s/clcnn-bench-XXXXXX", temporary && *temporary ? temporary : "/tmp");
        if (!mkdtemp(folder)) {
            fprintf(stderr, "clcnn bench: cannot create a temporary cache folder %s: %s\n", folder,
                    strerror(errno));
            return false;
        }
    }
    char **variables = probe_environment(cold ? folder : NULL, storage);
    int pipe_ends[2] = {-1, -1};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    bool ok = variables && pipe(pipe_ends) == 0;
    pid_t child = 0;
    struct timespec launched;
    if (ok) {
        posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, pipe_ends[0]);
        char *arguments[] = {"clcnn", "bench", "--startup-probe", "--device", (char *)spec,
                             model ? "--model" : NULL, (char *)model, NULL};
        clock_gettime(CLOCK_MONOTONIC, &launched);
        int error = posix_spawn(&child, "/proc/self/exe", &actions, NULL, arguments, variables);
        if (error) {
            fprintf(stderr, "clcnn bench: cannot start a probe process: %s\n", strerror(error));
            ok = false;
        }
        close(pipe_ends[1]);
    }
    char line[256] = "";
    if (ok) {
        FILE *output = fdopen(pipe_ends[0], "r");
        if (output) {
            if (!fgets(line, sizeof line, output))
                line[0] = '\0';
            fclose(output);
        } else {
            close(pipe_ends[0]);
        }
        int child_status = 0;
        waitpid(child, &child_status, 0);
        long long done_seconds;
        long done_nanoseconds;
        ok = WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0 &&
             sscanf(line, "%lld %ld %lf %d %d %ld", &done_seconds, &done_nanoseconds,
                    &result->build_seconds, &result->built, &result->loaded,
                    &result->peak_rss_kib) == 6;
        if (ok) {
            result->seconds = (double)(done_seconds - launched.tv_sec) +
                              (done_nanoseconds - launched.tv_nsec) * 1e-9;
        } else {
            fprintf(stderr, "clcnn bench: the %s start-up probe on %s failed\n", cold ? "cold" : "warm",
                    spec);
        }
    } else if (pipe_ends[0] >= 0) {
        close(pipe_ends[0]);
    }
    posix_spawn_file_actions_destroy(&actions);
    free(variables);
    if (cold)
        nftw(folder, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return ok;
}

/* ---- the in-process measurements --------------------------------------------------------------- */

static void collect_op(const clcnn_check_row *row, void *user_data)
{
    device_result *result = user_data;
    clcnn_check_row *grown = realloc(result->ops, (size_t)(result->op_count + 1) * sizeof *grown);
    if (!grown)
        return;
    result->ops = grown;
    result->ops[result->op_count++] = *row;
}

/* What bench is doing, on stderr, so that its long silent stretches say what they wait for. */
static void phase(const char *spec, const char *doing)
{
    fprintf(stderr, "clcnn bench: %s: %s\n", spec, doing);
}

static bool time_workload(workload *w, int steps, device_result *result)
{
    double *samples = calloc((size_t)steps, sizeof *samples);
    if (!samples)
        return false;
    clcnn_status status = CLCNN_OK;
    for (int i = 0; i < WARMUP_STEPS && status == CLCNN_OK; i++)
        status = workload_step(w, i, NULL);
    clcnn_profile_reset(w->context);
    uint64_t syncs = 0;
    for (int i = 0; i < steps && status == CLCNN_OK; i++) {
        double start = seconds_now();
        uint64_t step_syncs = 0;
        status = workload_step(w, i, &step_syncs);
        samples[i] = (seconds_now() - start) * 1e3;
        syncs += step_syncs;
    }
    if (status == CLCNN_OK) {
        result->step = summarise(samples, steps);
        result->step_syncs = (double)syncs / steps;
    }
    /* resident steps: the batch gathered on the device, the totals read once at the end */
    if (status == CLCNN_OK && w->resident && !clcnn_context_device(w->context)->is_reference) {
        double start = seconds_now();
        status = workload_waitless_steps(w, true, steps, &syncs);
        result->resident = status == CLCNN_OK;
        result->resident_step_ms = (seconds_now() - start) * 1e3 / steps;
        result->resident_syncs = (double)syncs / steps;
        result->resident_runs = steps;
    }
    /* host batches uploaded without waiting, the totals read once at the end */
    if (status == CLCNN_OK && !clcnn_context_device(w->context)->is_reference) {
        double start = seconds_now();
        status = workload_waitless_steps(w, false, steps, &syncs);
        result->buffered = status == CLCNN_OK;
        result->buffered_step_ms = (seconds_now() - start) * 1e3 / steps;
        result->buffered_syncs = (double)syncs / steps;
    }
    for (int i = 0; i < steps && status == CLCNN_OK; i++) {
        double start = seconds_now();
        status = workload_evaluate(w);
        samples[i] = (seconds_now() - start) * 1e3;
    }
    if (status == CLCNN_OK)
        result->validation = summarise(samples, steps);
    free(samples);
    if (status != CLCNN_OK)
        report_failure(status, "the benchmark steps");
    return status == CLCNN_OK;
}

static bool bench_device(const char *spec, const bench_config *config, struct json_object *trace,
                         device_result *result)
{
    *result = (device_result){0};
    snprintf(result->spec, sizeof result->spec, "%.31s", spec);
    const clcnn_context_options options = {.profiling = config->profile, .trace = config->trace != NULL};
    workload w;
    bool ok = workload_open(&w, spec, &options, config->model);
    if (ok) {
        result->device = *clcnn_context_device(w.context);
        print_device_header(&result->device);
        int steps = result->device.is_reference && config->steps > REFERENCE_STEPS
                        ? REFERENCE_STEPS : (int)config->steps;
        char doing[128];
        snprintf(doing, sizeof doing, "timing %d training steps and %d validation batches after "
                                      "%d warm-up steps", steps, steps, WARMUP_STEPS);
        phase(spec, doing);
        ok = time_workload(&w, steps, result);
        if (ok && config->profile && !config->json)
            ok = report_profile(w.context, NULL);
        if (ok && trace)
            ok = trace_append(trace, w.context, result->device.index + 2);
        if (ok && !config->model) {
            phase(spec, "timing each op at the model's shapes, cross-checked against the reference");
            clcnn_status status = clcnn_check_run_timed(w.context, CLCNN_CHECK_SHAPES_SEED, 1, steps,
                                                        collect_op, result, &result->op_failures);
            if (status != CLCNN_OK) {
                report_failure(status, "timing the ops");
                ok = false;
            }
        }
    }
    workload_close(&w);
    /* after the in-process run, which has filled the caches */
    if (ok) {
        phase(spec, "measuring a warm start (a fresh process, full caches)");
        ok = measure_startup(spec, config->model, false, &result->warm);
    }
    if (ok && config->cold_start) {
        phase(spec, "measuring a cold start (a fresh process compiling every kernel; "
                    "--no-cold-start skips this)");
        ok = measure_startup(spec, config->model, true, &result->cold);
        result->cold_measured = ok;
    }
    return ok;
}

/* ---- output ------------------------------------------------------------------------------------- */

static double images_per_second(const timing *t) { return t->median_ms > 0 ? WORKLOAD_BATCH * 1e3 / t->median_ms : 0; }

static void print_device(const device_result *r)
{
    printf("\n== %s", r->device.name);
    if (!r->device.is_reference)
        printf(" (%s, driver %s)", r->device.platform, r->device.driver_version);
    printf(" ==\n%-52s %10s %10s %10s %6s %10s\n", "", "median ms", "min ms", "max ms", "runs",
           "images/s");
    printf("%-52s %10.2f %10.2f %10.2f %6d %10.0f\n", "training step, batch 64 (forward, backward, Adam)",
           r->step.median_ms, r->step.min_ms, r->step.max_ms, r->step.runs, images_per_second(&r->step));
    printf("%-52s %10.2f %10.2f %10.2f %6d %10.0f\n", "validation batch of 64 (forward, loss, accuracy)",
           r->validation.median_ms, r->validation.min_ms, r->validation.max_ms, r->validation.runs,
           images_per_second(&r->validation));
    printf("host synchronisations per training step: %.2f (the batch uploaded, the loss read)\n",
           r->step_syncs);
    if (r->resident)
        printf("resident steps (images kept on the device, totals read once per %d steps): "
               "%.2f ms a step back to back, %.3f host synchronisations per step\n",
               r->resident_runs, r->resident_step_ms, r->resident_syncs);
    if (r->buffered)
        printf("host batches uploaded without waiting (totals read once per %d steps): %.2f ms "
               "a step back to back, %.3f host synchronisations per step\n",
               r->resident_runs, r->buffered_step_ms, r->buffered_syncs);
    if (r->cold_measured)
        printf("cold start: %.2f s from launch to the end of the first step, empty caches (%d "
               "programs built in %.2f s)\n", r->cold.seconds, r->cold.built, r->cold.build_seconds);
    else
        printf("cold start: not measured (--no-cold-start)\n");
    printf("warm start: %.2f s from launch to the end of the first step, full caches (%d programs "
           "loaded in %.3f s); peak memory %.0f MiB\n", r->warm.seconds, r->warm.loaded,
           r->warm.build_seconds, r->warm.peak_rss_kib / 1024.0);
    if (r->op_count == 0)
        return;
    printf("each op at the model's shapes, cross-checked against the reference; median of %d runs "
           "after a warm-up:\n", r->ops[0].timing_runs);
    printf("  %-13s %-16s %-34s %-15s %10s %10s %10s  %s\n", "op", "direction", "shape",
           "variant", "median ms", "min ms", "max ms", "check");
    for (int i = 0; i < r->op_count; i++) {
        const clcnn_check_row *op = &r->ops[i];
        printf("  %-13s %-16s %-34s %-15s %10.3f %10.3f %10.3f  %s\n", op->op, op->direction,
               op->shape, op->variant[0] ? op->variant : "-", op->device_ms, op->device_ms_min, op->device_ms_max, op->passed ? "PASS" : "FAIL");
    }
}

static void print_summary(const device_result *results, int count)
{
    const device_result *reference = NULL;
    for (int i = 0; i < count; i++)
        if (results[i].device.is_reference)
            reference = &results[i];
    printf("\n%-48s %10s %10s %10s %8s %8s %12s\n", "device", "step ms", "images/s", "val ms",
           "cold s", "warm s", "vs reference");
    for (int i = 0; i < count; i++) {
        const device_result *r = &results[i];
        char speedup[32] = "";
        if (reference && reference->step.median_ms > 0 && r->step.median_ms > 0)
            snprintf(speedup, sizeof speedup, "%.1fx", reference->step.median_ms / r->step.median_ms);
        char cold[16] = "-";
        if (r->cold_measured)
            snprintf(cold, sizeof cold, "%.2f", r->cold.seconds);
        printf("%-48.48s %10.2f %10.0f %10.2f %8s %8.2f %12s\n", r->device.name, r->step.median_ms,
               images_per_second(&r->step), r->validation.median_ms, cold, r->warm.seconds,
               speedup);
    }
}

static json_object *timing_json(const timing *t)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "median_ms", json_object_new_double(t->median_ms));
    json_object_object_add(o, "min_ms", json_object_new_double(t->min_ms));
    json_object_object_add(o, "max_ms", json_object_new_double(t->max_ms));
    json_object_object_add(o, "runs", json_object_new_int(t->runs));
    json_object_object_add(o, "images_per_second", json_object_new_double(images_per_second(t)));
    return o;
}

static json_object *startup_json(const startup *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "seconds_to_first_step", json_object_new_double(s->seconds));
    json_object_object_add(o, "build_seconds", json_object_new_double(s->build_seconds));
    json_object_object_add(o, "programs_built", json_object_new_int(s->built));
    json_object_object_add(o, "programs_loaded", json_object_new_int(s->loaded));
    json_object_object_add(o, "peak_rss_mib", json_object_new_double(s->peak_rss_kib / 1024.0));
    return o;
}

static json_object *device_json(const device_result *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "device", json_object_new_string(r->device.name));
    json_object_object_add(o, "platform", json_object_new_string(r->device.platform));
    json_object_object_add(o, "driver", json_object_new_string(r->device.driver_version));
    json_object_object_add(o, "spec", json_object_new_string(r->spec));
    json_object_object_add(o, "batch", json_object_new_int(WORKLOAD_BATCH));
    json_object *step = timing_json(&r->step);
    json_object_object_add(step, "host_syncs_per_step", json_object_new_double(r->step_syncs));
    json_object_object_add(o, "train_step", step);
    if (r->resident) {
        json_object *resident = json_object_new_object();
        json_object_object_add(resident, "ms_per_step", json_object_new_double(r->resident_step_ms));
        json_object_object_add(resident, "host_syncs_per_step",
                               json_object_new_double(r->resident_syncs));
        json_object_object_add(resident, "steps", json_object_new_int(r->resident_runs));
        json_object_object_add(o, "resident_train_step", resident);
    }
    if (r->buffered) {
        json_object *buffered = json_object_new_object();
        json_object_object_add(buffered, "ms_per_step", json_object_new_double(r->buffered_step_ms));
        json_object_object_add(buffered, "host_syncs_per_step",
                               json_object_new_double(r->buffered_syncs));
        json_object_object_add(o, "buffered_train_step", buffered);
    }
    json_object_object_add(o, "validation_batch", timing_json(&r->validation));
    json_object_object_add(o, "cold_start", r->cold_measured ? startup_json(&r->cold) : NULL);
    json_object_object_add(o, "warm_start", startup_json(&r->warm));
    json_object *ops = json_object_new_array();
    for (int i = 0; i < r->op_count; i++) {
        const clcnn_check_row *row = &r->ops[i];
        json_object *op = json_object_new_object();
        json_object_object_add(op, "op", json_object_new_string(row->op));
        json_object_object_add(op, "direction", json_object_new_string(row->direction));
        json_object_object_add(op, "shape", json_object_new_string(row->shape));
        json_object_object_add(op, "variant", json_object_new_string(row->variant));
        json_object_object_add(op, "median_ms", json_object_new_double(row->device_ms));
        json_object_object_add(op, "min_ms", json_object_new_double(row->device_ms_min));
        json_object_object_add(op, "max_ms", json_object_new_double(row->device_ms_max));
        json_object_object_add(op, "runs", json_object_new_int(row->timing_runs));
        json_object_object_add(op, "passed", json_object_new_boolean(row->passed));
        json_object_array_add(ops, op);
    }
    json_object_object_add(o, "ops", ops);
    return o;
}

/* ---- the command ------------------------------------------------------------------------------ */

/* The specs to run: one device and the reference, every non-simulator device and the
 * reference for "all", or the reference alone. */
static int bench_specs(const char *spec, bool reference, char specs[][32], int *count)
{
    *count = 0;
    if (spec && !strcmp(spec, "all")) {
        int result = every_device_spec(specs, MAX_BENCH_DEVICES - 1, count);
        if (result != 0)
            return result;
    } else if (!spec || strcasecmp(spec, "ref")) {
        clcnn_context *context = NULL;
        clcnn_status status = clcnn_context_create(spec, NULL, &context);
        if (status != CLCNN_OK)
            return report_failure(status, "opening the device");
        const clcnn_device_info *device = clcnn_context_device(context);
        snprintf(specs[(*count)++], 32, "%d:%d", device->platform_index, device->device_index);
        clcnn_context_destroy(context);
    }
    if (reference || *count == 0)
        snprintf(specs[(*count)++], 32, "ref");
    return 0;
}

typedef struct bench_flags {
    const char *device;
    bench_config config;
    bool probe;
} bench_flags;

static bool handle(int key, const char *arg, void *user)
{
    bench_flags *f = user;
    switch (key) {
    case 'd': f->device = arg; break;
    case 'm': f->config.model = arg; break;
    case 's': return parse_int_flag("--steps", arg, 1, 1000, &f->config.steps);
    case 'j': f->config.json = true; break;
    case 'p': f->config.profile = true; break;
    case 't': f->config.trace = arg; break;
    case 'P': f->probe = true; break;
    case 'n': f->config.reference = false; break;
    case 'C': f->config.cold_start = false; break;
    }
    return true;
}

int command_bench(int argc, char **argv)
{
    static const struct argp_option options[] = {
        {"device", 'd', "SPEC", 0, "the device, or all: every device but simulators", 0},
        {"model", 'm', "FILE", 0, "time this model file's network instead of the tutorial's "
                                  "(the per-op timings, at the tutorial's shapes, are skipped)", 0},
        {"steps", 's', "N", 0, "timed training steps and validation batches (default 20)", 0},
        {"no-reference", 'n', NULL, 0, "skip the plain-C reference (it runs at most "
                                       CLI_STRING(REFERENCE_STEPS) " steps)", 0},
        {"no-cold-start", 'C', NULL, 0, "skip the cold start, which compiles every kernel for "
                                        "seconds to minutes", 0},
        {"json", 'j', NULL, 0, "the results as JSON", 0},
        {"profile", 'p', NULL, 0, "also print the per-kernel profile of the timed steps", 0},
        {"trace", 't', "FILE", 0, "write a Chrome trace (ui.perfetto.dev)", 0},
        /* the child process bench starts to measure start-up, not for users */
        {"startup-probe", 'P', NULL, OPTION_HIDDEN, NULL, 0},
        HELP_OPTION, {0}};
    static const command_line line = {
        options, NULL,
        "Times the tutorial's model, or --model's (batch 64, synthetic images), on the device and on the "
        "plain-C reference: the median, min and max of N training steps and validation batches "
        "after " CLI_STRING(WARMUP_STEPS) " warm-up steps, each op at the model's shapes "
        "(cross-checked), and cold and warm start (a fresh process to its first step, with "
        "empty and full caches). Progress goes to stderr.",
        handle};
    bench_flags flags = {.config = {.steps = 20, .reference = true, .cold_start = true}};
    int parsed = parse_command_line(&line, argc, argv, &flags, NULL);
    if (parsed >= 0)
        return parsed;
    const char *device_flag = flags.device;
    const bench_config config = flags.config;
    const bool probe = flags.probe;
    const char *spec = device_spec(device_flag);
    if (probe)
        return startup_probe(spec, config.model);
    if (getenv("OMPI_COMM_WORLD_SIZE")) /* launched by mpirun: a rank per device */
        return bench_ranks(spec, config.model, (int)config.steps, config.json);
    if (spec && strchr(spec, ','))
        return bench_replicas(spec, config.model, (int)config.steps, config.json);
    if (config.trace && !trace_writable(config.trace))
        return 1;
    char specs[MAX_BENCH_DEVICES][32];
    int count = 0, result = bench_specs(spec, config.reference, specs, &count);
    if (result != 0)
        return result;
    device_result *results = calloc((size_t)count, sizeof *results);
    struct json_object *trace = config.trace ? trace_new() : NULL;
    int done = 0, failures = 0;
    for (int i = 0; i < count && results; i++) {
        fprintf(stderr, "clcnn bench: device %d of %d (%s)\n", i + 1, count, specs[i]);
        if (!bench_device(specs[i], &config, trace, &results[done])) {
            result = 1;
            break;
        }
        failures += results[done].op_failures;
        if (!config.json)
            print_device(&results[done]);
        done++;
    }
    if (config.json) {
        json_object *document = json_object_new_object(), *devices = json_object_new_array();
        for (int i = 0; i < done; i++)
            json_object_array_add(devices, device_json(&results[i]));
        json_object_object_add(document, "model", json_object_new_string(config.model ? config.model : "tutorial"));
        json_object_object_add(document, "warmup_steps", json_object_new_int(WARMUP_STEPS));
        json_object_object_add(document, "devices", devices);
        printf("%s\n", json_object_to_json_string_ext(document, JSON_C_TO_STRING_PRETTY |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(document);
    } else if (done > 1) {
        print_summary(results, done);
    }
    if (trace && !trace_write(trace, config.trace) && result == 0)
        result = 1;
    for (int i = 0; i < count && results; i++)
        free(results[i].ops);
    free(results);
    if (result == 0 && failures > 0) {
        fprintf(stderr, "clcnn bench: %d op%s FAILED the cross-check\n", failures, failures == 1 ? "" : "s");
        result = 1;
    }
    return result;
}
