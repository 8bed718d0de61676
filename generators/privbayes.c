/* privbayes.c — PrivBayes (Zhang, Cormode, Procopiuc, Srivastava, Xiao,
 * "PrivBayes: Private Data Release via Bayesian Networks", ACM TODS 2017).
 *
 * n = records, d = attributes, k = degree (parents per attribute),
 * c = codes of an attribute, Π = a parent set.
 *
 * Privacy: pure ε-DP, split ε1 = ε2 = ε/2. Neighbouring tables differ in one
 * record (replace-one, n public), the paper's setting.
 *   Structure (GreedyBayes, Alg. 4): the first attribute is drawn uniformly;
 *   then d−1 times the pair (X, Π), X not yet in the network and Π a set of
 *   min(k, |V|) attributes already in it, is drawn by the exponential
 *   mechanism with score I(X; Π) (mutual information in bits of the
 *   empirical distribution) at ε1/(d−1) per step:
 *   P(X, Π) ∝ exp(ε1/(d−1) · I(X; Π) / (2 S)), with S the sensitivity of I
 *   from the paper's Lemma 4.1 (replace-one, n records):
 *     X or Π binary: S = (1/n) log2 n + ((n−1)/n) log2(n/(n−1)),
 *     otherwise:     S = (2/n) log2((n+1)/2) + ((n−1)/n) log2((n+1)/(n−1)).
 *   Conditionals: for each attribute the joint counts of (Π, X) get Laplace
 *   noise of scale 2d/ε2 (one record changes a count table by at most 2 in L1;
 *   d tables). This materialises d tables where the paper derives the first
 *   k conditionals from the (k+1)-th table (d − k tables): a little more noise
 *   for simpler code. Negative counts are clipped to 0 and each parent
 *   configuration's row normalised; an all-zero row falls back to the
 *   (clipped, noisy) marginal of X summed over all rows, and to uniform if that
 *   is zero too (post-processing).
 * Degree: by default the θ-usefulness rule of the paper (Sec. 4.3) with its
 * recommended θ = 4 (parameter "theta"): (X, Π) is a candidate iff
 * |Π| ≤ k (parameter "k", default 2) and
 *   c_X · Π_{p∈Π} c_p ≤ n ε2 / (2 d θ),
 * i.e. the average mass of a cell of the normalised joint, 1/cells, is at
 * least θ times the noise scale 2d/(n ε2) of a cell (our d-table noise); the
 * empty Π is always a candidate. The paper states the rule for binary
 * attributes (it picks one k); on non-binary domains we apply the same cell
 * bound to each candidate. "theta": 0 switches the rule off: every attribute
 * then gets exactly min(k, |V|) parents (fixed degree k), which on large
 * domains drowns the conditionals in noise (on Adult at ε = 1, mean 2-way
 * TVD 0.6 against 0.10 with θ = 4). Candidates whose table would exceed
 * PB_MAX_CELLS cells are skipped.
 *
 * ε = INFINITY: the non-private network (first attribute random, then the
 * greedy maximum-MI pair each step, ties to the first candidate) with exact
 * conditionals.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "audit/utility.h"
#include "core/rng.h"
#include "generators/gen.h"
#include "generators/pgm.h"

#define PB_NAME "privbayes"
#define PB_MAX_K 8
#define PB_MAX_CELLS ((size_t)1 << 24)

typedef struct pb_state {
    schema *s;          /* copy of the training schema */
    size_t bins;        /* bins of numeric columns */
    size_t d;           /* attributes */
    size_t *card;       /* (d) codes per attribute */
    size_t *order;      /* (d) attributes in network (= sampling) order */
    size_t *npar;       /* (d) number of parents of attribute j */
    size_t (*par)[PB_MAX_K]; /* (d) parents of attribute j */
    double **cdf;       /* (d) (Π c_parents, c_j): cumulative rows of P(j | parents) */
    gen_privacy priv;
} pb_state;

static const char *const pb_keys[] = {"bins", "k", "theta", NULL};

typedef struct pb_params {
    size_t bins, k;
    double theta;
} pb_params;

