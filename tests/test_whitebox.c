/* test_whitebox.c — the white-box DP-SGD canary audit (attacks/whitebox.h)
 * and its SQLite tables (harness/whitebox_store.h). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attacks/whitebox.h"
#include "harness/store.h"
#include "harness/whitebox_store.h"
#include "testutil.h"

TestSuite(whitebox);

/* A small audit: claimed ε, R runs of K canaries, T steps at rate q. */
static wb_cfg small_cfg(double eps, size_t runs, size_t K, size_t T, double q)
{
    wb_cfg c;
    wb_cfg_default(&c);
    c.epsilon = eps;
    c.runs = runs;
    c.canaries = K;
    c.steps = T;
    c.q = q;
    return c;
}

static void assert_noise_free_scores(const wb_cfg *c, double member_score)
{
    double score[8];
    int member[8];
    pa_err e;
    for (size_t run = 0; run < 4; run++) {
        cr_assert_eq(wb_run(c, 0.0, run, score, member, &e), PA_OK, "%s", e.msg);
        for (size_t k = 0; k < c->canaries; k++)
            cr_assert_float_eq(score[k], member[k] ? member_score : 0.0, 1e-4,
                               "run %zu canary %zu member %d: score %.17g", run, k, member[k],
                               score[k]);
    }
}

Test(whitebox, step_llr_is_the_log_of_the_mixture_likelihood_ratio)
{
    /* ln(0.5 + 0.5 exp((2·1.3 − 1)/(2·0.7²))) and logaddexp(ln 0.99, ln 0.01 + 199/0.02),
     * both by numpy (np.log, np.logaddexp); tolerance 1e-12 relative */
    cr_assert_float_eq(wb_step_llr(1.3, 0.7, 0.5), 1.1179954798025689, 1e-12);
    cr_assert_float_eq(wb_step_llr(100, 0.1, 0.01), 9945.39482981401, 1e-8,
                       "a huge z must not overflow");
    cr_assert_float_eq(wb_step_llr(1.3, 0.7, 1.0), 1.6 / 0.98, 1e-12, "q = 1: the Gaussian LLR z");
    cr_assert_float_eq(wb_step_llr(-100, 0.1, 0.3), log(0.7), 1e-12, "z -> -inf: ln(1 - q)");
}

Test(whitebox, noise_free_gradient_canary_counts_one_per_step_in_both_threat_models)
{
    wb_cfg c = small_cfg(1, 10, 8, 3, 1.0);
    assert_noise_free_scores(&c, 3.0);
    c.threat = WB_THREAT_FINAL;
    assert_noise_free_scores(&c, 3.0);
}

Test(whitebox, noise_free_input_canary_counts_one_per_step_with_all_updates)
{
    wb_cfg c = small_cfg(1, 10, 4, 3, 1.0);
    c.canary = WB_CANARY_INPUT;
    assert_noise_free_scores(&c, 3.0);
}

Test(whitebox, no_clip_bug_lets_the_ten_times_C_canary_through_unclipped)
{
    wb_cfg c = small_cfg(1, 10, 8, 2, 1.0);
    c.clip = 0.5;
    c.bug = WB_BUG_NO_CLIP;
    assert_noise_free_scores(&c, 20.0);
    c.bug = WB_BUG_NONE;
    assert_noise_free_scores(&c, 2.0);
}

Test(whitebox, sigma_is_the_rdp_calibration_for_the_claimed_epsilon)
{
    /* σ with min over the opacus orders of a/(2σ²) + ln(1 − 1/a) − (ln δ + ln a)/(a − 1)
     * equal to ε (Gaussian mechanism, q = 1, T = 1, δ = 1e-5), solved by scipy brentq
     * (xtol 1e-12): 4.045385368855093 (ε = 1), 2.1491103258378135 (ε = 2). Tolerance 1e-5
     * relative (the accountant calibrates σ to relative 1e-6). */
    wb_cfg c = small_cfg(1, 10, 8, 1, 1.0);
    double s, er, ep;
    pa_err e;
    cr_assert_eq(wb_sigma(&c, &s, &er, &ep, &e), PA_OK, "%s", e.msg);
    cr_assert_float_eq(s, 4.045385368855093, 4e-5);
    cr_assert_float_eq(er, 1.0, 1e-4);
    cr_assert(ep < er, "the exact Gaussian ε (%g) is below RDP's (%g)", ep, er);
    c.epsilon = 2;
    cr_assert_eq(wb_sigma(&c, &s, NULL, NULL, &e), PA_OK, "%s", e.msg);
    cr_assert_float_eq(s, 2.1491103258378135, 2e-5);
}

