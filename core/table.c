/* table.c — columnar tables: construction, row gathers, hashing.
 * The schema's JSON form is in schema.c, CSV reading and writing in csv.c.
 * n = records, d = columns. */
#include "core/table.h"

#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

schema *schema_new(size_t d)
{
    schema *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->d = d;
    s->cols = pa_calloc(d, sizeof *s->cols);
    s->n_missing = 2;
    s->missing = pa_calloc(2, sizeof *s->missing);
    if (!s->cols || !s->missing) {
        schema_free(s);
        return NULL;
    }
    s->missing[0] = pa_strdup("");
    s->missing[1] = pa_strdup("NA");
    if (!s->missing[0] || !s->missing[1]) {
        schema_free(s);
        return NULL;
    }
    return s;
}

static void col_clear(col_spec *c)
{
    free(c->name);
    if (c->labels)
        for (size_t k = 0; k < c->size; k++)
            free(c->labels[k]);
    free(c->labels);
}

void schema_free(schema *s)
{
    if (!s)
        return;
    if (s->cols)
        for (size_t j = 0; j < s->d; j++)
            col_clear(&s->cols[j]);
    free(s->cols);
    if (s->missing)
        for (size_t k = 0; k < s->n_missing; k++)
            free(s->missing[k]);
    free(s->missing);
    free(s);
}

schema *schema_copy(const schema *s)
{
    if (!s)
        return NULL;
    schema *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->d = s->d;
    c->inferred = s->inferred;
    c->cols = pa_calloc(s->d, sizeof *c->cols);
    c->n_missing = s->n_missing;
    c->missing = pa_calloc(s->n_missing, sizeof *c->missing);
    if (!c->cols || !c->missing)
        goto fail;
    for (size_t k = 0; k < s->n_missing; k++)
        if (!(c->missing[k] = pa_strdup(s->missing[k])))
            goto fail;
    for (size_t j = 0; j < s->d; j++) {
        const col_spec *a = &s->cols[j];
        col_spec *b = &c->cols[j];
        *b = *a;
        b->name = NULL;
        b->labels = NULL;
        if (a->name && !(b->name = pa_strdup(a->name)))
            goto fail;
        if (a->labels) {
            b->labels = pa_calloc(a->size, sizeof *b->labels);
            if (!b->labels)
                goto fail;
            for (size_t k = 0; k < a->size; k++)
                if (!(b->labels[k] = pa_strdup(a->labels[k])))
                    goto fail;
        }
    }
    return c;
fail:
    schema_free(c);
    return NULL;
}

int schema_col(const schema *s, const char *name)
{
    for (size_t j = 0; j < s->d; j++)
        if (s->cols[j].name && strcmp(s->cols[j].name, name) == 0)
            return (int)j;
    return -1;
}

size_t schema_card(const schema *s, size_t j)
{
    return s->cols[j].kind == COL_CAT ? s->cols[j].size : 0;
}

table *tbl_new(const schema *s, size_t n)
{
    table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n = n;
    t->d = s->d;
    t->s = schema_copy(s);
    t->cat = pa_calloc(s->d, sizeof *t->cat);
    t->num = pa_calloc(s->d, sizeof *t->num);
    if (!t->s || !t->cat || !t->num)
        goto fail;
    for (size_t j = 0; j < s->d; j++) {
        if (s->cols[j].kind == COL_CAT) {
            if (!(t->cat[j] = pa_calloc(n, sizeof **t->cat)))
                goto fail;
        } else if (!(t->num[j] = pa_calloc(n, sizeof **t->num))) {
            goto fail;
        }
    }
    return t;
fail:
    tbl_free(t);
    return NULL;
}

void tbl_free(table *t)
{
    if (!t)
        return;
    for (size_t j = 0; j < t->d; j++) {
        if (t->cat)
            free(t->cat[j]);
        if (t->num)
            free(t->num[j]);
    }
    free(t->cat);
    free(t->num);
    schema_free(t->s);
    free(t);
}

