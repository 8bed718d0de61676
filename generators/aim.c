/* aim.c — AIM (McKenna, Mullins, Sheldon, Miklau, "AIM: An Adaptive and
 * Iterative Mechanism for Differentially Private Synthetic Data", VLDB 2022),
 * following private-pgm's mechanisms/aim.py.
 *
 * n = records, d = attributes, c = cells of a marginal, T = planned rounds,
 * r = the per-round zCDP budget.
 *
 * Privacy: ρ-zCDP with ρ = acct_zcdp_rho(ε, δ); neighbouring tables differ by
 * adding or removing one record (a marginal has L2 sensitivity 1; the
 * selection score below has sensitivity max weight). Every step is recorded
 * in a ledger (generators/aim.h).
 *   Workload: every `degree`-way marginal with at most `max_cells` cells,
 *   weight 1. Candidates: its downward closure, candidate C weighted
 *   w_C = Σ_W |C ∩ W| (aim.py compile_workload).
 *   Start: r = ρ/T, σ = sqrt(1/(2·0.9·r)), ε = sqrt(8·0.1·r) (so one round
 *   costs 1/(2σ²) + ε²/8 = r); every one-way candidate is measured with
 *   N(0, σ²) noise (0.9·r each).
 *   Round: if the budget left is below 2r, r becomes the budget left and the
 *   round is the last. The candidates kept are those inside a measured clique
 *   or whose addition keeps the junction tree within
 *   max_model_size·(ρ used)/ρ megabytes (8-byte cells). One is chosen by the
 *   exponential mechanism with quality w_C(‖x_C − x̂_C‖₁ − sqrt(2/π)·σ·c_C)
 *   and sensitivity max w_C, P ∝ exp(ε·q/(2·max w)); it is measured with
 *   N(0, σ²); the model is refitted. Annealing: if the model's marginal on
 *   the chosen clique moved by at most sqrt(2/π)·σ·c_C in L1, σ halves and ε
 *   doubles (r × 4).
 *   Estimation: a graphical model on a junction tree fitted by mirror descent
 *   to all measurements (generators/jtree.h), warm-started each round, total
 *   = the minimum-variance estimate from the measurements' sums.
 *   Sampling: forward sampling on the junction tree (private-pgm rounds the
 *   counts instead; we draw independent records, as MST does here).
 * Everything after the measurements and selections is post-processing.
 *
 * ε = INFINITY: no noise, argmax selection without the bias term, T rounds
 * (the model-size limit grows as max_model_size·t/T), stopping early once
 * every candidate is fitted exactly.
 *
 * Planted accounting bugs, for audit tests (docs/generators.md); each still
 * claims the ε it was asked for:
 *   "bug_full_rho_per_phase" = 1: the measurement and the selection of a
 *     round each get the whole round budget r (σ = sqrt(1/(2r)),
 *     ε = sqrt(8r)), and the one-way start σ = sqrt(1/(2r)), while the budget
 *     is counted as above — really about 2ρ;
 *   "bug_noise_divisor" = k >= 1: every measurement's σ divided by k (a noise
 *     scale off by a factor), so the measurements are really about k²·0.9ρ;
 *   "bug_replace_one_sensitivity" = 1: the ε is claimed for replace-one
 *     neighbours (privacy().replace_one = 1) with the add/remove noise; under
 *     replace-one a marginal has L2 sensitivity √2 (×2 in ρ) and a score
 *     sensitivity 2·max w (×4), so the fit is really 0.9·2ρ + 0.1·4ρ = 2.2ρ.
 *     Its output is bit for bit that of the correct AIM.
 */
#include "generators/aim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "audit/acct.h"
#include "audit/utility.h"
#include "generators/gen.h"
#include "generators/jtree.h"
#include "generators/pgm.h"

#define AIM_NAME "aim"
#define AIM_MAX_ANSWER_CELLS ((size_t)1 << 27) /* all candidates' true answers held at once */

typedef struct aim_params {
    size_t bins, degree, max_cells, rounds, iters, final_iters;
    double max_model_size; /* megabytes of 8-byte cells */
    int bug_full_rho, bug_replace_one;
    double bug_noise_div; /* planted bug: every σ divided by this (1 = none) */
} aim_params;

