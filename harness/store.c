/* store.c — SQLite store of one experiment. The tables are documented in
 * docs/database.md; keep the two in step. */
#include "harness/store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/version.h"

struct store {
    sqlite3 *db;
    int lock_fd;            /* the database file, flock(LOCK_EX) held while open; -1 if none */
    pthread_mutex_t mu;
    /* WAL checkpoints run on their own thread and connection (ckpt_main), so
     * that a worker committing a trial never waits for the checkpoint's
     * fsync while it holds mu: on a disk with slow fsync the automatic
     * checkpoint inside COMMIT made --jobs 2 only 1.6x --jobs 1. */
    int ckpt_on, ckpt_want, ckpt_stop;
    int ckpt_mark;          /* WAL pages when a checkpoint was last asked for (under mu) */
    pthread_t ckpt_thread;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    char *path;
    sqlite3_stmt *put_trial, *put_member, *put_score, *put_metric, *put_estimate, *has_trial, *put_util, *put_feature;
};

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS experiment("
    " id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL, config_json TEXT NOT NULL,"
    " config_hash TEXT NOT NULL, code_version TEXT NOT NULL, data_path TEXT NOT NULL,"
    " data_hash TEXT NOT NULL, schema_json TEXT NOT NULL, seed TEXT NOT NULL,"
    " n_trials INTEGER NOT NULL, created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    " game TEXT NOT NULL DEFAULT 'average' CHECK (game IN ('average','fixed')));"
    "CREATE TABLE IF NOT EXISTS cell("
    " id INTEGER PRIMARY KEY, generator TEXT NOT NULL, params_json TEXT NOT NULL,"
    " epsilon REAL NOT NULL, delta REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS target("
    " id INTEGER PRIMARY KEY, row INTEGER NOT NULL, how TEXT NOT NULL, isolation REAL, record TEXT);"
    "CREATE TABLE IF NOT EXISTS trial("
    " id INTEGER PRIMARY KEY, cell_id INTEGER NOT NULL REFERENCES cell(id), game INTEGER NOT NULL,"
    " split TEXT NOT NULL CHECK (split IN ('calibration','test')), stream_seed TEXT NOT NULL,"
    " status TEXT NOT NULL, error TEXT, eps_spent REAL, delta_spent REAL, rho_spent REAL, accountant TEXT,"
    " synth_hash TEXT, fit_s REAL, sample_s REAL, attack_s REAL,"
    " finished_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), replace_one INTEGER);"
    "CREATE TABLE IF NOT EXISTS membership("
    " trial_id INTEGER NOT NULL REFERENCES trial(id), target_id INTEGER NOT NULL REFERENCES target(id),"
    " member INTEGER NOT NULL CHECK (member IN (0,1)), PRIMARY KEY (trial_id, target_id));"
    "CREATE TABLE IF NOT EXISTS score("
    " trial_id INTEGER NOT NULL REFERENCES trial(id), target_id INTEGER NOT NULL REFERENCES target(id),"
    " attack TEXT NOT NULL, score REAL, PRIMARY KEY (trial_id, target_id, attack));"
    "CREATE TABLE IF NOT EXISTS metric("
    " cell_id INTEGER NOT NULL REFERENCES cell(id), attack TEXT NOT NULL, target_id INTEGER,"
    " name TEXT NOT NULL, value REAL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS metric_key ON metric(cell_id, attack, ifnull(target_id,-1), name);"
    "CREATE TABLE IF NOT EXISTS estimate("
    " cell_id INTEGER NOT NULL REFERENCES cell(id), attack TEXT NOT NULL, target_id INTEGER,"
    " method TEXT NOT NULL, lo REAL, hi REAL, alpha REAL NOT NULL, delta REAL NOT NULL, threshold REAL,"
    " tp REAL, fn REAL, fp REAL, tn REAL, claimed REAL, p_exceeds REAL, violation INTEGER NOT NULL, point REAL);"
    "CREATE UNIQUE INDEX IF NOT EXISTS estimate_key ON estimate(cell_id, attack, ifnull(target_id,-1), method);"
    "CREATE INDEX IF NOT EXISTS trial_cell ON trial(cell_id, game);"
    "CREATE TABLE IF NOT EXISTS utility("
    " trial_id INTEGER NOT NULL REFERENCES trial(id), name TEXT NOT NULL, value REAL,"
    " PRIMARY KEY (trial_id, name));"
    "CREATE TABLE IF NOT EXISTS shadow("
    " cell_id INTEGER NOT NULL REFERENCES cell(id), game INTEGER NOT NULL, status TEXT NOT NULL, error TEXT,"
    " k INTEGER NOT NULL, dim INTEGER NOT NULL, member BLOB, features BLOB, seconds REAL,"
    " PRIMARY KEY (cell_id, game));"
    "CREATE TABLE IF NOT EXISTS feature("
    " trial_id INTEGER NOT NULL REFERENCES trial(id), target_id INTEGER NOT NULL REFERENCES target(id),"
    " features BLOB NOT NULL, PRIMARY KEY (trial_id, target_id));";

