/* Helpers shared by the subcommands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int report_failure(clcnn_status status, const char *doing)
{
    fprintf(stderr, "clcnn: %s failed: %s\n", doing, clcnn_last_error());
    return status == CLCNN_ERROR_NO_DEVICE || status == CLCNN_ERROR_INVALID_ARGUMENT ? EXIT_USAGE
                                                                                    : 1;
}

const char *device_spec(const char *from_flag)
{
    if (from_flag)
        return from_flag;
    const char *from_environment = getenv("CLCNN_DEVICE");
    return from_environment && *from_environment ? from_environment : NULL;
}

const char *data_folder(const char *from_flag)
{
    if (from_flag)
        return from_flag;
    const char *from_environment = getenv("CLCNN_DATA");
    return from_environment && *from_environment ? from_environment : "data/cifar-10-batches-bin";
}

void print_device_header(const clcnn_device_info *device)
{
    if (device->is_reference)
        fprintf(stderr, "Device: %s\n", device->name);
    else
        fprintf(stderr, "Device: %s (%s, driver %s)\n", device->name, device->platform,
                device->driver_version);
}

int open_device(const char *spec, const clcnn_context_options *options, clcnn_context **context)
{
    clcnn_status status = clcnn_context_create(spec, options, context);
    if (status != CLCNN_OK)
        return report_failure(status, "opening the device");
    print_device_header(clcnn_context_device(*context));
    return 0;
}

int every_device_spec(char specs[][32], int capacity, int *count)
{
    *count = 0;
    clcnn_device_info *devices = NULL;
    int found = 0;
    clcnn_status status = clcnn_list_devices(&devices, &found);
    if (status != CLCNN_OK)
        return report_failure(status, "listing devices");
    for (int i = 0; i < found && *count < capacity; i++)
        if (!devices[i].is_simulator)
            snprintf(specs[(*count)++], 32, "%d:%d", devices[i].platform_index,
                     devices[i].device_index);
    free(devices);
    return 0;
}

bool parse_int_flag(const char *flag, const char *text, long minimum, long maximum, long *value)
{
    char *end = NULL;
    errno = 0;
    long parsed = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || parsed < minimum || parsed > maximum) {
        fprintf(stderr, "clcnn: %s expects a whole number from %ld to %ld, got '%s'\n", flag,
                minimum, maximum, text);
        return false;
    }
    *value = parsed;
    return true;
}

bool parse_double_flag(const char *flag, const char *text, double minimum, double maximum,
                       double *value)
{
    char *end = NULL;
    errno = 0;
    double parsed = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !(parsed >= minimum && parsed <= maximum)) {
        fprintf(stderr, "clcnn: %s expects a number from %g to %g, got '%s'\n", flag, minimum,
                maximum, text);
        return false;
    }
    *value = parsed;
    return true;
}

static void thousands(size_t value, char *out, size_t size)
{
    char digits[32];
    int length = snprintf(digits, sizeof digits, "%zu", value);
    size_t at = 0;
    for (int i = 0; i < length && at + 2 < size; i++) {
        if (i > 0 && (length - i) % 3 == 0)
            out[at++] = ',';
        out[at++] = digits[i];
    }
    out[at] = '\0';
}

/* Keras prints "Connected to" only for functional models: here, when a layer reads anything
 * but the line above it. */
static bool plain_chain(const clcnn_model *model)
{
    for (int i = 0; i < clcnn_model_layer_count(model); i++) {
        clcnn_layer_info info;
        clcnn_model_layer_info(model, i, &info);
        if (info.input_count != 1 || info.inputs[0] != i - 1)
            return false;
    }
    return true;
}

