/* plot.h — the figure and table layer shared by every report kind.
 *
 * A report is written into one output folder through a plot_out: every file
 * (report.md, each figure's .dat/.gp/.pdf/.svg/.png, each table's .csv/.tex)
 * goes first into a private temporary folder inside it, every write and
 * close is checked, and plot_out_commit renames the files into place at the
 * end. A failure anywhere (a full disk, a quota, gnuplot writing a truncated
 * file) leaves the folder as it was: plot_out_free removes the temporary
 * folder. Nothing from gnuplot reaches the terminal: its messages are kept
 * (plot_out_warnings) and its exit status checked.
 *
 * Conventions every figure gets from this layer:
 *  - Okabe–Ito colours (colour-blind safe) and a distinct filled marker per
 *    series index (plot_series): give each attack (or generator) one index
 *    and use it in every panel and every figure of a report;
 *  - small multiples on one aligned grid, axis labels on the outer panels
 *    only, and one shared legend in a strip above the panels, outside the
 *    data (plot_layout, plot_panel);
 *  - ε axes (plot_eps_axis): log scale with a tick at each claimed value,
 *    and ∞ (a non-private setting) on its own slot past a break mark, so
 *    nothing finite seems to reach it; data files keep the real value
 *    ("inf"), the script maps it with the function EX();
 *  - every figure drawn as PDF (pdfcairo, fonts embedded), SVG and PNG from
 *    one script, name.gp, that an author can edit and rerun (`gnuplot
 *    name.gp` in the folder), reading name.dat (values written with %.17g);
 *  - two styles: PLOT_PAPER (3.5 in single-column width, 8 pt; 7 in when a
 *    figure asks for double width) and PLOT_SCREEN (6.5 in / 9.5 in, 10 pt).
 *
 * How to draw one figure:
 *
 *     plot_key key[] = {{"dcr", s0}, {"domias", s1}};     // s_k from plot_series(k, ...)
 *     plot_layout L = {.panels = 2, .cols = 2, .key = key, .nkey = 2};
 *     plot_fig *f;
 *     if ((rc = plot_fig_begin(po, "eps", "what the figure shows", &L, &f, err))) return rc;
 *     plot_dat_comment(f, "claimed lo hi");               // data: one block per series
 *     plot_dat_row(f, 3, (double[]){1, 0.2, 0.9});
 *     size_t b0 = plot_dat_end_block(f);                  // its index for `plot ... index b0`
 *     plot_panel(f, 0, "marginals", "claimed ε", "empirical ε");
 *     plot_eps_axis_emit(f, &ax);                         // after plot_eps_axis_init(&ax, claims, n)
 *     plot_gp(f, "plot DAT index %zu using (EX($1)):2 with points %s notitle", b0, s0);
 *     ...
 *     rc = plot_fig_end(f, err);                          // writes, runs gnuplot, checks the outputs
 *
 * DAT is a gnuplot variable holding the data file's name. Labels that reach
 * a script go through plot_quote. A table: plot_table_new, cells row by
 * row (plot_table_text/num/interval, plot_table_end_row), then
 * plot_table_write, which writes the Markdown table into a stream and
 * name.csv and name.tex (booktabs) into the folder.
 *
 * Functions return PA_OK or an error code with err filled (PA_EIO naming the
 * final path of the file that could not be written, PA_ECHILD when gnuplot
 * is missing or fails, PA_ENOMEM); none of them prints.
 */
#ifndef PA_PLOT_H
#define PA_PLOT_H

#include <stddef.h>
#include <stdio.h>

#include "core/err.h"

typedef enum plot_style { PLOT_PAPER = 0, PLOT_SCREEN = 1 } plot_style;

/* Parses "paper" or "screen"; -1 for anything else. */
int plot_style_parse(const char *s, plot_style *out);

/* ---- the output folder ---- */

typedef struct plot_out plot_out;

/* Creates out_dir if needed and a temporary folder inside it. On error *out
 * is NULL. */
int plot_out_open(const char *out_dir, plot_style style, plot_out **out, pa_err *err);

/* Writes buf (len bytes) as file `name` (no '/') of the report. */
int plot_out_file(plot_out *po, const char *name, const void *buf, size_t len, pa_err *err);

