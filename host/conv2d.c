/* conv2d dispatch: shapes as Keras defines them, kernels in cl/conv2d.cl and
 * cl/conv2d_tiled.cl, reference twin in ref/conv2d.c.
 *
 * Each direction has an ordered table of variants (host/variant.c picks one per shape and
 * device; `clcnn check --variants all` forces each):
 *  - winograd (CPUs; forward and dX, 3x3 stride 1; preferred with 16 inputs and 32 outputs or
 *    more, see winograd_pays): Winograd's F(2x2, 3x3) in cl/conv2d_winograd.cl, 16
 *    multiply-adds per 2x2 tile and channel pair where the direct sum takes 36; the input's
 *    transforms made per block of 16 tiles in local memory, padding included, so no padded
 *    copy is made; its forward pools in the same pass too.
 *  - direct_3x3_f8 (CPUs; 3x3 stride 1, any size): the input is zero-padded (to whole tiles)
 *    into scratch, then float8 kernels compute 8 pixels x 8 channels per work-item (forward,
 *    and dX as a convolution of padded dy with flipped weights) or 2 x 9 taps (dW); its
 *    forward also runs a 2x2 max pooling of y in the same pass (clcnn_fused_pool);
 *    direct_3x3_w16 is dW's 16-column form for tiles a multiple of 16 wide. Measured on PoCL
 *    (2 cores): im2col + CLBlast reached only 7-31 GFLOP/s there.
 *  - channels (CPUs; forward and dW of any shape, dX at stride 1): 16 output channels fill a
 *    vector whatever the map's size; forward and dX take 7 pixels per work-item (3x3 taps
 *    unrolled) from transposed weights, dW 18 weights per work-item from dy transposed.
 *    Preferred (channels_prefers_*) where the 3x3 tiles would leave lanes idle and for every
 *    shape they do not handle.
 *  - tiled (GPUs; any shape): an implicit GEMM staged through local memory, dW's long sum
 *    split across work-groups and added in order.
 *  - direct (any device, any shape): a work-item per output pixel and 4 channels (forward,
 *    dX), a work-group per (oc, c) pair for 3x3 dW (direct_3x3), a work-group per weight
 *    otherwise. */
#include "ops.h"

bool clcnn_keras_output_size(int in, int window, int stride, clcnn_padding padding, int *out,
                             int *pad_before)
{
    if (padding == CLCNN_PADDING_SAME) {
        *out = (in + stride - 1) / stride;
        int total = (*out - 1) * stride + window - in;
        *pad_before = total > 0 ? total / 2 : 0;
        return true;
    }
    *pad_before = 0;
    *out = (in - window) / stride + 1;
    return window <= in;
}

clcnn_status clcnn_conv2d_shape_make(int N, int C, int H, int W, int OC, int KH, int KW,
                                     int stride_h, int stride_w, clcnn_padding padding,
                                     clcnn_conv2d_shape *s)
{
    if (N <= 0 || C <= 0 || H <= 0 || W <= 0 || OC <= 0 || KH <= 0 || KW <= 0 || stride_h <= 0 ||
        stride_w <= 0)
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "conv2d: every size and stride must be positive (N=%d C=%d H=%d W=%d "
                          "OC=%d KH=%d KW=%d stride=%dx%d)",
                          N, C, H, W, OC, KH, KW, stride_h, stride_w);
    *s = (clcnn_conv2d_shape){.N = N, .C = C, .H = H, .W = W, .OC = OC, .KH = KH, .KW = KW,
                              .stride_h = stride_h, .stride_w = stride_w};
    if (!clcnn_keras_output_size(H, KH, stride_h, padding, &s->OH, &s->pad_top) ||
        !clcnn_keras_output_size(W, KW, stride_w, padding, &s->OW, &s->pad_left))
        return clcnn_fail(CLCNN_ERROR_INVALID_ARGUMENT,
                          "conv2d: a %dx%d kernel does not fit a %dx%d input with 'valid' padding",
                          KH, KW, H, W);
    return CLCNN_OK;
}

/* Multiply-adds of any direction of this convolution, and the bytes of its three tensors. */
static void declare_cost(clcnn_context *context, const clcnn_conv2d_shape *s)
{
    double products = (double)s->N * s->OC * s->OH * s->OW * s->C * s->KH * s->KW;
    double bytes = 4.0 * ((double)s->N * s->C * s->H * s->W + (double)s->OC * s->C * s->KH * s->KW +
                          (double)s->N * s->OC * s->OH * s->OW);
    clcnn_profile_cost(context, 2.0 * products, bytes);
}

static size_t input_count(const clcnn_conv2d_shape *s) { return (size_t)s->N * s->C * s->H * s->W; }
static size_t output_count(const clcnn_conv2d_shape *s) { return (size_t)s->N * s->OC * s->OH * s->OW; }
static size_t weight_count(const clcnn_conv2d_shape *s) { return (size_t)s->OC * s->C * s->KH * s->KW; }

/* Buffers first (`buffers` cl_mem pointers), then the 13 shape integers of CONV2D_SHAPE_ARGUMENTS. */
static clcnn_status launch_conv2d(clcnn_context *context, clcnn_kernel_id id,
                                  const clcnn_conv2d_shape *s, cl_mem a, cl_mem b, cl_mem c,
                                  cl_mem d, size_t items)
{
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, id, &kernel));
    const cl_mem buffers[4] = {a, b, c, d};
    int count = d ? 4 : 3;
    for (int i = 0; i < count; i++)
        CLCNN_CL_CHECK(context, clSetKernelArg(kernel, (cl_uint)i, sizeof(cl_mem), &buffers[i]));
    const int shape[13] = {s->N, s->C, s->H, s->W, s->OC, s->KH, s->KW, s->OH, s->OW,
                           s->stride_h, s->stride_w, s->pad_top, s->pad_left};
    for (int i = 0; i < 13; i++)
        CLCNN_CL_CHECK(context, clSetKernelArg(kernel, (cl_uint)(count + i), sizeof(int), &shape[i]));
    declare_cost(context, s);
    if (id == CLCNN_KERNEL_CONV2D_BACKWARD_WEIGHTS || id == CLCNN_KERNEL_CONV2D_BACKWARD_WEIGHTS_3X3)
        return clcnn_launch_groups(context, kernel, items, context->reduce_work_group);
    return clcnn_launch_elementwise(context, kernel, items);
}

/* ---- the 3x3 stride-1 fast path (cl/conv2d.cl) ----------------------------------------- */

/* 3x3 kernels at stride 1, any size: results whose size is not a whole number of the kernels'
 * 2-row x 8-pixel tiles are computed on the rounded-up tiles, from inputs padded with zeros to
 * match. */
static bool fast_3x3(const clcnn_conv2d_shape *s)
{
    return s->KH == 3 && s->KW == 3 && s->stride_h == 1 && s->stride_w == 1;
}

static int tile_rows(int rows) { return (rows + 1) / 2 * 2; }
static int tile_columns(int columns) { return (columns + 7) / 8 * 8; }

