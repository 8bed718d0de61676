/* gsd.c — Private-GSD (Liu, Vietri, Wu, "Generating Private Synthetic Data
 * with Genetic Algorithms", ICML 2023) for tables, following the authors'
 * genetic_sd package (GSDSynthesizer, GeneticSD, mutation_strategies).
 *
 * n = records, d = columns, N' = synthetic rows, q = workload marginals,
 * Q = their number, λ = candidates per generation.
 *
 * Privacy: ρ-zCDP, ρ = acct_zcdp_rho(ε, δ), stated for **replace-one**
 * neighbours with n public, as in the reference: every k-way marginal of the
 * workload (all Q of them) is measured once as normalised counts x_q/n with
 * L2 sensitivity √2/n, ρ/Q each, so σ = (√2/n)·sqrt(Q/(2ρ)) = sqrt(Q/ρ)/n;
 * the noisy answers are clipped to [0, 1]. Nothing else touches the data:
 * the genetic search is post-processing. (Under add/remove neighbours the
 * claim does not apply — privacy().replace_one = 1.)
 *
 * Search: a synthetic set X of N' rows (default n), codes drawn uniformly.
 * Fitness F(X) = Σ_q ‖N'·ŷ_q − counts_q(X)‖² (the reference's squared L2
 * error of normalised answers, times N'²). Each generation draws one
 * strategy and λ = 50 candidates, each changing one or two rows of the best
 * set: "mutate" (one row, one column — columns in a shuffled round-robin
 * list holding column j round(log2 |domain_j|) times, at least once — gets
 * a uniform new code), "swap" (one column's codes of two rows exchanged,
 * columns round-robin), "cross1"/"cross2" (one row takes one or two random
 * columns' codes from another random row). The candidate with the lowest
 * fitness replaces the set if it lowers F (a (1+λ) search; the reference's
 * elite archive never feeds back into the best set). A change of one row
 * alters one cell per marginal holding a changed column, so ΔF costs O(Q_j).
 * Strategies are drawn with multiplicative weights as the reference's
 * mw_jit: p = 0.95 w + 0.05/K, after every max(100, N') generations each
 * success multiplies w_s by exp(0.1/p_s), renormalised. Stop: every
 * max(100, N') generations after the first N', when F changed by less than
 * `stop` (relative) since the last check, or after `max_generations`.
 * Sampling m rows: without replacement from X when m ≤ N', with otherwise
 * (GSDSynthesizer.sample).
 *
 * Not in the reference: numeric columns are binned by the shared rule
 * (audit/utility.h; decoded uniformly within the bin) instead of GSD's DP
 * quantile thresholds, hierarchical range queries and "continuous" mutation.
 * ε = INFINITY: exact answers, the same search.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "audit/acct.h"
#include "audit/utility.h"
#include "core/rng.h"
#include "generators/gen.h"
#include "generators/gsd.h"
#include "generators/pgm.h"

#define GSD_NAME "gsd"
#define GSD_MAX_CELLS ((size_t)1 << 27) /* all workload marginals together */
#define GSD_POP 50
#define GSD_NSTRAT 4

typedef struct gsd_params {
    size_t bins, k, rows, population;
    double max_generations; /* 0: 200·N' */
    double stop;
} gsd_params;

typedef struct gsd_state {
    schema *s;
    size_t bins, d, nrows;
    int32_t *x;           /* (d, N') column-major codes of the synthetic set */
    size_t generations;   /* generations run */
    double fitness;       /* final F / N'² */
    double sigma;         /* noise sd of a normalised answer */
    size_t Q, n;          /* workload marginals, training records */
    gen_privacy priv;
} gsd_state;

static const char *const gsd_keys[] = {"bins", "k", "rows", "population", "max_generations", "stop", NULL};

