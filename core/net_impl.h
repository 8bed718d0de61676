/* net_impl.h — the body of core/net.h's engines, included once by net.c
 * (R = float, NS = net_) and once by netd.c (R = double, NS = netd_).
 * Before including, define:
 *   R            the real type
 *   NS(name)     the public prefix (net_##name / netd_##name)
 *   GEMM         cblas_sgemm / cblas_dgemm
 *   SYRK         cblas_ssyrk / cblas_dsyrk
 *   GEMV         cblas_sgemv / cblas_dgemv
 *
 * Dimensions as in net.h: L layers, B batch rows, n_l values per example of
 * tensor l, T rows per example of a weight layer's unfolded matrices, K and
 * Ko their widths, P parameters.
 *
 * Every weight layer (dense, conv, convT) is, per example i, a sum over T
 * rows of outer products: ∇W ℓ_i = Σ_t g_t a_tᵀ, with
 *   dense  T = 1,  a = input row (K = n_in),          g = output gradient (Ko = out)
 *   conv   T = H'W', a = unfolded input (K = k²C_in), g = output gradient (Ko = C_out)
 *   convT  T = H W,  a = input pixel (K = C_in),      g = unfolded output gradient (Ko = k²C_out)
 * stored as Am (B·T, K) and Gm (B·T, Ko). Dense and conv keep W as (Ko, K),
 * so ∇W = Gmᵀ Am; convT keeps W as (K, Ko), so ∇W = Amᵀ Gm. Everything that
 * needs per-example gradients (norms, clipped sum, tangents) works on these
 * two matrices.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "core/blas.h"

#define GN_EPS 1e-5
#define SMALLK 16           /* conv layers with K <= SMALLK use the direct kernels below */
/* Per-example gradients kept for the clipped sum: at most this many bytes
 * for all layers together (cap · Σ K·Ko reals), and only where keeping them
 * is cheaper than the ghost norm (see build_layers). */
#define STORE_BYTES ((size_t)256 << 20)
#define STORE_ALPHA 32      /* multiply-adds one stored value costs (write, norm, read back) */
#define SQ_CHUNKS 8         /* example_sqnorms shares a kept layer's examples out in this many chunks */
#define WINO_MIN_C 16       /* 3×3 stride-1 convs with C_in >= this use Winograd F(2×2, 3×3) when on */
#define WINO_P 16           /* transform points of F(2×2, 3×3): 4×4 */

typedef struct layer {
    net_kind kind;
    size_t Hi, Wi, Ci, Ho, Wo, Co, ni, no;
    size_t k, s, pad, opad, groups;
    net_act act;
    R slope;
    size_t poff, pcount;    /* parameters in θ */
    size_t T, K, Ko;        /* weight layers: unfolded matrices (see top) */
    int ghost;              /* per-example norms by the ghost identity (if not store) */
    int store_ok;           /* materialising and keeping ∇W ℓ_i is the cheapest clipped sum */
    int store;              /* ... and the buffer holds them for the current capacity */
    R *S;                   /* store: (cap, K·Ko) per-example ∇W ℓ_i in W's layout */
    size_t nb;              /* conv, convT: C_out bias entries; groupnorm: 2C (γ, β); else 0 */
    R *Sb;                  /* (cap, nb) per-example gradients of those, kept by example_sqnorms */
    R *U;                   /* conv: (cap·T, K) unfolded input; convT: (cap·T, Ko) unfolded output grad */
    R *TU;                  /* tangent of U */
    R *xhat, *rstd;         /* groupnorm: (cap, n) normalised input, (cap, groups) 1/σ */
    R *txhat, *trstd;       /* their tangents */
    /* Winograd F(2×2, 3×3) (see the kernels): nt output tiles of 2×2 per
     * example (th × tw), bnt input-gradient tiles (bth × btw) */
    int wok;                /* 3×3, stride 1, C_in >= WINO_MIN_C: may use Winograd */
    int wfwd;               /* the last forward used it (so backprop and the gradients do) */
    size_t th, tw, nt, bth, btw, bnt;
    size_t wh;              /* per batch row: 16·max(nt, bnt)·max(C_in, C_out) scratch reals */
    R *V;                   /* (16, B·nt, C_in) transformed input tiles Bᵀ d B, kept from forward */
    R *dM;                  /* (16, B·nt, C_out) transformed output gradient A dY Aᵀ */
    R *Uw;                  /* (16, C_out, C_in) transformed weights G g Gᵀ */
    R *dUw;                 /* (16, C_out, C_in) weight gradient at the 16 points */
    unsigned long u_at, dm_at;   /* generations (NET agen, dgen) at which U and dM were made */
} layer;

struct NET {
    size_t L;
    layer *ly;              /* (L) */
    size_t *n;              /* (L+1) values per example of each tensor */
    size_t P;
    R *params, *grads;      /* (P) */
    size_t cap, B;          /* rows the buffers hold; rows of the last forward */
    R **A;                  /* (L+1) layer outputs, A[0] = input (aliases for flatten) */
    R **D;                  /* (L+1) D[l] = ∂ℓ_i/∂A[l]; D[L] the seed, D[0] = dX */
    R **TA, **TD;           /* (L+1) tangents, allocated on the first tangent call */
    size_t tcap;            /* rows the tangent buffers hold */
    R *work;                /* (cap · maxwork) scratch */
    size_t maxwork;         /* per row of the batch */
    R *pex;                 /* per-example scratch (maxpex) */
    double *dpex;           /* (SQ_CHUNKS, maxpex) the same in double, one per chunk of examples */
    size_t maxpex;
    double *sqb;            /* (cap) squared norms for clip_sum */
    R *cb;                  /* (cap) clip factors for clip_sum */
    R *tdth;                /* (P) parameter direction of the last tangent_forward */
    R *kscr;                /* (SQ_CHUNKS, 2·SMALLK·max C_out) scratch of the narrow-GEMM kernels */
    size_t kstride;         /* 2·SMALLK·max C_out */
    int has_tdth;
    int stored;             /* S of the store layers holds the current batch (example_sqnorms) */
    R *ones;                /* (cap) all 1 (grad_accumulate with c = NULL from the store) */
    void *blocks[3];        /* owned allocations: activation/delta block, tangent block, store */
    int wino;               /* Winograd for the layers that allow it (NS(set_winograd)) */
    unsigned long agen;     /* forward count: U is current when a layer's u_at equals it */
    unsigned long dgen;     /* count of changes to D (seed, loss, backprop): dM current at dm_at */
    R *wbuf;                /* Uw and dUw of every Winograd layer */
};

/* ---- spec ---- */

static size_t stride_of(const net_layer_spec *s) { return s->stride ? s->stride : 1; }

static int build_layers(NET *m, const net_spec *spec, pa_err *err)
{
    size_t H = spec->H, W = spec->W, C = spec->C, P = 0;
    m->n[0] = H * W * C;
    size_t maxpex = 1;
    for (size_t l = 0; l < spec->L; l++) {
        const net_layer_spec *s = &spec->layer[l];
        layer *y = &m->ly[l];
        memset(y, 0, sizeof *y);
        y->kind = s->kind;
        y->Hi = H, y->Wi = W, y->Ci = C, y->ni = H * W * C;
        y->k = s->k, y->s = stride_of(s), y->pad = s->pad, y->opad = s->out_pad;
        y->groups = s->groups, y->act = s->act, y->slope = (R)s->slope;
        switch (s->kind) {
        case NET_DENSE:
            H = 1, W = 1, C = s->out;
            y->T = 1, y->K = y->ni, y->Ko = C;
            y->pcount = C * (y->ni + 1);
            break;
        case NET_CONV:
            H = (H + 2 * y->pad - y->k) / y->s + 1;
            W = (W + 2 * y->pad - y->k) / y->s + 1;
            C = s->out;
            y->T = H * W, y->K = y->k * y->k * y->Ci, y->Ko = C;
            y->pcount = C * (y->K + 1);
            y->wok = y->k == 3 && y->s == 1 && y->Ci >= WINO_MIN_C;
            if (y->wok) {
                size_t mc = y->Ci > C ? y->Ci : C;
                y->th = (H + 1) / 2, y->tw = (W + 1) / 2, y->nt = y->th * y->tw;
                y->bth = (y->Hi + 1) / 2, y->btw = (y->Wi + 1) / 2, y->bnt = y->bth * y->btw;
                y->wh = WINO_P * (y->nt > y->bnt ? y->nt : y->bnt) * mc;
            }
            break;
        case NET_CONVT:
            H = (H - 1) * y->s + y->k + y->opad - 2 * y->pad;
            W = (W - 1) * y->s + y->k + y->opad - 2 * y->pad;
            C = s->out;
            y->T = y->Hi * y->Wi, y->K = y->Ci, y->Ko = y->k * y->k * C;
            y->pcount = y->K * y->Ko + C;
            break;
        case NET_AVGPOOL:
            H = (H - y->k) / y->s + 1;
            W = (W - y->k) / y->s + 1;
            break;
        case NET_GROUPNORM:
            y->pcount = 2 * C;
            break;
        case NET_ACT:
            break;
        case NET_FLATTEN:
            C = H * W * C, H = 1, W = 1;
            break;
        }
        y->Ho = H, y->Wo = W, y->Co = C, y->no = H * W * C;
        y->poff = P;
        P += y->pcount;
        m->n[l + 1] = y->no;
        if (y->kind == NET_DENSE || y->kind == NET_CONV || y->kind == NET_CONVT) {
            /* per example: ghost norm T²(K + Ko)/2 multiply-adds (two SYRKs), then
             * the clipped sum's GEMM T·K·Ko again; materialised, T·K·Ko once,
             * and if kept, the sum reads K·Ko values (STORE_ALPHA each) instead
             * of a second GEMM (Bu et al. 2022's layerwise choice, with the
             * book-keeping of their BK algorithm where it pays) */
            double T2 = (double)y->T * (double)y->T, KKo = (double)y->K * (double)y->Ko;
            y->store_ok = y->T > 1 && STORE_ALPHA * KKo < 0.5 * T2 * (double)(y->K + y->Ko);
            y->ghost = 2 * y->T * y->T < y->K * y->Ko;   /* when not kept (or no room) */
            size_t need = y->ghost ? 2 * y->T * y->T : y->K * y->Ko;
            if (y->wok && (WINO_P + 9) * y->Ci * y->Co > need)   /* dU at 16 points, then ∇W */
                need = (WINO_P + 9) * y->Ci * y->Co;
            need += y->Co;
            if (need > maxpex)
                maxpex = need;
        }
        if (y->kind == NET_CONV || y->kind == NET_CONVT)
            y->nb = y->Co;
        if (y->kind == NET_GROUPNORM)
            y->nb = 2 * y->Ci;
        if (y->kind == NET_GROUPNORM && 4 * y->Ci > maxpex)
            maxpex = 4 * y->Ci;   /* 2C doubles + 3C reals */
    }
    m->P = P;
    m->maxpex = maxpex;
    (void)err;
    return PA_OK;
}

int NS(new)(const net_spec *spec, NET **out, pa_err *err)
{
    *out = NULL;
    int rc = net_spec_check(spec, err);
    if (rc)
        return rc;
    NET *m = pa_calloc(1, sizeof *m);
    if (!m)
        return pa_errf(err, PA_ENOMEM, "net_new: out of memory");
    m->L = spec->L;
    m->ly = pa_calloc(m->L, sizeof *m->ly);
    m->n = pa_calloc(m->L + 1, sizeof *m->n);
    m->A = pa_calloc(m->L + 1, sizeof *m->A);
    m->D = pa_calloc(m->L + 1, sizeof *m->D);
    m->TA = pa_calloc(m->L + 1, sizeof *m->TA);
    m->TD = pa_calloc(m->L + 1, sizeof *m->TD);
    if (!m->ly || !m->n || !m->A || !m->D || !m->TA || !m->TD)
        goto nomem;
    build_layers(m, spec, err);
    m->params = pa_calloc(m->P ? m->P : 1, sizeof(R));
    m->grads = pa_calloc(m->P ? m->P : 1, sizeof(R));
    m->pex = pa_malloc(SQ_CHUNKS * m->maxpex, sizeof(R));
    m->dpex = pa_malloc(SQ_CHUNKS * m->maxpex, sizeof(double));
    m->tdth = pa_calloc(m->P ? m->P : 1, sizeof(R));
    size_t maxco = 1;
    for (size_t l = 0; l < m->L; l++)
        if (m->ly[l].Co > maxco)
            maxco = m->ly[l].Co;
    size_t nw = 0;
    for (size_t l = 0; l < m->L; l++) {
        if (m->ly[l].Ci > maxco)
            maxco = m->ly[l].Ci;
        if (m->ly[l].wok)
            nw += 2 * WINO_P * m->ly[l].Ci * m->ly[l].Co;
    }
    m->kstride = 2 * SMALLK * maxco;   /* also a row of zeros for the Winograd transforms */
    m->wino = NET_WINO_DEFAULT;
    m->agen = m->dgen = 1;
    m->wbuf = pa_malloc(nw ? nw : 1, sizeof(R));
    for (size_t l = 0, o = 0; m->wbuf && l < m->L; l++)
        if (m->ly[l].wok) {
            m->ly[l].Uw = m->wbuf + o;
            m->ly[l].dUw = m->wbuf + o + WINO_P * m->ly[l].Ci * m->ly[l].Co;
            o += 2 * WINO_P * m->ly[l].Ci * m->ly[l].Co;
        }
    m->kscr = pa_malloc(SQ_CHUNKS * m->kstride, sizeof(R));
    if (!m->params || !m->grads || !m->pex || !m->dpex || !m->tdth || !m->kscr || !m->wbuf)
        goto nomem;
    /* scratch per batch row: conv dU (T·K), convT columns (T·Ko), scaled copies */
    size_t mw = 1;
    for (size_t l = 0; l < m->L; l++) {
        const layer *y = &m->ly[l];
        size_t w = y->T * (y->K > y->Ko ? y->K : y->Ko);
        if (y->kind == NET_GROUPNORM || y->kind == NET_ACT || y->kind == NET_AVGPOOL)
            w = y->ni;
        if (y->wok && 2 * y->wh > w)   /* two transformed tensors at once (backprop) */
            w = 2 * y->wh;
        if (w > mw)
            mw = w;
    }
    m->maxwork = mw;
    *out = m;
    return PA_OK;
nomem:
    NS(free)(m);
    return pa_errf(err, PA_ENOMEM, "net_new: out of memory");
}

