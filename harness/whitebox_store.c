/* whitebox_store.c — the white-box audit's SQLite tables (see whitebox_store.h). */
#include "harness/whitebox_store.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

static const char *const wb_schema =
    "CREATE TABLE IF NOT EXISTS whitebox_audit("
    " id INTEGER PRIMARY KEY, epsilon REAL NOT NULL, delta REAL NOT NULL, threat TEXT NOT NULL,"
    " canary TEXT NOT NULL, bug TEXT NOT NULL, runs INTEGER NOT NULL, steps INTEGER NOT NULL,"
    " q REAL NOT NULL, clip REAL NOT NULL, canaries INTEGER NOT NULL, n INTEGER NOT NULL,"
    " d_live INTEGER NOT NULL, hidden INTEGER NOT NULL, lr REAL NOT NULL, cal_frac REAL NOT NULL,"
    " alpha REAL NOT NULL, seed TEXT NOT NULL, jobs INTEGER NOT NULL,"
    " sigma REAL, eps_theory REAL, eps_prv REAL, auc REAL, tpr_at_001 REAL, threshold REAL,"
    " tp REAL, fn REAL, fp REAL, tn REAL, p_exceeds REAL, violation INTEGER NOT NULL,"
    " one_run_m REAL, one_run_r REAL, one_run_v REAL, one_run_eps REAL, seconds REAL,"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
    "CREATE TABLE IF NOT EXISTS whitebox_estimate("
    " audit_id INTEGER NOT NULL REFERENCES whitebox_audit(id), method TEXT NOT NULL,"
    " lo REAL, hi REAL, alpha REAL NOT NULL, delta REAL NOT NULL, claimed REAL NOT NULL,"
    " violation INTEGER NOT NULL, PRIMARY KEY (audit_id, method));"
    "CREATE TABLE IF NOT EXISTS whitebox_score("
    " audit_id INTEGER NOT NULL REFERENCES whitebox_audit(id), run INTEGER NOT NULL,"
    " canary INTEGER NOT NULL, split TEXT NOT NULL CHECK (split IN ('calibration','test')),"
    " member INTEGER NOT NULL CHECK (member IN (0,1)), score REAL NOT NULL,"
    " PRIMARY KEY (audit_id, run, canary));";

static int fail(sqlite3 *db, pa_err *err, const char *what)
{
    return pa_errf(err, PA_EIO, "whitebox store: %s: %s", what, sqlite3_errmsg(db));
}

int wbstore_init(store *st, pa_err *err)
{
    sqlite3 *db = store_db(st);
    if (sqlite3_exec(db, wb_schema, NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, err, "creating tables whitebox_audit/whitebox_estimate/whitebox_score");
    return PA_OK;
}

/* Binds a double, or NULL when it is not finite (SQLite has no infinity in
 * every client; an infinite upper end reads back as NULL). */
static void bind_num(sqlite3_stmt *s, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

static int put_audit(sqlite3 *db, const wb_cfg *c, const wb_result *r, int64_t *id, pa_err *err)
{
    sqlite3_stmt *s;
    const char *sql =
        "INSERT INTO whitebox_audit(epsilon, delta, threat, canary, bug, runs, steps, q, clip,"
        " canaries, n, d_live, hidden, lr, cal_frac, alpha, seed, jobs, sigma, eps_theory, eps_prv,"
        " auc, tpr_at_001, threshold, tp, fn, fp, tn, p_exceeds, violation, one_run_m, one_run_r,"
        " one_run_v, one_run_eps, seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
        "?,?,?,?,?,?,?,?,?,?,?,?)";
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return fail(db, err, "preparing whitebox_audit insert");
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, c->seed);
    int i = 1;
    sqlite3_bind_double(s, i++, c->epsilon);
    sqlite3_bind_double(s, i++, c->delta);
    sqlite3_bind_text(s, i++, wb_threat_name(c->threat), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, wb_canary_name(c->canary), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, wb_bug_name(c->bug), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, i++, (sqlite3_int64)c->runs);
    sqlite3_bind_int64(s, i++, (sqlite3_int64)c->steps);
    sqlite3_bind_double(s, i++, c->q);
    sqlite3_bind_double(s, i++, c->clip);
    sqlite3_bind_int64(s, i++, (sqlite3_int64)c->canaries);
    sqlite3_bind_int64(s, i++, (sqlite3_int64)c->n);
    sqlite3_bind_int64(s, i++, (sqlite3_int64)c->d_live);
    sqlite3_bind_int64(s, i++, (sqlite3_int64)c->hidden);
    sqlite3_bind_double(s, i++, c->lr);
    sqlite3_bind_double(s, i++, c->cal_frac);
    sqlite3_bind_double(s, i++, c->alpha);
    sqlite3_bind_text(s, i++, seed, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, i++, (sqlite3_int64)c->jobs);
    const double v[] = {r->sigma, r->eps_theory, r->eps_prv, r->auc, r->tpr_at_001, r->threshold,
                        r->counts.tp, r->counts.fn, r->counts.fp, r->counts.tn, r->p_exceeds};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
        bind_num(s, i++, v[k]);
    sqlite3_bind_int(s, i++, r->violation);
    const double w[] = {r->one_run_m, r->one_run_r, r->one_run_v, r->one_run_eps, r->seconds};
    for (size_t k = 0; k < sizeof w / sizeof w[0]; k++)
        bind_num(s, i++, w[k]);
    int rc = sqlite3_step(s) == SQLITE_DONE ? PA_OK : fail(db, err, "whitebox_audit insert");
    sqlite3_finalize(s);
    if (!rc)
        *id = (int64_t)sqlite3_last_insert_rowid(db);
    return rc;
}

static int put_estimates(sqlite3 *db, const wb_cfg *c, const wb_result *r, int64_t id, pa_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "INSERT INTO whitebox_estimate(audit_id, method, lo, hi, alpha, delta,"
                               " claimed, violation) VALUES (?,?,?,?,?,?,?,?)", -1, &s, NULL) != SQLITE_OK)
        return fail(db, err, "preparing whitebox_estimate insert");
    /* gdp_fit is in units of μ, not ε: its claimed is μ_theory (NULL for q < 1), never a violation */
    const struct { const char *m; double lo, hi, claimed; int flag; } e[] = {
        {"point", r->point, r->point, c->epsilon, 1},
        {"bayes", r->bayes_lo, r->bayes_hi, c->epsilon, 1},
        {"clopper_pearson", r->cp_lo, r->cp_hi, c->epsilon, 1},
        {"jeffreys", r->jeff_lo, r->jeff_hi, c->epsilon, 1},
        {"gdp", r->gdp_eps, INFINITY, c->epsilon, 1},
        {"one_run", r->one_run_eps, INFINITY, c->epsilon, 1},
        {"gdp_fit", r->fit_lo, r->fit_hi, r->mu_theory, 0},
    };
    int rc = PA_OK;
    for (size_t k = 0; !rc && k < sizeof e / sizeof e[0]; k++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, e[k].m, -1, SQLITE_STATIC);
        bind_num(s, 3, e[k].lo);
        bind_num(s, 4, e[k].hi);
        sqlite3_bind_double(s, 5, c->alpha);
        sqlite3_bind_double(s, 6, c->delta);
        bind_num(s, 7, e[k].claimed);
        sqlite3_bind_int(s, 8, e[k].flag && e[k].lo > c->epsilon);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = fail(db, err, "whitebox_estimate insert");
    }
    sqlite3_finalize(s);
    return rc;
}

