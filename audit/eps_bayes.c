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
 * Beta CDF (eps_beta_logcdf2, each boundary with its distance to 1 formed
 * directly); the outer one is QAGS (num_qags: a failure is an error) over x
 * on pieces split at
 *   - the kinks of lo: (1-δ)/(1+e^ε) and 1-δ; of hi: δ and 1-(1-δ)/(1+e^ε);
 *   - posterior quantiles of x (so a sharp posterior cannot fall between
 *     quadrature nodes and be missed), pieces outside the 1e-12 ones skipped;
 *   - the x where the steep boundaries 1-δ-e^ε x and δ+e^ε(1-x) cross the
 *     posterior quantiles of y (the inner mass jumps there within σ_y/e^ε).
 * The region is symmetric under x <-> y and (x, y) -> (1-x, 1-y): the
 * integral runs over the narrower posterior, with x below ½, and in
 * u = x^ax when ax < 1 (the density's x^(ax-1) singularity removed).
 */
#include "audit/eps.h"
#include "audit/num.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#define EPS_MAX 300.0       /* search range of the interval ends */
#define QUAD_LIMIT 200      /* QAGS subintervals per piece */
#define NQ 10               /* number of posterior quantiles used as breakpoints */

typedef struct post {
    double ax, bx, ay, by;  /* Beta parameters of x and y */
    double delta;
    double eps, ee, eme;    /* current ε, e^ε, e^-ε */
    double xq[NQ];          /* posterior quantiles of x */
    double yq[NQ];          /* posterior quantiles of y */
    gsl_integration_workspace *ws;
    int rc;                 /* first failure inside post_prob (PA_OK if none) */
    pa_err err;             /* its message */
    int side;               /* 0: the region; 1-4: only lo's first/second edge, hi's first/second edge */
    int nc, next;           /* memo of the last P(ε): root finders and bracket */
    double cx[8], cp[8];    /* searches evaluate the same ε more than once */
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
    /* The region is symmetric under x <-> y (its four constraints map to
     * each other), so P(ε) is the same integrated either way: integrate over
     * the narrower posterior, whose quantile pieces then see the inner CDF
     * vary least (an order of magnitude fewer evaluations for very unequal
     * counts). */
    double vx = p->ax * p->bx / ((p->ax + p->bx) * (p->ax + p->bx) * (p->ax + p->bx + 1));
    double vy = p->ay * p->by / ((p->ay + p->by) * (p->ay + p->by) * (p->ay + p->by + 1));
    if (vy < vx) {
        double t = p->ax;
        p->ax = p->ay;
        p->ay = t;
        t = p->bx;
        p->bx = p->by;
        p->by = t;
    }
    /* It is also symmetric under (x, y) -> (1 - x, 1 - y) (hi(x) = 1 -
     * lo(1 - x)), so P(ε) is unchanged by swapping FN <-> TP and FP <-> TN.
     * Do so when x sits near 1, where doubles cannot resolve it. */
    if (p->ax > p->bx) {
        double t = p->ax;
        p->ax = p->bx;
        p->bx = t;
        t = p->ay;
        p->ay = p->by;
        p->by = t;
    }
    p->delta = delta;
    p->rc = PA_OK;
    p->nc = p->next = 0;
    for (int i = 0; i < NQ; i++) {
        double q = eps_beta_quantile(QLEV[i], p->ax, p->bx);
        p->xq[i] = isfinite(q) ? q : 0.5;   /* a failed quantile only costs a breakpoint */
        q = eps_beta_quantile(QLEV[i], p->ay, p->by);
        p->yq[i] = isfinite(q) ? q : 0.5;
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
/* F_y(hi(x)) - F_y(lo(x)), and ln p_x(x) in *lpdf; 0 without the CDFs when
 * the density underflows; NAN if a CDF fails */
static double inner_mass(const post *p, double x, double *lpdf)
{
    *lpdf = -INFINITY;
    if (x <= 0 || x >= 1)
        return 0;
    double d = p->delta, ee = p->ee, eme = p->eme;
    /* lo and hi with their complements 1 - lo, 1 - hi formed directly, so a
     * boundary near 1 keeps the precision of its distance to 1 */
    double c1 = 1 - d - ee * x, k1 = d + ee * x;
    double c2 = eme * (1 - d - x), k2 = -expm1(-p->eps) + eme * (d + x);
    double h1 = 1 - eme * (x - d), m1 = eme * (x - d);
    double h2 = d + ee * (1 - x), m2 = 1 - d - ee * (1 - x);
    /* one edge alone (side 1-4): the others moved out of the way */
    if (p->side) {
        if (p->side != 1)
            c1 = -1;
        if (p->side != 2)
            c2 = -1;
        if (p->side != 3)
            h1 = 2;
        if (p->side != 4)
            h2 = 2;
    }
    double lo = 0, klo = 1;
    if (c1 > 0 || c2 > 0) {
        lo = c1 >= c2 ? c1 : c2;
        klo = c1 >= c2 ? k1 : k2;
    }
    double hi = 1, khi = 0;
    if (h1 < 1 || h2 < 1) {
        hi = h1 <= h2 ? h1 : h2;
        khi = h1 <= h2 ? m1 : m2;
    }
    if (hi <= lo)
        return 0;
    /* ln pdf of x, without the lnΓ cancellation of (a−1)ln x + (b−1)ln(1−x) − ln B */
    *lpdf = eps_beta_lnpdf(x, p->ax, p->bx);
    if (!(*lpdf >= -800))
        return 0;   /* the density underflows: no need for the CDFs */
    double mass = 1.0, lP, lQ;
    if (hi < 1) {
        if (eps_beta_logcdf2(hi, khi, p->ay, p->by, &lP, &lQ))
            return NAN;
        mass -= exp(lQ);
    }
    if (lo > 0) {
        if (eps_beta_logcdf2(lo, klo, p->ay, p->by, &lP, &lQ))
            return NAN;
        mass -= exp(lP);
    }
    return mass > 0 ? mass : 0;
}

/* p_x(x) * [F_y(hi(x)) - F_y(lo(x))] */
static double integrand(double x, void *vp)
{
    double lpdf, m = inner_mass(vp, x, &lpdf);
    return m > 0 ? exp(lpdf) * m : m;
}

/* The same in u = x^ax (for ax < 1, where p_x ~ x^(ax-1) is singular at 0):
 * p_x(x) dx/du = p_x(x) x^(1-ax)/ax is smooth in u. */
static double integrand_u(double u, void *vp)
{
    const post *p = vp;
    double ia = 1 / p->ax, x = pow(u, ia), lpdf;
    double m = inner_mass(p, x, &lpdf);
    return m > 0 ? exp(lpdf - log(p->ax) + (ia - 1) * log(u)) * m : m;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double post_prob_raw(post *p, double eps);

/* P(ε) for a prepared posterior; NAN (and p->rc, p->err set) if a
 * quadrature fails. */
static double post_prob(post *p, double eps)
{
    if (isinf(eps) && eps > 0)
        return 1.0;
    if (p->rc)
        return NAN;
    for (int i = 0; i < p->nc; i++)
        if (p->cx[i] == eps)
            return p->cp[i];
    double P = post_prob_raw(p, eps);
    if (!isnan(P)) {
        int slot = p->nc < 8 ? p->nc++ : (p->next++ & 7);
        p->cx[slot] = eps;
        p->cp[slot] = P;
    }
    return P;
}

static double post_prob_raw(post *p, double eps)
{
    p->eps = eps;
    p->ee = exp(eps);
    p->eme = exp(-eps);
    double d = p->delta, k1 = (1 - d) / (1 + p->ee);
    double pts[3 * NQ + 6];
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
    /* The steep boundaries y = 1 - δ - e^ε x and y = δ + e^ε (1 - x) sweep
     * across the y posterior while x moves by only σ_y/e^ε: the inner mass
     * jumps there, too sharply for quadrature to find on its own. Break at
     * the x where they cross y's posterior quantiles. */
    for (int i = 0; i < NQ; i++) {
        double b1 = (1 - d - p->yq[i]) * p->eme, b2 = 1 - (p->yq[i] - d) * p->eme;
        if (b1 > p->xq[0] && b1 < p->xq[NQ - 1])
            pts[n++] = b1;
        if (b2 > p->xq[0] && b2 < p->xq[NQ - 1])
            pts[n++] = b2;
    }
    qsort(pts, n, sizeof pts[0], cmp_double);
    double total = 0;
    int in_u = p->ax < 1;   /* integrate in u = x^ax: see integrand_u */
    for (size_t i = 0; i + 1 < n; i++) {
        double a = pts[i], b = pts[i + 1];
        if (!(b > a))
            continue;
        /* a piece below the 1e-12 or above the 1 − 1e-12 posterior quantile
         * of x holds at most 1e-12 of P: far below the 1e-9 needed */
        if (b <= p->xq[0] || a >= p->xq[NQ - 1])
            continue;
        if (in_u) {
            a = pow(a, p->ax);
            b = pow(b, p->ax);
        }
        double r = 0;
        /* The tiny absolute tolerance matters only relative to the piece's
         * mass; P is needed to ~1e-9 for the interval ends to be exact to
         * 1e-7, so a GSL complaint with an error estimate below 1e-10 is
         * not a failure. */
        int rc = num_qags(in_u ? integrand_u : integrand, p, a, b, 1e-12, 1e-9, 1e-10, 1, QUAD_LIMIT, p->ws,
                          "bayes: P(eps)", &r, NULL, &p->err);
        if (rc) {
            p->rc = rc;
            pa_err_prefix(&p->err, "at eps=%g", eps);
            return NAN;
        }
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

double eps_bayes_min_edge(const eps_counts *c, double delta, double eps)
{
    post p = { .ws = NULL };
    if (!(eps >= 0) || post_init(&p, c, delta, NULL)) {
        post_free(&p);
        return NAN;
    }
    double m = 1;
    for (int side = 1; side <= 4 && !isnan(m); side++) {
        p.side = side;
        double r = post_prob_raw(&p, eps);
        m = isnan(r) ? NAN : fmin(m, r);
    }
    post_free(&p);
    return m;
}

double eps_bayes_edge_mass(const eps_counts *c, double delta, double eps, int side)
{
    post p = { .ws = NULL };
    if (!(eps >= 0) || side < 1 || side > 4 || post_init(&p, c, delta, NULL)) {
        post_free(&p);
        return NAN;
    }
    p.side = side;
    double r = post_prob_raw(&p, eps);
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
 * INFINITY if P(EPS_MAX) < target. `guess` (a nearby ε, e.g. the
 * Clopper-Pearson end; NAN or <= 0 for none) starts the bracket, which is
 * then grown or shrunk by factors of 4 before Brent (num_root) closes it to
 * 1e-7 absolute + 1e-9 relative. */
static int solve(post *p, double target, double guess, double *out, pa_err *err)
{
    struct root_arg a = { p, target };
    double lo = 0, hi = guess > 0 && guess < EPS_MAX ? guess : 1, f;
    if (isnan(f = root_f(hi, &a)))
        goto failed;
    if (f < 0) {
        while (f < 0) {
            lo = hi;
            hi *= 4;
            if (hi > EPS_MAX) {
                if (isnan(f = root_f(EPS_MAX, &a)))
                    goto failed;
                if (f < 0) {
                    *out = INFINITY;
                    return PA_OK;
                }
                hi = EPS_MAX;
                break;
            }
            if (isnan(f = root_f(hi, &a)))
                goto failed;
        }
    } else {
        for (int k = 0; k < 4 && hi > 1e-9; k++) {
            double m = hi / 4;
            if (isnan(f = root_f(m, &a)))
                goto failed;
            if (f < 0) {
                lo = m;
                break;
            }
            hi = m;
        }
    }
    if (num_root(root_f, &a, lo, hi, 1e-7, 1e-9, 200, -1, "bayes: interval end", out, err) == PA_OK)
        return PA_OK;
    if (!p->rc)
        return pa_err_prefix(err, "P(eps) = %g", target);
failed:
    *out = NAN;
    if (err)
        *err = p->err;
    return p->rc ? p->rc : PA_EINTERNAL;
}

static int check_alpha(double alpha, pa_err *err)
{
    if (!(alpha > 0 && alpha < 0.5))
        return pa_errf(err, PA_EINPUT, "alpha: expected a one-sided level in (0, 0.5), got %g",
                       alpha);
    return PA_OK;
}

/* P(0), or an error copied from the posterior */
static int prob0(post *p, double *P0, pa_err *err)
{
    *P0 = post_prob(p, 0);
    if (isnan(*P0)) {
        if (err)
            *err = p->err;
        return p->rc ? p->rc : PA_EINTERNAL;
    }
    return PA_OK;
}

/* The Clopper-Pearson interval at the same level guides the brackets. */
static void cp_guess(const eps_counts *c, double delta, double alpha, double *glo, double *ghi)
{
    if (eps_clopper_pearson(c, delta, alpha, glo, ghi)) {
        *glo = *ghi = NAN;
        return;
    }
    if (!isfinite(*ghi))
        *ghi = NAN;
}

static int lower_end(post *p, const eps_counts *c, double alpha, double *lo, pa_err *err)
{
    double P0, glo, ghi;
    int rc = prob0(p, &P0, err);
    if (rc)
        return rc;
    if (P0 > alpha) {
        *lo = 0;
        return PA_OK;
    }
    cp_guess(c, p->delta, alpha, &glo, &ghi);
    return solve(p, alpha, glo > 0 ? glo : ghi, lo, err);
}

static int upper_end(post *p, const eps_counts *c, double alpha, double *hi, pa_err *err)
{
    double P0, glo, ghi;
    int rc = prob0(p, &P0, err);
    if (rc)
        return rc;
    if (P0 >= 1 - alpha) {
        *hi = 0;
        return PA_OK;
    }
    cp_guess(c, p->delta, alpha, &glo, &ghi);
    return solve(p, 1 - alpha, ghi, hi, err);
}

int eps_bayes_lower(const eps_counts *c, double delta, double alpha, double *lo, pa_err *err)
{
    *lo = NAN;
    post p = { .ws = NULL };
    int rc = check_alpha(alpha, err);
    if (!rc)
        rc = post_init(&p, c, delta, err);
    if (!rc)
        rc = lower_end(&p, c, alpha, lo, err);
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
        rc = upper_end(&p, c, alpha, hi, err);
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
        rc = lower_end(&p, c, alpha, lo, err);
    if (!rc)
        rc = upper_end(&p, c, alpha, hi, err);
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
        double Pb = post_prob(&p, b), Pa = post_prob(&p, a);
        if (isnan(Pa) || isnan(Pb)) {
            if (err)
                *err = p.err;
            rc = p.rc ? p.rc : PA_EINTERNAL;
            post_free(&p);
            for (size_t k = 0; k < n; k++)
                dens[k] = NAN;
            return rc;
        }
        dens[i] = (Pb - Pa) / (b - a);
    }
    post_free(&p);
    return PA_OK;
}
