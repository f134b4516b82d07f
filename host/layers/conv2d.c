/* conv2d: Keras's Conv2D. x: [N, C, H, W], kernel: [filters, C, k, k], bias: [filters],
 * y: [N, filters, OH, OW], with the activation fused in place. */
#include <stddef.h>
#include <stdio.h>

#include "layer.h"

#define ARG(field) offsetof(clcnn_layer_args, field)
static const clcnn_keyword keywords[] = {
    {"filters", CLCNN_KEYWORD_INT, ARG(filters), NULL, 1, 65536},
    {"kernel", CLCNN_KEYWORD_INT, ARG(kernel), NULL, 1, 255},
    {"stride", CLCNN_KEYWORD_INT, ARG(stride), "1", 1, 255},
    {"padding", CLCNN_KEYWORD_PADDING, ARG(padding), "valid", 0, 0},
    {"activation", CLCNN_KEYWORD_ACTIVATION, ARG(activation), "none", 0, 0},
    {"use_bias", CLCNN_KEYWORD_BOOL, ARG(use_bias), "true", 0, 0},
    {NULL, 0, 0, NULL, 0, 0}};

static clcnn_status infer(clcnn_node *node, char *error, size_t size)
{
    const clcnn_layer_args *a = &node->args;
    const clcnn_shape in = node->in[0];
    if (in.flat) {
        snprintf(error, size, "its input is flat (%d features); conv2d needs an image", in.c);
        return CLCNN_ERROR_INVALID_ARGUMENT;
    }
    if (a->activation == CLCNN_ACTIVATION_SOFTMAX) {
        snprintf(error, size, "activation=softmax ends a model on dense, not conv2d");
        return CLCNN_ERROR_INVALID_ARGUMENT;
    }
    int pad, oh, ow;
    if (!clcnn_keras_output_size(in.h, a->kernel, a->stride, a->padding, &oh, &pad) ||
        !clcnn_keras_output_size(in.w, a->kernel, a->stride, a->padding, &ow, &pad)) {
        snprintf(error, size, "a %dx%d kernel does not fit its %dx%d input with padding=valid",
                 a->kernel, a->kernel, in.h, in.w);
        return CLCNN_ERROR_INVALID_ARGUMENT;
    }
    node->out = (clcnn_shape){a->filters, oh, ow, false};
    double receptive = (double)a->kernel * a->kernel;
    node->params[0] = clcnn_param_kernel((size_t)a->filters * in.c * a->kernel * a->kernel,
                                         in.c * receptive, a->filters * receptive);
    node->param_count = 1;
    if (a->use_bias)
        node->params[node->param_count++] = clcnn_param_bias((size_t)a->filters);
    return CLCNN_OK;
}

static clcnn_status shape_of(const clcnn_node *node, int N, clcnn_conv2d_shape *shape)
{
    const clcnn_layer_args *a = &node->args;
    return clcnn_conv2d_shape_make(N, node->in[0].c, node->in[0].h, node->in[0].w, a->filters,
                                   a->kernel, a->kernel, a->stride, a->stride, a->padding, shape);
}

/* use_bias=false: a zero bias, so the forward op stays one op */
static clcnn_status reserve(clcnn_layer_state *state, int batch)
{
    (void)batch;
    if (state->node->args.use_bias)
        return CLCNN_OK;
    return clcnn_buffer_create(state->context, (size_t)state->node->args.filters * sizeof(float),
                               &state->scratch);
}

static clcnn_status forward(clcnn_layer_state *state, const clcnn_step *step,
                            const clcnn_buffer *const x[], clcnn_buffer *y)
{
    const clcnn_node *node = state->node;
    clcnn_conv2d_shape shape;
    CLCNN_TRY(shape_of(node, step->N, &shape));
    const clcnn_buffer *bias = node->args.use_bias ? &state->params[1] : &state->scratch;
    /* ReLU in the op (fused into its kernels), any other activation after it */
    shape.relu = node->args.activation == CLCNN_ACTIVATION_RELU;
    /* the max pooling that follows, where the trainer fused it (y is then scratch) */
    clcnn_fused_pool pool;
    if (state->pool_node) {
        CLCNN_TRY(clcnn_pool_shape(state->pool_node, step->N, &pool.shape));
        pool.y = state->pool_y;
        pool.argmax = state->pool_argmax;
    }
    /* validation's forward keeps its padded x too: the next training forward replaces it */
    CLCNN_TRY(clcnn_conv2d_forward(state->context, &shape, x[0], &state->params[0], bias, y,
                                   &state->conv2d, state->pool_node ? &pool : NULL));
    if (shape.relu)
        return CLCNN_OK;
    return clcnn_layer_activate(state, node->args.activation,
                                step->N * (int)clcnn_shape_count(node->out), y);
}

static clcnn_status backward(clcnn_layer_state *state, const clcnn_step *step,
                             const clcnn_buffer *const x[], const clcnn_buffer *y, clcnn_buffer *dy,
                             clcnn_buffer *const dx[])
{
    const clcnn_node *node = state->node;
    clcnn_conv2d_shape shape;
    CLCNN_TRY(shape_of(node, step->N, &shape));
    if (!state->relu_gated)
        CLCNN_TRY(clcnn_layer_deactivate(state, node->args.activation,
                                         step->N * (int)clcnn_shape_count(node->out), y, dy));
    /* dX first: dW reads the padded dy it leaves (and the padded x forward left) */
    if (dx[0])
        CLCNN_TRY(clcnn_conv2d_backward_data(state->context, &shape, dy, &state->params[0], dx[0],
                                             &state->conv2d));
    return clcnn_conv2d_backward_weights(state->context, &shape, x[0], dy, &state->grads[0],
                                         node->args.use_bias ? &state->grads[1] : NULL,
                                         &state->conv2d);
}

static bool ends_in_relu(const clcnn_node *node)
{
    return node->args.activation == CLCNN_ACTIVATION_RELU;
}

/* the pooling must see y as the op leaves it (activations applied after the op are not), and
 * backward reads y only for an activation's derivative, which the pooling gates for a ReLU */
static bool fuses_pool(const clcnn_node *node)
{
    return node->args.activation == CLCNN_ACTIVATION_RELU ||
           node->args.activation == CLCNN_ACTIVATION_NONE;
}

const clcnn_layer_kind clcnn_layer_conv2d = {
    .name = "conv2d", .keras_name = "Conv2D", .base_name = "conv2d", .inputs = 1,
    .keywords = keywords, .infer = infer, .ends_in_relu = ends_in_relu, .fuses_pool = fuses_pool,
    .reserve = reserve, .forward = forward, .backward = backward};
