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
 * TH x TW tiles of each output plane, in blocks of 16 (the last padded with zeros), P in all:
 *   u: [OP / 16, 16, I, 16], OP = O rounded up to 16, zeros past O: each block of 16 outputs'
 *      transforms together, so that the sums over the input channels read them in one stream
 *   v: [16, I, 16] for one block, in local memory */
#define TILE_BLOCK 16

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
    const size_t plane = (size_t)I * 16; /* between the 16 elements of a block of outputs */
    __global float *out = u + ((size_t)o0 / 16 * 16 * I + i) * 16;
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
    float16 m = (float16)(0.0f);
    int j = 0;
    if (first >= 0 && first + 8 <= W) {
        m.lo = vload8(0, row + first);
        j = 8;
    }
    for (; j < 16 && first + j < W; j++)
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
    #pragma unroll
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
    #pragma unroll
    for (int q = 0; q < 4; q++) {
        e[0][q] = d[0][q] - d[2][q];
        e[1][q] = d[1][q] + d[2][q];
        e[2][q] = d[2][q] - d[1][q];
        e[3][q] = d[1][q] - d[3][q];
    }
    #pragma unroll
    for (int r = 0; r < 4; r++) {
        out[r * 4 + 0] = e[r][0] - e[r][2];
        out[r * 4 + 1] = e[r][1] + e[r][2];
        out[r * 4 + 2] = e[r][2] - e[r][1];
        out[r * 4 + 3] = e[r][1] - e[r][3];
    }
}

/* The first maximum in window order (y00, y01, y10, y11) wins, a NaN beats any number and the
 * first NaN stays: maxpool2d_forward_2x2's rule. best, at: the window so far. */
static void pool_step(const float16 candidate, const int16 offset, float16 *best, int16 *at)
{
    const int16 take = isgreater(candidate, *best) | (isnan(candidate) & ~isnan(*best));
    *best = select(*best, candidate, take);
    *at = select(*at, offset, take);
}

/* activation_forward's ReLU: negatives to 0, NaN kept */
static float16 relu16(const float16 x)
{
    return select(x, (float16)(0.0f), isless(x, (float16)(0.0f)));
}

/* The tiles' two columns of one output row, side by side: a (their left columns) and b
 * interleaved, tiles 0-7 in the first vector and 8-15 in the second */
static void interleave(const float16 a, const float16 b, float16 *row)
{
    row[0] = (float16)(a.s0, b.s0, a.s1, b.s1, a.s2, b.s2, a.s3, b.s3, a.s4, b.s4, a.s5, b.s5,
                       a.s6, b.s6, a.s7, b.s7);
    row[1] = (float16)(a.s8, b.s8, a.s9, b.s9, a.sa, b.sa, a.sb, b.sb, a.sc, b.sc, a.sd, b.sd,
                       a.se, b.se, a.sf, b.sf);
}

/* count values of row (2 x 16) from `first` to out: whole vectors and halves as vector
 * stores */
static void store_columns(const float16 *row, const int first, const int count,
                          __global float *out)
{
    int q = 0;
    for (; q + 16 <= count && (first + q) % 16 == 0; q += 16)
        vstore16(row[(first + q) / 16], 0, out + q);
    for (; q + 8 <= count && (first + q) % 8 == 0; q += 8) {
        const float16 whole = row[(first + q) / 16];
        vstore8((first + q) % 16 ? whole.hi : whole.lo, 0, out + q);
    }
    for (; q < count; q++)
        out[q] = row[(first + q) / 16][(first + q) % 16];
}

/* count lanes of best and at from `first` to pooled and argmax: halves and quarters of the
 * vectors as vector stores */
static void store_windows(const float16 best, const int16 at, const int first, const int count,
                          __global float *pooled, __global int *argmax)
{
    int q = 0;
    for (; q + 8 <= count && (first + q) % 8 == 0; q += 8) {
        const bool high = (first + q) % 16 != 0;
        vstore8(high ? best.hi : best.lo, 0, pooled + q);
        vstore8(high ? at.hi : at.lo, 0, argmax + q);
    }
    for (; q + 4 <= count && (first + q) % 4 == 0; q += 4) {
        const int quarter = (first + q) % 16 / 4;
        const float8 values = quarter < 2 ? best.lo : best.hi;
        const int8 inputs = quarter < 2 ? at.lo : at.hi;
        vstore4(quarter % 2 ? values.hi : values.lo, 0, pooled + q);
        vstore4(quarter % 2 ? inputs.hi : inputs.lo, 0, argmax + q);
    }
    for (; q < count; q++) {
        pooled[q] = best[first + q];
        argmax[q] = at[first + q];
    }
}

