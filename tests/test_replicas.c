/* Data-parallel replicas in one process (include/clcnn/replicas.h): the reduction against a
 * plain sum, the split of a batch, and training on the test device twice against one device
 * with the same global batch: the same losses and weights within float summation tolerance,
 * the replicas identical to each other, and two runs identical to each other. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/data.h"
#include "clcnn/fit.h"
#include "clcnn/replicas.h"
#include "harness.h"

START_TEST(the_sum_is_the_weighted_sum_in_replica_order)
{
    const size_t sizes[] = {1, 7, 1023};
    uint64_t state = 3;
    for (int count = 1; count <= 4; count++)
        for (int s = 0; s < 3; s++) {
            const size_t floats = sizes[s];
            float *parts[4], *sum = malloc(floats * sizeof(float));
            double scales[4];
            for (int k = 0; k < count; k++) {
                parts[k] = malloc(floats * sizeof(float));
                scales[k] = (k + 1.0) / (count * (count + 1) / 2.0);
                for (size_t i = 0; i < floats; i++) {
                    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                    parts[k][i] = (float)((double)(state >> 11) / 9007199254740992.0 - 0.5);
                }
            }
            clcnn_gradients_sum((const float *const *)parts, scales, count, floats, sum);
            for (size_t i = 0; i < floats; i++) {
                double expected = 0.0;
                for (int k = 0; k < count; k++)
                    expected += scales[k] * parts[k][i];
                ck_assert_msg(sum[i] == (float)expected, "%d parts, %zu floats: [%zu] %g, not %g",
                              count, floats, i, sum[i], expected);
            }
            for (int k = 0; k < count; k++)
                free(parts[k]);
            free(sum);
        }
}
END_TEST

static clcnn_train_options options_of(int batch)
{
    clcnn_train_options options = clcnn_train_defaults();
    options.batch_size = batch;
    options.seed = 4;
    options.learning_rate = 1e-2;
    options.augment_pad = 2;
    options.augment_mirror = true;
    return options;
}

/* replicas on `count` contexts of the test device with weights (NULL: equal) */
static clcnn_replicas *open_replicas(clcnn_context **contexts, int count, const double *weights,
                                     const clcnn_model *model, int batch)
{
    for (int k = 0; k < count; k++)
        ck_assert_ok(clcnn_context_create(test_device_spec(), NULL, &contexts[k]));
    const clcnn_train_options options = options_of(batch);
    clcnn_replicas *replicas = NULL;
    ck_assert_ok(clcnn_replicas_create(contexts, count, weights, model, &options, &replicas));
    return replicas;
}

static float *state_of(clcnn_trainer *trainer, const clcnn_model *model)
{
    const size_t count = clcnn_model_parameter_count(model);
    float *state = malloc(3 * count * sizeof(float));
    ck_assert_ok(clcnn_trainer_get_state(trainer, state, state + count, state + 2 * count));
    return state;
}

START_TEST(a_batch_splits_by_weight)
{
    clcnn_model *model = test_small_model();
    clcnn_context *contexts[3];
    const double weights[3] = {3, 1, 1};
    clcnn_replicas *replicas = open_replicas(contexts, 3, weights, model, 64);
    int first[3], counts[3];
    clcnn_replicas_split(replicas, 64, first, counts);
    ck_assert(counts[0] == 39 && counts[1] == 13 && counts[2] == 12 && first[1] == 39 && first[2] == 52);
    clcnn_replicas_split(replicas, 1, first, counts);
    ck_assert(counts[0] == 1 && counts[1] == 0 && counts[2] == 0);
    clcnn_replicas_destroy(replicas);
    for (int k = 0; k < 3; k++)
        clcnn_context_destroy(contexts[k]);

    const clcnn_train_options options = options_of(8);
    const double bad[2] = {1, 0};
    ck_assert_int_eq(clcnn_replicas_create(contexts, 2, bad, model, &options, &replicas),
                     CLCNN_ERROR_INVALID_ARGUMENT);
    ck_assert_str_eq(clcnn_last_error(),
                     "replicas: replica 1's share of a batch is 0; every share must be positive");
    ck_assert_int_eq(clcnn_replicas_create(contexts, 0, NULL, model, &options, &replicas),
                     CLCNN_ERROR_INVALID_ARGUMENT);
    clcnn_model_destroy(model);
}
END_TEST