static int db_fail(store *st, pa_err *err, const char *what)
{
    return pa_errf(err, PA_EIO, "database: %s: %s", what, sqlite3_errmsg(st->db));
}

static int prep(store *st, const char *sql, sqlite3_stmt **out, pa_err *err)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK)
        return db_fail(st, err, "prepare");
    return PA_OK;
}

long long store_foreign_tables(void *db)
{
    sqlite3_stmt *q = NULL;
    long long tables = 0, meta = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(sum(name = 'meta'), 0) FROM sqlite_master WHERE type = "
                           "'table'", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
        tables = sqlite3_column_int64(q, 0);
        meta = sqlite3_column_int64(q, 1);
    }
    sqlite3_finalize(q);
    return meta ? 0 : tables;
}

static int exec(store *st, const char *sql, pa_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int code = sqlite3_errcode(st->db), rc;
        if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
            rc = pa_errf(err, PA_EINPUT, "not an SQLite database, or a corrupt one (%s)",
                         msg ? msg : sqlite3_errmsg(st->db));
        else
            rc = pa_errf(err, PA_EIO, "database: %s", msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return rc;
    }
    return PA_OK;
}

/* Adds table.column (of SQL type) when the database lacks it. */
static int add_column(store *st, const char *table, const char *column, const char *type, pa_err *err)
{
    char sql[160];
    sqlite3_stmt *s;
    snprintf(sql, sizeof sql, "SELECT %s FROM %s LIMIT 0", column, table);
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK) {
        sqlite3_finalize(s);
        return PA_OK;
    }
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s;", table, column, type);
    return exec(st, sql, err);
}

/* pages in the WAL after which a checkpoint is asked for (SQLite's own default) */
#define CKPT_PAGES 1000

/* the WAL hook of the writing connection: called after each commit, under mu */
static int ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    store *st = arg;
    if (pages < st->ckpt_mark) /* the WAL was reset */
        st->ckpt_mark = 0;
    if (pages - st->ckpt_mark >= CKPT_PAGES) {
        st->ckpt_mark = pages;
        pthread_mutex_lock(&st->ckpt_mu);
        st->ckpt_want = 1;
        pthread_cond_signal(&st->ckpt_cv);
        pthread_mutex_unlock(&st->ckpt_mu);
    }
    return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
    store *st = arg;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(st->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK)
        sqlite3_busy_timeout(db, 10000);
    pthread_mutex_lock(&st->ckpt_mu);
    for (;;) {
        while (!st->ckpt_want && !st->ckpt_stop)
            pthread_cond_wait(&st->ckpt_cv, &st->ckpt_mu);
        if (st->ckpt_stop)
            break;
        st->ckpt_want = 0;
        pthread_mutex_unlock(&st->ckpt_mu);
        /* PASSIVE: copies what it can without blocking the writer; a failed or
         * partial checkpoint only leaves the WAL longer (the last close
         * checkpoints it whole) */
        if (db)
            sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&st->ckpt_mu);
    }
    pthread_mutex_unlock(&st->ckpt_mu);
    sqlite3_close(db);
    return NULL;
}

/* Moves the checkpoints of st's connection to a thread of their own; if the
 * thread cannot start, SQLite's automatic checkpoint stays. */
static void ckpt_start(store *st, const char *path)
{
    if (!(st->path = strdup(path)))
        return;
    pthread_mutex_init(&st->ckpt_mu, NULL);
    pthread_cond_init(&st->ckpt_cv, NULL);
    if (pthread_create(&st->ckpt_thread, NULL, ckpt_main, st) != 0) {
        pthread_cond_destroy(&st->ckpt_cv);
        pthread_mutex_destroy(&st->ckpt_mu);
        return;
    }
    st->ckpt_on = 1;
    sqlite3_wal_hook(st->db, ckpt_hook, st);
}

static void ckpt_stop(store *st)
{
    if (!st->ckpt_on)
        return;
    sqlite3_wal_hook(st->db, NULL, NULL);
    pthread_mutex_lock(&st->ckpt_mu);
    st->ckpt_stop = 1;
    pthread_cond_signal(&st->ckpt_cv);
    pthread_mutex_unlock(&st->ckpt_mu);
    pthread_join(st->ckpt_thread, NULL);
    pthread_cond_destroy(&st->ckpt_cv);
    pthread_mutex_destroy(&st->ckpt_mu);
    st->ckpt_on = 0;
}

void store_close(store *st)
{
    if (!st)
        return;
    ckpt_stop(st);
    sqlite3_finalize(st->put_trial);
    sqlite3_finalize(st->put_member);
    sqlite3_finalize(st->put_score);
    sqlite3_finalize(st->put_metric);
    sqlite3_finalize(st->put_estimate);
    sqlite3_finalize(st->has_trial);
    sqlite3_finalize(st->put_util);
    sqlite3_finalize(st->put_feature);
    sqlite3_close(st->db);
    /* after SQLite let go of the file: closing a descriptor of it drops the
     * process's POSIX locks on it, SQLite's included */
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    pthread_mutex_destroy(&st->mu);
    free(st->path);
    free(st);
}

