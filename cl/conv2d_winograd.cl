/* conv2d's Winograd variant (host/conv2d.c): 3x3 convolutions at stride 1 as Winograd's
 * F(2x2, 3x3) minimal filtering (Lavin and Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016). Each 2x2 tile of the output is Y = A^T [sum over input channels of
 * U .* V] A, with U = G g G^T the 4x4 transform of a 3x3 kernel g and V = B^T d B that of the
 * tile's 4x4 input patch d: 16 products per input channel where the direct sum takes 36, so
 * the multiply-adds fall 2.25 times. dX is the same convolution of dy with the kernels flipped
 * and the channels swapped.
 *
 * Two passes: the kernels' U (conv2d_winograd_weights), then per block of tiles their V, the 16
 * sums over channels and the output transform (conv2d_winograd), so that neither V nor the
 * sums leave the core. Tiles are counted across the batch, p = (n * TH + th) * TW + tw over the
 * TH x TW tiles of each output plane, in blocks of 8 (the last padded with zeros), P in all:
 *   u: [16, I, OP], OP = O rounded up to 16, zeros past O
 *   v: [16, I, 8] for one block, in local memory */
#define TILE_BLOCK 8

/* g G^T for each of the 3 rows of g (lanes: 16 kernels): G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2;
 * 0 0 1] */
static void weights_row(const float16 a, const float16 b, const float16 c, float16 *row)
{
    row[0] = a;
    row[1] = 0.5f * (a + b + c);
    row[2] = 0.5f * (a - b + c);
    row[3] = c;
}

/* w: [O, I, 3, 3] (forward: O = OC, I = C) or, with flip, dX's kernels read from the forward
 * w: [I, O, 3, 3] with the taps reversed. A work-item per input channel i and 16 outputs, the
 * outputs in the lanes, on a 3-D range [OP / 16][1][I]. */
__kernel void conv2d_winograd_weights(__global const float *w, __global float *u, const int I,
                                      const int O, const int OP, const int flip)
{
    const int o0 = (int)get_global_id(0) * 16, i = (int)get_global_id(2);
    if (o0 >= OP)
        return;
    float16 g[9];
    for (int t = 0; t < 9; t++)
        for (int l = 0; l < 16; l++) {
            const int o = o0 + l;
            g[t][l] = o >= O ? 0.0f
                      : flip ? w[((size_t)i * O + o) * 9 + 8 - t]
                             : w[((size_t)o * I + i) * 9 + t];
        }
    float16 r[3][4];
    for (int k = 0; k < 3; k++)
        weights_row(g[3 * k], g[3 * k + 1], g[3 * k + 2], r[k]);
    /* G (g G^T): the same combination of the rows */
    __global float *out = u + (size_t)i * OP + o0;
    const size_t plane = (size_t)I * OP;
    for (int l = 0; l < 4; l++) {
        vstore16(r[0][l], 0, out + l * plane);
        vstore16(0.5f * (r[0][l] + r[1][l] + r[2][l]), 0, out + (4 + l) * plane);
        vstore16(0.5f * (r[0][l] - r[1][l] + r[2][l]), 0, out + (8 + l) * plane);
        vstore16(r[2][l], 0, out + (12 + l) * plane);
    }
}

/* x[column], 0 outside 0 .. W - 1 */
static float column_or_zero(__global const float *row, const int column, const int W)
{
    return column >= 0 && column < W ? row[column] : 0.0f;
}

/* The 16 columns from `first` of a row of x, zeros outside 0 .. W - 1: one vector load where
 * they lie inside (the columns after c0 = -1 with 'same' padding, whatever the width), 8 where
 * 8 do (maps 8 wide), else one by one. */
static float16 load_middle(__global const float *row, const int first, const int W)
{
    if (first >= 0 && first + 16 <= W)
        return vload16(0, row + first);
    float16 m;
    int j = 0;
    if (first >= 0 && first + 8 <= W) {
        m.lo = vload8(0, row + first);
        j = 8;
    }
    for (; j < 16; j++)
        m[j] = column_or_zero(row, first + j, W);
    return m;
}

/* The 16 transforms of 8 tiles along a row of tiles, the tiles in the lanes (tiles past the
 * row's end get whatever follows): the tile at (th, tw0 + lane) of one input channel's plane
 * reads the 4 x 4 patch whose corner is plane[2 th - top][2 (tw0 + lane) - left], zeros outside
 * the H x W plane. Each of the patch's rows is one 18-column segment of the plane, whose even
 * and odd columns are the patches' columns. */
