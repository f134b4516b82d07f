/* Cross-checking every op and direction against the reference (include/clcnn/check.h).
 *
 * Each case draws random inputs, runs the reference into host arrays, runs the dispatch on
 * the context's device into output buffers that are poisoned and carry CANARY_COUNT extra
 * elements, then compares. Tolerances, and why:
 *  - long sums (conv2d, dense, pooling gradients, loss sums) differ by float rounding on the
 *    device against double on the reference; the error grows with the number of terms K,
 *    about sqrt(K) for random data, so abs tolerance = 2 sqrt(K) eps max|ref|;
 *  - exp, tanh, log and division may be a few ulp off in OpenCL C 1.2: 16 eps relative;
 *  - ReLU, max pooling forward, dropout, argmax and counts are exact: tolerance 0.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clcnn/check.h"
#include "ops.h"

#define CANARY_COUNT 16
#define CANARY_BITS 0x7fc0deadu /* a NaN no op produces */
#define MAX_CASE_BUFFERS 32
#define MAX_CASE_ARRAYS 32
#define MAX_TIMING_RUNS 1000

typedef struct checker {
    clcnn_context *context;
    uint64_t random_state;
    clcnn_check_callback callback;
    void *user_data;
    int failures;
    clcnn_check_row row;
    clcnn_buffer buffers[MAX_CASE_BUFFERS];
    int buffer_count;
    clcnn_conv2d_keep keep; /* conv2d's padded tensors, kept between its rows */
    void *arrays[MAX_CASE_ARRAYS];
    int array_count;
    int timing_runs;
    const char *families; /* "conv2d maxpool2d ...": run only these cases; NULL for all */
    bool all_variants;    /* CLCNN_CHECK_VARIANTS_ALL */
    bool warm_up;         /* a run before the timed ones; not on a simulator, whose times mean
                             nothing and whose runs are slow */
    const char *variant;  /* the forced variant of the rows being run, or "" */
    bool matched[256];    /* by position in families: the family named a case */
    bool dry_run;         /* RUN_CASE selects and marks, but runs nothing */
    int caller_forced[CLCNN_VARIANT_OP_COUNT]; /* the variants forced when the check began */
    double samples_ms[MAX_TIMING_RUNS];
    int sample_count;
    uint64_t row_begin_ns; /* the row's span on the trace */
} checker;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

/* ---- case resources, released together after each case ------------------------------- */

static void release_case(checker *c)
{
    for (int i = 0; i < c->buffer_count; i++)
        clcnn_buffer_release(&c->buffers[i]);
    clcnn_conv2d_keep_release(&c->keep);
    for (int i = 0; i < c->array_count; i++)
        free(c->arrays[i]);
    c->buffer_count = c->array_count = 0;
}

static void *array(checker *c, size_t count, size_t element_size)
{
    if (c->array_count == MAX_CASE_ARRAYS)
        return NULL;
    void *memory = calloc(count ? count : 1, element_size);
    if (memory)
        c->arrays[c->array_count++] = memory;
    return memory;
}

static clcnn_status host_array(checker *c, size_t count, size_t element_size, void **out)
{
    *out = array(c, count, element_size);
    if (!*out)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "check: out of host memory (%zu elements)", count);
    return CLCNN_OK;
}

/* splitmix64: a tiny, well-mixed generator for test data */
static uint64_t next_random(checker *c)
{
    uint64_t z = (c->random_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static clcnn_status random_floats(checker *c, size_t count, float low, float high, float **out)
{
    CLCNN_TRY(host_array(c, count, sizeof(float), (void **)out));
    for (size_t i = 0; i < count; i++)
        (*out)[i] = low + (high - low) * (float)((next_random(c) >> 40) * 0x1p-24);
    return CLCNN_OK;
}

/* Small integers as floats: many exact ties, for max pooling and argmax tie rules. */
static clcnn_status tied_floats(checker *c, size_t count, float **out)
{
    CLCNN_TRY(host_array(c, count, sizeof(float), (void **)out));
    for (size_t i = 0; i < count; i++)
        (*out)[i] = (float)(next_random(c) % 3);
    return CLCNN_OK;
}

static clcnn_status random_labels(checker *c, int N, int C, int32_t **out)
{
    CLCNN_TRY(host_array(c, (size_t)N, sizeof(int32_t), (void **)out));
    for (int n = 0; n < N; n++)
        (*out)[n] = (int32_t)(next_random(c) % (uint64_t)C);
    return CLCNN_OK;
}

static clcnn_status new_buffer(checker *c, size_t bytes, clcnn_buffer **out)
{
    if (c->buffer_count == MAX_CASE_BUFFERS)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "check: too many buffers in one case");
    CLCNN_TRY(clcnn_buffer_create(c->context, bytes, &c->buffers[c->buffer_count]));
    *out = &c->buffers[c->buffer_count++];
    return CLCNN_OK;
}

static clcnn_status upload(checker *c, const void *data, size_t bytes, clcnn_buffer **out)
{
    CLCNN_TRY(new_buffer(c, bytes, out));
    return clcnn_buffer_write(c->context, *out, 0, data, bytes);
}

/* An output buffer of `count` 4-byte elements plus canaries, every word poisoned, so that an
 * element the op forgets to write shows up as a mismatch and one written past the end as a
 * broken canary. */
static clcnn_status output(checker *c, size_t count, clcnn_buffer **out)
{
    size_t words = count + CANARY_COUNT;
    uint32_t *poison = array(c, words, sizeof(uint32_t));
    if (!poison)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "check: out of host memory");
    for (size_t i = 0; i < words; i++)
        poison[i] = CANARY_BITS;
    return upload(c, poison, words * sizeof(uint32_t), out);
}

/* An in/out buffer: the data, then canaries. */
static clcnn_status upload_in_out(checker *c, const float *data, size_t count, clcnn_buffer **out)
{
    CLCNN_TRY(output(c, count, out));
    return clcnn_buffer_write(c->context, *out, 0, data, count * sizeof(float));
}

/* ---- rows ------------------------------------------------------------------------------ */

static void begin_row(checker *c, const char *op, const char *direction, const char *shape)
{
    memset(&c->row, 0, sizeof c->row);
    snprintf(c->row.op, sizeof c->row.op, "%s", op);
    snprintf(c->row.direction, sizeof c->row.direction, "%s", direction);
    snprintf(c->row.shape, sizeof c->row.shape, "%s", shape);
    snprintf(c->row.variant, sizeof c->row.variant, "%s",
             c->context->reference && c->variant[0] ? "reference" : c->variant);
    c->row.canaries_intact = true;
    c->row.passed = true;
    c->sample_count = 0;
    c->row_begin_ns = clcnn_trace_begin(c->context);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void add_sample(checker *c, double milliseconds)
{
    if (c->sample_count < MAX_TIMING_RUNS)
        c->samples_ms[c->sample_count++] = milliseconds;
}

static void end_row(checker *c)
{
    clcnn_trace_end(c->context, c->row_begin_ns, 0, "check %s %s", c->row.op, c->row.direction);
    if (c->sample_count > 0) {
        qsort(c->samples_ms, (size_t)c->sample_count, sizeof(double), compare_doubles);
        c->row.device_ms = c->samples_ms[c->sample_count / 2];
        c->row.device_ms_min = c->samples_ms[0];
        c->row.device_ms_max = c->samples_ms[c->sample_count - 1];
        c->row.timing_runs = c->sample_count;
    }
    if (!c->row.canaries_intact)
        c->row.passed = false;
    if (!c->row.passed)
        c->failures++;
    if (c->callback)
        c->callback(&c->row, c->user_data);
}

static double max_abs(const float *values, size_t count)
{
    double largest = 0.0;
    for (size_t i = 0; i < count; i++)
        if (isfinite(values[i]) && fabs(values[i]) > largest)
            largest = fabs(values[i]);
    return largest;
}

/* Tolerance for a sum of `terms` float products whose results reach max|reference|. */
static double sum_tolerance(size_t terms, const float *reference, size_t count)
{
    return 2.0 * sqrt((double)terms) * FLT_EPSILON * max_abs(reference, count);
}

static void note_mismatch(checker *c, const char *name, size_t index, double got, double expected)
{
    size_t used = strlen(c->row.mismatches);
    if (used + 80 < sizeof c->row.mismatches)
        snprintf(c->row.mismatches + used, sizeof c->row.mismatches - used,
                 "%s%s[%zu] = %.9g, reference %.9g", used ? "; " : "", name, index, got, expected);
}

/* got: count values, then the canaries */
static void judge_floats(checker *c, const char *name, const float *got, const float *reference,
                         size_t count, double tolerance_abs, double tolerance_rel)
{
    if (tolerance_abs > c->row.tolerance_abs)
        c->row.tolerance_abs = tolerance_abs;
    if (tolerance_rel > c->row.tolerance_rel)
        c->row.tolerance_rel = tolerance_rel;
    for (size_t i = 0; i < count; i++) {
        double g = got[i], r = reference[i];
        if (isnan(g) && isnan(r))
            continue;
        double error = fabs(g - r), allowed = tolerance_abs + tolerance_rel * fabs(r);
        double ratio = error == 0 ? 0 : allowed > 0 ? error / allowed : INFINITY;
        if (!(ratio <= c->row.error_over_tolerance))
            c->row.error_over_tolerance = isnan(ratio) ? INFINITY : ratio;
        if (!(error <= allowed)) {
            if (c->row.passed || strlen(c->row.mismatches) < 300)
                note_mismatch(c, name, i, g, r);
            c->row.passed = false;
        }
        if (isnan(error))
            error = INFINITY;
        if (error > c->row.max_abs_error)
            c->row.max_abs_error = error;
        if (fabs(r) > 1e-6 && error / fabs(r) > c->row.max_rel_error)
            c->row.max_rel_error = error / fabs(r);
    }
    for (size_t i = count; i < count + CANARY_COUNT; i++) {
        uint32_t bits;
        memcpy(&bits, &got[i], sizeof bits);
        if (bits != CANARY_BITS)
            c->row.canaries_intact = false;
    }
}

/* Reads count values and the canaries after them from buffer, and judges them. */
static clcnn_status compare(checker *c, const char *name, const clcnn_buffer *buffer,
                            const float *reference, size_t count, double tolerance_abs,
                            double tolerance_rel)
{
    float *got = malloc((count + CANARY_COUNT) * sizeof(float));
    if (!got)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "check: out of host memory");
    clcnn_status status =
        clcnn_buffer_read(c->context, buffer, 0, got, (count + CANARY_COUNT) * sizeof(float));
    if (status == CLCNN_OK)
        judge_floats(c, name, got, reference, count, tolerance_abs, tolerance_rel);
    free(got);
    return status;
}

