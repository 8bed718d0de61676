/* test_attacks.c — membership-inference attacks: shadow-model features and
 * classifier, DOMIAS, GAN-leaks. Hand-computed cases, scipy references, and
 * simulated audit games with a generator that copies its input (the attack
 * must separate members) and one that ignores it (AUC must stay within a
 * Mann-Whitney bound of 1/2).
 *
 * n = training records per game, K = targets per game, G = games. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <gsl/gsl_rng.h>

#include "attacks/classify.h"
#include "attacks/mia.h"
#include "core/rng.h"
#include "core/table.h"

TestSuite(attacks);

/* ---- helpers ---- */

static schema *schema_of(const char *json)
{
    schema *s;
    pa_err e = {0};
    cr_assert_eq(schema_parse(json, "test", &s, &e), PA_OK, "%s", e.msg);
    return s;
}

static cJSON *params_of(const char *json)
{
    cJSON *p = cJSON_Parse(json);
    cr_assert_not_null(p, "bad JSON in test: %s", json);
    return p;
}

/* 4 categorical columns (4, 5, 3, 6 codes) and 2 numeric in [0, 100]. */
static const char *MIXED = "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                           "{\"name\": \"a\", \"type\": \"categorical\", \"size\": 4},"
                           "{\"name\": \"b\", \"type\": \"categorical\", \"size\": 5},"
                           "{\"name\": \"c\", \"type\": \"categorical\", \"size\": 3},"
                           "{\"name\": \"e\", \"type\": \"categorical\", \"size\": 6},"
                           "{\"name\": \"x\", \"type\": \"numeric\", \"min\": 0, \"max\": 100},"
                           "{\"name\": \"z\", \"type\": \"numeric\", \"min\": 0, \"max\": 100}]}";

/* n records of the population: every column independent and uniform. */
static table *pop_sample(const schema *s, gsl_rng *r, size_t n)
{
    table *t = tbl_new(s, n);
    cr_assert_not_null(t);
    for (size_t j = 0; j < s->d; j++)
        for (size_t i = 0; i < n; i++) {
            if (t->cat[j])
                t->cat[j][i] = (int32_t)rng_below(r, s->cols[j].size);
            else
                t->num[j][i] = s->cols[j].lo + (s->cols[j].hi - s->cols[j].lo) * gsl_rng_uniform(r);
        }
    return t;
}

/* AUC by its definition: P(member score > non-member score) + ½ P(tie). */
static double auc_pairs(const double *s, const int *y, size_t n, size_t *n1_out, size_t *n0_out)
{
    double num = 0;
    size_t n1 = 0, n0 = 0;
    for (size_t i = 0; i < n; i++)
        *(y[i] ? &n1 : &n0) += 1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (y[i] && !y[j])
                num += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
    *n1_out = n1;
    *n0_out = n0;
    return num / ((double)n1 * (double)n0);
}

/* Under a generator that ignores its input, the scores are independent of
 * the membership coins, so given n1 members the labels are a uniformly
 * random subset and AUC is the Mann-Whitney U/(n1 n0) under the null: mean
 * 1/2, variance (n1 + n0 + 1)/(12 n1 n0) without ties (ties only lower it).
 * |AUC - 1/2| <= 3.29 sd holds with probability >= 0.999 (normal
 * approximation, two-sided). */
static void assert_auc_null(const double *s, const int *y, size_t n, const char *what)
{
    size_t n1, n0;
    double auc = auc_pairs(s, y, n, &n1, &n0);
    double sd = sqrt(((double)n1 + (double)n0 + 1) / (12.0 * (double)n1 * (double)n0));
    cr_assert_leq(fabs(auc - 0.5), 3.29 * sd, "%s: AUC %g, expected 0.5 +- %g (n1 %zu, n0 %zu)", what, auc,
                  3.29 * sd, n1, n0);
}

enum gen_kind { GEN_COPY, GEN_NULL };

enum { G = 30, K = 10, NTRAIN = 50, NAUX = 200 };

/* G games of K targets each (each with its own fair coin): the generator
 * is fitted on D (NTRAIN population records) plus the targets whose coin is
 * 1; GEN_COPY releases exactly that training set, GEN_NULL releases NTRAIN
 * fresh population records. The attacker's aux data is NAUX fresh records.
 * scores and y are (G*K). */
static void play(const schema *s, const char *attack, const char *params, enum gen_kind kind, uint64_t seed,
                 double *scores, int *y)
{
    cJSON *par = params ? params_of(params) : NULL;
    pa_err e = {0};
    cr_assert_eq(mia_check(attack, s, par, &e), PA_OK, "%s", e.msg);
    for (size_t g = 0; g < G; g++) {
        gsl_rng *r = rng_stream(seed, g);
        table *D = pop_sample(s, r, NTRAIN), *tg = pop_sample(s, r, K), *aux = pop_sample(s, r, NAUX);
        size_t in[K], k1 = 0;
        for (size_t t = 0; t < K; t++) {
            y[g * K + t] = (int)rng_below(r, 2);
            if (y[g * K + t])
                in[k1++] = t;
        }
        table *syn;
        if (kind == GEN_COPY) {
            table *members = tbl_rows(tg, in, k1);
            syn = tbl_concat(D, members);
            tbl_free(members);
        } else {
            syn = pop_sample(s, r, NTRAIN);
        }
        mia_input mi = {.synth = syn, .aux = aux, .targets = tg};
        cr_assert_eq(mia_score(attack, &mi, par, scores + g * K, &e), PA_OK, "%s", e.msg);
        for (size_t t = 0; t < K; t++)
            cr_assert(isfinite(scores[g * K + t]), "%s: score %zu of game %zu is %g", attack, t, g,
                      scores[g * K + t]);
        tbl_free(D);
        tbl_free(tg);
        tbl_free(aux);
        tbl_free(syn);
        gsl_rng_free(r);
    }
    cJSON_Delete(par);
}

/* ---- GAN-leaks ---- */

static const char *TWO = "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                         "{\"name\": \"c\", \"type\": \"categorical\", \"size\": 10},"
                         "{\"name\": \"v\", \"type\": \"numeric\", \"min\": 0, \"max\": 1}]}";

static table *rows2(const schema *s, size_t n, const int *c, const double *v)
{
    table *t = tbl_new(s, n);
    for (size_t i = 0; i < n; i++) {
        t->cat[0][i] = c[i];
        t->num[1][i] = v[i];
    }
    return t;
}

Test(attacks, ganleaks_soft_min_matches_the_hand_computed_loss)
{
    schema *s = schema_of(TWO);
    /* distances to the target (0, 0): 0, 0.5, 1, 2 */
    table *syn = rows2(s, 4, (int[]){0, 0, 1, 1}, (double[]){0, 0.5, 0, 1});
    /* distances 0.25 and 1.25 */
    table *aux = rows2(s, 2, (int[]){0, 2}, (double[]){0.25, 0.25});
    table *tg = rows2(s, 1, (int[]){0}, (double[]){0});
    mia_input in = {.synth = syn, .aux = aux, .targets = tg};
    double sc;
    pa_err e = {0};
    /* k = 2, tau = 0.5: L = -0.5 log((e^0 + e^-1)/2) = 0.18994274652086124
     * (numpy); calibrated: L_aux - L_syn with L_aux = 0.25 - 0.5 log((1 +
     * e^-2)/2), difference 0.34316683823762523 (numpy). Tolerance 1e-12. */
    cJSON *p = params_of("{\"k\": 2, \"temperature\": 0.5}");
    cr_assert_eq(mia_score("ganleaks", &in, p, &sc, &e), PA_OK, "%s", e.msg);
    cr_assert_float_eq(sc, -0.18994274652086124, 1e-12, "%.17g", sc);
    cJSON_AddBoolToObject(p, "calibrate", 1);
    cr_assert_eq(mia_score("ganleaks", &in, p, &sc, &e), PA_OK, "%s", e.msg);
    cr_assert_float_eq(sc, 0.34316683823762523, 1e-12, "%.17g", sc);
    cJSON_Delete(p);
    /* k = 1 is the plain minimum: dcr */
    p = params_of("{\"k\": 1}");
    cr_assert_eq(mia_score("ganleaks", &in, p, &sc, &e), PA_OK);
    cr_assert_eq(sc, 0);
    cJSON_Delete(p);
    /* k larger than the set uses all of it: mean of e^{-d/tau} over 4 */
    p = params_of("{\"k\": 10, \"temperature\": 1}");
    cr_assert_eq(mia_score("ganleaks", &in, p, &sc, &e), PA_OK);
    cr_assert_float_eq(sc, log((1 + exp(-0.5) + exp(-1) + exp(-2)) / 4), 1e-12);
    cJSON_Delete(p);
    tbl_free(syn);
    tbl_free(aux);
    tbl_free(tg);
    schema_free(s);
}

Test(attacks, ganleaks_with_one_neighbour_scores_like_dcr)
{
    schema *s = schema_of(MIXED);
    static double a[G * K], b[G * K];
    static int y[G * K], y2[G * K];
    play(s, "ganleaks", "{\"k\": 1, \"calibrate\": true}", GEN_NULL, 5, a, y);
    play(s, "dcr", "{\"calibrate\": true}", GEN_NULL, 5, b, y2);
    for (size_t i = 0; i < G * K; i++)
        cr_assert_float_eq(a[i], b[i], 1e-12, "score %zu: ganleaks %.17g, dcr %.17g", i, a[i], b[i]);
    schema_free(s);
}

/* Copy generator: a member is in the release, so its loss is at most
 * tau log k (one term e^0 in the soft-min) = 0.1 ln 5 = 0.161. A non-member
 * reaches that only if some released record is within 0.161: all 4
 * categorical columns equal (probability 1/360 for uniform codes) and
 * |Δx|+|Δz| <= 0.161 on the range-scaled uniform columns (probability
 * <= (2·0.161)² = 0.104), for one of ~55 records: p <= 55·0.104/360 = 0.016
 * per non-member. Every other pair is ordered correctly, so AUC >= 1 - (the
 * share of such non-members); with ~150 non-members, P(Bin(150, 0.016) >= 8)
 * < 0.003, hence AUC >= 1 - 8/150 > 0.94. Uncalibrated and calibrated (the
 * aux term only moves a score by at most the aux soft-min, which is
 * independent of membership, so the calibrated bound is checked looser). */
Test(attacks, ganleaks_separates_members_of_a_copying_generator)
{
    schema *s = schema_of(MIXED);
    static double sc[G * K];
    static int y[G * K];
    size_t n1, n0;
    play(s, "ganleaks", NULL, GEN_COPY, 11, sc, y);
    double auc = auc_pairs(sc, y, G * K, &n1, &n0);
    cr_assert_geq(auc, 0.94, "AUC %g", auc);
    play(s, "ganleaks", "{\"calibrate\": true}", GEN_COPY, 11, sc, y);
    auc = auc_pairs(sc, y, G * K, &n1, &n0);
    cr_assert_geq(auc, 0.9, "calibrated AUC %g", auc);
    schema_free(s);
}

Test(attacks, ganleaks_is_at_chance_against_a_generator_that_ignores_its_input)
{
    schema *s = schema_of(MIXED);
    static double sc[G * K];
    static int y[G * K];
    play(s, "ganleaks", NULL, GEN_NULL, 12, sc, y);
    assert_auc_null(sc, y, G * K, "ganleaks");
    play(s, "ganleaks", "{\"calibrate\": true, \"k\": 3}", GEN_NULL, 13, sc, y);
    assert_auc_null(sc, y, G * K, "ganleaks calibrated");
    schema_free(s);
}

Test(attacks, ganleaks_refuses_calibration_without_aux_and_bad_params)
{
    schema *s = schema_of(TWO);
    table *t = rows2(s, 1, (int[]){0}, (double[]){0});
    mia_input in = {.synth = t, .aux = NULL, .targets = t};
    cJSON *p = params_of("{\"calibrate\": true}");
    double sc;
    pa_err e = {0};
    cr_assert_eq(mia_score("ganleaks", &in, p, &sc, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "auxiliary"), "%s", e.msg);
    cJSON_Delete(p);
    const char *bad[] = {"{\"k\": 0}", "{\"temperature\": 0}", "{\"calibrate\": 1}", "{\"tau\": 1}"};
    for (size_t i = 0; i < 4; i++) {
        p = params_of(bad[i]);
        cr_assert_eq(mia_check("ganleaks", s, p, &e), PA_EINPUT, "%s", bad[i]);
        cJSON_Delete(p);
    }
    tbl_free(t);
    schema_free(s);
}

/* ---- DOMIAS ---- */

Test(attacks, domias_matches_scipy_gaussian_kde_on_one_numeric_column)
{
    schema *s = schema_of("{\"format\": \"privaudit-schema/1\", \"columns\": ["
                          "{\"name\": \"v\", \"type\": \"numeric\", \"min\": 0, \"max\": 10}]}");
    const double sv[] = {1, 2, 2.5, 7, 9}, av[] = {0.5, 3, 4, 6, 8, 9.5}, tv[] = {2.2, 5.0, 9.0};
    table *syn = tbl_new(s, 5), *aux = tbl_new(s, 6), *tg = tbl_new(s, 3);
    memcpy(syn->num[0], sv, sizeof sv);
    memcpy(aux->num[0], av, sizeof av);
    memcpy(tg->num[0], tv, sizeof tv);
    mia_input in = {.synth = syn, .aux = aux, .targets = tg};
    double sc[3];
    pa_err e = {0};
    cr_assert_eq(mia_score("domias", &in, NULL, sc, &e), PA_OK, "%s", e.msg);
    /* scipy.stats.gaussian_kde (Scott's rule, ddof 1) on the values / 10:
     * log kde_syn(u) - log kde_aux(u). Tolerance 1e-12. */
    const double ref[3] = {0.20436734008462937, -0.20149664153526053, -0.21646988207536438};
    for (size_t i = 0; i < 3; i++)
        cr_assert_float_eq(sc[i], ref[i], 1e-12, "target %zu: %.17g vs scipy %.17g", i, sc[i], ref[i]);
    /* a fixed bandwidth of 0.1 range (1 unit): synth {5}, aux {2}, x = 4:
     * log φ(-1) - log φ(-2) = (4 - 1)/2 = 1.5 */
    table *s1 = tbl_new(s, 1), *a1 = tbl_new(s, 1), *t1 = tbl_new(s, 1);
    s1->num[0][0] = 5;
    a1->num[0][0] = 2;
    t1->num[0][0] = 4;
    mia_input in1 = {.synth = s1, .aux = a1, .targets = t1};
    cJSON *p = params_of("{\"bandwidth\": 0.1}");
    cr_assert_eq(mia_score("domias", &in1, p, sc, &e), PA_OK, "%s", e.msg);
    cr_assert_float_eq(sc[0], 1.5, 1e-12, "%.17g", sc[0]);
    cJSON_Delete(p);
    tbl_free(syn);
    tbl_free(aux);
    tbl_free(tg);
    tbl_free(s1);
    tbl_free(a1);
    tbl_free(t1);
    schema_free(s);
}

Test(attacks, domias_uses_the_aitchison_aitken_kernel_on_categories)
{
    schema *s = schema_of("{\"format\": \"privaudit-schema/1\", \"columns\": ["
                          "{\"name\": \"c\", \"type\": \"categorical\", \"size\": 3}]}");
    table *syn = tbl_new(s, 3), *aux = tbl_new(s, 3), *tg = tbl_new(s, 1);
    const int32_t sc_[] = {0, 0, 1}, ac[] = {1, 2, 2};
    memcpy(syn->cat[0], sc_, sizeof sc_);
    memcpy(aux->cat[0], ac, sizeof ac);
    tg->cat[0][0] = 0;
    mia_input in = {.synth = syn, .aux = aux, .targets = tg};
    /* lambda = 0.3 · (3-1)/3 = 0.2: same code 0.8, other 0.1;
     * p_syn = (0.8+0.8+0.1)/3, p_aux = 0.3/3: log(1.7/0.3) */
    cJSON *p = params_of("{\"lambda\": 0.3}");
    double sc;
    pa_err e = {0};
    cr_assert_eq(mia_score("domias", &in, p, &sc, &e), PA_OK, "%s", e.msg);
    cr_assert_float_eq(sc, 1.7346010553881064, 1e-12, "%.17g", sc);
    cJSON_Delete(p);
    /* lambda = 1: the uniform kernel ignores the column, score 0 */
    p = params_of("{\"lambda\": 1}");
    cr_assert_eq(mia_score("domias", &in, p, &sc, &e), PA_OK);
    cr_assert_float_eq(sc, 0, 1e-12);
    cJSON_Delete(p);
    tbl_free(syn);
    tbl_free(aux);
    tbl_free(tg);
    schema_free(s);
}

/* Copy generator with a narrow kernel (bandwidth 0.02 of the range, lambda
 * 0.05): a member's synthetic density contains its own kernel at distance
 * 0, K(0)/N = Π(1-λ_j) / (N (0.02 √(2π))²) ≈ 0.78 · 200 / N, while any other
 * record contributes at most a factor λ/(c-1)/(1-λ) <= 0.013 of that per
 * mismatched category, or e^{-Δ²/(2h²)} per numeric gap; a non-member matches
 * no record that closely except with probability <= 0.016 as in the
 * GAN-leaks bound, so the same AUC >= 0.94 holds up to the aux term, which
 * is independent of membership; checked at 0.9. The default (Scott)
 * bandwidth is wider and checked at 0.9 (observed 0.986). */
Test(attacks, domias_separates_members_of_a_copying_generator)
{
    schema *s = schema_of(MIXED);
    static double sc[G * K];
    static int y[G * K];
    size_t n1, n0;
    play(s, "domias", "{\"bandwidth\": 0.02, \"lambda\": 0.05}", GEN_COPY, 21, sc, y);
    double auc = auc_pairs(sc, y, G * K, &n1, &n0);
    cr_assert_geq(auc, 0.9, "AUC %g", auc);
    play(s, "domias", NULL, GEN_COPY, 22, sc, y);
    auc = auc_pairs(sc, y, G * K, &n1, &n0);
    cr_assert_geq(auc, 0.9, "AUC with the default bandwidth %g", auc);
    schema_free(s);
}

Test(attacks, domias_is_at_chance_against_a_generator_that_ignores_its_input)
{
    schema *s = schema_of(MIXED);
    static double sc[G * K];
    static int y[G * K];
    play(s, "domias", NULL, GEN_NULL, 23, sc, y);
    assert_auc_null(sc, y, G * K, "domias");
    schema_free(s);
}

Test(attacks, domias_needs_aux_and_checks_its_params)
{
    schema *s = schema_of(TWO);
    table *t = rows2(s, 1, (int[]){0}, (double[]){0});
    mia_input in = {.synth = t, .aux = NULL, .targets = t};
    double sc;
    pa_err e = {0};
    cr_assert_eq(mia_score("domias", &in, NULL, &sc, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "auxiliary"), "%s", e.msg);
    const char *bad[] = {"{\"bandwidth\": 0}", "{\"lambda\": 0}", "{\"lambda\": 1.5}", "{\"h\": 1}"};
    for (size_t i = 0; i < 4; i++) {
        cJSON *p = params_of(bad[i]);
        cr_assert_eq(mia_check("domias", s, p, &e), PA_EINPUT, "%s", bad[i]);
        cJSON_Delete(p);
    }
    tbl_free(t);
    schema_free(s);
}

/* ---- shadow features ---- */

Test(attacks, shadow_feature_dimension_counts_every_block)
{
    schema *s = schema_of(MIXED);
    const mia_vtable *vt = mia_find("shadow");
    cr_assert_not_null(vt);
    cr_assert_eq(vt->kind, MIA_SHADOW);
    size_t dim;
    pa_err e = {0};
    /* naive 3·6 + histogram (4+5+3+6 + 2·10) + correlation 15 + query 101 */
    cr_assert_eq(vt->feature_dim(s, NULL, &dim, &e), PA_OK);
    cr_assert_eq(dim, 18 + 38 + 15 + 101);
    cJSON *p = params_of("{\"features\": [\"histogram\"], \"bins\": 4}");
    cr_assert_eq(vt->feature_dim(s, p, &dim, &e), PA_OK);
    cr_assert_eq(dim, 18 + 8);
    cJSON_Delete(p);
    p = params_of("{\"features\": [\"query\", \"correlation\"], \"queries\": 7}");
    cr_assert_eq(vt->feature_dim(s, p, &dim, &e), PA_OK);
    cr_assert_eq(dim, 15 + 8);
    cJSON_Delete(p);
    schema_free(s);
}

Test(attacks, shadow_naive_histogram_and_correlation_features_match_hand_values)
{
    schema *s = schema_of(TWO);
    /* c = {2, 2, 5, 7}, v = {0, 0.2, 0.4, 1} */
    table *syn = rows2(s, 4, (int[]){2, 2, 5, 7}, (double[]){0, 0.2, 0.4, 1});
    table *tg = rows2(s, 1, (int[]){2}, (double[]){0.2});
    const mia_vtable *vt = mia_find("shadow");
    cJSON *p = params_of("{\"features\": [\"naive\", \"histogram\", \"correlation\"], \"bins\": 2}");
    size_t dim;
    pa_err e = {0};
    cr_assert_eq(vt->feature_dim(s, p, &dim, &e), PA_OK);
    cr_assert_eq(dim, 6 + 12 + 1);
    double f[19];
    cr_assert_eq(vt->features(syn, tg, 0, p, f, &e), PA_OK, "%s", e.msg);
    double want[19] = {
        /* naive c: most frequent 2/9, least frequent observed 5/9 (tie 5, 7: smallest), 3 distinct of 10 */
        2.0 / 9, 5.0 / 9, 0.3,
        /* naive v: mean 0.4, median 0.3, population variance 0.14 */
        0.4, 0.3, 0.14,
        /* histogram c (10 codes) */
        0, 0, 0.5, 0, 0, 0.25, 0, 0.25, 0, 0,
        /* histogram v, 2 bins over [0, 1]: {0, 0.2, 0.4} and {1} */
        0.75, 0.25,
        /* corr(c, v): numpy.corrcoef([2,2,5,7],[0,.2,.4,1]) */
        0.94491118252306827};
    for (size_t i = 0; i < 19; i++)
        cr_assert_float_eq(f[i], want[i], 1e-12, "feature %zu: %.17g, expected %.17g", i, f[i], want[i]);
    cJSON_Delete(p);
    tbl_free(syn);
    tbl_free(tg);
    schema_free(s);
}

Test(attacks, shadow_marginal_features_are_the_target_cells_of_the_1_and_2_way_marginals)
{
    schema *s = schema_of(TWO);
    table *syn = rows2(s, 4, (int[]){2, 2, 5, 7}, (double[]){0, 0.2, 0.4, 1});
    table *tg = rows2(s, 1, (int[]){2}, (double[]){0.2});
    const mia_vtable *vt = mia_find("shadow");
    cJSON *p = params_of("{\"features\": [\"marginal\"]}");
    size_t dim;
    pa_err e = {0};
    cr_assert_eq(vt->feature_dim(s, p, &dim, &e), PA_OK);
    cr_assert_eq(dim, 2 + 1);
    double f[3];
    cr_assert_eq(vt->features(syn, tg, 0, p, f, &e), PA_OK, "%s", e.msg);
    /* c = 2 in rows 0, 1; v within 0.01 of 0.2 in row 1 only; both in row 1 */
    double want[3] = {0.5, 0.25, 0.25};
    for (size_t i = 0; i < 3; i++)
        cr_assert_float_eq(f[i], want[i], 1e-12, "feature %zu: %.17g, expected %.17g", i, f[i], want[i]);
    cJSON_Delete(p);
    tbl_free(syn);
    tbl_free(tg);
    schema_free(s);
}

Test(attacks, shadow_queries_are_the_same_for_every_release_and_target_index)
{
    schema *s = schema_of(MIXED);
    gsl_rng *r = rng_stream(3, 0);
    table *syn = pop_sample(s, r, 40), *tg0 = pop_sample(s, r, 4);
    /* the target at row 0 and again at row 3 */
    table *tg = tbl_rows(tg0, (size_t[]){0, 1, 2, 0}, 4);
    const mia_vtable *vt = mia_find("shadow");
    cJSON *p = params_of("{\"features\": [\"query\"], \"queries\": 30, \"seed\": 8}");
    double a[31], b[31], c[31];
    pa_err e = {0};
    cr_assert_eq(vt->features(syn, tg, 0, p, a, &e), PA_OK);
    cr_assert_eq(vt->features(syn, tg, 3, p, b, &e), PA_OK);
    cr_assert_arr_eq(a, b, sizeof a, "the queries depend on the params, not on the target's row");
    /* another seed draws other subsets */
    cJSON_ReplaceItemInObject(p, "seed", cJSON_CreateNumber(9));
    cr_assert_eq(vt->features(syn, tg, 0, p, c, &e), PA_OK);
    cr_assert(memcmp(a, c, 30 * sizeof *a) != 0);
    cr_assert_eq(a[30], 0, "a population draw is not in the release");
    /* a release holding two copies of the target: exact count 2, every
     * query matches at least those 2 of 42 records */
    table *two = tbl_rows(tg0, (size_t[]){0, 0}, 2), *syn2 = tbl_concat(syn, two);
    cr_assert_eq(vt->features(syn2, tg, 0, p, c, &e), PA_OK);
    cr_assert_eq(c[30], 2);
    for (size_t q = 0; q < 30; q++)
        cr_assert_geq(c[q], 2.0 / 42 - 1e-15, "query %zu: %g", q, c[q]);
    cJSON_Delete(p);
    tbl_free(two);
    tbl_free(syn2);
    tbl_free(syn);
    tbl_free(tg0);
    tbl_free(tg);
    gsl_rng_free(r);
    schema_free(s);
}

Test(attacks, shadow_rejects_unknown_features_and_classifier_params)
{
    schema *s = schema_of(MIXED);
    const char *bad[] = {
        "{\"features\": [\"naive\", \"moments\"]}", "{\"features\": []}", "{\"queries\": -1}",
        "{\"classifier\": \"svm\"}", "{\"classifier_params\": {\"depth\": 3}}", "{\"shadows\": 10}",
        "{\"classifier\": \"logreg\", \"classifier_params\": {\"n_trees\": 3}}"};
    pa_err e = {0};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *p = params_of(bad[i]);
        cr_assert_eq(mia_check("shadow", s, p, &e), PA_EINPUT, "%s", bad[i]);
        cr_assert(strstr(e.msg, "shadow"), "%s", e.msg);
        cJSON_Delete(p);
    }
    cJSON *ok = params_of("{\"classifier\": \"logreg\", \"classifier_params\": {\"l2\": 0.5}}");
    cr_assert_eq(mia_check("shadow", s, ok, &e), PA_OK, "%s", e.msg);
    cJSON_Delete(ok);
    schema_free(s);
}

Test(attacks, shadow_features_of_an_empty_release_are_zero_and_foreign_targets_are_refused)
{
    schema *s = schema_of(MIXED), *s2 = schema_of(TWO);
    gsl_rng *r = rng_stream(4, 0);
    table *empty = tbl_new(s, 0), *tg = pop_sample(s, r, 1), *other = tbl_new(s2, 1);
    const mia_vtable *vt = mia_find("shadow");
    size_t dim;
    pa_err e = {0};
    cr_assert_eq(vt->feature_dim(s, NULL, &dim, &e), PA_OK);
    double *f = malloc(dim * sizeof *f);
    for (size_t i = 0; i < dim; i++)
        f[i] = -1;
    cr_assert_eq(vt->features(empty, tg, 0, NULL, f, &e), PA_OK, "%s", e.msg);
    for (size_t i = 0; i < dim; i++)
        cr_assert_eq(f[i], 0, "feature %zu", i);
    cr_assert_eq(vt->features(empty, other, 0, NULL, f, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "columns"), "%s", e.msg);
    cr_assert_eq(vt->features(empty, tg, 1, NULL, f, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "out of range"), "%s", e.msg);
    free(f);
    tbl_free(empty);
    tbl_free(tg);
    tbl_free(other);
    gsl_rng_free(r);
    schema_free(s);
    schema_free(s2);
}

/* ---- the shadow-model game ---- */

enum { S_SHADOW = 60, S_TEST = 60 };

/* Trains the classifier `kind` on S_SHADOW shadow releases built from the
 * attacker's aux data (NTRAIN records drawn from aux, plus the target for
 * every other one), then returns the AUC of its P(member) over S_TEST fresh
 * releases of the generator fitted on population data, with the target in
 * every other one. Under GEN_NULL it also checks the Mann-Whitney bound:
 * the classifier is fixed and the test releases independent of the labels. */
static double shadow_game(const schema *s, const char *params, const char *kind, enum gen_kind gk, uint64_t seed)
{
    cJSON *p = params_of(params);
    const mia_vtable *vt = mia_find("shadow");
    size_t dim;
    pa_err e = {0};
    cr_assert_eq(mia_check("shadow", s, p, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(vt->feature_dim(s, p, &dim, &e), PA_OK);
    gsl_rng *r = rng_stream(seed, 0);
    table *aux = pop_sample(s, r, NAUX), *tg = pop_sample(s, r, 1);
    double *X = malloc(S_SHADOW * dim * sizeof *X);   /* (S_SHADOW, dim) */
    int ys[S_SHADOW], yt[S_TEST];
    double sc[S_TEST];
    clf *c = NULL;
    for (size_t k = 0; k < S_SHADOW + S_TEST; k++) {
        int shadow = k < S_SHADOW, b = (int)(k % 2);
        table *D;
        if (shadow) {
            size_t idx[NTRAIN];
            for (size_t i = 0; i < NTRAIN; i++)
                idx[i] = (size_t)rng_below(r, NAUX);
            D = tbl_rows(aux, idx, NTRAIN);
        } else {
            D = pop_sample(s, r, NTRAIN);
        }
        table *syn = gk == GEN_NULL ? pop_sample(s, r, NTRAIN) : b ? tbl_concat(D, tg) : NULL;
        const table *rel = syn ? syn : D;
        double *f = X + (shadow ? k : 0) * dim;
        cr_assert_eq(vt->features(rel, tg, 0, p, f, &e), PA_OK, "%s", e.msg);
        if (shadow) {
            ys[k] = b;
        } else {
            yt[k - S_SHADOW] = b;
            sc[k - S_SHADOW] = clf_predict(c, f);
        }
        tbl_free(D);
        tbl_free(syn);
        if (k == S_SHADOW - 1) {
            const cJSON *cp = cJSON_GetObjectItemCaseSensitive(p, "classifier_params");
            cr_assert_eq(clf_fit(kind, X, ys, S_SHADOW, dim, cp, seed, &c, &e), PA_OK, "%s", e.msg);
        }
    }
    size_t n1, n0;
    double auc = auc_pairs(sc, yt, S_TEST, &n1, &n0);
    if (gk == GEN_NULL)
        assert_auc_null(sc, yt, S_TEST, kind);
    clf_free(c);
    free(X);
    tbl_free(aux);
    tbl_free(tg);
    gsl_rng_free(r);
    cJSON_Delete(p);
    return auc;
}

/* With a copying generator the exact-match feature is >= 1 exactly for the
 * releases holding the target (a population record equals it with
 * probability 0: two continuous columns), so it separates the shadow sets
 * and the test releases alike; any classifier that learns that one
 * threshold has AUC 1. Checked at 0.95 to leave room for the other 171
 * features' noise in logreg's fit. */
Test(attacks, shadow_classifier_detects_membership_in_copying_releases)
{
    schema *s = schema_of(MIXED);
    double auc = shadow_game(s, "{\"classifier\": \"forest\", \"classifier_params\": {\"n_trees\": 50}}", "forest",
                             GEN_COPY, 31);
    cr_assert_geq(auc, 0.95, "forest AUC %g", auc);
    auc = shadow_game(s, "{\"classifier\": \"logreg\"}", "logreg", GEN_COPY, 32);
    cr_assert_geq(auc, 0.95, "logreg AUC %g", auc);
    schema_free(s);
}

Test(attacks, shadow_classifier_is_at_chance_against_a_generator_that_ignores_its_input)
{
    schema *s = schema_of(MIXED);
    shadow_game(s, "{\"classifier\": \"forest\", \"classifier_params\": {\"n_trees\": 50}}", "forest", GEN_NULL, 41);
    shadow_game(s, "{\"classifier\": \"logreg\"}", "logreg", GEN_NULL, 42);
    schema_free(s);
}