typedef struct aim_state {
    schema *s;
    size_t bins, d;
    jt_model *model;
    aim_step *ledger;
    size_t nledger, capledger;
    size_t rounds, anneals;
    gen_privacy priv;
} aim_state;

static const char *const aim_keys[] = {"bins",        "degree",         "max_cells",
                                       "rounds",      "max_model_size", "iters",
                                       "final_iters", "bug_full_rho_per_phase", "bug_replace_one_sensitivity", "bug_noise_divisor",
                                       NULL};

static int aim_flag(const cJSON *params, const char *key, int *out, pa_err *err)
{
    double v;
    int rc = gen_param_num(params, AIM_NAME, key, 0, 0, 1, &v, err);
    if (rc)
        return rc;
    if (v != 0 && v != 1)
        return pa_errf(err, PA_EINPUT, "generator \"aim\": parameter \"%s\": expected 0 or 1 (got %.17g)", key, v);
    *out = (int)v;
    return PA_OK;
}

static int aim_read_params(const schema *s, const gen_config *cfg, aim_params *p, pa_err *err)
{
    double v;
    int rc;
    if ((rc = gen_param_known(cfg->params, AIM_NAME, aim_keys, err)))
        return rc;
    if ((rc = gen_param_int(cfg->params, AIM_NAME, "bins", UTIL_DEFAULT_BINS, 1, 1e6, &v, err)))
        return rc;
    p->bins = (size_t)v;
    if ((rc = gen_param_int(cfg->params, AIM_NAME, "degree", 2, 1, 3, &v, err)))
        return rc;
    p->degree = (size_t)v;
    if ((rc = gen_param_int(cfg->params, AIM_NAME, "max_cells", 10000, 1, 1e9, &v, err)))
        return rc;
    p->max_cells = (size_t)v;
    if ((rc = gen_param_int(cfg->params, AIM_NAME, "rounds", 0, 0, 1e6, &v, err)))
        return rc;
    p->rounds = (size_t)v;
    if ((rc = gen_param_num(cfg->params, AIM_NAME, "max_model_size", 80, 1e-6, 1e5, &p->max_model_size, err)))
        return rc;
    if ((rc = gen_param_int(cfg->params, AIM_NAME, "iters", 1000, 1, 1e6, &v, err)))
        return rc;
    p->iters = (size_t)v;
    if ((rc = gen_param_int(cfg->params, AIM_NAME, "final_iters", 1000, 0, 1e6, &v, err)))
        return rc;
    p->final_iters = (size_t)v;
    if ((rc = aim_flag(cfg->params, "bug_full_rho_per_phase", &p->bug_full_rho, err)) ||
        (rc = aim_flag(cfg->params, "bug_replace_one_sensitivity", &p->bug_replace_one, err)) ||
        (rc = gen_param_num(cfg->params, AIM_NAME, "bug_noise_divisor", 1, 1, 1e6, &p->bug_noise_div, err)))
        return rc;
    if (!(cfg->epsilon > 0) || isnan(cfg->epsilon))
        return pa_errf(err, PA_EINPUT, "generator \"aim\": epsilon must be > 0 or infinite (got %.17g)", cfg->epsilon);
    if (isfinite(cfg->epsilon) && !(cfg->delta > 0 && cfg->delta < 1))
        return pa_errf(err, PA_EINPUT,
                       "generator \"aim\": delta must be in (0, 1) for a finite epsilon under zCDP (got %.17g)",
                       cfg->delta);
    if (!s || s->d < 1)
        return pa_errf(err, PA_EINPUT, "generator \"aim\": the schema has no columns");
    if (s->d > JT_MAX_ATTRS)
        return pa_errf(err, PA_EINPUT, "generator \"aim\": the schema has %zu columns; at most %d are supported", s->d,
                       JT_MAX_ATTRS);
    /* some workload marginal must fit max_cells: the deg smallest domains */
    size_t deg = p->degree < s->d ? p->degree : s->d, small[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
    for (size_t j = 0; j < s->d; j++) {
        size_t c = util_col_bins(&s->cols[j], p->bins);
        for (size_t q = 0; q < deg; q++)
            if (c < small[q]) {
                for (size_t u = deg - 1; u > q; u--)
                    small[u] = small[u - 1];
                small[q] = c;
                break;
            }
    }
    double prod = 1;
    for (size_t q = 0; q < deg; q++)
        prod *= (double)small[q];
    if (prod > (double)p->max_cells)
        return pa_errf(err, PA_EINPUT,
                       "generator \"aim\": parameter \"max_cells\": no %zu-way marginal has at most %zu cells (the "
                       "smallest has %.0f)",
                       deg, p->max_cells, prod);
    size_t ones = s->d;
    if (p->rounds && p->rounds < ones)
        return pa_errf(err, PA_EINPUT,
                       "generator \"aim\": parameter \"rounds\": expected 0 (16 x columns) or at least the %zu "
                       "columns (the one-way start spends 0.9 x columns / rounds of the budget), got %zu",
                       ones, p->rounds);
    return PA_OK;
}

/* refuses an ε whose noise rounding could drop (gen_noise_scale_check): the
 * smallest σ any round can reach, a round's budget being at most ρ */
static int aim_noise_floor(const gen_config *cfg, const aim_params *p, pa_err *err)
{
    double rho = isfinite(cfg->epsilon) ? acct_zcdp_rho(cfg->epsilon, cfg->delta) : INFINITY;
    if (!(rho > 0 && isfinite(rho)))
        return PA_OK; /* exact, or a failed conversion the fit reports */
    double s = sqrt(1.0 / (2.0 * (p->bug_full_rho ? 1.0 : 0.9) * rho)) / p->bug_noise_div;
    return gen_noise_scale_check(AIM_NAME, "marginals", s, cfg->epsilon, err);
}

static int aim_check(const schema *s, const gen_config *cfg, pa_err *err)
{
    aim_params p;
    int rc = aim_read_params(s, cfg, &p, err);
    if (!rc)
        rc = gen_zcdp_check("aim", cfg, err);
    return rc ? rc : aim_noise_floor(cfg, &p, err);
}

static void aim_free(void *state)
{
    aim_state *st = state;
    if (!st)
        return;
    jt_free(st->model);
    free(st->ledger);
    schema_free(st->s);
    free(st);
}

const aim_step *aim_ledger(const void *state, size_t *n)
{
    const aim_state *st = state;
    *n = st->nledger;
    return st->ledger;
}

void aim_rounds(const void *state, size_t *rounds, size_t *anneals)
{
    const aim_state *st = state;
    *rounds = st->rounds;
    *anneals = st->anneals;
}

static int ledger_add(aim_state *st, aim_step s)
{
    if (st->nledger == st->capledger) {
        size_t cap = st->capledger ? 2 * st->capledger : 64;
        aim_step *l = realloc(st->ledger, cap * sizeof *l);
        if (!l)
            return PA_ENOMEM;
        st->ledger = l;
        st->capledger = cap;
    }
    st->ledger[st->nledger++] = s;
    return PA_OK;
}

/* One candidate marginal. */
typedef struct aim_cand {
    jt_clique cl;
    size_t cells;
    double w;      /* workload weight */
    double *x;     /* (cells) true counts */
} aim_cand;

/* Measurements taken so far (owning their noisy counts). */
typedef struct aim_meas {
    size_t n, cap;
    jt_meas *m;
} aim_meas;

static int meas_add(aim_meas *a, jt_clique cl, double *y, double sigma)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 64;
        jt_meas *m = realloc(a->m, cap * sizeof *m);
        if (!m)
            return PA_ENOMEM;
        a->m = m;
        a->cap = cap;
    }
    a->m[a->n++] = (jt_meas){.clique = cl, .y = y, .sigma = sigma};
    return PA_OK;
}

