/* release.c — the release audit; contract and methods in release.h.
 *
 * n = training records, m = synthetic records, h = control records,
 * d = columns, s = slice size (singling out), K = codes of a secret.
 *
 * Random streams: rng_stream(opts.seed, id) with one id per use (RS_*), so
 * that no result depends on opts.jobs: work is split into items whose results
 * go to their own slots, and every random draw happens before the items run.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "attacks/mia.h"
#include "attacks/nearest.h"
#include "attacks/release.h"
#include "audit/roc.h"
#include "core/rng.h"

enum { RS_SLICES = 1, RS_UNIVARIATE, RS_MULTIVARIATE, RS_BASE_UNI, RS_BASE_MULTI, RS_LINK_BASE, RS_INFER_BASE,
       RS_MIXED, RS_DCR_SPLIT };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void rel_opts_default(rel_opts *o)
{
    memset(o, 0, sizeof *o);
    o->so_attacks = 1000;
    o->so_cols = 3;
    o->so_max_attempts = 0; /* 1000 × so_attacks */
    o->k = 3;
    o->bins = RECON_DEFAULT_BINS;
    o->scaling = RECON_SCALE_GLOBAL;
    o->solver = RECON_CLP;
    o->alpha = 0.05;
    o->threshold = REL_DEFAULT_THRESHOLD;
    o->seed = 1;
    o->jobs = 1;
}

/* ---- workers ---- */

typedef void (*item_fn)(void *ctx, size_t i, int worker);

typedef struct par {
    pthread_mutex_t mu;
    size_t next, n, chunk, done;
    item_fn fn;
    void *ctx;
    const rel_opts *o;
    const char *step;
    size_t base, total;      /* progress: base + done of total */
} par;

static void par_progress(par *p)
{
    if (p->o->progress && p->step)
        p->o->progress(p->o->progress_ctx, p->step, p->base + p->done, p->total);
}

typedef struct par_arg {
    par *p;
    int worker;
} par_arg;

static void *par_worker(void *arg)
{
    par_arg *a = arg;
    par *p = a->p;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t i0 = p->next, i1 = i0 + p->chunk < p->n ? i0 + p->chunk : p->n;
        p->next = i1;
        pthread_mutex_unlock(&p->mu);
        if (i0 >= i1)
            break;
        for (size_t i = i0; i < i1; i++)
            p->fn(p->ctx, i, a->worker);
        pthread_mutex_lock(&p->mu);
        p->done += i1 - i0;
        par_progress(p);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

/* Runs fn(ctx, i, worker) for i in [0, n) on opts.jobs threads (worker in
 * [0, jobs)), `chunk` items at a time; reports base + done of total. */
static void par_run(const rel_opts *o, const char *step, size_t n, size_t chunk, size_t base, size_t total,
                    item_fn fn, void *ctx)
{
    par p = {.next = 0, .n = n, .chunk = chunk ? chunk : 1, .fn = fn, .ctx = ctx, .o = o, .step = step,
             .base = base, .total = total};
    pthread_mutex_init(&p.mu, NULL);
    int jobs = o->jobs < 1 ? 1 : o->jobs;
    if ((size_t)jobs > n)
        jobs = n ? (int)n : 1;
    pthread_t th[256];
    par_arg args[256];
    int started = 0;
    for (int t = 1; t < jobs && t < 256; t++) {
        args[t] = (par_arg){&p, t};
        if (pthread_create(&th[t], NULL, par_worker, &args[t]) == 0)
            started = t;
        else
            break;
    }
    args[0] = (par_arg){&p, 0};
    par_worker(&args[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&p.mu);
}

static int workers(const rel_opts *o)
{
    return o->jobs < 1 ? 1 : o->jobs > 256 ? 256 : o->jobs;
}

/* ---- distinct rows (Anonymeter drops duplicates before singling out) ---- */

static uint64_t row_hash(const table *t, size_t r)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t j = 0; j < t->d; j++) {
        uint64_t v;
        if (t->cat[j]) {
            v = (uint64_t)(uint32_t)t->cat[j][r];
        } else {
            double x = t->num[j][r] == 0 ? 0.0 : t->num[j][r]; /* -0 == 0 */
            memcpy(&v, &x, sizeof v);
        }
        for (int b = 0; b < 8; b++)
            h = (h ^ ((v >> (8 * b)) & 0xff)) * 1099511628211ull;
    }
    return h;
}

static int rows_equal(const table *t, size_t a, size_t b)
{
    for (size_t j = 0; j < t->d; j++) {
        if (t->cat[j] ? t->cat[j][a] != t->cat[j][b] : t->num[j][a] != t->num[j][b])
            return 0;
    }
    return 1;
}

typedef struct hk {
    uint64_t h;
    size_t k;    /* position in the input list */
} hk;

static int hk_cmp(const void *x, const void *y)
{
    const hk *a = x, *b = y;
    if (a->h != b->h)
        return (a->h > b->h) - (a->h < b->h);
    return (a->k > b->k) - (a->k < b->k);
}

/* Keeps in rows[0..*k) the first occurrence of each distinct row (order kept). */
static int distinct_rows(const table *t, size_t *rows, size_t *k)
{
    size_t n = *k;
    hk *H = pa_malloc(n + 1, sizeof *H);
    unsigned char *dup = pa_calloc(n + 1, 1);
    if (!H || !dup) {
        free(H), free(dup);
        return PA_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        H[i] = (hk){row_hash(t, rows[i]), i};
    qsort(H, n, sizeof *H, hk_cmp);
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b < n && H[b].h == H[a].h)
            b++;
        for (size_t u = a; u < b; u++)
            if (!dup[H[u].k])
                for (size_t v = u + 1; v < b; v++)
                    if (!dup[H[v].k] && rows_equal(t, rows[H[u].k], rows[H[v].k]))
                        dup[H[v].k] = 1;
        a = b;
    }
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!dup[i])
            rows[w++] = rows[i];
    *k = w;
    free(H), free(dup);
    return PA_OK;
}

/* ---- singling out: predicates and their counts ---- */

enum { OP_EQ, OP_NE, OP_LE, OP_GE, OP_LT, OP_GT };
static const char *const op_text[] = {"==", "!=", "<=", ">=", "<", ">"};

typedef struct so_pred {
    int col, op;
    double v;                /* value, or the code of a categorical column */
} so_pred;

typedef struct so_query {
    int np;
    so_pred p[REL_MAX_SO_COLS];
} so_query;

/* A set of distinct rows of a table, indexed for counting matches. */
typedef struct so_index {
    const table *t;
    size_t nr;
    size_t *rows;            /* (nr) */
    double **sv;             /* (d) numeric: sorted values; else NULL */
    size_t **sr;             /* (d) rows sorted by value (numeric) or grouped by code (categorical) */
    size_t **cs;             /* (d) categorical: (size + 1) group starts; else NULL */
} so_index;

static void so_index_free(so_index *x)
{
    if (!x)
        return;
    for (size_t j = 0; x->sv && j < x->t->d; j++) {
        free(x->sv[j]);
        free(x->sr[j]);
        free(x->cs[j]);
    }
    free(x->sv), free(x->sr), free(x->cs), free(x->rows);
    free(x);
}

typedef struct dv {
    double v;
    size_t r;
} dv;

static int dv_cmp(const void *a, const void *b)
{
    const dv *x = a, *y = b;
    if (x->v != y->v)
        return (x->v > y->v) - (x->v < y->v);
    return (x->r > y->r) - (x->r < y->r);
}

