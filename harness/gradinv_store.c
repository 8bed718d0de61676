/* gradinv_store.c — gradient-inversion tables (harness/gradinv_store.h). */
#include "harness/gradinv_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

static int fail(sqlite3 *db, pa_err *err, const char *what)
{
    return pa_errf(err, PA_EIO, "gradinv store: %s: %s", what, sqlite3_errmsg(db));
}

static int exec(sqlite3 *db, const char *sql, pa_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = pa_errf(err, PA_EIO, "gradinv store: %s", msg ? msg : "sqlite3_exec failed");
        sqlite3_free(msg);
        return rc;
    }
    return PA_OK;
}

int gistore_init(void *vdb, pa_err *err)
{
    return exec(vdb,
                "CREATE TABLE IF NOT EXISTS gradinv_cell (id INTEGER PRIMARY KEY, tag TEXT, data TEXT,"
                " attack TEXT, act TEXT, hidden INTEGER, batch INTEGER, sigma REAL, clip REAL, q REAL,"
                " steps INTEGER, epochs REAL, delta REAL, eps REAL, image_h INTEGER, image_w INTEGER);"
                "CREATE TABLE IF NOT EXISTS gradinv_score (cell_id INTEGER REFERENCES gradinv_cell(id),"
                " batch_idx INTEGER, rec INTEGER, method TEXT, true_row INTEGER, label_true INTEGER,"
                " label_rec INTEGER, mse REAL, psnr REAL, ssim REAL, exact REAL, attr_acc REAL,"
                " label_acc REAL, seconds REAL);"
                "CREATE TABLE IF NOT EXISTS gradinv_image (cell_id INTEGER REFERENCES gradinv_cell(id),"
                " batch_idx INTEGER, rec INTEGER, kind TEXT, vals TEXT);",
                err);
}

static void bind_real(sqlite3_stmt *s, int k, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(s, k, v);
    else
        sqlite3_bind_null(s, k);
}

int gistore_put_cell(void *vdb, const gistore_cell *c, int64_t *id, pa_err *err)
{
    sqlite3 *db = vdb;
    sqlite3_stmt *s;
    const char *sql = "INSERT INTO gradinv_cell (tag, data, attack, act, hidden, batch, sigma, clip, q, steps,"
                      " epochs, delta, eps, image_h, image_w) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return fail(db, err, "prepare gradinv_cell insert");
    sqlite3_bind_text(s, 1, c->tag, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, c->data, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, c->attack, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, c->act, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)c->hidden);
    sqlite3_bind_int64(s, 6, (sqlite3_int64)c->batch);
    sqlite3_bind_double(s, 7, c->sigma);
    bind_real(s, 8, c->clip);
    sqlite3_bind_double(s, 9, c->q);
    sqlite3_bind_int64(s, 10, (sqlite3_int64)c->steps);
    sqlite3_bind_double(s, 11, c->epochs);
    sqlite3_bind_double(s, 12, c->delta);
    bind_real(s, 13, c->eps);
    sqlite3_bind_int64(s, 14, (sqlite3_int64)c->image_h);
    sqlite3_bind_int64(s, 15, (sqlite3_int64)c->image_w);
    int r = sqlite3_step(s);
    sqlite3_finalize(s);
    if (r != SQLITE_DONE)
        return fail(db, err, "insert gradinv_cell");
    *id = sqlite3_last_insert_rowid(db);
    return PA_OK;
}

int gistore_put_score(void *vdb, const gistore_score *x, pa_err *err)
{
    sqlite3 *db = vdb;
    sqlite3_stmt *s;
    const char *sql = "INSERT INTO gradinv_score (cell_id, batch_idx, rec, method, true_row, label_true,"
                      " label_rec, mse, psnr, ssim, exact, attr_acc, label_acc, seconds)"
                      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return fail(db, err, "prepare gradinv_score insert");
    sqlite3_bind_int64(s, 1, x->cell_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)x->batch_idx);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)x->rec);
    sqlite3_bind_text(s, 4, x->method, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, x->true_row);
    sqlite3_bind_int(s, 6, x->label_true);
    sqlite3_bind_int(s, 7, x->label_rec);
    bind_real(s, 8, x->mse);
    bind_real(s, 9, x->psnr);
    bind_real(s, 10, x->ssim);
    bind_real(s, 11, x->exact);
    bind_real(s, 12, x->attr_acc);
    bind_real(s, 13, x->label_acc);
    bind_real(s, 14, x->seconds);
    int r = sqlite3_step(s);
    sqlite3_finalize(s);
    return r == SQLITE_DONE ? PA_OK : fail(db, err, "insert gradinv_score");
}

int gistore_put_image(void *vdb, int64_t cell_id, size_t batch_idx, size_t rec, const char *kind,
                      const double *x, size_t d, pa_err *err)
{
    sqlite3 *db = vdb;
    char *buf = malloc(d * 26 + 1);
    if (!buf)
        return pa_errf(err, PA_ENOMEM, "gradinv store: out of memory");
    size_t o = 0;
    buf[0] = 0;
    for (size_t k = 0; k < d; k++)
        o += (size_t)snprintf(buf + o, 26, k ? " %.17g" : "%.17g", x[k]);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "INSERT INTO gradinv_image (cell_id, batch_idx, rec, kind, vals) VALUES (?,?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK) {
        free(buf);
        return fail(db, err, "prepare gradinv_image insert");
    }
    sqlite3_bind_int64(s, 1, cell_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)batch_idx);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)rec);
    sqlite3_bind_text(s, 4, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, buf, (int)o, SQLITE_TRANSIENT);
    int r = sqlite3_step(s);
    sqlite3_finalize(s);
    free(buf);
    return r == SQLITE_DONE ? PA_OK : fail(db, err, "insert gradinv_image");
}

int gistore_begin(void *db, pa_err *err) { return exec(db, "BEGIN", err); }
int gistore_commit(void *db, pa_err *err) { return exec(db, "COMMIT", err); }
