/* report_audit.c — audit.md, its tables (CSV, LaTeX) and figure, and the
 * JSON verdict, from the release audit's database; contract in
 * report_audit.h. Column meanings: docs/audit.md. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "core/util.h"
#include "reports/report.h"
#include "reports/report_audit.h"

/* ---- reading ---- */

typedef struct audit_row {
    long long id;
    char created[40], version[64], real[1024], synth[1024], hold[1024], schema[1024];
    long long real_rows, synth_rows, hold_rows; /* hold_rows 0: no holdout */
    char qi[2048], secrets[2048], link_a[2048], link_b[2048], options[2048];
    char gen_cmd[2048], shadow_config[1024], shadow_error[1024];
    int flagged;
    double seconds;
} audit_row;

typedef struct risk_row {
    char risk[32], attack[32], secret[256], status[16], note[1400];
    int chosen, flag;
    long long family;
    double level, n, k, rate, err, lo, hi;
    double cn, ck, crate, cerr, clo, chi;
    double bn, bk, brate, blo, bhi;
    double raw, rerr, value, rlo, rhi, threshold, seconds;
} risk_row;

static double col_num(sqlite3_stmt *s, int k)
{
    return sqlite3_column_type(s, k) == SQLITE_NULL ? NAN : sqlite3_column_double(s, k);
}

static void col_text(sqlite3_stmt *s, int k, char *buf, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, k);
    snprintf(buf, cap, "%s", t ? (const char *)t : "");
}

static int table_has(sqlite3 *db, const char *table, const char *column)
{
    sqlite3_stmt *q;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s')", table);
    int exists = 0, has = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        exists = 1;
        has |= !column || !strcmp((const char *)sqlite3_column_text(q, 0), column);
    }
    sqlite3_finalize(q);
    return exists ? (has ? 1 : -1) : 0;
}

int report_audit_present(sqlite3 *db)
{
    int a = table_has(db, "audit", "format");
    if (a <= 0)
        return a;
    return table_has(db, "audit_risk", NULL) > 0 ? 1 : -1;
}

long long report_audit_latest(sqlite3 *db)
{
    sqlite3_stmt *q;
    long long id = 0;
    if (report_audit_present(db) == 1 && sqlite3_prepare_v2(db, "SELECT max(id) FROM audit", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
            id = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    return id;
}

static int load_audit(sqlite3 *db, long long id, audit_row *a, pa_err *err)
{
    memset(a, 0, sizeof *a);
    if (report_audit_present(db) != 1)
        return pa_errf(err, PA_EINPUT, "no release audit of this privaudit's format in the database");
    if (id <= 0)
        id = report_audit_latest(db);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, created_at, code_version, real_path, real_rows, synth_path, synth_rows,"
                           " holdout_path, holdout_rows, schema_path, qi, secrets, link_a, link_b, options_json,"
                           " generator_cmd, shadow_config, shadow_error, flagged, seconds FROM audit WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return pa_errf(err, PA_EINPUT, "not an audit database: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(q, 1, id);
    int rc = PA_OK;
    if (sqlite3_step(q) != SQLITE_ROW) {
        rc = pa_errf(err, PA_EINPUT, "no audit with id %lld", id);
    } else {
        a->id = sqlite3_column_int64(q, 0);
        col_text(q, 1, a->created, sizeof a->created);
        col_text(q, 2, a->version, sizeof a->version);
        col_text(q, 3, a->real, sizeof a->real);
        a->real_rows = sqlite3_column_int64(q, 4);
        col_text(q, 5, a->synth, sizeof a->synth);
        a->synth_rows = sqlite3_column_int64(q, 6);
        col_text(q, 7, a->hold, sizeof a->hold);
        a->hold_rows = sqlite3_column_type(q, 8) == SQLITE_NULL ? 0 : sqlite3_column_int64(q, 8);
        col_text(q, 9, a->schema, sizeof a->schema);
        col_text(q, 10, a->qi, sizeof a->qi);
        col_text(q, 11, a->secrets, sizeof a->secrets);
        col_text(q, 12, a->link_a, sizeof a->link_a);
        col_text(q, 13, a->link_b, sizeof a->link_b);
        col_text(q, 14, a->options, sizeof a->options);
        col_text(q, 15, a->gen_cmd, sizeof a->gen_cmd);
        col_text(q, 16, a->shadow_config, sizeof a->shadow_config);
        col_text(q, 17, a->shadow_error, sizeof a->shadow_error);
        a->flagged = sqlite3_column_int(q, 18);
        a->seconds = col_num(q, 19);
    }
    sqlite3_finalize(q);
    return rc;
}

static int load_risks(sqlite3 *db, long long id, risk_row **out, size_t *n, pa_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db,
                           "SELECT risk, attack, secret, status, note, chosen, flag, family, level, attempts, successes,"
                           " rate, rate_err, rate_lo, rate_hi, control_attempts, control_successes, control_rate,"
                           " control_err, control_lo, control_hi, baseline_attempts, baseline_successes, baseline_rate,"
                           " baseline_lo, baseline_hi, risk_raw, risk_err, risk_value, risk_lo, risk_hi, threshold,"
                           " seconds FROM audit_risk WHERE audit_id = ? ORDER BY seq",
                           -1, &q, NULL) != SQLITE_OK)
        return pa_errf(err, PA_EINPUT, "not an audit database: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(q, 1, id);
    size_t cap = 0;
    int rc = PA_OK;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            risk_row *nr = realloc(*out, cap * sizeof *nr);
            if (!nr) {
                rc = pa_errf(err, PA_ENOMEM, "out of memory");
                break;
            }
            *out = nr;
        }
        risk_row *r = &(*out)[(*n)++];
        memset(r, 0, sizeof *r);
        col_text(q, 0, r->risk, sizeof r->risk);
        col_text(q, 1, r->attack, sizeof r->attack);
        col_text(q, 2, r->secret, sizeof r->secret);
        col_text(q, 3, r->status, sizeof r->status);
        col_text(q, 4, r->note, sizeof r->note);
        r->chosen = sqlite3_column_int(q, 5);
        r->flag = sqlite3_column_int(q, 6);
        r->family = sqlite3_column_int64(q, 7);
        double *v[] = {&r->level, &r->n, &r->k, &r->rate, &r->err, &r->lo, &r->hi, &r->cn, &r->ck, &r->crate,
                       &r->cerr, &r->clo, &r->chi, &r->bn, &r->bk, &r->brate, &r->blo, &r->bhi, &r->raw, &r->rerr,
                       &r->value, &r->rlo, &r->rhi, &r->threshold, &r->seconds};
        for (int t = 0; t < 25; t++)
            *v[t] = col_num(q, 8 + t);
    }
    sqlite3_finalize(q);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- text helpers ---- */

