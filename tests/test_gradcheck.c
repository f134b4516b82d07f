/* Every reference backward against central finite differences of its forward, in double, and
 * the whole-network loss (conv, ReLU, pooling, dense, dropout, softmax cross-entropy) against
 * a sample of the weights of every layer. Also Philox-4x32-10's published answers.
 *
 * Each op's loss is L = sum(y * r) for a fixed random r, so dL/dy = r is fed to backward.
 * Step h = 1e-2: float rounding in the forward contributes about 1e-7 |L| / h to the
 * difference, far under the tolerance 2e-3 + 1e-2 |analytic|. Inputs keep clear of the kinks
 * of ReLU and max pooling by more than h, so the differences never straddle one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clcnn/train.h>

#include "harness.h"
#include "ops.h"

#define STEP 1e-2f
#define SAMPLES 12

static uint64_t random_state = 12345;

static double uniform(double low, double high)
{
    random_state = random_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return low + (high - low) * (double)(random_state >> 11) * 0x1p-53;
}

/* Values in [-1, 1] at least 0.05 from zero (ReLU's kink). */
static float *random_away_from_zero(size_t count)
{
    float *values = malloc(count * sizeof *values);
    for (size_t i = 0; i < count; i++) {
        double magnitude = uniform(0.05, 1.0);
        values[i] = (float)(uniform(0, 1) < 0.5 ? -magnitude : magnitude);
    }
    return values;
}

/* A shuffled ladder of distinct values 0.1 apart: no two pooling candidates are within 2h. */
static float *random_distinct(size_t count)
{
    float *values = malloc(count * sizeof *values);
    for (size_t i = 0; i < count; i++)
        values[i] = 0.1f * (float)i - 0.05f * (float)count;
    for (size_t i = count - 1; i > 0; i--) {
        size_t j = (size_t)uniform(0, (double)i + 1);
        float t = values[i];
        values[i] = values[j];
        values[j] = t;
    }
    return values;
}

static double dot(const float *a, const float *b, size_t count)
{
    double sum = 0.0;
    for (size_t i = 0; i < count; i++)
        sum += (double)a[i] * b[i];
    return sum;
}

typedef double (*loss_function)(void *state);

/* Compares analytic[i] with the central difference of loss() in param[i] at SAMPLES indices. */
static void check_gradient(const char *name, float *param, const float *analytic, size_t count,
                           loss_function loss, void *state)
{
    size_t samples = count < SAMPLES ? count : SAMPLES;
    for (size_t s = 0; s < samples; s++) {
        size_t i = s * count / samples;
        float saved = param[i];
        float plus = saved + STEP, minus = saved - STEP;
        param[i] = plus;
        double loss_plus = loss(state);
        param[i] = minus;
        double loss_minus = loss(state);
        param[i] = saved;
        double numeric = (loss_plus - loss_minus) / ((double)plus - (double)minus);
        double tolerance = 2e-3 + 1e-2 * fabs(analytic[i]);
        ck_assert_msg(fabs(numeric - analytic[i]) <= tolerance,
                      "%s[%zu]: analytic %.6g, finite difference %.6g", name, i, analytic[i],
                      numeric);
    }
}

/* ---- conv2d ---------------------------------------------------------------------------- */

typedef struct conv_state {
    clcnn_conv2d_shape s;
    float *x, *w, *b, *y, *r;
} conv_state;

static double conv_loss(void *p)
{
    conv_state *c = p;
    clcnn_ref_conv2d_forward(&c->s, c->x, c->w, c->b, c->y);
    return dot(c->y, c->r, (size_t)c->s.N * c->s.OC * c->s.OH * c->s.OW);
}

