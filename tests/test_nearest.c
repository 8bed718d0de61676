/* test_nearest.c — the exact nearest-record index (attacks/nearest.c) against
 * its brute-force reference and mia_distance, on tables with many ties
 * (integer values, few codes) and on column subsets.
 *
 * m = reference rows, n = query rows. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "attacks/mia.h"
#include "attacks/nearest.h"
#include "core/rng.h"
#include "core/table.h"

TestSuite(nearest);

/* 3 categorical columns (2, 3, 4 codes) and 3 numeric: one with integer
 * values in [0, 10] (ties), two continuous in [0, 100] and [-5, 5]. */
static const char *SCHEMA = "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                            "{\"name\": \"a\", \"type\": \"categorical\", \"size\": 2},"
                            "{\"name\": \"x\", \"type\": \"numeric\", \"min\": 0, \"max\": 10, \"integer\": true},"
                            "{\"name\": \"b\", \"type\": \"categorical\", \"size\": 3},"
                            "{\"name\": \"y\", \"type\": \"numeric\", \"min\": 0, \"max\": 100},"
                            "{\"name\": \"c\", \"type\": \"categorical\", \"size\": 4},"
                            "{\"name\": \"z\", \"type\": \"numeric\", \"min\": -5, \"max\": 5}]}";

static table *random_table(const schema *s, gsl_rng *r, size_t n, int coarse)
{
    table *t = tbl_new(s, n);
    cr_assert_not_null(t);
    for (size_t j = 0; j < s->d; j++)
        for (size_t i = 0; i < n; i++) {
            if (t->cat[j]) {
                t->cat[j][i] = (int32_t)rng_below(r, s->cols[j].size);
            } else {
                double lo = s->cols[j].lo, hi = s->cols[j].hi;
                /* coarse: integers only, so many rows tie */
                t->num[j][i] = s->cols[j].integer || coarse ? lo + (double)rng_below(r, (uint64_t)(hi - lo) + 1)
                                                            : lo + (hi - lo) * gsl_rng_uniform(r);
            }
        }
    return t;
}

static void check_against_naive(const table *ref, const table *q, const int *cols, size_t ncols)
{
    near_index *ix = NULL;
    pa_err e = {0};
    cr_assert_eq(near_build(ref, cols, ncols, &ix, &e), PA_OK, "%s", e.msg);
    enum { CAP = 8 };
    for (size_t i = 0; i < q->n; i++) {
        size_t t1[CAP], t2[CAP], n1 = 0, n2 = 0;
        double d1 = near_query(ix, q, i, t1, CAP, &n1);
        double d2 = near_query_naive(ix, q, i, t2, CAP, &n2);
        cr_assert_eq(d1, d2, "query %zu: index %.17g, naive %.17g", i, d1, d2);
        cr_assert_eq(n1, n2, "query %zu: %zu ties by the index, %zu by the scan", i, n1, n2);
        for (size_t k = 0; k < (n1 < CAP ? n1 : CAP); k++)
            cr_assert_eq(t1[k], t2[k], "query %zu, tie %zu: row %zu against %zu", i, k, t1[k], t2[k]);
        if (!cols) /* over every column the distance is mia_distance's */
            cr_assert_eq(near_distance(ix, q, i, t1[0]), mia_distance(q, i, ref, t1[0]));
    }
    near_free(ix);
}

Test(nearest, finds_the_brute_force_minimum_and_every_tie_on_all_columns)
{
    schema *s;
    pa_err e = {0};
    cr_assert_eq(schema_parse(SCHEMA, "test", &s, &e), PA_OK, "%s", e.msg);
    gsl_rng *r = rng_stream(7, 0);
    for (int coarse = 0; coarse < 2; coarse++) {
        table *ref = random_table(s, r, 700, coarse), *q = random_table(s, r, 300, coarse);
        check_against_naive(ref, q, NULL, 0);
        check_against_naive(ref, ref, NULL, 0); /* every query has a row at distance 0 */
        tbl_free(ref);
        tbl_free(q);
    }
    gsl_rng_free(r);
    schema_free(s);
}

Test(nearest, finds_the_brute_force_minimum_on_column_subsets)
{
    schema *s;
    pa_err e = {0};
    cr_assert_eq(schema_parse(SCHEMA, "test", &s, &e), PA_OK, "%s", e.msg);
    gsl_rng *r = rng_stream(8, 0);
    table *ref = random_table(s, r, 500, 1), *q = random_table(s, r, 200, 1);
    static const int only_cat[] = {0, 2, 4}, only_num[] = {1, 3, 5}, mixed[] = {1, 2}, one[] = {3};
    check_against_naive(ref, q, only_cat, 3); /* no numeric column: groups tie as a whole */
    check_against_naive(ref, q, only_num, 3); /* one group */
    check_against_naive(ref, q, mixed, 2);
    check_against_naive(ref, q, one, 1);
    tbl_free(ref);
    tbl_free(q);
    gsl_rng_free(r);
    schema_free(s);
}

Test(nearest, counts_ties_beyond_the_buffer_and_keeps_the_smallest_rows)
{
    schema *s;
    pa_err e = {0};
    cr_assert_eq(schema_parse(SCHEMA, "test", &s, &e), PA_OK, "%s", e.msg);
    table *ref = tbl_new(s, 50);
    for (size_t i = 0; i < 50; i++) { /* rows 10..49 equal; rows 0..9 differ in column a */
        ref->cat[0][i] = i < 10;
        ref->num[1][i] = 3;
        ref->num[3][i] = 50;
        ref->num[5][i] = 0;
    }
    near_index *ix = NULL;
    cr_assert_eq(near_build(ref, NULL, 0, &ix, &e), PA_OK, "%s", e.msg);
    size_t ties[4], nt = 0;
    double d = near_query(ix, ref, 20, ties, 4, &nt);
    cr_assert_eq(d, 0.0);
    cr_assert_eq(nt, 40u, "ties %zu", nt);
    for (size_t k = 0; k < 4; k++)
        cr_assert_eq(ties[k], 10 + k);
    cr_assert_eq(near_query(ix, ref, 3, NULL, 0, &nt), 0.0);
    cr_assert_eq(nt, 10u);
    near_free(ix);
    static const int bad[] = {2, 1};
    cr_assert_eq(near_build(ref, bad, 2, &ix, &e), PA_EINPUT);
    cr_assert_null(ix);
    tbl_free(ref);
    schema_free(s);
}