static int pb_read_params(const schema *s, const gen_config *cfg, pb_params *p, pa_err *err)
{
    double v;
    int rc;
    if ((rc = gen_param_known(cfg->params, PB_NAME, pb_keys, err)))
        return rc;
    if ((rc = gen_param_int(cfg->params, PB_NAME, "bins", UTIL_DEFAULT_BINS, 1, 1e6, &v, err)))
        return rc;
    p->bins = (size_t)v;
    if ((rc = gen_param_int(cfg->params, PB_NAME, "k", 2, 0, PB_MAX_K, &v, err)))
        return rc;
    p->k = (size_t)v;
    if ((rc = gen_param_num(cfg->params, PB_NAME, "theta", 4, 0, 1e12, &p->theta, err)))
        return rc;
    if (!(cfg->epsilon > 0) || isnan(cfg->epsilon))
        return pa_errf(err, PA_EINPUT, "generator \"privbayes\": epsilon must be > 0 or infinite (got %.17g)",
                       cfg->epsilon);
    if (!s || s->d < 1)
        return pa_errf(err, PA_EINPUT, "generator \"privbayes\": the schema has no columns");
    for (size_t j = 0; j < s->d; j++)
        if (util_col_bins(&s->cols[j], p->bins) > PB_MAX_CELLS)
            return pa_errf(err, PA_EINPUT, "generator \"privbayes\": column '%s' has more than %zu codes",
                           s->cols[j].name, PB_MAX_CELLS);
    return PA_OK;
}

/* refuses an ε whose noise rounding could drop (gen_noise_scale_check): the
 * conditionals' Laplace scale 2d/ε₂, ε₂ = ε/2 */
static int pb_noise_floor(size_t d, const gen_config *cfg, pa_err *err)
{
    if (!isfinite(cfg->epsilon) || !(cfg->epsilon > 0))
        return PA_OK;
    return gen_noise_scale_check("privbayes", "conditionals (Laplace)", 2.0 * (double)d / (cfg->epsilon / 2),
                                 cfg->epsilon, err);
}

static int pb_check(const schema *s, const gen_config *cfg, pa_err *err)
{
    pb_params p;
    int rc = pb_read_params(s, cfg, &p, err);
    return rc || !s ? rc : pb_noise_floor(s->d, cfg, err);
}

static void pb_free(void *state)
{
    pb_state *st = state;
    if (!st)
        return;
    if (st->cdf)
        for (size_t j = 0; j < st->d; j++)
            free(st->cdf[j]);
    free(st->cdf);
    free(st->card);
    free(st->order);
    free(st->npar);
    free(st->par);
    schema_free(st->s);
    free(st);
}

/* Σ c log2 c over counts */
static double xlogx(double c)
{
    return c > 0 ? c * log2(c) : 0.0;
}

/* Sensitivity of the mutual information (bits) for n records, Lemma 4.1 of
 * Zhang et al. 2017; `binary` if X or Π has a domain of size 2. */
static double pb_mi_sensitivity(double n, int binary)
{
    if (n < 2)
        return 1.0; /* MI of a distribution over ≤ 1 record is 0: any bound works */
    if (binary)
        return log2(n) / n + (n - 1) / n * log2(n / (n - 1));
    return 2.0 / n * log2((n + 1) / 2) + (n - 1) / n * log2((n + 1) / (n - 1));
}

typedef struct pb_key {
    uint64_t key;
    size_t row;
} pb_key;

static int cmp_key(const void *a, const void *b)
{
    const pb_key *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Groups the rows by their configuration of the attributes par[0..np-1]:
 * perm[start[g] .. start[g+1]) are the rows of group g, g < *ng.
 * *sxl = Σ_g |g| log2 |g|. perm and start have room for n and n+1. */
static int pb_group(const pgm_codes *x, const size_t *par, size_t np, size_t *perm, size_t *start,
                    size_t *ng, double *sxl)
{
    size_t n = x->n;
    size_t cells = pgm_cells(x->card, par, np, PB_MAX_CELLS);
    *ng = 0;
    *sxl = 0;
    if (np == 0 || cells <= 1) {
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        start[0] = 0;
        start[1] = n;
        *ng = 1;
        *sxl = xlogx((double)n);
        return PA_OK;
    }
    if (cells <= 4 * n + 65536) { /* counting sort */
        size_t *cnt = calloc(cells + 1, sizeof *cnt);
        size_t *key = malloc(n * sizeof *key);
        if (!cnt || !key) {
            free(cnt);
            free(key);
            return PA_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            size_t idx = 0;
            for (size_t a = 0; a < np; a++)
                idx = idx * x->card[par[a]] + (size_t)x->x[par[a] * n + i];
            key[i] = idx;
            cnt[idx + 1]++;
        }
        for (size_t c = 0; c < cells; c++)
            cnt[c + 1] += cnt[c];
        for (size_t c = 0; c < cells; c++)
            if (cnt[c + 1] > cnt[c]) {
                start[*ng] = cnt[c];
                (*ng)++;
                *sxl += xlogx((double)(cnt[c + 1] - cnt[c]));
            }
        start[*ng] = n;
        for (size_t i = 0; i < n; i++)
            perm[cnt[key[i]]++] = i;
        free(cnt);
        free(key);
        return PA_OK;
    }
    pb_key *k = malloc((n ? n : 1) * sizeof *k);
    if (!k)
        return PA_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t idx = 0;
        for (size_t a = 0; a < np; a++)
            idx = idx * x->card[par[a]] + (uint64_t)x->x[par[a] * n + i];
        k[i].key = idx;
        k[i].row = i;
    }
    qsort(k, n, sizeof *k, cmp_key);
    for (size_t i = 0; i < n; i++) {
        perm[i] = k[i].row;
        if (i == 0 || k[i].key != k[i - 1].key)
            start[(*ng)++] = i;
    }
    start[*ng] = n;
    for (size_t g = 0; g < *ng; g++)
        *sxl += xlogx((double)(start[g + 1] - start[g]));
    free(k);
    return PA_OK;
}

