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

/* Elements per work-item. Philox's ten rounds are one chain of dependent multiplies, and PoCL
 * compiled one element per work-item as scalar code (~170 cycles an element); eight elements
 * in explicit vectors run as AVX vpmuludq over eight independent chains. */
#define DROPOUT_LANES 8

/* Output [0] of Philox4x32-10 for eight counters {x[k], y, z, w} under one key. */
static uint8 philox4x32_10_first(uint8 x, uint y, uint z, uint w, uint2 key)
{
    uint8 c0 = x, c1 = (uint8)(y), c2 = (uint8)(z), c3 = (uint8)(w);
    #pragma unroll
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            key.x += PHILOX_W0;
            key.y += PHILOX_W1;
        }
        /* one 32 x 32 -> 64-bit product gives both halves (PoCL's mul_hi does not vectorize) */
        const ulong8 product0 = (ulong8)(PHILOX_M0) * convert_ulong8(c0);
        const ulong8 product1 = (ulong8)(PHILOX_M1) * convert_ulong8(c2);
        c0 = convert_uint8(product1 >> 32) ^ c1 ^ key.x;
        c2 = convert_uint8(product0 >> 32) ^ c3 ^ key.y;
        c1 = convert_uint8(product1);
        c3 = convert_uint8(product0);
    }
    return c0;
}

#define DROPOUT_ARGUMENTS                                                                    \
    const int count, const uint first, const uint layer, const uint step_lo,                 \
        const uint step_hi, const uint seed_lo, const uint seed_hi, const uint threshold,      \
        const float scale

/* out[i] = in[i] * scale where element i is kept, else 0, for the DROPOUT_LANES elements from
 * i0 (those below count) */
static void dropout_lanes(__global const float *in, __global float *out, const int i0,
                          DROPOUT_ARGUMENTS)
{
    const uint8 index = (uint8)(first + (uint)i0) + (uint8)(0, 1, 2, 3, 4, 5, 6, 7);
    const uint8 bits = philox4x32_10_first(index, layer, step_lo, step_hi,
                                           (uint2)(seed_lo, seed_hi));
    const int8 keep = (bits >> 8) >= (uint8)(threshold);
    if (i0 + DROPOUT_LANES <= count) {
        vstore8(select((float8)(0.0f), vload8(0, in + i0) * scale, keep), 0, out + i0);
        return;
    }
    float kept[DROPOUT_LANES];
    vstore8(convert_float8(keep), 0, kept);
    for (int k = 0; i0 + k < count; k++)
        out[i0 + k] = kept[k] != 0.0f ? in[i0 + k] * scale : 0.0f;
}

/* One work-item per DROPOUT_LANES consecutive elements. */
__kernel void dropout_forward(__global const float *x, __global float *y, DROPOUT_ARGUMENTS)
{
    const int i0 = (int)get_global_id(0) * DROPOUT_LANES;
    if (i0 < count)
        dropout_lanes(x, y, i0, count, first, layer, step_lo, step_hi, seed_lo, seed_hi,
                      threshold, scale);
}

__kernel void dropout_backward(__global const float *dy, __global float *dx, DROPOUT_ARGUMENTS)
{
    const int i0 = (int)get_global_id(0) * DROPOUT_LANES;
    if (i0 < count)
        dropout_lanes(dy, dx, i0, count, first, layer, step_lo, step_hi, seed_lo, seed_hi,
                      threshold, scale);
}