static void meas_free(aim_meas *a)
{
    for (size_t q = 0; q < a->n; q++)
        free((double *)a->m[q].y);
    free(a->m);
}

/* Workload and candidates (aim.py compile_workload with all `deg`-way
 * marginals of at most max_cells cells, weight 1). */
static int aim_candidates(const pgm_codes *x, size_t deg, size_t max_cells, aim_cand **out, size_t *nout,
                          pa_err *err)
{
    size_t d = x->d;
    *out = NULL;
    *nout = 0;
    if (deg > d)
        deg = d;
    /* enumerate subsets of size 1..deg in lexicographic order */
    size_t cap = 64, nw = 0, capw = 64, n = 0;
    jt_clique *W = malloc(capw * sizeof *W);
    aim_cand *c = malloc(cap * sizeof *c);
    double cnt[JT_MAX_ATTRS] = {0};
    if (!W || !c) {
        free(W);
        free(c);
        return pa_errf(err, PA_ENOMEM, "generator \"aim\": out of memory");
    }
    size_t idx[3];
    for (size_t k = 1; k <= deg; k++) {
        for (size_t q = 0; q < k; q++)
            idx[q] = q;
        for (;;) {
            jt_clique cl = 0;
            for (size_t q = 0; q < k; q++)
                cl |= (jt_clique)1 << idx[q];
            size_t cells = jt_clique_cells(x->card, cl, max_cells);
            if (k == deg && cells) {
                if (nw == capw) {
                    jt_clique *w2 = realloc(W, 2 * capw * sizeof *W);
                    if (!w2) {
                        free(W);
                        free(c);
                        return pa_errf(err, PA_ENOMEM, "generator \"aim\": out of memory");
                    }
                    W = w2;
                    capw *= 2;
                }
                W[nw++] = cl;
                for (size_t q = 0; q < k; q++)
                    cnt[idx[q]] += 1;
            }
            /* next combination */
            size_t q = k;
            while (q-- > 0 && idx[q] == d - k + q) {
            }
            if (q == SIZE_MAX)
                break;
            idx[q]++;
            for (size_t p = q + 1; p < k; p++)
                idx[p] = idx[p - 1] + 1;
        }
    }
    if (nw == 0) {
        free(W);
        free(c);
        return pa_errf(err, PA_EINPUT,
                       "generator \"aim\": no %zu-way marginal has at most max_cells = %zu cells; raise \"max_cells\"",
                       deg, max_cells);
    }
    size_t total_cells = 0;
    for (size_t k = 1; k <= deg; k++) {
        for (size_t q = 0; q < k; q++)
            idx[q] = q;
        for (;;) {
            jt_clique cl = 0;
            for (size_t q = 0; q < k; q++)
                cl |= (jt_clique)1 << idx[q];
            int inside = 0;
            for (size_t w = 0; w < nw && !inside; w++)
                inside = (W[w] & cl) == cl;
            if (inside) {
                if (n == cap) {
                    aim_cand *c2 = realloc(c, 2 * cap * sizeof *c);
                    if (!c2)
                        goto nomem;
                    c = c2;
                    cap *= 2;
                }
                size_t cells = jt_clique_cells(x->card, cl, max_cells);
                double w = 0;
                for (size_t q = 0; q < k; q++)
                    w += cnt[idx[q]];
                total_cells += cells;
                if (total_cells > AIM_MAX_ANSWER_CELLS) {
                    for (size_t p = 0; p < n; p++)
                        free(c[p].x);
                    free(c);
                    free(W);
                    return pa_errf(err, PA_EINPUT,
                                   "generator \"aim\": the candidate marginals hold more than %zu cells; lower "
                                   "\"degree\", \"max_cells\" or \"bins\"",
                                   AIM_MAX_ANSWER_CELLS);
                }
                c[n] = (aim_cand){.cl = cl, .cells = cells, .w = w, .x = malloc(cells * sizeof(double))};
                if (!c[n].x)
                    goto nomem;
                pgm_count(c[n].x, x, idx, k);
                n++;
            }
            size_t q = k;
            while (q-- > 0 && idx[q] == d - k + q) {
            }
            if (q == SIZE_MAX)
                break;
            idx[q]++;
            for (size_t p = q + 1; p < k; p++)
                idx[p] = idx[p - 1] + 1;
        }
    }
    free(W);
    *out = c;
    *nout = n;
    return PA_OK;
nomem:
    for (size_t p = 0; p < n; p++)
        free(c[p].x);
    free(c);
    free(W);
    return pa_errf(err, PA_ENOMEM, "generator \"aim\": out of memory");
}

