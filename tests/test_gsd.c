/* test_gsd.c — the Private-GSD generator (generators/gsd.c).
 *
 * n = training records, m = synthetic records, N' = synthetic set size.
 */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <gsl/gsl_randist.h>

#include "audit/acct.h"
#include "audit/utility.h"
#include "core/rng.h"
#include "generators/gen.h"
#include "generators/gsd.h"
#include "tests/testutil.h"

extern const gen_vtable gen_gsd;

static void set_cat(schema *s, size_t j, size_t size)
{
    s->cols[j].kind = COL_CAT;
    s->cols[j].size = size;
}

static int32_t draw(gsl_rng *r, const double *p, size_t k)
{
    double u = gsl_rng_uniform(r), c = 0;
    for (size_t i = 0; i + 1 < k; i++) {
        c += p[i];
        if (u < c)
            return (int32_t)i;
    }
    return (int32_t)(k - 1);
}

/* The tree table of test_mst/test_aim: columns c, a, b, e (cards 2, 3, 4, 3). */
static table *tree_table(size_t n, uint64_t seed)
{
    schema *s = schema_new(4);
    size_t card[] = {2, 3, 4, 3};
    const char *names[] = {"c", "a", "b", "e"};
    for (size_t j = 0; j < 4; j++) {
        free(s->cols[j].name);
        s->cols[j].name = pa_strdup(names[j]);
        set_cat(s, j, card[j]);
    }
    table *t = tbl_new(s, n);
    schema_free(s);
    gsl_rng *r = rng_stream(seed, 1);
    static const double pa[3] = {0.5, 0.3, 0.2};
    static const double pb[3][4] = {{0.7, 0.1, 0.1, 0.1}, {0.1, 0.6, 0.2, 0.1}, {0.05, 0.05, 0.1, 0.8}};
    static const double pc[4][2] = {{0.9, 0.1}, {0.2, 0.8}, {0.5, 0.5}, {0.1, 0.9}};
    static const double pe[4][3] = {{0.8, 0.1, 0.1}, {0.1, 0.8, 0.1}, {0.3, 0.3, 0.4}, {0.1, 0.1, 0.8}};
    for (size_t i = 0; i < n; i++) {
        int32_t a = draw(r, pa, 3), b = draw(r, pb[a], 4);
        t->cat[1][i] = a;
        t->cat[2][i] = b;
        t->cat[0][i] = draw(r, pc[b], 2);
        t->cat[3][i] = draw(r, pe[b], 3);
    }
    gsl_rng_free(r);
    return t;
}

static table *fit_sample(const table *train, const gen_config *cfg, uint64_t seed, size_t m, gen_privacy *priv,
                         void **keep)
{
    gsl_rng *r = rng_stream(seed, 7);
    void *st = NULL;
    table *out = NULL;
    pa_err err = {0};
    cr_assert_eq(gen_gsd.fit(train, cfg, r, &st, &err), PA_OK, "fit: %s", err.msg);
    cr_assert_eq(gen_gsd.sample(st, m, r, &out, &err), PA_OK, "sample: %s", err.msg);
    if (priv)
        gen_gsd.privacy(st, priv);
    if (keep)
        *keep = st;
    else
        gen_gsd.free_state(st);
    gsl_rng_free(r);
    return out;
}

TestSuite(gsd, .timeout = 120);

/* The Q = C(4, 2) = 6 pair marginals are measured as normalised answers with
 * L2 sensitivity √2/n under replace-one, so ρ = Q·(√2/n)²/(2σ²) must equal
 * the claim (1e-12), and `privaudit account` on Q steps of a Gaussian with
 * multiplier σ·n/√2 must give the claimed ε (never less; the order grid adds
 * < 1e-4 at ε = 1, δ = 1e-9). The claim is for replace-one neighbours. */