void NS(free)(NET *m)
{
    if (!m)
        return;
    free(m->blocks[0]);
    free(m->blocks[1]);
    free(m->blocks[2]);
    free(m->ones);
    free(m->ly);
    free(m->n);
    free(m->A);
    free(m->D);
    free(m->TA);
    free(m->TD);
    free(m->params);
    free(m->grads);
    free(m->pex);
    free(m->dpex);
    free(m->sqb);
    free(m->cb);
    free(m->tdth);
    free(m->kscr);
    free(m->wbuf);
    free(m->work);
    free(m);
}

void NS(init)(NET *m, gsl_rng *r)
{
    for (size_t l = 0; l < m->L; l++) {
        const layer *y = &m->ly[l];
        R *w = m->params + y->poff;
        double fan = 0;
        if (y->kind == NET_DENSE)
            fan = (double)y->ni;
        else if (y->kind == NET_CONV)
            fan = (double)y->K;
        else if (y->kind == NET_CONVT)
            fan = (double)(y->k * y->k * y->Co);   /* torch: weight.size(1)·k² = C_out·k² */
        if (fan > 0) {
            double bound = 1.0 / sqrt(fan);
            for (size_t k = 0; k < y->pcount; k++)
                w[k] = (R)(bound * (2.0 * gsl_rng_uniform(r) - 1.0));
        } else if (y->kind == NET_GROUPNORM) {
            for (size_t c = 0; c < y->Ci; c++) {
                w[c] = 1;
                w[y->Ci + c] = 0;
            }
        }
    }
}

int NS(copy_params)(NET *dst, const NET *src, pa_err *err)
{
    int same = dst->L == src->L && dst->P == src->P;
    for (size_t l = 0; same && l < src->L; l++)
        same = dst->ly[l].kind == src->ly[l].kind && dst->ly[l].pcount == src->ly[l].pcount &&
               dst->n[l + 1] == src->n[l + 1];
    if (!same)
        return pa_errf(err, PA_EINPUT, "net_copy_params: architectures differ");
    memcpy(dst->params, src->params, src->P * sizeof(R));
    return PA_OK;
}

size_t NS(nparams)(const NET *m) { return m->P; }
R *NS(params)(NET *m) { return m->params; }
R *NS(grads)(NET *m) { return m->grads; }
size_t NS(nlayers)(const NET *m) { return m->L; }
size_t NS(size)(const NET *m, size_t l) { return m->n[l]; }
size_t NS(batch)(const NET *m) { return m->B; }
const R *NS(output)(const NET *m, size_t l) { return m->A[l]; }
const R *NS(dx)(const NET *m) { return m->D[0]; }
const R *NS(tangent_output)(const NET *m) { return m->TA[m->L]; }
const R *NS(tangent_dx)(const NET *m) { return m->TD[0]; }
size_t NS(param_offset)(const NET *m, size_t l) { return m->ly[l].poff; }
size_t NS(param_count)(const NET *m, size_t l) { return m->ly[l].pcount; }

void NS(shape)(const NET *m, size_t l, size_t *H, size_t *W, size_t *C)
{
    const layer *y = l < m->L ? &m->ly[l] : &m->ly[m->L - 1];
    if (l < m->L)
        *H = y->Hi, *W = y->Wi, *C = y->Ci;
    else
        *H = y->Ho, *W = y->Wo, *C = y->Co;
}

/* Lays out one set of layer tensors A (or D, TA, TD) for cap rows from p;
 * flatten outputs alias their inputs. Returns the end. */
static R *carve(NET *m, R *p, R **A, size_t cap)
{
    A[0] = p;
    p += cap * m->n[0];
    for (size_t l = 0; l < m->L; l++) {
        if (m->ly[l].kind == NET_FLATTEN) {
            A[l + 1] = A[l];
        } else {
            A[l + 1] = p;
            p += cap * m->n[l + 1];
        }
    }
    return p;
}

static size_t block_size(const NET *m, size_t cap, int tangent)
{
    size_t t = 0;
    t += 2 * cap * m->n[0];
    for (size_t l = 0; l < m->L; l++) {
        const layer *y = &m->ly[l];
        if (y->kind != NET_FLATTEN)
            t += 2 * cap * m->n[l + 1];
        if (y->kind == NET_CONV)
            t += cap * y->T * y->K;
        if (y->kind == NET_CONVT)
            t += cap * y->T * y->Ko;
        if (y->kind == NET_GROUPNORM)
            t += cap * (y->ni + y->groups);
        if (y->wok && !tangent)
            t += cap * WINO_P * y->nt * (y->Ci + y->Co);
    }
    return t;
}

static void carve_layers(NET *m, R *p, size_t cap, int tangent)
{
    for (size_t l = 0; l < m->L; l++) {
        layer *y = &m->ly[l];
        R **u = tangent ? &y->TU : &y->U;
        if (y->kind == NET_CONV) {
            *u = p;
            p += cap * y->T * y->K;
        } else if (y->kind == NET_CONVT) {
            *u = p;
            p += cap * y->T * y->Ko;
        } else if (y->kind == NET_GROUPNORM) {
            if (tangent) {
                y->txhat = p;
                y->trstd = p + cap * y->ni;
            } else {
                y->xhat = p;
                y->rstd = p + cap * y->ni;
            }
            p += cap * (y->ni + y->groups);
        }
        if (y->wok && !tangent) {
            y->V = p;
            y->dM = p + cap * WINO_P * y->nt * y->Ci;
            p += cap * WINO_P * y->nt * (y->Ci + y->Co);
        }
    }
}

static int reserve(NET *m, size_t B)
{
    if (B <= m->cap)
        return PA_OK;
    size_t cap = B > 2 * m->cap ? B : 2 * m->cap;
    R *blk = pa_calloc(block_size(m, cap, 0), sizeof(R));
    R *work = pa_malloc(cap, m->maxwork * sizeof(R));
    double *sqb = pa_malloc(cap, sizeof(double));
    R *cb = pa_malloc(cap, sizeof(R));
    R *ones = pa_malloc(cap, sizeof(R));
    /* the kept per-example gradients, layer by layer while they fit */
    size_t ns = 0;
    for (size_t l = 0; l < m->L; l++) {
        layer *y = &m->ly[l];
        size_t w = cap * y->K * y->Ko;
        y->store = y->store_ok && (ns + w) * sizeof(R) <= STORE_BYTES;
        ns += (y->store ? w : 0) + cap * y->nb;
    }
    R *st = ns ? pa_malloc(ns, sizeof(R)) : NULL;
    if (!blk || !work || !sqb || !cb || !ones || (ns && !st)) {
        free(blk);
        free(work);
        free(sqb);
        free(cb);
        free(ones);
        free(st);
        for (size_t l = 0; l < m->L; l++)
            m->ly[l].store = m->ly[l].S != NULL;
        return PA_ENOMEM;
    }
    for (size_t k = 0; k < cap; k++)
        ones[k] = 1;
    free(m->blocks[0]);
    free(m->blocks[2]);
    free(m->work);
    free(m->sqb);
    free(m->cb);
    free(m->ones);
    m->blocks[2] = st;
    for (size_t l = 0; l < m->L; l++) {
        layer *y = &m->ly[l];
        y->S = y->store ? st : NULL;
        st += y->store ? cap * y->K * y->Ko : 0;
        y->Sb = y->nb ? st : NULL;
        st += cap * y->nb;
    }
    m->stored = 0;
    m->sqb = sqb;
    m->cb = cb;
    m->ones = ones;
    m->blocks[0] = blk;
    m->work = work;
    m->cap = cap;
    R *p = carve(m, blk, m->A, cap);
    p = carve(m, p, m->D, cap);
    carve_layers(m, p, cap, 0);
    /* tangent buffers must be rebuilt for the new capacity */
    free(m->blocks[1]);
    m->blocks[1] = NULL;
    m->tcap = 0;
    return PA_OK;
}

static int reserve_tangent(NET *m)
{
    if (m->tcap >= m->cap && m->blocks[1])
        return PA_OK;
    R *blk = pa_calloc(block_size(m, m->cap, 1), sizeof(R));
    if (!blk)
        return PA_ENOMEM;
    free(m->blocks[1]);
    m->blocks[1] = blk;
    m->tcap = m->cap;
    R *p = carve(m, blk, m->TA, m->cap);
    p = carve(m, p, m->TD, m->cap);
    carve_layers(m, p, m->cap, 1);
    return PA_OK;
}

/* ---- kernels ---- */

/* GEMM wrapper: row-major C (M,N) = alpha op(A) op(B) + beta C, with BLAS
 * threads chosen by the problem size. */
typedef struct gemm_job {
    int ta, tb;
    size_t M, N, Kd, lda, ldb, ldc, step;
    int split_m;            /* chunks of step rows of C, else of step columns */
    R alpha, beta;
    const R *A, *Bm;
    R *C;
} gemm_job;

/* chunk k of a split GEMM: rows (or columns) k·step .. of C, each element
 * computed as by the whole call (the K loop is not split) */
static void gemm_chunk(void *ctx, size_t k)
{
    const gemm_job *g = ctx;
    size_t a = k * g->step, M = g->M, N = g->N;
    const R *A = g->A, *Bm = g->Bm;
    R *C = g->C;
    if (g->split_m) {
        M = a + g->step < M ? g->step : M - a;
        A += g->ta ? a : a * g->lda;
        C += a * g->ldc;
    } else {
        N = a + g->step < N ? g->step : N - a;
        Bm += g->tb ? a * g->ldb : a;
        C += a;
    }
    GEMM(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans, (int)M,
         (int)N, (int)g->Kd, g->alpha, A, (int)g->lda, Bm, (int)g->ldb, g->beta, C, (int)g->ldc);
}

/* GEMM wrapper: row-major C (M,N) = alpha op(A) op(B) + beta C. Below the
 * BLAS threshold single-threaded; above it, with a cap above 1, cut along
 * the longer of M and N into 2–8 chunks that this thread and pa_par_for's
 * helper take as they finish (a half-busy second core still helps, where
 * OpenBLAS's even split waits for it). */
static void gemm(int ta, int tb, size_t M, size_t N, size_t Kd, R alpha, const R *A, size_t lda,
                 const R *Bm, size_t ldb, R beta, R *C, size_t ldc)
{
    double work = (double)M * (double)N * (double)Kd;
    size_t len = M >= N ? M : N;
    if (work >= pa_blas_threshold() && pa_blas_max() > 1 && len >= 64) {
        size_t nc = (size_t)(work / 2e7);
        nc = nc < 2 ? 2 : nc > 8 ? 8 : nc;
        if (nc > len / 32)
            nc = len / 32;
        size_t step = (len + nc - 1) / nc;
        step = (step + 15) / 16 * 16;
        gemm_job g = {.ta = ta, .tb = tb, .M = M, .N = N, .Kd = Kd, .lda = lda, .ldb = ldb,
                      .ldc = ldc, .step = step, .split_m = M >= N, .alpha = alpha, .beta = beta,
                      .A = A, .Bm = Bm, .C = C};
        pa_par_for((len + step - 1) / step, gemm_chunk, &g);
        return;
    }
    pa_blas_threads_for(work);
    GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M,
         (int)N, (int)Kd, alpha, A, (int)lda, Bm, (int)ldb, beta, C, (int)ldc);
}