static void check_conv2d(int N, int C, int H, int W, int OC, int K, int stride, clcnn_padding padding)
{
    conv_state c;
    ck_assert_ok(clcnn_conv2d_shape_make(N, C, H, W, OC, K, K, stride, stride, padding, &c.s));
    size_t x_count = (size_t)N * C * H * W, w_count = (size_t)OC * C * K * K;
    size_t y_count = (size_t)N * OC * c.s.OH * c.s.OW;
    c.x = random_away_from_zero(x_count);
    c.w = random_away_from_zero(w_count);
    c.b = random_away_from_zero((size_t)OC);
    c.r = random_away_from_zero(y_count);
    c.y = malloc(y_count * sizeof(float));
    float *dx = malloc(x_count * sizeof(float)), *dw = malloc(w_count * sizeof(float));
    float *db = malloc((size_t)OC * sizeof(float));
    clcnn_ref_conv2d_backward_data(&c.s, c.r, c.w, dx);
    clcnn_ref_conv2d_backward_weights(&c.s, c.x, c.r, dw);
    clcnn_ref_conv2d_backward_bias(&c.s, c.r, db);
    check_gradient("conv2d dx", c.x, dx, x_count, conv_loss, &c);
    check_gradient("conv2d dw", c.w, dw, w_count, conv_loss, &c);
    check_gradient("conv2d db", c.b, db, (size_t)OC, conv_loss, &c);
    free(c.x), free(c.w), free(c.b), free(c.r), free(c.y), free(dx), free(dw), free(db);
}

START_TEST(conv2d_gradients)
{
    check_conv2d(2, 3, 5, 6, 4, 3, 1, CLCNN_PADDING_SAME);
    check_conv2d(1, 2, 7, 7, 3, 3, 2, CLCNN_PADDING_VALID);
    check_conv2d(2, 1, 6, 5, 2, 2, 2, CLCNN_PADDING_SAME);
}
END_TEST

/* ---- maxpool2d ------------------------------------------------------------------------- */

typedef struct pool_state {
    clcnn_pool2d_shape s;
    float *x, *y, *r;
    int32_t *argmax;
} pool_state;

static double pool_loss(void *p)
{
    pool_state *c = p;
    clcnn_ref_maxpool2d_forward(&c->s, c->x, c->y, c->argmax);
    return dot(c->y, c->r, (size_t)c->s.N * c->s.C * c->s.OH * c->s.OW);
}

START_TEST(maxpool2d_gradients)
{
    const int configurations[3][3] = {{2, 2, 0}, {3, 2, 0}, {3, 1, 1}}; /* size, stride, same */
    for (int k = 0; k < 3; k++) {
        pool_state c;
        ck_assert_ok(clcnn_pool2d_shape_make(2, 3, 7, 6, configurations[k][0], configurations[k][0],
                                             configurations[k][1], configurations[k][1],
                                             configurations[k][2] ? CLCNN_PADDING_SAME
                                                                  : CLCNN_PADDING_VALID,
                                             &c.s));
        size_t x_count = 2 * 3 * 7 * 6, y_count = (size_t)2 * 3 * c.s.OH * c.s.OW;
        c.x = random_distinct(x_count);
        c.r = random_away_from_zero(y_count);
        c.y = malloc(y_count * sizeof(float));
        c.argmax = malloc(y_count * sizeof(int32_t));
        float *dx = malloc(x_count * sizeof(float));
        pool_loss(&c);
        clcnn_ref_maxpool2d_backward(&c.s, c.r, c.argmax, NULL, dx);
        check_gradient("maxpool2d dx", c.x, dx, x_count, pool_loss, &c);
        free(c.x), free(c.r), free(c.y), free(c.argmax), free(dx);
    }
}
END_TEST

/* ---- avgpool2d ------------------------------------------------------------------------- */

static double avgpool_loss(void *p)
{
    pool_state *c = p;
    clcnn_ref_avgpool2d_forward(&c->s, c->x, c->y);
    return dot(c->y, c->r, (size_t)c->s.N * c->s.C * c->s.OH * c->s.OW);
}

START_TEST(avgpool2d_gradients)
{
    /* KH, KW, stride, same: overlapping windows, padded edges (not counted), a global pool */
    const int configurations[4][4] = {{2, 2, 2, 0}, {3, 3, 2, 1}, {3, 3, 1, 1}, {7, 6, 1, 0}};
    for (int k = 0; k < 4; k++) {
        const int *f = configurations[k];
        pool_state c;
        ck_assert_ok(clcnn_pool2d_shape_make(2, 3, 7, 6, f[0], f[1], f[2], f[2],
                                             f[3] ? CLCNN_PADDING_SAME : CLCNN_PADDING_VALID, &c.s));
        size_t x_count = 2 * 3 * 7 * 6, y_count = (size_t)2 * 3 * c.s.OH * c.s.OW;
        c.x = random_away_from_zero(x_count);
        c.r = random_away_from_zero(y_count);
        c.y = malloc(y_count * sizeof(float));
        float *dx = malloc(x_count * sizeof(float));
        clcnn_ref_avgpool2d_backward(&c.s, c.r, dx);
        check_gradient("avgpool2d dx", c.x, dx, x_count, avgpool_loss, &c);
        free(c.x), free(c.r), free(c.y), free(dx);
    }
}
END_TEST

