/* test_scores.c — `privaudit epsilon --scores` and `privaudit export-scores`
 * through the binary: a run's exported scores give back its stored
 * estimates exactly (issue 11, must-show 5), and bad CSV input is refused
 * with file:line:field and exit code 2. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tests/testutil.h"

static char *dir;

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* 800 records of 3 categorical and 2 numeric columns, one outlier (row 0) */
static void write_fixture(void)
{
    char *p = tu_path(dir, "data.csv");
    FILE *f = fopen(p, "w");
    fprintf(f, "colour,size,region,age,income\n");
    fprintf(f, "violet,XL,north,99,250000\n");
    uint64_t s = 12345;
    const char *colours[] = {"red", "green", "blue"};
    const char *sizes[] = {"S", "M", "L"};
    const char *regions[] = {"east", "west", "south"};
    for (int i = 1; i < 800; i++)
        fprintf(f, "%s,%s,%s,%d,%d\n", colours[lcg(&s) % 3], sizes[lcg(&s) % 3], regions[lcg(&s) % 3],
                (int)(20 + lcg(&s) % 40), (int)(20000 + 1000 * (lcg(&s) % 60)));
    fclose(f);
    free(p);
    free(tu_write(dir, "schema.json",
                  "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                  "{\"name\": \"colour\", \"type\": \"categorical\", \"labels\": [\"red\",\"green\",\"blue\",\"violet\"]},"
                  "{\"name\": \"size\", \"type\": \"categorical\", \"labels\": [\"S\",\"M\",\"L\",\"XL\"]},"
                  "{\"name\": \"region\", \"type\": \"categorical\", \"labels\": [\"east\",\"west\",\"south\",\"north\"]},"
                  "{\"name\": \"age\", \"type\": \"numeric\", \"min\": 0, \"max\": 100, \"integer\": true},"
                  "{\"name\": \"income\", \"type\": \"numeric\", \"min\": 0, \"max\": 300000}]}"));
}

static void setup(void)
{
    dir = tu_tmpdir();
    cr_assert_not_null(dir);
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
}

TestSuite(scores, .init = setup, .fini = teardown, .timeout = 240);

/* a stored real (NAN for NULL) equals a JSON number (null for a non-finite one) exactly */
static int same(double db, const cJSON *j)
{
    if (!j)
        return 0;
    if (cJSON_IsNull(j))
        return !isfinite(db);
    return cJSON_IsNumber(j) && j->valuedouble == db;
}

static double col(sqlite3_stmt *s, int k)
{
    return sqlite3_column_type(s, k) == SQLITE_NULL ? NAN : sqlite3_column_double(s, k);
}

Test(scores, exported_scores_give_back_the_stored_estimates_exactly)
{
    write_fixture();
    free(tu_write(dir, "c.json",
                  "{\"format\": \"privaudit-config/1\", \"name\": \"s\", \"seed\": 3,"
                  " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
                  " \"train_size\": 200, \"games\": 160, \"targets\": {\"select\": \"isolated\", \"count\": 2},"
                  " \"generators\": [{\"name\": \"resample\"}, {\"name\": \"marginals\", \"epsilon\": 4}],"
                  " \"attacks\": [{\"name\": \"dcr\"}, {\"name\": \"query\"}]}"));
    char *cfg = tu_path(dir, "c.json"), *db = tu_path(dir, "c.db"), *csv = tu_path(dir, "s.csv");
    const char *args[] = {"run", cfg, "--db", db, "--jobs", "2", "--quiet", NULL};
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    int checked = 0, profiles = 0, fits = 0;
    const char *attacks[] = {"dcr", "query"};
    for (int cell = 0; cell < 2; cell++)
        for (int a = 0; a < 2; a++)
            for (int t = -1; t < 2; t++) {
                char cs[16], ts[16];
                snprintf(cs, sizeof cs, "%d", cell);
                snprintf(ts, sizeof ts, "%d", t);
                const char *ex[] = {"export-scores", "--db", db, "--cell", cs, "--attack", attacks[a], "--out", csv,
                                    t >= 0 ? "--target" : NULL, ts, NULL};
                r = tu_run(dir, ex);
                cr_assert_eq(r.code, 0, "%s", r.err);
                /* the second line is the command that reproduces the run's estimates */
                char *line = strstr(r.out, "privaudit epsilon --scores");
                cr_assert_not_null(line, "no command printed: %s", r.out);
                char *nl = strchr(line, '\n');
                if (nl)
                    *nl = 0;
                const char *ea[32];
                size_t k = 0;
                for (char *tok = strtok(line + strlen("privaudit "), " "); tok && k < 30; tok = strtok(NULL, " "))
                    ea[k++] = tok;
                ea[k++] = "--json";
                ea[k] = NULL;
                tu_result e = tu_run(dir, ea);
                cr_assert_eq(e.code, 0, "%s", e.err);
                cJSON *o = cJSON_Parse(e.out);
                cr_assert_not_null(o, "%s", e.out);
                const cJSON *rows = cJSON_GetObjectItem(o, "estimates");
                sqlite3_stmt *s;
                cr_assert_eq(sqlite3_prepare_v2(h,
                                                "SELECT method, lo, point, hi, threshold, tp, fn, fp, tn, claimed,"
                                                " p_exceeds, violation FROM estimate WHERE cell_id = ?1 AND"
                                                " attack = ?2 AND ifnull(target_id, -1) = ?3 ORDER BY rowid",
                                                -1, &s, NULL),
                             SQLITE_OK);
                sqlite3_bind_int(s, 1, cell);
                sqlite3_bind_text(s, 2, attacks[a], -1, SQLITE_STATIC);
                sqlite3_bind_int(s, 3, t);
                int i = 0;
                while (sqlite3_step(s) == SQLITE_ROW) {
                    const cJSON *w = cJSON_GetArrayItem(rows, i++);
                    cr_assert_not_null(w, "cell %d %s target %d: fewer rows from the scores", cell, attacks[a], t);
                    const char *m = (const char *)sqlite3_column_text(s, 0);
                    cr_assert_str_eq(cJSON_GetObjectItem(w, "method")->valuestring, m);
                    static const char *keys[] = {"lo", "point", "hi", "threshold", "tp", "fn", "fp", "tn",
                                                 "claimed", "p_exceeds"};
                    for (int q = 0; q < 10; q++)
                        cr_assert(same(col(s, q + 1), cJSON_GetObjectItem(w, keys[q])),
                                  "cell %d %s target %d %s.%s: stored %.17g, from the scores %s", cell, attacks[a],
                                  t, m, keys[q], col(s, q + 1), cJSON_PrintUnformatted(cJSON_GetObjectItem(w, keys[q])));
                    cr_assert_eq(sqlite3_column_int(s, 11), cJSON_IsTrue(cJSON_GetObjectItem(w, "violation")));
                    profiles += !strcmp(m, "profile");
                    fits += !strcmp(m, "gdp_fit");
                    checked++;
                }
                cr_assert_eq(i, cJSON_GetArraySize(rows), "cell %d %s target %d: more rows from the scores", cell,
                             attacks[a], t);
                sqlite3_finalize(s);
                cJSON_Delete(o);
                tu_result_free(&e);
                tu_result_free(&r);
            }
    sqlite3_close(h);
    /* both cells have fits; the marginals cell (zCDP) the profile test too */
    cr_assert_geq(fits, 12);
    cr_assert_geq(profiles, 6);
    cr_assert_geq(checked, 40);
    free(cfg);
    free(db);
    free(csv);
}

static void expect_bad(const char *name, const char *text, const char *msg)
{
    char *p = tu_write(dir, name, text);
    const char *args[] = {"epsilon", "--scores", p, NULL};
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 2, "%s: exit %d, %s", name, r.code, r.err);
    cr_assert(strstr(r.err, msg), "%s: expected \"%s\" in: %s", name, msg, r.err);
    tu_result_free(&r);
    free(p);
}

