/* test_run.c — the whole membership game through the privaudit binary:
 * leaks found, --jobs independence, SIGKILL + --resume, bad input. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdint.h>
#include <sqlite3.h>

#include "tests/testutil.h"

static char *dir;

/* A fixture data set made here: N records of 3 categorical and 2 numeric
 * columns drawn from a fixed LCG, plus one outlier record (row 0) that no
 * other record resembles, so "isolated" target selection must pick it. */
#define FIX_N 1500

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static void write_fixture(void)
{
    char *p = tu_path(dir, "data.csv");
    FILE *f = fopen(p, "w");
    fprintf(f, "colour,size,region,age,income\n");
    fprintf(f, "violet,XL,north,99,250000\n"); /* the outlier */
    uint64_t s = 12345;
    const char *colours[] = {"red", "green", "blue"};
    const char *sizes[] = {"S", "M", "L"};
    const char *regions[] = {"east", "west", "south"};
    for (int i = 1; i < FIX_N; i++)
        fprintf(f, "%s,%s,%s,%d,%d\n", colours[lcg(&s) % 3], sizes[lcg(&s) % 3], regions[lcg(&s) % 3],
                (int)(20 + lcg(&s) % 40), (int)(20000 + 1000 * (lcg(&s) % 60)));
    fclose(f);
    free(p);
    free(tu_write(dir, "schema.json",
                  "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                  "{\"name\": \"colour\", \"type\": \"categorical\", \"labels\": [\"red\",\"green\",\"blue\",\"violet\"]},"
                  "{\"name\": \"size\", \"type\": \"categorical\", \"labels\": [\"S\",\"M\",\"L\",\"XL\"]},"
                  "{\"name\": \"region\", \"type\": \"categorical\", \"labels\": [\"east\",\"west\",\"south\",\"north\"],"
                  " \"role\": \"qi\"},"
                  "{\"name\": \"age\", \"type\": \"numeric\", \"min\": 0, \"max\": 100, \"integer\": true},"
                  "{\"name\": \"income\", \"type\": \"numeric\", \"min\": 0, \"max\": 300000}]}"));
    /* the same as a draft inferred from the data: DP runs must refuse it */
    free(tu_write(dir, "inferred.json",
                  "{\"format\": \"privaudit-schema/1\", \"inferred\": true, \"columns\": ["
                  "{\"name\": \"colour\", \"type\": \"categorical\", \"labels\": [\"red\",\"green\",\"blue\",\"violet\"]},"
                  "{\"name\": \"size\", \"type\": \"categorical\", \"labels\": [\"S\",\"M\",\"L\",\"XL\"]},"
                  "{\"name\": \"region\", \"type\": \"categorical\", \"labels\": [\"east\",\"west\",\"south\",\"north\"]},"
                  "{\"name\": \"age\", \"type\": \"numeric\", \"min\": 20, \"max\": 99, \"integer\": true},"
                  "{\"name\": \"income\", \"type\": \"numeric\", \"min\": 20000, \"max\": 250000}]}"));
}

static void write_config(const char *name, int games, const char *generators)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"format\": \"privaudit-config/1\", \"name\": \"t\", \"seed\": 7,"
             " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
             " \"train_size\": 300, \"games\": %d, \"targets\": {\"select\": \"isolated\", \"count\": 2},"
             " \"generators\": [%s], \"attacks\": [{\"name\": \"dcr\"}]}",
             games, generators);
    free(tu_write(dir, name, text));
}

static void setup(void)
{
    dir = tu_tmpdir();
    cr_assert_not_null(dir);
    write_fixture();
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
}

TestSuite(run, .init = setup, .fini = teardown, .timeout = 120);

/* Every stored result except timings and timestamps, as one text. */
static char *dump(const char *db_path)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    const char *queries[] = {
        "SELECT id, cell_id, game, split, stream_seed, status, eps_spent, synth_hash FROM trial ORDER BY id",
        "SELECT * FROM membership ORDER BY trial_id, target_id",
        "SELECT * FROM score ORDER BY trial_id, target_id, attack",
        "SELECT * FROM target ORDER BY id",
        "SELECT * FROM metric ORDER BY cell_id, attack, target_id, name",
        "SELECT * FROM estimate ORDER BY cell_id, attack, target_id, method",
        "SELECT * FROM utility ORDER BY trial_id, name",
        "SELECT cell_id, game, status, k, dim, hex(member), hex(features) FROM shadow ORDER BY cell_id, game",
    };
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        sqlite3_stmt *s;
        cr_assert_eq(sqlite3_prepare_v2(db, queries[q], -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
        while (sqlite3_step(s) == SQLITE_ROW) {
            for (int k = 0; k < sqlite3_column_count(s); k++) {
                if (sqlite3_column_type(s, k) == SQLITE_FLOAT)
                    fprintf(f, "%.17g|", sqlite3_column_double(s, k));
                else
                    fprintf(f, "%s|", sqlite3_column_text(s, k) ? (const char *)sqlite3_column_text(s, k) : "NULL");
            }
            fputc('\n', f);
        }
        sqlite3_finalize(s);
    }
    fclose(f);
    sqlite3_close(db);
    return out;
}