/* n with thousands separators, in a rotating set of buffers */
static const char *cnt(double v)
{
    static char buf[16][40];
    static int k;
    char *b = buf[k++ & 15], tmp[40];
    if (isnan(v)) {
        snprintf(b, 40, "–");
        return b;
    }
    long long n = llround(v);
    if (fabs(v - (double)n) > 1e-9) { /* a mean over slices */
        snprintf(b, 40, "%.1f", v);
        return b;
    }
    int len = snprintf(tmp, sizeof tmp, "%lld", n < 0 ? -n : n), o = 0;
    if (n < 0)
        b[o++] = '-';
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            b[o++] = ',';
        b[o++] = tmp[i];
    }
    b[o] = 0;
    return b;
}

/* a rate as a percentage with one decimal ("–" for NaN) */
static const char *pc(double v)
{
    static char buf[16][32];
    static int k;
    char *b = buf[k++ & 15];
    if (isnan(v))
        snprintf(b, 32, "–");
    else
        snprintf(b, 32, "%.1f%%", 100 * v);
    return b;
}

static const char *pct_of(double k, double n)
{
    return n > 0 ? pc(k / n) : pc(NAN);
}

/* a risk in [0, 1] with 3 decimals */
static const char *r3(double v)
{
    static char buf[16][32];
    static int k;
    char *b = buf[k++ & 15];
    if (isnan(v))
        snprintf(b, 32, "–");
    else
        snprintf(b, 32, "%.3f", v);
    return b;
}

static const char *g4(double v)
{
    static char buf[8][32];
    static int k;
    char *b = buf[k++ & 7];
    if (isnan(v))
        snprintf(b, 32, "–");
    else
        snprintf(b, 32, "%.4g", v);
    return b;
}

static const char *verdict_plain(const risk_row *r);

static const char *risk_title(const char *risk)
{
    return !strcmp(risk, "singling_out") ? "singling out"
           : !strcmp(risk, "linkability") ? "linkability"
           : !strcmp(risk, "inference")   ? "inference"
                                          : "membership";
}

static const char *attack_words(const char *a)
{
    if (!strcmp(a, "univariate"))
        return "univariate predicates";
    if (!strcmp(a, "multivariate"))
        return "multivariate predicates";
    if (!strcmp(a, "nearest_pair"))
        return "nearest synthetic record on both column sets";
    if (!strcmp(a, "nearest"))
        return "nearest synthetic record";
    if (!strcmp(a, "classifier"))
        return "classifier trained on the synthetic data";
    if (!strcmp(a, "lp"))
        return "linear reconstruction";
    if (!strcmp(a, "dcr"))
        return "distance to the closest synthetic record";
    return a;
}

static const char *verdict_word(const risk_row *r)
{
    if (r->flag && !strcmp(r->status, "ok"))
        return "**FLAGGED**";
    return verdict_plain(r);
}

static const char *verdict_plain(const risk_row *r)
{
    if (!strcmp(r->status, "no_control"))
        return "not measurable (no control)";
    if (!strcmp(r->status, "not_run"))
        return "not assessed";
    if (r->flag)
        return "FLAGGED";
    if (!strcmp(r->status, "weak"))
        return "no excess (attack no better than naive)";
    return "no significant excess";
}

static void interval(char *buf, size_t cap, double v, double lo, double hi, int as_pct)
{
    if (isnan(v))
        snprintf(buf, cap, "–");
    else if (as_pct)
        snprintf(buf, cap, "%.1f%% [%.1f, %.1f]", 100 * v, 100 * lo, 100 * hi);
    else
        snprintf(buf, cap, "%.3f [%.3f, %.3f]", v, lo, hi);
}

/* ---- CSV and LaTeX ---- */

static void csv_text(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    if (!isnan(v))
        fprintf(f, "%.17g", v);
}

static void tex_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': case '%': case '$': case '#': case '_': case '{': case '}':
            fputc('\\', f);
            fputc(*s, f);
            break;
        case '~': fputs("\\textasciitilde{}", f); break;
        case '^': fputs("\\textasciicircum{}", f); break;
        case '\\': fputs("\\textbackslash{}", f); break;
        default: fputc(*s, f);
        }
    }
}