Test(scores, bad_csv_is_refused_with_file_line_and_field)
{
    expect_bad("h.csv", "score,label\n1,0\n", "h.csv:1: header");
    expect_bad("m.csv", "score,member\n1,0\n2,2\n", "m.csv:3: member: expected 0 or 1");
    expect_bad("s.csv", "score,member\n1,0\nnan,1\n", "s.csv:3: score: expected a finite number");
    expect_bad("e.csv", "score,member\n1,0\n,1\n", "e.csv:3: score");
    expect_bad("p.csv", "score,member,split\n1,0,test\n2,1,train\n", "p.csv:3: split: expected `calibration` or `test`");
    expect_bad("f.csv", "score,member,split\n1,0\n", "f.csv:2: expected 3 comma-separated fields");
    expect_bad("g.csv", "score,member\n1,0,test\n", "g.csv:2: expected 2 comma-separated fields");
    expect_bad("o.csv", "score,member\n1,1\n2,1\n", "member: expected both members");
    expect_bad("z.csv", "", "empty file");
    expect_bad("n.csv", "score,member\n", "no rows after the header");
    char *p = tu_write(dir, "x.csv", "score,member,split\n1,0,test\n2,1,calibration\n");
    const char *args[] = {"epsilon", "--scores", p, "--calibration", "0.3", NULL};
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 2);
    cr_assert(strstr(r.err, "--calibration"), "%s", r.err);
    tu_result_free(&r);
    free(p);
    const char *miss[] = {"epsilon", "--scores", "/nonexistent/x.csv", NULL};
    r = tu_run(dir, miss);
    cr_assert_eq(r.code, 2);
    tu_result_free(&r);
}