static int gsd_read_params(const schema *s, const gen_config *cfg, gsd_params *p, pa_err *err)
{
    double v;
    int rc;
    if ((rc = gen_param_known(cfg->params, GSD_NAME, gsd_keys, err)))
        return rc;
    if ((rc = gen_param_int(cfg->params, GSD_NAME, "bins", UTIL_DEFAULT_BINS, 1, 1e6, &v, err)))
        return rc;
    p->bins = (size_t)v;
    if ((rc = gen_param_int(cfg->params, GSD_NAME, "k", 2, 1, 3, &v, err)))
        return rc;
    p->k = (size_t)v;
    if ((rc = gen_param_int(cfg->params, GSD_NAME, "rows", 0, 0, 1e8, &v, err)))
        return rc;
    p->rows = (size_t)v;
    if ((rc = gen_param_int(cfg->params, GSD_NAME, "population", GSD_POP, 1, 1e5, &v, err)))
        return rc;
    p->population = (size_t)v;
    if ((rc = gen_param_int(cfg->params, GSD_NAME, "max_generations", 0, 0, 1e12, &p->max_generations, err)))
        return rc;
    if ((rc = gen_param_num(cfg->params, GSD_NAME, "stop", 1e-4, 0, 1, &p->stop, err)))
        return rc;
    if (!(cfg->epsilon > 0) || isnan(cfg->epsilon))
        return pa_errf(err, PA_EINPUT, "generator \"gsd\": epsilon must be > 0 or infinite (got %.17g)", cfg->epsilon);
    if (isfinite(cfg->epsilon) && !(cfg->delta > 0 && cfg->delta < 1))
        return pa_errf(err, PA_EINPUT,
                       "generator \"gsd\": delta must be in (0, 1) for a finite epsilon under zCDP (got %.17g)",
                       cfg->delta);
    if (!s || s->d < 1)
        return pa_errf(err, PA_EINPUT, "generator \"gsd\": the schema has no columns");
    return PA_OK;
}

/* refuses an ε whose noise rounding could drop (gen_noise_scale_check):
 * σ·n = sqrt(Q/ρ), the noise on the answers as counts */
static int gsd_noise_floor(size_t d, const gen_config *cfg, const gsd_params *p, pa_err *err)
{
    double rho = isfinite(cfg->epsilon) ? acct_zcdp_rho(cfg->epsilon, cfg->delta) : INFINITY;
    if (!(rho > 0 && isfinite(rho)))
        return PA_OK; /* exact, or a failed conversion the fit reports */
    size_t Q = 1, k = p->k < d ? p->k : d;
    for (size_t a = 0; a < k; a++)
        Q = Q * (d - a) / (a + 1);
    return gen_noise_scale_check("gsd", "k-way marginals", sqrt((double)Q / rho), cfg->epsilon, err);
}

static int gsd_check(const schema *s, const gen_config *cfg, pa_err *err)
{
    gsd_params p;
    int rc = gsd_read_params(s, cfg, &p, err);
    if (!rc)
        rc = gen_zcdp_check("gsd", cfg, err);
    return rc || !s ? rc : gsd_noise_floor(s->d, cfg, &p, err);
}

static void gsd_free(void *state)
{
    gsd_state *st = state;
    if (!st)
        return;
    free(st->x);
    schema_free(st->s);
    free(st);
}

/* One workload marginal and, per column, the marginals holding it. */
typedef struct gsd_work {
    size_t Q, k, d, N;
    size_t *cols;     /* (Q, k) columns of each marginal */
    size_t *stride;   /* (Q, k) their strides (row-major, first column slowest) */
    size_t *off;      /* (Q + 1) offsets of the marginals in E */
    double *E;        /* (Σ cells) counts(X) − N'·ŷ */
    size_t *nq;       /* (d) marginals holding column j */
    size_t **qj;      /* (d) their indices */
    size_t **sj;      /* (d) column j's stride in each */
    int32_t *X;       /* (N', d) row-major codes */
} gsd_work;

static void gsd_work_free(gsd_work *w)
{
    free(w->cols);
    free(w->stride);
    free(w->off);
    free(w->E);
    if (w->qj)
        for (size_t j = 0; j < w->d; j++) {
            free(w->qj[j]);
            free(w->sj[j]);
        }
    free(w->qj);
    free(w->sj);
    free(w->nq);
    free(w->X);
}

static size_t cell_of_row(const gsd_work *w, size_t q, const int32_t *row)
{
    size_t c = 0;
    for (size_t a = 0; a < w->k; a++)
        c += (size_t)row[w->cols[q * w->k + a]] * w->stride[q * w->k + a];
    return c;
}

/* A candidate: kind 0 mutate (row r1, column c1 takes v1), 1 swap (column c1
 * of rows r1 and r2), 2 cross (row r1 takes columns c1 and, if c2 < d, c2
 * from row r2). */
typedef struct gsd_cand {
    int kind;
    size_t r1, r2, c1, c2;
    int32_t v1;
} gsd_cand;

/* ΔF of replacing row `old` by row `nw`, which differ at most in columns c1
 * and c2 (c2 = SIZE_MAX: only c1); apply != 0 also updates E. */
