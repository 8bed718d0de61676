/* dpmerf.c — DP-Merf (Harder, Adamczewski, Park, "DP-MERF: Differentially
 * private mean embeddings with random features for practical privacy-
 * preserving data generation", AISTATS 2021).
 *
 * n = records, d = columns, p = encoded width (generator outputs),
 * D = random features (even), F = D/2 frequencies, K = label classes
 * (1 without a label column), E = D + 1 embedding entries per class,
 * B = generator batch, z = latent width, h = hidden width, m = records sampled.
 *
 * Encoding of a record (every column except the label): a numeric column is
 * (v − lo)/(hi − lo) ∈ [0, 1] with the schema's bounds (clamped); a
 * categorical column is one-hot over its schema domain. x ∈ [0,1]^p.
 *
 * Features (the paper's cos/sin pairs): Ω (F, p) with entries N(0, 1/ℓ²)
 * (the Gaussian kernel exp(−‖x−x'‖²/(2ℓ²)), Rahimi & Recht 2007) and
 *   φ(x) = sqrt(2/D) [cos(Ωx), sin(Ωx)] ∈ R^D,  ‖φ(x)‖ = 1 exactly.
 * ℓ is the parameter "lengthscale"; its default is data-independent:
 * ℓ² = Σ_numeric 1/6 + Σ_categorical (1 − 1/c), the expected squared distance
 * of two records drawn uniformly from the encoded domain (the median
 * heuristic on private data is not allowed). "lengthscale": "select" picks ℓ
 * privately among ℓ_0 2^{−j/2}, j < G = "candidates" (ℓ_0 = that default):
 * a share s = "select_share" of μ_G² pays for G noisy candidate embeddings
 * (μ_G² s/(2G) each) and the noisy vector of their scores (μ_G² s/2; the
 * score is a count of training records classified right by a classifier
 * built from the released candidate alone, sensitivity 1 each, √G for the
 * vector: "select_score" "tstr" = the MLP of `privaudit utility` trained on
 * the candidate's own generator's records, "kernel" = the candidate's kernel
 * mean classifier); ℓ* is the widest candidate within "select_tolerance"·n
 * of the noisy best and the final embedding gets μ_G² (1 − s). GDP
 * composition: the μ_G² add up to the target's.
 *
 * Labelled embedding (parameter "label" = a categorical column, K codes):
 *   Φ(x, y) = [α φ(x), β] ⊗ e_y ∈ R^{K E},  α = sqrt(1 − β²), β = 0.1,
 * so ‖Φ‖ = 1 and the extra coordinate carries the class proportions in the
 * same release (block y's last entry is β n_y / n). Without a label,
 * K = 1, α = 1, β = 0.
 *
 * Privacy: the mean embedding μ = (1/n) Σ_i Φ(x_i, y_i) is released once as
 * μ̃ = μ + N(0, σ² I). Neighbouring tables differ in one record replaced by
 * another (n public), so the L2 sensitivity is Δ = 2/n. σ = Δ/μ_G where μ_G
 * is the exact (ε, δ) calibration of one Gaussian mechanism — the analytic
 * Gaussian mechanism (Balle & Wang 2018), i.e. μ_G-GDP (Dong, Roth, Su 2019)
 * with δ(ε) = Φ(−ε/μ_G + μ_G/2) − e^ε Φ(−ε/μ_G − μ_G/2) solved for μ_G by
 * Brent (audit/acct.h acct_gdp_delta). privacy() reports that ε (recomputed
 * with acct_gdp_eps), δ, accountant "gdp" and the zCDP ρ = μ_G²/2 of the same
 * mechanism. Everything after the release is post-processing.
 *
 * Generator: an MLP (core/mlp.h) from [z ~ N(0, I_z), e_y] through "depth"
 * ReLU layers of width "hidden" to p logits; a numeric output is
 * sigmoid(logit), a categorical column's block is softmax(logits) (the
 * relaxed one-hot used during fitting). Fitting minimises
 *   L = Σ_k ‖ (α/B) Σ_{b: y_b = k} φ(G(z_b, y_b)) − μ̃_k[0..D) ‖²
 * with Adam for "iters" steps of B = "batch" records; the labels y_b of a
 * batch are fixed and stratified by the released proportions π̂ (π̂_k ∝
 * max(0, μ̃_{k,D}/β)), so the β entries match by construction and carry no
 * gradient. The gradient flows through φ by hand:
 *   ∂L/∂x_b = (2α sqrt(2/D) / B) Ωᵀ [−sin(Ωx_b) ⊙ r_c + cos(Ωx_b) ⊙ r_s]
 * (r = the residual of class y_b, cos and sin halves), then through the
 * sigmoid / softmax into mlp_seed + mlp_backprop + mlp_grad_accumulate.
 *
 * Sampling: y ~ π̂, z ~ N(0, I), a forward pass; numeric values
 * lo + x (hi − lo), rounded for integer columns; categorical codes drawn
 * from the softmax probabilities (a categorical draw, not argmax).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GSL headers pull in gsl_cblas.h, which clashes with OpenBLAS <cblas.h>; its
 * cblas_sgemm prototype is the standard one and resolves to OpenBLAS. */
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_roots.h>

#include "audit/acct.h"
#include "audit/utility.h"
#include "core/blas.h"
#include "core/mlp.h"
#include "generators/gen.h"

