/* test_dpgan.c — the GAN generator (generators/dpgan.c), both modes.
 *
 * n = training records, m = synthetic records, T = steps, B = batch,
 * K = discriminators.
 */
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "audit/acct.h"
#include "core/rng.h"
#include "generators/gen.h"

extern const gen_vtable gen_dpgan;

static void init_suite(void)
{
    /* Bit-for-bit determinism is claimed for one BLAS thread. */
    openblas_set_num_threads(1);
}

TestSuite(dpgan, .init = init_suite);

/* A planted table: a ∈ {0,1} with P(a = 1) = 0.8; b = a with probability 0.9
 * (else 1 − a); c ∈ {0,1,2} uniform; x numeric in [0, 10], x = 7 + U(−1, 1).
 * Columns a, b, c, x. */
static table *planted(size_t n, uint64_t seed)
{
    schema *s = schema_new(4);
    const char *names[] = {"a", "b", "c", "x"};
    size_t card[] = {2, 2, 3, 0};
    for (size_t j = 0; j < 4; j++) {
        free(s->cols[j].name);
        s->cols[j].name = pa_strdup(names[j]);
        s->cols[j].kind = card[j] ? COL_CAT : COL_NUM;
        s->cols[j].size = card[j];
        s->cols[j].lo = 0;
        s->cols[j].hi = 10;
    }
    table *t = tbl_new(s, n);
    schema_free(s);
    gsl_rng *r = rng_stream(seed, 11);
    for (size_t i = 0; i < n; i++) {
        int32_t a = gsl_rng_uniform(r) < 0.8;
        t->cat[0][i] = a;
        t->cat[1][i] = gsl_rng_uniform(r) < 0.9 ? a : 1 - a;
        t->cat[2][i] = (int32_t)rng_below(r, 3);
        t->num[3][i] = 7 + 2 * (gsl_rng_uniform(r) - 0.5);
    }
    gsl_rng_free(r);
    return t;
}

/* Fits with params (JSON text) at (eps, delta) and samples m rows (m = 0: no
 * sample). Fails the test on an error. */
static table *fit_sample(const table *train, double eps, double delta, const char *params, uint64_t seed, size_t m,
                         gen_privacy *priv)
{
    cJSON *p = cJSON_Parse(params);
    cr_assert(p, "bad test JSON %s", params);
    gen_config cfg = {.epsilon = eps, .delta = delta, .params = p};
    gsl_rng *r = rng_stream(seed, 3);
    void *st = NULL;
    pa_err err = {0};
    int rc = gen_dpgan.fit(train, &cfg, r, &st, &err);
    cr_assert_eq(rc, PA_OK, "fit: %s", err.msg);
    table *out = NULL;
    if (m) {
        rc = gen_dpgan.sample(st, m, r, &out, &err);
        cr_assert_eq(rc, PA_OK, "sample: %s", err.msg);
        cr_assert_eq(out->n, m);
    }
    if (priv)
        gen_dpgan.privacy(st, priv);
    gen_dpgan.free_state(st);
    gsl_rng_free(r);
    cJSON_Delete(p);
    return out;
}

static const char *tiny = "\"hidden\": 8, \"layers\": 1, \"nz\": 4";

Test(dpgan, dpsgd_mode_reports_the_opacus_rdp_epsilon_for_the_given_sigma)
{
    /* REF (REFERENCES.md, opacus accountants_test.py): σ = 1.5, q = 0.04,
     * T = 2250, δ = 1e-5 → ε = 7.32911117143. q = batch/n = 2/50. */
    table *t = planted(50, 1);
    char params[256];
    snprintf(params, sizeof params, "{%s, \"batch\": 2, \"steps\": 2250, \"sigma\": 1.5}", tiny);
    gen_privacy pv;
    fit_sample(t, 8, 1e-5, params, 1, 0, &pv);
    cr_assert_float_eq(pv.epsilon, 7.32911117143, 1e-9, "eps = %.12g", pv.epsilon);
    cr_assert_eq(pv.delta, 1e-5);
    cr_assert_str_eq(pv.accountant, "rdp");
    cr_assert_eq(pv.declared, 0);
    tbl_free(t);
}

