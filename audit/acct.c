/* acct.c — RDP, zCDP and GDP accountants, order sets, calibration of σ.
 * Symbols as in acct.h: σ noise multiplier, q sampling rate, T steps,
 * a RDP order, ρ zCDP, μ GDP, δ target δ. All RDP sums are in log space. */
#include "audit/acct.h"

#include "audit/num.h"
#include "core/dpsgd.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>

/* ---------------------------------------------------------------- zCDP --
 * Canonne, Kamath, Steinke 2020 ("The Discrete Gaussian for Differential
 * Privacy", Prop. 7), as in private-pgm mechanisms/cdp2adp.py: δ(ρ, ε) by
 * the same bisection over the order α; its inverses in ε and ρ by Brent's
 * method (GSL) to 1e-14 relative, instead of private-pgm's nested
 * bisections, which cost ~10⁵ evaluations per conversion. */

double acct_zcdp_delta(double rho, double eps)
{
    if (!(rho >= 0 && eps >= 0))
        return NAN;
    if (rho == 0)
        return 0;
    double amin = 1.01, amax = (eps + 1) / (2 * rho) + 2, alpha = amin;
    for (int i = 0; i < 1000; i++) {
        alpha = (amin + amax) / 2;
        if (alpha == amin || alpha == amax)
            break;
        double deriv = (2 * alpha - 1) * rho - eps + log1p(-1.0 / alpha);
        if (deriv < 0)
            amin = alpha;
        else
            amax = alpha;
    }
    double d = exp((alpha - 1) * (alpha * rho - eps) + alpha * log1p(-1 / alpha)) / (alpha - 1.0);
    return fmin(d, 1.0);
}

/* Brent root of f(x) = 0 on [lo, hi] (f(lo) and f(hi) of opposite signs),
 * to an absolute/relative x tolerance of 1e-300/1e-14; NAN if it cannot be
 * bracketed or does not converge (num_root). */
static double zcdp_root(double (*f)(double, void *), void *par, double lo, double hi)
{
    double x;
    return num_root(f, par, lo, hi, 1e-300, 1e-14, 300, -1, "zcdp", &x, NULL) == PA_OK ? x : NAN;
}

typedef struct zcdp_par {
    double rho, delta, eps;
} zcdp_par;

/* log δ(ρ, ε) − log δ_target: decreasing in ε */
static double zcdp_delta_gap(double eps, void *vp)
{
    const zcdp_par *p = vp;
    return log(acct_zcdp_delta(p->rho, eps)) - log(p->delta);
}

/* The two conversions are pure functions solved by root finding, and a run
 * asks for the same few (ε, δ) in every trial of a cell: each thread keeps
 * the last ZCDP_MEMO answers of each (exact: the same inputs give the same
 * root). */
#define ZCDP_MEMO 8
typedef struct zcdp_memo {
    double a[ZCDP_MEMO], b[ZCDP_MEMO], v[ZCDP_MEMO];
    unsigned n, next;
} zcdp_memo;

static int memo_get(const zcdp_memo *m, double a, double b, double *v)
{
    for (unsigned q = 0; q < m->n; q++)
        if (m->a[q] == a && m->b[q] == b) {
            *v = m->v[q];
            return 1;
        }
    return 0;
}

static double memo_put(zcdp_memo *m, double a, double b, double v)
{
    m->a[m->next] = a;
    m->b[m->next] = b;
    m->v[m->next] = v;
    m->next = (m->next + 1) % ZCDP_MEMO;
    if (m->n < ZCDP_MEMO)
        m->n++;
    return v;
}

static double zcdp_to_eps_solve(double rho, double delta);
static double zcdp_rho_solve(double eps, double delta);

double acct_zcdp_to_eps(double rho, double delta)
{
    static _Thread_local zcdp_memo memo;
    double v;
    if (memo_get(&memo, rho, delta, &v))
        return v;
    return memo_put(&memo, rho, delta, zcdp_to_eps_solve(rho, delta));
}

double acct_zcdp_rho(double eps, double delta)
{
    static _Thread_local zcdp_memo memo;
    double v;
    if (memo_get(&memo, eps, delta, &v))
        return v;
    return memo_put(&memo, eps, delta, zcdp_rho_solve(eps, delta));
}

static double zcdp_to_eps_solve(double rho, double delta)
{
    if (!(rho >= 0 && delta > 0) || isinf(rho))
        return NAN;
    if (delta >= 1 || rho == 0)
        return 0;
    zcdp_par p = {.rho = rho, .delta = delta};
    if (acct_zcdp_delta(rho, 0) <= delta)
        return 0;
    /* ε = ρ + 2√(ρ ln(1/δ)) always suffices (Bun and Steinke 2016) */
    double hi = rho + 2 * sqrt(rho * log(1 / delta));
    if (zcdp_delta_gap(hi, &p) > 0)
        return hi;
    return zcdp_root(zcdp_delta_gap, &p, 0, hi);
}

