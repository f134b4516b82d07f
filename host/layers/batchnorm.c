/* batchnorm: Keras's BatchNormalization over the channels. x, y: [N, C, H, W], or [N, C] after
 * a dense layer. Parameters in Keras's order: gamma and beta (trainable), moving_mean and
 * moving_variance (kept in checkpoints, never touched by the optimizer). Training normalises
 * with the batch's statistics and updates the moving ones; validation, evaluation and
 * prediction normalise with the moving ones. Its scratch holds the statistics the forward
 * used, [2, C], for the backward. A ReLU that follows it alone is fused in (fused_relu):
 * y = max(bn(x), 0), and the backward applies its derivative from y unless a max pool after
 * it already did (relu_gated). */
#include <stddef.h>

#include "layer.h"

#define ARG(field) offsetof(clcnn_layer_args, field)
static const clcnn_keyword keywords[] = {
    {"momentum", CLCNN_KEYWORD_FLOAT, ARG(momentum), "0.99", 0.0, 1.0},
    {"epsilon", CLCNN_KEYWORD_FLOAT, ARG(epsilon), "0.001", 1e-12, 1.0},
    {NULL, 0, 0, NULL, 0, 0}};

enum { GAMMA, BETA, MOVING_MEAN, MOVING_VARIANCE };

static clcnn_status infer(clcnn_node *node, char *error, size_t size)
{
    (void)error, (void)size;
    const clcnn_shape in = node->in[0];
    const size_t C = (size_t)in.c;
    node->out = in;
    node->param_count = 4;
    /* none decayed: shrinking gamma and beta would fight the normalisation */
    node->params[GAMMA] = (clcnn_param_spec){"gamma", C, CLCNN_INIT_ONES, 0, 0, true, false};
    node->params[BETA] = (clcnn_param_spec){"beta", C, CLCNN_INIT_ZEROS, 0, 0, true, false};
    node->params[MOVING_MEAN] =
        (clcnn_param_spec){"moving_mean", C, CLCNN_INIT_ZEROS, 0, 0, false, false};
    node->params[MOVING_VARIANCE] =
        (clcnn_param_spec){"moving_variance", C, CLCNN_INIT_ONES, 0, 0, false, false};
    return CLCNN_OK;
}

/* relu: whether this pass applies the fused ReLU (forward) or its derivative (backward) */
static clcnn_batchnorm_shape shape_of(const clcnn_node *node, int N, bool relu)
{
    const clcnn_shape in = node->in[0];
    return (clcnn_batchnorm_shape){N, in.c, in.h * in.w, node->args.momentum, node->args.epsilon,
                                   relu};
}

static clcnn_status reserve(clcnn_layer_state *state, int batch)
{
    (void)batch;
    return clcnn_buffer_create(state->context, 2 * (size_t)state->node->in[0].c * sizeof(float),
                               &state->scratch);
}

static clcnn_status forward(clcnn_layer_state *state, const clcnn_step *step,
                            const clcnn_buffer *const x[], clcnn_buffer *y)
{
    const clcnn_batchnorm_shape shape = shape_of(state->node, step->N, state->fused_relu);
    clcnn_buffer *p = state->params;
    /* the max pooling that follows, where the trainer fused it (y is then scratch) */
    clcnn_fused_pool pool;
    if (state->pool_node) {
        CLCNN_TRY(clcnn_pool_shape(state->pool_node, step->N, &pool.shape));
        pool.y = state->pool_y;
        pool.argmax = state->pool_argmax;
    }
    return clcnn_batchnorm_forward(state->context, &shape, step->training, x[0], &p[GAMMA],
                                   &p[BETA], &p[MOVING_MEAN], &p[MOVING_VARIANCE],
                                   &state->scratch, y, state->pool_node ? &pool : NULL);
}

static clcnn_status backward(clcnn_layer_state *state, const clcnn_step *step,
                             const clcnn_buffer *const x[], const clcnn_buffer *y, clcnn_buffer *dy,
                             clcnn_buffer *const dx[])
{
    const clcnn_batchnorm_shape shape =
        shape_of(state->node, step->N, state->fused_relu && !state->relu_gated);
    return clcnn_batchnorm_backward(state->context, &shape, x[0], y, &state->params[GAMMA],
                                    &state->scratch, dy, &state->grads[GAMMA],
                                    &state->grads[BETA], dx[0]);
}

/* its forward pools what it would write (the fused ReLU applied first); its backward reads y
 * only for that ReLU's derivative, which the pooling then gates */
static bool fuses_pool(const clcnn_node *node)
{
    return !node->in[0].flat;
}

const clcnn_layer_kind clcnn_layer_batchnorm = {
    .name = "batchnorm", .keras_name = "BatchNormalization", .base_name = "batch_normalization",
    .inputs = 1, .keywords = keywords, .infer = infer, .fuses_relu = true,
    .fuses_pool = fuses_pool, .reserve = reserve, .forward = forward, .backward = backward};
