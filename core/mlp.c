/* mlp.c — see mlp.h. L = layers, B = batch rows, d = inputs, h = hidden width,
 * p = outputs, P = parameters; in/out = width[l]/width[l+1] of layer l. */
#include "core/mlp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "core/blas.h"

struct mlp {
    size_t L;
    size_t *width;      /* (L+1) */
    size_t *woff;       /* (L) offset of W_l in params; b_l follows at woff[l] + out*in */
    mlp_act hidden, out;
    size_t P;           /* parameters */
    size_t maxw;        /* max width[1..L] (rows of the accumulate scratch) */
    float *params;      /* (P) θ */
    float *grads;       /* (P) */
    /* activations: one buffer, capacity cap rows */
    size_t cap;         /* rows the buffers below hold */
    size_t B;           /* rows of the last forward */
    float *acts;        /* A_0 (cap,d) ... A_L (cap,p), ones (cap) */
    float **A;          /* (L+1) pointers into acts */
    float *ones;        /* (cap) all 1, for the bias GEMV */
    float *deltas;      /* G_0 .. G_{L-1}, dY (cap,p), dX (cap,d), scratch (cap,maxw) */
    float **G;          /* (L) pointers into deltas */
    float *dY;          /* (cap, p) seed ∂ℓ_i/∂Y_i */
    float *dX;          /* (cap, d) */
    float *scratch;     /* (cap, maxw) diag(c) G_l */
};

static mlp_act layer_act(const mlp *m, size_t l)
{
    return l + 1 == m->L ? m->out : m->hidden;
}

static int act_valid(mlp_act a)
{
    return a == MLP_IDENTITY || a == MLP_TANH || a == MLP_SIGMOID || a == MLP_RELU;
}

int mlp_new(const mlp_spec *spec, mlp **out, pa_err *err)
{
    *out = NULL;
    if (!spec || spec->L < 1 || !spec->width)
        return pa_errf(err, PA_EINPUT, "mlp_new: spec.L must be >= 1 and spec.width (L+1 widths) given");
    for (size_t l = 0; l <= spec->L; l++)
        if (spec->width[l] < 1)
            return pa_errf(err, PA_EINPUT, "mlp_new: spec.width[%zu] = 0, expected >= 1", l);
    if (!act_valid(spec->hidden) || !act_valid(spec->out))
        return pa_errf(err, PA_EINPUT, "mlp_new: spec.hidden/spec.out must be an mlp_act value");
    mlp *m = pa_calloc(1, sizeof *m);
    if (!m)
        return pa_errf(err, PA_ENOMEM, "mlp_new: out of memory");
    m->L = spec->L;
    m->hidden = spec->hidden;
    m->out = spec->out;
    m->width = pa_malloc(m->L + 1, sizeof *m->width);
    m->woff = pa_malloc(m->L, sizeof *m->woff);
    m->A = pa_calloc(m->L + 1, sizeof *m->A);
    m->G = pa_calloc(m->L, sizeof *m->G);
    if (!m->width || !m->woff || !m->A || !m->G)
        goto nomem;
    memcpy(m->width, spec->width, (m->L + 1) * sizeof *m->width);
    size_t P = 0;
    for (size_t l = 0; l < m->L; l++) {
        m->woff[l] = P;
        P += m->width[l + 1] * (m->width[l] + 1);
        if (m->width[l + 1] > m->maxw)
            m->maxw = m->width[l + 1];
    }
    m->P = P;
    m->params = pa_calloc(P, sizeof *m->params);
    m->grads = pa_calloc(P, sizeof *m->grads);
    if (!m->params || !m->grads)
        goto nomem;
    *out = m;
    return PA_OK;
nomem:
    mlp_free(m);
    return pa_errf(err, PA_ENOMEM, "mlp_new: out of memory");
}

void mlp_free(mlp *m)
{
    if (!m)
        return;
    free(m->width);
    free(m->woff);
    free(m->A);
    free(m->G);
    free(m->params);
    free(m->grads);
    free(m->acts);
    free(m->deltas);
    free(m);
}

void mlp_init(mlp *m, gsl_rng *r)
{
    for (size_t l = 0; l < m->L; l++) {
        size_t in = m->width[l], n = m->width[l + 1] * (in + 1);
        double bound = 1.0 / sqrt((double)in);
        float *w = m->params + m->woff[l];
        for (size_t k = 0; k < n; k++)
            w[k] = (float)(bound * (2.0 * gsl_rng_uniform(r) - 1.0));
    }
}

