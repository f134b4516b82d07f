/* Training-time augmentation of a batch, as the standard CIFAR recipe does it: a random crop of
 * the image zero-padded by P on every side (a shift by dy, dx in [-P, P]; zeros where the
 * shift leaves the image) and a random left-right mirror. The host draws each sample's moves
 * from Philox keyed by the seed, the step and the sample's global index, so the reference
 * and every device move every image alike, and a resumed run draws the same moves.
 *
 *   x, y:  [N, C, H, W]
 *   moves: [N, 3] int: dy, dx, mirror (0 or 1)
 * y[n, c, h, w] = x[n, c, h + dy, (mirror ? W - 1 - w : w) + dx], 0 outside x.
 */
__kernel void augment(__global const float *x, __global const int *moves, __global float *y,
                      const int C, const int H, const int W)
{
    const int w = (int)get_global_id(0), h = (int)get_global_id(1);
    const size_t plane = get_global_id(2);
    if (w >= W || h >= H)
        return;
    const int n = (int)(plane / (size_t)C);
    const int dy = moves[3 * n], dx = moves[3 * n + 1], mirror = moves[3 * n + 2];
    const int sh = h + dy, sw = (mirror ? W - 1 - w : w) + dx;
    const bool inside = sh >= 0 && sh < H && sw >= 0 && sw < W;
    /* a clamped, always valid load and a select: vectorises */
    const float value = x[(plane * H + clamp(sh, 0, H - 1)) * W + clamp(sw, 0, W - 1)];
    y[(plane * H + h) * W + w] = inside ? value : 0.0f;
}