static double row_change(gsd_work *w, const int32_t *old, const int32_t *nw, size_t c1, size_t c2, int apply)
{
    double dF = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t j = pass ? c2 : c1;
        if (j == SIZE_MAX)
            break;
        for (size_t t = 0; t < w->nq[j]; t++) {
            size_t q = w->qj[j][t];
            if (pass) { /* counted in the first pass if it also holds c1 */
                int has = 0;
                for (size_t a = 0; a < w->k; a++)
                    has |= w->cols[q * w->k + a] == c1;
                if (has)
                    continue;
            }
            size_t a0 = cell_of_row(w, q, old), a1 = cell_of_row(w, q, nw);
            if (a0 == a1)
                continue;
            double *E = w->E + w->off[q];
            if (apply) {
                E[a0] -= 1;
                E[a1] += 1;
            } else {
                dF += 2.0 * (E[a1] - E[a0]) + 2.0;
            }
        }
    }
    return dF;
}

/* ΔF of swapping column j of rows i1 and i2 (apply: do it). */
static double swap_change(gsd_work *w, size_t i1, size_t i2, size_t j, int apply)
{
    int32_t *x1 = w->X + i1 * w->d, *x2 = w->X + i2 * w->d;
    int32_t v1 = x1[j], v2 = x2[j];
    if (v1 == v2 || i1 == i2)
        return 0;
    double dF = 0;
    for (size_t t = 0; t < w->nq[j]; t++) {
        size_t q = w->qj[j][t], s = w->sj[j][t];
        size_t a0 = cell_of_row(w, q, x1), b0 = cell_of_row(w, q, x2);
        size_t a1 = a0 + (size_t)v2 * s - (size_t)v1 * s, b1 = b0 + (size_t)v1 * s - (size_t)v2 * s;
        size_t cell[4] = {a0, a1, b0, b1};
        double del[4] = {-1, 1, -1, 1};
        /* merge equal cells */
        for (int u = 0; u < 4; u++)
            for (int v = u + 1; v < 4; v++)
                if (del[v] != 0 && cell[v] == cell[u]) {
                    del[u] += del[v];
                    del[v] = 0;
                }
        double *E = w->E + w->off[q];
        for (int u = 0; u < 4; u++) {
            if (del[u] == 0)
                continue;
            if (apply)
                E[cell[u]] += del[u];
            else
                dF += 2.0 * E[cell[u]] * del[u] + del[u] * del[u];
        }
    }
    if (apply) {
        x1[j] = v2;
        x2[j] = v1;
    }
    return dF;
}

/* ΔF of candidate c (apply: do it); nw is scratch of d codes. */
static double cand_change(gsd_work *w, const gsd_cand *c, int32_t *nw, int apply)
{
    if (c->kind == 1)
        return swap_change(w, c->r1, c->r2, c->c1, apply);
    int32_t *old = w->X + c->r1 * w->d;
    memcpy(nw, old, w->d * sizeof *nw);
    size_t c2 = SIZE_MAX;
    if (c->kind == 0) {
        nw[c->c1] = c->v1;
    } else {
        const int32_t *donor = w->X + c->r2 * w->d;
        nw[c->c1] = donor[c->c1];
        if (c->c2 < w->d && c->c2 != c->c1) {
            nw[c->c2] = donor[c->c2];
            c2 = c->c2;
        }
    }
    double dF = row_change(w, old, nw, c->c1, c2, apply);
    if (apply)
        memcpy(old, nw, w->d * sizeof *nw);
    return dF;
}

