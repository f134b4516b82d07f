/* Reference max pooling. Ties go to the first maximum in row-major window order; the first NaN
 * of a window wins it, as in cl/maxpool2d.cl. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ops.h"

void clcnn_ref_maxpool2d_forward(const clcnn_pool2d_shape *s, const float *x, float *y,
                                 int32_t *argmax)
{
    for (int plane = 0; plane < s->N * s->C; plane++) {
        const float *x_plane = x + (size_t)plane * s->H * s->W;
        for (int oh = 0; oh < s->OH; oh++)
            for (int ow = 0; ow < s->OW; ow++) {
                float best = 0.0f;
                int best_index = -1;
                for (int kh = 0; kh < s->KH; kh++) {
                    int ih = oh * s->stride_h - s->pad_top + kh;
                    if (ih < 0 || ih >= s->H)
                        continue;
                    for (int kw = 0; kw < s->KW; kw++) {
                        int iw = ow * s->stride_w - s->pad_left + kw;
                        if (iw < 0 || iw >= s->W)
                            continue;
                        float value = x_plane[ih * s->W + iw];
                        if (best_index < 0 || value > best || (isnan(value) && !isnan(best))) {
                            best = value;
                            best_index = ih * s->W + iw;
                        }
                    }
                }
                size_t out = ((size_t)plane * s->OH + oh) * s->OW + ow;
                y[out] = best;
                argmax[out] = best_index;
            }
    }
}

/* First and last output index whose window [o*stride - pad, o*stride - pad + size) covers i. */
static void covering_windows(int i, int pad, int size, int stride, int outputs, int *first,
                             int *last)
{
    int low_scaled = i + pad - size + 1;
    *first = low_scaled <= 0 ? 0 : (low_scaled + stride - 1) / stride;
    *last = (i + pad) / stride;
    if (*last > outputs - 1)
        *last = outputs - 1;
}

/* Each input sums dy over the windows that chose it. */
void clcnn_ref_maxpool2d_backward(const clcnn_pool2d_shape *s, const float *dy,
                                  const int32_t *argmax, const float *gate, float *dx)
{
    for (int plane = 0; plane < s->N * s->C; plane++)
        for (int ih = 0; ih < s->H; ih++)
            for (int iw = 0; iw < s->W; iw++) {
                int oh_first, oh_last, ow_first, ow_last;
                covering_windows(ih, s->pad_top, s->KH, s->stride_h, s->OH, &oh_first, &oh_last);
                covering_windows(iw, s->pad_left, s->KW, s->stride_w, s->OW, &ow_first, &ow_last);
                double sum = 0.0;
                for (int oh = oh_first; oh <= oh_last; oh++)
                    for (int ow = ow_first; ow <= ow_last; ow++) {
                        size_t out = ((size_t)plane * s->OH + oh) * s->OW + ow;
                        if (argmax[out] == ih * s->W + iw && (!gate || gate[out] > 0.0f))
                            sum += dy[out];
                    }
                dx[((size_t)plane * s->H + ih) * s->W + iw] = (float)sum;
            }
}
