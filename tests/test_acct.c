/* test_acct.c — accountants (audit/acct.h) and `privaudit account`.
 *
 * REF values come from shared/REFERENCES.md (opacus, TF-Privacy,
 * dp_accounting, private-pgm tests). Values marked "scipy" were computed with
 * Debian's python3 (scipy 1.10.1): one-step RDP by integrating the definition
 * A_a = E_{z~N(0,σ²)}[(1-q+q e^{(2z-1)/(2σ²)})^a] with scipy.integrate.quad
 * (epsrel 1e-13) — independent of the binomial/erfc series used here.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <criterion/redirect.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "audit/acct.h"
#include "harness/cli.h"

TestSuite(acct);

static void assert_rel(double got, double want, double rel, const char *what)
{
    cr_assert(fabs(got - want) <= rel * fabs(want), "%s: got %.15g, want %.15g (rel tol %g)", what,
              got, want, rel);
}

static void assert_near(double got, double want, double tol, const char *what)
{
    cr_assert(fabs(got - want) <= tol, "%s: got %.15g, want %.15g (tol %g)", what, got, want, tol);
}

/* ---- RDP ---- */

Test(acct, rdp_reproduces_the_opacus_reference)
{
    /* REF opacus tests/accountants_test.py: σ=1.5, q=0.04, T=2250, δ=1e-5 → 7.32911117143 */
    double eps, order;
    cr_assert_eq(acct_rdp_epsilon(1.5, 0.04, 2250, 1e-5, NULL, 0, &eps, &order, NULL), PA_OK);
    assert_rel(eps, 7.32911117143, 1e-9, "opacus");
    assert_near(order, 3.9, 1e-12, "order");
}

Test(acct, rdp_reproduces_the_tf_privacy_reference)
{
    /* REF TF-Privacy compute_dp_sgd_privacy: n=60000, batch 150, σ=1.3, 15 epochs → 0.7242234026109595
     * at order 19, steps = ceil(15·60000/150) = 6000 */
    const double *o;
    size_t n = acct_orders_named("tf", &o);
    double eps, order;
    cr_assert_eq(acct_rdp_epsilon(1.3, 150.0 / 60000, 6000, 1e-5, o, n, &eps, &order, NULL), PA_OK);
    assert_rel(eps, 0.7242234026109595, 1e-9, "tf");
    cr_assert_eq(order, 19);
}

Test(acct, rdp_conversion_reproduces_the_dp_accounting_reference)
{
    /* REF dp_accounting: constant RDP 1.1 on orders 2..32, δ=1e-5 → 1.32783806176 at 32 */
    double orders[31], rdp[31], eps, order;
    for (int i = 0; i < 31; i++) {
        orders[i] = i + 2;
        rdp[i] = 1.1;
    }
    cr_assert_eq(acct_rdp_to_eps(orders, rdp, 31, 1e-5, ACCT_CONV_BALLE, &eps, &order, NULL), PA_OK);
    assert_rel(eps, 1.32783806176, 1e-9, "dp_accounting");
    cr_assert_eq(order, 32);
    /* the basic conversion: 1.1 + ln(1e5)/31 */
    cr_assert_eq(acct_rdp_to_eps(orders, rdp, 31, 1e-5, ACCT_CONV_BASIC, &eps, &order, NULL), PA_OK);
    assert_rel(eps, 1.1 + log(1e5) / 31, 1e-12, "basic");
}

typedef struct { double q, sigma, order, rdp; } rdp_case;

static rdp_case rdp_cases[] = {
    { .q = 0.1, .sigma = 1.0, .order = 2.5, .rdp = 2.350372726100321e-02 },
    { .q = 0.04, .sigma = 1.5, .order = 3.9, .rdp = 1.833202199583828e-03 },
    { .q = 0.01, .sigma = 0.8, .order = 7.3, .rdp = 3.881135460639029e-01 },
    { .q = 0.1, .sigma = 1.0, .order = 3, .rdp = 3.171230030337649e-02 },
};

ParameterizedTestParameters(acct, one_step_rdp_matches_the_integral_definition)
{
    return cr_make_param_array(rdp_case, rdp_cases, sizeof rdp_cases / sizeof rdp_cases[0]);
}

ParameterizedTest(rdp_case *c, acct, one_step_rdp_matches_the_integral_definition)
{
    /* scipy values (see the top of the file); tolerance 1e-9 relative */
    assert_rel(acct_rdp_order(c->sigma, c->q, c->order), c->rdp, 1e-9, "rdp");
}

