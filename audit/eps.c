/* eps.c — point estimate, Clopper-Pearson and Jeffreys intervals, μ-GDP
 * lower bound, one-run auditing, separation κ. Symbols as in eps.h:
 * x = FNR, y = FPR, δ, α (one-sided level), k thresholds, m/r/v one-run. */
#include "audit/eps.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "audit/acct.h"
#include "audit/num.h"

static int counts_ok(const eps_counts *c)
{
    if (!c)
        return 0;
    double v[4] = { c->tp, c->fn, c->fp, c->tn };
    for (int i = 0; i < 4; i++)
        if (!isfinite(v[i]) || v[i] < 0)
            return 0;
    return c->tp + c->fn > 0 && c->fp + c->tn > 0;
}

static int check_args(const eps_counts *c, double delta, double alpha, pa_err *err)
{
    gsl_set_error_handler_off();
    if (!counts_ok(c))
        return pa_errf(err, PA_EINPUT,
                       "counts: expected finite TP, FN, FP, TN >= 0 with TP+FN > 0 and FP+TN > 0");
    if (!(delta >= 0 && delta < 1))
        return pa_errf(err, PA_EINPUT, "delta: expected a number in [0, 1), got %g", delta);
    if (!(alpha > 0 && alpha < 1))
        return pa_errf(err, PA_EINPUT, "alpha: expected a number in (0, 1), got %g", alpha);
    return PA_OK;
}

double eps_from_rates(double fnr, double fpr, double delta)
{
    if (!(fnr >= 0 && fnr <= 1 && fpr >= 0 && fpr <= 1 && delta >= 0 && delta < 1))
        return NAN;
    double e = 0;
    double a = 1 - delta - fnr, b = 1 - delta - fpr;
    if (a > 0) {
        if (fpr <= 0)
            return INFINITY;
        e = fmax(e, log(a / fpr));
    }
    if (b > 0) {
        if (fnr <= 0)
            return INFINITY;
        e = fmax(e, log(b / fnr));
    }
    return e;
}

double eps_point(const eps_counts *c, double delta)
{
    if (!counts_ok(c))
        return NAN;
    return eps_from_rates(c->fn / (c->fn + c->tp), c->fp / (c->fp + c->tn), delta);
}

int eps_rate_cp(double k, double n, double alpha, double *lo, double *hi)
{
    gsl_set_error_handler_off();
    *lo = *hi = NAN;
    if (!(n > 0 && k >= 0 && k <= n && alpha > 0 && alpha < 1))
        return PA_EINPUT;
    *hi = k >= n ? 1.0 : eps_beta_quantile(1 - alpha, k + 1, n - k);
    *lo = k <= 0 ? 0.0 : eps_beta_quantile(alpha, k, n - k + 1);
    return isnan(*hi) || isnan(*lo) ? PA_EINTERNAL : PA_OK;
}

static void rate_jeffreys(double k, double n, double alpha, double *lo, double *hi)
{
    *hi = k >= n ? 1.0 : eps_beta_quantile(1 - alpha, k + 0.5, n - k + 0.5);
    *lo = k <= 0 ? 0.0 : eps_beta_quantile(alpha, k + 0.5, n - k + 0.5);
}

/* Plug the rate bounds into the point formula: the lower end uses the upper
 * rate bounds (the formula decreases in both rates), the upper end the lower. */
static int plug(const eps_counts *c, double delta, double alpha, int jeffreys, double *lo,
                double *hi)
{
    double a2 = alpha / 2;
    double xl, xh, yl, yh;
    double nx = c->fn + c->tp, ny = c->fp + c->tn;
    if (jeffreys) {
        rate_jeffreys(c->fn, nx, a2, &xl, &xh);
        rate_jeffreys(c->fp, ny, a2, &yl, &yh);
    } else {
        eps_rate_cp(c->fn, nx, a2, &xl, &xh);
        eps_rate_cp(c->fp, ny, a2, &yl, &yh);
    }
    if (!(isfinite(xl) && isfinite(xh) && isfinite(yl) && isfinite(yh)))
        return PA_EINTERNAL;
    *lo = eps_from_rates(xh, yh, delta);
    *hi = eps_from_rates(xl, yl, delta);
    return PA_OK;
}

int eps_clopper_pearson(const eps_counts *c, double delta, double alpha, double *lo, double *hi)
{
    *lo = *hi = NAN;
    int rc = check_args(c, delta, alpha, NULL);
    if (rc)
        return rc;
    return plug(c, delta, alpha, 0, lo, hi);
}

int eps_jeffreys(const eps_counts *c, double delta, double alpha, double *lo, double *hi)
{
    *lo = *hi = NAN;
    int rc = check_args(c, delta, alpha, NULL);
    if (rc)
        return rc;
    return plug(c, delta, alpha, 1, lo, hi);
}

