/* Training and evaluation (include/clcnn/train.h).
 *
 * Each layer owns its output y and its gradient dy, both [batch, out_c, out_h, out_w], NCHW,
 * allocated once for the full batch; a short last batch uses the first N rows. Flatten and a
 * trailing softmax activation own nothing: their y and dy are their input's. Activations are
 * applied in place on the producing layer's output and undone in place on its gradient
 * (their backward needs only the output). The final softmax is fused into the loss, so the
 * last layer's y holds logits and its dy receives (softmax - onehot) / N. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/train.h"
#include "ops.h"

#define MAX_LAYERS 64
#define LEAKY_RELU_SLOPE 0.3f /* Keras LeakyReLU's default */

typedef struct layer_state {
    const clcnn_layer *spec;
    clcnn_buffer own_y, own_dy, argmax;
    clcnn_buffer *y, *dy; /* own_y/own_dy, or the input's for flatten and softmax */
    clcnn_buffer w, b, dw, db, mw, vw, mb, vb;
} layer_state;

struct clcnn_trainer {
    clcnn_context *context;
    const clcnn_model *model;
    clcnn_train_options options;
    int classes;
    int input_count; /* C * H * W of one sample */
    uint64_t steps;
    layer_state layers[MAX_LAYERS];
    int layer_count;
    clcnn_buffer input, labels, loss, totals;
    float *input_staging;   /* [batch, C, H, W] */
    int32_t *label_staging; /* [batch] */
};

clcnn_train_options clcnn_train_defaults(void)
{
    return (clcnn_train_options){.batch_size = 64, .learning_rate = 1e-3, .beta1 = 0.9,
                                 .beta2 = 0.999, .epsilon = 1e-7, .seed = 0};
}

static size_t out_count(const clcnn_layer *spec)
{
    return (size_t)spec->out_c * spec->out_h * spec->out_w;
}

static bool owns_output(const clcnn_layer *spec)
{
    return spec->type != CLCNN_LAYER_FLATTEN &&
           !(spec->type == CLCNN_LAYER_ACTIVATION && spec->activation == CLCNN_ACTIVATION_SOFTMAX);
}

static clcnn_status allocate_layer(clcnn_trainer *t, int i)
{
    layer_state *layer = &t->layers[i];
    const clcnn_layer *spec = layer->spec;
    size_t batch = (size_t)t->options.batch_size;
    if (owns_output(spec)) {
        CLCNN_TRY(clcnn_buffer_create(t->context, batch * out_count(spec) * sizeof(float), &layer->own_y));
        CLCNN_TRY(clcnn_buffer_create(t->context, batch * out_count(spec) * sizeof(float), &layer->own_dy));
        layer->y = &layer->own_y;
        layer->dy = &layer->own_dy;
    } else {
        layer->y = i > 0 ? t->layers[i - 1].y : &t->input;
        layer->dy = i > 0 ? t->layers[i - 1].dy : NULL;
    }
    if (spec->type == CLCNN_LAYER_MAXPOOL2D)
        CLCNN_TRY(clcnn_buffer_create(t->context, batch * out_count(spec) * sizeof(int32_t), &layer->argmax));
    if (spec->weight_count) {
        clcnn_buffer *weights[] = {&layer->w, &layer->dw, &layer->mw, &layer->vw};
        clcnn_buffer *biases[] = {&layer->b, &layer->db, &layer->mb, &layer->vb};
        for (int k = 0; k < 4; k++) {
            CLCNN_TRY(clcnn_buffer_create(t->context, spec->weight_count * sizeof(float), weights[k]));
            CLCNN_TRY(clcnn_buffer_create(t->context, spec->bias_count * sizeof(float), biases[k]));
        }
    }
    if (spec->type == CLCNN_LAYER_DENSE) {
        const clcnn_dense_shape shape = {t->options.batch_size, spec->in_c, spec->out_c};
        CLCNN_TRY(clcnn_dense_reserve(t->context, &shape));
    }
    return CLCNN_OK;
}

