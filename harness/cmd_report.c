/* cmd_report.c — privaudit report --db FILE --out DIR [--no-figures] */
#include <stdio.h>
#include <string.h>

#include "harness/args.h"
#include "harness/cli.h"
#include "harness/shard.h"
#include "reports/report.h"

static void report_usage(FILE *f)
{
    fprintf(f, "usage: privaudit report --db FILE --out DIR [--no-figures] [--quiet]\n\n"
               "Reads a run's database and writes DIR/report.md and figures (PNG and PDF, via gnuplot):\n"
               "for a membership run, ROC (linear and log-log), empirical epsilon intervals against the\n"
               "claimed epsilon, their posterior densities, attacks side by side, violations, and\n"
               "privacy-utility curves from the utility stored with every trial; for a database of\n"
               "privaudit gradinv, originals beside reconstructions and quality against epsilon.\n"
               "The summary table is also printed on stdout unless --quiet.\n");
}

int cmd_report(int argc, char **argv)
{
    const char *db = NULL, *out = NULL, *v;
    int figures = 1, quiet = 0, r;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            report_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--no-figures")) {
            figures = 0;
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if ((r = args_opt(argc, argv, &i, "report", "--db", &v))) {
            if (r < 0)
                return 2;
            db = v;
        } else if ((r = args_opt(argc, argv, &i, "report", "--out", &v))) {
            if (r < 0)
                return 2;
            out = v;
        } else {
            fprintf(stderr, "privaudit report: unknown argument \"%s\" (see privaudit report --help)\n", argv[i]);
            return 2;
        }
    }
    if (!db || !out) {
        fprintf(stderr, "privaudit report: expected --db FILE and --out DIR\n");
        return 2;
    }
    shard_spec sp;
    if (shard_peek(db, &sp)) {
        fprintf(stderr, "privaudit report: %s is shard %zu/%zu of a run: it has no metrics, estimates or shadow-attack "
                "scores; merge the shards first (privaudit merge OUT.db SHARD.db..., docs/cluster.md)\n", db, sp.index,
                sp.count);
        return 2;
    }
    report_opts o = {.db_path = db, .out_dir = out, .figures = figures, .table_out = quiet ? NULL : stdout};
    pa_err err = {0};
    int warn = 0;
    int rc = report_write(&o, &warn, &err);
    if (rc) {
        fprintf(stderr, "privaudit report: %s\n", err.msg);
        return rc == PA_EINPUT ? 2 : 1;
    }
    if (warn) {
        fprintf(stderr, "privaudit report: figures not drawn: %s (report.md was written)\n", err.msg);
        return 1;
    }
    if (!quiet)
        fprintf(stderr, "[report] %s/report.md and figures written\n", out);
    return 0;
}
