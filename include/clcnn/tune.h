/* Per-device tuning of work-group sizes. Each device starts from defaults chosen from its
 * limits; `clcnn tune` (clcnn_tune) times every candidate of every parameter at the tutorial
 * model's shapes, through the cross-check so that a candidate that breaks an op cannot win,
 * and stores the winners in the program cache folder, keyed like the program cache by
 * device, driver, platform and clcnn version. Every context on that device then uses them. */
#ifndef CLCNN_TUNE_H
#define CLCNN_TUNE_H

#include <stdbool.h>
#include <stddef.h>

#include "clcnn/check.h"
#include "clcnn/device.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clcnn_tuning {
    int conv2d_3x3_work_group;  /* the 3x3 fast-path convolution kernels (forward, dX, dW) */
    int elementwise_work_group; /* activations, dropout, optimizers, and other 1-D kernels */
    int planes_work_group;      /* most items in a group of the 3-D pooling and padding ranges */
} clcnn_tuning;

/* The sizes the context uses, and whether they came from `clcnn tune`'s store. */
CLCNN_API clcnn_tuning clcnn_context_tuning(const clcnn_context *context, bool *from_store);

/* One candidate of one parameter: the summed median device time of the ops it affects, and
 * the sums of their fastest and slowest runs (the spread). After a parameter's candidates, a
 * decision row (decision = true): the value kept, with the default it was measured against. */
typedef struct clcnn_tune_row {
    char parameter[40]; /* a work-group parameter, or an op with variants ("conv2d forward") */
    int value;          /* a work-group size; 0 for a variant row */
    /* variant rows: the candidate (or the choice), and what the device runs untuned (its
     * variant, or "choice by shape" when that differs by shape) */
    char variant[32], default_variant[32];
    double milliseconds, min_milliseconds, max_milliseconds;
    bool passed; /* every affected op matched the reference */
    bool decision;
    int default_value;
    double default_milliseconds;
} clcnn_tune_row;

typedef void (*clcnn_tune_callback)(const clcnn_tune_row *row, void *user_data);

/* Times each candidate (powers of two up to the device's limit) `runs` times per op after a
 * warm-up, at `shapes` (CLCNN_CHECK_SHAPES_SEED to tune for the tutorial's model; the small
 * shapes make a quick test), and keeps for each parameter the fastest that passed, but only
 * when even its slowest runs beat the default's median: a gain inside the noise keeps the
 * default. Then, by the same rule, the kernel variant of each op that has several (conv2d,
 * dense, maxpool2d): every variant timed at every shape it handles, cross-checked, scored by
 * its summed time plus the default's time at the shapes it does not handle. Applies the
 * winners to the context and stores them (the variants too). *winners gets the work-group
 * sizes. Fails, storing nothing, when no candidate of a parameter passes. */
CLCNN_API clcnn_status clcnn_tune(clcnn_context *context, clcnn_check_shapes shapes, int runs,
                                  clcnn_tune_callback callback, void *user_data,
                                  clcnn_tuning *winners);

/* ---- CLBlast's GEMM parameters ----
 * Where CLBlast's database lacks a device, its Xgemm kernel runs with generic parameters;
 * `clcnn tune --clblast` times candidates, each in a child process with a time limit (one once
 * hung a driver's compiler for minutes), through these two calls. parameters:
 * "KWG=32,KWI=2,MDIMA=16,..." (every Xgemm parameter), or "" for CLBlast's own. */

/* Applies parameters to the context's device for this process (CLBlastOverrideParameters;
 * "" keeps CLBlast's own), forces the clblast dense variant, and times the dense products
 * `runs` times at `shapes` through the cross-check: *milliseconds their summed median, *passed
 * whether every row matched the reference. Fails on parameters CLBlast refuses. */
CLCNN_API clcnn_status clcnn_tune_clblast_candidate(clcnn_context *context, const char *parameters,
                                                    clcnn_check_shapes shapes, int runs,
                                                    double *milliseconds, bool *passed);

/* Stores parameters as the device's Xgemm parameters beside the rest of its tuning, and
 * applies them: every later context on the device gives them to CLBlast. "" forgets them. */
CLCNN_API clcnn_status clcnn_tuning_store_clblast(clcnn_context *context, const char *parameters);

/* Forgets what `clcnn tune` stored for the context's device: the context (and every later one
 * on the device) goes back to the defaults. No entry is not an error. */
CLCNN_API clcnn_status clcnn_tuning_reset(clcnn_context *context);

#ifdef __cplusplus
}
#endif

#endif
