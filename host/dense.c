/* Dense (fully connected) dispatch: matrix products through CLBlast SGEMM with a scratch
 * buffer the context owns (CLBlast would otherwise allocate one per call; the variant GPUs
 * get), or through cl/dense.cl's dense_gemm (the variant CPUs get: CLBlast reaches 7-31
 * GFLOP/s on PoCL); bias add and bias gradient in cl/dense.cl; reference twin in ref/dense.c.
 * x: [N, I], w: [I, O], b: [O], y: [N, O], all row-major. */
#include <clblast_c.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

typedef struct gemm {
    CLBlastTranspose a_transpose, b_transpose;
    size_t m, n, k, a_ld, b_ld, c_ld;
} gemm;

/* y[N,O] = x[N,I] w[I,O] */
static gemm forward_gemm(const clcnn_dense_shape *s)
{
    return (gemm){CLBlastTransposeNo, CLBlastTransposeNo, (size_t)s->N, (size_t)s->O, (size_t)s->I,
                  (size_t)s->I, (size_t)s->O, (size_t)s->O};
}
/* dx[N,I] = dy[N,O] w[I,O]^T */
static gemm data_gemm(const clcnn_dense_shape *s)
{
    return (gemm){CLBlastTransposeNo, CLBlastTransposeYes, (size_t)s->N, (size_t)s->I, (size_t)s->O,
                  (size_t)s->O, (size_t)s->O, (size_t)s->I};
}
/* dw[I,O] = x[N,I]^T dy[N,O] */
static gemm weights_gemm(const clcnn_dense_shape *s)
{
    return (gemm){CLBlastTransposeYes, CLBlastTransposeNo, (size_t)s->I, (size_t)s->O, (size_t)s->N,
                  (size_t)s->I, (size_t)s->O, (size_t)s->O};
}

static clcnn_status clblast_failed(clcnn_context *context, CLBlastStatusCode code,
                                   const char *call, int line)
{
    return clcnn_fail_cl(context, (cl_int)code, call, __FILE__, line);
}

static clcnn_status reserve_gemm(clcnn_context *context, const gemm *g)
{
    size_t bytes = 0;
    CLBlastStatusCode code = CLBlastSGemmTempBufferSize(
        CLBlastLayoutRowMajor, g->a_transpose, g->b_transpose, g->m, g->n, g->k, 0, g->a_ld, 0,
        g->b_ld, 0, g->c_ld, &context->queue, &bytes);
    if (code != CLBlastSuccess)
        return clblast_failed(context, code, "CLBlastSGemmTempBufferSize", __LINE__);
    if (bytes <= context->gemm_temp_bytes)
        return CLCNN_OK;
    clcnn_buffer grown;
    CLCNN_TRY(clcnn_buffer_create(context, bytes, &grown));
    if (context->gemm_temp)
        clReleaseMemObject(context->gemm_temp);
    context->gemm_temp = grown.mem;
    context->gemm_temp_bytes = bytes;
    return CLCNN_OK;
}

/* ---- CLBlast's Xgemm parameters (clcnn tune --clblast) ----------------------------------------- */

/* Every parameter CLBlast's Xgemm kernel takes: an override must give all of them. */
static const char *const xgemm_names[] = {"GEMMK", "KREG", "KWG",  "KWI",  "MDIMA", "MDIMC",
                                          "MWG",   "NDIMB", "NDIMC", "NWG", "SA",    "SB",
                                          "STRM",  "STRN", "VWM",  "VWN"};
#define XGEMM_PARAMETERS (sizeof xgemm_names / sizeof xgemm_names[0])