Test(acct, integer_order_rdp_matches_a_naive_binomial_sum)
{
    /* naive reference: A_a = Σ C(a,k)(1-q)^(a-k) q^k exp((k²-k)/(2σ²)) in plain doubles */
    double q = 0.05, s = 1.1;
    for (int a = 2; a <= 12; a++) {
        double A = 0, c = 1;
        for (int k = 0; k <= a; k++) {
            A += c * pow(1 - q, a - k) * pow(q, k) * exp((k * k - k) / (2 * s * s));
            c = c * (a - k) / (k + 1);
        }
        assert_rel(acct_rdp_order(s, q, a), log(A) / (a - 1), 1e-12, "naive sum");
    }
    cr_assert_eq(acct_rdp_order(1, 0, 5), 0.0);
    assert_rel(acct_rdp_order(2, 1, 5), 5 / 8.0, 1e-15, "q = 1 is the Gaussian mechanism");
}

Test(acct, heterogeneous_phases_add_their_rdp_curves)
{
    const double *o;
    size_t n = acct_orders_named("opacus", &o);
    acct_phase a = { 1.0, 0.01, 500 }, b = { 2.0, 0.05, 300 }, ab[2] = { a, b };
    double *ra = malloc(n * sizeof *ra), *rb = malloc(n * sizeof *rb), *rab = malloc(n * sizeof *rab);
    cr_assert_eq(acct_rdp_curve(&a, 1, o, n, ra, NULL), PA_OK);
    cr_assert_eq(acct_rdp_curve(&b, 1, o, n, rb, NULL), PA_OK);
    cr_assert_eq(acct_rdp_curve(ab, 2, o, n, rab, NULL), PA_OK);
    for (size_t k = 0; k < n; k++)
        assert_rel(rab[k], ra[k] + rb[k], 1e-13, "sum of curves");
    /* two phases of the same mechanism = one phase with the steps added */
    acct_phase split[2] = { { 1.0, 0.01, 200 }, { 1.0, 0.01, 300 } };
    double e1, e2;
    cr_assert_eq(acct_rdp_epsilon_phases(split, 2, 1e-5, NULL, 0, ACCT_CONV_BALLE, &e1, NULL, NULL),
                 PA_OK);
    cr_assert_eq(acct_rdp_epsilon(1.0, 0.01, 500, 1e-5, NULL, 0, &e2, NULL, NULL), PA_OK);
    assert_rel(e1, e2, 1e-12, "split phases");
    free(ra);
    free(rb);
    free(rab);
}

Test(acct, named_order_sets_have_their_documented_contents)
{
    const double *o;
    cr_assert_eq(acct_orders_named("opacus", &o), 151);
    cr_assert(o[0] == 1.1 && o[98] == 1 + 99 / 10.0 && o[99] == 12 && o[150] == 63);
    cr_assert_eq(acct_orders_named("tf", &o), 72);
    cr_assert(o[0] == 1.25 && o[9] == 4.5 && o[10] == 5 && o[68] == 63 && o[71] == 512);
    cr_assert_eq(acct_orders_named("dp_accounting", &o), 156);
    cr_assert(o[99] == 11 && o[155] == 1024);
    cr_assert_eq(acct_orders_named("nope", &o), 0);
    double *p;
    size_t n;
    cr_assert_eq(acct_orders_parse("2,4.5,8", &p, &n, NULL), PA_OK);
    cr_assert(n == 3 && p[1] == 4.5);
    free(p);
    pa_err err = { 0 };
    cr_assert_eq(acct_orders_parse("2,1,8", &p, &n, &err), PA_EINPUT);
    cr_assert(p == NULL && strstr(err.msg, "item 2") != NULL, "%s", err.msg);
}

/* ---- PRV ---- */

Test(acct, prv_reproduces_the_opacus_reference)
{
    /* REF opacus test: σ=1.5, q=0.04, T=2249, δ=1e-5 → 6.777395712150674 (the upper bound);
     * tolerance 1e-4 */
    acct_phase p = { 1.5, 0.04, 2249 };
    acct_prv_result r;
    pa_err err = { 0 };
    cr_assert_eq(acct_prv_epsilon(&p, 1, 1e-5, 0, 0, &r, &err), PA_OK, "%s", err.msg);
    assert_near(r.upper, 6.777395712150674, 1e-4, "prv upper");
    cr_assert(r.lower <= r.estimate && r.estimate <= r.upper);
}

typedef struct { double sigma, q, steps, delta; } prv_case;

