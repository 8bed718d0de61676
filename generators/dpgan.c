/* dpgan.c — GANs trained with the DP-SGD engine (core/dpsgd.h): DP-GAN and GS-WGAN.
 *
 * Dimensions: N = training records, d = columns, B = batch (generated or
 * sampled examples in one step), T = training steps (generator updates),
 * K = discriminators (GS-WGAN), h = hidden width, z = latent width (param
 * "nz"), x = encoded width of the generated columns, c = classes of the
 * label column (0 without one), P = parameters of an MLP.
 *
 * Encoding (real rows and generator outputs alike). Every column except the
 * label becomes a block: a categorical column of size k a one-hot block of
 * width k (the generator emits logits ℓ, turned into a Gumbel-softmax over the
 * block, softmax((ℓ + G)/τ) with G i.i.d. standard Gumbel and τ = param "tau",
 * default 0.2 as in CTGAN (Xu et al. 2019): nearly one-hot like the real
 * rows, so D cannot tell fakes by their softness);
 * a numeric column one value u = (v − lo)/(hi − lo) in [0, 1] with the
 * schema's bounds (the generator emits a logit, turned into a sigmoid). The
 * output transforms are applied here, not by the MLP (its output activation
 * is the identity), and their Jacobians are applied on the way back.
 * Decoding a generated row: a categorical value is the argmax of its
 * Gumbel-softmax block, i.e. an exact draw from softmax(ℓ) (Gumbel-max
 * trick; categorical sampling, not the argmax of ℓ); a numeric one is lo + u(hi−lo),
 * rounded for integer columns and clamped to the bounds.
 *
 * Conditional GAN (param "label" = a categorical column, e.g. the class of an
 * image): one-hot(label) is appended to z at the generator's input and to x
 * at the discriminator's input; the label column is not generated. Sampling
 * draws labels UNIFORMLY over the c classes (no privacy spent on the label
 * marginal; right for balanced image sets such as Fashion-MNIST, wrong for a
 * skewed label such as Adult's income — leave "label" unset there).
 *
 * Networks: G = MLP (z + c) → h → … → x, ReLU hidden; D = MLP (x + c) → h →
 * … → 2 logits (real / fake), tanh hidden; "layers" hidden layers of width
 * "hidden" each. Loss: the original GAN loss with the non-saturating
 * generator loss (Goodfellow et al. 2014), as softmax cross-entropy on D's two
 * logits (label 1 = real). Adam (β1 = 0.5, β2 = 0.999) for both networks.
 *
 * Mode "dpsgd" (default; DP-GAN, Xie et al. 2018, with the DP-SGD of Abadi
 * et al. 2016): each step samples real rows by Poisson sampling at rate q =
 * batch/N, clips each real example's gradient of D to C and adds N(0, σ²C²)
 * (dpsgd_private_grad, the engine's one-GEMM clipped sum), adds the gradient
 * of the loss on round(qN) fake examples (no privacy cost: it depends on the
 * data only through the already-private D and G), divides both by qN and
 * steps D; then one generator step through D (post-processing, no cost).
 * Accounting: T steps of the Poisson-subsampled Gaussian (q, σ), RDP
 * (Mironov, Talwar, Zhang 2019) converted to (ε, δ) with Balle et al. 2020 on
 * the opacus orders — acct_dpsgd_epsilon. σ is param "sigma" or calibrated to
 * the config's (ε, δ) for the planned T (acct_calibrate_sigma, RDP, relative
 * 1e-6); privacy() reports the accountant's ε for the σ used. Neighbours:
 * add/remove one record (Poisson sampling).
 *
 * Mode "gswgan" (GS-WGAN, Chen, Orekondy, Fritz, NeurIPS 2020): the rows are
 * split at random into K disjoint shards, one discriminator per shard,
 * trained NON-privately on its shard only; discriminators are never released.
 * Each generator step picks one discriminator uniformly at random, trains it
 * "critic_steps" times on its shard (real batch of min(B, shard) rows drawn
 * with replacement, B fakes), then generates B examples and sanitises the
 * only quantity that reaches the generator: per generated example the
 * gradient g_i = ∂ℓ_G/∂x̃_i (over the x generated coordinates) is clipped to C
 * and N(0, (2σC)²) is added to every coordinate, ĝ_i = g_i min(1, C/‖g_i‖) +
 * 2σC ξ_i; ĝ is then backpropagated through the generator (mean over B).
 * The sensitivity is 2C, not C: a neighbouring data set changes the
 * discriminator of its shard, so the clipped gradient can move anywhere in
 * the C ball (the paper's reference code, dp_conv_hook, adds 2σC; before
 * 2026-12-02 this mode added σC, half the noise its accounting assumed).
 * Accounting, as the paper's code (privacy_analysis.py: autodp's
 * compose_subsampled_mechanism(RDP_gaussian(σ), prob = 1/K, coeff = T·B)):
 * T·B compositions of the subsampled Gaussian with rate 1/K, one per
 * generated example. We use the Poisson-subsampled Gaussian RDP of the
 * project's accountant (acct_epsilon(ACCT_RDP, σ, 1/K, T·B, δ)) where the
 * paper uses autodp's bound; picking one of K fixed shards is not Poisson
 * sampling, so this, like the paper's analysis, is the paper's argument and
 * not a proof we verified. Simplifications, stated: the paper's critics are
 * Wasserstein critics with a gradient penalty (needs double backprop, which
 * core/mlp.h does not have); ours use the non-saturating GAN loss above
 * (the sanitised gradient is still clipped to C = 1 by default), MLPs instead
 * of convolutional nets, no discriminator warm-up unless "warmup" > 0 (the
 * paper pre-trains every discriminator; pre-training touches only its own
 * shard and the initial generator, so it costs no privacy under the paper's
 * argument), and a discriminator's parameters are stored between visits but
 * its Adam moments are reset at every visit (memory: K·P floats).
 *
 * ε = ∞ (and no "sigma"): σ = 0 and no clipping — plain GAN training on the
 * same code path; privacy() reports {∞, 0, NAN, "none"}.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "audit/acct.h"
#include "core/dpsgd.h"
#include "core/mlp.h"
#include "core/rng.h"
#include "generators/gen.h"

#define DG "dpgan"

enum dg_mode { DG_DPSGD = 0, DG_GSWGAN = 1 };

typedef struct dg_opts {
    int mode;               /* DG_DPSGD or DG_GSWGAN */
    size_t steps;           /* T generator updates (0: from epochs) */
    double epochs;          /* dpsgd: T = ceil(epochs / q) when steps is not given */
    double batch;           /* B (dpsgd: expected batch; q = B/N) */
    double lr;              /* Adam step size, both networks */
    size_t hidden, layers, nz;
    double tau;             /* Gumbel-softmax temperature */
    double clip;            /* C */
    double sigma;           /* σ, or NAN: calibrate */
    int label;              /* label column or -1 */
    size_t ndisc;           /* K (gswgan), 0: default */
    size_t critic_steps;    /* D updates per generator step (gswgan) */
    size_t warmup;          /* non-private D steps per discriminator before training (gswgan) */
    int has_seed;
    uint64_t seed;
} dg_opts;

