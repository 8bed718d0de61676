/* domias.c — DOMIAS (van Breugel, Sun, Qian, van der Schaar, "Membership
 * Inference Attacks against Synthetic Data through Overfitting Detection",
 * AISTATS 2023): a member is where the synthetic density is high RELATIVE to
 * the population density, score = p̂_synth(x) / p̂_aux(x), here in log space:
 *     score = log p̂_synth(x) − log p̂_aux(x).
 *
 * m = synthetic records, n = auxiliary records, d = columns, q = numeric
 * columns.
 *
 * Both densities are kernel density estimates with a product kernel over
 * the columns (mixed data, as in Racine and Li's mixed-kernel estimators):
 *     p̂(x) = (1/N) Σ_i Π_j K_j(x_j, x_ij),  log-sum-exp over the N records.
 * - numeric column j: Gaussian kernel on u = (x − lo)/(hi − lo) (schema
 *   range, never the data's), bandwidth h_j:
 *   K_j = φ((u − u_i)/h_j)/h_j. By default h_j follows Scott's rule on the
 *   range-scaled data of the set being estimated, per column:
 *   h_j = max(σ_j, 0.01) · N^(−1/(q+4)), σ_j the sample standard deviation
 *   (N − 1 denominator) of column j in that set (synthetic or auxiliary),
 *   floored at 1% of the range so a constant column does not give a zero
 *   bandwidth. Param "bandwidth" (> 0, range units) replaces h_j for every
 *   numeric column of both estimates.
 * - categorical column j with c codes: Aitchison-Aitken kernel
 *   K_j = 1 − λ_j if x_j = x_ij, else λ_j/(c − 1), with
 *   λ_j = "lambda" · (c − 1)/c; "lambda" in (0, 1] (default 0.1) is the
 *   fraction of the largest admissible λ ((c−1)/c, where the kernel is
 *   uniform and the column ignored). A column with c = 1 contributes 1.
 * Needs auxiliary data (the reference set) and a non-empty release.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attacks/mia.h"

typedef struct domias_opts {
    double bandwidth;  /* 0: Scott's rule */
    double lambda;
} domias_opts;

static int domias_opts_read(const cJSON *params, domias_opts *o, pa_err *err)
{
    *o = (domias_opts){.bandwidth = 0, .lambda = 0.1};
    if (!params)
        return PA_OK;
    for (const cJSON *it = params->child; it; it = it->next) {
        if (strcmp(it->string, "bandwidth") == 0) {
            if (!cJSON_IsNumber(it) || !(it->valuedouble > 0 && it->valuedouble <= 1e6))
                return pa_errf(err, PA_EINPUT, "attack \"domias\": parameter \"bandwidth\": expected a number > 0 "
                               "(in units of the schema range)");
            o->bandwidth = it->valuedouble;
        } else if (strcmp(it->string, "lambda") == 0) {
            if (!cJSON_IsNumber(it) || !(it->valuedouble > 0 && it->valuedouble <= 1))
                return pa_errf(err, PA_EINPUT, "attack \"domias\": parameter \"lambda\": expected a number in "
                               "(0, 1] (fraction of the largest Aitchison-Aitken lambda (c-1)/c)");
            o->lambda = it->valuedouble;
        } else {
            return pa_errf(err, PA_EINPUT, "attack \"domias\": unknown parameter \"%s\" (known: bandwidth, lambda)",
                           it->string);
        }
    }
    return PA_OK;
}

static int domias_check(const schema *s, const cJSON *params, pa_err *err)
{
    domias_opts o;
    return domias_opts_read(params, &o, err);
}

/* Per-column kernel constants of the KDE over `ref`: for numeric columns
 * h[j]; for categorical columns log_same[j], log_diff[j]. */
