/* dpsgd.c — see dpsgd.h. N = data set rows, B = batch rows, P = parameters,
 * L = layers; q = sampling rate, C = clipping norm, σ = noise multiplier. */
#include "core/dpsgd.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "core/blas.h"
#include "core/rng.h"

struct dpsgd {
    mlp *m;                 /* borrowed */
    dpsgd_cfg cfg;
    mlp_adam *adam;         /* owned, or NULL */
    size_t *idx;            /* (N) sampled indices */
    size_t B;               /* rows of the last clipped batch */
    double *sq;             /* (N) per-example squared norms */
    float *c;               /* (N) clip factors */
    float *Xb;              /* (N, d) gathered batch inputs */
    int32_t *yb;            /* (N) gathered labels */
    float *Tb;              /* (N, p) gathered targets */
    float *lossb;           /* (N) per-example losses */
    dpsgd_noise_hook hook;  /* or NULL */
    void *hook_ctx;
    float *before;          /* (P) clipped sum before the noise, when hooked */
    double *z;              /* (P) normals drawn ahead by dpsgd_noise_prepare, or NULL */
    int prepared;           /* 1: a helper thread is filling z (join before use) */
    int threaded;           /* the helper thread was started (else z is already full) */
    int thread_mode;        /* 0: when a core is idle, 1: always, -1: never */
    pthread_t th;
    struct zjob {
        uint64_t s[4];      /* the seeded stream */
        double *z;
        size_t n;
    } job;
};

static void noise_discard(dpsgd *s);

int dpsgd_cfg_check(const dpsgd_cfg *cfg, pa_err *err)
{
    if (!cfg)
        return pa_errf(err, PA_EINPUT, "dpsgd: no configuration given");
    if (cfg->n < 1)
        return pa_errf(err, PA_EINPUT, "dpsgd: cfg.n = 0, expected >= 1 examples");
    if (!(cfg->q > 0 && cfg->q <= 1))
        return pa_errf(err, PA_EINPUT, "dpsgd: cfg.q = %g, expected a sampling rate in (0, 1]",
                       cfg->q);
    if (!(cfg->sigma >= 0) || !isfinite(cfg->sigma))
        return pa_errf(err, PA_EINPUT, "dpsgd: cfg.sigma = %g, expected a finite value >= 0",
                       cfg->sigma);
    if (!(cfg->clip > 0))
        return pa_errf(err, PA_EINPUT, "dpsgd: cfg.clip = %g, expected > 0 (or INFINITY)",
                       cfg->clip);
    if (isinf(cfg->clip) && cfg->sigma > 0)
        return pa_errf(err, PA_EINPUT, "dpsgd: cfg.sigma = %g needs a finite cfg.clip "
                       "(noise std is sigma*clip)", cfg->sigma);
    return PA_OK;
}

int dpsgd_new(mlp *m, const dpsgd_cfg *cfg, const mlp_adam_cfg *opt, dpsgd **out,
              pa_err *err)
{
    *out = NULL;
    int rc = dpsgd_cfg_check(cfg, err);
    if (rc)
        return rc;
    size_t N = cfg->n, d = mlp_width(m, 0), p = mlp_width(m, mlp_nlayers(m));
    dpsgd *s = pa_calloc(1, sizeof *s);
    if (!s)
        return pa_errf(err, PA_ENOMEM, "dpsgd_new: out of memory");
    s->m = m;
    s->cfg = *cfg;
    if (opt && (rc = mlp_adam_new(mlp_nparams(m), opt, &s->adam, err)) != PA_OK) {
        free(s);
        return pa_err_prefix(err, "dpsgd_new");
    }
    s->idx = pa_malloc(N, sizeof *s->idx);
    s->sq = pa_malloc(N, sizeof *s->sq);
    s->c = pa_malloc(N, sizeof *s->c);
    s->Xb = pa_malloc(N, d * sizeof *s->Xb);
    s->yb = pa_malloc(N, sizeof *s->yb);
    s->Tb = pa_malloc(N, p * sizeof *s->Tb);
    s->lossb = pa_malloc(N, sizeof *s->lossb);
    if (!s->idx || !s->sq || !s->c || !s->Xb || !s->yb || !s->Tb || !s->lossb) {
        dpsgd_free(s);
        return pa_errf(err, PA_ENOMEM, "dpsgd_new: out of memory for batch buffers of %zu rows", N);
    }
    *out = s;
    return PA_OK;
}

