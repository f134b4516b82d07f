/* Reference optimizer updates, in the same operation order as Keras 3 and cl/optimizer.cl. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ops.h"

void clcnn_ref_adam_update(const clcnn_adam_step *step, int count, float *param, const float *grad,
                           float *m, float *v)
{
    for (int i = 0; i < count; i++) {
        double g = grad[i];
        double m_new = m[i] + (g - m[i]) * (1.0 - step->beta1);
        double v_new = v[i] + (g * g - v[i]) * (1.0 - step->beta2);
        m[i] = (float)m_new;
        v[i] = (float)v_new;
        param[i] = (float)(param[i] - (m_new * step->alpha) / (sqrt(v_new) + step->epsilon));
    }
}

void clcnn_ref_sgd_momentum_update(float learning_rate, float momentum, int count, float *param,
                                   const float *grad, float *velocity)
{
    for (int i = 0; i < count; i++) {
        double v = (double)momentum * velocity[i] - (double)learning_rate * grad[i];
        velocity[i] = (float)v;
        param[i] = (float)(param[i] + v);
    }
}