/* Narrow GEMMs (K <= SMALLK unfolded columns: a first conv layer on grey
 * images has K = 9) run far below peak in OpenBLAS; these two direct kernels
 * take them, vectorised over the C_out outputs. Compiled for baseline
 * x86-64 and for x86-64-v3 (AVX2+FMA), chosen at load time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NET_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NET_CLONES
#endif

/* Y (rows, Co) = U (rows, K) Wᵀ + 1 bᵀ, W (Co, K); Wt (K·Co) scratch */
NET_CLONES static void smallk_fwd(R *restrict Y, const R *restrict U, const R *restrict W,
                                  const R *restrict b, size_t rows, size_t K, size_t Co,
                                  R *restrict Wt)
{
    for (size_t k = 0; k < K; k++)
        for (size_t o = 0; o < Co; o++)
            Wt[k * Co + o] = W[o * K + k];
    for (size_t r = 0; r < rows; r++) {
        R *restrict y = Y + r * Co;
        const R *u = U + r * K;
        for (size_t o = 0; o < Co; o++)
            y[o] = b ? b[o] : 0;
        for (size_t k = 0; k < K; k++) {
            R uk = u[k];
            const R *restrict w = Wt + k * Co;
            for (size_t o = 0; o < Co; o++)
                y[o] += uk * w[o];
        }
    }
}

/* dW (Co, K) = beta·dW + scale·Gᵀ A over rows, G (rows, Co), A (rows, K);
 * partial sums over blocks of 256 rows (acc, 2·K·Co scratch) keep the float
 * rounding of long sums near a GEMM's */
NET_CLONES static void smallk_wgrad(R *restrict dW, const R *restrict A, const R *restrict G,
                                    size_t rows, size_t K, size_t Co, R scale, R beta,
                                    R *restrict acc)
{
    R *restrict tot = acc, *restrict part = acc + K * Co;
    for (size_t q = 0; q < K * Co; q++)
        tot[q] = 0;
    for (size_t r0 = 0; r0 < rows; r0 += 256) {
        size_t r1 = r0 + 256 < rows ? r0 + 256 : rows;
        for (size_t q = 0; q < K * Co; q++)
            part[q] = 0;
        for (size_t r = r0; r < r1; r++) {
            const R *restrict g = G + r * Co;
            for (size_t k = 0; k < K; k++) {
                R ak = A[r * K + k];
                R *restrict pk = part + k * Co;
                for (size_t o = 0; o < Co; o++)
                    pk[o] += ak * g[o];
            }
        }
        for (size_t q = 0; q < K * Co; q++)
            tot[q] += part[q];
    }
    for (size_t o = 0; o < Co; o++)
        for (size_t k = 0; k < K; k++)
            dW[o * K + k] = (beta != 0 ? beta * dW[o * K + k] : 0) + scale * tot[k * Co + o];
}

/* im2col: U (B·Ts, k·k·C) from img (B, Hb, Wb, C) with output grid
 * (Hs, Ws) = ((Hb + 2pad − k)/s + 1, ...): row (i, oy, ox), column
 * (ky, kx, c) = img[i, oy·s − pad + ky, ox·s − pad + kx, c] or 0. */
NET_CLONES static void im2col(R *restrict U, const R *restrict img, size_t B, size_t Hb, size_t Wb, size_t C,
                   size_t k, size_t s, size_t pad, size_t Hs, size_t Ws)
{
    size_t kc = k * C;
    for (size_t i = 0; i < B; i++) {
        const R *im = img + i * Hb * Wb * C;
        for (size_t oy = 0; oy < Hs; oy++)
            for (size_t ox = 0; ox < Ws; ox++) {
                R *row = U + ((i * Hs + oy) * Ws + ox) * k * kc;
                for (size_t ky = 0; ky < k; ky++) {
                    R *dst = row + ky * kc;
                    long iy = (long)(oy * s + ky) - (long)pad;
                    if (iy < 0 || iy >= (long)Hb) {
                        memset(dst, 0, kc * sizeof(R));
                        continue;
                    }
                    long x0 = (long)(ox * s) - (long)pad;
                    if (x0 >= 0 && x0 + (long)k <= (long)Wb) {
                        memcpy(dst, im + ((size_t)iy * Wb + (size_t)x0) * C, kc * sizeof(R));
                        continue;
                    }
                    for (size_t kx = 0; kx < k; kx++) {
                        long ix = x0 + (long)kx;
                        if (ix < 0 || ix >= (long)Wb)
                            memset(dst + kx * C, 0, C * sizeof(R));
                        else
                            memcpy(dst + kx * C, im + ((size_t)iy * Wb + (size_t)ix) * C,
                                   C * sizeof(R));
                    }
                }
            }
    }
}

/* col2im, the adjoint of im2col: img (B, Hb, Wb, C) = Σ of U's entries into
 * the pixels they were read from (img is overwritten). */
NET_CLONES static void col2im(R *restrict img, const R *restrict U, size_t B, size_t Hb, size_t Wb, size_t C,
                   size_t k, size_t s, size_t pad, size_t Hs, size_t Ws)
{
    memset(img, 0, B * Hb * Wb * C * sizeof(R));
    size_t kc = k * C;
    for (size_t i = 0; i < B; i++) {
        R *im = img + i * Hb * Wb * C;
        for (size_t oy = 0; oy < Hs; oy++)
            for (size_t ox = 0; ox < Ws; ox++) {
                const R *row = U + ((i * Hs + oy) * Ws + ox) * k * kc;
                for (size_t ky = 0; ky < k; ky++) {
                    long iy = (long)(oy * s + ky) - (long)pad;
                    if (iy < 0 || iy >= (long)Hb)
                        continue;
                    for (size_t kx = 0; kx < k; kx++) {
                        long ix = (long)(ox * s + kx) - (long)pad;
                        if (ix < 0 || ix >= (long)Wb)
                            continue;
                        R *d = im + ((size_t)iy * Wb + (size_t)ix) * C;
                        const R *src = row + ky * kc + kx * C;
                        for (size_t c = 0; c < C; c++)
                            d[c] += src[c];
                    }
                }
            }
    }
}

/* Y (rows, C) += 1 bᵀ */
NET_CLONES static void add_bias(R *restrict Y, const R *restrict b, size_t rows, size_t C)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < C; c++)
            Y[r * C + c] += b[c];
}

/* db = beta·db + scale·Σ_rows c_row G (rows grouped by example: T rows each) */
NET_CLONES static void bias_grad(R *restrict db, const R *restrict G, const R *c, size_t B, size_t T,
                      size_t C, R scale, R beta)
{
    for (size_t j = 0; j < C; j++)
        db[j] *= beta;
    for (size_t i = 0; i < B; i++) {
        R w = scale * (c ? c[i] : 1);
        const R *g = G + i * T * C;
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < C; j++)
                db[j] += w * g[t * C + j];
    }
}

NET_CLONES static void avgpool_fwd(R *restrict Y, const R *restrict X, size_t B, const layer *y)
{
    R inv = (R)1 / (R)(y->k * y->k);
    size_t C = y->Ci;
    for (size_t i = 0; i < B; i++) {
        const R *x = X + i * y->ni;
        R *o = Y + i * y->no;
        for (size_t oy = 0; oy < y->Ho; oy++)
            for (size_t ox = 0; ox < y->Wo; ox++) {
                R *d = o + (oy * y->Wo + ox) * C;
                for (size_t c = 0; c < C; c++)
                    d[c] = 0;
                for (size_t ky = 0; ky < y->k; ky++)
                    for (size_t kx = 0; kx < y->k; kx++) {
                        const R *src = x + ((oy * y->s + ky) * y->Wi + ox * y->s + kx) * C;
                        for (size_t c = 0; c < C; c++)
                            d[c] += src[c];
                    }
                for (size_t c = 0; c < C; c++)
                    d[c] *= inv;
            }
    }
}

NET_CLONES static void avgpool_bwd(R *restrict DX, const R *restrict DY, size_t B, const layer *y)
{
    R inv = (R)1 / (R)(y->k * y->k);
    size_t C = y->Ci;
    memset(DX, 0, B * y->ni * sizeof(R));
    for (size_t i = 0; i < B; i++) {
        R *x = DX + i * y->ni;
        const R *o = DY + i * y->no;
        for (size_t oy = 0; oy < y->Ho; oy++)
            for (size_t ox = 0; ox < y->Wo; ox++) {
                const R *g = o + (oy * y->Wo + ox) * C;
                for (size_t ky = 0; ky < y->k; ky++)
                    for (size_t kx = 0; kx < y->k; kx++) {
                        R *d = x + ((oy * y->s + ky) * y->Wi + ox * y->s + kx) * C;
                        for (size_t c = 0; c < C; c++)
                            d[c] += inv * g[c];
                    }
            }
    }
}

/* f'(x) and f''(x) from the output a = f(x) */
static inline R act_d1(net_act f, R a, R slope)
{
    switch (f) {
    case NET_RELU:
        return a > 0 ? 1 : 0;
    case NET_LRELU:
        return a > 0 ? 1 : slope;
    case NET_TANH:
        return 1 - a * a;
    case NET_SIGMOID:
        return a * (1 - a);
    default:
        return 1;
    }
}

static inline R act_d2(net_act f, R a)
{
    switch (f) {
    case NET_TANH:
        return -2 * a * (1 - a * a);
    case NET_SIGMOID:
        return a * (1 - a) * (1 - 2 * a);
    default:
        return 0;
    }
}

NET_CLONES static void act_fwd(R *restrict Y, const R *restrict X, size_t n, net_act f, R slope)
{
    switch (f) {
    case NET_RELU:
        for (size_t k = 0; k < n; k++)
            Y[k] = X[k] > 0 ? X[k] : 0;
        break;
    case NET_LRELU:
        for (size_t k = 0; k < n; k++)
            Y[k] = X[k] > 0 ? X[k] : slope * X[k];
        break;
    case NET_TANH:
        for (size_t k = 0; k < n; k++)
            Y[k] = (R)tanh((double)X[k]);
        break;
    case NET_SIGMOID:
        for (size_t k = 0; k < n; k++)
            Y[k] = (R)(1.0 / (1.0 + exp(-(double)X[k])));
        break;
    default:
        memcpy(Y, X, n * sizeof(R));
    }
}

/* DX = DY ⊙ f'(x), from the output a; one loop per activation (vectorised) */
NET_CLONES static void act_bwd(R *restrict DX, const R *restrict DY, const R *restrict a, size_t n, net_act f,
                    R slope)
{
    switch (f) {
    case NET_RELU:   /* both operands loaded unconditionally, so the loop vectorises */
        for (size_t k = 0; k < n; k++) {
            R d = DY[k];
            DX[k] = a[k] > 0 ? d : 0;
        }
        break;
    case NET_LRELU:
        for (size_t k = 0; k < n; k++) {
            R d = DY[k];
            DX[k] = a[k] > 0 ? d : slope * d;
        }
        break;
    case NET_TANH:
        for (size_t k = 0; k < n; k++)
            DX[k] = DY[k] * (1 - a[k] * a[k]);
        break;
    case NET_SIGMOID:
        for (size_t k = 0; k < n; k++)
            DX[k] = DY[k] * a[k] * (1 - a[k]);
        break;
    default:
        memcpy(DX, DY, n * sizeof(R));
    }
}

/* Group norm, NHWC: example i's group g holds channels g·Cg .. (g+1)·Cg − 1
 * of every pixel. The sums run over pixels with the channels innermost
 * (contiguous), into per-channel double accumulators acc (2C), then are
 * combined per group. */
NET_CLONES static void gn_group_sums(const R *restrict a, const R *restrict b, size_t T, size_t C,
                          double *restrict sa, double *restrict sb)
{
    for (size_t c = 0; c < C; c++)
        sa[c] = sb[c] = 0;
    for (size_t t = 0; t < T; t++) {
        const R *at = a + t * C, *bt = b ? b + t * C : NULL;
        for (size_t c = 0; c < C; c++)
            sa[c] += at[c];
        if (bt)
            for (size_t c = 0; c < C; c++)
                sb[c] += (double)at[c] * bt[c];
    }
}

