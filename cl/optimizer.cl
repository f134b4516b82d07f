/* Optimizer updates, one work-item per parameter; param, grad and state: `count` floats.
 *
 * Weight decay is decoupled, as Keras 3 applies it to every optimizer (AdamW is Adam with
 * it): before the update, param -= decay * param with decay = lr * weight_decay, for the
 * first `decayed` parameters only (the trainer puts the kernels there; biases and batch
 * norm's parameters are not decayed).
 *
 * Adam as Keras 3 applies it (the host folds the bias correction into alpha):
 *   m += (g - m) * (1 - beta1);  v += (g*g - v) * (1 - beta2)
 *   param -= (m * alpha) / (sqrt(v) + epsilon),  alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 */
__kernel void adam_update(__global float *param, __global const float *grad, __global float *m,
                          __global float *v, const int count, const float alpha,
                          const float beta1, const float beta2, const float epsilon,
                          const int decayed, const float decay)
{
    const int i = (int)get_global_id(0);
    if (i >= count)
        return;
    const float g = grad[i];
    const float m_new = m[i] + (g - m[i]) * (1.0f - beta1);
    const float v_new = v[i] + (g * g - v[i]) * (1.0f - beta2);
    m[i] = m_new;
    v[i] = v_new;
    const float p = i < decayed ? param[i] - param[i] * decay : param[i];
    param[i] = p - (m_new * alpha) / (sqrt(v_new) + epsilon);
}

/* SGD as Keras applies it: velocity = momentum * velocity - lr * g; then param += velocity,
 * or with Nesterov param += momentum * velocity - lr * g. */
__kernel void sgd_update(__global float *param, __global const float *grad,
                         __global float *velocity, const int count, const float learning_rate,
                         const float momentum, const int nesterov, const int decayed,
                         const float decay)
{
    const int i = (int)get_global_id(0);
    if (i >= count)
        return;
    const float g = grad[i];
    const float v = momentum * velocity[i] - learning_rate * g;
    velocity[i] = v;
    const float p = i < decayed ? param[i] - param[i] * decay : param[i];
    param[i] = p + (nesterov ? momentum * v - learning_rate * g : v);
}