Test(scores, a_nul_byte_is_refused_with_its_line_not_read_as_the_end_of_the_field)
{
    /* "0,1\0" would read as member 0 if the NUL ended the line; the run's CSV reader refuses NULs too */
    static const char text[] = "score,member\n0.5,1\n0.25,0\0garbage\n0.75,1\n";
    char *p = tu_path(dir, "nul.csv");
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
    fclose(f);
    const char *args[] = {"epsilon", "--scores", p, NULL};
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 2, "exit %d, %s", r.code, r.err);
    cr_assert(strstr(r.err, "nul.csv:3: contains a NUL byte"), "%s", r.err);
    cr_assert_str_empty(r.out);
    tu_result_free(&r);
    free(p);
}

/* A split holding one class only: its estimates cannot be computed, and the
 * output says so (text and JSON) instead of leaving rows and the verdict out
 * without a word. 40 rows: calibration 10 members + 10 non-members, test 20
 * members only; then the same with the calibration split all non-members. */
Test(scores, a_split_without_one_class_is_said_in_words_not_left_silently_out)
{
    char text[2][2048];
    for (int v = 0; v < 2; v++) {
        size_t len = (size_t)sprintf(text[v], "score,member,split\n");
        for (int i = 0; i < 40; i++) {
            int cal = i < 20, m = v == 0 ? (cal ? i % 2 : 1) : (cal ? 0 : i % 2);
            len += (size_t)sprintf(text[v] + len, "%g,%d,%s\n", m + i / 100.0, m, cal ? "calibration" : "test");
        }
    }
    char *p = tu_write(dir, "one.csv", text[0]);
    const char *a[] = {"epsilon", "--scores", p, "--claimed", "1", NULL};
    tu_result r = tu_run(dir, a);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "note: the test split (20 of 40 rows) holds no non-members"), "%s", r.out);
    cr_assert(strstr(r.out, "verdict: none for the claimed epsilon 1"), "%s", r.out);
    cr_assert_null(strstr(r.out, "note: the calibration split"), "%s", r.out);
    tu_result_free(&r);
    const char *aj[] = {"epsilon", "--scores", p, "--claimed", "1", "--json", NULL};
    r = tu_run(dir, aj);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cJSON *o = cJSON_Parse(r.out);
    cr_assert_not_null(o, "%s", r.out);
    const cJSON *notes = cJSON_GetObjectItem(o, "notes");
    cr_assert(cJSON_IsArray(notes) && cJSON_GetArraySize(notes) == 1, "%s", r.out);
    cr_assert(strstr(cJSON_GetArrayItem(notes, 0)->valuestring, "test split"));
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "estimates")), 1); /* the GDP fit alone */
    cJSON_Delete(o);
    tu_result_free(&r);
    free(p);
    p = tu_write(dir, "cal.csv", text[1]);
    const char *b[] = {"epsilon", "--scores", p, NULL};
    r = tu_run(dir, b);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "note: the calibration split (20 of 40 rows) holds no members: no threshold"), "%s",
              r.out);
    cr_assert_null(strstr(r.out, "note: the test split"), "%s", r.out);
    tu_result_free(&r);
    free(p);
}

