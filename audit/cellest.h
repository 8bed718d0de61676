/* cellest.h — every estimate of one (cell, attack, target) from its scores:
 * the computation `run` stores (harness/run.c) and `privaudit epsilon
 * --scores` prints (harness/cmd_epsilon.c), one function so that the two
 * agree exactly on the same scores (docs/estimators.md).
 *
 * Rows, in this order:
 *   point, clopper_pearson, bayes — test split at the threshold chosen on the
 *     calibration split by roc_choose_threshold (docs/metrics.md);
 *   gdp_fit — μ fitted to all scores (gdp_fit.h); claimed = μ_theory = √(2ρ)
 *     when rho is given;
 *   profile — only when rho is given: the profile test (profile.h) of the
 *     ρ-zCDP claim (or of μ = √(2ρ)-GDP when `gaussian`) at its own
 *     calibration threshold, p_exceeds = P(outside the region).
 */
#ifndef PA_CELLEST_H
#define PA_CELLEST_H

#include <stddef.h>

#include "core/err.h"

#define CELLEST_MAX_ROWS 5

typedef struct cellest_row {
    const char *method;          /* "point", "clopper_pearson", "bayes", "gdp_fit", "profile" */
    double lo, point, hi;        /* interval; point: the point estimate where the method has one, else NAN */
    double threshold;            /* the threshold the counts come from (NAN: none) */
    double tp, fn, fp, tn;       /* test-split counts at it (NAN: none) */
    double claimed;              /* claimed ε; gdp_fit: μ_theory (NAN: none) */
    double p_exceeds;            /* bayes: P(ε > claimed); profile: P(outside); NAN otherwise */
    int violation;
} cellest_row;

typedef struct cellest_in {
    const double *score;
    const int *member;           /* 0/1 */
    const int *is_cal;           /* 1: calibration split */
    size_t n;
    double delta;                /* δ of the estimates */
    double alpha;                /* two-sided level: each end one-sided alpha/2 */
    double claimed;              /* claimed ε, INFINITY if none */
    double rho;                  /* the generator's ρ-zCDP accounting, NAN if none */
    int gaussian;                /* 1: the mechanism is Gaussian measurements only, so the profile test
                                    uses the μ-GDP curve with μ = √(2ρ); 0: the CKS ρ-zCDP profile */
} cellest_in;

/* Fills rows[0..*nrows-1] (at most CELLEST_MAX_ROWS). No row at all when
 * the scores lack a member or a non-member; only gdp_fit when the test
 * split does. A Clopper-Pearson or Bayesian interval that cannot be
 * computed leaves its row out (as run always did); any other failure is an
 * error (PA_EINPUT, PA_EINTERNAL with the message, PA_ENOMEM). */
int cellest_compute(const cellest_in *in, cellest_row *rows, size_t *nrows, pa_err *err);

#endif