int mlp_copy_params(mlp *dst, const mlp *src, pa_err *err)
{
    int same = dst->L == src->L;
    for (size_t l = 0; same && l <= src->L; l++)
        same = dst->width[l] == src->width[l];
    if (!same)
        return pa_errf(err, PA_EINPUT, "mlp_copy_params: architectures differ (layers or widths)");
    memcpy(dst->params, src->params, src->P * sizeof *src->params);
    return PA_OK;
}

size_t mlp_nparams(const mlp *m) { return m->P; }
float *mlp_params(mlp *m) { return m->params; }
float *mlp_grads(mlp *m) { return m->grads; }
size_t mlp_nlayers(const mlp *m) { return m->L; }
size_t mlp_width(const mlp *m, size_t l) { return m->width[l]; }
size_t mlp_batch(const mlp *m) { return m->B; }
const float *mlp_dx(const mlp *m) { return m->dX; }

void mlp_layer(const mlp *m, size_t l, mlp_layer_view *v)
{
    size_t in = m->width[l], out = m->width[l + 1];
    v->in = in;
    v->out = out;
    v->act = layer_act(m, l);
    v->W = m->params + m->woff[l];
    v->b = v->W + out * in;
    v->dW = m->grads + m->woff[l];
    v->db = v->dW + out * in;
    v->A_in = m->A[l];
    v->A_out = m->A[l + 1];
    v->G = m->G[l];
}

/* Makes acts/deltas hold at least B rows. On failure the old buffers stay. */
static int reserve(mlp *m, size_t B)
{
    if (B <= m->cap)
        return PA_OK;
    size_t cap = B > 2 * m->cap ? B : 2 * m->cap;
    size_t na = 0, nd = 0;
    for (size_t l = 0; l <= m->L; l++)
        na += m->width[l];
    na += 1;                                   /* ones */
    for (size_t l = 1; l <= m->L; l++)
        nd += m->width[l];
    nd += m->width[m->L] + m->width[0] + m->maxw;   /* dY, dX, scratch */
    float *acts = pa_malloc(cap, na * sizeof(float));
    float *deltas = pa_calloc(cap * nd, sizeof(float));
    if (!acts || !deltas) {
        free(acts);
        free(deltas);
        return PA_ENOMEM;
    }
    free(m->acts);
    free(m->deltas);
    m->acts = acts;
    m->deltas = deltas;
    m->cap = cap;
    float *p = acts;
    for (size_t l = 0; l <= m->L; l++) {
        m->A[l] = p;
        p += cap * m->width[l];
    }
    m->ones = p;
    for (size_t i = 0; i < cap; i++)
        m->ones[i] = 1.0f;
    p = deltas;
    for (size_t l = 0; l < m->L; l++) {
        m->G[l] = p;
        p += cap * m->width[l + 1];
    }
    m->dY = p;
    p += cap * m->width[m->L];
    m->dX = p;
    p += cap * m->width[0];
    m->scratch = p;
    return PA_OK;
}

/* tanh on 16 floats at a time (GCC/Clang generic vectors; the compiler splits
 * a 16-float vector into the target's SIMD registers). With y = 2|x|
 * clamped to 40 (tanh(20) rounds to 1 in float) and e = expm1(y):
 *   tanh|x| = e / (e + 2),
 *   e = 2^k (expm1(r) + 1) − 1 = 2^k·expm1(r) + (2^k − 1),
 *   k = round(y / ln 2), r = y − k ln 2 (ln 2 split in two, Cody and Waite
 *   1980), |r| <= ln2/2, expm1(r) by its Taylor series to r^8/8!
 *   (truncation < |r|^9/9! < 2e-10 relative).
 * k = 0 gives expm1 with full relative accuracy near 0; for k >= 1 both
 * terms are >= −0.3·2^k and 2^k − 1 >= 1, so there is no cancellation worth
 * more than a few ulps. One polynomial, one division, no branch per element.
 * Accuracy against libm tanh is checked in tests/test_mlp.c. */
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

