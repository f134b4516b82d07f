/* Model files (every keyword, every error with its line, a checkpoint round trip under a
 * German locale), the dataset formats on small files written here (CIFAR-10, CIFAR-100, IDX
 * plain and gzipped), shape and class mismatches, the split step against the one-call step,
 * and a residual graph (one tensor feeding two nodes) against the reference, step by step. */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "clcnn/checkpoint.h"
#include "clcnn/data.h"
#include "clcnn/fit.h"
#include "clcnn/model.h"
#include "clcnn/train.h"
#include "harness.h"

static clcnn_model *parse_ok(const char *text)
{
    clcnn_model *model = NULL;
    ck_assert_ok(clcnn_model_parse(text, "test.model", &model));
    return model;
}

static void expect_parse_error(const char *text, const char *fragment1, const char *fragment2)
{
    clcnn_model *model = NULL;
    clcnn_status status = clcnn_model_parse(text, "bad.model", &model);
    ck_assert_msg(status != CLCNN_OK, "parsed, expected an error with '%s':\n%s", fragment1, text);
    ck_assert_ptr_null(model);
    ck_assert_msg(strstr(clcnn_last_error(), fragment1), "'%s' not in: %s", fragment1, clcnn_last_error());
    if (fragment2)
        ck_assert_msg(strstr(clcnn_last_error(), fragment2), "'%s' not in: %s", fragment2,
                      clcnn_last_error());
}

/* ---- model files ----------------------------------------------------------------------------- */

START_TEST(the_tutorial_model_file_is_the_seed_model)
{
    clcnn_model *file = NULL, *seed = clcnn_model_seed();
    ck_assert_ok(clcnn_model_load(CLCNN_SOURCE_DIR "/examples/cifar10-tutorial.model", &file));
    char a[8192], b[8192];
    clcnn_model_describe(file, a, sizeof a);
    clcnn_model_describe(seed, b, sizeof b);
    ck_assert_str_eq(a, b);
    ck_assert_uint_eq(clcnn_model_parameter_count(file), 356810);
    clcnn_model_destroy(file);
    clcnn_model_destroy(seed);
    ck_assert_ok(clcnn_model_load(CLCNN_SOURCE_DIR "/examples/fashion-mnist.model", &file));
    ck_assert_int_eq(clcnn_model_input_channels(file), 1);
    ck_assert_int_eq(clcnn_model_output_count(file), 10);
    clcnn_model_destroy(file);
}
END_TEST

START_TEST(every_keyword_is_read_and_written_back)
{
    const char *text =
        "# a comment line, then blank lines\n\n"
        "input height=17 width=13 channels=2   # trailing comment\n"
        "conv2d filters=5 kernel=3 stride=2 padding=same activation=leaky_relu use_bias=false name=stem\n"
        "conv2d filters=5 kernel=1 activation=tanh name=branch\n"
        "add from=stem name=sum\n"
        "activation activation=sigmoid\n"
        "maxpool2d pool=3 stride=1 padding=same\n"
        "maxpool2d\n"
        "flatten\n"
        "dense units=7 activation=relu use_bias=false\n"
        "dropout rate=0.25\n"
        "dense units=3 input=dropout activation=softmax\n"
        "train optimizer=sgd lr=0.1 augment=crop=4,flip\n";
    clcnn_model *model = parse_ok(text);
    char value[64];
    ck_assert(clcnn_model_train_setting(model, "augment", value, sizeof value));
    ck_assert_str_eq(value, "crop=4,flip");
    ck_assert(clcnn_model_train_setting(model, "lr", value, sizeof value));
    ck_assert_str_eq(value, "0.1");
    ck_assert(!clcnn_model_train_setting(model, "epochs", value, sizeof value));
    ck_assert_int_eq(clcnn_model_layer_count(model), 10);
    clcnn_layer_info info;
    ck_assert(clcnn_model_layer_info(model, 0, &info));
    ck_assert_str_eq(info.name, "stem");
    ck_assert_int_eq(info.out_h, 9); /* ceil(17 / 2) */
    ck_assert_int_eq(info.out_w, 7);
    ck_assert_uint_eq(info.parameters, 5 * 2 * 9); /* no bias */
    ck_assert(clcnn_model_layer_info(model, 2, &info));
    ck_assert_str_eq(info.kind, "add");
    ck_assert_int_eq(info.inputs[0], 1);
    ck_assert_int_eq(info.inputs[1], 0);
    ck_assert(clcnn_model_layer_info(model, 4, &info));
    ck_assert_int_eq(info.out_h, 9); /* pool 3, stride 1, same */
    ck_assert(clcnn_model_layer_info(model, 5, &info));
    ck_assert_str_eq(info.name, "max_pooling2d_1");
    ck_assert_int_eq(info.out_h, 4); /* pool 2, stride defaults to the pool */
    ck_assert(clcnn_model_layer_info(model, 7, &info));
    ck_assert_uint_eq(info.parameters, 4 * 3 * 5 * 7);
    ck_assert_int_eq(clcnn_model_output_count(model), 3);
    char described[4096], again[4096];
    clcnn_model_describe(model, described, sizeof described);
    ck_assert_ptr_nonnull(strstr(described, "dropout name=dropout rate=0.25\n"));
    ck_assert_ptr_nonnull(strstr(described, "add name=sum from=stem\n"));
    ck_assert_ptr_nonnull(strstr(described, "\ntrain optimizer=sgd lr=0.1 augment=crop=4,flip\n"));
    clcnn_model *parsed = parse_ok(described);
    clcnn_model_describe(parsed, again, sizeof again);
    ck_assert_str_eq(described, again);
    clcnn_model_destroy(parsed);
    clcnn_model_destroy(model);
}
END_TEST

