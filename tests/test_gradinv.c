/* test_gradinv.c — attacks/gradinv.h: double backpropagation against central
 * finite differences, the double network against core/mlp's float gradient,
 * analytic recovery, iDLG labels, DLG convergence, projection and metrics.
 *
 * B = batch, d = inputs, p = classes, P = parameters. Finite differences use
 * a central step of 1e-5 in double: truncation ~ h²·f''' ≈ 1e-10 and rounding
 * ~ 1e-16/1e-5 = 1e-11 relative, far inside the 1e-6 tolerance, while any
 * missing term of the derivation (e.g. dropping σ'') changes the gradient at
 * the 1e-2 level and fails. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <gsl/gsl_rng.h>

#include <sqlite3.h>

#include "attacks/gradinv.h"
#include "testutil.h"

TestSuite(gradinv);

static gsl_rng *new_rng(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

static mlp *new_mlp(size_t L, const size_t *w, mlp_act hidden, unsigned long seed, double gain)
{
    mlp_spec s = {.L = L, .width = w, .hidden = hidden, .out = MLP_IDENTITY};
    mlp *m = NULL;
    pa_err e = {0};
    cr_assert_eq(mlp_new(&s, &m, &e), PA_OK, "%s", e.msg);
    gsl_rng *r = new_rng(seed);
    mlp_init(m, r);
    gsl_rng_free(r);
    float *th = mlp_params(m);
    for (size_t k = 0; k < mlp_nparams(m); k++)
        th[k] = (float)(th[k] * gain);
    return m;
}

static gi_net *new_net(const mlp *m)
{
    gi_net *n = NULL;
    pa_err e = {0};
    cr_assert_eq(gi_net_from_mlp(m, &n, &e), PA_OK, "%s", e.msg);
    return n;
}

static void uniform(gsl_rng *r, double *x, size_t n, double lo, double hi)
{
    for (size_t k = 0; k < n; k++)
        x[k] = lo + (hi - lo) * gsl_rng_uniform(r);
}

/* ‖a − b‖∞ / ‖b‖∞ */
static double rel_err_inf(const double *a, const double *b, size_t n)
{
    double e = 0, s = 0;
    for (size_t k = 0; k < n; k++) {
        e = fmax(e, fabs(a[k] - b[k]));
        s = fmax(s, fabs(b[k]));
    }
    return e / s;
}

/* ---- double backpropagation against finite differences ---- */

struct act_case {
    mlp_act act;
    char name[16]; /* an array, not a pointer: Criterion re-executes the binary */
};