static inline void tanh16(float *z)
{
    v16f x;
    memcpy(&x, z, sizeof x);
    const v16i absmask = (v16i){0} + 0x7fffffff;
    v16f y = (v16f)((v16i)x & absmask) * 2.0f;
    v16i big = y > 40.0f;
    y = (v16f)(((v16i)y & ~big) | ((v16i)((v16f){0} + 40.0f) & big));
    v16i k = __builtin_convertvector(y * 1.44269504088896341f + 0.5f, v16i);
    v16f kf = __builtin_convertvector(k, v16f);
    v16f r = (y - kf * 0.693145751953125f) - kf * 1.42860682030941723212e-6f;
    /* expm1(r) = r(1 + r/2(1 + r/3(1 + ... (1 + r/8)))) */
    v16f p = 1.0f + r * (1.0f / 8.0f);
    p = 1.0f + r * (1.0f / 7.0f) * p;
    p = 1.0f + r * (1.0f / 6.0f) * p;
    p = 1.0f + r * (1.0f / 5.0f) * p;
    p = 1.0f + r * (1.0f / 4.0f) * p;
    p = 1.0f + r * (1.0f / 3.0f) * p;
    p = 1.0f + r * (1.0f / 2.0f) * p;
    p = r * p;
    v16f two_k = (v16f)((k + 127) << 23);
    v16f e = two_k * p + (two_k - 1.0f);
    v16f t = e / (e + 2.0f);
    x = (v16f)((v16i)t | ((v16i)x & ~absmask));
    memcpy(z, &x, sizeof x);
}

/* Compiled twice on x86-64 (baseline and AVX2+FMA), chosen at load time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
static void tanh_inplace(float *z, size_t n)
{
    size_t k = 0;
    for (; k + 16 <= n; k += 16)
        tanh16(z + k);
    if (k < n) {
        float tail[16] = {0};
        memcpy(tail, z + k, (n - k) * sizeof(float));
        tanh16(tail);
        memcpy(z + k, tail, (n - k) * sizeof(float));
    }
}

/* dst = c·src (n floats), 16 at a time. */
static void scale_copy(float *dst, const float *src, float c, size_t n)
{
    size_t k = 0;
    for (; k + 16 <= n; k += 16) {
        v16f v;
        memcpy(&v, src + k, sizeof v);
        v *= c;
        memcpy(dst + k, &v, sizeof v);
    }
    for (; k < n; k++)
        dst[k] = c * src[k];
}

static void act_forward(mlp_act a, float *z, size_t n)
{
    switch (a) {
    case MLP_IDENTITY:
        break;
    case MLP_TANH:
        tanh_inplace(z, n);
        break;
    case MLP_SIGMOID:
        for (size_t k = 0; k < n; k++)
            z[k] = 1.0f / (1.0f + expf(-z[k]));
        break;
    case MLP_RELU:
        for (size_t k = 0; k < n; k++)
            z[k] = z[k] > 0.0f ? z[k] : 0.0f;
        break;
    }
}

/* g ⊙= act'(z) written in terms of the output a = act(z). */
static void act_backward(mlp_act act, float *restrict g, const float *restrict a, size_t n)
{
    switch (act) {
    case MLP_IDENTITY:
        break;
    case MLP_TANH:
        for (size_t k = 0; k < n; k++)
            g[k] *= 1.0f - a[k] * a[k];
        break;
    case MLP_SIGMOID:
        for (size_t k = 0; k < n; k++)
            g[k] *= a[k] * (1.0f - a[k]);
        break;
    case MLP_RELU:
        for (size_t k = 0; k < n; k++)
            g[k] = a[k] > 0.0f ? g[k] : 0.0f;
        break;
    }
}

int mlp_forward(mlp *m, const float *X, size_t B, const float **Y, pa_err *err)
{
    if (Y)
        *Y = NULL;
    if (B < 1 || !X)
        return pa_errf(err, PA_EINPUT, "mlp_forward: need B >= 1 rows of X (got B = %zu)", B);
    if (reserve(m, B) != PA_OK)
        return pa_errf(err, PA_ENOMEM, "mlp_forward: out of memory for a batch of %zu rows", B);
    m->B = B;
    memcpy(m->A[0], X, B * m->width[0] * sizeof(float));
    for (size_t l = 0; l < m->L; l++) {
        size_t in = m->width[l], out = m->width[l + 1];
        const float *W = m->params + m->woff[l], *b = W + out * in;
        float *Z = m->A[l + 1];
        for (size_t i = 0; i < B; i++)
            memcpy(Z + i * out, b, out * sizeof(float));
        /* Z = A_l W_lᵀ + 1 bᵀ */
        pa_blas_threads_for((double)B * out * in);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)out, (int)in,
                    1.0f, m->A[l], (int)in, W, (int)in, 1.0f, Z, (int)out);
        act_forward(layer_act(m, l), Z, B * out);
    }
    if (Y)
        *Y = m->A[m->L];
    return PA_OK;
}

