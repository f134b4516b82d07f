/* Layer kinds: what a model file's words mean, and how the trainer runs them.
 *
 * Adding a layer kind:
 *   1. host/layers/<kind>.c defines `const clcnn_layer_kind clcnn_layer_<kind>`: its keywords
 *      (with Keras's defaults), shape inference, parameter tensors, scratch, forward and
 *      backward. Copy the nearest existing kind.
 *   2. One line in host/layers/registry.c.
 *   3. If it needs a new op: cl/<op>.cl, host/<op>.c, host/ref/<op>.c (the twin), the program
 *      and kernel rows in host/internal.h, the check rows in host/check.c and a finite
 *      difference test in tests/test_gradcheck.c (host/ops.h says how).
 * Nothing else switches over kinds: the model parser, the summary, the trainer, the
 * cross-check and the checkpoint all walk this interface.
 *
 * Every tensor is float32, [N, c, h, w] (NCHW); a flat tensor is [N, c] with h = w = 1. */
#ifndef CLCNN_LAYER_H
#define CLCNN_LAYER_H

#include <stdbool.h>

#include "ops.h"

#define CLCNN_MAX_INPUTS 2
#define CLCNN_MAX_PARAMS 4
#define CLCNN_LEAKY_RELU_SLOPE 0.3f /* Keras LeakyReLU's default */

/* One sample's shape. flat: a vector of c features (dense's input and output). */
typedef struct clcnn_shape {
    int c, h, w;
    bool flat;
} clcnn_shape;

static inline size_t clcnn_shape_count(clcnn_shape s) { return (size_t)s.c * s.h * s.w; }

/* The values a model line can set. Each kind reads the fields its keywords name. */
typedef struct clcnn_layer_args {
    int filters, kernel, stride, pool, units;
    clcnn_padding padding;
    clcnn_activation activation;
    bool use_bias;
    float rate;
    float momentum, epsilon; /* batchnorm's */
} clcnn_layer_args;

typedef enum clcnn_keyword_type {
    CLCNN_KEYWORD_INT,
    CLCNN_KEYWORD_FLOAT,
    CLCNN_KEYWORD_BOOL,       /* true | false */
    CLCNN_KEYWORD_PADDING,    /* valid | same */
    CLCNN_KEYWORD_ACTIVATION, /* none | relu | sigmoid | tanh | leaky_relu | softmax */
} clcnn_keyword_type;

/* One keyword of a kind: its type, where it lands in clcnn_layer_args, its default (as the
 * model text would spell it; NULL: required) and its range. */
typedef struct clcnn_keyword {
    const char *name;
    clcnn_keyword_type type;
    size_t offset;
    const char *default_text;
    double minimum, maximum;
} clcnn_keyword;

typedef enum clcnn_init { CLCNN_INIT_ZEROS, CLCNN_INIT_ONES, CLCNN_INIT_GLOROT_UNIFORM } clcnn_init;

/* A parameter tensor. Trainable ones get gradients and optimizer slots; the others (batch
 * norm's moving statistics) are saved in checkpoints but never updated by the optimizer. */
typedef struct clcnn_param_spec {
    const char *name; /* "kernel", "bias": Keras's names, used in messages and cross-checks */
    size_t count;
    clcnn_init init;
    double fan_in, fan_out; /* Glorot's, receptive field included */
    bool trainable;
    bool decayed; /* weight decay applies: kernels yes; biases and batch norm's no */
} clcnn_param_spec;

typedef struct clcnn_layer_kind clcnn_layer_kind;

/* A node of the model graph: one layer line. inputs[] are earlier node indices, -1 the
 * model's input. */
typedef struct clcnn_node {
    const clcnn_layer_kind *kind;
    char name[32];
    int inputs[CLCNN_MAX_INPUTS];
    bool named_input; /* the line said input= (or from=), so the text keeps it */
    clcnn_layer_args args;
    clcnn_shape in[CLCNN_MAX_INPUTS], out;
    clcnn_param_spec params[CLCNN_MAX_PARAMS];
    int param_count;
} clcnn_node;

/* What a step hands a layer. first_sample: the global index of sample 0 of this batch, so
 * that a batch split across replicas draws the dropout masks of the whole batch. */
typedef struct clcnn_step {
    int N;
    bool training;
    uint64_t seed, step, first_sample;
    uint32_t index; /* the node's index: keys its random streams */
} clcnn_step;

/* A node's device state: its parameters and their gradients (views into the trainer's
 * contiguous arenas) and the scratch its kind reserved. */
typedef struct clcnn_layer_state {
    const clcnn_node *node;
    clcnn_context *context;
    clcnn_buffer params[CLCNN_MAX_PARAMS], grads[CLCNN_MAX_PARAMS];
    clcnn_buffer scratch;
    clcnn_conv2d_keep conv2d; /* conv2d's padded tensors, kept from forward to backward */
    /* Set by the trainer where a node ending in a ReLU feeds only a node that gates_relu:
     * the consumer's backward applies the ReLU's derivative (gate_relu), the producer's
     * skips it (relu_gated). */
    bool gate_relu, relu_gated;
    /* Set by the trainer where a node whose kind fuses_relu feeds only a ReLU node (is_relu):
     * this node applies the ReLU and its derivative itself, and the ReLU node is an alias of
     * its output. */
    bool fused_relu;
    /* Set by the trainer where a node whose kind fuses_pool feeds only a max pooling that is
     * fusable_pool, and nothing needs its own output (its ReLU's derivative, if any, gated by
     * the pooling): this node's forward runs that pooling (clcnn_fused_pool) into the pooling
     * node's output and argmax, its own output may stay unwritten, and the pooling node's
     * forward does nothing. */
    const clcnn_node *pool_node;
    clcnn_buffer *pool_y, *pool_argmax;
} clcnn_layer_state;

