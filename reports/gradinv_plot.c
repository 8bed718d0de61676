/* gradinv_plot.c — figures of gradient-inversion runs (reports/gradinv_plot.h). */
#include "reports/gradinv_plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "reports/report.h"


#define MAX_ROWS 48


static FILE *open_out(const char *dir, const char *name, pa_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        pa_errf(err, PA_EIO, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

/* A gnuplot single-quoted string: ' doubled, control characters dropped. */
static void gp_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("''", f);
        else if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
    }
    fputc('\'', f);
}

static void fmt_num(char *b, size_t n, double x)
{
    if (isinf(x) || isnan(x))
        snprintf(b, n, "inf");
    else
        snprintf(b, n, "%.3g", x);
}

static void bind_tag(sqlite3_stmt *s, const char *tag)
{
    if (tag)
        sqlite3_bind_text(s, 1, tag, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, 1);
}

static double col_real(sqlite3_stmt *s, int k)
{
    return sqlite3_column_type(s, k) == SQLITE_NULL ? INFINITY : sqlite3_column_double(s, k);
}

/* ---- the grid of originals and reconstructions ---- */

static int plot_grid(sqlite3 *db, const char *dir, const char *tag, pa_err *err)
{
    sqlite3_stmt *s = NULL, *im = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, batch, sigma, clip, eps, attack, image_h, image_w FROM gradinv_cell"
                           " WHERE (?1 IS NULL OR tag = ?1) AND image_h > 0 ORDER BY attack, batch, sigma, clip, id",
                           -1, &s, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT rec, kind, vals FROM gradinv_image WHERE cell_id = ? AND batch_idx = 0", -1,
                           &im, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return pa_errf(err, PA_EINPUT, "gradinv figures: %s", sqlite3_errmsg(db));
    }
    bind_tag(s, tag);
    int64_t id[MAX_ROWS];
    size_t Bs[MAX_ROWS], nrow = 0, H = 0, W = 0, Bmax = 0;
    char lab[MAX_ROWS][128];
    while (sqlite3_step(s) == SQLITE_ROW && nrow < MAX_ROWS) {
        size_t h = (size_t)sqlite3_column_int64(s, 6), w = (size_t)sqlite3_column_int64(s, 7);
        if (nrow == 0) {
            H = h;
            W = w;
        }
        if (h != H || w != W)
            continue;
        char sg[32], cp[32], ep[32];
        fmt_num(sg, sizeof sg, sqlite3_column_double(s, 2));
        fmt_num(cp, sizeof cp, col_real(s, 3));
        fmt_num(ep, sizeof ep, col_real(s, 4));
        id[nrow] = sqlite3_column_int64(s, 0);
        Bs[nrow] = (size_t)sqlite3_column_int64(s, 1);
        snprintf(lab[nrow], sizeof lab[nrow], "%s B=%zu σ=%s C=%s ε=%s", (const char *)sqlite3_column_text(s, 5),
                 Bs[nrow], sg, cp, ep);
        if (Bs[nrow] > Bmax)
            Bmax = Bs[nrow];
        nrow++;
    }
    sqlite3_finalize(s);
    if (nrow == 0) {
        sqlite3_finalize(im);
        return PA_OK;
    }
    size_t cw = 2 * Bmax * (W + 1) + 3, ch = nrow * (H + 1);
    double *cv = malloc(cw * ch * sizeof *cv);
    if (!cv) {
        sqlite3_finalize(im);
        return pa_errf(err, PA_ENOMEM, "gradinv figures: out of memory");
    }
    for (size_t k = 0; k < cw * ch; k++)
        cv[k] = NAN;
    for (size_t r = 0; r < nrow; r++) {
        sqlite3_reset(im);
        sqlite3_bind_int64(im, 1, id[r]);
        while (sqlite3_step(im) == SQLITE_ROW) {
            size_t rec = (size_t)sqlite3_column_int64(im, 0);
            int recon = !strcmp((const char *)sqlite3_column_text(im, 1), "recon");
            const char *v = (const char *)sqlite3_column_text(im, 2);
            if (rec >= Bmax || !v)
                continue;
            size_t x0 = (recon ? Bmax * (W + 1) + 3 : 0) + rec * (W + 1), y0 = r * (H + 1);
            char *end;
            for (size_t k = 0; k < H * W && *v; k++, v = end) {
                double x = strtod(v, &end);
                if (end == v)
                    break;
                cv[(y0 + k / W) * cw + x0 + k % W] = fmin(1, fmax(0, x));
            }
        }
    }
    sqlite3_finalize(im);
    FILE *f = open_out(dir, "gradinv_grid.dat", err);
    if (!f) {
        free(cv);
        return err->code;
    }
    for (size_t y = 0; y < ch; y++) {
        for (size_t x = 0; x < cw; x++)
            fprintf(f, x ? " %.17g" : "%.17g", cv[y * cw + x]);
        fputc('\n', f);
    }
    fclose(f);
    free(cv);
    if (!(f = open_out(dir, "gradinv_grid.gp", err)))
        return err->code;
    fprintf(f, "set terminal pngcairo size %zu,%zu font 'Sans,9'\nset output 'gradinv_grid.png'\n",
            (size_t)fmax(500, (double)cw * 12 + 260), (size_t)fmax(200, (double)ch * 12 + 80));
    fprintf(f, "set title 'originals (left) and reconstructions (right), first batch of each cell'\n"
               "set palette gray\nunset colorbox\nset size ratio -1\nset datafile missing 'nan'\n"
               "set xrange [-0.5:%zu]\nset yrange [%zu:-0.5]\nunset xtics\nset ytics scale 0 (",
            cw, ch);
    for (size_t r = 0; r < nrow; r++) {
        fputs(r ? ", " : "", f);
        gp_quote(f, lab[r]);
        fprintf(f, " %g", (double)(r * (H + 1)) + (double)H / 2);
    }
    fprintf(f, ")\nset cbrange [0:1]\nplot 'gradinv_grid.dat' matrix with image notitle\n");
    fclose(f);
    return report_gnuplot(dir, "gradinv_grid.gp", err);
}

