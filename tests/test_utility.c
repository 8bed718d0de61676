/* test_utility.c — marginal TVD, association difference, TSTR and AUC
 * (audit/utility.c).
 *
 * n = records, d = columns.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "audit/utility.h"

/* A schema from a compact description: kinds[j] is 'c' (categorical of
 * size[j] codes), 'n' (numeric on [0, 1]) or 'i' (integer on [0, size[j]]). */
static schema *mk_schema(const char *kinds, const size_t *size)
{
    size_t d = strlen(kinds);
    schema *s = schema_new(d);
    for (size_t j = 0; j < d; j++) {
        char name[24];
        snprintf(name, sizeof name, "c%zu", j);
        s->cols[j].name = pa_strdup(name);
        if (kinds[j] == 'c') {
            s->cols[j].kind = COL_CAT;
            s->cols[j].size = size[j];
        } else {
            s->cols[j].kind = COL_NUM;
            s->cols[j].lo = 0;
            s->cols[j].hi = kinds[j] == 'i' ? (double)size[j] : 1;
            s->cols[j].integer = kinds[j] == 'i';
        }
    }
    return s;
}

/* A table of n rows over schema s whose column j is vals[j][0..n-1]. */
static table *mk_table(const schema *s, size_t n, const double *const *vals)
{
    table *t = tbl_new(s, n);
    for (size_t j = 0; j < s->d; j++)
        for (size_t i = 0; i < n; i++) {
            if (s->cols[j].kind == COL_CAT)
                t->cat[j][i] = (int32_t)vals[j][i];
            else
                t->num[j][i] = vals[j][i];
        }
    return t;
}

static void assert_close(double got, double want, double tol, const char *what)
{
    cr_assert(fabs(got - want) <= tol, "%s: got %.17g, expected %.17g (tol %g)", what, got, want, tol);
}

TestSuite(utility);

/* Hand computation. real = (0,0) (0,1) (1,2) (1,2), synth = (0,0) (0,0)
 * (1,1) (1,2). One-way: A agrees (TVD 0); B: real (¼,¼,½) vs synth
 * (½,¼,¼), TVD ½(¼+0+¼) = ¼; mean ⅛, max ¼. Two-way: four cells differ by
 * ¼ each, TVD ½. The second case gives A 100,000 codes (A's values 0 and
 * 99,999), which takes the sparse sort-and-merge path. */
typedef struct tvd_case {
    size_t card_a;
    double a_hi;
} tvd_case;

static tvd_case tvd_cases[] = {{.card_a = 2, .a_hi = 1}, {.card_a = 100000, .a_hi = 99999}};

ParameterizedTestParameters(utility, tvd_matches_a_hand_computation)
{
    return cr_make_param_array(tvd_case, tvd_cases, 2);
}

ParameterizedTest(tvd_case *tc, utility, tvd_matches_a_hand_computation)
{
    size_t size[] = {tc->card_a, 3};
    schema *s = mk_schema("cc", size);
    double h = tc->a_hi;
    double ra[] = {0, 0, h, h}, rb[] = {0, 1, 2, 2}, sa[] = {0, 0, h, h}, sb[] = {0, 0, 1, 2};
    const double *rv[] = {ra, rb}, *sv[] = {sa, sb};
    table *r = mk_table(s, 4, rv), *y = mk_table(s, 4, sv);
    double mean, max;
    pa_err err = {0};
    cr_assert_eq(util_tvd(r, y, 1, 0, 0, 1, &mean, &max, &err), PA_OK, "%s", err.msg);
    assert_close(mean, 0.125, 1e-15, "1-way mean");
    assert_close(max, 0.25, 1e-15, "1-way max");
    cr_assert_eq(util_tvd(r, y, 2, 0, 0, 1, &mean, &max, &err), PA_OK, "%s", err.msg);
    assert_close(mean, 0.5, 1e-15, "2-way mean");
    assert_close(max, 0.5, 1e-15, "2-way max");
    cr_assert_eq(util_tvd(r, y, 3, 0, 0, 1, &mean, &max, &err), PA_EINPUT);
    cr_assert(strstr(err.msg, "k = 3") != NULL, "%s", err.msg);
    cr_assert(isnan(mean) && isnan(max));
    tbl_free(r);
    tbl_free(y);
    schema_free(s);
}

/* Identical tables: 0; tables with disjoint supports: 1 for every k. */
Test(utility, tvd_is_zero_for_equal_and_one_for_disjoint_tables)
{
    size_t size[] = {4, 4, 4};
    schema *s = mk_schema("ccc", size);
    double a[] = {0, 1, 0, 1}, b[] = {2, 3, 3, 2};
    const double *av[] = {a, a, a}, *bv[] = {b, b, b};
    table *x = mk_table(s, 4, av), *y = mk_table(s, 4, bv);
    double mean, max;
    for (int k = 1; k <= 3; k++) {
        cr_assert_eq(util_tvd(x, x, k, 0, 0, 1, &mean, &max, NULL), PA_OK);
        assert_close(mean, 0, 0, "equal tables");
        cr_assert_eq(util_tvd(x, y, k, 0, 0, 1, &mean, &max, NULL), PA_OK);
        assert_close(mean, 1, 1e-15, "disjoint tables");
    }
    tbl_free(x);
    tbl_free(y);
    schema_free(s);
}

