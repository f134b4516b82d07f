/* Training and evaluation (include/clcnn/train.h): a graph executor over the model's nodes.
 *
 * Each node that is not an alias owns its output y and gradient dy, both [batch, out] NCHW,
 * allocated once for the full batch (a short last batch uses the first N rows). An alias
 * (flatten, a final softmax, a ReLU fused into the batch norm before it) shares its input's.
 * A 2x2 max pooling whose producer runs it in its own pass (plan_pool_fusion) does nothing in
 * its forward, and that producer's y is then scratch that nothing reads. Parameters, their gradients and Adam's m and v each live in one contiguous arena; a node's
 * tensors are views into them, so the optimizer is one launch and replicas exchange one block
 * of gradients. The final softmax is fused into the loss: the last node's y holds logits and
 * its dy receives (softmax - onehot) / N.
 *
 * Backward walks the nodes in reverse. A tensor that feeds several nodes gets the sum of
 * their gradients: the consumer that runs first writes it, the others write a scratch
 * buffer that is then added (the ops overwrite their outputs, which is cheaper than
 * accumulating in the common case of one consumer). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/trainer.h"

clcnn_train_options clcnn_train_defaults(void)
{
    return (clcnn_train_options){.batch_size = 64, .learning_rate = 1e-3, .beta1 = 0.9,
                                 .beta2 = 0.999, .epsilon = 1e-7, .seed = 0};
}

double clcnn_learning_rate_at(const clcnn_train_options *o, uint64_t step)
{
    const double lr = o->learning_rate, t = (double)step;
    const double total = o->total_steps > 0 ? (double)o->total_steps : 1.0;
    if (o->schedule == CLCNN_SCHEDULE_ONECYCLE) {
        double warmup = o->warmup_steps > 0 ? (double)o->warmup_steps : floor(0.2 * total);
        if (t < warmup)
            return lr / 10 + (lr - lr / 10) * t / warmup;
        return t >= total ? 0.0 : lr * (total - t) / (total - warmup);
    }
    double value = lr;
    if (o->schedule == CLCNN_SCHEDULE_STEP)
        value = t >= 0.75 * total ? lr / 100 : t >= 0.5 * total ? lr / 10 : lr;
    else if (o->schedule == CLCNN_SCHEDULE_COSINE)
        value = t >= total ? 0.0 : lr * (1 + cos(M_PI * t / total)) / 2;
    if (t < (double)o->warmup_steps)
        value *= (t + 1) / (double)o->warmup_steps;
    return value;
}

uint64_t clcnn_trainer_steps(const clcnn_trainer *t) { return t->steps; }
const clcnn_model *clcnn_trainer_model(const clcnn_trainer *t) { return t->model; }
const clcnn_train_options *clcnn_trainer_options(const clcnn_trainer *t) { return &t->options; }
size_t clcnn_trainer_gradient_count(const clcnn_trainer *t) { return t->trainable_floats; }

/* Node i's k-th input: the model's input buffer or an earlier node's output. */
static const clcnn_buffer *input_of(const clcnn_trainer *t, int node, int k)
{
    int source = t->model->nodes[node].inputs[k];
    return source < 0 ? &t->input : t->nodes[source].y;
}

static const clcnn_node *node_of(const clcnn_trainer *t, int i) { return &t->model->nodes[i]; }

static size_t batch_count(const clcnn_trainer *t, clcnn_shape shape)
{
    return (size_t)t->options.batch_size * clcnn_shape_count(shape);
}

static bool augmenting(const clcnn_trainer *t)
{
    return t->options.augment_pad > 0 || t->options.augment_mirror;
}

/* ---- set-up --------------------------------------------------------------------------------- */

static clcnn_status check_options(const clcnn_model *model, const clcnn_train_options *o)
{
    CLCNN_TRY(clcnn_model_validate(model));
    const clcnn_node *last = &model->nodes[model->count - 1];
    if (last->args.activation != CLCNN_ACTIVATION_SOFTMAX)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "the model must end in softmax (its last layer, %s, does not): training "
                          "minimises sparse categorical cross-entropy", last->name);
    if (o->batch_size <= 0 || o->batch_size > 65536)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "batch size %d: expected 1 to 65536",
                          o->batch_size);
    if (!(o->learning_rate > 0) || !(o->beta1 >= 0 && o->beta1 < 1) ||
        !(o->beta2 >= 0 && o->beta2 < 1) || !(o->epsilon > 0))
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "Adam needs lr > 0, 0 <= beta1, beta2 < 1 and epsilon > 0");
    if (o->optimizer != CLCNN_OPTIMIZER_ADAM && o->optimizer != CLCNN_OPTIMIZER_SGD)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "optimizer %d: expected Adam or SGD",
                          (int)o->optimizer);
    if (o->schedule < CLCNN_SCHEDULE_CONSTANT || o->schedule > CLCNN_SCHEDULE_ONECYCLE ||
        (o->schedule != CLCNN_SCHEDULE_CONSTANT && o->total_steps == 0))
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "schedule %d needs total_steps, the run's steps", (int)o->schedule);
    const clcnn_shape in = model->input;
    if (o->augment_pad < 0 || ((o->augment_pad > 0 || o->augment_mirror) &&
                               (in.flat || o->augment_pad >= in.h || o->augment_pad >= in.w)))
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "augmentation: crop padding %d needs images larger than it (the input "
                          "is %dx%d%s)", o->augment_pad, in.h, in.w, in.flat ? ", flat" : "");
    if (!(o->label_smoothing >= 0 && o->label_smoothing < 1))
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "label smoothing %g: expected a number from 0 to below 1",
                          o->label_smoothing);
    if (!(o->momentum >= 0 && o->momentum < 1) || !(o->weight_decay >= 0 && o->weight_decay < 1))
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "momentum %g and weight decay %g: expected each from 0 to below 1",
                          o->momentum, o->weight_decay);
    return CLCNN_OK;
}