void clcnn_conv2d_keep_release(clcnn_conv2d_keep *keep)
{
    clcnn_buffer_release(&keep->padded_input);
    clcnn_buffer_release(&keep->padded_gradient);
    keep->input_kept = keep->gradient_kept = false;
}

/* source: [planes, H, W] -> [planes, HP, WP], shifted by (top, left), zeros around, into
 * `kept` when the layer keeps it (grown to fit), else into the scratch slot */
static clcnn_status pad_planes(clcnn_context *context, cl_mem source, int planes, int H, int W,
                               int top, int left, int HP, int WP, int slot, clcnn_buffer *kept,
                               cl_mem *padded)
{
    size_t count = (size_t)planes * HP * WP;
    if (kept && kept->bytes < count * sizeof(float)) {
        clcnn_buffer grown;
        CLCNN_TRY(clcnn_buffer_create(context, count * sizeof(float), &grown));
        clcnn_buffer_release(kept);
        *kept = grown;
    }
    if (kept)
        *padded = kept->mem;
    else
        CLCNN_TRY(clcnn_scratch(context, slot, count * sizeof(float), padded));
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_PAD, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 8, sizeof(cl_mem), &source, sizeof(cl_mem), padded,
                             sizeof(int), &H, sizeof(int), &W, sizeof(int), &top, sizeof(int),
                             &left, sizeof(int), &HP, sizeof(int), &WP));
    clcnn_profile_cost(context, 0.0, 4.0 * ((double)planes * H * W + (double)count));
    /* cl/conv2d.cl: a padded row per item */
    return clcnn_launch_planes(context, kernel, (size_t)HP, 1, (size_t)planes);
}

/* y: [N, OC, OH, OW] from xp: [N, C, tile_rows(OH) + 2, tile_columns(OW) + 2]; with pool, y's
 * 2x2 max pooling into pool->y and pool->argmax instead of y */
static clcnn_status forward_3x3(clcnn_context *context, cl_mem xp, cl_mem w, cl_mem b,
                                int use_bias, int relu, cl_mem y, int N, int C, int OC, int OH,
                                int OW, const clcnn_fused_pool *pool)
{
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_FORWARD_3X3, &kernel));
    const int pooling = pool != NULL;
    /* without pool, y stands in for the unused buffers */
    const cl_mem pooled = pool ? pool->y->mem : y, argmax = pool ? pool->argmax->mem : y;
    CLCNN_TRY(clcnn_set_args(context, kernel, 14, sizeof(cl_mem), &xp, sizeof(cl_mem), &w,
                             sizeof(cl_mem), &b, sizeof(cl_mem), &y, sizeof(int), &N, sizeof(int),
                             &C, sizeof(int), &OC, sizeof(int), &OH, sizeof(int), &OW, sizeof(int),
                             &use_bias, sizeof(int), &relu, sizeof(int), &pooling,
                             sizeof(cl_mem), &pooled, sizeof(cl_mem), &argmax));
    return clcnn_launch_planes(context, kernel, (size_t)tile_columns(OW) / 8,
                               (size_t)tile_rows(OH) / 2, (size_t)N * ((OC + 7) / 8));
}

static clcnn_status fast_forward_pool(clcnn_context *context, const clcnn_conv2d_shape *s,
                                      cl_mem x, cl_mem w, cl_mem b, cl_mem y,
                                      clcnn_conv2d_keep *keep, const clcnn_fused_pool *pool)
{
    cl_mem xp;
    CLCNN_TRY(pad_planes(context, x, s->N * s->C, s->H, s->W, s->pad_top, s->pad_left,
                         tile_rows(s->OH) + 2, tile_columns(s->OW) + 2, CLCNN_SCRATCH_PADDED_INPUT,
                         keep ? &keep->padded_input : NULL, &xp));
    if (keep)
        keep->input_kept = true;
    declare_cost(context, s);
    return forward_3x3(context, xp, w, b, 1, s->relu, y, s->N, s->C, s->OC, s->OH, s->OW, pool);
}

static clcnn_status fast_forward(clcnn_context *context, const clcnn_conv2d_shape *s, cl_mem x,
                                 cl_mem w, cl_mem b, cl_mem y, clcnn_conv2d_keep *keep)
{
    return fast_forward_pool(context, s, x, w, b, y, keep, NULL);
}

/* dX is the stride-1 convolution of dy, padded so that row ih + kh' holds dy[ih + pad - 2 + kh'],
 * with the taps reversed and the channels swapped. */
static clcnn_status fast_backward_data(clcnn_context *context, const clcnn_conv2d_shape *s,
                                       cl_mem dy, cl_mem w, cl_mem dx, clcnn_conv2d_keep *keep)
{
    cl_mem dyp, flipped;
    CLCNN_TRY(pad_planes(context, dy, s->N * s->OC, s->OH, s->OW, 2 - s->pad_top, 2 - s->pad_left,
                         tile_rows(s->H) + 2, tile_columns(s->W) + 2, CLCNN_SCRATCH_PADDED_GRADIENT,
                         keep ? &keep->padded_gradient : NULL, &dyp));
    if (keep)
        keep->gradient_kept = true;
    size_t weights = (size_t)s->OC * s->C * 9;
    CLCNN_TRY(clcnn_scratch(context, CLCNN_SCRATCH_FLIPPED_WEIGHTS, weights * sizeof(float),
                            &flipped));
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_FLIP_3X3, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 4, sizeof(cl_mem), &w, sizeof(cl_mem), &flipped,
                             sizeof(int), &s->OC, sizeof(int), &s->C));
    CLCNN_TRY(clcnn_launch_planes(context, kernel, (size_t)s->OC * 9, 1, (size_t)s->C));
    declare_cost(context, s);
    return forward_3x3(context, dyp, flipped, flipped, 0, 0, dx, s->N, s->OC, s->C, s->H, s->W,
                       NULL);
}

/* The kernel sums over whole tiles: where OH x OW is not, dy is read from a zero-padded copy
 * that covers the tiles, so the pixels outside the output contribute nothing. That copy is
 * dX's padded dy where the layer kept it (dy at row dy_top, column dy_left of each plane:
 * zeros follow it for at least a tile), else dy padded to the tiles here. */
