/* nearest.c — exact nearest-record index; contract in nearest.h.
 *
 * m = reference rows, G = groups (distinct categorical tuples), C = categorical
 * columns, P = numeric columns of the index. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attacks/nearest.h"

struct near_index {
    const table *ref;
    size_t ncols, ncat, nnum;
    int *cols;          /* (ncols) every column, increasing */
    int *cat;           /* (ncat) the categorical ones */
    int *num;           /* (nnum) the numeric ones */
    int prim;           /* column index of the sorting numeric column, -1 if nnum = 0 */
    double prim_range;  /* its hi - lo */
    size_t G;
    int32_t *gcodes;    /* (G, ncat) categorical tuple of each group */
    size_t *gstart;     /* (G + 1) into rows/pval */
    size_t *rows;       /* (m) reference rows, by group, then by primary value, then row */
    double *pval;       /* (m) primary value of rows[t] (0 without numeric columns) */
};

void near_free(near_index *ix)
{
    if (!ix)
        return;
    free(ix->cols);
    free(ix->cat);
    free(ix->num);
    free(ix->gcodes);
    free(ix->gstart);
    free(ix->rows);
    free(ix->pval);
    free(ix);
}

typedef struct hrow {
    uint64_t h;
    size_t r;
} hrow;

static int hrow_cmp(const void *x, const void *y)
{
    const hrow *a = x, *b = y;
    if (a->h != b->h)
        return (a->h > b->h) - (a->h < b->h);
    return (a->r > b->r) - (a->r < b->r);
}

typedef struct prow {
    double v;
    size_t r;
} prow;

static int prow_cmp(const void *x, const void *y)
{
    const prow *a = x, *b = y;
    if (a->v != b->v)
        return (a->v > b->v) - (a->v < b->v);
    return (a->r > b->r) - (a->r < b->r);
}

static int same_cats(const near_index *ix, size_t r1, size_t r2)
{
    for (size_t c = 0; c < ix->ncat; c++)
        if (ix->ref->cat[ix->cat[c]][r1] != ix->ref->cat[ix->cat[c]][r2])
            return 0;
    return 1;
}

