/* recon_plot.h — gnuplot figures of the reconstruction game: target accuracy
 * against m (log axis, one line per generator and ε, 95% interval bars) and
 * against the mean 3-way TVD of the synthetic sets. PNG (pngcairo) and PDF
 * (pdfcairo); labels escaped with report_gp_quote. */
#ifndef PA_RECON_PLOT_H
#define PA_RECON_PLOT_H

#include <stddef.h>

#include "core/err.h"

typedef struct recon_plot_point {
    const char *generator;
    double epsilon;          /* INFINITY: non-private */
    size_t m;
    double acc, lo, hi;      /* LP target accuracy and its 95% interval */
    double acc_all;          /* LP mean all-records accuracy */
    double baseline;         /* mean majority-class share (all-records baseline) */
    double tvd3;             /* mean 3-way TVD (NAN if not computed) */
} recon_plot_point;

/* Writes recon.dat, recon.gp into dir (which must exist) and runs gnuplot
 * there, producing recon_acc_m.{png,pdf} and recon_acc_tvd.{png,pdf}.
 * PA_EIO if a file cannot be written, PA_ECHILD if gnuplot is missing or
 * fails (the .dat and .gp files are written first either way). */
int recon_plot_write(const char *dir, const recon_plot_point *pts, size_t np, pa_err *err);

#endif
