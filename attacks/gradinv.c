/* gradinv.c — gradient inversion attacks (attacks/gradinv.h), in double.
 *
 * Dimensions: B = batch, d = inputs, p = classes, L = layers, P = parameters,
 * w[l] = width of layer l's input (w[0] = d, w[L] = p), H, W = image shape.
 *
 * Forward (row-major, PyTorch layout W_l (w[l+1], w[l])):
 *   Z_l = A_l W_lᵀ + 1 b_lᵀ,  A_{l+1} = σ_l(Z_l),  A_0 = X,  Y = A_L = Z_{L-1}
 *   L = (1/B) Σ_b [logsumexp(Y_b) − Y_b[y_b]],  S = softmax(Y) row-wise.
 * Backward: G_{L-1} = (S − E)/B, G_{l-1} = (G_l W_l) ⊙ σ'(Z_{l-1}),
 *   ∇W_l = G_lᵀ A_l, ∇b_l = Σ_b G_l[b].
 *
 * Double backpropagation (reverse over forward). For a direction v = (V_l,
 * c_l) in parameter space, h(X) = ⟨∇θ L, v⟩ is the directional derivative of
 * L along v, computed by a tangent (forward-mode) pass in θ:
 *   Ȧ_0 = 0,  Ż_l = Ȧ_l W_lᵀ + A_l V_lᵀ + 1 c_lᵀ,  Ȧ_{l+1} = σ'(Z_l) ⊙ Ż_l,
 *   h = (1/B) Σ_b (S_b − e_{y_b}) · Ẏ_b.
 * Then reverse mode through both passes. With ū = ∂h/∂u for a primal u and
 * ū̇ = ∂h/∂u̇ for a tangent u̇:
 *   seed:  Ā̇_L = (S − E)/B,  Ā_L[b] = (1/B)(S_b ⊙ Ẏ_b − S_b (S_b · Ẏ_b))
 *          (the softmax Jacobian diag(S_b) − S_b S_bᵀ is symmetric);
 *   layer l = L−1 … 0:
 *     Ż̄_l = σ'(Z_l) ⊙ Ā̇_{l+1}
 *     Z̄_l = σ'(Z_l) ⊙ Ā_{l+1} + σ''(Z_l) ⊙ Ż_l ⊙ Ā̇_{l+1}
 *     Ā_l = Z̄_l W_l + Ż̄_l V_l,   Ā̇_l = Ż̄_l W_l
 *   ∂h/∂X = Ā_0.
 * σ' and σ'' from the activation a = σ(z): tanh 1−a², −2a(1−a²); sigmoid
 * a(1−a), a(1−a)(1−2a); relu [z>0], 0; identity 1, 0. Every product is a
 * cblas_dgemm.
 */
#include "attacks/gradinv.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

struct gi_net {
    size_t L;           /* layers */
    size_t *w;          /* (L+1) widths */
    mlp_act hidden;     /* activation of layers 0..L-2 */
    size_t P;           /* parameters */
    size_t *woff;       /* (L) offset of W_l in theta */
    size_t *boff;       /* (L) offset of b_l in theta */
    size_t *aoff;       /* (L+1) offset of A_l's rows in a per-example buffer of S = Σ w */
    size_t S;           /* Σ_{l=0..L} w[l] */
    double *theta;      /* (P) */
    /* work space for batches of up to cap rows, each (cap, S) row blocks
     * addressed as X + B·aoff[l] (layer l block (B, w[l])) */
    size_t cap;
    size_t B;           /* batch of the last forward */
    double *A, *Z, *Ad, *Zd, *Abar, *Adbar, *Zbar, *Zdbar, *G, *Sm; /* Sm (cap, p) softmax */
    double *tmp;        /* (P) */
};

/* ---- activations ---- */

static double act_f(mlp_act a, double z)
{
    switch (a) {
    case MLP_TANH: return tanh(z);
    case MLP_SIGMOID: return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
    case MLP_RELU: return z > 0 ? z : 0.0;
    default: return z;
    }
}

static double act_d1(mlp_act a, double z, double y)
{
    switch (a) {
    case MLP_TANH: return 1.0 - y * y;
    case MLP_SIGMOID: return y * (1.0 - y);
    case MLP_RELU: return z > 0 ? 1.0 : 0.0;
    default: return 1.0;
    }
}

