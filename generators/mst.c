/* mst.c — MST (McKenna, Miklau, Sheldon, "Winning the NIST Contest: A
 * scalable and general approach to differentially private synthetic data",
 * JPC 2021), following the logic of private-pgm's mechanisms/mst.py.
 *
 * n = records, d = attributes, c = codes of an attribute, m = records sampled.
 *
 * Privacy: ρ-zCDP with ρ = acct_zcdp_rho(ε, δ), neighbouring tables differ by
 * adding or removing one record (as in private-pgm: every marginal has L2
 * sensitivity 1). ρ is split in thirds:
 *   1. all d one-way marginals, each + N(0, σ1²), σ1 = sqrt(3d / (2ρ))
 *      (d Gaussian measurements of sensitivity 1 cost d/(2σ1²) = ρ/3);
 *   2. d−1 pairs chosen by the exponential mechanism, ε_r = sqrt(8(ρ/3)/(d−1))
 *      per round (ε_r²/8 zCDP each), score = L1 distance between the data's
 *      2-way marginal and the independent model's (sensitivity 1), candidates
 *      restricted Kruskal-style to pairs joining two components, so the pairs
 *      form a spanning tree; P(pair) ∝ exp(ε_r · score / 2);
 *   3. the d−1 chosen 2-way marginals, each + N(0, σ2²), σ2 = sqrt(3(d−1)/(2ρ)).
 * With d = 1 the whole ρ goes to the one-way marginal. Everything after the
 * measurements is post-processing.
 *
 * Domain compression (mst.py compress_domain, param "compress", default on):
 * the codes whose noisy one-way count is below 3σ1 are merged into one code;
 * a sampled merged code becomes one of its original codes uniformly at random.
 *
 * Estimation (replaces private-pgm's mirror descent; exact for a tree model):
 *   - the total N̂ is the inverse-variance weighted mean of the sums of all
 *     measurements;
 *   - each attribute's one-way marginal is the inverse-variance weighted mean,
 *     cell by cell, of its noisy one-way measurement and the margins of the
 *     noisy 2-way measurements that contain it, then projected onto
 *     {p ≥ 0, Σp = N̂} (Euclidean projection);
 *   - each chosen 2-way marginal is projected onto {≥ 0, Σ = N̂} and fitted by
 *     iterative proportional fitting (param "rounds", default 100) to the two
 *     reconciled one-way marginals; a row or column of zeros whose target is
 *     positive is refilled with the product of the one-way marginals.
 * The result is a consistent set of tree marginals, so the tree distribution
 * P(root) Π P(child | parent) has exactly those marginals and forward sampling
 * from the root is exact sampling (belief propagation on a tree).
 * The selection step scores pairs against the model fitted to the one-way
 * measurements only, which is the product of the reconciled one-way marginals.
 *
 * Coarsening (param "max_codes" K, default 0 = off; not in the reference):
 * an attribute with more than K codes is modelled on K contiguous bins of
 * codes (code v in bin ⌊vK/c⌋; meant for ordinal codes such as binned age or
 * hours), which replaces compression for it. Its one-way measurement is still
 * taken on the c original codes; a bin's count is the sum over its codes
 * (variance width·σ1²), and a sampled bin becomes one of its codes with
 * probability proportional to the clipped noisy one-way counts (uniform if
 * all are ≤ 0) — post-processing of the same measurement, so no extra ρ.
 * Fewer cells per 2-way marginal mean less noise per cell, and the L1
 * selection scores no longer favour pairs of large domains for their size.
 *
 * ε = INFINITY: no noise, no compression, exact marginals, and the pairs are
 * the maximum spanning tree of the L1 scores (ties: first pair in order).
 *
 * Planted accounting bugs, for audit tests (docs/generators.md). Each still
 * claims the ε it was asked for:
 *   "bug_full_rho_per_phase" = 1: each of the three phases spends the whole ρ
 *     (σ1 = sqrt(d/(2ρ)), ε_r = sqrt(8ρ/(d−1)), σ2 = sqrt((d−1)/(2ρ))), so the
 *     fit is really 3ρ-zCDP;
 *   "bug_noise_divisor" = k >= 1: every measurement's σ divided by k (a
 *     noise scale off by a factor, e.g. a missing square root), so the
 *     measurements are really k²·(2ρ/3)-zCDP; k = 10 is about an order of
 *     magnitude in ε (ε = 1 at δ = 1e-5 claimed, ≈ 10 spent);
 *   "bug_replace_one_sensitivity" = 1: the ε is claimed for replace-one
 *     neighbours (privacy().replace_one = 1) but the noise is the add/remove
 *     calibration (sensitivity 1). Under replace-one a histogram has L2
 *     sensitivity √2 and an L1 selection score sensitivity 2, so the fit is
 *     really (ρ/3)(2 + 4 + 2) = 8ρ/3-zCDP for the relation it claims. Its
 *     output is bit for bit that of the correct MST under the same stream.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "audit/acct.h"
#include "audit/utility.h"
#include "core/rng.h"
#include "generators/gen.h"
#include "generators/pgm.h"

#define MST_NAME "mst"
#define MST_MAX_CELLS ((size_t)1 << 26) /* largest 2-way marginal we will hold */

