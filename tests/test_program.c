/* Run-time kernel compilation, build errors, the binary cache and the embedded sources. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "ops.h"

static const char *const tiny_source =
    "__kernel void saxpy(__global const float *x, __global float *y, const float a,\n"
    "                    const int count)\n"
    "{\n"
    "    const int i = (int)get_global_id(0);\n"
    "    if (i < count)\n"
    "        y[i] += a * x[i];\n"
    "}\n";

static clcnn_context *open_context(void)
{
    clcnn_context *context = NULL;
    ck_assert_ok(clcnn_context_create(test_device_spec(), NULL, &context));
    return context;
}

static void use_cache_dir(const char *name)
{
    ck_assert_int_eq(setenv("CLCNN_CACHE_DIR", make_temp_dir(name), 1), 0);
    unsetenv("CLCNN_CACHE");
}

START_TEST(a_tiny_kernel_builds_runs_and_computes)
{
    use_cache_dir("tiny");
    clcnn_context *context = open_context();
    cl_program program;
    ck_assert_ok(clcnn_program_build(context, "tiny.cl", tiny_source, strlen(tiny_source), "",
                                     &program));
    cl_int code;
    cl_kernel kernel = clCreateKernel(program, "saxpy", &code);
    ck_assert_int_eq(code, CL_SUCCESS);
    enum { COUNT = 1000 }; /* not a multiple of the work-group size */
    float x[COUNT], y[COUNT];
    for (int i = 0; i < COUNT; i++) {
        x[i] = (float)i;
        y[i] = 1.0f;
    }
    clcnn_buffer X, Y;
    ck_assert_ok(clcnn_buffer_create(context, sizeof x, &X));
    ck_assert_ok(clcnn_buffer_create(context, sizeof y, &Y));
    ck_assert_ok(clcnn_buffer_write(context, &X, 0, x, sizeof x));
    ck_assert_ok(clcnn_buffer_write(context, &Y, 0, y, sizeof y));
    float a = 0.5f;
    int count = COUNT;
    ck_assert_ok(clcnn_set_args(context, kernel, 4, sizeof(cl_mem), &X.mem, sizeof(cl_mem), &Y.mem,
                                sizeof(float), &a, sizeof(int), &count));
    ck_assert_ok(clcnn_launch_items(context, kernel, COUNT, 64));
    ck_assert_ok(clcnn_buffer_read(context, &Y, 0, y, sizeof y));
    for (int i = 0; i < COUNT; i++)
        ck_assert_float_eq(y[i], 1.0f + 0.5f * (float)i);
    clcnn_buffer_release(&X);
    clcnn_buffer_release(&Y);
    clReleaseKernel(kernel);
    clReleaseProgram(program);
    clcnn_context_destroy(context);
}
END_TEST

START_TEST(a_syntax_error_fails_with_the_log_and_line)
{
    use_cache_dir("syntax");
    clcnn_context *context = open_context();
    const char *broken = "__kernel void broken(__global float *y)\n"
                         "{\n"
                         "    y[0] = 1.0f +;\n"
                         "}\n";
    cl_program program = NULL;
    ck_assert_int_eq(clcnn_program_build(context, "broken.cl", broken, strlen(broken), "", &program),
                     CLCNN_ERROR_BUILD);
    const char *message = clcnn_last_error();
    ck_assert_ptr_nonnull(strstr(message, "broken.cl"));
    ck_assert_ptr_nonnull(strstr(message, context->device.name));
    ck_assert_ptr_nonnull(strstr(message, "build log"));
    /* PoCL writes "<source>:3:18", Oclgrind "input.cl:3:18": line 3 of broken.cl either way */
    ck_assert_msg(strstr(message, ":3:") != NULL, "the log should point at line 3: %s", message);
    clcnn_context_destroy(context);
}
END_TEST

