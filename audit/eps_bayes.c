/* eps_bayes.c — Bayesian joint-beta posterior of ε (Zanella-Béguelin,
 * Wutschitz, Tople, Salem, Rühle, Paverd, Naseri, Köpf, Jones, "Bayesian
 * Estimation of Differential Privacy", ICML 2023).
 *
 * Symbols: x = FNR ~ Beta(ax, bx) = Beta(FN+½, TP+½), y = FPR ~ Beta(ay, by)
 * = Beta(FP+½, TN+½) (Jeffreys priors, independent posteriors); δ; ε.
 * The (ε,δ) region is lo(x) <= y <= hi(x),
 *   lo(x) = max(0, 1-δ-e^ε x, e^-ε (1-δ-x)),
 *   hi(x) = min(1, 1-e^-ε (x-δ), δ+e^ε (1-x)) = 1 - lo(1-x).
 * P(ε) = ∫ p_x(x) [F_y(hi(x)) - F_y(lo(x))] dx. The inner integral is the
 * Beta CDF; the outer one is GSL QAGS over x on pieces split at
 *   - the kinks of lo: (1-δ)/(1+e^ε) and 1-δ; of hi: δ and 1-(1-δ)/(1+e^ε);
 *   - posterior quantiles of x (so a sharp posterior cannot fall between
 *     quadrature nodes and be missed).
 */
#include "audit/eps.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_sf_gamma.h>

#define EPS_MAX 300.0       /* search range of the interval ends */
#define QUAD_LIMIT 200      /* QAGS subintervals per piece */
#define NQ 10               /* number of posterior quantiles used as breakpoints */

typedef struct post {
    double ax, bx, ay, by;  /* Beta parameters of x and y */
    double lnbx;            /* ln B(ax, bx) */
    double delta;
    double eps, ee, eme;    /* current ε, e^ε, e^-ε */
    double xq[NQ];          /* posterior quantiles of x */
    gsl_integration_workspace *ws;
} post;

/* Posterior quantile levels of x used as breakpoints. */
static const double QLEV[NQ] = { 1e-12, 1e-6, 1e-3, 0.02, 0.25, 0.75, 0.98, 1 - 1e-3,
                                 1 - 1e-6, 1 - 1e-12 };

static int post_init(post *p, const eps_counts *c, double delta, pa_err *err)
{
    gsl_set_error_handler_off();
    p->ws = NULL;
    if (!c)
        return pa_errf(err, PA_EINPUT, "counts: NULL");
    double v[4] = { c->tp, c->fn, c->fp, c->tn };
    for (int i = 0; i < 4; i++)
        if (!isfinite(v[i]) || v[i] < 0)
            return pa_errf(err, PA_EINPUT,
                           "counts: expected finite TP, FN, FP, TN >= 0 (got %g, %g, %g, %g)",
                           c->tp, c->fn, c->fp, c->tn);
    if (!(delta >= 0 && delta < 1))
        return pa_errf(err, PA_EINPUT, "delta: expected a number in [0, 1), got %g", delta);
    p->ax = c->fn + 0.5;
    p->bx = c->tp + 0.5;
    p->ay = c->fp + 0.5;
    p->by = c->tn + 0.5;
    p->lnbx = gsl_sf_lnbeta(p->ax, p->bx);
    p->delta = delta;
    for (int i = 0; i < NQ; i++) {
        double q = eps_beta_quantile(QLEV[i], p->ax, p->bx);
        p->xq[i] = isfinite(q) ? q : 0.5;   /* a failed quantile only costs a breakpoint */
    }
    p->ws = gsl_integration_workspace_alloc(QUAD_LIMIT);
    if (!p->ws)
        return pa_errf(err, PA_ENOMEM, "bayes: out of memory");
    return PA_OK;
}

static void post_free(post *p)
{
    gsl_integration_workspace_free(p->ws);
    p->ws = NULL;
}