/* ---- batchnorm ------------------------------------------------------------------------- */

/* Batch norm with its ReLU fused in equals batch norm, then activation relu, forward and
 * backward, bit for bit: the fused twin is the composition of two twins checked here. */
START_TEST(batchnorm_relu_is_batchnorm_then_relu)
{
    const clcnn_batchnorm_shape plain = {5, 3, 7, 0.9f, 1e-3f, false};
    clcnn_batchnorm_shape fused = plain;
    fused.relu = true;
    enum { count = 5 * 3 * 7 };
    float *x = random_away_from_zero(count), *dy = random_away_from_zero(count);
    float gamma[3] = {0.7f, -1.2f, 1.5f}, beta[3] = {0.3f, -0.2f, 0.0f}, moving[2][2][3] = {{{0}}};
    float stats[2][6], y[2][count], z[count], dz[count], dgamma[2][3], dbeta[2][3], dx[2][count];
    clcnn_ref_batchnorm_forward(&plain, true, x, gamma, beta, moving[0][0], moving[0][1], stats[0], z);
    clcnn_ref_activation_forward(CLCNN_ACTIVATION_RELU, 0.0f, (int)count, z, y[0]);
    clcnn_ref_activation_backward(CLCNN_ACTIVATION_RELU, 0.0f, (int)count, y[0], dy, dz);
    clcnn_ref_batchnorm_backward(&plain, x, NULL, gamma, stats[0], dz, dgamma[0], dbeta[0], dx[0]);
    clcnn_ref_batchnorm_forward(&fused, true, x, gamma, beta, moving[1][0], moving[1][1], stats[1], y[1]);
    clcnn_ref_batchnorm_backward(&fused, x, y[1], gamma, stats[1], dy, dgamma[1], dbeta[1], dx[1]);
    int cut = 0;
    for (int i = 0; i < count; i++)
        cut += y[0][i] == 0.0f;
    ck_assert_msg(cut > count / 5 && cut < count - count / 5, "%d of %d cut", cut, count);
    ck_assert_mem_eq(y[0], y[1], sizeof y[0]);
    ck_assert_mem_eq(dx[0], dx[1], sizeof dx[0]);
    ck_assert_mem_eq(dgamma[0], dgamma[1], sizeof dgamma[0]);
    ck_assert_mem_eq(dbeta[0], dbeta[1], sizeof dbeta[0]);
    free(x), free(dy);
}
END_TEST

typedef struct batchnorm_state {
    clcnn_batchnorm_shape s;
    float *x, *gamma, *beta, *y, *r, *stats, moving_mean[8], moving_variance[8];
} batchnorm_state;

/* Training mode: y depends on x through the batch's statistics too, which is what the
 * analytic dx must account for. */
static double batchnorm_loss(void *p)
{
    batchnorm_state *c = p;
    clcnn_ref_batchnorm_forward(&c->s, true, c->x, c->gamma, c->beta, c->moving_mean,
                                c->moving_variance, c->stats, c->y);
    return dot(c->y, c->r, (size_t)c->s.N * c->s.C * c->s.HW);
}

START_TEST(batchnorm_gradients)
{
    const int shapes[2][3] = {{3, 4, 5}, {6, 3, 1}}; /* N, C, HW: after a conv, after a dense */
    for (int k = 0; k < 2; k++) {
        batchnorm_state c = {.s = {shapes[k][0], shapes[k][1], shapes[k][2], 0.99f, 1e-3f, false}};
        size_t count = (size_t)c.s.N * c.s.C * c.s.HW, C = (size_t)c.s.C;
        c.x = random_away_from_zero(count);
        c.r = random_away_from_zero(count);
        c.gamma = random_away_from_zero(C);
        c.beta = random_away_from_zero(C);
        c.y = malloc(count * sizeof(float));
        c.stats = malloc(2 * C * sizeof(float));
        float *dx = malloc(count * sizeof(float)), *dgamma = malloc(C * sizeof(float)),
              *dbeta = malloc(C * sizeof(float));
        batchnorm_loss(&c);
        clcnn_ref_batchnorm_backward(&c.s, c.x, c.y, c.gamma, c.stats, c.r, dgamma, dbeta, dx);
        check_gradient("batchnorm dx", c.x, dx, count, batchnorm_loss, &c);
        check_gradient("batchnorm dgamma", c.gamma, dgamma, C, batchnorm_loss, &c);
        check_gradient("batchnorm dbeta", c.beta, dbeta, C, batchnorm_loss, &c);
        free(c.x), free(c.r), free(c.gamma), free(c.beta), free(c.y), free(c.stats);
        free(dx), free(dgamma), free(dbeta);
    }
}
END_TEST

