/* 2-D max pooling.
 *
 *   x:      [N, C, H, W]     input, NCHW
 *   y:      [N, C, OH, OW]   output
 *   argmax: [N, C, OH, OW]   int, ih * W + iw of the chosen input within its plane
 * The window of y[n,c,oh,ow] starts at (oh*stride_h - pad_top, ow*stride_w - pad_left);
 * positions outside the input are skipped. Ties go to the first maximum in row-major window
 * order, the same rule as the reference, so every device picks the same input. A NaN wins
 * its window (the first NaN), so a fault upstream is never hidden.
 */

#define POOL_SHAPE_ARGUMENTS                                                                 \
    const int N, const int C, const int H, const int W, const int KH, const int KW,          \
        const int OH, const int OW, const int stride_h, const int stride_w,                  \
        const int pad_top, const int pad_left

/* Both kernels run on a 3-D range [N * C][rows][columns] (x fastest, bound-checked), so that
 * coordinates need no division: 64-bit division per element cost more than the loads. */
__kernel void maxpool2d_forward(__global const float *x, __global float *y,
                                __global int *argmax, POOL_SHAPE_ARGUMENTS)
{
    const int ow = (int)get_global_id(0), oh = (int)get_global_id(1);
    const size_t plane = get_global_id(2);
    if (ow >= OW || oh >= OH)
        return;
    const size_t index = (plane * OH + oh) * OW + ow;
    __global const float *x_plane = x + plane * H * W;
    float best = 0.0f;
    int best_index = -1;
    for (int kh = 0; kh < KH; kh++) {
        const int ih = oh * stride_h - pad_top + kh;
        if (ih < 0 || ih >= H)
            continue;
        for (int kw = 0; kw < KW; kw++) {
            const int iw = ow * stride_w - pad_left + kw;
            if (iw < 0 || iw >= W)
                continue;
            const float value = x_plane[ih * W + iw];
            if (best_index < 0 || value > best || (isnan(value) && !isnan(best))) {
                best = value;
                best_index = ih * W + iw;
            }
        }
    }
    y[index] = best;
    argmax[index] = best_index;
}

/* Keeps the first maximum in window order; a NaN beats any number, and the first NaN stays.
 * On vectors of 4 windows: best, candidate float4; offset, offset_of_value int4. */
#define TAKE_IF_GREATER(candidate, offset_of_value)                                          \
    do {                                                                                     \
        const float4 candidate_ = (candidate);                                               \
        const int4 take_ = isgreater(candidate_, best) | (isnan(candidate_) & ~isnan(best)); \
        best = select(best, candidate_, take_);                                              \
        offset = select(offset, (int4)(offset_of_value), take_);                             \
    } while (0)

/* The seed's 2x2/2 windows, all inside the input (2 OH <= H, 2 OW <= W): the same rule as
 * maxpool2d_forward in straight-line selects. A work-item per run of 4 windows of a row, on a
 * 3-D range [N * C][OH][ceil(OW / 4)]: two float8 loads, even and odd lanes, one float4 store.
 * A last shorter run is computed as the row's last 4 windows, of which it stores its own (14-
 * and 7-wide outputs spent half their time window by window); rows under 4 windows go window
 * by window. */
__kernel void maxpool2d_forward_2x2(__global const float *x, __global float *y,
                                    __global int *argmax, POOL_SHAPE_ARGUMENTS)
{
    const int ow0 = (int)get_global_id(0) * 4, oh = (int)get_global_id(1);
    const size_t plane = get_global_id(2);
    if (ow0 >= OW || oh >= OH)
        return;
    if (OW >= 4) {
        const int start = min(ow0, OW - 4), first = 2 * oh * W + 2 * start;
        __global const float *top = x + plane * H * W + first;
        const size_t index = (plane * OH + oh) * OW + start;
        const float8 upper = vload8(0, top), lower = vload8(0, top + W);
        float4 best = upper.even;
        int4 offset = (int4)(0);
        TAKE_IF_GREATER(upper.odd, 1);
        TAKE_IF_GREATER(lower.even, W);
        TAKE_IF_GREATER(lower.odd, W + 1);
        const int4 chosen = (int4)(first, first + 2, first + 4, first + 6) + offset;
        if (start == ow0) {
            vstore4(best, 0, y + index);
            vstore4(chosen, 0, argmax + index);
            return;
        }
        float bests[4];
        int chosens[4];
        vstore4(best, 0, bests);
        vstore4(chosen, 0, chosens);
        for (int k = ow0 - start; k < 4; k++) {
            y[index + k] = bests[k];
            argmax[index + k] = chosens[k];
        }
        return;
    }
    const int first = 2 * oh * W + 2 * ow0;
    __global const float *top = x + plane * H * W + first;
    const size_t index = (plane * OH + oh) * OW + ow0;
    for (int k = 0; k < OW - ow0; k++) {
        const float candidates[4] = {top[2 * k], top[2 * k + 1], top[W + 2 * k], top[W + 2 * k + 1]};
        const int offsets[4] = {0, 1, W, W + 1};
        float best = candidates[0];
        int offset = 0;
        for (int i = 1; i < 4; i++)
            if (candidates[i] > best || (isnan(candidates[i]) && !isnan(best))) {
                best = candidates[i];
                offset = offsets[i];
            }
        y[index + k] = best;
        argmax[index + k] = first + 2 * k + offset;
    }
}

/* The backward kernels: dy, argmax and the pooled output y: [N, C, OH, OW], dx: [N, C, H, W].
 * With gate, a window's gradient passes only where its output y > 0: the derivative of the
 * ReLU the pooled input came out of, at the input the window chose (activation_backward's
 * rule: NaN and 0 pass nothing). */
