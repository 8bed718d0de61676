/* profile.c — posterior probability outside a privacy profile's region
 * (profile.h). Symbols as eps_bayes.c: x = FNR ~ Beta(ax, bx), y = FPR ~
 * Beta(ay, by). The region is symmetric under x <-> y and under
 * (x, y) -> (1 − x, 1 − y) (each (ε, δ) region is), so, as there, the
 * integral runs over the narrower posterior with x below ½, in u = x^ax when
 * ax < 1. */
#include "audit/profile.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include "audit/acct.h"
#include "audit/num.h"

#define DELTA_END 1e-15
#define MAX_CAND 4096
#define QUAD_LIMIT 200
#define NQ 10

static const double QLEV[NQ] = {1e-12, 1e-6, 1e-3, 0.02, 0.25, 0.75, 0.98, 1 - 1e-3, 1 - 1e-6, 1 - 1e-12};

static int fill(eps_profile *p, double emax, int gdp, double par, pa_err *err)
{
    if (!(emax > 0 && isfinite(emax)))
        return pa_errf(err, PA_EINTERNAL, "profile: the ε of δ = %g could not be computed (%s = %g)", DELTA_END,
                       gdp ? "mu" : "rho", par);
    p->n = EPS_PROFILE_K;
    for (size_t j = 0; j < p->n; j++) {
        double e = emax * (double)j / (double)(p->n - 1);
        double d = gdp ? acct_gdp_delta(par, e) : acct_zcdp_delta(par, e);
        if (!(d >= 0))
            return pa_errf(err, PA_EINTERNAL, "profile: δ(%g) could not be computed (%s = %g)", e,
                           gdp ? "mu" : "rho", par);
        p->eps[j] = e;
        p->ee[j] = exp(e);
        p->eme[j] = exp(-e);
        p->delta[j] = d < 1 ? d : 1;
    }
    /* the envelope of the 2K lines and 0 (lo is convex and decreasing): from x = 0 on the highest line,
     * walk to the line of smaller slope that crosses it first */
    double c[2 * EPS_PROFILE_K + 1], sl[2 * EPS_PROFILE_K + 1];
    size_t m = 0;
    for (size_t j = 0; j < p->n; j++) {
        c[m] = 1 - p->delta[j];
        sl[m++] = p->ee[j];
        c[m] = p->eme[j] * (1 - p->delta[j]);
        sl[m++] = p->eme[j];
    }
    c[m] = 0;
    sl[m++] = 0;
    size_t k = 0;
    for (size_t j = 1; j < m; j++)
        if (c[j] > c[k] || (c[j] == c[k] && sl[j] < sl[k]))
            k = j;
    double x0 = 0;
    p->nh = 0;
    for (;;) {
        size_t nx = m;
        double bx = 1;
        for (size_t j = 0; j < m; j++)
            if (sl[j] < sl[k]) {
                double xi = (c[k] - c[j]) / (sl[k] - sl[j]);
                if (xi >= x0 && (xi < bx || (xi == bx && nx < m && sl[j] < sl[nx]))) {
                    bx = xi;
                    nx = j;
                }
            }
        p->hc[p->nh] = c[k];
        p->hs[p->nh] = sl[k];
        p->kx[p->nh++] = nx < m ? bx : 1;
        if (nx == m || p->nh == 2 * EPS_PROFILE_K + 1)
            break;
        k = nx;
        x0 = bx;
    }
    p->kx[p->nh - 1] = 1;
    return PA_OK;
}

int eps_profile_zcdp(double rho, eps_profile *p, pa_err *err)
{
    if (!(rho > 0 && isfinite(rho)))
        return pa_errf(err, PA_EINPUT, "profile: rho: expected a finite number > 0, got %g", rho);
    return fill(p, acct_zcdp_to_eps(rho, DELTA_END), 0, rho, err);
}

int eps_profile_gdp(double mu, eps_profile *p, pa_err *err)
{
    if (!(mu > 0 && isfinite(mu)))
        return pa_errf(err, PA_EINPUT, "profile: mu: expected a finite number > 0, got %g", mu);
    return fill(p, acct_gdp_eps(mu, DELTA_END), 1, mu, err);
}

double eps_profile_lo(const eps_profile *p, double x, double *slope)
{
    /* the hull line holding at x: the first whose right end is >= x */
    size_t a = 0, b = p->nh - 1;
    while (a < b) {
        size_t mid = (a + b) / 2;
        if (p->kx[mid] >= x)
            b = mid;
        else
            a = mid + 1;
    }
    double lo = p->hc[a] - p->hs[a] * x;
    if (lo <= 0) {
        if (slope)
            *slope = 0;
        return 0;
    }
    if (slope)
        *slope = -p->hs[a];
    return lo;
}

/* one-sided 95% Wilson upper bound of k successes in n */
static double wilson_hi(double k, double n)
{
    const double z = 1.6448536269514722, z2 = z * z;
    double ph = k / n, d = 1 + z2 / n;
    double u = (ph + z2 / (2 * n) + z * sqrt(ph * (1 - ph) / n + z2 / (4 * n * n))) / d;
    return u < 1 ? u : 1;
}

