/* clcnn: train, check and benchmark CNNs on any OpenCL device. Git-style subcommands. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"devices", command_devices, "list every OpenCL platform and device"},
    {"build", command_build, "compile every kernel program for a device (fills the cache)"},
    {"check", command_check, "cross-check every op on a device against the reference"},
    {"summary", command_summary, "print a model's layers and parameter counts (default: the tutorial's)"},
    {"train", command_train, "train a model file on a dataset (default: the tutorial's CIFAR-10 CNN)"},
    {"eval", command_eval, "evaluate a checkpoint on the test set: report and confusion figure"},
    {"predict", command_predict, "classify PNG images with a checkpoint: top 3 classes"},
    {"bench", command_bench, "time training steps, ops and start-up on devices and the reference"},
    {"profile", command_profile, "per-kernel profiles of a few training steps, devices side by side"},
    {"tune", command_tune, "time work-group sizes on a device and store the fastest that pass"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: clcnn <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'clcnn <command> --help' (or -h) describes a command's options; "
                 "'clcnn --version' prints the version.\n"
                 "Device selection: --device SPEC or CLCNN_DEVICE=SPEC (an index, cpu, gpu, "
                 "platform:device, a name substring, or ref).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("clcnn %s\n", clcnn_version());
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            /* argp names argv[0] in its messages and help: make it "clcnn train", not "train" */
            char program[64];
            snprintf(program, sizeof program, "clcnn %s", commands[i].name);
            argv[1] = program;
            int status = commands[i].run(argc - 1, argv + 1);
            release_figure_caches();
            /* results printed into a full disk are lost: say so. A reader that went away
             * (`| head`) is no error to report: with SIGPIPE ignored, end as the signal would
             * have ended us, quietly */
            bool failed = fflush(stdout) != 0 || ferror(stdout);
            int error = errno;
            if (failed && error == EPIPE)
                return 128 + SIGPIPE;
            if (failed) {
                fprintf(stderr, "clcnn %s: writing the results to standard output failed: %s\n",
                        commands[i].name, strerror(error ? error : EIO));
                return status ? status : 1;
            }
            return status;
        }
    fprintf(stderr, "clcnn: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