typedef struct mst_state {
    schema *s;          /* copy of the training schema */
    size_t bins;        /* bins of numeric columns */
    size_t d;           /* attributes */
    size_t *ocard;      /* (d) original codes per attribute */
    size_t *card;       /* (d) codes after compression */
    size_t *nsup;       /* (d) supported codes; code nsup[j] (if < card[j]) is the merged code */
    int32_t **keep;     /* (d) keep[j][c]: original code of compressed code c < nsup[j] */
    int32_t **rest;     /* (d) the ocard[j] − nsup[j] original codes merged into code nsup[j] */
    double **rcum;      /* (d) NULL, or for a numeric column: (ocard[j] − nsup[j]) cumulative weights of the
                           merged codes, ∝ max(y − σ1, 0) of their noisy one-way counts y (all zero:
                           max(y, 0); all zero again: uniform) */
    double **wcum;      /* (d) NULL, or for a column coarsened by max_codes: (ocard) cumulative
                           within-bin weights (each bin's run ends at 1) from the noisy one-way counts */
    size_t *order;      /* (d) breadth-first order from the root, order[0] = root */
    size_t *parent;     /* (d) parent attribute, SIZE_MAX for the root */
    double **cdf;       /* (d) root: (card); other j: (card[parent], card[j]) rows of P(j | parent) */
    size_t (*edge)[2];  /* (d−1) chosen pairs, in selection order */
    gen_privacy priv;
} mst_state;

static const char *const mst_keys[] = {"bins", "rounds", "compress", "max_codes", "bug_full_rho_per_phase",
                                       "bug_replace_one_sensitivity", "bug_noise_divisor", NULL};

typedef struct mst_params {
    size_t bins, rounds, max_codes;
    int compress;
    int bug_full_rho;     /* planted bug: every phase spends the whole ρ */
    int bug_replace_one;  /* planted bug: claims replace-one, calibrated for add/remove */
    double bug_noise_div; /* planted bug: every σ divided by this (1 = none) */
} mst_params;

/* A 0/1 parameter `key` (default 0) into *out. */
static int mst_flag(const cJSON *params, const char *key, int *out, pa_err *err)
{
    double v;
    int rc = gen_param_num(params, MST_NAME, key, 0, 0, 1, &v, err);
    if (rc)
        return rc;
    if (v != 0 && v != 1)
        return pa_errf(err, PA_EINPUT, "generator \"mst\": parameter \"%s\": expected 0 or 1 (got %.17g)", key, v);
    *out = (int)v;
    return PA_OK;
}

