/* psg.c — private set generation (Chen, Kerkouche, Fritz, "Private Set
 * Generation with Discriminative Information", NeurIPS 2022), on an MLP.
 *
 * n = records, p = encoded width (network inputs), K = label classes,
 * M = "ipc" synthetic records per class, P = network parameters, h = hidden
 * width, q = Poisson sampling rate, C = clipping norm, σ = noise multiplier,
 * T = "restarts" network initialisations, I = "inner" steps per
 * initialisation (T·I DP steps in all).
 *
 * Encoding (every column except the label): numeric (v − lo)/(hi − lo) ∈
 * [0, 1] with the schema bounds (clamped), categorical one-hot. The label
 * column (parameter "label", categorical, K >= 2 codes) is the class.
 *
 * The released object is a set S of K·M encoded records, M per class, with
 * their labels. S starts as U(0, 1) draws projected onto the domain (box for
 * numeric inputs, probability simplex per one-hot block, gi_project).
 *
 * Algorithm 1 of the paper, with an MLP classifier f_θ (p → h ReLU ×
 * "depth" → K logits, softmax cross-entropy ℓ):
 *   for t < T:  θ ← a fresh initialisation (mlp_init, PyTorch's default)
 *     for i < I (one DP step):
 *       Poisson sample: every record joins with probability q;
 *       for each class k: the clipped sum over the sampled records of class k
 *         g_k = Σ_{j: y_j = k} min(1, C/‖∇θ ℓ_j‖) ∇θ ℓ_j   (ghost norms and one
 *         GEMM per layer, core/mlp.h), released as g̃_k = g_k + N(0, σ²C² I);
 *       for each class k: the synthetic gradient s_k = ∇θ (1/M) Σ_{x∈S_k} ℓ(x, k)
 *         and the matching distance (Zhao, Mopuri, Bilen 2021's, which the
 *         paper uses): D_k = Σ_l Σ_rows r of W_l [1 − cos(s_k[r], g̃_k[r])]
 *         (biases not matched, as in their code); ∂D_k/∂S_k by double
 *         backpropagation (attacks/gradinv.h gi_net_grad_dot_dx: the
 *         gradient of ⟨∇θ L(S_k), v⟩ with v = ∂D_k/∂s_k, in double);
 *         one Adam step on S_k ("lr"), then the projection onto the domain;
 *       "net_steps" SGD steps of θ on S ("net_lr", mean cross-entropy),
 *         so the matching sees the network along a training trajectory.
 * The cosine distance is invariant to scaling each row, so g̃_k needs no
 * division by a batch size (the batch sizes are private).
 *
 * Privacy: each DP step releases the K noisy sums (g̃_1 … g̃_K), a vector
 * whose L2 sensitivity is C under adding or removing one record (it joins one
 * class's sum only), after a Poisson sample of rate q: one composition of the
 * Poisson-subsampled Gaussian mechanism (q, σ). T·I compositions, RDP
 * (Mironov, Talwar, Zhang 2019) with Balle et al. 2020's conversion on the
 * opacus orders — the accountant of `privaudit account` (acct_epsilon).
 * σ is calibrated to the config's (ε, δ) (acct_calibrate_sigma); privacy()
 * reports the accountant's ε for the σ used. Neighbours: add/remove one.
 * Everything after the noisy sums — the synthetic gradients, the updates of
 * S and of θ — reads the data only through them (post-processing).
 *
 * "net": "conv" (core/net.h): the columns other than the label are the
 * pixels of one grey "height" x "width" image (row-major; default square),
 * the classifier the paper's ConvNet, narrower: "depth" (2) blocks of conv
 * 3x3 with "hidden" (32) channels, instance norm (group norm with one
 * channel per group — DP-compatible, no batch statistics), ReLU, 2x2 average
 * pooling, then a dense layer to K logits. The clipped sums come from
 * net_clip_sum (ghost norms); the synthetic gradient's input derivative
 * ∂⟨∇θ L(S_k), v⟩/∂S_k from the forward-mode θ-tangent (direction v) of the
 * input gradients (net_tangent_forward / _seed_xent / _backprop / _dx), in
 * float. The matched rows are the conv filters (C_out rows of k·k·C_in) and
 * the dense weight rows; norm scales and biases are not matched.
 *
 * Sampling m records: record b is S[b mod K·M] (classes in turn), numeric
 * values lo + x (hi − lo) (rounded for integer columns), categorical codes
 * the argmax of their block. The set itself is the release; m > K·M repeats it.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "attacks/gradinv.h"
#include "audit/acct.h"
#include "core/mlp.h"
#include "core/net.h"
#include "generators/gen.h"

#define PS_NAME "psg"

typedef struct ps_params {
    int label;
    int conv;             /* "net": "conv" */
    size_t H, W;          /* image shape (conv) */
    size_t ipc, hidden, depth, restarts, inner, net_steps;
    double q, clip, lr, net_lr;
} ps_params;

