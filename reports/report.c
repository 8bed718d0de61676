/* report.c — report.md and gnuplot figures from a run's database. */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np */
#include "reports/report.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "audit/eps.h"
#include "audit/roc.h"
#include "core/util.h"
#include "reports/gradinv_plot.h"

extern char **environ;

char *report_gp_quote(const char *s, char *buf, size_t cap)
{
    size_t k = 0;
    if (cap < 3) {
        if (cap)
            buf[0] = 0;
        return buf;
    }
    buf[k++] = '\'';
    for (; *s && k + 3 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\'') {
            buf[k++] = '\'';
            buf[k++] = '\'';
        } else {
            buf[k++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
        }
    }
    buf[k++] = '\'';
    buf[k] = 0;
    return buf;
}

static void fmt_eps(char *buf, size_t cap, double v)
{
    if (isnan(v))
        snprintf(buf, cap, "-");
    else if (isinf(v))
        snprintf(buf, cap, "inf");
    else
        snprintf(buf, cap, "%.3g", v);
}

/* one row of the summary: a (cell, attack, target or pooled) */
typedef struct row {
    long long cell;
    char generator[64];
    char attack[64];
    long long target;       /* -1 pooled */
    double claimed;
    double auc, tpr01, tpr1, tpr10;
    double b_lo, b_hi, p_exc, cp_lo, point;
    double tp, fn, fp, tn;
    double delta;
    int violation;
} row;

static double col_real(sqlite3_stmt *s, int k)
{
    return sqlite3_column_type(s, k) == SQLITE_NULL ? NAN : sqlite3_column_double(s, k);
}

static int table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *s;
    int yes = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", -1, &s, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        yes = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_finalize(s);
    }
    return yes;
}

static int load_rows(sqlite3 *db, row **out, size_t *n, pa_err *err)
{
    const char *sql =
        "SELECT c.id, c.generator, e.attack, ifnull(e.target_id,-1), c.epsilon,"
        " (SELECT value FROM metric m WHERE m.cell_id=c.id AND m.attack=e.attack"
        "   AND ifnull(m.target_id,-1)=ifnull(e.target_id,-1) AND m.name='auc'),"
        " (SELECT value FROM metric m WHERE m.cell_id=c.id AND m.attack=e.attack"
        "   AND ifnull(m.target_id,-1)=ifnull(e.target_id,-1) AND m.name='tpr@0.001'),"
        " (SELECT value FROM metric m WHERE m.cell_id=c.id AND m.attack=e.attack"
        "   AND ifnull(m.target_id,-1)=ifnull(e.target_id,-1) AND m.name='tpr@0.01'),"
        " (SELECT value FROM metric m WHERE m.cell_id=c.id AND m.attack=e.attack"
        "   AND ifnull(m.target_id,-1)=ifnull(e.target_id,-1) AND m.name='tpr@0.1'),"
        " e.lo, e.hi, e.p_exceeds, e.violation, e.tp, e.fn, e.fp, e.tn,"
        " (SELECT lo FROM estimate x WHERE x.cell_id=c.id AND x.attack=e.attack"
        "   AND ifnull(x.target_id,-1)=ifnull(e.target_id,-1) AND x.method='clopper_pearson'),"
        " (SELECT lo FROM estimate x WHERE x.cell_id=c.id AND x.attack=e.attack"
        "   AND ifnull(x.target_id,-1)=ifnull(e.target_id,-1) AND x.method='point'),"
        " e.delta"
        " FROM estimate e JOIN cell c ON c.id = e.cell_id WHERE e.method = 'bayes'"
        /* a pooled row over a single target repeats that target's row: show the target's */
        "   AND (e.target_id IS NOT NULL OR (SELECT count(DISTINCT z.target_id) FROM estimate z"
        "        WHERE z.cell_id = e.cell_id AND z.attack = e.attack AND z.target_id IS NOT NULL) != 1)"
        " ORDER BY c.id, e.attack, ifnull(e.target_id,-1)";
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return pa_errf(err, PA_EINPUT, "not a privaudit run database: %s", sqlite3_errmsg(db));
    size_t cap = 0, k = 0;
    row *rows = NULL;
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (k == cap) {
            cap = cap ? 2 * cap : 32;
            row *nr = realloc(rows, cap * sizeof *nr);
            if (!nr) {
                free(rows);
                sqlite3_finalize(s);
                return pa_errf(err, PA_ENOMEM, "out of memory");
            }
            rows = nr;
        }
        row *w = &rows[k++];
        memset(w, 0, sizeof *w);
        w->cell = sqlite3_column_int64(s, 0);
        snprintf(w->generator, sizeof w->generator, "%s", (const char *)sqlite3_column_text(s, 1));
        snprintf(w->attack, sizeof w->attack, "%s", (const char *)sqlite3_column_text(s, 2));
        w->target = sqlite3_column_int64(s, 3);
        w->claimed = col_real(s, 4);
        w->auc = col_real(s, 5);
        w->tpr01 = col_real(s, 6);
        w->tpr1 = col_real(s, 7);
        w->tpr10 = col_real(s, 8);
        w->b_lo = col_real(s, 9);
        w->b_hi = col_real(s, 10);
        w->p_exc = col_real(s, 11);
        w->violation = sqlite3_column_int(s, 12);
        w->tp = col_real(s, 13);
        w->fn = col_real(s, 14);
        w->fp = col_real(s, 15);
        w->tn = col_real(s, 16);
        w->cp_lo = col_real(s, 17);
        w->point = col_real(s, 18);
        w->delta = col_real(s, 19);
    }
    sqlite3_finalize(s);
    if (r != SQLITE_DONE) {
        free(rows);
        return pa_errf(err, PA_EIO, "database: %s", sqlite3_errmsg(db));
    }
    *out = rows;
    *n = k;
    return PA_OK;
}

