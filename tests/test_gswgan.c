/* test_gswgan.c — GS-WGAN on the conv engine (generators/gswgan.c): the
 * gradient penalty's parameter gradient against central differences, the
 * accounting against `privaudit account`, the noise on the sanitised
 * generator gradients, determinism, bad parameters, and what it learns
 * without noise.
 *
 * n = training records, c = classes, H × W = 8 × 8 images (n_0 = 64 pixels),
 * K = discriminators, T = generator steps, B = batch, P = critic parameters.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "audit/acct.h"
#include "core/net.h"
#include "core/rng.h"
#include "generators/gen.h"
#include "generators/gswgan.h"
#include "tests/genutil.h"
#include "tests/testutil.h"

/* y ∈ {0, 1} uniform; 8 × 8 pixels in [0, 1]: the left half bright (0.8 +
 * 0.2 U) for class 0, the right half for class 1, the rest 0.2 U. */
static table *images(size_t n, uint64_t seed)
{
    schema *s = schema_new(65);
    for (size_t j = 0; j < 65; j++) {
        char nm[8];
        snprintf(nm, sizeof nm, j ? "p%zu" : "y", j - (j > 0));
        free(s->cols[j].name);
        s->cols[j].name = pa_strdup(nm);
        s->cols[j].kind = j ? COL_NUM : COL_CAT;
        s->cols[j].size = j ? 0 : 2;
        s->cols[j].lo = 0;
        s->cols[j].hi = 1;
    }
    table *t = tbl_new(s, n);
    schema_free(s);
    gsl_rng *r = rng_stream(seed, 5);
    for (size_t i = 0; i < n; i++) {
        int32_t y = (int32_t)rng_below(r, 2);
        t->cat[0][i] = y;
        for (size_t j = 0; j < 64; j++)
            t->num[1 + j][i] = (((j % 8) < 4) == (y == 0) ? 0.8 : 0.0) + 0.2 * gsl_rng_uniform(r);
    }
    gsl_rng_free(r);
    return t;
}

static gen_model *fit(const table *t, double eps, const char *json, uint64_t seed, gen_noise *nz)
{
    return tu_gen_fit("gswgan", t, eps, 1e-5, json, seed, nz, PA_OK);
}

static table *sample(const gen_model *g, size_t m)
{
    return tu_gen_sample(g, m, 8);
}

TestSuite(gswgan, .timeout = 120);

/* A tiny conditional conv critic (6 × 6 × 1 → conv 3×3 s2 p1, 3 channels,
 * tanh → conv 3×3 s2 p1, 4 channels, LeakyReLU 0.2 → dense 3 heads), B = 4
 * random points in [0, 1] and labels: ∇θ R of the penalty R = λ/B Σ(‖∇x
 * D(x_i, y_i)‖ − 1)² by double backprop equals the central differences
 * (R(θ + h e_j) − R(θ − h e_j))/2h of the penalty's value, h = 1e-5, to 1e-6
 * of the largest component (truncation O(h²) ~ 1e-10, rounding ~ 1e-11 in
 * double; no kink of the LeakyReLU within h of a pre-activation for this
 * seed, which the agreement itself shows). The float engine agrees to 1e-3. */