static void transform_tiles(__global const float *plane, const int H, const int W,
                            const int row0, const int c0, float8 *out)
{
    /* d[r][q]: patch element (r, q) of the 8 tiles */
    float8 d[4][4];
    for (int r = 0; r < 4; r++) {
        const int ih = row0 + r;
        if (ih < 0 || ih >= H) {
            d[r][0] = d[r][1] = d[r][2] = d[r][3] = (float8)(0.0f);
            continue;
        }
        /* the row's columns c0 .. c0 + 17: the first, the 16 after it, the last */
        __global const float *row = plane + (size_t)ih * W;
        const float first = column_or_zero(row, c0, W), last = column_or_zero(row, c0 + 17, W);
        const float16 m = load_middle(row, c0 + 1, W);
        d[r][0] = (float8)(first, m.s1, m.s3, m.s5, m.s7, m.s9, m.sb, m.sd);
        d[r][1] = m.even;
        d[r][2] = m.odd;
        d[r][3] = (float8)(m.s2, m.s4, m.s6, m.s8, m.sa, m.sc, m.se, last);
    }
    /* B^T d, then (B^T d) B: B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1] */
    float8 e[4][4];
    for (int q = 0; q < 4; q++) {
        e[0][q] = d[0][q] - d[2][q];
        e[1][q] = d[1][q] + d[2][q];
        e[2][q] = d[2][q] - d[1][q];
        e[3][q] = d[1][q] - d[3][q];
    }
    for (int r = 0; r < 4; r++) {
        out[r * 4 + 0] = e[r][0] - e[r][2];
        out[r * 4 + 1] = e[r][1] + e[r][2];
        out[r * 4 + 2] = e[r][2] - e[r][1];
        out[r * 4 + 3] = e[r][1] - e[r][3];
    }
}

/* v: [16][I][8], the transforms of block `block`'s tiles (those along one row of tiles at a
 * time), zeros for the tiles past P. Tile (th, tw) of image n reads x: [N, I, H, W] from row
 * 2 th - top and column 2 tw - left. */
static void transform_block(__global const float *x, __local float *v, const int block,
                            const int I, const int H, const int W, const int top,
                            const int left, const int TH, const int TW, const int P)
{
    for (int t = 0; t < TILE_BLOCK;) {
        const int p = block * TILE_BLOCK + t;
        if (p >= P) {
            for (int k = 0; k < 16 * I; k++)
                for (int rest = t; rest < TILE_BLOCK; rest++)
                    v[k * TILE_BLOCK + rest] = 0.0f;
            return;
        }
        const int image_row = p / TW, tw = p - image_row * TW;
        const int n = image_row / TH, th = image_row - n * TH;
        const int run = min(min(TILE_BLOCK - t, TW - tw), P - p);
        for (int i = 0; i < I; i++) {
            float8 out[16];
            transform_tiles(x + ((size_t)n * I + i) * H * W, H, W, 2 * th - top, 2 * tw - left,
                            out);
            __local float *slots = v + (size_t)i * TILE_BLOCK + t;
            if (run == TILE_BLOCK) {
                for (int k = 0; k < 16; k++)
                    vstore8(out[k], 0, slots + (size_t)k * I * TILE_BLOCK);
                continue;
            }
            for (int k = 0; k < 16; k++)
                for (int lane = 0; lane < run; lane++)
                    slots[(size_t)k * I * TILE_BLOCK + lane] = out[k][lane];
        }
        t += run;
    }
}

/* The first maximum in window order (y00, y01, y10, y11) wins, a NaN beats any number and the
 * first NaN stays: maxpool2d_forward_2x2's rule. best, at: the window so far. */
static void pool_step(const float16 candidate, const int offset, float16 *best, int16 *at)
{
    const int16 take = isgreater(candidate, *best) | (isnan(candidate) & ~isnan(*best));
    *best = select(*best, candidate, take);
    *at = select(*at, (int16)(offset), take);
}

/* y's 16 outputs from o0 of block `block`'s tiles: [N, O, OH, OW] from v: [16, I, 8] and
 * u: [16, I, OP], plus b: [O] when use_bias, ReLU when relu. For each of the 16 elements the
 * sum over the input channels runs in 8 float16 accumulators (one vector load of u serves 8
 * fmas, each with its tile's v as an embedded broadcast); the 16 x 8 sums are kept, then each
 * tile's 16 are transformed into its 2x2 outputs. With pool, instead of y, the 2x2 max pooling
 * (stride 2, 'valid') into pooled and argmax: [N, O, OH / 2, OW / 2] (each tile is one
 * window). */
