/* recon.c — linear-reconstruction attribute inference (Annamalai, Gadotti,
 * Rocher, USENIX Security 2024) and its comparators; contracts in recon.h.
 *
 * n = real records, m = synthetic records, q = queries, d = columns,
 * Q = number of QI columns, k = query order counted with the secret,
 * p = classifier features (1 + Σ QI bins).
 *
 * The LP is posed in the equivalent split form
 *     min Σ_i (u_i + v_i)  s.t.  (A x)_i − u_i + v_i = b_i,  0 ≤ x ≤ 1, u, v ≥ 0,
 * whose optimum equals min ‖A x − b‖₁ (at an optimum min(u_i, v_i) = 0, so
 * u_i + v_i = |(A x − b)_i|). It has q rows instead of the 2q rows of the
 * −e ≤ A x − b ≤ e form, which the simplex method prefers (docs/recon.md).
 * Records with equal columns of A (the same matches in every query) enter
 * (A x)_i only through their sum, so with opts.aggregate they are one column
 * y_g ∈ [0, n_g]: the optimum is the same, and x_j = y_g / n_g is an optimum
 * of the per-record LP. On CPS1988 (25,000 records, 291 queries) this leaves
 * 847 columns.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes" /* Clp_C_Interface.h declares Clp_newModel() */
#include <Clp_C_Interface.h>
#pragma GCC diagnostic pop
#include <float.h>
#include <glpk.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>

#include "attacks/recon.h"
#include "audit/utility.h"
#include "core/rng.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void recon_opts_default(recon_opts *o)
{
    memset(o, 0, sizeof *o);
    o->k_min = 2;
    o->k_max = 3;
    o->k_rand = 4;
    o->budget_rand = 0;
    o->bins = RECON_DEFAULT_BINS;
    o->scaling = RECON_SCALE_GLOBAL;
    o->solver = RECON_CLP;
    o->aggregate = 1;
}

const char *recon_att_name(int a)
{
    switch (a) {
    case RECON_ATT_LP: return "lp";
    case RECON_ATT_CLF: return "classifier";
    case RECON_ATT_NN: return "nearest";
    default: return "?";
    }
}

/* ---- prepared inputs: binned QI codes and secret bits ---- */

typedef struct prep {
    size_t n, m, Q;
    int *qi;            /* (Q) column indices */
    size_t *card;       /* (Q) bins of each QI */
    int32_t *rc;        /* (n, Q) real binned codes, row-major */
    int32_t *sc;        /* (m, Q) synthetic binned codes */
    unsigned char *sb;  /* (m) synthetic secret bits */
} prep;

static void prep_free(prep *p)
{
    free(p->qi);
    free(p->card);
    free(p->rc);
    free(p->sc);
    free(p->sb);
    memset(p, 0, sizeof *p);
}

static int32_t bin_of(const table *t, size_t i, size_t j, size_t bins)
{
    const col_spec *c = &t->s->cols[j];
    if (c->kind == COL_CAT)
        return t->cat[j][i];
    return (int32_t)util_col_bin(c, bins, t->num[j][i]);
}

static int same_schema(const schema *a, const schema *b)
{
    if (a->d != b->d)
        return 0;
    for (size_t j = 0; j < a->d; j++) {
        const col_spec *x = &a->cols[j], *y = &b->cols[j];
        if (strcmp(x->name, y->name) || x->kind != y->kind)
            return 0;
        if (x->kind == COL_CAT && x->size != y->size)
            return 0;
        if (x->kind == COL_NUM && (x->lo != y->lo || x->hi != y->hi))
            return 0;
    }
    return 1;
}

static int check_opts(const recon_opts *o, pa_err *err)
{
    if (o->k_max != 0 && (o->k_min < 2 || o->k_min > o->k_max || o->k_max > RECON_MAX_K))
        return pa_errf(err, PA_EINPUT, "recon: query orders k_min = %d, k_max = %d: expected 2 <= k_min <= k_max <= %d "
                       "(or k_max = 0)", o->k_min, o->k_max, RECON_MAX_K);
    if (o->budget_rand > 0 && (o->k_rand < 2 || o->k_rand > RECON_MAX_K))
        return pa_errf(err, PA_EINPUT, "recon: random query order k_rand = %d: expected 2..%d", o->k_rand, RECON_MAX_K);
    if (o->scaling != RECON_SCALE_GLOBAL && o->scaling != RECON_SCALE_COND)
        return pa_errf(err, PA_EINPUT, "recon: scaling = %d: expected 0 (global) or 1 (conditional)", o->scaling);
    if (o->solver != RECON_SIMPLEX && o->solver != RECON_INTERIOR && o->solver != RECON_PRIMAL &&
        o->solver != RECON_CLP)
        return pa_errf(err, PA_EINPUT, "recon: solver = %d: expected 0 (GLPK dual simplex), 1 (GLPK interior), "
                       "2 (GLPK primal simplex) or 3 (Clp)", o->solver);
    return PA_OK;
}

