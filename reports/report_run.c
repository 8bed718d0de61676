/* report_run.c — the membership run's section of report.md (privaudit run):
 * verdicts, empirical ε against the claim, privacy-utility, ROC pooled per
 * cell, posterior densities, every estimate method stored, completeness.
 *
 * Names: a cell = one generator setting at one claimed ε (table cell); a
 * row = one (cell, attack, target) of table estimate, target -1 = pooled
 * over the targets; the "primary" method is bayes when stored (else the
 * first method stored other than point); the strongest attack of a cell is
 * the one whose pooled primary interval has the largest lower end. */
#define _GNU_SOURCE /* open_memstream */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "audit/eps.h"
#include "audit/roc.h"
#include "audit/verdict.h"
#include "reports/report_kind.h"

#define MAXA 32        /* attacks shown */
#define MAXM 16        /* estimate methods */
#define POST_GRID 200  /* posterior density points per curve */
#define ROC_MAX_PTS 1500

typedef struct cellinfo {
    long long id;
    char gen[64];        /* generator name */
    char label[160];     /* generator name, with its params when two settings share the name */
    double eps, delta;
    size_t series;       /* index of label among the labels */
    int shown;           /* passes --generator */
    long long planned, stored, ok, failed;
    double fit_s, sample_s, attack_s;
    int claim_r1;        /* the claim's neighbours (trial.replace_one): 1 replace-one, 0 add/remove, -1 unknown */
    int eps_only;        /* an external program declaring a finite ε but no ρ (params without "rho") */
} cellinfo;

typedef struct est {
    long long cell, target;
    size_t attack, method;
    double lo, hi, delta, tp, fn, fp, tn, claimed, p_exc, point, alpha;
    int viol;
} est;

typedef struct run {
    report_ctx *c;
    cellinfo *cells;
    size_t nc;
    char labels[64][160];
    size_t nl;
    char attacks[MAXA][64];
    size_t na;
    int attack_shown[MAXA];
    char methods[MAXM][32];
    size_t nm;
    long primary;        /* method index, -1 if none */
    est *e;
    size_t ne;
    int multi_target;    /* the estimates name more than one target */
    /* experiment */
    char name[256], version[128], cfgh[64], datah[64], dpath[1024], seed[32], created[64], game[96];
    int game_r1;         /* the game's neighbours (config "neighbours"): 1 replace-one, 0 add/remove */
    long long planned, stored, ok, failed;
    double alpha;
} run;

static int run_present(sqlite3 *db)
{
    return rk_has_rows(db, "experiment") && rk_has_rows(db, "cell");
}

static cellinfo *cell_of(run *R, long long id)
{
    for (size_t i = 0; i < R->nc; i++)
        if (R->cells[i].id == id)
            return &R->cells[i];
    return NULL;
}

static size_t attack_index(run *R, const char *a)
{
    for (size_t k = 0; k < R->na; k++)
        if (!strcmp(R->attacks[k], a))
            return k;
    if (R->na < MAXA)
        snprintf(R->attacks[R->na++], sizeof R->attacks[0], "%s", a);
    return R->na - 1;
}

static size_t method_index(run *R, const char *m)
{
    for (size_t k = 0; k < R->nm; k++)
        if (!strcmp(R->methods[k], m))
            return k;
    if (R->nm < MAXM)
        snprintf(R->methods[R->nm++], sizeof R->methods[0], "%s", m);
    return R->nm - 1;
}

/* A short form of a params object: {"a": 1, "b": "x"} -> a=1 b=x. */
static void short_params(const char *js, char *buf, size_t cap)
{
    size_t k = 0;
    for (const char *p = js; *p && k + 1 < cap; p++) {
        if (*p == '{' || *p == '}' || *p == '"')
            continue;
        char ch = *p == ':' ? '=' : *p == ',' ? ' ' : *p;
        if (ch == ' ' && (k == 0 || buf[k - 1] == ' ' || buf[k - 1] == '='))
            continue;
        buf[k++] = ch;
    }
    while (k && buf[k - 1] == ' ')
        k--;
    buf[k] = 0;
}

static int load(run *R, pa_err *err)
{
    report_ctx *c = R->c;
    sqlite3_stmt *s;
    int rc;
    int has_game = rk_has_column(c->db, "experiment", "game");
    if ((rc = rk_prepare(c,
                         has_game ? "SELECT name, code_version, config_hash, data_hash, data_path, seed, n_trials,"
                                    " created_at, game, config_json FROM experiment"
                                  : "SELECT name, code_version, config_hash, data_hash, data_path, seed, n_trials,"
                                    " created_at, NULL, config_json FROM experiment",
                         &s, err)))
        return rc;
    if (sqlite3_step(s) == SQLITE_ROW) {
        snprintf(R->name, sizeof R->name, "%s", rk_text(s, 0));
        snprintf(R->version, sizeof R->version, "%s", rk_text(s, 1));
        snprintf(R->cfgh, sizeof R->cfgh, "%s", rk_text(s, 2));
        snprintf(R->datah, sizeof R->datah, "%s", rk_text(s, 3));
        snprintf(R->dpath, sizeof R->dpath, "%s", rk_text(s, 4));
        snprintf(R->seed, sizeof R->seed, "%s", rk_text(s, 5));
        R->planned = sqlite3_column_int64(s, 6);
        snprintf(R->created, sizeof R->created, "%s", rk_text(s, 7));
        snprintf(R->game, sizeof R->game, "%s", has_game ? (*rk_text(s, 8) ? rk_text(s, 8) : "average") : "");
        /* the neighbour relation the games were played with (harness/config.c: add-remove unless said) */
        cJSON *cfg = cJSON_Parse(rk_text(s, 9));
        const cJSON *nb = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "neighbours") : NULL;
        R->game_r1 = cJSON_IsString(nb) && !strcmp(nb->valuestring, "replace-one");
        /* a worst-case D (harness/config.c): named with the game wherever the game is */
        const cJSON *tc = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "target_copies") : NULL;
        if (cJSON_IsNumber(tc) && tc->valuedouble >= 1 && !strcmp(R->game, "fixed"))
            snprintf(R->game, sizeof R->game, "fixed, D holding %.0f copies of each target", tc->valuedouble);
        cJSON_Delete(cfg);
    }
    sqlite3_finalize(s);
    /* cells, with their trial counts and timings, and the neighbours of their claim */
    char cq[1024];
    snprintf(cq, sizeof cq,
             "SELECT c.id, c.generator, c.params_json, c.epsilon, c.delta,"
             " (SELECT count(*) FROM trial t WHERE t.cell_id = c.id),"
             " (SELECT count(*) FROM trial t WHERE t.cell_id = c.id AND t.status = 'ok'),"
             " (SELECT avg(fit_s) FROM trial t WHERE t.cell_id = c.id AND t.status = 'ok'),"
             " (SELECT avg(sample_s) FROM trial t WHERE t.cell_id = c.id AND t.status = 'ok'),"
             " (SELECT avg(attack_s) FROM trial t WHERE t.cell_id = c.id AND t.status = 'ok'),"
             " %s FROM cell c ORDER BY c.id",
             rk_has_column(c->db, "trial", "replace_one")
                 ? "(SELECT max(replace_one) FROM trial t WHERE t.cell_id = c.id AND t.status = 'ok')"
                 : "NULL");
    if ((rc = rk_prepare(c, cq, &s, err)))
        return rc;
    size_t cap = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (R->nc == cap) {
            cap = cap ? 2 * cap : 16;
            cellinfo *n = realloc(R->cells, cap * sizeof *n);
            if (!n) {
                sqlite3_finalize(s);
                return pa_errf(err, PA_ENOMEM, "out of memory");
            }
            R->cells = n;
        }
        cellinfo *w = &R->cells[R->nc++];
        memset(w, 0, sizeof *w);
        w->id = sqlite3_column_int64(s, 0);
        snprintf(w->gen, sizeof w->gen, "%s", rk_text(s, 1));
        char sp[96];
        short_params(rk_text(s, 2), sp, sizeof sp);
        snprintf(w->label, sizeof w->label, "%s%s%s", w->gen, *sp ? " " : "", sp); /* trimmed below */
        w->eps = rk_real(s, 3);
        w->delta = rk_real(s, 4);
        w->stored = sqlite3_column_int64(s, 5);
        w->ok = sqlite3_column_int64(s, 6);
        w->failed = w->stored - w->ok;
        w->fit_s = rk_real(s, 7);
        w->sample_s = rk_real(s, 8);
        w->attack_s = rk_real(s, 9);
        w->claim_r1 = sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 10);
        if (!strcmp(w->gen, "external") && isfinite(w->eps)) {
            cJSON *pj = cJSON_Parse(rk_text(s, 2));
            w->eps_only = !(pj && cJSON_GetObjectItemCaseSensitive(pj, "rho"));
            cJSON_Delete(pj);
        }
    }
    sqlite3_finalize(s);
    /* labels: the bare generator name unless two settings of it differ in params
     * (decided for every cell before any label is shortened) */
    unsigned char *clash = calloc(R->nc ? R->nc : 1, 1);
    if (!clash)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t i = 0; i < R->nc; i++)
        for (size_t j = 0; j < R->nc; j++)
            clash[i] |= !strcmp(R->cells[i].gen, R->cells[j].gen) && strcmp(R->cells[i].label, R->cells[j].label);
    for (size_t i = 0; i < R->nc; i++)
        if (!clash[i])
            snprintf(R->cells[i].label, sizeof R->cells[i].label, "%s", R->cells[i].gen);
    free(clash);
    for (size_t i = 0; i < R->nc; i++) {
        size_t k = 0;
        while (k < R->nl && strcmp(R->labels[k], R->cells[i].label))
            k++;
        if (k == R->nl && R->nl < 64)
            snprintf(R->labels[R->nl++], sizeof R->labels[0], "%s", R->cells[i].label);
        R->cells[i].series = k < 64 ? k : 63;
        R->cells[i].shown = rk_selected(c->o->generators, R->cells[i].gen) ||
                            rk_selected(c->o->generators, R->cells[i].label);
    }
    /* planned trials per cell: the experiment plans games for every cell */
    long long per = R->nc ? R->planned / (long long)R->nc : 0;
    for (size_t i = 0; i < R->nc; i++) {
        R->cells[i].planned = per;
        R->stored += R->cells[i].stored;
        R->ok += R->cells[i].ok;
    }
    R->failed = R->stored - R->ok;
    /* attacks: in the order the run computed them (estimate rows), else as scored */
    if ((rc = rk_prepare(c, "SELECT attack FROM (SELECT attack, min(rowid) AS r FROM estimate GROUP BY attack"
                            " UNION ALL SELECT attack, 1e18 + min(rowid) FROM score GROUP BY attack)"
                            " GROUP BY attack ORDER BY min(r)",
                         &s, err)))
        return rc;
    while (sqlite3_step(s) == SQLITE_ROW)
        attack_index(R, rk_text(s, 0));
    sqlite3_finalize(s);
    for (size_t k = 0; k < R->na; k++)
        R->attack_shown[k] = rk_selected(c->o->attacks, R->attacks[k]);
    /* methods */
    if ((rc = rk_prepare(c, "SELECT method FROM estimate GROUP BY method ORDER BY min(rowid)", &s, err)))
        return rc;
    while (sqlite3_step(s) == SQLITE_ROW)
        method_index(R, rk_text(s, 0));
    sqlite3_finalize(s);
    R->primary = -1;
    for (size_t k = 0; k < R->nm; k++)
        if (!strcmp(R->methods[k], "bayes"))
            R->primary = (long)k;
    for (size_t k = 0; k < R->nm && R->primary < 0; k++)
        if (strcmp(R->methods[k], "point"))
            R->primary = (long)k;
    R->alpha = NAN;
    /* estimate.point exists in databases written since the GDP fit (issue 11); NULL before */
    const char *pcol = "point";
    if (sqlite3_prepare_v2(c->db, "SELECT point FROM estimate LIMIT 0", -1, &s, NULL) == SQLITE_OK)
        sqlite3_finalize(s);
    else
        pcol = "NULL";
    char q[512];
    snprintf(q, sizeof q,
             "SELECT cell_id, attack, ifnull(target_id, -1), method, lo, hi, delta, tp, fn, fp, tn,"
             " claimed, p_exceeds, violation, alpha, %s FROM estimate ORDER BY cell_id, ifnull(target_id, -1), rowid",
             pcol);
    if ((rc = rk_prepare(c, q, &s, err)))
        return rc;
    cap = 0;
    long long t0 = -1; /* the first target named */
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (R->ne == cap) {
            cap = cap ? 2 * cap : 256;
            est *n = realloc(R->e, cap * sizeof *n);
            if (!n) {
                sqlite3_finalize(s);
                return pa_errf(err, PA_ENOMEM, "out of memory");
            }
            R->e = n;
        }
        est *w = &R->e[R->ne++];
        w->cell = sqlite3_column_int64(s, 0);
        w->attack = attack_index(R, rk_text(s, 1));
        w->target = sqlite3_column_int64(s, 2);
        w->method = method_index(R, rk_text(s, 3));
        w->lo = rk_real(s, 4);
        w->hi = rk_real(s, 5);
        w->delta = rk_real(s, 6);
        w->tp = rk_real(s, 7);
        w->fn = rk_real(s, 8);
        w->fp = rk_real(s, 9);
        w->tn = rk_real(s, 10);
        w->claimed = rk_real(s, 11);
        w->p_exc = rk_real(s, 12);
        w->viol = sqlite3_column_int(s, 13);
        w->point = rk_real(s, 15);
        w->alpha = rk_real(s, 14);
        if (isnan(R->alpha))
            R->alpha = rk_real(s, 14);
        if (w->target >= 0 && t0 < 0)
            t0 = w->target;
        R->multi_target |= w->target >= 0 && w->target != t0;
    }
    sqlite3_finalize(s);
    return PA_OK;
}

