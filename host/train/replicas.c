/* Data-parallel replicas in one process (include/clcnn/replicas.h): a trainer per context,
 * a host thread per replica for each phase of a step (its gradients; then the summed
 * gradients written back and the update), and the sum on the host between the two. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clcnn/replicas.h"
#include "train/trainer.h"

typedef struct replica {
    clcnn_trainer *trainer;
    double weight;
    float *gradients; /* the host copy of its gradient arena */
    /* this step: its share of the batch, and what became of it */
    const float *x;
    const int32_t *labels;
    int first, count;
    const float *sum; /* phase two: the summed gradients to write back */
    clcnn_batch_totals totals;
    clcnn_status status;
    char error[2048];
} replica;

struct clcnn_replicas {
    replica *replicas;
    int count;
    size_t floats;      /* of a gradient arena */
    size_t input_count; /* floats of one sample */
    float *sum;
    double exchange_seconds;
};

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

double clcnn_replicas_exchange_seconds(const clcnn_replicas *r) { return r->exchange_seconds; }

int clcnn_replicas_count(const clcnn_replicas *r) { return r->count; }

clcnn_trainer *clcnn_replicas_trainer(clcnn_replicas *r, int k) { return r->replicas[k].trainer; }

void clcnn_replicas_destroy(clcnn_replicas *r)
{
    if (!r)
        return;
    for (int k = 0; k < r->count; k++) {
        clcnn_trainer_destroy(r->replicas[k].trainer);
        free(r->replicas[k].gradients);
    }
    free(r->replicas);
    free(r->sum);
    free(r);
}

clcnn_status clcnn_replicas_create(clcnn_context *const *contexts, int count,
                                   const double *weights, const clcnn_model *model,
                                   const clcnn_train_options *options, clcnn_replicas **out)
{
    *out = NULL;
    if (count < 1 || count > CLCNN_MAX_REPLICAS)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "replicas: %d devices; expected 1 to %d",
                          count, CLCNN_MAX_REPLICAS);
    for (int k = 0; weights && k < count; k++)
        if (!(weights[k] > 0))
            return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                              "replicas: replica %d's share of a batch is %g; every share must "
                              "be positive", k, weights[k]);
    clcnn_replicas *r = calloc(1, sizeof *r);
    if (!r || !(r->replicas = calloc((size_t)count, sizeof *r->replicas))) {
        free(r);
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory creating replicas");
    }
    r->count = count;
    clcnn_status status = CLCNN_OK;
    for (int k = 0; k < count && status == CLCNN_OK; k++) {
        replica *p = &r->replicas[k];
        p->weight = weights ? weights[k] : 1.0;
        status = clcnn_trainer_create(contexts[k], model, options, &p->trainer);
        if (status != CLCNN_OK)
            break;
        r->floats = clcnn_trainer_gradient_count(p->trainer);
        r->input_count = p->trainer->input_count;
        p->gradients = calloc(r->floats ? r->floats : 1, sizeof(float));
        if (!p->gradients)
            status = clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory creating replicas");
    }
    if (status == CLCNN_OK && !(r->sum = calloc(r->floats ? r->floats : 1, sizeof(float))))
        status = clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory creating replicas");
    if (status != CLCNN_OK) {
        clcnn_replicas_destroy(r);
        return status;
    }
    *out = r;
    return CLCNN_OK;
}

void clcnn_split_batch(const double *shares, int parts, int count, int *first, int *counts)
{
    double total = 0;
    for (int k = 0; k < parts; k++)
        total += shares[k];
    int given = 0;
    for (int k = 0; k < parts; k++) {
        counts[k] = (int)((double)count * shares[k] / total);
        given += counts[k];
    }
    for (int k = 0; given < count; k = (k + 1) % parts, given++)
        counts[k]++;
    for (int k = 0, at = 0; k < parts; at += counts[k], k++)
        first[k] = at;
}

void clcnn_replicas_split(const clcnn_replicas *r, int count, int *first, int *counts)
{
    double shares[CLCNN_MAX_REPLICAS];
    for (int k = 0; k < r->count; k++)
        shares[k] = r->replicas[k].weight;
    clcnn_split_batch(shares, r->count, count, first, counts);
}

void clcnn_gradients_sum(const float *const *parts, const double *scales, int count,
                         size_t floats, float *sum)
{
    for (size_t i = 0; i < floats; i++) {
        double total = 0.0;
        for (int k = 0; k < count; k++)
            total += scales[k] * (double)parts[k][i];
        sum[i] = (float)total;
    }
}

/* ---- the two phases of a step, a thread per replica ------------------------------------------ */

static void *gradients_phase(void *argument)
{
    replica *p = argument;
    p->totals = (clcnn_batch_totals){0.0, 0, 0};
    if (p->count == 0) { /* a batch smaller than the replicas: this one sits the step out */
        p->status = CLCNN_OK;
        return NULL;
    }
    const size_t input_count = p->trainer->input_count;
    p->status = clcnn_trainer_gradients(p->trainer, p->x + (size_t)p->first * input_count,
                                        p->labels + p->first, p->count, (uint64_t)p->first,
                                        &p->totals);
    if (p->status == CLCNN_OK)
        p->status = clcnn_trainer_read_gradients(p->trainer, p->gradients);
    if (p->status != CLCNN_OK)
        snprintf(p->error, sizeof p->error, "%s", clcnn_last_error());
    return NULL;
}