/* TPR < FPR on the test split, i.e. FNR + FPR > 1 */
static int row_worse_than_chance(const row *w)
{
    double np = w->tp + w->fn, nn = w->fp + w->tn;
    return np > 0 && nn > 0 && w->fn / np + w->fp / nn > 1;
}

static void print_table(FILE *f, const row *rows, size_t n, int markdown)
{
    const char *hdr[] = {"generator", "claimed eps", "attack", "target", "AUC", "TPR@1%FPR",
                         "Bayes eps interval", "CP lower", "P(eps>claimed)", "flag"};
    if (markdown) {
        fprintf(f, "|");
        for (size_t k = 0; k < 10; k++)
            fprintf(f, " %s |", hdr[k]);
        fprintf(f, "\n|");
        for (size_t k = 0; k < 10; k++)
            fprintf(f, "---|");
        fprintf(f, "\n");
    } else {
        fprintf(f, "%-12s %-11s %-10s %-6s %-6s %-9s %-18s %-8s %-14s %s\n", hdr[0], hdr[1], hdr[2], hdr[3], hdr[4],
                hdr[5], hdr[6], hdr[7], hdr[8], hdr[9]);
    }
    for (size_t i = 0; i < n; i++) {
        const row *w = &rows[i];
        char cl[32], lo[32], hi[32], cp[32], pe[32], tg[32], iv[80];
        fmt_eps(cl, sizeof cl, w->claimed);
        fmt_eps(lo, sizeof lo, w->b_lo);
        fmt_eps(hi, sizeof hi, w->b_hi);
        fmt_eps(cp, sizeof cp, w->cp_lo);
        if (isnan(w->p_exc))
            snprintf(pe, sizeof pe, "-");
        else
            snprintf(pe, sizeof pe, "%.3f", w->p_exc);
        if (w->target < 0)
            snprintf(tg, sizeof tg, "all");
        else
            snprintf(tg, sizeof tg, "%lld", w->target);
        snprintf(iv, sizeof iv, "[%s, %s]", lo, hi);
        int worse = row_worse_than_chance(w);
        const char *flag = w->violation ? (worse ? "VIOLATION, worse than chance" : "VIOLATION")
                                        : (worse ? "ok, worse than chance" : "ok");
        if (markdown)
            fprintf(f, "| %s | %s | %s | %s | %.3f | %.3f | %s | %s | %s | %s%s |\n", w->generator, cl, w->attack, tg,
                    w->auc, w->tpr1, iv, cp, pe, w->violation ? "**VIOLATION**" : "ok",
                    worse ? ", worse than chance" : "");
        else
            fprintf(f, "%-12s %-11s %-10s %-6s %-6.3f %-9.3f %-18s %-8s %-14s %s\n", w->generator, cl, w->attack, tg,
                    w->auc, w->tpr1, iv, cp, pe, flag);
    }
    size_t nworse = 0;
    for (size_t i = 0; i < n; i++)
        nworse += row_worse_than_chance(&rows[i]);
    if (nworse)
        fprintf(f, "\n%s%zu row%s marked \"worse than chance\" ha%s TPR < FPR on the test split. The point and "
                   "Clopper-Pearson estimates evaluate the attack as oriented (member = high score) and give 0 "
                   "there; the Bayesian interval is the posterior mass of the whole (epsilon, delta) region, "
                   "which also bounds the flipped test, so it can be above 0 (docs/metrics.md).\n",
                markdown ? "" : "note: ", nworse, nworse == 1 ? "" : "s", nworse == 1 ? "s" : "ve");
}