/* The estimate of (cell, attack, method) pooled over targets: the pooled
 * row, or the only target's row when there is one target. */
static const est *pooled(const run *R, long long cell, size_t attack, long method)
{
    const est *one = NULL;
    size_t nt = 0;
    if (method < 0)
        return NULL;
    for (size_t i = 0; i < R->ne; i++) {
        const est *w = &R->e[i];
        if (w->cell != cell || w->attack != attack || w->method != (size_t)method)
            continue;
        if (w->target < 0)
            return w;
        one = w;
        nt++;
    }
    return nt == 1 ? one : NULL;
}

/* The strongest attack of a cell (largest pooled primary lower end; ties:
 * the first); SIZE_MAX if none. shown_only: among the attacks shown. */
static size_t strongest(const run *R, long long cell, int shown_only)
{
    size_t best = SIZE_MAX;
    double blo = -1;
    for (size_t a = 0; a < R->na; a++) {
        if (shown_only && !R->attack_shown[a])
            continue;
        const est *w = pooled(R, cell, a, R->primary);
        if (w && !isnan(w->lo) && w->lo > blo) {
            blo = w->lo;
            best = a;
        }
    }
    return best;
}

/* TPR < FPR on the test split (FNR + FPR > 1): the attack, as oriented,
 * does worse than chance there. */
static int worse_than_chance(const est *e)
{
    double np = e->tp + e->fn, nn = e->fp + e->tn;
    return np > 0 && nn > 0 && e->fn / np + e->fp / nn > 1;
}

/* Is e a per-target row that only repeats its pooled row (the run has one
 * target, so the same scores)? Such a row is not a test of its own. */
static int repeats_pooled(const run *R, const est *e)
{
    if (e->target < 0 || R->multi_target)
        return 0;
    for (size_t i = 0; i < R->ne; i++) {
        const est *w = &R->e[i];
        if (w->target < 0 && w->cell == e->cell && w->attack == e->attack && w->method == e->method)
            return 1;
    }
    return 0;
}

/* the largest δ of a cell's estimates (0 if none) */
static double cell_delta(const run *R, long long cell)
{
    double d = 0;
    for (size_t i = 0; i < R->ne; i++)
        if (R->e[i].cell == cell && R->e[i].delta > d)
            d = R->e[i].delta;
    return d;
}

/* A cell's verdict (audit/verdict.h): every violation test of the cell —
 * the primary method's rows and the profile test's, of every attack, pooled
 * and per target (a lone target's row repeats the pooled one: counted
 * once), with a claim — redone at a Bonferroni level for its k tests, so a
 * correct generator is flagged with probability at most α/2 however many
 * attacks and targets the run has.
 * group2: the game replaces a record and the claim is for add/remove: each
 * test is held against what the claim implies for replacing one (group
 * privacy, remove then add): (2ε, (1 + e^ε)δ); the profile test, stored
 * against ρ, is left out (it would need 4ρ). */
static int cell_violates(const run *R, long long cell, int group2, verdict *v, pa_err *err)
{
    *v = (verdict){.k = 0, .reject = SIZE_MAX};
    verdict_test *t = calloc(R->ne ? R->ne : 1, sizeof *t);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < R->ne; i++) {
        const est *e = &R->e[i];
        const char *m = R->methods[e->method];
        if (e->cell != cell || !isfinite(e->claimed) ||
            !((long)e->method == R->primary || !strcmp(m, "profile")) ||
            !(!strcmp(m, "bayes") || !strcmp(m, "clopper_pearson") || !strcmp(m, "profile")) ||
            (group2 && !strcmp(m, "profile")) || repeats_pooled(R, e))
            continue;
        t[k++] = (verdict_test){.method = m, .claimed = group2 ? 2 * e->claimed : e->claimed,
                                .delta = group2 ? (1 + exp(e->claimed)) * e->delta : e->delta,
                                .alpha = e->alpha, .tp = e->tp, .fn = e->fn, .fp = e->fp, .tn = e->tn,
                                .p_exceeds = e->p_exc};
    }
    int rc = k ? verdict_family(t, k, v, err) : PA_OK;
    free(t);
    if (rc)
        pa_err_prefix(err, "the verdict of cell %lld", cell);
    return rc;
}

