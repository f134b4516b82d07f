/* Keras-level calls over a trainer and a data source, so that a program is a few lines:
 *
 *   clcnn_dataset data;   clcnn_dataset_load("fashion-mnist", NULL, CLCNN_DATA_ALL, &data);
 *   clcnn_source train = clcnn_images_source(&data.train, data.classes);
 *   clcnn_model *model;   clcnn_model_load("examples/fashion-mnist.model", &model);
 *   clcnn_trainer_create(context, model, &options, &trainer);
 *   for (int epoch = 1; epoch <= 10; epoch++)
 *       clcnn_fit_epoch(trainer, &train, train.count, epoch, &loss, &accuracy);
 *   clcnn_evaluate(trainer, &test, 0, test.count, &loss, &accuracy, NULL);
 *   clcnn_save(trainer, "model.ckpt", data.class_names, data.classes);
 *
 * examples/train_custom.c is the whole program. */
#ifndef CLCNN_FIT_H
#define CLCNN_FIT_H

#include "clcnn/data.h"
#include "clcnn/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Host staging for batches of one source's samples: x [capacity, C, H, W], labels [capacity]. */
typedef struct clcnn_batch {
    float *x;
    int32_t *labels;
    int capacity;
} clcnn_batch;

CLCNN_API clcnn_status clcnn_batch_create(const clcnn_source *source, int capacity,
                                          clcnn_batch *batch);
CLCNN_API void clcnn_batch_free(clcnn_batch *batch);
/* source->fill() for samples indices[0..n), n <= capacity */
CLCNN_API clcnn_status clcnn_batch_fill(clcnn_batch *batch, const clcnn_source *source,
                                        const int32_t *indices, int n);

/* One epoch over samples 0..count-1 of source, shuffled by clcnn_shuffle(seed, epoch), in
 * batches of the trainer's batch size. loss and accuracy are the epoch's means. */
CLCNN_API clcnn_status clcnn_fit_epoch(clcnn_trainer *trainer, const clcnn_source *source,
                                       int count, int epoch, double *loss, double *accuracy);
/* Forward passes over samples first..first+count-1, dropout off: mean loss, accuracy and
 * (optional) every predicted class. */
CLCNN_API clcnn_status clcnn_evaluate(clcnn_trainer *trainer, const clcnn_source *source,
                                      int first, int count, double *loss, double *accuracy,
                                      int32_t *predictions);

/* A checkpoint of the trainer's model, weights and optimizer state, and the class names
 * (may be NULL), written atomically. */
CLCNN_API clcnn_status clcnn_save(clcnn_trainer *trainer, const char *path,
                                  const char (*class_names)[CLCNN_CLASS_NAME_BYTES], int classes);
/* The model of a checkpoint and a trainer holding its weights, on context. options may be
 * NULL (the defaults, with the checkpoint's batch size and seed). The caller destroys both. */
CLCNN_API clcnn_status clcnn_load(clcnn_context *context, const char *path,
                                  const clcnn_train_options *options, clcnn_model **model,
                                  clcnn_trainer **trainer);

#ifdef __cplusplus
}
#endif

#endif
