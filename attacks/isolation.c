/* isolation.c — most isolated records (isolation.h).
 *
 * n = candidates, r = reference rows, d = columns, K = ISO_NEIGHBOURS,
 * k = records wanted.
 *
 * Both functions add the d terms of a distance in column order, as
 * mia_distance does, so they give the same doubles. The pruning is exact
 * because every term is non-negative: a partial sum never decreases when
 * a term is added (IEEE rounding is monotone), so a partial sum at or above
 * the K-th nearest so far means the full distance would not be kept; and
 * the mean of the K nearest so far, summed in the same order, bounds the
 * final mean from above.
 */
#include "attacks/isolation.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attacks/mia.h"

double iso_naive(const table *cand, size_t i, const table *ref, size_t self)
{
    double best[ISO_NEIGHBOURS];
    for (size_t q = 0; q < ISO_NEIGHBOURS; q++)
        best[q] = INFINITY;
    for (size_t r = 0; r < ref->n; r++) {
        if (r == self)
            continue;
        double dist = mia_distance(cand, i, ref, r);
        if (dist < best[ISO_NEIGHBOURS - 1]) {
            size_t q = ISO_NEIGHBOURS - 1;
            while (q > 0 && best[q - 1] > dist) {
                best[q] = best[q - 1];
                q--;
            }
            best[q] = dist;
        }
    }
    double s = 0;
    size_t cnt = 0;
    for (size_t q = 0; q < ISO_NEIGHBOURS; q++)
        if (isfinite(best[q])) {
            s += best[q];
            cnt++;
        }
    return cnt ? s / (double)cnt : 0;
}

typedef struct scan {
    size_t n, r, d, k;
    const double *cv;           /* (n, d) candidates, row-major; codes as doubles */
    const double *rv;           /* (r, d) reference rows */
    const double *range;        /* (d) hi - lo of numeric columns */
    const unsigned char *iscat; /* (d) 1 for categorical columns */
    const size_t *self;         /* (n) or NULL */
    double *iso;                /* (n) isolation, -INFINITY when pruned */
    atomic_size_t next;
    pthread_mutex_t mu;
    double *top;                /* (k) min-heap of the largest isolations found */
    size_t n_top;
    _Atomic double bar;         /* top[0] once the heap is full, else -INFINITY */
} scan;

#define ISO_CHUNK 16

static void heap_push(scan *S, double v)
{
    pthread_mutex_lock(&S->mu);
    double *h = S->top;
    if (S->n_top < S->k) {
        size_t q = S->n_top++;
        while (q > 0 && h[(q - 1) / 2] > v) {
            h[q] = h[(q - 1) / 2];
            q = (q - 1) / 2;
        }
        h[q] = v;
    } else if (v > h[0]) {
        size_t q = 0;
        for (;;) {
            size_t l = 2 * q + 1, m = l + 1, c = l;
            if (l >= S->k)
                break;
            if (m < S->k && h[m] < h[l])
                c = m;
            if (h[c] >= v)
                break;
            h[q] = h[c];
            q = c;
        }
        h[q] = v;
    }
    if (S->n_top == S->k)
        atomic_store(&S->bar, h[0]);
    pthread_mutex_unlock(&S->mu);
}

/* mean of the K nearest so far, in the order iso_naive sums them */
static double mean_best(const double *best)
{
    double s = 0;
    size_t cnt = 0;
    for (size_t q = 0; q < ISO_NEIGHBOURS; q++)
        if (isfinite(best[q])) {
            s += best[q];
            cnt++;
        }
    return cnt ? s / (double)cnt : 0;
}

static double one(scan *S, size_t i)
{
    const size_t d = S->d;
    const double *x = S->cv + i * d, *range = S->range;
    const unsigned char *iscat = S->iscat;
    const size_t self = S->self ? S->self[i] : SIZE_MAX;
    double best[ISO_NEIGHBOURS];
    for (size_t q = 0; q < ISO_NEIGHBOURS; q++)
        best[q] = INFINITY;
    for (size_t r = 0; r < S->r; r++) {
        if (r == self)
            continue;
        const double *y = S->rv + r * d, bound = best[ISO_NEIGHBOURS - 1];
        double dist = 0;
        size_t j = 0;
        for (; j < d; j++) {
            dist += iscat[j] ? (double)(x[j] != y[j]) : fabs(x[j] - y[j]) / range[j];
            if (dist >= bound)
                break;
        }
        if (j < d || !(dist < bound))
            continue;
        size_t q = ISO_NEIGHBOURS - 1;
        while (q > 0 && best[q - 1] > dist) {
            best[q] = best[q - 1];
            q--;
        }
        best[q] = dist;
        if (isfinite(best[ISO_NEIGHBOURS - 1]) && mean_best(best) < atomic_load(&S->bar))
            return -INFINITY; /* can no longer be among the k most isolated */
    }
    return mean_best(best);
}

