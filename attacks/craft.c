/* craft.c — crafted challenge records (craft.h). */
#include "attacks/craft.h"

#include <stdlib.h>
#include <string.h>

#include "audit/utility.h"
#include "core/util.h"

typedef struct cell_rank {
    size_t cell;
    size_t count;
} cell_rank;

static int by_count(const void *a, const void *b)
{
    const cell_rank *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? -1 : 1;
    return x->cell < y->cell ? -1 : x->cell > y->cell;
}

static size_t gcd(size_t a, size_t b)
{
    while (b) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int craft_targets(const table *ref, size_t k, size_t bins, table **out, pa_err *err)
{
    *out = NULL;
    const schema *s = ref->s;
    const size_t d = s->d;
    /* target t and t' are equal iff t ≡ t' modulo every column's period (K_j, or 2 for a numeric column):
     * k distinct records need k <= lcm of the periods */
    size_t lcm = 1;
    for (size_t j = 0; j < d && lcm < k; j++) {
        size_t p = s->cols[j].kind == COL_CAT ? s->cols[j].size : 2;
        lcm = lcm / gcd(lcm, p) * p;
    }
    if (k > lcm)
        return pa_errf(err, PA_EINPUT,
                       "targets: %zu crafted records asked for, but the schema's columns allow at most %zu distinct "
                       "ones (the least common multiple of their code counts): lower targets.count",
                       k, lcm);
    table *t = tbl_new(s, k);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t j = 0; j < d; j++) {
        const col_spec *c = &s->cols[j];
        size_t K = util_col_bins(c, bins);
        cell_rank *r = pa_calloc(K, sizeof *r);
        if (!r) {
            tbl_free(t);
            return pa_errf(err, PA_ENOMEM, "out of memory");
        }
        for (size_t q = 0; q < K; q++)
            r[q].cell = q;
        for (size_t i = 0; i < ref->n; i++)
            r[util_col_bin(c, bins, tbl_get(ref, i, j))].count++;
        if (c->kind == COL_CAT) {
            qsort(r, K, sizeof *r, by_count);
            for (size_t q = 0; q < k; q++)
                t->cat[j][q] = (int32_t)r[q % K].cell;
        } else {
            size_t blo = util_col_bin(c, bins, c->lo), bhi = util_col_bin(c, bins, c->hi);
            int hi_first = r[bhi].count < r[blo].count; /* ties: lo first */
            for (size_t q = 0; q < k; q++)
                t->num[j][q] = ((q % 2 == 0) == hi_first) ? c->hi : c->lo;
        }
        free(r);
    }
    *out = t;
    return PA_OK;
}