int eps_cp_max_thresholds(const eps_counts *c, size_t k, double delta, double alpha,
                          double *lo, size_t *best, pa_err *err)
{
    *lo = NAN;
    if (k == 0 || !c)
        return pa_errf(err, PA_EINPUT, "thresholds: expected k >= 1 count sets");
    double top = -1;
    size_t arg = 0;
    for (size_t i = 0; i < k; i++) {
        int rc = check_args(&c[i], delta, alpha, err);
        if (rc)
            return pa_err_prefix(err, "threshold %zu", i);
        double l, h;
        if (plug(&c[i], delta, alpha / (double)k, 0, &l, &h))
            return pa_errf(err, PA_EINTERNAL, "threshold %zu: Beta quantile failed", i);
        if (l > top) {
            top = l;
            arg = i;
        }
    }
    *lo = top;
    if (best)
        *best = arg;
    return PA_OK;
}

int eps_gdp_mu_lower(const eps_counts *c, size_t k, double alpha, double *mu, size_t *best,
                     pa_err *err)
{
    *mu = NAN;
    if (k == 0 || !c)
        return pa_errf(err, PA_EINPUT, "thresholds: expected k >= 1 count sets");
    double top = 0;
    size_t arg = 0;
    for (size_t i = 0; i < k; i++) {
        int rc = check_args(&c[i], 0, alpha, err);
        if (rc)
            return pa_err_prefix(err, "threshold %zu", i);
        double a = alpha / (2.0 * (double)k), xl, xh, yl, yh;
        if (eps_rate_cp(c[i].fn, c[i].fn + c[i].tp, a, &xl, &xh)
            || eps_rate_cp(c[i].fp, c[i].fp + c[i].tn, a, &yl, &yh))
            return pa_errf(err, PA_EINTERNAL, "threshold %zu: Beta quantile failed", i);
        /* Φ⁻¹(1-y) - Φ⁻¹(x) = -Φ⁻¹(y) - Φ⁻¹(x): symmetric in the two rates,
         * so both test directions are covered. */
        double m = gsl_cdf_ugaussian_Qinv(yh) - gsl_cdf_ugaussian_Pinv(xh);
        if (isnan(m))
            m = 0;
        if (m > top) {
            top = m;
            arg = i;
        }
    }
    *mu = top;
    if (best)
        *best = arg;
    return PA_OK;
}

int eps_gdp_epsilon(double mu, double delta, double *eps, pa_err *err)
{
    *eps = NAN;
    if (!(mu >= 0 && isfinite(mu)))
        return pa_errf(err, PA_EINPUT, "mu: expected a finite number >= 0, got %g", mu);
    if (!(delta >= 0 && delta < 1))
        return pa_errf(err, PA_EINPUT, "delta: expected a number in [0, 1), got %g", delta);
    return acct_gdp_to_eps(mu, delta, eps, err);
}

/* ---- one-run auditing ---- */

struct onerun { double m, r, v, delta, lalpha; };

/* ln P[v−i <= X < v] for X ~ Bin(r, q): the sum of the i terms for small i,
 * else a difference of tails (in whichever tail it is small). */
static double onerun_ln_window(const struct onerun *o, double q, double q1, double i)
{
    double v = o->v;
    if (i <= 32) {
        double mx = -INFINITY, acc = 0;
        for (double k = v - i; k <= v - 1; k++) {
            double t = eps_binom_lnpmf(k, o->r, q, q1);
            if (t > mx) {
                acc = acc * exp(mx - t) + 1;
                mx = t;
            } else {
                acc += exp(t - mx);
            }
        }
        return mx + log(acc);
    }
    double ge_hi, lt_hi, ge_lo, lt_lo;   /* at v and at v − i */
    if (eps_binom_logtail(v, o->r, q, q1, &ge_hi, &lt_hi) || eps_binom_logtail(v - i, o->r, q, q1, &ge_lo, &lt_lo))
        return NAN;
    /* P[X < v] − P[X < v−i] = P[X >= v−i] − P[X >= v] */
    if (lt_hi < ge_lo)
        return lt_hi + log(-expm1(lt_lo - lt_hi));
    return ge_lo + log(-expm1(ge_hi - ge_lo));
}

/* ln of max_{i=1..v} P[v−i <= X < v]/i. A(i) = window(i)/i rises while the
 * next term pmf(v−i−1) is above it and falls from the first i where it is
 * below (log-concave pmf): that i is found by bisection. */
