/* The element-wise halves of a dense layer; the matrix products go through CLBlast SGEMM.
 *   y, dy: [N, O] row-major, b, db: [O] */

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