/* A ReLU node whose input comes from a node that fuses_relu and feeds nothing else: that
 * producer applies it, and the ReLU node becomes an alias of its output. */
static bool fuses_into_producer(const clcnn_trainer *t, int i, const int *consumers)
{
    const clcnn_node *node = node_of(t, i);
    const int source = node->inputs[0];
    return node->kind->is_relu && node->kind->is_relu(node) && source >= 0 &&
           !t->nodes[source].alias && node_of(t, source)->kind->fuses_relu &&
           consumers[source] == 1;
}

/* Storage owners and gradient routes (see the top of the file). */
static void plan_routes(clcnn_trainer *t)
{
    int last_edge_node[CLCNN_MAX_NODES], last_edge_input[CLCNN_MAX_NODES];
    int consumers[CLCNN_MAX_NODES] = {0}; /* the nodes reading each node's output */
    for (int i = 0; i < t->count; i++)
        for (int k = 0; k < node_of(t, i)->kind->inputs; k++)
            if (node_of(t, i)->inputs[k] >= 0)
                consumers[node_of(t, i)->inputs[k]]++;
    for (int i = 0; i < t->count; i++) {
        node_state *s = &t->nodes[i];
        const clcnn_node *node = node_of(t, i);
        s->fused_relu = fuses_into_producer(t, i, consumers);
        s->alias = s->fused_relu || (node->kind->aliases && node->kind->aliases(node));
        int source = node->inputs[0];
        s->storage = !s->alias ? i : source < 0 ? -1 : t->nodes[source].storage;
        last_edge_node[i] = -1;
    }
    for (int i = 0; i < t->count; i++)
        for (int k = 0; !t->nodes[i].alias && k < node_of(t, i)->kind->inputs; k++) {
            int source = node_of(t, i)->inputs[k];
            int storage = source < 0 ? -1 : t->nodes[source].storage;
            if (storage >= 0) {
                last_edge_node[storage] = i;
                last_edge_input[storage] = k;
            }
        }
    for (int i = 0; i < t->count; i++)
        for (int k = 0; k < CLCNN_MAX_INPUTS; k++) {
            int source = k < node_of(t, i)->kind->inputs ? node_of(t, i)->inputs[k] : -1;
            int storage = source < 0 ? -1 : t->nodes[source].storage;
            t->nodes[i].route[k] = t->nodes[i].alias || storage < 0 ? ROUTE_NONE
                                   : last_edge_node[storage] == i && last_edge_input[storage] == k
                                       ? ROUTE_DIRECT
                                       : ROUTE_SUM;
        }
}

/* The layer states' ReLU flags. A producer of a fused ReLU applies it (plan_routes chose
 * them). A node that ends in a ReLU (its own or a fused one) and whose output feeds only one
 * node, which gates_relu: that consumer's backward applies the ReLU's derivative, and the
 * producer's skips its own pass over dy. */
static void plan_relu_fusion(clcnn_trainer *t)
{
    for (int i = 0; i < t->count; i++)
        if (t->nodes[i].fused_relu)
            t->nodes[node_of(t, i)->inputs[0]].layer.fused_relu = true;
    for (int i = 0; i < t->count; i++) {
        const clcnn_node *node = node_of(t, i);
        int source = node->inputs[0];
        if (!node->kind->gates_relu || t->nodes[i].alias || source < 0)
            continue;
        const int owner = t->nodes[source].storage; /* through a fused ReLU to its producer */
        if (t->nodes[source].alias && !t->nodes[source].fused_relu)
            continue;
        const clcnn_node *producer = node_of(t, owner);
        if (!t->nodes[owner].layer.fused_relu &&
            (!producer->kind->ends_in_relu || !producer->kind->ends_in_relu(producer)))
            continue;
        int consumers = 0; /* nodes that read the owner's output, aliases passing it on aside */
        for (int j = 0; j < t->count; j++)
            for (int k = 0; !t->nodes[j].alias && k < node_of(t, j)->kind->inputs; k++)
                consumers += node_of(t, j)->inputs[k] >= 0 &&
                             t->nodes[node_of(t, j)->inputs[k]].storage == owner;
        if (consumers != 1)
            continue;
        t->nodes[i].layer.gate_relu = true;
        t->nodes[owner].layer.relu_gated = true;
    }
}

