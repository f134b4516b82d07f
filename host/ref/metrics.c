/* Reference metrics: argmax (first maximum), correct count, loss sum. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ops.h"

static int row_argmax(const float *row, int C)
{
    int best = 0;
    for (int c = 1; c < C; c++)
        if (row[c] > row[best])
            best = c;
    return best;
}

void clcnn_ref_metrics_reduce(int N, int C, const float *logits, const int32_t *labels,
                              const float *loss, float *totals)
{
    double loss_sum = 0.0;
    int correct = 0, invalid = 0;
    for (int n = 0; n < N; n++) {
        if (labels[n] < 0 || labels[n] >= C) {
            invalid++;
            continue;
        }
        loss_sum += loss[n];
        correct += row_argmax(logits + (size_t)n * C, C) == labels[n];
    }
    totals[0] = (float)loss_sum;
    totals[1] = (float)correct;
    totals[2] = (float)invalid;
}

void clcnn_ref_argmax(int N, int C, const float *logits, int32_t *predictions)
{
    for (int n = 0; n < N; n++)
        predictions[n] = row_argmax(logits + (size_t)n * C, C);
}