static double act_d2(mlp_act a, double y)
{
    switch (a) {
    case MLP_TANH: return -2.0 * y * (1.0 - y * y);
    case MLP_SIGMOID: return y * (1.0 - y) * (1.0 - 2.0 * y);
    default: return 0.0;
    }
}

static mlp_act layer_act(const gi_net *n, size_t l)
{
    return l + 1 < n->L ? n->hidden : MLP_IDENTITY;
}

/* ---- construction ---- */

int gi_net_from_mlp(const mlp *m, gi_net **out, pa_err *err)
{
    *out = NULL;
    size_t L = mlp_nlayers(m);
    mlp_layer_view v;
    mlp_layer(m, L - 1, &v);
    if (v.act != MLP_IDENTITY)
        return pa_errf(err, PA_EINPUT, "gradinv: the victim MLP's output activation must be identity "
                                       "(logits for softmax cross-entropy)");
    if (mlp_width(m, L) < 2)
        return pa_errf(err, PA_EINPUT, "gradinv: the victim MLP needs >= 2 outputs (classes), has %zu",
                       mlp_width(m, L));
    gi_net *n = pa_calloc(1, sizeof *n);
    if (!n)
        return pa_errf(err, PA_ENOMEM, "gradinv: out of memory");
    n->L = L;
    n->w = pa_calloc(L + 1, sizeof *n->w);
    n->woff = pa_calloc(L, sizeof *n->woff);
    n->boff = pa_calloc(L, sizeof *n->boff);
    n->aoff = pa_calloc(L + 1, sizeof *n->aoff);
    n->P = mlp_nparams(m);
    n->theta = pa_calloc(n->P, sizeof *n->theta);
    n->tmp = pa_calloc(n->P, sizeof *n->tmp);
    if (!n->w || !n->woff || !n->boff || !n->aoff || !n->theta || !n->tmp) {
        gi_net_free(n);
        return pa_errf(err, PA_ENOMEM, "gradinv: out of memory");
    }
    n->hidden = MLP_IDENTITY;
    size_t off = 0;
    for (size_t l = 0; l <= L; l++) {
        n->w[l] = mlp_width(m, l);
        n->aoff[l] = n->S;
        n->S += n->w[l];
    }
    for (size_t l = 0; l < L; l++) {
        mlp_layer(m, l, &v);
        if (l + 1 < L)
            n->hidden = v.act;
        n->woff[l] = off;
        off += n->w[l] * n->w[l + 1];
        n->boff[l] = off;
        off += n->w[l + 1];
    }
    const float *th = mlp_params((mlp *)m);
    for (size_t k = 0; k < n->P; k++)
        n->theta[k] = th[k];
    *out = n;
    return PA_OK;
}

void gi_net_free(gi_net *n)
{
    if (!n)
        return;
    free(n->w);
    free(n->woff);
    free(n->boff);
    free(n->aoff);
    free(n->theta);
    free(n->tmp);
    free(n->A);
    free(n->Z);
    free(n->Ad);
    free(n->Zd);
    free(n->Abar);
    free(n->Adbar);
    free(n->Zbar);
    free(n->Zdbar);
    free(n->G);
    free(n->Sm);
    free(n);
}

size_t gi_net_nparams(const gi_net *n) { return n->P; }
size_t gi_net_inputs(const gi_net *n) { return n->w[0]; }
size_t gi_net_classes(const gi_net *n) { return n->w[n->L]; }
double *gi_net_params(gi_net *n) { return n->theta; }

static int net_reserve(gi_net *n, size_t B, pa_err *err)
{
    if (B <= n->cap)
        return PA_OK;
    double **bufs[] = {&n->A, &n->Z, &n->Ad, &n->Zd, &n->Abar, &n->Adbar, &n->Zbar, &n->Zdbar, &n->G};
    for (size_t k = 0; k < sizeof bufs / sizeof bufs[0]; k++) {
        free(*bufs[k]);
        *bufs[k] = pa_calloc(B * n->S, sizeof(double));
    }
    free(n->Sm);
    n->Sm = pa_calloc(B * n->w[n->L], sizeof(double));
    for (size_t k = 0; k < sizeof bufs / sizeof bufs[0]; k++)
        if (!*bufs[k])
            goto oom;
    if (!n->Sm)
        goto oom;
    n->cap = B;
    return PA_OK;
oom:
    n->cap = 0;
    return pa_errf(err, PA_ENOMEM, "gradinv: out of memory for a batch of %zu", B);
}