#define DM_NAME "dpmerf"
#define DM_BETA 0.1      /* weight of the class-proportion entry, see above */
#define DM_CHUNK 1024    /* rows per GEMM when embedding the data / sampling */
#define DM_TOL_KERNEL 0.01 /* default "select_tolerance" with "select_score": "kernel" (0 with "tstr") */
#define DM_TSTR_DEFAULT 1 /* default "select_score": "tstr" */

typedef struct dm_params {
    int label;           /* label column, or -1 */
    size_t D;            /* random features (even) */
    double lengthscale;  /* ℓ (the first candidate when select) */
    int select;          /* 1: "lengthscale": "select" */
    size_t G;            /* candidates of the selection */
    double share;        /* share of μ_G² spent on the selection */
    double tol;          /* the widest candidate within tol·n of the best score wins */
    int tstr;            /* 1: "select_score": "tstr", 0: "kernel" */
    size_t sel_iters;    /* generator steps per candidate ("select_iters", tstr only) */
    size_t sel_rows;     /* synthetic records per candidate ("select_rows", tstr only) */
    size_t zdim, hidden, depth, iters, batch;
    double lr;
} dm_params;

typedef struct dm_state {
    schema *s;           /* copy of the training schema */
    int label;           /* label column or -1 */
    size_t K, p, zdim;
    size_t *off;         /* (d) offset of column j in the encoding (unused for the label) */
    double *cdf;         /* (K) cumulative π̂ */
    mlp *g;              /* the generator */
    gen_privacy priv;
    double sigma;        /* noise std of each embedding entry (0 at ε = ∞) */
    double ell;          /* the length scale used */
} dm_state;

static const char *const dm_keys[] = {"label", "features", "lengthscale", "candidates", "select_share",
                                      "select_tolerance", "select_score", "select_iters",
                                      "select_rows", "zdim",
                                      "hidden", "depth", "iters", "batch", "lr", NULL};

/* Encoded width p and the default ℓ² of schema s without column `label`. */
static size_t dm_width(const schema *s, int label, double *ell2)
{
    size_t p = 0;
    double e = 0;
    for (size_t j = 0; j < s->d; j++) {
        if ((int)j == label)
            continue;
        if (s->cols[j].kind == COL_NUM) {
            p += 1;
            e += 1.0 / 6.0;
        } else {
            p += s->cols[j].size;
            e += 1.0 - 1.0 / (double)s->cols[j].size;
        }
    }
    if (ell2)
        *ell2 = e;
    return p;
}

