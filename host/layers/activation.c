/* activation: Keras's Activation layer, element-wise on any shape. A final softmax is fused
 * into the loss, so that node is its input. */
#include <stddef.h>
#include <stdio.h>

#include "layer.h"

#define ARG(field) offsetof(clcnn_layer_args, field)
static const clcnn_keyword keywords[] = {
    {"activation", CLCNN_KEYWORD_ACTIVATION, ARG(activation), NULL, 0, 0},
    {NULL, 0, 0, NULL, 0, 0}};

static clcnn_status infer(clcnn_node *node, char *error, size_t size)
{
    if (node->args.activation == CLCNN_ACTIVATION_NONE) {
        snprintf(error, size, "activation=none does nothing; remove the line");
        return CLCNN_ERROR_INVALID_ARGUMENT;
    }
    node->out = node->in[0];
    return CLCNN_OK;
}

static bool aliases(const clcnn_node *node)
{
    return node->args.activation == CLCNN_ACTIVATION_SOFTMAX;
}

static bool is_relu(const clcnn_node *node)
{
    return node->args.activation == CLCNN_ACTIVATION_RELU;
}

static clcnn_status forward(clcnn_layer_state *state, const clcnn_step *step,
                            const clcnn_buffer *const x[], clcnn_buffer *y)
{
    int count = step->N * (int)clcnn_shape_count(state->node->out);
    return clcnn_activation_forward(state->context, state->node->args.activation,
                                    CLCNN_LEAKY_RELU_SLOPE, count, x[0], y);
}

static clcnn_status backward(clcnn_layer_state *state, const clcnn_step *step,
                             const clcnn_buffer *const x[], const clcnn_buffer *y, clcnn_buffer *dy,
                             clcnn_buffer *const dx[])
{
    (void)x;
    if (!dx[0])
        return CLCNN_OK;
    int count = step->N * (int)clcnn_shape_count(state->node->out);
    return clcnn_activation_backward(state->context, state->node->args.activation,
                                     CLCNN_LEAKY_RELU_SLOPE, count, y, dy, dx[0]);
}

const clcnn_layer_kind clcnn_layer_activation = {
    .name = "activation", .keras_name = "Activation", .base_name = "activation", .inputs = 1,
    .keywords = keywords, .infer = infer, .aliases = aliases, .is_relu = is_relu,
    .forward = forward, .backward = backward};