/* synth may be NULL (then only the real side is prepared). */
static int prep_make(const table *real, const table *synth, int secret_col, int32_t code,
                     const recon_opts *o, prep *p, pa_err *err)
{
    memset(p, 0, sizeof *p);
    if (!real || !o)
        return pa_errf(err, PA_EINPUT, "recon: NULL argument");
    const schema *s = real->s;
    if (secret_col < 0 || (size_t)secret_col >= s->d || s->cols[secret_col].kind != COL_CAT)
        return pa_errf(err, PA_EINPUT, "recon: secret column %d: expected a categorical column index in [0, %zu)",
                       secret_col, s->d);
    if (code < 0 || (size_t)code >= s->cols[secret_col].size)
        return pa_errf(err, PA_EINPUT, "recon: secret code %d of column \"%s\": expected 0..%zu", (int)code,
                       s->cols[secret_col].name, s->cols[secret_col].size - 1);
    if (real->n == 0)
        return pa_errf(err, PA_EINPUT, "recon: the real table has no records");
    if (synth) {
        if (!same_schema(s, synth->s))
            return pa_errf(err, PA_EINPUT, "recon: the synthetic table's schema differs from the real one");
        if (synth->n == 0)
            return pa_errf(err, PA_EINPUT, "recon: the synthetic table has no records");
    }
    int rc = check_opts(o, err);
    if (rc)
        return rc;
    size_t bins = o->bins ? o->bins : RECON_DEFAULT_BINS;
    p->qi = pa_malloc(s->d + 1, sizeof *p->qi);
    if (!p->qi)
        return pa_errf(err, PA_ENOMEM, "recon: out of memory");
    if (o->qi) {
        for (size_t a = 0; a < o->n_qi; a++) {
            int j = o->qi[a];
            if (j < 0 || (size_t)j >= s->d || j == secret_col) {
                prep_free(p);
                return pa_errf(err, PA_EINPUT, "recon: QI column index %d: expected a column in [0, %zu) other "
                               "than the secret", j, s->d);
            }
            for (size_t b = 0; b < p->Q; b++)
                if (p->qi[b] == j) {
                    prep_free(p);
                    return pa_errf(err, PA_EINPUT, "recon: QI column \"%s\" given twice", s->cols[j].name);
                }
            if (p->Q >= s->d) {
                prep_free(p);
                return pa_errf(err, PA_EINPUT, "recon: too many QI columns");
            }
            p->qi[p->Q++] = j;
        }
    } else {
        for (size_t j = 0; j < s->d; j++)
            if ((s->cols[j].roles & ROLE_QI) && (int)j != secret_col)
                p->qi[p->Q++] = (int)j;
    }
    if (p->Q == 0) {
        prep_free(p);
        return pa_errf(err, PA_EINPUT, "recon: no quasi-identifier column (set ROLE_QI in the schema or give opts.qi)");
    }
    p->n = real->n;
    p->m = synth ? synth->n : 0;
    p->card = pa_malloc(p->Q, sizeof *p->card);
    p->rc = pa_malloc(p->n * p->Q, sizeof *p->rc);
    p->sc = pa_malloc(p->m * p->Q + 1, sizeof *p->sc);
    p->sb = pa_malloc(p->m + 1, 1);
    if (!p->card || !p->rc || !p->sc || !p->sb) {
        prep_free(p);
        return pa_errf(err, PA_ENOMEM, "recon: out of memory");
    }
    for (size_t a = 0; a < p->Q; a++) {
        const col_spec *c = &s->cols[p->qi[a]];
        p->card[a] = c->kind == COL_CAT ? c->size : util_col_bins(c, bins);
        for (size_t i = 0; i < p->n; i++)
            p->rc[i * p->Q + a] = bin_of(real, i, (size_t)p->qi[a], bins);
        for (size_t r = 0; r < p->m; r++)
            p->sc[r * p->Q + a] = bin_of(synth, r, (size_t)p->qi[a], bins);
    }
    for (size_t r = 0; r < p->m; r++)
        p->sb[r] = synth->cat[secret_col][r] == code;
    return PA_OK;
}

/* ---- queries ---- */

/* sort key for collapsing equal QI tuples: FNV-1a hash, then row index */
typedef struct urow_key {
    uint64_t h;
    size_t r;
} urow_key;

static int urow_key_cmp(const void *x, const void *y)
{
    const urow_key *a = x, *b = y;
    if (a->h != b->h)
        return (a->h > b->h) - (a->h < b->h);
    return (a->r > b->r) - (a->r < b->r);
}

typedef struct kv {
    uint64_t key;
    size_t idx;
} kv;