struct clcnn_layer_kind {
    const char *name;       /* the model-file word, e.g. "conv2d" */
    const char *keras_name; /* "Conv2D", for the summary and default node names */
    const char *base_name;  /* Keras's node name stem, "conv2d" -> conv2d, conv2d_1, ... */
    int inputs;             /* 1, or 2 for add */
    const clcnn_keyword *keywords; /* ends with a NULL name */
    /* Checks the arguments against the input shapes and sets node->out and node->params.
     * Errors are one sentence without the file and line (the parser adds them). */
    clcnn_status (*infer)(clcnn_node *node, char *error, size_t error_size);
    /* true: the output is the input itself (flatten; a final softmax fused into the loss):
     * forward and backward do nothing and the trainer shares the input's buffers. */
    bool (*aliases)(const clcnn_node *node);
    /* Optional: true when the node applies a ReLU to its own output (activation=relu). */
    bool (*ends_in_relu)(const clcnn_node *node);
    /* Optional: true when the node is a ReLU of its input and nothing more, which a producer
     * that fuses_relu can take over. */
    bool (*is_relu)(const clcnn_node *node);
    /* Its forward can end in a ReLU and its backward start with the ReLU's derivative from its
     * own output (state->fused_relu): batch norm, whose passes read and write the tensor
     * anyway. */
    bool fuses_relu;
    /* Its backward can apply its input's ReLU derivative from its own output (max pooling:
     * each pooled value is the chosen input's), sparing the producer a pass over dy. */
    bool gates_relu;
    /* Optional: true when the node's forward can run a max pooling of its own output that
     * follows it (state->pool_node): conv2d whose activation is in its op (ReLU or none),
     * batch norm on images. Its backward must then not read its output y. */
    bool (*fuses_pool)(const clcnn_node *node);
    /* Optional: true when a producer that fuses_pool can run this node's forward (max
     * pooling, 2x2 at stride 2, unpadded); its argmax is then its scratch. */
    bool (*fusable_pool)(const clcnn_node *node);
    /* Optional: scratch for a batch of `batch` (pooling's argmax, GEMM workspace). */
    clcnn_status (*reserve)(clcnn_layer_state *state, int batch);
    clcnn_status (*forward)(clcnn_layer_state *state, const clcnn_step *step,
                            const clcnn_buffer *const x[CLCNN_MAX_INPUTS], clcnn_buffer *y);
    /* Writes every parameter gradient and dx[i] (when not NULL: the model's input needs no
     * gradient). dy may be changed in place (a fused activation's backward). When a tensor
     * feeds several nodes, the trainer hands all but one of them a scratch dx and sums. */
    clcnn_status (*backward)(clcnn_layer_state *state, const clcnn_step *step,
                             const clcnn_buffer *const x[CLCNN_MAX_INPUTS], const clcnn_buffer *y,
                             clcnn_buffer *dy, clcnn_buffer *const dx[CLCNN_MAX_INPUTS]);
};

/* A model (host/model.c): the input shape and the nodes in the order of the model text, so
 * every node's inputs come before it. */
#define CLCNN_MAX_NODES 256
struct clcnn_model {
    clcnn_shape input;
    clcnn_node nodes[CLCNN_MAX_NODES];
    int count;
    char train[512]; /* the train line's "key=value" words, space-separated; "" for none */
    clcnn_status status;
    char error[512];
};

/* Checks what only the whole graph shows: every node but the last feeds another, and the
 * model's input is used (and that no builder call failed). */
clcnn_status clcnn_model_validate(const clcnn_model *model);

/* The registry (registry.c): every kind, and the one a model-file word names. */
extern const clcnn_layer_kind *const clcnn_layer_kinds[];
const clcnn_layer_kind *clcnn_layer_kind_find(const char *name);

/* Fused activations shared by the kinds that take activation=: in place on y after the
 * forward op, and on dy before the backward ops. NONE and SOFTMAX (fused into the loss) do
 * nothing. */
clcnn_status clcnn_layer_activate(clcnn_layer_state *state, clcnn_activation activation,
                                  int count, clcnn_buffer *y);
clcnn_status clcnn_layer_deactivate(clcnn_layer_state *state, clcnn_activation activation,
                                    int count, const clcnn_buffer *y, clcnn_buffer *dy);

/* Pooling windows (layer.c), shared by maxpool2d, avgpool2d and global_avgpool2d: Keras's
 * pool (2), stride (= pool, written as 0 until inferred) and padding (valid) keywords, the
 * output shape, and the op's shape. args.pool 0 means one window over the whole plane. */
extern const clcnn_keyword clcnn_pool_keywords[];
clcnn_status clcnn_pool_infer(clcnn_node *node, char *error, size_t size);
clcnn_status clcnn_pool_shape(const clcnn_node *node, int N, clcnn_pool2d_shape *shape);

/* avgpool2d's passes (host/layers/avgpool2d.c), which global_avgpool2d shares. */
clcnn_status clcnn_avgpool_forward(clcnn_layer_state *state, const clcnn_step *step,
                                   const clcnn_buffer *const x[CLCNN_MAX_INPUTS], clcnn_buffer *y);
clcnn_status clcnn_avgpool_backward(clcnn_layer_state *state, const clcnn_step *step,
                                    const clcnn_buffer *const x[CLCNN_MAX_INPUTS],
                                    const clcnn_buffer *y, clcnn_buffer *dy,
                                    clcnn_buffer *const dx[CLCNN_MAX_INPUTS]);

/* A kernel tensor initialised as Keras's default glorot_uniform, and a zero bias. */
clcnn_param_spec clcnn_param_kernel(size_t count, double fan_in, double fan_out);
clcnn_param_spec clcnn_param_bias(size_t count);

#endif
