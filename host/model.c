/* Models (include/clcnn/model.h) and the model-file grammar (docs/model-format.md):
 *
 *   input height=32 width=32 channels=3      # the first line
 *   conv2d filters=32 kernel=3 padding=same activation=relu
 *   add from=NAME                            # a second input, for residual sums
 *   train optimizer=sgd lr=0.1 epochs=30     # optional: how to train it
 *
 * One layer a line, `#` starts a comment, keyword=value with Keras's defaults, plus name=,
 * input= (feed from an earlier named layer, not the line above) and, for two-input kinds,
 * from=. The keywords each kind takes are in its file in host/layers/; this file knows no
 * kind. Numbers are read and written in the C locale whatever the process's locale is. */
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "layers/layer.h"

#define MAX_MODEL_FILE (1 << 20)

clcnn_model *clcnn_model_create(int channels, int height, int width)
{
    clcnn_model *model = calloc(1, sizeof *model);
    if (!model)
        return NULL;
    model->input = (clcnn_shape){channels, height, width, false};
    if (channels <= 0 || height <= 0 || width <= 0) {
        model->status = clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                                   "model input %dx%dx%d: every size must be positive", channels,
                                   height, width);
        snprintf(model->error, sizeof model->error, "%s", clcnn_last_error());
    }
    return model;
}

void clcnn_model_destroy(clcnn_model *model)
{
    free(model);
}

clcnn_status clcnn_model_status(const clcnn_model *model)
{
    return model ? model->status : CLCNN_ERROR_ALLOCATION;
}

const char *clcnn_model_error(const clcnn_model *model)
{
    return model ? model->error : "out of host memory creating a model";
}

int clcnn_model_layer_count(const clcnn_model *model) { return model->count; }
int clcnn_model_input_channels(const clcnn_model *model) { return model->input.c; }
int clcnn_model_input_height(const clcnn_model *model) { return model->input.h; }
int clcnn_model_input_width(const clcnn_model *model) { return model->input.w; }

int clcnn_model_output_count(const clcnn_model *model)
{
    return model->count ? (int)clcnn_shape_count(model->nodes[model->count - 1].out) : 0;
}

static size_t node_parameters(const clcnn_node *node, bool trainable_only)
{
    size_t total = 0;
    for (int p = 0; p < node->param_count; p++)
        if (node->params[p].trainable || !trainable_only)
            total += node->params[p].count;
    return total;
}

size_t clcnn_model_parameter_count(const clcnn_model *model)
{
    size_t total = 0;
    for (int i = 0; i < model->count; i++)
        total += node_parameters(&model->nodes[i], false);
    return total;
}

size_t clcnn_model_trainable_parameter_count(const clcnn_model *model)
{
    size_t total = 0;
    for (int i = 0; i < model->count; i++)
        total += node_parameters(&model->nodes[i], true);
    return total;
}

bool clcnn_model_layer_info(const clcnn_model *model, int index, clcnn_layer_info *info)
{
    if (index < 0 || index >= model->count)
        return false;
    const clcnn_node *node = &model->nodes[index];
    *info = (clcnn_layer_info){.name = node->name, .kind = node->kind->name,
                               .keras_kind = node->kind->keras_name,
                               .inputs = {node->inputs[0], node->inputs[1]},
                               .input_count = node->kind->inputs, .out_c = node->out.c,
                               .out_h = node->out.h, .out_w = node->out.w, .flat = node->out.flat,
                               .parameters = node_parameters(node, false),
                               .trainable_parameters = node_parameters(node, true)};
    return true;
}

/* ---- errors ------------------------------------------------------------------------------- */

