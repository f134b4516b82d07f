/* The rank-ordered gradient sum of an mpirun job (tools/ranks/ranks_mpi.c) against the plain
 * weighted sum (clcnn_gradients_sum) of every rank's arena, which each rank can make itself
 * here because every arena is drawn from (rank, size): equal bit for bit, on arenas of odd
 * sizes (fewer floats than ranks too), with unequal shares. Run under mpirun -np 1 to 4. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "clcnn/replicas.h"
#include "ranks.h"

static float value(int rank, size_t i)
{
    uint64_t x = ((uint64_t)rank << 40) ^ (i * 0x9E3779B97F4A7C15ULL);
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 29;
    return (float)((double)(x >> 11) / 9007199254740992.0 - 0.5);
}

int main(int argc, char **argv)
{
    ranks r;
    if (!ranks_start(&r, &argc, &argv))
        return 1;
    const size_t sizes[] = {1, 3, 7, 1023, 100003};
    int failures = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const size_t floats = sizes[s];
        float *parts[8], *sum = malloc(floats * sizeof(float)), *expected = malloc(floats * sizeof(float));
        double scales[8], total = 0;
        for (int q = 0; q < r.size; q++) {
            parts[q] = malloc(floats * sizeof(float));
            for (size_t i = 0; i < floats; i++)
                parts[q][i] = value(q, i);
            scales[q] = q + 1.0;
            total += scales[q];
        }
        for (int q = 0; q < r.size; q++)
            scales[q] /= total;
        clcnn_gradients_sum((const float *const *)parts, scales, r.size, floats, expected);
        if (!ranks_sum_gradients(&r, parts[r.rank], scales[r.rank], floats, sum))
            return 1;
        for (size_t i = 0; i < floats; i++)
            if (sum[i] != expected[i]) {
                fprintf(stderr, "rank %d of %d, %zu floats: [%zu] = %.9g, not %.9g\n", r.rank,
                        r.size, floats, i, sum[i], expected[i]);
                failures++;
                break;
            }
        for (int q = 0; q < r.size; q++)
            free(parts[q]);
        free(sum);
        free(expected);
    }
    rank_totals totals = {r.rank + 0.5, r.rank, 1, r.rank == r.size - 1};
    ranks_sum_totals(&r, &totals);
    const double n = r.size;
    if (totals.loss_sum != n * (n - 1) / 2 + 0.5 * n || totals.count != n || totals.stop != 1) {
        fprintf(stderr, "rank %d: totals %g %g %g %g\n", r.rank, totals.loss_sum, totals.correct,
                totals.count, totals.stop);
        failures++;
    }
    int all = 0;
    if (r.size > 1)
        MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    else
        all = failures;
    if (r.rank == 0)
        printf("%d ranks: %s\n", r.size, all ? "FAILED" : "every sum equals the plain sum");
    ranks_stop(&r);
    return all != 0;
}
