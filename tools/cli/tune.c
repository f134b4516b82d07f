/* clcnn tune [--device SPEC] [--runs N]: times each work-group size candidate at the tutorial
 * model's shapes, cross-checked against the reference, and stores the fastest that passed for
 * this device in the program cache folder; every later run on the device uses them. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>

#include "cli.h"

static void print_candidate(const clcnn_tune_row *row, void *user_data)
{
    (void)user_data;
    if (!row->decision) {
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

int command_tune(int argc, char **argv)
{
    static const struct option options[] = {{"device", required_argument, NULL, 'd'},
                                            {"runs", required_argument, NULL, 'r'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *device_flag = NULL;
    long runs = 10;
    int option;
    while ((option = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (option) {
        case 'd': device_flag = optarg; break;
        case 'r':
            if (!parse_int_flag("--runs", optarg, 1, 1000, &runs))
                return EXIT_USAGE;
            break;
        case 'h':
            printf("usage: clcnn tune [--device SPEC] [--runs N]\n"
                   "Times each work-group size (powers of two up to the device's limit) for the\n"
                   "3x3 convolutions, the element-wise kernels and the pooling ranges: the summed\n"
                   "median of N runs (default 10) of the ops each one drives, at the tutorial\n"
                   "model's shapes, every run cross-checked against the reference. The fastest\n"
                   "candidate that passed wins if even its slowest run beats the default's median\n"
                   "(else the default stays); the winners are stored in the program cache folder\n"
                   "for this device and driver (`clcnn build` shows them).\n");
            return 0;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "clcnn tune: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    clcnn_context *context = NULL;
    int opened = open_device(device_spec(device_flag), NULL, &context);
    if (opened != 0)
        return opened;
    printf("Summed over the ops each parameter drives: the median, fastest and slowest of %ld "
           "runs\n%-24s %5s %10s %10s %10s  %s\n", runs, "parameter", "size", "median ms", "min ms",
           "max ms", "check");
    clcnn_tuning winners;
    clcnn_status status = clcnn_tune(context, CLCNN_CHECK_SHAPES_SEED, (int)runs, print_candidate, NULL,
                        &winners);
    bool stored = false;
    clcnn_context_tuning(context, &stored);
    clcnn_context_destroy(context);
    if (status != CLCNN_OK)
        return report_failure(status, "tuning");
    printf("\nwinners: conv2d_3x3_work_group %d, elementwise_work_group %d, planes_work_group %d\n",
           winners.conv2d_3x3_work_group, winners.elementwise_work_group, winners.planes_work_group);
    if (stored)
        printf("stored in the program cache folder; later runs on this device use them\n");
    else
        printf("not stored: the program cache is off (CLCNN_CACHE=0)\n");
    return 0;
}
