/* gdp_fit.c — binormal fit of μ to attack scores (gdp_fit.h).
 *
 * Placement values (DeLong et al. 1988) after one sort: for a member in a
 * group of tied scores, V10 = (non-members strictly below + ½ those tied)/n₀;
 * for a non-member, V01 = (members strictly above + ½ those tied)/n₁.
 * AUC = mean V10 = mean V01; Var = S10/n₁ + S01/n₀ with S the sample
 * variances of V10 and V01. */
#include "audit/gdp_fit.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "core/err.h"

typedef struct sl {
    double s;
    int l;
} sl;

static int cmp_sl(const void *a, const void *b)
{
    const sl *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    return x->l - y->l;
}

double gdp_mu_of_rho(double rho)
{
    return rho >= 0 ? sqrt(2 * rho) : NAN;
}

/* √2·Φ⁻¹(a) for a in [0, 1]; ±inf at the ends */
static double mu_of_auc(double a)
{
    if (a <= 0)
        return -INFINITY;
    if (a >= 1)
        return INFINITY;
    return M_SQRT2 * gsl_cdf_ugaussian_Pinv(a);
}

int gdp_fit_scores(const double *score, const int *label, size_t n, double alpha, gdp_fit *out, pa_err *err)
{
    out->auc = out->se_auc = out->mu = out->lo = out->hi = NAN;
    out->n1 = out->n0 = 0;
    if (!(alpha > 0 && alpha < 0.5))
        return pa_errf(err, PA_EINPUT, "gdp fit: alpha: expected a one-sided level in (0, 0.5), got %g", alpha);
    size_t n1 = 0, n0 = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(score[i]))
            return pa_errf(err, PA_EINPUT, "gdp fit: score %zu: expected a finite number, got %g", i, score[i]);
        if (label[i] != 0 && label[i] != 1)
            return pa_errf(err, PA_EINPUT, "gdp fit: label %zu: expected 0 or 1, got %d", i, label[i]);
        label[i] ? n1++ : n0++;
    }
    if (!n1 || !n0)
        return pa_errf(err, PA_EINPUT, "gdp fit: expected at least one member and one non-member (got %zu and %zu)",
                       n1, n0);
    sl *v = pa_malloc(n, sizeof *v);
    double *pl = pa_malloc(n, sizeof *pl); /* placement value of each sorted score */
    if (!v || !pl) {
        free(v);
        free(pl);
        return pa_errf(err, PA_ENOMEM, "gdp fit: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (sl){score[i], label[i]};
    qsort(v, n, sizeof *v, cmp_sl);
    /* members and non-members strictly below each tie group, in one pass */
    size_t below0 = 0, below1 = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, g1 = 0, g0 = 0;
        while (j < n && v[j].s == v[i].s) {
            v[j].l ? g1++ : g0++;
            j++;
        }
        double p10 = ((double)below0 + 0.5 * (double)g0) / (double)n0;
        double p01 = ((double)(n1 - below1 - g1) + 0.5 * (double)g1) / (double)n1;
        for (size_t k = i; k < j; k++)
            pl[k] = v[k].l ? p10 : p01;
        below0 += g0;
        below1 += g1;
        i = j;
    }
    double s1 = 0;
    for (size_t k = 0; k < n; k++)
        if (v[k].l)
            s1 += pl[k];
    double A = s1 / (double)n1;
    double ss1 = 0, ss0 = 0;
    for (size_t k = 0; k < n; k++) {
        double d = pl[k] - A;
        if (v[k].l)
            ss1 += d * d;
        else
            ss0 += d * d;
    }
    free(v);
    free(pl);
    double var = n1 >= 2 && n0 >= 2 ? ss1 / (double)(n1 - 1) / (double)n1 + ss0 / (double)(n0 - 1) / (double)n0 : 0;
    double z = gsl_cdf_ugaussian_Pinv(1 - alpha);
    if (!isfinite(z))
        return pa_errf(err, PA_EINTERNAL, "gdp fit: the normal quantile at %g failed", 1 - alpha);
    out->auc = A;
    out->se_auc = sqrt(var);
    out->n1 = n1;
    out->n0 = n0;
    out->mu = mu_of_auc(A);
    if (var > 0 && A > 0 && A < 1) {
        double p = gsl_cdf_ugaussian_Pinv(A), ph = gsl_ran_ugaussian_pdf(p);
        if (!isfinite(p) || !(ph > 0))
            return pa_errf(err, PA_EINTERNAL, "gdp fit: the normal quantile of AUC %.17g failed", A);
        double sp = out->se_auc / ph;
        out->lo = M_SQRT2 * (p - z * sp);
        out->hi = M_SQRT2 * (p + z * sp);
    } else {
        /* Bamber: Var(AUC) <= A(1 - A)/m; the Wilson-type interval of that bound */
        double m = (double)(n1 < n0 ? n1 : n0), z2 = z * z;
        double c = (A + z2 / (2 * m)) / (1 + z2 / m);
        double h = z / (1 + z2 / m) * sqrt(A * (1 - A) / m + z2 / (4 * m * m));
        double al = c - h, ah = c + h;
        out->lo = A <= 0 ? -INFINITY : mu_of_auc(al < 0 ? 0 : al);
        out->hi = A >= 1 ? INFINITY : mu_of_auc(ah > 1 ? 1 : ah);
    }
    if (isnan(out->mu) || isnan(out->lo) || isnan(out->hi))
        return pa_errf(err, PA_EINTERNAL, "gdp fit: μ or its interval is NaN (AUC %.17g, se %g)", A, out->se_auc);
    return PA_OK;
}
