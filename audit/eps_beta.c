/* eps_beta.c — the Beta(a, b) CDF and quantile for every a, b > 0, each
 * tail with full relative precision and in log space (eps.h).
 *
 * Symbols: x the point, y = 1 − x (both given, so that the tail near 1
 * keeps its precision), s = a + b, p = a/s (the mean), q = b/s, σ the
 * standard deviation, I_x(a,b) = P[X <= x] the regularised incomplete beta.
 *
 * Why not GSL alone: gsl_sf_beta_inc takes its prefactor x^a y^b / B(a,b)
 * from ln B(a,b) = lnΓ(a) + lnΓ(b) − lnΓ(s), which loses ~|lnΓ(s)|·1e-16
 * (1e-9 relative at s = 10⁶, 1e-6 at 10⁸; its own error estimate misses
 * it), its continued fraction stops after a fixed number of terms (NaN near
 * the mean beyond ~10⁶), tails below 1e-308 underflow, and
 * gsl_cdf_beta_Pinv can loop forever for parameters beyond ~10⁶. GSL is
 * used for s <= 5000 where its error estimate is below 1e-11 relative
 * (measured there: <= 3e-13); elsewhere:
 *
 *  1. the prefactor in log space, without cancellation: for a, b >= 10
 *     (Stirling for each lnΓ, with x = p(1+u), y = q(1+v), a u + b v = 0)
 *        ln(x^a y^b/B) = −(a·r(u) + b·r(v)) + ½ln(s p q) − ½ln 2π − Δ,
 *     r(t) = t − ln(1+t) (a series in t/(2+t) for small t), Δ = δ(a) +
 *     δ(b) − δ(s) with δ the Stirling series remainder; for one parameter
 *     below 10, lnΓ(b) − lnΓ(a+b) by Stirling in b alone;
 *  2. the continued fraction of DLMF 8.17.22 for the tail on its
 *     convergent side (x below (a+1)/(s+2): lower tail; else the upper tail
 *     as I_y(b, a)), by the modified Lentz method: for s <= 5000 when GSL
 *     declines, and for a, b >= 10 more than 10σ from the mean;
 *  3. for a, b >= 10 within 10σ of the mean, where the fraction needs
 *     O(√min(a,b)) terms and its 1 + d terms cancel: Gauss-Legendre
 *     quadrature of the density (itself from 1, exact to ~1e-15 relative)
 *     from x towards the nearer tail, on panels of doubling width, stopped
 *     once the log-concave tail beyond is below 1e-17 of the sum;
 *  4. for one parameter k below 10 and the other large: the positive-term
 *     series of DLMF 8.17.8 in k's variable below k's mean (and just above
 *     it while the other tail is >= ¼), the fraction for the tiny other
 *     tail far above it, quadrature in between.
 * Checked against mpmath (50 digits, the continued fraction with the exact
 * prefactor) in tests/test_eps.c: 1e-12 relative in the smaller tail for
 * a, b in [0.5, 1e8] (worst seen 4e-13).
 *
 * The quantile solves ln tail(x) = ln target by Newton steps on ln x
 * safeguarded by a bracket (bisection in ln x when a step leaves it), so
 * it needs no GSL inverse and stops in a bounded number of steps.
 */
#include "audit/eps.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_gamma.h>

#define LN_SQRT_2PI 0.91893853320467274178032973640562
#define CF_MAXIT 400          /* continued-fraction terms before quadrature is used */
#define CF_MAXIT_SMALL 20000  /* ... when quadrature does not apply (a or b < 10) */
#define GL_N 16               /* Gauss-Legendre points per panel */
#define GSL_MAX_AB 5000.0     /* a + b up to which GSL's incomplete beta is used */
#define QUAD_Z 10.0           /* |x − p|/σ below which quadrature replaces the fraction */

/* δ(z) = lnΓ(z) − (z − ½) ln z + z − ½ ln 2π for z >= 10: the Stirling
 * series B_2k / (2k(2k−1) z^(2k−1)), k = 1..8 (next term < 2e-18 at 10). */