START_TEST(a_bad_line_names_the_file_line_word_and_expectation)
{
    const char *input = "input height=8 width=8 channels=3\n";
    char text[512];
#define BAD(body, fragment1, fragment2)                                                      \
    do {                                                                                     \
        snprintf(text, sizeof text, "%s%s", input, body);                                    \
        expect_parse_error(text, fragment1, fragment2);                                      \
    } while (0)
    BAD("flatten\nconvolution filters=3\n", "bad.model:3: unknown layer 'convolution'", "conv2d");
    BAD("flatten\ntrain lrate=0.1\n", "bad.model:3: train: 'lrate=0.1' is not key=value with a key of",
        "warmup_epochs");
    BAD("flatten\ntrain lr=0.1 lr=0.2\n", "bad.model:3: train: lr is given twice", "twice");
    BAD("flatten\ntrain lr=0.1\ntrain seed=1\n", "bad.model:4: a second train line", "one");
    BAD("conv2d filters=3\n", "bad.model:2: conv2d: kernel= is required", NULL);
    BAD("conv2d filters=three kernel=3\n", "bad.model:2: conv2d filters=three", "whole number");
    BAD("conv2d filters=0 kernel=3\n", "filters=0: expected a whole number from 1", NULL);
    BAD("conv2d filters=3 kernel=3 padding=full\n", "padding=full: expected valid or same", NULL);
    BAD("conv2d filters=3 kernel=3 activation=gelu\n", "activation=gelu: expected none, relu", NULL);
    BAD("conv2d filters=3 kernel=3 use_bias=yes\n", "use_bias=yes: expected true or false", NULL);
    BAD("conv2d filters=3 kernel=3 filter=4\n", "unknown keyword 'filter'", "filters, kernel");
    BAD("conv2d filters=3 kernel=3 kernel=5\n", "kernel= is given twice", NULL);
    BAD("conv2d filters=3 3\n", "expected keyword=value, found '3'", NULL);
    BAD("conv2d filters=3 kernel=9\n", "bad.model:2: conv2d (conv2d): a 9x9 kernel does not fit", NULL);
    BAD("dropout rate=1\n", "rate=1: expected a number from 0", NULL);
    BAD("dropout rate=0,5\n", "rate=0,5", "expected a number");
    BAD("dense units=4\n", "dense (dense): its input is an image", "add flatten first");
    BAD("flatten\nconv2d filters=2 kernel=1\n", "its input is flat", NULL);
    BAD("flatten\ndense units=3 activation=softmax\ndense units=3\n", "bad.model:4", "softmax (on dense) must end");
    BAD("flatten\nadd\n", "from= is required", NULL);
    BAD("conv2d filters=2 kernel=1 name=a\nconv2d filters=3 kernel=1\nadd from=a\n", "add (add): its inputs differ",
        "8x8x3 and 8x8x2");
    BAD("conv2d filters=2 kernel=1 input=nowhere\n", "input=nowhere: no earlier layer is named", NULL);
    BAD("conv2d filters=2 kernel=1 name=a\nconv2d filters=2 kernel=1 name=a\n", "bad.model:3", "expected a new name");
    BAD("conv2d filters=2 kernel=1 name=a\nconv2d filters=2 kernel=1 input=input\nflatten\ndense units=2 activation=softmax\n",
        "layer a feeds no later layer", NULL);
    BAD("input height=8 width=8 channels=3\n", "bad.model:2: a second input line", NULL);
#undef BAD
    expect_parse_error("conv2d filters=2 kernel=1\n", "bad.model:1: found 'conv2d'", "the first line must be 'input");
    expect_parse_error("input height=8 width=8\n", "bad.model:1: input: channels= is required", NULL);
    expect_parse_error("input height=8 width=8 depth=3\n", "unknown word 'depth=3'", NULL);
    expect_parse_error("# nothing\n", "no 'input' line", NULL);
    expect_parse_error("input height=8 width=8 channels=3\n", "the model has no layers", NULL);
    clcnn_model *model = NULL;
    ck_assert_int_eq(clcnn_model_load("/nonexistent.model", &model), CLCNN_ERROR_IO);
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), "/nonexistent.model"));
    ck_assert_int_eq(clcnn_model_load(CLCNN_SOURCE_DIR "/examples", &model), CLCNN_ERROR_IO);
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), "not a regular file"));
}
END_TEST

