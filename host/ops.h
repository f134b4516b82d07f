/* The training ops, each with an OpenCL dispatch (host/<op>.c, kernels in cl/<op>.cl) and a
 * plain-C reference twin (host/ref/<op>.c) taking the same arguments in the same order.
 * A dispatch on a reference context runs the twin on host memory, so the reference is a
 * complete backend. All tensors are float32 and NCHW unless a comment says otherwise. */
#ifndef CLCNN_OPS_H
#define CLCNN_OPS_H

#include <stdint.h>

#include "clcnn/check.h"
#include "clcnn/model.h"
#include "internal.h"

/* ---- pooling shapes (max and average pooling, and a max pooling run inside another op) -- */

/* x: [N, C, H, W], y and argmax: [N, C, OH, OW]; argmax holds ih * W + iw (int) */
typedef struct clcnn_pool2d_shape {
    int N, C, H, W;
    int KH, KW;
    int OH, OW;
    int stride_h, stride_w;
    int pad_top, pad_left;
} clcnn_pool2d_shape;

/* Keras MaxPooling2D: 'valid' floors odd sizes; 'same' pads to ceil(H / stride). */
clcnn_status clcnn_pool2d_shape_make(int N, int C, int H, int W, int KH, int KW, int stride_h,
                                     int stride_w, clcnn_padding padding,
                                     clcnn_pool2d_shape *shape);

/* A 2x2 max pooling (stride 2, 'valid') of an op's output y, run with the op, for a caller
 * that needs only the pooled output (conv2d_forward, batchnorm_forward): in the op's own pass
 * where it can, which then leaves y unwritten, else by maxpool2d_forward after it (y is then
 * written: the pooling reads it). The pooled output and argmax are maxpool2d_forward's, bit
 * for bit. */
typedef struct clcnn_fused_pool {
    clcnn_pool2d_shape shape; /* the pooling's, whose input is the op's y */
    clcnn_buffer *y, *argmax; /* [N, C, H / 2, W / 2] */
} clcnn_fused_pool;

/* that pool describes 2x2 windows at stride 2, unpadded, over all of an N x C x H x W y, and
 * that its buffers hold the pooled output (op: the caller's name, for the error) */
clcnn_status clcnn_fused_pool_check(const char *op, const clcnn_fused_pool *pool, int N, int C,
                                    int H, int W);

/* ---- conv2d ---------------------------------------------------------------------------- */

/* One spatial axis as Keras sizes it: 'valid' gives floor((in - window) / stride) + 1 and no
 * padding; 'same' gives ceil(in / stride), padding split with the odd element after. Returns
 * false when a 'valid' window does not fit. */
bool clcnn_keras_output_size(int in, int window, int stride, clcnn_padding padding, int *out,
                             int *pad_before);

/* x: [N, C, H, W], w: [OC, C, KH, KW], b: [OC], y: [N, OC, OH, OW] */
typedef struct clcnn_conv2d_shape {
    int N, C, H, W;
    int OC, KH, KW;
    int OH, OW;
    int stride_h, stride_w;
    int pad_top, pad_left; /* Keras 'same' puts the odd extra row/column at the bottom/right */
    /* forward only: y = ReLU(conv) as activation_forward computes it (NaN kept), fused into
     * the 3x3 kernels' stores; false from clcnn_conv2d_shape_make */
    bool relu;
} clcnn_conv2d_shape;

/* Fills OH, OW and padding as Keras defines 'valid' and 'same'. Fails on non-positive sizes
 * or a kernel larger than a 'valid' input. */
clcnn_status clcnn_conv2d_shape_make(int N, int C, int H, int W, int OC, int KH, int KW,
                                     int stride_h, int stride_w, clcnn_padding padding,
                                     clcnn_conv2d_shape *shape);

/* What a conv2d layer keeps from one pass of a step to the next, so that the 3x3 fast path
 * pads each tensor once: forward leaves x padded in padded_input, backward_data leaves dy
 * padded in padded_gradient, and backward_weights reads them (then forgets both) instead of
 * padding x and dy again. The caller runs them in that order on the same x and dy; every op
 * also takes NULL and pads afresh. Zero-initialise; the buffers grow on demand. */
typedef struct clcnn_conv2d_keep {
    clcnn_buffer padded_input, padded_gradient;
    bool input_kept, gradient_kept;
} clcnn_conv2d_keep;
void clcnn_conv2d_keep_release(clcnn_conv2d_keep *keep);

