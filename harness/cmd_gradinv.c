/* cmd_gradinv.c — privaudit gradinv: gradient-inversion sweeps (issue #7).
 *
 *   privaudit gradinv --data CSV --schema JSON [--label COL] --batch B,...
 *       [--sigma S,... | --eps E,...] [--clip C,...] [--batches K]
 *       [--attack analytic|dlg|ig] [--hidden 64] [--act tanh|sigmoid|relu]
 *       [--epochs E] [--delta D] [--iters N] [--restarts R] [--lr A] [--tv T]
 *       [--db FILE] [--out DIR] [--tag NAME] [--jobs J] [--seed S]
 *
 * For every cell (B, σ, C) and K batches: draws a batch (distinct labels when
 * B <= p), computes the victim's update on a freshly initialised MLP d→h→p
 * (mean gradient, or DP-SGD: clipped sum + N(0, σ²C²) over B = qN), runs the
 * attack, matches reconstructions to records, scores them with the
 * data-independent guesses beside, stores everything (harness/gradinv_store.h)
 * and draws the figures (reports/gradinv_plot.h). ε is that of the stated
 * training: q = B/N, T = ⌈epochs/q⌉ steps, RDP accountant at δ.
 *
 * Dimensions: N = rows, d = encoded inputs, p = classes, B = batch,
 * K = batches per cell, h = hidden width.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "attacks/gradinv.h"
#include "audit/acct.h"
#include "core/dpsgd.h"
#include "core/mlp.h"
#include "core/rng.h"
#include "core/table.h"
#include "harness/args.h"
#include "harness/cli.h"
#include "harness/gradinv_store.h"
#include "harness/store.h"
#include "reports/gradinv_plot.h"

#define CMD "gradinv"
#define MAXL 64

static void gradinv_usage(FILE *f)
{
    fprintf(f,
            "usage: privaudit gradinv --data CSV --schema JSON [--label COL] --batch B,...\n"
            "         [--sigma S,... | --eps E,...] [--clip C,...] [--batches K]\n"
            "         [--attack analytic|dlg|ig] [--hidden H] [--act tanh|sigmoid|relu]\n"
            "         [--epochs E] [--delta D] [--iters N] [--restarts R] [--lr A] [--tv T]\n"
            "         [--db FILE] [--out DIR] [--tag NAME] [--jobs J] [--seed S]\n\n"
            "Gradient inversion of one training step of an MLP classifier (d -> H -> classes):\n"
            "reconstructs each batch from the shared update and scores it (docs/gradinv.md).\n\n"
            "  --label    categorical label column (default: \"label\")\n"
            "  --batch    batch sizes B (comma list)\n"
            "  --sigma    DP-SGD noise multipliers (default 0 = no noise); or --eps: target epsilons,\n"
            "             sigma from the RDP accountant for the training below\n"
            "  --clip     per-example clipping norms C, \"inf\" = none (default inf)\n"
            "  --epochs   length of the training the step belongs to: T = ceil(epochs*N/B) steps\n"
            "             at q = B/N (default 1); --delta (default 1e-5)\n"
            "  --attack   analytic (first-layer rows; B > 1 gives a mixture), dlg (L2 matching,\n"
            "             Adam), ig (cosine + TV, Adam on the gradient's sign; default)\n"
            "  --iters, --restarts, --lr, --tv   optimiser settings (defaults by attack)\n"
            "  --batches  batches per cell (default 10); --jobs threads (default 1)\n"
            "  --db       SQLite file (default OUT/gradinv.db); --out figures folder (default gradinv)\n");
}

static int bad(const char *opt, const char *what)
{
    fprintf(stderr, "privaudit " CMD ": %s: %s\n", opt, what);
    return 2;
}

/* Comma list of numbers in [lo, hi] ("inf" allowed if allow_inf). */
static int parse_list(const char *opt, const char *s, double lo, double hi, int allow_inf, double *v,
                      size_t *n)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n == MAXL)
            return bad(opt, "too many values (at most 64)");
        if (allow_inf && (!strcmp(t, "inf") || !strcmp(t, "none"))) {
            v[(*n)++] = INFINITY;
            continue;
        }
        if (args_double(CMD, opt, t, lo, hi, &v[*n]) < 0)
            return 2;
        (*n)++;
    }
    return *n ? 0 : bad(opt, "expected a comma-separated list of numbers");
}

/* ---- data encoding ---- */

typedef struct enc {
    size_t N, d, p, ncol;
    int label;          /* schema column of the label */
    size_t *col;        /* (ncol) schema column of each input column */
    size_t *start;      /* (ncol) first input of the column */
    size_t *len;        /* (ncol) 1 for numeric, card for categorical */
    size_t nb;          /* one-hot blocks */
    size_t *bstart, *blen;
    size_t H, W;        /* image shape or 0 */
    const schema *s;
    float *X;           /* (N, d) */
    int32_t *y;         /* (N) */
    double *guess_mean; /* (d) mean image / per-column mode (cat) and mean (num) */
} enc;