START_TEST(a_checkpoint_round_trip_ignores_a_decimal_comma_locale)
{
    ck_assert_msg(setlocale(LC_ALL, "de_DE.UTF-8") != NULL,
                  "the de_DE.UTF-8 locale is missing: tools/install-deps.sh generates it");
    char number[16];
    snprintf(number, sizeof number, "%.2f", 0.25);
    ck_assert_str_eq(number, "0,25"); /* the locale is really in force */
    clcnn_model *model = clcnn_model_create(1, 6, 6);
    clcnn_model_conv2d(model, 2, 3, CLCNN_PADDING_SAME, CLCNN_ACTIVATION_RELU);
    clcnn_model_flatten(model);
    clcnn_model_dropout(model, 0.375f);
    clcnn_model_dense(model, 3, CLCNN_ACTIVATION_SOFTMAX);
    ck_assert_ok(clcnn_model_status(model));
    clcnn_context *context;
    ck_assert_ok(clcnn_context_create("ref", NULL, &context));
    clcnn_train_options options = clcnn_train_defaults();
    options.batch_size = 4;
    clcnn_trainer *trainer;
    ck_assert_ok(clcnn_trainer_create(context, model, &options, &trainer));
    char path[4200];
    snprintf(path, sizeof path, "%s/locale.ckpt", make_temp_dir("model-locale"));
    const char names[3][CLCNN_CLASS_NAME_BYTES] = {"Ärmel", "b", "c"};
    ck_assert_ok(clcnn_save(trainer, path, names, 3));
    clcnn_model *loaded_model;
    clcnn_trainer *loaded;
    ck_assert_ok(clcnn_load(context, path, NULL, &loaded_model, &loaded));
    char a[4096], b[4096];
    clcnn_model_describe(model, a, sizeof a);
    clcnn_model_describe(loaded_model, b, sizeof b);
    ck_assert_str_eq(a, b);
    ck_assert_ptr_nonnull(strstr(a, "rate=0.375"));
    clcnn_checkpoint c;
    ck_assert_ok(clcnn_checkpoint_read(path, &c));
    ck_assert_str_eq(c.class_names, "Ärmel\nb\nc\n");
    clcnn_checkpoint_free(&c);
    clcnn_trainer_destroy(loaded);
    clcnn_model_destroy(loaded_model);
    clcnn_trainer_destroy(trainer);
    clcnn_context_destroy(context);
    clcnn_model_destroy(model);
    setlocale(LC_ALL, "C");
}
END_TEST

/* ---- datasets -------------------------------------------------------------------------------- */

static void write_bytes(const char *folder, const char *name, const uint8_t *bytes, size_t size,
                        bool gzip)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s%s", folder, name, gzip ? ".gz" : "");
    if (gzip) {
        gzFile file = gzopen(path, "wb");
        ck_assert_ptr_nonnull(file);
        ck_assert_int_eq(gzwrite(file, bytes, (unsigned)size), (int)size);
        ck_assert_int_eq(gzclose(file), Z_OK);
    } else {
        ck_assert(write_file(path, bytes, size));
    }
}