static clcnn_status compare_ints(checker *c, const char *name, const clcnn_buffer *buffer,
                                 const int32_t *reference, size_t count)
{
    int32_t *got = malloc((count + CANARY_COUNT) * sizeof(int32_t));
    if (!got)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "check: out of host memory");
    clcnn_status status =
        clcnn_buffer_read(c->context, buffer, 0, got, (count + CANARY_COUNT) * sizeof(int32_t));
    for (size_t i = 0; status == CLCNN_OK && i < count; i++) {
        if (got[i] != reference[i]) {
            if (c->row.passed || strlen(c->row.mismatches) < 300)
                note_mismatch(c, name, i, got[i], reference[i]);
            c->row.passed = false;
            c->row.error_over_tolerance = INFINITY; /* integers must match exactly */
            double error = fabs((double)got[i] - reference[i]);
            if (error > c->row.max_abs_error)
                c->row.max_abs_error = error;
        }
    }
    for (size_t i = count; status == CLCNN_OK && i < count + CANARY_COUNT; i++)
        if ((uint32_t)got[i] != CANARY_BITS)
            c->row.canaries_intact = false;
    free(got);
    return status;
}

/* Runs the dispatch for runs first_run .. timing_runs - 1, queue drained, timing those from 0
 * on: TIMED warms up once (building kernels, warming caches; not on a simulator) and times
 * timing_runs runs. */
#define TIMED_RUNS(c, first_run, call)                                                       \
    for (int run_ = (first_run); run_ < (c)->timing_runs; run_++) {                          \
        double start_ = now_ms();                                                            \
        CLCNN_TRY(call);                                                                     \
        CLCNN_TRY(clcnn_context_finish((c)->context));                                       \
        if (run_ >= 0)                                                                       \
            add_sample((c), now_ms() - start_);                                              \
    }
#define TIMED(c, call) TIMED_RUNS(c, (c)->warm_up ? -1 : 0, call)

/* ---- variants ---------------------------------------------------------------------------- */

#define MAX_VARIANTS 8

/* The variants of op the case runs at shape, into list: every one that handles the shape
 * (with all_variants), the device's own choice last, so that what it leaves behind (conv2d's
 * kept padding) is what the next direction's default meets; else the device's choice alone.
 * The reference path has one. */
static clcnn_status variants_to_run(checker *c, clcnn_variant_op op, const void *shape,
                                    int list[MAX_VARIANTS], int *count)
{
    int chosen = 0;
    *count = 0;
    if (!c->context->reference)
        CLCNN_TRY(clcnn_variant_pick(c->context, op, shape, &chosen));
    if (c->all_variants && !c->context->reference)
        for (int v = 0; v < clcnn_variant_count(op) && *count < MAX_VARIANTS - 1; v++) {
            const clcnn_variant *variant = clcnn_variant_at(op, v);
            if (v != chosen && (!variant->fits || variant->fits(c->context, shape)))
                list[(*count)++] = v;
        }
    list[(*count)++] = chosen;
    return CLCNN_OK;
}

/* Forces variant `index` of op for the rows that follow (their variant column names it);
 * -1 hands the choice back to the device, or to the variant the check's caller forced. */
static void use_variant(checker *c, clcnn_variant_op op, int index)
{
    c->context->forced_variant[op] = index < 0 ? c->caller_forced[op] : index;
    c->variant = index < 0 ? "" : clcnn_variant_at(op, index)->name;
}

/* ---- cases ------------------------------------------------------------------------------ */

/* The 2x2 max pooling run with the convolution (the tutorial's conv-ReLU-pool): the pooled
 * output and argmax must be, bit for bit, those of pooling the y the forward variant writes
 * without it. Its buffers, made once per case: */
typedef struct pool_check {
    clcnn_fused_pool pool;
    float *y, *pooled_ref;
    int32_t *argmax_ref;
    size_t y_count, pooled_count;
} pool_check;

static clcnn_status prepare_pool_check(checker *c, const clcnn_conv2d_shape *s, pool_check *p)
{
    CLCNN_TRY(clcnn_pool2d_shape_make(s->N, s->OC, s->OH, s->OW, 2, 2, 2, 2, CLCNN_PADDING_VALID,
                                      &p->pool.shape));
    p->y_count = (size_t)s->N * s->OC * s->OH * s->OW;
    p->pooled_count = (size_t)s->N * s->OC * p->pool.shape.OH * p->pool.shape.OW;
    CLCNN_TRY(host_array(c, p->y_count, sizeof(float), (void **)&p->y));
    CLCNN_TRY(host_array(c, p->pooled_count, sizeof(float), (void **)&p->pooled_ref));
    CLCNN_TRY(host_array(c, p->pooled_count, sizeof(int32_t), (void **)&p->argmax_ref));
    CLCNN_TRY(output(c, p->pooled_count, &p->pool.y));
    return output(c, p->pooled_count, &p->pool.argmax);
}

/* Y holds the y of the row before (the same variant and shape, without the pooling) */
static clcnn_status check_conv2d_pool(checker *c, const clcnn_conv2d_shape *s, pool_check *p,
                                      const clcnn_buffer *X, const clcnn_buffer *Wt,
                                      const clcnn_buffer *B, clcnn_buffer *Y, const char *shape)
{
    CLCNN_TRY(clcnn_buffer_read(c->context, Y, 0, p->y, p->y_count * sizeof(float)));
    clcnn_ref_maxpool2d_forward(&p->pool.shape, p->y, p->pooled_ref, p->argmax_ref);
    begin_row(c, "conv2d", "forward_pool", shape);
    TIMED(c, clcnn_conv2d_forward(c->context, s, X, Wt, B, Y, NULL, &p->pool));
    CLCNN_TRY(compare(c, "pooled", p->pool.y, p->pooled_ref, p->pooled_count, 0.0, 0.0));
    CLCNN_TRY(compare_ints(c, "argmax", p->pool.argmax, p->argmax_ref, p->pooled_count));
    end_row(c);
    return CLCNN_OK;
}

