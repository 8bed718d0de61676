/* query.c — targeted counting query (the "query" features of Stadler et al.
 * 2022 and TAPAS, used directly as a score): for each target, the k columns
 * on which its value is rarest in the attacker's auxiliary data are found,
 * and the score is the share of synthetic records that match the target on
 * all k of them. A generator that lets a unique value through when, and only
 * when, its owner is in the training set is caught by this query even when
 * the rest of the record is scrambled (independent marginals, for instance).
 * Numeric columns match within 1% of their schema range.
 * Parameter: "k" (columns per query, default 1). Needs aux data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attacks/mia.h"

static int query_k(const schema *s, const cJSON *params, size_t *k, pa_err *err)
{
    *k = 1;
    if (!params)
        return PA_OK;
    for (const cJSON *it = params->child; it; it = it->next) {
        if (strcmp(it->string, "k") != 0)
            return pa_errf(err, PA_EINPUT, "attack \"query\": unknown parameter \"%s\" (known: k)", it->string);
        if (!cJSON_IsNumber(it) || it->valuedouble < 1 || it->valuedouble != floor(it->valuedouble) ||
            (s && it->valuedouble > (double)s->d))
            return pa_errf(err, PA_EINPUT, "attack \"query\": parameter \"k\": expected an integer in [1, %zu]",
                           s ? s->d : (size_t)1000);
        *k = (size_t)it->valuedouble;
    }
    return PA_OK;
}

static int query_check(const schema *s, const cJSON *params, pa_err *err)
{
    size_t k;
    return query_k(s, params, &k, err);
}

static int same(const table *a, size_t i, const table *b, size_t r, size_t j)
{
    if (a->cat[j])
        return a->cat[j][i] == b->cat[j][r];
    const col_spec *c = &a->s->cols[j];
    return fabs(a->num[j][i] - b->num[j][r]) <= 0.01 * (c->hi - c->lo);
}

typedef struct rarity {
    double freq;
    size_t col;
} rarity;

static int by_freq(const void *x, const void *y)
{
    const rarity *a = x, *b = y;
    if (a->freq != b->freq)
        return (a->freq > b->freq) - (a->freq < b->freq);
    return (a->col > b->col) - (a->col < b->col);
}

static int query_score(const mia_input *in, const cJSON *params, double *scores, pa_err *err)
{
    const table *t = in->targets, *syn = in->synth, *aux = in->aux;
    size_t k, d = t->d;
    int rc = query_k(t->s, params, &k, err);
    if (rc)
        return rc;
    rarity *rv = pa_malloc(d, sizeof *rv);
    if (!rv)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->n; i++) {
        for (size_t j = 0; j < d; j++) {
            size_t cnt = 0;
            for (size_t r = 0; r < aux->n; r++)
                cnt += same(t, i, aux, r, j);
            rv[j].freq = (double)cnt;
            rv[j].col = j;
        }
        qsort(rv, d, sizeof *rv, by_freq);
        size_t hits = 0;
        for (size_t r = 0; r < syn->n; r++) {
            size_t q = 0;
            while (q < k && same(t, i, syn, r, rv[q].col))
                q++;
            hits += q == k;
        }
        scores[i] = syn->n ? (double)hits / (double)syn->n : 0;
    }
    free(rv);
    return PA_OK;
}

const mia_vtable mia_query = {
    .name = "query",
    .summary = "share of synthetic records matching the target on its k rarest attributes (needs aux data)",
    .needs_aux = 1,
    .kind = MIA_DIRECT,
    .check = query_check,
    .score = query_score,
};