NET_CLONES static void gn_fwd(R *restrict Y, const R *restrict X, size_t i0, size_t i1, const layer *y,
                              const R *gamma, const R *beta, double *acc)
{
    size_t C = y->Ci, G = y->groups, Cg = C / G, T = y->Hi * y->Wi;
    double cnt = (double)(T * Cg), *s1 = acc, *s2 = acc + C;
    R *mu = (R *)(acc + 2 * C), *rs = mu + C;   /* per channel: its group's mean, 1/σ */
    for (size_t i = i0; i < i1; i++) {
        const R *x = X + i * y->ni;
        R *xh = y->xhat + i * y->ni, *o = Y + i * y->ni;
        gn_group_sums(x, NULL, T, C, s1, s2);
        for (size_t g = 0; g < G; g++) {
            double s = 0;
            for (size_t c = g * Cg; c < (g + 1) * Cg; c++)
                s += s1[c];
            for (size_t c = g * Cg; c < (g + 1) * Cg; c++)
                mu[c] = (R)(s / cnt);
        }
        for (size_t c = 0; c < C; c++)
            s2[c] = 0;
        for (size_t t = 0; t < T; t++)
            for (size_t c = 0; c < C; c++) {
                double d = (double)x[t * C + c] - mu[c];
                s2[c] += d * d;
            }
        for (size_t g = 0; g < G; g++) {
            double v = 0;
            for (size_t c = g * Cg; c < (g + 1) * Cg; c++)
                v += s2[c];
            double r = 1.0 / sqrt(v / cnt + GN_EPS);
            y->rstd[i * G + g] = (R)r;
            for (size_t c = g * Cg; c < (g + 1) * Cg; c++)
                rs[c] = (R)r;
        }
        for (size_t t = 0; t < T; t++)
            for (size_t c = 0; c < C; c++) {
                size_t q = t * C + c;
                xh[q] = (x[q] - mu[c]) * rs[c];
                o[q] = gamma[c] * xh[q] + beta[c];
            }
    }
}

/* DX = rstd (gx̂ − mean gx̂ − x̂ mean(gx̂ x̂)), gx̂ = γ DY */
NET_CLONES static void gn_bwd(R *restrict DX, const R *restrict DY, size_t i0, size_t i1, const layer *y,
                              const R *gamma, double *acc)
{
    size_t C = y->Ci, G = y->groups, Cg = C / G, T = y->Hi * y->Wi;
    double cnt = (double)(T * Cg), *s1 = acc, *s2 = acc + C;
    R *ga = (R *)(acc + 2 * C), *gb = ga + C, *rs = gb + C;   /* per channel */
    for (size_t i = i0; i < i1; i++) {
        const R *dy = DY + i * y->ni, *xh = y->xhat + i * y->ni;
        R *dx = DX + i * y->ni;
        gn_group_sums(dy, xh, T, C, s1, s2);
        for (size_t g = 0; g < G; g++) {
            double a = 0, b = 0;
            for (size_t c = g * Cg; c < (g + 1) * Cg; c++)
                a += gamma[c] * s1[c], b += gamma[c] * s2[c];
            double r = y->rstd[i * G + g];
            for (size_t c = g * Cg; c < (g + 1) * Cg; c++) {
                ga[c] = (R)(r * gamma[c]);
                gb[c] = (R)(r * a / cnt);
                rs[c] = (R)(r * b / cnt);
            }
        }
        for (size_t t = 0; t < T; t++)
            for (size_t c = 0; c < C; c++) {
                size_t q = t * C + c;
                dx[q] = ga[c] * dy[q] - gb[c] - xh[q] * rs[c];
            }
    }
}

/* per-example γ, β gradient of example i into g (2C, double) */
NET_CLONES static void gn_example_grad(double *g, const R *DY, const layer *y, size_t i)
{
    size_t C = y->Ci, T = y->Hi * y->Wi;
    const R *dy = DY + i * y->ni, *xh = y->xhat + i * y->ni;
    for (size_t c = 0; c < 2 * C; c++)
        g[c] = 0;
    for (size_t t = 0; t < T; t++)
        for (size_t c = 0; c < C; c++) {
            g[c] += (double)dy[t * C + c] * xh[t * C + c];
            g[C + c] += dy[t * C + c];
        }
}

/* ---- Winograd F(2×2, 3×3) (Lavin & Gray 2016) ----
 * A 3×3 stride-1 conv computes each 2×2 tile of its output from a 4×4 tile
 * d of its (zero-padded) input as Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A, per pair of
 * channels, with
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
 *   Aᵀ = [1 1 1 0; 0 1 −1 −1].
 * The sum over input channels at each of the 16 points ξ of the 4×4 tile is
 * one GEMM over all B·nt tiles: M_ξ (B·nt, C_out) = V_ξ (B·nt, C_in) U_ξᵀ,
 * 16 GEMMs of 16/36 of the im2col GEMM's multiply-adds (2.25× fewer, less at
 * the borders of an odd-sized output). Tensors at the 16 points are stored
 * (16, rows, C), point ξ = 4a + b the row-major matrix at ξ·rows·C.
 * The adjoints: the input gradient is the 3×3 conv of the output gradient
 * with the flipped kernel (pad 2 − pad); since G J = P G (J reverses, P swaps
 * rows 0 and 3), the flipped kernel's transform is U at the points
 * (p(a), p(b)), p = (3, 1, 2, 0). The weight gradient is
 * ∇g = G ᵀ [Σ_tiles (A dY Aᵀ) ⊙ (Bᵀ d B)] G: 16 GEMMs dM_ξᵀ V_ξ over the
 * tiles (all examples for the sum, one example's for its own gradient). */
static const unsigned char wino_flip[WINO_P] = {15, 13, 14, 12, 7, 5, 6, 4, 11, 9, 10, 8, 3, 1, 2, 0};

/* V (16, B·th·tw, C) from img (B, H, W, C) zero-padded by pad: tile (ty, tx)
 * of example i (row (i·th + ty)·tw + tx) reads rows 2ty − pad .. + 3 and
 * columns 2tx − pad .. + 3; examples i0 .. i1 − 1; zero (C) all zeros */
NET_CLONES static void wino_in(R *restrict V, const R *restrict img, size_t i0, size_t i1, size_t B,
                               size_t H, size_t W, size_t C, size_t pad, size_t th, size_t tw,
                               const R *zero)
{
    size_t S = B * th * tw * C;
    for (size_t i = i0; i < i1; i++)
        for (size_t ty = 0; ty < th; ty++)
            for (size_t tx = 0; tx < tw; tx++) {
                const R *p[WINO_P];
                for (size_t a = 0; a < 4; a++)
                    for (size_t b = 0; b < 4; b++) {
                        long y = (long)(2 * ty + a) - (long)pad, x = (long)(2 * tx + b) - (long)pad;
                        p[4 * a + b] = y < 0 || x < 0 || y >= (long)H || x >= (long)W
                                           ? zero
                                           : img + ((i * H + (size_t)y) * W + (size_t)x) * C;
                    }
                R *o = V + ((i * th + ty) * tw + tx) * C;
                const R *p0 = p[0], *p1 = p[1], *p2 = p[2], *p3 = p[3], *p4 = p[4], *p5 = p[5],
                        *p6 = p[6], *p7 = p[7], *p8 = p[8], *p9 = p[9], *p10 = p[10], *p11 = p[11],
                        *p12 = p[12], *p13 = p[13], *p14 = p[14], *p15 = p[15];
                R *o0 = o, *o1 = o + S, *o2 = o + 2 * S, *o3 = o + 3 * S, *o4 = o + 4 * S,
                  *o5 = o + 5 * S, *o6 = o + 6 * S, *o7 = o + 7 * S, *o8 = o + 8 * S, *o9 = o + 9 * S,
                  *o10 = o + 10 * S, *o11 = o + 11 * S, *o12 = o + 12 * S, *o13 = o + 13 * S,
                  *o14 = o + 14 * S, *o15 = o + 15 * S;
#pragma GCC ivdep
                for (size_t c = 0; c < C; c++) {
                    /* Bᵀ d (rows), column b: t_ab */
                    R t00 = p0[c] - p8[c], t01 = p1[c] - p9[c], t02 = p2[c] - p10[c], t03 = p3[c] - p11[c];
                    R t10 = p4[c] + p8[c], t11 = p5[c] + p9[c], t12 = p6[c] + p10[c], t13 = p7[c] + p11[c];
                    R t20 = p8[c] - p4[c], t21 = p9[c] - p5[c], t22 = p10[c] - p6[c], t23 = p11[c] - p7[c];
                    R t30 = p4[c] - p12[c], t31 = p5[c] - p13[c], t32 = p6[c] - p14[c], t33 = p7[c] - p15[c];
                    /* (Bᵀ d) B (columns) */
                    o0[c] = t00 - t02, o1[c] = t01 + t02, o2[c] = t02 - t01, o3[c] = t01 - t03;
                    o4[c] = t10 - t12, o5[c] = t11 + t12, o6[c] = t12 - t11, o7[c] = t11 - t13;
                    o8[c] = t20 - t22, o9[c] = t21 + t22, o10[c] = t22 - t21, o11[c] = t21 - t23;
                    o12[c] = t30 - t32, o13[c] = t31 + t32, o14[c] = t32 - t31, o15[c] = t31 - t33;
                }
            }
}

/* Y (B, Ho, Wo, C) = Aᵀ M A per tile (+ bias b (C) if given; the parts of
 * border tiles outside Ho × Wo dropped), M (16, B·th·tw, C); examples i0 .. i1 − 1 */
NET_CLONES static void wino_out(R *restrict Y, const R *restrict M, size_t i0, size_t i1, size_t B,
                                size_t Ho, size_t Wo, size_t C, size_t th, size_t tw, const R *b)
{
    size_t S = B * th * tw * C;
    for (size_t i = i0; i < i1; i++)
        for (size_t ty = 0; ty < th; ty++)
            for (size_t tx = 0; tx < tw; tx++) {
                const R *m = M + ((i * th + ty) * tw + tx) * C;
                size_t oy = 2 * ty, ox = 2 * tx;
                int dy = oy + 1 < Ho, dx = ox + 1 < Wo;
                R *y00 = Y + ((i * Ho + oy) * Wo + ox) * C;
                R *y01 = dx ? y00 + C : NULL, *y10 = dy ? y00 + Wo * C : NULL;
                R *y11 = dx && dy ? y00 + (Wo + 1) * C : NULL;
                const R *m0 = m, *m1 = m + S, *m2 = m + 2 * S, *m3 = m + 3 * S, *m4 = m + 4 * S,
                        *m5 = m + 5 * S, *m6 = m + 6 * S, *m7 = m + 7 * S, *m8 = m + 8 * S,
                        *m9 = m + 9 * S, *m10 = m + 10 * S, *m11 = m + 11 * S, *m12 = m + 12 * S,
                        *m13 = m + 13 * S, *m14 = m + 14 * S, *m15 = m + 15 * S;
#define WINO_OUT_ROWS(c)                                                                            \
    R u0 = m0[c] + m4[c] + m8[c], u1 = m1[c] + m5[c] + m9[c], u2 = m2[c] + m6[c] + m10[c],           \
      u3 = m3[c] + m7[c] + m11[c], u4 = m4[c] - m8[c] - m12[c], u5 = m5[c] - m9[c] - m13[c],          \
      u6 = m6[c] - m10[c] - m14[c], u7 = m7[c] - m11[c] - m15[c];                                    \
    R bc = b ? b[c] : 0;
                if (y11) {   /* a whole tile (the common case: one branch-free loop) */
#pragma GCC ivdep
                    for (size_t c = 0; c < C; c++) {
                        WINO_OUT_ROWS(c)
                        y00[c] = u0 + u1 + u2 + bc, y01[c] = u1 - u2 - u3 + bc;
                        y10[c] = u4 + u5 + u6 + bc, y11[c] = u5 - u6 - u7 + bc;
                    }
                    continue;
                }
                for (size_t c = 0; c < C; c++) {
                    WINO_OUT_ROWS(c)
                    y00[c] = u0 + u1 + u2 + bc;
                    if (y01)
                        y01[c] = u1 - u2 - u3 + bc;
                    if (y10)
                        y10[c] = u4 + u5 + u6 + bc;
                    (void)u7;
                }
#undef WINO_OUT_ROWS
            }
}

/* dM (16, B·th·tw, C) = A dY Aᵀ per 2×2 tile of dY (B, Ho, Wo, C) (zero
 * outside); examples i0 .. i1 − 1; zero (C) all zeros */
NET_CLONES static void wino_dm(R *restrict dM, const R *restrict dY, size_t i0, size_t i1, size_t B,
                               size_t Ho, size_t Wo, size_t C, size_t th, size_t tw, const R *zero)
{
    size_t S = B * th * tw * C;
    for (size_t i = i0; i < i1; i++)
        for (size_t ty = 0; ty < th; ty++)
            for (size_t tx = 0; tx < tw; tx++) {
                size_t oy = 2 * ty, ox = 2 * tx;
                const R *g00 = dY + ((i * Ho + oy) * Wo + ox) * C;
                const R *g01 = ox + 1 < Wo ? g00 + C : zero, *g10 = oy + 1 < Ho ? g00 + Wo * C : zero;
                const R *g11 = ox + 1 < Wo && oy + 1 < Ho ? g00 + (Wo + 1) * C : zero;
                R *o = dM + ((i * th + ty) * tw + tx) * C;
                R *o0 = o, *o1 = o + S, *o2 = o + 2 * S, *o3 = o + 3 * S, *o4 = o + 4 * S,
                  *o5 = o + 5 * S, *o6 = o + 6 * S, *o7 = o + 7 * S, *o8 = o + 8 * S, *o9 = o + 9 * S,
                  *o10 = o + 10 * S, *o11 = o + 11 * S, *o12 = o + 12 * S, *o13 = o + 13 * S,
                  *o14 = o + 14 * S, *o15 = o + 15 * S;
#pragma GCC ivdep
                for (size_t c = 0; c < C; c++) {
                    R d00 = g00[c], d01 = g01[c], d10 = g10[c], d11 = g11[c];
                    /* A d: rows (1, 0), (1, 1), (1, −1), (0, −1); then (A d) Aᵀ the same on columns */
                    R a0 = d00 + d10, a1 = d01 + d11, b0 = d00 - d10, b1 = d01 - d11;
                    o0[c] = d00, o1[c] = d00 + d01, o2[c] = d00 - d01, o3[c] = -d01;
                    o4[c] = a0, o5[c] = a0 + a1, o6[c] = a0 - a1, o7[c] = -a1;
                    o8[c] = b0, o9[c] = b0 + b1, o10[c] = b0 - b1, o11[c] = -b1;
                    o12[c] = -d10, o13[c] = -d10 - d11, o14[c] = d11 - d10, o15[c] = d11;
                }
            }
}