START_TEST(a_failed_call_names_the_call_the_error_and_the_device)
{
    use_cache_dir("failed-call");
    clcnn_context *context = open_context();
    cl_kernel kernel;
    ck_assert_ok(clcnn_kernel(context, CLCNN_KERNEL_METRICS_REDUCE, &kernel));
    /* metrics_reduce requires exactly REDUCE_WG items per group */
    clcnn_status status = clcnn_launch_groups(context, kernel, 1, context->reduce_work_group / 2);
    ck_assert_int_lt(status, 0);
    const char *message = clcnn_last_error();
    ck_assert_ptr_nonnull(strstr(message, "clEnqueueNDRangeKernel"));
    ck_assert_ptr_nonnull(strstr(message, "CL_INVALID_WORK_GROUP_SIZE"));
    ck_assert_ptr_nonnull(strstr(message, context->device.name));
    ck_assert_ptr_nonnull(strstr(message, "metrics_reduce"));
    ck_assert_ptr_nonnull(strstr(message, ".c:"));
    clcnn_context_destroy(context);
}
END_TEST

static clcnn_build_stats build_tiny_in_new_context(void)
{
    clcnn_context *context = open_context();
    cl_program program;
    ck_assert_ok(clcnn_program_build(context, "tiny.cl", tiny_source, strlen(tiny_source),
                                     "-DUNUSED=1", &program));
    clReleaseProgram(program);
    clcnn_build_stats stats = clcnn_context_build_stats(context);
    clcnn_context_destroy(context);
    return stats;
}

static void tiny_entry_path(char *path, size_t size)
{
    clcnn_context *context = open_context();
    char key[2048];
    clcnn_cache_key(context, tiny_source, strlen(tiny_source), "-cl-std=CL1.2 -DUNUSED=1", key,
                    sizeof key);
    clcnn_cache_entry_path(key, path, size);
    clcnn_context_destroy(context);
}

START_TEST(the_second_build_is_served_from_the_cache)
{
    use_cache_dir("cache-hit");
    clcnn_build_stats first = build_tiny_in_new_context();
    ck_assert_int_eq(first.built_from_source, 1);
    ck_assert_int_eq(first.loaded_from_cache, 0);
    char path[4200];
    tiny_entry_path(path, sizeof path);
    struct stat info;
    ck_assert_msg(stat(path, &info) == 0, "no cache entry at %s", path);
    clcnn_build_stats second = build_tiny_in_new_context();
    ck_assert_int_eq(second.built_from_source, 0);
    ck_assert_int_eq(second.loaded_from_cache, 1);
}
END_TEST

/* Damages the entry with `damage`, then checks that the next build rejects it, rebuilds from
 * source, and leaves a good entry behind. */
static void check_damaged_entry_is_rebuilt(void (*damage)(const char *path))
{
    build_tiny_in_new_context();
    char path[4200];
    tiny_entry_path(path, sizeof path);
    damage(path);
    clcnn_build_stats rebuilt = build_tiny_in_new_context();
    ck_assert_int_eq(rebuilt.cache_rejected, 1);
    ck_assert_int_eq(rebuilt.built_from_source, 1);
    clcnn_build_stats again = build_tiny_in_new_context();
    ck_assert_int_eq(again.loaded_from_cache, 1);
}

static void flip_last_byte(const char *path)
{
    FILE *file = fopen(path, "r+b");
    ck_assert_ptr_nonnull(file);
    fseek(file, -1, SEEK_END);
    int byte = fgetc(file);
    fseek(file, -1, SEEK_END);
    fputc(byte ^ 0x5a, file);
    fclose(file);
}

static void truncate_to_half(const char *path)
{
    struct stat info;
    ck_assert_int_eq(stat(path, &info), 0);
    ck_assert_int_eq(truncate(path, info.st_size / 2), 0);
}

static void replace_with_foreign_entry(const char *path)
{
    /* a well-formed entry whose key belongs to another device */
    char key[] = "clcnn program cache format 1\nsomething else entirely\n";
    unsigned char binary[16] = {1, 2, 3};
    ck_assert_ok(clcnn_cache_store(key, binary, sizeof binary));
    char foreign[4200];
    clcnn_cache_entry_path(key, foreign, sizeof foreign);
    ck_assert_int_eq(rename(foreign, path), 0);
}

START_TEST(a_corrupt_entry_is_rebuilt)
{
    use_cache_dir("cache-corrupt");
    check_damaged_entry_is_rebuilt(flip_last_byte);
}
END_TEST

START_TEST(a_truncated_entry_is_rebuilt)
{
    use_cache_dir("cache-truncated");
    check_damaged_entry_is_rebuilt(truncate_to_half);
}
END_TEST