static clcnn_status fail(clcnn_model *model, clcnn_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static clcnn_status fail(clcnn_model *model, clcnn_status status, const char *format, ...)
{
    if (model->status != CLCNN_OK)
        return model->status;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(model->error, sizeof model->error, format, arguments);
    va_end(arguments);
    model->status = clcnn_fail(status, "%s", model->error);
    return status;
}

/* ---- values ------------------------------------------------------------------------------- */

static const char *const padding_names[] = {"valid", "same"};
static const char *const activation_words[] = {"none", "relu", "sigmoid", "tanh", "leaky_relu",
                                               "softmax"};

static bool parse_word(const char *text, const char *const *words, int count, int *index)
{
    for (int i = 0; i < count; i++)
        if (strcmp(text, words[i]) == 0) {
            *index = i;
            return true;
        }
    return false;
}

/* Parses `text` as the keyword's type into args; false with what was expected in `expected`. */
static bool parse_value(const clcnn_keyword *k, const char *text, clcnn_layer_args *args,
                        bool check_range, char *expected, size_t size)
{
    char *at = (char *)args + k->offset, *end = NULL;
    int index;
    switch (k->type) {
    case CLCNN_KEYWORD_INT: {
        errno = 0;
        long value = strtol(text, &end, 10);
        bool ok = end != text && *end == '\0' && errno == 0 &&
                  (!check_range || (value >= k->minimum && value <= k->maximum));
        snprintf(expected, size, "a whole number from %.0f to %.0f", k->minimum, k->maximum);
        if (ok)
            *(int *)(void *)at = (int)value;
        return ok;
    }
    case CLCNN_KEYWORD_FLOAT: {
        errno = 0;
        double value = strtod(text, &end);
        bool ok = end != text && *end == '\0' && errno == 0 && isfinite(value) &&
                  (!check_range || (value >= k->minimum && value <= k->maximum));
        snprintf(expected, size, "a number from %g to %g", k->minimum, k->maximum);
        if (ok)
            *(float *)(void *)at = (float)value;
        return ok;
    }
    case CLCNN_KEYWORD_BOOL:
        snprintf(expected, size, "true or false");
        if (strcmp(text, "true") && strcmp(text, "false"))
            return false;
        *(bool *)(void *)at = strcmp(text, "true") == 0;
        return true;
    case CLCNN_KEYWORD_PADDING:
        snprintf(expected, size, "valid or same");
        if (!parse_word(text, padding_names, 2, &index))
            return false;
        *(clcnn_padding *)(void *)at = (clcnn_padding)index;
        return true;
    case CLCNN_KEYWORD_ACTIVATION:
        snprintf(expected, size, "none, relu, sigmoid, tanh, leaky_relu or softmax");
        if (!parse_word(text, activation_words, 6, &index))
            return false;
        *(clcnn_activation *)(void *)at = (clcnn_activation)(index - 1);
        return true;
    }
    return false;
}

static int format_value(const clcnn_keyword *k, const clcnn_layer_args *args, char *out, size_t size)
{
    const char *at = (const char *)args + k->offset;
    switch (k->type) {
    case CLCNN_KEYWORD_INT: return snprintf(out, size, "%d", *(const int *)(const void *)at);
    case CLCNN_KEYWORD_FLOAT:
        return snprintf(out, size, "%.9g", (double)*(const float *)(const void *)at);
    case CLCNN_KEYWORD_BOOL:
        return snprintf(out, size, "%s", *(const bool *)(const void *)at ? "true" : "false");
    case CLCNN_KEYWORD_PADDING:
        return snprintf(out, size, "%s", padding_names[*(const clcnn_padding *)(const void *)at]);
    case CLCNN_KEYWORD_ACTIVATION:
        return snprintf(out, size, "%s",
                        activation_words[*(const clcnn_activation *)(const void *)at + 1]);
    }
    return 0;
}

/* "filters, kernel, stride" for messages */
static void keyword_list(const clcnn_keyword *keywords, const char *extra, char *out, size_t size)
{
    size_t used = (size_t)snprintf(out, size, "%s", extra);
    for (int i = 0; keywords[i].name && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "", keywords[i].name);
}

static void kind_list(char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; clcnn_layer_kinds[i] && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? ", " : "",
                                 clcnn_layer_kinds[i]->name);
}

/* ---- lines -------------------------------------------------------------------------------- */

#define MAX_WORDS 32

