/* Shared pieces of the clcnn command-line tool. Only the tool prints and exits; the library
 * returns statuses and messages. */
#ifndef CLCNN_CLI_H
#define CLCNN_CLI_H

#include <clcnn/clcnn.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit statuses: 0 success, 1 failure, 2 bad usage or no such device. */
enum { EXIT_USAGE = 2 };

int command_devices(int argc, char **argv);
int command_check(int argc, char **argv);
int command_build(int argc, char **argv);
int command_summary(int argc, char **argv);
int command_train(int argc, char **argv);
int command_eval(int argc, char **argv);
int command_predict(int argc, char **argv);
int command_bench(int argc, char **argv);
int command_profile(int argc, char **argv);
int command_tune(int argc, char **argv);

/* A command's command line (options.c): its options as argp's table (each ends with the
 * common {"help", 'h', 0, 0, ...} entry, HELP_OPTION), the operands it takes ("IMAGE..."; NULL
 * for none) and its description. handle() takes one option; it prints why and returns false
 * for a bad value. */
#include <argp.h>
typedef struct command_line {
    const struct argp_option *options;
    const char *operands;
    const char *doc;
    bool (*handle)(int key, const char *arg, void *config);
} command_line;
/* a number's macro as a string, for help texts: CLI_STRING(WARMUP_STEPS) is "3" */
#define CLI_STRING_(x) #x
#define CLI_STRING(x) CLI_STRING_(x)
#define DEVICE_HELP "the device (default: $CLCNN_DEVICE, else the first GPU, else the first CPU)"
#define USAGE_KEY 0x100
#define HELP_OPTION                                                                           \
    {"help", 'h', NULL, 0, "print this help and exit", -1},                                   \
    {"usage", USAGE_KEY, NULL, 0, "print a short usage message and exit", -1}

/* Parses argv (argv[0] is "clcnn COMMAND") into config. Returns -1 to go on, with the index
 * of the first operand in *first_operand (argc when none); otherwise the exit status: 0 after
 * -h/--help, EXIT_USAGE after a bad command line (argp or handle() has said why). */
int parse_command_line(const command_line *command, int argc, char **argv, void *config,
                       int *first_operand);

/* Prints "clcnn: <message>" and the library's last error to stderr; returns 1, or
 * EXIT_USAGE for CLCNN_ERROR_NO_DEVICE and CLCNN_ERROR_INVALID_ARGUMENT. */
int report_failure(clcnn_status status, const char *doing);

/* The device spec from --device, else CLCNN_DEVICE, else NULL (the default device). */
const char *device_spec(const char *from_flag);

/* The dataset folder from --data, else CLCNN_DATA, else data/cifar-10-batches-bin. */
const char *data_folder(const char *from_flag);

/* The model file from --model, else examples/cifar10-tutorial.model beside the program's
 * source or install, else the tutorial's model as clcnn_model_seed() builds it. Prints why
 * and returns NULL on failure. */
clcnn_model *load_model(const char *from_flag);

/* "Device: <name> (<platform>, driver <version>)" on stderr, at the start of every command. */
void print_device_header(const clcnn_device_info *device);

/* A context on the device spec names (options may be NULL), its header printed. Returns 0,
 * or, having reported why, the exit status for the failure. */
int open_device(const char *spec, const clcnn_context_options *options, clcnn_context **context);

/* "platform:device" of every device but simulators, at most `capacity`, for --device all.
 * Returns 0, or, having reported why, the exit status for the failure. */
int every_device_spec(char specs[][32], int capacity, int *count);

/* Parses a whole positive integer in [minimum, maximum]; on failure prints an error naming
 * the flag and returns false. */
bool parse_int_flag(const char *flag, const char *text, long minimum, long maximum, long *value);

/* Parses a finite number in [minimum, maximum]; on failure prints an error naming the flag. */
bool parse_double_flag(const char *flag, const char *text, double minimum, double maximum,
                       double *value);

/* Creates the folder and its parents; prints why not and returns false on failure. */
bool make_output_dir(const char *path);

/* run_folder.c: the folder a training run owns. claim_run_folder creates and locks it for the
 * life of the process, removes temporary files that killed processes left, and refuses a
 * folder holding an earlier run unless resume (continue it) or overwrite (remove its files). */
bool claim_run_folder(const char *folder, bool resume, bool overwrite);
bool folder_holds_run(const char *folder);
/* "PATH.tmp.PID": every file clcnn replaces is written under this name, then renamed. */
void temporary_name(char *out, size_t size, const char *path);

/* Columns of the terminal on stderr (TIOCGWINSZ), else $COLUMNS, else 80. */
int terminal_columns(void);

/* A Keras-style model summary: layer (type), output shape as (None, H, W, C), parameters,
 * and what each layer is connected to when the model is not a plain chain. */