static double zcdp_eps_gap(double rho, void *vp)
{
    const zcdp_par *p = vp;
    return zcdp_to_eps_solve(rho, p->delta) - p->eps;
}

static double zcdp_rho_solve(double eps, double delta)
{
    if (!(eps >= 0 && delta > 0) || isinf(eps))
        return NAN;
    if (delta >= 1 || eps == 0)
        return 0;
    zcdp_par p = {.delta = delta, .eps = eps};
    double hi = eps + 1;
    while (zcdp_eps_gap(hi, &p) < 0)
        hi *= 2;
    return zcdp_root(zcdp_eps_gap, &p, 0, hi);
}

/* ---------------------------------------------------------- order sets -- */

/* Written out as constant expressions (1 + x / 10.0 is what the Python
 * libraries compute), so there is no mutable state to initialise. */
#define N_OPACUS 151
#define N_TF 72
#define N_DPACC 156
static const double orders_opacus[N_OPACUS] = {
    1 + 1 / 10.0, 1 + 2 / 10.0, 1 + 3 / 10.0, 1 + 4 / 10.0, 1 + 5 / 10.0, 1 + 6 / 10.0, 1 + 7 / 10.0, 1 + 8 / 10.0,
    1 + 9 / 10.0, 1 + 10 / 10.0, 1 + 11 / 10.0, 1 + 12 / 10.0, 1 + 13 / 10.0, 1 + 14 / 10.0, 1 + 15 / 10.0, 1 + 16 / 10.0,
    1 + 17 / 10.0, 1 + 18 / 10.0, 1 + 19 / 10.0, 1 + 20 / 10.0, 1 + 21 / 10.0, 1 + 22 / 10.0, 1 + 23 / 10.0, 1 + 24 / 10.0,
    1 + 25 / 10.0, 1 + 26 / 10.0, 1 + 27 / 10.0, 1 + 28 / 10.0, 1 + 29 / 10.0, 1 + 30 / 10.0, 1 + 31 / 10.0, 1 + 32 / 10.0,
    1 + 33 / 10.0, 1 + 34 / 10.0, 1 + 35 / 10.0, 1 + 36 / 10.0, 1 + 37 / 10.0, 1 + 38 / 10.0, 1 + 39 / 10.0, 1 + 40 / 10.0,
    1 + 41 / 10.0, 1 + 42 / 10.0, 1 + 43 / 10.0, 1 + 44 / 10.0, 1 + 45 / 10.0, 1 + 46 / 10.0, 1 + 47 / 10.0, 1 + 48 / 10.0,
    1 + 49 / 10.0, 1 + 50 / 10.0, 1 + 51 / 10.0, 1 + 52 / 10.0, 1 + 53 / 10.0, 1 + 54 / 10.0, 1 + 55 / 10.0, 1 + 56 / 10.0,
    1 + 57 / 10.0, 1 + 58 / 10.0, 1 + 59 / 10.0, 1 + 60 / 10.0, 1 + 61 / 10.0, 1 + 62 / 10.0, 1 + 63 / 10.0, 1 + 64 / 10.0,
    1 + 65 / 10.0, 1 + 66 / 10.0, 1 + 67 / 10.0, 1 + 68 / 10.0, 1 + 69 / 10.0, 1 + 70 / 10.0, 1 + 71 / 10.0, 1 + 72 / 10.0,
    1 + 73 / 10.0, 1 + 74 / 10.0, 1 + 75 / 10.0, 1 + 76 / 10.0, 1 + 77 / 10.0, 1 + 78 / 10.0, 1 + 79 / 10.0, 1 + 80 / 10.0,
    1 + 81 / 10.0, 1 + 82 / 10.0, 1 + 83 / 10.0, 1 + 84 / 10.0, 1 + 85 / 10.0, 1 + 86 / 10.0, 1 + 87 / 10.0, 1 + 88 / 10.0,
    1 + 89 / 10.0, 1 + 90 / 10.0, 1 + 91 / 10.0, 1 + 92 / 10.0, 1 + 93 / 10.0, 1 + 94 / 10.0, 1 + 95 / 10.0, 1 + 96 / 10.0,
    1 + 97 / 10.0, 1 + 98 / 10.0, 1 + 99 / 10.0, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24,
    25, 26, 27, 28, 29, 30, 31, 32,
    33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48,
    49, 50, 51, 52, 53, 54, 55, 56,
    57, 58, 59, 60, 61, 62, 63,
};
static const double orders_tf[N_TF] = {
    1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5,
    4, 4.5, 5, 6, 7, 8, 9, 10,
    11, 12, 13, 14, 15, 16, 17, 18,
    19, 20, 21, 22, 23, 24, 25, 26,
    27, 28, 29, 30, 31, 32, 33, 34,
    35, 36, 37, 38, 39, 40, 41, 42,
    43, 44, 45, 46, 47, 48, 49, 50,
    51, 52, 53, 54, 55, 56, 57, 58,
    59, 60, 61, 62, 63, 128, 256, 512,
};
static const double orders_dpacc[N_DPACC] = {
    1 + 1 / 10.0, 1 + 2 / 10.0, 1 + 3 / 10.0, 1 + 4 / 10.0, 1 + 5 / 10.0, 1 + 6 / 10.0, 1 + 7 / 10.0, 1 + 8 / 10.0,
    1 + 9 / 10.0, 1 + 10 / 10.0, 1 + 11 / 10.0, 1 + 12 / 10.0, 1 + 13 / 10.0, 1 + 14 / 10.0, 1 + 15 / 10.0, 1 + 16 / 10.0,
    1 + 17 / 10.0, 1 + 18 / 10.0, 1 + 19 / 10.0, 1 + 20 / 10.0, 1 + 21 / 10.0, 1 + 22 / 10.0, 1 + 23 / 10.0, 1 + 24 / 10.0,
    1 + 25 / 10.0, 1 + 26 / 10.0, 1 + 27 / 10.0, 1 + 28 / 10.0, 1 + 29 / 10.0, 1 + 30 / 10.0, 1 + 31 / 10.0, 1 + 32 / 10.0,
    1 + 33 / 10.0, 1 + 34 / 10.0, 1 + 35 / 10.0, 1 + 36 / 10.0, 1 + 37 / 10.0, 1 + 38 / 10.0, 1 + 39 / 10.0, 1 + 40 / 10.0,
    1 + 41 / 10.0, 1 + 42 / 10.0, 1 + 43 / 10.0, 1 + 44 / 10.0, 1 + 45 / 10.0, 1 + 46 / 10.0, 1 + 47 / 10.0, 1 + 48 / 10.0,
    1 + 49 / 10.0, 1 + 50 / 10.0, 1 + 51 / 10.0, 1 + 52 / 10.0, 1 + 53 / 10.0, 1 + 54 / 10.0, 1 + 55 / 10.0, 1 + 56 / 10.0,
    1 + 57 / 10.0, 1 + 58 / 10.0, 1 + 59 / 10.0, 1 + 60 / 10.0, 1 + 61 / 10.0, 1 + 62 / 10.0, 1 + 63 / 10.0, 1 + 64 / 10.0,
    1 + 65 / 10.0, 1 + 66 / 10.0, 1 + 67 / 10.0, 1 + 68 / 10.0, 1 + 69 / 10.0, 1 + 70 / 10.0, 1 + 71 / 10.0, 1 + 72 / 10.0,
    1 + 73 / 10.0, 1 + 74 / 10.0, 1 + 75 / 10.0, 1 + 76 / 10.0, 1 + 77 / 10.0, 1 + 78 / 10.0, 1 + 79 / 10.0, 1 + 80 / 10.0,
    1 + 81 / 10.0, 1 + 82 / 10.0, 1 + 83 / 10.0, 1 + 84 / 10.0, 1 + 85 / 10.0, 1 + 86 / 10.0, 1 + 87 / 10.0, 1 + 88 / 10.0,
    1 + 89 / 10.0, 1 + 90 / 10.0, 1 + 91 / 10.0, 1 + 92 / 10.0, 1 + 93 / 10.0, 1 + 94 / 10.0, 1 + 95 / 10.0, 1 + 96 / 10.0,
    1 + 97 / 10.0, 1 + 98 / 10.0, 1 + 99 / 10.0, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23,
    24, 25, 26, 27, 28, 29, 30, 31,
    32, 33, 34, 35, 36, 37, 38, 39,
    40, 41, 42, 43, 44, 45, 46, 47,
    48, 49, 50, 51, 52, 53, 54, 55,
    56, 57, 58, 59, 60, 61, 62, 63,
    128, 256, 512, 1024,
};