START_TEST(a_foreign_entry_is_rebuilt)
{
    use_cache_dir("cache-foreign");
    check_damaged_entry_is_rebuilt(replace_with_foreign_entry);
}
END_TEST

START_TEST(the_cache_can_be_turned_off)
{
    use_cache_dir("cache-off");
    setenv("CLCNN_CACHE", "0", 1);
    clcnn_build_stats first = build_tiny_in_new_context();
    clcnn_build_stats second = build_tiny_in_new_context();
    unsetenv("CLCNN_CACHE");
    ck_assert_int_eq(first.built_from_source + second.built_from_source, 2);
    ck_assert_int_eq(second.loaded_from_cache, 0);
}
END_TEST

START_TEST(embedded_kernels_match_the_files_in_cl)
{
    ck_assert_uint_eq(clcnn_embedded_kernel_count, CLCNN_PROGRAM_COUNT);
    for (size_t i = 0; i < clcnn_embedded_kernel_count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/cl/%s", CLCNN_SOURCE_DIR, clcnn_embedded_kernels[i].name);
        FILE *file = fopen(path, "rb");
        ck_assert_msg(file != NULL, "cannot open %s", path);
        unsigned char *bytes = malloc(clcnn_embedded_kernels[i].length + 1);
        size_t got = fread(bytes, 1, clcnn_embedded_kernels[i].length + 1, file);
        fclose(file);
        ck_assert_uint_eq(got, clcnn_embedded_kernels[i].length);
        ck_assert_msg(memcmp(bytes, clcnn_embedded_kernels[i].bytes, got) == 0,
                      "embedded %s differs from %s", clcnn_embedded_kernels[i].name, path);
        free(bytes);
    }
}
END_TEST

START_TEST(the_kernel_dir_overrides_the_embedded_sources)
{
    const char *dir = make_temp_dir("kernel-dir");
    const char *text = "/* from disk */\n";
    char path[4200];
    snprintf(path, sizeof path, "%s/conv2d.cl", dir);
    ck_assert(write_file(path, text, strlen(text)));
    setenv("CLCNN_KERNEL_DIR", dir, 1);
    char *source = NULL;
    size_t length = 0;
    ck_assert_ok(clcnn_kernel_source("conv2d.cl", &source, &length));
    ck_assert_str_eq(source, text);
    free(source);
    ck_assert_int_eq(clcnn_kernel_source("maxpool2d.cl", &source, &length), CLCNN_ERROR_IO);
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), "maxpool2d.cl"));
    unsetenv("CLCNN_KERNEL_DIR");
    ck_assert_ok(clcnn_kernel_source("maxpool2d.cl", &source, &length));
    ck_assert_ptr_nonnull(strstr(source, "maxpool2d_forward"));
    free(source);
}
END_TEST

/* ---- clcnn tune ------------------------------------------------------------------------- */

static bool power_of_two(int value) { return value > 0 && (value & (value - 1)) == 0; }

/* The decisions: work-group sizes counted and checked against the noise rule (a value other
 * than the default only when its slowest run beats the default's median); variant choices
 * kept by op. */
typedef struct decisions {
    int work_groups, variants, blocks;
    char chosen[CLCNN_VARIANT_OP_COUNT][32]; /* "" where the default stays */
} decisions;

static void check_decision(const clcnn_tune_row *row, void *user_data)
{
    decisions *d = user_data;
    if (!row->decision)
        return;
    if (!row->variant[0]) {
        d->work_groups++;
        ck_assert(row->value == row->default_value ||
                  row->max_milliseconds < row->default_milliseconds);
        return;
    }
    if (!strcmp(row->parameter, "conv2d tiled blocks")) {
        d->blocks++;
        return;
    }
    d->variants++;
    for (int op = 0; op < CLCNN_VARIANT_OP_COUNT; op++)
        if (!strcmp(row->parameter, clcnn_variant_op_name((clcnn_variant_op)op)) &&
            strcmp(row->variant, row->default_variant))
            snprintf(d->chosen[op], sizeof d->chosen[op], "%s", row->variant);
}

