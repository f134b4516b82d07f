/* Element-wise activations; any layout, `count` elements. A NaN input gives a NaN output, so a
 * fault upstream reaches the loss instead of vanishing into a zero.
 * kind: 0 ReLU, 1 sigmoid, 2 tanh, 3 leaky ReLU with slope `alpha` for x < 0.
 * Backward works from the output y (y > 0 exactly when x > 0 for ReLU and leaky ReLU with
 * alpha > 0), so the input need not be kept. */

#define ACTIVATION_RELU 0
#define ACTIVATION_SIGMOID 1
#define ACTIVATION_TANH 2
#define ACTIVATION_LEAKY_RELU 3

__kernel void activation_forward(__global const float *x, __global float *y, const int count,
                                 const int kind, const float alpha)
{
    const int i = (int)get_global_id(0);
    if (i >= count)
        return;
    const float v = x[i];
    float out;
    switch (kind) {
    case ACTIVATION_RELU: out = v < 0.0f ? 0.0f : v; break; /* NaN passes through, never hidden */
    case ACTIVATION_SIGMOID: out = 1.0f / (1.0f + exp(-v)); break;
    case ACTIVATION_TANH: out = tanh(v); break;
    default: out = v > 0.0f ? v : alpha * v; break;
    }
    y[i] = out;
}

/* y: forward output, dy: gradient w.r.t. y, dx: gradient w.r.t. x */
__kernel void activation_backward(__global const float *y, __global const float *dy,
                                  __global float *dx, const int count, const int kind,
                                  const float alpha)
{
    const int i = (int)get_global_id(0);
    if (i >= count)
        return;
    const float out = y[i];
    float derivative;
    switch (kind) {
    case ACTIVATION_RELU: derivative = out > 0.0f ? 1.0f : 0.0f; break;
    case ACTIVATION_SIGMOID: derivative = out * (1.0f - out); break;
    case ACTIVATION_TANH: derivative = 1.0f - out * out; break;
    default: derivative = out > 0.0f ? 1.0f : alpha; break;
    }
    dx[i] = dy[i] * derivative;
}