size_t acct_orders_named(const char *name, const double **orders)
{
    *orders = NULL;
    if (!name)
        return 0;
    if (strcmp(name, "opacus") == 0) {
        *orders = orders_opacus;
        return N_OPACUS;
    }
    if (strcmp(name, "tf") == 0) {
        *orders = orders_tf;
        return N_TF;
    }
    if (strcmp(name, "dp_accounting") == 0) {
        *orders = orders_dpacc;
        return N_DPACC;
    }
    return 0;
}

int acct_orders_parse(const char *spec, double **orders, size_t *n, pa_err *err)
{
    *orders = NULL;
    *n = 0;
    if (!spec || !*spec)
        return pa_errf(err, PA_EINPUT, "orders: expected opacus, tf, dp_accounting or a list "
                                       "like 2,4,8.5");
    const double *named;
    size_t nn = acct_orders_named(spec, &named);
    if (nn) {
        double *o = malloc(nn * sizeof *o);
        if (!o)
            return pa_errf(err, PA_ENOMEM, "orders: out of memory");
        memcpy(o, named, nn * sizeof *o);
        *orders = o;
        *n = nn;
        return PA_OK;
    }
    size_t cap = 1;
    for (const char *s = spec; *s; s++)
        cap += *s == ',';
    double *o = malloc(cap * sizeof *o);
    if (!o)
        return pa_errf(err, PA_ENOMEM, "orders: out of memory");
    const char *s = spec;
    size_t k = 0;
    for (;;) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno || !(v > 1 && v <= ACCT_ORDER_MAX) || (*end != ',' && *end != '\0')) {
            free(o);
            return pa_errf(err, PA_EINPUT,
                           "orders: item %zu of \"%s\": expected a number in (1, %g] (or one of opacus, "
                           "tf, dp_accounting)", k + 1, spec, ACCT_ORDER_MAX);
        }
        o[k++] = v;
        if (*end == '\0')
            break;
        s = end + 1;
    }
    *orders = o;
    *n = k;
    return PA_OK;
}