static void kde_setup(const table *ref, const domias_opts *o, double *h, double *log_same, double *log_diff)
{
    const schema *s = ref->s;
    size_t q = 0, N = ref->n;
    for (size_t j = 0; j < ref->d; j++)
        q += s->cols[j].kind == COL_NUM;
    for (size_t j = 0; j < ref->d; j++) {
        const col_spec *c = &s->cols[j];
        if (c->kind == COL_NUM) {
            if (o->bandwidth > 0) {
                h[j] = o->bandwidth;
                continue;
            }
            double w = c->hi - c->lo, mu = 0, v = 0;
            for (size_t i = 0; i < N; i++)
                mu += (ref->num[j][i] - c->lo) / w;
            mu /= (double)N;
            for (size_t i = 0; i < N; i++) {
                double u = (ref->num[j][i] - c->lo) / w - mu;
                v += u * u;
            }
            double sd = N > 1 ? sqrt(v / (double)(N - 1)) : 0;
            h[j] = fmax(sd, 0.01) * pow((double)N, -1.0 / ((double)q + 4));
        } else if (c->size > 1) {
            double lam = o->lambda * (double)(c->size - 1) / (double)c->size;
            log_same[j] = log1p(-lam);
            log_diff[j] = log(lam / (double)(c->size - 1));
        } else {
            log_same[j] = log_diff[j] = 0;
        }
    }
}

/* log p̂_ref(row t of x). */
static double kde_log(const table *ref, const table *x, size_t t, const double *h, const double *log_same,
                      const double *log_diff, double *lk)
{
    const schema *s = ref->s;
    size_t N = ref->n, d = ref->d;
    const double half_log_2pi = 0.91893853320467274178;
    double base = 0;   /* the part of every log kernel that does not depend on i */
    for (size_t j = 0; j < d; j++)
        if (s->cols[j].kind == COL_NUM)
            base -= log(h[j]) + half_log_2pi;
    double mx = -INFINITY;
    for (size_t i = 0; i < N; i++) {
        double a = base;
        for (size_t j = 0; j < d; j++) {
            const col_spec *c = &s->cols[j];
            if (c->kind == COL_NUM) {
                double z = (x->num[j][t] - ref->num[j][i]) / (c->hi - c->lo) / h[j];
                a -= 0.5 * z * z;
            } else {
                a += x->cat[j][t] == ref->cat[j][i] ? log_same[j] : log_diff[j];
            }
        }
        lk[i] = a;
        if (a > mx)
            mx = a;
    }
    double sum = 0;
    for (size_t i = 0; i < N; i++)
        sum += exp(lk[i] - mx);
    return mx + log(sum) - log((double)N);
}

static int domias_score(const mia_input *in, const cJSON *params, double *scores, pa_err *err)
{
    domias_opts o;
    int rc = domias_opts_read(params, &o, err);
    if (rc)
        return rc;
    const table *syn = in->synth, *aux = in->aux, *t = in->targets;
    if (!aux)
        return pa_errf(err, PA_EINPUT, "attack \"domias\" needs auxiliary data");
    if (syn->n == 0 || aux->n == 0)
        return pa_errf(err, PA_EINPUT, "attack \"domias\": the %s set is empty", syn->n == 0 ? "synthetic" :
                       "auxiliary");
    size_t d = t->d;
    double *hs = pa_calloc(d, sizeof *hs), *ss = pa_calloc(d, sizeof *ss), *ds = pa_calloc(d, sizeof *ds);
    double *ha = pa_calloc(d, sizeof *ha), *sa = pa_calloc(d, sizeof *sa), *da = pa_calloc(d, sizeof *da);
    double *lk = pa_malloc(syn->n > aux->n ? syn->n : aux->n, sizeof *lk);
    if (!hs || !ss || !ds || !ha || !sa || !da || !lk) {
        rc = pa_errf(err, PA_ENOMEM, "attack \"domias\": out of memory");
    } else {
        kde_setup(syn, &o, hs, ss, ds);
        kde_setup(aux, &o, ha, sa, da);
        for (size_t i = 0; i < t->n; i++)
            scores[i] = kde_log(syn, t, i, hs, ss, ds, lk) - kde_log(aux, t, i, ha, sa, da, lk);
    }
    free(hs);
    free(ss);
    free(ds);
    free(ha);
    free(sa);
    free(da);
    free(lk);
    return rc;
}

const mia_vtable mia_domias = {
    .name = "domias",
    .summary = "DOMIAS (van Breugel et al. 2023): log KDE density ratio synthetic/auxiliary (Gaussian x "
               "Aitchison-Aitken product kernel; needs aux data)",
    .needs_aux = 1,
    .kind = MIA_DIRECT,
    .check = domias_check,
    .score = domias_score,
};