static double query_real(const char *db_path, const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    double v = NAN;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

Test(run, resample_leaks_the_isolated_target_and_marginals_stay_within_their_claim)
{
    write_config("c.json", 400,
                 "{\"name\": \"resample\"}, {\"name\": \"marginals\", \"epsilon\": 1, \"delta\": 1e-5}");
    char *cfg = tu_path(dir, "c.json"), *db = tu_path(dir, "a.db");
    const char *args[] = {"run", cfg, "--db", db, "--jobs", "2", "--quiet", NULL};
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 0, "stderr: %s", r.err);
    tu_result_free(&r);
    /* the outlier (row 0) is the most isolated record */
    cr_assert_eq(query_real(db, "SELECT row FROM target WHERE id = 0"), 0);
    /* resample, m = n: the outlier is copied into the release with probability
     * 1-(1-1/301)^300 ≈ 0.63 when a member, and never otherwise, so TPR at
     * FPR 0 is about 0.63 on that target (binomial sd ≈ 0.034 over ~200 members) */
    double tpr = query_real(db, "SELECT value FROM metric WHERE cell_id = 0 AND target_id = 0 AND name = 'tpr@0.01'");
    cr_assert_gt(tpr, 0.5, "tpr@1%% = %g", tpr);
    double lo = query_real(db, "SELECT lo FROM estimate WHERE cell_id = 0 AND target_id = 0 AND method = 'bayes'");
    cr_assert_gt(lo, 1, "Bayesian lower bound %g", lo);
    /* marginals at ε = 1: no lower bound may exceed the claim */
    double viol = query_real(db, "SELECT count(*) FROM estimate WHERE cell_id = 1 AND violation = 1");
    cr_assert_eq(viol, 0);
    double mlo = query_real(db, "SELECT max(lo) FROM estimate WHERE cell_id = 1 AND method != 'point'");
    cr_assert_leq(mlo, 1.0);
    /* every planned trial stored once */
    cr_assert_eq(query_real(db, "SELECT count(*) FROM trial"), 800);
    cr_assert_eq(query_real(db, "SELECT count(DISTINCT synth_hash) > 700 FROM trial"), 1);
    free(cfg);
    free(db);
}

Test(run, results_do_not_depend_on_the_number_of_jobs)
{
    write_config("c.json", 60, "{\"name\": \"resample\"}, {\"name\": \"marginals\", \"epsilon\": [1, 10]}");
    char *cfg = tu_path(dir, "c.json"), *db1 = tu_path(dir, "j1.db"), *db2 = tu_path(dir, "j2.db");
    const char *a1[] = {"run", cfg, "--db", db1, "--jobs", "1", "--quiet", NULL};
    const char *a2[] = {"run", cfg, "--db", db2, "--jobs", "2", "--quiet", NULL};
    tu_result r1 = tu_run(dir, a1), r2 = tu_run(dir, a2);
    cr_assert_eq(r1.code, 0, "%s", r1.err);
    cr_assert_eq(r2.code, 0, "%s", r2.err);
    char *d1 = dump(db1), *d2 = dump(db2);
    cr_assert_gt(strlen(d1), 1000);
    cr_assert_str_eq(d1, d2);
    free(d1);
    free(d2);
    tu_result_free(&r1);
    tu_result_free(&r2);
    free(cfg);
    free(db1);
    free(db2);
}

Test(run, a_run_killed_at_any_point_resumes_to_the_same_results)
{
    write_config("c.json", 1500, "{\"name\": \"resample\"}, {\"name\": \"marginals\", \"epsilon\": 10}");
    char *cfg = tu_path(dir, "c.json"), *ref = tu_path(dir, "ref.db"), *db = tu_path(dir, "k.db");
    const char *aref[] = {"run", cfg, "--db", ref, "--quiet", NULL};
    tu_result r = tu_run(dir, aref);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    /* kill the first run after 30 ms, then kill resumed runs at growing delays */
    const char *first[] = {"run", cfg, "--db", db, "--jobs", "2", "--quiet", NULL};
    const char *again[] = {"run", cfg, "--db", db, "--jobs", "2", "--resume", "--quiet", NULL};
    const long delays[] = {30, 60, 120, 250};
    int killed_mid_run = 0;
    for (size_t k = 0; k < sizeof delays / sizeof delays[0]; k++) {
        pid_t pid = tu_spawn(tu_exists(db) ? again : first);
        cr_assert_gt(pid, 0);
        tu_sleep_ms(delays[k]);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        killed_mid_run += WIFSIGNALED(st);
    }
    cr_assert_gt(killed_mid_run, 0, "no run was killed mid-way: the test did not test anything");
    r = tu_run(dir, tu_exists(db) ? again : first);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    cr_assert_eq(query_real(db, "SELECT count(*) FROM trial"), 3000);
    cr_assert_eq(query_real(db, "SELECT count(DISTINCT id) FROM trial"), 3000);
    char *d1 = dump(ref), *d2 = dump(db);
    cr_assert_str_eq(d1, d2);
    free(d1);
    free(d2);
    free(cfg);
    free(ref);
    free(db);
}

/* The fixed game: one D for every trial, only the coins change. With a
 * crafted target (every column's rarest code in D: absent from it here) and
 * the resample generator at m = n, a non-member's release can never hold the
 * target, so dcr's score (minus the distance to the nearest synthetic record)
 * is below 0 in every non-member trial and 0 whenever the target was copied
 * (probability 1-(1-1/300)^300 ≈ 0.63 as a member, replace-one). The jobs
 * and a kill + resume change nothing. */
