/* shadow.c — the shadow-model set classifier's feature map (Stadler,
 * Oprisanu, Troncoso, "Synthetic Data – Anonymisation Groundhog Day", USENIX
 * Security 2022; the TAPAS toolbox of Houssiau et al. 2022).
 *
 * m = synthetic records, d = columns, Q = targeted queries.
 *
 * The harness fits the target's generator on auxiliary data with and without
 * the target, describes each shadow release with the features below, trains
 * the classifier named by "classifier" (attacks/classify.h) to tell in from
 * out, and scores the real release by the classifier's P(member).
 *
 * Feature blocks, always in this order whatever the order of "features":
 * - "naive" (3 per column): numeric — mean, median, variance of
 *   (x - lo)/(hi - lo); categorical — the most frequent code and the least
 *   frequent observed code, each divided by size-1 (ties: smallest code), and
 *   the number of distinct codes divided by size.
 * - "histogram": categorical — the share of each code (size values);
 *   numeric — the share in each of "bins" equal bins over the schema's
 *   [lo, hi] (never bounds from the data).
 * - "correlation" (d(d-1)/2): Pearson correlation of every pair of columns
 *   (codes as numbers), pairs (0,1), (0,2), ..., (d-2,d-1); 0 when either
 *   column is constant in the release.
 * - "query" (Q + 1): for each of Q attribute subsets, the share of synthetic
 *   records matching the target on every attribute of the subset
 *   (categorical: equal code; numeric: within 1% of the schema range, as the
 *   "query" attack); then the number of records equal to the target on every
 *   column (exact equality). Subset q has a size drawn uniformly from 1..d and
 *   its columns drawn without replacement, from the stream
 *   rng_stream("seed", SHADOW_QUERY_STREAM): the subsets depend only on the
 *   params, so every shadow and target release (and every target row index)
 *   is described with the same queries.
 * - "marginal" (d + d(d-1)/2; not in the default set): the target's cells in
 *   every 1- and 2-way marginal of the release: for each column j, the share
 *   of synthetic records matching the target on j, then for every pair
 *   (0,1), (0,2), ..., (d-2,d-1) the share matching it on both (matching as
 *   in "query"). With "logreg" the classifier learns, from the shadow
 *   releases, a weight per marginal: the marginal attack's sum of per-cell
 *   likelihood ratios (linear in the counts) with weights fitted to the
 *   generator's actual signal-to-noise per marginal instead of a model of it.
 * An empty release gives zeros.
 *
 * Params: "features" (list of the names above; default all), "queries"
 * (Q, default 100), "bins" (default 10), "seed" (default 0), "classifier"
 * ("logreg" | "forest" | "nb", default "forest") and "classifier_params" (validated
 * by clf_check; read by the harness).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "attacks/classify.h"
#include "attacks/mia.h"
#include "core/rng.h"

#define SHADOW_QUERY_STREAM 0x71756572790aULL   /* "query\n" */

enum { F_NAIVE = 1, F_HIST = 2, F_CORR = 4, F_QUERY = 8, F_ALL = 15, F_MARG = 16 };

typedef struct shadow_opts {
    unsigned feats;   /* OR of F_* */
    size_t queries;   /* Q */
    size_t bins;
    uint64_t seed;
} shadow_opts;

static int int_param(const cJSON *it, double lo, double hi, double *out, pa_err *err)
{
    if (!cJSON_IsNumber(it) || !(it->valuedouble >= lo && it->valuedouble <= hi) ||
        it->valuedouble != floor(it->valuedouble))
        return pa_errf(err, PA_EINPUT, "attack \"shadow\": parameter \"%s\": expected an integer in [%g, %g]",
                       it->string, lo, hi);
    *out = it->valuedouble;
    return PA_OK;
}