static int mst_read_params(const schema *s, const gen_config *cfg, mst_params *p, pa_err *err)
{
    double v;
    int rc;
    if ((rc = gen_param_known(cfg->params, MST_NAME, mst_keys, err)))
        return rc;
    if ((rc = gen_param_int(cfg->params, MST_NAME, "bins", UTIL_DEFAULT_BINS, 1, 1e6, &v, err)))
        return rc;
    p->bins = (size_t)v;
    if ((rc = gen_param_int(cfg->params, MST_NAME, "rounds", 100, 1, 1e6, &v, err)))
        return rc;
    p->rounds = (size_t)v;
    if ((rc = gen_param_num(cfg->params, MST_NAME, "compress", 1, 0, 1, &v, err)))
        return rc;
    if (v != 0 && v != 1)
        return pa_errf(err, PA_EINPUT,
                       "generator \"mst\": parameter \"compress\": expected 0 or 1 (got %.17g)", v);
    p->compress = (int)v;
    if ((rc = gen_param_int(cfg->params, MST_NAME, "max_codes", 0, 0, 1e6, &v, err)))
        return rc;
    if (v == 1)
        return pa_errf(err, PA_EINPUT, "generator \"mst\": parameter \"max_codes\": expected 0 (off) or >= 2 (got 1)");
    p->max_codes = (size_t)v;
    if ((rc = mst_flag(cfg->params, "bug_full_rho_per_phase", &p->bug_full_rho, err)) ||
        (rc = mst_flag(cfg->params, "bug_replace_one_sensitivity", &p->bug_replace_one, err)) ||
        (rc = gen_param_num(cfg->params, MST_NAME, "bug_noise_divisor", 1, 1, 1e6, &p->bug_noise_div, err)))
        return rc;
    if (!(cfg->epsilon > 0) || isnan(cfg->epsilon))
        return pa_errf(err, PA_EINPUT, "generator \"mst\": epsilon must be > 0 or infinite (got %.17g)", cfg->epsilon);
    if (isfinite(cfg->epsilon) && !(cfg->delta > 0 && cfg->delta < 1))
        return pa_errf(err, PA_EINPUT, "generator \"mst\": delta must be in (0, 1) for a finite epsilon (got %.17g)",
                       cfg->delta);
    if (!s || s->d < 1)
        return pa_errf(err, PA_EINPUT, "generator \"mst\": the schema has no columns");
    for (size_t j = 0; j < s->d; j++) {
        for (size_t l = j + 1; l < s->d; l++) {
            size_t a = util_col_bins(&s->cols[j], p->bins), b = util_col_bins(&s->cols[l], p->bins);
            if (a && b > MST_MAX_CELLS / a)
                return pa_errf(err, PA_EINPUT,
                               "generator \"mst\": columns '%s' (%zu codes) and '%s' (%zu codes) make a 2-way marginal "
                               "larger than %zu cells; lower 'bins' or coarsen the schema",
                               s->cols[j].name, a, s->cols[l].name, b, MST_MAX_CELLS);
        }
    }
    return PA_OK;
}

/* refuses an ε whose noise rounding could drop (gen_noise_scale_check):
 * the σ of both phases, as mst_fit computes them */
static int mst_noise_floor(size_t d, const gen_config *cfg, const mst_params *p, pa_err *err)
{
    double rho = isfinite(cfg->epsilon) ? acct_zcdp_rho(cfg->epsilon, cfg->delta) : INFINITY;
    if (!(rho > 0 && isfinite(rho)) || d == 0)
        return PA_OK; /* exact, or a failed conversion the fit reports */
    double share = p->bug_full_rho ? 1.0 : 3.0;
    double s1 = (d == 1 ? sqrt(1.0 / (2.0 * rho)) : sqrt(share * (double)d / (2.0 * rho))) / p->bug_noise_div;
    int rc = gen_noise_scale_check("mst", "1-way marginals", s1, cfg->epsilon, err);
    if (!rc && d > 1)
        rc = gen_noise_scale_check("mst", "tree's 2-way marginals",
                                   sqrt(share * (double)(d - 1) / (2.0 * rho)) / p->bug_noise_div, cfg->epsilon, err);
    return rc;
}

static int mst_check(const schema *s, const gen_config *cfg, pa_err *err)
{
    mst_params p;
    int rc = mst_read_params(s, cfg, &p, err);
    if (!rc)
        rc = gen_zcdp_check("mst", cfg, err);
    return rc || !s ? rc : mst_noise_floor(s->d, cfg, &p, err);
}

static void mst_free(void *state)
{
    mst_state *st = state;
    if (!st)
        return;
    for (size_t j = 0; j < st->d; j++) {
        if (st->keep)
            free(st->keep[j]);
        if (st->rest)
            free(st->rest[j]);
        if (st->rcum)
            free(st->rcum[j]);
        if (st->wcum)
            free(st->wcum[j]);
        if (st->cdf)
            free(st->cdf[j]);
    }
    free(st->keep);
    free(st->rest);
    free(st->rcum);
    free(st->wcum);
    free(st->cdf);
    free(st->ocard);
    free(st->card);
    free(st->nsup);
    free(st->order);
    free(st->parent);
    free(st->edge);
    schema_free(st->s);
    free(st);
}

/* union-find with path halving */
static size_t uf_find(size_t *up, size_t a)
{
    while (up[a] != a)
        a = up[a] = up[up[a]];
    return a;
}

/* Iterative proportional fitting of M (ca, cb) to row sums pa and column
 * sums pb (both summing to tot). */
