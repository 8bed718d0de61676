/* test_verdict.c — the family-wise verdict of a setting (audit/verdict.h).
 *
 * References: the Bayesian and Clopper-Pearson intervals of audit/eps.h
 * computed at the corrected level α/(2k) (root finding on the posterior /
 * Beta quantiles, a different path from the verdict's direct posterior
 * probability), and a simulation of the worst case the correction exists
 * for: k attacks that each sit exactly on the claimed ε's trade-off curve
 * (randomised response at ε, δ ≈ 0: FNR = FPR = 1/(1+e^ε)). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "audit/eps.h"
#include "audit/verdict.h"
#include "core/rng.h"

TestSuite(verdict, .timeout = 300);

static verdict_test counts_test(const char *m, double tp, double fn, double fp, double tn, double claimed,
                                double alpha)
{
    return (verdict_test){.method = m, .claimed = claimed, .delta = 1e-5, .alpha = alpha, .tp = tp, .fn = fn,
                          .fp = fp, .tn = tn, .p_exceeds = NAN};
}

static double edge_mc(const eps_counts *c, double delta, double eps, gsl_rng *g, size_t N)
{
    /* the four edges' posterior masses by sampling X = FNR ~ Beta(FN+½, TP+½),
     * Y = FPR ~ Beta(FP+½, TN+½): P(Y ≥ 1−δ−e^ε X), P(Y ≥ e^−ε(1−δ−X)),
     * P(Y ≤ 1−e^−ε(X−δ)), P(Y ≤ δ+e^ε(1−X)); returns the smallest */
    size_t in[4] = {0};
    const double ee = exp(eps), eme = exp(-eps);
    for (size_t i = 0; i < N; i++) {
        double x = gsl_ran_beta(g, c->fn + 0.5, c->tp + 0.5), y = gsl_ran_beta(g, c->fp + 0.5, c->tn + 0.5);
        in[0] += y >= 1 - delta - ee * x;
        in[1] += y >= eme * (1 - delta - x);
        in[2] += y <= 1 - eme * (x - delta);
        in[3] += y <= delta + ee * (1 - x);
    }
    size_t m = in[0];
    for (int j = 1; j < 4; j++)
        m = in[j] < m ? in[j] : m;
    return (double)m / (double)N;
}