static double onerun_ln_alpha(const struct onerun *o, double q, double q1)
{
    double v = o->v;
    if (v < 1)
        return -INFINITY;
    /* D(i): pmf(v−i−1) < A(i), false then true; D(v) is true */
    double lo = 0, hi = v;   /* D(lo) false (lo = 0 stands for "none"), D(hi) true */
    while (hi - lo > 1) {
        double i = floor((lo + hi) / 2);
        double la = onerun_ln_window(o, q, q1, i) - log(i);
        double lt = eps_binom_lnpmf(v - i - 1, o->r, q, q1);
        if (isnan(la) || isnan(lt))
            return NAN;
        if (lt < la)
            hi = i;
        else
            lo = i;
    }
    double best = -INFINITY;
    for (double i = fmax(1, hi - 1); i <= fmin(v, hi + 1); i++) {
        double la = onerun_ln_window(o, q, q1, i) - log(i);
        if (isnan(la))
            return NAN;
        best = fmax(best, la);
    }
    return best;
}

/* ln p(ε) − ln α: increasing in ε */
static double onerun_f(double eps, void *p)
{
    const struct onerun *o = p;
    double q = 1 / (1 + exp(-eps)), q1 = 1 / (1 + exp(eps));
    double ge, lt;
    if (eps_binom_logtail(o->v, o->r, q, q1, &ge, &lt))
        return NAN;
    double lp = ge;
    if (o->delta > 0) {
        double la = onerun_ln_alpha(o, q, q1);
        if (isnan(la))
            return NAN;
        double t = log(2 * o->m * o->delta) + la, mx = fmax(lp, t);
        lp = mx + log1p(exp(fmin(lp, t) - mx));
    }
    return fmin(lp, 0) - o->lalpha;
}

int eps_one_run_delta(double m, double r, double v, double delta, double alpha, double *eps_lb,
                      pa_err *err)
{
    gsl_set_error_handler_off();
    *eps_lb = NAN;
    if (!(m >= 1 && m == floor(m) && m < 1e15))
        return pa_errf(err, PA_EINPUT, "m (canaries): expected an integer >= 1, got %g", m);
    if (!(r >= 0 && r <= m && r == floor(r)))
        return pa_errf(err, PA_EINPUT, "r (guesses): expected an integer in [0, m=%g], got %g",
                       m, r);
    if (!(v >= 0 && v <= r && v == floor(v)))
        return pa_errf(err, PA_EINPUT, "v (correct): expected an integer in [0, r=%g], got %g",
                       r, v);
    if (!(delta >= 0 && delta < 1))
        return pa_errf(err, PA_EINPUT, "delta: expected a number in [0, 1), got %g", delta);
    if (!(alpha > 0 && alpha < 1))
        return pa_errf(err, PA_EINPUT, "alpha: expected a number in (0, 1), got %g", alpha);
    struct onerun o = { m, r, v, delta, log(alpha) };
    double f0 = v == 0 ? 1 : onerun_f(0, &o);
    if (isnan(f0))
        return pa_errf(err, PA_EINTERNAL, "one-run: p-value undefined at eps = 0 (m=%g r=%g v=%g)", m, r, v);
    if (f0 > 0) {   /* ε = 0 not rejected */
        *eps_lb = 0;
        return PA_OK;
    }
    /* bracket: p(ε) reaches 1 as ε → ∞ (q → 1, P[X >= v] → 1) */
    double lo = 0, hi = 1, fh;
    while ((fh = onerun_f(hi, &o)) <= 0) {
        lo = hi;
        hi *= 2;
        if (hi > 1e6)
            return pa_errf(err, PA_EINTERNAL, "one-run: p-value still below alpha at eps = 1e6");
    }
    if (isnan(fh))
        return pa_errf(err, PA_EINTERNAL, "one-run: p-value undefined at eps = %g", hi);
    /* the largest ε still rejected: the end of the final bracket where f <= 0 */
    int rc = num_root(onerun_f, &o, lo, hi, 1e-10, 1e-12, 300, 1, "one-run", eps_lb, err);
    return rc;
}

int eps_one_run(double m, double r, double v, double alpha, double *eps_lb, pa_err *err)
{
    return eps_one_run_delta(m, r, v, 0, alpha, eps_lb, err);
}

/* ---- separation κ ---- */

double eps_kappa_gdp(double mu)
{
    if (!(mu >= 0))
        return NAN;
    return (2 * gsl_cdf_ugaussian_P(mu / 2) - 1) / M_SQRT2;
}

int eps_kappa_roc(const double *fpr, const double *tpr, size_t n, double *kappa, pa_err *err)
{
    *kappa = NAN;
    if (!fpr || !tpr || n == 0)
        return pa_errf(err, PA_EINPUT, "roc: expected n >= 1 points");
    double k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(fpr[i] >= 0 && fpr[i] <= 1 && tpr[i] >= 0 && tpr[i] <= 1))
            return pa_errf(err, PA_EINPUT,
                           "roc point %zu: expected fpr and tpr in [0,1], got (%g, %g)", i,
                           fpr[i], tpr[i]);
        k = fmax(k, (tpr[i] - fpr[i]) / M_SQRT2);
    }
    *kappa = k;
    return PA_OK;
}