/* U (16, Co, Ci) = G g Gᵀ for each (o, c), g the 3×3 kernel W[o, ·, ·, c] (W (Co, 3, 3, Ci)) */
NET_CLONES static void wino_wt(R *restrict U, const R *restrict W, size_t Co, size_t Ci)
{
    size_t S = Co * Ci;
    for (size_t o = 0; o < Co; o++) {
        const R *w = W + o * 9 * Ci;
        R *u = U + o * Ci;
        for (size_t c = 0; c < Ci; c++) {
            R h[12];
            for (size_t x = 0; x < 3; x++) {   /* G g: rows */
                R g0 = w[x * Ci + c], g1 = w[(3 + x) * Ci + c], g2 = w[(6 + x) * Ci + c];
                h[x] = g0, h[3 + x] = (R)0.5 * (g0 + g1 + g2), h[6 + x] = (R)0.5 * (g0 - g1 + g2),
                h[9 + x] = g2;
            }
            for (size_t a = 0; a < 4; a++) {   /* (G g) Gᵀ: columns */
                R g0 = h[3 * a], g1 = h[3 * a + 1], g2 = h[3 * a + 2];
                u[(4 * a) * S + c] = g0;
                u[(4 * a + 1) * S + c] = (R)0.5 * (g0 + g1 + g2);
                u[(4 * a + 2) * S + c] = (R)0.5 * (g0 - g1 + g2);
                u[(4 * a + 3) * S + c] = g2;
            }
        }
    }
}

/* dW (Co, 3, 3, Ci) = beta·dW + scale·Gᵀ dU G for each (o, c), dU (16, Co, Ci) */
NET_CLONES static void wino_wback(R *restrict dW, const R *restrict dU, size_t Co, size_t Ci, R scale,
                                  R beta)
{
    size_t S = Co * Ci;
    const R h = (R)0.5;
    for (size_t o = 0; o < Co; o++) {
        const R *u = dU + o * Ci;
        const R *u0 = u, *u1 = u + S, *u2 = u + 2 * S, *u3 = u + 3 * S, *u4 = u + 4 * S, *u5 = u + 5 * S,
                *u6 = u + 6 * S, *u7 = u + 7 * S, *u8 = u + 8 * S, *u9 = u + 9 * S, *u10 = u + 10 * S,
                *u11 = u + 11 * S, *u12 = u + 12 * S, *u13 = u + 13 * S, *u14 = u + 14 * S,
                *u15 = u + 15 * S;
        R *w = dW + o * 9 * Ci;
        R *w0 = w, *w1 = w + Ci, *w2 = w + 2 * Ci, *w3 = w + 3 * Ci, *w4 = w + 4 * Ci, *w5 = w + 5 * Ci,
          *w6 = w + 6 * Ci, *w7 = w + 7 * Ci, *w8 = w + 8 * Ci;
#define WINO_GT(x0, x1, x2, x3, r0, r1, r2)                                                          \
    R r0 = (x0) + h * ((x1) + (x2)), r1 = h * ((x1) - (x2)), r2 = h * ((x1) + (x2)) + (x3);
#define WINO_WBACK_BODY(c)                                                                          \
    WINO_GT(u0[c], u4[c], u8[c], u12[c], a0, b0, c0)  /* Gᵀ dU: rows, column 0 */                   \
    WINO_GT(u1[c], u5[c], u9[c], u13[c], a1, b1, c1)                                                 \
    WINO_GT(u2[c], u6[c], u10[c], u14[c], a2, b2, c2)                                                \
    WINO_GT(u3[c], u7[c], u11[c], u15[c], a3, b3, c3)                                                \
    WINO_GT(a0, a1, a2, a3, v0, v1, v2)               /* (Gᵀ dU) G: columns */                       \
    WINO_GT(b0, b1, b2, b3, v3, v4, v5)                                                              \
    WINO_GT(c0, c1, c2, c3, v6, v7, v8)
        if (beta == 0) {
#pragma GCC ivdep
            for (size_t c = 0; c < Ci; c++) {
                WINO_WBACK_BODY(c)
                w0[c] = scale * v0, w1[c] = scale * v1, w2[c] = scale * v2;
                w3[c] = scale * v3, w4[c] = scale * v4, w5[c] = scale * v5;
                w6[c] = scale * v6, w7[c] = scale * v7, w8[c] = scale * v8;
            }
        } else {
#pragma GCC ivdep
            for (size_t c = 0; c < Ci; c++) {
                WINO_WBACK_BODY(c)
                w0[c] = beta * w0[c] + scale * v0, w1[c] = beta * w1[c] + scale * v1;
                w2[c] = beta * w2[c] + scale * v2, w3[c] = beta * w3[c] + scale * v3;
                w4[c] = beta * w4[c] + scale * v4, w5[c] = beta * w5[c] + scale * v5;
                w6[c] = beta * w6[c] + scale * v6, w7[c] = beta * w7[c] + scale * v7;
                w8[c] = beta * w8[c] + scale * v8;
            }
        }
#undef WINO_WBACK_BODY
#undef WINO_GT
    }
}

/* S (16, B·nt, w) = rows of M (16, B·nt, w) scaled by c_i per example (into m->work) */
NET_CLONES static const R *wino_scaled(NET *m, const R *M, const R *c, size_t B, size_t nt, size_t w)
{
    R *S = m->work;
    for (size_t q = 0; q < WINO_P * B; q++) {
        R ci = c[q % B];
        const R *src = M + q * nt * w;
        R *dst = S + q * nt * w;
        for (size_t k = 0; k < nt * w; k++)
            dst[k] = ci * src[k];
    }
    return S;
}

/* ---- per-example kernels shared with pa_par_for's helper ---- */

enum { OP_IM2COL, OP_SMALLK, OP_AVGF, OP_GNF, OP_ACTF, OP_COL2IM, OP_AVGB, OP_GNB, OP_ACTB,
       OP_WIN, OP_WOUT, OP_WBIN, OP_WBOUT, OP_WDM };

typedef struct ex_job {
    NET *m;
    const layer *y;
    int op;
    size_t per;             /* examples per chunk */
    const R *in, *aux, *W;  /* aux: act_bwd's outputs; W: the layer's parameters */
    R *out;
} ex_job;

/* examples k·per .. of one kernel: the same arithmetic as one call over the
 * batch (nothing is summed across examples), with chunk k's own scratch */
static void ex_chunk(void *ctx, size_t k)
{
    const ex_job *j = ctx;
    NET *m = j->m;
    const layer *y = j->y;
    size_t i0 = k * j->per, i1 = i0 + j->per < m->B ? i0 + j->per : m->B, n = i1 - i0;
    double *acc = m->dpex + k * m->maxpex;
    switch (j->op) {
    case OP_IM2COL:
        im2col(y->U + i0 * y->T * y->K, j->in + i0 * y->ni, n, y->Hi, y->Wi, y->Ci, y->k, y->s, y->pad,
               y->Ho, y->Wo);
        break;
    case OP_SMALLK:
        smallk_fwd(j->out + i0 * y->no, y->U + i0 * y->T * y->K, j->W, j->W + y->Co * y->K, n * y->T,
                   y->K, y->Co, m->kscr + k * m->kstride);
        break;
    case OP_AVGF:
        avgpool_fwd(j->out + i0 * y->no, j->in + i0 * y->ni, n, y);
        break;
    case OP_GNF:
        gn_fwd(j->out, j->in, i0, i1, y, j->W, j->W + y->Ci, acc);
        break;
    case OP_ACTF:
        act_fwd(j->out + i0 * y->ni, j->in + i0 * y->ni, n * y->ni, y->act, y->slope);
        break;
    case OP_COL2IM:   /* conv backprop: (T, K) rows per example onto the input grid */
        col2im(j->out + i0 * y->ni, j->in + i0 * y->T * y->K, n, y->Hi, y->Wi, y->Ci, y->k, y->s, y->pad,
               y->Ho, y->Wo);
        break;
    case OP_AVGB:
        avgpool_bwd(j->out + i0 * y->ni, j->in + i0 * y->no, n, y);
        break;
    case OP_GNB:
        gn_bwd(j->out, j->in, i0, i1, y, j->W, acc);
        break;
    case OP_ACTB:
        act_bwd(j->out + i0 * y->ni, j->in + i0 * y->ni, j->aux + i0 * y->ni, n * y->ni, y->act, y->slope);
        break;
    case OP_WIN:    /* forward: the input's tiles */
    case OP_WBIN:   /* backprop: the output gradient's tiles (pad 2 − pad, input-gradient grid) */
    case OP_WDM: {
        R *zero = m->kscr + k * m->kstride;
        size_t C = j->op == OP_WIN ? y->Ci : y->Co;
        for (size_t c = 0; c < C; c++)
            zero[c] = 0;
        if (j->op == OP_WIN)
            wino_in(y->V, j->in, i0, i1, m->B, y->Hi, y->Wi, C, y->pad, y->th, y->tw, zero);
        else if (j->op == OP_WBIN)
            wino_in(j->out, j->in, i0, i1, m->B, y->Ho, y->Wo, C, 2 - y->pad, y->bth, y->btw, zero);
        else
            wino_dm(y->dM, j->in, i0, i1, m->B, y->Ho, y->Wo, C, y->th, y->tw, zero);
        break;
    }
    case OP_WOUT:
        wino_out(j->out, j->aux, i0, i1, m->B, y->Ho, y->Wo, y->Co, y->th, y->tw, j->W + y->Co * y->K);
        break;
    case OP_WBOUT:
        wino_out(j->out, j->aux, i0, i1, m->B, y->Hi, y->Wi, y->Ci, y->bth, y->btw, NULL);
        break;
    }
}

/* runs op over the batch: in SQ_CHUNKS chunks through pa_par_for when the
 * layer's tensors are large (2^16 values or more), else in one call */
static void by_example(NET *m, const layer *y, int op, const R *in, const R *aux, const R *W, R *out)
{
    size_t B = m->B, big = y->ni > y->no ? y->ni : y->no;
    ex_job j = {.m = m, .y = y, .op = op, .per = B, .in = in, .aux = aux, .W = W, .out = out};
    if (B < 2 || B * big < ((size_t)1 << 16)) {
        ex_chunk(&j, 0);
        return;
    }
    j.per = (B + SQ_CHUNKS - 1) / SQ_CHUNKS;
    pa_par_for((B + j.per - 1) / j.per, ex_chunk, &j);
}

/* U of conv layer l (its unfolded input) for the current batch: made here
 * if the forward went by Winograd and something needs it (ghost norms,
 * tangents) */
static void ensure_unfolded(NET *m, size_t l)
{
    layer *y = &m->ly[l];
    if (y->kind != NET_CONV || y->u_at == m->agen)
        return;
    by_example(m, y, OP_IM2COL, m->A[l], NULL, NULL, NULL);
    y->u_at = m->agen;
}

/* dM of Winograd layer l for the current output gradient */
static void ensure_dm(NET *m, size_t l)
{
    layer *y = &m->ly[l];
    if (y->dm_at == m->dgen)
        return;
    by_example(m, y, OP_WDM, m->D[l + 1], NULL, NULL, NULL);
    y->dm_at = m->dgen;
}

void NS(set_winograd)(NET *m, int on) { m->wino = on != 0; }

/* ---- forward ---- */

