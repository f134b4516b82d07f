/* Keras-level calls (include/clcnn/fit.h), written on the public trainer API alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/checkpoint.h"
#include "clcnn/fit.h"
#include "internal.h"

static size_t sample_floats(const clcnn_source *source)
{
    return (size_t)source->channels * source->height * source->width;
}

clcnn_status clcnn_batch_create(const clcnn_source *source, int capacity, clcnn_batch *batch)
{
    memset(batch, 0, sizeof *batch);
    if (capacity <= 0)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "a batch of %d samples", capacity);
    batch->x = malloc((size_t)capacity * sample_floats(source) * sizeof(float));
    batch->labels = malloc((size_t)capacity * sizeof(int32_t));
    batch->capacity = capacity;
    if (!batch->x || !batch->labels) {
        clcnn_batch_free(batch);
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory for a batch of %d", capacity);
    }
    return CLCNN_OK;
}

void clcnn_batch_free(clcnn_batch *batch)
{
    free(batch->x);
    free(batch->labels);
    memset(batch, 0, sizeof *batch);
}

clcnn_status clcnn_batch_fill(clcnn_batch *batch, const clcnn_source *source,
                              const int32_t *indices, int n)
{
    if (n < 0 || n > batch->capacity)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "%d samples for a batch of %d", n,
                          batch->capacity);
    return source->fill(source, indices, n, batch->x, batch->labels);
}

/* The model's input shape against the source's, and its classes. */
static clcnn_status check_source(clcnn_trainer *trainer, const clcnn_source *source)
{
    const clcnn_model *model = clcnn_trainer_model(trainer);
    int c = clcnn_model_input_channels(model), h = clcnn_model_input_height(model),
        w = clcnn_model_input_width(model);
    if (c != source->channels || h != source->height || w != source->width)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "the model takes %dx%dx%d inputs (height x width x channels) but the "
                          "data's images are %dx%dx%d", h, w, c, source->height, source->width,
                          source->channels);
    if (clcnn_model_output_count(model) != source->classes)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "the model ends in %d classes but the data has %d",
                          clcnn_model_output_count(model), source->classes);
    return CLCNN_OK;
}

clcnn_status clcnn_fit_epoch(clcnn_trainer *trainer, const clcnn_source *source, int count,
                             int epoch, double *loss, double *accuracy)
{
    CLCNN_TRY(check_source(trainer, source));
    if (count <= 0 || count > source->count)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "fit: %d samples of a source of %d", count,
                          source->count);
    const clcnn_train_options *options = clcnn_trainer_options(trainer);
    int32_t *order = malloc((size_t)count * sizeof(int32_t));
    clcnn_batch batch = {0};
    clcnn_status status = order ? clcnn_batch_create(source, options->batch_size, &batch)
                                : clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    double loss_sum = 0.0;
    long correct = 0;
    if (status == CLCNN_OK)
        clcnn_shuffle(options->seed, (uint64_t)epoch, order, count);
    for (int first = 0; status == CLCNN_OK && first < count; first += options->batch_size) {
        int n = count - first < options->batch_size ? count - first : options->batch_size;
        clcnn_batch_totals totals;
        status = clcnn_batch_fill(&batch, source, order + first, n);
        if (status == CLCNN_OK)
            status = clcnn_trainer_train_step(trainer, batch.x, batch.labels, n, &totals);
        loss_sum += status == CLCNN_OK ? totals.loss_sum : 0.0;
        correct += status == CLCNN_OK ? totals.correct : 0;
    }
    clcnn_batch_free(&batch);
    free(order);
    *loss = loss_sum / count;
    *accuracy = (double)correct / count;
    return status;
}

