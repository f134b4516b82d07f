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

/* One work-item per output pixel and block of OC_BLOCK output channels, so each input value
 * loaded serves OC_BLOCK products. Items: N * ceil(OC / OC_BLOCK) * OH * OW, ow fastest (so
 * neighbouring items read neighbouring inputs); the global size is rounded up, so
 * bound-checked, and a last partial channel block skips the missing channels. */
#define OC_BLOCK 4
__kernel void conv2d_forward(__global const float *x, __global const float *w,
                             __global const float *b, __global float *y, CONV2D_SHAPE_ARGUMENTS)
{
    const int blocks = (OC + OC_BLOCK - 1) / OC_BLOCK;
    const size_t index = get_global_id(0);
    if (index >= (size_t)N * blocks * OH * OW)
        return;
    const int ow = (int)(index % OW);
    const int oh = (int)(index / OW % OH);
    const int oc0 = (int)(index / ((size_t)OW * OH) % blocks) * OC_BLOCK;
    const int n = (int)(index / ((size_t)OW * OH * blocks));
    float sum[OC_BLOCK];
    for (int k = 0; k < OC_BLOCK; k++)
        sum[k] = oc0 + k < OC ? b[oc0 + k] : 0.0f;
    const size_t w_oc_stride = (size_t)C * KH * KW;
    for (int c = 0; c < C; c++) {
        __global const float *x_plane = x + ((size_t)n * C + c) * H * W;
        __global const float *w_plane = w + ((size_t)oc0 * C + c) * KH * KW;
        for (int kh = 0; kh < KH; kh++) {
            const int ih = oh * stride_h - pad_top + kh;
            if (ih < 0 || ih >= H)
                continue;
            for (int kw = 0; kw < KW; kw++) {
                const int iw = ow * stride_w - pad_left + kw;
                if (iw < 0 || iw >= W)
                    continue;
                const float value = x_plane[ih * W + iw];
                for (int k = 0; k < OC_BLOCK; k++)
                    if (oc0 + k < OC)
                        sum[k] += value * w_plane[k * w_oc_stride + kh * KW + kw];
            }
        }
    }
    for (int k = 0; k < OC_BLOCK && oc0 + k < OC; k++)
        y[(((size_t)n * OC + oc0 + k) * OH + oh) * OW + ow] = sum[k];
}

/* dX: one work-item per input pixel and block of C_BLOCK input channels, gathering from every
 * output it contributed to; each dy value loaded serves C_BLOCK products.
 *   dy: [N, OC, OH, OW], w: [OC, C, KH, KW], dx: [N, C, H, W] */
