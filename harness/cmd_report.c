/* cmd_report.c — privaudit report --db FILE --out DIR [options]: parses the
 * options and calls reports/report.h, which reads the database alone. */
#include <stdio.h>
#include <string.h>

#include "harness/args.h"
#include "harness/cli.h"
#include "harness/shard.h"
#include "reports/report.h"

static void report_usage(FILE *f)
{
    fprintf(f, "usage: privaudit report --db FILE --out DIR [--style paper|screen]\n"
               "                        [--utility tvd1|tvd2|tvd3|tstr_acc|tstr_auc]\n"
               "                        [--attack A[,A...]] [--generator G[,G...]] [--no-figures] [--quiet]\n\n"
               "Reads a privaudit database and writes DIR/report.md with a section for each kind of result the\n"
               "file holds (several may share one file):\n"
               "  release audit (privaudit audit): the four risks beyond the control with their intervals, the\n"
               "    attacks' success against real and control records, every attack's detail;\n"
               "  membership run (privaudit run): verdicts, empirical epsilon against the claim (one panel per\n"
               "    generator), privacy-utility (mean +- standard error, against the claimed and the empirical\n"
               "    epsilon), ROC pooled per setting (linear and log-log, best attack highlighted), posterior\n"
               "    densities of epsilon for every setting with a finite claim, every estimate method stored,\n"
               "    per-target detail, completeness (an interrupted run is reported as such, with how to resume);\n"
               "  white-box DP-SGD audit (privaudit whitebox): eps_lo / eps_theory against epsilon per threat\n"
               "    model and estimator, score histograms of members and non-members;\n"
               "  linear reconstruction (privaudit recon): target accuracy against m for every attack, and\n"
               "    against the 3-way TVD of the releases;\n"
               "  gradient inversion (privaudit gradinv): originals beside reconstructions with their scores,\n"
               "    reconstruction quality against epsilon.\n"
               "Every figure is written as PDF, SVG and PNG with its .dat and gnuplot .gp (edit and rerun\n"
               "`gnuplot NAME.gp` in DIR to restyle it); every table as CSV and LaTeX (booktabs). Files are\n"
               "written into a temporary folder and moved into DIR only when all were written whole.\n\n"
               "  --style       paper (default: 3.5 in single-column width, 8 pt; 7 in for grids) or screen\n"
               "  --utility     the privacy-utility metric (default: the stored one that best separates the\n"
               "                settings)\n"
               "  --attack, --generator   restrict the membership figures to these labels\n"
               "  --no-figures  write report.md and the tables only\n"
               "  --quiet       do not print the verdict table on stdout\n\n"
               "Exit codes: 0 success (also for an incomplete run, which is said on stderr); 1 a file could not\n"
               "be written (nothing of the report is left) or gnuplot is missing or failed (report.md and the\n"
               "tables are written); 2 bad usage or not a privaudit database.\n");
}

int cmd_report(int argc, char **argv)
{
    const char *db = NULL, *out = NULL, *v;
    report_opts o = {.figures = 1, .style = PLOT_PAPER};
    int quiet = 0, r;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            report_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--no-figures")) {
            o.figures = 0;
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
        } else if ((r = args_opt(argc, argv, &i, "report", "--style", &v))) {
            if (r < 0)
                return 2;
            if (plot_style_parse(v, &o.style)) {
                fprintf(stderr, "privaudit report: --style: expected paper or screen, got \"%s\"\n", v);
                return 2;
            }
        } else if ((r = args_opt(argc, argv, &i, "report", "--utility", &v))) {
            if (r < 0)
                return 2;
            o.utility = v;
        } else if ((r = args_opt(argc, argv, &i, "report", "--attack", &v))) {
            if (r < 0)
                return 2;
            o.attacks = v;
        } else if ((r = args_opt(argc, argv, &i, "report", "--generator", &v))) {
            if (r < 0)
                return 2;
            o.generators = v;
        } else {
            fprintf(stderr, "privaudit report: unknown argument \"%s\" (see privaudit report --help)\n", argv[i]);
            return 2;
        }
    }
    if (!db || !out) {
        fprintf(stderr, "privaudit report: expected --db FILE and --out DIR\n");
        return 2;
    }
    if (args_in_file("report", "--db", db) || args_out_dir("report", "--out", out) ||
        (o.utility && args_text("report", "--utility", o.utility, 0)) ||
        (o.attacks && args_text("report", "--attack", o.attacks, 0)) ||
        (o.generators && args_text("report", "--generator", o.generators, 0)))
        return 2;
    shard_spec sp;
    if (shard_peek(db, &sp)) {
        fprintf(stderr, "privaudit report: %s is shard %zu/%zu of a run: it has no metrics, estimates or shadow-attack "
                "scores; merge the shards first (privaudit merge OUT.db SHARD.db..., docs/cluster.md)\n", db, sp.index,
                sp.count);
        return 2;
    }
    o.db_path = db;
    o.out_dir = out;
    o.table_out = quiet ? NULL : stdout;
    pa_err err = {0};
    report_result res;
    int rc = report_write(&o, &res, &err);
    if (rc) {
        fprintf(stderr, "privaudit report: %s\n", err.msg);
        return rc == PA_EINPUT ? 2 : 1;
    }
    if (res.db_note[0] && !quiet)
        fprintf(stderr, "privaudit report: %s: %s\n", db, res.db_note);
    if (res.incomplete)
        fprintf(stderr, "privaudit report: %s: the run is incomplete: %lld of %lld planned trials stored, %lld "
                        "missing; to finish it: %s\n",
                db, res.trials_stored, res.trials_planned, res.trials_planned - res.trials_stored, res.resume);
    if (res.figures_failed) {
        fprintf(stderr, "privaudit report: figures not drawn: %s (report.md and the tables were written)\n",
                res.figures_msg);
        return 1;
    }
    if (res.warnings[0])
        fprintf(stderr, "privaudit report: gnuplot warned while drawing; its messages are in %s/gnuplot.log\n",
                out);
    if (!quiet)
        fprintf(stderr, "[report] %s/report.md written (%zu figures)\n", out, res.figures);
    return 0;
}