/* ----------------------------------------------------------------- RDP --
 * Mironov, Talwar, Zhang 2019, "Rényi Differential Privacy of the Sampled
 * Gaussian Mechanism", Sec. 3.3. */

static double log_add(double x, double y)
{
    double a = fmin(x, y), b = fmax(x, y);
    if (a == -INFINITY)
        return b;
    return log1p(exp(a - b)) + b;
}

/* log(e^x - e^y), x >= y; NAN if x < y. */
static double log_sub(double x, double y)
{
    if (x < y)
        return NAN;
    if (y == -INFINITY)
        return x;
    if (x == y)
        return -INFINITY;
    double d = x - y;
    if (d > 700)
        return x;
    return log(expm1(d)) + y;
}

static double log_a_int(double q, double sigma, long a)
{
    double la = -INFINITY, lq = log(q), l1q = log1p(-q), s2 = 2 * sigma * sigma;
    for (long i = 0; i <= a; i++) {
        double s = gsl_sf_lnchoose((unsigned)a, (unsigned)i) + (double)i * lq
                   + (double)(a - i) * l1q + ((double)i * (double)i - (double)i) / s2;
        la = log_add(la, s);
    }
    return la;
}

/* log|C(a, i)| and its sign for real a > 0, integer i >= 0. */
static double log_abs_binom(double a, double i, int *sign)
{
    gsl_sf_result r;
    double sg;
    gsl_sf_lngamma_sgn_e(a - i + 1, &r, &sg);
    *sign = sg < 0 ? -1 : 1;
    return gsl_sf_lngamma(a + 1) - gsl_sf_lngamma(i + 1) - r.val;
}

static double log_a_frac(double q, double sigma, double a)
{
    double la0 = -INFINITY, la1 = -INFINITY;
    double s2 = sigma * sigma, z0 = s2 * log(1 / q - 1) + 0.5;
    double lq = log(q), l1q = log1p(-q), sq2 = M_SQRT2 * sigma;
    for (int i = 0; i < 100000; i++) {
        int sign;
        double lc = log_abs_binom(a, i, &sign);
        double j = a - i;
        double t0 = lc + i * lq + j * l1q, t1 = lc + j * lq + i * l1q;
        double e0 = log(0.5) + gsl_sf_log_erfc((i - z0) / sq2);
        double e1 = log(0.5) + gsl_sf_log_erfc((z0 - j) / sq2);
        double s0 = t0 + ((double)i * i - i) / (2 * s2) + e0;
        double s1 = t1 + (j * j - j) / (2 * s2) + e1;
        if (sign > 0) {
            la0 = log_add(la0, s0);
            la1 = log_add(la1, s1);
        } else {
            la0 = log_sub(la0, s0);
            la1 = log_sub(la1, s1);
        }
        if (isnan(la0) || isnan(la1))
            return NAN;
        if (fmax(s0, s1) < -30)
            return log_add(la0, la1);
    }
    return NAN;
}