typedef struct dg_block {
    size_t col;             /* column of the schema */
    size_t off, w;          /* offset and width in the encoding (x) */
    col_kind kind;
} dg_block;

typedef struct dg_state {
    schema *s;
    int label;              /* label column or -1 */
    size_t c;               /* classes of the label (0 without) */
    size_t nb;              /* blocks */
    dg_block *b;            /* (nb) */
    size_t x;               /* encoded width */
    size_t nz;
    double tau;             /* Gumbel-softmax temperature τ */
    mlp *G;
    gen_privacy priv;
} dg_state;

static const char *const dg_keys[] = {"mode", "steps", "epochs", "batch", "lr", "hidden", "layers", "nz",
                                      "clip", "sigma", "seed", "tau", "label", "discriminators", "critic_steps",
                                      "warmup", NULL};

/* Reads and validates every parameter against schema s (n = training rows,
 * 0 when unknown, as in check). */
static int dg_params(const schema *s, const gen_config *cfg, size_t n, dg_opts *o, pa_err *err)
{
    const cJSON *P = cfg->params;
    memset(o, 0, sizeof *o);
    o->label = -1;
    o->sigma = NAN;
    int rc = gen_param_known(P, DG, dg_keys, err);
    if (rc)
        return rc;
    const cJSON *v = P ? cJSON_GetObjectItemCaseSensitive(P, "mode") : NULL;
    if (v) {
        if (cJSON_IsString(v) && strcmp(v->valuestring, "dpsgd") == 0)
            o->mode = DG_DPSGD;
        else if (cJSON_IsString(v) && strcmp(v->valuestring, "gswgan") == 0)
            o->mode = DG_GSWGAN;
        else
            return pa_errf(err, PA_EINPUT, "generator \"dpgan\": parameter \"mode\": expected \"dpsgd\" or "
                           "\"gswgan\"");
    }
    v = P ? cJSON_GetObjectItemCaseSensitive(P, "label") : NULL;
    if (v) {
        int j = cJSON_IsString(v) ? schema_col(s, v->valuestring) : -1;
        if (j < 0 || s->cols[j].kind != COL_CAT)
            return pa_errf(err, PA_EINPUT, "generator \"dpgan\": parameter \"label\": expected the name of a "
                           "categorical column of the schema");
        if (s->d < 2)
            return pa_errf(err, PA_EINPUT, "generator \"dpgan\": parameter \"label\": the schema needs a "
                           "column besides the label");
        o->label = j;
    }
    double t;
    if ((rc = gen_param_int(P, DG, "steps", 0, 1, 1e9, &t, err)))
        return rc;
    o->steps = (size_t)t;
    if ((rc = gen_param_num(P, DG, "epochs", 30, 1e-6, 1e6, &o->epochs, err)))
        return rc;
    if ((rc = gen_param_int(P, DG, "batch", 64, 1, 1e7, &o->batch, err)))
        return rc;
    if ((rc = gen_param_num(P, DG, "lr", 5e-4, 1e-9, 10, &o->lr, err)))
        return rc;
    if ((rc = gen_param_int(P, DG, "hidden", 128, 1, 65536, &t, err)))
        return rc;
    o->hidden = (size_t)t;
    if ((rc = gen_param_int(P, DG, "layers", 1, 1, 16, &t, err)))
        return rc;
    o->layers = (size_t)t;
    if ((rc = gen_param_int(P, DG, "nz", 32, 1, 65536, &t, err)))
        return rc;
    o->nz = (size_t)t;
    if ((rc = gen_param_num(P, DG, "tau", 0.2, 1e-3, 100, &o->tau, err)))
        return rc;
    if ((rc = gen_param_num(P, DG, "clip", 1, 1e-12, 1e12, &o->clip, err)))
        return rc;
    if (P && cJSON_GetObjectItemCaseSensitive(P, "sigma")) {
        if ((rc = gen_param_num(P, DG, "sigma", 0, 0, 1e6, &o->sigma, err)))
            return rc;
        if (o->sigma == 0 && !isinf(cfg->epsilon))
            return pa_errf(err, PA_EINPUT, "generator \"dpgan\": parameter \"sigma\" = 0 gives no privacy but "
                           "epsilon = %g was asked (use epsilon = inf)", cfg->epsilon);
    }
    if (P && cJSON_GetObjectItemCaseSensitive(P, "seed")) {
        if ((rc = gen_param_int(P, DG, "seed", 0, 0, 9007199254740992.0, &t, err)))
            return rc;
        o->has_seed = 1;
        o->seed = (uint64_t)t;
    }
    if ((rc = gen_param_int(P, DG, "discriminators", 0, 1, 1e6, &t, err)))
        return rc;
    o->ndisc = (size_t)t;
    if ((rc = gen_param_int(P, DG, "critic_steps", 1, 1, 1000, &t, err)))
        return rc;
    o->critic_steps = (size_t)t;
    if ((rc = gen_param_int(P, DG, "warmup", 0, 0, 1e6, &t, err)))
        return rc;
    o->warmup = (size_t)t;
    if (o->mode == DG_DPSGD && (o->ndisc || o->warmup ||
                                (P && cJSON_GetObjectItemCaseSensitive(P, "critic_steps"))))
        return pa_errf(err, PA_EINPUT, "generator \"dpgan\": parameters \"discriminators\", \"critic_steps\", "
                       "\"warmup\" apply to mode \"gswgan\" only");
    if (n > 0 && o->ndisc > n)
        return pa_errf(err, PA_EINPUT, "generator \"dpgan\": parameter \"discriminators\" = %zu exceeds the "
                       "%zu training rows (one shard per discriminator)", o->ndisc, n);
    if (!isinf(cfg->epsilon) && !(cfg->delta > 0))
        return pa_errf(err, PA_EINPUT, "generator \"dpgan\": delta must be > 0 for a finite epsilon (got %g)",
                       cfg->delta);
    return PA_OK;
}

