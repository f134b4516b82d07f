/* The device against the reference, one whole training step at a time
 * (clcnn_trainer_crosscheck in include/clcnn/train.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/trainer.h"

/* Up to one element in this many of a tensor may differ fully (near-ties; see relative_error).
 * Tensors under this many elements get none. A kernel that is wrong for every plane's corner
 * (1 element in H * W, at most 1,024 for CIFAR's sizes) is still caught. */
#define TIE_SHARE 10000

static int compare_floats_descending(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

/* ||got - expected|| / ||expected||, leaving out the `outliers` largest squared differences:
 * a ReLU or max-pool decision that rounding flips on a near-tie changes one element fully
 * (and its neighbours through the layers below), which a whole tensor's norm of a small batch
 * cannot absorb. */
static double relative_error(const float *got, const float *expected, size_t count,
                             size_t outliers, float *scratch)
{
    double difference = 0.0, norm = 0.0;
    for (size_t i = 0; i < count; i++) {
        double d = (double)got[i] - expected[i];
        difference += d * d;
        norm += (double)expected[i] * expected[i];
        scratch[i] = (float)(d * d);
    }
    if (isnan(difference))
        return INFINITY;
    if (outliers > 0) {
        qsort(scratch, count, sizeof *scratch, compare_floats_descending);
        for (size_t i = 0; i < outliers; i++)
            difference -= scratch[i];
        difference = difference > 0 ? difference : 0;
    }
    return norm > 0 ? sqrt(difference / norm) : sqrt(difference);
}

static clcnn_status compare_tensor(clcnn_trainer *t, clcnn_trainer *reference,
                                   const clcnn_buffer *mine, const clcnn_buffer *theirs,
                                   size_t count, const char *layer, const char *tensor,
                                   clcnn_crosscheck_report *report)
{
    float *got = malloc(count * sizeof(float)), *expected = malloc(count * sizeof(float));
    float *scratch = malloc(count * sizeof(float));
    clcnn_status status = got && expected && scratch
                              ? CLCNN_OK
                              : clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    if (status == CLCNN_OK)
        status = clcnn_buffer_read(t->context, mine, 0, got, count * sizeof(float));
    if (status == CLCNN_OK)
        status = clcnn_buffer_read(reference->context, theirs, 0, expected, count * sizeof(float));
    if (status == CLCNN_OK) {
        double error = relative_error(got, expected, count, count / TIE_SHARE, scratch);
        report->tensors++;
        if (!(error <= report->worst_error) || report->tensors == 1) {
            report->worst_error = error;
            snprintf(report->worst_tensor, sizeof report->worst_tensor, "%s %s", layer, tensor);
        }
        if (!(error <= report->tolerance / 10)) {
            size_t used = strlen(report->lines);
            snprintf(report->lines + used, sizeof report->lines - used,
                     "  %-16s %-8s relative error %.3g%s\n", layer, tensor, error,
                     error <= report->tolerance ? "" : "  OUT OF TOLERANCE");
        }
        if (!(error <= report->tolerance))
            report->passed = false;
    }
    free(got);
    free(expected);
    free(scratch);
    return status;
}

/* Every tensor of node i: activations and their gradients (for nodes with buffers of their
 * own), then each parameter's gradient and updated value. */
static clcnn_status compare_node(clcnn_trainer *t, clcnn_trainer *reference, int i, int N,
                                 clcnn_crosscheck_report *report)
{
    const node_state *mine = &t->nodes[i], *theirs = &reference->nodes[i];
    const clcnn_node *node = &t->model->nodes[i];
    size_t activations = (size_t)N * clcnn_shape_count(node->out);
    if (!mine->alias) {
        CLCNN_TRY(compare_tensor(t, reference, mine->y, theirs->y, activations, node->name, "y", report));
        CLCNN_TRY(compare_tensor(t, reference, mine->dy, theirs->dy, activations, node->name, "dy", report));
    }
    for (int p = 0; p < node->param_count; p++) {
        char name[48];
        snprintf(name, sizeof name, "d%s", node->params[p].name);
        if (node->params[p].trainable)
            CLCNN_TRY(compare_tensor(t, reference, &mine->layer.grads[p], &theirs->layer.grads[p],
                                     node->params[p].count, node->name, name, report));
        CLCNN_TRY(compare_tensor(t, reference, &mine->layer.params[p], &theirs->layer.params[p],
                                 node->params[p].count, node->name, node->params[p].name, report));
    }
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_crosscheck(clcnn_trainer *t, clcnn_trainer *reference, const float *x,
                                      const int32_t *labels, int count, clcnn_batch_totals *totals,
                                      clcnn_crosscheck_report *report)
{
    if (reference->count != t->count || !reference->context->reference)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "cross-check: the second trainer must run the same model on the "
                          "reference path");
    /* ||device - reference|| / ||reference|| per tensor, less one element in
     * TIE_SHARE (near-ties): float against double sums, through a whole
     * network, stays far below */
    *report = (clcnn_crosscheck_report){.tolerance = 1e-3, .passed = true};
    size_t total = clcnn_model_parameter_count(t->model);
    float *state = malloc(3 * total * sizeof(float) + 1);
    if (!state)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    clcnn_status status = clcnn_trainer_get_state(t, state, state + total, state + 2 * total);
    if (status == CLCNN_OK)
        status = clcnn_trainer_set_state(reference, state, state + total, state + 2 * total, t->steps);
    free(state);
    clcnn_batch_totals reference_totals;
    if (status == CLCNN_OK)
        status = clcnn_trainer_train_step(reference, x, labels, count, &reference_totals);
    if (status == CLCNN_OK)
        status = clcnn_trainer_train_step(t, x, labels, count, totals);
    for (int i = 0; status == CLCNN_OK && i < t->count; i++)
        status = compare_node(t, reference, i, count, report);
    return status;
}