/* A max pooling that is fusable_pool, the only reader of a node whose kind fuses_pool (directly
 * or through the ReLU fused into it) and whose ReLU, if it ends in one, that pooling gates
 * (plan_relu_fusion): the producer's forward runs the pooling, its own output is left as
 * scratch (nothing reads it: not its backward, not another node), and the pooling's forward
 * does nothing. */
static void plan_pool_fusion(clcnn_trainer *t)
{
    int readers[CLCNN_MAX_NODES] = {0}; /* of each storage owner's output, aliases aside */
    for (int i = 0; i < t->count; i++)
        for (int k = 0; !t->nodes[i].alias && k < node_of(t, i)->kind->inputs; k++)
            if (node_of(t, i)->inputs[k] >= 0 && t->nodes[node_of(t, i)->inputs[k]].storage >= 0)
                readers[t->nodes[node_of(t, i)->inputs[k]].storage]++;
    for (int i = 0; i < t->count; i++) {
        const clcnn_node *node = node_of(t, i);
        const int source = node->inputs[0];
        if (t->nodes[i].alias || !node->kind->fusable_pool || !node->kind->fusable_pool(node) ||
            source < 0 || (t->nodes[source].alias && !t->nodes[source].fused_relu))
            continue;
        const int owner = t->nodes[source].storage; /* through a fused ReLU to its producer */
        if (owner < 0 || readers[owner] != 1)
            continue;
        const clcnn_node *producer = node_of(t, owner);
        clcnn_layer_state *state = &t->nodes[owner].layer;
        const bool relu = state->fused_relu ||
                          (producer->kind->ends_in_relu && producer->kind->ends_in_relu(producer));
        if (!producer->kind->fuses_pool || !producer->kind->fuses_pool(producer) ||
            (relu && !state->relu_gated))
            continue;
        state->pool_node = node;
        state->pool_y = t->nodes[i].y;
        state->pool_argmax = &t->nodes[i].layer.scratch;
        t->nodes[i].pooled_by_producer = true;
        t->nodes[owner].y_unwritten = true;
    }
}

/* Places every parameter tensor in the arenas, each at an offset the device can make a view
 * at: trainable ones first (the optimizer runs over one range), and of those the ones weight
 * decay applies to first (the decay runs over the start of that range). */
static void plan_arenas(clcnn_trainer *t)
{
    size_t align = clcnn_buffer_alignment(t->context) / sizeof(float), at = 0;
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < t->count; i++) {
            const clcnn_node *node = node_of(t, i);
            for (int p = 0; p < node->param_count; p++) {
                const clcnn_param_spec *spec = &node->params[p];
                int place = !spec->trainable ? 2 : spec->decayed ? 0 : 1;
                if (place != pass)
                    continue;
                t->nodes[i].offset[p] = at;
                at += (spec->count + align - 1) / align * align;
            }
        }
        if (pass == 0)
            t->decayed_floats = at;
        if (pass == 1)
            t->trainable_floats = at;
    }
    t->arena_floats = at;
}

static clcnn_status check_memory(const clcnn_trainer *t)
{
    const clcnn_device_info *device = &t->context->device;
    /* the reference path's "device memory" is the host's */
    double available = device->is_reference
                           ? (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE)
                           : (double)device->global_mem_bytes;
    if (available <= 0)
        return CLCNN_OK;
    size_t per_sample = (augmenting(t) ? 2 : 1) * t->input_count * sizeof(float) + 6 * sizeof(int32_t);
    for (int i = 0; i < t->count; i++)
        if (!t->nodes[i].alias)
            per_sample += 2 * clcnn_shape_count(node_of(t, i)->out) * sizeof(float);
    double fixed = (double)(t->arena_floats + 3 * t->trainable_floats) * sizeof(float);
    double needed = fixed + (double)per_sample * t->options.batch_size;
    if (needed <= available)
        return CLCNN_OK;
    double largest = (available - fixed) / (double)per_sample;
    return clcnn_fail(CLCNN_ERROR_ALLOCATION,
                      "batch %d needs about %.2f GiB of device memory (%.1f MiB a sample for "
                      "activations and their gradients, %.1f MiB for parameters and Adam's "
                      "moments), more than the %.2f GiB device '%s' has; the largest batch that "
                      "fits is about %.0f",
                      t->options.batch_size, needed / 1073741824.0, per_sample / 1048576.0,
                      fixed / 1048576.0, available / 1073741824.0, device->name,
                      largest > 0 ? largest : 0.0);
}