/* y: [N, OC, OH, OW]; pool: NULL, or the max pooling to run with it (above: y is then scratch) */
clcnn_status clcnn_conv2d_forward(clcnn_context *context, const clcnn_conv2d_shape *shape,
                                  const clcnn_buffer *x, const clcnn_buffer *w,
                                  const clcnn_buffer *b, clcnn_buffer *y, clcnn_conv2d_keep *keep,
                                  const clcnn_fused_pool *pool);
/* dx: [N, C, H, W] from dy: [N, OC, OH, OW] */
clcnn_status clcnn_conv2d_backward_data(clcnn_context *context, const clcnn_conv2d_shape *shape,
                                        const clcnn_buffer *dy, const clcnn_buffer *w,
                                        clcnn_buffer *dx, clcnn_conv2d_keep *keep);
/* dw: [OC, C, KH, KW], a sum over N*OH*OW terms; and db: [OC] unless NULL, summed in the same
 * pass on the 3x3 path (else by conv2d_backward_bias) */
clcnn_status clcnn_conv2d_backward_weights(clcnn_context *context,
                                           const clcnn_conv2d_shape *shape,
                                           const clcnn_buffer *x, const clcnn_buffer *dy,
                                           clcnn_buffer *dw, clcnn_buffer *db,
                                           clcnn_conv2d_keep *keep);
/* db: [OC] */
clcnn_status clcnn_conv2d_backward_bias(clcnn_context *context, const clcnn_conv2d_shape *shape,
                                        const clcnn_buffer *dy, clcnn_buffer *db);

void clcnn_ref_conv2d_forward(const clcnn_conv2d_shape *shape, const float *x, const float *w,
                              const float *b, float *y);
void clcnn_ref_conv2d_backward_data(const clcnn_conv2d_shape *shape, const float *dy,
                                    const float *w, float *dx);
void clcnn_ref_conv2d_backward_weights(const clcnn_conv2d_shape *shape, const float *x,
                                       const float *dy, float *dw);
void clcnn_ref_conv2d_backward_bias(const clcnn_conv2d_shape *shape, const float *dy, float *db);

/* ---- maxpool2d ------------------------------------------------------------------------ */

clcnn_status clcnn_maxpool2d_forward(clcnn_context *context, const clcnn_pool2d_shape *shape,
                                     const clcnn_buffer *x, clcnn_buffer *y, clcnn_buffer *argmax);
/* gate: NULL, or the pooled output y when the pooled input came out of a ReLU: a window's
 * gradient then passes only where y > 0, the ReLU's derivative at the input it chose (as
 * activation_backward takes it), so that the producer needs no ReLU pass of its own */
clcnn_status clcnn_maxpool2d_backward(clcnn_context *context, const clcnn_pool2d_shape *shape,
                                      const clcnn_buffer *dy, const clcnn_buffer *argmax,
                                      const clcnn_buffer *gate, clcnn_buffer *dx);

void clcnn_ref_maxpool2d_forward(const clcnn_pool2d_shape *shape, const float *x, float *y,
                                 int32_t *argmax);
void clcnn_ref_maxpool2d_backward(const clcnn_pool2d_shape *shape, const float *dy,
                                  const int32_t *argmax, const float *gate, float *dx);

/* ---- avgpool2d ------------------------------------------------------------------------ */

/* x: [N, C, H, W], y: [N, C, OH, OW], shapes as max pooling's. Padding is not counted: an
 * edge window of 'same' averages the inputs it covers (TensorFlow's rule). A global average
 * pool is one window of H x W. */
clcnn_status clcnn_avgpool2d_forward(clcnn_context *context, const clcnn_pool2d_shape *shape,
                                     const clcnn_buffer *x, clcnn_buffer *y);
clcnn_status clcnn_avgpool2d_backward(clcnn_context *context, const clcnn_pool2d_shape *shape,
                                      const clcnn_buffer *dy, clcnn_buffer *dx);

void clcnn_ref_avgpool2d_forward(const clcnn_pool2d_shape *shape, const float *x, float *y);
void clcnn_ref_avgpool2d_backward(const clcnn_pool2d_shape *shape, const float *dy, float *dx);

/* ---- batchnorm ------------------------------------------------------------------------ */

