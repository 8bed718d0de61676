/* test_aim.c — the AIM generator (generators/aim.c).
 *
 * n = training records, m = synthetic records, d = columns.
 */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <gsl/gsl_randist.h>
#include <sqlite3.h>

#include "audit/acct.h"
#include "audit/utility.h"
#include "core/rng.h"
#include "generators/aim.h"
#include "generators/gen.h"
#include "tests/testutil.h"

extern const gen_vtable gen_aim;

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

/* A tree-structured table over columns c, a, b, e (cards 2, 3, 4, 3):
 * a ~ (0.5, 0.3, 0.2); b | a; c | b; e | b — true edges a-b, c-b, b-e, i.e.
 * column pairs {1,2}, {0,2}, {2,3}. */
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

/* Fits (keeping the state when *keep != NULL) and samples m records. */
static table *fit_sample(const table *train, const gen_config *cfg, uint64_t seed, size_t m, gen_privacy *priv,
                         void **keep)
{
    gsl_rng *r = rng_stream(seed, 7);
    void *st = NULL;
    table *out = NULL;
    pa_err err = {0};
    int rc = gen_aim.fit(train, cfg, r, &st, &err);
    cr_assert_eq(rc, PA_OK, "fit: %s", err.msg);
    rc = gen_aim.sample(st, m, r, &out, &err);
    cr_assert_eq(rc, PA_OK, "sample: %s", err.msg);
    if (priv)
        gen_aim.privacy(st, priv);
    if (keep)
        *keep = st;
    else
        gen_aim.free_state(st);
    gsl_rng_free(r);
    return out;
}

/* ρ the ledger really spent: 1/(2σ²) per Gaussian step of sensitivity 1,
 * ε²/8 per exponential-mechanism step (Cesar and Rogers 2021). */
static double ledger_rho(const void *st)
{
    size_t n;
    const aim_step *l = aim_ledger(st, &n);
    double rho = 0;
    for (size_t i = 0; i < n; i++)
        rho += l[i].kind == 'g' ? 0.5 / (l[i].sigma * l[i].sigma) : l[i].eps * l[i].eps / 8;
    return rho;
}

TestSuite(aim, .timeout = 120);

/* The ledger spends exactly the ρ of the target (ε, δ) — the last round
 * takes what is left — and the claim converts back to ε. The same ledger
 * through the RDP accountant behind `privaudit account` (each step a
 * Gaussian of noise multiplier σ, an ε-selection one of multiplier 2/ε:
 * both have RDP a·ρ_step) gives the same ε to 1e-4, never less: the two
 * conversions differ only by the opacus order grid (best order 35 here). */
Test(aim, spends_exactly_its_zcdp_budget_and_the_rdp_accountant_agrees)
{
    table *t = tree_table(2000, 1);
    gen_config cfg = {.epsilon = 1.0, .delta = 1e-9};
    gen_privacy priv;
    void *st;
    table *s = fit_sample(t, &cfg, 3, 100, &priv, &st);
    /* REF (REFERENCES.md, private-pgm cdp_rho): rho(1, 1e-9) = 0.014973 */
    cr_assert(fabs(priv.rho - 0.014973) < 5e-7, "rho = %.17g", priv.rho);
    cr_assert(fabs(priv.epsilon - 1.0) < 1e-9, "epsilon = %.17g", priv.epsilon);
    cr_assert_str_eq(priv.accountant, "zcdp");
    cr_assert_eq(priv.replace_one, 0);
    double spent = ledger_rho(st);
    cr_assert(fabs(spent - priv.rho) <= 1e-12 * priv.rho, "ledger rho %.17g, claimed %.17g", spent, priv.rho);
    size_t n, rounds, anneals;
    const aim_step *l = aim_ledger(st, &n);
    aim_rounds(st, &rounds, &anneals);
    cr_assert_eq(n, 4 + 2 * rounds, "4 one-way measurements, then a selection and a measurement per round");
    acct_phase *ph = malloc(n * sizeof *ph);
    for (size_t i = 0; i < n; i++)
        ph[i] = (acct_phase){.sigma = l[i].kind == 'g' ? l[i].sigma : 2.0 / l[i].eps, .q = 1, .steps = 1};
    double eps_rdp, order;
    pa_err err = {0};
    cr_assert_eq(acct_rdp_epsilon_phases(ph, n, 1e-9, NULL, 0, ACCT_CONV_BALLE, &eps_rdp, &order, &err), PA_OK, "%s",
                 err.msg);
    cr_assert(eps_rdp >= priv.epsilon - 1e-9 && eps_rdp - priv.epsilon < 1e-4, "RDP eps %.9f, zCDP eps %.9f", eps_rdp,
              priv.epsilon);
    free(ph);
    gen_aim.free_state(st);
    tbl_free(s);
    tbl_free(t);
}

