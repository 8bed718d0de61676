/* utility.c — marginal TVD, association difference, train-synthetic-test-real.
 *
 * n = records, d = columns, k = marginal order, K = classes,
 * K' = outputs of the classifier (1 when K = 2, else K), p = features
 * (one-hot blocks, scaled numerics, intercept last), q = numeric features.
 */
#include "audit/utility.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* gsl_multimin.h pulls in GSL's gsl_cblas.h, which clashes with OpenBLAS's
 * <cblas.h>; its cblas_dgemm prototype is the standard CBLAS one and the
 * symbol resolves to OpenBLAS (the Makefile drops -lgslcblas). */
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "audit/roc.h"
#include "core/mlp.h"
#include "core/net.h"
#include "core/rng.h"

/* ---- binning ---- */

static int col_per_integer(const col_spec *c, size_t bins)
{
    return c->integer && floor(c->hi) >= ceil(c->lo) && floor(c->hi) - ceil(c->lo) + 1.0 <= (double)bins;
}

/* A non-negative numeric column (lo >= 0) whose bounds span at least
 * 10^UTIL_LOG_DECADES units, and that is not one bin per integer, gets B
 * log-spaced bins instead of equal-width ones. */
static int col_log_scale(const col_spec *c, size_t bins)
{
    return c->kind == COL_NUM && !col_per_integer(c, bins) && c->lo >= 0 &&
           c->hi - c->lo >= pow(10.0, UTIL_LOG_DECADES);
}

/* log-spaced edges lo + s(g^b - 1), b = 0..B, s = (hi - lo)/10^D, g = (1 + 10^D)^(1/B): *lg = ln g */
static void log_scale(const col_spec *c, size_t B, double *s, double *lg)
{
    double D = pow(10.0, UTIL_LOG_DECADES);
    *s = (c->hi - c->lo) / D;
    *lg = log1p(D) / (double)B;
}

size_t util_col_bins(const col_spec *c, size_t bins)
{
    if (bins == 0)
        bins = UTIL_DEFAULT_BINS;
    if (c->kind == COL_CAT)
        return c->size;
    if (col_per_integer(c, bins))
        return (size_t)(floor(c->hi) - ceil(c->lo) + 1.0);
    return bins;
}

/* util_col_bin's rule with its per-column constants computed once (one
 * value's bin and a whole column's use the same arithmetic) */
typedef struct {
    enum { BIN_CAT, BIN_INT, BIN_LOG, BIN_LIN } kind;
    size_t nb;
    double lo, span, s, lg;
} col_binner;

static void binner_init(col_binner *b, const col_spec *c, size_t bins)
{
    if (bins == 0)
        bins = UTIL_DEFAULT_BINS;
    b->nb = util_col_bins(c, bins);
    b->lo = c->lo;
    b->span = c->hi - c->lo;
    b->s = b->lg = 0;
    if (c->kind == COL_CAT) {
        b->kind = BIN_CAT;
    } else if (col_per_integer(c, bins)) {
        b->kind = BIN_INT;
        b->lo = ceil(c->lo);
    } else if (col_log_scale(c, bins)) {
        b->kind = BIN_LOG;
        log_scale(c, bins, &b->s, &b->lg);
    } else {
        b->kind = BIN_LIN;
    }
}

static size_t binner_bin(const col_binner *B, double v)
{
    double b;
    switch (B->kind) {
    case BIN_CAT:
        return v >= 0 && v < (double)B->nb ? (size_t)v : 0;
    case BIN_INT:
        b = round(v) - B->lo;
        break;
    case BIN_LOG:
        b = v > B->lo ? floor(log1p((v - B->lo) / B->s) / B->lg) : 0;
        break;
    default:
        b = floor((v - B->lo) / B->span * (double)B->nb);
        break;
    }
    if (!(b >= 0)) /* also NaN */
        return 0;
    return b >= (double)B->nb ? B->nb - 1 : (size_t)b;
}

size_t util_col_bin(const col_spec *c, size_t bins, double v)
{
    col_binner B;
    binner_init(&B, c, bins);
    return binner_bin(&B, v);
}

void util_col_bin_column(const table *t, size_t j, size_t bins, int32_t *out)
{
    col_binner B;
    binner_init(&B, &t->s->cols[j], bins);
    if (t->cat[j]) { /* a COL_CAT column: BIN_CAT */
        const int32_t *x = t->cat[j];
        const int32_t K = (int32_t)B.nb;
        for (size_t i = 0; i < t->n; i++)
            out[i] = x[i] >= 0 && x[i] < K ? x[i] : 0;
    } else {
        const double *x = t->num[j];
        for (size_t i = 0; i < t->n; i++)
            out[i] = (int32_t)binner_bin(&B, x[i]);
    }
}

void util_hist_add(double *h, const int32_t *a, const int32_t *b, size_t n, size_t Kb, size_t K)
{
    enum { KMAX = 1024 };
    if (K > KMAX || n < 64 || n > UINT32_MAX) {
        for (size_t i = 0; i < n; i++)
            h[b ? (size_t)a[i] * Kb + (size_t)b[i] : (size_t)a[i]] += 1;
        return;
    }
    uint32_t c[4][KMAX];
    for (int l = 0; l < 4; l++)
        memset(c[l], 0, K * sizeof c[l][0]);
    size_t i = 0;
    if (b)
        for (; i + 4 <= n; i += 4) {
            c[0][(size_t)a[i] * Kb + (size_t)b[i]]++;
            c[1][(size_t)a[i + 1] * Kb + (size_t)b[i + 1]]++;
            c[2][(size_t)a[i + 2] * Kb + (size_t)b[i + 2]]++;
            c[3][(size_t)a[i + 3] * Kb + (size_t)b[i + 3]]++;
        }
    else
        for (; i + 4 <= n; i += 4) {
            c[0][a[i]]++;
            c[1][a[i + 1]]++;
            c[2][a[i + 2]]++;
            c[3][a[i + 3]]++;
        }
    for (; i < n; i++)
        c[0][b ? (size_t)a[i] * Kb + (size_t)b[i] : (size_t)a[i]]++;
    for (size_t u = 0; u < K; u++)
        h[u] += (double)c[0][u] + (double)c[1][u] + (double)c[2][u] + (double)c[3][u];
}

size_t util_col_edges(const col_spec *c, size_t bins, double *edges)
{
    if (bins == 0)
        bins = UTIL_DEFAULT_BINS;
    if (c->kind == COL_CAT || col_per_integer(c, bins))
        return 0;
    size_t nb = util_col_bins(c, bins);
    double s = 0, lg = 0;
    int logs = col_log_scale(c, bins);
    if (logs)
        log_scale(c, bins, &s, &lg);
    edges[0] = c->lo;
    for (size_t b = 1; b < nb; b++)
        edges[b] = logs ? c->lo + s * expm1(lg * (double)b) : c->lo + (c->hi - c->lo) * (double)b / (double)nb;
    edges[nb] = c->hi;
    return nb;
}

/* ---- shared helpers ---- */