/* x, y, dy, dx: [N, C, HW] (HW = H * W, 1 for a flat tensor); gamma, beta, moving_mean,
 * moving_variance, dgamma, dbeta: [C]; stats: [2, C], the mean and 1 / sqrt(variance +
 * epsilon) the forward normalised with, which the backward reads. Training normalises with
 * the batch's statistics (biased variance) and updates the moving ones by momentum, as Keras
 * does; inference normalises with the moving ones. relu: a following ReLU fused in, so that
 * no pass of its own reads and writes the tensor: the forward writes max(y, 0) (NaN kept) and
 * the backward takes dy where that y > 0, 0 elsewhere (activation_backward's rule). */
typedef struct clcnn_batchnorm_shape {
    int N, C, HW;
    float momentum, epsilon;
    bool relu;
} clcnn_batchnorm_shape;

/* pool: NULL, or a max pooling of y to run with it (clcnn_fused_pool: y is then scratch; its
 * shape's H x W must be HW) */
clcnn_status clcnn_batchnorm_forward(clcnn_context *context, const clcnn_batchnorm_shape *shape,
                                     bool training, const clcnn_buffer *x,
                                     const clcnn_buffer *gamma, const clcnn_buffer *beta,
                                     clcnn_buffer *moving_mean, clcnn_buffer *moving_variance,
                                     clcnn_buffer *stats, clcnn_buffer *y,
                                     const clcnn_fused_pool *pool);
/* Training mode's gradients: dgamma, dbeta, and dx unless it is NULL. y (the forward's output)
 * is read only with relu. */
clcnn_status clcnn_batchnorm_backward(clcnn_context *context, const clcnn_batchnorm_shape *shape,
                                      const clcnn_buffer *x, const clcnn_buffer *y,
                                      const clcnn_buffer *gamma,
                                      const clcnn_buffer *stats, const clcnn_buffer *dy,
                                      clcnn_buffer *dgamma, clcnn_buffer *dbeta, clcnn_buffer *dx);

void clcnn_ref_batchnorm_forward(const clcnn_batchnorm_shape *shape, bool training,
                                 const float *x, const float *gamma, const float *beta,
                                 float *moving_mean, float *moving_variance, float *stats,
                                 float *y);
void clcnn_ref_batchnorm_backward(const clcnn_batchnorm_shape *shape, const float *x,
                                  const float *y, const float *gamma, const float *stats,
                                  const float *dy, float *dgamma, float *dbeta, float *dx);

/* ---- gather --------------------------------------------------------------------------------- */

/* The trainer's resident data: count images of C x H x W bytes, and an epoch's order.
 * x[n] = pixels[order[first + n]] / divisor, y_labels[n] = labels[order[first + n]], n < N. The
 * device trusts order (the trainer checks it when it uploads it); the reference checks it. */
typedef struct clcnn_gather_shape {
    int N, C, H, W;
    int count, first;
    float divisor;
} clcnn_gather_shape;

/* pixels: [count, C, H, W] u8, labels: [count] u8, order: [first + N] int32,
 * x: [N, C, H, W] float, y_labels: [N] int32 */
clcnn_status clcnn_gather(clcnn_context *context, const clcnn_gather_shape *shape,
                          const clcnn_buffer *pixels, const clcnn_buffer *labels,
                          const clcnn_buffer *order, clcnn_buffer *x, clcnn_buffer *y_labels);
clcnn_status clcnn_ref_gather(const clcnn_gather_shape *shape, const uint8_t *pixels,
                              const uint8_t *labels, const int32_t *order, float *x,
                              int32_t *y_labels);

/* ---- augment ------------------------------------------------------------------------------ */

/* x, y: [N, C, H, W]; moves: [N, 3] int: dy, dx, mirror. y = x shifted by (dy, dx) with zeros
 * where the shift leaves the image (a crop of the zero-padded image), mirrored left-right
 * first when mirror is 1 (cl/augment.cl). */
clcnn_status clcnn_augment(clcnn_context *context, int N, int C, int H, int W,
                           const clcnn_buffer *x, const clcnn_buffer *moves, clcnn_buffer *y);
void clcnn_ref_augment(int N, int C, int H, int W, const float *x, const int32_t *moves, float *y);

/* Each sample's moves for one step: dy and dx uniform in [-pad, pad], mirror a fair coin when
 * asked, from Philox keyed by the seed, the step and the sample's global index. */
#define CLCNN_PURPOSE_AUGMENT 0x4a000003u
void clcnn_augment_moves(uint64_t seed, uint64_t step, uint64_t first_sample, int N, int pad,
                         bool mirror, int32_t *moves);

/* ---- activations ------------------------------------------------------------------------- */