Test(gsd, spends_its_zcdp_budget_and_privaudit_account_agrees)
{
    table *t = tree_table(1000, 1);
    gen_config cfg = {.epsilon = 1.0, .delta = 1e-9};
    gen_privacy priv;
    void *st;
    table *s = fit_sample(t, &cfg, 3, 100, &priv, &st);
    cr_assert(fabs(priv.rho - 0.014973) < 5e-7, "rho = %.17g", priv.rho); /* private-pgm cdp_rho(1, 1e-9) */
    cr_assert(fabs(priv.epsilon - 1.0) < 1e-9);
    cr_assert_str_eq(priv.accountant, "zcdp");
    cr_assert_eq(priv.replace_one, 1);
    double sigma;
    size_t Q, n;
    gsd_noise(st, &sigma, &Q, &n);
    cr_assert_eq(Q, 6);
    cr_assert_eq(n, 1000);
    double sens = sqrt(2.0) / (double)n, rho = (double)Q * sens * sens / (2 * sigma * sigma);
    cr_assert(fabs(rho - priv.rho) <= 1e-12 * priv.rho, "rho from sigma %.17g, claimed %.17g", rho, priv.rho);
    char sig[64], steps[16];
    snprintf(sig, sizeof sig, "%.17g", sigma / sens);
    snprintf(steps, sizeof steps, "%zu", Q);
    char *dir = tu_tmpdir();
    const char *args[] = {"account", "--sigma", sig, "--q", "1", "--steps", steps, "--delta", "1e-9", "--json", NULL};
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cJSON *j = cJSON_Parse(r.out);
    cr_assert_not_null(j, "%s", r.out);
    double eps = cJSON_GetObjectItem(j, "epsilon")->valuedouble;
    cr_assert(eps >= priv.epsilon - 1e-9 && eps - priv.epsilon < 1e-4, "account %.9f, gsd %.9f", eps, priv.epsilon);
    cJSON_Delete(j);
    tu_result_free(&r);
    tu_rmtree(dir);
    free(dir);
    gen_gsd.free_state(st);
    tbl_free(s);
    tbl_free(t);
}

/* The noise really added is the σ claimed. One binary column split 500/500,
 * k = 1: the answers y0 = ½ + e0, y1 = ½ + e1 (e ~ N(0, σ²), σ = sqrt(1/ρ)/n
 * = 8.2e-3, no clipping at 60 sd) are matched by the search at its optimum
 * f0 = (1 + y0 − y1)/2 up to the grid 1/N' (N' = n: rounding variance
 * ≤ 1/(12 n²), 4% of σ²/2), so f0 has variance σ²/2 + ≤ 1/(12n²). Over 200
 * seeds the sample variance over σ²/2 is χ²₁₉₉/199 (0.05%–99.95%:
 * 0.703–1.363, scipy.stats.chi2.ppf) times at most 1.04; the bounds below
 * allow that. Twice the noise variance, or none, fails. */
Test(gsd, adds_the_gaussian_noise_its_rho_implies)
{
    schema *sc = schema_new(1);
    free(sc->cols[0].name);
    sc->cols[0].name = pa_strdup("x");
    set_cat(sc, 0, 2);
    size_t n = 1000, runs = 200;
    table *t = tbl_new(sc, n);
    schema_free(sc);
    for (size_t i = 0; i < n; i++)
        t->cat[0][i] = i % 2;
    cJSON *p = cJSON_Parse("{\"k\": 1}");
    gen_config cfg = {.epsilon = 1, .delta = 1e-9, .params = p};
    double rho = acct_zcdp_rho(1, 1e-9), sigma = sqrt(1.0 / rho) / (double)n, want = sigma * sigma / 2;
    double s = 0, ss = 0;
    for (size_t q = 0; q < runs; q++) {
        table *y = fit_sample(t, &cfg, 1000 + q, n, NULL, NULL);
        double f = 0;
        for (size_t i = 0; i < n; i++)
            f += y->cat[0][i] == 0;
        f /= (double)n;
        s += f;
        ss += f * f;
        tbl_free(y);
    }
    double var = (ss - s * s / (double)runs) / (double)(runs - 1);
    cr_assert(var / want > 0.703 && var / want < 1.363 * 1.04, "variance ratio %.3f", var / want);
    cJSON_Delete(p);
    tbl_free(t);
}

