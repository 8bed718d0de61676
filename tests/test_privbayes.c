/* test_privbayes.c — the PrivBayes generator (generators/privbayes.c).
 *
 * n = training records, m = synthetic records, d = columns.
 */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "core/rng.h"
#include "generators/gen.h"

extern const gen_vtable gen_privbayes;

/* Planted dependency: x ~ U{0..3}; y = x with probability 0.9, otherwise
 * uniform on 0..3; u ~ U{0..2} and v ~ U{0..1} independent of everything.
 * Columns in the order u, y, v, x. */
static table *planted_table(size_t n, uint64_t seed)
{
    schema *s = schema_new(4);
    const char *names[] = {"u", "y", "v", "x"};
    size_t card[] = {3, 4, 2, 4};
    for (size_t j = 0; j < 4; j++) {
        s->cols[j].name = pa_strdup(names[j]);
        s->cols[j].kind = COL_CAT;
        s->cols[j].size = card[j];
    }
    table *t = tbl_new(s, n);
    schema_free(s);
    gsl_rng *r = rng_stream(seed, 2);
    for (size_t i = 0; i < n; i++) {
        int32_t x = (int32_t)rng_below(r, 4);
        t->cat[3][i] = x;
        t->cat[1][i] = gsl_rng_uniform(r) < 0.9 ? x : (int32_t)rng_below(r, 4);
        t->cat[0][i] = (int32_t)rng_below(r, 3);
        t->cat[2][i] = (int32_t)rng_below(r, 2);
    }
    gsl_rng_free(r);
    return t;
}

static table *fit_sample(const table *train, const gen_config *cfg, uint64_t seed, size_t m, gen_privacy *priv)
{
    gsl_rng *r = rng_stream(seed, 7);
    void *st = NULL;
    table *out = NULL;
    pa_err err = {0};
    cr_assert_eq(gen_privbayes.fit(train, cfg, r, &st, &err), PA_OK, "fit: %s", err.msg);
    cr_assert_eq(gen_privbayes.sample(st, m, r, &out, &err), PA_OK, "sample: %s", err.msg);
    if (priv)
        gen_privbayes.privacy(st, priv);
    gen_privbayes.free_state(st);
    gsl_rng_free(r);
    return out;
}

/* share of records with y == x */
static double agree(const table *t)
{
    size_t a = 0;
    for (size_t i = 0; i < t->n; i++)
        a += t->cat[1][i] == t->cat[3][i];
    return (double)a / (double)t->n;
}

TestSuite(privbayes);

Test(privbayes, spends_exactly_the_pure_epsilon_it_was_asked_for)
{
    table *t = planted_table(300, 1);
    gen_config cfg = {.epsilon = 0.7, .delta = 1e-5};
    gen_privacy priv;
    table *s = fit_sample(t, &cfg, 2, 50, &priv);
    cr_assert_eq(priv.epsilon, 0.7);
    cr_assert_eq(priv.delta, 0.0);
    cr_assert(isnan(priv.rho));
    cr_assert_str_eq(priv.accountant, "pure");
    tbl_free(s);
    tbl_free(t);
}

Test(privbayes, gives_the_same_table_for_the_same_seed)
{
    table *t = planted_table(1000, 3);
    gen_config cfg = {.epsilon = 1};
    table *a = fit_sample(t, &cfg, 5, 400, NULL), *b = fit_sample(t, &cfg, 5, 400, NULL),
          *c = fit_sample(t, &cfg, 6, 400, NULL);
    cr_assert_eq(tbl_hash(a), tbl_hash(b));
    cr_assert_neq(tbl_hash(a), tbl_hash(c), "a different seed should give a different table");
    tbl_free(a);
    tbl_free(b);
    tbl_free(c);
    tbl_free(t);
}

/* strings inline: Criterion runs each case in a new process */
typedef struct bad_case {
    char json[64];
    double eps;
    char needle[16];
} bad_case;

static bad_case bad_cases[] = {
    {.json = "{\"degree\": 2}", .eps = 1, .needle = "degree"},
    {.json = "{\"k\": 9}", .eps = 1, .needle = "\"k\""},
    {.json = "{\"k\": 1.5}", .eps = 1, .needle = "\"k\""},
    {.json = "{\"theta\": -1}", .eps = 1, .needle = "theta"},
    {.json = "{\"bins\": true}", .eps = 1, .needle = "bins"},
    {.json = "{}", .eps = 0, .needle = "epsilon"},
};

ParameterizedTestParameters(privbayes, rejects_bad_parameters_naming_the_key)
{
    return cr_make_param_array(bad_case, bad_cases, sizeof bad_cases / sizeof bad_cases[0]);
}

ParameterizedTest(bad_case *bc, privbayes, rejects_bad_parameters_naming_the_key)
{
    table *t = planted_table(50, 1);
    cJSON *p = cJSON_Parse(bc->json);
    gen_config cfg = {.epsilon = bc->eps, .params = p};
    pa_err err = {0};
    cr_assert_eq(gen_privbayes.check(t->s, &cfg, &err), PA_EINPUT, "%s", bc->json);
    cr_assert(strstr(err.msg, bc->needle) != NULL, "message '%s' should name %s", err.msg, bc->needle);
    void *st = (void *)1;
    gsl_rng *r = rng_stream(1, 1);
    cr_assert_eq(gen_privbayes.fit(t, &cfg, r, &st, &err), PA_EINPUT);
    cr_assert_null(st);
    gsl_rng_free(r);
    cJSON_Delete(p);
    tbl_free(t);
}

