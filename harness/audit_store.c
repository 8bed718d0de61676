/* audit_store.c — the release audit's tables; see audit_store.h and
 * docs/audit.md (column by column). NaN is stored as NULL. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/version.h"
#include "harness/audit_store.h"

static const char *const SCHEMA_SQL =
    "CREATE TABLE IF NOT EXISTS audit("
    " id INTEGER PRIMARY KEY, format TEXT NOT NULL,"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    " code_version TEXT NOT NULL, real_path TEXT NOT NULL, real_hash TEXT NOT NULL, real_rows INTEGER NOT NULL,"
    " synth_path TEXT NOT NULL, synth_hash TEXT NOT NULL, synth_rows INTEGER NOT NULL,"
    " holdout_path TEXT, holdout_hash TEXT, holdout_rows INTEGER, schema_path TEXT NOT NULL, schema_json TEXT NOT NULL,"
    " qi TEXT NOT NULL, secrets TEXT NOT NULL, link_a TEXT NOT NULL, link_b TEXT NOT NULL,"
    " options_json TEXT NOT NULL, generator_cmd TEXT, shadow_config TEXT, shadow_error TEXT,"
    " flagged INTEGER NOT NULL, seconds REAL);"
    "CREATE TABLE IF NOT EXISTS audit_risk("
    " audit_id INTEGER NOT NULL REFERENCES audit(id), seq INTEGER NOT NULL, risk TEXT NOT NULL, attack TEXT NOT NULL,"
    " secret TEXT, status TEXT NOT NULL, chosen INTEGER NOT NULL, family INTEGER NOT NULL, level REAL NOT NULL,"
    " attempts REAL, successes REAL, rate REAL, rate_err REAL, rate_lo REAL, rate_hi REAL,"
    " control_attempts REAL, control_successes REAL, control_rate REAL, control_err REAL, control_lo REAL,"
    " control_hi REAL, baseline_attempts REAL, baseline_successes REAL, baseline_rate REAL, baseline_lo REAL,"
    " baseline_hi REAL, risk_raw REAL, risk_err REAL, risk_value REAL, risk_lo REAL, risk_hi REAL,"
    " threshold REAL NOT NULL, flag INTEGER NOT NULL, note TEXT, seconds REAL,"
    " PRIMARY KEY (audit_id, seq));"
    "CREATE TABLE IF NOT EXISTS audit_bit("
    " audit_id INTEGER NOT NULL REFERENCES audit(id), secret TEXT NOT NULL, code INTEGER NOT NULL,"
    " value TEXT NOT NULL, method TEXT NOT NULL, part TEXT NOT NULL CHECK (part IN ('training','control')),"
    " status TEXT NOT NULL, error TEXT, n INTEGER NOT NULL, ones INTEGER NOT NULL, majority_bit INTEGER NOT NULL,"
    " baseline REAL NOT NULL, correct INTEGER, accuracy REAL, lo REAL, hi REAL, minority_correct INTEGER,"
    " says_minority INTEGER, minority_lo REAL, minority_hi REAL, confident INTEGER, confident_correct INTEGER,"
    " queries INTEGER, columns INTEGER, objective REAL, seconds REAL,"
    " PRIMARY KEY (audit_id, secret, code, method, part));"
    "CREATE TABLE IF NOT EXISTS audit_band("
    " audit_id INTEGER NOT NULL REFERENCES audit(id), secret TEXT NOT NULL, code INTEGER NOT NULL,"
    " method TEXT NOT NULL, part TEXT NOT NULL, band INTEGER NOT NULL, score_lo REAL NOT NULL,"
    " score_hi REAL NOT NULL, n INTEGER NOT NULL, correct INTEGER NOT NULL,"
    " PRIMARY KEY (audit_id, secret, code, method, part, band));"
    "CREATE TABLE IF NOT EXISTS audit_record("
    " audit_id INTEGER NOT NULL REFERENCES audit(id), secret TEXT NOT NULL, code INTEGER NOT NULL,"
    " part TEXT NOT NULL, row INTEGER NOT NULL, bit INTEGER NOT NULL, lp REAL, classifier REAL, nearest REAL,"
    " PRIMARY KEY (audit_id, secret, code, part, row));"
    "CREATE TABLE IF NOT EXISTS audit_singling_out("
    " audit_id INTEGER NOT NULL REFERENCES audit(id), mode TEXT NOT NULL, requested INTEGER NOT NULL,"
    " generated INTEGER NOT NULL, attempts INTEGER NOT NULL, slice INTEGER NOT NULL,"
    " slices_training INTEGER NOT NULL, slices_control INTEGER NOT NULL, hits_training REAL NOT NULL,"
    " hits_control REAL, hits_baseline REAL NOT NULL, PRIMARY KEY (audit_id, mode));"
    "CREATE TABLE IF NOT EXISTS audit_query("
    " audit_id INTEGER NOT NULL REFERENCES audit(id), mode TEXT NOT NULL, seq INTEGER NOT NULL,"
    " query TEXT NOT NULL, training_slices INTEGER NOT NULL, control_slices INTEGER,"
    " PRIMARY KEY (audit_id, mode, seq));"
    "CREATE TABLE IF NOT EXISTS audit_link("
    " audit_id INTEGER PRIMARY KEY REFERENCES audit(id), set_a TEXT NOT NULL, set_b TEXT NOT NULL,"
    " hits_training INTEGER NOT NULL, hits_control INTEGER, hits_baseline INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS audit_dcr("
    " audit_id INTEGER PRIMARY KEY REFERENCES audit(id), real_rows INTEGER NOT NULL,"
    " holdout_rows INTEGER NOT NULL, auc REAL, auc_null_sd REAL, tpr_at_0_1 REAL, tpr_at_0_01 REAL,"
    " tpr_at_0_001 REAL, beyond_holdout REAL, exact_real REAL, exact_holdout REAL, median_real REAL,"
    " median_holdout REAL, threshold REAL, calibration_real INTEGER, calibration_holdout INTEGER,"
    " test_real INTEGER, test_holdout INTEGER, true_positives INTEGER, false_positives INTEGER);"
    "CREATE TABLE IF NOT EXISTS audit_dcr_record("
    " audit_id INTEGER NOT NULL REFERENCES audit(id), part TEXT NOT NULL CHECK (part IN ('real','holdout')),"
    " row INTEGER NOT NULL, distance REAL NOT NULL, PRIMARY KEY (audit_id, part, row));";

static const double band_edge[REL_N_BANDS + 1] = {0, 0.05, 0.25, 0.5, 0.75, 0.95, 1};

/* bind helpers: k is the next parameter index */
static void b_num(sqlite3_stmt *q, int *k, double v)
{
    if (isnan(v))
        sqlite3_bind_null(q, (*k)++);
    else
        sqlite3_bind_double(q, (*k)++, v);
}

