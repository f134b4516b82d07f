/* Metrics dispatch; kernels in cl/metrics.cl, reference twin in ref/metrics.c. */
#include "ops.h"

clcnn_status clcnn_metrics_reduce(clcnn_context *context, int N, int C,
                                  const clcnn_buffer *logits, const clcnn_buffer *labels,
                                  const clcnn_buffer *loss, clcnn_buffer *totals)
{
    CLCNN_TRY(clcnn_require_bytes("metrics_reduce", "logits", logits, (size_t)N * C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("metrics_reduce", "labels", labels, (size_t)N, sizeof(int32_t)));
    CLCNN_TRY(clcnn_require_bytes("metrics_reduce", "loss", loss, (size_t)N, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("metrics_reduce", "totals", totals, 3, sizeof(float)));
    if (context->reference) {
        clcnn_ref_metrics_reduce(N, C, logits->host, labels->host, loss->host, totals->host);
        return CLCNN_OK;
    }
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_METRICS_REDUCE, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 6, sizeof(cl_mem), &logits->mem, sizeof(cl_mem),
                             &labels->mem, sizeof(cl_mem), &loss->mem, sizeof(cl_mem), &totals->mem,
                             sizeof(int), &N, sizeof(int), &C));
    return clcnn_launch_groups(context, kernel, 1, context->reduce_work_group);
}

clcnn_status clcnn_argmax(clcnn_context *context, int N, int C, const clcnn_buffer *logits,
                          clcnn_buffer *predictions)
{
    CLCNN_TRY(clcnn_require_bytes("argmax", "logits", logits, (size_t)N * C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("argmax", "predictions", predictions, (size_t)N, sizeof(int32_t)));
    if (context->reference) {
        clcnn_ref_argmax(N, C, logits->host, predictions->host);
        return CLCNN_OK;
    }
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_ARGMAX, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 4, sizeof(cl_mem), &logits->mem, sizeof(cl_mem),
                             &predictions->mem, sizeof(int), &N, sizeof(int), &C));
    return clcnn_launch_elementwise(context, kernel, (size_t)N);
}
