/* Pieces every layer kind shares: fused activations and the usual parameter tensors. */
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
    return (clcnn_param_spec){"kernel", count, CLCNN_INIT_GLOROT_UNIFORM, fan_in, fan_out, true};
}

clcnn_param_spec clcnn_param_bias(size_t count)
{
    return (clcnn_param_spec){"bias", count, CLCNN_INIT_ZEROS, 0, 0, true};
}
