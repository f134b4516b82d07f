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

static const char *layer_type_name(clcnn_layer_type type)
{
    switch (type) {
    case CLCNN_LAYER_CONV2D: return "Conv2D";
    case CLCNN_LAYER_MAXPOOL2D: return "MaxPooling2D";
    case CLCNN_LAYER_FLATTEN: return "Flatten";
    case CLCNN_LAYER_DENSE: return "Dense";
    case CLCNN_LAYER_DROPOUT: return "Dropout";
    case CLCNN_LAYER_ACTIVATION: return "Activation";
    }
    return "?";
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

void print_model_summary(FILE *out, const clcnn_model *model)
{
    const char *rule = "-----------------------------------------------------------------------";
    fprintf(out, "Model: \"sequential\"\n%s\n%-34s %-24s %11s\n%s\n", rule, "Layer (type)",
            "Output Shape", "Param #", rule);
    for (int i = 0; i < clcnn_model_layer_count(model); i++) {
        const clcnn_layer *layer = clcnn_model_layer(model, i);
        char name[80], shape[48], parameters[32];
        snprintf(name, sizeof name, "%s (%s)", layer->name, layer_type_name(layer->type));
        if (layer->out_h == 1 && layer->out_w == 1 && layer->type != CLCNN_LAYER_CONV2D &&
            layer->type != CLCNN_LAYER_MAXPOOL2D)
            snprintf(shape, sizeof shape, "(None, %d)", layer->out_c);
        else
            snprintf(shape, sizeof shape, "(None, %d, %d, %d)", layer->out_h, layer->out_w,
                     layer->out_c);
        thousands(layer->weight_count + layer->bias_count, parameters, sizeof parameters);
        fprintf(out, "%-34s %-24s %11s\n", name, shape, parameters);
    }
    char total[32];
    size_t count = clcnn_model_parameter_count(model);
    thousands(count, total, sizeof total);
    fprintf(out, "%s\n Total params: %s (%.2f MB)\n Trainable params: %s (%.2f MB)\n"
                 " Non-trainable params: 0 (0.00 B)\n",
            rule, total, count * 4.0 / 1048576.0, total, count * 4.0 / 1048576.0);
}

int command_summary(int argc, char **argv)
{
    if (argc > 1) {
        bool help = !strcmp(argv[1], "--help");
        fprintf(help ? stdout : stderr, "usage: clcnn summary\nPrints the tutorial model's "
                                        "layers, output shapes and parameter counts.\n");
        return help ? 0 : EXIT_USAGE;
    }
    clcnn_model *model = clcnn_model_seed();
    if (clcnn_model_status(model) != CLCNN_OK) {
        fprintf(stderr, "clcnn: %s\n", clcnn_model_error(model));
        clcnn_model_destroy(model);
        return 1;
    }
    print_model_summary(stdout, model);
    clcnn_model_destroy(model);
    return 0;
}
