/* test_shard.c — run --shard I/N, privaudit merge and privaudit slurm through
 * the binary: the merge of a config's shards equals its single run in every
 * table but timings; shards that do not make one experiment are refused,
 * naming the shard; the SLURM script runs, skips and merges shards. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>

#include "tests/dbdump.h"
#include "tests/testutil.h"

static char *dir;

/* fixture data: 3 categorical and 2 numeric columns from a fixed LCG */
#define FIX_N 1200

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
    fprintf(f, "violet,XL,north,99,250000\n");
    uint64_t s = 777;
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
                  "{\"name\": \"region\", \"type\": \"categorical\", \"labels\": [\"east\",\"west\",\"south\",\"north\"]},"
                  "{\"name\": \"age\", \"type\": \"numeric\", \"min\": 0, \"max\": 100, \"integer\": true},"
                  "{\"name\": \"income\", \"type\": \"numeric\", \"min\": 0, \"max\": 300000}]}"));
}

/* a config with a shadow-model attack (two classifiers) besides dcr, 2 cells, 2 targets */
static char *write_shadow_config(const char *name, int seed)
{
    char text[1600];
    snprintf(text, sizeof text,
             "{\"format\": \"privaudit-config/1\", \"name\": \"sh\", \"seed\": %d,"
             " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
             " \"split\": {\"aux\": 0.4, \"holdout\": 0.1}, \"train_size\": 200, \"synth_size\": 200,"
             " \"games\": 40, \"shadow_games\": 24, \"targets\": {\"select\": \"isolated\", \"count\": 2},"
             " \"generators\": [{\"name\": \"resample\"}, {\"name\": \"marginals\", \"epsilon\": 5}],"
             " \"attacks\": [{\"name\": \"shadow\", \"label\": \"sh-lr\", \"params\": {\"classifier\": \"logreg\","
             " \"queries\": 10}}, {\"name\": \"dcr\"},"
             " {\"name\": \"shadow\", \"label\": \"sh-rf\", \"params\": {\"classifier\": \"forest\", \"queries\": 10}}],"
             " \"utility\": {\"tvd\": [1, 2]}}",
             seed);
    return tu_write(dir, name, text);
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

TestSuite(shard, .init = setup, .fini = teardown, .timeout = 240);

/* every table but timings, as one text (tests/dbdump.h) */
static char *dump(const char *db_path)
{
    const char *why;
    char *d = dbdump(db_path, &why);
    cr_assert_not_null(d, "%s", why);
    return d;
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

static void must_run(const char *const *args)
{
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 0, "privaudit %s %s: exit %d: %s", args[0], args[1], r.code, r.err);
    tu_result_free(&r);
}

/* Runs cfg whole into single.db and as shards 0/3, 1/3, 2/3 into s0..s2.db
 * (paths in dir), each shard with the given --jobs. */
static void run_single_and_shards(const char *cfg, const char *const jobs[3])
{
    char *single = tu_path(dir, "single.db");
    const char *a[] = {"run", cfg, "--db", single, "--jobs", "2", "--quiet", NULL};
    must_run(a);
    for (int i = 0; i < 3; i++) {
        char name[32], spec[32];
        snprintf(name, sizeof name, "s%d.db", i);
        snprintf(spec, sizeof spec, "%d/3", i);
        char *db = tu_path(dir, name);
        const char *b[] = {"run", cfg, "--shard", spec, "--db", db, "--jobs", jobs[i], "--quiet", NULL};
        must_run(b);
        free(db);
    }
    free(single);
}

static void assert_merge_equals_single(void)
{
    char *s0 = tu_path(dir, "s0.db"), *s1 = tu_path(dir, "s1.db"), *s2 = tu_path(dir, "s2.db");
    char *single = tu_path(dir, "single.db"), *m = tu_path(dir, "merged.db");
    /* shards in any order */
    const char *a[] = {"merge", m, s2, s0, s1, "--jobs", "2", "--quiet", NULL};
    must_run(a);
    cr_assert_eq(query_real(s0, "SELECT count(*) FROM metric"), 0, "a shard computes no metrics");
    char *d1 = dump(single), *d2 = dump(m);
    cr_assert_gt(strlen(d1), 10000);
    cr_assert_str_eq(d1, d2, "the merge differs from the single run");
    cr_assert_eq(query_real(m, "SELECT count(*) FROM merge_source"), 3);
    free(d1);
    free(d2);
    free(s0);
    free(s1);
    free(s2);
    free(single);
    free(m);
}

Test(shard, quickstart_in_three_shards_merges_to_its_single_run)
{
    /* the shipped config on HealthInsurance (make data; CI runs make demo first) */
    char cwd[4096], cfg[4200], csv[4200];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    snprintf(cfg, sizeof cfg, "%s/configs/quickstart.json", cwd);
    snprintf(csv, sizeof csv, "%s/build/data/healthinsurance.csv", cwd);
    if (access(cfg, R_OK) != 0 || access(csv, R_OK) != 0)
        cr_skip_test("%s or %s missing (run make data from the repository's root)", cfg, csv);
    const char *jobs[3] = {"1", "2", "1"};
    run_single_and_shards(cfg, jobs);
    char *s1 = tu_path(dir, "s1.db"), *single = tu_path(dir, "single.db");
    /* shard 1/3 holds trials 1, 4, 7, ... of the 3 cells x 1000 games */
    cr_assert_eq(query_real(s1, "SELECT count(*) FROM trial"), 1000);
    cr_assert_eq(query_real(s1, "SELECT count(*) FROM trial WHERE id % 3 != 1"), 0);
    cr_assert_eq(query_real(single, "SELECT count(*) FROM trial"), 3000);
    cr_assert_gt(query_real(single, "SELECT count(*) FROM estimate"), 0);
    free(s1);
    free(single);
    assert_merge_equals_single();
}

Test(shard, a_shadow_attack_config_in_three_shards_merges_to_its_single_run)
{
    char *cfg = write_shadow_config("sh.json", 5);
    const char *jobs[3] = {"2", "1", "2"};
    run_single_and_shards(cfg, jobs);
    char *s0 = tu_path(dir, "s0.db"), *single = tu_path(dir, "single.db");
    /* shard 0/3 keeps the features of its releases, and no shadow-attack score */
    cr_assert_eq(query_real(s0, "SELECT count(*) FROM shadow"), 16); /* of 2 cells x 24: ids 0, 3, ..., 45 */
    cr_assert_eq(query_real(s0, "SELECT count(*) FROM feature"), 27 * 2);
    cr_assert_eq(query_real(s0, "SELECT count(*) FROM score WHERE attack LIKE 'sh-%'"), 0);
    /* sh-lr and sh-rf differ only by their classifier: the second half of each blob is a copy of the first */
    cr_assert_eq(query_real(s0, "SELECT count(*) FROM feature WHERE length(features) % 16 != 0 OR"
                                " substr(features, 1, length(features) / 2) != substr(features, length(features) / 2 + 1)"),
                 0);
    cr_assert_gt(query_real(s0, "SELECT min(length(features)) FROM feature"), 100);
    cr_assert_eq(query_real(s0, "SELECT count(*) FROM score WHERE attack = 'dcr'"), 27 * 2);
    /* the single run scores every trial and target with both classifiers */
    cr_assert_eq(query_real(single, "SELECT count(*) FROM score WHERE attack = 'sh-rf'"), 80 * 2);
    cr_assert_eq(query_real(single, "SELECT count(*) FROM score WHERE attack = 'sh-lr'"), 80 * 2);
    cr_assert_gt(query_real(single, "SELECT count(*) FROM metric WHERE attack = 'sh-rf'"), 0);
    free(s0);
    free(single);
    assert_merge_equals_single();
    free(cfg);
}

Test(shard, a_fixed_game_with_crafted_targets_in_three_shards_merges_to_its_single_run)
{
    char *cfg = tu_write(dir, "fx.json",
                         "{\"format\": \"privaudit-config/1\", \"name\": \"fx\", \"seed\": 11,"
                         " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
                         " \"game\": \"fixed\", \"neighbours\": \"replace-one\", \"train_size\": 200,"
                         " \"synth_size\": 200, \"games\": 40, \"shadow_games\": 12,"
                         " \"targets\": {\"select\": \"crafted\", \"count\": 2},"
                         " \"generators\": [{\"name\": \"marginals\", \"epsilon\": 5}],"
                         " \"attacks\": [{\"name\": \"shadow\", \"label\": \"sh-lr\", \"params\": {\"classifier\":"
                         " \"logreg\", \"queries\": 10}}, {\"name\": \"dcr\"}]}");
    const char *jobs[3] = {"2", "1", "2"};
    run_single_and_shards(cfg, jobs);
    char *m = tu_path(dir, "single.db");
    cr_assert_eq(query_real(m, "SELECT count(*) FROM experiment WHERE game = 'fixed'"), 1);
    cr_assert_eq(query_real(m, "SELECT count(*) FROM target WHERE how = 'crafted' AND row = -1"), 2);
    free(m);
    assert_merge_equals_single();
    m = tu_path(dir, "merged.db");
    cr_assert_eq(query_real(m, "SELECT count(*) FROM experiment WHERE game = 'fixed'"), 1);
    free(m);
    free(cfg);
}

/* runs merge and expects exit 2, a message holding want1 and want2, and no output file */
static void assert_refused(const char *const *args, const char *out, const char *want1, const char *want2)
{
    tu_result r = tu_run(dir, args);
    cr_assert_eq(r.code, 2, "exit %d, stderr: %s", r.code, r.err);
    cr_assert(strstr(r.err, want1), "expected \"%s\" in: %s", want1, r.err);
    cr_assert(!want2 || strstr(r.err, want2), "expected \"%s\" in: %s", want2, r.err);
    cr_assert(!tu_exists(out), "%s was written", out);
    char part[4200];
    snprintf(part, sizeof part, "%s.part", out);
    cr_assert(!tu_exists(part), "%s was left behind", part);
    tu_result_free(&r);
}

static void exec_sql(const char *db_path, const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql, msg ? msg : "");
    sqlite3_close(db);
}

