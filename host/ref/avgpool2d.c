/* Reference average pooling: the same window rule (padding not counted) and the same summation
 * order as cl/avgpool2d.cl. */
#include "ops.h"

/* The inputs window (oh, ow) covers: rows [h0, h1), columns [w0, w1). */
static void window(const clcnn_pool2d_shape *s, int oh, int ow, int *h0, int *h1, int *w0, int *w1)
{
    int top = oh * s->stride_h - s->pad_top, left = ow * s->stride_w - s->pad_left;
    *h0 = top > 0 ? top : 0;
    *h1 = top + s->KH < s->H ? top + s->KH : s->H;
    *w0 = left > 0 ? left : 0;
    *w1 = left + s->KW < s->W ? left + s->KW : s->W;
}

void clcnn_ref_avgpool2d_forward(const clcnn_pool2d_shape *s, const float *x, float *y)
{
    for (int plane = 0; plane < s->N * s->C; plane++) {
        const float *x_plane = x + (size_t)plane * s->H * s->W;
        for (int oh = 0; oh < s->OH; oh++)
            for (int ow = 0; ow < s->OW; ow++) {
                int h0, h1, w0, w1;
                window(s, oh, ow, &h0, &h1, &w0, &w1);
                float sum = 0.0f;
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++)
                        sum += x_plane[ih * s->W + iw];
                y[((size_t)plane * s->OH + oh) * s->OW + ow] = sum / (float)((h1 - h0) * (w1 - w0));
            }
    }
}

void clcnn_ref_avgpool2d_backward(const clcnn_pool2d_shape *s, const float *dy, float *dx)
{
    /* gathered per input in (oh, ow) order, as the kernel does, so the sums round alike */
    for (int plane = 0; plane < s->N * s->C; plane++)
        for (int ih = 0; ih < s->H; ih++)
            for (int iw = 0; iw < s->W; iw++) {
                float sum = 0.0f;
                for (int oh = 0; oh < s->OH; oh++)
                    for (int ow = 0; ow < s->OW; ow++) {
                        int h0, h1, w0, w1;
                        window(s, oh, ow, &h0, &h1, &w0, &w1);
                        if (ih >= h0 && ih < h1 && iw >= w0 && iw < w1)
                            sum += dy[((size_t)plane * s->OH + oh) * s->OW + ow] /
                                   (float)((h1 - h0) * (w1 - w0));
                    }
                dx[((size_t)plane * s->H + ih) * s->W + iw] = sum;
            }
}
