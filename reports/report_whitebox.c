/* report_whitebox.c — the white-box DP-SGD audit's section (privaudit
 * whitebox; tables whitebox_audit, whitebox_estimate, whitebox_score).
 *
 * Tightness: ε_lo / ε_theory (the estimator's lower bound over the RDP
 * accountant's ε of the training) against the claimed ε, one panel per
 * estimator, one series per configuration (threat model, canary, planted
 * bug, and steps × rate when audits differ in them); 1 = a tight audit,
 * above 1 = a violation. Scores: histograms of the canaries' scores, in the
 * training set (members) and not, with the threshold chosen on the
 * calibration runs. */
#define _GNU_SOURCE /* open_memstream */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report_kind.h"

#define MAXW 64          /* audits shown in the figures */
#define MAXMETH 12
#define NBINS 30

typedef struct audit {
    long long id;
    double eps, delta, q, clip, lr, cal_frac, alpha;
    char threat[16], canary[16], bug[24], seed[32];
    long long runs, steps, canaries, n, hidden, jobs;
    double sigma, eps_theory, eps_prv, auc, tpr001, thr, tp, fn, fp, tn, p_exc;
    int viol;
    double seconds;
    char created[32];
    size_t series;
    double lo[MAXMETH], hi[MAXMETH];
    double ref[MAXMETH];    /* what each bound is divided by: ε_theory, or μ_theory for gdp_fit (its claimed) */
} audit;

typedef struct wb {
    report_ctx *c;
    audit *a;
    size_t na;
    char methods[MAXMETH][32];
    size_t nm;
    char labels[MAXW][96];
    size_t nl;
    int steps_vary;
} wb;

/* gdp_fit's bounds are on μ (audit/gdp_fit.h), not on ε */
static int is_mu(const char *m)
{
    return !strcmp(m, "gdp_fit");
}

static int wb_present(sqlite3 *db)
{
    return rk_has_rows(db, "whitebox_audit");
}

static size_t meth_index(wb *W, const char *m)
{
    for (size_t k = 0; k < W->nm; k++)
        if (!strcmp(W->methods[k], m))
            return k;
    if (W->nm < MAXMETH)
        snprintf(W->methods[W->nm++], sizeof W->methods[0], "%s", m);
    return W->nm - 1;
}

static void config_label(const wb *W, const audit *a, char *buf, size_t cap)
{
    size_t k = (size_t)snprintf(buf, cap, "threat %s, %s canary", a->threat, a->canary);
    if (strcmp(a->bug, "none") && k < cap)
        k += (size_t)snprintf(buf + k, cap - k, ", bug %s", a->bug);
    if (W->steps_vary && k < cap)
        snprintf(buf + k, cap - k, ", T=%lld q=%g", a->steps, a->q);
}