static void *worker(void *arg)
{
    scan *S = arg;
    for (;;) {
        size_t lo = atomic_fetch_add(&S->next, ISO_CHUNK);
        if (lo >= S->n)
            break;
        size_t hi = lo + ISO_CHUNK < S->n ? lo + ISO_CHUNK : S->n;
        for (size_t i = lo; i < hi; i++) {
            double v = one(S, i);
            S->iso[i] = v;
            if (v > -INFINITY)
                heap_push(S, v);
        }
    }
    return NULL;
}

/* row-major copy of t with codes as doubles (exact: codes are small ints) */
static double *pack(const table *t)
{
    double *v = malloc((t->n * t->d + 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t j = 0; j < t->d; j++)
        for (size_t i = 0; i < t->n; i++)
            v[i * t->d + j] = t->cat[j] ? (double)t->cat[j][i] : t->num[j][i];
    return v;
}

typedef struct pick {
    double iso;
    size_t row;
} pick;

static int by_iso_desc(const void *a, const void *b)
{
    const pick *x = a, *y = b;
    if (x->iso != y->iso)
        return (x->iso < y->iso) - (x->iso > y->iso);
    return (x->row > y->row) - (x->row < y->row);
}

int iso_select(const table *cand, const table *ref, const size_t *self, size_t k, int jobs, size_t *chosen,
               double *iso, pa_err *err)
{
    if (k > cand->n)
        return pa_errf(err, PA_EINPUT, "isolation: %zu records wanted of %zu candidates", k, cand->n);
    if (cand->d != ref->d)
        return pa_errf(err, PA_EINPUT, "isolation: candidates have %zu columns, the reference %zu", cand->d, ref->d);
    if (k == 0)
        return PA_OK;
    const size_t n = cand->n, d = cand->d;
    scan S = {.n = n, .r = ref->n, .d = d, .k = k, .self = self};
    double *cv = pack(cand), *rv = pack(ref), *range = malloc((d + 1) * sizeof *range);
    unsigned char *iscat = malloc(d + 1);
    double *isov = malloc(n * sizeof *isov), *top = malloc(k * sizeof *top);
    pick *pk = malloc(n * sizeof *pk);
    int rc = PA_OK;
    if (!cv || !rv || !range || !iscat || !isov || !top || !pk) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t j = 0; j < d; j++) {
        iscat[j] = cand->cat[j] != NULL;
        range[j] = cand->s->cols[j].hi - cand->s->cols[j].lo; /* what mia_distance divides by */
    }
    S.cv = cv;
    S.rv = rv;
    S.range = range;
    S.iscat = iscat;
    S.iso = isov;
    S.top = top;
    atomic_init(&S.next, 0);
    atomic_init(&S.bar, -INFINITY);
    pthread_mutex_init(&S.mu, NULL);
    if (jobs < 1)
        jobs = 1;
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    int started = 0;
    for (int j = 1; th && j < jobs; j++)
        if (pthread_create(&th[j], NULL, worker, &S) == 0)
            started = j;
        else
            break;
    worker(&S);
    for (int j = 1; j <= started; j++)
        pthread_join(th[j], NULL);
    free(th);
    pthread_mutex_destroy(&S.mu);
    for (size_t i = 0; i < n; i++) {
        pk[i].iso = isov[i];
        pk[i].row = i;
    }
    qsort(pk, n, sizeof *pk, by_iso_desc);
    for (size_t q = 0; q < k; q++) {
        chosen[q] = pk[q].row;
        iso[q] = pk[q].iso;
    }
out:
    free(cv);
    free(rv);
    free(range);
    free(iscat);
    free(isov);
    free(top);
    free(pk);
    return rc;
}
