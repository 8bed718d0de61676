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

TestSuite(acct, .timeout = 180);

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

/* ---- properties on a grid of (σ, q, T, δ) spanning μ from 1e-3 to 1e3 ---- */

typedef struct { double sigma, q, T, delta, mu, rdp, gdp; } grid_case;

/* mpmath 1.2.1, 50 digits (/usr/bin/python3), independent of the code:
 *  rdp: the exact binomial sum A_a = Σ_k C(a,k)(1−q)^(a−k) q^k e^((k²−k)/(2σ²))
 *       at the integer orders 2..64, 128, 256, then min over a of the Balle
 *       et al. 2020 conversion with dp_accounting's KL shortcut, >= 0;
 *  gdp: μ = q √(T (e^{1/σ²} − 1)), ε from Φ(−ε/μ+μ/2) − e^ε Φ(−ε/μ−μ/2) = δ
 *       by 400 bisection steps at 50 digits.
 * Stated tolerances: RDP 1e-12 relative, GDP 1e-13 relative. */
static const grid_case grid[] = {
    { 20.0, 0.002, 100.0, 1e-05, 0.00100063, 0.019617357277523177, 0.0019401754765048124 },
    { 20.0, 0.002, 100.0, 1e-09, 0.00100063, 0.055736339128410168, 0.0044282481148281507 },
    { 0.8, 0.002, 1.0, 1e-05, 0.00388368, 1.1560958388744014, 0.0093975368602308263 },
    { 0.8, 0.002, 1.0, 1e-09, 0.00388368, 2.3073883853714243, 0.018255908748492921 },
    { 1.0, 0.01, 1.0, 1e-05, 0.0131083, 0.95628105567892025, 0.036765817568322368 },
    { 1.0, 0.01, 1.0, 1e-09, 0.0131083, 1.9796522081207183, 0.064747287978262677 },
    { 0.8, 0.002, 100.0, 1e-05, 0.0388368, 1.2606052168717261, 0.12143915287101255 },
    { 0.8, 0.002, 100.0, 1e-09, 0.0388368, 2.5763681271540379, 0.20011934887359701 },
    { 1.0, 0.01, 100.0, 1e-05, 0.131083, 1.2248457796361687, 0.45750586700486443 },
    { 1.0, 0.01, 100.0, 1e-09, 0.131083, 2.3761383261331916, 0.70966860468881891 },
    { 0.8, 0.002, 10000.0, 1e-05, 0.388368, 2.0796368367428763, 1.5049575490870311 },
    { 0.8, 0.002, 10000.0, 1e-09, 0.388368, 3.6146935654055734, 2.2228419176467928 },
    { 1.0, 0.01, 10000.0, 1e-05, 1.31083, 6.7194021179392323, 6.0070773075957177 },
    { 1.0, 0.01, 10000.0, 1e-09, 1.31083, 9.2419858515054162, 8.3465766760994819 },
    { 20.0, 1.0, 10000.0, 1e-05, 5.00313, 35.126631103850338, 33.132589473782337 },
    { 20.0, 1.0, 10000.0, 1e-09, 5.00313, 44.33697147582652, 41.867639116942598 },
    { 0.8, 0.1, 10000.0, 1e-05, 19.4184, 380.26454166651213, 270.45042162834873 },
    { 0.8, 0.1, 10000.0, 1e-09, 19.4184, 389.47488203848832, 304.13331147517889 },
    { 0.5, 0.1, 10000.0, 1e-05, 73.2108, 4301.8225370828476, 2991.1714840816207 },
    { 0.5, 0.1, 10000.0, 1e-09, 73.2108, 4311.0328774548237, 3118.0504010342893 },
    { 0.5, 1.0, 10000.0, 1e-05, 732.108, 40010.12663110385, 271112.11192156613 },
    { 0.5, 1.0, 10000.0, 1e-09, 732.108, 40019.336971475827, 272380.79418516606 },
    { 0.5, 1.0, 20000.0, 1e-05, 1035.36, 80010.12663110385, 540396.18462329998 },
    { 0.5, 1.0, 20000.0, 1e-09, 1035.36, 80019.336971475827, 542190.37145997871 },
};

static const double int_orders_init[] = { 2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18,
                                          19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
                                          36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52,
                                          53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 128, 256 };