static int same_schema(const table *a, const table *b, const char *fn, pa_err *err)
{
    if (!a || !b || !a->s || !b->s)
        return pa_errf(err, PA_EINPUT, "%s: two tables are required", fn);
    if (a->d != b->d)
        return pa_errf(err, PA_EINPUT, "%s: the tables have %zu and %zu columns; expected the same schema", fn,
                       a->d, b->d);
    for (size_t j = 0; j < a->d; j++) {
        const col_spec *x = &a->s->cols[j], *y = &b->s->cols[j];
        if (strcmp(x->name, y->name) != 0 || x->kind != y->kind ||
            (x->kind == COL_CAT && x->size != y->size) ||
            (x->kind == COL_NUM && (x->lo != y->lo || x->hi != y->hi)))
            return pa_errf(err, PA_EINPUT,
                           "%s: column %zu differs between the tables ('%s' vs '%s': name, kind, size or bounds); "
                           "expected the same schema",
                           fn, j, x->name, y->name);
    }
    return PA_OK;
}

/* codes (d, n) column-major and cardinalities (d) of t under the binning rule */
static int encode(const table *t, size_t bins, int32_t **codes, size_t **card)
{
    *codes = malloc(t->d * (t->n ? t->n : 1) * sizeof **codes);
    *card = malloc((t->d ? t->d : 1) * sizeof **card);
    if (!*codes || !*card) {
        free(*codes);
        free(*card);
        *codes = NULL;
        *card = NULL;
        return PA_ENOMEM;
    }
    for (size_t j = 0; j < t->d; j++) {
        const col_spec *c = &t->s->cols[j];
        (*card)[j] = util_col_bins(c, bins);
        for (size_t i = 0; i < t->n; i++)
            (*codes)[j * t->n + i] = (int32_t)util_col_bin(c, bins, c->kind == COL_CAT ? t->cat[j][i] : t->num[j][i]);
    }
    return PA_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* TVD of the marginal over cols[0..k-1] */
static int tvd_one(const int32_t *ca, size_t na, const int32_t *cb, size_t nb, const size_t *card,
                   const size_t *cols, int k, double *out)
{
    double cells = 1;
    for (int a = 0; a < k; a++)
        cells *= (double)card[cols[a]];
    if (cells <= 8.0 * (double)(na + nb) + 4096) {
        size_t c = (size_t)cells;
        double *h = calloc(c, sizeof *h);
        if (!h)
            return PA_ENOMEM;
        for (size_t i = 0; i < na; i++) {
            size_t idx = 0;
            for (int a = 0; a < k; a++)
                idx = idx * card[cols[a]] + (size_t)ca[cols[a] * na + i];
            h[idx] += 1.0 / (double)na;
        }
        for (size_t i = 0; i < nb; i++) {
            size_t idx = 0;
            for (int a = 0; a < k; a++)
                idx = idx * card[cols[a]] + (size_t)cb[cols[a] * nb + i];
            h[idx] -= 1.0 / (double)nb;
        }
        double s = 0;
        for (size_t q = 0; q < c; q++)
            s += fabs(h[q]);
        free(h);
        *out = 0.5 * s;
        return PA_OK;
    }
    /* sparse: sort the cell keys of both tables and merge */
    uint64_t *ka = malloc((na ? na : 1) * sizeof *ka), *kb = malloc((nb ? nb : 1) * sizeof *kb);
    if (!ka || !kb) {
        free(ka);
        free(kb);
        return PA_ENOMEM;
    }
    for (size_t i = 0; i < na; i++) {
        uint64_t idx = 0;
        for (int a = 0; a < k; a++)
            idx = idx * card[cols[a]] + (uint64_t)ca[cols[a] * na + i];
        ka[i] = idx;
    }
    for (size_t i = 0; i < nb; i++) {
        uint64_t idx = 0;
        for (int a = 0; a < k; a++)
            idx = idx * card[cols[a]] + (uint64_t)cb[cols[a] * nb + i];
        kb[i] = idx;
    }
    qsort(ka, na, sizeof *ka, cmp_u64);
    qsort(kb, nb, sizeof *kb, cmp_u64);
    size_t i = 0, j = 0;
    double s = 0;
    while (i < na || j < nb) {
        uint64_t key = i < na && (j >= nb || ka[i] <= kb[j]) ? ka[i] : kb[j];
        size_t ci = 0, cj = 0;
        while (i < na && ka[i] == key)
            ci++, i++;
        while (j < nb && kb[j] == key)
            cj++, j++;
        s += fabs((double)ci / (double)na - (double)cj / (double)nb);
    }
    free(ka);
    free(kb);
    *out = 0.5 * s;
    return PA_OK;
}

static double n_choose_k(size_t d, int k)
{
    double c = 1;
    for (int a = 0; a < k; a++)
        c = c * (double)(d - (size_t)a) / (double)(a + 1);
    return c;
}

/* the next k-combination of 0..d-1 in lexicographic order; 0 when done */
static int next_comb(size_t *c, int k, size_t d)
{
    int i = k;
    while (i > 0 && c[i - 1] == d - (size_t)k + (size_t)i - 1)
        i--;
    if (i == 0)
        return 0;
    c[i - 1]++;
    for (int q = i; q < k; q++)
        c[q] = c[q - 1] + 1;
    return 1;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The subsets to evaluate: *sets holds *ns subsets of k column indices. */
static int tvd_subsets(size_t d, int k, size_t max_sets, uint64_t seed, size_t **sets, size_t *ns)
{
    double total = n_choose_k(d, k);
    *sets = NULL;
    *ns = 0;
    int all = max_sets == 0 || (double)max_sets >= total;
    if (all || total <= 4.0 * (double)max_sets) {
        size_t nt = (size_t)total;
        size_t *s = malloc(nt * (size_t)k * sizeof *s);
        if (!s)
            return PA_ENOMEM;
        size_t c[3] = {0, 1, 2};
        for (size_t q = 0; q < nt; q++) {
            memcpy(s + q * (size_t)k, c, (size_t)k * sizeof *c);
            next_comb(c, k, d);
        }
        if (!all) { /* partial Fisher–Yates: the first max_sets of a random order */
            gsl_rng *r = rng_stream(seed, 0);
            if (!r) {
                free(s);
                return PA_ENOMEM;
            }
            for (size_t q = 0; q < max_sets; q++) {
                size_t o = q + (size_t)rng_below(r, nt - q);
                for (int a = 0; a < k; a++) {
                    size_t t = s[q * (size_t)k + (size_t)a];
                    s[q * (size_t)k + (size_t)a] = s[o * (size_t)k + (size_t)a];
                    s[o * (size_t)k + (size_t)a] = t;
                }
            }
            gsl_rng_free(r);
            nt = max_sets;
        }
        *sets = s;
        *ns = nt;
        return PA_OK;
    }
    /* many more subsets than wanted: draw random ones, reject repeats */
    size_t *s = malloc(max_sets * (size_t)k * sizeof *s);
    gsl_rng *r = rng_stream(seed, 0);
    if (!s || !r) {
        free(s);
        gsl_rng_free(r);
        return PA_ENOMEM;
    }
    size_t got = 0;
    while (got < max_sets) {
        size_t *c = s + got * (size_t)k;
        for (int a = 0; a < k; a++) {
            int dup;
            do {
                c[a] = (size_t)rng_below(r, d);
                dup = 0;
                for (int b = 0; b < a; b++)
                    dup |= c[b] == c[a];
            } while (dup);
        }
        qsort(c, (size_t)k, sizeof *c, cmp_size);
        int seen = 0;
        for (size_t q = 0; q < got && !seen; q++)
            seen = memcmp(s + q * (size_t)k, c, (size_t)k * sizeof *c) == 0;
        if (!seen)
            got++;
    }
    gsl_rng_free(r);
    *sets = s;
    *ns = max_sets;
    return PA_OK;
}

int util_tvd(const table *real, const table *synth, int k, size_t max_sets, size_t bins, uint64_t seed,
             double *mean, double *max, pa_err *err)
{
    *mean = NAN;
    *max = NAN;
    int rc = same_schema(real, synth, "util_tvd", err);
    if (rc)
        return rc;
    if (k < 1 || k > 3 || (size_t)k > real->d)
        return pa_errf(err, PA_EINPUT, "util_tvd: k = %d; expected 1, 2 or 3 and at most the %zu columns", k,
                       real->d);
    if (real->n == 0 || synth->n == 0)
        return pa_errf(err, PA_EINPUT, "util_tvd: a table has no records (real %zu, synthetic %zu)", real->n,
                       synth->n);
    int32_t *ca = NULL, *cb = NULL;
    size_t *card = NULL, *card2 = NULL, *sets = NULL, ns = 0;
    if (encode(real, bins, &ca, &card) || encode(synth, bins, &cb, &card2) ||
        tvd_subsets(real->d, k, max_sets, seed, &sets, &ns)) {
        rc = pa_errf(err, PA_ENOMEM, "util_tvd: out of memory");
        goto done;
    }
    double sum = 0, mx = 0;
    for (size_t q = 0; q < ns; q++) {
        double t;
        if (tvd_one(ca, real->n, cb, synth->n, card, sets + q * (size_t)k, k, &t)) {
            rc = pa_errf(err, PA_ENOMEM, "util_tvd: out of memory");
            goto done;
        }
        sum += t;
        mx = fmax(mx, t);
    }
    *mean = sum / (double)ns;
    *max = mx;
done:
    free(ca);
    free(cb);
    free(card);
    free(card2);
    free(sets);
    return rc;
}

/* Codes of the columns with need[j] set (others left unset), as encode()
 * computes them; categorical codes are copied without a call per value. */
static int encode_some(const table *t, size_t bins, const unsigned char *need, int32_t **codes, size_t **card)
{
    *codes = malloc(t->d * (t->n ? t->n : 1) * sizeof **codes);
    *card = malloc((t->d ? t->d : 1) * sizeof **card);
    if (!*codes || !*card) {
        free(*codes);
        free(*card);
        *codes = NULL;
        *card = NULL;
        return PA_ENOMEM;
    }
    for (size_t j = 0; j < t->d; j++) {
        const col_spec *c = &t->s->cols[j];
        (*card)[j] = util_col_bins(c, bins);
        if (!need[j])
            continue;
        int32_t *out = *codes + j * t->n;
        if (c->kind == COL_CAT) {
            const int32_t *x = t->cat[j], size = (int32_t)c->size;
            for (size_t i = 0; i < t->n; i++)
                out[i] = x[i] >= 0 && x[i] < size ? x[i] : 0; /* util_col_bin's rule for codes */
        } else {
            for (size_t i = 0; i < t->n; i++)
                out[i] = (int32_t)util_col_bin(c, bins, t->num[j][i]);
        }
    }
    return PA_OK;
}

int util_tvd_orders(const table *real, const table *synth, unsigned orders, size_t max_sets, size_t bins,
                    uint64_t seed, double mean[3], pa_err *err)
{
    for (int k = 0; k < 3; k++)
        mean[k] = NAN;
    int rc = same_schema(real, synth, "util_tvd", err);
    if (rc)
        return rc;
    if (real->n == 0 || synth->n == 0)
        return pa_errf(err, PA_EINPUT, "util_tvd: a table has no records (real %zu, synthetic %zu)", real->n,
                       synth->n);
    size_t *sets[3] = {NULL, NULL, NULL}, ns[3] = {0, 0, 0};
    unsigned char *need = calloc(real->d + 1, 1);
    int32_t *ca = NULL, *cb = NULL;
    size_t *card = NULL, *card2 = NULL;
    if (!need) {
        rc = pa_errf(err, PA_ENOMEM, "util_tvd: out of memory");
        goto done;
    }
    for (int k = 1; k <= 3; k++) {
        if (!(orders & (1u << (k - 1))) || (size_t)k > real->d)
            continue;
        if (tvd_subsets(real->d, k, max_sets, seed, &sets[k - 1], &ns[k - 1])) {
            rc = pa_errf(err, PA_ENOMEM, "util_tvd: out of memory");
            goto done;
        }
        for (size_t q = 0; q < ns[k - 1] * (size_t)k; q++)
            need[sets[k - 1][q]] = 1;
    }
    if (encode_some(real, bins, need, &ca, &card) || encode_some(synth, bins, need, &cb, &card2)) {
        rc = pa_errf(err, PA_ENOMEM, "util_tvd: out of memory");
        goto done;
    }
    for (int k = 1; k <= 3; k++) {
        if (!sets[k - 1])
            continue;
        double sum = 0;
        for (size_t q = 0; q < ns[k - 1]; q++) {
            double t;
            if (tvd_one(ca, real->n, cb, synth->n, card, sets[k - 1] + q * (size_t)k, k, &t)) {
                rc = pa_errf(err, PA_ENOMEM, "util_tvd: out of memory");
                goto done;
            }
            sum += t;
        }
        mean[k - 1] = sum / (double)ns[k - 1];
    }
done:
    if (rc)
        for (int k = 0; k < 3; k++)
            mean[k] = NAN;
    for (int k = 0; k < 3; k++)
        free(sets[k]);
    free(need);
    free(ca);
    free(cb);
    free(card);
    free(card2);
    return rc;
}

/* ---- association ---- */

static double pearson(const double *x, const double *y, size_t n)
{
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double a = x[i] - mx, b = y[i] - my;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if (!(sxx > 0) || !(syy > 0))
        return 0;
    return sxy / sqrt(sxx * syy);
}

/* Cramér's V of two code columns over the categories observed. cells is a
 * zeroed scratch of ca*cb doubles, left zeroed. */
static double cramer_v(const int32_t *x, const int32_t *y, size_t n, size_t ca, size_t cb, double *cells,
                       double *rs, double *cs)
{
    memset(rs, 0, ca * sizeof *rs);
    memset(cs, 0, cb * sizeof *cs);
    for (size_t i = 0; i < n; i++) {
        cells[(size_t)x[i] * cb + (size_t)y[i]] += 1;
        rs[x[i]] += 1;
        cs[y[i]] += 1;
    }
    size_t r = 0, c = 0;
    for (size_t u = 0; u < ca; u++)
        r += rs[u] > 0;
    for (size_t v = 0; v < cb; v++)
        c += cs[v] > 0;
    /* χ² = n (Σ O²/(R C) − 1); only non-empty cells contribute */
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double *o = &cells[(size_t)x[i] * cb + (size_t)y[i]];
        if (*o > 0) {
            s += *o * *o / (rs[x[i]] * cs[y[i]]);
            *o = 0;
        }
    }
    size_t m = r < c ? r : c;
    if (m < 2)
        return 0;
    double chi2 = (double)n * (s - 1.0);
    double v = chi2 / (double)n / (double)(m - 1);
    return v > 0 ? sqrt(v) : 0;
}

static int assoc_matrix(const table *t, size_t bins, double *A, pa_err *err)
{
    int32_t *codes = NULL;
    size_t *card = NULL, d = t->d, n = t->n;
    if (encode(t, bins, &codes, &card))
        return pa_errf(err, PA_ENOMEM, "util_corr_diff: out of memory");
    size_t maxc = 1, maxcell = 1;
    for (size_t j = 0; j < d; j++)
        maxc = card[j] > maxc ? card[j] : maxc;
    for (size_t i = 0; i < d; i++)
        for (size_t j = i + 1; j < d; j++)
            if (!(t->s->cols[i].kind == COL_NUM && t->s->cols[j].kind == COL_NUM) && card[i] * card[j] > maxcell)
                maxcell = card[i] * card[j];
    if (maxcell > ((size_t)1 << 27)) {
        free(codes);
        free(card);
        return pa_errf(err, PA_EINPUT, "util_corr_diff: a contingency table has %zu cells (limit 2^27); lower bins",
                       maxcell);
    }
    double *cells = calloc(maxcell, sizeof *cells), *rs = malloc(maxc * sizeof *rs), *cs = malloc(maxc * sizeof *cs);
    if (!cells || !rs || !cs) {
        free(cells);
        free(rs);
        free(cs);
        free(codes);
        free(card);
        return pa_errf(err, PA_ENOMEM, "util_corr_diff: out of memory");
    }
    for (size_t i = 0, q = 0; i < d; i++)
        for (size_t j = i + 1; j < d; j++, q++) {
            if (n < 2)
                A[q] = 0;
            else if (t->s->cols[i].kind == COL_NUM && t->s->cols[j].kind == COL_NUM)
                A[q] = pearson(t->num[i], t->num[j], n);
            else
                A[q] = cramer_v(codes + i * n, codes + j * n, n, card[i], card[j], cells, rs, cs);
        }
    free(cells);
    free(rs);
    free(cs);
    free(codes);
    free(card);
    return PA_OK;
}

int util_corr_diff(const table *real, const table *synth, size_t bins, double *mean, double *max, pa_err *err)
{
    *mean = NAN;
    *max = NAN;
    int rc = same_schema(real, synth, "util_corr_diff", err);
    if (rc)
        return rc;
    size_t d = real->d, np = d * (d - (d > 0)) / 2;
    if (np == 0) {
        *mean = 0;
        *max = 0;
        return PA_OK;
    }
    double *A = malloc(np * sizeof *A), *B = malloc(np * sizeof *B);
    if (!A || !B) {
        free(A);
        free(B);
        return pa_errf(err, PA_ENOMEM, "util_corr_diff: out of memory");
    }
    if ((rc = assoc_matrix(real, bins, A, err)) || (rc = assoc_matrix(synth, bins, B, err))) {
        free(A);
        free(B);
        return rc;
    }
    double s = 0, mx = 0;
    for (size_t q = 0; q < np; q++) {
        double e = fabs(A[q] - B[q]);
        s += e;
        mx = fmax(mx, e);
    }
    free(A);
    free(B);
    *mean = s / (double)np;
    *max = mx;
    return PA_OK;
}

/* ---- raw values of numeric columns ---- */

const double util_quantile_levels[UTIL_NQ] = {0.05, 0.25, 0.5, 0.75, 0.95};

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.quantile (method "linear") of sorted x[0..n-1] at level p */
static double quantile_sorted(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p, f = floor(h);
    size_t i = (size_t)f;
    if (i + 1 >= n)
        return x[n - 1];
    return x[i] + (h - f) * (x[i + 1] - x[i]);
}

/* W1 and KS of sorted a (na) and b (nb), both > 0: walk the merged values;
 * between consecutive distinct values both CDFs are constant. */
static void w1_ks_sorted(const double *a, size_t na, const double *b, size_t nb, double *w1, double *ks)
{
    size_t i = 0, j = 0;
    double w = 0, k = 0;
    while (i < na || j < nb) {
        double x = i < na && (j >= nb || a[i] <= b[j]) ? a[i] : b[j];
        while (i < na && a[i] == x)
            i++;
        while (j < nb && b[j] == x)
            j++;
        double diff = fabs((double)i / (double)na - (double)j / (double)nb);
        k = fmax(k, diff);
        if (i < na || j < nb) {
            double next = i < na && (j >= nb || a[i] <= b[j]) ? a[i] : b[j];
            w += diff * (next - x);
        }
    }
    *w1 = w;
    *ks = k;
}

/* bin of v among sorted unique edges e[0..ne-1]: the number of edges < v */
static size_t edge_bin(const double *e, size_t ne, double v)
{
    size_t lo = 0, hi = ne;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int util_num_compare(const table *real, const table *synth, size_t j, size_t bins, util_num_stats *out,
                     pa_err *err)
{
    memset(out, 0, sizeof *out);
    out->w1 = out->ks = out->mean_real = out->mean_synth = NAN;
    out->decile_share_synth = out->decile_share_real = out->bin_share_real = NAN;
    for (size_t q = 0; q < UTIL_NQ; q++)
        out->q_real[q] = out->q_synth[q] = NAN;
    int rc = same_schema(real, synth, "util_num_compare", err);
    if (rc)
        return rc;
    if (j >= real->d || real->s->cols[j].kind != COL_NUM)
        return pa_errf(err, PA_EINPUT, "util_num_compare: column %zu is not a numeric column", j);
    size_t na = real->n, nb = synth->n;
    if (na == 0 || nb == 0)
        return pa_errf(err, PA_EINPUT, "util_num_compare: an empty table (%zu real, %zu synthetic records)", na, nb);
    const col_spec *c = &real->s->cols[j];
    size_t nbins = util_col_bins(c, bins);
    double *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b);
    double *cnt = calloc(nbins > 10 ? nbins : 10, sizeof *cnt), *cs = calloc(10, sizeof *cs);
    if (!a || !b || !cnt || !cs) {
        free(a);
        free(b);
        free(cnt);
        free(cs);
        return pa_errf(err, PA_ENOMEM, "util_num_compare: out of memory");
    }
    memcpy(a, real->num[j], na * sizeof *a);
    memcpy(b, synth->num[j], nb * sizeof *b);
    qsort(a, na, sizeof *a, cmp_dbl);
    qsort(b, nb, sizeof *b, cmp_dbl);
    double sa = 0, sb = 0;
    for (size_t i = 0; i < na; i++)
        sa += a[i];
    for (size_t i = 0; i < nb; i++)
        sb += b[i];
    out->mean_real = sa / (double)na;
    out->mean_synth = sb / (double)nb;
    for (size_t q = 0; q < UTIL_NQ; q++) {
        out->q_real[q] = quantile_sorted(a, na, util_quantile_levels[q]);
        out->q_synth[q] = quantile_sorted(b, nb, util_quantile_levels[q]);
    }
    w1_ks_sorted(a, na, b, nb, &out->w1, &out->ks);
    /* check 1: the real deciles */
    double e[9];
    size_t ne = 0;
    for (int q = 1; q <= 9; q++) {
        double v = quantile_sorted(a, na, q / 10.0);
        if (ne == 0 || v > e[ne - 1])
            e[ne++] = v;
    }
    double cr[10] = {0};
    for (size_t i = 0; i < na; i++)
        cr[edge_bin(e, ne, a[i])] += 1.0 / (double)na;
    for (size_t i = 0; i < nb; i++)
        cs[edge_bin(e, ne, b[i])] += 1.0 / (double)nb;
    size_t top = 0;
    for (size_t k = 1; k <= ne; k++)
        if (cs[k] > cs[top])
            top = k;
    out->decile_share_synth = cs[top];
    out->decile_share_real = cr[top];
    out->collapse = cs[top] > UTIL_COLLAPSE_SHARE && cr[top] <= UTIL_COLLAPSE_SHARE;
    /* check 2: the shared binning */
    for (size_t i = 0; i < na; i++)
        cnt[util_col_bin(c, bins, a[i])] += 1.0 / (double)na;
    size_t tb = 0;
    for (size_t k = 1; k < nbins; k++)
        if (cnt[k] > cnt[tb])
            tb = k;
    out->bin_share_real = cnt[tb];
    out->bin_real = tb;
    /* a bin holding one distinct value hides nothing (a column that is mostly 0) */
    double vmin = INFINITY, vmax = -INFINITY;
    for (size_t i = 0; i < na; i++)
        if (util_col_bin(c, bins, a[i]) == tb) {
            vmin = fmin(vmin, a[i]);
            vmax = fmax(vmax, a[i]);
        }
    out->coarse = cnt[tb] > UTIL_COLLAPSE_SHARE && vmax > vmin;
    free(a);
    free(b);
    free(cnt);
    free(cs);
    return PA_OK;
}

int util_num_corr_diff(const table *real, const table *synth, double *mean, double *max, size_t *pairs,
                       pa_err *err)
{
    *mean = NAN;
    *max = NAN;
    *pairs = 0;
    int rc = same_schema(real, synth, "util_num_corr_diff", err);
    if (rc)
        return rc;
    double s = 0, mx = 0;
    size_t np = 0;
    for (size_t i = 0; i < real->d; i++)
        for (size_t j = i + 1; j < real->d; j++) {
            if (real->s->cols[i].kind != COL_NUM || real->s->cols[j].kind != COL_NUM)
                continue;
            double e = fabs(pearson(real->num[i], real->num[j], real->n) - pearson(synth->num[i], synth->num[j], synth->n));
            s += e;
            mx = fmax(mx, e);
            np++;
        }
    *mean = np ? s / (double)np : 0;
    *max = mx;
    *pairs = np;
    return PA_OK;
}

/* ---- AUC ---- */

double util_auc(const double *score, const int *label, size_t n)
{
    roc_curve *c;
    if (roc_build(score, label, n, &c, NULL) != PA_OK)
        return NAN; /* a class is absent (or a score is NaN) */
    double a = roc_auc(c);
    roc_free(c);
    return a;
}

/* ---- logistic / softmax regression ---- */

typedef struct lr_data {
    size_t n;          /* records */
    size_t p;          /* features incl. intercept (last) */
    size_t K;          /* outputs K' */
    size_t nc;         /* categorical predictors */
    size_t q;          /* numeric predictors */
    size_t numoff;     /* index of the first numeric feature */
    size_t *idx;       /* (n, nc) feature index of each one-hot 1 */
    double *xnum;      /* (n, q) min-max scaled numerics */
    int32_t *y;        /* (n) class codes */
    double *z;         /* (n, K') logits / residuals scratch */
    double lambda;     /* L2 strength */
} lr_data;

/* Fills d->z with the logits of parameters th (K', p). */
static void lr_logits(const lr_data *d, const double *th)
{
    size_t n = d->n, K = d->K, p = d->p;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < K; k++) {
            double s = th[k * p + p - 1];
            for (size_t c = 0; c < d->nc; c++)
                s += th[k * p + d->idx[i * d->nc + c]];
            d->z[i * K + k] = s;
        }
    if (d->q) /* Z (n, K') += Xnum (n, q) · Θnum^T (q, K') */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)K, (int)d->q, 1.0, d->xnum, (int)d->q,
                    th + d->numoff, (int)p, 1.0, d->z, (int)K);
}