/* Opens the file and takes its exclusive lock: mode 0 open or create, 1
 * create (must not exist), 2 open (must exist). *created = 1 if this call
 * made the file. Returns the descriptor, or -1 with err filled. */
static int lock_db(const char *path, int mode, int *created, pa_err *err)
{
    *created = 0;
    int fd = -1;
    if (mode == 1) {
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST) {
            pa_errf(err, PA_EINPUT, "%s exists: pass --resume to continue that run, or choose a new --db", path);
            return -1;
        }
        *created = fd >= 0;
    } else if (mode == 2) {
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
            pa_errf(err, PA_EINPUT, "%s: no such database to resume", path);
            return -1;
        }
    } else {
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
            fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            *created = fd >= 0;
        }
    }
    if (fd < 0) {
        pa_errf(err, errno == ENOENT || errno == ENOTDIR || errno == EISDIR ? PA_EINPUT : PA_EIO,
                "%s: cannot open database: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == ENOLCK || e == EOPNOTSUPP || e == ENOSYS)
            return fd; /* a file system without locks: go on as before locks existed */
        close(fd);
        /* a file we made but another privaudit locked first is its file now */
        *created = 0;
        if (e == EWOULDBLOCK)
            pa_errf(err, PA_EINPUT, "%s: in use by another privaudit (a run or audit is writing it): wait for it to "
                    "end, or choose another --db", path);
        else
            pa_errf(err, PA_EIO, "%s: cannot lock the database: %s", path, strerror(e));
        return -1;
    }
    return fd;
}

/* store_open's body, once the file is locked: lock_fd is the store's to
 * close (store_close), on failure too. */