/* A shard written by a build that predates a column (trial.replace_one,
 * added 2026-12-02: dropped here) merges with the column NULL for its rows;
 * a shard with a column this build does not know is refused, naming it. */
Test(shard, shards_of_an_older_build_merge_and_of_a_newer_one_are_refused)
{
    char *cfg = tu_write(dir, "old.json",
                         "{\"format\": \"privaudit-config/1\", \"name\": \"old\", \"seed\": 5,"
                         " \"data\": {\"csv\": \"data.csv\", \"schema\": \"schema.json\"},"
                         " \"train_size\": 200, \"synth_size\": 200, \"games\": 30,"
                         " \"targets\": {\"select\": \"isolated\", \"count\": 1},"
                         " \"generators\": [{\"name\": \"marginals\", \"epsilon\": 5}],"
                         " \"attacks\": [{\"name\": \"dcr\"}]}");
    const char *jobs[3] = {"1", "1", "1"};
    run_single_and_shards(cfg, jobs);
    char *s0 = tu_path(dir, "s0.db"), *s1 = tu_path(dir, "s1.db"), *s2 = tu_path(dir, "s2.db");
    char *m = tu_path(dir, "merged.db"), *single = tu_path(dir, "single.db");
    exec_sql(s1, "ALTER TABLE trial DROP COLUMN replace_one");
    const char *a[] = {"merge", m, s0, s1, s2, "--quiet", NULL};
    must_run(a);
    cr_assert_eq(query_real(m, "SELECT count(*) FROM trial"), query_real(single, "SELECT count(*) FROM trial"));
    cr_assert_eq(query_real(m, "SELECT count(*) FROM trial WHERE replace_one IS NULL"),
                 query_real(s1, "SELECT count(*) FROM trial"), "the old shard's rows have no relation");
    cr_assert_eq(query_real(m, "SELECT count(*) FROM trial WHERE replace_one IS NOT NULL"),
                 query_real(s0, "SELECT count(*) FROM trial") + query_real(s2, "SELECT count(*) FROM trial"));
    cr_assert_eq(query_real(m, "SELECT count(*) FROM estimate"), query_real(single, "SELECT count(*) FROM estimate"));
    unlink(m);
    exec_sql(s2, "ALTER TABLE trial ADD COLUMN colour TEXT");
    assert_refused(a, m, "column \"colour\"", "newer build");
    free(s0);
    free(s1);
    free(s2);
    free(m);
    free(single);
    free(cfg);
}


