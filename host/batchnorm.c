/* Batch normalisation dispatch; kernels in cl/batchnorm.cl, reference twin in
 * ref/batchnorm.c. */
#include "ops.h"

static size_t element_count(const clcnn_batchnorm_shape *s) { return (size_t)s->N * s->C * s->HW; }

/* Buffers, then ints, then floats: the order of every kernel's parameters in batchnorm.cl. */
static clcnn_status set_arguments(clcnn_context *context, cl_kernel kernel, const cl_mem *buffers,
                                  int buffer_count, const int *ints,
                                  int int_count, const float *floats, int float_count)
{
    cl_uint at = 0;
    for (int i = 0; i < buffer_count; i++, at++)
        CLCNN_CL_CHECK(context, clSetKernelArg(kernel, at, sizeof(cl_mem), &buffers[i]));
    for (int i = 0; i < int_count; i++, at++)
        CLCNN_CL_CHECK(context, clSetKernelArg(kernel, at, sizeof(int), &ints[i]));
    for (int i = 0; i < float_count; i++, at++)
        CLCNN_CL_CHECK(context, clSetKernelArg(kernel, at, sizeof(float), &floats[i]));
    return CLCNN_OK;
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
                                     clcnn_buffer *stats, clcnn_buffer *y)
{
    CLCNN_TRY(check_shape(s));
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
        return CLCNN_OK;
    }
    cl_kernel kernel;
    if (training) {
        CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_STATISTICS, &kernel));
        const cl_mem buffers[4] = {x->mem, stats->mem, moving_mean->mem, moving_variance->mem};
        const int ints[3] = {s->N, s->C, s->HW};
        const float floats[2] = {s->momentum, s->epsilon};
        CLCNN_TRY(set_arguments(context, kernel, buffers, 4, ints, 3, floats, 2));
        clcnn_profile_cost(context, 4.0 * (double)count, 8.0 * (double)count);
        CLCNN_TRY(clcnn_launch_groups(context, kernel, C, context->reduce_work_group));
    } else {
        CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_MOVING_STATISTICS, &kernel));
        const cl_mem buffers[3] = {stats->mem, moving_mean->mem, moving_variance->mem};
        const int ints[1] = {s->C};
        const float floats[1] = {s->epsilon};
        CLCNN_TRY(set_arguments(context, kernel, buffers, 3, ints, 1, floats, 1));
        clcnn_profile_cost(context, 2.0 * (double)C, 16.0 * (double)C);
        CLCNN_TRY(clcnn_launch_elementwise(context, kernel, C));
    }
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_FORWARD, &kernel));
    const cl_mem buffers[5] = {x->mem, stats->mem, gamma->mem, beta->mem, y->mem};
    const int ints[3] = {s->C, s->HW, (int)count};
    CLCNN_TRY(set_arguments(context, kernel, buffers, 5, ints, 3, NULL, 0));
    clcnn_profile_cost(context, 4.0 * (double)count, 8.0 * (double)count);
    return clcnn_launch_elementwise(context, kernel, count);
}

clcnn_status clcnn_batchnorm_backward(clcnn_context *context, const clcnn_batchnorm_shape *s,
                                      const clcnn_buffer *x, const clcnn_buffer *gamma,
                                      const clcnn_buffer *stats, const clcnn_buffer *dy,
                                      clcnn_buffer *dgamma, clcnn_buffer *dbeta, clcnn_buffer *dx)
{
    CLCNN_TRY(check_shape(s));
    const size_t C = (size_t)s->C, count = element_count(s);
    CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "x", x, count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "dy", dy, count, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "gamma", gamma, C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "stats", stats, 2 * C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "dgamma", dgamma, C, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "dbeta", dbeta, C, sizeof(float)));
    if (dx)
        CLCNN_TRY(clcnn_require_bytes("batchnorm_backward", "dx", dx, count, sizeof(float)));
    if (context->reference) {
        clcnn_ref_batchnorm_backward(s, x->host, gamma->host, stats->host, dy->host, dgamma->host,
                                     dbeta->host, dx ? dx->host : NULL);
        return CLCNN_OK;
    }
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_BACKWARD_PARAMETERS, &kernel));
    const cl_mem sums[5] = {x->mem, dy->mem, stats->mem, dgamma->mem, dbeta->mem};
    const int shape[3] = {s->N, s->C, s->HW};
    CLCNN_TRY(set_arguments(context, kernel, sums, 5, shape, 3, NULL, 0));
    clcnn_profile_cost(context, 4.0 * (double)count, 8.0 * (double)count);
    CLCNN_TRY(clcnn_launch_groups(context, kernel, C, context->reduce_work_group));
    if (!dx)
        return CLCNN_OK;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_BATCHNORM_BACKWARD_DATA, &kernel));
    const cl_mem buffers[7] = {x->mem, dy->mem, stats->mem, gamma->mem, dgamma->mem, dbeta->mem, dx->mem};
    const int ints[4] = {s->N, s->C, s->HW, (int)count};
    CLCNN_TRY(set_arguments(context, kernel, buffers, 7, ints, 4, NULL, 0));
    clcnn_profile_cost(context, 8.0 * (double)count, 12.0 * (double)count);
    return clcnn_launch_elementwise(context, kernel, count);
}
