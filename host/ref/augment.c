/* Reference augmentation, the twin of cl/augment.cl: the same moves, the same pixels. */
#include "ops.h"

void clcnn_ref_augment(int N, int C, int H, int W, const float *x, const int32_t *moves, float *y)
{
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            const size_t plane = (size_t)n * C + c;
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++) {
                    int sh = h + moves[3 * n], sw = (moves[3 * n + 2] ? W - 1 - w : w) + moves[3 * n + 1];
                    bool inside = sh >= 0 && sh < H && sw >= 0 && sw < W;
                    y[(plane * H + h) * W + w] = inside ? x[(plane * H + sh) * W + sw] : 0.0f;
                }
        }
}

void clcnn_augment_moves(uint64_t seed, uint64_t step, uint64_t first_sample, int N, int pad,
                         bool mirror, int32_t *moves)
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    for (int n = 0; n < N; n++) {
        uint64_t sample = first_sample + (uint64_t)n;
        const uint32_t counter[4] = {(uint32_t)sample, (uint32_t)(sample >> 32), (uint32_t)step,
                                     CLCNN_PURPOSE_AUGMENT ^ (uint32_t)(step >> 32)};
        uint32_t bits[4];
        clcnn_philox4x32_10(counter, key, bits);
        const uint32_t span = 2u * (uint32_t)pad + 1u;
        moves[3 * n] = pad ? (int32_t)(bits[0] % span) - pad : 0;
        moves[3 * n + 1] = pad ? (int32_t)(bits[1] % span) - pad : 0;
        moves[3 * n + 2] = mirror ? (int32_t)(bits[2] & 1u) : 0;
    }
}
