/* Every layer kind a model file can name. Adding a kind: its file, then one line here. */
#include <string.h>

#include "layer.h"

extern const clcnn_layer_kind clcnn_layer_conv2d, clcnn_layer_maxpool2d, clcnn_layer_avgpool2d,
    clcnn_layer_global_avgpool2d, clcnn_layer_batchnorm, clcnn_layer_flatten, clcnn_layer_dense, clcnn_layer_dropout,
    clcnn_layer_activation, clcnn_layer_add;

const clcnn_layer_kind *const clcnn_layer_kinds[] = {
    &clcnn_layer_conv2d,  &clcnn_layer_maxpool2d,  &clcnn_layer_avgpool2d,
    &clcnn_layer_global_avgpool2d, &clcnn_layer_batchnorm, &clcnn_layer_flatten, &clcnn_layer_dense,
    &clcnn_layer_dropout, &clcnn_layer_activation, &clcnn_layer_add, NULL};

const clcnn_layer_kind *clcnn_layer_kind_find(const char *name)
{
    for (int i = 0; clcnn_layer_kinds[i]; i++)
        if (strcmp(clcnn_layer_kinds[i]->name, name) == 0)
            return clcnn_layer_kinds[i];
    return NULL;
}