int report_gnuplot(const char *dir, const char *script, pa_err *err)
{
    pid_t pid;
    char *argv[] = {"gnuplot", (char *)script, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, dir);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int e = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e != 0)
        return pa_errf(err, PA_ECHILD, "cannot run gnuplot (%s): apt-get install gnuplot-nox", strerror(e));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return pa_errf(err, PA_ECHILD, "gnuplot: wait failed");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return pa_errf(err, PA_ECHILD, "gnuplot failed on %s/%s", dir, script);
    return PA_OK;
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t cap, pa_err *err)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        pa_errf(err, PA_EIO, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

/* Writes the ROC data of every (cell, attack), pooled over targets, and the
 * gnuplot script drawing linear and log-log ROC figures. */
static int write_roc(sqlite3 *db, const char *dir, char *script, size_t cap, pa_err *err)
{
    sqlite3_stmt *s;
    const char *sql = "SELECT DISTINCT t.cell_id, c.generator, c.epsilon, sc.attack FROM score sc"
                      " JOIN trial t ON t.id = sc.trial_id JOIN cell c ON c.id = t.cell_id"
                      " ORDER BY t.cell_id, sc.attack";
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return pa_errf(err, PA_EINPUT, "not a privaudit run database: %s", sqlite3_errmsg(db));
    char path[4096];
    FILE *dat = open_out(dir, "roc.dat", path, sizeof path, err);
    FILE *gp = dat ? open_out(dir, "roc.gp", script, cap, err) : NULL;
    if (!dat || !gp) {
        if (dat)
            fclose(dat);
        sqlite3_finalize(s);
        return PA_EIO;
    }
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db,
                       "SELECT sc.score, m.member FROM score sc JOIN trial t ON t.id = sc.trial_id"
                       " JOIN membership m ON m.trial_id = sc.trial_id AND m.target_id = sc.target_id"
                       " WHERE t.cell_id = ?1 AND sc.attack = ?2 AND sc.score IS NOT NULL",
                       -1, &q, NULL);
    char titles[64][160];
    size_t nb = 0;
    while (sqlite3_step(s) == SQLITE_ROW && nb < 64) {
        long long cell = sqlite3_column_int64(s, 0);
        const char *gen = (const char *)sqlite3_column_text(s, 1);
        double eps = sqlite3_column_double(s, 2);
        const char *att = (const char *)sqlite3_column_text(s, 3);
        sqlite3_bind_int64(q, 1, cell);
        sqlite3_bind_text(q, 2, att, -1, SQLITE_TRANSIENT);
        size_t n = 0, cap2 = 0;
        double *sc = NULL;
        int *lab = NULL;
        while (sqlite3_step(q) == SQLITE_ROW) {
            if (n == cap2) {
                cap2 = cap2 ? 2 * cap2 : 256;
                double *ns = realloc(sc, cap2 * sizeof *ns);
                int *nl = realloc(lab, cap2 * sizeof *nl);
                if (ns)
                    sc = ns;
                if (nl)
                    lab = nl;
                if (!ns || !nl)
                    break;
            }
            sc[n] = sqlite3_column_double(q, 0);
            lab[n++] = sqlite3_column_int(q, 1);
        }
        sqlite3_reset(q);
        roc_curve *roc = NULL;
        pa_err ignore;
        if (n && roc_build(sc, lab, n, &roc, &ignore) == PA_OK) {
            fprintf(dat, "# cell %lld %s eps=%g attack %s\n", cell, gen, eps, att);
            for (size_t k = 0; k < roc->np; k++)
                fprintf(dat, "%.17g %.17g\n", roc->fpr[k], roc->tpr[k]);
            fprintf(dat, "\n\n");
            char e[32];
            fmt_eps(e, sizeof e, eps);
            snprintf(titles[nb], sizeof titles[nb], "%s eps=%s %s (AUC %.3f)", gen, e, att, roc_auc(roc));
            nb++;
            roc_free(roc);
        }
        free(sc);
        free(lab);
    }
    sqlite3_finalize(q);
    sqlite3_finalize(s);
    fclose(dat);
    char qb[400];
    for (int pass = 0; pass < 4; pass++) {
        int log = pass & 1, pdf = pass >> 1;
        fprintf(gp, "reset\nset termoption noenhanced\n");
        if (pdf)
            fprintf(gp, "set terminal pdfcairo size 6in,4.5in font 'Sans,9'\n");
        else
            fprintf(gp, "set terminal pngcairo size 900,680 font 'Sans,10'\n");
        fprintf(gp, "set output %s\n",
                report_gp_quote(log ? (pdf ? "roc-log.pdf" : "roc-log.png") : (pdf ? "roc.pdf" : "roc.png"), qb,
                                sizeof qb));
        fprintf(gp, "set xlabel 'false positive rate'\nset ylabel 'true positive rate'\nset grid\n");
        fprintf(gp, "set key bottom right\n");
        if (log)
            fprintf(gp, "set logscale xy\nset xrange [1e-3:1]\nset yrange [1e-3:1]\n"
                        "set title 'ROC (log-log; zero rates not shown)'\n");
        else
            fprintf(gp, "set xrange [0:1]\nset yrange [0:1]\nset title 'ROC of each attack, pooled over targets'\n");
        fprintf(gp, "plot x with lines dashtype 2 lc 'gray' title 'chance'");
        for (size_t b = 0; b < nb; b++)
            fprintf(gp, ", 'roc.dat' index %zu with steps lw 2 title %s", b,
                    report_gp_quote(titles[b], qb, sizeof qb));
        fprintf(gp, "\nunset output\n");
    }
    fclose(gp);
    return PA_OK;
}

/* ε intervals against claimed ε with the diagonal. Infinite claims are
 * drawn at the right edge, labelled inf. */