/* A block's tiles as runs along rows of tiles: lanes start[r] .. start[r] + length[r] - 1
 * are tiles (th[r], tw[r] ..) of image n[r]; `runs` of them. */
typedef struct tile_runs {
    int runs, start[TILE_BLOCK], length[TILE_BLOCK], n[TILE_BLOCK], th[TILE_BLOCK], tw[TILE_BLOCK];
} tile_runs;

static tile_runs block_runs(const int block, const int TH, const int TW, const int P)
{
    tile_runs r;
    r.runs = 0;
    for (int t = 0; t < TILE_BLOCK;) {
        const int p = block * TILE_BLOCK + t;
        if (p >= P)
            break;
        const int image_row = p / TW, tw = p - image_row * TW, n = image_row / TH;
        const int k = r.runs++;
        r.start[k] = t;
        r.length[k] = min(min(TILE_BLOCK - t, TW - tw), P - p);
        r.n[k] = n;
        r.th[k] = image_row - n * TH;
        r.tw[k] = tw;
        t += r.length[k];
    }
    return r;
}

/* v: [16, I, 16], the transforms of a block's tiles (runs: along one row of tiles at a time),
 * zeros in the lanes of no tile. Tile (th, tw) of image n reads x: [N, I, H, W] from row
 * 2 th - top and column 2 tw - left. */
static void transform_block(__global const float *x, __local float *v, const tile_runs *runs,
                            const int I, const int H, const int W, const int top,
                            const int left)
{
    for (int r = 0; r < runs->runs; r++)
        /* transform_tiles's 8 lanes at a time */
        for (int chunk = 0; chunk < runs->length[r]; chunk += 8) {
            const int lanes = min(8, runs->length[r] - chunk);
            for (int i = 0; i < I; i++) {
                float8 out[16];
                transform_tiles(x + ((size_t)runs->n[r] * I + i) * H * W, H, W,
                                2 * runs->th[r] - top, 2 * (runs->tw[r] + chunk) - left, out);
                const int first = runs->start[r] + chunk;
                __local float *slots = v + (size_t)i * TILE_BLOCK + first;
                /* all 8 lanes where they stay in the row: the lanes past the run belong to
                 * the runs after it, or to the zeros after the last, written later */
                if (first + 8 <= TILE_BLOCK) {
                    #pragma unroll
                    for (int k = 0; k < 16; k++)
                        vstore8(out[k], 0, slots + (size_t)k * I * TILE_BLOCK);
                    continue;
                }
                for (int k = 0; k < 16; k++) {
                    __local float *row = slots + (size_t)k * I * TILE_BLOCK;
                    int lane = 0;
                    if (lanes >= 4) {
                        vstore4(out[k].lo, 0, row);
                        lane = 4;
                    }
                    for (; lane < lanes; lane++)
                        row[lane] = out[k][lane];
                }
            }
        }
    const int last = runs->start[runs->runs - 1] + runs->length[runs->runs - 1];
    for (int k = 0; k < 16 * I; k++)
        for (int lane = last; lane < TILE_BLOCK; lane++)
            v[k * TILE_BLOCK + lane] = 0.0f;
}

/* y's output channels o0 .. o0 + 15 of a block's tiles: [N, O, OH, OW] from v: [16, I, 16] and
 * u (above), plus b: [O] when use_bias, ReLU when relu. The tiles are the lanes: for each
 * of the 16 elements the sum over the input channels runs in 16 float16 accumulators, one per
 * output channel (one vector load of v serves 16 fmas, each with its weight as an embedded
 * broadcast); the 16 x 16 sums are kept, then transformed into each output channel's 2x2
 * outputs of the 16 tiles, so that a run of tiles along a row stores its two output rows as
 * vectors. Blocks of 8 tiles with the outputs in the lanes were slower (the 16 x 16 layer
 * 2.05 against 1.87 ms): each line of u served 8 fmas, and the outputs went out as scalars.
 * With pool, instead of y, the 2x2 max pooling (stride 2, 'valid') into pooled and argmax:
 * [N, O, OH / 2, OW / 2] (each tile is one window, a run's windows are consecutive). */