static void multiply_block(__local const float *v, __global const float *u,
                           __global const float *b, __global float *y, const int block,
                           const int o0, const int I, const int O, const int OP, const int OH,
                           const int OW, const int TH, const int TW, const int P,
                           const int use_bias, const int relu, const int pool,
                           __global float *pooled, __global int *argmax)
{
    float16 m[16][TILE_BLOCK];
    for (int k = 0; k < 16; k++) {
        float16 sum[TILE_BLOCK];
        #pragma unroll
        for (int t = 0; t < TILE_BLOCK; t++)
            sum[t] = (float16)(0.0f);
        __local const float *tiles = v + (size_t)k * I * TILE_BLOCK;
        __global const float *kernels = u + (size_t)k * I * OP + o0;
        for (int i = 0; i < I; i++, tiles += TILE_BLOCK, kernels += OP) {
            const float16 weights = vload16(0, kernels);
            #pragma unroll
            for (int t = 0; t < TILE_BLOCK; t++)
                sum[t] = fma(weights, (float16)(tiles[t]), sum[t]);
        }
        #pragma unroll
        for (int t = 0; t < TILE_BLOCK; t++)
            m[k][t] = sum[t];
    }
    const int lanes = min(16, O - o0), tiles = TH * TW;
    float16 bias = (float16)(0.0f);
    for (int l = 0; l < 16 && use_bias; l++)
        bias[l] = b[o0 + min(l, lanes - 1)];
    for (int t = 0; t < TILE_BLOCK; t++) {
        const int p = block * TILE_BLOCK + t;
        if (p >= P)
            break;
        const int n = p / tiles, th = p % tiles / TW, tw = p % TW;
        const int oh = 2 * th, ow = 2 * tw;
        /* A^T M, then (A^T M) A: A^T = [1 1 1 0; 0 1 -1 -1] */
        float16 r0[4], r1[4];
        for (int q = 0; q < 4; q++) {
            r0[q] = m[q][t] + m[4 + q][t] + m[8 + q][t];
            r1[q] = m[4 + q][t] - m[8 + q][t] - m[12 + q][t];
        }
        float16 y00 = r0[0] + r0[1] + r0[2] + bias, y01 = r0[1] - r0[2] - r0[3] + bias;
        float16 y10 = r1[0] + r1[1] + r1[2] + bias, y11 = r1[1] - r1[2] - r1[3] + bias;
        if (relu) { /* activation_forward's ReLU: negatives to 0, NaN kept */
            y00 = select(y00, (float16)(0.0f), isless(y00, (float16)(0.0f)));
            y01 = select(y01, (float16)(0.0f), isless(y01, (float16)(0.0f)));
            y10 = select(y10, (float16)(0.0f), isless(y10, (float16)(0.0f)));
            y11 = select(y11, (float16)(0.0f), isless(y11, (float16)(0.0f)));
        }
        if (pool) {
            if (th >= OH / 2 || tw >= OW / 2)
                continue;
            const int first = oh * OW + ow;
            float16 best = y00;
            int16 at = (int16)(first);
            pool_step(y01, first + 1, &best, &at);
            pool_step(y10, first + OW, &best, &at);
            pool_step(y11, first + OW + 1, &best, &at);
            const size_t plane = (size_t)(OH / 2) * (OW / 2);
            const size_t index = ((size_t)n * O + o0) * plane + th * (OW / 2) + tw;
            for (int l = 0; l < lanes; l++) {
                pooled[index + l * plane] = best[l];
                argmax[index + l * plane] = at[l];
            }
            continue;
        }
        const size_t plane = (size_t)OH * OW;
        __global float *out = y + ((size_t)n * O + o0) * plane + oh * OW + ow;
        const bool right = ow + 1 < OW, lower = oh + 1 < OH;
        for (int l = 0; l < lanes; l++) {
            out[l * plane] = y00[l];
            if (right)
                out[l * plane + 1] = y01[l];
            if (lower)
                out[l * plane + OW] = y10[l];
            if (right && lower)
                out[l * plane + OW + 1] = y11[l];
        }
    }
}

/* y: [N, O, OH, OW] (or, with pool, its pooling) from x: [N, I, H, W] through u (above). A
 * work-item per block of 8 tiles transforms them into its part of the local scratch,
 * v: [16, I, 8], then makes every output channel's from it, 16 at a time, so that v never
 * leaves the core's caches: written to global memory and read back by a second kernel, v (4
 * times the input) cost as much time as the multiply-adds saved (measured on PoCL, Zen 4). On a
 * 1-D range of blocks; scratch holds a v for each work-item of the group. */
__kernel void conv2d_winograd(__global const float *x, __global const float *u,
                              __global const float *b, __global float *y, __local float *scratch,
                              const int I, const int H, const int W, const int top,
                              const int left, const int O, const int OP, const int OH,
                              const int OW, const int TH, const int TW, const int P,
                              const int use_bias, const int relu, const int pool,
                              __global float *pooled, __global int *argmax)
{
    const int block = (int)get_global_id(0);
    if (block >= (P + TILE_BLOCK - 1) / TILE_BLOCK)
        return;
    __local float *v = scratch + (size_t)get_local_id(0) * 16 * I * TILE_BLOCK;
    transform_block(x, v, block, I, H, W, top, left, TH, TW, P);
    for (int o0 = 0; o0 < OP; o0 += 16)
        multiply_block(v, u, b, y, block, o0, I, O, OP, OH, OW, TH, TW, P, use_bias, relu, pool,
                       pooled, argmax);
}
