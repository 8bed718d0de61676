/* jtree.c — junction trees, belief propagation, mirror descent, projection
 * and forward sampling for the marginal-based generators (AIM).
 *
 * d = attributes, c = cells, k = potential cliques (maximal measured
 * cliques), J = junction-tree cliques, S = separators, m = measurements.
 */
#include "generators/jtree.h"
#include "generators/pgm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int popcount64(jt_clique x)
{
    return __builtin_popcountll(x);
}

size_t jt_clique_cells(const size_t *card, jt_clique cl, size_t limit)
{
    size_t c = 1;
    for (size_t j = 0; cl; j++, cl >>= 1) {
        if (!(cl & 1))
            continue;
        if (card[j] == 0 || c > limit / card[j])
            return 0;
        c *= card[j];
    }
    return c;
}

static double clique_cells_d(const size_t *card, jt_clique cl)
{
    double c = 1;
    for (size_t j = 0; cl; j++, cl >>= 1)
        if (cl & 1)
            c *= (double)card[j];
    return c;
}

/* map[i] = index in clique `small` (⊆ big) of cell i of clique `big` */
static void cell_map(uint32_t *map, jt_clique big, jt_clique small, const size_t *card)
{
    size_t a[JT_MAX_ATTRS], st[JT_MAX_ATTRS], dig[JT_MAX_ATTRS], k = 0;
    for (size_t j = 0; j < JT_MAX_ATTRS; j++)
        if (big >> j & 1)
            a[k++] = j;
    size_t s = 1, cells = 1;
    for (size_t q = k; q-- > 0;) {
        cells *= card[a[q]];
        if (small >> a[q] & 1) {
            st[q] = s;
            s *= card[a[q]];
        } else {
            st[q] = 0;
        }
        dig[q] = 0;
    }
    size_t idx = 0;
    for (size_t i = 0; i < cells; i++) {
        map[i] = (uint32_t)idx;
        for (size_t q = k; q-- > 0;) {
            idx += st[q];
            if (++dig[q] < card[a[q]])
                break;
            idx -= st[q] * card[a[q]];
            dig[q] = 0;
        }
    }
}

/* ---- junction-tree structure ---- */

typedef struct jt_struct {
    size_t nj;
    jt_clique *J;    /* (nj) cliques */
    size_t *parent;  /* (nj) parent clique, SIZE_MAX for the root */
    size_t *order;   /* (nj) every clique after its parent, order[0] = root */
} jt_struct;

static void jt_struct_free(jt_struct *s)
{
    free(s->J);
    free(s->parent);
    free(s->order);
    memset(s, 0, sizeof *s);
}

/* Greedy elimination order (private-pgm greedy_order, deterministic: the
 * attribute whose cliques' union has the fewest cells, ties to the lowest
 * index), triangulation along it, the maximal cliques of the triangulated
 * graph ({v} ∪ its later neighbours, kept when maximal), and a maximum
 * spanning tree of their intersection sizes (Prim from clique 0; any
 * maximum spanning tree of a chordal graph's clique graph is a junction
 * tree). */
