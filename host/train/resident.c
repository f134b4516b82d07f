/* Resident training data (include/clcnn/train.h, clcnn_trainer_keep_images and after): the
 * training images kept on the device as bytes, each epoch's order (and, with augmentation,
 * every sample's moves) uploaded once, steps that name their batch by its position in that
 * order, so that the device gathers, scales and augments it, and the steps' totals left on
 * the device in a ring that the host reads in one transfer when asked (a progress line, an
 * epoch's end) or when it is full. A step then makes no host synchronisation; a run makes
 * one per CLCNN_TOTALS_RING steps, plus one per epoch and per progress line.
 *
 * The sums stay the host's: each step's totals are read as they were written and handed out
 * in step order, so the epoch's loss adds the same doubles in the same order as the
 * host-batch path, and a resumed run matches an uninterrupted one bit for bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/trainer.h"

void clcnn_resident_release(clcnn_context *context, clcnn_resident *r)
{
    if (r->staging.host)
        clcnn_staging_release(context, &r->staging);
    for (int k = 0; k < CLCNN_TOTALS_RING; k++)
        clcnn_buffer_release(&r->slots[k]);
    clcnn_buffer *owned[] = {&r->pixels, &r->labels, &r->order, &r->moves, &r->ring};
    for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++)
        clcnn_buffer_release(owned[k]);
    free(r->collected);
    memset(r, 0, sizeof *r);
}

/* The ring: a slot of three floats per step, each slot a view (aligned as views must be). */
static clcnn_status make_ring(clcnn_trainer *t)
{
    clcnn_resident *r = &t->resident;
    if (r->ring.bytes)
        return CLCNN_OK;
    size_t stride = clcnn_buffer_alignment(t->context);
    if (stride < 16)
        stride = 16;
    CLCNN_TRY(clcnn_buffer_create(t->context, CLCNN_TOTALS_RING * stride, &r->ring));
    for (int k = 0; k < CLCNN_TOTALS_RING; k++)
        CLCNN_TRY(clcnn_buffer_view(t->context, &r->ring, (size_t)k * stride, 3 * sizeof(float),
                                    &r->slots[k]));
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_keep_images(clcnn_trainer *t, const clcnn_images *images, bool *kept)
{
    *kept = false;
    const clcnn_shape in = t->model->input;
    if (images->count <= 0 || images->channels != in.c || images->height != in.h ||
        images->width != in.w)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "keep_images: %d images of %dx%dx%d (height x width x channels) for a "
                          "model that takes %dx%dx%d",
                          images->count, images->height, images->width, images->channels, in.h,
                          in.w, in.c);
    for (int i = 0; i < images->count; i++)
        if (images->labels[i] >= t->classes)
            return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                              "keep_images: image %d has label %d, outside 0..%d", i,
                              images->labels[i], t->classes - 1);
    const size_t bytes = (size_t)images->count * t->input_count;
    const clcnn_device_info *d = &t->context->device;
    /* a quarter of the memory at most: the activations and the caller's other work need room */
    if (!t->context->reference && (bytes > d->max_alloc_bytes || bytes > d->global_mem_bytes / 4))
        return CLCNN_OK;
    /* replaces what was kept (the staging of host batches stays) */
    clcnn_resident *r = &t->resident;
    clcnn_buffer_release(&r->pixels);
    clcnn_buffer_release(&r->labels);
    r->kept = r->planned = 0;
    CLCNN_TRY(clcnn_buffer_create(t->context, bytes, &r->pixels));
    CLCNN_TRY(clcnn_buffer_create(t->context, (size_t)images->count, &r->labels));
    CLCNN_TRY(clcnn_buffer_write(t->context, &r->pixels, 0, images->pixels, bytes));
    CLCNN_TRY(clcnn_buffer_write(t->context, &r->labels, 0, images->labels, (size_t)images->count));
    CLCNN_TRY(make_ring(t));
    r->kept = images->count;
    *kept = true;
    return CLCNN_OK;
}

/* buffer grown (contents dropped) to at least bytes */
static clcnn_status at_least(clcnn_context *context, clcnn_buffer *buffer, size_t bytes)
{
    if (buffer->bytes >= bytes)
        return CLCNN_OK;
    clcnn_buffer_release(buffer);
    return clcnn_buffer_create(context, bytes, buffer);
}