static void enc_free(enc *e)
{
    free(e->col);
    free(e->start);
    free(e->len);
    free(e->bstart);
    free(e->blen);
    free(e->X);
    free(e->y);
    free(e->guess_mean);
}

static int enc_build(const table *t, int label, enc *e)
{
    const schema *s = t->s;
    memset(e, 0, sizeof *e);
    e->s = s;
    e->label = label;
    e->N = t->n;
    e->p = s->cols[label].size;
    e->col = calloc(s->d, sizeof *e->col);
    e->start = calloc(s->d, sizeof *e->start);
    e->len = calloc(s->d, sizeof *e->len);
    e->bstart = calloc(s->d, sizeof *e->bstart);
    e->blen = calloc(s->d, sizeof *e->blen);
    if (!e->col || !e->start || !e->len || !e->bstart || !e->blen)
        return -1;
    int all_num = 1;
    for (size_t j = 0; j < s->d; j++) {
        if ((int)j == label)
            continue;
        const col_spec *c = &s->cols[j];
        e->col[e->ncol] = j;
        e->start[e->ncol] = e->d;
        e->len[e->ncol] = c->kind == COL_CAT ? c->size : 1;
        if (c->kind == COL_CAT) {
            all_num = 0;
            e->bstart[e->nb] = e->d;
            e->blen[e->nb++] = c->size;
        } else if (c->lo != s->cols[e->col[0]].lo || c->hi != s->cols[e->col[0]].hi)
            all_num = 0;
        e->d += e->len[e->ncol++];
    }
    size_t side = (size_t)llround(sqrt((double)e->d));
    if (all_num && side * side == e->d && e->d >= 9)
        e->H = e->W = side;
    e->X = calloc(e->N * e->d, sizeof *e->X);
    e->y = calloc(e->N, sizeof *e->y);
    e->guess_mean = calloc(e->d, sizeof *e->guess_mean);
    if (!e->X || !e->y || !e->guess_mean)
        return -1;
    for (size_t i = 0; i < e->N; i++) {
        e->y[i] = t->cat[label][i];
        for (size_t k = 0; k < e->ncol; k++) {
            const col_spec *c = &s->cols[e->col[k]];
            float *x = e->X + i * e->d + e->start[k];
            if (c->kind == COL_CAT)
                x[t->cat[e->col[k]][i]] = 1.0f;
            else
                x[0] = (float)((t->num[e->col[k]][i] - c->lo) / (c->hi - c->lo));
        }
    }
    /* data-independent guess: mean of every input; one-hot blocks replaced by
     * the one-hot of their mode */
    for (size_t i = 0; i < e->N; i++)
        for (size_t k = 0; k < e->d; k++)
            e->guess_mean[k] += e->X[i * e->d + k] / (double)e->N;
    for (size_t b = 0; b < e->nb; b++) {
        double *g = e->guess_mean + e->bstart[b];
        size_t am = 0;
        for (size_t k = 1; k < e->blen[b]; k++)
            if (g[k] > g[am])
                am = k;
        for (size_t k = 0; k < e->blen[b]; k++)
            g[k] = k == am;
    }
    return 0;
}

/* Decoded value of input column k of x (code for categorical, value for numeric). */
static double enc_decode(const enc *e, const double *x, size_t k)
{
    const col_spec *c = &e->s->cols[e->col[k]];
    const double *v = x + e->start[k];
    if (c->kind == COL_CAT) {
        size_t am = 0;
        for (size_t j = 1; j < c->size; j++)
            if (v[j] > v[am])
                am = j;
        return (double)am;
    }
    double val = c->lo + fmin(1, fmax(0, v[0])) * (c->hi - c->lo);
    return c->integer ? round(val) : val;
}

/* Per-attribute agreement: categorical and integer columns exactly, real
 * columns within 1% of their range. Returns the fraction; *exact = all agree. */
static double enc_attr_acc(const enc *e, const double *xh, const double *x, double *exact)
{
    size_t ok = 0;
    for (size_t k = 0; k < e->ncol; k++) {
        const col_spec *c = &e->s->cols[e->col[k]];
        double a = enc_decode(e, xh, k), b = enc_decode(e, x, k);
        int same = c->kind == COL_CAT || c->integer ? a == b : fabs(a - b) <= 0.01 * (c->hi - c->lo);
        ok += (size_t)same;
    }
    *exact = ok == e->ncol;
    return (double)ok / (double)e->ncol;
}

/* ---- cells and jobs ---- */

typedef enum attack_kind { ATT_ANALYTIC, ATT_DLG, ATT_IG } attack_kind;

typedef struct cell {
    size_t B;
    double sigma, clip, q, eps;
    size_t steps;
    int64_t id;
} cell;

