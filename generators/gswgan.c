/* gswgan.c — GS-WGAN (Chen, Orekondy, Fritz, "GS-WGAN: A Gradient-Sanitized
 * Approach for Learning Differentially Private Generators", NeurIPS 2020) on
 * the convolutional engine core/net.h, with the paper's gradient penalty.
 *
 * n = records, c = classes of the label column, H × W = image (n_0 = H·W
 * grey pixels), d = model width ("dim"), z = latent width ("nz"), K =
 * discriminators, B = batch, T = generator steps ("steps"), S = critic steps
 * per generator step ("critic_steps"), W0 = warm-start iterations per
 * discriminator ("warmup"), P_G / P_D = generator / critic parameters,
 * C = clipping norm, σ = noise multiplier, q = 1/K.
 *
 * Data: the label column (parameter "label", categorical, c >= 2 codes) is
 * the class; every other column is a numeric pixel of one grey H × W image
 * (row-major, default square), encoded as u = (v − lo)/(hi − lo) ∈ [0, 1]
 * with the schema's bounds (clamped); the generator's sigmoid output is
 * decoded as lo + u(hi − lo), rounded for integer columns.
 *
 * Networks (DCGAN-style, channels-last, core/net.h), H = W divisible by 4:
 *   G: z ⊕ one-hot(y) (1, 1, z + c) → convT k = H/4 (on a 1×1 input this is
 *      the dense layer to (H/4, W/4, 2d)) → layer norm → ReLU → convT 4×4 s2
 *      p1 to (H/2, W/2, d) → layer norm → ReLU → convT 4×4 s2 p1 to
 *      (H, W, 1) → sigmoid. (The reference's DCGAN generator goes
 *      4×4·4d → 7×7·2d → 11×11·d → 28×28 with pixel norm; core/net has no
 *      pixel norm or crop, so layer norm (group norm, one group) and the
 *      standard k4 s2 p1 up-sampling stand in.)
 *   D: 3 × [conv 5×5 stride 2 pad 2, LeakyReLU 0.2] with d, 2d, 4d channels
 *      (28 → 14 → 7 → 4, as the reference's DiscriminatorDCGAN; 8 → 4 → 2 →
 *      1 on the 8×8 digits), flatten, dense to c outputs: D(x, y) = output y,
 *      a per-class head (the reference's projection w·h + ⟨E_y, h⟩ is the
 *      same family: head y = w + E_y). No spectral norm (the penalty stands
 *      in); the reference's critic uses ReLU.
 *
 * Training (the reference's main.py/pretrain.py):
 *   shards: the records are shuffled and split into K disjoint shards of
 *     ⌊n/K⌋ or ⌈n/K⌉ records; critic k sees shard k only.
 *   critic step on shard k (WGAN-GP, Gulrajani et al. 2017): a real batch of
 *     B_r = min(B, n_k) records drawn without replacement, B_r fakes
 *     G(z, y) with the real labels, interpolates x̂ = αx + (1 − α)x̃
 *     (α ~ U(0, 1) per example); loss
 *       mean D(x̃) − mean D(x) + λ mean(‖∇x̂ D(x̂)‖ − 1)² + ε_d mean D(x)²
 *     (λ = "gp" 10, ε_d = "drift" 0.001 as the reference), Adam (lr, β =
 *     (0.5, 0.9)), each critic with its own Adam state.
 *   warm start: every critic k, in turn, is pre-trained for W0 iterations of
 *     S critic steps on its shard and one step of a fresh, non-private
 *     generator of its own (discarded afterwards), as pretrain.py.
 *   T generator steps: pick k uniformly, S critic steps of critic k, then a
 *     fresh batch of B fakes with uniform labels; per fake the gradient of
 *     the generator loss −D(x̃_i, y_i) w.r.t. x̃_i is clipped to C and
 *     N(0, (2σC)²) noise is added to each of its n_0 coordinates (the
 *     reference's dp_conv_hook: sensitivity 2C, because a neighbouring data
 *     set changes the critic and so moves the clipped gradient anywhere in
 *     the ball of radius C); the mean over B of these sanitised gradients is
 *     back-propagated into G and one Adam step taken. Under ε = ∞ the
 *     gradient is clipped but not noised.
 *   release: an exponential moving average of G's parameters (rate "ema",
 *     0.999 with the reference's warm-up min(1 − 1/(t + 1), rate)).
 * Latent: z ∈ {0, 1}^z Bernoulli(1/2) ("latent": "bernoulli", the
 * reference's default) or N(0, I) ("normal").
 *
 * Privacy, as the paper's privacy_analysis.py (autodp's
 * compose_subsampled_mechanism(RDP_gaussian(σ), prob = 1/K, coeff = T·B)):
 * T·B compositions of the subsampled Gaussian mechanism with rate q = 1/K
 * and multiplier σ (each generated example's sanitised gradient is one
 * Gaussian release of sensitivity 2C with noise sd 2σC; a record reaches it
 * only through the chosen critic, chosen with probability 1/K). We account
 * with the project's RDP accountant (acct_epsilon(ACCT_RDP, σ, 1/K, T·B, δ),
 * the Poisson-subsampled Gaussian) where the paper uses autodp's bound;
 * picking one of K fixed shards is not Poisson sampling, so this is the
 * paper's argument, not a proof verified here. σ is calibrated to the
 * config's (ε, δ) (acct_calibrate_sigma, >= 0.05, so never 0 at finite ε);
 * privacy() reports the accountant's ε for that σ. The warm start and the
 * critics are never released; the generator sees the data only through the
 * sanitised gradients.
 */