typedef struct ps_state {
    schema *s;
    int label;
    size_t K, M, p;
    size_t *off;          /* (d) offset of column j in the encoding */
    double *S;            /* (K·M, p) the synthetic set, class k in rows k·M … k·M+M−1 */
    gen_privacy priv;
} ps_state;

static const char *const ps_keys[] = {"label", "net", "height", "width", "ipc", "hidden", "depth", "restarts",
                                      "inner", "net_steps", "q", "clip", "lr", "net_lr", NULL};

static int ps_read_params(const schema *s, const gen_config *cfg, ps_params *p, pa_err *err)
{
    int rc;
    double v;
    if ((rc = gen_param_known(cfg->params, PS_NAME, ps_keys, err)))
        return rc;
    if (!(cfg->epsilon > 0) || isnan(cfg->epsilon))
        return pa_errf(err, PA_EINPUT, "generator \"psg\": epsilon must be > 0 or infinite (got %.17g)", cfg->epsilon);
    if (isfinite(cfg->epsilon) && !(cfg->delta > 0 && cfg->delta < 1))
        return pa_errf(err, PA_EINPUT,
                       "generator \"psg\": delta must be in (0, 1) for a finite epsilon (DP-SGD's Gaussian noise has "
                       "no pure-epsilon guarantee; got %.17g)", cfg->delta);
    const cJSON *lab = cfg->params ? cJSON_GetObjectItemCaseSensitive(cfg->params, "label") : NULL;
    if (!lab)
        return pa_errf(err, PA_EINPUT, "generator \"psg\": parameter \"label\" (the class column) is required");
    if (!cJSON_IsString(lab))
        return pa_errf(err, PA_EINPUT, "generator \"psg\": parameter \"label\": expected a column name");
    int j = schema_col(s, lab->valuestring);
    if (j < 0)
        return pa_errf(err, PA_EINPUT, "generator \"psg\": parameter \"label\": no column \"%s\" in the schema",
                       lab->valuestring);
    if (s->cols[j].kind != COL_CAT || s->cols[j].size < 2)
        return pa_errf(err, PA_EINPUT,
                       "generator \"psg\": parameter \"label\": column \"%s\" must be categorical with >= 2 codes",
                       lab->valuestring);
    if (s->d < 2)
        return pa_errf(err, PA_EINPUT, "generator \"psg\": no column to generate besides the label");
    p->label = j;
    const cJSON *nt = cfg->params ? cJSON_GetObjectItemCaseSensitive(cfg->params, "net") : NULL;
    p->conv = 0;
    if (nt && !(cJSON_IsString(nt) && (!strcmp(nt->valuestring, "mlp") || !strcmp(nt->valuestring, "conv"))))
        return pa_errf(err, PA_EINPUT, "generator \"psg\": parameter \"net\": expected \"mlp\" or \"conv\"");
    if (nt && !strcmp(nt->valuestring, "conv")) {
        p->conv = 1;
        for (size_t c = 0; c < s->d; c++)
            if ((int)c != j && s->cols[c].kind != COL_NUM)
                return pa_errf(err, PA_EINPUT, "generator \"psg\": parameter \"net\": \"conv\" reads the columns "
                               "other than the label as the pixels of one grey image, so they must be numeric "
                               "(column \"%s\" is categorical)", s->cols[c].name);
        double px = (double)(s->d - 1), side = floor(sqrt(px) + 0.5);
        if ((rc = gen_param_int(cfg->params, PS_NAME, "height", side, 1, 1e5, &v, err)))
            return rc;
        p->H = (size_t)v;
        if ((rc = gen_param_int(cfg->params, PS_NAME, "width", floor(px / (double)p->H), 1, 1e5, &v, err)))
            return rc;
        p->W = (size_t)v;
        if (p->H * p->W != s->d - 1)
            return pa_errf(err, PA_EINPUT, "generator \"psg\": parameters \"height\" x \"width\" = %zu x %zu must "
                           "equal the %zu pixel columns", p->H, p->W, s->d - 1);
    } else if (cfg->params && (cJSON_GetObjectItemCaseSensitive(cfg->params, "height") ||
                               cJSON_GetObjectItemCaseSensitive(cfg->params, "width"))) {
        return pa_errf(err, PA_EINPUT, "generator \"psg\": parameters \"height\" and \"width\" only apply with "
                       "\"net\": \"conv\"");
    }
    if ((rc = gen_param_int(cfg->params, PS_NAME, "ipc", 10, 1, 1e5, &v, err)))
        return rc;
    p->ipc = (size_t)v;
    if ((rc = gen_param_int(cfg->params, PS_NAME, "hidden", p->conv ? 32 : 128, 1, 1e5, &v, err)))
        return rc;
    p->hidden = (size_t)v;
    if ((rc = gen_param_int(cfg->params, PS_NAME, "depth", p->conv ? 2 : 1, 1, 10, &v, err)))
        return rc;
    p->depth = (size_t)v;
    if (p->conv) {
        size_t h = p->H, w = p->W;
        for (size_t b = 0; b < p->depth; b++, h /= 2, w /= 2)
            if (h < 2 || w < 2)
                return pa_errf(err, PA_EINPUT, "generator \"psg\": parameter \"depth\": %zu pooling blocks do not "
                               "fit a %zu x %zu image", p->depth, p->H, p->W);
    }
    if ((rc = gen_param_int(cfg->params, PS_NAME, "restarts", 100, 1, 1e7, &v, err)))
        return rc;
    p->restarts = (size_t)v;
    if ((rc = gen_param_int(cfg->params, PS_NAME, "inner", 20, 1, 1e6, &v, err)))
        return rc;
    p->inner = (size_t)v;
    if ((rc = gen_param_int(cfg->params, PS_NAME, "net_steps", 1, 0, 1e4, &v, err)))
        return rc;
    p->net_steps = (size_t)v;
    if ((rc = gen_param_num(cfg->params, PS_NAME, "q", 0.01, 1e-7, 1, &p->q, err)))
        return rc;
    if ((rc = gen_param_num(cfg->params, PS_NAME, "clip", 1, 1e-6, 1e6, &p->clip, err)))
        return rc;
    if ((rc = gen_param_num(cfg->params, PS_NAME, "lr", 0.01, 1e-8, 10, &p->lr, err)))
        return rc;
    if ((rc = gen_param_num(cfg->params, PS_NAME, "net_lr", 0.01, 0, 10, &p->net_lr, err)))
        return rc;
    return PA_OK;
}