static clcnn_status allocate(clcnn_trainer *t)
{
    clcnn_context *c = t->context;
    size_t batch = (size_t)t->options.batch_size;
    CLCNN_TRY(clcnn_buffer_create(c, batch * t->input_count * sizeof(float), &t->input));
    CLCNN_TRY(clcnn_buffer_create(c, batch * sizeof(int32_t), &t->labels));
    if (augmenting(t)) {
        CLCNN_TRY(clcnn_buffer_create(c, batch * t->input_count * sizeof(float), &t->raw_input));
        CLCNN_TRY(clcnn_buffer_create(c, 3 * batch * sizeof(int32_t), &t->moves));
        t->moves_host = calloc(3 * batch, sizeof(int32_t));
        if (!t->moves_host)
            return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory creating a trainer");
    }
    CLCNN_TRY(clcnn_buffer_create(c, batch * sizeof(float), &t->loss));
    CLCNN_TRY(clcnn_buffer_create(c, batch * sizeof(int32_t), &t->predictions));
    CLCNN_TRY(clcnn_buffer_create(c, 3 * sizeof(float), &t->totals));
    clcnn_buffer *arenas[] = {&t->values, &t->grads, &t->m, &t->v};
    for (int a = 0; a < 4; a++)
        CLCNN_TRY(clcnn_buffer_create(c, (a == 0 ? t->arena_floats : t->trainable_floats) *
                                             sizeof(float), arenas[a]));
    size_t sum_floats[CLCNN_MAX_INPUTS] = {0, 0};
    for (int i = 0; i < t->count; i++) {
        node_state *s = &t->nodes[i];
        const clcnn_node *node = node_of(t, i);
        s->layer = (clcnn_layer_state){.node = node, .context = c};
        for (int p = 0; p < node->param_count; p++) {
            size_t bytes = node->params[p].count * sizeof(float), offset = s->offset[p] * sizeof(float);
            CLCNN_TRY(clcnn_buffer_view(c, &t->values, offset, bytes, &s->layer.params[p]));
            if (node->params[p].trainable)
                CLCNN_TRY(clcnn_buffer_view(c, &t->grads, offset, bytes, &s->layer.grads[p]));
        }
        if (s->alias) {
            s->y = s->storage < 0 ? &t->input : &t->nodes[s->storage].own_y;
            s->dy = s->storage < 0 ? NULL : &t->nodes[s->storage].own_dy;
        } else {
            CLCNN_TRY(clcnn_buffer_create(c, batch_count(t, node->out) * sizeof(float), &s->own_y));
            CLCNN_TRY(clcnn_buffer_create(c, batch_count(t, node->out) * sizeof(float), &s->own_dy));
            s->y = &s->own_y;
            s->dy = &s->own_dy;
        }
        if (node->kind->reserve)
            CLCNN_TRY(node->kind->reserve(&s->layer, t->options.batch_size));
        for (int k = 0; k < CLCNN_MAX_INPUTS; k++)
            if (s->route[k] == ROUTE_SUM && batch_count(t, node->in[k]) > sum_floats[k])
                sum_floats[k] = batch_count(t, node->in[k]);
    }
    for (int k = 0; k < CLCNN_MAX_INPUTS; k++)
        if (sum_floats[k])
            CLCNN_TRY(clcnn_buffer_create(c, sum_floats[k] * sizeof(float), &t->sum_scratch[k]));
    plan_relu_fusion(t);
    plan_pool_fusion(t);
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_create(clcnn_context *context, const clcnn_model *model,
                                  const clcnn_train_options *options, clcnn_trainer **out)
{
    *out = NULL;
    CLCNN_TRY(check_options(model, options));
    clcnn_trainer *t = calloc(1, sizeof *t);
    node_state *nodes = calloc((size_t)model->count, sizeof *nodes);
    if (!t || !nodes) {
        free(t);
        free(nodes);
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory creating a trainer");
    }
    *t = (clcnn_trainer){.context = context, .model = model, .options = *options,
                         .classes = clcnn_model_output_count(model),
                         .input_count = clcnn_shape_count(model->input), .nodes = nodes,
                         .count = model->count};
    plan_routes(t);
    plan_arenas(t);
    clcnn_status status = t->nodes[t->count - 1].storage >= 0
                              ? CLCNN_OK
                              : clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                                           "the model computes nothing: its last layer is its input");
    if (status == CLCNN_OK)
        status = check_memory(t);
    if (status == CLCNN_OK)
        status = allocate(t);
    if (status == CLCNN_OK)
        status = clcnn_context_build_all(context);
    if (status == CLCNN_OK)
        status = clcnn_trainer_initialize(t);
    if (status != CLCNN_OK) {
        clcnn_trainer_destroy(t);
        return status;
    }
    *out = t;
    return CLCNN_OK;
}

void clcnn_trainer_destroy(clcnn_trainer *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->count; i++) {
        node_state *s = &t->nodes[i];
        for (int p = 0; p < CLCNN_MAX_PARAMS; p++) {
            clcnn_buffer_release(&s->layer.params[p]);
            clcnn_buffer_release(&s->layer.grads[p]);
        }
        clcnn_buffer_release(&s->layer.scratch);
        clcnn_conv2d_keep_release(&s->layer.conv2d);
        clcnn_buffer_release(&s->own_y);
        clcnn_buffer_release(&s->own_dy);
    }
    clcnn_buffer *owned[] = {&t->input,  &t->labels, &t->loss,           &t->totals,
                             &t->predictions, &t->values, &t->grads, &t->m, &t->v,
                             &t->sum_scratch[0], &t->sum_scratch[1], &t->raw_input, &t->moves};
    for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++)
        clcnn_buffer_release(owned[k]);
    clcnn_resident_release(t->context, &t->resident);
    free(t->moves_host);
    free(t->nodes);
    free(t);
}