Test(run, the_fixed_game_with_a_crafted_target_is_reproducible_and_copies_are_found)
{
    free(tu_write(dir, "fx.json",
                  "{\"format\": \"privaudit-config/1\", \"name\": \"fx\", \"seed\": 5,"
                  " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"}, \"game\": \"fixed\","
                  " \"neighbours\": \"replace-one\", \"train_size\": 300, \"games\": 1500,"
                  " \"targets\": {\"select\": \"crafted\", \"count\": 1},"
                  " \"generators\": [{\"name\": \"resample\"}], \"attacks\": [{\"name\": \"dcr\"}]}"));
    char *cfg = tu_path(dir, "fx.json"), *db1 = tu_path(dir, "f1.db"), *db2 = tu_path(dir, "f2.db");
    const char *a1[] = {"run", cfg, "--db", db1, "--jobs", "1", "--quiet", NULL};
    tu_result r = tu_run(dir, a1);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    cr_assert_eq(query_real(db1, "SELECT count(*) FROM experiment WHERE game = 'fixed'"), 1);
    cr_assert_eq(query_real(db1, "SELECT count(*) FROM target WHERE row = -1 AND how = 'crafted' AND record LIKE"
                                 " '{\"colour\":\"violet\",\"size\":\"XL\",\"region\":\"north\",%'"),
                 1, "the crafted target holds every column's code absent from D");
    cr_assert_eq(query_real(db1, "SELECT count(*) FROM score s JOIN membership m USING (trial_id, target_id)"
                                 " WHERE m.member = 0 AND s.score >= 0"),
                 0);
    double share = query_real(db1, "SELECT avg(s.score = 0) FROM score s JOIN membership m USING (trial_id, target_id)"
                                   " WHERE m.member = 1");
    cr_assert(fabs(share - 0.632) < 0.06, "members copied in %g of their trials, expected 0.63", share);
    const char *first[] = {"run", cfg, "--db", db2, "--jobs", "2", "--quiet", NULL};
    const char *again[] = {"run", cfg, "--db", db2, "--jobs", "2", "--resume", "--quiet", NULL};
    pid_t pid = tu_spawn(first);
    cr_assert_gt(pid, 0);
    tu_sleep_ms(40);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    r = tu_run(dir, tu_exists(db2) ? again : first);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    char *d1 = dump(db1), *d2 = dump(db2);
    cr_assert_str_eq(d1, d2);
    free(d1);
    free(d2);
    free(cfg);
    free(db1);
    free(db2);
}

/* A worst-case D ("target_copies": 2): two copies of the crafted target
 * among D's 300 records. resample at m = n now holds the target in a
 * non-member's release too, with probability 1 - (1 - 2/300)^300 = 0.865
 * (a member, replace-one: 3 of 300, 0.951), so dcr's exact match (score 0)
 * no longer tells members apart; each share is checked within 4 binomial
 * sd of its 300 or so trials. The report names the dataset with the game. */
Test(run, a_worst_case_dataset_holds_copies_of_the_target)
{
    free(tu_write(dir, "wc.json",
                  "{\"format\": \"privaudit-config/1\", \"name\": \"wc\", \"seed\": 5,"
                  " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"}, \"game\": \"fixed\","
                  " \"target_copies\": 2, \"neighbours\": \"replace-one\", \"train_size\": 300, \"games\": 600,"
                  " \"targets\": {\"select\": \"crafted\", \"count\": 1},"
                  " \"generators\": [{\"name\": \"resample\"}], \"attacks\": [{\"name\": \"dcr\"}]}"));
    char *cfg = tu_path(dir, "wc.json"), *db = tu_path(dir, "wc.db"), *out = tu_path(dir, "wc-rep");
    const char *a1[] = {"run", cfg, "--db", db, "--jobs", "2", "--quiet", NULL};
    tu_result r = tu_run(dir, a1);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    static const double want[2] = {0.865, 0.951};
    for (int mem = 0; mem < 2; mem++) {
        char q[256];
        snprintf(q, sizeof q, "SELECT avg(s.score = 0), count(*) FROM score s JOIN membership m USING (trial_id, target_id)"
                              " WHERE m.member = %d", mem);
        double share = query_real(db, q);
        snprintf(q, sizeof q, "SELECT count(*) FROM membership WHERE member = %d", mem);
        double n = query_real(db, q), sd = sqrt(want[mem] * (1 - want[mem]) / n);
        cr_assert(n > 200 && fabs(share - want[mem]) < 4 * sd, "member %d: the target in %g of %g releases, expected %g",
                  mem, share, n, want[mem]);
    }
    const char *rep[] = {"report", "--db", db, "--out", out, "--quiet", "--no-figures", NULL};
    r = tu_run(dir, rep);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    char *md_path = tu_path(out, "report.md"), *md = tu_slurp(md_path);
    cr_assert(md && strstr(md, "game: fixed, D holding 2 copies of each target"), "%s", md ? md : "(no report)");
    free(md);
    free(md_path);
    free(out);
    free(cfg);
    free(db);
}

/* ---- bad input: exit code 2, a message naming what is wrong, no database ---- */

typedef struct cli_case {
    char config[700];   /* config text ("" = use none) */
    char args[8][64];   /* extra CLI args after the subcommand; "@c" = the config path */
    char msg[120];      /* substring expected on stderr */
} cli_case;