int near_build(const table *ref, const int *cols, size_t ncols, near_index **out, pa_err *err)
{
    *out = NULL;
    if (!ref || ref->n == 0)
        return pa_errf(err, PA_EINPUT, "nearest: the reference table has no rows");
    near_index *ix = pa_calloc(1, sizeof *ix);
    if (!ix)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    ix->ref = ref;
    size_t d = ref->d, m = ref->n;
    ix->ncols = cols ? ncols : d;
    ix->cols = pa_malloc(ix->ncols + 1, sizeof *ix->cols);
    ix->cat = pa_malloc(ix->ncols + 1, sizeof *ix->cat);
    ix->num = pa_malloc(ix->ncols + 1, sizeof *ix->num);
    hrow *H = pa_malloc(m, sizeof *H);
    prow *Pr = pa_malloc(m, sizeof *Pr);
    ix->rows = pa_malloc(m, sizeof *ix->rows);
    ix->pval = pa_malloc(m, sizeof *ix->pval);
    size_t *gof = pa_malloc(m, sizeof *gof);
    if (!ix->cols || !ix->cat || !ix->num || !H || !Pr || !ix->rows || !ix->pval || !gof) {
        free(H), free(Pr), free(gof), near_free(ix);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    int rc = PA_OK;
    for (size_t k = 0; k < ix->ncols; k++) {
        int j = cols ? cols[k] : (int)k;
        if (j < 0 || (size_t)j >= d || (k > 0 && j <= ix->cols[k - 1])) {
            rc = pa_errf(err, PA_EINPUT, "nearest: column index %d: expected increasing indices in [0, %zu)", j, d);
            goto out;
        }
        ix->cols[k] = j;
        if (ref->cat[j])
            ix->cat[ix->ncat++] = j;
        else
            ix->num[ix->nnum++] = j;
    }
    if (ix->ncols == 0) {
        rc = pa_errf(err, PA_EINPUT, "nearest: no column to compare");
        goto out;
    }
    /* the sorting column: the numeric one with the largest spread (normalised variance) */
    ix->prim = -1;
    double best_var = -1;
    for (size_t k = 0; k < ix->nnum; k++) {
        int j = ix->num[k];
        double range = ref->s->cols[j].hi - ref->s->cols[j].lo, s = 0, s2 = 0;
        for (size_t r = 0; r < m; r++) {
            double v = ref->num[j][r] / range;
            s += v;
            s2 += v * v;
        }
        double var = s2 / (double)m - (s / (double)m) * (s / (double)m);
        if (var > best_var) {
            best_var = var;
            ix->prim = j;
            ix->prim_range = range;
        }
    }
    /* groups of equal categorical tuples: sort by (hash, row), split hash runs by the codes */
    for (size_t r = 0; r < m; r++) {
        uint64_t h = 1469598103934665603ull;
        for (size_t c = 0; c < ix->ncat; c++)
            h = (h ^ (uint64_t)(uint32_t)ref->cat[ix->cat[c]][r]) * 1099511628211ull;
        H[r].h = h;
        H[r].r = r;
        gof[r] = SIZE_MAX;
    }
    qsort(H, m, sizeof *H, hrow_cmp);
    size_t G = 0;
    size_t *first = pa_malloc(m, sizeof *first); /* first row of each group, in group order */
    if (!first) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t t0 = 0; t0 < m;) {
        size_t t1 = t0;
        while (t1 < m && H[t1].h == H[t0].h)
            t1++;
        for (size_t t = t0; t < t1; t++) {
            size_t r = H[t].r;
            if (gof[r] != SIZE_MAX)
                continue;
            gof[r] = G;
            first[G++] = r;
            for (size_t u = t + 1; u < t1; u++)
                if (gof[H[u].r] == SIZE_MAX && same_cats(ix, H[u].r, r))
                    gof[H[u].r] = gof[r];
        }
        t0 = t1;
    }
    ix->G = G;
    ix->gstart = pa_calloc(G + 1, sizeof *ix->gstart);
    ix->gcodes = pa_malloc(G * (ix->ncat ? ix->ncat : 1), sizeof *ix->gcodes);
    if (!ix->gstart || !ix->gcodes) {
        free(first);
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t g = 0; g < G; g++)
        for (size_t c = 0; c < ix->ncat; c++)
            ix->gcodes[g * ix->ncat + c] = ref->cat[ix->cat[c]][first[g]];
    free(first);
    for (size_t r = 0; r < m; r++)
        ix->gstart[gof[r] + 1]++;
    for (size_t g = 0; g < G; g++)
        ix->gstart[g + 1] += ix->gstart[g];
    size_t *fill = pa_malloc(G + 1, sizeof *fill);
    if (!fill) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(fill, ix->gstart, (G + 1) * sizeof *fill);
    for (size_t r = 0; r < m; r++) { /* rows increasing within each group */
        size_t t = fill[gof[r]]++;
        Pr[t].r = r;
        Pr[t].v = ix->prim >= 0 ? ref->num[ix->prim][r] : 0;
    }
    free(fill);
    for (size_t g = 0; g < G; g++)
        qsort(Pr + ix->gstart[g], ix->gstart[g + 1] - ix->gstart[g], sizeof *Pr, prow_cmp);
    for (size_t t = 0; t < m; t++) {
        ix->rows[t] = Pr[t].r;
        ix->pval[t] = Pr[t].v;
    }
out:
    free(H), free(Pr), free(gof);
    if (rc) {
        near_free(ix);
        return rc;
    }
    *out = ix;
    return PA_OK;
}

double near_distance(const near_index *ix, const table *q, size_t i, size_t r)
{
    const table *b = ix->ref;
    double dist = 0;
    for (size_t k = 0; k < ix->ncols; k++) {
        int j = ix->cols[k];
        if (q->cat[j]) {
            dist += q->cat[j][i] != b->cat[j][r];
        } else {
            const col_spec *c = &q->s->cols[j];
            dist += fabs(q->num[j][i] - b->num[j][r]) / (c->hi - c->lo);
        }
    }
    return dist;
}