void print_model_summary(FILE *out, const clcnn_model *model);

/* The dataset's shape and classes against the model's; prints which is which. */
bool model_fits_data(const clcnn_model *model, const clcnn_images *images, int classes,
                     const char *folder);

/* scikit-learn's classification report, then the confusion matrix as counts. The matrix
 * ([classes, classes], rows: true class) is malloc'ed; NULL when out of memory. */
long *confusion_counts(const uint8_t *labels, const int32_t *predictions, int count, int classes);
void print_report(FILE *out, const char (*names)[CLCNN_CLASS_NAME_BYTES], int classes,
                  const uint8_t *labels, const int32_t *predictions, int count);
bool write_report_file(const char *path, const char (*names)[CLCNN_CLASS_NAME_BYTES], int classes,
                       const uint8_t *labels, const int32_t *predictions, int count,
                       const char *heading);

/* accuracy.png (history), confusion.png (test predictions; skipped when NULL) and
 * samples.png (the first 25 training images) in folder, drawn with cairo. */
bool draw_figures(const char *folder, const clcnn_dataset *data, const clcnn_history_row *history,
                  int history_count, const int32_t *predictions);
bool draw_confusion(const char *path, const clcnn_dataset *data, const int32_t *predictions);
/* Returns cairo's and fontconfig's process-wide caches; call once, after the last figure. */
void release_figure_caches(void);

double seconds_now(void);

/* Prints the per-kernel profile of a profiling context, and writes it as CSV when csv_path. */
bool report_profile(clcnn_context *context, const char *csv_path);

/* The fixed workload of bench and profile (workload.c): the tutorial's model, or the model file
 * model_path when not NULL, at batch 64 on synthetic images, every kernel built, weights
 * initialised. Steps alternate between two batches of the images. workload_open prints why it
 * failed and sets exit_status. */
#define WORKLOAD_BATCH 64
typedef struct workload {
    clcnn_context *context;
    clcnn_model *model;
    clcnn_trainer *trainer;
    clcnn_images images;
    clcnn_batch batch;
    int32_t order[2 * WORKLOAD_BATCH];
    size_t image_floats; /* channels x height x width of one image */
    bool resident;       /* the images are kept on the device (clcnn_trainer_keep_images) */
    int exit_status;
} workload;
/* clcnn bench --device A,B,... (bench_replicas.c): data-parallel replicas at a batch of 64 a
 * device against one device; the exit status. */
int bench_replicas(const char *spec, const char *model_path, int steps, bool json);
/* mpirun -np N clcnn bench: a rank per device (bench_replicas.c); the exit status. */
int bench_ranks(const char *spec, const char *model_path, int steps, bool json);

/* count synthetic images of the model's input (random pixels and labels from a fixed seed),
 * and the same as a float batch in order; false when out of memory. */
bool workload_images(const clcnn_model *model, int count, clcnn_images *images,
                     clcnn_batch *batch);
bool workload_open(workload *w, const char *spec, const clcnn_context_options *options,
                   const char *model_path);
/* One training step (forward, backward, Adam), the queue drained; *syncs: the host
 * synchronisations the step itself made (not the drain). */
clcnn_status workload_step(workload *w, int step, uint64_t *syncs);
/* steps that do not wait, back to back (resident: the images kept on the device, which needs
 * w->resident; else host batches uploaded without waiting), their totals collected at the
 * end, then the queue drained; *syncs: the synchronisations before the drain. */
clcnn_status workload_waitless_steps(workload *w, bool resident, int steps, uint64_t *syncs);
/* One validation batch: forward with dropout off, loss and accuracy read back. */
clcnn_status workload_evaluate(workload *w);
void workload_close(workload *w);

/* --trace: Chrome trace-event JSON. trace_append adds one context's records (created with
 * options.trace) as process `process`; trace_write saves the file and takes `events`. */
struct json_object;
struct json_object *trace_new(void);
/* Creates the file (and its folder) early, so that a bad path fails before the run, not after. */
bool trace_writable(const char *path);
bool trace_append(struct json_object *events, clcnn_context *context, int process);
bool trace_write(struct json_object *events, const char *path);

/* A PNG or JPEG image (any size; grayscale, RGB, with alpha, 16-bit) as the model's input:
 * planes [channels, height, width] of 8-bit values, channels 1 or 3, converted and resized as
 * needed. note says what was converted ("" when nothing was); error says why an image was
 * refused. read_image_file stats the path first and reads at most 64 MiB. */
bool decode_image(const uint8_t *data, size_t size, int channels, int height, int width,
                  uint8_t *planes, char *note, size_t note_size, char *error, size_t error_size);
bool read_image_file(const char *path, int channels, int height, int width, uint8_t *planes,
                     char *note, size_t note_size, char *error, size_t error_size);

#endif