static clcnn_status fast_backward_weights(clcnn_context *context, const clcnn_conv2d_shape *s,
                                          cl_mem x, cl_mem dy, cl_mem dw, cl_mem db,
                                          clcnn_conv2d_keep *keep, bool wide)
{
    const int OHT = tile_rows(s->OH), OWT = tile_columns(s->OW);
    const bool overhang = OHT != s->OH || OWT != s->OW;
    cl_mem xp, dyp = dy;
    int dy_top = 0, dy_left = 0, DYH = s->OH, DYW = s->OW;
    if (keep && keep->input_kept)
        xp = keep->padded_input.mem;
    else
        CLCNN_TRY(pad_planes(context, x, s->N * s->C, s->H, s->W, s->pad_top, s->pad_left, OHT + 2,
                             OWT + 2, CLCNN_SCRATCH_PADDED_INPUT, NULL, &xp));
    /* dy itself where it fills whole tiles: its rows start aligned, unlike the padded copy's */
    if (overhang && keep && keep->gradient_kept) {
        dyp = keep->padded_gradient.mem;
        dy_top = 2 - s->pad_top, dy_left = 2 - s->pad_left;
        DYH = tile_rows(s->H) + 2, DYW = tile_columns(s->W) + 2;
    } else if (overhang) {
        CLCNN_TRY(pad_planes(context, dy, s->N * s->OC, s->OH, s->OW, 0, 0, OHT, OWT,
                             CLCNN_SCRATCH_PADDED_GRADIENT, NULL, &dyp));
        DYH = OHT, DYW = OWT;
    }
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context,
                           wide ? CLCNN_KERNEL_CONV2D_BACKWARD_WEIGHTS_3X3_WIDE
                                : CLCNN_KERNEL_CONV2D_BACKWARD_WEIGHTS_3X3_FAST,
                           &kernel));
    const int with_bias = db != NULL;
    if (!db)
        db = dw; /* an unused argument still needs a buffer */
    CLCNN_TRY(clcnn_set_args(context, kernel, 14, sizeof(cl_mem), &xp, sizeof(cl_mem), &dyp,
                             sizeof(cl_mem), &dw, sizeof(cl_mem), &db, sizeof(int), &with_bias,
                             sizeof(int), &s->N, sizeof(int), &s->C,
                             sizeof(int), &s->OC, sizeof(int), &OHT, sizeof(int), &OWT,
                             sizeof(int), &dy_top, sizeof(int), &dy_left, sizeof(int), &DYH,
                             sizeof(int), &DYW));
    declare_cost(context, s);
    /* few input channels (the first layer's 3) make few, long items */
    return clcnn_launch_spread(context, kernel, (size_t)(s->OC + 1) / 2 * s->C,
                               (size_t)context->tuning.values.conv2d_3x3_work_group);
}

static clcnn_status fast_backward_weights_f8(clcnn_context *context, const clcnn_conv2d_shape *s,
                                             cl_mem x, cl_mem dy, cl_mem dw, cl_mem db,
                                             clcnn_conv2d_keep *keep)
{
    return fast_backward_weights(context, s, x, dy, dw, db, keep, false);
}

static clcnn_status fast_backward_weights_w16(clcnn_context *context,
                                              const clcnn_conv2d_shape *s, cl_mem x, cl_mem dy,
                                              cl_mem dw, cl_mem db, clcnn_conv2d_keep *keep)
{
    return fast_backward_weights(context, s, x, dy, dw, db, keep, true);
}

/* ---- output channels in the lanes (cl/conv2d.cl), shaped for CPUs ---------------------------- */

/* wt: [I * T, OP] from w: [OC, C, T], forward's (I = C, O = OC) or dX's flipped (I = OC, O = C) */
static clcnn_status transpose_weights(clcnn_context *context, const clcnn_conv2d_shape *s,
                                      cl_mem w, bool flip, int OP, cl_mem *wt)
{
    const int I = flip ? s->OC : s->C, O = flip ? s->C : s->OC, T = s->KH * s->KW;
    CLCNN_TRY(clcnn_scratch(context, CLCNN_SCRATCH_FLIPPED_WEIGHTS,
                            (size_t)I * T * OP * sizeof(float), wt));
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_TRANSPOSE_WEIGHTS, &kernel));
    const int flipped = flip;
    CLCNN_TRY(clcnn_set_args(context, kernel, 7, sizeof(cl_mem), &w, sizeof(cl_mem), wt,
                             sizeof(int), &I, sizeof(int), &O, sizeof(int), &T, sizeof(int), &OP,
                             sizeof(int), &flipped));
    clcnn_profile_cost(context, 0.0, 4.0 * ((double)weight_count(s) + (double)I * T * OP));
    /* cl/conv2d.cl: an input channel's T taps of 16 outputs per item */
    return clcnn_launch_planes(context, kernel, (size_t)OP / 16, 1, (size_t)I);
}

/* y: [N, O, OH, OW] from xp: [N, I, HP, WP] and wt (conv2d_forward_channels) */
static clcnn_status launch_forward_channels(clcnn_context *context, cl_mem xp, cl_mem wt,
                                            cl_mem b, int use_bias, int relu, cl_mem y, int N,
                                            int I, int O, int OH, int OW, int KH, int KW,
                                            int stride_h, int stride_w, int HP, int WP, int OP)
{
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_FORWARD_CHANNELS, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 17, sizeof(cl_mem), &xp, sizeof(cl_mem), &wt,
                             sizeof(cl_mem), &b, sizeof(cl_mem), &y, sizeof(int), &use_bias,
                             sizeof(int), &relu, sizeof(int), &I, sizeof(int), &O, sizeof(int),
                             &OH, sizeof(int), &OW, sizeof(int), &KH, sizeof(int), &KW,
                             sizeof(int), &stride_h, sizeof(int), &stride_w, sizeof(int), &HP,
                             sizeof(int), &WP, sizeof(int), &OP));
    /* cl/conv2d.cl: FORWARD_PIXELS (7) pixels x 16 channels per item */
    return clcnn_launch_planes(context, kernel, (size_t)(OH * OW + 6) / 7, (size_t)OP / 16,
                               (size_t)N);
}

/* x padded as the 3x3 kernels pad it (to their tiles, kept for dW) where they apply, so that
 * either dW reads what either forward kept; else to the rows and columns the windows reach. */
static clcnn_status channels_forward(clcnn_context *context, const clcnn_conv2d_shape *s, cl_mem x,
                                     cl_mem w, cl_mem b, cl_mem y, clcnn_conv2d_keep *keep)
{
    const bool tiles = fast_3x3(s);
    const int HP = tiles ? tile_rows(s->OH) + 2 : (s->OH - 1) * s->stride_h + s->KH;
    const int WP = tiles ? tile_columns(s->OW) + 2 : (s->OW - 1) * s->stride_w + s->KW;
    cl_mem xp, wt;
    CLCNN_TRY(pad_planes(context, x, s->N * s->C, s->H, s->W, s->pad_top, s->pad_left, HP, WP,
                         CLCNN_SCRATCH_PADDED_INPUT, keep && tiles ? &keep->padded_input : NULL,
                         &xp));
    if (keep && tiles)
        keep->input_kept = true;
    const int OCP = (s->OC + 15) / 16 * 16;
    CLCNN_TRY(transpose_weights(context, s, w, false, OCP, &wt));
    declare_cost(context, s);
    return launch_forward_channels(context, xp, wt, b, 1, s->relu, y, s->N, s->C, s->OC, s->OH,
                                   s->OW, s->KH, s->KW, s->stride_h, s->stride_w, HP, WP, OCP);
}