static int load(wb *W, pa_err *err)
{
    report_ctx *c = W->c;
    sqlite3_stmt *s;
    int rc = rk_prepare(c,
                        "SELECT id, epsilon, delta, threat, canary, bug, runs, steps, q, clip, canaries, n, hidden,"
                        " lr, cal_frac, alpha, seed, jobs, sigma, eps_theory, eps_prv, auc, tpr_at_001, threshold,"
                        " tp, fn, fp, tn, p_exceeds, violation, seconds, created_at FROM whitebox_audit"
                        " ORDER BY threat, canary, bug, steps, q, epsilon, id",
                        &s, err);
    if (rc)
        return rc;
    size_t cap = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (W->na == cap) {
            cap = cap ? 2 * cap : 16;
            audit *n = realloc(W->a, cap * sizeof *n);
            if (!n) {
                sqlite3_finalize(s);
                return pa_errf(err, PA_ENOMEM, "out of memory");
            }
            W->a = n;
        }
        audit *a = &W->a[W->na++];
        memset(a, 0, sizeof *a);
        int k = 0;
        a->id = sqlite3_column_int64(s, k++);
        a->eps = rk_real(s, k++);
        a->delta = rk_real(s, k++);
        snprintf(a->threat, sizeof a->threat, "%s", rk_text(s, k++));
        snprintf(a->canary, sizeof a->canary, "%s", rk_text(s, k++));
        snprintf(a->bug, sizeof a->bug, "%s", rk_text(s, k++));
        a->runs = sqlite3_column_int64(s, k++);
        a->steps = sqlite3_column_int64(s, k++);
        a->q = rk_real(s, k++);
        a->clip = rk_real(s, k++);
        a->canaries = sqlite3_column_int64(s, k++);
        a->n = sqlite3_column_int64(s, k++);
        a->hidden = sqlite3_column_int64(s, k++);
        a->lr = rk_real(s, k++);
        a->cal_frac = rk_real(s, k++);
        a->alpha = rk_real(s, k++);
        snprintf(a->seed, sizeof a->seed, "%s", rk_text(s, k++));
        a->jobs = sqlite3_column_int64(s, k++);
        a->sigma = rk_real(s, k++);
        a->eps_theory = rk_real(s, k++);
        a->eps_prv = rk_real(s, k++);
        a->auc = rk_real(s, k++);
        a->tpr001 = rk_real(s, k++);
        a->thr = rk_real(s, k++);
        a->tp = rk_real(s, k++);
        a->fn = rk_real(s, k++);
        a->fp = rk_real(s, k++);
        a->tn = rk_real(s, k++);
        a->p_exc = rk_real(s, k++);
        a->viol = sqlite3_column_int(s, k++);
        a->seconds = rk_real(s, k++);
        snprintf(a->created, sizeof a->created, "%s", rk_text(s, k++));
        for (size_t m = 0; m < MAXMETH; m++) {
            a->lo[m] = a->hi[m] = NAN;
            a->ref[m] = a->eps_theory;
        }
    }
    sqlite3_finalize(s);
    for (size_t i = 1; i < W->na; i++)
        W->steps_vary |= W->a[i].steps != W->a[0].steps || W->a[i].q != W->a[0].q;
    if ((rc = rk_prepare(c, "SELECT audit_id, method, lo, hi, claimed FROM whitebox_estimate ORDER BY audit_id, rowid",
                         &s, err)))
        return rc;
    while (sqlite3_step(s) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(s, 0);
        size_t m = meth_index(W, rk_text(s, 1));
        for (size_t i = 0; i < W->na && m < MAXMETH; i++)
            if (W->a[i].id == id) {
                W->a[i].lo[m] = rk_real(s, 2);
                /* an upper end stored as NULL is unbounded */
                W->a[i].hi[m] = sqlite3_column_type(s, 3) == SQLITE_NULL ? INFINITY : rk_real(s, 3);
                /* the GDP fit is in units of μ: its claimed column holds μ_theory */
                if (is_mu(W->methods[m]))
                    W->a[i].ref[m] = rk_real(s, 4);
            }
    }
    sqlite3_finalize(s);
    for (size_t i = 0; i < W->na; i++) {
        char lab[96];
        config_label(W, &W->a[i], lab, sizeof lab);
        size_t k = 0;
        while (k < W->nl && strcmp(W->labels[k], lab))
            k++;
        if (k == W->nl && W->nl < MAXW)
            snprintf(W->labels[W->nl++], sizeof W->labels[0], "%s", lab);
        W->a[i].series = k < MAXW ? k : MAXW - 1;
    }
    return PA_OK;
}

static const char *meth_name(const char *m)
{
    return !strcmp(m, "bayes")             ? "Bayesian (joint beta)"
           : !strcmp(m, "clopper_pearson") ? "Clopper-Pearson"
           : !strcmp(m, "jeffreys")        ? "Jeffreys"
           : !strcmp(m, "gdp")             ? "μ-GDP"
           : !strcmp(m, "one_run")         ? "one-run"
           : !strcmp(m, "gdp_fit")         ? "GDP fit (μ)"
                                           : m;
}

