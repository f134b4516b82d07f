/* clcnn train: the tutorial's recipe end to end, on any model file and dataset. Loads the
 * data, holds out the last 20% of the training records for validation as Keras's
 * validation_split=0.2 does (unshuffled), and reshuffles the rest every epoch; trains with
 * Adam; after each epoch writes
 * history.csv and the last and best checkpoints; at the end evaluates the test set into
 * report.txt and draws the figures. Ctrl-C (or SIGTERM, or SIGHUP from a closed terminal)
 * finishes the step, saves, and says how to resume; a second one quits at once. --resume
 * continues bit for bit, with the settings the checkpoint keeps. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ranks.h"

typedef struct train_config {
    const char *data;
    const char *format;
    const char *model;
    double validation_split;
    const char *out;
    const char *device;
    const char *resume;
    long epochs, batch, seed, crosscheck_every;
    const char *split; /* --split 3:1: each device's share of a batch */
    long patience; /* --early-stopping: epochs without a better val_accuracy; 0: off */
    double learning_rate;
    const char *optimizer; /* adam, adamw or sgd */
    const char *schedule;  /* constant, step, cosine or onecycle */
    const char *augment;   /* "crop=P,flip", "crop=P", "flip" or "none" */
    long crop;
    bool flip;
    long warmup_epochs;
    double momentum, weight_decay, label_smoothing;
    bool nesterov;
    bool profile, overwrite;
    const char *trace;
    bool given[128]; /* by option letter: the flags the user gave, which --resume checks */
} train_config;

typedef struct run {
    train_config config;
    clcnn_dataset data;
    clcnn_source train_source, test_source;
    clcnn_batch batch;
    clcnn_model *model;
    clcnn_context *context;
    clcnn_trainer *trainer; /* with several devices, replica 0's (evaluation, checkpoints) */
    clcnn_replicas *replicas; /* several devices, or NULL */
    clcnn_context *more_contexts[CLCNN_MAX_REPLICAS]; /* the devices after the first */
    int devices;
    char device_specs[CLCNN_MAX_REPLICAS][64];
    double shares[CLCNN_MAX_REPLICAS]; /* --split */
    ranks ranks;           /* the processes of an mpirun job; one of one otherwise */
    rank_step_state rank_state; /* ranks > 1: this rank's arena and the job's sum */
    bool stop_all;         /* ranks > 1: a stop was asked for on some rank */
    clcnn_context *reference_context;
    clcnn_trainer *reference;
    char out[4096];
    clcnn_checkpoint progress; /* history, best, and progress inside the current epoch */
    int train_count, validation_count;
    int32_t *order; /* this epoch's permutation of 0..train_count-1 */
    bool resident;  /* the images are kept on the device: steps send no pixels, read nothing */
    bool waitless;  /* one device: steps leave their totals on it (resident, or host batches
                       uploaded without waiting), collect() reads them */
    bool interactive;
    int exit_status; /* for a failed set-up: 2 for a bad device spec, else 1 */
    int model_epoch; /* the epoch whose weights the trainer holds at the end, when not the last */
} run;

/* SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session) are blocked in every thread from
 * the start, before the OpenCL driver creates its threads (they inherit the mask), and taken by
 * one thread of ours with sigwait(). No handler ever runs inside the driver, where it would
 * meet LLVM's own: a Ctrl-C during PoCL's kernel compilation deletes the compiler's temporary
 * files and fails the build. During set-up nothing is written yet, so a signal ends the process
 * at once; during training the first one asks the loop to stop after the step (and save), and
 * a second one quits without waiting, the last checkpoint on disk intact. */
enum { PHASE_SETUP, PHASE_TRAINING };
static sigset_t stop_signals;
static atomic_int phase = PHASE_SETUP, stop_signal;

static void say(const char *message) { (void)!write(STDERR_FILENO, message, strlen(message)); }

static void *watch_stop_signals(void *unused)
{
    (void)unused;
    for (;;) {
        int taken;
        if (sigwait(&stop_signals, &taken) != 0)
            continue;
        if (atomic_load(&phase) == PHASE_SETUP) {
            say("\nclcnn: interrupted during set-up, before training started; nothing was "
                "written\n");
            _exit(130);
        }
        if (atomic_exchange(&stop_signal, taken) != 0) {
            say("\nclcnn: a second stop signal: quitting now without saving; the last checkpoint "
                "on disk is intact\n");
            _exit(130);
        }
    }
    return NULL;
}

static bool watch_signals(void)
{
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    pthread_t watcher;
    if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL) != 0 ||
        pthread_create(&watcher, NULL, watch_stop_signals, NULL) != 0) {
        fprintf(stderr, "clcnn: cannot start the thread that watches for Ctrl-C\n");
        return false;
    }
    pthread_detach(watcher);
    return true;
}

/* The stop signal taken during training, or 0. */
static int stop_requested(void) { return atomic_load(&stop_signal); }

static const char *signal_name(int signal)
{
    return signal == SIGTERM ? "SIGTERM" : signal == SIGHUP ? "SIGHUP" : "SIGINT";
}

double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---- flags ------------------------------------------------------------------------------------ */

/* --augment: "none", or comma-separated "crop=P" and "flip". */
static bool parse_augment(const char *text, long *crop, bool *flip)
{
    *crop = 0;
    *flip = false;
    if (!strcmp(text, "none"))
        return true;
    char copy[64];
    snprintf(copy, sizeof copy, "%s", text);
    for (char *save = NULL, *part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
        if (!strcmp(part, "flip"))
            *flip = true;
        else if (!strncmp(part, "crop=", 5) && parse_int_flag("--augment crop", part + 5, 1, 64, crop))
            continue;
        else {
            fprintf(stderr, "clcnn train: --augment expects crop=P and/or flip, comma-separated "
                            "(e.g. crop=4,flip), or none; got '%s'\n", text);
            return false;
        }
    }
    return true;
}

static bool handle(int key, const char *arg, void *user)
{
    train_config *config = user;
    if (key > 0 && key < 128)
        config->given[key] = true;
    switch (key) {
    case 'D': config->data = arg; break;
    case 'm': config->model = arg; break;
    case 'f': config->format = arg; break;
    case 'v':
        return parse_double_flag("--validation-split", arg, 0.0, 0.99, &config->validation_split);
    case 'd': config->device = arg; break;
    case 'P': config->split = arg; break;
    case 'o': config->out = arg; break;
    case 'O': config->overwrite = true; break;
    case 'r': config->resume = arg; break;
    case 'e': return parse_int_flag("--epochs", arg, 1, 100000, &config->epochs);
    case 'b': return parse_int_flag("--batch", arg, 1, 65536, &config->batch);
    case 's': return parse_int_flag("--seed", arg, 0, 2147483647L, &config->seed);
    case 'c':
        return parse_int_flag("--crosscheck-every", arg, 1, 1000000000L, &config->crosscheck_every);
    case 'l': return parse_double_flag("--lr", arg, 1e-12, 10.0, &config->learning_rate);
    case 'z':
        if (strcmp(arg, "adam") && strcmp(arg, "adamw") && strcmp(arg, "sgd")) {
            fprintf(stderr, "clcnn train: --optimizer expects adam, adamw or sgd, got '%s'\n", arg);
            return false;
        }
        config->optimizer = arg;
        break;
    case 'M': return parse_double_flag("--momentum", arg, 0.0, 0.999, &config->momentum);
    case 'N': config->nesterov = true; break;
    case 'W': return parse_double_flag("--weight-decay", arg, 0.0, 0.5, &config->weight_decay);
    case 'E': return parse_int_flag("--early-stopping", arg, 1, 100000, &config->patience);
    case 'S':
        if (strcmp(arg, "constant") && strcmp(arg, "step") && strcmp(arg, "cosine") &&
            strcmp(arg, "onecycle")) {
            fprintf(stderr, "clcnn train: --schedule expects constant, step, cosine or onecycle, "
                            "got '%s'\n", arg);
            return false;
        }
        config->schedule = arg;
        break;
    case 'w': return parse_int_flag("--warmup-epochs", arg, 0, 100000, &config->warmup_epochs);
    case 'A': config->augment = arg; return parse_augment(arg, &config->crop, &config->flip);
    case 'L':
        return parse_double_flag("--label-smoothing", arg, 0.0, 0.5, &config->label_smoothing);
    case 'p': config->profile = true; break;
    case 't': config->trace = arg; break;
    }
    return true;
}