/* Mean log-loss + λ/2 ‖Θ without intercept‖²; if g, its gradient (K', p). */
static double lr_eval(const lr_data *d, const double *th, double *g)
{
    size_t n = d->n, K = d->K, p = d->p;
    lr_logits(d, th);
    double loss = 0;
    for (size_t i = 0; i < n; i++) {
        double *z = d->z + i * K;
        if (K == 1) {
            double t = z[0], y = d->y[i] == 1;
            loss += (t > 0 ? t + log1p(exp(-t)) : log1p(exp(t))) - y * t;
            z[0] = 1.0 / (1.0 + exp(-t)) - y; /* residual */
        } else {
            double mx = z[0];
            for (size_t k = 1; k < K; k++)
                mx = fmax(mx, z[k]);
            double s = 0;
            for (size_t k = 0; k < K; k++)
                s += exp(z[k] - mx);
            double lse = mx + log(s);
            loss += lse - z[d->y[i]];
            for (size_t k = 0; k < K; k++)
                z[k] = exp(z[k] - lse) - (d->y[i] == (int32_t)k);
        }
    }
    loss /= (double)n;
    double reg = 0;
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j + 1 < p; j++)
            reg += th[k * p + j] * th[k * p + j];
    loss += 0.5 * d->lambda * reg;
    if (g) {
        memset(g, 0, K * p * sizeof *g);
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < K; k++) {
                double rik = d->z[i * K + k];
                g[k * p + p - 1] += rik;
                for (size_t c = 0; c < d->nc; c++)
                    g[k * p + d->idx[i * d->nc + c]] += rik;
            }
        if (d->q) /* G_num (K', q) = R^T (K', n) · Xnum (n, q) */
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)d->q, (int)n, 1.0, d->z, (int)K,
                        d->xnum, (int)d->q, 0.0, g + d->numoff, (int)p);
        for (size_t k = 0; k < K; k++)
            for (size_t j = 0; j < p; j++) {
                g[k * p + j] /= (double)n;
                if (j + 1 < p)
                    g[k * p + j] += d->lambda * th[k * p + j];
            }
    }
    return loss;
}

