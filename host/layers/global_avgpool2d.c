/* global_avgpool2d: Keras's GlobalAveragePooling2D, the mean of each channel's plane.
 * x: [N, C, H, W], y: [N, C], flat (the layout of [N, C, 1, 1]): avgpool2d's passes with one
 * H x W window (args.pool 0). It ends ResNets in place of flatten, with no parameters. */
#include <stdio.h>

#include "layer.h"

static const clcnn_keyword keywords[] = {{NULL, 0, 0, NULL, 0, 0}};

static clcnn_status infer(clcnn_node *node, char *error, size_t size)
{
    const clcnn_shape in = node->in[0];
    if (in.flat) {
        snprintf(error, size, "its input is already flat; it averages each channel of an "
                              "H x W x C input");
        return CLCNN_ERROR_INVALID_ARGUMENT;
    }
    node->args.pool = 0;
    node->out = (clcnn_shape){in.c, 1, 1, true};
    return CLCNN_OK;
}

const clcnn_layer_kind clcnn_layer_global_avgpool2d = {
    .name = "global_avgpool2d", .keras_name = "GlobalAveragePooling2D",
    .base_name = "global_average_pooling2d", .inputs = 1, .keywords = keywords, .infer = infer,
    .forward = clcnn_avgpool_forward, .backward = clcnn_avgpool_backward};
