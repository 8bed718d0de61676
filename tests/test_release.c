/* test_release.c — the release audit (attacks/release.c): its counts and
 * risks against an independent numpy transcription on a fixed fixture, the
 * control cancelling a population-level inference, a copied release flagged,
 * no control said so, and results that do not depend on the number of
 * workers.
 *
 * n = training records, m = synthetic records, h = control records.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "attacks/release.h"
#include "core/rng.h"
#include "core/table.h"

TestSuite(release, .timeout = 120);

static void assert_rel(double got, double want, double tol, const char *what)
{
    cr_assert(fabs(got - want) <= tol * fmax(1.0, fabs(want)), "%s: got %.17g, expected %.17g", what, got, want);
}

static const rel_attack *find(const rel_result *r, const char *risk, const char *name)
{
    for (size_t i = 0; i < r->n_attacks; i++)
        if (!strcmp(r->attacks[i].risk, risk) && !strcmp(r->attacks[i].name, name))
            return &r->attacks[i];
    cr_assert_fail("no attack %s/%s", risk, name);
    return NULL;
}

/* ---- 1. against the transcription ---- */

/* the fixture of tests/data/release, written by tests/ref/release_ref.py --write */
static const char *FIX_SCHEMA = "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                                "{\"name\": \"x\", \"type\": \"numeric\", \"min\": 0, \"max\": 100},"
                                "{\"name\": \"y\", \"type\": \"numeric\", \"min\": 0, \"max\": 20, \"integer\": true},"
                                "{\"name\": \"c1\", \"type\": \"categorical\", \"size\": 3, \"role\": \"qi\"},"
                                "{\"name\": \"c2\", \"type\": \"categorical\", \"size\": 4, \"role\": \"qi\"},"
                                "{\"name\": \"c3\", \"type\": \"categorical\", \"size\": 5, \"role\": \"qi\"},"
                                "{\"name\": \"s\", \"type\": \"categorical\", \"size\": 2, \"role\": \"secret\"}]}";

static table *read_fixture(const schema *s, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/data/release/%s.csv", name);
    table *t = NULL;
    pa_err e = {0};
    cr_assert_eq(tbl_read_csv(path, s, &t, &e), PA_OK, "%s (run the tests from the repository root)", e.msg);
    return t;
}

/* Reference numbers: /usr/bin/python3 tests/ref/release_ref.py (numpy 1.24,
 * scipy 1.10.1), which transcribes Anonymeter's success_rate,
 * residual_success and bind_value and recomputes, independently of the C
 * code, the univariate singling-out predicates and their counts, the
 * linkability rule, the nearest-record inference and the distances to the
 * closest record. Counts must match exactly; rates and risks to 1e-12
 * relative. The audit's level with one secret column: 1 − 0.05/7. */
Test(release, counts_and_risks_match_the_transcription_of_anonymeter_on_a_fixture)
{
    schema *s;
    pa_err e = {0};
    cr_assert_eq(schema_parse(FIX_SCHEMA, "fixture", &s, &e), PA_OK, "%s", e.msg);
    table *tr = read_fixture(s, "train"), *ct = read_fixture(s, "control"), *sy = read_fixture(s, "synth");
    static const int la[] = {1, 2, 3, 4}, lb[] = {0, 5};
    rel_opts o;
    rel_opts_default(&o);
    o.link_a = la, o.n_link_a = 4, o.link_b = lb, o.n_link_b = 2;
    o.so_attacks = 1000; /* more than the 302 univariate candidates: the set is the transcription's, in full */
    o.jobs = 2;
    rel_result *r = NULL;
    cr_assert_eq(rel_audit(tr, sy, ct, &o, &r, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(r->so[0].generated, 302);
    cr_assert_eq(r->so[0].slices_train, 1);
    cr_assert_eq(r->so[0].slices_control, 1);
    const rel_attack *a = find(r, "singling_out", "univariate");
    assert_rel(a->r.confidence, 0.99285714285714288, 1e-15, "level");
    cr_assert_eq(a->r.attack.k, 149);
    cr_assert_eq(a->r.attack.n, 1000);
    cr_assert_eq(a->r.control.k, 2);
    assert_rel(a->r.attack.rate, 0.15152182824570523, 1e-12, "singling out: rate");
    assert_rel(a->r.attack.err, 0.030288147312699881, 1e-12, "singling out: error");
    assert_rel(a->r.control.rate, 0.0055779785366415844, 1e-12, "singling out: control rate");
    assert_rel(a->r.control.err, 0.0052098544450551619, 1e-12, "singling out: control error");
    assert_rel(a->r.risk.value, 0.14676248771552497, 1e-12, "singling out: risk");
    assert_rel(a->r.risk.lo, 0.11597816071934791, 1e-12, "singling out: lower");
    assert_rel(a->r.risk.hi, 0.17754681471170203, 1e-12, "singling out: upper");
    cr_assert(a->r.flag);
    a = find(r, "linkability", "nearest_pair");
    cr_assert_eq(a->r.attack.k, 151);
    cr_assert_eq(a->r.control.k, 1);
    assert_rel(a->r.attack.rate, 0.50325481960628515, 1e-12, "linkability: rate");
    assert_rel(a->r.control.rate, 0.015031878663505712, 1e-12, "linkability: control rate");
    assert_rel(a->r.risk.value, 0.49567385011437143, 1e-12, "linkability: risk");
    assert_rel(a->r.risk.lo, 0.41740658403860365, 1e-12, "linkability: lower");
    assert_rel(a->r.risk.hi, 0.57394111619013921, 1e-12, "linkability: upper");
    a = find(r, "inference", "nearest");
    cr_assert_eq(a->r.attack.k, 239);
    cr_assert_eq(a->r.control.k, 218);
    assert_rel(a->r.attack.rate, 0.78967894495938251, 1e-12, "inference: rate");
    assert_rel(a->r.attack.err, 0.062163764982298191, 1e-12, "inference: error");
    assert_rel(a->r.control.rate, 0.7213277332273933, 1e-12, "inference: control rate");
    assert_rel(a->r.control.err, 0.068606672362416507, 1e-12, "inference: control error");
    assert_rel(a->r.risk.value, 0.24527453888248951, 1e-12, "inference: risk");
    cr_assert_eq(a->r.risk.lo, 0);
    assert_rel(a->r.risk.hi, 0.53559322660616449, 1e-12, "inference: upper");
    double st = 0, sc = 0;
    for (size_t i = 0; i < r->dcr.n; i++)
        st += r->dcr.d_real[i];
    for (size_t i = 0; i < r->dcr.h; i++)
        sc += r->dcr.d_hold[i];
    assert_rel(st, 69.909899999999979, 1e-12, "sum of distances to the closest record, training");
    assert_rel(sc, 147.35028999999997, 1e-12, "sum of distances to the closest record, control");
    rel_result_free(r);
    tbl_free(tr), tbl_free(ct), tbl_free(sy);
    schema_free(s);
}

/* ---- 2. population-level inference against a copy ---- */

/* q1 (8 codes), q2 (6 codes), z numeric in [0, 1], s: P(s = 1) = 0.95 when
 * q1 < 4, else 0.05 — a fact about the population, true of anyone. */
static const char *POP_SCHEMA = "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                                "{\"name\": \"q1\", \"type\": \"categorical\", \"size\": 8, \"role\": \"qi\"},"
                                "{\"name\": \"q2\", \"type\": \"categorical\", \"size\": 6, \"role\": \"qi\"},"
                                "{\"name\": \"z\", \"type\": \"numeric\", \"min\": 0, \"max\": 1},"
                                "{\"name\": \"s\", \"type\": \"categorical\", \"size\": 2, \"role\": \"secret\"}]}";

static table *population(const schema *s, gsl_rng *r, size_t n, double p_fact)
{
    table *t = tbl_new(s, n);
    for (size_t i = 0; i < n; i++) {
        t->cat[0][i] = (int32_t)rng_below(r, 8);
        t->cat[1][i] = (int32_t)rng_below(r, 6);
        t->num[2][i] = gsl_rng_uniform(r);
        double p = t->cat[0][i] < 4 ? p_fact : 1 - p_fact;
        t->cat[3][i] = gsl_rng_uniform(r) < p;
    }
    return t;
}

/* The release is a fresh sample of the population: it never saw the
 * training records, yet every inference attack guesses s right for ~95% of
 * them, far above the naive attack (~50%) — population-level inference. The
 * control records are guessed as well, so the risk is 0 and nothing is
 * flagged; without the control the audit says no excess can be measured.
 * Flagging at the audit's level (every interval at 1 − 0.05/7) has
 * probability at most 2.5% for a release that leaks nothing; the seed is
 * fixed. */
Test(release, the_control_cancels_a_pure_population_level_inference)
{
    schema *s;
    pa_err e = {0};
    cr_assert_eq(schema_parse(POP_SCHEMA, "pop", &s, &e), PA_OK, "%s", e.msg);
    gsl_rng *g = rng_stream(77, 0);
    table *tr = population(s, g, 3000, 0.95), *ct = population(s, g, 1000, 0.95), *sy = population(s, g, 3000, 0.95);
    rel_opts o;
    rel_opts_default(&o);
    o.so_attacks = 200;
    rel_result *r = NULL;
    cr_assert_eq(rel_audit(tr, sy, ct, &o, &r, &e), PA_OK, "%s", e.msg);
    const char *att[] = {"nearest", "classifier", "lp"};
    for (int k = 0; k < 3; k++) {
        const rel_attack *a = find(r, "inference", att[k]);
        /* accuracy ~0.95 (the fact), 0.90 is 10 sd below for n = 3000; the naive attack ~0.5 */
        cr_assert(a->r.attack.rate > 0.90, "%s: rate %g", att[k], a->r.attack.rate);
        cr_assert(a->r.attack.rate > a->r.baseline.rate + 0.3, "%s: not above the naive attack", att[k]);
        cr_assert(a->r.control.rate > 0.90, "%s: control rate %g", att[k], a->r.control.rate);
        cr_assert_eq(a->r.risk.lo, 0, "%s: risk [%g, %g]", att[k], a->r.risk.lo, a->r.risk.hi);
        cr_assert_not(a->r.flag);
    }
    cr_assert_not(r->flagged, "a release that never saw the training records was flagged");
    rel_result_free(r);
    /* the same without a control: the attack succeeds as often, but no risk is given */
    cr_assert_eq(rel_audit(tr, sy, NULL, &o, &r, &e), PA_OK, "%s", e.msg);
    const rel_attack *a = rel_chosen(r, "inference", 0);
    cr_assert_not_null(a);
    cr_assert_eq(a->r.status, RISK_NO_CONTROL);
    cr_assert(a->r.attack.rate > 0.90 && isnan(a->r.risk.value) && !a->r.flag);
    cr_assert_not(r->flagged);
    rel_result_free(r);
    tbl_free(tr), tbl_free(ct), tbl_free(sy);
    gsl_rng_free(g);
    schema_free(s);
}

/* A release that copies the training records, whose secret is a coin (no
 * population-level fact to learn): every risk but the inference one is far
 * above 0; the inference attacks learn the copied secrets, which the control
 * records do not share. */
Test(release, a_copy_of_the_training_records_is_flagged_on_every_risk)
{
    schema *s;
    pa_err e = {0};
    cr_assert_eq(schema_parse(POP_SCHEMA, "pop", &s, &e), PA_OK, "%s", e.msg);
    gsl_rng *g = rng_stream(78, 0);
    table *tr = population(s, g, 2000, 0.5), *ct = population(s, g, 1000, 0.5);
    rel_opts o;
    rel_opts_default(&o);
    o.so_attacks = 300;
    rel_result *r = NULL;
    cr_assert_eq(rel_audit(tr, tr, ct, &o, &r, &e), PA_OK, "%s", e.msg);
    static const char *const risks[] = {"singling_out", "linkability", "membership"};
    for (int k = 0; k < 3; k++) {
        const rel_attack *a = rel_chosen(r, risks[k], -1);
        cr_assert_not_null(a);
        cr_assert(a->r.flag, "%s not flagged: risk %g [%g, %g]", risks[k], a->r.risk.value, a->r.risk.lo,
                  a->r.risk.hi);
    }
    /* the copy's z is unique: membership by distance 0 catches every member, no non-member */
    const rel_attack *m = rel_chosen(r, "membership", -1);
    cr_assert_eq(m->r.attack.k, m->r.attack.n);
    cr_assert_eq(m->r.control.k, 0);
    const rel_attack *inf = rel_chosen(r, "inference", 0);
    cr_assert(inf->r.flag, "inference of a copied coin not flagged: %g [%g, %g]", inf->r.risk.value, inf->r.risk.lo,
              inf->r.risk.hi);
    cr_assert(r->flagged);
    rel_result_free(r);
    tbl_free(tr), tbl_free(ct);
    gsl_rng_free(g);
    schema_free(s);
}

/* ---- 3. any number of workers ---- */

static void same_result(const rel_result *a, const rel_result *b)
{
    cr_assert_eq(a->n_attacks, b->n_attacks);
    for (size_t i = 0; i < a->n_attacks; i++) {
        const risk_result *x = &a->attacks[i].r, *y = &b->attacks[i].r;
        cr_assert(x->attack.k == y->attack.k && x->control.k == y->control.k &&
                      (x->baseline.k == y->baseline.k || (isnan(x->baseline.k) && isnan(y->baseline.k))),
                  "attack %zu (%s/%s) differs", i, a->attacks[i].risk, a->attacks[i].name);
        cr_assert_eq(a->attacks[i].chosen, b->attacks[i].chosen);
    }
    for (int mode = 0; mode < 2; mode++) {
        cr_assert_eq(a->so[mode].n_queries, b->so[mode].n_queries);
        for (size_t q = 0; q < a->so[mode].n_queries; q++) {
            cr_assert_str_eq(a->so[mode].query[q], b->so[mode].query[q]);
            cr_assert_eq(a->so[mode].q_train[q], b->so[mode].q_train[q]);
        }
    }
    cr_assert_eq(memcmp(a->dcr.d_real, b->dcr.d_real, a->n * sizeof *a->dcr.d_real), 0);
    for (size_t bi = 0; bi < a->n_bits; bi++)
        for (int m = 0; m < RECON_N_ATT; m++)
            for (int p = 0; p < 2; p++)
                if (a->bits[bi].part[m][p].score)
                    cr_assert_eq(memcmp(a->bits[bi].part[m][p].score, b->bits[bi].part[m][p].score,
                                        a->bits[bi].part[m][p].n * sizeof(double)),
                                 0, "scores of bit %zu, attack %d, part %d differ", bi, m, p);
}

Test(release, results_do_not_depend_on_the_number_of_workers)
{
    schema *s;
    pa_err e = {0};
    cr_assert_eq(schema_parse(FIX_SCHEMA, "fixture", &s, &e), PA_OK, "%s", e.msg);
    table *tr = read_fixture(s, "train"), *ct = read_fixture(s, "control"), *sy = read_fixture(s, "synth");
    rel_opts o;
    rel_opts_default(&o);
    o.so_attacks = 100;
    rel_result *r1 = NULL, *r3 = NULL;
    o.jobs = 1;
    cr_assert_eq(rel_audit(tr, sy, ct, &o, &r1, &e), PA_OK, "%s", e.msg);
    o.jobs = 3;
    cr_assert_eq(rel_audit(tr, sy, ct, &o, &r3, &e), PA_OK, "%s", e.msg);
    same_result(r1, r3);
    rel_result_free(r1);
    rel_result_free(r3);
    tbl_free(tr), tbl_free(ct), tbl_free(sy);
    schema_free(s);
}

Test(release, rejects_bad_columns_and_options)
{
    schema *s;
    pa_err e = {0};
    cr_assert_eq(schema_parse(FIX_SCHEMA, "fixture", &s, &e), PA_OK, "%s", e.msg);
    table *tr = read_fixture(s, "train"), *sy = read_fixture(s, "synth");
    rel_opts o;
    rel_opts_default(&o);
    rel_result *r = NULL;
    static const int numeric[] = {0}, both[] = {2};
    o.secrets = numeric, o.n_secrets = 1;
    cr_assert_eq(rel_audit(tr, sy, NULL, &o, &r, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "numeric"), "%s", e.msg);
    cr_assert_null(r);
    rel_opts_default(&o);
    o.link_a = both, o.n_link_a = 1, o.link_b = both, o.n_link_b = 1;
    cr_assert_eq(rel_audit(tr, sy, NULL, &o, &r, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "in both sets"), "%s", e.msg);
    rel_opts_default(&o);
    o.so_cols = 0;
    cr_assert_eq(rel_audit(tr, sy, NULL, &o, &r, &e), PA_EINPUT);
    rel_opts_default(&o);
    o.alpha = 1.5;
    cr_assert_eq(rel_audit(tr, sy, NULL, &o, &r, &e), PA_EINPUT);
    tbl_free(tr), tbl_free(sy);
    schema_free(s);
}