static int dg_check(const schema *s, const gen_config *cfg, pa_err *err)
{
    dg_opts o;
    return dg_params(s, cfg, 0, &o, err);
}

static void dg_free(void *state)
{
    dg_state *st = state;
    if (!st)
        return;
    mlp_free(st->G);
    free(st->b);
    schema_free(st->s);
    free(st);
}

/* Builds the block layout of s (without the label column). */
static int dg_layout(dg_state *st, pa_err *err)
{
    const schema *s = st->s;
    st->b = pa_calloc(s->d, sizeof *st->b);
    if (!st->b)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    size_t off = 0, k = 0;
    for (size_t j = 0; j < s->d; j++) {
        if ((int)j == st->label)
            continue;
        dg_block *b = &st->b[k++];
        b->col = j;
        b->kind = s->cols[j].kind;
        b->off = off;
        b->w = b->kind == COL_CAT ? s->cols[j].size : 1;
        off += b->w;
    }
    st->nb = k;
    st->x = off;
    st->c = st->label >= 0 ? s->cols[st->label].size : 0;
    return PA_OK;
}

/* X (N, x + c): the encoding of every row of t, then one-hot(label). */
static void dg_encode(const dg_state *st, const table *t, float *X)
{
    const size_t w = st->x + st->c;
    memset(X, 0, t->n * w * sizeof *X);
    for (size_t k = 0; k < st->nb; k++) {
        const dg_block *b = &st->b[k];
        const col_spec *cs = &st->s->cols[b->col];
        for (size_t i = 0; i < t->n; i++) {
            if (b->kind == COL_CAT) {
                X[i * w + b->off + (size_t)t->cat[b->col][i]] = 1;
            } else {
                double u = (t->num[b->col][i] - cs->lo) / (cs->hi - cs->lo);
                X[i * w + b->off] = (float)fmin(1, fmax(0, u));
            }
        }
    }
    if (st->label >= 0)
        for (size_t i = 0; i < t->n; i++)
            X[i * w + st->x + (size_t)t->cat[st->label][i]] = 1;
}