static double metric(report_ctx *c, long long cell, const char *attack, const char *name)
{
    sqlite3_stmt *s;
    double v = NAN;
    if (sqlite3_prepare_v2(c->db, "SELECT value FROM metric WHERE cell_id = ?1 AND attack = ?2 AND name = ?3"
                                  " ORDER BY target_id IS NOT NULL, target_id LIMIT 1",
                           -1, &s, NULL) != SQLITE_OK)
        return NAN;
    sqlite3_bind_int64(s, 1, cell);
    sqlite3_bind_text(s, 2, attack, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = rk_real(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* A method's name in a sentence. */
static const char *method_word(const char *m)
{
    return !strcmp(m, "bayes") ? "Bayesian" : !strcmp(m, "clopper_pearson") ? "Clopper-Pearson" : m;
}

static const char *method_head(const char *m, char *buf, size_t cap)
{
    if (!strcmp(m, "bayes"))
        snprintf(buf, cap, "Bayes ε");
    else if (!strcmp(m, "clopper_pearson"))
        snprintf(buf, cap, "CP ε");
    else if (!strcmp(m, "point"))
        snprintf(buf, cap, "point ε");
    else if (!strcmp(m, "gdp_fit"))
        snprintf(buf, cap, "GDP-fit μ");
    else if (!strcmp(m, "profile"))
        snprintf(buf, cap, "profile");
    else
        snprintf(buf, cap, "%s ε", m);
    return buf;
}

/* ---- utility ---- */

#define NUTIL 5
static const char *const util_names[NUTIL] = {"tstr_auc", "tvd2", "tvd3", "tvd1", "tstr_acc"};
static const char *const util_heads[NUTIL] = {"TSTR AUC", "2-way TVD", "3-way TVD", "1-way TVD", "TSTR acc"};
static const char *const util_axis[NUTIL] = {"TSTR AUC (higher: more useful)", "2-way TVD (lower: more useful)",
                                              "3-way TVD (lower: more useful)", "1-way TVD (lower: more useful)",
                                              "TSTR accuracy (higher: more useful)"};
static const char *const util_long[NUTIL] = {
    "TSTR AUC: a classifier trained on the release, tested on the real holdout split",
    "2-way TVD: mean total variation distance of the 2-way marginals to the training set",
    "3-way TVD: mean total variation distance of the 3-way marginals to the training set",
    "1-way TVD: mean total variation distance of the 1-way marginals to the training set",
    "TSTR accuracy: a classifier trained on the release, tested on the real holdout split"};

typedef struct ucell {
    double mean[NUTIL], se[NUTIL];
    long long n[NUTIL];
} ucell;

/* The real-data reference of a metric: the TSTR classifier trained on the
 * real training sets instead (utility rows trtr_acc, trtr_auc), mean and
 * standard error over every trial; NAN when not stored. */
static void load_reference(run *R, double *mean, double *se)
{
    for (int m = 0; m < NUTIL; m++)
        mean[m] = se[m] = NAN;
    sqlite3_stmt *s;
    if (!rk_has_rows(R->c->db, "utility") ||
        sqlite3_prepare_v2(R->c->db,
                           "SELECT u.name, count(u.value), avg(u.value), avg(u.value * u.value) FROM utility u"
                           " JOIN trial t ON t.id = u.trial_id WHERE t.status = 'ok' AND u.value IS NOT NULL"
                           " AND u.name IN ('trtr_acc', 'trtr_auc') GROUP BY u.name",
                           -1, &s, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(s) == SQLITE_ROW) {
        int m = !strcmp(rk_text(s, 0), "trtr_auc") ? 0 : 4; /* tstr_auc, tstr_acc */
        double n = (double)sqlite3_column_int64(s, 1), mu = rk_real(s, 2), m2 = rk_real(s, 3);
        mean[m] = mu;
        se[m] = n > 1 ? sqrt(fmax(0, (m2 - mu * mu) * n / (n - 1)) / n) : NAN;
    }
    sqlite3_finalize(s);
}

static int load_utility(run *R, ucell *u, pa_err *err)
{
    sqlite3_stmt *s;
    for (size_t i = 0; i < R->nc; i++)
        for (size_t m = 0; m < NUTIL; m++) {
            u[i].mean[m] = u[i].se[m] = NAN;
            u[i].n[m] = 0;
        }
    if (!rk_has_rows(R->c->db, "utility"))
        return PA_OK;
    int rc = rk_prepare(R->c,
                        "SELECT t.cell_id, u.name, count(u.value), avg(u.value),"
                        " avg(u.value * u.value) FROM utility u JOIN trial t ON t.id = u.trial_id"
                        " WHERE t.status = 'ok' AND u.value IS NOT NULL GROUP BY t.cell_id, u.name",
                        &s, err);
    if (rc)
        return rc;
    while (sqlite3_step(s) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(s, 0);
        const char *nm = rk_text(s, 1);
        for (size_t i = 0; i < R->nc; i++)
            for (size_t m = 0; m < NUTIL && R->cells[i].id == id; m++)
                if (!strcmp(nm, util_names[m])) {
                    long long n = sqlite3_column_int64(s, 2);
                    double mean = rk_real(s, 3), m2 = rk_real(s, 4);
                    u[i].n[m] = n;
                    u[i].mean[m] = mean;
                    /* standard error of the mean over the releases */
                    double var = n > 1 ? fmax(0, (m2 - mean * mean) * (double)n / (double)(n - 1)) : NAN;
                    u[i].se[m] = n > 1 ? sqrt(var / (double)n) : NAN;
                }
    }
    sqlite3_finalize(s);
    return PA_OK;
}

/* The most informative metric: the largest range of cell means in units of
 * the pooled standard error (ties: the order of util_names). -1 if none. */
static int util_pick(const run *R, const ucell *u, double *score)
{
    int best = -1;
    double bs = -1;
    for (int m = 0; m < NUTIL; m++) {
        double lo = INFINITY, hi = -INFINITY, s2 = 0;
        size_t k = 0;
        for (size_t i = 0; i < R->nc; i++)
            if (R->cells[i].shown && !isnan(u[i].mean[m])) {
                lo = fmin(lo, u[i].mean[m]);
                hi = fmax(hi, u[i].mean[m]);
                s2 += isnan(u[i].se[m]) ? 0 : u[i].se[m] * u[i].se[m];
                k++;
            }
        if (!k)
            continue;
        double se = sqrt(s2 / (double)k), sc = se > 0 ? (hi - lo) / se : (hi > lo ? 1e9 : 0);
        if (sc > bs) {
            bs = sc;
            best = m;
        }
    }
    *score = bs;
    return best;
}

/* ---- figures ---- */

/* Cells shown, in (label, ε) order: indices into R->cells. */
static size_t shown_cells(const run *R, size_t *idx, int finite_only)
{
    size_t n = 0;
    for (size_t l = 0; l < R->nl; l++) {
        size_t start = n;
        for (size_t i = 0; i < R->nc; i++)
            if (R->cells[i].shown && R->cells[i].series == l && (!finite_only || isfinite(R->cells[i].eps)))
                idx[n++] = i;
        /* ε ascending (∞ last) within a label; insertion sort keeps ties in id order */
        for (size_t a = start + 1; a < n; a++)
            for (size_t b = a; b > start && R->cells[idx[b - 1]].eps > R->cells[idx[b]].eps; b--) {
                size_t t = idx[b];
                idx[b] = idx[b - 1];
                idx[b - 1] = t;
            }
    }
    return n;
}

static void attack_key(run *R, plot_key *key, char (*st)[160], size_t *nk, const char *how)
{
    char sty[96];
    int lines = !strncmp(how, "lines", 5) && (how[5] == 0 || how[5] == ' ');
    for (size_t a = 0; a < R->na; a++)
        if (R->attack_shown[a]) {
            snprintf(st[*nk], sizeof st[0], "%s %s", how,
                     lines ? plot_line(a, sty, sizeof sty) : plot_series(R->c->po, a, sty, sizeof sty));
            key[*nk] = (plot_key){R->attacks[a], st[*nk]};
            (*nk)++;
        }
}

/* eps: one panel per generator; per attack the primary interval of the
 * pooled row (marker at the lower end, the audit's lower bound), dodged
 * around the claimed ε; the claim as a black segment over each group. */
static int fig_eps(run *R, pa_err *err)
{
    report_ctx *c = R->c;
    size_t *idx = calloc(R->nc + 1, sizeof *idx);
    if (!idx)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    size_t n = shown_cells(R, idx, 0), K = 0;
    for (size_t a = 0; a < R->na; a++)
        K += R->attack_shown[a];
    size_t panels = 0, plab[64];
    double claims[256] = {0};
    size_t ncl = 0;
    for (size_t i = 0; i < n; i++) {
        const cellinfo *w = &R->cells[idx[i]];
        if (ncl < 256)
            claims[ncl++] = w->eps;
        if ((!panels || plab[panels - 1] != w->series) && panels < 64)
            plab[panels++] = w->series;
    }
    if (!panels || !K || R->primary < 0) {
        free(idx);
        return PA_OK;
    }
    plot_eps_axis ax;
    plot_eps_axis_init(&ax, claims, ncl);
    /* dodge: the attacks spread over at most 40% of the closest claims' gap */
    double step = 0.6;
    for (size_t k = 1; k < ax.n; k++)
        step = fmin(step, log10(ax.v[k]) - log10(ax.v[k - 1]));
    if (ax.has_inf && ax.n)
        step = fmin(step, ax.uinf - ax.umax);
    double dodge = K > 1 ? fmin(0.07, 0.4 * step / (double)(K - 1)) : 0;
    /* y range, shared by the panels: the data (every lower end; the upper
     * ends unless they run far above them), then the claims that are not far
     * above the data — a claim beyond the range is named at the top instead */
    double lomax = 0, ymax = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < R->na; a++) {
            const est *e = R->attack_shown[a] ? pooled(R, R->cells[idx[i]].id, a, R->primary) : NULL;
            if (e && isfinite(e->lo))
                lomax = fmax(lomax, e->lo);
        }
    ymax = lomax;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < R->na; a++) {
            const est *e = R->attack_shown[a] ? pooled(R, R->cells[idx[i]].id, a, R->primary) : NULL;
            if (e && isfinite(e->hi) && e->hi <= fmax(3 * lomax, 1))
                ymax = fmax(ymax, e->hi);
        }
    if (!(ymax > 0))
        ymax = 1;
    double dtop = ymax;
    for (size_t i = 0; i < n; i++) {
        double ce = R->cells[idx[i]].eps;
        if (isfinite(ce) && ce <= 2 * dtop)
            ymax = fmax(ymax, ce);
    }
    ymax *= 1.08;
    /* the key names only what is drawn: the claim's segment where a claim is
     * inside the range, the off-the-top marker where an interval leaves it */
    int claim_drawn = 0, off_top = 0;
    for (size_t i = 0; i < n; i++) {
        double ce = R->cells[idx[i]].eps;
        claim_drawn |= isfinite(ce) && ce <= ymax;
        for (size_t a = 0; a < R->na; a++) {
            const est *e = R->attack_shown[a] ? pooled(R, R->cells[idx[i]].id, a, R->primary) : NULL;
            off_top |= e && !isnan(e->hi) && e->hi > ymax;
        }
    }
    plot_key key[MAXA + 2];
    char st[MAXA + 2][160];
    size_t nk = 0;
    attack_key(R, key, st, &nk, "points");
    if (claim_drawn) {
        snprintf(st[nk], sizeof st[0], "lines lw 1.5 lc rgb '#000000'");
        key[nk] = (plot_key){"claimed ε", st[nk]};
        nk++;
    }
    if (off_top) {
        snprintf(st[nk], sizeof st[0], "points pt 8 lc rgb '#555555' ps %.2f",
                 plot_out_style(c->po) == PLOT_PAPER ? 0.4 : 0.55);
        key[nk] = (plot_key){"interval runs off the top", st[nk]};
        nk++;
    }
    plot_layout L = {.panels = panels, .cols = panels < 3 ? panels : (panels == 4 ? 2 : 3), .aspect = 0.78,
                     .wide = panels > 2, .key = key, .nkey = nk};
    plot_fig *f;
    int rc = plot_fig_begin(c->po, "eps", "empirical ε against the claimed ε", &L, &f, err);
    if (rc) {
        free(idx);
        return rc;
    }
    size_t (*blk)[MAXA] = calloc(panels, sizeof *blk);
    if (!blk) {
        free(idx);
        plot_fig_abort(f);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    for (size_t p = 0; p < panels; p++)
        for (size_t a = 0; a < R->na; a++) {
            blk[p][a] = SIZE_MAX;
            if (!R->attack_shown[a])
                continue;
            size_t rows = 0;
            for (size_t i = 0; i < n; i++) {
                const cellinfo *w = &R->cells[idx[i]];
                const est *e = w->series == plab[p] ? pooled(R, w->id, a, R->primary) : NULL;
                if (!e)
                    continue;
                if (!rows++)
                    plot_dat_comment(f, "%s, attack %s, method %s: claimed_eps lo hi", R->labels[plab[p]],
                                     R->attacks[a], R->methods[R->primary]);
                plot_dat_row(f, 3, (double[]){w->eps, e->lo, e->hi});
            }
            if (rows)
                blk[p][a] = plot_dat_end_block(f);
        }
    char sty[96];
    double half = dodge * (double)(K - 1) / 2 + 0.06;
    for (size_t p = 0; p < panels; p++) {
        plot_panel(f, p, R->labels[plab[p]], "claimed ε", "empirical ε");
        plot_eps_axis_emit(f, &ax);
        plot_gp(f, "YMAX = %.17g\nset yrange [0:YMAX]", ymax);
        size_t arrow = 1, label = 1;
        char cl[32];
        for (size_t i = 0; i < n; i++) {
            const cellinfo *w = &R->cells[idx[i]];
            if (w->series != plab[p] || !isfinite(w->eps))
                continue;
            if (w->eps <= ymax)
                plot_gp(f, "set arrow %zu from first %.17g, first %.17g to first %.17g, first %.17g nohead "
                           "lc rgb '#000000' lw 1.5 back",
                        arrow++, log10(w->eps) - half, w->eps, log10(w->eps) + half, w->eps);
            else
                plot_gp(f, "set label %zu 'claim %s ↑' at first %.17g, graph 0.97 center front font ',%g'", label++,
                        plot_fmt_eps(w->eps, 0, cl, sizeof cl), log10(w->eps),
                        plot_out_style(c->po) == PLOT_PAPER ? 6.5 : 8.5);
        }
        size_t kk = 0;
        for (size_t a = 0; a < R->na; a++) {
            if (!R->attack_shown[a])
                continue;
            double off = dodge * ((double)kk - (double)(K - 1) / 2);
            kk++;
            if (blk[p][a] == SIZE_MAX)
                continue;
            plot_series(c->po, a, sty, sizeof sty);
            plot_term(f, "DAT index %zu using (EX($1)+(%.4f)):2:2:($3 > YMAX ? YMAX : $3) with yerrorbars %s notitle",
                      blk[p][a], off, sty);
            plot_term(f, "DAT index %zu using (EX($1)+(%.4f)):($3 > YMAX ? YMAX : 1/0) with points pt 8 "
                         "lc rgb '#555555' ps %.2f notitle",
                      blk[p][a], off, plot_out_style(c->po) == PLOT_PAPER ? 0.4 : 0.55);
        }
    }
    free(blk);
    free(idx);
    return plot_fig_end(f, err);
}

/* The decades the log-log ROC shows: down to the smallest rate that N scores
 * of one class can resolve (1/N), at least 3 (10⁻³, as small runs always
 * had), at most 7. A tight audit's bound sits at FPR ~1e-4 (docs/BENCHMARKS.md). */
static int roc_log_decades(size_t nmax)
{
    int dec = 3;
    while (dec < 7 && nmax > 0 && pow(10, dec) < (double)nmax)
        dec++;
    return dec;
}

/* gnuplot tics "'10⁻ᵈ' 1e-d, …, '0.1' 0.1, '1' 1"; past four decades only
 * the even ones (10⁻⁶, 10⁻⁴, 10⁻², 1), evenly spaced */
static void roc_log_tics(int dec, char *out, size_t cap)
{
    static const char *const sup[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
    size_t len = 0;
    out[0] = 0;
    for (int d = dec; d >= 1; d--) {
        if (dec > 4 && d % 2)
            continue;
        int w = d == 1 ? snprintf(out + len, cap - len, "'0.1' 0.1, ")
                       : snprintf(out + len, cap - len, "'10⁻%s' 1e-%d, ", sup[d % 10], d);
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
    }
    snprintf(out + len, cap - len, "'1' 1");
}

/* Writes the points of roc drawn as data rows and returns how many: all of
 * them up to ROC_MAX_PTS, else a point whenever the curve has moved 2/ROC_MAX_PTS
 * of the plotted span since the last one written (L1 in both rates) — in log10 units on log
 * axes (zero rates are not drawn there), so that the low-FPR corner, where
 * the audit's lower bounds come from, keeps its detail; the last point always. */
static size_t roc_thin_rows(plot_fig *f, const roc_curve *roc, int logscale)
{
    size_t kept = 0;
    double lx = -1, ly = -1;
    /* the curve's L1 length is at most 2 spans (monotone in both rates): about ROC_MAX_PTS points */
    const double step = 2.0 * (logscale ? (double)roc_log_decades(roc->neg > roc->pos ? roc->neg : roc->pos) : 1.0) /
                        ROC_MAX_PTS;
    for (size_t k = 0; k < roc->np; k++) {
        double x = roc->fpr[k], y = roc->tpr[k];
        int keep = roc->np <= ROC_MAX_PTS || k + 1 == roc->np || lx < 0;
        if (!keep && logscale)
            keep = x > 0 && y > 0 &&
                   (!(lx > 0 && ly > 0) || fabs(log10(x / lx)) + fabs(log10(y / ly)) >= step);
        else if (!keep)
            keep = fabs(x - lx) + fabs(y - ly) >= step;
        if (!keep)
            continue;
        plot_dat_row(f, 2, (double[]){x, y});
        lx = x;
        ly = y;
        kept++;
    }
    return kept;
}

/* ROC of every shown attack pooled over targets, one panel per cell (the
 * cell's best attack by AUC drawn thick); logscale: log-log. */
static int fig_roc(run *R, int logscale, pa_err *err)
{
    report_ctx *c = R->c;
    size_t *idx = calloc(R->nc + 1, sizeof *idx);
    if (!idx)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    size_t n = shown_cells(R, idx, 0);
    if (n > 64)
        n = 64;
    if (!n) {
        free(idx);
        return PA_OK;
    }
    plot_key key[MAXA + 1];
    char st[MAXA + 1][160];
    size_t nk = 0;
    attack_key(R, key, st, &nk, "linespoints");
    snprintf(st[nk], sizeof st[0], "lines dt 2 lc rgb '#888888'");
    key[nk] = (plot_key){"chance", st[nk]};
    nk++;
    size_t cols = n < 4 ? n : 4;
    plot_layout L = {.panels = n, .cols = cols, .aspect = 0.92, .wide = n > 2, .key = key, .nkey = nk};
    plot_fig *f;
    const char *name = logscale ? "roc-log" : "roc";
    int rc = plot_fig_begin(c->po, name, logscale ? "ROC (log-log) pooled over targets" : "ROC pooled over targets",
                            &L, &f, err);
    if (rc) {
        free(idx);
        return rc;
    }
    sqlite3_stmt *q = NULL;
    size_t (*blk)[MAXA] = calloc(n, sizeof *blk);
    double (*auc)[MAXA] = calloc(n, sizeof *auc);
    size_t (*npts)[MAXA] = calloc(n, sizeof *npts);
    size_t *nres = calloc(n, sizeof *nres); /* per panel: the most scores of one class, which sets the log axes' reach */
    double *sc = NULL;
    int *lab = NULL;
    size_t cap = 0;
    if (!blk || !auc || !npts || !nres) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = rk_prepare(c,
                         "SELECT sc.score, m.member FROM score sc JOIN trial t ON t.id = sc.trial_id"
                         " JOIN membership m ON m.trial_id = sc.trial_id AND m.target_id = sc.target_id"
                         " WHERE t.cell_id = ?1 AND sc.attack = ?2 AND sc.score IS NOT NULL AND t.status = 'ok'"
                         " ORDER BY sc.trial_id, sc.target_id",
                         &q, err)))
        goto done;
    for (size_t p = 0; p < n && !rc; p++)
        for (size_t a = 0; a < R->na && !rc; a++) {
            blk[p][a] = SIZE_MAX;
            auc[p][a] = NAN;
            if (!R->attack_shown[a])
                continue;
            const cellinfo *w = &R->cells[idx[p]];
            sqlite3_reset(q);
            sqlite3_bind_int64(q, 1, w->id);
            sqlite3_bind_text(q, 2, R->attacks[a], -1, SQLITE_STATIC);
            size_t m = 0;
            while (sqlite3_step(q) == SQLITE_ROW) {
                if (m == cap) {
                    size_t nc2 = cap ? 2 * cap : 1024;
                    double *ns = realloc(sc, nc2 * sizeof *ns);
                    if (ns)
                        sc = ns;
                    int *nl = ns ? realloc(lab, nc2 * sizeof *nl) : NULL;
                    if (nl)
                        lab = nl;
                    if (!ns || !nl) {
                        rc = pa_errf(err, PA_ENOMEM, "out of memory");
                        break;
                    }
                    cap = nc2;
                }
                sc[m] = sqlite3_column_double(q, 0);
                lab[m++] = sqlite3_column_int(q, 1);
            }
            roc_curve *roc = NULL;
            if (rc || !m || roc_build(sc, lab, m, &roc, NULL) != PA_OK)
                continue;
            auc[p][a] = roc_auc(roc);
            plot_dat_comment(f, "%s eps=%g, attack %s: fpr tpr at every threshold (%zu scores; AUC %.17g)", w->label,
                             w->eps, R->attacks[a], m, auc[p][a]);
            if (roc->neg > nres[p])
                nres[p] = roc->neg;
            if (roc->pos > nres[p])
                nres[p] = roc->pos;
            npts[p][a] = roc_thin_rows(f, roc, logscale);
            blk[p][a] = plot_dat_end_block(f);
            roc_free(roc);
        }
    char sty[96], title[256], e[32], q2[300];
    double small = plot_out_style(c->po) == PLOT_PAPER ? 6.5 : 8.5;
    for (size_t p = 0; p < n && !rc; p++) {
        const cellinfo *w = &R->cells[idx[p]];
        size_t best = SIZE_MAX;
        for (size_t a = 0; a < R->na; a++)
            if (blk[p][a] != SIZE_MAX && (best == SIZE_MAX || auc[p][a] > auc[p][best]))
                best = a;
        snprintf(title, sizeof title, "%s, ε = %s", w->label, plot_fmt_eps(w->eps, 0, e, sizeof e));
        plot_panel(f, p, title, "false-positive rate", "true-positive rate");
        if (logscale) {
            char tics[256];
            int dec = roc_log_decades(nres[p]);
            roc_log_tics(dec, tics, sizeof tics);
            plot_gp(f, "set logscale xy\nset xrange [1e-%d:1]\nset yrange [1e-%d:1]\nset xtics (%s)\nset ytics (%s)",
                    dec, dec, tics, tics);
        } else
            plot_gp(f, "set xrange [0:1]\nset yrange [0:1]\nset xtics ('0' 0, '0.5' 0.5, '1' 1)\n"
                       "set ytics ('0.5' 0.5, '1' 1)");
        if (best != SIZE_MAX) {
            snprintf(title, sizeof title, "best: %s", R->attacks[best]);
            plot_gp(f, "set label 1 %s at graph 0.97, graph %s right front font ',%g'",
                    plot_quote(title, q2, sizeof q2), logscale ? "0.2" : "0.17", small);
            snprintf(title, sizeof title, "AUC %.2f", auc[p][best]);
            plot_gp(f, "set label 2 %s at graph 0.97, graph %s right front font ',%g'",
                    plot_quote(title, q2, sizeof q2), logscale ? "0.08" : "0.06", small);
        }
        plot_term(f, "x with lines dt 2 lc rgb '#888888' notitle");
        /* the best attack last, on top */
        for (int pass = 0; pass < 2; pass++)
            for (size_t a = 0; a < R->na; a++) {
                if (blk[p][a] == SIZE_MAX || (pass == 0) == (a == best))
                    continue;
                plot_series(c->po, a, sty, sizeof sty);
                /* about six markers on a curve */
                plot_term(f, "DAT index %zu using %s with linespoints pi -%zu %s lw %s notitle", blk[p][a],
                          logscale ? "($1 > 0 ? $1 : 1/0):($2 > 0 ? $2 : 1/0)" : "1:2",
                          npts[p][a] / 6 ? npts[p][a] / 6 : 1, sty, a == best ? "2.2" : "0.7");
            }
    }
done:
    sqlite3_finalize(q);
    free(sc);
    free(lab);
    free(blk);
    free(auc);
    free(npts);
    free(nres);
    free(idx);
    if (rc) {
        plot_fig_abort(f);
        return rc;
    }
    return plot_fig_end(f, err);
}

/* posterior: one panel per shown cell with a finite claim; in it the
 * posterior density of ε of every shown attack (pooled counts), the
 * strongest attack's credible interval shaded, the claim dashed. */
static int fig_posterior(run *R, size_t *npanels, size_t *ntotal, pa_err *err)
{
    report_ctx *c = R->c;
    *npanels = *ntotal = 0;
    long bayes = -1;
    for (size_t k = 0; k < R->nm; k++)
        if (!strcmp(R->methods[k], "bayes"))
            bayes = (long)k;
    if (bayes < 0)
        return PA_OK;
    size_t *idx = calloc(R->nc + 1, sizeof *idx);
    if (!idx)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    size_t n = shown_cells(R, idx, 1);
    *ntotal = n;
    if (n > 48)
        n = 48;
    *npanels = n;
    if (!n) {
        free(idx);
        return PA_OK;
    }
    plot_key key[MAXA + 2];
    char st[MAXA + 2][160];
    size_t nk = 0;
    attack_key(R, key, st, &nk, "lines lw 1.5");
    snprintf(st[nk], sizeof st[0], "lines lw 6 lc rgb '#bbbbbb'");
    key[nk] = (plot_key){"credible interval (strongest attack)", st[nk]};
    nk++;
    snprintf(st[nk], sizeof st[0], "lines dt 2 lc rgb '#000000'");
    key[nk] = (plot_key){"claimed ε", st[nk]};
    nk++;
    size_t cols = n < 4 ? n : 4;
    plot_layout L = {.panels = n, .cols = cols, .aspect = 0.7, .wide = n > 2, .key = key, .nkey = nk,
                     .ylabel_every = 0};
    plot_fig *f;
    int rc = plot_fig_begin(c->po, "posterior", "posterior density of ε per setting", &L, &f, err);
    if (rc) {
        free(idx);
        return rc;
    }
    double grid[POST_GRID], dens[POST_GRID];
    char sty[96], title[256], e[32];
    for (size_t p = 0; p < n && !rc; p++) {
        const cellinfo *w = &R->cells[idx[p]];
        size_t best = strongest(R, w->id, 1);
        /* x: the intervals, and the claim when it is near them */
        double xmax = 0;
        for (size_t a = 0; a < R->na; a++) {
            const est *x = R->attack_shown[a] ? pooled(R, w->id, a, bayes) : NULL;
            if (x && isfinite(x->hi))
                xmax = fmax(xmax, 1.3 * x->hi);
            else if (x)
                xmax = fmax(xmax, 3 * w->eps);
        }
        if (!(xmax > 0))
            xmax = 1.3 * w->eps;
        if (w->eps < 2.5 * xmax)
            xmax = fmax(xmax, 1.15 * w->eps);
        xmax = fmin(xmax, 60);
        size_t blk[MAXA];
        double dmax = 0; /* the panel's highest density */
        for (size_t a = 0; a < R->na; a++) {
            blk[a] = SIZE_MAX;
            const est *x = R->attack_shown[a] ? pooled(R, w->id, a, bayes) : NULL;
            if (!x || isnan(x->tp) || isnan(x->fp))
                continue;
            eps_counts ct = {.tp = x->tp, .fn = x->fn, .fp = x->fp, .tn = x->tn};
            for (size_t k = 0; k < POST_GRID; k++)
                grid[k] = xmax * (double)k / (POST_GRID - 1);
            if (eps_bayes_density(&ct, isnan(x->delta) ? 0 : x->delta, grid, POST_GRID, dens, NULL) != PA_OK)
                continue;
            plot_dat_comment(f, "%s eps=%g, attack %s: eps density density_inside_[%.17g,%.17g] (TP %g FN %g FP %g "
                                "TN %g)",
                             w->label, w->eps, R->attacks[a], x->lo, x->hi, x->tp, x->fn, x->fp, x->tn);
            for (size_t k = 0; k < POST_GRID; k++) {
                double d = isfinite(dens[k]) && dens[k] > 0 ? dens[k] : 0;
                dmax = fmax(dmax, d);
                int in = grid[k] >= x->lo && grid[k] <= x->hi;
                plot_dat_row(f, 3, (double[]){grid[k], d, in ? d : 0});
            }
            blk[a] = plot_dat_end_block(f);
        }
        snprintf(title, sizeof title, "%s, ε = %s", w->label, plot_fmt_eps(w->eps, 0, e, sizeof e));
        plot_panel(f, p, title, "ε", "density");
        plot_gp(f, "set xrange [0:%.17g]\nset xtics %.17g\nset format y ''\nset ytics scale 0", xmax,
                plot_nice_step(xmax, 3));
        if (w->eps <= xmax) {
            plot_gp(f, "set yrange [0:*]\nset arrow 1 from first %.17g, graph 0 to first %.17g, graph 1 nohead dt 2 "
                       "lc rgb '#000000' front",
                    w->eps, w->eps);
        } else {
            /* the claim is off the axis: its label in a band above the highest curve */
            if (dmax > 0)
                plot_gp(f, "set yrange [0:%.17g]", 1.25 * dmax);
            else
                plot_gp(f, "set yrange [0:*]");
            plot_gp(f, "set label 1 'claim %s →' at graph 0.98, graph 0.92 right front font ',%g'",
                    plot_fmt_eps(w->eps, 0, e, sizeof e), plot_out_style(c->po) == PLOT_PAPER ? 6.5 : 8.5);
        }
        if (best != SIZE_MAX && blk[best] != SIZE_MAX)
            plot_term(f, "DAT index %zu using 1:3 with filledcurves y1=0 fc rgb '#bbbbbb' fs solid 0.6 notitle",
                      blk[best]);
        for (size_t a = 0; a < R->na; a++)
            if (blk[a] != SIZE_MAX) {
                plot_line(a, sty, sizeof sty);
                plot_term(f, "DAT index %zu using 1:2 with lines %s lw %s notitle", blk[a], sty,
                          a == best ? "1.8" : "1");
            }
    }
    free(idx);
    if (rc) {
        plot_fig_abort(f);
        return rc;
    }
    return plot_fig_end(f, err);
}

/* utility: (a) mean ± standard error of the metric against the claimed ε,
 * one line per generator; (b) the same against the empirical ε interval of
 * the strongest attack (both axes uncertain). */
static int fig_utility(run *R, const ucell *u, int m, double ref, pa_err *err)
{
    report_ctx *c = R->c;
    size_t *idx = calloc(R->nc + 1, sizeof *idx);
    if (!idx)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    size_t n = shown_cells(R, idx, 0);
    double claims[256] = {0};
    size_t ncl = 0;
    for (size_t i = 0; i < n && ncl < 256; i++)
        claims[ncl++] = R->cells[idx[i]].eps;
    plot_eps_axis ax;
    plot_eps_axis_init(&ax, claims, ncl);
    plot_key key[66];
    char st[66][160], sty[96];
    size_t nk = 0, blk[64];
    int used[64] = {0};
    for (size_t i = 0; i < n; i++)
        if (!isnan(u[idx[i]].mean[m]))
            used[R->cells[idx[i]].series] = 1;
    for (size_t l = 0; l < R->nl && l < 64; l++)
        if (used[l]) {
            snprintf(st[nk], sizeof st[0], "linespoints %s", plot_series(c->po, l, sty, sizeof sty));
            key[nk] = (plot_key){R->labels[l], st[nk]};
            nk++;
        }
    if (!nk) {
        free(idx);
        return PA_OK;
    }
    if (!isnan(ref)) {
        snprintf(st[nk], sizeof st[0], "lines dt 2 lc rgb '#000000'");
        key[nk] = (plot_key){"trained on the real data", st[nk]};
        nk++;
    }
    plot_layout L = {.panels = 2, .cols = 1, .aspect = 0.5, .wide = 0, .key = key, .nkey = nk,
                     .ylabel_every = 0};
    plot_fig *f;
    int rc = plot_fig_begin(c->po, "utility", "privacy-utility", &L, &f, err);
    if (rc) {
        free(idx);
        return rc;
    }
    double xmax = 0.5, lomax = 0;
    for (size_t l = 0; l < R->nl && l < 64; l++) {
        blk[l] = SIZE_MAX;
        if (!used[l])
            continue;
        plot_dat_comment(f, "%s: claimed_eps mean se releases emp_lo emp_hi (strongest attack's %s interval)",
                         R->labels[l], R->primary >= 0 ? R->methods[R->primary] : "-");
        int gap = 0;
        for (size_t i = 0; i < n; i++) {
            const cellinfo *w = &R->cells[idx[i]];
            const ucell *v = &u[idx[i]];
            if (w->series != l || isnan(v->mean[m]))
                continue;
            size_t a = strongest(R, w->id, 0);
            const est *e = a != SIZE_MAX ? pooled(R, w->id, a, R->primary) : NULL;
            double lo = e ? e->lo : NAN, hi = e ? e->hi : NAN;
            if (isinf(w->eps) && !gap++)
                plot_dat_gap(f);
            plot_dat_row(f, 6, (double[]){w->eps, v->mean[m], v->se[m], (double)v->n[m], lo, hi});
            if (isfinite(lo))
                lomax = fmax(lomax, lo);
        }
        blk[l] = plot_dat_end_block(f);
    }
    xmax = fmax(xmax, 1.15 * lomax);
    double ylo = INFINITY, yhi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const ucell *v = &u[idx[i]];
        double se = isnan(v->se[m]) ? 0 : v->se[m];
        if (!isnan(v->mean[m])) {
            ylo = fmin(ylo, v->mean[m] - se);
            yhi = fmax(yhi, v->mean[m] + se);
        }
    }
    if (!isnan(ref)) {
        ylo = fmin(ylo, ref);
        yhi = fmax(yhi, ref);
    }
    double pad = yhi > ylo ? 0.06 * (yhi - ylo) : 0.05 * fmax(fabs(yhi), 1e-3);
    ylo -= pad;
    yhi += pad;
    for (size_t i = 0; i < n; i++) {
        size_t a = strongest(R, R->cells[idx[i]].id, 0);
        const est *e = a != SIZE_MAX ? pooled(R, R->cells[idx[i]].id, a, R->primary) : NULL;
        if (e && isfinite(e->hi) && e->hi < 2.5 * fmax(lomax, 0.5))
            xmax = fmax(xmax, 1.05 * e->hi);
    }
    plot_panel(f, 0, "against the claimed ε", "claimed ε", util_axis[m]);
    plot_gp(f, "set ytics %.17g", plot_nice_step(yhi - ylo, 4));
    plot_eps_axis_emit(f, &ax);
    plot_gp(f, "set yrange [%.17g:%.17g]", ylo, yhi);
    if (!isnan(ref))
        plot_term(f, "%.17g with lines dt 2 lc rgb '#000000' notitle", ref);
    for (size_t l = 0; l < R->nl && l < 64; l++)
        if (blk[l] != SIZE_MAX)
            plot_term(f, "DAT index %zu using (EX($1)):2:($3 == $3 ? $3 : 0) with yerrorlines %s notitle", blk[l],
                      plot_series(c->po, l, sty, sizeof sty));
    plot_panel(f, 1, "against the empirical ε of the strongest attack", "empirical ε", util_axis[m]);
    plot_gp(f, "set ytics %.17g", plot_nice_step(yhi - ylo, 4));
    plot_gp(f, "XMAX = %.17g\nset xrange [0:XMAX]\nset xtics %.17g\nset yrange [%.17g:%.17g]", xmax,
            plot_nice_step(xmax, 5), ylo, yhi);
    double small = plot_out_style(c->po) == PLOT_PAPER ? 6 : 8;
    if (!isnan(ref))
        plot_term(f, "%.17g with lines dt 2 lc rgb '#000000' notitle", ref);
    for (size_t l = 0; l < R->nl && l < 64; l++)
        if (blk[l] != SIZE_MAX) {
            plot_series(c->po, l, sty, sizeof sty);
            plot_term(f, "DAT index %zu using 5:2:5:($6 > XMAX ? XMAX : $6):($2 - ($3 == $3 ? $3 : 0)):"
                         "($2 + ($3 == $3 ? $3 : 0)) with xyerrorbars %s notitle",
                      blk[l], sty);
            plot_term(f, "DAT index %zu using (XMAX):($6 > XMAX ? $2 : 1/0):('▸') with labels left offset char -0.3,0 "
                         "tc rgb '%s' notitle",
                      blk[l], plot_colour(l));
            plot_term(f, "DAT index %zu using 5:2:($1 > 1e300 ? '∞' : sprintf('%%g', $1)) with labels "
                         "offset char 0.7,char 0.55 font ',%g' tc rgb '%s' notitle",
                      blk[l], small, plot_colour(l));
        }
    free(idx);
    return plot_fig_end(f, err);
}

/* ---- tables and text ---- */

static int check_filters(run *R, pa_err *err)
{
    const report_opts *o = R->c->o;
    char list[2048];
    for (int which = 0; which < 2; which++) {
        const char *f = which ? o->generators : o->attacks;
        if (!f || !*f)
            continue;
        for (const char *p = f; *p;) {
            const char *e = strchr(p, ',');
            size_t k = e ? (size_t)(e - p) : strlen(p);
            int found = 0;
            if (which) {
                for (size_t i = 0; i < R->nc && !found; i++)
                    found = (strlen(R->cells[i].gen) == k && !strncmp(R->cells[i].gen, p, k)) ||
                            (strlen(R->cells[i].label) == k && !strncmp(R->cells[i].label, p, k));
            } else {
                for (size_t a = 0; a < R->na && !found; a++)
                    found = strlen(R->attacks[a]) == k && !strncmp(R->attacks[a], p, k);
            }
            if (!found) {
                size_t l = 0;
                list[0] = 0;
                if (which)
                    for (size_t i = 0; i < R->nl; i++)
                        l += (size_t)snprintf(list + l, l < sizeof list ? sizeof list - l : 0, "%s%s", i ? ", " : "",
                                              R->labels[i]);
                else
                    for (size_t a = 0; a < R->na; a++)
                        l += (size_t)snprintf(list + l, l < sizeof list ? sizeof list - l : 0, "%s%s", a ? ", " : "",
                                              R->attacks[a]);
                return pa_errf(err, PA_EINPUT, "%s \"%.*s\": no such %s in this run (%s: %s)",
                               which ? "--generator" : "--attack", (int)k, p, which ? "generator" : "attack",
                               which ? "generators" : "attacks", list);
            }
            p += k + (e ? 1 : 0);
        }
    }
    return PA_OK;
}

static int tab_verdicts(run *R, FILE *md, size_t *nviol, size_t *nclaims, size_t *nraw, size_t *nuncov,
                        size_t *ngroup, pa_err *err)
{
    char heads[MAXM][48], ph[48];
    plot_col cols[8 + MAXM];
    size_t nc = 0;
    cols[nc++] = (plot_col){"generator", "generator", PLOT_TEXT, NULL};
    cols[nc++] = (plot_col){"claimed_eps", "claimed ε", PLOT_NUM, "%.3g"};
    cols[nc++] = (plot_col){"strongest_attack", "strongest attack", PLOT_TEXT, NULL};
    snprintf(ph, sizeof ph, "%s interval", method_head(R->methods[R->primary], heads[0], sizeof heads[0]));
    cols[nc++] = (plot_col){"interval", ph, PLOT_INTERVAL, "%.3g"};
    cols[nc++] = (plot_col){"p_exceeds", "P(ε > claimed)", PLOT_NUM, "%.3f"};
    for (size_t k = 0; k < R->nm; k++)
        if ((long)k != R->primary && strcmp(R->methods[k], "point")) {
            char h[48];
            if (!strcmp(R->methods[k], "profile"))
                snprintf(heads[k], sizeof heads[k], "P(outside claimed region)");
            else
                snprintf(heads[k], sizeof heads[k], "%s lower", method_head(R->methods[k], h, sizeof h));
            cols[nc++] = (plot_col){R->methods[k], heads[k], PLOT_NUM, "%.3g"};
        }
    cols[nc++] = (plot_col){"auc", "AUC", PLOT_NUM, "%.3f"};
    cols[nc++] = (plot_col){"tests", "tests", PLOT_NUM, "%.0f"};
    cols[nc++] = (plot_col){"verdict", "verdict", PLOT_TEXT, NULL};
    plot_table *t = plot_table_new("verdicts", "Empirical privacy of each setting: the strongest attack's interval",
                                   cols, nc);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    *nviol = *nclaims = *nraw = *nuncov = *ngroup = 0;
    size_t nworse = 0;
    for (size_t i = 0; i < R->nc; i++) {
        const cellinfo *w = &R->cells[i];
        size_t a = strongest(R, w->id, 0);
        const est *e = a != SIZE_MAX ? pooled(R, w->id, a, R->primary) : NULL;
        /* a claim for other neighbours than the game's: a replace-one ε says nothing about adding a
         * record (no verdict); an add/remove (ε, δ) bounds replacing one at (2ε, (1 + e^ε)δ), the
         * claim the verdict then tests (no verdict when that δ reaches 1) */
        int group2 = isfinite(w->eps) && w->claim_r1 == 0 && R->game_r1 == 1;
        int uncovered = isfinite(w->eps) && w->claim_r1 == 1 && R->game_r1 == 0;
        if (group2 && !((1 + exp(w->eps)) * cell_delta(R, w->id) < 1))
            uncovered = 1, group2 = 0;
        verdict fv = {.k = 0, .reject = SIZE_MAX};
        int rc0 = uncovered ? PA_OK : cell_violates(R, w->id, group2, &fv, err);
        if (rc0) {
            plot_table_free(t);
            return rc0;
        }
        int v = !uncovered && fv.reject != SIZE_MAX;
        *nviol += v;
        *nraw += !v && !uncovered && fv.nraw > 0;
        *nuncov += uncovered;
        *ngroup += group2;
        *nclaims += isfinite(w->eps) != 0;
        plot_table_text(t, w->label);
        plot_table_num(t, w->eps);
        plot_table_text(t, a != SIZE_MAX ? R->attacks[a] : "-");
        plot_table_interval(t, e ? e->lo : NAN, e ? e->hi : NAN);
        plot_table_num(t, e ? e->p_exc : NAN);
        for (size_t k = 0; k < R->nm; k++)
            if ((long)k != R->primary && strcmp(R->methods[k], "point")) {
                const est *x = a != SIZE_MAX ? pooled(R, w->id, a, (long)k) : NULL;
                plot_table_num(t, x ? (!strcmp(R->methods[k], "profile") ? x->p_exc : x->lo) : NAN);
            }
        plot_table_num(t, a != SIZE_MAX ? metric(R->c, w->id, R->attacks[a], "auc") : NAN);
        char vd[96], raw[48] = "";
        if (!v && fv.nraw)
            snprintf(raw, sizeof raw, " (%zu of %zu tests flag alone)", fv.nraw, fv.k);
        if (group2)
            snprintf(raw + strlen(raw), sizeof raw - strlen(raw), " against 2ε");
        snprintf(vd, sizeof vd, "%s%s%s",
                 uncovered ? (w->claim_r1 ? "not covered: claim for replace-one neighbours"
                                          : "not covered: add/remove claim, 2ε bound has δ ≥ 1")
                 : v ? "VIOLATION" : !e ? "no estimate" : isfinite(w->eps) ? "ok" : "no claim",
                 raw, e && worse_than_chance(e) ? ", worse than chance" : "");
        plot_table_num(t, fv.k ? (double)fv.k : NAN);
        nworse += e && worse_than_chance(e);
        plot_table_text(t, vd);
        plot_table_end_row(t);
    }
    int rc = plot_table_write(R->c->po, t, md, err);
    if (!rc && nworse)
        fprintf(md, "%zu setting%s marked \"worse than chance\" ha%s TPR < FPR on the test split for its strongest "
                    "attack. The point and Clopper-Pearson estimates evaluate the attack as oriented (member = high "
                    "score) and give 0 there; the Bayesian interval is the posterior mass of the whole (ε, δ) region, "
                    "which also bounds the flipped test, so it can be above 0 (docs/metrics.md).\n\n",
                nworse, nworse == 1 ? "" : "s", nworse == 1 ? "s" : "ve");
    return rc;
}

/* The GDP fit of every (cell, attack) pooled, against μ_theory = √(2ρ) where the generator accounts in
 * zCDP (the gdp_fit row's claimed column). */
static int tab_gdp(run *R, FILE *md, pa_err *err)
{
    long m = -1;
    for (size_t k = 0; k < R->nm; k++)
        if (!strcmp(R->methods[k], "gdp_fit"))
            m = (long)k;
    if (m < 0)
        return PA_OK;
    static const plot_col cols[] = {
        {"generator", "generator", PLOT_TEXT, NULL},    {"claimed_eps", "claimed ε", PLOT_NUM, "%.3g"},
        {"attack", "attack", PLOT_TEXT, NULL},          {"mu", "μ̂ (fit)", PLOT_NUM, "%.3g"},
        {"mu_interval", "μ interval", PLOT_INTERVAL, "%.3g"}, {"mu_theory", "μ_theory = √(2ρ)", PLOT_NUM, "%.3g"},
        {"ratio", "μ̂ / μ_theory", PLOT_NUM, "%.3g"},    {"ratio_lo", "μ lower / μ_theory", PLOT_NUM, "%.3g"},
    };
    plot_table *t = plot_table_new("gdp_fit", "μ of the Gaussian trade-off curve fitted to each attack's scores",
                                   cols, sizeof cols / sizeof cols[0]);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t i = 0; i < R->nc; i++) {
        const cellinfo *w = &R->cells[i];
        for (size_t a = 0; a < R->na; a++) {
            if (!R->attack_shown[a])
                continue;
            const est *e = pooled(R, w->id, a, m);
            if (!e)
                continue;
            plot_table_text(t, w->label);
            plot_table_num(t, w->eps);
            plot_table_text(t, R->attacks[a]);
            plot_table_num(t, e->point);
            plot_table_interval(t, e->lo, e->hi);
            plot_table_num(t, e->claimed);
            plot_table_num(t, e->claimed > 0 ? e->point / e->claimed : NAN);
            plot_table_num(t, e->claimed > 0 ? e->lo / e->claimed : NAN);
            plot_table_end_row(t);
        }
    }
    int rc = plot_table_write(R->c->po, t, md, err);
    if (!rc && md)
        fprintf(md, "μ̂ = √2·Φ⁻¹(AUC) over all games, with the DeLong interval at the audit's level "
                    "(docs/estimators.md): a summary of the whole ROC that assumes its binormal shape, never a "
                    "violation by itself; μ_theory is shown where the generator accounts in zCDP.\n\n");
    return rc;
}

