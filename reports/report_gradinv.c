/* report_gradinv.c — the gradient-inversion section (privaudit gradinv;
 * tables gradinv_cell, gradinv_score, gradinv_image; docs/gradinv.md).
 *
 * A cell = one (attack, B, σ, C) setting; its ε is the RDP accountant's for
 * the stated training (NULL: no noise, drawn at ∞). Figures: the first
 * batch of every image cell, originals on the left and reconstructions on
 * the right under the column of their matched original, each
 * reconstruction's PSNR below it; the mean reconstruction quality against
 * ε, with the data-independent guesses as reference lines. */
#define _GNU_SOURCE /* open_memstream */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report_kind.h"

#define MAX_ROWS 24
#define MAXSER 48

static int gi_present(sqlite3 *db)
{
    return rk_has_rows(db, "gradinv_cell");
}

static void bind_tag(sqlite3_stmt *s, const char *tag)
{
    if (tag)
        sqlite3_bind_text(s, 1, tag, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, 1);
}

/* ∞ for NULL (no clipping, no noise), else the value */
static double inf_null(sqlite3_stmt *s, int k)
{
    return sqlite3_column_type(s, k) == SQLITE_NULL ? INFINITY : sqlite3_column_double(s, k);
}

static int fig_grid(report_ctx *c, const char *tag, int *drawn, pa_err *err)
{
    *drawn = 0;
    sqlite3_stmt *s = NULL, *im = NULL, *sc = NULL;
    int rc;
    if ((rc = rk_prepare(c,
                         "SELECT id, batch, sigma, clip, eps, attack, image_h, image_w FROM gradinv_cell"
                         " WHERE (?1 IS NULL OR tag = ?1) AND image_h > 0 ORDER BY attack, batch, sigma, clip, id",
                         &s, err)) ||
        (rc = rk_prepare(c,
                         "SELECT rec, kind, vals FROM gradinv_image WHERE cell_id = ?1 AND batch_idx = 0"
                         " ORDER BY kind, rec",
                         &im, err)) ||
        (rc = rk_prepare(c,
                         "SELECT s.rec, s.psnr, s.mse FROM gradinv_score s JOIN gradinv_cell c ON c.id = s.cell_id"
                         " WHERE s.cell_id = ?1 AND s.batch_idx = 0 AND s.method = c.attack ORDER BY s.rec",
                         &sc, err))) {
        sqlite3_finalize(s);
        sqlite3_finalize(im);
        return rc;
    }
    bind_tag(s, tag);
    int64_t id[MAX_ROWS];
    size_t Bs[MAX_ROWS], nrow = 0, H = 0, W = 0, Bmax = 0;
    char lab[MAX_ROWS][160], e[3][32];
    while (sqlite3_step(s) == SQLITE_ROW && nrow < MAX_ROWS) {
        size_t h = (size_t)sqlite3_column_int64(s, 6), w = (size_t)sqlite3_column_int64(s, 7);
        if (nrow == 0) {
            H = h;
            W = w;
        }
        if (h != H || w != W)
            continue;
        id[nrow] = sqlite3_column_int64(s, 0);
        Bs[nrow] = (size_t)sqlite3_column_int64(s, 1);
        snprintf(lab[nrow], sizeof lab[nrow], "%s B=%zu σ=%s C=%s ε=%s", rk_text(s, 5), Bs[nrow],
                 plot_fmt_eps(sqlite3_column_double(s, 2), 0, e[0], sizeof e[0]),
                 plot_fmt_eps(inf_null(s, 3), 0, e[1], sizeof e[1]), plot_fmt_eps(inf_null(s, 4), 0, e[2], sizeof e[2]));
        if (Bs[nrow] > Bmax)
            Bmax = Bs[nrow];
        nrow++;
    }
    sqlite3_finalize(s);
    if (nrow == 0 || Bmax == 0 || Bmax > 64) {
        sqlite3_finalize(im);
        sqlite3_finalize(sc);
        return PA_OK;
    }
    /* canvas: per row H pixel rows and 3 for the scores; per image W + 1 columns; 3 between the halves */
    size_t rh = H + 3, gap = 3, cw = 2 * Bmax * (W + 1) + gap, ch = nrow * rh, x_rec = Bmax * (W + 1) + gap;
    double *cv = malloc(cw * ch * sizeof *cv);
    double (*psnr)[64] = calloc(nrow, sizeof *psnr);
    int (*have)[64] = calloc(nrow, sizeof *have);
    if (!cv || !psnr || !have) {
        free(cv);
        free(psnr);
        free(have);
        sqlite3_finalize(im);
        sqlite3_finalize(sc);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < cw * ch; k++)
        cv[k] = -1; /* background (the palette draws it white) */
    for (size_t r = 0; r < nrow; r++) {
        sqlite3_reset(im);
        sqlite3_bind_int64(im, 1, id[r]);
        while (sqlite3_step(im) == SQLITE_ROW) {
            size_t rec = (size_t)sqlite3_column_int64(im, 0);
            int recon = !strcmp(rk_text(im, 1), "recon");
            const char *v = rk_text(im, 2);
            if (rec >= Bmax)
                continue;
            size_t x0 = (recon ? x_rec : 0) + rec * (W + 1), y0 = r * rh;
            char *end;
            for (size_t k = 0; k < H * W && *v; k++, v = end) {
                double x = strtod(v, &end);
                if (end == v)
                    break;
                cv[(y0 + k / W) * cw + x0 + k % W] = x;
            }
        }
        sqlite3_reset(sc);
        sqlite3_bind_int64(sc, 1, id[r]);
        while (sqlite3_step(sc) == SQLITE_ROW) {
            size_t rec = (size_t)sqlite3_column_int64(sc, 0);
            if (rec >= Bmax)
                continue;
            /* PSNR NULL with MSE 0: exact */
            psnr[r][rec] = sqlite3_column_type(sc, 1) == SQLITE_NULL
                               ? (sqlite3_column_type(sc, 2) != SQLITE_NULL && sqlite3_column_double(sc, 2) == 0
                                      ? INFINITY
                                      : NAN)
                               : sqlite3_column_double(sc, 1);
            have[r][rec] = 1;
        }
    }
    sqlite3_finalize(im);
    sqlite3_finalize(sc);
    plot_layout L = {.panels = 1, .cols = 1, .wide = 1, .left_em = 24, .aspect = 0};
    /* square pixels: the plot area's height over its width is ch / cw */
    L.aspect = (double)ch / (double)cw;
    plot_fig *f;
    rc = plot_fig_begin(c->po, "gradinv_grid", "originals and reconstructions of the first batch", &L, &f, err);
    if (rc) {
        free(cv);
        free(psnr);
        free(have);
        return rc;
    }
    plot_dat_comment(f, "%zu x %zu pixel values in [0,1] (-1 = background), row-major; per setting %zu image rows "
                        "+ 3 for the scores; originals from column 0, reconstructions from column %zu",
                     ch, cw, H, x_rec);
    for (size_t y = 0; y < ch; y++)
        plot_dat_row(f, cw, cv + y * cw);
    free(cv);
    plot_panel(f, 0, NULL, NULL, NULL);
    plot_gp(f, "set palette defined (-1 '#ffffff', -1e-9 '#ffffff', 0 '#000000', 1 '#ffffff')\nunset colorbox\n"
               "set border 0\nunset grid\nset xrange [-0.5:%zu]\nset yrange [%zu:-0.5]\nunset xtics\n"
               "set cbrange [-1:1]",
            cw, ch);
    char q[400];
    double small = plot_out_style(c->po) == PLOT_PAPER ? 6 : 8;
    plot_gp(f, "set label 1 'originals (first batch)' at first %.17g, graph 1.0 center offset 0,1.5 front",
            (double)(Bmax * (W + 1)) / 2 - 0.5);
    plot_gp(f, "set label 2 'reconstructions, PSNR in dB below each' at first %.17g, graph 1.0 center offset 0,1.5 "
               "front",
            (double)x_rec + (double)(Bmax * (W + 1)) / 2 - 0.5);
    size_t nl = 3;
    for (size_t b = 0; b < Bmax; b++) {
        double xc = (double)(b * (W + 1)) + (double)W / 2 - 0.5;
        plot_gp(f, "set label %zu '%zu' at first %.17g, graph 1.0 center offset 0,0.45 font ',%g' front", nl++, b + 1,
                xc, small);
        plot_gp(f, "set label %zu '%zu' at first %.17g, graph 1.0 center offset 0,0.45 font ',%g' front", nl++, b + 1,
                xc + (double)x_rec, small);
    }
    for (size_t r = 0; r < nrow; r++)
        for (size_t b = 0; b < Bs[r] && b < 64; b++) {
            if (!have[r][b])
                continue;
            char v[32];
            if (isinf(psnr[r][b]))
                snprintf(v, sizeof v, "exact");
            else if (isnan(psnr[r][b]))
                snprintf(v, sizeof v, "-");
            else
                snprintf(v, sizeof v, "%.1f", psnr[r][b]);
            plot_gp(f, "set label %zu %s at first %.17g, first %.17g center font ',%g' front", nl++,
                    plot_quote(v, q, sizeof q), (double)(x_rec + b * (W + 1)) + (double)W / 2 - 0.5,
                    (double)(r * rh + H) + 1.0, small);
        }
    char tics[8192];
    size_t k = (size_t)snprintf(tics, sizeof tics, "set ytics scale 0 (");
    for (size_t r = 0; r < nrow && k < sizeof tics - 300; r++)
        k += (size_t)snprintf(tics + k, sizeof tics - k, "%s%s %.17g", r ? ", " : "", plot_quote(lab[r], q, sizeof q),
                              (double)(r * rh) + (double)H / 2 - 0.5);
    snprintf(tics + k, sizeof tics - k, ")");
    plot_gp(f, "%s", tics);
    plot_term(f, "DAT matrix with image notitle");
    free(psnr);
    free(have);
    *drawn = 1;
    return plot_fig_end(f, err);
}