static int dm_read_params(const schema *s, const gen_config *cfg, dm_params *p, pa_err *err)
{
    int rc;
    double v;
    if ((rc = gen_param_known(cfg->params, DM_NAME, dm_keys, err)))
        return rc;
    if (!s || s->d < 1)
        return pa_errf(err, PA_EINPUT, "generator \"dpmerf\": the schema has no columns");
    if (!(cfg->epsilon > 0) || isnan(cfg->epsilon))
        return pa_errf(err, PA_EINPUT, "generator \"dpmerf\": epsilon must be > 0 or infinite (got %.17g)",
                       cfg->epsilon);
    if (isfinite(cfg->epsilon) && !(cfg->delta > 0 && cfg->delta < 1))
        return pa_errf(err, PA_EINPUT,
                       "generator \"dpmerf\": delta must be in (0, 1) for a finite epsilon (the Gaussian mechanism "
                       "has no pure-epsilon guarantee; got %.17g)",
                       cfg->delta);
    p->label = -1;
    const cJSON *lab = cfg->params ? cJSON_GetObjectItemCaseSensitive(cfg->params, "label") : NULL;
    if (lab) {
        if (!cJSON_IsString(lab))
            return pa_errf(err, PA_EINPUT, "generator \"dpmerf\": parameter \"label\": expected a column name");
        int j = schema_col(s, lab->valuestring);
        if (j < 0)
            return pa_errf(err, PA_EINPUT, "generator \"dpmerf\": parameter \"label\": no column \"%s\" in the schema",
                           lab->valuestring);
        if (s->cols[j].kind != COL_CAT || s->cols[j].size < 2)
            return pa_errf(err, PA_EINPUT,
                           "generator \"dpmerf\": parameter \"label\": column \"%s\" must be categorical with >= 2 codes",
                           lab->valuestring);
        p->label = j;
    }
    double ell2;
    size_t width = dm_width(s, p->label, &ell2);
    if (width == 0)
        return pa_errf(err, PA_EINPUT, "generator \"dpmerf\": no column to generate besides the label");
    if ((rc = gen_param_int(cfg->params, DM_NAME, "features", 2000, 2, 1e6, &v, err)))
        return rc;
    if ((size_t)v % 2)
        return pa_errf(err, PA_EINPUT, "generator \"dpmerf\": parameter \"features\": expected an even number (cos/sin "
                       "pairs; got %.17g)", v);
    p->D = (size_t)v;
    const cJSON *ls = cfg->params ? cJSON_GetObjectItemCaseSensitive(cfg->params, "lengthscale") : NULL;
    p->select = 0;
    if (ls && cJSON_IsString(ls)) {
        if (strcmp(ls->valuestring, "select") != 0)
            return pa_errf(err, PA_EINPUT, "generator \"dpmerf\": parameter \"lengthscale\": expected a number "
                           "in [1e-6, 1e6] or \"select\" (got \"%s\")", ls->valuestring);
        if (p->label < 0)
            return pa_errf(err, PA_EINPUT, "generator \"dpmerf\": parameter \"lengthscale\": \"select\" scores "
                           "the candidates by classifying the label, so it needs parameter \"label\"");
        p->select = 1;
        p->lengthscale = sqrt(ell2 > 0 ? ell2 : 1);
    } else if ((rc = gen_param_num(cfg->params, DM_NAME, "lengthscale", sqrt(ell2 > 0 ? ell2 : 1), 1e-6, 1e6,
                                   &p->lengthscale, err))) {
        return rc;
    }
    static const char *const sel_keys[] = {"candidates", "select_share", "select_tolerance", "select_score",
                                           "select_iters", "select_rows"};
    for (size_t k = 0; !p->select && k < sizeof sel_keys / sizeof *sel_keys; k++)
        if (cfg->params && cJSON_GetObjectItemCaseSensitive(cfg->params, sel_keys[k]))
            return pa_errf(err, PA_EINPUT, "generator \"dpmerf\": parameter \"%s\" only applies with "
                           "\"lengthscale\": \"select\"", sel_keys[k]);
    if ((rc = gen_param_int(cfg->params, DM_NAME, "candidates", 5, 2, 64, &v, err)))
        return rc;
    p->G = (size_t)v;
    if ((rc = gen_param_num(cfg->params, DM_NAME, "select_share", 0.1, 1e-6, 0.9, &p->share, err)))
        return rc;
    if ((rc = gen_param_int(cfg->params, DM_NAME, "zdim", 10, 1, 1e5, &v, err)))
        return rc;
    p->zdim = (size_t)v;
    if ((rc = gen_param_int(cfg->params, DM_NAME, "hidden", 256, 1, 1e5, &v, err)))
        return rc;
    p->hidden = (size_t)v;
    if ((rc = gen_param_int(cfg->params, DM_NAME, "depth", 2, 0, 10, &v, err)))
        return rc;
    p->depth = (size_t)v;
    if ((rc = gen_param_int(cfg->params, DM_NAME, "iters", 2000, 0, 1e8, &v, err)))
        return rc;
    p->iters = (size_t)v;
    if ((rc = gen_param_int(cfg->params, DM_NAME, "batch", 500, 1, 1e6, &v, err)))
        return rc;
    p->batch = (size_t)v;
    if ((rc = gen_param_num(cfg->params, DM_NAME, "lr", 1e-3, 1e-8, 10, &p->lr, err)))
        return rc;
    const cJSON *sc = cfg->params ? cJSON_GetObjectItemCaseSensitive(cfg->params, "select_score") : NULL;
    p->tstr = DM_TSTR_DEFAULT;
    if (sc) {
        if (!cJSON_IsString(sc) || (strcmp(sc->valuestring, "tstr") && strcmp(sc->valuestring, "kernel")))
            return pa_errf(err, PA_EINPUT, "generator \"dpmerf\": parameter \"select_score\": expected \"tstr\" "
                           "or \"kernel\"");
        p->tstr = strcmp(sc->valuestring, "tstr") == 0;
    }
    if (!p->tstr)
        for (size_t k = 4; k < sizeof sel_keys / sizeof *sel_keys; k++) /* select_iters, select_rows */
            if (cfg->params && cJSON_GetObjectItemCaseSensitive(cfg->params, sel_keys[k]))
                return pa_errf(err, PA_EINPUT, "generator \"dpmerf\": parameter \"%s\" only applies with "
                               "\"select_score\": \"tstr\"", sel_keys[k]);
    if ((rc = gen_param_int(cfg->params, DM_NAME, "select_iters", (double)p->iters, 0, 1e8, &v, err)))
        return rc;
    p->sel_iters = (size_t)v;
    if ((rc = gen_param_int(cfg->params, DM_NAME, "select_rows", 0, 0, 1e7, &v, err)))
        return rc;
    p->sel_rows = (size_t)v; /* 0: as many as the training table has */
    if ((rc = gen_param_num(cfg->params, DM_NAME, "select_tolerance", p->tstr ? 0 : DM_TOL_KERNEL, 0, 1, &p->tol,
                            err)))
        return rc;
    return PA_OK;
}

static int dm_check(const schema *s, const gen_config *cfg, pa_err *err)
{
    dm_params p;
    return dm_read_params(s, cfg, &p, err);
}

static void dm_free(void *state)
{
    dm_state *st = state;
    if (!st)
        return;
    schema_free(st->s);
    free(st->off);
    free(st->cdf);
    mlp_free(st->g);
    free(st);
}

/* ---- calibration: the analytic Gaussian mechanism ---- */

typedef struct dm_cal {
    double eps, delta;
} dm_cal;

static double dm_cal_f(double lnmu, void *par)
{
    const dm_cal *c = par;
    return acct_gdp_delta(exp(lnmu), c->eps) - c->delta;
}

