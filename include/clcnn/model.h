/* A sequential CNN described layer by layer, as Keras's Sequential does it:
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

typedef enum clcnn_layer_type {
    CLCNN_LAYER_CONV2D,
    CLCNN_LAYER_MAXPOOL2D,
    CLCNN_LAYER_FLATTEN,
    CLCNN_LAYER_DENSE,
    CLCNN_LAYER_DROPOUT,
    CLCNN_LAYER_ACTIVATION,
} clcnn_layer_type;

typedef struct clcnn_layer {
    clcnn_layer_type type;
    char name[32];               /* "conv2d", "conv2d_1", ... as Keras numbers them */
    clcnn_activation activation; /* conv2d, dense, activation layers */
    int units;                   /* conv2d filters, dense units */
    int kernel_size;             /* conv2d; maxpool2d window */
    int stride;                  /* conv2d, maxpool2d */
    clcnn_padding padding;       /* conv2d */
    float rate;                  /* dropout */
    int in_c, in_h, in_w;        /* input shape of one sample (dense: in_c features) */
    int out_c, out_h, out_w;     /* output shape of one sample (dense: out_c units) */
    size_t weight_count, bias_count;
} clcnn_layer;

typedef struct clcnn_model clcnn_model;

CLCNN_API clcnn_model *clcnn_model_create(int channels, int height, int width);
CLCNN_API void clcnn_model_destroy(clcnn_model *model);

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
CLCNN_API const clcnn_layer *clcnn_model_layer(const clcnn_model *model, int index);
CLCNN_API size_t clcnn_model_parameter_count(const clcnn_model *model);
CLCNN_API int clcnn_model_input_channels(const clcnn_model *model);
CLCNN_API int clcnn_model_input_height(const clcnn_model *model);
CLCNN_API int clcnn_model_input_width(const clcnn_model *model);
CLCNN_API const char *clcnn_activation_name(clcnn_activation activation);

/* The tutorial's model: three Conv3x3(same)+ReLU+MaxPool2x2 blocks of 32, 64 and 128
 * filters, Flatten, Dense 128 ReLU, Dropout 0.5, Dense 10 softmax. 356,810 parameters. */
CLCNN_API clcnn_model *clcnn_model_seed(void);

/* A text description, one layer a line, stored in checkpoints so that a checkpoint of
 * another shape is refused; and the model it describes. */
CLCNN_API size_t clcnn_model_describe(const clcnn_model *model, char *text, size_t size);
CLCNN_API clcnn_status clcnn_model_parse(const char *text, clcnn_model **model);

#ifdef __cplusplus
}
#endif

#endif