Test(verdict, the_edges_posterior_mass_agrees_with_sampling_the_posterior)
{
    /* eps_bayes_min_edge (quadrature) against 400,000 posterior draws, to
     * 5 binomial sd + 1e-4; counts from inside the region to far outside */
    gsl_rng *g = rng_stream(20261202, 3);
    const size_t N = 400000;
    const double cases[][5] = {
        {700, 300, 300, 700, 1},  {800, 200, 150, 850, 1}, {900, 100, 100, 900, 1},
        {90, 10, 3, 97, 2},       {500, 500, 480, 520, 0.2}, {990, 10, 500, 500, 3},
        {50, 450, 20, 480, 0.5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        eps_counts c = {cases[i][0], cases[i][1], cases[i][2], cases[i][3]};
        double q = eps_bayes_min_edge(&c, 1e-5, cases[i][4]), mc = edge_mc(&c, 1e-5, cases[i][4], g, N);
        double tol = 5 * sqrt(mc * (1 - mc) / (double)N) + 1e-4;
        cr_assert(fabs(q - mc) <= tol, "case %zu: quadrature %.6f, sampling %.6f (tol %.2g)", i, q, mc, tol);
    }
    gsl_rng_free(g);
}

Test(verdict, each_test_is_redone_at_its_corrected_level)
{
    /* For k = 1, 3, 20 and a grid of counts: the verdict of k copies of one
     * test rejects exactly when Clopper-Pearson's interval at α/(2k) lies
     * above the claim, or (bayes) an edge's posterior mass is below α/(8k)
     * (cases within 1e-6 of the level skipped). */
    const double alpha = 0.1, claimed = 1.0;
    const char *methods[] = {"bayes", "clopper_pearson"};
    const size_t ks[] = {1, 3, 20};
    size_t rejected = 0, kept = 0;
    for (size_t mi = 0; mi < 2; mi++)
        for (size_t ki = 0; ki < 3; ki++)
            for (int tp = 300; tp <= 1000; tp += 35) {
                size_t k = ks[ki];
                double n = 1000, fp = 1000 - tp, a = alpha / 2 / (double)k;
                eps_counts c = {tp, n - tp, fp * 0.5, n - fp * 0.5};
                int expect;
                if (mi == 0) {
                    double m = eps_bayes_min_edge(&c, 1e-5, claimed);
                    cr_assert(m >= 0 && m <= 1);
                    if (fabs(m - a / 4) < 1e-6)
                        continue;
                    expect = m < a / 4;
                } else {
                    double lo, hi;
                    cr_assert_eq(eps_clopper_pearson(&c, 1e-5, a, &lo, &hi), PA_OK);
                    if (fabs(lo - claimed) < 1e-6)
                        continue;
                    expect = lo > claimed;
                }
                verdict_test t[20];
                for (size_t j = 0; j < k; j++)
                    t[j] = counts_test(methods[mi], c.tp, c.fn, c.fp, c.tn, claimed, alpha);
                verdict v;
                pa_err e;
                cr_assert_eq(verdict_family(t, k, &v, &e), PA_OK, "%s", e.msg);
                cr_assert_eq(v.k, k);
                cr_assert_eq(v.reject != SIZE_MAX, expect, "%s k %zu tp %d: verdict %zu", methods[mi], k, tp,
                             v.reject);
                rejected += expect;
                kept += !expect;
            }
    cr_assert(rejected > 5 && kept > 5, "the grid must cross the boundary (%zu rejected, %zu kept)", rejected,
              kept);
}

Test(verdict, profile_tests_reject_when_p_outside_exceeds_one_minus_alpha_over_4k)
{
    verdict_test t[4];
    for (size_t j = 0; j < 4; j++)
        t[j] = (verdict_test){.method = "profile", .claimed = 1, .delta = 1e-5, .alpha = 0.1, .p_exceeds = 0.5};
    verdict v;
    pa_err e;
    t[2].p_exceeds = 0.99; /* above 1 − 0.05 (alone), below 1 − 0.05/8 = 0.99375 */
    cr_assert_eq(verdict_family(t, 4, &v, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(v.reject, SIZE_MAX);
    cr_assert_eq(v.nraw, 1);
    t[2].p_exceeds = 0.995;
    cr_assert_eq(verdict_family(t, 4, &v, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(v.reject, 2);
}

Test(verdict, k_attacks_on_the_claims_corner_alarm_at_most_alpha_over_2_together)
{
    /* k = 10 independent attacks, each exactly as strong as ε allows at the
     * corner of its trade-off curve (FNR = FPR = 1/(1+e^ε)), α = 0.2, at
     * (ε = 1, 2,000 per class) and (ε = 4, 500 per class). The uncorrected
     * flags (each test's Bayesian lower bound above the claim) fire in most
     * runs; the family-wise verdict in at most α/2 = 0.1 of them: 300
     * replicates, bound 30 + 3·√(300·0.1·0.9) ≈ 45; the uncorrected count
     * must exceed 90 or the test could not tell the two apart. */
    const size_t K = 10, REPS = 300;
    const double setting[2][2] = {{1.0, 2000}, {4.0, 500}}, alpha = 0.2;
    gsl_rng *g = rng_stream(20261202, 7);
    for (int si = 0; si < 2; si++) {
        const double eps = setting[si][0], n = setting[si][1], r = 1 / (1 + exp(eps));
        size_t fam = 0, any = 0;
        for (size_t rep = 0; rep < REPS; rep++) {
            verdict_test t[10];
            for (size_t j = 0; j < K; j++) {
                double fn = gsl_ran_binomial(g, r, (unsigned)n), fp = gsl_ran_binomial(g, r, (unsigned)n);
                t[j] = counts_test("bayes", n - fn, fn, fp, n - fp, eps, alpha);
            }
            verdict v;
            pa_err e;
            cr_assert_eq(verdict_family(t, K, &v, &e), PA_OK, "%s", e.msg);
            fam += v.reject != SIZE_MAX;
            any += v.nraw > 0;
        }
        cr_assert(fam <= 45, "eps %g: family-wise false alarms %zu of %zu (bound 45)", eps, fam, REPS);
        cr_assert(any >= 90, "eps %g: uncorrected false alarms %zu of %zu: expected most", eps, any, REPS);
    }
    gsl_rng_free(g);
}

Test(verdict, a_real_violation_is_still_found_among_many_tests)
{
    /* power: one attack of 20 at ε = 2 against a claim of 1 (FNR = FPR =
     * 1/(1+e²) ≈ 0.119 where ε = 1 allows 0.269), 1,000 per class; the other
     * 19 at chance. Flagged in every one of 50 replicates. */
    gsl_rng *g = rng_stream(20261202, 9);
    for (int rep = 0; rep < 50; rep++) {
        verdict_test t[20];
        for (size_t j = 0; j < 20; j++) {
            double r = j == 7 ? 1 / (1 + exp(2.0)) : 0.5;
            double fn = gsl_ran_binomial(g, r, 1000), fp = gsl_ran_binomial(g, r, 1000);
            t[j] = counts_test("bayes", 1000 - fn, fn, fp, 1000 - fp, 1.0, 0.1);
        }
        verdict v;
        pa_err e;
        cr_assert_eq(verdict_family(t, 20, &v, &e), PA_OK, "%s", e.msg);
        cr_assert_eq(v.reject, 7, "replicate %d: verdict %zu", rep, v.reject);
    }
    gsl_rng_free(g);
}

Test(verdict, what_cannot_be_computed_is_an_error)
{
    verdict v;
    pa_err e;
    verdict_test t[2] = {counts_test("bayes", 10, 0, 0, 0, 1, 0.1), counts_test("bayes", 5, 5, 5, 5, 1, 0.1)};
    cr_assert_eq(verdict_family(t, 2, &v, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "members and non-members"), "%s", e.msg);
    t[0] = counts_test("point", 5, 5, 5, 5, 1, 0.1);
    cr_assert_eq(verdict_family(t, 2, &v, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "\"point\""), "%s", e.msg);
    t[0] = counts_test("bayes", 5, 5, 5, 5, 1, 0.05);
    cr_assert_eq(verdict_family(t, 2, &v, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "different levels"), "%s", e.msg);
    t[0] = counts_test("bayes", 5, 5, 5, 5, INFINITY, 0.1);
    cr_assert_eq(verdict_family(t, 2, &v, &e), PA_EINPUT);
    t[0] = (verdict_test){.method = "profile", .claimed = 1, .alpha = 0.1, .p_exceeds = NAN};
    cr_assert_eq(verdict_family(t, 2, &v, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "P(outside)"), "%s", e.msg);
    cr_assert_eq(verdict_family(t, 0, &v, &e), PA_EINPUT);
}
