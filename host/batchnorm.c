/* Batch normalisation dispatch; kernels in cl/batchnorm.cl, reference twin in
 * ref/batchnorm.c. */
#include "ops.h"

static size_t element_count(const clcnn_batchnorm_shape *s) { return (size_t)s->N * s->C * s->HW; }

/* The items of the element-wise kernels: a run of up to 8 values of one plane each. */
/* the element-wise kernels' range: runs of 8 values of each plane (cl/batchnorm.cl) */
static clcnn_status launch_plane_runs(clcnn_context *context, cl_kernel kernel,
                                      const clcnn_batchnorm_shape *s)
{
    return clcnn_launch_planes(context, kernel, (size_t)(s->HW + 7) / 8, (size_t)s->C,
                               (size_t)s->N);
}

/* The per-plane sums of the two-stage reductions: [N * C, 2] in scratch. */
static clcnn_status plane_sums(clcnn_context *context, const clcnn_batchnorm_shape *s, cl_mem *sums)
{
    return clcnn_scratch(context, CLCNN_SCRATCH_PLANE_SUMS, 2 * (size_t)s->N * s->C * sizeof(float),
                         sums);
}

static clcnn_status check_shape(const clcnn_batchnorm_shape *s)
{
    if (s->N <= 0 || s->C <= 0 || s->HW <= 0 || element_count(s) > 2147483647u)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "batchnorm: N=%d C=%d HW=%d: sizes must be positive and the tensor "
                          "under 2^31 elements", s->N, s->C, s->HW);
    return CLCNN_OK;
}

clcnn_status clcnn_batchnorm_forward(clcnn_context *context, const clcnn_batchnorm_shape *s,
                                     bool training, const clcnn_buffer *x,
                                     const clcnn_buffer *gamma, const clcnn_buffer *beta,
                                     clcnn_buffer *moving_mean, clcnn_buffer *moving_variance,
                                     clcnn_buffer *stats, clcnn_buffer *y,
                                     const clcnn_fused_pool *pool)
{
    CLCNN_TRY(check_shape(s));
    if (pool && pool->shape.H * pool->shape.W != s->HW)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "batchnorm_forward: the pooling run with it takes %dx%d planes; its "
                          "planes hold %d values", pool->shape.H, pool->shape.W, s->HW);
    if (pool)
        CLCNN_TRY(clcnn_fused_pool_check("batchnorm_forward", pool, s->N, s->C, pool->shape.H,
                                         pool->shape.W));
    const size_t C = (size_t)s->C, count = element_count(s);
    CLCNN_TRY(clcnn_require_bytes("batchnorm_forward", "x", x, count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_forward", "y", y, count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_forward", "gamma", gamma, C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_forward", "beta", beta, C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_forward", "moving_mean", moving_mean, C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_forward", "moving_variance", moving_variance, C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_forward", "stats", stats, 2 * C, sizeof(float)));
    if (context->reference) {
        clcnn_ref_batchnorm_forward(s, training, x->host, gamma->host, beta->host,
                                    moving_mean->host, moving_variance->host, stats->host, y->host);
        return pool ? clcnn_maxpool2d_forward(context, &pool->shape, y, pool->y, pool->argmax)
                    : CLCNN_OK;
    }
    const int planes = s->N * s->C;
    cl_kernel kernel;
    if (training) {
        cl_mem sums;
        CLCNN_TRY(plane_sums(context, s, &sums));
        CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_PLANE_MOMENTS, &kernel));
        CLCNN_TRY(clcnn_set_args(context, kernel, 4, sizeof(cl_mem), &x->mem, sizeof(cl_mem),
                                 &sums, sizeof(int), &planes, sizeof(int), &s->HW));
        clcnn_profile_cost(context, 4.0 * (double)count, 4.0 * (double)count);
        CLCNN_TRY(clcnn_launch_elementwise(context, kernel, (size_t)planes));
        CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_STATISTICS, &kernel));
        CLCNN_TRY(clcnn_set_args(context, kernel, 9, sizeof(cl_mem), &sums, sizeof(cl_mem),
                                 &stats->mem, sizeof(cl_mem), &moving_mean->mem, sizeof(cl_mem),
                                 &moving_variance->mem, sizeof(int), &s->N, sizeof(int), &s->C,
                                 sizeof(int), &s->HW, sizeof(float), &s->momentum, sizeof(float),
                                 &s->epsilon));
        clcnn_profile_cost(context, 6.0 * (double)planes, 8.0 * (double)planes);
        CLCNN_TRY(clcnn_launch_elementwise(context, kernel, C));
    } else {
        CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_MOVING_STATISTICS, &kernel));
        CLCNN_TRY(clcnn_set_args(context, kernel, 5, sizeof(cl_mem), &stats->mem, sizeof(cl_mem),
                                 &moving_mean->mem, sizeof(cl_mem), &moving_variance->mem,
                                 sizeof(int), &s->C, sizeof(float), &s->epsilon));
        clcnn_profile_cost(context, 2.0 * (double)C, 16.0 * (double)C);
        CLCNN_TRY(clcnn_launch_elementwise(context, kernel, C));
    }
    const int relu = s->relu;
    if (pool) {
        const clcnn_pool2d_shape *p = &pool->shape;
        CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_FORWARD_POOL, &kernel));
        CLCNN_TRY(clcnn_set_args(context, kernel, 12, sizeof(cl_mem), &x->mem, sizeof(cl_mem),
                                 &stats->mem, sizeof(cl_mem), &gamma->mem, sizeof(cl_mem),
                                 &beta->mem, sizeof(cl_mem), &pool->y->mem, sizeof(cl_mem),
                                 &pool->argmax->mem, sizeof(int), &s->C, sizeof(int), &p->H,
                                 sizeof(int), &p->W, sizeof(int), &p->OH, sizeof(int), &p->OW,
                                 sizeof(int), &relu));
        clcnn_profile_cost(context, 3.0 * (double)count,
                           4.0 * (double)count + 8.0 * (double)s->N * s->C * p->OH * p->OW);
        /* cl/batchnorm.cl: a run of 4 windows per item */
        return clcnn_launch_planes(context, kernel, (size_t)(p->OW + 3) / 4, (size_t)p->OH,
                                   (size_t)s->N * s->C);
    }
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_FORWARD, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 8, sizeof(cl_mem), &x->mem, sizeof(cl_mem),
                             &stats->mem, sizeof(cl_mem), &gamma->mem, sizeof(cl_mem), &beta->mem,
                             sizeof(cl_mem), &y->mem, sizeof(int), &s->C, sizeof(int), &s->HW,
                             sizeof(int), &relu));
    clcnn_profile_cost(context, 2.0 * (double)count, 8.0 * (double)count);
    return launch_plane_runs(context, kernel, s);
}