static clcnn_status check_conv2d(checker *c, int N, int C, int H, int W, int OC, int KH, int KW,
                                 int stride, clcnn_padding padding)
{
    clcnn_conv2d_shape s;
    CLCNN_TRY(clcnn_conv2d_shape_make(N, C, H, W, OC, KH, KW, stride, stride, padding, &s));
    char shape[96];
    snprintf(shape, sizeof shape, "%dx%dx%dx%d k%dx%d/%d %s ->%d", N, C, H, W, KH, KW, stride,
             padding == CLCNN_PADDING_SAME ? "same" : "valid", OC);
    size_t x_count = (size_t)N * C * H * W, w_count = (size_t)OC * C * KH * KW;
    size_t y_count = (size_t)N * OC * s.OH * s.OW;
    float *x, *w, *b, *dy, *y_ref, *dx_ref, *dw_ref, *db_ref;
    CLCNN_TRY(random_floats(c, x_count, -1.0f, 1.0f, &x));
    CLCNN_TRY(random_floats(c, w_count, -0.5f, 0.5f, &w));
    CLCNN_TRY(random_floats(c, (size_t)OC, -0.5f, 0.5f, &b));
    CLCNN_TRY(random_floats(c, y_count, -1.0f, 1.0f, &dy));
    CLCNN_TRY(host_array(c, y_count, sizeof(float), (void **)&y_ref));
    CLCNN_TRY(host_array(c, x_count, sizeof(float), (void **)&dx_ref));
    CLCNN_TRY(host_array(c, w_count, sizeof(float), (void **)&dw_ref));
    CLCNN_TRY(host_array(c, (size_t)OC, sizeof(float), (void **)&db_ref));
    clcnn_ref_conv2d_forward(&s, x, w, b, y_ref);
    clcnn_ref_conv2d_backward_data(&s, dy, w, dx_ref);
    clcnn_ref_conv2d_backward_weights(&s, x, dy, dw_ref);
    clcnn_ref_conv2d_backward_bias(&s, dy, db_ref);

    clcnn_buffer *X, *Wt, *B, *DY, *Y, *DX, *DW, *DB, *DB_WITH_DW;
    CLCNN_TRY(upload(c, x, x_count * sizeof(float), &X));
    CLCNN_TRY(upload(c, w, w_count * sizeof(float), &Wt));
    CLCNN_TRY(upload(c, b, (size_t)OC * sizeof(float), &B));
    CLCNN_TRY(upload(c, dy, y_count * sizeof(float), &DY));
    CLCNN_TRY(output(c, y_count, &Y));
    CLCNN_TRY(output(c, x_count, &DX));
    CLCNN_TRY(output(c, w_count, &DW));
    CLCNN_TRY(output(c, (size_t)OC, &DB));
    CLCNN_TRY(output(c, (size_t)OC, &DB_WITH_DW));

    /* as a layer runs them, keeping the padded x and dy from one op to the next; the last
     * row pads afresh */
    clcnn_conv2d_shape relu_shape = s;
    relu_shape.relu = true;
    float *y_relu_ref;
    CLCNN_TRY(host_array(c, y_count, sizeof(float), (void **)&y_relu_ref));
    clcnn_ref_conv2d_forward(&relu_shape, x, w, b, y_relu_ref);
    const bool pools = s.OH >= 2 && s.OW >= 2;
    pool_check pool;
    if (pools)
        CLCNN_TRY(prepare_pool_check(c, &relu_shape, &pool));
    int list[MAX_VARIANTS], count;
    CLCNN_TRY(variants_to_run(c, CLCNN_VARIANT_CONV2D_FORWARD, &s, list, &count));
    for (int v = 0; v < count; v++) {
        use_variant(c, CLCNN_VARIANT_CONV2D_FORWARD, list[v]);
        begin_row(c, "conv2d", "forward", shape);
        TIMED(c, clcnn_conv2d_forward(c->context, &s, X, Wt, B, Y, &c->keep, NULL));
        CLCNN_TRY(compare(c, "y", Y, y_ref, y_count,
                          sum_tolerance((size_t)C * KH * KW + 1, y_ref, y_count), 2 * FLT_EPSILON));
        end_row(c);

        /* the fused ReLU (the layer's activation=relu): the reference's own ReLU of its y */
        begin_row(c, "conv2d", "forward_relu", shape);
        TIMED(c, clcnn_conv2d_forward(c->context, &relu_shape, X, Wt, B, Y, NULL, NULL));
        CLCNN_TRY(compare(c, "y", Y, y_relu_ref, y_count,
                          sum_tolerance((size_t)C * KH * KW + 1, y_ref, y_count), 2 * FLT_EPSILON));
        end_row(c);
        if (pools)
            CLCNN_TRY(check_conv2d_pool(c, &relu_shape, &pool, X, Wt, B, Y, shape));
    }
    use_variant(c, CLCNN_VARIANT_CONV2D_FORWARD, -1);

    CLCNN_TRY(variants_to_run(c, CLCNN_VARIANT_CONV2D_BACKWARD_DATA, &s, list, &count));
    for (int v = 0; v < count; v++) {
        use_variant(c, CLCNN_VARIANT_CONV2D_BACKWARD_DATA, list[v]);
        begin_row(c, "conv2d", "backward_data", shape);
        TIMED(c, clcnn_conv2d_backward_data(c->context, &s, DY, Wt, DX, &c->keep));
        CLCNN_TRY(compare(c, "dx", DX, dx_ref, x_count,
                          sum_tolerance((size_t)OC * KH * KW, dx_ref, x_count), 2 * FLT_EPSILON));
        end_row(c);
    }
    use_variant(c, CLCNN_VARIANT_CONV2D_BACKWARD_DATA, -1);

    CLCNN_TRY(variants_to_run(c, CLCNN_VARIANT_CONV2D_BACKWARD_WEIGHTS, &s, list, &count));
    for (int v = 0; v < count; v++) {
        /* each dW variant meets what the devices's forward and dX keep, as in a layer */
        if (v > 0) {
            CLCNN_TRY(clcnn_conv2d_forward(c->context, &s, X, Wt, B, Y, &c->keep, NULL));
            CLCNN_TRY(clcnn_conv2d_backward_data(c->context, &s, DY, Wt, DX, &c->keep));
        }
        use_variant(c, CLCNN_VARIANT_CONV2D_BACKWARD_WEIGHTS, list[v]);
        begin_row(c, "conv2d", "backward_weights", shape);
        CLCNN_TRY(clcnn_conv2d_backward_weights(c->context, &s, X, DY, DW, DB_WITH_DW, &c->keep));
        CLCNN_TRY(compare(c, "dw", DW, dw_ref, w_count,
                          sum_tolerance((size_t)N * s.OH * s.OW, dw_ref, w_count), 2 * FLT_EPSILON));
        CLCNN_TRY(compare(c, "db", DB_WITH_DW, db_ref, (size_t)OC,
                          sum_tolerance((size_t)N * s.OH * s.OW, db_ref, (size_t)OC), 2 * FLT_EPSILON));
        TIMED(c, clcnn_conv2d_backward_weights(c->context, &s, X, DY, DW, NULL, NULL));
        CLCNN_TRY(compare(c, "dw", DW, dw_ref, w_count,
                          sum_tolerance((size_t)N * s.OH * s.OW, dw_ref, w_count), 2 * FLT_EPSILON));
        end_row(c);
    }
    use_variant(c, CLCNN_VARIANT_CONV2D_BACKWARD_WEIGHTS, -1);

    begin_row(c, "conv2d", "backward_bias", shape);
    TIMED(c, clcnn_conv2d_backward_bias(c->context, &s, DY, DB));
    CLCNN_TRY(compare(c, "db", DB, db_ref, (size_t)OC,
                      sum_tolerance((size_t)N * s.OH * s.OW, db_ref, (size_t)OC), 2 * FLT_EPSILON));
    end_row(c);
    return CLCNN_OK;
}

static clcnn_status check_maxpool2d(checker *c, int N, int C, int H, int W, int size, int stride,
                                    clcnn_padding padding, bool ties)
{
    clcnn_pool2d_shape s;
    CLCNN_TRY(clcnn_pool2d_shape_make(N, C, H, W, size, size, stride, stride, padding, &s));
    char shape[96];
    snprintf(shape, sizeof shape, "%dx%dx%dx%d p%dx%d/%d %s%s", N, C, H, W, size, size, stride,
             padding == CLCNN_PADDING_SAME ? "same" : "valid", ties ? " ties+NaN" : "");
    size_t x_count = (size_t)N * C * H * W, y_count = (size_t)N * C * s.OH * s.OW;
    float *x, *dy, *y_ref, *dx_ref;
    int32_t *argmax_ref;
    if (ties) {
        /* a NaN wins its window, the first one if several: every 11th input is one */
        CLCNN_TRY(tied_floats(c, x_count, &x));
        for (size_t i = 5; i < x_count; i += 11)
            x[i] = NAN;
    } else {
        CLCNN_TRY(random_floats(c, x_count, -1.0f, 1.0f, &x));
    }
    CLCNN_TRY(random_floats(c, y_count, -1.0f, 1.0f, &dy));
    CLCNN_TRY(host_array(c, y_count, sizeof(float), (void **)&y_ref));
    CLCNN_TRY(host_array(c, y_count, sizeof(int32_t), (void **)&argmax_ref));
    CLCNN_TRY(host_array(c, x_count, sizeof(float), (void **)&dx_ref));
    clcnn_ref_maxpool2d_forward(&s, x, y_ref, argmax_ref);
    clcnn_ref_maxpool2d_backward(&s, dy, argmax_ref, NULL, dx_ref);
    /* gated by the pooled output, as behind a ReLU (y <= 0 where x is negative) */
    float *dx_gated_ref;
    CLCNN_TRY(host_array(c, x_count, sizeof(float), (void **)&dx_gated_ref));
    clcnn_ref_maxpool2d_backward(&s, dy, argmax_ref, y_ref, dx_gated_ref);

    clcnn_buffer *X, *DY, *Y, *ARGMAX, *ARGMAX_REF, *Y_REF, *DX;
    CLCNN_TRY(upload(c, x, x_count * sizeof(float), &X));
    CLCNN_TRY(upload(c, dy, y_count * sizeof(float), &DY));
    CLCNN_TRY(upload(c, argmax_ref, y_count * sizeof(int32_t), &ARGMAX_REF));
    CLCNN_TRY(upload(c, y_ref, y_count * sizeof(float), &Y_REF));
    CLCNN_TRY(output(c, y_count, &Y));
    CLCNN_TRY(output(c, y_count, &ARGMAX));
    CLCNN_TRY(output(c, x_count, &DX));

    int list[MAX_VARIANTS], count;
    CLCNN_TRY(variants_to_run(c, CLCNN_VARIANT_MAXPOOL2D_FORWARD, &s, list, &count));
    for (int v = 0; v < count; v++) {
        use_variant(c, CLCNN_VARIANT_MAXPOOL2D_FORWARD, list[v]);
        begin_row(c, "maxpool2d", "forward", shape);
        TIMED(c, clcnn_maxpool2d_forward(c->context, &s, X, Y, ARGMAX));
        CLCNN_TRY(compare(c, "y", Y, y_ref, y_count, 0.0, 0.0));
        CLCNN_TRY(compare_ints(c, "argmax", ARGMAX, argmax_ref, y_count));
        end_row(c);
    }
    use_variant(c, CLCNN_VARIANT_MAXPOOL2D_FORWARD, -1);

    /* backward from the reference's argmax, so a forward bug cannot mask a backward one */
    size_t overlap = (size_t)((size + stride - 1) / stride) * ((size + stride - 1) / stride);
    CLCNN_TRY(variants_to_run(c, CLCNN_VARIANT_MAXPOOL2D_BACKWARD, &s, list, &count));
    for (int v = 0; v < count; v++) {
        use_variant(c, CLCNN_VARIANT_MAXPOOL2D_BACKWARD, list[v]);
        begin_row(c, "maxpool2d", "backward", shape);
        TIMED(c, clcnn_maxpool2d_backward(c->context, &s, DY, ARGMAX_REF, NULL, DX));
        CLCNN_TRY(compare(c, "dx", DX, dx_ref, x_count, sum_tolerance(overlap, dx_ref, x_count), 0.0));
        end_row(c);

        begin_row(c, "maxpool2d", "backward_relu", shape);
        TIMED(c, clcnn_maxpool2d_backward(c->context, &s, DY, ARGMAX_REF, Y_REF, DX));
        CLCNN_TRY(compare(c, "dx", DX, dx_gated_ref, x_count,
                          sum_tolerance(overlap, dx_gated_ref, x_count), 0.0));
        end_row(c);
    }
    use_variant(c, CLCNN_VARIANT_MAXPOOL2D_BACKWARD, -1);
    return CLCNN_OK;
}