clcnn_status clcnn_clblast_override(clcnn_context *context, const char *parameters)
{
    if (context->reference || !parameters[0])
        return CLCNN_OK;
    size_t values[XGEMM_PARAMETERS];
    bool seen[XGEMM_PARAMETERS] = {false};
    for (const char *at = parameters;; at += strcspn(at, ",") + 1) {
        const size_t length = strcspn(at, "=");
        size_t k = 0;
        while (k < XGEMM_PARAMETERS &&
               (strlen(xgemm_names[k]) != length || strncmp(xgemm_names[k], at, length)))
            k++;
        char *end = NULL;
        const long value = k < XGEMM_PARAMETERS && at[length] == '=' ? strtol(at + length + 1, &end, 10) : -1;
        if (k == XGEMM_PARAMETERS || seen[k] || !end || end == at + length + 1 ||
            (*end != ',' && *end) || value < 0 || value > 1024)
            return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                              "CLBlast parameters '%s': expected NAME=value pairs, comma-separated, "
                              "each of CLBlast's Xgemm parameters once (GEMMK KREG KWG KWI MDIMA "
                              "MDIMC MWG NDIMB NDIMC NWG SA SB STRM STRN VWM VWN), values 0 to 1024",
                              parameters);
        seen[k] = true;
        values[k] = (size_t)value;
        if (!*end)
            break;
    }
    for (size_t k = 0; k < XGEMM_PARAMETERS; k++)
        if (!seen[k])
            return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                              "CLBlast parameters '%s' lack %s: Xgemm takes all of them",
                              parameters, xgemm_names[k]);
    const char *names[XGEMM_PARAMETERS];
    memcpy(names, xgemm_names, sizeof names);
    CLBlastStatusCode code = CLBlastOverrideParameters(context->device_id, "Xgemm",
                                                       CLBlastPrecisionSingle, XGEMM_PARAMETERS,
                                                       names, values);
    if (code != CLBlastSuccess)
        return clblast_failed(context, code, "CLBlastOverrideParameters", __LINE__);
    return CLCNN_OK;
}

/* c = a b (beta 0) on the context's queue. */
static clcnn_status run_gemm(clcnn_context *context, const gemm *g, cl_mem a, cl_mem b, cl_mem c)
{
    CLCNN_TRY(reserve_gemm(context, g));
    /* CLBlast's own event covers only its last kernel: profile between two markers */
    cl_event before, after;
    if (context->profiling)
        CLCNN_CL_CHECK(context, clEnqueueMarkerWithWaitList(context->queue, 0, NULL, &before));
    CLBlastStatusCode code = CLBlastSgemmWithTempBuffer(
        CLBlastLayoutRowMajor, g->a_transpose, g->b_transpose, g->m, g->n, g->k, 1.0f, a, 0,
        g->a_ld, b, 0, g->b_ld, 0.0f, c, 0, g->c_ld, &context->queue, NULL, context->gemm_temp);
    if (code != CLBlastSuccess) {
        if (context->profiling)
            clReleaseEvent(before);
        return clblast_failed(context, code, "CLBlastSgemmWithTempBuffer", __LINE__);
    }
    if (!context->profiling)
        return CLCNN_OK;
    cl_int marked = clEnqueueMarkerWithWaitList(context->queue, 0, NULL, &after);
    if (marked != CL_SUCCESS) {
        clReleaseEvent(before);
        return clcnn_fail_cl(context, marked, "clEnqueueMarkerWithWaitList", __FILE__, __LINE__);
    }
    clcnn_profile_cost(context, 2.0 * g->m * g->n * g->k,
                       4.0 * ((double)g->m * g->k + (double)g->k * g->n + (double)g->m * g->n));
    return clcnn_profile_launch(context, "clblast_sgemm", before, after, 0, 0);
}

/* c[M, P] = A b with A(m, k) = a[m * a_row + k * a_column] and b: [K, P] row-major. */
static clcnn_status own_gemm(clcnn_context *context, cl_mem a, cl_mem b, cl_mem c, int M, int P,
                             int K, int a_row, int a_column)
{
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_DENSE_GEMM, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 8, sizeof(cl_mem), &a, sizeof(cl_mem), &b,
                             sizeof(cl_mem), &c, sizeof(int), &M, sizeof(int), &P, sizeof(int),
                             &K, sizeof(int), &a_row, sizeof(int), &a_column));
    clcnn_profile_cost(context, 2.0 * M * P * K,
                       4.0 * ((double)M * K + (double)K * P + (double)M * P));
    /* cl/dense.cl: 8 x 16 results per item, few items for a batch's product: spread them */
    return clcnn_launch_spread(context, kernel, (size_t)((M + 7) / 8) * ((P + 15) / 16),
                               (size_t)context->tuning.values.elementwise_work_group);
}

