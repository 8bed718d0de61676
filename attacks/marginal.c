/* marginal.c — the marginal attack (marginal.h). */
#include "attacks/marginal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_erf.h>

#include "audit/acct.h"
#include "audit/utility.h"
#include "core/util.h"

enum { MODEL_GENERIC, MODEL_MARGINALS, MODEL_MST };

typedef struct mg_opts {
    int generic;      /* "model": "generic" */
    int ways;         /* 1 or 2 (generic model) */
    double noise_var; /* generic model's per-cell noise variance */
    double bins;      /* numeric binning, <= 0: the generator's "bins" or UTIL_DEFAULT_BINS */
    int tree_aux;     /* "tree": "aux": MST's tree as the aux data's Chow-Liu tree, not the release's */
    int fuse;         /* "fuse": true: MST's 1-way cells pool the 1-way and the tree edges' measurements */
    int gls;          /* "gls": 1 on, 0 off, -1 (default) on in the average game only */
    int mst_cov;      /* "mst_cov": GLS with MST's noise covariance of its released cells (pooling, raking); default on */
} mg_opts;

static int mg_read(const cJSON *params, mg_opts *o, pa_err *err)
{
    *o = (mg_opts){.ways = 2, .bins = 0, .gls = -1, .mst_cov = 1};
    if (!params)
        return PA_OK;
    for (const cJSON *p = params->child; p; p = p->next) {
        if (!strcmp(p->string, "model")) {
            if (!cJSON_IsString(p) || (strcmp(p->valuestring, "auto") && strcmp(p->valuestring, "generic")))
                return pa_errf(err, PA_EINPUT, "attack \"marginal\": parameter \"model\": expected \"auto\" or \"generic\"");
            o->generic = !strcmp(p->valuestring, "generic");
        } else if (!strcmp(p->string, "ways")) {
            if (!cJSON_IsNumber(p) || (p->valuedouble != 1 && p->valuedouble != 2))
                return pa_errf(err, PA_EINPUT, "attack \"marginal\": parameter \"ways\": expected 1 or 2");
            o->ways = (int)p->valuedouble;
        } else if (!strcmp(p->string, "noise_var")) {
            if (!cJSON_IsNumber(p) || !(p->valuedouble >= 0) || !isfinite(p->valuedouble))
                return pa_errf(err, PA_EINPUT, "attack \"marginal\": parameter \"noise_var\": expected a number >= 0");
            o->noise_var = p->valuedouble;
        } else if (!strcmp(p->string, "tree")) {
            if (!cJSON_IsString(p) || (strcmp(p->valuestring, "release") && strcmp(p->valuestring, "aux")))
                return pa_errf(err, PA_EINPUT, "attack \"marginal\": parameter \"tree\": expected \"release\" or \"aux\"");
            o->tree_aux = !strcmp(p->valuestring, "aux");
        } else if (!strcmp(p->string, "fuse")) {
            if (!cJSON_IsBool(p))
                return pa_errf(err, PA_EINPUT, "attack \"marginal\": parameter \"fuse\": expected true or false");
            o->fuse = cJSON_IsTrue(p);
        } else if (!strcmp(p->string, "gls")) {
            if (!cJSON_IsBool(p))
                return pa_errf(err, PA_EINPUT, "attack \"marginal\": parameter \"gls\": expected true or false");
            o->gls = cJSON_IsTrue(p);
        } else if (!strcmp(p->string, "mst_cov")) {
            if (!cJSON_IsBool(p))
                return pa_errf(err, PA_EINPUT, "attack \"marginal\": parameter \"mst_cov\": expected true or false");
            o->mst_cov = cJSON_IsTrue(p);
        } else if (!strcmp(p->string, "bins")) {
            if (!cJSON_IsNumber(p) || p->valuedouble < 1 || p->valuedouble > 1e6 ||
                p->valuedouble != floor(p->valuedouble))
                return pa_errf(err, PA_EINPUT, "attack \"marginal\": parameter \"bins\": expected an integer in [1, 1e6]");
            o->bins = p->valuedouble;
        } else {
            return pa_errf(err, PA_EINPUT,
                           "attack \"marginal\": unknown parameter \"%s\" (known: model, ways, noise_var, bins, tree, fuse, gls, mst_cov)", p->string);
        }
    }
    return PA_OK;
}

static int mg_check(const schema *s, const cJSON *params, pa_err *err)
{
    mg_opts o;
    return mg_read(params, &o, err);
}