static int store_open_fd(const char *path, int lock_fd, store **out, pa_err *err)
{
    *out = NULL;
    store *st = calloc(1, sizeof *st);
    if (!st) {
        close(lock_fd);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    st->lock_fd = lock_fd;
    pthread_mutex_init(&st->mu, NULL);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        int rc = pa_errf(err, PA_EIO, "%s: cannot open database: %s", path,
                         st->db ? sqlite3_errmsg(st->db) : "out of memory");
        store_close(st);
        return rc;
    }
    sqlite3_busy_timeout(st->db, 10000);
    /* Another program's SQLite file (tables, none of them privaudit's meta, which every privaudit
     * database has had from the start) is not written into: not even the WAL pragma below, which
     * would change its header for good. */
    int rc = PA_OK;
    long long foreign = store_foreign_tables(st->db);
    if (foreign > 0)
        rc = pa_errf(err, PA_EINPUT, "an SQLite database privaudit did not write (%lld tables, none of them "
                     "privaudit's meta): refusing to write into it; choose a new --db", foreign);
    if (rc) {
        if (err)
            pa_err_prefix(err, "%s", path);
        store_close(st);
        return rc;
    }
    rc = exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", err);
    if (!rc)
        rc = exec(st, "BEGIN IMMEDIATE;", err);
    if (!rc)
        rc = exec(st, schema_sql, err);
    /* a database written before a column existed gets it, NULL in its old rows: estimate.point (the GDP
     * fit), trial.replace_one (the neighbour relation of the generator's claim, since 2026-12-02) */
    if (!rc)
        rc = add_column(st, "estimate", "point", "REAL", err);
    if (!rc)
        rc = add_column(st, "trial", "replace_one", "INTEGER", err);
    if (!rc) {
        sqlite3_stmt *s;
        if ((rc = prep(st, "SELECT value FROM meta WHERE key = 'format'", &s, err)) == PA_OK) {
            if (sqlite3_step(s) == SQLITE_ROW) {
                int fmt = atoi((const char *)sqlite3_column_text(s, 0));
                if (fmt != STORE_FORMAT)
                    rc = pa_errf(err, PA_EINPUT, "%s: database format %d, this privaudit reads format %d", path,
                                 fmt, STORE_FORMAT);
            } else {
                char sql[128];
                snprintf(sql, sizeof sql, "INSERT INTO meta(key, value) VALUES ('format', '%d')", STORE_FORMAT);
                rc = exec(st, sql, err);
            }
            sqlite3_finalize(s);
        }
    }
    if (!rc) {
        /* the version of the last program that opened the file for writing (the report's provenance
         * for the kinds whose tables do not record it) */
        sqlite3_stmt *s;
        if ((rc = prep(st, "INSERT OR REPLACE INTO meta(key, value) VALUES ('code_version', ?1)", &s, err)) == PA_OK) {
            sqlite3_bind_text(s, 1, pa_version(), -1, SQLITE_STATIC);
            if (sqlite3_step(s) != SQLITE_DONE)
                rc = db_fail(st, err, "meta");
            sqlite3_finalize(s);
        }
    }
    if (!rc)
        rc = exec(st, "COMMIT;", err);
    if (rc) {
        if (err)
            pa_err_prefix(err, "%s", path);
        store_close(st);
        return rc;
    }
    ckpt_start(st, path);
    if ((rc = prep(st,
                   "INSERT OR IGNORE INTO trial(id, cell_id, game, split, stream_seed, status, error, eps_spent,"
                   " delta_spent, rho_spent, accountant, synth_hash, fit_s, sample_s, attack_s, replace_one)"
                   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   &st->put_trial, err)) ||
        (rc = prep(st, "INSERT OR REPLACE INTO membership(trial_id, target_id, member) VALUES (?,?,?)",
                   &st->put_member, err)) ||
        (rc = prep(st, "INSERT OR REPLACE INTO score(trial_id, target_id, attack, score) VALUES (?,?,?,?)",
                   &st->put_score, err)) ||
        (rc = prep(st, "INSERT INTO metric(cell_id, attack, target_id, name, value) VALUES (?,?,?,?,?)",
                   &st->put_metric, err)) ||
        (rc = prep(st,
                   "INSERT INTO estimate(cell_id, attack, target_id, method, lo, hi, alpha, delta, threshold,"
                   " tp, fn, fp, tn, claimed, p_exceeds, violation, point) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   &st->put_estimate, err)) ||
        (rc = prep(st, "SELECT 1 FROM trial WHERE id = ?", &st->has_trial, err)) ||
        (rc = prep(st, "INSERT INTO utility(trial_id, name, value) VALUES (?, ?, ?)", &st->put_util, err)) ||
        (rc = prep(st, "INSERT INTO feature(trial_id, target_id, features) VALUES (?, ?, ?)", &st->put_feature,
                   err))) {
        store_close(st);
        return rc;
    }
    *out = st;
    return PA_OK;
}

static int store_open_mode(const char *path, int mode, store **out, pa_err *err)
{
    *out = NULL;
    int created = 0;
    int fd = lock_db(path, mode, &created, err);
    if (fd < 0)
        return err ? err->code : PA_EIO;
    int rc = store_open_fd(path, fd, out, err);
    if (rc && created)
        unlink(path); /* nothing half-made is left behind */
    return rc;
}

int store_open(const char *path, store **out, pa_err *err)
{
    return store_open_mode(path, 0, out, err);
}

int store_open_run(const char *path, int create_new, store **out, pa_err *err)
{
    return store_open_mode(path, create_new ? 1 : 2, out, err);
}

void *store_db(store *st)
{
    return st->db;
}

/* Binds a double, mapping NaN to NULL (SQLite would do so anyway). */
static void bind_real(sqlite3_stmt *s, int k, double v)
{
    if (isnan(v))
        sqlite3_bind_null(s, k);
    else
        sqlite3_bind_double(s, k, v);
}

static void bind_text(sqlite3_stmt *s, int k, const char *v)
{
    if (v)
        sqlite3_bind_text(s, k, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, k);
}

static void bind_target(sqlite3_stmt *s, int k, int64_t target_id)
{
    if (target_id < 0)
        sqlite3_bind_null(s, k);
    else
        sqlite3_bind_int64(s, k, target_id);
}

static int step_done(store *st, sqlite3_stmt *s, pa_err *err, const char *what)
{
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return r == SQLITE_DONE ? PA_OK : db_fail(st, err, what);
}

int store_put_experiment(store *st, const store_experiment *e, int *existing, pa_err *err)
{
    *existing = 0;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s = NULL;
    int rc = prep(st, "SELECT config_hash, data_hash, seed FROM experiment WHERE id = 1", &s, err);
    if (rc)
        goto out;
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)e->seed);
    if (sqlite3_step(s) == SQLITE_ROW) {
        *existing = 1;
        const char *ch = (const char *)sqlite3_column_text(s, 0);
        const char *dh = (const char *)sqlite3_column_text(s, 1);
        const char *sd = (const char *)sqlite3_column_text(s, 2);
        if (strcmp(ch, e->config_hash) != 0)
            rc = pa_errf(err, PA_EINPUT,
                         "the database holds an experiment with another config (hash %s, this one %s): use a new --db",
                         ch, e->config_hash);
        else if (strcmp(dh, e->data_hash) != 0)
            rc = pa_errf(err, PA_EINPUT, "the database holds an experiment on other data (hash %s, this %s)", dh,
                         e->data_hash);
        else if (strcmp(sd, seed) != 0)
            rc = pa_errf(err, PA_EINPUT, "the database holds an experiment with seed %s, not %s", sd, seed);
        goto out;
    }
    sqlite3_finalize(s);
    s = NULL;
    if ((rc = prep(st,
                   "INSERT INTO experiment(id, name, config_json, config_hash, code_version, data_path, data_hash,"
                    " schema_json, seed, n_trials, game) VALUES (1,?,?,?,?,?,?,?,?,?,?)",
                   &s, err)))
        goto out;
    bind_text(s, 1, e->name);
    bind_text(s, 2, e->config_json);
    bind_text(s, 3, e->config_hash);
    bind_text(s, 4, e->code_version);
    bind_text(s, 5, e->data_path);
    bind_text(s, 6, e->data_hash);
    bind_text(s, 7, e->schema_json);
    bind_text(s, 8, seed);
    sqlite3_bind_int64(s, 9, (sqlite3_int64)e->n_trials);
    bind_text(s, 10, e->game ? e->game : "average");
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = db_fail(st, err, "experiment");
out:
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_put_cell(store *st, const store_cell *c, pa_err *err)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s;
    int rc = prep(st, "INSERT OR IGNORE INTO cell(id, generator, params_json, epsilon, delta) VALUES (?,?,?,?,?)",
                  &s, err);
    if (!rc) {
        sqlite3_bind_int64(s, 1, c->id);
        bind_text(s, 2, c->generator);
        bind_text(s, 3, c->params_json);
        sqlite3_bind_double(s, 4, c->epsilon);
        sqlite3_bind_double(s, 5, c->delta);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = db_fail(st, err, "cell");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_put_target(store *st, const store_target *t, pa_err *err)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s;
    int rc = prep(st, "INSERT OR IGNORE INTO target(id, row, how, isolation, record) VALUES (?,?,?,?,?)", &s, err);
    if (!rc) {
        sqlite3_bind_int64(s, 1, t->id);
        sqlite3_bind_int64(s, 2, t->row);
        bind_text(s, 3, t->how);
        bind_real(s, 4, t->isolation);
        bind_text(s, 5, t->record);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = db_fail(st, err, "target");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_put_trial(store *st, const store_trial *t, pa_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = exec(st, "BEGIN IMMEDIATE;", err);
    if (rc)
        goto out;
    sqlite3_stmt *s = st->has_trial;
    sqlite3_bind_int64(s, 1, t->id);
    int exists = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    if (exists) {
        rc = exec(st, "COMMIT;", err);
        goto out;
    }
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)t->stream_seed);
    s = st->put_trial;
    sqlite3_bind_int64(s, 1, t->id);
    sqlite3_bind_int64(s, 2, t->cell_id);
    sqlite3_bind_int64(s, 3, t->game);
    bind_text(s, 4, t->split);
    bind_text(s, 5, seed);
    bind_text(s, 6, t->status);
    bind_text(s, 7, t->error);
    bind_real(s, 8, t->eps_spent);
    bind_real(s, 9, t->delta_spent);
    bind_real(s, 10, t->rho_spent);
    bind_text(s, 11, t->accountant);
    bind_text(s, 12, t->synth_hash);
    bind_real(s, 13, t->fit_s);
    bind_real(s, 14, t->sample_s);
    bind_real(s, 15, t->attack_s);
    if (t->claim_nb == 1 || t->claim_nb == 2)
        sqlite3_bind_int(s, 16, t->claim_nb == 2);
    else
        sqlite3_bind_null(s, 16);
    if ((rc = step_done(st, s, err, "trial")))
        goto rollback;
    for (size_t i = 0; i < t->k; i++) {
        s = st->put_member;
        sqlite3_bind_int64(s, 1, t->id);
        sqlite3_bind_int64(s, 2, t->target_id[i]);
        sqlite3_bind_int(s, 3, t->member[i]);
        if ((rc = step_done(st, s, err, "membership")))
            goto rollback;
        for (size_t a = 0; a < t->n_attacks && t->score; a++) {
            s = st->put_score;
            sqlite3_bind_int64(s, 1, t->id);
            sqlite3_bind_int64(s, 2, t->target_id[i]);
            bind_text(s, 3, t->attack[a]);
            bind_real(s, 4, t->score[a * t->k + i]);
            if ((rc = step_done(st, s, err, "score")))
                goto rollback;
        }
        if (t->dim && t->features) {
            s = st->put_feature;
            sqlite3_bind_int64(s, 1, t->id);
            sqlite3_bind_int64(s, 2, t->target_id[i]);
            sqlite3_bind_blob(s, 3, t->features + i * t->dim, (int)(t->dim * sizeof *t->features), SQLITE_STATIC);
            if ((rc = step_done(st, s, err, "feature")))
                goto rollback;
        }
    }
    for (size_t u = 0; u < t->n_util; u++) {
        s = st->put_util;
        sqlite3_bind_int64(s, 1, t->id);
        bind_text(s, 2, t->util_name[u]);
        bind_real(s, 3, t->util_value[u]);
        if ((rc = step_done(st, s, err, "utility")))
            goto rollback;
    }
    rc = exec(st, "COMMIT;", err);
    goto out;
rollback:
    exec(st, "ROLLBACK;", NULL);
out:
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_put_shadow(store *st, const store_shadow *sh, pa_err *err)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s;
    int rc = prep(st,
                  "INSERT OR IGNORE INTO shadow(cell_id, game, status, error, k, dim, member, features, seconds)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  &s, err);
    if (!rc) {
        sqlite3_bind_int64(s, 1, sh->cell_id);
        sqlite3_bind_int64(s, 2, sh->game);
        bind_text(s, 3, sh->status);
        bind_text(s, 4, sh->error);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)sh->k);
        sqlite3_bind_int64(s, 6, (sqlite3_int64)sh->dim);
        if (sh->member)
            sqlite3_bind_blob(s, 7, sh->member, (int)(sh->k * sizeof *sh->member), SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(s, 7);
        if (sh->features)
            sqlite3_bind_blob(s, 8, sh->features, (int)(sh->k * sh->dim * sizeof *sh->features), SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(s, 8);
        bind_real(s, 9, sh->seconds);
        rc = step_done(st, s, err, "shadow");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_done_shadows(store *st, size_t games, unsigned char *done, size_t n, pa_err *err)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s;
    int rc = prep(st, "SELECT cell_id, game FROM shadow", &s, err);
    if (!rc) {
        int r;
        while ((r = sqlite3_step(s)) == SQLITE_ROW) {
            sqlite3_int64 c = sqlite3_column_int64(s, 0), g = sqlite3_column_int64(s, 1);
            if (c >= 0 && g >= 0 && (size_t)g < games && (size_t)c * games + (size_t)g < n)
                done[(size_t)c * games + (size_t)g] = 1;
        }
        if (r != SQLITE_DONE)
            rc = db_fail(st, err, "shadows");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_shadows(store *st, int64_t cell_id, size_t k, size_t dim, int **member, double **features, size_t *n,
                  pa_err *err)
{
    *member = NULL;
    *features = NULL;
    *n = 0;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s;
    size_t cap = 0, cnt = 0;
    int *mb = NULL;
    double *ft = NULL;
    int rc = prep(st,
                  "SELECT member, features FROM shadow WHERE cell_id = ? AND status = 'ok' AND k = ? AND dim = ?"
                  " ORDER BY game",
                  &s, err);
    if (!rc) {
        sqlite3_bind_int64(s, 1, cell_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)k);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)dim);
        int r;
        while ((r = sqlite3_step(s)) == SQLITE_ROW) {
            if ((size_t)sqlite3_column_bytes(s, 0) != k * sizeof *mb ||
                (size_t)sqlite3_column_bytes(s, 1) != k * dim * sizeof *ft) {
                rc = pa_errf(err, PA_EIO, "database: shadow row of cell %lld has the wrong size",
                             (long long)cell_id);
                break;
            }
            if (cnt == cap) {
                size_t nc = cap ? 2 * cap : 64;
                int *m2 = realloc(mb, nc * k * sizeof *mb);
                if (m2)
                    mb = m2;
                double *f2 = m2 ? realloc(ft, nc * k * dim * sizeof *ft) : NULL;
                if (!m2 || !f2) {
                    rc = pa_errf(err, PA_ENOMEM, "out of memory reading shadow features");
                    break;
                }
                ft = f2;
                cap = nc;
            }
            memcpy(mb + cnt * k, sqlite3_column_blob(s, 0), k * sizeof *mb);
            memcpy(ft + cnt * k * dim, sqlite3_column_blob(s, 1), k * dim * sizeof *ft);
            cnt++;
        }
        if (!rc && r != SQLITE_DONE)
            rc = db_fail(st, err, "shadows");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->mu);
    if (rc) {
        free(mb);
        free(ft);
        return rc;
    }
    *member = mb;
    *features = ft;
    *n = cnt;
    return PA_OK;
}

int store_features(store *st, int64_t cell_id, size_t dim, int64_t **trial_id, int64_t **target_id,
                   double **features, size_t *n, pa_err *err)
{
    *trial_id = *target_id = NULL;
    *features = NULL;
    *n = 0;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s;
    size_t cap = 0, cnt = 0;
    int64_t *tr = NULL, *tg = NULL;
    double *ft = NULL;
    int rc = prep(st,
                  "SELECT f.trial_id, f.target_id, f.features FROM feature f JOIN trial t ON t.id = f.trial_id"
                  " WHERE t.cell_id = ? AND t.status = 'ok' AND length(f.features) = ?"
                  " ORDER BY f.trial_id, f.target_id",
                  &s, err);
    if (!rc) {
        sqlite3_bind_int64(s, 1, cell_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)(dim * sizeof *ft));
        int r;
        while ((r = sqlite3_step(s)) == SQLITE_ROW) {
            if (cnt == cap) {
                size_t nc = cap ? 2 * cap : 256;
                int64_t *a = realloc(tr, nc * sizeof *a);
                if (a)
                    tr = a;
                int64_t *b = a ? realloc(tg, nc * sizeof *b) : NULL;
                if (b)
                    tg = b;
                double *f = b ? realloc(ft, nc * (dim ? dim : 1) * sizeof *f) : NULL;
                if (!f) {
                    rc = pa_errf(err, PA_ENOMEM, "out of memory reading features");
                    break;
                }
                ft = f;
                cap = nc;
            }
            tr[cnt] = sqlite3_column_int64(s, 0);
            tg[cnt] = sqlite3_column_int64(s, 1);
            if (dim)
                memcpy(ft + cnt * dim, sqlite3_column_blob(s, 2), dim * sizeof *ft);
            cnt++;
        }
        if (!rc && r != SQLITE_DONE)
            rc = db_fail(st, err, "features");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->mu);
    if (rc) {
        free(tr);
        free(tg);
        free(ft);
        return rc;
    }
    *trial_id = tr;
    *target_id = tg;
    *features = ft;
    *n = cnt;
    return PA_OK;
}

int store_put_score(store *st, int64_t trial_id, int64_t target_id, const char *attack, double score, pa_err *err)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s = st->put_score;
    sqlite3_bind_int64(s, 1, trial_id);
    sqlite3_bind_int64(s, 2, target_id);
    bind_text(s, 3, attack);
    bind_real(s, 4, score);
    int rc = step_done(st, s, err, "score");
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_done_trials(store *st, unsigned char *done, size_t n, pa_err *err)
{
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s;
    int rc = prep(st, "SELECT id FROM trial", &s, err);
    if (!rc) {
        int r;
        while ((r = sqlite3_step(s)) == SQLITE_ROW) {
            sqlite3_int64 id = sqlite3_column_int64(s, 0);
            if (id >= 0 && (size_t)id < n)
                done[id] = 1;
        }
        if (r != SQLITE_DONE)
            rc = db_fail(st, err, "trials");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_scores(store *st, int64_t cell_id, const char *attack, int64_t target_id, double **score, int **member,
                 int **is_cal, size_t *n, pa_err *err)
{
    *score = NULL;
    *member = NULL;
    *is_cal = NULL;
    *n = 0;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s;
    int rc = prep(st,
                  "SELECT sc.score, m.member, t.split = 'calibration' FROM score sc"
                  " JOIN trial t ON t.id = sc.trial_id"
                  " JOIN membership m ON m.trial_id = sc.trial_id AND m.target_id = sc.target_id"
                  " WHERE t.cell_id = ?1 AND sc.attack = ?2 AND t.status = 'ok' AND sc.score IS NOT NULL"
                  " AND (?3 < 0 OR sc.target_id = ?3) ORDER BY t.game, sc.target_id",
                  &s, err);
    if (rc)
        goto out;
    sqlite3_bind_int64(s, 1, cell_id);
    bind_text(s, 2, attack);
    sqlite3_bind_int64(s, 3, target_id);
    size_t cap = 0, k = 0;
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (k == cap) {
            cap = cap ? 2 * cap : 256;
            double *ns = realloc(*score, cap * sizeof *ns);
            if (ns)
                *score = ns;
            int *nm = realloc(*member, cap * sizeof *nm);
            if (nm)
                *member = nm;
            int *nc = realloc(*is_cal, cap * sizeof *nc);
            if (nc)
                *is_cal = nc;
            if (!ns || !nm || !nc) {
                rc = pa_errf(err, PA_ENOMEM, "out of memory");
                break;
            }
        }
        (*score)[k] = sqlite3_column_double(s, 0);
        (*member)[k] = sqlite3_column_int(s, 1);
        (*is_cal)[k] = sqlite3_column_int(s, 2);
        k++;
    }
    if (!rc && r != SQLITE_DONE)
        rc = db_fail(st, err, "scores");
    sqlite3_finalize(s);
    *n = k;
out:
    pthread_mutex_unlock(&st->mu);
    if (rc) {
        free(*score);
        free(*member);
        free(*is_cal);
        *score = NULL;
        *member = NULL;
        *is_cal = NULL;
        *n = 0;
    }
    return rc;
}

int store_cell_rho(store *st, int64_t cell_id, double *rho, pa_err *err)
{
    *rho = NAN;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s;
    int rc = prep(st,
                  "SELECT count(*), sum(accountant IN ('zcdp', 'declared-zcdp', 'declared-gdp')"
                  " AND rho_spent IS NOT NULL), max(rho_spent) FROM trial WHERE cell_id = ?1 AND status = 'ok'",
                  &s, err);
    if (!rc) {
        sqlite3_bind_int64(s, 1, cell_id);
        if (sqlite3_step(s) == SQLITE_ROW) {
            sqlite3_int64 n = sqlite3_column_int64(s, 0), z = sqlite3_column_int64(s, 1);
            if (n > 0 && z == n && sqlite3_column_type(s, 2) != SQLITE_NULL)
                *rho = sqlite3_column_double(s, 2);
        } else {
            rc = db_fail(st, err, "trial rho");
        }
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_cell_generator(store *st, int64_t cell_id, char *name, size_t cap, char **params_json, pa_err *err)
{
    name[0] = 0;
    if (params_json)
        *params_json = NULL;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s;
    int rc = prep(st, "SELECT generator, params_json FROM cell WHERE id = ?1", &s, err);
    if (!rc) {
        sqlite3_bind_int64(s, 1, cell_id);
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW && sqlite3_column_text(s, 0))
            snprintf(name, cap, "%s", (const char *)sqlite3_column_text(s, 0));
        if (r == SQLITE_ROW && params_json && sqlite3_column_text(s, 1) &&
            !(*params_json = pa_strdup((const char *)sqlite3_column_text(s, 1))))
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
        else if (r != SQLITE_ROW && r != SQLITE_DONE)
            rc = db_fail(st, err, "cell");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_estimate_params(store *st, int64_t cell_id, const char *attack, int64_t target_id, double *alpha,
                          double *delta, double *claimed, pa_err *err)
{
    *alpha = *delta = *claimed = NAN;
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s;
    int rc = prep(st,
                  "SELECT alpha, delta, claimed FROM estimate WHERE cell_id = ?1 AND attack = ?2"
                  " AND ifnull(target_id, -1) = ?3 AND method != 'gdp_fit' ORDER BY rowid LIMIT 1",
                  &s, err);
    if (!rc) {
        sqlite3_bind_int64(s, 1, cell_id);
        bind_text(s, 2, attack);
        sqlite3_bind_int64(s, 3, target_id < 0 ? -1 : target_id);
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW) {
            *alpha = sqlite3_column_double(s, 0);
            *delta = sqlite3_column_double(s, 1);
            *claimed = sqlite3_column_type(s, 2) == SQLITE_NULL ? INFINITY : sqlite3_column_double(s, 2);
        } else if (r != SQLITE_DONE) {
            rc = db_fail(st, err, "estimate");
        }
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_begin(store *st, pa_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = exec(st, "BEGIN IMMEDIATE;", err);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_commit(store *st, pa_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = exec(st, "COMMIT;", err);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_clear_results(store *st, pa_err *err)
{
    pthread_mutex_lock(&st->mu);
    int rc = exec(st, "DELETE FROM metric; DELETE FROM estimate;", err);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* ---- batches: metric and estimate rows kept in memory (store.h) ---- */

typedef struct batch_row {
    int is_metric;
    store_metric m;
    store_estimate e;
    char *attack, *name;        /* owned copies of the row's strings */
} batch_row;

struct store_batch {
    batch_row *rows;
    size_t n, cap;
    int oom;
};

static _Thread_local store_batch *captured;

store_batch *store_batch_new(void)
{
    return calloc(1, sizeof(store_batch));
}

void store_batch_free(store_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->rows[i].attack);
        free(b->rows[i].name);
    }
    free(b->rows);
    free(b);
}

void store_batch_capture(store_batch *b)
{
    captured = b;
}

/* appends a row to the captured batch; the caller fills it */
static batch_row *batch_add(store_batch *b, const char *attack, const char *name)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 16;
        batch_row *r = realloc(b->rows, nc * sizeof *r);
        if (!r) {
            b->oom = 1;
            return NULL;
        }
        b->rows = r;
        b->cap = nc;
    }
    batch_row *r = &b->rows[b->n];
    memset(r, 0, sizeof *r);
    r->attack = attack ? pa_strdup(attack) : NULL;
    r->name = name ? pa_strdup(name) : NULL;
    if ((attack && !r->attack) || (name && !r->name)) {
        free(r->attack);
        free(r->name);
        b->oom = 1;
        return NULL;
    }
    b->n++;
    return r;
}

int store_batch_write(store *st, const store_batch *b, pa_err *err)
{
    if (b->oom)
        return pa_errf(err, PA_ENOMEM, "out of memory keeping metric rows");
    int rc = PA_OK;
    for (size_t i = 0; i < b->n && !rc; i++)
        rc = b->rows[i].is_metric ? store_put_metric(st, &b->rows[i].m, err) : store_put_estimate(st, &b->rows[i].e, err);
    return rc;
}

int store_put_metric(store *st, const store_metric *m, pa_err *err)
{
    if (captured) {
        store_batch *b = captured;
        batch_row *r = batch_add(b, m->attack, m->name);
        if (r) {
            r->is_metric = 1;
            r->m = *m;
            r->m.attack = r->attack;
            r->m.name = r->name;
        }
        return PA_OK;
    }
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s = st->put_metric;
    sqlite3_bind_int64(s, 1, m->cell_id);
    bind_text(s, 2, m->attack);
    bind_target(s, 3, m->target_id);
    bind_text(s, 4, m->name);
    bind_real(s, 5, m->value);
    int rc = step_done(st, s, err, "metric");
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int store_put_estimate(store *st, const store_estimate *e, pa_err *err)
{
    if (captured) {
        store_batch *b = captured;
        batch_row *r = batch_add(b, e->attack, e->method);
        if (r) {
            r->e = *e;
            r->e.attack = r->attack;
            r->e.method = r->name;
        }
        return PA_OK;
    }
    pthread_mutex_lock(&st->mu);
    sqlite3_stmt *s = st->put_estimate;
    sqlite3_bind_int64(s, 1, e->cell_id);
    bind_text(s, 2, e->attack);
    bind_target(s, 3, e->target_id);
    bind_text(s, 4, e->method);
    bind_real(s, 5, e->lo);
    bind_real(s, 6, e->hi);
    bind_real(s, 7, e->alpha);
    bind_real(s, 8, e->delta);
    bind_real(s, 9, e->threshold);
    bind_real(s, 10, e->tp);
    bind_real(s, 11, e->fn);
    bind_real(s, 12, e->fp);
    bind_real(s, 13, e->tn);
    bind_real(s, 14, e->claimed);
    bind_real(s, 15, e->p_exceeds);
    sqlite3_bind_int(s, 16, e->violation);
    bind_real(s, 17, e->point);
    int rc = step_done(st, s, err, "estimate");
    pthread_mutex_unlock(&st->mu);
    return rc;
}
