/* recon_plot.c — figures of the reconstruction game; see recon_plot.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/recon_plot.h"
#include "reports/report.h"



static int same_series(const recon_plot_point *a, const recon_plot_point *b)
{
    return !strcmp(a->generator, b->generator) &&
           (a->epsilon == b->epsilon || (isinf(a->epsilon) && isinf(b->epsilon)));
}

int recon_plot_write(const char *dir, const recon_plot_point *pts, size_t np, pa_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/recon.dat", dir);
    FILE *dat = fopen(path, "w");
    if (!dat)
        return pa_errf(err, PA_EIO, "%s: cannot write: %s", path, strerror(errno));
    /* one gnuplot data block per series (blocks separated by two blank lines) */
    size_t nser = 0;
    char titles[64][256];
    unsigned char *done = calloc(np ? np : 1, 1);
    if (!done) {
        fclose(dat);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < np && nser < 64; i++) {
        if (done[i])
            continue;
        char label[200];
        if (isinf(pts[i].epsilon))
            snprintf(label, sizeof label, "%s", pts[i].generator);
        else
            snprintf(label, sizeof label, "%s eps=%g", pts[i].generator, pts[i].epsilon);
        report_gp_quote(label, titles[nser], sizeof titles[nser]);
        fprintf(dat, "# %s\n# m acc lo hi acc_all baseline tvd3\n", label);
        for (size_t j = i; j < np; j++)
            if (!done[j] && same_series(&pts[i], &pts[j])) {
                done[j] = 1;
                fprintf(dat, "%zu %.17g %.17g %.17g %.17g %.17g %.17g\n", pts[j].m, pts[j].acc, pts[j].lo,
                        pts[j].hi, pts[j].acc_all, pts[j].baseline, isnan(pts[j].tvd3) ? -1.0 : pts[j].tvd3);
            }
        fprintf(dat, "\n\n");
        nser++;
    }
    free(done);
    if (fclose(dat))
        return pa_errf(err, PA_EIO, "%s: write failed", path);
    snprintf(path, sizeof path, "%s/recon.gp", dir);
    FILE *gp = fopen(path, "w");
    if (!gp)
        return pa_errf(err, PA_EIO, "%s: cannot write: %s", path, strerror(errno));
    static const char *const term[2][2] = {{"pngcairo size 900,600", "png"}, {"pdfcairo size 6in,4in", "pdf"}};
    for (int t = 0; t < 2; t++) {
        fprintf(gp, "set terminal %s\nset key outside right\nset grid\nset yrange [0:1.05]\nset offsets graph 0.03, graph 0.03, 0, 0\n", term[t][0]);
        fprintf(gp, "set output 'recon_acc_m.%s'\nset logscale x\nset xlabel 'synthetic records m'\n"
                    "set ylabel 'LP accuracy on the target'\n"
                    "set title 'Linear reconstruction: target accuracy (95%% CI) vs m'\n", term[t][1]);
        fprintf(gp, "plot 0.5 with lines dt 2 lc rgb 'gray' title 'guess (0.5)'");
        for (size_t s = 0; s < nser; s++)
            fprintf(gp, ", \\\n  'recon.dat' index %zu using 1:2:3:4 with yerrorlines title %s", s, titles[s]);
        fprintf(gp, "\nunset logscale x\nset output 'recon_acc_tvd.%s'\nset xlabel 'mean 3-way TVD (synthetic vs training)'\n"
                    "set ylabel 'LP accuracy on the target'\nset xrange [0:*]\n"
                    "set title 'Linear reconstruction: target accuracy vs 3-way TVD'\n", term[t][1]);
        fprintf(gp, "plot 0.5 with lines dt 2 lc rgb 'gray' title 'guess (0.5)'");
        for (size_t s = 0; s < nser; s++)
            fprintf(gp, ", \\\n  'recon.dat' index %zu using ($7 >= 0 ? $7 : 1/0):2:3:4 with yerrorbars pt 7 title %s",
                    s, titles[s]);
        fprintf(gp, "\nunset xrange\nset output\n");
    }
    if (fclose(gp))
        return pa_errf(err, PA_EIO, "%s: write failed", path);
    return report_gnuplot(dir, "recon.gp", err);
}