static int kv_cmp(const void *x, const void *y)
{
    const kv *a = x, *b = y;
    if (a->key != b->key)
        return (a->key > b->key) - (a->key < b->key);
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Queries in CSR form: rows of A (real records matched) and b. */
typedef struct qset {
    size_t q, nnz, cap_q, cap_nz;
    size_t *start;      /* (q + 1) */
    int *col;           /* (nnz) 0-based record index */
    double *b;          /* (q) */
} qset;

static void qset_free(qset *Z)
{
    free(Z->start);
    free(Z->col);
    free(Z->b);
    memset(Z, 0, sizeof *Z);
}

static int qset_add(qset *Z, const kv *rows, size_t cnt, double b)
{
    if (Z->q + 2 > Z->cap_q) {
        size_t c = Z->cap_q ? 2 * Z->cap_q : 1024;
        size_t *ns = realloc(Z->start, c * sizeof *ns);
        if (!ns)
            return PA_ENOMEM;
        Z->start = ns;
        double *nb = realloc(Z->b, c * sizeof *nb);
        if (!nb)
            return PA_ENOMEM;
        Z->b = nb;
        Z->cap_q = c;
    }
    if (Z->nnz + cnt > Z->cap_nz) {
        size_t c = Z->cap_nz ? 2 * Z->cap_nz : 4096;
        while (c < Z->nnz + cnt)
            c *= 2;
        int *nc = realloc(Z->col, c * sizeof *nc);
        if (!nc)
            return PA_ENOMEM;
        Z->col = nc;
        Z->cap_nz = c;
    }
    if (Z->q == 0)
        Z->start[0] = 0;
    for (size_t t = 0; t < cnt; t++)
        Z->col[Z->nnz++] = (int)rows[t].idx;
    Z->b[Z->q] = b;
    Z->q++;
    Z->start[Z->q] = Z->nnz;
    return PA_OK;
}

/* Mixed-radix key of row i over the columns in cols (ncols); 0 on overflow is
 * prevented by the caller's check. */
static uint64_t row_key(const int32_t *codes, size_t Q, size_t i, const size_t *cols, size_t ncols,
                        const size_t *card)
{
    uint64_t key = 0;
    for (size_t a = 0; a < ncols; a++)
        key = key * card[cols[a]] + (uint64_t)codes[i * Q + cols[a]];
    return key;
}

/* Adds the queries of one subset `cols` of QI positions. When `want` is not
 * NULL only keys present in want (sorted, nwant) are added. rk/sk: scratch
 * (n) and (m). */
static int add_subset(const prep *p, const size_t *cols, size_t ncols, const uint64_t *want, size_t nwant,
                      int scaling, kv *rk, kv *sk, qset *Z)
{
    double bits_max = 1;
    for (size_t a = 0; a < ncols; a++)
        bits_max *= (double)p->card[cols[a]];
    if (bits_max > 1.8e19)
        return PA_EINPUT;
    for (size_t i = 0; i < p->n; i++) {
        rk[i].key = row_key(p->rc, p->Q, i, cols, ncols, p->card);
        rk[i].idx = i;
    }
    for (size_t r = 0; r < p->m; r++) {
        sk[r].key = row_key(p->sc, p->Q, r, cols, ncols, p->card);
        sk[r].idx = r;
    }
    qsort(rk, p->n, sizeof *rk, kv_cmp);
    qsort(sk, p->m, sizeof *sk, kv_cmp);
    size_t s0 = 0, w = 0;
    double scale = (double)p->n / (double)p->m;
    for (size_t i0 = 0; i0 < p->n;) {
        size_t i1 = i0;
        while (i1 < p->n && rk[i1].key == rk[i0].key)
            i1++;
        uint64_t key = rk[i0].key;
        int keep = 1;
        if (want) {
            while (w < nwant && want[w] < key)
                w++;
            keep = w < nwant && want[w] == key;
        }
        if (keep) {
            while (s0 < p->m && sk[s0].key < key)
                s0++;
            size_t s1 = s0, ones = 0;
            while (s1 < p->m && sk[s1].key == key)
                ones += p->sb[sk[s1++].idx];
            size_t tot = s1 - s0;
            double b = scale * (double)ones;
            if (scaling == RECON_SCALE_COND && tot > 0)
                b = (double)ones / (double)tot * (double)(i1 - i0);
            if (qset_add(Z, rk + i0, i1 - i0, b))
                return PA_ENOMEM;
            s0 = s1;
        }
        i0 = i1;
    }
    return PA_OK;
}

typedef struct rq {
    uint64_t mask;      /* subset of QI positions (bit a = position a) */
    uint64_t key;
} rq;

static int rq_cmp(const void *x, const void *y)
{
    const rq *a = x, *b = y;
    if (a->mask != b->mask)
        return (a->mask > b->mask) - (a->mask < b->mask);
    return (a->key > b->key) - (a->key < b->key);
}

static int u64_cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static int build_queries(const prep *p, const recon_opts *o, qset *Z, pa_err *err)
{
    memset(Z, 0, sizeof *Z);
    kv *rk = pa_malloc(p->n, sizeof *rk);
    kv *sk = pa_malloc(p->m + 1, sizeof *sk);
    size_t cols[RECON_MAX_K];
    int rc = PA_OK;
    if (!rk || !sk) {
        rc = pa_errf(err, PA_ENOMEM, "recon: out of memory");
        goto done;
    }
    /* all queries of orders k_min..k_max: every (k-1)-subset in lexicographic order */
    for (int k = o->k_max ? o->k_min : 1; o->k_max && k <= o->k_max; k++) {
        size_t r = (size_t)k - 1;
        if (r > p->Q)
            break;
        for (size_t a = 0; a < r; a++)
            cols[a] = a;
        for (;;) {
            rc = add_subset(p, cols, r, NULL, 0, o->scaling, rk, sk, Z);
            if (rc == PA_EINPUT) {
                rc = pa_errf(err, PA_EINPUT, "recon: a %d-way query's key space exceeds 64 bits (too many bins)", k);
                goto done;
            }
            if (rc) {
                rc = pa_errf(err, PA_ENOMEM, "recon: out of memory");
                goto done;
            }
            size_t a = r;
            while (a > 0 && cols[a - 1] == p->Q - r + a - 1)
                a--;
            if (a == 0)
                break;
            cols[a - 1]++;
            for (size_t b2 = a; b2 < r; b2++)
                cols[b2] = cols[b2 - 1] + 1;
        }
    }
    /* random k_rand-way queries: a uniform (k_rand-1)-subset and the tuple of a uniform real record */
    if (o->budget_rand > 0 && (size_t)o->k_rand - 1 <= p->Q && p->Q <= 64) {
        size_t r = (size_t)o->k_rand - 1, want_n = o->budget_rand, got = 0, tries = 0;
        rq *R = pa_malloc(want_n, sizeof *R);
        size_t *all = pa_malloc(p->Q, sizeof *all);
        uint64_t *keys = pa_malloc(want_n, sizeof *keys);
        gsl_rng *g = rng_stream(o->seed, 0);
        if (!R || !all || !keys || !g) {
            free(R), free(all), free(keys), gsl_rng_free(g);
            rc = pa_errf(err, PA_ENOMEM, "recon: out of memory");
            goto done;
        }
        for (size_t a = 0; a < p->Q; a++)
            all[a] = a;
        /* draw with rejection of duplicates; at most 20 × budget draws */
        while (got < want_n && tries < 20 * want_n) {
            tries++;
            size_t sub[RECON_MAX_K];
            gsl_ran_choose(g, sub, r, all, p->Q, sizeof *all);
            uint64_t mask = 0;
            for (size_t a = 0; a < r; a++)
                mask |= (uint64_t)1 << sub[a];
            size_t i = (size_t)rng_below(g, p->n);
            rq c = {mask, row_key(p->rc, p->Q, i, sub, r, p->card)};
            int dup = 0;
            for (size_t t = 0; t < got && !dup; t++)  /* budgets are small; linear scan is fine */
                dup = R[t].mask == c.mask && R[t].key == c.key;
            if (!dup)
                R[got++] = c;
        }
        qsort(R, got, sizeof *R, rq_cmp);
        for (size_t t0 = 0; t0 < got && !rc;) {
            size_t t1 = t0, nk = 0;
            while (t1 < got && R[t1].mask == R[t0].mask)
                keys[nk++] = R[t1++].key;
            qsort(keys, nk, sizeof *keys, u64_cmp);
            size_t nc = 0;
            for (size_t a = 0; a < p->Q; a++)
                if (R[t0].mask >> a & 1)
                    cols[nc++] = a;
            rc = add_subset(p, cols, nc, keys, nk, o->scaling, rk, sk, Z);
            if (rc)
                rc = pa_errf(err, rc, "recon: random queries: %s", rc == PA_EINPUT ? "key space exceeds 64 bits"
                                                                                   : "out of memory");
            t0 = t1;
        }
        free(R), free(all), free(keys), gsl_rng_free(g);
    }
    if (!rc && Z->q == 0)
        rc = pa_errf(err, PA_EINPUT, "recon: no queries (k orders %d..%d with %zu QI columns)", o->k_min, o->k_max,
                     p->Q);
done:
    free(rk);
    free(sk);
    if (rc)
        qset_free(Z);
    return rc;
}

/* ---- the LP's columns: records, or groups of records with equal columns of A ---- */

/* Columns of A in compressed-column form: nc columns (records, or groups of
 * records with the same rows), column c has the rows row[cstart[c] ..
 * cstart[c+1]) in increasing order and the bound ub[c] (1, or the group's
 * size n_g); grp[j] (n) is record j's column. Groups are numbered by their
 * first record. */
typedef struct lpcols {
    size_t nc, nnz;
    size_t *cstart;     /* (nc + 1) */
    int *row;           /* (nnz) */
    double *ub;         /* (nc) */
    size_t *grp;        /* (n) */
} lpcols;

static void lpcols_free(lpcols *C)
{
    free(C->cstart);
    free(C->row);
    free(C->ub);
    free(C->grp);
    memset(C, 0, sizeof *C);
}

static int lpcols_make(const qset *Z, size_t n, int aggregate, lpcols *C)
{
    memset(C, 0, sizeof *C);
    size_t *rs = pa_calloc(n + 1, sizeof *rs), *pos = pa_malloc(n + 1, sizeof *pos);
    int *rows = pa_malloc(Z->nnz + 1, sizeof *rows);
    urow_key *K = aggregate ? pa_malloc(n + 1, sizeof *K) : NULL;
    C->grp = pa_malloc(n + 1, sizeof *C->grp);
    C->cstart = pa_malloc(n + 1, sizeof *C->cstart);
    C->row = pa_malloc(Z->nnz + 1, sizeof *C->row);
    C->ub = pa_malloc(n + 1, sizeof *C->ub);
    if (!rs || !pos || !rows || (aggregate && !K) || !C->grp || !C->cstart || !C->row || !C->ub) {
        free(rs), free(pos), free(rows), free(K);
        lpcols_free(C);
        return PA_ENOMEM;
    }
    /* transpose: the rows of each record, increasing (rows are visited in order) */
    for (size_t e = 0; e < Z->nnz; e++)
        rs[Z->col[e] + 1]++;
    for (size_t j = 0; j < n; j++)
        rs[j + 1] += rs[j];
    memcpy(pos, rs, (n + 1) * sizeof *pos);
    for (size_t i = 0; i < Z->q; i++)
        for (size_t e = Z->start[i]; e < Z->start[i + 1]; e++)
            rows[pos[Z->col[e]]++] = (int)i;
    size_t nc = 0, nz = 0;
    if (!aggregate) {
        for (size_t j = 0; j < n; j++)
            C->grp[j] = j;
        nc = n;
    } else {
        /* equal row lists: sort by (hash, record), merge equal lists within each hash run */
        for (size_t j = 0; j < n; j++) {
            uint64_t h = 1469598103934665603ull;
            for (size_t e = rs[j]; e < rs[j + 1]; e++)
                h = (h ^ (uint64_t)(uint32_t)rows[e]) * 1099511628211ull;
            K[j].h = (h ^ (uint64_t)(rs[j + 1] - rs[j])) * 1099511628211ull;
            K[j].r = j;
        }
        qsort(K, n, sizeof *K, urow_key_cmp);
        for (size_t j = 0; j < n; j++)
            C->grp[j] = SIZE_MAX;
        for (size_t t0 = 0; t0 < n;) {
            size_t t1 = t0;
            while (t1 < n && K[t1].h == K[t0].h)
                t1++;
            for (size_t t = t0; t < t1; t++) { /* records in increasing order within the run */
                size_t j = K[t].r;
                if (C->grp[j] != SIZE_MAX)
                    continue;
                C->grp[j] = j; /* provisional: the group's first record */
                size_t len = rs[j + 1] - rs[j];
                for (size_t u = t + 1; u < t1; u++) {
                    size_t k = K[u].r;
                    if (C->grp[k] == SIZE_MAX && rs[k + 1] - rs[k] == len &&
                        !memcmp(rows + rs[k], rows + rs[j], len * sizeof *rows))
                        C->grp[k] = j;
                }
            }
            t0 = t1;
        }
        /* number the groups by their first record */
        for (size_t j = 0; j < n; j++)
            pos[j] = SIZE_MAX;
        for (size_t j = 0; j < n; j++) {
            size_t f = C->grp[j];
            if (pos[f] == SIZE_MAX)
                pos[f] = nc++;
            C->grp[j] = pos[f];
        }
    }
    for (size_t c = 0; c < nc; c++)
        C->ub[c] = 0;
    for (size_t j = 0; j < n; j++)
        C->ub[C->grp[j]] += 1;
    /* one representative's rows per column, in column order */
    for (size_t c = 0; c <= nc; c++)
        C->cstart[c] = SIZE_MAX;
    for (size_t j = 0, next = 0; j < n; j++) {
        size_t c = C->grp[j];
        if (c != next)
            continue; /* the group of j was numbered earlier (c < next) */
        C->cstart[c] = nz;
        for (size_t e = rs[j]; e < rs[j + 1]; e++)
            C->row[nz++] = rows[e];
        next++;
    }
    C->cstart[nc] = nz;
    C->nc = nc;
    C->nnz = nz;
    free(rs), free(pos), free(rows), free(K);
    return PA_OK;
}

/* GLPK problem of the split-form LP (header comment) over the columns C.
 * Columns 1..nc = x (or y), nc+1..nc+q = u, nc+q+1..nc+2q = v; rows 1..q. */
static glp_prob *lp_make(const qset *Z, const lpcols *C)
{
    size_t q = Z->q, n = C->nc, nz = C->nnz + 2 * q;
    if (q > 0x3fffffff || n > 0x3fffffff || nz > 0x3fffffff)
        return NULL;
    glp_prob *lp = glp_create_prob();
    int *ia = pa_malloc(nz + 1, sizeof *ia), *ja = pa_malloc(nz + 1, sizeof *ja);
    double *ar = pa_malloc(nz + 1, sizeof *ar);
    if (!ia || !ja || !ar) {
        free(ia), free(ja), free(ar);
        glp_delete_prob(lp);
        return NULL;
    }
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_rows(lp, (int)q);
    glp_add_cols(lp, (int)(n + 2 * q));
    for (size_t i = 0; i < q; i++)
        glp_set_row_bnds(lp, (int)i + 1, GLP_FX, Z->b[i], Z->b[i]);
    for (size_t j = 0; j < n; j++) {
        glp_set_col_bnds(lp, (int)j + 1, GLP_DB, 0.0, C->ub[j]);
        glp_set_obj_coef(lp, (int)j + 1, 0.0);
    }
    for (size_t i = 0; i < 2 * q; i++) {
        glp_set_col_bnds(lp, (int)(n + i) + 1, GLP_LO, 0.0, 0.0);
        glp_set_obj_coef(lp, (int)(n + i) + 1, 1.0);
    }
    size_t t = 1;
    for (size_t j = 0; j < n; j++)
        for (size_t e = C->cstart[j]; e < C->cstart[j + 1]; e++) {
            ia[t] = C->row[e] + 1, ja[t] = (int)j + 1, ar[t] = 1.0;
            t++;
        }
    for (size_t i = 0; i < q; i++) {
        ia[t] = (int)i + 1, ja[t] = (int)(n + i) + 1, ar[t] = -1.0;
        t++;
        ia[t] = (int)i + 1, ja[t] = (int)(n + q + i) + 1, ar[t] = 1.0;
        t++;
    }
    glp_load_matrix(lp, (int)nz, ia, ja, ar);
    free(ia), free(ja), free(ar);
    return lp;
}

/* Solves with GLPK; y (C->nc) gets the solution. */
static int solve_glpk(const qset *Z, const lpcols *C, int solver, double *y, recon_stats *st)
{
    glp_term_out(GLP_OFF);
    glp_prob *lp = lp_make(Z, C);
    if (!lp)
        return PA_ENOMEM;
    int ret, status;
    if (solver == RECON_INTERIOR) {
        glp_iptcp ip;
        glp_init_iptcp(&ip);
        ip.msg_lev = GLP_MSG_OFF;
        ret = glp_interior(lp, &ip);
        status = glp_ipt_status(lp);
    } else {
        glp_smcp sp;
        glp_init_smcp(&sp);
        sp.msg_lev = GLP_MSG_OFF;
        sp.presolve = GLP_ON;
        sp.meth = solver == RECON_PRIMAL ? GLP_PRIMAL : GLP_DUALP;
        ret = glp_simplex(lp, &sp);
        status = glp_get_status(lp);
    }
    st->glpk_ret = ret;
    st->glpk_status = status;
    int ok = ret == 0 && status == GLP_OPT;
    if (ok) {
        st->objective = solver == RECON_INTERIOR ? glp_ipt_obj_val(lp) : glp_get_obj_val(lp);
        for (size_t j = 0; j < C->nc; j++)
            y[j] = solver == RECON_INTERIOR ? glp_ipt_col_prim(lp, (int)j + 1) : glp_get_col_prim(lp, (int)j + 1);
    }
    glp_delete_prob(lp);
    return ok ? PA_OK : PA_EINTERNAL;
}

/* Solves with Clp's dual simplex (Clp_initialDualSolve: presolve, then the
 * dual simplex; deterministic); y (C->nc) gets the solution. */
static int solve_clp(const qset *Z, const lpcols *C, double *y, recon_stats *st)
{
    size_t q = Z->q, n = C->nc, N = n + 2 * q, nz = C->nnz + 2 * q;
    if (N > 0x3fffffff || nz > 0x3fffffff)
        return PA_ENOMEM;
    CoinBigIndex *start = pa_malloc(N + 1, sizeof *start);
    int *index = pa_malloc(nz + 1, sizeof *index);
    double *value = pa_malloc(nz + 1, sizeof *value), *lo = pa_malloc(N, sizeof *lo), *hi = pa_malloc(N, sizeof *hi),
           *obj = pa_malloc(N, sizeof *obj);
    Clp_Simplex *m = NULL;
    int rc = PA_OK;
    if (!start || !index || !value || !lo || !hi || !obj || !(m = Clp_newModel())) {
        rc = PA_ENOMEM;
        goto out;
    }
    size_t t = 0;
    for (size_t j = 0; j < n; j++) {
        start[j] = (CoinBigIndex)t;
        for (size_t e = C->cstart[j]; e < C->cstart[j + 1]; e++) {
            index[t] = C->row[e];
            value[t++] = 1.0;
        }
        lo[j] = 0, hi[j] = C->ub[j], obj[j] = 0;
    }
    for (size_t i = 0; i < 2 * q; i++) {
        start[n + i] = (CoinBigIndex)t;
        index[t] = (int)(i % q);
        value[t++] = i < q ? -1.0 : 1.0;
        lo[n + i] = 0, hi[n + i] = DBL_MAX, obj[n + i] = 1;
    }
    start[N] = (CoinBigIndex)t;
    Clp_setLogLevel(m, 0);
    Clp_loadProblem(m, (int)N, (int)q, start, index, value, lo, hi, obj, Z->b, Z->b);
    Clp_initialDualSolve(m);
    int proven = Clp_isProvenOptimal(m);
    st->glpk_status = proven ? GLP_OPT : 100 + Clp_status(m);
    st->glpk_ret = Clp_secondaryStatus(m);
    if (!proven) {
        rc = PA_EINTERNAL;
        goto out;
    }
    st->objective = Clp_getObjValue(m);
    const double *sol = Clp_getColSolution(m);
    memcpy(y, sol, n * sizeof *y);
out:
    if (m)
        Clp_deleteModel(m);
    free(start), free(index), free(value), free(lo), free(hi), free(obj);
    return rc;
}

static int lp_prepare(const table *real, const table *synth, int secret_col, int32_t code, const recon_opts *o,
                      int aggregate, prep *p, qset *Z, lpcols *C, recon_stats *st, pa_err *err)
{
    double t0 = now_s();
    int rc = prep_make(real, synth, secret_col, code, o, p, err);
    if (rc)
        return rc;
    rc = build_queries(p, o, Z, err);
    if (rc) {
        prep_free(p);
        return rc;
    }
    if (C && lpcols_make(Z, p->n, aggregate, C)) {
        qset_free(Z);
        prep_free(p);
        return pa_errf(err, PA_ENOMEM, "recon: out of memory building the LP");
    }
    if (st) {
        memset(st, 0, sizeof *st);
        st->queries = Z->q;
        st->nonzeros = Z->nnz;
        st->columns = C ? C->nc : p->n;
        st->build_seconds = now_s() - t0;
        st->objective = NAN;
    }
    return PA_OK;
}

static const char *solver_name(int s)
{
    switch (s) {
    case RECON_SIMPLEX: return "GLPK dual simplex";
    case RECON_INTERIOR: return "GLPK glp_interior";
    case RECON_PRIMAL: return "GLPK primal simplex";
    default: return "Clp dual simplex";
    }
}

int recon_attack(const table *real, const table *synth, int secret_col, int32_t secret_code,
                 const recon_opts *o, double *x, recon_stats *st, pa_err *err)
{
    prep p;
    qset Z;
    lpcols C;
    recon_stats local;
    if (!st)
        st = &local;
    if (!synth || !x || !o)
        return pa_errf(err, PA_EINPUT, "recon: NULL argument");
    int rc = lp_prepare(real, synth, secret_col, secret_code, o, o->aggregate, &p, &Z, &C, st, err);
    if (rc)
        return rc;
    double *y = pa_malloc(C.nc + 1, sizeof *y);
    if (!y) {
        rc = pa_errf(err, PA_ENOMEM, "recon: out of memory");
        goto out;
    }
    double t0 = now_s();
    rc = o->solver == RECON_CLP ? solve_clp(&Z, &C, y, st) : solve_glpk(&Z, &C, o->solver, y, st);
    st->seconds = now_s() - t0;
    if (rc == PA_ENOMEM) {
        rc = pa_errf(err, PA_ENOMEM, "recon: out of memory building the LP");
        goto out;
    }
    if (rc) {
        rc = pa_errf(err, PA_EINTERNAL, "recon: %s failed (return %d, status %d) on %zu queries x %zu records",
                     solver_name(o->solver), st->glpk_ret, st->glpk_status, st->queries, p.n);
        goto out;
    }
    st->objective = fmax(0.0, st->objective);
    for (size_t j = 0; j < p.n; j++) {
        size_t c = C.grp[j];
        double v = y[c] / C.ub[c];
        x[j] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
out:
    free(y);
    lpcols_free(&C);
    qset_free(&Z);
    prep_free(&p);
    return rc;
}

int recon_write_lp(const table *real, const table *synth, int secret_col, int32_t secret_code,
                   const recon_opts *o, const char *path, const char *fmt, recon_stats *st, pa_err *err)
{
    prep p;
    qset Z;
    lpcols C;
    if (!synth || !path || !fmt || !o)
        return pa_errf(err, PA_EINPUT, "recon: NULL argument");
    int groups = !strcmp(fmt, "groups");
    if (strcmp(fmt, "lp") && strcmp(fmt, "mps") && strcmp(fmt, "triplets") && !groups)
        return pa_errf(err, PA_EINPUT, "recon: LP format \"%s\": expected lp, mps, triplets or groups", fmt);
    int rc = lp_prepare(real, synth, secret_col, secret_code, o, groups, &p, &Z, &C, st, err);
    if (rc)
        return rc;
    if (!strcmp(fmt, "triplets") || groups) {
        FILE *f = fopen(path, "w");
        if (!f) {
            rc = pa_errf(err, PA_EIO, "recon: cannot write %s", path);
        } else {
            fprintf(f, "%zu %zu %zu\n", C.nc, Z.q, C.nnz);
            /* row-major, as the queries were built */
            size_t *at = pa_calloc(Z.q + 1, sizeof *at);
            if (!at) {
                fclose(f);
                rc = pa_errf(err, PA_ENOMEM, "recon: out of memory");
                goto out;
            }
            for (size_t e = 0; e < C.nnz; e++)
                at[C.row[e] + 1]++;
            for (size_t i = 0; i < Z.q; i++)
                at[i + 1] += at[i];
            size_t *cols = pa_malloc(C.nnz + 1, sizeof *cols);
            if (!cols) {
                free(at), fclose(f);
                rc = pa_errf(err, PA_ENOMEM, "recon: out of memory");
                goto out;
            }
            for (size_t c = 0; c < C.nc; c++)
                for (size_t e = C.cstart[c]; e < C.cstart[c + 1]; e++)
                    cols[at[C.row[e]]++] = c;
            for (size_t i = 0, e = 0; i < Z.q; i++)
                for (; e < at[i]; e++)
                    fprintf(f, "%zu %zu 1\n", i, cols[e]);
            free(at), free(cols);
            for (size_t i = 0; i < Z.q; i++)
                fprintf(f, "%.17g\n", Z.b[i]);
            if (groups)
                for (size_t c = 0; c < C.nc; c++)
                    fprintf(f, "%.17g\n", C.ub[c]);
            if (fclose(f))
                rc = pa_errf(err, PA_EIO, "recon: error writing %s", path);
        }
    } else {
        glp_term_out(GLP_OFF);
        glp_prob *lp = lp_make(&Z, &C);
        if (!lp) {
            rc = pa_errf(err, PA_ENOMEM, "recon: out of memory building the LP");
        } else {
            int w = !strcmp(fmt, "lp") ? glp_write_lp(lp, NULL, path) : glp_write_mps(lp, GLP_MPS_FILE, NULL, path);
            if (w)
                rc = pa_errf(err, PA_EIO, "recon: GLPK could not write %s", path);
            glp_delete_prob(lp);
        }
    }
out:
    lpcols_free(&C);
    qset_free(&Z);
    prep_free(&p);
    return rc;
}

/* ---- comparator (a): logistic regression on one-hot QIs ---- */

/* The design matrix X (m, p) is one-hot: row r has a 1 in column 0
 * (intercept) and in column off[a] + code for each QI a, so X^T W X and
 * X^T v are accumulated over the Q + 1 ones of each row (O(m Q²)) rather than
 * by dense BLAS products over mostly zero rows (O(m p²)); the p × p Newton
 * system is solved by GSL's Cholesky. */
int recon_classifier(const table *real, const table *synth, int secret_col, int32_t secret_code,
                     const recon_opts *o, double *score, pa_err *err)
{
    prep p;
    if (!synth || !score)
        return pa_errf(err, PA_EINPUT, "recon: NULL argument");
    int rc = prep_make(real, synth, secret_col, secret_code, o, &p, err);
    if (rc)
        return rc;
    size_t Q = p.Q, m = p.m, ones = 0;
    for (size_t r = 0; r < m; r++)
        ones += p.sb[r];
    if (ones == 0 || ones == m) {
        for (size_t i = 0; i < p.n; i++)
            score[i] = ones ? 1.0 : 0.0;
        prep_free(&p);
        return PA_OK;
    }
    size_t P = 1;
    size_t *off = pa_malloc(Q, sizeof *off);
    if (!off) {
        prep_free(&p);
        return pa_errf(err, PA_ENOMEM, "recon: out of memory");
    }
    for (size_t a = 0; a < Q; a++) {
        off[a] = P;
        P += p.card[a];
    }
    gsl_matrix *H = gsl_matrix_alloc(P, P);
    gsl_vector *g = gsl_vector_alloc(P), *step = gsl_vector_alloc(P), *w = gsl_vector_calloc(P),
               *wn = gsl_vector_alloc(P);
    size_t *idx = pa_malloc(Q + 1, sizeof *idx);
    if (!H || !g || !step || !w || !wn || !idx) {
        rc = pa_errf(err, PA_ENOMEM, "recon: out of memory");
        goto out;
    }
    /* objective f(w) = Σ_r logloss_r + ½ ‖w_{1..}‖² (scikit-learn C = 1) */
#define ROW_IDX(codes, r)                                     \
    do {                                                      \
        idx[0] = 0;                                           \
        for (size_t a_ = 0; a_ < Q; a_++)                     \
            idx[a_ + 1] = off[a_] + (size_t)(codes)[(r) * Q + a_]; \
    } while (0)
    double f = 0;
    for (int it = 0; it < 100; it++) {
        gsl_matrix_set_zero(H);
        gsl_vector_set_zero(g);
        f = 0;
        for (size_t r = 0; r < m; r++) {
            ROW_IDX(p.sc, r);
            double z = 0;
            for (size_t a = 0; a <= Q; a++)
                z += gsl_vector_get(w, idx[a]);
            double pr = 1.0 / (1.0 + exp(-z)), y = p.sb[r];
            f += y ? log1p(exp(-z)) : log1p(exp(z));
            double hr = pr * (1 - pr), gr = pr - y;
            for (size_t a = 0; a <= Q; a++) {
                *gsl_vector_ptr(g, idx[a]) += gr;
                for (size_t b2 = 0; b2 <= Q; b2++)
                    *gsl_matrix_ptr(H, idx[a], idx[b2]) += hr;
            }
        }
        double gn = 0;
        for (size_t c = 0; c < P; c++) {
            double wc = gsl_vector_get(w, c);
            if (c > 0) {
                f += 0.5 * wc * wc;
                *gsl_vector_ptr(g, c) += wc;
                *gsl_matrix_ptr(H, c, c) += 1.0;
            } else {
                *gsl_matrix_ptr(H, c, c) += 1e-10;
            }
            gn += gsl_vector_get(g, c) * gsl_vector_get(g, c);
        }
        if (sqrt(gn) < 1e-8 * (double)m)
            break;
        if (gsl_linalg_cholesky_decomp1(H) || gsl_linalg_cholesky_solve(H, g, step)) {
            rc = pa_errf(err, PA_EINTERNAL, "recon: classifier Newton system is not positive definite");
            goto out;
        }
        /* backtracking line search on f */
        double t = 1.0;
        for (int ls = 0; ls < 30; ls++, t *= 0.5) {
            for (size_t c = 0; c < P; c++)
                gsl_vector_set(wn, c, gsl_vector_get(w, c) - t * gsl_vector_get(step, c));
            double fn = 0;
            for (size_t r = 0; r < m; r++) {
                ROW_IDX(p.sc, r);
                double z = 0;
                for (size_t a = 0; a <= Q; a++)
                    z += gsl_vector_get(wn, idx[a]);
                fn += p.sb[r] ? log1p(exp(-z)) : log1p(exp(z));
            }
            for (size_t c = 1; c < P; c++)
                fn += 0.5 * gsl_vector_get(wn, c) * gsl_vector_get(wn, c);
            if (fn <= f)
                break;
        }
        gsl_vector_memcpy(w, wn);
    }
    for (size_t i = 0; i < p.n; i++) {
        ROW_IDX(p.rc, i);
        double z = 0;
        for (size_t a = 0; a <= Q; a++)
            z += gsl_vector_get(w, idx[a]);
        score[i] = 1.0 / (1.0 + exp(-z));
    }
#undef ROW_IDX
out:
    gsl_matrix_free(H);
    gsl_vector_free(g);
    gsl_vector_free(step);
    gsl_vector_free(w);
    gsl_vector_free(wn);
    free(idx);
    free(off);
    prep_free(&p);
    return rc;
}

/* ---- comparator (b): nearest synthetic record ---- */

typedef struct urow {
    const int32_t *codes;   /* (Q) */
    size_t ones, tot;
} urow;


static uint64_t codes_hash(const int32_t *c, size_t Q)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t a = 0; a < Q; a++)
        h = (h ^ (uint64_t)(uint32_t)c[a]) * 1099511628211ull;
    return h;
}