/* μ_G with δ(ε; μ_G) = δ (Brent on ln μ_G over [1e-6, 1e4], to 1e-13 relative). */
static int dm_calibrate(double eps, double delta, double *mu, pa_err *err)
{
    dm_cal c = {eps, delta};
    gsl_function fn = {.function = dm_cal_f, .params = &c};
    double lo = log(1e-6), hi = log(1e4);
    if (!(dm_cal_f(lo, &c) < 0 && dm_cal_f(hi, &c) > 0))
        return pa_errf(err, PA_EINPUT,
                       "generator \"dpmerf\": (epsilon %.17g, delta %.17g) is outside what the Gaussian mechanism "
                       "calibration covers (mu in [1e-6, 1e4])",
                       eps, delta);
    gsl_root_fsolver *so = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!so)
        return pa_errf(err, PA_ENOMEM, "generator \"dpmerf\": out of memory");
    gsl_root_fsolver_set(so, &fn, lo, hi);
    int st = GSL_CONTINUE;
    for (int it = 0; it < 300 && st == GSL_CONTINUE; it++) {
        if (gsl_root_fsolver_iterate(so))
            break;
        st = gsl_root_test_interval(gsl_root_fsolver_x_lower(so), gsl_root_fsolver_x_upper(so), 1e-14, 0);
    }
    *mu = exp(gsl_root_fsolver_root(so));
    gsl_root_fsolver_free(so);
    if (st != GSL_SUCCESS)
        return pa_errf(err, PA_EINTERNAL, "generator \"dpmerf\": Gaussian calibration did not converge");
    return PA_OK;
}

/* ---- encoding and decoding ---- */

/* Row i of t encoded into x (p). */
static void dm_encode(const table *t, const dm_state *st, size_t i, float *x)
{
    const schema *s = st->s;
    for (size_t j = 0; j < s->d; j++) {
        if ((int)j == st->label)
            continue;
        const col_spec *c = &s->cols[j];
        if (c->kind == COL_NUM) {
            double v = (t->num[j][i] - c->lo) / (c->hi - c->lo);
            x[st->off[j]] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
        } else {
            memset(x + st->off[j], 0, c->size * sizeof *x);
            int32_t v = t->cat[j][i];
            x[st->off[j] + (v >= 0 && (size_t)v < c->size ? (size_t)v : 0)] = 1.0f;
        }
    }
}

/* X (B, p) = the generator's output transform of logits Y (B, p). */
static void dm_decode(const dm_state *st, const float *Y, size_t B, float *X)
{
    const schema *s = st->s;
    size_t p = st->p;
    for (size_t b = 0; b < B; b++) {
        const float *y = Y + b * p;
        float *x = X + b * p;
        for (size_t j = 0; j < s->d; j++) {
            if ((int)j == st->label)
                continue;
            const col_spec *c = &s->cols[j];
            size_t o = st->off[j];
            if (c->kind == COL_NUM) {
                x[o] = 1.0f / (1.0f + expf(-y[o]));
            } else {
                float mx = y[o], sum = 0;
                for (size_t k = 1; k < c->size; k++)
                    mx = y[o + k] > mx ? y[o + k] : mx;
                for (size_t k = 0; k < c->size; k++)
                    sum += (x[o + k] = expf(y[o + k] - mx));
                for (size_t k = 0; k < c->size; k++)
                    x[o + k] /= sum;
            }
        }
    }
}

/* dY (B, p) from dX (B, p) through the transform whose outputs are X. */
static void dm_decode_backward(const dm_state *st, const float *X, const float *dX, size_t B, float *dY)
{
    const schema *s = st->s;
    size_t p = st->p;
    for (size_t b = 0; b < B; b++) {
        const float *x = X + b * p, *dx = dX + b * p;
        float *dy = dY + b * p;
        for (size_t j = 0; j < s->d; j++) {
            if ((int)j == st->label)
                continue;
            const col_spec *c = &s->cols[j];
            size_t o = st->off[j];
            if (c->kind == COL_NUM) {
                dy[o] = dx[o] * x[o] * (1.0f - x[o]);
            } else {
                float dot = 0;
                for (size_t k = 0; k < c->size; k++)
                    dot += x[o + k] * dx[o + k];
                for (size_t k = 0; k < c->size; k++)
                    dy[o + k] = x[o + k] * (dx[o + k] - dot);
            }
        }
    }
}

/* The class of uniform u under the cumulative cdf (K). */
static size_t dm_class(const double *cdf, size_t K, double u)
{
    for (size_t k = 0; k + 1 < K; k++)
        if (u < cdf[k])
            return k;
    return K - 1;
}

/* The generator's input zr (zdim + K with a label): z ~ N(0, I), then the
 * one-hot of class y. */
static void dm_latent(const dm_state *st, float *zr, int32_t y, gsl_rng *r)
{
    for (size_t k = 0; k < st->zdim; k++)
        zr[k] = (float)gsl_ran_gaussian_ziggurat(r, 1.0);
    if (st->label >= 0) {
        memset(zr + st->zdim, 0, st->K * sizeof *zr);
        zr[st->zdim + (size_t)y] = 1.0f;
    }
}

/* The exact mean embedding emb (K, E) of train under Ω (F, p), chunk by
 * chunk (U = Xc Ωᵀ, (C, F)); Xc (DM_CHUNK, p), U (DM_CHUNK, F) work space. */