static int jt_build(const size_t *card, size_t d, const jt_clique *cl, size_t k, jt_struct *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = k + d + 1;
    jt_clique *work = malloc(cap * sizeof *work), *cand = malloc((d + 1) * sizeof *cand);
    jt_clique adj[JT_MAX_ATTRS] = {0};
    size_t order[JT_MAX_ATTRS];
    if (!work || !cand) {
        free(work);
        free(cand);
        return PA_ENOMEM;
    }
    size_t nw = 0;
    for (size_t q = 0; q < k; q++) {
        work[nw++] = cl[q];
        for (size_t a = 0; a < d; a++)
            if (cl[q] >> a & 1)
                adj[a] |= cl[q] & ~((jt_clique)1 << a);
    }
    /* greedy order over the evolving clique set */
    jt_clique unmarked = d == 64 ? ~(jt_clique)0 : (((jt_clique)1 << d) - 1);
    for (size_t step = 0; step < d; step++) {
        double best = INFINITY;
        size_t pick = 0;
        for (size_t a = 0; a < d; a++) {
            if (!(unmarked >> a & 1))
                continue;
            jt_clique u = (jt_clique)1 << a;
            for (size_t q = 0; q < nw; q++)
                if (work[q] >> a & 1)
                    u |= work[q];
            double c = clique_cells_d(card, u);
            if (c < best) {
                best = c;
                pick = a;
            }
        }
        order[step] = pick;
        unmarked &= ~((jt_clique)1 << pick);
        jt_clique u = 0;
        size_t w = 0;
        for (size_t q = 0; q < nw; q++) {
            if (work[q] >> pick & 1)
                u |= work[q];
            else
                work[w++] = work[q];
        }
        u &= ~((jt_clique)1 << pick);
        work[w++] = u;
        nw = w;
    }
    /* triangulate: eliminating v joins its remaining neighbours */
    jt_clique alive = d == 64 ? ~(jt_clique)0 : (((jt_clique)1 << d) - 1);
    size_t nc = 0;
    for (size_t step = 0; step < d; step++) {
        size_t v = order[step];
        jt_clique nb = adj[v] & alive & ~((jt_clique)1 << v);
        for (size_t a = 0; a < d; a++)
            if (nb >> a & 1)
                adj[a] |= nb & ~((jt_clique)1 << a);
        alive &= ~((jt_clique)1 << v);
        cand[nc++] = nb | ((jt_clique)1 << v);
    }
    /* maximal ones, in elimination order */
    size_t nj = 0;
    for (size_t q = 0; q < nc; q++) {
        int sub = 0;
        for (size_t p = 0; p < nc && !sub; p++)
            if (p != q && (cand[q] & cand[p]) == cand[q] && (cand[q] != cand[p] || p < q))
                sub = 1;
        if (!sub)
            cand[nj++] = cand[q];
    }
    free(work);
    out->nj = nj;
    out->J = malloc(nj * sizeof *out->J);
    out->parent = malloc(nj * sizeof *out->parent);
    out->order = malloc(nj * sizeof *out->order);
    unsigned char *in = calloc(nj, 1);
    int *bestw = malloc(nj * sizeof *bestw);
    size_t *bestp = malloc(nj * sizeof *bestp);
    if (!out->J || !out->parent || !out->order || !in || !bestw || !bestp) {
        free(cand);
        free(in);
        free(bestw);
        free(bestp);
        jt_struct_free(out);
        return PA_ENOMEM;
    }
    memcpy(out->J, cand, nj * sizeof *cand);
    free(cand);
    /* Prim, maximum weight = |intersection| */
    for (size_t q = 0; q < nj; q++) {
        bestw[q] = -1;
        bestp[q] = SIZE_MAX;
    }
    size_t cur = 0;
    in[0] = 1;
    out->order[0] = 0;
    out->parent[0] = SIZE_MAX;
    for (size_t t = 1; t < nj; t++) {
        for (size_t q = 0; q < nj; q++) {
            if (in[q])
                continue;
            int w = popcount64(out->J[q] & out->J[cur]);
            if (w > bestw[q]) {
                bestw[q] = w;
                bestp[q] = cur;
            }
        }
        size_t pick = SIZE_MAX;
        for (size_t q = 0; q < nj; q++)
            if (!in[q] && (pick == SIZE_MAX || bestw[q] > bestw[pick]))
                pick = q;
        in[pick] = 1;
        out->parent[pick] = bestp[pick];
        out->order[t] = pick;
        cur = pick;
    }
    free(in);
    free(bestw);
    free(bestp);
    return PA_OK;
}

int jt_model_cells(const size_t *card, size_t d, const jt_clique *cl, size_t k, double *cells, pa_err *err)
{
    *cells = NAN;
    if (d > JT_MAX_ATTRS || d == 0)
        return pa_errf(err, PA_EINPUT, "junction tree: %zu attributes; expected 1..%d", d, JT_MAX_ATTRS);
    jt_struct s;
    if (jt_build(card, d, cl, k, &s))
        return pa_errf(err, PA_ENOMEM, "junction tree: out of memory");
    double c = 0;
    for (size_t q = 0; q < s.nj; q++)
        c += clique_cells_d(card, s.J[q]);
    jt_struct_free(&s);
    *cells = c;
    return PA_OK;
}

double jt_total_estimate(const size_t *card, const jt_meas *m, size_t nm)
{
    double num = 0, den = 0;
    for (size_t q = 0; q < nm; q++) {
        size_t c = jt_clique_cells(card, m[q].clique, JT_MAX_CELLS);
        double s = 0;
        for (size_t i = 0; i < c; i++)
            s += m[q].y[i];
        double v = m[q].sigma * m[q].sigma * (double)c;
        num += s / v;
        den += 1.0 / v;
    }
    double t = den > 0 ? num / den : 1.0;
    return t > 1.0 ? t : 1.0;
}

/* ---- the model ---- */

struct jt_model {
    size_t d;
    size_t *card;        /* (d) */
    double total;
    double loss;
    double alpha;        /* the step size the fit ended with */
    /* potential cliques */
    size_t nk;
    jt_clique *K;        /* (nk) */
    size_t *kc;          /* (nk) cells */
    size_t *kJ;          /* (nk) the junction-tree clique holding it */
    uint32_t **mapJK;    /* (nk) (cells of J) → cell of K */
    double **theta;      /* (nk) (kc) log-potentials */
    /* junction tree */
    jt_struct t;
    size_t *jc;          /* (nj) cells */
    jt_clique *S;        /* (nj) separator with the parent (0 for the root) */
    size_t *sc;          /* (nj) separator cells */
    uint32_t **mapJS;    /* (nj) (cells of J) → cell of S_J */
    uint32_t **mapPS;    /* (nj) (cells of parent) → cell of S_J */
    double **mu;         /* (nj) marginals (counts summing to total) */
    /* measurements */
    size_t nm;
    jt_clique *M;        /* (nm) */
    size_t *mc;          /* (nm) cells */
    double *sigma;       /* (nm) */
    double **y;          /* (nm) copies of the noisy counts */
    size_t *mK;          /* (nm) potential clique holding it */
    uint32_t **mapKM;    /* (nm) (cells of K) → cell of M */
};