/* Non-private, k = 1: the network must link y and x (the only dependent pair:
 * whichever comes first is the other's parent), so P(y == x) in the sample is
 * that of the training table; the synthetic share is a binomial proportion
 * over m records around the training share q ≈ 0.925: 5 sd = 5 sqrt(q(1−q)/m). */
Test(privbayes, recovers_a_planted_dependency_without_noise)
{
    table *t = planted_table(10000, 4);
    cJSON *p = cJSON_Parse("{\"k\": 1}");
    size_t m = 10000;
    for (uint64_t seed = 1; seed <= 4; seed++) { /* several first attributes */
        gen_config cfg = {.epsilon = INFINITY, .params = p};
        gen_privacy priv;
        table *s = fit_sample(t, &cfg, seed, m, &priv);
        double q = agree(t), qs = agree(s), sd = sqrt(q * (1 - q) / (double)m);
        cr_assert(fabs(qs - q) < 5 * sd, "seed %llu: synthetic P(y = x) %.4f vs real %.4f (5 sd %.4f)",
                  (unsigned long long)seed, qs, q, 5 * sd);
        cr_assert(isinf(priv.epsilon));
        cr_assert_str_eq(priv.accountant, "none");
        tbl_free(s);
    }
    cJSON_Delete(p);
    tbl_free(t);
}

/* Private, ε = 2 on 10,000 records: the MI of (x, y) is ~1.4 bits against
 * ~0.002 for independent pairs, far beyond the exponential mechanism's scale
 * (sensitivity ~2.7e-3 bits, ε1/(d−1) = 1/3), and the Laplace noise (scale
 * 2·4/1 = 8 on counts of ~600) barely moves the conditionals: P(y = x) stays
 * near 0.925, far above the 0.25 of an independent pair. */
Test(privbayes, recovers_a_planted_dependency_at_epsilon_2)
{
    table *t = planted_table(10000, 5);
    const char *params[] = {"{}", "{\"theta\": 0}", "{\"theta\": 0, \"k\": 1}"}; /* θ = 4, fixed k = 2, k = 1 */
    for (size_t q = 0; q < 3; q++) {
        cJSON *p = cJSON_Parse(params[q]);
        gen_config cfg = {.epsilon = 2, .params = p};
        table *s = fit_sample(t, &cfg, 9, 10000, NULL);
        cr_assert(agree(s) > 0.85, "%s: P(y = x) = %.4f", params[q], agree(s));
        tbl_free(s);
        cJSON_Delete(p);
    }
    tbl_free(t);
}

/* θ-usefulness: with n ε2/(2dθ) = 4000·0.5/(2·4·100) = 2.5 cells allowed (the
 * smallest table, v given u, has 6), every
 * parent set is too large and each attribute is sampled from its own noisy
 * marginal, so the dependency is lost: P(y = x) ≈ 0.25 (5 sd for m = 4000:
 * 0.034, plus the noise of the marginals, bound 0.1 in all). */
Test(privbayes, drops_parents_that_theta_usefulness_forbids)
{
    table *t = planted_table(4000, 6);
    cJSON *p = cJSON_Parse("{\"theta\": 100}");
    gen_config cfg = {.epsilon = 1, .params = p};
    table *s = fit_sample(t, &cfg, 3, 4000, NULL);
    cr_assert(fabs(agree(s) - 0.25) < 0.1, "P(y = x) = %.4f", agree(s));
    tbl_free(s);
    cJSON_Delete(p);
    tbl_free(t);
}

/* The Laplace noise has the scale the ε implies. One binary column
 * (d = 1, no structure step), n = 1000 split 500/500, ε = 0.2: the counts
 * get Laplace noise of scale b = 2d/ε2 = 2/0.1 = 20 (variance 2b² = 800;
 * at 25 standard deviations from 0, clipping never happens), so the sampled
 * share f of code 0 has variance 2·2b²/(4n²) + 1/(4m) (noise, then sampling
 * of m records). Over 200 seeds the ratio of the sample variance to this
 * has mean 1 and standard deviation sqrt(2/199 + κ/200) = 0.13, κ = 1.5 the
 * excess kurtosis of a difference of two Laplace variables (the noise
 * dominates); we accept ±3.5 sd, [0.54, 1.46]. A factor 2 in the scale would
 * give 4 or 0.25. */
Test(privbayes, adds_the_laplace_noise_its_epsilon_implies)
{
    schema *sc = schema_new(1);
    sc->cols[0].kind = COL_CAT;
    sc->cols[0].size = 2;
    size_t n = 1000, m = 20000, runs = 200;
    table *t = tbl_new(sc, n);
    schema_free(sc);
    for (size_t i = 0; i < n; i++)
        t->cat[0][i] = i % 2;
    gen_config cfg = {.epsilon = 0.2};
    double b = 20, want = 4 * b * b / (4.0 * (double)n * (double)n) + 0.25 / (double)m;
    double s = 0, ss = 0;
    for (size_t q = 0; q < runs; q++) {
        table *y = fit_sample(t, &cfg, 1000 + q, m, NULL);
        double f = 0;
        for (size_t i = 0; i < m; i++)
            f += y->cat[0][i] == 0;
        f /= (double)m;
        s += f;
        ss += f * f;
        tbl_free(y);
    }
    double var = (ss - s * s / (double)runs) / (double)(runs - 1);
    cr_assert(var / want > 0.54 && var / want < 1.46, "variance ratio %.3f (var %.3g, expected %.3g)", var / want, var,
              want);
    tbl_free(t);
}