/* IDX files of count images of rows x columns, pixel (i, k) = i + k, label i % 10. */
static void write_idx(const char *folder, const char *prefix, int count, int rows, int columns,
                      bool gzip)
{
    size_t pixels = (size_t)rows * columns;
    uint8_t *images = calloc(16 + count * pixels, 1), *labels = calloc(8 + (size_t)count, 1);
    const uint32_t image_header[4] = {0x0803, (uint32_t)count, (uint32_t)rows, (uint32_t)columns};
    for (int h = 0; h < 4; h++)
        for (int b = 0; b < 4; b++)
            images[4 * h + b] = (uint8_t)(image_header[h] >> (24 - 8 * b));
    const uint32_t label_header[2] = {0x0801, (uint32_t)count};
    for (int h = 0; h < 2; h++)
        for (int b = 0; b < 4; b++)
            labels[4 * h + b] = (uint8_t)(label_header[h] >> (24 - 8 * b));
    for (int i = 0; i < count; i++) {
        labels[8 + i] = (uint8_t)(i % 10);
        for (size_t k = 0; k < pixels; k++)
            images[16 + i * pixels + k] = (uint8_t)(i + k);
    }
    char name[64];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    write_bytes(folder, name, images, 16 + count * pixels, gzip);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    write_bytes(folder, name, labels, 8 + (size_t)count, gzip);
    free(images);
    free(labels);
}

START_TEST(idx_files_load_plain_and_gzipped)
{
    for (int gzip = 0; gzip < 2; gzip++) {
        const char *folder = make_temp_dir(gzip ? "data-idx-gz" : "data-idx");
        write_idx(folder, "train", 23, 7, 5, gzip);
        write_idx(folder, "t10k", 11, 7, 5, gzip);
        clcnn_dataset data;
        ck_assert_ok(clcnn_dataset_load(folder, NULL, CLCNN_DATA_ALL, &data));
        ck_assert_str_eq(data.format, "idx");
        ck_assert_int_eq(data.train.count, 23);
        ck_assert_int_eq(data.test.count, 11);
        ck_assert_int_eq(data.train.channels, 1);
        ck_assert_int_eq(data.train.height, 7);
        ck_assert_int_eq(data.train.width, 5);
        ck_assert_int_eq(data.classes, 10);
        ck_assert_str_eq(data.class_names[3], "3");
        ck_assert_int_eq(data.train.labels[13], 3);
        ck_assert_int_eq(data.train.pixels[13 * 35 + 4], 17);
        clcnn_dataset_free(&data);
        ck_assert_ok(clcnn_dataset_load(folder, "idx", CLCNN_DATA_TEST, &data));
        ck_assert_int_eq(data.train.count, 0);
        ck_assert_int_eq(data.test.count, 11);
        clcnn_dataset_free(&data);
    }
    const char *folder = make_temp_dir("data-idx-bad");
    write_idx(folder, "train", 5, 4, 4, false);
    write_idx(folder, "t10k", 5, 4, 4, false);
    char path[4200];
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte", folder);
    const uint8_t wrong_magic[12] = {0, 0, 8, 3, 0, 0, 0, 4, 1, 2, 3, 4};
    ck_assert(write_file(path, wrong_magic, sizeof wrong_magic));
    clcnn_dataset data;
    ck_assert_int_eq(clcnn_dataset_load(folder, NULL, CLCNN_DATA_ALL, &data), CLCNN_ERROR_FORMAT);
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), "labels: magic 0x00000803, expected 0x00000801"));
    const uint8_t short_labels[12] = {0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3, 4};
    ck_assert(write_file(path, short_labels, sizeof short_labels));
    ck_assert_int_eq(clcnn_dataset_load(folder, NULL, CLCNN_DATA_ALL, &data), CLCNN_ERROR_FORMAT);
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), "4 data bytes, the header says 5"));
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte", folder);
    const uint8_t not_gzip[4] = {0x1f, 0x8b, 0, 0};
    ck_assert(write_file(path, not_gzip, sizeof not_gzip));
    ck_assert_int_eq(clcnn_dataset_load(folder, NULL, CLCNN_DATA_TEST, &data), CLCNN_ERROR_FORMAT);
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), "t10k-images-idx3-ubyte"));
}
END_TEST

