/* test_gen.c — properties every registered generator must have (gen_all()):
 *
 *  - at every (ε, δ) it accepts, a finite ε randomises the release: on a
 *    fixed seed it differs from the ε = ∞ release;
 *  - the noise it really adds matches what its accountant assumes: every
 *    noisy measurement is reported through cfg.noise (gen.h), and the
 *    standardised residuals pass a χ² bound, while the cost of those
 *    measurements (ρ for Gaussian, ε for Laplace, the subsampled Gaussian's
 *    RDP for DP-SGD) is at most what the privacy report claims;
 *  - the privacy report is finite and positive at finite ε, monotone in ε,
 *    and never above the target.
 *
 * n = training records, m = synthetic records, N = noisy values measured.
 * Image generators (gswgan: the columns besides the label are one grey
 * image) run on a 4 × 4 image fixture instead of the tabular one.
 * A generator that refuses (ε = 1, δ = 1e-5) with its test parameters (the
 * non-private resample, the external command without a program) is skipped
 * with a note; one that accepts a finite ε must report noise.
 *
 * Bounds (fixed seeds, so each check is deterministic; the bounds say how
 * unlikely a false failure would be for a correct mechanism): with N
 * standardised Gaussian residuals z, Σz² ~ χ²(N) has mean N and sd √(2N);
 * for Laplace residuals z = noise/b, E|z| = 1 (sd 1) and E z² = 2 (sd √20).
 * A check fails beyond 6 sd (probability < 2e-9 each).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "audit/acct.h"
#include "core/rng.h"
#include "generators/gen.h"

TestSuite(gen);

/* Parameters that keep each known generator's fit short; others (any
 * generator added later) run with their defaults. */
static const struct { const char *name, *params; int image; } fast[] = {
    { "dpmerf", "{\"features\": 40, \"hidden\": 16, \"iters\": 20, \"batch\": 100}", 0 },
    { "psg", "{\"label\": \"a\", \"ipc\": 3, \"hidden\": 8, \"restarts\": 2, \"inner\": 3, \"q\": 0.1}", 0 },
    { "dpgan", "{\"hidden\": 8, \"layers\": 1, \"nz\": 4, \"steps\": 25, \"batch\": 20}", 0 },
    /* image generators run on image_fixture() */
    { "gswgan", "{\"label\": \"y\", \"dim\": 2, \"nz\": 2, \"discriminators\": 2, \"warmup\": 1, "
                "\"steps\": 4, \"batch\": 4, \"critic_steps\": 1}", 1 },
};

static int is_image(const char *name)
{
    for (size_t k = 0; k < sizeof fast / sizeof fast[0]; k++)
        if (!strcmp(fast[k].name, name))
            return fast[k].image;
    return 0;
}

static cJSON *params_for(const char *name)
{
    for (size_t k = 0; k < sizeof fast / sizeof fast[0]; k++)
        if (!strcmp(fast[k].name, name))
            return cJSON_Parse(fast[k].params);
    return NULL;
}

/* a ∈ 3 codes, b | a ∈ 4 codes, c ∈ 2 codes, x ∈ [0, 10] numeric */
static table *fixture(size_t n)
{
    schema *s = schema_new(4);
    const char *names[] = { "a", "b", "c", "x" };
    size_t card[] = { 3, 4, 2, 0 };
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
    gsl_rng *r = rng_stream(20261201, 1);
    for (size_t i = 0; i < n; i++) {
        int32_t a = (int32_t)rng_below(r, 3);
        t->cat[0][i] = a;
        t->cat[1][i] = gsl_rng_uniform(r) < 0.7 ? a : (int32_t)rng_below(r, 4);
        t->cat[2][i] = gsl_rng_uniform(r) < 0.3;
        t->num[3][i] = 2 + 3 * a + gsl_rng_uniform(r);
    }
    gsl_rng_free(r);
    return t;
}

/* y ∈ 3 codes, 4 × 4 numeric pixels p0..p15 ∈ [0, 10]: class y brightens
 * row y (for the generators that read the columns as one grey image) */