static double stirl(double z)
{
    double r = 1 / z, r2 = r * r;
    return r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680
           + r2 * (1.0 / 1188 + r2 * (-691.0 / 360360 + r2 * (1.0 / 156
           + r2 * (-3617.0 / 122400))))))));
}

/* r(t) = t − ln(1 + t) >= 0 for t > −1. With w = t/(2+t), ln(1+t) =
 * 2 atanh w, so r = t w − 2 (w³/3 + w⁵/5 + ...): no cancellation. */
static double rlog1(double t)
{
    if (!(fabs(t) <= 0.5))
        return t - log1p(t);
    double w = t / (2 + t), w2 = w * w, term = w2 * w, sum = 0;
    for (int k = 3; k < 80; k += 2) {
        double c = term / k;
        sum += c;
        if (fabs(c) <= 1e-18 * fabs(sum))
            break;
        term *= w2;
    }
    return t * w - 2 * sum;
}

/* ln x and ln y, each from the smaller of x and y = 1 − x. */
static void logs(double x, double y, double *lx, double *ly)
{
    *lx = x < 0.5 ? log(x) : log1p(-y);
    *ly = y < 0.5 ? log(y) : log1p(-x);
}

/* x − p = (s x − a)/s with s x − a from one rounding (fma), taken from y
 * when x > ½ (−(s y − b)/s): the mean p = a/s itself is not a double, and
 * its rounding alone would move ln P by |d ln P/dx|·1e-16 (1e-10 relative
 * 30σ out at s = 10⁸). */
static double beta_dev(double a, double b, double x, double y)
{
    double s = a + b;
    return x <= 0.5 ? fma(x, s, -a) / s : -fma(y, s, -b) / s;
}

/* ln(x^a y^b / B(a, b)) for a, b >= 10 with x = p + d = p(1 + u), y = q − d
 * = q(1 + v); ln(1 + u) is taken as ln(x/p) once |u| > ½ (x far from p,
 * where 1 + u would lose x's relative precision). */
static double beta_lnpre_big(double a, double b, double d, double x, double y)
{
    double s = a + b, p = a / s, q = b / s;
    double u = d / p, v = -d / q;
    double ru = fabs(u) <= 0.5 ? rlog1(u) : u - log(x / p);
    double rv = fabs(v) <= 0.5 ? rlog1(v) : v - log(y / q);
    return -(a * ru + b * rv) + 0.5 * log(s * p * q) - LN_SQRT_2PI - (stirl(a) + stirl(b) - stirl(s));
}

/* ln(x^a y^b / B(a, b)), exact to ~1e-15 absolute near the mean. */
static double beta_lnpre(double a, double b, double x, double y)
{
    if (!(x > 0 && y > 0))
        return -INFINITY;
    if (a >= 10 && b >= 10)
        return beta_lnpre_big(a, b, beta_dev(a, b, x, y), x, y);
    double lx, ly;
    logs(x, y, &lx, &ly);
    if (a < 10 && b < 10)
        return a * lx + b * ly - gsl_sf_lnbeta(a, b);
    /* one parameter small (k), the other large (K): lnΓ(K) − lnΓ(k + K) =
     * k − k ln K − (k + K − ½) ln(1 + k/K) + δ(K) − δ(k + K) */
    if (a < b)
        return a * (log(b) + lx) + b * ly + (a + b - 0.5) * log1p(a / b) - a - gsl_sf_lngamma(a)
               + stirl(a + b) - stirl(b);
    return b * (log(a) + ly) + a * lx + (a + b - 0.5) * log1p(b / a) - b - gsl_sf_lngamma(b)
           + stirl(a + b) - stirl(a);
}

