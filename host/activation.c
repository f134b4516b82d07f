/* Activation dispatch; kernels in cl/activation.cl, reference twin in ref/activation.c. */
#include "ops.h"

const char *clcnn_activation_name(clcnn_activation kind)
{
    switch (kind) {
    case CLCNN_ACTIVATION_RELU: return "relu";
    case CLCNN_ACTIVATION_SIGMOID: return "sigmoid";
    case CLCNN_ACTIVATION_TANH: return "tanh";
    case CLCNN_ACTIVATION_LEAKY_RELU: return "leaky_relu";
    case CLCNN_ACTIVATION_SOFTMAX: return "softmax";
    case CLCNN_ACTIVATION_NONE: return "none";
    }
    return "?";
}

static clcnn_status check_kind(clcnn_activation kind)
{
    if (kind < CLCNN_ACTIVATION_RELU || kind > CLCNN_ACTIVATION_LEAKY_RELU)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "activation: %s has no element-wise kernel (softmax is fused into the "
                          "loss)", clcnn_activation_name(kind));
    return CLCNN_OK;
}

clcnn_status clcnn_activation_forward(clcnn_context *context, clcnn_activation kind, float alpha,
                                      int count, const clcnn_buffer *x, clcnn_buffer *y)
{
    CLCNN_TRY(check_kind(kind));
    CLCNN_TRY(clcnn_require_bytes("activation_forward", "x", x, (size_t)count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("activation_forward", "y", y, (size_t)count, sizeof(float)));
    if (context->reference) {
        clcnn_ref_activation_forward(kind, alpha, count, x->host, y->host);
        return CLCNN_OK;
    }
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_ACTIVATION_FORWARD, &kernel));
    int kind_value = (int)kind;
    CLCNN_TRY(clcnn_set_args(context, kernel, 5, sizeof(cl_mem), &x->mem, sizeof(cl_mem), &y->mem,
                             sizeof(int), &count, sizeof(int), &kind_value, sizeof(float), &alpha));
    clcnn_profile_cost(context, 0.0, 8.0 * count); /* x read, y written */
    return clcnn_launch_elementwise(context, kernel, (size_t)count);
}

clcnn_status clcnn_activation_backward(clcnn_context *context, clcnn_activation kind, float alpha,
                                       int count, const clcnn_buffer *y, const clcnn_buffer *dy,
                                       clcnn_buffer *dx)
{
    CLCNN_TRY(check_kind(kind));
    CLCNN_TRY(clcnn_require_bytes("activation_backward", "y", y, (size_t)count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("activation_backward", "dy", dy, (size_t)count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("activation_backward", "dx", dx, (size_t)count, sizeof(float)));
    if (context->reference) {
        clcnn_ref_activation_backward(kind, alpha, count, y->host, dy->host, dx->host);
        return CLCNN_OK;
    }
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_ACTIVATION_BACKWARD, &kernel));
    int kind_value = (int)kind;
    CLCNN_TRY(clcnn_set_args(context, kernel, 6, sizeof(cl_mem), &y->mem, sizeof(cl_mem), &dy->mem,
                             sizeof(cl_mem), &dx->mem, sizeof(int), &count, sizeof(int),
                             &kind_value, sizeof(float), &alpha));
    clcnn_profile_cost(context, 0.0, 12.0 * count); /* y and dy read, dx written */
    return clcnn_launch_elementwise(context, kernel, (size_t)count);
}
