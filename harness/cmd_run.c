/* cmd_run.c — privaudit run CONFIG.json [--db FILE] [--jobs N] [--resume] [--seed S] [--shard I/N] */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/err.h"
#include "generators/external.h"
#include "harness/args.h"
#include "harness/cli.h"
#include "harness/config.h"
#include "harness/run.h"
#include "harness/shard.h"

static void run_usage(FILE *f)
{
    fprintf(f,
            "usage: privaudit run CONFIG.json [--db FILE] [--jobs N] [--resume] [--seed S] [--shard I/N]\n"
            "                     [--quiet]\n\n"
            "Plays the membership-inference game the config describes (docs/config.md) and stores every\n"
            "trial, score, metric and epsilon estimate in a SQLite database (docs/database.md).\n\n"
            "  --db FILE    database to write (default: NAME.db beside the config, NAME from the config)\n"
            "  --jobs N     trials run in N threads; results do not depend on N (default 1)\n"
            "  --resume     continue an interrupted run stored in --db (same config, data and seed)\n"
            "  --seed S     override the config's seed (a new experiment: use a new --db)\n"
            "  --shard I/N  run only shard I of N (trials and shadow releases whose id is I mod N) into its\n"
            "               own --db (default NAME-shardI-of-N.db); no metrics: combine the N shard\n"
            "               databases with privaudit merge (docs/cluster.md). --resume works per shard\n"
            "  --quiet      no progress on stderr\n");
}

/* Failed trials are said even under --quiet: how many, and the first error
 * stored (table trial, column error). */
static void report_failures(const char *db_path, const run_summary *sum)
{
    char first[700] = "";
    long long failed = -1, total = -1;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT (SELECT count(*) FROM trial WHERE status = 'failed'), (SELECT count(*) FROM "
                               "trial), (SELECT error FROM trial WHERE status = 'failed' ORDER BY id LIMIT 1)",
                               -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW) {
            failed = sqlite3_column_int64(q, 0);
            total = sqlite3_column_int64(q, 1);
            const unsigned char *t = sqlite3_column_text(q, 2);
            snprintf(first, sizeof first, "%s", t ? (const char *)t : "");
        }
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    if (failed < 0) {
        failed = (long long)sum->failed;
        total = (long long)sum->ran;
    }
    fprintf(stderr, "privaudit run: %lld of %lld trials failed%s%s (each error is in %s, table trial, column error; "
            "--resume does not retry them)\n", failed, total, first[0] ? "; the first: " : "", first, db_path);
}

int cmd_run(int argc, char **argv)
{
    const char *cfg_path = NULL, *db = NULL, *v;
    uint64_t jobs = 1, seed = 0;
    int have_seed = 0, resume = 0, quiet = 0, r;
    shard_spec shard = {0, 0};
    pa_err perr = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            run_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--resume")) {
            resume = 1;
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if ((r = args_opt(argc, argv, &i, "run", "--db", &v))) {
            if (r < 0 || args_path("run", "--db", v))
                return 2;
            db = v;
        } else if ((r = args_opt(argc, argv, &i, "run", "--jobs", &v))) {
            if (r < 0 || args_u64("run", "--jobs", v, 1, 256, &jobs))
                return 2;
        } else if ((r = args_opt(argc, argv, &i, "run", "--seed", &v))) {
            if (r < 0 || args_u64("run", "--seed", v, 0, UINT64_MAX, &seed))
                return 2;
            have_seed = 1;
        } else if ((r = args_opt(argc, argv, &i, "run", "--shard", &v))) {
            if (r < 0)
                return 2;
            if (shard_parse(v, &shard, &perr)) {
                fprintf(stderr, "privaudit run: %s\n", perr.msg);
                return 2;
            }
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "privaudit run: unknown option \"%s\" (see privaudit run --help)\n", argv[i]);
            return 2;
        } else if (!cfg_path) {
            cfg_path = argv[i];
        } else {
            fprintf(stderr, "privaudit run: unexpected argument \"%s\": expected one CONFIG.json\n", argv[i]);
            return 2;
        }
    }
    if (!cfg_path) {
        fprintf(stderr, "privaudit run: expected a CONFIG.json\n");
        run_usage(stderr);
        return 2;
    }
    if (args_in_file("run", "CONFIG.json", cfg_path))
        return 2;
    pa_err err = {0};
    config *c = NULL;
    if (config_read(cfg_path, have_seed ? &seed : NULL, &c, &err)) {
        fprintf(stderr, "privaudit run: %s\n", err.msg);
        return 2;
    }
    char dbbuf[PATH_MAX + 256];
    if (!db) { /* NAME.db (a shard: NAME-shardI-of-N.db) beside the config (docs/config.md); NAME has no separator */
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", cfg_path);
        if (shard.count)
            snprintf(dbbuf, sizeof dbbuf, "%s/%s-shard%zu-of-%zu.db", dirname(dir), c->name, shard.index, shard.count);
        else
            snprintf(dbbuf, sizeof dbbuf, "%s/%s.db", dirname(dir), c->name);
        db = dbbuf;
    }
    const args_input inputs[] = {{"CONFIG.json", cfg_path}, {"data.csv", c->data_csv},
                                 {"data.schema", c->data_schema}, {NULL, NULL}};
    if (args_db_file("run", db == dbbuf ? "the default database" : "--db", db, inputs)) {
        config_free(c);
        return 2;
    }
    /* folders of training records left by a privaudit killed with SIGKILL */
    size_t swept = gen_external_sweep();
    if (swept && !quiet)
        fprintf(stderr, "[run] removed %zu temporary folder%s of training records left by a killed privaudit\n",
                swept, swept == 1 ? "" : "s");
    run_opts o = {.db_path = db, .jobs = (int)jobs, .resume = resume, .progress = !quiet, .shard = shard};
    run_summary sum;
    int rc = run_experiment(c, &o, &sum, &err);
    config_free(c);
    if (rc) {
        fprintf(stderr, "privaudit run: %s\n", err.msg);
        return rc == PA_EINPUT ? 2 : 1;
    }
    if (!quiet)
        fprintf(stderr, "[run] done: %zu trials planned, %zu stored before, %zu run now (%zu failed) in %.1fs -> %s\n",
                sum.planned, sum.done_before, sum.ran, sum.failed, sum.seconds, db);
    if (sum.failed)
        report_failures(db, &sum);
    if (sum.unscored)
        fprintf(stderr, "privaudit run: %zu shadow classifier%s could not be trained, their scores are missing: %s\n",
                sum.unscored, sum.unscored == 1 ? "" : "s", sum.unscored_why);
    return sum.failed || sum.unscored ? 1 : 0;
}