static int write_eps(const row *rows, size_t n, const char *dir, char *script, size_t cap, pa_err *err)
{
    char path[4096];
    FILE *dat = open_out(dir, "eps.dat", path, sizeof path, err);
    if (!dat)
        return PA_EIO;
    double maxfin = 1;
    for (size_t i = 0; i < n; i++)
        if (isfinite(rows[i].claimed) && rows[i].claimed > maxfin)
            maxfin = rows[i].claimed;
    double xinf = maxfin * 10, ymax = maxfin * 10;
    /* one block per (generator, attack) series, pooled rows only when pooled exist */
    char series[64][160];
    size_t ns = 0;
    for (size_t i = 0; i < n && ns < 64; i++) {
        int pooled_exists = 0;
        for (size_t j = 0; j < n; j++)
            pooled_exists |= rows[j].cell == rows[i].cell && !strcmp(rows[j].attack, rows[i].attack) &&
                             rows[j].target < 0;
        if (pooled_exists && rows[i].target >= 0)
            continue;
        char key[160];
        snprintf(key, sizeof key, "%s / %s", rows[i].generator, rows[i].attack);
        size_t b = 0;
        while (b < ns && strcmp(series[b], key))
            b++;
        if (b < ns)
            continue;
        snprintf(series[ns++], sizeof series[0], "%s", key);
        fprintf(dat, "# %s\n", key);
        for (size_t j = i; j < n; j++) {
            if (strcmp(rows[j].generator, rows[i].generator) || strcmp(rows[j].attack, rows[i].attack))
                continue;
            if (pooled_exists != (rows[j].target < 0))
                continue;
            double x = isfinite(rows[j].claimed) ? rows[j].claimed : xinf;
            double hi = isfinite(rows[j].b_hi) ? rows[j].b_hi : ymax;
            double lo = rows[j].b_lo > 1e-3 ? rows[j].b_lo : 1e-3;
            double mid = sqrt(lo * (hi > lo ? hi : lo));
            fprintf(dat, "%.17g %.17g %.17g %.17g\n", x * (1 + 0.04 * (double)ns), mid, lo, hi);
        }
        fprintf(dat, "\n\n");
    }
    fclose(dat);
    FILE *gp = open_out(dir, "eps.gp", script, cap, err);
    if (!gp)
        return PA_EIO;
    char qb[400];
    for (int pdf = 0; pdf < 2; pdf++) {
        fprintf(gp, "reset\nset termoption noenhanced\n");
        fprintf(gp, pdf ? "set terminal pdfcairo size 6in,4.5in font 'Sans,9'\n"
                        : "set terminal pngcairo size 900,680 font 'Sans,10'\n");
        fprintf(gp, "set output %s\n", report_gp_quote(pdf ? "eps.pdf" : "eps.png", qb, sizeof qb));
        fprintf(gp, "set logscale xy\nset xrange [%g:%g]\nset yrange [1e-3:%g]\n", 0.5 * fmin(1, maxfin) / 2,
                xinf * 2, ymax * 2);
        fprintf(gp, "set xlabel 'claimed epsilon (inf = non-private)'\n"
                    "set ylabel 'empirical epsilon: Bayesian interval'\nset grid\nset key top left\n");
        fprintf(gp, "set title 'Empirical epsilon intervals vs claimed epsilon (above the diagonal: violation)'\n");
        fprintf(gp, "set xtics add ('inf' %g)\n", xinf);
        fprintf(gp, "plot (x <= %g ? x : 1/0) with lines dashtype 2 lc 'black' title 'empirical = claimed'",
                maxfin * 3);
        for (size_t b = 0; b < ns; b++)
            fprintf(gp, ", 'eps.dat' index %zu using 1:2:3:4 with yerrorbars pt 7 lw 2 title %s", b,
                    report_gp_quote(series[b], qb, sizeof qb));
        fprintf(gp, "\nunset output\n");
    }
    fclose(gp);
    return PA_OK;
}

/* Utility of a cell: the mean of each stored metric over its releases. */
#define UTIL_NAMES 5
static const char *const util_names[UTIL_NAMES] = {"tstr_acc", "tstr_auc", "tvd1", "tvd2", "tvd3"};

typedef struct cell_util {
    long long cell;
    char generator[64];
    double claimed;
    double mean[UTIL_NAMES];   /* NAN when not stored */
    double e_lo, e_hi;         /* pooled Bayesian interval of the attack with the largest lower end */
    char e_attack[64];
} cell_util;

static int load_utility(sqlite3 *db, const row *rows, size_t n, cell_util **out, size_t *nc, pa_err *err)
{
    *out = NULL;
    *nc = 0;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT id, generator, epsilon FROM cell ORDER BY id", -1, &s, NULL) != SQLITE_OK)
        return pa_errf(err, PA_EINPUT, "not a privaudit run database: %s", sqlite3_errmsg(db));
    size_t cap = 0, k = 0;
    cell_util *cu = NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (k == cap) {
            cap = cap ? 2 * cap : 16;
            cell_util *nu = realloc(cu, cap * sizeof *nu);
            if (!nu) {
                free(cu);
                sqlite3_finalize(s);
                return pa_errf(err, PA_ENOMEM, "out of memory");
            }
            cu = nu;
        }
        cell_util *w = &cu[k++];
        memset(w, 0, sizeof *w);
        w->cell = sqlite3_column_int64(s, 0);
        snprintf(w->generator, sizeof w->generator, "%s", (const char *)sqlite3_column_text(s, 1));
        w->claimed = col_real(s, 2);
        for (size_t u = 0; u < UTIL_NAMES; u++)
            w->mean[u] = NAN;
        w->e_lo = w->e_hi = NAN;
    }
    sqlite3_finalize(s);
    /* older databases have no utility table: then every mean stays NAN */
    if (sqlite3_prepare_v2(db,
                           "SELECT t.cell_id, u.name, avg(u.value) FROM utility u JOIN trial t ON t.id = u.trial_id"
                           " WHERE t.status = 'ok' GROUP BY t.cell_id, u.name",
                           -1, &s, NULL) == SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW) {
            long long c = sqlite3_column_int64(s, 0);
            const char *nm = (const char *)sqlite3_column_text(s, 1);
            for (size_t i = 0; i < k; i++)
                for (size_t u = 0; u < UTIL_NAMES && cu[i].cell == c; u++)
                    if (nm && !strcmp(nm, util_names[u]))
                        cu[i].mean[u] = col_real(s, 2);
        }
        sqlite3_finalize(s);
    }
    for (size_t i = 0; i < k; i++)
        for (size_t r = 0; r < n; r++) {
            if (rows[r].cell != cu[i].cell)
                continue;
            int pooled_exists = 0;
            for (size_t q = 0; q < n; q++)
                pooled_exists |= rows[q].cell == rows[r].cell && !strcmp(rows[q].attack, rows[r].attack) &&
                                 rows[q].target < 0;
            if (pooled_exists != (rows[r].target < 0))
                continue;
            if (isnan(cu[i].e_lo) || rows[r].b_lo > cu[i].e_lo) {
                cu[i].e_lo = rows[r].b_lo;
                cu[i].e_hi = rows[r].b_hi;
                snprintf(cu[i].e_attack, sizeof cu[i].e_attack, "%s", rows[r].attack);
            }
        }
    *out = cu;
    *nc = k;
    return PA_OK;
}