static clcnn_status gemm_forward(clcnn_context *context, const clcnn_dense_shape *s, cl_mem x,
                                 cl_mem w, cl_mem y)
{
    return own_gemm(context, x, w, y, s->N, s->O, s->I, s->I, 1);
}

static clcnn_status gemm_backward_data(clcnn_context *context, const clcnn_dense_shape *s,
                                       cl_mem dy, cl_mem w, cl_mem dx)
{
    cl_mem transposed;
    CLCNN_TRY(clcnn_scratch(context, CLCNN_SCRATCH_TRANSPOSED_WEIGHTS,
                            (size_t)s->I * s->O * sizeof(float), &transposed));
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_DENSE_TRANSPOSE, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 4, sizeof(cl_mem), &w, sizeof(cl_mem), &transposed,
                             sizeof(int), &s->I, sizeof(int), &s->O));
    clcnn_profile_cost(context, 0.0, 8.0 * s->I * s->O);
    CLCNN_TRY(clcnn_launch_planes(context, kernel, (size_t)s->I, (size_t)s->O, 1));
    /* dx[N, I] = dy[N, O] wt[O, I] */
    return own_gemm(context, dy, transposed, dx, s->N, s->I, s->O, s->O, 1);
}

/* dw[I, O] = x^T dy: A(i, n) = x[n * I + i] */
static clcnn_status gemm_backward_weights(clcnn_context *context, const clcnn_dense_shape *s,
                                          cl_mem x, cl_mem dy, cl_mem dw)
{
    return own_gemm(context, x, dy, dw, s->I, s->O, s->N, 1, s->I);
}

static clcnn_status clblast_forward(clcnn_context *context, const clcnn_dense_shape *s, cl_mem x,
                                    cl_mem w, cl_mem y)
{
    const gemm g = forward_gemm(s);
    return run_gemm(context, &g, x, w, y);
}

static clcnn_status clblast_backward_data(clcnn_context *context, const clcnn_dense_shape *s,
                                          cl_mem dy, cl_mem w, cl_mem dx)
{
    const gemm g = data_gemm(s);
    return run_gemm(context, &g, dy, w, dx);
}

static clcnn_status clblast_backward_weights(clcnn_context *context, const clcnn_dense_shape *s,
                                             cl_mem x, cl_mem dy, cl_mem dw)
{
    const gemm g = weights_gemm(s);
    return run_gemm(context, &g, x, dy, dw);
}

/* CLBlast's scratch for all three products, reserved before a step so that no call grows it */
static clcnn_status clblast_reserve(clcnn_context *context, const clcnn_dense_shape *s)
{
    const gemm all[3] = {forward_gemm(s), data_gemm(s), weights_gemm(s)};
    for (int i = 0; i < 3; i++)
        CLCNN_TRY(reserve_gemm(context, &all[i]));
    return CLCNN_OK;
}

/* One variant does all three products: (a, b) -> c as forward (x, w) -> y, backward_data
 * (dy, w) -> dx, backward_weights (x, dy) -> dw. */
typedef clcnn_status (*dense_product)(clcnn_context *context, const clcnn_dense_shape *s,
                                      cl_mem a, cl_mem b, cl_mem c);
typedef struct dense_variant {
    clcnn_variant head;
    dense_product forward, backward_data, backward_weights;
    clcnn_status (*reserve)(clcnn_context *context, const clcnn_dense_shape *s); /* or NULL */
} dense_variant;

static const dense_variant variants[] = {
    {{"gemm", CLCNN_SUITS_CPU, NULL, NULL}, gemm_forward, gemm_backward_data, gemm_backward_weights,
     NULL},
    {{"clblast", CLCNN_SUITS_GPU, NULL, NULL}, clblast_forward, clblast_backward_data,
     clblast_backward_weights, clblast_reserve},
};
const clcnn_variant_table clcnn_dense_variants = {&variants[0].head,
                                                  sizeof variants / sizeof variants[0],
                                                  sizeof variants[0]};

static clcnn_status pick(clcnn_context *context, const clcnn_dense_shape *s,
                         const dense_variant **variant)
{
    int v;
    CLCNN_TRY(clcnn_variant_pick(context, CLCNN_VARIANT_DENSE, s, &v));
    *variant = &variants[v];
    return CLCNN_OK;
}

