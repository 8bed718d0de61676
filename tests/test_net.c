/* test_net.c — core/net.h: conv, transposed conv, pooling, group norm and
 * activations forward and backward; ghost-clipped per-example norms and the
 * one-GEMM clipped sum; double backpropagation (tangents) through conv.
 *
 * References: direct-loop kernels (net_conv_naive, net_convt_naive, and a
 * pool / group-norm forward written here), central differences of the
 * double engine (gradients and double backprop), per-example gradients by
 * direct loops (net_example_grad_naive, itself checked against batches of
 * one), and PyTorch 1.13 values pasted from tests/ref/net_ref.py.
 * Tolerances: float kernels 1e-5 relative to the largest reference entry;
 * double engine against central differences (h = 1e-5) 1e-6.
 * B = batch, P = parameters, n = values per example. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <gsl/gsl_rng.h>

#include "core/blas.h"
#include "core/net.h"

TestSuite(net);

static gsl_rng *new_rng(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

/* max |a − b| / max |b| */
static double rel_err_fd(const float *a, const double *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs((double)a[k] - b[k]);
        if (d > num)
            num = d;
        if (fabs(b[k]) > den)
            den = fabs(b[k]);
    }
    return den > 0 ? num / den : num;
}

static double rel_err_dd(const double *a, const double *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs(a[k] - b[k]);
        if (d > num)
            num = d;
        if (fabs(b[k]) > den)
            den = fabs(b[k]);
    }
    return den > 0 ? num / den : num;
}

static double *random_d(gsl_rng *r, size_t n, double scale)
{
    double *x = malloc(n * sizeof *x);
    for (size_t k = 0; k < n; k++)
        x[k] = scale * (2.0 * gsl_rng_uniform(r) - 1.0);
    return x;
}

static float *to_f(const double *x, size_t n)
{
    float *y = malloc(n * sizeof *y);
    for (size_t k = 0; k < n; k++)
        y[k] = (float)x[k];
    return y;
}

static double *to_d(const float *x, size_t n)
{
    double *y = malloc(n * sizeof *y);
    for (size_t k = 0; k < n; k++)
        y[k] = x[k];
    return y;
}