clcnn_status clcnn_trainer_plan_epoch(clcnn_trainer *t, const int32_t *order, int count,
                                      int first_batch)
{
    clcnn_resident *r = &t->resident;
    const int B = t->options.batch_size;
    if (!r->kept)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "plan_epoch: no images are kept on the device (keep_images first)");
    if (count <= 0 || first_batch < 0 || (size_t)first_batch * B >= (size_t)count)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "plan_epoch: %d positions from batch %d of %d", count, first_batch, B);
    for (int i = 0; i < count; i++)
        if (order[i] < 0 || order[i] >= r->kept)
            return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                              "plan_epoch: order[%d] = %d is not one of the %d kept images", i,
                              order[i], r->kept);
    CLCNN_TRY(at_least(t->context, &r->order, (size_t)count * sizeof(int32_t)));
    CLCNN_TRY(clcnn_buffer_write(t->context, &r->order, 0, order, (size_t)count * sizeof(int32_t)));
    if (t->options.augment_pad || t->options.augment_mirror) {
        /* batch b runs as step plan_step + (b - first_batch), as the host-batch path draws it */
        int32_t *moves = calloc(3 * (size_t)count, sizeof(int32_t));
        if (!moves)
            return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory planning an epoch");
        for (int b = first_batch; (size_t)b * B < (size_t)count; b++) {
            const int n = count - b * B < B ? count - b * B : B;
            clcnn_augment_moves(t->options.seed, t->steps + (uint64_t)(b - first_batch), 0, n,
                                t->options.augment_pad, t->options.augment_mirror,
                                moves + 3 * (size_t)b * B);
        }
        clcnn_status status = at_least(t->context, &r->moves, 3 * (size_t)count * sizeof(int32_t));
        if (status == CLCNN_OK)
            status = clcnn_buffer_write(t->context, &r->moves, 0, moves,
                                        3 * (size_t)count * sizeof(int32_t));
        free(moves);
        CLCNN_TRY(status);
    }
    r->planned = count;
    r->plan_step = t->steps;
    r->plan_first_batch = first_batch;
    return CLCNN_OK;
}

/* Reads the ring's used slots in one transfer and appends their totals to collected, in step
 * order. */
static clcnn_status drain(clcnn_trainer *t)
{
    clcnn_resident *r = &t->resident;
    if (r->ring_used == 0)
        return CLCNN_OK;
    if (r->collected_count + r->ring_used > r->collected_capacity) {
        int capacity = 2 * (r->collected_count + r->ring_used);
        clcnn_batch_totals *grown = realloc(r->collected, (size_t)capacity * sizeof *grown);
        if (!grown)
            return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory for step totals");
        r->collected = grown;
        r->collected_capacity = capacity;
    }
    const size_t slot_bytes = r->ring.bytes / CLCNN_TOTALS_RING;
    float *values = malloc((size_t)r->ring_used * slot_bytes);
    if (!values)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory reading the totals ring");
    clcnn_status status = clcnn_buffer_read(t->context, &r->ring, 0, values,
                                            (size_t)r->ring_used * slot_bytes);
    for (int k = 0; status == CLCNN_OK && k < r->ring_used; k++) {
        const float *slot = (const float *)((const char *)values + (size_t)k * slot_bytes);
        const int N = r->ring_counts[k];
        if (slot[2] != 0.0f)
            status = clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                                "%d labels of step %llu's batch are outside 0..%d", (int)slot[2],
                                (unsigned long long)r->ring_steps[k], t->classes - 1);
        else if (!isfinite(slot[0])) {
            char where[256];
            status = clcnn_trainer_find_non_finite(t, N, where, sizeof where);
            if (status == CLCNN_OK)
                status = clcnn_fail(
                    CLCNN_ERROR_NUMERIC,
                    "the loss is %s at step %llu (read back after step %llu, with the steps "
                    "between); first non-finite tensor now: %s. The last checkpoint holds the "
                    "last good state",
                    isnan(slot[0]) ? "NaN" : "infinite",
                    (unsigned long long)r->ring_steps[k], (unsigned long long)t->steps,
                    where);
        } else {
            r->collected[r->collected_count++] = (clcnn_batch_totals){slot[0], (int)slot[1], N};
        }
    }
    free(values);
    r->ring_used = 0;
    return status;
}

/* The step once the batch is in t->input: forward, the loss with its totals into the ring's
 * next slot, backward, the update. */
static clcnn_status run_step(clcnn_trainer *t, int count)
{
    clcnn_resident *r = &t->resident;
    CLCNN_TRY(clcnn_trainer_forward(t, count, true, 0));
    CLCNN_TRY(clcnn_trainer_loss_into(t, count, true, &r->slots[r->ring_used]));
    CLCNN_TRY(clcnn_trainer_backward(t, count, 0));
    r->ring_counts[r->ring_used] = count;
    r->ring_steps[r->ring_used++] = t->steps + 1;
    CLCNN_TRY(clcnn_trainer_apply(t));
    return clcnn_profile_flush(t->context);
}