void dpsgd_free(dpsgd *s)
{
    if (!s)
        return;
    mlp_adam_free(s->adam);
    free(s->idx);
    free(s->sq);
    free(s->c);
    free(s->Xb);
    free(s->yb);
    free(s->Tb);
    free(s->lossb);
    noise_discard(s);
    free(s->before);
    free(s->z);
    free(s);
}

const dpsgd_cfg *dpsgd_config(const dpsgd *s) { return &s->cfg; }
const double *dpsgd_sqnorms(const dpsgd *s) { return s->sq; }
const float *dpsgd_factors(const dpsgd *s) { return s->c; }

void dpsgd_sample(dpsgd *s, gsl_rng *r, const size_t **idx, size_t *B)
{
    size_t N = s->cfg.n, n = 0;
    double q = s->cfg.q;
    if (q >= 1.0) {
        for (size_t i = 0; i < N; i++)
            s->idx[n++] = i;
    } else {
        /* The gap before the next included index is Geometric(q) on {0,1,..}:
         * floor(ln U / ln(1−q)), U uniform on (0,1). */
        double l1q = log1p(-q);
        size_t i = 0;
        for (;;) {
            double gap = floor(log(gsl_rng_uniform_pos(r)) / l1q);
            if (gap >= (double)(N - i))
                break;
            i += (size_t)gap;
            s->idx[n++] = i++;
            if (i >= N)
                break;
        }
    }
    *idx = s->idx;
    *B = n;
}

/* c_i = min(1, C/‖g_i‖) (1 for a zero gradient or C = ∞). */
static void clip_factors(double C, const double *sq, float *c, size_t B)
{
    for (size_t i = 0; i < B; i++) {
        double nrm = sqrt(sq[i]);
        c[i] = nrm > C ? (float)(C / nrm) : 1.0f;
    }
}

void dpsgd_clip_sum(dpsgd *s)
{
    size_t B = mlp_batch(s->m);
    s->B = B;
    mlp_example_sqnorms(s->m, s->sq);
    clip_factors(s->cfg.clip, s->sq, s->c, B);
    mlp_grad_accumulate(s->m, s->c, 1.0f, 0.0f);
}

int dpsgd_clip_sum_naive(dpsgd *s, pa_err *err)
{
    size_t B = mlp_batch(s->m), P = mlp_nparams(s->m);
    double *g = pa_malloc(P, sizeof *g), *sum = pa_calloc(P, sizeof *sum);
    if (!g || !sum) {
        free(g);
        free(sum);
        return pa_errf(err, PA_ENOMEM, "dpsgd_clip_sum_naive: out of memory for %zu parameters", P);
    }
    s->B = B;
    for (size_t i = 0; i < B; i++) {
        mlp_example_grad_naive(s->m, i, g);
        double sq = 0.0;
        for (size_t k = 0; k < P; k++)
            sq += g[k] * g[k];
        s->sq[i] = sq;
        double nrm = sqrt(sq), ci = nrm > s->cfg.clip ? s->cfg.clip / nrm : 1.0;
        s->c[i] = (float)ci;
        for (size_t k = 0; k < P; k++)
            sum[k] += ci * g[k];
    }
    float *out = mlp_grads(s->m);
    for (size_t k = 0; k < P; k++)
        out[k] = (float)sum[k];
    free(g);
    free(sum);
    return PA_OK;
}

void dpsgd_add_example(dpsgd *s, const float *g)
{
    size_t P = mlp_nparams(s->m);
    double sq = 0.0;
    for (size_t k = 0; k < P; k++)
        sq += (double)g[k] * g[k];
    double nrm = sqrt(sq), c = nrm > s->cfg.clip ? s->cfg.clip / nrm : 1.0;
    float *out = mlp_grads(s->m);
    for (size_t k = 0; k < P; k++)
        out[k] += (float)(c * g[k]);
}

/* ---- Gaussian noise: 256-layer ziggurat (Marsaglia and Tsang, "The
 * Ziggurat Method for Generating Random Variables", JSS 2000), with the layer
 * index, the sign and the 53-bit uniform taken from disjoint bits of one
 * 64-bit word (Doornik 2005's remedy for correlated bits). ---- */