typedef struct rec_out {
    const char *method;
    size_t rec;
    int64_t row;
    int ytrue, yrec;
    double mse, psnr, ssim, exact, attr, lacc;
} rec_out;

typedef struct job {
    size_t cell, k;
    int rc;
    char msg[1024];
    double seconds;
    size_t nrec;       /* entries in out */
    rec_out *out;
    double *orig;      /* (B, d) in batch order */
    double *recon;     /* (nr, d) */
    size_t nr, *recon_rec; /* (nr) the original each reconstruction was matched to */
} job;

typedef struct ctx {
    const enc *e;
    const mlp *master;
    attack_kind att;
    gi_opt_cfg opt;
    gi_domain dom;
    const cell *cells;
    job *jobs;
    size_t njobs, next;
    uint64_t seed;
    size_t **by_class;  /* (p) rows of each class */
    size_t *n_class;    /* (p) */
    pthread_mutex_t mu;
} ctx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void draw_batch(const ctx *c, gsl_rng *r, size_t B, size_t *rows)
{
    const enc *e = c->e;
    size_t p = e->p, avail = 0;
    for (size_t j = 0; j < p; j++)
        avail += c->n_class[j] > 0;
    if (B <= avail) { /* distinct labels: B classes without replacement, one row each */
        size_t cls[1024], m = 0;
        for (size_t j = 0; j < p && m < 1024; j++)
            if (c->n_class[j])
                cls[m++] = j;
        for (size_t b = 0; b < B; b++) {
            size_t t = b + (size_t)rng_below(r, m - b), tmp = cls[b];
            cls[b] = cls[t];
            cls[t] = tmp;
            rows[b] = c->by_class[cls[b]][rng_below(r, c->n_class[cls[b]])];
        }
        return;
    }
    for (size_t b = 0; b < B; b++) { /* without replacement by rejection (B << N) */
        int dup;
        do {
            rows[b] = (size_t)rng_below(r, e->N);
            dup = 0;
            for (size_t t = 0; t < b; t++)
                dup |= rows[t] == rows[b];
        } while (dup);
    }
}

static void score(const ctx *c, const double *xh, const double *x, rec_out *o)
{
    const enc *e = c->e;
    o->mse = gi_mse(xh, x, e->d);
    o->psnr = gi_psnr(o->mse);
    o->ssim = e->H ? gi_ssim(xh, x, e->H, e->W, e->H < 16 ? 3 : 7) : NAN;
    o->exact = o->attr = NAN;
    if (!e->H)
        o->attr = enc_attr_acc(e, xh, x, &o->exact);
}

