/* test_dpmerf.c — the DP-Merf generator (generators/dpmerf.c), and the MLP
 * classifier of util_tstr_mlp (audit/utility.c) that judges it.
 *
 * n = training records, m = synthetic records.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <gsl/gsl_randist.h>

#include "audit/acct.h"
#include "audit/utility.h"
#include "core/rng.h"
#include "generators/gen.h"
#include "tests/genutil.h"

TestSuite(dpmerf);

static void name_col(schema *s, size_t j, const char *name)
{
    free(s->cols[j].name);
    s->cols[j].name = pa_strdup(name);
}

/* Columns a, b (3 codes each) with b = a with probability 0.9, else one of
 * the two other codes uniformly; a ~ (0.5, 0.3, 0.2); x numeric in [0, 10],
 * x ~ U(0, 5) when a = 0 else U(5, 10). */
static table *planted(size_t n, uint64_t seed)
{
    schema *s = schema_new(3);
    name_col(s, 0, "a");
    name_col(s, 1, "b");
    name_col(s, 2, "x");
    for (size_t j = 0; j < 2; j++) {
        s->cols[j].kind = COL_CAT;
        s->cols[j].size = 3;
    }
    s->cols[2].kind = COL_NUM;
    s->cols[2].lo = 0;
    s->cols[2].hi = 10;
    table *t = tbl_new(s, n);
    schema_free(s);
    gsl_rng *r = rng_stream(seed, 7);
    for (size_t i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r);
        int32_t a = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
        int32_t b = gsl_rng_uniform(r) < 0.9 ? a : (a + 1 + (int32_t)rng_below(r, 2)) % 3;
        t->cat[0][i] = a;
        t->cat[1][i] = b;
        t->num[2][i] = a == 0 ? 5 * gsl_rng_uniform(r) : 5 + 5 * gsl_rng_uniform(r);
    }
    gsl_rng_free(r);
    return t;
}

/* Fits dpmerf with params (JSON text) and returns the model. */
static gen_model *fit(const table *t, double eps, double delta, const char *json, uint64_t seed, int want)
{
    return tu_gen_fit("dpmerf", t, eps, delta, json, seed, NULL, want);
}

static table *sample(const gen_model *g, size_t m, uint64_t seed)
{
    return tu_gen_sample(g, m, seed);
}

/* μ_G of the analytic Gaussian mechanism, computed with Debian's scipy:
 *   brentq(lambda m: norm.cdf(-e/m + m/2) - exp(e)*norm.cdf(-e/m - m/2) - d, 1e-3, 100,
 *          xtol=1e-15, rtol=1e-15)
 * (ε, δ) = (1, 1e-5): 0.26805112321129465; (10, 1e-5): 2.0004456204306336.
 * The reported ρ is μ_G²/2; tolerance 1e-8 relative (Brent to 1e-14 on ln μ). */
Test(dpmerf, spends_the_configured_epsilon_by_the_analytic_gaussian)
{
    table *t = planted(500, 1);
    static const struct {
        double eps, mu;
    } cases[] = {{1, 0.26805112321129465}, {10, 2.0004456204306336}};
    for (size_t c = 0; c < 2; c++) {
        gen_model *g = fit(t, cases[c].eps, 1e-5, "{\"iters\": 0, \"features\": 20}", 1, PA_OK);
        gen_privacy pv;
        gen_privacy_of(g, &pv);
        cr_assert(fabs(pv.epsilon - cases[c].eps) <= 1e-9 * cases[c].eps, "eps %.17g", pv.epsilon);
        cr_assert_eq(pv.delta, 1e-5);
        double rho = cases[c].mu * cases[c].mu / 2;
        cr_assert(fabs(pv.rho - rho) <= 1e-8 * rho, "rho %.17g, expected %.17g", pv.rho, rho);
        cr_assert_str_eq(pv.accountant, "gdp");
        cr_assert_eq(pv.declared, 0);
        gen_free(g);
    }
    gen_model *g = fit(t, INFINITY, 0, "{\"iters\": 0, \"features\": 20}", 1, PA_OK);
    gen_privacy pv;
    gen_privacy_of(g, &pv);
    cr_assert(isinf(pv.epsilon));
    cr_assert_str_eq(pv.accountant, "none");
    gen_free(g);
    tbl_free(t);
}

