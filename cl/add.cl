/* Element-wise sum of two tensors of `count` elements, any layout: y = a + b. The residual
 * add layer's forward, and the trainer's sum of the gradients of a tensor that feeds several
 * nodes (y may be a or b). */

__kernel void add(__global const float *a, __global const float *b, __global float *y,
                  const int count)
{
    const int i = (int)get_global_id(0);
    if (i >= count)
        return;
    y[i] = a[i] + b[i];
}