/* The model file's `train` line gives the settings no flag gave: each goes through the flag's
 * own parser, so it is checked alike. Then Keras's defaults for the optimizer chosen. */
static bool apply_train_line(train_config *config, const clcnn_model *model, const char *source)
{
    static const struct {
        const char *key;
        int option;
    } keys[] = {{"epochs", 'e'},         {"batch", 'b'},           {"optimizer", 'z'},
                {"lr", 'l'},             {"momentum", 'M'},        {"nesterov", 'N'},
                {"weight_decay", 'W'},   {"schedule", 'S'},        {"warmup_epochs", 'w'},
                {"label_smoothing", 'L'}, {"augment", 'A'},        {"early_stopping", 'E'},
                {"validation_split", 'v'}, {"seed", 's'}};
    /* the values live as long as the run: the config keeps pointers to them */
    static char values[sizeof keys / sizeof keys[0]][64];
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        if (config->given[keys[k].option] ||
            !clcnn_model_train_setting(model, keys[k].key, values[k], sizeof values[k]))
            continue;
        bool ok = true;
        if (keys[k].option == 'N') {
            ok = !strcmp(values[k], "true") || !strcmp(values[k], "false");
            config->nesterov = !strcmp(values[k], "true");
        } else {
            ok = handle(keys[k].option, values[k], config);
        }
        if (!ok) {
            fprintf(stderr, "clcnn: %s: train: %s=%s is not a valid setting (see above; "
                            "nesterov takes true or false)\n", source, keys[k].key, values[k]);
            return false;
        }
        config->given[keys[k].option] = true;
    }
    bool sgd = !strcmp(config->optimizer, "sgd");
    if (sgd && !config->given['l'])
        config->learning_rate = 0.01;
    if (!strcmp(config->optimizer, "adamw") && !config->given['W'])
        config->weight_decay = 0.004;
    if (!sgd && (config->given['M'] || config->nesterov)) {
        fprintf(stderr, "clcnn train: --momentum and --nesterov are sgd's; give --optimizer sgd\n");
        return false;
    }
    return true;
}

/* Parses the flags; returns -1 to go on, else the exit status. */
static int parse_train_flags(int argc, char **argv, train_config *config)
{
    static const struct argp_option options[] = {
        {NULL, 0, NULL, 0, "What to train:", 1},
        {"model", 'm', "FILE", 0, "a model file (default: examples/cifar10-tutorial.model, the "
                                  "tutorial's CNN)", 1},
        {"data", 'D', "DIR", 0, "the dataset folder (default: $CLCNN_DATA, else "
                                "data/cifar-10-batches-bin)", 1},
        {"format", 'f', "FORMAT", 0, "cifar10, cifar100 or idx (default: detected from the "
                                     "folder's files)", 1},
        {"validation-split", 'v', "X", 0, "the last fraction X of the training images validates, "
                                          "as Keras's validation_split (default 0.2)", 1},
        {NULL, 0, NULL, 0, "How:", 2},
        {"epochs", 'e', "N", 0, "epochs (default 25)", 2},
        {"batch", 'b', "N", 0, "batch size (default 64)", 2},
        {"optimizer", 'z', "NAME", 0, "adam (default), adamw (Adam with decoupled weight decay, "
                                      "0.004 unless --weight-decay) or sgd", 2},
        {"lr", 'l', "X", 0, "learning rate (default: 0.001 for adam and adamw, 0.01 for sgd, as "
                            "Keras's)", 2},
        {"momentum", 'M', "X", 0, "sgd's momentum (default 0)", 2},
        {"schedule", 'S', "NAME", 0, "the learning rate over the run: constant (default), step "
                                     "(/10 at 50% and 75%), cosine (down to 0) or onecycle (up "
                                     "from lr/10 over the warm-up, then down to 0)", 2},
        {"augment", 'A', "SPEC", 0, "augment training batches on the device: crop=P (a random "
                                    "crop of the image padded by P) and/or flip (a random "
                                    "mirror), e.g. crop=4,flip", 2},
        {"warmup-epochs", 'w', "N", 0, "ramp the learning rate up linearly over the first N "
                                       "epochs (onecycle: its warm-up, default 20% of the run)", 2},
        {"nesterov", 'N', NULL, 0, "sgd with Nesterov's momentum", 2},
        {"weight-decay", 'W', "X", 0, "decoupled weight decay of the kernels, as Keras 3 applies "
                                      "it (biases and batch norm are not decayed)", 2},
        {"seed", 's', "N", 0, "seed of the weights, the shuffles and dropout (default 0)", 2},
        {"label-smoothing", 'L', "X", 0, "Keras's label smoothing of the cross-entropy: targets "
                                         "(1 - X) one-hot + X / classes (default 0)", 2},
        {"early-stopping", 'E', "N", 0, "stop when val_accuracy has not improved for N epochs, "
                                        "and evaluate the best epoch's weights", 2},
        {"device", 'd', "SPEC", 0, DEVICE_HELP " Several, comma-separated (0,1 or pocl,pocl), "
                                  "train data-parallel: one replica each", 2},
        {"split", 'P', "W:W", 0, "with several devices: each one's share of a batch (default "
                                 "equal)", 2},
        {NULL, 0, NULL, 0, "Where:", 3},
        {"out", 'o', "DIR", 0, "the run's folder (default: a new runs/<timestamp>/); one that "
                               "holds a run is refused", 3},
        {"overwrite", 'O', NULL, 0, "with --out: replace the run DIR holds", 3},
        {"resume", 'r', "DIR", 0, "continue the run in DIR, bit for bit, with the settings it "
                                  "was started with; flags that contradict them are refused, "
                                  "except --epochs, which extends the run", 3},
        {NULL, 0, NULL, 0, "Checking and measuring:", 4},
        {"crosscheck-every", 'c', "N", 0, "rerun every Nth step on the plain-C reference and "
                                          "stop if the device leaves tolerance", 4},
        {"profile", 'p', NULL, 0, "time every kernel; print a table at the end (also "
                                  "DIR/profile.csv)", 4},
        {"trace", 't', "FILE", 0, "write a Chrome trace (ui.perfetto.dev); trace a short run, "
                                  "the trace keeps its first half million records", 4},
        HELP_OPTION, {0}};
    static const command_line line = {
        options, NULL,
        "Trains a model file's CNN on a dataset folder (CIFAR-10, CIFAR-100 or MNIST-format "
        "IDX), validating on the last 20% of the training images as Keras does. After "
        "each epoch: history.csv and the last and best checkpoints; at the end: report.txt on "
        "the test set and the figures. Ctrl-C saves and says how to resume.",
        handle};
    *config = (train_config){.epochs = 25, .batch = 64, .learning_rate = 1e-3,
                             .validation_split = 0.2, .optimizer = "adam",
                             .schedule = "constant", .augment = "none"};
    int parsed = parse_command_line(&line, argc, argv, config, NULL);
    if (parsed >= 0)
        return parsed;

    if (config->resume && (config->given['o'] || config->overwrite)) {
        fprintf(stderr, "clcnn train: --resume %s continues in its own folder; --out and "
                        "--overwrite do not go with it\n", config->resume);
        return EXIT_USAGE;
    }
    /* a resumed run takes its data folder from the checkpoint, not from the defaults */
    if (!config->resume)
        config->data = data_folder(config->data);
    if (config->trace && !trace_writable(config->trace))
        return 1;
    return -1;
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

/* The learning rate of an epoch's last step: the schedule is a function of the step, so it
 * needs no storing. */
static double epoch_learning_rate(const run *r, int epoch)
{
    const clcnn_train_options *o = clcnn_trainer_options(r->trainer);
    uint64_t steps_per_epoch = (uint64_t)((r->train_count + r->config.batch - 1) / r->config.batch);
    return clcnn_learning_rate_at(o, (uint64_t)epoch * steps_per_epoch - 1);
}

static bool write_history(const run *r)
{
    if (r->ranks.rank != 0) /* rank 0 writes the job's files */
        return true;
    char path[4200], temporary[4300];
    snprintf(path, sizeof path, "%s/history.csv", r->out);
    temporary_name(temporary, sizeof temporary, path);
    FILE *file = fopen(temporary, "w");
    if (!file) {
        fprintf(stderr, "clcnn: cannot write %s: %s\n", temporary, strerror(errno));
        return false;
    }
    fprintf(file, "epoch,loss,accuracy,val_loss,val_accuracy,seconds,learning_rate\n");
    for (int i = 0; i < r->progress.history_count; i++) {
        const clcnn_history_row *row = &r->progress.history[i];
        fprintf(file, "%d,%.6f,%.6f,%.6f,%.6f,%.3f,%.6g\n", row->epoch, row->loss, row->accuracy,
                row->val_loss, row->val_accuracy, row->seconds, epoch_learning_rate(r, row->epoch));
    }
    bool ok = !ferror(file);
    ok = fclose(file) == 0 && ok && rename(temporary, path) == 0;
    if (!ok) {
        fprintf(stderr, "clcnn: cannot write %s: %s\n", path, strerror(errno ? errno : EIO));
        unlink(temporary);
    }
    return ok;
}

/* ---- the run's settings, kept in the checkpoint for --resume ----------------------------------- */

/* FNV-1a-64 of the training labels: with the count and the format, enough to tell that a
 * --data folder given at resume holds the dataset the run started on, wherever it now lives. */
static uint64_t labels_fingerprint(const clcnn_images *images)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    for (int i = 0; i < images->count; i++)
        hash = (hash ^ images->labels[i]) * 0x100000001b3ull;
    return hash;
}