static clcnn_status check_options(const clcnn_model *model, const clcnn_train_options *o)
{
    if (clcnn_model_status(model) != CLCNN_OK)
        return clcnn_fail(clcnn_model_status(model), "invalid model: %s", clcnn_model_error(model));
    int count = clcnn_model_layer_count(model);
    if (count == 0 || count > MAX_LAYERS)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "a model needs 1 to %d layers", MAX_LAYERS);
    if (clcnn_model_layer(model, count - 1)->activation != CLCNN_ACTIVATION_SOFTMAX)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "the model must end in softmax: training minimises sparse categorical "
                          "cross-entropy");
    if (o->batch_size <= 0 || o->batch_size > 65536)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "batch size %d: expected 1 to 65536",
                          o->batch_size);
    if (!(o->learning_rate > 0) || !(o->beta1 >= 0 && o->beta1 < 1) ||
        !(o->beta2 >= 0 && o->beta2 < 1) || !(o->epsilon > 0))
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "Adam needs lr > 0, 0 <= beta1, beta2 < 1 and epsilon > 0");
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_create(clcnn_context *context, const clcnn_model *model,
                                  const clcnn_train_options *options, clcnn_trainer **out)
{
    *out = NULL;
    CLCNN_TRY(check_options(model, options));
    clcnn_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory creating a trainer");
    t->context = context;
    t->model = model;
    t->options = *options;
    t->layer_count = clcnn_model_layer_count(model);
    t->classes = clcnn_model_layer(model, t->layer_count - 1)->out_c;
    t->input_count = clcnn_model_input_channels(model) * clcnn_model_input_height(model) *
                     clcnn_model_input_width(model);
    size_t batch = (size_t)options->batch_size;
    t->input_staging = malloc(batch * (size_t)t->input_count * sizeof(float));
    t->label_staging = malloc(batch * sizeof(int32_t));
    clcnn_status status = t->input_staging && t->label_staging
                              ? CLCNN_OK
                              : clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    if (status == CLCNN_OK)
        status = clcnn_buffer_create(context, batch * (size_t)t->input_count * sizeof(float), &t->input);
    if (status == CLCNN_OK)
        status = clcnn_buffer_create(context, batch * sizeof(int32_t), &t->labels);
    if (status == CLCNN_OK)
        status = clcnn_buffer_create(context, batch * sizeof(float), &t->loss);
    if (status == CLCNN_OK)
        status = clcnn_buffer_create(context, 3 * sizeof(float), &t->totals);
    for (int i = 0; status == CLCNN_OK && i < t->layer_count; i++) {
        t->layers[i].spec = clcnn_model_layer(model, i);
        status = allocate_layer(t, i);
    }
    if (status == CLCNN_OK)
        status = clcnn_context_build_all(context);
    if (status == CLCNN_OK)
        status = clcnn_trainer_initialize(t);
    if (status != CLCNN_OK) {
        clcnn_trainer_destroy(t);
        return status;
    }
    *out = t;
    return CLCNN_OK;
}

void clcnn_trainer_destroy(clcnn_trainer *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->layer_count; i++) {
        layer_state *layer = &t->layers[i];
        clcnn_buffer *owned[] = {&layer->own_y, &layer->own_dy, &layer->argmax, &layer->w,
                                 &layer->b, &layer->dw, &layer->db, &layer->mw, &layer->vw,
                                 &layer->mb, &layer->vb};
        for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++)
            clcnn_buffer_release(owned[k]);
    }
    clcnn_buffer_release(&t->input);
    clcnn_buffer_release(&t->labels);
    clcnn_buffer_release(&t->loss);
    clcnn_buffer_release(&t->totals);
    free(t->input_staging);
    free(t->label_staging);
    free(t);
}

uint64_t clcnn_trainer_steps(const clcnn_trainer *t) { return t->steps; }

/* ---- initialisation ----------------------------------------------------------------------- */

/* Uniform in [-limit, limit) from Philox(counter = {index, layer, purpose, 0}, key = seed). */
static float philox_uniform(uint64_t seed, uint32_t layer, uint32_t purpose, uint32_t index,
                            float limit)
{
    const uint32_t counter[4] = {index, layer, purpose, 0};
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t bits[4];
    clcnn_philox4x32_10(counter, key, bits);
    double unit = (double)(bits[0] >> 8) * 0x1p-24;
    return (float)((2.0 * unit - 1.0) * limit);
}