/* attacks: every (cell, attack) pooled: each metric stored, each method's interval */
static int tab_attacks(run *R, FILE *md, pa_err *err)
{
    report_ctx *c = R->c;
    sqlite3_stmt *s;
    char mnames[16][32];
    size_t nmet = 0;
    int rc = rk_prepare(c, "SELECT name FROM metric GROUP BY name ORDER BY min(rowid)", &s, err);
    if (rc)
        return rc;
    while (sqlite3_step(s) == SQLITE_ROW && nmet < 16)
        if (strcmp(rk_text(s, 0), "threshold"))
            snprintf(mnames[nmet++], sizeof mnames[0], "%s", rk_text(s, 0));
    sqlite3_finalize(s);
    plot_col cols[4 + 16 + MAXM];
    char heads[16 + MAXM][48];
    size_t nc = 0;
    cols[nc++] = (plot_col){"generator", "generator", PLOT_TEXT, NULL};
    cols[nc++] = (plot_col){"claimed_eps", "claimed ε", PLOT_NUM, "%.3g"};
    cols[nc++] = (plot_col){"attack", "attack", PLOT_TEXT, NULL};
    for (size_t k = 0; k < nmet; k++) {
        if (!strcmp(mnames[k], "auc"))
            snprintf(heads[k], sizeof heads[k], "AUC");
        else if (!strncmp(mnames[k], "tpr@", 4))
            snprintf(heads[k], sizeof heads[k], "TPR at FPR %s", mnames[k] + 4);
        else
            snprintf(heads[k], sizeof heads[k], "%.40s", mnames[k]);
        cols[nc++] = (plot_col){mnames[k], heads[k], PLOT_NUM, "%.3f"};
    }
    for (size_t k = 0; k < R->nm; k++) {
        method_head(R->methods[k], heads[16 + k], sizeof heads[0]);
        cols[nc++] = (plot_col){R->methods[k], heads[16 + k], !strcmp(R->methods[k], "point") ? PLOT_NUM
                                                                                              : PLOT_INTERVAL,
                                "%.3g"};
    }
    plot_table *t = plot_table_new("attacks", "Every attack on every setting, pooled over targets", cols, nc);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t i = 0; i < R->nc; i++)
        for (size_t a = 0; a < R->na; a++) {
            const cellinfo *w = &R->cells[i];
            int any = 0;
            for (size_t k = 0; k < R->nm; k++)
                any |= pooled(R, w->id, a, (long)k) != NULL;
            if (!any)
                continue;
            plot_table_text(t, w->label);
            plot_table_num(t, w->eps);
            plot_table_text(t, R->attacks[a]);
            for (size_t k = 0; k < nmet; k++)
                plot_table_num(t, metric(c, w->id, R->attacks[a], mnames[k]));
            for (size_t k = 0; k < R->nm; k++) {
                const est *e = pooled(R, w->id, a, (long)k);
                if (!strcmp(R->methods[k], "point"))
                    plot_table_num(t, e ? e->lo : NAN);
                else
                    plot_table_interval(t, e ? e->lo : NAN, e ? e->hi : NAN);
            }
            plot_table_end_row(t);
        }
    return plot_table_write(c->po, t, md, err);
}