typedef struct pt {
    char attack[32];
    size_t B;
    double clip, eps, q, exact;
} pt;

static int fig_eps(report_ctx *c, const char *tag, int *drawn, pa_err *err)
{
    *drawn = 0;
    sqlite3_stmt *s = NULL;
    int rc = rk_prepare(c,
                        "SELECT c.attack, c.batch, c.clip, c.eps, max(c.image_h),"
                        " avg(CASE WHEN c.image_h > 0 THEN (CASE WHEN s.mse = 0 OR s.psnr IS NULL THEN 100"
                        "     ELSE min(s.psnr, 100) END) ELSE s.attr_acc END), avg(s.exact)"
                        " FROM gradinv_cell c JOIN gradinv_score s ON s.cell_id = c.id AND s.method = c.attack"
                        " WHERE (?1 IS NULL OR c.tag = ?1) GROUP BY c.id"
                        " ORDER BY c.attack, c.batch, c.clip IS NULL, c.clip, c.eps IS NULL, c.eps, c.id",
                        &s, err);
    if (rc)
        return rc;
    bind_tag(s, tag);
    pt *p = NULL;
    size_t n = 0, cap = 0;
    int image = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            pt *np = realloc(p, cap * sizeof *np);
            if (!np) {
                free(p);
                sqlite3_finalize(s);
                return pa_errf(err, PA_ENOMEM, "out of memory");
            }
            p = np;
        }
        pt *x = &p[n++];
        snprintf(x->attack, sizeof x->attack, "%s", rk_text(s, 0));
        x->B = (size_t)sqlite3_column_int64(s, 1);
        x->clip = inf_null(s, 2);
        x->eps = inf_null(s, 3);
        image |= sqlite3_column_int64(s, 4) > 0;
        x->q = rk_real(s, 5);
        x->exact = rk_real(s, 6);
    }
    sqlite3_finalize(s);
    if (n == 0) {
        free(p);
        return PA_OK;
    }
    double g[2] = {NAN, NAN};
    for (int k = 0; k < 2; k++) {
        if (rk_prepare(c,
                       "SELECT avg(CASE WHEN c.image_h > 0 THEN min(ifnull(s.psnr, 100), 100) ELSE s.attr_acc END)"
                       " FROM gradinv_cell c JOIN gradinv_score s ON s.cell_id = c.id"
                       " WHERE (?1 IS NULL OR c.tag = ?1) AND s.method = ?2",
                       &s, NULL))
            break;
        bind_tag(s, tag);
        sqlite3_bind_text(s, 2, k ? "guess-gray" : "guess-mean", -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            g[k] = rk_real(s, 0);
        sqlite3_finalize(s);
    }
    double claims[256] = {0};
    size_t ncl = 0;
    for (size_t i = 0; i < n && ncl < 256; i++)
        claims[ncl++] = p[i].eps;
    plot_eps_axis ax;
    plot_eps_axis_init(&ax, claims, ncl);
    /* series = (attack, B, C) */
    size_t ser[MAXSER][2], ns = 0; /* [start, end) into p */
    for (size_t i = 0; i < n && ns < MAXSER;) {
        size_t j = i;
        while (j < n && !strcmp(p[j].attack, p[i].attack) && p[j].B == p[i].B &&
               (p[j].clip == p[i].clip || (isinf(p[j].clip) && isinf(p[i].clip))))
            j++;
        ser[ns][0] = i;
        ser[ns][1] = j;
        ns++;
        i = j;
    }
    plot_key key[MAXSER + 2];
    char st[MAXSER + 2][160], title[MAXSER][96], sty[96], e[32];
    size_t nk = 0;
    for (size_t k = 0; k < ns; k++) {
        const pt *x = &p[ser[k][0]];
        snprintf(title[k], sizeof title[k], "%s B=%zu C=%s", x->attack, x->B, plot_fmt_eps(x->clip, 0, e, sizeof e));
        snprintf(st[nk], sizeof st[0], "linespoints %s", plot_series(c->po, k, sty, sizeof sty));
        key[nk] = (plot_key){title[k], st[nk]};
        nk++;
    }
    if (!isnan(g[0])) {
        snprintf(st[nk], sizeof st[0], "lines dt 2 lc rgb '#555555'");
        key[nk] = (plot_key){image ? "guess: the mean image" : "guess: the mode record", st[nk]};
        nk++;
    }
    if (!isnan(g[1]) && image) {
        snprintf(st[nk], sizeof st[0], "lines dt 3 lc rgb '#555555'");
        key[nk] = (plot_key){"guess: a uniform 0.5 image", st[nk]};
        nk++;
    }
    plot_layout L = {.panels = 1, .cols = 1, .aspect = 0.62, .key = key, .nkey = nk};
    plot_fig *f;
    if ((rc = plot_fig_begin(c->po, "gradinv_eps", "reconstruction quality against ε", &L, &f, err))) {
        free(p);
        return rc;
    }
    size_t blk[MAXSER];
    for (size_t k = 0; k < ns; k++) {
        plot_dat_comment(f, "%s: eps mean_%s exact_share", title[k], image ? "psnr_db_capped_100" : "attribute_accuracy");
        int gapped = 0;
        for (size_t i = ser[k][0]; i < ser[k][1]; i++) {
            if (isinf(p[i].eps) && !gapped++)
                plot_dat_gap(f);
            plot_dat_row(f, 3, (double[]){p[i].eps, p[i].q, p[i].exact});
        }
        blk[k] = plot_dat_end_block(f);
    }
    plot_panel(f, 0, NULL, "ε of the training (RDP accountant); ∞: no noise",
               image ? "mean PSNR (dB, capped at 100)" : "mean per-attribute accuracy");
    plot_eps_axis_emit(f, &ax);
    if (!image)
        plot_gp(f, "set yrange [0:1.04]");
    else
        plot_gp(f, "set yrange [0:*]");
    for (size_t k = 0; k < ns; k++)
        plot_term(f, "DAT index %zu using (EX($1)):2 with linespoints %s notitle", blk[k],
                  plot_series(c->po, k, sty, sizeof sty));
    if (!isnan(g[0]))
        plot_term(f, "%.17g with lines dt 2 lc rgb '#555555' notitle", g[0]);
    if (!isnan(g[1]) && image)
        plot_term(f, "%.17g with lines dt 3 lc rgb '#555555' notitle", g[1]);
    free(p);
    *drawn = 1;
    return plot_fig_end(f, err);
}