/* Layer-l block (B, w[l]) of a per-role buffer. For Z-like buffers the block
 * of layer l (output of layer l, width w[l+1]) is stored at aoff[l+1]. */
#define BLK(buf, l) ((buf) + n->B * n->aoff[l])

/* Forward pass: fills A, Z (Z_l at block l+1), softmax Sm. */
static int net_forward(gi_net *n, const double *X, size_t B, pa_err *err)
{
    int rc = net_reserve(n, B, err);
    if (rc)
        return rc;
    n->B = B;
    memcpy(BLK(n->A, 0), X, B * n->w[0] * sizeof(double));
    for (size_t l = 0; l < n->L; l++) {
        size_t in = n->w[l], o = n->w[l + 1];
        const double *Wl = n->theta + n->woff[l], *bl = n->theta + n->boff[l];
        double *Z = BLK(n->Z, l + 1), *Ain = BLK(n->A, l), *Aout = BLK(n->A, l + 1);
        for (size_t b = 0; b < B; b++)
            memcpy(Z + b * o, bl, o * sizeof(double));
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)o, (int)in, 1.0, Ain, (int)in,
                    Wl, (int)in, 1.0, Z, (int)o);
        mlp_act a = layer_act(n, l);
        for (size_t k = 0; k < B * o; k++)
            Aout[k] = act_f(a, Z[k]);
    }
    size_t p = n->w[n->L];
    const double *Y = BLK(n->A, n->L);
    for (size_t b = 0; b < B; b++) {
        double mx = -INFINITY, s = 0;
        for (size_t j = 0; j < p; j++)
            mx = fmax(mx, Y[b * p + j]);
        for (size_t j = 0; j < p; j++)
            s += (n->Sm[b * p + j] = exp(Y[b * p + j] - mx));
        for (size_t j = 0; j < p; j++)
            n->Sm[b * p + j] /= s;
    }
    return PA_OK;
}

/* Backward pass of the mean cross-entropy: G (block l+1 = ∂L/∂Z_l), g (P). */
static int net_backward(gi_net *n, const int32_t *y, double *g, double *loss, pa_err *err)
{
    size_t B = n->B, p = n->w[n->L], L = n->L;
    const double *Y = BLK(n->A, L);
    double *GL = BLK(n->G, L);
    double ls = 0;
    for (size_t b = 0; b < B; b++) {
        if (y[b] < 0 || (size_t)y[b] >= p)
            return pa_errf(err, PA_EINPUT, "gradinv: label %d of batch row %zu is outside [0, %zu)",
                           (int)y[b], b, p);
        double mx = -INFINITY, s = 0;
        for (size_t j = 0; j < p; j++)
            mx = fmax(mx, Y[b * p + j]);
        for (size_t j = 0; j < p; j++)
            s += exp(Y[b * p + j] - mx);
        ls += mx + log(s) - Y[b * p + (size_t)y[b]];
        for (size_t j = 0; j < p; j++)
            GL[b * p + j] = (n->Sm[b * p + j] - (j == (size_t)y[b])) / (double)B;
    }
    if (loss)
        *loss = ls / (double)B;
    for (size_t l = L; l-- > 0;) {
        size_t in = n->w[l], o = n->w[l + 1];
        const double *Gl = BLK(n->G, l + 1), *Ain = BLK(n->A, l), *Wl = n->theta + n->woff[l];
        if (g) {
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)o, (int)in, (int)B, 1.0, Gl, (int)o,
                        Ain, (int)in, 0.0, g + n->woff[l], (int)in);
            double *db = g + n->boff[l];
            memset(db, 0, o * sizeof(double));
            for (size_t b = 0; b < B; b++)
                for (size_t j = 0; j < o; j++)
                    db[j] += Gl[b * o + j];
        }
        if (l > 0) {
            double *Gp = BLK(n->G, l);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)in, (int)o, 1.0, Gl, (int)o,
                        Wl, (int)in, 0.0, Gp, (int)in);
            const double *Zp = BLK(n->Z, l), *Ap = BLK(n->A, l);
            mlp_act a = layer_act(n, l - 1);
            for (size_t k = 0; k < B * in; k++)
                Gp[k] *= act_d1(a, Zp[k], Ap[k]);
        }
    }
    return PA_OK;
}

