/* avgpool2d: Keras's AveragePooling2D. x: [N, C, H, W], y: [N, C, OH, OW]. Keywords and shapes
 * are the pooling windows' of layer.c; with padding=same an edge window averages only the
 * inputs it covers, as TensorFlow does. */
#include "layer.h"

clcnn_status clcnn_avgpool_forward(clcnn_layer_state *state, const clcnn_step *step,
                                   const clcnn_buffer *const x[CLCNN_MAX_INPUTS], clcnn_buffer *y)
{
    clcnn_pool2d_shape shape;
    CLCNN_TRY(clcnn_pool_shape(state->node, step->N, &shape));
    return clcnn_avgpool2d_forward(state->context, &shape, x[0], y);
}

clcnn_status clcnn_avgpool_backward(clcnn_layer_state *state, const clcnn_step *step,
                                    const clcnn_buffer *const x[CLCNN_MAX_INPUTS],
                                    const clcnn_buffer *y, clcnn_buffer *dy,
                                    clcnn_buffer *const dx[CLCNN_MAX_INPUTS])
{
    (void)x, (void)y;
    if (!dx[0])
        return CLCNN_OK;
    clcnn_pool2d_shape shape;
    CLCNN_TRY(clcnn_pool_shape(state->node, step->N, &shape));
    return clcnn_avgpool2d_backward(state->context, &shape, dy, dx[0]);
}

const clcnn_layer_kind clcnn_layer_avgpool2d = {
    .name = "avgpool2d", .keras_name = "AveragePooling2D", .base_name = "average_pooling2d",
    .inputs = 1, .keywords = clcnn_pool_keywords, .infer = clcnn_pool_infer,
    .forward = clcnn_avgpool_forward, .backward = clcnn_avgpool_backward};
