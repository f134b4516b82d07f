/* A batch gathered on the device from training images kept there (the trainer's resident
 * data), so that a step sends no pixels, only the position of its batch in the epoch's order.
 *
 *   pixels: [count, C, H, W] bytes      labels: [count] bytes      order: [epoch] int
 *   x:      [N, C, H, W] floats         y_labels: [N] int
 * x[n, c, h, w] = pixels[order[first + n], c, h, w] / divisor (a division, as
 * clcnn_images_source divides: x * (1 / 255) rounds differently for some bytes); y_labels[n] = labels[order[first + n]].
 * Launched over [N * C][H][W] (host/gather.c), w fastest, so neighbouring items read
 * neighbouring bytes of one image plane. */
__kernel void gather(__global const uchar *pixels, __global const uchar *labels,
                     __global const int *order, __global float *x, __global int *y_labels,
                     const int first, const int C, const int H, const int W, const float divisor)
{
    const int w = (int)get_global_id(0), h = (int)get_global_id(1);
    const size_t plane = get_global_id(2);
    if (w >= W || h >= H)
        return;
    const int n = (int)(plane / (size_t)C), c = (int)(plane % (size_t)C);
    const size_t sample = (size_t)order[first + n];
    x[(plane * H + h) * W + w] = (float)pixels[((sample * C + c) * H + h) * W + w] / divisor;
    if (c == 0 && h == 0 && w == 0)
        y_labels[n] = labels[sample];
}