/* KH x KW windows; a global average pool is KH = H, KW = W. */
static clcnn_status check_avgpool2d(checker *c, int N, int C, int H, int W, int KH, int KW,
                                    int stride, clcnn_padding padding)
{
    clcnn_pool2d_shape s;
    CLCNN_TRY(clcnn_pool2d_shape_make(N, C, H, W, KH, KW, stride, stride, padding, &s));
    char shape[96];
    snprintf(shape, sizeof shape, "%dx%dx%dx%d p%dx%d/%d %s", N, C, H, W, KH, KW, stride,
             padding == CLCNN_PADDING_SAME ? "same" : "valid");
    size_t x_count = (size_t)N * C * H * W, y_count = (size_t)N * C * s.OH * s.OW;
    float *x, *dy, *y_ref, *dx_ref;
    CLCNN_TRY(random_floats(c, x_count, -1.0f, 1.0f, &x));
    CLCNN_TRY(random_floats(c, y_count, -1.0f, 1.0f, &dy));
    CLCNN_TRY(host_array(c, y_count, sizeof(float), (void **)&y_ref));
    CLCNN_TRY(host_array(c, x_count, sizeof(float), (void **)&dx_ref));
    clcnn_ref_avgpool2d_forward(&s, x, y_ref);
    clcnn_ref_avgpool2d_backward(&s, dy, dx_ref);

    clcnn_buffer *X, *DY, *Y, *DX;
    CLCNN_TRY(upload(c, x, x_count * sizeof(float), &X));
    CLCNN_TRY(upload(c, dy, y_count * sizeof(float), &DY));
    CLCNN_TRY(output(c, y_count, &Y));
    CLCNN_TRY(output(c, x_count, &DX));

    begin_row(c, "avgpool2d", "forward", shape);
    TIMED(c, clcnn_avgpool2d_forward(c->context, &s, X, Y));
    CLCNN_TRY(compare(c, "y", Y, y_ref, y_count, sum_tolerance((size_t)KH * KW, y_ref, y_count),
                      4 * FLT_EPSILON));
    end_row(c);

    begin_row(c, "avgpool2d", "backward", shape);
    TIMED(c, clcnn_avgpool2d_backward(c->context, &s, DY, DX));
    size_t overlap = (size_t)((KH + stride - 1) / stride) * ((KW + stride - 1) / stride);
    CLCNN_TRY(compare(c, "dx", DX, dx_ref, x_count, sum_tolerance(overlap, dx_ref, x_count),
                      4 * FLT_EPSILON));
    end_row(c);
    return CLCNN_OK;
}

/* Training's forward from the given moving averages, which it updates in place: each timed
 * run starts from the same ones. */
static clcnn_status batchnorm_training(checker *c, const clcnn_batchnorm_shape *s,
                                       const float *moving_mean, const float *moving_variance,
                                       const clcnn_buffer *x, const clcnn_buffer *gamma,
                                       const clcnn_buffer *beta, clcnn_buffer *mean,
                                       clcnn_buffer *variance, clcnn_buffer *stats, clcnn_buffer *y)
{
    const size_t bytes = (size_t)s->C * sizeof(float);
    CLCNN_TRY(clcnn_buffer_write(c->context, mean, 0, moving_mean, bytes));
    CLCNN_TRY(clcnn_buffer_write(c->context, variance, 0, moving_variance, bytes));
    return clcnn_batchnorm_forward(c->context, s, true, x, gamma, beta, mean, variance, stats, y,
                                   NULL);
}

/* x is offset from zero (3 +- 1), so a one-pass variance would lose digits. The backward runs
 * from the reference's statistics (and, with the fused ReLU, its y), so that a forward error
 * cannot mask a backward one. With relu, beta spans +-2: about a fifth of y is cut to 0. */
static clcnn_status check_batchnorm(checker *c, int N, int C, int HW, bool relu)
{
    const clcnn_batchnorm_shape s = {N, C, HW, 0.9f, 1e-3f, relu};
    char shape[96];
    snprintf(shape, sizeof shape, "%dx%dx%d momentum 0.9%s", N, C, HW, relu ? " relu" : "");
    const size_t count = (size_t)N * C * HW, M = (size_t)N * HW, channels = (size_t)C;
    float *x, *dy, *gamma, *beta, *moving_mean, *moving_variance, *mean_ref, *variance_ref;
    float *stats_ref, *y_ref, *inference_stats, *y_inference, *dgamma_ref, *dbeta_ref, *dx_ref;
    CLCNN_TRY(random_floats(c, count, 2.0f, 4.0f, &x));
    CLCNN_TRY(random_floats(c, count, -1.0f, 1.0f, &dy));
    CLCNN_TRY(random_floats(c, channels, 0.5f, 1.5f, &gamma));
    CLCNN_TRY(random_floats(c, channels, relu ? -2.0f : -0.5f, relu ? 2.0f : 0.5f, &beta));
    CLCNN_TRY(random_floats(c, channels, -1.0f, 1.0f, &moving_mean));
    CLCNN_TRY(random_floats(c, channels, 0.5f, 2.0f, &moving_variance));
    float **arrays[] = {&mean_ref, &variance_ref, &dgamma_ref, &dbeta_ref};
    for (int k = 0; k < 4; k++)
        CLCNN_TRY(host_array(c, channels, sizeof(float), (void **)arrays[k]));
    CLCNN_TRY(host_array(c, 2 * channels, sizeof(float), (void **)&stats_ref));
    CLCNN_TRY(host_array(c, 2 * channels, sizeof(float), (void **)&inference_stats));
    CLCNN_TRY(host_array(c, count, sizeof(float), (void **)&y_ref));
    CLCNN_TRY(host_array(c, count, sizeof(float), (void **)&y_inference));
    CLCNN_TRY(host_array(c, count, sizeof(float), (void **)&dx_ref));
    memcpy(mean_ref, moving_mean, channels * sizeof(float));
    memcpy(variance_ref, moving_variance, channels * sizeof(float));
    clcnn_ref_batchnorm_forward(&s, true, x, gamma, beta, mean_ref, variance_ref, stats_ref, y_ref);
    clcnn_ref_batchnorm_forward(&s, false, x, gamma, beta, moving_mean, moving_variance,
                                inference_stats, y_inference);
    clcnn_ref_batchnorm_backward(&s, x, y_ref, gamma, stats_ref, dy, dgamma_ref, dbeta_ref, dx_ref);

    clcnn_buffer *X, *DY, *GAMMA, *BETA, *MEAN, *VARIANCE, *STATS, *STATS_REF, *Y, *Y_REF,
        *DGAMMA, *DBETA, *DX;
    CLCNN_TRY(upload(c, x, count * sizeof(float), &X));
    CLCNN_TRY(upload(c, dy, count * sizeof(float), &DY));
    CLCNN_TRY(upload(c, gamma, channels * sizeof(float), &GAMMA));
    CLCNN_TRY(upload(c, beta, channels * sizeof(float), &BETA));
    CLCNN_TRY(upload(c, stats_ref, 2 * channels * sizeof(float), &STATS_REF));
    CLCNN_TRY(upload(c, y_ref, count * sizeof(float), &Y_REF));
    CLCNN_TRY(output(c, channels, &MEAN));
    CLCNN_TRY(output(c, channels, &VARIANCE));
    CLCNN_TRY(output(c, 2 * channels, &STATS));
    CLCNN_TRY(output(c, count, &Y));
    CLCNN_TRY(output(c, channels, &DGAMMA));
    CLCNN_TRY(output(c, channels, &DBETA));
    CLCNN_TRY(output(c, count, &DX));

    /* sums of M terms drift like sqrt(M) ulp; y and dx inherit that through the statistics */
    const double rel = 16 * FLT_EPSILON;
    begin_row(c, "batchnorm", "forward_training", shape);
    TIMED(c, batchnorm_training(c, &s, moving_mean, moving_variance, X, GAMMA, BETA, MEAN,
                                VARIANCE, STATS, Y));
    CLCNN_TRY(compare(c, "y", Y, y_ref, count, 4 * sum_tolerance(M, y_ref, count), rel));
    CLCNN_TRY(compare(c, "stats", STATS, stats_ref, 2 * channels,
                      sum_tolerance(M, stats_ref, 2 * channels), rel));
    CLCNN_TRY(compare(c, "moving_mean", MEAN, mean_ref, channels,
                      sum_tolerance(M, mean_ref, channels), rel));
    CLCNN_TRY(compare(c, "moving_variance", VARIANCE, variance_ref, channels,
                      sum_tolerance(M, variance_ref, channels), rel));
    end_row(c);

    CLCNN_TRY(clcnn_buffer_write(c->context, MEAN, 0, moving_mean, channels * sizeof(float)));
    CLCNN_TRY(clcnn_buffer_write(c->context, VARIANCE, 0, moving_variance, channels * sizeof(float)));
    begin_row(c, "batchnorm", "forward_inference", shape);
    TIMED(c, clcnn_batchnorm_forward(c->context, &s, false, X, GAMMA, BETA, MEAN, VARIANCE, STATS, Y,
                                     NULL));
    /* the device folds the statistics into one scale and shift, so y near 0 (beta cancelling
     * the normalised x, as the ReLU cases make often) carries the rounding of the terms */
    double largest = 0.0;
    for (size_t i = 0; i < count; i++)
        largest = fmax(largest, fabs((double)y_inference[i]));
    CLCNN_TRY(compare(c, "y", Y, y_inference, count, 4 * FLT_EPSILON * (largest + 4.0), rel));
    CLCNN_TRY(compare(c, "stats", STATS, inference_stats, 2 * channels, 0.0, rel));
    end_row(c);

    begin_row(c, "batchnorm", "backward", shape);
    TIMED(c, clcnn_batchnorm_backward(c->context, &s, X, Y_REF, GAMMA, STATS_REF, DY, DGAMMA,
                                      DBETA, DX));
    CLCNN_TRY(compare(c, "dgamma", DGAMMA, dgamma_ref, channels,
                      sum_tolerance(M, dgamma_ref, channels), rel));
    CLCNN_TRY(compare(c, "dbeta", DBETA, dbeta_ref, channels,
                      sum_tolerance(M, dbeta_ref, channels), rel));
    CLCNN_TRY(compare(c, "dx", DX, dx_ref, count, 4 * sum_tolerance(M, dx_ref, count), rel));
    end_row(c);
    return CLCNN_OK;
}

/* The 2x2 max pooling run with batch norm (the Fashion-MNIST recipe's bn-ReLU-pool), in
 * training and in inference: the pooled output and argmax must be, bit for bit, those of
 * pooling the y batch norm writes without it. */