#define C_BLOCK 4
__kernel void conv2d_backward_data(__global const float *dy, __global const float *w,
                                   __global float *dx, CONV2D_SHAPE_ARGUMENTS)
{
    const int blocks = (C + C_BLOCK - 1) / C_BLOCK;
    const size_t index = get_global_id(0);
    if (index >= (size_t)N * blocks * H * W)
        return;
    const int iw = (int)(index % W);
    const int ih = (int)(index / W % H);
    const int c0 = (int)(index / ((size_t)W * H) % blocks) * C_BLOCK;
    const int n = (int)(index / ((size_t)W * H * blocks));
    float sum[C_BLOCK] = {0.0f};
    for (int oc = 0; oc < OC; oc++) {
        __global const float *dy_plane = dy + ((size_t)n * OC + oc) * OH * OW;
        __global const float *w_plane = w + ((size_t)oc * C + c0) * KH * KW;
        for (int kh = 0; kh < KH; kh++) {
            const int oh_scaled = ih + pad_top - kh;
            if (oh_scaled < 0 || oh_scaled % stride_h != 0 || oh_scaled / stride_h >= OH)
                continue;
            const int oh = oh_scaled / stride_h;
            for (int kw = 0; kw < KW; kw++) {
                const int ow_scaled = iw + pad_left - kw;
                if (ow_scaled < 0 || ow_scaled % stride_w != 0 || ow_scaled / stride_w >= OW)
                    continue;
                const float gradient = dy_plane[oh * OW + ow_scaled / stride_w];
                for (int k = 0; k < C_BLOCK; k++)
                    if (c0 + k < C)
                        sum[k] += gradient * w_plane[k * KH * KW + kh * KW + kw];
            }
        }
    }
    for (int k = 0; k < C_BLOCK && c0 + k < C; k++)
        dx[(((size_t)n * C + c0 + k) * H + ih) * W + iw] = sum[k];
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

/* dW for any kernel size: one work-group per weight, its items striding over the N*OH*OW
 * terms of the sum.
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

/* dW for 3x3 kernels (the seed model's): one work-group per (oc, c) pair accumulates all nine
 * weights in registers, so each dy value loaded serves nine products and the index
 * arithmetic is paid once per term, not once per weight.
 *   x: [N, C, H, W], dy: [N, OC, OH, OW], dw: [OC, C, 3, 3] */
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1))) void
conv2d_backward_weights_3x3(__global const float *x, __global const float *dy,
                            __global float *dw, CONV2D_SHAPE_ARGUMENTS)
{
    __local float partial[REDUCE_WG];
    const int pair = (int)get_group_id(0);
    const int c = pair % C;
    const int oc = pair / C;
    const int terms = N * OH * OW;
    float sum[9] = {0.0f};
    for (int term = (int)get_local_id(0); term < terms; term += REDUCE_WG) {
        const int ow = term % OW;
        const int oh = term / OW % OH;
        const int n = term / (OW * OH);
        const float gradient = dy[(((size_t)n * OC + oc) * OH + oh) * OW + ow];
        __global const float *x_plane = x + ((size_t)n * C + c) * H * W;
        const int ih0 = oh * stride_h - pad_top, iw0 = ow * stride_w - pad_left;
        for (int kh = 0; kh < 3; kh++) {
            const int ih = ih0 + kh;
            if (ih < 0 || ih >= H)
                continue;
            for (int kw = 0; kw < 3; kw++) {
                const int iw = iw0 + kw;
                if (iw >= 0 && iw < W)
                    sum[kh * 3 + kw] += gradient * x_plane[ih * W + iw];
            }
        }
    }
    for (int k = 0; k < 9; k++) {
        partial[get_local_id(0)] = sum[k];
        reduce_local(partial);
        if (get_local_id(0) == 0)
            dw[(size_t)pair * 9 + k] = partial[0];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

/* db: a work-item per output channel, with no barriers (PoCL's CPU devices pay dearly for
 * them): each plane summed in 8 lanes then a fixed tree, the planes in order.
 *   dy: [N, OC, OH, OW], db: [OC] */
__kernel void conv2d_backward_bias(__global const float *dy, __global float *db, const int N,
                                   const int OC, const int OH, const int OW)
{
    const int oc = (int)get_global_id(0);
    if (oc >= OC)
        return;
    const int plane = OH * OW;
    float total = 0.0f;
    for (int n = 0; n < N; n++) {
        __global const float *values = dy + ((size_t)n * OC + oc) * plane;
        float8 lanes = (float8)(0.0f);
        int at = 0;
        for (; at + 8 <= plane; at += 8)
            lanes += vload8(0, values + at);
        float sum = ((lanes.s0 + lanes.s1) + (lanes.s2 + lanes.s3)) +
                    ((lanes.s4 + lanes.s5) + (lanes.s6 + lanes.s7));
        for (; at < plane; at++)
            sum += values[at];
        total += sum;
    }
    db[oc] = total;
}

/* ---- fast path: 3x3 kernels, stride 1, any size -------------------------------------------
 * The input is first copied into a zero-padded buffer xp of [planes, OHT + 2, OWT + 2], where
 * OHT x OWT is the output rounded up to whole tiles (OHT = OH rounded up to even, OWT = OW to a
 * multiple of 8), so that y[oh][ow] = sum over kh, kw of xp[oh + kh][ow + kw] * w[kh][kw], with no
 * bounds checks in the inner loops; each work-item then computes 8 consecutive pixels of 8 output
 * channels in float8 registers (64 products per input vector loaded). dX is the same
 * convolution of the padded dy with the weights flipped and transposed (conv2d_flip_3x3). */

/* xp[plane][r][q] = x[plane][r - top][q - left], 0 outside x: [planes, H, W] -> [planes, HP, WP],
 * top, left >= 0. A work-item per padded row, on a 3-D range [planes][1][HP]
 * (clcnn_launch_planes: no division per item): the row of x in runs of 8 (vector loads and
 * stores at any alignment), its margins in zeros. */
__kernel void conv2d_pad(__global const float *x, __global float *xp, const int H, const int W,
                         const int top, const int left, const int HP, const int WP)
{
    const int r = (int)get_global_id(0);
    if (r >= HP)
        return;
    const size_t plane = get_global_id(2);
    __global float *out = xp + (plane * HP + r) * WP;
    const int ih = r - top;
    const int copied = ih >= 0 && ih < H ? clamp(WP - left, 0, W) : 0;
    __global const float *in = x + (plane * H + ih) * W;
    for (int q = 0; q < min(left, WP); q++)
        out[q] = 0.0f;
    int k = 0;
    for (; k + 8 <= copied; k += 8)
        vstore8(vload8(0, in + k), 0, out + left + k);
    for (; k < copied; k++)
        out[left + k] = in[k];
    int q = min(left, WP) + copied;
    for (; q + 8 <= WP; q += 8)
        vstore8((float8)(0.0f), 0, out + q);
    for (; q < WP; q++)
        out[q] = 0.0f;
}

/* wf[c][oc][t] = w[oc][c][8 - t]: 3x3 taps reversed, channels swapped. On a 3-D range
 * [C][1][OC * 9], so that only constant divisions remain. */
__kernel void conv2d_flip_3x3(__global const float *w, __global float *wf, const int OC,
                              const int C)
{
    const int j = (int)get_global_id(0), c = (int)get_global_id(2);
    if (j >= OC * 9)
        return;
    const int t = j % 9, oc = j / 9;
    wf[(size_t)c * OC * 9 + j] = w[((size_t)oc * C + c) * 9 + 8 - t];
}

/* The 2x2 windows of one output channel's tile of conv2d_forward_3x3 below (t: rows oh0 and
 * oh0 + 1 in lanes 0-7 and 8-15, columns ow0 ..): their maxima and argmax (the chosen input,
 * counted in the OH x OW plane) into pooled and argmax at index, for the first `windows` of the
 * tile's 4. The first maximum in window order wins, a NaN beats any number and the first NaN
 * stays: maxpool2d_forward_2x2's rule. Taken as a tree (each row's pairs, then the two rows),
 * which picks what its 4 steps in window order pick, bit for bit. */
static void pool_tile(const float16 t, __global float *pooled, __global int *argmax,
                      const size_t index, const int windows, const int first, const int OW)
{
    const float8 left = t.even, right = t.odd;
    const int8 take_right = isgreater(right, left) | (isnan(right) & ~isnan(left));
    const float8 pair = select(left, right, take_right);
    const int8 pair_offset = select((int8)(0), (int8)(1), take_right);
    const int4 take_lower = isgreater(pair.hi, pair.lo) | (isnan(pair.hi) & ~isnan(pair.lo));
    const float4 best = select(pair.lo, pair.hi, take_lower);
    const int4 chosen = (int4)(first, first + 2, first + 4, first + 6) +
                        select(pair_offset.lo, pair_offset.hi + OW, take_lower);
    if (windows == 4) {
        vstore4(best, 0, pooled + index);
        vstore4(chosen, 0, argmax + index);
        return;
    }
    for (int q = 0; q < windows; q++) {
        pooled[index + q] = best[q];
        argmax[index + q] = chosen[q];
    }
}

/* xp: [N, C, OHT + 2, OWT + 2] padded input (see above), w: [OC, C, 3, 3], b: [OC] (used when
 * use_bias), y: [N, OC, OH, OW], ReLU applied when relu. Each work-item computes a tile of 2
 * rows x 8 pixels x 8 output channels in 8 float16 registers (the two rows side by side): per
 * input channel it loads the 4 padded rows the tile touches at 3 offsets each (12 vectors) and
 * 72 weights for 1,152 multiply-adds. With AVX-512 each weight rides in its fma as an embedded
 * broadcast, and one instruction does 16 multiply-adds: 16% faster than 8-lane vectors on Zen 4,
 * where the fma units are 256 bits wide. On a 3-D range [N * ceil(OC / 8)][OHT / 2][OWT / 8]
 * (clcnn_launch_planes: four 64-bit divisions per item cost the 3-channel layer a third of
 * its time). A last partial
 * channel block computes with the last channel's weights and stores nothing for the missing
 * ones; tiles that overhang the output store only their pixels inside it.
 * With pool, the 2x2 max pooling (stride 2, 'valid') of y instead of y: each tile is 1 x 4
 * windows, whose maxima and argmax go to pooled and argmax: [N, OC, OH / 2, OW / 2], as
 * maxpool2d_forward_2x2 writes them from y (the same choices, bit for bit). Writing y as well
 * cost as much as the separate pooling saved (measured on PoCL, Zen 4; likely from twice the
 * streams of partial cache lines per item). */
__kernel void conv2d_forward_3x3(__global const float *xp, __global const float *w,
                                 __global const float *b, __global float *y, const int N,
                                 const int C, const int OC, const int OH, const int OW,
                                 const int use_bias, const int relu, const int pool,
                                 __global float *pooled, __global int *argmax)
{
    const int column_blocks = (OW + 7) / 8, row_pairs = (OH + 1) / 2, channel_blocks = (OC + 7) / 8;
    const int block = (int)get_global_id(0), pair = (int)get_global_id(1);
    if (block >= column_blocks || pair >= row_pairs)
        return;
    const int ow0 = block * 8, oh0 = pair * 2;
    const int oc0 = (int)(get_global_id(2) % channel_blocks) * 8;
    const int n = (int)(get_global_id(2) / channel_blocks);
    const int HP = row_pairs * 2 + 2, WP = column_blocks * 8 + 2;
    __global const float *weights[8];
    /* tile[k]: output channel oc0 + k, the upper row in lanes 0-7 and the lower in 8-15, so
     * that one 16-lane fma (and one weight broadcast) serves both rows */
    float16 tile[8];
    #pragma unroll
    for (int k = 0; k < 8; k++) {
        const int channel = min(oc0 + k, OC - 1);
        weights[k] = w + (size_t)channel * C * 9;
        tile[k] = (float16)(use_bias ? b[channel] : 0.0f);
    }
    for (int c = 0; c < C; c++) {
        __global const float *rows = xp + (((size_t)n * C + c) * HP + oh0) * WP + ow0;
        #pragma unroll
        for (int kw = 0; kw < 3; kw++) {
            /* padded rows oh0 .. oh0 + 3 at offset kw, in pairs: rows (kh, kh + 1) meet the
             * tile's two rows at tap (kh, kw) */
            const float8 r0 = vload8(0, rows + kw), r1 = vload8(0, rows + WP + kw);
            const float8 r2 = vload8(0, rows + 2 * WP + kw), r3 = vload8(0, rows + 3 * WP + kw);
            const float16 p0 = (float16)(r0, r1), p1 = (float16)(r1, r2), p2 = (float16)(r2, r3);
            #pragma unroll
            for (int k = 0; k < 8; k++) {
                __global const float *tap = weights[k] + c * 9 + kw;
                /* one fma per product into the accumulator: a sum of products added at the
                 * end would cost a multiply and an add more */
                tile[k] = fma(p2, (float16)(tap[6]),
                              fma(p1, (float16)(tap[3]), fma(p0, (float16)(tap[0]), tile[k])));
            }
        }
    }
    const bool whole_width = ow0 + 8 <= OW, second_row = oh0 + 1 < OH;
    /* the 'valid' pooling's windows in this tile (none past an odd last row or column) */
    const int windows = pool && second_row ? min(4, OW / 2 - ow0 / 2) : 0;
    const size_t pool_plane = (size_t)(OH / 2) * (OW / 2);
    for (int k = 0; k < 8 && oc0 + k < OC; k++) {
        if (relu) /* activation_forward's ReLU: negatives to 0, NaN kept */
            tile[k] = select(tile[k], (float16)(0.0f), isless(tile[k], (float16)(0.0f)));
        if (pool) {
            if (windows > 0)
                pool_tile(tile[k], pooled, argmax,
                          ((size_t)n * OC + oc0 + k) * pool_plane + oh0 / 2 * (OW / 2) + ow0 / 2,
                          windows, oh0 * OW + ow0, OW);
            continue;
        }
        const float8 upper = tile[k].lo, lower = tile[k].hi;
        __global float *out = y + (((size_t)n * OC + oc0 + k) * OH + oh0) * OW + ow0;
        if (whole_width) {
            vstore8(upper, 0, out);
            if (second_row)
                vstore8(lower, 0, out + OW);
            continue;
        }
        float pixels[16];
        vstore16(tile[k], 0, pixels);
        for (int q = 0; q < OW - ow0; q++) {
            out[q] = pixels[q];
            if (second_row)
                out[OW + q] = pixels[8 + q];
        }
    }
}

/* The 16 lanes of v summed in a fixed order (the two rows, then a tree), so that every run
 * rounds alike. */
static float lane_sum(const float16 v)
{
    const float8 a = v.lo + v.hi;
    return ((a.s0 + a.s1) + (a.s2 + a.s3)) + ((a.s4 + a.s5) + (a.s6 + a.s7));
}

/* dW: xp: [N, C, OH + 2, OW + 2] padded input, dw: [OC, C, 3, 3], OH even, OW a multiple of 8;
 * dy[n][oc][r][q] at dyp[n][oc][dy_top + r][dy_left + q] of dyp: [N, OC, DYH, DYW], which holds
 * zeros wherever the layer's own output size (rounded up here to the tiles) ends. With
 * with_bias, db: [OC] = sum of dy too, from the dy vectors the items of input channel 0 load
 * anyway. One work-item per (pair of output channels, input channel) accumulates 2 x 9 taps
 * over every N * OH row in float16 registers, two output rows at a time (the 4 padded rows
 * they touch, at 3 offsets, serve 36 x 8 multiply-adds per 16 loads), then sums the lanes in a
 * fixed order. The 16 lanes hold 16 columns of a row (wide: OW a multiple of 16, no packing),
 * or 8 columns of each of the two rows side by side. Two kernels, one body each with `wide`
 * constant: with both loops in one kernel the packed one ran a third slower (Zen 4), and the
 * wide one is 7% faster than packing on 14- to 32-wide maps. */
#define DW_3X3_ARGUMENTS                                                                     \
    __global const float *xp, __global const float *dy, __global float *dw,                \
        __global float *db, const int with_bias, const int N, const int C, const int OC,    \
        const int OH, const int OW, const int dy_top, const int dy_left, const int DYH,     \
        const int DYW
#define DW_3X3_PASS xp, dy, dw, db, with_bias, N, C, OC, OH, OW, dy_top, dy_left, DYH, DYW

static inline __attribute__((always_inline)) void backward_weights_3x3(const bool wide,
                                                                       DW_3X3_ARGUMENTS)
{
    const int pairs = (OC + 1) / 2;
    const int index = (int)get_global_id(0);
    if (index >= pairs * C)
        return;
    const int c = index % C, oc0 = index / C * 2;
    const int oc1 = min(oc0 + 1, OC - 1);
    const int HP = OH + 2, WP = OW + 2;
    /* output channels oc0 (sum0) and oc0 + 1 (sum1), by tap */
    float16 sum0[9], sum1[9], bias0 = (float16)(0.0f), bias1 = (float16)(0.0f);
    const bool bias = with_bias && c == 0;
    #pragma unroll
    for (int tap = 0; tap < 9; tap++)
        sum0[tap] = sum1[tap] = (float16)(0.0f);
    for (int n = 0; n < N; n++)
        for (int oh = 0; oh < OH; oh += 2) {
            __global const float *g0 = dy + (((size_t)n * OC + oc0) * DYH + dy_top + oh) * DYW + dy_left;
            __global const float *g1 = dy + (((size_t)n * OC + oc1) * DYH + dy_top + oh) * DYW + dy_left;
            __global const float *rows = xp + (((size_t)n * C + c) * HP + oh) * WP;
            for (int ow0 = 0; ow0 < OW; ow0 += wide ? 16 : 8) {
                /* the two output rows' gradients, and per kw the padded rows (kh, kh + 1) that
                 * meet them at tap (kh, kw): upper with kh, lower with kh + 1 */
                float16 upper0, lower0, upper1, lower1, rows_kw[3][4];
                if (wide) {
                    upper0 = vload16(0, g0 + ow0), lower0 = vload16(0, g0 + DYW + ow0);
                    upper1 = vload16(0, g1 + ow0), lower1 = vload16(0, g1 + DYW + ow0);
                    #pragma unroll
                    for (int kw = 0; kw < 3; kw++)
                        #pragma unroll
                        for (int r = 0; r < 4; r++)
                            rows_kw[kw][r] = vload16(0, rows + r * WP + ow0 + kw);
                } else { /* both rows in one vector: the lower products ride in the upper ones */
                    upper0 = (float16)(vload8(0, g0 + ow0), vload8(0, g0 + DYW + ow0));
                    upper1 = (float16)(vload8(0, g1 + ow0), vload8(0, g1 + DYW + ow0));
                    lower0 = lower1 = (float16)(0.0f);
                    #pragma unroll
                    for (int kw = 0; kw < 3; kw++) {
                        float8 r8[4];
                        #pragma unroll
                        for (int r = 0; r < 4; r++)
                            r8[r] = vload8(0, rows + r * WP + ow0 + kw);
                        #pragma unroll
                        for (int r = 0; r < 3; r++)
                            rows_kw[kw][r] = (float16)(r8[r], r8[r + 1]);
                    }
                }
                if (bias) {
                    bias0 += upper0 + lower0;
                    bias1 += upper1 + lower1;
                }
                #pragma unroll
                for (int kw = 0; kw < 3; kw++)
                    #pragma unroll
                    for (int kh = 0; kh < 3; kh++) {
                        const float16 r = rows_kw[kw][kh];
                        if (wide) {
                            const float16 below = rows_kw[kw][kh + 1];
                            sum0[3 * kh + kw] = fma(lower0, below, fma(upper0, r, sum0[3 * kh + kw]));
                            sum1[3 * kh + kw] = fma(lower1, below, fma(upper1, r, sum1[3 * kh + kw]));
                        } else {
                            sum0[3 * kh + kw] = fma(upper0, r, sum0[3 * kh + kw]);
                            sum1[3 * kh + kw] = fma(upper1, r, sum1[3 * kh + kw]);
                        }
                    }
            }
        }
    #pragma unroll
    for (int tap = 0; tap < 9; tap++) {
        dw[((size_t)oc0 * C + c) * 9 + tap] = lane_sum(sum0[tap]);
        if (oc0 + 1 < OC)
            dw[((size_t)oc1 * C + c) * 9 + tap] = lane_sum(sum1[tap]);
    }
    if (bias) {
        db[oc0] = lane_sum(bias0);
        if (oc0 + 1 < OC)
            db[oc1] = lane_sum(bias1);
    }
}

__kernel void conv2d_backward_weights_3x3_fast(DW_3X3_ARGUMENTS)
{
    backward_weights_3x3(false, DW_3X3_PASS);
}

__kernel void conv2d_backward_weights_3x3_wide(DW_3X3_ARGUMENTS)
{
    backward_weights_3x3(true, DW_3X3_PASS);
}

/* ---- dW with output channels in the lanes (CPUs; any kernel size, stride and padding) ------
 * dw[oc][f] = sum over (n, oh, ow) of dy[n][oc][oh][ow] * xp[n][c][oh * sh + kh][ow * sw + kw],
 * f = (c * KH + kh) * KW + kw, the flattened [C, KH, KW] row of one output channel. With 16
 * output channels in a vector's lanes no lane idles whatever the map's size: the 3x3 kernels
 * above round a 7 x 7 map up to 8 x 8 tiles (49 of 64 lanes busy) and pack two rows per
 * vector. dy is first transposed to dyt: [N * OH * OW, OCP] (conv2d_transpose_gradient), OCP =
 * OC rounded up to 16. A work-item holds DW_SLOTS consecutive f of 16 output channels in
 * float16 accumulators (for 3x3 kernels: 2 input channels x 9 taps): per pixel one vector
 * load of dy and DW_SLOTS fmas, each with its input value as an embedded broadcast. Items on a
 * 1-D range of ceil(C * KH * KW / DW_SLOTS) * (OCP / 16), neighbours sharing one block of dyt.
 * With with_bias, the items of f = 0 also sum dy into db: [OC].
 *   xp: [N, C, HP, WP], x shifted by (pad_top, pad_left), zeros around it, HP >= (OH - 1) * sh
 *   + KH and WP >= (OW - 1) * sw + KW; dw: [OC, C, KH, KW] */
#define DW_SLOTS 18
__kernel void conv2d_backward_weights_channels(
    __global const float *xp, __global const float *dyt, __global float *dw, __global float *db,
    const int with_bias, const int N, const int C, const int OC, const int OH, const int OW,
    const int KH, const int KW, const int stride_h, const int stride_w, const int HP,
    const int WP, const int OCP)
{
    const int row = C * KH * KW, taps = KH * KW;
    const int groups = (row + DW_SLOTS - 1) / DW_SLOTS;
    const int index = (int)get_global_id(0);
    if (index >= groups * (OCP / 16))
        return;
    const int first = index % groups * DW_SLOTS, oc0 = index / groups * 16;
    /* slot s sums weight f = first + s; slots past the row repeat the last f and store nothing */
    float16 sum[DW_SLOTS], bias = (float16)(0.0f);
    #pragma unroll
    for (int s = 0; s < DW_SLOTS; s++)
        sum[s] = (float16)(0.0f);
    const bool bias_here = with_bias && first == 0;
    __global const float *gradient = dyt + oc0;
    if (KH == 3 && KW == 3) {
        /* the 18 slots are input channels c0 and c1 (c0 again past the row) x 9 taps: six row
         * pointers and the taps' columns as constant displacements, where 18 offsets would
         * not fit the registers (the loop then spent more instructions on them than on its
         * fmas) */
        const int c0 = first / 9, c1 = min(c0 + 1, C - 1);
        for (int n = 0; n < N; n++) {
            __global const float *plane = xp + (size_t)n * C * HP * WP;
            for (int oh = 0; oh < OH; oh++) {
                __global const float *in[6];
                #pragma unroll
                for (int r = 0; r < 6; r++)
                    in[r] = plane + ((size_t)(r < 3 ? c0 : c1) * HP + oh * stride_h + r % 3) * WP;
                for (int ow = 0; ow < OW; ow++, gradient += OCP) {
                    const float16 g = vload16(0, gradient);
                    #pragma unroll
                    for (int s = 0; s < DW_SLOTS; s++)
                        sum[s] = fma(g, (float16)(in[s / 3][s % 3]), sum[s]);
                    #pragma unroll
                    for (int r = 0; r < 6; r++)
                        in[r] += stride_w;
                    if (bias_here)
                        bias += g;
                }
            }
        }
    } else {
        int offset[DW_SLOTS]; /* slot s reads xp at offset[s] from its pixel's top-left input */
        #pragma unroll
        for (int s = 0; s < DW_SLOTS; s++) {
            const int f = min(first + s, row - 1), t = f % taps;
            offset[s] = (f / taps * HP + t / KW) * WP + t % KW;
        }
        for (int n = 0; n < N; n++) {
            __global const float *plane = xp + (size_t)n * C * HP * WP;
            for (int oh = 0; oh < OH; oh++) {
                __global const float *input = plane + oh * stride_h * WP;
                for (int ow = 0; ow < OW; ow++, input += stride_w, gradient += OCP) {
                    const float16 g = vload16(0, gradient);
                    #pragma unroll
                    for (int s = 0; s < DW_SLOTS; s++)
                        sum[s] = fma(g, (float16)(input[offset[s]]), sum[s]);
                    if (bias_here)
                        bias += g;
                }
            }
        }
    }
    const int lanes = min(16, OC - oc0);
    float values[16];
    #pragma unroll
    for (int s = 0; s < DW_SLOTS; s++) {
        if (first + s >= row)
            break;
        vstore16(sum[s], 0, values);
        for (int l = 0; l < lanes; l++)
            dw[(size_t)(oc0 + l) * row + first + s] = values[l];
    }
    if (bias_here) {
        vstore16(bias, 0, values);
        for (int l = 0; l < lanes; l++)
            db[oc0 + l] = values[l];
    }
}

/* dyt[n * P + p][oc] = dy[n][oc][p], zeros for oc in [OC, OCP): [N, OC, P] -> [N * P, OCP]. A
 * work-item per block of 16 pixels x 16 channels on a 3-D range [ceil(P / 16)][OCP / 16][N]:
 * 16 vector loads of one channel's pixels, 16 vector stores of one pixel's channels, the block
 * turned in registers between (a work-item per pixel loaded its 16 channels one by one and
 * reached 15 GB/s, measured on PoCL, Zen 4). */
__kernel void conv2d_transpose_gradient(__global const float *dy, __global float *dyt,
                                        const int OC, const int P, const int OCP)
{
    const int p0 = (int)get_global_id(0) * 16, oc0 = (int)get_global_id(1) * 16;
    const int n = (int)get_global_id(2);
    if (p0 >= P || oc0 >= OCP)
        return;
    const int pixels = min(16, P - p0), lanes = min(16, OC - oc0);
    __global const float *in = dy + ((size_t)n * OC + oc0) * P + p0;
    __global float *out = dyt + ((size_t)n * P + p0) * OCP + oc0;
    if (pixels == 16 && lanes == 16) {
        float16 rows[16]; /* rows[k]: channel oc0 + k's 16 pixels */
        #pragma unroll
        for (int k = 0; k < 16; k++)
            rows[k] = vload16(0, in + (size_t)k * P);
        #pragma unroll
        for (int j = 0; j < 16; j++) {
            float16 column;
            #pragma unroll
            for (int k = 0; k < 16; k++)
                column[k] = rows[k][j];
            vstore16(column, 0, out + (size_t)j * OCP);
        }
        return;
    }
    for (int j = 0; j < pixels; j++)
        for (int k = 0; k < 16; k++)
            out[(size_t)j * OCP + k] = k < lanes ? in[(size_t)k * P + j] : 0.0f;
}

/* ---- forward and dX with output channels in the lanes (CPUs; any kernel size and stride) ----
 * y[n][oc][p] = b[oc] + sum over (c, kh, kw) of wt[(c * KH + kh) * KW + kw][oc] *
 * xp[n][c][oh * sh + kh][ow * sw + kw], p = oh * OW + ow. 16 output channels fill a vector's
 * lanes, and a work-item takes FORWARD_PIXELS (7) consecutive pixels of a plane, counted across
 * rows: maps 7, 14 or 28 wide leave no lane idle, where the 3x3 kernels above round them up to
 * 8 or 16 columns. Per tap one vector load of weights serves 7 fmas, each with its input value
 * as an embedded broadcast. dX is this convolution of dy padded by KH - 1 - pad with the weights
 * flipped (conv2d_transpose_weights). On a 3-D range [ceil(OH * OW / 7)][OCP / 16][N]; the
 * last block of a plane repeats its last pixel and stores only its own.
 *   xp: [N, C, HP, WP] as for dW above; wt: [C * KH * KW, OCP]; b: [OC] (read when use_bias);
 *   y: [N, OC, OH, OW], ReLU applied when relu */
#define FORWARD_PIXELS 7

/* sum[j] += the taps of every input channel; KH and KW constants where the caller passes them
 * (3 x 3: the tap loops unrolled) */
static inline __attribute__((always_inline)) void forward_channels_taps(
    const int KH, const int KW, __global const float *xp, __global const float *weights,
    const int C, const int HP, const int WP, const int OCP, const int *at, float16 *sum)
{
    for (int c = 0; c < C; c++) {
        __global const float *plane = xp + (size_t)c * HP * WP;
        #pragma unroll
        for (int kh = 0; kh < KH; kh++)
            #pragma unroll
            for (int kw = 0; kw < KW; kw++, weights += OCP) {
                const float16 w = vload16(0, weights);
                __global const float *tap = plane + kh * WP + kw;
                #pragma unroll
                for (int j = 0; j < FORWARD_PIXELS; j++)
                    sum[j] = fma(w, (float16)(tap[at[j]]), sum[j]);
            }
    }
}

__kernel void conv2d_forward_channels(
    __global const float *xp, __global const float *wt, __global const float *b,
    __global float *y, const int use_bias, const int relu, const int C, const int OC,
    const int OH, const int OW, const int KH, const int KW, const int stride_h,
    const int stride_w, const int HP, const int WP, const int OCP)
{
    const int P = OH * OW, p0 = (int)get_global_id(0) * FORWARD_PIXELS;
    const int oc0 = (int)get_global_id(1) * 16, n = (int)get_global_id(2);
    if (p0 >= P || oc0 >= OCP)
        return;
    float block[FORWARD_PIXELS][16];
    for (int l = 0; l < 16; l++)
        block[0][l] = use_bias ? b[min(oc0 + l, OC - 1)] : 0.0f;
    int at[FORWARD_PIXELS]; /* each pixel's top-left input in a padded plane */
    float16 sum[FORWARD_PIXELS];
    #pragma unroll
    for (int j = 0; j < FORWARD_PIXELS; j++) {
        const int p = min(p0 + j, P - 1);
        at[j] = p / OW * stride_h * WP + p % OW * stride_w;
        sum[j] = vload16(0, block[0]);
    }
    __global const float *plane = xp + (size_t)n * C * HP * WP, *weights = wt + oc0;
    if (KH == 3 && KW == 3)
        forward_channels_taps(3, 3, plane, weights, C, HP, WP, OCP, at, sum);
    else
        forward_channels_taps(KH, KW, plane, weights, C, HP, WP, OCP, at, sum);
    #pragma unroll
    for (int j = 0; j < FORWARD_PIXELS; j++) /* ReLU as conv2d_forward_3x3 applies it */
        if (relu)
            sum[j] = select(sum[j], (float16)(0.0f), isless(sum[j], (float16)(0.0f)));
    const int pixels = min(FORWARD_PIXELS, P - p0), lanes = min(16, OC - oc0);
    __global float *out = y + ((size_t)n * OC + oc0) * P + p0;
    /* a whole block: each channel's 7 pixels are lanes at known places, which the compiler
     * gathers with shuffles into one 4-, 2- and 1-float store (a loop through a private array
     * cost the 28 x 28 layer 10% of its time) */
    if (pixels == FORWARD_PIXELS && lanes == 16) {
        #pragma unroll
        for (int l = 0; l < 16; l++)
            #pragma unroll
            for (int j = 0; j < FORWARD_PIXELS; j++)
                out[l * P + j] = sum[j][l];
        return;
    }
    for (int j = 0; j < FORWARD_PIXELS; j++)
        vstore16(sum[j], 0, block[j]);
    for (int l = 0; l < lanes; l++)
        for (int j = 0; j < pixels; j++)
            out[l * P + j] = block[j][l];
}

/* The weights as conv2d_forward_channels reads them, from w: [OC, C, T] (T = KH * KW taps).
 * Forward: wt[c * T + t][oc] = w[oc][c][t], I = C input and O = OC output channels. dX (flip):
 * wt[oc * T + t][c] = w[oc][c][T - 1 - t], I = OC and O = C. Zeros for o in [O, OP). A
 * work-item per input channel i and 16 of o writes its T rows of 16 as vectors, reading T
 * taps of each of its 16 o (for the flip, 16 x T consecutive weights), on a 3-D range
 * [OP / 16][1][I]. */
__kernel void conv2d_transpose_weights(__global const float *w, __global float *wt, const int I,
                                       const int O, const int T, const int OP, const int flip)
{
    const int o0 = (int)get_global_id(0) * 16, i = (int)get_global_id(2);
    if (o0 >= OP)
        return;
    const int lanes = min(16, O - o0);
    for (int t = 0; t < T; t++) {
        float16 row = (float16)(0.0f);
        for (int k = 0; k < lanes; k++)
            row[k] = flip ? w[((size_t)i * O + o0 + k) * T + T - 1 - t]
                          : w[((size_t)(o0 + k) * I + i) * T + t];
        vstore16(row, 0, wt + ((size_t)i * T + t) * OP + o0);
    }
}