/* dX at stride 1: the convolution of dy padded by K - 1 - pad (for 3x3 to the tiles, as
 * fast_backward_data pads it, kept for dW) with the weights flipped and transposed. */
static clcnn_status channels_backward_data(clcnn_context *context, const clcnn_conv2d_shape *s,
                                           cl_mem dy, cl_mem w, cl_mem dx,
                                           clcnn_conv2d_keep *keep)
{
    const bool tiles = fast_3x3(s);
    const int HP = tiles ? tile_rows(s->H) + 2 : s->H + s->KH - 1;
    const int WP = tiles ? tile_columns(s->W) + 2 : s->W + s->KW - 1;
    cl_mem dyp, wt;
    CLCNN_TRY(pad_planes(context, dy, s->N * s->OC, s->OH, s->OW, s->KH - 1 - s->pad_top,
                         s->KW - 1 - s->pad_left, HP, WP, CLCNN_SCRATCH_PADDED_GRADIENT,
                         keep && tiles ? &keep->padded_gradient : NULL, &dyp));
    if (keep && tiles)
        keep->gradient_kept = true;
    const int CP = (s->C + 15) / 16 * 16;
    CLCNN_TRY(transpose_weights(context, s, w, true, CP, &wt));
    declare_cost(context, s);
    return launch_forward_channels(context, dyp, wt, wt, 0, 0, dx, s->N, s->OC, s->C, s->H, s->W,
                                   s->KH, s->KW, 1, 1, HP, WP, CP);
}

/* ---- dW with output channels in the lanes, any shape ---------------------------------------- */

/* x padded as the kernel reads it: the forward's kept copy where it made one (3x3 stride 1,
 * rounded to its tiles: large enough), else padded here to the rows and columns the windows
 * reach. dy transposed to [N * OH * OW, OCP], then the sum. */
static clcnn_status channels_backward_weights(clcnn_context *context, const clcnn_conv2d_shape *s,
                                              cl_mem x, cl_mem dy, cl_mem dw, cl_mem db,
                                              clcnn_conv2d_keep *keep)
{
    cl_mem xp, dyt;
    int HP, WP;
    if (keep && keep->input_kept) {
        xp = keep->padded_input.mem;
        HP = tile_rows(s->OH) + 2, WP = tile_columns(s->OW) + 2;
    } else {
        HP = (s->OH - 1) * s->stride_h + s->KH, WP = (s->OW - 1) * s->stride_w + s->KW;
        CLCNN_TRY(pad_planes(context, x, s->N * s->C, s->H, s->W, s->pad_top, s->pad_left, HP,
                             WP, CLCNN_SCRATCH_PADDED_INPUT, NULL, &xp));
    }
    const int OCP = (s->OC + 15) / 16 * 16, P = s->OH * s->OW;
    CLCNN_TRY(clcnn_scratch(context, CLCNN_SCRATCH_TRANSPOSED_GRADIENT,
                            (size_t)s->N * P * OCP * sizeof(float), &dyt));
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_TRANSPOSE_GRADIENT, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 5, sizeof(cl_mem), &dy, sizeof(cl_mem), &dyt,
                             sizeof(int), &s->OC, sizeof(int), &P, sizeof(int), &OCP));
    clcnn_profile_cost(context, 0.0, 4.0 * ((double)output_count(s) + (double)s->N * P * OCP));
    /* cl/conv2d.cl: 16 pixels x 16 channels per item */
    CLCNN_TRY(clcnn_launch_planes(context, kernel, (size_t)(P + 15) / 16, (size_t)OCP / 16,
                                  (size_t)s->N));
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_BACKWARD_WEIGHTS_CHANNELS, &kernel));
    const int with_bias = db != NULL;
    if (!db)
        db = dw; /* an unused argument still needs a buffer */
    CLCNN_TRY(clcnn_set_args(context, kernel, 17, sizeof(cl_mem), &xp, sizeof(cl_mem), &dyt,
                             sizeof(cl_mem), &dw, sizeof(cl_mem), &db, sizeof(int), &with_bias,
                             sizeof(int), &s->N, sizeof(int), &s->C, sizeof(int), &s->OC,
                             sizeof(int), &s->OH, sizeof(int), &s->OW, sizeof(int), &s->KH,
                             sizeof(int), &s->KW, sizeof(int), &s->stride_h, sizeof(int),
                             &s->stride_w, sizeof(int), &HP, sizeof(int), &WP, sizeof(int), &OCP));
    declare_cost(context, s);
    /* cl/conv2d.cl: DW_SLOTS (18) weights of 16 output channels per item */
    const size_t items = (size_t)(weight_count(s) / s->OC + 17) / 18 * (size_t)(OCP / 16);
    return clcnn_launch_spread(context, kernel, items,
                               (size_t)context->tuning.values.conv2d_3x3_work_group);
}

/* db: [OC] from dy: [N, OC, OH, OW], for the variants whose dW leaves it out */
static clcnn_status launch_bias(clcnn_context *context, const clcnn_conv2d_shape *s, cl_mem dy,
                                cl_mem db)
{
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_BACKWARD_BIAS, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 6, sizeof(cl_mem), &dy, sizeof(cl_mem), &db,
                             sizeof(int), &s->N, sizeof(int), &s->OC, sizeof(int), &s->OH,
                             sizeof(int), &s->OW));
    clcnn_profile_cost(context, (double)output_count(s), 4.0 * (double)output_count(s));
    /* an item per channel, each summing N planes */
    return clcnn_launch_spread(context, kernel, (size_t)s->OC,
                               (size_t)context->tuning.values.elementwise_work_group);
}

/* ---- the tiled implicit GEMM (cl/conv2d_tiled.cl), shaped for GPUs ------------------------ */

typedef struct tiled_blocks {
    int tile_m, tile_p, tile_k, work_m, work_p;
} tiled_blocks;

static clcnn_status read_tiled_blocks(clcnn_context *context, tiled_blocks *b)
{
    CLCNN_TRY(clcnn_block(context, CLCNN_BLOCK_TILE_M, &b->tile_m));
    CLCNN_TRY(clcnn_block(context, CLCNN_BLOCK_TILE_P, &b->tile_p));
    CLCNN_TRY(clcnn_block(context, CLCNN_BLOCK_TILE_K, &b->tile_k));
    CLCNN_TRY(clcnn_block(context, CLCNN_BLOCK_WORK_M, &b->work_m));
    return clcnn_block(context, CLCNN_BLOCK_WORK_P, &b->work_p);
}

/* Any shape, where the device takes the work-group and its two local tiles. */
static bool tiled_fits(clcnn_context *context, const void *shape)
{
    (void)shape;
    tiled_blocks b;
    if (read_tiled_blocks(context, &b) != CLCNN_OK)
        return false;
    const size_t items = (size_t)(b.tile_m / b.work_m) * (size_t)(b.tile_p / b.work_p);
    const double local_bytes = 4.0 * b.tile_k * (b.tile_m + b.tile_p);
    return items <= context->device.max_work_group_size &&
           local_bytes <= (double)context->device.local_mem_bytes;
}

