/* Every op and direction on the test device against the reference (the same cases as
 * `clcnn check`), and proof that the comparison catches a wrong kernel.
 * CLCNN_TEST_SHAPES=small|all picks the shape set (Oclgrind runs the small one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clcnn/check.h"
#include "harness.h"

typedef struct tally {
    int rows;
    int failed_rows;
    char failed_ops[16384];/* "op/direction/variant " for each failed row */
    char ran[16384];        /* "op/direction/variant " for each distinct row kind */
} tally;

static void record_row(const clcnn_check_row *row, void *user_data)
{
    tally *t = user_data;
    t->rows++;
    char kind[128];
    snprintf(kind, sizeof kind, "%s/%s/%s ", row->op, row->direction, row->variant);
    if (!strstr(t->ran, kind) && strlen(t->ran) + strlen(kind) < sizeof t->ran)
        strcat(t->ran, kind);
    /* err/tol is the number that decides: a float row passes exactly when it is <= 1 */
    ck_assert_msg(!row->canaries_intact || row->passed == (row->error_over_tolerance <= 1.0),
                  "%s %s: passed %d but err/tol %g", row->op, row->direction, row->passed,
                  row->error_over_tolerance);
    if (row->passed)
        return;
    t->failed_rows++;
    fprintf(stderr, "FAIL %s %s [%s]: max abs %.3g, max rel %.3g, tolerance %.3g + %.3g|ref|%s; %s\n",
            row->op, row->direction, row->shape, row->max_abs_error, row->max_rel_error,
            row->tolerance_abs, row->tolerance_rel,
            row->canaries_intact ? "" : ", canaries overwritten", row->mismatches);
    size_t used = strlen(t->failed_ops);
    snprintf(t->failed_ops + used, sizeof t->failed_ops - used, "%s/%s/%s ", row->op,
             row->direction, row->variant);
}

static clcnn_check_shapes shapes_from_environment(void)
{
    const char *shapes = getenv("CLCNN_TEST_SHAPES");
    return shapes && !strcmp(shapes, "all") ? CLCNN_CHECK_SHAPES_ALL : CLCNN_CHECK_SHAPES_SMALL;
}

START_TEST(every_op_matches_the_reference)
{
    clcnn_context *context = NULL;
    ck_assert_ok(clcnn_context_create(test_device_spec(), NULL, &context));
    fprintf(stderr, "checking on %s\n", context->device.name);
    tally t = {0};
    int failures = 0;
    ck_assert_ok(clcnn_check_run_variants(context, shapes_from_environment(),
                                          CLCNN_CHECK_VARIANTS_ALL, 42, 1, record_row, &t,
                                          &failures));
    /* every variant of every op ran, forced where the device would choose another */
    for (int op = 0; op < CLCNN_VARIANT_OP_COUNT; op++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s", clcnn_variant_op_name((clcnn_variant_op)op));
        char *space = strchr(prefix, ' ');
        if (space) /* "conv2d forward": rows of op conv2d, direction forward */
            *space = '/';
        for (int v = 0; v < clcnn_variant_count((clcnn_variant_op)op); v++) {
            char kind[128];
            snprintf(kind, sizeof kind, "%s%s/%s ", prefix, space ? "" : "/forward",
                     clcnn_variant_at((clcnn_variant_op)op, v)->name);
            ck_assert_msg(strstr(t.ran, kind) != NULL, "no check row ran %s", kind);
        }
    }
    clcnn_context_destroy(context);
    ck_assert_int_gt(t.rows, 60);
    ck_assert_msg(failures == 0 && t.failed_rows == 0, "%d rows failed: %s", t.failed_rows,
                  t.failed_ops);
}
END_TEST

/* A ReLU kernel with a slightly wrong slope, a conv2d that skips the last input channel, a
 * channel-vectorised dW that skips the batch's last sample, a conv2d and a batch norm whose
 * fused pooling misplaces the lower row's argmax, a channel-vectorised forward that
 * ignores the column stride, a tiled conv2d that skips one k of
 * every TILE_K, an average pool that counts the padding
 * (Keras does not) and a batch norm that forgets epsilon in training (a 0.15% error here) must
 * all be caught, and nothing else may be blamed. One device proves the check catches them:
 * a simulator's run (all variants, interpreted) is there for its race and bounds reports. */
