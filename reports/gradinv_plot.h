/* gradinv_plot.h — gnuplot figures of gradient-inversion runs, read from the
 * gradinv_* tables of a run's SQLite database (harness/gradinv_store.h). */
#ifndef PA_GRADINV_PLOT_H
#define PA_GRADINV_PLOT_H

#include "core/err.h"

/* Writes into out_dir, for the cells whose tag equals `tag` (NULL: all):
 *   gradinv_grid.{dat,gp,png}  (image data only) one row per cell (B, σ, C,
 *       ε, attack): the first batch's originals on the left, the
 *       reconstructions on the right, each under its matched original's column;
 *   gradinv_eps.{dat,gp,png}   mean reconstruction quality (PSNR for images,
 *       per-attribute accuracy for tables) against the accountant's ε, one
 *       line per (attack, B, C), the non-private cells at the "∞" tic, and the
 *       data-independent guesses as horizontal lines.
 * db is a sqlite3 *. PA_OK without drawing anything when the database has
 * no gradinv tables (so `privaudit report` can call it on every run).
 * PA_ECHILD if gnuplot is missing or fails (data and scripts are written
 * first), PA_EIO, PA_ENOMEM, PA_EINPUT (unreadable tables). */
int gradinv_plot(void *db, const char *out_dir, const char *tag, pa_err *err);

#endif