/* `privaudit account` on one Gaussian with the multiplier of the whole
 * ledger (σ = 1/sqrt(2ρ) has RDP a·ρ) reports the claimed ε: never below it
 * (its conversion minimises the same bound over a grid of orders, the zCDP
 * one over all orders) and above it by less than 1e-3 (the grid's gap at
 * ε = 2, δ = 1e-6: 8.8e-4). */
Test(aim, privaudit_account_reproduces_the_claimed_epsilon)
{
    table *t = tree_table(1000, 2);
    gen_config cfg = {.epsilon = 2.0, .delta = 1e-6};
    gen_privacy priv;
    void *st;
    table *s = fit_sample(t, &cfg, 4, 10, &priv, &st);
    char sig[64];
    snprintf(sig, sizeof sig, "%.17g", 1.0 / sqrt(2.0 * ledger_rho(st)));
    char *dir = tu_tmpdir();
    const char *args[] = {"account", "--sigma", sig, "--q", "1", "--steps", "1", "--delta", "1e-6", "--json", NULL};
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cJSON *j = cJSON_Parse(r.out);
    cr_assert_not_null(j, "%s", r.out);
    double eps = cJSON_GetObjectItem(j, "epsilon")->valuedouble;
    cr_assert(eps >= priv.epsilon - 1e-9 && eps - priv.epsilon < 1e-3, "account says %.9f, aim claims %.9f", eps,
              priv.epsilon);
    cJSON_Delete(j);
    tu_result_free(&r);
    tu_rmtree(dir);
    free(dir);
    gen_aim.free_state(st);
    tbl_free(s);
    tbl_free(t);
}

Test(aim, reports_no_privacy_for_infinite_epsilon)
{
    table *t = tree_table(300, 1);
    gen_config cfg = {.epsilon = INFINITY, .delta = 0};
    gen_privacy priv;
    table *s = fit_sample(t, &cfg, 3, 10, &priv, NULL);
    cr_assert(isinf(priv.epsilon) && isinf(priv.rho));
    cr_assert_str_eq(priv.accountant, "none");
    tbl_free(s);
    tbl_free(t);
}

Test(aim, gives_the_same_table_for_the_same_seed)
{
    table *t = tree_table(1000, 2);
    gen_config cfg = {.epsilon = 0.5, .delta = 1e-6};
    table *a = fit_sample(t, &cfg, 11, 300, NULL, NULL), *b = fit_sample(t, &cfg, 11, 300, NULL, NULL),
          *c = fit_sample(t, &cfg, 12, 300, NULL, NULL);
    cr_assert_eq(tbl_hash(a), tbl_hash(b));
    cr_assert_neq(tbl_hash(a), tbl_hash(c), "a different seed should give a different table");
    tbl_free(a);
    tbl_free(b);
    tbl_free(c);
    tbl_free(t);
}

typedef struct bad_case {
    char json[80];
    double eps, delta;
    char needle[32];
} bad_case;

static bad_case bad_cases[] = {
    {.json = "{\"bogus\": 1}", .eps = 1, .delta = 1e-9, .needle = "bogus"},
    {.json = "{\"degree\": 4}", .eps = 1, .delta = 1e-9, .needle = "degree"},
    {.json = "{\"degree\": 0}", .eps = 1, .delta = 1e-9, .needle = "degree"},
    {.json = "{\"rounds\": 3}", .eps = 1, .delta = 1e-9, .needle = "rounds"},
    {.json = "{\"rounds\": 10.5}", .eps = 1, .delta = 1e-9, .needle = "rounds"},
    {.json = "{\"max_model_size\": 0}", .eps = 1, .delta = 1e-9, .needle = "max_model_size"},
    {.json = "{\"max_cells\": 5}", .eps = 1, .delta = 1e-9, .needle = "max_cells"},
    {.json = "{\"iters\": 0}", .eps = 1, .delta = 1e-9, .needle = "iters"},
    {.json = "{\"bins\": 0}", .eps = 1, .delta = 1e-9, .needle = "bins"},
    {.json = "{\"bug_full_rho_per_phase\": 0.5}", .eps = 1, .delta = 1e-9, .needle = "bug_full_rho"},
    {.json = "{\"bug_replace_one_sensitivity\": 2}", .eps = 1, .delta = 1e-9, .needle = "bug_replace_one"},
    {.json = "{\"bug_noise_divisor\": 0.5}", .eps = 1, .delta = 1e-9, .needle = "bug_noise_divisor"},
    {.json = "{}", .eps = -1, .delta = 1e-9, .needle = "epsilon"},
    {.json = "{}", .eps = 1, .delta = 0, .needle = "delta"},
};