/* estimates: every stored row, long format (CSV and LaTeX only) */
static int tab_estimates(run *R, pa_err *err)
{
    static const plot_col cols[] = {
        {"generator", "generator", PLOT_TEXT, NULL}, {"claimed_eps", "claimed ε", PLOT_NUM, "%.3g"},
        {"attack", "attack", PLOT_TEXT, NULL},       {"target", "target", PLOT_TEXT, NULL},
        {"method", "method", PLOT_TEXT, NULL},       {"eps", "ε interval", PLOT_INTERVAL, "%.3g"},
        {"p_exceeds", "P(ε > claimed)", PLOT_NUM, "%.3f"},
        {"tp", "TP", PLOT_NUM, "%.0f"},              {"fn", "FN", PLOT_NUM, "%.0f"},
        {"fp", "FP", PLOT_NUM, "%.0f"},              {"tn", "TN", PLOT_NUM, "%.0f"},
        {"violation", "violation", PLOT_NUM, "%.0f"},
    };
    plot_table *t = plot_table_new("estimates", "Every estimate stored (test split; target all = pooled)", cols,
                                   sizeof cols / sizeof cols[0]);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    char tg[32];
    for (size_t i = 0; i < R->ne; i++) {
        const est *e = &R->e[i];
        const cellinfo *w = cell_of(R, e->cell);
        plot_table_text(t, w ? w->label : "?");
        plot_table_num(t, w ? w->eps : e->claimed);
        plot_table_text(t, R->attacks[e->attack]);
        snprintf(tg, sizeof tg, "%lld", e->target);
        plot_table_text(t, e->target < 0 ? "all" : tg);
        plot_table_text(t, R->methods[e->method]);
        plot_table_interval(t, e->lo, e->hi);
        plot_table_num(t, e->p_exc);
        plot_table_num(t, e->tp);
        plot_table_num(t, e->fn);
        plot_table_num(t, e->fp);
        plot_table_num(t, e->tn);
        plot_table_num(t, e->viol);
        plot_table_end_row(t);
    }
    return plot_table_write(R->c->po, t, NULL, err);
}

