/* conv2d as a tiled implicit GEMM in local memory: the variant shaped for GPUs ("tiled" in
 * host/conv2d.c; the float8 direct kernels of cl/conv2d.cl are shaped for CPUs). Any kernel
 * size, stride and padding. Layouts as in cl/conv2d.cl:
 *   x: [N, C, H, W]   w: [OC, C, KH, KW]   b: [OC]   y, dy: [N, OC, OH, OW]
 *
 * Each direction is one product out[m, p] = sum_k A(m, k) B(k, p), with A and B read through
 * the convolution's index maps, never materialised:
 *   forward  y[n, m, oh, ow]   M = OC  P = N*OH*OW  K = C*KH*KW   A = w          B = x's patches
 *   dX       dx[n, m, ih, iw]  M = C   P = N*H*W    K = OC*KH*KW  A = w (C, OC)  B = dy gathered
 *   dW       dw[m, p]          M = OC  P = C*KH*KW  K = N*OH*OW   A = dy         B = x's patches^T
 * A work-group computes a TILE_M x TILE_P block of out in steps of TILE_K: its items stage
 * the A and B slices in local memory (consecutive items load consecutive p, and consecutive
 * k of A, so global reads coalesce where the layout allows), then each item accumulates
 * WORK_M x WORK_P results in registers, at rows ly + i * (TILE_M / WORK_M) and columns
 * lx + j * (TILE_P / WORK_P), so that neighbouring items read neighbouring local words.
 * Every result sums its k in one fixed order: runs are deterministic.
 *
 * Launch (host/conv2d.c): local (TILE_P / WORK_P, TILE_M / WORK_M), global rounded up to
 * whole groups over (P, M); items past P or M load zeros and store nothing.
 *
 * Tuning parameters: -D defines. The defaults below are the record the host reads too
 * (host/context.c), so that its launch geometry and these kernels agree. */
#ifndef TILE_M
#define TILE_M 64
#endif
#ifndef TILE_P
#define TILE_P 64
#endif
#ifndef TILE_K
#define TILE_K 16
#endif
#ifndef WORK_M
#define WORK_M 4
#endif
#ifndef WORK_P
#define WORK_P 4
#endif

#if TILE_M % WORK_M != 0 || TILE_P % WORK_P != 0
#error "TILE_M and TILE_P must be multiples of WORK_M and WORK_P"
#endif

#define ITEMS_M (TILE_M / WORK_M)
#define ITEMS_P (TILE_P / WORK_P)
#define GROUP_ITEMS (ITEMS_M * ITEMS_P)

#define FORWARD 0
#define BACKWARD_DATA 1
#define BACKWARD_WEIGHTS 2

#define CONV2D_SHAPE_ARGUMENTS                                                               \
    const int N, const int C, const int H, const int W, const int OC, const int KH,          \
        const int KW, const int OH, const int OW, const int stride_h, const int stride_w,    \
        const int pad_top, const int pad_left
#define CONV2D_SHAPE N, C, H, W, OC, KH, KW, OH, OW, stride_h, stride_w, pad_top, pad_left

/* x[n, c, oh * stride_h - pad_top + kh, ow * stride_w - pad_left + kw], or 0 outside x:
 * one element of the forward product's B, and of dW's B transposed.
 * tap = (c, kh, kw) as c * KH * KW + kh * KW + kw; pixel = (n, oh, ow) likewise */
inline float patch(__global const float *x, const int tap, const int pixel, CONV2D_SHAPE_ARGUMENTS)
{
    const int c = tap / (KH * KW), kh = tap / KW % KH, kw = tap % KW;
    const int n = pixel / (OH * OW), oh = pixel / OW % OH, ow = pixel % OW;
    const int ih = oh * stride_h - pad_top + kh, iw = ow * stride_w - pad_left + kw;
    if (ih < 0 || ih >= H || iw < 0 || iw >= W)
        return 0.0f;
    return x[(((size_t)n * C + c) * H + ih) * W + iw];
}

