/* The tuner (clcnn_tune in include/clcnn/tune.h): times every candidate of every tuning
 * parameter through the cross-check, so that a candidate that breaks an op cannot win, and
 * hands the winners to the store (host/tuning_store.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* Sums the median, fastest and slowest device times of the rows into *user_data (a
 * clcnn_tune_row, milliseconds). */
static void add_row(const clcnn_check_row *row, void *user_data)
{
    clcnn_tune_row *sum = user_data;
    sum->milliseconds += row->device_ms;
    sum->min_milliseconds += row->device_ms_min;
    sum->max_milliseconds += row->device_ms_max;
}

/* ---- variants ------------------------------------------------------------------------------ */

#define MAX_TIMED_ROWS 1024

/* One check row of a variant op: which op and variant, its shape and times. */
typedef struct timed_row {
    int op, variant;
    char shape[96];
    double median, max;
    bool passed, last; /* last: the last row of its op and shape, the device's own choice */
} timed_row;

typedef struct timed_rows {
    timed_row rows[MAX_TIMED_ROWS];
    int count;
} timed_rows;

/* The variant op whose name starts "op direction" ("conv2d forward" for forward_relu's rows
 * too), or -1. */
static int variant_op_of(const clcnn_check_row *row)
{
    char name[64];
    snprintf(name, sizeof name, "%s %s", row->op, row->direction);
    for (int op = 0; op < CLCNN_VARIANT_OP_COUNT; op++) {
        const char *prefix = clcnn_variant_op_name((clcnn_variant_op)op);
        if (!strncmp(name, prefix, strlen(prefix)))
            return op;
    }
    return -1;
}

static void record_row(const clcnn_check_row *row, void *user_data)
{
    timed_rows *t = user_data;
    const int op = variant_op_of(row);
    if (op < 0 || t->count == MAX_TIMED_ROWS)
        return;
    int variant = 0;
    while (variant < clcnn_variant_count((clcnn_variant_op)op) &&
           strcmp(clcnn_variant_at((clcnn_variant_op)op, variant)->name, row->variant))
        variant++;
    timed_row *r = &t->rows[t->count++];
    *r = (timed_row){op, variant, "", row->device_ms, row->device_ms_max, row->passed, false};
    snprintf(r->shape, sizeof r->shape, "%s", row->shape);
}

/* The sums of variant v of op over every shape: its own median and slowest times where it ran,
 * the default's median where it did not; false when one of its rows failed or it never ran. */
static bool score(const timed_rows *t, int op, int v, double *median, double *slowest)
{
    *median = *slowest = 0.0;
    bool ran = false;
    for (int i = 0; i < t->count; i++) {
        const timed_row *d = &t->rows[i];
        if (d->op != op || !d->last)
            continue;
        /* the default ran last at its shape; find v's rows there (forward has two per shape) */
        double own_median = 0, own_max = 0, default_median = 0;
        bool own = false;
        for (int j = 0; j < t->count; j++) {
            const timed_row *r = &t->rows[j];
            if (r->op != op || strcmp(r->shape, d->shape))
                continue;
            if (r->variant == d->variant)
                default_median += r->median;
            if (r->variant == v) {
                if (!r->passed)
                    return false;
                own = true;
                own_median += r->median;
                own_max += r->max;
            }
        }
        ran = ran || own;
        *median += own ? own_median : default_median;
        *slowest += own ? own_max : default_median;
    }
    return ran;
}