static int run_job(ctx *c, job *jb)
{
    const enc *e = c->e;
    const cell *cl = &c->cells[jb->cell];
    size_t B = cl->B, d = e->d, P = mlp_nparams(c->master);
    pa_err err = {0};
    int rc = PA_OK;
    gsl_rng *r = rng_stream(c->seed, jb->cell * 1000003u + jb->k);
    mlp *m = NULL;
    dpsgd *s = NULL;
    gi_net *n = NULL;
    size_t *rows = calloc(B, sizeof *rows), *perm = calloc(B, sizeof *perm);
    float *Xf = calloc(B * d, sizeof *Xf);
    int32_t *y = calloc(B, sizeof *y), *yh = calloc(B, sizeof *yh);
    double *gs = calloc(P, sizeof *gs);
    jb->orig = calloc(B * d, sizeof *jb->orig);
    jb->recon = calloc(B * d, sizeof *jb->recon);
    jb->recon_rec = calloc(B, sizeof *jb->recon_rec);
    jb->out = calloc(4 * B + 1, sizeof *jb->out);
    if (!r || !rows || !perm || !Xf || !y || !yh || !gs || !jb->orig || !jb->recon || !jb->recon_rec || !jb->out) {
        rc = pa_errf(&err, PA_ENOMEM, "out of memory");
        goto out;
    }
    draw_batch(c, r, B, rows);
    for (size_t b = 0; b < B; b++) {
        y[b] = e->y[rows[b]];
        memcpy(Xf + b * d, e->X + rows[b] * d, d * sizeof *Xf);
        for (size_t k = 0; k < d; k++)
            jb->orig[b * d + k] = Xf[b * d + k];
    }
    /* the victim's step */
    const size_t w[3] = {d, mlp_width(c->master, 1), e->p};
    mlp_spec spec = {.L = 2, .width = w, .hidden = MLP_SIGMOID, .out = MLP_IDENTITY};
    mlp_layer_view v;
    mlp_layer(c->master, 0, &v);
    spec.hidden = v.act;
    if ((rc = mlp_new(&spec, &m, &err)) || (rc = mlp_copy_params(m, c->master, &err)) ||
        (rc = mlp_forward(m, Xf, B, NULL, &err)) || (rc = mlp_loss_xent(m, y, NULL, NULL, &err)))
        goto out;
    if (cl->sigma == 0 && isinf(cl->clip)) {
        mlp_backward(m, 1.0f / (float)B);
    } else {
        dpsgd_cfg dc = {.n = B, .q = 1.0, .sigma = cl->sigma, .clip = cl->clip};
        if ((rc = dpsgd_new(m, &dc, NULL, &s, &err)))
            goto out;
        mlp_backprop(m, 0);
        dpsgd_clip_sum(s);
        dpsgd_noise(s, r); /* (sum + N(0, σ²C²)) / (qN) with qN = B */
    }
    for (size_t k = 0; k < P; k++)
        gs[k] = mlp_grads(m)[k];
    /* the attack */
    double t0 = now_s();
    if ((rc = gi_net_from_mlp(m, &n, &err)))
        goto out;
    size_t nl = B <= e->p ? B : e->p;
    if ((rc = gi_idlg_labels(n, gs, nl, yh, &err)))
        goto out;
    for (size_t b = nl; b < B; b++)
        yh[b] = yh[b % nl];
    double lacc = gi_label_accuracy(yh, y, c->att == ATT_ANALYTIC ? 1 : B);
    if (c->att == ATT_ANALYTIC) {
        if (B > 1) {
            /* label accuracy of a single label: is it one of the batch's */
            lacc = 0;
            for (size_t b = 0; b < B; b++)
                lacc = fmax(lacc, yh[0] == y[b]);
        }
        jb->nr = 1;
        if (gi_analytic(n, gs, jb->recon, NULL, &err) != PA_OK)
            for (size_t k = 0; k < d; k++)
                jb->recon[k] = 0.5; /* nothing in the gradient: the gray guess */
        gi_project(&c->dom, jb->recon, 1, d);
        size_t best = 0;
        for (size_t b = 1; b < B; b++)
            if (gi_mse(jb->recon, jb->orig + b * d, d) < gi_mse(jb->recon, jb->orig + best * d, d))
                best = b;
        perm[0] = best;
    } else {
        jb->nr = B;
        if ((rc = gi_invert(n, &c->opt, gs, yh, B, r, jb->recon, NULL, &err)) ||
            (rc = gi_match_records(jb->recon, jb->orig, B, d, perm, &err)))
            goto out;
    }
    jb->seconds = now_s() - t0;
    for (size_t k = 0; k < jb->nr; k++) {
        rec_out *o = &jb->out[jb->nrec++];
        jb->recon_rec[k] = perm[k];
        o->method = c->att == ATT_ANALYTIC ? "analytic" : c->att == ATT_DLG ? "dlg" : "ig";
        o->rec = perm[k];
        o->row = (int64_t)rows[perm[k]];
        o->ytrue = y[perm[k]];
        o->yrec = yh[c->att == ATT_ANALYTIC ? 0 : k];
        o->lacc = lacc;
        score(c, jb->recon + k * d, jb->orig + perm[k] * d, o);
    }
    /* data-independent guesses scored against every record of the batch */
    double *g05 = jb->recon + jb->nr * d; /* scratch: (B - nr) rows free when nr < B; else use gs */
    if (jb->nr == B)
        g05 = gs;
    for (size_t k = 0; k < d; k++)
        g05[k] = 0.5;
    for (size_t b = 0; b < B; b++) {
        rec_out *o = &jb->out[jb->nrec++];
        o->method = "guess-mean";
        o->rec = b;
        o->row = (int64_t)rows[b];
        o->ytrue = y[b];
        o->yrec = -1;
        o->lacc = NAN;
        score(c, e->guess_mean, jb->orig + b * d, o);
        if (e->H) {
            o = &jb->out[jb->nrec++];
            o->method = "guess-gray";
            o->rec = b;
            o->row = (int64_t)rows[b];
            o->ytrue = y[b];
            o->yrec = -1;
            o->lacc = NAN;
            score(c, g05, jb->orig + b * d, o);
        }
    }
out:
    if (rc)
        snprintf(jb->msg, sizeof jb->msg, "%s", err.msg);
    jb->rc = rc;
    gi_net_free(n);
    dpsgd_free(s);
    mlp_free(m);
    gsl_rng_free(r);
    free(rows);
    free(perm);
    free(Xf);
    free(y);
    free(yh);
    free(gs);
    return rc;
}

static void *worker(void *arg)
{
    ctx *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        size_t j = c->next++;
        pthread_mutex_unlock(&c->mu);
        if (j >= c->njobs)
            return NULL;
        run_job(c, &c->jobs[j]);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, z = *(const double *)b;
    return (x > z) - (x < z);
}

/* Mean and median over the entries of method `meth` in the jobs of cell ci;
 * field selects the metric; PSNR values are capped at 100 dB (∞ when MSE = 0). */