#define GOOD_HEAD "{\"format\": \"privaudit-config/1\", \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"}, "
static cli_case cli_cases[] = {
    {.config = GOOD_HEAD "\"train_size\": 100, \"neighbours\": \"swap\", \"generators\": [{\"name\": \"resample\"}]}",
     .args = {"run", "@c"}, .msg = "expected \"add-remove\" or \"replace-one\""},
    {.config = GOOD_HEAD "\"train_size\": 100, \"attacks\": [{\"name\": \"shadow\"}], \"shadow_games\": 5,"
               " \"generators\": [{\"name\": \"resample\"}]}",
     .args = {"run", "@c"}, .msg = "needs at least 10"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"utility\": {\"tvd\": [4]}, \"generators\": [{\"name\": \"resample\"}]}",
     .args = {"run", "@c"}, .msg = "expected orders 1, 2 or 3"},
    {.config = "{\"format\": \"privaudit-config/1\",", .args = {"run", "@c"}, .msg = "c.json:1:"},
    {.config = "{\"format\": \"v0\"}", .args = {"run", "@c"}, .msg = "c.json: format: expected \"privaudit-config/1\", got \"v0\""},
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": [{\"name\": \"resample\"}], \"gamez\": 4}",
     .args = {"run", "@c"}, .msg = "c.json: unknown field \"gamez\""},
    {.config = GOOD_HEAD "\"generators\": [{\"name\": \"resample\"}]}", .args = {"run", "@c"},
     .msg = "c.json: missing field \"train_size\""},
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": []}", .args = {"run", "@c"},
     .msg = "c.json: generators: expected a non-empty list"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": [{\"name\": \"gpt\"}]}", .args = {"run", "@c"},
     .msg = "c.json: generators[0].name: unknown generator \"gpt\""},
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": [{\"name\": \"marginals\", \"epsilon\": -1}]}",
     .args = {"run", "@c"}, .msg = "c.json: generators[0].epsilon: expected a positive number or \"inf\", got -1"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": [{\"name\": \"marginals\", \"epsilon\": 1,"
               " \"params\": {\"binz\": 3}}]}",
     .args = {"run", "@c"}, .msg = "c.json: generators[0].params: unknown field \"binz\""},
    /* a generator's or an attack's parameters, checked against the data: the config, then the JSON path */
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": [{\"name\": \"resample\"}, {\"name\": \"marginals\","
               " \"epsilon\": [1, 2], \"params\": {\"bins\": 0}}]}",
     .args = {"run", "@c"}, .msg = "c.json: generators[1].params.bins: expected a number in [1, 1e+06], got 0"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": [{\"name\": \"resample\"}, {\"name\": \"aim\","
               " \"epsilon\": 1, \"params\": {\"rounds\": 1.5}}]}",
     .args = {"run", "@c"}, .msg = "c.json: generators[1].params.rounds: expected an integer in [0, 1e+06], got 1.5"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": [{\"name\": \"external\", \"params\": {\"argv\": "
               "[\"cp\", 3]}}]}",
     .args = {"run", "@c"}, .msg = "c.json: generators[0].params.argv[1]: expected a string"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"synth_size\": 80, \"generators\": [{\"name\": \"external\", "
               "\"params\": {\"argv\": [\"cp\"], \"max_rows\": 79}}]}",
     .args = {"run", "@c"}, .msg = "c.json: generators[0].params.max_rows: 79 is below the 80 rows to be sampled"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": [{\"name\": \"external\", \"epsilon\": 1, \"params\": "
               "{\"argv\": [\"cp\"], \"rho\": 0.5}}]}",
     .args = {"run", "@c"}, .msg = "c.json: generators[0].params.rho: 0.5 promises less than the declared (epsilon, "
                                   "delta) = (1, 1e-05)"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": [{\"name\": \"resample\"}, {\"name\": \"marginals\","
               " \"epsilon\": 1, \"delta\": 0}]}",
     .args = {"run", "@c"}, .msg = "c.json: generators[1].delta (marginals at epsilon 1): delta must be in (0, 1)"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": [{\"name\": \"resample\"}], \"attacks\": "
               "[{\"name\": \"dcr\"}, {\"name\": \"dcr\", \"label\": \"d2\", \"params\": {\"calibrate\": 1}}]}",
     .args = {"run", "@c"}, .msg = "c.json: attacks[1].params.calibrate: expected true or false"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": [{\"name\": \"resample\"}], \"attacks\": "
               "[{\"name\": \"dcr\", \"params\": {\"bogus\": 1}}]}",
     .args = {"run", "@c"}, .msg = "c.json: attacks[0].params: unknown field \"bogus\" (known: calibrate)"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"utility\": {\"tstr\": \"nocol\"}, \"generators\": [{\"name\": "
               "\"resample\"}]}",
     .args = {"run", "@c"}, .msg = "c.json: utility.tstr: \"nocol\" is not a categorical column"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"generators\": [{\"name\": \"resample\"}], \"attacks\": "
               "[{\"name\": \"telepathy\"}]}",
     .args = {"run", "@c"}, .msg = "c.json: attacks[0].name: unknown attack \"telepathy\""},
    {.config = GOOD_HEAD "\"train_size\": 100000, \"generators\": [{\"name\": \"resample\"}]}", .args = {"run", "@c"},
     .msg = "c.json: train_size: 100000 plus 1 targets exceeds the population split"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"games\": 2, \"generators\": [{\"name\": \"resample\"}]}",
     .args = {"run", "@c"}, .msg = "c.json: games: expected an integer in [4, 10000000], got 2"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"targets\": {\"ids\": [99999]}, \"generators\": [{\"name\": "
               "\"resample\"}]}",
     .args = {"run", "@c"}, .msg = "c.json: targets.ids[0]: row 99999, but "},
    {.config = GOOD_HEAD "\"train_size\": 100, \"targets\": {\"select\": \"weird\"}, \"generators\": [{\"name\": "
               "\"resample\"}]}",
     .args = {"run", "@c"}, .msg = "expected \"isolated\", \"random\" or \"crafted\""},
    {.config = GOOD_HEAD "\"train_size\": 100, \"game\": \"worst\", \"generators\": [{\"name\": \"resample\"}]}",
     .args = {"run", "@c"}, .msg = "c.json: game: expected \"average\" or \"fixed\""},
    {.config = GOOD_HEAD "\"train_size\": 100, \"game\": 1, \"generators\": [{\"name\": \"resample\"}]}",
     .args = {"run", "@c"}, .msg = "c.json: game: expected \"average\" or \"fixed\""},
    {.config = GOOD_HEAD "\"train_size\": 100, \"target_copies\": 3, \"generators\": [{\"name\": \"resample\"}]}",
     .args = {"run", "@c"}, .msg = "c.json: target_copies: 3 copies of each target in D need \"game\": \"fixed\""},
    {.config = GOOD_HEAD "\"train_size\": 100, \"game\": \"fixed\", \"target_copies\": 50, \"targets\": {\"select\":"
               " \"random\", \"count\": 2}, \"generators\": [{\"name\": \"resample\"}]}",
     .args = {"run", "@c"}, .msg = "c.json: target_copies: 2 targets x 50 copies must leave records of D"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"game\": \"fixed\", \"target_copies\": -1, \"generators\": [{\"name\": "
               "\"resample\"}]}",
     .args = {"run", "@c"}, .msg = "c.json: target_copies: expected an integer"},
    {.config = GOOD_HEAD "\"train_size\": 100, \"targets\": {\"select\": \"crafted\", \"count\": 5},"
               " \"generators\": [{\"name\": \"resample\"}]}",
     .args = {"run", "@c"}, .msg = "allow at most 4 distinct"},
    {.config = "{\"format\": \"privaudit-config/1\", \"data\": {\"csv\": \"nope.csv\", \"schema\": \"schema.json\"},"
               " \"train_size\": 100, \"generators\": [{\"name\": \"resample\"}]}",
     .args = {"run", "@c"}, .msg = "nope.csv: cannot open"},
    {.config = "{\"format\": \"privaudit-config/1\", \"data\": {\"csv\": \"data.csv\", \"schema\": \"inferred.json\"},"
               " \"train_size\": 100, \"generators\": [{\"name\": \"marginals\", \"epsilon\": 1}]}",
     .args = {"run", "@c"}, .msg = "c.json: generators[0].epsilon: 1 is a DP run"},
    {.config = "", .args = {"run"}, .msg = "expected a CONFIG.json"},
    {.config = "", .args = {"run", "@c", "--jobs", "0"}, .msg = "--jobs: got \"0\""},
    {.config = "", .args = {"run", "@c", "--frobnicate"}, .msg = "unknown option \"--frobnicate\""},
    {.config = "", .args = {"run", "@c", "--db"}, .msg = "--db: expected a value"},
    {.config = "", .args = {"frobnicate"}, .msg = "unknown command \"frobnicate\""},
    {.config = "", .args = {"report", "--db", "missing.db", "--out", "rep"}, .msg = "missing.db: no such database"},
    {.config = "", .args = {"gen", "resample", "--data", "data.csv"}, .msg = "expected NAME, --data"},
    {.config = "", .args = {"gen", "resample", "--data", "data.csv", "--schema", "schema.json", "--epsilon", "x"},
     .msg = "--epsilon: got \"x\""},
};