/* A float and a double net with the same (randomly initialised) parameters. */
static void new_pair(const net_spec *s, unsigned long seed, net **f, netd **d)
{
    pa_err e = {0};
    cr_assert_eq(netd_new(s, d, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(net_new(s, f, &e), PA_OK, "%s", e.msg);
    gsl_rng *r = new_rng(seed);
    netd_init(*d, r);
    gsl_rng_free(r);
    /* group-norm γ, β away from 1, 0 so that their gradients are exercised */
    double *th = netd_params(*d);
    for (size_t l = 0; l < s->L; l++)
        if (s->layer[l].kind == NET_GROUPNORM) {
            size_t o = netd_param_offset(*d, l), c = netd_param_count(*d, l) / 2;
            for (size_t j = 0; j < c; j++) {
                th[o + j] = 1.0 + 0.3 * sin((double)j + 1);
                th[o + c + j] = 0.2 * cos((double)j);
            }
        }
    float *tf = net_params(*f);
    for (size_t k = 0; k < netd_nparams(*d); k++)
        tf[k] = (float)th[k];
    /* the double engine gets the float-rounded parameters, so both compute the same function */
    for (size_t k = 0; k < netd_nparams(*d); k++)
        th[k] = tf[k];
}

/* ---- forward of single layers against direct loops ---- */

typedef struct conv_case {
    size_t H, W, Cin, Cout, k, s, pad, opad;
} conv_case;

static conv_case conv_cases[] = {
    {.H = 7, .W = 6, .Cin = 3, .Cout = 5, .k = 3, .s = 1, .pad = 1},
    {.H = 7, .W = 7, .Cin = 1, .Cout = 6, .k = 3, .s = 1, .pad = 1},   /* K = 9: direct kernel */
    {.H = 8, .W = 8, .Cin = 2, .Cout = 4, .k = 4, .s = 2, .pad = 1},
    {.H = 9, .W = 7, .Cin = 4, .Cout = 3, .k = 3, .s = 2, .pad = 0},
    {.H = 5, .W = 5, .Cin = 1, .Cout = 6, .k = 5, .s = 1, .pad = 2},
    {.H = 4, .W = 3, .Cin = 3, .Cout = 2, .k = 4, .s = 2, .pad = 1, .opad = 1},
};

ParameterizedTestParameters(net, conv_forward_equals_direct_loops)
{
    return cr_make_param_array(conv_case, conv_cases, sizeof conv_cases / sizeof conv_cases[0]);
}

ParameterizedTest(conv_case *c, net, conv_forward_equals_direct_loops)
{
    for (int transpose = 0; transpose <= 1; transpose++) {
        net_layer_spec ls = {.kind = transpose ? NET_CONVT : NET_CONV, .out = c->Cout, .k = c->k,
                             .stride = c->s, .pad = c->pad, .out_pad = transpose ? c->opad : 0};
        net_spec s = {.H = c->H, .W = c->W, .C = c->Cin, .L = 1, .layer = &ls};
        net *f;
        netd *d;
        new_pair(&s, 11, &f, &d);
        size_t B = 3, n0 = net_size(f, 0), n1 = net_size(f, 1);
        gsl_rng *r = new_rng(5);
        double *X = random_d(r, B * n0, 1.0);
        float *Xf = to_f(X, B * n0);
        double *Xr = to_d(Xf, B * n0);
        const float *Y;
        cr_assert_eq(net_forward(f, Xf, B, &Y, NULL), PA_OK);
        double *Yn = malloc(B * n1 * sizeof *Yn);
        const double *th = netd_params(d);
        size_t wsz = net_param_count(f, 0) - c->Cout;
        if (transpose)
            net_convt_naive(Yn, Xr, th, th + wsz, B, c->H, c->W, c->Cin, c->Cout, c->k, c->s, c->pad,
                            c->opad);
        else
            net_conv_naive(Yn, Xr, th, th + wsz, B, c->H, c->W, c->Cin, c->Cout, c->k, c->s, c->pad);
        double e = rel_err_fd(Y, Yn, B * n1);
        cr_expect_lt(e, 1e-5, "%s forward: relative error %.3g", transpose ? "convT" : "conv", e);
        free(X), free(Xf), free(Xr), free(Yn);
        gsl_rng_free(r);
        net_free(f);
        netd_free(d);
    }
}

/* avgpool and group norm forward by direct loops, here */
Test(net, pool_and_groupnorm_forward_equal_direct_loops)
{
    size_t H = 6, W = 4, C = 6, G = 3, B = 2, k = 2;
    net_layer_spec ls[2] = {{.kind = NET_GROUPNORM, .groups = G}, {.kind = NET_AVGPOOL, .k = k, .stride = k}};
    net_spec s = {.H = H, .W = W, .C = C, .L = 2, .layer = ls};
    net *f;
    netd *d;
    new_pair(&s, 3, &f, &d);
    gsl_rng *r = new_rng(9);
    double *X = random_d(r, B * H * W * C, 2.0);
    float *Xf = to_f(X, B * H * W * C);
    const float *Y;
    cr_assert_eq(net_forward(f, Xf, B, &Y, NULL), PA_OK);
    const double *th = netd_params(d);
    double *gn = malloc(B * H * W * C * sizeof *gn);
    for (size_t i = 0; i < B; i++)
        for (size_t g = 0; g < G; g++) {
            double mu = 0, v = 0, cnt = (double)(H * W * C / G);
            for (size_t t = 0; t < H * W; t++)
                for (size_t c = g * C / G; c < (g + 1) * C / G; c++)
                    mu += (double)Xf[(i * H * W + t) * C + c];
            mu /= cnt;
            for (size_t t = 0; t < H * W; t++)
                for (size_t c = g * C / G; c < (g + 1) * C / G; c++) {
                    double dd = (double)Xf[(i * H * W + t) * C + c] - mu;
                    v += dd * dd;
                }
            v /= cnt;
            for (size_t t = 0; t < H * W; t++)
                for (size_t c = g * C / G; c < (g + 1) * C / G; c++) {
                    size_t q = (i * H * W + t) * C + c;
                    gn[q] = th[c] * ((double)Xf[q] - mu) / sqrt(v + 1e-5) + th[C + c];
                }
        }
    double e1 = rel_err_fd(net_output(f, 1), gn, B * H * W * C);
    cr_expect_lt(e1, 1e-5, "group norm forward: %.3g", e1);
    size_t Ho = H / k, Wo = W / k;
    double *pl = calloc(B * Ho * Wo * C, sizeof *pl);
    for (size_t i = 0; i < B; i++)
        for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W; x++)
                for (size_t c = 0; c < C; c++)
                    pl[((i * Ho + y / k) * Wo + x / k) * C + c] += gn[((i * H + y) * W + x) * C + c] / (double)(k * k);
    double e2 = rel_err_fd(Y, pl, B * Ho * Wo * C);
    cr_expect_lt(e2, 1e-5, "avgpool forward: %.3g", e2);
    free(X), free(Xf), free(gn), free(pl);
    gsl_rng_free(r);
    net_free(f);
    netd_free(d);
}

/* ---- a small net of every layer kind ---- */

/* 6×6×1 -> conv 3×3 (4) -> groupnorm(2) -> tanh -> avgpool 2 -> convT 4/2/1 (3)
 * -> sigmoid -> conv 3×3 s2 (5) -> lrelu -> flatten -> dense 3 */
static const net_layer_spec every_kind[] = {
    {.kind = NET_CONV, .out = 4, .k = 3, .stride = 1, .pad = 1},
    {.kind = NET_GROUPNORM, .groups = 2},
    {.kind = NET_ACT, .act = NET_TANH},
    {.kind = NET_AVGPOOL, .k = 2, .stride = 2},
    {.kind = NET_CONVT, .out = 3, .k = 4, .stride = 2, .pad = 1},
    {.kind = NET_ACT, .act = NET_SIGMOID},
    {.kind = NET_CONV, .out = 5, .k = 3, .stride = 2, .pad = 0},
    {.kind = NET_ACT, .act = NET_LRELU, .slope = 0.2},
    {.kind = NET_FLATTEN},
    {.kind = NET_DENSE, .out = 3},
};
static const net_spec every_spec = {.H = 6, .W = 6, .C = 1, .L = 10, .layer = every_kind};   /* K = 9 */

/* Σ_i ℓ_i for the double engine (cross-entropy) */
static double loss_d(netd *d, const double *X, size_t B, const int32_t *y)
{
    double s;
    cr_assert_eq(netd_forward(d, X, B, NULL, NULL), PA_OK);
    cr_assert_eq(netd_loss_xent(d, y, NULL, &s, NULL), PA_OK);
    return s;
}

Test(net, double_engine_gradients_equal_central_differences)
{
    net *f;
    netd *d;
    new_pair(&every_spec, 21, &f, &d);
    size_t B = 3, n0 = netd_size(d, 0), P = netd_nparams(d);
    gsl_rng *r = new_rng(2);
    double *X = random_d(r, B * n0, 1.0);
    int32_t y[3] = {0, 2, 1};
    loss_d(d, X, B, y);
    netd_backprop(d, 1);
    netd_grad_accumulate(d, NULL, 1, 0);
    double *g = malloc(P * sizeof *g), *gx = malloc(B * n0 * sizeof *gx);
    memcpy(g, netd_grads(d), P * sizeof *g);
    memcpy(gx, netd_dx(d), B * n0 * sizeof *gx);
    double *th = netd_params(d), h = 1e-5;
    double *cd = malloc(P * sizeof *cd), *cdx = malloc(B * n0 * sizeof *cdx);
    for (size_t k = 0; k < P; k++) {
        double t = th[k];
        th[k] = t + h;
        double up = loss_d(d, X, B, y);
        th[k] = t - h;
        double dn = loss_d(d, X, B, y);
        th[k] = t;
        cd[k] = (up - dn) / (2 * h);
    }
    for (size_t k = 0; k < B * n0; k++) {
        double t = X[k];
        X[k] = t + h;
        double up = loss_d(d, X, B, y);
        X[k] = t - h;
        double dn = loss_d(d, X, B, y);
        X[k] = t;
        cdx[k] = (up - dn) / (2 * h);
    }
    double e1 = rel_err_dd(g, cd, P), e2 = rel_err_dd(gx, cdx, B * n0);
    cr_expect_lt(e1, 1e-6, "parameter gradient vs central differences: %.3g", e1);
    cr_expect_lt(e2, 1e-6, "input gradient vs central differences: %.3g", e2);

    /* the float engine against the double one (same parameters, float-rounded inputs) */
    float *Xf = to_f(X, B * n0);
    double *Xr = to_d(Xf, B * n0);
    loss_d(d, Xr, B, y);
    netd_backprop(d, 1);
    netd_grad_accumulate(d, NULL, 1, 0);
    cr_assert_eq(net_forward(f, Xf, B, NULL, NULL), PA_OK);
    cr_assert_eq(net_loss_xent(f, y, NULL, NULL, NULL), PA_OK);
    net_backprop(f, 1);
    net_grad_accumulate(f, NULL, 1, 0);
    double e3 = rel_err_fd(net_output(f, every_spec.L), netd_output(d, every_spec.L), B * 3);
    double e4 = rel_err_fd(net_grads(f), netd_grads(d), P);
    double e5 = rel_err_fd(net_dx(f), netd_dx(d), B * n0);
    cr_expect_lt(e3, 1e-5, "float forward vs double: %.3g", e3);
    cr_expect_lt(e4, 1e-5, "float parameter gradient vs double: %.3g", e4);
    cr_expect_lt(e5, 1e-5, "float input gradient vs double: %.3g", e5);
    free(X), free(g), free(gx), free(cd), free(cdx), free(Xf), free(Xr);
    gsl_rng_free(r);
    net_free(f);
    netd_free(d);
}

/* ---- per-example norms and the clipped sum ---- */

/* 8×8×1 -> conv 3×3 p1 (8): T = 64, K = 9, Ko = 8: 2T² > K·Ko, materialised
 * -> relu -> avgpool 4 -> conv 2×2 (16): T = 1 ... use a 4×4 after pool 2:
 * conv 3×3 p1 (12) on 4×4: T = 16, K = 72, Ko = 12: 2T² = 512 < 864, ghost
 * -> groupnorm(3) -> tanh -> convT 3/1/1 (4): T = 16, K = 12, Ko = 36: 512 > 432 materialised
 * -> flatten -> dense 5 (T = 1, ghost) */
static const net_layer_spec clip_kind[] = {
    {.kind = NET_CONV, .out = 8, .k = 3, .stride = 1, .pad = 1},
    {.kind = NET_ACT, .act = NET_RELU},
    {.kind = NET_AVGPOOL, .k = 2, .stride = 2},
    {.kind = NET_CONV, .out = 12, .k = 3, .stride = 1, .pad = 1},
    {.kind = NET_GROUPNORM, .groups = 3},
    {.kind = NET_ACT, .act = NET_TANH},
    {.kind = NET_CONVT, .out = 4, .k = 3, .stride = 1, .pad = 1},
    {.kind = NET_FLATTEN},
    {.kind = NET_DENSE, .out = 5},
};
static const net_spec clip_spec = {.H = 8, .W = 8, .C = 1, .L = 9, .layer = clip_kind};   /* first conv K = 9 */

Test(net, naive_example_gradient_equals_a_batch_of_one)
{
    net *f;
    netd *d;
    new_pair(&clip_spec, 4, &f, &d);
    size_t B = 4, n0 = netd_size(d, 0), P = netd_nparams(d);
    gsl_rng *r = new_rng(8);
    double *X = random_d(r, B * n0, 1.0);
    int32_t y[4] = {0, 4, 2, 3};
    loss_d(d, X, B, y);
    netd_backprop(d, 0);
    double *g = malloc(P * sizeof *g);
    for (size_t i = 0; i < B; i++) {
        loss_d(d, X, B, y);
        netd_backprop(d, 0);
        netd_example_grad_naive(d, i, g);
        loss_d(d, X + i * n0, 1, y + i);
        netd_backward(d, 1);
        double e = rel_err_dd(g, netd_grads(d), P);
        cr_expect_lt(e, 1e-12, "example %zu: naive per-example gradient vs batch of one: %.3g", i, e);
    }
    free(X), free(g);
    gsl_rng_free(r);
    net_free(f);
    netd_free(d);
}

Test(net, ghost_clipped_norms_and_sum_equal_naive_per_example_gradients)
{
    net *f;
    netd *d;
    new_pair(&clip_spec, 6, &f, &d);
    size_t B = 16, n0 = net_size(f, 0), P = net_nparams(f);
    gsl_rng *r = new_rng(12);
    double *X = random_d(r, B * n0, 1.5);
    float *Xf = to_f(X, B * n0);
    int32_t y[16];
    for (size_t i = 0; i < B; i++)
        y[i] = (int32_t)(i % 5);
    cr_assert_eq(net_forward(f, Xf, B, NULL, NULL), PA_OK);
    cr_assert_eq(net_loss_xent(f, y, NULL, NULL, NULL), PA_OK);
    net_backprop(f, 0);
    double sq[16], sqn[16];
    float c[16], cn[16];
    net_example_sqnorms(f, sq);
    /* C between the smallest and the largest norm, so that some are clipped */
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < B; i++)
        lo = fmin(lo, sqrt(sq[i])), hi = fmax(hi, sqrt(sq[i]));
    double C = 0.5 * (lo + hi);
    cr_assert_eq(net_clip_sum_naive(f, C, sqn, cn, NULL), PA_OK);
    double *ref = to_d(net_grads(f), P);
    net_clip_sum(f, C, sq, c);
    size_t clipped = 0;
    for (size_t i = 0; i < B; i++) {
        cr_expect_lt(fabs(sq[i] - sqn[i]) / sqn[i], 1e-5, "example %zu: ghost %.9g vs naive %.9g", i,
                     sq[i], sqn[i]);
        cr_expect_lt(fabsf(c[i] - cn[i]), 1e-5f);
        clipped += cn[i] < 1;
    }
    cr_expect(clipped > 0 && clipped < B, "%zu of %zu clipped", clipped, B);
    double e = rel_err_fd(net_grads(f), ref, P);
    cr_expect_lt(e, 1e-5, "clipped sum vs naive: %.3g", e);
    free(X), free(Xf), free(ref);
    gsl_rng_free(r);
    net_free(f);
    netd_free(d);
}