static table *image_fixture(size_t n)
{
    schema *s = schema_new(17);
    for (size_t j = 0; j < 17; j++) {
        char nm[8];
        snprintf(nm, sizeof nm, j ? "p%zu" : "y", j - (j > 0));
        free(s->cols[j].name);
        s->cols[j].name = pa_strdup(nm);
        s->cols[j].kind = j ? COL_NUM : COL_CAT;
        s->cols[j].size = j ? 0 : 3;
        s->cols[j].lo = 0;
        s->cols[j].hi = 10;
    }
    table *t = tbl_new(s, n);
    schema_free(s);
    gsl_rng *r = rng_stream(20261202, 1);
    for (size_t i = 0; i < n; i++) {
        int32_t y = (int32_t)rng_below(r, 3);
        t->cat[0][i] = y;
        for (size_t j = 0; j < 16; j++)
            t->num[1 + j][i] = (j / 4 == (size_t)y ? 7 : 0) + 3 * gsl_rng_uniform(r);
    }
    gsl_rng_free(r);
    return t;
}

/* the fixture generator `name` runs on: n records of fixture() or image_fixture() */
static table *fixture_for(const char *name, size_t n)
{
    return is_image(name) ? image_fixture(n) : fixture(n);
}

/* Fits `vt` on t at (eps, delta); the model, or NULL with *rc and err set. */
static gen_model *fit_seed(const gen_vtable *vt, const table *t, double eps, double delta, const cJSON *params,
                           gen_noise *noise, uint64_t seed, int *rc, pa_err *err)
{
    gen_config cfg = { .epsilon = eps, .delta = delta, .params = params, .noise = noise };
    gsl_rng *r = rng_stream(77 + seed, 5);
    gen_model *g = NULL;
    *rc = gen_fit(vt->name, t, &cfg, r, &g, err);
    gsl_rng_free(r);
    return g;
}

static gen_model *fit(const gen_vtable *vt, const table *t, double eps, double delta, const cJSON *params,
                      gen_noise *noise, int *rc, pa_err *err)
{
    return fit_seed(vt, t, eps, delta, params, noise, 0, rc, err);
}

static table *sample(const gen_model *g, size_t m)
{
    gsl_rng *r = rng_stream(77, 6);
    table *out = NULL;
    pa_err err = { 0 };
    cr_assert_eq(gen_sample(g, m, r, &out, &err), PA_OK, "sample: %s", err.msg);
    gsl_rng_free(r);
    return out;
}

static int tables_equal(const table *x, const table *y)
{
    if (x->n != y->n || x->d != y->d)
        return 0;
    for (size_t j = 0; j < x->d; j++)
        for (size_t i = 0; i < x->n; i++)
            if (tbl_get(x, i, j) != tbl_get(y, i, j))
                return 0;
    return 1;
}

/* Does the generator accept (eps, delta) with its test parameters? */
static int accepts(const gen_vtable *vt, const table *t, double eps, double delta, const cJSON *params)
{
    gen_config cfg = { .epsilon = eps, .delta = delta, .params = params };
    pa_err err = { 0 };
    return gen_check(vt->name, t->s, &cfg, &err) == PA_OK;
}

