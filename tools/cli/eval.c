/* clcnn eval --checkpoint F [--data DIR] [--out DIR] [--device SPEC]
 *   the test-set report and confusion figure for a saved model;
 * clcnn predict --checkpoint F IMAGE.png...
 *   the top 3 classes of each 32x32 RGB PNG with their probabilities.
 * The model and the class names come from the checkpoint. */
#include <getopt.h>
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

static bool parse_common(int argc, char **argv, const char *usage, const char **checkpoint,
                         const char **data, const char **out, const char **device, int *status)
{
    static const struct option options[] = {
        {"checkpoint", required_argument, NULL, 'c'}, {"data", required_argument, NULL, 'D'},
        {"out", required_argument, NULL, 'o'},        {"device", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
    *status = EXIT_USAGE;
    int option;
    while ((option = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (option) {
        case 'c': *checkpoint = optarg; break;
        case 'D': *data = optarg; break;
        case 'o':
            if (!out) { /* a command without output files: say so rather than ignore it */
                fprintf(stderr, "clcnn: --out does not apply here: the results go to stdout\n%s",
                        usage);
                return false;
            }
            *out = optarg;
            break;
        case 'd': *device = optarg; break;
        case 'h': printf("%s", usage); *status = 0; return false;
        default: return false;
        }
    }
    if (!*checkpoint) {
        fprintf(stderr, "clcnn: --checkpoint FILE is required\n%s", usage);
        return false;
    }
    return true;
}

int command_eval(int argc, char **argv)
{
    const char *usage = "usage: clcnn eval --checkpoint FILE [--data DIR] [--out DIR] [--device SPEC]\n"
                        "Writes report.txt and confusion.png for the test set into --out, by "
                        "default\nDIR/eval-NAME/ beside the checkpoint DIR/NAME.ckpt.\n";
    const char *checkpoint = NULL, *data_dir = NULL, *out = NULL, *device = NULL;
    int status = 0;
    if (!parse_common(argc, argv, usage, &checkpoint, &data_dir, &out, &device, &status))
        return status;
    if (optind < argc) {
        fprintf(stderr, "clcnn eval: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
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

int command_predict(int argc, char **argv)
{
    const char *usage = "usage: clcnn predict --checkpoint FILE [--device SPEC] IMAGE.png...\n"
                        "Prints the 3 most likely classes of each 32x32 RGB PNG image, for a "
                        "model of 32x32x3 inputs; class names come from the checkpoint.\n";
    const char *checkpoint = NULL, *data_dir = NULL, *device = NULL;
    int status = 0;
    if (!parse_common(argc, argv, usage, &checkpoint, &data_dir, NULL, &device, &status))
        return status;
    int count = argc - optind;
    if (count <= 0) {
        fprintf(stderr, "clcnn predict: no image given\n%s", usage);
        return EXIT_USAGE;
    }
    (void)data_dir;
    clcnn_images images = {count, 3, 32, 32, calloc((size_t)count, 1),
                           malloc((size_t)count * PNG_IMAGE_BYTES)};
    int result = images.labels && images.pixels ? 0 : 1;
    for (int i = 0; result == 0 && i < count; i++)
        if (!read_png_file(argv[optind + i], images.pixels + (size_t)i * PNG_IMAGE_BYTES))
            result = 1;
    restored r;
    if (result == 0 && restore_checkpoint(checkpoint, device, count, &r)) {
        int32_t *indices = malloc((size_t)count * sizeof(int32_t));
        float *probabilities = malloc((size_t)count * r.classes * sizeof(float));
        clcnn_batch batch = {0};
        const clcnn_source source = clcnn_images_source(&images, r.classes);
        for (int i = 0; indices && i < count; i++)
            indices[i] = i;
        bool fits = model_fits_data(r.model, &images, r.classes, "the PNG images");
        clcnn_status s = indices && probabilities ? clcnn_batch_create(&source, count, &batch)
                                                  : CLCNN_ERROR_ALLOCATION;
        if (s == CLCNN_OK)
            s = clcnn_batch_fill(&batch, &source, indices, count);
        clcnn_batch_totals totals;
        if (s == CLCNN_OK && fits)
            s = clcnn_trainer_evaluate(r.trainer, batch.x, batch.labels, count, &totals, NULL,
                                       probabilities);
        if (s != CLCNN_OK)
            result = report_failure(s, "classifying");
        else if (!fits)
            result = 1;
        int ranks = r.classes < 3 ? r.classes : 3;
        for (int i = 0; s == CLCNN_OK && fits && i < count; i++) {
            const float *p = probabilities + (size_t)i * r.classes;
            int top[3] = {-1, -1, -1};
            for (int rank = 0; rank < ranks; rank++)
                for (int k = 0; k < r.classes; k++)
                    if (k != top[0] && k != top[1] && (top[rank] < 0 || p[k] > p[top[rank]]))
                        top[rank] = k;
            printf("%s:", argv[optind + i]);
            for (int rank = 0; rank < ranks; rank++)
                printf("%s %s %.3f", rank ? "," : "", r.class_names[top[rank]], p[top[rank]]);
            printf("\n");
        }
        clcnn_batch_free(&batch);
        free(indices);
        free(probabilities);
        release(&r);
    } else {
        result = 1;
    }
    clcnn_images_free(&images);
    return result;
}