static int gsd_fit(const table *train, const gen_config *cfg, gsl_rng *r, void **state, pa_err *err)
{
    *state = NULL;
    gsd_params par;
    int rc = gsd_read_params(train ? train->s : NULL, cfg, &par, err);
    if (rc)
        return rc;
    const size_t n = train->n, d = train->d;
    if (n == 0)
        return pa_errf(err, PA_EINPUT, "generator \"gsd\": the training table has no records");
    const int exact = !isfinite(cfg->epsilon);
    const double rho = exact ? INFINITY : acct_zcdp_rho(cfg->epsilon, cfg->delta);
    if (!exact && !(rho > 0 && isfinite(rho)))
        return pa_errf(err, PA_EINTERNAL, "generator \"gsd\": zCDP conversion of epsilon=%.17g delta=%.17g gave rho=%.17g",
                       cfg->epsilon, cfg->delta, rho);
    if ((rc = gsd_noise_floor(d, cfg, &par, err)))
        return rc;
    const size_t N = par.rows ? par.rows : n, k = par.k < d ? par.k : d;
    gsd_state *st = calloc(1, sizeof *st);
    gsd_work w = {.k = k, .d = d, .N = N};
    pgm_codes *x = NULL;
    int32_t *nw = NULL;
    size_t *mlist = NULL;
    unsigned char *hist_s = NULL, *hist_ok = NULL;
    double *cnt = NULL;
    if (!st)
        return pa_errf(err, PA_ENOMEM, "generator \"gsd\": out of memory");
    st->s = schema_copy(train->s);
    st->d = d;
    st->bins = par.bins;
    st->nrows = N;
    if (!st->s)
        goto nomem;
    if ((rc = pgm_encode(train, par.bins, &x, err)))
        goto fail;

    /* workload: every k-way marginal */
    size_t Q = 1;
    for (size_t a = 0; a < k; a++)
        Q = Q * (d - a) / (a + 1);
    w.Q = Q;
    w.cols = malloc(Q * k * sizeof *w.cols);
    w.stride = malloc(Q * k * sizeof *w.stride);
    w.off = malloc((Q + 1) * sizeof *w.off);
    w.nq = calloc(d, sizeof *w.nq);
    w.qj = calloc(d, sizeof *w.qj);
    w.sj = calloc(d, sizeof *w.sj);
    if (!w.cols || !w.stride || !w.off || !w.nq || !w.qj || !w.sj)
        goto nomem;
    {
        size_t idx[3] = {0, 1, 2}, q = 0;
        w.off[0] = 0;
        for (;;) {
            size_t c = 1;
            for (size_t a = k; a-- > 0;) {
                w.cols[q * k + a] = idx[a];
                w.stride[q * k + a] = c;
                c *= x->card[idx[a]];
            }
            if (w.off[q] + c > GSD_MAX_CELLS) {
                rc = pa_errf(err, PA_EINPUT,
                             "generator \"gsd\": the %zu-way marginals hold more than %zu cells; lower \"k\" or \"bins\"",
                             k, GSD_MAX_CELLS);
                goto fail;
            }
            w.off[q + 1] = w.off[q] + c;
            for (size_t a = 0; a < k; a++)
                w.nq[idx[a]]++;
            q++;
            size_t p = k;
            while (p-- > 0 && idx[p] == d - k + p) {
            }
            if (p == SIZE_MAX)
                break;
            idx[p]++;
            for (size_t u = p + 1; u < k; u++)
                idx[u] = idx[u - 1] + 1;
        }
    }
    for (size_t j = 0; j < d; j++) {
        w.qj[j] = malloc((w.nq[j] ? w.nq[j] : 1) * sizeof **w.qj);
        w.sj[j] = malloc((w.nq[j] ? w.nq[j] : 1) * sizeof **w.sj);
        if (!w.qj[j] || !w.sj[j])
            goto nomem;
        w.nq[j] = 0;
    }
    for (size_t q = 0; q < Q; q++)
        for (size_t a = 0; a < k; a++) {
            size_t j = w.cols[q * k + a];
            w.qj[j][w.nq[j]] = q;
            w.sj[j][w.nq[j]++] = w.stride[q * k + a];
        }

    /* measurement: normalised answers + N(0, σ²), σ = sqrt(Q/ρ)/n, clipped to [0, 1] */
    w.E = calloc(w.off[Q], sizeof *w.E);
    size_t maxc = 1;
    for (size_t q = 0; q < Q; q++)
        maxc = w.off[q + 1] - w.off[q] > maxc ? w.off[q + 1] - w.off[q] : maxc;
    cnt = malloc(maxc * sizeof *cnt);
    if (!w.E || !cnt)
        goto nomem;
    const double sigma = exact ? 0 : sqrt((double)Q / rho) / (double)n;
    st->sigma = sigma;
    st->Q = Q;
    st->n = n;
    for (size_t q = 0; q < Q; q++) {
        pgm_count(cnt, x, w.cols + q * k, k);
        const size_t cq = w.off[q + 1] - w.off[q];
        for (size_t c = 0; c < cq; c++) {
            double e = cnt[c] / (double)n, y = e + (sigma > 0 ? gsl_ran_gaussian(r, sigma) : 0);
            if (cfg->noise && sigma > 0) /* one normalised k-way marginal: L2 sensitivity √2/n (replace-one) */
                gen_noise_gauss(cfg->noise, &e, &y, 1, sigma, c == 0 ? M_SQRT2 / (double)n : 0);
            y = y < 0 ? 0 : y > 1 ? 1 : y;
            w.E[w.off[q] + c] = -(double)N * y;
        }
    }
    free(cnt);
    cnt = NULL;

    /* initial synthetic set: uniform codes */
    w.X = malloc(N * d * sizeof *w.X);
    nw = malloc(d * sizeof *nw);
    if (!w.X || !nw)
        goto nomem;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < d; j++)
            w.X[i * d + j] = (int32_t)gsl_rng_uniform_int(r, x->card[j]);
    for (size_t i = 0; i < N; i++)
        for (size_t q = 0; q < Q; q++)
            w.E[w.off[q] + cell_of_row(&w, q, w.X + i * d)] += 1;
    double F = 0;
    for (size_t c = 0; c < w.off[Q]; c++)
        F += w.E[c] * w.E[c];

    /* mutation columns: column j round(log2 |domain|) times (at least once), shuffled */
    size_t nm = 0;
    for (size_t j = 0; j < d; j++) {
        double l = round(log2((double)x->card[j]));
        nm += l > 1 ? (size_t)l : 1;
    }
    mlist = malloc(nm * sizeof *mlist);
    if (!mlist)
        goto nomem;
    nm = 0;
    for (size_t j = 0; j < d; j++) {
        double l = round(log2((double)x->card[j]));
        for (size_t u = 0; u < (l > 1 ? (size_t)l : 1); u++)
            mlist[nm++] = j;
    }
    gsl_ran_shuffle(r, mlist, nm, sizeof *mlist);

    /* strategies: 0 mutate, 1 swap, 2 cross one column, 3 cross two columns */
    int avail[GSD_NSTRAT] = {1, N >= 2, N >= 2, N >= 2 && d >= 2};
    size_t K = 0;
    for (int s = 0; s < GSD_NSTRAT; s++)
        K += avail[s] != 0;
    double wgt[GSD_NSTRAT];
    for (int s = 0; s < GSD_NSTRAT; s++)
        wgt[s] = avail[s] ? 1.0 / (double)K : 0;
    const size_t period = N > 100 ? N : 100;
    const double maxgen = par.max_generations > 0 ? par.max_generations : 200.0 * (double)N;
    hist_s = malloc(period);
    hist_ok = malloc(period);
    if (!hist_s || !hist_ok)
        goto nomem;
    size_t mcur = 0, scur = 0, nh = 0;
    double F_last = 1e300;
    size_t t = 0;
    for (; (double)t < maxgen; t++) {
        if (t > 0 && t % period == 0) {
            /* multiplicative weights over this period's outcomes (mw_jit) */
            for (size_t h = 0; h < nh; h++) {
                int s = hist_s[h];
                double p = 0.95 * wgt[s] + 0.05 / (double)K;
                wgt[s] *= exp(0.1 * (double)hist_ok[h] / p);
                double z = 0;
                for (int u = 0; u < GSD_NSTRAT; u++)
                    z += wgt[u];
                for (int u = 0; u < GSD_NSTRAT; u++)
                    wgt[u] /= z;
            }
            nh = 0;
            if (t % N == 0 && t > N && fabs(F_last - F) / F_last < par.stop)
                break;
            F_last = F;
        }
        /* draw the strategy from 0.95 w + 0.05/K over the available ones */
        double u = gsl_rng_uniform(r), acc = 0;
        int s = -1;
        for (int v = 0; v < GSD_NSTRAT; v++) {
            if (!avail[v])
                continue;
            acc += 0.95 * wgt[v] + 0.05 / (double)K;
            s = v;
            if (u < acc)
                break;
        }
        size_t col = 0;
        if (s == 0) {
            mcur = (mcur + 1) % nm;
            col = mlist[mcur];
        } else if (s == 1) {
            scur = (scur + 1) % d;
            col = scur;
        }
        gsd_cand best = {0}, c = {0};
        double bestd = INFINITY;
        for (size_t p = 0; p < par.population; p++) {
            c.kind = s == 0 ? 0 : s == 1 ? 1 : 2;
            c.r1 = gsl_rng_uniform_int(r, N);
            c.c2 = SIZE_MAX;
            if (s == 0) {
                c.c1 = col;
                c.v1 = (int32_t)gsl_rng_uniform_int(r, x->card[col]);
            } else if (s == 1) {
                c.c1 = col;
                c.r2 = gsl_rng_uniform_int(r, N);
            } else {
                c.r2 = gsl_rng_uniform_int(r, N);
                c.c1 = gsl_rng_uniform_int(r, d);
                if (s == 3)
                    c.c2 = gsl_rng_uniform_int(r, d);
            }
            double dF = cand_change(&w, &c, nw, 0);
            if (dF < bestd) {
                bestd = dF;
                best = c;
            }
        }
        int ok = bestd < -1e-9;
        if (ok) {
            cand_change(&w, &best, nw, 1);
            F += bestd;
        }
        hist_s[nh] = (unsigned char)s;
        hist_ok[nh++] = (unsigned char)ok;
    }
    st->generations = t;
    /* recompute F exactly (the running sum drifts by rounding only) */
    F = 0;
    for (size_t q = 0; q < w.off[Q]; q++)
        F += w.E[q] * w.E[q];
    st->fitness = F / ((double)N * (double)N);
    st->x = malloc(d * N * sizeof *st->x);
    if (!st->x)
        goto nomem;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < d; j++)
            st->x[j * N + i] = w.X[i * d + j];

    st->priv.delta = exact ? 0 : cfg->delta;
    if (exact) {
        st->priv.epsilon = INFINITY;
        st->priv.rho = INFINITY;
        strcpy(st->priv.accountant, "none");
    } else {
        st->priv.epsilon = acct_zcdp_to_eps(rho, cfg->delta);
        st->priv.rho = rho;
        strcpy(st->priv.accountant, "zcdp");
        st->priv.replace_one = 1;
    }
    gsd_work_free(&w);
    pgm_codes_free(x);
    free(nw);
    free(mlist);
    free(hist_s);
    free(hist_ok);
    *state = st;
    return PA_OK;