/* Reverse over forward: dX = ∂/∂X ⟨∇θ L, v⟩ after net_forward + net_backward. */
static void net_rop_dx(gi_net *n, const double *v, double *dX)
{
    size_t B = n->B, L = n->L, p = n->w[L];
    /* tangent forward */
    for (size_t l = 0; l < L; l++) {
        size_t in = n->w[l], o = n->w[l + 1];
        const double *Wl = n->theta + n->woff[l], *Vl = v + n->woff[l], *cl = v + n->boff[l];
        double *Zd = BLK(n->Zd, l + 1);
        for (size_t b = 0; b < B; b++)
            memcpy(Zd + b * o, cl, o * sizeof(double));
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)o, (int)in, 1.0, BLK(n->A, l),
                    (int)in, Vl, (int)in, 1.0, Zd, (int)o);
        if (l > 0)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)o, (int)in, 1.0, BLK(n->Ad, l),
                        (int)in, Wl, (int)in, 1.0, Zd, (int)o);
        mlp_act a = layer_act(n, l);
        const double *Z = BLK(n->Z, l + 1), *Aout = BLK(n->A, l + 1);
        double *Ad = BLK(n->Ad, l + 1);
        for (size_t k = 0; k < B * o; k++)
            Ad[k] = act_d1(a, Z[k], Aout[k]) * Zd[k];
    }
    /* seeds */
    const double *Yd = BLK(n->Ad, L);
    double *AbL = BLK(n->Abar, L), *AdbL = BLK(n->Adbar, L);
    memcpy(AdbL, BLK(n->G, L), B * p * sizeof(double));
    for (size_t b = 0; b < B; b++) {
        const double *s = n->Sm + b * p, *yd = Yd + b * p;
        double sd = 0;
        for (size_t j = 0; j < p; j++)
            sd += s[j] * yd[j];
        for (size_t j = 0; j < p; j++)
            AbL[b * p + j] = s[j] * (yd[j] - sd) / (double)B;
    }
    /* reverse */
    for (size_t l = L; l-- > 0;) {
        size_t in = n->w[l], o = n->w[l + 1];
        mlp_act a = layer_act(n, l);
        const double *Z = BLK(n->Z, l + 1), *Aout = BLK(n->A, l + 1), *Zd = BLK(n->Zd, l + 1);
        const double *Ab = BLK(n->Abar, l + 1), *Adb = BLK(n->Adbar, l + 1);
        double *Zb = BLK(n->Zbar, l + 1), *Zdb = BLK(n->Zdbar, l + 1);
        for (size_t k = 0; k < B * o; k++) {
            double d1 = act_d1(a, Z[k], Aout[k]);
            Zdb[k] = d1 * Adb[k];
            Zb[k] = d1 * Ab[k] + act_d2(a, Aout[k]) * Zd[k] * Adb[k];
        }
        const double *Wl = n->theta + n->woff[l], *Vl = v + n->woff[l];
        double *Abin = l > 0 ? BLK(n->Abar, l) : dX;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)in, (int)o, 1.0, Zb, (int)o, Wl,
                    (int)in, 0.0, Abin, (int)in);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)in, (int)o, 1.0, Zdb, (int)o, Vl,
                    (int)in, 1.0, Abin, (int)in);
        if (l > 0)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)in, (int)o, 1.0, Zdb, (int)o,
                        Wl, (int)in, 0.0, BLK(n->Adbar, l), (int)in);
    }
}

int gi_net_grad(gi_net *n, const double *X, const int32_t *y, size_t B, double *g, double *loss,
                pa_err *err)
{
    if (B == 0)
        return pa_errf(err, PA_EINPUT, "gradinv: batch size B must be >= 1");
    int rc = net_forward(n, X, B, err);
    return rc ? rc : net_backward(n, y, g, loss, err);
}