static void cands_free(aim_cand *c, size_t n)
{
    if (!c)
        return;
    for (size_t q = 0; q < n; q++)
        free(c[q].x);
    free(c);
}

/* noisy copy of x (or exact copy with sigma = 0); a marginal's counts have
 * L2 sensitivity 1 (add/remove), which is what the ledger assumes and what
 * is reported to nz (NULL: no report) */
static double *noisy(const double *x, size_t c, double sigma, gen_noise *nz, gsl_rng *r)
{
    double *y = malloc(c * sizeof *y);
    if (!y)
        return NULL;
    for (size_t i = 0; i < c; i++)
        y[i] = x[i] + (sigma > 0 ? gsl_ran_gaussian(r, sigma) : 0);
    if (sigma > 0)
        gen_noise_gauss(nz, x, y, c, sigma, 1);
    return y;
}

static double l1(const double *a, const double *b, size_t c)
{
    double s = 0;
    for (size_t i = 0; i < c; i++)
        s += fabs(a[i] - b[i]);
    return s;
}

static int aim_fit(const table *train, const gen_config *cfg, gsl_rng *r, void **state, pa_err *err)
{
    *state = NULL;
    aim_params par;
    int rc = aim_read_params(train ? train->s : NULL, cfg, &par, err);
    if (rc)
        return rc;
    if (train->n == 0)
        return pa_errf(err, PA_EINPUT, "generator \"aim\": the training table has no records");
    const size_t d = train->d;
    const int exact = !isfinite(cfg->epsilon);
    const double rho = exact ? INFINITY : acct_zcdp_rho(cfg->epsilon, cfg->delta);
    if (!exact && !(rho > 0 && isfinite(rho)))
        return pa_errf(err, PA_EINTERNAL,
                       "generator \"aim\": zCDP conversion of epsilon=%.17g delta=%.17g gave rho=%.17g", cfg->epsilon,
                       cfg->delta, rho);
    if ((rc = aim_noise_floor(cfg, &par, err)))
        return rc;

    aim_state *st = calloc(1, sizeof *st);
    pgm_codes *x = NULL;
    aim_cand *cand = NULL;
    size_t ncand = 0;
    aim_meas meas = {0};
    double *xest = NULL, *score = NULL;
    jt_clique *tmpcl = NULL;
    if (!st)
        return pa_errf(err, PA_ENOMEM, "generator \"aim\": out of memory");
    st->d = d;
    st->bins = par.bins;
    st->s = schema_copy(train->s);
    if (!st->s) {
        rc = pa_errf(err, PA_ENOMEM, "generator \"aim\": out of memory");
        goto fail;
    }
    if ((rc = pgm_encode(train, par.bins, &x, err)))
        goto fail;
    if ((rc = aim_candidates(x, par.degree, par.max_cells, &cand, &ncand, err)))
        goto fail;
    size_t maxc = 1;
    for (size_t q = 0; q < ncand; q++)
        maxc = cand[q].cells > maxc ? cand[q].cells : maxc;
    xest = malloc(maxc * sizeof *xest);
    score = malloc(ncand * sizeof *score);
    tmpcl = malloc((ncand + d + 1) * sizeof *tmpcl);
    if (!xest || !score || !tmpcl)
        goto nomem;

    const size_t T = par.rounds ? par.rounds : 16 * d;
    /* shares of a round's budget: measurement, selection (the bug gives each the whole) */
    const double a_m = par.bug_full_rho ? 1.0 : 0.9, a_s = par.bug_full_rho ? 1.0 : 0.1;
    double rr = exact ? 0 : rho / (double)T;
    /* the planted bug_noise_divisor (1 when off) divides every σ: still noise, never none */
    const double ndiv = par.bug_noise_div;
    double sigma = exact ? 0 : sqrt(1.0 / (2.0 * a_m * rr)) / ndiv, eps_sel = exact ? INFINITY : sqrt(8.0 * a_s * rr);
    const double loss_sigma_exact = 1.0;
    double used = 0;
    size_t n1 = 0;
    for (size_t q = 0; q < ncand; q++) {
        if (__builtin_popcountll(cand[q].cl) != 1)
            continue;
        double *y = noisy(cand[q].x, cand[q].cells, sigma, cfg->noise, r);
        if (!y || meas_add(&meas, cand[q].cl, y, exact ? loss_sigma_exact : sigma)) {
            free(y);
            goto nomem;
        }
        if (ledger_add(st, (aim_step){.kind = 'g', .sigma = sigma, .sens = 1, .clique = cand[q].cl}))
            goto nomem;
        n1++;
    }
    used = (double)n1 * 0.9 * rr; /* = n1/(2σ²) when the shares are right */
    double total = exact ? (double)train->n : jt_total_estimate(x->card, meas.m, meas.n);
    if ((rc = jt_fit(x->card, d, meas.m, meas.n, total, NULL, par.iters, &st->model, err)))
        goto fail;

    const double bias = sqrt(2.0 / M_PI);
    const double mb = 8.0 / (1024.0 * 1024.0);
    int terminate = 0;
    size_t t = 0;
    /* progress (permille) of the work, estimated from the share f of ρ spent
     * (of the T rounds at ε = ∞): a round's fit costs about in proportion to
     * the model's size, whose limit grows in proportion to f, so the work done
     * grows about as f²; reported as f, the CLI's linear time left was 3×
     * too low on the coded Adult (with f² it erred by up to 2× either way) */
    char pstep[80];
    if (exact)
        snprintf(pstep, sizeof pstep, "aim: selection rounds (of %zu)", T);
    else
        snprintf(pstep, sizeof pstep, "aim: selection rounds (work estimated from the budget spent)");
    if (cfg->progress)
        cfg->progress(cfg->progress_ctx, pstep, 0, 1000);
    while (!terminate) {
        t++;
        if (exact) {
            if (t >= T)
                terminate = 1;
        } else if (rho - used < 2.0 * rr) {
            rr = rho - used;
            sigma = sqrt(1.0 / (2.0 * a_m * rr)) / ndiv;
            eps_sel = sqrt(8.0 * a_s * rr);
            terminate = 1;
        }
        used += exact ? 0 : rr;
        double size_limit = par.max_model_size * (exact ? (double)t / (double)T : used / rho);
        /* candidates within the size limit, or inside a measured clique */
        size_t nk;
        const jt_clique *K = jt_cliques(st->model, &nk);
        memcpy(tmpcl, K, nk * sizeof *K);
        double best = -INFINITY, wmax = 0;
        for (size_t q = 0; q < ncand; q++) {
            score[q] = NAN;
            int inside = 0;
            for (size_t k = 0; k < nk && !inside; k++)
                inside = (K[k] & cand[q].cl) == cand[q].cl;
            if (!inside) {
                double cells;
                tmpcl[nk] = cand[q].cl;
                if ((rc = jt_model_cells(x->card, d, tmpcl, nk + 1, &cells, err)))
                    goto fail;
                if (cells * mb > size_limit)
                    continue;
            }
            if ((rc = jt_project(st->model, cand[q].cl, xest, err)))
                goto fail;
            double e = l1(cand[q].x, xest, cand[q].cells) - (exact ? 0 : bias * sigma * (double)cand[q].cells);
            score[q] = cand[q].w * e;
            best = fmax(best, score[q]);
            wmax = fmax(wmax, cand[q].w);
        }
        if (!(best > -INFINITY)) {
            rc = pa_errf(err, PA_EINTERNAL, "generator \"aim\": no candidate fits max_model_size = %g MB in round %zu",
                         par.max_model_size, t);
            goto fail;
        }
        if (exact && best <= 1e-9 * (double)train->n)
            break; /* every candidate is already fitted exactly */
        size_t pick = SIZE_MAX;
        if (exact) {
            for (size_t q = 0; q < ncand && pick == SIZE_MAX; q++)
                if (score[q] == best)
                    pick = q;
        } else {
            /* exponential mechanism, sensitivity wmax: P ∝ exp(ε (q − best) / (2 wmax)) */
            double *p = malloc(ncand * sizeof *p);
            if (!p)
                goto nomem;
            for (size_t q = 0; q < ncand; q++)
                p[q] = isnan(score[q]) ? 0 : exp(0.5 * eps_sel / wmax * (score[q] - best));
            pgm_cumulate(p, ncand);
            pick = pgm_draw(p, ncand, r);
            free(p);
            if (isnan(score[pick])) { /* cannot happen: zero weight */
                rc = pa_errf(err, PA_EINTERNAL, "generator \"aim\": the selection drew a filtered candidate");
                goto fail;
            }
        }
        if (ledger_add(st, (aim_step){.kind = 'e', .eps = eps_sel, .sens = wmax, .clique = cand[pick].cl}))
            goto nomem;
        /* measure it */
        const aim_cand *c = &cand[pick];
        double *y = noisy(c->x, c->cells, sigma, cfg->noise, r);
        if (!y || meas_add(&meas, c->cl, y, exact ? loss_sigma_exact : sigma)) {
            free(y);
            goto nomem;
        }
        if (ledger_add(st, (aim_step){.kind = 'g', .sigma = sigma, .sens = 1, .clique = c->cl}))
            goto nomem;
        double *z = malloc(c->cells * sizeof *z);
        if (!z)
            goto nomem;
        if ((rc = jt_project(st->model, c->cl, z, err))) {
            free(z);
            goto fail;
        }
        total = exact ? (double)train->n : jt_total_estimate(x->card, meas.m, meas.n);
        jt_model *next = NULL;
        if ((rc = jt_fit(x->card, d, meas.m, meas.n, total, st->model, par.iters, &next, err))) {
            free(z);
            goto fail;
        }
        jt_free(st->model);
        st->model = next;
        if ((rc = jt_project(st->model, c->cl, xest, err))) {
            free(z);
            goto fail;
        }
        double moved = l1(xest, z, c->cells);
        free(z);
        st->rounds = t;
        if (cfg->progress) {
            double f = exact ? (double)t / (double)T : used / rho;
            f *= f;
            size_t pm = f >= 1 ? 999 : (size_t)(1000 * f); /* 1000 only once the loop ends */
            cfg->progress(cfg->progress_ctx, pstep, pm, 1000);
        }
        if (!exact && moved <= bias * sigma * (double)c->cells) {
            sigma /= 2;
            eps_sel *= 2;
            rr *= 4;
            st->anneals++;
        }
    }
    st->rounds = t;
    if (cfg->progress)
        cfg->progress(cfg->progress_ctx, pstep, 1000, 1000);
    if (par.final_iters) {
        jt_model *next = NULL;
        if (cfg->progress)
            cfg->progress(cfg->progress_ctx, "aim: final fit of the model", 0, 1);
        if ((rc = jt_fit(x->card, d, meas.m, meas.n, total, st->model, par.final_iters, &next, err)))
            goto fail;
        jt_free(st->model);
        st->model = next;
        if (cfg->progress)
            cfg->progress(cfg->progress_ctx, "aim: final fit of the model", 1, 1);
    }

    st->priv.delta = exact ? 0 : cfg->delta;
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
    cands_free(cand, ncand);
    meas_free(&meas);
    pgm_codes_free(x);
    free(xest);
    free(score);
    free(tmpcl);
    *state = st;
    return PA_OK;

nomem:
    rc = pa_errf(err, PA_ENOMEM, "generator \"aim\": out of memory fitting %zu records x %zu columns", train->n, d);
fail:
    cands_free(cand, ncand);
    meas_free(&meas);
    pgm_codes_free(x);
    free(xest);
    free(score);
    free(tmpcl);
    aim_free(st);
    return rc;
}