#define ZIG_N 256
static const double zig_r = 3.6541528853610088;      /* start of the tail (paper, N = 256) */
static const double zig_v = 4.92867323399e-3;         /* area of each layer (paper, N = 256) */
static double zig_x[ZIG_N + 1];                       /* layer right edges, x[0] = v/f(r) */
static double zig_f[ZIG_N + 1];                       /* f(x[i]) = exp(−x[i]²/2) */
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;

static void zig_build(void)
{
    double fr = exp(-0.5 * zig_r * zig_r);
    zig_x[0] = zig_v / fr;
    zig_x[1] = zig_r;
    for (int i = 2; i < ZIG_N; i++)
        zig_x[i] = sqrt(-2.0 * log(zig_v / zig_x[i - 1] + exp(-0.5 * zig_x[i - 1] * zig_x[i - 1])));
    zig_x[ZIG_N] = 0.0;
    for (int i = 0; i <= ZIG_N; i++)
        zig_f[i] = exp(-0.5 * zig_x[i] * zig_x[i]);
}

typedef struct xo {
    uint64_t s[4];
} xo;

static inline uint64_t xo_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna 2018). */
static inline uint64_t xo_next(xo *g)
{
    uint64_t *s = g->s;
    uint64_t res = xo_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = xo_rotl(s[3], 45);
    return res;
}

static inline double xo_unif_pos(xo *g)
{
    return ((double)(xo_next(g) >> 11) + 0.5) * 0x1.0p-53;   /* (0, 1) */
}

/* A local stream seeded from four draws of r, so the noise is a function of
 * r's state whatever r's type (and as fast as an inlined generator). */
static void xo_seed(xo *g, gsl_rng *r)
{
    uint64_t h = 0;
    for (int k = 0; k < 4; k++)
        h = rng_mix64(h ^ (uint64_t)gsl_rng_get(r) ^ ((uint64_t)k << 56));
    for (int k = 0; k < 4; k++) {
        h = rng_mix64(h + 0x9E3779B97F4A7C15ULL);
        g->s[k] = h;
    }
    if (!(g->s[0] | g->s[1] | g->s[2] | g->s[3]))
        g->s[0] = 1;
}

static double zig_normal_slow(xo *g, uint64_t u);

/* The draw u fell outside its layer's inner rectangle: wedge test or tail,
 * then fresh draws until one is accepted. */
__attribute__((noinline)) static double zig_normal_slow(xo *g, uint64_t u)
{
    for (;;) {
        unsigned i = (unsigned)(u & 0xFF);
        double sgn = 1.0 - (double)(int)((u >> 7) & 2);
        double z = (double)(int64_t)(u >> 11) * 0x1.0p-53 * zig_x[i];
        if (z < zig_x[i + 1])
            return sgn * z;
        if (i == 0) {
            /* tail beyond r (Marsaglia 1964) */
            double a, b;
            do {
                a = -log(xo_unif_pos(g)) / zig_r;
                b = -log(xo_unif_pos(g));
            } while (b + b < a * a);
            return sgn * (zig_r + a);
        }
        double y = zig_f[i] + xo_unif_pos(g) * (zig_f[i + 1] - zig_f[i]);
        if (y < exp(-0.5 * z * z))
            return sgn * z;
        u = xo_next(g);
    }
}

/* v[0..n) = i.i.d. N(0,1). The generator state lives in locals for the fast
 * path (≈ 99% of draws for 256 layers) so it stays in registers; it is
 * written back only around the out-of-line slow path. */
static void zig_fill(xo *g, double *v, size_t n)
{
    uint64_t s0 = g->s[0], s1 = g->s[1], s2 = g->s[2], s3 = g->s[3];
    for (size_t k = 0; k < n; k++) {
        uint64_t u = xo_rotl(s1 * 5, 7) * 9, t = s1 << 17;   /* xoshiro256** */
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = xo_rotl(s3, 45);
        unsigned i = (unsigned)(u & 0xFF);
        double z = (double)(int64_t)(u >> 11) * 0x1.0p-53 * zig_x[i];
        if (__builtin_expect(z < zig_x[i + 1], 1)) {
            v[k] = (1.0 - (double)(int)((u >> 7) & 2)) * z;   /* sign from bit 8 */
        } else {
            g->s[0] = s0, g->s[1] = s1, g->s[2] = s2, g->s[3] = s3;
            v[k] = zig_normal_slow(g, u);
            s0 = g->s[0], s1 = g->s[1], s2 = g->s[2], s3 = g->s[3];
        }
    }
    g->s[0] = s0, g->s[1] = s1, g->s[2] = s2, g->s[3] = s3;
}