static void *apply_phase(void *argument)
{
    replica *p = argument;
    p->status = clcnn_trainer_write_gradients(p->trainer, p->sum);
    if (p->status == CLCNN_OK)
        p->status = clcnn_trainer_apply(p->trainer);
    if (p->status != CLCNN_OK)
        snprintf(p->error, sizeof p->error, "%s", clcnn_last_error());
    return NULL;
}

/* Runs phase on every replica at once (replica 0 on this thread), then reports the first
 * failure in replica order. */
static clcnn_status run_phase(clcnn_replicas *r, void *(*phase)(void *))
{
    pthread_t threads[CLCNN_MAX_REPLICAS];
    bool started[CLCNN_MAX_REPLICAS] = {false};
    for (int k = 1; k < r->count; k++)
        started[k] = pthread_create(&threads[k], NULL, phase, &r->replicas[k]) == 0;
    phase(&r->replicas[0]);
    for (int k = 1; k < r->count; k++) {
        if (started[k])
            pthread_join(threads[k], NULL);
        else /* no thread to be had: run it here, in turn */
            phase(&r->replicas[k]);
    }
    for (int k = 0; k < r->count; k++)
        if (r->replicas[k].status != CLCNN_OK)
            return clcnn_fail(r->replicas[k].status, "replica %d (%s): %s", k,
                              clcnn_context_device(r->replicas[k].trainer->context)->name,
                              r->replicas[k].error);
    return CLCNN_OK;
}

clcnn_status clcnn_replicas_train_step(clcnn_replicas *r, const float *x, const int32_t *labels,
                                       int count, clcnn_batch_totals *totals)
{
    const int batch = r->replicas[0].trainer->options.batch_size;
    if (count <= 0 || count > batch)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "a batch of %d samples: expected 1 to %d",
                          count, batch);
    int first[CLCNN_MAX_REPLICAS], counts[CLCNN_MAX_REPLICAS];
    clcnn_replicas_split(r, count, first, counts);
    const float *parts[CLCNN_MAX_REPLICAS];
    double scales[CLCNN_MAX_REPLICAS];
    for (int k = 0; k < r->count; k++) {
        replica *p = &r->replicas[k];
        p->x = x, p->labels = labels, p->first = first[k], p->count = counts[k];
        parts[k] = p->gradients;
        scales[k] = (double)counts[k] / count; /* each replica's gradient is a mean over its share */
    }
    CLCNN_TRY(run_phase(r, gradients_phase));
    const double exchange_start = seconds_now();
    clcnn_gradients_sum(parts, scales, r->count, r->floats, r->sum);
    for (int k = 0; k < r->count; k++)
        r->replicas[k].sum = r->sum;
    CLCNN_TRY(run_phase(r, apply_phase));
    r->exchange_seconds += seconds_now() - exchange_start;
    *totals = (clcnn_batch_totals){0.0, 0, 0};
    for (int k = 0; k < r->count; k++) {
        totals->loss_sum += r->replicas[k].totals.loss_sum;
        totals->correct += r->replicas[k].totals.correct;
        totals->count += r->replicas[k].totals.count;
    }
    return CLCNN_OK;
}

clcnn_status clcnn_replicas_set_state(clcnn_replicas *r, const float *parameters, const float *m,
                                      const float *v, uint64_t steps)
{
    for (int k = 0; k < r->count; k++)
        CLCNN_TRY(clcnn_trainer_set_state(r->replicas[k].trainer, parameters, m, v, steps));
    return CLCNN_OK;
}

clcnn_status clcnn_replicas_compare(clcnn_replicas *r, double *max_difference)
{
    *max_difference = 0.0;
    const size_t floats = r->floats ? r->floats : 1;
    float *first = malloc(3 * floats * sizeof(float)), *other = malloc(3 * floats * sizeof(float));
    clcnn_status status = first && other ? CLCNN_OK
                                         : clcnn_fail(CLCNN_ERROR_ALLOCATION,
                                                      "out of host memory comparing replicas");
    if (status == CLCNN_OK)
        status = clcnn_trainer_read_trainable(r->replicas[0].trainer, first, first + floats,
                                              first + 2 * floats);
    for (int k = 1; k < r->count && status == CLCNN_OK; k++) {
        status = clcnn_trainer_read_trainable(r->replicas[k].trainer, other, other + floats,
                                              other + 2 * floats);
        for (size_t i = 0; status == CLCNN_OK && i < 3 * r->floats; i++) {
            double difference = fabs((double)first[i] - other[i]);
            if (difference > *max_difference || isnan(difference))
                *max_difference = isnan(difference) ? INFINITY : difference;
        }
    }
    free(first);
    free(other);
    return status;
}
