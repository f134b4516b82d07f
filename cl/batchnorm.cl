/* Batch normalisation over the channels of NCHW: Keras's BatchNormalization on a
 * channels-last tensor normalises the same thing, each channel over the batch and the plane.
 *
 *   x, y, dy, dx: [N, C, HW]    (HW = H * W; 1 after a dense layer)
 *   gamma, beta, moving_mean, moving_variance, dgamma, dbeta: [C]
 *   stats: [2, C]               mean and 1 / sqrt(variance + epsilon) that normalised x: the
 *                               batch's (training) or the moving ones' (inference)
 *   sums: [N * C, 2]            per-plane terms (scratch), combined over n per channel
 * relu: a following ReLU fused in (host/ops.h): y = max(y, 0), and dy taken only where y > 0.
 * M = N * HW values per channel. The variance is the biased one, as Keras uses. Each sum runs
 * in two stages in a fixed order, so a run repeats bit for bit: a work-item per plane (n, c)
 * sums its HW values, 8 lanes then a fixed tree, with no barriers (which PoCL's CPU devices pay
 * dearly for); a work-item per channel then combines the N planes in order. The variance is
 * stable: each plane's squared deviations are taken around its own mean, and the planes are
 * combined by Chan's pairwise update, never by E[x^2] - E[x]^2.
 */

/* The sum over at_ in [0, count) of a term in a fixed order: 8 lanes (vector_term, the terms
 * at_ .. at_ + 7), a tree over the lanes, then the tail (term, at at_). */
#define PLANE_SUM(result, count, vector_term, term)                                          \
    do {                                                                                     \
        float8 lanes_ = (float8)(0.0f);                                                      \
        int at_ = 0;                                                                         \
        for (; at_ + 8 <= (count); at_ += 8)                                                 \
            lanes_ += (vector_term);                                                         \
        float sum_ = ((lanes_.s0 + lanes_.s1) + (lanes_.s2 + lanes_.s3)) +                   \
                     ((lanes_.s4 + lanes_.s5) + (lanes_.s6 + lanes_.s7));                    \
        for (; at_ < (count); at_++)                                                         \
            sum_ += (term);                                                                  \
        result = sum_;                                                                       \
    } while (0)

/* Training, stage 1: each plane's mean and sum of squared deviations from it. */
__kernel void batchnorm_plane_moments(__global const float *x, __global float *sums,
                                      const int planes, const int HW)
{
    const int plane = (int)get_global_id(0);
    if (plane >= planes)
        return;
    __global const float *values = x + (size_t)plane * HW;
    float total, squares;
    PLANE_SUM(total, HW, vload8(0, values + at_), values[at_]);
    const float mean = total / (float)HW;
    PLANE_SUM(squares, HW, (vload8(0, values + at_) - mean) * (vload8(0, values + at_) - mean),
              (values[at_] - mean) * (values[at_] - mean));
    sums[2 * plane] = mean;
    sums[2 * plane + 1] = squares;
}

/* Training, stage 2: a work-item per channel combines its N planes into the batch's statistics
 * (stats), and updates the moving ones as Keras does: moving = momentum * moving +
 * (1 - momentum) * batch. */