static FILE *open_in(const char *dir, const char *name, char *path, size_t cap, pa_err *err)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        pa_errf(err, PA_EIO, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

static int close_file(FILE *f, const char *path, pa_err *err)
{
    if (fclose(f))
        return pa_errf(err, PA_EIO, "%s: write failed", path);
    return PA_OK;
}

static int write_risk_tables(const char *dir, const risk_row *rr, size_t n, pa_err *err)
{
    char path[4096];
    FILE *f = open_in(dir, "audit-risks.csv", path, sizeof path, err);
    if (!f)
        return PA_EIO;
    fprintf(f, "risk,attack,secret,status,chosen,level,attempts,successes,rate,rate_lo,rate_hi,control_attempts,"
               "control_successes,control_rate,control_lo,control_hi,baseline_rate,risk,risk_lo,risk_hi,flag\n");
    for (size_t i = 0; i < n; i++) {
        const risk_row *r = &rr[i];
        fprintf(f, "%s,%s,", r->risk, r->attack);
        csv_text(f, r->secret);
        fprintf(f, ",%s,%d,", r->status, r->chosen);
        double v[] = {r->level, r->n, r->k, r->rate, r->lo, r->hi, r->cn, r->ck, r->crate, r->clo, r->chi,
                      r->brate, r->value, r->rlo, r->rhi};
        for (int t = 0; t < 15; t++) {
            csv_num(f, v[t]);
            fputc(',', f);
        }
        fprintf(f, "%d\n", r->flag);
    }
    int rc = close_file(f, path, err);
    if (rc || !(f = open_in(dir, "audit-risks.tex", path, sizeof path, err)))
        return rc ? rc : PA_EIO;
    fprintf(f, "%% privaudit release audit: the risk of each attack against the training records, beyond the\n"
               "%% control records (Anonymeter's estimator); requires \\usepackage{booktabs}\n"
               "\\begin{tabular}{lllrrrrl}\n\\toprule\n"
               "Risk & Attack & Secret & Training (\\%%) & Control (\\%%) & Naive (\\%%) & Risk [interval] & Flag \\\\\n"
               "\\midrule\n");
    for (size_t i = 0; i < n; i++) {
        const risk_row *r = &rr[i];
        tex_text(f, risk_title(r->risk));
        fputs(" & ", f);
        tex_text(f, r->attack);
        fputs(r->chosen ? "$^\\ast$ & " : " & ", f);
        tex_text(f, r->secret);
        if (isnan(r->rate))
            fputs(" & -- ", f);
        else
            fprintf(f, " & %.1f ", 100 * r->rate);
        if (isnan(r->crate))
            fputs("& -- ", f);
        else
            fprintf(f, "& %.1f ", 100 * r->crate);
        if (isnan(r->brate))
            fputs("& -- ", f);
        else
            fprintf(f, "& %.1f ", 100 * r->brate);
        if (isnan(r->value))
            fputs("& -- ", f);
        else
            fprintf(f, "& %.3f [%.3f, %.3f] ", r->value, r->rlo, r->rhi);
        fprintf(f, "& %s \\\\\n", r->flag ? "yes" : !strcmp(r->status, "no_control") ? "--" : "no");
    }
    fprintf(f, "\\bottomrule\n\\end{tabular}\n");
    return close_file(f, path, err);
}

/* ---- the figure ---- */

static int write_figure(const char *dir, const risk_row *rr, size_t n, int *warn, pa_err *err)
{
    char path[4096];
    FILE *f = open_in(dir, "audit-risks.dat", path, sizeof path, err);
    if (!f)
        return PA_EIO;
    /* one line per chosen risk: y, risk, lo, hi, training rate, its interval, control rate, its interval, flag */
    fprintf(f, "# y risk risk_lo risk_hi rate rate_lo rate_hi control_rate control_lo control_hi flag\n");
    size_t y = 0;
    char labels[4096] = "", blanks[1024] = "";
    for (size_t i = 0; i < n; i++) {
        const risk_row *r = &rr[i];
        if (!r->chosen)
            continue;
        char lab[512], q[600];
        if (r->secret[0])
            snprintf(lab, sizeof lab, "%s: %s (%s)", risk_title(r->risk), r->secret, r->attack);
        else
            snprintf(lab, sizeof lab, "%s (%s)", risk_title(r->risk), r->attack);
        for (char *c = lab; *c; c++)
            if (*c == '_')
                *c = ' ';
        fprintf(f, "%zu", y);
        double v[] = {r->value, r->rlo, r->rhi, r->rate, r->lo, r->hi, r->crate, r->clo, r->chi};
        for (int t = 0; t < 9; t++) {
            if (isnan(v[t]))
                fprintf(f, " NaN");
            else
                fprintf(f, " %.17g", v[t]);
        }
        fprintf(f, " %d\n", r->flag);
        size_t l = strlen(labels), lb = strlen(blanks);
        snprintf(labels + l, sizeof labels - l, "%s%s %zu", l ? ", " : "", report_gp_quote(lab, q, sizeof q), y);
        snprintf(blanks + lb, sizeof blanks - lb, "%s'' %zu", lb ? ", " : "", y);
        y++;
    }
    int rc = close_file(f, path, err);
    if (rc)
        return rc;
    if (!(f = open_in(dir, "audit-risks.gp", path, sizeof path, err)))
        return PA_EIO;
    /* colour-blind-safe (Okabe-Ito) colours; labels plain text */
    fprintf(f, "# privaudit release audit: each risk with its interval (left), the success rates against the real\n"
               "# and the control records with their intervals (right). Data: audit-risks.dat.\n"
               "# Run: gnuplot audit-risks.gp (writes audit-risks.png, .pdf, .svg)\n"
               "set datafile missing 'NaN'\nset termoption noenhanced\n"
               "set yrange [%zu.6:-0.6]\nset grid xtics lc rgb '#dddddd'\nset xrange [0:1]\n"
               "set key outside bottom center horizontal\n",
            y ? y - 1 : 0);
    fprintf(f, "do for [t=1:3] {\n"
               "  if (t == 1) { set terminal pngcairo size 1100,%zu font 'Sans,10' noenhanced; set output 'audit-risks.png' }\n"
               "  if (t == 2) { set terminal pdfcairo size 6.5in,%.2fin font 'Sans,8' noenhanced; set output 'audit-risks.pdf' }\n"
               "  if (t == 3) { set terminal svg size 1100,%zu font 'Sans,10' noenhanced; set output 'audit-risks.svg' }\n"
               "  set multiplot layout 1,2 margins 0.25,0.98,0.25,0.9 spacing 0.04\n"
               "  set ytics (%s) nomirror\n"
               "  set xlabel 'risk = (r_real - r_control) / (1 - r_control)'\n"
               "  set title 'Risk beyond the control, with its interval'\n"
               "  plot 'audit-risks.dat' u 2:1:3:4 w xerrorbars pt 7 ps 1.2 lc rgb '#0072B2' t 'risk', \\\n"
               "       '' u ($11 > 0 ? $2 : NaN):1 w p pt 6 ps 2.4 lw 2 lc rgb '#D55E00' t 'flagged'\n"
               "  set ytics (%s) nomirror\n"
               "  set xlabel 'success rate of the attack'\n"
               "  set title 'Against the real and the control records'\n"
               "  plot 'audit-risks.dat' u 5:($1-0.15):6:7 w xerrorbars pt 5 lc rgb '#D55E00' t 'real', \\\n"
               "       '' u 8:($1+0.15):9:10 w xerrorbars pt 9 lc rgb '#009E73' t 'control'\n"
               "  unset multiplot\n"
               "}\n",
            180 + 60 * y, 1.6 + 0.45 * (double)y, 180 + 60 * y, labels, blanks);
    rc = close_file(f, path, err);
    if (rc)
        return rc;
    pa_err gerr = {0};
    if (report_gnuplot(dir, "audit-risks.gp", &gerr)) {
        if (warn)
            *warn = 1;
        if (err)
            *err = gerr;
    }
    return PA_OK;
}

/* ---- audit.md sections ---- */

static void md_verdict(FILE *f, const audit_row *a, const risk_row *rr, size_t n)
{
    fprintf(f, "\n## Verdict\n\n");
    int has_control = a->hold_rows > 0;
    size_t flagged = 0, chosen = 0;
    double level = NAN;
    for (size_t i = 0; i < n; i++)
        if (rr[i].chosen) {
            chosen++;
            flagged += (size_t)rr[i].flag;
            level = rr[i].level;
        }
    if (!has_control)
        fprintf(f, "**No excess can be measured.** No control records (`--holdout`: real records from the same "
                   "source that the generator never saw) were given. An attack's success against the real records "
                   "alone mixes two things: what the release reveals about those people, and what it reveals about "
                   "everyone like them — the population-level patterns a useful synthetic data set must keep. Only "
                   "the same attack against people who were not in the data separates the two. The success rates "
                   "below are given for reference; they are not risks.\n\n");
    else if (flagged)
        fprintf(f, "**The release is flagged: %zu of its %zu risks show a significant excess** of the attacks' "
                   "success against the real records over their success against the control records, people the "
                   "generator never saw. Those attacks learn about the individuals in the data, not only about the "
                   "population.\n\n",
                flagged, chosen);
    else
        fprintf(f, "**No risk is flagged.** No attack succeeds significantly more often against the real records "
                   "than against the control records, people the generator never saw: what the attacks learn holds "
                   "for the population, not specifically for the individuals in the data.\n\n");
    fprintf(f, "| risk | attack | against the real records | against the control records | naive attack | "
               "risk [interval] | verdict |\n|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const risk_row *r = &rr[i];
        if (!r->chosen)
            continue;
        char tr[64], ct[64], rk[64];
        interval(tr, sizeof tr, r->rate, r->lo, r->hi, 1);
        interval(ct, sizeof ct, r->crate, r->clo, r->chi, 1);
        interval(rk, sizeof rk, r->value, r->rlo, r->rhi, 0);
        fprintf(f, "| %s%s%s | %s | %s | %s | %s | %s | %s |\n", risk_title(r->risk), r->secret[0] ? ": " : "",
                r->secret, attack_words(r->attack), tr, ct, pc(r->brate), rk, verdict_word(r));
    }
    fprintf(f, "\nSuccess rates are Anonymeter's (Wilson centre with its error bound); risk = (r_real − r_control) / "
               "(1 − r_control), clipped to [0, 1]. Every interval is at level %.2f%%, so that a release that leaks "
               "nothing is flagged with probability at most %.1f%% (Bonferroni over the %lld attacks; a risk is "
               "flagged when its interval lies above %s). Table as CSV and LaTeX: `audit-risks.csv`, "
               "`audit-risks.tex`.\n",
            100 * level, 100 * (1 - level) * (double)(n ? rr[0].family : 1) / 2, n ? rr[0].family : 0LL,
            n && rr[0].threshold > 0 ? r3(rr[0].threshold) : "0");
    fprintf(f, "\n![risks](audit-risks.png)\n\n");
    /* plain words */
    for (size_t i = 0; i < n; i++) {
        const risk_row *r = &rr[i];
        if (!r->chosen)
            continue;
        const char *w = verdict_plain(r);
        if (!strcmp(r->risk, "singling_out"))
            fprintf(f, "- **Singling out: %s.** Predicates built from the synthetic data to isolate one record (%s) "
                       "isolate exactly one real record in %s of tries, in sets of the control's size, against %s on "
                       "the control records.%s\n",
                    w, attack_words(r->attack), pc(r->rate), pc(r->crate),
                    !strcmp(r->status, "weak") ? " Random predicates (the naive attack) do as well: the attack finds "
                                                 "little."
                                               : "");
        else if (!strcmp(r->risk, "linkability"))
            fprintf(f, "- **Linkability: %s.** Linking a person's columns %s to their columns %s through the "
                       "release (the same synthetic record nearest on both) succeeds for %s of the real records "
                       "and %s of the control records (two random synthetic records: %s).\n",
                    w, a->link_a, a->link_b, pc(r->rate), pc(r->crate), pc(r->brate));
        else if (!strcmp(r->risk, "inference"))
            fprintf(f, "- **Inference of %s: %s.** The strongest attack, the %s, guesses %s right for %s of the "
                       "real records and %s of the control records%s (the secret of a random synthetic record: "
                       "%s).\n",
                    r->secret, w, attack_words(r->attack), r->secret, pc(r->rate), pc(r->crate),
                    !r->flag && !isnan(r->crate) ? ": what it infers, it infers about anyone with the same "
                                                   "quasi-identifiers, in the data or not"
                                                 : "",
                    pc(r->brate));
        else
            fprintf(f, "- **Membership: %s.** A distance threshold chosen on half of the records (the closest "
                       "synthetic record within it means \"member\") claims %s of the other real records and %s of "
                       "the other control records as members.\n",
                    w, pc(r->rate), pc(r->crate));
        if (r->note[0])
            fprintf(f, "  (%s.)\n", r->note);
    }
}

static void md_all_attacks(FILE *f, const risk_row *rr, size_t n)
{
    fprintf(f, "\n## Every attack\n\nThe verdict reports, per risk (and secret column), the attack whose interval "
               "has the largest lower end (marked *).\n\n"
               "| risk | attack | secret | status | real: successes / attempts, rate [interval] | control | naive | "
               "risk [interval] | flag | seconds |\n|---|---|---|---|---|---|---|---|---|---:|\n");
    for (size_t i = 0; i < n; i++) {
        const risk_row *r = &rr[i];
        char tr[96], ct[96], rk[64];
        char t1[64], t2[64];
        interval(t1, sizeof t1, r->rate, r->lo, r->hi, 1);
        interval(t2, sizeof t2, r->crate, r->clo, r->chi, 1);
        snprintf(tr, sizeof tr, "%s / %s, %s", cnt(r->k), cnt(r->n), t1);
        if (isnan(r->crate))
            snprintf(ct, sizeof ct, "–");
        else
            snprintf(ct, sizeof ct, "%s / %s, %s", cnt(r->ck), cnt(r->cn), t2);
        interval(rk, sizeof rk, r->value, r->rlo, r->rhi, 0);
        fprintf(f, "| %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %.2f |\n", risk_title(r->risk), r->attack,
                r->chosen ? "*" : "", r->secret[0] ? r->secret : "–", r->status, tr, ct, pc(r->brate), rk,
                r->flag ? "yes" : "no", r->seconds);
    }
    for (size_t i = 0; i < n; i++)
        if (rr[i].note[0])
            fprintf(f, "\n- %s, %s: %s.", risk_title(rr[i].risk), rr[i].attack, rr[i].note);
    fprintf(f, "\n");
}

static void md_singling_out(FILE *f, sqlite3 *db, long long id)
{
    sqlite3_stmt *q;
    fprintf(f, "\n## Singling out\n\nA predicate singles out when exactly one record matches it (Anonymeter; "
               "duplicate records count once). The attacker builds predicates that match exactly one *synthetic* "
               "record — univariate: a numeric column's minimum or maximum, or a value seen once; multivariate: "
               "columns of a random synthetic record, a numeric one as ≥ or ≤ its value on the far side of the "
               "median — and claims each isolates one real person. Real and control sets are compared at equal "
               "size: the real records are cut into slices of the control's size, every predicate is counted on "
               "every slice, and a rate is successes / (predicates requested × slices).\n\n"
               "| mode | requested | found | tried | slice | slices (real / control) | successes: real / control / "
               "naive |\n|---|---:|---:|---:|---:|---|---|\n");
    if (sqlite3_prepare_v2(db,
                           "SELECT mode, requested, generated, attempts, slice, slices_training, slices_control,"
                           " hits_training, hits_control, hits_baseline FROM audit_singling_out WHERE audit_id = ?"
                           " ORDER BY mode DESC",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, id);
        while (sqlite3_step(q) == SQLITE_ROW)
            fprintf(f, "| %s | %s | %s | %s | %s | %s / %s | %s / %s / %s |\n", sqlite3_column_text(q, 0),
                    cnt(col_num(q, 1)), cnt(col_num(q, 2)), cnt(col_num(q, 3)), cnt(col_num(q, 4)),
                    cnt(col_num(q, 5)), cnt(col_num(q, 6)), cnt(col_num(q, 7)), cnt(col_num(q, 8)),
                    cnt(col_num(q, 9)));
        sqlite3_finalize(q);
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT mode, query, training_slices, control_slices FROM audit_query WHERE audit_id = ?"
                           " AND training_slices > 0 ORDER BY training_slices - coalesce(control_slices, 0) DESC,"
                           " mode, seq LIMIT 8",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, id);
        int any = 0;
        while (sqlite3_step(q) == SQLITE_ROW) {
            if (!any)
                fprintf(f, "\nPredicates that single out real records most often (all of them: table "
                           "`audit_query`):\n\n| mode | predicate | real slices | control slices |\n|---|---|---:|---:|\n");
            any = 1;
            char qt[2048];
            col_text(q, 1, qt, sizeof qt);
            for (char *p = qt; *p; p++)
                if (*p == '|')
                    *p = '/';
            fprintf(f, "| %s | `%s` | %s | %s |\n", sqlite3_column_text(q, 0), qt, cnt(col_num(q, 2)),
                    cnt(col_num(q, 3)));
        }
        sqlite3_finalize(q);
    }
}