int NS(forward)(NET *m, const R *X, size_t B, const R **Y, pa_err *err)
{
    if (Y)
        *Y = NULL;
    if (B < 1 || !X)
        return pa_errf(err, PA_EINPUT, "net_forward: need B >= 1 rows of X (got B = %zu)", B);
    if (reserve(m, B) != PA_OK)
        return pa_errf(err, PA_ENOMEM, "net_forward: out of memory for a batch of %zu rows", B);
    m->B = B;
    m->stored = 0;
    m->agen++;
    m->dgen++;
    memcpy(m->A[0], X, B * m->n[0] * sizeof(R));
    for (size_t l = 0; l < m->L; l++) {
        layer *y = &m->ly[l];
        const R *in = m->A[l];
        R *out = m->A[l + 1];
        R *W = m->params + y->poff;
        switch (y->kind) {
        case NET_DENSE:
            for (size_t i = 0; i < B; i++)
                memcpy(out + i * y->no, W + y->no * y->ni, y->no * sizeof(R));
            gemm(0, 1, B, y->no, y->ni, 1, in, y->ni, W, y->ni, 1, out, y->no);
            break;
        case NET_CONV:
            y->wfwd = m->wino && y->wok;
            if (y->wfwd) {
                size_t rows = B * y->nt;
                wino_wt(y->Uw, W, y->Co, y->Ci);
                by_example(m, y, OP_WIN, in, NULL, W, out);
                for (size_t p = 0; p < WINO_P; p++)
                    gemm(0, 1, rows, y->Co, y->Ci, 1, y->V + p * rows * y->Ci, y->Ci,
                         y->Uw + p * y->Co * y->Ci, y->Ci, 0, m->work + p * rows * y->Co, y->Co);
                by_example(m, y, OP_WOUT, NULL, m->work, W, out);
                break;
            }
            by_example(m, y, OP_IM2COL, in, NULL, W, out);
            y->u_at = m->agen;
            if (y->K <= SMALLK) {
                by_example(m, y, OP_SMALLK, in, NULL, W, out);
                break;
            }
            gemm(0, 1, B * y->T, y->Co, y->K, 1, y->U, y->K, W, y->K, 0, out, y->Co);
            add_bias(out, W + y->Co * y->K, B * y->T, y->Co);
            break;
        case NET_CONVT:
            /* columns (B·T, Ko) = X W, scattered onto the output grid */
            gemm(0, 0, B * y->T, y->Ko, y->K, 1, in, y->K, W, y->Ko, 0, m->work, y->Ko);
            col2im(out, m->work, B, y->Ho, y->Wo, y->Co, y->k, y->s, y->pad, y->Hi, y->Wi);
            add_bias(out, W + y->K * y->Ko, B * y->Ho * y->Wo, y->Co);
            break;
        case NET_AVGPOOL:
            by_example(m, y, OP_AVGF, in, NULL, W, out);
            break;
        case NET_GROUPNORM:
            by_example(m, y, OP_GNF, in, NULL, W, out);
            break;
        case NET_ACT:
            by_example(m, y, OP_ACTF, in, NULL, W, out);
            break;
        case NET_FLATTEN:
            break;
        }
    }
    if (Y)
        *Y = m->A[m->L];
    return PA_OK;
}

/* ---- losses ---- */

int NS(loss_xent)(NET *m, const int32_t *y, R *loss, double *sum, pa_err *err)
{
    size_t p = m->n[m->L], B = m->B;
    if (p < 2)
        return pa_errf(err, PA_EINPUT, "net_loss_xent: need >= 2 outputs, got %zu", p);
    for (size_t i = 0; i < B; i++)
        if (y[i] < 0 || (size_t)y[i] >= p)
            return pa_errf(err, PA_EINPUT, "net_loss_xent: label y[%zu] = %d, expected 0..%zu", i,
                           (int)y[i], p - 1);
    double total = 0;
    m->stored = 0;
    m->dgen++;
    for (size_t i = 0; i < B; i++) {
        const R *z = m->A[m->L] + i * p;
        R *g = m->D[m->L] + i * p;
        double mx = z[0];
        for (size_t j = 1; j < p; j++)
            if (z[j] > mx)
                mx = z[j];
        double s = 0;
        for (size_t j = 0; j < p; j++)
            s += exp(z[j] - mx);
        double lse = mx + log(s);
        for (size_t j = 0; j < p; j++)
            g[j] = (R)exp(z[j] - lse);
        g[y[i]] -= 1;
        double li = lse - z[y[i]];
        if (loss)
            loss[i] = (R)li;
        total += li;
    }
    if (sum)
        *sum = total;
    return PA_OK;
}

int NS(loss_mse)(NET *m, const R *Tg, R *loss, double *sum, pa_err *err)
{
    size_t p = m->n[m->L], B = m->B;
    double total = 0;
    (void)err;
    m->stored = 0;
    m->dgen++;
    for (size_t i = 0; i < B; i++) {
        const R *yh = m->A[m->L] + i * p, *t = Tg + i * p;
        R *g = m->D[m->L] + i * p;
        double li = 0;
        for (size_t j = 0; j < p; j++) {
            g[j] = yh[j] - t[j];
            li += 0.5 * (double)g[j] * g[j];
        }
        if (loss)
            loss[i] = (R)li;
        total += li;
    }
    if (sum)
        *sum = total;
    return PA_OK;
}

void NS(seed)(NET *m, const R *dY)
{
    m->stored = 0;
    m->dgen++;
    memcpy(m->D[m->L], dY, m->B * m->n[m->L] * sizeof(R));
}

double NS(accuracy)(const NET *m, const int32_t *y)
{
    size_t p = m->n[m->L], B = m->B, hit = 0;
    for (size_t i = 0; i < B; i++) {
        const R *z = m->A[m->L] + i * p;
        size_t best = 0;
        for (size_t j = 1; j < p; j++)
            if (z[j] > z[best])
                best = j;
        hit += (int32_t)best == y[i];
    }
    return B ? (double)hit / (double)B : 0.0;
}

/* ---- backward ---- */

void NS(backprop)(NET *m, int need_dx)
{
    size_t B = m->B;
    m->stored = 0;
    m->dgen++;
    for (size_t l = m->L; l-- > 0;) {
        layer *y = &m->ly[l];
        const R *dout = m->D[l + 1];
        R *din = m->D[l];
        const R *W = m->params + y->poff;
        int want = l > 0 || need_dx;
        switch (y->kind) {
        case NET_DENSE:
            if (want)
                gemm(0, 0, B, y->ni, y->no, 1, dout, y->no, W, y->ni, 0, din, y->ni);
            break;
        case NET_CONV:
            if (want && y->wfwd) {
                /* the conv of dY with the flipped kernel, by Winograd too */
                size_t rows = B * y->bnt;
                R *Vb = m->work + B * y->wh;
                wino_wt(y->Uw, W, y->Co, y->Ci);
                by_example(m, y, OP_WBIN, dout, NULL, W, Vb);
                for (size_t p = 0; p < WINO_P; p++)
                    gemm(0, 0, rows, y->Ci, y->Co, 1, Vb + p * rows * y->Co, y->Co,
                         y->Uw + wino_flip[p] * y->Co * y->Ci, y->Ci, 0, m->work + p * rows * y->Ci, y->Ci);
                by_example(m, y, OP_WBOUT, NULL, m->work, W, din);
            } else if (want) {
                gemm(0, 0, B * y->T, y->K, y->Co, 1, dout, y->Co, W, y->K, 0, m->work, y->K);
                by_example(m, y, OP_COL2IM, m->work, NULL, W, din);
            }
            break;
        case NET_CONVT:
            im2col(y->U, dout, B, y->Ho, y->Wo, y->Co, y->k, y->s, y->pad, y->Hi, y->Wi);
            if (want)
                gemm(0, 1, B * y->T, y->K, y->Ko, 1, y->U, y->Ko, W, y->Ko, 0, din, y->K);
            break;
        case NET_AVGPOOL:
            if (want)
                by_example(m, y, OP_AVGB, dout, NULL, W, din);
            break;
        case NET_GROUPNORM:
            if (want)
                by_example(m, y, OP_GNB, dout, NULL, W, din);
            break;
        case NET_ACT:
            if (want)
                by_example(m, y, OP_ACTB, dout, m->A[l + 1], W, din);
            break;
        case NET_FLATTEN:
            break;
        }
    }
}

/* The unfolded matrices of weight layer l (see the top of this file). */
static void layer_mats(NET *m, size_t l, const R **Am, const R **Gm)
{
    const layer *y = &m->ly[l];
    if (y->kind == NET_CONV) {
        ensure_unfolded(m, l);
        *Am = y->U;
        *Gm = m->D[l + 1];
    } else if (y->kind == NET_CONVT) {
        *Am = m->A[l];
        *Gm = y->U;
    } else {
        *Am = m->A[l];
        *Gm = m->D[l + 1];
    }
}

static void layer_tmats(const NET *m, size_t l, const R **Am, const R **Gm)
{
    const layer *y = &m->ly[l];
    if (y->kind == NET_CONV) {
        *Am = y->TU;
        *Gm = m->TD[l + 1];
    } else if (y->kind == NET_CONVT) {
        *Am = m->TA[l];
        *Gm = y->TU;
    } else {
        *Am = m->TA[l];
        *Gm = m->TD[l + 1];
    }
}

/* S = rows of M (B·T, w) scaled by c_i per example block (into m->work) */
NET_CLONES static const R *scaled_rows(NET *m, const R *M, const R *c, size_t B, size_t T, size_t w)
{
    R *S = m->work;
    for (size_t i = 0; i < B; i++) {
        R ci = c[i];
        const R *src = M + i * T * w;
        R *dst = S + i * T * w;
        for (size_t k = 0; k < T * w; k++)
            dst[k] = ci * src[k];
    }
    return S;
}

/* dW = beta dW + scale ∇W from Am, Gm with per-example weights c (one GEMM) */
static void weight_grad(NET *m, const layer *y, R *dW, const R *Am, const R *Gm, const R *c,
                        R scale, R beta)
{
    size_t B = m->B, rows = B * y->T;
    if (c) {
        if (y->K <= y->Ko)
            Am = scaled_rows(m, Am, c, B, y->T, y->K);
        else
            Gm = scaled_rows(m, Gm, c, B, y->T, y->Ko);
    }
    if (y->kind == NET_CONV && y->K <= SMALLK) {
        smallk_wgrad(dW, Am, Gm, rows, y->K, y->Ko, scale, beta, m->kscr);
        return;
    }
    if (y->kind == NET_CONVT)   /* W (K, Ko) = Amᵀ Gm */
        gemm(1, 0, y->K, y->Ko, rows, scale, Am, y->K, Gm, y->Ko, beta, dW, y->Ko);
    else                        /* W (Ko, K) = Gmᵀ Am */
        gemm(1, 0, y->Ko, y->K, rows, scale, Gm, y->Ko, Am, y->K, beta, dW, y->K);
}

/* dW = beta dW + scale ∇W of a Winograd layer, c per example or NULL: 16
 * GEMMs at the transform points over all B·nt tiles, then Gᵀ · G */
static void wino_weight_grad(NET *m, size_t l, R *dW, const R *c, R scale, R beta)
{
    layer *y = &m->ly[l];
    size_t B = m->B, rows = B * y->nt, Ci = y->Ci, Co = y->Co;
    ensure_dm(m, l);
    const R *Am = y->V, *Gm = y->dM;
    if (c) {
        if (Ci <= Co)
            Am = wino_scaled(m, Am, c, B, y->nt, Ci);
        else
            Gm = wino_scaled(m, Gm, c, B, y->nt, Co);
    }
    for (size_t p = 0; p < WINO_P; p++)
        gemm(1, 0, Co, Ci, rows, 1, Gm + p * rows * Co, Co, Am + p * rows * Ci, Ci, 0, y->dUw + p * Co * Ci, Ci);
    wino_wback(dW, y->dUw, Co, Ci, scale, beta);
}

NET_CLONES static void gn_accumulate(NET *m, size_t l, const R *c, R scale, R beta, const R *DY, R *dg)
{
    const layer *y = &m->ly[l];
    size_t C = y->Ci;
    for (size_t j = 0; j < 2 * C; j++)
        dg[j] *= beta;
    size_t T = y->Hi * y->Wi;
    for (size_t i = 0; i < m->B; i++) {
        R w = scale * (c ? c[i] : 1);
        const R *dy = DY + i * y->ni, *xh = y->xhat + i * y->ni;
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < C; j++) {
                dg[j] += w * dy[t * C + j] * xh[t * C + j];
                dg[C + j] += w * dy[t * C + j];
            }
    }
}

/* out (nb) = beta·out + scale·Σ_i c_i Sb_i: the bias / γβ part from what
 * example_sqnorms kept */
static void kept_sum(NET *m, const layer *y, R *out, const R *c, R scale, R beta)
{
    pa_blas_threads_for((double)m->B * (double)y->nb);
    GEMV(CblasRowMajor, CblasTrans, (int)m->B, (int)y->nb, scale, y->Sb, (int)y->nb, c ? c : m->ones, 1,
         beta, out, 1);
}

