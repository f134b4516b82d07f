/* add: Keras's Add of two tensors of one shape, the residual connection. `add from=NAME`
 * sums the line above (or input=) with the earlier node NAME; the gradient goes to both. */
#include <stdio.h>

#include "layer.h"

static const clcnn_keyword keywords[] = {{NULL, 0, 0, NULL, 0, 0}};

static clcnn_status infer(clcnn_node *node, char *error, size_t size)
{
    const clcnn_shape a = node->in[0], b = node->in[1];
    if (a.c != b.c || a.h != b.h || a.w != b.w || a.flat != b.flat) {
        snprintf(error, size, "its inputs differ in shape: %dx%dx%d and %dx%dx%d (HxWxC)", a.h,
                 a.w, a.c, b.h, b.w, b.c);
        return CLCNN_ERROR_INVALID_ARGUMENT;
    }
    node->out = a;
    return CLCNN_OK;
}

static clcnn_status forward(clcnn_layer_state *state, const clcnn_step *step,
                            const clcnn_buffer *const x[], clcnn_buffer *y)
{
    int count = step->N * (int)clcnn_shape_count(state->node->out);
    return clcnn_add(state->context, count, x[0], x[1], y);
}

static clcnn_status backward(clcnn_layer_state *state, const clcnn_step *step,
                             const clcnn_buffer *const x[], const clcnn_buffer *y, clcnn_buffer *dy,
                             clcnn_buffer *const dx[])
{
    (void)x, (void)y;
    size_t bytes = (size_t)step->N * clcnn_shape_count(state->node->out) * sizeof(float);
    for (int i = 0; i < 2; i++)
        if (dx[i])
            CLCNN_TRY(clcnn_buffer_copy(state->context, dy, dx[i], bytes));
    return CLCNN_OK;
}

const clcnn_layer_kind clcnn_layer_add = {
    .name = "add", .keras_name = "Add", .base_name = "add", .inputs = 2, .keywords = keywords,
    .infer = infer, .forward = forward, .backward = backward};
