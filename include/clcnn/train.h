/* Training and evaluation of a model on one context (an OpenCL device or the reference
 * path). Every tensor lives on the device. A step on a host batch uploads the batch and its
 * labels and reads back three floats (loss sum, correct count, bad labels); a step on images
 * kept on the device (clcnn_trainer_keep_images) sends nothing and reads nothing, its totals
 * collected later with many others. Batches are floats in the model's input shape: a
 * clcnn_source (clcnn/data.h) fills them, and clcnn/fit.h runs whole epochs from one. */
#ifndef CLCNN_TRAIN_H
#define CLCNN_TRAIN_H

#include <stdint.h>

#include "clcnn/data.h"
#include "clcnn/device.h"
#include "clcnn/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clcnn_optimizer {
    CLCNN_OPTIMIZER_ADAM, /* Keras's Adam; with weight_decay, Keras's AdamW */
    CLCNN_OPTIMIZER_SGD,  /* Keras's SGD: momentum, optionally Nesterov's */
} clcnn_optimizer;

/* How the learning rate moves over the run's total_steps (step t counts from 0):
 *   CONSTANT  lr
 *   STEP      lr, then lr / 10 from 50% of the run and lr / 100 from 75% (ResNet's recipe)
 *   COSINE    lr * (1 + cos(pi * t / total)) / 2, down to 0 (Keras's CosineDecay)
 *   ONECYCLE  up from lr / 10 to lr over the warm-up (20% of the run unless warmup_steps),
 *             then linearly down to 0 at the end
 * warmup_steps > 0 (CONSTANT, STEP, COSINE) first ramps linearly from lr / warmup_steps up to
 * the schedule's value. */
typedef enum clcnn_schedule {
    CLCNN_SCHEDULE_CONSTANT,
    CLCNN_SCHEDULE_STEP,
    CLCNN_SCHEDULE_COSINE,
    CLCNN_SCHEDULE_ONECYCLE,
} clcnn_schedule;

typedef struct clcnn_train_options {
    int batch_size;       /* Keras default 32; the tutorial uses 64 */
    clcnn_optimizer optimizer; /* default Adam */
    double learning_rate; /* Keras defaults: 1e-3 for Adam, 0.01 for SGD */
    double beta1, beta2;  /* Adam: 0.9, 0.999 */
    double epsilon;       /* Adam: 1e-7 */
    double momentum;      /* SGD: 0 (plain) */
    bool nesterov;        /* SGD */
    /* Decoupled, as Keras 3 applies it to every optimizer: param -= lr * weight_decay * param
     * before each update, on kernels only (not biases or batch norm's parameters). 0: none;
     * Keras's AdamW uses 0.004. */
    double weight_decay;
    /* Keras's label_smoothing of the cross-entropy: targets (1 - s) onehot + s / classes, for
     * the training and the validation loss alike, as Keras computes them. 0: none. */
    double label_smoothing;
    /* Training batches only, drawn on the device from (seed, step, sample): a random crop of
     * the image zero-padded by augment_pad pixels (0: none; 4 for 32x32 CIFAR) and a random
     * left-right mirror. */
    int augment_pad;
    bool augment_mirror;
    clcnn_schedule schedule; /* default CONSTANT */
    uint64_t total_steps;    /* the run's steps; every schedule but CONSTANT needs it */
    uint64_t warmup_steps;
    uint64_t seed;        /* weights, shuffling and dropout masks all derive from it */
} clcnn_train_options;

CLCNN_API clcnn_train_options clcnn_train_defaults(void);

/* The learning rate of step t (0-based) under the options' schedule. */
CLCNN_API double clcnn_learning_rate_at(const clcnn_train_options *options, uint64_t step);

typedef struct clcnn_batch_totals {
    double loss_sum; /* sum over the batch of the per-sample cross-entropy */
    int correct;     /* argmax == label */
    int count;       /* samples */
} clcnn_batch_totals;