/* example_sqnorms keeps some layers' per-example gradients for the clipped
 * sum (core/net_impl.h, STORE_*); a new batch must not reuse them */
Test(net, weighted_sum_after_a_new_batch_ignores_the_kept_gradients_of_the_last)
{
    net *f;
    netd *d;
    new_pair(&clip_spec, 6, &f, &d);
    size_t B = 16, n0 = net_size(f, 0), P = net_nparams(f);
    gsl_rng *r = new_rng(14);
    double *X1 = random_d(r, B * n0, 1.5), *X2 = random_d(r, B * n0, 1.5);
    float *X1f = to_f(X1, B * n0), *X2f = to_f(X2, B * n0);
    int32_t y[16];
    float c[16];
    double sq[16], sqn[16];
    for (size_t i = 0; i < B; i++)
        y[i] = (int32_t)(i % 5), c[i] = (float)(0.25 + 0.05 * (double)i);
    cr_assert_eq(net_forward(f, X1f, B, NULL, NULL), PA_OK);
    cr_assert_eq(net_loss_xent(f, y, NULL, NULL, NULL), PA_OK);
    net_backprop(f, 0);
    net_example_sqnorms(f, sq);
    cr_assert_eq(net_forward(f, X2f, B, NULL, NULL), PA_OK);
    cr_assert_eq(net_loss_xent(f, y, NULL, NULL, NULL), PA_OK);
    net_backprop(f, 0);
    net_grad_accumulate(f, c, 1, 0);
    double *ref = to_d(net_grads(f), P);   /* the GEMM path: nothing kept for this batch */
    net_example_sqnorms(f, sq);
    net_grad_accumulate(f, c, 1, 0);       /* now from the kept gradients */
    double e = rel_err_fd(net_grads(f), ref, P);
    cr_expect_lt(e, 1e-5, "weighted sum from kept gradients vs GEMM: %.3g", e);
    /* and c = NULL: the plain sum, against the naive per-example gradients */
    cr_assert_eq(net_clip_sum_naive(f, INFINITY, sqn, NULL, NULL), PA_OK);
    free(ref);
    ref = to_d(net_grads(f), P);
    net_grad_accumulate(f, NULL, 1, 0);
    e = rel_err_fd(net_grads(f), ref, P);
    cr_expect_lt(e, 1e-5, "sum from kept gradients vs naive: %.3g", e);
    for (size_t i = 0; i < B; i++)
        cr_expect_lt(fabs(sq[i] - sqn[i]) / sqn[i], 1e-5, "example %zu: %.9g vs naive %.9g", i, sq[i],
                     sqn[i]);
    free(X1), free(X2), free(X1f), free(X2f), free(ref);
    gsl_rng_free(r);
    net_free(f);
    netd_free(d);
}

/* pa_par_for (core/blas.h): every chunk exactly once, with a helper or without */
static void count_chunk(void *ctx, size_t k)
{
    __atomic_fetch_add((int *)ctx + k, 1, __ATOMIC_RELAXED);
}

Test(net, par_for_runs_every_chunk_once_with_and_without_the_helper)
{
    static int hits[1000];
    for (int cap = 1; cap <= 2; cap++) {
        pa_blas_cap(cap);
        for (int rep = 0; rep < 50; rep++) {
            memset(hits, 0, sizeof hits);
            size_t n = (size_t)(rep * 20 % 1000) + 1;
            pa_par_for(n, count_chunk, hits);
            for (size_t k = 0; k < 1000; k++)
                cr_assert_eq(hits[k], k < n ? 1 : 0, "cap %d, n %zu: chunk %zu ran %d times", cap, n, k,
                             hits[k]);
        }
    }
    pa_blas_cap(0);
}

/* The serial fallback when another pa_par_for is running: a pa_par_for
 * called from inside a chunk (on the caller's thread or on the helper's) finds
 * the lock taken and runs its chunks in order on its own thread; every inner
 * chunk of every outer chunk must run exactly once, and nothing may deadlock.
 * Two outside threads calling at once take the same path. */
typedef struct {
    int hits[40][40];
    size_t inner;
} nest_ctx;

typedef struct {
    nest_ctx *c;
    size_t k;
} nest_row;