/* Numeric columns are binned over the schema bounds: with 4 bins on [0, 1],
 * 0.1 and 0.2 share a bin (TVD 0) while 0.1 and 0.3 do not (TVD 1). An
 * integer column on [0, 10] with 32 bins gets one bin per integer. */
Test(utility, tvd_bins_numeric_columns_over_the_schema_bounds)
{
    size_t size[] = {0};
    schema *s = mk_schema("n", size);
    double a[] = {0.1, 0.1}, b[] = {0.2, 0.2}, c[] = {0.3, 0.3};
    const double *av[] = {a}, *bv[] = {b}, *cv[] = {c};
    table *x = mk_table(s, 2, av), *y = mk_table(s, 2, bv), *z = mk_table(s, 2, cv);
    double mean, max;
    cr_assert_eq(util_tvd(x, y, 1, 0, 4, 1, &mean, &max, NULL), PA_OK);
    assert_close(mean, 0, 0, "same bin");
    cr_assert_eq(util_tvd(x, z, 1, 0, 4, 1, &mean, &max, NULL), PA_OK);
    assert_close(mean, 1, 0, "different bins");
    tbl_free(x);
    tbl_free(y);
    tbl_free(z);
    schema_free(s);
    col_spec ci = {.kind = COL_NUM, .lo = 0, .hi = 10, .integer = 1};
    cr_assert_eq(util_col_bins(&ci, 32), 11);
    cr_assert_eq(util_col_bin(&ci, 32, 7), 7);
    cr_assert_eq(util_col_bins(&ci, 8), 8); /* 11 integers > 8 bins: equal width 1.25 */
    cr_assert_eq(util_col_bin(&ci, 8, 7), 5);
    cr_assert_eq(util_col_bin(&ci, 8, 10), 7); /* the upper bound falls in the last bin */
    col_spec cn = {.kind = COL_NUM, .lo = -1, .hi = 1};
    cr_assert_eq(util_col_bins(&cn, 0), UTIL_DEFAULT_BINS);
    cr_assert_eq(util_col_bin(&cn, 4, -5), 0); /* clamped */
    cr_assert_eq(util_col_bin(&cn, 4, 0.49), 2);
}

/* A random sample of subsets is reproducible under its seed, covers at
 * most the full set's maximum, and max_sets ≥ C(d, k) means all of them. */
Test(utility, tvd_samples_subsets_reproducibly_under_a_seed)
{
    size_t d = 30, n = 50;
    size_t size[30];
    char kinds[31];
    for (size_t j = 0; j < d; j++) {
        size[j] = 3;
        kinds[j] = 'c';
    }
    kinds[d] = 0;
    schema *s = mk_schema(kinds, size);
    table *x = tbl_new(s, n), *y = tbl_new(s, n);
    for (size_t j = 0; j < d; j++)
        for (size_t i = 0; i < n; i++) {
            x->cat[j][i] = (int32_t)((i * (j + 1)) % 3);
            y->cat[j][i] = (int32_t)((i * (j + 2) + j) % 3);
        }
    double m1, x1, m2, x2, m3, x3, mall, xall;
    cr_assert_eq(util_tvd(x, y, 3, 20, 0, 7, &m1, &x1, NULL), PA_OK); /* rejection sampling path */
    cr_assert_eq(util_tvd(x, y, 3, 20, 0, 7, &m2, &x2, NULL), PA_OK);
    cr_assert_eq(util_tvd(x, y, 3, 20, 0, 8, &m3, &x3, NULL), PA_OK);
    cr_assert_eq(util_tvd(x, y, 3, 0, 0, 0, &mall, &xall, NULL), PA_OK);
    cr_assert_eq(m1, m2);
    cr_assert_eq(x1, x2);
    cr_assert_neq(m1, m3, "another seed should pick other subsets");
    cr_assert(x1 <= xall && x3 <= xall);
    double m4, x4;
    cr_assert_eq(util_tvd(x, y, 2, 1000, 0, 9, &m4, &x4, NULL), PA_OK);
    cr_assert_eq(util_tvd(x, y, 2, 0, 0, 0, &mall, &xall, NULL), PA_OK);
    cr_assert_eq(m4, mall);
    cr_assert_eq(util_tvd(x, y, 2, 200, 0, 9, &m1, &x1, NULL), PA_OK); /* shuffle path (435 ≤ 4·200) */
    cr_assert_eq(util_tvd(x, y, 2, 200, 0, 9, &m2, &x2, NULL), PA_OK);
    cr_assert_eq(m1, m2);
    cr_assert(x1 <= xall);
    tbl_free(x);
    tbl_free(y);
    schema_free(s);
}

Test(utility, tvd_rejects_tables_of_different_schemas)
{
    size_t s1[] = {2}, s2[] = {3};
    schema *a = mk_schema("c", s1), *b = mk_schema("c", s2);
    table *x = tbl_new(a, 2), *y = tbl_new(b, 2);
    double mean, max;
    pa_err err = {0};
    cr_assert_eq(util_tvd(x, y, 1, 0, 0, 1, &mean, &max, &err), PA_EINPUT);
    cr_assert(strstr(err.msg, "c0") != NULL, "%s", err.msg);
    tbl_free(x);
    tbl_free(y);
    schema_free(a);
    schema_free(b);
}