static void dm_embed(const table *train, const dm_state *st, const float *Om, size_t F, double alpha, double beta,
                     float *Xc, float *U, double *emb)
{
    const size_t n = train->n, p = st->p, D = 2 * F, E = D + 1, K = st->K;
    const double sc = sqrt(2.0 / (double)D);
    memset(emb, 0, K * E * sizeof *emb);
    for (size_t s0 = 0; s0 < n; s0 += DM_CHUNK) {
        size_t C = n - s0 < DM_CHUNK ? n - s0 : DM_CHUNK;
        for (size_t i = 0; i < C; i++)
            dm_encode(train, st, s0 + i, Xc + i * p);
        pa_blas_threads_for((double)C * (double)F * (double)p);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)C, (int)F, (int)p, 1.0f, Xc, (int)p, Om, (int)p,
                    0.0f, U, (int)F);
        for (size_t i = 0; i < C; i++) {
            size_t y = st->label >= 0 ? (size_t)train->cat[st->label][s0 + i] : 0;
            double *e = emb + y * E;
            const float *u = U + i * F;
            for (size_t f = 0; f < F; f++) {
                e[f] += cos((double)u[f]);
                e[F + f] += sin((double)u[f]);
            }
            e[D] += 1;
        }
    }
    for (size_t k = 0; k < K; k++) {
        for (size_t f = 0; f < D; f++)
            emb[k * E + f] *= alpha * sc / (double)n;
        emb[k * E + D] *= beta / (double)n;
    }
}

/* The score of a candidate length scale: how many records of train the
 * kernel mean classifier of the RELEASED (noisy) embedding emb (K, E) puts in
 * their own class, argmax_k ⟨φ(x_i), μ̃_k[0..D)⟩ / π̂_k with π̂_k = μ̃_{k,D}/β
 * (classes with π̂_k <= 0 are never chosen). Given emb, one record replaced
 * changes the count by at most 1. */
static double dm_score(const table *train, const dm_state *st, const float *Om, size_t F, const double *emb,
                       double beta, float *Xc, float *U)
{
    const size_t n = train->n, p = st->p, D = 2 * F, E = D + 1, K = st->K;
    size_t hits = 0;
    for (size_t s0 = 0; s0 < n; s0 += DM_CHUNK) {
        size_t C = n - s0 < DM_CHUNK ? n - s0 : DM_CHUNK;
        for (size_t i = 0; i < C; i++)
            dm_encode(train, st, s0 + i, Xc + i * p);
        pa_blas_threads_for((double)C * (double)F * (double)p);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)C, (int)F, (int)p, 1.0f, Xc, (int)p, Om, (int)p,
                    0.0f, U, (int)F);
        for (size_t i = 0; i < C; i++) {
            const float *u = U + i * F;
            double best = -INFINITY;
            size_t arg = K;
            for (size_t k = 0; k < K; k++) {
                double pk = emb[k * E + D] / beta;
                if (!(pk > 0))
                    continue;
                const double *e = emb + k * E;
                double v = 0;
                for (size_t f = 0; f < F; f++)
                    v += cos((double)u[f]) * e[f] + sin((double)u[f]) * e[F + f];
                v /= pk;
                if (v > best) {
                    best = v;
                    arg = k;
                }
            }
            hits += arg == (size_t)train->cat[st->label][s0 + i];
        }
    }
    return (double)hits;
}

/* st->cdf (K) = the cumulative class proportions π̂ of the released
 * embedding emb (K, E), π̂_k ∝ max(0, μ̃_{k,D}/β) (uniform if all are <= 0). */
static void dm_set_cdf(dm_state *st, const double *emb, size_t D, double beta)
{
    const size_t K = st->K, E = D + 1;
    double tot = 0;
    for (size_t k = 0; k < K; k++) {
        double v = K > 1 ? emb[k * E + D] / beta : 1.0;
        st->cdf[k] = v > 0 ? v : 0;
        tot += st->cdf[k];
    }
    for (size_t k = 0; k < K; k++)
        st->cdf[k] = tot > 0 ? st->cdf[k] / tot : 1.0 / (double)K;
    for (size_t k = 1; k < K; k++)
        st->cdf[k] += st->cdf[k - 1];
}

/* A fresh generator st->g (the old one freed) fitted for `iters` Adam steps
 * to the released embedding emb (K, E) under Ω (F, p), batch labels
 * stratified by st->cdf. Post-processing of emb: reads no record. */