#include "generators/gswgan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "audit/acct.h"
#include "core/rng.h"
#include "generators/gen.h"

#define GW_NAME "gswgan"
#define GW_NG 8      /* generator layers */
#define GW_ND 8      /* critic layers */
#define GW_MAX_BYTES (6.0 * 1024 * 1024 * 1024)  /* K critics' parameters and Adam moments */

/* ---- the gradient penalty (both engines, one body) ---- */

#define GSW_GP_BODY(NS, T)                                                                         \
    {                                                                                              \
        const size_t n0 = NS##_size(D, 0), c = NS##_size(D, NS##_nlayers(D));                      \
        int rc;                                                                                    \
        for (size_t i = 0; i < B; i++)                                                             \
            if (y[i] < 0 || (size_t)y[i] >= c)                                                     \
                return pa_errf(err, PA_EINPUT, "gradient penalty: label %d of example %zu is not in [0, %zu)", \
                               (int)y[i], i, c);                                                   \
        if ((rc = NS##_forward(D, X, B, NULL, err)))                                               \
            return rc;                                                                             \
        memset(work, 0, B * c * sizeof *work);                                                     \
        for (size_t i = 0; i < B; i++)                                                             \
            work[i * c + (size_t)y[i]] = 1;                                                        \
        NS##_seed(D, work);                                                                        \
        NS##_backprop(D, 1);                                                                       \
        const T *u = NS##_dx(D);                                                                   \
        double Rs = 0;                                                                             \
        for (size_t i = 0; i < B; i++) {                                                           \
            double s = 0;                                                                          \
            for (size_t e = 0; e < n0; e++)                                                        \
                s += (double)u[i * n0 + e] * u[i * n0 + e];                                        \
            double nu = sqrt(s), f = nu > 0 ? lambda / (double)B * 2 * (nu - 1) / nu : 0;          \
            Rs += (nu - 1) * (nu - 1);                                                             \
            for (size_t e = 0; e < n0; e++)                                                        \
                work[i * n0 + e] = (T)(f * u[i * n0 + e]);                                         \
        }                                                                                          \
        *R = lambda * Rs / (double)B;                                                              \
        if ((rc = NS##_tangent_forward(D, NULL, work, err)))                                       \
            return rc;                                                                             \
        NS##_tangent_seed(D, NULL);                                                                \
        NS##_tangent_backprop(D, 0);                                                               \
        NS##_tangent_grad(D, NULL, 1, grad);                                                       \
        return PA_OK;                                                                              \
    }

/* work needs max(B·c, B·n_0) values: the seed, then v */
int gsw_gp_grad(net *D, const float *X, const int32_t *y, size_t B, double lambda, float *work, double *R,
                float *grad, pa_err *err)
GSW_GP_BODY(net, float)

int gsw_gp_grad_d(netd *D, const double *X, const int32_t *y, size_t B, double lambda, double *work, double *R,
                  double *grad, pa_err *err)
GSW_GP_BODY(netd, double)

/* ---- parameters ---- */

typedef struct gw_params {
    int label;
    size_t H, W, dim, nz, K, warmup, steps, batch, critic_steps;
    int normal;           /* latent N(0, I) instead of Bernoulli(1/2) */
    double gp, drift, lr, clip, ema;
} gw_params;

static const char *const gw_keys[] = {"label", "height", "width", "dim", "nz", "discriminators", "warmup", "steps",
                                      "batch", "critic_steps", "latent", "gp", "drift", "lr", "clip", "ema", NULL};

static int gw_read_params(const schema *s, const gen_config *cfg, gw_params *p, pa_err *err)
{
    int rc;
    double v;
    if ((rc = gen_param_known(cfg->params, GW_NAME, gw_keys, err)))
        return rc;
    if (!(cfg->epsilon > 0) || isnan(cfg->epsilon))
        return pa_errf(err, PA_EINPUT, "generator \"gswgan\": epsilon must be > 0 or infinite (got %.17g)",
                       cfg->epsilon);
    if (isfinite(cfg->epsilon) && !(cfg->delta > 0 && cfg->delta < 1))
        return pa_errf(err, PA_EINPUT, "generator \"gswgan\": delta must be in (0, 1) for a finite epsilon (the "
                       "sanitised gradients carry Gaussian noise: no pure-epsilon guarantee; got %.17g)", cfg->delta);
    const cJSON *lab = cfg->params ? cJSON_GetObjectItemCaseSensitive(cfg->params, "label") : NULL;
    if (!lab)
        return pa_errf(err, PA_EINPUT, "generator \"gswgan\": parameter \"label\" (the class column) is required");
    if (!cJSON_IsString(lab))
        return pa_errf(err, PA_EINPUT, "generator \"gswgan\": parameter \"label\": expected a column name");
    int j = schema_col(s, lab->valuestring);
    if (j < 0)
        return pa_errf(err, PA_EINPUT, "generator \"gswgan\": parameter \"label\": no column \"%s\" in the schema",
                       lab->valuestring);
    if (s->cols[j].kind != COL_CAT || s->cols[j].size < 2)
        return pa_errf(err, PA_EINPUT,
                       "generator \"gswgan\": parameter \"label\": column \"%s\" must be categorical with >= 2 codes",
                       lab->valuestring);
    p->label = j;
    for (size_t k = 0; k < s->d; k++)
        if ((int)k != j && s->cols[k].kind != COL_NUM)
            return pa_errf(err, PA_EINPUT, "generator \"gswgan\": the columns other than the label are the pixels "
                           "of one grey image, so they must be numeric (column \"%s\" is categorical)",
                           s->cols[k].name);
    if (s->d < 2)
        return pa_errf(err, PA_EINPUT, "generator \"gswgan\": no pixel column besides the label");
    double px = (double)(s->d - 1), side = floor(sqrt(px) + 0.5);
    if ((rc = gen_param_int(cfg->params, GW_NAME, "height", side, 4, 1e4, &v, err)))
        return rc;
    p->H = (size_t)v;
    if ((rc = gen_param_int(cfg->params, GW_NAME, "width", floor(px / (double)p->H), 4, 1e4, &v, err)))
        return rc;
    p->W = (size_t)v;
    if (p->H * p->W != s->d - 1)
        return pa_errf(err, PA_EINPUT, "generator \"gswgan\": parameters \"height\" x \"width\" = %zu x %zu must "
                       "equal the %zu pixel columns", p->H, p->W, s->d - 1);
    if (p->H != p->W || p->H % 4)
        return pa_errf(err, PA_EINPUT, "generator \"gswgan\": parameters \"height\" x \"width\" = %zu x %zu: the "
                       "DCGAN generator needs a square image with a side divisible by 4", p->H, p->W);
    if ((rc = gen_param_int(cfg->params, GW_NAME, "dim", 64, 1, 1024, &v, err)))
        return rc;
    p->dim = (size_t)v;
    if ((rc = gen_param_int(cfg->params, GW_NAME, "nz", 10, 1, 4096, &v, err)))
        return rc;
    p->nz = (size_t)v;
    if ((rc = gen_param_int(cfg->params, GW_NAME, "discriminators", 1000, 1, 1e7, &v, err)))
        return rc;
    p->K = (size_t)v;
    if ((rc = gen_param_int(cfg->params, GW_NAME, "warmup", 2000, 0, 1e7, &v, err)))
        return rc;
    p->warmup = (size_t)v;
    if ((rc = gen_param_int(cfg->params, GW_NAME, "steps", 20000, 1, 1e8, &v, err)))
        return rc;
    p->steps = (size_t)v;
    if ((rc = gen_param_int(cfg->params, GW_NAME, "batch", 32, 1, 1e5, &v, err)))
        return rc;
    p->batch = (size_t)v;
    if ((rc = gen_param_int(cfg->params, GW_NAME, "critic_steps", 5, 1, 1e4, &v, err)))
        return rc;
    p->critic_steps = (size_t)v;
    const cJSON *lt = cfg->params ? cJSON_GetObjectItemCaseSensitive(cfg->params, "latent") : NULL;
    if (lt && !(cJSON_IsString(lt) && (!strcmp(lt->valuestring, "bernoulli") || !strcmp(lt->valuestring, "normal"))))
        return pa_errf(err, PA_EINPUT, "generator \"gswgan\": parameter \"latent\": expected \"bernoulli\" or "
                       "\"normal\"");
    p->normal = lt && !strcmp(lt->valuestring, "normal");
    if ((rc = gen_param_num(cfg->params, GW_NAME, "gp", 10, 0, 1e6, &p->gp, err)))
        return rc;
    if ((rc = gen_param_num(cfg->params, GW_NAME, "drift", 0.001, 0, 1e3, &p->drift, err)))
        return rc;
    if ((rc = gen_param_num(cfg->params, GW_NAME, "lr", 1e-4, 1e-8, 1, &p->lr, err)))
        return rc;
    if ((rc = gen_param_num(cfg->params, GW_NAME, "clip", 1, 1e-6, 1e6, &p->clip, err)))
        return rc;
    if ((rc = gen_param_num(cfg->params, GW_NAME, "ema", 0.999, 0, 0.999999, &p->ema, err)))
        return rc;
    /* the K critics' parameters and Adam moments, from the critic's shape */
    size_t h = p->H, nd = 0;
    double PD = 0, cin = 1;
    for (size_t l = 0; l < 3; l++) {
        double cout = (double)(p->dim << l);
        PD += 25 * cin * cout + cout;
        cin = cout;
        h = (h + 1) / 2;
        nd = h * h * (size_t)cout;
    }
    PD += ((double)nd + 1) * (double)s->cols[j].size;
    if ((double)p->K * PD * 3 * sizeof(float) > GW_MAX_BYTES)
        return pa_errf(err, PA_EINPUT, "generator \"gswgan\": parameters \"discriminators\" = %zu and \"dim\" = %zu: "
                       "%zu critics of %.0f parameters with their Adam moments need %.1f GiB (at most %.0f); lower "
                       "either", p->K, p->dim, p->K, PD, (double)p->K * PD * 12 / 1073741824.0,
                       GW_MAX_BYTES / 1073741824.0);
    return PA_OK;
}

static int gw_check(const schema *s, const gen_config *cfg, pa_err *err)
{
    gw_params p;
    return gw_read_params(s, cfg, &p, err);
}

/* ---- networks ---- */

static void gw_gen_spec(const gw_params *p, size_t c, net_layer_spec *ly, net_spec *ns)
{
    ly[0] = (net_layer_spec){.kind = NET_CONVT, .out = 2 * p->dim, .k = p->H / 4, .stride = 1};
    ly[1] = (net_layer_spec){.kind = NET_GROUPNORM, .groups = 1};
    ly[2] = (net_layer_spec){.kind = NET_ACT, .act = NET_RELU};
    ly[3] = (net_layer_spec){.kind = NET_CONVT, .out = p->dim, .k = 4, .stride = 2, .pad = 1};
    ly[4] = (net_layer_spec){.kind = NET_GROUPNORM, .groups = 1};
    ly[5] = (net_layer_spec){.kind = NET_ACT, .act = NET_RELU};
    ly[6] = (net_layer_spec){.kind = NET_CONVT, .out = 1, .k = 4, .stride = 2, .pad = 1};
    ly[7] = (net_layer_spec){.kind = NET_ACT, .act = NET_SIGMOID};
    *ns = (net_spec){.H = 1, .W = 1, .C = p->nz + c, .L = GW_NG, .layer = ly};
}

static void gw_critic_spec(const gw_params *p, size_t c, net_layer_spec *ly, net_spec *ns)
{
    for (size_t l = 0; l < 3; l++) {
        ly[2 * l] = (net_layer_spec){.kind = NET_CONV, .out = p->dim << l, .k = 5, .stride = 2, .pad = 2};
        ly[2 * l + 1] = (net_layer_spec){.kind = NET_ACT, .act = NET_LRELU, .slope = 0.2};
    }
    ly[6] = (net_layer_spec){.kind = NET_FLATTEN};
    ly[7] = (net_layer_spec){.kind = NET_DENSE, .out = c};
    *ns = (net_spec){.H = p->H, .W = p->W, .C = 1, .L = GW_ND, .layer = ly};
}

/* ---- state ---- */

typedef struct gw_state {
    schema *s;
    int label;
    size_t c, H, W, nz;
    int normal;
    net_layer_spec gl[GW_NG];
    net_spec gs;
    float *theta;         /* (P_G) the released (averaged) generator */
    size_t PG;
    gen_privacy priv;
} gw_state;

static void gw_free(void *state)
{
    gw_state *st = state;
    if (!st)
        return;
    schema_free(st->s);
    free(st->theta);
    free(st);
}

/* Adam (β = (0.5, 0.9), ε = 1e-8) on θ (P) with the gradient g, moments m,
 * v and step count *t. */
static void gw_adam(float *th, const float *g, float *m, float *v, size_t P, double lr, size_t *t)
{
    const double b1 = 0.5, b2 = 0.9;
    ++*t;
    const double c1 = 1 - pow(b1, (double)*t), c2 = 1 - pow(b2, (double)*t);
    for (size_t e = 0; e < P; e++) {
        m[e] = (float)(b1 * m[e] + (1 - b1) * g[e]);
        v[e] = (float)(b2 * v[e] + (1 - b2) * (double)g[e] * g[e]);
        th[e] -= (float)(lr * (m[e] / c1) / (sqrt(v[e] / c2) + 1e-8));
    }
}

/* The fit's buffers and networks. */
typedef struct gw_ctx {
    const gw_params *p;
    size_t c, n0, zin, B;
    net *G, *D;
    float *zb;            /* (B, z + c) generator inputs */
    int32_t *yb;          /* (B) labels */
    float *xr, *xf, *xi;  /* (B, n_0) real, fake, interpolates */
    float *seed;          /* (B, max(c, n_0)) seeds and work */
    float *gp;            /* (P_D) penalty gradient */
    float *gex;           /* (B, n_0) clipped gradients (noise recording) */
} gw_ctx;

/* B generator inputs: latent draws and the one-hot labels yb (already set). */
static void gw_latent(gw_ctx *x, size_t B, gsl_rng *r)
{
    const size_t zin = x->zin, nz = x->p->nz;
    for (size_t i = 0; i < B; i++) {
        float *zi = x->zb + i * zin;
        for (size_t e = 0; e < nz; e++)
            zi[e] = x->p->normal ? (float)gsl_ran_gaussian_ziggurat(r, 1) : (float)(gsl_rng_uniform(r) < 0.5);
        memset(zi + nz, 0, x->c * sizeof *zi);
        zi[nz + (size_t)x->yb[i]] = 1;
    }
}

/* One critic step of D on the real rows xr (B_r, n_0) with labels yb;
 * Adam on th (P_D) with moments m, v. */
static int gw_critic_step(gw_ctx *x, size_t Br, float *th, float *m, float *v, size_t *t, gsl_rng *r, pa_err *err)
{
    const gw_params *p = x->p;
    const size_t n0 = x->n0, c = x->c, PD = net_nparams(x->D);
    int rc;
    const float *Y;
    memcpy(net_params(x->D), th, PD * sizeof *th);
    /* fakes with the real labels (no gradient into G) */
    gw_latent(x, Br, r);
    if ((rc = net_forward(x->G, x->zb, Br, &Y, err)))
        return rc;
    memcpy(x->xf, Y, Br * n0 * sizeof *Y);
    /* real: −mean D + drift·mean D² */
    if ((rc = net_forward(x->D, x->xr, Br, &Y, err)))
        return rc;
    memset(x->seed, 0, Br * c * sizeof *x->seed);
    for (size_t i = 0; i < Br; i++) {
        double Di = Y[i * c + (size_t)x->yb[i]];
        x->seed[i * c + (size_t)x->yb[i]] = (float)((-1 + 2 * p->drift * Di) / (double)Br);
    }
    net_seed(x->D, x->seed);
    net_backprop(x->D, 0);
    net_grad_accumulate(x->D, NULL, 1.0f, 0.0f);
    /* fake: +mean D */
    if ((rc = net_forward(x->D, x->xf, Br, NULL, err)))
        return rc;
    memset(x->seed, 0, Br * c * sizeof *x->seed);
    for (size_t i = 0; i < Br; i++)
        x->seed[i * c + (size_t)x->yb[i]] = (float)(1.0 / (double)Br);
    net_seed(x->D, x->seed);
    net_backprop(x->D, 0);
    net_grad_accumulate(x->D, NULL, 1.0f, 1.0f);
    /* the penalty on interpolates */
    if (p->gp > 0) {
        for (size_t i = 0; i < Br; i++) {
            float a = (float)gsl_rng_uniform(r);
            for (size_t e = 0; e < n0; e++)
                x->xi[i * n0 + e] = a * x->xr[i * n0 + e] + (1 - a) * x->xf[i * n0 + e];
        }
        double R;
        if ((rc = gsw_gp_grad(x->D, x->xi, x->yb, Br, p->gp, x->seed, &R, x->gp, err)))
            return rc;
        float *g = net_grads(x->D);
        for (size_t e = 0; e < PD; e++)
            g[e] += x->gp[e];
    }
    gw_adam(th, net_grads(x->D), m, v, PD, p->lr, t);
    return PA_OK;
}

/* One generator step through the critic th: B fakes with uniform labels, the
 * per-example gradient of −D(x̃_i, y_i) w.r.t. x̃_i clipped to C, plus
 * N(0, sd²) per coordinate when sd > 0 (recorded in noise), mean over B
 * back-propagated into G, Adam on G. */
static int gw_gen_step(gw_ctx *x, const float *th, float *m, float *v, size_t *t, double sd, double K,
                       gen_noise *noise, gsl_rng *r, pa_err *err)
{
    const gw_params *p = x->p;
    const size_t n0 = x->n0, c = x->c, B = x->B;
    int rc;
    const float *Y;
    memcpy(net_params(x->D), th, net_nparams(x->D) * sizeof *th);
    for (size_t i = 0; i < B; i++)
        x->yb[i] = (int32_t)rng_below(r, c);
    gw_latent(x, B, r);
    if ((rc = net_forward(x->G, x->zb, B, &Y, err)) || (rc = net_forward(x->D, Y, B, NULL, err)))
        return rc;
    memset(x->seed, 0, B * c * sizeof *x->seed);
    for (size_t i = 0; i < B; i++)
        x->seed[i * c + (size_t)x->yb[i]] = 1;
    net_seed(x->D, x->seed);
    net_backprop(x->D, 1);
    const float *u = net_dx(x->D);
    /* g_i = −u_i, clipped to C, noised: the only data-dependent quantity G sees */
    for (size_t i = 0; i < B; i++) {
        double s = 0;
        for (size_t e = 0; e < n0; e++)
            s += (double)u[i * n0 + e] * u[i * n0 + e];
        double nu = sqrt(s), f = nu > p->clip ? p->clip / nu : 1;
        float *gi = x->xi + i * n0;
        for (size_t e = 0; e < n0; e++)
            gi[e] = (float)(-f * u[i * n0 + e]);
    }
    if (noise)
        memcpy(x->gex, x->xi, B * n0 * sizeof *x->gex);
    if (sd > 0) {
        for (size_t e = 0; e < B * n0; e++)
            x->xi[e] += (float)gsl_ran_gaussian_ziggurat(r, sd);
        if (noise)
            for (size_t i = 0; i < B; i++)
                gen_noise_sgd(noise, x->gex + i * n0, x->xi + i * n0, n0, sd, 2 * p->clip, 1.0 / K);
    }
    for (size_t e = 0; e < B * n0; e++)
        x->xi[e] /= (float)B;
    net_seed(x->G, x->xi);
    net_backprop(x->G, 0);
    net_grad_accumulate(x->G, NULL, 1.0f, 0.0f);
    gw_adam(net_params(x->G), net_grads(x->G), m, v, net_nparams(x->G), p->lr, t);
    return PA_OK;
}

/* B_r rows of shard [a, a + len) of idx drawn without replacement into xr,
 * their labels into yb (a partial Fisher–Yates shuffle of the shard). */
static size_t gw_real_batch(gw_ctx *x, size_t *idx, size_t a, size_t len, const float *X, const int32_t *lab,
                            gsl_rng *r)
{
    size_t Br = x->B < len ? x->B : len;
    for (size_t i = 0; i < Br; i++) {
        size_t j = i + (size_t)rng_below(r, len - i), tmp = idx[a + i];
        idx[a + i] = idx[a + j];
        idx[a + j] = tmp;
        size_t row = idx[a + i];
        memcpy(x->xr + i * x->n0, X + row * x->n0, x->n0 * sizeof *X);
        x->yb[i] = lab[row];
    }
    return Br;
}

static double gw_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int gw_fit(const table *train, const gen_config *cfg, gsl_rng *r, void **state, pa_err *err)
{
    *state = NULL;
    gw_params P;
    int rc = gw_read_params(train->s, cfg, &P, err);
    if (rc)
        return rc;
    const size_t n = train->n, K = P.K, B = P.batch;
    if (n < K)
        return pa_errf(err, PA_EINPUT, "generator \"gswgan\": parameter \"discriminators\" = %zu exceeds the %zu "
                       "training records (every shard needs one)", K, n);
    gw_state *st = pa_calloc(1, sizeof *st);
    if (!st)
        return pa_errf(err, PA_ENOMEM, "generator \"gswgan\": out of memory");
    const size_t c = train->s->cols[P.label].size, n0 = P.H * P.W;
    st->label = P.label;
    st->c = c;
    st->H = P.H;
    st->W = P.W;
    st->nz = P.nz;
    st->normal = P.normal;
    gw_gen_spec(&P, c, st->gl, &st->gs);
    st->gs.layer = st->gl;
    net_layer_spec dl[GW_ND];
    net_spec ds;
    gw_critic_spec(&P, c, dl, &ds);
    gw_ctx x = {.p = &P, .c = c, .n0 = n0, .zin = P.nz + c, .B = B};
    float *X = NULL, *Dth = NULL, *Dm = NULL, *Dv = NULL, *Gm = NULL, *Gv = NULL;
    size_t *Dt = NULL, *idx = NULL;
    int32_t *lab = NULL;
    const int verbose = getenv("PRIVAUDIT_VERBOSE") != NULL;
    st->s = schema_copy(train->s);
    if (!st->s)
        goto nomem;

    /* the privacy: T·B compositions at q = 1/K */
    const double q = 1.0 / (double)K, comps = (double)P.steps * (double)B;
    double sigma = 0;
    if (isfinite(cfg->epsilon)) {
        if ((rc = acct_calibrate_sigma(ACCT_RDP, cfg->epsilon, q, comps, cfg->delta, NULL, 0, &sigma, err))) {
            pa_err_prefix(err, "generator \"gswgan\": calibrating sigma for epsilon = %g, delta = %g, q = 1/%zu, "
                          "%zu steps x %zu examples", cfg->epsilon, cfg->delta, K, P.steps, B);
            goto fail;
        }
        if (!(sigma > 0) || !isfinite(sigma)) {
            rc = pa_errf(err, PA_EINTERNAL, "generator \"gswgan\": calibrated sigma %g is not positive", sigma);
            goto fail;
        }
        if ((rc = acct_epsilon(ACCT_RDP, sigma, q, comps, cfg->delta, NULL, 0, &st->priv.epsilon, err))) {
            pa_err_prefix(err, "generator \"gswgan\"");
            goto fail;
        }
        st->priv.delta = cfg->delta;
        st->priv.rho = NAN;
        strcpy(st->priv.accountant, "rdp");
    } else {
        st->priv.epsilon = INFINITY;
        st->priv.delta = 0;
        st->priv.rho = INFINITY;
        strcpy(st->priv.accountant, "none");
    }
    const double sd = 2 * sigma * P.clip;

    /* the data, encoded, and the shards */
    X = pa_malloc(n * n0, sizeof *X);
    lab = pa_malloc(n, sizeof *lab);
    idx = pa_malloc(n, sizeof *idx);
    if (!X || !lab || !idx)
        goto nomem;
    for (size_t i = 0, e = 0; i < n; i++) {
        for (size_t j = 0; j < train->d; j++) {
            if ((int)j == P.label)
                continue;
            const col_spec *cs = &train->s->cols[j];
            double u = (train->num[j][i] - cs->lo) / (cs->hi - cs->lo);
            X[e++] = (float)(u < 0 ? 0 : u > 1 ? 1 : isnan(u) ? 0 : u);
        }
        int32_t yv = train->cat[P.label][i];
        lab[i] = yv >= 0 && (size_t)yv < c ? yv : 0;
        idx[i] = i;
    }
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i), tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }

    /* networks and buffers */
    if ((rc = net_new(&st->gs, &x.G, err)) || (rc = net_new(&ds, &x.D, err)))
        goto fail;
    const size_t PD = net_nparams(x.D), PG = net_nparams(x.G);
    st->PG = PG;
    Dth = pa_malloc(K * PD, sizeof *Dth);
    Dm = pa_calloc(K * PD, sizeof *Dm);
    Dv = pa_calloc(K * PD, sizeof *Dv);
    Dt = pa_calloc(K, sizeof *Dt);
    Gm = pa_calloc(PG, sizeof *Gm);
    Gv = pa_calloc(PG, sizeof *Gv);
    st->theta = pa_malloc(PG, sizeof *st->theta);
    const size_t wk = c > n0 ? c : n0;
    x.zb = pa_malloc(B * x.zin, sizeof *x.zb);
    x.yb = pa_malloc(B, sizeof *x.yb);
    x.xr = pa_malloc(B * n0, sizeof *x.xr);
    x.xf = pa_malloc(B * n0, sizeof *x.xf);
    x.xi = pa_malloc(B * n0, sizeof *x.xi);
    x.seed = pa_malloc(B * wk, sizeof *x.seed);
    x.gp = pa_malloc(PD, sizeof *x.gp);
    x.gex = cfg->noise ? pa_malloc(B * n0, sizeof *x.gex) : NULL;
    if (!Dth || !Dm || !Dv || !Dt || !Gm || !Gv || !st->theta || !x.zb || !x.yb || !x.xr || !x.xf || !x.xi ||
        !x.seed || !x.gp || (cfg->noise && !x.gex))
        goto nomem;
    for (size_t k = 0; k < K; k++) {
        net_init(x.D, r);
        memcpy(Dth + k * PD, net_params(x.D), PD * sizeof *Dth);
    }
    double t0 = gw_now();
    if (verbose)
        fprintf(stderr, "gswgan: %zu x %zu images, %zu classes, K = %zu, P_G = %zu, P_D = %zu, sigma = %.6g\n", P.H,
                P.W, c, K, PG, PD, sigma);

    /* warm start: critic k against a fresh non-private generator of its own */
    for (size_t k = 0; k < K && P.warmup > 0; k++) {
        size_t a = k * n / K, len = (k + 1) * n / K - a, gt = 0;
        net_init(x.G, r);
        memset(Gm, 0, PG * sizeof *Gm);
        memset(Gv, 0, PG * sizeof *Gv);
        float *th = Dth + k * PD;
        for (size_t it = 0; it < P.warmup; it++) {
            for (size_t s = 0; s < P.critic_steps; s++) {
                size_t Br = gw_real_batch(&x, idx, a, len, X, lab, r);
                if ((rc = gw_critic_step(&x, Br, th, Dm + k * PD, Dv + k * PD, &Dt[k], r, err)))
                    goto fail;
            }
            if ((rc = gw_gen_step(&x, th, Gm, Gv, &gt, 0, (double)K, NULL, r, err)))
                goto fail;
        }
        if (verbose && (k + 1) % (K >= 20 ? K / 20 : 1) == 0)
            fprintf(stderr, "gswgan: warm start %zu/%zu critics, %.0f s\n", k + 1, K, gw_now() - t0);
    }

    /* the private phase: a fresh generator, T sanitised steps */
    net_init(x.G, r);
    memset(Gm, 0, PG * sizeof *Gm);
    memset(Gv, 0, PG * sizeof *Gv);
    memcpy(st->theta, net_params(x.G), PG * sizeof *st->theta);
    size_t gt = 0;
    const double t1 = gw_now();
    for (size_t t = 0; t < P.steps; t++) {
        size_t k = (size_t)rng_below(r, K), a = k * n / K, len = (k + 1) * n / K - a;
        float *th = Dth + k * PD;
        for (size_t s = 0; s < P.critic_steps; s++) {
            size_t Br = gw_real_batch(&x, idx, a, len, X, lab, r);
            if ((rc = gw_critic_step(&x, Br, th, Dm + k * PD, Dv + k * PD, &Dt[k], r, err)))
                goto fail;
        }
        if ((rc = gw_gen_step(&x, th, Gm, Gv, &gt, sd, (double)K, cfg->noise, r, err)))
            goto fail;
        double al = 1 - 1 / ((double)t + 1);
        al = al < P.ema ? al : P.ema;
        const float *g = net_params(x.G);
        for (size_t e = 0; e < PG; e++)
            st->theta[e] = (float)(al * st->theta[e] + (1 - al) * g[e]);
        if (verbose && (t + 1) % (P.steps >= 20 ? P.steps / 20 : 1) == 0)
            fprintf(stderr, "gswgan: step %zu/%zu, %.0f s (%.3f s/step)\n", t + 1, P.steps, gw_now() - t0,
                    (gw_now() - t1) / (double)(t + 1));
    }
    for (size_t e = 0; e < PG; e++)
        if (!isfinite(st->theta[e])) {
            rc = pa_errf(err, PA_EINTERNAL, "generator \"gswgan\": the generator diverged (non-finite parameter); "
                         "lower \"lr\"");
            goto fail;
        }
    rc = PA_OK;
    goto done;
nomem:
    rc = pa_errf(err, PA_ENOMEM, "generator \"gswgan\": out of memory");
fail:
    gw_free(st);
    st = NULL;
done:
    free(X);
    free(lab);
    free(idx);
    free(Dth);
    free(Dm);
    free(Dv);
    free(Dt);
    free(Gm);
    free(Gv);
    free(x.zb);
    free(x.yb);
    free(x.xr);
    free(x.xf);
    free(x.xi);
    free(x.seed);
    free(x.gp);
    free(x.gex);
    net_free(x.G);
    net_free(x.D);
    *state = st;
    return rc;
}

/* m records: labels uniform over the c classes, latent draws, the averaged
 * generator, decoded to the schema's bounds, in chunks of 256. */
static int gw_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    *out = NULL;
    const gw_state *st = state;
    const schema *s = st->s;
    const size_t c = st->c, zin = st->nz + c, CH = 256;
    net *G = NULL;
    float *zb = pa_malloc(CH * zin, sizeof *zb);
    int32_t *yb = pa_malloc(CH, sizeof *yb);
    table *t = tbl_new(s, m);
    int rc;
    if (!zb || !yb || !t) {
        rc = pa_errf(err, PA_ENOMEM, "generator \"gswgan\": out of memory for %zu records", m);
        goto done;
    }
    if ((rc = net_new(&st->gs, &G, err)))
        goto done;
    memcpy(net_params(G), st->theta, st->PG * sizeof *st->theta);
    for (size_t b0 = 0; b0 < m; b0 += CH) {
        size_t Bc = m - b0 < CH ? m - b0 : CH;
        for (size_t i = 0; i < Bc; i++) {
            yb[i] = (int32_t)rng_below(r, c);
            float *zi = zb + i * zin;
            for (size_t e = 0; e < st->nz; e++)
                zi[e] = st->normal ? (float)gsl_ran_gaussian_ziggurat(r, 1) : (float)(gsl_rng_uniform(r) < 0.5);
            memset(zi + st->nz, 0, c * sizeof *zi);
            zi[st->nz + (size_t)yb[i]] = 1;
        }
        const float *Y;
        if ((rc = net_forward(G, zb, Bc, &Y, err)))
            goto done;
        for (size_t i = 0; i < Bc; i++) {
            size_t e = 0;
            for (size_t j = 0; j < s->d; j++) {
                const col_spec *cs = &s->cols[j];
                if ((int)j == st->label) {
                    t->cat[j][b0 + i] = yb[i];
                    continue;
                }
                double v = cs->lo + (double)Y[i * st->H * st->W + e++] * (cs->hi - cs->lo);
                if (cs->integer) {
                    v = round(v);
                    if (v < ceil(cs->lo))
                        v = ceil(cs->lo);
                    if (v > floor(cs->hi))
                        v = floor(cs->hi);
                }
                t->num[j][b0 + i] = v < cs->lo ? cs->lo : v > cs->hi ? cs->hi : v;
            }
        }
    }
    *out = t;
    t = NULL;
    rc = PA_OK;
done:
    tbl_free(t);
    free(zb);
    free(yb);
    net_free(G);
    return rc;
}

static void gw_privacy(const void *state, gen_privacy *out)
{
    *out = ((const gw_state *)state)->priv;
}

const gen_vtable gen_gswgan = {
    .name = GW_NAME,
    .summary = "GS-WGAN: conditional conv WGAN-GP, K critics on disjoint shards, sanitised generator gradients; RDP",
    .check = gw_check,
    .fit = gw_fit,
    .sample = gw_sample,
    .privacy = gw_privacy,
    .free_state = gw_free,
};