/* Reference: numpy (np.corrcoef for the numeric pair, Cramér's V from the
 * χ² of the observed contingency table for the others, numerics binned into
 * 2 bins on [0, 1]); see the values below, computed with /usr/bin/python3
 * (numpy 1.24): A = [0.9377 0.7071 0.5 1 0.8165 0.8165],
 * B = [0.8397 1 0.4714 1 0.4714 0.4714]. Tolerance 1e-12. */
Test(utility, corr_diff_matches_numpy)
{
    size_t size[] = {0, 0, 2, 3};
    schema *s = mk_schema("nncc", size);
    double rx[] = {0.1, 0.4, 0.35, 0.8, 0.9, 0.2}, ry[] = {0.2, 0.3, 0.5, 0.7, 0.95, 0.1}, rc[] = {0, 0, 1, 1, 1, 0},
           rg[] = {0, 1, 2, 2, 1, 0};
    double sx[] = {0.6, 0.1, 0.3, 0.7, 0.2, 0.9}, sy[] = {0.5, 0.4, 0.3, 0.9, 0.1, 0.8}, sc[] = {1, 0, 0, 1, 0, 1},
           sg[] = {0, 0, 1, 2, 2, 2};
    const double *rv[] = {rx, ry, rc, rg}, *sv[] = {sx, sy, sc, sg};
    table *r = mk_table(s, 6, rv), *y = mk_table(s, 6, sv);
    double mean, max;
    pa_err err = {0};
    cr_assert_eq(util_corr_diff(r, y, 2, &mean, &max, &err), PA_OK, "%s", err.msg);
    assert_close(mean, 0.18495799169491689, 1e-12, "mean");
    assert_close(max, 0.34509206013669436, 1e-12, "max");
    cr_assert_eq(util_corr_diff(r, r, 2, &mean, &max, &err), PA_OK);
    assert_close(mean, 0, 0, "same table");
    tbl_free(r);
    tbl_free(y);
    schema_free(s);
}

/* Hand values: scikit-learn's roc_auc_score documentation example
 * ([0.1, 0.4, 0.35, 0.8] vs [0, 0, 1, 1] → 0.75); with ties
 * ([0.5, 0.5, 0.2, 0.9] vs [1, 0, 0, 1]: pairs (0.5,0.5) ½, (0.5,0.2) 1,
 * (0.9,0.5) 1, (0.9,0.2) 1 → 3.5/4); one class only → NAN. */
Test(utility, auc_matches_hand_computations)
{
    double s1[] = {0.1, 0.4, 0.35, 0.8};
    int y1[] = {0, 0, 1, 1};
    assert_close(util_auc(s1, y1, 4), 0.75, 1e-15, "sklearn example");
    double s2[] = {0.5, 0.5, 0.2, 0.9};
    int y2[] = {1, 0, 0, 1};
    assert_close(util_auc(s2, y2, 4), 0.875, 1e-15, "ties");
    int y3[] = {1, 1, 1, 1};
    cr_assert(isnan(util_auc(s2, y3, 4)));
}

/* Toy data, generated by the same formula in C here and in the Python
 * reference computation: i = off..off+n−1, x = ((37 i) mod 101)/100, c = (7 i) mod 3,
 * noise = ((13 i) mod 10)/10, y = [x + 0.3·[c = 1] + 0.6·noise > 0.9],
 * g = 0 if x + noise/2 < 0.5, 1 if < 0.9, else 2. */
static table *toy(size_t n, size_t off, int multiclass)
{
    size_t size[] = {0, 3, 3};
    size[2] = multiclass ? 3 : 2;
    schema *s = mk_schema("ncc", size);
    table *t = tbl_new(s, n);
    schema_free(s);
    for (size_t q = 0; q < n; q++) {
        size_t i = off + q;
        double x = (double)((i * 37) % 101) / 100.0, noise = (double)((i * 13) % 10) / 10.0;
        int c = (int)((i * 7) % 3);
        t->num[0][q] = x;
        t->cat[1][q] = c;
        if (multiclass)
            t->cat[2][q] = x + 0.5 * noise < 0.5 ? 0 : x + 0.5 * noise < 0.9 ? 1 : 2;
        else
            t->cat[2][q] = x + 0.3 * (c == 1) + 0.6 * noise > 0.9;
    }
    return t;
}

/* Reference: the same penalised objective (mean log-loss + (1/(2n))‖w‖²,
 * intercept free) minimised by scipy.optimize.minimize(BFGS, gtol 1e-12) on
 * the one-hot + scaled design, evaluated on the test rows: binary accuracy
 * 0.8 and AUC 0.87760416666666663 (smallest |logit| 0.019, so the optimiser
 * tolerance cannot flip a prediction); softmax accuracy 0.425 (smallest
 * top-two logit gap 0.0013, parameter error here ≤ 1e-6/λ = 6e-5). */