static double lr_f(const gsl_vector *v, void *par)
{
    return lr_eval(par, v->data, NULL);
}

static void lr_df(const gsl_vector *v, void *par, gsl_vector *g)
{
    lr_eval(par, v->data, g->data);
}

static void lr_fdf(const gsl_vector *v, void *par, double *f, gsl_vector *g)
{
    *f = lr_eval(par, v->data, g->data);
}

/* Newton's method with backtracking (Armijo) line search for the binary
 * model (K' = 1): H = (1/n) Σ_i w_i x_i x_iᵀ + λ I (no λ on the intercept),
 * w_i = σ(z_i)(1 − σ(z_i)), accumulated over each record's non-zero
 * features (one per categorical column, the numerics, the intercept), then
 * a Cholesky solve (GSL). Stops at a gradient norm of 1e-10, when no step
 * decreases the objective, or after 100 steps. th (p) holds the start and
 * receives the result. Returns PA_OK or PA_ENOMEM. */
static int lr_newton(const lr_data *d, double *th)
{
    size_t p = d->p, n = d->n, na = d->nc + d->q + 1;
    gsl_matrix *H = gsl_matrix_alloc(p, p);
    gsl_vector *g = gsl_vector_alloc(p), *step = gsl_vector_alloc(p);
    double *tn = malloc(p * sizeof *tn), *av = malloc(na * sizeof *av);
    size_t *ai = malloc(na * sizeof *ai);
    int rc = PA_OK;
    if (!H || !g || !step || !tn || !av || !ai) {
        rc = PA_ENOMEM;
        goto done;
    }
    double f = lr_eval(d, th, g->data);
    for (int it = 0; it < 100; it++) {
        double gn = gsl_blas_dnrm2(g);
        if (!(gn > 1e-10))
            break;
        lr_logits(d, th);
        gsl_matrix_set_zero(H);
        for (size_t i = 0; i < n; i++) {
            double sg = 1.0 / (1.0 + exp(-d->z[i])), w = sg * (1 - sg) / (double)n;
            size_t k = 0;
            for (size_t c = 0; c < d->nc; c++, k++) {
                ai[k] = d->idx[i * d->nc + c];
                av[k] = 1;
            }
            for (size_t l = 0; l < d->q; l++, k++) {
                ai[k] = d->numoff + l;
                av[k] = d->xnum[i * d->q + l];
            }
            ai[k] = p - 1;
            av[k] = 1;
            for (size_t a = 0; a < na; a++)
                for (size_t b = 0; b < na; b++)
                    H->data[ai[a] * H->tda + ai[b]] += w * av[a] * av[b];
        }
        for (size_t j = 0; j + 1 < p; j++)
            H->data[j * H->tda + j] += d->lambda;
        H->data[(p - 1) * H->tda + (p - 1)] += 1e-12; /* keeps H definite if one class is absent */
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        int bad = gsl_linalg_cholesky_decomp1(H) || gsl_linalg_cholesky_solve(H, g, step);
        gsl_set_error_handler(old);
        if (bad)
            break;
        double slope = 0;
        for (size_t j = 0; j < p; j++)
            slope += g->data[j] * step->data[j];
        double t = 1, fn = f;
        int ok = 0;
        for (int b = 0; b < 40 && !ok; b++, t /= 2) {
            for (size_t j = 0; j < p; j++)
                tn[j] = th[j] - t * step->data[j];
            fn = lr_eval(d, tn, NULL);
            ok = fn <= f - 1e-4 * t * slope;
        }
        if (!ok)
            break;
        memcpy(th, tn, p * sizeof *th);
        f = lr_eval(d, th, g->data);
    }
done:
    gsl_matrix_free(H);
    gsl_vector_free(g);
    gsl_vector_free(step);
    free(tn);
    free(av);
    free(ai);
    return rc;
}