double acct_rdp_order(double sigma, double q, double order)
{
    gsl_set_error_handler_off();
    if (!(sigma >= 0 && q >= 0 && q <= 1 && order > 1))
        return NAN;
    if (q == 0)
        return 0;
    if (sigma == 0 || isinf(order))
        return INFINITY;
    if (q == 1)
        return order / (2 * sigma * sigma);
    double la = order == floor(order) && order < 1e6
                    ? log_a_int(q, sigma, (long)order)
                    : log_a_frac(q, sigma, order);
    return la / (order - 1);
}

static int check_phase(const acct_phase *p, size_t j, pa_err *err)
{
    if (!(p->sigma > 0 && isfinite(p->sigma)))
        return pa_errf(err, PA_EINPUT, "phase %zu: sigma: expected a number > 0, got %g", j,
                       p->sigma);
    if (!(p->q >= 0 && p->q <= 1))
        return pa_errf(err, PA_EINPUT, "phase %zu: q: expected a rate in [0, 1], got %g", j, p->q);
    if (!(p->steps >= 0 && isfinite(p->steps)))
        return pa_errf(err, PA_EINPUT, "phase %zu: steps: expected a number >= 0, got %g", j,
                       p->steps);
    return PA_OK;
}

int acct_rdp_curve(const acct_phase *ph, size_t n_ph, const double *orders, size_t n_orders,
                   double *rdp, pa_err *err)
{
    if (!ph || n_ph == 0 || !orders || n_orders == 0 || !rdp)
        return pa_errf(err, PA_EINPUT, "rdp: expected >= 1 phase and >= 1 order");
    for (size_t k = 0; k < n_orders; k++)
        rdp[k] = 0;
    for (size_t j = 0; j < n_ph; j++) {
        int rc = check_phase(&ph[j], j, err);
        if (rc) {
            for (size_t k = 0; k < n_orders; k++)
                rdp[k] = NAN;
            return rc;
        }
    }
    for (size_t k = 0; k < n_orders; k++) {
        if (!(orders[k] > 1)) {
            for (size_t i = 0; i < n_orders; i++)
                rdp[i] = NAN;
            return pa_errf(err, PA_EINPUT, "orders[%zu]: expected an order > 1, got %g", k,
                           orders[k]);
        }
        for (size_t j = 0; j < n_ph; j++)
            if (ph[j].steps > 0)
                rdp[k] += ph[j].steps * acct_rdp_order(ph[j].sigma, ph[j].q, orders[k]);
    }
    return PA_OK;
}

int acct_rdp_to_eps(const double *orders, const double *rdp, size_t n, double delta,
                    enum acct_conversion conv, double *eps, double *order, pa_err *err)
{
    *eps = NAN;
    if (order)
        *order = NAN;
    if (!orders || !rdp || n == 0)
        return pa_errf(err, PA_EINPUT, "rdp conversion: expected >= 1 order");
    if (!(delta > 0 && delta < 1))
        return pa_errf(err, PA_EINPUT, "delta: expected a number in (0, 1), got %g", delta);
    double best = INFINITY, arg = NAN;
    for (size_t k = 0; k < n; k++) {
        double a = orders[k], r = rdp[k], e;
        if (isnan(r) || !(a > 1))
            continue;           /* an order whose series failed is skipped (opacus nanargmin) */
        if (conv == ACCT_CONV_BASIC) {
            e = r - log(delta) / (a - 1);
        } else if (r <= 0 || delta * delta + expm1(-r) > 0) {
            e = 0;              /* KL bound: δ <= sqrt(1 - e^-r) (dp_accounting) */
        } else if (a > 1.01) {
            e = r + log1p(-1 / a) - log(delta * a) / (a - 1);
        } else {
            e = INFINITY;
        }
        if (e < best || isnan(arg)) {
            best = e;
            arg = a;
        }
    }
    if (isnan(arg))
        return pa_errf(err, PA_EINTERNAL, "rdp conversion: every order's RDP is undefined");
    if (isinf(best) && conv == ACCT_CONV_BALLE) {
        int finite = 0, above = 0;
        for (size_t k = 0; k < n; k++) {
            finite += isfinite(rdp[k]) && orders[k] > 1;
            above += orders[k] > 1.01;
        }
        if (finite && !above)
            return pa_errf(err, PA_EINPUT,
                           "rdp conversion: every order is at most 1.01, where the balle conversion is not "
                           "applied (as in dp_accounting); expected at least one order above 1.01");
    }
    *eps = fmax(0, best);
    if (order)
        *order = arg;
    return PA_OK;
}