Test(utility, tstr_logistic_regression_matches_scipy)
{
    table *tr = toy(60, 0, 0), *te = toy(40, 1000, 0);
    double acc, auc;
    pa_err err = {0};
    cr_assert_eq(util_tstr(tr, te, "c2", UTIL_LOGREG, &acc, &auc, &err), PA_OK, "%s", err.msg);
    assert_close(acc, 0.8, 1e-15, "binary accuracy");
    assert_close(auc, 0.87760416666666663, 1e-12, "binary AUC");
    tbl_free(tr);
    tbl_free(te);
    tr = toy(60, 0, 1);
    te = toy(40, 1000, 1);
    cr_assert_eq(util_tstr(tr, te, "c2", UTIL_LOGREG, &acc, &auc, &err), PA_OK, "%s", err.msg);
    assert_close(acc, 0.425, 1e-15, "softmax accuracy");
    cr_assert(isnan(auc), "no AUC for 3 classes");
    tbl_free(tr);
    tbl_free(te);
}

/* Separable: y = [x > 0.5] with x on a grid avoiding 0.5; the penalised
 * fit puts the boundary near 0.5 and classifies a test grid at least 95%
 * right (only points within the fit's margin can be wrong). */
Test(utility, tstr_separates_a_separable_problem)
{
    size_t size[] = {0, 2};
    schema *s = mk_schema("nc", size);
    table *tr = tbl_new(s, 400), *te = tbl_new(s, 200);
    for (size_t i = 0; i < 400; i++) {
        tr->num[0][i] = ((double)i + 0.5) / 400;
        tr->cat[1][i] = tr->num[0][i] > 0.5;
    }
    for (size_t i = 0; i < 200; i++) {
        te->num[0][i] = ((double)i + 0.25) / 200;
        te->cat[1][i] = te->num[0][i] > 0.5;
    }
    double acc, auc;
    cr_assert_eq(util_tstr(tr, te, "c1", UTIL_LOGREG, &acc, &auc, NULL), PA_OK);
    cr_assert(acc >= 0.95, "accuracy %.4f", acc);
    assert_close(auc, 1, 0, "a monotone score ranks a threshold rule perfectly");
    tbl_free(tr);
    tbl_free(te);
    schema_free(s);
}

Test(utility, tstr_names_a_bad_target)
{
    table *tr = toy(10, 0, 0);
    double acc, auc;
    pa_err err = {0};
    cr_assert_eq(util_tstr(tr, tr, "income", UTIL_LOGREG, &acc, &auc, &err), PA_EINPUT);
    cr_assert(strstr(err.msg, "income") != NULL, "%s", err.msg);
    cr_assert_eq(util_tstr(tr, tr, "c0", UTIL_LOGREG, &acc, &auc, &err), PA_EINPUT);
    cr_assert(strstr(err.msg, "c0") != NULL && strstr(err.msg, "categorical") != NULL, "%s", err.msg);
    cr_assert_eq(util_tstr(tr, tr, "income", UTIL_MLP, &acc, &auc, &err), PA_EINPUT);
    cr_assert(strstr(err.msg, "income") != NULL, "%s", err.msg);
    cr_assert(isnan(acc) && isnan(auc));
    tbl_free(tr);
}

/* A synthetic table may lack a class: training on all-zero labels predicts
 * 0 everywhere, so the accuracy is the test share of zeros (here 20/40). */
Test(utility, tstr_survives_a_training_table_with_one_class)
{
    size_t size[] = {0, 2};
    schema *s = mk_schema("nc", size);
    table *tr = tbl_new(s, 50), *te = tbl_new(s, 40);
    for (size_t i = 0; i < 50; i++)
        tr->num[0][i] = (double)i / 50; /* labels stay 0 */
    for (size_t i = 0; i < 40; i++) {
        te->num[0][i] = (double)i / 40;
        te->cat[1][i] = i % 2;
    }
    double acc, auc;
    pa_err err = {0};
    cr_assert_eq(util_tstr(tr, te, "c1", UTIL_LOGREG, &acc, &auc, &err), PA_OK, "%s", err.msg);
    assert_close(acc, 0.5, 0, "accuracy");
    tbl_free(tr);
    tbl_free(te);
    schema_free(s);
}

/* util_tvd_orders bins once for several orders: it must give util_tvd's
 * doubles exactly, on every subset path (all, shuffled, rejection-sampled). */
Test(utility, tvd_of_several_orders_at_once_equals_each_order_alone)
{
    size_t size[8] = {3, 7, 0, 2, 40, 0, 5, 11};
    schema *s = mk_schema("ccnciicc", size);
    s->cols[4].integer = 1;
    s->cols[4].hi = 40;
    size_t n = 300, m = 180;
    table *x = tbl_new(s, n), *y = tbl_new(s, m);
    uint64_t st = 99;
    for (int which = 0; which < 2; which++) {
        table *t = which ? y : x;
        for (size_t j = 0; j < s->d; j++)
            for (size_t i = 0; i < t->n; i++) {
                st = st * 6364136223846793005ULL + 1442695040888963407ULL;
                double u = (double)(st >> 11) / 9007199254740992.0;
                if (s->cols[j].kind == COL_CAT)
                    t->cat[j][i] = (int32_t)(u * (double)s->cols[j].size);
                else
                    t->num[j][i] = s->cols[j].lo + u * (s->cols[j].hi - s->cols[j].lo);
            }
    }
    const size_t max_sets[] = {0, 10, 3};
    for (size_t q = 0; q < 3; q++) {
        double all[3], one, mx;
        cr_assert_eq(util_tvd_orders(x, y, 7, max_sets[q], 0, 5, all, NULL), PA_OK);
        for (int k = 1; k <= 3; k++) {
            cr_assert_eq(util_tvd(x, y, k, max_sets[q], 0, 5, &one, &mx, NULL), PA_OK);
            cr_assert(one == all[k - 1], "k = %d, max_sets %zu: %.17g vs %.17g", k, max_sets[q], all[k - 1], one);
            cr_assert_gt(one, 0);
        }
        double two[3];
        cr_assert_eq(util_tvd_orders(x, y, 2, max_sets[q], 0, 5, two, NULL), PA_OK);
        cr_assert(isnan(two[0]) && isnan(two[2]) && two[1] == all[1]);
    }
    tbl_free(x);
    tbl_free(y);
    schema_free(s);
}