static void lr_data_free(lr_data *d)
{
    free(d->idx);
    free(d->xnum);
    free(d->y);
    free(d->z);
}

/* Builds the design of t for target column tj; p, K', offsets from t's schema. */
static int lr_design(const table *t, size_t tj, size_t K, lr_data *d)
{
    const schema *s = t->s;
    memset(d, 0, sizeof *d);
    d->n = t->n;
    d->K = K;
    size_t off = 0;
    for (size_t j = 0; j < t->d; j++) {
        if (j == tj)
            continue;
        if (s->cols[j].kind == COL_CAT) {
            d->nc++;
            off += s->cols[j].size;
        } else {
            d->q++;
        }
    }
    d->numoff = off;
    d->p = off + d->q + 1;
    size_t n = t->n ? t->n : 1;
    d->idx = malloc(n * (d->nc ? d->nc : 1) * sizeof *d->idx);
    d->xnum = malloc(n * (d->q ? d->q : 1) * sizeof *d->xnum);
    d->y = malloc(n * sizeof *d->y);
    d->z = malloc(n * K * sizeof *d->z);
    if (!d->idx || !d->xnum || !d->y || !d->z) {
        lr_data_free(d);
        return PA_ENOMEM;
    }
    off = 0;
    size_t c = 0, l = 0;
    for (size_t j = 0; j < t->d; j++) {
        if (j == tj)
            continue;
        const col_spec *cs = &s->cols[j];
        if (cs->kind == COL_CAT) {
            for (size_t i = 0; i < t->n; i++) {
                int32_t v = t->cat[j][i];
                d->idx[i * d->nc + c] = off + (v >= 0 && (size_t)v < cs->size ? (size_t)v : 0);
            }
            off += cs->size;
            c++;
        } else {
            for (size_t i = 0; i < t->n; i++) {
                double v = (t->num[j][i] - cs->lo) / (cs->hi - cs->lo);
                d->xnum[i * d->q + l] = v < 0 ? 0 : v > 1 ? 1 : v;
            }
            l++;
        }
    }
    for (size_t i = 0; i < t->n; i++)
        d->y[i] = t->cat[tj][i];
    return PA_OK;
}