Test(gen, every_generator_randomises_its_release_at_every_finite_epsilon_it_accepts)
{
    size_t tested = 0;
    const double eps[] = { 0.5, 2, 8 }, delta[] = { 1e-5, 0 };
    for (const gen_vtable *const *v = gen_all(); *v; v++) {
        cJSON *params = params_for((*v)->name);
        table *t = fixture_for((*v)->name, 400);
        int any = 0;
        for (size_t e = 0; e < 3; e++)
            for (size_t k = 0; k < 2; k++) {
                if (!accepts(*v, t, eps[e], delta[k], params))
                    continue;
                any = 1;
                int rc;
                pa_err err = { 0 };
                gen_model *priv = fit(*v, t, eps[e], delta[k], params, NULL, &rc, &err);
                cr_assert_eq(rc, PA_OK, "%s eps=%g delta=%g: %s", (*v)->name, eps[e], delta[k], err.msg);
                gen_model *exact = fit(*v, t, INFINITY, delta[k], params, NULL, &rc, &err);
                cr_assert_eq(rc, PA_OK, "%s eps=inf: %s", (*v)->name, err.msg);
                table *a = sample(priv, 300), *b = sample(exact, 300);
                cr_expect(!tables_equal(a, b), "%s: the release at eps=%g delta=%g equals the eps=inf one",
                          (*v)->name, eps[e], delta[k]);
                gen_privacy p;
                gen_privacy_of(priv, &p);
                cr_expect(isfinite(p.epsilon) && p.epsilon > 0 && strcmp(p.accountant, "none"),
                          "%s eps=%g delta=%g reports epsilon %g (%s)", (*v)->name, eps[e], delta[k], p.epsilon,
                          p.accountant);
                tbl_free(a);
                tbl_free(b);
                gen_free(priv);
                gen_free(exact);
            }
        if (!any)
            cr_log_info("%s: accepts no finite epsilon with the test parameters (skipped)", (*v)->name);
        tested += any;
        cJSON_Delete(params);
        tbl_free(t);
    }
    cr_assert_geq(tested, 5, "only %zu generators were tested", tested);
}

/* At a very large finite ε a mechanism's noise can fall below the rounding of
 * the statistics it is added to; the release would then be the exact one.
 * Every generator either refuses such an ε (check and fit alike, as bad input)
 * or adds noise that is still there: each value it reports as noised differs
 * from the exact one, and the standardised noise has mean square about 1. The
 * floor is 2^-16, 16 units in the last place of 2^32 (computed here from the
 * definition, not read from the code). */
Test(gen, no_generator_releases_exact_statistics_at_a_huge_finite_epsilon)
{
    cr_assert_eq(gen_noise_min_scale(), ldexp(1.0, -16));
    const double eps[] = { 1e6, 1e12, 1e30, 1e300 };
    size_t refused = 0, noised = 0;
    for (const gen_vtable *const *v = gen_all(); *v; v++) {
        cJSON *params = params_for((*v)->name);
        table *t = fixture_for((*v)->name, 400);
        for (size_t e = 0; e < 4; e++) {
            int ok = accepts(*v, t, eps[e], 1e-5, params);
            gen_noise nz = { 0 };
            int rc;
            pa_err err = { 0 };
            gen_model *g = fit(*v, t, eps[e], 1e-5, params, &nz, &rc, &err);
            if (!ok) {
                cr_expect_neq(rc, PA_OK, "%s: check refuses eps=%g but the fit accepts it", (*v)->name, eps[e]);
                refused++;
            } else if (rc == PA_OK) {
                size_t n = nz.n_gauss + nz.n_lap + nz.n_sgd;
                double ms = (nz.ss_gauss + nz.ss_lap / 2 + nz.ss_sgd) / (double)(n ? n : 1);
                cr_expect(n > 0 && ms > 0.5 && ms < 2, "%s eps=%g: %zu noised values, mean square %g", (*v)->name,
                          eps[e], n, ms);
                noised++;
            } else {
                cr_expect(rc == PA_EINPUT || rc == PA_EINTERNAL, "%s eps=%g: rc %d (%s)", (*v)->name, eps[e], rc,
                          err.msg);
                refused++;
            }
            gen_free(g);
        }
        cJSON_Delete(params);
        tbl_free(t);
    }
    /* marginals, mst, aim, gsd and privbayes all refuse 1e30 and 1e300 */
    cr_expect_geq(refused, 10, "refused %zu", refused);
    cr_expect_geq(noised, 5, "noised %zu", noised);
}

/* z-score of a sum whose mean per item is mu and sd per item sd */
static double zsum(double sum, size_t n, double mu, double sd)
{
    return (sum - mu * (double)n) / (sd * sqrt((double)n));
}

