/* Reference dense layer: naive matrix products with double accumulators, no BLAS. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ops.h"

void clcnn_ref_dense_forward(const clcnn_dense_shape *s, const float *x, const float *w,
                             const float *b, float *y)
{
    for (int n = 0; n < s->N; n++)
        for (int o = 0; o < s->O; o++) {
            double sum = b[o];
            for (int i = 0; i < s->I; i++)
                sum += (double)x[(size_t)n * s->I + i] * w[(size_t)i * s->O + o];
            y[(size_t)n * s->O + o] = (float)sum;
        }
}

void clcnn_ref_dense_backward_data(const clcnn_dense_shape *s, const float *dy, const float *w,
                                   float *dx)
{
    for (int n = 0; n < s->N; n++)
        for (int i = 0; i < s->I; i++) {
            double sum = 0.0;
            for (int o = 0; o < s->O; o++)
                sum += (double)dy[(size_t)n * s->O + o] * w[(size_t)i * s->O + o];
            dx[(size_t)n * s->I + i] = (float)sum;
        }
}

void clcnn_ref_dense_backward_weights(const clcnn_dense_shape *s, const float *x,
                                      const float *dy, float *dw)
{
    for (int i = 0; i < s->I; i++)
        for (int o = 0; o < s->O; o++) {
            double sum = 0.0;
            for (int n = 0; n < s->N; n++)
                sum += (double)x[(size_t)n * s->I + i] * dy[(size_t)n * s->O + o];
            dw[(size_t)i * s->O + o] = (float)sum;
        }
}

void clcnn_ref_dense_backward_bias(const clcnn_dense_shape *s, const float *dy, float *db)
{
    for (int o = 0; o < s->O; o++) {
        double sum = 0.0;
        for (int n = 0; n < s->N; n++)
            sum += dy[(size_t)n * s->O + o];
        db[o] = (float)sum;
    }
}