/* log Φ(z), also far in the lower tail */
static double log_phi_cdf(double z)
{
    if (z > -5)
        return log(gsl_cdf_ugaussian_P(z));
    return gsl_sf_log_erfc(-z / M_SQRT2) - M_LN2;
}

/* E[max(0, mu + sd Z)] */
static double pos_mean(double mu, double sd)
{
    if (sd <= 0)
        return mu > 0 ? mu : 0;
    double z = mu / sd;
    return mu * gsl_cdf_ugaussian_P(z) + sd * exp(-0.5 * z * z) / sqrt(2 * M_PI);
}

/* The log likelihood ratio of one cell: the release shows s synthetic
 * records there, x = its count estimate; under "out" the cell's (shifted)
 * count is c, under "in" c + b; x ~ N(count, V), clipped at 0. */
static double cell_llr(size_t s, double x, double c, double b, double V)
{
    if (b == 0)
        return 0;
    if (!(V > 1e-12))
        V = 1e-12;
    if (s == 0) {
        double sd = sqrt(V);
        return log_phi_cdf(-(c + b) / sd) - log_phi_cdf(-c / sd);
    }
    return b * (x - c - 0.5 * b) / V;
}

/* marginal.h. A plain Cholesky (L ≤ 2d − 1 cells, a few dozen): gsl_linalg_cholesky_decomp1 reports an
 * indefinite matrix through GSL's global error handler, which worker threads must not switch off and on. */
int marginal_gls_llr(double *llr, double *wt, double *work, const double *Sigma, const double *b, const double *r,
                     size_t L)
{
    double *R = work; /* (L, L) lower Cholesky factor, row-major */
    for (size_t i = 0; i < L; i++)
        for (size_t j = 0; j <= i; j++) {
            double a = Sigma[i * L + j];
            for (size_t q = 0; q < j; q++)
                a -= R[i * L + q] * R[j * L + q];
            if (i == j) {
                if (!(a > 1e-12 * Sigma[i * L + i]) || !(Sigma[i * L + i] > 0))
                    return PA_EINPUT;
                R[i * L + i] = sqrt(a);
            } else {
                R[i * L + j] = a / R[j * L + j];
            }
        }
    for (size_t i = 0; i < L; i++) { /* R y = b */
        double a = b[i];
        for (size_t q = 0; q < i; q++)
            a -= R[i * L + q] * wt[q];
        wt[i] = a / R[i * L + i];
    }
    for (size_t i = L; i-- > 0;) { /* Rᵀ w = y */
        double a = wt[i];
        for (size_t q = i + 1; q < L; q++)
            a -= R[q * L + i] * wt[q];
        wt[i] = a / R[i * L + i];
    }
    double sum = 0;
    for (size_t i = 0; i < L; i++)
        sum += wt[i] * r[i];
    *llr = sum;
    return PA_OK;
}

typedef struct mg_work {
    size_t d, m, na, K_max;
    size_t *K;            /* (d) cells per column */
    int32_t **sc, **ac;   /* (d) cell of every synthetic / aux row */
    double **hs, **ha;    /* (d) 1-way histograms of synth / aux */
    size_t np;            /* pairs */
    size_t (*pair)[2];
    int32_t **map;        /* NULL, or (d) MST's compression predicted from D: original cell -> cell */
    size_t *nr;           /* (d) cells merged into column j's last cell (0: none) */
    size_t bins;
} mg_work;

/* Cell of target row t in column j (after the predicted compression). */
static int32_t tcell(const mg_work *w, const table *T, size_t t, size_t j)
{
    int32_t a = (int32_t)util_col_bin(&T->s->cols[j], w->bins, tbl_get(T, t, j));
    return w->map && w->map[j] ? w->map[j][a] : a;
}

/* MST's domain compression (generators/mst.c): the codes whose noisy
 * one-way count falls below 3σ1 are merged into one. The attacker knows D's
 * counts, so it predicts the merge as the cells with count < 3σ1 (expected
 * noisy count below the threshold) and counts the release on merged cells:
 * the release keeps the merged cell's total (a sampled merged code becomes
 * one of its codes), not its split. */