typedef struct sl2 {
    double s;
    int l;
} sl2;

static int cmp_desc(const void *a, const void *b)
{
    const sl2 *x = a, *y = b;
    return (x->s < y->s) - (x->s > y->s);
}

int eps_profile_choose_threshold(const double *score, const int *label, size_t n, const eps_profile *p,
                                 double *thr, pa_err *err)
{
    *thr = INFINITY;
    size_t n1 = 0, n0 = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(score[i]))
            return pa_errf(err, PA_EINPUT, "profile threshold: score %zu is NaN", i);
        label[i] ? n1++ : n0++;
    }
    if (!n1 || !n0)
        return PA_OK;
    sl2 *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return pa_errf(err, PA_ENOMEM, "profile threshold: out of memory");
    for (size_t i = 0; i < n; i++)
        v[i] = (sl2){score[i], label[i] != 0};
    qsort(v, n, sizeof *v, cmp_desc);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        distinct += i == 0 || v[i].s != v[i - 1].s;
    size_t step = distinct > MAX_CAND ? (distinct + MAX_CAND - 1) / MAX_CAND : 1;
    double best = -INFINITY, bestj = -INFINITY, thrj = INFINITY;
    size_t tp = 0, fp = 0, g = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].s == v[i].s) {
            v[j].l ? tp++ : fp++;
            j++;
        }
        /* threshold v[i].s: members predicted at score >= it */
        if (g % step == 0 || j == n) {
            double xu = wilson_hi((double)(n1 - tp), (double)n1), yu = wilson_hi((double)fp, (double)n0);
            double z = eps_profile_lo(p, xu, NULL) - yu, J = (double)tp / (double)n1 - (double)fp / (double)n0;
            if (z > best) {
                best = z;
                *thr = v[i].s;
            }
            if (J > bestj) {
                bestj = J;
                thrj = v[i].s;
            }
        }
        g++;
        i = j;
    }
    free(v);
    /* no threshold with a positive margin: the calibration split shows no violation, and the margin's
     * maximum is then in a corner (lo(x) approaches the chance line at both ends), where the posterior
     * of a rate near 0 is wide; count at the largest TPR − FPR instead */
    if (!(best > 0))
        *thr = thrj;
    return PA_OK;
}

int eps_profile_choose(const double *score, const int *label, size_t n, const eps_profile *p, double *thr,
                       eps_profile_edge *edge, pa_err *err)
{
    int rc = eps_profile_choose_threshold(score, label, n, p, thr, err);
    if (rc || !isfinite(*thr))
        return rc;
    double tp = 0, fn = 0, fp = 0, tn = 0;
    for (size_t i = 0; i < n; i++) {
        int pos = score[i] >= *thr;
        if (label[i])
            pos ? tp++ : fn++;
        else
            pos ? fp++ : tn++;
    }
    double xu = wilson_hi(fn, tp + fn), yu = wilson_hi(fp, fp + tn), best = -INFINITY;
    for (size_t j = 0; j < p->n; j++) {
        double m1 = 1 - p->delta[j] - p->ee[j] * xu - yu, m2 = p->eme[j] * (1 - p->delta[j] - xu) - yu;
        if (m1 > best) {
            best = m1;
            *edge = (eps_profile_edge){p->eps[j], p->delta[j], 1};
        }
        if (m2 > best) {
            best = m2;
            *edge = (eps_profile_edge){p->eps[j], p->delta[j], 2};
        }
    }
    return PA_OK;
}