static int dm_train(const dm_params *P, dm_state *st, const float *Om, size_t F, const double *emb, double alpha,
                    size_t iters, gsl_rng *r, pa_err *err)
{
    const size_t K = st->K, p = st->p, D = 2 * F, E = D + 1;
    const double sc = sqrt(2.0 / (double)D);
    const size_t in = P->zdim + (P->label >= 0 ? K : 0), L = P->depth + 1, B = P->batch;
    int rc;
    mlp_free(st->g);
    st->g = NULL;
    mlp_adam *opt = NULL;
    size_t *width = pa_malloc(L + 1, sizeof *width);
    float *Zin = pa_calloc(B * in, sizeof *Zin), *Xg = pa_malloc(B * p, sizeof *Xg);
    float *dX = pa_malloc(B * p, sizeof *dX), *dY = pa_malloc(B * p, sizeof *dY);
    float *Gu = pa_malloc(B * F, sizeof *Gu), *R = pa_malloc(K * D, sizeof *R), *U = pa_malloc(B * F, sizeof *U);
    int32_t *yb = pa_malloc(B, sizeof *yb);
    if (!width || !Zin || !Xg || !dX || !dY || !Gu || !R || !U || !yb) {
        rc = pa_errf(err, PA_ENOMEM, "generator \"dpmerf\": out of memory");
        goto done;
    }
    width[0] = in;
    for (size_t l = 1; l < L; l++)
        width[l] = P->hidden;
    width[L] = p;
    mlp_spec spec = {.L = L, .width = width, .hidden = MLP_RELU, .out = MLP_IDENTITY};
    if ((rc = mlp_new(&spec, &st->g, err)))
        goto done;
    mlp_init(st->g, r);
    mlp_adam_cfg ac = {.lr = P->lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0};
    if ((rc = mlp_adam_new(mlp_nparams(st->g), &ac, &opt, err)))
        goto done;
    for (size_t b = 0; b < B; b++) /* stratified labels, fixed */
        yb[b] = (int32_t)dm_class(st->cdf, K, ((double)b + 0.5) / (double)B);
    const float gs = (float)(2.0 * alpha * sc / (double)B);
    for (size_t it = 0; it < iters; it++) {
        for (size_t b = 0; b < B; b++)
            dm_latent(st, Zin + b * in, yb[b], r);
        const float *Y;
        if ((rc = mlp_forward(st->g, Zin, B, &Y, err)))
            goto done;
        dm_decode(st, Y, B, Xg);
        pa_blas_threads_for((double)B * (double)F * (double)p);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)F, (int)p, 1.0f, Xg, (int)p, Om, (int)p,
                    0.0f, U, (int)F);
        /* residual r_k = (α sc / B) Σ_{b in k} [cos, sin] − μ̃_k */
        for (size_t k = 0; k < K; k++)
            for (size_t f = 0; f < D; f++)
                R[k * D + f] = (float)(-emb[k * E + f]);
        const float a = (float)(alpha * sc / (double)B);
        for (size_t b = 0; b < B; b++) {
            float *rk = R + (size_t)yb[b] * D, *u = U + b * F;
            for (size_t f = 0; f < F; f++) {
                float cu = cosf(u[f]), su = sinf(u[f]);
                rk[f] += a * cu;
                rk[F + f] += a * su;
                u[f] = cu; /* keep cos in U, sin in Gu for the gradient */
                Gu[b * F + f] = su;
            }
        }
        for (size_t b = 0; b < B; b++) {
            const float *rk = R + (size_t)yb[b] * D;
            float *u = U + b * F, *g = Gu + b * F;
            for (size_t f = 0; f < F; f++)
                g[f] = gs * (-g[f] * rk[f] + u[f] * rk[F + f]);
        }
        /* dX (B, p) = Gu (B, F) Ω (F, p) */
        pa_blas_threads_for((double)B * (double)p * (double)F);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)p, (int)F, 1.0f, Gu, (int)F, Om, (int)p,
                    0.0f, dX, (int)p);
        dm_decode_backward(st, Xg, dX, B, dY);
        mlp_seed(st->g, dY);
        mlp_backprop(st->g, 0);
        mlp_grad_accumulate(st->g, NULL, 1.0f, 0.0f);
        mlp_adam_step(opt, mlp_params(st->g), mlp_grads(st->g));
    }
    rc = PA_OK;
done:
    if (rc) {
        mlp_free(st->g);
        st->g = NULL;
    }
    mlp_adam_free(opt);
    free(width);
    free(Zin);
    free(Xg);
    free(dX);
    free(dY);
    free(Gu);
    free(R);
    free(U);
    free(yb);
    return rc;
}

static int dm_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err);

/* The "tstr" score of a candidate whose generator st->g is fitted: how many
 * records of train the MLP classifier of `privaudit utility --model mlp`
 * (util_tstr_mlp with UTIL_MLP_DEFAULTS) trained on `rows` records sampled
 * from st->g (0: train->n) puts in their own class. The classifier is
 * post-processing of the candidate's release, so one record replaced changes
 * the count by at most 1. */
static int dm_score_tstr(const table *train, dm_state *st, size_t rows, gsl_rng *r, double *score, pa_err *err)
{
    table *syn = NULL;
    int rc = dm_sample(st, rows ? rows : train->n, r, &syn, err);
    if (rc)
        return rc;
    util_mlp_cfg mc = UTIL_MLP_DEFAULTS;
    mc.seed = gsl_rng_get(r);
    double acc, auc;
    rc = util_tstr_mlp(syn, train, st->s->cols[st->label].name, &mc, &acc, &auc, err);
    tbl_free(syn);
    if (rc) {
        pa_err_prefix(err, "generator \"dpmerf\": select_score \"tstr\"");
        return rc;
    }
    *score = round(acc * (double)train->n);
    return PA_OK;
}


/* ---- fit ---- */