static int aim_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    *out = NULL;
    const aim_state *st = state;
    table *t = tbl_new(st->s, m);
    int32_t *code = malloc(st->d * (m ? m : 1) * sizeof *code);
    if (!t || !code) {
        tbl_free(t);
        free(code);
        return pa_errf(err, PA_ENOMEM, "generator \"aim\": out of memory sampling %zu records", m);
    }
    int rc = jt_sample(st->model, m, r, code, err);
    if (rc) {
        tbl_free(t);
        free(code);
        return rc;
    }
    for (size_t j = 0; j < st->d; j++)
        if (pgm_decode_column(t, j, code + j * m, st->bins, r)) {
            tbl_free(t);
            free(code);
            return pa_errf(err, PA_ENOMEM, "generator \"aim\": out of memory sampling %zu records", m);
        }
    free(code);
    *out = t;
    return PA_OK;
}

static void aim_privacy(const void *state, gen_privacy *out)
{
    *out = ((const aim_state *)state)->priv;
}

const gen_vtable gen_aim = {
    .name = AIM_NAME,
    .summary = "AIM: workload-adaptive noisy marginals chosen by the exponential mechanism, graphical model (zCDP)",
    .check = aim_check,
    .fit = aim_fit,
    .sample = aim_sample,
    .privacy = aim_privacy,
    .free_state = aim_free,
};