/* ln I_x(a, b) by the continued fraction of DLMF 8.17.22,
 *   I_x = x^a y^b / (a B(a, b)) / (1 + d1/(1 + d2/(1 + ...))),
 *   d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)), d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)),
 * valid for x < (a+1)/(a+b+2). Near that point d1 ≈ −1, so the leading
 * 1 + d1 = (a + 1 − s x)/(a + 1) is formed in one rounding (fma) and the
 * rest, K2 = 1 + d2/K3, by the modified Lentz method from d3 on:
 * 1 + d1/K2 = ((1 + d1) + d2/K3)/K2. NAN if it has not converged in maxit
 * terms. */
static double beta_cf_ln(double a, double b, double x, double y, int maxit)
{
    const double tiny = 1e-300;
    double s = a + b;
    double one_d1 = (x <= 0.5 ? fma(-s, x, a + 1) : fma(s, y, 1 - b)) / (a + 1);
    double d2 = (b - 1) * x / ((a + 1) * (a + 2));
    double f = 1, C = 1, D = 0;   /* K3 = 1 + d3/(1 + d4/(...)) */
    int ok = 0;
    for (int n = 3; n <= maxit; n++) {
        double m = (double)(n / 2), dn;
        if (n & 1)
            dn = -(a + m) * (s + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
        else
            dn = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        D = 1 + dn * D;
        if (fabs(D) < tiny)
            D = tiny;
        D = 1 / D;
        C = 1 + dn / C;
        if (fabs(C) < tiny)
            C = tiny;
        double del = C * D;
        f *= del;
        if (fabs(del - 1) <= 1e-16) {
            ok = 1;
            break;
        }
    }
    double K = (one_d1 + d2 / f) / (1 + d2 / f);
    if (!ok || !(K > 0))
        return NAN;
    return beta_lnpre(a, b, x, y) - log(a) - log(K);
}

/* ln I_x(a, b) by the series of DLMF 8.17.8, I_x = x^a y^b/(a B(a, b)) ·
 * Σ_n (a+b)_n/(a+1)_n x^n: positive terms, so no cancellation; used for a
 * small parameter a whose variable x is at most ½ and s·x at most ~200:
 * then at most a few hundred terms, none above e^200. NAN if it does not
 * settle in 1e5 terms. */
static double beta_series_ln(double a, double b, double x, double y)
{
    double s = a + b, t = 1, sum = 1;
    int ok = 0;
    for (int n = 0; n < 100000; n++) {
        double r = (s + n) / (a + 1 + n) * x;
        t *= r;
        sum += t;
        if (r < 1 && t <= 1e-17 * sum) {
            ok = 1;
            break;
        }
    }
    if (!ok)
        return NAN;
    return beta_lnpre(a, b, x, y) - log(a) + log(sum);
}

/* ln pdf of Beta(a, b) at x + dir·o (y − dir·o) up to a constant: for
 * a, b >= 10 the terms of beta_lnpre_big that depend on the point (its
 * deviation d0 + dir·o from the mean, exact to ~1e-15), else the whole
 * prefactor; minus ln t + ln(1 − t). */
static double beta_lnpdf_at(double a, double b, double x, double y, double d0, int dir, double o)
{
    double t = x + dir * o, yt = y - dir * o;
    if (!(t > 0 && yt > 0))
        return -INFINITY;
    double lp;
    if (a >= 10 && b >= 10) {
        double s = a + b, p = a / s, q = b / s, d = d0 + dir * o, u = d / p, v = -d / q;
        double ru = fabs(u) <= 0.5 ? rlog1(u) : u - log(t / p);
        double rv = fabs(v) <= 0.5 ? rlog1(v) : v - log(yt / q);
        lp = -(a * ru + b * rv);
    } else {
        lp = beta_lnpre(a, b, t, yt);
    }
    return lp - log(t) - log(yt);
}

/* ln of the tail of Beta(a, b) beyond x (dir = −1: [0, x]; +1: [x, 1]) by
 * Gauss-Legendre panels of the density relative to its value at x, the
 * first as wide as σ or the density's own scale 1/|d ln pdf/dt|, then
 * doubling. The density must decrease from x towards the tail. It stops
 * when the mass beyond the panels is below 1e-17 of the sum: that mass is
 * at most pdf(t)/g(t) with g = |d ln pdf/dt| where ln pdf is concave
 * (a, b >= 1), and with g = (b−1)/(1−t) (resp. (a−1)/t) where only the
 * large parameter's factor decreases (the small parameter < 1). */
static double beta_quad_ln(double a, double b, double x, double y, int dir,
                           const gsl_integration_glfixed_table *gl)
{
    double s = a + b, sd = sqrt(a * b / (s * s * (s + 1)));
    double d0 = a >= 10 && b >= 10 ? beta_dev(a, b, x, y) : 0;
    double lnpx = beta_lnpdf_at(a, b, x, y, d0, dir, 0);   /* up to a constant */
    double lnpx_true = (a >= 10 && b >= 10 ? beta_lnpre_big(a, b, d0, x, y) : beta_lnpre(a, b, x, y))
                       - log(x) - log(y);
    double slope = (a - 1) / x - (b - 1) / y;      /* d ln pdf / dt at x */
    double w = sd;
    if (fabs(slope) * sd > 1)
        w = 1 / fabs(slope);
    double room = dir < 0 ? x : y;                 /* distance to the end of the tail */
    double off = 0, sum = 0;
    for (int k = 0; k < 400 && off < room; k++) {
        double o1 = fmin(off + w, room), half = (o1 - off) / 2, mid = (o1 + off) / 2, part = 0;
        for (size_t i = 0; i < gl->n; i++) {
            double xi, wi;
            gsl_integration_glfixed_point(-1, 1, i, &xi, &wi, gl);
            part += wi * exp(beta_lnpdf_at(a, b, x, y, d0, dir, mid + half * xi) - lnpx);
        }
        sum += part * half;
        off = o1;
        if (off >= room)
            break;
        double t = x + dir * off, yt = y - dir * off;
        double rel = exp(beta_lnpdf_at(a, b, x, y, d0, dir, off) - lnpx);
        double g;
        if (a >= 1 && b >= 1)
            g = fabs((a - 1) / t - (b - 1) / yt);
        else
            g = dir > 0 ? (b - 1) / yt : (a - 1) / t;
        if (g > 0 && rel / g <= 1e-17 * sum)
            break;
        w *= 2;
    }
    return lnpx_true + log(sum);
}

/* ln P and ln Q = ln(1 − P) from the log of one of them (is_lower: lt = ln P). */
static void fill_tails(double lt, int is_lower, double *lnP, double *lnQ)
{
    double other = lt > -M_LN2 ? log(-expm1(lt)) : log1p(-exp(lt));
    *lnP = is_lower ? lt : other;
    *lnQ = is_lower ? other : lt;
}

/* ln P and ln Q at x, y = 1 − x, both given (0 < x, y < 1) so that either
 * end keeps its precision. */
static int beta_logcdf_xy(double x, double y, double a, double b, double *lnP, double *lnQ)
{
    /* GSL where its error estimate is small and nothing underflows */
    double m = a / (a + b);
    int lower = x < m;
    gsl_sf_result r;
    /* its error estimate misses the rounding of ln B(a, b): trusted below a + b = 5000
     * only, where it overstates (1e-11 relative estimated: <= 3e-13 measured) */
    int st = a + b > GSL_MAX_AB ? GSL_EFAILED
                                : lower ? gsl_sf_beta_inc_e(a, b, x, &r) : gsl_sf_beta_inc_e(b, a, y, &r);
    if (st == GSL_SUCCESS && r.val > 1e-300 && r.val <= 1 && r.err <= 1e-11 * r.val) {
        fill_tails(log(r.val), lower, lnP, lnQ);
        return PA_OK;
    }
    if (a + b <= GSL_MAX_AB) {
        /* GSL declined (an underflow, or its error estimate): below a + b =
         * 5000 the fraction's 1 + d terms lose at most ~5000·1e-16 */
        int cf_lower = x < (a + 1) / (a + b + 2);
        double lt = cf_lower ? beta_cf_ln(a, b, x, y, CF_MAXIT_SMALL) : beta_cf_ln(b, a, y, x, CF_MAXIT_SMALL);
        if (!isnan(lt) && lt <= 1e-15) {
            fill_tails(fmin(lt, 0), cf_lower, lnP, lnQ);
            return PA_OK;
        }
    }
    double sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
    double dev = a >= 10 && b >= 10 ? beta_dev(a, b, x, y) : x - m;
    double lt;
    int is_lower, dir;
    if (a >= 10 && b >= 10) {
        if (fabs(dev) > QUAD_Z * sd) {
            /* far tail: the continued fraction converges in few terms, and
             * no 1 + d is near 0 */
            is_lower = x < (a + 1) / (a + b + 2);
            lt = is_lower ? beta_cf_ln(a, b, x, y, CF_MAXIT) : beta_cf_ln(b, a, y, x, CF_MAXIT);
            if (!isnan(lt) && lt <= 0) {
                fill_tails(lt, is_lower, lnP, lnQ);
                return PA_OK;
            }
        }
        /* near the mean: quadrature towards the nearer tail, seen from the mode */
        dir = x < (a - 1) / (a + b - 2) ? -1 : 1;
    } else {
        /* a parameter k below 10, the other K large; v is k's variable (x
         * for k = a). Below k's mean: the series; far beyond it: the
         * fraction for the other, tiny, tail; in between: quadrature of
         * that tail (the density decreases there). */
        int small_a = a < b;
        double k = small_a ? a : b, v = small_a ? x : y, sv = (a + b) * v;
        if (sv <= k) {
            lt = small_a ? beta_series_ln(a, b, x, y) : beta_series_ln(b, a, y, x);
            is_lower = small_a;
        } else if (sv <= k + 40 * sqrt(k) + 40 && v <= 0.5
                   && (lt = small_a ? beta_series_ln(a, b, x, y) : beta_series_ln(b, a, y, x)) < log1p(-0.25)) {
            /* just beyond k's mean the other tail is still >= 1/4, so 1 minus
             * the series keeps ~1e-14 of it (the sum's rounding over its
             * few hundred terms, relative to 1/4) */
            is_lower = small_a;
        } else if (sv > k + 40 * sqrt(k) + 40) {
            lt = small_a ? beta_cf_ln(b, a, y, x, CF_MAXIT_SMALL) : beta_cf_ln(a, b, x, y, CF_MAXIT_SMALL);
            is_lower = !small_a;
        } else {
            lt = NAN;
            is_lower = -1;
        }
        if (is_lower >= 0) {
            if (isnan(lt) || lt > 1e-15)
                return PA_EINTERNAL;
            fill_tails(fmin(lt, 0), is_lower, lnP, lnQ);
            return PA_OK;
        }
        dir = small_a ? 1 : -1;
    }
    gsl_integration_glfixed_table *gl = gsl_integration_glfixed_table_alloc(GL_N);
    if (!gl)
        return PA_ENOMEM;
    lt = beta_quad_ln(a, b, x, y, dir, gl);
    gsl_integration_glfixed_table_free(gl);
    if (!(lt <= 1e-15))
        return PA_EINTERNAL;
    fill_tails(fmin(lt, 0), dir < 0, lnP, lnQ);
    return PA_OK;
}

int eps_beta_logcdf(double x, double a, double b, double *lnP, double *lnQ)
{
    gsl_set_error_handler_off();
    *lnP = *lnQ = NAN;
    if (!(a > 0 && b > 0 && isfinite(a) && isfinite(b)) || isnan(x))
        return PA_EINPUT;
    if (x <= 0) {
        *lnP = -INFINITY;
        *lnQ = 0;
        return PA_OK;
    }
    if (x >= 1) {
        *lnP = 0;
        *lnQ = -INFINITY;
        return PA_OK;
    }
    /* 1 − x is exact for x >= ½; below, x itself carries the precision */
    return beta_logcdf_xy(x, 1 - x, a, b, lnP, lnQ);
}

int eps_beta_logcdf2(double x, double y, double a, double b, double *lnP, double *lnQ)
{
    gsl_set_error_handler_off();
    *lnP = *lnQ = NAN;
    if (!(a > 0 && b > 0 && isfinite(a) && isfinite(b)) || isnan(x) || isnan(y))
        return PA_EINPUT;
    if (x <= 0 || y >= 1) {
        *lnP = -INFINITY;
        *lnQ = 0;
        return PA_OK;
    }
    if (x >= 1 || y <= 0) {
        *lnP = 0;
        *lnQ = -INFINITY;
        return PA_OK;
    }
    return beta_logcdf_xy(x, y, a, b, lnP, lnQ);
}

double eps_binom_lnpmf(double k, double r, double q, double q1)
{
    if (!(k >= 0 && k <= r && q >= 0 && q1 >= 0))
        return NAN;
    if (q == 0)
        return k == 0 ? 0 : -INFINITY;
    if (q1 == 0)
        return k == r ? 0 : -INFINITY;
    /* C(r, k) = 1/((r+1) B(k+1, r-k+1)), so ln pmf = ln(q^(k+1) q1^(r-k+1)/B) - ln q - ln q1 - ln(r+1) */
    return beta_lnpre(k + 1, r - k + 1, q, q1) - log(q) - log(q1) - log1p(r);
}

int eps_binom_logtail(double v, double r, double q, double q1, double *ln_ge, double *ln_lt)
{
    *ln_ge = *ln_lt = NAN;
    if (!(v >= 0 && v <= r + 1 && q >= 0 && q1 >= 0 && isfinite(r)))
        return PA_EINPUT;
    if (v <= 0) {
        *ln_ge = 0;
        *ln_lt = -INFINITY;
        return PA_OK;
    }
    if (v > r) {
        *ln_ge = -INFINITY;
        *ln_lt = 0;
        return PA_OK;
    }
    /* P[X >= v] = I_q(v, r - v + 1) */
    return eps_beta_logcdf2(q, q1, v, r - v + 1, ln_ge, ln_lt);
}

int eps_beta_cdf(double x, double a, double b, double *P, double *Q)
{
    /* the common case first, without the detour through logs */
    if (a > 0 && b > 0 && a + b <= GSL_MAX_AB && x > 0 && x < 1) {
        gsl_sf_result r;
        int lower = x < a / (a + b);
        gsl_set_error_handler_off();
        int st = lower ? gsl_sf_beta_inc_e(a, b, x, &r) : gsl_sf_beta_inc_e(b, a, 1 - x, &r);
        /* in linear space a tail below 1e-300 needs no relative precision */
        if ((st == GSL_SUCCESS || st == GSL_EUNDRFLW) && r.val >= 0 && r.val <= 1
            && r.err <= fmax(1e-11 * r.val, 1e-300)) {
            *P = lower ? r.val : 1 - r.val;
            *Q = lower ? 1 - r.val : r.val;
            return PA_OK;
        }
    }
    double lp, lq;
    int rc = eps_beta_logcdf(x, a, b, &lp, &lq);
    *P = rc ? NAN : exp(lp);
    *Q = rc ? NAN : exp(lq);
    return rc;
}

/* ln pdf of Beta(a, b) at x (y = 1 − x). */
static double beta_lnpdf(double a, double b, double x, double y)
{
    return beta_lnpre(a, b, x, y) - log(x) - log(y);
}

double eps_beta_lnpdf(double x, double a, double b)
{
    if (!(a > 0 && b > 0 && x > 0 && x < 1))
        return NAN;
    return beta_lnpdf(a, b, x, 1 - x);
}

int eps_beta_quantile_e(double p, double a, double b, double *x_out, pa_err *err)
{
    gsl_set_error_handler_off();
    *x_out = NAN;
    if (!(p > 0 && p < 1 && a > 0 && b > 0 && isfinite(a) && isfinite(b)))
        return pa_errf(err, PA_EINPUT, "beta quantile: expected 0 < p < 1 and a, b > 0 finite "
                       "(got p=%g, a=%g, b=%g)", p, a, b);
    /* The tail that holds p: the lower one (ln P) for p < ½, else the upper
     * (ln Q). Newton on w = ln x (lower) or w = ln y (upper), where g(w) =
     * ln tail − ln target increases with dg/dw = x·pdf/P (resp. y·pdf/Q):
     * near an end of (0, 1) the tail is a power of x (or y), so the steps
     * are almost exact there. A bracket [wlo, whi] keeps them safe. */
    int lower = p < 0.5;
    double target = lower ? log(p) : log1p(-p);
    double s = a + b, mean = a / s, sd = sqrt(a * b / (s * s * (s + 1)));
    double x0 = mean + gsl_cdf_ugaussian_Pinv(p) * sd;       /* normal approximation */
    if (!(x0 > 0 && x0 < 1))
        x0 = lower ? mean / 2 : 1 - (1 - mean) / 2;
    double w = lower ? log(x0) : log1p(-x0), wlo = -INFINITY, whi = 0;
    for (int it = 0; it < 400; it++) {
        double e = exp(w), x = lower ? e : -expm1(w), y = lower ? -expm1(w) : e;
        double lp, lq;
        if (!(x > 0 && y > 0)) {
            /* the quantile is closer to an end than a double resolves */
            if (e == 0) {
                *x_out = lower ? 0 : 1;
                return PA_OK;
            }
            wlo = w;   /* x or y rounded to 0: move up */
            w = isinf(whi) ? w / 2 : 0.5 * (w + whi);
            continue;
        }
        if (beta_logcdf_xy(x, y, a, b, &lp, &lq))
            return pa_errf(err, PA_EINTERNAL, "beta quantile: CDF of Beta(%g, %g) failed at %.17g", a,
                           b, x);
        double g = (lower ? lp : lq) - target;
        if (g < 0)
            wlo = w;
        else
            whi = w;
        /* done when g is exact to rounding, or the bracket is one ulp of x */
        double xl = lower ? exp(wlo) : -expm1(whi), xh = lower ? exp(whi) : -expm1(wlo);
        if (fabs(g) <= 1e-14 * fmax(1, fabs(target)) || xh - xl <= 2 * DBL_EPSILON * fmax(xl, xh)
            || whi - wlo <= 4 * DBL_EPSILON * fabs(w)) {
            *x_out = x;
            return PA_OK;
        }
        double dg = exp(beta_lnpdf(a, b, x, y) + w - (lower ? lp : lq));
        double wn = w - g / dg;
        /* a Newton step below the resolution of x: x is (within an ulp) the
         * nearest double to the root */
        if (isfinite(wn)) {
            double xn = lower ? exp(wn) : -expm1(wn);
            if (fabs(xn - x) <= 2 * DBL_EPSILON * x) {
                *x_out = xn;
                return PA_OK;
            }
        }
        if (!(wn > wlo && wn < whi) || !isfinite(wn)) {
            if (isinf(wlo))
                wn = whi < -1 ? 2 * whi : whi - 2;   /* walk towards the end, doubling */
            else
                wn = 0.5 * (wlo + whi);
        }
        w = wn;
    }
    return pa_errf(err, PA_EINTERNAL, "beta quantile: no convergence in 400 steps for p=%g of "
                   "Beta(%g, %g)", p, a, b);
}

double eps_beta_quantile(double p, double a, double b)
{
    double x;
    return eps_beta_quantile_e(p, a, b, &x, NULL) == PA_OK ? x : NAN;
}