#define POOL_BACKWARD_ARGUMENTS                                                              \
    __global const float *dy, __global const int *argmax, __global float *dx,                \
        __global const float *y, POOL_SHAPE_ARGUMENTS, const int gate
#define GATED(out) (gate && !(y[out] > 0.0f) ? 0.0f : dy[out])

/* dX: one work-item per input element, summing dy over the windows that chose it. */
__kernel void maxpool2d_backward(POOL_BACKWARD_ARGUMENTS)
{
    const int iw = (int)get_global_id(0), ih = (int)get_global_id(1);
    const size_t plane = get_global_id(2);
    if (iw >= W || ih >= H)
        return;
    const size_t index = (plane * H + ih) * W + iw;
    const int self = ih * W + iw;
    /* windows covering ih: oh*stride_h - pad_top <= ih < oh*stride_h - pad_top + KH */
    const int oh_low_scaled = ih + pad_top - KH + 1;
    const int oh_first = oh_low_scaled <= 0 ? 0 : (oh_low_scaled + stride_h - 1) / stride_h;
    const int oh_last = min(OH - 1, (ih + pad_top) / stride_h);
    const int ow_low_scaled = iw + pad_left - KW + 1;
    const int ow_first = ow_low_scaled <= 0 ? 0 : (ow_low_scaled + stride_w - 1) / stride_w;
    const int ow_last = min(OW - 1, (iw + pad_left) / stride_w);
    float sum = 0.0f;
    for (int oh = oh_first; oh <= oh_last; oh++)
        for (int ow = ow_first; ow <= ow_last; ow++) {
            const size_t out = (plane * OH + oh) * OW + ow;
            if (argmax[out] == self)
                sum += GATED(out);
        }
    dx[index] = sum;
}

/* dX when the windows tile the input (KH == stride_h, KW == stride_w, no padding: the seed's
 * 2x2/2): one work-item per block of KH x KW inputs, on a 3-D range [N * C][ceil(H / KH)]
 * [ceil(W / KW)]. Each input lies in one window, or in none for the rows and columns 'valid'
 * pooling floors away (those blocks write zeros), so nothing is divided or summed. */
__kernel void maxpool2d_backward_tiled(POOL_BACKWARD_ARGUMENTS)
{
    const int bw = (int)get_global_id(0), bh = (int)get_global_id(1);
    const size_t plane = get_global_id(2);
    if (bw * KW >= W || bh * KH >= H)
        return;
    const bool pooled = bh < OH && bw < OW;
    const size_t out = (plane * OH + bh) * OW + bw;
    const int chosen = pooled ? argmax[out] : -1;
    const float gradient = pooled ? GATED(out) : 0.0f;
    for (int kh = 0; kh < KH && bh * KH + kh < H; kh++)
        for (int kw = 0; kw < KW && bw * KW + kw < W; kw++) {
            const int self = (bh * KH + kh) * W + bw * KW + kw;
            dx[plane * H * W + self] = self == chosen ? gradient : 0.0f;
        }
}

/* dX for the seed's 2x2/2 windows covering the whole input (H = 2 OH, W = 2 OW): a work-item
 * per run of 4 windows of a row, straight-line, on a 3-D range [N * C][OH][ceil(OW / 4)]: the
 * gradients go to the even or odd lanes of two float8 rows. A last shorter run is computed as
 * the row's last 4 windows, of which it stores its own; rows under 4 windows go window by
 * window. */
__kernel void maxpool2d_backward_2x2(POOL_BACKWARD_ARGUMENTS)
{
    const int ow0 = (int)get_global_id(0) * 4, oh = (int)get_global_id(1);
    const size_t plane = get_global_id(2);
    if (ow0 >= OW || oh >= OH)
        return;
    if (OW >= 4) {
        const int start = min(ow0, OW - 4), first = 2 * oh * W + 2 * start;
        const size_t out = (plane * OH + oh) * OW + start;
        __global float *window = dx + plane * H * W + first;
        const float4 zero = (float4)(0.0f);
        float4 gradient = vload4(0, dy + out);
        if (gate)
            gradient = select(zero, gradient, isgreater(vload4(0, y + out), zero));
        const int4 offset = vload4(0, argmax + out) - (int4)(first, first + 2, first + 4, first + 6);
        float8 upper, lower;
        upper.even = select(zero, gradient, offset == 0);
        upper.odd = select(zero, gradient, offset == 1);
        lower.even = select(zero, gradient, offset == W);
        lower.odd = select(zero, gradient, offset == W + 1);
        if (start == ow0) {
            vstore8(upper, 0, window);
            vstore8(lower, 0, window + W);
            return;
        }
        float rows[2][8];
        vstore8(upper, 0, rows[0]);
        vstore8(lower, 0, rows[1]);
        for (int q = 2 * (ow0 - start); q < 8; q++) {
            window[q] = rows[0][q];
            window[W + q] = rows[1][q];
        }
        return;
    }
    const size_t out = (plane * OH + oh) * OW + ow0;
    const int first = 2 * oh * W + 2 * ow0;
    __global float *window = dx + plane * H * W + first;
    for (int k = 0; k < OW - ow0; k++) {
        const int chosen = argmax[out + k] - first - 2 * k;
        const float gradient = GATED(out + k);
        window[2 * k] = chosen == 0 ? gradient : 0.0f;
        window[2 * k + 1] = chosen == 1 ? gradient : 0.0f;
        window[W + 2 * k] = chosen == W ? gradient : 0.0f;
        window[W + 2 * k + 1] = chosen == W + 1 ? gradient : 0.0f;
    }
}
