/* test_marginal.c — the marginal attack (attacks/marginal.h) where the
 * answer is known, in the fixed game with a crafted target: a generator
 * that copies its input (near-perfect separation), one that ignores it (AUC
 * within a Mann-Whitney bound of 1/2), and an exact-count release (every
 * member found: TPR 1 at FPR 0). Also crafted targets (attacks/craft.h).
 *
 * n = records of D, m = synthetic records, G = games. Fixed seeds. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>

#include "attacks/craft.h"
#include "attacks/marginal.h"
#include "attacks/mia.h"
#include "audit/roc.h"
#include "core/rng.h"
#include "core/table.h"
#include "generators/gen.h"

TestSuite(marginal, .timeout = 120);

/* 4 categorical columns (4, 5, 3, 6 codes) and 1 numeric in [0, 100]. */
#define SCHEMA                                                                                                    \
    "{\"format\": \"privaudit-schema/1\", \"columns\": ["                                                       \
    "{\"name\": \"a\", \"type\": \"categorical\", \"labels\": [\"a0\",\"a1\",\"a2\",\"a3\"]},"                  \
    "{\"name\": \"b\", \"type\": \"categorical\", \"labels\": [\"b0\",\"b1\",\"b2\",\"b3\",\"b4\"]},"           \
    "{\"name\": \"c\", \"type\": \"categorical\", \"labels\": [\"c0\",\"c1\",\"c2\"]},"                         \
    "{\"name\": \"e\", \"type\": \"categorical\", \"labels\": [\"e0\",\"e1\",\"e2\",\"e3\",\"e4\",\"e5\"]},"   \
    "{\"name\": \"x\", \"type\": \"numeric\", \"min\": 0, \"max\": 100}]}"

/* n records whose categorical codes avoid each column's last code and whose
 * numeric values lie in [20, 80] (a crafted target is absent from them), or
 * with every code and value (full). */
static table *population(const schema *s, size_t n, uint64_t seed, int full)
{
    table *t = tbl_new(s, n);
    cr_assert_not_null(t);
    gsl_rng *r = rng_stream(seed, 0);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < 4; j++)
            t->cat[j][i] = (int32_t)rng_below(r, s->cols[j].size - (full ? 0 : 1));
        t->num[4][i] = full ? 100 * gsl_rng_uniform(r) : 20 + 60 * gsl_rng_uniform(r);
    }
    gsl_rng_free(r);
    return t;
}

static schema *test_schema(void)
{
    schema *s;
    pa_err e = {0};
    cr_assert_eq(schema_parse(SCHEMA, "test", &s, &e), PA_OK, "%s", e.msg);
    return s;
}

/* How a game's release is made from its training set. */
typedef enum release_kind { COPY, IGNORE, EXACT } release_kind;

/* G fixed games on D (n rows) with one crafted target; scores and coins out. */
static void play(release_kind kind, size_t n, size_t m, size_t G, double *score, int *member)
{
    schema *s = test_schema();
    table *D = population(s, n, 11, 0), *other = population(s, n, 12, 1), *tg = NULL;
    pa_err e = {0};
    cr_assert_eq(craft_targets(D, 1, 32, &tg, &e), PA_OK, "%s", e.msg);
    gsl_rng *r = rng_stream(2026, 1);
    size_t *all = malloc(n * sizeof *all);
    for (size_t i = 0; i < n; i++)
        all[i] = i;
    const char *gname = kind == EXACT ? "marginals" : "resample";
    for (size_t g = 0; g < G; g++) {
        member[g] = (int)rng_below(r, 2);
        table *train = member[g] ? tbl_concat(D, tg) : tbl_rows(D, all, n); /* D ∪ {target} or D */
        cr_assert_not_null(train);
        /* the input-ignoring generator fits on an independent table */
        const table *fit_on = kind == IGNORE ? other : train;
        gen_config gc = {.epsilon = INFINITY, .delta = 0};
        gen_model *mod = NULL;
        table *syn = NULL;
        cr_assert_eq(gen_fit(gname, fit_on, &gc, r, &mod, &e), PA_OK, "%s", e.msg);
        cr_assert_eq(gen_sample(mod, m, r, &syn, &e), PA_OK, "%s", e.msg);
        mia_input in = {.synth = syn, .aux = D, .targets = tg, .fixed = 1, .n_train = n,
                        .generator = gname, .epsilon = INFINITY};
        cr_assert_eq(mia_score("marginal", &in, NULL, score + g, &e), PA_OK, "%s", e.msg);
        cr_assert(isfinite(score[g]), "game %zu: score %g", g, score[g]);
        gen_free(mod);
        tbl_free(syn);
        tbl_free(train);
    }
    gsl_rng_free(r);
    free(all);
    tbl_free(D);
    tbl_free(other);
    tbl_free(tg);
    schema_free(s);
}