ParameterizedTestParameters(run, bad_input_exits_2_with_a_message_and_writes_nothing)
{
    return cr_make_param_array(cli_case, cli_cases, sizeof cli_cases / sizeof cli_cases[0]);
}

ParameterizedTest(cli_case *c, run, bad_input_exits_2_with_a_message_and_writes_nothing)
{
    char *cfg = tu_path(dir, "c.json"), *db = tu_path(dir, "bad.db");
    if (c->config[0])
        free(tu_write(dir, "c.json", c->config));
    else
        write_config("c.json", 10, "{\"name\": \"resample\"}");
    const char *args[12];
    size_t k = 0;
    for (size_t q = 0; q < 8 && c->args[q][0]; q++)
        args[k++] = strcmp(c->args[q], "@c") ? c->args[q] : cfg;
    int is_run = !strcmp(c->args[0], "run");
    if (is_run && !strstr(c->msg, "--db")) {
        args[k++] = "--db";
        args[k++] = db;
    }
    args[k] = NULL;
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 2, "exit %d, stderr: %s", r.code, r.err);
    cr_assert(strstr(r.err, c->msg), "stderr \"%s\" lacks \"%s\"", r.err, c->msg);
    cr_assert_not(tu_exists(db), "a database was written for bad input");
    char *rep = tu_path(dir, "rep");
    cr_assert_not(tu_exists(rep));
    free(rep);
    tu_result_free(&r);
    free(cfg);
    free(db);
}

Test(run, a_second_run_into_the_same_database_needs_resume)
{
    write_config("c.json", 8, "{\"name\": \"resample\"}");
    char *cfg = tu_path(dir, "c.json"), *db = tu_path(dir, "x.db");
    const char *args[] = {"run", cfg, "--db", db, "--quiet", NULL};
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    r = tu_run(dir, args);
    cr_assert_eq(r.code, 2);
    cr_assert(strstr(r.err, "exists: pass --resume"), "%s", r.err);
    tu_result_free(&r);
    /* resuming with another seed is refused */
    const char *other[] = {"run", cfg, "--db", db, "--resume", "--seed", "8", "--quiet", NULL};
    r = tu_run(dir, other);
    cr_assert_eq(r.code, 2);
    cr_assert(strstr(r.err, "another config"), "%s", r.err);
    tu_result_free(&r);
    free(cfg);
    free(db);
}

Test(run, report_writes_markdown_and_figures)
{
    write_config("c.json", 40, "{\"name\": \"resample\"}, {\"name\": \"marginals\", \"epsilon\": 1}");
    char *cfg = tu_path(dir, "c.json"), *db = tu_path(dir, "r.db"), *out = tu_path(dir, "rep");
    const char *a[] = {"run", cfg, "--db", db, "--quiet", NULL};
    tu_result r = tu_run(dir, a);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    const char *b[] = {"report", "--db", db, "--out", out, NULL};
    r = tu_run(dir, b);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "resample"), "%s", r.out);
    cr_assert(strstr(r.out, "marginals"));
    tu_result_free(&r);
    const char *files[] = {"report.md", "roc.png", "roc.pdf", "roc-log.png", "eps.png", "eps.pdf"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char *p = tu_path(out, files[k]);
        cr_assert(tu_exists(p), "%s missing", files[k]);
        free(p);
    }
    char *md_path = tu_path(out, "report.md");
    char *md = tu_slurp(md_path);
    cr_assert(strstr(md, "| generator | claimed ε |"), "%s", md);
    free(md);
    free(md_path);
    free(cfg);
    free(db);
    free(out);
}