static clcnn_status tune_variants(clcnn_context *context, clcnn_check_shapes shapes, int runs,
                                  clcnn_tune_callback callback, void *user_data)
{
    for (int op = 0; op < CLCNN_VARIANT_OP_COUNT; op++)
        context->tuned_variant[op] = -1;
    timed_rows *t = calloc(1, sizeof *t);
    if (!t)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "tune: out of host memory");
    int failures = 0;
    clcnn_status status = clcnn_check_run_variants(context, shapes, CLCNN_CHECK_VARIANTS_ALL, 1,
                                                   runs, record_row, t, &failures);
    /* the check runs the device's own choice last among an op's rows at a shape */
    for (int i = 0; i < t->count; i++) {
        const timed_row *next = i + 1 < t->count ? &t->rows[i + 1] : NULL;
        t->rows[i].last = !next || next->op != t->rows[i].op || strcmp(next->shape, t->rows[i].shape);
    }
    for (int op = 0; status == CLCNN_OK && op < CLCNN_VARIANT_OP_COUNT; op++) {
        /* without tuning: the device's own choice at each shape, which may differ by shape */
        double baseline = 0;
        int default_variant = -1;
        for (int i = 0; i < t->count; i++) {
            const timed_row *d = &t->rows[i];
            if (d->op != op || !d->last)
                continue;
            default_variant = default_variant == -1 || default_variant == d->variant ? d->variant : -2;
            for (int j = 0; j < t->count; j++)
                if (t->rows[j].op == op && t->rows[j].variant == d->variant &&
                    !strcmp(t->rows[j].shape, d->shape))
                    baseline += t->rows[j].median;
        }
        if (default_variant == -1)
            continue;
        int best = -1;
        double best_median = INFINITY, best_slowest = INFINITY;
        for (int v = 0; v < clcnn_variant_count((clcnn_variant_op)op); v++) {
            double median, slowest;
            const bool passed = score(t, op, v, &median, &slowest);
            if (callback && (passed || median > 0)) {
                clcnn_tune_row row = {.milliseconds = median, .max_milliseconds = slowest,
                                      .passed = passed};
                snprintf(row.parameter, sizeof row.parameter, "%s",
                         clcnn_variant_op_name((clcnn_variant_op)op));
                snprintf(row.variant, sizeof row.variant, "%s",
                         clcnn_variant_at((clcnn_variant_op)op, v)->name);
                callback(&row, user_data);
            }
            if (passed && median < best_median)
                best = v, best_median = median, best_slowest = slowest;
        }
        /* a gain inside the noise keeps the default, as for the work-group sizes */
        const bool keep = best < 0 || best == default_variant || best_slowest >= baseline;
        if (!keep)
            context->tuned_variant[op] = best;
        if (callback) {
            clcnn_tune_row row = {.decision = true, .passed = true,
                                  .milliseconds = keep ? baseline : best_median,
                                  .default_milliseconds = baseline};
            snprintf(row.parameter, sizeof row.parameter, "%s",
                     clcnn_variant_op_name((clcnn_variant_op)op));
            const char *standard = default_variant >= 0
                                       ? clcnn_variant_at((clcnn_variant_op)op, default_variant)->name
                                       : "choice by shape";
            snprintf(row.variant, sizeof row.variant, "%s",
                     keep ? standard : clcnn_variant_at((clcnn_variant_op)op, best)->name);
            snprintf(row.default_variant, sizeof row.default_variant, "%s", standard);
            callback(&row, user_data);
        }
    }
    free(t);
    return status;
}

/* ---- the tiled convolution's blocks ---------------------------------------------------------- */

/* Tile shapes to try: TILE_M x TILE_P results a work-group, WORK_M x WORK_P an item, TILE_K
 * deep steps; the first is cl/conv2d_tiled.cl's default. Groups of 64 to 256 items. */
static const int block_candidates[][5] = {
    {64, 64, 4, 4, 16}, {32, 32, 2, 2, 16}, {32, 64, 2, 4, 16}, {64, 64, 8, 4, 8},
    {128, 64, 8, 4, 8}, {64, 128, 4, 8, 8}, {128, 128, 8, 8, 8}, {16, 64, 1, 4, 16},
};
static const clcnn_block_id block_ids[5] = {CLCNN_BLOCK_TILE_M, CLCNN_BLOCK_TILE_P,
                                            CLCNN_BLOCK_WORK_M, CLCNN_BLOCK_WORK_P,
                                            CLCNN_BLOCK_TILE_K};

static void set_blocks(clcnn_context *context, const int values[5])
{
    for (int k = 0; k < 5; k++)
        context->blocks[block_ids[k]] = values[k];
    clcnn_program_forget(context, CLCNN_PROGRAM_CONV2D_TILED);
}