static prv_case prv_cases[] = {
    { 1.0, 0.01, 1000, 1e-5 },
    { 0.8, 0.02, 300, 1e-6 },
    { 2.0, 0.1, 100, 1e-5 },
    { 1.2, 0.005, 5000, 1e-5 },
};

ParameterizedTestParameters(acct, prv_bounds_are_ordered_and_below_rdp)
{
    return cr_make_param_array(prv_case, prv_cases, sizeof prv_cases / sizeof prv_cases[0]);
}

ParameterizedTest(prv_case *c, acct, prv_bounds_are_ordered_and_below_rdp)
{
    acct_phase p = { c->sigma, c->q, c->steps };
    acct_prv_result r;
    double rdp;
    pa_err err = { 0 };
    cr_assert_eq(acct_prv_epsilon(&p, 1, c->delta, 0, 0, &r, &err), PA_OK, "%s", err.msg);
    cr_assert_eq(acct_rdp_epsilon(c->sigma, c->q, c->steps, c->delta, NULL, 0, &rdp, NULL, NULL),
                 PA_OK);
    cr_assert(r.lower <= r.estimate && r.estimate <= r.upper, "[%g %g %g]", r.lower, r.estimate,
              r.upper);
    cr_assert(r.upper - r.lower < 0.05, "width %g", r.upper - r.lower);
    cr_assert(rdp >= r.estimate, "rdp %g < prv %g", rdp, r.estimate);
}

Test(acct, prv_of_two_phases_lies_between_its_single_phase_extremes)
{
    acct_phase a = { 1.0, 0.01, 1000 }, b = { 1.0, 0.02, 1000 }, aa = { 1.0, 0.01, 2000 },
               bb = { 1.0, 0.02, 2000 }, ab[2] = { a, b };
    acct_prv_result r, ra, rb;
    cr_assert_eq(acct_prv_epsilon(ab, 2, 1e-5, 0, 0, &r, NULL), PA_OK);
    cr_assert_eq(acct_prv_epsilon(&aa, 1, 1e-5, 0, 0, &ra, NULL), PA_OK);
    cr_assert_eq(acct_prv_epsilon(&bb, 1, 1e-5, 0, 0, &rb, NULL), PA_OK);
    cr_assert(ra.estimate < r.estimate && r.estimate < rb.estimate, "%g < %g < %g", ra.estimate,
              r.estimate, rb.estimate);
    /* and equal to one phase when both phases are the same mechanism */
    acct_phase same[2] = { a, a };
    cr_assert_eq(acct_prv_epsilon(same, 2, 1e-5, 0, 0, &r, NULL), PA_OK);
    assert_near(r.estimate, ra.estimate, 1e-6, "a+a = 2a");
}

/* ---- zCDP and GDP ---- */

Test(acct, zcdp_conversion_reproduces_private_pgm)
{
    /* REF private-pgm cdp2adp: cdp_rho(1, 1e-9) = 0.014973, cdp_rho(1, 1e-5) = 0.030557 */
    assert_near(acct_zcdp_rho(1, 1e-9), 0.014973, 1e-6, "rho(1, 1e-9)");
    assert_near(acct_zcdp_rho(1, 1e-5), 0.030557, 1e-6, "rho(1, 1e-5)");
    double rho = acct_zcdp_rho(2.5, 1e-6);
    assert_near(acct_zcdp_to_eps(rho, 1e-6), 2.5, 1e-9, "round trip");
    cr_assert(acct_zcdp_delta(rho, 2.5) <= 1e-6 * (1 + 1e-9));
    cr_assert_eq(acct_zcdp_to_eps(0, 1e-5), 0.0);
}

/* the conversions remember their last answers per thread: a remembered
 * answer must be the one computed afresh, whatever came in between */
Test(acct, zcdp_conversions_answer_the_same_when_asked_again)
{
    double eps[12], rho[12];
    for (int q = 0; q < 12; q++) {
        eps[q] = 0.25 * (q + 1);
        rho[q] = acct_zcdp_rho(eps[q], 1e-5);
        cr_assert(rho[q] > 0 && (q == 0 || rho[q] > rho[q - 1]), "rho(%g) = %g", eps[q], rho[q]);
    }
    for (int pass = 0; pass < 3; pass++)
        for (int q = 11; q >= 0; q -= 1 + pass) {
            cr_assert(acct_zcdp_rho(eps[q], 1e-5) == rho[q], "rho(%g) changed", eps[q]);
            assert_near(acct_zcdp_to_eps(rho[q], 1e-5), eps[q], 1e-9, "round trip");
            cr_assert(acct_zcdp_rho(eps[q], 1e-6) < rho[q], "delta is part of the key");
        }
}