/* ---- raw values of numeric columns ---- */

/* A one-numeric-column schema on [lo, hi]. */
static schema *num_schema(double lo, double hi)
{
    schema *s = schema_new(1);
    s->cols[0].name = pa_strdup("wage");
    s->cols[0].kind = COL_NUM;
    s->cols[0].lo = lo;
    s->cols[0].hi = hi;
    return s;
}

static table *num_table(const schema *s, const double *v, size_t n)
{
    table *t = tbl_new(s, n);
    memcpy(t->num[0], v, n * sizeof *v);
    return t;
}

/* Reference: /usr/bin/python3, scipy 1.10.1 / numpy 1.24.2 on the two
 * samples below (a with a run of six ties, b sharing one value with a):
 * scipy.stats.wasserstein_distance(a, b), ks_2samp(a, b).statistic,
 * numpy.quantile(·, [.05, .25, .5, .75, .95]) (linear), means. Tolerance:
 * 1e-9 relative for W1 (a sum of ~95 products), 1e-12 for the rest. */
Test(utility, raw_numeric_metrics_match_scipy)
{
    static const double a[40] = {201.51, 201.51, 201.51, 201.51, 201.51, 201.51, 420.78, 1030.86, 285.85, 261.3,
                                 568.44, 517.92, 434.32, 210.33, 395.25, 656.36, 157.44, 292.85, 106.61, 163.58,
                                 111.14, 342.21, 166.13, 487.79, 450.22, 353.95, 69.29,  276.69, 389.96, 436.73,
                                 138.23, 288.75, 203.37, 229.02, 847.79, 229.23, 394.35, 749.25, 268.13, 373.09};
    static const double b[55] = {3521.33, 2039.16, 3388.6, 201.51, 2967.08, 365.98, 2164.58, 2031.09, 3485.36, 1445.06,
                                 2392.74, 237.01,  1550.53, 1292.15, 600.8,  671.66, 428.41,  665.37,  1056.92, 297.26,
                                 503.65,  337.65,  481.24,  218.7,   314.95, 396.34, 764.53,  886.37,  201.52,  276.78,
                                 657.3,   134.9,   337.68,  420.58,  947.86, 674.28, 366.38,  357.4,   383.71,  1112.22,
                                 344.88,  371.59,  550.9,   414.69,  396.09, 228.51, 442.79,  341.67,  897.56,  659.74,
                                 439.45,  665.83,  363.61,  838.22,  444.42};
    static const double qa[5] = {110.9135, 201.50999999999999, 281.26999999999998, 424.16499999999996,
                                 754.17699999999968};
    static const double qb[5] = {213.54599999999999, 360.505, 481.24000000000001, 922.71000000000004,
                                 3093.5359999999987};
    schema *s = num_schema(0, 150000);
    table *x = num_table(s, a, 40), *y = num_table(s, b, 55);
    util_num_stats st;
    pa_err err = {0};
    cr_assert_eq(util_num_compare(x, y, 0, 0, &st, &err), PA_OK, "%s", err.msg);
    assert_close(st.w1, 534.39488636363637, 1e-9 * 534.4, "W1");
    assert_close(st.ks, 0.44772727272727275, 1e-12, "KS");
    assert_close(st.mean_real, 337.90674999999999, 1e-9, "mean real");
    assert_close(st.mean_synth, 872.30163636363625, 1e-9, "mean synth");
    for (int q = 0; q < UTIL_NQ; q++) {
        assert_close(st.q_real[q], qa[q], 1e-12 * qa[q], "quantile real");
        assert_close(st.q_synth[q], qb[q], 1e-12 * qb[q], "quantile synth");
    }
    /* symmetric in the two samples, and zero against itself */
    util_num_stats rev;
    cr_assert_eq(util_num_compare(y, x, 0, 0, &rev, &err), PA_OK);
    assert_close(rev.w1, st.w1, 1e-9 * st.w1, "W1 reversed");
    assert_close(rev.ks, st.ks, 1e-15, "KS reversed");
    cr_assert_eq(util_num_compare(x, x, 0, 0, &rev, &err), PA_OK);
    cr_assert(rev.w1 == 0 && rev.ks == 0);
    tbl_free(x);
    tbl_free(y);
    schema_free(s);
}

