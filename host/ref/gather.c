/* Reference gather, the twin of cl/gather.cl. */
#include "ops.h"

clcnn_status clcnn_ref_gather(const clcnn_gather_shape *s, const uint8_t *pixels,
                              const uint8_t *labels, const int32_t *order, float *x,
                              int32_t *y_labels)
{
    const size_t image = (size_t)s->C * s->H * s->W;
    for (int n = 0; n < s->N; n++) {
        const int32_t sample = order[s->first + n];
        if (sample < 0 || sample >= s->count)
            return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                              "gather: order[%d] = %d is not a sample of the %d kept",
                              s->first + n, sample, s->count);
        for (size_t i = 0; i < image; i++)
            x[n * image + i] = (float)pixels[(size_t)sample * image + i] / s->divisor;
        y_labels[n] = labels[sample];
    }
    return CLCNN_OK;
}
