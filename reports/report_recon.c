/* report_recon.c — the linear-reconstruction section (privaudit recon;
 * tables recon_point, recon_game; docs/recon.md).
 *
 * A point = one (generator, ε, m) of table recon_point; its games give, for
 * each attack (lp, the linear program of Annamalai et al.; classifier and
 * nearest, the two comparators), the target accuracy with a 95%
 * Clopper-Pearson interval, the mean all-records accuracy, and the mean
 * majority-class share and 3-way TVD of the releases. A setting = the
 * points of one (generator, ε, n, QIs, secret, queries) over m. */
#define _GNU_SOURCE /* open_memstream */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/eps.h"
#include "reports/report_kind.h"

#define NATT 8
#define MAXSET 48

typedef struct point {
    long long id;
    char gen[64], qi[512], secret[64], seed[32];
    double eps;
    long long n, m, games, code, kmin, kmax, bins;
    size_t setting;
    /* per attack */
    double hits[NATT], cnt[NATT], acc[NATT], lo[NATT], hi[NATT], all[NATT];
    double majority, tvd3, lp_s, gen_s;
} point;

typedef struct recon {
    report_ctx *c;
    point *p;
    size_t np;
    char att[NATT][32];
    size_t na;
    char set[MAXSET][160];
    size_t ns;
} recon;

static int recon_present(sqlite3 *db)
{
    return rk_has_rows(db, "recon_point");
}

static const char *att_name(const char *a)
{
    return !strcmp(a, "lp") ? "LP reconstruction" : !strcmp(a, "classifier") ? "classifier"
                                                  : !strcmp(a, "nearest")    ? "nearest record"
                                                                             : a;
}