int gi_net_grad_dot_dx(gi_net *n, const double *X, const int32_t *y, size_t B, const double *v,
                       double *dX, double *g, pa_err *err)
{
    int rc = gi_net_grad(n, X, y, B, g ? g : n->tmp, NULL, err);
    if (rc)
        return rc;
    net_rop_dx(n, v, dX);
    return PA_OK;
}

/* ---- matching loss ---- */

/* Anisotropic TV of one H×W image (Geiping et al.: mean |Δx| + mean |Δy|);
 * adds scale·∂TV/∂x to grad if grad is not NULL. */
static double tv_image(const double *x, size_t H, size_t W, double scale, double *grad)
{
    double sh = 0, sv = 0;
    double nh = (double)(H * (W - 1)), nv = (double)((H - 1) * W);
    for (size_t r = 0; r < H; r++)
        for (size_t c = 0; c + 1 < W; c++) {
            double dlt = x[r * W + c + 1] - x[r * W + c];
            sh += fabs(dlt);
            if (grad && nh > 0) {
                double s = (dlt > 0) - (dlt < 0);
                grad[r * W + c + 1] += scale * s / nh;
                grad[r * W + c] -= scale * s / nh;
            }
        }
    for (size_t r = 0; r + 1 < H; r++)
        for (size_t c = 0; c < W; c++) {
            double dlt = x[(r + 1) * W + c] - x[r * W + c];
            sv += fabs(dlt);
            if (grad && nv > 0) {
                double s = (dlt > 0) - (dlt < 0);
                grad[(r + 1) * W + c] += scale * s / nv;
                grad[r * W + c] -= scale * s / nv;
            }
        }
    return (nh > 0 ? sh / nh : 0) + (nv > 0 ? sv / nv : 0);
}

int gi_match_grad(gi_net *n, const gi_prior *pr, const double *gstar, const double *X,
                  const int32_t *y, size_t B, double *value, double *dX, pa_err *err)
{
    size_t P = n->P, d = n->w[0];
    if (pr->tv > 0 && pr->H * pr->W != d)
        return pa_errf(err, PA_EINPUT, "gradinv: TV prior needs H·W = d (H = %zu, W = %zu, d = %zu)",
                       pr->H, pr->W, d);
    double *g = n->tmp;
    int rc = gi_net_grad(n, X, y, B, g, NULL, err);
    if (rc)
        return rc;
    double M;
    /* v = dM/dg, written in place of g once M is known */
    if (pr->match == GI_MATCH_L2) {
        M = 0;
        for (size_t k = 0; k < P; k++) {
            double e = g[k] - gstar[k];
            M += e * e;
            g[k] = 2 * e;
        }
    } else {
        double gg = 0, ss = 0, gs = 0;
        for (size_t k = 0; k < P; k++) {
            gg += g[k] * g[k];
            ss += gstar[k] * gstar[k];
            gs += g[k] * gstar[k];
        }
        double ng = sqrt(gg), ns = sqrt(ss);
        if (ng == 0 || ns == 0)
            return pa_errf(err, PA_EINPUT, "gradinv: cosine matching of a zero gradient (‖g‖ = %g, ‖g*‖ = %g)",
                           ng, ns);
        M = 1 - gs / (ng * ns);
        for (size_t k = 0; k < P; k++)
            g[k] = -(gstar[k] / (ng * ns) - gs * g[k] / (gg * ng * ns));
    }
    if (dX)
        net_rop_dx(n, g, dX);
    if (pr->tv > 0)
        for (size_t b = 0; b < B; b++)
            M += pr->tv / (double)B *
                 tv_image(X + b * d, pr->H, pr->W, pr->tv / (double)B, dX ? dX + b * d : NULL);
    *value = M;
    return PA_OK;
}

/* ---- analytic recovery and labels ---- */

