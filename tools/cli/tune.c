/* clcnn tune [--device SPEC] [--runs N] [--shapes seed|small] [--json] [--reset]: times each work-group size candidate at the tutorial
 * model's shapes, cross-checked against the reference, and stores the fastest that passed for
 * this device in the program cache folder; every later run on the device uses them. */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

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
    bool stored = false;
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