static int load(recon *R, pa_err *err)
{
    report_ctx *c = R->c;
    sqlite3_stmt *s;
    int rc = rk_prepare(c,
                        "SELECT id, generator, ifnull(epsilon, 1e999), n, m, games, qi, secret, secret_code, k_min,"
                        " k_max, bins, seed FROM recon_point p"
                        " ORDER BY (SELECT min(id) FROM recon_point q WHERE q.generator = p.generator),"
                        " ifnull(epsilon, 1e999), n, qi, secret, k_min, k_max, m, id",
                        &s, err);
    if (rc)
        return rc;
    size_t cap = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (R->np == cap) {
            cap = cap ? 2 * cap : 32;
            point *n = realloc(R->p, cap * sizeof *n);
            if (!n) {
                sqlite3_finalize(s);
                return pa_errf(err, PA_ENOMEM, "out of memory");
            }
            R->p = n;
        }
        point *p = &R->p[R->np++];
        memset(p, 0, sizeof *p);
        p->id = sqlite3_column_int64(s, 0);
        snprintf(p->gen, sizeof p->gen, "%s", rk_text(s, 1));
        p->eps = sqlite3_column_double(s, 2);
        p->n = sqlite3_column_int64(s, 3);
        p->m = sqlite3_column_int64(s, 4);
        p->games = sqlite3_column_int64(s, 5);
        snprintf(p->qi, sizeof p->qi, "%s", rk_text(s, 6));
        snprintf(p->secret, sizeof p->secret, "%s", rk_text(s, 7));
        p->code = sqlite3_column_int64(s, 8);
        p->kmin = sqlite3_column_int64(s, 9);
        p->kmax = sqlite3_column_int64(s, 10);
        p->bins = sqlite3_column_int64(s, 11);
        snprintf(p->seed, sizeof p->seed, "%s", rk_text(s, 12));
        for (int a = 0; a < NATT; a++)
            p->acc[a] = p->lo[a] = p->hi[a] = p->all[a] = NAN;
    }
    sqlite3_finalize(s);
    /* attacks in a fixed order: lp first, then the comparators by name */
    if ((rc = rk_prepare(c, "SELECT attack FROM recon_game GROUP BY attack ORDER BY attack != 'lp', attack", &s,
                         err)))
        return rc;
    while (sqlite3_step(s) == SQLITE_ROW && R->na < NATT)
        snprintf(R->att[R->na++], sizeof R->att[0], "%s", rk_text(s, 0));
    sqlite3_finalize(s);
    if ((rc = rk_prepare(c,
                         "SELECT attack, count(*), sum(target_correct), avg(acc_all), avg(majority), avg(tvd3),"
                         " avg(lp_seconds), avg(gen_seconds) FROM recon_game"
                         " WHERE point_id = ?1 AND target_correct >= 0 GROUP BY attack",
                         &s, err)))
        return rc;
    for (size_t i = 0; i < R->np; i++) {
        point *p = &R->p[i];
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, p->id);
        p->majority = p->tvd3 = p->lp_s = p->gen_s = NAN;
        while (sqlite3_step(s) == SQLITE_ROW) {
            size_t a = 0;
            while (a < R->na && strcmp(R->att[a], rk_text(s, 0)))
                a++;
            if (a == R->na)
                continue;
            p->cnt[a] = (double)sqlite3_column_int64(s, 1);
            p->hits[a] = rk_real(s, 2);
            p->acc[a] = p->cnt[a] > 0 ? p->hits[a] / p->cnt[a] : NAN;
            if (p->cnt[a] > 0 && eps_rate_cp(p->hits[a], p->cnt[a], 0.025, &p->lo[a], &p->hi[a]) != PA_OK)
                p->lo[a] = p->hi[a] = NAN;
            p->all[a] = rk_real(s, 3);
            if (!strcmp(R->att[a], "lp")) {
                p->majority = rk_real(s, 4);
                p->tvd3 = rk_real(s, 5);
                p->lp_s = rk_real(s, 6);
                p->gen_s = rk_real(s, 7);
            } else if (isnan(p->majority)) {
                p->majority = rk_real(s, 4);
            }
        }
    }
    sqlite3_finalize(s);
    /* settings */
    int nvary = 0;
    for (size_t i = 1; i < R->np; i++)
        nvary |= R->p[i].n != R->p[0].n || strcmp(R->p[i].qi, R->p[0].qi) || strcmp(R->p[i].secret, R->p[0].secret) ||
                 R->p[i].kmin != R->p[0].kmin || R->p[i].kmax != R->p[0].kmax;
    char lab[160], e[32];
    for (size_t i = 0; i < R->np; i++) {
        point *p = &R->p[i];
        size_t k = (size_t)snprintf(lab, sizeof lab, "%s, ε = %s", p->gen, plot_fmt_eps(p->eps, 0, e, sizeof e));
        if (nvary && k < sizeof lab)
            snprintf(lab + k, sizeof lab - k, ", n = %lld, k = %lld..%lld", p->n, p->kmin, p->kmax);
        size_t j = 0;
        while (j < R->ns && strcmp(R->set[j], lab))
            j++;
        if (j == R->ns && R->ns < MAXSET)
            snprintf(R->set[R->ns++], sizeof R->set[0], "%s", lab);
        p->setting = j < MAXSET ? j : MAXSET - 1;
    }
    return PA_OK;
}