int recon_nearest(const table *real, const table *synth, int secret_col, int32_t secret_code,
                  const recon_opts *o, double *score, pa_err *err)
{
    prep p;
    if (!synth || !score)
        return pa_errf(err, PA_EINPUT, "recon: NULL argument");
    int rc = prep_make(real, synth, secret_col, secret_code, o, &p, err);
    if (rc)
        return rc;
    size_t Q = p.Q, m = p.m;
    /* collapse identical synthetic QI tuples: sort by hash, merge equal tuples within each hash run */
    urow_key *K = pa_malloc(m, sizeof *K);
    urow *U = pa_malloc(m, sizeof *U);
    if (!K || !U) {
        free(K), free(U), prep_free(&p);
        return pa_errf(err, PA_ENOMEM, "recon: out of memory");
    }
    for (size_t r = 0; r < m; r++) {
        K[r].h = codes_hash(p.sc + r * Q, Q);
        K[r].r = r;
    }
    qsort(K, m, sizeof *K, urow_key_cmp);
    size_t nu = 0;
    for (size_t t0 = 0; t0 < m;) {
        size_t t1 = t0, first = nu;
        while (t1 < m && K[t1].h == K[t0].h)
            t1++;
        for (size_t t = t0; t < t1; t++) {
            const int32_t *c = p.sc + K[t].r * Q;
            size_t u = first;
            while (u < nu && memcmp(U[u].codes, c, Q * sizeof *c))
                u++;
            if (u == nu)
                U[nu++] = (urow){c, 0, 0};
            U[u].ones += p.sb[K[t].r];
            U[u].tot++;
        }
        t0 = t1;
    }
    for (size_t i = 0; i < p.n; i++) {
        const int32_t *ri = p.rc + i * Q;
        size_t best = Q + 1, ones = 0, tot = 0;
        for (size_t u = 0; u < nu; u++) {
            size_t dist = 0;
            for (size_t a = 0; a < Q && dist <= best; a++)
                dist += U[u].codes[a] != ri[a];
            if (dist < best) {
                best = dist;
                ones = U[u].ones;
                tot = U[u].tot;
            } else if (dist == best) {
                ones += U[u].ones;
                tot += U[u].tot;
            }
        }
        score[i] = tot ? (double)ones / (double)tot : 0.0;
    }
    free(K), free(U), prep_free(&p);
    return PA_OK;
}

