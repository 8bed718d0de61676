/* test_eps.c — empirical ε estimators (audit/eps.h) and `privaudit epsilon`.
 *
 * Reference values marked "scipy" were computed with Debian's python3
 * (scipy 1.10.1) by an independent implementation:
 *   - Clopper-Pearson / Jeffreys: scipy.stats.beta.ppf plugged into the point
 *     formula;
 *   - Bayesian P(ε): scipy.stats.beta pdf/sf, the x-integral by
 *     scipy.integrate.quad after substituting x = s² (which removes the x^-½
 *     singularity), split at the kinks of lo/hi; interval ends by
 *     scipy.optimize.brentq (xtol 1e-10);
 *   - μ-GDP, one-run: scipy.stats.norm / binom with brentq (xtol 1e-14).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <criterion/redirect.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "audit/eps.h"
#include "harness/cli.h"

TestSuite(eps);

static void assert_near(double got, double want, double tol, const char *what)
{
    cr_assert(fabs(got - want) <= tol, "%s: got %.12g, want %.12g (tol %g)", what, got, want, tol);
}

static const eps_counts REF_CP = { .tp = 200, .fn = 12, .fp = 58, .tn = 200 };
static const eps_counts REF_README = { .tp = 487, .fn = 0, .fp = 512, .tn = 1 };

/* ---- point, Clopper-Pearson, Jeffreys ---- */

Test(eps, point_formula_takes_the_stronger_test_direction)
{
    /* scipy/python: max(ln((1-δ-12/212)/(58/258)), ln((1-δ-58/258)/(12/212))) */
    assert_near(eps_point(&REF_CP, 1e-5), 2.617024506427226, 1e-12, "point");
    eps_counts blind = { 50, 50, 50, 50 };
    cr_assert_eq(eps_point(&blind, 1e-5), 0.0);
    eps_counts perfect = { 10, 0, 0, 10 };
    cr_assert(isinf(eps_point(&perfect, 1e-5)));
}

Test(eps, clopper_pearson_reproduces_the_reference_lower_bound)
{
    /* REF (shared/REFERENCES.md): one-sided 95 %, rates at 0.025 each → 2.0057.
     * scipy: 2.005749755951 (lower), 3.327615978696 (upper); tolerance 1e-6. */
    double lo, hi;
    cr_assert_eq(eps_clopper_pearson(&REF_CP, 1e-5, 0.05, &lo, &hi), PA_OK);
    assert_near(lo, 2.0057, 5e-5, "CP lower vs REF");
    assert_near(lo, 2.005749755951, 1e-6, "CP lower vs scipy");
    assert_near(hi, 3.327615978696, 1e-6, "CP upper vs scipy");
}

Test(eps, jeffreys_interval_matches_scipy)
{
    double lo, hi;
    cr_assert_eq(eps_jeffreys(&REF_CP, 1e-5, 0.05, &lo, &hi), PA_OK);
    assert_near(lo, 2.039209278811, 1e-6, "Jeffreys lower");
    assert_near(hi, 3.268804601361, 1e-6, "Jeffreys upper");
}

Test(eps, frequentist_intervals_are_trivial_on_the_readme_counts)
{
    /* REF (privacy-estimates README): Clopper-Pearson and Jeffreys give [0, ∞]. */
    double lo, hi;
    cr_assert_eq(eps_clopper_pearson(&REF_README, 1e-5, 0.05, &lo, &hi), PA_OK);
    cr_assert(lo == 0 && isinf(hi), "CP [%g, %g]", lo, hi);
    cr_assert_eq(eps_jeffreys(&REF_README, 1e-5, 0.05, &lo, &hi), PA_OK);
    cr_assert(lo == 0 && isinf(hi), "Jeffreys [%g, %g]", lo, hi);
}

Test(eps, clopper_pearson_handles_zero_errors)
{
    eps_counts c = { 1000, 0, 0, 1000 };
    double lo, hi;
    cr_assert_eq(eps_clopper_pearson(&c, 1e-5, 0.05, &lo, &hi), PA_OK);
    assert_near(lo, 5.600577494292, 1e-6, "CP lower, zero errors (scipy)");
    cr_assert(isinf(hi));
}