static double auc_of(const double *score, const int *member, size_t G)
{
    roc_curve *c = NULL;
    pa_err e = {0};
    cr_assert_eq(roc_build(score, member, G, &c, &e), PA_OK, "%s", e.msg);
    double a = roc_auc(c);
    roc_free(c);
    return a;
}

/* resample, m = 3000 draws from n + 1 = 301 rows: a member is copied with
 * probability 1 − (300/301)^3000 > 0.9999, and its cells (every column's
 * code absent from D) then hold ≈ 10 synthetic records, a non-member's none,
 * so the generic model (resample is not a marginal generator: all 1- and
 * 2-way marginals) separates them: expected misses < 0.01 of ~200 members. */
/* The marginal attack's score of the one target of `in` with params `json`;
 * asserts success and a finite score. */
static double score_with(const mia_input *in, const char *json)
{
    cJSON *p = cJSON_Parse(json);
    cr_assert_not_null(p, "bad JSON %s", json);
    double sc = NAN;
    pa_err e = {0};
    cr_assert_eq(mia_score("marginal", in, p, &sc, &e), PA_OK, "%s: %s", json, e.msg);
    cr_assert(isfinite(sc), "%s: %g", json, sc);
    cJSON_Delete(p);
    return sc;
}

Test(marginal, a_copying_generator_is_separated)
{
    enum { G = 400 };
    double score[G];
    int member[G];
    play(COPY, 300, 3000, G, score, member);
    double a = auc_of(score, member, G);
    cr_log_info("copying generator: AUC %.4f", a);
    cr_assert_geq(a, 0.995, "AUC %g", a);
}

/* A release from an independent table (holding the target's codes too) does
 * not depend on the coin, so the
 * scores of members and non-members are i.i.d.: the Mann-Whitney AUC has
 * mean 1/2 and, without ties, sd √((n0 + n1 + 1)/(12 n0 n1)) (ties only
 * lower it); 4 sd is a two-sided 6e-5 test. */
Test(marginal, an_input_ignoring_generator_stays_at_chance)
{
    enum { G = 600 };
    double score[G];
    int member[G];
    play(IGNORE, 300, 3000, G, score, member);
    double n1 = 0;
    for (size_t g = 0; g < G; g++)
        n1 += member[g];
    double n0 = G - n1, sd = sqrt((n0 + n1 + 1) / (12 * n0 * n1));
    double a = auc_of(score, member, G);
    cr_log_info("input-ignoring generator: AUC %.4f (bound 0.5 ± %.4f)", a, 4 * sd);
    cr_assert_lt(fabs(a - 0.5), 4 * sd, "AUC %g, bound 0.5 ± %g", a, 4 * sd);
}

/* marginals at ε = inf releases the exact 1-way histograms of its input: a
 * non-member's cells (absent from D) get no synthetic record at all, a
 * member's get Binomial(20000, 1/301) ≈ 66 in every column (P(0) < 1e-28),
 * so every member scores above every non-member: TPR 1 at FPR 0. */
Test(marginal, an_exact_count_release_gives_away_every_member)
{
    enum { G = 300 };
    double score[G];
    int member[G];
    play(EXACT, 300, 20000, G, score, member);
    double lo_in = INFINITY, hi_out = -INFINITY;
    size_t n1 = 0;
    for (size_t g = 0; g < G; g++) {
        if (member[g]) {
            n1++;
            lo_in = fmin(lo_in, score[g]);
        } else {
            hi_out = fmax(hi_out, score[g]);
        }
    }
    cr_assert(n1 > 100 && n1 < G - 100, "%zu members", n1);
    cr_log_info("exact counts: lowest member score %g > highest non-member %g (%zu members)", lo_in, hi_out, n1);
    cr_assert_gt(lo_in, hi_out, "lowest member score %g, highest non-member %g", lo_in, hi_out);
}