Test(scores, without_a_split_the_calibration_share_is_drawn_with_the_seed)
{
    /* 400 scores: members 1 + i/100, non-members i/100 */
    char *text = malloc(400 * 32 + 32);
    size_t len = (size_t)sprintf(text, "score,member\n");
    for (int i = 0; i < 400; i++)
        len += (size_t)sprintf(text + len, "%g,%d\n", (i % 2 ? 1 : 0) + (i % 100) / 100.0, i % 2);
    char *p = tu_write(dir, "ns.csv", text);
    free(text);
    const char *a1[] = {"epsilon", "--scores", p, "--calibration", "0.25", "--seed", "9", "--json", NULL};
    tu_result r1 = tu_run(dir, a1), r2 = tu_run(dir, a1);
    cr_assert_eq(r1.code, 0, "%s", r1.err);
    cr_assert_str_eq(r1.out, r2.out, "the same seed gave different estimates");
    cJSON *o = cJSON_Parse(r1.out);
    cr_assert_eq(cJSON_GetObjectItem(o, "n")->valuedouble, 400);
    cr_assert_eq(cJSON_GetObjectItem(o, "n_calibration")->valuedouble, 100);
    /* test split: 300 rows; the point row's counts sum to them */
    const cJSON *pt = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "estimates"), 0);
    cr_assert_str_eq(cJSON_GetObjectItem(pt, "method")->valuestring, "point");
    double sum = 0;
    const char *k4[] = {"tp", "fn", "fp", "tn"};
    for (int k = 0; k < 4; k++)
        sum += cJSON_GetObjectItem(pt, k4[k])->valuedouble;
    cr_assert_eq(sum, 300);
    cJSON_Delete(o);
    tu_result_free(&r1);
    tu_result_free(&r2);
    free(p);
}

/* The verdict: the family of the Bayesian test (and the profile test with
 * --rho) at alpha/(2k). 2,000 scores, every second row a member, half of each
 * class in the calibration split. Separated scores (members 1 + u, non-members
 * u) against a claim of 0.5 violate by far (a clean split of 500 per class
 * gives a lower bound near 3); scores that ignore membership (one uniform u
 * for both classes) never violate a claim of 1. */
static cJSON *verdict_of(const char *name, int separated, const char *const *extra)
{
    char *text = malloc(2000 * 40 + 32);
    size_t len = (size_t)sprintf(text, "score,member,split\n");
    uint64_t st = 77;
    for (int i = 0; i < 2000; i++)
        len += (size_t)sprintf(text + len, "%.6f,%d,%s\n", (separated && i % 2 ? 1.0 : 0.0) + (double)lcg(&st) / 2147483648.0,
                               i % 2, i % 4 < 2 ? "calibration" : "test");
    char *p = tu_write(dir, name, text);
    free(text);
    const char *args[12] = {"epsilon", "--scores", p, "--json"};
    size_t k = 4;
    for (size_t j = 0; extra[j]; j++)
        args[k++] = extra[j];
    args[k] = NULL;
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cJSON *o = cJSON_Parse(r.out);
    cr_assert_not_null(o, "%s", r.out);
    tu_result_free(&r);
    free(p);
    return o;
}