static void multiply_block(__local const float *v, __global const float *u,
                           __global const float *b, __global float *y, const tile_runs *runs,
                           const int o0, const int I, const int O, const int OH, const int OW,
                           const int use_bias, const int relu, const int pool,
                           __global float *pooled, __global int *argmax)
{
    float16 m[16][16];
    for (int k = 0; k < 16; k++) {
        float16 sum[16];
        #pragma unroll
        for (int j = 0; j < 16; j++)
            sum[j] = (float16)(0.0f);
        __local const float *tiles = v + (size_t)k * I * TILE_BLOCK;
        __global const float *kernels = u + ((size_t)o0 / 16 * 16 + k) * I * 16;
        for (int i = 0; i < I; i++, tiles += TILE_BLOCK, kernels += 16) {
            const float16 inputs = vload16(0, tiles);
            #pragma unroll
            for (int j = 0; j < 16; j++)
                sum[j] = fma((float16)(kernels[j]), inputs, sum[j]);
        }
        #pragma unroll
        for (int j = 0; j < 16; j++)
            m[k][j] = sum[j];
    }
    /* each lane's first input of its window: row 2 th, column 2 tw of the OH x OW plane */
    int16 corner = (int16)(0);
    for (int r = 0; r < runs->runs; r++)
        for (int q = 0; q < runs->length[r]; q++)
            corner[runs->start[r] + q] = 2 * runs->th[r] * OW + 2 * (runs->tw[r] + q);
    for (int j = 0; j < 16 && o0 + j < O; j++) {
        const int o = o0 + j;
        /* A^T M, then (A^T M) A: A^T = [1 1 1 0; 0 1 -1 -1] */
        float16 r0[4], r1[4];
        #pragma unroll
        for (int q = 0; q < 4; q++) {
            r0[q] = m[q][j] + m[4 + q][j] + m[8 + q][j];
            r1[q] = m[4 + q][j] - m[8 + q][j] - m[12 + q][j];
        }
        const float bias = use_bias ? b[o] : 0.0f;
        float16 y00 = r0[0] + r0[1] + r0[2] + bias, y01 = r0[1] - r0[2] - r0[3] + bias;
        float16 y10 = r1[0] + r1[1] + r1[2] + bias, y11 = r1[1] - r1[2] - r1[3] + bias;
        if (relu) {
            y00 = relu16(y00);
            y01 = relu16(y01);
            y10 = relu16(y10);
            y11 = relu16(y11);
        }
        if (pool) {
            float16 best = y00;
            int16 at = corner;
            pool_step(y01, corner + 1, &best, &at);
            pool_step(y10, corner + OW, &best, &at);
            pool_step(y11, corner + OW + 1, &best, &at);
            const int PH = OH / 2, PW = OW / 2;
            for (int r = 0; r < runs->runs; r++) {
                /* the 'valid' pooling's windows: none past an odd last row or column */
                const int windows = runs->th[r] < PH ? min(runs->length[r], PW - runs->tw[r]) : 0;
                const size_t index = (((size_t)runs->n[r] * O + o) * PH + runs->th[r]) * PW +
                                     runs->tw[r];
                store_windows(best, at, runs->start[r], windows, pooled + index, argmax + index);
            }
            continue;
        }
        float16 upper[2], lower[2];
        interleave(y00, y01, upper);
        interleave(y10, y11, lower);
        for (int r = 0; r < runs->runs; r++) {
            const int oh = 2 * runs->th[r], ow = 2 * runs->tw[r];
            const int columns = min(2 * runs->length[r], OW - ow);
            __global float *out = y + (((size_t)runs->n[r] * O + o) * OH + oh) * OW + ow;
            store_columns(upper, 2 * runs->start[r], columns, out);
            if (oh + 1 < OH)
                store_columns(lower, 2 * runs->start[r], columns, out + OW);
        }
    }
}

/* y: [N, O, OH, OW] (or, with pool, its pooling) from x: [N, I, H, W] through u (above). A
 * work-item per block of 16 tiles transforms them into its part of the local scratch,
 * v: [16, I, 16], then makes every output channel's from it, 16 at a time, so that v never
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
    const tile_runs runs = block_runs(block, TH, TW, P);
    transform_block(x, v, &runs, I, H, W, top, left);
    for (int o0 = 0; o0 < OP; o0 += 16)
        multiply_block(v, u, b, y, &runs, o0, I, O, OH, OW, use_bias, relu, pool, pooled, argmax);
}