/* per target: the targets, then the primary row of each (cell, attack, target) */
static int tab_targets(run *R, FILE *md, size_t *ntargets, pa_err *err)
{
    report_ctx *c = R->c;
    sqlite3_stmt *s;
    *ntargets = 0;
    static const plot_col tc[] = {{"target", "target", PLOT_TEXT, NULL},
                                  {"row", "row of the data", PLOT_TEXT, NULL},
                                  {"how", "chosen as", PLOT_TEXT, NULL},
                                  {"isolation", "isolation", PLOT_NUM, "%.3g"}};
    plot_table *t = plot_table_new("targets", "Challenge targets", tc, 4);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    int rc = rk_prepare(c, "SELECT id, row, how, isolation FROM target ORDER BY id", &s, err);
    if (rc) {
        plot_table_free(t);
        return rc;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        plot_table_text(t, rk_text(s, 0));
        plot_table_text(t, sqlite3_column_type(s, 1) == SQLITE_NULL || sqlite3_column_int64(s, 1) < 0
                               ? "-"
                               : rk_text(s, 1));
        plot_table_text(t, rk_text(s, 2));
        plot_table_num(t, rk_real(s, 3));
        plot_table_end_row(t);
        (*ntargets)++;
    }
    sqlite3_finalize(s);
    if ((rc = plot_table_write(c->po, t, md, err)))
        return rc;
    if (*ntargets < 2 || R->primary < 0)
        return PA_OK;
    char h[48], ph[64];
    snprintf(ph, sizeof ph, "%s interval", method_head(R->methods[R->primary], h, sizeof h));
    const plot_col cols[] = {
        {"generator", "generator", PLOT_TEXT, NULL}, {"claimed_eps", "claimed ε", PLOT_NUM, "%.3g"},
        {"attack", "attack", PLOT_TEXT, NULL},       {"target", "target", PLOT_TEXT, NULL},
        {"interval", ph, PLOT_INTERVAL, "%.3g"},     {"p_exceeds", "P(ε > claimed)", PLOT_NUM, "%.3f"},
        {"tp", "TP", PLOT_NUM, "%.0f"},              {"fn", "FN", PLOT_NUM, "%.0f"},
        {"fp", "FP", PLOT_NUM, "%.0f"},              {"tn", "TN", PLOT_NUM, "%.0f"},
        {"flag", "flag", PLOT_TEXT, NULL},
    };
    t = plot_table_new("per_target", "The primary estimate for each target", cols, sizeof cols / sizeof cols[0]);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    char tg[32];
    for (size_t i = 0; i < R->ne; i++) {
        const est *e = &R->e[i];
        if ((long)e->method != R->primary || e->target < 0)
            continue;
        const cellinfo *w = cell_of(R, e->cell);
        plot_table_text(t, w ? w->label : "?");
        plot_table_num(t, w ? w->eps : e->claimed);
        plot_table_text(t, R->attacks[e->attack]);
        snprintf(tg, sizeof tg, "%lld", e->target);
        plot_table_text(t, tg);
        plot_table_interval(t, e->lo, e->hi);
        plot_table_num(t, e->p_exc);
        plot_table_num(t, e->tp);
        plot_table_num(t, e->fn);
        plot_table_num(t, e->fp);
        plot_table_num(t, e->tn);
        plot_table_text(t, e->viol ? (worse_than_chance(e) ? "VIOLATION, worse than chance" : "VIOLATION")
                                   : (worse_than_chance(e) ? "ok, worse than chance" : "ok"));
        plot_table_end_row(t);
    }
    return plot_table_write(c->po, t, md, err);
}

