/* Dense layers: the matrix products (dense_gemm, for devices where CLBlast's SGEMM is slow),
 * the bias add and the bias gradient.
 *   x, dx: [N, I], w, dw: [I, O], b, db: [O], y, dy: [N, O], all row-major */

/* C[M, P] = A B with A(m, k) = a[m * a_row + k * a_column] (any strides, so A may be a
 * transposed matrix) and B(k, p) = b[k * P + p] (row-major, rows contiguous), summed over k in
 * order. Each work-item computes 8 rows x 16 columns in 8 float16 registers: per k, one vector
 * of B and 8 values of A serve 128 multiply-adds (with AVX-512, each value of A rides in its fma
 * as an embedded broadcast). Items: ceil(M / 8) * ceil(P / 16), columns fastest; rows past M
 * repeat the last row and are not stored; a last partial column block goes lane by lane, so no
 * load or store leaves B or C. */
__kernel void dense_gemm(__global const float *a, __global const float *b, __global float *c,
                         const int M, const int P, const int K, const int a_row,
                         const int a_column)
{
    const int column_blocks = (P + 15) / 16;
    const int item = (int)get_global_id(0);
    if (item >= (M + 7) / 8 * column_blocks)
        return;
    const int p0 = item % column_blocks * 16, m0 = item / column_blocks * 8;
    __global const float *rows[8];
    #pragma unroll
    for (int r = 0; r < 8; r++)
        rows[r] = a + (size_t)min(m0 + r, M - 1) * a_row;
    float16 sums[8];
    #pragma unroll
    for (int r = 0; r < 8; r++)
        sums[r] = (float16)(0.0f);
    if (p0 + 16 <= P) {
        for (int k = 0; k < K; k++) {
            const float16 column = vload16(0, b + (size_t)k * P + p0);
            const size_t at = (size_t)k * a_column;
            #pragma unroll
            for (int r = 0; r < 8; r++)
                sums[r] = fma((float16)(rows[r][at]), column, sums[r]);
        }
    } else {
        for (int k = 0; k < K; k++) {
            float lanes[16] = {0.0f};
            for (int q = 0; q < P - p0; q++)
                lanes[q] = b[(size_t)k * P + p0 + q];
            const float16 column = vload16(0, lanes);
            const size_t at = (size_t)k * a_column;
            #pragma unroll
            for (int r = 0; r < 8; r++)
                sums[r] = fma((float16)(rows[r][at]), column, sums[r]);
        }
    }
    for (int r = 0; r < 8 && m0 + r < M; r++) {
        __global float *out = c + (size_t)(m0 + r) * P + p0;
        if (p0 + 16 <= P) {
            vstore16(sums[r], 0, out);
            continue;
        }
        float lanes[16];
        vstore16(sums[r], 0, lanes);
        for (int q = 0; q < P - p0; q++)
            out[q] = lanes[q];
    }
}

/* wt[o][i] = w[i][o]: the weights of dX = dy w^T as a row-major B for dense_gemm. On a 2-D
 * range [O][I]: a division per element would cost more than its copy. */
__kernel void dense_transpose(__global const float *w, __global float *wt, const int I,
                              const int O)
{
    const int i = (int)get_global_id(0), o = (int)get_global_id(1);
    if (i < I && o < O)
        wt[(size_t)o * I + i] = w[(size_t)i * O + o];
}

__kernel void dense_bias_add(__global float *y, __global const float *b, const int N,
                             const int O)
{
    const int i = (int)get_global_id(0);
    if (i < N * O)
        y[i] += b[i % O];
}

/* db[o] = sum_n dy[n, o]; one work-item per output feature (N is a batch: short sums). */
__kernel void dense_backward_bias(__global const float *dy, __global float *db, const int N,
                                  const int O)
{
    const int o = (int)get_global_id(0);
    if (o >= O)
        return;
    float sum = 0.0f;
    for (int n = 0; n < N; n++)
        sum += dy[n * O + o];
    db[o] = sum;
}