/* kind: RELU, SIGMOID, TANH or LEAKY_RELU (clcnn_activation in include/clcnn/model.h). */
/* x, y, dy, dx: `count` elements, any layout; alpha is leaky ReLU's slope (Keras: 0.3) */
clcnn_status clcnn_activation_forward(clcnn_context *context, clcnn_activation kind, float alpha,
                                      int count, const clcnn_buffer *x, clcnn_buffer *y);
/* dx from the forward output y and dy */
clcnn_status clcnn_activation_backward(clcnn_context *context, clcnn_activation kind,
                                       float alpha, int count, const clcnn_buffer *y,
                                       const clcnn_buffer *dy, clcnn_buffer *dx);

void clcnn_ref_activation_forward(clcnn_activation kind, float alpha, int count, const float *x,
                                  float *y);
void clcnn_ref_activation_backward(clcnn_activation kind, float alpha, int count, const float *y,
                                   const float *dy, float *dx);

/* ---- add ------------------------------------------------------------------------------------ */

/* a, b, y: `count` elements, any layout; y = a + b (y may alias a or b) */
clcnn_status clcnn_add(clcnn_context *context, int count, const clcnn_buffer *a,
                       const clcnn_buffer *b, clcnn_buffer *y);
void clcnn_ref_add(int count, const float *a, const float *b, float *y);

/* ---- dense --------------------------------------------------------------------------------- */

/* x: [N, I], w: [I, O] (Keras's kernel layout), b: [O], y: [N, O]; all row-major */
typedef struct clcnn_dense_shape {
    int N, I, O;
} clcnn_dense_shape;

/* y = x w + b (CLBlast SGEMM, then a bias kernel) */
clcnn_status clcnn_dense_forward(clcnn_context *context, const clcnn_dense_shape *shape,
                                 const clcnn_buffer *x, const clcnn_buffer *w,
                                 const clcnn_buffer *b, clcnn_buffer *y);
/* dx = dy w^T: [N, I] */
clcnn_status clcnn_dense_backward_data(clcnn_context *context, const clcnn_dense_shape *shape,
                                       const clcnn_buffer *dy, const clcnn_buffer *w,
                                       clcnn_buffer *dx);
/* dw = x^T dy: [I, O], a sum over N terms */
clcnn_status clcnn_dense_backward_weights(clcnn_context *context, const clcnn_dense_shape *shape,
                                          const clcnn_buffer *x, const clcnn_buffer *dy,
                                          clcnn_buffer *dw);
/* db = sum over n of dy: [O] */
clcnn_status clcnn_dense_backward_bias(clcnn_context *context, const clcnn_dense_shape *shape,
                                       const clcnn_buffer *dy, clcnn_buffer *db);

/* Grows the context's CLBlast scratch to fit every GEMM of this shape; call at set-up so
 * steps never allocate. */
clcnn_status clcnn_dense_reserve(clcnn_context *context, const clcnn_dense_shape *shape);

void clcnn_ref_dense_forward(const clcnn_dense_shape *shape, const float *x, const float *w,
                             const float *b, float *y);
void clcnn_ref_dense_backward_data(const clcnn_dense_shape *shape, const float *dy,
                                   const float *w, float *dx);
void clcnn_ref_dense_backward_weights(const clcnn_dense_shape *shape, const float *x,
                                      const float *dy, float *dw);
void clcnn_ref_dense_backward_bias(const clcnn_dense_shape *shape, const float *dy, float *db);

/* ---- dropout --------------------------------------------------------------------------------- */

/* The mask of element i is a pure function of (seed, step, layer, first + i): see
 * cl/dropout.cl. first is the global index of element 0 (sample offset * sample size), so a
 * batch split across replicas draws the masks of the whole batch on one device. */
typedef struct clcnn_dropout_params {
    int count;     /* elements, any layout */
    uint32_t first;
    float rate;    /* fraction dropped, in [0, 1) */
    uint64_t seed;
    uint64_t step;
    uint32_t layer;
} clcnn_dropout_params;

clcnn_status clcnn_dropout_forward(clcnn_context *context, const clcnn_dropout_params *params,
                                   const clcnn_buffer *x, clcnn_buffer *y);
clcnn_status clcnn_dropout_backward(clcnn_context *context, const clcnn_dropout_params *params,
                                    const clcnn_buffer *dy, clcnn_buffer *dx);

void clcnn_ref_dropout_forward(const clcnn_dropout_params *params, const float *x, float *y);
void clcnn_ref_dropout_backward(const clcnn_dropout_params *params, const float *dy, float *dx);