static int tab_utility(run *R, const ucell *u, FILE *md, pa_err *err)
{
    plot_col cols[5 + NUTIL];
    size_t nc = 0;
    int have[NUTIL] = {0};
    for (size_t i = 0; i < R->nc; i++)
        for (int m = 0; m < NUTIL; m++)
            have[m] |= !isnan(u[i].mean[m]);
    cols[nc++] = (plot_col){"generator", "generator", PLOT_TEXT, NULL};
    cols[nc++] = (plot_col){"claimed_eps", "claimed ε", PLOT_NUM, "%.3g"};
    cols[nc++] = (plot_col){"releases", "releases", PLOT_NUM, "%.0f"};
    for (int m = 0; m < NUTIL; m++)
        if (have[m])
            cols[nc++] = (plot_col){util_names[m], util_heads[m], PLOT_PM, "%.4f"};
    cols[nc++] = (plot_col){"strongest_attack", "strongest attack", PLOT_TEXT, NULL};
    cols[nc++] = (plot_col){"empirical_eps", "its ε interval", PLOT_INTERVAL, "%.3g"};
    plot_table *t = plot_table_new("utility", "Utility of the releases (mean ± standard error over the trials)",
                                   cols, nc);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t i = 0; i < R->nc; i++) {
        const cellinfo *w = &R->cells[i];
        long long rel = 0;
        for (int m = 0; m < NUTIL; m++)
            rel = u[i].n[m] > rel ? u[i].n[m] : rel;
        size_t a = strongest(R, w->id, 0);
        const est *e = a != SIZE_MAX ? pooled(R, w->id, a, R->primary) : NULL;
        plot_table_text(t, w->label);
        plot_table_num(t, w->eps);
        plot_table_num(t, (double)rel);
        for (int m = 0; m < NUTIL; m++)
            if (have[m])
                plot_table_interval(t, u[i].mean[m], u[i].se[m]);
        plot_table_text(t, a != SIZE_MAX ? R->attacks[a] : "-");
        plot_table_interval(t, e ? e->lo : NAN, e ? e->hi : NAN);
        plot_table_end_row(t);
    }
    return plot_table_write(R->c->po, t, md, err);
}

static int tab_trials(run *R, FILE *md, pa_err *err)
{
    static const plot_col cols[] = {{"generator", "generator", PLOT_TEXT, NULL},
                                    {"claimed_eps", "claimed ε", PLOT_NUM, "%.3g"},
                                    {"planned", "trials planned", PLOT_NUM, "%.0f"},
                                    {"stored", "stored", PLOT_NUM, "%.0f"},
                                    {"ok", "ok", PLOT_NUM, "%.0f"},
                                    {"failed", "failed", PLOT_NUM, "%.0f"}};
    plot_table *t = plot_table_new("trials", "Trials of each setting", cols, 6);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t i = 0; i < R->nc; i++) {
        const cellinfo *w = &R->cells[i];
        plot_table_text(t, w->label);
        plot_table_num(t, w->eps);
        plot_table_num(t, (double)w->planned);
        plot_table_num(t, (double)w->stored);
        plot_table_num(t, (double)w->ok);
        plot_table_num(t, (double)w->failed);
        plot_table_end_row(t);
    }
    return plot_table_write(R->c->po, t, md, err);
}

static int tab_timings(run *R, FILE *md, pa_err *err)
{
    static const plot_col cols[] = {{"generator", "generator", PLOT_TEXT, NULL},
                                    {"claimed_eps", "claimed ε", PLOT_NUM, "%.3g"},
                                    {"fit_s", "fit (s)", PLOT_NUM, "%.3g"},
                                    {"sample_s", "sample (s)", PLOT_NUM, "%.3g"},
                                    {"attack_s", "attacks (s)", PLOT_NUM, "%.3g"}};
    plot_table *t = plot_table_new("timings", "Mean seconds per trial (machine-dependent)", cols, 5);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t i = 0; i < R->nc; i++) {
        const cellinfo *w = &R->cells[i];
        plot_table_text(t, w->label);
        plot_table_num(t, w->eps);
        plot_table_num(t, w->fit_s);
        plot_table_num(t, w->sample_s);
        plot_table_num(t, w->attack_s);
        plot_table_end_row(t);
    }
    return plot_table_write(R->c->po, t, md, err);
}

static void selection_note(run *R, FILE *f)
{
    const report_opts *o = R->c->o;
    if ((o->attacks && *o->attacks) || (o->generators && *o->generators))
        fprintf(f, "Figures restricted to%s%s%s%s%s (tables list every setting).\n\n",
                o->attacks && *o->attacks ? " attacks " : "", o->attacks && *o->attacks ? o->attacks : "",
                o->attacks && *o->attacks && o->generators && *o->generators ? " and" : "",
                o->generators && *o->generators ? " generators " : "",
                o->generators && *o->generators ? o->generators : "");
}