static int dm_fit(const table *train, const gen_config *cfg, gsl_rng *r, void **state, pa_err *err)
{
    *state = NULL;
    dm_params P;
    int rc = dm_read_params(train->s, cfg, &P, err);
    if (rc)
        return rc;
    if (train->n == 0)
        return pa_errf(err, PA_EINPUT, "generator \"dpmerf\": the training table has no records");
    const size_t n = train->n, D = P.D, F = D / 2, E = D + 1;
    dm_state *st = pa_calloc(1, sizeof *st);
    float *Om = NULL, *Xc = NULL, *U = NULL;
    double *emb = NULL;
    if (!st)
        return pa_errf(err, PA_ENOMEM, "generator \"dpmerf\": out of memory");
    st->label = P.label;
    st->K = P.label >= 0 ? train->s->cols[P.label].size : 1;
    st->zdim = P.zdim;
    const size_t K = st->K;
    const double alpha = P.label >= 0 ? sqrt(1 - DM_BETA * DM_BETA) : 1.0, beta = P.label >= 0 ? DM_BETA : 0.0;
    st->s = schema_copy(train->s);
    st->off = pa_calloc(train->d, sizeof *st->off);
    st->cdf = pa_calloc(K, sizeof *st->cdf);
    if (!st->s || !st->off || !st->cdf)
        goto nomem;
    size_t p = 0;
    for (size_t j = 0; j < train->d; j++) {
        if ((int)j == P.label)
            continue;
        st->off[j] = p;
        p += train->s->cols[j].kind == COL_NUM ? 1 : train->s->cols[j].size;
    }
    st->p = p;

    /* privacy: μ_G of the whole fit; with "select" a share of μ_G² goes to
     * the selection (G candidate embeddings and G noisy scores, all Gaussian),
     * the rest to the final embedding, so the μ_G² add up (GDP composition). */
    double mu = INFINITY, mu_fin = INFINITY, mu_cand = INFINITY, mu_cnt = INFINITY;
    if (isfinite(cfg->epsilon)) {
        if ((rc = dm_calibrate(cfg->epsilon, cfg->delta, &mu, err)))
            goto fail;
        mu_fin = P.select ? mu * sqrt(1 - P.share) : mu;
        mu_cand = mu * sqrt(P.share / (2.0 * (double)P.G));
        mu_cnt = mu * sqrt(P.share / 2.0);
        st->sigma = (2.0 / (double)n) / mu_fin;
        if ((rc = acct_gdp_to_eps(mu, cfg->delta, &st->priv.epsilon, err))) {
            pa_err_prefix(err, "generator \"dpmerf\"");
            goto fail;
        }
        st->priv.delta = cfg->delta;
        st->priv.rho = mu * mu / 2;
        st->priv.replace_one = 1;
        strcpy(st->priv.accountant, "gdp");
    } else {
        st->sigma = 0;
        st->priv.epsilon = INFINITY;
        st->priv.delta = 0;
        st->priv.rho = INFINITY;
        strcpy(st->priv.accountant, "none");
    }

    /* random features Ω (F, p) ~ N(0, 1/ℓ²) */
    Om = pa_malloc(F * p, sizeof *Om);
    Xc = pa_malloc(DM_CHUNK * p, sizeof *Xc);
    U = pa_malloc(DM_CHUNK * F, sizeof *U);
    emb = pa_calloc(K * E, sizeof *emb);
    if (!Om || !Xc || !U || !emb)
        goto nomem;
    for (size_t k = 0; k < F * p; k++)
        Om[k] = (float)(gsl_ran_gaussian_ziggurat(r, 1.0) / P.lengthscale);

    if (P.select) {
        /* candidates ℓ_j = ℓ_0 2^{−j/2}, j < G, on the same standard draws
         * (Ω_j = Ω_0 ℓ_0/ℓ_j); each embedding released with σ_c = (2/n)/μ_c,
         * scored by dm_score_tstr or dm_score (a count of training records,
         * L2 sensitivity √G for the G counts), the scores released with
         * σ = √G/μ_cnt, ℓ* by the tolerance rule (post-processing). */
        const double sig_c = isfinite(mu_cand) ? (2.0 / (double)n) / mu_cand : 0;
        const double sig_s = isfinite(mu_cnt) ? sqrt((double)P.G) / mu_cnt : 0;
        double best = -INFINITY, ell = P.lengthscale, cur = 1.0, scores[64], ells[64];
        for (size_t j = 0; j < P.G; j++) {
            double ellj = P.lengthscale * pow(2.0, -0.5 * (double)j), f = ellj / P.lengthscale;
            for (size_t k = 0; k < F * p; k++)
                Om[k] = (float)((double)Om[k] * cur / f);
            cur = f;
            dm_embed(train, st, Om, F, alpha, beta, Xc, U, emb);
            double *ex = cfg->noise && sig_c > 0 ? pa_malloc(K * E, sizeof *ex) : NULL;
            if (ex)
                memcpy(ex, emb, K * E * sizeof *ex);
            if (sig_c > 0)
                for (size_t k = 0; k < K * E; k++)
                    emb[k] += gsl_ran_gaussian_ziggurat(r, sig_c);
            if (ex)
                gen_noise_gauss(cfg->noise, ex, emb, K * E, sig_c, 2.0 / (double)n);
            free(ex);
            double sc0;
            if (P.tstr) { /* the candidate's own generator, a short fit, scored by TSTR on train */
                dm_set_cdf(st, emb, D, beta);
                if ((rc = dm_train(&P, st, Om, F, emb, alpha, P.sel_iters, r, err)) ||
                    (rc = dm_score_tstr(train, st, P.sel_rows, r, &sc0, err)))
                    goto fail;
            } else {
                sc0 = dm_score(train, st, Om, F, emb, beta, Xc, U);
            }
            double scn = sc0 + (sig_s > 0 ? gsl_ran_gaussian_ziggurat(r, sig_s) : 0);
            if (cfg->noise && sig_s > 0) /* one score of the G-vector: its share of the √G sensitivity */
                gen_noise_gauss(cfg->noise, &sc0, &scn, 1, sig_s, 1.0);
            if (getenv("PRIVAUDIT_VERBOSE"))
                fprintf(stderr, "dpmerf: lengthscale %.6g: noisy score %.1f of %zu records\n", ellj, scn, n);
            scores[j] = scn;
            ells[j] = ellj;
            best = scn > best ? scn : best;
        }
        /* the widest kernel within tolerance·n of the best noisy score */
        for (size_t j = P.G; j-- > 0;)
            if (scores[j] >= best - P.tol * (double)n)
                ell = ells[j];
        st->ell = ell;
        for (size_t k = 0; k < F * p; k++)   /* back to Ω_0 ℓ_0 / ℓ* */
            Om[k] = (float)((double)Om[k] * cur / (ell / P.lengthscale));
        if (getenv("PRIVAUDIT_VERBOSE"))
            fprintf(stderr, "dpmerf: selected lengthscale %.6g of %zu candidates from %.6g\n", ell, P.G,
                    P.lengthscale);
    } else {
        st->ell = P.lengthscale;
    }

    /* the mean embedding, released once */
    dm_embed(train, st, Om, F, alpha, beta, Xc, U, emb);
    double *emb0 = cfg->noise && st->sigma > 0 ? pa_malloc(K * E, sizeof *emb0) : NULL;
    if (emb0)
        memcpy(emb0, emb, K * E * sizeof *emb0);
    if (st->sigma > 0)
        for (size_t k = 0; k < K * E; k++)
            emb[k] += gsl_ran_gaussian_ziggurat(r, st->sigma);
    if (emb0)   /* the mean embedding: L2 sensitivity 2/n (one record replaced) */
        gen_noise_gauss(cfg->noise, emb0, emb, K * E, st->sigma, 2.0 / (double)n);
    free(emb0);

    /* released class proportions π̂, then the generator */
    dm_set_cdf(st, emb, D, beta);
    if ((rc = dm_train(&P, st, Om, F, emb, alpha, P.iters, r, err)))
        goto fail;
    rc = PA_OK;
    goto done;
nomem:
    rc = pa_errf(err, PA_ENOMEM, "generator \"dpmerf\": out of memory");
fail:
    dm_free(st);
    st = NULL;
done:
    free(Om);
    free(Xc);
    free(U);
    free(emb);
    *state = st;
    return rc;
}