/* ---- binomial interval and summary ---- */

/* The p with I_p(a, b) = target (the regularised incomplete beta is
 * increasing in p), by bisection on gsl_cdf_beta_P: GSL's own beta quantile
 * returns NaN for many large parameters (e.g. a = 22700, b = 2301). 200
 * halvings reach the spacing of doubles near any p in (0, 1). */
static double beta_quantile(double target, double a, double b)
{
    double lo = 0, hi = 1;
    for (int it = 0; it < 200 && hi - lo > 0; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (gsl_cdf_beta_P(mid, a, b) < target)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

void recon_binom_ci(size_t k, size_t n, double alpha, double *lo, double *hi)
{
    if (n == 0) {
        *lo = 0, *hi = 1;
        return;
    }
    *lo = k == 0 ? 0.0 : beta_quantile(alpha / 2, (double)k, (double)(n - k) + 1);
    *hi = k == n ? 1.0 : beta_quantile(1 - alpha / 2, (double)k + 1, (double)(n - k));
}

void recon_summarise(const recon_game_rec *recs, size_t games, recon_summary *out)
{
    memset(out, 0, sizeof *out);
    out->games = games;
    for (int a = 0; a < RECON_N_ATT; a++) {
        size_t hits = 0, cnt = 0;
        double s = 0, s2 = 0;
        for (size_t g = 0; g < games; g++) {
            hits += recs[g].target_correct[a] == 1;
            if (!isnan(recs[g].acc_all[a])) {
                s += recs[g].acc_all[a];
                s2 += recs[g].acc_all[a] * recs[g].acc_all[a];
                cnt++;
            }
        }
        out->target_hits[a] = hits;
        out->target_acc[a] = games ? (double)hits / (double)games : NAN;
        recon_binom_ci(hits, games, 0.05, &out->target_lo[a], &out->target_hi[a]);
        out->acc_all_mean[a] = cnt ? s / (double)cnt : NAN;
        out->acc_all_sd[a] = cnt > 1 ? sqrt(fmax(0, (s2 - s * s / (double)cnt) / (double)(cnt - 1))) : NAN;
    }
    double sm = 0, st = 0, sl = 0;
    size_t ct = 0, cl = 0;
    for (size_t g = 0; g < games; g++) {
        sm += recs[g].majority;
        if (!isnan(recs[g].tvd3))
            st += recs[g].tvd3, ct++;
        if (!isnan(recs[g].lp.seconds))
            sl += recs[g].lp.seconds, cl++;
    }
    out->majority_mean = games ? sm / (double)games : NAN;
    out->tvd3_mean = ct ? st / (double)ct : NAN;
    out->lp_seconds_mean = cl ? sl / (double)cl : NAN;
}

/* ---- the game ---- */

/* uniq (n): 1 if record i's QI tuple occurs once. Sorts by hash then
 * compares, so no global state is needed (thread safe). */
static int uniq_rows(const prep *p, unsigned char *uniq)
{
    size_t n = p->n, Q = p->Q;
    urow_key *K = pa_malloc(n, sizeof *K);
    if (!K)
        return PA_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        K[i].h = codes_hash(p->rc + i * Q, Q);
        K[i].r = i;
        uniq[i] = 1;
    }
    qsort(K, n, sizeof *K, urow_key_cmp);
    for (size_t t0 = 0; t0 < n;) {
        size_t t1 = t0;
        while (t1 < n && K[t1].h == K[t0].h)
            t1++;
        for (size_t u = t0; u < t1; u++)
            for (size_t v = u + 1; v < t1; v++)
                if (!memcmp(p->rc + K[u].r * Q, p->rc + K[v].r * Q, Q * sizeof(int32_t)))
                    uniq[K[u].r] = uniq[K[v].r] = 0;
        t0 = t1;
    }
    free(K);
    return PA_OK;
}

int recon_game_play(const table *pop, const recon_game_cfg *cfg, const recon_opts *o, size_t g,
                    recon_game_rec *out, pa_err *err)
{
    if (!pop || !cfg || !o || !out)
        return pa_errf(err, PA_EINPUT, "recon game: NULL argument");
    memset(out, 0, sizeof *out);
    out->game = g;
    out->tvd3 = NAN;
    out->lp.seconds = NAN;
    out->lp.objective = NAN;
    for (int a = 0; a < RECON_N_ATT; a++) {
        out->acc_all[a] = NAN;
        out->target_score[a] = NAN;
        out->target_correct[a] = -1;
    }
    size_t n = cfg->n, m = cfg->m, N = pop->n;
    if (n < 2 || n > N)
        return pa_errf(err, PA_EINPUT, "recon game: n = %zu: expected 2 <= n <= %zu (population size)", n, N);
    if (m < 1)
        return pa_errf(err, PA_EINPUT, "recon game: m = %zu: expected m >= 1", m);
    int sc = cfg->secret_col;
    int32_t code = cfg->secret_code;
    gsl_rng *r = rng_stream(cfg->seed, g);
    size_t *perm = pa_malloc(N, sizeof *perm);
    unsigned char *uniq = pa_malloc(n, 1);
    double *x = pa_malloc(n, sizeof *x);
    table *train = NULL, *syn = NULL;
    gen_model *gm = NULL;
    prep p;
    memset(&p, 0, sizeof p);
    int rc = PA_OK;
    if (!r || !perm || !uniq || !x) {
        rc = pa_errf(err, PA_ENOMEM, "recon game: out of memory");
        goto out;
    }
    for (size_t i = 0; i < N; i++)
        perm[i] = i;
    for (size_t i = 0; i < n; i++) { /* partial Fisher–Yates: the first n are a uniform sample */
        size_t j = i + (size_t)rng_below(r, N - i);
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    train = tbl_rows(pop, perm, n);
    if (!train) {
        rc = pa_errf(err, PA_ENOMEM, "recon game: out of memory");
        goto out;
    }
    rc = prep_make(train, NULL, sc, code, o, &p, err);
    if (rc)
        goto out;
    if (uniq_rows(&p, uniq)) {
        rc = pa_errf(err, PA_ENOMEM, "recon game: out of memory");
        goto out;
    }
    size_t nu = 0;
    for (size_t i = 0; i < n; i++)
        nu += uniq[i];
    if (nu == 0) {
        rc = pa_errf(err, PA_EINPUT, "recon game %zu: no record has a unique quasi-identifier tuple among the %zu "
                     "sampled", g, n);
        goto out;
    }
    size_t pick = (size_t)rng_below(r, nu), t = 0;
    for (size_t i = 0; i < n; i++)
        if (uniq[i] && pick-- == 0) {
            t = i;
            break;
        }
    out->target = t;
    out->target_bit = (int)rng_below(r, 2);
    size_t K = pop->s->cols[sc].size;
    if (out->target_bit)
        train->cat[sc][t] = code;
    else if (K == 2)
        train->cat[sc][t] = 1 - code;
    else {
        int32_t c = (int32_t)rng_below(r, K - 1);
        train->cat[sc][t] = c >= code ? c + 1 : c;
    }
    size_t ones = 0;
    for (size_t i = 0; i < n; i++)
        ones += train->cat[sc][i] == code;
    out->majority = (double)(ones > n - ones ? ones : n - ones) / (double)n;
    double t0 = now_s();
    rc = gen_fit(cfg->generator, train, cfg->gc, r, &gm, err);
    if (!rc)
        rc = gen_sample(gm, m, r, &syn, err);
    if (rc) {
        pa_err_prefix(err, "recon game %zu: generator \"%s\"", g, cfg->generator);
        goto out;
    }
    out->gen_seconds = now_s() - t0;
    int mask = cfg->attacks ? cfg->attacks : (1 << RECON_N_ATT) - 1;
    for (int a = 0; a < RECON_N_ATT; a++) {
        if (!(mask >> a & 1))
            continue;
        if (a == RECON_ATT_LP)
            rc = recon_attack(train, syn, sc, code, o, x, &out->lp, err);
        else if (a == RECON_ATT_CLF)
            rc = recon_classifier(train, syn, sc, code, o, x, err);
        else
            rc = recon_nearest(train, syn, sc, code, o, x, err);
        if (rc) {
            pa_err_prefix(err, "recon game %zu: attack %s", g, recon_att_name(a));
            goto out;
        }
        size_t right = 0;
        for (size_t i = 0; i < n; i++)
            right += (x[i] > 0.5) == (train->cat[sc][i] == code);
        out->acc_all[a] = (double)right / (double)n;
        out->target_score[a] = x[t];
        out->target_correct[a] = (x[t] > 0.5) == out->target_bit;
    }
    if (cfg->want_tvd && train->d >= 3) {
        double mean, mx;
        pa_err e2;
        if (util_tvd(train, syn, 3, 0, o->bins ? o->bins : RECON_DEFAULT_BINS, cfg->seed, &mean, &mx, &e2) == PA_OK)
            out->tvd3 = mean;
    }
out:
    prep_free(&p);
    gen_free(gm);
    tbl_free(syn);
    tbl_free(train);
    free(perm);
    free(uniq);
    free(x);
    gsl_rng_free(r);
    return rc;
}

int recon_game(const table *pop, const recon_game_cfg *cfg, const recon_opts *o, size_t games,
               recon_game_rec *recs, recon_summary *out, pa_err *err)
{
    recon_game_rec *R = recs ? recs : pa_malloc(games ? games : 1, sizeof *R);
    if (!R)
        return pa_errf(err, PA_ENOMEM, "recon game: out of memory");
    int rc = PA_OK;
    for (size_t g = 0; g < games && !rc; g++)
        rc = recon_game_play(pop, cfg, o, g, &R[g], err);
    if (!rc && out)
        recon_summarise(R, games, out);
    if (!recs)
        free(R);
    return rc;
}