static int predict_compression(mg_work *w, double scale, double sigma1, pa_err *err)
{
    w->map = pa_calloc(w->d, sizeof *w->map);
    w->nr = pa_calloc(w->d, sizeof *w->nr);
    if (!w->map || !w->nr)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t j = 0; j < w->d; j++) {
        const size_t K = w->K[j];
        int32_t *mp = w->map[j] = pa_malloc(K, sizeof *mp);
        double *hs = pa_calloc(K + 1, sizeof *hs), *ha = pa_calloc(K + 1, sizeof *ha);
        if (!mp || !hs || !ha) {
            free(hs);
            free(ha);
            return pa_errf(err, PA_ENOMEM, "out of memory");
        }
        size_t ns = 0, nr = 0;
        for (size_t u = 0; u < K; u++)
            if (!(w->ha[j][u] * scale < 3 * sigma1))
                mp[u] = (int32_t)ns++;
        for (size_t u = 0; u < K; u++)
            if (w->ha[j][u] * scale < 3 * sigma1) {
                mp[u] = (int32_t)ns;
                nr++;
            }
        for (size_t u = 0; u < K; u++) {
            hs[mp[u]] += w->hs[j][u];
            ha[mp[u]] += w->ha[j][u];
        }
        for (size_t i = 0; i < w->m; i++)
            w->sc[j][i] = mp[w->sc[j][i]];
        for (size_t i = 0; i < w->na; i++)
            w->ac[j][i] = mp[w->ac[j][i]];
        free(w->hs[j]);
        free(w->ha[j]);
        w->hs[j] = hs;
        w->ha[j] = ha;
        w->nr[j] = nr;
        w->K[j] = ns + (nr ? 1 : 0);
    }
    return PA_OK;
}

/* Superset sums of the aux rows' match masks up to this many columns (2^d counts); beyond, counted directly. */
#define MG_SUPERSET_MAX_D 20

/* sup[U] = the aux rows that match the target's cells tc (d) on every column of U (a bitmask of columns),
 * for every U: the histogram of the rows' match masks, then its superset-sum (zeta) transform,
 * O(n_aux·d + d·2^d). sup holds 2^d counts. */
static void superset_counts(uint32_t *sup, const mg_work *w, const int32_t *tc)
{
    const size_t N = (size_t)1 << w->d;
    memset(sup, 0, N * sizeof *sup);
    for (size_t i = 0; i < w->na; i++) {
        size_t mask = 0;
        for (size_t j = 0; j < w->d; j++)
            mask |= (size_t)(w->ac[j][i] == tc[j]) << j;
        sup[mask]++;
    }
    for (size_t j = 0; j < w->d; j++)
        for (size_t U = 0; U < N; U++)
            if (!(U >> j & 1))
                sup[U] += sup[U | (size_t)1 << j];
}

/* The aux rows matching the target on every column of U: from sup, or (sup NULL) counted directly. */
static double union_count(const uint32_t *sup, const mg_work *w, const int32_t *tc, uint64_t U)
{
    if (sup)
        return (double)sup[U];
    size_t c = 0;
    for (size_t i = 0; i < w->na; i++) {
        int ok = 1;
        for (size_t j = 0; ok && j < w->d; j++)
            ok = !(U >> j & 1) || w->ac[j][i] == tc[j];
        c += (size_t)ok;
    }
    return (double)c;
}

/* MST's noise in the target's released cells, linearised: Am (L, Ns) maps Ns independent measurement noises
 * of variances sv (Ns) to the L = d + np cells. Sources: s_j (j < d), column j's 1-way measurement of the
 * target's cell (variance v1, × merged cells); per tree pair p = (a, b), at d + 3p the pair's measurement of the
 * target's cell (v2), then the sums of its row a over b's other cells ((K_b − 1)·v2) and of its column b over
 * a's other cells ((K_a − 1)·v2). MST's 1-way estimate of column j pools s_j (weight (1/v_j)/P) with each pair
 * at j's margin of the target's cell (weight (1/(K_o·v2))/P), P = 1/v_j + Σ 1/(K_o·v2) (generators/mst.c,
 * mst_reconcile); the pair's cell after raking to those margins is, to first order,
 * y_ab + r_a(x̂_a − y_a·) + r_b(x̂_b − y_·b), r_a = P(b | a), r_b = P(a | b) estimated from the aux counts. */