static clcnn_status check_batchnorm_pool(checker *c, int N, int C, int H, int W, bool relu)
{
    const clcnn_batchnorm_shape s = {N, C, H * W, 0.9f, 1e-3f, relu};
    char shape[96];
    snprintf(shape, sizeof shape, "%dx%dx%dx%d p2x2/2%s", N, C, H, W, relu ? " relu" : "");
    clcnn_fused_pool pool;
    CLCNN_TRY(clcnn_pool2d_shape_make(N, C, H, W, 2, 2, 2, 2, CLCNN_PADDING_VALID, &pool.shape));
    const size_t count = (size_t)N * C * H * W, channels = (size_t)C;
    const size_t pooled_count = (size_t)N * C * pool.shape.OH * pool.shape.OW;
    float *x, *gamma, *beta, *moving, *y, *pooled_ref;
    int32_t *argmax_ref;
    CLCNN_TRY(random_floats(c, count, 2.0f, 4.0f, &x));
    CLCNN_TRY(random_floats(c, channels, 0.5f, 1.5f, &gamma));
    CLCNN_TRY(random_floats(c, channels, -2.0f, 2.0f, &beta));
    CLCNN_TRY(random_floats(c, channels, 0.5f, 2.0f, &moving)); /* mean and variance alike */
    CLCNN_TRY(host_array(c, count, sizeof(float), (void **)&y));
    CLCNN_TRY(host_array(c, pooled_count, sizeof(float), (void **)&pooled_ref));
    CLCNN_TRY(host_array(c, pooled_count, sizeof(int32_t), (void **)&argmax_ref));
    clcnn_buffer *X, *GAMMA, *BETA, *MEAN, *VARIANCE, *STATS, *Y;
    CLCNN_TRY(upload(c, x, count * sizeof(float), &X));
    CLCNN_TRY(upload(c, gamma, channels * sizeof(float), &GAMMA));
    CLCNN_TRY(upload(c, beta, channels * sizeof(float), &BETA));
    CLCNN_TRY(output(c, channels, &MEAN));
    CLCNN_TRY(output(c, channels, &VARIANCE));
    CLCNN_TRY(output(c, 2 * channels, &STATS));
    CLCNN_TRY(output(c, count, &Y));
    CLCNN_TRY(output(c, pooled_count, &pool.y));
    CLCNN_TRY(output(c, pooled_count, &pool.argmax));
    for (int training = 1; training >= 0; training--) {
        CLCNN_TRY(batchnorm_training(c, &s, moving, moving, X, GAMMA, BETA, MEAN, VARIANCE,
                                     STATS, Y)); /* the statistics inference reads, too */
        if (!training)
            CLCNN_TRY(clcnn_batchnorm_forward(c->context, &s, false, X, GAMMA, BETA, MEAN,
                                              VARIANCE, STATS, Y, NULL));
        CLCNN_TRY(clcnn_buffer_read(c->context, Y, 0, y, count * sizeof(float)));
        clcnn_ref_maxpool2d_forward(&pool.shape, y, pooled_ref, argmax_ref);
        begin_row(c, "batchnorm", training ? "forward_training_pool" : "forward_inference_pool",
                  shape);
        if (training) {
            const size_t bytes = channels * sizeof(float);
            CLCNN_TRY(clcnn_buffer_write(c->context, MEAN, 0, moving, bytes));
            CLCNN_TRY(clcnn_buffer_write(c->context, VARIANCE, 0, moving, bytes));
        }
        TIMED(c, clcnn_batchnorm_forward(c->context, &s, training, X, GAMMA, BETA, MEAN,
                                         VARIANCE, STATS, Y, &pool));
        CLCNN_TRY(compare(c, "pooled", pool.y, pooled_ref, pooled_count, 0.0, 0.0));
        CLCNN_TRY(compare_ints(c, "argmax", pool.argmax, argmax_ref, pooled_count));
        end_row(c);
    }
    return CLCNN_OK;
}

/* Moves drawn as training draws them (crop padding `pad`, mirrors), some shifts beyond the
 * image's edge: every pixel must match exactly. */
static clcnn_status check_augment(checker *c, int N, int C, int H, int W, int pad)
{
    char shape[96];
    snprintf(shape, sizeof shape, "%dx%dx%dx%d pad %d mirror", N, C, H, W, pad);
    size_t count = (size_t)N * C * H * W;
    float *x, *y_ref;
    int32_t *moves;
    CLCNN_TRY(random_floats(c, count, -1.0f, 1.0f, &x));
    CLCNN_TRY(host_array(c, count, sizeof(float), (void **)&y_ref));
    CLCNN_TRY(host_array(c, 3 * (size_t)N, sizeof(int32_t), (void **)&moves));
    clcnn_augment_moves(next_random(c), 7, 0, N, pad, true, moves);
    clcnn_ref_augment(N, C, H, W, x, moves, y_ref);
    clcnn_buffer *X, *MOVES, *Y;
    CLCNN_TRY(upload(c, x, count * sizeof(float), &X));
    CLCNN_TRY(upload(c, moves, 3 * (size_t)N * sizeof(int32_t), &MOVES));
    CLCNN_TRY(output(c, count, &Y));
    begin_row(c, "augment", "forward", shape);
    TIMED(c, clcnn_augment(c->context, N, C, H, W, X, MOVES, Y));
    CLCNN_TRY(compare(c, "y", Y, y_ref, count, 0.0, 0.0));
    end_row(c);
    return CLCNN_OK;
}

/* N samples from position first of a shuffled order over count kept images */
static clcnn_status check_gather(checker *c, int N, int C, int H, int W, int count, int first)
{
    char shape[96];
    snprintf(shape, sizeof shape, "%dx%dx%dx%d of %d from %d", N, C, H, W, count, first);
    const size_t image = (size_t)C * H * W, order_count = (size_t)first + N;
    uint8_t *pixels, *labels;
    int32_t *order, *labels_ref;
    float *x_ref;
    CLCNN_TRY(host_array(c, (size_t)count * image, 1, (void **)&pixels));
    CLCNN_TRY(host_array(c, (size_t)count, 1, (void **)&labels));
    CLCNN_TRY(host_array(c, order_count, sizeof(int32_t), (void **)&order));
    CLCNN_TRY(host_array(c, (size_t)N * image, sizeof(float), (void **)&x_ref));
    CLCNN_TRY(host_array(c, (size_t)N, sizeof(int32_t), (void **)&labels_ref));
    for (size_t i = 0; i < (size_t)count * image; i++)
        pixels[i] = (uint8_t)(next_random(c) >> 56);
    for (int i = 0; i < count; i++)
        labels[i] = (uint8_t)(next_random(c) % 10);
    for (size_t i = 0; i < order_count; i++)
        order[i] = (int32_t)(next_random(c) % (uint64_t)count);
    const clcnn_gather_shape s = {N, C, H, W, count, first, 255.0f};
    CLCNN_TRY(clcnn_ref_gather(&s, pixels, labels, order, x_ref, labels_ref));
    clcnn_buffer *PIXELS, *LABELS, *ORDER, *X, *Y_LABELS;
    CLCNN_TRY(upload(c, pixels, (size_t)count * image, &PIXELS));
    CLCNN_TRY(upload(c, labels, (size_t)count, &LABELS));
    CLCNN_TRY(upload(c, order, order_count * sizeof(int32_t), &ORDER));
    CLCNN_TRY(output(c, (size_t)N * image, &X));
    CLCNN_TRY(output(c, (size_t)N, &Y_LABELS));
    begin_row(c, "gather", "forward", shape);
    TIMED(c, clcnn_gather(c->context, &s, PIXELS, LABELS, ORDER, X, Y_LABELS));
    CLCNN_TRY(compare(c, "x", X, x_ref, (size_t)N * image, 0.0, 0.0)); /* one rounding: exact */
    CLCNN_TRY(compare_ints(c, "labels", Y_LABELS, labels_ref, (size_t)N));
    end_row(c);
    return CLCNN_OK;
}

static clcnn_status check_activation(checker *c, clcnn_activation kind, int count)
{
    const float alpha = 0.3f; /* Keras LeakyReLU's default slope */
    char shape[96];
    snprintf(shape, sizeof shape, "%d elements", count);
    float *x, *dy, *y_ref, *dx_ref;
    CLCNN_TRY(random_floats(c, (size_t)count, -4.0f, 4.0f, &x));
    CLCNN_TRY(random_floats(c, (size_t)count, -1.0f, 1.0f, &dy));
    CLCNN_TRY(host_array(c, (size_t)count, sizeof(float), (void **)&y_ref));
    CLCNN_TRY(host_array(c, (size_t)count, sizeof(float), (void **)&dx_ref));
    clcnn_ref_activation_forward(kind, alpha, count, x, y_ref);
    clcnn_ref_activation_backward(kind, alpha, count, y_ref, dy, dx_ref);
    bool exact = kind == CLCNN_ACTIVATION_RELU || kind == CLCNN_ACTIVATION_LEAKY_RELU;
    double tolerance_rel = exact ? 0.0 : 16 * FLT_EPSILON;
    double tolerance_abs = exact ? 0.0 : 16 * FLT_EPSILON * FLT_EPSILON;

    clcnn_buffer *X, *DY, *Y_REF, *Y, *DX;
    CLCNN_TRY(upload(c, x, (size_t)count * sizeof(float), &X));
    CLCNN_TRY(upload(c, dy, (size_t)count * sizeof(float), &DY));
    CLCNN_TRY(upload(c, y_ref, (size_t)count * sizeof(float), &Y_REF));
    CLCNN_TRY(output(c, (size_t)count, &Y));
    CLCNN_TRY(output(c, (size_t)count, &DX));

    begin_row(c, clcnn_activation_name(kind), "forward", shape);
    TIMED(c, clcnn_activation_forward(c->context, kind, alpha, count, X, Y));
    CLCNN_TRY(compare(c, "y", Y, y_ref, (size_t)count, tolerance_abs, tolerance_rel));
    end_row(c);

    begin_row(c, clcnn_activation_name(kind), "backward", shape);
    TIMED(c, clcnn_activation_backward(c->context, kind, alpha, count, Y_REF, DY, DX));
    CLCNN_TRY(compare(c, "dx", DX, dx_ref, (size_t)count, tolerance_abs, tolerance_rel));
    end_row(c);
    return CLCNN_OK;
}