int gi_analytic(const gi_net *n, const double *g, double *xhat, size_t *best_row, pa_err *err)
{
    size_t d = n->w[0], h = n->w[1];
    const double *dW = g + n->woff[0], *db = g + n->boff[0];
    double mx = 0;
    size_t best = 0;
    for (size_t i = 0; i < h; i++)
        if (fabs(db[i]) > mx) {
            mx = fabs(db[i]);
            best = i;
        }
    if (best_row)
        *best_row = best;
    if (!(mx > 0))
        return pa_errf(err, PA_EINPUT, "gradinv: the first layer's bias gradient is zero: nothing to recover");
    double den = 0;
    memset(xhat, 0, d * sizeof(double));
    for (size_t i = 0; i < h; i++) {
        if (fabs(db[i]) <= 1e-12 * mx)
            continue;
        double s = db[i] > 0 ? 1.0 : -1.0;
        den += fabs(db[i]);
        cblas_daxpy((int)d, s, dW + i * d, 1, xhat, 1);
    }
    cblas_dscal((int)d, 1.0 / den, xhat, 1);
    return PA_OK;
}

int gi_idlg_labels(const gi_net *n, const double *g, size_t B, int32_t *y, pa_err *err)
{
    size_t p = n->w[n->L];
    if (B == 0 || B > p)
        return pa_errf(err, PA_EINPUT, "gradinv: iDLG recovers 1..%zu distinct labels, asked for B = %zu", p, B);
    const double *db = g + n->boff[n->L - 1];
    /* selection of the B smallest, ties to the lower index */
    for (size_t k = 0; k < B; k++) {
        size_t best = p;
        for (size_t j = 0; j < p; j++) {
            int used = 0;
            for (size_t t = 0; t < k; t++)
                used |= (size_t)y[t] == j;
            if (!used && (best == p || db[j] < db[best]))
                best = j;
        }
        y[k] = (int32_t)best;
    }
    return PA_OK;
}

/* ---- projection ---- */

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, z = *(const double *)b;
    return (x < z) - (x > z);
}

/* Projects u (len) onto the probability simplex in place: x = max(u − τ, 0)
 * with Σ x = 1 (Duchi, Shalev-Shwartz, Singer, Chandra 2008, Fig. 1): sort
 * descending, ρ = max{j : s_j − (Σ_{r<=j} s_r − 1)/j > 0}, τ = (Σ_{r<=ρ} s_r − 1)/ρ.
 * Blocks longer than the scratch buffer fall back to bisection on τ. */
static void simplex_project(double *u, size_t len)
{
    double srt[1024], tau;
    if (len <= sizeof srt / sizeof srt[0]) {
        memcpy(srt, u, len * sizeof *u);
        qsort(srt, len, sizeof *srt, cmp_desc);
        double cum = 0, cr = 0;
        size_t rho = 1;
        for (size_t j = 0; j < len; j++) {
            cum += srt[j];
            if (srt[j] - (cum - 1) / (double)(j + 1) > 0) {
                rho = j + 1;
                cr = cum;
            }
        }
        tau = (cr - 1) / (double)rho;
    } else {
        double hi = -INFINITY;
        for (size_t k = 0; k < len; k++)
            hi = fmax(hi, u[k]);
        double lo = hi - 1.0; /* Σ max(u − lo, 0) >= 1 */
        for (int it = 0; it < 200 && hi - lo > 1e-15 * fmax(1.0, fabs(hi)); it++) {
            double mid = 0.5 * (lo + hi), s = 0;
            for (size_t k = 0; k < len; k++)
                s += fmax(u[k] - mid, 0);
            if (s >= 1)
                lo = mid;
            else
                hi = mid;
        }
        double s = 0;
        size_t m = 0;
        for (size_t k = 0; k < len; k++)
            if (u[k] > lo) {
                s += u[k];
                m++;
            }
        tau = m ? (s - 1) / (double)m : lo;
    }
    for (size_t k = 0; k < len; k++)
        u[k] = fmax(u[k] - tau, 0);
}

void gi_project(const gi_domain *dom, double *X, size_t B, size_t d)
{
    for (size_t k = 0; k < B * d; k++)
        X[k] = fmin(1.0, fmax(0.0, X[k]));
    if (!dom)
        return;
    for (size_t b = 0; b < B; b++)
        for (size_t j = 0; j < dom->n_blocks; j++)
            simplex_project(X + b * d + dom->block_start[j], dom->block_len[j]);
}