/* Pearson differences over the numeric pairs only (the categorical column
 * is skipped): numpy.corrcoef of the three numeric columns in each table,
 * mean and max of |Δr| over the 3 pairs = 0.62066282441113174 and
 * 1.0400035439634712 (numpy 1.24.2). */
Test(utility, numeric_correlation_differences_match_numpy)
{
    size_t size[] = {0, 0, 0, 2};
    schema *s = mk_schema("nnnc", size);
    s->cols[2].hi = 10;
    double x[] = {0.1, 0.4, 0.35, 0.8, 0.9, 0.2}, yv[] = {0.2, 0.3, 0.5, 0.7, 0.95, 0.1}, z[] = {3, 1, 4, 1, 5, 9},
           c[] = {0, 1, 0, 1, 0, 1};
    double x2[] = {0.6, 0.1, 0.3, 0.7, 0.2, 0.9}, y2[] = {0.5, 0.4, 0.3, 0.9, 0.1, 0.8}, z2[] = {2, 7, 1, 8, 2, 8},
           c2[] = {1, 1, 0, 0, 1, 0};
    const double *rv[] = {x, yv, z, c}, *sv[] = {x2, y2, z2, c2};
    table *r = mk_table(s, 6, rv), *y = mk_table(s, 6, sv);
    double mean, max;
    size_t pairs;
    pa_err err = {0};
    cr_assert_eq(util_num_corr_diff(r, y, &mean, &max, &pairs, &err), PA_OK, "%s", err.msg);
    cr_assert_eq(pairs, 3);
    assert_close(mean, 0.62066282441113174, 1e-12, "mean");
    assert_close(max, 1.0400035439634712, 1e-12, "max");
    tbl_free(r);
    tbl_free(y);
    schema_free(s);
}

/* The collapse warnings. A log-normal "wage" (median ≈ 500) of 4,000
 * records; a synthetic column drawn uniformly on [0, 4687] (what MST
 * released under 32 equal-width bins on [0, 150000], where every wage fell in
 * bin 0) puts ≈ 80% of its mass above the real 90% quantile: the decile check
 * fires. A synthetic column drawn from the same distribution does not: a
 * real decile bin holds 10% of the real sample, and of an independent sample
 * of the same law 10% ± sd sqrt(2·0.09/4000) = 0.67% (its edges are sample
 * quantiles too), so every bin stays under 13% (4.5 sd; ten bins: P < 1e-4). The binning check fires under
 * equal-width bins (the schema's lower bound −1 keeps them) and not under the
 * log-spaced bins a [0, 150000] column now gets (largest bin share ≈ 0.19). */
Test(utility, collapse_warnings_fire_on_a_collapsed_column_and_not_on_a_faithful_one)
{
    size_t n = 4000;
    double *real = malloc(n * sizeof *real), *flat = malloc(n * sizeof *flat), *same = malloc(n * sizeof *same);
    uint64_t st = 42;
    for (size_t i = 0; i < n; i++) {
        /* Box–Muller from a 64-bit LCG: deterministic, no library stream needed */
        double u[4];
        for (int k = 0; k < 4; k++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            u[k] = ((double)(st >> 11) + 0.5) / 9007199254740992.0;
        }
        real[i] = exp(6.2 + 0.6 * sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]));
        same[i] = exp(6.2 + 0.6 * sqrt(-2 * log(u[2])) * cos(2 * M_PI * u[3]));
        flat[i] = 4687.5 * u[2];
    }
    schema *lg = num_schema(0, 150000), *lin = num_schema(-1, 150000);
    table *r = num_table(lg, real, n), *f = num_table(lg, flat, n), *g = num_table(lg, same, n);
    util_num_stats a, b;
    pa_err err = {0};
    cr_assert_eq(util_num_compare(r, f, 0, 32, &a, &err), PA_OK, "%s", err.msg);
    cr_assert(a.collapse && a.decile_share_synth > 0.7 && a.decile_share_real < 0.11, "synth %.3f real %.3f",
              a.decile_share_synth, a.decile_share_real);
    cr_assert(!a.coarse && a.bin_share_real < 0.25, "log bins: largest real share %.3f", a.bin_share_real);
    cr_assert_eq(util_num_compare(r, g, 0, 32, &b, &err), PA_OK);
    cr_assert(!b.collapse && b.decile_share_synth < 0.13, "synth %.3f", b.decile_share_synth);
    table *rl = num_table(lin, real, n), *fl = num_table(lin, flat, n);
    cr_assert_eq(util_num_compare(rl, fl, 0, 32, &a, &err), PA_OK);
    cr_assert(a.coarse && a.bin_real == 0 && a.bin_share_real > 0.99, "equal-width: bin %zu share %.3f", a.bin_real,
              a.bin_share_real);
    /* a column that is mostly one value is not flagged coarse: 90% zeros, one bin per integer */
    col_spec *cz = &lin->cols[0];
    cz->lo = 0;
    cz->hi = 16;
    cz->integer = 1;
    for (size_t i = 0; i < n; i++)
        real[i] = i % 10 == 0 ? (double)(i % 17) : 0;
    table *z = num_table(lin, real, n);
    cr_assert_eq(util_num_compare(z, z, 0, 32, &a, &err), PA_OK);
    cr_assert(!a.coarse && a.bin_share_real > 0.9, "share %.3f", a.bin_share_real);
    tbl_free(z);
    tbl_free(r);
    tbl_free(f);
    tbl_free(g);
    tbl_free(rl);
    tbl_free(fl);
    schema_free(lg);
    schema_free(lin);
    free(real);
    free(flat);
    free(same);
}