__kernel void batchnorm_statistics(__global const float *sums, __global float *stats,
                                   __global float *moving_mean, __global float *moving_variance,
                                   const int N, const int C, const int HW, const float momentum,
                                   const float epsilon)
{
    const int c = (int)get_global_id(0);
    if (c >= C)
        return;
    float mean = 0.0f, squares = 0.0f, count = 0.0f;
    for (int n = 0; n < N; n++) {
        const int plane = n * C + c;
        const float total = count + (float)HW, delta = sums[2 * plane] - mean;
        mean += delta * ((float)HW / total);
        squares += sums[2 * plane + 1] + delta * delta * (count * (float)HW / total);
        count = total;
    }
    const float variance = squares / count;
    stats[c] = mean;
    stats[C + c] = 1.0f / sqrt(variance + epsilon);
    moving_mean[c] = momentum * moving_mean[c] + (1.0f - momentum) * mean;
    moving_variance[c] = momentum * moving_variance[c] + (1.0f - momentum) * variance;
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

/* A work-item per run of 8 values of a plane, the last run of each plane shorter where HW is
 * not a multiple of 8: one channel per item, whole vectors where they fit. On a 3-D range
 * [N][C][ceil(HW / 8)] (clcnn_launch_planes): a division per item would cost more than its
 * arithmetic. */
#define PLANE_RUN(c, first, length)                                                          \
    const int run_ = (int)get_global_id(0) * 8, c = (int)get_global_id(1);                   \
    if (run_ >= HW || c >= C)                                                                \
        return;                                                                              \
    const size_t first = (get_global_id(2) * C + c) * HW + run_;                             \
    const int length = min(8, HW - run_)

/* The fused ReLU as activation.cl has it: negatives to 0 with NaN kept, and dy times the
 * derivative taken from the ReLU's output (a NaN dy stays NaN). */
#define RELU_OF(v) select((v), 0.0f, isless((v), 0.0f))
#define RELU8_OF(v) select((v), (float8)(0.0f), isless((v), (float8)(0.0f)))
#define GATED(g, out) ((g) * ((out) > 0.0f ? 1.0f : 0.0f))
#define GATED8(g, out) ((g) * select((float8)(0.0f), (float8)(1.0f), isgreater((out), (float8)(0.0f))))

/* y = gamma * (x - mean) / sqrt(variance + epsilon) + beta, then the ReLU with relu, as one fma
 * of x (so that batchnorm_forward_pool computes every y bit for bit as this kernel does) */
#define NORMALISED8(v) (relu ? RELU8_OF(fma((v), (float8)(scale), (float8)(shift)))           \
                             : fma((v), (float8)(scale), (float8)(shift)))
__kernel void batchnorm_forward(__global const float *x, __global const float *stats,
                                __global const float *gamma, __global const float *beta,
                                __global float *y, const int C, const int HW, const int relu)
{
    PLANE_RUN(c, first, length);
    const float scale = gamma[c] * stats[C + c], shift = beta[c] - scale * stats[c];
    if (length == 8) {
        vstore8(NORMALISED8(vload8(0, x + first)), 0, y + first);
        return;
    }
    for (int k = 0; k < length; k++) {
        const float out = fma(x[first + k], scale, shift);
        y[first + k] = relu ? RELU_OF(out) : out;
    }
}

/* batchnorm_forward's y, 2x2 max pooled (stride 2, 'valid') instead of stored: pooled and
 * argmax: [N, C, OH, OW] as maxpool2d_forward_2x2 writes them from y (argmax counted in the
 * H x W plane; the first maximum in window order wins, a NaN beats any number and the first
 * NaN stays), so that y is neither written nor read back. A work-item per run of 4 windows
 * of a pooled row on a 3-D range [ceil(OW / 4)][OH][N * C]. */
__kernel void batchnorm_forward_pool(__global const float *x, __global const float *stats,
                                     __global const float *gamma, __global const float *beta,
                                     __global float *pooled, __global int *argmax, const int C,
                                     const int H, const int W, const int OH, const int OW,
                                     const int relu)
{
    const int q0 = (int)get_global_id(0) * 4, oh = (int)get_global_id(1);
    const size_t plane = get_global_id(2);
    if (q0 >= OW || oh >= OH)
        return;
    const int c = (int)(plane % (size_t)C);
    const float scale = gamma[c] * stats[C + c], shift = beta[c] - scale * stats[c];
    /* a last run shorter than 4 is computed as the row's last 4 windows where the row has
     * them, and stores only its own */
    const int start = OW >= 4 ? min(q0, OW - 4) : q0, windows = min(4, OW - start);
    const int first = 2 * oh * W + 2 * start;
    __global const float *top = x + plane * H * W + first;
    float8 upper = (float8)(0.0f), lower = (float8)(0.0f);
    if (windows == 4) {
        upper = vload8(0, top);
        lower = vload8(0, top + W);
    } else {
        for (int k = 0; k < 2 * windows; k++) {
            upper[k] = top[k];
            lower[k] = top[W + k];
        }
    }
    upper = NORMALISED8(upper);
    lower = NORMALISED8(lower);
    /* each row's better column, then the better row */
    const int4 right_u = isgreater(upper.odd, upper.even) | (isnan(upper.odd) & ~isnan(upper.even));
    const int4 right_l = isgreater(lower.odd, lower.even) | (isnan(lower.odd) & ~isnan(lower.even));
    const float4 u = select(upper.even, upper.odd, right_u), l = select(lower.even, lower.odd, right_l);
    const int4 below = isgreater(l, u) | (isnan(l) & ~isnan(u));
    const float4 best = select(u, l, below);
    const int4 chosen = (int4)(first, first + 2, first + 4, first + 6) +
                        select(select((int4)(0), (int4)(1), right_u),
                               select((int4)(W), (int4)(W + 1), right_l), below);
    const size_t index = (plane * OH + oh) * OW + start;
    if (windows == 4 && start == q0) {
        vstore4(best, 0, pooled + index);
        vstore4(chosen, 0, argmax + index);
        return;
    }
    for (int k = q0 - start; k < windows; k++) {
        pooled[index + k] = best[k];
        argmax[index + k] = chosen[k];
    }
}

