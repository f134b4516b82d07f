/* Sequential model description (include/clcnn/model.h). Shapes are computed as each layer is
 * added, with Keras's rules, so an impossible model fails at the layer that breaks it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

#define MAX_LAYERS 64

struct clcnn_model {
    int in_c, in_h, in_w;
    clcnn_layer layers[MAX_LAYERS];
    int layer_count;
    clcnn_status status;
    char error[512];
};

clcnn_model *clcnn_model_create(int channels, int height, int width)
{
    clcnn_model *model = calloc(1, sizeof *model);
    if (!model)
        return NULL;
    model->in_c = channels;
    model->in_h = height;
    model->in_w = width;
    if (channels <= 0 || height <= 0 || width <= 0) {
        model->status = clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                                   "model input %dx%dx%d: every size must be positive", channels,
                                   height, width);
        snprintf(model->error, sizeof model->error, "%s", clcnn_last_error());
    }
    return model;
}

void clcnn_model_destroy(clcnn_model *model)
{
    free(model);
}

clcnn_status clcnn_model_status(const clcnn_model *model)
{
    return model ? model->status : CLCNN_ERROR_ALLOCATION;
}

const char *clcnn_model_error(const clcnn_model *model)
{
    return model ? model->error : "out of host memory creating a model";
}

int clcnn_model_layer_count(const clcnn_model *model)
{
    return model->layer_count;
}
const clcnn_layer *clcnn_model_layer(const clcnn_model *model, int index)
{
    return index >= 0 && index < model->layer_count ? &model->layers[index] : NULL;
}
int clcnn_model_input_channels(const clcnn_model *model)
{
    return model->in_c;
}
int clcnn_model_input_height(const clcnn_model *model)
{
    return model->in_h;
}
int clcnn_model_input_width(const clcnn_model *model)
{
    return model->in_w;
}

size_t clcnn_model_parameter_count(const clcnn_model *model)
{
    size_t total = 0;
    for (int i = 0; i < model->layer_count; i++)
        total += model->layers[i].weight_count + model->layers[i].bias_count;
    return total;
}

static void fail(clcnn_model *model, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void fail(clcnn_model *model, const char *format, ...)
{
    if (model->status != CLCNN_OK)
        return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(model->error, sizeof model->error, format, arguments);
    va_end(arguments);
    model->status = clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "%s", model->error);
}

/* A new layer fed by the previous one's output, named as Keras names it ("dense_1"). */
static clcnn_layer *append(clcnn_model *model, clcnn_layer_type type, const char *base_name)
{
    if (!model || model->status != CLCNN_OK)
        return NULL;
    if (model->layer_count == MAX_LAYERS) {
        fail(model, "a model holds at most %d layers", MAX_LAYERS);
        return NULL;
    }
    if (model->layer_count > 0 &&
        model->layers[model->layer_count - 1].activation == CLCNN_ACTIVATION_SOFTMAX) {
        fail(model, "softmax must be the last layer (it is fused into the loss)");
        return NULL;
    }
    int same_type = 0;
    for (int i = 0; i < model->layer_count; i++)
        same_type += model->layers[i].type == type;
    clcnn_layer *layer = &model->layers[model->layer_count];
    memset(layer, 0, sizeof *layer);
    layer->type = type;
    layer->activation = CLCNN_ACTIVATION_NONE;
    if (same_type)
        snprintf(layer->name, sizeof layer->name, "%s_%d", base_name, same_type);
    else
        snprintf(layer->name, sizeof layer->name, "%s", base_name);
    const clcnn_layer *previous =
        model->layer_count ? &model->layers[model->layer_count - 1] : NULL;
    layer->in_c = previous ? previous->out_c : model->in_c;
    layer->in_h = previous ? previous->out_h : model->in_h;
    layer->in_w = previous ? previous->out_w : model->in_w;
    layer->out_c = layer->in_c;
    layer->out_h = layer->in_h;
    layer->out_w = layer->in_w;
    return layer;
}

static bool spatial(const clcnn_layer *layer)
{
    return layer->in_h > 1 || layer->in_w > 1;
}

static bool valid_activation(clcnn_activation activation)
{
    return activation >= CLCNN_ACTIVATION_NONE && activation <= CLCNN_ACTIVATION_SOFTMAX;
}