int acct_rdp_epsilon_phases(const acct_phase *ph, size_t n_ph, double delta,
                            const double *orders, size_t n_orders, enum acct_conversion conv,
                            double *eps, double *best_order, pa_err *err)
{
    *eps = NAN;
    if (best_order)
        *best_order = NAN;
    if (!orders || n_orders == 0)
        n_orders = acct_orders_named("opacus", &orders);
    double *rdp = malloc(n_orders * sizeof *rdp);
    if (!rdp)
        return pa_errf(err, PA_ENOMEM, "rdp: out of memory");
    int rc = acct_rdp_curve(ph, n_ph, orders, n_orders, rdp, err);
    if (!rc)
        rc = acct_rdp_to_eps(orders, rdp, n_orders, delta, conv, eps, best_order, err);
    free(rdp);
    return rc;
}

int acct_rdp_epsilon(double sigma, double q, double steps, double delta,
                     const double *orders, size_t n_orders,
                     double *eps, double *best_order, pa_err *err)
{
    acct_phase p = { sigma, q, steps };
    return acct_rdp_epsilon_phases(&p, 1, delta, orders, n_orders, ACCT_CONV_BALLE, eps,
                                   best_order, err);
}

/* ----------------------------------------------------------------- GDP -- */

double acct_gdp_mu(const acct_phase *ph, size_t n_ph)
{
    if (!ph || n_ph == 0)
        return NAN;
    double m2 = 0;
    for (size_t j = 0; j < n_ph; j++) {
        if (check_phase(&ph[j], j, NULL))
            return NAN;
        m2 += ph[j].q * ph[j].q * ph[j].steps * expm1(1 / (ph[j].sigma * ph[j].sigma));
    }
    return sqrt(m2);
}

/* R(t) = Q(t)/φ(t), the Mills ratio of the standard normal: 1/hazard for
 * t >= 0 (GSL's hazard keeps full precision in the far tail), Q/φ below. */
static double mills(double t)
{
    if (t >= 0)
        return 1 / gsl_sf_hazard(t);
    return gsl_cdf_ugaussian_Q(t) / exp(-0.5 * t * t - 0.5 * log(2 * M_PI));
}

/* ln δ(ε) of μ-GDP, δ = Φ(a) − e^ε Φ(a − μ) with a = −ε/μ + μ/2. Since
 * e^ε φ(a − μ) = φ(a) exactly, δ = φ(a)·[R(t1) − R(t2)] with t1 = −a and
 * t2 = t1 + μ: no term of size e^ε is formed and nothing underflows. For
 * μ < ½ the difference is the integral ∫_{t1}^{t2} (1 − t R(t)) dt
 * (R' = tR − 1) by 5-point Gauss-Legendre, exact to rounding there, so even
 * μ = 1e-8 keeps full precision; for t1 < −30 (ε far below μ²/2) δ is
 * Φ(a) − e^ε Φ(a − μ) directly, both terms of size ~1. */
static double gdp_log_delta(double mu, double eps)
{
    double t1 = eps / mu - mu / 2, t2 = t1 + mu;
    if (t1 < -30) {
        double d = gsl_cdf_ugaussian_Q(t1) - exp(eps + log(gsl_cdf_ugaussian_Q(t2)));
        return log(d);
    }
    double lphi = -0.5 * t1 * t1 - 0.5 * log(2 * M_PI), diff;
    if (mu < 0.5) {
        static const double gx[5] = { -0.9061798459386640, -0.5384693101056831, 0,
                                      0.5384693101056831, 0.9061798459386640 };
        static const double gw[5] = { 0.2369268850561891, 0.4786286704993665, 0.5688888888888889,
                                      0.4786286704993665, 0.2369268850561891 };
        double c = (t1 + t2) / 2, h = mu / 2, sum = 0;
        for (int k = 0; k < 5; k++) {
            double t = c + h * gx[k];
            sum += gw[k] * (1 - t * mills(t));
        }
        diff = h * sum;
    } else {
        diff = mills(t1) - mills(t2);
    }
    return lphi + log(diff);
}

double acct_gdp_delta(double mu, double eps)
{
    gsl_set_error_handler_off();
    if (!(mu >= 0 && eps >= 0))
        return NAN;
    if (mu == 0 || isinf(eps))
        return 0;
    if (isinf(mu))
        return 1;
    return exp(gdp_log_delta(mu, eps));
}

struct gdp_arg { double mu, ldelta; };

/* ln δ(ε) − ln δ_target: decreasing in ε */
static double gdp_f(double eps, void *p)
{
    const struct gdp_arg *g = p;
    return gdp_log_delta(g->mu, eps) - g->ldelta;
}

