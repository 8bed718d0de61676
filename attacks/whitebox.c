/* whitebox.c — white-box DP-SGD audit with canaries (see whitebox.h for the
 * game, the scores and the symbols N, d, d_live, K, h, p, P, R, T, q, C, σ, η). */
#include "attacks/whitebox.h"

#include <math.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "audit/acct.h"
#include "audit/gdp_fit.h"
#include "audit/roc.h"
#include "audit/verdict.h"
#include "core/dpsgd.h"
#include "core/mlp.h"
#include "core/rng.h"

#define WB_P_CLASSES 3          /* p: labels 0/1 for data, 2 for input canaries */
#define WB_CANARY_NORM 10.0     /* gradient canary norm / C; input canary dead value */
#define WB_NOCLIP_FACTOR 1e6    /* no_clip: C_eng = 1e6 C */
#define WB_MAX_K 4096
/* One-run audit: at most this many guesses (whole runs). The cap dates from
 * when the binomial tail was summed term by term (O(r) per step of the root
 * search); eps_one_run_delta now costs O(log v) per step, so it could be
 * lifted, which would change the stored one-run figures. */
#define WB_ONE_RUN_MAX_R 100000.0
#define WB_DATA_STREAM 0xD47A5E7ULL /* stream id of the shared data set (runs use 0..R-1 < 2^40) */

static const char *const threat_names[] = {"all", "final"};
static const char *const canary_names[] = {"gradient", "input"};
static const char *const bug_names[] = {"none", "noise_div10", "no_clip"};

const char *wb_threat_name(wb_threat t) { return (unsigned)t < 2 ? threat_names[t] : "?"; }
const char *wb_canary_name(wb_canary c) { return (unsigned)c < 2 ? canary_names[c] : "?"; }
const char *wb_bug_name(wb_bug b) { return (unsigned)b < 3 ? bug_names[b] : "?"; }