/* The metric a privacy-utility figure shows: TSTR accuracy if stored, else
 * the lowest-order TVD; -1 if none. */
static int util_pick(const cell_util *cu, size_t nc)
{
    static const int pref[] = {0, 3, 2, 4};
    for (size_t p = 0; p < sizeof pref / sizeof pref[0]; p++)
        for (size_t i = 0; i < nc; i++)
            if (!isnan(cu[i].mean[pref[p]]))
                return pref[p];
    return -1;
}

static int cmp_cell_eps(const void *a, const void *b)
{
    const cell_util *x = a, *y = b;
    int g = strcmp(x->generator, y->generator);
    if (g)
        return g;
    return (x->claimed > y->claimed) - (x->claimed < y->claimed);
}

/* Privacy-utility curves: claimed ε (log axis; ∞ at the right edge) against
 * the mean utility of the releases, one line per generator, and the
 * empirical ε interval of the strongest attack as a horizontal bar at the
 * same height. Sorts cu by (generator, ε). */
static int write_utility(cell_util *cu, size_t nc, int metric, const char *dir, char *script, size_t cap,
                         pa_err *err)
{
    char path[4096];
    qsort(cu, nc, sizeof *cu, cmp_cell_eps);
    double maxfin = 1, minfin = 1;
    for (size_t i = 0; i < nc; i++)
        if (isfinite(cu[i].claimed)) {
            maxfin = fmax(maxfin, cu[i].claimed);
            minfin = fmin(minfin, cu[i].claimed);
        }
    double xinf = maxfin * 10;
    FILE *dat = open_out(dir, "utility.dat", path, sizeof path, err);
    if (!dat)
        return PA_EIO;
    char gens[32][64];
    size_t ng = 0;
    for (size_t i = 0; i < nc && ng < 32; i++) {
        if (i && !strcmp(cu[i].generator, cu[i - 1].generator))
            continue;
        snprintf(gens[ng++], sizeof gens[0], "%s", cu[i].generator);
        fprintf(dat, "# %s: claimed-eps utility emp-lo emp-hi\n", cu[i].generator);
        for (size_t j = i; j < nc && !strcmp(cu[j].generator, cu[i].generator); j++) {
            if (isnan(cu[j].mean[metric]))
                continue;
            double x = isfinite(cu[j].claimed) ? cu[j].claimed : xinf;
            double lo = isnan(cu[j].e_lo) ? x : fmax(cu[j].e_lo, minfin / 100);
            double hi = isnan(cu[j].e_hi) ? x : isfinite(cu[j].e_hi) ? fmax(cu[j].e_hi, lo) : xinf;
            fprintf(dat, "%.17g %.17g %.17g %.17g\n", x, cu[j].mean[metric], lo, hi);
        }
        fprintf(dat, "\n\n");
    }
    fclose(dat);
    FILE *gp = open_out(dir, "utility.gp", script, cap, err);
    if (!gp)
        return PA_EIO;
    char qb[400];
    static const char *const ylab[UTIL_NAMES] = {"TSTR accuracy on the holdout", "TSTR AUC on the holdout",
                                                 "mean 1-way TVD to the training set",
                                                 "mean 2-way TVD to the training set",
                                                 "mean 3-way TVD to the training set"};
    for (int pdf = 0; pdf < 2; pdf++) {
        fprintf(gp, "reset\nset termoption noenhanced\n");
        fprintf(gp, pdf ? "set terminal pdfcairo size 6in,4.5in font 'Sans,9'\n"
                        : "set terminal pngcairo size 900,680 font 'Sans,10'\n");
        fprintf(gp, "set output %s\n", report_gp_quote(pdf ? "utility.pdf" : "utility.png", qb, sizeof qb));
        fprintf(gp, "set logscale x\nset xrange [%g:%g]\nset grid\nset key outside bottom center horizontal\n",
                minfin / 200, xinf * 2);
        fprintf(gp, "set xtics add ('inf' %g)\n", xinf);
        fprintf(gp, "set xlabel 'epsilon: claimed (points on lines); empirical Bayesian interval of the strongest "
                    "attack (horizontal bars)'\n");
        fprintf(gp, "set ylabel %s\n", report_gp_quote(ylab[metric], qb, sizeof qb));
        fprintf(gp, "set title 'Privacy-utility: utility of the releases against epsilon'\nplot ");
        for (size_t b = 0; b < ng; b++) {
            fprintf(gp, "%s'utility.dat' index %zu using 1:2 with linespoints lw 2 pt 7 lc %zu title %s", b ? ", " : "",
                    b, b + 1, report_gp_quote(gens[b], qb, sizeof qb));
            fprintf(gp, ", 'utility.dat' index %zu using 3:2:3:4 with xerrorbars lc %zu pt 0 notitle", b, b + 1);
        }
        fprintf(gp, "\nunset output\n");
    }
    fclose(gp);
    return PA_OK;
}

/* The posterior density of ε for each (cell, attack, target) row, with its
 * credible interval shaded and the claimed ε marked: one panel each. */