static clcnn_status check_add(checker *c, int count)
{
    char shape[96];
    snprintf(shape, sizeof shape, "%d elements", count);
    float *a, *b, *y_ref;
    CLCNN_TRY(random_floats(c, (size_t)count, -4.0f, 4.0f, &a));
    CLCNN_TRY(random_floats(c, (size_t)count, -4.0f, 4.0f, &b));
    CLCNN_TRY(host_array(c, (size_t)count, sizeof(float), (void **)&y_ref));
    clcnn_ref_add(count, a, b, y_ref);
    clcnn_buffer *A, *B, *Y;
    CLCNN_TRY(upload(c, a, (size_t)count * sizeof(float), &A));
    CLCNN_TRY(upload(c, b, (size_t)count * sizeof(float), &B));
    CLCNN_TRY(output(c, (size_t)count, &Y));
    begin_row(c, "add", "forward", shape);
    TIMED(c, clcnn_add(c->context, count, A, B, Y));
    CLCNN_TRY(compare(c, "y", Y, y_ref, (size_t)count, 0.0, 0.0)); /* one rounding: exact */
    end_row(c);
    return CLCNN_OK;
}

static clcnn_status check_dense_products(checker *c, const clcnn_dense_shape s, const char *shape)
{
    const int N = s.N, I = s.I, O = s.O;
    size_t x_count = (size_t)N * I, w_count = (size_t)I * O, y_count = (size_t)N * O;
    float *x, *w, *b, *dy, *y_ref, *dx_ref, *dw_ref, *db_ref;
    CLCNN_TRY(random_floats(c, x_count, -1.0f, 1.0f, &x));
    CLCNN_TRY(random_floats(c, w_count, -0.5f, 0.5f, &w));
    CLCNN_TRY(random_floats(c, (size_t)O, -0.5f, 0.5f, &b));
    CLCNN_TRY(random_floats(c, y_count, -1.0f, 1.0f, &dy));
    CLCNN_TRY(host_array(c, y_count, sizeof(float), (void **)&y_ref));
    CLCNN_TRY(host_array(c, x_count, sizeof(float), (void **)&dx_ref));
    CLCNN_TRY(host_array(c, w_count, sizeof(float), (void **)&dw_ref));
    CLCNN_TRY(host_array(c, (size_t)O, sizeof(float), (void **)&db_ref));
    clcnn_ref_dense_forward(&s, x, w, b, y_ref);
    clcnn_ref_dense_backward_data(&s, dy, w, dx_ref);
    clcnn_ref_dense_backward_weights(&s, x, dy, dw_ref);
    clcnn_ref_dense_backward_bias(&s, dy, db_ref);

    clcnn_buffer *X, *Wt, *B, *DY, *Y, *DX, *DW, *DB;
    CLCNN_TRY(upload(c, x, x_count * sizeof(float), &X));
    CLCNN_TRY(upload(c, w, w_count * sizeof(float), &Wt));
    CLCNN_TRY(upload(c, b, (size_t)O * sizeof(float), &B));
    CLCNN_TRY(upload(c, dy, y_count * sizeof(float), &DY));
    CLCNN_TRY(output(c, y_count, &Y));
    CLCNN_TRY(output(c, x_count, &DX));
    CLCNN_TRY(output(c, w_count, &DW));
    CLCNN_TRY(output(c, (size_t)O, &DB));
    CLCNN_TRY(clcnn_dense_reserve(c->context, &s));

    begin_row(c, "dense", "forward", shape);
    TIMED(c, clcnn_dense_forward(c->context, &s, X, Wt, B, Y));
    CLCNN_TRY(compare(c, "y", Y, y_ref, y_count, sum_tolerance((size_t)I + 1, y_ref, y_count),
                      2 * FLT_EPSILON));
    end_row(c);

    begin_row(c, "dense", "backward_data", shape);
    TIMED(c, clcnn_dense_backward_data(c->context, &s, DY, Wt, DX));
    CLCNN_TRY(compare(c, "dx", DX, dx_ref, x_count, sum_tolerance((size_t)O, dx_ref, x_count),
                      2 * FLT_EPSILON));
    end_row(c);

    begin_row(c, "dense", "backward_weights", shape);
    TIMED(c, clcnn_dense_backward_weights(c->context, &s, X, DY, DW));
    CLCNN_TRY(compare(c, "dw", DW, dw_ref, w_count, sum_tolerance((size_t)N, dw_ref, w_count),
                      2 * FLT_EPSILON));
    end_row(c);

    begin_row(c, "dense", "backward_bias", shape);
    TIMED(c, clcnn_dense_backward_bias(c->context, &s, DY, DB));
    CLCNN_TRY(compare(c, "db", DB, db_ref, (size_t)O, sum_tolerance((size_t)N, db_ref, (size_t)O),
                      2 * FLT_EPSILON));
    end_row(c);
    return CLCNN_OK;
}

static clcnn_status check_dense(checker *c, int N, int I, int O)
{
    const clcnn_dense_shape s = {N, I, O};
    char shape[96];
    snprintf(shape, sizeof shape, "%dx%d -> %d", N, I, O);
    int list[MAX_VARIANTS], count;
    CLCNN_TRY(variants_to_run(c, CLCNN_VARIANT_DENSE, &s, list, &count));
    for (int v = 0; v < count; v++) {
        use_variant(c, CLCNN_VARIANT_DENSE, list[v]);
        CLCNN_TRY(check_dense_products(c, s, shape));
    }
    use_variant(c, CLCNN_VARIANT_DENSE, -1);
    return CLCNN_OK;
}

static clcnn_status check_dropout(checker *c, int count, float rate, uint64_t step, uint32_t layer)
{
    /* a non-zero first element, as a replica's share of a split batch has */
    const clcnn_dropout_params p = {.count = count, .first = 1000u * layer, .rate = rate,
                                    .seed = 0x5eed5eed12345678ULL, .step = step, .layer = layer};
    char shape[96];
    snprintf(shape, sizeof shape, "%d elements rate %.2f step %llu", count, (double)rate,
             (unsigned long long)step);
    float *x, *dy, *y_ref, *dx_ref;
    CLCNN_TRY(random_floats(c, (size_t)count, -1.0f, 1.0f, &x));
    CLCNN_TRY(random_floats(c, (size_t)count, -1.0f, 1.0f, &dy));
    CLCNN_TRY(host_array(c, (size_t)count, sizeof(float), (void **)&y_ref));
    CLCNN_TRY(host_array(c, (size_t)count, sizeof(float), (void **)&dx_ref));
    clcnn_ref_dropout_forward(&p, x, y_ref);
    clcnn_ref_dropout_backward(&p, dy, dx_ref);

    clcnn_buffer *X, *DY, *Y, *DX;
    CLCNN_TRY(upload(c, x, (size_t)count * sizeof(float), &X));
    CLCNN_TRY(upload(c, dy, (size_t)count * sizeof(float), &DY));
    CLCNN_TRY(output(c, (size_t)count, &Y));
    CLCNN_TRY(output(c, (size_t)count, &DX));

    begin_row(c, "dropout", "forward", shape);
    TIMED(c, clcnn_dropout_forward(c->context, &p, X, Y));
    CLCNN_TRY(compare(c, "y", Y, y_ref, (size_t)count, 0.0, 0.0));
    end_row(c);

    begin_row(c, "dropout", "backward", shape);
    TIMED(c, clcnn_dropout_backward(c->context, &p, DY, DX));
    CLCNN_TRY(compare(c, "dx", DX, dx_ref, (size_t)count, 0.0, 0.0));
    end_row(c);
    return CLCNN_OK;
}

/* Softmax cross-entropy (with label smoothing when given), then metrics and argmax on the
 * same logits and labels. invalid puts an out-of-range label at both ends of the batch. */
static clcnn_status check_softmax_and_metrics(checker *c, int N, int C, float smoothing,
                                              bool ties, bool invalid)
{
    char shape[96];
    snprintf(shape, sizeof shape, "%dx%d%s%s", N, C, ties ? " ties" : "",
             invalid ? " bad labels" : "");
    if (smoothing > 0)
        snprintf(shape + strlen(shape), sizeof shape - strlen(shape), " smoothing %g",
                 (double)smoothing);
    size_t count = (size_t)N * C;
    float *logits, *dlogits_ref, *loss_ref, totals_ref[3];
    int32_t *labels, *predictions_ref;
    if (ties)
        CLCNN_TRY(tied_floats(c, count, &logits));
    else
        CLCNN_TRY(random_floats(c, count, -8.0f, 8.0f, &logits));
    CLCNN_TRY(random_labels(c, N, C, &labels));
    if (invalid) {
        labels[0] = C;
        labels[N - 1] = -1;
    }
    CLCNN_TRY(host_array(c, count, sizeof(float), (void **)&dlogits_ref));
    CLCNN_TRY(host_array(c, (size_t)N, sizeof(float), (void **)&loss_ref));
    CLCNN_TRY(host_array(c, (size_t)N, sizeof(int32_t), (void **)&predictions_ref));
    clcnn_ref_softmax_cross_entropy(N, C, smoothing, logits, labels, dlogits_ref, loss_ref);
    clcnn_ref_metrics_reduce(N, C, logits, labels, loss_ref, totals_ref);
    clcnn_ref_argmax(N, C, logits, predictions_ref);

    clcnn_buffer *LOGITS, *LABELS, *LOSS_REF, *DLOGITS, *LOSS, *TOTALS, *PREDICTIONS;
    CLCNN_TRY(upload(c, logits, count * sizeof(float), &LOGITS));
    CLCNN_TRY(upload(c, labels, (size_t)N * sizeof(int32_t), &LABELS));
    CLCNN_TRY(upload(c, loss_ref, (size_t)N * sizeof(float), &LOSS_REF));
    CLCNN_TRY(output(c, count, &DLOGITS));
    CLCNN_TRY(output(c, (size_t)N, &LOSS));
    CLCNN_TRY(output(c, 3, &TOTALS));
    CLCNN_TRY(output(c, (size_t)N, &PREDICTIONS));

    begin_row(c, "softmax_xent", "forward+grad", shape);
    TIMED(c, clcnn_softmax_cross_entropy(c->context, N, C, smoothing, LOGITS, LABELS, DLOGITS, LOSS));
    CLCNN_TRY(compare(c, "loss", LOSS, loss_ref, (size_t)N,
                      16 * FLT_EPSILON * (max_abs(loss_ref, (size_t)N) + 1), 16 * FLT_EPSILON));
    CLCNN_TRY(compare(c, "dlogits", DLOGITS, dlogits_ref, count, 16 * FLT_EPSILON / N,
                      16 * FLT_EPSILON));
    end_row(c);

    /* totals from the reference's per-sample loss, so only the reduction is under test */
    begin_row(c, "metrics", "reduce", shape);
    TIMED(c, clcnn_metrics_reduce(c->context, N, C, LOGITS, LABELS, LOSS_REF, TOTALS));
    CLCNN_TRY(compare(c, "totals", TOTALS, totals_ref, 3, sum_tolerance((size_t)N, totals_ref, 1),
                      2 * FLT_EPSILON));
    end_row(c);

    begin_row(c, "metrics", "argmax", shape);
    TIMED(c, clcnn_argmax(c->context, N, C, LOGITS, PREDICTIONS));
    CLCNN_TRY(compare_ints(c, "predictions", PREDICTIONS, predictions_ref, (size_t)N));
    end_row(c);
    return CLCNN_OK;
}