Test(eps, bonferroni_over_thresholds_is_no_larger_than_the_best_single_bound)
{
    eps_counts c[3] = { { 200, 12, 58, 200 }, { 150, 62, 20, 238 }, { 100, 112, 5, 253 } };
    double lo, single, h;
    size_t best;
    cr_assert_eq(eps_cp_max_thresholds(c, 3, 1e-5, 0.05, &lo, &best, NULL), PA_OK);
    cr_assert_eq(eps_clopper_pearson(&c[best], 1e-5, 0.05, &single, &h), PA_OK);
    cr_assert(lo < single, "Bonferroni %g must be below the uncorrected %g", lo, single);
    double at[3];
    for (int i = 0; i < 3; i++)
        eps_clopper_pearson(&c[i], 1e-5, 0.05 / 3, &at[i], &h);
    assert_near(lo, fmax(at[0], fmax(at[1], at[2])), 1e-12, "max over thresholds at alpha/3");
}

Test(eps, invalid_counts_are_rejected)
{
    eps_counts neg = { -1, 2, 3, 4 }, empty = { 0, 0, 3, 4 };
    double lo, hi;
    pa_err err = { 0 };
    cr_assert_eq(eps_clopper_pearson(&neg, 1e-5, 0.05, &lo, &hi), PA_EINPUT);
    cr_assert(isnan(lo) && isnan(hi));
    cr_assert(isnan(eps_point(&empty, 1e-5)));
    cr_assert_eq(eps_bayes_interval(&neg, 1e-5, 0.05, &lo, &hi, &err), PA_EINPUT);
    cr_assert(strstr(err.msg, "counts") != NULL, "message: %s", err.msg);
    cr_assert_eq(eps_bayes_interval(&REF_CP, 1e-5, 0.7, &lo, &hi, &err), PA_EINPUT);
    cr_assert(strstr(err.msg, "alpha") != NULL, "message: %s", err.msg);
}

Test(eps, beta_cdf_and_quantile_work_for_huge_parameters)
{
    /* scipy.stats.beta.cdf(0.2, 2e6+.5, 8e6+.5) = 0.49996846084123264;
     * GSL's gsl_cdf_beta_P returns NaN there. Tolerance 1e-10. */
    double P, Q;
    cr_assert_eq(eps_beta_cdf(0.2, 2e6 + 0.5, 8e6 + 0.5, &P, &Q), PA_OK);
    assert_near(P, 0.49996846084123264, 1e-10, "P");
    assert_near(Q, 1 - 0.49996846084123264, 1e-10, "Q");
    double x = eps_beta_quantile(0.3, 2e6 + 0.5, 8e6 + 0.5);
    eps_beta_cdf(x, 2e6 + 0.5, 8e6 + 0.5, &P, &Q);
    assert_near(P, 0.3, 1e-9, "quantile round trip");
    double lo, hi;
    eps_counts big = { 1e7, 1e6, 2e6, 8e6 };
    cr_assert_eq(eps_clopper_pearson(&big, 1e-5, 0.05, &lo, &hi), PA_OK);
    cr_assert(lo < eps_point(&big, 1e-5) && eps_point(&big, 1e-5) < hi, "[%g, %g]", lo, hi);
}

/* ---- Bayesian ---- */

typedef struct { eps_counts c; double eps, p; } prob_case;

static prob_case prob_cases[] = {
    { .c = { 200, 12, 58, 200 }, .eps = 2.5, .p = 0.353785481838 },
    { .c = { 487, 0, 512, 1 }, .eps = 3.0, .p = 0.727602986386 },
    { .c = { 1000, 0, 0, 1000 }, .eps = 9.0, .p = 0.383665876970 },
    { .c = { 50, 3, 7, 40 }, .eps = 1.0, .p = 0.000002160129 },
    /* counts beyond GSL's incomplete-beta range (it fails near the mean) */
    { .c = { 1e7, 1e6, 2e6, 8e6 }, .eps = 2.17315, .p = 0.05002220134862066 },
    { .c = { 1e7, 1e6, 2e6, 8e6 }, .eps = 2.17633, .p = 0.9500808105840985 },
};

ParameterizedTestParameters(eps, posterior_mass_matches_scipy)
{
    return cr_make_param_array(prob_case, prob_cases, sizeof prob_cases / sizeof prob_cases[0]);
}

ParameterizedTest(prob_case *pc, eps, posterior_mass_matches_scipy)
{
    /* scipy values (see the top of the file); tolerance 1e-7 */
    assert_near(eps_bayes_prob_le(&pc->c, 1e-5, pc->eps), pc->p, 1e-7, "P(eps)");
    assert_near(eps_bayes_p_exceeds(&pc->c, 1e-5, pc->eps), 1 - pc->p, 1e-7, "1 - P(eps)");
}

