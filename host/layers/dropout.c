/* dropout: Keras's Dropout, active only while training. The mask of an element is keyed by
 * (seed, step, node, global element index): see cl/dropout.cl. */
#include <stddef.h>

#include "layer.h"

#define ARG(field) offsetof(clcnn_layer_args, field)
static const clcnn_keyword keywords[] = {
    {"rate", CLCNN_KEYWORD_FLOAT, ARG(rate), NULL, 0.0, 0.999999},
    {NULL, 0, 0, NULL, 0, 0}};

static clcnn_status infer(clcnn_node *node, char *error, size_t size)
{
    (void)error, (void)size;
    node->out = node->in[0];
    return CLCNN_OK;
}

static clcnn_dropout_params params_of(const clcnn_layer_state *state, const clcnn_step *step)
{
    size_t per_sample = clcnn_shape_count(state->node->out);
    return (clcnn_dropout_params){.count = step->N * (int)per_sample,
                                  .first = (uint32_t)(step->first_sample * per_sample),
                                  .rate = state->node->args.rate, .seed = step->seed,
                                  .step = step->step, .layer = step->index};
}

static clcnn_status forward(clcnn_layer_state *state, const clcnn_step *step,
                            const clcnn_buffer *const x[], clcnn_buffer *y)
{
    const clcnn_dropout_params params = params_of(state, step);
    if (!step->training)
        return clcnn_buffer_copy(state->context, x[0], y, (size_t)params.count * sizeof(float));
    return clcnn_dropout_forward(state->context, &params, x[0], y);
}

static clcnn_status backward(clcnn_layer_state *state, const clcnn_step *step,
                             const clcnn_buffer *const x[], const clcnn_buffer *y, clcnn_buffer *dy,
                             clcnn_buffer *const dx[])
{
    (void)x, (void)y;
    if (!dx[0])
        return CLCNN_OK;
    const clcnn_dropout_params params = params_of(state, step);
    return clcnn_dropout_backward(state->context, &params, dy, dx[0]);
}

const clcnn_layer_kind clcnn_layer_dropout = {
    .name = "dropout", .keras_name = "Dropout", .base_name = "dropout", .inputs = 1,
    .keywords = keywords, .infer = infer, .forward = forward, .backward = backward};
