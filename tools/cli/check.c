/* clcnn check [--device SPEC|all] [--shapes small|seed|all] [--seed N] [--json]
 * Runs every op and direction on each chosen device against the reference and prints a table;
 * the exit status is 1 if any row fails. The command to run on a new GPU to trust it. */
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct check_output {
    bool json;
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
    printf("%-13s %-16s %-34s %9.3g %9.3g %8.2g %8.2g %8.3g  %-4s %9.3f\n", row->op,
           row->direction, row->shape, row->max_abs_error, row->max_rel_error, row->tolerance_abs,
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
               "%-13s %-16s %-34s %9s %9s %8s %8s %8s  %-4s %9s\n", "op", "direction", "shape",
               "max abs", "max rel", "tol abs", "tol rel", "err/tol", "", "device ms");
    clcnn_status status = clcnn_check_run(context, shapes, seed, print_row, out, failures);
    if (status == CLCNN_OK && out->profile && !out->json)
        report_profile(context, NULL);
    if (status == CLCNN_OK && out->trace)
        trace_append(out->trace_events, context, ++out->traced_devices);
    clcnn_context_destroy(context);
    if (status != CLCNN_OK)
        return report_failure(status, "the check");
    return 0;
}

int command_check(int argc, char **argv)
{
    static const struct option options[] = {
        {"device", required_argument, NULL, 'd'}, {"shapes", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'r'},   {"json", no_argument, NULL, 'j'},
        {"profile", no_argument, NULL, 'p'},      {"trace", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *device_flag = NULL;
    clcnn_check_shapes shapes = CLCNN_CHECK_SHAPES_SMALL;
    long seed = 1;
    check_output out = {0};
    int option;
    while ((option = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (option) {
        case 'd': device_flag = optarg; break;
        case 's':
            if (!strcmp(optarg, "small"))
                shapes = CLCNN_CHECK_SHAPES_SMALL;
            else if (!strcmp(optarg, "seed"))
                shapes = CLCNN_CHECK_SHAPES_SEED;
            else if (!strcmp(optarg, "all"))
                shapes = CLCNN_CHECK_SHAPES_ALL;
            else {
                fprintf(stderr, "clcnn check: --shapes expects small, seed or all, got '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'r':
            if (!parse_int_flag("--seed", optarg, 0, 2147483647L, &seed))
                return EXIT_USAGE;
            break;
        case 'j': out.json = true; break;
        case 'p': out.profile = true; break;
        case 't': out.trace = optarg; break;
        case 'h':
            printf("usage: clcnn check [--device SPEC|all] [--shapes small|seed|all] [--seed N] "
                   "[--json] [--profile] [--trace FILE]\n"
                   "Compares every op and direction on the device with the plain-C reference.\n"
                   "--device all checks every device found; simulators (Oclgrind) get the small\n"
                   "shapes only. Exit status 1 if any comparison fails. --profile prints the\n"
                   "per-kernel table; --trace FILE writes a Chrome trace (ui.perfetto.dev).\n");
            return 0;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "clcnn check: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
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
        printf("%s\n", json_object_to_json_string_ext(out.rows, JSON_C_TO_STRING_PRETTY));
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
