/* recon_store.c — SQLite tables of the reconstruction game; see recon_store.h. */
#include <math.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "harness/recon_store.h"

struct recon_store {
    sqlite3 *db;
    sqlite3_stmt *point, *game;
};

static const char *const SCHEMA_SQL =
    "CREATE TABLE IF NOT EXISTS recon_point ("
    " id INTEGER PRIMARY KEY, generator TEXT NOT NULL, epsilon REAL, n INTEGER NOT NULL, m INTEGER NOT NULL,"
    " games INTEGER NOT NULL, qi TEXT NOT NULL, secret TEXT NOT NULL, secret_code INTEGER NOT NULL,"
    " k_min INTEGER NOT NULL, k_max INTEGER NOT NULL, bins INTEGER NOT NULL, seed TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS recon_game ("
    " point_id INTEGER NOT NULL REFERENCES recon_point(id), game INTEGER NOT NULL, attack TEXT NOT NULL,"
    " target INTEGER NOT NULL, target_bit INTEGER NOT NULL, target_correct INTEGER NOT NULL,"
    " target_score REAL, acc_all REAL, majority REAL, tvd3 REAL, lp_queries INTEGER, lp_nonzeros INTEGER,"
    " lp_objective REAL, lp_seconds REAL, glpk_status INTEGER, gen_seconds REAL,"
    " PRIMARY KEY (point_id, game, attack));";

int recon_store_open(store *st, recon_store **out, pa_err *err)
{
    *out = NULL;
    recon_store *rs = pa_calloc(1, sizeof *rs);
    if (!rs)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    rs->db = store_db(st);
    char *msg = NULL;
    if (sqlite3_exec(rs->db, SCHEMA_SQL, NULL, NULL, &msg) != SQLITE_OK) {
        pa_errf(err, PA_EIO, "recon store: cannot create tables: %s", msg ? msg : "?");
        sqlite3_free(msg);
        free(rs);
        return PA_EIO;
    }
    if (sqlite3_prepare_v2(rs->db,
                           "INSERT INTO recon_point (generator, epsilon, n, m, games, qi, secret, secret_code, k_min,"
                           " k_max, bins, seed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                           -1, &rs->point, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(rs->db,
                           "INSERT OR REPLACE INTO recon_game (point_id, game, attack, target, target_bit,"
                           " target_correct, target_score, acc_all, majority, tvd3, lp_queries, lp_nonzeros,"
                           " lp_objective, lp_seconds, glpk_status, gen_seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                           " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                           -1, &rs->game, NULL) != SQLITE_OK) {
        pa_errf(err, PA_EIO, "recon store: cannot prepare statements: %s", sqlite3_errmsg(rs->db));
        recon_store_close(rs);
        return PA_EIO;
    }
    *out = rs;
    return PA_OK;
}

void recon_store_close(recon_store *rs)
{
    if (!rs)
        return;
    sqlite3_finalize(rs->point);
    sqlite3_finalize(rs->game);
    free(rs);
}

static void bind_real(sqlite3_stmt *s, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

int recon_store_put_point(recon_store *rs, const recon_point_row *p, int64_t *id, pa_err *err)
{
    sqlite3_stmt *s = rs->point;
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)p->seed);
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, p->generator, -1, SQLITE_TRANSIENT);
    bind_real(s, 2, p->epsilon);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)p->n);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)p->m);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)p->games);
    sqlite3_bind_text(s, 6, p->qi, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 7, p->secret, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 8, p->secret_code);
    sqlite3_bind_int(s, 9, p->k_min);
    sqlite3_bind_int(s, 10, p->k_max);
    sqlite3_bind_int64(s, 11, (sqlite3_int64)p->bins);
    sqlite3_bind_text(s, 12, seed, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE)
        return pa_errf(err, PA_EIO, "recon store: insert recon_point: %s", sqlite3_errmsg(rs->db));
    *id = sqlite3_last_insert_rowid(rs->db);
    return PA_OK;
}

int recon_store_put_game(recon_store *rs, int64_t point_id, const recon_game_rec *r, pa_err *err)
{
    sqlite3_stmt *s = rs->game;
    for (int a = 0; a < RECON_N_ATT; a++) {
        if (r->target_correct[a] < 0)
            continue;
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        sqlite3_bind_int64(s, 1, point_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)r->game);
        sqlite3_bind_text(s, 3, recon_att_name(a), -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, (sqlite3_int64)r->target);
        sqlite3_bind_int(s, 5, r->target_bit);
        sqlite3_bind_int(s, 6, r->target_correct[a]);
        bind_real(s, 7, r->target_score[a]);
        bind_real(s, 8, r->acc_all[a]);
        bind_real(s, 9, r->majority);
        bind_real(s, 10, r->tvd3);
        if (a == RECON_ATT_LP) {
            sqlite3_bind_int64(s, 11, (sqlite3_int64)r->lp.queries);
            sqlite3_bind_int64(s, 12, (sqlite3_int64)r->lp.nonzeros);
            bind_real(s, 13, r->lp.objective);
            bind_real(s, 14, r->lp.seconds);
            sqlite3_bind_int(s, 15, r->lp.glpk_status);
        }
        bind_real(s, 16, r->gen_seconds);
        if (sqlite3_step(s) != SQLITE_DONE)
            return pa_errf(err, PA_EIO, "recon store: insert recon_game: %s", sqlite3_errmsg(rs->db));
    }
    return PA_OK;
}
