/* Pieces layer kinds share: fused activations, the usual parameter tensors, pooling windows. */
#include <stddef.h>
#include <stdio.h>

#include "layer.h"

static bool elementwise(clcnn_activation activation)
{
    return activation >= CLCNN_ACTIVATION_RELU && activation <= CLCNN_ACTIVATION_LEAKY_RELU;
}

clcnn_status clcnn_layer_activate(clcnn_layer_state *state, clcnn_activation activation,
                                  int count, clcnn_buffer *y)
{
    if (!elementwise(activation))
        return CLCNN_OK;
    return clcnn_activation_forward(state->context, activation, CLCNN_LEAKY_RELU_SLOPE, count, y, y);
}

clcnn_status clcnn_layer_deactivate(clcnn_layer_state *state, clcnn_activation activation,
                                    int count, const clcnn_buffer *y, clcnn_buffer *dy)
{
    if (!elementwise(activation))
        return CLCNN_OK;
    return clcnn_activation_backward(state->context, activation, CLCNN_LEAKY_RELU_SLOPE, count, y,
                                     dy, dy);
}

clcnn_param_spec clcnn_param_kernel(size_t count, double fan_in, double fan_out)
{
    return (clcnn_param_spec){"kernel", count, CLCNN_INIT_GLOROT_UNIFORM, fan_in, fan_out, true,
                              true};
}

clcnn_param_spec clcnn_param_bias(size_t count)
{
    return (clcnn_param_spec){"bias", count, CLCNN_INIT_ZEROS, 0, 0, true, false};
}

#define ARG(field) offsetof(clcnn_layer_args, field)
const clcnn_keyword clcnn_pool_keywords[] = {
    {"pool", CLCNN_KEYWORD_INT, ARG(pool), "2", 1, 255},
    {"stride", CLCNN_KEYWORD_INT, ARG(stride), "0", 1, 255},
    {"padding", CLCNN_KEYWORD_PADDING, ARG(padding), "valid", 0, 0},
    {NULL, 0, 0, NULL, 0, 0}};

clcnn_status clcnn_pool_infer(clcnn_node *node, char *error, size_t size)
{
    clcnn_layer_args *a = &node->args;
    const clcnn_shape in = node->in[0];
    if (a->stride == 0)
        a->stride = a->pool;
    int pad, oh, ow;
    if (in.flat || !clcnn_keras_output_size(in.h, a->pool, a->stride, a->padding, &oh, &pad) ||
        !clcnn_keras_output_size(in.w, a->pool, a->stride, a->padding, &ow, &pad)) {
        snprintf(error, size, "a %dx%d window does not fit its %s input", a->pool, a->pool,
                 in.flat ? "flat" : "smaller");
        return CLCNN_ERROR_INVALID_ARGUMENT;
    }
    node->out = (clcnn_shape){in.c, oh, ow, false};
    return CLCNN_OK;
}

clcnn_status clcnn_pool_shape(const clcnn_node *node, int N, clcnn_pool2d_shape *shape)
{
    const clcnn_layer_args *a = &node->args;
    const clcnn_shape in = node->in[0];
    if (a->pool == 0)
        return clcnn_pool2d_shape_make(N, in.c, in.h, in.w, in.h, in.w, 1, 1, CLCNN_PADDING_VALID,
                                       shape);
    return clcnn_pool2d_shape_make(N, in.c, in.h, in.w, a->pool, a->pool, a->stride, a->stride,
                                   a->padding, shape);
}