#define PURPOSE_GLOROT 0x61000001u
#define PURPOSE_SHUFFLE 0x5f000002u

clcnn_status clcnn_trainer_initialize(clcnn_trainer *t)
{
    for (int i = 0; i < t->layer_count; i++) {
        layer_state *layer = &t->layers[i];
        const clcnn_layer *spec = layer->spec;
        if (!spec->weight_count)
            continue;
        /* Glorot uniform: limit sqrt(6 / (fan_in + fan_out)), receptive field included */
        double receptive = spec->type == CLCNN_LAYER_CONV2D
                               ? (double)spec->kernel_size * spec->kernel_size : 1.0;
        double fan_in = spec->in_c * receptive, fan_out = spec->out_c * receptive;
        float limit = (float)sqrt(6.0 / (fan_in + fan_out));
        float *weights = malloc(spec->weight_count * sizeof(float));
        float *zeros = calloc(spec->weight_count, sizeof(float));
        if (!weights || !zeros) {
            free(weights);
            free(zeros);
            return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory initialising %s", spec->name);
        }
        for (size_t k = 0; k < spec->weight_count; k++)
            weights[k] = philox_uniform(t->options.seed, (uint32_t)i, PURPOSE_GLOROT, (uint32_t)k, limit);
        size_t weight_bytes = spec->weight_count * sizeof(float), bias_bytes = spec->bias_count * sizeof(float);
        clcnn_status status = clcnn_buffer_write(t->context, &layer->w, 0, weights, weight_bytes);
        clcnn_buffer *zeroed[] = {&layer->mw, &layer->vw, &layer->b, &layer->mb, &layer->vb};
        for (int k = 0; status == CLCNN_OK && k < 5; k++)
            status = clcnn_buffer_write(t->context, zeroed[k], 0, zeros, k < 2 ? weight_bytes : bias_bytes);
        free(weights);
        free(zeros);
        CLCNN_TRY(status);
    }
    t->steps = 0;
    return CLCNN_OK;
}

void clcnn_shuffle(uint64_t seed, uint64_t epoch, int32_t *indices, int count)
{
    for (int i = 0; i < count; i++)
        indices[i] = i;
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    for (int i = count - 1; i > 0; i--) {
        const uint32_t counter[4] = {(uint32_t)i, (uint32_t)epoch, PURPOSE_SHUFFLE,
                                     (uint32_t)(epoch >> 32)};
        uint32_t bits[4];
        clcnn_philox4x32_10(counter, key, bits);
        uint64_t random = ((uint64_t)bits[0] << 32) | bits[1];
        int j = (int)(random % (uint64_t)(i + 1));
        int32_t swap = indices[i];
        indices[i] = indices[j];
        indices[j] = swap;
    }
}

/* ---- forward, loss, backward, update ---------------------------------------------------------- */

static clcnn_status upload_batch(clcnn_trainer *t, const clcnn_images *images,
                                 const int32_t *indices, int count)
{
    if (count <= 0 || count > t->options.batch_size)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "a batch of %d images: expected 1 to %d",
                          count, t->options.batch_size);
    if (t->input_count != CLCNN_CIFAR10_IMAGE_BYTES)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "the model takes %d values per sample; CIFAR-10 images have 3x32x32",
                          t->input_count);
    for (int n = 0; n < count; n++) {
        int index = indices[n];
        if (index < 0 || index >= images->count)
            return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "image index %d outside 0..%d", index,
                              images->count - 1);
        /* pixels are stored as R, G, B planes of 32x32: already NCHW; scaled to [0, 1] */
        const uint8_t *pixels = images->pixels + (size_t)index * CLCNN_CIFAR10_IMAGE_BYTES;
        float *destination = t->input_staging + (size_t)n * t->input_count;
        for (int k = 0; k < CLCNN_CIFAR10_IMAGE_BYTES; k++)
            destination[k] = (float)pixels[k] / 255.0f;
        t->label_staging[n] = images->labels[index];
    }
    CLCNN_TRY(clcnn_buffer_write(t->context, &t->input, 0, t->input_staging,
                                 (size_t)count * t->input_count * sizeof(float)));
    return clcnn_buffer_write(t->context, &t->labels, 0, t->label_staging,
                              (size_t)count * sizeof(int32_t));
}