/* 7 steps of 16 over 100 images (the last step 4 images: fewer than 3:1 would give replica 1
 * whole), on one device and on two replicas of it, weighted 1:1 and 3:1. */
static double train(clcnn_replicas *replicas, clcnn_trainer *single, const clcnn_images *images,
                    double *step_losses)
{
    const int B = 16, total = 100;
    int32_t order[100];
    clcnn_shuffle(4, 1, order, total);
    const clcnn_source source = clcnn_images_source(images, 10);
    clcnn_batch batch;
    ck_assert_ok(clcnn_batch_create(&source, B, &batch));
    double loss = 0;
    for (int first = 0, step = 0; first < total; first += B, step++) {
        const int n = total - first < B ? total - first : B;
        ck_assert_ok(clcnn_batch_fill(&batch, &source, order + first, n));
        clcnn_batch_totals totals;
        if (replicas)
            ck_assert_ok(clcnn_replicas_train_step(replicas, batch.x, batch.labels, n, &totals));
        else
            ck_assert_ok(clcnn_trainer_train_step(single, batch.x, batch.labels, n, &totals));
        ck_assert_int_eq(totals.count, n);
        step_losses[step] = totals.loss_sum;
        loss += totals.loss_sum;
    }
    clcnn_batch_free(&batch);
    return loss / total;
}

START_TEST(replicas_match_one_device_and_each_other)
{
    const char *folder = make_temp_dir("replicas-data");
    ck_assert(write_cifar_folder(folder, 20, 5, 6));
    clcnn_dataset data;
    ck_assert_ok(clcnn_dataset_load(folder, NULL, CLCNN_DATA_ALL, &data));
    clcnn_model *model = test_small_model();
    const size_t parameters = clcnn_model_parameter_count(model);

    clcnn_context *context;
    ck_assert_ok(clcnn_context_create(test_device_spec(), NULL, &context));
    const clcnn_train_options options = options_of(16);
    clcnn_trainer *single;
    ck_assert_ok(clcnn_trainer_create(context, model, &options, &single));
    double single_steps[7];
    const double single_loss = train(NULL, single, &data.train, single_steps);
    float *expected = state_of(single, model);

    const double three_to_one[2] = {3, 1};
    float *first_run = NULL;
    for (int run = 0; run < 3; run++) {
        clcnn_context *contexts[2];
        clcnn_replicas *replicas =
            open_replicas(contexts, 2, run == 2 ? three_to_one : NULL, model, 16);
        double steps[7];
        const double loss = train(replicas, NULL, &data.train, steps);
        for (int s = 0; s < 7; s++)
            ck_assert_msg(fabs(steps[s] - single_steps[s]) <= 1e-4 * fabs(single_steps[s]),
                          "run %d step %d: loss sum %.9g, one device %.9g", run, s, steps[s],
                          single_steps[s]);
        ck_assert(fabs(loss - single_loss) <= 1e-4 * single_loss);
        double drift = -1;
        ck_assert_ok(clcnn_replicas_compare(replicas, &drift));
        ck_assert_msg(drift == 0.0, "run %d: the replicas differ by %g", run, drift);
        float *got = state_of(clcnn_replicas_trainer(replicas, 0), model);
        for (size_t i = 0; i < parameters; i++)
            ck_assert_msg(fabs(got[i] - expected[i]) <= 1e-4 + 1e-3 * fabs(expected[i]),
                          "run %d parameter %zu: %.9g, one device %.9g", run, i, got[i],
                          expected[i]);
        if (run == 0)
            first_run = got;
        else if (run == 1) { /* the same layout again: bit for bit */
            ck_assert_int_eq(memcmp(first_run, got, 3 * parameters * sizeof(float)), 0);
            free(got);
        } else
            free(got);
        clcnn_replicas_destroy(replicas);
        for (int k = 0; k < 2; k++)
            clcnn_context_destroy(contexts[k]);
    }
    free(first_run);
    free(expected);
    clcnn_trainer_destroy(single);
    clcnn_context_destroy(context);
    clcnn_model_destroy(model);
    clcnn_dataset_free(&data);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("replicas");
    TCase *tc = tcase_create("replicas");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, the_sum_is_the_weighted_sum_in_replica_order);
    tcase_add_test(tc, a_batch_splits_by_weight);
    tcase_add_test(tc, replicas_match_one_device_and_each_other);
    suite_add_tcase(suite, tc);
    return run_suite(suite);
}