int mlp_loss_xent(mlp *m, const int32_t *y, float *loss, double *sum, pa_err *err)
{
    size_t p = m->width[m->L], B = m->B;
    if (p < 2)
        return pa_errf(err, PA_EINPUT, "mlp_loss_xent: need p >= 2 outputs, got %zu", p);
    for (size_t i = 0; i < B; i++)
        if (y[i] < 0 || (size_t)y[i] >= p)
            return pa_errf(err, PA_EINPUT, "mlp_loss_xent: label y[%zu] = %d, expected 0..%zu",
                           i, (int)y[i], p - 1);
    double total = 0.0;
    for (size_t i = 0; i < B; i++) {
        const float *z = m->A[m->L] + i * p;
        float *g = m->dY + i * p;
        double mx = z[0];
        for (size_t j = 1; j < p; j++)
            if (z[j] > mx)
                mx = z[j];
        double s = 0.0;
        for (size_t j = 0; j < p; j++)
            s += exp(z[j] - mx);
        double lse = mx + log(s);
        for (size_t j = 0; j < p; j++)
            g[j] = (float)exp(z[j] - lse);
        g[y[i]] -= 1.0f;
        double li = lse - z[y[i]];
        if (loss)
            loss[i] = (float)li;
        total += li;
    }
    if (sum)
        *sum = total;
    return PA_OK;
}

int mlp_loss_mse(mlp *m, const float *T, float *loss, double *sum, pa_err *err)
{
    size_t p = m->width[m->L], B = m->B;
    double total = 0.0;
    for (size_t i = 0; i < B; i++) {
        const float *yh = m->A[m->L] + i * p, *t = T + i * p;
        float *g = m->dY + i * p;
        double li = 0.0;
        for (size_t j = 0; j < p; j++) {
            g[j] = yh[j] - t[j];
            li += 0.5 * (double)g[j] * g[j];
        }
        if (loss)
            loss[i] = (float)li;
        total += li;
    }
    if (sum)
        *sum = total;
    return PA_OK;
}

void mlp_seed(mlp *m, const float *dY)
{
    memcpy(m->dY, dY, m->B * m->width[m->L] * sizeof(float));
}

double mlp_accuracy(const mlp *m, const int32_t *y)
{
    size_t p = m->width[m->L], B = m->B, hit = 0;
    for (size_t i = 0; i < B; i++) {
        const float *z = m->A[m->L] + i * p;
        size_t best = 0;
        for (size_t j = 1; j < p; j++)
            if (z[j] > z[best])
                best = j;
        hit += (int32_t)best == y[i];
    }
    return B ? (double)hit / (double)B : 0.0;
}

void mlp_backprop(mlp *m, int need_dx)
{
    size_t B = m->B, L = m->L;
    memcpy(m->G[L - 1], m->dY, B * m->width[L] * sizeof(float));
    act_backward(layer_act(m, L - 1), m->G[L - 1], m->A[L], B * m->width[L]);
    for (size_t l = L - 1; l >= 1; l--) {
        size_t in = m->width[l], out = m->width[l + 1];
        const float *W = m->params + m->woff[l];
        /* G_{l-1} = (G_l W_l) ⊙ act'(A_l) */
        pa_blas_threads_for((double)B * in * out);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)in, (int)out,
                    1.0f, m->G[l], (int)out, W, (int)in, 0.0f, m->G[l - 1], (int)in);
        act_backward(layer_act(m, l - 1), m->G[l - 1], m->A[l], B * in);
    }
    if (need_dx) {
        pa_blas_threads_for((double)B * m->width[0] * m->width[1]);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)m->width[0],
                    (int)m->width[1], 1.0f, m->G[0], (int)m->width[1], m->params,
                    (int)m->width[0], 0.0f, m->dX, (int)m->width[0]);
    }
}

void mlp_grad_accumulate(mlp *m, const float *c, float scale, float beta)
{
    size_t B = m->B;
    for (size_t l = 0; l < m->L; l++) {
        size_t in = m->width[l], out = m->width[l + 1];
        float *dW = m->grads + m->woff[l], *db = dW + out * in;
        const float *G = m->G[l];
        if (c) {
            for (size_t i = 0; i < B; i++)
                scale_copy(m->scratch + i * out, G + i * out, c[i], out);
            G = m->scratch;
        }
        /* dW = beta dW + scale Gᵀ diag(c) A ;  db = beta db + scale Gᵀ diag(c) 1 */
        pa_blas_threads_for((double)B * out * in);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)B,
                    scale, G, (int)out, m->A[l], (int)in, beta, dW, (int)in);
        cblas_sgemv(CblasRowMajor, CblasTrans, (int)B, (int)out, scale, G, (int)out,
                    m->ones, 1, beta, db, 1);
    }
}

