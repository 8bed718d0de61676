/* test_isolation.c — the pruned, threaded isolation scan (attacks/isolation.c)
 * against the plain scan of every candidate (iso_naive, the reference). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "attacks/isolation.h"
#include "attacks/mia.h"

TestSuite(isolation);

/* n rows over 3 categorical columns (sizes 2, 3, 4) and 2 numeric ones;
 * `levels` distinct numeric values per column, so small levels give many
 * exact duplicates and ties. A few outliers sit far from the rest. */
static table *mk_table(size_t n, unsigned levels, uint64_t seed)
{
    schema *s = schema_new(5);
    const size_t sizes[3] = {2, 3, 4};
    for (size_t j = 0; j < 5; j++) {
        char name[8];
        snprintf(name, sizeof name, "c%zu", j);
        s->cols[j].name = pa_strdup(name);
        if (j < 3) {
            s->cols[j].kind = COL_CAT;
            s->cols[j].size = sizes[j];
        } else {
            s->cols[j].kind = COL_NUM;
            s->cols[j].lo = 0;
            s->cols[j].hi = j == 3 ? 100 : 7;
        }
    }
    table *t = tbl_new(s, n);
    schema_free(s);
    uint64_t st = seed;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < 5; j++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            uint64_t u = st >> 33;
            if (j < 3)
                t->cat[j][i] = (int32_t)(u % sizes[j]);
            else
                t->num[j][i] = (double)(u % levels) * (j == 3 ? 100.0 : 7.0) / (double)(levels + 10);
        }
        if (i % 97 == 5) /* an outlier */
            t->num[3][i] = 100, t->num[4][i] = 7, t->cat[0][i] = 1;
    }
    return t;
}

typedef struct iso_case {
    size_t n_cand, n_ref, k;
    unsigned levels;
    int jobs;
    int cand_in_ref;   /* candidates are the first rows of the reference */
    int tie_at_k;      /* the case has a tie across the k-th pick */
} iso_case;

static iso_case cases[] = {
    {.n_cand = 600, .n_ref = 300, .k = 1, .levels = 50, .jobs = 1, .cand_in_ref = 1},
    {.n_cand = 600, .n_ref = 300, .k = 5, .levels = 50, .jobs = 2, .cand_in_ref = 1},
    {.n_cand = 500, .n_ref = 500, .k = 12, .levels = 3, .jobs = 2, .cand_in_ref = 1},  /* many ties */
    {.n_cand = 400, .n_ref = 250, .k = 3, .levels = 1, .jobs = 3, .cand_in_ref = 0, .tie_at_k = 1}, /* ties */
    {.n_cand = 300, .n_ref = 4, .k = 300, .levels = 20, .jobs = 2, .cand_in_ref = 0},  /* k = every candidate, < K refs */
};

ParameterizedTestParameters(isolation, cases_)
{
    return cr_make_param_array(iso_case, cases, sizeof cases / sizeof cases[0]);
}

typedef struct ref_pick {
    double iso;
    size_t row;
} ref_pick;

static int by_desc(const void *a, const void *b)
{
    const ref_pick *x = a, *y = b;
    if (x->iso != y->iso)
        return (x->iso < y->iso) - (x->iso > y->iso);
    return (x->row > y->row) - (x->row < y->row);
}

ParameterizedTest(iso_case *tc, isolation, cases_)
{
    table *all = mk_table(tc->n_cand + tc->n_ref, tc->levels, 42 + tc->k);
    size_t *ci = malloc(tc->n_cand * sizeof *ci), *ri = malloc(tc->n_ref * sizeof *ri);
    size_t *self = malloc(tc->n_cand * sizeof *self);
    /* with cand_in_ref, the reference is the candidates' first n_ref rows */
    for (size_t i = 0; i < tc->n_cand; i++)
        ci[i] = i;
    for (size_t r = 0; r < tc->n_ref; r++)
        ri[r] = tc->cand_in_ref ? r : tc->n_cand + r;
    for (size_t i = 0; i < tc->n_cand; i++)
        self[i] = tc->cand_in_ref && i < tc->n_ref ? i : SIZE_MAX;
    table *cand = tbl_rows(all, ci, tc->n_cand), *ref = tbl_rows(all, ri, tc->n_ref);
    /* reference: every candidate scanned in full, sorted (isolation desc, row asc) */
    ref_pick *want = malloc(tc->n_cand * sizeof *want);
    for (size_t i = 0; i < tc->n_cand; i++) {
        want[i].iso = iso_naive(cand, i, ref, self[i]);
        want[i].row = i;
    }
    qsort(want, tc->n_cand, sizeof *want, by_desc);
    size_t *got = malloc(tc->k * sizeof *got);
    double *giso = malloc(tc->k * sizeof *giso);
    pa_err e;
    cr_assert_eq(iso_select(cand, ref, tc->cand_in_ref ? self : NULL, tc->k, tc->jobs, got, giso, &e), PA_OK, "%s",
                 e.msg);
    for (size_t q = 0; q < tc->k; q++) {
        cr_assert_eq(got[q], want[q].row, "pick %zu: row %zu, the plain scan says %zu", q, got[q], want[q].row);
        cr_assert(giso[q] == want[q].iso, "pick %zu: isolation %.17g vs %.17g", q, giso[q], want[q].iso);
    }
    if (tc->tie_at_k) /* the tie-break is tested: the k-th pick ties with the first one left out */
        cr_assert(want[tc->k - 1].iso == want[tc->k].iso, "no tie at k: %.17g vs %.17g", want[tc->k - 1].iso,
                  want[tc->k].iso);
    free(got);
    free(giso);
    free(want);
    free(ci);
    free(ri);
    free(self);
    tbl_free(cand);
    tbl_free(ref);
    tbl_free(all);
}

Test(isolation, the_naive_scan_is_the_mean_of_the_five_nearest_mia_distances)
{
    table *t = mk_table(40, 30, 3);
    /* brute force: all distances from row 7, sorted */
    double d[40];
    size_t m = 0;
    for (size_t r = 0; r < 40; r++)
        if (r != 7)
            d[m++] = mia_distance(t, 7, t, r);
    for (size_t a = 0; a < m; a++)
        for (size_t b = a + 1; b < m; b++)
            if (d[b] < d[a]) {
                double x = d[a];
                d[a] = d[b];
                d[b] = x;
            }
    double want = (d[0] + d[1] + d[2] + d[3] + d[4]) / 5;
    cr_assert(fabs(iso_naive(t, 7, t, 7) - want) <= 1e-12, "%.17g vs %.17g", iso_naive(t, 7, t, 7), want);
    tbl_free(t);
}

Test(isolation, refuses_more_picks_than_candidates)
{
    table *t = mk_table(10, 5, 1);
    size_t got[11];
    double iso[11];
    pa_err e;
    cr_assert_eq(iso_select(t, t, NULL, 11, 1, got, iso, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "11 records wanted of 10"), "%s", e.msg);
    tbl_free(t);
}
