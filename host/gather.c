/* Gather dispatch; kernel in cl/gather.cl, reference twin in ref/gather.c. */
#include "ops.h"

clcnn_status clcnn_gather(clcnn_context *context, const clcnn_gather_shape *s,
                          const clcnn_buffer *pixels, const clcnn_buffer *labels,
                          const clcnn_buffer *order, clcnn_buffer *x, clcnn_buffer *y_labels)
{
    if (s->N <= 0 || s->C <= 0 || s->H <= 0 || s->W <= 0 || s->count <= 0 || s->first < 0)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "gather: N=%d C=%d H=%d W=%d count=%d first=%d: sizes must be "
                          "positive and first not negative",
                          s->N, s->C, s->H, s->W, s->count, s->first);
    const size_t image = (size_t)s->C * s->H * s->W;
    CLCNN_TRY(clcnn_require_bytes("gather", "pixels", pixels, (size_t)s->count * image, 1));
    CLCNN_TRY(clcnn_require_bytes("gather", "labels", labels, (size_t)s->count, 1));
    CLCNN_TRY(clcnn_require_bytes("gather", "order", order, (size_t)s->first + (size_t)s->N,
                                  sizeof(int32_t)));
    CLCNN_TRY(clcnn_require_bytes("gather", "x", x, (size_t)s->N * image, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("gather", "y_labels", y_labels, (size_t)s->N, sizeof(int32_t)));
    if (context->reference)
        return clcnn_ref_gather(s, pixels->host, labels->host, order->host, x->host,
                                y_labels->host);
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_GATHER, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 10, sizeof(cl_mem), &pixels->mem, sizeof(cl_mem),
                             &labels->mem, sizeof(cl_mem), &order->mem, sizeof(cl_mem), &x->mem,
                             sizeof(cl_mem), &y_labels->mem, sizeof(int), &s->first, sizeof(int),
                             &s->C, sizeof(int), &s->H, sizeof(int), &s->W, sizeof(float),
                             &s->divisor));
    clcnn_profile_cost(context, (double)s->N * image, 5.0 * (double)s->N * image);
    return clcnn_launch_planes(context, kernel, (size_t)s->W, (size_t)s->H, (size_t)s->N * s->C);
}