void jt_free(jt_model *g)
{
    if (!g)
        return;
    for (size_t q = 0; q < g->nk; q++) {
        if (g->mapJK)
            free(g->mapJK[q]);
        if (g->theta)
            free(g->theta[q]);
    }
    for (size_t q = 0; q < g->t.nj; q++) {
        if (g->mapJS)
            free(g->mapJS[q]);
        if (g->mapPS)
            free(g->mapPS[q]);
        if (g->mu)
            free(g->mu[q]);
    }
    for (size_t q = 0; q < g->nm; q++) {
        if (g->y)
            free(g->y[q]);
        if (g->mapKM)
            free(g->mapKM[q]);
    }
    free(g->card);
    free(g->K);
    free(g->kc);
    free(g->kJ);
    free(g->mapJK);
    free(g->theta);
    jt_struct_free(&g->t);
    free(g->jc);
    free(g->S);
    free(g->sc);
    free(g->mapJS);
    free(g->mapPS);
    free(g->mu);
    free(g->M);
    free(g->mc);
    free(g->sigma);
    free(g->y);
    free(g->mK);
    free(g->mapKM);
    free(g);
}

/* out[s] = log Σ_{i: map[i] = s} exp(v[i]) for s < ns (tmp: ns doubles) */
static void lse_scatter(double *out, size_t ns, const double *v, const uint32_t *map, size_t n, double *tmp)
{
    for (size_t s = 0; s < ns; s++)
        tmp[s] = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (v[i] > tmp[map[i]])
            tmp[map[i]] = v[i];
    for (size_t s = 0; s < ns; s++)
        out[s] = 0;
    for (size_t i = 0; i < n; i++)
        out[map[i]] += exp(v[i] - tmp[map[i]]);
    for (size_t s = 0; s < ns; s++)
        out[s] = tmp[s] + log(out[s]);
}

/* Belief propagation: from potentials th (nk arrays) into g->mu (counts).
 * work: scratch of at least 2·max(sc) doubles; bel: nj scratch arrays. */
static void jt_bp(jt_model *g, double *const *th, double **bel, double *work, double **up)
{
    size_t nj = g->t.nj;
    for (size_t q = 0; q < nj; q++)
        memset(bel[q], 0, g->jc[q] * sizeof **bel);
    for (size_t k = 0; k < g->nk; k++) {
        size_t J = g->kJ[k];
        const uint32_t *map = g->mapJK[k];
        const double *tk = th[k];
        double *b = bel[J];
        for (size_t i = 0; i < g->jc[J]; i++)
            b[i] += tk[map[i]];
    }
    /* collect: children before parents */
    for (size_t q = nj; q-- > 1;) {
        size_t J = g->t.order[q], P = g->t.parent[J];
        lse_scatter(up[J], g->sc[J], bel[J], g->mapJS[J], g->jc[J], work);
        const uint32_t *mp = g->mapPS[J];
        double *bp = bel[P];
        const double *u = up[J];
        for (size_t i = 0; i < g->jc[P]; i++)
            bp[i] += u[mp[i]];
    }
    /* distribute: parents before children */
    for (size_t q = 1; q < nj; q++) {
        size_t J = g->t.order[q], P = g->t.parent[J];
        double *down = work + g->sc[J];
        lse_scatter(down, g->sc[J], bel[P], g->mapPS[J], g->jc[P], work);
        for (size_t s = 0; s < g->sc[J]; s++)
            down[s] -= up[J][s];
        const uint32_t *mj = g->mapJS[J];
        double *bj = bel[J];
        for (size_t i = 0; i < g->jc[J]; i++)
            bj[i] += down[mj[i]];
    }
    for (size_t q = 0; q < nj; q++) {
        size_t c = g->jc[q];
        const double *b = bel[q];
        double mx = -INFINITY, z = 0;
        for (size_t i = 0; i < c; i++)
            mx = b[i] > mx ? b[i] : mx;
        for (size_t i = 0; i < c; i++)
            z += exp(b[i] - mx);
        double lz = mx + log(z), *mu = g->mu[q];
        for (size_t i = 0; i < c; i++)
            mu[i] = g->total * exp(b[i] - lz);
    }
}

/* Marginals on the potential cliques from g->mu into muk. */
static void jt_mu_k(const jt_model *g, double **muk)
{
    for (size_t k = 0; k < g->nk; k++) {
        size_t J = g->kJ[k];
        memset(muk[k], 0, g->kc[k] * sizeof **muk);
        const uint32_t *map = g->mapJK[k];
        const double *mu = g->mu[J];
        for (size_t i = 0; i < g->jc[J]; i++)
            muk[k][map[i]] += mu[i];
    }
}

/* Loss at muk; with grad != NULL also its gradient on the potential cliques.
 * tmp: at least max(mc) doubles. */