/* Work buffers of one training run. */
typedef struct dg_work {
    size_t B;               /* fake batch */
    float *Zin;             /* (B, z + c) generator input */
    double *zd;             /* (B z) standard normals */
    float *Xf;              /* (B, x + c) generated rows (after transforms) + one-hot */
    float *gx;              /* (B, x) gradient wrt the generated x */
    float *glog;            /* (B, x) gradient wrt the generator's logits */
    int32_t *ones, *zeros;  /* (max(B, real batch)) labels */
} dg_work;

static void work_free(dg_work *w)
{
    free(w->Zin);
    free(w->zd);
    free(w->Xf);
    free(w->gx);
    free(w->glog);
    free(w->ones);
    free(w->zeros);
    memset(w, 0, sizeof *w);
}

static int work_new(dg_work *w, const dg_state *st, size_t B, size_t Bl, pa_err *err)
{
    memset(w, 0, sizeof *w);
    w->B = B;
    size_t L = B > Bl ? B : Bl;
    w->Zin = pa_malloc(B * (st->nz + st->c), sizeof(float));
    w->zd = pa_malloc(B * st->nz, sizeof(double));
    w->Xf = pa_malloc(B * (st->x + st->c), sizeof(float));
    w->gx = pa_malloc(B * st->x, sizeof(float));
    w->glog = pa_malloc(B * st->x, sizeof(float));
    w->ones = pa_malloc(L, sizeof(int32_t));
    w->zeros = pa_calloc(L, sizeof(int32_t));
    if (!w->Zin || !w->zd || !w->Xf || !w->gx || !w->glog || !w->ones || !w->zeros) {
        work_free(w);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < L; i++)
        w->ones[i] = 1;
    return PA_OK;
}

/* Runs the generator on B fresh latents (uniform labels) and writes the
 * transformed rows + one-hot into w->Xf. G keeps the activations. */
static int dg_generate(const dg_state *st, mlp *G, dg_work *w, size_t B, gsl_rng *r, pa_err *err)
{
    const size_t zi = st->nz + st->c, xw = st->x + st->c;
    dpsgd_gaussian(r, w->zd, B * st->nz);
    memset(w->Zin, 0, B * zi * sizeof(float));
    memset(w->Xf, 0, B * xw * sizeof(float));
    for (size_t i = 0; i < B; i++) {
        for (size_t k = 0; k < st->nz; k++)
            w->Zin[i * zi + k] = (float)w->zd[i * st->nz + k];
        if (st->c) {
            size_t y = (size_t)rng_below(r, st->c);
            w->Zin[i * zi + st->nz + y] = 1;
            w->Xf[i * xw + st->x + y] = 1;
        }
    }
    const float *Y;
    int rc = mlp_forward(G, w->Zin, B, &Y, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < B; i++) {
        const float *yl = Y + i * st->x;
        float *xo = w->Xf + i * xw;
        for (size_t k = 0; k < st->nb; k++) {
            const dg_block *b = &st->b[k];
            if (b->kind == COL_NUM) {
                xo[b->off] = (float)(1 / (1 + exp(-(double)yl[b->off])));
                continue;
            }
            /* Gumbel-softmax: softmax((logit + Gumbel)/τ); its argmax is an
             * exact draw from softmax(logit) (the Gumbel-max trick). */
            double mx = -INFINITY, sum = 0;
            for (size_t a = 0; a < b->w; a++) {
                double u = gsl_rng_uniform_pos(r);
                xo[b->off + a] = (float)((yl[b->off + a] - log(-log(u))) / st->tau);
                mx = fmax(mx, xo[b->off + a]);
            }
            for (size_t a = 0; a < b->w; a++)
                sum += exp(xo[b->off + a] - mx);
            for (size_t a = 0; a < b->w; a++)
                xo[b->off + a] = (float)(exp(xo[b->off + a] - mx) / sum);
        }
    }
    return PA_OK;
}

/* glog = Jᵀ gx through the output transforms at the rows of w->Xf:
 * Gumbel-softmax block: s ⊙ (g − ⟨s, g⟩)/τ; sigmoid: g s (1 − s). */