static void block_label(const int values[5], char *label, size_t size)
{
    snprintf(label, size, "%dx%d %dx%d k%d", values[0], values[1], values[2], values[3], values[4]);
}

/* The variant index of "tiled" in op's table. */
static int tiled_index(clcnn_variant_op op)
{
    for (int v = 0; v < clcnn_variant_count(op); v++)
        if (!strcmp(clcnn_variant_at(op, v)->name, "tiled"))
            return v;
    return -1;
}

clcnn_status clcnn_tune_blocks(clcnn_context *context, clcnn_check_shapes shapes, int runs,
                               clcnn_tune_callback callback, void *user_data)
{
    static const clcnn_variant_op conv_ops[3] = {CLCNN_VARIANT_CONV2D_FORWARD,
                                                 CLCNN_VARIANT_CONV2D_BACKWARD_DATA,
                                                 CLCNN_VARIANT_CONV2D_BACKWARD_WEIGHTS};
    const int count = (int)(sizeof block_candidates / sizeof block_candidates[0]);
    for (int k = 0; k < 3; k++)
        context->forced_variant[conv_ops[k]] = tiled_index(conv_ops[k]);
    clcnn_tune_row fastest = {.milliseconds = INFINITY}, standard = {.passed = false};
    int winner = -1;
    clcnn_status status = CLCNN_OK;
    for (int c = 0; c < count && status == CLCNN_OK; c++) {
        const int *values = block_candidates[c];
        const size_t items = (size_t)(values[0] / values[2]) * (size_t)(values[1] / values[3]);
        if (items > context->device.max_work_group_size ||
            4.0 * values[4] * (values[0] + values[1]) > (double)context->device.local_mem_bytes)
            continue;
        set_blocks(context, values);
        clcnn_tune_row row = {0};
        int failures = 0;
        status = clcnn_check_families(context, shapes, "conv2d", 1, runs, add_row, &row, &failures);
        row.passed = failures == 0;
        snprintf(row.parameter, sizeof row.parameter, "conv2d tiled blocks");
        block_label(values, row.variant, sizeof row.variant);
        if (status == CLCNN_OK && callback)
            callback(&row, user_data);
        if (row.passed && row.milliseconds < fastest.milliseconds) {
            fastest = row;
            winner = c;
        }
        if (c == 0)
            standard = row;
    }
    for (int k = 0; k < 3; k++)
        context->forced_variant[conv_ops[k]] = -1;
    if (status != CLCNN_OK)
        return status;
    /* a gain inside the noise keeps the default, as for the work-group sizes */
    if (winner < 0 || (standard.passed && fastest.max_milliseconds >= standard.milliseconds))
        winner = standard.passed ? 0 : -1;
    if (winner < 0)
        return clcnn_fail(CLCNN_ERROR_NUMERIC,
                          "tune: no tile shape of the tiled convolution passed the cross-check "
                          "on %s; nothing was stored", context->device.name);
    set_blocks(context, block_candidates[winner]);
    context->blocks_tuned = winner != 0;
    if (callback) {
        clcnn_tune_row decision = winner == 0 ? standard : fastest;
        decision.decision = true;
        decision.default_milliseconds = standard.milliseconds;
        block_label(block_candidates[0], decision.default_variant, sizeof decision.default_variant);
        callback(&decision, user_data);
    }
    return CLCNN_OK;
}

/* ---- CLBlast's Xgemm ------------------------------------------------------------------------- */