/* "lengthscale": "select": the noise the fit adds (G candidate embeddings,
 * G scores, the final embedding; both scores, "tstr" and "kernel") composes, as Gaussian mechanisms in GDP
 * (μ² add up), to exactly the μ_G of the target (10, 1e-5) computed with
 * scipy above; every noisy value is N(0, sd²) around the exact one (the
 * standardised sum of squares within 6 standard deviations of its χ² mean).
 * The claimed ε is also below what `privaudit account --sigma 1/μ_G --q 1
 * --steps 1 --delta 1e-5` (RDP, the same acct_epsilon call) gives for one
 * Gaussian of that μ_G, as the exact GDP curve must be. */
Test(dpmerf, select_spends_the_configured_epsilon_in_all_its_releases)
{
    table *t = planted(600, 4);
    const double mu = 2.0004456204306336;
    static const double shares[] = {0.1, 0.5, 0.1};
    static const char *const score[] = {"tstr", "tstr", "kernel"};
    for (size_t c = 0; c < 3; c++) {
        char json[240];
        snprintf(json, sizeof json, "{\"iters\": 0, \"features\": 30, \"label\": \"a\", "
                 "\"lengthscale\": \"select\", \"candidates\": 4, \"select_share\": %g, \"select_score\": \"%s\"}",
                 shares[c], score[c]);
        cJSON *params = cJSON_Parse(json);
        gen_noise nz = {0};
        gen_config cfg = {.epsilon = 10, .delta = 1e-5, .params = params, .noise = &nz};
        gsl_rng *r = rng_stream(3, 0);
        gen_model *g = NULL;
        pa_err e = {0};
        cr_assert_eq(gen_fit("dpmerf", t, &cfg, r, &g, &e), PA_OK, "%s", e.msg);
        gen_privacy pv;
        gen_privacy_of(g, &pv);
        cr_assert(fabs(pv.epsilon - 10) <= 1e-9 * 10, "eps %.17g", pv.epsilon);
        cr_assert(fabs(pv.rho - mu * mu / 2) <= 1e-8 * mu * mu / 2, "rho %.17g", pv.rho);
        cr_assert(fabs(nz.rho - mu * mu / 2) <= 1e-9 * mu * mu / 2, "noise rho %.17g, claimed %.17g", nz.rho,
                  mu * mu / 2);
        /* K = 3 classes, E = 31: 4 candidate embeddings + 4 scores + the final one */
        cr_assert_eq(nz.n_gauss, (size_t)(4 * 3 * 31 + 4 + 3 * 31));
        double k = (double)nz.n_gauss;
        cr_assert(fabs(nz.ss_gauss - k) <= 6 * sqrt(2 * k), "chi2 %g of %g", nz.ss_gauss, k);
        double eps_rdp;
        cr_assert_eq(acct_epsilon(ACCT_RDP, 1 / mu, 1, 1, 1e-5, NULL, 0, &eps_rdp, &e), PA_OK, "%s", e.msg);
        cr_assert(pv.epsilon <= eps_rdp, "gdp %g > rdp %g", pv.epsilon, eps_rdp);
        gen_free(g);
        gsl_rng_free(r);
        cJSON_Delete(params);
    }
    tbl_free(t);
}

Test(dpmerf, select_is_deterministic_under_a_seed)
{
    table *t = planted(400, 5);
    const char *p = "{\"iters\": 20, \"features\": 40, \"batch\": 50, \"label\": \"a\", "
                    "\"lengthscale\": \"select\", \"candidates\": 3}";
    gen_model *g1 = fit(t, 2, 1e-5, p, 9, PA_OK), *g2 = fit(t, 2, 1e-5, p, 9, PA_OK),
              *g3 = fit(t, 2, 1e-5, p, 10, PA_OK);
    table *s1 = sample(g1, 300, 4), *s2 = sample(g2, 300, 4), *s3 = sample(g3, 300, 4);
    cr_assert_eq(tbl_hash(s1), tbl_hash(s2));
    cr_assert_neq(tbl_hash(s1), tbl_hash(s3));
    tbl_free(s1);
    tbl_free(s2);
    tbl_free(s3);
    gen_free(g1);
    gen_free(g2);
    gen_free(g3);
    tbl_free(t);
}