/* ---- initialisation ----------------------------------------------------------------------- */

/* Uniform in [-limit, limit) from Philox(counter = {index, layer, purpose, 0}, key = seed). */
static float philox_uniform(uint64_t seed, uint32_t layer, uint32_t purpose, uint32_t index,
                            float limit)
{
    const uint32_t counter[4] = {index, layer, purpose, 0};
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t bits[4];
    clcnn_philox4x32_10(counter, key, bits);
    double unit = (double)(bits[0] >> 8) * 0x1p-24;
    return (float)((2.0 * unit - 1.0) * limit);
}

#define PURPOSE_GLOROT 0x61000001u /* + the tensor's index in its layer */
#define PURPOSE_SHUFFLE 0x5f000002u

clcnn_status clcnn_trainer_initialize(clcnn_trainer *t)
{
    float *values = calloc(t->arena_floats + 1, sizeof(float));
    if (!values)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory initialising the weights");
    for (int i = 0; i < t->count; i++) {
        const clcnn_node *node = node_of(t, i);
        for (int p = 0; p < node->param_count; p++) {
            const clcnn_param_spec *spec = &node->params[p];
            float *tensor = values + t->nodes[i].offset[p];
            float limit = (float)sqrt(6.0 / (spec->fan_in + spec->fan_out));
            for (size_t k = 0; k < spec->count; k++)
                tensor[k] = spec->init == CLCNN_INIT_ONES ? 1.0f
                            : spec->init == CLCNN_INIT_ZEROS
                                ? 0.0f
                                : philox_uniform(t->options.seed, (uint32_t)i,
                                                 PURPOSE_GLOROT + (uint32_t)p, (uint32_t)k, limit);
        }
    }
    size_t trainable_bytes = t->trainable_floats * sizeof(float);
    clcnn_status status = clcnn_buffer_write(t->context, &t->values, 0, values,
                                             t->arena_floats * sizeof(float));
    memset(values, 0, trainable_bytes);
    clcnn_buffer *zeroed[] = {&t->grads, &t->m, &t->v};
    for (int k = 0; status == CLCNN_OK && k < 3 && trainable_bytes; k++)
        status = clcnn_buffer_write(t->context, zeroed[k], 0, values, trainable_bytes);
    free(values);
    t->steps = 0;
    return status;
}

void clcnn_shuffle(uint64_t seed, uint64_t epoch, int32_t *indices, int count)
{
    for (int i = 0; i < count; i++)
        indices[i] = i;
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    for (int i = count - 1; i > 0; i--) {
        const uint32_t counter[4] = {(uint32_t)i, (uint32_t)epoch, PURPOSE_SHUFFLE,
                                     (uint32_t)(epoch >> 32)};
        uint32_t bits[4];
        clcnn_philox4x32_10(counter, key, bits);
        uint64_t random = ((uint64_t)bits[0] << 32) | bits[1];
        int j = (int)(random % (uint64_t)(i + 1));
        int32_t swap = indices[i];
        indices[i] = indices[j];
        indices[j] = swap;
    }
}

/* ---- forward, loss, backward, update -------------------------------------------------------- */

/* The batch into `into`: the input, or the raw images that augmentation moves into it. */
static clcnn_status upload_batch(clcnn_trainer *t, const float *x, const int32_t *labels, int count,
                                 clcnn_buffer *into)
{
    if (count <= 0 || count > t->options.batch_size)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "a batch of %d samples: expected 1 to %d",
                          count, t->options.batch_size);
    CLCNN_TRY(clcnn_buffer_write(t->context, into, 0, x,
                                 (size_t)count * t->input_count * sizeof(float)));
    return clcnn_buffer_write(t->context, &t->labels, 0, labels, (size_t)count * sizeof(int32_t));
}

static clcnn_step step_of(const clcnn_trainer *t, int N, bool training, uint64_t first_sample,
                          int node)
{
    return (clcnn_step){.N = N, .training = training, .seed = t->options.seed, .step = t->steps,
                        .first_sample = first_sample, .index = (uint32_t)node};
}

const clcnn_buffer *clcnn_trainer_input_of(const clcnn_trainer *t, int node, int k)
{
    return input_of(t, node, k);
}