Test(dpgan, gswgan_mode_accounts_T_times_B_compositions_at_rate_one_over_K)
{
    /* The paper's accounting: T·B = 250·9 = 2250 subsampled Gaussians at
     * q = 1/K = 1/25, σ = 1.5: the same REF as above, 7.32911117143. */
    table *t = planted(50, 2);
    char params[256];
    snprintf(params, sizeof params,
             "{%s, \"mode\": \"gswgan\", \"discriminators\": 25, \"batch\": 9, \"steps\": 250, \"sigma\": 1.5}",
             tiny);
    gen_privacy pv;
    fit_sample(t, 8, 1e-5, params, 1, 0, &pv);
    cr_assert_float_eq(pv.epsilon, 7.32911117143, 1e-9, "eps = %.12g", pv.epsilon);
    cr_assert_str_eq(pv.accountant, "rdp");
    tbl_free(t);
}

Test(dpgan, the_noise_is_sigma_times_the_sensitivity_of_what_it_noises)
{
    /* dpsgd: the sum of per-example gradients clipped to C changes by at
     * most C when one record is added or removed, so the noise is σC.
     * gswgan: the gradient reaching the generator is clipped to C, but a
     * neighbouring data set changes the discriminator that produced it, so
     * it can move anywhere in the C ball: sensitivity 2C, noise 2σC (GS-WGAN,
     * Chen et al. 2020, and its reference code). The recorder returns the
     * sensitivity the code assumes and the noise it really added (ss over
     * (noisy − exact)/sd ~ χ²). σ = 1.5, C = 0.5. */
    table *t = planted(50, 2);
    const char *modes[] = {"dpsgd", "gswgan"};
    const double sens[] = {0.5, 1.0};
    for (size_t m = 0; m < 2; m++) {
        char params[256];
        snprintf(params, sizeof params, "{%s, \"mode\": \"%s\", \"batch\": 9, \"steps\": 40, \"sigma\": 1.5, "
                 "\"clip\": 0.5%s}", tiny, modes[m], m ? ", \"discriminators\": 5" : "");
        cJSON *p = cJSON_Parse(params);
        cr_assert(p, "bad test JSON %s", params);
        gen_noise nz = {0};
        gen_config cfg = {.epsilon = 8, .delta = 1e-5, .params = p, .noise = &nz};
        gsl_rng *r = rng_stream(4, 3);
        void *st = NULL;
        pa_err err = {0};
        cr_assert_eq(gen_dpgan.fit(t, &cfg, r, &st, &err), PA_OK, "%s: %s", modes[m], err.msg);
        cr_assert_eq(nz.sgd_sens, sens[m], "%s: sensitivity %g, expected %g", modes[m], nz.sgd_sens, sens[m]);
        cr_assert_eq(nz.sgd_sigma, 1.5, "%s: noise multiplier %g", modes[m], nz.sgd_sigma);
        double k = (double)nz.n_sgd, z = (nz.ss_sgd - k) / sqrt(2 * k);
        cr_assert(k > 100 && fabs(z) <= 6, "%s: sum z^2 %g over %g values (%.1f sd)", modes[m], nz.ss_sgd, k, z);
        gen_dpgan.free_state(st);
        gsl_rng_free(r);
        cJSON_Delete(p);
    }
    tbl_free(t);
}

/* Strings live inside the structs: Criterion re-executes the binary for
 * each test, so pointers in a parameter array would not survive. */
typedef struct calib_case {
    char mode[16];
    double eps, delta;
} calib_case;

static calib_case calib_cases[] = {
    {.mode = "dpsgd", .eps = 1, .delta = 1e-5},
    {.mode = "dpsgd", .eps = 10, .delta = 1e-9},
    {.mode = "gswgan", .eps = 1, .delta = 1e-5},
    {.mode = "gswgan", .eps = 10, .delta = 1e-5},
};

ParameterizedTestParameters(dpgan, calibrated_sigma_spends_the_configured_epsilon)
{
    return cr_make_param_array(calib_case, calib_cases, sizeof calib_cases / sizeof calib_cases[0]);
}

