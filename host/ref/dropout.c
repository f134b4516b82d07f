/* Reference dropout and the Philox-4x32-10 generator; bit-identical to cl/dropout.cl. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ops.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void clcnn_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        uint64_t product0 = (uint64_t)PHILOX_M0 * c0, product1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(product0 >> 32), lo0 = (uint32_t)product0;
        uint32_t hi1 = (uint32_t)(product1 >> 32), lo1 = (uint32_t)product1;
        uint32_t next0 = hi1 ^ c1 ^ k0, next2 = hi0 ^ c3 ^ k1;
        c0 = next0;
        c1 = lo1;
        c2 = next2;
        c3 = lo0;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

uint32_t clcnn_dropout_threshold(float rate)
{
    return (uint32_t)floor((double)rate * 16777216.0);
}

float clcnn_dropout_scale(float rate) { return (float)(1.0 / (1.0 - (double)rate)); }

static bool keep_element(const clcnn_dropout_params *p, uint32_t i, uint32_t threshold)
{
    const uint32_t counter[4] = {p->first + i, p->layer, (uint32_t)p->step, (uint32_t)(p->step >> 32)};
    const uint32_t key[2] = {(uint32_t)p->seed, (uint32_t)(p->seed >> 32)};
    uint32_t bits[4];
    clcnn_philox4x32_10(counter, key, bits);
    return (bits[0] >> 8) >= threshold;
}

void clcnn_ref_dropout_forward(const clcnn_dropout_params *p, const float *x, float *y)
{
    uint32_t threshold = clcnn_dropout_threshold(p->rate);
    float scale = clcnn_dropout_scale(p->rate);
    for (int i = 0; i < p->count; i++)
        y[i] = keep_element(p, (uint32_t)i, threshold) ? x[i] * scale : 0.0f;
}

void clcnn_ref_dropout_backward(const clcnn_dropout_params *p, const float *dy, float *dx)
{
    uint32_t threshold = clcnn_dropout_threshold(p->rate);
    float scale = clcnn_dropout_scale(p->rate);
    for (int i = 0; i < p->count; i++)
        dx[i] = keep_element(p, (uint32_t)i, threshold) ? dy[i] * scale : 0.0f;
}