static void md_link(FILE *f, sqlite3 *db, long long id, const audit_row *a)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT set_a, set_b, hits_training, hits_control, hits_baseline FROM audit_link"
                               " WHERE audit_id = ?", -1, &q, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(q, 1, id);
    if (sqlite3_step(q) == SQLITE_ROW) {
        fprintf(f, "\n## Linkability\n\nThe attacker holds two tables about the same people, one with the columns "
                   "**%s**, the other with **%s**, and tries to join them through the release: a person is linked "
                   "when some synthetic record is among their nearest on the first set and among their nearest on "
                   "the second (distance of attacks/mia.h restricted to the set; every tie counted). Linked: %s of "
                   "%s real records, %s of %s control records; naive attack (two random synthetic records): %s.\n",
                sqlite3_column_text(q, 0), sqlite3_column_text(q, 1), cnt(col_num(q, 2)), cnt((double)a->real_rows),
                cnt(col_num(q, 3)), cnt((double)a->hold_rows), cnt(col_num(q, 4)));
    }
    sqlite3_finalize(q);
}

static void md_inference(FILE *f, sqlite3 *db, long long id)
{
    fprintf(f, "\n## Inference\n\nEach attack guesses a record's secret from its quasi-identifiers and the "
               "synthetic data: the *nearest synthetic record* (the secret of the closest synthetic rows on the "
               "binned quasi-identifiers, majority among ties; Anonymeter's attack), a *classifier* (logistic "
               "regression trained on the synthetic rows), and *linear reconstruction* (Annamalai, Gadotti, Rocher, "
               "USENIX Security 2024: every counting query \"how many people have these quasi-identifier values and "
               "this secret\", answered on the synthetic data, solved for all records at once as a linear program). "
               "For the control, the first two score the control records; the reconstruction solves for the real "
               "records with some of them replaced by the control records and scores those. Below, per secret bit, "
               "the prediction \"bit = 1 when the score exceeds ½\", on both parts; Clopper–Pearson intervals. A "
               "classifier that names a few people as having the rarer value and is mostly right about them is "
               "what a custodian fears — and is no leak when it is as right about the control records. Table as "
               "CSV and LaTeX: `audit-inference.csv`, `audit-inference.tex`.\n");
    sqlite3_stmt *q, *b;
    if (sqlite3_prepare_v2(db,
                           "SELECT secret, code, value, method, part, status, error, n, ones, majority_bit, baseline,"
                           " correct, accuracy, lo, hi, minority_correct, says_minority, minority_lo, minority_hi,"
                           " confident, confident_correct, queries, columns, objective, seconds FROM audit_bit"
                           " WHERE audit_id = ? ORDER BY secret, code, CASE method WHEN 'nearest' THEN 0 WHEN"
                           " 'classifier' THEN 1 ELSE 2 END, part DESC",
                           -1, &q, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(q, 1, id);
    char last[600] = "";
    while (sqlite3_step(q) == SQLITE_ROW) {
        char sec[256], val[256], key[600], method[32], part[16], status[16], errs[1024];
        col_text(q, 0, sec, sizeof sec);
        col_text(q, 2, val, sizeof val);
        col_text(q, 3, method, sizeof method);
        col_text(q, 4, part, sizeof part);
        col_text(q, 5, status, sizeof status);
        col_text(q, 6, errs, sizeof errs);
        snprintf(key, sizeof key, "%s=%s", sec, val);
        double n = col_num(q, 7), ones = col_num(q, 8), base = col_num(q, 10);
        int maj = sqlite3_column_int(q, 9);
        if (strcmp(key, last)) {
            snprintf(last, sizeof last, "%s", key);
            fprintf(f, "\n### %s = %s\n\nAmong the real records %s have %s = %s; always guessing the more common "
                       "answer (%s %s) is right for %s of them.\n\n"
                       "| attack | part | records | right [interval] | says %s %s %s: records, right [interval] | "
                       "confident (score < 0.05 or > 0.95): records, right |\n|---|---|---:|---|---|---|\n",
                    sec, val, part[0] == 't' ? pct_of(ones, n) : "?", sec, val, maj ? "=" : "≠", val, pc(base), sec,
                    maj ? "≠" : "=", val);
        }
        if (strcmp(status, "ok")) {
            fprintf(f, "| %s | %s | %s | failed: %s | | |\n", attack_words(method), part, cnt(n), errs);
            continue;
        }
        char acc[64], mino[96];
        interval(acc, sizeof acc, col_num(q, 12), col_num(q, 13), col_num(q, 14), 1);
        double sm = col_num(q, 16), mc = col_num(q, 15);
        if (sm > 0)
            snprintf(mino, sizeof mino, "%s, %s [%.1f, %.1f]", cnt(sm), pct_of(mc, sm), 100 * col_num(q, 17),
                     100 * col_num(q, 18));
        else
            snprintf(mino, sizeof mino, "0, –");
        fprintf(f, "| %s | %s | %s | %s | %s | %s, %s |\n", attack_words(method), part, cnt(n), acc, mino,
                cnt(col_num(q, 19)), pct_of(col_num(q, 20), col_num(q, 19)));
        if (!strcmp(method, "lp") && !isnan(col_num(q, 21)))
            fprintf(f, "| | | | LP: %s queries, %s columns, residual ‖Ax − b‖₁ = %s, %.2f s | | |\n",
                    cnt(col_num(q, 21)), cnt(col_num(q, 22)), g4(col_num(q, 23)), col_num(q, 24));
    }
    sqlite3_finalize(q);
    /* the reconstruction's confidence bands */
    if (sqlite3_prepare_v2(db,
                           "SELECT secret, code, part, band, score_lo, score_hi, n, correct FROM audit_band WHERE"
                           " audit_id = ? AND method = 'lp' ORDER BY secret, code, part DESC, band",
                           -1, &b, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(b, 1, id);
        int any = 0;
        while (sqlite3_step(b) == SQLITE_ROW) {
            if (!any)
                fprintf(f, "\nLinear reconstruction by confidence (score = the LP's solution, the estimate that the "
                           "bit is 1):\n\n| secret | code | part | score | records | right |\n|---|---:|---|---|---:|---:|\n");
            any = 1;
            int band = sqlite3_column_int(b, 3);
            fprintf(f, "| %s | %d | %s | %s%.2f, %.2f%s | %s | %s |\n", sqlite3_column_text(b, 0),
                    sqlite3_column_int(b, 1), sqlite3_column_text(b, 2), band <= 2 ? "[" : "(", col_num(b, 4),
                    col_num(b, 5), band <= 1 ? ")" : "]", cnt(col_num(b, 6)), pct_of(col_num(b, 7), col_num(b, 6)));
        }
        sqlite3_finalize(b);
    }
}

static int write_inference_tables(sqlite3 *db, long long id, const char *dir, pa_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db,
                           "SELECT secret, value, method, part, n, correct, accuracy, lo, hi, says_minority,"
                           " minority_correct, minority_lo, minority_hi, baseline FROM audit_bit WHERE audit_id = ?"
                           " AND status = 'ok' ORDER BY secret, code, method, part DESC",
                           -1, &q, NULL) != SQLITE_OK)
        return pa_errf(err, PA_EINPUT, "not an audit database: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(q, 1, id);
    char path[4096], tpath[4096];
    FILE *f = open_in(dir, "audit-inference.csv", path, sizeof path, err);
    FILE *t = f ? open_in(dir, "audit-inference.tex", tpath, sizeof tpath, err) : NULL;
    if (!f || !t) {
        if (f)
            fclose(f);
        sqlite3_finalize(q);
        return PA_EIO;
    }
    fprintf(f, "secret,value,method,part,n,correct,accuracy,lo,hi,says_minority,minority_correct,minority_lo,"
               "minority_hi,baseline\n");
    fprintf(t, "%% privaudit release audit: accuracy of each attack on each secret bit, real (training) and control\n"
               "%% records; requires \\usepackage{booktabs}\n\\begin{tabular}{llllrrr}\n\\toprule\n"
               "Secret & Attack & Part & Accuracy (\\%%) & Interval & Says the rarer value & Right (\\%%) \\\\\n"
               "\\midrule\n");
    while (sqlite3_step(q) == SQLITE_ROW) {
        char s0[256], s1[256], s2[32], s3[16];
        col_text(q, 0, s0, sizeof s0);
        col_text(q, 1, s1, sizeof s1);
        col_text(q, 2, s2, sizeof s2);
        col_text(q, 3, s3, sizeof s3);
        csv_text(f, s0);
        fputc(',', f);
        csv_text(f, s1);
        fprintf(f, ",%s,%s", s2, s3);
        for (int k = 4; k < 14; k++) {
            fputc(',', f);
            csv_num(f, col_num(q, k));
        }
        fputc('\n', f);
        tex_text(t, s0);
        fputs(" = ", t);
        tex_text(t, s1);
        fprintf(t, " & %s & %s & %.1f & [%.1f, %.1f] & %.0f & ", s2, s3, 100 * col_num(q, 6), 100 * col_num(q, 7),
                100 * col_num(q, 8), col_num(q, 9));
        if (col_num(q, 9) > 0)
            fprintf(t, "%.1f \\\\\n", 100 * col_num(q, 10) / col_num(q, 9));
        else
            fprintf(t, "-- \\\\\n");
    }
    sqlite3_finalize(q);
    fprintf(t, "\\bottomrule\n\\end{tabular}\n");
    int rc = close_file(f, path, err);
    int rc2 = close_file(t, tpath, err);
    return rc ? rc : rc2;
}

static void md_dcr(FILE *f, sqlite3 *db, long long id)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db,
                           "SELECT real_rows, holdout_rows, auc, auc_null_sd, tpr_at_0_1, tpr_at_0_01, tpr_at_0_001,"
                           " beyond_holdout, exact_real, exact_holdout, median_real, median_holdout, threshold,"
                           " calibration_real, calibration_holdout, test_real, test_holdout, true_positives,"
                           " false_positives FROM audit_dcr WHERE audit_id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(q, 1, id);
    if (sqlite3_step(q) == SQLITE_ROW) {
        fprintf(f, "\n## Membership: distance to the closest synthetic record\n\nFor every real and every control "
                   "record, the distance to its closest synthetic record (Hamming on categorical columns, "
                   "range-normalised L1 on numeric ones). If the release did not depend on who was in the real data, "
                   "the two would look alike.\n\n| measure | value |\n|---|---:|\n");
        if (sqlite3_column_type(q, 2) != SQLITE_NULL) {
            fprintf(f, "| AUC, real vs control (score = minus the distance) | %.4f (± %.4f by chance: one sd) |\n"
                       "| TPR at FPR 10%% / 1%% / 0.1%% | %.4f / %.4f / %.4f |\n"
                       "| real records closer than every control record | %s |\n",
                    col_num(q, 2), col_num(q, 3), col_num(q, 4), col_num(q, 5), col_num(q, 6), pc(col_num(q, 7)));
            fprintf(f, "| threshold (member when the distance is at most), chosen on %s real and %s control "
                       "records | %s |\n| claimed as members on the other %s real / %s control records | %s / %s |\n",
                    cnt(col_num(q, 13)), cnt(col_num(q, 14)), g4(col_num(q, 12)), cnt(col_num(q, 15)),
                    cnt(col_num(q, 16)), cnt(col_num(q, 17)), cnt(col_num(q, 18)));
        }
        fprintf(f, "| at distance 0 (a verbatim copy in the release): real / control | %s / %s |\n"
                   "| median distance: real / control | %s / %s |\n",
                pc(col_num(q, 8)), pc(col_num(q, 9)), g4(col_num(q, 10)), g4(col_num(q, 11)));
    }
    sqlite3_finalize(q);
}

static double metric_of(sqlite3 *db, const char *sql, const char *attack, const char *name)
{
    sqlite3_stmt *q;
    double v = NAN;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return NAN;
    sqlite3_bind_text(q, 1, attack, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
        v = col_num(q, 0);
    sqlite3_finalize(q);
    return v;
}

static void md_shadow(FILE *f, sqlite3 *db, const audit_row *a)
{
    if (!a->gen_cmd[0])
        return;
    fprintf(f, "\n## Shadow-generator membership game\n\n");
    if (a->shadow_error[0] || !a->shadow_config[0]) {
        fprintf(f, "Not played: %s\n", a->shadow_error[0] ? a->shadow_error : "no result stored");
        return;
    }
    long long trials = 0, failed = 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT count(*), sum(status != 'ok') FROM trial", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW) {
            trials = sqlite3_column_int64(q, 0);
            failed = sqlite3_column_int64(q, 1);
        }
        sqlite3_finalize(q);
    }
    fprintf(f, "The generator command `%s` was run as a black box (config `%s`, %s trials, %s failed). Attacks: `dcr` "
               "and `dcr-cal` (calibrated by the distance to the attacker's auxiliary data); the threshold is chosen "
               "on half of the games and counted on the other half (docs/metrics.md). `privaudit report` on this "
               "database draws the game's figures.\n\n"
               "| attack | AUC | TPR at FPR 10%% | epsilon, Bayesian interval | Clopper–Pearson lower bound | "
               "P(epsilon > claimed) | violation |\n|---|---:|---:|---|---:|---:|---|\n",
            a->gen_cmd, a->shadow_config, cnt((double)trials), cnt((double)failed));
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT attack FROM metric WHERE target_id IS NULL ORDER BY attack", -1, &q,
                           NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(q) == SQLITE_ROW) {
        char at[128];
        col_text(q, 0, at, sizeof at);
        const char *met = "SELECT value FROM metric WHERE target_id IS NULL AND attack = ?1 AND name = ?2";
        const char *lo = "SELECT lo FROM estimate WHERE target_id IS NULL AND attack = ?1 AND method = ?2";
        const char *hi = "SELECT hi FROM estimate WHERE target_id IS NULL AND attack = ?1 AND method = ?2";
        const char *pe = "SELECT p_exceeds FROM estimate WHERE target_id IS NULL AND attack = ?1 AND method = ?2";
        const char *vi = "SELECT violation FROM estimate WHERE target_id IS NULL AND attack = ?1 AND method = ?2";
        fprintf(f, "| %s | %s | %s | [%s, %s] | %s | %s | %s |\n", at, g4(metric_of(db, met, at, "auc")),
                g4(metric_of(db, met, at, "tpr@0.1")), g4(metric_of(db, lo, at, "bayes")),
                g4(metric_of(db, hi, at, "bayes")), g4(metric_of(db, lo, at, "clopper_pearson")),
                g4(metric_of(db, pe, at, "bayes")), metric_of(db, vi, at, "bayes") == 1 ? "**yes**" : "no");
    }
    sqlite3_finalize(q);
}