START_TEST(cifar100_keeps_the_fine_labels)
{
    const char *folder = make_temp_dir("data-cifar100");
    uint8_t records[3 * 3074];
    for (int r = 0; r < 3; r++) {
        records[r * 3074] = (uint8_t)(19 - r);  /* coarse */
        records[r * 3074 + 1] = (uint8_t)(97 + r); /* fine */
        memset(records + r * 3074 + 2, r, 3072);
    }
    write_bytes(folder, "train.bin", records, sizeof records, false);
    write_bytes(folder, "test.bin", records, 3074, false);
    clcnn_dataset data;
    ck_assert_ok(clcnn_dataset_load(folder, NULL, CLCNN_DATA_ALL, &data));
    ck_assert_str_eq(data.format, "cifar100");
    ck_assert_int_eq(data.classes, 100);
    ck_assert_int_eq(data.train.count, 3);
    ck_assert_int_eq(data.train.labels[2], 99);
    ck_assert_int_eq(data.train.pixels[2 * 3072 + 5], 2);
    clcnn_dataset_free(&data);
    records[1] = 100;
    write_bytes(folder, "test.bin", records, 3074, false);
    ck_assert_int_eq(clcnn_dataset_load(folder, NULL, CLCNN_DATA_ALL, &data), CLCNN_ERROR_FORMAT);
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), "has label 100, expected 0-99"));
    ck_assert_int_eq(clcnn_dataset_load(folder, "mnist", CLCNN_DATA_ALL, &data),
                     CLCNN_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), "expected cifar10, cifar100 or idx"));
}
END_TEST

START_TEST(a_model_that_does_not_fit_the_data_is_refused)
{
    const char *folder = make_temp_dir("data-mismatch");
    write_idx(folder, "train", 12, 6, 6, false); /* labels 0-9: 10 classes */
    write_idx(folder, "t10k", 4, 6, 6, false);
    clcnn_dataset data;
    ck_assert_ok(clcnn_dataset_load(folder, NULL, CLCNN_DATA_ALL, &data));
    const clcnn_source source = clcnn_images_source(&data.train, data.classes);
    clcnn_context *context;
    ck_assert_ok(clcnn_context_create("ref", NULL, &context));
    const char *models[2] = {"input height=6 width=6 channels=3\nflatten\ndense units=10 activation=softmax\n",
                             "input height=6 width=6 channels=1\nflatten\ndense units=7 activation=softmax\n"};
    const char *expected[2] = {"the model takes 6x6x3 inputs (height x width x channels) but the data's images are 6x6x1",
                               "the model ends in 7 classes but the data has 10"};
    for (int k = 0; k < 2; k++) {
        clcnn_model *model = parse_ok(models[k]);
        clcnn_trainer *trainer;
        clcnn_train_options options = clcnn_train_defaults();
        options.batch_size = 4;
        ck_assert_ok(clcnn_trainer_create(context, model, &options, &trainer));
        double loss, accuracy;
        ck_assert_int_eq(clcnn_fit_epoch(trainer, &source, 8, 1, &loss, &accuracy),
                         CLCNN_ERROR_INVALID_ARGUMENT);
        ck_assert_msg(strstr(clcnn_last_error(), expected[k]), "%s", clcnn_last_error());
        clcnn_trainer_destroy(trainer);
        clcnn_model_destroy(model);
    }
    clcnn_context_destroy(context);
    clcnn_dataset_free(&data);
}
END_TEST

/* ---- the split step and graphs ------------------------------------------------------------------ */

/* A residual block: `stem` feeds both the branch and the add, so its gradient is a sum. */
static const char *residual_model =
    "input height=8 width=8 channels=3\n"
    "conv2d filters=4 kernel=3 padding=same activation=relu name=stem\n"
    "conv2d filters=4 kernel=3 padding=same activation=relu\n"
    "conv2d filters=4 kernel=3 padding=same\n"
    "add from=stem\n"
    "activation activation=relu\n"
    "maxpool2d pool=2\n"
    "flatten\n"
    "dense units=12 activation=tanh\n"
    "dropout rate=0.5\n"
    "dense units=5 activation=softmax\n";