/* Splits a line into whitespace-separated words, in place; a '#' ends the line. */
static int split_words(char *line, char *words[MAX_WORDS + 1])
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    int count = 0;
    char *state = NULL;
    for (char *at = strtok_r(line, " \t\r\n", &state); at; at = strtok_r(NULL, " \t\r\n", &state))
        if (count <= MAX_WORDS)
            words[count++] = at;
    return count;
}

static int find_node(const clcnn_model *model, const char *name)
{
    if (strcmp(name, "input") == 0)
        return -1;
    for (int i = 0; i < model->count; i++)
        if (strcmp(model->nodes[i].name, name) == 0)
            return i;
    return INT_MIN;
}

/* Keras's automatic name: the kind's stem, then _1, _2, ... skipping names in use. */
static void automatic_name(const clcnn_model *model, const clcnn_layer_kind *kind, char *name,
                           size_t size)
{
    int same = 0;
    for (int i = 0; i < model->count; i++)
        same += model->nodes[i].kind == kind;
    do {
        if (same)
            snprintf(name, size, "%s_%d", kind->base_name, same);
        else
            snprintf(name, size, "%s", kind->base_name);
        same++;
    } while (find_node(model, name) != INT_MIN);
}

/* The `input` line: the model's input shape. */
static clcnn_status parse_input(clcnn_model *model, char **words, int count, const char *where)
{
    int values[3] = {0, 0, 0};
    const char *names[3] = {"height", "width", "channels"};
    for (int w = 1; w < count; w++) {
        char *equals = strchr(words[w], '=');
        size_t key_length = equals ? (size_t)(equals - words[w]) : 0;
        int k = 0;
        while (k < 3 && !(strlen(names[k]) == key_length && !strncmp(words[w], names[k], key_length)))
            k++;
        if (k == 3)
            return fail(model, CLCNN_ERROR_FORMAT,
                        "%s: input: unknown word '%s'; expected height=, width= and channels=",
                        where, words[w]);
        char *end = NULL;
        errno = 0;
        long value = strtol(equals + 1, &end, 10);
        if (end == equals + 1 || *end || errno || value < 1 || value > 65536)
            return fail(model, CLCNN_ERROR_FORMAT,
                        "%s: input %s: expected a whole number from 1 to 65536", where, words[w]);
        values[k] = (int)value;
    }
    for (int k = 0; k < 3; k++)
        if (!values[k])
            return fail(model, CLCNN_ERROR_FORMAT, "%s: input: %s= is required", where, names[k]);
    model->input = (clcnn_shape){values[2], values[0], values[1], false};
    return CLCNN_OK;
}

