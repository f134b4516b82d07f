/* clcnn eval --checkpoint F [--data DIR] [--out DIR] [--device SPEC]
 *   the test-set report and confusion figure for a saved model;
 * clcnn predict --checkpoint F IMAGE...
 *   the top 3 classes of each PNG or JPEG image with their probabilities.
 * The model and the class names come from the checkpoint. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A model and trainer restored from a checkpoint, on the chosen device. */
typedef struct restored {
    clcnn_checkpoint checkpoint;
    char (*class_names)[CLCNN_CLASS_NAME_BYTES]; /* [classes], from the checkpoint or numbers */
    int classes;
    clcnn_model *model;
    clcnn_context *context;
    clcnn_trainer *trainer;
} restored;

static void release(restored *r)
{
    clcnn_trainer_destroy(r->trainer);
    clcnn_context_destroy(r->context);
    clcnn_model_destroy(r->model);
    clcnn_checkpoint_free(&r->checkpoint);
    free(r->class_names);
}

/* The checkpoint's class names, one a line; numbers for a checkpoint without them. */
static bool take_class_names(restored *r)
{
    r->classes = clcnn_model_output_count(r->model);
    r->class_names = calloc((size_t)r->classes, CLCNN_CLASS_NAME_BYTES);
    if (!r->class_names)
        return false;
    const char *at = r->checkpoint.class_names;
    for (int k = 0; k < r->classes; k++) {
        size_t length = at ? strcspn(at, "\n") : 0;
        if (at && length > 0 && length < CLCNN_CLASS_NAME_BYTES)
            memcpy(r->class_names[k], at, length);
        else
            snprintf(r->class_names[k], CLCNN_CLASS_NAME_BYTES, "class %d", k);
        at = at && at[length] ? at + length + 1 : NULL;
    }
    return true;
}

/* On failure, prints why and releases whatever was restored so far. */
static bool restore_checkpoint(const char *path, const char *device, int batch, restored *r)
{
    memset(r, 0, sizeof *r);
    clcnn_status status = clcnn_checkpoint_read(path, &r->checkpoint);
    if (status == CLCNN_OK)
        status = clcnn_model_parse(r->checkpoint.model_text, path, &r->model);
    if (status != CLCNN_OK) {
        report_failure(status, "reading the checkpoint");
        release(r);
        return false;
    }
    if (clcnn_model_parameter_count(r->model) != r->checkpoint.parameter_count) {
        fprintf(stderr, "clcnn: %s: %zu parameters for a model of %zu\n", path,
                r->checkpoint.parameter_count, clcnn_model_parameter_count(r->model));
        release(r);
        return false;
    }
    if (!take_class_names(r)) {
        fprintf(stderr, "clcnn: out of host memory\n");
        release(r);
        return false;
    }
    status = clcnn_context_create(device_spec(device), NULL, &r->context);
    if (status != CLCNN_OK) {
        report_failure(status, "opening the device");
        release(r);
        return false;
    }
    print_device_header(clcnn_context_device(r->context));
    clcnn_train_options options = clcnn_train_defaults();
    options.batch_size = batch;
    status = clcnn_trainer_create(r->context, r->model, &options, &r->trainer);
    if (status == CLCNN_OK)
        status = clcnn_trainer_set_state(r->trainer, r->checkpoint.parameters, NULL, NULL,
                                         r->checkpoint.steps);
    if (status != CLCNN_OK) {
        report_failure(status, "restoring the model");
        release(r);
        return false;
    }
    return true;
}

/* The flags of eval and predict. */
typedef struct eval_flags {
    const char *checkpoint, *data, *out, *device;
    bool predict;
} eval_flags;

static bool handle(int key, const char *arg, void *config)
{
    eval_flags *f = config;
    switch (key) {
    case 'c': f->checkpoint = arg; break;
    case 'd': f->device = arg; break;
    case 'D':
        if (f->predict) { /* said, rather than "unrecognized": a user may well try it */
            fprintf(stderr, "clcnn predict: --data does not apply here: the images are the input\n");
            return false;
        }
        f->data = arg;
        break;
    case 'o':
        if (f->predict) {
            fprintf(stderr, "clcnn predict: --out does not apply here: the results go to stdout\n");
            return false;
        }
        f->out = arg;
        break;
    }
    return true;
}

#define CHECKPOINT_OPTION {"checkpoint", 'c', "FILE", 0, "the checkpoint (required): its model, weights and class names", 0}
#define DEVICE_OPTION {"device", 'd', "SPEC", 0, DEVICE_HELP, 0}

