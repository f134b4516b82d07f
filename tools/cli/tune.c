/* clcnn tune [--device SPEC] [--runs N] [--shapes seed|small] [--json] [--reset]: times each work-group size candidate at the tutorial
 * model's shapes, cross-checked against the reference, and stores the fastest that passed for
 * this device in the program cache folder; every later run on the device uses them. */
#include <json-c/json.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

extern char **environ;

static void print_variant(const clcnn_tune_row *row)
{
    if (!row->decision)
        printf("%-24s %-15s %10.3f %10.3f  %s\n", row->parameter, row->variant, row->milliseconds,
               row->max_milliseconds, row->passed ? "PASS" : "FAIL");
    else if (!strcmp(row->variant, row->default_variant))
        printf("-> %s keeps the default %s: no variant's slowest runs beat its median of %.3f "
               "ms\n\n", row->parameter, row->variant, row->default_milliseconds);
    else
        printf("-> %s: %s, %.2fx the default %s (%.3f ms against %.3f)\n\n", row->parameter,
               row->variant, row->default_milliseconds / row->milliseconds, row->default_variant,
               row->milliseconds, row->default_milliseconds);
}

typedef struct tune_output {
    bool json, variants_begun;
    json_object *rows;
} tune_output;

static json_object *row_json(const clcnn_tune_row *row)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, row->variant[0] ? "op" : "parameter",
                           json_object_new_string(row->parameter));
    if (row->variant[0])
        json_object_object_add(o, "variant", json_object_new_string(row->variant));
    else
        json_object_object_add(o, "value", json_object_new_int(row->value));
    json_object_object_add(o, "median_ms", json_object_new_double(row->milliseconds));
    json_object_object_add(o, "max_ms", json_object_new_double(row->max_milliseconds));
    json_object_object_add(o, "passed", json_object_new_boolean(row->passed));
    json_object_object_add(o, "decision", json_object_new_boolean(row->decision));
    if (row->decision) {
        if (row->variant[0])
            json_object_object_add(o, "default_variant",
                                   json_object_new_string(row->default_variant));
        else
            json_object_object_add(o, "default_value", json_object_new_int(row->default_value));
        json_object_object_add(o, "default_median_ms",
                               json_object_new_double(isnan(row->default_milliseconds)
                                                          ? -1.0 : row->default_milliseconds));
    }
    return o;
}

static void print_candidate(const clcnn_tune_row *row, void *user_data)
{
    tune_output *out = user_data;
    if (out->json) {
        json_object_array_add(out->rows, row_json(row));
        return;
    }
    if (row->variant[0] && !out->variants_begun) {
        out->variants_begun = true;
        printf("Kernel variants, summed over the shapes each handles (the default's time where "
               "it does not)\n%-24s %-15s %10s %10s  %s\n", "op", "variant", "median ms",
               "max ms", "check");
    }
    if (row->variant[0])
        print_variant(row);
    else if (!row->decision) {
        printf("%-24s %5d %10.3f %10.3f %10.3f  %s\n", row->parameter, row->value,
               row->milliseconds, row->min_milliseconds, row->max_milliseconds,
               row->passed ? "PASS" : "FAIL");
    } else if (isnan(row->default_milliseconds)) {
        printf("-> %s %d: the default %d failed the cross-check\n\n", row->parameter, row->value,
               row->default_value);
    } else if (row->value == row->default_value) {
        printf("-> %s keeps the default %d: no candidate's slowest run beats its median of "
               "%.3f ms\n\n", row->parameter, row->value, row->default_milliseconds);
    } else {
        printf("-> %s %d: %.2fx the default %d (%.3f ms against %.3f; its slowest run beats the "
               "default's median)\n\n", row->parameter, row->value,
               row->default_milliseconds / row->milliseconds, row->default_value,
               row->milliseconds, row->default_milliseconds);
    }
    fflush(stdout);
}

typedef struct tune_config {
    const char *device;
    long runs;
    clcnn_check_shapes shapes;
    bool json, reset;
    bool clblast;                 /* --clblast: CLBlast's Xgemm too, on any device */
    const char *clblast_candidate; /* the child's side: time these parameters, print, exit */
} tune_config;