/* A(m, k) for k < K, zero for m >= M */
inline float a_element(const int direction, __global const float *a, const int m, const int k,
                       const int M, const int K, CONV2D_SHAPE_ARGUMENTS)
{
    if (m >= M)
        return 0.0f;
    if (direction == FORWARD) /* w[m, k] */
        return a[(size_t)m * K + k];
    if (direction == BACKWARD_DATA) { /* w[oc, m, kh, kw], k = (oc, kh, kw) */
        const int taps = KH * KW, oc = k / taps;
        return a[((size_t)oc * C + m) * taps + k % taps];
    }
    /* dy[n, m, oh, ow], k = (n, oh, ow) */
    const int pixels = OH * OW, n = k / pixels;
    return a[((size_t)n * OC + m) * pixels + k % pixels];
}

/* B(k, p) for k < K, zero for p >= P */
inline float b_element(const int direction, __global const float *b, const int k, const int p,
                       const int P, CONV2D_SHAPE_ARGUMENTS)
{
    if (p >= P)
        return 0.0f;
    if (direction == FORWARD)
        return patch(b, k, p, CONV2D_SHAPE);
    if (direction == BACKWARD_WEIGHTS)
        return patch(b, p, k, CONV2D_SHAPE);
    /* dy[n, oc, oh, ow] where oh * stride_h = ih + pad_top - kh (and so for w), else 0;
     * k = (oc, kh, kw), p = (n, ih, iw) */
    const int oc = k / (KH * KW), kh = k / KW % KH, kw = k % KW;
    const int n = p / (H * W), ih = p / W % H, iw = p % W;
    const int oh_scaled = ih + pad_top - kh, ow_scaled = iw + pad_left - kw;
    if (oh_scaled < 0 || ow_scaled < 0 || oh_scaled % stride_h || ow_scaled % stride_w)
        return 0.0f;
    const int oh = oh_scaled / stride_h, ow = ow_scaled / stride_w;
    if (oh >= OH || ow >= OW)
        return 0.0f;
    return b[(((size_t)n * OC + oc) * OH + oh) * OW + ow];
}

/* acc[i][j] = out[m0 + ly + i * ITEMS_M, p0 + lx + j * ITEMS_P], summed over k in
 * [k_begin, k_end); the tiles are the kernel's (OpenCL 1.2 allows __local variables only at
 * kernel scope): a_tile [TILE_K][TILE_M], b_tile [TILE_K][TILE_P] */