typedef struct fixture {
    clcnn_context *context;
    clcnn_model *model;
    clcnn_trainer *trainer;
} fixture;

static fixture open_fixture(const char *spec, const char *text, int batch)
{
    fixture f;
    ck_assert_ok(clcnn_context_create(spec, NULL, &f.context));
    f.model = parse_ok(text);
    clcnn_train_options options = clcnn_train_defaults();
    options.batch_size = batch;
    options.seed = 11;
    options.learning_rate = 1e-2;
    ck_assert_ok(clcnn_trainer_create(f.context, f.model, &options, &f.trainer));
    return f;
}

static void close_fixture(fixture *f)
{
    clcnn_trainer_destroy(f->trainer);
    clcnn_model_destroy(f->model);
    clcnn_context_destroy(f->context);
}

static void random_batch(float *x, int32_t *labels, int n, size_t sample, int classes, uint32_t seed)
{
    for (size_t i = 0; i < (size_t)n * sample; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / 16777216.0f;
    }
    for (int i = 0; i < n; i++)
        labels[i] = (int32_t)((i * 7 + (int)seed % 5 + 5) % classes);
}

START_TEST(the_split_step_equals_the_one_call_step)
{
    fixture a = open_fixture(test_device_spec(), residual_model, 6);
    fixture b = open_fixture(test_device_spec(), residual_model, 6);
    float x[6 * 192];
    int32_t labels[6];
    size_t count = clcnn_model_parameter_count(a.model), gradients = clcnn_trainer_gradient_count(b.trainer);
    ck_assert_uint_ge(gradients, count);
    float *arena = malloc(gradients * sizeof(float));
    for (int step = 0; step < 3; step++) {
        random_batch(x, labels, 6, 192, 5, 100u + (uint32_t)step);
        clcnn_batch_totals one, split;
        ck_assert_ok(clcnn_trainer_train_step(a.trainer, x, labels, 6, &one));
        ck_assert_ok(clcnn_trainer_gradients(b.trainer, x, labels, 6, 0, &split));
        /* through the host and back, as replicas exchange them */
        ck_assert_ok(clcnn_trainer_read_gradients(b.trainer, arena));
        ck_assert_ok(clcnn_trainer_write_gradients(b.trainer, arena));
        ck_assert_ok(clcnn_trainer_apply(b.trainer));
        ck_assert(one.loss_sum == split.loss_sum);
    }
    float *pa = malloc(3 * count * sizeof(float)), *pb = malloc(3 * count * sizeof(float));
    ck_assert_ok(clcnn_trainer_get_state(a.trainer, pa, pa + count, pa + 2 * count));
    ck_assert_ok(clcnn_trainer_get_state(b.trainer, pb, pb + count, pb + 2 * count));
    ck_assert_int_eq(memcmp(pa, pb, 3 * count * sizeof(float)), 0);
    ck_assert_uint_eq(clcnn_trainer_steps(b.trainer), 3);
    free(pa), free(pb), free(arena);
    close_fixture(&a);
    close_fixture(&b);
}
END_TEST