static int fig_tightness(wb *W, pa_err *err)
{
    report_ctx *c = W->c;
    size_t panels[MAXMETH], np = 0;
    for (size_t m = 0; m < W->nm; m++)
        if (strcmp(W->methods[m], "point"))
            panels[np++] = m;
    if (!np)
        return PA_OK;
    double claims[MAXW] = {0};
    size_t ncl = 0;
    for (size_t i = 0; i < W->na && ncl < MAXW; i++)
        claims[ncl++] = W->a[i].eps;
    plot_eps_axis ax;
    plot_eps_axis_init(&ax, claims, ncl);
    plot_key key[MAXW + 1];
    char st[MAXW + 1][160], sty[96];
    size_t nk = 0;
    for (size_t l = 0; l < W->nl; l++) {
        snprintf(st[nk], sizeof st[0], "linespoints %s", plot_series(c->po, l, sty, sizeof sty));
        key[nk] = (plot_key){W->labels[l], st[nk]};
        nk++;
    }
    snprintf(st[nk], sizeof st[0], "lines dt 2 lc rgb '#000000'");
    key[nk] = (plot_key){"tight: ε_lo = ε_theory", st[nk]};
    nk++;
    plot_layout L = {.panels = np, .cols = np < 3 ? np : 3, .aspect = 0.8, .wide = np > 2, .key = key, .nkey = nk};
    plot_fig *f;
    int rc = plot_fig_begin(c->po, "whitebox_tightness", "ε_lo / ε_theory against the claimed ε", &L, &f, err);
    if (rc)
        return rc;
    double ymax = 1.1;
    size_t blk[MAXMETH][MAXW];
    for (size_t p = 0; p < np; p++) {
        size_t m = panels[p];
        for (size_t l = 0; l < W->nl; l++) {
            size_t rows = 0;
            for (size_t i = 0; i < W->na; i++) {
                const audit *a = &W->a[i];
                if (a->series != l || isnan(a->lo[m]))
                    continue;
                if (!rows++)
                    plot_dat_comment(f, is_mu(W->methods[m]) ? "%s, %s: claimed_eps mu_lo mu_theory ratio"
                                                             : "%s, %s: claimed_eps eps_lo eps_theory ratio",
                                     meth_name(W->methods[m]), W->labels[l]);
                double r = a->lo[m] / a->ref[m];
                plot_dat_row(f, 4, (double[]){a->eps, a->lo[m], a->ref[m], r});
                if (isfinite(r))
                    ymax = fmax(ymax, 1.08 * r);
            }
            blk[p][l] = rows ? plot_dat_end_block(f) : SIZE_MAX;
        }
    }
    /* the story is in [0, 1] (how close to tight); ratios above 3 (a broken
     * engine) sit on the top edge with their value written beside them */
    double ycap = fmin(ymax, 3);
    for (size_t p = 0; p < np; p++) {
        int mu = is_mu(W->methods[panels[p]]);
        plot_panel(f, p, mu ? "GDP fit: μ_lo / μ_theory" : meth_name(W->methods[panels[p]]), "claimed ε",
                   mu ? "μ_lo / μ_theory" : "ε_lo / ε_theory");
        plot_eps_axis_emit(f, &ax);
        plot_gp(f, "YCAP = %.17g\nset yrange [0:YCAP * 1.1]\nset ytics %.17g", ycap, plot_nice_step(ycap, 4));
        plot_term(f, "1 with lines dt 2 lc rgb '#000000' notitle");
        for (size_t l = 0; l < W->nl; l++)
            if (blk[p][l] != SIZE_MAX) {
                plot_term(f, "DAT index %zu using (EX($1)):($4 > YCAP ? YCAP : $4) with linespoints %s notitle",
                          blk[p][l], plot_series(c->po, l, sty, sizeof sty));
                plot_term(f, "DAT index %zu using (EX($1)):($4 > YCAP ? YCAP : 1/0):(sprintf('%%.1f', $4)) with labels "
                             "offset char 0,char -0.8 font ',%g' tc rgb '%s' notitle",
                          blk[p][l], plot_out_style(c->po) == PLOT_PAPER ? 6.0 : 8.0, plot_colour(l));
            }
    }
    return plot_fig_end(f, err);
}

