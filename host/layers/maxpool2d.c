/* maxpool2d: Keras's MaxPooling2D. x: [N, C, H, W], y and its argmax scratch: [N, C, OH, OW].
 * stride defaults to pool (written as 0 until inferred), padding to valid. */
#include <stddef.h>
#include <stdio.h>

#include "layer.h"

#define ARG(field) offsetof(clcnn_layer_args, field)
static const clcnn_keyword keywords[] = {
    {"pool", CLCNN_KEYWORD_INT, ARG(pool), "2", 1, 255},
    {"stride", CLCNN_KEYWORD_INT, ARG(stride), "0", 1, 255},
    {"padding", CLCNN_KEYWORD_PADDING, ARG(padding), "valid", 0, 0},
    {NULL, 0, 0, NULL, 0, 0}};

static clcnn_status infer(clcnn_node *node, char *error, size_t size)
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

static clcnn_status shape_of(const clcnn_node *node, int N, clcnn_pool2d_shape *shape)
{
    const clcnn_layer_args *a = &node->args;
    return clcnn_pool2d_shape_make(N, node->in[0].c, node->in[0].h, node->in[0].w, a->pool,
                                   a->pool, a->stride, a->stride, a->padding, shape);
}

static clcnn_status reserve(clcnn_layer_state *state, int batch)
{
    return clcnn_buffer_create(state->context,
                               (size_t)batch * clcnn_shape_count(state->node->out) * sizeof(int32_t),
                               &state->scratch);
}

static clcnn_status forward(clcnn_layer_state *state, const clcnn_step *step,
                            const clcnn_buffer *const x[], clcnn_buffer *y)
{
    clcnn_pool2d_shape shape;
    CLCNN_TRY(shape_of(state->node, step->N, &shape));
    return clcnn_maxpool2d_forward(state->context, &shape, x[0], y, &state->scratch);
}

static clcnn_status backward(clcnn_layer_state *state, const clcnn_step *step,
                             const clcnn_buffer *const x[], const clcnn_buffer *y, clcnn_buffer *dy,
                             clcnn_buffer *const dx[])
{
    (void)x, (void)y;
    if (!dx[0])
        return CLCNN_OK;
    clcnn_pool2d_shape shape;
    CLCNN_TRY(shape_of(state->node, step->N, &shape));
    return clcnn_maxpool2d_backward(state->context, &shape, dy, &state->scratch, dx[0]);
}

const clcnn_layer_kind clcnn_layer_maxpool2d = {
    .name = "maxpool2d", .keras_name = "MaxPooling2D", .base_name = "max_pooling2d", .inputs = 1,
    .keywords = keywords, .infer = infer, .reserve = reserve, .forward = forward,
    .backward = backward};