/* Writes the manifest (.privaudit-report, the list of the report's files),
 * moves every file written into out_dir (each rename replaces a file of the
 * same name; renames need no space, so a full disk stops the report before
 * anything moved), removes the files an earlier report listed in its
 * manifest that this one did not write, and removes the temporary folder. */
int plot_out_commit(plot_out *po, pa_err *err);

/* Removes the temporary folder and its files (everything, unless
 * committed) and frees po; accepts NULL. */
void plot_out_free(plot_out *po);

plot_style plot_out_style(const plot_out *po);
const char *plot_out_dir(const plot_out *po);

/* gnuplot's messages about the figures drawn so far, one "name.gp: line"
 * per line; "" when there were none. Owned by po. */
const char *plot_out_warnings(const plot_out *po);

/* Number of figures drawn (gnuplot run and checked) so far. */
size_t plot_out_figures(const plot_out *po);

/* ---- series styles ---- */

/* The k-th colour of the palette ("#0072B2", …; Okabe & Ito 2008, black
 * last), cycling after 8. */
const char *plot_colour(size_t k);

/* The k-th marker: a gnuplot point type, filled shapes first, cycling
 * after 10 (so colour and marker together tell 40 series apart). */
int plot_marker(size_t k);

/* Writes "lc rgb '#0072B2' pt 7 ps P" for series k into buf (points,
 * linespoints, error bars); returns buf. */
char *plot_series(plot_out *po, size_t k, char *buf, size_t cap);

/* Writes "lc rgb '#0072B2'" for series k (lines, filled curves); returns buf. */
char *plot_line(size_t k, char *buf, size_t cap);

/* Writes s as a gnuplot single-quoted string ('' for ', control characters
 * as spaces) into buf; returns buf (truncated to cap). */
char *plot_quote(const char *s, char *buf, size_t cap);

/* ---- figures ---- */

typedef struct plot_key {
    const char *title;       /* the legend text */
    const char *style;       /* a gnuplot "with" clause, e.g. "linespoints lc rgb '#0072B2' pt 7" */
} plot_key;

typedef struct plot_layout {
    size_t panels;           /* small multiples, >= 1 */
    size_t cols;             /* panels per row; 0 = up to 3 */
    double aspect;           /* panel plot-area height / width; 0 = 0.72 */
    int wide;                /* 1: double-column width (paper) or the wide screen width */
    int ylabel_every;        /* 1: room for a y label left of every panel (panels with their own scales) */
    double left_em;          /* room left of the first column, in font sizes (0: 5.2, for tics and a label) */
    const plot_key *key;     /* the shared legend (may be NULL) */
    size_t nkey;
} plot_layout;

typedef struct plot_fig plot_fig;

/* Starts figure `name` (files name.dat, name.gp, name.{pdf,svg,png});
 * title is a comment at the top of the script (may be NULL). */
int plot_fig_begin(plot_out *po, const char *name, const char *title, const plot_layout *l, plot_fig **out,
                   pa_err *err);

/* Data: a "# ..." comment line, a row of n values (%.17g; "inf", "-inf",
 * "nan" for the non-finite), a single blank line (a gap: gnuplot breaks a
 * line there), and the end of a block (two blank lines), returning the
 * block's index for "index N". */