static void b_int(sqlite3_stmt *q, int *k, long long v)
{
    sqlite3_bind_int64(q, (*k)++, (sqlite3_int64)v);
}

static void b_text(sqlite3_stmt *q, int *k, const char *s)
{
    if (s)
        sqlite3_bind_text(q, (*k)++, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(q, (*k)++);
}

static int step(sqlite3 *db, sqlite3_stmt *q, pa_err *err)
{
    int r = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return r == SQLITE_DONE ? PA_OK : pa_errf(err, PA_EIO, "database: %s", sqlite3_errmsg(db));
}

static char *col_names(const schema *s, const int *cols, size_t n)
{
    size_t cap = 16;
    for (size_t k = 0; k < n; k++)
        cap += strlen(s->cols[cols[k]].name) + 1;
    char *out = pa_malloc(cap, 1);
    if (!out)
        return NULL;
    out[0] = 0;
    for (size_t k = 0; k < n; k++) {
        if (k)
            strcat(out, ",");
        strcat(out, s->cols[cols[k]].name);
    }
    return out;
}

static const char *label_of(const col_spec *c, int32_t code, char *buf, size_t cap)
{
    if (c->labels)
        return c->labels[code];
    snprintf(buf, cap, "%d", (int)code);
    return buf;
}

/* 1 if the database has an `audit` table without a `format` column (older privaudit) */
static int old_format(sqlite3 *db)
{
    sqlite3_stmt *q;
    int exists = 0, has_format = 0;
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('audit')", -1, &q, NULL) != SQLITE_OK)
        return 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        exists = 1;
        has_format |= !strcmp((const char *)sqlite3_column_text(q, 0), "format");
    }
    sqlite3_finalize(q);
    return exists && !has_format;
}