void clcnn_model_conv2d(clcnn_model *model, int filters, int kernel_size, clcnn_padding padding,
                        clcnn_activation activation)
{
    clcnn_layer *layer = append(model, CLCNN_LAYER_CONV2D, "conv2d");
    if (!layer)
        return;
    if (filters <= 0 || kernel_size <= 0 || !valid_activation(activation) ||
        activation == CLCNN_ACTIVATION_SOFTMAX) {
        fail(model,
             "%s: filters (%d) and kernel size (%d) must be positive and the "
             "activation element-wise",
             layer->name, filters, kernel_size);
        return;
    }
    if (!spatial(layer) && model->layer_count > 0) {
        fail(model, "%s: its input is flat (%d features); conv2d needs an image", layer->name,
             layer->in_c);
        return;
    }
    layer->units = filters;
    layer->kernel_size = kernel_size;
    layer->stride = 1;
    layer->padding = padding;
    layer->activation = activation;
    int pad = 0;
    if (!clcnn_keras_output_size(layer->in_h, kernel_size, 1, padding, &layer->out_h, &pad) ||
        !clcnn_keras_output_size(layer->in_w, kernel_size, 1, padding, &layer->out_w, &pad)) {
        fail(model, "%s: a %dx%d kernel does not fit its %dx%d input with 'valid' padding",
             layer->name, kernel_size, kernel_size, layer->in_h, layer->in_w);
        return;
    }
    layer->out_c = filters;
    layer->weight_count = (size_t)filters * layer->in_c * kernel_size * kernel_size;
    layer->bias_count = (size_t)filters;
    model->layer_count++;
}

void clcnn_model_maxpool2d(clcnn_model *model, int pool_size)
{
    clcnn_layer *layer = append(model, CLCNN_LAYER_MAXPOOL2D, "max_pooling2d");
    if (!layer)
        return;
    if (pool_size <= 0 || pool_size > layer->in_h || pool_size > layer->in_w || !spatial(layer)) {
        fail(model, "%s: a %dx%d window does not fit its %dx%d input", layer->name, pool_size,
             pool_size, layer->in_h, layer->in_w);
        return;
    }
    layer->kernel_size = pool_size;
    layer->stride = pool_size; /* Keras: strides default to pool_size */
    layer->padding = CLCNN_PADDING_VALID;
    layer->out_h = (layer->in_h - pool_size) / pool_size + 1;
    layer->out_w = (layer->in_w - pool_size) / pool_size + 1;
    model->layer_count++;
}

void clcnn_model_flatten(clcnn_model *model)
{
    clcnn_layer *layer = append(model, CLCNN_LAYER_FLATTEN, "flatten");
    if (!layer)
        return;
    layer->out_c = layer->in_c * layer->in_h * layer->in_w;
    layer->out_h = layer->out_w = 1;
    model->layer_count++;
}

void clcnn_model_dense(clcnn_model *model, int units, clcnn_activation activation)
{
    clcnn_layer *layer = append(model, CLCNN_LAYER_DENSE, "dense");
    if (!layer)
        return;
    if (units <= 0 || !valid_activation(activation)) {
        fail(model, "%s: units (%d) must be positive", layer->name, units);
        return;
    }
    if (spatial(layer)) {
        fail(model, "%s: its input is an image (%dx%dx%d); add flatten first", layer->name,
             layer->in_c, layer->in_h, layer->in_w);
        return;
    }
    layer->units = units;
    layer->activation = activation;
    layer->out_c = units;
    layer->weight_count = (size_t)layer->in_c * units;
    layer->bias_count = (size_t)units;
    model->layer_count++;
}

void clcnn_model_dropout(clcnn_model *model, float rate)
{
    clcnn_layer *layer = append(model, CLCNN_LAYER_DROPOUT, "dropout");
    if (!layer)
        return;
    if (!(rate >= 0.0f && rate < 1.0f)) {
        fail(model, "%s: rate %g must be in [0, 1)", layer->name, (double)rate);
        return;
    }
    layer->rate = rate;
    model->layer_count++;
}

void clcnn_model_activation(clcnn_model *model, clcnn_activation activation)
{
    clcnn_layer *layer = append(model, CLCNN_LAYER_ACTIVATION, "activation");
    if (!layer)
        return;
    if (!valid_activation(activation) || activation == CLCNN_ACTIVATION_NONE) {
        fail(model, "%s: unknown activation %d", layer->name, (int)activation);
        return;
    }
    layer->activation = activation;
    model->layer_count++;
}