ParameterizedTestParameters(aim, rejects_bad_parameters_naming_the_key)
{
    return cr_make_param_array(bad_case, bad_cases, sizeof bad_cases / sizeof bad_cases[0]);
}

/* Every bad parameter, and δ = 0 with a finite ε (zCDP gives no pure ε: no
 * unnoised or unaccounted release), is refused before any work, naming it. */
ParameterizedTest(bad_case *bc, aim, rejects_bad_parameters_naming_the_key)
{
    table *t = tree_table(50, 1);
    cJSON *p = cJSON_Parse(bc->json);
    gen_config cfg = {.epsilon = bc->eps, .delta = bc->delta, .params = p};
    pa_err err = {0};
    cr_assert_eq(gen_aim.check(t->s, &cfg, &err), PA_EINPUT, "%s", bc->json);
    cr_assert(strstr(err.msg, bc->needle) != NULL, "message '%s' should name '%s'", err.msg, bc->needle);
    void *st = (void *)1;
    gsl_rng *r = rng_stream(1, 1);
    cr_assert_eq(gen_aim.fit(t, &cfg, r, &st, &err), PA_EINPUT);
    cr_assert(st == NULL);
    gsl_rng_free(r);
    cJSON_Delete(p);
    tbl_free(t);
}

/* Planted structure: on the tree table with a generous budget, AIM measures
 * the three true edges among its two-way marginals, and its synthetic
 * two-way marginals are far closer to the real ones than the independent
 * model's (mean 2-way TVD under a quarter of it). */
Test(aim, measures_the_planted_edges_and_keeps_the_dependencies)
{
    table *t = tree_table(20000, 6);
    gen_config cfg = {.epsilon = 5, .delta = 1e-6};
    void *st;
    table *s = fit_sample(t, &cfg, 10, 20000, NULL, &st);
    size_t n;
    const aim_step *l = aim_ledger(st, &n);
    int seen[3] = {0};
    const uint64_t edge[3] = {0x6, 0x5, 0xc}; /* {1,2}, {0,2}, {2,3} */
    for (size_t i = 0; i < n; i++)
        for (int e = 0; e < 3; e++)
            seen[e] |= l[i].kind == 'g' && l[i].clique == edge[e];
    cr_assert(seen[0] && seen[1] && seen[2], "edges measured: a-b %d, c-b %d, b-e %d", seen[0], seen[1], seen[2]);
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
    gen_aim.free_state(st);
    tbl_free(ind);
    tbl_free(s);
    tbl_free(t);
}

/* Without noise AIM fits every two-way marginal of the workload: a synthetic
 * sample of m = 20,000 matches the training marginals to sampling error
 * (5 sd per cell, as in test_mst). */
Test(aim, reproduces_the_two_way_marginals_without_noise)
{
    size_t n = 5000, m = 20000;
    table *t = tree_table(n, 5);
    gen_config cfg = {.epsilon = INFINITY};
    table *s = fit_sample(t, &cfg, 9, m, NULL, NULL);
    for (size_t i = 0; i < 4; i++)
        for (size_t j = i + 1; j < 4; j++) {
            size_t ci = t->s->cols[i].size, cj = t->s->cols[j].size;
            double fr[16] = {0}, fs[16] = {0};
            for (size_t q = 0; q < n; q++)
                fr[(size_t)t->cat[i][q] * cj + (size_t)t->cat[j][q]] += 1.0 / (double)n;
            for (size_t q = 0; q < m; q++)
                fs[(size_t)s->cat[i][q] * cj + (size_t)s->cat[j][q]] += 1.0 / (double)m;
            for (size_t c = 0; c < ci * cj; c++) {
                double sd = sqrt(fr[c] * (1 - fr[c]) / (double)m) + 1e-3; /* + convergence tolerance */
                cr_assert(fabs(fs[c] - fr[c]) <= 5 * sd, "pair (%zu,%zu) cell %zu: %.4f vs %.4f", i, j, c, fs[c],
                          fr[c]);
            }
        }
    tbl_free(s);
    tbl_free(t);
}