static void mst_ipf(double *M, size_t ca, size_t cb, const double *pa, const double *pb, double tot,
                    size_t rounds)
{
    double *cs = malloc(cb * sizeof *cs);
    if (!cs)
        return;
    for (size_t it = 0; it < rounds; it++) {
        for (size_t u = 0; u < ca; u++) {
            double *row = M + u * cb, rs = 0;
            for (size_t v = 0; v < cb; v++)
                rs += row[v];
            if (rs > 0) {
                double f = pa[u] / rs;
                for (size_t v = 0; v < cb; v++)
                    row[v] *= f;
            } else if (pa[u] > 0) {
                for (size_t v = 0; v < cb; v++)
                    row[v] = pa[u] * pb[v] / tot;
            }
        }
        memset(cs, 0, cb * sizeof *cs);
        for (size_t u = 0; u < ca; u++)
            for (size_t v = 0; v < cb; v++)
                cs[v] += M[u * cb + v];
        for (size_t v = 0; v < cb; v++) {
            if (cs[v] > 0) {
                double f = pb[v] / cs[v];
                for (size_t u = 0; u < ca; u++)
                    M[u * cb + v] *= f;
            } else if (pb[v] > 0) {
                for (size_t u = 0; u < ca; u++)
                    M[u * cb + v] = pa[u] * pb[v] / tot;
            }
        }
        /* columns now match; stop once the rows match too */
        double worst = 0;
        for (size_t u = 0; u < ca; u++) {
            double rs = 0;
            for (size_t v = 0; v < cb; v++)
                rs += M[u * cb + v];
            worst = fmax(worst, fabs(rs - pa[u]));
        }
        if (worst <= 1e-10 * tot)
            break;
    }
    free(cs);
}

/* Working memory of one fit, freed together. */
typedef struct mst_work {
    pgm_codes *x;       /* codes, compressed in place */
    double **y1;        /* (d) noisy one-way counts over compressed codes */
    double **v1;        /* (d) their per-cell noise variances */
    double **p1;        /* (d) reconciled one-way marginals (sum N̂) */
    double **y2;        /* (d−1) noisy 2-way counts of the chosen pairs */
    double *score;      /* (d(d−1)/2) selection scores */
} mst_work;

static void mst_work_free(mst_work *w, size_t d)
{
    pgm_codes_free(w->x);
    for (size_t j = 0; j < d; j++) {
        if (w->y1)
            free(w->y1[j]);
        if (w->v1)
            free(w->v1[j]);
        if (w->p1)
            free(w->p1[j]);
        if (w->y2 && j + 1 < d)
            free(w->y2[j]);
    }
    free(w->y1);
    free(w->v1);
    free(w->p1);
    free(w->y2);
    free(w->score);
}

/* Inverse-variance weighted one-way marginals p1 (projected to sum tot) from
 * the one-way measurements and, when nedge > 0, the margins of the 2-way
 * measurements y2 (each cell with variance var2). exact: no noise anywhere. */
static int mst_reconcile(mst_state *st, mst_work *w, size_t nedge, double var2, double tot, int exact)
{
    size_t d = st->d;
    for (size_t j = 0; j < d; j++) {
        size_t c = st->card[j];
        double *num = calloc(c, sizeof *num), *den = calloc(c, sizeof *den);
        if (!num || !den) {
            free(num);
            free(den);
            return PA_ENOMEM;
        }
        if (exact) {
            memcpy(num, w->y1[j], c * sizeof *num);
        } else {
            for (size_t v = 0; v < c; v++) {
                num[v] = w->y1[j][v] / w->v1[j][v];
                den[v] = 1.0 / w->v1[j][v];
            }
            for (size_t e = 0; e < nedge; e++) {
                size_t a = st->edge[e][0], b = st->edge[e][1];
                if (a != j && b != j)
                    continue;
                size_t ca = st->card[a], cb = st->card[b];
                double ve = var2 * (double)(a == j ? cb : ca);
                for (size_t u = 0; u < ca; u++)
                    for (size_t v = 0; v < cb; v++) {
                        double y = w->y2[e][u * cb + v];
                        num[a == j ? u : v] += y / ve;
                    }
                for (size_t v = 0; v < c; v++)
                    den[v] += 1.0 / ve;
            }
            for (size_t v = 0; v < c; v++)
                num[v] /= den[v];
            pgm_project_simplex(num, c, tot);
        }
        free(den);
        free(w->p1[j]);
        w->p1[j] = num;
    }
    return PA_OK;
}

