/* test_audit_cmd.c — `privaudit audit` end to end through the binary
 * (PRIVAUDIT_BIN): a copied release is found at risk with the exact figures,
 * an independent one is not, DCR against a disjoint holdout, the shadow game
 * on a copying external program, and bad input that writes nothing.
 *
 * Fixture (made here, no network, no `make data`): N = 2,000 records from a
 * fixed LCG with quasi-identifiers a (20 codes), b (20 codes), c (5 codes),
 * age (numeric 0..100, integer) and a binary secret s = f(a, b), a fixed
 * pseudo-random function of the pair, so the 3-way queries (a, b, s = 1)
 * answered by a copy of the real table determine every secret.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <sqlite3.h>

#include "tests/testutil.h"

#define FIX_N 2000

static char *dir;
static size_t fix_ones; /* records of the real fixture with s = 1 */

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* the secret as a function of (a, b): one bit of a mixed hash */
static int secret_of(int a, int b)
{
    uint64_t h = (uint64_t)(a * 31 + b) * 0x9E3779B97F4A7C15ULL;
    return (int)((h >> 40) & 1);
}

/* Writes n rows; age parity `odd` (0: even ages, 1: odd ones) keeps two
 * tables disjoint; secret_mode 0: s = f(a, b), 1: s an independent coin. */
static void write_table(const char *name, uint64_t seed, int n, int odd, int secret_mode, size_t *ones)
{
    char *p = tu_path(dir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fprintf(f, "a,b,c,age,s\n");
    uint64_t st = seed;
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        int a = (int)(lcg(&st) % 20), b = (int)(lcg(&st) % 20), c = (int)(lcg(&st) % 5);
        int age = 2 * (int)(lcg(&st) % 50) + odd;
        int s = secret_mode ? (int)(lcg(&st) >> 7 & 1) : secret_of(a, b);
        k += (size_t)s;
        fprintf(f, "%d,%d,%d,%d,%s\n", a, b, c, age, s ? "yes" : "no");
    }
    fclose(f);
    free(p);
    if (ones)
        *ones = k;
}

