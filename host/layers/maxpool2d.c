/* maxpool2d: Keras's MaxPooling2D. x: [N, C, H, W], y and its argmax scratch: [N, C, OH, OW].
 * Keywords and shapes are the pooling windows' of layer.c. */
#include "layer.h"

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
    CLCNN_TRY(clcnn_pool_shape(state->node, step->N, &shape));
    return clcnn_maxpool2d_forward(state->context, &shape, x[0], y, &state->scratch);
}

static clcnn_status backward(clcnn_layer_state *state, const clcnn_step *step,
                             const clcnn_buffer *const x[], const clcnn_buffer *y, clcnn_buffer *dy,
                             clcnn_buffer *const dx[])
{
    (void)x;
    if (!dx[0])
        return CLCNN_OK;
    clcnn_pool2d_shape shape;
    CLCNN_TRY(clcnn_pool_shape(state->node, step->N, &shape));
    /* y > 0 at the chosen inputs is the ReLU derivative of a producer that leaves it to us */
    return clcnn_maxpool2d_backward(state->context, &shape, dy, &state->scratch,
                                    state->gate_relu ? y : NULL, dx[0]);
}

/* the windows a producer that fuses_pool can run in its own pass (clcnn_fused_pool) */
static bool fusable_pool(const clcnn_node *node)
{
    const clcnn_layer_args *a = &node->args;
    return a->pool == 2 && a->stride == 2 && a->padding == CLCNN_PADDING_VALID;
}

const clcnn_layer_kind clcnn_layer_maxpool2d = {
    .name = "maxpool2d", .keras_name = "MaxPooling2D", .base_name = "max_pooling2d", .inputs = 1,
    .keywords = clcnn_pool_keywords, .infer = clcnn_pool_infer, .gates_relu = true,
    .fusable_pool = fusable_pool, .reserve = reserve, .forward = forward, .backward = backward};
