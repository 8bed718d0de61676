/* roc.h — ROC curves, AUC, TPR at fixed FPR, and the threshold rule that
 * turns attack scores into TP/FP/TN/FN counts.
 *
 * n = scored challenges; label[i] = 1 for a member, 0 for a non-member;
 * the attack predicts "member" when score >= threshold.
 */
#ifndef PA_ROC_H
#define PA_ROC_H

#include <stddef.h>

#include "audit/eps.h"
#include "core/err.h"

typedef struct roc_curve {
    size_t np;        /* points, from (0,0) at threshold +inf to (1,1) */
    double *thr;      /* (np) thresholds, decreasing; thr[0] = +inf */
    double *fpr;      /* (np) false-positive rate at thr[k] */
    double *tpr;      /* (np) true-positive rate at thr[k] */
    size_t pos, neg;  /* members and non-members counted */
} roc_curve;

/* Builds the ROC of n scores; PA_EINPUT if there are no members or no
 * non-members, or a score is NaN. *out is NULL on error; free with roc_free. */
int roc_build(const double *score, const int *label, size_t n, roc_curve **out, pa_err *err);

void roc_free(roc_curve *c);

/* Area under the curve (trapezoids; equals the Mann-Whitney U statistic
 * with ties counted one half). */
double roc_auc(const roc_curve *c);

/* Largest TPR at a threshold whose FPR is <= fpr. */
double roc_tpr_at(const roc_curve *c, double fpr);

/* Counts at a threshold: member predicted when score >= thr. */
void roc_counts(const double *score, const int *label, size_t n, double thr, eps_counts *out);

/* Chooses the threshold on a calibration split: the one maximising the
 * Clopper-Pearson lower bound of ε (at level alpha, with delta) among all
 * distinct score values; ties (a bound of 0 at every threshold, for an attack
 * that finds nothing) go to the largest Youden's J = TPR - FPR, so that a
 * useless attack is counted at a balanced threshold rather than at the corner
 * FNR = 1, FPR = 0 where every interval is wide. The threshold must then be applied to a
 * disjoint test split; choosing it on the counted data biases ε upwards.
 * Cost O(N log N): one sort, then one pass in which each rate bound is
 * computed at most once per count, and thresholds whose point estimate
 * cannot reach the best bound so far are skipped exactly (the bound never
 * exceeds the point estimate). *thr = +inf when the split lacks members or
 * non-members. PA_EINPUT for a NaN score or delta/alpha out of range,
 * PA_EINTERNAL naming the count if a Beta quantile fails. */
int roc_choose_threshold(const double *score, const int *label, size_t n, double delta, double alpha,
                         double *thr, pa_err *err);

/* Progress of a long computation: `done` of `total` items. */
typedef void (*roc_progress_fn)(void *ctx, size_t done, size_t total);

/* As roc_choose_threshold, calling progress (may be NULL) about every 5%
 * of the scores and once at the end. */
int roc_choose_threshold_cb(const double *score, const int *label, size_t n, double delta, double alpha,
                            roc_progress_fn progress, void *ctx, double *thr, pa_err *err);

#endif