void dpsgd_gaussian(gsl_rng *r, double *v, size_t n)
{
    pthread_once(&zig_once, zig_build);
    xo g;
    xo_seed(&g, r);
    zig_fill(&g, v, n);
}

typedef float v8f __attribute__((vector_size(32)));
typedef double v8d __attribute__((vector_size(64)));

/* out[k] = (out[k] + sd·z[k])·inv in double, rounded to float; 8 at a time. */
static void add_noise(float *out, const double *z, double sd, double inv, size_t n)
{
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        v8f o;
        v8d zz;
        memcpy(&o, out + k, sizeof o);
        memcpy(&zz, z + k, sizeof zz);
        o = __builtin_convertvector((__builtin_convertvector(o, v8d) + sd * zz) * inv, v8f);
        memcpy(out + k, &o, sizeof o);
    }
    for (; k < n; k++)
        out[k] = (float)(((double)out[k] + sd * z[k]) * inv);
}

int dpsgd_set_noise_hook(dpsgd *s, dpsgd_noise_hook hook, void *ctx)
{
    free(s->before);
    s->before = NULL;
    s->hook = NULL;
    s->hook_ctx = NULL;
    if (!hook)
        return PA_OK;
    if (!(s->before = pa_malloc(mlp_nparams(s->m), sizeof *s->before)))
        return PA_ENOMEM;
    s->hook = hook;
    s->hook_ctx = ctx;
    return PA_OK;
}

static void *zjob_run(void *arg)
{
    struct zjob *j = arg;
    xo g;
    memcpy(g.s, j->s, sizeof g.s);
    zig_fill(&g, j->z, j->n);
    return NULL;
}

int dpsgd_noise_prepare(dpsgd *s, gsl_rng *r)
{
    noise_discard(s);
    if (!(s->cfg.sigma > 0))
        return PA_OK;                       /* no noise: nothing is drawn from r */
    size_t P = mlp_nparams(s->m);
    if (!s->z && !(s->z = pa_malloc(P ? P : 1, sizeof *s->z)))
        return PA_ENOMEM;
    pthread_once(&zig_once, zig_build);
    xo g;
    xo_seed(&g, r);
    memcpy(s->job.s, g.s, sizeof g.s);
    s->job.z = s->z;
    s->job.n = P;
    s->prepared = 1;
    /* a helper thread only where BLAS may use more than one core (not when
     * jobs run in parallel, harness/pool.c) and a core is idle */
    int want = s->thread_mode > 0 || (s->thread_mode == 0 && pa_idle_core());
    s->threaded = want && pthread_create(&s->th, NULL, zjob_run, &s->job) == 0;
    if (!s->threaded)
        zjob_run(&s->job);
    return PA_OK;
}

void dpsgd_set_noise_thread(dpsgd *s, int mode)
{
    s->thread_mode = mode > 0 ? 1 : mode < 0 ? -1 : 0;
}

/* Waits for a prepared draw and forgets it. */
static void noise_discard(dpsgd *s)
{
    if (s->prepared && s->threaded)
        pthread_join(s->th, NULL);
    s->prepared = s->threaded = 0;
}

static void noise_apply(dpsgd *s, gsl_rng *r);

void dpsgd_noise(dpsgd *s, gsl_rng *r)
{
    size_t P = mlp_nparams(s->m);
    if (s->hook)
        memcpy(s->before, mlp_grads(s->m), P * sizeof *s->before);
    noise_apply(s, r);
    if (s->hook)
        s->hook(s->hook_ctx, s->before, mlp_grads(s->m), P, s->cfg.sigma * s->cfg.clip,
                1.0 / (s->cfg.q * (double)s->cfg.n));
}

