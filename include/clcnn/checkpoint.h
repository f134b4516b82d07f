/* Checkpoints: everything needed to resume a run exactly or to evaluate a model, in the
 * versioned binary format of docs/checkpoint-format.md (sections, a trailing checksum).
 * Writing goes to a temporary file in the same folder, flushed to disk, then renamed: the
 * file on disk is always either the old complete checkpoint or the new complete one. */
#ifndef CLCNN_CHECKPOINT_H
#define CLCNN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "clcnn/export.h"
#include "clcnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CLCNN_CHECKPOINT_VERSION 2u

typedef struct clcnn_history_row {
    int epoch; /* 1-based */
    double loss, accuracy, val_loss, val_accuracy, seconds;
} clcnn_history_row;

typedef struct clcnn_checkpoint {
    char *model_text;  /* clcnn_model_describe() */
    char *class_names; /* one a line, or NULL (an older checkpoint, or none given) */
    /* The run's settings as "key=value" lines (clcnn train: data, format, epochs, ...), or
     * NULL. The library stores them and does not read them. */
    char *settings;
    uint64_t steps;   /* Adam steps taken (and the dropout counter) */
    int epochs_done;  /* completed epochs; resuming continues the next */
    /* Progress inside the next epoch when a run stopped mid-epoch (Ctrl-C): batches done and
     * their running totals, so the resumed epoch reports what an uninterrupted one would. */
    int epoch_batches_done;
    double epoch_loss_sum, epoch_seconds;
    int64_t epoch_correct, epoch_seen;
    uint64_t seed;
    double learning_rate;
    int batch_size;
    double best_val_accuracy;
    int best_epoch;
    size_t parameter_count;
    float *parameters, *m, *v; /* each parameter_count floats, clcnn_trainer_get_state order */
    int history_count;
    clcnn_history_row *history;
} clcnn_checkpoint;

CLCNN_API clcnn_status clcnn_checkpoint_write(const char *path, const clcnn_checkpoint *checkpoint);
CLCNN_API clcnn_status clcnn_checkpoint_read(const char *path, clcnn_checkpoint *checkpoint);
/* Parses a checkpoint held in memory; name is used in messages. */
CLCNN_API clcnn_status clcnn_checkpoint_parse(const uint8_t *data, size_t size, const char *name,
                                              clcnn_checkpoint *checkpoint);
CLCNN_API void clcnn_checkpoint_free(clcnn_checkpoint *checkpoint);

#ifdef __cplusplus
}
#endif

#endif
