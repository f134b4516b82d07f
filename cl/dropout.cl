/* Inverted dropout with a counter-based mask, so that the reference and every device draw
 * the identical mask, bit for bit, and backward recomputes it instead of storing it.
 *
 * Element i of layer `layer` at training step `step` is kept when
 *   philox4x32_10(counter = {first + i, layer, step_lo, step_hi}, key = {seed_lo, seed_hi})[0] >> 8
 *     >= threshold,   threshold = floor(rate * 2^24)   (computed on the host)
 * and a kept element is scaled by `scale` = 1 / (1 - rate). Integer comparisons only: no
 * float rounding can make two devices disagree.
 * `first` is the global index of element 0: a batch split across replicas gives each the
 * offset of its first sample, so every replica draws the masks one device would.
 *   x, y, dy, dx: `count` elements, any layout */

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static uint philox4x32_10_first(uint4 counter, uint2 key)
{
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            key.x += PHILOX_W0;
            key.y += PHILOX_W1;
        }
        /* one 32 x 32 -> 64-bit product gives both halves (PoCL's mul_hi does not vectorize) */
        const ulong product0 = (ulong)PHILOX_M0 * counter.x, product1 = (ulong)PHILOX_M1 * counter.z;
        counter = (uint4)((uint)(product1 >> 32) ^ counter.y ^ key.x, (uint)product1,
                          (uint)(product0 >> 32) ^ counter.w ^ key.y, (uint)product0);
    }
    return counter.x;
}

static bool keep_element(uint i, uint layer, uint step_lo, uint step_hi, uint seed_lo,
                         uint seed_hi, uint threshold)
{
    const uint bits = philox4x32_10_first((uint4)(i, layer, step_lo, step_hi),
                                          (uint2)(seed_lo, seed_hi));
    return (bits >> 8) >= threshold;
}

#define DROPOUT_ARGUMENTS                                                                    \
    const int count, const uint first, const uint layer, const uint step_lo,                 \
        const uint step_hi, const uint seed_lo, const uint seed_hi, const uint threshold,      \
        const float scale

__kernel void dropout_forward(__global const float *x, __global float *y, DROPOUT_ARGUMENTS)
{
    const int i = (int)get_global_id(0);
    if (i >= count)
        return;
    y[i] = keep_element(first + (uint)i, layer, step_lo, step_hi, seed_lo, seed_hi, threshold)
               ? x[i] * scale : 0.0f;
}

__kernel void dropout_backward(__global const float *dy, __global float *dx, DROPOUT_ARGUMENTS)
{
    const int i = (int)get_global_id(0);
    if (i >= count)
        return;
    dx[i] = keep_element(first + (uint)i, layer, step_lo, step_hi, seed_lo, seed_hi, threshold)
                ? dy[i] * scale : 0.0f;
}