/* One layer line (already split); where is "FILE:LINE" for messages. */
static clcnn_status parse_layer(clcnn_model *model, char **words, int count, const char *where)
{
    const clcnn_layer_kind *kind = clcnn_layer_kind_find(words[0]);
    if (!kind) {
        char kinds[256];
        kind_list(kinds, sizeof kinds);
        return fail(model, CLCNN_ERROR_FORMAT, "%s: unknown layer '%s'; expected input (first), "
                    "train, or one of %s", where, words[0], kinds);
    }
    if (model->count == CLCNN_MAX_NODES)
        return fail(model, CLCNN_ERROR_FORMAT, "%s: a model holds at most %d layers", where,
                    CLCNN_MAX_NODES);
    for (int i = 0; i < model->count; i++)
        if (model->nodes[i].args.activation == CLCNN_ACTIVATION_SOFTMAX)
            return fail(model, CLCNN_ERROR_FORMAT, "%s: %s: softmax (on %s) must end the model: "
                        "it is fused into the loss", where, kind->name, model->nodes[i].name);
    /* kinds without an activation keyword keep NONE */
    clcnn_node node = {.kind = kind, .inputs = {model->count - 1, INT_MIN},
                       .args.activation = CLCNN_ACTIVATION_NONE};
    const clcnn_keyword *keywords = kind->keywords;
    bool given[32] = {false};
    char expected[160];
    for (int k = 0; keywords[k].name; k++)
        if (keywords[k].default_text)
            parse_value(&keywords[k], keywords[k].default_text, &node.args, false, expected,
                        sizeof expected);
    for (int w = 1; w < count; w++) {
        char *equals = strchr(words[w], '=');
        if (!equals || equals == words[w])
            return fail(model, CLCNN_ERROR_FORMAT, "%s: %s: expected keyword=value, found '%s'",
                        where, kind->name, words[w]);
        *equals = '\0';
        const char *key = words[w], *value = equals + 1;
        if (strcmp(key, "name") == 0) {
            if (!*value || strlen(value) >= sizeof node.name || find_node(model, value) != INT_MIN)
                return fail(model, CLCNN_ERROR_FORMAT, "%s: %s name=%s: expected a new name of 1 "
                            "to %zu characters", where, kind->name, value, sizeof node.name - 1);
            snprintf(node.name, sizeof node.name, "%s", value);
            continue;
        }
        if (strcmp(key, "input") == 0 || (strcmp(key, "from") == 0 && kind->inputs == 2)) {
            int source = find_node(model, value);
            if (source == INT_MIN)
                return fail(model, CLCNN_ERROR_FORMAT, "%s: %s %s=%s: no earlier layer is named "
                            "'%s'", where, kind->name, key, value, value);
            node.inputs[key[0] == 'f' ? 1 : 0] = source;
            node.named_input |= key[0] == 'i';
            continue;
        }
        int k = 0;
        while (keywords[k].name && strcmp(keywords[k].name, key) != 0)
            k++;
        if (!keywords[k].name) {
            char list[256];
            keyword_list(keywords, kind->inputs == 2 ? "from" : "", list, sizeof list);
            return fail(model, CLCNN_ERROR_FORMAT, "%s: %s: unknown keyword '%s'; expected %s%sname "
                        "or input", where, kind->name, key, list, *list ? ", " : "");
        }
        if (given[k])
            return fail(model, CLCNN_ERROR_FORMAT, "%s: %s: %s= is given twice", where,
                        kind->name, key);
        given[k] = true;
        if (!parse_value(&keywords[k], value, &node.args, true, expected, sizeof expected))
            return fail(model, CLCNN_ERROR_FORMAT, "%s: %s %s=%s: expected %s", where, kind->name,
                        key, value, expected);
    }
    for (int k = 0; keywords[k].name; k++)
        if (!keywords[k].default_text && !given[k])
            return fail(model, CLCNN_ERROR_FORMAT, "%s: %s: %s= is required", where, kind->name,
                        keywords[k].name);
    if (kind->inputs == 2 && node.inputs[1] == INT_MIN)
        return fail(model, CLCNN_ERROR_FORMAT, "%s: %s: from= is required (the layer to add)",
                    where, kind->name);
    if (!node.name[0])
        automatic_name(model, kind, node.name, sizeof node.name);
    for (int i = 0; i < kind->inputs; i++)
        node.in[i] = node.inputs[i] < 0 ? model->input : model->nodes[node.inputs[i]].out;
    char error[256];
    clcnn_status status = kind->infer(&node, error, sizeof error);
    if (status != CLCNN_OK)
        return fail(model, status, "%s: %s (%s): %s", where, node.name, kind->name, error);
    for (int i = kind->inputs; i < CLCNN_MAX_INPUTS; i++)
        node.inputs[i] = -1;
    model->nodes[model->count++] = node;
    return CLCNN_OK;
}

/* Runs with the C locale for this thread, so that 0.5 is 0.5 under de_DE too. */
typedef struct c_locale {
    locale_t c, previous;
} c_locale;

static void enter_c_locale(c_locale *l)
{
    l->c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    l->previous = l->c ? uselocale(l->c) : (locale_t)0;
}

static void leave_c_locale(c_locale *l)
{
    if (l->c) {
        uselocale(l->previous);
        freelocale(l->c);
    }
}