START_TEST(dropout_masks_follow_the_global_sample_index)
{
    /* one batch of 6 on one trainer, or its halves on two with first_sample 0 and 3, must
     * give the same per-sample losses: the same masks */
    const char *text = "input height=2 width=2 channels=1\nflatten\ndense units=64 activation=relu\n"
                       "dropout rate=0.5\ndense units=3 activation=softmax\n";
    fixture whole = open_fixture(test_device_spec(), text, 6), half = open_fixture(test_device_spec(), text, 3);
    float x[6 * 4];
    int32_t labels[6];
    random_batch(x, labels, 6, 4, 3, 7);
    clcnn_batch_totals all, first, second;
    ck_assert_ok(clcnn_trainer_gradients(whole.trainer, x, labels, 6, 0, &all));
    size_t n = clcnn_trainer_gradient_count(whole.trainer);
    float *g_all = malloc(n * sizeof(float)), *g_first = malloc(n * sizeof(float)),
          *g_second = malloc(n * sizeof(float));
    ck_assert_ok(clcnn_trainer_read_gradients(whole.trainer, g_all));
    ck_assert_ok(clcnn_trainer_gradients(half.trainer, x, labels, 3, 0, &first));
    ck_assert_ok(clcnn_trainer_read_gradients(half.trainer, g_first));
    ck_assert_ok(clcnn_trainer_gradients(half.trainer, x + 3 * 4, labels + 3, 3, 3, &second));
    ck_assert_ok(clcnn_trainer_read_gradients(half.trainer, g_second));
    /* gradients are means: the whole batch's is the mean of the halves' */
    double difference = 0, norm = 0;
    for (size_t i = 0; i < n; i++) {
        double d = 0.5 * ((double)g_first[i] + g_second[i]) - g_all[i];
        difference += d * d;
        norm += (double)g_all[i] * g_all[i];
    }
    ck_assert_msg(difference <= 1e-10 * norm, "relative difference %g", difference / norm);
    ck_assert_double_eq_tol(first.loss_sum + second.loss_sum, all.loss_sum, 1e-4);
    /* the halves drawn with first_sample 0 for both would not match */
    ck_assert_ok(clcnn_trainer_gradients(half.trainer, x + 3 * 4, labels + 3, 3, 0, &second));
    ck_assert_ok(clcnn_trainer_read_gradients(half.trainer, g_second));
    difference = 0;
    for (size_t i = 0; i < n; i++) {
        double d = 0.5 * ((double)g_first[i] + g_second[i]) - g_all[i];
        difference += d * d;
    }
    ck_assert_msg(difference > 1e-6 * norm, "masks did not depend on first_sample");
    free(g_all), free(g_first), free(g_second);
    close_fixture(&whole);
    close_fixture(&half);
}
END_TEST

/* Three steps of a model of 5 classes on the device, each cross-checked against the reference
 * (the last of batch 1); returns the fewest tensors a step compared. */
static int crosscheck_three_steps(const char *model, int batch, size_t sample, uint32_t seed)
{
    fixture device = open_fixture(test_device_spec(), model, batch);
    fixture reference = open_fixture("ref", model, batch);
    float *x = malloc((size_t)batch * sample * sizeof(float));
    int32_t *labels = malloc((size_t)batch * sizeof(int32_t));
    int fewest = 1 << 30;
    for (int step = 0; step < 3; step++) {
        int n = step == 2 ? 1 : batch;
        random_batch(x, labels, n, sample, 5, seed + (uint32_t)step);
        clcnn_batch_totals totals;
        clcnn_crosscheck_report report;
        ck_assert_ok(clcnn_trainer_crosscheck(device.trainer, reference.trainer, x, labels, n,
                                              &totals, &report));
        ck_assert_msg(report.passed, "step %d: %s at %.3g\n%s", step, report.worst_tensor,
                      report.worst_error, report.lines);
        fewest = report.tensors < fewest ? report.tensors : fewest;
    }
    free(x), free(labels);
    close_fixture(&device);
    close_fixture(&reference);
    return fewest;
}

START_TEST(a_residual_graph_agrees_with_the_reference_step_by_step)
{
    ck_assert_int_ge(crosscheck_three_steps(residual_model, 5, 192, 40u), 30);
}
END_TEST

/* The layers of a ResNet: a strided convolution without bias, batch norm (after a conv and
 * after a dense layer), average pooling (overlapping, padded edges not counted) in a residual
 * block, and a global average pool: shapes, then three steps (one of batch 1) against the
 * reference. */
static const char *pooled_model =
    "input height=9 width=9 channels=3\n"
    "conv2d filters=4 kernel=3 stride=2 padding=same use_bias=false\n"
    "batchnorm momentum=0.9\n"
    "activation activation=relu name=stem\n"
    "avgpool2d pool=3 stride=1 padding=same\n"
    "add from=stem\n"
    "avgpool2d pool=2 padding=same\n"
    "global_avgpool2d\n"
    "dense units=6 use_bias=false\n"
    "batchnorm\n"
    "dense units=5 activation=softmax\n";