clcnn_status clcnn_dense_reserve(clcnn_context *context, const clcnn_dense_shape *s)
{
    if (context->reference)
        return CLCNN_OK;
    const dense_variant *variant;
    CLCNN_TRY(pick(context, s, &variant));
    return variant->reserve ? variant->reserve(context, s) : CLCNN_OK;
}

clcnn_status clcnn_dense_forward(clcnn_context *context, const clcnn_dense_shape *s,
                                 const clcnn_buffer *x, const clcnn_buffer *w,
                                 const clcnn_buffer *b, clcnn_buffer *y)
{
    CLCNN_TRY(clcnn_require_bytes("dense_forward", "x", x, (size_t)s->N * s->I, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("dense_forward", "w", w, (size_t)s->I * s->O, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("dense_forward", "b", b, (size_t)s->O, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("dense_forward", "y", y, (size_t)s->N * s->O, sizeof(float)));
    if (context->reference) {
        clcnn_ref_dense_forward(s, x->host, w->host, b->host, y->host);
        return CLCNN_OK;
    }
    const dense_variant *variant;
    CLCNN_TRY(pick(context, s, &variant));
    CLCNN_TRY(variant->forward(context, s, x->mem, w->mem, y->mem));
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_DENSE_BIAS_ADD, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 4, sizeof(cl_mem), &y->mem, sizeof(cl_mem), &b->mem,
                             sizeof(int), &s->N, sizeof(int), &s->O));
    return clcnn_launch_elementwise(context, kernel, (size_t)s->N * s->O);
}

clcnn_status clcnn_dense_backward_data(clcnn_context *context, const clcnn_dense_shape *s,
                                       const clcnn_buffer *dy, const clcnn_buffer *w,
                                       clcnn_buffer *dx)
{
    CLCNN_TRY(clcnn_require_bytes("dense_backward_data", "dy", dy, (size_t)s->N * s->O, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("dense_backward_data", "w", w, (size_t)s->I * s->O, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("dense_backward_data", "dx", dx, (size_t)s->N * s->I, sizeof(float)));
    if (context->reference) {
        clcnn_ref_dense_backward_data(s, dy->host, w->host, dx->host);
        return CLCNN_OK;
    }
    const dense_variant *variant;
    CLCNN_TRY(pick(context, s, &variant));
    return variant->backward_data(context, s, dy->mem, w->mem, dx->mem);
}

clcnn_status clcnn_dense_backward_weights(clcnn_context *context, const clcnn_dense_shape *s,
                                          const clcnn_buffer *x, const clcnn_buffer *dy,
                                          clcnn_buffer *dw)
{
    CLCNN_TRY(clcnn_require_bytes("dense_backward_weights", "x", x, (size_t)s->N * s->I, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("dense_backward_weights", "dy", dy, (size_t)s->N * s->O, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("dense_backward_weights", "dw", dw, (size_t)s->I * s->O, sizeof(float)));
    if (context->reference) {
        clcnn_ref_dense_backward_weights(s, x->host, dy->host, dw->host);
        return CLCNN_OK;
    }
    const dense_variant *variant;
    CLCNN_TRY(pick(context, s, &variant));
    return variant->backward_weights(context, s, x->mem, dy->mem, dw->mem);
}

clcnn_status clcnn_dense_backward_bias(clcnn_context *context, const clcnn_dense_shape *s,
                                       const clcnn_buffer *dy, clcnn_buffer *db)
{
    CLCNN_TRY(clcnn_require_bytes("dense_backward_bias", "dy", dy, (size_t)s->N * s->O, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("dense_backward_bias", "db", db, (size_t)s->O, sizeof(float)));
    if (context->reference) {
        clcnn_ref_dense_backward_bias(s, dy->host, db->host);
        return CLCNN_OK;
    }
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_DENSE_BACKWARD_BIAS, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 4, sizeof(cl_mem), &dy->mem, sizeof(cl_mem), &db->mem,
                             sizeof(int), &s->N, sizeof(int), &s->O));
    return clcnn_launch_elementwise(context, kernel, (size_t)s->O);
}