int util_tstr(const table *train, const table *test, const char *target, util_model m, double *acc, double *auc,
              pa_err *err)
{
    *acc = NAN;
    *auc = NAN;
    int rc = same_schema(train, test, "util_tstr", err);
    if (rc)
        return rc;
    if (m == UTIL_MLP)
        return util_tstr_mlp(train, test, target, NULL, acc, auc, err);
    if (m == UTIL_CNN)
        return util_tstr_cnn(train, test, target, NULL, acc, auc, err);
    if (m != UTIL_LOGREG)
        return pa_errf(err, PA_EINPUT, "util_tstr: model %d is not available (UTIL_LOGREG, UTIL_MLP or UTIL_CNN)",
                       (int)m);
    int tj = target ? schema_col(train->s, target) : -1;
    if (tj < 0)
        return pa_errf(err, PA_EINPUT, "util_tstr: target column '%s' is not in the schema",
                       target ? target : "(null)");
    const col_spec *tc = &train->s->cols[tj];
    if (tc->kind != COL_CAT || tc->size < 2)
        return pa_errf(err, PA_EINPUT, "util_tstr: target column '%s' must be categorical with at least 2 codes",
                       target);
    if (train->n == 0 || test->n == 0)
        return pa_errf(err, PA_EINPUT, "util_tstr: a table has no records (train %zu, test %zu)", train->n, test->n);
    size_t K = tc->size == 2 ? 1 : tc->size;
    lr_data tr, te;
    if (lr_design(train, (size_t)tj, K, &tr))
        return pa_errf(err, PA_ENOMEM, "util_tstr: out of memory");
    if (lr_design(test, (size_t)tj, K, &te)) {
        lr_data_free(&tr);
        return pa_errf(err, PA_ENOMEM, "util_tstr: out of memory");
    }
    tr.lambda = 1.0 / (double)train->n;
    size_t np = K * tr.p;
    gsl_multimin_fdfminimizer *mn = NULL;
    gsl_vector *x0 = gsl_vector_calloc(np);
    if (!x0) {
        rc = pa_errf(err, PA_ENOMEM, "util_tstr: out of memory");
        goto done;
    }
    if (K == 1) {
        if (lr_newton(&tr, x0->data)) {
            rc = pa_errf(err, PA_ENOMEM, "util_tstr: out of memory");
            goto done;
        }
    } else {
        mn = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, np);
        if (!mn) {
            rc = pa_errf(err, PA_ENOMEM, "util_tstr: out of memory");
            goto done;
        }
        gsl_multimin_function_fdf fn = {.f = lr_f, .df = lr_df, .fdf = lr_fdf, .n = np, .params = &tr};
        gsl_multimin_fdfminimizer_set(mn, &fn, x0, 0.1, 0.1);
        for (int it = 0; it < 1000; it++) {
            if (gsl_multimin_fdfminimizer_iterate(mn)) /* no further progress possible */
                break;
            if (gsl_multimin_test_gradient(mn->gradient, 1e-6) == GSL_SUCCESS)
                break;
        }
        gsl_vector_memcpy(x0, mn->x);
    }
    lr_logits(&te, x0->data);
    double *p1 = malloc(test->n * sizeof *p1);
    int *lab = malloc(test->n * sizeof *lab);
    if (!p1 || !lab) {
        free(p1);
        free(lab);
        rc = pa_errf(err, PA_ENOMEM, "util_tstr: out of memory");
        goto done;
    }
    size_t right = 0;
    for (size_t i = 0; i < test->n; i++) {
        const double *z = te.z + i * K;
        size_t pred;
        if (K == 1) {
            p1[i] = 1.0 / (1.0 + exp(-z[0]));
            pred = z[0] > 0;
        } else {
            pred = 0;
            for (size_t k = 1; k < K; k++)
                if (z[k] > z[pred])
                    pred = k;
        }
        lab[i] = te.y[i] == 1;
        right += (int32_t)pred == te.y[i];
    }
    *acc = (double)right / (double)test->n;
    if (K == 1)
        *auc = util_auc(p1, lab, test->n);
    free(p1);
    free(lab);
