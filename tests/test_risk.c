/* test_risk.c — Anonymeter's success rate, residual risk and clipping
 * (audit/risk.c) against Anonymeter's own test values
 * (statice/anonymeter tests/test_confidence.py, rounded to 3 decimals there)
 * and against the numpy/scipy transcription tests/ref/release_ref.py (scipy
 * 1.10.1; printed with %.17g; tolerance 1e-12 relative). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>

#include "audit/risk.h"

TestSuite(risk);

static void assert_rel(double got, double want, double tol, const char *what)
{
    cr_assert(fabs(got - want) <= tol * fmax(1.0, fabs(want)), "%s: got %.17g, expected %.17g", what, got, want);
}

Test(risk, probit_is_anonymeters)
{
    assert_rel(risk_probit(0.95), 1.959963984540054, 1e-12, "probit(0.95)");
    cr_assert(isnan(risk_probit(1.0)));
    cr_assert(isnan(risk_probit(-0.1)));
}

typedef struct rate_case {
    double n, k, rate, err;
} rate_case;

/* release_ref.py, "success_rate n k" lines; the first three are Anonymeter's
 * test_success_rate cases (0.849 ± 0.022, 0.002 ± 0.002, 0.998 ± 0.002) */
static rate_case rate_cases[] = {
    {.n = 1000, .k = 850, .rate = 0.84866063453005569, .err = 0.022129292956856016},
    {.n = 1000, .k = 0, .rate = 0.0019133792427775617, .err = 0.0019133792427775617},
    {.n = 1000, .k = 1000, .rate = 0.99808662075722243, .err = 0.0019133792427775617},
    {.n = 500, .k = 37, .rate = 0.077247969036621261, .err = 0.023086784285609292},
    {.n = 3155, .k = 2897, .rate = 0.91771643724488006, .err = 0.0095693663813370255},
};

ParameterizedTestParameters(risk, success_rate_matches_the_transcription)
{
    return cr_make_param_array(rate_case, rate_cases, sizeof rate_cases / sizeof rate_cases[0]);
}

ParameterizedTest(rate_case *c, risk, success_rate_matches_the_transcription)
{
    risk_rate r;
    risk_success_rate(c->k, c->n, 0.95, &r);
    assert_rel(r.rate, c->rate, 1e-12, "rate");
    assert_rel(r.err, c->err, 1e-12, "error");
    assert_rel(r.lo, fmax(0, c->rate - c->err), 1e-12, "lower end");
    assert_rel(r.hi, fmin(1, c->rate + c->err), 1e-12, "upper end");
    /* Anonymeter's rounding to 3 decimals */
    if (c->n == 1000 && c->k == 850)
        cr_assert(fabs(r.rate - 0.849) < 5e-4 && fabs(r.err - 0.022) < 5e-4);
}

Test(risk, residual_matches_anonymeters_tests_and_the_transcription)
{
    /* Anonymeter test_residual_success: (0.9, 0.02) over (0.85, 0.02) -> 0.333 ± 0.16 */
    risk_rate a = {.rate = 0.9, .err = 0.02}, c = {.rate = 0.85, .err = 0.02};
    risk_excess e;
    risk_residual(&a, &c, &e);
    assert_rel(e.raw, 0.33333333333333359, 1e-12, "residual");
    assert_rel(e.err, 0.16024672335395504, 1e-12, "propagated error");
    cr_assert(fabs(e.raw - 0.333) < 5e-4 && fabs(e.err - 0.16) < 5e-3);
    /* (0.9, 0) over (0.8, 0) -> 0.5 exactly, error 0 */
    risk_rate a2 = {.rate = 0.9, .err = 0}, c2 = {.rate = 0.8, .err = 0};
    risk_residual(&a2, &c2, &e);
    assert_rel(e.raw, 0.5, 1e-15, "residual without error");
    cr_assert_eq(e.err, 0);
    /* release_ref.py "residual" line 2 */
    risk_rate a3 = {.rate = 0.14037178823151641, .err = 0.011}, c3 = {.rate = 0.0333768, .err = 0.0148};
    risk_residual(&a3, &c3, &e);
    assert_rel(e.raw, 0.11068944779260048, 1e-12, "residual");
    assert_rel(e.err, 0.017745505932347735, 1e-12, "error");
    /* a control rate of 1 leaves nothing to gain: not a number */
    risk_rate c4 = {.rate = 1, .err = 0};
    risk_residual(&a3, &c4, &e);
    cr_assert(isnan(e.raw) && isnan(e.value));
}

