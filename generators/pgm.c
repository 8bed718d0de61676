/* pgm.c — code tables, marginals, simplex projection, categorical draws.
 *
 * n = records, d = attributes, c = cells, k = attributes in a marginal.
 */
#include "generators/pgm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit/utility.h"

int pgm_encode(const table *t, size_t bins, pgm_codes **out, pa_err *err)
{
    *out = NULL;
    if (!t || !t->s || bins < 1)
        return pa_errf(err, PA_EINPUT, "pgm_encode: a table and bins >= 1 are required");
    pgm_codes *c = pa_calloc(1, sizeof *c);
    if (!c)
        return pa_errf(err, PA_ENOMEM, "pgm_encode: out of memory");
    c->n = t->n;
    c->d = t->d;
    c->card = pa_calloc(t->d, sizeof *c->card);
    c->x = pa_malloc(t->d * (t->n ? t->n : 1), sizeof *c->x);
    if (!c->card || !c->x) {
        pgm_codes_free(c);
        return pa_errf(err, PA_ENOMEM, "pgm_encode: out of memory for %zu x %zu codes", t->n, t->d);
    }
    for (size_t j = 0; j < t->d; j++) {
        const col_spec *cs = &t->s->cols[j];
        c->card[j] = util_col_bins(cs, bins);
        if (c->card[j] == 0 || c->card[j] > INT32_MAX) {
            size_t cj = c->card[j];
            pgm_codes_free(c);
            return pa_errf(err, PA_EINPUT, "pgm_encode: column '%s' has %zu codes; expected 1..2^31-1",
                           cs->name, cj);
        }
        int32_t *xj = c->x + j * t->n;
        if (cs->kind == COL_CAT) {
            for (size_t i = 0; i < t->n; i++) {
                int32_t v = t->cat[j][i];
                if (v < 0 || (size_t)v >= cs->size) {
                    pgm_codes_free(c);
                    return pa_errf(err, PA_EINPUT, "pgm_encode: column '%s' record %zu has code %d; expected 0..%zu",
                                   cs->name, i, (int)v, cs->size - 1);
                }
                xj[i] = v;
            }
        } else {
            for (size_t i = 0; i < t->n; i++)
                xj[i] = (int32_t)util_col_bin(cs, bins, t->num[j][i]);
        }
    }
    *out = c;
    return PA_OK;
}

void pgm_codes_free(pgm_codes *c)
{
    if (!c)
        return;
    free(c->card);
    free(c->x);
    free(c);
}

int pgm_decode_column(table *t, size_t j, const int32_t *code, size_t bins, gsl_rng *r)
{
    const col_spec *cs = &t->s->cols[j];
    if (cs->kind == COL_CAT) {
        memcpy(t->cat[j], code, t->n * sizeof *code);
        return PA_OK;
    }
    size_t nb = util_col_bins(cs, bins);
    double lo = cs->lo, hi = cs->hi;
    double *e = malloc((nb + 1) * sizeof *e);
    if (!e)
        return PA_ENOMEM;
    if (util_col_edges(cs, bins, e) == 0) { /* one bin per integer */
        for (size_t i = 0; i < t->n; i++)
            t->num[j][i] = ceil(lo) + (double)code[i];
        free(e);
        return PA_OK;
    }
    double ilo = ceil(lo), ihi = floor(hi);
    for (size_t i = 0; i < t->n; i++) {
        size_t b = (size_t)code[i];
        double L = e[b], U = e[b + 1], v;
        if (cs->integer) {
            /* the integers whose bin is b: [L, U), the last bin closed */
            double a = fmax(ceil(L), ilo), z = fmin(b + 1 == nb ? floor(U) : ceil(U) - 1, ihi);
            if (a <= z)
                v = a + (double)gsl_rng_uniform_int(r, (unsigned long)(z - a) + 1);
            else /* a bin narrower than one integer, holding none */
                v = fmin(ihi, fmax(ilo, round(0.5 * (L + U))));
        } else {
            v = L + gsl_rng_uniform(r) * (U - L);
            if (v > hi)
                v = hi;
            if (v < lo)
                v = lo;
        }
        t->num[j][i] = v;
    }
    free(e);
    return PA_OK;
}