/* The 13 shape integers of CONV2D_SHAPE_ARGUMENTS, from argument `first` on. */
static clcnn_status set_shape_arguments(clcnn_context *context, cl_kernel kernel, cl_uint first,
                                        const clcnn_conv2d_shape *s)
{
    const int shape[13] = {s->N, s->C, s->H, s->W, s->OC, s->KH, s->KW, s->OH, s->OW,
                           s->stride_h, s->stride_w, s->pad_top, s->pad_left};
    for (cl_uint i = 0; i < 13; i++)
        CLCNN_CL_CHECK(context, clSetKernelArg(kernel, first + i, sizeof(int), &shape[i]));
    return CLCNN_OK;
}

/* Whole work-groups over the product's (P, M), `splits` deep. */
static clcnn_status tiled_launch(clcnn_context *context, cl_kernel kernel, int M, int P,
                                 int splits)
{
    tiled_blocks b;
    CLCNN_TRY(read_tiled_blocks(context, &b));
    const size_t local[3] = {(size_t)(b.tile_p / b.work_p), (size_t)(b.tile_m / b.work_m), 1};
    const size_t global[3] = {(size_t)((P + b.tile_p - 1) / b.tile_p) * local[0],
                              (size_t)((M + b.tile_m - 1) / b.tile_m) * local[1], (size_t)splits};
    return clcnn_launch_nd(context, kernel, 3, global, local);
}

static clcnn_status tiled_forward(clcnn_context *context, const clcnn_conv2d_shape *s, cl_mem x,
                                  cl_mem w, cl_mem b, cl_mem y, clcnn_conv2d_keep *keep)
{
    (void)keep;
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_TILED_FORWARD, &kernel));
    const int relu = s->relu;
    CLCNN_TRY(clcnn_set_args(context, kernel, 5, sizeof(cl_mem), &x, sizeof(cl_mem), &w,
                             sizeof(cl_mem), &b, sizeof(cl_mem), &y, sizeof(int), &relu));
    CLCNN_TRY(set_shape_arguments(context, kernel, 5, s));
    declare_cost(context, s);
    return tiled_launch(context, kernel, s->OC, s->N * s->OH * s->OW, 1);
}

static clcnn_status tiled_backward_data(clcnn_context *context, const clcnn_conv2d_shape *s,
                                        cl_mem dy, cl_mem w, cl_mem dx, clcnn_conv2d_keep *keep)
{
    (void)keep;
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_TILED_BACKWARD_DATA, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 3, sizeof(cl_mem), &dy, sizeof(cl_mem), &w,
                             sizeof(cl_mem), &dx));
    CLCNN_TRY(set_shape_arguments(context, kernel, 3, s));
    declare_cost(context, s);
    return tiled_launch(context, kernel, s->C, s->N * s->H * s->W, 1);
}

/* The N*OH*OW-long sum is split so that the device gets about 4 work-groups per compute unit
 * (a split spans whole TILE_K steps, at least 4 of them); the split count depends only on the
 * shape and the device, so runs stay deterministic. */
static clcnn_status tiled_backward_weights(clcnn_context *context, const clcnn_conv2d_shape *s,
                                           cl_mem x, cl_mem dy, cl_mem dw, cl_mem db,
                                           clcnn_conv2d_keep *keep)
{
    (void)keep;
    tiled_blocks b;
    CLCNN_TRY(read_tiled_blocks(context, &b));
    const int M = s->OC, P = s->C * s->KH * s->KW, K = s->N * s->OH * s->OW;
    const long groups = (long)((M + b.tile_m - 1) / b.tile_m) * ((P + b.tile_p - 1) / b.tile_p);
    const long wanted = 4L * (long)context->device.compute_units;
    long splits = groups >= wanted ? 1 : (wanted + groups - 1) / groups;
    const long most = (K + 4L * b.tile_k - 1) / (4L * b.tile_k);
    if (splits > most)
        splits = most;
    if (splits < 1)
        splits = 1;
    const int span = (int)((K + splits - 1) / splits + b.tile_k - 1) / b.tile_k * b.tile_k;
    splits = (K + span - 1) / span;
    cl_mem partial = dw;
    const size_t count = (size_t)M * P;
    if (splits > 1)
        CLCNN_TRY(clcnn_scratch(context, CLCNN_SCRATCH_SPLIT_SUMS,
                                (size_t)splits * count * sizeof(float), &partial));
    cl_kernel kernel;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_TILED_BACKWARD_WEIGHTS, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 4, sizeof(cl_mem), &x, sizeof(cl_mem), &dy,
                             sizeof(cl_mem), &partial, sizeof(int), &span));
    CLCNN_TRY(set_shape_arguments(context, kernel, 4, s));
    declare_cost(context, s);
    CLCNN_TRY(tiled_launch(context, kernel, M, P, (int)splits));
    if (splits > 1) {
        CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_TILED_SUM_SPLITS, &kernel));
        const int count_arg = (int)count, splits_arg = (int)splits;
        CLCNN_TRY(clcnn_set_args(context, kernel, 4, sizeof(cl_mem), &partial, sizeof(cl_mem),
                                 &dw, sizeof(int), &count_arg, sizeof(int), &splits_arg));
        clcnn_profile_cost(context, (double)splits * count, 4.0 * (splits + 1.0) * count);
        CLCNN_TRY(clcnn_launch_elementwise(context, kernel, count));
    }
    return db ? launch_bias(context, s, dy, db) : CLCNN_OK;
}

/* ---- Winograd F(2x2, 3x3) (cl/conv2d_winograd.cl), shaped for CPUs ------------------------- */

/* work-items per group, each with its own block of local memory */
#define WINOGRAD_WORK_GROUP 4

/* out: [N, O, OH, OW] from x: [N, I, H, W], the tile at (th, tw) reading x from row 2 th - top
 * and column 2 tw - left, through the forward's kernels w: [O, I, 3, 3] or, with flip, dX's
 * (w: [I, O, 3, 3], taps reversed); b added when given, ReLU when relu; with pool, y's 2x2 max
 * pooling into pool->y and pool->argmax instead of out. */