inline void tiled_product(const int direction, __global const float *a, __global const float *b,
                          __local float *a_tile, __local float *b_tile, float acc[WORK_M][WORK_P],
                          const int M, const int P, const int K, const int k_begin,
                          const int k_end, CONV2D_SHAPE_ARGUMENTS)
{
    const int lx = (int)get_local_id(0), ly = (int)get_local_id(1);
    const int item = ly * ITEMS_P + lx;
    const int m0 = (int)get_group_id(1) * TILE_M, p0 = (int)get_group_id(0) * TILE_P;
    for (int i = 0; i < WORK_M; i++)
        for (int j = 0; j < WORK_P; j++)
            acc[i][j] = 0.0f;
    for (int k0 = k_begin; k0 < k_end; k0 += TILE_K) {
        for (int e = item; e < TILE_K * TILE_M; e += GROUP_ITEMS) {
            const int k = k0 + e % TILE_K;
            a_tile[e % TILE_K * TILE_M + e / TILE_K] =
                k < k_end ? a_element(direction, a, m0 + e / TILE_K, k, M, K, CONV2D_SHAPE) : 0.0f;
        }
        for (int e = item; e < TILE_K * TILE_P; e += GROUP_ITEMS) {
            const int k = k0 + e / TILE_P;
            b_tile[e] = k < k_end ? b_element(direction, b, k, p0 + e % TILE_P, P, CONV2D_SHAPE) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TILE_K; kk++) {
            float a_values[WORK_M], b_values[WORK_P];
            for (int i = 0; i < WORK_M; i++)
                a_values[i] = a_tile[kk * TILE_M + ly + i * ITEMS_M];
            for (int j = 0; j < WORK_P; j++)
                b_values[j] = b_tile[kk * TILE_P + lx + j * ITEMS_P];
            for (int i = 0; i < WORK_M; i++)
                for (int j = 0; j < WORK_P; j++)
                    acc[i][j] = fma(a_values[i], b_values[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

/* y = conv(x, w) + b, then ReLU when relu != 0 (as activation_forward computes it) */
__kernel __attribute__((reqd_work_group_size(ITEMS_P, ITEMS_M, 1)))
void conv2d_tiled_forward(__global const float *x, __global const float *w,
                          __global const float *bias, __global float *y, const int relu,
                          CONV2D_SHAPE_ARGUMENTS)
{
    __local float a_tile[TILE_K * TILE_M], b_tile[TILE_K * TILE_P];
    const int M = OC, P = N * OH * OW, K = C * KH * KW;
    float acc[WORK_M][WORK_P];
    tiled_product(FORWARD, w, x, a_tile, b_tile, acc, M, P, K, 0, K, CONV2D_SHAPE);
    const int pixels = OH * OW;
    for (int i = 0; i < WORK_M; i++) {
        const int m = (int)get_group_id(1) * TILE_M + (int)get_local_id(1) + i * ITEMS_M;
        for (int j = 0; j < WORK_P; j++) {
            const int p = (int)get_group_id(0) * TILE_P + (int)get_local_id(0) + j * ITEMS_P;
            if (m >= M || p >= P)
                continue;
            const float value = acc[i][j] + bias[m];
            y[((size_t)(p / pixels) * OC + m) * pixels + p % pixels] =
                relu && value < 0.0f ? 0.0f : value;
        }
    }
}

/* dx from dy and w */
__kernel __attribute__((reqd_work_group_size(ITEMS_P, ITEMS_M, 1)))
void conv2d_tiled_backward_data(__global const float *dy, __global const float *w,
                                __global float *dx, CONV2D_SHAPE_ARGUMENTS)
{
    __local float a_tile[TILE_K * TILE_M], b_tile[TILE_K * TILE_P];
    const int M = C, P = N * H * W, K = OC * KH * KW;
    float acc[WORK_M][WORK_P];
    tiled_product(BACKWARD_DATA, w, dy, a_tile, b_tile, acc, M, P, K, 0, K, CONV2D_SHAPE);
    const int pixels = H * W;
    for (int i = 0; i < WORK_M; i++) {
        const int m = (int)get_group_id(1) * TILE_M + (int)get_local_id(1) + i * ITEMS_M;
        for (int j = 0; j < WORK_P; j++) {
            const int p = (int)get_group_id(0) * TILE_P + (int)get_local_id(0) + j * ITEMS_P;
            if (m < M && p < P)
                dx[((size_t)(p / pixels) * C + m) * pixels + p % pixels] = acc[i][j];
        }
    }
}

/* dW's sum over N*OH*OW pixels is long and its output small (OC x C*KH*KW), so the sum is
 * split: work-group row z (get_group_id(2), of `splits`) sums pixels [z * span, (z + 1) * span)
 * into partial[z, m, p], and conv2d_tiled_sum_splits adds the splits in order. With one split
 * the group writes dw itself. The bias gradient is conv2d_backward_bias's. */
__kernel __attribute__((reqd_work_group_size(ITEMS_P, ITEMS_M, 1)))
void conv2d_tiled_backward_weights(__global const float *x, __global const float *dy,
                                   __global float *partial, const int span,
                                   CONV2D_SHAPE_ARGUMENTS)
{
    __local float a_tile[TILE_K * TILE_M], b_tile[TILE_K * TILE_P];
    const int M = OC, P = C * KH * KW, K = N * OH * OW;
    const int z = (int)get_group_id(2);
    float acc[WORK_M][WORK_P];
    tiled_product(BACKWARD_WEIGHTS, dy, x, a_tile, b_tile, acc, M, P, K, z * span,
                  min(K, (z + 1) * span), CONV2D_SHAPE);
    __global float *out = partial + (size_t)z * M * P;
    for (int i = 0; i < WORK_M; i++) {
        const int m = (int)get_group_id(1) * TILE_M + (int)get_local_id(1) + i * ITEMS_M;
        for (int j = 0; j < WORK_P; j++) {
            const int p = (int)get_group_id(0) * TILE_P + (int)get_local_id(0) + j * ITEMS_P;
            if (m < M && p < P)
                out[(size_t)m * P + p] = acc[i][j];
        }
    }
}

/* dw[i] = sum over z, in order, of partial[z, i]; an item per weight */
__kernel void conv2d_tiled_sum_splits(__global const float *partial, __global float *dw,
                                      const int count, const int splits)
{
    const int i = (int)get_global_id(0);
    if (i >= count)
        return;
    float sum = partial[i];
    for (int z = 1; z < splits; z++)
        sum += partial[(size_t)z * count + i];
    dw[i] = sum;
}