size_t pgm_cells(const size_t *card, const size_t *cols, size_t k, size_t limit)
{
    size_t c = 1;
    for (size_t a = 0; a < k; a++) {
        size_t m = card[cols[a]];
        if (m && c > limit / m)
            return 0;
        c *= m;
    }
    return c <= limit ? c : 0;
}

void pgm_count(double *out, const pgm_codes *x, const size_t *cols, size_t k)
{
    size_t c = 1;
    for (size_t a = 0; a < k; a++)
        c *= x->card[cols[a]];
    memset(out, 0, c * sizeof *out);
    if (k == 1) {
        const int32_t *x0 = x->x + cols[0] * x->n;
        for (size_t i = 0; i < x->n; i++)
            out[x0[i]] += 1.0;
        return;
    }
    if (k == 2) {
        const int32_t *x0 = x->x + cols[0] * x->n, *x1 = x->x + cols[1] * x->n;
        size_t m1 = x->card[cols[1]];
        for (size_t i = 0; i < x->n; i++)
            out[(size_t)x0[i] * m1 + (size_t)x1[i]] += 1.0;
        return;
    }
    for (size_t i = 0; i < x->n; i++) {
        size_t idx = 0;
        for (size_t a = 0; a < k; a++)
            idx = idx * x->card[cols[a]] + (size_t)x->x[cols[a] * x->n + i];
        out[idx] += 1.0;
    }
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Duchi, Shalev-Shwartz, Singer, Chandra (ICML 2008), Fig. 1: sort
 * descending, find the largest j with u_j − (Σ_{i≤j} u_i − z)/j > 0, shift by
 * θ = (Σ_{i≤j} u_i − z)/j and clip at 0. */
void pgm_project_simplex(double *v, size_t c, double total)
{
    if (c == 0)
        return;
    double *u = malloc(c * sizeof *u);
    if (!u) { /* fall back to clip-and-rescale: still a valid distribution */
        double s = 0;
        for (size_t i = 0; i < c; i++)
            s += (v[i] = v[i] > 0 ? v[i] : 0);
        for (size_t i = 0; i < c; i++)
            v[i] = s > 0 ? v[i] * total / s : total / (double)c;
        return;
    }
    memcpy(u, v, c * sizeof *u);
    qsort(u, c, sizeof *u, cmp_desc);
    double cum = 0, theta = 0;
    for (size_t j = 0; j < c; j++) {
        cum += u[j];
        double t = (cum - total) / (double)(j + 1);
        if (u[j] - t > 0)
            theta = t;
    }
    free(u);
    for (size_t i = 0; i < c; i++)
        v[i] = v[i] - theta > 0 ? v[i] - theta : 0;
}

void pgm_cumulate(double *w, size_t c)
{
    double s = 0;
    for (size_t i = 0; i < c; i++)
        s += w[i] > 0 ? w[i] : 0;
    if (!(s > 0) || !isfinite(s)) {
        for (size_t i = 0; i < c; i++)
            w[i] = (double)(i + 1) / (double)c;
    } else {
        double acc = 0;
        for (size_t i = 0; i < c; i++) {
            acc += w[i] > 0 ? w[i] : 0;
            w[i] = acc / s;
        }
    }
    if (c)
        w[c - 1] = 1.0;
}

size_t pgm_draw(const double *cdf, size_t c, gsl_rng *r)
{
    double u = gsl_rng_uniform(r);
    /* The first index with cdf > u, or c − 1: for the nondecreasing cdf of
     * pgm_cumulate that is #{i < c − 1 : cdf[i] ≤ u}, found by halving
     * without a data-dependent branch (the comparison becomes a conditional
     * move: the draws of a release mispredicted half the time). */
    size_t lo = 0, n = c ? c - 1 : 0;
    while (n > 1) {
        size_t half = n / 2;
        lo = cdf[lo + half - 1] <= u ? lo + half : lo;
        n -= half;
    }
    return lo + (n == 1 && cdf[lo] <= u);
}