static int ps_check(const schema *s, const gen_config *cfg, pa_err *err)
{
    ps_params p;
    return ps_read_params(s, cfg, &p, err);
}

static void ps_free(void *state)
{
    ps_state *st = state;
    if (!st)
        return;
    schema_free(st->s);
    free(st->off);
    free(st->S);
    free(st);
}

/* Row i of t encoded into x (p). */
static void ps_encode(const table *t, const ps_state *st, size_t i, float *x)
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

/* The rows the matching distance compares: weight matrix rows (dense
 * (out, in), conv (C_out, k·k·C_in)) at offset off of θ, rows × len. */
typedef struct ps_rows {
    size_t off, rows, len;
} ps_rows;

/* v (P) = ∂D/∂s for D = Σ_rows [1 − cos(s_row, g_row)] over the rows R (nr)
 * (everything else — biases, norm scales — 0), Zhao et al.'s distance with
 * its 1e-6 guard in the denominator. Returns D. */
static double ps_match(const ps_rows *R, size_t nr, size_t NP, const double *s, const float *g, double *v)
{
    double D = 0;
    memset(v, 0, NP * sizeof *v);
    for (size_t q = 0; q < nr; q++)
        for (size_t r = 0; r < R[q].rows; r++) {
            size_t o = R[q].off + r * R[q].len, in = R[q].len;
            double ss = 0, gg = 0, sg = 0;
            for (size_t k = 0; k < in; k++) {
                ss += s[o + k] * s[o + k];
                gg += (double)g[o + k] * g[o + k];
                sg += s[o + k] * g[o + k];
            }
            double ns = sqrt(ss), ng = sqrt(gg), den = ns * ng + 1e-6;
            D += 1 - sg / den;
            /* ∂(−sg/den)/∂s = −g/den + sg·ng·s/(ns·den²) */
            double a = ns > 0 ? sg * ng / (ns * den * den) : 0;
            for (size_t k = 0; k < in; k++)
                v[o + k] = -(double)g[o + k] / den + a * s[o + k];
        }
    return D;
}