int report_audit_write(sqlite3 *db, const char *db_path, long long id, const char *out_dir, int figures, int *warn,
                       pa_err *err)
{
    if (warn)
        *warn = 0;
    audit_row a;
    int rc = load_audit(db, id, &a, err);
    risk_row *rr = NULL;
    size_t n = 0;
    if (!rc)
        rc = load_risks(db, a.id, &rr, &n, err);
    if (rc)
        return rc;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        free(rr);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    fprintf(f, "# Release audit of `%s`\n\n", a.synth);
    fprintf(f, "privaudit %s, %s. Real data (the records the generator was fitted on): `%s` (%s records). Synthetic "
               "data: `%s` (%s records). ",
            a.version, a.created, a.real, cnt((double)a.real_rows), a.synth, cnt((double)a.synth_rows));
    if (a.hold_rows)
        fprintf(f, "Control records (never seen by the generator): `%s` (%s records). ", a.hold, cnt((double)a.hold_rows));
    else
        fprintf(f, "Control records: none. ");
    fprintf(f, "Schema: `%s`. Database: `%s`, audit id %lld (docs/audit.md); options `%s`; %.1f s.\n\n", a.schema,
            db_path, a.id, a.options, a.seconds);
    fprintf(f, "The attacker holds the synthetic data and knows, for the people they target, the quasi-identifiers "
               "**%s**; the secret%s **%s**. Every attack is run against the real records and, the same way, "
               "against control records: the risk is what it gains on the first beyond the second (Anonymeter, "
               "Giomi et al., PoPETs 2023; the three risks of the Article 29 Working Party's opinion 05/2014 on "
               "anonymisation, and membership).\n",
            a.qi, strchr(a.secrets, ',') ? "s are" : " is", a.secrets);
    md_verdict(f, &a, rr, n);
    fprintf(f, "\n## How to read the verdict\n\n"
               "- *Against the real records*: how often the attack succeeds on the people whose data made the "
               "release. *Against the control records*: how often the same attack succeeds on people from the same "
               "source who were not in it — what the release says about anyone. *Naive attack*: a guess that "
               "ignores the release; an attack that does not beat it finds nothing, whatever its risk.\n"
               "- *Risk*: the share of what the attacker could still gain over the control that they do gain "
               "(0 = nothing beyond the population, 1 = everything). *Flagged*: the whole interval lies above 0; a "
               "small flagged risk is a real but small leak — read its size.\n"
               "- A release that is useful must reveal population-level facts (that part-time workers earn less); "
               "that raises the success against real and control records alike and is not flagged.\n");
    md_all_attacks(f, rr, n);
    md_singling_out(f, db, a.id);
    md_link(f, db, a.id, &a);
    md_inference(f, db, a.id);
    md_dcr(f, db, a.id);
    md_shadow(f, db, &a);
    fclose(f);
    char path[4096];
    snprintf(path, sizeof path, "%s/audit.md", out_dir);
    rc = util_write_file_atomic(path, buf, len, err);
    free(buf);
    if (!rc)
        rc = write_risk_tables(out_dir, rr, n, err);
    if (!rc)
        rc = write_inference_tables(db, a.id, out_dir, err);
    if (!rc && figures)
        rc = write_figure(out_dir, rr, n, warn, err);
    free(rr);
    return rc;
}

