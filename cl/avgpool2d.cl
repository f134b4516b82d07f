/* 2-D average pooling, Keras's AveragePooling2D (and GlobalAveragePooling2D: one window over
 * the whole plane).
 *
 *   x:  [N, C, H, W]    input, NCHW
 *   y:  [N, C, OH, OW]  output
 * The window of y[n,c,oh,ow] starts at (oh*stride_h - pad_top, ow*stride_w - pad_left).
 * Positions outside the input are not counted: with padding 'same' an edge window averages
 * only the inputs it covers, as TensorFlow does. Sums run in row-major window order, the
 * reference's, so every device rounds alike.
 */

#define POOL_SHAPE_ARGUMENTS                                                                 \
    const int N, const int C, const int H, const int W, const int KH, const int KW,          \
        const int OH, const int OW, const int stride_h, const int stride_w,                  \
        const int pad_top, const int pad_left

/* The inputs a window covers: rows [*h0, *h1), columns [*w0, *w1). */
#define WINDOW(oh, ow)                                                                       \
    const int h0 = max((oh) * stride_h - pad_top, 0);                                        \
    const int h1 = min((oh) * stride_h - pad_top + KH, H);                                   \
    const int w0 = max((ow) * stride_w - pad_left, 0);                                       \
    const int w1 = min((ow) * stride_w - pad_left + KW, W)

/* One work-item per output on a 3-D range [N * C][OH][OW] (x fastest, bound-checked). */
__kernel void avgpool2d_forward(__global const float *x, __global float *y, POOL_SHAPE_ARGUMENTS)
{
    const int ow = (int)get_global_id(0), oh = (int)get_global_id(1);
    const size_t plane = get_global_id(2);
    if (ow >= OW || oh >= OH)
        return;
    WINDOW(oh, ow);
    __global const float *x_plane = x + plane * H * W;
    float sum = 0.0f;
    for (int ih = h0; ih < h1; ih++)
        for (int iw = w0; iw < w1; iw++)
            sum += x_plane[ih * W + iw];
    y[(plane * OH + oh) * OW + ow] = sum / (float)((h1 - h0) * (w1 - w0));
}

/* dX: one work-item per input element on [N * C][H][W], summing dy / count over the windows
 * that cover it, in (oh, ow) order as the reference does. */
__kernel void avgpool2d_backward(__global const float *dy, __global float *dx,
                                 POOL_SHAPE_ARGUMENTS)
{
    const int iw = (int)get_global_id(0), ih = (int)get_global_id(1);
    const size_t plane = get_global_id(2);
    if (iw >= W || ih >= H)
        return;
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
            WINDOW(oh, ow);
            sum += dy[(plane * OH + oh) * OW + ow] / (float)((h1 - h0) * (w1 - w0));
        }
    dx[(plane * H + ih) * W + iw] = sum;
}

/* dX of one window (OH = OW = 1, global pooling's): a work-item per plane of N * C writes its
 * H x W inputs, where the launch above would spend a work-group on each small plane (7 x 7:
 * 0.33 ms for 8,192 planes, against 0.09 here, measured on PoCL). */
__kernel void avgpool2d_backward_window(__global const float *dy, __global float *dx,
                                        POOL_SHAPE_ARGUMENTS)
{
    const size_t plane = get_global_id(0);
    if (plane >= (size_t)N * C)
        return;
    WINDOW(0, 0);
    const float share = dy[plane] / (float)((h1 - h0) * (w1 - w0));
    __global float *out = dx + plane * H * W;
    for (int ih = 0; ih < H; ih++, out += W) {
        const bool covered = ih >= h0 && ih < h1;
        for (int iw = 0; iw < (covered ? w0 : W); iw++)
            out[iw] = 0.0f;
        if (!covered)
            continue;
        for (int iw = w0; iw < w1; iw++)
            out[iw] = share;
        for (int iw = w1; iw < W; iw++)
            out[iw] = 0.0f;
    }
}