Test(acct, rdp_and_gdp_agree_with_mpmath_on_a_grid_of_mu_from_1e_3_to_1e3)
{
    size_t no = sizeof int_orders_init / sizeof int_orders_init[0];
    double lo_mu = INFINITY, hi_mu = 0;
    for (size_t k = 0; k < sizeof grid / sizeof grid[0]; k++) {
        const grid_case *g = &grid[k];
        double e;
        pa_err err = { 0 };
        cr_assert_eq(acct_rdp_epsilon(g->sigma, g->q, g->T, g->delta, int_orders_init, no, &e, NULL, &err), PA_OK,
                     "%s", err.msg);
        cr_expect(fabs(e - g->rdp) <= 1e-12 * g->rdp, "rdp sigma=%g q=%g T=%g delta=%g: %.17g, mpmath %.17g",
                  g->sigma, g->q, g->T, g->delta, e, g->rdp);
        cr_assert_eq(acct_epsilon(ACCT_GDP, g->sigma, g->q, g->T, g->delta, NULL, 0, &e, &err), PA_OK, "%s",
                     err.msg);
        cr_expect(fabs(e - g->gdp) <= 1e-13 * g->gdp, "gdp sigma=%g q=%g T=%g delta=%g (mu %g): %.17g, mpmath %.17g",
                  g->sigma, g->q, g->T, g->delta, g->mu, e, g->gdp);
        acct_phase ph = { g->sigma, g->q, g->T };
        lo_mu = fmin(lo_mu, acct_gdp_mu(&ph, 1));
        hi_mu = fmax(hi_mu, acct_gdp_mu(&ph, 1));
    }
    cr_assert(lo_mu <= 1.01e-3 && hi_mu >= 1e3, "the grid spans mu in [%g, %g]", lo_mu, hi_mu);
}

typedef struct { double sigma, q, order, rdp; } frac_case;

/* mpmath.quad of the definition E_{z~N(0,σ²)}[((1−q) + q e^{(2z−1)/(2σ²)})^a]
 * (validated at integer orders against the binomial sum: 1e-17); the
 * series the code sums stops at e^-30, hence 1e-9 relative. */
static const frac_case frac[] = {
    { 1.5, 0.04, 1.5, 0.00066311169391172471 },  { 1.0, 0.01, 2.5, 0.00021757533228188046 },
    { 2.0, 0.1, 10.5, 0.020006854425873033 },    { 0.8, 0.002, 32.7, 19.136222482069221 },
    { 5.0, 0.5, 3.3, 0.016971520493729459 },     { 1.0, 0.25, 7.25, 2.0238236969685581 },
};

Test(acct, fractional_order_rdp_matches_the_integral_definition_in_mpmath)
{
    for (size_t k = 0; k < sizeof frac / sizeof frac[0]; k++)
        assert_rel(acct_rdp_order(frac[k].sigma, frac[k].q, frac[k].order), frac[k].rdp, 1e-9, "fractional rdp");
}

typedef struct { double sigma, q, delta, eps; } step_case;

/* mpmath: the exact hockey-stick divergence of one subsampled Gaussian step
 * (remove relation), δ(ε) = (1−q)Q(z/σ) + qQ((z−1)/σ) − e^ε Q(z/σ) with
 * z = σ² ln((e^ε − (1−q))/q) + ½, solved for ε by bisection. */
static const step_case step[] = {
    { 1.0, 0.1, 1e-5, 1.6845438143284641 },
    { 2.0, 0.5, 1e-5, 1.3535734223256957 },
    { 0.8, 0.02, 1e-6, 1.5217703084362385 },
};

Test(acct, prv_brackets_the_exact_epsilon_of_one_step)
{
    for (size_t k = 0; k < sizeof step / sizeof step[0]; k++) {
        acct_phase ph = { step[k].sigma, step[k].q, 1 };
        acct_prv_result r;
        pa_err err = { 0 };
        cr_assert_eq(acct_prv_epsilon(&ph, 1, step[k].delta, 0, 0, &r, &err), PA_OK, "%s", err.msg);
        cr_expect(r.lower <= step[k].eps && step[k].eps <= r.upper, "sigma=%g q=%g: exact %.10g outside [%g, %g]",
                  step[k].sigma, step[k].q, step[k].eps, r.lower, r.upper);
        cr_expect(fabs(r.estimate - step[k].eps) <= 0.01, "estimate %g vs exact %g (eps_error 0.01)", r.estimate,
                  step[k].eps);
    }
}

/* ε of accountant k at (σ, q, T, δ), failing the test on an error */
static double eps_of(int k, double sigma, double q, double T, double delta)
{
    double e;
    pa_err err = { 0 };
    cr_assert_eq(acct_epsilon((enum acct_kind)k, sigma, q, T, delta, NULL, 0, &e, &err), PA_OK,
                 "kind %d sigma=%g q=%g T=%g: %s", k, sigma, q, T, err.msg);
    return e;
}