/* x tics at the powers of ten in [x0, x1]: 1, 10, 100, 10³, 10⁴, … */
static void decade_tics(plot_fig *f, double x0, double x1)
{
    static const char *const sup[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
    char buf[1024];
    size_t k = (size_t)snprintf(buf, sizeof buf, "set xtics (");
    int first = 1;
    for (int e = (int)ceil(log10(x0)); e <= (int)floor(log10(x1)) && e < 10 && k < sizeof buf - 64; e++) {
        if (e >= 0 && e <= 2)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s'%g' 1e%d", first ? "" : ", ", pow(10, e), e);
        else if (e > 2)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s'10%s' 1e%d", first ? "" : ", ", sup[e], e);
        else
            continue;
        first = 0;
    }
    snprintf(buf + k, sizeof buf - k, ")");
    if (!first)
        plot_gp(f, "%s", buf);
}

/* accuracy against m: one panel per setting, one series per attack */
static int fig_m(recon *R, pa_err *err)
{
    report_ctx *c = R->c;
    plot_key key[NATT + 1];
    char st[NATT + 1][160], sty[96];
    size_t nk = 0;
    for (size_t a = 0; a < R->na; a++) {
        snprintf(st[nk], sizeof st[0], "linespoints %s", plot_series(c->po, a, sty, sizeof sty));
        key[nk] = (plot_key){att_name(R->att[a]), st[nk]};
        nk++;
    }
    snprintf(st[nk], sizeof st[0], "lines dt 2 lc rgb '#888888'");
    key[nk] = (plot_key){"guess (0.5)", st[nk]};
    nk++;
    plot_layout L = {.panels = R->ns, .cols = R->ns < 3 ? R->ns : (R->ns == 4 ? 2 : 3), .aspect = 0.75,
                     .wide = R->ns > 2, .key = key, .nkey = nk};
    plot_fig *f;
    int rc = plot_fig_begin(c->po, "recon_m", "target accuracy against the synthetic records m", &L, &f, err);
    if (rc)
        return rc;
    size_t blk[MAXSET][NATT];
    long long mmin = -1, mmax = -1;
    for (size_t s = 0; s < R->ns; s++)
        for (size_t a = 0; a < R->na; a++) {
            size_t rows = 0;
            for (size_t i = 0; i < R->np; i++) {
                const point *p = &R->p[i];
                if (p->setting != s || isnan(p->acc[a]))
                    continue;
                if (!rows++)
                    plot_dat_comment(f, "%s, attack %s: m accuracy lo95 hi95 games all_records_accuracy", R->set[s],
                                     R->att[a]);
                plot_dat_row(f, 6, (double[]){(double)p->m, p->acc[a], p->lo[a], p->hi[a], p->cnt[a], p->all[a]});
                mmin = mmin < 0 || p->m < mmin ? p->m : mmin;
                mmax = p->m > mmax ? p->m : mmax;
            }
            blk[s][a] = rows ? plot_dat_end_block(f) : SIZE_MAX;
        }
    double x0 = mmin > 0 ? (double)mmin / 2 : 1, x1 = mmax > 0 ? (double)mmax * 2 : 10;
    for (size_t s = 0; s < R->ns; s++) {
        plot_panel(f, s, R->set[s], "synthetic records m", "target accuracy");
        plot_gp(f, "set logscale x\nset xrange [%.17g:%.17g]\nset yrange [0:1.04]\nset ytics 0.25", x0, x1);
        decade_tics(f, x0, x1);
        plot_term(f, "0.5 with lines dt 2 lc rgb '#888888' notitle");
        /* the attacks of one m side by side: a factor of 10^±0.04 apart */
        for (size_t a = 0; a < R->na; a++)
            if (blk[s][a] != SIZE_MAX)
                plot_term(f, "DAT index %zu using ($1 * 10**(%.3f)):2:3:4 with yerrorlines %s notitle", blk[s][a],
                          0.04 * ((double)a - (double)(R->na - 1) / 2), plot_series(c->po, a, sty, sizeof sty));
    }
    return plot_fig_end(f, err);
}

/* accuracy against the 3-way TVD of the releases: one panel per attack, one
 * series per generator */
static int fig_tvd(recon *R, pa_err *err)
{
    report_ctx *c = R->c;
    char gens[MAXSET][64];
    size_t ng = 0;
    for (size_t i = 0; i < R->np; i++) {
        size_t g = 0;
        while (g < ng && strcmp(gens[g], R->p[i].gen))
            g++;
        if (g == ng && ng < MAXSET)
            snprintf(gens[ng++], sizeof gens[0], "%s", R->p[i].gen);
    }
    int any = 0;
    for (size_t i = 0; i < R->np; i++)
        any |= !isnan(R->p[i].tvd3);
    if (!any)
        return PA_OK;
    plot_key key[MAXSET + 1];
    char st[MAXSET + 1][160], sty[96];
    size_t nk = 0;
    for (size_t g = 0; g < ng; g++) {
        snprintf(st[nk], sizeof st[0], "points %s", plot_series(c->po, g, sty, sizeof sty));
        key[nk] = (plot_key){gens[g], st[nk]};
        nk++;
    }
    snprintf(st[nk], sizeof st[0], "lines dt 2 lc rgb '#888888'");
    key[nk] = (plot_key){"guess (0.5)", st[nk]};
    nk++;
    plot_layout L = {.panels = R->na, .cols = R->na < 3 ? R->na : 3, .aspect = 0.8, .wide = R->na > 2, .key = key,
                     .nkey = nk};
    plot_fig *f;
    int rc = plot_fig_begin(c->po, "recon_tvd", "target accuracy against the releases' 3-way TVD", &L, &f, err);
    if (rc)
        return rc;
    size_t blk[NATT][MAXSET];
    double tmax = 0;
    for (size_t a = 0; a < R->na; a++)
        for (size_t g = 0; g < ng; g++) {
            size_t rows = 0;
            for (size_t i = 0; i < R->np; i++) {
                const point *p = &R->p[i];
                if (strcmp(p->gen, gens[g]) || isnan(p->acc[a]) || isnan(p->tvd3))
                    continue;
                if (!rows++)
                    plot_dat_comment(f, "%s, attack %s: tvd3 accuracy lo95 hi95 eps m", gens[g], R->att[a]);
                plot_dat_row(f, 6, (double[]){p->tvd3, p->acc[a], p->lo[a], p->hi[a], p->eps, (double)p->m});
                tmax = fmax(tmax, p->tvd3);
            }
            blk[a][g] = rows ? plot_dat_end_block(f) : SIZE_MAX;
        }
    for (size_t a = 0; a < R->na; a++) {
        plot_panel(f, a, att_name(R->att[a]), "mean 3-way TVD of the release", "target accuracy");
        plot_gp(f, "set xrange [0:%.17g]\nset yrange [0:1.04]\nset ytics 0.25\nset xtics %.17g", 1.08 * tmax + 1e-9,
                plot_nice_step(1.08 * tmax + 1e-9, 3));
        plot_term(f, "0.5 with lines dt 2 lc rgb '#888888' notitle");
        for (size_t g = 0; g < ng; g++)
            if (blk[a][g] != SIZE_MAX)
                plot_term(f, "DAT index %zu using 1:2:3:4 with yerrorbars %s notitle", blk[a][g],
                          plot_series(c->po, g, sty, sizeof sty));
    }
    return plot_fig_end(f, err);
}

static int recon_write(report_ctx *c, pa_err *err)
{
    recon R = {.c = c};
    int rc = load(&R, err);
    if (rc)
        goto out;
    FILE *H = c->head, *B = c->body;
    /* the headline: the largest LP target accuracy whose interval clears the guess */
    size_t lp = R.na;
    for (size_t a = 0; a < R.na; a++)
        if (!strcmp(R.att[a], "lp"))
            lp = a;
    size_t above = 0, best = SIZE_MAX;
    for (size_t i = 0; i < R.np && lp < R.na; i++) {
        if (R.p[i].lo[lp] > 0.5)
            above++;
        if (best == SIZE_MAX || R.p[i].acc[lp] > R.p[best].acc[lp])
            best = i;
    }
    char e[32];
    fprintf(H, "## Linear reconstruction: verdict\n\n");
    fprintf(H, "%zu point%s (generator × ε × m; `privaudit recon`, docs/recon.md). ", R.np, R.np == 1 ? "" : "s");
    if (lp < R.na && best != SIZE_MAX)
        fprintf(H, "**The LP attack recovers the target's secret better than a guess at %zu of them** (95%% "
                   "interval above 0.5); its best: %.3f at %s, ε = %s, m = %lld.\n\n",
                above, R.p[best].acc[lp], R.p[best].gen, plot_fmt_eps(R.p[best].eps, 0, e, sizeof e),
                R.p[best].m);
    else
        fprintf(H, "\n\n");
    if (rk_figures_on(c) && (rc = rk_figure(c, fig_m(&R, err), err)))
        goto out;
    rk_md_figure(c, H, "recon_m",
                 "Target accuracy (95% Clopper-Pearson interval) of the linear reconstruction and its two "
                 "comparators against the number of synthetic records m, one panel per generator and ε; 0.5 is "
                 "a guess (the target's secret bit is drawn at random in each game).");
    fprintf(B, "## Linear reconstruction: every point\n\n");
    if (rk_figures_on(c) && (rc = rk_figure(c, fig_tvd(&R, err), err)))
        goto out;
    rk_md_figure(c, B, "recon_tvd",
                 "Target accuracy against the mean 3-way TVD of the releases (their distance to the training "
                 "set), one panel per attack: utility and leakage side by side.");
    plot_col cols[8 + 3 * NATT];
    char heads[3 * NATT][64], keys[3 * NATT][48];
    size_t nc = 0;
    cols[nc++] = (plot_col){"generator", "generator", PLOT_TEXT, NULL};
    cols[nc++] = (plot_col){"eps", "ε", PLOT_NUM, "%.3g"};
    cols[nc++] = (plot_col){"n", "n", PLOT_NUM, "%.0f"};
    cols[nc++] = (plot_col){"m", "m", PLOT_NUM, "%.0f"};
    cols[nc++] = (plot_col){"games", "games", PLOT_NUM, "%.0f"};
    for (size_t a = 0; a < R.na; a++) {
        static const char *const what[3] = {"target", "95% interval", "all records"};
        static const char *const key[3] = {"target", "ci", "all"};
        for (int w = 0; w < 3; w++) {
            snprintf(heads[3 * a + w], sizeof heads[0], "%s: %s", R.att[a], what[w]);
            snprintf(keys[3 * a + w], sizeof keys[0], "%s_%s", R.att[a], key[w]);
            cols[nc++] = (plot_col){keys[3 * a + w], heads[3 * a + w], w == 1 ? PLOT_INTERVAL : PLOT_NUM, "%.3f"};
        }
    }
    cols[nc++] = (plot_col){"majority", "majority share", PLOT_NUM, "%.3f"};
    cols[nc++] = (plot_col){"tvd3", "3-way TVD", PLOT_NUM, "%.4f"};
    plot_table *t = plot_table_new("recon_points", "Linear reconstruction: accuracy on the target and on all records",
                                   cols, nc);
    if (!t) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < R.np; i++) {
        const point *p = &R.p[i];
        plot_table_text(t, p->gen);
        plot_table_num(t, p->eps);
        plot_table_num(t, (double)p->n);
        plot_table_num(t, (double)p->m);
        plot_table_num(t, (double)p->games);
        for (size_t a = 0; a < R.na; a++) {
            plot_table_num(t, p->acc[a]);
            plot_table_interval(t, p->lo[a], p->hi[a]);
            plot_table_num(t, p->all[a]);
        }
        plot_table_num(t, p->majority);
        plot_table_num(t, p->tvd3);
        plot_table_end_row(t);
    }
    char *tb = NULL;
    size_t tl = 0;
    FILE *tf = open_memstream(&tb, &tl);
    if (!tf) {
        plot_table_free(t);
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    rc = plot_table_write(c->po, t, tf, err);
    fclose(tf);
    if (!rc) {
        fwrite(tb, 1, tl, B);
        rk_tty_table(c, tb, tl);
    }
    free(tb);
    if (rc)
        goto out;
    /* provenance: each distinct setting's game */
    for (size_t i = 0; i < R.np; i++) {
        const point *p = &R.p[i];
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(R.p[j].qi, p->qi) && !strcmp(R.p[j].secret, p->secret) && R.p[j].kmin == p->kmin &&
                   R.p[j].kmax == p->kmax && R.p[j].bins == p->bins && !strcmp(R.p[j].seed, p->seed);
        if (!seen)
            fprintf(c->prov, "- linear reconstruction: QIs %s, secret %s = %lld, queries k = %lld..%lld, %lld bins, "
                             "seed %s\n",
                    p->qi, p->secret, p->code, p->kmin, p->kmax, p->bins, p->seed);
    }
    for (size_t i = 0; i < R.np; i++)
        fprintf(c->timing, "- linear reconstruction %s ε = %s m = %lld: generator %.3g s, LP %.3g s per game\n",
                R.p[i].gen, plot_fmt_eps(R.p[i].eps, 0, e, sizeof e), R.p[i].m, R.p[i].gen_s, R.p[i].lp_s);
out:
    free(R.p);
    return rc;
}

const report_kind report_kind_recon = {REPORT_KIND_RECON, "linear reconstruction", recon_present, recon_write};