static void noise_apply(dpsgd *s, gsl_rng *r)
{
    size_t P = mlp_nparams(s->m);
    float *out = mlp_grads(s->m);
    double inv = 1.0 / (s->cfg.q * (double)s->cfg.n);
    if (s->cfg.sigma > 0 && s->prepared) {
        if (s->threaded)
            pthread_join(s->th, NULL);
        s->prepared = s->threaded = 0;
        add_noise(out, s->z, s->cfg.sigma * s->cfg.clip, inv, P);
    } else if (s->cfg.sigma > 0) {
        pthread_once(&zig_once, zig_build);
        xo g;
        xo_seed(&g, r);
        double sd = s->cfg.sigma * s->cfg.clip, z[512];
        for (size_t k0 = 0; k0 < P; k0 += 512) {
            size_t m = P - k0 < 512 ? P - k0 : 512;
            zig_fill(&g, z, m);
            add_noise(out + k0, z, sd, inv, m);
        }
    } else {
        float finv = (float)inv;
        for (size_t k = 0; k < P; k++)
            out[k] *= finv;
    }
}

static int check_data(const dpsgd *s, const dpsgd_data *D, pa_err *err)
{
    if (!D || !D->X)
        return pa_errf(err, PA_EINPUT, "dpsgd: data.X is NULL");
    if (D->n != s->cfg.n)
        return pa_errf(err, PA_EINPUT, "dpsgd: data.n = %zu but cfg.n = %zu (q is relative to N)",
                       D->n, s->cfg.n);
    if (!D->y == !D->T)
        return pa_errf(err, PA_EINPUT, "dpsgd: give exactly one of data.y (labels) and data.T "
                       "(regression targets)");
    return PA_OK;
}

int dpsgd_private_grad(dpsgd *s, const dpsgd_data *D, const float *canary, gsl_rng *r,
                       dpsgd_stats *st, pa_err *err)
{
    int rc = check_data(s, D, err);
    if (rc)
        return rc;
    mlp *m = s->m;
    size_t d = mlp_width(m, 0), p = mlp_width(m, mlp_nlayers(m)), B;
    const size_t *idx;
    dpsgd_sample(s, r, &idx, &B);
    /* the noise stream is seeded from r now (nothing below draws from r
     * before dpsgd_noise, so the result is the same as seeding it there) and
     * drawn on a helper thread while the forward and backward pass run */
    if ((rc = dpsgd_noise_prepare(s, r)) != PA_OK)
        return pa_errf(err, rc, "dpsgd: out of memory for the noise buffer");
    double loss = NAN, mean_norm = NAN, clipped = 0.0;
    if (B > 0) {
        for (size_t i = 0; i < B; i++) {
            memcpy(s->Xb + i * d, D->X + idx[i] * d, d * sizeof(float));
            if (D->y)
                s->yb[i] = D->y[idx[i]];
            else
                memcpy(s->Tb + i * p, D->T + idx[i] * p, p * sizeof(float));
        }
        if ((rc = mlp_forward(m, s->Xb, B, NULL, err)) != PA_OK) {
            noise_discard(s);
            return pa_err_prefix(err, "dpsgd");
        }
        double sum;
        rc = D->y ? mlp_loss_xent(m, s->yb, NULL, &sum, err)
                  : mlp_loss_mse(m, s->Tb, NULL, &sum, err);
        if (rc) {
            noise_discard(s);
            return pa_err_prefix(err, "dpsgd (batch row = data row idx[row])");
        }
        loss = sum / (double)B;
        mlp_backprop(m, 0);
        dpsgd_clip_sum(s);
        mean_norm = 0.0;
        for (size_t i = 0; i < B; i++) {
            double nrm = sqrt(s->sq[i]);
            mean_norm += nrm;
            clipped += nrm > s->cfg.clip;
        }
        mean_norm /= (double)B;
        clipped /= (double)B;
    } else {
        s->B = 0;
        memset(mlp_grads(m), 0, mlp_nparams(m) * sizeof(float));
    }
    if (canary)
        dpsgd_add_example(s, canary);
    dpsgd_noise(s, r);
    if (st) {
        st->batch = B;
        st->loss = loss;
        st->mean_norm = mean_norm;
        st->clipped_frac = clipped;
    }
    return PA_OK;
}

int dpsgd_step(dpsgd *s, const dpsgd_data *D, const float *canary, gsl_rng *r,
               dpsgd_stats *st, pa_err *err)
{
    if (!s->adam)
        return pa_errf(err, PA_EINPUT, "dpsgd_step: engine built without Adam settings (opt = NULL)");
    int rc = dpsgd_private_grad(s, D, canary, r, st, err);
    if (rc)
        return rc;
    mlp_adam_step(s->adam, mlp_params(s->m), mlp_grads(s->m));
    return PA_OK;
}