static void dg_back_transform(const dg_state *st, dg_work *w, size_t B)
{
    const size_t xw = st->x + st->c;
    for (size_t i = 0; i < B; i++) {
        const float *s = w->Xf + i * xw;
        const float *g = w->gx + i * st->x;
        float *o = w->glog + i * st->x;
        for (size_t k = 0; k < st->nb; k++) {
            const dg_block *b = &st->b[k];
            if (b->kind == COL_NUM) {
                o[b->off] = g[b->off] * s[b->off] * (1 - s[b->off]);
                continue;
            }
            double dot = 0;
            for (size_t a = 0; a < b->w; a++)
                dot += (double)s[b->off + a] * g[b->off + a];
            for (size_t a = 0; a < b->w; a++)
                o[b->off + a] = (float)(s[b->off + a] * (g[b->off + a] - dot) / st->tau);
        }
    }
}

/* D's gradient wrt the generated rows for the non-saturating generator loss
 * (label "real" on fakes): runs D on w->Xf, leaves ∂ℓ_i/∂x̃_i in w->gx. */
static int dg_grad_fake(const dg_state *st, mlp *D, dg_work *w, size_t B, pa_err *err)
{
    int rc = mlp_forward(D, w->Xf, B, NULL, err);
    if (!rc)
        rc = mlp_loss_xent(D, w->ones, NULL, NULL, err);
    if (rc)
        return rc;
    mlp_backprop(D, 1);
    const float *dX = mlp_dx(D);
    const size_t xw = st->x + st->c;
    for (size_t i = 0; i < B; i++)
        memcpy(w->gx + i * st->x, dX + i * xw, st->x * sizeof(float));
    return PA_OK;
}

/* One generator update from w->gx (already sanitised if private). */
static void dg_step_g(const dg_state *st, mlp *G, mlp_adam *ag, dg_work *w, size_t B)
{
    dg_back_transform(st, w, B);
    mlp_seed(G, w->glog);
    mlp_backward(G, 1.0f / (float)B);
    mlp_adam_step(ag, mlp_params(G), mlp_grads(G));
}

static int new_net(size_t in, size_t hidden, size_t layers, size_t out, mlp_act act, gsl_rng *r, mlp **m,
                   pa_err *err)
{
    size_t width[18];
    width[0] = in;
    for (size_t l = 1; l <= layers; l++)
        width[l] = hidden;
    width[layers + 1] = out;
    mlp_spec sp = {.L = layers + 1, .width = width, .hidden = act, .out = MLP_IDENTITY};
    int rc = mlp_new(&sp, m, err);
    if (!rc)
        mlp_init(*m, r);
    return rc;
}

/* D step on fakes: grads(D) += scale · Σ_i ∇θ ℓ(D(x̃_i), fake). */
static int dg_fake_grad_d(const dg_state *st, mlp *G, mlp *D, dg_work *w, size_t B, float scale, gsl_rng *r,
                          pa_err *err)
{
    int rc = dg_generate(st, G, w, B, r, err);
    if (!rc)
        rc = mlp_forward(D, w->Xf, B, NULL, err);
    if (!rc)
        rc = mlp_loss_xent(D, w->zeros, NULL, NULL, err);
    if (rc)
        return rc;
    mlp_backprop(D, 0);
    mlp_grad_accumulate(D, NULL, scale, 1.0f);
    return PA_OK;
}

/* DP-GAN: DP-SGD on D, G through D. */
/* the engine's noise, reported to a gen_noise (tests): noisy = after/inv */
struct sgd_rec { gen_noise *g; double clip, q; float *tmp; };

static void sgd_hook(void *ctx, const float *before, const float *after, size_t P, double sd, double inv)
{
    struct sgd_rec *h = ctx;
    for (size_t k = 0; k < P; k++)
        h->tmp[k] = (float)((double)after[k] / inv);
    gen_noise_sgd(h->g, before, h->tmp, P, sd, h->clip, h->q);
}

