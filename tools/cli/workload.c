/* The fixed workload behind `clcnn bench` and `clcnn profile`: the tutorial's model (or a model
 * file's), batch 64, Adam, on synthetic images (random pixels and labels from a fixed seed), so
 * that it needs no data and does the same work on every device and every run. */
#include <stdlib.h>

#include "cli.h"

bool workload_images(const clcnn_model *model, int count, clcnn_images *images,
                     clcnn_batch *batch)
{
    const int classes = clcnn_model_output_count(model), c = clcnn_model_input_channels(model),
              h = clcnn_model_input_height(model), w = clcnn_model_input_width(model);
    const size_t floats = (size_t)c * h * w;
    *images = (clcnn_images){count, c, h, w, malloc((size_t)count), malloc((size_t)count * floats)};
    int32_t *order = malloc((size_t)count * sizeof(int32_t));
    if (!images->labels || !images->pixels || !order) {
        free(order);
        return false;
    }
    uint64_t state = 0x5eed;
    for (size_t i = 0; i < (size_t)count * floats; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        images->pixels[i] = (uint8_t)(state >> 56);
    }
    for (int i = 0; i < count; i++) {
        images->labels[i] = (uint8_t)(i * 7 % classes);
        order[i] = i;
    }
    const clcnn_source source = clcnn_images_source(images, classes);
    bool ok = clcnn_batch_create(&source, count, batch) == CLCNN_OK &&
              clcnn_batch_fill(batch, &source, order, count) == CLCNN_OK;
    free(order);
    return ok;
}

bool workload_open(workload *w, const char *spec, const clcnn_context_options *options,
                   const char *model_path)
{
    *w = (workload){.exit_status = 1};
    w->model = model_path ? load_model(model_path) : clcnn_model_seed();
    if (!w->model)
        return false;
    clcnn_status status = clcnn_context_create(spec, options, &w->context);
    if (status != CLCNN_OK) {
        w->exit_status = report_failure(status, "opening the device");
        return false;
    }
    w->exit_status = 1;
    const int images = 2 * WORKLOAD_BATCH;
    w->image_floats = (size_t)clcnn_model_input_channels(w->model) *
                      clcnn_model_input_height(w->model) * clcnn_model_input_width(w->model);
    for (int i = 0; i < images; i++)
        w->order[i] = i;
    clcnn_train_options train_options = clcnn_train_defaults();
    train_options.batch_size = WORKLOAD_BATCH;
    /* both batches become floats once: the timed steps measure the device, not the source */
    if (!workload_images(w->model, images, &w->images, &w->batch)) {
        fprintf(stderr, "clcnn: out of memory preparing the workload\n");
        return false;
    }
    status = clcnn_trainer_create(w->context, w->model, &train_options, &w->trainer);
    if (status == CLCNN_OK)
        status = clcnn_trainer_keep_images(w->trainer, &w->images, &w->resident);
    if (status == CLCNN_OK && w->resident)
        status = clcnn_trainer_plan_epoch(w->trainer, w->order, images, 0);
    if (status != CLCNN_OK) {
        report_failure(status, "setting up the workload");
        return false;
    }
    return true;
}

clcnn_status workload_step(workload *w, int step, uint64_t *syncs)
{
    clcnn_batch_totals totals;
    size_t first = (size_t)(step % 2) * WORKLOAD_BATCH;
    const uint64_t before = clcnn_context_host_syncs(w->context);
    clcnn_status status =
        clcnn_trainer_train_step(w->trainer, w->batch.x + first * w->image_floats,
                                 w->batch.labels + first, WORKLOAD_BATCH, &totals);
    if (syncs)
        *syncs = clcnn_context_host_syncs(w->context) - before;
    /* a step returns once its loss is read; the backward pass and update may still be queued */
    return status == CLCNN_OK ? clcnn_context_finish(w->context) : status;
}

clcnn_status workload_waitless_steps(workload *w, bool resident, int steps, uint64_t *syncs)
{
    const uint64_t before = clcnn_context_host_syncs(w->context);
    clcnn_status status = CLCNN_OK;
    for (int i = 0; i < steps && status == CLCNN_OK; i++) {
        const size_t first = (size_t)(i % 2) * WORKLOAD_BATCH;
        status = resident ? clcnn_trainer_train_kept(w->trainer, (int)first, WORKLOAD_BATCH)
                          : clcnn_trainer_train_batch(w->trainer, w->batch.x + first * w->image_floats,
                                                      w->batch.labels + first, WORKLOAD_BATCH);
    }
    const clcnn_batch_totals *totals;
    int count = 0;
    if (status == CLCNN_OK)
        status = clcnn_trainer_collect(w->trainer, &totals, &count);
    *syncs = clcnn_context_host_syncs(w->context) - before;
    return status == CLCNN_OK ? clcnn_context_finish(w->context) : status;
}

clcnn_status workload_evaluate(workload *w)
{
    clcnn_batch_totals totals;
    return clcnn_trainer_evaluate(w->trainer, w->batch.x, w->batch.labels, WORKLOAD_BATCH, &totals,
                                  NULL, NULL);
}

void workload_close(workload *w)
{
    clcnn_trainer_destroy(w->trainer);
    clcnn_context_destroy(w->context);
    clcnn_model_destroy(w->model);
    clcnn_batch_free(&w->batch);
    clcnn_images_free(&w->images);
    *w = (workload){0};
}