Test(shard, merge_refuses_missing_duplicated_foreign_and_incomplete_shards_naming_them)
{
    char *cfg = write_shadow_config("sh.json", 5), *other = write_shadow_config("other.json", 6);
    char *s0 = tu_path(dir, "s0.db"), *s1 = tu_path(dir, "s1.db"), *s2 = tu_path(dir, "s2.db");
    char *x2 = tu_path(dir, "x2.db"), *m = tu_path(dir, "m.db");
    const char *specs[3] = {"0/3", "1/3", "2/3"};
    char *dbs[3] = {s0, s1, s2};
    for (int i = 0; i < 3; i++) {
        const char *a[] = {"run", cfg, "--shard", specs[i], "--db", dbs[i], "--quiet", NULL};
        must_run(a);
    }
    const char *b[] = {"run", other, "--shard", "2/3", "--db", x2, "--quiet", NULL};
    must_run(b);
    /* missing: shard 2/3 and its trials are named */
    const char *miss[] = {"merge", m, s0, s1, "--quiet", NULL};
    assert_refused(miss, m, "missing shard 2/3", "trials (2, 5, 8, 11, 14, ...)");
    /* duplicated: both paths and the shard named */
    const char *dup[] = {"merge", m, s0, s1, s1, s2, "--quiet", NULL};
    assert_refused(dup, m, "are both shard 1/3", s1);
    /* another config (another seed): that shard named */
    const char *foreign[] = {"merge", m, s0, s1, x2, "--quiet", NULL};
    assert_refused(foreign, m, x2, "another experiment: config hash");
    /* an incomplete shard: a trial lost */
    char *s2c = tu_path(dir, "s2c.db");
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", s2, s2c);
    cr_assert_eq(system(cmd), 0);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(s2c, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "PRAGMA foreign_keys = OFF; DELETE FROM score WHERE trial_id = 17;"
                              " DELETE FROM feature WHERE trial_id = 17; DELETE FROM membership WHERE trial_id = 17;"
                              " DELETE FROM utility WHERE trial_id = 17; DELETE FROM trial WHERE id = 17",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    const char *inc[] = {"merge", m, s0, s1, s2c, "--quiet", NULL};
    assert_refused(inc, m, "s2c.db (shard 2/3) is incomplete: 1 of its 26 trials are missing (17)", "--resume");
    /* a whole run is not a shard */
    char *whole = tu_path(dir, "whole.db");
    const char *w[] = {"run", cfg, "--db", whole, "--quiet", NULL};
    must_run(w);
    const char *notshard[] = {"merge", m, s0, s1, whole, "--quiet", NULL};
    assert_refused(notshard, m, "whole.db: not a shard", NULL);
    /* and an existing output is never overwritten */
    const char *exists[] = {"merge", whole, s0, s1, s2, "--quiet", NULL};
    tu_result r = tu_run(dir, exists);
    cr_assert_eq(r.code, 2);
    cr_assert(strstr(r.err, "exists"), "%s", r.err);
    tu_result_free(&r);
    free(cfg);
    free(other);
    free(s0);
    free(s1);
    free(s2);
    free(s2c);
    free(x2);
    free(m);
    free(whole);
}

Test(shard, a_shard_resumes_only_as_itself)
{
    char *cfg = write_shadow_config("sh.json", 5), *s1 = tu_path(dir, "s1.db");
    const char *a[] = {"run", cfg, "--shard", "1/3", "--db", s1, "--quiet", NULL};
    must_run(a);
    char *before = dump(s1);
    const char *again[] = {"run", cfg, "--shard", "1/3", "--db", s1, "--resume", NULL};
    tu_result r = tu_run(dir, again);
    cr_assert_eq(r.code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "27 trials planned, 27 stored before, 0 run now"), "%s", r.err);
    tu_result_free(&r);
    char *after = dump(s1);
    cr_assert_str_eq(before, after);
    const char *wrong[] = {"run", cfg, "--shard", "0/3", "--db", s1, "--resume", "--quiet", NULL};
    r = tu_run(dir, wrong);
    cr_assert_eq(r.code, 2);
    cr_assert(strstr(r.err, "holds shard 1/3, not 0/3"), "%s", r.err);
    tu_result_free(&r);
    const char *whole[] = {"run", cfg, "--db", s1, "--resume", "--quiet", NULL};
    r = tu_run(dir, whole);
    cr_assert_eq(r.code, 2);
    cr_assert(strstr(r.err, "resume it with --shard 1/3"), "%s", r.err);
    tu_result_free(&r);
    /* a shard has no metrics: report refuses it rather than print an empty table */
    char *rep = tu_path(dir, "rep");
    const char *report[] = {"report", "--db", s1, "--out", rep, "--quiet", NULL};
    r = tu_run(dir, report);
    cr_assert_eq(r.code, 2);
    cr_assert(strstr(r.err, "is shard 1/3 of a run: it has no metrics"), "%s", r.err);
    tu_result_free(&r);
    free(rep);
    const char *bad[] = {"run", cfg, "--shard", "3/3", "--quiet", NULL};
    r = tu_run(dir, bad);
    cr_assert_eq(r.code, 2);
    cr_assert(strstr(r.err, "--shard: got \"3/3\", expected I/N with 0 <= I < N"), "%s", r.err);
    tu_result_free(&r);
    free(before);
    free(after);
    free(cfg);
    free(s1);
}

