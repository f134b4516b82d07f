/* Softmax + sparse categorical cross-entropy dispatch; kernel in
 * cl/softmax_cross_entropy.cl, reference twin in ref/softmax_cross_entropy.c. */
#include "ops.h"

clcnn_status clcnn_softmax_cross_entropy(clcnn_context *context, int N, int C, float smoothing,
                                         const clcnn_buffer *logits, const clcnn_buffer *labels,
                                         clcnn_buffer *dlogits, clcnn_buffer *loss)
{
    const char *op = "softmax_cross_entropy";
    if (N <= 0 || C <= 0 || !(smoothing >= 0 && smoothing < 1))
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "%s: N=%d and C=%d must be positive, label smoothing %g from 0 to below 1",
                          op, N, C, smoothing);
    CLCNN_TRY(clcnn_require_bytes(op, "logits", logits, (size_t)N * C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes(op, "labels", labels, (size_t)N, sizeof(int32_t)));
    if (dlogits)
        CLCNN_TRY(clcnn_require_bytes(op, "dlogits", dlogits, (size_t)N * C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes(op, "loss", loss, (size_t)N, sizeof(float)));
    if (context->reference) {
        clcnn_ref_softmax_cross_entropy(N, C, smoothing, logits->host, labels->host,
                                        dlogits ? dlogits->host : NULL, loss->host);
        return CLCNN_OK;
    }
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_SOFTMAX_CROSS_ENTROPY, &kernel));
    int write_gradient = dlogits != NULL;
    /* Without a gradient the kernel never touches its dlogits argument; loss stands in. */
    cl_mem gradient = dlogits ? dlogits->mem : loss->mem;
    CLCNN_TRY(clcnn_set_args(context, kernel, 8, sizeof(cl_mem), &logits->mem, sizeof(cl_mem),
                             &labels->mem, sizeof(cl_mem), &gradient, sizeof(cl_mem), &loss->mem,
                             sizeof(int), &N, sizeof(int), &C, sizeof(int), &write_gradient,
                             sizeof(float), &smoothing));
    return clcnn_launch_elementwise(context, kernel, (size_t)N);
}
