/* Augmentation dispatch; kernel in cl/augment.cl, reference twin (and the moves) in
 * ref/augment.c. */
#include "ops.h"

clcnn_status clcnn_augment(clcnn_context *context, int N, int C, int H, int W,
                           const clcnn_buffer *x, const clcnn_buffer *moves, clcnn_buffer *y)
{
    if (N <= 0 || C <= 0 || H <= 0 || W <= 0)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "augment: N=%d C=%d H=%d W=%d must be positive", N, C, H, W);
    const size_t count = (size_t)N * C * H * W;
    CLCNN_TRY(clcnn_require_bytes("augment", "x", x, count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("augment", "moves", moves, 3 * (size_t)N, sizeof(int32_t)));
    CLCNN_TRY(clcnn_require_bytes("augment", "y", y, count, sizeof(float)));
    if (context->reference) {
        clcnn_ref_augment(N, C, H, W, x->host, moves->host, y->host);
        return CLCNN_OK;
    }
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_AUGMENT, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 6, sizeof(cl_mem), &x->mem, sizeof(cl_mem),
                             &moves->mem, sizeof(cl_mem), &y->mem, sizeof(int), &C, sizeof(int),
                             &H, sizeof(int), &W));
    clcnn_profile_cost(context, 0.0, 8.0 * (double)count);
    return clcnn_launch_planes(context, kernel, (size_t)W, (size_t)H, (size_t)N * C);
}