static void mst_noise_map(double *Am, double *sv, const mg_work *w, const int32_t *tc, const uint32_t *sup,
                          double v1, double v2)
{
    const size_t d = w->d, np = w->np, Ns = d + 3 * np;
    memset(Am, 0, (d + np) * Ns * sizeof *Am);
    for (size_t j = 0; j < d; j++)
        sv[j] = w->nr && w->nr[j] && tc[j] + 1 == (int32_t)w->K[j] ? v1 * (double)w->nr[j] : v1;
    for (size_t p = 0; p < np; p++) {
        size_t a = w->pair[p][0], b = w->pair[p][1];
        sv[d + 3 * p] = v2;
        sv[d + 3 * p + 1] = ((double)w->K[b] - 1) * v2;
        sv[d + 3 * p + 2] = ((double)w->K[a] - 1) * v2;
    }
    for (size_t j = 0; j < d; j++) { /* row j: x̂_j = (s_j/v_j + Σ_p (margin of p at j)/(K_o v2)) / P */
        double P = 1 / sv[j];
        for (size_t p = 0; p < np; p++) {
            size_t a = w->pair[p][0], b = w->pair[p][1];
            if (a == j || b == j)
                P += 1 / ((double)w->K[a == j ? b : a] * v2);
        }
        double *row = Am + j * Ns;
        row[j] = 1 / sv[j] / P;
        for (size_t p = 0; p < np; p++) {
            size_t a = w->pair[p][0], b = w->pair[p][1];
            if (a != j && b != j)
                continue;
            double al = 1 / ((double)w->K[a == j ? b : a] * v2) / P;
            row[d + 3 * p] += al;                          /* the target's pair cell is in both margins */
            row[d + 3 * p + (a == j ? 1 : 2)] += al;       /* the rest of the margin at j */
        }
    }
    for (size_t p = 0; p < np; p++) {
        size_t a = w->pair[p][0], b = w->pair[p][1];
        double na_ = union_count(sup, w, tc, (uint64_t)1 << a), nb_ = union_count(sup, w, tc, (uint64_t)1 << b);
        double nab = union_count(sup, w, tc, ((uint64_t)1 << a) | ((uint64_t)1 << b));
        double ra = (nab + 0.5) / (na_ + 1), rb = (nab + 0.5) / (nb_ + 1);
        double *row = Am + (d + p) * Ns;
        row[d + 3 * p] = 1 - ra - rb; /* y_ab, minus its share in y_a· and y_·b */
        row[d + 3 * p + 1] = -ra;
        row[d + 3 * p + 2] = -rb;
        for (size_t q = 0; q < Ns; q++)
            row[q] += ra * Am[a * Ns + q] + rb * Am[b * Ns + q];
    }
}

static void work_free(mg_work *w)
{
    for (size_t j = 0; j < w->d; j++) {
        if (w->sc)
            free(w->sc[j]);
        if (w->ac)
            free(w->ac[j]);
        if (w->hs)
            free(w->hs[j]);
        if (w->ha)
            free(w->ha[j]);
    }
    free(w->sc);
    free(w->ac);
    free(w->hs);
    free(w->ha);
    free(w->K);
    free(w->pair);
    for (size_t j = 0; w->map && j < w->d; j++)
        free(w->map[j]);
    free(w->map);
    free(w->nr);
}

static size_t uf_find(size_t *p, size_t x)
{
    while (p[x] != x)
        x = p[x] = p[p[x]];
    return x;
}

typedef struct mi_pair {
    double mi;
    size_t a, b;
} mi_pair;