static int train_dpsgd(dg_state *st, const dg_opts *o, const float *X, size_t N, double sigma, double clip,
                       size_t T, double q, mlp *G, mlp_adam *ag, gen_noise *noise, gsl_rng *r, pa_err *err)
{
    struct sgd_rec rec = {noise, clip, q, NULL};
    mlp *D = NULL;
    dpsgd *eng = NULL;
    mlp_adam *ad = NULL;
    dg_work w = {0};
    int32_t *y = NULL;
    const size_t Bf = (size_t)fmax(1, round(q * (double)N));
    mlp_adam_cfg oc = {.lr = o->lr, .beta1 = 0.5, .beta2 = 0.999, .eps = 1e-8};
    dpsgd_cfg dc = {.n = N, .q = q, .sigma = sigma, .clip = clip};
    int rc = new_net(st->x + st->c, o->hidden, o->layers, 2, MLP_TANH, r, &D, err);
    if (!rc)
        rc = dpsgd_new(D, &dc, NULL, &eng, err);
    if (!rc)
        rc = mlp_adam_new(mlp_nparams(D), &oc, &ad, err);
    if (!rc)
        rc = work_new(&w, st, Bf, 0, err);
    if (!rc && !(y = pa_malloc(N, sizeof *y)))
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
    if (!rc && noise && sigma > 0
        && (!(rec.tmp = pa_malloc(mlp_nparams(D), sizeof *rec.tmp)) || dpsgd_set_noise_hook(eng, sgd_hook, &rec)))
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
    if (rc)
        goto done;
    for (size_t i = 0; i < N; i++)
        y[i] = 1;
    dpsgd_data data = {.n = N, .X = X, .y = y};
    const float inv = (float)(1.0 / (q * (double)N));
    for (size_t t = 0; t < T; t++) {
        if ((rc = dpsgd_private_grad(eng, &data, NULL, r, NULL, err)))
            goto done;
        if ((rc = dg_fake_grad_d(st, G, D, &w, Bf, inv, r, err)))
            goto done;
        mlp_adam_step(ad, mlp_params(D), mlp_grads(D));
        if ((rc = dg_generate(st, G, &w, Bf, r, err)) || (rc = dg_grad_fake(st, D, &w, Bf, err)))
            goto done;
        dg_step_g(st, G, ag, &w, Bf);
    }
done:
    free(rec.tmp);
    free(y);
    work_free(&w);
    mlp_adam_free(ad);
    dpsgd_free(eng);
    mlp_free(D);
    return rc;
}

/* One non-private D update of D on rows of shard (len rows, indices into X)
 * and B fakes. Xr: (B, x + c) work buffer. */
static int dg_critic_step(const dg_state *st, mlp *G, mlp *D, mlp_adam *ad, dg_work *w, const float *X,
                          const size_t *shard, size_t len, float *Xr, gsl_rng *r, pa_err *err)
{
    const size_t xw = st->x + st->c, B = w->B, Br = len < B ? len : B;
    for (size_t i = 0; i < Br; i++)
        memcpy(Xr + i * xw, X + shard[rng_below(r, len)] * xw, xw * sizeof(float));
    int rc = mlp_forward(D, Xr, Br, NULL, err);
    if (!rc)
        rc = mlp_loss_xent(D, w->ones, NULL, NULL, err);
    if (rc)
        return rc;
    mlp_backward(D, 1.0f / (float)Br);
    if ((rc = dg_fake_grad_d(st, G, D, w, B, 1.0f / (float)B, r, err)))
        return rc;
    mlp_adam_step(ad, mlp_params(D), mlp_grads(D));
    return PA_OK;
}

/* GS-WGAN: K non-private discriminators on disjoint shards; only the
 * gradient reaching the generator is sanitised. */