/* dy at at_ (8 values, or one), through the fused ReLU's derivative with relu */
#define DY8(at_) (relu ? GATED8(vload8(0, gradients + (at_)), vload8(0, outputs + (at_)))       \
                       : vload8(0, gradients + (at_)))
#define DY1(at_) (relu ? GATED(gradients[at_], outputs[at_]) : gradients[at_])

/* Backward, stage 1: each plane's sums of dy and of dy * xhat. */
__kernel void batchnorm_plane_gradients(__global const float *x, __global const float *dy,
                                        __global const float *y, __global const float *stats,
                                        __global float *sums, const int planes, const int C,
                                        const int HW, const int relu)
{
    const int plane = (int)get_global_id(0);
    if (plane >= planes)
        return;
    const int c = plane % C;
    const float mean = stats[c], inverse = stats[C + c];
    __global const float *gradients = dy + (size_t)plane * HW, *values = x + (size_t)plane * HW;
    __global const float *outputs = y + (size_t)plane * HW;
    float dy_sum, dy_xhat_sum;
    PLANE_SUM(dy_sum, HW, DY8(at_), DY1(at_));
    PLANE_SUM(dy_xhat_sum, HW, DY8(at_) * ((vload8(0, values + at_) - mean) * inverse),
              DY1(at_) * ((values[at_] - mean) * inverse));
    sums[2 * plane] = dy_sum;
    sums[2 * plane + 1] = dy_xhat_sum;
}

/* Backward, stage 2: dbeta = sum of dy, dgamma = sum of dy * xhat over each channel's planes
 * in order; a work-item per channel. */
__kernel void batchnorm_backward_parameters(__global const float *sums, __global float *dgamma,
                                            __global float *dbeta, const int N, const int C)
{
    const int c = (int)get_global_id(0);
    if (c >= C)
        return;
    float dy_sum = 0.0f, dy_xhat_sum = 0.0f;
    for (int n = 0; n < N; n++) {
        dy_sum += sums[2 * (n * C + c)];
        dy_xhat_sum += sums[2 * (n * C + c) + 1];
    }
    dbeta[c] = dy_sum;
    dgamma[c] = dy_xhat_sum;
}

/* dx = gamma / (M sqrt(variance + epsilon)) * (M dy - dbeta - xhat dgamma), from the sums
 * batchnorm_backward_parameters wrote; the items of batchnorm_forward. */
__kernel void batchnorm_backward_data(__global const float *x, __global const float *dy,
                                      __global const float *y, __global const float *stats,
                                      __global const float *gamma, __global const float *dgamma,
                                      __global const float *dbeta, __global float *dx,
                                      const int N, const int C, const int HW, const int relu)
{
    PLANE_RUN(c, first, length);
    const float M = (float)N * (float)HW, mean = stats[c], inverse = stats[C + c];
    const float scale = gamma[c] * inverse / M;
    __global const float *gradients = dy + first, *outputs = y + first;
    if (length == 8) {
        const float8 xhat = (vload8(0, x + first) - mean) * inverse;
        vstore8(scale * (M * DY8(0) - dbeta[c] - xhat * dgamma[c]), 0, dx + first);
        return;
    }
    for (int k = 0; k < length; k++) {
        const float xhat = (x[first + k] - mean) * inverse;
        dx[first + k] = scale * (M * DY1(k) - dbeta[c] - xhat * dgamma[c]);
    }
}