static int run_write(report_ctx *c, pa_err *err)
{
    run R = {.c = c};
    ucell *u = NULL;
    int rc = load(&R, err);
    if (!rc)
        rc = check_filters(&R, err);
    if (rc)
        goto out;
    u = calloc(R.nc + 1, sizeof *u);
    if (!u) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = load_utility(&R, u, err)))
        goto out;
    /* the utility metric */
    int um = -1;
    double uscore = -1;
    if (c->o->utility && *c->o->utility) {
        for (int m = 0; m < NUTIL; m++)
            if (!strcmp(c->o->utility, util_names[m]))
                um = m;
        if (um < 0) {
            rc = pa_errf(err, PA_EINPUT, "--utility %s: expected tvd1, tvd2, tvd3, tstr_acc or tstr_auc",
                         c->o->utility);
            goto out;
        }
        int stored = 0;
        for (size_t i = 0; i < R.nc; i++)
            stored |= !isnan(u[i].mean[um]);
        if (!stored) {
            char list[128] = "";
            size_t l = 0;
            for (int m = 0; m < NUTIL; m++) {
                int any = 0;
                for (size_t i = 0; i < R.nc; i++)
                    any |= !isnan(u[i].mean[m]);
                if (any)
                    l += (size_t)snprintf(list + l, sizeof list - l, "%s%s", l ? ", " : "", util_names[m]);
            }
            rc = pa_errf(err, PA_EINPUT, "--utility %s: not stored in this run (stored: %s)", c->o->utility,
                         l ? list : "none; the config's \"utility\" asks for them");
            goto out;
        }
    } else {
        um = util_pick(&R, u, &uscore);
    }
    FILE *H = c->head, *B = c->body;
    long long missing = R.planned - R.stored;
    size_t nviol = 0, nclaims = 0, nraw = 0, nuncov = 0, ngroup = 0, ntargets = 0;
    /* ---- head: verdict ---- */
    fprintf(H, "## Membership inference: verdict\n\n");
    fprintf(H, "Experiment `%s` (`privaudit run`)%s%s%s: %zu setting%s, %zu attack%s.\n\n", R.name,
            R.game[0] ? ", game: " : "", R.game, R.game[0] ? " (docs/metrics.md)" : "", R.nc, R.nc == 1 ? "" : "s",
            R.na, R.na == 1 ? "" : "s");
    if (missing > 0) {
        c->res->incomplete = 1;
        c->res->trials_planned = R.planned;
        c->res->trials_stored = R.stored;
        snprintf(c->res->resume, sizeof c->res->resume,
                 "privaudit run CONFIG --db %s --resume (CONFIG: the config it was started with; its text is "
                 "stored in the database: sqlite3 %s \"SELECT config_json FROM experiment\")",
                 c->db_path, c->db_path);
        fprintf(H, "**This run is incomplete: %lld of %lld planned trials are stored, %lld are missing.** %s To "
                   "finish it, run the config it was started with again with `--resume`: `privaudit run CONFIG "
                   "--db %s --resume` (the config's text is stored in the database: `sqlite3 %s \"SELECT "
                   "config_json FROM experiment\"`).\n\n",
                R.stored, R.planned, missing,
                R.ne ? "The estimates below are those of an earlier complete pass and may not match the stored "
                       "trials."
                     : "No estimate is drawn: privaudit estimates ε once every trial is stored.",
                c->db_path, c->db_path);
    }
    if (R.failed > 0)
        fprintf(H, "%lld of the %lld stored trials failed (table `trial`, column `error`); the estimates use the "
                   "others.\n\n",
                R.failed, R.stored);
    if (R.primary >= 0 && R.ne) {
        char *vbuf = NULL;
        size_t vlen = 0;
        FILE *vf = open_memstream(&vbuf, &vlen);
        if (!vf) {
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
            goto out;
        }
        rc = tab_verdicts(&R, vf, &nviol, &nclaims, &nraw, &nuncov, &ngroup, err);
        fclose(vf);
        if (rc) {
            free(vbuf);
            goto out;
        }
        /* the profile test flags too where it was run (zCDP or GDP accounting): the sentence names both */
        int has_profile = 0;
        for (size_t i = 0; i < R.ne && !has_profile; i++)
            has_profile = !strcmp(R.methods[R.e[i].method], "profile");
        if (nviol)
            fprintf(H, "**%zu of %zu settings with a claimed ε violate it**: an attack's %s lower bound on ε lies "
                       "above the claim%s, at a level corrected for the number of tests of the setting — a bug in "
                       "the generator or in its accounting (for a claim an `external` program declares, which privaudit "
                       "cannot check, the declaration is false).\n\n",
                    nviol, nclaims, method_word(R.methods[R.primary]),
                    has_profile ? ", or the profile test finds its operating point outside the claimed region" : "");
        else if (nclaims && nuncov == nclaims)
            fprintf(H, "**No setting's claim covers this game**, so none gets a verdict (below).\n\n");
        else
            fprintf(H, "**No setting violates its claimed ε**: no attack's %s lower bound on ε lies above the "
                       "claim%s, at one-sided level %g corrected for the number of tests of the setting. That "
                       "bounds what these attacks, targets and games could show; it is no certificate that a "
                       "claim holds (docs/audit-games.md, \"Reading a lower bound far below the claim\").\n\n",
                    method_word(R.methods[R.primary]),
                    has_profile ? ", and no profile test finds an operating point outside the claimed region" : "",
                    isnan(R.alpha) ? 0.05 : 1 - R.alpha / 2);
        fprintf(H, "A setting's verdict weighs all of its tests together — every attack, pooled and per target, "
                   "by the %s bound%s (column \"tests\": k): it is VIOLATION when one of them rejects at level "
                   "α/(2k) (Bonferroni; the Bayesian test by the edges of the claim's region), so a correct "
                   "generator is flagged with probability at most α/2 = %g however many attacks and targets the "
                   "run has (docs/metrics.md). The per-test flags in the tables below are at level α/2 each.%s\n\n",
                method_word(R.methods[R.primary]), has_profile ? " and the profile test" : "",
                isnan(R.alpha) ? 0.025 : R.alpha / 2,
                nraw ? " Settings marked \"tests flag alone\" have a test that flags at its own level but not "
                       "after the correction: expected now and then from a correct generator, worth more games." : "");
        if (nuncov)
            fprintf(H, "**%zu setting%s not covered by %s claim**: %s Such a setting gets no verdict. Play it "
                       "with \"neighbours\": \"%s\" (docs/audit-games.md).\n\n",
                    nuncov, nuncov == 1 ? " is" : "s are", nuncov == 1 ? "its" : "their",
                    R.game_r1 ? "the generator states an add/remove claim whose replace-one consequence (2ε, "
                                "(1 + e^ε)δ) has δ ≥ 1 and says nothing."
                              : "the generator states its ε for replace-one neighbours, but the games were played "
                                "with add/remove neighbours (config field \"neighbours\"); a replace-one claim "
                                "says nothing about adding or removing a record.",
                    R.game_r1 ? "add-remove" : "replace-one");
        if (ngroup)
            fprintf(H, "%zu setting%s an add/remove claim played in a replace-one game: %s verdict tests what the "
                       "claim implies for replacing a record, (2ε, (1 + e^ε)δ) by group privacy (marked \"against "
                       "2ε\"; the profile test, stored against ρ, is left out).\n\n",
                    ngroup, ngroup == 1 ? " has" : "s have", ngroup == 1 ? "its" : "their");
        size_t neps = 0;
        for (size_t i = 0; i < R.nc; i++)
            neps += (size_t)R.cells[i].eps_only;
        if (neps)
            fprintf(H, "%zu `external` setting%s declare%s only (ε, δ): %s tested at that one point, where a "
                       "program whose Gaussian noise is an order of magnitude too small can pass thousands of games. "
                       "If the program accounts in zCDP, declare its `rho` (and `\"gaussian_only\": true` when every "
                       "measurement is Gaussian) to have it tested against its whole privacy profile "
                       "(docs/generators.md).\n\n",
                    neps, neps == 1 ? "" : "s", neps == 1 ? "s" : "", neps == 1 ? "it is" : "they are");
        fwrite(vbuf, 1, vlen, H);
        rk_tty_table(c, vbuf, vlen);
        free(vbuf);
        if (nviol)
            fprintf(H, "A setting is also flagged when the profile test finds the attack's operating point outside "
                       "the region its accounting allows at every ε (ρ-zCDP, or μ-GDP for Gaussian-only generators; "
                       "for an `external` program, the ρ it declares; column \"P(outside claimed region)\", "
                       "docs/metrics.md).\n\n");
        if ((rc = tab_gdp(&R, H, err)))
            goto out;
    }
    if (rk_figures_on(c) && R.primary >= 0 && R.ne)
        rc = rk_figure(c, fig_eps(&R, err), err);
    if (rc)
        goto out;
    if (R.primary >= 0 && R.ne) {
        selection_note(&R, H);
        rk_md_figure(c, H, "eps",
                     "Empirical ε of every attack against the claimed ε, one panel per generator: the bar is the "
                     "credible interval, the marker its lower end (the audit's lower bound); a marker above the "
                     "claim's black segment flags at its own level (the verdict corrects for the number of tests). ∞ = "
                     "non-private, on its own slot past the break.");
    }
    /* ---- body ---- */
    if (um >= 0) {
        fprintf(B, "## Membership inference: privacy and utility\n\n");
        if (c->o->utility && *c->o->utility)
            fprintf(B, "Utility: %s (--utility).", util_long[um]);
        else
            fprintf(B, "Utility: %s, the stored metric that best separates the settings (range of the means %.3g "
                       "standard errors; `--utility` chooses another).",
                    util_long[um], uscore);
        fprintf(B, " Each point is the mean over the releases of a setting, its bar ± one standard error; on the "
                   "right, against the interval of the strongest attack (the number beside each point: its claimed "
                   "ε).\n\n");
        double rmean[NUTIL], rse[NUTIL];
        load_reference(&R, rmean, rse);
        if (!isnan(rmean[um]))
            fprintf(B, "Real-data reference (dashed): the same classifier trained on the real training sets, "
                       "%.4f ± %.4f.\n\n",
                    rmean[um], isnan(rse[um]) ? 0 : rse[um]);
        if (rk_figures_on(c) && (rc = rk_figure(c, fig_utility(&R, u, um, rmean[um], err), err)))
            goto out;
        rk_md_figure(c, B, "utility", "Privacy-utility of every generator.");
        if ((rc = tab_utility(&R, u, B, err)))
            goto out;
    }
    if (R.ne) {
        fprintf(B, "## Membership inference: attacks side by side\n\n");
        if ((rc = tab_attacks(&R, B, err)) || (rc = tab_estimates(&R, err)))
            goto out;
        fprintf(B, "Every estimate stored, per target too: `estimates.csv`, `estimates.tex`.\n\n");
    }
    if (rk_figures_on(c) && ((rc = rk_figure(c, fig_roc(&R, 0, err), err)) ||
                             (rc = rk_figure(c, fig_roc(&R, 1, err), err))))
        goto out;
    selection_note(&R, B);
    rk_md_figure(c, B, "roc",
                 "ROC of every attack pooled over targets and games, one panel per setting; the best attack "
                 "(largest AUC) drawn thick.");
    rk_md_figure(c, B, "roc-log", "The same on log-log axes: the low false-positive region, down to the smallest rate the run's scores resolve (about 1/N for N non-members; rates of 0 not shown).");
    size_t np = 0, ntot = 0;
    if (rk_figures_on(c) && (rc = rk_figure(c, fig_posterior(&R, &np, &ntot, err), err)))
        goto out;
    if (np) {
        fprintf(B, "## Membership inference: posterior of ε\n\n");
        if (np < ntot)
            fprintf(B, "The first %zu of the %zu settings with a finite claim (in the order of the tables).\n\n", np,
                    ntot);
        rk_md_figure(c, B, "posterior",
                     "Posterior density of ε (joint-beta posterior of the test-split counts, pooled over targets) "
                     "for every setting with a finite claim and every attack; shaded: the strongest attack's "
                     "credible interval; dashed: the claimed ε.");
    }
    fprintf(B, "## Membership inference: per target\n\n");
    if ((rc = tab_targets(&R, B, &ntargets, err)))
        goto out;
    /* ---- provenance ---- */
    char e[32];
    fprintf(c->prov, "- membership run `%s`: code version `%s`, config hash `%s`, data `%s` (hash `%s`), seed %s%s%s\n",
            R.name, R.version, R.cfgh, R.dpath, R.datah, R.seed, R.game[0] ? ", game " : "", R.game);
    fprintf(c->prov, "- trials: %lld planned, %lld stored (%lld ok, %lld failed)%s\n\n", R.planned, R.stored, R.ok,
            R.failed, missing > 0 ? " — **incomplete**" : ", complete");
    if ((rc = tab_trials(&R, c->prov, err)))
        goto out;
    (void)e;
    fprintf(c->timing, "- membership run: started %s\n\n", R.created[0] ? R.created : "-");
    rc = tab_timings(&R, c->timing, err);
out:
    free(u);
    free(R.cells);
    free(R.e);
    return rc;
}

const report_kind report_kind_run = {REPORT_KIND_RUN, "membership run", run_present, run_write};
