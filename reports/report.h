/* report.h — figures and report.md from a run's SQLite database.
 *
 * Reads the store only (never a run's in-memory structs). Figures are drawn
 * by gnuplot at run time (PNG and PDF, pngcairo/pdfcairo); every label that
 * reaches a gnuplot script is escaped (report_gp_quote). */
#ifndef PA_REPORT_H
#define PA_REPORT_H

#include <stdio.h>

#include "core/err.h"

typedef struct report_opts {
    const char *db_path;
    const char *out_dir;
    int figures;          /* 1: draw figures with gnuplot (report.md is always written) */
    FILE *table_out;      /* if not NULL, the summary table is printed here too */
} report_opts;

/* Writes report.md, the figures' data (.dat) and scripts (.gp) into
 * out_dir, and runs gnuplot there for the PNG and PDF figures. If gnuplot is missing or fails, report.md is still written
 * and *warn (if not NULL) is set to 1 with a message in err. */
int report_write(const report_opts *o, int *warn, pa_err *err);

/* Writes s as a gnuplot single-quoted string literal into buf (cap bytes):
 * ' becomes '' and control characters become spaces. Returns buf. */
char *report_gp_quote(const char *s, char *buf, size_t cap);

/* Runs gnuplot on `script` with dir as its working folder (argv, no shell),
 * so the script's relative file names resolve there; stdout is discarded.
 * PA_ECHILD (naming the apt package when gnuplot is missing, or the script
 * when it fails), else PA_OK. */
int report_gnuplot(const char *dir, const char *script, pa_err *err);

#endif