static double jt_loss_grad(const jt_model *g, double *const *muk, double **grad, double *tmp)
{
    double loss = 0;
    if (grad)
        for (size_t k = 0; k < g->nk; k++)
            memset(grad[k], 0, g->kc[k] * sizeof **grad);
    for (size_t m = 0; m < g->nm; m++) {
        size_t k = g->mK[m], c = g->mc[m];
        const uint32_t *map = g->mapKM[m];
        memset(tmp, 0, c * sizeof *tmp);
        for (size_t i = 0; i < g->kc[k]; i++)
            tmp[map[i]] += muk[k][i];
        double s = 0;
        for (size_t i = 0; i < c; i++) {
            tmp[i] -= g->y[m][i];
            s += tmp[i] * tmp[i];
        }
        loss += s / (2 * g->sigma[m]);
        if (grad)
            for (size_t i = 0; i < g->kc[k]; i++)
                grad[k][i] += tmp[map[i]] / g->sigma[m];
    }
    return loss;
}

/* Allocates an array of n arrays of sizes sz[q] doubles (zeroed). */
static double **arrays(size_t n, const size_t *sz)
{
    double **a = calloc(n ? n : 1, sizeof *a);
    if (!a)
        return NULL;
    for (size_t q = 0; q < n; q++)
        if (!(a[q] = calloc(sz[q] ? sz[q] : 1, sizeof **a))) {
            for (size_t p = 0; p < q; p++)
                free(a[p]);
            free(a);
            return NULL;
        }
    return a;
}

static void arrays_free(double **a, size_t n)
{
    if (!a)
        return;
    for (size_t q = 0; q < n; q++)
        free(a[q]);
    free(a);
}

