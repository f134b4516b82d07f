/* clcnn train: the tutorial's recipe end to end, on any model file and dataset. Loads the
 * data, holds out the last 20% of the training records for validation as Keras's
 * validation_split=0.2 does (unshuffled), and reshuffles the rest every epoch; trains with
 * Adam; after each epoch writes
 * history.csv and the last and best checkpoints; at the end evaluates the test set into
 * report.txt and draws the figures. Ctrl-C (or SIGTERM, or SIGHUP from a closed terminal)
 * finishes the step, saves, and says how
 * to resume; --resume continues bit for bit. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

typedef struct train_config {
    const char *data;
    const char *format;
    const char *model;
    double validation_split;
    const char *out;
    const char *device;
    const char *resume;
    long epochs, batch, seed, crosscheck_every;
    double learning_rate;
    bool profile;
    const char *trace;
} train_config;

typedef struct run {
    train_config config;
    clcnn_dataset data;
    clcnn_source train_source, test_source;
    clcnn_batch batch;
    clcnn_model *model;
    clcnn_context *context;
    clcnn_trainer *trainer;
    clcnn_context *reference_context;
    clcnn_trainer *reference;
    char out[4096];
    clcnn_checkpoint progress; /* history, best, and progress inside the current epoch */
    int train_count, validation_count;
    int32_t *order; /* this epoch's permutation of 0..train_count-1 */
    bool interactive;
    int exit_status; /* for a failed set-up: 2 for a bad device spec, else 1 */
} run;

/* SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session) are blocked from the start, before the OpenCL driver creates its threads
 * (they inherit the mask), and taken only between steps. A handler running inside the driver
 * would meet LLVM's own: a Ctrl-C during PoCL's kernel compilation deletes the compiler's
 * temporary files and fails the build. */
static sigset_t stop_signals;
static int stop_signal;

static void block_stop_signals(void)
{
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
}

/* The pending stop signal, taken, or 0. */
static int stop_requested(void)
{
    sigset_t pending;
    if (!stop_signal && sigpending(&pending) == 0 &&
        (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM) ||
         sigismember(&pending, SIGHUP))) {
        const struct timespec now = {0, 0};
        int taken = sigtimedwait(&stop_signals, NULL, &now);
        if (taken > 0)
            stop_signal = taken;
    }
    return stop_signal;
}

double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---- flags ------------------------------------------------------------------------------------ */

static void train_usage(FILE *out)
{
    fprintf(out,
            "usage: clcnn train [--model FILE] [--data DIR] [--format F] [--device SPEC]\n"
            "                   [--epochs N] [--batch N] [--lr X] [--seed N]\n"
            "                   [--validation-split X] [--out DIR] [--resume DIR]\n"
            "                   [--crosscheck-every N] [--profile] [--trace FILE]\n"
            "Trains a model file's CNN (default: the tutorial's, examples/cifar10-tutorial.model)\n"
            "on a dataset folder: CIFAR-10, CIFAR-100 or MNIST-format IDX, detected from its\n"
            "files or named by --format cifar10|cifar100|idx. Defaults: 25 epochs, batch 64,\n"
            "Adam lr 0.001, seed 0, validation split 0.2 (the last 20%% of the training images,\n"
            "as Keras takes them), data from $CLCNN_DATA or data/cifar-10-batches-bin, output in\n"
            "a new runs/<timestamp>/. --resume DIR continues the run saved in DIR with its own\n"
            "settings. --crosscheck-every N reruns every Nth step on the plain-C reference and\n"
            "stops if the device leaves tolerance. --profile times every kernel from OpenCL\n"
            "events and prints a table at the end (also DIR/profile.csv). --trace FILE writes\n"
            "a Chrome trace (host spans and every kernel) for ui.perfetto.dev; trace a short\n"
            "run, the trace keeps its first half million records.\n");
}