/* ---- optimisation ---- */

int gi_opt_cfg_check(const gi_opt_cfg *c, size_t d, pa_err *err)
{
    if (c->iters < 1)
        return pa_errf(err, PA_EINPUT, "gradinv: iters must be >= 1");
    if (c->restarts < 1)
        return pa_errf(err, PA_EINPUT, "gradinv: restarts must be >= 1");
    if (!(c->lr > 0) || !isfinite(c->lr))
        return pa_errf(err, PA_EINPUT, "gradinv: lr must be a finite number > 0, got %g", c->lr);
    if (!(c->prior.tv >= 0))
        return pa_errf(err, PA_EINPUT, "gradinv: tv must be >= 0, got %g", c->prior.tv);
    if (c->prior.tv > 0 && c->prior.H * c->prior.W != d)
        return pa_errf(err, PA_EINPUT, "gradinv: tv needs an image shape with H·W = d = %zu", d);
    if (c->prior.match != GI_MATCH_L2 && c->prior.match != GI_MATCH_COS)
        return pa_errf(err, PA_EINPUT, "gradinv: match must be l2 or cos");
    if (c->dom)
        for (size_t j = 0; j < c->dom->n_blocks; j++)
            if (c->dom->block_len[j] < 1 || c->dom->block_start[j] + c->dom->block_len[j] > d)
                return pa_errf(err, PA_EINPUT, "gradinv: domain block %zu [%zu, +%zu) is outside the %zu inputs",
                               j, c->dom->block_start[j], c->dom->block_len[j], d);
    return PA_OK;
}

int gi_invert(gi_net *n, const gi_opt_cfg *cfg, const double *gstar, const int32_t *y, size_t B,
              gsl_rng *r, double *Xhat, double *value, pa_err *err)
{
    size_t d = n->w[0], D = B * d;
    int rc = gi_opt_cfg_check(cfg, d, err);
    if (rc)
        return rc;
    if (B == 0)
        return pa_errf(err, PA_EINPUT, "gradinv: batch size B must be >= 1");
    double *X = pa_malloc(4 * D, sizeof *X);
    if (!X)
        return pa_errf(err, PA_ENOMEM, "gradinv: out of memory");
    double *dX = X + D, *m1 = X + 2 * D, *m2 = X + 3 * D;
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    double best = INFINITY;
    for (size_t rs = 0; rs < cfg->restarts; rs++) {
        for (size_t k = 0; k < D; k++)
            X[k] = gsl_rng_uniform(r);
        gi_project(cfg->dom, X, B, d);
        memset(m1, 0, 2 * D * sizeof *m1);
        double M = INFINITY, p1 = 1, p2 = 1;
        for (size_t t = 0; t < cfg->iters; t++) {
            rc = gi_match_grad(n, &cfg->prior, gstar, X, y, B, &M, dX, err);
            if (rc)
                goto out;
            if (cfg->tol > 0 && M < cfg->tol)
                break;
            double lr = cfg->lr;
            if (t >= cfg->iters * 3 / 8)
                lr *= 0.1;
            if (t >= cfg->iters * 5 / 8)
                lr *= 0.1;
            if (t >= cfg->iters * 7 / 8)
                lr *= 0.1;
            p1 *= b1;
            p2 *= b2;
            for (size_t k = 0; k < D; k++) {
                double gk = cfg->sign ? (double)((dX[k] > 0) - (dX[k] < 0)) : dX[k];
                m1[k] = b1 * m1[k] + (1 - b1) * gk;
                m2[k] = b2 * m2[k] + (1 - b2) * gk * gk;
                X[k] -= lr * (m1[k] / (1 - p1)) / (sqrt(m2[k] / (1 - p2)) + eps);
            }
            gi_project(cfg->dom, X, B, d);
        }
        rc = gi_match_grad(n, &cfg->prior, gstar, X, y, B, &M, NULL, err);
        if (rc)
            goto out;
        if (M < best || rs == 0) {
            best = M;
            memcpy(Xhat, X, D * sizeof *X);
        }
    }
    if (value)
        *value = best;
out:
    free(X);
    return rc;
}

/* ---- metrics ---- */