static void setup(void)
{
    dir = tu_tmpdir();
    cr_assert_not_null(dir);
    write_table("real.csv", 12345, FIX_N, 0, 0, &fix_ones);
    write_table("holdout.csv", 999, 500, 1, 0, NULL);     /* odd ages: never a real record */
    write_table("indep.csv", 4242, FIX_N, 0, 1, NULL);    /* same QIs' law, secret independent */
    free(tu_write(dir, "schema.json",
                  "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                  "{\"name\": \"a\", \"type\": \"categorical\", \"size\": 20, \"role\": \"qi\"},"
                  "{\"name\": \"b\", \"type\": \"categorical\", \"size\": 20, \"role\": \"qi\"},"
                  "{\"name\": \"c\", \"type\": \"categorical\", \"size\": 5, \"role\": \"qi\"},"
                  "{\"name\": \"age\", \"type\": \"numeric\", \"min\": 0, \"max\": 100, \"integer\": true, \"role\": \"qi\"},"
                  "{\"name\": \"s\", \"type\": \"categorical\", \"labels\": [\"no\", \"yes\"], \"role\": \"secret\"}]}"));
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
}

TestSuite(audit_cmd, .init = setup, .fini = teardown, .timeout = 120);

static double query_real(const char *db_path, const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    double v = NAN;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* Runs `privaudit audit --real real.csv --schema schema.json --quiet` plus extra args. */
static tu_result audit(const char *synth, const char *const *extra)
{
    char *real = tu_path(dir, "real.csv"), *sch = tu_path(dir, "schema.json"), *syn = tu_path(dir, synth);
    const char *args[40] = {"audit", "--real", real, "--synth", syn, "--schema", sch, "--quiet"};
    size_t k = 8;
    for (size_t i = 0; extra && extra[i] && k < 39; i++)
        args[k++] = extra[i];
    args[k] = NULL;
    tu_result r = tu_run(dir, args);
    free(real);
    free(sch);
    free(syn);
    return r;
}

Test(audit_cmd, a_copied_release_gives_every_secret_away_with_the_exact_interval_and_dcr)
{
    char *out = tu_path(dir, "out"), *hold = tu_path(dir, "holdout.csv");
    const char *extra[] = {"--out", out, "--holdout", hold, NULL};
    tu_result r = audit("real.csv", extra);
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    tu_result_free(&r);
    char *db = tu_path(dir, "out/audit.db"), *md = tu_path(dir, "out/audit.md");
    /* exact counts from the real table: the (a, b, s=1) queries fix every x_j */
    cr_assert_eq(query_real(db, "SELECT correct FROM audit_recon WHERE method = 'lp'"), FIX_N);
    cr_assert_eq(query_real(db, "SELECT confident FROM audit_recon WHERE method = 'lp'"), FIX_N);
    /* the nearest synthetic record of a copy is the record itself (ties share its (a, b), hence its s) */
    cr_assert_eq(query_real(db, "SELECT correct FROM audit_recon WHERE method = 'nearest'"), FIX_N);
    /* Clopper-Pearson for k = n: lower end (alpha/2)^(1/n); 0.025^(1/2000) =
     * 0.998157260206594 (python3: 0.025**(1/2000)); tolerance 1e-9 */
    double lo = query_real(db, "SELECT lo FROM audit_recon WHERE method = 'lp'");
    cr_assert(fabs(lo - 0.998157260206594) < 1e-9, "lo = %.15g", lo);
    cr_assert_eq(query_real(db, "SELECT hi FROM audit_recon WHERE method = 'lp'"), 1);
    /* baseline: the majority share counted here from the fixture */
    double base = (double)(fix_ones > FIX_N - fix_ones ? fix_ones : FIX_N - fix_ones) / FIX_N;
    cr_assert(fabs(query_real(db, "SELECT baseline FROM audit_recon WHERE method = 'lp'") - base) < 1e-12);
    cr_assert_eq(query_real(db, "SELECT ones FROM audit_recon WHERE method = 'lp'"), (double)fix_ones);
    cr_assert_eq(query_real(db, "SELECT excess FROM audit_recon WHERE method = 'lp'"),
                 (double)(FIX_N - (fix_ones > FIX_N - fix_ones ? fix_ones : FIX_N - fix_ones)));
    cr_assert_eq(query_real(db, "SELECT at_risk FROM audit_recon WHERE method = 'lp'"), 1);
    /* every minority-bit record is named, and rightly: precision k = n = the
     * minority count, lower end (alpha/2)^(1/n) as above */
    double nmin = (double)(fix_ones < FIX_N - fix_ones ? fix_ones : FIX_N - fix_ones);
    cr_assert_eq(query_real(db, "SELECT says_minority FROM audit_recon WHERE method = 'lp'"), nmin);
    double mlo = query_real(db, "SELECT minority_lo FROM audit_recon WHERE method = 'lp'");
    cr_assert(fabs(mlo - pow(0.025, 1 / nmin)) < 1e-9, "minority_lo %.15g", mlo);
    cr_assert_eq(query_real(db, "SELECT singles_out FROM audit_recon WHERE method = 'lp'"), 1);
    cr_assert_eq(query_real(db, "SELECT count(*) FROM audit_record"), FIX_N);
    cr_assert_eq(query_real(db, "SELECT sum(n) FROM audit_band WHERE method = 'lp'"), FIX_N);
    /* DCR: every real record is in the release (distance 0); no holdout record
     * is (odd ages), so AUC = 1 and every real record is closer than all of them */
    cr_assert_eq(query_real(db, "SELECT auc FROM audit_dcr"), 1);
    cr_assert_eq(query_real(db, "SELECT beyond_holdout FROM audit_dcr"), 1);
    cr_assert_eq(query_real(db, "SELECT exact_real FROM audit_dcr"), 1);
    cr_assert_eq(query_real(db, "SELECT exact_holdout FROM audit_dcr"), 0);
    cr_assert_eq(query_real(db, "SELECT leak FROM audit_dcr"), 1);
    /* Mann-Whitney null sd sqrt((n+h+1)/(12 n h)) = sqrt(2501/12e6)
     * (python3: (2501/12e6)**0.5 = 0.014436643192469178); tolerance 1e-12 */
    double sd = query_real(db, "SELECT auc_null_sd FROM audit_dcr");
    cr_assert(fabs(sd - 0.014436643192469178) < 1e-12, "sd %.12g", sd);
    cr_assert_eq(query_real(db, "SELECT count(*) FROM audit_dcr_record WHERE part = 'holdout' AND distance > 0"), 500);
    char *text = tu_slurp(md);
    cr_assert(strstr(text, "**s = yes is AT RISK.**"), "%s", text);
    cr_assert(strstr(text, "2,000 of 2,000 real records (100.0%"), "%s", text);
    cr_assert(strstr(text, "AUC 1.000"), "%s", text);
    free(text);
    free(db);
    free(md);
    free(out);
    free(hold);
}

Test(audit_cmd, a_release_whose_secret_is_independent_stays_near_the_baseline)
{
    char *out = tu_path(dir, "indep");
    const char *extra[] = {"--out", out, NULL};
    tu_result r = audit("indep.csv", extra);
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    tu_result_free(&r);
    char *db = tu_path(dir, "indep/audit.db");
    /* The synthetic secrets carry no information on the real ones, so each
     * prediction is independent of the truth given the QIs. Predictions are
     * correlated within the 400 (a, b) groups of ~5 records, which share s:
     * accuracy is a mean of 400 cluster terms, variance <= 400·5²/(4·2000²)
     * = 6.25e-4, sd <= 0.025; |acc - 1/2| <= 4 sd = 0.1 (plus the secret's
     * imbalance |ones/N - 1/2|, which is added below). */
    double imb = fabs((double)fix_ones / FIX_N - 0.5);
    const char *m[] = {"lp", "classifier", "nearest"};
    for (size_t i = 0; i < 3; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT accuracy FROM audit_recon WHERE method = '%s'", m[i]);
        double acc = query_real(db, sql);
        cr_assert(fabs(acc - 0.5) <= 0.1 + imb, "%s accuracy %g", m[i], acc);
    }
    free(db);
    free(out);
}

Test(audit_cmd, a_secret_with_more_codes_is_audited_one_code_at_a_time_and_audits_accumulate)
{
    char *out = tu_path(dir, "multi");
    const char *extra[] = {"--out", out, "--secret", "c", "--k", "2", NULL};
    tu_result r = audit("indep.csv", extra);
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    tu_result_free(&r);
    r = audit("indep.csv", extra);
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    tu_result_free(&r);
    char *db = tu_path(dir, "multi/audit.db");
    cr_assert_eq(query_real(db, "SELECT count(*) FROM audit"), 2);
    /* c has 5 codes: 5 bits × 3 attacks per audit */
    cr_assert_eq(query_real(db, "SELECT count(*) FROM audit_recon WHERE audit_id = 2"), 15);
    cr_assert_eq(query_real(db, "SELECT count(DISTINCT code) FROM audit_recon WHERE secret = 'c'"), 5);
    /* the bit of code 3 counts the real records with c = 3, whatever the attack */
    cr_assert_eq(query_real(db, "SELECT count(DISTINCT ones) FROM audit_recon WHERE code = 3"), 1);
    cr_assert_eq(query_real(db, "SELECT sum(ones) FROM audit_recon WHERE audit_id = 1 AND method = 'lp'"), FIX_N);
    free(db);
    free(out);
}

Test(audit_cmd, the_shadow_game_on_a_copying_program_finds_every_member)
{
    char *out = tu_path(dir, "shadow");
    /* the program releases the last {rows} rows of its training set: the
     * members, appended last, always among them (an external program may
     * not write more rows than {rows}, generators/external.c) */
    const char *extra[] = {"--out", out, "--games", "20", "--targets", "2", "--k", "2",
                           "--generator-cmd",
                           "/bin/sh -c '(head -n 1 \"$1\"; tail -n \"$3\" \"$1\") > \"$2\"' sh {train} {out} {rows}",
                           NULL};
    /* a build without the external generator must say so and write nothing */
    const char *ga[] = {"gen", "--help", NULL};
    tu_result g = tu_run(dir, ga);
    int have_external = strstr(g.out, "  external ") != NULL;
    tu_result_free(&g);
    tu_result r = audit("indep.csv", extra);
    if (!have_external) {
        cr_assert_eq(r.code, 2, "stderr: %s", r.err);
        cr_assert(strstr(r.err, "not available"), "stderr: %s", r.err);
        cr_assert_not(tu_exists(out));
        tu_result_free(&r);
        free(out);
        cr_skip_test("the generator \"external\" is not registered in this build (generators/gen.c)");
    }
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    tu_result_free(&r);
    char *db = tu_path(dir, "shadow/audit.db"), *md = tu_path(dir, "shadow/audit.md");
    cr_assert(tu_exists(md));
    cr_assert_eq(query_real(db, "SELECT count(*) FROM trial WHERE status = 'ok'"), 20);
    /* the release is the training set: a member target is at distance 0, a
     * non-member (an isolated record, no duplicate) is not: AUC exactly 1 */
    cr_assert_eq(query_real(db, "SELECT value FROM metric WHERE attack = 'dcr' AND target_id IS NULL AND name = 'auc'"),
                 1);
    cr_assert_eq(query_real(db, "SELECT count(*) FROM audit WHERE shadow_config IS NOT NULL"), 1);
    char *text = tu_slurp(md);
    cr_assert(strstr(text, "## Shadow-generator membership game"), "%s", text);
    cr_assert(strstr(text, "| dcr | 1 | 1 |"), "%s", text);
    free(text);
    free(db);
    free(md);
    free(out);
}

Test(audit_cmd, releases_made_by_privaudit_gen_resample_and_mst_are_audited)
{
    char *real = tu_path(dir, "real.csv"), *sch = tu_path(dir, "schema.json");
    const char *gens[2][3] = {{"resample", "inf", "syn-resample.csv"}, {"mst", "1", "syn-mst.csv"}};
    for (int g = 0; g < 2; g++) {
        char *syn = tu_path(dir, gens[g][2]);
        const char *args[] = {"gen", gens[g][0], "--data", real, "--schema", sch, "--epsilon", gens[g][1],
                              "--rows", "2000", "--out", syn, "--seed", "3", NULL};
        tu_result r = tu_run(dir, args);
        cr_assert_eq(r.code, 0, "gen %s: %s", gens[g][0], r.err);
        tu_result_free(&r);
        free(syn);
    }
    char *out = tu_path(dir, "r1"), *hold = tu_path(dir, "holdout.csv");
    const char *extra[] = {"--out", out, "--holdout", hold, NULL};
    tu_result r = audit("syn-resample.csv", extra);
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    tu_result_free(&r);
    char *db = tu_path(dir, "r1/audit.db");
    /* resample draws m = n rows with replacement: a real record is copied
     * with probability 1 - (1 - 1/n)^n = 0.6322 (n = 2000); the share copied
     * has sd <= sqrt(0.6322·0.3678/2000) = 0.0108, and the ~20 duplicate
     * pairs of the fixture add at most 0.01: bound 0.6322 ± 0.05. No holdout
     * record (odd ages) can be at distance 0. */
    double ex = query_real(db, "SELECT exact_real FROM audit_dcr");
    cr_assert(fabs(ex - 0.6322) < 0.05, "exact_real %g", ex);
    cr_assert_eq(query_real(db, "SELECT exact_holdout FROM audit_dcr"), 0);
    free(db);
    free(out);
    out = tu_path(dir, "r2");
    const char *extra2[] = {"--out", out, "--holdout", hold, NULL};
    r = audit("syn-mst.csv", extra2);
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    tu_result_free(&r);
    char *md = tu_path(dir, "r2/audit.md");
    char *text = tu_slurp(md);
    cr_assert(strstr(text, "## Verdict") && strstr(text, "**Membership (distance"), "%s", text);
    free(text);
    free(md);
    free(out);
    free(hold);
    free(real);
    free(sch);
}

typedef struct bad_case {
    const char *synth;       /* file in dir */
    const char *args[6];
    const char *expect;      /* substring of stderr */
} bad_case;

Test(audit_cmd, bad_input_exits_2_with_a_message_naming_it_and_writes_nothing)
{
    free(tu_write(dir, "broken.csv", "a,b,c,age,s\n1,2,3,40,yes\n1,2,3,40,maybe\n"));
    free(tu_write(dir, "noqi.json",
                  "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                  "{\"name\": \"a\", \"type\": \"categorical\", \"size\": 20},"
                  "{\"name\": \"b\", \"type\": \"categorical\", \"size\": 20},"
                  "{\"name\": \"c\", \"type\": \"categorical\", \"size\": 5},"
                  "{\"name\": \"age\", \"type\": \"numeric\", \"min\": 0, \"max\": 100},"
                  "{\"name\": \"s\", \"type\": \"categorical\", \"labels\": [\"no\", \"yes\"], \"role\": \"secret\"}]}"));
    char *noqi = tu_path(dir, "noqi.json");
    const bad_case cases[] = {
        {"broken.csv", {NULL}, "broken.csv:3"},
        {"indep.csv", {"--secret", "zz", NULL}, "--secret zz"},
        {"indep.csv", {"--secret", "age", NULL}, "\"age\" is numeric"},
        {"indep.csv", {"--k", "9", NULL}, "--k"},
        {"indep.csv", {"--generator-cmd", "/bin/true {train}", NULL}, "{out}"},
        {"indep.csv", {"--generator-cmd", "prog 'unterminated {train} {out}", NULL}, "unterminated"},
        {"indep.csv", {"--schema", noqi, NULL}, "no quasi-identifier"},
        {"missing.csv", {NULL}, "missing.csv"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = tu_path(dir, "badout");
        const char *extra[10] = {"--out", out};
        size_t k = 2;
        for (size_t j = 0; cases[i].args[j]; j++)
            extra[k++] = cases[i].args[j];
        extra[k] = NULL;
        tu_result r = audit(cases[i].synth, extra);
        cr_expect_eq(r.code, 2, "case %zu: exit %d, stderr: %s", i, r.code, r.err);
        cr_expect(strstr(r.err, cases[i].expect), "case %zu: stderr \"%s\" lacks \"%s\"", i, r.err, cases[i].expect);
        cr_expect_not(tu_exists(out), "case %zu wrote %s", i, out);
        tu_result_free(&r);
        free(out);
    }
    free(noqi);
    const char *args[] = {"audit", "--help", NULL};
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 0);
    cr_assert(strstr(r.out, "--generator-cmd"));
    tu_result_free(&r);
}
