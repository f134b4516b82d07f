/* Reference activations, computed in double and rounded once. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ops.h"

void clcnn_ref_activation_forward(clcnn_activation kind, float alpha, int count, const float *x,
                                  float *y)
{
    for (int i = 0; i < count; i++) {
        double v = x[i];
        switch (kind) {
        case CLCNN_ACTIVATION_RELU: y[i] = v < 0 ? 0.0f : (float)v; break; /* NaN passes through */
        case CLCNN_ACTIVATION_SIGMOID: y[i] = (float)(1.0 / (1.0 + exp(-v))); break;
        case CLCNN_ACTIVATION_TANH: y[i] = (float)tanh(v); break;
        case CLCNN_ACTIVATION_LEAKY_RELU: y[i] = v > 0 ? (float)v : (float)(alpha * v); break;
        default: y[i] = (float)v; break; /* NONE; SOFTMAX is fused into the loss */
        }
    }
}

void clcnn_ref_activation_backward(clcnn_activation kind, float alpha, int count, const float *y,
                                   const float *dy, float *dx)
{
    for (int i = 0; i < count; i++) {
        double out = y[i], derivative = 0.0;
        switch (kind) {
        case CLCNN_ACTIVATION_RELU: derivative = out > 0 ? 1.0 : 0.0; break;
        case CLCNN_ACTIVATION_SIGMOID: derivative = out * (1.0 - out); break;
        case CLCNN_ACTIVATION_TANH: derivative = 1.0 - out * out; break;
        case CLCNN_ACTIVATION_LEAKY_RELU: derivative = out > 0 ? 1.0 : alpha; break;
        default: derivative = 1.0; break;
        }
        dx[i] = (float)(dy[i] * derivative);
    }
}