static int cmp_dbl(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int fig_scores(wb *W, pa_err *err)
{
    report_ctx *c = W->c;
    size_t n = W->na < 48 ? W->na : 48;
    char sty[2][96];
    plot_key key[3];
    char st[3][160];
    snprintf(st[0], sizeof st[0], "lines lw 5 %s", plot_line(0, sty[0], sizeof sty[0]));
    snprintf(st[1], sizeof st[1], "lines lw 5 %s", plot_line(1, sty[1], sizeof sty[1]));
    snprintf(st[2], sizeof st[2], "lines dt 2 lc rgb '#000000'");
    key[0] = (plot_key){"canary in the training (member)", st[0]};
    key[1] = (plot_key){"canary left out", st[1]};
    key[2] = (plot_key){"threshold (calibration runs)", st[2]};
    plot_layout L = {.panels = n, .cols = n < 3 ? n : (n == 4 ? 2 : 3), .aspect = 0.62, .wide = n > 2, .key = key,
                     .nkey = 3, .ylabel_every = 0};
    plot_fig *f;
    int rc = plot_fig_begin(c->po, "whitebox_scores", "score histograms of members and non-members", &L, &f, err);
    if (rc)
        return rc;
    sqlite3_stmt *s;
    if ((rc = rk_prepare(c, "SELECT score, member FROM whitebox_score WHERE audit_id = ?1 ORDER BY run, canary", &s,
                         err))) {
        plot_fig_abort(f);
        return rc;
    }
    double *v = NULL;
    int *mem = NULL;
    size_t cap = 0;
    char title[160], e[32];
    for (size_t i = 0; i < n && !rc; i++) {
        const audit *a = &W->a[i];
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, a->id);
        size_t m = 0;
        while (sqlite3_step(s) == SQLITE_ROW) {
            if (m == cap) {
                size_t nc = cap ? 2 * cap : 4096;
                double *nv = realloc(v, nc * sizeof *nv);
                if (nv)
                    v = nv;
                int *nm = nv ? realloc(mem, nc * sizeof *nm) : NULL;
                if (nm)
                    mem = nm;
                if (!nv || !nm) {
                    rc = pa_errf(err, PA_ENOMEM, "out of memory");
                    break;
                }
                cap = nc;
            }
            v[m] = sqlite3_column_double(s, 0);
            mem[m++] = sqlite3_column_int(s, 1);
        }
        if (rc || !m)
            continue;
        /* bins over the central 99% of the scores (the rest counted in the edge bins) */
        double *sorted = malloc(m * sizeof *sorted);
        if (!sorted) {
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
            break;
        }
        memcpy(sorted, v, m * sizeof *sorted);
        qsort(sorted, m, sizeof *sorted, cmp_dbl);
        double lo = sorted[(size_t)(0.005 * (double)(m - 1))], hi = sorted[(size_t)(0.995 * (double)(m - 1))];
        free(sorted);
        if (isfinite(a->thr)) {
            lo = fmin(lo, a->thr);
            hi = fmax(hi, a->thr);
        }
        if (!(hi > lo))
            hi = lo + 1;
        double w = (hi - lo) / NBINS, cin[NBINS] = {0}, cout[NBINS] = {0}, nin = 0, nout = 0;
        for (size_t k = 0; k < m; k++) {
            long b = (long)floor((v[k] - lo) / w);
            b = b < 0 ? 0 : b >= NBINS ? NBINS - 1 : b;
            if (mem[k]) {
                cin[b]++;
                nin++;
            } else {
                cout[b]++;
                nout++;
            }
        }
        plot_dat_comment(f, "audit %lld (%s, eps=%g): bin_centre members non_members members_share "
                            "non_members_share; %g members, %g non-members, threshold %.17g",
                         a->id, W->labels[a->series], a->eps, nin, nout, a->thr);
        for (size_t b = 0; b < NBINS; b++)
            plot_dat_row(f, 5, (double[]){lo + ((double)b + 0.5) * w, cin[b], cout[b], nin ? cin[b] / nin : 0,
                                          nout ? cout[b] / nout : 0});
        size_t blk = plot_dat_end_block(f);
        snprintf(title, sizeof title, "%s %s, ε = %s", a->threat, a->canary, plot_fmt_eps(a->eps, 0, e, sizeof e));
        if (strcmp(a->bug, "none"))
            snprintf(title + strlen(title), sizeof title - strlen(title), ", bug %s", a->bug);
        plot_panel(f, i, title, "score", "share of the canaries");
        double top = 0;
        for (size_t b = 0; b < NBINS; b++)
            top = fmax(top, fmax(nin ? cin[b] / nin : 0, nout ? cout[b] / nout : 0));
        plot_gp(f, "set xrange [%.17g:%.17g]\nset yrange [0:%.17g]\nset xtics %.17g\nset ytics %.17g",
                lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo), 1.08 * top + 1e-12, plot_nice_step(hi - lo, 3), plot_nice_step(top, 3));
        if (!isfinite(a->thr))
            plot_gp(f, "set label 1 'threshold %s' at graph 0.98, graph 0.92 right front font ',%g'",
                    a->thr > 0 ? "+∞ (no canary called in)" : "none", plot_out_style(c->po) == PLOT_PAPER ? 6.0 : 8.0);
        if (isfinite(a->thr))
            plot_gp(f, "set arrow 1 from first %.17g, graph 0 to first %.17g, graph 1 nohead dt 2 lc rgb "
                       "'#000000' front",
                    a->thr, a->thr);
        plot_gp(f, "set boxwidth %.17g absolute", w);
        plot_term(f, "DAT index %zu using 1:5 with boxes fs transparent solid 0.35 border %s %s notitle", blk, sty[1],
                  sty[1]);
        plot_term(f, "DAT index %zu using 1:4 with boxes fs transparent solid 0.35 border %s %s notitle", blk, sty[0],
                  sty[0]);
    }
    sqlite3_finalize(s);
    free(v);
    free(mem);
    if (rc) {
        plot_fig_abort(f);
        return rc;
    }
    return plot_fig_end(f, err);
}