static int parse_eval_flags(const command_line *line, int argc, char **argv, eval_flags *flags,
                            int *first_operand)
{
    int parsed = parse_command_line(line, argc, argv, flags, first_operand);
    if (parsed < 0 && !flags->checkpoint) {
        fprintf(stderr, "%s: --checkpoint FILE is required\n", argv[0]);
        return EXIT_USAGE;
    }
    return parsed;
}

int command_eval(int argc, char **argv)
{
    static const struct argp_option options[] = {
        CHECKPOINT_OPTION,
        {"data", 'D', "DIR", 0, "the dataset folder whose test files are read (default: "
                                "$CLCNN_DATA, else data/cifar-10-batches-bin)", 0},
        {"out", 'o', "DIR", 0, "where report.txt and confusion.png go (default: DIR/eval-NAME/ "
                               "beside the checkpoint DIR/NAME.ckpt)", 0},
        DEVICE_OPTION, HELP_OPTION, {0}};
    static const command_line line = {
        options, NULL,
        "Evaluates a checkpoint on the test set: the classification report (report.txt) and "
        "the confusion matrix figure (confusion.png).",
        handle};
    eval_flags flags = {0};
    int parsed = parse_eval_flags(&line, argc, argv, &flags, NULL);
    if (parsed >= 0)
        return parsed;
    const char *checkpoint = flags.checkpoint, *data_dir = flags.data, *out = flags.out;
    const char *device = flags.device;
    data_dir = data_folder(data_dir);
    /* by default a folder of its own beside the checkpoint, run/eval-checkpoint-best/, so that
     * the run's own report.txt and confusion.png stay as training wrote them */
    char folder[4096];
    if (out) {
        snprintf(folder, sizeof folder, "%s", out);
    } else {
        const char *slash = strrchr(checkpoint, '/'), *name = slash ? slash + 1 : checkpoint;
        int stem = (int)strlen(name);
        if (stem > 5 && !strcmp(name + stem - 5, ".ckpt"))
            stem -= 5;
        snprintf(folder, sizeof folder, "%.*seval-%.*s", slash ? (int)(name - checkpoint) : 0,
                 checkpoint, stem, name);
    }
    clcnn_dataset data;
    clcnn_status loaded = clcnn_dataset_load(data_dir, NULL, CLCNN_DATA_TEST, &data);
    if (loaded != CLCNN_OK)
        return report_failure(loaded, "loading the test data");
    restored r;
    int result = 1;
    int32_t *predictions = malloc((size_t)(data.test.count ? data.test.count : 1) * sizeof(int32_t));
    if (predictions && make_output_dir(folder) && restore_checkpoint(checkpoint, device, 64, &r)) {
        double loss = 0, accuracy = 0;
        const clcnn_source test = clcnn_images_source(&data.test, data.classes);
        clcnn_status s = model_fits_data(r.model, &data.test, data.classes, data_dir)
                             ? clcnn_evaluate(r.trainer, &test, 0, data.test.count, &loss,
                                              &accuracy, predictions)
                             : CLCNN_ERROR_INVALID_ARGUMENT;
        if (s == CLCNN_OK) {
            char heading[512], path[4200];
            snprintf(heading, sizeof heading,
                     "Test set: %d images of %s/%s, checkpoint %s (epoch %d); loss %.4f, "
                     "accuracy %.4f",
                     data.test.count, data_dir, data.test_name, checkpoint,
                     r.checkpoint.epochs_done, loss, accuracy);
            printf("%s\n\n", heading);
            print_report(stdout, r.class_names, r.classes, data.test.labels, predictions,
                         data.test.count);
            snprintf(path, sizeof path, "%s/report.txt", folder);
            bool ok = write_report_file(path, r.class_names, r.classes, data.test.labels,
                                        predictions, data.test.count, heading);
            snprintf(path, sizeof path, "%s/confusion.png", folder);
            ok = ok && draw_confusion(path, &data, predictions);
            if (ok) {
                printf("\nWrote %s/report.txt and %s/confusion.png\n", folder, folder);
                result = 0;
            }
        } else if (s != CLCNN_ERROR_INVALID_ARGUMENT) {
            report_failure(s, "evaluating the test set");
        }
        release(&r);
    }
    free(predictions);
    clcnn_dataset_free(&data);
    return result;
}

/* ---- predict --------------------------------------------------------------------------------- */

#define PREDICT_BATCH 64

