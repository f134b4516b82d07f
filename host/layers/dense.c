/* dense: Keras's Dense. x: [N, I], kernel: [I, units] (Keras's layout), bias: [units],
 * y: [N, units], with the activation fused in place (softmax: fused into the loss). */
#include <stddef.h>
#include <stdio.h>

#include "layer.h"

#define ARG(field) offsetof(clcnn_layer_args, field)
static const clcnn_keyword keywords[] = {
    {"units", CLCNN_KEYWORD_INT, ARG(units), NULL, 1, 1 << 24},
    {"activation", CLCNN_KEYWORD_ACTIVATION, ARG(activation), "none", 0, 0},
    {"use_bias", CLCNN_KEYWORD_BOOL, ARG(use_bias), "true", 0, 0},
    {NULL, 0, 0, NULL, 0, 0}};

static clcnn_status infer(clcnn_node *node, char *error, size_t size)
{
    const clcnn_layer_args *a = &node->args;
    const clcnn_shape in = node->in[0];
    if (!in.flat) {
        snprintf(error, size, "its input is an image (%dx%dx%d); add flatten first", in.h, in.w,
                 in.c);
        return CLCNN_ERROR_INVALID_ARGUMENT;
    }
    node->out = (clcnn_shape){a->units, 1, 1, true};
    node->params[0] = clcnn_param_kernel((size_t)in.c * a->units, in.c, a->units);
    node->param_count = 1;
    if (a->use_bias)
        node->params[node->param_count++] = clcnn_param_bias((size_t)a->units);
    return CLCNN_OK;
}

static clcnn_dense_shape shape_of(const clcnn_node *node, int N)
{
    return (clcnn_dense_shape){N, node->in[0].c, node->args.units};
}

/* CLBlast's workspace at set-up, so that steps never allocate; a zero bias for use_bias=false */
static clcnn_status reserve(clcnn_layer_state *state, int batch)
{
    const clcnn_dense_shape shape = shape_of(state->node, batch);
    CLCNN_TRY(clcnn_dense_reserve(state->context, &shape));
    if (state->node->args.use_bias)
        return CLCNN_OK;
    return clcnn_buffer_create(state->context, (size_t)state->node->args.units * sizeof(float),
                               &state->scratch);
}

static clcnn_status forward(clcnn_layer_state *state, const clcnn_step *step,
                            const clcnn_buffer *const x[], clcnn_buffer *y)
{
    const clcnn_node *node = state->node;
    const clcnn_dense_shape shape = shape_of(node, step->N);
    const clcnn_buffer *bias = node->args.use_bias ? &state->params[1] : &state->scratch;
    CLCNN_TRY(clcnn_dense_forward(state->context, &shape, x[0], &state->params[0], bias, y));
    return clcnn_layer_activate(state, node->args.activation, step->N * node->args.units, y);
}

static clcnn_status backward(clcnn_layer_state *state, const clcnn_step *step,
                             const clcnn_buffer *const x[], const clcnn_buffer *y, clcnn_buffer *dy,
                             clcnn_buffer *const dx[])
{
    const clcnn_node *node = state->node;
    const clcnn_dense_shape shape = shape_of(node, step->N);
    CLCNN_TRY(clcnn_layer_deactivate(state, node->args.activation, step->N * node->args.units, y, dy));
    CLCNN_TRY(clcnn_dense_backward_weights(state->context, &shape, x[0], dy, &state->grads[0]));
    if (node->args.use_bias)
        CLCNN_TRY(clcnn_dense_backward_bias(state->context, &shape, dy, &state->grads[1]));
    if (dx[0])
        CLCNN_TRY(clcnn_dense_backward_data(state->context, &shape, dy, &state->params[0], dx[0]));
    return CLCNN_OK;
}

const clcnn_layer_kind clcnn_layer_dense = {
    .name = "dense", .keras_name = "Dense", .base_name = "dense", .inputs = 1,
    .keywords = keywords, .infer = infer, .reserve = reserve, .forward = forward,
    .backward = backward};