static int gi_write(report_ctx *c, pa_err *err)
{
    const char *tag = c->o->gradinv_tag;
    FILE *H = c->head, *B = c->body;
    sqlite3_stmt *s;
    int rc;
    long long ncell = 0, nimg = 0;
    if ((rc = rk_prepare(c, "SELECT count(*), sum(image_h > 0) FROM gradinv_cell WHERE (?1 IS NULL OR tag = ?1)", &s,
                         err)))
        return rc;
    bind_tag(s, tag);
    if (sqlite3_step(s) == SQLITE_ROW) {
        ncell = sqlite3_column_int64(s, 0);
        nimg = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    if (ncell == 0)
        return pa_errf(err, PA_EINPUT, "%s: no gradient-inversion cell has tag \"%s\"", c->db_path, tag ? tag : "");
    fprintf(H, "## Gradient inversion: verdict\n\n");
    fprintf(H, "%lld setting%s (attack × B × σ × C; `privaudit gradinv`, docs/gradinv.md)%s%s%s. ", ncell,
            ncell == 1 ? "" : "s", tag ? ", tag `" : "", tag ? tag : "", tag ? "`" : "");
    /* the headline: best mean quality with noise and without */
    if ((rc = rk_prepare(c,
                         "SELECT c.attack, c.batch, c.sigma, c.eps, max(c.image_h) > 0,"
                         " avg(CASE WHEN c.image_h > 0 THEN (CASE WHEN s.mse = 0 OR s.psnr IS NULL THEN 100"
                         "     ELSE min(s.psnr, 100) END) ELSE s.attr_acc END) AS q"
                         " FROM gradinv_cell c JOIN gradinv_score s ON s.cell_id = c.id AND s.method = c.attack"
                         " WHERE (?1 IS NULL OR c.tag = ?1) AND c.sigma > 0 GROUP BY c.id ORDER BY q DESC, c.id"
                         " LIMIT 1",
                         &s, err)))
        return rc;
    bind_tag(s, tag);
    char e[32];
    if (sqlite3_step(s) == SQLITE_ROW) {
        int img = sqlite3_column_int(s, 4);
        fprintf(H, "**With DP-SGD noise, the best reconstruction quality is %.3g%s** (%s, B = %lld, σ = %g, ε = %s).",
                rk_real(s, 5), img ? " dB mean PSNR" : " mean per-attribute accuracy", rk_text(s, 0),
                (long long)sqlite3_column_int64(s, 1), rk_real(s, 2), plot_fmt_eps(inf_null(s, 3), 0, e, sizeof e));
    }
    sqlite3_finalize(s);
    fprintf(H, "\n\n");
    int drawn = 0;
    if (nimg && rk_figures_on(c) && (rc = rk_figure(c, fig_grid(c, tag, &drawn, err), err)))
        return rc;
    if (nimg && (drawn || !rk_figures_on(c)))
        rk_md_figure(c, H, "gradinv_grid",
                     "The first batch of every image setting: originals on the left, reconstructions on the right "
                     "under the column of the original they were matched to, with each reconstruction's PSNR (dB; "
                     "exact = zero error).");
    if (rk_figures_on(c) && (rc = rk_figure(c, fig_eps(c, tag, &drawn, err), err)))
        return rc;
    fprintf(B, "## Gradient inversion: every setting\n\n");
    rk_md_figure(c, B, "gradinv_eps",
                 "Mean reconstruction quality against the ε of the training the update belongs to, one line per "
                 "(attack, B, C); dashed and dotted: the data-independent guesses.");
    static const plot_col cols[] = {
        {"method", "method", PLOT_TEXT, NULL},          {"batch", "B", PLOT_NUM, "%.0f"},
        {"sigma", "σ", PLOT_NUM, "%.3g"},               {"clip", "C", PLOT_NUM, "%.3g"},
        {"eps", "ε", PLOT_NUM, "%.3g"},                 {"records", "records", PLOT_NUM, "%.0f"},
        {"psnr", "PSNR (dB, capped 100)", PLOT_NUM, "%.2f"}, {"ssim", "SSIM", PLOT_NUM, "%.3f"},
        {"attr_acc", "attribute accuracy", PLOT_NUM, "%.3f"}, {"exact", "exact records", PLOT_NUM, "%.3f"},
        {"label_acc", "label accuracy", PLOT_NUM, "%.3f"}};
    plot_table *t = plot_table_new("gradinv", "Gradient inversion: mean quality per setting and method", cols,
                                   sizeof cols / sizeof cols[0]);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    if ((rc = rk_prepare(c,
                         "SELECT s.method, c.batch, c.sigma, c.clip, c.eps, count(*),"
                         " avg(CASE WHEN s.mse = 0 OR (s.psnr IS NULL AND s.mse IS NOT NULL) THEN 100"
                         "     ELSE min(s.psnr, 100) END), avg(s.ssim), avg(s.attr_acc), avg(s.exact), avg(s.label_acc)"
                         " FROM gradinv_cell c JOIN gradinv_score s ON s.cell_id = c.id"
                         " WHERE (?1 IS NULL OR c.tag = ?1)"
                         " GROUP BY c.id, s.method ORDER BY c.tag, c.attack, c.batch, c.sigma, c.clip, c.id,"
                         " s.method LIKE 'guess-%', s.method",
                         &s, err))) {
        plot_table_free(t);
        return rc;
    }
    bind_tag(s, tag);
    while (sqlite3_step(s) == SQLITE_ROW) {
        plot_table_text(t, rk_text(s, 0));
        plot_table_num(t, (double)sqlite3_column_int64(s, 1));
        plot_table_num(t, rk_real(s, 2));
        plot_table_num(t, inf_null(s, 3));
        plot_table_num(t, inf_null(s, 4));
        plot_table_num(t, (double)sqlite3_column_int64(s, 5));
        for (int k = 6; k <= 10; k++)
            plot_table_num(t, rk_real(s, k));
        plot_table_end_row(t);
    }
    sqlite3_finalize(s);
    char *tb = NULL;
    size_t tl = 0;
    FILE *tf = open_memstream(&tb, &tl);
    if (!tf) {
        plot_table_free(t);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    rc = plot_table_write(c->po, t, tf, err);
    fclose(tf);
    if (!rc) {
        fwrite(tb, 1, tl, B);
        rk_tty_table(c, tb, tl);
    }
    free(tb);
    if (rc)
        return rc;
    /* provenance and timings */
    if ((rc = rk_prepare(c,
                         "SELECT tag, data, act, hidden, epochs, delta, count(*) FROM gradinv_cell"
                         " WHERE (?1 IS NULL OR tag = ?1) GROUP BY tag, data, act, hidden, epochs, delta"
                         " ORDER BY min(id)",
                         &s, err)))
        return rc;
    bind_tag(s, tag);
    while (sqlite3_step(s) == SQLITE_ROW)
        fprintf(c->prov, "- gradient inversion `%s`: data `%s`, MLP with %lld hidden units (%s), %g epoch(s), δ = %g, "
                         "%lld setting%s\n",
                rk_text(s, 0), rk_text(s, 1), (long long)sqlite3_column_int64(s, 3), rk_text(s, 2), rk_real(s, 4),
                rk_real(s, 5), (long long)sqlite3_column_int64(s, 6), sqlite3_column_int64(s, 6) == 1 ? "" : "s");
    sqlite3_finalize(s);
    if ((rc = rk_prepare(c,
                         "SELECT c.attack, c.batch, c.sigma, avg(s.seconds), max(s.seconds) FROM gradinv_cell c"
                         " JOIN gradinv_score s ON s.cell_id = c.id AND s.method = c.attack"
                         " WHERE (?1 IS NULL OR c.tag = ?1) GROUP BY c.id ORDER BY c.id",
                         &s, err)))
        return rc;
    bind_tag(s, tag);
    while (sqlite3_step(s) == SQLITE_ROW)
        fprintf(c->timing, "- gradient inversion %s B = %lld σ = %g: %.3g s per batch (max %.3g)\n", rk_text(s, 0),
                (long long)sqlite3_column_int64(s, 1), rk_real(s, 2), rk_real(s, 3), rk_real(s, 4));
    sqlite3_finalize(s);
    return PA_OK;
}

const report_kind report_kind_gradinv = {REPORT_KIND_GRADINV, "gradient inversion", gi_present, gi_write};
