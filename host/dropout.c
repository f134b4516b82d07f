/* Dropout dispatch; kernels in cl/dropout.cl, reference twin (and Philox) in ref/dropout.c. */
#include "ops.h"

static clcnn_status launch_dropout(clcnn_context *context, clcnn_kernel_id id,
                                   const clcnn_dropout_params *p, const clcnn_buffer *in,
                                   clcnn_buffer *out)
{
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, id, &kernel));
    cl_uint step_lo = (cl_uint)p->step, step_hi = (cl_uint)(p->step >> 32);
    cl_uint seed_lo = (cl_uint)p->seed, seed_hi = (cl_uint)(p->seed >> 32);
    cl_uint layer = p->layer, threshold = clcnn_dropout_threshold(p->rate);
    float scale = clcnn_dropout_scale(p->rate);
    cl_uint first = p->first;
    CLCNN_TRY(clcnn_set_args(context, kernel, 11, sizeof(cl_mem), &in->mem, sizeof(cl_mem),
                             &out->mem, sizeof(int), &p->count, sizeof(cl_uint), &first,
                             sizeof(cl_uint), &layer,
                             sizeof(cl_uint), &step_lo, sizeof(cl_uint), &step_hi, sizeof(cl_uint),
                             &seed_lo, sizeof(cl_uint), &seed_hi, sizeof(cl_uint), &threshold,
                             sizeof(float), &scale));
    /* one work-item per DROPOUT_LANES (8) elements, cl/dropout.cl */
    return clcnn_launch_elementwise(context, kernel, ((size_t)p->count + 7) / 8);
}

static clcnn_status check_rate(const clcnn_dropout_params *p)
{
    if (!(p->rate >= 0.0f && p->rate < 1.0f))
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "dropout: rate must be in [0, 1), got %g", (double)p->rate);
    return CLCNN_OK;
}

clcnn_status clcnn_dropout_forward(clcnn_context *context, const clcnn_dropout_params *p,
                                   const clcnn_buffer *x, clcnn_buffer *y)
{
    CLCNN_TRY(check_rate(p));
    CLCNN_TRY(clcnn_require_bytes("dropout_forward", "x", x, (size_t)p->count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("dropout_forward", "y", y, (size_t)p->count, sizeof(float)));
    if (context->reference) {
        clcnn_ref_dropout_forward(p, x->host, y->host);
        return CLCNN_OK;
    }
    return launch_dropout(context, CLCNN_KERNEL_DROPOUT_FORWARD, p, x, y);
}

clcnn_status clcnn_dropout_backward(clcnn_context *context, const clcnn_dropout_params *p,
                                    const clcnn_buffer *dy, clcnn_buffer *dx)
{
    CLCNN_TRY(check_rate(p));
    CLCNN_TRY(clcnn_require_bytes("dropout_backward", "dy", dy, (size_t)p->count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("dropout_backward", "dx", dx, (size_t)p->count, sizeof(float)));
    if (context->reference) {
        clcnn_ref_dropout_backward(p, dy->host, dx->host);
        return CLCNN_OK;
    }
    return launch_dropout(context, CLCNN_KERNEL_DROPOUT_BACKWARD, p, dy, dx);
}
