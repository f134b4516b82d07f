/* The trainer's state, shared by the files of host/train/. */
#ifndef CLCNN_TRAINER_INTERNAL_H
#define CLCNN_TRAINER_INTERNAL_H

#include "clcnn/train.h"
#include "layers/layer.h"

/* How a node's backward reaches the gradient of its input k: none (the model's input), the
 * gradient buffer itself (the one consumer that writes first), or a scratch buffer that is
 * then added to it (every other consumer of a tensor that feeds several nodes). */
typedef enum { ROUTE_NONE, ROUTE_DIRECT, ROUTE_SUM } gradient_route;

typedef struct node_state {
    clcnn_layer_state layer;
    clcnn_buffer own_y, own_dy; /* [batch, out]; unused by aliases */
    clcnn_buffer *y, *dy;       /* own_y/own_dy, or the storage owner's for aliases */
    bool alias;
    bool fused_relu; /* an alias because its producer applies this ReLU (plan_routes) */
    bool pooled_by_producer; /* a max pooling its producer's forward runs (plan_pool_fusion) */
    bool y_unwritten; /* that producer: its y is scratch, which nothing reads */
    int storage; /* the node whose buffers y and dy are: itself, or what an alias reads */
    gradient_route route[CLCNN_MAX_INPUTS];
    size_t offset[CLCNN_MAX_PARAMS]; /* each parameter's place in the arenas, in floats */
} node_state;

/* Resident training data (host/train/resident.c): the images kept on the device, the epoch's
 * order (and augmentation moves) uploaded once per epoch, and a ring of per-step totals
 * read back in bursts. */
#define CLCNN_TOTALS_RING 32
typedef struct clcnn_resident {
    clcnn_buffer pixels, labels; /* [kept, C, H, W] and [kept] bytes */
    int kept;                    /* images kept; 0: none */
    clcnn_buffer order, moves;   /* the epoch's order [planned], moves [planned, 3] */
    int planned;                 /* positions in the order; 0: no epoch planned */
    uint64_t plan_step;          /* the step the plan's first batch was drawn for */
    int plan_first_batch;
    clcnn_buffer ring, slots[CLCNN_TOTALS_RING]; /* each slot: the totals of one step */
    int ring_used, ring_counts[CLCNN_TOTALS_RING]; /* each slot's batch size */
    uint64_t ring_steps[CLCNN_TOTALS_RING];         /* and its step number */
    clcnn_batch_totals *collected; /* drained from the ring, not yet handed out */
    int collected_count, collected_capacity;
    clcnn_staging staging; /* host batches (clcnn_trainer_train_batch) on their way up */
} clcnn_resident;
void clcnn_resident_release(clcnn_context *context, clcnn_resident *r);

struct clcnn_trainer {
    clcnn_context *context;
    const clcnn_model *model;
    clcnn_train_options options;
    int classes;
    size_t input_count; /* C * H * W of one sample */
    uint64_t steps;
    node_state *nodes;
    int count;
    clcnn_buffer input, labels, loss, totals, predictions;
    /* Augmented training batches: the images as given, and each sample's moves, host and
     * device, from which clcnn_augment writes `input`. Unused without augmentation. */
    clcnn_buffer raw_input, moves;
    int32_t *moves_host;
    clcnn_buffer sum_scratch[CLCNN_MAX_INPUTS]; /* ROUTE_SUM's gradients before the add */
    /* Arenas of arena_floats: parameter values, gradients, Adam's m and v. Trainable
     * tensors come first (trainable_floats of them) so the optimizer runs over one range. */
    clcnn_buffer values, grads, m, v;
    size_t arena_floats, trainable_floats, decayed_floats; /* decayed ones start the arena */
    clcnn_resident resident; /* host/train/resident.c */
};

/* A training step in its phases, as clcnn_trainer_gradients runs them, so that the
 * cross-check can run two trainers node by node: the batch into the input (augmented when
 * the options say), each node's forward in order, the loss and its gradient, each node's
 * backward in reverse order, and the batch's totals read back (the only device-to-host
 * transfer of a step), which fails on a label outside the classes or a non-finite loss. */
clcnn_status clcnn_trainer_step_input(clcnn_trainer *t, const float *x, const int32_t *labels,
                                      int count, uint64_t first_sample);
clcnn_status clcnn_trainer_forward_node(clcnn_trainer *t, int i, int N, bool training,
                                        uint64_t first_sample);
clcnn_status clcnn_trainer_loss(clcnn_trainer *t, int N, bool training);
/* As clcnn_trainer_loss, the batch's totals ([3] floats, metrics.cl) into `totals` */
clcnn_status clcnn_trainer_loss_into(clcnn_trainer *t, int N, bool training,
                                     clcnn_buffer *totals);
clcnn_status clcnn_trainer_totals(clcnn_trainer *t, int N, clcnn_batch_totals *totals);
/* The totals of a batch of N from the three floats metrics.cl wrote; fails on a label outside
 * the classes or a non-finite loss (naming the first non-finite tensor). */
clcnn_status clcnn_trainer_check_totals(clcnn_trainer *t, int N, const float values[3],
                                        clcnn_batch_totals *totals);
clcnn_status clcnn_trainer_backward_node(clcnn_trainer *t, int i, int N, uint64_t first_sample);
/* Where the first NaN or Inf is, in the order the values flowed (reads every tensor back). */
clcnn_status clcnn_trainer_find_non_finite(clcnn_trainer *t, int N, char *where, size_t size);
/* Every node's forward in order / backward in reverse order. */
clcnn_status clcnn_trainer_forward(clcnn_trainer *t, int N, bool training, uint64_t first_sample);
clcnn_status clcnn_trainer_backward(clcnn_trainer *t, int N, uint64_t first_sample);
/* The tensor node i reads as its input k: another node's y, or the model's input. */
const clcnn_buffer *clcnn_trainer_input_of(const clcnn_trainer *t, int node, int k);

#endif
