/* classify.h — binary classifiers for shadow-model attacks.
 *
 * n = training records, p = features.
 * The harness trains one on the features of shadow releases (label 1: the
 * target was in the shadow training set) and reads P(member) off the
 * features of the real release.
 *
 * Kinds and their params (a JSON object, or NULL for the defaults; an
 * unknown key or a value out of range is PA_EINPUT):
 * - "logreg": L2-penalised logistic regression on standardised features
 *   (each feature centred and divided by its standard deviation over the
 *   training set; a constant feature is dropped). Minimises
 *   Σ_i log(1 + exp(-s_i (b + wᵀz_i))) + (l2/2)‖w‖², s_i = ±1, the intercept b
 *   unpenalised — scikit-learn's LogisticRegression(C = 1/l2) on standardised
 *   data. Solved by Newton's method (IRLS) with step halving.
 *   "l2" (> 0, default 1), "max_iter" (default 100), "tol" (gradient
 *   max-norm, default 1e-10).
 * - "nb": Gaussian naive Bayes with a pooled within-class variance per
 *   feature (a linear discriminant with a diagonal covariance): log-odds
 *   log(n1/n0) + Σ_a (μ1 − μ0)/σ² · (x_a − (μ0 + μ1)/2); a feature with no
 *   within-class variance is dropped. No params. With the shadow attack's
 *   "marginal" features it is the marginal attack's sum of per-cell
 *   likelihood ratios with each cell's signal and noise learned from the
 *   shadow releases.
 * - "forest": random forest (Breiman 2001): each tree grown on a bootstrap
 *   sample of the n records, "max_features" candidate features per split
 *   (default floor(sqrt(p)), at least 1), Gini impurity, thresholds halfway
 *   between consecutive distinct values; a node becomes a leaf when it is
 *   pure, has fewer than 2·"min_leaf" records, reaches "max_depth", or no
 *   split leaves min_leaf records on each side. P(y = 1 | x) is the mean over
 *   trees of the leaf's fraction of label-1 records.
 *   "n_trees" (default 100), "max_depth" (default 16), "min_leaf"
 *   (default 1), "max_features" (default floor(sqrt(p))).
 *   Tree t draws from the stream rng_stream(seed, t): the forest is a
 *   deterministic function of (X, y, params, seed).
 */
#ifndef PA_CLASSIFY_H
#define PA_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/err.h"

typedef struct clf clf;

/* Validates a classifier kind ("logreg", "forest" or "nb") and its params without
 * fitting. Returns PA_OK or PA_EINPUT naming the kind/key and what was
 * expected. A "max_features" larger than p is caught by clf_fit. */
int clf_check(const char *kind, const cJSON *params, pa_err *err);

/* Fits a classifier of `kind` on X (n, p), row-major, with labels y (n) in
 * {0, 1}. Both classes must be present (else PA_EINPUT). seed drives the
 * forest's randomness (logreg ignores it). On success *out is a new
 * classifier owned by the caller (free with clf_free); on error *out is NULL
 * and err says why (PA_EINPUT, PA_ENOMEM, PA_EINTERNAL if Newton fails). */
int clf_fit(const char *kind, const double *X, const int *y, size_t n, size_t p,
            const cJSON *params, uint64_t seed, clf **out, pa_err *err);

/* The same, growing a forest's trees on `jobs` threads (logreg ignores it):
 * tree t draws from its own stream (seed, t), so the result is the same
 * classifier whatever jobs. */
int clf_fit_jobs(const char *kind, const double *X, const int *y, size_t n, size_t p,
                 const cJSON *params, uint64_t seed, int jobs, clf **out, pa_err *err);

/* P(y = 1 | x) for one feature vector x (p). */
double clf_predict(const clf *c, const double *x);

/* Number of features the classifier was fitted on. */
size_t clf_dim(const clf *c);

/* Logistic regression only: the fitted coefficients on the ORIGINAL feature
 * scale, w (p) and intercept *b, so that P = 1/(1+exp(-(b + wᵀx))). Returns
 * PA_EINPUT if c is not a logistic regression. */
int clf_logreg_coef(const clf *c, double *w, double *b, pa_err *err);

/* Frees c; accepts NULL. */
void clf_free(clf *c);

#endif