void NS(grad_accumulate)(NET *m, const R *c, R scale, R beta)
{
    for (size_t l = 0; l < m->L; l++) {
        const layer *y = &m->ly[l];
        R *dW = m->grads + y->poff;
        if (y->kind == NET_DENSE || y->kind == NET_CONV || y->kind == NET_CONVT) {
            if (y->store && m->stored) {
                /* Σ_i c_i ∇W ℓ_i from the kept per-example gradients: one GEMV */
                size_t w = y->K * y->Ko;
                pa_blas_threads_for((double)m->B * (double)w);
                GEMV(CblasRowMajor, CblasTrans, (int)m->B, (int)w, scale, y->S, (int)w,
                     c ? c : m->ones, 1, beta, dW, 1);
            } else if (y->kind == NET_CONV && y->wfwd) {
                wino_weight_grad(m, l, dW, c, scale, beta);
            } else {
                const R *Am, *Gm;
                layer_mats(m, l, &Am, &Gm);
                weight_grad(m, y, dW, Am, Gm, c, scale, beta);
            }
            size_t Tb = y->kind == NET_DENSE ? 1 : y->Ho * y->Wo;
            if (y->Sb && m->stored)
                kept_sum(m, y, dW + y->pcount - y->Co, c, scale, beta);
            else
                bias_grad(dW + y->pcount - y->Co, m->D[l + 1], c, m->B, Tb, y->Co, scale, beta);
        } else if (y->kind == NET_GROUPNORM) {
            if (m->stored)
                kept_sum(m, y, dW, c, scale, beta);
            else
                gn_accumulate(m, l, c, scale, beta, m->D[l + 1], dW);
        }
    }
}

void NS(backward)(NET *m, R scale)
{
    NS(backprop)(m, 0);
    NS(grad_accumulate)(m, NULL, scale, 0);
}

/* Σ_k x_k² in double, eight partial sums (vectorisable, unlike one running sum) */
NET_CLONES static double sumsq(const R *restrict x, size_t n)
{
    double acc[8] = {0};
    size_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (size_t j = 0; j < 8; j++)
            acc[j] += (double)x[k + j] * x[k + j];
    for (; k < n; k++)
        acc[0] += (double)x[k] * x[k];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

/* ‖Σ_t g_t‖² over example i's T_b output pixels (bias gradient) */
NET_CLONES static double bias_sq(const R *D, size_t i, size_t Tb, size_t C, R *acc)
{
    const R *g = D + i * Tb * C;
    for (size_t j = 0; j < C; j++)
        acc[j] = 0;
    for (size_t t = 0; t < Tb; t++)
        for (size_t j = 0; j < C; j++)
            acc[j] += g[t * C + j];
    double s = 0;
    for (size_t j = 0; j < C; j++)
        s += (double)acc[j] * acc[j];
    return s;
}

typedef struct sq_job {
    NET *m;
    const layer *y;
    size_t l, per;          /* layer; examples per chunk */
    double *sq;             /* (B) accumulated into */
    const R *Am, *Gm;       /* weight layers: the unfolded matrices (Winograd: V and dM) */
    int wino;               /* the per-example gradient from the 16 transform points */
} sq_job;

/* examples k·per .. of layer l: ‖∇θ_l ℓ_i‖² added to sq[i] (and the kept
 * per-example gradients written), with chunk k's own scratch */
static void sq_chunk(void *ctx, size_t k)
{
    const sq_job *j = ctx;
    const NET *m = j->m;
    const layer *y = j->y;
    size_t T = y->T, K = y->K, Ko = y->Ko, i1 = (k + 1) * j->per;
    size_t Tb = y->kind == NET_DENSE ? 1 : y->Ho * y->Wo;
    R *pex = m->pex + k * m->maxpex, *kscr = m->kscr + k * m->kstride;
    double *sq = j->sq;
    if (i1 > m->B)
        i1 = m->B;
    if (y->kind == NET_GROUPNORM) {
        double *g = m->dpex + k * m->maxpex;
        for (size_t i = k * j->per; i < i1; i++) {
            gn_example_grad(g, m->D[j->l + 1], y, i);
            R *kept = y->Sb + i * y->nb;
            for (size_t q = 0; q < 2 * y->Ci; q++) {
                sq[i] += g[q] * g[q];
                kept[q] = (R)g[q];
            }
        }
        return;
    }
    for (size_t i = k * j->per; i < i1; i++) {
        const R *a = j->wino ? NULL : j->Am + i * T * K, *g = j->wino ? NULL : j->Gm + i * T * Ko;
        double s = 0;
        if (T == 1) {
            double a2 = 0, g2 = 0;
            for (size_t q = 0; q < K; q++)
                a2 += (double)a[q] * a[q];
            for (size_t q = 0; q < Ko; q++)
                g2 += (double)g[q] * g[q];
            s = a2 * g2;
        } else if (y->ghost && !y->store) {
            /* Σ_{t,t'} (a_t·a_t')(g_t·g_t'): two Gram matrices (lower halves) */
            R *Ga = pex, *Gg = pex + T * T;
            SYRK(CblasRowMajor, CblasLower, CblasNoTrans, (int)T, (int)K, 1, a, (int)K, 0, Ga, (int)T);
            SYRK(CblasRowMajor, CblasLower, CblasNoTrans, (int)T, (int)Ko, 1, g, (int)Ko, 0, Gg, (int)T);
            for (size_t t = 0; t < T; t++) {
                double row = 0;
                for (size_t u = 0; u < t; u++)
                    row += (double)Ga[t * T + u] * Gg[t * T + u];
                s += 2 * row + (double)Ga[t * T + t] * Gg[t * T + t];
            }
        } else {
            /* materialised (in W's layout), into the store if it is kept */
            R *M = y->store ? y->S + i * K * Ko : pex;
            if (j->wino) {
                size_t Ci = y->Ci, nt = y->nt, rows = m->B * nt;
                R *dU = y->store ? pex : pex + K * Ko;
                for (size_t p = 0; p < WINO_P; p++)
                    GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)Ko, (int)Ci, (int)nt, 1,
                         j->Gm + (p * rows + i * nt) * Ko, (int)Ko, j->Am + (p * rows + i * nt) * Ci, (int)Ci,
                         0, dU + p * Ko * Ci, (int)Ci);
                wino_wback(M, dU, Ko, Ci, 1, 0);
            } else if (y->kind == NET_CONV && K <= SMALLK)
                smallk_wgrad(M, a, g, T, K, Ko, 1, 0, kscr);
            else if (y->kind == NET_CONVT)
                GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)Ko, (int)T, 1, a, (int)K, g,
                     (int)Ko, 0, M, (int)Ko);
            else
                GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)Ko, (int)K, (int)T, 1, g, (int)Ko, a,
                     (int)K, 0, M, (int)K);
            s = sumsq(M, Ko * K);
        }
        R *bacc = y->Sb ? y->Sb + i * y->nb : pex + (m->maxpex - y->Co);
        sq[i] += s + bias_sq(m->D[j->l + 1], i, Tb, y->Co, bacc);
    }
}

void NS(example_sqnorms)(NET *m, double *sq)
{
    size_t B = m->B;
    for (size_t i = 0; i < B; i++)
        sq[i] = 0;
    for (size_t l = 0; l < m->L; l++) {
        const layer *y = &m->ly[l];
        sq_job job = {.m = m, .y = y, .l = l, .sq = sq, .per = B};
        double work = 0;    /* per example: the BLAS call's multiply-adds */
        if (y->kind == NET_DENSE || y->kind == NET_CONV || y->kind == NET_CONVT) {
            double T = (double)y->T, K = (double)y->K, Ko = (double)y->Ko;
            job.wino = y->kind == NET_CONV && y->wfwd && y->T > 1 && !(y->ghost && !y->store);
            if (job.wino) {
                ensure_dm(m, l);
                job.Am = y->V, job.Gm = y->dM;
            } else {
                layer_mats(m, l, &job.Am, &job.Gm);
            }
            work = y->T == 1 ? 0 : y->ghost && !y->store ? T * T * (K + Ko) : T * K * Ko;
            if (job.wino)
                work = (double)(WINO_P * y->nt) * (double)y->Ci * Ko;
            work += (double)(y->T * y->Ko);   /* the bias sum */
        } else if (y->kind == NET_GROUPNORM) {
            work = (double)y->ni;
        } else {
            continue;
        }
        /* examples are independent: shared with pa_par_for's helper in
         * chunks when the batch's work is large and each example's BLAS call
         * runs single-threaded anyway */
        pa_blas_threads_for(work);
        if (B >= 2 && work < pa_blas_threshold() && work * (double)B >= (double)(1 << 18))
            job.per = (B + SQ_CHUNKS - 1) / SQ_CHUNKS;
        pa_par_for((B + job.per - 1) / job.per, sq_chunk, &job);
    }
    m->stored = 1;
}

void NS(example_grad_naive)(const NET *m, size_t i, double *g)
{
    for (size_t k = 0; k < m->P; k++)
        g[k] = 0;
    for (size_t l = 0; l < m->L; l++) {
        const layer *y = &m->ly[l];
        const R *x = m->A[l] + i * y->ni, *d = m->D[l + 1] + i * y->no;
        double *gw = g + y->poff;
        size_t Ci = y->Ci, Co = y->Co;
        switch (y->kind) {
        case NET_DENSE:
            for (size_t r = 0; r < y->no; r++) {
                for (size_t k = 0; k < y->ni; k++)
                    gw[r * y->ni + k] = (double)d[r] * x[k];
                gw[y->no * y->ni + r] = d[r];
            }
            break;
        case NET_CONV:
            /* y[oy,ox,o] = b[o] + Σ W[o,ky,kx,c] x[oy s − pad + ky, ox s − pad + kx, c] */
            for (size_t oy = 0; oy < y->Ho; oy++)
                for (size_t ox = 0; ox < y->Wo; ox++)
                    for (size_t o = 0; o < Co; o++) {
                        double go = d[(oy * y->Wo + ox) * Co + o];
                        gw[Co * y->K + o] += go;
                        for (size_t ky = 0; ky < y->k; ky++)
                            for (size_t kx = 0; kx < y->k; kx++) {
                                long iy = (long)(oy * y->s + ky) - (long)y->pad;
                                long ix = (long)(ox * y->s + kx) - (long)y->pad;
                                if (iy < 0 || ix < 0 || iy >= (long)y->Hi || ix >= (long)y->Wi)
                                    continue;
                                for (size_t c = 0; c < Ci; c++)
                                    gw[((o * y->k + ky) * y->k + kx) * Ci + c] +=
                                        go * x[((size_t)iy * y->Wi + (size_t)ix) * Ci + c];
                            }
                    }
            break;
        case NET_CONVT:
            /* y[iy s − pad + ky, ix s − pad + kx, o] += W[c,ky,kx,o] x[iy,ix,c] */
            for (size_t iy = 0; iy < y->Hi; iy++)
                for (size_t ix = 0; ix < y->Wi; ix++)
                    for (size_t ky = 0; ky < y->k; ky++)
                        for (size_t kx = 0; kx < y->k; kx++) {
                            long oy = (long)(iy * y->s + ky) - (long)y->pad;
                            long ox = (long)(ix * y->s + kx) - (long)y->pad;
                            if (oy < 0 || ox < 0 || oy >= (long)y->Ho || ox >= (long)y->Wo)
                                continue;
                            const R *go = d + ((size_t)oy * y->Wo + (size_t)ox) * Co;
                            for (size_t c = 0; c < Ci; c++) {
                                double xc = x[(iy * y->Wi + ix) * Ci + c];
                                for (size_t o = 0; o < Co; o++)
                                    gw[((c * y->k + ky) * y->k + kx) * Co + o] += xc * go[o];
                            }
                        }
            for (size_t t = 0; t < y->Ho * y->Wo; t++)
                for (size_t o = 0; o < Co; o++)
                    gw[Ci * y->Ko + o] += d[t * Co + o];
            break;
        case NET_GROUPNORM:
            gn_example_grad(gw, m->D[l + 1], y, i);
            break;
        default:
            break;
        }
    }
}

static void clip_factors(double C, const double *sq, R *c, size_t B)
{
    for (size_t i = 0; i < B; i++) {
        double nrm = sqrt(sq[i]);
        c[i] = nrm > C ? (R)(C / nrm) : 1;
    }
}

void NS(clip_sum)(NET *m, double C, double *sq, R *c)
{
    size_t B = m->B;
    double *s = sq ? sq : m->sqb;
    R *f = c ? c : m->cb;
    NS(example_sqnorms)(m, s);
    clip_factors(C, s, f, B);
    NS(grad_accumulate)(m, f, 1, 0);
}

int NS(clip_sum_naive)(NET *m, double C, double *sq, R *c, pa_err *err)
{
    size_t B = m->B, P = m->P;
    double *g = pa_malloc(P, sizeof *g), *sum = pa_calloc(P, sizeof *sum);
    if (!g || !sum) {
        free(g);
        free(sum);
        return pa_errf(err, PA_ENOMEM, "net_clip_sum_naive: out of memory for %zu parameters", P);
    }
    for (size_t i = 0; i < B; i++) {
        NS(example_grad_naive)(m, i, g);
        double s = 0;
        for (size_t k = 0; k < P; k++)
            s += g[k] * g[k];
        double nrm = sqrt(s), ci = nrm > C ? C / nrm : 1.0;
        if (sq)
            sq[i] = s;
        if (c)
            c[i] = (R)ci;
        for (size_t k = 0; k < P; k++)
            sum[k] += ci * g[k];
    }
    for (size_t k = 0; k < P; k++)
        m->grads[k] = (R)sum[k];
    free(g);
    free(sum);
    return PA_OK;
}