void print_model_summary(FILE *out, const clcnn_model *model)
{
    const char *rule = "-----------------------------------------------------------------------";
    bool chain = plain_chain(model);
    fprintf(out, "Model: \"%s\"\n%s\n%-34s %-24s %11s%s\n%s\n", chain ? "sequential" : "functional",
            rule, "Layer (type)", "Output Shape", "Param #", chain ? "" : "  Connected to", rule);
    for (int i = 0; i < clcnn_model_layer_count(model); i++) {
        clcnn_layer_info layer;
        clcnn_model_layer_info(model, i, &layer);
        char name[80], shape[48], parameters[32], connected[96] = "";
        snprintf(name, sizeof name, "%s (%s)", layer.name, layer.keras_kind);
        if (layer.flat)
            snprintf(shape, sizeof shape, "(None, %d)", layer.out_c);
        else
            snprintf(shape, sizeof shape, "(None, %d, %d, %d)", layer.out_h, layer.out_w,
                     layer.out_c);
        thousands(layer.parameters, parameters, sizeof parameters);
        for (int k = 0; !chain && k < layer.input_count; k++) {
            clcnn_layer_info input;
            const char *input_name = "input";
            if (clcnn_model_layer_info(model, layer.inputs[k], &input))
                input_name = input.name;
            size_t used = strlen(connected);
            snprintf(connected + used, sizeof connected - used, "%s%s", k ? ", " : "  ", input_name);
        }
        fprintf(out, "%-34s %-24s %11s%s\n", name, shape, parameters, connected);
    }
    char total[32], trainable[32], frozen[32];
    size_t count = clcnn_model_parameter_count(model);
    size_t trainable_count = clcnn_model_trainable_parameter_count(model);
    thousands(count, total, sizeof total);
    thousands(trainable_count, trainable, sizeof trainable);
    thousands(count - trainable_count, frozen, sizeof frozen);
    fprintf(out, "%s\n Total params: %s (%.2f MB)\n Trainable params: %s (%.2f MB)\n"
                 " Non-trainable params: %s (%.2f MB)\n",
            rule, total, count * 4.0 / 1048576.0, trainable, trainable_count * 4.0 / 1048576.0,
            frozen, (count - trainable_count) * 4.0 / 1048576.0);
}

clcnn_model *load_model(const char *from_flag)
{
    const char *path = from_flag;
    if (!path) {
        const char *from_environment = getenv("CLCNN_MODEL");
        path = from_environment && *from_environment ? from_environment : NULL;
    }
    if (!path) {
        clcnn_model *model = clcnn_model_seed();
        if (clcnn_model_status(model) != CLCNN_OK) {
            fprintf(stderr, "clcnn: %s\n", clcnn_model_error(model));
            clcnn_model_destroy(model);
            return NULL;
        }
        return model;
    }
    clcnn_model *model = NULL;
    clcnn_status status = clcnn_model_load(path, &model);
    if (status != CLCNN_OK) {
        fprintf(stderr, "clcnn: %s\n", clcnn_last_error());
        return NULL;
    }
    return model;
}

bool model_fits_data(const clcnn_model *model, const clcnn_images *images, int classes,
                     const char *folder)
{
    int c = clcnn_model_input_channels(model), h = clcnn_model_input_height(model),
        w = clcnn_model_input_width(model);
    if (c != images->channels || h != images->height || w != images->width) {
        fprintf(stderr, "clcnn: the model's input is height=%d width=%d channels=%d but the "
                        "images of %s are height=%d width=%d channels=%d\n",
                h, w, c, folder, images->height, images->width, images->channels);
        return false;
    }
    if (clcnn_model_output_count(model) != classes) {
        fprintf(stderr, "clcnn: the model ends in %d classes but %s has %d\n",
                clcnn_model_output_count(model), folder, classes);
        return false;
    }
    return true;
}

static bool summary_option(int key, const char *arg, void *config)
{
    if (key == 'm')
        *(const char **)config = arg;
    return true;
}

int command_summary(int argc, char **argv)
{
    static const struct argp_option options[] = {
        {"model", 'm', "FILE", 0, "a model file (default: the tutorial's model)", 0},
        HELP_OPTION, {0}};
    static const command_line line = {
        options, NULL, "Prints a model's layers, output shapes and parameter counts, as Keras's "
                       "model.summary() does.", summary_option};
    const char *path = NULL;
    int parsed = parse_command_line(&line, argc, argv, &path, NULL);
    if (parsed >= 0)
        return parsed;
    clcnn_model *model = load_model(path);
    if (!model)
        return 1;
    print_model_summary(stdout, model);
    clcnn_model_destroy(model);
    return 0;
}