/* Adam and SGD (momentum 0.9, Nesterov's or not), each with decoupled weight decay on the
 * first half of the parameters, as the trainer decays its kernels and not its biases. */
static clcnn_status check_optimizers(checker *c, int count, uint64_t t, bool nesterov)
{
    char shape[96];
    snprintf(shape, sizeof shape, "%d parameters t=%llu%s", count, (unsigned long long)t,
             nesterov ? " nesterov" : "");
    const clcnn_adam_step adam = {clcnn_adam_alpha(1e-3, 0.9, 0.999, t), 0.9f, 0.999f, 1e-7f};
    const clcnn_sgd_step sgd = {0.01f, 0.9f, nesterov};
    const clcnn_decay decay = {1e-3f * 4e-3f, count / 2};
    size_t bytes = (size_t)count * sizeof(float);
    float *param, *grad, *m, *v, *velocity;
    CLCNN_TRY(random_floats(c, (size_t)count, -1.0f, 1.0f, &param));
    CLCNN_TRY(random_floats(c, (size_t)count, -0.1f, 0.1f, &grad));
    CLCNN_TRY(random_floats(c, (size_t)count, -0.01f, 0.01f, &m));
    CLCNN_TRY(random_floats(c, (size_t)count, 0.0f, 1e-4f, &v));
    CLCNN_TRY(random_floats(c, (size_t)count, -0.01f, 0.01f, &velocity));
    clcnn_buffer *PARAM, *GRAD, *M, *V, *PARAM2, *VELOCITY;
    CLCNN_TRY(upload_in_out(c, param, (size_t)count, &PARAM));
    CLCNN_TRY(upload(c, grad, bytes, &GRAD));
    CLCNN_TRY(upload_in_out(c, m, (size_t)count, &M));
    CLCNN_TRY(upload_in_out(c, v, (size_t)count, &V));
    CLCNN_TRY(upload_in_out(c, param, (size_t)count, &PARAM2));
    CLCNN_TRY(upload_in_out(c, velocity, (size_t)count, &VELOCITY));

    /* updates work in place: the first run is compared and is the warm-up (some drivers
     * compile a kernel again at its first launch); the timed runs follow the comparison */
    begin_row(c, "adam", "update", shape);
    CLCNN_TRY(clcnn_adam_update(c->context, &adam, &decay, count, PARAM, GRAD, M, V));
    float *param_ref, *m_ref, *v_ref;
    CLCNN_TRY(host_array(c, (size_t)count, sizeof(float), (void **)&param_ref));
    CLCNN_TRY(host_array(c, (size_t)count, sizeof(float), (void **)&m_ref));
    CLCNN_TRY(host_array(c, (size_t)count, sizeof(float), (void **)&v_ref));
    memcpy(param_ref, param, bytes);
    memcpy(m_ref, m, bytes);
    memcpy(v_ref, v, bytes);
    clcnn_ref_adam_update(&adam, &decay, count, param_ref, grad, m_ref, v_ref);
    /* m and v are differences of terms as large as g and g*g: their rounding is relative to
     * those, not to the (possibly much smaller) result */
    double largest_grad = max_abs(grad, (size_t)count), largest_step = 0.0;
    for (int i = 0; i < count; i++)
        largest_step = fmax(largest_step, fabs((double)param_ref[i] - param[i]));
    /* param - step: rounding of the step is relative to the step, not to param */
    CLCNN_TRY(compare(c, "param", PARAM, param_ref, (size_t)count, 4 * FLT_EPSILON * largest_step,
                      4 * FLT_EPSILON));
    CLCNN_TRY(compare(c, "m", M, m_ref, (size_t)count, 4 * FLT_EPSILON * largest_grad,
                      4 * FLT_EPSILON));
    CLCNN_TRY(compare(c, "v", V, v_ref, (size_t)count,
                      4 * FLT_EPSILON * largest_grad * largest_grad, 4 * FLT_EPSILON));
    TIMED_RUNS(c, 0, clcnn_adam_update(c->context, &adam, &decay, count, PARAM, GRAD, M, V));
    end_row(c);

    begin_row(c, "sgd", "update", shape);
    CLCNN_TRY(clcnn_sgd_update(c->context, &sgd, &decay, count, PARAM2, GRAD, VELOCITY));
    memcpy(param_ref, param, bytes);
    float *velocity_ref = m_ref;
    memcpy(velocity_ref, velocity, bytes);
    clcnn_ref_sgd_update(&sgd, &decay, count, param_ref, grad, velocity_ref);
    /* velocity = momentum * velocity - lr * g cancels: tolerance from the two terms */
    double velocity_terms = sgd.momentum * max_abs(velocity, (size_t)count) +
                            sgd.learning_rate * largest_grad;
    CLCNN_TRY(compare(c, "param", PARAM2, param_ref, (size_t)count, 4 * FLT_EPSILON * velocity_terms,
                      4 * FLT_EPSILON));
    CLCNN_TRY(compare(c, "velocity", VELOCITY, velocity_ref, (size_t)count,
                      4 * FLT_EPSILON * velocity_terms, 4 * FLT_EPSILON));
    TIMED_RUNS(c, 0, clcnn_sgd_update(c->context, &sgd, &decay, count, PARAM2, GRAD, VELOCITY));
    end_row(c);
    return CLCNN_OK;
}

/* ---- shape sets -------------------------------------------------------------------------- */

/* Whether the case `check_<family>(...)` is among c->families; a family that is marks itself
 * in c->matched (by its position in c->families). */
static bool selected(checker *c, const char *call)
{
    if (!c->families)
        return true;
    const char *family = call + strlen("check_");
    size_t length = strcspn(family, "(");
    for (const char *at = c->families; *at; at += strcspn(at, " "), at += strspn(at, " "))
        if (strcspn(at, " ") == length && !strncmp(at, family, length)) {
            c->matched[at - c->families] = true;
            return true;
        }
    return false;
}