Test(acct, every_accountant_is_monotone_in_sigma_q_steps_and_delta)
{
    /* RDP and GDP exactly (a 1e-12 slack for rounding); PRV within its
     * eps_error of 0.01 (its mesh moves with the parameters), on a smaller
     * grid because one PRV call costs ~0.1 s */
    const double sig[] = { 0.6, 1, 2, 5 }, qs[] = { 0.002, 0.05, 0.5 }, Ts[] = { 1, 30, 1000 }, del[] = { 1e-9, 1e-5 };
    for (int kind = 0; kind < 3; kind++) {
        int prv = kind == ACCT_PRV;
        double slack = prv ? 0.01 : 1e-12;
        size_t ns = prv ? 3 : 4, nq = prv ? 2 : 3, nt = prv ? 2 : 3, s0 = prv ? 1 : 0;
        for (size_t a = 0; a < ns; a++)
            for (size_t b = 0; b < nq; b++)
                for (size_t c = 0; c < nt; c++) {
                    double sg = sig[s0 + a], e = eps_of(kind, sg, qs[b], Ts[c], del[0]);
                    double tol = slack * fmax(1, e);
                    if (s0 + a + 1 < 4) /* more noise: less ε */
                        cr_expect(eps_of(kind, sig[s0 + a + 1], qs[b], Ts[c], del[0]) <= e + tol,
                                  "kind %d: eps rises with sigma from %g at q=%g T=%g", kind, sg, qs[b], Ts[c]);
                    if (b + 1 < nq) /* more sampling: more ε */
                        cr_expect(eps_of(kind, sg, qs[b + 1], Ts[c], del[0]) >= e - tol,
                                  "kind %d: eps falls with q from %g at sigma=%g T=%g", kind, qs[b], sg, Ts[c]);
                    if (c + 1 < nt)
                        cr_expect(eps_of(kind, sg, qs[b], Ts[c + 1], del[0]) >= e - tol,
                                  "kind %d: eps falls with T from %g at sigma=%g q=%g", kind, Ts[c], sg, qs[b]);
                    /* a larger δ: less ε */
                    cr_expect(eps_of(kind, sg, qs[b], Ts[c], del[1]) <= e + tol,
                              "kind %d: eps rises with delta at sigma=%g q=%g T=%g", kind, sg, qs[b], Ts[c]);
                }
    }
}

Test(acct, target_epsilon_round_trips_to_1e_6_for_rdp_and_gdp_and_1e_3_for_prv)
{
    /* RDP on the opacus orders (up to 63) cannot go below ln(1/δ)/62 ≈ 0.19
     * at δ = 1e-5 except by the KL shortcut to 0 (docs/estimators.md), so
     * its targets start at 0.5 */
    const double targets[] = { 0.5, 1, 3.4, 10 }, qs[] = { 0.001, 0.02 }, Ts[] = { 100, 5000 };
    for (int kind = 0; kind < 3; kind++)
        for (size_t t = 0; t < 4; t++)
            for (size_t i = 0; i < 2; i++) {
                if (kind == ACCT_PRV && (t % 2 || i))
                    continue;   /* PRV: two cases, ~1 s each */
                double s, e;
                pa_err err = { 0 };
                cr_assert_eq(acct_calibrate_sigma((enum acct_kind)kind, targets[t], qs[i], Ts[i], 1e-5, NULL, 0, &s,
                                                  &err), PA_OK, "kind %d target %g: %s", kind, targets[t], err.msg);
                e = eps_of(kind, s, qs[i], Ts[i], 1e-5);
                double tol = kind == ACCT_PRV ? 1e-3 : 1e-6;
                cr_expect(fabs(e - targets[t]) <= tol * targets[t], "kind %d target %g: sigma %.10g gives %.12g", kind,
                          targets[t], s, e);
            }
}

typedef struct { double rho, delta, eps; } zcdp_case;

/* mpmath: δ(ρ, ε) = min_a exp((a−1)(aρ−ε) + a ln(1−1/a))/(a−1) (Canonne,
 * Kamath, Steinke 2020, Prop. 7), minimised by findroot on its derivative,
 * then ε by 200 bisection steps. */
static const zcdp_case zc[] = {
    { 0.014973, 1e-9, 0.99999798920256211 }, { 0.1, 1e-5, 1.9142388320035978 },
    { 1.0, 1e-6, 7.7662166253117207 },       { 10.0, 1e-5, 30.110857303795729 },
    { 0.0001, 1e-5, 0.045047462087777229 },
};

Test(acct, zcdp_conversion_matches_mpmath_and_inverts)
{
    for (size_t k = 0; k < sizeof zc / sizeof zc[0]; k++) {
        double e = acct_zcdp_to_eps(zc[k].rho, zc[k].delta);
        assert_rel(e, zc[k].eps, 1e-10, "zcdp eps");
        assert_rel(acct_zcdp_rho(e, zc[k].delta), zc[k].rho, 1e-10, "zcdp rho round trip");
    }
    cr_expect(isnan(acct_zcdp_rho(1, 0)), "delta = 0 has no zCDP conversion: must not be a number");
}

Test(acct, out_of_range_results_are_infinite_or_refused_with_a_message_never_a_wrong_number)
{
    double e;
    pa_err err = { 0 };
    /* μ = 1e160: ε ~ μ²/2 is beyond any double: +inf, the safe upper bound */
    cr_expect_eq(acct_gdp_to_eps(1e160, 1e-5, &e, &err), PA_OK, "%s", err.msg);
    cr_expect(isinf(e) && e > 0, "%g", e);
    cr_expect_eq(acct_gdp_to_eps(-1, 1e-5, &e, &err), PA_EINPUT);
    cr_expect(isnan(e) && strstr(err.msg, "mu") != NULL, "%g: %s", e, err.msg);
    /* a target no sigma in [0.05, 1e4] reaches */
    double s;
    cr_expect_eq(acct_calibrate_sigma(ACCT_GDP, 1e-9, 1, 1e6, 1e-5, NULL, 0, &s, &err), PA_EINPUT);
    cr_expect(isnan(s) && strstr(err.msg, "not reached") != NULL, "%g: %s", s, err.msg);
}