#define POST_GRID 400
#define POST_MAX_PANELS 12
static int write_posterior(const row *rows, size_t n, const char *dir, char *script, size_t cap, pa_err *err)
{
    char path[4096];
    FILE *dat = open_out(dir, "posterior.dat", path, sizeof path, err);
    if (!dat)
        return PA_EIO;
    size_t np = n < POST_MAX_PANELS ? n : POST_MAX_PANELS;
    double grid[POST_GRID], dens[POST_GRID], top[POST_MAX_PANELS];
    for (size_t i = 0; i < np; i++) {
        const row *w = &rows[i];
        eps_counts c = {.tp = w->tp, .fn = w->fn, .fp = w->fp, .tn = w->tn};
        double hi = isfinite(w->b_hi) ? w->b_hi : 20;
        double xmax = fmax(1.5 * hi, isfinite(w->claimed) ? 1.2 * w->claimed : 0);
        for (size_t k = 0; k < POST_GRID; k++)
            grid[k] = xmax * (double)k / (POST_GRID - 1);
        pa_err ignore;
        if (eps_bayes_density(&c, isnan(w->delta) ? 1e-5 : w->delta, grid, POST_GRID, dens, &ignore) != PA_OK)
            for (size_t k = 0; k < POST_GRID; k++)
                dens[k] = NAN;
        top[i] = 0;
        fprintf(dat, "# row %zu\n", i);
        for (size_t k = 0; k < POST_GRID; k++) {
            int in = grid[k] >= w->b_lo && grid[k] <= w->b_hi;
            fprintf(dat, "%.17g %.17g %.17g\n", grid[k], dens[k], in ? dens[k] : 0.0);
            if (dens[k] > top[i])
                top[i] = dens[k];
        }
        fprintf(dat, "\n\n");
    }
    fclose(dat);
    FILE *gp = open_out(dir, "posterior.gp", script, cap, err);
    if (!gp)
        return PA_EIO;
    char qb[400], title[300];
    size_t cols = np < 3 ? np : 3, lines = (np + cols - 1) / cols;
    for (int pdf = 0; pdf < 2; pdf++) {
        fprintf(gp, "reset\nset termoption noenhanced\n");
        if (pdf)
            fprintf(gp, "set terminal pdfcairo size %gin,%gin font 'Sans,8'\n", 3.2 * (double)cols, 2.6 * (double)lines);
        else
            fprintf(gp, "set terminal pngcairo size %zu,%zu font 'Sans,9'\n", 420 * cols, 330 * lines);
        fprintf(gp, "set output %s\n", report_gp_quote(pdf ? "posterior.pdf" : "posterior.png", qb, sizeof qb));
        fprintf(gp, "set multiplot layout %zu,%zu title 'Posterior density of epsilon: shaded = credible interval, "
                    "red line = claimed epsilon'\n", lines, cols);
        for (size_t i = 0; i < np; i++) {
            const row *w = &rows[i];
            char cl[32], tg[32];
            fmt_eps(cl, sizeof cl, w->claimed);
            if (w->target < 0)
                snprintf(tg, sizeof tg, "all");
            else
                snprintf(tg, sizeof tg, "%lld", w->target);
            snprintf(title, sizeof title, "%s eps=%s, %s, target %s", w->generator, cl, w->attack, tg);
            fprintf(gp, "unset arrow\nset title %s\nset xlabel 'epsilon'\nset ylabel 'density'\n",
                    report_gp_quote(title, qb, sizeof qb));
            fprintf(gp, "set yrange [0:%g]\n", top[i] > 0 ? 1.1 * top[i] : 1);
            if (isfinite(w->claimed))
                fprintf(gp, "set arrow from %g, graph 0 to %g, graph 1 nohead lc 'red' lw 2\n", w->claimed,
                        w->claimed);
            fprintf(gp, "plot 'posterior.dat' index %zu using 1:3 with filledcurves y1=0 fs solid 0.3 lc 'blue' "
                        "notitle, '' index %zu using 1:2 with lines lw 2 lc 'blue' notitle\n", i, i);
        }
        fprintf(gp, "unset multiplot\nunset output\n");
    }
    fclose(gp);
    return PA_OK;
}

