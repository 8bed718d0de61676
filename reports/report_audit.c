/* report_audit.c — the release audit's section of report.md, its tables
 * (CSV, LaTeX) and figure (reports/plot.h), and the JSON verdict, from the
 * audit tables alone (docs/audit.md); contract in report_audit.h and
 * report_kind.h. Timings go to the timings list only, so that the section of
 * two audits run with different --jobs is the same. */
#define _GNU_SOURCE /* open_memstream */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "reports/report_audit.h"
#include "reports/report_kind.h"

/* ---- reading ---- */

typedef struct audit_row {
    long long id;
    char created[40], version[64], real[1024], synth[1024], hold[1024], schema[1024], real_hash[32], synth_hash[32],
        hold_hash[32];
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
                           " generator_cmd, shadow_config, shadow_error, flagged, seconds, real_hash, synth_hash,"
                           " holdout_hash FROM audit WHERE id = ?",
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
        col_text(q, 20, a->real_hash, sizeof a->real_hash);
        col_text(q, 21, a->synth_hash, sizeof a->synth_hash);
        col_text(q, 22, a->hold_hash, sizeof a->hold_hash);
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


/* ---- tables through the plot layer ---- */

static int emit(report_ctx *c, plot_table *t, FILE *dst, pa_err *err)
{
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    char *tb = NULL;
    size_t tl = 0;
    FILE *tf = open_memstream(&tb, &tl);
    if (!tf) {
        plot_table_free(t);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    int rc = plot_table_write(c->po, t, tf, err);
    fclose(tf);
    if (!rc)
        fwrite(tb, 1, tl, dst);
    free(tb);
    return rc;
}

static const char *risk_label(const risk_row *r, char *buf, size_t cap)
{
    if (r->secret[0])
        snprintf(buf, cap, "%s: %s", risk_title(r->risk), r->secret);
    else
        snprintf(buf, cap, "%s", risk_title(r->risk));
    return buf;
}

/* the verdict table: one row per chosen attack */
static int table_verdict(report_ctx *c, const risk_row *rr, size_t n, FILE *dst, pa_err *err)
{
    static const plot_col cols[] = {
        {"risk", "risk", PLOT_TEXT, NULL},
        {"attack", "attack", PLOT_TEXT, NULL},
        {"real_rate", "real records", PLOT_NUM, "%.3f"},
        {"real", "interval", PLOT_INTERVAL, "%.3f"},
        {"control_rate", "control records", PLOT_NUM, "%.3f"},
        {"control", "interval", PLOT_INTERVAL, "%.3f"},
        {"naive_rate", "naive attack", PLOT_NUM, "%.3f"},
        {"risk_value", "risk", PLOT_NUM, "%.3g"},
        {"risk", "interval", PLOT_INTERVAL, "%.3g"},
        {"verdict", "verdict", PLOT_TEXT, NULL},
    };
    plot_table *t = plot_table_new("audit-risks", "Release audit: each risk's attack success against the real and "
                                   "the control records, and the risk beyond the control (Anonymeter's estimator)",
                                   cols, sizeof cols / sizeof cols[0]);
    for (size_t i = 0; t && i < n; i++) {
        const risk_row *r = &rr[i];
        if (!r->chosen)
            continue;
        char lab[320];
        plot_table_text(t, risk_label(r, lab, sizeof lab));
        plot_table_text(t, attack_words(r->attack));
        plot_table_num(t, r->rate);
        plot_table_interval(t, r->lo, r->hi);
        plot_table_num(t, r->crate);
        plot_table_interval(t, r->clo, r->chi);
        plot_table_num(t, r->brate);
        plot_table_num(t, r->value);
        plot_table_interval(t, r->rlo, r->rhi);
        plot_table_text(t, verdict_word(r));
        plot_table_end_row(t);
    }
    return emit(c, t, dst, err);
}

static int table_attacks(report_ctx *c, const risk_row *rr, size_t n, FILE *dst, pa_err *err)
{
    static const plot_col cols[] = {
        {"risk", "risk", PLOT_TEXT, NULL},
        {"attack", "attack", PLOT_TEXT, NULL},
        {"status", "status", PLOT_TEXT, NULL},
        {"chosen", "chosen", PLOT_TEXT, NULL},
        {"successes", "successes", PLOT_NUM, "%.0f"},
        {"attempts", "attempts", PLOT_NUM, "%.0f"},
        {"rate", "rate", PLOT_NUM, "%.4f"},
        {"rate", "interval", PLOT_INTERVAL, "%.4f"},
        {"control_successes", "control successes", PLOT_NUM, "%.0f"},
        {"control_attempts", "control attempts", PLOT_NUM, "%.0f"},
        {"control_rate", "control rate", PLOT_NUM, "%.4f"},
        {"control", "interval", PLOT_INTERVAL, "%.4f"},
        {"naive_rate", "naive rate", PLOT_NUM, "%.4f"},
        {"risk_value", "risk", PLOT_NUM, "%.4f"},
        {"risk", "interval", PLOT_INTERVAL, "%.4f"},
        {"flag", "flag", PLOT_TEXT, NULL},
    };
    plot_table *t = plot_table_new("audit-attacks", "Release audit: every attack, its counts, rates and risk",
                                   cols, sizeof cols / sizeof cols[0]);
    for (size_t i = 0; t && i < n; i++) {
        const risk_row *r = &rr[i];
        char lab[320];
        plot_table_text(t, risk_label(r, lab, sizeof lab));
        plot_table_text(t, r->attack);
        plot_table_text(t, r->status);
        plot_table_text(t, r->chosen ? "yes" : "");
        double v[] = {r->k, r->n};
        plot_table_num(t, v[0]);
        plot_table_num(t, v[1]);
        plot_table_num(t, r->rate);
        plot_table_interval(t, r->lo, r->hi);
        plot_table_num(t, r->ck);
        plot_table_num(t, r->cn);
        plot_table_num(t, r->crate);
        plot_table_interval(t, r->clo, r->chi);
        plot_table_num(t, r->brate);
        plot_table_num(t, r->value);
        plot_table_interval(t, r->rlo, r->rhi);
        plot_table_text(t, r->flag ? "yes" : "no");
        plot_table_end_row(t);
    }
    return emit(c, t, dst, err);
}

/* ---- the figure ---- */

static int figure(report_ctx *c, const risk_row *rr, size_t n, pa_err *err)
{
    char s0[96], s1[96], s2[96], k0[160], k1[160], k2[160], k3[160];
    plot_series(c->po, 0, s0, sizeof s0);
    plot_series(c->po, 1, s1, sizeof s1);
    plot_series(c->po, 2, s2, sizeof s2);
    /* the legend strip draws functions: points styles only */
    snprintf(k0, sizeof k0, "points %s", s0);
    snprintf(k1, sizeof k1, "points pt 6 ps 2.2 lw 1.5 lc rgb '#000000'");
    snprintf(k2, sizeof k2, "points %s", s1);
    snprintf(k3, sizeof k3, "points %s", s2);
    plot_key key[] = {{"risk", k0}, {"flagged", k1}, {"real records", k2}, {"control records", k3}};
    size_t y = 0;
    for (size_t i = 0; i < n; i++)
        y += (size_t)rr[i].chosen;
    plot_layout L = {.panels = 2, .cols = 2, .aspect = 0.2 + 0.13 * (double)y, .wide = 1, .left_em = 17,
                     .key = key, .nkey = 4};
    plot_fig *f;
    int rc = plot_fig_begin(c->po, "audit-risks", "release audit: each risk with its interval, and the success "
                            "rates against the real and the control records", &L, &f, err);
    if (rc)
        return rc;
    plot_dat_comment(f, "y risk risk_lo risk_hi flag rate rate_lo rate_hi control_rate control_lo control_hi");
    char tics[4096] = "", blank[1024] = "";
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const risk_row *r = &rr[i];
        if (!r->chosen)
            continue;
        plot_dat_row(f, 11, (double[]){(double)k, r->value, r->rlo, r->rhi, (double)r->flag, r->rate, r->lo, r->hi,
                                       r->crate, r->clo, r->chi});
        char lab[400], q[480];
        snprintf(lab, sizeof lab, "%s (%s)", risk_label(r, q, sizeof q), r->attack);
        for (char *ch = lab; *ch; ch++)
            if (*ch == '_')
                *ch = ' ';
        size_t l = strlen(tics), lb = strlen(blank);
        snprintf(tics + l, sizeof tics - l, "%s%s %zu", l ? ", " : "", plot_quote(lab, q, sizeof q), k);
        snprintf(blank + lb, sizeof blank - lb, "%s'' %zu", lb ? ", " : "", k);
        k++;
    }
    size_t b = plot_dat_end_block(f);
    plot_panel(f, 0, "risk beyond the control", "risk = (r_real − r_control) / (1 − r_control)", NULL);
    plot_gp(f, "set xrange [0:1]\nset xtics 0.2\nset yrange [%zu.6:-0.6]\nset ytics (%s)", k ? k - 1 : 0, tics);
    plot_term(f, "DAT index %zu using 2:1:3:4 with xerrorbars %s notitle", b, s0);
    plot_term(f, "DAT index %zu using ($5 > 0 ? $2 : NaN):1 with points pt 6 ps 2.2 lw 1.5 lc rgb '#000000' notitle",
              b);
    plot_plot_end(f);
    plot_panel(f, 1, "success of the attacks", "success rate", NULL);
    plot_gp(f, "set xrange [0:1]\nset xtics 0.2\nset yrange [%zu.6:-0.6]\nset ytics (%s)", k ? k - 1 : 0, blank);
    plot_term(f, "DAT index %zu using 6:($1-0.15):7:8 with xerrorbars %s notitle", b, s1);
    plot_term(f, "DAT index %zu using 9:($1+0.15):10:11 with xerrorbars %s notitle", b, s2);
    plot_plot_end(f);
    return plot_fig_end(f, err);
}

/* ---- sections ---- */

static void md_lead(FILE *f, const audit_row *a)
{
    fprintf(f, "Release audit (id %lld) of the synthetic data `%s` (%s records), made from the real data `%s` (%s "
               "records); control records, never seen by the generator: ",
            a->id, a->synth, cnt((double)a->synth_rows), a->real, cnt((double)a->real_rows));
    if (a->hold_rows)
        fprintf(f, "`%s` (%s records).", a->hold, cnt((double)a->hold_rows));
    else
        fprintf(f, "none.");
    fprintf(f, " The attacker holds the synthetic data and knows, for the people they target, the quasi-identifiers "
               "**%s**; the secret%s **%s**. Every attack runs against the real records and, the same way, against "
               "the control records: the risk is what it gains on the first beyond the second (Anonymeter, Giomi "
               "et al., PoPETs 2023; the three risks of the Article 29 Working Party's opinion 05/2014 on "
               "anonymisation, and membership).\n\n",
            a->qi, strchr(a->secrets, ',') ? "s are" : " is", a->secrets);
}

static void md_verdict_text(FILE *f, const audit_row *a, const risk_row *rr, size_t n)
{
    size_t flagged = 0, chosen = 0;
    for (size_t i = 0; i < n; i++)
        if (rr[i].chosen) {
            chosen++;
            flagged += (size_t)rr[i].flag;
        }
    if (!a->hold_rows)
        fprintf(f, "**No excess can be measured.** No control records (`--holdout`: real records from the same "
                   "source that the generator never saw) were given. An attack's success against the real records "
                   "alone mixes two things: what the release reveals about those people, and what it reveals about "
                   "everyone like them — the population-level patterns a useful synthetic data set must keep. Only "
                   "the same attack against people who were not in the data separates the two. The success rates "
                   "below are given for reference; they are not risks.\n\n");
    else if (flagged)
        fprintf(f, "**The release is flagged: %zu of its %zu risks show a significant excess** of the attacks' "
                   "success against the real records over their success against the control records. Those attacks "
                   "learn about the individuals in the data, not only about the population.\n\n",
                flagged, chosen);
    else
        fprintf(f, "**No risk is flagged.** No attack succeeds significantly more often against the real records "
                   "than against the control records: what the attacks learn holds for the population, not "
                   "specifically for the individuals in the data.\n\n");
}

static void md_bullets(FILE *f, const audit_row *a, const risk_row *rr, size_t n)
{
    double level = NAN;
    long long fam = 0;
    for (size_t i = 0; i < n; i++)
        if (rr[i].chosen) {
            level = rr[i].level;
            fam = rr[i].family;
        }
    fprintf(f, "Success rates are Anonymeter's (Wilson centre with its error bound); risk = (r_real − r_control) / "
               "(1 − r_control), clipped to [0, 1]. Every interval is at level %.2f%%, so that a release that leaks "
               "nothing is flagged with probability at most %.1f%% (Bonferroni over the %lld attacks; a risk is "
               "flagged when its whole interval lies above %s).\n\n",
            100 * level, 100 * (1 - level) * (double)fam / 2, fam, n && rr[0].threshold > 0 ? r3(rr[0].threshold) : "0");
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
            fprintf(f, "- **Linkability: %s.** Joining a person's columns %s to their columns %s through the "
                       "release (a synthetic record nearest on both) succeeds for %s of the real records and %s of "
                       "the control records (two random synthetic records: %s).\n",
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
    fprintf(f, "\n");
}

static int md_singling_out(report_ctx *c, FILE *f, long long id, pa_err *err)
{
    sqlite3_stmt *q;
    fprintf(f, "### Singling out\n\nA predicate singles out when exactly one record matches it (Anonymeter; "
               "duplicate records count once). The attacker builds predicates that match exactly one *synthetic* "
               "record — univariate: a numeric column's minimum or maximum, or a value seen once; multivariate: "
               "columns of a random synthetic record, a numeric one as ≥ or ≤ its value on the far side of the "
               "median — and claims each isolates one real person. Real and control sets are compared at equal "
               "size: the real records are cut into slices of the control's size, every predicate is counted on "
               "every slice, and a rate is successes / (predicates requested × slices).\n\n");
    static const plot_col cols[] = {
        {"mode", "mode", PLOT_TEXT, NULL},
        {"requested", "requested", PLOT_NUM, "%.0f"},
        {"found", "found", PLOT_NUM, "%.0f"},
        {"tried", "tried", PLOT_NUM, "%.0f"},
        {"slice", "slice", PLOT_NUM, "%.0f"},
        {"slices_real", "real slices", PLOT_NUM, "%.0f"},
        {"slices_control", "control slices", PLOT_NUM, "%.0f"},
        {"hits_real", "successes: real", PLOT_NUM, "%.0f"},
        {"hits_control", "control", PLOT_NUM, "%.0f"},
        {"hits_naive", "naive", PLOT_NUM, "%.0f"},
    };
    int rc = rk_prepare(c, "SELECT mode, requested, generated, attempts, slice, slices_training, slices_control,"
                           " hits_training, hits_control, hits_baseline FROM audit_singling_out WHERE audit_id = ?1"
                           " ORDER BY mode DESC", &q, err);
    if (rc)
        return rc;
    plot_table *t = plot_table_new("audit-singling-out", "Release audit: singling-out predicates and their successes",
                                   cols, sizeof cols / sizeof cols[0]);
    sqlite3_bind_int64(q, 1, id);
    while (t && sqlite3_step(q) == SQLITE_ROW) {
        plot_table_text(t, rk_text(q, 0));
        for (int k = 1; k < 10; k++)
            plot_table_num(t, rk_real(q, k));
        plot_table_end_row(t);
    }
    sqlite3_finalize(q);
    if ((rc = emit(c, t, f, err)))
        return rc;
    static const plot_col pcols[] = {
        {"mode", "mode", PLOT_TEXT, NULL},
        {"predicate", "predicate", PLOT_TEXT, NULL},
        {"real_slices", "real slices it singles out in", PLOT_NUM, "%.0f"},
        {"control_slices", "control slices", PLOT_NUM, "%.0f"},
    };
    if ((rc = rk_prepare(c, "SELECT mode, query, training_slices, control_slices FROM audit_query WHERE"
                            " audit_id = ?1 AND training_slices > 0 ORDER BY training_slices - coalesce(control_slices,"
                            " 0) DESC, mode, seq LIMIT 8", &q, err)))
        return rc;
    sqlite3_bind_int64(q, 1, id);
    t = plot_table_new("audit-predicates", "Release audit: the predicates that single out real records most often",
                       pcols, 4);
    size_t rows = 0;
    while (t && sqlite3_step(q) == SQLITE_ROW) {
        char qt[2048];
        snprintf(qt, sizeof qt, "%s", rk_text(q, 1));
        for (char *p = qt; *p; p++)
            if (*p == '|')
                *p = '/';
        plot_table_text(t, rk_text(q, 0));
        plot_table_text(t, qt);
        plot_table_num(t, rk_real(q, 2));
        plot_table_num(t, rk_real(q, 3));
        plot_table_end_row(t);
        rows++;
    }
    sqlite3_finalize(q);
    if (!rows) {
        plot_table_free(t);
        return PA_OK;
    }
    fprintf(f, "\nThe predicates that single out real records most often (all of them: table `audit_query`):\n\n");
    return emit(c, t, f, err);
}

static int md_link(report_ctx *c, FILE *f, long long id, const audit_row *a, pa_err *err)
{
    sqlite3_stmt *q;
    int rc = rk_prepare(c, "SELECT set_a, set_b, hits_training, hits_control, hits_baseline FROM audit_link"
                           " WHERE audit_id = ?1", &q, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(q, 1, id);
    if (sqlite3_step(q) == SQLITE_ROW)
        fprintf(f, "\n### Linkability\n\nThe attacker holds two tables about the same people, one with the columns "
                   "**%s**, the other with **%s**, and joins them through the release: a person is linked when some "
                   "synthetic record is among their nearest on the first set and among their nearest on the second "
                   "(the distance of the distance attacks restricted to the set; every tie counted). Linked: %s of "
                   "%s real records, %s of %s control records; the naive attack (two random synthetic records): "
                   "%s.\n",
                rk_text(q, 0), rk_text(q, 1), cnt(rk_real(q, 2)), cnt((double)a->real_rows), cnt(rk_real(q, 3)),
                cnt((double)a->hold_rows), cnt(rk_real(q, 4)));
    sqlite3_finalize(q);
    return PA_OK;
}

static int md_inference(report_ctx *c, FILE *f, long long id, pa_err *err)
{
    fprintf(f, "\n### Inference\n\nEach attack guesses a record's secret from its quasi-identifiers and the "
               "synthetic data: the *nearest synthetic record* (the secret of the closest synthetic rows on the "
               "binned quasi-identifiers, majority among ties; Anonymeter's attack), a *classifier* (logistic "
               "regression trained on the synthetic rows), and *linear reconstruction* (Annamalai, Gadotti, Rocher, "
               "USENIX Security 2024: every counting query \"how many people have these quasi-identifier values and "
               "this secret\", answered on the synthetic data, solved for all records at once as a linear program). "
               "For the control, the first two score the control records; the reconstruction solves for the real "
               "records with some of them replaced by the control records and scores those. Per secret bit, the "
               "prediction \"bit = 1 when the score exceeds ½\" on both parts, with Clopper–Pearson intervals (level "
               "95%%): an attack that names a few people as having the rarer value and is mostly right about them is "
               "what a custodian fears — and is no leak when it is as right about the control records.\n\n");
    static const plot_col cols[] = {
        {"bit", "secret bit", PLOT_TEXT, NULL},
        {"attack", "attack", PLOT_TEXT, NULL},
        {"part", "part", PLOT_TEXT, NULL},
        {"records", "records", PLOT_NUM, "%.0f"},
        {"ones", "with bit 1", PLOT_NUM, "%.0f"},
        {"accuracy", "right", PLOT_NUM, "%.4f"},
        {"accuracy", "interval", PLOT_INTERVAL, "%.4f"},
        {"says_rarer", "given the rarer bit", PLOT_NUM, "%.0f"},
        {"precision", "of them right", PLOT_NUM, "%.3f"},
        {"precision", "interval", PLOT_INTERVAL, "%.3f"},
        {"confident", "confident", PLOT_NUM, "%.0f"},
        {"confident_right", "of them right", PLOT_NUM, "%.4f"},
        {"lp_queries", "LP queries", PLOT_NUM, "%.0f"},
        {"lp_columns", "LP columns", PLOT_NUM, "%.0f"},
        {"lp_residual", "LP residual", PLOT_NUM, "%.4g"},
    };
    sqlite3_stmt *q;
    int rc = rk_prepare(c, "SELECT secret, value, method, part, status, error, n, ones, correct, accuracy, lo, hi,"
                           " says_minority, minority_correct, minority_lo, minority_hi, confident, confident_correct,"
                           " queries, columns, objective, baseline, majority_bit FROM audit_bit WHERE audit_id = ?1"
                           " ORDER BY secret, code, CASE method WHEN 'nearest' THEN 0 WHEN 'classifier' THEN 1 ELSE 2"
                           " END, part DESC", &q, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(q, 1, id);
    plot_table *t = plot_table_new("audit-inference", "Release audit: each inference attack on each secret bit, "
                                   "against the real and the control records", cols, sizeof cols / sizeof cols[0]);
    char failed[2048] = "";
    while (t && sqlite3_step(q) == SQLITE_ROW) {
        char bit[600];
        snprintf(bit, sizeof bit, "%s = %s", rk_text(q, 0), rk_text(q, 1));
        if (strcmp(rk_text(q, 4), "ok")) {
            size_t l = strlen(failed);
            snprintf(failed + l, sizeof failed - l, "- %s, %s (%s): failed: %s\n", bit, rk_text(q, 2), rk_text(q, 3),
                     rk_text(q, 5));
        }
        plot_table_text(t, bit);
        plot_table_text(t, attack_words(rk_text(q, 2)));
        plot_table_text(t, rk_text(q, 3));
        plot_table_num(t, rk_real(q, 6));
        plot_table_num(t, rk_real(q, 7));
        plot_table_num(t, rk_real(q, 9));
        plot_table_interval(t, rk_real(q, 10), rk_real(q, 11));
        double sm = rk_real(q, 12);
        plot_table_num(t, sm);
        plot_table_num(t, sm > 0 ? rk_real(q, 13) / sm : NAN);
        plot_table_interval(t, sm > 0 ? rk_real(q, 14) : NAN, sm > 0 ? rk_real(q, 15) : NAN);
        double cf = rk_real(q, 16);
        plot_table_num(t, cf);
        plot_table_num(t, cf > 0 ? rk_real(q, 17) / cf : NAN);
        plot_table_num(t, rk_real(q, 18));
        plot_table_num(t, rk_real(q, 19));
        plot_table_num(t, rk_real(q, 20));
        plot_table_end_row(t);
    }
    sqlite3_finalize(q);
    if ((rc = emit(c, t, f, err)))
        return rc;
    if (failed[0])
        fprintf(f, "\n%s", failed);
    fprintf(f, "\n*Confident*: score below 0.05 or above 0.95. *Given the rarer bit*: records the attack says have "
               "the bit that is less common among the real records. The linear reconstruction's scores by band "
               "(table `audit_band`):\n\n");
    static const plot_col bcols[] = {
        {"bit", "secret bit", PLOT_TEXT, NULL},
        {"part", "part", PLOT_TEXT, NULL},
        {"score", "score", PLOT_TEXT, NULL},
        {"records", "records", PLOT_NUM, "%.0f"},
        {"right", "right", PLOT_NUM, "%.4f"},
    };
    if ((rc = rk_prepare(c, "SELECT secret, code, part, band, score_lo, score_hi, n, correct FROM audit_band WHERE"
                            " audit_id = ?1 AND method = 'lp' ORDER BY secret, code, part DESC, band", &q, err)))
        return rc;
    sqlite3_bind_int64(q, 1, id);
    t = plot_table_new("audit-bands", "Release audit: the linear reconstruction's scores by band", bcols, 5);
    while (t && sqlite3_step(q) == SQLITE_ROW) {
        char bit[320], sc[64];
        int band = sqlite3_column_int(q, 3);
        snprintf(bit, sizeof bit, "%s, code %d", rk_text(q, 0), sqlite3_column_int(q, 1));
        snprintf(sc, sizeof sc, "%s%.2f, %.2f%s", band <= 2 ? "[" : "(", rk_real(q, 4), rk_real(q, 5),
                 band <= 1 ? ")" : "]");
        plot_table_text(t, bit);
        plot_table_text(t, rk_text(q, 2));
        plot_table_text(t, sc);
        plot_table_num(t, rk_real(q, 6));
        plot_table_num(t, rk_real(q, 6) > 0 ? rk_real(q, 7) / rk_real(q, 6) : NAN);
        plot_table_end_row(t);
    }
    sqlite3_finalize(q);
    return emit(c, t, f, err);
}

static int md_dcr(report_ctx *c, FILE *f, long long id, pa_err *err)
{
    sqlite3_stmt *q;
    int rc = rk_prepare(c, "SELECT real_rows, holdout_rows, auc, auc_null_sd, tpr_at_0_1, tpr_at_0_01, tpr_at_0_001,"
                           " beyond_holdout, exact_real, exact_holdout, median_real, median_holdout, threshold,"
                           " calibration_real, calibration_holdout, test_real, test_holdout, true_positives,"
                           " false_positives FROM audit_dcr WHERE audit_id = ?1", &q, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(q, 1, id);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        return PA_OK;
    }
    fprintf(f, "\n### Membership: distance to the closest synthetic record\n\nFor every real and every control "
               "record, the distance to its closest synthetic record (Hamming on categorical columns, "
               "range-normalised L1 on numeric ones). If the release did not depend on who was in the real data, "
               "the two would look alike. The threshold (member when the distance is at most it) is chosen on "
               "half of each (roc_choose_threshold) and counted on the other halves.\n\n");
    static const plot_col cols[] = {{"measure", "measure", PLOT_TEXT, NULL}, {"real", "real", PLOT_NUM, "%.6g"},
                                    {"control", "control", PLOT_NUM, "%.6g"}};
    plot_table *t = plot_table_new("audit-membership", "Release audit: distance to the closest synthetic record",
                                   cols, 3);
#define ROW(name, a, b)                 \
    do {                                \
        plot_table_text(t, name);       \
        plot_table_num(t, a);           \
        plot_table_num(t, b);           \
        plot_table_end_row(t);          \
    } while (0)
    if (t) {
        ROW("records", rk_real(q, 0), rk_real(q, 1));
        ROW("at distance 0 (a verbatim copy in the release), share", rk_real(q, 8), rk_real(q, 9));
        ROW("median distance", rk_real(q, 10), rk_real(q, 11));
        ROW("AUC, real against control (score = minus the distance); its sd without a leak", rk_real(q, 2),
            rk_real(q, 3));
        ROW("TPR at FPR 10% and 1%", rk_real(q, 4), rk_real(q, 5));
        ROW("real records closer than every control record, share", rk_real(q, 7), NAN);
        ROW("threshold (distance)", rk_real(q, 12), NAN);
        ROW("records choosing the threshold", rk_real(q, 13), rk_real(q, 14));
        ROW("records counting it", rk_real(q, 15), rk_real(q, 16));
        ROW("of them claimed as members", rk_real(q, 17), rk_real(q, 18));
    }
#undef ROW
    sqlite3_finalize(q);
    return emit(c, t, f, err);
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

/* The shadow game's summary from the run tables: trials, failed, the first
 * error, the best pooled AUC, the largest Bayesian lower bound and whether
 * any estimate is a violation. */
typedef struct shadow_sum {
    long long trials, failed;
    char first_error[1024];
    double best_auc, best_lo;
    int violation;
} shadow_sum;

static void shadow_summarise(sqlite3 *db, shadow_sum *S)
{
    memset(S, 0, sizeof *S);
    S->best_auc = S->best_lo = NAN;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT count(*), sum(status != 'ok') FROM trial", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW) {
            S->trials = sqlite3_column_int64(q, 0);
            S->failed = sqlite3_column_int64(q, 1);
        }
        sqlite3_finalize(q);
    }
    if (sqlite3_prepare_v2(db, "SELECT error FROM trial WHERE status = 'failed' ORDER BY id LIMIT 1", -1, &q, NULL) ==
        SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            col_text(q, 0, S->first_error, sizeof S->first_error);
        sqlite3_finalize(q);
    }
    if (sqlite3_prepare_v2(db, "SELECT max(value) FROM metric WHERE target_id IS NULL AND name = 'auc'", -1, &q,
                           NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            S->best_auc = col_num(q, 0);
        sqlite3_finalize(q);
    }
    if (sqlite3_prepare_v2(db, "SELECT max(lo), max(violation) FROM estimate WHERE target_id IS NULL AND method = "
                               "'bayes'", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW) {
            S->best_lo = col_num(q, 0);
            S->violation = sqlite3_column_int(q, 1) == 1;
        }
        sqlite3_finalize(q);
    }
}

/* the shadow game's line of the verdict */
static void md_shadow_verdict(sqlite3 *db, FILE *f, const audit_row *a)
{
    if (!a->gen_cmd[0])
        return;
    if (a->shadow_error[0] || !a->shadow_config[0]) {
        fprintf(f, "- **Shadow-generator membership game: failed**: %s\n", a->shadow_error[0] ? a->shadow_error
                                                                                              : "no result stored");
        return;
    }
    shadow_sum S;
    shadow_summarise(db, &S);
    if (isnan(S.best_auc)) {
        if (S.trials > 0 && S.failed >= S.trials)
            fprintf(f, "- **Shadow-generator membership game: failed**: every one of the %s games failed%s%s\n",
                    cnt((double)S.trials), S.first_error[0] ? "; the first error: " : "", S.first_error);
        else
            fprintf(f, "- **Shadow-generator membership game: no measure**: %s of %s games failed and the rest gave "
                       "no attack a score to measure%s%s\n",
                    cnt((double)S.failed), cnt((double)S.trials), S.first_error[0] ? "; the first error: " : "",
                    S.first_error);
        return;
    }
    fprintf(f, "- **Shadow-generator membership game** (%s games on the generator command): best AUC %.3f, empirical "
               "epsilon at least %.3g (lower end of the Bayesian interval)%s.\n",
            cnt((double)S.trials), S.best_auc, isnan(S.best_lo) ? 0.0 : S.best_lo,
            S.violation ? " — **above the claimed epsilon: the generator's privacy claim is violated**" : "");
}

static int md_shadow(report_ctx *c, FILE *f, const audit_row *a, pa_err *err)
{
    if (!a->gen_cmd[0])
        return PA_OK;
    fprintf(f, "\n### Shadow-generator membership game\n\n");
    if (a->shadow_error[0] || !a->shadow_config[0]) {
        fprintf(f, "Not played: %s\n", a->shadow_error[0] ? a->shadow_error : "no result stored");
        return PA_OK;
    }
    sqlite3 *db = c->db;
    shadow_sum S;
    shadow_summarise(db, &S);
    long long trials = S.trials, failed = S.failed;
    sqlite3_stmt *q;
    fprintf(f, "The generator command `%s` was run as a black box (config `%s`, %s trials, %s failed). Attacks: `dcr` "
               "and `dcr-cal` (calibrated by the distance to the attacker's auxiliary data); the threshold is chosen "
               "on half of the games and counted on the other half (docs/metrics.md). The membership-run section of "
               "`privaudit report` on this database draws the game's figures.\n\n",
            a->gen_cmd, a->shadow_config, cnt((double)trials), cnt((double)failed));
    if (S.first_error[0])
        fprintf(f, "The first failed game: %s\n\n", S.first_error);
    static const plot_col cols[] = {
        {"attack", "attack", PLOT_TEXT, NULL},      {"auc", "AUC", PLOT_NUM, "%.4g"},
        {"tpr_0_1", "TPR at FPR 10%", PLOT_NUM, "%.4g"}, {"eps_bayes", "ε, Bayesian interval", PLOT_INTERVAL, "%.4g"},
        {"eps_cp_lo", "Clopper–Pearson lower bound", PLOT_NUM, "%.4g"},
        {"p_exceeds", "P(ε > claimed)", PLOT_NUM, "%.4g"}, {"violation", "violation", PLOT_TEXT, NULL},
    };
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT attack FROM metric WHERE target_id IS NULL ORDER BY attack", -1, &q,
                           NULL) != SQLITE_OK)
        return PA_OK;
    plot_table *t = plot_table_new("audit-shadow", "Release audit: the shadow-generator membership game", cols, 7);
    while (t && sqlite3_step(q) == SQLITE_ROW) {
        char at[128];
        col_text(q, 0, at, sizeof at);
        const char *met = "SELECT value FROM metric WHERE target_id IS NULL AND attack = ?1 AND name = ?2";
        const char *lo = "SELECT lo FROM estimate WHERE target_id IS NULL AND attack = ?1 AND method = ?2";
        const char *hi = "SELECT hi FROM estimate WHERE target_id IS NULL AND attack = ?1 AND method = ?2";
        const char *pe = "SELECT p_exceeds FROM estimate WHERE target_id IS NULL AND attack = ?1 AND method = ?2";
        const char *vi = "SELECT violation FROM estimate WHERE target_id IS NULL AND attack = ?1 AND method = ?2";
        plot_table_text(t, at);
        plot_table_num(t, metric_of(db, met, at, "auc"));
        plot_table_num(t, metric_of(db, met, at, "tpr@0.1"));
        plot_table_interval(t, metric_of(db, lo, at, "bayes"), metric_of(db, hi, at, "bayes"));
        plot_table_num(t, metric_of(db, lo, at, "clopper_pearson"));
        plot_table_num(t, metric_of(db, pe, at, "bayes"));
        plot_table_text(t, metric_of(db, vi, at, "bayes") == 1 ? "yes" : "no");
        plot_table_end_row(t);
    }
    sqlite3_finalize(q);
    return emit(c, t, f, err);
}

static int audit_present(sqlite3 *db)
{
    return report_audit_present(db) == 1 && rk_has_rows(db, "audit");
}

static int audit_write(report_ctx *c, pa_err *err)
{
    audit_row a;
    int rc = load_audit(c->db, 0, &a, err);
    risk_row *rr = NULL;
    size_t n = 0;
    if (!rc)
        rc = load_risks(c->db, a.id, &rr, &n, err);
    if (rc)
        return rc;
    FILE *H = c->head, *B = c->body;
    fprintf(H, "## Release audit: verdict\n\n");
    md_lead(H, &a);
    md_verdict_text(H, &a, rr, n);
    if ((rc = table_verdict(c, rr, n, H, err)))
        goto out;
    fprintf(H, "\n");
    if (rk_figures_on(c) && (rc = rk_figure(c, figure(c, rr, n, err), err)))
        goto out;
    rk_md_figure(c, H, "audit-risks",
                 "Left: each risk with its interval (a ring marks a flagged one). Right: the chosen attack's success "
                 "rate against the real records and against the control records, with their intervals.");
    md_bullets(H, &a, rr, n);
    md_shadow_verdict(c->db, H, &a);
    if (a.gen_cmd[0])
        fprintf(H, "\n");
    fprintf(B, "## Release audit: detail\n\n### How to read the verdict\n\n"
               "- *Real records*: how often the attack succeeds on the people whose data made the release. *Control "
               "records*: how often the same attack succeeds on people from the same source who were not in it — "
               "what the release says about anyone. *Naive attack*: a guess that ignores the release; an attack that "
               "does not beat it finds nothing, whatever its risk (status *weak*).\n"
               "- *Risk*: the share of what the attacker could still gain over the control that they do gain (0 = "
               "nothing beyond the population, 1 = everything). *Flagged*: the whole interval lies above 0; a small "
               "flagged risk is a real but small leak — read its size.\n"
               "- A useful release must reveal population-level facts (that part-time workers earn less). That "
               "raises the success against real and control records alike and is not flagged.\n\n"
               "### Every attack\n\nThe verdict reports, per risk (and secret column), the attack whose interval "
               "has the largest lower end.\n\n");
    if ((rc = table_attacks(c, rr, n, B, err)))
        goto out;
    for (size_t i = 0; i < n; i++)
        if (rr[i].note[0])
            fprintf(B, "\n- %s, %s: %s.", risk_title(rr[i].risk), rr[i].attack, rr[i].note);
    fprintf(B, "\n\n");
    if ((rc = md_singling_out(c, B, a.id, err)) || (rc = md_link(c, B, a.id, &a, err)) ||
        (rc = md_inference(c, B, a.id, err)) || (rc = md_dcr(c, B, a.id, err)) || (rc = md_shadow(c, B, &a, err)))
        goto out;
    fprintf(B, "\n");
    /* provenance and timings */
    fprintf(c->prov, "- release audit %lld: code version `%s`; real data `%s` (%lld records, hash `%s`), synthetic "
                     "`%s` (%lld records, hash `%s`), control ",
            a.id, a.version, a.real, a.real_rows, a.real_hash, a.synth, a.synth_rows, a.synth_hash);
    if (a.hold_rows)
        fprintf(c->prov, "`%s` (%lld records, hash `%s`)", a.hold, a.hold_rows, a.hold_hash);
    else
        fprintf(c->prov, "none");
    fprintf(c->prov, "; schema `%s`; options `%s`; linkability sets %s / %s\n", a.schema, a.options, a.link_a,
            a.link_b);
    long long earlier = 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM audit WHERE id < ?1", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, a.id);
        if (sqlite3_step(q) == SQLITE_ROW)
            earlier = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    if (earlier)
        fprintf(c->prov, "- %lld earlier audit%s in this database (table `audit`); this report draws the latest\n",
                earlier, earlier == 1 ? "" : "s");
    fprintf(c->timing, "- release audit %lld: run %s, %.2f s in all\n", a.id, a.created, a.seconds);
    for (size_t i = 0; i < n; i++)
        fprintf(c->timing, "- release audit %lld, %s %s%s%s: %.3f s\n", a.id, risk_title(rr[i].risk), rr[i].attack,
                rr[i].secret[0] ? " on " : "", rr[i].secret, rr[i].seconds);
    if (c->tty) {
        fprintf(c->tty, "release audit %lld: %s\n", a.id, a.flagged ? "FLAGGED" : a.hold_rows ? "no risk flagged"
                                                                                        : "no control: not measured");
        for (size_t i = 0; i < n; i++)
            if (rr[i].chosen)
                fprintf(c->tty, "  %-14s %-12s %-10s risk %s [%s, %s]%s\n", risk_title(rr[i].risk), rr[i].attack,
                        rr[i].secret, r3(rr[i].value), r3(rr[i].rlo), r3(rr[i].rhi), rr[i].flag ? "  FLAGGED" : "");
    }
out:
    free(rr);
    return rc;
}

const report_kind report_kind_audit = {REPORT_KIND_AUDIT, "release audit", audit_present, audit_write};

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
