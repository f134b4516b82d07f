/* clcnn eval --checkpoint F [--data DIR] [--out DIR] [--device SPEC]
 *   the test-set report and confusion figure for a saved model;
 * clcnn predict --checkpoint F IMAGE.png...
 *   the top 3 classes of each 32x32 RGB PNG with their probabilities. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A model and trainer restored from a checkpoint, on the chosen device. */
typedef struct restored {
    clcnn_checkpoint checkpoint;
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
}

/* On failure, prints why and releases whatever was restored so far. */
static bool restore_checkpoint(const char *path, const char *device, int batch, restored *r)
{
    memset(r, 0, sizeof *r);
    clcnn_status status = clcnn_checkpoint_read(path, &r->checkpoint);
    if (status == CLCNN_OK)
        status = clcnn_model_parse(r->checkpoint.model_text, &r->model);
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
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
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
                        "Writes report.txt and confusion.png for the test set (to the "
                        "checkpoint's folder unless --out).\n";
    const char *checkpoint = NULL, *data_dir = NULL, *out = NULL, *device = NULL;
    int status = 0;
    if (!parse_common(argc, argv, usage, &checkpoint, &data_dir, &out, &device, &status))
        return status;
    if (optind < argc) {
        fprintf(stderr, "clcnn eval: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    data_dir = data_folder(data_dir);
    char folder[4096];
    if (out)
        snprintf(folder, sizeof folder, "%s", out);
    else {
        snprintf(folder, sizeof folder, "%s", checkpoint);
        char *slash = strrchr(folder, '/');
        snprintf(slash ? slash : folder, sizeof folder - (size_t)(slash ? slash - folder : 0), "%s",
                 slash ? "" : ".");
    }
    clcnn_cifar10 data;
    clcnn_status loaded = clcnn_cifar10_load(data_dir, &data);
    if (loaded != CLCNN_OK)
        return report_failure(loaded, "loading CIFAR-10");
    restored r;
    int result = 1;
    int32_t *predictions = malloc((size_t)data.test.count * sizeof(int32_t));
    if (predictions && make_output_dir(folder) && restore_checkpoint(checkpoint, device, 64, &r)) {
        double loss = 0, accuracy = 0;
        clcnn_status s = evaluate_range(r.trainer, &data.test, 0, data.test.count, 64, &loss,
                                        &accuracy, predictions);
        if (s == CLCNN_OK) {
            char heading[512], path[4200];
            snprintf(heading, sizeof heading,
                     "Test set: %d images of %s/test_batch.bin, checkpoint %s (epoch %d); loss "
                     "%.4f, accuracy %.4f",
                     data.test.count, data_dir, checkpoint, r.checkpoint.epochs_done, loss, accuracy);
            printf("%s\n\n", heading);
            print_report(stdout, data.class_names, data.test.labels, predictions, data.test.count);
            snprintf(path, sizeof path, "%s/report.txt", folder);
            bool ok = write_report_file(path, data.class_names, data.test.labels, predictions,
                                        data.test.count, heading);
            snprintf(path, sizeof path, "%s/confusion.png", folder);
            ok = ok && draw_confusion(path, &data, predictions);
            if (ok) {
                printf("\nWrote %s/report.txt and %s/confusion.png\n", folder, folder);
                result = 0;
            }
        } else {
            report_failure(s, "evaluating the test set");
        }
        release(&r);
    }
    free(predictions);
    clcnn_cifar10_free(&data);
    return result;
}

/* ---- predict --------------------------------------------------------------------------------- */

int command_predict(int argc, char **argv)
{
    const char *usage = "usage: clcnn predict --checkpoint FILE [--data DIR] [--device SPEC] IMAGE.png...\n"
                        "Prints the 3 most likely classes of each 32x32 RGB PNG image; class "
                        "names come from DIR/batches.meta.txt.\n";
    const char *checkpoint = NULL, *data_dir = NULL, *device = NULL;
    int status = 0;
    if (!parse_common(argc, argv, usage, &checkpoint, &data_dir, NULL, &device, &status))
        return status;
    int count = argc - optind;
    if (count <= 0) {
        fprintf(stderr, "clcnn predict: no image given\n%s", usage);
        return EXIT_USAGE;
    }
    char names[CLCNN_CIFAR10_CLASSES][32];
    char meta[4200];
    data_dir = data_folder(data_dir);
    snprintf(meta, sizeof meta, "%s/batches.meta.txt", data_dir);
    if (clcnn_cifar10_read_class_names(meta, names) != CLCNN_OK) {
        for (int k = 0; k < CLCNN_CIFAR10_CLASSES; k++)
            snprintf(names[k], sizeof names[k], "class %d", k);
        fprintf(stderr, "clcnn: %s; printing class numbers\n", clcnn_last_error());
    }
    clcnn_images images = {count, calloc((size_t)count, 1),
                           malloc((size_t)count * CLCNN_CIFAR10_IMAGE_BYTES)};
    int result = images.labels && images.pixels ? 0 : 1;
    for (int i = 0; result == 0 && i < count; i++)
        if (!read_png_file(argv[optind + i], images.pixels + (size_t)i * CLCNN_CIFAR10_IMAGE_BYTES))
            result = 1;
    restored r;
    if (result == 0 && restore_checkpoint(checkpoint, device, count, &r)) {
        int32_t *indices = malloc((size_t)count * sizeof(int32_t));
        float *probabilities = malloc((size_t)count * CLCNN_CIFAR10_CLASSES * sizeof(float));
        clcnn_batch_totals totals;
        for (int i = 0; indices && i < count; i++)
            indices[i] = i;
        clcnn_status s = indices && probabilities
                             ? clcnn_trainer_evaluate(r.trainer, &images, indices, count, &totals,
                                                      NULL, probabilities)
                             : CLCNN_ERROR_ALLOCATION;
        if (s != CLCNN_OK)
            result = report_failure(s, "classifying");
        for (int i = 0; s == CLCNN_OK && i < count; i++) {
            const float *p = probabilities + (size_t)i * CLCNN_CIFAR10_CLASSES;
            int top[3] = {-1, -1, -1};
            for (int rank = 0; rank < 3; rank++)
                for (int k = 0; k < CLCNN_CIFAR10_CLASSES; k++)
                    if (k != top[0] && k != top[1] && (top[rank] < 0 || p[k] > p[top[rank]]))
                        top[rank] = k;
            printf("%s: %s %.3f, %s %.3f, %s %.3f\n", argv[optind + i], names[top[0]], p[top[0]],
                   names[top[1]], p[top[1]], names[top[2]], p[top[2]]);
        }
        free(indices);
        free(probabilities);
        release(&r);
    } else {
        result = 1;
    }
    clcnn_images_free(&images);
    return result;
}