/* ---- activations ----------------------------------------------------------------------- */

typedef struct activation_state {
    clcnn_activation kind;
    int count;
    float *x, *y, *r;
} activation_state;

static double activation_loss(void *p)
{
    activation_state *c = p;
    clcnn_ref_activation_forward(c->kind, 0.3f, c->count, c->x, c->y);
    return dot(c->y, c->r, (size_t)c->count);
}

START_TEST(activation_gradients)
{
    const clcnn_activation kinds[] = {CLCNN_ACTIVATION_RELU, CLCNN_ACTIVATION_SIGMOID,
                                      CLCNN_ACTIVATION_TANH, CLCNN_ACTIVATION_LEAKY_RELU};
    for (int k = 0; k < 4; k++) {
        activation_state c = {kinds[k], 50, random_away_from_zero(50), malloc(50 * sizeof(float)),
                              random_away_from_zero(50)};
        float *dx = malloc(50 * sizeof(float));
        activation_loss(&c);
        clcnn_ref_activation_backward(c.kind, 0.3f, c.count, c.y, c.r, dx);
        check_gradient(clcnn_activation_name(c.kind), c.x, dx, 50, activation_loss, &c);
        free(c.x), free(c.y), free(c.r), free(dx);
    }
}
END_TEST

/* ---- dense ------------------------------------------------------------------------------- */

typedef struct dense_state {
    clcnn_dense_shape s;
    float *x, *w, *b, *y, *r;
} dense_state;

static double dense_loss(void *p)
{
    dense_state *c = p;
    clcnn_ref_dense_forward(&c->s, c->x, c->w, c->b, c->y);
    return dot(c->y, c->r, (size_t)c->s.N * c->s.O);
}

START_TEST(dense_gradients)
{
    dense_state c = {.s = {3, 7, 5}};
    c.x = random_away_from_zero(21);
    c.w = random_away_from_zero(35);
    c.b = random_away_from_zero(5);
    c.r = random_away_from_zero(15);
    c.y = malloc(15 * sizeof(float));
    float dx[21], dw[35], db[5];
    clcnn_ref_dense_backward_data(&c.s, c.r, c.w, dx);
    clcnn_ref_dense_backward_weights(&c.s, c.x, c.r, dw);
    clcnn_ref_dense_backward_bias(&c.s, c.r, db);
    check_gradient("dense dx", c.x, dx, 21, dense_loss, &c);
    check_gradient("dense dw", c.w, dw, 35, dense_loss, &c);
    check_gradient("dense db", c.b, db, 5, dense_loss, &c);
    free(c.x), free(c.w), free(c.b), free(c.r), free(c.y);
}
END_TEST

/* ---- dropout, softmax cross-entropy -------------------------------------------------------- */

typedef struct dropout_state {
    clcnn_dropout_params p;
    float *x, *y, *r;
} dropout_state;

static double dropout_loss(void *p)
{
    dropout_state *c = p;
    clcnn_ref_dropout_forward(&c->p, c->x, c->y);
    return dot(c->y, c->r, (size_t)c->p.count);
}

