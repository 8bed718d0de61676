/* test_rng.c — reproducible streams. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "core/rng.h"
#include "core/rng_discrete.h"

TestSuite(rng);

Test(rng, a_stream_is_a_function_of_seed_and_id)
{
    gsl_rng *a = rng_stream(42, 7), *b = rng_stream(42, 7), *c = rng_stream(42, 8), *d = rng_stream(43, 7);
    int same_c = 1, same_d = 1;
    for (int k = 0; k < 100; k++) {
        unsigned long x = gsl_rng_get(a), y = gsl_rng_get(b);
        cr_assert_eq(x, y);
        same_c &= x == gsl_rng_get(c);
        same_d &= x == gsl_rng_get(d);
    }
    cr_assert_not(same_c);
    cr_assert_not(same_d);
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
    gsl_rng_free(d);
}

Test(rng, xoshiro_matches_the_reference_sequence_of_its_authors)
{
    /* xoshiro256** from state {1, 2, 3, 4}: the first outputs 11520, 0,
     * 1509978240, 1215971899390074240 are the test vector of the Rust
     * rand_xoshiro crate (its xoshiro256starstar reference test), produced by
     * the authors' C code. get_double keeps the upper 53 bits of each word. */
    gsl_rng *r = rng_stream(0, 0);
    uint64_t *s = r->state;
    s[0] = 1, s[1] = 2, s[2] = 3, s[3] = 4;
    const uint64_t want[] = {11520ULL, 0ULL, 1509978240ULL, 1215971899390074240ULL};
    for (int k = 0; k < 4; k++) {
        double u = gsl_rng_uniform(r);
        cr_assert_eq((uint64_t)(u * 0x1.0p53), want[k] >> 11, "output %d", k);
    }
    gsl_rng_free(r);
}

Test(rng, below_is_uniform_by_a_chi_square_test)
{
    /* 10 cells, 100000 draws: the chi-square statistic has 9 degrees of freedom;
     * with a fixed seed it must stay below the 0.999 quantile (27.88). */
    gsl_rng *r = rng_stream(1, 1);
    double cnt[10] = {0};
    const int N = 100000;
    for (int i = 0; i < N; i++)
        cnt[rng_below(r, 10)] += 1;
    double chi = 0;
    for (int k = 0; k < 10; k++)
        chi += (cnt[k] - N / 10.0) * (cnt[k] - N / 10.0) / (N / 10.0);
    cr_assert_lt(chi, gsl_cdf_chisq_Pinv(0.999, 9));
    gsl_rng_free(r);
}

Test(rng, uniform_doubles_lie_in_the_unit_interval_with_the_right_mean)
{
    gsl_rng *r = rng_stream(3, 9);
    double s = 0;
    const int N = 200000;
    for (int i = 0; i < N; i++) {
        double u = gsl_rng_uniform(r);
        cr_assert(u >= 0 && u < 1);
        s += u;
    }
    /* mean of N uniforms: sd = sqrt(1/12/N); 5 sd bound */
    cr_assert_lt(fabs(s / N - 0.5), 5 * sqrt(1.0 / 12 / N));
    gsl_rng_free(r);
}

/* rng_discrete_fill against gsl_ran_discrete itself: the same stream, the
 * same table, every draw equal, for tables with point masses, zero weights,
 * one cell and many cells; then the generator's states must agree (each
 * draw took one uniform). */
/* cases by value, without pointers: Criterion may run each in a fresh process */
typedef struct {
    char name[40];
    size_t k;
    double w[9]; /* k <= 9; k = 257: 1/(1+k) with every 7th cell 0 */
} discrete_case;

static const double w_mixed[] = {5, 0, 0, 1e-9, 2, 0, 7, 7, 0.25};

static discrete_case discrete_cases[] = {
    {.name = "one cell", .k = 1, .w = {1}},
    {.name = "two cells", .k = 2, .w = {0.3, 0.7}},
    {.name = "zeros and a near-zero weight", .k = 9, .w = {5, 0, 0, 1e-9, 2, 0, 7, 7, 0.25}},
    {.name = "257 cells", .k = 257},
};

ParameterizedTestParameters(rng, discrete_fill_draws_what_gsl_ran_discrete_draws)
{
    return cr_make_param_array(discrete_case, discrete_cases, sizeof discrete_cases / sizeof *discrete_cases);
}

ParameterizedTest(discrete_case *c, rng, discrete_fill_draws_what_gsl_ran_discrete_draws)
{
    double w[257];
    for (size_t k = 0; k < c->k; k++)
        w[k] = c->k <= 9 ? c->w[k] : (k % 7 == 0) ? 0 : 1.0 / (1 + (double)k);
    enum { M = 200001 };
    int32_t *got = malloc(M * sizeof *got);
    cr_assert(got);
    gsl_ran_discrete_t *g = gsl_ran_discrete_preproc(c->k, w);
    cr_assert(g);
    gsl_rng *a = rng_stream(20261203, c->k), *b = rng_stream(20261203, c->k);
    rng_discrete_fill(a, g, got, M);
    long hist[257] = {0};
    for (size_t i = 0; i < M; i++) {
        size_t want = gsl_ran_discrete(b, g);
        cr_assert_eq((size_t)got[i], want, "%s, draw %zu: %d against GSL's %zu", c->name, i, got[i], want);
        hist[want]++;
    }
    cr_assert_eq(gsl_rng_get(a), gsl_rng_get(b), "%s: the states differ after the draws", c->name);
    for (size_t k = 0; k < c->k; k++)
        if (w[k] == 0)
            cr_assert_eq(hist[k], 0, "%s: a zero weight drawn", c->name);
    gsl_ran_discrete_free(g);
    gsl_rng_free(a);
    gsl_rng_free(b);    free(got);
}

/* A non-xoshiro generator goes through GSL's own path */
Test(rng, discrete_fill_with_another_generator_type_draws_what_gsl_draws)
{
    int32_t got[1000];
    gsl_ran_discrete_t *g = gsl_ran_discrete_preproc(9, w_mixed);
    gsl_rng *a = gsl_rng_alloc(gsl_rng_mt19937), *b = gsl_rng_alloc(gsl_rng_mt19937);
    cr_assert(g && a && b);
    rng_discrete_fill(a, g, got, 1000);
    for (size_t i = 0; i < 1000; i++)
        cr_assert_eq((size_t)got[i], gsl_ran_discrete(b, g));
    gsl_ran_discrete_free(g);
    gsl_rng_free(a);
    gsl_rng_free(b);
}
