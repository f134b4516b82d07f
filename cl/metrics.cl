/* Training metrics on the device, so a step reads back three floats, not activations.
 *   logits: [N, C], labels: [N] int, loss: [N] per-sample loss (softmax_cross_entropy)
 *   totals: [3] = {sum of loss, correct predictions, labels outside 0..C-1}
 * Prediction is the first maximum of the row (argmax ties go to the lower class).
 * One work-group of REDUCE_WG items; its fixed summation order makes the result
 * deterministic. */

static int row_argmax(__global const float *row, const int C)
{
    int best = 0;
    for (int c = 1; c < C; c++)
        if (row[c] > row[best])
            best = c;
    return best;
}

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1))) void
metrics_reduce(__global const float *logits, __global const int *labels,
               __global const float *loss, __global float *totals, const int N, const int C)
{
    __local float loss_sum[REDUCE_WG];
    __local int correct[REDUCE_WG];
    __local int invalid[REDUCE_WG];
    const int item = (int)get_local_id(0);
    float my_loss = 0.0f;
    int my_correct = 0, my_invalid = 0;
    for (int n = item; n < N; n += REDUCE_WG) {
        const int label = labels[n];
        if (label < 0 || label >= C) {
            my_invalid++;
            continue;
        }
        my_loss += loss[n];
        my_correct += row_argmax(logits + (size_t)n * C, C) == label;
    }
    loss_sum[item] = my_loss;
    correct[item] = my_correct;
    invalid[item] = my_invalid;
    for (int span = REDUCE_WG / 2; span > 0; span /= 2) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (item < span) {
            loss_sum[item] += loss_sum[item + span];
            correct[item] += correct[item + span];
            invalid[item] += invalid[item + span];
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (item == 0) {
        totals[0] = loss_sum[0];
        totals[1] = (float)correct[0];
        totals[2] = (float)invalid[0];
    }
}

/* predictions: [N] int, the argmax of each logits row */
__kernel void argmax(__global const float *logits, __global int *predictions, const int N,
                     const int C)
{
    const int n = (int)get_global_id(0);
    if (n < N)
        predictions[n] = row_argmax(logits + (size_t)n * C, C);
}