/* ---- tangents (forward-mode over forward and backward) ---- */

static void gn_tangent_fwd(NET *m, layer *y, const R *X, const R *TX, R *TY, const R *gamma,
                           const R *tgamma, const R *tbeta)
{
    size_t B = m->B, C = y->Ci, G = y->groups, Cg = C / G, T = y->Hi * y->Wi;
    double cnt = (double)(T * Cg);
    (void)X;
    for (size_t i = 0; i < B; i++) {
        const R *tx = TX + i * y->ni, *xh = y->xhat + i * y->ni;
        R *txh = y->txhat + i * y->ni, *ty = TY + i * y->ni;
        for (size_t g = 0; g < G; g++) {
            double mu = 0, m1 = 0;
            for (size_t t = 0; t < T; t++)
                for (size_t c = g * Cg; c < (g + 1) * Cg; c++) {
                    size_t q = t * C + c;
                    mu += tx[q];
                    m1 += (double)xh[q] * tx[q];
                }
            mu /= cnt, m1 /= cnt;
            double rs = y->rstd[i * G + g];
            y->trstd[i * G + g] = (R)(-rs * rs * m1);
            for (size_t t = 0; t < T; t++)
                for (size_t c = g * Cg; c < (g + 1) * Cg; c++) {
                    size_t q = t * C + c;
                    txh[q] = (R)(rs * (tx[q] - mu - xh[q] * m1));
                    ty[q] = gamma[c] * txh[q] + (tgamma ? tgamma[c] * xh[q] + tbeta[c] : 0);
                }
        }
    }
}

static void gn_tangent_bwd(NET *m, layer *y, const R *DY, const R *TDY, R *TDX, const R *gamma,
                           const R *tgamma)
{
    size_t B = m->B, C = y->Ci, G = y->groups, Cg = C / G, T = y->Hi * y->Wi;
    double cnt = (double)(T * Cg);
    for (size_t i = 0; i < B; i++) {
        const R *dy = DY + i * y->ni, *tdy = TDY + i * y->ni;
        const R *xh = y->xhat + i * y->ni, *txh = y->txhat + i * y->ni;
        R *tdx = TDX + i * y->ni;
        for (size_t g = 0; g < G; g++) {
            double a = 0, b = 0, ta = 0, tb = 0;
            for (size_t t = 0; t < T; t++)
                for (size_t c = g * Cg; c < (g + 1) * Cg; c++) {
                    size_t q = t * C + c;
                    double gx = (double)gamma[c] * dy[q];
                    double tgx = (double)gamma[c] * tdy[q] + (tgamma ? (double)tgamma[c] * dy[q] : 0);
                    a += gx;
                    b += gx * xh[q];
                    ta += tgx;
                    tb += tgx * xh[q] + gx * txh[q];
                }
            a /= cnt, b /= cnt, ta /= cnt, tb /= cnt;
            double rs = y->rstd[i * G + g], trs = y->trstd[i * G + g];
            for (size_t t = 0; t < T; t++)
                for (size_t c = g * Cg; c < (g + 1) * Cg; c++) {
                    size_t q = t * C + c;
                    double gx = (double)gamma[c] * dy[q];
                    double tgx = (double)gamma[c] * tdy[q] + (tgamma ? (double)tgamma[c] * dy[q] : 0);
                    tdx[q] = (R)(trs * (gx - a - xh[q] * b) +
                                 rs * (tgx - ta - txh[q] * b - xh[q] * tb));
                }
        }
    }
}

int NS(tangent_forward)(NET *m, const R *dtheta, const R *dX, pa_err *err)
{
    if (reserve_tangent(m) != PA_OK)
        return pa_errf(err, PA_ENOMEM, "net_tangent_forward: out of memory for the tangents");
    size_t B = m->B;
    /* the parameter direction is kept for the tangent backprop and grad */
    m->has_tdth = dtheta != NULL;
    if (dtheta)
        memcpy(m->tdth, dtheta, m->P * sizeof(R));
    dtheta = dtheta ? m->tdth : NULL;
    if (dX)
        memcpy(m->TA[0], dX, B * m->n[0] * sizeof(R));
    else
        memset(m->TA[0], 0, B * m->n[0] * sizeof(R));
    for (size_t l = 0; l < m->L; l++) {
        layer *y = &m->ly[l];
        const R *in = m->A[l], *tin = m->TA[l];
        R *tout = m->TA[l + 1];
        const R *W = m->params + y->poff;
        const R *tW = dtheta ? dtheta + y->poff : NULL;
        switch (y->kind) {
        case NET_DENSE:
            if (tW)
                for (size_t i = 0; i < B; i++)
                    memcpy(tout + i * y->no, tW + y->no * y->ni, y->no * sizeof(R));
            gemm(0, 1, B, y->no, y->ni, 1, tin, y->ni, W, y->ni, tW ? 1 : 0, tout, y->no);
            if (tW)
                gemm(0, 1, B, y->no, y->ni, 1, in, y->ni, tW, y->ni, 1, tout, y->no);
            break;
        case NET_CONV:
            ensure_unfolded(m, l);
            im2col(y->TU, tin, B, y->Hi, y->Wi, y->Ci, y->k, y->s, y->pad, y->Ho, y->Wo);
            gemm(0, 1, B * y->T, y->Co, y->K, 1, y->TU, y->K, W, y->K, 0, tout, y->Co);
            if (tW) {
                gemm(0, 1, B * y->T, y->Co, y->K, 1, y->U, y->K, tW, y->K, 1, tout, y->Co);
                add_bias(tout, tW + y->Co * y->K, B * y->T, y->Co);
            }
            break;
        case NET_CONVT:
            gemm(0, 0, B * y->T, y->Ko, y->K, 1, tin, y->K, W, y->Ko, 0, m->work, y->Ko);
            if (tW)
                gemm(0, 0, B * y->T, y->Ko, y->K, 1, in, y->K, tW, y->Ko, 1, m->work, y->Ko);
            col2im(tout, m->work, B, y->Ho, y->Wo, y->Co, y->k, y->s, y->pad, y->Hi, y->Wi);
            if (tW)
                add_bias(tout, tW + y->K * y->Ko, B * y->Ho * y->Wo, y->Co);
            break;
        case NET_AVGPOOL:
            avgpool_fwd(tout, tin, B, y);
            break;
        case NET_GROUPNORM:
            gn_tangent_fwd(m, y, in, tin, tout, W, tW, tW ? tW + y->Ci : NULL);
            break;
        case NET_ACT: {
            const R *a = m->A[l + 1];
            size_t n = B * y->ni;
            for (size_t k = 0; k < n; k++)
                tout[k] = tin[k] * act_d1(y->act, a[k], y->slope);
            break;
        }
        case NET_FLATTEN:
            break;
        }
    }
    return PA_OK;
}

void NS(tangent_seed_xent)(NET *m, const int32_t *y)
{
    size_t p = m->n[m->L], B = m->B;
    (void)y;   /* softmax − e_y: the label term is constant */
    for (size_t i = 0; i < B; i++) {
        const R *z = m->A[m->L] + i * p, *tz = m->TA[m->L] + i * p;
        R *tg = m->TD[m->L] + i * p;
        double mx = z[0];
        for (size_t j = 1; j < p; j++)
            if (z[j] > mx)
                mx = z[j];
        double s = 0, dot = 0;
        for (size_t j = 0; j < p; j++)
            s += exp(z[j] - mx);
        for (size_t j = 0; j < p; j++)
            dot += exp(z[j] - mx) / s * tz[j];
        for (size_t j = 0; j < p; j++)
            tg[j] = (R)(exp(z[j] - mx) / s * (tz[j] - dot));
    }
}

void NS(tangent_seed_mse)(NET *m)
{
    memcpy(m->TD[m->L], m->TA[m->L], m->B * m->n[m->L] * sizeof(R));
}

void NS(tangent_seed)(NET *m, const R *dG)
{
    size_t n = m->B * m->n[m->L];
    if (dG)
        memcpy(m->TD[m->L], dG, n * sizeof(R));
    else
        memset(m->TD[m->L], 0, n * sizeof(R));
}

void NS(tangent_backprop)(NET *m, int need_dx)
{
    size_t B = m->B;
    const R *dtheta = m->has_tdth ? m->tdth : NULL;
    for (size_t l = m->L; l-- > 0;) {
        layer *y = &m->ly[l];
        const R *dout = m->D[l + 1], *tdout = m->TD[l + 1];
        R *tdin = m->TD[l];
        const R *W = m->params + y->poff;
        const R *tW = dtheta ? dtheta + y->poff : NULL;
        int want = l > 0 || need_dx;
        switch (y->kind) {
        case NET_DENSE:
            if (want) {
                gemm(0, 0, B, y->ni, y->no, 1, tdout, y->no, W, y->ni, 0, tdin, y->ni);
                if (tW)
                    gemm(0, 0, B, y->ni, y->no, 1, dout, y->no, tW, y->ni, 1, tdin, y->ni);
            }
            break;
        case NET_CONV:
            if (want) {
                gemm(0, 0, B * y->T, y->K, y->Co, 1, tdout, y->Co, W, y->K, 0, m->work, y->K);
                if (tW)
                    gemm(0, 0, B * y->T, y->K, y->Co, 1, dout, y->Co, tW, y->K, 1, m->work, y->K);
                col2im(tdin, m->work, B, y->Hi, y->Wi, y->Ci, y->k, y->s, y->pad, y->Ho, y->Wo);
            }
            break;
        case NET_CONVT:
            im2col(y->TU, tdout, B, y->Ho, y->Wo, y->Co, y->k, y->s, y->pad, y->Hi, y->Wi);
            if (want) {
                gemm(0, 1, B * y->T, y->K, y->Ko, 1, y->TU, y->Ko, W, y->Ko, 0, tdin, y->K);
                if (tW)
                    gemm(0, 1, B * y->T, y->K, y->Ko, 1, y->U, y->Ko, tW, y->Ko, 1, tdin, y->K);
            }
            break;
        case NET_AVGPOOL:
            if (want)
                avgpool_bwd(tdin, tdout, B, y);
            break;
        case NET_GROUPNORM:
            if (want)
                gn_tangent_bwd(m, y, dout, tdout, tdin, W, tW);
            break;
        case NET_ACT:
            if (want) {
                const R *a = m->A[l + 1], *tx = m->TA[l];
                size_t n = B * y->ni;
                for (size_t k = 0; k < n; k++) {
                    R d1 = act_d1(y->act, a[k], y->slope);
                    tdin[k] = tdout[k] * d1 + dout[k] * act_d2(y->act, a[k]) * tx[k];
                }
            }
            break;
        case NET_FLATTEN:
            break;
        }
    }
}

void NS(tangent_grad)(NET *m, const R *c, R scale, R *out)
{
    for (size_t l = 0; l < m->L; l++) {
        const layer *y = &m->ly[l];
        R *dW = out + y->poff;
        if (y->kind == NET_DENSE || y->kind == NET_CONV || y->kind == NET_CONVT) {
            const R *Am, *Gm, *TAm, *TGm;
            layer_mats(m, l, &Am, &Gm);
            layer_tmats(m, l, &TAm, &TGm);
            weight_grad(m, y, dW, Am, TGm, c, scale, 0);
            weight_grad(m, y, dW, TAm, Gm, c, scale, 1);
            size_t Tb = y->kind == NET_DENSE ? 1 : y->Ho * y->Wo;
            bias_grad(dW + y->pcount - y->Co, m->TD[l + 1], c, m->B, Tb, y->Co, scale, 0);
        } else if (y->kind == NET_GROUPNORM) {
            size_t C = y->Ci, T = y->Hi * y->Wi;
            for (size_t j = 0; j < 2 * C; j++)
                dW[j] = 0;
            const R *D = m->D[l + 1], *TD = m->TD[l + 1];
            for (size_t i = 0; i < m->B; i++) {
                R w = scale * (c ? c[i] : 1);
                const R *dy = D + i * y->ni, *tdy = TD + i * y->ni;
                const R *xh = y->xhat + i * y->ni, *txh = y->txhat + i * y->ni;
                for (size_t t = 0; t < T; t++)
                    for (size_t j = 0; j < C; j++) {
                        size_t q = t * C + j;
                        dW[j] += w * (tdy[q] * xh[q] + dy[q] * txh[q]);
                        dW[C + j] += w * tdy[q];
                    }
            }
        } else if (y->pcount) {
            memset(dW, 0, y->pcount * sizeof(R));
        }
    }
}
