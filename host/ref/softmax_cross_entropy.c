/* Reference softmax + sparse categorical cross-entropy, in double, with Keras's label
 * smoothing: the target is (1 - smoothing) onehot(label) + smoothing / C. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ops.h"

void clcnn_ref_softmax_cross_entropy(int N, int C, float smoothing, const float *logits,
                                     const int32_t *labels, float *dlogits, float *loss)
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
        double sum = 0.0, loss_sum = 0.0, spread = (double)smoothing / C;
        for (int c = 0; c < C; c++)
            sum += exp(row[c] - maximum);
        for (int c = 0; c < C; c++) {
            double target = (c == label ? 1.0 - smoothing : 0.0) + spread;
            loss_sum -= target * ((row[c] - maximum) - log(sum));
            if (dlogits)
                dlogits[(size_t)n * C + c] = (float)((exp(row[c] - maximum) / sum - target) / N);
        }
        loss[n] = (float)loss_sum;
    }
}
