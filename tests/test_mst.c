/* test_mst.c — the MST generator (generators/mst.c).
 *
 * n = training records, m = synthetic records, d = columns.
 */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>
#include <gsl/gsl_randist.h>
#include <criterion/parameterized.h>

#include "audit/acct.h"
#include "audit/utility.h"
#include "core/rng.h"
#include "generators/gen.h"
#include "generators/pgm.h"

extern const gen_vtable gen_mst;

/* A categorical column spec. */
static void set_cat(schema *s, size_t j, size_t size)
{
    s->cols[j].kind = COL_CAT;
    s->cols[j].size = size;
}

/* Draws from a small categorical distribution p[0..k-1]. */
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

/* A tree-structured table: a ~ (0.5, 0.3, 0.2); b | a; c | b; e | b
 * (cards 3, 4, 2, 3), stored in the column order c, a, b, e so that the
 * tree rooted at column 0 has an edge whose parent has the larger index. */
static table *tree_table(size_t n, uint64_t seed)
{
    schema *s = schema_new(4);
    const char *names[] = {"c", "a", "b", "e"};
    size_t card[] = {2, 3, 4, 3};
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

static table *fit_sample(const table *train, const gen_config *cfg, uint64_t seed, size_t m, gen_privacy *priv)
{
    gsl_rng *r = rng_stream(seed, 7);
    void *st = NULL;
    table *out = NULL;
    pa_err err = {0};
    int rc = gen_mst.fit(train, cfg, r, &st, &err);
    cr_assert_eq(rc, PA_OK, "fit: %s", err.msg);
    rc = gen_mst.sample(st, m, r, &out, &err);
    cr_assert_eq(rc, PA_OK, "sample: %s", err.msg);
    if (priv)
        gen_mst.privacy(st, priv);
    gen_mst.free_state(st);
    gsl_rng_free(r);
    return out;
}

/* Frequencies of the marginal over columns (i, j) (j == i: one-way). */
static void freq2(const table *t, size_t i, size_t j, double *f)
{
    size_t ci = t->s->cols[i].size, cj = i == j ? 1 : t->s->cols[j].size;
    memset(f, 0, ci * cj * sizeof *f);
    for (size_t q = 0; q < t->n; q++)
        f[(size_t)t->cat[i][q] * cj + (i == j ? 0 : (size_t)t->cat[j][q])] += 1.0 / (double)t->n;
}

TestSuite(mst);

Test(mst, spends_the_zcdp_budget_it_was_asked_for)
{
    table *t = tree_table(500, 1);
    gen_config cfg = {.epsilon = 1.0, .delta = 1e-9, .params = NULL};
    gen_privacy priv;
    table *s = fit_sample(t, &cfg, 3, 100, &priv);
    /* REF (REFERENCES.md, private-pgm cdp_rho): rho(1, 1e-9) = 0.014973 (5 digits) */
    cr_assert(fabs(priv.rho - 0.014973) < 5e-7, "rho = %.17g", priv.rho);
    /* the conversion back gives the ε asked for, within the bisection tolerance */
    cr_assert(fabs(priv.epsilon - 1.0) < 1e-9, "epsilon = %.17g", priv.epsilon);
    cr_assert_eq(priv.delta, 1e-9);
    cr_assert_str_eq(priv.accountant, "zcdp");
    tbl_free(s);
    tbl_free(t);
}

Test(mst, reports_no_privacy_for_infinite_epsilon)
{
    table *t = tree_table(200, 1);
    gen_config cfg = {.epsilon = INFINITY, .delta = 0};
    gen_privacy priv;
    table *s = fit_sample(t, &cfg, 3, 10, &priv);
    cr_assert(isinf(priv.epsilon) && isinf(priv.rho));
    cr_assert_str_eq(priv.accountant, "none");
    tbl_free(s);
    tbl_free(t);
}

Test(mst, gives_the_same_table_for_the_same_seed)
{
    table *t = tree_table(1000, 2);
    gen_config cfg = {.epsilon = 0.5, .delta = 1e-6};
    table *a = fit_sample(t, &cfg, 11, 300, NULL), *b = fit_sample(t, &cfg, 11, 300, NULL),
          *c = fit_sample(t, &cfg, 12, 300, NULL);
    cr_assert_eq(tbl_hash(a), tbl_hash(b));
    cr_assert_neq(tbl_hash(a), tbl_hash(c), "a different seed should give a different table");
    tbl_free(a);
    tbl_free(b);
    tbl_free(c);
    tbl_free(t);
}

/* strings held inline: Criterion runs each case in a new process, where
 * pointers into the parent's (ASLR-placed) data would dangle */
typedef struct bad_case {
    char json[64];      /* params */
    double eps, delta;
    char needle[16];    /* must appear in the message */
} bad_case;

static bad_case bad_cases[] = {
    {.json = "{\"bogus\": 1}", .eps = 1, .delta = 1e-9, .needle = "bogus"},
    {.json = "{\"bins\": 2.5}", .eps = 1, .delta = 1e-9, .needle = "bins"},
    {.json = "{\"bins\": 0}", .eps = 1, .delta = 1e-9, .needle = "bins"},
    {.json = "{\"rounds\": \"many\"}", .eps = 1, .delta = 1e-9, .needle = "rounds"},
    {.json = "{\"compress\": 0.5}", .eps = 1, .delta = 1e-9, .needle = "compress"},
    {.json = "{\"max_codes\": 1}", .eps = 1, .delta = 1e-9, .needle = "max_codes"},
    {.json = "{\"max_codes\": 3.5}", .eps = 1, .delta = 1e-9, .needle = "max_codes"},
    {.json = "{\"bug_full_rho_per_phase\": 0.5}", .eps = 1, .delta = 1e-9, .needle = "bug_full_rho"},
    {.json = "{\"bug_replace_one_sensitivity\": 2}", .eps = 1, .delta = 1e-9, .needle = "bug_replace_one"},
    {.json = "{\"bug_noise_divisor\": 0.5}", .eps = 1, .delta = 1e-9, .needle = "bug_noise_div"},
    {.json = "{}", .eps = -1, .delta = 1e-9, .needle = "epsilon"},
    {.json = "{}", .eps = 1, .delta = 0, .needle = "delta"},
};

ParameterizedTestParameters(mst, rejects_bad_parameters_naming_the_key)
{
    return cr_make_param_array(bad_case, bad_cases, sizeof bad_cases / sizeof bad_cases[0]);
}

ParameterizedTest(bad_case *bc, mst, rejects_bad_parameters_naming_the_key)
{
    table *t = tree_table(50, 1);
    cJSON *p = cJSON_Parse(bc->json);
    gen_config cfg = {.epsilon = bc->eps, .delta = bc->delta, .params = p};
    pa_err err = {0};
    cr_assert_eq(gen_mst.check(t->s, &cfg, &err), PA_EINPUT, "%s", bc->json);
    cr_assert(strstr(err.msg, bc->needle) != NULL, "message '%s' should name '%s'", err.msg, bc->needle);
    void *st = (void *)1;
    gsl_rng *r = rng_stream(1, 1);
    cr_assert_eq(gen_mst.fit(t, &cfg, r, &st, &err), PA_EINPUT);
    cr_assert(st == NULL);
    gsl_rng_free(r);
    cJSON_Delete(p);
    tbl_free(t);
}

/* With ε = ∞ the fitted tree holds the training table's exact one-way and
 * tree-edge marginals, and the true model is a tree, so every one- and
 * two-way marginal of a synthetic sample differs from the training table's
 * only by sampling error. Per cell, the synthetic frequency has standard
 * deviation sqrt(p(1−p)/m); for a non-edge pair the tree model's cell is a
 * smooth function of the training frequencies, adding error of order
 * sqrt(p(1−p)/n) (bound taken twice). 5 standard deviations per cell over
 * the 67 cells checked: P(any false failure) < 67 · 5.7e-7 < 1e-4. */
Test(mst, reproduces_the_marginals_of_a_tree_table_without_noise)
{
    size_t n = 20000, m = 20000;
    table *t = tree_table(n, 5);
    gen_config cfg = {.epsilon = INFINITY};
    table *s = fit_sample(t, &cfg, 9, m, NULL);
    double fr[16], fs[16];
    for (size_t i = 0; i < 4; i++)
        for (size_t j = i; j < 4; j++) {
            int edge = (i == 1 && j == 2) || (i == 0 && j == 2) || (i == 2 && j == 3) || i == j; /* a-b, c-b, b-e */
            freq2(t, i, j, fr);
            freq2(s, i, j, fs);
            size_t cells = t->s->cols[i].size * (i == j ? 1 : t->s->cols[j].size);
            for (size_t c = 0; c < cells; c++) {
                double p = fr[c], sd = sqrt(p * (1 - p) / (double)m);
                if (!edge)
                    sd += 2 * sqrt(p * (1 - p) / (double)n);
                double tol = 5 * sd + 1e-12;
                cr_assert(fabs(fs[c] - fr[c]) <= tol, "pair (%zu,%zu) cell %zu: synth %.5f real %.5f tol %.5f", i, j,
                          c, fs[c], fr[c], tol);
            }
        }
    tbl_free(s);
    tbl_free(t);
}

/* With a generous budget the noise is small against n: the synthetic
 * two-way marginals stay close to the real ones — mean 2-way TVD under a
 * quarter of that of the independent model (the columns of the training
 * table shuffled independently), which is what MST would give had it lost
 * the dependencies. */
Test(mst, keeps_the_dependencies_at_a_large_epsilon)
{
    table *t = tree_table(20000, 6);
    gen_config cfg = {.epsilon = 20, .delta = 1e-6};
    table *s = fit_sample(t, &cfg, 10, 20000, NULL);
    table *ind = tree_table(20000, 6);
    gsl_rng *r = rng_stream(8, 8);
    for (size_t j = 0; j < ind->d; j++)
        gsl_ran_shuffle(r, ind->cat[j], ind->n, sizeof *ind->cat[j]);
    gsl_rng_free(r);
    double mean, mx, mean_ind;
    pa_err err = {0};
    cr_assert_eq(util_tvd(t, s, 2, 0, 0, 1, &mean, &mx, &err), PA_OK, "%s", err.msg);
    cr_assert_eq(util_tvd(t, ind, 2, 0, 0, 1, &mean_ind, &mx, &err), PA_OK, "%s", err.msg);
    cr_assert(mean < 0.25 * mean_ind, "mean 2-way TVD %.4f, independent model %.4f", mean, mean_ind);
    tbl_free(ind);
    tbl_free(s);
    tbl_free(t);
}

/* Numeric columns: discretised over the schema bounds and sampled inside
 * the bin; an integer column comes back as integers within its bounds. */
Test(mst, samples_numeric_columns_within_their_bins_and_bounds)
{
    schema *sc = schema_new(2);
    sc->cols[0].kind = COL_NUM;
    sc->cols[0].lo = -1;
    sc->cols[0].hi = 1;
    sc->cols[1].kind = COL_NUM;
    sc->cols[1].lo = 0;
    sc->cols[1].hi = 1000;
    sc->cols[1].integer = 1;
    table *t = tbl_new(sc, 4000);
    schema_free(sc);
    gsl_rng *r = rng_stream(3, 3);
    for (size_t i = 0; i < t->n; i++) {
        double u = gsl_rng_uniform(r);
        t->num[0][i] = u < 0.5 ? -0.9 : 0.6; /* two bins of 4 (width 0.5): [-1,-0.5) and [0.5,1] */
        t->num[1][i] = u < 0.5 ? 10 : 990;
    }
    gsl_rng_free(r);
    cJSON *p = cJSON_Parse("{\"bins\": 4}");
    gen_config cfg = {.epsilon = INFINITY, .params = p};
    table *s = fit_sample(t, &cfg, 4, 2000, NULL);
    size_t low = 0;
    for (size_t i = 0; i < s->n; i++) {
        double x = s->num[0][i], y = s->num[1][i];
        cr_assert((x >= -1 && x < -0.5) || (x >= 0.5 && x <= 1), "x = %g outside the occupied bins", x);
        cr_assert(y == floor(y) && ((y >= 0 && y <= 250) || (y >= 750 && y <= 1000)), "y = %g", y);
        cr_assert((x < 0) == (y < 500), "x and y are fully dependent in the training data");
        low += x < 0;
    }
    /* low ~ Bin(2000, q) with q ≈ 0.5: 5 sd = 112 */
    cr_assert(fabs((double)low - 1000) < 112, "low = %zu", low);
    tbl_free(s);
    tbl_free(t);
    cJSON_Delete(p);
}

Test(mst, fits_a_single_column_with_the_whole_budget)
{
    schema *sc = schema_new(1);
    set_cat(sc, 0, 5);
    table *t = tbl_new(sc, 300);
    schema_free(sc);
    for (size_t i = 0; i < t->n; i++)
        t->cat[0][i] = (int32_t)(i % 5);
    gen_config cfg = {.epsilon = 2, .delta = 1e-6};
    gen_privacy priv;
    table *s = fit_sample(t, &cfg, 1, 50, &priv);
    cr_assert_eq(s->n, 50);
    cr_assert(fabs(priv.rho - acct_zcdp_rho(2, 1e-6)) < 1e-15);
    tbl_free(s);
    tbl_free(t);
}

/* The noise actually added matches the ρ reported. Two binary columns,
 * n = 1000, column 0 split 500/500; ε = 1, δ = 1e-9 → ρ = 0.014973. MST
 * measures column 0 with σ1² = 3d/(2ρ) = 3/ρ and the one chosen pair with
 * σ2² = 3(d−1)/(2ρ) = 1.5/ρ per cell; the pair's margin has per-cell variance
 * 2σ2², so the reconciled one-way cells have variance
 * v = 1/(1/σ1² + 1/(2σ2²)) = 1.5/ρ, independent across the two cells. The
 * share f of code 0 in a sample of m then has variance v/(2n²) + 1/(4m)
 * (noise, then sampling). Over 200 seeds the sample variance divided by this
 * is χ²₁₉₉/199, whose 0.05% and 99.95% quantiles are 0.703 and 1.363
 * (scipy.stats.chi2.ppf). Using ρ instead of ρ/3 per step would give 1/3 —
 * which is what the planted bug "bug_full_rho_per_phase" does: σ1² = 1/ρ,
 * σ2² = 0.5/ρ, v = 0.5/ρ, and the test checks that variance for it. */
static double noise_variance_ratio(const char *params, double v_times_rho)
{
    schema *sc = schema_new(2);
    set_cat(sc, 0, 2);
    set_cat(sc, 1, 2);
    size_t n = 1000, m = 20000, runs = 200;
    table *t = tbl_new(sc, n);
    schema_free(sc);
    for (size_t i = 0; i < n; i++) {
        t->cat[0][i] = i % 2;
        t->cat[1][i] = (i / 3) % 2;
    }
    cJSON *p = params ? cJSON_Parse(params) : NULL;
    gen_config cfg = {.epsilon = 1, .delta = 1e-9, .params = p};
    double rho = acct_zcdp_rho(1, 1e-9), v = v_times_rho / rho;
    double want = v / (2.0 * (double)n * (double)n) + 0.25 / (double)m;
    double s = 0, ss = 0;
    for (size_t q = 0; q < runs; q++) {
        gen_privacy priv;
        table *y = fit_sample(t, &cfg, 1000 + q, m, &priv);
        /* a planted bug still claims the budget it was asked for */
        cr_assert(fabs(priv.epsilon - 1.0) < 1e-9 && fabs(priv.rho - rho) < 1e-15);
        double f = 0;
        for (size_t i = 0; i < m; i++)
            f += y->cat[0][i] == 0;
        f /= (double)m;
        s += f;
        ss += f * f;
        tbl_free(y);
    }
    cJSON_Delete(p);
    tbl_free(t);
    double var = (ss - s * s / (double)runs) / (double)(runs - 1);
    return var / want;
}

Test(mst, adds_the_gaussian_noise_its_rho_implies)
{
    double r = noise_variance_ratio(NULL, 1.5);
    cr_assert(r > 0.703 && r < 1.363, "variance ratio %.3f", r);
}

Test(mst, planted_full_rho_per_phase_bug_adds_a_third_of_the_noise_variance_and_claims_the_same_rho)
{
    double r = noise_variance_ratio("{\"bug_full_rho_per_phase\": 1}", 0.5);
    cr_assert(r > 0.703 && r < 1.363, "variance ratio %.3f against v = 0.5/rho", r);
}

/* "bug_noise_divisor" = 2 divides σ1 and σ2 by 2: v = 1.5/(4ρ) = 0.375/ρ (the
 * correct v = 1.5/ρ would put the ratio near 2.3, outside the bounds). */
Test(mst, planted_noise_divisor_bug_adds_a_quarter_of_the_noise_variance_and_claims_the_same_rho)
{
    double r = noise_variance_ratio("{\"bug_noise_divisor\": 2}", 0.375);
    cr_assert(r > 0.703 && r < 1.363, "variance ratio %.3f against v = 0.375/rho", r);
}

/* The replace-one bug changes the claim, not the noise: the same stream gives
 * the correct MST's table bit for bit, with the same ε, now stated for
 * replace-one neighbours, where that noise is really 8ρ/3-zCDP. */
Test(mst, planted_replace_one_bug_releases_the_add_remove_calibration_and_claims_replace_one)
{
    table *t = tree_table(1000, 2);
    cJSON *p = cJSON_Parse("{\"bug_replace_one_sensitivity\": 1}");
    gen_config good = {.epsilon = 1, .delta = 1e-9}, bad = {.epsilon = 1, .delta = 1e-9, .params = p};
    gen_privacy pg, pb;
    table *a = fit_sample(t, &good, 5, 500, &pg), *b = fit_sample(t, &bad, 5, 500, &pb);
    cr_assert_eq(tbl_hash(a), tbl_hash(b));
    cr_assert_eq(pg.replace_one, 0);
    cr_assert_eq(pb.replace_one, 1);
    cr_assert_eq(pg.epsilon, pb.epsilon);
    cr_assert_eq(pg.rho, pb.rho);
    tbl_free(a);
    tbl_free(b);
    cJSON_Delete(p);
    tbl_free(t);
}

/* max_codes: a 12-code column modelled on 4 bins of 3 codes. Without noise
 * the bins' counts and the within-bin weights are exact, so the sampled
 * one-way marginal of the 12 codes is the training one in distribution, and
 * the dependence on the other column survives at the resolution of the bins.
 * Bound: each code's sampled count ~ Binomial(m, p_v); 5 sd (two-sided
 * 5.7e-7 per code, 12 codes) — a failure is not chance. */
Test(mst, coarsens_large_columns_into_bins_and_decodes_by_the_one_way_counts)
{
    schema *s = schema_new(2);
    set_cat(s, 0, 12);
    set_cat(s, 1, 2);
    size_t n = 6000, m = 40000;
    table *t = tbl_new(s, n);
    schema_free(s);
    gsl_rng *r = rng_stream(91, 0);
    static const double pv[12] = {0.30, 0.02, 0.08, 0.01, 0.01, 0.18, 0.05, 0.05, 0.05, 0.15, 0.05, 0.05};
    for (size_t i = 0; i < n; i++) {
        t->cat[0][i] = draw(r, pv, 12);
        double p1[2] = {t->cat[0][i] < 6 ? 0.9 : 0.2, 0};
        p1[1] = 1 - p1[0];
        t->cat[1][i] = draw(r, p1, 2);
    }
    gsl_rng_free(r);
    cJSON *params = cJSON_Parse("{\"max_codes\": 4}");
    gen_config cfg = {.epsilon = INFINITY, .delta = 1e-9, .params = params};
    table *y = fit_sample(t, &cfg, 5, m, NULL);
    double ft[12], fy[12], f2[24];
    freq2(t, 0, 0, ft);
    freq2(y, 0, 0, fy);
    for (size_t v = 0; v < 12; v++) {
        double sd = sqrt(ft[v] * (1 - ft[v]) / (double)m);
        cr_expect_leq(fabs(fy[v] - ft[v]), 5 * sd + 1e-12, "code %zu: sampled %.4f, training %.4f", v, fy[v], ft[v]);
    }
    /* P(col1 = 0 | bin) is 0.9 for bins 0-1 (codes < 6) and 0.2 for bins 2-3 */
    freq2(y, 0, 1, f2);
    double lo = 0, lo0 = 0, hi = 0, hi0 = 0;
    for (size_t v = 0; v < 12; v++) {
        if (v < 6) {
            lo += f2[2 * v] + f2[2 * v + 1];
            lo0 += f2[2 * v];
        } else {
            hi += f2[2 * v] + f2[2 * v + 1];
            hi0 += f2[2 * v];
        }
    }
    cr_expect(fabs(lo0 / lo - 0.9) < 0.03 && fabs(hi0 / hi - 0.2) < 0.03,
              "P(col1=0 | low codes) %.3f (0.9), P(col1=0 | high codes) %.3f (0.2)", lo0 / lo, hi0 / hi);
    tbl_free(y);
    tbl_free(t);
    cJSON_Delete(params);
}

/* pgm_draw (generators/pgm.h, the draw of MST's, PrivBayes' and AIM's
 * samplers and selections) against the plain binary search it replaced,
 * written out here: "the first index with cdf > u, else c - 1", on
 * pgm_cumulate'd weights with zeros, negatives, NaN, ties and all-zero
 * rows, c from 1 to 70; the same stream must give the same index every
 * time, and the streams must stay in step. */
static size_t first_above(const double *cdf, size_t c, double u)
{
    size_t lo = 0, hi = c - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* A GSL generator type whose uniform is whatever the test sets: pgm_draw at
 * u exactly on a cdf value and one double either side, where "cdf > u"
 * and "cdf >= u" part. */
static double fixed_u;
static void fixed_set(void *st, unsigned long seed)
{
    (void)st;
    (void)seed;
}
static unsigned long fixed_get(void *st)
{
    (void)st;
    return 0;
}
static double fixed_get_double(void *st)
{
    (void)st;
    return fixed_u;
}
static const gsl_rng_type fixed_type = {"fixed-u", 1, 0, sizeof(double), fixed_set, fixed_get, fixed_get_double};

Test(mst, pgm_draw_breaks_ties_at_a_cdf_value_as_the_binary_search_does)
{
    gsl_rng *gen = rng_stream(20261203, 3), *r = gsl_rng_alloc(&fixed_type);
    cr_assert(gen && r);
    double w[40];
    for (size_t c = 1; c <= 40; c++)
        for (int rep = 0; rep < 10; rep++) {
            for (size_t i = 0; i < c; i++) {
                double x = gsl_rng_uniform(gen);
                w[i] = x < 0.3 ? 0 : x < 0.5 ? 0.25 : x; /* zero weights make equal cdf values */
            }
            pgm_cumulate(w, c);
            for (size_t k = 0; k < c; k++) {
                const double us[3] = {w[k], nextafter(w[k], 0), nextafter(w[k], 1)};
                for (int q = 0; q < 3; q++) {
                    if (!(us[q] >= 0 && us[q] < 1))
                        continue;
                    fixed_u = us[q];
                    size_t got = pgm_draw(w, c, r), want = first_above(w, c, fixed_u);
                    cr_assert_eq(got, want, "c = %zu, u = %.17g (cdf[%zu] %+d ulp): %zu against %zu", c, fixed_u, k,
                                 q == 0 ? 0 : q == 1 ? -1 : 1, got, want);
                }
            }
        }
    gsl_rng_free(gen);
    gsl_rng_free(r);
}

Test(mst, pgm_draw_finds_what_a_plain_binary_search_finds)
{
    gsl_rng *gen = rng_stream(20261203, 1), *a = rng_stream(20261203, 2), *b = rng_stream(20261203, 2);
    cr_assert(gen && a && b);
    double w[70];
    long hits_last = 0;
    for (size_t c = 1; c <= 70; c++)
        for (int rep = 0; rep < 40; rep++) {
            for (size_t i = 0; i < c; i++) {
                double x = gsl_rng_uniform(gen);
                w[i] = x < 0.2 ? 0 : x < 0.25 ? -x : x < 0.27 ? NAN : x < 0.4 ? 0.5 : x;
            }
            if (rep == 0)
                for (size_t i = 0; i < c; i++)
                    w[i] = 0; /* all zero: uniform */
            pgm_cumulate(w, c);
            for (int k = 0; k < 200; k++) {
                size_t got = pgm_draw(w, c, a);
                size_t want = first_above(w, c, gsl_rng_uniform(b));
                cr_assert_eq(got, want, "c = %zu, rep %d, draw %d: %zu against %zu", c, rep, k, got, want);
                hits_last += c >= 2 && got == c - 1;
            }
        }
    cr_assert_eq(gsl_rng_get(a), gsl_rng_get(b));
    cr_assert_gt(hits_last, 0);
    gsl_rng_free(gen);
    gsl_rng_free(a);
    gsl_rng_free(b);
}
