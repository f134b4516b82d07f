/* Batch normalisation over the channels of NCHW: Keras's BatchNormalization on a
 * channels-last tensor normalises the same thing, each channel over the batch and the plane.
 *
 *   x, y, dy, dx: [N, C, HW]    (HW = H * W; 1 after a dense layer)
 *   gamma, beta, moving_mean, moving_variance, dgamma, dbeta: [C]
 *   stats: [2, C]               mean and 1 / sqrt(variance + epsilon) that normalised x: the
 *                               batch's (training) or the moving ones' (inference)
 * M = N * HW values per channel. The variance is the biased one, as Keras uses, taken around
 * the mean in a second pass (no cancellation). Every sum runs in a fixed order (items stride
 * over the values, then a tree), so a run repeats bit for bit.
 *
 * REDUCE_WG (a -D define, a power of two) is the work-group size of the reductions.
 */

static void reduce_local(__local float *partial)
{
    const int item = (int)get_local_id(0);
    for (int span = REDUCE_WG / 2; span > 0; span /= 2) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (item < span)
            partial[item] += partial[item + span];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}

/* The sum over channel c's M values of f(x): items stride over each plane. */
#define CHANNEL_SUM(result, expression)                                                      \
    do {                                                                                     \
        float sum_ = 0.0f;                                                                   \
        for (int n = 0; n < N; n++) {                                                        \
            const size_t plane_ = ((size_t)n * C + c) * HW;                                  \
            for (int at = (int)get_local_id(0); at < HW; at += REDUCE_WG) {                  \
                const size_t i = plane_ + at;                                                \
                sum_ += (expression);                                                        \
            }                                                                                \
        }                                                                                    \
        partial[get_local_id(0)] = sum_;                                                     \
        reduce_local(partial);                                                               \
        result = partial[0];                                                                 \
        barrier(CLK_LOCAL_MEM_FENCE); /* all have read partial[0] before it is reused */     \
    } while (0)

/* Training: one work-group per channel. The batch's statistics into stats, and the moving
 * ones updated as Keras does: moving = momentum * moving + (1 - momentum) * batch. */
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1))) void
batchnorm_statistics(__global const float *x, __global float *stats,
                     __global float *moving_mean, __global float *moving_variance, const int N,
                     const int C, const int HW, const float momentum, const float epsilon)
{
    __local float partial[REDUCE_WG];
    const int c = (int)get_group_id(0);
    const float M = (float)N * (float)HW;
    float total, squares;
    CHANNEL_SUM(total, x[i]);
    const float mean = total / M;
    CHANNEL_SUM(squares, (x[i] - mean) * (x[i] - mean));
    const float variance = squares / M;
    if (get_local_id(0) == 0) {
        stats[c] = mean;
        stats[C + c] = 1.0f / sqrt(variance + epsilon);
        moving_mean[c] = momentum * moving_mean[c] + (1.0f - momentum) * mean;
        moving_variance[c] = momentum * moving_variance[c] + (1.0f - momentum) * variance;
    }
}

/* Inference: the moving statistics into stats, one work-item per channel. */
__kernel void batchnorm_moving_statistics(__global float *stats,
                                          __global const float *moving_mean,
                                          __global const float *moving_variance, const int C,
                                          const float epsilon)
{
    const int c = (int)get_global_id(0);
    if (c >= C)
        return;
    stats[c] = moving_mean[c];
    stats[C + c] = 1.0f / sqrt(moving_variance[c] + epsilon);
}

/* y = gamma * (x - mean) / sqrt(variance + epsilon) + beta, one work-item per element. */
__kernel void batchnorm_forward(__global const float *x, __global const float *stats,
                                __global const float *gamma, __global const float *beta,
                                __global float *y, const int C, const int HW, const int count)
{
    const int i = (int)get_global_id(0);
    if (i >= count)
        return;
    const int c = (i / HW) % C;
    y[i] = gamma[c] * ((x[i] - stats[c]) * stats[C + c]) + beta[c];
}

/* dbeta = sum of dy, dgamma = sum of dy * xhat over each channel: a work-group per channel. */
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1))) void
batchnorm_backward_parameters(__global const float *x, __global const float *dy,
                              __global const float *stats, __global float *dgamma,
                              __global float *dbeta, const int N, const int C, const int HW)
{
    __local float partial[REDUCE_WG];
    const int c = (int)get_group_id(0);
    const float mean = stats[c], inverse = stats[C + c];
    float dy_sum, dy_xhat_sum;
    CHANNEL_SUM(dy_sum, dy[i]);
    CHANNEL_SUM(dy_xhat_sum, dy[i] * ((x[i] - mean) * inverse));
    if (get_local_id(0) == 0) {
        dbeta[c] = dy_sum;
        dgamma[c] = dy_xhat_sum;
    }
}

/* dx = gamma / (M sqrt(variance + epsilon)) * (M dy - dbeta - xhat dgamma), from the sums
 * batchnorm_backward_parameters wrote; one work-item per element. */
__kernel void batchnorm_backward_data(__global const float *x, __global const float *dy,
                                      __global const float *stats, __global const float *gamma,
                                      __global const float *dgamma, __global const float *dbeta,
                                      __global float *dx, const int N, const int C, const int HW,
                                      const int count)
{
    const int i = (int)get_global_id(0);
    if (i >= count)
        return;
    const int c = (i / HW) % C;
    const float M = (float)N * (float)HW, inverse = stats[C + c];
    const float xhat = (x[i] - stats[c]) * inverse;
    dx[i] = gamma[c] * inverse / M * (M * dy[i] - dbeta[c] - xhat * dgamma[c]);
}