/* ---- quality against ε ---- */

typedef struct pt {
    char attack[32];
    size_t B;
    double clip, eps, q, exact;
} pt;

static int plot_eps(sqlite3 *db, const char *dir, const char *tag, pa_err *err)
{
    sqlite3_stmt *s = NULL;
    const char *sql =
        "SELECT c.attack, c.batch, c.clip, c.eps, c.image_h,"
        " avg(CASE WHEN c.image_h > 0 THEN (CASE WHEN s.mse = 0 THEN 100 ELSE min(s.psnr, 100) END)"
        "     ELSE s.attr_acc END), avg(s.exact)"
        " FROM gradinv_cell c JOIN gradinv_score s ON s.cell_id = c.id AND s.method = c.attack"
        " WHERE (?1 IS NULL OR c.tag = ?1) GROUP BY c.id ORDER BY c.attack, c.batch, c.clip, c.eps IS NULL, c.eps";
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return pa_errf(err, PA_EINPUT, "gradinv figures: %s", sqlite3_errmsg(db));
    bind_tag(s, tag);
    pt *p = NULL;
    size_t n = 0, cap = 0;
    int image = 0;
    double emax = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            pt *np = realloc(p, cap * sizeof *np);
            if (!np) {
                free(p);
                sqlite3_finalize(s);
                return pa_errf(err, PA_ENOMEM, "gradinv figures: out of memory");
            }
            p = np;
        }
        pt *x = &p[n++];
        snprintf(x->attack, sizeof x->attack, "%s", (const char *)sqlite3_column_text(s, 0));
        x->B = (size_t)sqlite3_column_int64(s, 1);
        x->clip = col_real(s, 2);
        x->eps = col_real(s, 3);
        image = sqlite3_column_int64(s, 4) > 0;
        x->q = sqlite3_column_double(s, 5);
        x->exact = sqlite3_column_double(s, 6);
        if (isfinite(x->eps) && x->eps > emax)
            emax = x->eps;
    }
    sqlite3_finalize(s);
    if (n == 0) {
        free(p);
        return PA_OK;
    }
    double g[2] = {NAN, NAN};
    const char *gsql = "SELECT avg(CASE WHEN c.image_h > 0 THEN min(ifnull(s.psnr, 100), 100) ELSE s.attr_acc END)"
                       " FROM gradinv_cell c JOIN gradinv_score s ON s.cell_id = c.id"
                       " WHERE (?1 IS NULL OR c.tag = ?1) AND s.method = ?2";
    for (int k = 0; k < 2; k++) {
        if (sqlite3_prepare_v2(db, gsql, -1, &s, NULL) != SQLITE_OK)
            break;
        bind_tag(s, tag);
        sqlite3_bind_text(s, 2, k ? "guess-gray" : "guess-mean", -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
            g[k] = sqlite3_column_double(s, 0);
        sqlite3_finalize(s);
    }
    double xinf = emax > 0 ? emax * 10 : 100;
    FILE *f = open_out(dir, "gradinv_eps.dat", err);
    if (!f) {
        free(p);
        return err->code;
    }
    size_t nser = 0;
    char title[64][96];
    for (size_t i = 0; i < n && nser < 64;) {
        size_t j = i;
        while (j < n && !strcmp(p[j].attack, p[i].attack) && p[j].B == p[i].B && p[j].clip == p[i].clip)
            j++;
        char cp[32];
        fmt_num(cp, sizeof cp, p[i].clip);
        snprintf(title[nser], sizeof title[nser], "%s B=%zu C=%s", p[i].attack, p[i].B, cp);
        fprintf(f, "# %s\n", title[nser]);
        for (size_t k = i; k < j; k++)
            fprintf(f, "%.17g %.17g %.17g\n", isfinite(p[k].eps) ? p[k].eps : xinf, p[k].q, p[k].exact);
        fprintf(f, "\n\n");
        nser++;
        i = j;
    }
    fclose(f);
    free(p);
    if (!(f = open_out(dir, "gradinv_eps.gp", err)))
        return err->code;
    fprintf(f, "set terminal pngcairo size 900,600 font 'Sans,10'\nset output 'gradinv_eps.png'\n"
               "set logscale x\nset key outside right\nset grid\n"
               "set xlabel 'ε of the whole training (RDP accountant); ∞ = no DP'\n");
    fprintf(f, "set ylabel '%s'\n", image ? "mean PSNR (dB, capped at 100)" : "mean per-attribute accuracy");
    fprintf(f, "set xtics add ('∞' %.17g)\nset xrange [*:%.17g]\n", xinf, xinf * 2);
    fprintf(f, "plot ");
    for (size_t k = 0; k < nser; k++) {
        fprintf(f, "%s'gradinv_eps.dat' index %zu using 1:2 with linespoints title ", k ? ", " : "", k);
        gp_quote(f, title[k]);
    }
    if (!isnan(g[0]))
        fprintf(f, ", %.17g with lines dt 2 lw 2 title '%s'", g[0],
                image ? "guess: mean image" : "guess: mode record");
    if (!isnan(g[1]))
        fprintf(f, ", %.17g with lines dt 3 lw 2 title 'guess: uniform 0.5 image'", g[1]);
    fprintf(f, "\n");
    fclose(f);
    return report_gnuplot(dir, "gradinv_eps.gp", err);
}

int gradinv_plot(void *vdb, const char *out_dir, const char *tag, pa_err *err)
{
    sqlite3 *db = vdb;
    sqlite3_stmt *s;
    int have = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'gradinv_cell'",
                           -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            have = sqlite3_column_int(s, 0) > 0;
        sqlite3_finalize(s);
    }
    if (!have)
        return PA_OK; /* a run without gradient inversion: nothing to draw */
    int rc = plot_grid(db, out_dir, tag, err);
    if (rc == PA_OK)
        rc = plot_eps(db, out_dir, tag, err);
    return rc;
}