/* Philox-4x32-10 (Salmon et al., SC'11), the generator behind dropout and shuffling. */
void clcnn_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);
/* The kernel's keep threshold and scale for a rate: keep when (bits >> 8) >= threshold. */
uint32_t clcnn_dropout_threshold(float rate);
float clcnn_dropout_scale(float rate);

/* ---- softmax + sparse categorical cross-entropy ------------------------------------------------ */

/* logits: [N, C], labels: [N] int32, dlogits: [N, C] or NULL (no gradient), loss: [N] */
/* smoothing: Keras's label_smoothing, from 0 (one-hot targets) to below 1 */
clcnn_status clcnn_softmax_cross_entropy(clcnn_context *context, int N, int C, float smoothing,
                                         const clcnn_buffer *logits, const clcnn_buffer *labels,
                                         clcnn_buffer *dlogits, clcnn_buffer *loss);
void clcnn_ref_softmax_cross_entropy(int N, int C, float smoothing, const float *logits,
                                     const int32_t *labels, float *dlogits, float *loss);

/* ---- optimizers -------------------------------------------------------------------------------- */

typedef struct clcnn_adam_step {
    float alpha; /* lr * sqrt(1 - beta2^t) / (1 - beta1^t), from clcnn_adam_alpha() */
    float beta1, beta2, epsilon;
} clcnn_adam_step;

/* Keras's bias-corrected step size for step t (1-based), computed in double. */
float clcnn_adam_alpha(double learning_rate, double beta1, double beta2, uint64_t t);

/* SGD as Keras applies it, with momentum (0: plain) and optionally Nesterov's. */
typedef struct clcnn_sgd_step {
    float learning_rate, momentum;
    bool nesterov;
} clcnn_sgd_step;

/* Decoupled weight decay (Keras 3's, for every optimizer): param -= factor * param before the
 * update, factor = lr * weight_decay, on the first `count` parameters only. */
typedef struct clcnn_decay {
    float factor;
    int count;
} clcnn_decay;

/* param, grad, m, v, velocity: `count` floats */
clcnn_status clcnn_adam_update(clcnn_context *context, const clcnn_adam_step *step,
                               const clcnn_decay *decay, int count, clcnn_buffer *param,
                               const clcnn_buffer *grad, clcnn_buffer *m, clcnn_buffer *v);
clcnn_status clcnn_sgd_update(clcnn_context *context, const clcnn_sgd_step *step,
                              const clcnn_decay *decay, int count, clcnn_buffer *param,
                              const clcnn_buffer *grad, clcnn_buffer *velocity);

void clcnn_ref_adam_update(const clcnn_adam_step *step, const clcnn_decay *decay, int count,
                           float *param, const float *grad, float *m, float *v);
void clcnn_ref_sgd_update(const clcnn_sgd_step *step, const clcnn_decay *decay, int count,
                          float *param, const float *grad, float *velocity);

/* ---- metrics ------------------------------------------------------------------------------------ */

/* totals: [3] floats = {sum of loss, correct predictions, labels outside 0..C-1} */
clcnn_status clcnn_metrics_reduce(clcnn_context *context, int N, int C,
                                  const clcnn_buffer *logits, const clcnn_buffer *labels,
                                  const clcnn_buffer *loss, clcnn_buffer *totals);
/* predictions: [N] int32, first maximum of each row */
clcnn_status clcnn_argmax(clcnn_context *context, int N, int C, const clcnn_buffer *logits,
                          clcnn_buffer *predictions);

void clcnn_ref_metrics_reduce(int N, int C, const float *logits, const int32_t *labels,
                              const float *loss, float *totals);
void clcnn_ref_argmax(int N, int C, const float *logits, int32_t *predictions);

/* ---- shared checks --------------------------------------------------------------------------------- */

/* Fails with a message naming the op and argument when the buffer is smaller than needed. */
clcnn_status clcnn_require_bytes(const char *op, const char *argument, const clcnn_buffer *buffer,
                                 size_t elements, size_t element_size);

/* ---- check (host/check.c) ------------------------------------------------------------- */

/* clcnn_check_run_timed restricted to the case families named, space-separated, in
 * `families` ("conv2d", "maxpool2d", "activation", "dense", "dropout", "softmax_and_metrics",
 * "optimizers"); NULL runs every case. `clcnn tune` times its candidates with it. */
clcnn_status clcnn_check_families(clcnn_context *context, clcnn_check_shapes shapes,
                                  const char *families, uint64_t seed, int timing_runs,
                                  clcnn_check_callback callback, void *user_data, int *failures);

#endif
