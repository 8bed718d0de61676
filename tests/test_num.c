/* test_num.c — the numerical steps of audit/num.h: a root finder and a
 * quadrature whose failures are errors with a message, never a value. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "audit/num.h"

TestSuite(num);

static double cubic(double x, void *p)
{
    (void)p;
    return x * x * x - 2;   /* root 2^(1/3) */
}

static double positive(double x, void *p)
{
    (void)p;
    return 1 + x * x;
}

static double nan_inside(double x, void *p)
{
    (void)p;
    return x < 0.3 ? -1 : x > 0.7 ? 1 : NAN;
}

static double step_at(double x, void *p)
{
    return x < *(const double *)p ? -1 : 1;
}

Test(num, root_finds_a_bracketed_root_to_its_tolerance)
{
    double r;
    cr_assert_eq(num_root(cubic, NULL, 0, 2, 1e-300, 1e-15, 100, -1, "cubic", &r, NULL), PA_OK);
    cr_expect(fabs(r - cbrt(2)) <= 4e-15, "%.17g", r);
    /* the side kept: f(lo) < 0, so keep_lo_side = 1 returns an end with f < 0 */
    double half = 0.5;
    cr_assert_eq(num_root(step_at, &half, 0, 1, 1e-12, 0, 200, 1, "step", &r, NULL), PA_OK);
    cr_expect(r <= 0.5 && r > 0.5 - 2e-12, "%.17g", r);
    cr_assert_eq(num_root(step_at, &half, 0, 1, 1e-12, 0, 200, 0, "step", &r, NULL), PA_OK);
    cr_expect(r >= 0.5 && r < 0.5 + 2e-12, "%.17g", r);
}

Test(num, root_failures_are_errors_with_a_message_and_no_value)
{
    pa_err err = { 0 };
    double r = 1;
    cr_expect_eq(num_root(positive, NULL, -1, 1, 1e-12, 0, 100, -1, "positive", &r, &err), PA_EINTERNAL);
    cr_expect(isnan(r) && strstr(err.msg, "positive: ") && strstr(err.msg, "does not bracket"), "%g: %s", r, err.msg);
    r = 1;
    cr_expect_eq(num_root(nan_inside, NULL, 0, 1, 1e-12, 0, 100, -1, "nan", &r, &err), PA_EINTERNAL);
    cr_expect(isnan(r) && strstr(err.msg, "nan: "), "%g: %s", r, err.msg);
    r = 1;
    cr_expect_eq(num_root(cubic, NULL, 0, 2, 1e-300, 1e-16, 3, -1, "slow", &r, &err), PA_EINTERNAL);
    cr_expect(isnan(r) && strstr(err.msg, "did not converge in 3"), "%g: %s", r, err.msg);
    r = 1;
    cr_expect_eq(num_root(cubic, NULL, NAN, 2, 1e-12, 0, 100, -1, "nanend", &r, &err), PA_EINTERNAL);
    cr_expect(isnan(r) && strstr(err.msg, "undefined"), "%g: %s", r, err.msg);
}

static double inv_sqrt(double x, void *p)
{
    (void)p;
    return 1 / sqrt(x);
}

static double wild(double x, void *p)
{
    (void)p;
    return sin(1 / (x * x * x)) / (x * x);   /* oscillates without end near 0 */
}

static double nan_f(double x, void *p)
{
    (void)p;
    return x > 0.5 ? NAN : 1;
}

Test(num, qags_integrates_an_endpoint_singularity_and_reports_failures)
{
    double r, e;
    pa_err err = { 0 };
    cr_assert_eq(num_qags(inv_sqrt, NULL, 0, 1, 0, 1e-12, 0, 1, 100, NULL, "isqrt", &r, &e, &err), PA_OK, "%s",
                 err.msg);
    cr_expect(fabs(r - 2) <= 1e-11, "%.17g", r);
    r = 1;
    cr_expect_eq(num_qags(wild, NULL, 1e-6, 1, 0, 1e-12, 0, 1, 50, NULL, "wild", &r, &e, &err), PA_EINTERNAL);
    cr_expect(isnan(r) && strstr(err.msg, "wild: quadrature") != NULL, "%g: %s", r, err.msg);
    r = 1;
    cr_expect_eq(num_qags(nan_f, NULL, 0, 1, 0, 1e-12, 0, 1, 50, NULL, "nan", &r, &e, &err), PA_EINTERNAL);
    cr_expect(isnan(r) && strstr(err.msg, "nan: ") != NULL, "%g: %s", r, err.msg);
    /* a GSL complaint whose error estimate is within what the caller accepts is not a failure */
    cr_expect_eq(num_qags(wild, NULL, 1e-6, 1, 0, 1e-14, 1e6, 1, 50, NULL, "lenient", &r, &e, &err), PA_OK, "%s",
                 err.msg);
}