static void summarise(const job *jobs, size_t nj, size_t ci, const char *meth, size_t field, double *mean,
                      double *median, size_t *cnt)
{
    size_t n = 0, cap = 0;
    double *v = NULL, s = 0;
    for (size_t j = 0; j < nj; j++) {
        if (jobs[j].cell != ci || jobs[j].rc)
            continue;
        for (size_t k = 0; k < jobs[j].nrec; k++) {
            const rec_out *o = &jobs[j].out[k];
            if (strcmp(o->method, meth))
                continue;
            double x = field == 0 ? fmin(o->psnr, 100) : field == 1 ? o->ssim : field == 2 ? o->exact
                     : field == 3 ? o->attr : field == 4 ? o->lacc : o->mse;
            if (isnan(x))
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                double *nv = realloc(v, cap * sizeof *v);
                if (!nv)
                    break;
                v = nv;
            }
            v[n++] = x;
            s += x;
        }
    }
    *cnt = n;
    *mean = n ? s / (double)n : NAN;
    if (n) {
        qsort(v, n, sizeof *v, cmp_double);
        *median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    } else
        *median = NAN;
    free(v);
}

int cmd_gradinv(int argc, char **argv)
{
    static const char *const opts[] = {"--data", "--schema", "--label", "--batch", "--sigma", "--eps", "--clip",
                                       "--batches", "--attack", "--hidden", "--act", "--epochs", "--delta",
                                       "--iters", "--restarts", "--lr", "--tv", "--db", "--out", "--tag",
                                       "--jobs", "--seed", NULL};
    const char *val[sizeof opts / sizeof opts[0]] = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            gradinv_usage(stdout);
            return 0;
        }
        size_t o = 0;
        int r = 0;
        const char *v;
        while (opts[o] && !(r = args_opt(argc, argv, &i, CMD, opts[o], &v)))
            o++;
        if (r < 0)
            return 2;
        if (!opts[o]) {
            fprintf(stderr, "privaudit " CMD ": unknown option \"%s\" (see --help)\n", argv[i]);
            return 2;
        }
        val[o] = v;
    }