clcnn_model *clcnn_model_seed(void)
{
    clcnn_model *model = clcnn_model_create(3, 32, 32);
    clcnn_model_conv2d(model, 32, 3, CLCNN_PADDING_SAME, CLCNN_ACTIVATION_RELU);
    clcnn_model_maxpool2d(model, 2);
    clcnn_model_conv2d(model, 64, 3, CLCNN_PADDING_SAME, CLCNN_ACTIVATION_RELU);
    clcnn_model_maxpool2d(model, 2);
    clcnn_model_conv2d(model, 128, 3, CLCNN_PADDING_SAME, CLCNN_ACTIVATION_RELU);
    clcnn_model_maxpool2d(model, 2);
    clcnn_model_flatten(model);
    clcnn_model_dense(model, 128, CLCNN_ACTIVATION_RELU);
    clcnn_model_dropout(model, 0.5f);
    clcnn_model_dense(model, 10, CLCNN_ACTIVATION_SOFTMAX);
    return model;
}

/* ---- text description: "input C H W" then one line per layer --------------------------- */

size_t clcnn_model_describe(const clcnn_model *model, char *text, size_t size)
{
    size_t used =
        (size_t)snprintf(text, size, "input %d %d %d\n", model->in_c, model->in_h, model->in_w);
    for (int i = 0; i < model->layer_count; i++) {
        const clcnn_layer *l = &model->layers[i];
        char line[128];
        switch (l->type) {
        case CLCNN_LAYER_CONV2D:
            snprintf(line, sizeof line, "conv2d %d %d %s %d\n", l->units, l->kernel_size,
                     l->padding == CLCNN_PADDING_SAME ? "same" : "valid", (int)l->activation);
            break;
        case CLCNN_LAYER_MAXPOOL2D:
            snprintf(line, sizeof line, "maxpool2d %d\n", l->kernel_size);
            break;
        case CLCNN_LAYER_FLATTEN:
            snprintf(line, sizeof line, "flatten\n");
            break;
        case CLCNN_LAYER_DENSE:
            snprintf(line, sizeof line, "dense %d %d\n", l->units, (int)l->activation);
            break;
        case CLCNN_LAYER_DROPOUT:
            snprintf(line, sizeof line, "dropout %.9g\n", (double)l->rate);
            break;
        case CLCNN_LAYER_ACTIVATION:
            snprintf(line, sizeof line, "activation %d\n", (int)l->activation);
            break;
        }
        used += (size_t)snprintf(used < size ? text + used : NULL, used < size ? size - used : 0,
                                 "%s", line);
    }
    return used;
}

clcnn_status clcnn_model_parse(const char *text, clcnn_model **out)
{
    *out = NULL;
    int c, h, w, consumed = 0;
    if (sscanf(text, "input %d %d %d\n%n", &c, &h, &w, &consumed) != 3 || consumed == 0)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "model description: expected 'input C H W' first");
    clcnn_model *model = clcnn_model_create(c, h, w);
    if (!model)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    const char *at = text + consumed;
    while (*at && model->status == CLCNN_OK) {
        char kind[16] = "";
        int a = 0, b = 0, d = 0, n = 0;
        char padding[8];
        float rate = 0;
        if (sscanf(at, "conv2d %d %d %7s %d\n%n", &a, &b, padding, &d, &n) == 4 && n)
            clcnn_model_conv2d(model, a, b,
                               strcmp(padding, "same") ? CLCNN_PADDING_VALID : CLCNN_PADDING_SAME,
                               (clcnn_activation)d);
        else if ((n = 0, sscanf(at, "maxpool2d %d\n%n", &a, &n) == 1 && n))
            clcnn_model_maxpool2d(model, a);
        else if ((n = 0, sscanf(at, "flatten\n%n", &n) == 0 && n))
            clcnn_model_flatten(model);
        else if ((n = 0, sscanf(at, "dense %d %d\n%n", &a, &d, &n) == 2 && n))
            clcnn_model_dense(model, a, (clcnn_activation)d);
        else if ((n = 0, sscanf(at, "dropout %f\n%n", &rate, &n) == 1 && n))
            clcnn_model_dropout(model, rate);
        else if ((n = 0, sscanf(at, "activation %d\n%n", &d, &n) == 1 && n))
            clcnn_model_activation(model, (clcnn_activation)d);
        else {
            sscanf(at, "%15s", kind);
            clcnn_model_destroy(model);
            return clcnn_fail(CLCNN_ERROR_FORMAT, "model description: unknown layer '%.15s'", kind);
        }
        at += n;
    }
    if (model->status != CLCNN_OK) {
        clcnn_status status = clcnn_fail(model->status, "model description: %s", model->error);
        clcnn_model_destroy(model);
        return status;
    }
    *out = model;
    return CLCNN_OK;
}