clcnn_status clcnn_trainer_forward_node(clcnn_trainer *t, int i, int N, bool training,
                                        uint64_t first_sample)
{
    node_state *s = &t->nodes[i];
    if (s->alias || s->pooled_by_producer)
        return CLCNN_OK;
    const clcnn_node *node = node_of(t, i);
    const clcnn_buffer *x[CLCNN_MAX_INPUTS] = {NULL, NULL};
    for (int k = 0; k < node->kind->inputs; k++)
        x[k] = input_of(t, i, k);
    const clcnn_step step = step_of(t, N, training, first_sample, i);
    uint64_t begin = clcnn_trace_begin(t->context);
    CLCNN_TRY(node->kind->forward(&s->layer, &step, x, s->y));
    clcnn_trace_end(t->context, begin, training ? t->steps + 1 : 0, "forward %s", node->name);
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_backward_node(clcnn_trainer *t, int i, int N, uint64_t first_sample)
{
    node_state *s = &t->nodes[i];
    if (s->alias)
        return CLCNN_OK;
    const clcnn_node *node = node_of(t, i);
    const clcnn_buffer *x[CLCNN_MAX_INPUTS] = {NULL, NULL};
    clcnn_buffer *dx[CLCNN_MAX_INPUTS] = {NULL, NULL}, *target[CLCNN_MAX_INPUTS] = {NULL, NULL};
    for (int k = 0; k < node->kind->inputs; k++) {
        x[k] = input_of(t, i, k);
        if (s->route[k] != ROUTE_NONE)
            target[k] = t->nodes[t->nodes[node->inputs[k]].storage].dy;
        dx[k] = s->route[k] == ROUTE_SUM ? &t->sum_scratch[k] : target[k];
    }
    const clcnn_step step = step_of(t, N, true, first_sample, i);
    uint64_t begin = clcnn_trace_begin(t->context);
    CLCNN_TRY(node->kind->backward(&s->layer, &step, x, s->y, s->dy, dx));
    for (int k = 0; k < node->kind->inputs; k++)
        if (s->route[k] == ROUTE_SUM)
            CLCNN_TRY(clcnn_add(t->context, N * (int)clcnn_shape_count(node->in[k]), target[k],
                                &t->sum_scratch[k], target[k]));
    clcnn_trace_end(t->context, begin, t->steps + 1, "backward %s", node->name);
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_forward(clcnn_trainer *t, int N, bool training, uint64_t first_sample)
{
    for (int i = 0; i < t->count; i++)
        CLCNN_TRY(clcnn_trainer_forward_node(t, i, N, training, first_sample));
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_backward(clcnn_trainer *t, int N, uint64_t first_sample)
{
    for (int i = t->count - 1; i >= 0; i--)
        CLCNN_TRY(clcnn_trainer_backward_node(t, i, N, first_sample));
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_apply(clcnn_trainer *t)
{
    uint64_t begin = clcnn_trace_begin(t->context);
    const clcnn_train_options *o = &t->options;
    const double lr = clcnn_learning_rate_at(o, t->steps);
    const clcnn_decay decay = {(float)(lr * o->weight_decay), (int)t->decayed_floats};
    const bool adam = o->optimizer == CLCNN_OPTIMIZER_ADAM;
    if (t->trainable_floats && adam) {
        const clcnn_adam_step step = {
            clcnn_adam_alpha(lr, o->beta1, o->beta2, t->steps + 1), (float)o->beta1,
            (float)o->beta2, (float)o->epsilon};
        CLCNN_TRY(clcnn_adam_update(t->context, &step, &decay, (int)t->trainable_floats,
                                    &t->values, &t->grads, &t->m, &t->v));
    } else if (t->trainable_floats) {
        /* the velocity lives in m's arena; v's stays zero */
        const clcnn_sgd_step step = {(float)lr, (float)o->momentum, o->nesterov};
        CLCNN_TRY(clcnn_sgd_update(t->context, &step, &decay, (int)t->trainable_floats,
                                   &t->values, &t->grads, &t->m));
    }
    t->steps++;
    clcnn_trace_end(t->context, begin, t->steps, "%s update", adam ? "adam" : "sgd");
    return CLCNN_OK;
}

/* The first tensor holding NaN or Inf, in the order the values flowed: each node's
 * parameters, then its output. Reads back every tensor: only ever called once training has
 * failed. */
clcnn_status clcnn_trainer_find_non_finite(clcnn_trainer *t, int N, char *where, size_t size)
{
    for (int i = 0; i < t->count; i++) {
        node_state *s = &t->nodes[i];
        const clcnn_node *node = node_of(t, i);
        for (int p = 0; p <= node->param_count; p++) {
            bool output = p == node->param_count;
            if (output && (s->alias || s->y_unwritten))
                continue;
            size_t count = output ? (size_t)N * clcnn_shape_count(node->out) : node->params[p].count;
            const clcnn_buffer *buffer = output ? s->y : &s->layer.params[p];
            float *values = malloc(count * sizeof(float));
            if (!values)
                return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
            clcnn_status status = clcnn_buffer_read(t->context, buffer, 0, values, count * sizeof(float));
            size_t bad = count;
            for (size_t e = 0; status == CLCNN_OK && e < count && bad == count; e++)
                if (!isfinite(values[e]))
                    bad = e;
            float value = bad < count ? values[bad] : 0.0f;
            free(values);
            CLCNN_TRY(status);
            if (bad < count) {
                snprintf(where, size, "layer %s, %s, element %zu is %s", node->name,
                         output ? "output y" : node->params[p].name, bad,
                         isnan(value) ? "NaN" : "infinite");
                return CLCNN_OK;
            }
        }
    }
    snprintf(where, size, "every parameter and activation is finite: the loss itself overflowed");
    return CLCNN_OK;
}

static clcnn_status non_finite_loss(clcnn_trainer *t, int N, float loss)
{
    char where[256];
    CLCNN_TRY(clcnn_trainer_find_non_finite(t, N, where, sizeof where));
    return clcnn_fail(CLCNN_ERROR_NUMERIC,
                      "the loss is %s at step %llu; first non-finite tensor: %s. Stopped before "
                      "updating the weights; the last checkpoint holds the last good state",
                      isnan(loss) ? "NaN" : "infinite", (unsigned long long)t->steps + 1, where);
}

clcnn_status clcnn_trainer_loss_into(clcnn_trainer *t, int N, bool training,
                                     clcnn_buffer *totals)
{
    node_state *last = &t->nodes[t->count - 1];
    CLCNN_TRY(clcnn_softmax_cross_entropy(t->context, N, t->classes,
                                          (float)t->options.label_smoothing, last->y, &t->labels,
                                          training ? last->dy : NULL, &t->loss));
    return clcnn_metrics_reduce(t->context, N, t->classes, last->y, &t->labels, &t->loss,
                                totals);
}

clcnn_status clcnn_trainer_loss(clcnn_trainer *t, int N, bool training)
{
    return clcnn_trainer_loss_into(t, N, training, &t->totals);
}

clcnn_status clcnn_trainer_totals(clcnn_trainer *t, int N, clcnn_batch_totals *totals)
{
    float values[3];
    CLCNN_TRY(clcnn_buffer_read(t->context, &t->totals, 0, values, sizeof values));
    return clcnn_trainer_check_totals(t, N, values, totals);
}

clcnn_status clcnn_trainer_check_totals(clcnn_trainer *t, int N, const float values[3],
                                        clcnn_batch_totals *totals)
{
    if (values[2] != 0.0f)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "%d labels of the batch are outside 0..%d",
                          (int)values[2], t->classes - 1);
    if (!isfinite(values[0]))
        return non_finite_loss(t, N, values[0]);
    *totals = (clcnn_batch_totals){values[0], (int)values[1], N};
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_step_input(clcnn_trainer *t, const float *x, const int32_t *labels,
                                      int count, uint64_t first_sample)
{
    if (augmenting(t)) {
        const clcnn_shape in = t->model->input;
        CLCNN_TRY(upload_batch(t, x, labels, count, &t->raw_input));
        clcnn_augment_moves(t->options.seed, t->steps, first_sample, count, t->options.augment_pad,
                            t->options.augment_mirror, t->moves_host);
        CLCNN_TRY(clcnn_buffer_write(t->context, &t->moves, 0, t->moves_host,
                                     3 * (size_t)count * sizeof(int32_t)));
        CLCNN_TRY(clcnn_augment(t->context, count, in.c, in.h, in.w, &t->raw_input, &t->moves,
                                &t->input));
        return CLCNN_OK;
    }
    return upload_batch(t, x, labels, count, &t->input);
}

clcnn_status clcnn_trainer_gradients(clcnn_trainer *t, const float *x, const int32_t *labels,
                                     int count, uint64_t first_sample, clcnn_batch_totals *totals)
{
    CLCNN_TRY(clcnn_trainer_step_input(t, x, labels, count, first_sample));
    CLCNN_TRY(clcnn_trainer_forward(t, count, true, first_sample));
    CLCNN_TRY(clcnn_trainer_loss(t, count, true));
    /* the totals are read back once backward is queued, so the device never waits for the
     * host mid-step; a bad label or a non-finite loss still stops before the update */
    CLCNN_TRY(clcnn_trainer_backward(t, count, first_sample));
    return clcnn_trainer_totals(t, count, totals);
}

clcnn_status clcnn_trainer_train_step(clcnn_trainer *t, const float *x, const int32_t *labels,
                                      int count, clcnn_batch_totals *totals)
{
    uint64_t begin = clcnn_trace_begin(t->context);
    CLCNN_TRY(clcnn_trainer_gradients(t, x, labels, count, 0, totals));
    CLCNN_TRY(clcnn_trainer_apply(t));
    /* profiling: resolve this step's events (waits for the step; a no-op when off) */
    CLCNN_TRY(clcnn_profile_flush(t->context));
    clcnn_trace_end(t->context, begin, t->steps, "train step");
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_read_gradients(clcnn_trainer *t, float *gradients)
{
    return clcnn_buffer_read(t->context, &t->grads, 0, gradients, t->trainable_floats * sizeof(float));
}

clcnn_status clcnn_trainer_read_trainable(clcnn_trainer *t, float *values, float *m, float *v)
{
    const size_t bytes = t->trainable_floats * sizeof(float);
    CLCNN_TRY(clcnn_buffer_read(t->context, &t->values, 0, values, bytes));
    if (m)
        CLCNN_TRY(clcnn_buffer_read(t->context, &t->m, 0, m, bytes));
    if (v)
        CLCNN_TRY(clcnn_buffer_read(t->context, &t->v, 0, v, bytes));
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_write_gradients(clcnn_trainer *t, const float *gradients)
{
    return clcnn_buffer_write(t->context, &t->grads, 0, gradients, t->trainable_floats * sizeof(float));
}

clcnn_status clcnn_trainer_evaluate(clcnn_trainer *t, const float *x, const int32_t *labels,
                                    int count, clcnn_batch_totals *totals, int32_t *predictions,
                                    float *probabilities)
{
    uint64_t begin = clcnn_trace_begin(t->context);
    CLCNN_TRY(upload_batch(t, x, labels, count, &t->input));
    CLCNN_TRY(clcnn_trainer_forward(t, count, false, 0));
    CLCNN_TRY(clcnn_trainer_loss(t, count, false));
    CLCNN_TRY(clcnn_trainer_totals(t, count, totals));
    const clcnn_buffer *logits = t->nodes[t->count - 1].y;
    if (predictions) {
        CLCNN_TRY(clcnn_argmax(t->context, count, t->classes, logits, &t->predictions));
        CLCNN_TRY(clcnn_buffer_read(t->context, &t->predictions, 0, predictions,
                                    (size_t)count * sizeof(int32_t)));
    }
    if (probabilities) {
        size_t values = (size_t)count * t->classes;
        CLCNN_TRY(clcnn_buffer_read(t->context, logits, 0, probabilities, values * sizeof(float)));
        for (int n = 0; n < count; n++) {
            float *row = probabilities + (size_t)n * t->classes;
            double maximum = row[0], sum = 0.0;
            for (int k = 1; k < t->classes; k++)
                maximum = fmax(maximum, row[k]);
            for (int k = 0; k < t->classes; k++)
                sum += exp(row[k] - maximum);
            for (int k = 0; k < t->classes; k++)
                row[k] = (float)(exp(row[k] - maximum) / sum);
        }
    }
    clcnn_trace_end(t->context, begin, 0, "evaluate batch");
    return CLCNN_OK;
}

/* ---- state: the arenas in the model's order ------------------------------------------------ */

/* Copies between an arena (host image) and `compact`, parameter_count floats in layer order.
 * Slots (m, v) exist for trainable tensors only: the others read as zeros. */
static void compact_copy(const clcnn_trainer *t, float *arena, float *compact, bool slots,
                         bool to_arena)
{
    size_t at = 0;
    for (int i = 0; i < t->count; i++) {
        const clcnn_node *node = node_of(t, i);
        for (int p = 0; p < node->param_count; p++) {
            size_t count = node->params[p].count;
            float *tensor = arena + t->nodes[i].offset[p];
            if (slots && !node->params[p].trainable) {
                if (!to_arena)
                    memset(compact + at, 0, count * sizeof(float));
            } else if (to_arena) {
                memcpy(tensor, compact + at, count * sizeof(float));
            } else {
                memcpy(compact + at, tensor, count * sizeof(float));
            }
            at += count;
        }
    }
}

static clcnn_status transfer_state(clcnn_trainer *t, clcnn_buffer *arena, bool slots,
                                   float *compact, bool to_device)
{
    size_t floats = slots ? t->trainable_floats : t->arena_floats;
    float *image = calloc(floats + 1, sizeof(float));
    if (!image)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory");
    clcnn_status status = CLCNN_OK;
    if (to_device) {
        compact_copy(t, image, compact, slots, true);
        status = clcnn_buffer_write(t->context, arena, 0, image, floats * sizeof(float));
    } else {
        status = clcnn_buffer_read(t->context, arena, 0, image, floats * sizeof(float));
        if (status == CLCNN_OK)
            compact_copy(t, image, compact, slots, false);
    }
    free(image);
    return status;
}

clcnn_status clcnn_trainer_get_state(clcnn_trainer *t, float *parameters, float *m, float *v)
{
    CLCNN_TRY(transfer_state(t, &t->values, false, parameters, false));
    if (m)
        CLCNN_TRY(transfer_state(t, &t->m, true, m, false));
    if (v)
        CLCNN_TRY(transfer_state(t, &t->v, true, v, false));
    return CLCNN_OK;
}

clcnn_status clcnn_trainer_set_state(clcnn_trainer *t, const float *parameters, const float *m,
                                     const float *v, uint64_t steps)
{
    CLCNN_TRY(transfer_state(t, &t->values, false, (float *)parameters, true));
    if (m)
        CLCNN_TRY(transfer_state(t, &t->m, true, (float *)m, true));
    if (v)
        CLCNN_TRY(transfer_state(t, &t->v, true, (float *)v, true));
    t->steps = steps;
    return CLCNN_OK;
}
