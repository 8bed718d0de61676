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
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <gsl/gsl_rng.h>

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

/* 6×6×2 -> conv 3×3 (4) -> groupnorm(2) -> tanh -> avgpool 2 -> convT 4/2/1 (3)
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
static const net_spec every_spec = {.H = 6, .W = 6, .C = 2, .L = 10, .layer = every_kind};

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

/* 8×8×2 -> conv 3×3 p1 (8): T = 64, K = 18, Ko = 8: 2T² > K·Ko, materialised
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
static const net_spec clip_spec = {.H = 8, .W = 8, .C = 2, .L = 9, .layer = clip_kind};

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