clcnn_status clcnn_tune_clblast_candidate(clcnn_context *context, const char *parameters,
                                          clcnn_check_shapes shapes, int runs,
                                          double *milliseconds, bool *passed)
{
    if (context->reference)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "tune: the reference path has no CLBlast; pick an OpenCL device");
    CLCNN_TRY(clcnn_clblast_override(context, parameters));
    int clblast = 0;
    while (strcmp(clcnn_variant_at(CLCNN_VARIANT_DENSE, clblast)->name, "clblast"))
        clblast++;
    context->forced_variant[CLCNN_VARIANT_DENSE] = clblast;
    clcnn_tune_row row = {0};
    int failures = 0;
    clcnn_status status = clcnn_check_families(context, shapes, "dense", 1, runs, add_row, &row,
                                               &failures);
    context->forced_variant[CLCNN_VARIANT_DENSE] = -1;
    *milliseconds = row.milliseconds;
    *passed = status == CLCNN_OK && failures == 0;
    return status;
}

/* ---- the tuner ------------------------------------------------------------------------------- */

clcnn_status clcnn_tune(clcnn_context *context, clcnn_check_shapes shapes, int runs,
                        clcnn_tune_callback callback, void *user_data, clcnn_tuning *winners)
{
    if (context->reference)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "tune: the reference path has no work-groups to tune; pick an OpenCL device");
    CLCNN_TRY(clcnn_context_build_all(context));
    const clcnn_tuning_state saved = context->tuning;
    const int limit = clcnn_tuning_limit(context);
    clcnn_tuning best = saved.values;
    for (size_t i = 0; i < CLCNN_TUNING_PARAMETERS; i++) {
        const clcnn_tuning_parameter *p = &clcnn_tuning_parameters[i];
        char families[256];
        clcnn_tuning_families(p, families, sizeof families);
        const int default_value = *clcnn_tuning_field(&best, p);
        clcnn_tune_row fastest = {.milliseconds = INFINITY}, standard = {.passed = false};
        for (int value = p->smallest; value <= p->largest && value <= limit; value *= 2) {
            context->tuning.values = best;
            *clcnn_tuning_field(&context->tuning.values, p) = value;
            clcnn_tune_row row = {.value = value};
            int failures = 0;
            clcnn_status status = clcnn_check_families(context, shapes, families, 1, runs,
                                                       add_row, &row, &failures);
            if (status != CLCNN_OK) {
                context->tuning = saved;
                return status;
            }
            row.passed = failures == 0;
            snprintf(row.parameter, sizeof row.parameter, "%s", p->name);
            if (callback)
                callback(&row, user_data);
            if (row.passed && row.milliseconds < fastest.milliseconds)
                fastest = row;
            if (value == default_value)
                standard = row;
        }
        /* one noisy run must not move the setting: the default stays unless the winner's
         * slowest run beats the default's median */
        int best_value = fastest.value;
        if (standard.passed && fastest.max_milliseconds >= standard.milliseconds)
            best_value = default_value;
        if (callback && best_value) {
            clcnn_tune_row decision = best_value == fastest.value ? fastest : standard;
            decision.decision = true;
            decision.default_value = default_value;
            decision.default_milliseconds = standard.passed ? standard.milliseconds : NAN;
            callback(&decision, user_data);
        }
        if (best_value == 0) {
            context->tuning = saved;
            return clcnn_fail(CLCNN_ERROR_NUMERIC,
                              "tune: no candidate for %s passed the cross-check on %s; nothing "
                              "was stored (run `clcnn check` on this device)",
                              p->name, context->device.name);
        }
        *clcnn_tuning_field(&best, p) = best_value;
    }
    context->tuning.values = best;
    CLCNN_TRY(tune_variants(context, shapes, runs, callback, user_data));
    /* the tiled convolution's tiles, where it runs: GPUs, or where tune just chose it */
    bool tiled_runs = !context->device.is_cpu;
    for (int op = CLCNN_VARIANT_CONV2D_FORWARD; op <= CLCNN_VARIANT_CONV2D_BACKWARD_WEIGHTS; op++)
        tiled_runs = tiled_runs || (context->tuned_variant[op] >= 0 &&
                                    context->tuned_variant[op] == tiled_index((clcnn_variant_op)op));
    if (tiled_runs)
        CLCNN_TRY(clcnn_tune_blocks(context, shapes, runs, callback, user_data));
    CLCNN_TRY(clcnn_tuning_save(context, &best));
    *winners = best;
    return CLCNN_OK;
}