/* crafted targets: each column's rarest cell in D, then the next-rarest;
 * numeric columns at the bound whose bin is emptier, then the other. */
Test(marginal, crafted_targets_take_the_rarest_cells_and_refuse_too_many)
{
    schema *s = test_schema();
    table *D = population(s, 300, 11, 0), *t = NULL;
    pa_err e = {0};
    cr_assert_eq(craft_targets(D, 2, 32, &t, &e), PA_OK, "%s", e.msg);
    /* target 0: the absent last code of every column (count 0; ties go to the lower code, and every other code
     * is present) */
    for (size_t j = 0; j < 4; j++)
        cr_assert_eq(t->cat[j][0], (int32_t)s->cols[j].size - 1, "column %zu", j);
    cr_assert_eq(t->num[4][0], 0); /* both bounds' bins empty: lo first */
    cr_assert_eq(t->num[4][1], 100);
    /* target 1: the least frequent of the present codes */
    for (size_t j = 0; j < 4; j++) {
        size_t cnt[8] = {0};
        for (size_t i = 0; i < D->n; i++)
            cnt[D->cat[j][i]]++;
        size_t best = 0;
        for (size_t c = 1; c + 1 < s->cols[j].size; c++)
            if (cnt[c] < cnt[best])
                best = c;
        cr_assert_eq(t->cat[j][1], (int32_t)best, "column %zu", j);
    }
    tbl_free(t);
    /* lcm(4, 5, 3, 6, 2) = 60 distinct records at most */
    cr_assert_eq(craft_targets(D, 60, 32, &t, &e), PA_OK, "%s", e.msg);
    tbl_free(t);
    cr_assert_eq(craft_targets(D, 61, 32, &t, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "at most 60 distinct"), "%s", e.msg);
    tbl_free(D);
    schema_free(s);
}

Test(marginal, bad_parameters_are_refused)
{
    schema *s = test_schema();
    pa_err e = {0};
    const char *bad[] = {"{\"model\": \"mst\"}", "{\"ways\": 3}", "{\"noise_var\": -1}", "{\"bins\": 0}",
                         "{\"wayz\": 1}", "{\"tree\": \"forest\"}", "{\"fuse\": 1}", "{\"gls\": \"yes\"}"};
    const char *msg[] = {"\"model\": expected", "\"ways\": expected 1 or 2", "\"noise_var\": expected",
                         "\"bins\": expected", "unknown parameter \"wayz\"", "\"tree\": expected",
                         "\"fuse\": expected true or false", "\"gls\": expected true or false"};
    for (size_t q = 0; q < 8; q++) {
        cJSON *p = cJSON_Parse(bad[q]);
        cr_assert_eq(mia_check("marginal", s, p, &e), PA_EINPUT, "%s", bad[q]);
        cr_assert(strstr(e.msg, msg[q]), "%s: %s", bad[q], e.msg);
        cJSON_Delete(p);
    }
    schema_free(s);
}

/* "fuse": true lowers only the variance of MST's 1-way cells by the tree
 * edges at each column: without pairs ("ways": 1) the scores are the
 * unfused ones exactly; with the tree, a target whose 1-way cells carry a
 * non-zero likelihood ratio scores differently. */