static int by_mi_desc(const void *x, const void *y)
{
    const mi_pair *p = x, *q = y;
    if (p->mi != q->mi)
        return p->mi > q->mi ? -1 : 1;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

/* The maximum spanning tree of the pairs' mutual information in the release
 * (Chow-Liu) into w->pair. */
static int chow_liu(mg_work *w, int from_aux, pa_err *err)
{
    const size_t d = w->d, m = from_aux ? w->na : w->m, P = d * (d - 1) / 2;
    int32_t **code = from_aux ? w->ac : w->sc;
    double **h1 = from_aux ? w->ha : w->hs;
    mi_pair *mp = pa_calloc(P + 1, sizeof *mp);
    double *h = pa_calloc(w->K_max * w->K_max + 1, sizeof *h);
    size_t *uf = pa_calloc(d + 1, sizeof *uf);
    w->pair = pa_calloc(d + 1, sizeof *w->pair);
    if (!mp || !h || !uf || !w->pair) {
        free(mp);
        free(h);
        free(uf);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    size_t q = 0;
    for (size_t a = 0; a < d; a++)
        for (size_t b = a + 1; b < d; b++, q++) {
            const size_t Ka = w->K[a], Kb = w->K[b];
            memset(h, 0, Ka * Kb * sizeof *h);
            util_hist_add(h, code[a], code[b], m, Kb, Ka * Kb);
            double mi = 0, ka = 0, kb = 0;
            for (size_t u = 0; u < Ka; u++)
                for (size_t v = 0; v < Kb; v++) {
                    double p = h[u * Kb + v];
                    if (p > 0)
                        mi += p / (double)m * log(p * (double)m / (h1[a][u] * h1[b][v]));
                }
            for (size_t u = 0; u < Ka; u++)
                ka += h1[a][u] > 0;
            for (size_t v = 0; v < Kb; v++)
                kb += h1[b][v] > 0;
            /* Miller-Madow: the plug-in MI of independent columns is ≈ (ka−1)(kb−1)/(2m), which favours large
             * domains in a small release */
            mi -= (ka - 1) * (kb - 1) / (2.0 * (double)m);
            mp[q] = (mi_pair){.mi = mi, .a = a, .b = b};
        }
    qsort(mp, P, sizeof *mp, by_mi_desc);
    for (size_t j = 0; j < d; j++)
        uf[j] = j;
    w->np = 0;
    for (size_t k = 0; k < P && w->np + 1 < d; k++) {
        size_t ra = uf_find(uf, mp[k].a), rb = uf_find(uf, mp[k].b);
        if (ra == rb)
            continue;
        uf[ra] = rb;
        w->pair[w->np][0] = mp[k].a;
        w->pair[w->np][1] = mp[k].b;
        w->np++;
    }
    free(mp);
    free(h);
    free(uf);
    return PA_OK;
}

/* λ with Σ_k E[max(0, c_k + sd Z − λ)] = total (MST's projection of a noisy
 * one-way marginal onto {p ≥ 0, Σp = total}), by bisection. */
static double projection_shift(const double *c, size_t K, double sd, size_t nr, double total)
{
    if (sd <= 0)
        return 0;
    double lo = -total - 10 * sd, hi = total + 10 * sd;
    for (int it = 0; it < 80; it++) {
        double mid = 0.5 * (lo + hi), s = 0;
        for (size_t k = 0; k < K; k++) /* the last cell, merged from nr cells, has variance nr·sd² */
            s += pos_mean(c[k] - mid, nr && k + 1 == K ? sd * sqrt((double)nr) : sd);
        if (s > total)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static int mg_score(const mia_input *in, const cJSON *params, double *scores, pa_err *err)
{
    mg_opts o;
    int rc = mg_read(params, &o, err);
    if (rc)
        return rc;
    const table *S = in->synth, *T = in->targets, *A = in->aux;
    const schema *sch = S->s;
    const size_t d = S->d, m = S->n, k = T->n;
    if (m == 0)
        return pa_errf(err, PA_EINPUT, "attack \"marginal\": the release is empty");
    int model = MODEL_GENERIC;
    if (!o.generic && in->generator)
        model = !strcmp(in->generator, "marginals") ? MODEL_MARGINALS : !strcmp(in->generator, "mst") ? MODEL_MST
                                                                                                      : MODEL_GENERIC;
    double bins = o.bins;
    const cJSON *gb = in->gen_params ? cJSON_GetObjectItemCaseSensitive(in->gen_params, "bins") : NULL;
    if (!(bins > 0))
        bins = cJSON_IsNumber(gb) ? gb->valuedouble : UTIL_DEFAULT_BINS;
    const double n = in->n_train ? (double)in->n_train : A && A->n ? (double)A->n : (double)m;
    const int fixed = in->fixed && A;
    const size_t na = A ? A->n : 0;
    /* the generator's noise per cell */
    double v1 = o.noise_var, v2 = o.noise_var;
    if (model != MODEL_GENERIC) {
        double rho = isfinite(in->epsilon) ? acct_zcdp_rho(in->epsilon, in->delta) : INFINITY;
        if (!(rho > 0))
            return pa_errf(err, PA_EINPUT, "attack \"marginal\": no zCDP rho for epsilon=%g delta=%g", in->epsilon,
                           in->delta);
        double dd = (double)d;
        if (isinf(rho))
            v1 = v2 = 0;
        else if (model == MODEL_MARGINALS)
            v1 = dd / (2 * rho);
        else if (d == 1)
            v1 = 1 / (2 * rho);
        else {
            v1 = 3 * dd / (2 * rho);
            v2 = 3 * (dd - 1) / (2 * rho);
        }
    }
    mg_work w = {.d = d, .m = m, .na = na, .bins = (size_t)bins};
    w.K = pa_calloc(d, sizeof *w.K);
    w.sc = pa_calloc(d, sizeof *w.sc);
    w.ac = pa_calloc(d, sizeof *w.ac);
    w.hs = pa_calloc(d, sizeof *w.hs);
    w.ha = pa_calloc(d, sizeof *w.ha);
    double *cnt = NULL;
    if (!w.K || !w.sc || !w.ac || !w.hs || !w.ha) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t j = 0; j < d; j++) {
        const col_spec *c = &sch->cols[j];
        size_t K = w.K[j] = util_col_bins(c, (size_t)bins);
        if (K > w.K_max)
            w.K_max = K;
        w.sc[j] = pa_malloc(m, sizeof **w.sc);
        w.ac[j] = pa_malloc(na + 1, sizeof **w.ac);
        w.hs[j] = pa_calloc(K, sizeof **w.hs);
        w.ha[j] = pa_calloc(K, sizeof **w.ha);
        if (!w.sc[j] || !w.ac[j] || !w.hs[j] || !w.ha[j]) {
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
            goto out;
        }
        util_col_bin_column(S, j, (size_t)bins, w.sc[j]);
        util_hist_add(w.hs[j], w.sc[j], NULL, m, 0, K);
        if (na)
            util_col_bin_column(A, j, (size_t)bins, w.ac[j]);
        util_hist_add(w.ha[j], w.ac[j], NULL, na, 0, K);
    }
    const double scale = na ? n / (double)na : 0;
    const cJSON *gc = in->gen_params ? cJSON_GetObjectItemCaseSensitive(in->gen_params, "compress") : NULL;
    if (model == MODEL_MST && v1 > 0 && na && !(cJSON_IsNumber(gc) && gc->valuedouble == 0) && !cJSON_IsFalse(gc))
        rc = predict_compression(&w, scale, sqrt(v1), err);
    if (rc)
        goto out;
    if (model == MODEL_MST && o.ways == 2 && d > 1)
        rc = chow_liu(&w, o.tree_aux && na > 1, err);
    else if (model == MODEL_GENERIC && o.ways == 2 && d > 1) {
        w.pair = pa_calloc(d * (d - 1) / 2 + 1, sizeof *w.pair);
        if (!w.pair)
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
        for (size_t a = 0; !rc && a < d; a++)
            for (size_t b = a + 1; b < d; b++, w.np++) {
                w.pair[w.np][0] = a;
                w.pair[w.np][1] = b;
            }
    }
    if (rc)
        goto out;
    /* per column: the known (fixed) or estimated (average) counts of D, and the release's total and shift */
    cnt = pa_calloc(w.K_max + 1, sizeof *cnt);
    double *tot = pa_calloc(d + 1, sizeof *tot), *shift = pa_calloc(d + 1, sizeof *shift);
    if (!cnt || !tot || !shift) {
        free(tot);
        free(shift);
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t j = 0; j < d; j++) {
        for (size_t u = 0; u < w.K[j]; u++)
            cnt[u] = w.ha[j][u] * scale;
        tot[j] = n;
        if (model == MODEL_MARGINALS && v1 > 0 && na) { /* counts clipped at 0, then normalised */
            tot[j] = 0;
            for (size_t u = 0; u < w.K[j]; u++)
                tot[j] += pos_mean(cnt[u], sqrt(v1));
        } else if (model == MODEL_MST && v1 > 0 && na) { /* projected onto the simplex of total n */
            shift[j] = projection_shift(cnt, w.K[j], sqrt(v1), w.nr ? w.nr[j] : 0, n);
        }
    }
    /* every pair's 2-way histograms of synth and aux, once */
    double **h2s = pa_calloc(w.np + 1, sizeof *h2s), **h2a = pa_calloc(w.np + 1, sizeof *h2a);
    for (size_t p = 0; h2s && h2a && p < w.np; p++) {
        size_t ja = w.pair[p][0], jb = w.pair[p][1], Kb = w.K[jb];
        h2s[p] = pa_calloc(w.K[ja] * Kb, sizeof **h2s);
        h2a[p] = pa_calloc(w.K[ja] * Kb, sizeof **h2a);
        if (!h2s[p] || !h2a[p])
            break;
        util_hist_add(h2s[p], w.sc[ja], w.sc[jb], m, Kb, w.K[ja] * Kb);
        util_hist_add(h2a[p], w.ac[ja], w.ac[jb], na, Kb, w.K[ja] * Kb);
    }
    int h2_ok = h2s && h2a;
    for (size_t p = 0; h2_ok && p < w.np; p++)
        h2_ok = h2s[p] && h2a[p];
    if (!h2_ok) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto pairs_out;
    }
    /* in the fixed game under replace-one, a member with k = 1 takes the place of D's last record */
    const int drop_last = fixed && in->replace_one && k == 1 && na > 0;
    /* the target's L = d + np cells: residual x − c − b/2, shift b, variance V, censored (no synthetic record) */
    const size_t L = d + w.np;
    const int gls = (o.gls < 0 ? !fixed : o.gls) && na > 1 && L > 1 && d <= 64;
    double *cr = pa_calloc(5 * L + 2 * L * L, sizeof *cr);
    int32_t *tc = pa_calloc(d + 1, sizeof *tc);
    uint32_t *sup = gls && d <= MG_SUPERSET_MAX_D ? pa_calloc((size_t)1 << d, sizeof *sup) : NULL;
    if (!cr || !tc || (gls && d <= MG_SUPERSET_MAX_D && !sup)) {
        free(cr);
        free(tc);
        free(sup);
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto pairs_out;
    }
    double *res = cr, *bv = cr + L, *Vv = cr + 2 * L, *wt = cr + 3 * L, *bu = cr + 4 * L; /* (L) each */
    double *Sig = cr + 5 * L, *work = Sig + L * L;                                            /* (L, L) each */
    uint64_t *cols = pa_calloc(L, sizeof *cols);
    size_t *ss = pa_calloc(L, sizeof *ss), *ix = pa_calloc(L, sizeof *ix);
    double *xs = pa_calloc(L, sizeof *xs), *cs = pa_calloc(L, sizeof *cs), *dpv = pa_calloc(L, sizeof *dpv);
    /* MST's noise as linear combinations of its independent measurement noises: Ns = d + 3·np sources */
    const size_t Ns = d + 3 * w.np;
    const int mcov = gls && o.mst_cov && model == MODEL_MST && v1 > 0 && v2 > 0 && w.np > 0;
    double *Am = mcov ? pa_calloc(L * Ns, sizeof *Am) : NULL, *sv = mcov ? pa_calloc(Ns, sizeof *sv) : NULL;
    if (!cols || !ss || !ix || !xs || !cs || !dpv || (mcov && (!Am || !sv))) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto targets_out;
    }
    for (size_t t = 0; t < k; t++) {
        for (size_t j = 0; j < d; j++)
            tc[j] = tcell(&w, T, t, j);
        for (size_t j = 0; j < d; j++) {
            int32_t a = tc[j];
            size_t s = (size_t)w.hs[j][a];
            double c = w.ha[j][a] * scale, oth = 0;
            for (size_t u = 0; u < k; u++) /* the other targets in this cell: each a member with probability ½ */
                oth += u != t && tcell(&w, T, u, j) == a;
            c += oth / 2;
            double b = drop_last ? 1.0 - (double)(w.ac[j][na - 1] == (int32_t)a) : 1.0;
            double q = fmin(fmax((c + 0.5) / n, 0), 1);
            double vj = w.nr && w.nr[j] && a + 1 == (int32_t)w.K[j] ? v1 * (double)w.nr[j] : v1;
            if (model == MODEL_MST && o.fuse && vj > 0 && v2 > 0) {
                /* MST's model estimate pools the 1-way measurement of column j with those of the tree edges at j:
                 * edge (j, o) gives the cell's count as a sum of K_o measured cells, variance K_o·v2 */
                double prec = 1 / vj;
                for (size_t p = 0; p < w.np; p++) {
                    size_t o2 = w.pair[p][0] == j ? w.pair[p][1] : w.pair[p][1] == j ? w.pair[p][0] : d;
                    if (o2 < d)
                        prec += 1 / ((double)w.K[o2] * v2);
                }
                vj = 1 / prec;
            }
            double V = vj + n * n * q * (1 - q) / (double)m + oth / 4;
            if (!fixed)
                V += n * q * (1 - q) + (na ? n * n * q * (1 - q) / (double)na : 0);
            ss[j] = s;
            dpv[j] = vj;
            xs[j] = (double)s * tot[j] / (double)m; /* E[x] = c − λ (the projection subtracts λ) */
            cs[j] = c - shift[j];
            bv[j] = b;
            Vv[j] = V;
            cols[j] = (uint64_t)1 << (j % 64);
        }
        for (size_t p = 0; p < w.np; p++) {
            size_t ja = w.pair[p][0], jb = w.pair[p][1], l = d + p;
            int32_t a = tc[ja], bb = tc[jb];
            size_t s = (size_t)h2s[p][(size_t)a * w.K[jb] + (size_t)bb];
            double ca = h2a[p][(size_t)a * w.K[jb] + (size_t)bb];
            double c = ca * scale, oth = 0;
            for (size_t u = 0; u < k; u++)
                oth += u != t && tcell(&w, T, u, ja) == a && tcell(&w, T, u, jb) == bb;
            c += oth / 2;
            double b = drop_last ? 1.0 - (double)(w.ac[ja][na - 1] == a && w.ac[jb][na - 1] == bb) : 1.0;
            double q = fmin(fmax((c + 0.5) / n, 0), 1);
            double V = v2 + n * n * q * (1 - q) / (double)m + oth / 4;
            if (!fixed)
                V += n * q * (1 - q) + (na ? n * n * q * (1 - q) / (double)na : 0);
            ss[l] = s;
            dpv[l] = v2;
            xs[l] = (double)s * n / (double)m;
            cs[l] = c;
            bv[l] = b;
            Vv[l] = V;
            cols[l] = ((uint64_t)1 << (ja % 64)) | ((uint64_t)1 << (jb % 64));
        }
        double sum = 0;
        size_t Lu = 0; /* cells with a synthetic record, for the joint (GLS) part */
        for (size_t l = 0; l < L; l++) {
            if (!gls || ss[l] == 0)
                sum += cell_llr(ss[l], xs[l], cs[l], bv[l], Vv[l]);
            else
                ix[Lu++] = l;
        }
        if (gls && Lu > 0) {
            if (sup)
                superset_counts(sup, &w, tc);
            if (mcov)
                mst_noise_map(Am, sv, &w, tc, sup, v1, v2);
            /* Σ = diag(V) + κ·(p_{S∪S'} − p_S p_S') off the diagonal: the multinomial covariance of the target's
             * cells in a draw of records, κ = n²/m (the release's m records) + in the average game n (D's
             * own draw) + n²/n_aux (the aux estimate); p from the aux rows matching the target */
            const double kap = n * n / (double)m + (fixed ? 0 : n + n * n / (double)na);
            for (size_t i = 0; i < Lu; i++) {
                size_t li = ix[i];
                double pi = union_count(sup, &w, tc, cols[li]) / (double)na;
                res[i] = xs[li] - cs[li] - 0.5 * bv[li];
                bu[i] = bv[li];
                double vd = 0;
                for (size_t q = 0; mcov && q < Ns; q++)
                    vd += Am[li * Ns + q] * Am[li * Ns + q] * sv[q];
                double vi = mcov ? Vv[li] - dpv[li] + vd : Vv[li];
                Sig[i * Lu + i] = vi > 1e-12 ? vi : 1e-12;
                for (size_t j = 0; j < i; j++) {
                    size_t lj = ix[j];
                    double pj = union_count(sup, &w, tc, cols[lj]) / (double)na;
                    double pu = union_count(sup, &w, tc, cols[li] | cols[lj]) / (double)na;
                    double cd = 0;
                    for (size_t q = 0; mcov && q < Ns; q++)
                        cd += Am[li * Ns + q] * Am[lj * Ns + q] * sv[q];
                    Sig[i * Lu + j] = Sig[j * Lu + i] = kap * (pu - pi * pj) + cd;
                }
            }
            double g = 0;
            int st = PA_EINPUT;
            for (int h = 0; h < 8 && st; h++) { /* not positive definite (aux estimates): halve the covariances */
                st = marginal_gls_llr(&g, wt, work, Sig, bu, res, Lu);
                if (st)
                    for (size_t i = 0; i < Lu; i++)
                        for (size_t j = 0; j < Lu; j++)
                            if (i != j)
                                Sig[i * Lu + j] *= 0.5;
            }
            if (st) { /* independent cells */
                g = 0;
                for (size_t i = 0; i < Lu; i++)
                    g += bu[i] * res[i] / Sig[i * Lu + i];
            }
            sum += g;
        }
        scores[t] = sum;
    }
targets_out:
    free(cr);
    free(tc);
    free(sup);
    free(cols);
    free(ss);
    free(ix);
    free(xs);
    free(cs);
    free(dpv);
    free(Am);
    free(sv);
pairs_out:
    for (size_t p = 0; p < w.np; p++) {
        if (h2s)
            free(h2s[p]);
        if (h2a)
            free(h2a[p]);
    }
    free(h2s);
    free(h2a);
    free(tot);
    free(shift);
out:
    free(cnt);
    work_free(&w);
    return rc;
}

const mia_vtable mia_marginal = {
    .name = "marginal",
    .summary = "likelihood ratio of the target's cells in the 1- and 2-way marginals of the release (c+1 vs c, c "
               "from D or the aux data), generator-aware for marginals and mst",
    .needs_aux = 0,
    .kind = MIA_DIRECT,
    .check = mg_check,
    .score = mg_score,
};