static int mst_fit(const table *train, const gen_config *cfg, gsl_rng *r, void **state, pa_err *err)
{
    *state = NULL;
    mst_params par;
    int rc = mst_read_params(train ? train->s : NULL, cfg, &par, err);
    if (rc)
        return rc;
    if (train->n == 0)
        return pa_errf(err, PA_EINPUT, "generator \"mst\": the training table has no records");

    size_t d = train->d;
    int exact = !isfinite(cfg->epsilon);
    double rho = exact ? INFINITY : acct_zcdp_rho(cfg->epsilon, cfg->delta);
    if (!exact && !(rho > 0 && isfinite(rho)))
        return pa_errf(err, PA_EINTERNAL,
                       "generator \"mst\": zCDP conversion of epsilon=%.17g delta=%.17g gave rho=%.17g",
                       cfg->epsilon, cfg->delta, rho);
    double sigma1 = 0, sigma2 = 0, eps_round = INFINITY;
    if (!exact) {
        if (d == 1) {
            sigma1 = sqrt(1.0 / (2.0 * rho));
        } else {
            /* the planted bug gives each phase ρ instead of ρ/3 */
            double share = par.bug_full_rho ? 1.0 : 3.0;
            sigma1 = sqrt(share * (double)d / (2.0 * rho));
            sigma2 = sqrt(share * (double)(d - 1) / (2.0 * rho));
            eps_round = sqrt(8.0 * (rho / share) / (double)(d - 1));
        }
        sigma1 /= par.bug_noise_div; /* planted bug (1 when off): still noise, never none */
        sigma2 /= par.bug_noise_div;
    }
    if ((rc = mst_noise_floor(d, cfg, &par, err)))
        return rc;

    mst_state *st = calloc(1, sizeof *st);
    mst_work w = {0};
    if (!st)
        return pa_errf(err, PA_ENOMEM, "generator \"mst\": out of memory");
    st->d = d;
    st->bins = par.bins;
    st->s = schema_copy(train->s);
    st->ocard = calloc(d, sizeof *st->ocard);
    st->card = calloc(d, sizeof *st->card);
    st->nsup = calloc(d, sizeof *st->nsup);
    st->keep = calloc(d, sizeof *st->keep);
    st->rest = calloc(d, sizeof *st->rest);
    st->rcum = calloc(d, sizeof *st->rcum);
    st->wcum = calloc(d, sizeof *st->wcum);
    st->order = calloc(d, sizeof *st->order);
    st->parent = calloc(d, sizeof *st->parent);
    st->cdf = calloc(d, sizeof *st->cdf);
    st->edge = calloc(d, sizeof *st->edge);
    w.y1 = calloc(d, sizeof *w.y1);
    w.v1 = calloc(d, sizeof *w.v1);
    w.p1 = calloc(d, sizeof *w.p1);
    w.y2 = calloc(d, sizeof *w.y2);
    w.score = calloc(d * (d - 1) / 2 + 1, sizeof *w.score);
    if (!st->s || !st->ocard || !st->card || !st->nsup || !st->keep || !st->rest || !st->rcum || !st->wcum || !st->order ||
        !st->parent || !st->cdf || !st->edge || !w.y1 || !w.v1 || !w.p1 || !w.y2 || !w.score)
        goto nomem;
    if ((rc = pgm_encode(train, par.bins, &w.x, err)))
        goto fail;

    /* 1. one-way measurements, then compression */
    for (size_t j = 0; j < d; j++) {
        size_t c = st->ocard[j] = w.x->card[j];
        w.y1[j] = malloc(c * sizeof **w.y1);
        w.v1[j] = malloc(c * sizeof **w.v1);
        st->keep[j] = malloc(c * sizeof **st->keep);
        st->rest[j] = malloc(c * sizeof **st->rest);
        if (!w.y1[j] || !w.v1[j] || !st->keep[j] || !st->rest[j])
            goto nomem;
        pgm_count(w.y1[j], w.x, &j, 1);
        double *y0 = cfg->noise && !exact ? pa_malloc(c, sizeof *y0) : NULL;
        if (y0)
            memcpy(y0, w.y1[j], c * sizeof *y0);
        for (size_t v = 0; v < c; v++) {
            if (!exact)
                w.y1[j][v] += gsl_ran_gaussian(r, sigma1);
            w.v1[j][v] = sigma1 * sigma1;
        }
        if (y0)   /* a 1-way histogram: L2 sensitivity 1 (add/remove) */
            gen_noise_gauss(cfg->noise, y0, w.y1[j], c, sigma1, 1);
        free(y0);
        int32_t *map = malloc(c * sizeof *map);
        if (!map)
            goto nomem;
        if (par.max_codes && c > par.max_codes) {
            /* coarsen: K contiguous bins of codes, code v in bin ⌊vK/c⌋ */
            size_t K = par.max_codes;
            double *wc = st->wcum[j] = malloc(c * sizeof *wc);
            if (!wc) {
                free(map);
                goto nomem;
            }
            for (size_t b = 0; b < K; b++) {
                size_t lo = (b * c + K - 1) / K, hi = ((b + 1) * c + K - 1) / K;
                double sum = 0, y = 0;
                for (size_t v = lo; v < hi; v++) {
                    y += w.y1[j][v];
                    sum += fmax(w.y1[j][v], 0.0);
                    map[v] = (int32_t)b;
                }
                double acc = 0;
                for (size_t v = lo; v < hi; v++) {
                    acc += sum > 0 ? fmax(w.y1[j][v], 0.0) / sum : 1.0 / (double)(hi - lo);
                    wc[v] = v + 1 == hi ? 1.0 : acc;
                }
                w.y1[j][b] = y;
                w.v1[j][b] = (double)(hi - lo) * sigma1 * sigma1;
            }
            st->nsup[j] = st->card[j] = K;
            int32_t *xj = w.x->x + j * w.x->n;
            for (size_t i = 0; i < w.x->n; i++)
                xj[i] = map[xj[i]];
            w.x->card[j] = K;
            free(map);
            continue;
        }
        size_t ns = 0, nr = 0;
        double merged = 0;
        int numeric = train->s->cols[j].kind == COL_NUM;
        if (numeric && !(st->rcum[j] = malloc(c * sizeof **st->rcum))) {
            free(map);
            goto nomem;
        }
        for (size_t v = 0; v < c; v++) {
            if (exact || !par.compress || w.y1[j][v] >= 3.0 * sigma1) {
                st->keep[j][ns] = (int32_t)v;
                w.y1[j][ns] = w.y1[j][v];
                map[v] = (int32_t)ns++;
            } else {
                if (numeric) /* index v not yet overwritten: compaction writes below it */
                    st->rcum[j][nr] = w.y1[j][v];
                st->rest[j][nr++] = (int32_t)v;
                merged += w.y1[j][v];
            }
        }
        if (numeric && nr) {
            /* weights max(y − σ1, 0); all zero: max(y, 0); all zero: uniform (pgm_cumulate) */
            double *wr = st->rcum[j], tot_soft = 0;
            for (size_t v = 0; v < nr; v++)
                tot_soft += fmax(wr[v] - sigma1, 0.0);
            for (size_t v = 0; v < nr; v++)
                wr[v] = tot_soft > 0 ? fmax(wr[v] - sigma1, 0.0) : fmax(wr[v], 0.0);
            pgm_cumulate(wr, nr);
        }
        /* y1[j] was compacted in place above: the map comes from keep/rest */
        for (size_t v = 0; v < ns; v++)
            map[st->keep[j][v]] = (int32_t)v;
        for (size_t v = 0; v < nr; v++)
            map[st->rest[j][v]] = (int32_t)ns;
        st->nsup[j] = ns;
        st->card[j] = ns + (nr ? 1 : 0);
        if (nr) {
            w.y1[j][ns] = merged;
            w.v1[j][ns] = (double)nr * sigma1 * sigma1;
        }
        int32_t *xj = w.x->x + j * w.x->n;
        for (size_t i = 0; i < w.x->n; i++)
            xj[i] = map[xj[i]];
        w.x->card[j] = st->card[j];
        free(map);
    }

    /* total from the one-way sums */
    double tot = (double)train->n;
    if (!exact) {
        double num = 0, den = 0;
        for (size_t j = 0; j < d; j++) {
            double s = 0, vs = 0;
            for (size_t v = 0; v < st->card[j]; v++) {
                s += w.y1[j][v];
                vs += w.v1[j][v];
            }
            num += s / vs;
            den += 1.0 / vs;
        }
        tot = fmax(num / den, 1.0);
    }
    if ((rc = mst_reconcile(st, &w, 0, 0, tot, exact)))
        goto nomem;

    /* 2. selection: scores of every pair against the independent model */
    size_t npair = d * (d - 1) / 2, ncell = 0;
    for (size_t a = 0; a < d; a++)
        for (size_t b = a + 1; b < d; b++)
            ncell = st->card[a] * st->card[b] > ncell ? st->card[a] * st->card[b] : ncell;
    double *buf = malloc((ncell ? ncell : 1) * sizeof *buf);
    double *wgt = malloc((npair ? npair : 1) * sizeof *wgt);
    size_t *cand = malloc((npair ? npair : 1) * sizeof *cand);
    size_t *up = malloc(d * sizeof *up);
    if (!buf || !wgt || !cand || !up) {
        free(buf);
        free(wgt);
        free(cand);
        free(up);
        goto nomem;
    }
    size_t (*pairs)[2] = malloc((npair ? npair : 1) * sizeof *pairs);
    if (!pairs) {
        free(buf);
        free(wgt);
        free(cand);
        free(up);
        goto nomem;
    }
    for (size_t a = 0, q = 0; a < d; a++)
        for (size_t b = a + 1; b < d; b++, q++) {
            size_t cols[2] = {a, b};
            pairs[q][0] = a;
            pairs[q][1] = b;
            pgm_count(buf, w.x, cols, 2);
            double s = 0;
            size_t cb = st->card[b];
            for (size_t u = 0; u < st->card[a]; u++)
                for (size_t v = 0; v < cb; v++)
                    s += fabs(buf[u * cb + v] - w.p1[a][u] * w.p1[b][v] / tot);
            w.score[q] = s;
        }
    for (size_t j = 0; j < d; j++)
        up[j] = j;
    size_t nedge = 0;
    for (size_t round = 0; round + 1 < d; round++) {
        size_t nc = 0;
        double best = -INFINITY;
        for (size_t q = 0; q < npair; q++)
            if (uf_find(up, pairs[q][0]) != uf_find(up, pairs[q][1])) {
                cand[nc++] = q;
                best = fmax(best, w.score[q]);
            }
        size_t pick = 0;
        if (exact) {
            for (size_t c = 0; c < nc; c++)
                if (w.score[cand[c]] == best) {
                    pick = c;
                    break;
                }
        } else {
            for (size_t c = 0; c < nc; c++)
                wgt[c] = exp(0.5 * eps_round * (w.score[cand[c]] - best)); /* sensitivity 1 */
            pgm_cumulate(wgt, nc);
            pick = pgm_draw(wgt, nc, r);
        }
        size_t q = cand[pick];
        st->edge[nedge][0] = pairs[q][0];
        st->edge[nedge][1] = pairs[q][1];
        nedge++;
        up[uf_find(up, pairs[q][0])] = uf_find(up, pairs[q][1]);
    }
    free(wgt);
    free(cand);
    free(pairs);

    /* 3. measure the chosen pairs */
    for (size_t e = 0; e < nedge; e++) {
        size_t a = st->edge[e][0], b = st->edge[e][1], c = st->card[a] * st->card[b];
        w.y2[e] = malloc(c * sizeof **w.y2);
        if (!w.y2[e]) {
            free(buf);
            free(up);
            goto nomem;
        }
        pgm_count(w.y2[e], w.x, st->edge[e], 2);
        double *y0 = cfg->noise && !exact ? pa_malloc(c, sizeof *y0) : NULL;
        if (y0)
            memcpy(y0, w.y2[e], c * sizeof *y0);
        if (!exact)
            for (size_t v = 0; v < c; v++)
                w.y2[e][v] += gsl_ran_gaussian(r, sigma2);
        if (y0)   /* a 2-way histogram: L2 sensitivity 1 */
            gen_noise_gauss(cfg->noise, y0, w.y2[e], c, sigma2, 1);
        free(y0);
    }
    free(buf);

    /* estimation: total, one-ways, consistent two-ways */
    double var2 = sigma2 * sigma2;
    if (!exact) {
        double num = 0, den = 0;
        for (size_t j = 0; j < d; j++) {
            double s = 0, vs = 0;
            for (size_t v = 0; v < st->card[j]; v++) {
                s += w.y1[j][v];
                vs += w.v1[j][v];
            }
            num += s / vs;
            den += 1.0 / vs;
        }
        for (size_t e = 0; e < nedge; e++) {
            size_t c = st->card[st->edge[e][0]] * st->card[st->edge[e][1]];
            double s = 0;
            for (size_t v = 0; v < c; v++)
                s += w.y2[e][v];
            num += s / (var2 * (double)c);
            den += 1.0 / (var2 * (double)c);
        }
        tot = fmax(num / den, 1.0);
        if ((rc = mst_reconcile(st, &w, nedge, var2, tot, 0))) {
            free(up);
            goto nomem;
        }
        for (size_t e = 0; e < nedge; e++) {
            size_t a = st->edge[e][0], b = st->edge[e][1];
            pgm_project_simplex(w.y2[e], st->card[a] * st->card[b], tot);
            mst_ipf(w.y2[e], st->card[a], st->card[b], w.p1[a], w.p1[b], tot, par.rounds);
        }
    }

    /* tree: breadth-first from attribute 0, conditionals as cumulative rows */
    for (size_t j = 0; j < d; j++)
        st->parent[j] = SIZE_MAX;
    unsigned char *seen = calloc(d, 1);
    if (!seen) {
        free(up);
        goto nomem;
    }
    size_t head = 0, tail = 0;
    st->order[tail++] = 0;
    seen[0] = 1;
    while (head < tail) {
        size_t u = st->order[head++];
        for (size_t e = 0; e < nedge; e++) {
            size_t a = st->edge[e][0], b = st->edge[e][1], v;
            if (a == u)
                v = b;
            else if (b == u)
                v = a;
            else
                continue;
            if (seen[v])
                continue;
            seen[v] = 1;
            st->parent[v] = u;
            st->order[tail++] = v;
            size_t cu = st->card[u], cv = st->card[v];
            double *t = malloc(cu * cv * sizeof *t);
            if (!t) {
                free(seen);
                free(up);
                goto nomem;
            }
            for (size_t x = 0; x < cu; x++)
                for (size_t y = 0; y < cv; y++)
                    t[x * cv + y] = a == u ? w.y2[e][x * cv + y] : w.y2[e][y * cu + x];
            for (size_t x = 0; x < cu; x++)
                pgm_cumulate(t + x * cv, cv);
            st->cdf[v] = t;
        }
    }
    free(seen);
    free(up);
    if (tail != d) {
        rc = pa_errf(err, PA_EINTERNAL, "generator \"mst\": the selected pairs do not span the %zu attributes", d);
        goto fail;
    }
    st->cdf[0] = malloc(st->card[0] * sizeof **st->cdf);
    if (!st->cdf[0])
        goto nomem;
    memcpy(st->cdf[0], w.p1[0], st->card[0] * sizeof **st->cdf);
    pgm_cumulate(st->cdf[0], st->card[0]);

    st->priv.delta = cfg->delta;
    if (exact) {
        st->priv.epsilon = INFINITY;
        st->priv.rho = INFINITY;
        strcpy(st->priv.accountant, "none");
    } else {
        st->priv.epsilon = acct_zcdp_to_eps(rho, cfg->delta);
        st->priv.rho = rho;
        strcpy(st->priv.accountant, "zcdp");
        st->priv.replace_one = par.bug_replace_one;
    }
    mst_work_free(&w, d);
    *state = st;
    return PA_OK;

nomem:
    rc = pa_errf(err, PA_ENOMEM, "generator \"mst\": out of memory fitting %zu records x %zu columns", train->n, d);
fail:
    mst_work_free(&w, d);
    mst_free(st);
    return rc;
}

