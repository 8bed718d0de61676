/* roc.c — ROC, AUC, TPR@FPR, threshold choice on a calibration split. */
#include "audit/roc.h"

#include <math.h>
#include <stdlib.h>

typedef struct pair {
    double s;
    int y;
} pair;

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const pair *)a)->s, y = ((const pair *)b)->s;
    return (x < y) - (x > y);
}

void roc_free(roc_curve *c)
{
    if (!c)
        return;
    free(c->thr);
    free(c->fpr);
    free(c->tpr);
    free(c);
}

static int sorted_pairs(const double *score, const int *label, size_t n, pair **out, size_t *pos, size_t *neg,
                        pa_err *err)
{
    *out = NULL;
    pair *p = pa_malloc(n, sizeof *p);
    if (!p)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    *pos = *neg = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(score[i])) {
            free(p);
            return pa_errf(err, PA_EINPUT, "score %zu is NaN", i);
        }
        p[i].s = score[i];
        p[i].y = label[i] != 0;
        *pos += p[i].y;
    }
    *neg = n - *pos;
    qsort(p, n, sizeof *p, by_score_desc);
    *out = p;
    return PA_OK;
}

int roc_build(const double *score, const int *label, size_t n, roc_curve **out, pa_err *err)
{
    *out = NULL;
    pair *p;
    size_t pos, neg;
    int rc = sorted_pairs(score, label, n, &p, &pos, &neg, err);
    if (rc)
        return rc;
    if (pos == 0 || neg == 0) {
        free(p);
        return pa_errf(err, PA_EINPUT, "a ROC needs members and non-members (got %zu and %zu)", pos, neg);
    }
    roc_curve *c = calloc(1, sizeof *c);
    if (!c || !(c->thr = pa_malloc(n + 1, sizeof(double))) || !(c->fpr = pa_malloc(n + 1, sizeof(double))) ||
        !(c->tpr = pa_malloc(n + 1, sizeof(double)))) {
        free(p);
        roc_free(c);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    c->pos = pos;
    c->neg = neg;
    c->thr[0] = INFINITY;
    c->fpr[0] = c->tpr[0] = 0;
    size_t np = 1, tp = 0, fp = 0;
    for (size_t i = 0; i < n;) {
        double s = p[i].s;
        while (i < n && p[i].s == s) {
            tp += p[i].y;
            fp += !p[i].y;
            i++;
        }
        c->thr[np] = s;
        c->tpr[np] = (double)tp / (double)pos;
        c->fpr[np] = (double)fp / (double)neg;
        np++;
    }
    c->np = np;
    free(p);
    *out = c;
    return PA_OK;
}

double roc_auc(const roc_curve *c)
{
    double a = 0;
    for (size_t k = 1; k < c->np; k++)
        a += (c->fpr[k] - c->fpr[k - 1]) * 0.5 * (c->tpr[k] + c->tpr[k - 1]);
    return a;
}

double roc_tpr_at(const roc_curve *c, double fpr)
{
    double best = 0;
    for (size_t k = 0; k < c->np; k++)
        if (c->fpr[k] <= fpr + 1e-12 && c->tpr[k] > best)
            best = c->tpr[k];
    return best;
}

void roc_counts(const double *score, const int *label, size_t n, double thr, eps_counts *out)
{
    out->tp = out->fn = out->fp = out->tn = 0;
    for (size_t i = 0; i < n; i++) {
        int pred = score[i] >= thr;
        if (label[i])
            pred ? (out->tp += 1) : (out->fn += 1);
        else
            pred ? (out->fp += 1) : (out->tn += 1);
    }
}

/* Clopper-Pearson upper rate bound U(k, n) = BetaInv(1-a; k+1, n-k) (1 if
 * k = n), computed once per k: *cache has n+1 entries, NAN = not yet. */
static int rate_upper(double *cache, size_t k, size_t n, double a, double *u, pa_err *err)
{
    if (isnan(cache[k])) {
        if (k >= n) {
            cache[k] = 1;
        } else {
            double x;
            int rc = eps_beta_quantile_e(1 - a, (double)k + 1, (double)(n - k), &x, err);
            if (rc)
                return pa_err_prefix(err, "Clopper-Pearson bound of %zu in %zu", k, n);
            cache[k] = x;
        }
    }
    *u = cache[k];
    return PA_OK;
}

int roc_choose_threshold_cb(const double *score, const int *label, size_t n, double delta, double alpha,
                            roc_progress_fn progress, void *ctx, double *thr, pa_err *err)
{
    *thr = INFINITY;
    if (!(delta >= 0 && delta < 1))
        return pa_errf(err, PA_EINPUT, "delta: expected a number in [0, 1), got %g", delta);
    if (!(alpha > 0 && alpha < 1))
        return pa_errf(err, PA_EINPUT, "alpha: expected a number in (0, 1), got %g", alpha);
    pair *p;
    size_t pos, neg;
    int rc = sorted_pairs(score, label, n, &p, &pos, &neg, err);
    if (rc)
        return rc;
    if (pos == 0 || neg == 0) {   /* no bound anywhere: no threshold is better than +inf */
        free(p);
        return PA_OK;
    }
    double *ux = pa_malloc(pos + 1, sizeof *ux), *uy = pa_malloc(neg + 1, sizeof *uy);
    if (!ux || !uy) {
        free(p);
        free(ux);
        free(uy);
        return pa_errf(err, PA_ENOMEM, "out of memory for %zu rate bounds", pos + neg + 2);
    }
    for (size_t k = 0; k <= pos; k++)
        ux[k] = NAN;
    for (size_t k = 0; k <= neg; k++)
        uy[k] = NAN;
    /* The lower bound at a threshold is the point formula at the rates'
     * upper bounds U >= the observed rates, and the formula decreases in
     * both rates: the bound never exceeds the point estimate. A threshold
     * whose point estimate is at most best - 1e-12 can therefore neither
     * beat nor tie the best so far (the rule below needs lo > best - 1e-12),
     * and is skipped without computing its bound: the result is the one of
     * the full scan. */
    const double a2 = alpha / 2;   /* each rate's level: union bound (eps_clopper_pearson) */
    double best = -1, best_j = -2, best_thr = INFINITY;
    size_t tp = 0, fp = 0, step = n / 20 ? n / 20 : 1, next = step;
    for (size_t i = 0; i < n && !rc;) {
        double s = p[i].s;
        while (i < n && p[i].s == s) {
            tp += p[i].y;
            fp += !p[i].y;
            i++;
        }
        if (progress && i >= next && i < n) {
            progress(ctx, i, n);
            next += step;
        }
        size_t fn = pos - tp;
        double fnr = (double)fn / (double)pos, fpr = (double)fp / (double)neg;
        if (eps_from_rates(fnr, fpr, delta) <= best - 1e-12)
            continue;
        double xh, yh;
        if ((rc = rate_upper(ux, fn, pos, a2, &xh, err)) || (rc = rate_upper(uy, fp, neg, a2, &yh, err)))
            break;
        double lo = eps_from_rates(fmax(xh, fnr), fmax(yh, fpr), delta);
        /* Youden's J breaks ties (in particular a bound of 0 everywhere, where
         * the extreme threshold would leave no positives at all) */
        double j = (double)tp / (double)pos - (double)fp / (double)neg;
        if (lo > best + 1e-12 || (lo > best - 1e-12 && j > best_j)) {
            best = lo;
            best_j = j;
            best_thr = s;
        }
    }
    free(p);
    free(ux);
    free(uy);
    if (rc)
        return rc;
    if (progress)
        progress(ctx, n, n);
    *thr = best_thr;
    return PA_OK;
}

int roc_choose_threshold(const double *score, const int *label, size_t n, double delta, double alpha,
                         double *thr, pa_err *err)
{
    return roc_choose_threshold_cb(score, label, n, delta, alpha, NULL, NULL, thr, err);
}
