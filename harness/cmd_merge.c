/* cmd_merge.c — privaudit merge OUT.db SHARD.db... [--jobs N] [--quiet] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "harness/args.h"
#include "harness/cli.h"
#include "harness/shard.h"

static void merge_usage(FILE *f)
{
    fprintf(f,
            "usage: privaudit merge OUT.db SHARD.db... [--jobs N] [--quiet]\n\n"
            "Combines the databases of privaudit run CONFIG --shard I/N (one per I = 0..N-1) into OUT.db,\n"
            "then trains the shadow-model classifiers and computes every score, metric and epsilon\n"
            "estimate exactly as a single run of CONFIG would: OUT.db equals the single run's database\n"
            "in every table but timings (docs/cluster.md, docs/database.md).\n\n"
            "Refused (exit 2, naming the shard, nothing written): a shard of another experiment (config\n"
            "hash, seed, data hash or code version differ), a shard given twice, a missing shard, an\n"
            "incomplete shard (resume it first), OUT.db already existing.\n\n"
            "  --jobs N     classifiers and scores on N threads; results do not depend on N (default 1)\n"
            "  --quiet      no progress on stderr\n");
}

int cmd_merge(int argc, char **argv)
{
    const char *out = NULL, *v;
    const char **shards = calloc((size_t)argc + 1, sizeof *shards);
    size_t n = 0;
    uint64_t jobs = 1;
    int quiet = 0, r, code = 2;
    if (!shards) {
        fprintf(stderr, "privaudit merge: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            merge_usage(stdout);
            code = 0;
            goto done;
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if ((r = args_opt(argc, argv, &i, "merge", "--jobs", &v))) {
            if (r < 0 || args_u64("merge", "--jobs", v, 1, 256, &jobs))
                goto done;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "privaudit merge: unknown option \"%s\" (see privaudit merge --help)\n", argv[i]);
            goto done;
        } else if (!out) {
            out = argv[i];
        } else {
            shards[n++] = argv[i];
        }
    }
    if (!out || !n) {
        fprintf(stderr, "privaudit merge: expected OUT.db and at least one SHARD.db\n");
        merge_usage(stderr);
        goto done;
    }
    merge_opts o = {.jobs = (int)jobs, .progress = !quiet};
    merge_info info;
    pa_err err = {0};
    int rc = merge_shards(out, shards, n, &o, &info, &err);
    if (rc) {
        fprintf(stderr, "privaudit merge: %s\n", err.msg);
        code = rc == PA_EINPUT ? 2 : 1;
        goto done;
    }
    if (!quiet)
        fprintf(stderr, "[merge] done: %zu shards, %zu trials, %zu shadow releases -> %s (copy %.2fs, classifiers, "
                "scores and metrics %.2fs)\n", info.shards, info.trials, info.shadows, out, info.copy_s, info.finish_s);
    code = 0;
    if (info.unscored) {
        fprintf(stderr, "privaudit merge: %zu shadow classifier%s could not be trained, their scores are missing: %s\n",
                info.unscored, info.unscored == 1 ? "" : "s", info.first_error);
        code = 1;
    }
done:
    free(shards);
    return code;
}