static int ps_fit(const table *train, const gen_config *cfg, gsl_rng *r, void **state, pa_err *err)
{
    *state = NULL;
    ps_params P;
    int rc = ps_read_params(train->s, cfg, &P, err);
    if (rc)
        return rc;
    const size_t n = train->n;
    if (n == 0)
        return pa_errf(err, PA_EINPUT, "generator \"psg\": the training table has no records");
    ps_state *st = pa_calloc(1, sizeof *st);
    if (!st)
        return pa_errf(err, PA_ENOMEM, "generator \"psg\": out of memory");
    float *X = NULL, *Xb = NULL, *gex = NULL, *gno = NULL, *Sf = NULL, *fac = NULL;
    double *sq = NULL, *v = NULL, *sgrad = NULL, *dX = NULL, *am = NULL, *av = NULL;
    size_t *byc = NULL, *cstart = NULL, *width = NULL, *blk_s = NULL, *blk_l = NULL;
    int32_t *yb = NULL, *ys = NULL;
    mlp *mn = NULL;
    gi_net *gn = NULL;
    net *cn = NULL;
    ps_rows *R = NULL;
    net_layer_spec *cl = NULL;
    float *vf = NULL, *sf = NULL;
    st->label = P.label;
    st->K = train->s->cols[P.label].size;
    st->M = P.ipc;
    const size_t K = st->K, M = P.ipc, KM = K * M;
    st->s = schema_copy(train->s);
    st->off = pa_calloc(train->d, sizeof *st->off);
    if (!st->s || !st->off)
        goto nomem;
    size_t p = 0, nblk = 0;
    for (size_t j = 0; j < train->d; j++) {
        if ((int)j == P.label)
            continue;
        st->off[j] = p;
        if (train->s->cols[j].kind == COL_NUM) {
            p += 1;
        } else {
            p += train->s->cols[j].size;
            nblk++;
        }
    }
    st->p = p;
    blk_s = pa_calloc(nblk + 1, sizeof *blk_s);
    blk_l = pa_calloc(nblk + 1, sizeof *blk_l);
    if (!blk_s || !blk_l)
        goto nomem;
    nblk = 0;
    for (size_t j = 0; j < train->d; j++)
        if ((int)j != P.label && train->s->cols[j].kind == COL_CAT && train->s->cols[j].size >= 2) {
            blk_s[nblk] = st->off[j];
            blk_l[nblk++] = train->s->cols[j].size;
        }
    gi_domain dom = {.n_blocks = nblk, .block_start = blk_s, .block_len = blk_l};

    /* the plan and the privacy */
    const size_t T = P.restarts * P.inner;
    double sigma = 0;
    if (isfinite(cfg->epsilon)) {
        if ((rc = acct_calibrate_sigma(ACCT_RDP, cfg->epsilon, P.q, (double)T, cfg->delta, NULL, 0, &sigma, err))) {
            pa_err_prefix(err, "generator \"psg\": calibrating sigma for epsilon = %g, delta = %g, q = %g, %zu steps",
                          cfg->epsilon, cfg->delta, P.q, T);
            goto fail;
        }
        if ((rc = acct_epsilon(ACCT_RDP, sigma, P.q, (double)T, cfg->delta, NULL, 0, &st->priv.epsilon, err))) {
            pa_err_prefix(err, "generator \"psg\"");
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

    /* the data, encoded, and the rows of each class */
    X = pa_malloc(n * p, sizeof *X);
    byc = pa_malloc(n, sizeof *byc);
    cstart = pa_calloc(K + 1, sizeof *cstart);
    if (!X || !byc || !cstart)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        ps_encode(train, st, i, X + i * p);
        int32_t y = train->cat[P.label][i];
        cstart[(y >= 0 && (size_t)y < K ? (size_t)y : 0) + 1]++;
    }
    for (size_t k = 0; k < K; k++)
        cstart[k + 1] += cstart[k];
    {
        size_t *fill = pa_malloc(K, sizeof *fill);
        if (!fill)
            goto nomem;
        memcpy(fill, cstart, K * sizeof *fill);
        for (size_t i = 0; i < n; i++) {
            int32_t y = train->cat[P.label][i];
            byc[fill[y >= 0 && (size_t)y < K ? (size_t)y : 0]++] = i;
        }
        free(fill);
    }

    /* the network */
    const size_t L = P.depth + 1;
    size_t nr = 0, NP;
    if (!P.conv) {
        width = pa_malloc(L + 1, sizeof *width);
        R = pa_malloc(L, sizeof *R);
        if (!width || !R)
            goto nomem;
        width[0] = p;
        for (size_t l = 1; l < L; l++)
            width[l] = P.hidden;
        width[L] = K;
        mlp_spec spec = {.L = L, .width = width, .hidden = MLP_RELU, .out = MLP_IDENTITY};
        if ((rc = mlp_new(&spec, &mn, err)))
            goto fail;
        mlp_init(mn, r);
        if ((rc = gi_net_from_mlp(mn, &gn, err)))
            goto fail;
        NP = mlp_nparams(mn);
        for (size_t l = 0, o = 0; l < L; l++) {
            R[nr++] = (ps_rows){.off = o, .rows = width[l + 1], .len = width[l]};
            o += width[l] * width[l + 1] + width[l + 1];
        }
    } else {
        /* the paper's ConvNet, narrower: "depth" blocks of conv 3x3 ("hidden"
         * channels, pad 1), instance norm, ReLU, 2x2 average pooling; then a
         * dense layer to the K logits */
        size_t nl = 4 * P.depth + 2;
        cl = pa_calloc(nl, sizeof *cl);
        R = pa_malloc(P.depth + 1, sizeof *R);
        if (!cl || !R)
            goto nomem;
        for (size_t b = 0; b < P.depth; b++) {
            cl[4 * b] = (net_layer_spec){.kind = NET_CONV, .out = P.hidden, .k = 3, .stride = 1, .pad = 1};
            cl[4 * b + 1] = (net_layer_spec){.kind = NET_GROUPNORM, .groups = P.hidden};
            cl[4 * b + 2] = (net_layer_spec){.kind = NET_ACT, .act = NET_RELU};
            cl[4 * b + 3] = (net_layer_spec){.kind = NET_AVGPOOL, .k = 2, .stride = 2};
        }
        cl[nl - 2] = (net_layer_spec){.kind = NET_FLATTEN};
        cl[nl - 1] = (net_layer_spec){.kind = NET_DENSE, .out = K};
        net_spec ns = {.H = P.H, .W = P.W, .C = 1, .L = nl, .layer = cl};
        if ((rc = net_new(&ns, &cn, err)))
            goto fail;
        net_init(cn, r);
        NP = net_nparams(cn);
        for (size_t l = 0; l < nl; l++)
            if (cl[l].kind == NET_CONV || cl[l].kind == NET_DENSE) {
                size_t rows = cl[l].out, cnt = net_param_count(cn, l);
                R[nr++] = (ps_rows){.off = net_param_offset(cn, l), .rows = rows, .len = cnt / rows - 1};
            }
    }
    size_t cap = 0;
    for (size_t k = 0; k < K; k++)
        cap = cstart[k + 1] - cstart[k] > cap ? cstart[k + 1] - cstart[k] : cap;
    Xb = pa_malloc((cap ? cap : 1) * p, sizeof *Xb);
    yb = pa_malloc(cap > KM ? cap : KM, sizeof *yb);
    fac = pa_malloc(cap ? cap : 1, sizeof *fac);
    sq = pa_malloc(cap ? cap : 1, sizeof *sq);
    gno = pa_malloc(K * NP, sizeof *gno);
    gex = cfg->noise ? pa_malloc(K * NP, sizeof *gex) : NULL;
    st->S = pa_malloc(KM * p, sizeof *st->S);
    Sf = pa_malloc(KM * p, sizeof *Sf);
    ys = pa_malloc(KM, sizeof *ys);
    v = pa_malloc(NP, sizeof *v);
    vf = pa_malloc(NP, sizeof *vf);
    sf = pa_malloc(NP, sizeof *sf);
    sgrad = pa_malloc(NP, sizeof *sgrad);
    dX = pa_malloc(M * p, sizeof *dX);
    am = pa_calloc(KM * p, sizeof *am);
    av = pa_calloc(KM * p, sizeof *av);
    if (!Xb || !yb || !fac || !sq || !gno || (cfg->noise && !gex) || !st->S || !Sf || !ys || !v || !vf || !sf || !sgrad || !dX ||
        !am || !av)
        goto nomem;
    for (size_t k = 0; k < KM * p; k++)
        st->S[k] = gsl_rng_uniform(r);
    gi_project(&dom, st->S, KM, p);
    for (size_t b = 0; b < KM; b++)
        ys[b] = (int32_t)(b / M);

    const double sd = sigma * P.clip, b1 = 0.9, b2 = 0.999;
    size_t adam_t = 0;
    for (size_t t = 0; t < P.restarts; t++) {
        if (cn)
            net_init(cn, r);
        else
            mlp_init(mn, r);
        for (size_t it = 0; it < P.inner; it++) {
            /* one DP step: Poisson sample, the K clipped sums, noise */
            for (size_t k = 0; k < K; k++) {
                size_t B = 0;
                for (size_t a = cstart[k]; a < cstart[k + 1]; a++)
                    if (gsl_rng_uniform(r) < P.q) {
                        memcpy(Xb + B * p, X + byc[a] * p, p * sizeof *Xb);
                        yb[B++] = (int32_t)k;
                    }
                float *gk = gno + k * NP;
                if (B > 0 && cn) {
                    if ((rc = net_forward(cn, Xb, B, NULL, err)) || (rc = net_loss_xent(cn, yb, NULL, NULL, err)))
                        goto fail;
                    net_backprop(cn, 0);
                    net_clip_sum(cn, P.clip, NULL, NULL);
                    memcpy(gk, net_grads(cn), NP * sizeof *gk);
                } else if (B > 0) {
                    if ((rc = mlp_forward(mn, Xb, B, NULL, err)) || (rc = mlp_loss_xent(mn, yb, NULL, NULL, err)))
                        goto fail;
                    mlp_backprop(mn, 0);
                    mlp_example_sqnorms(mn, sq);
                    for (size_t b = 0; b < B; b++) {
                        double nb = sqrt(sq[b]);
                        fac[b] = (float)(nb > P.clip ? P.clip / nb : 1.0);
                    }
                    mlp_grad_accumulate(mn, fac, 1.0f, 0.0f);
                    memcpy(gk, mlp_grads(mn), NP * sizeof *gk);
                } else {
                    memset(gk, 0, NP * sizeof *gk);
                }
            }
            if (gex)
                memcpy(gex, gno, K * NP * sizeof *gex);
            if (sd > 0)
                for (size_t k = 0; k < K * NP; k++)
                    gno[k] += (float)gsl_ran_gaussian_ziggurat(r, sd);
            if (gex)
                gen_noise_sgd(cfg->noise, gex, gno, K * NP, sd, P.clip, P.q);

            /* match: one Adam step on each class's synthetic records */
            if (gn) {
                double *th = gi_net_params(gn);
                const float *tf = mlp_params(mn);
                for (size_t k = 0; k < NP; k++)
                    th[k] = (double)tf[k];
            }
            adam_t++;
            const double c1 = 1 - pow(b1, (double)adam_t), c2 = 1 - pow(b2, (double)adam_t);
            for (size_t k = 0; k < K; k++) {
                double *Sk = st->S + k * M * p;
                if (gn) {
                    if ((rc = gi_net_grad(gn, Sk, ys + k * M, M, sgrad, NULL, err)))
                        goto fail;
                    ps_match(R, nr, NP, sgrad, gno + k * NP, v);
                    if ((rc = gi_net_grad_dot_dx(gn, Sk, ys + k * M, M, v, dX, NULL, err)))
                        goto fail;
                } else {
                    /* s = ∇θ (1/M) Σ ℓ(S_k), v = ∂D/∂s, then ∂⟨s, v⟩/∂S_k as the
                     * θ-tangent (direction v) of the input gradients (core/net.h) */
                    float *Skf = Sf + k * M * p;
                    for (size_t e = 0; e < M * p; e++)
                        Skf[e] = (float)Sk[e];
                    if ((rc = net_forward(cn, Skf, M, NULL, err)) ||
                        (rc = net_loss_xent(cn, ys + k * M, NULL, NULL, err)))
                        goto fail;
                    net_backprop(cn, 1);
                    net_grad_accumulate(cn, NULL, 1.0f / (float)M, 0.0f);
                    const float *gs = net_grads(cn);
                    for (size_t e = 0; e < NP; e++)
                        sgrad[e] = (double)gs[e];
                    ps_match(R, nr, NP, sgrad, gno + k * NP, v);
                    for (size_t e = 0; e < NP; e++)
                        vf[e] = (float)v[e];
                    if ((rc = net_tangent_forward(cn, vf, NULL, err)))
                        goto fail;
                    net_tangent_seed_xent(cn, ys + k * M);
                    net_tangent_backprop(cn, 1);
                    const float *td = net_tangent_dx(cn);
                    for (size_t e = 0; e < M * p; e++)
                        dX[e] = (double)td[e] / (double)M;
                }
                double *mk = am + k * M * p, *vk = av + k * M * p;
                for (size_t e = 0; e < M * p; e++) {
                    mk[e] = b1 * mk[e] + (1 - b1) * dX[e];
                    vk[e] = b2 * vk[e] + (1 - b2) * dX[e] * dX[e];
                    Sk[e] -= P.lr * (mk[e] / c1) / (sqrt(vk[e] / c2) + 1e-8);
                }
            }
            gi_project(&dom, st->S, KM, p);

            /* the network's steps on the synthetic set (post-processing) */
            if (P.net_steps && P.net_lr > 0) {
                for (size_t e = 0; e < KM * p; e++)
                    Sf[e] = (float)st->S[e];
                for (size_t s = 0; s < P.net_steps; s++) {
                    float *th;
                    const float *g;
                    if (cn) {
                        if ((rc = net_forward(cn, Sf, KM, NULL, err)) || (rc = net_loss_xent(cn, ys, NULL, NULL, err)))
                            goto fail;
                        net_backward(cn, 1.0f / (float)KM);
                        th = net_params(cn);
                        g = net_grads(cn);
                    } else {
                        if ((rc = mlp_forward(mn, Sf, KM, NULL, err)) || (rc = mlp_loss_xent(mn, ys, NULL, NULL, err)))
                            goto fail;
                        mlp_backward(mn, 1.0f / (float)KM);
                        th = mlp_params(mn);
                        g = mlp_grads(mn);
                    }
                    for (size_t e = 0; e < NP; e++)
                        th[e] -= (float)P.net_lr * g[e];
                }
            }
        }
    }
    for (size_t e = 0; e < KM * p; e++)
        if (!isfinite(st->S[e])) {
            rc = pa_errf(err, PA_EINTERNAL, "generator \"psg\": the synthetic set diverged (non-finite value); "
                         "lower \"lr\"");
            goto fail;
        }
    rc = PA_OK;
    goto done;
nomem:
    rc = pa_errf(err, PA_ENOMEM, "generator \"psg\": out of memory");
fail:
    ps_free(st);
    st = NULL;
done:
    free(X);
    free(Xb);
    free(gex);
    free(gno);
    free(Sf);
    free(fac);
    free(sq);
    free(v);
    free(sgrad);
    free(dX);
    free(am);
    free(av);
    free(byc);
    free(cstart);
    free(width);
    free(blk_s);
    free(blk_l);
    free(yb);
    free(ys);
    mlp_free(mn);
    gi_net_free(gn);
    net_free(cn);
    free(cl);
    free(R);
    free(vf);
    free(sf);
    *state = st;
    return rc;
}

static int ps_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    *out = NULL;
    const ps_state *st = state;
    const schema *s = st->s;
    const size_t KM = st->K * st->M, p = st->p;
    table *t = tbl_new(s, m);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "generator \"psg\": out of memory for %zu records", m);
    for (size_t b = 0; b < m; b++) {
        size_t row = b % KM;
        const double *x = st->S + row * p;
        for (size_t j = 0; j < s->d; j++) {
            const col_spec *c = &s->cols[j];
            if ((int)j == st->label) {
                t->cat[j][b] = (int32_t)(row / st->M);
            } else if (c->kind == COL_NUM) {
                double v = c->lo + x[st->off[j]] * (c->hi - c->lo);
                if (c->integer) {
                    v = round(v);
                    if (v < ceil(c->lo))
                        v = ceil(c->lo);
                    if (v > floor(c->hi))
                        v = floor(c->hi);
                }
                t->num[j][b] = v < c->lo ? c->lo : v > c->hi ? c->hi : v;
            } else {
                size_t best = 0;
                for (size_t k = 1; k < c->size; k++)
                    best = x[st->off[j] + k] > x[st->off[j] + best] ? k : best;
                t->cat[j][b] = (int32_t)best;
            }
        }
    }
    *out = t;
    return PA_OK;
}

static void ps_privacy(const void *state, gen_privacy *out)
{
    *out = ((const ps_state *)state)->priv;
}

const gen_vtable gen_psg = {
    .name = PS_NAME,
    .summary = "private set generation: K x ipc records fitted to DP-SGD-sanitised class gradients; RDP accountant",
    .check = ps_check,
    .fit = ps_fit,
    .sample = ps_sample,
    .privacy = ps_privacy,
    .free_state = ps_free,
};