#define RUN_CASE(c, call)                                                                    \
    do {                                                                                     \
        if (!selected((c), #call) || (c)->dry_run)                                           \
            break;                                                                           \
        clcnn_status case_status_ = (call);                                                  \
        release_case(c);                                                                     \
        if (case_status_ != CLCNN_OK)                                                        \
            return case_status_;                                                             \
    } while (0)

static clcnn_status run_small(checker *c);
static clcnn_status run_seed(checker *c);

/* A family that names no case would time nothing, and so win any comparison: each must name
 * a case of some shape set (the tutorial's shapes, say, have no batch norm to time). */
static clcnn_status every_family_names_a_case(checker *c)
{
    c->dry_run = true;
    run_small(c);
    run_seed(c);
    c->dry_run = false;
    for (const char *at = c->families; at && *at; at += strcspn(at, " "), at += strspn(at, " "))
        if (!c->matched[at - c->families])
            return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "check: the family '%.*s' names no case",
                              (int)strcspn(at, " "), at);
    return CLCNN_OK;
}

static clcnn_status run_small(checker *c)
{
    /* batch 1, odd H and W, channel counts off 4/8/16, strides, 'valid' and 'same' */
    RUN_CASE(c, check_conv2d(c, 1, 3, 7, 7, 5, 3, 3, 1, CLCNN_PADDING_SAME));
    RUN_CASE(c, check_conv2d(c, 2, 3, 13, 13, 6, 3, 3, 2, CLCNN_PADDING_VALID));
    RUN_CASE(c, check_conv2d(c, 3, 5, 7, 13, 7, 5, 5, 2, CLCNN_PADDING_SAME));
    RUN_CASE(c, check_conv2d(c, 2, 1, 6, 5, 3, 1, 1, 1, CLCNN_PADDING_VALID));
    /* the 3x3 stride-1 fast paths: whole tiles (even heights, widths of 8 and 16), and sizes
     * that overhang them (odd heights, widths off 8, 1x1 outputs), channels off multiples of 8 */
    RUN_CASE(c, check_conv2d(c, 2, 5, 10, 16, 11, 3, 3, 1, CLCNN_PADDING_SAME));
    RUN_CASE(c, check_conv2d(c, 1, 4, 9, 16, 9, 3, 3, 1, CLCNN_PADDING_SAME));
    RUN_CASE(c, check_conv2d(c, 1, 3, 10, 10, 3, 3, 3, 1, CLCNN_PADDING_VALID));
    RUN_CASE(c, check_conv2d(c, 2, 3, 6, 8, 5, 3, 3, 1, CLCNN_PADDING_VALID));
    RUN_CASE(c, check_conv2d(c, 3, 2, 7, 7, 13, 3, 3, 1, CLCNN_PADDING_SAME));
    RUN_CASE(c, check_conv2d(c, 2, 9, 5, 21, 10, 3, 3, 1, CLCNN_PADDING_VALID));
    RUN_CASE(c, check_conv2d(c, 1, 6, 3, 3, 4, 3, 3, 1, CLCNN_PADDING_VALID));
    RUN_CASE(c, check_conv2d(c, 2, 8, 1, 1, 8, 3, 3, 1, CLCNN_PADDING_SAME));
    /* more than one tile of the tiled variant's every axis: 70 output channels, 70 pixels,
     * and dW's sum split */
    RUN_CASE(c, check_conv2d(c, 2, 2, 5, 7, 70, 3, 3, 1, CLCNN_PADDING_SAME));
    RUN_CASE(c, check_maxpool2d(c, 1, 3, 7, 7, 2, 2, CLCNN_PADDING_VALID, false));
    RUN_CASE(c, check_maxpool2d(c, 2, 5, 13, 13, 3, 2, CLCNN_PADDING_VALID, false));
    RUN_CASE(c, check_maxpool2d(c, 2, 3, 7, 13, 3, 1, CLCNN_PADDING_SAME, false));
    RUN_CASE(c, check_maxpool2d(c, 2, 3, 8, 7, 2, 2, CLCNN_PADDING_VALID, true));
    RUN_CASE(c, check_maxpool2d(c, 3, 5, 6, 10, 2, 2, CLCNN_PADDING_VALID, true));
    /* runs of 4 windows: two whole runs and a last one of 1, in both directions */
    RUN_CASE(c, check_maxpool2d(c, 2, 3, 4, 18, 2, 2, CLCNN_PADDING_VALID, true));
    RUN_CASE(c, check_avgpool2d(c, 1, 3, 7, 7, 2, 2, 2, CLCNN_PADDING_VALID));
    RUN_CASE(c, check_avgpool2d(c, 2, 5, 13, 13, 3, 3, 2, CLCNN_PADDING_SAME));
    RUN_CASE(c, check_avgpool2d(c, 2, 3, 7, 13, 3, 3, 1, CLCNN_PADDING_SAME));
    RUN_CASE(c, check_avgpool2d(c, 3, 7, 5, 9, 5, 9, 1, CLCNN_PADDING_VALID)); /* global */
    RUN_CASE(c, check_avgpool2d(c, 2, 3, 3, 5, 2, 4, 2, CLCNN_PADDING_VALID)); /* one window, not all */
    RUN_CASE(c, check_batchnorm(c, 1, 3, 7 * 7, false));
    RUN_CASE(c, check_batchnorm(c, 5, 6, 9 * 13, false));
    RUN_CASE(c, check_batchnorm(c, 7, 130, 1, false)); /* after a dense layer */
    RUN_CASE(c, check_batchnorm(c, 1, 3, 7 * 7, true));
    RUN_CASE(c, check_batchnorm(c, 5, 6, 9 * 13, true));
    RUN_CASE(c, check_batchnorm_pool(c, 2, 3, 7, 9, true)); /* odd: the last row, column unpooled */
    RUN_CASE(c, check_batchnorm_pool(c, 3, 5, 6, 20, false));
    RUN_CASE(c, check_augment(c, 1, 3, 7, 9, 2));
    RUN_CASE(c, check_augment(c, 9, 3, 32, 32, 4));
    RUN_CASE(c, check_gather(c, 1, 3, 7, 9, 5, 0));
    RUN_CASE(c, check_gather(c, 13, 1, 28, 28, 40, 27));
    const clcnn_activation kinds[] = {CLCNN_ACTIVATION_RELU, CLCNN_ACTIVATION_SIGMOID,
                                      CLCNN_ACTIVATION_TANH, CLCNN_ACTIVATION_LEAKY_RELU};
    for (int k = 0; k < 4; k++) {
        RUN_CASE(c, check_activation(c, kinds[k], 1));
        RUN_CASE(c, check_activation(c, kinds[k], 4099));
    }
    RUN_CASE(c, check_add(c, 1));
    RUN_CASE(c, check_add(c, 4099));
    RUN_CASE(c, check_dense(c, 1, 7, 3));
    RUN_CASE(c, check_dense(c, 5, 130, 10));
    RUN_CASE(c, check_dense(c, 13, 67, 17));
    RUN_CASE(c, check_dropout(c, 1, 0.5f, 0, 0));
    RUN_CASE(c, check_dropout(c, 4099, 0.5f, 7, 2));
    RUN_CASE(c, check_dropout(c, 1000, 0.0f, 1ULL << 33, 5));
    RUN_CASE(c, check_softmax_and_metrics(c, 1, 10, 0.0f, false, false));
    RUN_CASE(c, check_softmax_and_metrics(c, 300, 10, 0.1f, false, false));
    RUN_CASE(c, check_softmax_and_metrics(c, 67, 3, 0.0f, true, true));
    RUN_CASE(c, check_optimizers(c, 1, 1, false));
    RUN_CASE(c, check_optimizers(c, 1025, 1000, true));
    return CLCNN_OK;
}

/* The tutorial model at batch 64: conv 3->32, 32->64, 64->128 on 32, 16, 8 pixels, each
 * followed by ReLU and 2x2 pooling; dense 2048->128 (ReLU, dropout 0.5) and 128->10. */
static clcnn_status run_seed(checker *c)
{
    RUN_CASE(c, check_gather(c, 64, 3, 32, 32, 1000, 640));
    const int channels[4] = {3, 32, 64, 128}, sizes[3] = {32, 16, 8};
    for (int layer = 0; layer < 3; layer++) {
        RUN_CASE(c, check_conv2d(c, 64, channels[layer], sizes[layer], sizes[layer],
                               channels[layer + 1], 3, 3, 1, CLCNN_PADDING_SAME));
        RUN_CASE(c, check_activation(c, CLCNN_ACTIVATION_RELU,
                                   64 * channels[layer + 1] * sizes[layer] * sizes[layer]));
        RUN_CASE(c, check_maxpool2d(c, 64, channels[layer + 1], sizes[layer], sizes[layer], 2, 2,
                                  CLCNN_PADDING_VALID, false));
    }
    RUN_CASE(c, check_dense(c, 64, 2048, 128));
    RUN_CASE(c, check_activation(c, CLCNN_ACTIVATION_RELU, 64 * 128));
    RUN_CASE(c, check_dropout(c, 64 * 128, 0.5f, 1234, 7));
    RUN_CASE(c, check_dense(c, 64, 128, 10));
    RUN_CASE(c, check_softmax_and_metrics(c, 64, 10, 0.0f, false, false));
    RUN_CASE(c, check_optimizers(c, 2048 * 128, 10, false));
    return CLCNN_OK;
}

clcnn_status clcnn_check_run(clcnn_context *context, clcnn_check_shapes shapes, uint64_t seed,
                             clcnn_check_callback callback, void *user_data, int *failures)
{
    return clcnn_check_run_timed(context, shapes, seed, 1, callback, user_data, failures);
}

clcnn_status clcnn_check_run_timed(clcnn_context *context, clcnn_check_shapes shapes,
                                   uint64_t seed, int timing_runs, clcnn_check_callback callback,
                                   void *user_data, int *failures)
{
    return clcnn_check_run_variants(context, shapes, CLCNN_CHECK_VARIANTS_CHOSEN, seed,
                                    timing_runs, callback, user_data, failures);
}

static clcnn_status check_cases(clcnn_context *context, clcnn_check_shapes shapes,
                                clcnn_check_variants variants, const char *families,
                                uint64_t seed, int timing_runs, clcnn_check_callback callback,
                                void *user_data, int *failures)
{
    *failures = 0;
    if (families && strlen(families) >= sizeof ((checker *)NULL)->matched)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "check: the family list is too long");
    if (timing_runs < 1 || timing_runs > MAX_TIMING_RUNS)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT, "check: timing runs must be 1 to %d, got %d",
                          MAX_TIMING_RUNS, timing_runs);
    checker *c = calloc(1, sizeof *c);
    if (!c)
        return clcnn_fail(CLCNN_ERROR_ALLOCATION, "check: out of host memory");
    *c = (checker){.context = context, .random_state = seed, .callback = callback,
                   .user_data = user_data, .timing_runs = timing_runs, .families = families,
                   .all_variants = variants == CLCNN_CHECK_VARIANTS_ALL, .variant = "",
                   .warm_up = !context->device.is_simulator};
    /* the caller's forced variants (the tuner forces some), put back after */
    memcpy(c->caller_forced, context->forced_variant, sizeof c->caller_forced);
    clcnn_status status = every_family_names_a_case(c);
    if (status == CLCNN_OK)
        status = clcnn_context_build_all(context);
    if (status == CLCNN_OK && (shapes & CLCNN_CHECK_SHAPES_SMALL))
        status = run_small(c);
    if (status == CLCNN_OK && (shapes & CLCNN_CHECK_SHAPES_SEED))
        status = run_seed(c);
    /* a case that failed half-way leaves the variants as the caller forced them */
    memcpy(context->forced_variant, c->caller_forced, sizeof c->caller_forced);
    *failures = c->failures;
    free(c);
    return status;
}

clcnn_status clcnn_check_run_variants(clcnn_context *context, clcnn_check_shapes shapes,
                                      clcnn_check_variants variants, uint64_t seed,
                                      int timing_runs, clcnn_check_callback callback,
                                      void *user_data, int *failures)
{
    return check_cases(context, shapes, variants, NULL, seed, timing_runs, callback, user_data,
                       failures);
}

clcnn_status clcnn_check_families(clcnn_context *context, clcnn_check_shapes shapes,
                                  const char *families, uint64_t seed, int timing_runs,
                                  clcnn_check_callback callback, void *user_data, int *failures)
{
    return check_cases(context, shapes, CLCNN_CHECK_VARIANTS_CHOSEN, families, seed, timing_runs,
                       callback, user_data, failures);
}