START_TEST(a_wrong_kernel_is_caught)
{
    {
        clcnn_context *probe = NULL;
        ck_assert_ok(clcnn_context_create(test_device_spec(), NULL, &probe));
        const bool simulator = probe->device.is_simulator;
        clcnn_context_destroy(probe);
        if (simulator)
            return;
    }
    static const struct {
        const char *file, *from, *to;
    } mutations[] = {
        {"activation.cl", "case ACTIVATION_RELU: out = v < 0.0f ? 0.0f : v;",
         "case ACTIVATION_RELU: out = v < 0.0f ? 0.0f : v * 1.0001f;"},
        {"avgpool2d.cl", "y[(plane * OH + oh) * OW + ow] = sum / (float)((h1 - h0) * (w1 - w0));",
         "y[(plane * OH + oh) * OW + ow] = sum / (float)(KH * KW);"},
        {"batchnorm.cl", "stats[C + c] = 1.0f / sqrt(variance + epsilon);",
         "stats[C + c] = 1.0f / sqrt(variance);"},
        {"conv2d.cl", "for (int c = 0; c < C; c++) {\n        __global const float *x_plane",
         "for (int c = 0; c < C - 1; c++) {\n        __global const float *x_plane"},
        {"conv2d.cl",
         "for (int n = 0; n < N; n++) {\n            __global const float *plane = xp + (size_t)n "
         "* C * HP * WP;\n            for (int oh = 0; oh < OH; oh++) {\n                "
         "__global const float *in[6];",
         "for (int n = 0; n < N - 1; n++) {\n            __global const float *plane = xp + "
         "(size_t)n * C * HP * WP;\n            for (int oh = 0; oh < OH; oh++) {\n            "
         "    __global const float *in[6];"},
        {"conv2d.cl", "select(pair_offset.lo, pair_offset.hi + OW, take_lower)",
         "select(pair_offset.lo, pair_offset.hi, take_lower)"},
        {"batchnorm.cl", "select((int4)(W), (int4)(W + 1), right_l)",
         "select((int4)(W), (int4)(W), right_l)"},
        {"conv2d.cl", "at[j] = p / OW * stride_h * WP + p % OW * stride_w;",
         "at[j] = p / OW * stride_h * WP + p % OW;"},
        {"conv2d_tiled.cl", "for (int kk = 0; kk < TILE_K; kk++) {",
         "for (int kk = 1; kk < TILE_K; kk++) {"},
        {"conv2d_winograd.cl", "e[3][q] = d[1][q] - d[3][q];", "e[3][q] = d[1][q] + d[3][q];"},
        {"conv2d_winograd.cl", "pool_step(y10, corner + OW, &best, &at);",
         "pool_step(y10, corner + 1, &best, &at);"},
    };
    const char *dir = make_temp_dir("mutant-kernels");
    for (size_t i = 0; i < clcnn_embedded_kernel_count; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, clcnn_embedded_kernels[i].name);
        char *text = strndup((const char *)clcnn_embedded_kernels[i].bytes,
                             clcnn_embedded_kernels[i].length);
        char *mutated = text;
        for (size_t m = 0; m < sizeof mutations / sizeof mutations[0]; m++) {
            if (strcmp(clcnn_embedded_kernels[i].name, mutations[m].file))
                continue;
            char *at = strstr(mutated, mutations[m].from);
            ck_assert_msg(at != NULL, "mutation site %zu not found in %s", m, mutations[m].file);
            size_t prefix = (size_t)(at - mutated);
            char *next = malloc(strlen(mutated) + strlen(mutations[m].to) + 1);
            memcpy(next, mutated, prefix);
            strcpy(next + prefix, mutations[m].to);
            strcat(next, at + strlen(mutations[m].from));
            if (mutated != text)
                free(mutated);
            mutated = next;
        }
        ck_assert(write_file(path, mutated, strlen(mutated)));
        if (mutated != text)
            free(mutated);
        free(text);
    }
    setenv("CLCNN_KERNEL_DIR", dir, 1);
    clcnn_context *context = NULL;
    ck_assert_ok(clcnn_context_create(test_device_spec(), NULL, &context));
    tally t = {0};
    int failures = 0;
    ck_assert_ok(clcnn_check_run_variants(context, CLCNN_CHECK_SHAPES_SMALL,
                                          CLCNN_CHECK_VARIANTS_ALL, 42, 1, record_row, &t,
                                          &failures));
    clcnn_context_destroy(context);
    unsetenv("CLCNN_KERNEL_DIR");
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "relu/forward"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "conv2d/forward/direct "));
    ck_assert_ptr_null(strstr(t.failed_ops, "conv2d/forward/direct_3x3_f8"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "conv2d/forward_pool/direct_3x3_f8"));
    ck_assert_ptr_null(strstr(t.failed_ops, "conv2d/forward_pool/channels"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "conv2d/forward/tiled"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "conv2d/backward_data/tiled"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "conv2d/backward_weights/tiled"));
    ck_assert_ptr_null(strstr(t.failed_ops, "conv2d/backward_weights/direct"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "conv2d/backward_weights/channels"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "conv2d/forward/channels"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "conv2d/forward/winograd"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "conv2d/backward_data/winograd"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "conv2d/forward_pool/winograd"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "avgpool2d/forward"));
    ck_assert_ptr_null(strstr(t.failed_ops, "avgpool2d/backward"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "batchnorm/forward_training"));
    ck_assert_ptr_null(strstr(t.failed_ops, "batchnorm/forward_inference/"));
    ck_assert_ptr_nonnull(strstr(t.failed_ops, "batchnorm/forward_inference_pool/"));
    ck_assert_ptr_null(strstr(t.failed_ops, "dense"));
    ck_assert_ptr_null(strstr(t.failed_ops, "maxpool2d"));
    ck_assert_int_eq(failures, t.failed_rows);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("ops");
    TCase *tc = tcase_create("ops");
    tcase_add_test(tc, every_op_matches_the_reference);
    tcase_add_test(tc, a_wrong_kernel_is_caught);
    suite_add_tcase(suite, tc);
    return run_suite(suite);
}