Test(marginal, fuse_changes_only_the_one_way_cells_of_mst_through_its_tree)
{
    schema *s = test_schema();
    table *D = population(s, 400, 21, 1), *tg = NULL, *syn = NULL;
    pa_err e = {0};
    cr_assert_eq(craft_targets(D, 1, 32, &tg, &e), PA_OK, "%s", e.msg);
    gsl_rng *r = rng_stream(2026, 3);
    table *train = tbl_concat(D, tg);
    gen_config gc = {.epsilon = 4, .delta = 1e-5};
    gen_model *mod = NULL;
    cr_assert_eq(gen_fit("mst", train, &gc, r, &mod, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(gen_sample(mod, 5000, r, &syn, &e), PA_OK, "%s", e.msg);
    mia_input in = {.synth = syn, .aux = D, .targets = tg, .fixed = 1, .n_train = 400, .generator = "mst",
                    .epsilon = 4, .delta = 1e-5};
    const char *ps[4] = {"{\"ways\": 1}", "{\"ways\": 1, \"fuse\": true}", "{}", "{\"fuse\": true}"};
    double sc[4];
    for (size_t q = 0; q < 4; q++)
        sc[q] = score_with(&in, ps[q]);
    cr_assert_eq(sc[0], sc[1], "ways 1: %.17g vs fused %.17g", sc[0], sc[1]);
    cr_assert(sc[2] != sc[3], "tree: fused and unfused both %.17g", sc[2]);
    gen_free(mod);
    tbl_free(syn);
    tbl_free(train);
    tbl_free(tg);
    tbl_free(D);
    gsl_rng_free(r);
    schema_free(s);
}

/* The GLS kernel against exact solutions: a 2×2 solved by hand (Σ = [[4, 1], [1, 2]], Σ⁻¹ = [[2, −1], [−1, 4]]/7,
 * b = (1, 1): w = (1, 3)/7, r = (2, −1): wᵀr = −1/7) and a 3×3 solved in exact rationals by Gaussian elimination
 * (python3 fractions: Σ = [[5, 2, 1], [2, 4, −1], [1, −1, 3]], b = 1, r = (3, −2, ½): w = (−2/35, 2/5, 17/35),
 * wᵀr = −51/70); a diagonal Σ gives Σ b r / V; a matrix with eigenvalue −1 is refused. Tolerance 1e-14
 * (relative; Cholesky on a well-conditioned 3×3 is accurate to a few ulps). */
Test(marginal, gls_weights_solve_the_covariance_exactly)
{
    double llr = 0, w[3], work[9];
    const double S2[4] = {4, 1, 1, 2}, b[3] = {1, 1, 1}, r2[2] = {2, -1};
    cr_assert_eq(marginal_gls_llr(&llr, w, work, S2, b, r2, 2), PA_OK);
    cr_assert_float_eq(w[0], 1.0 / 7, 1e-15, "w0 %.17g", w[0]);
    cr_assert_float_eq(w[1], 3.0 / 7, 1e-15, "w1 %.17g", w[1]);
    cr_assert_float_eq(llr, -1.0 / 7, 1e-15, "llr %.17g", llr);
    const double S3[9] = {5, 2, 1, 2, 4, -1, 1, -1, 3}, r3[3] = {3, -2, 0.5};
    cr_assert_eq(marginal_gls_llr(&llr, w, work, S3, b, r3, 3), PA_OK);
    const double w3[3] = {-2.0 / 35, 2.0 / 5, 17.0 / 35};
    for (size_t i = 0; i < 3; i++)
        cr_assert_float_eq(w[i], w3[i], 1e-14, "w%zu %.17g", i, w[i]);
    cr_assert_float_eq(llr, -51.0 / 70, 1e-14, "llr %.17g", llr);
    const double D3[9] = {2, 0, 0, 0, 4, 0, 0, 0, 8};
    cr_assert_eq(marginal_gls_llr(&llr, w, work, D3, b, r3, 3), PA_OK);
    cr_assert_float_eq(llr, 3.0 / 2 - 2.0 / 4 + 0.5 / 8, 1e-15, "diagonal: llr %.17g", llr);
    const double N2[4] = {1, 2, 2, 1}; /* eigenvalues 3 and −1 */
    cr_assert_eq(marginal_gls_llr(&llr, w, work, N2, b, r2, 2), PA_EINPUT);
}

/* Two binary columns, aux = 100 rows (0,0)×40, (0,1)×10, (1,0)×10, (1,1)×40, n = 100, target (0, 0), a release of
 * m = 100 rows with 55 in each of the target's 1-way cells ("model": "generic", "ways": 1, no DP noise: L = 2
 * cells). By hand: c = 50, q = 50.5/100, r = 55 − 50 − ½ = 4.5 in both cells. Average game:
 * V = (n²/m + n + n²/n_aux)·q(1−q) = 300·0.505·0.495 = 74.9925, the cells' covariance κ(p_ab − p_a p_b) =
 * 300·(0.4 − 0.25) = 45, so w = 1/(V + 45) each and the GLS score is 9/119.9925 (the default there), the
 * independent-cells sum 9/74.9925 ("gls": false). Fixed game: V = 24.9975, covariance 100·0.15 = 15; the
 * default there is the sum 9/24.9975, "gls": true gives 9/39.9975. Tolerance 1e-12 relative. */
Test(marginal, gls_scores_a_hand_solved_two_cell_release)
{
    schema *s;
    pa_err e = {0};
    const char *js = "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                     "{\"name\": \"u\", \"type\": \"categorical\", \"labels\": [\"u0\",\"u1\"]},"
                     "{\"name\": \"v\", \"type\": \"categorical\", \"labels\": [\"v0\",\"v1\"]}]}";
    cr_assert_eq(schema_parse(js, "test", &s, &e), PA_OK, "%s", e.msg);
    table *A = tbl_new(s, 100), *S = tbl_new(s, 100), *tg = tbl_new(s, 1);
    cr_assert(A && S && tg);
    const size_t na[4] = {40, 10, 10, 40}, ns[4] = {45, 10, 10, 35}; /* cells (0,0), (0,1), (1,0), (1,1) */
    for (size_t c = 0, i = 0, i2 = 0; c < 4; c++) {
        for (size_t q = 0; q < na[c]; q++, i++) {
            A->cat[0][i] = (int32_t)(c / 2);
            A->cat[1][i] = (int32_t)(c % 2);
        }
        for (size_t q = 0; q < ns[c]; q++, i2++) {
            S->cat[0][i2] = (int32_t)(c / 2);
            S->cat[1][i2] = (int32_t)(c % 2);
        }
    }
    tg->cat[0][0] = tg->cat[1][0] = 0;
    const double Vavg = 300 * 0.505 * 0.495, Vfix = 100 * 0.505 * 0.495;
    const struct {
        int fixed;
        const char *params;
        double want;
    } cs[4] = {{0, "{\"model\": \"generic\", \"ways\": 1}", 9 / (Vavg + 45)},
               {0, "{\"model\": \"generic\", \"ways\": 1, \"gls\": false}", 9 / Vavg},
               {1, "{\"model\": \"generic\", \"ways\": 1}", 9 / Vfix},
               {1, "{\"model\": \"generic\", \"ways\": 1, \"gls\": true}", 9 / (Vfix + 15)}};
    for (size_t q = 0; q < 4; q++) {
        mia_input in = {.synth = S, .aux = A, .targets = tg, .fixed = cs[q].fixed, .n_train = 100};
        double sc = score_with(&in, cs[q].params);
        cr_assert(fabs(sc - cs[q].want) <= 1e-12 * fabs(cs[q].want), "%s fixed %d: %.17g, want %.17g", cs[q].params,
                  cs[q].fixed, sc, cs[q].want);
    }
    tbl_free(A);
    tbl_free(S);
    tbl_free(tg);
    schema_free(s);
}

/* "mst_cov": true adds MST's noise covariance between the target's released cells, which comes from its
 * pooling of the 1-way measurement with the tree pairs' margins and its raking of the pairs: without pairs
 * ("ways": 1) there is none and the GLS score is unchanged to the last bit; with the tree it changes. The
 * average game (aux independent of D), MST at ε = 4, one release. */
Test(marginal, mst_cov_changes_the_gls_score_only_through_the_tree)
{
    schema *s = test_schema();
    table *D = population(s, 400, 31, 1), *A = population(s, 2000, 32, 1), *tg = NULL, *syn = NULL;
    pa_err e = {0};
    cr_assert_eq(craft_targets(D, 1, 32, &tg, &e), PA_OK, "%s", e.msg);
    gsl_rng *r = rng_stream(2026, 4);
    table *train = tbl_concat(D, tg);
    gen_config gc = {.epsilon = 4, .delta = 1e-5};
    gen_model *mod = NULL;
    cr_assert_eq(gen_fit("mst", train, &gc, r, &mod, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(gen_sample(mod, 2000, r, &syn, &e), PA_OK, "%s", e.msg);
    mia_input in = {.synth = syn, .aux = A, .targets = tg, .n_train = 400, .generator = "mst", .epsilon = 4,
                    .delta = 1e-5};
    const char *ps[4] = {"{\"ways\": 1, \"mst_cov\": false}", "{\"ways\": 1}", "{\"mst_cov\": false}", "{}"};
    double sc[4];
    for (size_t q = 0; q < 4; q++)
        sc[q] = score_with(&in, ps[q]);
    cr_assert_eq(sc[0], sc[1], "ways 1: %.17g without vs %.17g with MST's covariance", sc[0], sc[1]);
    cr_assert(sc[2] != sc[3], "tree: with and without MST's covariance both %.17g", sc[2]);
    gen_free(mod);
    tbl_free(syn);
    tbl_free(train);
    tbl_free(tg);
    tbl_free(D);
    tbl_free(A);
    gsl_rng_free(r);
    schema_free(s);
}

/* The same two-cell release with 20 more binary columns in which no aux or synthetic row has the target's
 * code (d = 22 > 20: the matching counts are taken row by row, not from superset sums). Those 20 cells hold no
 * synthetic record, so they keep their censored ratio, log Φ(−1/√V0) − log Φ(0) with c = 0,
 * q = ½/100, V0 = 300·q(1−q) = 1.4925 (average game), and the joint part is the two-cell one:
 * 9/119.9925 + 20·that. Tolerance 1e-12 relative. */
Test(marginal, gls_counts_matches_row_by_row_beyond_twenty_columns)
{
    char js[4096];
    size_t off = (size_t)snprintf(js, sizeof js, "{\"format\": \"privaudit-schema/1\", \"columns\": [");
    for (size_t j = 0; j < 22; j++)
        off += (size_t)snprintf(js + off, sizeof js - off,
                                "%s{\"name\": \"c%zu\", \"type\": \"categorical\", \"labels\": [\"x\",\"y\"]}",
                                j ? "," : "", j);
    snprintf(js + off, sizeof js - off, "]}");
    schema *s;
    pa_err e = {0};
    cr_assert_eq(schema_parse(js, "test", &s, &e), PA_OK, "%s", e.msg);
    table *A = tbl_new(s, 100), *S = tbl_new(s, 100), *tg = tbl_new(s, 1);
    cr_assert(A && S && tg);
    const size_t na[4] = {40, 10, 10, 40}, ns[4] = {45, 10, 10, 35};
    for (size_t c = 0, i = 0, i2 = 0; c < 4; c++) {
        for (size_t q = 0; q < na[c]; q++, i++) {
            A->cat[0][i] = (int32_t)(c / 2);
            A->cat[1][i] = (int32_t)(c % 2);
        }
        for (size_t q = 0; q < ns[c]; q++, i2++) {
            S->cat[0][i2] = (int32_t)(c / 2);
            S->cat[1][i2] = (int32_t)(c % 2);
        }
    }
    for (size_t j = 2; j < 22; j++)
        for (size_t i = 0; i < 100; i++)
            A->cat[j][i] = S->cat[j][i] = 1;
    for (size_t j = 0; j < 22; j++)
        tg->cat[j][0] = 0;
    const double V0 = 300 * 0.005 * 0.995;
    const double want = 9 / (300 * 0.505 * 0.495 + 45) + 20 * (log(gsl_cdf_ugaussian_P(-1 / sqrt(V0))) - log(0.5));
    mia_input in = {.synth = S, .aux = A, .targets = tg, .n_train = 100};
    double sc = score_with(&in, "{\"model\": \"generic\", \"ways\": 1}");
    cr_assert(fabs(sc - want) <= 1e-12 * fabs(want), "%.17g, want %.17g", sc, want);
    tbl_free(A);
    tbl_free(S);
    tbl_free(tg);
    schema_free(s);
}