Test(gsd, reports_no_privacy_for_infinite_epsilon)
{
    table *t = tree_table(200, 1);
    gen_config cfg = {.epsilon = INFINITY};
    gen_privacy priv;
    table *s = fit_sample(t, &cfg, 3, 10, &priv, NULL);
    cr_assert(isinf(priv.epsilon) && isinf(priv.rho));
    cr_assert_str_eq(priv.accountant, "none");
    tbl_free(s);
    tbl_free(t);
}

Test(gsd, gives_the_same_table_for_the_same_seed)
{
    table *t = tree_table(500, 2);
    gen_config cfg = {.epsilon = 0.5, .delta = 1e-6};
    table *a = fit_sample(t, &cfg, 11, 300, NULL, NULL), *b = fit_sample(t, &cfg, 11, 300, NULL, NULL),
          *c = fit_sample(t, &cfg, 12, 300, NULL, NULL);
    cr_assert_eq(tbl_hash(a), tbl_hash(b));
    cr_assert_neq(tbl_hash(a), tbl_hash(c));
    tbl_free(a);
    tbl_free(b);
    tbl_free(c);
    tbl_free(t);
}

typedef struct bad_case {
    char json[64];
    double eps, delta;
    char needle[24];
} bad_case;

static bad_case bad_cases[] = {
    {.json = "{\"bogus\": 1}", .eps = 1, .delta = 1e-9, .needle = "bogus"},
    {.json = "{\"k\": 4}", .eps = 1, .delta = 1e-9, .needle = "\"k\""},
    {.json = "{\"k\": 0}", .eps = 1, .delta = 1e-9, .needle = "\"k\""},
    {.json = "{\"rows\": -1}", .eps = 1, .delta = 1e-9, .needle = "rows"},
    {.json = "{\"population\": 0}", .eps = 1, .delta = 1e-9, .needle = "population"},
    {.json = "{\"max_generations\": 1.5}", .eps = 1, .delta = 1e-9, .needle = "max_generations"},
    {.json = "{\"stop\": 2}", .eps = 1, .delta = 1e-9, .needle = "stop"},
    {.json = "{\"bins\": 0}", .eps = 1, .delta = 1e-9, .needle = "bins"},
    {.json = "{}", .eps = -1, .delta = 1e-9, .needle = "epsilon"},
    {.json = "{}", .eps = 1, .delta = 0, .needle = "delta"},
};

ParameterizedTestParameters(gsd, rejects_bad_parameters_naming_the_key)
{
    return cr_make_param_array(bad_case, bad_cases, sizeof bad_cases / sizeof bad_cases[0]);
}

ParameterizedTest(bad_case *bc, gsd, rejects_bad_parameters_naming_the_key)
{
    table *t = tree_table(50, 1);
    cJSON *p = cJSON_Parse(bc->json);
    gen_config cfg = {.epsilon = bc->eps, .delta = bc->delta, .params = p};
    pa_err err = {0};
    cr_assert_eq(gen_gsd.check(t->s, &cfg, &err), PA_EINPUT, "%s", bc->json);
    cr_assert(strstr(err.msg, bc->needle) != NULL, "message '%s' should name '%s'", err.msg, bc->needle);
    void *st = (void *)1;
    gsl_rng *r = rng_stream(1, 1);
    cr_assert_eq(gen_gsd.fit(t, &cfg, r, &st, &err), PA_EINPUT);
    cr_assert(st == NULL);
    gsl_rng_free(r);
    cJSON_Delete(p);
    tbl_free(t);
}

/* The search works: without noise on the tree table its synthetic set's
 * pair marginals approach the real ones — mean 2-way TVD under 0.02 (the
 * uniform start is at 0.3), a tenth of the independent model's — and the
 * fitness it reports is that of the set. */