int report_write(const report_opts *o, int *warn, pa_err *err)
{
    if (warn)
        *warn = 0;
    if (access(o->db_path, R_OK) != 0)
        return pa_errf(err, PA_EINPUT, "%s: no such database", o->db_path);
    sqlite3 *db;
    if (sqlite3_open_v2(o->db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        int rc = pa_errf(err, PA_EINPUT, "%s: cannot open: %s", o->db_path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return rc;
    }
    row *rows = NULL;
    size_t n = 0;
    cell_util *cu = NULL;
    size_t ncu = 0;
    int umetric = -1;
    /* a membership run has its experiment row; gradient-inversion runs share the store's tables */
    int has_mia = table_exists(db, "estimate") && table_exists(db, "experiment"),
        has_gi = table_exists(db, "gradinv_cell");
    if (has_mia) {
        sqlite3_stmt *q;
        has_mia = sqlite3_prepare_v2(db, "SELECT 1 FROM experiment", -1, &q, NULL) == SQLITE_OK &&
                  sqlite3_step(q) == SQLITE_ROW;
        sqlite3_finalize(q);
    }
    int rc = !has_mia && !has_gi ? pa_errf(err, PA_EINPUT, "not a privaudit run database (no results tables)")
             : has_mia           ? load_rows(db, &rows, &n, err)
                                 : PA_OK;
    if (rc) {
        pa_err_prefix(err, "%s", o->db_path);
        sqlite3_close(db);
        return rc;
    }
    if ((rc = util_mkdir_p(o->out_dir, err)))
        goto out;
    char name[256] = "experiment", version[64] = "", cfgh[32] = "", datah[32] = "", dpath[1024] = "";
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT name, code_version, config_hash, data_hash, data_path FROM experiment", -1, &s,
                           NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW) {
            snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(s, 0));
            snprintf(version, sizeof version, "%s", (const char *)sqlite3_column_text(s, 1));
            snprintf(cfgh, sizeof cfgh, "%s", (const char *)sqlite3_column_text(s, 2));
            snprintf(datah, sizeof datah, "%s", (const char *)sqlite3_column_text(s, 3));
            snprintf(dpath, sizeof dpath, "%s", (const char *)sqlite3_column_text(s, 4));
        }
        sqlite3_finalize(s);
    }
    long long ntr = 0, nfail = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*), sum(status != 'ok') FROM trial", -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW) {
            ntr = sqlite3_column_int64(s, 0);
            nfail = sqlite3_column_int64(s, 1);
        }
        sqlite3_finalize(s);
    }
    if (o->table_out)
        print_table(o->table_out, rows, n, 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/report.md", o->out_dir);
    char *md = NULL;
    size_t mdlen = 0;
    FILE *f = open_memstream(&md, &mdlen);
    if (!f) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    fprintf(f, "# privaudit report: %s\n\n", name);
    if (has_mia) {
        fprintf(f, "- database: `%s`\n- code version: `%s`\n- config hash: `%s`\n- data: `%s` (hash `%s`)\n",
                o->db_path, version, cfgh, dpath, datah);
        fprintf(f, "- trials stored: %lld (%lld failed)\n\n", ntr, nfail);
    } else {
        fprintf(f, "- database: `%s`\n\n", o->db_path);
    }
    if (has_mia) {
    fprintf(f, "## Membership inference: empirical epsilon against the claim\n\n");
    fprintf(f, "Thresholds are chosen on the calibration split and counted on the test split. The Bayesian "
               "interval is the joint-beta posterior credible interval (Zanella-Beguelin et al. 2023); CP lower is "
               "the Clopper-Pearson lower bound; a VIOLATION is a Bayesian lower bound above the claimed epsilon "
               "(docs/metrics.md).\n\n");
    print_table(f, rows, n, 1);
    size_t nviol = 0;
    for (size_t i = 0; i < n; i++)
        nviol += rows[i].violation;
    fprintf(f, "\n%zu violation%s.\n\n", nviol, nviol == 1 ? "" : "s");
    fprintf(f, "## Violations\n\n");
    if (!nviol) {
        fprintf(f, "None: no Bayesian lower bound exceeds its claimed epsilon.\n\n");
    } else {
        fprintf(f, "Each row is a setting whose empirical lower bound exceeds the epsilon it claims: a bug in the "
                   "generator or in its accounting, unless the claim was declared rather than computed.\n\n"
                   "| generator | claimed eps | attack | target | Bayes lower | CP lower | P(eps>claimed) |\n"
                   "|---|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < n; i++) {
            if (!rows[i].violation)
                continue;
            char cl[32], lo[32], cp[32], tg[32];
            fmt_eps(cl, sizeof cl, rows[i].claimed);
            fmt_eps(lo, sizeof lo, rows[i].b_lo);
            fmt_eps(cp, sizeof cp, rows[i].cp_lo);
            if (rows[i].target < 0)
                snprintf(tg, sizeof tg, "all");
            else
                snprintf(tg, sizeof tg, "%lld", rows[i].target);
            fprintf(f, "| %s | %s | %s | %s | %s | %s | %.3f |\n", rows[i].generator, cl, rows[i].attack, tg, lo, cp,
                    rows[i].p_exc);
        }
        fprintf(f, "\n");
    }
    /* attack x (generator, eps) summary: AUC / TPR@1%FPR, pooled rows first */
    char atk[32][64];
    size_t na = 0;
    for (size_t i = 0; i < n; i++) {
        size_t a = 0;
        while (a < na && strcmp(atk[a], rows[i].attack))
            a++;
        if (a == na && na < 32)
            snprintf(atk[na++], sizeof atk[0], "%s", rows[i].attack);
    }
    if (n) {
        fprintf(f, "## Attacks side by side: AUC / TPR@1%%FPR (pooled over targets where there are several)\n\n"
                   "| generator | claimed eps |");
        for (size_t a = 0; a < na; a++)
            fprintf(f, " %s |", atk[a]);
        fprintf(f, "\n|---|---|");
        for (size_t a = 0; a < na; a++)
            fprintf(f, "---|");
        fprintf(f, "\n");
        long long last = -1;
        for (size_t i = 0; i < n; i++) {
            if (rows[i].cell == last)
                continue;
            last = rows[i].cell;
            char cl[32];
            fmt_eps(cl, sizeof cl, rows[i].claimed);
            fprintf(f, "| %s | %s |", rows[i].generator, cl);
            for (size_t a = 0; a < na; a++) {
                const row *best = NULL;
                for (size_t j = 0; j < n; j++)
                    if (rows[j].cell == last && !strcmp(rows[j].attack, atk[a]) &&
                        (!best || rows[j].target < best->target))
                        best = &rows[j];
                if (best)
                    fprintf(f, " %.3f / %.3f |", best->auc, best->tpr1);
                else
                    fprintf(f, " - |");
            }
            fprintf(f, "\n");
        }
        fprintf(f, "\n");
    }
    if (!load_utility(db, rows, n, &cu, &ncu, NULL))
        umetric = util_pick(cu, ncu);
    if (umetric >= 0) {
        fprintf(f, "## Privacy and utility\n\nMean utility of every release against its own training set (TVD) "
                   "and the holdout split (TSTR), beside the strongest attack's empirical epsilon interval.\n\n"
                   "| generator | claimed eps | TSTR acc | TSTR AUC | 1-way TVD | 2-way TVD | 3-way TVD | "
                   "empirical eps (attack) |\n|---|---|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < ncu; i++) {
            char cl[32], v[UTIL_NAMES][32], lo[32], hi[32];
            fmt_eps(cl, sizeof cl, cu[i].claimed);
            for (size_t u = 0; u < UTIL_NAMES; u++)
                if (isnan(cu[i].mean[u]))
                    snprintf(v[u], sizeof v[u], "-");
                else
                    snprintf(v[u], sizeof v[u], "%.4f", cu[i].mean[u]);
            fmt_eps(lo, sizeof lo, cu[i].e_lo);
            fmt_eps(hi, sizeof hi, cu[i].e_hi);
            fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | [%s, %s] (%s) |\n", cu[i].generator, cl, v[0], v[1],
                    v[2], v[3], v[4], lo, hi, cu[i].e_attack[0] ? cu[i].e_attack : "-");
        }
        fprintf(f, "\n![privacy-utility](utility.png)\n\n");
    }
    fprintf(f, "## Test-split counts\n\n| generator | claimed eps | attack | target | TP | FN | FP | TN | point eps |\n"
               "|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        char cl[32], pt[32], tg[32];
        fmt_eps(cl, sizeof cl, rows[i].claimed);
        fmt_eps(pt, sizeof pt, rows[i].point);
        if (rows[i].target < 0)
            snprintf(tg, sizeof tg, "all");
        else
            snprintf(tg, sizeof tg, "%lld", rows[i].target);
        fprintf(f, "| %s | %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %s |\n", rows[i].generator, cl, rows[i].attack,
                tg, rows[i].tp, rows[i].fn, rows[i].fp, rows[i].tn, pt);
    }
    fprintf(f, "\n## Figures\n\n![ROC](roc.png)\n\n![ROC, log-log](roc-log.png)\n\n![epsilon](eps.png)\n\n![posterior of epsilon](posterior.png)\n");
    }
    if (has_gi) {
        fprintf(f, "\n## Gradient inversion\n\nReconstructions of training batches from one shared update "
                   "(tables gradinv_*; docs/gradinv.md). For image data, the first batch of each (B, sigma, C, "
                   "attack) setting: originals left, reconstructions right.\n\n");
        sqlite3_stmt *gs;
        if (sqlite3_prepare_v2(db,
                               "SELECT s.method, c.batch, c.sigma, c.clip, c.eps, count(*), avg(s.psnr),"
                               " avg(s.attr_acc), avg(s.exact), avg(s.label_acc)"
                               " FROM gradinv_cell c JOIN gradinv_score s ON s.cell_id = c.id"
                               " GROUP BY c.id, s.method ORDER BY c.tag, s.method, c.batch, c.sigma, c.clip",
                               -1, &gs, NULL) == SQLITE_OK) {
            fprintf(f, "| method | B | sigma | C | eps | records | PSNR (dB) | attribute acc | exact records | "
                       "label acc |\n|---|---|---|---|---|---|---|---|---|---|\n");
            while (sqlite3_step(gs) == SQLITE_ROW) {
                char e[32], v[4][32];
                fmt_eps(e, sizeof e, isnan(col_real(gs, 4)) && col_real(gs, 2) == 0 ? INFINITY : col_real(gs, 4));
                for (int q = 0; q < 4; q++) {
                    double x = col_real(gs, 6 + q);
                    if (isnan(x))
                        snprintf(v[q], sizeof v[q], "-");
                    else
                        snprintf(v[q], sizeof v[q], "%.3f", x);
                }
                fprintf(f, "| %s | %lld | %g | %g | %s | %lld | %s | %s | %s | %s |\n", sqlite3_column_text(gs, 0),
                        (long long)sqlite3_column_int64(gs, 1), col_real(gs, 2), col_real(gs, 3), e,
                        (long long)sqlite3_column_int64(gs, 5), v[0], v[1], v[2], v[3]);
            }
            sqlite3_finalize(gs);
        }
        fprintf(f, "\n![reconstructions](gradinv_grid.png)\n\n![quality against epsilon](gradinv_eps.png)\n");
    }
    fclose(f);
    rc = util_write_file_atomic(path, md, mdlen, err);
    free(md);
    if (rc || !o->figures)
        goto out;
    char roc_gp[4096], eps_gp[4096], post_gp[4096], ut_gp[4096];
    if (!has_mia)
        goto gradinv;
    if ((rc = write_roc(db, o->out_dir, roc_gp, sizeof roc_gp, err)) ||
        (rc = write_eps(rows, n, o->out_dir, eps_gp, sizeof eps_gp, err)) ||
        (n && (rc = write_posterior(rows, n, o->out_dir, post_gp, sizeof post_gp, err))) ||
        (umetric >= 0 && (rc = write_utility(cu, ncu, umetric, o->out_dir, ut_gp, sizeof ut_gp, err))))
        goto out;
    pa_err gerr = {0};
    int grc = report_gnuplot(o->out_dir, "roc.gp", &gerr);
    if (!grc)
        grc = report_gnuplot(o->out_dir, "eps.gp", &gerr);
    if (!grc && n)
        grc = report_gnuplot(o->out_dir, "posterior.gp", &gerr);
    if (!grc && umetric >= 0)
        grc = report_gnuplot(o->out_dir, "utility.gp", &gerr);
    if (grc) {
        if (warn)
            *warn = 1;
        if (err)
            *err = gerr;
        goto out;
    }
gradinv:
    if (has_gi)
        grc = gradinv_plot(db, o->out_dir, NULL, &gerr);
    if (grc) {
        if (warn)
            *warn = 1;
        if (err)
            *err = gerr;
    }
out:
    free(cu);
    free(rows);
    sqlite3_close(db);
    return rc;
}