static bool handle(int key, const char *arg, void *config)
{
    tune_config *c = config;
    if (key == 'd')
        c->device = arg;
    else if (key == 'r')
        return parse_int_flag("--runs", arg, 1, 1000, &c->runs);
    else if (key == 'j')
        c->json = true;
    else if (key == 'R')
        c->reset = true;
    else if (key == 'X')
        c->clblast = true;
    else if (key == 'C')
        c->clblast_candidate = arg;
    else if (key == 's' && !strcmp(arg, "seed"))
        c->shapes = CLCNN_CHECK_SHAPES_SEED;
    else if (key == 's' && !strcmp(arg, "small"))
        c->shapes = CLCNN_CHECK_SHAPES_SMALL;
    else if (key == 's') {
        fprintf(stderr, "clcnn tune: --shapes expects seed or small, got '%s'\n", arg);
        return false;
    }
    return true;
}

/* ---- CLBlast's Xgemm parameters, each candidate in a child process -------------------------------- */

/* Candidates: CLBlast's own (its database's, or its generic defaults), then parameter sets
 * of the shapes CLBlast's tuner finds on common GPUs (every Xgemm parameter given). */
static const struct {
    const char *label, *parameters;
} xgemm_candidates[] = {
    {"CLBlast's own", ""},
    {"32x32 k16 v1", "GEMMK=0,KREG=1,KWG=16,KWI=2,MDIMA=8,MDIMC=8,MWG=32,NDIMB=8,NDIMC=8,NWG=32,"
                     "SA=0,SB=0,STRM=0,STRN=0,VWM=1,VWN=1"},
    {"64x64 k16 v4", "GEMMK=0,KREG=1,KWG=16,KWI=2,MDIMA=16,MDIMC=16,MWG=64,NDIMB=16,NDIMC=16,"
                     "NWG=64,SA=1,SB=1,STRM=0,STRN=0,VWM=4,VWN=4"},
    {"64x64 k32 v4", "GEMMK=0,KREG=1,KWG=32,KWI=2,MDIMA=16,MDIMC=16,MWG=64,NDIMB=16,NDIMC=16,"
                     "NWG=64,SA=1,SB=1,STRM=1,STRN=1,VWM=4,VWN=4"},
    {"64x64 k32 d8 v4", "GEMMK=0,KREG=1,KWG=32,KWI=2,MDIMA=8,MDIMC=8,MWG=64,NDIMB=8,NDIMC=8,"
                        "NWG=64,SA=1,SB=1,STRM=0,STRN=0,VWM=4,VWN=4"},
    {"128x128 k32 v8", "GEMMK=0,KREG=1,KWG=32,KWI=2,MDIMA=16,MDIMC=16,MWG=128,NDIMB=16,"
                       "NDIMC=16,NWG=128,SA=1,SB=1,STRM=1,STRN=1,VWM=8,VWN=8"},
};

/* The child's side: one candidate timed, a line on stdout for the parent. */
static int clblast_candidate(const tune_config *config)
{
    clcnn_context *context = NULL;
    int opened = open_device(device_spec(config->device), NULL, &context);
    if (opened != 0)
        return opened;
    double milliseconds = 0;
    bool passed = false;
    clcnn_status status = clcnn_tune_clblast_candidate(context, config->clblast_candidate,
                                                       config->shapes, (int)config->runs,
                                                       &milliseconds, &passed);
    clcnn_context_destroy(context);
    if (status != CLCNN_OK)
        return report_failure(status, "timing a CLBlast candidate");
    printf("clblast-candidate %.6f %d\n", milliseconds, passed);
    return 0;
}

/* Runs this program as a child timing one candidate, for at most `limit` seconds (then kills
 * it: a candidate once hung a driver's compiler for minutes). *milliseconds < 0: no result. */
