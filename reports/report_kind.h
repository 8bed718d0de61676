/* report_kind.h — the interface between report.c and the file of each kind
 * of result (reports/report_<kind>.c). Internal to reports/.
 *
 * Adding a kind: write reports/report_<kind>.c defining a report_kind
 * (present: does the database hold results of this kind; write: draw its
 * section), declare it below and list it in report.c's kinds[] in the order
 * the sections should appear. A kind reads the database through c->db only
 * (read-only), writes files through c->po (reports/plot.h) and text into
 * the four streams of report.md:
 *   head   — its verdict, the one figure that matters, a short table;
 *   body   — its detail ("## ..." sections);
 *   prov   — its completeness and provenance lines (Markdown list items);
 *   timing — timings (Markdown list items): the only lines allowed to
 *            differ between two databases of the same experiment.
 * Figures go through rk_figure so that a missing or failing gnuplot stops
 * further figures but not the report.
 */
#ifndef PA_REPORT_KIND_H
#define PA_REPORT_KIND_H

#include <stdio.h>

#include <sqlite3.h>

#include "core/err.h"
#include "reports/plot.h"
#include "reports/report.h"

typedef struct report_ctx {
    sqlite3 *db;               /* read-only */
    const char *db_path;
    const report_opts *o;
    plot_out *po;
    FILE *head, *body, *prov, *timing;
    FILE *tty;                 /* o->table_out (may be NULL) */
    report_result *res;
    int figures_off;           /* 1: no more figures (not asked for, or gnuplot failed) */
} report_ctx;

typedef struct report_kind {
    unsigned bit;              /* REPORT_KIND_* */
    const char *name;          /* "membership run", … */
    int (*present)(sqlite3 *db);
    int (*write)(report_ctx *c, pa_err *err);
} report_kind;

extern const report_kind report_kind_audit;
extern const report_kind report_kind_run;
extern const report_kind report_kind_whitebox;
extern const report_kind report_kind_recon;
extern const report_kind report_kind_gradinv;

/* 1 when table `name` exists and has at least one row. */
int rk_has_rows(sqlite3 *db, const char *table);

/* 1 when table `table` has column `col`. */
int rk_has_column(sqlite3 *db, const char *table, const char *col);

/* A column as a double: NAN for NULL. */
double rk_real(sqlite3_stmt *s, int k);

/* A column as text: "" for NULL. */
const char *rk_text(sqlite3_stmt *s, int k);

/* 1 when the figures should be drawn. */
int rk_figures_on(const report_ctx *c);

/* Takes the result of drawing a figure: PA_ECHILD (gnuplot missing or
 * failing) is recorded in c->res and turns further figures off, returning
 * PA_OK; any other error is returned as it is. */
int rk_figure(report_ctx *c, int rc, pa_err *err);

/* Writes a Markdown image of figure `name` (its PNG, with links to its PDF
 * and SVG) with a caption, if the figure was drawn. */
void rk_md_figure(report_ctx *c, FILE *f, const char *name, const char *caption);

/* Writes a Markdown table (as plot_table_write wrote it) to c->tty, if
 * any, without its "*Table: ...*" line. */
void rk_tty_table(report_ctx *c, const char *md, size_t len);

/* 1 when `label` is one of the comma-separated names in `list` (or list is NULL). */
int rk_selected(const char *list, const char *label);

/* Prepares sql; PA_EINPUT naming the database and SQLite's message on failure. */
int rk_prepare(report_ctx *c, const char *sql, sqlite3_stmt **s, pa_err *err);

#endif