int acct_gdp_to_eps(double mu, double delta, double *eps, pa_err *err)
{
    gsl_set_error_handler_off();
    *eps = NAN;
    if (!(mu >= 0))
        return pa_errf(err, PA_EINPUT, "gdp: mu: expected a number >= 0, got %g", mu);
    if (!(delta >= 0 && delta < 1))
        return pa_errf(err, PA_EINPUT, "gdp: delta: expected a number in [0, 1), got %g", delta);
    if (mu == 0) {
        *eps = 0;                /* 0-GDP is perfectly private */
        return PA_OK;
    }
    if (delta == 0 || isinf(mu)) {
        *eps = INFINITY;         /* δ(ε) > 0 for every ε: no pure-ε guarantee */
        return PA_OK;
    }
    struct gdp_arg g = { mu, log(delta) };
    double f0 = gdp_f(0, &g);
    if (isnan(f0))
        return pa_errf(err, PA_EINTERNAL, "gdp: delta(0) is undefined for mu=%g", mu);
    if (f0 <= 0) {
        *eps = 0;
        return PA_OK;
    }
    /* bracket: ε grows like μ²/2 + μ·z, so start there and double */
    double lo = 0, hi = fmax(1, mu * mu / 2 + 2 * mu), fh;
    if (!(hi < 1e300)) {
        *eps = INFINITY;   /* ε >= μ²/2 - μ z: beyond any double */
        return PA_OK;
    }
    while ((fh = gdp_f(hi, &g)) > 0) {
        if (isnan(fh))
            return pa_errf(err, PA_EINTERNAL, "gdp: delta(eps=%g) is undefined for mu=%g", hi, mu);
        lo = hi;
        hi *= 2;
        if (hi > 1e300) {
            *eps = INFINITY;   /* ε beyond any double: +inf is its safe upper bound */
            return PA_OK;
        }
    }
    if (isnan(fh))
        return pa_errf(err, PA_EINTERNAL, "gdp: delta(eps=%g) is undefined for mu=%g", hi, mu);
    return num_root(gdp_f, &g, lo, hi, 1e-300, 4e-16, 300, -1, "gdp: eps for delta", eps, err);
}

double acct_gdp_eps(double mu, double delta)
{
    double e;
    return acct_gdp_to_eps(mu, delta, &e, NULL) == PA_OK ? e : NAN;
}

/* ------------------------------------------------- dispatch, calibration -- */

int acct_epsilon(enum acct_kind kind, double sigma, double q, double steps, double delta,
                 const double *orders, size_t n_orders, double *eps, pa_err *err)
{
    *eps = NAN;
    acct_phase p = { sigma, q, steps };
    if (!(delta > 0 && delta < 1))
        return pa_errf(err, PA_EINPUT, "delta: expected a number in (0, 1), got %g", delta);
    switch (kind) {
    case ACCT_RDP:
        return acct_rdp_epsilon(sigma, q, steps, delta, orders, n_orders, eps, NULL, err);
    case ACCT_PRV: {
        acct_prv_result r;
        int rc = acct_prv_epsilon(&p, 1, delta, 0, 0, &r, err);
        if (!rc)
            *eps = r.upper;
        return rc;
    }
    case ACCT_GDP: {
        int rc = check_phase(&p, 0, err);
        if (rc)
            return rc;
        double mu = acct_gdp_mu(&p, 1);
        if (!isfinite(mu) && sigma > 0 && q > 0 && steps > 0)
            return pa_errf(err, PA_EINPUT,
                           "gdp: mu = q sqrt(T (e^(1/sigma^2) - 1)) overflows a double at sigma = %g (q = %g, "
                           "steps = %g): the CLT accountant cannot state this epsilon; use --accountant rdp or prv",
                           sigma, q, steps);
        return acct_gdp_to_eps(mu, delta, eps, err);
    }
    }
    return pa_errf(err, PA_EINPUT, "accountant: expected rdp, prv or gdp");
}

struct cal_arg {
    enum acct_kind kind;
    double target, q, steps, delta;
    const double *orders;
    size_t n_orders;
    int n_cache, next_slot;     /* GSL's Brent re-evaluates the bracket ends: */
    double cache_x[8], cache_f[8];   /* PRV evaluations are worth remembering */
};

/* ε(σ = e^{ls}) - target; a σ too small for the accountant (e.g. a PRV domain
 * too large) counts as ε = ∞. */
static double cal_f(double ls, void *vp)
{
    struct cal_arg *c = vp;
    double e;
    for (int i = 0; i < c->n_cache; i++)
        if (c->cache_x[i] == ls)
            return c->cache_f[i];
    if (acct_epsilon(c->kind, exp(ls), c->q, c->steps, c->delta, c->orders, c->n_orders, &e,
                     NULL))
        e = INFINITY;
    double f = isinf(e) ? 1e300 : e - c->target;
    int slot = c->n_cache < 8 ? c->n_cache++ : (c->next_slot++ % 8);
    c->cache_x[slot] = ls;
    c->cache_f[slot] = f;
    return f;
}