ParameterizedTest(calib_case *c, dpgan, calibrated_sigma_spends_the_configured_epsilon)
{
    /* acct_calibrate_sigma finds σ to relative 1e-6, the smallest with ε <= target:
     * the ε spent is the target to well within 1e-4 relative, never above. */
    table *t = planted(200, 3);
    char params[256];
    snprintf(params, sizeof params, "{%s, \"mode\": \"%s\", \"steps\": 30, \"batch\": 10%s}", tiny, c->mode,
             strcmp(c->mode, "gswgan") == 0 ? ", \"discriminators\": 4" : "");
    gen_privacy pv;
    fit_sample(t, c->eps, c->delta, params, 1, 0, &pv);
    cr_assert(pv.epsilon <= c->eps * (1 + 1e-9) && pv.epsilon >= c->eps * (1 - 1e-4), "%s: eps %.12g vs %g",
              c->mode, pv.epsilon, c->eps);
    cr_assert_eq(pv.delta, c->delta);
    tbl_free(t);
}

Test(dpgan, infinite_epsilon_trains_without_noise_and_reports_no_privacy)
{
    table *t = planted(100, 4);
    char params[128];
    snprintf(params, sizeof params, "{%s, \"steps\": 5}", tiny);
    gen_privacy pv;
    table *o = fit_sample(t, INFINITY, 0, params, 1, 10, &pv);
    cr_assert(isinf(pv.epsilon) && pv.epsilon > 0);
    cr_assert_str_eq(pv.accountant, "none");
    tbl_free(o);
    tbl_free(t);
}

Test(dpgan, the_same_seed_gives_the_same_table_bit_for_bit)
{
    table *t = planted(300, 5);
    const char *modes[] = {"dpsgd", "gswgan"};
    for (size_t k = 0; k < 2; k++) {
        char params[256];
        snprintf(params, sizeof params, "{%s, \"mode\": \"%s\", \"steps\": 40}", tiny, modes[k]);
        table *a = fit_sample(t, 1, 1e-5, params, 9, 200, NULL);
        table *b = fit_sample(t, 1, 1e-5, params, 9, 200, NULL);
        table *c = fit_sample(t, 1, 1e-5, params, 10, 200, NULL);
        cr_assert_eq(tbl_hash(a), tbl_hash(b), "%s: same seed, different tables", modes[k]);
        cr_assert_neq(tbl_hash(a), tbl_hash(c), "%s: different seeds, same table", modes[k]);
        tbl_free(a);
        tbl_free(b);
        tbl_free(c);
    }
    tbl_free(t);
}

Test(dpgan, the_seed_parameter_fixes_the_fit_whatever_the_stream)
{
    table *t = planted(100, 6);
    char params[128];
    snprintf(params, sizeof params, "{%s, \"steps\": 20, \"seed\": 42}", tiny);
    cJSON *p = cJSON_Parse(params);
    gen_config cfg = {.epsilon = 1, .delta = 1e-5, .params = p};
    void *s1 = NULL, *s2 = NULL;
    gsl_rng *r1 = rng_stream(1, 1), *r2 = rng_stream(2, 2), *q1 = rng_stream(7, 7), *q2 = rng_stream(7, 7);
    pa_err err = {0};
    cr_assert_eq(gen_dpgan.fit(t, &cfg, r1, &s1, &err), PA_OK, "%s", err.msg);
    cr_assert_eq(gen_dpgan.fit(t, &cfg, r2, &s2, &err), PA_OK, "%s", err.msg);
    table *a = NULL, *b = NULL;
    cr_assert_eq(gen_dpgan.sample(s1, 100, q1, &a, &err), PA_OK);
    cr_assert_eq(gen_dpgan.sample(s2, 100, q2, &b, &err), PA_OK);
    cr_assert_eq(tbl_hash(a), tbl_hash(b));
    tbl_free(a);
    tbl_free(b);
    gen_dpgan.free_state(s1);
    gen_dpgan.free_state(s2);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    gsl_rng_free(q1);
    gsl_rng_free(q2);
    cJSON_Delete(p);
    tbl_free(t);
}

typedef struct bad_case {
    char params[64];
    double eps;
    char needle[64];      /* text the message must contain */
} bad_case;

