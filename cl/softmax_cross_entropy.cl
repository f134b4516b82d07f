/* Softmax + sparse categorical cross-entropy, fused, one work-item per sample.
 *   logits:  [N, C] row-major
 *   labels:  [N] int, 0..C-1
 *   dlogits: [N, C] = (softmax(logits) - onehot(label)) / N, the gradient of the batch mean
 *   loss:    [N] per-sample loss, -log softmax(logits)[label]
 * Stable: exponents are taken of logits minus the row maximum. A label outside 0..C-1 is
 * never used as an index: its loss is NaN and its gradient row zero; metrics_reduce counts
 * it so the host reports the error. write_gradient = 0 skips dlogits (validation). */
__kernel void softmax_cross_entropy(__global const float *logits, __global const int *labels,
                                    __global float *dlogits, __global float *loss, const int N,
                                    const int C, const int write_gradient)
{
    const int n = (int)get_global_id(0);
    if (n >= N)
        return;
    __global const float *row = logits + (size_t)n * C;
    __global float *gradient = dlogits + (size_t)n * C;
    const int label = labels[n];
    if (label < 0 || label >= C) {
        loss[n] = NAN;
        if (write_gradient)
            for (int c = 0; c < C; c++)
                gradient[c] = 0.0f;
        return;
    }
    float maximum = row[0];
    for (int c = 1; c < C; c++)
        maximum = fmax(maximum, row[c]);
    float sum = 0.0f;
    for (int c = 0; c < C; c++)
        sum += exp(row[c] - maximum);
    loss[n] = log(sum) - (row[label] - maximum);
    if (write_gradient) {
        const float inverse_batch = 1.0f / (float)N;
        for (int c = 0; c < C; c++) {
            const float probability = exp(row[c] - maximum) / sum;
            gradient[c] = (probability - (c == label ? 1.0f : 0.0f)) * inverse_batch;
        }
    }
}