int acct_calibrate_sigma(enum acct_kind kind, double target_eps, double q, double steps,
                         double delta, const double *orders, size_t n_orders, double *sigma,
                         pa_err *err)
{
    gsl_set_error_handler_off();
    *sigma = NAN;
    if (!(target_eps > 0 && isfinite(target_eps)))
        return pa_errf(err, PA_EINPUT, "target epsilon: expected a number > 0, got %g",
                       target_eps);
    if (!(q > 0 && q <= 1))
        return pa_errf(err, PA_EINPUT, "q: expected a rate in (0, 1], got %g", q);
    if (!(steps >= 1 && isfinite(steps)))
        return pa_errf(err, PA_EINPUT, "steps: expected a number >= 1, got %g", steps);
    if (!(delta > 0 && delta < 1))
        return pa_errf(err, PA_EINPUT, "delta: expected a number in (0, 1), got %g", delta);
    struct cal_arg c = { kind, target_eps, q, steps, delta, orders, n_orders, 0, 0, { 0 }, { 0 } };
    double lo, hi;
    if (kind == ACCT_PRV) {
        /* PRV ε is below RDP ε: start from the RDP σ and walk down, which
         * keeps PRV domains (that grow as σ shrinks) small. */
        double s_rdp;
        int rc = acct_calibrate_sigma(ACCT_RDP, target_eps, q, steps, delta, NULL, 0, &s_rdp,
                                      err);
        if (rc)
            return rc;
        hi = log(s_rdp);
        double fh;
        while ((fh = cal_f(hi, &c)) > 0)
            if ((hi += 0.1) > log(1e4))
                return pa_errf(err, PA_EINPUT,
                               "target epsilon %g: not reached even with sigma = 1e4", target_eps);
        /* ε is roughly proportional to 1/σ: guess the root, then step below it. */
        lo = hi + log((fh + target_eps) / target_eps) - 0.01;
        if (!(lo < hi))
            lo = hi - 0.01;
        while (cal_f(lo, &c) <= 0) {
            hi = lo;
            lo -= 0.05;
            if (lo < log(0.05))
                return pa_errf(err, PA_EINPUT, "target epsilon %g: reached with sigma < 0.05",
                               target_eps);
        }
    } else {
        lo = log(0.05);
        hi = log(1e4);
        if (cal_f(hi, &c) > 0)
            return pa_errf(err, PA_EINPUT, "target epsilon %g: not reached even with sigma = 1e4",
                           target_eps);
        if (cal_f(lo, &c) <= 0)
            return pa_errf(err, PA_EINPUT, "target epsilon %g: already met with sigma = 0.05",
                           target_eps);
    }
    gsl_function F = { cal_f, &c };
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s)
        return pa_errf(err, PA_ENOMEM, "calibration: out of memory");
    gsl_root_fsolver_set(s, &F, lo, hi);
    double xr = hi;
    int ok = 0;
    double tol = kind == ACCT_PRV ? 1e-4 : 1e-9;
    for (int it = 0; it < 200; it++) {
        gsl_root_fsolver_iterate(s);
        if (gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s), tol,
                                   0) == GSL_SUCCESS) {
            xr = gsl_root_fsolver_x_upper(s);   /* the side that meets the target */
            ok = 1;
            break;
        }
    }
    gsl_root_fsolver_free(s);
    if (!ok)
        return pa_errf(err, PA_EINTERNAL, "calibration: root finding did not converge");
    *sigma = exp(xr);
    return PA_OK;
}

/* ------------------------------------------------ the DP-SGD engine -- */

int acct_dpsgd_epsilon(const dpsgd_cfg *cfg, size_t steps, double delta, double *eps, pa_err *err)
{
    *eps = NAN;
    int rc = dpsgd_cfg_check(cfg, err);
    if (rc)
        return rc;
    if (!(delta > 0 && delta < 1))
        return pa_errf(err, PA_EINPUT, "acct_dpsgd_epsilon: delta = %g, expected in (0, 1)", delta);
    if (cfg->sigma == 0) {
        *eps = INFINITY;
        return PA_OK;
    }
    double best;
    rc = acct_rdp_epsilon(cfg->sigma, cfg->q, (double)steps, delta, NULL, 0, eps, &best, err);
    if (rc) {
        *eps = NAN;
        return pa_err_prefix(err, "acct_dpsgd_epsilon");
    }
    return PA_OK;
}