/* Planted accounting bugs. "bug_full_rho_per_phase" gives a round's
 * measurement and selection the whole round budget r and the one-way start
 * σ² = 1/(2 r0): the ledger then really spends 2ρ − 0.8·d·r0 with
 * r0 = ρ/T, T = 16d, i.e. 1.95ρ, while claiming ρ. */
Test(aim, planted_full_rho_bug_really_spends_1_95_rho_and_claims_rho)
{
    table *t = tree_table(2000, 1);
    cJSON *p = cJSON_Parse("{\"bug_full_rho_per_phase\": 1}");
    gen_config cfg = {.epsilon = 1.0, .delta = 1e-9, .params = p};
    gen_privacy priv;
    void *st;
    table *s = fit_sample(t, &cfg, 3, 10, &priv, &st);
    double rho = acct_zcdp_rho(1.0, 1e-9);
    cr_assert(fabs(priv.rho - rho) < 1e-15 && fabs(priv.epsilon - 1) < 1e-9);
    double spent = ledger_rho(st);
    cr_assert(fabs(spent - 1.95 * rho) < 1e-9 * rho, "ledger %.9g = %.6f rho", spent, spent / rho);
    gen_aim.free_state(st);
    cJSON_Delete(p);
    tbl_free(s);
    tbl_free(t);
}

/* "bug_noise_divisor" = k divides every measurement's σ by k: the ledger's
 * steps, with σ multiplied back by k, spend exactly the claimed ρ (the
 * accounting is for the nominal noise), while the noise really used spends
 * k² times the measurement share: with k = 2 more than 3ρ (at least 0.9 of
 * the budget is measurement) and at most 4ρ. */
Test(aim, planted_noise_divisor_bug_divides_every_sigma_and_claims_rho)
{
    table *t = tree_table(2000, 1);
    cJSON *p = cJSON_Parse("{\"bug_noise_divisor\": 2}");
    gen_config cfg = {.epsilon = 1.0, .delta = 1e-9, .params = p};
    gen_privacy priv;
    void *st;
    table *s = fit_sample(t, &cfg, 3, 10, &priv, &st);
    double rho = acct_zcdp_rho(1.0, 1e-9);
    cr_assert(fabs(priv.rho - rho) < 1e-15 && fabs(priv.epsilon - 1) < 1e-9);
    size_t n;
    const aim_step *l = aim_ledger(st, &n);
    double nominal = 0, real = 0;
    for (size_t i = 0; i < n; i++) {
        double g = l[i].kind == 'g' ? 0.5 / (l[i].sigma * l[i].sigma) : 0, e = l[i].kind == 'g' ? 0 : l[i].eps * l[i].eps / 8;
        nominal += g / 4 + e;
        real += g + e;
    }
    cr_assert(fabs(nominal - rho) <= 1e-12 * rho, "nominal ledger %.17g, claimed %.17g", nominal, rho);
    cr_assert(real > 3.0 * rho && real <= 4.0 * rho * (1 + 1e-12), "real ledger %.6f rho", real / rho);
    gen_aim.free_state(st);
    cJSON_Delete(p);
    tbl_free(s);
    tbl_free(t);
}

/* "bug_replace_one_sensitivity" changes the claim only: the same stream
 * gives the correct AIM's table bit for bit, now claimed for replace-one
 * neighbours, where that noise is really 2.2ρ-zCDP. */
Test(aim, planted_replace_one_bug_releases_the_add_remove_calibration_and_claims_replace_one)
{
    table *t = tree_table(1000, 2);
    cJSON *p = cJSON_Parse("{\"bug_replace_one_sensitivity\": 1}");
    gen_config good = {.epsilon = 1, .delta = 1e-9}, bad = {.epsilon = 1, .delta = 1e-9, .params = p};
    gen_privacy pg, pb;
    table *a = fit_sample(t, &good, 5, 500, &pg, NULL), *b = fit_sample(t, &bad, 5, 500, &pb, NULL);
    cr_assert_eq(tbl_hash(a), tbl_hash(b));
    cr_assert_eq(pg.replace_one, 0);
    cr_assert_eq(pb.replace_one, 1);
    cr_assert_eq(pg.epsilon, pb.epsilon);
    tbl_free(a);
    tbl_free(b);
    cJSON_Delete(p);
    tbl_free(t);
}