#define OPT(k) val[k]
    const char *data = OPT(0), *schema_path = OPT(1), *label_name = OPT(2) ? OPT(2) : "label";
    if (!data || !schema_path || !OPT(3)) {
        gradinv_usage(stderr);
        return bad("--data, --schema, --batch", "required");
    }
    if (OPT(4) && OPT(5))
        return bad("--sigma/--eps", "give one of them, not both");
    double bl[MAXL], sl[MAXL] = {0}, cl[MAXL] = {INFINITY};
    size_t nb, ns = 1, nc = 1;
    if (parse_list("--batch", OPT(3), 1, 1024, 0, bl, &nb))
        return 2;
    if (OPT(4) && parse_list("--sigma", OPT(4), 0, 1e6, 0, sl, &ns))
        return 2;
    if (OPT(5) && parse_list("--eps", OPT(5), 1e-3, 1e4, 0, sl, &ns))
        return 2;
    if (OPT(6) && parse_list("--clip", OPT(6), 1e-12, 1e12, 1, cl, &nc))
        return 2;
    uint64_t K = 10, hidden = 64, iters = 0, restarts = 0, jobs_n = 1, seed = 1;
    double epochs = 1, delta = 1e-5, lr = NAN, tv = NAN;
    if ((OPT(7) && args_u64(CMD, "--batches", OPT(7), 1, 1000000, &K) < 0) ||
        (OPT(9) && args_u64(CMD, "--hidden", OPT(9), 1, 100000, &hidden) < 0) ||
        (OPT(11) && args_double(CMD, "--epochs", OPT(11), 1e-9, 1e9, &epochs) < 0) ||
        (OPT(12) && args_double(CMD, "--delta", OPT(12), 1e-300, 0.999, &delta) < 0) ||
        (OPT(13) && args_u64(CMD, "--iters", OPT(13), 1, 100000000, &iters) < 0) ||
        (OPT(14) && args_u64(CMD, "--restarts", OPT(14), 1, 100000, &restarts) < 0) ||
        (OPT(15) && args_double(CMD, "--lr", OPT(15), 1e-12, 1e6, &lr) < 0) ||
        (OPT(16) && args_double(CMD, "--tv", OPT(16), 0, 1e6, &tv) < 0) ||
        (OPT(20) && args_u64(CMD, "--jobs", OPT(20), 1, 256, &jobs_n) < 0) ||
        (OPT(21) && args_u64(CMD, "--seed", OPT(21), 0, UINT64_MAX, &seed) < 0))
        return 2;
    attack_kind att = ATT_IG;
    const char *attack = OPT(8) ? OPT(8) : "ig";
    if (!strcmp(attack, "analytic"))
        att = ATT_ANALYTIC;
    else if (!strcmp(attack, "dlg"))
        att = ATT_DLG;
    else if (strcmp(attack, "ig"))
        return bad("--attack", "expected analytic, dlg or ig");
    mlp_act act = MLP_SIGMOID;
    const char *act_name = OPT(10) ? OPT(10) : "sigmoid";
    if (!strcmp(act_name, "tanh"))
        act = MLP_TANH;
    else if (!strcmp(act_name, "relu"))
        act = MLP_RELU;
    else if (strcmp(act_name, "sigmoid"))
        return bad("--act", "expected tanh, sigmoid or relu");
    for (size_t k = 0; k < nc; k++)
        for (size_t j = 0; j < ns; j++)
            if (!OPT(5) && sl[j] > 0 && isinf(cl[k]))
                return bad("--clip", "noise (--sigma > 0) needs a finite clipping norm");
    if (OPT(5))
        for (size_t k = 0; k < nc; k++)
            if (isinf(cl[k]))
                return bad("--clip", "--eps needs a finite clipping norm");
    const char *out_dir = OPT(18) ? OPT(18) : "gradinv";
    char db_path[4096];
    snprintf(db_path, sizeof db_path, "%s/gradinv.db", out_dir);
    if (OPT(17))
        snprintf(db_path, sizeof db_path, "%s", OPT(17));
    {
        const args_input in[] = {{"--data", data}, {"--schema", schema_path}, {NULL, NULL}};
        if (args_in_file(CMD, "--data", data) || args_in_file(CMD, "--schema", schema_path) ||
            args_out_dir(CMD, "--out", out_dir) || (OPT(17) && args_db_file(CMD, "--db", OPT(17), in)) ||
            (!OPT(17) && access(db_path, F_OK) == 0 && args_db_file(CMD, "the database OUT/gradinv.db", db_path, in)) ||
            (OPT(19) && args_text(CMD, "--tag", OPT(19), 0)) || args_text(CMD, "--label", label_name, 0))
            return 2;
    }

    pa_err err = {0};
    schema *s = NULL;
    table *t = NULL;
    enc e;
    memset(&e, 0, sizeof e);
    mlp *master = NULL;
    store *st = NULL;
    cell *cells = NULL;
    job *jobs = NULL;
    ctx c;
    memset(&c, 0, sizeof c);
    int ret = 1;
    if (schema_read(schema_path, &s, &err) || tbl_read_csv(data, s, &t, &err)) {
        fprintf(stderr, "privaudit " CMD ": %s\n", err.msg);
        ret = 2;
        goto done;
    }
    int label = schema_col(s, label_name);
    if (label < 0 || s->cols[label].kind != COL_CAT || s->cols[label].size < 2) {
        fprintf(stderr, "privaudit " CMD ": --label: \"%s\" is not a categorical column of %s with >= 2 codes\n",
                label_name, schema_path);
        ret = 2;
        goto done;
    }
    if (enc_build(t, label, &e)) {
        fprintf(stderr, "privaudit " CMD ": out of memory encoding %s\n", data);
        goto done;
    }
    if (att != ATT_ANALYTIC)
        for (size_t k = 0; k < nb; k++)
            if ((size_t)bl[k] > e.p) {
                fprintf(stderr, "privaudit " CMD ": --batch %g: dlg/ig take labels from iDLG, which needs B <= %zu classes\n",
                        bl[k], e.p);
                ret = 2;
                goto done;
            }
    /* the victim: one hidden layer, PyTorch default init from the seed */
    {
        const size_t w[3] = {e.d, (size_t)hidden, e.p};
        mlp_spec spec = {.L = 2, .width = w, .hidden = act, .out = MLP_IDENTITY};
        if (mlp_new(&spec, &master, &err)) {
            fprintf(stderr, "privaudit " CMD ": %s\n", err.msg);
            goto done;
        }
        gsl_rng *r = rng_stream(seed, UINT64_MAX);
        mlp_init(master, r);
        gsl_rng_free(r);
    }
    /* cells: B × σ (or ε) × C, with the accountant's ε */
    size_t ncell = nb * ns * nc;
    cells = calloc(ncell, sizeof *cells);
    if (!cells)
        goto done;
    size_t ci = 0;
    for (size_t b = 0; b < nb; b++)
        for (size_t j = 0; j < ns; j++)
            for (size_t k = 0; k < nc; k++, ci++) {
                cell *x = &cells[ci];
                x->B = (size_t)bl[b];
                x->clip = cl[k];
                x->q = (double)x->B / (double)e.N;
                if (x->q > 1)
                    x->q = 1;
                x->steps = (size_t)ceil(epochs / x->q - 1e-9);
                if (OPT(5)) {
                    if (acct_calibrate_sigma(ACCT_RDP, sl[j], x->q, (double)x->steps, delta, NULL, 0, &x->sigma,
                                             &err)) {
                        fprintf(stderr, "privaudit " CMD ": --eps %g: %s\n", sl[j], err.msg);
                        ret = 2;
                        goto done;
                    }
                } else
                    x->sigma = sl[j];
                x->eps = INFINITY;
                if (x->sigma > 0 &&
                    acct_rdp_epsilon(x->sigma, x->q, (double)x->steps, delta, NULL, 0, &x->eps, NULL, &err)) {
                    fprintf(stderr, "privaudit " CMD ": accountant: %s\n", err.msg);
                    goto done;
                }
            }
    /* optimiser settings */
    c.e = &e;
    c.master = master;
    c.att = att;
    c.cells = cells;
    c.seed = seed;
    c.dom = (gi_domain){.n_blocks = e.nb, .block_start = e.bstart, .block_len = e.blen};
    c.opt = (gi_opt_cfg){.prior = {.match = att == ATT_IG ? GI_MATCH_COS : GI_MATCH_L2,
                                   .tv = att == ATT_IG && e.H ? 1e-4 : 0, .H = e.H, .W = e.W},
                         .iters = att == ATT_IG ? 2000 : 1000, .restarts = 2,
                         .lr = att == ATT_IG ? 0.1 : 0.05, .sign = att == ATT_IG, .dom = &c.dom};
    if (iters)
        c.opt.iters = iters;
    if (restarts)
        c.opt.restarts = restarts;
    if (!isnan(lr))
        c.opt.lr = lr;
    if (!isnan(tv))
        c.opt.prior.tv = tv;
    if (att != ATT_ANALYTIC && gi_opt_cfg_check(&c.opt, e.d, &err)) {
        fprintf(stderr, "privaudit " CMD ": %s\n", err.msg);
        ret = 2;
        goto done;
    }
    c.n_class = calloc(e.p, sizeof *c.n_class);
    c.by_class = calloc(e.p, sizeof *c.by_class);
    if (!c.n_class || !c.by_class)
        goto done;
    for (size_t i = 0; i < e.N; i++)
        c.n_class[e.y[i]]++;
    for (size_t j = 0; j < e.p; j++) {
        c.by_class[j] = calloc(c.n_class[j] + 1, sizeof **c.by_class);
        if (!c.by_class[j])
            goto done;
        c.n_class[j] = 0;
    }
    for (size_t i = 0; i < e.N; i++)
        c.by_class[e.y[i]][c.n_class[e.y[i]]++] = i;
    /* jobs */
    c.njobs = ncell * (size_t)K;
    jobs = calloc(c.njobs, sizeof *jobs);
    if (!jobs)
        goto done;
    c.jobs = jobs;
    for (size_t j = 0; j < c.njobs; j++) {
        jobs[j].cell = j / (size_t)K;
        jobs[j].k = j % (size_t)K;
    }
    /* the products are small (B rows): BLAS threads only contend with the
     * --jobs workers (measured: 2x slower per iteration on Adult with them) */
    openblas_set_num_threads(1);
    pthread_mutex_init(&c.mu, NULL);
    pthread_t th[256];
    size_t nth = jobs_n < c.njobs ? (size_t)jobs_n : c.njobs;
    double wall0 = now_s();
    size_t started = 0;
    for (size_t k = 0; k < nth; k++)
        if (pthread_create(&th[started], NULL, worker, &c) == 0)
            started++;
    if (started == 0) /* no thread could be had: run the jobs here */
        worker(&c);
    for (size_t k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    double wall = now_s() - wall0;
    pthread_mutex_destroy(&c.mu);
    for (size_t j = 0; j < c.njobs; j++)
        if (jobs[j].rc) {
            fprintf(stderr, "privaudit " CMD ": cell %zu batch %zu: %s\n", jobs[j].cell, jobs[j].k, jobs[j].msg);
            goto done;
        }
    /* store (the figures folder is made only now that the input is known good) */
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "privaudit " CMD ": --out %s: %s\n", out_dir, strerror(errno));
        goto done;
    }
    if (store_open(db_path, &st, &err) || gistore_init(store_db(st), &err) || gistore_begin(store_db(st), &err)) {
        fprintf(stderr, "privaudit " CMD ": %s\n", err.msg);
        goto done;
    }
    void *db = store_db(st);
    const char *tag = OPT(19) ? OPT(19) : data;
    for (size_t i = 0; i < ncell; i++) {
        gistore_cell gc = {.tag = tag, .data = data, .attack = attack, .act = act_name, .hidden = (size_t)hidden,
                           .batch = cells[i].B, .sigma = cells[i].sigma, .clip = cells[i].clip, .q = cells[i].q,
                           .steps = cells[i].steps, .epochs = epochs, .delta = delta, .eps = cells[i].eps,
                           .image_h = e.H, .image_w = e.W};
        if (gistore_put_cell(db, &gc, &cells[i].id, &err))
            goto store_fail;
    }
    for (size_t j = 0; j < c.njobs; j++) {
        job *jb = &jobs[j];
        int64_t cid = cells[jb->cell].id;
        for (size_t k = 0; k < jb->nrec; k++) {
            const rec_out *o = &jb->out[k];
            gistore_score sc = {.cell_id = cid, .batch_idx = jb->k, .rec = o->rec, .method = o->method,
                                .true_row = o->row, .label_true = o->ytrue, .label_rec = o->yrec, .mse = o->mse,
                                .psnr = o->psnr, .ssim = o->ssim, .exact = o->exact, .attr_acc = o->attr,
                                .label_acc = o->lacc,
                                .seconds = strncmp(o->method, "guess", 5) ? jb->seconds : NAN};
            if (gistore_put_score(db, &sc, &err))
                goto store_fail;
        }
        if (jb->k == 0) { /* the first batch of each cell, for the figures */
            size_t B = cells[jb->cell].B;
            for (size_t b = 0; b < B; b++)
                if (gistore_put_image(db, cid, 0, b, "orig", jb->orig + b * e.d, e.d, &err))
                    goto store_fail;
            for (size_t k = 0; k < jb->nr; k++)
                if (gistore_put_image(db, cid, 0, jb->recon_rec[k], "recon", jb->recon + k * e.d, e.d, &err))
                    goto store_fail;
        }
    }
    if (gistore_commit(db, &err))
        goto store_fail;
    /* table */
    printf("gradinv: %s, %zu rows, d = %zu inputs (%s), %zu classes, MLP %zu-%zu-%zu %s, attack %s, %llu batches/cell\n",
           data, e.N, e.d, e.H ? "image" : "table", e.p, e.d, (size_t)hidden, e.p, act_name, attack,
           (unsigned long long)K);
    if (att != ATT_ANALYTIC)
        printf("optimiser: %s matching, tv %g, %zu iterations x %zu restarts, lr %g, %s Adam\n",
               c.opt.prior.match == GI_MATCH_COS ? "cosine" : "L2", c.opt.prior.tv, c.opt.iters, c.opt.restarts,
               c.opt.lr, c.opt.sign ? "signed" : "plain");
    printf("epsilon: RDP accountant for %g epoch(s) at q = B/N, delta = %g; PSNR capped at 100 dB in means\n",
           epochs, delta);
    printf("%4s %9s %7s %9s %6s | %8s %8s %7s %7s %7s %7s | %8s %7s %8s | %7s %7s\n", "B", "sigma", "clip", "eps",
           "steps", "PSNRmean", "PSNRmed", "SSIM", "exact", "attr", "label", "guessPSN", "guessSS", "guessAtt",
           "s/batch", "s/max");
    for (size_t i = 0; i < ncell; i++) {
        double m[8], md[8], smax = 0, ssum = 0, dummy;
        size_t cnt, nj = 0;
        const char *meth = att == ATT_ANALYTIC ? "analytic" : att == ATT_DLG ? "dlg" : "ig";
        for (size_t f = 0; f < 5; f++)
            summarise(jobs, c.njobs, i, meth, f, &m[f], &md[f], &cnt);
        summarise(jobs, c.njobs, i, "guess-mean", 0, &m[5], &dummy, &cnt);
        summarise(jobs, c.njobs, i, "guess-mean", 1, &m[6], &dummy, &cnt);
        summarise(jobs, c.njobs, i, "guess-mean", 3, &m[7], &dummy, &cnt);
        for (size_t j = 0; j < c.njobs; j++)
            if (jobs[j].cell == i) {
                smax = fmax(smax, jobs[j].seconds);
                ssum += jobs[j].seconds;
                nj++;
            }
        printf("%4zu %9.4g %7.3g %9.4g %6zu | %8.2f %8.2f %7.4f %7.3f %7.3f %7.3f | %8.2f %7.4f %8.3f | %7.3f %7.3f\n",
               cells[i].B, cells[i].sigma, cells[i].clip, cells[i].eps, cells[i].steps, m[0], md[0], m[1], m[2],
               m[3], m[4], m[5], m[6], m[7], ssum / (double)nj, smax);
    }
    printf("wall %.2f s with %zu thread(s); database %s\n", wall, nth, db_path);
    if (gradinv_plot(db, out_dir, tag, &err))
        fprintf(stderr, "privaudit " CMD ": figures: %s\n", err.msg);
    else
        printf("figures in %s/\n", out_dir);
    ret = 0;
    goto done;
store_fail:
    fprintf(stderr, "privaudit " CMD ": %s\n", err.msg);
done:
    if (jobs)
        for (size_t j = 0; j < c.njobs; j++) {
            free(jobs[j].out);
            free(jobs[j].orig);
            free(jobs[j].recon);
            free(jobs[j].recon_rec);
        }
    free(jobs);
    if (c.by_class)
        for (size_t j = 0; j < e.p; j++)
            free(c.by_class[j]);
    free(c.by_class);
    free(c.n_class);
    free(cells);
    store_close(st);
    mlp_free(master);
    enc_free(&e);
    tbl_free(t);
    schema_free(s);
    return ret;
}