static bad_case bad_cases[] = {
    {.params = "{\"depth\": 3}", .eps = 1, .needle = "unknown parameter \"depth\""},
    {.params = "{\"mode\": \"wgan\"}", .eps = 1, .needle = "\"mode\": expected \"dpsgd\" or \"gswgan\""},
    {.params = "{\"mode\": 1}", .eps = 1, .needle = "\"mode\""},
    {.params = "{\"label\": \"x\"}", .eps = 1, .needle = "\"label\": expected the name of a categorical"},
    {.params = "{\"label\": \"nope\"}", .eps = 1, .needle = "\"label\""},
    {.params = "{\"hidden\": 0}", .eps = 1, .needle = "\"hidden\": expected a number in [1, "},
    {.params = "{\"hidden\": 2.5}", .eps = 1, .needle = "\"hidden\": expected an integer"},
    {.params = "{\"lr\": -1}", .eps = 1, .needle = "\"lr\": expected a number"},
    {.params = "{\"clip\": 0}", .eps = 1, .needle = "\"clip\""},
    {.params = "{\"sigma\": 0}", .eps = 1, .needle = "\"sigma\" = 0 gives no privacy"},
    {.params = "{\"sigma\": \"big\"}", .eps = 1, .needle = "\"sigma\": expected a number"},
    {.params = "{\"discriminators\": 4}", .eps = 1, .needle = "apply to mode \"gswgan\" only"},
    {.params = "{\"mode\": \"gswgan\", \"discriminators\": 1000}", .eps = 1, .needle = "exceeds the 100 training rows"},
    {.params = "{\"steps\": 0}", .eps = 1, .needle = "\"steps\""},
    {.params = "{\"seed\": -1}", .eps = 1, .needle = "\"seed\""},
};

ParameterizedTestParameters(dpgan, a_bad_parameter_is_refused_with_a_message_naming_it)
{
    return cr_make_param_array(bad_case, bad_cases, sizeof bad_cases / sizeof bad_cases[0]);
}

ParameterizedTest(bad_case *c, dpgan, a_bad_parameter_is_refused_with_a_message_naming_it)
{
    table *t = planted(100, 7);
    cJSON *p = cJSON_Parse(c->params);
    cr_assert(p);
    gen_config cfg = {.epsilon = c->eps, .delta = 1e-5, .params = p};
    gsl_rng *r = rng_stream(1, 1);
    void *st = (void *)1;
    pa_err err = {0};
    int rc = gen_dpgan.fit(t, &cfg, r, &st, &err);
    cr_assert_eq(rc, PA_EINPUT, "%s: rc %d", c->params, rc);
    cr_assert_null(st);
    cr_assert(strstr(err.msg, c->needle), "%s: message \"%s\" lacks \"%s\"", c->params, err.msg, c->needle);
    cr_assert(strstr(err.msg, "dpgan"), "message names the generator: %s", err.msg);
    gsl_rng_free(r);
    cJSON_Delete(p);
    tbl_free(t);
}

Test(dpgan, a_finite_epsilon_needs_a_positive_delta)
{
    table *t = planted(50, 8);
    gen_config cfg = {.epsilon = 1, .delta = 0, .params = NULL};
    pa_err err = {0};
    cr_assert_eq(gen_dpgan.check(t->s, &cfg, &err), PA_EINPUT);
    cr_assert(strstr(err.msg, "delta"), "%s", err.msg);
    tbl_free(t);
}

/* Fraction of rows with column j == v, and of rows with a == b. */
static double frac_eq(const table *t, size_t j, int32_t v)
{
    size_t c = 0;
    for (size_t i = 0; i < t->n; i++)
        c += t->cat[j][i] == v;
    return (double)c / (double)t->n;
}

typedef struct learn_case {
    char mode[16];
    char extra[64];       /* mode-specific parameters */
} learn_case;

static learn_case learn_cases[] = {
    {.mode = "dpsgd", .extra = "\"steps\": 3000, \"lr\": 0.0005"},
    {.mode = "gswgan", .extra = "\"steps\": 3000, \"lr\": 0.001, \"discriminators\": 4"},
};

ParameterizedTestParameters(dpgan, at_infinite_epsilon_it_learns_a_skewed_marginal_and_a_dependence)
{
    return cr_make_param_array(learn_case, learn_cases, sizeof learn_cases / sizeof learn_cases[0]);
}