static int shadow_opts_read(const cJSON *params, shadow_opts *o, pa_err *err)
{
    *o = (shadow_opts){.feats = F_ALL, .queries = 100, .bins = 10, .seed = 0};
    if (!params)
        return PA_OK;
    if (!cJSON_IsObject(params))
        return pa_errf(err, PA_EINPUT, "attack \"shadow\": params must be a JSON object");
    const char *kind = "forest";
    const cJSON *cparams = NULL;
    for (const cJSON *it = params->child; it; it = it->next) {
        const char *k = it->string;
        double v;
        int rc = PA_OK;
        if (strcmp(k, "features") == 0) {
            if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) == 0)
                return pa_errf(err, PA_EINPUT, "attack \"shadow\": parameter \"features\": expected a non-empty "
                               "list of \"naive\", \"histogram\", \"correlation\", \"query\", \"marginal\"");
            o->feats = 0;
            for (const cJSON *f = it->child; f; f = f->next) {
                const char *s = cJSON_GetStringValue(f);
                unsigned bit = !s                           ? 0
                               : strcmp(s, "naive") == 0       ? F_NAIVE
                               : strcmp(s, "histogram") == 0   ? F_HIST
                               : strcmp(s, "correlation") == 0 ? F_CORR
                               : strcmp(s, "query") == 0       ? F_QUERY
                               : strcmp(s, "marginal") == 0    ? F_MARG
                                                               : 0;
                if (!bit)
                    return pa_errf(err, PA_EINPUT, "attack \"shadow\": parameter \"features\": unknown feature "
                                   "set %s%s%s (expected naive, histogram, correlation, query or marginal)",
                                   s ? "\"" : "", s ? s : "(not a string)", s ? "\"" : "");
                o->feats |= bit;
            }
        } else if (strcmp(k, "queries") == 0) {
            rc = int_param(it, 0, 1e6, &v, err);
            o->queries = (size_t)v;
        } else if (strcmp(k, "bins") == 0) {
            rc = int_param(it, 1, 1e4, &v, err);
            o->bins = (size_t)v;
        } else if (strcmp(k, "seed") == 0) {
            rc = int_param(it, 0, 9007199254740992.0, &v, err);
            o->seed = (uint64_t)v;
        } else if (strcmp(k, "classifier") == 0) {
            kind = cJSON_GetStringValue(it);
            if (!kind)
                return pa_errf(err, PA_EINPUT, "attack \"shadow\": parameter \"classifier\": expected \"logreg\" "
                               "or \"forest\"");
        } else if (strcmp(k, "classifier_params") == 0) {
            if (!cJSON_IsObject(it))
                return pa_errf(err, PA_EINPUT, "attack \"shadow\": parameter \"classifier_params\": expected a "
                               "JSON object");
            cparams = it;
        } else {
            return pa_errf(err, PA_EINPUT, "attack \"shadow\": unknown parameter \"%s\" (known: features, queries, "
                           "bins, seed, classifier, classifier_params)", k);
        }
        if (rc)
            return rc;
    }
    int rc = clf_check(kind, cparams, err);
    if (rc)
        return pa_err_prefix(err, "attack \"shadow\"");
    return PA_OK;
}

static size_t shadow_dim_of(const schema *s, const shadow_opts *o)
{
    size_t d = s->d, dim = 0;
    if (o->feats & F_NAIVE)
        dim += 3 * d;
    if (o->feats & F_HIST)
        for (size_t j = 0; j < d; j++)
            dim += s->cols[j].kind == COL_CAT ? s->cols[j].size : o->bins;
    if (o->feats & F_CORR)
        dim += d * (d - 1) / 2;
    if (o->feats & F_QUERY)
        dim += o->queries + 1;
    if (o->feats & F_MARG)
        dim += d + d * (d - 1) / 2;
    return dim;
}

static int shadow_check(const schema *s, const cJSON *params, pa_err *err)
{
    shadow_opts o;
    return shadow_opts_read(params, &o, err);
}