static void hex_hash(const table *t, char buf[17])
{
    snprintf(buf, 17, "%016llx", (unsigned long long)tbl_hash(t));
}

enum { Q_AUDIT, Q_RISK, Q_BIT, Q_BAND, Q_RECORD, Q_SO, Q_QUERY, Q_LINK, Q_DCR, Q_DCR_REC, NQ };

static const char *const SQL[NQ] = {
    "INSERT INTO audit(format, code_version, real_path, real_hash, real_rows, synth_path, synth_hash, synth_rows,"
    " holdout_path, holdout_hash, holdout_rows, schema_path, schema_json, qi, secrets, link_a, link_b, options_json,"
    " generator_cmd, shadow_config, shadow_error, flagged, seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO audit_risk(audit_id, seq, risk, attack, secret, status, chosen, family, level, attempts, successes,"
    " rate, rate_err, rate_lo, rate_hi, control_attempts, control_successes, control_rate, control_err, control_lo,"
    " control_hi, baseline_attempts, baseline_successes, baseline_rate, baseline_lo, baseline_hi, risk_raw, risk_err,"
    " risk_value, risk_lo, risk_hi, threshold, flag, note, seconds)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO audit_bit(audit_id, secret, code, value, method, part, status, error, n, ones, majority_bit,"
    " baseline, correct, accuracy, lo, hi, minority_correct, says_minority, minority_lo, minority_hi, confident,"
    " confident_correct, queries, columns, objective, seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO audit_band(audit_id, secret, code, method, part, band, score_lo, score_hi, n, correct)"
    " VALUES (?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO audit_record(audit_id, secret, code, part, row, bit, lp, classifier, nearest)"
    " VALUES (?,?,?,?,?,?,?,?,?)",
    "INSERT INTO audit_singling_out(audit_id, mode, requested, generated, attempts, slice, slices_training,"
    " slices_control, hits_training, hits_control, hits_baseline) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO audit_query(audit_id, mode, seq, query, training_slices, control_slices) VALUES (?,?,?,?,?,?)",
    "INSERT INTO audit_link(audit_id, set_a, set_b, hits_training, hits_control, hits_baseline) VALUES (?,?,?,?,?,?)",
    "INSERT INTO audit_dcr(audit_id, real_rows, holdout_rows, auc, auc_null_sd, tpr_at_0_1, tpr_at_0_01, tpr_at_0_001,"
    " beyond_holdout, exact_real, exact_holdout, median_real, median_holdout, threshold, calibration_real,"
    " calibration_holdout, test_real, test_holdout, true_positives, false_positives)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT INTO audit_dcr_record(audit_id, part, row, distance) VALUES (?,?,?,?)",
};

static void b_rate(sqlite3_stmt *q, int *k, const risk_rate *r)
{
    b_num(q, k, r->n);
    b_num(q, k, r->k);
    b_num(q, k, r->rate);
    b_num(q, k, r->err);
    b_num(q, k, r->lo);
    b_num(q, k, r->hi);
}