static bool elementwise(clcnn_activation activation)
{
    return activation >= CLCNN_ACTIVATION_RELU && activation <= CLCNN_ACTIVATION_LEAKY_RELU;
}

static clcnn_status conv_shape(const clcnn_layer *spec, int N, clcnn_conv2d_shape *shape)
{
    return clcnn_conv2d_shape_make(N, spec->in_c, spec->in_h, spec->in_w, spec->out_c,
                                   spec->kernel_size, spec->kernel_size, spec->stride,
                                   spec->stride, spec->padding, shape);
}

static clcnn_status pool_shape(const clcnn_layer *spec, int N, clcnn_pool2d_shape *shape)
{
    return clcnn_pool2d_shape_make(N, spec->in_c, spec->in_h, spec->in_w, spec->kernel_size,
                                   spec->kernel_size, spec->stride, spec->stride,
                                   CLCNN_PADDING_VALID, shape);
}

static clcnn_dropout_params dropout_params(const clcnn_trainer *t, int i, int N)
{
    const clcnn_layer *spec = t->layers[i].spec;
    return (clcnn_dropout_params){.count = N * (int)out_count(spec), .rate = spec->rate,
                                  .seed = t->options.seed, .step = t->steps, .layer = (uint32_t)i};
}

static clcnn_status forward(clcnn_trainer *t, int N, bool training)
{
    clcnn_context *c = t->context;
    const clcnn_buffer *x = &t->input;
    for (int i = 0; i < t->layer_count; i++) {
        layer_state *layer = &t->layers[i];
        const clcnn_layer *spec = layer->spec;
        int count = N * (int)out_count(spec);
        uint64_t begin = clcnn_trace_begin(c);
        switch (spec->type) {
        case CLCNN_LAYER_CONV2D: {
            clcnn_conv2d_shape shape;
            CLCNN_TRY(conv_shape(spec, N, &shape));
            CLCNN_TRY(clcnn_conv2d_forward(c, &shape, x, &layer->w, &layer->b, layer->y));
            break;
        }
        case CLCNN_LAYER_MAXPOOL2D: {
            clcnn_pool2d_shape shape;
            CLCNN_TRY(pool_shape(spec, N, &shape));
            CLCNN_TRY(clcnn_maxpool2d_forward(c, &shape, x, layer->y, &layer->argmax));
            break;
        }
        case CLCNN_LAYER_DENSE: {
            const clcnn_dense_shape shape = {N, spec->in_c, spec->out_c};
            CLCNN_TRY(clcnn_dense_forward(c, &shape, x, &layer->w, &layer->b, layer->y));
            break;
        }
        case CLCNN_LAYER_DROPOUT:
            if (training) {
                const clcnn_dropout_params params = dropout_params(t, i, N);
                CLCNN_TRY(clcnn_dropout_forward(c, &params, x, layer->y));
            } else {
                CLCNN_TRY(clcnn_buffer_copy(c, x, layer->y, (size_t)count * sizeof(float)));
            }
            break;
        case CLCNN_LAYER_ACTIVATION:
            if (elementwise(spec->activation))
                CLCNN_TRY(clcnn_activation_forward(c, spec->activation, LEAKY_RELU_SLOPE, count,
                                                   x, layer->y));
            break;
        case CLCNN_LAYER_FLATTEN: break;
        }
        if (spec->type != CLCNN_LAYER_ACTIVATION && elementwise(spec->activation))
            CLCNN_TRY(clcnn_activation_forward(c, spec->activation, LEAKY_RELU_SLOPE, count,
                                               layer->y, layer->y));
        clcnn_trace_end(c, begin, "forward %s", spec->name);
        x = layer->y;
    }
    return CLCNN_OK;
}