static cJSON *num_or_null(double v)
{
    return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

static cJSON *risk_json(const risk_row *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "attack", r->attack);
    if (r->secret[0])
        cJSON_AddStringToObject(o, "secret", r->secret);
    cJSON_AddStringToObject(o, "status", r->status);
    const char *names[] = {"rate", "rate_lo", "rate_hi", "control_rate", "control_lo", "control_hi", "baseline_rate",
                           "risk", "lo", "hi"};
    double v[] = {r->rate, r->lo, r->hi, r->crate, r->clo, r->chi, r->brate, r->value, r->rlo, r->rhi};
    for (int t = 0; t < 10; t++)
        cJSON_AddItemToObject(o, names[t], num_or_null(v[t]));
    cJSON_AddBoolToObject(o, "flag", r->flag);
    cJSON_AddItemToObject(o, "level", num_or_null(r->level));
    cJSON_AddItemToObject(o, "attempts", num_or_null(r->n));
    cJSON_AddItemToObject(o, "successes", num_or_null(r->k));
    cJSON_AddItemToObject(o, "control_attempts", num_or_null(r->cn));
    cJSON_AddItemToObject(o, "control_successes", num_or_null(r->ck));
    if (r->note[0])
        cJSON_AddStringToObject(o, "note", r->note);
    return o;
}