static int train_gswgan(dg_state *st, const dg_opts *o, const float *X, size_t N, size_t K, double sigma,
                        double clip, size_t T, mlp *G, mlp_adam *ag, gen_noise *rec, gsl_rng *r, pa_err *err)
{
    mlp *D = NULL;
    mlp_adam *ad = NULL;
    dg_work w = {0};
    size_t *perm = NULL;
    float *theta = NULL, *Xr = NULL;
    double *noise = NULL;
    float *g0 = NULL;       /* (B, x) gradients before the noise, when recording */
    const size_t B = (size_t)o->batch, xw = st->x + st->c;
    mlp_adam_cfg oc = {.lr = o->lr, .beta1 = 0.5, .beta2 = 0.999, .eps = 1e-8};
    int rc = new_net(xw, o->hidden, o->layers, 2, MLP_TANH, r, &D, err);
    if (!rc)
        rc = work_new(&w, st, B, B, err);
    if (rc)
        goto done;
    const size_t P = mlp_nparams(D);
    perm = pa_malloc(N, sizeof *perm);
    theta = pa_malloc(K * P, sizeof *theta);
    Xr = pa_malloc(B * xw, sizeof *Xr);
    noise = pa_malloc(B * st->x, sizeof *noise);
    g0 = rec && sigma > 0 ? pa_malloc(B * st->x, sizeof *g0) : NULL;
    if (!perm || !theta || !Xr || !noise || (rec && sigma > 0 && !g0)) {
        rc = pa_errf(err, PA_ENOMEM, "generator \"dpgan\": out of memory for %zu discriminators of %zu "
                     "parameters", K, P);
        goto done;
    }
    for (size_t i = 0; i < N; i++)
        perm[i] = i;
    gsl_ran_shuffle(r, perm, N, sizeof *perm);
    /* Shard k = perm[k N / K, (k + 1) N / K); each discriminator its own init. */
    for (size_t k = 0; k < K; k++) {
        mlp_init(D, r);
        if (o->warmup) {
            size_t a = k * N / K, len = (k + 1) * N / K - a;
            mlp_adam *aw = NULL;
            if ((rc = mlp_adam_new(P, &oc, &aw, err)))
                goto done;
            for (size_t s = 0; s < o->warmup && !rc; s++)
                rc = dg_critic_step(st, G, D, aw, &w, X, perm + a, len, Xr, r, err);
            mlp_adam_free(aw);
            if (rc)
                goto done;
        }
        memcpy(theta + k * P, mlp_params(D), P * sizeof(float));
    }
    for (size_t t = 0; t < T; t++) {
        size_t k = (size_t)rng_below(r, K), a = k * N / K, len = (k + 1) * N / K - a;
        memcpy(mlp_params(D), theta + k * P, P * sizeof(float));
        mlp_adam_free(ad);
        ad = NULL;
        if ((rc = mlp_adam_new(P, &oc, &ad, err)))
            goto done;
        for (size_t s = 0; s < o->critic_steps; s++)
            if ((rc = dg_critic_step(st, G, D, ad, &w, X, perm + a, len, Xr, r, err)))
                goto done;
        memcpy(theta + k * P, mlp_params(D), P * sizeof(float));
        if ((rc = dg_generate(st, G, &w, B, r, err)) || (rc = dg_grad_fake(st, D, &w, B, err)))
            goto done;
        /* The sanitisation: clip each example's ∂ℓ/∂x̃ to C, add N(0, (2σC)²):
         * sensitivity 2C (the neighbour changes the critic, so the clipped
         * gradient can move anywhere in the C ball). */
        if (!isinf(clip))
            for (size_t i = 0; i < B; i++) {
                float *g = w.gx + i * st->x;
                double sq = 0;
                for (size_t j = 0; j < st->x; j++)
                    sq += (double)g[j] * g[j];
                double f = sq > clip * clip ? clip / sqrt(sq) : 1;
                for (size_t j = 0; j < st->x; j++)
                    g[j] = (float)(g[j] * f);
            }
        if (sigma > 0) {
            if (g0)
                memcpy(g0, w.gx, B * st->x * sizeof *g0);
            dpsgd_gaussian(r, noise, B * st->x);
            for (size_t j = 0; j < B * st->x; j++)
                w.gx[j] += (float)(2 * sigma * clip * noise[j]);
            /* each generated example is one composition (rate 1/K) */
            for (size_t i = 0; g0 && i < B; i++)
                gen_noise_sgd(rec, g0 + i * st->x, w.gx + i * st->x, st->x, 2 * sigma * clip, 2 * clip,
                              1.0 / (double)K);
        }
        dg_step_g(st, G, ag, &w, B);
    }
done:
    free(g0);
    free(perm);
    free(theta);
    free(Xr);
    free(noise);
    work_free(&w);
    mlp_adam_free(ad);
    mlp_free(D);
    return rc;
}

static int dg_fit(const table *train, const gen_config *cfg, gsl_rng *r_in, void **state, pa_err *err)
{
    *state = NULL;
    const size_t N = train->n;
    dg_opts o;
    int rc = dg_params(train->s, cfg, N, &o, err);
    if (rc)
        return rc;
    if (N == 0)
        return pa_errf(err, PA_EINPUT, "generator \"dpgan\": the training table has no rows");
    gsl_rng *r = r_in, *own = NULL;
    if (o.has_seed && !(r = own = rng_stream(o.seed, 0x64706761ULL)))
        return pa_errf(err, PA_ENOMEM, "out of memory");
    float *X = NULL;
    mlp_adam *ag = NULL;
    dg_state *st = calloc(1, sizeof *st);
    if (!st || !(st->s = schema_copy(train->s))) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto fail;
    }
    st->label = o.label;
    st->nz = o.nz;
    st->tau = o.tau;
    if ((rc = dg_layout(st, err)))
        goto fail;
    if (!(X = pa_malloc(N * (st->x + st->c), sizeof *X))) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto fail;
    }
    dg_encode(st, train, X);

    /* Plan: T, the sampling rate of the accountant, compositions. */
    const int priv = !isinf(cfg->epsilon) || !isnan(o.sigma);
    double q, comps;
    size_t T, K = 0;
    if (o.mode == DG_DPSGD) {
        q = fmin(1, o.batch / (double)N);
        T = o.steps ? o.steps : (size_t)ceil(o.epochs / q);
        comps = (double)T;
    } else {
        K = o.ndisc ? o.ndisc : (size_t)fmax(1, fmin(1000, floor((double)N / 60)));
        q = 1.0 / (double)K;
        T = o.steps ? o.steps : 2000;
        comps = (double)T * o.batch;
    }
    double sigma = 0, clip = INFINITY;
    if (priv) {
        clip = o.clip;
        sigma = o.sigma;
        if (isnan(sigma) && (rc = acct_calibrate_sigma(ACCT_RDP, cfg->epsilon, q, comps, cfg->delta, NULL, 0,
                                                       &sigma, err))) {
            pa_err_prefix(err, "generator \"dpgan\": calibrating sigma for epsilon = %g, delta = %g, "
                          "q = %g, %.0f compositions", cfg->epsilon, cfg->delta, q, comps);
            goto fail;
        }
    }
    if ((rc = new_net(st->nz + st->c, o.hidden, o.layers, st->x, MLP_RELU, r, &st->G, err)))
        goto fail;
    mlp_adam_cfg oc = {.lr = o.lr, .beta1 = 0.5, .beta2 = 0.999, .eps = 1e-8};
    if ((rc = mlp_adam_new(mlp_nparams(st->G), &oc, &ag, err)))
        goto fail;
    rc = o.mode == DG_DPSGD ? train_dpsgd(st, &o, X, N, sigma, clip, T, q, st->G, ag, cfg->noise, r, err)
                            : train_gswgan(st, &o, X, N, K, sigma, clip, T, st->G, ag, cfg->noise, r, err);
    if (rc) {
        pa_err_prefix(err, "generator \"dpgan\"");
        goto fail;
    }
    st->priv.rho = NAN;
    if (sigma > 0) {
        double delta = isinf(cfg->epsilon) ? (cfg->delta > 0 ? cfg->delta : 1e-5) : cfg->delta;
        if ((rc = acct_epsilon(ACCT_RDP, sigma, q, comps, delta, NULL, 0, &st->priv.epsilon, err)))
            goto fail;
        st->priv.delta = delta;
        strcpy(st->priv.accountant, "rdp");
    } else {
        st->priv.epsilon = INFINITY;
        st->priv.delta = 0;
        strcpy(st->priv.accountant, "none");
    }
    free(X);
    mlp_adam_free(ag);
    gsl_rng_free(own);
    *state = st;
    return PA_OK;