int jt_fit(const size_t *card, size_t d, const jt_meas *m, size_t nm, double total, const jt_model *warm,
           size_t iters, jt_model **out, pa_err *err)
{
    *out = NULL;
    if (d == 0 || d > JT_MAX_ATTRS)
        return pa_errf(err, PA_EINPUT, "junction tree: %zu attributes; expected 1..%d", d, JT_MAX_ATTRS);
    if (!(total > 0) || !isfinite(total))
        return pa_errf(err, PA_EINPUT, "junction tree: total %g; expected a positive number", total);
    jt_clique all = d == 64 ? ~(jt_clique)0 : (((jt_clique)1 << d) - 1);
    for (size_t q = 0; q < nm; q++) {
        if (!m[q].clique || (m[q].clique & ~all))
            return pa_errf(err, PA_EINPUT, "junction tree: measurement %zu has an empty or out-of-range clique", q);
        if (!(m[q].sigma > 0) || !isfinite(m[q].sigma))
            return pa_errf(err, PA_EINPUT, "junction tree: measurement %zu has sigma %g; expected > 0", q,
                           m[q].sigma);
        if (!jt_clique_cells(card, m[q].clique, JT_MAX_CELLS))
            return pa_errf(err, PA_EINPUT, "junction tree: measurement %zu has more than %zu cells", q, JT_MAX_CELLS);
    }
    jt_model *g = calloc(1, sizeof *g);
    if (!g)
        return pa_errf(err, PA_ENOMEM, "junction tree: out of memory");
    double **bel = NULL, **up = NULL, **muk = NULL, **muk2 = NULL, **grad = NULL, **th2 = NULL;
    double *work = NULL, *tmp = NULL;
    int rc = PA_ENOMEM;
    g->d = d;
    g->total = total;
    g->card = malloc(d * sizeof *g->card);
    /* potential cliques: the maximal distinct measured cliques, plus a
     * singleton for every attribute in none */
    g->K = malloc((nm + d) * sizeof *g->K);
    g->M = malloc((nm ? nm : 1) * sizeof *g->M);
    if (!g->card || !g->K || !g->M)
        goto fail;
    memcpy(g->card, card, d * sizeof *card);
    jt_clique covered = 0;
    for (size_t q = 0; q < nm; q++) {
        jt_clique c = m[q].clique;
        covered |= c;
        int dominated = 0;
        for (size_t p = 0; p < nm && !dominated; p++)
            if ((c & m[p].clique) == c && (c != m[p].clique || p < q))
                dominated = 1;
        if (!dominated)
            g->K[g->nk++] = c;
    }
    for (size_t a = 0; a < d; a++)
        if (!(covered >> a & 1))
            g->K[g->nk++] = (jt_clique)1 << a;
    if (jt_build(card, d, g->K, g->nk, &g->t))
        goto fail;
    size_t nj = g->t.nj, maxs = 1, maxm = 1;
    g->jc = malloc(nj * sizeof *g->jc);
    g->S = calloc(nj, sizeof *g->S);
    g->sc = malloc(nj * sizeof *g->sc);
    g->mapJS = calloc(nj, sizeof *g->mapJS);
    g->mapPS = calloc(nj, sizeof *g->mapPS);
    g->kc = malloc(g->nk * sizeof *g->kc);
    g->kJ = malloc(g->nk * sizeof *g->kJ);
    g->mapJK = calloc(g->nk, sizeof *g->mapJK);
    if (!g->jc || !g->S || !g->sc || !g->mapJS || !g->mapPS || !g->kc || !g->kJ || !g->mapJK)
        goto fail;
    for (size_t q = 0; q < nj; q++) {
        g->jc[q] = jt_clique_cells(card, g->t.J[q], JT_MAX_CELLS);
        if (!g->jc[q]) {
            rc = pa_errf(err, PA_EINPUT, "junction tree: a clique of the triangulated model has more than %zu cells",
                         JT_MAX_CELLS);
            goto fail;
        }
    }
    for (size_t q = 0; q < nj; q++) {
        size_t P = g->t.parent[q];
        g->S[q] = P == SIZE_MAX ? 0 : g->t.J[q] & g->t.J[P];
        g->sc[q] = jt_clique_cells(card, g->S[q], JT_MAX_CELLS);
        maxs = g->sc[q] > maxs ? g->sc[q] : maxs;
        if (P == SIZE_MAX)
            continue;
        g->mapJS[q] = malloc(g->jc[q] * sizeof **g->mapJS);
        g->mapPS[q] = malloc(g->jc[P] * sizeof **g->mapPS);
        if (!g->mapJS[q] || !g->mapPS[q])
            goto fail;
        cell_map(g->mapJS[q], g->t.J[q], g->S[q], card);
        cell_map(g->mapPS[q], g->t.J[P], g->S[q], card);
    }
    for (size_t k = 0; k < g->nk; k++) {
        g->kc[k] = jt_clique_cells(card, g->K[k], JT_MAX_CELLS);
        size_t J = 0;
        while (J < nj && (g->K[k] & g->t.J[J]) != g->K[k])
            J++;
        if (J == nj) {
            rc = pa_errf(err, PA_EINTERNAL, "junction tree: clique %zu is in no junction-tree clique", k);
            goto fail;
        }
        g->kJ[k] = J;
        if (!(g->mapJK[k] = malloc(g->jc[J] * sizeof **g->mapJK)))
            goto fail;
        cell_map(g->mapJK[k], g->t.J[J], g->K[k], card);
    }
    g->nm = nm;
    g->mc = malloc((nm ? nm : 1) * sizeof *g->mc);
    g->sigma = malloc((nm ? nm : 1) * sizeof *g->sigma);
    g->mK = malloc((nm ? nm : 1) * sizeof *g->mK);
    g->y = calloc(nm ? nm : 1, sizeof *g->y);
    g->mapKM = calloc(nm ? nm : 1, sizeof *g->mapKM);
    if (!g->mc || !g->sigma || !g->mK || !g->y || !g->mapKM)
        goto fail;
    for (size_t q = 0; q < nm; q++) {
        g->M[q] = m[q].clique;
        g->mc[q] = jt_clique_cells(card, m[q].clique, JT_MAX_CELLS);
        maxm = g->mc[q] > maxm ? g->mc[q] : maxm;
        g->sigma[q] = m[q].sigma;
        size_t k = 0;
        while ((g->K[k] & m[q].clique) != m[q].clique)
            k++;
        g->mK[q] = k;
        g->y[q] = malloc(g->mc[q] * sizeof **g->y);
        g->mapKM[q] = malloc(g->kc[k] * sizeof **g->mapKM);
        if (!g->y[q] || !g->mapKM[q])
            goto fail;
        memcpy(g->y[q], m[q].y, g->mc[q] * sizeof **g->y);
        cell_map(g->mapKM[q], g->K[k], m[q].clique, card);
    }
    g->theta = arrays(g->nk, g->kc);
    g->mu = arrays(nj, g->jc);
    bel = arrays(nj, g->jc);
    up = arrays(nj, g->sc);
    muk = arrays(g->nk, g->kc);
    muk2 = arrays(g->nk, g->kc);
    grad = arrays(g->nk, g->kc);
    th2 = arrays(g->nk, g->kc);
    work = malloc(2 * maxs * sizeof *work);
    tmp = malloc(maxm * sizeof *tmp);
    if (!g->theta || !g->mu || !bel || !up || !muk || !muk2 || !grad || !th2 || !work || !tmp)
        goto fail;
    /* warm start: each old potential added into a new clique holding it */
    if (warm && warm->d == d) {
        for (size_t p = 0; p < warm->nk; p++) {
            size_t k = 0;
            while (k < g->nk && (g->K[k] & warm->K[p]) != warm->K[p])
                k++;
            if (k == g->nk)
                continue;
            uint32_t *map = malloc(g->kc[k] * sizeof *map);
            if (!map)
                goto fail;
            cell_map(map, g->K[k], warm->K[p], card);
            for (size_t i = 0; i < g->kc[k]; i++)
                g->theta[k][i] += warm->theta[p][map[i]];
            free(map);
        }
    }
    /* mirror descent with private-pgm's Armijo rule */
    jt_bp(g, g->theta, bel, work, up);
    jt_mu_k(g, muk);
    /* first step 2/(L·total), L = the largest Σ 1/σ over the measurements of
     * one potential clique (the Lipschitz constant of the loss's gradient;
     * private-pgm starts at 2/total, i.e. assumes L = 1); a warm start goes on
     * from the previous fit's step when that is larger */
    double Lk = 0;
    for (size_t k = 0; k < g->nk; k++) {
        double s = 0;
        for (size_t q = 0; q < nm; q++)
            if (g->mK[q] == k)
                s += 1.0 / g->sigma[q];
        Lk = s > Lk ? s : Lk;
    }
    double loss = jt_loss_grad(g, muk, grad, tmp);
    double alpha = 2.0 / ((Lk > 0 ? Lk : 1.0) * total);
    if (warm && warm->alpha > alpha) /* never below the fresh start: a converged fit halves its step forever */
        alpha = warm->alpha;
    double **mu_save = arrays(nj, g->jc);
    if (!mu_save)
        goto fail;
    for (size_t it = 0; it < iters; it++) {
        for (size_t k = 0; k < g->nk; k++)
            for (size_t i = 0; i < g->kc[k]; i++)
                th2[k][i] = g->theta[k][i] - alpha * grad[k][i];
        for (size_t q = 0; q < nj; q++)
            memcpy(mu_save[q], g->mu[q], g->jc[q] * sizeof **g->mu);
        jt_bp(g, th2, bel, work, up);
        jt_mu_k(g, muk2);
        double loss2 = jt_loss_grad(g, muk2, NULL, tmp), dot = 0;
        for (size_t k = 0; k < g->nk; k++)
            for (size_t i = 0; i < g->kc[k]; i++)
                dot += grad[k][i] * (muk[k][i] - muk2[k][i]);
        if (loss - loss2 >= 0.5 * alpha * dot) {
            double **sw = g->theta;
            g->theta = th2;
            th2 = sw;
            sw = muk;
            muk = muk2;
            muk2 = sw;
            loss = jt_loss_grad(g, muk, grad, tmp);
            alpha *= 1.01;
        } else {
            for (size_t q = 0; q < nj; q++)
                memcpy(g->mu[q], mu_save[q], g->jc[q] * sizeof **g->mu);
            alpha *= 0.5;
        }
    }
    arrays_free(mu_save, nj);
    g->loss = loss;
    g->alpha = alpha;
    arrays_free(bel, nj);
    arrays_free(up, nj);
    arrays_free(muk, g->nk);
    arrays_free(muk2, g->nk);
    arrays_free(grad, g->nk);
    arrays_free(th2, g->nk);
    free(work);
    free(tmp);
    *out = g;
    return PA_OK;

fail:
    if (rc == PA_ENOMEM)
        rc = pa_errf(err, PA_ENOMEM, "junction tree: out of memory (%zu measurements)", nm);
    arrays_free(bel, g->t.nj);
    arrays_free(up, g->t.nj);
    arrays_free(muk, g->nk);
    arrays_free(muk2, g->nk);
    arrays_free(grad, g->nk);
    arrays_free(th2, g->nk);
    free(work);
    free(tmp);
    jt_free(g);
    return rc;
}

