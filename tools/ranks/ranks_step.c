/* One data-parallel step of an mpirun job (tools/ranks/ranks.h), the same for `clcnn train`
 * and `clcnn bench`: over MPI with ranks_mpi.c, one rank of one with ranks_single.c. */
#include <string.h>
#include <time.h>

#include "ranks.h"

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

void ranks_train_step(ranks *r, clcnn_trainer *trainer, rank_step_state *state,
                      const float *x, const int32_t *labels, int mine, int first_sample,
                      int count, bool stop, rank_totals *totals)
{
    const size_t floats = clcnn_trainer_gradient_count(trainer);
    clcnn_batch_totals own = {0.0, 0, 0};
    clcnn_status status = CLCNN_OK;
    if (mine > 0) {
        status = clcnn_trainer_gradients(trainer, x, labels, mine, (uint64_t)first_sample, &own);
        if (status == CLCNN_OK)
            status = clcnn_trainer_read_gradients(trainer, state->gradients);
    } else { /* a batch smaller than the job: this rank adds nothing */
        memset(state->gradients, 0, floats * sizeof(float));
    }
    if (status != CLCNN_OK)
        ranks_abort(r, clcnn_last_error());
    const double start = seconds();
    *totals = (rank_totals){own.loss_sum, own.correct, mine, stop};
    if (!ranks_sum_gradients(r, state->gradients, (double)mine / count, floats, state->sum) ||
        !ranks_sum_totals(r, totals))
        ranks_abort(r, "out of host memory summing the gradients");
    status = clcnn_trainer_write_gradients(trainer, state->sum);
    state->exchange_seconds += seconds() - start;
    if (status == CLCNN_OK)
        status = clcnn_trainer_apply(trainer);
    if (status != CLCNN_OK)
        ranks_abort(r, clcnn_last_error());
}