static int wb_write(report_ctx *c, pa_err *err)
{
    wb W = {.c = c};
    int rc = load(&W, err);
    if (rc)
        goto out;
    long bayes = -1;
    for (size_t m = 0; m < W.nm; m++)
        if (!strcmp(W.methods[m], "bayes"))
            bayes = (long)m;
    size_t nviol = 0;
    for (size_t i = 0; i < W.na; i++)
        nviol += W.a[i].viol != 0;
    FILE *H = c->head, *B = c->body;
    fprintf(H, "## White-box DP-SGD audit: verdict\n\n");
    fprintf(H, "%zu audit%s (`privaudit whitebox`, docs/whitebox.md). %s\n\n", W.na, W.na == 1 ? "" : "s",
            nviol ? "" : "**No audit violates its claimed ε**: no Bayesian test rejects the claim.");
    if (nviol)
        fprintf(H, "**%zu audit%s violate%s the claimed ε** (the Bayesian test rejects the claim): a bug in the "
                   "DP-SGD engine or its accounting (a planted bug, if the table says so).\n\n",
                nviol, nviol == 1 ? "" : "s", nviol == 1 ? "s" : "");
    /* verdict table */
    plot_col cols[12];
    size_t nc = 0;
    cols[nc++] = (plot_col){"threat", "threat", PLOT_TEXT, NULL};
    cols[nc++] = (plot_col){"canary", "canary", PLOT_TEXT, NULL};
    cols[nc++] = (plot_col){"bug", "bug", PLOT_TEXT, NULL};
    cols[nc++] = (plot_col){"claimed_eps", "claimed ε", PLOT_NUM, "%.3g"};
    cols[nc++] = (plot_col){"steps", "T", PLOT_NUM, "%.0f"};
    cols[nc++] = (plot_col){"q", "q", PLOT_NUM, "%.3g"};
    cols[nc++] = (plot_col){"eps_theory", "ε_theory (RDP)", PLOT_NUM, "%.4g"};
    cols[nc++] = (plot_col){"bayes", "Bayes ε interval", PLOT_INTERVAL, "%.3g"};
    cols[nc++] = (plot_col){"ratio", "ε_lo / ε_theory", PLOT_NUM, "%.3f"};
    cols[nc++] = (plot_col){"p_exceeds", "P(ε > claimed)", PLOT_NUM, "%.3g"};
    cols[nc++] = (plot_col){"verdict", "verdict", PLOT_TEXT, NULL};
    plot_table *t = plot_table_new("whitebox_verdicts", "White-box DP-SGD audits: tightness and verdicts", cols, nc);
    if (!t) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < W.na; i++) {
        const audit *a = &W.a[i];
        double lo = bayes >= 0 ? a->lo[bayes] : NAN, hi = bayes >= 0 ? a->hi[bayes] : NAN;
        plot_table_text(t, a->threat);
        plot_table_text(t, a->canary);
        plot_table_text(t, a->bug);
        plot_table_num(t, a->eps);
        plot_table_num(t, (double)a->steps);
        plot_table_num(t, a->q);
        plot_table_num(t, a->eps_theory);
        plot_table_interval(t, lo, hi);
        plot_table_num(t, lo / a->eps_theory);
        plot_table_num(t, a->p_exc);
        plot_table_text(t, a->viol ? "VIOLATION" : "ok");
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
        fwrite(tb, 1, tl, H);
        rk_tty_table(c, tb, tl);
    }
    free(tb);
    if (rc)
        goto out;
    if (rk_figures_on(c) && (rc = rk_figure(c, fig_tightness(&W, err), err)))
        goto out;
    rk_md_figure(c, H, "whitebox_tightness",
                 "Tightness of the white-box audit: each estimator's lower bound on ε over the accountant's ε of "
                 "the training, against the claimed ε; 1 (dashed) is a tight audit, above it a violation. The GDP "
                 "fit's panel is in units of μ: the lower end of its interval over μ_theory (√T/σ for q = 1, the CLT "
                 "μ otherwise), a summary of the whole ROC, never a violation by itself.");
    fprintf(B, "## White-box DP-SGD audit: scores and estimates\n\n");
    if (rk_figures_on(c) && (rc = rk_figure(c, fig_scores(&W, err), err)))
        goto out;
    if (W.na > 48)
        fprintf(B, "Score histograms of the first 48 of the %zu audits (in the order of the table).\n\n", W.na);
    rk_md_figure(c, B, "whitebox_scores",
                 "Scores of the canaries of every run (calibration and test splits), members and non-members, as "
                 "shares of each group; dashed: the threshold chosen on the calibration runs.");
    /* every estimator, long format */
    static const plot_col ec[] = {{"audit", "audit", PLOT_TEXT, NULL},       {"threat", "threat", PLOT_TEXT, NULL},
                                  {"canary", "canary", PLOT_TEXT, NULL},     {"bug", "bug", PLOT_TEXT, NULL},
                                  {"claimed_eps", "claimed ε", PLOT_NUM, "%.3g"},
                                  {"method", "estimator", PLOT_TEXT, NULL},  {"eps", "interval (ε; μ for the GDP fit)", PLOT_INTERVAL, "%.4g"},
                                  {"ratio", "lower end / theory", PLOT_NUM, "%.3f"}};
    t = plot_table_new("whitebox_estimates", "Every estimator of every white-box audit", ec, 8);
    if (!t) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    char id[32];
    for (size_t i = 0; i < W.na; i++)
        for (size_t m = 0; m < W.nm; m++) {
            const audit *a = &W.a[i];
            if (isnan(a->lo[m]))
                continue;
            snprintf(id, sizeof id, "%lld", a->id);
            plot_table_text(t, id);
            plot_table_text(t, a->threat);
            plot_table_text(t, a->canary);
            plot_table_text(t, a->bug);
            plot_table_num(t, a->eps);
            plot_table_text(t, meth_name(W.methods[m]));
            if (!strcmp(W.methods[m], "point"))
                plot_table_interval(t, a->lo[m], a->lo[m]);
            else
                plot_table_interval(t, a->lo[m], a->hi[m]);
            plot_table_num(t, a->lo[m] / a->ref[m]);
            plot_table_end_row(t);
        }
    if ((rc = plot_table_write(c->po, t, B, err)))
        goto out;
    /* settings and counts */
    static const plot_col sc[] = {
        {"audit", "audit", PLOT_TEXT, NULL},        {"runs", "runs", PLOT_NUM, "%.0f"},
        {"canaries", "canaries/run", PLOT_NUM, "%.0f"}, {"n", "N", PLOT_NUM, "%.0f"},
        {"clip", "C", PLOT_NUM, "%.3g"},            {"sigma", "σ", PLOT_NUM, "%.4g"},
        {"delta", "δ", PLOT_NUM, "%.3g"},           {"eps_prv", "ε (PRV/exact)", PLOT_NUM, "%.4g"},
        {"auc", "AUC", PLOT_NUM, "%.3f"},           {"tp", "TP", PLOT_NUM, "%.0f"},
        {"fn", "FN", PLOT_NUM, "%.0f"},             {"fp", "FP", PLOT_NUM, "%.0f"},
        {"tn", "TN", PLOT_NUM, "%.0f"},             {"seed", "seed", PLOT_TEXT, NULL}};
    t = plot_table_new("whitebox_settings", "Settings and test-split counts of every white-box audit", sc,
                       sizeof sc / sizeof sc[0]);
    if (!t) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < W.na; i++) {
        const audit *a = &W.a[i];
        snprintf(id, sizeof id, "%lld", a->id);
        plot_table_text(t, id);
        plot_table_num(t, (double)a->runs);
        plot_table_num(t, (double)a->canaries);
        plot_table_num(t, (double)a->n);
        plot_table_num(t, a->clip);
        plot_table_num(t, a->sigma);
        plot_table_num(t, a->delta);
        plot_table_num(t, a->eps_prv);
        plot_table_num(t, a->auc);
        plot_table_num(t, a->tp);
        plot_table_num(t, a->fn);
        plot_table_num(t, a->fp);
        plot_table_num(t, a->tn);
        plot_table_text(t, a->seed);
        plot_table_end_row(t);
    }
    if ((rc = plot_table_write(c->po, t, B, err)))
        goto out;
    fprintf(c->prov, "- white-box audits: %zu, every score stored (table `whitebox_score`); one-sided level %g per "
                     "bound\n",
            W.na, W.na && !isnan(W.a[0].alpha) ? 1 - W.a[0].alpha / 2 : 0.95);
    for (size_t i = 0; i < W.na; i++)
        fprintf(c->timing, "- white-box audit %lld: %.3g s of training runs with %lld thread%s, stored %s\n",
                W.a[i].id, W.a[i].seconds, W.a[i].jobs, W.a[i].jobs == 1 ? "" : "s", W.a[i].created);
out:
    free(W.a);
    return rc;
}

const report_kind report_kind_whitebox = {REPORT_KIND_WHITEBOX, "white-box audit", wb_present, wb_write};