static void nest_inner(void *ctx, size_t j)
{
    nest_row *row = ctx;
    __atomic_fetch_add(&row->c->hits[row->k][j], 1, __ATOMIC_RELAXED);
}

static void nest_outer(void *ctx, size_t k)
{
    nest_ctx *c = ctx;
    nest_row row = {c, k};
    pa_par_for(c->inner, nest_inner, &row);
}

static void *nest_thread(void *arg)
{
    nest_ctx *c = arg;
    pa_par_for(40, nest_outer, c);
    return NULL;
}

Test(net, par_for_called_while_another_runs_falls_back_to_serial_and_runs_every_chunk_once, .timeout = 60)
{
    static nest_ctx c[2];
    pa_blas_cap(2);
    for (size_t inner = 2; inner <= 40; inner += 19) {
        memset(c, 0, sizeof c);
        c[0].inner = c[1].inner = inner;
        pthread_t th[2];
        for (int t = 0; t < 2; t++)
            cr_assert_eq(pthread_create(&th[t], NULL, nest_thread, &c[t]), 0);
        for (int t = 0; t < 2; t++)
            pthread_join(th[t], NULL);
        for (int t = 0; t < 2; t++)
            for (size_t k = 0; k < 40; k++)
                for (size_t j = 0; j < 40; j++)
                    cr_assert_eq(c[t].hits[k][j], j < inner ? 1 : 0,
                                 "caller %d, outer chunk %zu, inner chunk %zu (of %zu) ran %d times", t, k, j,
                                 inner, c[t].hits[k][j]);
    }
    pa_blas_cap(0);
}

/* With the threshold at 1 every GEMM of the engine is cut into chunks shared
 * with the helper thread, and with B·n_l >= 2^16 the per-example kernels
 * are shared out too: each example's output and input gradient must equal
 * those of a batch of one (never chunked), and the clipped sum the naive
 * per-example gradients', to float rounding */
Test(net, chunked_kernels_on_two_threads_equal_a_batch_of_one_and_the_naive_sum)
{
    net *f;
    netd *d;
    new_pair(&clip_spec, 6, &f, &d);
    size_t B = 128, n0 = net_size(f, 0), P = net_nparams(f), p = net_size(f, net_nlayers(f));
    gsl_rng *r = new_rng(15);
    double *X = random_d(r, B * n0, 1.5);
    float *Xf = to_f(X, B * n0);
    int32_t y[128];
    for (size_t i = 0; i < B; i++)
        y[i] = (int32_t)(i % 5);
    pa_blas_cap(2);
    pa_blas_set_threshold(1);
    const float *Y;
    cr_assert_eq(net_forward(f, Xf, B, &Y, NULL), PA_OK);
    double *Yb = to_d(Y, B * p);
    cr_assert_eq(net_loss_xent(f, y, NULL, NULL, NULL), PA_OK);
    net_backprop(f, 1);
    double *dXb = to_d(net_dx(f), B * n0);
    static double sq[128], sqn[128];
    net_clip_sum(f, 0.5, sq, NULL);
    double *G = to_d(net_grads(f), P);
    cr_assert_eq(net_clip_sum_naive(f, 0.5, sqn, NULL, NULL), PA_OK);
    double e = rel_err_fd(net_grads(f), G, P);
    cr_expect_lt(e, 1e-5, "clipped sum, chunked vs naive: %.3g", e);
    for (size_t i = 0; i < B; i++)
        cr_expect_lt(fabs(sq[i] - sqn[i]) / sqn[i], 1e-5, "example %zu: chunked %.9g vs naive %.9g", i,
                     sq[i], sqn[i]);
    pa_blas_set_threshold(0);
    pa_blas_cap(1);
    double ey = 0, ed = 0;
    for (size_t i = 0; i < B; i++) {
        cr_assert_eq(net_forward(f, Xf + i * n0, 1, &Y, NULL), PA_OK);
        ey = fmax(ey, rel_err_fd(Y, Yb + i * p, p));
        cr_assert_eq(net_loss_xent(f, y + i, NULL, NULL, NULL), PA_OK);
        net_backprop(f, 1);
        ed = fmax(ed, rel_err_fd(net_dx(f), dXb + i * n0, n0));
    }
    pa_blas_cap(0);
    cr_expect_lt(ey, 1e-5, "outputs, chunked batch vs batches of one: %.3g", ey);
    cr_expect_lt(ed, 1e-5, "input gradients, chunked batch vs batches of one: %.3g", ed);
    free(X), free(Xf), free(Yb), free(dXb), free(G);
    gsl_rng_free(r);
    net_free(f);
    netd_free(d);
}

/* ---- Winograd F(2×2, 3×3) against im2col and the direct loops ---- */

typedef struct wino_case {
    size_t H, W, Cin, Cout, pad;
} wino_case;

static wino_case wino_cases[] = {
    {.H = 8, .W = 8, .Cin = 16, .Cout = 16, .pad = 1},    /* even output: whole tiles */
    {.H = 7, .W = 5, .Cin = 24, .Cout = 8, .pad = 1},     /* odd output: border tiles cut */
    {.H = 9, .W = 6, .Cin = 16, .Cout = 20, .pad = 0},
    {.H = 5, .W = 6, .Cin = 17, .Cout = 3, .pad = 2},
    {.H = 3, .W = 3, .Cin = 16, .Cout = 4, .pad = 0},     /* a 1×1 output */
};

ParameterizedTestParameters(net, winograd_conv_equals_im2col_and_direct_loops)
{
    return cr_make_param_array(wino_case, wino_cases, sizeof wino_cases / sizeof wino_cases[0]);
}

/* One conv, then tanh and a dense head (so that the output gradient is not
 * constant): forward against net_conv_naive; the input gradient, the
 * weighted gradient sum and the per-example norms against the im2col path of
 * the same engine (float 1e-5, double 1e-12: the transforms are exact in
 * exact arithmetic) */
