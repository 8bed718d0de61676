/* utility.h — how useful a synthetic table is, measured against real data.
 *
 * n = records, d = columns, k = marginal order, K = classes, p = features.
 *
 * Every metric compares two tables of the same schema (same column names,
 * kinds, domain sizes and bounds). Numeric columns are discretised by one rule,
 * shared with the marginal generators (generators/pgm.c):
 *   - a COL_NUM column with integer = 1 whose integer range [ceil(lo), floor(hi)]
 *     has at most `bins` values gets one bin per integer;
 *   - any other COL_NUM column with lo >= 0 whose bounds span at least
 *     10^UTIL_LOG_DECADES units (a non-negative quantity with wide a-priori
 *     bounds: wages, incomes, prices — where heavy right tails live; ages,
 *     weeks, pixel values and proportions span less) gets `bins`
 *     log-spaced bins over the schema's [lo, hi], edges lo + s(g^b − 1),
 *     b = 0..bins, s = (hi − lo)/10^UTIL_LOG_DECADES,
 *     g = (1 + 10^UTIL_LOG_DECADES)^(1/bins): relative resolution g − 1
 *     (33% for 32 bins) from lo + s up, so a skewed column with wide bounds
 *     no longer falls into one bin (docs/generators.md says what this costs a
 *     column concentrated far from lo);
 *   - any other COL_NUM column gets `bins` equal-width bins over [lo, hi];
 *   - in both, bounds come from the schema, never from the data, and values
 *     are clamped into the first/last bin;
 *   - a COL_CAT column's bins are its codes.
 * `bins` = 0 means the default, UTIL_DEFAULT_BINS.
 */
#ifndef PA_UTILITY_H
#define PA_UTILITY_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/table.h"

#define UTIL_DEFAULT_BINS 32
#define UTIL_LOG_DECADES 4 /* decades the log-spaced scale resolves; also its minimum span (10^4 units) */

/* Number of bins (discrete values) column c has under the rule above. */
size_t util_col_bins(const col_spec *c, size_t bins);

/* Bin of value v (a code for COL_CAT) in column c, in [0, util_col_bins). */
size_t util_col_bin(const col_spec *c, size_t bins, double v);

/* util_col_bin of every row of column j of t, into out[0..t->n): the same
 * bins, the column's constants computed once. */
void util_col_bin_column(const table *t, size_t j, size_t bins, int32_t *out);

/* h[a[i]·Kb + b[i]] += 1 for i < n (b = NULL: h[a[i]] += 1), every index
 * below K: the same counts as that loop (integers, exact in a double).
 * When K ≤ 1024 and 64 ≤ n ≤ UINT32_MAX it counts in four interleaved
 * integer histograms, so that a run of equal cells (a binary column) is not
 * one chain of dependent loads and stores: the marginal attack counts
 * 550,000 cells per trial of a 50,000-record release (docs/BENCHMARKS.md);
 * otherwise it is that loop. */
void util_hist_add(double *h, const int32_t *a, const int32_t *b, size_t n, size_t Kb, size_t K);

/* The value interval of every bin of a COL_NUM column that is not one bin
 * per integer: edges[0..nb] with edges[0] = lo, edges[nb] = hi, bin b =
 * [edges[b], edges[b+1]); returns nb = util_col_bins(c, bins), or 0 (edges
 * untouched) for COL_CAT and one-bin-per-integer columns. edges must hold
 * util_col_bins(c, bins) + 1 doubles. */
size_t util_col_edges(const col_spec *c, size_t bins, double *edges);

/* k-way marginal total variation distance between real and synth:
 * for each k-subset S of columns, TVD_S = ½ Σ_cells |p_real(S) − p_synth(S)|
 * with p the normalised k-way histogram. The subsets are all C(d, k) of them
 * when max_sets is 0 or ≥ C(d, k), otherwise max_sets distinct subsets drawn
 * uniformly with the stream `seed` (core/rng.h). k ∈ {1, 2, 3}, k ≤ d.
 * On success *mean and *max hold the mean and maximum over the subsets;
 * on error (PA_EINPUT: schemas differ, bad k, an empty table) they are NAN. */