/* p_x(x) * [F_y(hi(x)) - F_y(lo(x))] */
static double integrand(double x, void *vp)
{
    const post *p = vp;
    if (x <= 0 || x >= 1)
        return 0;
    double d = p->delta;
    double lo = fmax(0.0, fmax(1 - d - p->ee * x, p->eme * (1 - d - x)));
    double hi = fmin(1.0, fmin(1 - p->eme * (x - d), d + p->ee * (1 - x)));
    if (hi <= lo)
        return 0;
    double mass = 1.0, P, Q;
    if (hi < 1) {
        eps_beta_cdf(hi, p->ay, p->by, &P, &Q);
        mass -= Q;
    }
    if (lo > 0) {
        eps_beta_cdf(lo, p->ay, p->by, &P, &Q);
        mass -= P;
    }
    if (mass <= 0)
        return 0;
    double lpdf = (p->ax - 1) * log(x) + (p->bx - 1) * log1p(-x) - p->lnbx;
    return exp(lpdf) * mass;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* P(ε) for a prepared posterior. */
static double post_prob(post *p, double eps)
{
    if (isinf(eps) && eps > 0)
        return 1.0;
    p->eps = eps;
    p->ee = exp(eps);
    p->eme = exp(-eps);
    double d = p->delta, k1 = (1 - d) / (1 + p->ee);
    double pts[NQ + 6];
    size_t n = 0;
    pts[n++] = 0;
    pts[n++] = 1;
    double kinks[4] = { k1, 1 - d, d, 1 - k1 };
    for (int i = 0; i < 4; i++)
        if (kinks[i] > 0 && kinks[i] < 1)
            pts[n++] = kinks[i];
    for (int i = 0; i < NQ; i++)
        if (p->xq[i] > 0 && p->xq[i] < 1)
            pts[n++] = p->xq[i];
    qsort(pts, n, sizeof pts[0], cmp_double);
    gsl_function F = { integrand, p };
    double total = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        double a = pts[i], b = pts[i + 1];
        if (!(b > a))
            continue;
        double r = 0, e = 0;
        /* The tiny absolute tolerance matters only relative to the piece's
         * mass; P is needed to ~1e-9 for the interval ends to be exact to 1e-7. */
        gsl_integration_qags(&F, a, b, 1e-12, 1e-9, QUAD_LIMIT, p->ws, &r, &e);
        if (isfinite(r))
            total += r;
    }
    return fmin(1.0, fmax(0.0, total));
}

double eps_bayes_prob_le(const eps_counts *c, double delta, double eps)
{
    post p = { .ws = NULL };
    if (!(eps >= 0) || post_init(&p, c, delta, NULL)) {
        post_free(&p);
        return NAN;
    }
    double r = post_prob(&p, eps);
    post_free(&p);
    return r;
}

double eps_bayes_p_exceeds(const eps_counts *c, double delta, double eps_claimed)
{
    double r = eps_bayes_prob_le(c, delta, eps_claimed);
    return isnan(r) ? NAN : 1 - r;
}

struct root_arg { post *p; double target; };

static double root_f(double eps, void *vp)
{
    struct root_arg *a = vp;
    return post_prob(a->p, eps) - a->target;
}

/* The ε in [0, EPS_MAX] with P(ε) = target (P(0) < target assumed);
 * INFINITY if P(EPS_MAX) < target. */