static int write_rows(sqlite3 *db, sqlite3_stmt **q, const audit_meta *meta, const rel_result *r, long long id,
                      pa_err *err)
{
    const schema *s = meta->real->s;
    int rc = PA_OK;
    /* risks */
    for (size_t i = 0; i < r->n_attacks && !rc; i++) {
        const rel_attack *a = &r->attacks[i];
        sqlite3_stmt *p = q[Q_RISK];
        int k = 1;
        b_int(p, &k, id);
        b_int(p, &k, (long long)i);
        b_text(p, &k, a->risk);
        b_text(p, &k, a->name);
        b_text(p, &k, a->secret >= 0 ? s->cols[r->secret_cols[a->secret]].name : NULL);
        b_text(p, &k, risk_status_name(a->r.status));
        b_int(p, &k, a->chosen);
        b_int(p, &k, (long long)a->family);
        b_num(p, &k, a->r.confidence);
        /* the attack's counts: attempts, successes, then rate, err, lo, hi */
        sqlite3_bind_double(p, k++, a->r.attack.n);
        b_num(p, &k, a->r.attack.k);
        b_num(p, &k, a->r.attack.rate);
        b_num(p, &k, a->r.attack.err);
        b_num(p, &k, a->r.attack.lo);
        b_num(p, &k, a->r.attack.hi);
        b_rate(p, &k, &a->r.control);
        b_num(p, &k, a->r.baseline.n);
        b_num(p, &k, a->r.baseline.k);
        b_num(p, &k, a->r.baseline.rate);
        b_num(p, &k, a->r.baseline.lo);
        b_num(p, &k, a->r.baseline.hi);
        b_num(p, &k, a->r.risk.raw);
        b_num(p, &k, a->r.risk.err);
        b_num(p, &k, a->r.risk.value);
        b_num(p, &k, a->r.risk.lo);
        b_num(p, &k, a->r.risk.hi);
        b_num(p, &k, a->r.threshold);
        b_int(p, &k, a->r.flag);
        b_text(p, &k, a->note[0] ? a->note : NULL);
        b_num(p, &k, a->seconds);
        rc = step(db, p, err);
    }
    /* inference per secret bit */
    for (size_t bi = 0; bi < r->n_bits && !rc; bi++) {
        const rel_bit *b = &r->bits[bi];
        const col_spec *c = &s->cols[b->col];
        char vb[32];
        const char *value = label_of(c, b->code, vb, sizeof vb);
        for (int m = 0; m < RECON_N_ATT && !rc; m++)
            for (int part = 0; part < 2 && !rc; part++) {
                const rel_part *P = &b->part[m][part];
                if (!P->score)
                    continue; /* no control part */
                const char *pn = part ? "control" : "training";
                sqlite3_stmt *p = q[Q_BIT];
                int k = 1;
                b_int(p, &k, id);
                b_text(p, &k, c->name);
                b_int(p, &k, b->code);
                b_text(p, &k, value);
                b_text(p, &k, recon_att_name(m));
                b_text(p, &k, pn);
                b_text(p, &k, P->ran ? "ok" : "failed");
                b_text(p, &k, P->ran ? NULL : P->msg);
                b_int(p, &k, (long long)P->n);
                b_int(p, &k, (long long)P->ones);
                b_int(p, &k, b->majority_bit);
                b_num(p, &k, b->baseline);
                if (P->ran) {
                    b_int(p, &k, (long long)P->correct);
                    b_num(p, &k, P->acc);
                    b_num(p, &k, P->lo);
                    b_num(p, &k, P->hi);
                    b_int(p, &k, (long long)P->minority_correct);
                    b_int(p, &k, (long long)P->says_minority);
                    b_num(p, &k, P->min_lo);
                    b_num(p, &k, P->min_hi);
                    b_int(p, &k, (long long)P->conf_n);
                    b_int(p, &k, (long long)P->conf_correct);
                    if (m == RECON_ATT_LP) {
                        b_int(p, &k, (long long)P->st.queries);
                        b_int(p, &k, (long long)P->st.columns);
                        b_num(p, &k, P->st.objective);
                    } else {
                        k += 3;
                    }
                    b_num(p, &k, P->seconds);
                }
                rc = step(db, p, err);
                for (int band = 0; band < REL_N_BANDS && P->ran && !rc; band++) {
                    p = q[Q_BAND];
                    k = 1;
                    b_int(p, &k, id);
                    b_text(p, &k, c->name);
                    b_int(p, &k, b->code);
                    b_text(p, &k, recon_att_name(m));
                    b_text(p, &k, pn);
                    b_int(p, &k, band);
                    b_num(p, &k, band_edge[band]);
                    b_num(p, &k, band_edge[band + 1]);
                    b_int(p, &k, (long long)P->band_n[band]);
                    b_int(p, &k, (long long)P->band_correct[band]);
                    rc = step(db, p, err);
                }
            }
        /* per record: every attack's score; rows of the control LP are a subset */
        for (int part = 0; part < 2 && !rc; part++) {
            const rel_part *nn = &b->part[RECON_ATT_NN][part], *cl = &b->part[RECON_ATT_CLF][part],
                           *lp = &b->part[RECON_ATT_LP][part];
            if (!nn->score)
                continue;
            size_t tot = part ? r->h : r->n;
            double *lps = pa_malloc(tot + 1, sizeof *lps);
            if (!lps)
                return pa_errf(err, PA_ENOMEM, "out of memory");
            for (size_t i = 0; i < tot; i++)
                lps[i] = NAN;
            for (size_t i = 0; lp->ran && i < lp->n; i++)
                lps[lp->row[i]] = lp->score[i];
            for (size_t i = 0; i < tot && !rc; i++) {
                sqlite3_stmt *p = q[Q_RECORD];
                int k = 1;
                b_int(p, &k, id);
                b_text(p, &k, s->cols[b->col].name);
                b_int(p, &k, b->code);
                b_text(p, &k, part ? "control" : "training");
                b_int(p, &k, (long long)nn->row[i]);
                b_int(p, &k, nn->bit[i]);
                b_num(p, &k, lps[i]);
                b_num(p, &k, cl->ran ? cl->score[i] : NAN);
                b_num(p, &k, nn->ran ? nn->score[i] : NAN);
                rc = step(db, p, err);
            }
            free(lps);
        }
    }
    /* singling out */
    for (int mode = 0; mode < 2 && !rc; mode++) {
        const rel_so *so = &r->so[mode];
        const char *mn = mode ? "multivariate" : "univariate";
        sqlite3_stmt *p = q[Q_SO];
        int k = 1;
        b_int(p, &k, id);
        b_text(p, &k, mn);
        b_int(p, &k, (long long)so->requested);
        b_int(p, &k, (long long)so->generated);
        b_int(p, &k, (long long)so->attempts);
        b_int(p, &k, (long long)so->slice);
        b_int(p, &k, (long long)so->slices_train);
        b_int(p, &k, (long long)so->slices_control);
        b_num(p, &k, so->hits_train);
        b_num(p, &k, r->h ? so->hits_control : NAN);
        b_num(p, &k, so->hits_baseline);
        rc = step(db, p, err);
        for (size_t i = 0; i < so->n_queries && !rc; i++) {
            p = q[Q_QUERY];
            k = 1;
            b_int(p, &k, id);
            b_text(p, &k, mn);
            b_int(p, &k, (long long)i);
            b_text(p, &k, so->query[i]);
            b_int(p, &k, so->q_train[i]);
            if (r->h)
                b_int(p, &k, so->q_control[i]);
            else
                b_num(p, &k, NAN);
            rc = step(db, p, err);
        }
    }
    /* linkability */
    if (!rc) {
        char *sa = col_names(s, r->link.a, r->link.n_a), *sb = col_names(s, r->link.b, r->link.n_b);
        sqlite3_stmt *p = q[Q_LINK];
        int k = 1;
        b_int(p, &k, id);
        b_text(p, &k, sa ? sa : "");
        b_text(p, &k, sb ? sb : "");
        b_int(p, &k, (long long)r->link.hits_train);
        if (r->h)
            b_int(p, &k, (long long)r->link.hits_control);
        else
            b_num(p, &k, NAN);
        b_int(p, &k, (long long)r->link.hits_baseline);
        rc = sa && sb ? step(db, p, err) : pa_errf(err, PA_ENOMEM, "out of memory");
        free(sa), free(sb);
    }
    /* membership */
    if (!rc && r->dcr.ran) {
        const rel_dcr *d = &r->dcr;
        sqlite3_stmt *p = q[Q_DCR];
        int k = 1;
        b_int(p, &k, id);
        b_int(p, &k, (long long)d->n);
        b_int(p, &k, (long long)d->h);
        b_num(p, &k, d->auc);
        b_num(p, &k, d->auc_sd);
        b_num(p, &k, d->tpr[0]);
        b_num(p, &k, d->tpr[1]);
        b_num(p, &k, d->tpr[2]);
        b_num(p, &k, d->beyond);
        b_num(p, &k, d->exact_real);
        b_num(p, &k, d->exact_hold);
        b_num(p, &k, d->med_real);
        b_num(p, &k, d->med_hold);
        b_num(p, &k, d->threshold);
        b_int(p, &k, (long long)d->cal_n);
        b_int(p, &k, (long long)d->cal_h);
        b_int(p, &k, (long long)d->test_n);
        b_int(p, &k, (long long)d->test_h);
        b_int(p, &k, (long long)d->tp);
        b_int(p, &k, (long long)d->fp);
        rc = step(db, p, err);
        for (int part = 0; part < 2 && !rc; part++) {
            size_t cnt = part ? d->h : d->n;
            const double *dist = part ? d->d_hold : d->d_real;
            for (size_t j = 0; j < cnt && !rc; j++) {
                p = q[Q_DCR_REC];
                k = 1;
                b_int(p, &k, id);
                b_text(p, &k, part ? "holdout" : "real");
                b_int(p, &k, (long long)j);
                b_num(p, &k, dist[j]);
                rc = step(db, p, err);
            }
        }
    }
    return rc;
}