ParameterizedTestParameters(gradinv, double_backprop_matches_central_differences)
{
    static struct act_case cases[] = {
        {.act = MLP_TANH, .name = "tanh"},
        {.act = MLP_SIGMOID, .name = "sigmoid"},
        {.act = MLP_RELU, .name = "relu"},
        {.act = MLP_IDENTITY, .name = "identity"},
    };
    return cr_make_param_array(struct act_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct act_case *c, gradinv, double_backprop_matches_central_differences)
{
    const size_t w[] = {6, 5, 4, 3}, B = 3, d = 6;
    mlp *m = new_mlp(3, w, c->act, 11, 2.0); /* gain 2: activations away from linear */
    gi_net *n = new_net(m);
    size_t P = gi_net_nparams(n);
    gsl_rng *r = new_rng(5);
    double X[18], dX[18], fd[18], *v = malloc(P * sizeof *v), *g = malloc(P * sizeof *g);
    int32_t y[3] = {2, 0, 1};
    uniform(r, X, B * d, -1, 1);
    uniform(r, v, P, -1, 1);
    pa_err e = {0};
    cr_assert_eq(gi_net_grad_dot_dx(n, X, y, B, v, dX, NULL, &e), PA_OK, "%s", e.msg);
    const double h = 1e-5;
    for (size_t k = 0; k < B * d; k++) {
        double x0 = X[k], fp = 0, fm = 0;
        X[k] = x0 + h;
        gi_net_grad(n, X, y, B, g, NULL, &e);
        for (size_t j = 0; j < P; j++)
            fp += g[j] * v[j];
        X[k] = x0 - h;
        gi_net_grad(n, X, y, B, g, NULL, &e);
        for (size_t j = 0; j < P; j++)
            fm += g[j] * v[j];
        X[k] = x0;
        fd[k] = (fp - fm) / (2 * h);
    }
    double re = rel_err_inf(dX, fd, B * d);
    cr_expect_lt(re, 1e-6, "%s: relative error %.3g of d<grad,v>/dX against central differences", c->name,
                 re);
    free(v);
    free(g);
    gsl_rng_free(r);
    gi_net_free(n);
    mlp_free(m);
}

static void check_match_grad(gi_match match, mlp_act act)
{
    const size_t w[] = {6, 7, 3}, B = 2, d = 6;
    mlp *m = new_mlp(2, w, act, 3, 1.5);
    gi_net *n = new_net(m);
    size_t P = gi_net_nparams(n);
    gsl_rng *r = new_rng(9);
    double X[12], Xt[12], dX[12], fd[12], *gs = malloc(P * sizeof *gs);
    int32_t y[2] = {1, 2};
    uniform(r, Xt, B * d, 0, 1);
    uniform(r, X, B * d, 0, 1);
    pa_err e = {0};
    cr_assert_eq(gi_net_grad(n, Xt, y, B, gs, NULL, &e), PA_OK, "%s", e.msg);
    gi_prior pr = {.match = match};
    double M, Mp, Mm;
    cr_assert_eq(gi_match_grad(n, &pr, gs, X, y, B, &M, dX, &e), PA_OK, "%s", e.msg);
    const double h = 1e-5;
    for (size_t k = 0; k < B * d; k++) {
        double x0 = X[k];
        X[k] = x0 + h;
        gi_match_grad(n, &pr, gs, X, y, B, &Mp, NULL, &e);
        X[k] = x0 - h;
        gi_match_grad(n, &pr, gs, X, y, B, &Mm, NULL, &e);
        X[k] = x0;
        fd[k] = (Mp - Mm) / (2 * h);
    }
    double re = rel_err_inf(dX, fd, B * d);
    cr_expect_lt(re, 1e-6, "match %d act %d: relative error %.3g against central differences", (int)match,
                 (int)act, re);
    /* at the truth the loss is 0 (L2) / 0 (cos, up to rounding) */
    cr_assert_eq(gi_match_grad(n, &pr, gs, Xt, y, B, &M, NULL, &e), PA_OK, "%s", e.msg);
    cr_expect_lt(fabs(M), 1e-12, "matching loss at the true batch is %g", M);
    free(gs);
    gsl_rng_free(r);
    gi_net_free(n);
    mlp_free(m);
}

Test(gradinv, l2_matching_gradient_matches_central_differences)
{
    check_match_grad(GI_MATCH_L2, MLP_SIGMOID);
    check_match_grad(GI_MATCH_L2, MLP_TANH);
}

Test(gradinv, cosine_matching_gradient_matches_central_differences)
{
    check_match_grad(GI_MATCH_COS, MLP_SIGMOID);
    check_match_grad(GI_MATCH_COS, MLP_RELU);
}

Test(gradinv, total_variation_gradient_matches_central_differences)
{
    /* TV is piecewise linear: away from ties the central difference is exact
     * up to rounding. The TV part is isolated by subtracting the same
     * objective without TV (g* = 0, L2 matching). */
    const size_t w[] = {9, 4, 3}, B = 1, d = 9;
    mlp *m = new_mlp(2, w, MLP_TANH, 4, 1.0);
    gi_net *n = new_net(m);
    size_t P = gi_net_nparams(n);
    double X[9] = {0.1, 0.7, 0.35, 0.9, 0.2, 0.55, 0.05, 0.8, 0.45}, d1[9], d0[9];
    double *gs = calloc(P, sizeof *gs);
    int32_t y[1] = {0};
    gi_prior p0 = {.match = GI_MATCH_L2}, p1 = {.match = GI_MATCH_L2, .tv = 0.3, .H = 3, .W = 3};
    pa_err e = {0};
    double M0, M1;
    cr_assert_eq(gi_match_grad(n, &p0, gs, X, y, B, &M0, d0, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(gi_match_grad(n, &p1, gs, X, y, B, &M1, d1, &e), PA_OK, "%s", e.msg);
    /* TV by hand: horizontal |.6|+|.35|+|.7|+|.35|+|.75|+|.35| = 3.1 over 6,
     * vertical |.8|+|.5|+|.2|+|.85|+|.6|+|.1| = 3.05 over 6 */
    cr_expect_float_eq(M1 - M0, 0.3 * (3.1 / 6 + 3.05 / 6), 1e-12);
    const double h = 1e-6;
    for (size_t k = 0; k < d; k++) {
        double x0 = X[k], a, b, a0, b0;
        X[k] = x0 + h;
        gi_match_grad(n, &p1, gs, X, y, B, &a, NULL, &e);
        gi_match_grad(n, &p0, gs, X, y, B, &a0, NULL, &e);
        X[k] = x0 - h;
        gi_match_grad(n, &p1, gs, X, y, B, &b, NULL, &e);
        gi_match_grad(n, &p0, gs, X, y, B, &b0, NULL, &e);
        X[k] = x0;
        double fd = ((a - a0) - (b - b0)) / (2 * h);
        cr_expect_float_eq(d1[k] - d0[k], fd, 1e-8, "pixel %zu: %g vs %g", k, d1[k] - d0[k], fd);
    }
    free(gs);
    gi_net_free(n);
    mlp_free(m);
}

Test(gradinv, double_network_gradient_equals_the_float_engines)
{
    const size_t w[] = {8, 6, 5, 4}, B = 5, d = 8;
    mlp *m = new_mlp(3, w, MLP_SIGMOID, 21, 1.0);
    gi_net *n = new_net(m);
    size_t P = gi_net_nparams(n);
    gsl_rng *r = new_rng(2);
    double X[40], *g = malloc(P * sizeof *g), loss;
    float Xf[40];
    int32_t y[5] = {0, 3, 1, 1, 2};
    uniform(r, X, B * d, 0, 1);
    for (size_t k = 0; k < B * d; k++)
        X[k] = Xf[k] = (float)X[k];
    pa_err e = {0};
    cr_assert_eq(gi_net_grad(n, X, y, B, g, &loss, &e), PA_OK, "%s", e.msg);
    double fsum;
    cr_assert_eq(mlp_forward(m, Xf, B, NULL, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(mlp_loss_xent(m, y, NULL, &fsum, &e), PA_OK, "%s", e.msg);
    mlp_backward(m, 1.0f / (float)B);
    double *gf = malloc(P * sizeof *gf);
    for (size_t k = 0; k < P; k++)
        gf[k] = mlp_grads(m)[k];
    /* float engine: relative accuracy ~1e-6 */
    cr_expect_lt(rel_err_inf(gf, g, P), 1e-5, "float vs double gradient: %g", rel_err_inf(gf, g, P));
    cr_expect_float_eq(loss, fsum / (double)B, 1e-5);
    free(g);
    free(gf);
    gsl_rng_free(r);
    gi_net_free(n);
    mlp_free(m);
}

/* ---- analytic recovery and iDLG ---- */

Test(gradinv, analytic_recovery_is_exact_for_a_single_record)
{
    const size_t w[] = {20, 16, 10, 5}, d = 20;
    pa_err e = {0};
    gsl_rng *r = new_rng(77);
    for (int trial = 0; trial < 10; trial++) {
        mlp *m = new_mlp(3, w, trial % 2 ? MLP_RELU : MLP_TANH, 100 + (unsigned long)trial, 1.0);
        gi_net *n = new_net(m);
        size_t P = gi_net_nparams(n);
        double x[20], xh[20], *g = malloc(P * sizeof *g);
        float xf[20];
        int32_t y[1] = {(int32_t)gsl_rng_uniform_int(r, 5)};
        uniform(r, x, d, 0, 1);
        /* the victim's own float update */
        for (size_t k = 0; k < d; k++)
            x[k] = xf[k] = (float)x[k];
        cr_assert_eq(mlp_forward(m, xf, 1, NULL, &e), PA_OK, "%s", e.msg);
        cr_assert_eq(mlp_loss_xent(m, y, NULL, NULL, &e), PA_OK, "%s", e.msg);
        mlp_backward(m, 1.0f);
        for (size_t k = 0; k < P; k++)
            g[k] = mlp_grads(m)[k];
        cr_assert_eq(gi_analytic(n, g, xh, NULL, &e), PA_OK, "%s", e.msg);
        double psnr = gi_psnr(gi_mse(xh, x, d));
        cr_expect_geq(psnr, 100.0, "trial %d: PSNR %.1f dB from the float update", trial, psnr);
        /* and from the double gradient: exact to rounding */
        cr_assert_eq(gi_net_grad(n, x, y, 1, g, NULL, &e), PA_OK, "%s", e.msg);
        cr_assert_eq(gi_analytic(n, g, xh, NULL, &e), PA_OK, "%s", e.msg);
        cr_expect_lt(rel_err_inf(xh, x, d), 1e-12, "trial %d", trial);
        /* iDLG: the label */
        int32_t yh[1];
        cr_assert_eq(gi_idlg_labels(n, g, 1, yh, &e), PA_OK, "%s", e.msg);
        cr_expect_eq(yh[0], y[0], "trial %d: label %d recovered as %d", trial, y[0], yh[0]);
        free(g);
        gi_net_free(n);
        mlp_free(m);
    }
    gsl_rng_free(r);
}

Test(gradinv, idlg_recovers_distinct_labels_of_a_batch)
{
    const size_t w[] = {12, 10, 6}, B = 3, d = 12;
    pa_err e = {0};
    gsl_rng *r = new_rng(8);
    mlp *m = new_mlp(2, w, MLP_SIGMOID, 5, 1.0);
    gi_net *n = new_net(m);
    size_t P = gi_net_nparams(n);
    double X[36], *g = malloc(P * sizeof *g);
    for (int trial = 0; trial < 20; trial++) {
        int32_t y[3], yh[3];
        y[0] = (int32_t)gsl_rng_uniform_int(r, 6);
        do
            y[1] = (int32_t)gsl_rng_uniform_int(r, 6);
        while (y[1] == y[0]);
        do
            y[2] = (int32_t)gsl_rng_uniform_int(r, 6);
        while (y[2] == y[0] || y[2] == y[1]);
        uniform(r, X, B * d, 0, 1);
        cr_assert_eq(gi_net_grad(n, X, y, B, g, NULL, &e), PA_OK, "%s", e.msg);
        cr_assert_eq(gi_idlg_labels(n, g, B, yh, &e), PA_OK, "%s", e.msg);
        cr_expect_eq(gi_label_accuracy(yh, y, B), 1.0, "trial %d: {%d,%d,%d} vs {%d,%d,%d}", trial, y[0], y[1],
                     y[2], yh[0], yh[1], yh[2]);
    }
    int32_t too[7];
    cr_expect_eq(gi_idlg_labels(n, g, 7, too, &e), PA_EINPUT);
    free(g);
    gi_net_free(n);
    mlp_free(m);
    gsl_rng_free(r);
}

Test(gradinv, dlg_converges_to_the_true_inputs_on_a_tiny_problem)
{
    const size_t w[] = {4, 12, 3}, B = 2, d = 4;
    mlp *m = new_mlp(2, w, MLP_SIGMOID, 31, 2.0);
    gi_net *n = new_net(m);
    size_t P = gi_net_nparams(n);
    double X[8] = {0.2, 0.8, 0.5, 0.1, 0.9, 0.3, 0.6, 0.7}, Xh[8], *g = malloc(P * sizeof *g), M;
    int32_t y[2] = {0, 2}, yh[2];
    pa_err e = {0};
    cr_assert_eq(gi_net_grad(n, X, y, B, g, NULL, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(gi_idlg_labels(n, g, B, yh, &e), PA_OK, "%s", e.msg);
    cr_expect_eq(gi_label_accuracy(yh, y, B), 1.0);
    gi_opt_cfg cfg = {.prior = {.match = GI_MATCH_L2}, .iters = 3000, .restarts = 3, .lr = 0.05, .sign = 0};
    gsl_rng *r = new_rng(1);
    cr_assert_eq(gi_invert(n, &cfg, g, yh, B, r, Xh, &M, &e), PA_OK, "%s", e.msg);
    size_t perm[2];
    cr_assert_eq(gi_match_records(Xh, X, B, d, perm, &e), PA_OK, "%s", e.msg);
    for (size_t k = 0; k < B; k++) {
        double mse = gi_mse(Xh + k * d, X + perm[k] * d, d);
        cr_expect_lt(mse, 1e-4, "record %zu: MSE %g (matching loss %g)", k, mse, M);
    }
    free(g);
    gsl_rng_free(r);
    gi_net_free(n);
    mlp_free(m);
}

/* ---- projection and metrics ---- */

Test(gradinv, projection_onto_the_simplex_matches_hand_values)
{
    /* Euclidean projections worked by hand: (.5,.5,.5) -> thirds; (2,0,0) ->
     * (1,0,0); (.8,.6,0): τ = .2 -> (.6,.4,0); numeric column clipped. */
    double X[10] = {0.5, 0.5, 0.5, 2, 0, 0, 0.8, 0.6, 0, 1.7};
    size_t st[3] = {0, 3, 6}, len[3] = {3, 3, 3};
    gi_domain dom = {.n_blocks = 3, .block_start = st, .block_len = len};
    gi_project(&dom, X, 1, 10);
    const double want[10] = {1. / 3, 1. / 3, 1. / 3, 1, 0, 0, 0.6, 0.4, 0, 1};
    for (size_t k = 0; k < 10; k++)
        cr_expect_float_eq(X[k], want[k], 1e-12, "entry %zu: %.17g", k, X[k]);
    /* a block longer than the sort buffer (bisection path): a vertex, and a
     * constant vector (-> uniform 1/len) */
    const size_t n = 1500;
    double *u = calloc(2 * n, sizeof *u);
    u[7] = 2;
    for (size_t k = n; k < 2 * n; k++)
        u[k] = 0.3;
    size_t st2[2] = {0, n}, len2[2] = {n, n};
    gi_domain dom2 = {.n_blocks = 2, .block_start = st2, .block_len = len2};
    gi_project(&dom2, u, 1, 2 * n);
    for (size_t k = 0; k < 2 * n; k++)
        cr_expect_float_eq(u[k], k == 7 ? 1.0 : k < n ? 0.0 : 1.0 / (double)n, 1e-12, "entry %zu: %.17g", k, u[k]);
    free(u);
}

Test(gradinv, psnr_and_mse_match_hand_values)
{
    double a[4] = {0, 0.5, 1, 0.25}, b[4] = {0.1, 0.4, 0.9, 0.35};
    cr_expect_float_eq(gi_mse(a, b, 4), 0.01, 1e-15);
    cr_expect_float_eq(gi_psnr(0.01), 20.0, 1e-12);
    cr_expect_float_eq(gi_psnr(1e-6), 60.0, 1e-12);
    cr_expect(isinf(gi_psnr(gi_mse(a, a, 4))) && gi_psnr(0) > 0, "identical images: PSNR +inf");
}

Test(gradinv, ssim_matches_a_numpy_reference)
{
    /* Reference: /usr/bin/python3 + numpy 1.x, sliding_window_view over the
     * valid 3×3 (or 1×1) windows, population moments, C1 = 1e-4, C2 = 9e-4,
     * mean over windows (Wang et al. 2004 Eq. 13 with a uniform window). a =
     * arange(16)/15 as 4×4, b as below. Tolerance 1e-12 (summation order). */
    double a[16], b[16] = {0.1, 0.9, 0.3, 0.2, 0.5, 0.5, 0.0, 1.0, 0.7, 0.2, 0.6, 0.4, 0.8, 0.3, 0.9, 0.1}, c[16];
    for (size_t k = 0; k < 16; k++) {
        a[k] = (double)k / 15.0;
        c[k] = 1 - a[k];
    }
    cr_expect_float_eq(gi_ssim(a, b, 4, 4, 3), 0.0917625284826209, 1e-12);
    cr_expect_float_eq(gi_ssim(a, c, 4, 4, 3), -0.8463060450433959, 1e-12);
    cr_expect_float_eq(gi_ssim(a, b, 4, 4, 1), 0.6647333380500875, 1e-12);
    cr_expect_float_eq(gi_ssim(a, a, 4, 4, 3), 1.0, 1e-15, "identical images: SSIM 1");
    cr_expect(isnan(gi_ssim(a, b, 4, 4, 2)) && isnan(gi_ssim(a, b, 4, 4, 5)), "even or too large window: NAN");
}

Test(gradinv, record_matching_finds_the_permutation)
{
    /* 5 records, reconstructions a noisy shuffle */
    const size_t B = 5, d = 3, shuffle[5] = {3, 0, 4, 1, 2};
    double X[15], Xh[15];
    gsl_rng *r = new_rng(4);
    uniform(r, X, B * d, 0, 1);
    for (size_t k = 0; k < B; k++)
        for (size_t j = 0; j < d; j++)
            Xh[k * d + j] = X[shuffle[k] * d + j] + 0.01 * (gsl_rng_uniform(r) - 0.5);
    size_t perm[5];
    pa_err e = {0};
    cr_assert_eq(gi_match_records(Xh, X, B, d, perm, &e), PA_OK, "%s", e.msg);
    for (size_t k = 0; k < B; k++)
        cr_expect_eq(perm[k], shuffle[k]);
    int32_t y1[3] = {1, 1, 2}, y2[3] = {1, 2, 2};
    cr_expect_float_eq(gi_label_accuracy(y1, y2, 3), 2.0 / 3, 1e-15);
    gsl_rng_free(r);
}

/* ---- the command line ---- */

/* A 3×3-image data set of 30 rows (pixels 0..4, label 0..2) made here. */
static void write_images(const char *dir)
{
    char csv[8192];
    size_t o = (size_t)snprintf(csv, sizeof csv, "p0,p1,p2,p3,p4,p5,p6,p7,p8,label\n");
    gsl_rng *r = new_rng(3);
    for (int i = 0; i < 30; i++) {
        for (int k = 0; k < 9; k++)
            o += (size_t)snprintf(csv + o, sizeof csv - o, "%lu,", gsl_rng_uniform_int(r, 5));
        o += (size_t)snprintf(csv + o, sizeof csv - o, "%d\n", i % 3);
    }
    gsl_rng_free(r);
    char js[4096];
    o = (size_t)snprintf(js, sizeof js, "{\"format\": \"privaudit-schema/1\", \"columns\": [");
    for (int k = 0; k < 9; k++)
        o += (size_t)snprintf(js + o, sizeof js - o,
                              "{\"name\": \"p%d\", \"type\": \"numeric\", \"min\": 0, \"max\": 4, \"integer\": true},", k);
    snprintf(js + o, sizeof js - o, "{\"name\": \"label\", \"type\": \"categorical\", \"size\": 3}]}");
    free(tu_write(dir, "img.csv", csv));
    free(tu_write(dir, "img.json", js));
}

Test(gradinv, cli_stores_exact_analytic_reconstructions_and_rejects_bad_usage)
{
    char *dir = tu_tmpdir();
    cr_assert(dir);
    write_images(dir);
    char *csv = tu_path(dir, "img.csv"), *js = tu_path(dir, "img.json"), *db = tu_path(dir, "g.db"),
         *out = tu_path(dir, "figs");
    const char *args[] = {"gradinv", "--data", csv, "--schema", js, "--batch", "1,2", "--batches", "3",
                          "--attack", "analytic", "--hidden", "8", "--db", db, "--out", out, NULL};
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 0, "exit %d: %s", r.code, r.err);
    sqlite3 *h = NULL;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(h,
                                    "SELECT count(*), max(s.mse), min(s.label_acc) FROM gradinv_score s JOIN gradinv_cell c"
                                    " ON c.id = s.cell_id WHERE s.method = 'analytic' AND c.batch = 1",
                                    -1, &s, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(h));
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_expect_eq(sqlite3_column_int(s, 0), 3, "one analytic reconstruction per batch of one");
    cr_expect_lt(sqlite3_column_double(s, 1), 1e-10, "B = 1 analytic MSE %g", sqlite3_column_double(s, 1));
    cr_expect_eq(sqlite3_column_double(s, 2), 1.0, "labels recovered");
    sqlite3_finalize(s);
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM gradinv_score WHERE method LIKE 'guess-%'", -1, &s, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_expect_eq(sqlite3_column_int(s, 0), 2 * (3 * 1 + 3 * 2), "two guesses per record of every batch");
    sqlite3_finalize(s);
    sqlite3_close(h);
    tu_result_free(&r);
    /* privaudit report on a gradient-inversion database: its own section and figures, no
     * membership section (the database has no membership experiment) */
    char *rep = tu_path(dir, "rep"), *md_path = tu_path(rep, "report.md"), *grid = tu_path(rep, "gradinv_grid.png");
    const char *rargs[] = {"report", "--db", db, "--out", rep, "--quiet", NULL};
    r = tu_run(dir, rargs);
    cr_expect_eq(r.code, 0, "report exit %d: %s", r.code, r.err);
    tu_result_free(&r);
    char *md = tu_slurp(md_path);
    cr_assert(md, "report.md missing");
    cr_expect(strstr(md, "## Gradient inversion") && strstr(md, "| analytic | 1 |"), "%s", md);
    cr_expect(!strstr(md, "## Membership inference"), "%s", md);
    cr_expect(tu_exists(grid), "gradinv_grid.png missing");
    free(md);
    free(md_path);
    free(grid);
    free(rep);
    const char *bad1[] = {"gradinv", "--data", csv, "--schema", js, "--batch", "4", "--attack", "dlg", "--db", db,
                          "--out", out, NULL};
    r = tu_run(dir, bad1);
    cr_expect_eq(r.code, 2, "B > classes with iDLG labels is bad usage");
    cr_expect(strstr(r.err, "--batch"), "message names --batch: %s", r.err);
    tu_result_free(&r);
    const char *bad2[] = {"gradinv", "--data", csv, "--schema", js, "--batch", "1", "--sigma", "1", NULL};
    r = tu_run(dir, bad2);
    cr_expect_eq(r.code, 2, "noise without a clipping norm is bad usage");
    tu_result_free(&r);
    free(csv);
    free(js);
    free(db);
    free(out);
    tu_rmtree(dir);
    free(dir);
}
