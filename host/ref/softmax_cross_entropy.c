/* Reference softmax + sparse categorical cross-entropy, in double. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ops.h"

void clcnn_ref_softmax_cross_entropy(int N, int C, const float *logits, const int32_t *labels,
                                     float *dlogits, float *loss)
{
    for (int n = 0; n < N; n++) {
        const float *row = logits + (size_t)n * C;
        int label = labels[n];
        if (label < 0 || label >= C) {
            loss[n] = NAN;
            for (int c = 0; dlogits && c < C; c++)
                dlogits[(size_t)n * C + c] = 0.0f;
            continue;
        }
        double maximum = row[0];
        for (int c = 1; c < C; c++)
            maximum = fmax(maximum, row[c]);
        double sum = 0.0;
        for (int c = 0; c < C; c++)
            sum += exp(row[c] - maximum);
        loss[n] = (float)(log(sum) - (row[label] - maximum));
        for (int c = 0; dlogits && c < C; c++)
            dlogits[(size_t)n * C + c] =
                (float)((exp(row[c] - maximum) / sum - (c == label ? 1.0 : 0.0)) / N);
    }
}