Test(run, a_marginals_bug_that_skips_noise_on_one_column_is_flagged_and_the_correct_one_is_not)
{
    /* issue 5, must-show 1 (marginals half): the planted bug measures column
     * "colour" without noise while claiming ε = 1; the outlier's colour
     * (violet) then reaches the release only when the outlier was trained on,
     * which the targeted counting query sees. 20 seeds: the bug must be
     * flagged in at least 9 of the first 10, the correct mechanism in none
     * of the 20. */
    free(tu_write(dir, "v.json",
                  "{\"format\": \"privaudit-config/1\", \"name\": \"v\", \"seed\": 1,"
                  " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
                  " \"train_size\": 300, \"games\": 400, \"targets\": {\"select\": \"isolated\"},"
                  " \"generators\": [{\"name\": \"marginals\", \"epsilon\": 1, \"params\": {\"bug_noiseless_column\": 0}},"
                  " {\"name\": \"marginals\", \"epsilon\": 1}], \"attacks\": [{\"name\": \"query\"}, {\"name\": \"dcr\"}]}"));
    char *cfg = tu_path(dir, "v.json");
    int flagged_bug = 0, flagged_ok = 0;
    for (int seed = 1; seed <= 20; seed++) {
        char db_name[32], seed_s[16];
        snprintf(db_name, sizeof db_name, "v%d.db", seed);
        snprintf(seed_s, sizeof seed_s, "%d", seed);
        char *db = tu_path(dir, db_name);
        const char *args[] = {"run", cfg, "--db", db, "--seed", seed_s, "--jobs", "2", "--quiet", NULL};
        tu_result r = tu_run(dir, args);
        cr_assert_eq(r.code, 0, "%s", r.err);
        tu_result_free(&r);
        double bug = query_real(db, "SELECT count(*) FROM estimate WHERE cell_id = 0 AND violation = 1");
        double ok = query_real(db, "SELECT count(*) FROM estimate WHERE cell_id = 1 AND violation = 1");
        if (seed <= 10)
            flagged_bug += bug > 0;
        flagged_ok += ok > 0;
        free(db);
    }
    cr_assert_geq(flagged_bug, 9, "the planted bug was flagged in %d of 10 seeds", flagged_bug);
    cr_assert_eq(flagged_ok, 0, "the correct mechanism was flagged in %d of 20 seeds", flagged_ok);
    free(cfg);
}

/* The shadow-model attack through the harness: shadow releases of the
 * non-private resample generator on aux data ± the isolated outlier, a
 * classifier per target, scores of the real releases. With m = n the
 * outlier is copied into a release with probability 1 − (1 − 1/n)^n ≈ 0.63
 * when it is a member and never otherwise (it is unique), so the exact-match
 * feature alone gives AUC ≈ ½ + 0.63/2 ≈ 0.82; with 50 test games (≈ 25 per
 * class) the AUC's standard error is ≤ 0.08 (Hanley-McNeil at AUC 0.8), and
 * 0.6 is > 2.5 standard errors below. Utility rows are stored for every
 * trial, the shadow phase is stored and resumable (a second --resume run adds
 * nothing), and the report carries the privacy-utility section. */
Test(run, the_shadow_model_attack_finds_the_outlier_and_utility_is_stored_per_trial)
{
    free(tu_write(dir, "s.json",
                  "{\"format\": \"privaudit-config/1\", \"name\": \"s\", \"seed\": 11,"
                  " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
                  " \"split\": {\"aux\": 0.4, \"holdout\": 0.1},"
                  " \"train_size\": 300, \"games\": 100, \"shadow_games\": 100,"
                  " \"targets\": {\"select\": \"isolated\", \"count\": 1},"
                  " \"generators\": [{\"name\": \"resample\"}],"
                  " \"attacks\": [{\"name\": \"shadow\", \"params\": {\"classifier\": \"logreg\"}}],"
                  " \"utility\": {\"tvd\": [1, 2], \"tstr\": \"size\"}}"));
    char *cfg = tu_path(dir, "s.json"), *db = tu_path(dir, "s.db"), *out = tu_path(dir, "srep");
    const char *a[] = {"run", cfg, "--db", db, "--jobs", "2", "--quiet", NULL};
    tu_result r = tu_run(dir, a);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    double auc = query_real(db, "SELECT value FROM metric WHERE attack='shadow' AND target_id IS NULL AND name='auc'");
    if (isnan(auc))
        auc = query_real(db, "SELECT value FROM metric WHERE attack='shadow' AND name='auc'");
    cr_expect_geq(auc, 0.6, "shadow AUC %.3f", auc);
    cr_expect_eq(query_real(db, "SELECT count(*) FROM shadow WHERE status='ok'"), 100);
    cr_expect_eq(query_real(db, "SELECT count(*) FROM utility WHERE name='tvd2'"), 100);
    cr_expect_eq(query_real(db, "SELECT count(*) FROM utility WHERE name='tstr_acc'"), 100);
    /* the real-data reference: the same classifier on each trial's real training set */
    cr_expect_eq(query_real(db, "SELECT count(*) FROM utility WHERE name='trtr_auc'"), 100);
    double tv = query_real(db, "SELECT avg(value) FROM utility WHERE name='tvd1'");
    cr_expect(tv > 0 && tv < 0.2, "1-way TVD of resample releases %.4f", tv);
    char *before = dump(db);
    const char *b[] = {"run", cfg, "--db", db, "--resume", "--quiet", NULL};
    r = tu_run(dir, b);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    char *after = dump(db);
    cr_expect_str_eq(before, after);
    const char *c[] = {"report", "--db", db, "--out", out, "--quiet", NULL};
    r = tu_run(dir, c);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    char *md_path = tu_path(out, "report.md"), *png = tu_path(out, "utility.png");
    char *md = tu_slurp(md_path);
    cr_expect(strstr(md, "## Membership inference: privacy and utility") && strstr(md, "## Membership inference: verdict"), "%s", md);
    cr_expect(tu_exists(png));
    free(md);
    free(md_path);
    free(png);
    free(before);
    free(after);
    free(cfg);
    free(db);
    free(out);
}

