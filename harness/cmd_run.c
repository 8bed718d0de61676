/* cmd_run.c — privaudit run CONFIG.json [--db FILE] [--jobs N] [--resume] [--seed S] [--shard I/N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
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
            if (r < 0)
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
    pa_err err = {0};
    config *c = NULL;
    if (config_read(cfg_path, have_seed ? &seed : NULL, &c, &err)) {
        fprintf(stderr, "privaudit run: %s\n", err.msg);
        return 2;
    }
    char dbbuf[4096];
    if (!db) {
        if (shard.count)
            snprintf(dbbuf, sizeof dbbuf, "%s-shard%zu-of-%zu.db", c->name, shard.index, shard.count);
        else
            snprintf(dbbuf, sizeof dbbuf, "%s.db", c->name);
        db = dbbuf;
    }
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
    if (sum.unscored)
        fprintf(stderr, "privaudit run: %zu shadow classifier%s could not be trained, their scores are missing: %s\n",
                sum.unscored, sum.unscored == 1 ? "" : "s", sum.unscored_why);
    return sum.failed || sum.unscored ? 1 : 0;
}
