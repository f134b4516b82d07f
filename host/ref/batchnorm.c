/* Reference batch normalisation, the twin of cl/batchnorm.cl: the same formulas, with the
 * channel sums in double (the device's float sums are checked against them with a tolerance
 * that grows like the square root of the terms). */
#include <math.h>

#include "ops.h"

static void channel_statistics(const clcnn_batchnorm_shape *s, const float *x, int c,
                               double *mean, double *variance)
{
    double total = 0.0, squares = 0.0, M = (double)s->N * s->HW;
    for (int n = 0; n < s->N; n++)
        for (int at = 0; at < s->HW; at++)
            total += x[((size_t)n * s->C + c) * s->HW + at];
    *mean = total / M;
    for (int n = 0; n < s->N; n++)
        for (int at = 0; at < s->HW; at++) {
            double d = x[((size_t)n * s->C + c) * s->HW + at] - *mean;
            squares += d * d;
        }
    *variance = squares / M;
}

void clcnn_ref_batchnorm_forward(const clcnn_batchnorm_shape *s, bool training, const float *x,
                                 const float *gamma, const float *beta, float *moving_mean,
                                 float *moving_variance, float *stats, float *y)
{
    for (int c = 0; c < s->C; c++) {
        if (training) {
            double mean, variance;
            channel_statistics(s, x, c, &mean, &variance);
            stats[c] = (float)mean;
            stats[s->C + c] = (float)(1.0 / sqrt(variance + s->epsilon));
            moving_mean[c] = s->momentum * moving_mean[c] + (1.0f - s->momentum) * (float)mean;
            moving_variance[c] =
                s->momentum * moving_variance[c] + (1.0f - s->momentum) * (float)variance;
        } else {
            stats[c] = moving_mean[c];
            stats[s->C + c] = (float)(1.0 / sqrt((double)moving_variance[c] + s->epsilon));
        }
        for (int n = 0; n < s->N; n++)
            for (int at = 0; at < s->HW; at++) {
                size_t i = ((size_t)n * s->C + c) * s->HW + at;
                y[i] = gamma[c] * ((x[i] - stats[c]) * stats[s->C + c]) + beta[c];
                if (s->relu && y[i] < 0.0f)
                    y[i] = 0.0f;
            }
    }
}

/* dy as the normalisation saw it: through the fused ReLU's derivative, as
 * ref/activation.c takes it */
static double gradient(const clcnn_batchnorm_shape *s, const float *y, const float *dy, size_t i)
{
    return s->relu ? (double)dy[i] * (y[i] > 0.0f ? 1.0 : 0.0) : (double)dy[i];
}

void clcnn_ref_batchnorm_backward(const clcnn_batchnorm_shape *s, const float *x, const float *y,
                                  const float *gamma, const float *stats, const float *dy,
                                  float *dgamma, float *dbeta, float *dx)
{
    const double M = (double)s->N * s->HW;
    for (int c = 0; c < s->C; c++) {
        const double mean = stats[c], inverse = stats[s->C + c];
        double dy_sum = 0.0, dy_xhat_sum = 0.0;
        for (int n = 0; n < s->N; n++)
            for (int at = 0; at < s->HW; at++) {
                size_t i = ((size_t)n * s->C + c) * s->HW + at;
                dy_sum += gradient(s, y, dy, i);
                dy_xhat_sum += gradient(s, y, dy, i) * ((x[i] - mean) * inverse);
            }
        dbeta[c] = (float)dy_sum;
        dgamma[c] = (float)dy_xhat_sum;
        if (!dx)
            continue;
        for (int n = 0; n < s->N; n++)
            for (int at = 0; at < s->HW; at++) {
                size_t i = ((size_t)n * s->C + c) * s->HW + at;
                double xhat = (x[i] - mean) * inverse;
                dx[i] = (float)(gamma[c] * inverse / M *
                                (M * gradient(s, y, dy, i) - dy_sum - xhat * dy_xhat_sum));
            }
    }
}