clcnn_status clcnn_batchnorm_backward(clcnn_context *context, const clcnn_batchnorm_shape *s,
                                      const clcnn_buffer *x, const clcnn_buffer *y,
                                      const clcnn_buffer *gamma,
                                      const clcnn_buffer *stats, const clcnn_buffer *dy,
                                      clcnn_buffer *dgamma, clcnn_buffer *dbeta, clcnn_buffer *dx)
{
    CLCNN_TRY(check_shape(s));
    const size_t C = (size_t)s->C, count = element_count(s);
    CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "x", x, count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "dy", dy, count, sizeof(float)));
    if (s->relu)
        CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "y", y, count, sizeof(float)));
    else
        y = dy; /* an unused argument still needs a buffer */
    CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "gamma", gamma, C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "stats", stats, 2 * C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "dgamma", dgamma, C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "dbeta", dbeta, C, sizeof(float)));
    if (dx)
        CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "dx", dx, count, sizeof(float)));
    if (context->reference) {
        clcnn_ref_batchnorm_backward(s, x->host, y->host, gamma->host, stats->host, dy->host, dgamma->host,
                                     dbeta->host, dx ? dx->host : NULL);
        return CLCNN_OK;
    }
    const int planes = s->N * s->C;
    cl_mem sums;
    CLCNN_TRY(plane_sums(context, s, &sums));
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_PLANE_GRADIENTS, &kernel));
    const int relu = s->relu;
    CLCNN_TRY(clcnn_set_args(context, kernel, 9, sizeof(cl_mem), &x->mem, sizeof(cl_mem), &dy->mem,
                             sizeof(cl_mem), &y->mem, sizeof(cl_mem), &stats->mem, sizeof(cl_mem),
                             &sums, sizeof(int), &planes, sizeof(int), &s->C, sizeof(int), &s->HW,
                             sizeof(int), &relu));
    clcnn_profile_cost(context, 4.0 * (double)count, (relu ? 12.0 : 8.0) * (double)count);
    CLCNN_TRY(clcnn_launch_elementwise(context, kernel, (size_t)planes));
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_BACKWARD_PARAMETERS, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 5, sizeof(cl_mem), &sums, sizeof(cl_mem),
                             &dgamma->mem, sizeof(cl_mem), &dbeta->mem, sizeof(int), &s->N,
                             sizeof(int), &s->C));
    clcnn_profile_cost(context, 2.0 * (double)planes, 8.0 * (double)planes);
    CLCNN_TRY(clcnn_launch_elementwise(context, kernel, C));
    if (!dx)
        return CLCNN_OK;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_BACKWARD_DATA, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 12, sizeof(cl_mem), &x->mem, sizeof(cl_mem),
                             &dy->mem, sizeof(cl_mem), &y->mem, sizeof(cl_mem), &stats->mem,
                             sizeof(cl_mem), &gamma->mem, sizeof(cl_mem), &dgamma->mem,
                             sizeof(cl_mem), &dbeta->mem, sizeof(cl_mem), &dx->mem, sizeof(int),
                             &s->N, sizeof(int), &s->C, sizeof(int), &s->HW, sizeof(int), &relu));
    clcnn_profile_cost(context, 6.0 * (double)count, (relu ? 16.0 : 12.0) * (double)count);
    return launch_plane_runs(context, kernel, s);
}