static int mst_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    *out = NULL;
    const mst_state *st = state;
    size_t d = st->d;
    table *t = tbl_new(st->s, m);
    int32_t *code = malloc(d * (m ? m : 1) * sizeof *code);
    if (!t || !code) {
        tbl_free(t);
        free(code);
        return pa_errf(err, PA_ENOMEM, "generator \"mst\": out of memory sampling %zu records", m);
    }
    for (size_t i = 0; i < m; i++) {
        for (size_t q = 0; q < d; q++) {
            size_t j = st->order[q];
            const double *cdf = st->cdf[j];
            if (q > 0)
                cdf += (size_t)code[st->parent[j] * m + i] * st->card[j];
            code[j * m + i] = (int32_t)pgm_draw(cdf, st->card[j], r);
        }
    }
    for (size_t j = 0; j < d; j++) {
        int32_t *cj = code + j * m;
        size_t nr = st->ocard[j] - st->nsup[j];
        if (st->wcum[j]) {
            size_t K = st->card[j], c = st->ocard[j];
            for (size_t i = 0; i < m; i++) {
                size_t b = (size_t)cj[i], lo = (b * c + K - 1) / K, hi = ((b + 1) * c + K - 1) / K;
                double u = gsl_rng_uniform(r);
                size_t v = lo;
                while (v + 1 < hi && st->wcum[j][v] <= u)
                    v++;
                cj[i] = (int32_t)v;
            }
        } else {
            for (size_t i = 0; i < m; i++) {
                size_t c = (size_t)cj[i];
                if (c < st->nsup[j])
                    cj[i] = st->keep[j][c];
                else
                    cj[i] = st->rest[j][st->rcum[j] ? pgm_draw(st->rcum[j], nr, r) : rng_below(r, nr)];
            }
        }
        if (pgm_decode_column(t, j, cj, st->bins, r)) {
            tbl_free(t);
            free(code);
            return pa_errf(err, PA_ENOMEM, "generator \"mst\": out of memory sampling %zu records", m);
        }
    }
    free(code);
    *out = t;
    return PA_OK;
}

static void mst_privacy(const void *state, gen_privacy *out)
{
    *out = ((const mst_state *)state)->priv;
}

const gen_vtable gen_mst = {
    .name = MST_NAME,
    .summary = "MST: noisy 1-way and maximum-spanning-tree 2-way marginals, tree model (zCDP)",
    .check = mst_check,
    .fit = mst_fit,
    .sample = mst_sample,
    .privacy = mst_privacy,
    .free_state = mst_free,
};