/* ---- privaudit slurm: the script, run by hand as SLURM would run it ---- */

/* runs `bash script args` in dir with extra environment (NAME=value, NULL-terminated) */
static int run_script(const char *script, const char *mode, const char *env, char **out)
{
    char cmd[8192], log[4200];
    snprintf(log, sizeof log, "%s/.script.log", dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && env %s PRIVAUDIT='%s' bash '%s' %s > '%s' 2>&1", dir, env ? env : "",
             tu_bin(), script, mode ? mode : "", log);
    int st = system(cmd);
    if (out)
        *out = tu_slurp(log);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

Test(shard, the_slurm_script_runs_each_shard_skips_finished_ones_and_merges)
{
    char *cfg = write_shadow_config("sh.json", 5), *sd = tu_path(dir, "shared");
    const char *a[] = {"slurm", cfg, "--shards", "4", "--dir", sd, "--cpus", "2", "--partition", "debug", "--time",
                       "00:10:00", "--max-running", "3", NULL};
    tu_result r = tu_run(dir, a);
    cr_assert_eq(r.code, 0, "%s", r.err);
    char script[4200];
    snprintf(script, sizeof script, "%s/sh.sbatch", sd);
    cr_assert(strstr(r.out, script), "stdout: %s", r.out);
    tu_result_free(&r);
    char *text = tu_slurp(script);
    cr_assert(strstr(text, "#SBATCH --cpus-per-task=2\n#SBATCH --partition=debug\n#SBATCH --time=00:10:00\n"), "%s",
              text);
    cr_assert(strstr(text, "SLURM_ARRAY_TASK_ID"));
    cr_assert(strstr(text, "--dependency=afterok:"));
    free(text);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "bash -n '%s'", script);
    cr_assert_eq(system(cmd), 0, "the script is not valid bash");
    /* submit mode with a stand-in sbatch that records its arguments */
    char *bindir = tu_path(dir, "fakebin");
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && printf '#!/bin/sh\\necho \"$@\" >> \"%s/sbatch.args\"\\necho 4242\\n' > "
             "'%s/sbatch' && chmod +x '%s/sbatch'", bindir, dir, bindir, bindir);
    cr_assert_eq(system(cmd), 0);
    char env[4400];
    snprintf(env, sizeof env, "PATH='%s':\"$PATH\"", bindir);
    char *log = NULL;
    cr_assert_eq(run_script(script, "", env, &log), 0, "%s", log);
    free(log);
    char *args_path = tu_path(dir, "sbatch.args");
    char *calls = tu_slurp(args_path);
    cr_assert(strstr(calls, "--parsable --array=0,1,2,3%3 "), "%s", calls);
    cr_assert(strstr(calls, " shard\n"), "%s", calls);
    cr_assert(strstr(calls, "--parsable --dependency=afterok:4242 "), "%s", calls);
    cr_assert(strstr(calls, " merge\n"), "%s", calls);
    free(calls);
    /* the tasks, as SLURM runs them; task 2 twice: the second time it is skipped */
    for (int i = 0; i < 4; i++) {
        snprintf(env, sizeof env, "SLURM_ARRAY_TASK_ID=%d SLURM_CPUS_PER_TASK=%d", i, 1 + i % 2);
        cr_assert_eq(run_script(script, "shard", env, &log), 0, "task %d: %s", i, log);
        free(log);
    }
    char done2[4400];
    snprintf(done2, sizeof done2, "%s/shard-2-of-4.db.done", sd);
    cr_assert(tu_exists(done2));
    cr_assert_eq(run_script(script, "shard", "SLURM_ARRAY_TASK_ID=2", &log), 0);
    cr_assert(strstr(log, "shard 2/4 finished already"), "%s", log);
    free(log);
    /* submitting again: every shard is done, only the merge is submitted, without a dependency */
    unlink(args_path);
    snprintf(env, sizeof env, "PATH='%s':\"$PATH\"", bindir);
    cr_assert_eq(run_script(script, "", env, &log), 0, "%s", log);
    cr_assert(strstr(log, "all 4 shards finished already"), "%s", log);
    free(log);
    calls = tu_slurp(args_path);
    cr_assert(!strstr(calls, "--array"), "%s", calls);
    cr_assert(!strstr(calls, "afterok"), "%s", calls);
    free(calls);
    cr_assert_eq(run_script(script, "merge", "SLURM_CPUS_PER_TASK=2", &log), 0, "%s", log);
    free(log);
    /* the merged result is the single run's */
    char merged[4400];
    snprintf(merged, sizeof merged, "%s/sh.db", sd);
    char *single = tu_path(dir, "single.db");
    const char *s[] = {"run", cfg, "--db", single, "--quiet", NULL};
    must_run(s);
    char *d1 = dump(single), *d2 = dump(merged);
    cr_assert_str_eq(d1, d2);
    free(d1);
    free(d2);
    free(single);
    free(args_path);
    free(bindir);
    free(sd);
    free(cfg);
}

Test(shard, slurm_refuses_bad_options)
{
    char *cfg = write_shadow_config("sh.json", 5);
    const char *a[] = {"slurm", cfg, "--shards", "100", "--time", "2h", NULL};
    tu_result r = tu_run(dir, a);
    cr_assert_eq(r.code, 2);
    cr_assert(strstr(r.err, "--time: got \"2h\""), "%s", r.err);
    tu_result_free(&r);
    const char *b[] = {"slurm", cfg, "--shards", "81", NULL}; /* 2 cells x 40 games */
    r = tu_run(dir, b);
    cr_assert_eq(r.code, 2);
    cr_assert(strstr(r.err, "only 80 trials"), "%s", r.err);
    tu_result_free(&r);
    const char *c[] = {"slurm", cfg, NULL};
    r = tu_run(dir, c);
    cr_assert_eq(r.code, 2);
    cr_assert(strstr(r.err, "--shards N"), "%s", r.err);
    tu_result_free(&r);
    free(cfg);
}