table *tbl_rows(const table *t, const size_t *idx, size_t k)
{
    table *r = tbl_new(t->s, k);
    if (!r)
        return NULL;
    for (size_t j = 0; j < t->d; j++) {
        if (t->cat[j])
            for (size_t i = 0; i < k; i++)
                r->cat[j][i] = t->cat[j][idx[i]];
        else
            for (size_t i = 0; i < k; i++)
                r->num[j][i] = t->num[j][idx[i]];
    }
    return r;
}

table *tbl_concat(const table *a, const table *b)
{
    if (a->d != b->d)
        return NULL;
    table *r = tbl_new(a->s, a->n + b->n);
    if (!r)
        return NULL;
    for (size_t j = 0; j < a->d; j++) {
        if (a->cat[j]) {
            if (!b->cat[j])
                goto fail;
            memcpy(r->cat[j], a->cat[j], a->n * sizeof(int32_t));
            memcpy(r->cat[j] + a->n, b->cat[j], b->n * sizeof(int32_t));
        } else {
            if (!b->num[j])
                goto fail;
            memcpy(r->num[j], a->num[j], a->n * sizeof(double));
            memcpy(r->num[j] + a->n, b->num[j], b->n * sizeof(double));
        }
    }
    return r;
fail:
    tbl_free(r);
    return NULL;
}

double tbl_get(const table *t, size_t i, size_t j)
{
    return t->cat[j] ? (double)t->cat[j][i] : t->num[j][i];
}

/* four interleaved FNV-1a-style lanes over 64-bit words (the word-serial
 * multiply chain of tbl_hash costs a 3-cycle latency per byte) */
typedef struct {
    uint64_t h[4];
    size_t k;
} digest;

static void digest_word(digest *g, uint64_t w)
{
    size_t l = g->k++ & 3;
    g->h[l] = (g->h[l] ^ w) * 1099511628211ULL;
    g->h[l] ^= g->h[l] >> 29;
}

uint64_t tbl_digest(const table *t)
{
    digest g = {.h = {UTIL_FNV_INIT, UTIL_FNV_INIT ^ 1, UTIL_FNV_INIT ^ 2, UTIL_FNV_INIT ^ 3}};
    digest_word(&g, (uint64_t)t->n);
    digest_word(&g, (uint64_t)t->d);
    for (size_t j = 0; j < t->d; j++) {
        const col_spec *c = &t->s->cols[j];
        digest_word(&g, util_fnv(UTIL_FNV_INIT, c->name, strlen(c->name) + 1));
        digest_word(&g, (uint64_t)c->kind);
        if (t->cat[j]) {
            const int32_t *x = t->cat[j];
            size_t i = 0;
            for (; i + 1 < t->n; i += 2)
                digest_word(&g, (uint64_t)(uint32_t)x[i] | (uint64_t)(uint32_t)x[i + 1] << 32);
            if (i < t->n)
                digest_word(&g, (uint64_t)(uint32_t)x[i]);
        } else {
            for (size_t i = 0; i < t->n; i++) {
                double v = t->num[j][i];
                if (v == 0)
                    v = 0; /* -0 and +0 hash alike */
                uint64_t w;
                memcpy(&w, &v, sizeof w);
                digest_word(&g, w);
            }
        }
    }
    uint64_t h = UTIL_FNV_INIT;
    for (size_t l = 0; l < 4; l++)
        h = util_fnv(h, &g.h[l], sizeof g.h[l]);
    return h;
}

uint64_t tbl_hash(const table *t)
{
    uint64_t h = UTIL_FNV_INIT;
    h = util_fnv(h, &t->n, sizeof t->n);
    h = util_fnv(h, &t->d, sizeof t->d);
    for (size_t j = 0; j < t->d; j++) {
        const col_spec *c = &t->s->cols[j];
        h = util_fnv(h, c->name, strlen(c->name) + 1);
        h = util_fnv(h, &c->kind, sizeof c->kind);
        if (t->cat[j]) {
            h = util_fnv(h, t->cat[j], t->n * sizeof(int32_t));
        } else {
            for (size_t i = 0; i < t->n; i++) {
                double v = t->num[j][i];
                if (v == 0)
                    v = 0; /* -0 and +0 hash alike */
                h = util_fnv(h, &v, sizeof v);
            }
        }
    }
    return h;
}