Test(gen, the_noise_each_generator_adds_is_the_noise_its_accountant_assumes)
{
    size_t tested = 0;
    const double delta = 1e-5;
    for (const gen_vtable *const *v = gen_all(); *v; v++) {
        cJSON *params = params_for((*v)->name);
        table *t = fixture_for((*v)->name, 400);
        for (double eps = 1; eps <= 4; eps *= 4) {
            double d = accepts(*v, t, eps, delta, params) ? delta : accepts(*v, t, eps, 0, params) ? 0 : -1;
            if (d < 0)
                continue;
            /* refit on new seeds until 4000 values are measured (the 6 sd
             * bound is then ±13% on the noise variance), at most 200 fits;
             * the costs of the last fit are compared with its report */
            gen_noise nz = { 0 }, one;
            int rc;
            pa_err err = { 0 };
            gen_model *g = NULL;
            size_t fits = 0;
            for (; fits < 200 && nz.n_gauss + nz.n_lap + nz.n_sgd < 4000; fits++) {
                gen_free(g);
                one = (gen_noise){ 0 };
                g = fit_seed(*v, t, eps, d, params, &one, fits, &rc, &err);
                cr_assert_eq(rc, PA_OK, "%s: %s", (*v)->name, err.msg);
                if (one.n_gauss + one.n_lap + one.n_sgd == 0)
                    break;
                nz.n_gauss += one.n_gauss;
                nz.ss_gauss += one.ss_gauss;
                nz.n_lap += one.n_lap;
                nz.sa_lap += one.sa_lap;
                nz.ss_lap += one.ss_lap;
                nz.n_sgd += one.n_sgd;
                nz.ss_sgd += one.ss_sgd;
            }
            nz.rho = one.rho;
            nz.eps_lap = one.eps_lap;
            nz.sgd_comps = one.sgd_comps;
            nz.sgd_sigma = one.sgd_sigma;
            nz.sgd_q = one.sgd_q;
            gen_privacy p;
            gen_privacy_of(g, &p);
            const char *n = (*v)->name;
            cr_assert(nz.n_gauss + nz.n_lap + nz.n_sgd > 0,
                      "%s at eps=%g reported no noisy measurement (cfg.noise)", n, eps);
            cr_log_info("%s eps=%g, %zu fits: %zu Gaussian (sum z^2 %.1f, rho %.4g of %.4g), %zu Laplace (eps %.4g of %.4g), "
                        "%zu DP-SGD values in %.0f compositions", n, eps, fits, nz.n_gauss, nz.ss_gauss, nz.rho, p.rho,
                        nz.n_lap, nz.eps_lap, p.epsilon, nz.n_sgd, nz.sgd_comps);
            if (nz.n_gauss) {
                double z = zsum(nz.ss_gauss, nz.n_gauss, 1, M_SQRT2);
                cr_expect(fabs(z) <= 6, "%s: Gaussian residuals: sum z^2 = %g over %zu values (%.1f sd off)", n,
                          nz.ss_gauss, nz.n_gauss, z);
                /* their zCDP cost is within what is reported */
                cr_expect(isfinite(p.rho) && nz.rho <= p.rho * (1 + 1e-9) && nz.rho > 0,
                          "%s: measurements cost rho %g, the report says %g", n, nz.rho, p.rho);
            }
            if (nz.n_lap) {
                double z1 = zsum(nz.sa_lap, nz.n_lap, 1, 1), z2 = zsum(nz.ss_lap, nz.n_lap, 2, sqrt(20));
                cr_expect(fabs(z1) <= 6 && fabs(z2) <= 6,
                          "%s: Laplace residuals: mean |z| %g, mean z^2 %g over %zu (%.1f, %.1f sd off)", n,
                          nz.sa_lap / (double)nz.n_lap, nz.ss_lap / (double)nz.n_lap, nz.n_lap, z1, z2);
                cr_expect(nz.eps_lap <= p.epsilon * (1 + 1e-9), "%s: Laplace measurements cost eps %g > %g",
                          n, nz.eps_lap, p.epsilon);
            }
            if (nz.n_sgd) {
                double z = zsum(nz.ss_sgd, nz.n_sgd, 1, M_SQRT2);
                cr_expect(fabs(z) <= 6, "%s: DP-SGD noise: sum z^2 = %g over %zu values (%.1f sd off)", n,
                          nz.ss_sgd, nz.n_sgd, z);
                cr_assert(nz.sgd_sigma > 0 && nz.sgd_q > 0, "%s: DP-SGD steps of different (sigma, q)", n);
                double e;
                cr_assert_eq(acct_epsilon(ACCT_RDP, nz.sgd_sigma, nz.sgd_q, nz.sgd_comps, p.delta, NULL, 0, &e,
                                          &err), PA_OK, "%s", err.msg);
                cr_expect(fabs(e - p.epsilon) <= 1e-9 * e,
                          "%s: %g compositions at sigma %g, q %g cost eps %.12g; the report says %.12g", n,
                          nz.sgd_comps, nz.sgd_sigma, nz.sgd_q, e, p.epsilon);
            }
            /* the report's epsilon is what its accountant gives for its rho */
            if (!strcmp(p.accountant, "zcdp"))
                cr_expect(fabs(acct_zcdp_to_eps(p.rho, p.delta) - p.epsilon) <= 1e-9 * p.epsilon,
                          "%s: rho %g gives eps %g, the report says %g", n, p.rho,
                          acct_zcdp_to_eps(p.rho, p.delta), p.epsilon);
            if (!strcmp(p.accountant, "gdp"))
                cr_expect(fabs(acct_gdp_eps(sqrt(2 * p.rho), p.delta) - p.epsilon) <= 1e-9 * p.epsilon,
                          "%s: mu %g gives eps %g, the report says %g", n, sqrt(2 * p.rho),
                          acct_gdp_eps(sqrt(2 * p.rho), p.delta), p.epsilon);
            gen_free(g);
            tested += eps == 1;
        }
        cJSON_Delete(params);
        tbl_free(t);
    }
    cr_assert_geq(tested, 5, "only %zu generators were tested", tested);
}