/* Σ over (group, x) cells of c log2 c, for attribute xa, given a grouping.
 * scratch has room for card[xa] zeroed counts and is left zeroed. */
static double pb_joint_xlogx(const pgm_codes *x, size_t xa, const size_t *perm, const size_t *start,
                             size_t ng, double *scratch)
{
    const int32_t *col = x->x + xa * x->n;
    double s = 0;
    for (size_t g = 0; g < ng; g++) {
        for (size_t q = start[g]; q < start[g + 1]; q++)
            scratch[col[perm[q]]] += 1.0;
        for (size_t q = start[g]; q < start[g + 1]; q++) {
            double *c = &scratch[col[perm[q]]];
            s += xlogx(*c);
            *c = 0;
        }
    }
    return s;
}

/* Advances comb[0..s-1] (indices into a list of m) to the next combination;
 * 0 when done. */
static int next_comb(size_t *comb, size_t s, size_t m)
{
    if (s == 0)
        return 0;
    size_t i = s;
    while (i > 0 && comb[i - 1] == m - s + i - 1)
        i--;
    if (i == 0)
        return 0;
    comb[i - 1]++;
    for (size_t q = i; q < s; q++)
        comb[q] = comb[q - 1] + 1;
    return 1;
}

typedef struct pb_cand {
    size_t x;
    size_t np;
    size_t par[PB_MAX_K];
    double score;    /* mutual information, bits */
    double sens;     /* its sensitivity */
} pb_cand;