void plot_dat_comment(plot_fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void plot_dat_row(plot_fig *f, size_t n, const double *v);
void plot_dat_gap(plot_fig *f);
size_t plot_dat_end_block(plot_fig *f);

/* One line (or several) of gnuplot into the figure's body. */
void plot_gp(plot_fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One term of the current panel's plot command ("DAT index 0 using 1:2
 * with lines ..."): the first starts `plot`, the next are joined with
 * commas; plot_plot_end ends the command (nothing is drawn in a panel
 * without terms). */
void plot_term(plot_fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void plot_plot_end(plot_fig *f);

/* Places panel i of the grid (0-based, row-major) and clears what the
 * previous panel set (labels, arrows, objects, log scales, ranges, tics);
 * sets its title and the axis labels: xlabel only when no panel sits below
 * it, ylabel only in the first column (unless ylabel_every). Any of the
 * strings may be NULL. */
void plot_panel(plot_fig *f, size_t i, const char *title, const char *xlabel, const char *ylabel);

/* Finishes the figure: draws the legend strip, writes name.dat and name.gp,
 * runs gnuplot, checks that name.pdf, name.svg and name.png are complete
 * files, and frees f (also on error). */
int plot_fig_end(plot_fig *f, pa_err *err);

/* Frees an unfinished figure without drawing it; accepts NULL. */
void plot_fig_abort(plot_fig *f);

/* A round tic step (1, 2 or 5 times a power of ten) giving about n tics
 * over span (> 0). */
double plot_nice_step(double span, int n);

/* ---- the ε axis with ∞ on its own slot ---- */

#define PLOT_EPS_MAX 64

typedef struct plot_eps_axis {
    size_t n;                    /* distinct finite claimed values, ascending */
    double v[PLOT_EPS_MAX];
    int has_inf;                 /* a non-private (ε = ∞) setting is shown */
    double umin, umax;           /* log10 of the smallest and largest finite value */
    double uinf, ubreak;         /* the ∞ slot and the break mark, in log10 units */
    double lo, hi;               /* the axis range, in log10 units */
} plot_eps_axis;

/* From the claimed ε values of the figure (INFINITY allowed; NAN and
 * values <= 0 ignored; at most PLOT_EPS_MAX distinct finite values). */
void plot_eps_axis_init(plot_eps_axis *a, const double *eps, size_t n);

/* In the current panel: defines EX(e) (log10 e, or the ∞ slot), the x
 * range, a tic at every claimed value and at ∞, and the break mark. Plot
 * with "using (EX($1)):2" (or EX($1)+offset to dodge series). */
void plot_eps_axis_emit(plot_fig *f, const plot_eps_axis *a);

/* Formats ε for labels: "∞" (or "inf" when ascii), "–"/"-" for NaN, else
 * %.3g, and from 10⁴ on as 2.4×10⁶ (unless ascii). */
char *plot_fmt_eps(double v, int ascii, char *buf, size_t cap);

/* ---- tables: Markdown, CSV and LaTeX (booktabs) ---- */

typedef enum plot_col_kind {
    PLOT_TEXT,       /* a string */
    PLOT_NUM,        /* a number printed with fmt (e.g. "%.3f"); ∞/NaN spelled out */
    PLOT_INTERVAL,   /* [lo, hi]: one column in Markdown and LaTeX, key_lo and key_hi in CSV */
    PLOT_PM          /* mean ± standard error: one column in Markdown and LaTeX, key_mean and key_se in CSV */
} plot_col_kind;

typedef struct plot_col {
    const char *key;         /* CSV header (ASCII, no spaces) */
    const char *head;        /* Markdown/LaTeX header (UTF-8; ε, ∞, σ, ≥ converted for LaTeX) */
    plot_col_kind kind;
    const char *fmt;         /* printf format of PLOT_NUM / PLOT_INTERVAL values; NULL = "%.3g" */
} plot_col;

typedef struct plot_table plot_table;

/* A table named `name` (files name.csv, name.tex) with ncols columns (the
 * array is copied, its strings must outlive the table). caption goes into
 * the LaTeX table. NULL on allocation failure. */
plot_table *plot_table_new(const char *name, const char *caption, const plot_col *cols, size_t ncols);

/* Cells of the current row, left to right; a row with fewer cells than
 * columns is padded with empty cells by plot_table_end_row. */
void plot_table_text(plot_table *t, const char *s);
void plot_table_num(plot_table *t, double x);
void plot_table_interval(plot_table *t, double lo, double hi);   /* also PLOT_PM: (mean, se) */
void plot_table_end_row(plot_table *t);
size_t plot_table_rows(const plot_table *t);

/* Writes the Markdown table into md (may be NULL) and name.csv, name.tex
 * into the report; frees t (also on error; accepts NULL t as PA_ENOMEM). */
int plot_table_write(plot_out *po, plot_table *t, FILE *md, pa_err *err);

/* Frees a table without writing it; accepts NULL. */
void plot_table_free(plot_table *t);

#endif
