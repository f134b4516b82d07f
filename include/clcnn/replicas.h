/* Data-parallel training on several devices in one process: one replica of the model (a
 * trainer with its own weights) per context, the global batch split between them, their
 * gradients summed in a fixed order and the same update applied on every replica.
 *
 * A step: each replica (one host thread each) runs forward and backward on its share of the
 * batch, a contiguous run of samples whose dropout masks and augmentation moves are keyed by
 * their index in the whole batch, so the masks are those one device would draw. The gradient
 * arenas are read back and summed, replica by replica in order, each weighted by its share of
 * the samples (the mean over the whole batch), in double; the sum is written to every replica
 * and each applies the optimizer. Replicas on devices that compute alike (the same device
 * twice) keep bit-identical weights; clcnn_replicas_compare measures how far others drift.
 * The result equals one device's step on the whole batch up to float summation order. With
 * batch norm, each replica normalises by its own share's statistics (as frameworks do unless
 * told to synchronise them), and the moving statistics that count are replica 0's. */
#ifndef CLCNN_REPLICAS_H
#define CLCNN_REPLICAS_H

#include <stddef.h>

#include "clcnn/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clcnn_replicas clcnn_replicas;

#define CLCNN_MAX_REPLICAS 64

/* One trainer of model on each of the count contexts (1 to CLCNN_MAX_REPLICAS), with options (batch_size is the global
 * batch), all initialised from the same seed. weights: each replica's share of a batch, in
 * proportion (NULL: equal shares); each must be positive. */
CLCNN_API clcnn_status clcnn_replicas_create(clcnn_context *const *contexts, int count,
                                             const double *weights, const clcnn_model *model,
                                             const clcnn_train_options *options,
                                             clcnn_replicas **replicas);
CLCNN_API void clcnn_replicas_destroy(clcnn_replicas *replicas);

CLCNN_API int clcnn_replicas_count(const clcnn_replicas *replicas);
/* Replica k's trainer: evaluate and save through replica 0's. */
CLCNN_API clcnn_trainer *clcnn_replicas_trainer(clcnn_replicas *replicas, int k);

/* How a batch of count samples is split: replica k takes samples first[k] .. first[k] +
 * counts[k] - 1 (counts by weight, rounded down, the remainder one each from replica 0 on). */
CLCNN_API void clcnn_replicas_split(const clcnn_replicas *replicas, int count, int *first,
                                    int *counts);
/* The same split for any parts with these shares (processes of an MPI job, say). */
CLCNN_API void clcnn_split_batch(const double *shares, int parts, int count, int *first,
                                 int *counts);

/* One training step on the global batch x [count, C, H, W], labels [count]; totals summed
 * over the replicas. A replica's failure names it and its device. */
CLCNN_API clcnn_status clcnn_replicas_train_step(clcnn_replicas *replicas, const float *x,
                                                 const int32_t *labels, int count,
                                                 clcnn_batch_totals *totals);

/* Seconds spent so far, over every step, between the replicas' gradients and their update:
 * the sum on the host and the sum written back to every replica (the exchange a faster
 * interconnect would shorten). */
CLCNN_API double clcnn_replicas_exchange_seconds(const clcnn_replicas *replicas);

/* The same state on every replica (a resumed run), as clcnn_trainer_set_state. */
CLCNN_API clcnn_status clcnn_replicas_set_state(clcnn_replicas *replicas,
                                                const float *parameters, const float *m,
                                                const float *v, uint64_t steps);

/* The largest |difference| between any replica's trainable parameters and optimizer slots
 * and replica 0's (0 when they are identical). Batch norm's moving statistics are left out:
 * each replica's follow its own share, and replica 0's are the ones that count (evaluation
 * and checkpoints read replica 0), as frameworks broadcast rank 0's buffers. */
CLCNN_API clcnn_status clcnn_replicas_compare(clcnn_replicas *replicas, double *max_difference);

/* The reduction itself: sum[i] = sum over k = 0, 1, ... of scales[k] * parts[k][i], added in
 * that order in double and rounded once. */
CLCNN_API void clcnn_gradients_sum(const float *const *parts, const double *scales, int count,
                                   size_t floats, float *sum);

#ifdef __cplusplus
}
#endif

#endif