static int pb_fit(const table *train, const gen_config *cfg, gsl_rng *r, void **state, pa_err *err)
{
    *state = NULL;
    pb_params par;
    int rc = pb_read_params(train ? train->s : NULL, cfg, &par, err);
    if (rc)
        return rc;
    if (train->n == 0)
        return pa_errf(err, PA_EINPUT, "generator \"privbayes\": the training table has no records");
    size_t d = train->d, n = train->n;
    int exact = !isfinite(cfg->epsilon);
    double eps1 = cfg->epsilon / 2, eps2 = cfg->epsilon / 2;
    if ((rc = pb_noise_floor(d, cfg, err)))
        return rc;
    double cell_bound = PB_MAX_CELLS;
    if (par.theta > 0 && !exact)
        cell_bound = fmin(cell_bound, (double)n * eps2 / (2.0 * (double)d * par.theta));

    pb_state *st = calloc(1, sizeof *st);
    pgm_codes *x = NULL;
    size_t *perm = NULL, *start = NULL, *vlist = NULL;
    double *scratch = NULL, *hx = NULL, *w = NULL;
    unsigned char *inv_set = NULL;
    pb_cand *cand = NULL;
    size_t ncand_cap = 0;
    if (!st)
        return pa_errf(err, PA_ENOMEM, "generator \"privbayes\": out of memory");
    st->d = d;
    st->bins = par.bins;
    st->s = schema_copy(train->s);
    st->card = calloc(d, sizeof *st->card);
    st->order = calloc(d, sizeof *st->order);
    st->npar = calloc(d, sizeof *st->npar);
    st->par = calloc(d, sizeof *st->par);
    st->cdf = calloc(d, sizeof *st->cdf);
    perm = malloc(n * sizeof *perm);
    start = malloc((n + 1) * sizeof *start);
    inv_set = calloc(d, 1);
    vlist = calloc(d, sizeof *vlist);
    hx = calloc(d, sizeof *hx);
    if (!st->s || !st->card || !st->order || !st->npar || !st->par || !st->cdf || !perm || !start ||
        !inv_set || !vlist || !hx)
        goto nomem;
    if ((rc = pgm_encode(train, par.bins, &x, err)))
        goto fail;
    size_t maxc = 1;
    for (size_t j = 0; j < d; j++) {
        st->card[j] = x->card[j];
        maxc = x->card[j] > maxc ? x->card[j] : maxc;
    }
    scratch = calloc(maxc, sizeof *scratch);
    if (!scratch)
        goto nomem;
    for (size_t j = 0; j < d; j++) { /* Σ c log2 c of the one-way counts */
        double *cnt = calloc(x->card[j], sizeof *cnt);
        if (!cnt)
            goto nomem;
        pgm_count(cnt, x, &j, 1);
        for (size_t v = 0; v < x->card[j]; v++)
            hx[j] += xlogx(cnt[v]);
        free(cnt);
    }
    double log2n = log2((double)n);

    /* structure */
    size_t first = (size_t)rng_below(r, d), nv = 0;
    st->order[nv] = first;
    vlist[nv++] = first;
    inv_set[first] = 1;
    for (size_t step = 1; step < d; step++) {
        size_t ncand = 0;
        size_t smin = par.theta > 0 ? 0 : (nv < par.k ? nv : par.k);
        size_t smax = nv < par.k ? nv : par.k;
        for (size_t sz = smin; sz <= smax; sz++) {
            size_t comb[PB_MAX_K];
            for (size_t q = 0; q < sz; q++)
                comb[q] = q;
            do {
                size_t ps[PB_MAX_K];
                for (size_t q = 0; q < sz; q++)
                    ps[q] = vlist[comb[q]];
                size_t pcells = pgm_cells(st->card, ps, sz, PB_MAX_CELLS);
                if (pcells == 0)
                    continue;
                int grouped = 0;
                size_t ng = 0;
                double sxl_par = 0;
                for (size_t xa = 0; xa < d; xa++) {
                    if (inv_set[xa])
                        continue;
                    double cells = (double)pcells * (double)st->card[xa];
                    if (sz > 0 && cells > cell_bound)
                        continue;
                    if (!grouped) {
                        if (pb_group(x, ps, sz, perm, start, &ng, &sxl_par))
                            goto nomem;
                        grouped = 1;
                    }
                    double sj = pb_joint_xlogx(x, xa, perm, start, ng, scratch);
                    /* I = H(X) + H(Π) − H(X,Π), H = log2 n − (1/n) Σ c log2 c */
                    double mi = (sj - hx[xa] - sxl_par) / (double)n + log2n;
                    if (mi < 0)
                        mi = 0;
                    if (ncand == ncand_cap) {
                        size_t cap = ncand_cap ? 2 * ncand_cap : 256;
                        pb_cand *nc = realloc(cand, cap * sizeof *nc);
                        if (!nc)
                            goto nomem;
                        cand = nc;
                        ncand_cap = cap;
                    }
                    pb_cand *c = &cand[ncand++];
                    c->x = xa;
                    c->np = sz;
                    memcpy(c->par, ps, sz * sizeof *ps);
                    c->score = mi;
                    c->sens = pb_mi_sensitivity((double)n, st->card[xa] == 2 || pcells == 2);
                }
            } while (next_comb(comb, sz, nv));
        }
        if (ncand == 0) { /* every parent set too large: fall back to no parents */
            for (size_t xa = 0; xa < d; xa++) {
                if (inv_set[xa])
                    continue;
                if (ncand == ncand_cap) {
                    size_t cap = ncand_cap ? 2 * ncand_cap : 256;
                    pb_cand *nc = realloc(cand, cap * sizeof *nc);
                    if (!nc)
                        goto nomem;
                    cand = nc;
                    ncand_cap = cap;
                }
                cand[ncand++] = (pb_cand){.x = xa, .np = 0, .score = 0, .sens = 1};
            }
        }
        size_t pick = 0;
        if (exact) {
            for (size_t c = 1; c < ncand; c++)
                if (cand[c].score > cand[pick].score)
                    pick = c;
        } else {
            double *nw = realloc(w, ncand * sizeof *w);
            if (!nw)
                goto nomem;
            w = nw;
            double es = eps1 / (double)(d - 1), best = -INFINITY;
            for (size_t c = 0; c < ncand; c++) {
                w[c] = es * cand[c].score / (2.0 * cand[c].sens);
                best = fmax(best, w[c]);
            }
            for (size_t c = 0; c < ncand; c++)
                w[c] = exp(w[c] - best);
            pgm_cumulate(w, ncand);
            pick = pgm_draw(w, ncand, r);
        }
        pb_cand *c = &cand[pick];
        st->npar[c->x] = c->np;
        memcpy(st->par[c->x], c->par, c->np * sizeof *c->par);
        st->order[nv] = c->x;
        vlist[nv++] = c->x;
        inv_set[c->x] = 1;
    }

    /* conditionals */
    double scale = exact ? 0 : 2.0 * (double)d / eps2;
    for (size_t j = 0; j < d; j++) {
        size_t cols[PB_MAX_K + 1], np = st->npar[j], cj = st->card[j];
        memcpy(cols, st->par[j], np * sizeof *cols);
        cols[np] = j;
        size_t rows = pgm_cells(st->card, cols, np, PB_MAX_CELLS);
        double *t = malloc(rows * cj * sizeof *t);
        double *marg = calloc(cj, sizeof *marg);
        if (!t || !marg) {
            free(t);
            free(marg);
            goto nomem;
        }
        pgm_count(t, x, cols, np + 1);
        double *t0 = cfg->noise && !exact ? pa_malloc(rows * cj, sizeof *t0) : NULL;
        if (t0)
            memcpy(t0, t, rows * cj * sizeof *t0);
        for (size_t q = 0; q < rows * cj; q++)
            if (!exact)
                t[q] += gsl_ran_laplace(r, scale);
        /* one joint count table: L1 sensitivity 2 (one record replaced) */
        if (t0)
            gen_noise_laplace(cfg->noise, t0, t, rows * cj, scale, 2);
        free(t0);
        for (size_t q = 0; q < rows * cj; q++) {
            if (t[q] < 0)
                t[q] = 0;
            marg[q % cj] += t[q];
        }
        for (size_t u = 0; u < rows; u++) {
            double *row = t + u * cj, s = 0;
            for (size_t v = 0; v < cj; v++)
                s += row[v];
            if (!(s > 0))
                memcpy(row, marg, cj * sizeof *row);
            pgm_cumulate(row, cj);
        }
        free(marg);
        st->cdf[j] = t;
    }

    st->priv.epsilon = cfg->epsilon;
    st->priv.delta = 0;
    st->priv.rho = NAN;
    st->priv.replace_one = 1;
    strcpy(st->priv.accountant, exact ? "none" : "pure");
    pgm_codes_free(x);
    free(perm);
    free(start);
    free(inv_set);
    free(vlist);
    free(hx);
    free(scratch);
    free(w);
    free(cand);
    *state = st;
    return PA_OK;

nomem:
    rc = pa_errf(err, PA_ENOMEM, "generator \"privbayes\": out of memory fitting %zu records x %zu columns", n, d);
fail:
    pgm_codes_free(x);
    free(perm);
    free(start);
    free(inv_set);
    free(vlist);
    free(hx);
    free(scratch);
    free(w);
    free(cand);
    pb_free(st);
    return rc;
}