/* "FILE: class p, class p, class p" for each decoded image of one batch. */
static clcnn_status classify(restored *r, const clcnn_images *images, char **paths,
                             float *probabilities)
{
    int count = images->count;
    int32_t indices[PREDICT_BATCH];
    for (int i = 0; i < count; i++)
        indices[i] = i;
    const clcnn_source source = clcnn_images_source(images, r->classes);
    clcnn_batch batch = {0};
    clcnn_batch_totals totals;
    clcnn_status status = clcnn_batch_create(&source, count, &batch);
    if (status == CLCNN_OK)
        status = clcnn_batch_fill(&batch, &source, indices, count);
    if (status == CLCNN_OK)
        status = clcnn_trainer_evaluate(r->trainer, batch.x, batch.labels, count, &totals, NULL,
                                        probabilities);
    clcnn_batch_free(&batch);
    int ranks = r->classes < 3 ? r->classes : 3;
    for (int i = 0; status == CLCNN_OK && i < count; i++) {
        const float *p = probabilities + (size_t)i * r->classes;
        int top[3] = {-1, -1, -1};
        for (int rank = 0; rank < ranks; rank++)
            for (int k = 0; k < r->classes; k++)
                if (k != top[0] && k != top[1] && (top[rank] < 0 || p[k] > p[top[rank]]))
                    top[rank] = k;
        printf("%s:", paths[i]);
        for (int rank = 0; rank < ranks; rank++)
            printf("%s %s %.3f", rank ? "," : "", r->class_names[top[rank]], p[top[rank]]);
        printf("\n");
    }
    return status;
}

/* Images are read and classified PREDICT_BATCH at a time, so that memory stays bounded
 * however many are given; one that cannot be read is reported and skipped, and the exit
 * status says that some were. */
int command_predict(int argc, char **argv)
{
    static const struct argp_option options[] = {
        CHECKPOINT_OPTION, DEVICE_OPTION,
        {"data", 'D', "DIR", OPTION_HIDDEN, NULL, 0},
        {"out", 'o', "DIR", OPTION_HIDDEN, NULL, 0},
        HELP_OPTION, {0}};
    static const command_line line = {
        options, "IMAGE...",
        "Prints the 3 most likely classes of each PNG or JPEG image. Images of another size or "
        "colour than the model's input are resized (by area averaging) and converted, with a "
        "note; one that cannot be read is reported and skipped (exit 1 at the end). The model "
        "and the class names come from the checkpoint.",
        handle};
    eval_flags flags = {.predict = true};
    int first = argc;
    int parsed = parse_eval_flags(&line, argc, argv, &flags, &first);
    if (parsed >= 0)
        return parsed;
    const char *checkpoint = flags.checkpoint, *device = flags.device;
    int count = argc - first;
    if (count <= 0) {
        fprintf(stderr, "clcnn predict: no image given (usage: clcnn predict --checkpoint FILE "
                        "IMAGE...)\n");
        return EXIT_USAGE;
    }
    restored r;
    if (!restore_checkpoint(checkpoint, device, count < PREDICT_BATCH ? count : PREDICT_BATCH, &r))
        return 1;
    const int channels = clcnn_model_input_channels(r.model);
    const int height = clcnn_model_input_height(r.model), width = clcnn_model_input_width(r.model);
    const size_t image_bytes = (size_t)channels * height * width;
    uint8_t labels[PREDICT_BATCH] = {0};
    clcnn_images images = {0, channels, height, width, labels, malloc(PREDICT_BATCH * image_bytes)};
    float *probabilities = malloc((size_t)PREDICT_BATCH * r.classes * sizeof(float));
    char *paths[PREDICT_BATCH];
    int refused = 0;
    clcnn_status s = images.pixels && probabilities ? CLCNN_OK : CLCNN_ERROR_ALLOCATION;
    for (int i = 0; s == CLCNN_OK && i < count; i++) {
        char note[256], error[512];
        const char *path = argv[first + i];
        if (read_image_file(path, channels, height, width, images.pixels + images.count * image_bytes,
                            note, sizeof note, error, sizeof error)) {
            if (*note)
                fprintf(stderr, "clcnn: note: %s: %s\n", path, note);
            paths[images.count++] = argv[first + i];
        } else {
            fprintf(stderr, "clcnn: %s: %s\n", path, error);
            refused++;
        }
        if (images.count == PREDICT_BATCH || (i + 1 == count && images.count > 0)) {
            s = classify(&r, &images, paths, probabilities);
            images.count = 0;
        }
    }
    int result = 0;
    if (s != CLCNN_OK) {
        result = report_failure(s, "classifying");
    } else if (refused) {
        fprintf(stderr, "clcnn: %d of %d images could not be read (see above)\n", refused, count);
        result = 1;
    }
    free(images.pixels);
    free(probabilities);
    release(&r);
    return result;
}