Test(gsd, matches_the_pair_marginals_without_noise)
{
    table *t = tree_table(3000, 6);
    gen_config cfg = {.epsilon = INFINITY};
    void *st;
    table *s = fit_sample(t, &cfg, 10, 3000, NULL, &st);
    size_t gens;
    double fit;
    gsd_info(st, &gens, &fit);
    table *ind = tree_table(3000, 6);
    gsl_rng *r = rng_stream(8, 8);
    for (size_t j = 0; j < ind->d; j++)
        gsl_ran_shuffle(r, ind->cat[j], ind->n, sizeof *ind->cat[j]);
    gsl_rng_free(r);
    double mean, mx, mean_ind;
    pa_err err = {0};
    cr_assert_eq(util_tvd(t, s, 2, 0, 0, 1, &mean, &mx, &err), PA_OK, "%s", err.msg);
    cr_assert_eq(util_tvd(t, ind, 2, 0, 0, 1, &mean_ind, &mx, &err), PA_OK, "%s", err.msg);
    cr_assert(mean < 0.02 && mean < 0.1 * mean_ind, "mean 2-way TVD %.4f, independent %.4f (%zu generations)", mean,
              mean_ind, gens);
    /* m = N': a permutation of the set, so its squared error is the fitness */
    double f2 = 0;
    for (size_t a = 0; a < 4; a++)
        for (size_t b = a + 1; b < 4; b++) {
            size_t ca = t->s->cols[a].size, cb = t->s->cols[b].size;
            double h[16] = {0};
            for (size_t i = 0; i < t->n; i++)
                h[(size_t)t->cat[a][i] * cb + (size_t)t->cat[b][i]] -= 1.0 / (double)t->n;
            for (size_t i = 0; i < s->n; i++)
                h[(size_t)s->cat[a][i] * cb + (size_t)s->cat[b][i]] += 1.0 / (double)s->n;
            for (size_t c = 0; c < ca * cb; c++)
                f2 += h[c] * h[c];
        }
    cr_assert(fabs(f2 - fit) < 1e-12, "fitness %.6g, recomputed %.6g", fit, f2);
    gen_gsd.free_state(st);
    tbl_free(ind);
    tbl_free(s);
    tbl_free(t);
}

/* m ≤ N' samples without replacement: two draws of m = N' rows are
 * permutations of the same set (equal one-way counts, different order);
 * m > N' draws with replacement and gives m rows. */
Test(gsd, samples_without_replacement_up_to_the_set_size)
{
    table *t = tree_table(400, 3);
    cJSON *p = cJSON_Parse("{\"rows\": 200}");
    gen_config cfg = {.epsilon = 2, .delta = 1e-6, .params = p};
    gsl_rng *r = rng_stream(4, 4);
    void *st = NULL;
    pa_err err = {0};
    cr_assert_eq(gen_gsd.fit(t, &cfg, r, &st, &err), PA_OK, "%s", err.msg);
    table *a, *b, *c;
    cr_assert_eq(gen_gsd.sample(st, 200, r, &a, &err), PA_OK);
    cr_assert_eq(gen_gsd.sample(st, 200, r, &b, &err), PA_OK);
    cr_assert_eq(gen_gsd.sample(st, 1000, r, &c, &err), PA_OK);
    cr_assert_eq(c->n, 1000);
    for (size_t j = 0; j < 4; j++) {
        size_t ha[4] = {0}, hb[4] = {0};
        for (size_t i = 0; i < 200; i++) {
            ha[a->cat[j][i]]++;
            hb[b->cat[j][i]]++;
        }
        cr_assert(memcmp(ha, hb, sizeof ha) == 0, "column %zu: counts differ between two draws of the whole set", j);
    }
    cr_assert_neq(tbl_hash(a), tbl_hash(b), "two draws should order the set differently");
    tbl_free(a);
    tbl_free(b);
    tbl_free(c);
    gen_gsd.free_state(st);
    gsl_rng_free(r);
    cJSON_Delete(p);
    tbl_free(t);
}