static clcnn_status backward(clcnn_trainer *t, int N)
{
    clcnn_context *c = t->context;
    for (int i = t->layer_count - 1; i >= 0; i--) {
        layer_state *layer = &t->layers[i];
        const clcnn_layer *spec = layer->spec;
        const clcnn_buffer *x = i > 0 ? t->layers[i - 1].y : &t->input;
        clcnn_buffer *dx = i > 0 ? t->layers[i - 1].dy : NULL;
        int count = N * (int)out_count(spec);
        uint64_t begin = clcnn_trace_begin(c);
        if (spec->type != CLCNN_LAYER_ACTIVATION && elementwise(spec->activation))
            CLCNN_TRY(clcnn_activation_backward(c, spec->activation, LEAKY_RELU_SLOPE, count,
                                                layer->y, layer->dy, layer->dy));
        switch (spec->type) {
        case CLCNN_LAYER_CONV2D: {
            clcnn_conv2d_shape shape;
            CLCNN_TRY(conv_shape(spec, N, &shape));
            CLCNN_TRY(clcnn_conv2d_backward_weights(c, &shape, x, layer->dy, &layer->dw));
            CLCNN_TRY(clcnn_conv2d_backward_bias(c, &shape, layer->dy, &layer->db));
            if (dx)
                CLCNN_TRY(clcnn_conv2d_backward_data(c, &shape, layer->dy, &layer->w, dx));
            break;
        }
        case CLCNN_LAYER_MAXPOOL2D:
            if (dx) {
                clcnn_pool2d_shape shape;
                CLCNN_TRY(pool_shape(spec, N, &shape));
                CLCNN_TRY(clcnn_maxpool2d_backward(c, &shape, layer->dy, &layer->argmax, dx));
            }
            break;
        case CLCNN_LAYER_DENSE: {
            const clcnn_dense_shape shape = {N, spec->in_c, spec->out_c};
            CLCNN_TRY(clcnn_dense_backward_weights(c, &shape, x, layer->dy, &layer->dw));
            CLCNN_TRY(clcnn_dense_backward_bias(c, &shape, layer->dy, &layer->db));
            if (dx)
                CLCNN_TRY(clcnn_dense_backward_data(c, &shape, layer->dy, &layer->w, dx));
            break;
        }
        case CLCNN_LAYER_DROPOUT:
            if (dx) {
                const clcnn_dropout_params params = dropout_params(t, i, N);
                CLCNN_TRY(clcnn_dropout_backward(c, &params, layer->dy, dx));
            }
            break;
        case CLCNN_LAYER_ACTIVATION:
            if (dx && elementwise(spec->activation))
                CLCNN_TRY(clcnn_activation_backward(c, spec->activation, LEAKY_RELU_SLOPE, count,
                                                    layer->y, layer->dy, dx));
            break;
        case CLCNN_LAYER_FLATTEN: break;
        }
        clcnn_trace_end(c, begin, "backward %s", spec->name);
    }
    return CLCNN_OK;
}

static clcnn_status update(clcnn_trainer *t)
{
    uint64_t begin = clcnn_trace_begin(t->context);
    const clcnn_train_options *o = &t->options;
    const clcnn_adam_step step = {clcnn_adam_alpha(o->learning_rate, o->beta1, o->beta2, t->steps + 1),
                                  (float)o->beta1, (float)o->beta2, (float)o->epsilon};
    for (int i = 0; i < t->layer_count; i++) {
        layer_state *layer = &t->layers[i];
        if (!layer->spec->weight_count)
            continue;
        CLCNN_TRY(clcnn_adam_update(t->context, &step, (int)layer->spec->weight_count, &layer->w,
                                    &layer->dw, &layer->mw, &layer->vw));
        CLCNN_TRY(clcnn_adam_update(t->context, &step, (int)layer->spec->bias_count, &layer->b,
                                    &layer->db, &layer->mb, &layer->vb));
    }
    t->steps++;
    clcnn_trace_end(t->context, begin, "adam update");
    return CLCNN_OK;
}

/* The first tensor holding NaN or Inf, in the order the values flowed: each layer's parameters,
 * then its output. Reads back every tensor: only ever called once training has failed. */