Test(eps, bayes_reproduces_the_readme_interval)
{
    /* REF (privacy-estimates README): α = 0.1 two-sided → [0.145, 6.399].
     * The lower end agrees within 0.002. Our upper end is 6.4156, 0.017 above
     * the README: scipy (1-D quad after x = s², exact to 1e-10 here) gives
     * P(6.399) = 0.94958 and P(6.41560) = 0.95000, and bench/bayes_ref.py
     * (scipy dblquad, the reference method) gives 6.41557; so the README's
     * figure falls short of the 0.95 point. We check against scipy's 6.41560. */
    double lo, hi;
    pa_err err = { 0 };
    cr_assert_eq(eps_bayes_interval(&REF_README, 1e-5, 0.05, &lo, &hi, &err), PA_OK, "%s",
                 err.msg);
    assert_near(lo, 0.145, 0.01, "lower vs README");
    assert_near(lo, 0.143895, 1e-4, "lower vs scipy");
    assert_near(hi, 6.41560, 1e-4, "upper vs scipy");
    assert_near(hi, 6.399, 0.02, "upper vs README (see comment)");
}

Test(eps, bayes_lower_bound_beats_clopper_pearson_on_the_reference_counts)
{
    /* REF: the joint-beta lower bound on (12, 58, 200, 200) exceeds CP's 2.0057. */
    double lo, hi;
    cr_assert_eq(eps_bayes_interval(&REF_CP, 1e-5, 0.05, &lo, &hi, NULL), PA_OK);
    cr_assert(lo > 2.0057, "bayes lower %g", lo);
    assert_near(lo, 2.17845267, 1e-5, "lower vs scipy");
    assert_near(hi, 3.10423082, 1e-5, "upper vs scipy");
}

Test(eps, bayes_works_with_zero_false_positives_and_negatives)
{
    eps_counts c = { 1000, 0, 0, 1000 };
    double lo, hi;
    cr_assert_eq(eps_bayes_interval(&c, 1e-5, 0.05, &lo, &hi, NULL), PA_OK);
    assert_near(lo, 7.20721072, 1e-5, "lower vs scipy");
    assert_near(hi, 14.50098818, 1e-5, "upper vs scipy");
    eps_counts tiny = { 1, 0, 0, 1 };
    cr_assert_eq(eps_bayes_interval(&tiny, 1e-5, 0.05, &lo, &hi, NULL), PA_OK);
    cr_assert(lo >= 0 && hi > lo && isfinite(hi), "tiny [%g, %g]", lo, hi);
}

Test(eps, bayes_interval_ends_solve_their_equations)
{
    double lo, hi;
    cr_assert_eq(eps_bayes_interval(&REF_CP, 1e-5, 0.05, &lo, &hi, NULL), PA_OK);
    assert_near(eps_bayes_prob_le(&REF_CP, 1e-5, lo), 0.05, 1e-6, "P(lo)");
    assert_near(eps_bayes_prob_le(&REF_CP, 1e-5, hi), 0.95, 1e-6, "P(hi)");
    /* a blind attack audited at a large δ: the ε = 0 region |x + y - 1| <= δ
     * holds most of the posterior, P(0) > alpha, so the lower end is 0 */
    eps_counts blind = { 100, 100, 100, 100 };
    cr_assert(eps_bayes_prob_le(&blind, 0.2, 0) > 0.05);
    cr_assert_eq(eps_bayes_interval(&blind, 0.2, 0.05, &lo, &hi, NULL), PA_OK);
    cr_assert_eq(lo, 0.0);
    /* at δ = 1e-5 the ε = 0 region has almost no mass, so even a blind attack
     * has a (tiny) positive lower end */
    cr_assert_eq(eps_bayes_interval(&blind, 1e-5, 0.05, &lo, &hi, NULL), PA_OK);
    cr_assert(lo > 0 && lo < 0.05 && hi > 0 && hi < 1, "blind [%g, %g]", lo, hi);
}