typedef struct clcnn_trainer clcnn_trainer;

/* Allocates every buffer a step needs, once: activations, and three contiguous arenas for the
 * parameters, their gradients and the optimizer's slots. The model must end in softmax; its
 * input may be any shape. Weights start as clcnn_trainer_initialize() leaves them. */
CLCNN_API clcnn_status clcnn_trainer_create(clcnn_context *context, const clcnn_model *model,
                                            const clcnn_train_options *options,
                                            clcnn_trainer **trainer);
CLCNN_API void clcnn_trainer_destroy(clcnn_trainer *trainer);

/* Glorot-uniform kernels (as Keras initialises them) drawn from the seed, zero biases, zero
 * optimizer slots, step 0. */
CLCNN_API clcnn_status clcnn_trainer_initialize(clcnn_trainer *trainer);

/* One training step on a batch: x [count, C, H, W] floats as the model's input, labels
 * [count] classes, count <= batch size, dropout active. Equal to gradients() then apply(). */
CLCNN_API clcnn_status clcnn_trainer_train_step(clcnn_trainer *trainer, const float *x,
                                                const int32_t *labels, int count,
                                                clcnn_batch_totals *totals);

/* The split step, for replicas that sum their gradients in between.
 * gradients: forward, loss and backward into the gradient arena (the weights do not change).
 * first_sample is the global index of x's first sample: dropout masks are keyed by it, so
 * shards of one batch draw the masks the whole batch would. Gradients are means over `count`;
 * replicas that split a batch scale their sum by count / global count. */
CLCNN_API clcnn_status clcnn_trainer_gradients(clcnn_trainer *trainer, const float *x,
                                               const int32_t *labels, int count,
                                               uint64_t first_sample, clcnn_batch_totals *totals);
/* Floats in the gradient arena (every trainable tensor, with alignment gaps kept at zero). */
CLCNN_API size_t clcnn_trainer_gradient_count(const clcnn_trainer *trainer);
CLCNN_API clcnn_status clcnn_trainer_read_gradients(clcnn_trainer *trainer, float *gradients);
CLCNN_API clcnn_status clcnn_trainer_write_gradients(clcnn_trainer *trainer, const float *gradients);
/* The trainable parameters and their optimizer slots, laid out as the gradient arena
 * (clcnn_trainer_gradient_count floats each; m and v may be NULL): what replicas must agree
 * on. Batch norm's moving statistics are not in it. */
CLCNN_API clcnn_status clcnn_trainer_read_trainable(clcnn_trainer *trainer, float *values,
                                                    float *m, float *v);
/* The optimizer step over the whole parameter arena, from the gradient arena; steps + 1. */
CLCNN_API clcnn_status clcnn_trainer_apply(clcnn_trainer *trainer);

/* Forward only, dropout off. predictions ([count] classes) and probabilities ([count,
 * classes] softmax) are optional host outputs. */
CLCNN_API clcnn_status clcnn_trainer_evaluate(clcnn_trainer *trainer, const float *x,
                                              const int32_t *labels, int count,
                                              clcnn_batch_totals *totals, int32_t *predictions,
                                              float *probabilities);

/* Steps taken so far (Adam's t and the dropout counter). */
CLCNN_API uint64_t clcnn_trainer_steps(const clcnn_trainer *trainer);
CLCNN_API const clcnn_model *clcnn_trainer_model(const clcnn_trainer *trainer);
CLCNN_API const clcnn_train_options *clcnn_trainer_options(const clcnn_trainer *trainer);

/* Parameters and Adam moments, each clcnn_model_parameter_count() floats in layer order
 * (each layer's tensors in its own order: kernel, then bias). m and v may be NULL; they are
 * zero for parameters that are not trainable. */
CLCNN_API clcnn_status clcnn_trainer_get_state(clcnn_trainer *trainer, float *parameters,
                                               float *m, float *v);