Test(risk, values_are_clipped_like_bind_value)
{
    /* Anonymeter test_bind_value: (0.1, 0.3) -> 0.1 [0, 0.4]; (1.1, 0.5) -> 1 [0.6, 1]; (-0.1, 0.2) -> 0 [0, 0.1] */
    static const double in[3][2] = {{0.1, 0.3}, {1.1, 0.5}, {-0.1, 0.2}}, out[3][3] = {
        {0.1, 0.0, 0.4}, {1.0, 0.6, 1.0}, {0.0, 0.0, 0.1}};
    for (int t = 0; t < 3; t++) {
        /* a residual of exactly in[t][0] with error in[t][1]: attack rate v, control 0, error on the attack only */
        risk_rate a = {.rate = in[t][0], .err = in[t][1]}, c = {.rate = 0, .err = 0};
        risk_excess e;
        risk_residual(&a, &c, &e);
        assert_rel(e.value, out[t][0], 1e-12, "value");
        assert_rel(e.lo, out[t][1], 1e-12, "lower");
        assert_rel(e.hi, out[t][2], 1e-12, "upper");
    }
}

Test(risk, evaluate_flags_only_a_significant_excess_and_says_when_it_cannot_measure)
{
    risk_result r;
    /* 980/7000 against 30/1000 at 95%: the excess is far from 0 */
    risk_evaluate(980, 7000, 30, 1000, 55, 7000, 0.95, 0, &r);
    cr_assert_eq(r.status, RISK_OK);
    cr_assert(r.flag);
    /* equal rates: no flag, whatever n */
    risk_evaluate(9000, 10000, 900, 1000, 8000, 10000, 0.95, 0, &r);
    cr_assert_eq(r.status, RISK_OK);
    cr_assert_not(r.flag);
    cr_assert_eq(r.risk.lo, 0);
    /* a threshold above the lower end: not flagged */
    risk_evaluate(980, 7000, 30, 1000, 55, 7000, 0.95, 0.2, &r);
    cr_assert_not(r.flag);
    /* no control: no risk, no flag */
    risk_evaluate(980, 7000, NAN, NAN, 55, 7000, 0.95, 0, &r);
    cr_assert_eq(r.status, RISK_NO_CONTROL);
    cr_assert(isnan(r.risk.value) && !r.flag);
    cr_assert(fabs(r.attack.rate - 0.14) < 0.01);
    /* the naive attack does better: weak, and says so */
    risk_evaluate(50, 1000, 40, 1000, 80, 1000, 0.95, 0, &r);
    cr_assert_eq(r.status, RISK_WEAK);
    cr_assert_str_eq(risk_status_name(r.status), "weak");
    /* no attempts */
    risk_evaluate(NAN, 0, NAN, NAN, NAN, NAN, 0.95, 0, &r);
    cr_assert_eq(r.status, RISK_NOT_RUN);
    /* the strongest: largest lower end */
    risk_result rs[3];
    risk_evaluate(100, 1000, 90, 1000, 0, 1000, 0.95, 0, &rs[0]);
    risk_evaluate(300, 1000, 100, 1000, 0, 1000, 0.95, 0, &rs[1]);
    risk_evaluate(NAN, 0, NAN, NAN, NAN, NAN, 0.95, 0, &rs[2]);
    cr_assert_eq(risk_strongest(rs, 3), 1);
}