Test(eps, bayes_interval_is_symmetric_under_swapping_the_two_error_types)
{
    /* FN↔FP with TP↔TN mirrors the region in the diagonal; FN↔TP with FP↔TN
     * reflects it through (½, ½). Both leave the interval unchanged. */
    eps_counts c = { 180, 20, 45, 155 }, s1 = { 155, 45, 20, 180 }, s2 = { 20, 180, 155, 45 };
    double lo, hi, lo1, hi1, lo2, hi2;
    cr_assert_eq(eps_bayes_interval(&c, 1e-5, 0.05, &lo, &hi, NULL), PA_OK);
    cr_assert_eq(eps_bayes_interval(&s1, 1e-5, 0.05, &lo1, &hi1, NULL), PA_OK);
    cr_assert_eq(eps_bayes_interval(&s2, 1e-5, 0.05, &lo2, &hi2, NULL), PA_OK);
    assert_near(lo1, lo, 1e-6, "FN<->FP lower");
    assert_near(hi1, hi, 1e-6, "FN<->FP upper");
    assert_near(lo2, lo, 1e-6, "FN<->TP lower");
    assert_near(hi2, hi, 1e-6, "FN<->TP upper");
}

Test(eps, bayes_interval_shrinks_as_counts_grow_at_fixed_rates)
{
    double prev = INFINITY;
    for (double k = 1; k <= 1000; k *= 10) {
        eps_counts c = { 90 * k, 10 * k, 30 * k, 70 * k };
        double lo, hi;
        cr_assert_eq(eps_bayes_interval(&c, 1e-5, 0.05, &lo, &hi, NULL), PA_OK);
        cr_assert(hi - lo < prev, "scale %g: width %g not below %g", k, hi - lo, prev);
        cr_assert(lo <= eps_point(&c, 1e-5) && eps_point(&c, 1e-5) <= hi);
        prev = hi - lo;
    }
    cr_assert(prev < 0.05, "width at 100000 per class: %g", prev);
}

Test(eps, one_sided_alpha_equals_the_lower_end_of_two_sided_2alpha)
{
    double lo1, hi1, lo, hi;
    cr_assert_eq(eps_bayes_lower(&REF_CP, 1e-5, 0.05, &lo1, NULL), PA_OK);
    cr_assert_eq(eps_bayes_upper(&REF_CP, 1e-5, 0.05, &hi1, NULL), PA_OK);
    cr_assert_eq(eps_bayes_interval(&REF_CP, 1e-5, 0.05, &lo, &hi, NULL), PA_OK);
    cr_assert_eq(lo1, lo);
    cr_assert_eq(hi1, hi);
    /* and a wider one-sided level gives a larger lower bound */
    double lo_wide;
    cr_assert_eq(eps_bayes_lower(&REF_CP, 1e-5, 0.2, &lo_wide, NULL), PA_OK);
    cr_assert(lo_wide > lo);
}

Test(eps, posterior_density_integrates_to_the_mass_between_grid_ends)
{
    enum { N = 201 };
    double grid[N], dens[N];
    for (int i = 0; i < N; i++)
        grid[i] = 1.5 + 2.5 * i / (N - 1.0);
    cr_assert_eq(eps_bayes_density(&REF_CP, 1e-5, grid, N, dens, NULL), PA_OK);
    double s = 0;
    for (int i = 0; i + 1 < N; i++)
        s += (dens[i] + dens[i + 1]) / 2 * (grid[i + 1] - grid[i]);
    double want = eps_bayes_prob_le(&REF_CP, 1e-5, 4.0) - eps_bayes_prob_le(&REF_CP, 1e-5, 1.5);
    assert_near(s, want, 2e-3, "trapezoid of the density");
    for (int i = 0; i < N; i++)
        cr_assert(dens[i] >= 0);
}

/* ---- μ-GDP, one-run, κ ---- */

Test(eps, gdp_lower_bound_matches_scipy)
{
    double mu, e;
    cr_assert_eq(eps_gdp_mu_lower(&REF_CP, 1, 0.05, &mu, NULL, NULL), PA_OK);
    assert_near(mu, 1.880842315526, 1e-8, "mu");
    cr_assert_eq(eps_gdp_epsilon(1.0, 1e-5, &e, NULL), PA_OK);
    assert_near(e, 4.377178095681, 1e-8, "eps(mu=1, delta=1e-5)");
    cr_assert_eq(eps_gdp_epsilon(0.5, 1e-3, &e, NULL), PA_OK);
    assert_near(e, 1.352276244803, 1e-8, "eps(mu=0.5, delta=1e-3)");
}