START_TEST(resnet_layers_agree_with_the_reference)
{
    clcnn_model *model = parse_ok(pooled_model);
    clcnn_layer_info info;
    ck_assert(clcnn_model_layer_info(model, 1, &info));
    ck_assert_str_eq(info.name, "batch_normalization");
    ck_assert_uint_eq(info.parameters, 4 * 4); /* gamma, beta, moving mean and variance */
    ck_assert(clcnn_model_layer_info(model, 3, &info));
    ck_assert_str_eq(info.kind, "avgpool2d");
    ck_assert_int_eq(info.out_h, 5); /* pool 3, stride 1, same */
    ck_assert(clcnn_model_layer_info(model, 5, &info));
    ck_assert_int_eq(info.out_h, 3); /* ceil(5 / 2) */
    ck_assert(clcnn_model_layer_info(model, 6, &info));
    ck_assert_str_eq(info.name, "global_average_pooling2d");
    ck_assert(info.flat);
    ck_assert_int_eq(info.out_c, 4);
    ck_assert_uint_eq(info.parameters, 0);
    clcnn_model_destroy(model);
    crosscheck_three_steps(pooled_model, 4, 243, 70u);
}
END_TEST

/* The gradient of a tensor that feeds two nodes is the sum of both paths: the reference
 * trainer's input gradient of the residual model against central differences of its loss. */
START_TEST(fan_out_gradients_match_finite_differences)
{
    const char *text = "input height=3 width=3 channels=1\n"
                       "conv2d filters=2 kernel=3 padding=same activation=tanh name=stem\n"
                       "conv2d filters=2 kernel=3 padding=same\n"
                       "add from=stem\n"
                       "flatten\n"
                       "dense units=3 activation=softmax\n";
    fixture f = open_fixture("ref", text, 2);
    size_t count = clcnn_model_parameter_count(f.model);
    float *state = malloc(3 * count * sizeof(float));
    ck_assert_ok(clcnn_trainer_get_state(f.trainer, state, state + count, state + 2 * count));
    float x[2 * 9];
    int32_t labels[2];
    random_batch(x, labels, 2, 9, 3, 3);
    clcnn_batch_totals totals;
    ck_assert_ok(clcnn_trainer_gradients(f.trainer, x, labels, 2, 0, &totals));
    size_t n = clcnn_trainer_gradient_count(f.trainer);
    float *analytic = malloc(n * sizeof(float));
    ck_assert_ok(clcnn_trainer_read_gradients(f.trainer, analytic));
    /* the first conv's kernel (18 values) sits at the start of the arena; its gradient flows
     * through both the branch and the shortcut */
    for (int k = 0; k < 18; k++) {
        const float h = 1e-2f, saved = state[k];
        double loss[2];
        for (int side = 0; side < 2; side++) {
            state[k] = saved + (side ? h : -h);
            ck_assert_ok(clcnn_trainer_set_state(f.trainer, state, NULL, NULL, 0));
            ck_assert_ok(clcnn_trainer_evaluate(f.trainer, x, labels, 2, &totals, NULL, NULL));
            loss[side] = totals.loss_sum / 2;
        }
        state[k] = saved;
        double numeric = (loss[1] - loss[0]) / (2 * h);
        ck_assert_msg(fabs(numeric - analytic[k]) <= 2e-3 + 2e-2 * fabs(numeric),
                      "kernel[%d]: finite difference %.6g, backward %.6g", k, numeric, analytic[k]);
    }
    free(state), free(analytic);
    close_fixture(&f);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("model");
    TCase *files = tcase_create("model files");
    tcase_add_test(files, the_tutorial_model_file_is_the_seed_model);
    tcase_add_test(files, every_keyword_is_read_and_written_back);
    tcase_add_test(files, a_bad_line_names_the_file_line_word_and_expectation);
    tcase_add_test(files, a_checkpoint_round_trip_ignores_a_decimal_comma_locale);
    suite_add_tcase(suite, files);
    TCase *data = tcase_create("datasets");
    tcase_add_test(data, idx_files_load_plain_and_gzipped);
    tcase_add_test(data, cifar100_keeps_the_fine_labels);
    tcase_add_test(data, a_model_that_does_not_fit_the_data_is_refused);
    suite_add_tcase(suite, data);
    TCase *graph = tcase_create("split step and graphs");
    tcase_add_test(graph, the_split_step_equals_the_one_call_step);
    tcase_add_test(graph, dropout_masks_follow_the_global_sample_index);
    tcase_add_test(graph, a_residual_graph_agrees_with_the_reference_step_by_step);
    tcase_add_test(graph, resnet_layers_agree_with_the_reference);
    tcase_add_test(graph, fan_out_gradients_match_finite_differences);
    suite_add_tcase(suite, graph);
    return run_suite(suite);
}