/* Rows per INSERT: one statement binding WB_BATCH rows at a time costs a
 * fraction of WB_BATCH single-row steps (6 parameters a row, far below
 * SQLite's 32766). */
#define WB_BATCH 256

static int put_scores(sqlite3 *db, const wb_cfg *c, const wb_result *r, int64_t id, pa_err *err)
{
    /* "INSERT ... VALUES (?,?,?,?,?,?),(...)" for a full batch and, once, for the rest */
    char *sql = malloc(96 + (size_t)WB_BATCH * 14);
    if (!sql)
        return pa_errf(err, PA_ENOMEM, "whitebox store: out of memory");
    sqlite3_stmt *full = NULL, *part = NULL;
    size_t K = c->canaries, n = r->nobs, rest = n % WB_BATCH;
    int rc = PA_OK;
    for (int which = 0; which < 2 && !rc; which++) {
        size_t rows = which == 0 ? WB_BATCH : rest;
        if (rows == 0)
            continue;
        size_t len = (size_t)sprintf(sql, "INSERT INTO whitebox_score(audit_id, run, canary, split, member, score)"
                                          " VALUES ");
        for (size_t k = 0; k < rows; k++)
            len += (size_t)sprintf(sql + len, "%s(?,?,?,?,?,?)", k ? "," : "");
        if (sqlite3_prepare_v2(db, sql, (int)len, which == 0 ? &full : &part, NULL) != SQLITE_OK)
            rc = fail(db, err, "preparing whitebox_score insert");
    }
    free(sql);
    for (size_t i0 = 0; !rc && i0 < n; i0 += WB_BATCH) {
        size_t rows = n - i0 < WB_BATCH ? n - i0 : WB_BATCH;
        sqlite3_stmt *s = rows == WB_BATCH ? full : part;
        sqlite3_reset(s);
        for (size_t k = 0; k < rows; k++) {
            size_t i = i0 + k;
            int b = (int)(6 * k);
            sqlite3_bind_int64(s, b + 1, id);
            sqlite3_bind_int64(s, b + 2, (sqlite3_int64)(i / K));
            sqlite3_bind_int64(s, b + 3, (sqlite3_int64)(i % K));
            sqlite3_bind_text(s, b + 4, r->is_cal[i] ? "calibration" : "test", -1, SQLITE_STATIC);
            sqlite3_bind_int(s, b + 5, r->member[i]);
            sqlite3_bind_double(s, b + 6, r->score[i]);
        }
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = fail(db, err, "whitebox_score insert");
    }
    sqlite3_finalize(full);
    sqlite3_finalize(part);
    return rc;
}

int wbstore_put(store *st, const wb_cfg *cfg, const wb_result *res, int64_t *audit_id, pa_err *err)
{
    sqlite3 *db = store_db(st);
    int64_t id = -1;
    int rc = wbstore_init(st, err);
    if (rc)
        return rc;
    /* The score rows reference the audit row written in the same
     * transaction, so their foreign-key check (one index probe per row,
     * a third of the insert time for 10^6 scores) is skipped: the pragma
     * applies outside transactions only, and is restored after. */
    sqlite3_exec(db, "PRAGMA foreign_keys=OFF", NULL, NULL, NULL);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = fail(db, err, "BEGIN");
        sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
        return rc;
    }
    if (!(rc = put_audit(db, cfg, res, &id, err)) && !(rc = put_estimates(db, cfg, res, id, err))
        && !(rc = put_scores(db, cfg, res, id, err))) {
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            rc = fail(db, err, "COMMIT");
    }
    if (rc)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    else if (audit_id)
        *audit_id = id;
    sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
    return rc;
}