void mlp_backward(mlp *m, float scale)
{
    mlp_backprop(m, 0);
    mlp_grad_accumulate(m, NULL, scale, 0.0f);
}

void mlp_example_sqnorms(const mlp *m, double *sq)
{
    size_t B = m->B;
    for (size_t i = 0; i < B; i++)
        sq[i] = 0.0;
    for (size_t l = 0; l < m->L; l++) {
        size_t in = m->width[l], out = m->width[l + 1];
        const float *A = m->A[l], *G = m->G[l];
        for (size_t i = 0; i < B; i++) {
            double a2 = cblas_sdot((int)in, A + i * in, 1, A + i * in, 1);
            double g2 = cblas_sdot((int)out, G + i * out, 1, G + i * out, 1);
            sq[i] += g2 * (a2 + 1.0);
        }
    }
}

void mlp_example_grad_naive(const mlp *m, size_t i, double *g)
{
    for (size_t l = 0; l < m->L; l++) {
        size_t in = m->width[l], out = m->width[l + 1];
        const float *a = m->A[l] + i * in, *gi = m->G[l] + i * out;
        double *dW = g + m->woff[l], *db = dW + out * in;
        for (size_t r = 0; r < out; r++) {
            for (size_t k = 0; k < in; k++)
                dW[r * in + k] = (double)gi[r] * a[k];
            db[r] = gi[r];
        }
    }
}

/* ---- Adam ---- */

struct mlp_adam {
    size_t P;
    mlp_adam_cfg cfg;
    long t;
    float *mv;          /* one buffer: m (P) then v (P) */
};

int mlp_adam_new(size_t P, const mlp_adam_cfg *cfg, mlp_adam **out, pa_err *err)
{
    *out = NULL;
    if (!(cfg->lr > 0))
        return pa_errf(err, PA_EINPUT, "mlp_adam_new: lr = %g, expected > 0", cfg->lr);
    if (!(cfg->beta1 >= 0 && cfg->beta1 < 1) || !(cfg->beta2 >= 0 && cfg->beta2 < 1))
        return pa_errf(err, PA_EINPUT, "mlp_adam_new: beta1 = %g, beta2 = %g, expected in [0, 1)",
                       cfg->beta1, cfg->beta2);
    if (!(cfg->eps > 0) || !(cfg->weight_decay >= 0))
        return pa_errf(err, PA_EINPUT, "mlp_adam_new: eps = %g (expected > 0), weight_decay = %g "
                       "(expected >= 0)", cfg->eps, cfg->weight_decay);
    mlp_adam *a = pa_calloc(1, sizeof *a);
    float *mv = pa_calloc(2 * (P ? P : 1), sizeof(float));
    if (!a || !mv) {
        free(a);
        free(mv);
        return pa_errf(err, PA_ENOMEM, "mlp_adam_new: out of memory for %zu parameters", P);
    }
    a->P = P;
    a->cfg = *cfg;
    a->mv = mv;
    *out = a;
    return PA_OK;
}

void mlp_adam_free(mlp_adam *a)
{
    if (!a)
        return;
    free(a->mv);
    free(a);
}

void mlp_adam_set_lr(mlp_adam *a, double lr) { a->cfg.lr = lr; }

void mlp_adam_step(mlp_adam *a, float *restrict theta, const float *restrict g)
{
    a->t++;
    double b1 = a->cfg.beta1, b2 = a->cfg.beta2;
    float fb1 = (float)b1, fb2 = (float)b2, c1 = (float)(1 - b1), c2 = (float)(1 - b2);
    float s1 = (float)(1.0 / (1.0 - pow(b1, (double)a->t)));
    float s2 = (float)(1.0 / (1.0 - pow(b2, (double)a->t)));
    float lr = (float)a->cfg.lr, eps = (float)a->cfg.eps, wd = (float)a->cfg.weight_decay;
    float *restrict mm = a->mv, *restrict vv = a->mv + a->P;
    for (size_t k = 0; k < a->P; k++) {
        float gk = g[k];
        mm[k] = fb1 * mm[k] + c1 * gk;
        vv[k] = fb2 * vv[k] + c2 * gk * gk;
        theta[k] -= lr * (mm[k] * s1 / (sqrtf(vv[k] * s2) + eps) + wd * theta[k]);
    }
}
