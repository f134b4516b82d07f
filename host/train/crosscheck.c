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
 * a ReLU decision that rounding flips on a near-tie changes one element fully, which a whole
 * tensor's norm of a small batch cannot absorb. */
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

/* Overwrites the reference's copy of a tensor with the device's, so that the reference's next
 * op starts from what the device's started from: each op is then checked on its own inputs,
 * and a near-tie that rounding decided differently upstream (a ReLU at zero, a max-pool
 * window's two equal inputs) does not count against every layer below it. */
static clcnn_status force(clcnn_trainer *t, clcnn_trainer *reference, const clcnn_buffer *mine,
                          const clcnn_buffer *theirs, size_t count)
{
    float *values = malloc(count * sizeof(float) + 1);
    if (!values)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    clcnn_status status = clcnn_buffer_read(t->context, mine, 0, values, count * sizeof(float));
    /* the reference trainer's own buffer, which its next op reads */
    if (status == CLCNN_OK)
        status = clcnn_buffer_write(reference->context, (clcnn_buffer *)theirs, 0, values,
                                    count * sizeof(float));
    free(values);
    return status;
}

static size_t activations(const clcnn_shape shape, int N) { return (size_t)N * clcnn_shape_count(shape); }

/* Node i's forward on both trainers from the device's inputs, and its output compared. */
static clcnn_status forward_node(clcnn_trainer *t, clcnn_trainer *reference, int i, int N,
                                 clcnn_crosscheck_report *report)
{
    const node_state *mine = &t->nodes[i], *theirs = &reference->nodes[i];
    const clcnn_node *node = &t->model->nodes[i];
    if (mine->alias)
        return CLCNN_OK;
    for (int k = 0; k < node->kind->inputs; k++)
        CLCNN_TRY(force(t, reference, clcnn_trainer_input_of(t, i, k),
                        clcnn_trainer_input_of(reference, i, k), activations(node->in[k], N)));
    CLCNN_TRY(clcnn_trainer_forward_node(reference, i, N, true, 0));
    CLCNN_TRY(clcnn_trainer_forward_node(t, i, N, true, 0));
    if (mine->y_unwritten) /* scratch: the pooling it ran is compared as the pooling node's */
        return CLCNN_OK;
    return compare_tensor(t, reference, mine->y, theirs->y, activations(node->out, N), node->name,
                          "y", report);
}

/* Node i's incoming gradient compared, then its backward on both trainers from the device's
 * gradient, and its parameter gradients compared. */
static clcnn_status backward_node(clcnn_trainer *t, clcnn_trainer *reference, int i, int N,
                                  clcnn_crosscheck_report *report)
{
    const node_state *mine = &t->nodes[i], *theirs = &reference->nodes[i];
    const clcnn_node *node = &t->model->nodes[i];
    if (mine->alias)
        return CLCNN_OK;
    size_t count = activations(node->out, N);
    CLCNN_TRY(compare_tensor(t, reference, mine->dy, theirs->dy, count, node->name, "dy", report));
    CLCNN_TRY(force(t, reference, mine->dy, theirs->dy, count));
    CLCNN_TRY(clcnn_trainer_backward_node(reference, i, N, 0));
    CLCNN_TRY(clcnn_trainer_backward_node(t, i, N, 0));
    for (int p = 0; p < node->param_count; p++) {
        char name[48];
        snprintf(name, sizeof name, "d%s", node->params[p].name);
        if (node->params[p].trainable)
            CLCNN_TRY(compare_tensor(t, reference, &mine->layer.grads[p], &theirs->layer.grads[p],
                                     node->params[p].count, node->name, name, report));
    }
    return CLCNN_OK;
}

/* Every parameter tensor of node i after the update (batch norm's moving statistics too). */
static clcnn_status compare_parameters(clcnn_trainer *t, clcnn_trainer *reference, int i,
                                       clcnn_crosscheck_report *report)
{
    const node_state *mine = &t->nodes[i], *theirs = &reference->nodes[i];
    const clcnn_node *node = &t->model->nodes[i];
    for (int p = 0; p < node->param_count; p++)
        CLCNN_TRY(compare_tensor(t, reference, &mine->layer.params[p], &theirs->layer.params[p],
                                 node->params[p].count, node->name, node->params[p].name, report));
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
    /* ||device - reference|| / ||reference|| per tensor, less one element in TIE_SHARE
     * (near-ties): float against double sums, one op at a time, stays far below */
    *report = (clcnn_crosscheck_report){.tolerance = 1e-3, .passed = true};
    size_t total = clcnn_model_parameter_count(t->model);
    float *state = malloc(3 * total * sizeof(float) + 1);
    if (!state)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    clcnn_status status = clcnn_trainer_get_state(t, state, state + total, state + 2 * total);
    if (status == CLCNN_OK)
        status = clcnn_trainer_set_state(reference, state, state + total, state + 2 * total, t->steps);
    free(state);
    CLCNN_TRY(status);
    /* the phases of clcnn_trainer_train_step, on both trainers, node by node */
    CLCNN_TRY(clcnn_trainer_step_input(reference, x, labels, count, 0));
    CLCNN_TRY(clcnn_trainer_step_input(t, x, labels, count, 0));
    for (int i = 0; i < t->count; i++)
        CLCNN_TRY(forward_node(t, reference, i, count, report));
    clcnn_batch_totals reference_totals;
    CLCNN_TRY(clcnn_trainer_loss(reference, count, true));
    CLCNN_TRY(clcnn_trainer_totals(reference, count, &reference_totals));
    CLCNN_TRY(clcnn_trainer_loss(t, count, true));
    CLCNN_TRY(clcnn_trainer_totals(t, count, totals));
    for (int i = t->count - 1; i >= 0; i--)
        CLCNN_TRY(backward_node(t, reference, i, count, report));
    CLCNN_TRY(clcnn_trainer_apply(reference));
    CLCNN_TRY(clcnn_trainer_apply(t));
    for (int i = 0; i < t->count; i++)
        CLCNN_TRY(compare_parameters(t, reference, i, report));
    return clcnn_profile_flush(t->context);
}