int util_tvd(const table *real, const table *synth, int k, size_t max_sets,
             size_t bins, uint64_t seed, double *mean, double *max, pa_err *err);

/* The mean k-way TVD (as util_tvd, the same doubles) for every order k
 * whose bit (1 << (k-1)) is set in `orders`, into mean[k-1]; the tables are
 * binned once for all orders. Orders not asked for, or above the number of
 * columns, are NAN. On error every mean is NAN. */
int util_tvd_orders(const table *real, const table *synth, unsigned orders, size_t max_sets, size_t bins,
                    uint64_t seed, double mean[3], pa_err *err);

/* Association-matrix difference. For each pair of columns i < j the
 * association is Pearson's r when both are COL_NUM, otherwise Cramér's V
 * (bias-uncorrected, over the categories observed in that table; numeric
 * columns binned as above); a constant column has association 0 with
 * everything. *mean is the mean over pairs of |A_real − A_synth| and *max the
 * largest. d < 2 gives 0. On error both are NAN. */
int util_corr_diff(const table *real, const table *synth, size_t bins,
                   double *mean, double *max, pa_err *err);

/* ---- raw values of numeric columns (no binning) ---- */

#define UTIL_NQ 5                 /* quantile levels of util_num_stats */
#define UTIL_COLLAPSE_SHARE 0.5   /* the "stated share" of the collapse warnings */

/* Levels of util_num_stats.q_real/q_synth: 0.05, 0.25, 0.5, 0.75, 0.95. */
extern const double util_quantile_levels[UTIL_NQ];

typedef struct util_num_stats {
    double w1;                 /* Wasserstein-1 distance of the two empirical distributions,
                                  ∫|F_real − F_synth| dx (scipy.stats.wasserstein_distance) */
    double ks;                 /* Kolmogorov–Smirnov statistic sup_x |F_real − F_synth| (ks_2samp) */
    double mean_real, mean_synth;
    double q_real[UTIL_NQ], q_synth[UTIL_NQ]; /* quantiles, linear interpolation (numpy's default) */
    /* collapse check 1, on the real column's deciles (bins (−∞, q.1], (q.1, q.2], …, (q.9, ∞),
     * duplicate edges merged): the bin where the synthetic column puts its largest share */
    double decile_share_synth; /* that share */
    double decile_share_real;  /* the real share of the same bin */
    int collapse;              /* 1: decile_share_synth > UTIL_COLLAPSE_SHARE ≥ decile_share_real —
                                  the synthetic column piles its mass where the real one does not */
    /* collapse check 2, on the generators' binning (util_col_bin with `bins`) */
    double bin_share_real;     /* the largest share of the real column in one bin */
    size_t bin_real;           /* that bin */
    int coarse;                /* 1: bin_share_real > UTIL_COLLAPSE_SHARE and the real values in that
                                  bin are not all equal — the shared discretisation puts most of the
                                  real column into one bin, so marginal generators cannot see its
                                  shape (a column that is mostly one value is not flagged) */
} util_num_stats;

/* Raw-value comparison of numeric column j (COL_NUM) of real and synth
 * (same schema, both non-empty). On error (PA_EINPUT: schemas differ, j not
 * numeric, an empty table; PA_ENOMEM) *out is filled with NAN/0. */
int util_num_compare(const table *real, const table *synth, size_t j, size_t bins, util_num_stats *out,
                     pa_err *err);

/* Pearson correlation differences on raw values over the pairs of numeric
 * columns: *mean and *max of |r_real − r_synth| (0 and 0 with fewer than two
 * numeric columns; a constant column has r = 0). On error both are NAN. */
int util_num_corr_diff(const table *real, const table *synth, double *mean, double *max, size_t *pairs,
                       pa_err *err);