Test(scores, the_verdict_is_the_family_wise_test_of_the_report)
{
    static const char *const claim05[] = {"--claimed", "0.5", NULL}, *const claim1rho[] = {"--claimed", "1", "--rho",
                                                                                          "0.02", NULL};
    static const char *const none[] = {NULL};
    cJSON *o = verdict_of("sep.csv", 1, claim05);
    const cJSON *v = cJSON_GetObjectItem(o, "verdict");
    cr_assert_not_null(v);
    cr_assert_eq(cJSON_GetObjectItem(v, "tests")->valuedouble, 1);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(v, "violation")));
    cr_assert_str_eq(cJSON_GetObjectItem(v, "by")->valuestring, "bayes");
    cJSON_Delete(o);
    o = verdict_of("null.csv", 0, claim1rho);
    v = cJSON_GetObjectItem(o, "verdict");
    cr_assert_not_null(v);
    cr_assert_eq(cJSON_GetObjectItem(v, "tests")->valuedouble, 2);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(v, "violation")));
    cr_assert_null(cJSON_GetObjectItem(v, "by"));
    cJSON_Delete(o);
    o = verdict_of("noclaim.csv", 1, none); /* no claim, no verdict */
    cr_assert_null(cJSON_GetObjectItem(o, "verdict"));
    cJSON_Delete(o);
}

/* Found by the QA pass of 2026-12-02, fixed the same day. An attack whose score is a constant carries
 * no information, so no test may refute any claim with it; but at a small claim the profile test did:
 * 400 equal scores (200 members) are counted at the corner FNR = 0, FPR = 1, on the chance line and
 * inside every (ε, δ) region, yet the posterior mass outside the region (a band of width ~2ε·x around
 * the chance line there, with corners) was 0.993 for ε = 0.02 (ρ = 2.28e-5, δ = 1e-5): verdict
 * VIOLATION; random scores against ρ = 1e-6 were flagged in 10 of 10 seeds. The test now counts the
 * test split against the one supporting line of the profile chosen on the calibration split
 * (eps_profile_choose), whose posterior mass is a p-value. Random scores: 20 runs (10 seeds × 400 and
 * 40 scores), each a correct claim, so each flags with probability at most about α/2 = 0.05; more than
 * 3 of 20 has probability 0.016 under that bound (the old test flagged 20 of 20). */
Test(scores, a_constant_score_never_refutes_a_small_claim_by_the_profile_test)
{
    char text[400 * 8 + 32];
    size_t len = (size_t)sprintf(text, "score,member\n");
    for (int i = 0; i < 400; i++)
        len += (size_t)sprintf(text + len, "0.5,%d\n", i % 2);
    char *p = tu_write(dir, "const.csv", text);
    const char *a[] = {"epsilon", "--scores", p, "--claimed", "0.02", "--rho", "2.2792e-05", NULL};
    tu_result r = tu_run(dir, a);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "verdict: no violation"), "a constant score refuted the claim:\n%s", r.out);
    tu_result_free(&r);
    free(p);
}

Test(scores, random_scores_rarely_refute_a_tiny_claim_by_the_profile_test)
{
    static char text[400 * 24 + 32];
    unsigned long long st = 88172645463325252ULL;
    int flagged = 0;
    for (int seed = 0; seed < 10; seed++)
        for (int big = 0; big < 2; big++) {
            int n = big ? 400 : 40;
            size_t len = (size_t)sprintf(text, "score,member\n");
            for (int i = 0; i < n; i++) {
                st ^= st << 13; /* xorshift64 */
                st ^= st >> 7;
                st ^= st << 17;
                len += (size_t)sprintf(text + len, "%.6f,%d\n", (double)(st >> 11) / 9007199254740992.0, i % 2);
            }
            char *p = tu_write(dir, "rand.csv", text);
            /* ρ = 1e-6 is (0.006797, 1e-5)-DP */
            const char *a[] = {"epsilon", "--scores", p, "--claimed", "0.006797", "--rho", "1e-6", NULL};
            tu_result r = tu_run(dir, a);
            cr_assert_eq(r.code, 0, "%s", r.err);
            cr_assert(strstr(r.out, "verdict: "), "no verdict line:\n%s", r.out);
            flagged += strstr(r.out, "verdict: no violation") == NULL;
            tu_result_free(&r);
            free(p);
        }
    cr_expect_leq(flagged, 3, "random scores refuted a correct tiny claim in %d of 20 runs", flagged);
}