START_TEST(dropout_gradient_and_mask)
{
    dropout_state c = {{.count = 100, .first = 5, .rate = 0.5f, .seed = 99, .step = 3, .layer = 1}, random_away_from_zero(100), malloc(400),
                       random_away_from_zero(100)};
    float dx[100];
    clcnn_ref_dropout_backward(&c.p, c.r, dx);
    check_gradient("dropout dx", c.x, dx, 100, dropout_loss, &c);
    int kept = 0;
    dropout_loss(&c);
    for (int i = 0; i < 100; i++) {
        ck_assert(c.y[i] == 0.0f || c.y[i] == c.x[i] * 2.0f);
        kept += c.y[i] != 0.0f;
    }
    ck_assert_int_gt(kept, 30); /* rate 0.5 of 100: about 50 kept */
    ck_assert_int_lt(kept, 70);
    free(c.x), free(c.y), free(c.r);
}
END_TEST

typedef struct softmax_state {
    int N, C;
    float *logits, *loss;
    int32_t *labels;
    float smoothing;
} softmax_state;

static double softmax_loss(void *p)
{
    softmax_state *c = p;
    clcnn_ref_softmax_cross_entropy(c->N, c->C, c->smoothing, c->logits, c->labels, NULL, c->loss);
    double sum = 0.0;
    for (int n = 0; n < c->N; n++)
        sum += c->loss[n];
    return sum / c->N;
}

/* With one-hot targets and with Keras's label smoothing 0.1. */
START_TEST(softmax_cross_entropy_gradient)
{
    for (int smoothed = 0; smoothed < 2; smoothed++) {
        softmax_state c = {4, 10, random_away_from_zero(40), malloc(4 * sizeof(float)), NULL,
                           smoothed ? 0.1f : 0.0f};
        int32_t labels[4] = {0, 9, 3, 3};
        c.labels = labels;
        float dlogits[40];
        clcnn_ref_softmax_cross_entropy(c.N, c.C, c.smoothing, c.logits, c.labels, dlogits, c.loss);
        check_gradient("softmax dlogits", c.logits, dlogits, 40, softmax_loss, &c);
        free(c.logits), free(c.loss);
    }
    /* Keras: logits 0 over 4 classes, smoothing 0.2: targets 0.85 / 0.05, loss log 4 */
    softmax_state k = {1, 4, calloc(4, sizeof(float)), malloc(sizeof(float)), NULL, 0.2f};
    int32_t label = 2;
    k.labels = &label;
    float d[4];
    clcnn_ref_softmax_cross_entropy(1, 4, 0.2f, k.logits, k.labels, d, k.loss);
    ck_assert_float_eq_tol(k.loss[0], logf(4.0f), 1e-6f);
    ck_assert_float_eq_tol(d[2], 0.25f - 0.85f, 1e-6f);
    ck_assert_float_eq_tol(d[0], 0.25f - 0.05f, 1e-6f);
    free(k.logits), free(k.loss);
}
END_TEST

/* ---- the whole network ----------------------------------------------------------------------
 * x [2,3,8,8] -> conv 3x3 same (4) -> ReLU -> maxpool 2 -> flatten [2,64] -> dense 6 -> ReLU
 *   -> dropout 0.5 -> dense 3 -> softmax cross-entropy (mean over the batch) */

typedef struct network {
    clcnn_conv2d_shape conv;
    clcnn_pool2d_shape pool;
    clcnn_dense_shape dense1, dense2;
    clcnn_dropout_params dropout;
    float *x, *conv_w, *conv_b, *dense1_w, *dense1_b, *dense2_w, *dense2_b;
    float conv_y[2 * 4 * 8 * 8], pool_y[2 * 64], dense1_y[12], relu2_y[12], drop_y[12],
        logits[6], loss[2];
    int32_t argmax[2 * 64], labels[2];
} network;

static double network_loss(void *p)
{
    network *n = p;
    clcnn_ref_conv2d_forward(&n->conv, n->x, n->conv_w, n->conv_b, n->conv_y);
    clcnn_ref_activation_forward(CLCNN_ACTIVATION_RELU, 0, 2 * 4 * 64, n->conv_y, n->conv_y);
    clcnn_ref_maxpool2d_forward(&n->pool, n->conv_y, n->pool_y, n->argmax);
    clcnn_ref_dense_forward(&n->dense1, n->pool_y, n->dense1_w, n->dense1_b, n->dense1_y);
    clcnn_ref_activation_forward(CLCNN_ACTIVATION_RELU, 0, 12, n->dense1_y, n->relu2_y);
    clcnn_ref_dropout_forward(&n->dropout, n->relu2_y, n->drop_y);
    clcnn_ref_dense_forward(&n->dense2, n->drop_y, n->dense2_w, n->dense2_b, n->logits);
    clcnn_ref_softmax_cross_entropy(2, 3, 0.0f, n->logits, n->labels, NULL, n->loss);
    return ((double)n->loss[0] + n->loss[1]) / 2;
}