Test(dpmerf, is_deterministic_under_a_seed)
{
    table *t = planted(400, 2);
    const char *p = "{\"iters\": 30, \"features\": 40, \"batch\": 50, \"label\": \"a\"}";
    gen_model *g1 = fit(t, 2, 1e-5, p, 9, PA_OK), *g2 = fit(t, 2, 1e-5, p, 9, PA_OK),
              *g3 = fit(t, 2, 1e-5, p, 10, PA_OK);
    table *s1 = sample(g1, 300, 4), *s2 = sample(g2, 300, 4), *s3 = sample(g3, 300, 4);
    cr_assert_eq(tbl_hash(s1), tbl_hash(s2));
    cr_assert_neq(tbl_hash(s1), tbl_hash(s3));
    tbl_free(s1);
    tbl_free(s2);
    tbl_free(s3);
    gen_free(g1);
    gen_free(g2);
    gen_free(g3);
    tbl_free(t);
}

Test(dpmerf, rejects_bad_parameters_naming_them)
{
    table *t = planted(50, 3);
    static const struct {
        const char *json;
        double eps, delta;
        const char *needle;
    } cases[] = {
        {"{\"colour\": 1}", 1, 1e-5, "colour"},
        {"{\"features\": 11}", 1, 1e-5, "even"},
        {"{\"features\": 0}", 1, 1e-5, "features"},
        {"{\"label\": \"x\"}", 1, 1e-5, "categorical"},
        {"{\"label\": \"nope\"}", 1, 1e-5, "nope"},
        {"{\"label\": 3}", 1, 1e-5, "label"},
        {"{\"lr\": -1}", 1, 1e-5, "lr"},
        {"{\"batch\": 0.5}", 1, 1e-5, "batch"},
        {NULL, 1, 0, "delta"},
        {"{\"lengthscale\": \"pick\", \"label\": \"a\"}", 1, 1e-5, "select"},
        {"{\"lengthscale\": \"select\"}", 1, 1e-5, "label"},
        {"{\"candidates\": 3}", 1, 1e-5, "candidates"},
        {"{\"lengthscale\": \"select\", \"label\": \"a\", \"candidates\": 1}", 1, 1e-5, "candidates"},
        {"{\"lengthscale\": \"select\", \"label\": \"a\", \"select_share\": 1}", 1, 1e-5, "select_share"},
        {"{\"lengthscale\": \"select\", \"label\": \"a\", \"select_score\": \"best\"}", 1, 1e-5, "select_score"},
        {"{\"lengthscale\": \"select\", \"label\": \"a\", \"select_score\": 1}", 1, 1e-5, "select_score"},
        {"{\"lengthscale\": \"select\", \"label\": \"a\", \"select_score\": \"kernel\", \"select_iters\": 5}", 1,
         1e-5, "select_iters"},
        {"{\"select_rows\": 100}", 1, 1e-5, "select_rows"},
        {"{\"lengthscale\": \"select\", \"label\": \"a\", \"select_rows\": -1}", 1, 1e-5, "select_rows"},
        {"{\"lengthscale\": \"select\", \"label\": \"a\", \"select_tolerance\": -0.1}", 1, 1e-5, "select_tolerance"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        tu_gen_refused("dpmerf", t, cases[c].json, cases[c].eps, cases[c].delta, cases[c].needle, 1, c);
    tbl_free(t);
}

/* Fraction of synthetic records with b = a, and with (a = 0) == (x < 5). */
static void agreement(const table *s, double *ab, double *ax)
{
    size_t k1 = 0, k2 = 0;
    for (size_t i = 0; i < s->n; i++) {
        k1 += s->cat[0][i] == s->cat[1][i];
        k2 += (s->cat[0][i] == 0) == (s->num[2][i] < 5);
    }
    *ab = (double)k1 / (double)s->n;
    *ax = (double)k2 / (double)s->n;
}

/* At ε = ∞ on n = 4000 records the generator must reproduce the planted
 * dependences (real: P(b = a) = 0.9, P((a = 0) == (x < 5)) = 1). A generator
 * that got the one-way marginals right but no dependence has P(b = a) =
 * 0.5² + 0.3² + 0.2² + small = 0.38 (b's marginal is within 0.05 of a's) and
 * P((a=0) == (x<5)) = 0.5; with m = 4000 draws the binomial standard error is
 * below 0.008, so thresholds of 0.75 are more than 30 standard errors above
 * what independence gives. The 1-way marginals must be close too (mean TVD
 * over a, b, x <= 0.12; x in 32 bins is smoothed at the kernel's length
 * scale ℓ ≈ 1.2 of the default, which is wide against x's range 1, and
 * contributes most of it). Both with and without the label embedding. */
Test(dpmerf, learns_a_planted_dependence_at_infinite_epsilon)
{
    table *t = planted(4000, 5);
    const char *ps[] = {"{\"iters\": 600, \"features\": 400, \"batch\": 200, \"lr\": 0.003}",
                        "{\"iters\": 600, \"features\": 400, \"batch\": 200, \"lr\": 0.003, \"label\": \"a\"}"};
    for (size_t c = 0; c < 2; c++) {
        gen_model *g = fit(t, INFINITY, 0, ps[c], 3, PA_OK);
        table *s = sample(g, 4000, 6);
        double ab, ax, tv, mx;
        agreement(s, &ab, &ax);
        pa_err e = {0};
        cr_assert_eq(util_tvd(t, s, 1, 0, 0, 1, &tv, &mx, &e), PA_OK, "%s", e.msg);
        cr_assert(ab >= 0.75, "case %zu: P(b = a) = %g", c, ab);
        cr_assert(ax >= 0.75, "case %zu: P((a=0) == (x<5)) = %g", c, ax);
        cr_assert(tv <= 0.12, "case %zu: 1-way TVD mean %g", c, tv);
        tbl_free(s);
        gen_free(g);
    }
    tbl_free(t);
}

/* XOR: t = a xor b over the four cells (a, b) in equal numbers (100 each).
 * Logistic regression on one-hot a and b scores f = u_a + v_b + c; correct
 * signs on all four cells would need u0+v0 < 0, u1+v1 < 0, u0+v1 > 0,
 * u1+v0 > 0, whose sums contradict each other, so at most 3 of the 4 equal
 * cells are right: accuracy <= 0.75. One hidden layer separates XOR exactly:
 * the MLP must get every cell right on these noise-free data (one wrong cell
 * costs 0.25, so the check is accuracy >= 0.99). */
Test(dpmerf, mlp_tstr_learns_xor_where_logistic_regression_cannot)
{
    schema *s = schema_new(3);
    const char *names[] = {"a", "b", "t"};
    for (size_t j = 0; j < 3; j++) {
        name_col(s, j, names[j]);
        s->cols[j].kind = COL_CAT;
        s->cols[j].size = 2;
    }
    table *t = tbl_new(s, 400);
    schema_free(s);
    for (size_t i = 0; i < 400; i++) {
        t->cat[0][i] = (int32_t)(i % 2);
        t->cat[1][i] = (int32_t)(i / 2 % 2);
        t->cat[2][i] = t->cat[0][i] ^ t->cat[1][i];
    }
    double acc, auc;
    pa_err e = {0};
    cr_assert_eq(util_tstr(t, t, "t", UTIL_LOGREG, &acc, &auc, &e), PA_OK, "%s", e.msg);
    cr_assert(acc <= 0.75, "logreg accuracy %g", acc);
    cr_assert_eq(util_tstr(t, t, "t", UTIL_MLP, &acc, &auc, &e), PA_OK, "%s", e.msg);
    cr_assert(acc >= 0.99, "MLP accuracy %g", acc);
    cr_assert(auc >= 0.99, "MLP AUC %g", auc);
    util_mlp_cfg bad = UTIL_MLP_DEFAULTS;
    bad.hidden = 0;
    cr_assert_eq(util_tstr_mlp(t, t, "t", &bad, &acc, &auc, &e), PA_EINPUT);
    cr_assert(isnan(acc) && strstr(e.msg, "hidden"), "%s", e.msg);
    tbl_free(t);
}