static clcnn_status winograd(clcnn_context *context, const clcnn_conv2d_shape *s, cl_mem x,
                             int N, int I, int H, int W, int top, int left, cl_mem w, bool flip,
                             cl_mem b, int relu, cl_mem out, int O, int OH, int OW,
                             const clcnn_fused_pool *pool)
{
    const int OP = (O + 15) / 16 * 16, TH = (OH + 1) / 2, TW = (OW + 1) / 2, P = N * TH * TW;
    const int blocks = (P + 15) / 16; /* cl/conv2d_winograd.cl: TILE_BLOCK tiles per block */
    const size_t u_count = 16 * (size_t)I * OP;
    cl_mem u;
    CLCNN_TRY(clcnn_scratch(context, CLCNN_SCRATCH_FLIPPED_WEIGHTS, u_count * sizeof(float), &u));
    cl_kernel kernel;
    const int flipped = flip;
    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_WINOGRAD_WEIGHTS, &kernel));
    CLCNN_TRY(clcnn_set_args(context, kernel, 6, sizeof(cl_mem), &w, sizeof(cl_mem), &u,
                             sizeof(int), &I, sizeof(int), &O, sizeof(int), &OP, sizeof(int),
                             &flipped));
    clcnn_profile_cost(context, 0.0, 4.0 * ((double)weight_count(s) + (double)u_count));
    CLCNN_TRY(clcnn_launch_planes(context, kernel, (size_t)OP / 16, 1, (size_t)I));

    CLCNN_TRY(clcnn_kernel(context, CLCNN_KERNEL_CONV2D_WINOGRAD, &kernel));
    const int use_bias = b != NULL, pooling = pool != NULL;
    /* unused buffers stand in for b, pooled and argmax where they are not given */
    const cl_mem bias = b ? b : u, pooled = pool ? pool->y->mem : out,
                 argmax = pool ? pool->argmax->mem : out;
    /* each work-item's block of transforms: [16, I, 16] */
    const size_t group = WINOGRAD_WORK_GROUP, v_bytes = 16 * (size_t)I * 16 * sizeof(float);
    CLCNN_TRY(clcnn_set_args(context, kernel, 22, sizeof(cl_mem), &x, sizeof(cl_mem), &u,
                             sizeof(cl_mem), &bias, sizeof(cl_mem), &out, group * v_bytes, NULL,
                             sizeof(int), &I, sizeof(int), &H, sizeof(int), &W, sizeof(int), &top,
                             sizeof(int), &left, sizeof(int), &O, sizeof(int), &OP, sizeof(int),
                             &OH, sizeof(int), &OW, sizeof(int), &TH, sizeof(int), &TW,
                             sizeof(int), &P, sizeof(int), &use_bias, sizeof(int), &relu,
                             sizeof(int), &pooling, sizeof(cl_mem), &pooled, sizeof(cl_mem),
                             &argmax));
    /* the multiply-adds it does: 16 per tile, input and output channel */
    clcnn_profile_cost(context, 2.0 * 16 * P * I * O,
                       4.0 * ((double)N * I * H * W + (double)u_count + (double)N * O * OH * OW));
    const size_t global = ((size_t)blocks + group - 1) / group * group;
    return clcnn_launch_nd(context, kernel, 1, &global, &group);
}

static clcnn_status winograd_forward_pool(clcnn_context *context, const clcnn_conv2d_shape *s,
                                          cl_mem x, cl_mem w, cl_mem b, cl_mem y,
                                          clcnn_conv2d_keep *keep, const clcnn_fused_pool *pool)
{
    (void)keep;
    return winograd(context, s, x, s->N, s->C, s->H, s->W, s->pad_top, s->pad_left, w, false, b,
                    s->relu, y, s->OC, s->OH, s->OW, pool);
}

static clcnn_status winograd_forward(clcnn_context *context, const clcnn_conv2d_shape *s,
                                     cl_mem x, cl_mem w, cl_mem b, cl_mem y,
                                     clcnn_conv2d_keep *keep)
{
    return winograd_forward_pool(context, s, x, w, b, y, keep, NULL);
}

/* dX: the convolution of dy, read from 2 - pad rows above, with the flipped kernels */
static clcnn_status winograd_backward_data(clcnn_context *context, const clcnn_conv2d_shape *s,
                                           cl_mem dy, cl_mem w, cl_mem dx,
                                           clcnn_conv2d_keep *keep)
{
    (void)keep;
    return winograd(context, s, dy, s->N, s->OC, s->OH, s->OW, 2 - s->pad_top, 2 - s->pad_left,
                    w, true, NULL, 0, dx, s->C, s->H, s->W, NULL);
}

/* ---- the generic direct kernels (cl/conv2d.cl): any shape, any device ------------------------ */

static clcnn_status direct_forward(clcnn_context *context, const clcnn_conv2d_shape *s, cl_mem x,
                                   cl_mem w, cl_mem b, cl_mem y, clcnn_conv2d_keep *keep)
{
    (void)keep;
    /* cl/conv2d.cl: OC_BLOCK output channels per work-item */
    size_t channel_blocks = (size_t)(s->OC + 3) / 4;
    CLCNN_TRY(launch_conv2d(context, CLCNN_KERNEL_CONV2D_FORWARD, s, x, w, b, y,
                            (size_t)s->N * channel_blocks * s->OH * s->OW));
    if (!s->relu)
        return CLCNN_OK;
    clcnn_buffer out = {.mem = y, .bytes = output_count(s) * sizeof(float)};
    return clcnn_activation_forward(context, CLCNN_ACTIVATION_RELU, 0.0f, (int)output_count(s),
                                    &out, &out);
}

static clcnn_status direct_backward_data(clcnn_context *context, const clcnn_conv2d_shape *s,
                                         cl_mem dy, cl_mem w, cl_mem dx, clcnn_conv2d_keep *keep)
{
    (void)keep;
    /* cl/conv2d.cl: C_BLOCK input channels per work-item */
    size_t channel_blocks = (size_t)(s->C + 3) / 4;
    return launch_conv2d(context, CLCNN_KERNEL_CONV2D_BACKWARD_DATA, s, dy, w, dx, NULL,
                         (size_t)s->N * channel_blocks * s->H * s->W);
}

/* one work-group per (oc, c) pair */
static clcnn_status direct_backward_weights_3x3(clcnn_context *context,
                                                const clcnn_conv2d_shape *s, cl_mem x, cl_mem dy,
                                                cl_mem dw, cl_mem db, clcnn_conv2d_keep *keep)
{
    (void)keep;
    CLCNN_TRY(launch_conv2d(context, CLCNN_KERNEL_CONV2D_BACKWARD_WEIGHTS_3X3, s, x, dy, dw, NULL,
                            (size_t)s->OC * s->C));
    return db ? launch_bias(context, s, dy, db) : CLCNN_OK;
}

/* one work-group per weight */
static clcnn_status direct_backward_weights(clcnn_context *context, const clcnn_conv2d_shape *s,
                                            cl_mem x, cl_mem dy, cl_mem dw, cl_mem db,
                                            clcnn_conv2d_keep *keep)
{
    (void)keep;
    CLCNN_TRY(launch_conv2d(context, CLCNN_KERNEL_CONV2D_BACKWARD_WEIGHTS, s, x, dy, dw, NULL,
                            weight_count(s)));
    return db ? launch_bias(context, s, dy, db) : CLCNN_OK;
}

/* ---- the variant tables ---------------------------------------------------------------------- */

static bool fits_3x3(clcnn_context *context, const void *shape)
{
    (void)context;
    return fast_3x3(shape);
}