ParameterizedTest(learn_case *c, dpgan, at_infinite_epsilon_it_learns_a_skewed_marginal_and_a_dependence)
{
    /* Planted: P(a=1) = 0.8, P(a=b) = 0.9, E[x] = 7 on [0, 10]. With m = 4000
     * synthetic rows the sampling sd of a frequency is <= sqrt(0.25/4000) =
     * 0.0079, so every bound below is > 6 sd away from what a generator that
     * learned nothing gives: uniform output has P(a=1) = P(a=b) = 0.5 and
     * E[x] = 5; a generator with the right marginals but a, b independent has
     * P(a=b) = 0.8·0.74 + 0.2·0.26 = 0.644. We ask P(a=1) in [0.7, 0.9]
     * (within 0.1 of the truth), P(a=b) >= 0.75 (> 0.644 + 13 sd) and the mean
     * of x within 1.5 of 7 (uniform output: 5; collapse to a bound: 0 or 10).
     * Over fit seeds 1..8 on this table (B = 128): dpsgd gave P(a=1)
     * 0.79–0.82, P(a=b) 0.92–0.93, E[x] 6.6–7.4; gswgan 0.79–0.81, 0.93–0.94,
     * 6.3–7.9 (GAN training is noisy; the bounds are what "learned" means). */
    table *t = planted(2000, 12);
    char params[256];
    snprintf(params, sizeof params,
             "{\"mode\": \"%s\", \"hidden\": 32, \"layers\": 1, \"nz\": 8, \"batch\": 128, %s}", c->mode,
             c->extra);
    table *o = fit_sample(t, INFINITY, 0, params, 3, 4000, NULL);
    double pa = frac_eq(o, 0, 1), agree = 0, mx = 0;
    for (size_t i = 0; i < o->n; i++) {
        agree += o->cat[0][i] == o->cat[1][i];
        mx += o->num[3][i];
    }
    agree /= (double)o->n;
    mx /= (double)o->n;
    cr_log_info("%s: P(a=1) %.4f P(a=b) %.4f E[x] %.4f", c->mode, pa, agree, mx);
    cr_assert(pa >= 0.7 && pa <= 0.9, "%s: P(a=1) = %.4f, planted 0.8", c->mode, pa);
    cr_assert(agree >= 0.75, "%s: P(a=b) = %.4f, planted 0.9, independence 0.644", c->mode, agree);
    cr_assert(fabs(mx - 7) <= 1.5, "%s: E[x] = %.4f, planted 7", c->mode, mx);
    tbl_free(o);
    tbl_free(t);
}

Test(dpgan, a_conditional_gan_draws_labels_uniformly_and_learns_the_label_dependence)
{
    /* Label c (3 classes, uniform); make a = (c == 0) so a depends on the
     * label: P(a=1 | c=0) = 1, P(a=1 | c≠0) = 0. Labels are drawn uniformly
     * at sampling: each class has frequency 1/3 ± 4 sd (sd = sqrt(2/9/3000)
     * = 0.0086). Learned dependence: P(a = [c=0]) >= 0.8, while a generator
     * ignoring the label gives at most max(1/3, 2/3) = 0.667 (> 15 sd). */
    table *t = planted(1500, 13);
    for (size_t i = 0; i < t->n; i++)
        t->cat[0][i] = t->cat[2][i] == 0;
    table *o = fit_sample(t, INFINITY, 0,
                          "{\"label\": \"c\", \"hidden\": 32, \"layers\": 1, \"nz\": 8, \"steps\": 1500, "
                          "\"batch\": 64}", 4, 3000, NULL);
    double ok = 0;
    for (int32_t k = 0; k < 3; k++) {
        double f = frac_eq(o, 2, k);
        cr_assert(fabs(f - 1.0 / 3) <= 4 * 0.0086, "class %d frequency %.4f", k, f);
    }
    for (size_t i = 0; i < o->n; i++)
        ok += o->cat[0][i] == (o->cat[2][i] == 0);
    ok /= (double)o->n;
    cr_assert(ok >= 0.8, "P(a = [c=0]) = %.4f", ok);
    tbl_free(o);
    tbl_free(t);
}
