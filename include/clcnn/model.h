/* A CNN described layer by layer, as Keras's Sequential does it, or read from a model file
 * (docs/model-format.md); a layer may name its input, so residual graphs fit too:
 *
 *   clcnn_model *model = clcnn_model_create(3, 32, 32);
 *   clcnn_model_conv2d(model, 32, 3, CLCNN_PADDING_SAME, CLCNN_ACTIVATION_RELU);
 *   clcnn_model_maxpool2d(model, 2);
 *   ...
 *   clcnn_model_flatten(model);
 *   clcnn_model_dense(model, 10, CLCNN_ACTIVATION_SOFTMAX);
 *   if (clcnn_model_status(model) != CLCNN_OK) ... clcnn_last_error() says which layer
 *
 * Builder calls record the first error and ignore later calls, so a model reads like the
 * Python it mirrors and is checked once. Tensors are NCHW; a summary prints shapes in Keras's
 * (H, W, C) order so they compare with Keras's own. */
#ifndef CLCNN_MODEL_H
#define CLCNN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clcnn/export.h"
#include "clcnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clcnn_padding { CLCNN_PADDING_VALID, CLCNN_PADDING_SAME } clcnn_padding;

/* Values 0..3 are the kernel kinds of cl/activation.cl. SOFTMAX only ends a model: training
 * fuses it into the cross-entropy loss. */
typedef enum clcnn_activation {
    CLCNN_ACTIVATION_NONE = -1,
    CLCNN_ACTIVATION_RELU = 0,
    CLCNN_ACTIVATION_SIGMOID = 1,
    CLCNN_ACTIVATION_TANH = 2,
    CLCNN_ACTIVATION_LEAKY_RELU = 3, /* slope 0.3 for x < 0, Keras's default */
    CLCNN_ACTIVATION_SOFTMAX = 4,
} clcnn_activation;

/* One node of a model, as the summary shows it. inputs are earlier layer indices; -1 is the
 * model's input. flat: the output is a vector of out_c features (h = w = 1). */
typedef struct clcnn_layer_info {
    const char *name;       /* "conv2d", "conv2d_1", ... as Keras numbers them, or name= */
    const char *kind;       /* the model-file word: "conv2d" */
    const char *keras_kind; /* "Conv2D" */
    int inputs[2];
    int input_count;
    int out_c, out_h, out_w;
    bool flat;
    size_t parameters, trainable_parameters;
} clcnn_layer_info;

typedef struct clcnn_model clcnn_model;

CLCNN_API clcnn_model *clcnn_model_create(int channels, int height, int width);
CLCNN_API void clcnn_model_destroy(clcnn_model *model);

/* Appends one layer written as a model-file line (docs/model-format.md), e.g.
 * "conv2d filters=32 kernel=3 padding=same activation=relu". The builders below write such a
 * line for you. */
CLCNN_API clcnn_status clcnn_model_add(clcnn_model *model, const char *line);
CLCNN_API void clcnn_model_conv2d(clcnn_model *model, int filters, int kernel_size,
                                  clcnn_padding padding, clcnn_activation activation);
CLCNN_API void clcnn_model_maxpool2d(clcnn_model *model, int pool_size);
CLCNN_API void clcnn_model_flatten(clcnn_model *model);
CLCNN_API void clcnn_model_dense(clcnn_model *model, int units, clcnn_activation activation);
CLCNN_API void clcnn_model_dropout(clcnn_model *model, float rate);
CLCNN_API void clcnn_model_activation(clcnn_model *model, clcnn_activation activation);

/* CLCNN_OK, or the first builder error (clcnn_last_error() was set when it happened;
 * clcnn_model_error() keeps the text). */
CLCNN_API clcnn_status clcnn_model_status(const clcnn_model *model);
CLCNN_API const char *clcnn_model_error(const clcnn_model *model);

CLCNN_API int clcnn_model_layer_count(const clcnn_model *model);
/* false when index is out of range */
CLCNN_API bool clcnn_model_layer_info(const clcnn_model *model, int index, clcnn_layer_info *info);
/* Every parameter, trainable or not (batch norm's moving statistics are not). */
CLCNN_API size_t clcnn_model_parameter_count(const clcnn_model *model);
CLCNN_API size_t clcnn_model_trainable_parameter_count(const clcnn_model *model);
CLCNN_API int clcnn_model_input_channels(const clcnn_model *model);
CLCNN_API int clcnn_model_input_height(const clcnn_model *model);
CLCNN_API int clcnn_model_input_width(const clcnn_model *model);
/* The last layer's output features: the number of classes of a classifier. */
CLCNN_API int clcnn_model_output_count(const clcnn_model *model);
/* The value the model file's `train` line gives `key` (epochs, batch, optimizer, lr, momentum,
 * nesterov, weight_decay, schedule, warmup_epochs, label_smoothing, augment, early_stopping,
 * validation_split, seed), copied into value; false when it gives none. The library only
 * keeps them: the program training the model reads them as defaults for its settings. */
CLCNN_API bool clcnn_model_train_setting(const clcnn_model *model, const char *key, char *value,
                                         size_t size);
CLCNN_API const char *clcnn_activation_name(clcnn_activation activation);

/* The tutorial's model: three Conv3x3(same)+ReLU+MaxPool2x2 blocks of 32, 64 and 128
 * filters, Flatten, Dense 128 ReLU, Dropout 0.5, Dense 10 softmax. 356,810 parameters.
 * examples/cifar10-tutorial.model describes the same model. */
CLCNN_API clcnn_model *clcnn_model_seed(void);

/* The model as model-file text (every keyword spelled out, numbers in the C locale), as
 * checkpoints store it. Returns the length it needs, as snprintf does. */
CLCNN_API size_t clcnn_model_describe(const clcnn_model *model, char *text, size_t size);
/* Parses model-file text. source names it in errors ("FILE:LINE: ..."). */
CLCNN_API clcnn_status clcnn_model_parse(const char *text, const char *source, clcnn_model **model);
/* Reads and parses a model file (at most 1 MiB). */
CLCNN_API clcnn_status clcnn_model_load(const char *path, clcnn_model **model);

#ifdef __cplusplus
}
#endif

#endif