done:
    if (mn)
        gsl_multimin_fdfminimizer_free(mn);
    gsl_vector_free(x0);
    lr_data_free(&tr);
    lr_data_free(&te);
    return rc;
}

/* ---- MLP classifier (util_tstr_mlp) ---- */

/* Dense float features X (n, p) with p = d->p − 1 (no intercept) from a design. */
static float *mlp_dense(const lr_data *d)
{
    size_t n = d->n, p = d->p > 1 ? d->p - 1 : 1; /* no predictor: one constant 0 input */
    float *X = pa_calloc(n ? n * p : 1, sizeof *X);
    if (!X)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        float *x = X + i * p;
        for (size_t c = 0; c < d->nc; c++)
            x[d->idx[i * d->nc + c]] = 1.0f;
        for (size_t l = 0; l < d->q; l++)
            x[d->numoff + l] = (float)d->xnum[i * d->q + l];
    }
    return X;
}

int util_tstr_mlp(const table *train, const table *test, const char *target, const util_mlp_cfg *cfg, double *acc,
                  double *auc, pa_err *err)
{
    *acc = NAN;
    *auc = NAN;
    util_mlp_cfg dc = UTIL_MLP_DEFAULTS;
    if (!cfg)
        cfg = &dc;
    if (cfg->hidden < 1 || cfg->epochs < 1 || cfg->batch < 1 || !(cfg->lr > 0) || !isfinite(cfg->lr))
        return pa_errf(err, PA_EINPUT,
                       "util_tstr_mlp: cfg: expected hidden, epochs, batch >= 1 and lr > 0 (got %zu, %zu, %zu, %g)",
                       cfg->hidden, cfg->epochs, cfg->batch, cfg->lr);
    int rc = same_schema(train, test, "util_tstr_mlp", err);
    if (rc)
        return rc;
    int tj = target ? schema_col(train->s, target) : -1;
    if (tj < 0)
        return pa_errf(err, PA_EINPUT, "util_tstr_mlp: target column '%s' is not in the schema",
                       target ? target : "(null)");
    const col_spec *tc = &train->s->cols[tj];
    if (tc->kind != COL_CAT || tc->size < 2)
        return pa_errf(err, PA_EINPUT, "util_tstr_mlp: target column '%s' must be categorical with at least 2 codes",
                       target);
    if (train->n == 0 || test->n == 0)
        return pa_errf(err, PA_EINPUT, "util_tstr_mlp: a table has no records (train %zu, test %zu)", train->n,
                       test->n);
    size_t K = tc->size, n = train->n, nt = test->n;
    lr_data tr, te;
    if (lr_design(train, (size_t)tj, 1, &tr))
        return pa_errf(err, PA_ENOMEM, "util_tstr_mlp: out of memory");
    if (lr_design(test, (size_t)tj, 1, &te)) {
        lr_data_free(&tr);
        return pa_errf(err, PA_ENOMEM, "util_tstr_mlp: out of memory");
    }
    size_t p = tr.p > 1 ? tr.p - 1 : 1, B = cfg->batch < n ? cfg->batch : n;
    float *X = mlp_dense(&tr), *Xt = mlp_dense(&te), *xb = pa_malloc(B * p, sizeof *xb);
    int32_t *yb = pa_malloc(B, sizeof *yb);
    size_t *perm = pa_malloc(n, sizeof *perm);
    double *p1 = pa_malloc(nt, sizeof *p1);
    int *lab = pa_malloc(nt, sizeof *lab);
    gsl_rng *r = rng_stream(cfg->seed, 0);
    mlp *mn = NULL;
    mlp_adam *opt = NULL;
    if (!X || !Xt || !xb || !yb || !perm || !p1 || !lab || !r) {
        rc = pa_errf(err, PA_ENOMEM, "util_tstr_mlp: out of memory");
        goto done;
    }
    size_t width[3] = {p, cfg->hidden, K};
    mlp_spec spec = {.L = 2, .width = width, .hidden = MLP_RELU, .out = MLP_IDENTITY};
    mlp_adam_cfg ac = {.lr = cfg->lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0};
    if ((rc = mlp_new(&spec, &mn, err)) || (rc = mlp_adam_new(mlp_nparams(mn), &ac, &opt, err))) {
        pa_err_prefix(err, "util_tstr_mlp");
        goto done;
    }
    mlp_init(mn, r);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t ep = 0; ep < cfg->epochs; ep++) {
        for (size_t i = n - 1; i > 0; i--) { /* Fisher–Yates */
            size_t k = (size_t)rng_below(r, i + 1), t = perm[i];
            perm[i] = perm[k];
            perm[k] = t;
        }
        for (size_t s = 0; s < n; s += B) {
            size_t b = n - s < B ? n - s : B;
            for (size_t i = 0; i < b; i++) {
                memcpy(xb + i * p, X + perm[s + i] * p, p * sizeof *xb);
                yb[i] = tr.y[perm[s + i]];
            }
            if ((rc = mlp_forward(mn, xb, b, NULL, err)) || (rc = mlp_loss_xent(mn, yb, NULL, NULL, err))) {
                pa_err_prefix(err, "util_tstr_mlp");
                goto done;
            }
            mlp_backward(mn, 1.0f / (float)b);
            mlp_adam_step(opt, mlp_params(mn), mlp_grads(mn));
        }
    }
    size_t right = 0;
    for (size_t s = 0; s < nt; s += B) {
        size_t b = nt - s < B ? nt - s : B;
        const float *Y;
        if ((rc = mlp_forward(mn, Xt + s * p, b, &Y, err))) {
            pa_err_prefix(err, "util_tstr_mlp");
            goto done;
        }
        for (size_t i = 0; i < b; i++) {
            const float *z = Y + i * K;
            size_t pred = 0;
            for (size_t k = 1; k < K; k++)
                if (z[k] > z[pred])
                    pred = k;
            right += (int32_t)pred == te.y[s + i];
            if (K == 2) {
                p1[s + i] = 1.0 / (1.0 + exp((double)z[0] - (double)z[1]));
                lab[s + i] = te.y[s + i] == 1;
            }
        }
    }
    *acc = (double)right / (double)nt;
    if (K == 2)
        *auc = util_auc(p1, lab, nt);
