/* The processes of an `mpirun -np N clcnn train` job, one replica each (ranks_mpi.c with
 * Open MPI, built with CLCNN_MPI; ranks_single.c otherwise, where every run is one rank of
 * one). Each rank drives its own device and takes its share of every batch; the gradients are
 * summed in rank order, the same on every rank, so the replicas stay identical. */
#ifndef CLCNN_RANKS_H
#define CLCNN_RANKS_H

#include <clcnn/clcnn.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ranks {
    int rank, size;   /* this process, of size (1 and 1 without mpirun) */
    int local_rank;   /* among the ranks on this machine: which of its devices to take */
    char host[256];
    /* ranks_sum_gradients' buffers, made at its first call and kept to ranks_stop: every
     * rank's chunk as received [size, chunk], the exchange's counts and offsets [4, size],
     * the ranks' scales and their chunks' places */
    float *received;
    size_t received_floats;
    int *counts;
    double *scales;
    const float **parts;
} ranks;

/* What a step's ranks tell each other besides the gradients. */
typedef struct rank_totals {
    double loss_sum;
    double correct, count;
    double stop; /* a stop was asked for on this rank (SIGINT): every rank stops after the step */
} rank_totals;

/* Joins the job when launched by mpirun (else one rank of one). */
bool ranks_start(ranks *r, int *argc, char ***argv);
void ranks_stop(ranks *r);
/* Ends the whole job, after saying which rank on which host failed. */
void ranks_abort(const ranks *r, const char *why) __attribute__((noreturn));

/* sum = the sum over ranks q, in rank order, of scale_q * gradients_q, on every rank:
 * a reduce-scatter (rank p sums chunk p of every rank's arena, in rank order, by
 * clcnn_gradients_sum) then an all-gather of the chunks, so the result does not depend on
 * the network's timing. scale is this rank's. */
bool ranks_sum_gradients(ranks *r, const float *gradients, double scale, size_t floats,
                         float *sum);

/* totals summed over the ranks in rank order (stop: any rank's), the same on every rank. */
bool ranks_sum_totals(const ranks *r, rank_totals *totals);

/* Rank 0's values (count doubles, or floats) on every rank. */
bool ranks_share(const ranks *r, double *values, int count);
bool ranks_share_floats(const ranks *r, float *values, size_t count);
/* Whether every rank's hash equals rank 0's (the same on every rank). */
bool ranks_agree(const ranks *r, unsigned long long hash, bool *agree);

/* What one step of a job needs besides the batch: this rank's host copies of its gradient
 * arena and of the job's sum (clcnn_trainer_gradient_count floats each), and the seconds the
 * exchange has taken so far (the gradients summed across the ranks and written back). */
typedef struct rank_step_state {
    float *gradients, *sum;
    double exchange_seconds;
} rank_step_state;

/* One data-parallel step (ranks_step.c): x, labels hold this rank's `mine` samples, the ones
 * at first_sample of a global batch of count (mine may be 0); the gradients are summed over
 * the ranks (weighted mine / count), written back and applied; *totals gets the job's sums,
 * stop this rank's stop request in, any rank's out. A failure ends the job (ranks_abort). */
void ranks_train_step(ranks *r, clcnn_trainer *trainer, rank_step_state *state,
                      const float *x, const int32_t *labels, int mine, int first_sample,
                      int count, bool stop, rank_totals *totals);

/* Waits until every rank has come here. */
void ranks_barrier(const ranks *r);

#endif
