/* Average pooling dispatch; kernels in cl/avgpool2d.cl, reference twin in ref/avgpool2d.c.
 * Shapes as max pooling's (clcnn_pool2d_shape). */
#include "ops.h"

static size_t input_count(const clcnn_pool2d_shape *s) { return (size_t)s->N * s->C * s->H * s->W; }
static size_t output_count(const clcnn_pool2d_shape *s) { return (size_t)s->N * s->C * s->OH * s->OW; }

/* The kernels run over [N * C][height][width] of the tensor they write, or with height 0 over
 * the N * C planes (avgpool2d_backward_window). */
static clcnn_status launch(clcnn_context *context, clcnn_kernel_id id, const clcnn_pool2d_shape *s,
                           cl_mem in, cl_mem out, int width, int height)
{
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, id, &kernel));
    CLCNN_CL_CHECK(context, clSetKernelArg(kernel, 0, sizeof(cl_mem), &in));
    CLCNN_CL_CHECK(context, clSetKernelArg(kernel, 1, sizeof(cl_mem), &out));
    const int shape[12] = {s->N, s->C, s->H, s->W, s->KH, s->KW, s->OH, s->OW,
                           s->stride_h, s->stride_w, s->pad_top, s->pad_left};
    for (int i = 0; i < 12; i++)
        CLCNN_CL_CHECK(context, clSetKernelArg(kernel, (cl_uint)(2 + i), sizeof(int), &shape[i]));
    /* flops: one add per window element; bytes: the input and the output once */
    clcnn_profile_cost(context, (double)output_count(s) * s->KH * s->KW,
                       4.0 * ((double)input_count(s) + (double)output_count(s)));
    if (height == 0)
        return clcnn_launch_elementwise(context, kernel, (size_t)s->N * s->C);
    return clcnn_launch_planes(context, kernel, (size_t)width, (size_t)height,
                               (size_t)s->N * s->C);
}

clcnn_status clcnn_avgpool2d_forward(clcnn_context *context, const clcnn_pool2d_shape *s,
                                     const clcnn_buffer *x, clcnn_buffer *y)
{
    CLCNN_TRY(clcnn_require_bytes("avgpool2d_forward", "x", x, input_count(s), sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("avgpool2d_forward", "y", y, output_count(s), sizeof(float)));
    if (context->reference) {
        clcnn_ref_avgpool2d_forward(s, x->host, y->host);
        return CLCNN_OK;
    }
    return launch(context, CLCNN_KERNEL_AVGPOOL2D_FORWARD, s, x->mem, y->mem, s->OW, s->OH);
}

clcnn_status clcnn_avgpool2d_backward(clcnn_context *context, const clcnn_pool2d_shape *s,
                                      const clcnn_buffer *dy, clcnn_buffer *dx)
{
    CLCNN_TRY(clcnn_require_bytes("avgpool2d_backward", "dy", dy, output_count(s), sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("avgpool2d_backward", "dx", dx, input_count(s), sizeof(float)));
    if (context->reference) {
        clcnn_ref_avgpool2d_backward(s, dy->host, dx->host);
        return CLCNN_OK;
    }
    if (s->OH == 1 && s->OW == 1)
        return launch(context, CLCNN_KERNEL_AVGPOOL2D_BACKWARD_WINDOW, s, dy->mem, dx->mem, 0, 0);
    return launch(context, CLCNN_KERNEL_AVGPOOL2D_BACKWARD, s, dy->mem, dx->mem, s->W, s->H);
}
