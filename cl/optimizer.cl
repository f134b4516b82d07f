/* Optimizer updates, one work-item per parameter; param, grad and state: `count` floats.
 *
 * Adam as Keras 3 applies it (the host folds the bias correction into alpha):
 *   m += (g - m) * (1 - beta1);  v += (g*g - v) * (1 - beta2)
 *   param -= (m * alpha) / (sqrt(v) + epsilon),  alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 */
__kernel void adam_update(__global float *param, __global const float *grad, __global float *m,
                          __global float *v, const int count, const float alpha,
                          const float beta1, const float beta2, const float epsilon)
{
    const int i = (int)get_global_id(0);
    if (i >= count)
        return;
    const float g = grad[i];
    const float m_new = m[i] + (g - m[i]) * (1.0f - beta1);
    const float v_new = v[i] + (g * g - v[i]) * (1.0f - beta2);
    m[i] = m_new;
    v[i] = v_new;
    param[i] -= (m_new * alpha) / (sqrt(v_new) + epsilon);
}

/* SGD with momentum as Keras applies it: velocity = momentum * velocity - lr * g;
 * param += velocity. */
__kernel void sgd_momentum_update(__global float *param, __global const float *grad,
                                  __global float *velocity, const int count,
                                  const float learning_rate, const float momentum)
{
    const int i = (int)get_global_id(0);
    if (i >= count)
        return;
    const float v = momentum * velocity[i] - learning_rate * grad[i];
    velocity[i] = v;
    param[i] += v;
}