/* the dW kernel that takes tiles 16 columns at a time */
static bool fits_3x3_w16(clcnn_context *context, const void *shape)
{
    const clcnn_conv2d_shape *s = shape;
    return fits_3x3(context, shape) && tile_columns(s->OW) % 16 == 0;
}

static bool fits_3x3_any_stride(clcnn_context *context, const void *shape)
{
    (void)context;
    const clcnn_conv2d_shape *s = shape;
    return s->KH == 3 && s->KW == 3;
}

/* Stride 1, any kernel: dX as a convolution of padded dy */
static bool fits_stride_1(clcnn_context *context, const void *shape)
{
    (void)context;
    const clcnn_conv2d_shape *s = shape;
    return s->stride_h == 1 && s->stride_w == 1;
}

/* The share of the 3x3 kernels' 2 x 8 tiles that an OH x OW output fills */
static double tile_fill(int OH, int OW)
{
    return (double)OH * OW / ((double)tile_rows(OH) * tile_columns(OW));
}

/* The channel-vectorised forward and dX win wherever the 3x3 kernels' tiles leave lanes idle,
 * and for every shape those do not handle; with one or three input channels the tiles are
 * faster (each item's setup is not spread over enough work). Measured side by side on PoCL,
 * Zen 4 (ms): 7 x 7 from 64 channels 2.85 -> 2.21, dX 2.83 -> 2.15 (tiles 77% full); 28 x 28
 * from 32 5.23 -> 4.91, dX 5.20 -> 4.75; 14 x 14 from 32 2.59 -> 2.47, from 64 4.90 -> 4.91
 * (88% full); 28 x 28 from 1 channel 0.49 -> 1.3. */
static bool channels_prefers_forward(clcnn_context *context, const void *shape)
{
    (void)context;
    const clcnn_conv2d_shape *s = shape;
    return !fast_3x3(s) || (tile_fill(s->OH, s->OW) < 1.0 && s->C >= 8);
}

static bool channels_prefers_data(clcnn_context *context, const void *shape)
{
    (void)context;
    const clcnn_conv2d_shape *s = shape;
    return !fast_3x3(s) || (tile_fill(s->H, s->W) < 1.0 && s->OC >= 8);
}

/* The channel-vectorised dW pays its transpose of dy (about 4.4 / C of its time) and wins
 * where the 3x3 kernels' tiles leave lanes idle (OH x OW not whole 2 x 16 tiles) and for every
 * shape they do not handle. Measured on PoCL, Zen 4: 7 x 7 from 64 channels 5.5 -> 2.6 ms,
 * 28 x 28 from 32 7.0 -> 5.3 ms; whole 16-wide tiles from 32 channels 3.1 -> 3.9 ms, and
 * from 3 channels 0.7 -> 2.2 ms. */
static bool channels_prefers_weights(clcnn_context *context, const void *shape)
{
    (void)context;
    const clcnn_conv2d_shape *s = shape;
    const bool whole_tiles = s->OH % 2 == 0 && s->OW % 16 == 0;
    return !fast_3x3(s) || (s->C >= 16 && !whole_tiles);
}

/* 3x3 at stride 1, with local memory for a block of transforms of the input channels of
 * forward and of dX (cl/conv2d_winograd.cl) */
static bool fits_winograd(clcnn_context *context, const void *shape)
{
    const clcnn_conv2d_shape *s = shape;
    const size_t block = WINOGRAD_WORK_GROUP * 16 * 16 * sizeof(float);
    return fast_3x3(s) && block * (size_t)(s->C > s->OC ? s->C : s->OC) <=
                              context->device.local_mem_bytes;
}

/* Winograd's variant pays where its input transforms, made once per tile and input channel,
 * serve 32 outputs or more, from 16 inputs or more. Measured side by side on PoCL, Zen 4,
 * batch 64, against the variant preferred before it with that variant's padding (ms; inputs
 * -> outputs of the direction): 16 x 16, 32 -> 64: 3.03 -> 1.66, 64 -> 32 (dX): 3.13 -> 2.13;
 * 8 x 8, 64 -> 128: 2.89 -> 1.71, 128 -> 64 (dX): 2.97 -> 2.01; 28 x 28, 32 -> 32: 5.15 ->
 * 3.99, dX 5.05 -> 4.10; 14 x 14, 32 -> 64: 2.47 -> 2.12, 64 -> 64: 4.66 -> 3.82, dX 4.58 ->
 * 3.88; 7 x 7, 64 -> 128: 2.31 -> 2.04, 128 -> 64 (dX): 2.44 -> 2.36. One shape came out
 * even or worse: 14 x 14, 64 -> 32 (dX), 2.42-2.51 -> 2.42-2.90. */
static bool winograd_pays(int inputs, int outputs)
{
    return inputs >= 16 && outputs >= 32;
}

static bool winograd_prefers_forward(clcnn_context *context, const void *shape)
{
    (void)context;
    const clcnn_conv2d_shape *s = shape;
    return winograd_pays(s->C, s->OC);
}

static bool winograd_prefers_data(clcnn_context *context, const void *shape)
{
    (void)context;
    const clcnn_conv2d_shape *s = shape;
    return winograd_pays(s->OC, s->C);
}

/* run_pool: where the variant also pools (clcnn_fused_pool) in its pass, else NULL */
typedef struct forward_variant {
    clcnn_variant head;
    clcnn_status (*run)(clcnn_context *context, const clcnn_conv2d_shape *s, cl_mem x, cl_mem w,
                        cl_mem b, cl_mem y, clcnn_conv2d_keep *keep);
    clcnn_status (*run_pool)(clcnn_context *context, const clcnn_conv2d_shape *s, cl_mem x,
                             cl_mem w, cl_mem b, cl_mem y, clcnn_conv2d_keep *keep,
                             const clcnn_fused_pool *pool);
} forward_variant;

static const forward_variant forward_variants[] = {
    {{"winograd", CLCNN_SUITS_CPU, fits_winograd, winograd_prefers_forward}, winograd_forward,
     winograd_forward_pool},
    {{"channels", CLCNN_SUITS_CPU, NULL, channels_prefers_forward}, channels_forward, NULL},
    {{"direct_3x3_f8", CLCNN_SUITS_CPU, fits_3x3, NULL}, fast_forward, fast_forward_pool},
    {{"tiled", CLCNN_SUITS_GPU, tiled_fits, NULL}, tiled_forward, NULL},
    {{"direct", CLCNN_SUITS_ANY, NULL, NULL}, direct_forward, NULL},
};
const clcnn_variant_table clcnn_conv2d_forward_variants = {
    &forward_variants[0].head, sizeof forward_variants / sizeof forward_variants[0],
    sizeof forward_variants[0]};

/* dy, w -> dx */
typedef struct data_variant {
    clcnn_variant head;
    clcnn_status (*run)(clcnn_context *context, const clcnn_conv2d_shape *s, cl_mem dy, cl_mem w,
                        cl_mem dx, clcnn_conv2d_keep *keep);
} data_variant;