/* ---- projection ---- */

typedef struct fac {
    jt_clique scope;
    size_t cells;
    double *v;
} fac;

/* out (scope R) = Σ over the union U of the inputs' scopes minus R of the
 * product of the inputs; R ⊆ U. Each input (and R) gets a cell map from U
 * (cell_map), so the product loop is one gather per input per cell. */
static int fac_sum_product(fac *out, jt_clique R, const fac *in, size_t nin, const size_t *card, size_t limit)
{
    jt_clique U = R;
    for (size_t q = 0; q < nin; q++)
        U |= in[q].scope;
    size_t uc = jt_clique_cells(card, U, limit), rcells = jt_clique_cells(card, R, limit);
    if (!uc || !rcells || uc > UINT32_MAX)
        return PA_EINPUT;
    out->scope = R;
    out->cells = rcells;
    out->v = calloc(rcells, sizeof *out->v);
    uint32_t *maps = malloc((nin + 1) * uc * sizeof *maps);
    double *prod = malloc(uc * sizeof *prod);
    if (!out->v || !maps || !prod) {
        free(out->v);
        out->v = NULL;
        free(maps);
        free(prod);
        return PA_ENOMEM;
    }
    for (size_t f = 0; f < nin; f++)
        cell_map(maps + f * uc, U, in[f].scope, card);
    cell_map(maps + nin * uc, U, R, card);
    for (size_t i = 0; i < uc; i++)
        prod[i] = 1.0;
    for (size_t f = 0; f < nin; f++) {
        const uint32_t *m = maps + f * uc;
        const double *v = in[f].v;
        for (size_t i = 0; i < uc; i++)
            prod[i] *= v[m[i]];
    }
    const uint32_t *mr = maps + nin * uc;
    for (size_t i = 0; i < uc; i++)
        out->v[mr[i]] += prod[i];
    free(maps);
    free(prod);
    return PA_OK;
}