/* Numeric columns: binned by the shared rule and sampled within bounds. */
Test(aim, samples_numeric_columns_within_their_bounds)
{
    schema *sc = schema_new(2);
    sc->cols[0].kind = COL_NUM;
    sc->cols[0].lo = -1;
    sc->cols[0].hi = 1;
    set_cat(sc, 1, 2);
    table *t = tbl_new(sc, 3000);
    schema_free(sc);
    gsl_rng *r = rng_stream(3, 3);
    for (size_t i = 0; i < t->n; i++) {
        int c = gsl_rng_uniform(r) < 0.5;
        t->cat[1][i] = c;
        t->num[0][i] = c ? 0.75 : -0.75;
    }
    gsl_rng_free(r);
    cJSON *p = cJSON_Parse("{\"bins\": 4}");
    gen_config cfg = {.epsilon = INFINITY, .params = p};
    table *s = fit_sample(t, &cfg, 4, 2000, NULL, NULL);
    for (size_t i = 0; i < s->n; i++) {
        double x = s->num[0][i];
        cr_assert(x >= -1 && x <= 1, "x = %g out of bounds", x);
        cr_assert((x > 0) == (s->cat[1][i] == 1), "x = %g with class %d: the dependence is exact", x, s->cat[1][i]);
    }
    tbl_free(s);
    tbl_free(t);
    cJSON_Delete(p);
}

/* ---- progress (gen_config.progress): what privaudit gen aim prints ---- */

typedef struct prog_log {
    size_t n;
    char step[512][80];
    size_t done[512], total[512];
} prog_log;

static void prog_record(void *ctx, const char *step, size_t done, size_t total)
{
    prog_log *p = ctx;
    cr_assert_lt(p->n, 512, "more progress calls than rounds");
    snprintf(p->step[p->n], sizeof p->step[p->n], "%s", step);
    p->done[p->n] = done;
    p->total[p->n++] = total;
}

/* One call per round, from 0 to done == total exactly once at the end,
 * never decreasing, then the final fit; and the release does not depend on
 * whether anyone listens. */
Test(aim, reports_progress_once_per_round_without_changing_the_release)
{
    table *t = tree_table(1000, 2);
    static prog_log log;
    memset(&log, 0, sizeof log);
    gen_config quiet = {.epsilon = 2, .delta = 1e-6};
    gen_config loud = {.epsilon = 2, .delta = 1e-6, .progress = prog_record, .progress_ctx = &log};
    void *st = NULL;
    table *a = fit_sample(t, &quiet, 11, 300, NULL, NULL), *b = fit_sample(t, &loud, 11, 300, NULL, &st);
    cr_assert_eq(tbl_hash(a), tbl_hash(b), "the progress callback changed the release");
    size_t rounds, anneals;
    aim_rounds(st, &rounds, &anneals);
    cr_assert_gt(rounds, 4);
    /* 0, one per round, the end; then the final fit's 0/1 and 1/1 */
    cr_assert_eq(log.n, rounds + 2 + 2, "%zu calls for %zu rounds", log.n, rounds);
    const char *rs = log.step[0];
    cr_assert(strstr(rs, "aim: selection rounds"), "%s", rs);
    cr_assert_eq(log.done[0], 0);
    for (size_t k = 0; k < rounds + 2; k++) {
        cr_assert_str_eq(log.step[k], rs);
        cr_assert_eq(log.total[k], 1000);
        if (k)
            cr_assert_geq(log.done[k], log.done[k - 1], "call %zu went back: %zu < %zu", k, log.done[k],
                          log.done[k - 1]);
        if (k + 1 < rounds + 2)
            cr_assert_lt(log.done[k], 1000, "call %zu said done before the end", k);
    }
    cr_assert_eq(log.done[rounds + 1], 1000);
    /* the budget is spent in order: halfway through the rounds, some but not all of it */
    cr_assert_gt(log.done[rounds / 2], 0);
    cr_assert_str_eq(log.step[rounds + 2], "aim: final fit of the model");
    cr_assert_eq(log.done[rounds + 2], 0);
    cr_assert_eq(log.done[rounds + 3], 1);
    gen_aim.free_state(st);
    tbl_free(a);
    tbl_free(b);
    tbl_free(t);
}