Test(whitebox, non_member_scores_follow_the_gaussian_null_of_the_engine_noise)
{
    /* q = T = 1: a non-member's score is z = (2x − 1)/(2σ²) with x ~ N(0, σ²), so
     * z ~ N(−1/(2σ²), 1/σ²); a member's is N(+1/(2σ²), 1/σ²). 400 runs × 16 canaries ≈
     * 3200 per class: the sample mean is within 4 standard errors (two-sided
     * P ≈ 6e-5 per check) and the variance within 15% (its SE is √(2/n) ≈ 2.5%). */
    wb_cfg c = small_cfg(1, 400, 16, 1, 1.0);
    double sigma;
    pa_err e;
    cr_assert_eq(wb_sigma(&c, &sigma, NULL, NULL, &e), PA_OK, "%s", e.msg);
    double s1[2] = {0}, s2[2] = {0}, n[2] = {0}, score[16];
    int member[16];
    for (size_t run = 0; run < c.runs; run++) {
        cr_assert_eq(wb_run(&c, sigma, run, score, member, &e), PA_OK, "%s", e.msg);
        for (size_t k = 0; k < 16; k++) {
            s1[member[k]] += score[k];
            s2[member[k]] += score[k] * score[k];
            n[member[k]]++;
        }
    }
    for (int b = 0; b < 2; b++) {
        double mean = s1[b] / n[b], var = s2[b] / n[b] - mean * mean;
        double mu = (b ? 1 : -1) / (2 * sigma * sigma), v = 1 / (sigma * sigma);
        cr_assert(fabs(mean - mu) < 4 * sqrt(v / n[b]), "class %d: mean %g, expected %g", b, mean, mu);
        cr_assert(fabs(var / v - 1) < 0.15, "class %d: variance %g, expected %g", b, var, v);
    }
}