/* An external program that declares ρ-zCDP ("rho") gets the profile test
 * (audit/profile.h) beside the (ε, δ) point; with "gaussian_only" against the
 * μ-GDP profile, μ = √(2ρ). The program copies its training set, which no
 * finite ρ allows: dcr scores members 0 and the isolated non-members above 0,
 * so on the 30 test games every declared profile is refuted (P(outside) near
 * 1: the Jeffreys posteriors of FNR = FPR = 0 on about 30 scores each leave
 * (x, y) far below the line y ≥ 1 − δ − e^ε x of ε ≈ 0.7). A program that
 * ignores its input (a constant row) declaring the same ρ is never refuted;
 * without "rho" there is no profile row. */
/* `what` over cell c's pooled profile-test rows */
static double pooled_profile(const char *db, int c, const char *what)
{
    char q[256];
    snprintf(q, sizeof q, "SELECT %s FROM estimate WHERE cell_id = %d AND method = 'profile' AND target_id IS NULL",
             what, c);
    return query_real(db, q);
}

Test(run, an_external_program_declaring_rho_gets_the_profile_test)
{
    const char *copy = "\"argv\": [\"/bin/sh\", \"-c\", \"(head -n 1 \\\"$1\\\"; tail -n \\\"$3\\\" "
                       "\\\"$1\\\") > \\\"$2\\\"\", \"sh\", \"{train}\", \"{out}\", \"{rows}\"]";
    const char *constant = "\"argv\": [\"/bin/sh\", \"-c\", \"echo colour,size,region,age,income > \\\"$1\\\"; "
                           "i=0; while [ $i -lt $2 ]; do echo red,S,east,30,30000; i=$((i+1)); done >> \\\"$1\\\"\", "
                           "\"sh\", \"{out}\", \"{rows}\"]";
    char gens[4096];
    snprintf(gens, sizeof gens,
             "{\"name\": \"external\", \"epsilon\": 1, \"params\": {%s, \"rho\": 0.01, \"gaussian_only\": true}},"
             " {\"name\": \"external\", \"epsilon\": 1, \"params\": {%s, \"rho\": 0.01}},"
             " {\"name\": \"external\", \"epsilon\": 1, \"params\": {%s}},"
             " {\"name\": \"external\", \"epsilon\": 1, \"params\": {%s, \"rho\": 0.01, \"gaussian_only\": true}}",
             copy, copy, copy, constant);
    char text[6144];
    snprintf(text, sizeof text,
             "{\"format\": \"privaudit-config/1\", \"name\": \"rho\", \"seed\": 5,"
             " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
             " \"train_size\": 100, \"synth_size\": 100, \"games\": 60, \"calibration\": 0.5,"
             " \"targets\": {\"select\": \"isolated\", \"count\": 1},"
             " \"generators\": [%s], \"attacks\": [{\"name\": \"dcr\"}]}", gens);
    free(tu_write(dir, "rho.json", text));
    char *cfg = tu_path(dir, "rho.json"), *db = tu_path(dir, "rho.db");
    const char *a[] = {"run", cfg, "--db", db, "--quiet", NULL};
    tu_result r = tu_run(dir, a);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    const char *acct[] = {"declared-gdp", "declared-zcdp", "declared", "declared-gdp"};
    for (int c = 0; c < 4; c++) {
        char q[256];
        snprintf(q, sizeof q, "SELECT count(*) FROM trial WHERE cell_id = %d AND status = 'ok' AND accountant = '%s'"
                 " AND (rho_spent = 0.01 OR (%d = 2 AND rho_spent IS NULL))", c, acct[c], c);
        cr_expect_eq(query_real(db, q), 60, "cell %d: trials accounted %s", c, acct[c]);
        cr_expect_eq(pooled_profile(db, c, "count(*)"), c == 2 ? 0 : 1, "cell %d: profile rows", c);
        cr_expect_eq(pooled_profile(db, c, "coalesce(max(violation), -1)"), c == 2 ? -1 : c == 3 ? 0 : 1,
                     "cell %d: profile violation", c);
        double p = pooled_profile(db, c, "coalesce(max(p_exceeds), -1)");
        if (c < 2)
            cr_expect_gt(p, 0.999, "cell %d: P(outside) %g", c, p);
        /* export-scores gives the command that redoes the cell's estimates, with the declared profile */
        char cs[16], *sc = tu_path(dir, "rho-scores.csv");
        snprintf(cs, sizeof cs, "%d", c);
        const char *e[] = {"export-scores", "--db", db, "--cell", cs, "--attack", "dcr", "--out", sc, NULL};
        r = tu_run(dir, e);
        cr_expect_eq(r.code, 0, "%s", r.err);
        const char *want = c == 0 || c == 3 ? " --rho 0.01 --gaussian" : c == 1 ? " --rho 0.01\n" : NULL;
        if (want)
            cr_expect(strstr(r.out, want), "cell %d: export-scores printed %s", c, r.out);
        else
            cr_expect(!strstr(r.out, "--rho"), "cell %d: export-scores printed %s", c, r.out);
        tu_result_free(&r);
        free(sc);
    }
    /* the report points the one program that declares only (ε, δ) to "rho" */
    char *out = tu_path(dir, "rho-report");
    const char *b[] = {"report", "--db", db, "--out", out, "--no-figures", "--quiet", NULL};
    r = tu_run(dir, b);
    cr_assert_eq(r.code, 0, "%s", r.err);
    tu_result_free(&r);
    char *md_path = tu_path(out, "report.md"), *md = tu_slurp(md_path);
    cr_assert(md);
    cr_expect(strstr(md, "1 `external` setting declares only (ε, δ)"), "%s", md);
    free(md);
    free(md_path);
    free(out);
    free(cfg);
    free(db);
}