/* Classifier used by util_tstr. */
typedef enum util_model {
    UTIL_LOGREG = 0,   /* L2-regularised logistic (K = 2) or softmax (K > 2) regression */
    UTIL_MLP = 1,      /* one-hidden-layer MLP (core/mlp.h), util_tstr_mlp with UTIL_MLP_DEFAULTS */
    UTIL_CNN = 2       /* ConvNet (core/net.h), util_tstr_cnn with UTIL_CNN_DEFAULTS (images only) */
} util_model;

/* The MLP classifier of util_tstr_mlp: features as for logistic regression
 * (one-hot / min-max scaled, no intercept feature), one hidden layer of
 * `hidden` ReLU units, K softmax outputs (K = 2 for a binary target), mean
 * cross-entropy, Adam (β = 0.9, 0.999, ε = 1e-8), minibatches of `batch`
 * records in an order reshuffled every epoch, `epochs` passes, float32.
 * (scikit-learn's MLPClassifier defaults: 100 ReLU units, Adam, lr 1e-3.) */
typedef struct util_mlp_cfg {
    size_t hidden;     /* hidden units, >= 1 */
    size_t epochs;     /* passes over the training set, >= 1 */
    size_t batch;      /* minibatch size, >= 1 (capped at n_train) */
    double lr;         /* Adam step size > 0 */
    uint64_t seed;     /* initialisation and shuffling: rng_stream(seed, 0) of core/rng.h */
} util_mlp_cfg;

#define UTIL_MLP_DEFAULTS {.hidden = 100, .epochs = 20, .batch = 128, .lr = 1e-3, .seed = 1}

/* util_tstr with the MLP classifier configured by cfg (NULL: UTIL_MLP_DEFAULTS).
 * Deterministic for a given cfg and inputs (up to BLAS thread reordering,
 * which OpenBLAS does not do for a fixed thread count). *acc, *auc as for
 * util_tstr (AUC from the softmax probability of class 1 when K = 2). On
 * error both are NAN and PA_EINPUT names the bad cfg field or input. */
int util_tstr_mlp(const table *train, const table *test, const char *target, const util_mlp_cfg *cfg,
                  double *acc, double *auc, pa_err *err);

/* A ConvNet classifier for grey square images: every column except the
 * target numeric (min-max scaled: the pixels, row-major), two blocks of conv
 * 3x3 with cfg->hidden channels (pad 1), instance norm, ReLU, 2x2 average
 * pooling, then a dense layer to K logits; training as util_tstr_mlp.
 * PA_EINPUT for a categorical feature column or a non-square pixel count. */
#define UTIL_CNN_DEFAULTS {.hidden = 32, .epochs = 5, .batch = 128, .lr = 1e-3, .seed = 1}
int util_tstr_cnn(const table *train, const table *test, const char *target, const util_mlp_cfg *cfg,
                  double *acc, double *auc, pa_err *err);

/* Train on synthetic, test on real. Trains model m on `train` to predict the
 * categorical column `target` from every other column — categorical columns
 * one-hot over their schema domain, numeric columns min-max scaled with the
 * schema bounds — and evaluates on `test` (same schema).
 * Logistic regression minimises mean log-loss + (1/(2 n_train)) ‖W‖² (the
 * intercept is not penalised; this is scikit-learn's default C = 1): for
 * K = 2 by Newton's method with a line search to a gradient norm of 1e-10,
 * for K > 2 (softmax) by BFGS (GSL vector_bfgs2) to a gradient norm of 1e-6
 * or 1000 iterations.
 * *acc = test accuracy of the arg-max class; *auc = ROC AUC of P(class 1) on
 * the test set when the target has 2 codes (NAN otherwise, or if the test set
 * holds only one class). m = UTIL_MLP: util_tstr_mlp with UTIL_MLP_DEFAULTS.
 * On error both are NAN. */
int util_tstr(const table *train, const table *test, const char *target,
              util_model m, double *acc, double *auc, pa_err *err);

/* ROC AUC of scores against 0/1 labels (roc_auc of audit/roc.h: equal to
 * the Mann–Whitney U with ties counting ½): the probability that a random
 * positive scores above a random negative. NAN if either class is absent. */
double util_auc(const double *score, const int *label, size_t n);

#endif