static int pb_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    *out = NULL;
    const pb_state *st = state;
    size_t d = st->d;
    table *t = tbl_new(st->s, m);
    int32_t *code = malloc(d * (m ? m : 1) * sizeof *code);
    if (!t || !code) {
        tbl_free(t);
        free(code);
        return pa_errf(err, PA_ENOMEM, "generator \"privbayes\": out of memory sampling %zu records", m);
    }
    for (size_t i = 0; i < m; i++) {
        for (size_t q = 0; q < d; q++) {
            size_t j = st->order[q], row = 0;
            for (size_t a = 0; a < st->npar[j]; a++) {
                size_t p = st->par[j][a];
                row = row * st->card[p] + (size_t)code[p * m + i];
            }
            code[j * m + i] = (int32_t)pgm_draw(st->cdf[j] + row * st->card[j], st->card[j], r);
        }
    }
    for (size_t j = 0; j < d; j++)
        if (pgm_decode_column(t, j, code + j * m, st->bins, r)) {
            tbl_free(t);
            free(code);
            return pa_errf(err, PA_ENOMEM, "generator \"privbayes\": out of memory sampling %zu records", m);
        }
    free(code);
    *out = t;
    return PA_OK;
}

static void pb_privacy(const void *state, gen_privacy *out)
{
    *out = ((const pb_state *)state)->priv;
}

const gen_vtable gen_privbayes = {
    .name = PB_NAME,
    .summary = "PrivBayes: degree-k Bayesian network, exponential-mechanism structure, Laplace conditionals (pure DP)",
    .check = pb_check,
    .fit = pb_fit,
    .sample = pb_sample,
    .privacy = pb_privacy,
    .free_state = pb_free,
};