static void time_in_child(const char *device, const char *parameters, const tune_config *config,
                          double limit, double *milliseconds, bool *passed, bool *timed_out)
{
    *milliseconds = -1, *passed = false, *timed_out = false;
    int pipe_ends[2];
    if (pipe(pipe_ends) != 0)
        return;
    char runs[32];
    snprintf(runs, sizeof runs, "%ld", config->runs);
    char *const arguments[] = {"clcnn", "tune", "--device", (char *)device, "--clblast-candidate",
                               (char *)parameters, "--runs", runs, "--shapes",
                               config->shapes == CLCNN_CHECK_SHAPES_SMALL ? "small" : "seed", NULL};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_ends[0]);
    pid_t child;
    int spawned = posix_spawn(&child, "/proc/self/exe", &actions, NULL, arguments, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_ends[1]);
    if (spawned != 0) {
        close(pipe_ends[0]);
        return;
    }
    const double deadline = seconds_now() + limit;
    int status = 0;
    while (waitpid(child, &status, WNOHANG) == 0) {
        if (seconds_now() > deadline) {
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            *timed_out = true;
            break;
        }
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    }
    char line[256] = "";
    FILE *from_child = fdopen(pipe_ends[0], "r");
    int passed_flag = 0;
    if (from_child && !*timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
        fgets(line, sizeof line, from_child) &&
        sscanf(line, "clblast-candidate %lf %d", milliseconds, &passed_flag) == 2)
        *passed = passed_flag != 0;
    if (from_child)
        fclose(from_child);
    else
        close(pipe_ends[0]);
}

/* Times every candidate in a child of its own and stores the fastest that passed, by the
 * tuner's noise rule against CLBlast's own (the runs' median, so a candidate must beat it by
 * a clear margin: 5%). */
static bool tune_clblast(clcnn_context *context, const tune_config *config, tune_output *out)
{
    const clcnn_device_info *device = clcnn_context_device(context);
    char spec[32];
    snprintf(spec, sizeof spec, "%d:%d", device->platform_index, device->device_index);
    const char *limit_text = getenv("CLCNN_TUNE_CANDIDATE_SECONDS");
    const double limit = limit_text && atof(limit_text) > 0 ? atof(limit_text) : 120.0;
    const int count = (int)(sizeof xgemm_candidates / sizeof xgemm_candidates[0]);
    int best = -1;
    double best_ms = INFINITY, own_ms = INFINITY;
    for (int c = 0; c < count; c++) {
        double milliseconds;
        bool passed, timed_out;
        time_in_child(spec, xgemm_candidates[c].parameters, config, limit, &milliseconds,
                      &passed, &timed_out);
        clcnn_tune_row row = {.milliseconds = milliseconds, .max_milliseconds = milliseconds,
                              .passed = passed};
        snprintf(row.parameter, sizeof row.parameter, "clblast Xgemm");
        snprintf(row.variant, sizeof row.variant, "%s", xgemm_candidates[c].label);
        if (!out->json && timed_out)
            printf("%-24s %-15s   over its %g s limit: killed\n", row.parameter, row.variant,
                   limit);
        else
            print_candidate(&row, out);
        if (passed && c == 0)
            own_ms = milliseconds;
        if (passed && milliseconds < best_ms)
            best = c, best_ms = milliseconds;
    }
    const bool keep = best <= 0 || best_ms >= 0.95 * own_ms;
    if (best < 0 && !out->json)
        printf("-> clblast Xgemm: no candidate passed in time; CLBlast's own parameters stay\n\n");
    clcnn_tune_row decision = {.decision = true, .passed = true,
                               .milliseconds = keep ? own_ms : best_ms,
                               .default_milliseconds = own_ms};
    snprintf(decision.parameter, sizeof decision.parameter, "clblast Xgemm");
    snprintf(decision.variant, sizeof decision.variant, "%s",
             xgemm_candidates[keep ? 0 : best].label);
    snprintf(decision.default_variant, sizeof decision.default_variant, "%s",
             xgemm_candidates[0].label);
    if (best >= 0 || out->json)
        print_candidate(&decision, out);
    clcnn_status status = clcnn_tuning_store_clblast(context, keep ? "" : xgemm_candidates[best].parameters);
    if (status != CLCNN_OK)
        report_failure(status, "storing CLBlast's parameters");
    return status == CLCNN_OK;
}

