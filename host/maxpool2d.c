/* Max pooling dispatch; kernels in cl/maxpool2d.cl, reference twin in ref/maxpool2d.c. */
#include "ops.h"

clcnn_status clcnn_pool2d_shape_make(int N, int C, int H, int W, int KH, int KW, int stride_h,
                                     int stride_w, clcnn_padding padding, clcnn_pool2d_shape *s)
{
    if (N <= 0 || C <= 0 || H <= 0 || W <= 0 || KH <= 0 || KW <= 0 || stride_h <= 0 ||
        stride_w <= 0)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "pooling: every size and stride must be positive (N=%d C=%d H=%d "
                          "W=%d pool=%dx%d stride=%dx%d)",
                          N, C, H, W, KH, KW, stride_h, stride_w);
    *s = (clcnn_pool2d_shape){.N = N, .C = C, .H = H, .W = W, .KH = KH, .KW = KW,
                              .stride_h = stride_h, .stride_w = stride_w};
    if (!clcnn_keras_output_size(H, KH, stride_h, padding, &s->OH, &s->pad_top) ||
        !clcnn_keras_output_size(W, KW, stride_w, padding, &s->OW, &s->pad_left))
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "pooling: a %dx%d window does not fit a %dx%d input", KH, KW, H, W);
    return CLCNN_OK;
}

clcnn_status clcnn_fused_pool_check(const char *op, const clcnn_fused_pool *pool, int N, int C,
                                    int H, int W)
{
    const clcnn_pool2d_shape *p = &pool->shape;
    if (p->N != N || p->C != C || p->H != H || p->W != W || p->KH != 2 || p->KW != 2 ||
        p->stride_h != 2 || p->stride_w != 2 || p->pad_top || p->pad_left || p->OH != H / 2 ||
        p->OW != W / 2)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "%s: the pooling run with it must take 2x2 windows at stride 2, "
                          "unpadded, over its %dx%dx%dx%d output; got %dx%d windows at stride "
                          "%dx%d over %dx%dx%dx%d", op, N, C, H, W, p->KH, p->KW, p->stride_h,
                          p->stride_w, p->N, p->C, p->H, p->W);
    const size_t count = (size_t)N * C * p->OH * p->OW;
    CLCNN_TRY(clcnn_require_bytes(op, "pool->y", pool->y, count, sizeof(float)));
    return clcnn_require_bytes(op, "pool->argmax", pool->argmax, count, sizeof(int32_t));
}

/* The tutorial's 2x2/2 windows with no padding, every window inside the input: the
 * straight-line kernels, which a CPU driver vectorises (the general ones it does not). */
static bool seed_windows(clcnn_context *context, const void *shape)
{
    (void)context;
    const clcnn_pool2d_shape *s = shape;
    return s->KH == 2 && s->KW == 2 && s->stride_h == 2 && s->stride_w == 2 && s->pad_top == 0 &&
           s->pad_left == 0 && 2 * s->OH <= s->H && 2 * s->OW <= s->W;
}

static size_t input_count(const clcnn_pool2d_shape *s) { return (size_t)s->N * s->C * s->H * s->W; }
static size_t output_count(const clcnn_pool2d_shape *s) { return (size_t)s->N * s->C * s->OH * s->OW; }

/* The kernels run over [N * C][height][width] of the tensor they write. Buffers first (d: the
 * backward kernels' gate, NULL for the forward ones), then the shape, then (backward) whether
 * to gate. */
static clcnn_status launch_pool(clcnn_context *context, clcnn_kernel_id id,
                                const clcnn_pool2d_shape *s, cl_mem a, cl_mem b, cl_mem c,
                                cl_mem d, int gate, int width, int height)
{
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, id, &kernel));
    const bool backward = id != CLCNN_KERNEL_MAXPOOL2D_FORWARD && id != CLCNN_KERNEL_MAXPOOL2D_FORWARD_2X2;
    const cl_mem buffers[4] = {a, b, c, d};
    const int count = backward ? 4 : 3;
    for (int i = 0; i < count; i++)
        CLCNN_CL_CHECK(context, clSetKernelArg(kernel, (cl_uint)i, sizeof(cl_mem), &buffers[i]));
    const int shape[13] = {s->N, s->C, s->H, s->W, s->KH, s->KW, s->OH, s->OW,
                           s->stride_h, s->stride_w, s->pad_top, s->pad_left, gate};
    for (int i = 0; i < (backward ? 13 : 12); i++)
        CLCNN_CL_CHECK(context, clSetKernelArg(kernel, (cl_uint)(count + i), sizeof(int), &shape[i]));
    /* bytes: the input, the output and its argmax, read or written once */
    clcnn_profile_cost(context, 0.0, 4.0 * ((double)input_count(s) + 2.0 * output_count(s)));
    return clcnn_launch_planes(context, kernel, (size_t)width, (size_t)height,
                               (size_t)s->N * s->C);
}

/* ---- variants: (a, b, c, gate) as forward (x, y, argmax, -) and backward (dy, argmax, dx, gate) */

static clcnn_status forward_runs_2x2(clcnn_context *context, const clcnn_pool2d_shape *s,
                                     cl_mem x, cl_mem y, cl_mem argmax, cl_mem gate, int gated)
{
    (void)gate, (void)gated;
    /* cl/maxpool2d.cl: runs of 4 windows */
    return launch_pool(context, CLCNN_KERNEL_MAXPOOL2D_FORWARD_2X2, s, x, y, argmax, NULL, 0,
                       (s->OW + 3) / 4, s->OH);
}