fail:
    free(X);
    mlp_adam_free(ag);
    gsl_rng_free(own);
    dg_free(st);
    return rc;
}

static int dg_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    const dg_state *st = state;
    *out = NULL;
    table *t = tbl_new(st->s, m);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    const size_t chunk = 1024, xw = st->x + st->c;
    dg_work w;
    int rc = work_new(&w, st, chunk, 0, err);
    mlp *G = NULL;
    /* A private copy of G: sample() takes a const state and may run in
     * parallel with other samples of the same model. */
    if (!rc) {
        size_t L = mlp_nlayers(st->G), width[18];
        for (size_t l = 0; l <= L; l++)
            width[l] = mlp_width(st->G, l);
        mlp_spec sp = {.L = L, .width = width, .hidden = MLP_RELU, .out = MLP_IDENTITY};
        rc = mlp_new(&sp, &G, err);
        if (!rc)
            rc = mlp_copy_params(G, st->G, err);
    }
    for (size_t i0 = 0; !rc && i0 < m; i0 += chunk) {
        size_t B = m - i0 < chunk ? m - i0 : chunk;
        if ((rc = dg_generate(st, G, &w, B, r, err)))
            break;
        for (size_t i = 0; i < B; i++) {
            const float *xo = w.Xf + i * xw;
            for (size_t k = 0; k < st->nb; k++) {
                const dg_block *b = &st->b[k];
                const col_spec *cs = &st->s->cols[b->col];
                if (b->kind == COL_CAT) {
                    size_t a = 0;
                    for (size_t e = 1; e < b->w; e++)
                        if (xo[b->off + e] > xo[b->off + a])
                            a = e;
                    t->cat[b->col][i0 + i] = (int32_t)a;
                } else {
                    double v = cs->lo + (double)xo[b->off] * (cs->hi - cs->lo);
                    if (cs->integer)
                        v = round(v);
                    t->num[b->col][i0 + i] = fmin(cs->hi, fmax(cs->lo, v));
                }
            }
            if (st->label >= 0) {
                size_t a = 0;
                while (a + 1 < st->c && xo[st->x + a] == 0)
                    a++;
                t->cat[st->label][i0 + i] = (int32_t)a;
            }
        }
    }
    mlp_free(G);
    work_free(&w);
    if (rc) {
        tbl_free(t);
        return rc;
    }
    *out = t;
    return PA_OK;
}

static void dg_privacy(const void *state, gen_privacy *out)
{
    *out = ((const dg_state *)state)->priv;
}

const gen_vtable gen_dpgan = {
    .name = "dpgan",
    .summary = "GAN trained with DP-SGD on the discriminator (mode dpsgd) or GS-WGAN gradient sanitisation "
               "(mode gswgan); RDP accountant",
    .check = dg_check,
    .fit = dg_fit,
    .sample = dg_sample,
    .privacy = dg_privacy,
    .free_state = dg_free,
};