static int parse_name(const char *s, const char *const *names, int n)
{
    for (int i = 0; s && i < n; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

int wb_threat_parse(const char *s, wb_threat *out)
{
    int i = parse_name(s, threat_names, 2);
    if (i < 0)
        return -1;
    *out = (wb_threat)i;
    return 0;
}

int wb_canary_parse(const char *s, wb_canary *out)
{
    int i = parse_name(s, canary_names, 2);
    if (i < 0)
        return -1;
    *out = (wb_canary)i;
    return 0;
}

int wb_bug_parse(const char *s, wb_bug *out)
{
    int i = parse_name(s, bug_names, 3);
    if (i < 0)
        return -1;
    *out = (wb_bug)i;
    return 0;
}

void wb_cfg_default(wb_cfg *cfg)
{
    *cfg = (wb_cfg){.epsilon = 1.0, .delta = 1e-5, .threat = WB_THREAT_ALL,
                    .canary = WB_CANARY_GRADIENT, .bug = WB_BUG_NONE, .runs = 1000, .steps = 1,
                    .q = 1.0, .clip = 1.0, .canaries = 16, .n = 64, .d_live = 8, .hidden = 8,
                    .lr = 0.1, .cal_frac = 0.5, .alpha = 0.1, .seed = 1, .jobs = 1};
}

int wb_cfg_check(const wb_cfg *c, pa_err *err)
{
    if (!(c->epsilon > 0 && c->epsilon <= 100))
        return pa_errf(err, PA_EINPUT, "whitebox: epsilon = %g, expected in (0, 100]", c->epsilon);
    if (!(c->delta > 0 && c->delta < 1))
        return pa_errf(err, PA_EINPUT, "whitebox: delta = %g, expected in (0, 1)", c->delta);
    if ((unsigned)c->threat > 1 || (unsigned)c->canary > 1 || (unsigned)c->bug > 2)
        return pa_errf(err, PA_EINPUT, "whitebox: threat/canary/bug: unknown value");
    if (c->runs < 2 || c->runs > ((size_t)1 << 40))
        return pa_errf(err, PA_EINPUT, "whitebox: runs = %zu, expected in [2, 2^40]", c->runs);
    if (c->steps < 1 || c->steps > 1000000)
        return pa_errf(err, PA_EINPUT, "whitebox: steps = %zu, expected in [1, 1e6]", c->steps);
    if (!(c->q > 0 && c->q <= 1))
        return pa_errf(err, PA_EINPUT, "whitebox: q = %g, expected a rate in (0, 1]", c->q);
    if (!(c->clip > 0 && isfinite(c->clip) && c->clip <= 1e6))
        return pa_errf(err, PA_EINPUT, "whitebox: clip = %g, expected in (0, 1e6]", c->clip);
    if (c->canaries < 1 || c->canaries > WB_MAX_K)
        return pa_errf(err, PA_EINPUT, "whitebox: canaries = %zu, expected in [1, %d]",
                       c->canaries, WB_MAX_K);
    if (c->n < 1 || c->n > 10000000)
        return pa_errf(err, PA_EINPUT, "whitebox: n = %zu, expected in [1, 1e7]", c->n);
    if (c->d_live < 1 || c->d_live > 4096 || c->hidden < 1 || c->hidden > 4096)
        return pa_errf(err, PA_EINPUT, "whitebox: d_live = %zu, hidden = %zu, expected in [1, 4096]",
                       c->d_live, c->hidden);
    if (!(c->lr > 0 && isfinite(c->lr)))
        return pa_errf(err, PA_EINPUT, "whitebox: lr = %g, expected > 0", c->lr);
    if (!(c->cal_frac > 0 && c->cal_frac < 1))
        return pa_errf(err, PA_EINPUT, "whitebox: cal_frac = %g, expected in (0, 1)", c->cal_frac);
    size_t ncal = (size_t)((double)c->runs * c->cal_frac);
    if (ncal < 1 || ncal >= c->runs)
        return pa_errf(err, PA_EINPUT, "whitebox: runs = %zu with cal_frac = %g leave an empty "
                                       "calibration or test split", c->runs, c->cal_frac);
    if (!(c->alpha > 0 && c->alpha < 1))
        return pa_errf(err, PA_EINPUT, "whitebox: alpha = %g, expected in (0, 1)", c->alpha);
    if (c->jobs < 1 || c->jobs > 1024)
        return pa_errf(err, PA_EINPUT, "whitebox: jobs = %zu, expected in [1, 1024]", c->jobs);
    return PA_OK;
}

int wb_sigma(const wb_cfg *cfg, double *sigma, double *eps_rdp, double *eps_prv, pa_err *err)
{
    double s = NAN, e = NAN, ep = NAN;
    if (sigma)
        *sigma = NAN;
    if (eps_rdp)
        *eps_rdp = NAN;
    if (eps_prv)
        *eps_prv = NAN;
    int rc = wb_cfg_check(cfg, err);
    if (!rc)
        rc = acct_calibrate_sigma(ACCT_RDP, cfg->epsilon, cfg->q, (double)cfg->steps, cfg->delta,
                                  NULL, 0, &s, err);
    if (!rc) {
        dpsgd_cfg dc = {.n = cfg->n, .q = cfg->q, .sigma = s, .clip = cfg->clip};
        rc = acct_dpsgd_epsilon(&dc, cfg->steps, cfg->delta, &e, err);
    }
    if (!rc && eps_prv && cfg->q >= 1) {
        /* q = 1: T compositions of the Gaussian mechanism are exactly
         * (√T/σ)-GDP (Dong, Roth, Su 2019), whose ε(δ) is exact */
        ep = acct_gdp_eps(sqrt((double)cfg->steps) / s, cfg->delta);
        if (isnan(ep))
            rc = pa_errf(err, PA_EINTERNAL, "GDP epsilon of mu = %g", sqrt((double)cfg->steps) / s);
    } else if (!rc && eps_prv) {
        acct_phase ph = {.sigma = s, .q = cfg->q, .steps = (double)cfg->steps};
        acct_prv_result pr;
        rc = acct_prv_epsilon(&ph, 1, cfg->delta, 0, 0, &pr, err);
        ep = pr.estimate;
    }
    if (rc)
        return pa_err_prefix(err, "whitebox: accountant");
    if (sigma)
        *sigma = s;
    if (eps_rdp)
        *eps_rdp = e;
    if (eps_prv)
        *eps_prv = ep;
    return PA_OK;
}

double wb_step_llr(double x, double s, double q)
{
    double z = (2 * x - 1) / (2 * s * s);
    if (q >= 1)
        return z;
    /* ln((1-q) + q e^z) = logaddexp(ln(1-q), ln q + z) */
    double a = log1p(-q), b = log(q) + z;
    double hi = a > b ? a : b, lo = a > b ? b : a;
    return hi + log1p(exp(lo - hi));
}

/* ---- one run ---- */

/* The shared synthetic data set: live features N(0,1), dead features 0,
 * label 1{x_0 + x_1 > 0} (x_0 alone if d_live = 1). Same for every run. */
static int make_data(const wb_cfg *c, size_t d, float **X, int32_t **y, pa_err *err)
{
    *X = pa_calloc(c->n * d, sizeof **X);
    *y = pa_calloc(c->n, sizeof **y);
    gsl_rng *r = rng_stream(c->seed, WB_DATA_STREAM);
    if (!*X || !*y || !r) {
        free(*X);
        free(*y);
        *X = NULL;
        *y = NULL;
        if (r)
            gsl_rng_free(r);
        return pa_errf(err, PA_ENOMEM, "whitebox: data set of %zu x %zu", c->n, d);
    }
    for (size_t i = 0; i < c->n; i++) {
        float *row = *X + i * d;
        for (size_t j = 0; j < c->d_live; j++)
            row[j] = (float)gsl_ran_gaussian_ziggurat(r, 1.0);
        (*y)[i] = (row[0] + (c->d_live > 1 ? row[1] : 0.0f)) > 0;
    }
    gsl_rng_free(r);
    return PA_OK;
}

typedef struct run_ws {
    mlp *m, *probe;             /* trained model; copy for the canaries' gradients */
    dpsgd *s;
    float *X;                   /* (N, d) */
    int32_t *y;                 /* (N) */
    float *Xc;                  /* (K, d) input canaries */
    int32_t *yc;                /* (K) */
    float *theta0;              /* (P) */
    float *g;                   /* (P) a canary's gradient */
    double *gd;                 /* (P) */
    float *u;                   /* (K, h) clipped dead-column gradient of each canary at step t */
    float *u0;                  /* (K, h) the same at θ_0 */
    double *llr;                /* (K) */
    unsigned char *in;          /* (K) included in this step's batch */
} run_ws;

static void ws_free(run_ws *w)
{
    dpsgd_free(w->s);
    mlp_free(w->m);
    mlp_free(w->probe);
    free(w->X);
    free(w->y);
    free(w->Xc);
    free(w->yc);
    free(w->theta0);
    free(w->g);
    free(w->gd);
    free(w->u);
    free(w->u0);
    free(w->llr);
    free(w->in);
}

/* Canary k's full gradient at the probe's parameters into w->g (float) and
 * its dead column, clipped to the claimed C, into u (h). */
static void canary_grad(const wb_cfg *c, run_ws *w, size_t k, size_t d, size_t P, float *u)
{
    size_t h = c->hidden, col = c->d_live + k;
    memset(w->g, 0, P * sizeof *w->g);
    if (c->canary == WB_CANARY_GRADIENT) {
        w->g[col] = (float)(WB_CANARY_NORM * c->clip);   /* W_0[0, col] */
        memset(u, 0, h * sizeof *u);
        u[0] = (float)c->clip;                           /* clipped to C */
        return;
    }
    mlp_example_grad_naive(w->probe, k, w->gd);
    double sq = 0;
    for (size_t j = 0; j < P; j++) {
        w->g[j] = (float)w->gd[j];
        sq += w->gd[j] * w->gd[j];
    }
    double nrm = sqrt(sq), f = nrm > c->clip ? c->clip / nrm : 1.0;
    for (size_t j = 0; j < h; j++)
        u[j] = (float)(f * w->gd[j * d + col]);          /* W_0[j, col] */
}

int wb_run(const wb_cfg *c, double sigma, size_t run, double *score, int *member, pa_err *err)
{
    int rc = wb_cfg_check(c, err);
    if (rc)
        return rc;
    if (!(sigma >= 0 && isfinite(sigma)))
        return pa_errf(err, PA_EINPUT, "whitebox: sigma = %g, expected >= 0", sigma);
    size_t K = c->canaries, d = c->d_live + K, h = c->hidden;
    size_t width[3] = {d, h, WB_P_CLASSES};
    mlp_spec spec = {.L = 2, .width = width, .hidden = MLP_TANH, .out = MLP_IDENTITY};
    run_ws w = {0};
    gsl_rng *r = NULL;
    if ((rc = mlp_new(&spec, &w.m, err)) || (rc = mlp_new(&spec, &w.probe, err))
        || (rc = make_data(c, d, &w.X, &w.y, err)))
        goto done;
    size_t P = mlp_nparams(w.m);
    w.Xc = pa_calloc(K * d, sizeof *w.Xc);
    w.yc = pa_calloc(K, sizeof *w.yc);
    w.theta0 = pa_calloc(P, sizeof *w.theta0);
    w.g = pa_calloc(P, sizeof *w.g);
    w.gd = pa_calloc(P, sizeof *w.gd);
    w.u = pa_calloc(K * h, sizeof *w.u);
    w.u0 = pa_calloc(K * h, sizeof *w.u0);
    w.llr = pa_calloc(K, sizeof *w.llr);
    w.in = pa_calloc(K, 1);
    r = rng_stream(c->seed, run);
    if (!w.Xc || !w.yc || !w.theta0 || !w.g || !w.gd || !w.u || !w.u0 || !w.llr || !w.in || !r) {
        rc = pa_errf(err, PA_ENOMEM, "whitebox: run %zu buffers (P = %zu, K = %zu)", run, P, K);
        goto done;
    }
    for (size_t k = 0; k < K; k++) {
        w.Xc[k * d + c->d_live + k] = (float)WB_CANARY_NORM;
        w.yc[k] = WB_P_CLASSES - 1;
    }
    /* the engine: what runs (bugs change it), not what is claimed */
    dpsgd_cfg ec = {.n = c->n, .q = c->q, .sigma = sigma, .clip = c->clip};
    if (c->bug == WB_BUG_NOISE_DIV10)
        ec.sigma = sigma / 10;
    else if (c->bug == WB_BUG_NO_CLIP) {
        ec.clip = c->clip * WB_NOCLIP_FACTOR;
        ec.sigma = sigma * c->clip / ec.clip;
    }
    if ((rc = dpsgd_new(w.m, &ec, NULL, &w.s, err)))
        goto done;

    mlp_init(w.m, r);
    memcpy(w.theta0, mlp_params(w.m), P * sizeof *w.theta0);
    for (size_t k = 0; k < K; k++)
        member[k] = gsl_rng_uniform(r) < 0.5;
    dpsgd_data D = {.n = c->n, .X = w.X, .y = w.y, .T = NULL};
    double qN = c->q * (double)c->n;
    float *theta = mlp_params(w.m), *grad = mlp_grads(w.m);

    for (size_t t = 0; t < c->steps; t++) {
        if (c->canary == WB_CANARY_INPUT) {
            if ((rc = mlp_copy_params(w.probe, w.m, err))
                || (rc = mlp_forward(w.probe, w.Xc, K, NULL, err))
                || (rc = mlp_loss_xent(w.probe, w.yc, NULL, NULL, err)))
                goto done;
            mlp_backprop(w.probe, 0);
        }
        /* Poisson inclusion of each member canary, drawn for every canary so
         * that the stream does not depend on the coins */
        size_t first = K;
        for (size_t k = 0; k < K; k++) {
            w.in[k] = (gsl_rng_uniform(r) < c->q) && member[k];
            if (w.in[k] && first == K)
                first = k;
        }
        if (first < K)
            canary_grad(c, &w, first, d, P, w.u + first * h);
        if ((rc = dpsgd_private_grad(w.s, &D, first < K ? w.g : NULL, r, NULL, err)))
            goto done;
        /* further canaries enter exactly as dpsgd_add_example would (clipped
         * to the engine's C), after the engine's division by qN */
        for (size_t k = 0; k < K; k++) {
            if (k != first)
                canary_grad(c, &w, k, d, P, w.u + k * h);
            if (!w.in[k] || k == first)
                continue;
            double sq = 0;
            for (size_t j = 0; j < P; j++)
                sq += (double)w.g[j] * w.g[j];
            double nrm = sqrt(sq), f = nrm > ec.clip ? ec.clip / nrm : 1.0;
            for (size_t j = 0; j < P; j++)
                grad[j] += (float)(f * w.g[j] / qN);
        }
        if (t == 0)
            memcpy(w.u0, w.u, K * h * sizeof *w.u0);
        /* the all-updates attacker reads g_t */
        for (size_t k = 0; k < K; k++) {
            const float *uk = w.u + k * h;
            double uu = 0, gu = 0;
            for (size_t j = 0; j < h; j++) {
                uu += (double)uk[j] * uk[j];
                gu += (double)grad[j * d + c->d_live + k] * uk[j];
            }
            if (uu <= 0)
                continue;
            double x = qN * gu / uu;
            w.llr[k] += sigma > 0 ? wb_step_llr(x, sigma * c->clip / sqrt(uu), c->q) : x;
        }
        for (size_t j = 0; j < P; j++)
            theta[j] -= (float)(c->lr * grad[j]);
    }
    for (size_t k = 0; k < K; k++) {
        if (c->threat == WB_THREAT_ALL) {
            score[k] = w.llr[k];
            continue;
        }
        const float *uk = w.u0 + k * h;
        double uu = 0, du = 0;
        for (size_t j = 0; j < h; j++) {
            size_t idx = j * d + c->d_live + k;
            uu += (double)uk[j] * uk[j];
            du += ((double)w.theta0[idx] - theta[idx]) * uk[j];
        }
        score[k] = uu > 0 ? qN * du / (c->lr * uu) : 0.0;
    }
    for (size_t k = 0; k < K; k++)
        if (!isfinite(score[k])) {
            rc = pa_errf(err, PA_EINTERNAL, "whitebox: run %zu canary %zu: non-finite score", run, k);
            goto done;
        }
done:
    if (r)
        gsl_rng_free(r);
    ws_free(&w);
    return rc;
}

/* ---- the audit ---- */

typedef struct pool {
    const wb_cfg *cfg;
    double sigma;
    double *score;
    int *member;
    size_t next, done;
    int rc;
    pa_err err;
    pthread_mutex_t mu;
    wb_progress_fn progress;
    void *ctx;
} pool;

static void *worker(void *arg)
{
    pool *pl = arg;
    size_t K = pl->cfg->canaries;
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        size_t run = pl->next++;
        int stop = pl->rc != PA_OK || run >= pl->cfg->runs;
        pthread_mutex_unlock(&pl->mu);
        if (stop)
            return NULL;
        pa_err e = {0};
        int rc = wb_run(pl->cfg, pl->sigma, run, pl->score + run * K, pl->member + run * K, &e);
        pthread_mutex_lock(&pl->mu);
        if (rc && pl->rc == PA_OK) {
            pl->rc = rc;
            pl->err = e;
        }
        pl->done++;
        if (pl->progress)
            pl->progress(pl->ctx, pl->done, pl->cfg->runs);
        pthread_mutex_unlock(&pl->mu);
    }
}

void wb_result_free(wb_result *r)
{
    if (!r)
        return;
    free(r->score);
    free(r->member);
    free(r->is_cal);
    free(r);
}

static int cmp_idx_score(const void *a, const void *b, void *s)
{
    const double *sc = s;
    double x = sc[*(const size_t *)a], y = sc[*(const size_t *)b];
    if (x != y)
        return x < y ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Pooled one-run audit: per run, "in" for the K/4 highest scores, "out" for
 * the K/4 lowest (K >= 4; else no guesses), over the first runs while the
 * guesses stay <= WB_ONE_RUN_MAX_R. */
static int one_run(const wb_cfg *c, wb_result *res, pa_err *err)
{
    size_t K = c->canaries, g = K / 4;
    double rg = 0, v = 0;
    size_t *ord = pa_calloc(K, sizeof *ord);
    if (!ord)
        return pa_errf(err, PA_ENOMEM, "whitebox: one-run order of %zu", K);
    size_t runs = 0;
    for (size_t run = 0; g > 0 && run < c->runs && rg + 2.0 * (double)g <= WB_ONE_RUN_MAX_R; run++) {
        runs++;
        const double *s = res->score + run * K;
        const int *mb = res->member + run * K;
        for (size_t k = 0; k < K; k++)
            ord[k] = k;
        /* insertion sort by score: K is small and qsort_r is not C11 */
        for (size_t i = 1; i < K; i++)
            for (size_t j = i; j > 0 && cmp_idx_score(&ord[j - 1], &ord[j], (void *)s) > 0; j--) {
                size_t tmp = ord[j];
                ord[j] = ord[j - 1];
                ord[j - 1] = tmp;
            }
        for (size_t i = 0; i < g; i++) {
            v += mb[ord[K - 1 - i]] == 1;
            v += mb[ord[i]] == 0;
        }
        rg += 2.0 * (double)g;
    }
    free(ord);
    res->one_run_m = (double)(runs * K);
    res->one_run_r = rg;
    res->one_run_v = v;
    res->one_run_eps = 0;
    if (rg > 0)
        /* DP-SGD is (ε, δ)-DP only: the pure-ε p-value would overstate the bound */
        return eps_one_run_delta(res->one_run_m, rg, v, c->delta, c->alpha / 2, &res->one_run_eps, err);
    return PA_OK;
}

struct stage_fw { wb_stage_fn stage; void *ctx; };

static void threshold_progress(void *ctx, size_t done, size_t total)
{
    const struct stage_fw *f = ctx;
    f->stage(f->ctx, "threshold", done, total);
}

static int estimate(const wb_cfg *c, wb_result *res, wb_stage_fn stage, void *ctx, pa_err *err)
{
    struct stage_fw fw = { stage, ctx };
    size_t n = res->nobs, ncal = 0, ntest = 0;
    double a = c->alpha / 2;
    double *sc = pa_calloc(n, sizeof *sc), *st = pa_calloc(n, sizeof *st);
    int *lc = pa_calloc(n, sizeof *lc), *lt = pa_calloc(n, sizeof *lt);
    roc_curve *roc = NULL;
    int rc = PA_OK;
    if (!sc || !st || !lc || !lt) {
        rc = pa_errf(err, PA_ENOMEM, "whitebox: splits of %zu scores", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (res->is_cal[i]) {
            sc[ncal] = res->score[i];
            lc[ncal++] = res->member[i];
        } else {
            st[ntest] = res->score[i];
            lt[ntest++] = res->member[i];
        }
    }
    if ((rc = roc_choose_threshold_cb(sc, lc, ncal, c->delta, a, stage ? threshold_progress : NULL, &fw,
                                      &res->threshold, err))) {
        pa_err_prefix(err, "whitebox: calibration split");
        goto done;
    }
    if ((rc = roc_build(st, lt, ntest, &roc, err))) {
        pa_err_prefix(err, "whitebox: test split");
        goto done;
    }
    if (stage)
        stage(ctx, "test split", ntest, ntest);
    res->auc = roc_auc(roc);
    res->tpr_at_001 = roc_tpr_at(roc, 0.01);
    roc_counts(st, lt, ntest, res->threshold, &res->counts);
    const eps_counts *k = &res->counts;
    res->point = eps_point(k, c->delta);
    if ((rc = eps_bayes_interval(k, c->delta, a, &res->bayes_lo, &res->bayes_hi, err)))
        goto done;
    if (eps_clopper_pearson(k, c->delta, a, &res->cp_lo, &res->cp_hi)
        || eps_jeffreys(k, c->delta, a, &res->jeff_lo, &res->jeff_hi)) {
        rc = pa_errf(err, PA_EINTERNAL, "whitebox: Clopper-Pearson/Jeffreys interval failed");
        goto done;
    }
    if ((rc = eps_gdp_mu_lower(k, 1, a, &res->gdp_mu, NULL, err))
        || (rc = eps_gdp_epsilon(res->gdp_mu, c->delta, &res->gdp_eps, err)))
        goto done;
    gdp_fit gf;
    if ((rc = gdp_fit_scores(st, lt, ntest, a, &gf, err))) {
        pa_err_prefix(err, "whitebox: GDP fit of the test split");
        goto done;
    }
    res->fit_mu = gf.mu;
    res->fit_lo = gf.lo;
    res->fit_hi = gf.hi;
    if (c->q >= 1) {
        res->mu_theory = sqrt((double)c->steps) / res->sigma;
    } else { /* the CLT μ of privaudit account --accountant gdp (an approximation for q < 1) */
        acct_phase ph = {.sigma = res->sigma, .q = c->q, .steps = (double)c->steps};
        res->mu_theory = acct_gdp_mu(&ph, 1);
    }
    res->p_exceeds = eps_bayes_p_exceeds(k, c->delta, c->epsilon);
    if (isnan(res->p_exceeds)) {
        rc = pa_errf(err, PA_EINTERNAL, "whitebox: P(eps > %g) could not be computed (quadrature failed)",
                     c->epsilon);
        goto done;
    }
    /* the verdict of a run's report for one test (audit/verdict.h): the
     * Bayesian test by the four edges of the claim's region at α/8 each — the
     * lower bound's own P(ε ≤ claim) < α/2 rejects too often at the corner */
    verdict_test vt = {.method = "bayes", .claimed = c->epsilon, .delta = c->delta, .alpha = a,
                       .tp = k->tp, .fn = k->fn, .fp = k->fp, .tn = k->tn};
    verdict vd;
    if ((rc = verdict_family(&vt, 1, &vd, err))) {
        pa_err_prefix(err, "whitebox: the verdict");
        goto done;
    }
    res->violation = vd.reject != SIZE_MAX;
    rc = one_run(c, res, err);
    if (!rc && stage)
        stage(ctx, "estimators", 0, 0);
done:
    roc_free(roc);
    free(sc);
    free(st);
    free(lc);
    free(lt);
    return rc;
}

int wb_audit(const wb_cfg *c, wb_progress_fn progress, void *ctx, wb_result **out, pa_err *err)
{
    return wb_audit_staged(c, progress, NULL, ctx, out, err);
}

int wb_audit_staged(const wb_cfg *c, wb_progress_fn progress, wb_stage_fn stage, void *ctx,
                    wb_result **out, pa_err *err)
{
    *out = NULL;
    int rc = wb_cfg_check(c, err);
    if (rc)
        return rc;
    wb_result *res = pa_calloc(1, sizeof *res);
    if (!res)
        return pa_errf(err, PA_ENOMEM, "whitebox: result");
    if ((rc = wb_sigma(c, &res->sigma, &res->eps_theory, &res->eps_prv, err))) {
        wb_result_free(res);
        return rc;
    }
    size_t K = c->canaries, n = c->runs * K, ncal_runs = (size_t)((double)c->runs * c->cal_frac);
    res->nobs = n;
    res->score = pa_calloc(n, sizeof *res->score);
    res->member = pa_calloc(n, sizeof *res->member);
    res->is_cal = pa_calloc(n, sizeof *res->is_cal);
    if (!res->score || !res->member || !res->is_cal) {
        wb_result_free(res);
        return pa_errf(err, PA_ENOMEM, "whitebox: %zu scores", n);
    }
    for (size_t i = 0; i < n; i++)
        res->is_cal[i] = i / K < ncal_runs;

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pool pl = {.cfg = c, .sigma = res->sigma, .score = res->score, .member = res->member,
               .rc = PA_OK, .progress = progress, .ctx = ctx};
    pthread_mutex_init(&pl.mu, NULL);
    size_t J = c->jobs < c->runs ? c->jobs : c->runs, started = 0;
    pthread_t *th = pa_calloc(J, sizeof *th);
    if (th)
        for (; started < J; started++)
            if (pthread_create(&th[started], NULL, worker, &pl))
                break;
    if (started == 0)
        worker(&pl);   /* no thread could be had: run here */
    for (size_t j = 0; j < started; j++)
        pthread_join(th[j], NULL);
    free(th);
    pthread_mutex_destroy(&pl.mu);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    res->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (pl.rc) {
        if (err)
            *err = pl.err;
        wb_result_free(res);
        return pl.rc;
    }
    if ((rc = estimate(c, res, stage, ctx, err))) {
        wb_result_free(res);
        return rc;
    }
    *out = res;
    return PA_OK;
}