static const data_variant data_variants[] = {
    {{"winograd", CLCNN_SUITS_CPU, fits_winograd, winograd_prefers_data},
     winograd_backward_data},
    {{"channels", CLCNN_SUITS_CPU, fits_stride_1, channels_prefers_data}, channels_backward_data},
    {{"direct_3x3_f8", CLCNN_SUITS_CPU, fits_3x3, NULL}, fast_backward_data},
    {{"tiled", CLCNN_SUITS_GPU, tiled_fits, NULL}, tiled_backward_data},
    {{"direct", CLCNN_SUITS_ANY, NULL, NULL}, direct_backward_data},
};
const clcnn_variant_table clcnn_conv2d_backward_data_variants = {
    &data_variants[0].head, sizeof data_variants / sizeof data_variants[0],
    sizeof data_variants[0]};

/* x, dy -> dw, and db unless NULL */
typedef struct weights_variant {
    clcnn_variant head;
    clcnn_status (*run)(clcnn_context *context, const clcnn_conv2d_shape *s, cl_mem x, cl_mem dy,
                        cl_mem dw, cl_mem db, clcnn_conv2d_keep *keep);
} weights_variant;

static const weights_variant weights_variants[] = {
    {{"channels", CLCNN_SUITS_CPU, NULL, channels_prefers_weights}, channels_backward_weights},
    {{"direct_3x3_w16", CLCNN_SUITS_CPU, fits_3x3_w16, NULL}, fast_backward_weights_w16},
    {{"direct_3x3_f8", CLCNN_SUITS_CPU, fits_3x3, NULL}, fast_backward_weights_f8},
    {{"tiled", CLCNN_SUITS_GPU, tiled_fits, NULL}, tiled_backward_weights},
    {{"direct_3x3", CLCNN_SUITS_ANY, fits_3x3_any_stride, NULL}, direct_backward_weights_3x3},
    {{"direct", CLCNN_SUITS_ANY, NULL, NULL}, direct_backward_weights},
};
const clcnn_variant_table clcnn_conv2d_backward_weights_variants = {
    &weights_variants[0].head, sizeof weights_variants / sizeof weights_variants[0],
    sizeof weights_variants[0]};

/* ---- dispatch ---------------------------------------------------------------------------------- */

clcnn_status clcnn_conv2d_forward(clcnn_context *context, const clcnn_conv2d_shape *s,
                                  const clcnn_buffer *x, const clcnn_buffer *w,
                                  const clcnn_buffer *b, clcnn_buffer *y, clcnn_conv2d_keep *keep,
                                  const clcnn_fused_pool *pool)
{
    CLCNN_TRY(clcnn_require_bytes("conv2d_forward", "x", x, input_count(s), sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("conv2d_forward", "w", w, weight_count(s), sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("conv2d_forward", "b", b, (size_t)s->OC, sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("conv2d_forward", "y", y, output_count(s), sizeof(float)));
    if (pool)
        CLCNN_TRY(clcnn_fused_pool_check("conv2d_forward", pool, s->N, s->OC, s->OH, s->OW));
    if (context->reference) {
        clcnn_ref_conv2d_forward(s, x->host, w->host, b->host, y->host);
    } else {
        int v;
        CLCNN_TRY(clcnn_variant_pick(context, CLCNN_VARIANT_CONV2D_FORWARD, s, &v));
        if (keep) /* a variant that keeps x padded says so again */
            keep->input_kept = false;
        if (pool && forward_variants[v].run_pool)
            return forward_variants[v].run_pool(context, s, x->mem, w->mem, b->mem, y->mem, keep,
                                                pool);
        CLCNN_TRY(forward_variants[v].run(context, s, x->mem, w->mem, b->mem, y->mem, keep));
    }
    return pool ? clcnn_maxpool2d_forward(context, &pool->shape, y, pool->y, pool->argmax)
                : CLCNN_OK;
}

clcnn_status clcnn_conv2d_backward_data(clcnn_context *context, const clcnn_conv2d_shape *s,
                                        const clcnn_buffer *dy, const clcnn_buffer *w,
                                        clcnn_buffer *dx, clcnn_conv2d_keep *keep)
{
    CLCNN_TRY(clcnn_require_bytes("conv2d_backward_data", "dy", dy, output_count(s), sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("conv2d_backward_data", "w", w, weight_count(s), sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("conv2d_backward_data", "dx", dx, input_count(s), sizeof(float)));
    if (context->reference) {
        clcnn_ref_conv2d_backward_data(s, dy->host, w->host, dx->host);
        return CLCNN_OK;
    }
    int v;
    CLCNN_TRY(clcnn_variant_pick(context, CLCNN_VARIANT_CONV2D_BACKWARD_DATA, s, &v));
    if (keep)
        keep->gradient_kept = false;
    return data_variants[v].run(context, s, dy->mem, w->mem, dx->mem, keep);
}

clcnn_status clcnn_conv2d_backward_weights(clcnn_context *context, const clcnn_conv2d_shape *s,
                                           const clcnn_buffer *x, const clcnn_buffer *dy,
                                           clcnn_buffer *dw, clcnn_buffer *db,
                                           clcnn_conv2d_keep *keep)
{
    CLCNN_TRY(clcnn_require_bytes("conv2d_backward_weights", "x", x, input_count(s), sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("conv2d_backward_weights", "dy", dy, output_count(s), sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("conv2d_backward_weights", "dw", dw, weight_count(s), sizeof(float)));
    if (db)
        CLCNN_TRY(clcnn_require_bytes("conv2d_backward_weights", "db", db, (size_t)s->OC, sizeof(float)));
    if (context->reference) {
        clcnn_ref_conv2d_backward_weights(s, x->host, dy->host, dw->host);
        if (db)
            clcnn_ref_conv2d_backward_bias(s, dy->host, db->host);
        return CLCNN_OK;
    }
    int v;
    CLCNN_TRY(clcnn_variant_pick(context, CLCNN_VARIANT_CONV2D_BACKWARD_WEIGHTS, s, &v));
    clcnn_status status = weights_variants[v].run(context, s, x->mem, dy->mem, dw->mem,
                                                  db ? db->mem : NULL, keep);
    if (keep) /* what was kept served this step's dW, and only it */
        keep->input_kept = keep->gradient_kept = false;
    return status;
}

clcnn_status clcnn_conv2d_backward_bias(clcnn_context *context, const clcnn_conv2d_shape *s,
                                        const clcnn_buffer *dy, clcnn_buffer *db)
{
    CLCNN_TRY(clcnn_require_bytes("conv2d_backward_bias", "dy", dy, output_count(s), sizeof(float)));
    CLCNN_TRY(clcnn_require_bytes("conv2d_backward_bias", "db", db, (size_t)s->OC, sizeof(float)));
    if (context->reference) {
        clcnn_ref_conv2d_backward_bias(s, dy->host, db->host);
        return CLCNN_OK;
    }
    return launch_bias(context, s, dy->mem, db->mem);
}