clcnn_status clcnn_evaluate(clcnn_trainer *trainer, const clcnn_source *source, int first,
                            int count, double *loss, double *accuracy, int32_t *predictions)
{
    *loss = *accuracy = 0.0;
    CLCNN_TRY(check_source(trainer, source));
    if (first < 0 || count < 0 || count > source->count - first)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "evaluate: samples %d..%d of a source of %d",
                          first, first + count - 1, source->count);
    int size = clcnn_trainer_options(trainer)->batch_size;
    int32_t *indices = malloc((size_t)size * sizeof(int32_t));
    clcnn_batch batch = {0};
    clcnn_status status = indices ? clcnn_batch_create(source, size, &batch)
                                  : clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    double loss_sum = 0.0;
    long correct = 0;
    for (int start = 0; status == CLCNN_OK && start < count; start += size) {
        int n = count - start < size ? count - start : size;
        for (int k = 0; k < n; k++)
            indices[k] = first + start + k;
        clcnn_batch_totals totals;
        status = clcnn_batch_fill(&batch, source, indices, n);
        if (status == CLCNN_OK)
            status = clcnn_trainer_evaluate(trainer, batch.x, batch.labels, n, &totals,
                                            predictions ? predictions + start : NULL, NULL);
        loss_sum += status == CLCNN_OK ? totals.loss_sum : 0.0;
        correct += status == CLCNN_OK ? totals.correct : 0;
    }
    clcnn_batch_free(&batch);
    free(indices);
    if (count) {
        *loss = loss_sum / count;
        *accuracy = (double)correct / count;
    }
    return status;
}

clcnn_status clcnn_save(clcnn_trainer *trainer, const char *path,
                        const char (*class_names)[CLCNN_CLASS_NAME_BYTES], int classes)
{
    const clcnn_model *model = clcnn_trainer_model(trainer);
    const clcnn_train_options *options = clcnn_trainer_options(trainer);
    size_t count = clcnn_model_parameter_count(model);
    size_t text_size = clcnn_model_describe(model, NULL, 0) + 1;
    clcnn_checkpoint c = {.steps = clcnn_trainer_steps(trainer), .seed = options->seed,
                          .learning_rate = options->learning_rate,
                          .batch_size = options->batch_size, .parameter_count = count};
    c.model_text = malloc(text_size);
    c.class_names = class_names ? calloc((size_t)classes, CLCNN_CLASS_NAME_BYTES + 1) : NULL;
    c.parameters = malloc(3 * count * sizeof(float) + 1);
    clcnn_status status = c.model_text && c.parameters && (c.class_names || !class_names)
                              ? CLCNN_OK
                              : clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory saving %s", path);
    if (status == CLCNN_OK) {
        clcnn_model_describe(model, c.model_text, text_size);
        for (int k = 0; class_names && k < classes; k++) {
            strcat(c.class_names, class_names[k]);
            strcat(c.class_names, "\n");
        }
        c.m = c.parameters + count;
        c.v = c.parameters + 2 * count;
        status = clcnn_trainer_get_state(trainer, c.parameters, c.m, c.v);
    }
    if (status == CLCNN_OK)
        status = clcnn_checkpoint_write(path, &c);
    free(c.model_text);
    free(c.class_names);
    free(c.parameters);
    return status;
}

clcnn_status clcnn_load(clcnn_context *context, const char *path,
                        const clcnn_train_options *options, clcnn_model **model,
                        clcnn_trainer **trainer)
{
    *model = NULL;
    *trainer = NULL;
    clcnn_checkpoint c;
    CLCNN_TRY(clcnn_checkpoint_read(path, &c));
    clcnn_status status = clcnn_model_parse(c.model_text, path, model);
    if (status == CLCNN_OK && clcnn_model_parameter_count(*model) != c.parameter_count)
        status = clcnn_fail(CLCNN_ERROR_FORMAT, "%s: %zu parameters for a model of %zu", path,
                            c.parameter_count, clcnn_model_parameter_count(*model));
    clcnn_train_options chosen = clcnn_train_defaults();
    chosen.batch_size = c.batch_size;
    chosen.seed = c.seed;
    chosen.learning_rate = c.learning_rate;
    if (status == CLCNN_OK)
        status = clcnn_trainer_create(context, *model, options ? options : &chosen, trainer);
    if (status == CLCNN_OK)
        status = clcnn_trainer_set_state(*trainer, c.parameters, c.m, c.v, c.steps);
    clcnn_checkpoint_free(&c);
    if (status != CLCNN_OK) {
        clcnn_trainer_destroy(*trainer);
        clcnn_model_destroy(*model);
        *trainer = NULL;
        *model = NULL;
    }
    return status;
}