int jt_covers(const jt_model *g, jt_clique cl)
{
    for (size_t q = 0; q < g->t.nj; q++)
        if ((cl & g->t.J[q]) == cl)
            return 1;
    return 0;
}

int jt_project(const jt_model *g, jt_clique cl, double *out, pa_err *err)
{
    size_t nj = g->t.nj, oc = jt_clique_cells(g->card, cl, JT_MAX_CELLS);
    if (!cl || !oc)
        return pa_errf(err, PA_EINPUT, "junction tree: cannot project onto an empty or oversized clique");
    for (size_t q = 0; q < nj; q++) {
        if ((cl & g->t.J[q]) != cl)
            continue;
        uint32_t *map = malloc(g->jc[q] * sizeof *map);
        if (!map)
            return pa_errf(err, PA_ENOMEM, "junction tree: out of memory");
        cell_map(map, g->t.J[q], cl, g->card);
        memset(out, 0, oc * sizeof *out);
        for (size_t i = 0; i < g->jc[q]; i++)
            out[map[i]] += g->mu[q][i];
        free(map);
        return PA_OK;
    }
    /* the smallest subtree holding every attribute of cl: for each attribute
     * its shallowest clique, joined up to their lowest common ancestor */
    size_t *depth = calloc(nj, sizeof *depth), *cnt = calloc(nj, sizeof *cnt);
    unsigned char *in = calloc(nj, 1);
    fac *f = calloc(nj, sizeof *f);
    int rc = PA_OK;
    if (!depth || !cnt || !in || !f) {
        rc = pa_errf(err, PA_ENOMEM, "junction tree: out of memory");
        goto done;
    }
    for (size_t q = 1; q < nj; q++) {
        size_t J = g->t.order[q];
        depth[J] = depth[g->t.parent[J]] + 1;
    }
    size_t nsel = 0;
    for (size_t a = 0; a < g->d; a++) {
        if (!(cl >> a & 1))
            continue;
        size_t best = SIZE_MAX;
        for (size_t q = 0; q < nj; q++)
            if ((g->t.J[q] >> a & 1) && (best == SIZE_MAX || depth[q] < depth[best]))
                best = q;
        if (best == SIZE_MAX) {
            rc = pa_errf(err, PA_EINTERNAL, "junction tree: attribute %zu is in no clique", a);
            goto done;
        }
        if (in[best])
            continue;
        in[best] = 1;
        nsel++;
        for (size_t J = best; J != SIZE_MAX; J = g->t.parent[J])
            cnt[J]++;
    }
    size_t lca = g->t.order[0];
    for (size_t q = 0; q < nj; q++)
        if (cnt[q] == nsel && depth[q] >= depth[lca])
            lca = q;
    memset(in, 0, nj);
    for (size_t q = 0; q < nj; q++)
        if (cnt[q] > 0 && depth[q] >= depth[lca])
            in[q] = 1;
    /* eliminate from the leaves of the subtree up to the LCA */
    for (size_t qq = nj; qq-- > 0;) {
        size_t J = g->t.order[qq];
        if (!in[J])
            continue;
        size_t nin = 1;
        fac inp[JT_MAX_ATTRS + 1];
        jt_clique carried = 0, A = (J != lca ? g->S[J] : 0) | (cl & g->t.J[J]);
        for (size_t c = 0; c < nj; c++)
            if (in[c] && c != J && g->t.parent[c] == J && f[c].v) {
                if (nin < JT_MAX_ATTRS + 1)
                    inp[nin++] = f[c];
                carried |= f[c].scope;
                A |= g->S[c];
            }
        /* μ_J summed down to the attributes that matter here (A ⊆ J), then,
         * below the LCA, divided by μ_S: P(A \ S | S) */
        size_t ac = jt_clique_cells(g->card, A, JT_MAX_CELLS);
        double *mA = calloc(ac ? ac : 1, sizeof *mA);
        uint32_t *mapA = malloc(g->jc[J] * sizeof *mapA);
        if (!mA || !mapA) {
            free(mA);
            free(mapA);
            rc = pa_errf(err, PA_ENOMEM, "junction tree: out of memory");
            goto done;
        }
        cell_map(mapA, g->t.J[J], A, g->card);
        for (size_t i = 0; i < g->jc[J]; i++)
            mA[mapA[i]] += g->mu[J][i];
        free(mapA);
        if (J != lca) {
            size_t sc = g->sc[J];
            double *ms = calloc(sc, sizeof *ms);
            uint32_t *map = malloc(ac * sizeof *map);
            if (!ms || !map) {
                free(ms);
                free(map);
                free(mA);
                rc = pa_errf(err, PA_ENOMEM, "junction tree: out of memory");
                goto done;
            }
            for (size_t i = 0; i < g->jc[J]; i++)
                ms[g->mapJS[J][i]] += g->mu[J][i];
            cell_map(map, A, g->S[J], g->card);
            for (size_t i = 0; i < ac; i++)
                mA[i] = ms[map[i]] > 0 ? mA[i] / ms[map[i]] : 0;
            free(ms);
            free(map);
        }
        inp[0] = (fac){.scope = A, .cells = ac, .v = mA};
        jt_clique keep = J == lca ? cl : (g->S[J] | (cl & (g->t.J[J] | carried)));
        fac o = {0};
        int r2 = fac_sum_product(&o, keep, inp, nin, g->card, JT_MAX_CELLS);
        free(mA);
        if (r2) {
            rc = r2 == PA_ENOMEM ? pa_errf(err, PA_ENOMEM, "junction tree: out of memory")
                                 : pa_errf(err, PA_EINPUT, "junction tree: projection onto the clique needs a table "
                                                           "over %zu cells", JT_MAX_CELLS);
            goto done;
        }
        for (size_t c = 0; c < nj; c++)
            if (in[c] && c != J && g->t.parent[c] == J) {
                free(f[c].v);
                f[c].v = NULL;
            }
        if (J != lca) {
            f[J] = o;
        } else {
            memcpy(out, o.v, oc * sizeof *out);
            free(o.v);
        }
    }
done:
    if (f)
        for (size_t q = 0; q < nj; q++)
            free(f[q].v);
    free(f);
    free(depth);
    free(cnt);
    free(in);
    return rc;
}