START_TEST(whole_network_gradients)
{
    network n = {.dense1 = {2, 64, 6}, .dense2 = {2, 6, 3}, .dropout = {.count = 12, .first = 24, .rate = 0.5f, .seed = 7, .step = 1, .layer = 3},
                 .labels = {1, 2}};
    ck_assert_ok(clcnn_conv2d_shape_make(2, 3, 8, 8, 4, 3, 3, 1, 1, CLCNN_PADDING_SAME, &n.conv));
    ck_assert_ok(clcnn_pool2d_shape_make(2, 4, 8, 8, 2, 2, 2, 2, CLCNN_PADDING_VALID, &n.pool));
    n.x = random_distinct(2 * 3 * 64);
    for (int i = 0; i < 2 * 3 * 64; i++)
        n.x[i] *= 0.05f;
    n.conv_w = random_away_from_zero(4 * 3 * 9);
    n.conv_b = random_away_from_zero(4);
    n.dense1_w = random_away_from_zero(64 * 6);
    n.dense1_b = random_away_from_zero(6);
    n.dense2_w = random_away_from_zero(6 * 3);
    n.dense2_b = random_away_from_zero(3);
    network_loss(&n);

    float dlogits[6], d_drop[12], d_relu2[12], d_dense1[12], d_pool[128], d_conv[512];
    float g_conv_w[108], g_conv_b[4], g_dense1_w[384], g_dense1_b[6], g_dense2_w[18], g_dense2_b[3];
    clcnn_ref_softmax_cross_entropy(2, 3, 0.0f, n.logits, n.labels, dlogits, n.loss);
    clcnn_ref_dense_backward_weights(&n.dense2, n.drop_y, dlogits, g_dense2_w);
    clcnn_ref_dense_backward_bias(&n.dense2, dlogits, g_dense2_b);
    clcnn_ref_dense_backward_data(&n.dense2, dlogits, n.dense2_w, d_drop);
    clcnn_ref_dropout_backward(&n.dropout, d_drop, d_relu2);
    clcnn_ref_activation_backward(CLCNN_ACTIVATION_RELU, 0, 12, n.relu2_y, d_relu2, d_dense1);
    clcnn_ref_dense_backward_weights(&n.dense1, n.pool_y, d_dense1, g_dense1_w);
    clcnn_ref_dense_backward_bias(&n.dense1, d_dense1, g_dense1_b);
    clcnn_ref_dense_backward_data(&n.dense1, d_dense1, n.dense1_w, d_pool);
    clcnn_ref_maxpool2d_backward(&n.pool, d_pool, n.argmax, NULL, d_conv);
    clcnn_ref_activation_backward(CLCNN_ACTIVATION_RELU, 0, 512, n.conv_y, d_conv, d_conv);
    clcnn_ref_conv2d_backward_weights(&n.conv, n.x, d_conv, g_conv_w);
    clcnn_ref_conv2d_backward_bias(&n.conv, d_conv, g_conv_b);

    check_gradient("network dense2 w", n.dense2_w, g_dense2_w, 18, network_loss, &n);
    check_gradient("network dense2 b", n.dense2_b, g_dense2_b, 3, network_loss, &n);
    check_gradient("network dense1 w", n.dense1_w, g_dense1_w, 384, network_loss, &n);
    check_gradient("network dense1 b", n.dense1_b, g_dense1_b, 6, network_loss, &n);
    check_gradient("network conv w", n.conv_w, g_conv_w, 108, network_loss, &n);
    check_gradient("network conv b", n.conv_b, g_conv_b, 4, network_loss, &n);
    free(n.x), free(n.conv_w), free(n.conv_b), free(n.dense1_w), free(n.dense1_b);
    free(n.dense2_w), free(n.dense2_b);
}
END_TEST

/* ---- Philox-4x32-10 known answers (Random123's kat_vectors) ------------------------------------ */