static bool parse_train_flags(int argc, char **argv, train_config *config, int *exit_status)
{
    static const struct option options[] = {
        {"data", required_argument, NULL, 'D'},   {"device", required_argument, NULL, 'd'},
        {"model", required_argument, NULL, 'm'},  {"format", required_argument, NULL, 'f'},
        {"validation-split", required_argument, NULL, 'v'},
        {"epochs", required_argument, NULL, 'e'}, {"batch", required_argument, NULL, 'b'},
        {"lr", required_argument, NULL, 'l'},     {"seed", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},    {"resume", required_argument, NULL, 'r'},
        {"crosscheck-every", required_argument, NULL, 'c'},
        {"profile", no_argument, NULL, 'p'},       {"trace", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    *config = (train_config){.epochs = 25, .batch = 64, .learning_rate = 1e-3,
                             .validation_split = 0.2};
    *exit_status = EXIT_USAGE;
    int option;
    opterr = 1;
    while ((option = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (option) {
        case 'D': config->data = optarg; break;
        case 'm': config->model = optarg; break;
        case 'f': config->format = optarg; break;
        case 'v':
            if (!parse_double_flag("--validation-split", optarg, 0.0, 0.99, &config->validation_split))
                return false;
            break;
        case 'd': config->device = optarg; break;
        case 'o': config->out = optarg; break;
        case 'r': config->resume = optarg; break;
        case 'e':
            if (!parse_int_flag("--epochs", optarg, 1, 100000, &config->epochs))
                return false;
            break;
        case 'b':
            if (!parse_int_flag("--batch", optarg, 1, 65536, &config->batch))
                return false;
            break;
        case 's':
            if (!parse_int_flag("--seed", optarg, 0, 2147483647L, &config->seed))
                return false;
            break;
        case 'c':
            if (!parse_int_flag("--crosscheck-every", optarg, 1, 1000000000L, &config->crosscheck_every))
                return false;
            break;
        case 'l':
            if (!parse_double_flag("--lr", optarg, 1e-12, 10.0, &config->learning_rate))
                return false;
            break;
        case 'p': config->profile = true; break;
        case 't': config->trace = optarg; break;
        case 'h': train_usage(stdout); *exit_status = 0; return false;
        default: return false;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "clcnn train: unexpected argument '%s'\n", argv[optind]);
        return false;
    }
    config->data = data_folder(config->data);
    if (config->trace && !trace_writable(config->trace)) {
        *exit_status = 1;
        return false;
    }
    return true;
}

/* ---- output files --------------------------------------------------------------------------------- */

bool make_output_dir(const char *path)
{
    char partial[4096];
    snprintf(partial, sizeof partial, "%s", path);
    for (char *slash = partial + 1;; slash++) {
        bool end = *slash == '\0';
        if (*slash == '/' || end) {
            *slash = '\0';
            if (mkdir(partial, 0755) != 0 && errno != EEXIST) {
                fprintf(stderr, "clcnn: cannot create output folder %s: %s\n", partial, strerror(errno));
                return false;
            }
            if (end)
                break;
            *slash = '/';
        }
    }
    struct stat info;
    if (stat(path, &info) != 0 || !S_ISDIR(info.st_mode) || access(path, W_OK) != 0) {
        fprintf(stderr, "clcnn: output folder %s is not a writable folder\n", path);
        return false;
    }
    return true;
}

static bool write_history(const run *r)
{
    char path[4200], temporary[4300];
    snprintf(path, sizeof path, "%s/history.csv", r->out);
    snprintf(temporary, sizeof temporary, "%s.tmp", path);
    FILE *file = fopen(temporary, "w");
    if (!file) {
        fprintf(stderr, "clcnn: cannot write %s: %s\n", temporary, strerror(errno));
        return false;
    }
    fprintf(file, "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n");
    for (int i = 0; i < r->progress.history_count; i++) {
        const clcnn_history_row *row = &r->progress.history[i];
        fprintf(file, "%d,%.6f,%.6f,%.6f,%.6f,%.3f\n", row->epoch, row->loss, row->accuracy,
                row->val_loss, row->val_accuracy, row->seconds);
    }
    bool ok = fclose(file) == 0 && rename(temporary, path) == 0;
    if (!ok)
        fprintf(stderr, "clcnn: cannot write %s: %s\n", path, strerror(errno));
    return ok;
}

static bool save_checkpoint(run *r, const char *name)
{
    size_t count = clcnn_model_parameter_count(r->model);
    char description[65536];
    clcnn_model_describe(r->model, description, sizeof description);
    clcnn_checkpoint c = r->progress;
    c.model_text = description;
    char names[CLCNN_MAX_CLASSES * (CLCNN_CLASS_NAME_BYTES + 1) + 1] = "";
    for (int k = 0; k < r->data.classes; k++) {
        strcat(names, r->data.class_names[k]);
        strcat(names, "\n");
    }
    c.class_names = names;
    c.steps = clcnn_trainer_steps(r->trainer);
    c.seed = (uint64_t)r->config.seed;
    c.learning_rate = r->config.learning_rate;
    c.batch_size = (int)r->config.batch;
    c.parameter_count = count;
    c.parameters = malloc(3 * count * sizeof(float));
    if (!c.parameters) {
        fprintf(stderr, "clcnn: out of host memory saving a checkpoint\n");
        return false;
    }
    c.m = c.parameters + count;
    c.v = c.parameters + 2 * count;
    clcnn_status status = clcnn_trainer_get_state(r->trainer, c.parameters, c.m, c.v);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", r->out, name);
    if (status == CLCNN_OK)
        status = clcnn_checkpoint_write(path, &c);
    free(c.parameters);
    if (status != CLCNN_OK) {
        report_failure(status, "saving a checkpoint");
        return false;
    }
    return true;
}

/* ---- progress ------------------------------------------------------------------------------------ */

static void draw_bar(int done, int total, double elapsed, double loss_sum, long correct, long seen)
{
    const int width = 20;
    int filled = total > 0 ? done * width / total : width;
    char bar[width * 3 + 1];
    size_t at = 0;
    for (int i = 0; i < width; i++) {
        const char *glyph = i < filled ? "\xe2\x94\x81" : "\xe2\x94\x80"; /* ━ and ─ */
        memcpy(bar + at, glyph, 3);
        at += 3;
    }
    bar[at] = '\0';
    double per_step = done > 0 ? elapsed / done : 0.0;
    fprintf(stderr, "\r%d/%d %s %.0fs %.0fms/step - accuracy: %.4f - loss: %.4f - ETA %.0fs   ",
            done, total, bar, elapsed, per_step * 1e3, seen ? (double)correct / seen : 0.0,
            seen ? loss_sum / seen : 0.0, per_step * (total - done));
    fflush(stderr);
}

/* ---- set-up ---------------------------------------------------------------------------------------- */

static bool restore(run *r)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint-last.ckpt", r->config.resume);
    clcnn_checkpoint saved;
    clcnn_status status = clcnn_checkpoint_read(path, &saved);
    if (status != CLCNN_OK) {
        report_failure(status, "reading the checkpoint to resume");
        return false;
    }
    /* the run's own model, unless --model names one (which must then be the same) */
    if (!r->config.model && clcnn_model_parse(saved.model_text, path, &r->model) != CLCNN_OK) {
        report_failure(CLCNN_ERROR_FORMAT, "reading the checkpoint's model");
        clcnn_checkpoint_free(&saved);
        return false;
    }
    if (r->config.model && !(r->model = load_model(r->config.model))) {
        clcnn_checkpoint_free(&saved);
        return false;
    }
    char description[65536];
    clcnn_model_describe(r->model, description, sizeof description);
    if (strcmp(description, saved.model_text) != 0 ||
        saved.parameter_count != clcnn_model_parameter_count(r->model)) {
        fprintf(stderr, "clcnn: %s holds a different model:\n%s\nexpected:\n%s", path,
                saved.model_text, description);
        clcnn_checkpoint_free(&saved);
        return false;
    }
    r->config.seed = (long)saved.seed;
    r->config.batch = saved.batch_size;
    r->config.learning_rate = saved.learning_rate;
    r->progress = saved;
    return true;
}

static bool setup(run *r)
{
    r->exit_status = 1;
    const clcnn_context_options options = {.profiling = r->config.profile,
                                           .trace = r->config.trace != NULL};
    clcnn_status status = clcnn_context_create(device_spec(r->config.device), &options, &r->context);
    if (status != CLCNN_OK) {
        r->exit_status = report_failure(status, "opening the device");
        return false;
    }
    print_device_header(clcnn_context_device(r->context));
    status = clcnn_dataset_load(r->config.data, r->config.format, CLCNN_DATA_ALL, &r->data);
    if (status != CLCNN_OK) {
        r->exit_status = report_failure(status, "loading the data");
        return false;
    }
    if (!strcmp(r->data.format, "cifar10") && r->data.test.count < 10000)
        fprintf(stderr,
                "clcnn: warning: %s/test_batch.bin holds %d images, not the official 10,000; "
                "test accuracy will be measured on those %d\n",
                r->config.data, r->data.test.count, r->data.test.count);
    /* Keras's validation_split: the last fraction of the records, before any shuffling */
    r->train_count = (int)floor(r->data.train.count * (1.0 - r->config.validation_split));
    r->validation_count = r->data.train.count - r->train_count;
    if (r->train_count < 1 || (r->config.validation_split > 0 && r->validation_count < 1)) {
        fprintf(stderr, "clcnn: %d training images cannot be split %g/%g\n", r->data.train.count,
                1.0 - r->config.validation_split, r->config.validation_split);
        return false;
    }
    if (r->config.resume) {
        if (!restore(r))
            return false;
        snprintf(r->out, sizeof r->out, "%s", r->config.resume);
    } else if (!(r->model = load_model(r->config.model))) {
        return false;
    }
    if (!model_fits_data(r->model, &r->data.train, r->data.classes, r->config.data))
        return false;
    r->train_source = clcnn_images_source(&r->data.train, r->data.classes);
    r->test_source = clcnn_images_source(&r->data.test, r->data.classes);
    if (!r->config.resume && r->config.out) {
        snprintf(r->out, sizeof r->out, "%s", r->config.out);
    } else if (!r->config.resume) {
        char stamp[32];
        time_t now = time(NULL);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
        snprintf(r->out, sizeof r->out, "runs/%s", stamp);
    }
    if (r->config.batch > r->train_count) {
        fprintf(stderr, "clcnn: --batch %ld is larger than the %d training images\n",
                r->config.batch, r->train_count);
        return false;
    }
    if (!make_output_dir(r->out))
        return false;
    print_model_summary(stdout, r->model);
    clcnn_train_options train = clcnn_train_defaults();
    train.batch_size = (int)r->config.batch;
    train.learning_rate = r->config.learning_rate;
    train.seed = (uint64_t)r->config.seed;
    status = clcnn_trainer_create(r->context, r->model, &train, &r->trainer);
    if (status == CLCNN_OK && r->config.resume)
        status = clcnn_trainer_set_state(r->trainer, r->progress.parameters, r->progress.m,
                                         r->progress.v, r->progress.steps);
    if (status == CLCNN_OK && r->config.crosscheck_every) {
        status = clcnn_context_create("ref", NULL, &r->reference_context);
        if (status == CLCNN_OK)
            status = clcnn_trainer_create(r->reference_context, r->model, &train, &r->reference);
    }
    if (status != CLCNN_OK) {
        report_failure(status, "preparing training");
        return false;
    }
    r->order = malloc((size_t)r->train_count * sizeof(int32_t));
    r->interactive = isatty(STDERR_FILENO);
    status = clcnn_batch_create(&r->train_source, (int)r->config.batch, &r->batch);
    if (status != CLCNN_OK) {
        report_failure(status, "preparing training");
        return false;
    }
    printf("Training on %d images, validating on %d (the last %.0f%%), batch %ld, %ld epochs; "
           "output in %s\n",
           r->train_count, r->validation_count, 100 * r->config.validation_split, r->config.batch,
           r->config.epochs, r->out);
    fflush(stdout);
    return r->order != NULL;
}

static void teardown(run *r)
{
    clcnn_trainer_destroy(r->reference);
    clcnn_context_destroy(r->reference_context);
    clcnn_trainer_destroy(r->trainer);
    clcnn_context_destroy(r->context);
    clcnn_model_destroy(r->model);
    clcnn_batch_free(&r->batch);
    clcnn_dataset_free(&r->data);
    clcnn_checkpoint_free(&r->progress);
    free(r->order);
}

/* ---- the loop -------------------------------------------------------------------------------------- */

static bool append_history(run *r, clcnn_history_row row)
{
    clcnn_history_row *grown = realloc(r->progress.history,
                                       (size_t)(r->progress.history_count + 1) * sizeof *grown);
    if (!grown)
        return false;
    r->progress.history = grown;
    grown[r->progress.history_count++] = row;
    return true;
}

/* One training step, cross-checked against the reference every --crosscheck-every steps.
 * Prints why and returns false when the step fails or leaves tolerance. */
static bool step(run *r, const int32_t *indices, int count, clcnn_batch_totals *totals)
{
    uint64_t step_number = clcnn_trainer_steps(r->trainer) + 1;
    bool check = r->reference && step_number % (uint64_t)r->config.crosscheck_every == 0;
    clcnn_crosscheck_report report;
    clcnn_status status = clcnn_batch_fill(&r->batch, &r->train_source, indices, count);
    if (status == CLCNN_OK)
        status = check ? clcnn_trainer_crosscheck(r->trainer, r->reference, r->batch.x,
                                                  r->batch.labels, count, totals, &report)
                       : clcnn_trainer_train_step(r->trainer, r->batch.x, r->batch.labels, count,
                                                  totals);
    if (r->interactive && (check || status != CLCNN_OK))
        fprintf(stderr, "\n");
    if (status != CLCNN_OK) {
        report_failure(status, "a training step");
        return false;
    }
    if (!check)
        return true;
    fprintf(stderr, "cross-check at step %llu: %d tensors, worst %s at %.3g (tolerance %.3g)\n%s",
            (unsigned long long)step_number, report.tensors, report.worst_tensor,
            report.worst_error, report.tolerance, report.lines);
    if (!report.passed)
        fprintf(stderr,
                "clcnn: the device left tolerance against the reference at step %llu (%s: "
                "relative error %.3g > %.3g); stopping. The last checkpoint holds the last good "
                "state.\n",
                (unsigned long long)step_number, report.worst_tensor, report.worst_error,
                report.tolerance);
    return report.passed;
}

/* One epoch, from wherever the progress says it stopped. Returns 1 when finished, 0 when
 * interrupted (state saved), -1 on failure. */
static int run_epoch(run *r, int epoch)
{
    clcnn_checkpoint *p = &r->progress;
    int total = (r->train_count + (int)r->config.batch - 1) / (int)r->config.batch;
    clcnn_shuffle((uint64_t)r->config.seed, (uint64_t)epoch, r->order, r->train_count);
    double start = seconds_now() - p->epoch_seconds, last_draw = 0.0;
    for (int batch = p->epoch_batches_done; batch < total; batch++) {
        int first = batch * (int)r->config.batch;
        int count = r->train_count - first < r->config.batch ? r->train_count - first : (int)r->config.batch;
        clcnn_batch_totals totals;
        if (!step(r, r->order + first, count, &totals))
            return -1;
        p->epoch_batches_done = batch + 1;
        p->epoch_loss_sum += totals.loss_sum;
        p->epoch_correct += totals.correct;
        p->epoch_seen += totals.count;
        double now = seconds_now();
        p->epoch_seconds = now - start;
        if (r->interactive && (now - last_draw > 0.1 || batch + 1 == total)) {
            draw_bar(batch + 1, total, now - start, p->epoch_loss_sum,
                     (long)p->epoch_correct, (long)p->epoch_seen);
            last_draw = now;
        }
        if (stop_requested() && batch + 1 < total) {
            if (r->interactive)
                fprintf(stderr, "\n");
            if (!save_checkpoint(r, "checkpoint-last.ckpt"))
                return -1;
            fprintf(stderr,
                    "clcnn: stopped by %s after step %d/%d of epoch %d; saved %s/checkpoint-last.ckpt\n"
                    "resume with: clcnn train --resume %s\n",
                    stop_signal == SIGTERM ? "SIGTERM" : stop_signal == SIGHUP ? "SIGHUP" : "SIGINT",
                    batch + 1, total, epoch,
                    r->out, r->out);
            return 0;
        }
    }
    double val_loss = 0, val_accuracy = 0;
    clcnn_status status = clcnn_evaluate(r->trainer, &r->train_source, r->train_count,
                                         r->validation_count, &val_loss, &val_accuracy, NULL);
    if (status != CLCNN_OK) {
        report_failure(status, "validation");
        return -1;
    }
    double seconds = seconds_now() - start;
    clcnn_history_row row = {epoch, p->epoch_loss_sum / p->epoch_seen,
                             (double)p->epoch_correct / p->epoch_seen, val_loss, val_accuracy,
                             seconds};
    if (!append_history(r, row))
        return -1;
    if (r->interactive)
        fprintf(stderr, "\r%*s\r", 110, "");
    printf("Epoch %d/%ld\n%d/%d - %.0fs %.0fms/step - accuracy: %.4f - loss: %.4f - "
           "val_accuracy: %.4f - val_loss: %.4f\n",
           epoch, r->config.epochs, total, total, seconds, seconds / total * 1e3, row.accuracy,
           row.loss, row.val_accuracy, row.val_loss);
    fflush(stdout);
    p->epochs_done = epoch;
    p->epoch_batches_done = 0;
    p->epoch_loss_sum = p->epoch_seconds = 0;
    p->epoch_correct = p->epoch_seen = 0;
    bool best = p->best_epoch == 0 || val_accuracy > p->best_val_accuracy;
    if (best) {
        p->best_val_accuracy = val_accuracy;
        p->best_epoch = epoch;
    }
    if (!write_history(r) || !save_checkpoint(r, "checkpoint-last.ckpt") ||
        (best && !save_checkpoint(r, "checkpoint-best.ckpt")))
        return -1;
    return 1;
}

static bool finish(run *r)
{
    int count = r->data.test.count;
    int32_t *predictions = malloc((size_t)(count ? count : 1) * sizeof(int32_t));
    double loss = 0, accuracy = 0;
    clcnn_status status = predictions ? clcnn_evaluate(r->trainer, &r->test_source, 0, count,
                                                       &loss, &accuracy, predictions)
                                      : CLCNN_ERROR_ALLOCATION;
    if (status != CLCNN_OK) {
        free(predictions);
        report_failure(status, "evaluating the test set");
        return false;
    }
    char path[4200], heading[512];
    snprintf(path, sizeof path, "%s/report.txt", r->out);
    snprintf(heading, sizeof heading,
             "Test set: %d images of %s/%s, model after epoch %d; loss %.4f, accuracy %.4f",
             count, r->config.data, r->data.test_name, r->progress.epochs_done, loss, accuracy);
    printf("\n%s\n\n", heading);
    print_report(stdout, r->data.class_names, r->data.classes, r->data.test.labels, predictions,
                 count);
    bool ok = write_report_file(path, r->data.class_names, r->data.classes, r->data.test.labels,
                                predictions, count, heading);
    ok = ok && draw_figures(r->out, &r->data, r->progress.history, r->progress.history_count,
                            predictions);
    free(predictions);
    if (ok)
        printf("\nWrote %s/: history.csv, checkpoint-last.ckpt, checkpoint-best.ckpt, "
               "report.txt, accuracy.png, confusion.png, samples.png\n", r->out);
    return ok;
}

int command_train(int argc, char **argv)
{
    run r = {0};
    int exit_status = 0;
    if (!parse_train_flags(argc, argv, &r.config, &exit_status))
        return exit_status;
    block_stop_signals();
    int result = 1;
    if (!setup(&r)) {
        result = r.exit_status;
    } else {
        result = 0;
        for (int epoch = r.progress.epochs_done + 1; epoch <= r.config.epochs; epoch++) {
            int outcome = run_epoch(&r, epoch);
            if (outcome <= 0) {
                result = outcome == 0 ? 130 : 1;
                break;
            }
            if (stop_requested() && epoch < r.config.epochs) {
                fprintf(stderr, "clcnn: stopped after epoch %d; resume with: clcnn train "
                                "--resume %s\n", epoch, r.out);
                result = 130;
                break;
            }
        }
        if (result == 0 && !finish(&r))
            result = 1;
        char csv[4200];
        snprintf(csv, sizeof csv, "%s/profile.csv", r.out);
        if (r.config.profile && !report_profile(r.context, csv))
            result = 1;
        if (r.config.trace) {
            struct json_object *events = trace_new();
            bool traced = trace_append(events, r.context, 1);
            if (!trace_write(events, r.config.trace) || !traced)
                result = 1;
        }
    }
    teardown(&r);
    return result;
}