int report_audit_json(sqlite3 *db, long long id, FILE *f, pa_err *err)
{
    audit_row a;
    int rc = load_audit(db, id, &a, err);
    risk_row *rr = NULL;
    size_t n = 0;
    if (!rc)
        rc = load_risks(db, a.id, &rr, &n, err);
    if (rc)
        return rc;
    cJSON *root = cJSON_CreateObject(), *risks = cJSON_CreateObject(), *inf = cJSON_CreateArray();
    cJSON_AddNumberToObject(root, "audit_id", (double)a.id);
    cJSON_AddBoolToObject(root, "flagged", a.flagged);
    cJSON_AddBoolToObject(root, "excess_measured", a.hold_rows > 0);
    static const char *const order[] = {"singling_out", "linkability", "inference", "membership"};
    for (int o = 0; o < 4; o++) {
        if (!strcmp(order[o], "inference"))
            cJSON_AddItemToObject(risks, "inference", inf);
        for (size_t i = 0; i < n; i++) {
            if (!rr[i].chosen || strcmp(rr[i].risk, order[o]))
                continue;
            if (!strcmp(rr[i].risk, "inference"))
                cJSON_AddItemToArray(inf, risk_json(&rr[i]));
            else
                cJSON_AddItemToObject(risks, rr[i].risk, risk_json(&rr[i]));
        }
    }
    cJSON_AddItemToObject(root, "risks", risks);
    char *txt = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    free(rr);
    if (!txt)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    fprintf(f, "%s\n", txt);
    free(txt);
    return PA_OK;
}