ParameterizedTest(wino_case *c, net, winograd_conv_equals_im2col_and_direct_loops)
{
    net_layer_spec ls[4] = {
        {.kind = NET_CONV, .out = c->Cout, .k = 3, .stride = 1, .pad = c->pad},
        {.kind = NET_ACT, .act = NET_TANH},
        {.kind = NET_FLATTEN},
        {.kind = NET_DENSE, .out = 3},
    };
    net_spec s = {.H = c->H, .W = c->W, .C = c->Cin, .L = 4, .layer = ls};
    net *f;
    netd *d;
    new_pair(&s, 21, &f, &d);
    size_t B = 5, n0 = net_size(f, 0), n1 = net_size(f, 1), P = net_nparams(f);
    gsl_rng *r = new_rng(22);
    double *X = random_d(r, B * n0, 1.0);
    float *Xf = to_f(X, B * n0);
    double *Xr = to_d(Xf, B * n0);
    int32_t y[5] = {0, 2, 1, 1, 0};
    float cw[5] = {1.0f, 0.5f, 0.25f, 2.0f, 0.75f};
    double cwd[5] = {1.0, 0.5, 0.25, 2.0, 0.75};
    /* results [0] by Winograd, [1] by im2col */
    double *Yf[2], *dXf[2], *gf[2], sqf[2][5], *dXd[2], *gd[2], sqd[2][5];
    for (int im = 0; im <= 1; im++) {
        net_set_winograd(f, !im);
        netd_set_winograd(d, !im);
        const float *Y;
        cr_assert_eq(net_forward(f, Xf, B, &Y, NULL), PA_OK);
        Yf[im] = to_d(Y, B * 3);
        cr_assert_eq(net_loss_xent(f, y, NULL, NULL, NULL), PA_OK);
        net_backprop(f, 1);
        dXf[im] = to_d(net_dx(f), B * n0);
        net_grad_accumulate(f, cw, 1, 0);
        gf[im] = to_d(net_grads(f), P);
        net_example_sqnorms(f, sqf[im]);
        const double *Yd;
        cr_assert_eq(netd_forward(d, Xr, B, &Yd, NULL), PA_OK);
        cr_assert_eq(netd_loss_xent(d, y, NULL, NULL, NULL), PA_OK);
        netd_backprop(d, 1);
        dXd[im] = malloc(B * n0 * sizeof(double));
        memcpy(dXd[im], netd_dx(d), B * n0 * sizeof(double));
        netd_grad_accumulate(d, cwd, 1, 0);
        gd[im] = malloc(P * sizeof(double));
        memcpy(gd[im], netd_grads(d), P * sizeof(double));
        netd_example_sqnorms(d, sqd[im]);
        if (!im) {   /* the conv layer's output against the direct loops */
            double *Yn = malloc(B * n1 * sizeof *Yn);
            const double *th = netd_params(d);
            net_conv_naive(Yn, Xr, th, th + 9 * c->Cin * c->Cout, B, c->H, c->W, c->Cin, c->Cout, 3, 1,
                           c->pad);
            double e = rel_err_fd(net_output(f, 1), Yn, B * n1);
            cr_expect_lt(e, 1e-5, "float Winograd forward vs direct loops: %.3g", e);
            double *Ydd = malloc(B * n1 * sizeof *Ydd);
            memcpy(Ydd, netd_output(d, 1), B * n1 * sizeof *Ydd);
            e = rel_err_dd(Ydd, Yn, B * n1);
            cr_expect_lt(e, 1e-12, "double Winograd forward vs direct loops: %.3g", e);
            free(Yn), free(Ydd);
        }
    }
    double e = rel_err_dd(Yf[0], Yf[1], B * 3);
    cr_expect_lt(e, 1e-5, "float logits, Winograd vs im2col: %.3g", e);
    e = rel_err_dd(dXf[0], dXf[1], B * n0);
    cr_expect_lt(e, 1e-5, "float input gradient, Winograd vs im2col: %.3g", e);
    e = rel_err_dd(gf[0], gf[1], P);
    cr_expect_lt(e, 1e-5, "float weighted gradient sum, Winograd vs im2col: %.3g", e);
    e = rel_err_dd(dXd[0], dXd[1], B * n0);
    cr_expect_lt(e, 1e-12, "double input gradient, Winograd vs im2col: %.3g", e);
    e = rel_err_dd(gd[0], gd[1], P);
    cr_expect_lt(e, 1e-12, "double weighted gradient sum, Winograd vs im2col: %.3g", e);
    for (size_t i = 0; i < B; i++) {
        cr_expect_lt(fabs(sqf[0][i] - sqf[1][i]) / sqf[1][i], 1e-5, "example %zu: float norms² %.9g vs %.9g",
                     i, sqf[0][i], sqf[1][i]);
        cr_expect_lt(fabs(sqd[0][i] - sqd[1][i]) / sqd[1][i], 1e-12, "example %zu: double norms² %.17g vs %.17g",
                     i, sqd[0][i], sqd[1][i]);
    }
    for (int im = 0; im <= 1; im++)
        free(Yf[im]), free(dXf[im]), free(gf[im]), free(dXd[im]), free(gd[im]);
    free(X), free(Xf), free(Xr);
    gsl_rng_free(r);
    net_free(f);
    netd_free(d);
}

/* A net whose Winograd convs take all three per-example paths of
 * example_sqnorms: the first kept (T = 64), the second and third by the
 * ghost norm (T = 16, 4) from the unfolded input made on demand */
static const net_layer_spec wino_kind[] = {
    {.kind = NET_CONV, .out = 16, .k = 3, .stride = 1, .pad = 1},
    {.kind = NET_GROUPNORM, .groups = 16},
    {.kind = NET_ACT, .act = NET_RELU},
    {.kind = NET_AVGPOOL, .k = 2, .stride = 2},
    {.kind = NET_CONV, .out = 16, .k = 3, .stride = 1, .pad = 1},
    {.kind = NET_ACT, .act = NET_TANH},
    {.kind = NET_CONV, .out = 8, .k = 3, .stride = 1, .pad = 0},
    {.kind = NET_FLATTEN},
    {.kind = NET_DENSE, .out = 5},
};
static const net_spec wino_spec = {.H = 8, .W = 8, .C = 16, .L = 9, .layer = wino_kind};

Test(net, winograd_clipped_norms_and_sum_equal_naive_per_example_gradients)
{
    net *f;
    netd *d;
    new_pair(&wino_spec, 23, &f, &d);
    size_t B = 12, n0 = net_size(f, 0), P = net_nparams(f);
    gsl_rng *r = new_rng(24);
    double *X = random_d(r, B * n0, 1.5);
    float *Xf = to_f(X, B * n0);
    int32_t y[12];
    for (size_t i = 0; i < B; i++)
        y[i] = (int32_t)(i % 5);
    for (int cap = 1; cap <= 2; cap++) {   /* one thread, then chunks shared with the helper */
        pa_blas_cap(cap);
        pa_blas_set_threshold(cap == 2 ? 1 : 0);
        cr_assert_eq(net_forward(f, Xf, B, NULL, NULL), PA_OK);
        cr_assert_eq(net_loss_xent(f, y, NULL, NULL, NULL), PA_OK);
        net_backprop(f, 0);
        double sq[12], sqn[12];
        float c[12], cn[12];
        net_example_sqnorms(f, sq);
        double lo = INFINITY, hi = 0;
        for (size_t i = 0; i < B; i++)
            lo = fmin(lo, sqrt(sq[i])), hi = fmax(hi, sqrt(sq[i]));
        double C = 0.5 * (lo + hi);
        cr_assert_eq(net_clip_sum_naive(f, C, sqn, cn, NULL), PA_OK);
        double *ref = to_d(net_grads(f), P);
        net_clip_sum(f, C, sq, c);
        size_t clipped = 0;
        for (size_t i = 0; i < B; i++) {
            cr_expect_lt(fabs(sq[i] - sqn[i]) / sqn[i], 1e-5, "cap %d, example %zu: %.9g vs naive %.9g", cap,
                         i, sq[i], sqn[i]);
            cr_expect_lt(fabsf(c[i] - cn[i]), 1e-5f);
            clipped += cn[i] < 1;
        }
        cr_expect(clipped > 0 && clipped < B, "%zu of %zu clipped", clipped, B);
        double e = rel_err_fd(net_grads(f), ref, P);
        cr_expect_lt(e, 1e-5, "cap %d: Winograd clipped sum vs naive: %.3g", cap, e);
        /* the plain mean gradient as well (grad_accumulate without the store) */
        cr_assert_eq(net_forward(f, Xf, B, NULL, NULL), PA_OK);
        cr_assert_eq(net_loss_xent(f, y, NULL, NULL, NULL), PA_OK);
        net_backward(f, 1);
        cr_assert_eq(net_clip_sum_naive(f, INFINITY, NULL, NULL, NULL), PA_OK);
        free(ref);
        ref = to_d(net_grads(f), P);
        net_backward(f, 1);
        e = rel_err_fd(net_grads(f), ref, P);
        cr_expect_lt(e, 1e-5, "cap %d: Winograd gradient sum vs naive: %.3g", cap, e);
        free(ref);
    }
    pa_blas_set_threshold(0);
    pa_blas_cap(0);
    free(X), free(Xf);
    gsl_rng_free(r);
    net_free(f);
    netd_free(d);
}