static clcnn_status forward_direct(clcnn_context *context, const clcnn_pool2d_shape *s, cl_mem x,
                                   cl_mem y, cl_mem argmax, cl_mem gate, int gated)
{
    (void)gate, (void)gated;
    return launch_pool(context, CLCNN_KERNEL_MAXPOOL2D_FORWARD, s, x, y, argmax, NULL, 0, s->OW,
                       s->OH);
}

/* every input pixel in exactly one window: 2x2/2 windows tiling the input */
static bool fits_backward_2x2(clcnn_context *context, const void *shape)
{
    const clcnn_pool2d_shape *s = shape;
    return seed_windows(context, shape) && s->H == 2 * s->OH && s->W == 2 * s->OW;
}

/* windows that do not overlap: an item per window scatters into its own pixels */
static bool fits_backward_tiled(clcnn_context *context, const void *shape)
{
    (void)context;
    const clcnn_pool2d_shape *s = shape;
    return s->KH == s->stride_h && s->KW == s->stride_w && s->pad_top == 0 && s->pad_left == 0;
}

static clcnn_status backward_runs_2x2(clcnn_context *context, const clcnn_pool2d_shape *s,
                                      cl_mem dy, cl_mem argmax, cl_mem dx, cl_mem gate, int gated)
{
    return launch_pool(context, CLCNN_KERNEL_MAXPOOL2D_BACKWARD_2X2, s, dy, argmax, dx, gate,
                       gated, (s->OW + 3) / 4, s->OH);
}

static clcnn_status backward_tiled(clcnn_context *context, const clcnn_pool2d_shape *s, cl_mem dy,
                                   cl_mem argmax, cl_mem dx, cl_mem gate, int gated)
{
    return launch_pool(context, CLCNN_KERNEL_MAXPOOL2D_BACKWARD_TILED, s, dy, argmax, dx, gate,
                       gated, (s->W + s->KW - 1) / s->KW, (s->H + s->KH - 1) / s->KH);
}

static clcnn_status backward_direct(clcnn_context *context, const clcnn_pool2d_shape *s, cl_mem dy,
                                    cl_mem argmax, cl_mem dx, cl_mem gate, int gated)
{
    return launch_pool(context, CLCNN_KERNEL_MAXPOOL2D_BACKWARD, s, dy, argmax, dx, gate, gated,
                       s->W, s->H);
}

typedef struct pool_variant {
    clcnn_variant head;
    clcnn_status (*run)(clcnn_context *context, const clcnn_pool2d_shape *s, cl_mem a, cl_mem b,
                        cl_mem c, cl_mem gate, int gated);
} pool_variant;

static const pool_variant forward_variants[] = {
    {{"runs_2x2", CLCNN_SUITS_ANY, seed_windows, NULL}, forward_runs_2x2},
    {{"direct", CLCNN_SUITS_ANY, NULL, NULL}, forward_direct},
};
const clcnn_variant_table clcnn_maxpool2d_forward_variants = {
    &forward_variants[0].head, sizeof forward_variants / sizeof forward_variants[0],
    sizeof forward_variants[0]};

static const pool_variant backward_variants[] = {
    {{"runs_2x2", CLCNN_SUITS_ANY, fits_backward_2x2, NULL}, backward_runs_2x2},
    {{"tiled", CLCNN_SUITS_ANY, fits_backward_tiled, NULL}, backward_tiled},
    {{"direct", CLCNN_SUITS_ANY, NULL, NULL}, backward_direct},
};
const clcnn_variant_table clcnn_maxpool2d_backward_variants = {
    &backward_variants[0].head, sizeof backward_variants / sizeof backward_variants[0],
    sizeof backward_variants[0]};

clcnn_status clcnn_maxpool2d_forward(clcnn_context *context, const clcnn_pool2d_shape *s,
                                     const clcnn_buffer *x, clcnn_buffer *y, clcnn_buffer *argmax)
{
    CLCNN_TRY(clcnn_require_bytes("maxpool2d_forward", "x", x, input_count(s), sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("maxpool2d_forward", "y", y, output_count(s), sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("maxpool2d_forward", "argmax", argmax, output_count(s), sizeof(int32_t)));
    if (context->reference) {
        clcnn_ref_maxpool2d_forward(s, x->host, y->host, argmax->host);
        return CLCNN_OK;
    }
    int v;
    CLCNN_TRY(clcnn_variant_pick(context, CLCNN_VARIANT_MAXPOOL2D_FORWARD, s, &v));
    return forward_variants[v].run(context, s, x->mem, y->mem, argmax->mem, NULL, 0);
}

clcnn_status clcnn_maxpool2d_backward(clcnn_context *context, const clcnn_pool2d_shape *s,
                                      const clcnn_buffer *dy, const clcnn_buffer *argmax,
                                      const clcnn_buffer *gate, clcnn_buffer *dx)
{
    CLCNN_TRY(clcnn_require_bytes("maxpool2d_backward", "dy", dy, output_count(s), sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("maxpool2d_backward", "argmax", argmax, output_count(s), sizeof(int32_t)));
    CLCNN_TRY(clcnn_require_bytes("maxpool2d_backward", "dx", dx, input_count(s), sizeof(float)));
    if (gate)
        CLCNN_TRY(clcnn_require_bytes("maxpool2d_backward", "gate", gate, output_count(s), sizeof(float)));
    if (context->reference) {
        clcnn_ref_maxpool2d_backward(s, dy->host, argmax->host, gate ? gate->host : NULL, dx->host);
        return CLCNN_OK;
    }
    int v;
    CLCNN_TRY(clcnn_variant_pick(context, CLCNN_VARIANT_MAXPOOL2D_BACKWARD, s, &v));
    /* an unused gate argument still needs a buffer */
    return backward_variants[v].run(context, s, dy->mem, argmax->mem, dx->mem,
                                    gate ? gate->mem : dy->mem, gate != NULL);
}