static void write_settings(const run *r, char *out, size_t size)
{
    int used = snprintf(out, size,
                        "format=%s\nepochs=%ld\nvalidation_split=%.17g\noptimizer=%s\n"
                        "momentum=%.17g\nnesterov=%d\nweight_decay=%.17g\nearly_stopping=%ld\n"
                        "label_smoothing=%.17g\nschedule=%s\nwarmup_epochs=%ld\naugment=%s\n"
                        "train_images=%d\nlabels_fnv1a64=%016llx\n",
                        r->data.format, r->config.epochs, r->config.validation_split,
                        r->config.optimizer, r->config.momentum, r->config.nesterov,
                        r->config.weight_decay, r->config.patience, r->config.label_smoothing,
                        r->config.schedule, r->config.warmup_epochs, r->config.augment,
                        r->data.train.count,
                        (unsigned long long)labels_fingerprint(&r->data.train));
    /* a folder name with a newline cannot be kept; resuming then needs --data */
    if (used > 0 && (size_t)used < size && !strchr(r->config.data, '\n'))
        snprintf(out + used, size - (size_t)used, "data=%s\n", r->config.data);
}

/* The value of "key=" in settings text, or NULL; the result lives in a static buffer. */
static const char *setting(const char *settings, const char *key)
{
    static char value[4096];
    size_t length = strlen(key);
    for (const char *line = settings; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (!strncmp(line, key, length) && line[length] == '=') {
            const char *start = line + length + 1;
            size_t end = strcspn(start, "\n");
            snprintf(value, sizeof value, "%.*s", (int)end, start);
            return value;
        }
    return NULL;
}

static bool save_checkpoint(run *r, const char *name)
{
    if (r->ranks.rank != 0)
        return true;
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
    char settings[8192];
    write_settings(r, settings, sizeof settings);
    c.settings = settings;
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

/* --device A,B,... (one replica each) and --split W:W:...: r->device_specs and r->shares.
 * In an mpirun job of several ranks, each rank takes one device of the list (its rank on the
 * machine picks it) and --split gives each rank's share. */
static bool parse_devices(run *r)
{
    const char *spec = device_spec(r->config.device);
    r->devices = 0;
    for (const char *at = spec ? spec : ""; spec; at += strcspn(at, ",") + 1) {
        size_t length = strcspn(at, ",");
        if (r->devices == CLCNN_MAX_REPLICAS || length == 0 || length >= sizeof r->device_specs[0]) {
            fprintf(stderr, "clcnn train: --device '%s': expected 1 to %d device specs, comma-"
                            "separated, none empty\n", spec, CLCNN_MAX_REPLICAS);
            r->exit_status = EXIT_USAGE;
            return false;
        }
        snprintf(r->device_specs[r->devices], sizeof r->device_specs[0], "%.*s", (int)length, at);
        r->shares[r->devices++] = 1.0;
        if (!at[length])
            break;
    }
    if (!spec) { /* the default device */
        r->devices = 1;
        r->device_specs[0][0] = '\0';
        r->shares[0] = 1.0;
    }
    if (r->ranks.size > 1) {
        snprintf(r->device_specs[0], sizeof r->device_specs[0], "%s",
                 r->device_specs[r->ranks.local_rank % r->devices]);
        r->devices = 1;
    }
    const int parts = r->ranks.size > 1 ? r->ranks.size : r->devices;
    if (parts > 1 && r->config.crosscheck_every) {
        fprintf(stderr, "clcnn train: --crosscheck-every runs on one device, not %d\n", parts);
        r->exit_status = EXIT_USAGE;
        return false;
    }
    for (int k = 0; k < parts; k++)
        r->shares[k] = 1.0;
    if (!r->config.split)
        return true;
    int given = 0;
    for (const char *at = r->config.split;; at += strcspn(at, ":") + 1) {
        char *end = NULL;
        double share = strtod(at, &end);
        if (given == parts || end == at || (*end != ':' && *end) || !(share > 0)) {
            given = -1;
            break;
        }
        r->shares[given++] = share;
        if (!*end)
            break;
    }
    if (given != parts) {
        fprintf(stderr, "clcnn train: --split '%s': expected %d positive shares separated by "
                        "':', one per %s\n", r->config.split, parts,
                r->ranks.size > 1 ? "rank of the mpirun job" : "device of --device");
        r->exit_status = EXIT_USAGE;
        return false;
    }
    return true;
}

/* ---- progress ------------------------------------------------------------------------------------ */

int terminal_columns(void)
{
    struct winsize size;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
        return size.ws_col;
    const char *columns = getenv("COLUMNS");
    int from_environment = columns ? atoi(columns) : 0;
    return from_environment > 0 ? from_environment : 80;
}

/* Keras's live line, "12/625 ━━━━━━━━━━ ETA 9s - accuracy: 0.4123 - loss: 1.6234", fitted to
 * the terminal: a line that wraps leaves a new line behind at every update. The bar shrinks
 * first, then goes; what still does not fit is cut. */
static void draw_bar(int done, int total, double elapsed, double loss_sum, long correct, long seen)
{
    double per_step = done > 0 ? elapsed / done : 0.0;
    char counter[32], figures[160];
    snprintf(counter, sizeof counter, "%d/%d", done, total);
    snprintf(figures, sizeof figures, "ETA %.0fs %.0fms/step - accuracy: %.4f - loss: %.4f",
             per_step * (total - done), per_step * 1e3, seen ? (double)correct / seen : 0.0,
             seen ? loss_sum / seen : 0.0);
    int room = terminal_columns() - 1; /* the last column would wrap on some terminals */
    int width = room - (int)strlen(counter) - (int)strlen(figures) - 2;
    if (width > 20)
        width = 20;
    char line[512];
    int at = snprintf(line, sizeof line, "%s ", counter);
    if (width >= 5) {
        int filled = total > 0 ? done * width / total : width;
        for (int i = 0; i < width; i++)
            at += snprintf(line + at, sizeof line - (size_t)at, "%s",
                           i < filled ? "\xe2\x94\x81" : "\xe2\x94\x80"); /* ━ and ─ */
        at += snprintf(line + at, sizeof line - (size_t)at, " ");
    } else {
        width = 0;
    }
    snprintf(line + at, sizeof line - (size_t)at, "%s", figures);
    /* the bar's glyphs are 3 bytes and 1 column each */
    int visible = (int)strlen(line) - 2 * (width > 0 ? width : 0);
    if (visible > room && room > 0)
        line[strlen(line) - (size_t)(visible - room)] = '\0';
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
}

/* ---- set-up ---------------------------------------------------------------------------------------- */

/* A flag given with --resume must agree with the run's setting of it. */
static bool agrees(const run *r, int option, const char *flag, const char *given,
                   const char *kept)
{
    if (!r->config.given[option] || !strcmp(given, kept))
        return true;
    fprintf(stderr, "clcnn: %s %s contradicts the run in %s, which was started with %s %s; a "
                    "resumed run keeps its settings (start a new run with --out to change it)\n",
            flag, given, r->config.resume, flag, kept);
    return false;
}

/* A word setting (the optimizer, the schedule) kept as "key=" in settings, `fallback` when
 * absent: *field takes it, and a flag given for it must agree. */
static bool keep_word(const run *r, const char *settings, int option, const char *key,
                      const char *fallback, char *kept, size_t size, const char **field)
{
    const char *value = setting(settings, key);
    snprintf(kept, size, "%s", value ? value : fallback);
    char flag[32];
    snprintf(flag, sizeof flag, "--%s", key);
    bool ok = agrees(r, option, flag, *field, kept);
    *field = kept;
    return ok;
}

/* --resume: the checkpoint's state, model and settings; flags may only repeat the settings,
 * except --epochs, which may extend the run. Runs before the settings were kept (no RUNS
 * section) take the flags and defaults as they are. */
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
    r->progress = saved;
    train_config *c = &r->config;
    char text[64], kept[64];
    bool ok = true;
#define KEEP(option, flag, format, field, value)                                                   \
    snprintf(text, sizeof text, format, c->field);                                                \
    snprintf(kept, sizeof kept, format, value);                                                   \
    ok = ok && agrees(r, option, flag, text, kept);                                               \
    c->field = value
    KEEP('b', "--batch", "%ld", batch, (long)saved.batch_size);
    KEEP('l', "--lr", "%.9g", learning_rate, saved.learning_rate);
    KEEP('s', "--seed", "%ld", seed, (long)saved.seed);
    const char *settings = saved.settings;
    if (!settings) {
        fprintf(stderr, "clcnn: warning: %s keeps no run settings (an older clcnn wrote it); "
                        "the data folder, format, epochs and split come from the flags\n", path);
        c->data = data_folder(c->data);
    } else {
        const char *value = setting(settings, "validation_split");
        double split = value ? strtod(value, NULL) : c->validation_split;
        KEEP('v', "--validation-split", "%.9g", validation_split, split);
        static char optimizer[16], schedule[16], augment[64];
        ok = keep_word(r, settings, 'A', "augment", "none", augment, sizeof augment,
                       &c->augment) && ok;
        ok = ok && parse_augment(c->augment, &c->crop, &c->flip);
        ok = keep_word(r, settings, 'z', "optimizer", "adam", optimizer, sizeof optimizer,
                       &c->optimizer) && ok;
        ok = keep_word(r, settings, 'S', "schedule", "constant", schedule, sizeof schedule,
                       &c->schedule) && ok;
        value = setting(settings, "momentum");
        KEEP('M', "--momentum", "%.9g", momentum, value ? strtod(value, NULL) : 0.0);
        value = setting(settings, "weight_decay");
        KEEP('W', "--weight-decay", "%.9g", weight_decay, value ? strtod(value, NULL) : 0.0);
        value = setting(settings, "warmup_epochs");
        KEEP('w', "--warmup-epochs", "%ld", warmup_epochs, value ? strtol(value, NULL, 10) : 0L);
        value = setting(settings, "label_smoothing");
        KEEP('L', "--label-smoothing", "%.9g", label_smoothing, value ? strtod(value, NULL) : 0.0);
        value = setting(settings, "early_stopping");
        KEEP('E', "--early-stopping", "%ld", patience, value ? strtol(value, NULL, 10) : 0L);
        value = setting(settings, "nesterov");
        const bool nesterov = value && !strcmp(value, "1");
        if (c->nesterov && !nesterov && !agrees(r, 'N', "--nesterov", "on", "off"))
            ok = false;
        c->nesterov = nesterov;
        value = setting(settings, "format");
        if (value && c->format && !agrees(r, 'f', "--format", c->format, value))
            ok = false;
        static char format[64], data[4096];
        snprintf(format, sizeof format, "%s", value ? value : "");
        c->format = value ? format : c->format;
        /* --data may name where the same dataset now lives; the fingerprint decides later */
        value = setting(settings, "data");
        if (!c->given['D'] && !value) {
            fprintf(stderr, "clcnn: %s does not say where its data was; give --data\n", path);
            ok = false;
        }
        snprintf(data, sizeof data, "%s", value ? value : "");
        c->data = c->given['D'] ? c->data : data;
        value = setting(settings, "epochs");
        long epochs = value ? strtol(value, NULL, 10) : c->epochs;
        if (c->given['e'] && c->epochs < saved.epochs_done) {
            fprintf(stderr, "clcnn: --epochs %ld: the run in %s has already trained %d epochs\n",
                    c->epochs, c->resume, saved.epochs_done);
            ok = false;
        } else if (c->given['e'] && c->epochs != epochs) {
            const char *kept_schedule = setting(settings, "schedule");
            bool scheduled = kept_schedule && strcmp(kept_schedule, "constant");
            fprintf(stderr, "clcnn: the run was started for %ld epochs; --epochs %ld %s it%s\n",
                    epochs, c->epochs, c->epochs > epochs ? "extends" : "shortens",
                    scheduled ? " (its learning-rate schedule now spans the new length)" : "");
        } else {
            c->epochs = epochs;
        }
    }
#undef KEEP
    if (!ok)
        return false;
    /* the run's own model, unless --model names one (which must then be the same) */
    if (!c->model && clcnn_model_parse(saved.model_text, path, &r->model) != CLCNN_OK) {
        report_failure(CLCNN_ERROR_FORMAT, "reading the checkpoint's model");
        return false;
    }
    if (c->model && !(r->model = load_model(c->model)))
        return false;
    char description[65536];
    clcnn_model_describe(r->model, description, sizeof description);
    if (strcmp(description, saved.model_text) != 0 ||
        saved.parameter_count != clcnn_model_parameter_count(r->model)) {
        fprintf(stderr, "clcnn: %s holds a different model:\n%s\nexpected:\n%s", path,
                saved.model_text, description);
        return false;
    }
    return true;
}

/* The data loaded for a resumed run must be the data it started on. */
static bool same_data(const run *r)
{
    const char *settings = r->progress.settings;
    const char *value = settings ? setting(settings, "train_images") : NULL;
    if (!value)
        return true;
    long images = strtol(value, NULL, 10);
    char fingerprint[32];
    snprintf(fingerprint, sizeof fingerprint, "%016llx",
             (unsigned long long)labels_fingerprint(&r->data.train));
    value = setting(settings, "labels_fnv1a64");
    if (images == r->data.train.count && value && !strcmp(value, fingerprint))
        return true;
    fprintf(stderr, "clcnn: %s is not the dataset the run in %s started on: it holds %d "
                    "training images with labels checksum %s, the run's had %ld images with %s\n",
            r->config.data, r->config.resume, r->data.train.count, fingerprint, images,
            value ? value : "(none kept)");
    return false;
}

/* The folder of a new run: --out, else runs/<timestamp>, with -2, -3... when two runs start in
 * the same second. */
static void choose_folder(run *r)
{
    if (r->config.out) {
        snprintf(r->out, sizeof r->out, "%s", r->config.out);
        return;
    }
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    snprintf(r->out, sizeof r->out, "runs/%s", stamp);
    struct stat info;
    for (int suffix = 2; stat(r->out, &info) == 0; suffix++)
        snprintf(r->out, sizeof r->out, "runs/%s-%d", stamp, suffix);
}

static bool setup(run *r)
{
    r->exit_status = 1;
    if (r->config.resume) {
        snprintf(r->out, sizeof r->out, "%s", r->config.resume);
        if ((r->ranks.rank == 0 && !claim_run_folder(r->out, true, false)) || !restore(r))
            return false;
    } else {
        /* the model first: its train line may set the batch, the split and the epochs */
        if (!(r->model = load_model(r->config.model)))
            return false;
        if (!apply_train_line(&r->config, r->model, r->config.model ? r->config.model : "the model")) {
            r->exit_status = EXIT_USAGE;
            return false;
        }
    }
    const clcnn_context_options options = {.profiling = r->config.profile,
                                           .trace = r->config.trace != NULL};
    if (!parse_devices(r))
        return false;
    clcnn_status status = CLCNN_OK;
    for (int k = 0; k < r->devices && status == CLCNN_OK; k++) {
        clcnn_context **context = k ? &r->more_contexts[k - 1] : &r->context;
        status = clcnn_context_create(r->device_specs[k][0] ? r->device_specs[k] : NULL, &options,
                                      context);
        if (status == CLCNN_OK)
            print_device_header(clcnn_context_device(*context));
    }
    if (status != CLCNN_OK) {
        r->exit_status = report_failure(status, "opening the device");
        return false;
    }
    status = clcnn_dataset_load(r->config.data, r->config.format, CLCNN_DATA_ALL, &r->data);
    if (status != CLCNN_OK) {
        r->exit_status = report_failure(status, "loading the data");
        return false;
    }
    if (r->config.resume && !same_data(r))
        return false;
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
    if (!model_fits_data(r->model, &r->data.train, r->data.classes, r->config.data))
        return false;
    r->train_source = clcnn_images_source(&r->data.train, r->data.classes);
    r->test_source = clcnn_images_source(&r->data.test, r->data.classes);
    if (r->config.batch > r->train_count) {
        fprintf(stderr, "clcnn: --batch %ld is larger than the %d training images\n",
                r->config.batch, r->train_count);
        return false;
    }
    print_model_summary(stdout, r->model);
    clcnn_train_options train = clcnn_train_defaults();
    train.batch_size = (int)r->config.batch;
    train.learning_rate = r->config.learning_rate;
    train.optimizer = strcmp(r->config.optimizer, "sgd") ? CLCNN_OPTIMIZER_ADAM : CLCNN_OPTIMIZER_SGD;
    train.momentum = r->config.momentum;
    train.nesterov = r->config.nesterov;
    train.weight_decay = r->config.weight_decay;
    train.label_smoothing = r->config.label_smoothing;
    train.augment_pad = (int)r->config.crop;
    train.augment_mirror = r->config.flip;
    const uint64_t steps_per_epoch = (uint64_t)((r->train_count + r->config.batch - 1) / r->config.batch);
    const char *const schedules[] = {"constant", "step", "cosine", "onecycle"};
    for (int k = 0; k < 4; k++)
        if (!strcmp(r->config.schedule, schedules[k]))
            train.schedule = (clcnn_schedule)k;
    train.total_steps = steps_per_epoch * (uint64_t)r->config.epochs;
    train.warmup_steps = steps_per_epoch * (uint64_t)r->config.warmup_epochs;
    train.seed = (uint64_t)r->config.seed;
    if (r->devices > 1) {
        clcnn_context *contexts[CLCNN_MAX_REPLICAS] = {r->context};
        memcpy(contexts + 1, r->more_contexts, (size_t)(r->devices - 1) * sizeof *contexts);
        status = clcnn_replicas_create(contexts, r->devices, r->shares, r->model, &train,
                                       &r->replicas);
        if (status == CLCNN_OK)
            r->trainer = clcnn_replicas_trainer(r->replicas, 0);
        if (status == CLCNN_OK && r->config.resume)
            status = clcnn_replicas_set_state(r->replicas, r->progress.parameters, r->progress.m,
                                              r->progress.v, r->progress.steps);
    } else {
        status = clcnn_trainer_create(r->context, r->model, &train, &r->trainer);
        if (status == CLCNN_OK && r->config.resume)
            status = clcnn_trainer_set_state(r->trainer, r->progress.parameters, r->progress.m,
                                             r->progress.v, r->progress.steps);
        /* the images on the device when they fit; else each step uploads its batch */
        const char *keep = getenv("CLCNN_RESIDENT");
        if (status == CLCNN_OK && r->ranks.size == 1 && !(keep && !strcmp(keep, "0")))
            status = clcnn_trainer_keep_images(r->trainer, &r->data.train, &r->resident);
        r->waitless = r->ranks.size == 1;
    }
    if (status == CLCNN_OK && r->ranks.size > 1) {
        const size_t floats = clcnn_trainer_gradient_count(r->trainer) + 1;
        r->rank_state.gradients = malloc(floats * sizeof(float));
        r->rank_state.sum = malloc(floats * sizeof(float));
        if (!r->rank_state.gradients || !r->rank_state.sum) {
            fprintf(stderr, "clcnn: out of host memory for the gradients of %zu floats\n", floats);
            return false;
        }
    }
    if (status == CLCNN_OK && r->config.crosscheck_every) {
        status = clcnn_context_create("ref", NULL, &r->reference_context);
        if (status == CLCNN_OK)
            status = clcnn_trainer_create(r->reference_context, r->model, &train, &r->reference);
    }
    if (status != CLCNN_OK) {
        report_failure(status, "preparing training");
        return false;
    }
    /* a new run's folder is made only once everything else is ready, so a run that cannot
     * start leaves nothing behind */
    if (!r->config.resume) {
        choose_folder(r);
        if (r->ranks.rank == 0 && !claim_run_folder(r->out, false, r->config.overwrite))
            return false;
    }
    r->order = malloc((size_t)r->train_count * sizeof(int32_t));
    r->interactive = isatty(STDERR_FILENO);
    status = clcnn_batch_create(&r->train_source, (int)r->config.batch, &r->batch);
    if (status != CLCNN_OK) {
        report_failure(status, "preparing training");
        return false;
    }
    atomic_store(&phase, PHASE_TRAINING);
    printf("Training on %d images, validating on %d (the last %.0f%%), batch %ld, %ld epochs; "
           "output in %s\n",
           r->train_count, r->validation_count, 100 * r->config.validation_split, r->config.batch,
           r->config.epochs, r->out);
    printf("Optimizer: %s, lr %g", r->config.optimizer, r->config.learning_rate);
    if (strcmp(r->config.schedule, "constant") || r->config.warmup_epochs)
        printf(" on a %s schedule%s", r->config.schedule,
               r->config.warmup_epochs ? " with warm-up" : "");
    if (!strcmp(r->config.optimizer, "sgd"))
        printf(", momentum %g%s", r->config.momentum, r->config.nesterov ? " (Nesterov)" : "");
    if (r->config.weight_decay > 0)
        printf(", weight decay %g on the kernels", r->config.weight_decay);
    if (r->config.label_smoothing > 0)
        printf("; label smoothing %g", r->config.label_smoothing);
    if (strcmp(r->config.augment, "none"))
        printf("; augmentation %s", r->config.augment);
    printf("\n");
    if (r->ranks.size > 1) {
        int first[CLCNN_MAX_REPLICAS], counts[CLCNN_MAX_REPLICAS];
        clcnn_split_batch(r->shares, r->ranks.size, (int)r->config.batch, first, counts);
        printf("Data-parallel over %d ranks of an mpirun job, one device each; a batch of %ld "
               "splits", r->ranks.size, r->config.batch);
        for (int k = 0; k < r->ranks.size; k++)
            printf("%s%d", k ? ":" : " ", counts[k]);
        printf("; gradients summed in rank order\n");
    }
    if (r->replicas) {
        int first[CLCNN_MAX_REPLICAS], counts[CLCNN_MAX_REPLICAS];
        clcnn_replicas_split(r->replicas, (int)r->config.batch, first, counts);
        printf("Data-parallel on %d devices, one replica each; a batch of %ld splits", r->devices,
               r->config.batch);
        for (int k = 0; k < r->devices; k++)
            printf("%s%d", k ? ":" : " ", counts[k]);
        printf("; gradients summed in device order\n");
    }
    fflush(stdout);
    return r->order != NULL;
}

static void teardown(run *r)
{
    clcnn_trainer_destroy(r->reference);
    clcnn_context_destroy(r->reference_context);
    if (r->replicas)
        clcnn_replicas_destroy(r->replicas);
    else
        clcnn_trainer_destroy(r->trainer);
    clcnn_context_destroy(r->context);
    for (int k = 0; k + 1 < r->devices; k++)
        clcnn_context_destroy(r->more_contexts[k]);
    free(r->rank_state.gradients);
    free(r->rank_state.sum);
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

/* Adds the totals of the resident steps run since the last collect to the epoch's, in step
 * order (the same sums, in the same order, as steps that return their totals). */
static bool collect(run *r)
{
    if (!r->waitless)
        return true;
    const clcnn_batch_totals *totals;
    int count = 0;
    clcnn_status status = clcnn_trainer_collect(r->trainer, &totals, &count);
    for (int k = 0; status == CLCNN_OK && k < count; k++) {
        r->progress.epoch_loss_sum += totals[k].loss_sum;
        r->progress.epoch_correct += totals[k].correct;
        r->progress.epoch_seen += totals[k].count;
    }
    if (status != CLCNN_OK) {
        if (r->interactive)
            fprintf(stderr, "\n");
        report_failure(status, "a training step");
    }
    return status == CLCNN_OK;
}

/* One step of an mpirun job: this rank's share of the batch (its dropout and augmentation
 * keyed by its place in the whole batch), the gradients summed over the ranks in rank order,
 * the same update on every rank, the totals (and any rank's stop request) summed alike. A
 * failure on one rank ends the job, naming the rank and its host. */
static bool rank_step(run *r, int first, int count)
{
    int firsts[CLCNN_MAX_REPLICAS], counts[CLCNN_MAX_REPLICAS];
    clcnn_split_batch(r->shares, r->ranks.size, count, firsts, counts);
    const int rank = r->ranks.rank, mine = counts[rank];
    if (mine > 0) {
        clcnn_status status = clcnn_batch_fill(&r->batch, &r->train_source,
                                               r->order + first + firsts[rank], mine);
        if (status != CLCNN_OK)
            ranks_abort(&r->ranks, clcnn_last_error());
    }
    rank_totals sums;
    ranks_train_step(&r->ranks, r->trainer, &r->rank_state, r->batch.x, r->batch.labels, mine,
                     firsts[rank], count, stop_requested() != 0, &sums);
    r->progress.epoch_loss_sum += sums.loss_sum;
    r->progress.epoch_correct += (long)sums.correct;
    r->progress.epoch_seen += (long)sums.count;
    r->stop_all = sums.stop != 0;
    return true;
}

/* Whether to stop after this step: a signal here, or, in an mpirun job, on any rank (every
 * rank stops at the same step). */
static bool stop_now(const run *r)
{
    return r->ranks.size > 1 ? r->stop_all : stop_requested() != 0;
}

/* One training step on order positions first.. of this epoch, cross-checked against the
 * reference every --crosscheck-every steps. On one device a step leaves its totals on it
 * (collect() adds them): the images kept there, or the batch uploaded without waiting;
 * cross-checks and replicas add theirs here. Prints why and returns false when the
 * step fails or leaves tolerance. */
static bool step(run *r, int first, int count)
{
    if (r->ranks.size > 1)
        return rank_step(r, first, count);
    uint64_t step_number = clcnn_trainer_steps(r->trainer) + 1;
    bool check = r->reference && step_number % (uint64_t)r->config.crosscheck_every == 0;
    if (r->waitless && !check) {
        clcnn_status status = CLCNN_OK;
        if (r->resident) {
            status = clcnn_trainer_train_kept(r->trainer, first, count);
        } else {
            status = clcnn_batch_fill(&r->batch, &r->train_source, r->order + first, count);
            if (status == CLCNN_OK)
                status = clcnn_trainer_train_batch(r->trainer, r->batch.x, r->batch.labels, count);
        }
        if (status != CLCNN_OK) {
            if (r->interactive)
                fprintf(stderr, "\n");
            report_failure(status, "a training step");
        }
        return status == CLCNN_OK;
    }
    if (check && !collect(r)) /* earlier steps' totals first */
        return false;
    clcnn_crosscheck_report report;
    clcnn_batch_totals totals;
    clcnn_status status = clcnn_batch_fill(&r->batch, &r->train_source, r->order + first, count);
    if (status == CLCNN_OK && r->replicas)
        status = clcnn_replicas_train_step(r->replicas, r->batch.x, r->batch.labels, count, &totals);
    else if (status == CLCNN_OK)
        status = check ? clcnn_trainer_crosscheck(r->trainer, r->reference, r->batch.x,
                                                  r->batch.labels, count, &totals, &report)
                       : clcnn_trainer_train_step(r->trainer, r->batch.x, r->batch.labels, count,
                                                  &totals);
    if (r->interactive && (check || status != CLCNN_OK))
        fprintf(stderr, "\n");
    if (status != CLCNN_OK) {
        report_failure(status, "a training step");
        return false;
    }
    r->progress.epoch_loss_sum += totals.loss_sum;
    r->progress.epoch_correct += totals.correct;
    r->progress.epoch_seen += totals.count;
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

/* At each epoch's end every rank takes rank 0's state where it may differ: its batch-norm
 * moving statistics (each rank's follow its own share; rank 0's are the ones evaluated and
 * saved), and its trainable weights when their hash differs from rank 0's (devices that round
 * differently; said). */
static bool check_ranks(run *r)
{
    const size_t floats = clcnn_trainer_gradient_count(r->trainer) + 1;
    float *trainable = malloc(3 * floats * sizeof(float));
    if (!trainable)
        ranks_abort(&r->ranks, "out of host memory comparing the ranks' weights");
    clcnn_status status = clcnn_trainer_read_trainable(r->trainer, trainable, trainable + floats,
                                                       trainable + 2 * floats);
    if (status != CLCNN_OK)
        ranks_abort(&r->ranks, clcnn_last_error());
    unsigned long long hash = 0xcbf29ce484222325ULL;
    const unsigned char *bytes = (const unsigned char *)trainable;
    for (size_t i = 0; i < 3 * (floats - 1) * sizeof(float); i++)
        hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
    free(trainable);
    bool agree = true;
    if (!ranks_agree(&r->ranks, hash, &agree))
        ranks_abort(&r->ranks, "out of host memory comparing the ranks' weights");
    const size_t count = clcnn_model_parameter_count(r->model);
    const bool buffers = count != clcnn_model_trainable_parameter_count(r->model);
    if (!agree)
        printf("the ranks' weights differ (devices that round differently); rank 0's copied to "
               "the others\n");
    if (agree && !buffers)
        return true;
    float *state = malloc(3 * count * sizeof(float));
    if (!state)
        ranks_abort(&r->ranks, "out of host memory sharing rank 0's weights");
    status = clcnn_trainer_get_state(r->trainer, state, state + count, state + 2 * count);
    if (status == CLCNN_OK && ranks_share_floats(&r->ranks, state, 3 * count))
        status = clcnn_trainer_set_state(r->trainer, state, state + count, state + 2 * count,
                                         clcnn_trainer_steps(r->trainer));
    free(state);
    if (status != CLCNN_OK)
        ranks_abort(&r->ranks, clcnn_last_error());
    return true;
}

/* At each epoch's end every replica takes replica 0's state where it may differ: its
 * batch-norm moving statistics (each replica's follow its own share; replica 0's are the ones
 * evaluated and saved), and its trainable weights when they drifted from replica 0's (devices
 * that round differently; said, with how much). */

static bool check_replicas(run *r)
{
    if (r->ranks.size > 1)
        return check_ranks(r);
    if (!r->replicas)
        return true;
    double drift = 0;
    clcnn_status status = clcnn_replicas_compare(r->replicas, &drift);
    const size_t count = clcnn_model_parameter_count(r->model);
    const bool buffers = count != clcnn_model_trainable_parameter_count(r->model);
    if (status == CLCNN_OK && drift > 0)
        printf("the replicas' weights differ by up to %.3g (devices that round differently); "
               "replica 0's copied to the others\n", drift);
    if (status == CLCNN_OK && (drift > 0 || buffers)) {
        float *state = malloc(3 * count * sizeof(float));
        status = state ? clcnn_trainer_get_state(r->trainer, state, state + count, state + 2 * count)
                       : CLCNN_ERROR_ALLOCATION;
        if (status == CLCNN_OK)
            status = clcnn_replicas_set_state(r->replicas, state, state + count, state + 2 * count,
                                              clcnn_trainer_steps(r->trainer));
        free(state);
    }
    if (status != CLCNN_OK)
        report_failure(status, "comparing the replicas");
    return status == CLCNN_OK;
}

/* One epoch, from wherever the progress says it stopped. Returns 1 when finished, 0 when
 * interrupted (state saved), -1 on failure. */
static int run_epoch(run *r, int epoch)
{
    clcnn_checkpoint *p = &r->progress;
    int total = (r->train_count + (int)r->config.batch - 1) / (int)r->config.batch;
    clcnn_shuffle((uint64_t)r->config.seed, (uint64_t)epoch, r->order, r->train_count);
    if (r->resident) {
        clcnn_status status = clcnn_trainer_plan_epoch(r->trainer, r->order, r->train_count,
                                                       p->epoch_batches_done);
        if (status != CLCNN_OK) {
            report_failure(status, "planning the epoch");
            return -1;
        }
    }
    /* Keras names the epoch before it starts, so the live line has a heading */
    if (p->epoch_batches_done)
        printf("Epoch %d/%ld (resumed after step %d)\n", epoch, r->config.epochs,
               p->epoch_batches_done);
    else
        printf("Epoch %d/%ld\n", epoch, r->config.epochs);
    fflush(stdout);
    double start = seconds_now() - p->epoch_seconds, last_draw = 0.0;
    /* a resident run reads its totals back only to draw (at most twice a second), to stop, and
     * at the epoch's end */
    const double draw_interval = r->waitless ? 0.5 : 0.1;
    for (int batch = p->epoch_batches_done; batch < total; batch++) {
        int first = batch * (int)r->config.batch;
        int count = r->train_count - first < r->config.batch ? r->train_count - first : (int)r->config.batch;
        if (!step(r, first, count))
            return -1;
        p->epoch_batches_done = batch + 1;
        double now = seconds_now();
        p->epoch_seconds = now - start;
        const bool draw = r->interactive && (now - last_draw > draw_interval || batch + 1 == total);
        const bool stopping = stop_now(r) && batch + 1 < total;
        if ((draw || stopping || batch + 1 == total) && !collect(r))
            return -1;
        if (draw) {
            draw_bar(batch + 1, total, now - start, p->epoch_loss_sum,
                     (long)p->epoch_correct, (long)p->epoch_seen);
            last_draw = now;
        }
        if (stopping) {
            if (r->interactive)
                fprintf(stderr, "\n");
            if (!save_checkpoint(r, "checkpoint-last.ckpt"))
                return -1;
            if (r->ranks.rank == 0)
                fprintf(stderr,
                        "clcnn: stopped by %s after step %d/%d of epoch %d; saved "
                        "%s/checkpoint-last.ckpt\nresume with: clcnn train --resume %s\n",
                        stop_requested() ? signal_name(stop_requested()) : "a signal to another rank",
                        batch + 1, total, epoch, r->out, r->out);
            return 0;
        }
    }
    if (!check_replicas(r))
        return -1;
    double val_loss = 0, val_accuracy = 0;
    clcnn_status status = clcnn_evaluate(r->trainer, &r->train_source, r->train_count,
                                         r->validation_count, &val_loss, &val_accuracy, NULL);
    if (status != CLCNN_OK) {
        report_failure(status, "validation");
        return -1;
    }
    double seconds = seconds_now() - start;
    /* an mpirun job decides (best epoch, early stopping) on rank 0's numbers everywhere */
    double shared[3] = {val_loss, val_accuracy, seconds};
    ranks_share(&r->ranks, shared, 3);
    val_loss = shared[0], val_accuracy = shared[1], seconds = shared[2];
    clcnn_history_row row = {epoch, p->epoch_loss_sum / p->epoch_seen,
                             (double)p->epoch_correct / p->epoch_seen, val_loss, val_accuracy,
                             seconds};
    if (!append_history(r, row))
        return -1;
    if (r->interactive)
        fprintf(stderr, "\r\033[K");
    printf("%d/%d - %.0fs %.0fms/step - accuracy: %.4f - loss: %.4f - val_accuracy: %.4f - "
           "val_loss: %.4f - learning_rate: %.4g\n",
           total, total, seconds, seconds / total * 1e3, row.accuracy, row.loss, row.val_accuracy,
           row.val_loss, epoch_learning_rate(r, epoch));
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

/* --early-stopping: whether val_accuracy has gone `patience` epochs without improving. */
static bool patience_spent(const run *r)
{
    const clcnn_checkpoint *p = &r->progress;
    return r->config.patience > 0 && p->best_epoch > 0 &&
           p->epochs_done - p->best_epoch >= r->config.patience;
}

/* Early stopping ends with the best epoch's weights, as Keras's restore_best_weights does:
 * they are read back from checkpoint-best.ckpt. checkpoint-last.ckpt keeps the last state. */
static bool restore_best(run *r)
{
    const clcnn_checkpoint *p = &r->progress;
    printf("Early stopping: val_accuracy has not improved for %d epochs (best %.4f at epoch %d); "
           "evaluating that epoch's weights\n",
           p->epochs_done - p->best_epoch, p->best_val_accuracy, p->best_epoch);
    char path[4200];
    snprintf(path, sizeof path, "%s/checkpoint-best.ckpt", r->out);
    clcnn_checkpoint best;
    clcnn_status status = clcnn_checkpoint_read(path, &best);
    if (status != CLCNN_OK) {
        report_failure(status, "restoring the best epoch's weights");
        return false;
    }
    if (best.parameter_count != clcnn_model_parameter_count(r->model)) {
        fprintf(stderr, "clcnn: %s holds another model than the run's\n", path);
        clcnn_checkpoint_free(&best);
        return false;
    }
    status = clcnn_trainer_set_state(r->trainer, best.parameters, best.m, best.v, best.steps);
    clcnn_checkpoint_free(&best);
    if (status != CLCNN_OK) {
        report_failure(status, "restoring the best epoch's weights");
        return false;
    }
    r->model_epoch = p->best_epoch;
    return true;
}

static bool finish(run *r)
{
    if (r->ranks.rank != 0) /* rank 0 evaluates and writes the job's report and figures */
        return true;
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
             count, r->config.data, r->data.test_name,
             r->model_epoch ? r->model_epoch : r->progress.epochs_done, loss, accuracy);
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
               "report.txt, accuracy.png, loss.png, confusion.png, samples.png\n", r->out);
    return ok;
}

int command_train(int argc, char **argv)
{
    run r = {0};
    int parsed = parse_train_flags(argc, argv, &r.config);
    if (parsed >= 0)
        return parsed;
    if (!watch_signals())
        return 1;
    /* after the signals are blocked: MPI's threads inherit the mask too */
    if (!ranks_start(&r.ranks, &argc, &argv))
        return 1;
    if (r.ranks.rank != 0 && !freopen("/dev/null", "w", stdout)) /* rank 0 speaks for the job */
        ranks_abort(&r.ranks, "cannot quiet this rank's output");
    int result = 1;
    if (!setup(&r)) {
        result = r.exit_status;
        if (r.ranks.size > 1) /* the other ranks would wait for this one forever */
            ranks_abort(&r.ranks, "its set-up failed (see above)");
    } else {
        result = 0;
        for (int epoch = r.progress.epochs_done + 1; epoch <= r.config.epochs && !patience_spent(&r);
             epoch++) {
            int outcome = run_epoch(&r, epoch);
            if (outcome < 0 && r.ranks.size > 1)
                ranks_abort(&r.ranks, "training failed (see above)");
            if (outcome <= 0) {
                result = outcome == 0 ? 130 : 1;
                break;
            }
            if (stop_now(&r) && epoch < r.config.epochs) {
                fprintf(stderr, "clcnn: stopped after epoch %d; resume with: clcnn train "
                                "--resume %s\n", epoch, r.out);
                result = 130;
                break;
            }
        }
        if (result == 0 && patience_spent(&r) && !restore_best(&r))
            result = 1;
        if (result == 0 && !finish(&r))
            result = 1;
        char csv[4200];
        snprintf(csv, sizeof csv, "%s/profile.csv", r.out);
        if (r.config.profile && r.ranks.rank == 0 && !report_profile(r.context, csv))
            result = 1;
        if (r.config.trace && r.ranks.rank == 0) {
            struct json_object *events = trace_new();
            bool traced = trace_append(events, r.context, 1);
            if (!trace_write(events, r.config.trace) || !traced)
                result = 1;
        }
    }
    teardown(&r);
    ranks_stop(&r.ranks);
    return result;
}