static int solve(post *p, double target, double *out, pa_err *err)
{
    struct root_arg a = { p, target };
    double lo = 0, hi = 1;
    while (root_f(hi, &a) < 0) {
        lo = hi;
        hi *= 2;
        if (hi > EPS_MAX) {
            if (root_f(EPS_MAX, &a) < 0) {
                *out = INFINITY;
                return PA_OK;
            }
            hi = EPS_MAX;
            break;
        }
    }
    gsl_function F = { root_f, &a };
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s)
        return pa_errf(err, PA_ENOMEM, "bayes: out of memory");
    if (gsl_root_fsolver_set(s, &F, lo, hi) != GSL_SUCCESS) {
        gsl_root_fsolver_free(s);
        return pa_errf(err, PA_EINTERNAL, "bayes: root bracket [%g, %g] failed", lo, hi);
    }
    double root = NAN;
    int ok = 0;
    for (int it = 0; it < 100; it++) {
        gsl_root_fsolver_iterate(s);
        root = gsl_root_fsolver_root(s);
        if (gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s),
                                   1e-7, 1e-9) == GSL_SUCCESS) {
            ok = 1;
            break;
        }
    }
    gsl_root_fsolver_free(s);
    if (!ok)
        return pa_errf(err, PA_EINTERNAL, "bayes: root finding for P(eps) = %g did not converge",
                       target);
    *out = root;
    return PA_OK;
}

static int check_alpha(double alpha, pa_err *err)
{
    if (!(alpha > 0 && alpha < 0.5))
        return pa_errf(err, PA_EINPUT, "alpha: expected a one-sided level in (0, 0.5), got %g",
                       alpha);
    return PA_OK;
}

static int lower_end(post *p, double alpha, double *lo, pa_err *err)
{
    if (post_prob(p, 0) > alpha) {
        *lo = 0;
        return PA_OK;
    }
    return solve(p, alpha, lo, err);
}

static int upper_end(post *p, double alpha, double *hi, pa_err *err)
{
    if (post_prob(p, 0) >= 1 - alpha) {
        *hi = 0;
        return PA_OK;
    }
    return solve(p, 1 - alpha, hi, err);
}

int eps_bayes_lower(const eps_counts *c, double delta, double alpha, double *lo, pa_err *err)
{
    *lo = NAN;
    post p = { .ws = NULL };
    int rc = check_alpha(alpha, err);
    if (!rc)
        rc = post_init(&p, c, delta, err);
    if (!rc)
        rc = lower_end(&p, alpha, lo, err);
    post_free(&p);
    if (rc)
        *lo = NAN;
    return rc;
}

int eps_bayes_upper(const eps_counts *c, double delta, double alpha, double *hi, pa_err *err)
{
    *hi = NAN;
    post p = { .ws = NULL };
    int rc = check_alpha(alpha, err);
    if (!rc)
        rc = post_init(&p, c, delta, err);
    if (!rc)
        rc = upper_end(&p, alpha, hi, err);
    post_free(&p);
    if (rc)
        *hi = NAN;
    return rc;
}

int eps_bayes_interval(const eps_counts *c, double delta, double alpha, double *lo, double *hi,
                       pa_err *err)
{
    *lo = *hi = NAN;
    post p = { .ws = NULL };
    int rc = check_alpha(alpha, err);
    if (!rc)
        rc = post_init(&p, c, delta, err);
    if (!rc)
        rc = lower_end(&p, alpha, lo, err);
    if (!rc)
        rc = upper_end(&p, alpha, hi, err);
    post_free(&p);
    if (rc)
        *lo = *hi = NAN;
    return rc;
}

int eps_bayes_density(const eps_counts *c, double delta, const double *grid, size_t n,
                      double *dens, pa_err *err)
{
    if (!grid || !dens)
        return pa_errf(err, PA_EINPUT, "density: NULL grid or output");
    for (size_t i = 0; i < n; i++)
        dens[i] = NAN;
    post p = { .ws = NULL };
    int rc = post_init(&p, c, delta, err);
    if (rc) {
        post_free(&p);
        return rc;
    }
    const double h = 1e-4;
    for (size_t i = 0; i < n; i++) {
        double e = grid[i];
        if (!(e >= 0 && isfinite(e))) {
            post_free(&p);
            return pa_errf(err, PA_EINPUT, "density: grid[%zu] = %g, expected a finite eps >= 0",
                           i, e);
        }
        double a = e - h >= 0 ? e - h : e, b = e + h;
        dens[i] = (post_prob(&p, b) - post_prob(&p, a)) / (b - a);
    }
    post_free(&p);
    return PA_OK;
}