int eps_profile_p_outside_edge(const eps_counts *c, const eps_profile_edge *edge, double *pout, pa_err *err)
{
    *pout = NAN;
    double v[4] = {c->tp, c->fn, c->fp, c->tn};
    for (int i = 0; i < 4; i++)
        if (!isfinite(v[i]) || v[i] < 0)
            return pa_errf(err, PA_EINPUT, "profile: counts: expected finite TP, FN, FP, TN >= 0 (got %g, %g, %g, %g)",
                           c->tp, c->fn, c->fp, c->tn);
    if (!(edge->side == 1 || edge->side == 2) || !(edge->eps >= 0) || !(edge->delta >= 0 && edge->delta <= 1))
        return pa_errf(err, PA_EINPUT, "profile: edge: expected side 1 or 2, eps >= 0, delta in [0, 1]");
    double m = eps_bayes_edge_mass(c, edge->delta, edge->eps, edge->side);
    if (!(m >= 0 && m <= 1))
        return pa_errf(err, PA_EINTERNAL,
                       "profile: the posterior mass of the edge at eps %g (delta %g, side %d) could not be computed",
                       edge->eps, edge->delta, edge->side);
    *pout = 1 - m;
    return PA_OK;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct post {
    const eps_profile *p;
    double ax, bx, ay, by;
    int rc;
    pa_err err;
} post;

/* ln p_x(x) in *lpdf and F_y(hi(x)) − F_y(lo(x)); NAN if a CDF fails */
static double inner_mass(post *q, double x, double *lpdf)
{
    *lpdf = -INFINITY;
    if (x <= 0 || x >= 1)
        return 0;
    double lo = eps_profile_lo(q->p, x, NULL), khi = eps_profile_lo(q->p, 1 - x, NULL); /* 1 − hi(x) */
    if (lo + khi >= 1)
        return 0;
    *lpdf = eps_beta_lnpdf(x, q->ax, q->bx);
    if (!(*lpdf >= -800))
        return 0;
    double mass = 1, lP, lQ;
    if (khi > 0) {
        if (eps_beta_logcdf2(1 - khi, khi, q->ay, q->by, &lP, &lQ))
            return NAN;
        mass -= exp(lQ);
    }
    if (lo > 0) {
        if (eps_beta_logcdf2(lo, 1 - lo, q->ay, q->by, &lP, &lQ))
            return NAN;
        mass -= exp(lP);
    }
    return mass > 0 ? mass : 0;
}

static double integrand(double x, void *vp)
{
    double lpdf, m = inner_mass(vp, x, &lpdf);
    return m > 0 ? exp(lpdf) * m : m;
}

static double integrand_u(double u, void *vp)
{
    post *q = vp;
    double ia = 1 / q->ax, x = pow(u, ia), lpdf;
    double m = inner_mass(q, x, &lpdf);
    return m > 0 ? exp(lpdf - log(q->ax) + (ia - 1) * log(u)) * m : m;
}

int eps_profile_p_outside(const eps_counts *c, const eps_profile *p, double *pout, pa_err *err)
{
    *pout = NAN;
    gsl_set_error_handler_off();
    double v[4] = {c->tp, c->fn, c->fp, c->tn};
    for (int i = 0; i < 4; i++)
        if (!isfinite(v[i]) || v[i] < 0)
            return pa_errf(err, PA_EINPUT, "profile: counts: expected finite TP, FN, FP, TN >= 0 (got %g, %g, %g, %g)",
                           c->tp, c->fn, c->fp, c->tn);
    post q = {.p = p, .ax = c->fn + 0.5, .bx = c->tp + 0.5, .ay = c->fp + 0.5, .by = c->tn + 0.5};
    double vx = q.ax * q.bx / ((q.ax + q.bx) * (q.ax + q.bx) * (q.ax + q.bx + 1));
    double vy = q.ay * q.by / ((q.ay + q.by) * (q.ay + q.by) * (q.ay + q.by + 1));
    if (vy < vx) {
        double t = q.ax;
        q.ax = q.ay;
        q.ay = t;
        t = q.bx;
        q.bx = q.by;
        q.by = t;
    }
    if (q.ax > q.bx) {
        double t = q.ax;
        q.ax = q.bx;
        q.bx = t;
        t = q.ay;
        q.ay = q.by;
        q.by = t;
    }
    /* pieces between the posterior quantiles of x: [q(1e-12), q(1 - 1e-12)] holds all but 2e-12 of
     * its mass */
    double br[NQ + 4 * EPS_PROFILE_K + 2];
    size_t nb = 0;
    for (int i = 0; i < NQ; i++) {
        double x;
        if (eps_beta_quantile_e(QLEV[i], q.ax, q.bx, &x, err))
            return err ? err->code : PA_EINTERNAL;
        br[nb++] = x;
    }
    /* and at the kinks of lo(x) and of hi(x) = 1 − lo(1 − x) inside them, where the integrand bends */
    double xa = br[0], xb = br[NQ - 1];
    for (size_t i = 0; i + 1 < p->nh; i++) {
        double k1 = p->kx[i], k2 = 1 - p->kx[i];
        if (k1 > xa && k1 < xb)
            br[nb++] = k1;
        if (k2 > xa && k2 < xb)
            br[nb++] = k2;
    }
    qsort(br, nb, sizeof *br, cmp_dbl);
    size_t w = 0;
    for (size_t i = 0; i < nb; i++)
        if (w == 0 || br[i] > br[w - 1])
            br[w++] = br[i];
    nb = w;
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(QUAD_LIMIT);
    if (!ws)
        return pa_errf(err, PA_ENOMEM, "profile: out of memory");
    double inside = 0;
    int rc = PA_OK;
    for (size_t i = 0; i + 1 < nb && !rc; i++) {
        double a = br[i], b = br[i + 1], r, e;
        if (q.ax < 1)
            rc = num_qags(integrand_u, &q, pow(a, q.ax), pow(b, q.ax), 1e-11, 1e-10, 1e-9, 1, QUAD_LIMIT, ws,
                          "profile: posterior mass", &r, &e, err);
        else
            rc = num_qags(integrand, &q, a, b, 1e-11, 1e-10, 1e-9, 1, QUAD_LIMIT, ws, "profile: posterior mass", &r,
                          &e, err);
        inside += r;
    }
    gsl_integration_workspace_free(ws);
    if (rc)
        return rc;
    double P = 1 - inside;
    if (!(P > -1e-8 && P < 1 + 1e-8))
        return pa_errf(err, PA_EINTERNAL, "profile: posterior mass inside the region is %.17g, outside [0, 1]",
                       inside);
    *pout = P < 0 ? 0 : P > 1 ? 1 : P;
    return PA_OK;
}