CLCNN_API clcnn_status clcnn_trainer_set_state(clcnn_trainer *trainer, const float *parameters,
                                               const float *m, const float *v, uint64_t steps);

/* ---- resident data: steps with no host synchronisation ----
 * The training images kept on the device as bytes (divided by 255 there, as
 * clcnn_images_source does), each epoch's order uploaded once, and steps that name their batch
 * by position: the device gathers (and augments) it, and each step's totals wait on the device
 * until clcnn_trainer_collect reads them in one transfer (or, every 32 steps, a step does).
 * Equal to clcnn_trainer_train_step on the same batches, bit for bit. */

/* Uploads the images when they fit the device (at most a quarter of its memory and its
 * largest allocation): *kept tells. Their shape must be the model's input and every label one
 * of its classes. Replaces images kept before. */
CLCNN_API clcnn_status clcnn_trainer_keep_images(clcnn_trainer *trainer,
                                                 const clcnn_images *images, bool *kept);
/* The epoch's order ([count] indices into the kept images), its steps to start at batch
 * first_batch (a resumed epoch). With augmentation, every batch's moves are drawn now, for the
 * steps that batch will run as (first_batch's is the next step). */
CLCNN_API clcnn_status clcnn_trainer_plan_epoch(clcnn_trainer *trainer, const int32_t *order,
                                                int count, int first_batch);
/* One training step on order positions first .. first + count - 1 (first a multiple of the
 * batch size, batches in plan order). Its totals stay on the device. */
CLCNN_API clcnn_status clcnn_trainer_train_kept(clcnn_trainer *trainer, int first, int count);
/* One training step on a host batch, as clcnn_trainer_train_step, without waiting: the batch
 * is copied into pinned memory and uploaded while the device works (two batches in turn; the
 * host waits only when the upload two steps back has not finished), and its totals stay on
 * the device with the kept steps'. For images that do not fit the device. */
CLCNN_API clcnn_status clcnn_trainer_train_batch(clcnn_trainer *trainer, const float *x,
                                                 const int32_t *labels, int count);
/* The totals of the kept and batch steps run since the last collect, in step order: *count of them at
 * *totals, valid until the next kept step or collect. Fails as a step would on a label outside
 * the classes or a non-finite loss, naming the step. Collect before a train_step or crosscheck
 * so that totals stay in step order. */
CLCNN_API clcnn_status clcnn_trainer_collect(clcnn_trainer *trainer,
                                             const clcnn_batch_totals **totals, int *count);

typedef struct clcnn_crosscheck_report {
    char worst_tensor[96]; /* "conv2d_1 dW", the tensor furthest from the reference */
    double worst_error;    /* its ||device - reference|| / ||reference|| */
    double tolerance;
    int tensors;           /* tensors compared */
    bool passed;
    char lines[4096];      /* one line per tensor above a tenth of the tolerance */
} clcnn_crosscheck_report;

/* Copies the trainer's state into reference (a trainer of the same model on the reference
 * path), runs the same step on both, node by node, and compares every layer's activations and
 * gradients and every updated parameter tensor. Each node of the reference starts from the
 * device's inputs (forward) and incoming gradient (backward), so every op is checked on its
 * own: a near-tie decided differently upstream does not spread into the layers below. The
 * trainer ends as if it had taken the step alone. */
CLCNN_API clcnn_status clcnn_trainer_crosscheck(clcnn_trainer *trainer, clcnn_trainer *reference,
                                                const float *x, const int32_t *labels, int count,
                                                clcnn_batch_totals *totals,
                                                clcnn_crosscheck_report *report);

/* A permutation of 0..count-1 for an epoch: Fisher-Yates driven by Philox(seed, epoch), so
 * a resumed run shuffles exactly as an uninterrupted one. */
CLCNN_API void clcnn_shuffle(uint64_t seed, uint64_t epoch, int32_t *indices, int count);

#ifdef __cplusplus
}
#endif

#endif