int command_tune(int argc, char **argv)
{
    static const struct argp_option options[] = {
        {"device", 'd', "SPEC", 0, DEVICE_HELP, 0},
        {"runs", 'r', "N", 0, "timed runs of each op for each candidate (default 10)", 0},
        {"shapes", 's', "SET", 0, "seed (default: the tutorial model's shapes) or small (a quick "
                                  "smoke run: odd sizes, batch 1)", 0},
        {"json", 'j', NULL, 0, "every candidate and decision as JSON", 0},
        {"reset", 'R', NULL, 0, "forget what tune stored for the device (back to the defaults) "
                                "and stop", 0},
        {"clblast", 'X', NULL, 0, "also tune CLBlast's GEMM parameters (GPUs get it without "
                                  "asking): each candidate in a child process with a time limit "
                                  "(CLCNN_TUNE_CANDIDATE_SECONDS, default 120)", 0},
        {"clblast-candidate", 'C', "PARAMETERS", OPTION_HIDDEN, NULL, 0},
        HELP_OPTION, {0}};
    static const command_line line = {
        options, NULL,
        "Times each work-group size (powers of two up to the device's limit) for the 3x3 "
        "convolutions, the element-wise kernels and the pooling ranges: the summed median of N "
        "runs of the ops each one drives, at the tutorial model's shapes, every run "
        "cross-checked against the reference. The fastest candidate that passed wins if even "
        "its slowest run beats the default's median (else the default stays). Then the kernel "
        "variant of each op that has several, by the same rule. The winners are stored in the "
        "program cache folder for this device and driver (`clcnn build` shows them).",
        handle};
    tune_config config = {.runs = 10, .shapes = CLCNN_CHECK_SHAPES_SEED};
    int parsed = parse_command_line(&line, argc, argv, &config, NULL);
    if (parsed >= 0)
        return parsed;
    if (config.clblast_candidate)
        return clblast_candidate(&config);
    const char *device_flag = config.device;
    long runs = config.runs;
    clcnn_context *context = NULL;
    int opened = open_device(device_spec(device_flag), NULL, &context);
    if (opened != 0)
        return opened;
    if (config.reset) {
        clcnn_status status = clcnn_tuning_reset(context);
        clcnn_context_destroy(context);
        if (status != CLCNN_OK)
            return report_failure(status, "resetting the tuning");
        printf("the stored tuning of this device is forgotten; runs use the defaults\n");
        return 0;
    }
    tune_output out = {.json = config.json, .rows = config.json ? json_object_new_array() : NULL};
    if (!out.json)
        printf("Summed over the ops each parameter drives: the median, fastest and slowest of %ld "
               "runs\n%-24s %5s %10s %10s %10s  %s\n", runs, "parameter", "size", "median ms",
               "min ms", "max ms", "check");
    clcnn_tuning winners;
    clcnn_status status = clcnn_tune(context, config.shapes, (int)runs, print_candidate, &out,
                                     &winners);
    bool stored = false, clblast_ok = true;
    if (status == CLCNN_OK && (config.clblast || !clcnn_context_device(context)->is_cpu))
        clblast_ok = tune_clblast(context, &config, &out);
    clcnn_context_tuning(context, &stored);
    clcnn_context_destroy(context);
    if (out.json) {
        if (status == CLCNN_OK)
            printf("%s\n", json_object_to_json_string_ext(out.rows, JSON_C_TO_STRING_PRETTY |
                                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(out.rows);
    }
    if (status != CLCNN_OK)
        return report_failure(status, "tuning");
    if (!clblast_ok)
        return 1;
    if (out.json)
        return 0;
    printf("winners: conv2d_3x3_work_group %d, elementwise_work_group %d, planes_work_group %d\n",
           winners.conv2d_3x3_work_group, winners.elementwise_work_group, winners.planes_work_group);
    if (stored)
        printf("stored in the program cache folder; later runs on this device use them\n");
    else
        printf("not stored: the program cache is off (CLCNN_CACHE=0)\n");
    return 0;
}