Test(gen, the_privacy_report_is_finite_positive_and_monotone_in_epsilon)
{
    const double eps[] = { 0.25, 0.5, 1, 2, 4, 8, 16 };
    for (const gen_vtable *const *v = gen_all(); *v; v++) {
        cJSON *params = params_for((*v)->name);
        table *t = fixture_for((*v)->name, 300);
        double prev = 0;
        size_t n = 0;
        for (size_t e = 0; e < sizeof eps / sizeof eps[0]; e++) {
            double d = accepts(*v, t, eps[e], 1e-5, params) ? 1e-5 : accepts(*v, t, eps[e], 0, params) ? 0 : -1;
            if (d < 0)
                continue;
            int rc;
            pa_err err = { 0 };
            gen_model *g = fit(*v, t, eps[e], d, params, NULL, &rc, &err);
            cr_assert_eq(rc, PA_OK, "%s eps=%g: %s", (*v)->name, eps[e], err.msg);
            gen_privacy p;
            gen_privacy_of(g, &p);
            cr_expect(isfinite(p.epsilon) && p.epsilon > 0, "%s eps=%g: reports %g", (*v)->name, eps[e],
                      p.epsilon);
            cr_expect(p.epsilon <= eps[e] * (1 + 1e-6), "%s: target %g, reports more: %.12g", (*v)->name, eps[e],
                      p.epsilon);
            cr_expect(p.epsilon >= prev, "%s: eps %g reports %g, below the %g of a smaller target", (*v)->name,
                      eps[e], p.epsilon, prev);
            cr_expect(p.delta >= 0 && p.delta <= d, "%s: delta %g reported for target %g", (*v)->name, p.delta, d);
            prev = p.epsilon;
            n++;
            gen_free(g);
        }
        cJSON_Delete(params);
        tbl_free(t);
        if (!n)
            cr_log_info("%s: accepts no finite epsilon (skipped)", (*v)->name);
    }
}