clcnn_status clcnn_model_add(clcnn_model *model, const char *line)
{
    if (!model)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory creating a model");
    if (model->status != CLCNN_OK)
        return model->status;
    char copy[1024], where[64];
    if (strlen(line) >= sizeof copy)
        return fail(model, CLCNN_ERROR_FORMAT, "layer %d: a line of %zu characters; at most %zu",
                    model->count + 1, strlen(line), sizeof copy - 1);
    snprintf(copy, sizeof copy, "%s", line);
    snprintf(where, sizeof where, "layer %d", model->count + 1);
    char *words[MAX_WORDS + 1];
    int count = split_words(copy, words);
    if (count == 0 || count > MAX_WORDS)
        return fail(model, CLCNN_ERROR_FORMAT, "%s: expected a layer and at most %d keywords",
                    where, MAX_WORDS - 1);
    c_locale locale;
    enter_c_locale(&locale);
    clcnn_status status = parse_layer(model, words, count, where);
    leave_c_locale(&locale);
    return status;
}

clcnn_status clcnn_model_validate(const clcnn_model *model)
{
    if (model->status != CLCNN_OK)
        return clcnn_fail(model->status, "invalid model: %s", model->error);
    if (model->count == 0)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "the model has no layers");
    bool used_input = false;
    for (int i = 0; i < model->count; i++) {
        bool used = false;
        for (int j = i + 1; j < model->count && !used; j++)
            for (int k = 0; k < model->nodes[j].kind->inputs; k++)
                used |= model->nodes[j].inputs[k] == i;
        for (int k = 0; k < model->nodes[i].kind->inputs; k++)
            used_input |= model->nodes[i].inputs[k] == -1;
        if (!used && i + 1 < model->count)
            return clcnn_fail(CLCNN_ERROR_FORMAT, "layer %s feeds no later layer: every branch "
                              "must reach the last layer", model->nodes[i].name);
    }
    if (!used_input)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "no layer reads the model's input");
    return CLCNN_OK;
}

/* ---- builders ----------------------------------------------------------------------------- */

void clcnn_model_conv2d(clcnn_model *model, int filters, int kernel_size, clcnn_padding padding,
                        clcnn_activation activation)
{
    char line[160];
    snprintf(line, sizeof line, "conv2d filters=%d kernel=%d padding=%s activation=%s", filters,
             kernel_size, padding == CLCNN_PADDING_SAME ? "same" : "valid",
             clcnn_activation_name(activation));
    clcnn_model_add(model, line);
}

void clcnn_model_maxpool2d(clcnn_model *model, int pool_size)
{
    char line[64];
    snprintf(line, sizeof line, "maxpool2d pool=%d", pool_size);
    clcnn_model_add(model, line);
}

void clcnn_model_flatten(clcnn_model *model) { clcnn_model_add(model, "flatten"); }

void clcnn_model_dense(clcnn_model *model, int units, clcnn_activation activation)
{
    char line[96];
    snprintf(line, sizeof line, "dense units=%d activation=%s", units,
             clcnn_activation_name(activation));
    clcnn_model_add(model, line);
}

void clcnn_model_dropout(clcnn_model *model, float rate)
{
    char line[64];
    c_locale locale;
    enter_c_locale(&locale);
    snprintf(line, sizeof line, "dropout rate=%.9g", (double)rate);
    leave_c_locale(&locale);
    clcnn_model_add(model, line);
}

void clcnn_model_activation(clcnn_model *model, clcnn_activation activation)
{
    char line[64];
    snprintf(line, sizeof line, "activation activation=%s", clcnn_activation_name(activation));
    clcnn_model_add(model, line);
}

clcnn_model *clcnn_model_seed(void)
{
    clcnn_model *model = clcnn_model_create(3, 32, 32);
    clcnn_model_conv2d(model, 32, 3, CLCNN_PADDING_SAME, CLCNN_ACTIVATION_RELU);
    clcnn_model_maxpool2d(model, 2);
    clcnn_model_conv2d(model, 64, 3, CLCNN_PADDING_SAME, CLCNN_ACTIVATION_RELU);
    clcnn_model_maxpool2d(model, 2);
    clcnn_model_conv2d(model, 128, 3, CLCNN_PADDING_SAME, CLCNN_ACTIVATION_RELU);
    clcnn_model_maxpool2d(model, 2);
    clcnn_model_flatten(model);
    clcnn_model_dense(model, 128, CLCNN_ACTIVATION_RELU);
    clcnn_model_dropout(model, 0.5f);
    clcnn_model_dense(model, 10, CLCNN_ACTIVATION_SOFTMAX);
    return model;
}