/* ---- double backpropagation ---- */

/* the net for double backprop: smooth activations only (central differences
 * need a differentiable function) */
static const net_layer_spec smooth_kind[] = {
    {.kind = NET_CONV, .out = 4, .k = 3, .stride = 1, .pad = 1},
    {.kind = NET_GROUPNORM, .groups = 2},
    {.kind = NET_ACT, .act = NET_TANH},
    {.kind = NET_AVGPOOL, .k = 2, .stride = 2},
    {.kind = NET_CONVT, .out = 3, .k = 4, .stride = 2, .pad = 1},
    {.kind = NET_ACT, .act = NET_SIGMOID},
    {.kind = NET_CONV, .out = 5, .k = 3, .stride = 2, .pad = 0},
    {.kind = NET_ACT, .act = NET_TANH},
    {.kind = NET_FLATTEN},
    {.kind = NET_DENSE, .out = 3},
};
static const net_spec smooth_spec = {.H = 6, .W = 6, .C = 2, .L = 10, .layer = smooth_kind};

/* WGAN-GP penalty R(θ) = Σ_i (‖∂D/∂x_i‖ − 1)² with D = Σ of the outputs */
static double penalty(netd *d, const double *X, size_t B, double *v)
{
    size_t n0 = netd_size(d, 0), p = netd_size(d, netd_nlayers(d));
    cr_assert_eq(netd_forward(d, X, B, NULL, NULL), PA_OK);
    double *one = malloc(B * p * sizeof *one);
    for (size_t k = 0; k < B * p; k++)
        one[k] = 1;
    netd_seed(d, one);
    free(one);
    netd_backprop(d, 1);
    const double *u = netd_dx(d);
    double R = 0;
    for (size_t i = 0; i < B; i++) {
        double s = 0;
        for (size_t k = 0; k < n0; k++)
            s += u[i * n0 + k] * u[i * n0 + k];
        double nrm = sqrt(s);
        R += (nrm - 1) * (nrm - 1);
        if (v)
            for (size_t k = 0; k < n0; k++)
                v[i * n0 + k] = 2 * (nrm - 1) * u[i * n0 + k] / nrm;
    }
    return R;
}

Test(net, gradient_penalty_gradient_equals_central_differences)
{
    net *f;
    netd *d;
    new_pair(&smooth_spec, 31, &f, &d);
    size_t B = 2, n0 = netd_size(d, 0), P = netd_nparams(d);
    gsl_rng *r = new_rng(3);
    double *X = random_d(r, B * n0, 1.0), *v = malloc(B * n0 * sizeof *v);
    penalty(d, X, B, v);
    cr_assert_eq(netd_tangent_forward(d, NULL, v, NULL), PA_OK);
    netd_tangent_seed(d, NULL);
    netd_tangent_backprop(d, 0);
    double *g = malloc(P * sizeof *g), *cd = malloc(P * sizeof *cd);
    netd_tangent_grad(d, NULL, 1, g);
    double *th = netd_params(d), h = 1e-5;
    for (size_t k = 0; k < P; k++) {
        double t = th[k];
        th[k] = t + h;
        double up = penalty(d, X, B, NULL);
        th[k] = t - h;
        double dn = penalty(d, X, B, NULL);
        th[k] = t;
        cd[k] = (up - dn) / (2 * h);
    }
    double e = rel_err_dd(g, cd, P);
    cr_expect_lt(e, 1e-6, "∇θ of the gradient penalty vs central differences: %.3g", e);

    /* the float engine's tangents against the double engine's */
    float *Xf = to_f(X, B * n0), *vf = to_f(v, B * n0), *gf = malloc(P * sizeof *gf);
    size_t p = net_size(f, net_nlayers(f));
    float one[2 * 3] = {1, 1, 1, 1, 1, 1};
    cr_assert_eq(p * B, 6);
    cr_assert_eq(net_forward(f, Xf, B, NULL, NULL), PA_OK);
    net_seed(f, one);
    net_backprop(f, 1);
    cr_assert_eq(net_tangent_forward(f, NULL, vf, NULL), PA_OK);
    net_tangent_seed(f, NULL);
    net_tangent_backprop(f, 0);
    net_tangent_grad(f, NULL, 1, gf);
    double ef = rel_err_fd(gf, g, P);
    cr_expect_lt(ef, 1e-5, "float tangent gradient vs double: %.3g", ef);
    free(X), free(v), free(g), free(cd), free(Xf), free(vf), free(gf);
    gsl_rng_free(r);
    net_free(f);
    netd_free(d);
}

/* gradient matching: φ(S) = ½‖∇θ Σ_j ℓ(S_j) − g0‖², its gradient in S */
static double matching(netd *d, const double *S, size_t B, const int32_t *y, const double *g0,
                       double *v)
{
    size_t P = netd_nparams(d);
    loss_d(d, S, B, y);
    netd_backward(d, 1);
    const double *g = netd_grads(d);
    double phi = 0;
    for (size_t k = 0; k < P; k++) {
        double e = g[k] - g0[k];
        phi += 0.5 * e * e;
        if (v)
            v[k] = e;
    }
    return phi;
}

Test(net, gradient_matching_input_gradient_equals_central_differences)
{
    net *f;
    netd *d;
    new_pair(&smooth_spec, 41, &f, &d);
    size_t B = 3, n0 = netd_size(d, 0), P = netd_nparams(d);
    gsl_rng *r = new_rng(4);
    double *S = random_d(r, B * n0, 1.0), *g0 = random_d(r, P, 0.05), *v = malloc(P * sizeof *v);
    int32_t y[3] = {2, 0, 1};
    matching(d, S, B, y, g0, v);
    /* after matching(): forward, seed and backprop of the same batch are in place */
    netd_backprop(d, 1);
    cr_assert_eq(netd_tangent_forward(d, v, NULL, NULL), PA_OK);
    netd_tangent_seed_xent(d, y);
    netd_tangent_backprop(d, 1);
    double *gs = malloc(B * n0 * sizeof *gs), *cd = malloc(B * n0 * sizeof *cd);
    memcpy(gs, netd_tangent_dx(d), B * n0 * sizeof *gs);
    double h = 1e-5;
    for (size_t k = 0; k < B * n0; k++) {
        double t = S[k];
        S[k] = t + h;
        double up = matching(d, S, B, y, g0, NULL);
        S[k] = t - h;
        double dn = matching(d, S, B, y, g0, NULL);
        S[k] = t;
        cd[k] = (up - dn) / (2 * h);
    }
    double e = rel_err_dd(gs, cd, B * n0);
    cr_expect_lt(e, 1e-6, "∂φ/∂S vs central differences: %.3g", e);
    free(S), free(g0), free(v), free(gs), free(cd);
    gsl_rng_free(r);
    net_free(f);
    netd_free(d);
}

/* ---- bad input ---- */

Test(net, bad_specs_are_rejected_naming_the_layer)
{
    net_layer_spec gn = {.kind = NET_GROUPNORM, .groups = 3};
    net_spec s = {.H = 4, .W = 4, .C = 4, .L = 1, .layer = &gn};
    net *f = (net *)1;
    pa_err e = {0};
    cr_expect_eq(net_new(&s, &f, &e), PA_EINPUT);
    cr_expect_null(f);
    cr_expect(strstr(e.msg, "layer 0") && strstr(e.msg, "groups"), "%s", e.msg);
    net_layer_spec cv = {.kind = NET_CONV, .out = 2, .k = 7};
    s.layer = &cv;
    cr_expect_eq(net_new(&s, &f, &e), PA_EINPUT);
    cr_expect(strstr(e.msg, "kernel"), "%s", e.msg);
    net_layer_spec lr = {.kind = NET_ACT, .act = NET_LRELU, .slope = 1.5};
    s.layer = &lr;
    cr_expect_eq(net_new(&s, &f, &e), PA_EINPUT);
    cr_expect(strstr(e.msg, "slope"), "%s", e.msg);
}