Test(eps, one_run_audit_matches_the_binomial_tail)
{
    double e;
    cr_assert_eq(eps_one_run(1000, 100, 90, 0.05, &e, NULL), PA_OK);
    assert_near(e, 1.630823192741, 1e-8, "m=1000 r=100 v=90");
    cr_assert_eq(eps_one_run(1000, 1000, 600, 0.01, &e, NULL), PA_OK);
    assert_near(e, 0.253826190549, 1e-8, "r=1000 v=600");
    cr_assert_eq(eps_one_run(1000, 100, 50, 0.05, &e, NULL), PA_OK);
    cr_assert_eq(e, 0.0, "chance-level guessing gives 0");
    /* many guesses, all right: the tail at ε = 0 is 2^-20000 (underflows a
     * double). P[Bin(r, q) >= r] = q^r = α gives q = α^(1/r) and
     * ε = ln(q/(1−q)) in closed form: 7.194... for r = 20000, α = 0.05
     * (python3: q = 0.05**(1/20000); log(q/(1-q))). */
    cr_assert_eq(eps_one_run(20000, 20000, 20000, 0.05, &e, NULL), PA_OK);
    double q = pow(0.05, 1.0 / 20000);
    assert_near(e, log(q / (1 - q)), 1e-7, "r=v=20000");
    /* a strong, imperfect attack past the underflow: 19,000 of 20,000 right.
     * Reference: scipy brentq on binom.logsf(18999, 20000, q(ε)) − ln 0.05
     * (/usr/bin/python3, scipy 1.10) = 2.8908300751892524 */
    cr_assert_eq(eps_one_run(20000, 20000, 19000, 0.05, &e, NULL), PA_OK);
    assert_near(e, 2.8908300751892524, 1e-7, "r=20000 v=19000");
    pa_err err = { 0 };
    cr_assert_eq(eps_one_run(100, 200, 50, 0.05, &e, &err), PA_EINPUT);
    cr_assert(strstr(err.msg, "r (guesses)") != NULL, "%s", err.msg);
}

Test(eps, separation_of_gdp_and_of_an_roc)
{
    assert_near(eps_kappa_gdp(1.0), 0.270768809419043, 1e-12, "kappa(mu=1) (scipy)");
    cr_assert_eq(eps_kappa_gdp(0), 0.0);
    double fpr[3] = { 0, 0.1, 1 }, tpr[3] = { 0, 0.6, 1 }, k;
    cr_assert_eq(eps_kappa_roc(fpr, tpr, 3, &k, NULL), PA_OK);
    assert_near(k, 0.5 / M_SQRT2, 1e-15, "kappa of an ROC");
}

/* ---- CLI ---- */

static char *run_epsilon(int argc, char **argv, int *rc)
{
    cr_redirect_stdout();
    *rc = cmd_epsilon(argc, argv);
    fflush(stdout);
    FILE *f = cr_get_redirected_stdout();
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    return buf;
}

Test(eps, cli_prints_json_with_every_estimator_and_null_for_infinity)
{
    char *argv[] = { "epsilon", "--tp", "487", "--fn", "0", "--fp", "512", "--tn", "1",
                     "--claimed", "1", "--json", NULL };
    int rc;
    char *out = run_epsilon(12, argv, &rc);
    cr_assert_eq(rc, 0);
    cJSON *o = cJSON_Parse(out);
    cr_assert_not_null(o, "not JSON: %s", out);
    cJSON *b = cJSON_GetObjectItem(o, "bayes"), *cp = cJSON_GetObjectItem(o, "clopper_pearson");
    cr_assert(b && cp && cJSON_GetObjectItem(o, "jeffreys") && cJSON_GetObjectItem(o, "point"));
    assert_near(cJSON_GetObjectItem(b, "lo")->valuedouble, 0.145, 0.01, "bayes lo");
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(b, "p_exceeds")));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cp, "hi")), "infinite hi must be null");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "point")), "infinite point must be null");
    cJSON_Delete(o);
}

Test(eps, cli_rejects_a_bad_option_with_exit_code_2, .init = cr_redirect_stderr)
{
    char *argv[] = { "epsilon", "--tp", "10", "--fn", "x", NULL };
    cr_assert_eq(cmd_epsilon(5, argv), 2);
    char *argv2[] = { "epsilon", "--tp", "10", "--fn", "1", "--fp", "2", NULL };
    cr_assert_eq(cmd_epsilon(7, argv2), 2);   /* --tn missing */
    fflush(stderr);
    cr_assert_stderr_neq_str("");
}