static clcnn_status find_non_finite(clcnn_trainer *t, int N, char *where, size_t size)
{
    for (int i = 0; i < t->layer_count; i++) {
        layer_state *layer = &t->layers[i];
        const clcnn_layer *spec = layer->spec;
        const struct {
            const clcnn_buffer *buffer;
            size_t count;
            const char *what;
        } tensors[] = {{&layer->w, spec->weight_count, "weights W"},
                       {&layer->b, spec->bias_count, "bias b"},
                       {layer->y, (size_t)N * out_count(spec), "output y"}};
        for (int k = 0; k < 3; k++) {
            if (tensors[k].count == 0 || (k == 2 && !owns_output(spec)))
                continue;
            float *values = malloc(tensors[k].count * sizeof(float));
            if (!values)
                return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
            clcnn_status status = clcnn_buffer_read(t->context, tensors[k].buffer, 0, values,
                                                    tensors[k].count * sizeof(float));
            size_t bad = tensors[k].count;
            for (size_t e = 0; status == CLCNN_OK && e < tensors[k].count && bad == tensors[k].count; e++)
                if (!isfinite(values[e]))
                    bad = e;
            float value = bad < tensors[k].count ? values[bad] : 0.0f;
            free(values);
            CLCNN_TRY(status);
            if (bad < tensors[k].count) {
                snprintf(where, size, "layer %s, %s, element %zu is %s", spec->name, tensors[k].what,
                         bad, isnan(value) ? "NaN" : "infinite");
                return CLCNN_OK;
            }
        }
    }
    snprintf(where, size, "every parameter and activation is finite: the loss itself overflowed");
    return CLCNN_OK;
}

static clcnn_status non_finite_loss(clcnn_trainer *t, int N, float loss)
{
    char where[256];
    CLCNN_TRY(find_non_finite(t, N, where, sizeof where));
    return clcnn_fail(CLCNN_ERROR_NUMERIC,
                      "the loss is %s at step %llu; first non-finite tensor: %s. Stopped before "
                      "updating the weights; the last checkpoint holds the last good state",
                      isnan(loss) ? "NaN" : "infinite", (unsigned long long)t->steps + 1, where);
}

/* Loss per sample and its gradient into the last layer's dy (training), then the three
 * totals, read back: the only device-to-host transfer of a step. */