/* The log-spaced rule: a [0, 150000] column gets 32 bins with edges
 * 15·(g^b − 1), g = 10001^(1/32) (numpy: 522.3 and 603.7 in bin 12 =
 * [459.36, 617.57), 18777 in bin 24, 10 in bin 1); every value lies inside
 * the edges of its bin; spans under 10^4 and negative lower bounds keep
 * equal-width bins. */
Test(utility, non_negative_wide_columns_get_log_spaced_bins_consistent_with_their_edges)
{
    col_spec w = {.kind = COL_NUM, .lo = 0, .hi = 150000};
    cr_assert_eq(util_col_bins(&w, 32), 32);
    cr_assert_eq(util_col_bin(&w, 32, 522.3), 12);
    cr_assert_eq(util_col_bin(&w, 32, 603.7), 12);
    cr_assert_eq(util_col_bin(&w, 32, 18777), 24);
    cr_assert_eq(util_col_bin(&w, 32, 10), 1);
    cr_assert_eq(util_col_bin(&w, 32, 150000), 31);
    double e[33];
    cr_assert_eq(util_col_edges(&w, 32, e), 32);
    assert_close(e[12], 459.3594362812563, 1e-9, "edge 12");
    assert_close(e[13], 617.5704515107079, 1e-9, "edge 13");
    cr_assert(e[0] == 0 && e[32] == 150000);
    for (int k = 0; k <= 2000; k++) {
        double v = 150000.0 * pow((double)k / 2000.0, 3);
        size_t b = util_col_bin(&w, 32, v);
        cr_assert(e[b] <= v * (1 + 1e-12) && (v < e[b + 1] * (1 + 1e-12) || b == 31), "v = %.17g in bin %zu [%g, %g)", v,
                  b, e[b], e[b + 1]);
    }
    col_spec age = {.kind = COL_NUM, .lo = 0, .hi = 100, .integer = 1}, neg = {.kind = COL_NUM, .lo = -1, .hi = 150000};
    cr_assert_eq(util_col_bin(&age, 32, 50), 16); /* equal width 100/32: ⌊50·0.32⌋ */
    cr_assert_eq(util_col_bin(&neg, 32, 522.3), 0);
    cr_assert_eq(util_col_edges(&age, 32, e), 32);
    assert_close(e[1], 3.125, 1e-12, "equal-width edge");
}

/* ---- the ConvNet classifier (util_tstr_cnn) ---- */

/* n 6x6 grey images, label y ∈ {0, 1, 2}: a bright 2-pixel-wide bar at
 * columns 2y, 2y+1 (value 0.8 + U(0, 0.2)), background U(0, 0.2) — a
 * translation-free pattern any ConvNet separates. */
static table *bars(size_t n, unsigned seed)
{
    schema *s = schema_new(37);
    for (size_t j = 0; j < 37; j++) {
        char nm[8];
        snprintf(nm, sizeof nm, j ? "p%zu" : "y", j - (j > 0));
        free(s->cols[j].name);
        s->cols[j].name = pa_strdup(nm);
        s->cols[j].kind = j ? COL_NUM : COL_CAT;
        s->cols[j].size = j ? 0 : 3;
        s->cols[j].lo = 0;
        s->cols[j].hi = 1;
    }
    table *t = tbl_new(s, n);
    schema_free(s);
    unsigned long st = seed;
    for (size_t i = 0; i < n; i++) {
        st = st * 6364136223846793005UL + 1442695040888963407UL;
        int32_t y = (int32_t)((st >> 33) % 3);
        t->cat[0][i] = y;
        for (size_t j = 0; j < 36; j++) {
            st = st * 6364136223846793005UL + 1442695040888963407UL;
            double u = (double)(st >> 11) / 9007199254740992.0;
            t->num[1 + j][i] = ((j % 6) / 2 == (size_t)y ? 0.8 : 0.0) + 0.2 * u;
        }
    }
    return t;
}

/* Trained on 600 bar images, tested on 300 others: accuracy >= 0.95 (chance
 * 1/3; the classes differ by 0.8 on 12 of 36 pixels). Deterministic under a
 * seed. A categorical feature or a non-square pixel count is PA_EINPUT. */