/* ---- PyTorch reference (values pasted from tests/ref/net_torch.py) ---- */

/* tests/ref/net_torch.py, PyTorch 1.13.0a0, float64; P = 272 */
static const double torch_logits[9] = {
    -0.25497100245868298, -0.15665020760082471, -0.03719578219726747, -0.28958078209267557,
    -0.14760943229060286, 0.014402064362200935, -0.2596840989617637, -0.11060722285052256,
    0.054034375016573793};
static const double torch_loss = 3.2709685689836214;
static const double torch_grad[272] = {
    -0.013228014776729592, -0.010992032849814582, -0.0071577255596510826, -0.0043496909205378298,
    -0.0029579393032207572, -0.0022668261322904898, 0.010605064537090916, 0.011953346782901336,
    0.0086322964869963333, 0.0089436091163470153, 0.0035688542320880005, 0.0050962141342556465,
    -0.004978015474194593, -0.0062348300272924428, -0.0040790750546694761, -0.0040883071116911609,
    0.0046391675931221153, 0.0046832740599520297, -0.0044926286063377866, -0.0031782850226166628,
    -0.0016248916867699554, 0.00018140024287948721, -0.00017588686784144851, -1.4525212255927882e-05,
    0.0025714401186628477, 0.0029049249847888626, 0.0034658325727799405, 0.0032128967324606414,
    -0.00036736376131274342, 0.00054971540133039523, -0.002339510965646528, -0.0021341297023454312,
    -0.00252606729143472, -0.0019242933670513727, 0.0028757949621569228, 0.0031748797979532888,
    0.00010827371352602677, 0.00047342045699273326, -8.0832423823449129e-05, 0.0012728835248225451,
    0.0031496051754050158, 0.0034563295041185166, -0.00033049743515784261, 9.0589272717639456e-05,
    0.0043017191676979882, 0.0039066165344264509, -0.00097194274292429982, -0.0012182739445950417,
    0.0033512858816455867, 0.0038388552363260342, 0.00054715913386485222, 0.00059546516801670503,
    0.0028380879694182163, 0.0030891926286691629, -7.3725747729014302e-18, 4.4994390158148434e-18,
    -3.7947076036992655e-19, -0.0067095152036329301, -0.0053353383657190733, -0.006705727791075102,
    0.022848970546615839, 0.012734897611977351, 0.0064475232537868363, 0.0087216950684411883,
    0.0085803678775296863, 0.00096590349638973091, 0.0018897697637320901, 0.001214625949525226,
    0.0020889586355167192, -0.018844363065500684, -0.014786078396069165, -0.0098353195784076988,
    -0.0055815880159243436, -0.0074538799001620162, -0.0035461097579778627, -0.019265795692826167,
    -0.014786751983906481, -0.0090195256691018976, -0.0054764301199451051, -0.0086524151934721637,
    -0.0040982971370710783, 0.012574128623613642, 0.015159568884718489, 0.0075677354044242579,
    0.0080325750311782285, 0.0078678419555161961, 0.0083688110699503965, -0.020308084632793953,
    -0.017526595970030815, -0.0077852869534753228, -0.0032147593813505954, -0.005602999476528113,
    -0.0010380879252588865, -0.022270283732721108, -0.018153679995983309, -0.0074896946895641721,
    -0.0033079267972529625, -0.0071129952755402239, -0.0021440773003664681, 0.015187443469019495,
    0.018871669361038606, 0.010204995332567982, 0.010111285940298925, 0.010385564839982053,
    0.01035591051917973, -0.018234196871611097, -0.016966790132748717, -0.0053035989453764738,
    -0.0022576758752441074, -0.0035390135059654893, -0.0002771097223493406, -0.020512946854393702,
    -0.018022089444758967, -0.0053913228688129058, -0.0025792223088675751, -0.0050595384792739501,
    -0.0016298133879085396, 0.0087172279176006649, 0.0087653559641734553, -0.058544701030754633,
    -0.091944088921195002, -0.1089733276116058, -0.10897098627942246, -0.14992336037554463,
    -0.12038439762458454, -0.1345541420849517, -0.086587554285639606, -0.076020363398422219,
    -0.048482301053735445, -0.11837359091855947, -0.063092529358673877, -0.074579939038790038,
    -0.042900927660821556, -0.03060020562472579, -0.029770073533756446, -0.0061982247960219953,
    -0.032793913619163131, -0.043453607489327015, -0.077375788184870675, 0.021153345667619089,
    -0.028328827242896155, 0.021966901036480909, -0.043062355573501659, -0.0038300180182061433,
    -0.06074765733274249, -0.053416226144221382, -0.090348882032780603, -0.072304716466231822,
    -0.077392929735398755, -0.10606560156722507, -0.10580180382083172, -0.14840885450837718,
    -0.1062568853416366, -0.15521269984689784, -0.092134229109261168, -0.11644488364876582,
    -0.057276327013384032, -0.06497947438355324, -0.040022405297805007, -0.053267187403725137,
    -0.04747267681716788, -0.024566112072060439, -0.038356426017841026, -0.016372871824575769,
    -0.048938399748903863, -0.037028733371533722, -0.071381384114826751, -0.063215800441684955,
    -0.083730417040440722, -0.028630242359503247, 0.012616087199835722, 0.023077227374425312,
    0.032652456038618778, 0.05865617590073794, 0.039468415412430839, 0.067849556368964711,
    0.028110222798866397, 0.018080176090722024, -0.017390655580831478, 0.087596140307488926,
    0.016549279483336773, 0.03424667670806332, -0.024487629315882727, -0.018997474443505028,
    -0.041235262701731563, -0.056101028343717295, -0.045254514316814494, -0.025326066656551079,
    0.0024199703236147049, -0.09070537182541441, -0.045206081093235914, -0.090910322068887231,
    -0.027896628167197169, -0.074533890750302007, -0.016754312006231984, -0.031986392570605156,
    0.010709391111927336, -0.00074984443220227381, 0.0092541396195661395, 0.01169761995167295,
    0.021850504601403836, 0.058305515739963371, 0.033185194803786226, 0.085669238598081843,
    0.03453336071594771, 0.064688823459349676, 0.001579573534352471, 0.0026292039164213569,
    -0.033716129051452777, -0.0061239249365182876, -0.023934013660126211, -0.029881631255528656,
    -0.027105940397881664, -0.041178285652275576, -0.022949415797146676, -0.038137480201276185,
    -0.011992585866561508, -0.0076427612290102557, 0.012019652931351236, 0.087174943390257928,
    0.079328001721359342, 0.085896100237180514, 0.076318530240803734, 0.091267184474806709,
    0.080915982212153764, 0.06670458571598703, 0.058477331486773289, 0.057940187307700237,
    0.065872956634566979, 0.030777450611070588, 0.046543249875337138, 0.040333262330726802,
    0.067388556976704372, 0.049597680068230877, 0.071005336235488076, 0.062299253139739379,
    0.078048427935977716, 0.068779674145878142, 0.074955817861256019, 0.069552026157795377,
    0.073534908336132077, 0.068943421032406388, 0.070958983740698894, 0.07836390876850817,
    0.077501969338974575, 0.0854026187148266, 0.079639490920853317, 0.073054560898434179,
    0.068138790115832668, 0.094367981615552127, 0.083951299219427886, 0.090103338768413851,
    0.073071690537850453, 0.069543461248816052, 0.05760086839331352, 0.051756060189416205,
    0.055696753479031615, 0.062350270467131944, 0.073738534349257867, 0.059391112340243482,
    0.071406690477294199, 0.05444774332758915, 0.065462366415722714, 0.057551157476851432,
    0.071887815546050629, 0.075166213572809934, 0.08337396998138831, 0.070858561670695291,
    0.071710764109089525, -0.13276662033235342, -0.012856435322546322, 0.14562305565489991};