/* Index of the distinct rows among rows[0..k) of t (copied). */
static so_index *so_index_make(const table *t, const size_t *rows, size_t k)
{
    so_index *x = pa_calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->t = t;
    x->rows = pa_malloc(k + 1, sizeof *x->rows);
    x->sv = pa_calloc(t->d, sizeof *x->sv);
    x->sr = pa_calloc(t->d, sizeof *x->sr);
    x->cs = pa_calloc(t->d, sizeof *x->cs);
    if (!x->rows || !x->sv || !x->sr || !x->cs) {
        so_index_free(x);
        return NULL;
    }
    memcpy(x->rows, rows, k * sizeof *rows);
    x->nr = k;
    if (distinct_rows(t, x->rows, &x->nr)) {
        so_index_free(x);
        return NULL;
    }
    size_t nr = x->nr;
    dv *tmp = pa_malloc(nr + 1, sizeof *tmp);
    if (!tmp) {
        so_index_free(x);
        return NULL;
    }
    for (size_t j = 0; j < t->d; j++) {
        x->sr[j] = pa_malloc(nr + 1, sizeof **x->sr);
        if (!x->sr[j])
            goto fail;
        if (t->num[j]) {
            x->sv[j] = pa_malloc(nr + 1, sizeof **x->sv);
            if (!x->sv[j])
                goto fail;
            for (size_t i = 0; i < nr; i++)
                tmp[i] = (dv){t->num[j][x->rows[i]], x->rows[i]};
            qsort(tmp, nr, sizeof *tmp, dv_cmp);
            for (size_t i = 0; i < nr; i++) {
                x->sv[j][i] = tmp[i].v;
                x->sr[j][i] = tmp[i].r;
            }
        } else {
            size_t K = t->s->cols[j].size;
            x->cs[j] = pa_calloc(K + 2, sizeof **x->cs);
            if (!x->cs[j])
                goto fail;
            for (size_t i = 0; i < nr; i++)
                x->cs[j][t->cat[j][x->rows[i]] + 1]++;
            for (size_t c = 0; c < K; c++)
                x->cs[j][c + 1] += x->cs[j][c];
            size_t *fill = pa_malloc(K + 1, sizeof *fill);
            if (!fill)
                goto fail;
            memcpy(fill, x->cs[j], (K + 1) * sizeof *fill);
            for (size_t i = 0; i < nr; i++)
                x->sr[j][fill[t->cat[j][x->rows[i]]]++] = x->rows[i];
            free(fill);
        }
    }
    free(tmp);
    return x;
fail:
    free(tmp);
    so_index_free(x);
    return NULL;
}