Test(utility, cnn_tstr_separates_bar_images_and_rejects_non_images)
{
    table *tr = bars(600, 1), *te = bars(300, 2);
    double acc, auc, acc2, auc2;
    pa_err e = {0};
    cr_assert_eq(util_tstr_cnn(tr, te, "y", NULL, &acc, &auc, &e), PA_OK, "%s", e.msg);
    cr_assert_geq(acc, 0.95, "accuracy %g", acc);
    cr_assert(isnan(auc));
    cr_assert_eq(util_tstr(tr, te, "y", UTIL_CNN, &acc2, &auc2, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(acc, acc2);
    cr_assert_eq(util_tstr_cnn(tr, te, "p3", NULL, &acc, &auc, &e), PA_EINPUT);
    tbl_free(tr);
    tbl_free(te);
    schema *s = schema_new(3);
    const char *nm[] = {"y", "a", "b"};
    for (size_t j = 0; j < 3; j++) {
        free(s->cols[j].name);
        s->cols[j].name = pa_strdup(nm[j]);
    }
    s->cols[0].kind = COL_CAT;
    s->cols[0].size = 2;
    s->cols[1].kind = s->cols[2].kind = COL_NUM;
    s->cols[1].hi = s->cols[2].hi = 1;
    table *t = tbl_new(s, 4);
    for (size_t i = 0; i < 4; i++)
        t->cat[0][i] = (int32_t)(i % 2);
    cr_assert_eq(util_tstr_cnn(t, t, "y", NULL, &acc, &auc, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "square"), "%s", e.msg);
    cr_assert(isnan(acc));
    schema_free(s);
    tbl_free(t);
}

/* util_col_bin_column bins a whole column as util_col_bin bins each value,
 * and both follow the documented rule (audit/utility.h), checked by hand:
 * linear [0, 1] in 32 bins, one bin per integer on [0, 10], log-spaced bins
 * on [0, 1e5] (s = 10, ln g = ln(1 + 1e4)/32), codes out of range and NaN to bin 0. */
Test(utility, a_column_is_binned_as_each_of_its_values)
{
    const size_t size[] = {5, 10, 100000, 0};
    schema *s = mk_schema("ciin", size);
    const double cat[] = {3, 7, -1, 0, 4, 2};
    const double ints[] = {3.4, 10, 0, -2, 12, 5.5};
    const double logs[] = {10, 1e5, 0, 5, 99, NAN};
    const double lin[] = {0.5, 1.0, -0.1, NAN, 0.99, 0.031};
    const double *vals[] = {cat, ints, logs, lin};
    const size_t n = 6;
    table *t = mk_table(s, n, vals);
    const int32_t want[4][6] = {
        {3, 0, 0, 0, 4, 2},
        {3, 10, 0, 0, 10, 6}, /* round(5.5) = 6 */
        {2, 31, 0, 1, 8, 0},  /* floor(ln(1 + v/10) / (ln(10001)/32)) */
        {16, 31, 0, 0, 31, 0},
    };
    int32_t out[6];
    for (size_t j = 0; j < 4; j++) {
        util_col_bin_column(t, j, 0, out);
        for (size_t i = 0; i < n; i++) {
            cr_assert_eq(out[i], want[j][i], "column %zu row %zu: bin %d, expected %d", j, i, out[i], want[j][i]);
            cr_assert_eq((size_t)out[i], util_col_bin(&s->cols[j], 0, tbl_get(t, i, j)), "column %zu row %zu", j, i);
        }
    }
    tbl_free(t);
    schema_free(s);
}

/* util_hist_add against the plain loop it stands for, cell by cell and
 * exactly: one column and pairs, n across the 64 threshold and every
 * remainder of the four-way unrolling, K at 1, at the 1024 bound and past
 * it, into a histogram that already holds counts. */
typedef struct hist_case {
    size_t n, Ka, Kb; /* Kb = 0: one column */
} hist_case;

ParameterizedTestParameters(utility, hist_add_counts_what_the_plain_loop_counts)
{
    static hist_case cases[] = {{0, 3, 0},     {1, 1, 0},     {63, 5, 0},   {64, 2, 0},  {65, 7, 0},
                                {66, 7, 0},    {67, 7, 0},    {4099, 1024, 0}, {5001, 1025, 0}, {3000, 1, 1},
                                {3001, 32, 32}, {3002, 2, 512}, {3003, 33, 32}, {70, 7, 9},  {10, 4, 4}};
    return cr_make_param_array(hist_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(hist_case *c, utility, hist_add_counts_what_the_plain_loop_counts)
{
    const size_t K = c->Kb ? c->Ka * c->Kb : c->Ka;
    int32_t *a = malloc((c->n + 1) * sizeof *a), *b = malloc((c->n + 1) * sizeof *b);
    double *got = malloc(K * sizeof *got), *want = malloc(K * sizeof *want);
    cr_assert(a && b && got && want);
    uint64_t s = 12345 + c->n;
    for (size_t i = 0; i < c->n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        /* runs of equal cells and a skewed spread: low codes repeat */
        a[i] = (int32_t)((s >> 33) % (i % 5 ? c->Ka : 1));
        b[i] = c->Kb ? (int32_t)((s >> 13) % c->Kb) : 0;
    }
    for (size_t u = 0; u < K; u++)
        got[u] = want[u] = (double)(u % 3); /* counts already there */
    for (size_t i = 0; i < c->n; i++)
        want[c->Kb ? (size_t)a[i] * c->Kb + (size_t)b[i] : (size_t)a[i]] += 1;
    util_hist_add(got, a, c->Kb ? b : NULL, c->n, c->Kb, K);
    for (size_t u = 0; u < K; u++)
        cr_assert_eq(got[u], want[u], "n %zu, K %zu x %zu: cell %zu holds %g, the loop counts %g", c->n, c->Ka, c->Kb,
                     u, got[u], want[u]);
    free(a);
    free(b);
    free(got);
    free(want);
}