nomem:
    rc = pa_errf(err, PA_ENOMEM, "generator \"gsd\": out of memory fitting %zu records x %zu columns", n, d);
fail:
    gsd_work_free(&w);
    pgm_codes_free(x);
    free(nw);
    free(mlist);
    free(hist_s);
    free(hist_ok);
    free(cnt);
    gsd_free(st);
    return rc;
}

static int gsd_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    *out = NULL;
    const gsd_state *st = state;
    size_t N = st->nrows, d = st->d;
    table *t = tbl_new(st->s, m);
    int32_t *code = malloc(d * (m ? m : 1) * sizeof *code);
    size_t *pick = malloc((m ? m : 1) * sizeof *pick);
    size_t *perm = m <= N ? malloc(N * sizeof *perm) : NULL;
    if (!t || !code || !pick || (m <= N && !perm)) {
        tbl_free(t);
        free(code);
        free(pick);
        free(perm);
        return pa_errf(err, PA_ENOMEM, "generator \"gsd\": out of memory sampling %zu records", m);
    }
    if (m <= N) { /* without replacement: the first m of a partial Fisher–Yates shuffle */
        for (size_t i = 0; i < N; i++)
            perm[i] = i;
        for (size_t i = 0; i < m; i++) {
            size_t j = i + gsl_rng_uniform_int(r, N - i), tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
            pick[i] = perm[i];
        }
    } else {
        for (size_t i = 0; i < m; i++)
            pick[i] = gsl_rng_uniform_int(r, N);
    }
    for (size_t j = 0; j < d; j++) {
        int32_t *cj = code + j * m;
        for (size_t i = 0; i < m; i++)
            cj[i] = st->x[j * N + pick[i]];
        if (pgm_decode_column(t, j, cj, st->bins, r)) {
            tbl_free(t);
            free(code);
            free(pick);
            free(perm);
            return pa_errf(err, PA_ENOMEM, "generator \"gsd\": out of memory sampling %zu records", m);
        }
    }
    free(code);
    free(pick);
    free(perm);
    *out = t;
    return PA_OK;
}

void gsd_info(const void *state, size_t *generations, double *fitness)
{
    const gsd_state *st = state;
    *generations = st->generations;
    *fitness = st->fitness;
}

void gsd_noise(const void *state, double *sigma, size_t *Q, size_t *n)
{
    const gsd_state *st = state;
    *sigma = st->sigma;
    *Q = st->Q;
    *n = st->n;
}

static void gsd_privacy(const void *state, gen_privacy *out)
{
    *out = ((const gsd_state *)state)->priv;
}

const gen_vtable gen_gsd = {
    .name = GSD_NAME,
    .summary = "Private-GSD: genetic search for rows matching noisy k-way marginals (zCDP, replace-one neighbours)",
    .check = gsd_check,
    .fit = gsd_fit,
    .sample = gsd_sample,
    .privacy = gsd_privacy,
    .free_state = gsd_free,
    .gaussian_only = 1,
};