static size_t lower_bound(const double *v, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t upper_bound(const double *v, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int pred_ok(const table *t, size_t r, const so_pred *p)
{
    if (t->cat[p->col]) {
        int32_t c = t->cat[p->col][r], w = (int32_t)p->v;
        return p->op == OP_EQ ? c == w : c != w;
    }
    double x = t->num[p->col][r];
    switch (p->op) {
    case OP_EQ: return x == p->v;
    case OP_NE: return x != p->v;
    case OP_LE: return x <= p->v;
    case OP_GE: return x >= p->v;
    case OP_LT: return x < p->v;
    default: return x > p->v;
    }
}

/* Distinct rows of the index matching q, counted up to cap. */
static size_t so_count(const so_index *x, const so_query *q, size_t cap)
{
    const table *t = x->t;
    size_t nr = x->nr, best = SIZE_MAX, a0 = 0, a1 = nr;
    const size_t *cand = x->rows;
    for (int k = 0; k < q->np; k++) {
        const so_pred *p = &q->p[k];
        size_t s0 = 0, s1 = nr;
        const size_t *list = x->rows;
        int j = p->col;
        if (t->num[j]) {
            const double *v = x->sv[j];
            list = x->sr[j];
            switch (p->op) {
            case OP_EQ: s0 = lower_bound(v, nr, p->v), s1 = upper_bound(v, nr, p->v); break;
            case OP_LE: s1 = upper_bound(v, nr, p->v); break;
            case OP_LT: s1 = lower_bound(v, nr, p->v); break;
            case OP_GE: s0 = lower_bound(v, nr, p->v); break;
            case OP_GT: s0 = upper_bound(v, nr, p->v); break;
            default: list = x->rows; break; /* != : scan everything */
            }
        } else if (p->op == OP_EQ) {
            int32_t c = (int32_t)p->v;
            list = x->sr[j];
            if (c < 0 || (size_t)c >= t->s->cols[j].size)
                s0 = s1 = 0;
            else
                s0 = x->cs[j][c], s1 = x->cs[j][c + 1];
        }
        if (s1 - s0 < best) {
            best = s1 - s0;
            cand = list;
            a0 = s0, a1 = s1;
        }
    }
    size_t cnt = 0;
    for (size_t u = a0; u < a1 && cnt < cap; u++) {
        size_t r = cand[u];
        int ok = 1;
        for (int k = 0; k < q->np && ok; k++)
            ok = pred_ok(t, r, &q->p[k]);
        cnt += (size_t)ok;
    }
    return cnt;
}

static uint64_t query_hash(const so_query *q)
{
    uint64_t h = 1469598103934665603ull;
    for (int k = 0; k < q->np; k++) {
        uint64_t v;
        double x = q->p[k].v == 0 ? 0.0 : q->p[k].v;
        memcpy(&v, &x, sizeof v);
        uint64_t parts[3] = {(uint64_t)q->p[k].col, (uint64_t)q->p[k].op, v};
        for (int t = 0; t < 3; t++)
            h = (h ^ parts[t]) * 1099511628211ull;
    }
    return h ? h : 1;
}

static int query_equal(const so_query *a, const so_query *b)
{
    if (a->np != b->np)
        return 0;
    for (int k = 0; k < a->np; k++)
        if (a->p[k].col != b->p[k].col || a->p[k].op != b->p[k].op || a->p[k].v != b->p[k].v)
            return 0;
    return 1;
}

/* open-addressing set of accepted queries (indices into a list) */
typedef struct qset_h {
    size_t cap;
    uint64_t *h;
    size_t *idx;
} qset_h;

static int qset_h_init(qset_h *s, size_t n)
{
    s->cap = 16;
    while (s->cap < 2 * n + 16)
        s->cap *= 2;
    s->h = pa_calloc(s->cap, sizeof *s->h);
    s->idx = pa_calloc(s->cap, sizeof *s->idx);
    return s->h && s->idx ? PA_OK : PA_ENOMEM;
}

static void qset_h_free(qset_h *s)
{
    free(s->h), free(s->idx);
}

/* 1 if q is new (then recorded as index i of list), 0 if already there. */
static int qset_h_add(qset_h *s, const so_query *list, const so_query *q, size_t i)
{
    uint64_t h = query_hash(q);
    size_t at = (size_t)h & (s->cap - 1);
    while (s->h[at]) {
        if (s->h[at] == h && query_equal(&list[s->idx[at]], q))
            return 0;
        at = (at + 1) & (s->cap - 1);
    }
    s->h[at] = h;
    s->idx[at] = i;
    return 1;
}

static void sort_preds(so_query *q)
{
    for (int a = 1; a < q->np; a++) {
        so_pred p = q->p[a];
        int b = a;
        while (b > 0 && q->p[b - 1].col > p.col) {
            q->p[b] = q->p[b - 1];
            b--;
        }
        q->p[b] = p;
    }
}

/* Shortest decimal text that reads back as v (at most 17 digits). */
static void fmt_value(char *buf, size_t cap, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static char *query_text(const table *t, const so_query *q)
{
    char buf[4096];
    size_t len = 0;
    buf[0] = 0;
    for (int k = 0; k < q->np && len < sizeof buf - 1; k++) {
        const so_pred *p = &q->p[k];
        const col_spec *c = &t->s->cols[p->col];
        char val[320];
        if (c->kind == COL_CAT) {
            int32_t code = (int32_t)p->v;
            if (c->labels)
                snprintf(val, sizeof val, "'%s'", c->labels[code]);
            else
                snprintf(val, sizeof val, "%d", (int)code);
        } else {
            fmt_value(val, sizeof val, p->v);
        }
        int w = snprintf(buf + len, sizeof buf - len, "%s%s %s %s", k ? " & " : "", c->name, op_text[p->op], val);
        if (w < 0)
            break;
        len += (size_t)w;
        if (len >= sizeof buf)
            len = sizeof buf - 1;
    }
    return pa_strdup(buf);
}

/* ---- the audit's shared state ---- */

typedef struct audit {
    const table *train, *synth, *control;
    const rel_opts *o;
    rel_result *res;
    size_t n, m, h;
    pa_err *err;
} audit;

/* Fisher–Yates permutation of 0..n-1 from stream id. */
static size_t *permutation(uint64_t seed, uint64_t id, size_t n)
{
    size_t *p = pa_malloc(n + 1, sizeof *p);
    gsl_rng *r = rng_stream(seed, id);
    if (!p || !r) {
        free(p);
        gsl_rng_free(r);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        p[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i), t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
    gsl_rng_free(r);
    return p;
}

/* ---- singling out ---- */

typedef struct so_eval_ctx {
    const so_query *q;
    size_t nq;
    so_index **sl;           /* slices */
    size_t ns;
    uint32_t *hits;          /* (nq) slices in which query i singles out */
} so_eval_ctx;

static void so_eval_item(void *ctx, size_t i, int worker)
{
    so_eval_ctx *c = ctx;
    uint32_t h = 0;
    for (size_t s = 0; s < c->ns; s++)
        h += so_count(c->sl[s], &c->q[i], 2) == 1;
    c->hits[i] = h;
}

typedef struct so_count_ctx {
    const so_query *q;
    const so_index *ix;
    size_t *cnt;
} so_count_ctx;

static void so_count_item(void *ctx, size_t i, int worker)
{
    so_count_ctx *c = ctx;
    c->cnt[i] = so_count(c->ix, &c->q[i], 2);
}

/* slices of the training and control records (rows of each table) */
typedef struct slices {
    size_t s, nt, nc;
    so_index **tr, **ct;
} slices;

static void slices_free(slices *S)
{
    for (size_t k = 0; k < S->nt; k++)
        so_index_free(S->tr[k]);
    for (size_t k = 0; k < S->nc; k++)
        so_index_free(S->ct[k]);
    free(S->tr), free(S->ct);
    memset(S, 0, sizeof *S);
}

static int slices_make(audit *A, slices *S)
{
    memset(S, 0, sizeof *S);
    size_t n = A->n, h = A->h;
    S->s = h && h < n ? h : n;
    S->nt = n / S->s;
    S->nc = h ? h / S->s : 0;
    S->tr = pa_calloc(S->nt + 1, sizeof *S->tr);
    S->ct = pa_calloc(S->nc + 1, sizeof *S->ct);
    size_t *pt = permutation(A->o->seed, RS_SLICES, n), *pc = h ? permutation(A->o->seed, RS_SLICES + 100, h) : NULL;
    int rc = S->tr && S->ct && pt && (!h || pc) ? PA_OK : PA_ENOMEM;
    for (size_t k = 0; k < S->nt && !rc; k++)
        if (!(S->tr[k] = so_index_make(A->train, pt + k * S->s, S->s)))
            rc = PA_ENOMEM;
    for (size_t k = 0; k < S->nc && !rc; k++)
        if (!(S->ct[k] = so_index_make(A->control, pc + k * S->s, S->s)))
            rc = PA_ENOMEM;
    free(pt), free(pc);
    if (rc)
        slices_free(S);
    return rc;
}

/* distinct values of each column among the distinct synthetic rows */
typedef struct colvals {
    size_t *n;
    double **v;              /* (d) sorted distinct values (codes for categorical) */
    double *median;          /* (d) numeric: pandas' median of the column; else NAN */
} colvals;

static void colvals_free(colvals *V, size_t d)
{
    for (size_t j = 0; V->v && j < d; j++)
        free(V->v[j]);
    free(V->n), free(V->v), free(V->median);
}

static int colvals_make(const so_index *sx, colvals *V)
{
    const table *t = sx->t;
    size_t d = t->d, nr = sx->nr;
    V->n = pa_calloc(d, sizeof *V->n);
    V->v = pa_calloc(d, sizeof *V->v);
    V->median = pa_malloc(d, sizeof *V->median);
    if (!V->n || !V->v || !V->median)
        return PA_ENOMEM;
    for (size_t j = 0; j < d; j++) {
        V->median[j] = NAN;
        V->v[j] = pa_malloc(nr + 1, sizeof **V->v);
        if (!V->v[j])
            return PA_ENOMEM;
        if (t->num[j]) {
            const double *sv = sx->sv[j];
            for (size_t i = 0; i < nr; i++)
                if (i == 0 || sv[i] != sv[i - 1])
                    V->v[j][V->n[j]++] = sv[i];
            V->median[j] = nr % 2 ? sv[nr / 2] : 0.5 * (sv[nr / 2 - 1] + sv[nr / 2]);
        } else {
            for (size_t c = 0; c < t->s->cols[j].size; c++)
                if (sx->cs[j][c + 1] > sx->cs[j][c])
                    V->v[j][V->n[j]++] = (double)c;
        }
    }
    return PA_OK;
}

/* The naive attack's predicates: random columns, values and operators
 * (Anonymeter's _random_queries). */
static int so_random_queries(const audit *A, const colvals *V, size_t ncols, uint64_t stream, so_query *out,
                             size_t nq)
{
    size_t d = A->synth->d;
    gsl_rng *r = rng_stream(A->o->seed, stream);
    size_t *all = pa_malloc(d, sizeof *all), *pick = pa_malloc(d, sizeof *pick);
    if (!r || !all || !pick) {
        gsl_rng_free(r), free(all), free(pick);
        return PA_ENOMEM;
    }
    for (size_t j = 0; j < d; j++)
        all[j] = j;
    for (size_t i = 0; i < nq; i++) {
        gsl_ran_choose(r, pick, ncols, all, d, sizeof *all);
        so_query *q = &out[i];
        q->np = (int)ncols;
        for (size_t k = 0; k < ncols; k++) {
            size_t j = pick[k];
            q->p[k].col = (int)j;
            q->p[k].v = V->v[j][rng_below(r, V->n[j])];
            q->p[k].op = A->synth->num[j] ? (int)rng_below(r, 6) : (int)rng_below(r, 2);
        }
        sort_preds(q);
    }
    gsl_rng_free(r), free(all), free(pick);
    return PA_OK;
}

/* Counts queries q[0..nq) on every slice: hits (nq) per query, total returned. */
static double so_evaluate(const audit *A, const char *step, const so_query *q, size_t nq, so_index **sl, size_t ns,
                          uint32_t *hits, size_t base, size_t total)
{
    so_eval_ctx c = {q, nq, sl, ns, hits};
    par_run(A->o, step, nq, 64, base, total, so_eval_item, &c);
    double s = 0;
    for (size_t i = 0; i < nq; i++)
        s += hits[i];
    return s;
}

static int singling_out(audit *A, int mode, const so_index *sx, const colvals *V, const slices *S)
{
    const rel_opts *o = A->o;
    rel_so *R = &A->res->so[mode];
    const table *syn = A->synth;
    size_t d = syn->d, want = o->so_attacks, ncols = mode ? (o->so_cols < d ? o->so_cols : d) : 1;
    const char *step = mode ? "singling out (multivariate)" : "singling out (univariate)";
    R->requested = want;
    R->slice = S->s;
    R->slices_train = S->nt;
    R->slices_control = S->nc;
    so_query *acc = pa_malloc(want + 1, sizeof *acc);
    qset_h seen = {0};
    int rc = acc && !qset_h_init(&seen, want) ? PA_OK : PA_ENOMEM;
    size_t got = 0;
    if (!rc && mode == 0) {
        /* candidates: each numeric column's minimum and maximum, each value seen once */
        size_t nc = 0, cap = 2 * d + 16;
        so_query *cand = pa_malloc(cap, sizeof *cand);
        if (!cand)
            rc = PA_ENOMEM;
        for (size_t j = 0; j < d && !rc; j++) {
            size_t nv = V->n[j];
            if (nc + nv + 2 > cap) {
                cap = 2 * (nc + nv + 2);
                so_query *nq = realloc(cand, cap * sizeof *nq);
                if (!nq) {
                    rc = PA_ENOMEM;
                    break;
                }
                cand = nq;
            }
            if (syn->num[j] && nv) {
                cand[nc++] = (so_query){1, {{(int)j, OP_LE, V->v[j][0]}}};
                cand[nc++] = (so_query){1, {{(int)j, OP_GE, V->v[j][nv - 1]}}};
            }
            /* values of one distinct synthetic row */
            if (syn->num[j]) {
                const double *sv = sx->sv[j];
                size_t nr = sx->nr;
                for (size_t i = 0; i < nr; i++)
                    if ((i == 0 || sv[i] != sv[i - 1]) && (i + 1 == nr || sv[i + 1] != sv[i]))
                        cand[nc++] = (so_query){1, {{(int)j, OP_EQ, sv[i]}}};
            } else {
                for (size_t c = 0; c < syn->s->cols[j].size; c++)
                    if (sx->cs[j][c + 1] - sx->cs[j][c] == 1)
                        cand[nc++] = (so_query){1, {{(int)j, OP_EQ, (double)c}}};
            }
        }
        if (!rc) {
            gsl_rng *r = rng_stream(o->seed, RS_UNIVARIATE);
            if (!r)
                rc = PA_ENOMEM;
            for (size_t i = nc; i > 1 && !rc; i--) {
                size_t k = (size_t)rng_below(r, i);
                so_query t = cand[i - 1];
                cand[i - 1] = cand[k];
                cand[k] = t;
            }
            gsl_rng_free(r);
        }
        size_t *cnt = rc ? NULL : pa_malloc(nc + 1, sizeof *cnt);
        if (!rc && !cnt)
            rc = PA_ENOMEM;
        if (!rc) {
            so_count_ctx c = {cand, sx, cnt};
            par_run(o, NULL, nc, 256, 0, 0, so_count_item, &c);
            if (o->progress)
                o->progress(o->progress_ctx, step, 1000, 2000);
            for (size_t i = 0; i < nc && got < want; i++)
                if (cnt[i] == 1 && qset_h_add(&seen, acc, &cand[i], got))
                    acc[got++] = cand[i];
            R->attempts = nc;
        }
        free(cnt);
        free(cand);
    } else if (!rc) {
        /* random synthetic records and columns, drawn in batches; accepted in order */
        size_t max_att = o->so_max_attempts ? o->so_max_attempts : 1000 * want, B = 8192, tried = 0;
        so_query *batch = pa_malloc(B, sizeof *batch);
        size_t *cnt = pa_malloc(B, sizeof *cnt), *all = pa_malloc(d, sizeof *all), *pick = pa_malloc(d, sizeof *pick);
        gsl_rng *r = rng_stream(o->seed, RS_MULTIVARIATE);
        if (!batch || !cnt || !all || !pick || !r)
            rc = PA_ENOMEM;
        for (size_t j = 0; j < d && !rc; j++)
            all[j] = j;
        while (!rc && got < want && tried < max_att) {
            size_t nb = max_att - tried < B ? max_att - tried : B;
            for (size_t b = 0; b < nb; b++) {
                size_t row = sx->rows[rng_below(r, sx->nr)];
                gsl_ran_choose(r, pick, ncols, all, d, sizeof *all);
                so_query *q = &batch[b];
                q->np = (int)ncols;
                for (size_t k = 0; k < ncols; k++) {
                    size_t j = pick[k];
                    q->p[k].col = (int)j;
                    if (syn->num[j]) {
                        q->p[k].v = syn->num[j][row];
                        q->p[k].op = q->p[k].v > V->median[j] ? OP_GE : OP_LE;
                    } else {
                        q->p[k].v = syn->cat[j][row];
                        q->p[k].op = OP_EQ;
                    }
                }
                sort_preds(q);
            }
            so_count_ctx c = {batch, sx, cnt};
            par_run(o, NULL, nb, 64, 0, 0, so_count_item, &c);
            for (size_t b = 0; b < nb && got < want; b++) {
                tried++;
                if (cnt[b] == 1 && qset_h_add(&seen, acc, &batch[b], got))
                    acc[got++] = batch[b];
            }
            /* the larger share done: of the predicates requested, or of the attempts allowed */
            if (o->progress) {
                double f = fmax((double)got / (double)want, (double)tried / (double)max_att);
                o->progress(o->progress_ctx, step, (size_t)(f * 1000), 2000);
            }
        }
        R->attempts = tried;
        free(batch), free(cnt), free(all), free(pick);
        gsl_rng_free(r);
    }
    R->generated = R->n_queries = got;
    /* the naive attack */
    so_query *base = rc ? NULL : pa_malloc(want + 1, sizeof *base);
    uint32_t *bh = rc ? NULL : pa_malloc(want + 1, sizeof *bh);
    if (!rc && (!base || !bh))
        rc = PA_ENOMEM;
    if (!rc)
        rc = so_random_queries(A, V, ncols, mode ? RS_BASE_MULTI : RS_BASE_UNI, base, want);
    R->query = rc ? NULL : pa_calloc(got + 1, sizeof *R->query);
    R->q_train = rc ? NULL : pa_calloc(got + 1, sizeof *R->q_train);
    R->q_control = rc ? NULL : pa_calloc(got + 1, sizeof *R->q_control);
    if (!rc && (!R->query || !R->q_train || !R->q_control))
        rc = PA_ENOMEM;
    for (size_t i = 0; i < got && !rc; i++)
        if (!(R->query[i] = query_text(syn, &acc[i])))
            rc = PA_ENOMEM;
    if (!rc) { /* the second half of the step's progress: counting on the slices */
        size_t tot = 2 * (got + got + want);
        R->hits_train = so_evaluate(A, step, acc, got, S->tr, S->nt, R->q_train, tot / 2, tot);
        R->hits_control = S->nc ? so_evaluate(A, step, acc, got, S->ct, S->nc, R->q_control, tot / 2 + got, tot)
                                : NAN;
        R->hits_baseline = so_evaluate(A, step, base, want, S->tr, S->nt, bh, tot / 2 + 2 * got, tot);
    }
    free(base), free(bh), free(acc);
    qset_h_free(&seen);
    return rc;
}

/* ---- linkability ---- */

#define LINK_CAP 256

typedef struct link_ctx {
    const near_index *ia, *ib;
    const table *t;
    const table *ref;
    unsigned char *ok;       /* (t->n) */
    size_t *buf;             /* (workers, 2 × LINK_CAP) */
} link_ctx;

static void link_item(void *ctx, size_t i, int worker)
{
    link_ctx *c = ctx;
    size_t *ta = c->buf + (size_t)worker * 2 * LINK_CAP, *tb = ta + LINK_CAP, na = 0, nb = 0;
    double da = near_query(c->ia, c->t, i, ta, LINK_CAP, &na), db = near_query(c->ib, c->t, i, tb, LINK_CAP, &nb);
    int ok = 0;
    if (nb <= LINK_CAP) {
        for (size_t k = 0; k < nb && !ok; k++)
            ok = near_distance(c->ia, c->t, i, tb[k]) == da;
    } else if (na <= LINK_CAP) {
        for (size_t k = 0; k < na && !ok; k++)
            ok = near_distance(c->ib, c->t, i, ta[k]) == db;
    } else {
        for (size_t r = 0; r < c->ref->n && !ok; r++)
            ok = near_distance(c->ia, c->t, i, r) == da && near_distance(c->ib, c->t, i, r) == db;
    }
    c->ok[i] = (unsigned char)ok;
}

static int linkability(audit *A, size_t *hits_train, size_t *hits_control, pa_err *err)
{
    rel_link *L = &A->res->link;
    near_index *ia = NULL, *ib = NULL;
    int rc = near_build(A->synth, L->a, L->n_a, &ia, err);
    if (!rc)
        rc = near_build(A->synth, L->b, L->n_b, &ib, err);
    size_t W = (size_t)workers(A->o);
    size_t *buf = rc ? NULL : pa_malloc(W * 2 * LINK_CAP, sizeof *buf);
    unsigned char *ok = rc ? NULL : pa_malloc(A->n + A->h + 1, 1);
    if (!rc && (!buf || !ok))
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
    if (!rc) {
        link_ctx c = {ia, ib, A->train, A->synth, ok, buf};
        par_run(A->o, "linkability", A->n, 64, 0, A->n + A->h, link_item, &c);
        size_t s = 0;
        for (size_t i = 0; i < A->n; i++)
            s += ok[i];
        *hits_train = s;
        if (A->h) {
            link_ctx cc = {ia, ib, A->control, A->synth, ok + A->n, buf};
            par_run(A->o, "linkability", A->h, 64, A->n, A->n + A->h, link_item, &cc);
            s = 0;
            for (size_t i = 0; i < A->h; i++)
                s += ok[A->n + i];
            *hits_control = s;
        }
    }
    free(buf), free(ok);
    near_free(ia);
    near_free(ib);
    return rc;
}

/* ---- membership: distance to the closest record ---- */

typedef struct dcr_ctx {
    const near_index *ix;
    const table *t;
    double *out;
} dcr_ctx;

static void dcr_item(void *ctx, size_t i, int worker)
{
    dcr_ctx *c = ctx;
    c->out[i] = near_query(c->ix, c->t, i, NULL, 0, NULL);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double lower_median(const double *v, size_t n, double *tmp)
{
    memcpy(tmp, v, n * sizeof *tmp);
    qsort(tmp, n, sizeof *tmp, cmp_double);
    return tmp[(n - 1) / 2];
}

/* membership attack; *k_a/n_a etc. get the counts for risk_evaluate */
static int membership(audit *A, double cnt[6], pa_err *err)
{
    rel_dcr *D = &A->res->dcr;
    size_t n = A->n, h = A->h;
    near_index *ix = NULL;
    int rc = near_build(A->synth, NULL, 0, &ix, err);
    if (rc)
        return rc;
    D->n = n;
    D->h = h;
    D->d_real = pa_malloc(n + 1, sizeof *D->d_real);
    D->d_hold = pa_malloc(h + 1, sizeof *D->d_hold);
    if (!D->d_real || !D->d_hold) {
        near_free(ix);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    dcr_ctx c = {ix, A->train, D->d_real};
    par_run(A->o, "membership (distance to closest record)", n, 64, 0, n + h, dcr_item, &c);
    if (h) {
        dcr_ctx cc = {ix, A->control, D->d_hold};
        par_run(A->o, "membership (distance to closest record)", h, 64, n, n + h, dcr_item, &cc);
    }
    near_free(ix);
    size_t ex_r = 0, ex_h = 0, beyond = 0;
    double hmin = INFINITY;
    for (size_t i = 0; i < h; i++) {
        hmin = fmin(hmin, D->d_hold[i]);
        ex_h += D->d_hold[i] == 0;
    }
    for (size_t i = 0; i < n; i++) {
        ex_r += D->d_real[i] == 0;
        beyond += D->d_real[i] < hmin;
    }
    D->exact_real = (double)ex_r / (double)n;
    double *tmp = pa_malloc((n > h ? n : h) + 1, sizeof *tmp);
    if (!tmp)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    D->med_real = lower_median(D->d_real, n, tmp);
    D->ran = 1;
    if (!h) {
        /* no control: only the share of verbatim copies can be given */
        D->exact_hold = D->med_hold = D->auc = D->auc_sd = D->beyond = NAN;
        D->tpr[0] = D->tpr[1] = D->tpr[2] = NAN;
        D->threshold = 0;
        cnt[0] = (double)ex_r, cnt[1] = (double)n;
        cnt[2] = cnt[3] = cnt[4] = cnt[5] = NAN;
        free(tmp);
        return PA_OK;
    }
    D->exact_hold = (double)ex_h / (double)h;
    D->beyond = (double)beyond / (double)n;
    D->med_hold = lower_median(D->d_hold, h, tmp);
    free(tmp);
    double *score = pa_malloc(n + h, sizeof *score);
    int *label = pa_malloc(n + h, sizeof *label);
    size_t *pr = permutation(A->o->seed, RS_DCR_SPLIT, n), *ph = permutation(A->o->seed, RS_DCR_SPLIT + 100, h);
    if (!score || !label || !pr || !ph) {
        free(score), free(label), free(pr), free(ph);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        score[i] = -D->d_real[i], label[i] = 1;
    for (size_t i = 0; i < h; i++)
        score[n + i] = -D->d_hold[i], label[n + i] = 0;
    roc_curve *roc = NULL;
    rc = roc_build(score, label, n + h, &roc, err);
    if (!rc) {
        D->auc = roc_auc(roc);
        D->tpr[0] = roc_tpr_at(roc, 0.1);
        D->tpr[1] = roc_tpr_at(roc, 0.01);
        D->tpr[2] = roc_tpr_at(roc, 0.001);
        double nn = (double)n, hh = (double)h;
        D->auc_sd = sqrt((nn + hh + 1) / (12 * nn * hh));
    }
    roc_free(roc);
    /* calibration halves choose the threshold; test halves count it */
    D->cal_n = n / 2, D->cal_h = h / 2, D->test_n = n - D->cal_n, D->test_h = h - D->cal_h;
    if (!rc && (D->cal_n == 0 || D->cal_h == 0 || D->test_h == 0))
        rc = pa_errf(err, PA_EINPUT, "membership: %zu training and %zu control records: need at least 2 of each", n,
                     h);
    double thr = 0;
    if (!rc) {
        size_t k = 0;
        for (size_t i = 0; i < D->cal_n; i++, k++)
            score[k] = -D->d_real[pr[i]], label[k] = 1;
        for (size_t i = 0; i < D->cal_h; i++, k++)
            score[k] = -D->d_hold[ph[i]], label[k] = 0;
        if (A->o->progress)
            A->o->progress(A->o->progress_ctx, "membership (threshold)", 0, 1);
        rc = roc_choose_threshold(score, label, k, 1e-5, A->o->alpha, &thr, err);
        if (A->o->progress)
            A->o->progress(A->o->progress_ctx, "membership (threshold)", 1, 1);
    }
    if (!rc) {
        size_t claims = 0, tp = 0, fp = 0;
        for (size_t i = 0; i < D->cal_n; i++)
            claims += -D->d_real[pr[i]] >= thr;
        for (size_t i = 0; i < D->cal_h; i++)
            claims += -D->d_hold[ph[i]] >= thr;
        for (size_t i = D->cal_n; i < n; i++)
            tp += -D->d_real[pr[i]] >= thr;
        for (size_t i = D->cal_h; i < h; i++)
            fp += -D->d_hold[ph[i]] >= thr;
        D->threshold = -thr;
        D->tp = tp, D->fp = fp;
        double pi = (double)claims / (double)(D->cal_n + D->cal_h);
        cnt[0] = (double)tp, cnt[1] = (double)D->test_n, cnt[2] = (double)fp, cnt[3] = (double)D->test_h;
        cnt[4] = pi * (double)D->test_n, cnt[5] = (double)D->test_n;
    }
    free(score), free(label), free(pr), free(ph);
    return rc;
}

/* ---- inference ---- */

typedef struct infer_task {
    size_t bit;
    int att, part;
} infer_task;

typedef struct infer_ctx {
    audit *A;
    infer_task *task;
    const table *mixed;      /* training records with some replaced by control records */
    const size_t *mixed_pos; /* (hc) positions in mixed of the control records */
    const size_t *mixed_src; /* (hc) their rows in the control table */
    size_t hc;
    recon_opts ro;
} infer_ctx;

static int band_of(double s)
{
    return s < 0.05 ? 0 : s < 0.25 ? 1 : s <= 0.5 ? 2 : s <= 0.75 ? 3 : s <= 0.95 ? 4 : 5;
}

static void infer_item(void *ctx, size_t i, int worker)
{
    infer_ctx *c = ctx;
    audit *A = c->A;
    infer_task *t = &c->task[i];
    rel_bit *b = &A->res->bits[t->bit];
    rel_part *P = &b->part[t->att][t->part];
    const table *tab = t->part ? A->control : A->train;
    size_t n = P->n;
    pa_err e = {0};
    double t0 = now_s();
    int rc;
    if (t->att == RECON_ATT_LP && t->part) {
        double *x = pa_malloc(c->mixed->n, sizeof *x);
        rc = x ? recon_attack(c->mixed, A->synth, b->col, b->code, &c->ro, x, &P->st, &e)
               : pa_errf(&e, PA_ENOMEM, "out of memory");
        for (size_t k = 0; k < n && !rc; k++)
            P->score[k] = x[c->mixed_pos[k]];
        free(x);
    } else if (t->att == RECON_ATT_LP) {
        rc = recon_attack(tab, A->synth, b->col, b->code, &c->ro, P->score, &P->st, &e);
    } else if (t->att == RECON_ATT_CLF) {
        rc = recon_classifier(tab, A->synth, b->col, b->code, &c->ro, P->score, &e);
    } else {
        rc = recon_nearest(tab, A->synth, b->col, b->code, &c->ro, P->score, &e);
    }
    P->seconds = now_s() - t0;
    if (rc) {
        snprintf(P->msg, sizeof P->msg, "%s", e.msg);
        return;
    }
    P->ran = 1;
    int maj = b->majority_bit;
    for (size_t k = 0; k < n; k++) {
        int pred = P->score[k] > 0.5, ok = pred == P->bit[k], band = band_of(P->score[k]);
        P->correct += (size_t)ok;
        P->band_n[band]++;
        P->band_correct[band] += (size_t)ok;
        if (P->bit[k] != maj)
            P->minority_correct += (size_t)ok;
        P->says_minority += (size_t)(pred != maj);
        if (band == 0 || band == REL_N_BANDS - 1) {
            P->conf_n++;
            P->conf_correct += (size_t)ok;
        }
    }
    P->acc = (double)P->correct / (double)n;
    recon_binom_ci(P->correct, n, A->o->alpha, &P->lo, &P->hi);
    recon_binom_ci(P->minority_correct, P->says_minority, A->o->alpha, &P->min_lo, &P->min_hi);
}

/* column-level guesses: the code whose bit scores highest (binary: score > ½) */
static int32_t guess_code(const rel_result *R, size_t b0, size_t nb, int att, int part, size_t k)
{
    const rel_bit *first = &R->bits[b0];
    if (nb == 1) /* a binary column: the bit is "code 1" */
        return first->part[att][part].score[k] > 0.5 ? first->code : 1 - first->code;
    int32_t best = first->code;
    double bs = first->part[att][part].score[k];
    for (size_t u = 1; u < nb; u++) {
        double s = R->bits[b0 + u].part[att][part].score[k];
        if (s > bs) {
            bs = s;
            best = R->bits[b0 + u].code;
        }
    }
    return best;
}

/* ---- assembling ---- */

static rel_attack *add_attack(rel_result *R, const char *risk, const char *name, int secret, size_t family)
{
    rel_attack *a = &R->attacks[R->n_attacks++];
    memset(a, 0, sizeof *a);
    a->risk = risk;
    a->name = name;
    a->secret = secret;
    a->family = family;
    return a;
}

/* Every interval at 1 − alpha/A, A = the attacks of the verdict (Bonferroni):
 * a release without a leak is then flagged with probability at most alpha/2. */
static double level(const rel_opts *o, size_t family)
{
    return 1 - o->alpha / (double)(family ? family : 1);
}

static void choose(rel_result *R, size_t first, size_t count)
{
    risk_result tmp[8];
    for (size_t i = 0; i < count; i++)
        tmp[i] = R->attacks[first + i].r;
    int b = risk_strongest(tmp, count);
    if (b >= 0)
        R->attacks[first + (size_t)b].chosen = 1;
}

const rel_attack *rel_chosen(const rel_result *r, const char *risk, int secret)
{
    for (size_t i = 0; r && i < r->n_attacks; i++) {
        const rel_attack *a = &r->attacks[i];
        if (a->chosen && !strcmp(a->risk, risk) && (strcmp(risk, "inference") || a->secret == secret))
            return a;
    }
    return NULL;
}

void rel_result_free(rel_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_bits; i++)
        for (int a = 0; a < RECON_N_ATT; a++)
            for (int p = 0; p < 2; p++) {
                free(r->bits[i].part[a][p].score);
                free(r->bits[i].part[a][p].bit);
                free(r->bits[i].part[a][p].row);
            }
    for (int m = 0; m < 2; m++) {
        for (size_t i = 0; r->so[m].query && i < r->so[m].n_queries; i++)
            free(r->so[m].query[i]);
        free(r->so[m].query), free(r->so[m].q_train), free(r->so[m].q_control);
    }
    free(r->bits), free(r->attacks), free(r->qi), free(r->secret_cols);
    free(r->link.a), free(r->link.b);
    free(r->dcr.d_real), free(r->dcr.d_hold);
    free(r);
}

static int same_schema(const schema *a, const schema *b)
{
    if (a->d != b->d)
        return 0;
    for (size_t j = 0; j < a->d; j++) {
        const col_spec *x = &a->cols[j], *y = &b->cols[j];
        if (strcmp(x->name, y->name) || x->kind != y->kind || (x->kind == COL_CAT && x->size != y->size) ||
            (x->kind == COL_NUM && (x->lo != y->lo || x->hi != y->hi)))
            return 0;
    }
    return 1;
}

static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* copies list (or, when NULL, the columns whose roles include `role` and,
 * with skip, are not in skip) sorted; checks indices */
static int column_list(const schema *s, const int *list, size_t nl, unsigned role, const int *skip, size_t nskip,
                       const char *what, int **out, size_t *nout, pa_err *err)
{
    *out = pa_malloc(s->d + 1, sizeof **out);
    *nout = 0;
    if (!*out)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t j = 0; j < s->d; j++) {
        int in = 0;
        if (list) {
            for (size_t k = 0; k < nl; k++)
                in |= list[k] == (int)j;
        } else {
            in = (s->cols[j].roles & role) != 0;
            for (size_t k = 0; k < nskip && in; k++)
                in = skip[k] != (int)j;
        }
        if (in)
            (*out)[(*nout)++] = (int)j;
    }
    for (size_t k = 0; list && k < nl; k++)
        if (list[k] < 0 || (size_t)list[k] >= s->d)
            return pa_errf(err, PA_EINPUT, "%s: column index %d: expected one in [0, %zu)", what, list[k], s->d);
    if (list && *nout != nl)
        return pa_errf(err, PA_EINPUT, "%s: a column is named twice", what);
    qsort(*out, *nout, sizeof **out, int_cmp);
    return PA_OK;
}

static int check_inputs(const table *train, const table *synth, const table *control, const rel_opts *o,
                        pa_err *err)
{
    if (!train || !synth || !o)
        return pa_errf(err, PA_EINPUT, "release audit: NULL argument");
    if (!same_schema(train->s, synth->s) || (control && !same_schema(train->s, control->s)))
        return pa_errf(err, PA_EINPUT, "release audit: the tables' schemas differ");
    if (train->n < 2 || synth->n == 0 || (control && control->n < 2))
        return pa_errf(err, PA_EINPUT, "release audit: %zu training, %zu synthetic and %zu control records: expected "
                       "at least 2, 1 and 2 (or no control)", train->n, synth->n, control ? control->n : 0);
    if (!(o->alpha > 0 && o->alpha < 1))
        return pa_errf(err, PA_EINPUT, "release audit: alpha = %g: expected 0 < alpha < 1", o->alpha);
    if (o->so_attacks < 1 || o->so_cols < 1 || o->so_cols > REL_MAX_SO_COLS)
        return pa_errf(err, PA_EINPUT, "release audit: singling out: %zu predicates of %zu columns: expected at least "
                       "1 predicate of 1 to %d columns", o->so_attacks, o->so_cols, REL_MAX_SO_COLS);
    if (o->k < 2 || o->k > RECON_MAX_K)
        return pa_errf(err, PA_EINPUT, "release audit: query order k = %d: expected 2..%d", o->k, RECON_MAX_K);
    if (!(o->threshold >= 0 && o->threshold < 1))
        return pa_errf(err, PA_EINPUT, "release audit: threshold %g: expected 0 <= threshold < 1", o->threshold);
    return PA_OK;
}

int rel_audit(const table *train, const table *synth, const table *control, const rel_opts *o, rel_result **out,
              pa_err *err)
{
    *out = NULL;
    double t_start = now_s();
    int rc = check_inputs(train, synth, control, o, err);
    if (rc)
        return rc;
    const schema *s = train->s;
    rel_result *R = pa_calloc(1, sizeof *R);
    if (!R)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    audit A = {train, synth, control, o, R, train->n, synth->n, control ? control->n : 0, err};
    R->n = A.n, R->m = A.m, R->h = A.h;
    /* columns */
    rc = column_list(s, o->secrets, o->n_secrets, ROLE_SECRET, NULL, 0, "secret", &R->secret_cols, &R->n_secrets, err);
    if (!rc && R->n_secrets == 0)
        rc = pa_errf(err, PA_EINPUT, "release audit: no secret column (schema role \"secret\", or name one)");
    for (size_t k = 0; k < R->n_secrets && !rc; k++) {
        const col_spec *c = &s->cols[R->secret_cols[k]];
        if (c->kind != COL_CAT)
            rc = pa_errf(err, PA_EINPUT, "secret column \"%s\" is numeric: the attacks infer a categorical secret",
                         c->name);
        else if (c->size < 2)
            rc = pa_errf(err, PA_EINPUT, "secret column \"%s\" has %zu value: nothing to infer", c->name, c->size);
    }
    if (!rc)
        rc = column_list(s, o->qi, o->n_qi, ROLE_QI, R->secret_cols, R->n_secrets, "quasi-identifier", &R->qi,
                         &R->n_qi, err);
    for (size_t k = 0; k < R->n_qi && !rc; k++)
        for (size_t u = 0; u < R->n_secrets; u++)
            if (R->qi[k] == R->secret_cols[u])
                rc = pa_errf(err, PA_EINPUT, "column \"%s\" is both a secret and a quasi-identifier",
                             s->cols[R->qi[k]].name);
    if (!rc && R->n_qi == 0)
        rc = pa_errf(err, PA_EINPUT, "release audit: no quasi-identifier (schema role \"qi\", or name them)");
    /* linkability column sets */
    if (!rc && o->link_a) {
        rc = column_list(s, o->link_a, o->n_link_a, 0, NULL, 0, "linkability set A", &R->link.a, &R->link.n_a, err);
        if (!rc)
            rc = column_list(s, o->link_b, o->n_link_b, 0, NULL, 0, "linkability set B", &R->link.b, &R->link.n_b,
                             err);
        for (size_t k = 0; k < R->link.n_a && !rc; k++)
            for (size_t u = 0; u < R->link.n_b; u++)
                if (R->link.a[k] == R->link.b[u])
                    rc = pa_errf(err, PA_EINPUT, "linkability: column \"%s\" is in both sets",
                                 s->cols[R->link.a[k]].name);
    } else if (!rc) {
        R->link.a = pa_malloc(s->d, sizeof *R->link.a);
        R->link.b = pa_malloc(s->d, sizeof *R->link.b);
        if (!R->link.a || !R->link.b)
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
        for (size_t j = 0; j < s->d && !rc; j++) {
            int is_qi = 0;
            for (size_t k = 0; k < R->n_qi; k++)
                is_qi |= R->qi[k] == (int)j;
            if (is_qi)
                R->link.a[R->link.n_a++] = (int)j;
            else
                R->link.b[R->link.n_b++] = (int)j;
        }
        if (!rc && R->link.n_b == 0) { /* every column a QI: split them in halves */
            size_t half = R->link.n_a / 2;
            for (size_t k = half; k < R->link.n_a; k++)
                R->link.b[R->link.n_b++] = R->link.a[k];
            R->link.n_a = half;
        }
    }
    if (!rc && (R->link.n_a == 0 || R->link.n_b == 0))
        rc = pa_errf(err, PA_EINPUT, "linkability: each of the two column sets needs a column (the table has %zu)",
                     s->d);
    /* secret bits */
    size_t nbits = 0;
    for (size_t k = 0; k < R->n_secrets; k++) {
        size_t K = s->cols[R->secret_cols[k]].size;
        nbits += K == 2 ? 1 : K;
    }
    R->bits = rc ? NULL : pa_calloc(nbits + 1, sizeof *R->bits);
    R->attacks = rc ? NULL : pa_calloc(2 + 1 + 3 * R->n_secrets + 1 + 1, sizeof *R->attacks);
    if (!rc && (!R->bits || !R->attacks))
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
    if (rc) {
        rel_result_free(R);
        return rc;
    }
    size_t hc = A.h < A.n ? A.h : A.n; /* control records the reconstruction replaces */
    size_t FAM = 2 + 1 + RECON_N_ATT * R->n_secrets + 1; /* attacks in the verdict */

    /* ---- singling out ---- */
    {
        size_t *all = pa_malloc(A.m, sizeof *all);
        so_index *sx = NULL;
        colvals V = {0};
        slices S = {0};
        if (all)
            for (size_t i = 0; i < A.m; i++)
                all[i] = i;
        rc = all && (sx = so_index_make(synth, all, A.m)) && !colvals_make(sx, &V) ? PA_OK : PA_ENOMEM;
        free(all);
        if (!rc)
            rc = slices_make(&A, &S);
        double t0 = now_s();
        for (int mode = 0; mode < 2 && !rc; mode++) {
            double t1 = now_s();
            rc = singling_out(&A, mode, sx, &V, &S);
            if (rc)
                break;
            rel_so *so = &R->so[mode];
            rel_attack *a = add_attack(R, "singling_out", mode ? "multivariate" : "univariate", -1, FAM);
            double nt = (double)so->requested * (double)S.nt, nc = (double)so->requested * (double)S.nc;
            risk_evaluate(so->hits_train, nt, A.h ? so->hits_control : NAN, A.h ? nc : NAN, so->hits_baseline, nt,
                          level(o, FAM), o->threshold, &a->r);
            if (so->generated < so->requested)
                snprintf(a->note, sizeof a->note,
                         "%zu of the %zu predicates requested single out one synthetic record (%zu tried): the rate "
                         "counts the missing ones as failures, so it may understate the risk",
                         so->generated, so->requested, so->attempts);
            a->seconds = now_s() - t1;
        }
        (void)t0;
        if (rc && rc != PA_EINPUT)
            rc = pa_errf(err, PA_ENOMEM, "singling out: out of memory");
        if (!rc)
            choose(R, 0, 2);
        slices_free(&S);
        colvals_free(&V, synth->d);
        so_index_free(sx);
    }
    /* ---- linkability ---- */
    if (!rc) {
        double t1 = now_s();
        size_t ht = 0, hcn = 0;
        rc = linkability(&A, &ht, &hcn, err);
        if (!rc) {
            gsl_rng *r = rng_stream(o->seed, RS_LINK_BASE);
            size_t hb = 0;
            for (size_t i = 0; r && i < A.n; i++)
                hb += rng_below(r, A.m) == rng_below(r, A.m);
            gsl_rng_free(r);
            R->link.hits_train = ht, R->link.hits_control = hcn, R->link.hits_baseline = hb;
            rel_attack *a = add_attack(R, "linkability", "nearest_pair", -1, FAM);
            risk_evaluate((double)ht, (double)A.n, A.h ? (double)hcn : NAN, A.h ? (double)A.h : NAN, (double)hb,
                          (double)A.n, level(o, FAM), o->threshold, &a->r);
            a->chosen = 1;
            a->seconds = now_s() - t1;
        }
    }
    /* ---- inference ---- */
    table *mixed = NULL;
    size_t *mpos = NULL, *msrc = NULL;
    infer_task *tasks = NULL;
    if (!rc) {
        size_t bi = 0;
        for (size_t k = 0; k < R->n_secrets && !rc; k++) {
            int col = R->secret_cols[k];
            size_t K = s->cols[col].size;
            for (int32_t code = K == 2 ? 1 : 0; code < (int32_t)K; code++) {
                rel_bit *b = &R->bits[bi++];
                b->col = col;
                b->code = code;
                size_t ones = 0;
                for (size_t i = 0; i < A.n; i++)
                    ones += train->cat[col][i] == code;
                b->majority_bit = 2 * ones > A.n;
                b->baseline = (double)(b->majority_bit ? ones : A.n - ones) / (double)A.n;
            }
        }
        R->n_bits = bi;
        /* the mixed set: training records, hc of them (at random) replaced by control records */
        if (A.h) {
            size_t *pt = permutation(o->seed, RS_MIXED, A.n), *pc = permutation(o->seed, RS_MIXED + 100, A.h);
            size_t *idx = pa_malloc(A.n, sizeof *idx);
            mpos = pa_malloc(hc + 1, sizeof *mpos);
            msrc = pa_malloc(hc + 1, sizeof *msrc);
            table *both = tbl_concat(train, control);
            if (pt && pc && idx && mpos && msrc && both) {
                for (size_t i = 0; i < A.n; i++)
                    idx[i] = i;
                /* the replaced positions, in increasing order, take control rows pc[0..hc) */
                unsigned char *rep = pa_calloc(A.n, 1);
                if (rep) {
                    for (size_t k = 0; k < hc; k++)
                        rep[pt[k]] = 1;
                    for (size_t i = 0, k = 0; i < A.n; i++)
                        if (rep[i]) {
                            idx[i] = A.n + pc[k];
                            mpos[k] = i;
                            msrc[k] = pc[k];
                            k++;
                        }
                    mixed = tbl_rows(both, idx, A.n);
                    free(rep);
                }
            }
            if (!mixed)
                rc = pa_errf(err, PA_ENOMEM, "out of memory");
            free(pt), free(pc), free(idx);
            tbl_free(both);
        }
        size_t parts = A.h ? 2 : 1, nt = 0;
        tasks = rc ? NULL : pa_malloc(R->n_bits * RECON_N_ATT * parts + 1, sizeof *tasks);
        if (!rc && !tasks)
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
        /* the LPs first: they take longest */
        static const int order[RECON_N_ATT] = {RECON_ATT_LP, RECON_ATT_CLF, RECON_ATT_NN};
        for (int ai = 0; ai < RECON_N_ATT && !rc; ai++)
            for (size_t bi2 = 0; bi2 < R->n_bits && !rc; bi2++)
                for (size_t p = 0; p < parts && !rc; p++) {
                    int att = order[ai];
                    rel_bit *b = &R->bits[bi2];
                    rel_part *P = &b->part[att][p];
                    const table *tab = p ? control : train;
                    P->n = p == 0 ? A.n : att == RECON_ATT_LP ? hc : A.h;
                    P->score = pa_malloc(P->n, sizeof *P->score);
                    P->bit = pa_malloc(P->n, sizeof *P->bit);
                    P->row = pa_malloc(P->n, sizeof *P->row);
                    if (!P->score || !P->bit || !P->row) {
                        rc = pa_errf(err, PA_ENOMEM, "out of memory");
                        break;
                    }
                    for (size_t k = 0; k < P->n; k++) {
                        P->row[k] = p && att == RECON_ATT_LP ? msrc[k] : k;
                        P->bit[k] = tab->cat[b->col][P->row[k]] == b->code;
                        P->ones += (size_t)P->bit[k];
                    }
                    tasks[nt++] = (infer_task){bi2, att, (int)p};
                }
        if (!rc) {
            infer_ctx c = {&A, tasks, mixed, mpos, msrc, hc, {0}};
            recon_opts_default(&c.ro);
            c.ro.k_min = 2;
            c.ro.k_max = o->k;
            c.ro.bins = o->bins;
            c.ro.scaling = o->scaling;
            c.ro.solver = o->solver;
            c.ro.seed = o->seed;
            c.ro.qi = R->qi;
            c.ro.n_qi = R->n_qi;
            par_run(o, "inference", nt, 1, 0, nt, infer_item, &c);
        }
        /* per secret column: each attack's exact-value success, and the naive attack */
        size_t b0 = 0;
        for (size_t k = 0; k < R->n_secrets && !rc; k++) {
            int col = R->secret_cols[k];
            size_t K = s->cols[col].size, nb = K == 2 ? 1 : K;
            size_t first = R->n_attacks;
            gsl_rng *r = rng_stream(o->seed, RS_INFER_BASE * 1000 + (uint64_t)k);
            size_t hb = 0;
            for (size_t i = 0; r && i < A.n; i++)
                hb += synth->cat[col][rng_below(r, A.m)] == train->cat[col][i];
            gsl_rng_free(r);
            static const int order2[RECON_N_ATT] = {RECON_ATT_NN, RECON_ATT_CLF, RECON_ATT_LP};
            for (int ai = 0; ai < RECON_N_ATT; ai++) {
                int att = order2[ai];
                rel_attack *a = add_attack(R, "inference", recon_att_name(att), (int)k, FAM);
                int ran = 1;
                double secs = 0;
                for (size_t u = 0; u < nb; u++)
                    for (size_t p = 0; p < parts; p++) {
                        const rel_part *P = &R->bits[b0 + u].part[att][p];
                        if (!P->ran && ran) {
                            ran = 0;
                            snprintf(a->note, sizeof a->note, "failed on %s = %s (%s): %s", s->cols[col].name,
                                     s->cols[col].labels ? s->cols[col].labels[R->bits[b0 + u].code] : "code",
                                     p ? "control" : "training", P->msg);
                        }
                        secs += P->seconds;
                    }
                a->seconds = secs;
                if (!ran) {
                    risk_evaluate(NAN, 0, NAN, NAN, NAN, NAN, level(o, FAM), o->threshold, &a->r);
                    continue;
                }
                size_t ok[2] = {0, 0}, tot[2] = {0, 0};
                for (size_t p = 0; p < parts; p++) {
                    const rel_part *P0 = &R->bits[b0].part[att][p];
                    const table *tab = p ? control : train;
                    tot[p] = P0->n;
                    for (size_t i = 0; i < P0->n; i++)
                        ok[p] += guess_code(R, b0, nb, att, (int)p, i) == tab->cat[col][P0->row[i]];
                }
                risk_evaluate((double)ok[0], (double)tot[0], A.h ? (double)ok[1] : NAN, A.h ? (double)tot[1] : NAN,
                              (double)hb, (double)A.n, level(o, FAM), o->threshold, &a->r);
            }
            choose(R, first, RECON_N_ATT);
            b0 += nb;
        }
    }
    free(tasks), free(mpos), free(msrc);
    tbl_free(mixed);
    /* ---- membership ---- */
    if (!rc) {
        double t1 = now_s(), cnt[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
        rc = membership(&A, cnt, err);
        if (!rc) {
            rel_attack *a = add_attack(R, "membership", "dcr", -1, FAM);
            risk_evaluate(cnt[0], cnt[1], cnt[2], cnt[3], cnt[4], cnt[5], level(o, FAM), o->threshold, &a->r);
            a->chosen = 1;
            if (!A.h)
                snprintf(a->note, sizeof a->note, "without control records the rate is the share of training records "
                                                  "with a verbatim copy in the release");
            a->seconds = now_s() - t1;
        }
    }
    if (rc) {
        rel_result_free(R);
        return rc;
    }
    for (size_t i = 0; i < R->n_attacks; i++)
        R->flagged |= R->attacks[i].chosen && R->attacks[i].r.flag;
    R->seconds = now_s() - t_start;
    *out = R;
    return PA_OK;
}