/* ---- text --------------------------------------------------------------------------------- */

size_t clcnn_model_describe(const clcnn_model *model, char *text, size_t size)
{
    c_locale locale;
    enter_c_locale(&locale);
    size_t used = 0;
#define APPEND(...)                                                                          \
    used += (size_t)snprintf(used < size ? text + used : NULL, used < size ? size - used : 0,  \
                             __VA_ARGS__)
    APPEND("input height=%d width=%d channels=%d\n", model->input.h, model->input.w,
           model->input.c);
    for (int i = 0; i < model->count; i++) {
        const clcnn_node *node = &model->nodes[i];
        APPEND("%s name=%s", node->kind->name, node->name);
        if (node->named_input)
            APPEND(" input=%s", node->inputs[0] < 0 ? "input" : model->nodes[node->inputs[0]].name);
        if (node->kind->inputs == 2)
            APPEND(" from=%s", node->inputs[1] < 0 ? "input" : model->nodes[node->inputs[1]].name);
        for (int k = 0; node->kind->keywords[k].name; k++) {
            char value[64];
            format_value(&node->kind->keywords[k], &node->args, value, sizeof value);
            APPEND(" %s=%s", node->kind->keywords[k].name, value);
        }
        APPEND("\n");
    }
    if (model->train[0])
        APPEND("train %s\n", model->train);
#undef APPEND
    leave_c_locale(&locale);
    return used;
}

static const char *const train_keys[] = {
    "epochs",        "batch",           "optimizer",      "lr",               "momentum",
    "nesterov",      "weight_decay",    "schedule",       "warmup_epochs",    "label_smoothing",
    "augment",       "early_stopping",  "validation_split", "seed",           NULL};

/* `train key=value ...`: names checked here, values by the program that reads them. */
static clcnn_status parse_train(clcnn_model *model, char **words, int count, const char *where)
{
    if (model->train[0])
        return fail(model, CLCNN_ERROR_FORMAT, "%s: a second train line; a model has one", where);
    for (int w = 1; w < count; w++) {
        const char *equals = strchr(words[w], '=');
        size_t length = equals ? (size_t)(equals - words[w]) : strlen(words[w]);
        int known = -1;
        for (int k = 0; train_keys[k] && known < 0; k++)
            if (strlen(train_keys[k]) == length && !strncmp(words[w], train_keys[k], length))
                known = k;
        if (known < 0 || !equals || !equals[1]) {
            char list[512] = "";
            for (int k = 0; train_keys[k]; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                         train_keys[k]);
            return fail(model, CLCNN_ERROR_FORMAT, "%s: train: '%s' is not key=value with a key "
                        "of %s", where, words[w], list);
        }
        char probe[64];
        if (clcnn_model_train_setting(model, train_keys[known], probe, sizeof probe))
            return fail(model, CLCNN_ERROR_FORMAT, "%s: train: %s is given twice", where,
                        train_keys[known]);
        size_t used = strlen(model->train);
        if (used + strlen(words[w]) + 2 > sizeof model->train)
            return fail(model, CLCNN_ERROR_FORMAT, "%s: the train line is too long", where);
        snprintf(model->train + used, sizeof model->train - used, "%s%s", used ? " " : "",
                 words[w]);
    }
    return CLCNN_OK;
}

bool clcnn_model_train_setting(const clcnn_model *model, const char *key, char *value, size_t size)
{
    size_t length = strlen(key);
    for (const char *at = model->train; *at;) {
        size_t word = strcspn(at, " ");
        if (word > length && !strncmp(at, key, length) && at[length] == '=') {
            snprintf(value, size, "%.*s", (int)(word - length - 1), at + length + 1);
            return true;
        }
        at += word + (at[word] == ' ');
    }
    return false;
}