Test(whitebox, results_do_not_depend_on_the_number_of_jobs)
{
    wb_cfg c = small_cfg(2, 60, 8, 3, 0.5);
    c.canary = WB_CANARY_INPUT;
    wb_result *a, *b;
    pa_err e;
    cr_assert_eq(wb_audit(&c, NULL, NULL, &a, &e), PA_OK, "%s", e.msg);
    c.jobs = 3;
    cr_assert_eq(wb_audit(&c, NULL, NULL, &b, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(a->nobs, 480);
    cr_assert(!memcmp(a->score, b->score, a->nobs * sizeof *a->score));
    cr_assert(!memcmp(a->member, b->member, a->nobs * sizeof *a->member));
    cr_assert_eq(a->bayes_lo, b->bayes_lo);
    wb_result_free(a);
    wb_result_free(b);
}

/* Must-show 1 of issue #5: claimed ε = 1, DP-SGD with subsampling (q = 0.5,
 * T = 4), 300 runs × 16 canaries, all-updates threat. */
static int flagged(wb_bug bug, uint64_t seed, double *lo)
{
    wb_cfg c = small_cfg(1, 300, 16, 4, 0.5);
    c.bug = bug;
    c.seed = seed;
    c.jobs = 2;
    wb_result *r;
    pa_err e;
    cr_assert_eq(wb_audit(&c, NULL, NULL, &r, &e), PA_OK, "%s", e.msg);
    int v = r->violation;
    /* the verdict's Bayesian test (four edges at α/8) is stricter than the lower bound's own flag */
    cr_assert(!v || r->bayes_lo > 1.0, "violation with the lower bound %g below the claim", r->bayes_lo);
    *lo = r->bayes_lo;
    wb_result_free(r);
    return v;
}

Test(whitebox, noise_div10_bug_is_flagged_in_at_least_9_of_10_seeds)
{
    int n = 0;
    double lo;
    for (uint64_t s = 1; s <= 10; s++)
        n += flagged(WB_BUG_NOISE_DIV10, s, &lo);
    cr_assert_geq(n, 9, "flagged in %d of 10 seeds", n);
}

Test(whitebox, no_clip_bug_is_flagged_in_at_least_9_of_10_seeds)
{
    int n = 0;
    double lo;
    for (uint64_t s = 1; s <= 10; s++)
        n += flagged(WB_BUG_NO_CLIP, s, &lo);
    cr_assert_geq(n, 9, "flagged in %d of 10 seeds", n);
}

Test(whitebox, correct_engine_is_never_flagged_in_20_seeds)
{
    double lo;
    for (uint64_t s = 1; s <= 20; s++) {
        cr_assert_eq(flagged(WB_BUG_NONE, s, &lo), 0, "seed %llu: Bayesian lower bound %g > 1",
                     (unsigned long long)s, lo);
        cr_assert(lo >= 0 && lo < 1);
    }
}

/* The gradient canary with q = 1 is the Gaussian mechanism itself: the canary's
 * coordinate of the noisy sum is N(0, σ²C²) without it and N(C, σ²C²) with it
 * (a Dirac gradient of norm 10C clipped to C, on a coordinate no data
 * touches), T times, so the scores are binormal with μ = √T/σ exactly and the
 * GDP fit's interval (one-sided 0.999 each end, α = 0.002) must hold
 * μ_theory (it fails with probability 0.002 for a fixed seed, and the seed is
 * fixed). Power: with 1,000 runs × 16 canaries (8,000 test scores) the
 * interval is narrower than ±0.1, and the noise_div10 bug (σ/10: μ = 10·√T/σ)
 * is far above it. */
Test(whitebox, gdp_fit_holds_the_gaussian_mechanism_mu_and_sees_the_noise_bug)
{
    const double eps[] = {1, 4};
    for (size_t i = 0; i < 2; i++) {
        wb_cfg c = small_cfg(eps[i], 1000, 16, 2, 1);
        c.alpha = 0.002;
        c.jobs = 2;
        wb_result *r;
        pa_err e;
        cr_assert_eq(wb_audit(&c, NULL, NULL, &r, &e), PA_OK, "%s", e.msg);
        cr_assert_float_eq(r->mu_theory, sqrt(2.0) / r->sigma, 1e-12);
        cr_log_info("eps %g: GDP fit mu %.4f [%.4f, %.4f], mu_theory %.4f", eps[i], r->fit_mu, r->fit_lo, r->fit_hi,
                    r->mu_theory);
        cr_expect(r->fit_lo <= r->mu_theory && r->mu_theory <= r->fit_hi, "eps %g: mu_theory %g outside [%g, %g]",
                  eps[i], r->mu_theory, r->fit_lo, r->fit_hi);
        cr_expect_lt(r->fit_hi - r->fit_lo, 0.2, "eps %g: interval [%g, %g] too wide to test", eps[i], r->fit_lo,
                     r->fit_hi);
        wb_result_free(r);
        c.bug = WB_BUG_NOISE_DIV10;
        cr_assert_eq(wb_audit(&c, NULL, NULL, &r, &e), PA_OK, "%s", e.msg);
        cr_expect_gt(r->fit_lo, 3 * r->mu_theory, "eps %g, noise_div10: fit [%g, %g], mu_theory %g", eps[i],
                     r->fit_lo, r->fit_hi, r->mu_theory);
        wb_result_free(r);
    }
}

/* One bad field per case: the field's name (which the message must name) and
 * its bad value, set on the default configuration. */
typedef struct bad_case { char field[16]; double value; } bad_case;

static void set_field(wb_cfg *c, const bad_case *bc)
{
    if (!strcmp(bc->field, "epsilon"))
        c->epsilon = bc->value;
    else if (!strcmp(bc->field, "delta"))
        c->delta = bc->value;
    else if (!strcmp(bc->field, "runs"))
        c->runs = (size_t)bc->value;
    else if (!strcmp(bc->field, "steps"))
        c->steps = (size_t)bc->value;
    else if (!strcmp(bc->field, "q"))
        c->q = bc->value;
    else if (!strcmp(bc->field, "clip"))
        c->clip = bc->value;
    else if (!strcmp(bc->field, "canaries"))
        c->canaries = (size_t)bc->value;
    else if (!strcmp(bc->field, "cal_frac"))
        c->cal_frac = bc->value;
    else
        cr_assert_fail("unknown field %s", bc->field);
}

ParameterizedTestParameters(whitebox, invalid_configurations_are_rejected_naming_the_field)
{
    static bad_case cases[] = {
        {.field = "epsilon", .value = 0},   {.field = "delta", .value = 1},
        {.field = "runs", .value = 1},      {.field = "steps", .value = 0},
        {.field = "q", .value = 1.5},       {.field = "clip", .value = -1},
        {.field = "canaries", .value = 5000}, {.field = "cal_frac", .value = 1e-6},
    };
    return cr_make_param_array(bad_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(bad_case *bc, whitebox, invalid_configurations_are_rejected_naming_the_field)
{
    wb_cfg c;
    wb_cfg_default(&c);
    set_field(&c, bc);
    pa_err e = {0};
    wb_result *r = (wb_result *)1;
    cr_assert_eq(wb_audit(&c, NULL, NULL, &r, &e), PA_EINPUT);
    cr_assert_null(r);
    cr_assert(strstr(e.msg, bc->field), "message \"%s\" names %s", e.msg, bc->field);
}

Test(whitebox, names_round_trip_and_unknown_names_are_refused)
{
    wb_threat t;
    wb_canary c;
    wb_bug b;
    cr_assert_eq(wb_threat_parse("final", &t), 0);
    cr_assert_str_eq(wb_threat_name(t), "final");
    cr_assert_eq(wb_canary_parse("input", &c), 0);
    cr_assert_str_eq(wb_canary_name(c), "input");
    cr_assert_eq(wb_bug_parse("noise_div10", &b), 0);
    cr_assert_str_eq(wb_bug_name(b), "noise_div10");
    cr_assert_eq(wb_bug_parse("noise", &b), -1);
    cr_assert_eq(wb_threat_parse(NULL, &t), -1);
}

Test(whitebox, store_keeps_the_audit_its_estimates_and_every_score)
{
    char *dir = tu_tmpdir();
    cr_assert_not_null(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/wb.db", dir);
    wb_cfg c = small_cfg(1, 20, 4, 1, 1.0);
    c.bug = WB_BUG_NOISE_DIV10;
    wb_result *r;
    pa_err e;
    store *st;
    cr_assert_eq(wb_audit(&c, NULL, NULL, &r, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(store_open(path, &st, &e), PA_OK, "%s", e.msg);
    int64_t id1 = -1, id2 = -1;
    cr_assert_eq(wbstore_put(st, &c, r, &id1, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(wbstore_put(st, &c, r, &id2, &e), PA_OK, "%s", e.msg);
    cr_assert_neq(id1, id2);
    sqlite3 *db = store_db(st);
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*), sum(member), sum(split = 'calibration') "
                                        "FROM whitebox_score WHERE audit_id = ?", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, id1);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    int nm = 0;
    for (size_t i = 0; i < r->nobs; i++)
        nm += r->member[i];
    cr_assert_eq(sqlite3_column_int(s, 0), 80);
    cr_assert_eq(sqlite3_column_int(s, 1), nm);
    cr_assert_eq(sqlite3_column_int(s, 2), 40);
    sqlite3_finalize(s);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT lo, violation FROM whitebox_estimate "
                                        "WHERE audit_id = ? AND method = 'bayes'", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, id1);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_double(s, 0), r->bayes_lo);
    cr_assert_eq(sqlite3_column_int(s, 1), r->bayes_lo > c.epsilon); /* the row's own flag */
    sqlite3_finalize(s);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT violation FROM whitebox_audit WHERE id = ?", -1, &s, NULL),
                 SQLITE_OK); /* the audit's verdict */
    sqlite3_bind_int64(s, 1, id1);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(s, 0), r->violation);
    sqlite3_finalize(s);
    wb_result_free(r);
    store_close(st);
    tu_rmtree(dir);
    free(dir);
}

Test(whitebox, command_flags_a_planted_bug_stores_it_and_refuses_bad_input_with_exit_2)
{
    char *dir = tu_tmpdir();
    cr_assert_not_null(dir);
    char db[4096];
    snprintf(db, sizeof db, "%s/wb.db", dir);
    const char *ok[] = {"whitebox", "--epsilon", "1", "--runs", "200", "--bug", "noise_div10",
                        "--jobs", "2", "--db", db, NULL};
    tu_result r = tu_run(dir, ok);
    cr_assert_eq(r.code, 0, "stderr: %s", r.err ? r.err : "");
    cr_assert(r.out && strstr(r.out, "VIOLATION:"), "stdout: %s", r.out ? r.out : "");
    cr_assert(strstr(r.out, "sigma = 4.04539"), "the RDP sigma for epsilon 1 (see above)");
    cr_assert(r.err && strstr(r.err, "run 200 / 200"), "progress on stderr");
    tu_result_free(&r);
    cr_assert(tu_exists(db));
    static const char *const bad[][8] = {
        {"whitebox", NULL},                                       /* --epsilon missing */
        {"whitebox", "--epsilon", "0", NULL},
        {"whitebox", "--epsilon", "1", "--threat", "some", NULL},
        {"whitebox", "--epsilon", "1", "--bug", "x", NULL},
        {"whitebox", "--epsilon", "1", "--runs", "1", NULL},
        {"whitebox", "--epsilon", "1", "--frobnicate", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = tu_run(dir, bad[i]);
        cr_assert_eq(r.code, 2, "case %zu: exit %d", i, r.code);
        cr_assert(r.err && strstr(r.err, "privaudit whitebox: "), "case %zu names the command", i);
        tu_result_free(&r);
    }
    const char *help[] = {"whitebox", "--help", NULL};
    r = tu_run(dir, help);
    cr_assert_eq(r.code, 0);
    cr_assert(r.out && strstr(r.out, "usage: privaudit whitebox"));
    tu_result_free(&r);
    tu_rmtree(dir);
    free(dir);
}