START_TEST(tuned_work_groups_are_stored_and_used_by_later_contexts)
{
    use_cache_dir("tune-stored");
    clcnn_context *context = open_context();
    bool from_store = true;
    clcnn_tuning defaults = clcnn_context_tuning(context, &from_store);
    ck_assert(!from_store);
    ck_assert_int_eq(defaults.conv2d_3x3_work_group, 64);
    clcnn_tuning winners;
    decisions made = {0};
    ck_assert_ok(clcnn_tune(context, CLCNN_CHECK_SHAPES_SMALL, 3, check_decision, &made, &winners));
    ck_assert_int_eq(made.work_groups, 3);
    ck_assert_int_eq(made.variants, CLCNN_VARIANT_OP_COUNT);
    ck_assert_int_le(made.blocks, 1); /* where tune chose the tiled convolution */
    clcnn_context_destroy(context);
    ck_assert(power_of_two(winners.conv2d_3x3_work_group));
    ck_assert(power_of_two(winners.elementwise_work_group));
    ck_assert(power_of_two(winners.planes_work_group));

    context = open_context();
    clcnn_tuning loaded = clcnn_context_tuning(context, &from_store);
    ck_assert(from_store);
    ck_assert_int_eq(loaded.conv2d_3x3_work_group, winners.conv2d_3x3_work_group);
    ck_assert_int_eq(loaded.elementwise_work_group, winners.elementwise_work_group);
    ck_assert_int_eq(loaded.planes_work_group, winners.planes_work_group);
    /* the variants tune chose are the ones a later context prefers */
    for (int op = 0; op < CLCNN_VARIANT_OP_COUNT; op++) {
        const int tuned = context->tuned_variant[op];
        ck_assert_str_eq(tuned < 0 ? "" : clcnn_variant_at((clcnn_variant_op)op, tuned)->name,
                         made.chosen[op]);
    }
    int failures = -1;
    ck_assert_ok(clcnn_check_run(context, CLCNN_CHECK_SHAPES_SMALL, 3, NULL, NULL, &failures));
    ck_assert_int_eq(failures, 0);
    clcnn_context_destroy(context);

    /* a damaged store is ignored: the defaults again */
    const char *dir = getenv("CLCNN_CACHE_DIR");
    DIR *folder = opendir(dir);
    ck_assert_ptr_nonnull(folder);
    for (struct dirent *entry; (entry = readdir(folder)) != NULL;) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        if (entry->d_name[0] != '.')
            flip_last_byte(path);
    }
    closedir(folder);
    context = open_context();
    loaded = clcnn_context_tuning(context, &from_store);
    ck_assert(!from_store);
    ck_assert_int_eq(loaded.conv2d_3x3_work_group, defaults.conv2d_3x3_work_group);
    clcnn_context_destroy(context);
}
END_TEST

/* Each parameter's families come from the kernel registry: every program whose kernels it
 * sizes, so the tuner times all of them; a family that names no case is refused rather than
 * timed as zero. */
START_TEST(tuning_families_come_from_the_kernels_each_parameter_sizes)
{
    const char *expected[CLCNN_TUNING_PARAMETERS][6] = {
        {"conv2d"},
        {"conv2d", "batchnorm", "activation", "dense", "softmax_and_metrics", "optimizers"},
        {"conv2d", "maxpool2d", "avgpool2d", "batchnorm", "gather", "dense"},
    };
    for (int i = 0; i < CLCNN_TUNING_PARAMETERS; i++) {
        char families[256];
        clcnn_tuning_families(&clcnn_tuning_parameters[i], families, sizeof families);
        for (int k = 0; k < 6 && expected[i][k]; k++)
            ck_assert_msg(strstr(families, expected[i][k]), "%s: '%s' lacks %s",
                          clcnn_tuning_parameters[i].name, families, expected[i][k]);
        clcnn_context *context = open_context();
        int failures = -1;
        ck_assert_ok(clcnn_check_families(context, CLCNN_CHECK_SHAPES_SMALL, families, 1, 1, NULL,
                                          NULL, &failures));
        ck_assert_int_eq(failures, 0);
        clcnn_context_destroy(context);
    }
    clcnn_context *context = open_context();
    int failures = -1;
    ck_assert_int_eq(clcnn_check_families(context, CLCNN_CHECK_SHAPES_SEED, "conv2d optimisers", 1,
                                          1, NULL, NULL, &failures),
                     CLCNN_ERROR_INVALID_ARGUMENT);
    ck_assert_str_eq(clcnn_last_error(), "check: the family 'optimisers' names no case");
    clcnn_context_destroy(context);
}
END_TEST