/* ---- sample ---- */

static int dm_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    *out = NULL;
    const dm_state *st = state;
    const schema *s = st->s;
    const size_t K = st->K, p = st->p, in = st->zdim + (st->label >= 0 ? K : 0);
    table *t = tbl_new(s, m);
    float *Zin = pa_calloc(DM_CHUNK * in, sizeof *Zin), *X = pa_malloc(DM_CHUNK * p, sizeof *X);
    int32_t *y = pa_malloc(DM_CHUNK, sizeof *y);
    int rc = PA_OK;
    if (!t || !Zin || !X || !y) {
        rc = pa_errf(err, PA_ENOMEM, "generator \"dpmerf\": out of memory for %zu records", m);
        goto done;
    }
    for (size_t s0 = 0; s0 < m; s0 += DM_CHUNK) {
        size_t C = m - s0 < DM_CHUNK ? m - s0 : DM_CHUNK;
        for (size_t b = 0; b < C; b++) {
            y[b] = (int32_t)dm_class(st->cdf, K, gsl_rng_uniform(r));
            dm_latent(st, Zin + b * in, y[b], r);
        }
        const float *Y;
        if ((rc = mlp_forward(st->g, Zin, C, &Y, err)))
            goto done;
        dm_decode(st, Y, C, X);
        for (size_t b = 0; b < C; b++) {
            const float *x = X + b * p;
            for (size_t j = 0; j < s->d; j++) {
                const col_spec *c = &s->cols[j];
                if ((int)j == st->label) {
                    t->cat[j][s0 + b] = y[b];
                } else if (c->kind == COL_NUM) {
                    double v = c->lo + (double)x[st->off[j]] * (c->hi - c->lo);
                    if (c->integer) {
                        v = round(v);
                        if (v < ceil(c->lo))
                            v = ceil(c->lo);
                        if (v > floor(c->hi))
                            v = floor(c->hi);
                    }
                    t->num[j][s0 + b] = v < c->lo ? c->lo : v > c->hi ? c->hi : v;
                } else {
                    double u = gsl_rng_uniform(r), acc = 0;
                    size_t k = 0;
                    for (; k + 1 < c->size; k++) {
                        acc += x[st->off[j] + k];
                        if (u < acc)
                            break;
                    }
                    t->cat[j][s0 + b] = (int32_t)k;
                }
            }
        }
    }
done:
    free(Zin);
    free(X);
    free(y);
    if (rc) {
        tbl_free(t);
        return rc;
    }
    *out = t;
    return PA_OK;
}

static void dm_privacy(const void *state, gen_privacy *out)
{
    *out = ((const dm_state *)state)->priv;
}

const gen_vtable gen_dpmerf = {
    .name = DM_NAME,
    .summary = "DP-Merf: random Fourier mean embedding + Gaussian noise (analytic), generator fitted to it",
    .check = dm_check,
    .fit = dm_fit,
    .sample = dm_sample,
    .privacy = dm_privacy,
    .free_state = dm_free,
};
