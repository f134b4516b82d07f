/* clcnn check [--device SPEC|all] [--shapes small|seed|all] [--variants chosen|all] [--seed N]
 *             [--json]
 * Runs every op and direction on each chosen device against the reference and prints a table;
 * the exit status is 1 if any row fails. The command to run on a new GPU to trust it. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct check_output {
    bool json;
    clcnn_check_variants variants;
    bool profile;
    const char *trace;
    int traced_devices;
    const char *device;
    json_object *rows;
    json_object *trace_events;
} check_output;

static void print_row(const clcnn_check_row *row, void *user_data)
{
    check_output *out = user_data;
    if (out->json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "device", json_object_new_string(out->device));
        json_object_object_add(o, "op", json_object_new_string(row->op));
        json_object_object_add(o, "direction", json_object_new_string(row->direction));
        json_object_object_add(o, "shape", json_object_new_string(row->shape));
        json_object_object_add(o, "variant", json_object_new_string(row->variant));
        json_object_object_add(o, "max_abs_error", json_object_new_double(row->max_abs_error));
        json_object_object_add(o, "max_rel_error", json_object_new_double(row->max_rel_error));
        json_object_object_add(o, "tolerance_abs", json_object_new_double(row->tolerance_abs));
        json_object_object_add(o, "tolerance_rel", json_object_new_double(row->tolerance_rel));
        json_object_object_add(o, "error_over_tolerance",
                               json_object_new_double(isinf(row->error_over_tolerance)
                                                          ? 1e300 : row->error_over_tolerance));
        json_object_object_add(o, "canaries_intact", json_object_new_boolean(row->canaries_intact));
        json_object_object_add(o, "passed", json_object_new_boolean(row->passed));
        json_object_object_add(o, "device_ms", json_object_new_double(row->device_ms));
        json_object_object_add(o, "mismatches", json_object_new_string(row->mismatches));
        json_object_array_add(out->rows, o);
        return;
    }
    printf("%-13s %-17s %-34s %-15s %9.3g %9.3g %8.2g %8.2g %8.3g  %-4s %9.3f\n", row->op,
           row->direction, row->shape, row->variant[0] ? row->variant : "-", row->max_abs_error, row->max_rel_error, row->tolerance_abs,
           row->tolerance_rel, row->error_over_tolerance, row->passed ? "PASS" : "FAIL",
           row->device_ms);
    if (!row->canaries_intact)
        printf("    canary elements past the end of an output were overwritten\n");
    if (row->mismatches[0])
        printf("    first mismatches: %s\n", row->mismatches);
    fflush(stdout);
}

static int check_device(const char *spec, clcnn_check_shapes shapes, uint64_t seed,
                        check_output *out, int *failures)
{
    clcnn_context *context = NULL;
    const clcnn_context_options options = {.profiling = out->profile, .trace = out->trace != NULL};
    int opened = open_device(spec, &options, &context);
    if (opened != 0)
        return opened;
    out->device = clcnn_context_device(context)->name;
    if (!out->json)
        printf("A row passes when err/tol <= 1: the worst element's |error| over its own "
               "tolerance, tol abs + tol rel x |reference|\n"
               "%-13s %-17s %-34s %-15s %9s %9s %8s %8s %8s  %-4s %9s\n", "op", "direction",
               "shape", "variant", "max abs", "max rel", "tol abs", "tol rel", "err/tol", "", "device ms");
    clcnn_status status = clcnn_check_run_variants(context, shapes, out->variants, seed, 1,
                                                   print_row, out, failures);
    if (status == CLCNN_OK && out->profile && !out->json)
        report_profile(context, NULL);
    if (status == CLCNN_OK && out->trace)
        trace_append(out->trace_events, context, ++out->traced_devices);
    clcnn_context_destroy(context);
    if (status != CLCNN_OK)
        return report_failure(status, "the check");
    return 0;
}

typedef struct check_config {
    const char *device;
    clcnn_check_shapes shapes;
    long seed;
    check_output out;
} check_config;

static bool handle(int key, const char *arg, void *config)
{
    check_config *c = config;
    switch (key) {
    case 'd': c->device = arg; break;
    case 's':
        if (!strcmp(arg, "small"))
            c->shapes = CLCNN_CHECK_SHAPES_SMALL;
        else if (!strcmp(arg, "seed"))
            c->shapes = CLCNN_CHECK_SHAPES_SEED;
        else if (!strcmp(arg, "all"))
            c->shapes = CLCNN_CHECK_SHAPES_ALL;
        else {
            fprintf(stderr, "clcnn check: --shapes expects small, seed or all, got '%s'\n", arg);
            return false;
        }
        break;
    case 'v':
        if (!strcmp(arg, "chosen"))
            c->out.variants = CLCNN_CHECK_VARIANTS_CHOSEN;
        else if (!strcmp(arg, "all"))
            c->out.variants = CLCNN_CHECK_VARIANTS_ALL;
        else {
            fprintf(stderr, "clcnn check: --variants expects chosen or all, got '%s'\n", arg);
            return false;
        }
        break;
    case 'r': return parse_int_flag("--seed", arg, 0, 2147483647L, &c->seed);
    case 'j': c->out.json = true; break;
    case 'p': c->out.profile = true; break;
    case 't': c->out.trace = arg; break;
    }
    return true;
}

int command_check(int argc, char **argv)
{
    static const struct argp_option options[] = {
        {"device", 'd', "SPEC", 0, "the device, or all: every device found (simulators get the "
                                   "small shapes only)", 0},
        {"shapes", 's', "SET", 0, "small (default: odd sizes, batch 1), seed (the tutorial "
                                  "model's) or all", 0},
        {"variants", 'v', "WHICH", 0, "chosen (default: the kernel variant the device would "
                                      "run) or all: every variant that handles the case, forced "
                                      "(GPU variants on a CPU too)", 0},
        {"seed", 'r', "N", 0, "seed of the random inputs (default 1)", 0},
        {"json", 'j', NULL, 0, "the rows as JSON", 0},
        {"profile", 'p', NULL, 0, "also print the per-kernel profile", 0},
        {"trace", 't', "FILE", 0, "write a Chrome trace (ui.perfetto.dev)", 0},
        HELP_OPTION, {0}};
    static const command_line line = {
        options, NULL,
        "Compares every op and direction on the device with the plain-C reference. Exit "
        "status 1 if any comparison fails.",
        handle};
    check_config config = {.shapes = CLCNN_CHECK_SHAPES_SMALL, .seed = 1};
    int parsed = parse_command_line(&line, argc, argv, &config, NULL);
    if (parsed >= 0)
        return parsed;
    const char *device_flag = config.device;
    const clcnn_check_shapes shapes = config.shapes;
    const long seed = config.seed;
    check_output out = config.out;
    if (out.json)
        out.rows = json_object_new_array();
    if (out.trace && !trace_writable(out.trace))
        return 1;
    if (out.trace)
        out.trace_events = trace_new();
    const char *spec = device_spec(device_flag);
    int total_failures = 0, result = 0;
    if (spec && !strcmp(spec, "all")) {
        clcnn_device_info *devices = NULL;
        int count = 0;
        clcnn_status status = clcnn_list_devices(&devices, &count);
        if (status != CLCNN_OK)
            return report_failure(status, "listing devices");
        if (count == 0)
            fprintf(stderr, "clcnn check: no OpenCL device found\n");
        for (int i = 0; i < count && result == 0; i++) {
            char index[16];
            snprintf(index, sizeof index, "%d", devices[i].index);
            clcnn_check_shapes device_shapes =
                devices[i].is_simulator ? CLCNN_CHECK_SHAPES_SMALL : shapes;
            int failures = 0;
            result = check_device(index, device_shapes, (uint64_t)seed, &out, &failures);
            total_failures += failures;
        }
        free(devices);
        if (count == 0)
            result = EXIT_USAGE;
    } else {
        result = check_device(spec, shapes, (uint64_t)seed, &out, &total_failures);
    }
    if (out.json) {
        printf("%s\n", json_object_to_json_string_ext(out.rows, JSON_C_TO_STRING_PRETTY |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(out.rows);
    }
    if (out.trace && !trace_write(out.trace_events, out.trace) && result == 0)
        result = 1;
    if (result != 0)
        return result;
    if (total_failures > 0) {
        fprintf(stderr, "clcnn check: %d comparison%s FAILED\n", total_failures,
                total_failures == 1 ? "" : "s");
        return 1;
    }
    fprintf(stderr, "clcnn check: all comparisons passed\n");
    return 0;
}