Test(gswgan, the_gradient_penalty_gradient_equals_central_differences_of_the_penalty)
{
    const net_layer_spec ly[] = {
        {.kind = NET_CONV, .out = 3, .k = 3, .stride = 2, .pad = 1},
        {.kind = NET_ACT, .act = NET_TANH},
        {.kind = NET_CONV, .out = 4, .k = 3, .stride = 2, .pad = 1},
        {.kind = NET_ACT, .act = NET_LRELU, .slope = 0.2},
        {.kind = NET_FLATTEN},
        {.kind = NET_DENSE, .out = 3},
    };
    const net_spec spec = {.H = 6, .W = 6, .C = 1, .L = 6, .layer = ly};
    enum { B = 4, N0 = 36 };
    netd *D = NULL;
    net *Df = NULL;
    pa_err e = {0};
    cr_assert_eq(netd_new(&spec, &D, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(net_new(&spec, &Df, &e), PA_OK, "%s", e.msg);
    gsl_rng *r = rng_stream(17, 2);
    netd_init(D, r);
    /* larger weights so that ‖∇x D‖ is near 1 and the penalty is not flat */
    const size_t P = netd_nparams(D);
    double *th = netd_params(D);
    for (size_t j = 0; j < P; j++)
        th[j] *= 3;
    double X[B * N0], work[B * N0];
    int32_t y[B] = {0, 2, 1, 2};
    for (size_t k = 0; k < B * N0; k++)
        X[k] = gsl_rng_uniform(r);
    double *grad = malloc(P * sizeof *grad);
    double R0;
    const double lambda = 10;
    cr_assert_eq(gsw_gp_grad_d(D, X, y, B, lambda, work, &R0, grad, &e), PA_OK, "%s", e.msg);
    cr_assert(R0 > 0 && isfinite(R0), "penalty %g", R0);
    double gmax = 0, dmax = 0;
    double *scratch = malloc(P * sizeof *scratch);
    for (size_t j = 0; j < P; j++) {
        const double h = 1e-5, t0 = th[j];
        double Rp, Rm;
        th[j] = t0 + h;
        cr_assert_eq(gsw_gp_grad_d(D, X, y, B, lambda, work, &Rp, scratch, &e), PA_OK);
        th[j] = t0 - h;
        cr_assert_eq(gsw_gp_grad_d(D, X, y, B, lambda, work, &Rm, scratch, &e), PA_OK);
        th[j] = t0;
        double fd = (Rp - Rm) / (2 * h);
        gmax = fmax(gmax, fabs(fd));
        dmax = fmax(dmax, fabs(fd - grad[j]));
    }
    cr_assert(gmax > 1e-3, "the penalty is flat in theta (max |dR/dtheta| %g)", gmax);
    cr_assert(dmax <= 1e-6 * gmax, "double backprop vs central differences: max difference %g of max %g", dmax, gmax);
    /* the float engine */
    float Xf[B * N0], wf[B * N0];
    float *gf = malloc(P * sizeof *gf);
    for (size_t k = 0; k < B * N0; k++)
        Xf[k] = (float)X[k];
    float *thf = net_params(Df);
    for (size_t j = 0; j < P; j++)
        thf[j] = (float)th[j];
    double Rf;
    cr_assert_eq(gsw_gp_grad(Df, Xf, y, B, lambda, wf, &Rf, gf, &e), PA_OK, "%s", e.msg);
    cr_assert(fabs(Rf - R0) <= 1e-4 * R0, "float penalty %.9g, double %.9g", Rf, R0);
    double fmaxd = 0;
    for (size_t j = 0; j < P; j++)
        fmaxd = fmax(fmaxd, fabs((double)gf[j] - grad[j]));
    cr_assert(fmaxd <= 1e-3 * gmax, "float vs double gradient: max difference %g of max %g", fmaxd, gmax);
    /* a label outside the heads is refused */
    y[1] = 3;
    cr_assert_eq(gsw_gp_grad_d(D, X, y, B, lambda, work, &R0, grad, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "label"), "%s", e.msg);
    free(grad);
    free(scratch);
    free(gf);
    gsl_rng_free(r);
    netd_free(D);
    net_free(Df);
}

static const char *const tiny = "{\"label\": \"y\", \"dim\": 2, \"nz\": 3, \"discriminators\": 4, \"warmup\": 1, "
                                "\"steps\": 6, \"batch\": 5, \"critic_steps\": 1}";

/* T·B = 30 compositions at q = 1/K = 1/4: the fit reports exactly those, the
 * reported ε is within 1e-6 of the target (the calibration's tolerance) and
 * is what `privaudit account --sigma S --q 0.25 --steps 30 --delta 1e-5`
 * prints for the σ the fit used (to 1e-12: the binary prints %.17g); σ > 0;
 * the noise on each sanitised gradient is N(0, (2σC)²) per coordinate (the
 * sensitivity 2C of the reference): Σz² of the 30·64 standardised residuals
 * within 6 sd of its χ² mean. At ε = ∞ nothing is noised and the release
 * differs. */
Test(gswgan, spends_the_target_epsilon_as_privaudit_account_counts_it_and_noises_every_gradient)
{
    table *t = images(80, 1);
    static const double eps[] = {1, 10};
    gen_model *g10 = NULL;
    for (size_t c = 0; c < 2; c++) {
        gen_noise nz = {0};
        gen_model *g = fit(t, eps[c], tiny, 2, &nz);
        gen_privacy pv;
        gen_privacy_of(g, &pv);
        cr_assert_str_eq(pv.accountant, "rdp");
        cr_assert_eq(pv.replace_one, 0);
        cr_assert(fabs(pv.epsilon - eps[c]) <= 1e-6 * eps[c], "eps %.17g", pv.epsilon);
        cr_assert_eq(nz.sgd_comps, 30);
        cr_assert_eq(nz.sgd_q, 0.25);
        cr_assert(nz.sgd_sigma > 0, "sigma %g", nz.sgd_sigma);
        cr_assert_eq(nz.n_sgd, 30 * 64);
        double k = (double)nz.n_sgd, z = (nz.ss_sgd - k) / sqrt(2 * k);
        cr_assert(fabs(z) <= 6, "sum z^2 %g over %g values (%.1f sd)", nz.ss_sgd, k, z);
        char sig[64];
        snprintf(sig, sizeof sig, "%.17g", nz.sgd_sigma);
        char *dir = tu_tmpdir();
        const char *args[] = {"account", "--sigma", sig, "--q", "0.25", "--steps", "30", "--delta", "1e-5", NULL};
        tu_result res = tu_run(dir, args);
        cr_assert_eq(res.code, 0, "privaudit account: %s", res.err);
        double e2 = NAN;
        const char *at = strstr(res.out, "epsilon = ");
        cr_assert_not_null(at, "output: %s", res.out);
        cr_assert_eq(sscanf(at, "epsilon = %lf", &e2), 1);
        cr_assert(fabs(e2 - pv.epsilon) <= 1e-12 * pv.epsilon, "account %.17g, reported %.17g", e2, pv.epsilon);
        tu_result_free(&res);
        tu_rmtree(dir);
        free(dir);
        if (c == 1)
            g10 = g;
        else
            gen_free(g);
    }
    gen_noise nz = {0};
    gen_model *gi = fit(t, INFINITY, tiny, 2, &nz);
    gen_privacy pv;
    gen_privacy_of(gi, &pv);
    cr_assert(isinf(pv.epsilon));
    cr_assert_str_eq(pv.accountant, "none");
    cr_assert_eq(nz.n_sgd, 0);
    table *a = sample(g10, 20), *b = sample(gi, 20);
    cr_assert_neq(tbl_hash(a), tbl_hash(b), "the release at eps = 10 equals the eps = inf one");
    tbl_free(a);
    tbl_free(b);
    gen_free(gi);
    gen_free(g10);
    tbl_free(t);
}

Test(gswgan, is_deterministic_under_a_seed_and_releases_images_in_bounds)
{
    table *t = images(60, 2);
    gen_model *g1 = fit(t, 2, tiny, 9, NULL), *g2 = fit(t, 2, tiny, 9, NULL), *g3 = fit(t, 2, tiny, 10, NULL);
    table *s1 = sample(g1, 40), *s2 = sample(g2, 40), *s3 = sample(g3, 40);
    cr_assert_eq(tbl_hash(s1), tbl_hash(s2));
    cr_assert_neq(tbl_hash(s1), tbl_hash(s3));
    size_t per[2] = {0, 0};
    for (size_t i = 0; i < 40; i++) {
        cr_assert(s1->cat[0][i] == 0 || s1->cat[0][i] == 1);
        per[s1->cat[0][i]]++;
        for (size_t j = 1; j < 65; j++)
            cr_assert(s1->num[j][i] >= 0 && s1->num[j][i] <= 1, "row %zu col %zu: %g", i, j, s1->num[j][i]);
    }
    cr_assert(per[0] > 0 && per[1] > 0, "labels drawn: %zu, %zu", per[0], per[1]);
    tbl_free(s1);
    tbl_free(s2);
    tbl_free(s3);
    gen_free(g1);
    gen_free(g2);
    gen_free(g3);
    tbl_free(t);
}

Test(gswgan, rejects_bad_parameters_naming_them)
{
    table *t = images(20, 3);
    static const struct {
        const char *json;
        double eps, delta;
        const char *needle;
    } cases[] = {
        {"{}", 1, 1e-5, "label"},
        {"{\"label\": \"p0\"}", 1, 1e-5, "categorical"},
        {"{\"label\": \"nope\"}", 1, 1e-5, "nope"},
        {"{\"label\": \"y\", \"colour\": 1}", 1, 1e-5, "colour"},
        {"{\"label\": \"y\", \"height\": 4}", 1, 1e-5, "height"},
        {"{\"label\": \"y\", \"dim\": 0}", 1, 1e-5, "dim"},
        {"{\"label\": \"y\", \"batch\": 2.5}", 1, 1e-5, "batch"},
        {"{\"label\": \"y\", \"discriminators\": 0}", 1, 1e-5, "discriminators"},
        {"{\"label\": \"y\", \"discriminators\": 21}", 1, 1e-5, "discriminators"},
        {"{\"label\": \"y\", \"discriminators\": 1000000, \"dim\": 64}", 1, 1e-5, "GiB"},
        {"{\"label\": \"y\", \"steps\": 0}", 1, 1e-5, "steps"},
        {"{\"label\": \"y\", \"critic_steps\": 0}", 1, 1e-5, "critic_steps"},
        {"{\"label\": \"y\", \"clip\": 0}", 1, 1e-5, "clip"},
        {"{\"label\": \"y\", \"lr\": 0}", 1, 1e-5, "lr"},
        {"{\"label\": \"y\", \"gp\": -1}", 1, 1e-5, "gp"},
        {"{\"label\": \"y\", \"ema\": 1}", 1, 1e-5, "ema"},
        {"{\"label\": \"y\", \"latent\": \"uniform\"}", 1, 1e-5, "latent"},
        {"{\"label\": \"y\"}", 1, 0, "delta"},
        /* no sigma in the accountant's range reaches eps = 1e-6 in 20,000 x 32 compositions */
        {"{\"label\": \"y\", \"discriminators\": 2, \"dim\": 1}", 1e-6, 1e-5, "sigma"},
    };
    /* the checks that need no data run before the fit (gen_check refuses them too) */
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        tu_gen_refused("gswgan", t, cases[c].json, cases[c].eps, cases[c].delta, cases[c].needle,
                       !strstr(cases[c].json, "21") && cases[c].eps >= 1, c);
    tbl_free(t);
}

/* Without noise (ε = ∞, one critic on all records) the generator learns the
 * class-conditional images: a sampled image is brighter on its class's half
 * for at least 32 of 40 records (an image that ignores its label is right
 * half the time: 32 of 40 is 3.8 sd above 20). */
Test(gswgan, learns_the_class_conditional_images_without_noise)
{
    table *t = images(200, 4);
    gen_model *g = fit(t, INFINITY,
                       "{\"label\": \"y\", \"dim\": 4, \"nz\": 4, \"discriminators\": 1, \"warmup\": 0, "
                       "\"steps\": 300, \"batch\": 16, \"critic_steps\": 2, \"lr\": 0.005}", 5, NULL);
    table *s = sample(g, 40);
    size_t right = 0;
    for (size_t i = 0; i < 40; i++) {
        double left = 0, rt = 0;
        for (size_t j = 0; j < 64; j++)
            *((j % 8) < 4 ? &left : &rt) += s->num[1 + j][i];
        right += (left > rt) == (s->cat[0][i] == 0);
    }
    cr_assert_geq(right, 32, "%zu of 40 images brighter on their class's half", right);
    tbl_free(s);
    gen_free(g);
    tbl_free(t);
}