double gi_mse(const double *a, const double *b, size_t d)
{
    double s = 0;
    for (size_t k = 0; k < d; k++)
        s += (a[k] - b[k]) * (a[k] - b[k]);
    return d ? s / (double)d : NAN;
}

double gi_psnr(double mse)
{
    return mse > 0 ? -10.0 * log10(mse) : (mse == 0 ? INFINITY : NAN);
}

double gi_ssim(const double *a, const double *b, size_t H, size_t W, size_t w)
{
    if (w < 1 || w % 2 == 0 || w > H || w > W)
        return NAN;
    const double C1 = 0.01 * 0.01, C2 = 0.03 * 0.03, nw = (double)(w * w);
    double tot = 0;
    size_t cnt = 0;
    for (size_t r = 0; r + w <= H; r++)
        for (size_t c = 0; c + w <= W; c++) {
            double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
            for (size_t i = 0; i < w; i++)
                for (size_t j = 0; j < w; j++) {
                    double x = a[(r + i) * W + c + j], z = b[(r + i) * W + c + j];
                    sa += x;
                    sb += z;
                    saa += x * x;
                    sbb += z * z;
                    sab += x * z;
                }
            double ma = sa / nw, mb = sb / nw;
            double va = saa / nw - ma * ma, vb = sbb / nw - mb * mb, cab = sab / nw - ma * mb;
            tot += ((2 * ma * mb + C1) * (2 * cab + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
            cnt++;
        }
    return tot / (double)cnt;
}

/* Brute force over permutations by recursion (B <= 8). */
static void perm_search(const double *cost, size_t B, size_t k, size_t *cur, unsigned used, double acc,
                        double *best, size_t *perm)
{
    if (acc >= *best)
        return;
    if (k == B) {
        *best = acc;
        memcpy(perm, cur, B * sizeof *perm);
        return;
    }
    for (size_t j = 0; j < B; j++)
        if (!(used & (1u << j))) {
            cur[k] = j;
            perm_search(cost, B, k + 1, cur, used | (1u << j), acc + cost[k * B + j], best, perm);
        }
}

int gi_match_records(const double *Xhat, const double *X, size_t B, size_t d, size_t *perm, pa_err *err)
{
    double *cost = pa_malloc(B * B, sizeof *cost);
    size_t *cur = pa_malloc(B, sizeof *cur);
    if (!cost || !cur) {
        free(cost);
        free(cur);
        return pa_errf(err, PA_ENOMEM, "gradinv: out of memory");
    }
    for (size_t k = 0; k < B; k++)
        for (size_t j = 0; j < B; j++)
            cost[k * B + j] = gi_mse(Xhat + k * d, X + j * d, d);
    if (B <= 8) {
        double best = INFINITY;
        for (size_t k = 0; k < B; k++)
            perm[k] = k;
        perm_search(cost, B, 0, cur, 0u, 0.0, &best, perm);
    } else {
        /* greedy: repeatedly the smallest remaining (reconstruction, record) pair */
        unsigned char *ur = pa_calloc(2 * B, 1);
        if (!ur) {
            free(cost);
            free(cur);
            return pa_errf(err, PA_ENOMEM, "gradinv: out of memory");
        }
        for (size_t t = 0; t < B; t++) {
            size_t bk = 0, bj = 0;
            double bc = INFINITY;
            for (size_t k = 0; k < B; k++)
                for (size_t j = 0; j < B; j++)
                    if (!ur[k] && !ur[B + j] && (cost[k * B + j] < bc || bc == INFINITY)) {
                        bc = cost[k * B + j];
                        bk = k;
                        bj = j;
                    }
            ur[bk] = ur[B + bj] = 1;
            perm[bk] = bj;
        }
        free(ur);
    }
    free(cost);
    free(cur);
    return PA_OK;
}

double gi_label_accuracy(const int32_t *yhat, const int32_t *y, size_t B)
{
    size_t hit = 0;
    unsigned char used[1024] = {0};
    for (size_t k = 0; k < B; k++)
        for (size_t j = 0; j < B && j < sizeof used; j++)
            if (!used[j] && yhat[k] == y[j]) {
                used[j] = 1;
                hit++;
                break;
            }
    return B ? (double)hit / (double)B : NAN;
}
