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

int roc_choose_threshold(const double *score, const int *label, size_t n, double delta, double alpha,
                         double *thr, pa_err *err)
{
    pair *p;
    size_t pos, neg;
    int rc = sorted_pairs(score, label, n, &p, &pos, &neg, err);
    if (rc)
        return rc;
    double best = -1, best_j = -2, best_thr = INFINITY;
    size_t tp = 0, fp = 0;
    for (size_t i = 0; i < n;) {
        double s = p[i].s;
        while (i < n && p[i].s == s) {
            tp += p[i].y;
            fp += !p[i].y;
            i++;
        }
        eps_counts c = {.tp = (double)tp, .fn = (double)(pos - tp), .fp = (double)fp, .tn = (double)(neg - fp)};
        double lo, hi;
        if (eps_clopper_pearson(&c, delta, alpha, &lo, &hi) != PA_OK)
            continue;
        /* Youden's J breaks ties (in particular a bound of 0 everywhere, where
         * the extreme threshold would leave no positives at all) */
        double j = (double)tp / (double)(pos ? pos : 1) - (double)fp / (double)(neg ? neg : 1);
        if (lo > best + 1e-12 || (lo > best - 1e-12 && j > best_j)) {
            best = lo;
            best_j = j;
            best_thr = s;
        }
    }
    free(p);
    *thr = best_thr;
    return PA_OK;
}