static clcnn_status loss_and_totals(clcnn_trainer *t, int N, bool training,
                                    clcnn_batch_totals *totals)
{
    layer_state *last = &t->layers[t->layer_count - 1];
    CLCNN_TRY(clcnn_softmax_cross_entropy(t->context, N, t->classes, last->y, &t->labels,
                                          training ? last->dy : NULL, &t->loss));
    CLCNN_TRY(clcnn_metrics_reduce(t->context, N, t->classes, last->y, &t->labels, &t->loss,
                                   &t->totals));
    float values[3];
    CLCNN_TRY(clcnn_buffer_read(t->context, &t->totals, 0, values, sizeof values));
    if (values[2] != 0.0f)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "%d labels of the batch are outside 0..%d",
                          (int)values[2], t->classes - 1);
    if (!isfinite(values[0]))
        return non_finite_loss(t, N, values[0]);
    *totals = (clcnn_batch_totals){values[0], (int)values[1], N};
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_train_step(clcnn_trainer *t, const clcnn_images *images,
                                      const int32_t *indices, int count, clcnn_batch_totals *totals)
{
    uint64_t begin = clcnn_trace_begin(t->context);
    CLCNN_TRY(upload_batch(t, images, indices, count));
    CLCNN_TRY(forward(t, count, true));
    /* the loss is read back before backward: the totals describe the weights before the step */
    CLCNN_TRY(loss_and_totals(t, count, true, totals));
    CLCNN_TRY(backward(t, count));
    CLCNN_TRY(update(t));
    /* profiling: resolve this step's events (waits for the step; a no-op when off) */
    CLCNN_TRY(clcnn_profile_flush(t->context));
    clcnn_trace_end(t->context, begin, "train step %llu", (unsigned long long)t->steps);
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_evaluate(clcnn_trainer *t, const clcnn_images *images,
                                    const int32_t *indices, int count, clcnn_batch_totals *totals,
                                    int32_t *predictions, float *probabilities)
{
    uint64_t begin = clcnn_trace_begin(t->context);
    CLCNN_TRY(upload_batch(t, images, indices, count));
    CLCNN_TRY(forward(t, count, false));
    CLCNN_TRY(loss_and_totals(t, count, false, totals));
    const clcnn_buffer *logits = t->layers[t->layer_count - 1].y;
    if (predictions) {
        /* the loss buffer is free now; it holds at least count int32 */
        CLCNN_TRY(clcnn_argmax(t->context, count, t->classes, logits, &t->loss));
        CLCNN_TRY(clcnn_buffer_read(t->context, &t->loss, 0, predictions, (size_t)count * sizeof(int32_t)));
    }
    if (probabilities) {
        size_t values = (size_t)count * t->classes;
        CLCNN_TRY(clcnn_buffer_read(t->context, logits, 0, probabilities, values * sizeof(float)));
        for (int n = 0; n < count; n++) {
            float *row = probabilities + (size_t)n * t->classes;
            double maximum = row[0], sum = 0.0;
            for (int k = 1; k < t->classes; k++)
                maximum = fmax(maximum, row[k]);
            for (int k = 0; k < t->classes; k++)
                sum += exp(row[k] - maximum);
            for (int k = 0; k < t->classes; k++)
                row[k] = (float)(exp(row[k] - maximum) / sum);
        }
    }
    clcnn_trace_end(t->context, begin, "evaluate batch");
    return CLCNN_OK;
}

/* ---- state --------------------------------------------------------------------------------- */

typedef enum { STATE_PARAMETERS, STATE_M, STATE_V } state_part;

static clcnn_status transfer_state(clcnn_trainer *t, state_part part, float *host, bool to_device)
{
    size_t offset = 0;
    for (int i = 0; i < t->layer_count; i++) {
        layer_state *layer = &t->layers[i];
        const clcnn_layer *spec = layer->spec;
        if (!spec->weight_count)
            continue;
        clcnn_buffer *weights = part == STATE_PARAMETERS ? &layer->w : part == STATE_M ? &layer->mw : &layer->vw;
        clcnn_buffer *bias = part == STATE_PARAMETERS ? &layer->b : part == STATE_M ? &layer->mb : &layer->vb;
        size_t weight_bytes = spec->weight_count * sizeof(float), bias_bytes = spec->bias_count * sizeof(float);
        if (to_device) {
            CLCNN_TRY(clcnn_buffer_write(t->context, weights, 0, host + offset, weight_bytes));
            CLCNN_TRY(clcnn_buffer_write(t->context, bias, 0, host + offset + spec->weight_count, bias_bytes));
        } else {
            CLCNN_TRY(clcnn_buffer_read(t->context, weights, 0, host + offset, weight_bytes));
            CLCNN_TRY(clcnn_buffer_read(t->context, bias, 0, host + offset + spec->weight_count, bias_bytes));
        }
        offset += spec->weight_count + spec->bias_count;
    }
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_get_state(clcnn_trainer *t, float *parameters, float *m, float *v)
{
    CLCNN_TRY(transfer_state(t, STATE_PARAMETERS, parameters, false));
    if (m)
        CLCNN_TRY(transfer_state(t, STATE_M, m, false));
    if (v)
        CLCNN_TRY(transfer_state(t, STATE_V, v, false));
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_set_state(clcnn_trainer *t, const float *parameters, const float *m,
                                     const float *v, uint64_t steps)
{
    CLCNN_TRY(transfer_state(t, STATE_PARAMETERS, (float *)parameters, true));
    if (m)
        CLCNN_TRY(transfer_state(t, STATE_M, (float *)m, true));
    if (v)
        CLCNN_TRY(transfer_state(t, STATE_V, (float *)v, true));
    t->steps = steps;
    return CLCNN_OK;
}

/* ---- cross-check against the reference --------------------------------------------------------- */

static double relative_error(const float *got, const float *expected, size_t count)
{
    double difference = 0.0, norm = 0.0;
    for (size_t i = 0; i < count; i++) {
        double d = (double)got[i] - expected[i];
        difference += d * d;
        norm += (double)expected[i] * expected[i];
    }
    if (isnan(difference))
        return INFINITY;
    return norm > 0 ? sqrt(difference / norm) : sqrt(difference);
}

static clcnn_status compare_tensor(clcnn_trainer *t, clcnn_trainer *reference,
                                   const clcnn_buffer *mine, const clcnn_buffer *theirs,
                                   size_t count, const char *layer, const char *tensor,
                                   clcnn_crosscheck_report *report)
{
    float *got = malloc(count * sizeof(float)), *expected = malloc(count * sizeof(float));
    clcnn_status status = got && expected ? CLCNN_OK
                                          : clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    if (status == CLCNN_OK)
        status = clcnn_buffer_read(t->context, mine, 0, got, count * sizeof(float));
    if (status == CLCNN_OK)
        status = clcnn_buffer_read(reference->context, theirs, 0, expected, count * sizeof(float));
    if (status == CLCNN_OK) {
        double error = relative_error(got, expected, count);
        report->tensors++;
        if (!(error <= report->worst_error) || report->tensors == 1) {
            report->worst_error = error;
            snprintf(report->worst_tensor, sizeof report->worst_tensor, "%s %s", layer, tensor);
        }
        if (!(error <= report->tolerance / 10)) {
            size_t used = strlen(report->lines);
            snprintf(report->lines + used, sizeof report->lines - used,
                     "  %-16s %-3s relative error %.3g%s\n", layer, tensor, error,
                     error <= report->tolerance ? "" : "  OUT OF TOLERANCE");
        }
        if (!(error <= report->tolerance))
            report->passed = false;
    }
    free(got);
    free(expected);
    return status;
}

clcnn_status clcnn_trainer_crosscheck(clcnn_trainer *t, clcnn_trainer *reference,
                                      const clcnn_images *images, const int32_t *indices,
                                      int count, clcnn_batch_totals *totals,
                                      clcnn_crosscheck_report *report)
{
    if (reference->layer_count != t->layer_count || !reference->context->reference)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "cross-check: the second trainer must run the same model on the "
                          "reference path");
    /* ||device - reference|| / ||reference|| per tensor: float against double sums, through
     * a whole network whose ReLU and pooling choices can flip on near-ties, stays far below */
    *report = (clcnn_crosscheck_report){.tolerance = 1e-3, .passed = true};
    size_t total = clcnn_model_parameter_count(t->model);
    float *state = malloc(3 * total * sizeof(float) + 1);
    if (!state)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    clcnn_status status = clcnn_trainer_get_state(t, state, state + total, state + 2 * total);
    if (status == CLCNN_OK)
        status = clcnn_trainer_set_state(reference, state, state + total, state + 2 * total, t->steps);
    free(state);
    clcnn_batch_totals reference_totals;
    if (status == CLCNN_OK)
        status = clcnn_trainer_train_step(reference, images, indices, count, &reference_totals);
    if (status == CLCNN_OK)
        status = clcnn_trainer_train_step(t, images, indices, count, totals);
    for (int i = 0; status == CLCNN_OK && i < t->layer_count; i++) {
        layer_state *mine = &t->layers[i], *theirs = &reference->layers[i];
        const clcnn_layer *spec = mine->spec;
        size_t activations = (size_t)count * out_count(spec);
        if (owns_output(spec)) {
            status = compare_tensor(t, reference, mine->y, theirs->y, activations, spec->name, "y", report);
            if (status == CLCNN_OK)
                status = compare_tensor(t, reference, mine->dy, theirs->dy, activations, spec->name, "dy", report);
        }
        if (status == CLCNN_OK && spec->weight_count) {
            const clcnn_buffer *pairs[4][2] = {{&mine->dw, &theirs->dw}, {&mine->db, &theirs->db},
                                               {&mine->w, &theirs->w}, {&mine->b, &theirs->b}};
            const char *names[4] = {"dW", "db", "W", "b"};
            for (int k = 0; status == CLCNN_OK && k < 4; k++)
                status = compare_tensor(t, reference, pairs[k][0], pairs[k][1],
                                        k % 2 ? spec->bias_count : spec->weight_count, spec->name,
                                        names[k], report);
        }
    }
    return status;
}