/* The tiled convolution's tile shapes: tuned through the check with the variant forced (a
 * decision row, nothing left forced), and a stored shape rebuilt into later contexts' kernels
 * (their compiled work-group shape follows it) that still pass the check. */
START_TEST(tiled_blocks_are_tuned_stored_and_rebuilt)
{
    use_cache_dir("tune-blocks");
    clcnn_context *context = open_context();
    decisions made = {0};
    ck_assert_ok(clcnn_tune_blocks(context, CLCNN_CHECK_SHAPES_SMALL, 1, check_decision, &made));
    ck_assert_int_eq(made.blocks, 1);
    for (int op = 0; op < CLCNN_VARIANT_OP_COUNT; op++)
        ck_assert_int_eq(context->forced_variant[op], -1);
    /* store 64x64 tiles of 8x4 results: work-groups of 16 x 8 items, not the default 16 x 16 */
    const int chosen[5] = {64, 64, 8, 4, 8};
    const clcnn_block_id ids[5] = {CLCNN_BLOCK_TILE_M, CLCNN_BLOCK_TILE_P, CLCNN_BLOCK_WORK_M,
                                   CLCNN_BLOCK_WORK_P, CLCNN_BLOCK_TILE_K};
    for (int k = 0; k < 5; k++)
        context->blocks[ids[k]] = chosen[k];
    context->blocks_tuned = true;
    ck_assert_ok(clcnn_tuning_save(context, &context->tuning.values));
    clcnn_context_destroy(context);

    context = open_context();
    for (int k = 0; k < 5; k++)
        ck_assert_int_eq(context->blocks[ids[k]], chosen[k]);
    cl_kernel kernel;
    ck_assert_ok(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_TILED_FORWARD, &kernel));
    size_t shape[3];
    ck_assert_int_eq(clGetKernelWorkGroupInfo(kernel, context->device_id,
                                              CL_KERNEL_COMPILE_WORK_GROUP_SIZE, sizeof shape,
                                              shape, NULL), CL_SUCCESS);
    ck_assert_msg(shape[0] == 16 && shape[1] == 8, "work-group %zu x %zu", shape[0], shape[1]);
    int failures = -1;
    ck_assert_ok(clcnn_check_run_variants(context, CLCNN_CHECK_SHAPES_SMALL,
                                          CLCNN_CHECK_VARIANTS_ALL, 5, 1, NULL, NULL, &failures));
    ck_assert_int_eq(failures, 0);
    ck_assert_ok(clcnn_tuning_reset(context));
    ck_assert_int_eq(context->blocks[CLCNN_BLOCK_TILE_M], 0);
    clcnn_context_destroy(context);
}
END_TEST

/* CLBlast's Xgemm parameters: a set is timed through the check, stored, handed to CLBlast by
 * a later context (its dense products still pass), and a set that lacks a parameter or names
 * one CLBlast does not know is refused with the list. */
START_TEST(clblast_parameters_are_checked_stored_and_applied)
{
    use_cache_dir("tune-clblast");
    const char *parameters = "GEMMK=0,KREG=1,KWG=16,KWI=2,MDIMA=8,MDIMC=8,MWG=32,NDIMB=8,NDIMC=8,"
                             "NWG=32,SA=0,SB=0,STRM=0,STRN=0,VWM=1,VWN=1";
    clcnn_context *context = open_context();
    double milliseconds = 0;
    bool passed = false;
    ck_assert_ok(clcnn_tune_clblast_candidate(context, parameters, CLCNN_CHECK_SHAPES_SMALL, 1,
                                              &milliseconds, &passed));
    ck_assert(passed && milliseconds > 0);
    ck_assert_int_eq(context->forced_variant[CLCNN_VARIANT_DENSE], -1);
    ck_assert_ok(clcnn_tuning_store_clblast(context, parameters));
    clcnn_context_destroy(context);

    context = open_context();
    ck_assert_str_eq(context->clblast_xgemm, parameters);
    ck_assert_ok(clcnn_tune_clblast_candidate(context, "", CLCNN_CHECK_SHAPES_SMALL, 1,
                                              &milliseconds, &passed));
    ck_assert(passed);
    ck_assert_int_eq(clcnn_tune_clblast_candidate(context, "KWG=16", CLCNN_CHECK_SHAPES_SMALL, 1,
                                                  &milliseconds, &passed),
                     CLCNN_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), "lack GEMMK: Xgemm takes all of them"));
    ck_assert_int_eq(clcnn_tune_clblast_candidate(context, "WPT=4", CLCNN_CHECK_SHAPES_SMALL, 1,
                                                  &milliseconds, &passed),
                     CLCNN_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), "each of CLBlast's Xgemm parameters once"));
    clcnn_context_destroy(context);
}
END_TEST

