/* 2-D convolution (cross-correlation, as Keras and every framework compute it).
 *
 *   x:  [N, C, H, W]      input, NCHW
 *   w:  [OC, C, KH, KW]   weights, OIHW
 *   b:  [OC]              bias
 *   y:  [N, OC, OH, OW]   output, NCHW
 * y[n,oc,oh,ow] = b[oc] + sum_{c,kh,kw} x[n, c, oh*stride_h - pad_top + kh, ow*stride_w - pad_left + kw]
 *                                       * w[oc, c, kh, kw]      (out-of-range x reads as 0)
 *
 * REDUCE_WG (a -D define, a power of two) is the work-group size of the reduction kernels.
 */

#define CONV2D_SHAPE_ARGUMENTS                                                               \
    const int N, const int C, const int H, const int W, const int OC, const int KH,          \
        const int KW, const int OH, const int OW, const int stride_h, const int stride_w,    \
        const int pad_top, const int pad_left

/* One work-item per output element; global size rounded up, so bound-checked. */
__kernel void conv2d_forward(__global const float *x, __global const float *w,
                             __global const float *b, __global float *y, CONV2D_SHAPE_ARGUMENTS)
{
    const size_t index = get_global_id(0);
    if (index >= (size_t)N * OC * OH * OW)
        return;
    const int ow = (int)(index % OW);
    const int oh = (int)(index / OW % OH);
    const int oc = (int)(index / ((size_t)OW * OH) % OC);
    const int n = (int)(index / ((size_t)OW * OH * OC));
    float sum = b[oc];
    for (int c = 0; c < C; c++) {
        __global const float *x_plane = x + ((size_t)n * C + c) * H * W;
        __global const float *w_plane = w + ((size_t)oc * C + c) * KH * KW;
        for (int kh = 0; kh < KH; kh++) {
            const int ih = oh * stride_h - pad_top + kh;
            if (ih < 0 || ih >= H)
                continue;
            for (int kw = 0; kw < KW; kw++) {
                const int iw = ow * stride_w - pad_left + kw;
                if (iw >= 0 && iw < W)
                    sum += x_plane[ih * W + iw] * w_plane[kh * KW + kw];
            }
        }
    }
    y[index] = sum;
}

/* dX: one work-item per input element, gathering from every output it contributed to.
 *   dy: [N, OC, OH, OW], w: [OC, C, KH, KW], dx: [N, C, H, W] */
__kernel void conv2d_backward_data(__global const float *dy, __global const float *w,
                                   __global float *dx, CONV2D_SHAPE_ARGUMENTS)
{
    const size_t index = get_global_id(0);
    if (index >= (size_t)N * C * H * W)
        return;
    const int iw = (int)(index % W);
    const int ih = (int)(index / W % H);
    const int c = (int)(index / ((size_t)W * H) % C);
    const int n = (int)(index / ((size_t)W * H * C));
    float sum = 0.0f;
    for (int oc = 0; oc < OC; oc++) {
        __global const float *dy_plane = dy + ((size_t)n * OC + oc) * OH * OW;
        __global const float *w_plane = w + ((size_t)oc * C + c) * KH * KW;
        for (int kh = 0; kh < KH; kh++) {
            const int oh_scaled = ih + pad_top - kh;
            if (oh_scaled < 0 || oh_scaled % stride_h != 0 || oh_scaled / stride_h >= OH)
                continue;
            const int oh = oh_scaled / stride_h;
            for (int kw = 0; kw < KW; kw++) {
                const int ow_scaled = iw + pad_left - kw;
                if (ow_scaled < 0 || ow_scaled % stride_w != 0 || ow_scaled / stride_w >= OW)
                    continue;
                sum += dy_plane[oh * OW + ow_scaled / stride_w] * w_plane[kh * KW + kw];
            }
        }
    }
    dx[index] = sum;
}

/* Sums `partial` over the work-group; the result is in partial[0]. */
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

/* dW: one work-group per weight, its items striding over the N*OH*OW terms of the sum.
 *   x: [N, C, H, W], dy: [N, OC, OH, OW], dw: [OC, C, KH, KW] */
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1))) void
conv2d_backward_weights(__global const float *x, __global const float *dy, __global float *dw,
                        CONV2D_SHAPE_ARGUMENTS)
{
    __local float partial[REDUCE_WG];
    const int weight = (int)get_group_id(0);
    const int kw = weight % KW;
    const int kh = weight / KW % KH;
    const int c = weight / (KW * KH) % C;
    const int oc = weight / (KW * KH * C);
    const int terms = N * OH * OW;
    float sum = 0.0f;
    for (int term = (int)get_local_id(0); term < terms; term += REDUCE_WG) {
        const int ow = term % OW;
        const int oh = term / OW % OH;
        const int n = term / (OW * OH);
        const int ih = oh * stride_h - pad_top + kh;
        const int iw = ow * stride_w - pad_left + kw;
        if (ih >= 0 && ih < H && iw >= 0 && iw < W)
            sum += dy[(((size_t)n * OC + oc) * OH + oh) * OW + ow] *
                   x[(((size_t)n * C + c) * H + ih) * W + iw];
    }
    partial[get_local_id(0)] = sum;
    reduce_local(partial);
    if (get_local_id(0) == 0)
        dw[weight] = partial[0];
}

/* db: one work-group per output channel.   dy: [N, OC, OH, OW], db: [OC] */
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1))) void
conv2d_backward_bias(__global const float *dy, __global float *db, const int N, const int OC,
                     const int OH, const int OW)
{
    __local float partial[REDUCE_WG];
    const int oc = (int)get_group_id(0);
    const int plane = OH * OW;
    float sum = 0.0f;
    for (int term = (int)get_local_id(0); term < N * plane; term += REDUCE_WG) {
        const int n = term / plane;
        sum += dy[((size_t)n * OC + oc) * plane + term % plane];
    }
    partial[get_local_id(0)] = sum;
    reduce_local(partial);
    if (get_local_id(0) == 0)
        db[oc] = partial[0];
}