clcnn_status clcnn_model_parse(const char *text, const char *source, clcnn_model **out)
{
    *out = NULL;
    clcnn_model *model = clcnn_model_create(1, 1, 1);
    if (!model)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory reading a model");
    c_locale locale;
    enter_c_locale(&locale);
    bool have_input = false;
    int line_number = 0;
    char line[1024];
    for (const char *at = text; *at && model->status == CLCNN_OK;) {
        size_t length = strcspn(at, "\n");
        line_number++;
        char where[300];
        snprintf(where, sizeof where, "%.256s:%d", source, line_number);
        if (length >= sizeof line) {
            fail(model, CLCNN_ERROR_FORMAT, "%s: a line of %zu characters; at most %zu", where,
                 length, sizeof line - 1);
            break;
        }
        memcpy(line, at, length);
        line[length] = '\0';
        at += length + (at[length] == '\n');
        char *words[MAX_WORDS + 1];
        int count = split_words(line, words);
        if (count == 0)
            continue;
        if (count > MAX_WORDS)
            fail(model, CLCNN_ERROR_FORMAT, "%s: more than %d words", where, MAX_WORDS);
        else if (!have_input && strcmp(words[0], "input") != 0)
            fail(model, CLCNN_ERROR_FORMAT, "%s: found '%s'; the first line must be 'input "
                 "height=H width=W channels=C'", where, words[0]);
        else if (have_input && strcmp(words[0], "input") == 0)
            fail(model, CLCNN_ERROR_FORMAT, "%s: a second input line; a model has one input",
                 where);
        else if (!have_input)
            have_input = parse_input(model, words, count, where) == CLCNN_OK;
        else if (strcmp(words[0], "train") == 0)
            parse_train(model, words, count, where);
        else
            parse_layer(model, words, count, where);
    }
    leave_c_locale(&locale);
    if (model->status == CLCNN_OK && !have_input)
        fail(model, CLCNN_ERROR_FORMAT, "%s: no 'input' line: the model is empty", source);
    if (model->status == CLCNN_OK && clcnn_model_validate(model) != CLCNN_OK)
        fail(model, CLCNN_ERROR_FORMAT, "%.256s: %.250s", source, clcnn_last_error());
    if (model->status != CLCNN_OK) {
        clcnn_status status = model->status;
        clcnn_model_destroy(model);
        return status;
    }
    *out = model;
    return CLCNN_OK;
}

clcnn_status clcnn_model_load(const char *path, clcnn_model **model)
{
    *model = NULL;
    struct stat info;
    if (stat(path, &info) != 0)
        return clcnn_fail(CLCNN_ERROR_IO, "model file %s: %s", path, strerror(errno));
    if (!S_ISREG(info.st_mode))
        return clcnn_fail(CLCNN_ERROR_IO, "model file %s is not a regular file", path);
    if (info.st_size > MAX_MODEL_FILE)
        return clcnn_fail(CLCNN_ERROR_FORMAT, "model file %s holds %lld bytes; a model file is at "
                          "most %d", path, (long long)info.st_size, MAX_MODEL_FILE);
    FILE *file = fopen(path, "rb");
    if (!file)
        return clcnn_fail(CLCNN_ERROR_IO, "model file %s: %s", path, strerror(errno));
    char *text = malloc((size_t)info.st_size + 1);
    size_t length = text ? fread(text, 1, (size_t)info.st_size, file) : 0;
    bool failed = ferror(file);
    fclose(file);
    if (!text)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "out of host memory reading %s", path);
    if (failed) {
        free(text);
        return clcnn_fail(CLCNN_ERROR_IO, "model file %s: read error", path);
    }
    text[length] = '\0';
    if (strlen(text) != length) {
        free(text);
        return clcnn_fail(CLCNN_ERROR_FORMAT, "model file %s holds a NUL byte: it is not text", path);
    }
    clcnn_status status = clcnn_model_parse(text, path, model);
    free(text);
    return status;
}