START_TEST(philox_known_answers)
{
    const uint32_t counters[3][4] = {{0, 0, 0, 0},
                                     {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                                     {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}};
    const uint32_t keys[3][2] = {{0, 0}, {0xffffffff, 0xffffffff}, {0xa4093822, 0x299f31d0}};
    const uint32_t expected[3][4] = {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                                     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                                     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}};
    for (int k = 0; k < 3; k++) {
        uint32_t out[4];
        clcnn_philox4x32_10(counters[k], keys[k], out);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(out[i] == expected[k][i], "vector %d word %d: %08x, expected %08x", k, i,
                          out[i], expected[k][i]);
    }
}
END_TEST

START_TEST(keras_output_sizes)
{
    clcnn_conv2d_shape s;
    ck_assert_ok(clcnn_conv2d_shape_make(1, 1, 7, 8, 1, 3, 3, 2, 2, CLCNN_PADDING_SAME, &s));
    ck_assert_int_eq(s.OH, 4); /* ceil(7 / 2) */
    ck_assert_int_eq(s.OW, 4);
    ck_assert_int_eq(s.pad_top, 1); /* total 2: one on each side */
    ck_assert_int_eq(s.pad_left, 0); /* total 1: the odd one goes right */
    ck_assert_ok(clcnn_conv2d_shape_make(1, 1, 7, 7, 1, 3, 3, 2, 2, CLCNN_PADDING_VALID, &s));
    ck_assert_int_eq(s.OH, 3);
    clcnn_pool2d_shape p;
    ck_assert_ok(clcnn_pool2d_shape_make(1, 1, 7, 7, 2, 2, 2, 2, CLCNN_PADDING_VALID, &p));
    ck_assert_int_eq(p.OH, 3); /* floor for odd sizes */
    ck_assert_int_eq(clcnn_conv2d_shape_make(1, 1, 2, 2, 1, 3, 3, 1, 1, CLCNN_PADDING_VALID, &s),
                     CLCNN_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(clcnn_conv2d_shape_make(0, 1, 2, 2, 1, 1, 1, 1, 1, CLCNN_PADDING_SAME, &s),
                     CLCNN_ERROR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(adam_step_size_matches_keras)
{
    /* lr sqrt(1 - 0.999^t) / (1 - 0.9^t): at t=1 that is lr * sqrt(0.001) / 0.1 */
    ck_assert_double_eq_tol(clcnn_adam_alpha(1e-3, 0.9, 0.999, 1), 1e-3 * sqrt(0.001) / 0.1, 1e-9);
    ck_assert_double_eq_tol(clcnn_adam_alpha(1e-3, 0.9, 0.999, 100000), 1e-3, 1e-8);
}
END_TEST

/* Keras 3's SGD with Nesterov momentum and decoupled weight decay, worked by hand: lr 0.1,
 * momentum 0.9, weight decay 0.01 on the first parameter only, g = 0.5 twice. Step 1:
 * p = 1 - 0.1*0.01*1 = 0.999; v = -0.05; p += 0.9*v - 0.05 -> 0.904. Step 2: p = 0.904 - 0.000904;
 * v = 0.9*(-0.05) - 0.05 = -0.095; p += 0.9*v - 0.05 = -0.1355 -> 0.767596. */
START_TEST(sgd_nesterov_and_weight_decay_match_keras)
{
    const clcnn_sgd_step step = {0.1f, 0.9f, true};
    const clcnn_decay decay = {0.1f * 0.01f, 1};
    float param[2] = {1.0f, 1.0f}, velocity[2] = {0, 0};
    const float grad[2] = {0.5f, 0.5f};
    clcnn_ref_sgd_update(&step, &decay, 2, param, grad, velocity);
    ck_assert_float_eq_tol(param[0], 0.904f, 1e-6f);
    ck_assert_float_eq_tol(param[1], 0.905f, 1e-6f); /* not decayed */
    clcnn_ref_sgd_update(&step, &decay, 2, param, grad, velocity);
    ck_assert_float_eq_tol(velocity[0], -0.095f, 1e-6f);
    ck_assert_float_eq_tol(param[0], 0.767596f, 1e-6f);
    /* Adam with the same decay: the decay is applied to the parameter before the step */
    const clcnn_adam_step adam = {clcnn_adam_alpha(1e-3, 0.9, 0.999, 1), 0.9f, 0.999f, 1e-7f};
    const clcnn_decay adamw = {1e-3f * 0.004f, 1};
    float p[1] = {2.0f}, m[1] = {0}, v[1] = {0};
    clcnn_ref_adam_update(&adam, &adamw, 1, p, grad, m, v);
    /* m = 0.05, v = 0.00025 (g^2 * 0.001), step = alpha * m / (sqrt(v) + eps) = 1e-3 */
    ck_assert_float_eq_tol(p[0], 2.0f - 2.0f * 4e-6f - 1e-3f, 1e-6f);
}
END_TEST

/* Augmentation moves: in range, every value drawn, the same for the same (seed, step, sample),
 * another step another draw; a sample's moves do not depend on the batch it is in. */
START_TEST(augmentation_moves_are_keyed_and_in_range)
{
    int32_t moves[3 * 1000], again[3 * 1000], later[3 * 1000], shard[3 * 10];
    clcnn_augment_moves(5, 9, 0, 1000, 4, true, moves);
    clcnn_augment_moves(5, 9, 0, 1000, 4, true, again);
    clcnn_augment_moves(5, 10, 0, 1000, 4, true, later);
    clcnn_augment_moves(5, 9, 500, 10, 4, true, shard);
    int seen[9] = {0}, mirrored = 0, changed = 0;
    for (int n = 0; n < 1000; n++) {
        for (int k = 0; k < 2; k++) {
            ck_assert(moves[3 * n + k] >= -4 && moves[3 * n + k] <= 4);
            seen[moves[3 * n + k] + 4]++;
        }
        mirrored += moves[3 * n + 2];
        changed += memcmp(&moves[3 * n], &later[3 * n], 3 * sizeof(int32_t)) != 0;
    }
    for (int v = 0; v < 9; v++)
        ck_assert_int_gt(seen[v], 100); /* about 222 each */
    ck_assert(mirrored > 400 && mirrored < 600);
    ck_assert_int_gt(changed, 900);
    ck_assert_mem_eq(moves, again, sizeof moves);
    ck_assert_mem_eq(shard, moves + 3 * 500, sizeof shard);
}
END_TEST

/* The schedules at known points of a 100-step run with lr 0.1. */
START_TEST(learning_rate_schedules)
{
    clcnn_train_options o = clcnn_train_defaults();
    o.learning_rate = 0.1;
    o.total_steps = 100;
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 99), 0.1, 1e-12);
    o.warmup_steps = 10;
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 0), 0.01, 1e-12);
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 9), 0.1, 1e-12);
    o.warmup_steps = 0;
    o.schedule = CLCNN_SCHEDULE_STEP;
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 49), 0.1, 1e-12);
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 50), 0.01, 1e-12);
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 75), 0.001, 1e-12);
    o.schedule = CLCNN_SCHEDULE_COSINE;
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 0), 0.1, 1e-12);
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 50), 0.05, 1e-12);
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 100), 0.0, 1e-12);
    o.schedule = CLCNN_SCHEDULE_ONECYCLE; /* warm-up 20% by default */
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 0), 0.01, 1e-12);
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 20), 0.1, 1e-12);
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 60), 0.05, 1e-12);
    ck_assert_double_eq_tol(clcnn_learning_rate_at(&o, 100), 0.0, 1e-12);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("gradcheck");
    TCase *tc = tcase_create("reference");
    tcase_add_test(tc, conv2d_gradients);
    tcase_add_test(tc, maxpool2d_gradients);
    tcase_add_test(tc, avgpool2d_gradients);
    tcase_add_test(tc, batchnorm_gradients);
    tcase_add_test(tc, batchnorm_relu_is_batchnorm_then_relu);
    tcase_add_test(tc, activation_gradients);
    tcase_add_test(tc, dense_gradients);
    tcase_add_test(tc, dropout_gradient_and_mask);
    tcase_add_test(tc, softmax_cross_entropy_gradient);
    tcase_add_test(tc, whole_network_gradients);
    tcase_add_test(tc, philox_known_answers);
    tcase_add_test(tc, keras_output_sizes);
    tcase_add_test(tc, adam_step_size_matches_keras);
    tcase_add_test(tc, sgd_nesterov_and_weight_decay_match_keras);
    tcase_add_test(tc, learning_rate_schedules);
    tcase_add_test(tc, augmentation_moves_are_keyed_and_in_range);
    suite_add_tcase(suite, tc);
    return run_suite(suite);
}