static int shadow_feature_dim(const schema *s, const cJSON *params, size_t *dim, pa_err *err)
{
    shadow_opts o;
    *dim = 0;
    int rc = shadow_opts_read(params, &o, err);
    if (rc)
        return rc;
    *dim = shadow_dim_of(s, &o);
    return PA_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Writes the 3 naive features of column j into out. */
static int naive_col(const table *syn, size_t j, double *out, double *buf, size_t *cnt)
{
    size_t m = syn->n;
    const col_spec *c = &syn->s->cols[j];
    if (c->kind == COL_NUM) {
        double w = c->hi - c->lo, mean = 0, var = 0;
        for (size_t i = 0; i < m; i++)
            buf[i] = (syn->num[j][i] - c->lo) / w;
        for (size_t i = 0; i < m; i++)
            mean += buf[i];
        mean /= (double)m;
        for (size_t i = 0; i < m; i++)
            var += (buf[i] - mean) * (buf[i] - mean);
        var /= (double)m;
        qsort(buf, m, sizeof *buf, cmp_double);
        out[0] = mean;
        out[1] = m % 2 ? buf[m / 2] : 0.5 * (buf[m / 2 - 1] + buf[m / 2]);
        out[2] = var;
        return PA_OK;
    }
    memset(cnt, 0, c->size * sizeof *cnt);
    for (size_t i = 0; i < m; i++)
        cnt[syn->cat[j][i]]++;
    size_t most = 0, least = 0, distinct = 0;
    int have_least = 0;
    for (size_t v = 0; v < c->size; v++) {
        if (cnt[v] > cnt[most])
            most = v;
        if (cnt[v] > 0) {
            distinct++;
            if (!have_least || cnt[v] < cnt[least]) {
                least = v;
                have_least = 1;
            }
        }
    }
    double den = c->size > 1 ? (double)(c->size - 1) : 1;
    out[0] = (double)most / den;
    out[1] = (double)least / den;
    out[2] = (double)distinct / (double)c->size;
    return PA_OK;
}

static int match_col(const table *a, size_t i, const table *b, size_t r, size_t j)
{
    if (a->cat[j])
        return a->cat[j][i] == b->cat[j][r];
    const col_spec *c = &a->s->cols[j];
    return fabs(a->num[j][i] - b->num[j][r]) <= 0.01 * (c->hi - c->lo);
}

static int shadow_features(const table *syn, const table *targets, size_t t, const cJSON *params, double *out,
                           pa_err *err)
{
    shadow_opts o;
    int rc = shadow_opts_read(params, &o, err);
    if (rc)
        return rc;
    const schema *s = syn->s;
    size_t d = syn->d, m = syn->n;
    if (targets->d != d)
        return pa_errf(err, PA_EINPUT, "attack \"shadow\": the targets have %zu columns, the release %zu",
                       targets->d, d);
    for (size_t j = 0; j < d; j++)
        if (s->cols[j].kind != targets->s->cols[j].kind ||
            (s->cols[j].kind == COL_CAT && s->cols[j].size != targets->s->cols[j].size))
            return pa_errf(err, PA_EINPUT, "attack \"shadow\": column %zu (\"%s\") differs between the release "
                           "and the targets", j, s->cols[j].name);
    if (t >= targets->n)
        return pa_errf(err, PA_EINPUT, "attack \"shadow\": target row %zu out of range (%zu targets)", t,
                       targets->n);
    size_t dim = shadow_dim_of(s, &o);
    if (m == 0) {
        memset(out, 0, dim * sizeof *out);
        return PA_OK;
    }
    size_t maxcard = o.bins;
    for (size_t j = 0; j < d; j++)
        if (s->cols[j].kind == COL_CAT && s->cols[j].size > maxcard)
            maxcard = s->cols[j].size;
    double *buf = pa_malloc(m, sizeof *buf);           /* (m) */
    size_t *cnt = pa_malloc(maxcard, sizeof *cnt);     /* (max card) */
    size_t *perm = pa_malloc(d, sizeof *perm);         /* (d) */
    double *mean = pa_malloc(d, sizeof *mean);         /* (d) */
    double *sdv = pa_malloc(d, sizeof *sdv);           /* (d) */
    gsl_rng *r = (o.feats & F_QUERY) ? rng_stream(o.seed, SHADOW_QUERY_STREAM) : NULL;
    if (!buf || !cnt || !perm || !mean || !sdv || ((o.feats & F_QUERY) && !r)) {
        rc = pa_errf(err, PA_ENOMEM, "attack \"shadow\": out of memory");
        goto done;
    }
    double *f = out;
    if (o.feats & F_NAIVE)
        for (size_t j = 0; j < d; j++, f += 3)
            naive_col(syn, j, f, buf, cnt);
    if (o.feats & F_HIST) {
        for (size_t j = 0; j < d; j++) {
            const col_spec *c = &s->cols[j];
            size_t k = c->kind == COL_CAT ? c->size : o.bins;
            memset(cnt, 0, k * sizeof *cnt);
            for (size_t i = 0; i < m; i++) {
                size_t b;
                if (c->kind == COL_CAT) {
                    b = (size_t)syn->cat[j][i];
                } else {
                    double u = (syn->num[j][i] - c->lo) / (c->hi - c->lo) * (double)k;
                    b = u <= 0 ? 0 : u >= (double)k ? k - 1 : (size_t)u;
                }
                cnt[b]++;
            }
            for (size_t b = 0; b < k; b++)
                *f++ = (double)cnt[b] / (double)m;
        }
    }
    if (o.feats & F_CORR) {
        for (size_t j = 0; j < d; j++) {
            double mu = 0, v = 0;
            for (size_t i = 0; i < m; i++)
                mu += tbl_get(syn, i, j);
            mu /= (double)m;
            for (size_t i = 0; i < m; i++)
                v += (tbl_get(syn, i, j) - mu) * (tbl_get(syn, i, j) - mu);
            mean[j] = mu;
            sdv[j] = sqrt(v);
        }
        for (size_t a = 0; a < d; a++) {
            for (size_t b = a + 1; b < d; b++) {
                double cov = 0;
                for (size_t i = 0; i < m; i++)
                    cov += (tbl_get(syn, i, a) - mean[a]) * (tbl_get(syn, i, b) - mean[b]);
                double den = sdv[a] * sdv[b];
                *f++ = den > 1e-12 * (double)m ? fmax(-1, fmin(1, cov / den)) : 0;
            }
        }
    }
    if (o.feats & F_QUERY) {
        for (size_t q = 0; q < o.queries; q++) {
            size_t k = 1 + (size_t)rng_below(r, d);
            for (size_t j = 0; j < d; j++)
                perm[j] = j;
            for (size_t a = 0; a < k; a++) {
                size_t pick = a + (size_t)rng_below(r, d - a);
                size_t tmp = perm[a];
                perm[a] = perm[pick];
                perm[pick] = tmp;
            }
            size_t hits = 0;
            for (size_t i = 0; i < m; i++) {
                size_t a = 0;
                while (a < k && match_col(targets, t, syn, i, perm[a]))
                    a++;
                hits += a == k;
            }
            *f++ = (double)hits / (double)m;
        }
        size_t exact = 0;
        for (size_t i = 0; i < m; i++) {
            size_t j = 0;
            while (j < d && tbl_get(targets, t, j) == tbl_get(syn, i, j))
                j++;
            exact += j == d;
        }
        *f++ = (double)exact;
    }
    if (o.feats & F_MARG) {
        unsigned char *hit = pa_malloc(d * m + 1, 1); /* hit[j·m + i]: record i matches the target on column j */
        if (!hit) {
            rc = pa_errf(err, PA_ENOMEM, "attack \"shadow\": out of memory");
            goto done;
        }
        for (size_t j = 0; j < d; j++) {
            size_t c1 = 0;
            for (size_t i = 0; i < m; i++)
                c1 += hit[j * m + i] = (unsigned char)match_col(targets, t, syn, i, j);
            *f++ = (double)c1 / (double)m;
        }
        for (size_t a = 0; a < d; a++)
            for (size_t b = a + 1; b < d; b++) {
                size_t c2 = 0;
                for (size_t i = 0; i < m; i++)
                    c2 += hit[a * m + i] & hit[b * m + i];
                *f++ = (double)c2 / (double)m;
            }
        free(hit);
    }
    rc = PA_OK;
done:
    free(buf);
    free(cnt);
    free(perm);
    free(mean);
    free(sdv);
    gsl_rng_free(r);
    return rc;
}

const mia_vtable mia_shadow = {
    .name = "shadow",
    .summary = "shadow-model set classifier (Stadler et al. 2022): naive/histogram/correlation/query features "
               "of shadow releases, logreg or random forest",
    .needs_aux = 1,
    .kind = MIA_SHADOW,
    .check = shadow_check,
    .feature_dim = shadow_feature_dim,
    .features = shadow_features,
};
