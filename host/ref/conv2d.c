/* Reference conv2d: straight loops, double accumulators. The specification that
 * cl/conv2d.cl is tested against. Shapes and layouts: host/ops.h. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ops.h"

void clcnn_ref_conv2d_forward(const clcnn_conv2d_shape *s, const float *x, const float *w,
                              const float *b, float *y)
{
    for (int n = 0; n < s->N; n++)
        for (int oc = 0; oc < s->OC; oc++)
            for (int oh = 0; oh < s->OH; oh++)
                for (int ow = 0; ow < s->OW; ow++) {
                    double sum = b[oc];
                    for (int c = 0; c < s->C; c++)
                        for (int kh = 0; kh < s->KH; kh++) {
                            int ih = oh * s->stride_h - s->pad_top + kh;
                            if (ih < 0 || ih >= s->H)
                                continue;
                            for (int kw = 0; kw < s->KW; kw++) {
                                int iw = ow * s->stride_w - s->pad_left + kw;
                                if (iw < 0 || iw >= s->W)
                                    continue;
                                sum += (double)x[((size_t)(n * s->C + c) * s->H + ih) * s->W + iw] *
                                       w[((size_t)(oc * s->C + c) * s->KH + kh) * s->KW + kw];
                            }
                        }
                    float value = (float)sum;
                    y[((size_t)(n * s->OC + oc) * s->OH + oh) * s->OW + ow] =
                        s->relu && value < 0.0f ? 0.0f : value;
                }
}

/* Each input gathers from every output whose window covered it. */
void clcnn_ref_conv2d_backward_data(const clcnn_conv2d_shape *s, const float *dy, const float *w,
                                    float *dx)
{
    for (int n = 0; n < s->N; n++)
        for (int c = 0; c < s->C; c++)
            for (int ih = 0; ih < s->H; ih++)
                for (int iw = 0; iw < s->W; iw++) {
                    double sum = 0.0;
                    for (int oc = 0; oc < s->OC; oc++)
                        for (int kh = 0; kh < s->KH; kh++) {
                            int oh_scaled = ih + s->pad_top - kh;
                            if (oh_scaled < 0 || oh_scaled % s->stride_h != 0 ||
                                oh_scaled / s->stride_h >= s->OH)
                                continue;
                            for (int kw = 0; kw < s->KW; kw++) {
                                int ow_scaled = iw + s->pad_left - kw;
                                if (ow_scaled < 0 || ow_scaled % s->stride_w != 0 ||
                                    ow_scaled / s->stride_w >= s->OW)
                                    continue;
                                sum += (double)dy[((size_t)(n * s->OC + oc) * s->OH +
                                                   oh_scaled / s->stride_h) * s->OW +
                                                  ow_scaled / s->stride_w] *
                                       w[((size_t)(oc * s->C + c) * s->KH + kh) * s->KW + kw];
                            }
                        }
                    dx[((size_t)(n * s->C + c) * s->H + ih) * s->W + iw] = (float)sum;
                }
}

void clcnn_ref_conv2d_backward_weights(const clcnn_conv2d_shape *s, const float *x,
                                       const float *dy, float *dw)
{
    for (int oc = 0; oc < s->OC; oc++)
        for (int c = 0; c < s->C; c++)
            for (int kh = 0; kh < s->KH; kh++)
                for (int kw = 0; kw < s->KW; kw++) {
                    double sum = 0.0;
                    for (int n = 0; n < s->N; n++)
                        for (int oh = 0; oh < s->OH; oh++) {
                            int ih = oh * s->stride_h - s->pad_top + kh;
                            if (ih < 0 || ih >= s->H)
                                continue;
                            for (int ow = 0; ow < s->OW; ow++) {
                                int iw = ow * s->stride_w - s->pad_left + kw;
                                if (iw < 0 || iw >= s->W)
                                    continue;
                                sum += (double)dy[((size_t)(n * s->OC + oc) * s->OH + oh) * s->OW + ow] *
                                       x[((size_t)(n * s->C + c) * s->H + ih) * s->W + iw];
                            }
                        }
                    dw[((size_t)(oc * s->C + c) * s->KH + kh) * s->KW + kw] = (float)sum;
                }
}

void clcnn_ref_conv2d_backward_bias(const clcnn_conv2d_shape *s, const float *dy, float *db)
{
    size_t plane = (size_t)s->OH * s->OW;
    for (int oc = 0; oc < s->OC; oc++) {
        double sum = 0.0;
        for (int n = 0; n < s->N; n++)
            for (size_t i = 0; i < plane; i++)
                sum += dy[((size_t)n * s->OC + oc) * plane + i];
        db[oc] = (float)sum;
    }
}