/* Replace-one neighbours: a member takes the place of a record of D, so
 * every training set has train_size records. The external generator (a
 * shell one-liner as argv) fails unless its training CSV has exactly 50
 * rows: with replace-one every trial succeeds; with add-remove every trial
 * with a member target (2 coins per game: 3/4 of them) fails. */
Test(run, replace_one_neighbours_keep_the_training_size_fixed)
{
    double ok[2];
    for (int mode = 0; mode < 2; mode++) {
        char text[2048];
        snprintf(text, sizeof text,
                 "{\"format\": \"privaudit-config/1\", \"name\": \"n\", \"seed\": 3,"
                 " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
                 " \"train_size\": 50, \"games\": 20, \"neighbours\": \"%s\","
                 " \"targets\": {\"select\": \"random\", \"count\": 2},"
                 " \"generators\": [{\"name\": \"external\", \"params\": {\"argv\": [\"/bin/sh\", \"-c\","
                 " \"n=$(($(wc -l < \\\"$1\\\") - 1)); [ $n -eq 50 ] || exit 7; (head -n 1 \\\"$1\\\"; tail -n \\\"$3\\\" \\\"$1\\\") > \\\"$2\\\"\","
                 " \"sh\", \"{train}\", \"{out}\", \"{rows}\"]}}],"
                 " \"attacks\": [{\"name\": \"dcr\"}]}",
                 mode ? "replace-one" : "add-remove");
        free(tu_write(dir, "n.json", text));
        char *cfg = tu_path(dir, "n.json"), *db = tu_path(dir, mode ? "n1.db" : "n0.db");
        const char *a[] = {"run", cfg, "--db", db, "--quiet", NULL};
        tu_result r = tu_run(dir, a);
        tu_result_free(&r);
        ok[mode] = query_real(db, "SELECT count(*) FROM trial WHERE status = 'ok'");
        free(cfg);
        free(db);
    }
    cr_expect_lt(ok[0], 20, "add-remove: %g of 20 trials had exactly 50 training rows", ok[0]);
    cr_expect_eq(ok[1], 20, "replace-one: %g of 20 trials had exactly 50 training rows", ok[1]);
}

/* A claim stated for other neighbours than the game's: privbayes states
 * its ε for replace-one neighbours (n public), marginals for add/remove.
 * The run stores each claim's relation (trial.replace_one). In an
 * add/remove game privbayes's claim does not bound the game: no verdict,
 * saying why. In a replace-one game privbayes is covered, and marginals is
 * tested against what its claim implies for replacing a record (2ε by
 * group privacy), without the profile test (stored against ρ). */
Test(run, a_claim_for_other_neighbours_than_the_game_gets_no_verdict)
{
    for (int mode = 0; mode < 2; mode++) {
        char text[2048];
        snprintf(text, sizeof text,
                 "{\"format\": \"privaudit-config/1\", \"name\": \"nb\", \"seed\": 3,"
                 " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
                 " \"train_size\": 100, \"games\": 40, \"neighbours\": \"%s\","
                 " \"targets\": {\"select\": \"random\", \"count\": 1},"
                 " \"generators\": [{\"name\": \"privbayes\", \"epsilon\": 1},"
                 " {\"name\": \"marginals\", \"epsilon\": 1}], \"attacks\": [{\"name\": \"dcr\"}]}",
                 mode ? "replace-one" : "add-remove");
        free(tu_write(dir, "nb.json", text));
        char *cfg = tu_path(dir, "nb.json"), *db = tu_path(dir, mode ? "nb1.db" : "nb0.db"),
             *out = tu_path(dir, mode ? "nb1" : "nb0");
        const char *a[] = {"run", cfg, "--db", db, "--quiet", NULL};
        tu_result r = tu_run(dir, a);
        cr_assert_eq(r.code, 0, "%s", r.err);
        tu_result_free(&r);
        cr_expect_eq(query_real(db, "SELECT min(replace_one) FROM trial WHERE cell_id = 0"), 1, "privbayes");
        cr_expect_eq(query_real(db, "SELECT max(replace_one) FROM trial WHERE cell_id = 1"), 0, "marginals");
        const char *b[] = {"report", "--db", db, "--out", out, "--no-figures", "--quiet", NULL};
        r = tu_run(dir, b);
        cr_assert_eq(r.code, 0, "%s", r.err);
        tu_result_free(&r);
        char *csv_path = tu_path(out, "verdicts.csv"), *csv = tu_slurp(csv_path);
        char *md_path = tu_path(out, "report.md"), *md = tu_slurp(md_path);
        cr_assert(csv && md);
        const char *pb = strstr(csv, "privbayes"), *mg = strstr(csv, "marginals");
        cr_assert(pb && mg, "%s", csv);
        const char *pbe = strchr(pb, '\n'), *mge = strchr(mg, '\n');
        int pb_nc = strstr(pb, "not covered: claim for replace-one") && strstr(pb, "not covered") < pbe;
        const char *g2 = strstr(mg, "against 2ε");
        int mg_g2 = g2 && g2 < mge && !(strstr(mg, "not covered") && strstr(mg, "not covered") < mge);
        cr_expect_eq(pb_nc, !mode, "%s: privbayes row: %s", mode ? "replace-one" : "add-remove", csv);
        cr_expect_eq(mg_g2, mode, "%s: marginals row: %s", mode ? "replace-one" : "add-remove", csv);
        cr_expect_eq(strstr(md, "1 setting is not covered by its claim") != NULL, !mode, "%s", md);
        cr_expect_eq(strstr(md, "1 setting has an add/remove claim played in a replace-one game") != NULL, mode,
                     "%s", md);
        free(csv);
        free(csv_path);
        free(md);
        free(md_path);
        free(cfg);
        free(db);
        free(out);
    }
}