/* ---- sampling ---- */

int jt_sample(const jt_model *g, size_t m, gsl_rng *r, int32_t *x, pa_err *err)
{
    size_t nj = g->t.nj, d = g->d;
    int rc = PA_OK;
    for (size_t qq = 0; qq < nj && !rc; qq++) {
        size_t J = g->t.order[qq], c = g->jc[J], sc = g->sc[J];
        const uint32_t *map = g->mapJS[J];
        /* cells grouped by separator cell (counting sort), cumulative within */
        size_t *start = calloc(sc + 1, sizeof *start);
        uint32_t *perm = malloc(c * sizeof *perm);
        double *cum = malloc(c * sizeof *cum);
        if (!start || !perm || !cum) {
            free(start);
            free(perm);
            free(cum);
            return pa_errf(err, PA_ENOMEM, "junction tree: out of memory sampling");
        }
        for (size_t i = 0; i < c; i++)
            start[(map ? map[i] : 0) + 1]++;
        for (size_t s = 0; s < sc; s++)
            start[s + 1] += start[s];
        size_t *fill = malloc((sc ? sc : 1) * sizeof *fill);
        if (!fill) {
            free(start);
            free(perm);
            free(cum);
            return pa_errf(err, PA_ENOMEM, "junction tree: out of memory sampling");
        }
        memcpy(fill, start, sc * sizeof *fill);
        for (size_t i = 0; i < c; i++)
            perm[fill[map ? map[i] : 0]++] = (uint32_t)i;
        free(fill);
        for (size_t s = 0; s < sc; s++) {
            double acc = 0;
            for (size_t p = start[s]; p < start[s + 1]; p++)
                acc += g->mu[J][perm[p]];
            double run = 0;
            size_t len = start[s + 1] - start[s];
            for (size_t p = start[s]; p < start[s + 1]; p++) {
                run += g->mu[J][perm[p]];
                cum[p] = acc > 0 ? run / acc : (double)(p - start[s] + 1) / (double)len;
            }
            if (len)
                cum[start[s + 1] - 1] = 1.0;
        }
        /* attributes of J and their strides in J and in S */
        size_t a[JT_MAX_ATTRS], stJ[JT_MAX_ATTRS], stS[JT_MAX_ATTRS], k = 0;
        for (size_t j = 0; j < d; j++)
            if (g->t.J[J] >> j & 1)
                a[k++] = j;
        size_t s1 = 1, s2 = 1;
        for (size_t q = k; q-- > 0;) {
            stJ[q] = s1;
            s1 *= g->card[a[q]];
            if (g->S[J] >> a[q] & 1) {
                stS[q] = s2;
                s2 *= g->card[a[q]];
            } else {
                stS[q] = 0;
            }
        }
        for (size_t i = 0; i < m; i++) {
            size_t s = 0;
            for (size_t q = 0; q < k; q++)
                s += stS[q] * (size_t)x[a[q] * m + i];
            size_t cell = perm[start[s] + pgm_draw(cum + start[s], start[s + 1] - start[s], r)];
            for (size_t q = 0; q < k; q++)
                if (!(g->S[J] >> a[q] & 1))
                    x[a[q] * m + i] = (int32_t)((cell / stJ[q]) % g->card[a[q]]);
        }
        free(start);
        free(perm);
        free(cum);
    }
    return rc;
}

const jt_clique *jt_cliques(const jt_model *g, size_t *k)
{
    *k = g->nk;
    return g->K;
}

const double *jt_theta(const jt_model *g, size_t k)
{
    return k < g->nk ? g->theta[k] : NULL;
}

double jt_cells(const jt_model *g)
{
    double c = 0;
    for (size_t q = 0; q < g->t.nj; q++)
        c += (double)g->jc[q];
    return c;
}

double jt_loss(const jt_model *g)
{
    return g->loss;
}