clcnn_status clcnn_trainer_train_kept(clcnn_trainer *t, int first, int count)
{
    clcnn_resident *r = &t->resident;
    const int B = t->options.batch_size;
    if (!r->planned)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "train_kept: no epoch is planned");
    if (first < 0 || first % B || count <= 0 || count > B || first + count > r->planned)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "train_kept: positions %d..%d of a planned order of %d in batches of %d",
                          first, first + count - 1, r->planned, B);
    const bool augmenting = t->options.augment_pad || t->options.augment_mirror;
    const uint64_t planned_step = r->plan_step + (uint64_t)(first / B - r->plan_first_batch);
    if (augmenting && (first / B < r->plan_first_batch || planned_step != t->steps))
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "train_kept: batch %d's moves were drawn for step %llu, but this is "
                          "step %llu; plan the epoch again from this batch",
                          first / B, (unsigned long long)planned_step,
                          (unsigned long long)t->steps);
    if (r->ring_used == CLCNN_TOTALS_RING)
        CLCNN_TRY(drain(t));
    uint64_t begin = clcnn_trace_begin(t->context);
    const clcnn_shape in = t->model->input;
    const clcnn_gather_shape shape = {count, in.c, in.h, in.w, r->kept, first, 255.0f};
    CLCNN_TRY(clcnn_gather(t->context, &shape, &r->pixels, &r->labels, &r->order,
                           augmenting ? &t->raw_input : &t->input, &t->labels));
    if (augmenting) {
        CLCNN_TRY(clcnn_buffer_copy_at(t->context, &r->moves, 3 * (size_t)first * sizeof(int32_t),
                                       &t->moves, 0, 3 * (size_t)count * sizeof(int32_t)));
        CLCNN_TRY(clcnn_augment(t->context, count, in.c, in.h, in.w, &t->raw_input, &t->moves,
                                &t->input));
    }
    CLCNN_TRY(run_step(t, count));
    clcnn_trace_end(t->context, begin, t->steps, "train step");
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_train_batch(clcnn_trainer *t, const float *x, const int32_t *labels,
                                       int count)
{
    clcnn_resident *r = &t->resident;
    const int B = t->options.batch_size;
    if (count <= 0 || count > B)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "a batch of %d samples: expected 1 to %d",
                          count, B);
    CLCNN_TRY(make_ring(t));
    /* a region: the batch [B, C, H, W] floats, then its labels and moves [B] and [B, 3] ints */
    const size_t x_bytes = (size_t)B * t->input_count * sizeof(float);
    if (!r->staging.host)
        CLCNN_TRY(clcnn_staging_create(t->context, x_bytes + 4 * (size_t)B * sizeof(int32_t),
                                       &r->staging));
    if (r->ring_used == CLCNN_TOTALS_RING)
        CLCNN_TRY(drain(t));
    uint64_t begin = clcnn_trace_begin(t->context);
    char *region;
    CLCNN_TRY(clcnn_staging_next(t->context, &r->staging, &region));
    const size_t x_used = (size_t)count * t->input_count * sizeof(float);
    memcpy(region, x, x_used);
    memcpy(region + x_bytes, labels, (size_t)count * sizeof(int32_t));
    const bool augmenting = t->options.augment_pad || t->options.augment_mirror;
    CLCNN_TRY(clcnn_staging_upload(t->context, &r->staging, 0, augmenting ? &t->raw_input : &t->input,
                                   x_used));
    CLCNN_TRY(clcnn_staging_upload(t->context, &r->staging, x_bytes, &t->labels,
                                   (size_t)count * sizeof(int32_t)));
    if (augmenting) {
        const clcnn_shape in = t->model->input;
        int32_t *moves = (int32_t *)(region + x_bytes + (size_t)B * sizeof(int32_t));
        clcnn_augment_moves(t->options.seed, t->steps, 0, count, t->options.augment_pad,
                            t->options.augment_mirror, moves);
        CLCNN_TRY(clcnn_staging_upload(t->context, &r->staging,
                                       x_bytes + (size_t)B * sizeof(int32_t), &t->moves,
                                       3 * (size_t)count * sizeof(int32_t)));
        CLCNN_TRY(clcnn_augment(t->context, count, in.c, in.h, in.w, &t->raw_input, &t->moves,
                                &t->input));
    }
    CLCNN_TRY(run_step(t, count));
    clcnn_trace_end(t->context, begin, t->steps, "train step");
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_collect(clcnn_trainer *t, const clcnn_batch_totals **totals,
                                   int *count)
{
    clcnn_resident *r = &t->resident;
    clcnn_status status = drain(t); /* may move collected */
    *totals = r->collected;
    *count = r->collected_count;
    r->collected_count = 0;
    return status;
}