done:
    if (rc) {
        *acc = NAN;
        *auc = NAN;
    }
    mlp_adam_free(opt);
    mlp_free(mn);
    if (r)
        gsl_rng_free(r);
    free(X);
    free(Xt);
    free(xb);
    free(yb);
    free(perm);
    free(p1);
    free(lab);
    lr_data_free(&tr);
    lr_data_free(&te);
    return rc;
}

/* ---- ConvNet classifier (util_tstr_cnn) ---- */

int util_tstr_cnn(const table *train, const table *test, const char *target, const util_mlp_cfg *cfg, double *acc,
                  double *auc, pa_err *err)
{
    *acc = NAN;
    *auc = NAN;
    util_mlp_cfg dc = UTIL_CNN_DEFAULTS;
    if (!cfg)
        cfg = &dc;
    if (cfg->hidden < 1 || cfg->epochs < 1 || cfg->batch < 1 || !(cfg->lr > 0) || !isfinite(cfg->lr))
        return pa_errf(err, PA_EINPUT,
                       "util_tstr_cnn: cfg: expected hidden, epochs, batch >= 1 and lr > 0 (got %zu, %zu, %zu, %g)",
                       cfg->hidden, cfg->epochs, cfg->batch, cfg->lr);
    int rc = same_schema(train, test, "util_tstr_cnn", err);
    if (rc)
        return rc;
    int tj = target ? schema_col(train->s, target) : -1;
    if (tj < 0)
        return pa_errf(err, PA_EINPUT, "util_tstr_cnn: target column '%s' is not in the schema",
                       target ? target : "(null)");
    const col_spec *tc = &train->s->cols[tj];
    if (tc->kind != COL_CAT || tc->size < 2)
        return pa_errf(err, PA_EINPUT, "util_tstr_cnn: target column '%s' must be categorical with at least 2 codes",
                       target);
    size_t npx = train->d - 1, side = (size_t)floor(sqrt((double)npx) + 0.5);
    for (size_t j = 0; j < train->d; j++)
        if ((int)j != tj && train->s->cols[j].kind != COL_NUM)
            return pa_errf(err, PA_EINPUT, "util_tstr_cnn: column '%s' is categorical; the ConvNet reads every "
                           "column but the target as the pixels of one square grey image", train->s->cols[j].name);
    if (side * side != npx || side < 4)
        return pa_errf(err, PA_EINPUT, "util_tstr_cnn: %zu pixel columns are not a square image of side >= 4", npx);
    if (train->n == 0 || test->n == 0)
        return pa_errf(err, PA_EINPUT, "util_tstr_cnn: a table has no records (train %zu, test %zu)", train->n,
                       test->n);
    size_t K = tc->size, n = train->n, nt = test->n;
    lr_data tr, te;
    if (lr_design(train, (size_t)tj, 1, &tr))
        return pa_errf(err, PA_ENOMEM, "util_tstr_cnn: out of memory");
    if (lr_design(test, (size_t)tj, 1, &te)) {
        lr_data_free(&tr);
        return pa_errf(err, PA_ENOMEM, "util_tstr_cnn: out of memory");
    }
    size_t p = npx, B = cfg->batch < n ? cfg->batch : n;
    float *X = mlp_dense(&tr), *Xt = mlp_dense(&te), *xb = pa_malloc(B * p, sizeof *xb);
    int32_t *yb = pa_malloc(B, sizeof *yb);
    size_t *perm = pa_malloc(n, sizeof *perm);
    double *p1 = pa_malloc(nt, sizeof *p1);
    int *lab = pa_malloc(nt, sizeof *lab);
    gsl_rng *r = rng_stream(cfg->seed, 0);
    net *cn = NULL;
    mlp_adam *opt = NULL;
    if (!X || !Xt || !xb || !yb || !perm || !p1 || !lab || !r) {
        rc = pa_errf(err, PA_ENOMEM, "util_tstr_cnn: out of memory");
        goto done;
    }
    /* two blocks conv 3x3 (hidden channels, pad 1) → instance norm → ReLU →
     * 2x2 average pool, then dense → K */
    size_t C = cfg->hidden;
    net_layer_spec L[10] = {
        {.kind = NET_CONV, .out = C, .k = 3, .stride = 1, .pad = 1}, {.kind = NET_GROUPNORM, .groups = C},
        {.kind = NET_ACT, .act = NET_RELU}, {.kind = NET_AVGPOOL, .k = 2, .stride = 2},
        {.kind = NET_CONV, .out = C, .k = 3, .stride = 1, .pad = 1}, {.kind = NET_GROUPNORM, .groups = C},
        {.kind = NET_ACT, .act = NET_RELU}, {.kind = NET_AVGPOOL, .k = 2, .stride = 2},
        {.kind = NET_FLATTEN}, {.kind = NET_DENSE, .out = K}};
    net_spec ns = {.H = side, .W = side, .C = 1, .L = 10, .layer = L};
    mlp_adam_cfg ac = {.lr = cfg->lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0};
    if ((rc = net_new(&ns, &cn, err)) || (rc = mlp_adam_new(net_nparams(cn), &ac, &opt, err))) {
        pa_err_prefix(err, "util_tstr_cnn");
        goto done;
    }
    net_init(cn, r);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t ep = 0; ep < cfg->epochs; ep++) {
        for (size_t i = n - 1; i > 0; i--) { /* Fisher–Yates */
            size_t k = (size_t)rng_below(r, i + 1), t = perm[i];
            perm[i] = perm[k];
            perm[k] = t;
        }
        for (size_t s0 = 0; s0 < n; s0 += B) {
            size_t b = n - s0 < B ? n - s0 : B;
            for (size_t i = 0; i < b; i++) {
                memcpy(xb + i * p, X + perm[s0 + i] * p, p * sizeof *xb);
                yb[i] = tr.y[perm[s0 + i]];
            }
            if ((rc = net_forward(cn, xb, b, NULL, err)) || (rc = net_loss_xent(cn, yb, NULL, NULL, err))) {
                pa_err_prefix(err, "util_tstr_cnn");
                goto done;
            }
            net_backward(cn, 1.0f / (float)b);
            mlp_adam_step(opt, net_params(cn), net_grads(cn));
        }
    }
    size_t right = 0;
    for (size_t s0 = 0; s0 < nt; s0 += B) {
        size_t b = nt - s0 < B ? nt - s0 : B;
        const float *Y;
        if ((rc = net_forward(cn, Xt + s0 * p, b, &Y, err))) {
            pa_err_prefix(err, "util_tstr_cnn");
            goto done;
        }
        for (size_t i = 0; i < b; i++) {
            const float *z = Y + i * K;
            size_t pred = 0;
            for (size_t k = 1; k < K; k++)
                if (z[k] > z[pred])
                    pred = k;
            right += (int32_t)pred == te.y[s0 + i];
            if (K == 2) {
                p1[s0 + i] = 1.0 / (1.0 + exp((double)z[0] - (double)z[1]));
                lab[s0 + i] = te.y[s0 + i] == 1;
            }
        }
    }
    *acc = (double)right / (double)nt;
    if (K == 2)
        *auc = util_auc(p1, lab, nt);
done:
    if (rc) {
        *acc = NAN;
        *auc = NAN;
    }
    mlp_adam_free(opt);
    net_free(cn);
    if (r)
        gsl_rng_free(r);
    free(X);
    free(Xt);
    free(xb);
    free(yb);
    free(perm);
    free(p1);
    free(lab);
    lr_data_free(&tr);
    lr_data_free(&te);
    return rc;
}