/* the running answer of a query */
typedef struct acc {
    double best;
    size_t *ties, cap, n;
} acc;

static void acc_offer(acc *a, double dist, size_t r)
{
    if (dist > a->best)
        return;
    if (dist < a->best) {
        a->best = dist;
        a->n = 0;
    }
    if (a->ties) { /* keep the cap smallest rows, ascending */
        size_t k = a->n < a->cap ? a->n : a->cap;
        if (k == a->cap && (k == 0 || r > a->ties[k - 1])) {
            a->n++;
            return;
        }
        size_t p = k == a->cap ? k - 1 : k;
        while (p > 0 && a->ties[p - 1] > r) {
            a->ties[p] = a->ties[p - 1];
            p--;
        }
        a->ties[p] = r;
    }
    a->n++;
}

static double margin(double best)
{
    return 1e-12 * (1.0 + best);
}

double near_query_naive(const near_index *ix, const table *q, size_t i, size_t *ties, size_t cap, size_t *n_ties)
{
    acc a = {INFINITY, ties, ties ? cap : 0, 0};
    for (size_t r = 0; r < ix->ref->n; r++)
        acc_offer(&a, near_distance(ix, q, i, r), r);
    if (n_ties)
        *n_ties = a.n;
    return a.best;
}

/* Scans group g, whose Hamming distance to the query is h. */
static void scan_group(const near_index *ix, const table *q, size_t i, size_t g, double h, acc *a)
{
    size_t s = ix->gstart[g], e = ix->gstart[g + 1];
    if (ix->prim < 0) { /* every row of the group is at distance h exactly */
        for (size_t t = s; t < e; t++)
            acc_offer(a, h, ix->rows[t]);
        return;
    }
    double v = q->num[ix->prim][i];
    size_t lo = s, hi = e; /* first t with pval[t] >= v */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->pval[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t R = lo, L = lo; /* next candidates: R upwards, L - 1 downwards */
    int r_open = R < e, l_open = L > s;
    while (r_open || l_open) {
        double gr = r_open ? fabs(ix->pval[R] - v) / ix->prim_range : INFINITY;
        double gl = l_open ? fabs(ix->pval[L - 1] - v) / ix->prim_range : INFINITY;
        int right = gr <= gl;
        double gap = right ? gr : gl;
        if (h + gap > a->best + margin(a->best))
            break; /* every remaining row on both sides is farther */
        size_t t = right ? R++ : --L;
        acc_offer(a, near_distance(ix, q, i, ix->rows[t]), ix->rows[t]);
        r_open = R < e;
        l_open = L > s;
    }
}

double near_query(const near_index *ix, const table *q, size_t i, size_t *ties, size_t cap, size_t *n_ties)
{
    acc a = {INFINITY, ties, ties ? cap : 0, 0};
    size_t G = ix->G, C = ix->ncat;
    uint32_t stackbuf[1024], *hd = G <= 1024 ? stackbuf : malloc(G * sizeof *hd);
    if (!hd) /* no memory for the Hamming distances: scan everything */
        return near_query_naive(ix, q, i, ties, cap, n_ties);
    for (size_t g = 0; g < G; g++) {
        uint32_t h = 0;
        const int32_t *gc = ix->gcodes + g * C;
        for (size_t c = 0; c < C; c++)
            h += gc[c] != q->cat[ix->cat[c]][i];
        hd[g] = h;
    }
    /* groups in increasing Hamming distance; stop once it alone exceeds the best */
    for (size_t h = 0; h <= C; h++) {
        double hh = (double)h;
        if (hh > a.best + margin(a.best))
            break;
        for (size_t g = 0; g < G; g++)
            if (hd[g] == h)
                scan_group(ix, q, i, g, hh, &a);
    }
    if (hd != stackbuf)
        free(hd);
    if (n_ties)
        *n_ties = a.n;
    return a.best;
}
