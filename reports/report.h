/* report.h — report.md, figures and tables from a privaudit database.
 *
 * Reads the SQLite store only (never a run's in-memory structs) and draws
 * one section per kind of result the file holds: a membership run
 * (privaudit run), a white-box DP-SGD audit (privaudit whitebox), a
 * linear-reconstruction sweep (privaudit recon), gradient inversion
 * (privaudit gradinv) — several kinds may share one file. Each kind lives
 * in its own reports/report_<kind>.c behind reports/report_kind.h; figures
 * and tables go through the shared layer reports/plot.h (PDF, SVG and PNG of
 * every figure with its .dat and .gp; CSV and LaTeX of every table).
 *
 * report.md reads top-down: the verdicts and the one figure that matters
 * first, each kind's detail after, then completeness and provenance, and
 * last the timings (the only lines that differ between two databases of the
 * same experiment run with different --jobs).
 */
#ifndef PA_REPORT_H
#define PA_REPORT_H

#include <stdio.h>

#include "core/err.h"
#include "reports/plot.h"

/* kinds of results (report_opts.kinds, report_result.kinds) */
#define REPORT_KIND_RUN      1u   /* membership run: tables experiment, cell, trial, score, estimate, … */
#define REPORT_KIND_AUDIT    2u   /* release audit (privaudit audit) */
#define REPORT_KIND_WHITEBOX 4u   /* whitebox_audit, whitebox_estimate, whitebox_score */
#define REPORT_KIND_RECON    8u   /* recon_point, recon_game */
#define REPORT_KIND_GRADINV  16u  /* gradinv_cell, gradinv_score, gradinv_image */

typedef struct report_opts {
    const char *db_path;
    const char *out_dir;
    int figures;             /* 1: draw figures (report.md and the tables are always written) */
    plot_style style;        /* PLOT_PAPER (default) or PLOT_SCREEN */
    const char *utility;     /* privacy-utility metric: tvd1, tvd2, tvd3, tstr_acc, tstr_auc; NULL = the
                                most informative one stored */
    const char *attacks;     /* comma-separated attack labels the membership figures show (NULL: all) */
    const char *generators;  /* comma-separated generator names the membership figures show (NULL: all) */
    unsigned kinds;          /* REPORT_KIND_* to draw; 0 = every kind present */
    const char *gradinv_tag; /* gradient inversion: the cells of this tag only (NULL: all) */
    FILE *table_out;         /* if not NULL, each kind's summary table is printed here too */
} report_opts;

typedef struct report_result {
    unsigned kinds;          /* the kinds found and drawn */
    int incomplete;          /* 1: a membership run with trials missing (report.md says so) */
    long long trials_planned, trials_stored;
    char resume[1024];       /* how to resume it, when incomplete */
    int figures_failed;      /* 1: gnuplot missing or failed; report.md and the tables were written */
    char figures_msg[1024];  /* why */
    size_t figures;          /* figures drawn */
    char warnings[2048];     /* gnuplot's messages (kept in OUT/gnuplot.log too), "" if none */
    char db_note[512];       /* e.g. "opened read-only (read-only file system)", "" if none */
} report_result;

/* Writes the report of the database o->db_path into o->out_dir. Every file
 * is written into a temporary folder first and moved into place only when
 * all of them were written whole: on any error nothing of this report is
 * left in out_dir. A database on a read-only file system (or a read-only
 * file) is opened read-only, as immutable when SQLite cannot create its
 * WAL index there.
 * Returns PA_OK (res filled, also when figures could not be drawn:
 * res->figures_failed), PA_EINPUT when the file is not a privaudit database
 * or an option does not fit it (err says which), PA_EIO naming the file that
 * could not be written. res may be NULL. */
int report_write(const report_opts *o, report_result *res, pa_err *err);

#endif
