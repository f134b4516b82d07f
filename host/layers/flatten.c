/* flatten: [N, C, H, W] read as [N, C*H*W]. NCHW is already that layout, so the output is
 * the input's buffer (Keras's channels-last flatten orders features differently; clcnn's
 * dense kernels are trained in this order, so nothing depends on it). */
#include "layer.h"

static const clcnn_keyword keywords[] = {{NULL, 0, 0, NULL, 0, 0}};

static clcnn_status infer(clcnn_node *node, char *error, size_t size)
{
    (void)error, (void)size;
    node->out = (clcnn_shape){(int)clcnn_shape_count(node->in[0]), 1, 1, true};
    return CLCNN_OK;
}

static bool aliases(const clcnn_node *node)
{
    (void)node;
    return true;
}

const clcnn_layer_kind clcnn_layer_flatten = {
    .name = "flatten", .keras_name = "Flatten", .base_name = "flatten", .inputs = 1,
    .keywords = keywords, .infer = infer, .aliases = aliases};