static const double torch_sqnorm[3] = {
    9.2751532812474906, 6.9703529795745256, 8.2832333653709007};
static const double torch_penalty = 2.1435837020555599;
static const double torch_penalty_grad16[16] = {
    0.098902223680362361, 0.080256772094421475, 0.034793886106663521, -0.044654251618074292,
    -0.0077339707149642889, -0.087181868918308231, -0.07194619747517296, -0.006043896703511728,
    -0.029591930381675676, 0.11225718144847328, 0.064784046277477358, 0.16782010400692418,
    -0.045437349439768016, -0.1303994445398651, -0.063770187386124, -0.16403489113637695};
static const double torch_penalty_grad_norm = 1.5237561587677424;
static const double torch_phi = 0.49657778490095961;
static const double torch_phi_dS16[16] = {
    -0.0017933075881651304, -0.00064695984181118945, 0.00070204898869966265, 0.0017826544243466683,
    0.0034868336404260533, 0.0031958069538463385, 0.0022695601872249056, 0.00081689356277074305,
    -0.00060974884821669829, -0.0019637048731946873, 0.0036375951486885718, 0.0030625483854377,
    0.0020350647012195612, 0.00068607386814749729, -0.0023676436749494856, -0.0027880360674409597};
static const double torch_phi_dS_norm = 0.039740858499116509;

static const net_layer_spec torch_kind[] = {
    {.kind = NET_CONV, .out = 3, .k = 3, .stride = 1, .pad = 1},
    {.kind = NET_GROUPNORM, .groups = 3},
    {.kind = NET_ACT, .act = NET_TANH},
    {.kind = NET_CONVT, .out = 2, .k = 3, .stride = 2, .pad = 1, .out_pad = 1},
    {.kind = NET_ACT, .act = NET_SIGMOID},
    {.kind = NET_AVGPOOL, .k = 2, .stride = 2},
    {.kind = NET_FLATTEN},
    {.kind = NET_DENSE, .out = 3},
};
static const net_spec torch_spec = {.H = 5, .W = 5, .C = 2, .L = 8, .layer = torch_kind};

/* θ and X by the script's formulas (γ = 1 + formula) */
static void torch_problem(double *theta, double *X, size_t P, size_t nx)
{
    for (size_t k = 0; k < P; k++)
        theta[k] = 0.3 * sin(0.37 * (double)k + 0.1);
    for (size_t k = 57; k < 60; k++)   /* γ of the group norm: after conv W (54) and b (3) */
        theta[k] += 1;
    for (size_t k = 0; k < nx; k++)
        X[k] = cos(0.23 * (double)k);
}

static double norm_d(const double *v, size_t n)
{
    double s = 0;
    for (size_t k = 0; k < n; k++)
        s += v[k] * v[k];
    return sqrt(s);
}

Test(net, torch_reference_first_and_second_order)
{
    netd *d;
    net *f;
    pa_err e = {0};
    cr_assert_eq(netd_new(&torch_spec, &d, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(net_new(&torch_spec, &f, &e), PA_OK, "%s", e.msg);
    size_t P = netd_nparams(d), B = 3, n0 = netd_size(d, 0);
    cr_assert_eq(P, 272);
    double *th = netd_params(d), X[150];
    torch_problem(th, X, P, B * n0);
    for (size_t k = 0; k < P; k++)
        net_params(f)[k] = (float)th[k];
    int32_t y[3] = {0, 2, 1};
    const double *Y;
    double loss;
    cr_assert_eq(netd_forward(d, X, B, &Y, NULL), PA_OK);
    cr_assert_eq(netd_loss_xent(d, y, NULL, &loss, NULL), PA_OK);
    netd_backprop(d, 0);
    double sq[3];
    netd_clip_sum(d, INFINITY, sq, NULL);
    cr_expect_lt(rel_err_dd(Y, torch_logits, 9), 1e-12, "logits: %.3g", rel_err_dd(Y, torch_logits, 9));
    cr_expect_lt(fabs(loss - torch_loss) / torch_loss, 1e-12);
    double eg = rel_err_dd(netd_grads(d), torch_grad, P);
    cr_expect_lt(eg, 1e-12, "gradient vs torch: %.3g", eg);
    double es = rel_err_dd(sq, torch_sqnorm, 3);
    cr_expect_lt(es, 1e-12, "per-example squared norms vs torch: %.3g", es);

    /* the float engine: 1e-5 */
    float Xf[150], sqf_c[3];
    double sqf[3];
    for (size_t k = 0; k < B * n0; k++)
        Xf[k] = (float)X[k];
    cr_assert_eq(net_forward(f, Xf, B, NULL, NULL), PA_OK);
    cr_assert_eq(net_loss_xent(f, y, NULL, NULL, NULL), PA_OK);
    net_backprop(f, 0);
    net_clip_sum(f, INFINITY, sqf, sqf_c);
    double ef = rel_err_fd(net_grads(f), torch_grad, P), efs = rel_err_dd(sqf, torch_sqnorm, 3);
    cr_expect_lt(ef, 1e-5, "float gradient vs torch: %.3g", ef);
    cr_expect_lt(efs, 1e-5, "float squared norms vs torch: %.3g", efs);

    /* WGAN-GP penalty: R and ∇θR by double backprop (create_graph in torch) */
    double v[150], gR[272];
    double R = penalty(d, X, B, v);
    cr_expect_lt(fabs(R - torch_penalty) / torch_penalty, 1e-12, "R = %.17g", R);
    cr_assert_eq(netd_tangent_forward(d, NULL, v, NULL), PA_OK);
    netd_tangent_seed(d, NULL);
    netd_tangent_backprop(d, 0);
    netd_tangent_grad(d, NULL, 1, gR);
    double e1 = rel_err_dd(gR, torch_penalty_grad16, 16);
    cr_expect_lt(e1, 1e-10, "∇θR (first 16) vs torch: %.3g", e1);
    cr_expect_lt(fabs(norm_d(gR, P) - torch_penalty_grad_norm) / torch_penalty_grad_norm, 1e-10);

    /* gradient matching: φ(S) = ½‖∇θL(S) − g0‖², ∂φ/∂S */
    double g0[272], vg[272];
    for (size_t k = 0; k < P; k++)
        g0[k] = 0.05 * cos(0.11 * (double)k);
    double phi = matching(d, X, B, y, g0, vg);
    cr_expect_lt(fabs(phi - torch_phi) / torch_phi, 1e-12, "phi = %.17g", phi);
    netd_backprop(d, 1);
    cr_assert_eq(netd_tangent_forward(d, vg, NULL, NULL), PA_OK);
    netd_tangent_seed_xent(d, y);
    netd_tangent_backprop(d, 1);
    const double *dS = netd_tangent_dx(d);
    double e2 = rel_err_dd(dS, torch_phi_dS16, 16);
    cr_expect_lt(e2, 1e-10, "∂φ/∂S (first 16) vs torch: %.3g", e2);
    cr_expect_lt(fabs(norm_d(dS, B * n0) - torch_phi_dS_norm) / torch_phi_dS_norm, 1e-10);
    net_free(f);
    netd_free(d);
}
