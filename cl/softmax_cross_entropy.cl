/* Softmax + sparse categorical cross-entropy, fused, one work-item per sample.
 *   logits:  [N, C] row-major
 *   labels:  [N] int, 0..C-1
 *   dlogits: [N, C] = (softmax(logits) - target) / N, the gradient of the batch mean
 *   loss:    [N] per-sample loss, -sum over c of target[c] log softmax(logits)[c]
 * target is onehot(label), or with label smoothing s as Keras applies it,
 * (1 - s) onehot(label) + s / C.
 * Stable: exponents are taken of logits minus the row maximum. A label outside 0..C-1 is
 * never used as an index: its loss is NaN and its gradient row zero; metrics_reduce counts
 * it so the host reports the error. write_gradient = 0 skips dlogits (validation). */
__kernel void softmax_cross_entropy(__global const float *logits, __global const int *labels,
                                    __global float *dlogits, __global float *loss, const int N,
                                    const int C, const int write_gradient, const float smoothing)
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
    float sum = 0.0f, shifted_sum = 0.0f;
    for (int c = 0; c < C; c++) {
        sum += exp(row[c] - maximum);
        shifted_sum += row[c] - maximum;
    }
    /* log softmax[c] = (row[c] - maximum) - log(sum), weighted by the target */
    const float spread = smoothing / (float)C;
    loss[n] = log(sum) - (1.0f - smoothing) * (row[label] - maximum) - spread * shifted_sum;
    if (write_gradient) {
        const float inverse_batch = 1.0f / (float)N;
        for (int c = 0; c < C; c++) {
            const float probability = exp(row[c] - maximum) / sum;
            const float target = (c == label ? 1.0f - smoothing : 0.0f) + spread;
            gradient[c] = (probability - target) * inverse_batch;
        }
    }
}
