/* Reference optimizer updates, in the same operation order as Keras 3 and cl/optimizer.cl:
 * the decoupled weight decay first, then the update from the gradient. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ops.h"

static double decayed(const clcnn_decay *decay, int i, float param)
{
    return i < decay->count ? (double)(param - param * decay->factor) : (double)param;
}

void clcnn_ref_adam_update(const clcnn_adam_step *step, const clcnn_decay *decay, int count,
                           float *param, const float *grad, float *m, float *v)
{
    for (int i = 0; i < count; i++) {
        double g = grad[i];
        double m_new = m[i] + (g - m[i]) * (1.0 - step->beta1);
        double v_new = v[i] + (g * g - v[i]) * (1.0 - step->beta2);
        m[i] = (float)m_new;
        v[i] = (float)v_new;
        param[i] = (float)(decayed(decay, i, param[i]) -
                           (m_new * step->alpha) / (sqrt(v_new) + step->epsilon));
    }
}

void clcnn_ref_sgd_update(const clcnn_sgd_step *step, const clcnn_decay *decay, int count,
                          float *param, const float *grad, float *velocity)
{
    for (int i = 0; i < count; i++) {
        double g = grad[i];
        double v = (double)step->momentum * velocity[i] - (double)step->learning_rate * g;
        velocity[i] = (float)v;
        double move = step->nesterov ? step->momentum * v - step->learning_rate * g : v;
        param[i] = (float)(decayed(decay, i, param[i]) + move);
    }
}