/* Every candidate of a wrong 3x3 convolution fails the cross-check: tune fails, stores nothing. */
START_TEST(a_candidate_that_fails_the_check_cannot_win)
{
    use_cache_dir("tune-mutant");
    const char *dir = make_temp_dir("tune-mutant-kernels");
    for (size_t i = 0; i < clcnn_embedded_kernel_count; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, clcnn_embedded_kernels[i].name);
        char *text = strndup((const char *)clcnn_embedded_kernels[i].bytes,
                             clcnn_embedded_kernels[i].length);
        char *site = strstr(text, "fma(p0, (float16)(tap[0]), tile[k])");
        if (!strcmp(clcnn_embedded_kernels[i].name, "conv2d.cl")) {
            ck_assert_msg(site != NULL, "the conv2d mutation site has moved");
            memcpy(site, "fma(p0, (float16)(tap[1]), tile[k])",
                   strlen("fma(p0, (float16)(tap[1]), tile[k])"));
        }
        ck_assert(write_file(path, text, strlen(text)));
        free(text);
    }
    setenv("CLCNN_KERNEL_DIR", dir, 1);
    clcnn_context *context = open_context();
    clcnn_tuning winners;
    ck_assert_int_eq(clcnn_tune(context, CLCNN_CHECK_SHAPES_SMALL, 1, NULL, NULL, &winners),
                     CLCNN_ERROR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(clcnn_last_error(), "no candidate for conv2d_3x3_work_group"));
    clcnn_context_destroy(context);
    unsetenv("CLCNN_KERNEL_DIR");
    context = open_context();
    bool from_store = true;
    clcnn_context_tuning(context, &from_store);
    ck_assert(!from_store);
    clcnn_context_destroy(context);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("program");
    TCase *tc = tcase_create("program");
    tcase_add_test(tc, a_tiny_kernel_builds_runs_and_computes);
    tcase_add_test(tc, a_syntax_error_fails_with_the_log_and_line);
    tcase_add_test(tc, a_failed_call_names_the_call_the_error_and_the_device);
    tcase_add_test(tc, the_second_build_is_served_from_the_cache);
    tcase_add_test(tc, a_corrupt_entry_is_rebuilt);
    tcase_add_test(tc, a_truncated_entry_is_rebuilt);
    tcase_add_test(tc, a_foreign_entry_is_rebuilt);
    tcase_add_test(tc, the_cache_can_be_turned_off);
    tcase_add_test(tc, embedded_kernels_match_the_files_in_cl);
    tcase_add_test(tc, the_kernel_dir_overrides_the_embedded_sources);
    /* tuning times 16 candidates; a simulator interprets each work-item, far too slowly */
    const char *spec = test_device_spec();
    if (!spec || !strstr(spec, "oclgrind")) {
        tcase_add_test(tc, tuned_work_groups_are_stored_and_used_by_later_contexts);
        tcase_add_test(tc, tuning_families_come_from_the_kernels_each_parameter_sizes);
        tcase_add_test(tc, tiled_blocks_are_tuned_stored_and_rebuilt);
        tcase_add_test(tc, clblast_parameters_are_checked_stored_and_applied);
        tcase_add_test(tc, a_candidate_that_fails_the_check_cannot_win);
    }
    suite_add_tcase(suite, tc);
    return run_suite(suite);
}