int audit_store_write(store *st, const audit_meta *meta, const rel_result *r, long long *audit_id, pa_err *err)
{
    sqlite3 *db = store_db(st);
    char *msg = NULL;
    if (old_format(db))
        return pa_errf(err, PA_EINPUT, "the database holds audits written by an older privaudit (tables of another "
                                       "format): give a new --db");
    if (sqlite3_exec(db, SCHEMA_SQL, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
        int rc = pa_errf(err, PA_EIO, "database: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return rc;
    }
    sqlite3_stmt *q[NQ] = {0};
    int rc = PA_OK;
    for (int k = 0; k < NQ && !rc; k++)
        if (sqlite3_prepare_v2(db, SQL[k], -1, &q[k], NULL) != SQLITE_OK)
            rc = pa_errf(err, PA_EIO, "database: %s", sqlite3_errmsg(db));
    const schema *s = meta->real->s;
    char *schema_json = schema_to_json(s), *qi = col_names(s, r->qi, r->n_qi),
         *sec = col_names(s, r->secret_cols, r->n_secrets), *la = col_names(s, r->link.a, r->link.n_a),
         *lb = col_names(s, r->link.b, r->link.n_b);
    if (!rc && (!schema_json || !qi || !sec || !la || !lb))
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
    long long id = 0;
    if (!rc) {
        char rh[17], sh[17], hh[17];
        hex_hash(meta->real, rh);
        hex_hash(meta->synth, sh);
        sqlite3_stmt *p = q[Q_AUDIT];
        int k = 1;
        b_text(p, &k, AUDIT_FORMAT);
        b_text(p, &k, pa_version());
        b_text(p, &k, meta->real_path);
        b_text(p, &k, rh);
        b_int(p, &k, (long long)meta->real->n);
        b_text(p, &k, meta->synth_path);
        b_text(p, &k, sh);
        b_int(p, &k, (long long)meta->synth->n);
        if (meta->holdout) {
            hex_hash(meta->holdout, hh);
            b_text(p, &k, meta->holdout_path);
            b_text(p, &k, hh);
            b_int(p, &k, (long long)meta->holdout->n);
        } else {
            k += 3;
        }
        b_text(p, &k, meta->schema_path);
        b_text(p, &k, schema_json);
        b_text(p, &k, qi);
        b_text(p, &k, sec);
        b_text(p, &k, la);
        b_text(p, &k, lb);
        b_text(p, &k, meta->options_json ? meta->options_json : "{}");
        b_text(p, &k, meta->generator_cmd);
        b_text(p, &k, meta->shadow_config);
        b_text(p, &k, meta->shadow_error);
        b_int(p, &k, r->flagged);
        b_num(p, &k, r->seconds);
        rc = step(db, p, err);
        id = sqlite3_last_insert_rowid(db);
    }
    if (!rc)
        rc = write_rows(db, q, meta, r, id, err);
    for (int k = 0; k < NQ; k++)
        sqlite3_finalize(q[k]);
    free(schema_json), free(qi), free(sec), free(la), free(lb);
    if (sqlite3_exec(db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, &msg) != SQLITE_OK && !rc)
        rc = pa_errf(err, PA_EIO, "database: %s", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    if (!rc && audit_id)
        *audit_id = id;
    return rc;
}
