/* shard.c — shard specs, the shard entry of the meta table, and the merge
 * of shard databases (shard.h).
 *
 * The merge copies rows with SQL (ATTACH, INSERT ... SELECT) table by table,
 * so it needs no knowledge of most tables: a table with a trial_id column,
 * and the tables trial and shadow, are partitioned between the shards (each
 * row comes from exactly one shard, which the coverage check guarantees); every
 * other table (cell, target, ...) is the experiment's own and must be the
 * same in every shard, which is checked row by row. The tables meta and
 * experiment are written once, from the first shard.
 */
#include "harness/shard.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <sys/file.h>

#include "core/util.h"
#include "harness/config.h"
#include "harness/finish.h"
#include "harness/pool.h"

#define SHARD_MAX 100000

int shard_parse(const char *text, shard_spec *out, pa_err *err)
{
    out->index = out->count = 0;
    const char *slash = text ? strchr(text, '/') : NULL;
    uint64_t i, n;
    char a[32], b[32];
    if (slash && (size_t)(slash - text) < sizeof a && strlen(slash + 1) < sizeof b) {
        memcpy(a, text, (size_t)(slash - text));
        a[slash - text] = 0;
        strcpy(b, slash + 1);
        if (util_parse_u64(a, &i) == 0 && util_parse_u64(b, &n) == 0 && n >= 1 && n <= SHARD_MAX && i < n) {
            out->index = (size_t)i;
            out->count = (size_t)n;
            return PA_OK;
        }
    }
    return pa_errf(err, PA_EINPUT, "--shard: got \"%s\", expected I/N with 0 <= I < N <= %d (e.g. 0/4)",
                   text ? text : "", SHARD_MAX);
}

size_t shard_size(const shard_spec *sp, size_t n_items)
{
    if (!sp->count)
        return n_items;
    return n_items > sp->index ? (n_items - sp->index + sp->count - 1) / sp->count : 0;
}

int shard_get(store *st, shard_spec *sp, pa_err *err)
{
    sp->index = sp->count = 0;
    sqlite3 *db = store_db(st);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'shard'", -1, &s, NULL) != SQLITE_OK)
        return pa_errf(err, PA_EIO, "database: meta: %s", sqlite3_errmsg(db));
    int rc = PA_OK;
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        if (shard_parse(v, sp, err))
            rc = pa_errf(err, PA_EIO, "database: meta shard = \"%s\" is not I/N", v ? v : "");
    }
    sqlite3_finalize(s);
    return rc;
}

int shard_put(store *st, const shard_spec *sp, pa_err *err)
{
    if (!sp->count)
        return PA_OK;
    sqlite3 *db = store_db(st);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES ('shard', ?)", -1, &s, NULL) !=
        SQLITE_OK)
        return pa_errf(err, PA_EIO, "database: meta: %s", sqlite3_errmsg(db));
    char v[64];
    snprintf(v, sizeof v, "%zu/%zu", sp->index, sp->count);
    sqlite3_bind_text(s, 1, v, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s) == SQLITE_DONE ? PA_OK : pa_errf(err, PA_EIO, "database: meta: %s", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return rc;
}

int shard_peek(const char *path, shard_spec *sp)
{
    sp->index = sp->count = 0;
    sqlite3 *db = NULL;
    int yes = 0;
    if (access(path, R_OK) == 0 && sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'shard'", -1, &s, NULL) == SQLITE_OK) {
            if (sqlite3_step(s) == SQLITE_ROW)
                yes = shard_parse((const char *)sqlite3_column_text(s, 0), sp, NULL) == PA_OK;
            sqlite3_finalize(s);
        }
    }
    sqlite3_close(db);
    return yes;
}

/* ------------------------------------------------------------------ merge */

/* What the merge needs to know of one shard before copying anything. */
typedef struct shard_db {
    const char *path;
    shard_spec sp;
    char *config_hash, *seed, *data_hash, *code_version, *config_json, *schema_json, *name;
    int64_t n_trials;
} shard_db;

static void shard_db_clear(shard_db *d)
{
    free(d->config_hash);
    free(d->seed);
    free(d->data_hash);
    free(d->code_version);
    free(d->config_json);
    free(d->schema_json);
    free(d->name);
}

static char *col_dup(sqlite3_stmt *s, int k)
{
    const unsigned char *t = sqlite3_column_text(s, k);
    return pa_strdup(t ? (const char *)t : "");
}

/* Calls fn(arg, value) for each integer of the first column of sql's rows. */
static int each_id(sqlite3 *db, const char *path, const char *sql, void (*fn)(void *, int64_t), void *arg,
                   pa_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return pa_errf(err, PA_EINPUT, "%s: not a privaudit run database (%s)", path, sqlite3_errmsg(db));
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW)
        fn(arg, sqlite3_column_int64(s, 0));
    int rc = r == SQLITE_DONE ? PA_OK : pa_errf(err, PA_EIO, "%s: %s", path, sqlite3_errmsg(db));
    sqlite3_finalize(s);
    return rc;
}

/* Reads the experiment row and the shard entry of path (read-only). */
static int shard_db_read(const char *path, shard_db *d, pa_err *err)
{
    memset(d, 0, sizeof *d);
    d->path = path;
    if (access(path, R_OK) != 0)
        return pa_errf(err, PA_EINPUT, "%s: cannot read the shard database: %s", path, strerror(errno));
    /* a run holds an exclusive lock on its database until it ends (store.h) */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        int busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
        close(fd);
        if (busy)
            return pa_errf(err, PA_EINPUT, "%s: a running privaudit is still writing this shard: wait for it to end",
                           path);
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        int rc = pa_errf(err, PA_EINPUT, "%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 10000);
    sqlite3_stmt *s = NULL;
    int rc = PA_OK;
    char fmt[16] = "", shard[64] = "";
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta WHERE key IN ('format', 'shard')", -1, &s, NULL) !=
        SQLITE_OK) {
        rc = pa_errf(err, PA_EINPUT, "%s: not a privaudit run database (%s)", path, sqlite3_errmsg(db));
        goto out;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(s, 0), *v = (const char *)sqlite3_column_text(s, 1);
        snprintf(!strcmp(k, "format") ? fmt : shard, !strcmp(k, "format") ? sizeof fmt : sizeof shard, "%s",
                 v ? v : "");
    }
    sqlite3_finalize(s);
    s = NULL;
    if (atoi(fmt) != STORE_FORMAT) {
        rc = pa_errf(err, PA_EINPUT, "%s: database format \"%s\", this privaudit merges format %d", path, fmt,
                     STORE_FORMAT);
        goto out;
    }
    if (!shard[0]) {
        rc = pa_errf(err, PA_EINPUT, "%s: not a shard (it was not run with --shard I/N): merge takes shard databases",
                     path);
        goto out;
    }
    if (shard_parse(shard, &d->sp, err)) {
        rc = pa_errf(err, PA_EINPUT, "%s: meta shard = \"%s\" is not I/N", path, shard);
        goto out;
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT config_hash, seed, data_hash, code_version, config_json, schema_json, name, n_trials"
                           " FROM experiment WHERE id = 1",
                           -1, &s, NULL) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW) {
        rc = pa_errf(err, PA_EINPUT, "%s: no experiment stored (%s)", path, sqlite3_errmsg(db));
        goto out;
    }
    d->config_hash = col_dup(s, 0);
    d->seed = col_dup(s, 1);
    d->data_hash = col_dup(s, 2);
    d->code_version = col_dup(s, 3);
    d->config_json = col_dup(s, 4);
    d->schema_json = col_dup(s, 5);
    d->name = col_dup(s, 6);
    d->n_trials = sqlite3_column_int64(s, 7);
    if (!d->config_hash || !d->seed || !d->data_hash || !d->code_version || !d->config_json || !d->schema_json ||
        !d->name)
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
out:
    sqlite3_finalize(s);
    sqlite3_close(db);
    return rc;
}

/* Marks the ids of one shard's trial (or shadow) rows in cover[], recording
 * the first foreign or duplicated id. */
typedef struct cover_ctx {
    unsigned short *cover;     /* (n) how many shards hold each id (saturating) */
    size_t n;
    const shard_spec *sp;
    int64_t foreign;           /* first id not owned by the shard, or -1 */
} cover_ctx;

static void cover_id(void *arg, int64_t id)
{
    cover_ctx *cc = arg;
    if (id < 0 || (size_t)id >= cc->n || (size_t)id % cc->sp->count != cc->sp->index) {
        if (cc->foreign < 0)
            cc->foreign = id;
        return;
    }
    if (cc->cover[id] < 0xffff)
        cc->cover[id]++;
}

/* Appends up to 5 ids of [0, n) owned by sp with cover[id] == want to buf. */
static size_t list_ids(char *buf, size_t cap, const unsigned short *cover, size_t n, const shard_spec *sp,
                       unsigned want, size_t *count)
{
    size_t len = strlen(buf), shown = 0;
    *count = 0;
    for (size_t j = 0, m = shard_size(sp, n); j < m; j++) {
        size_t id = shard_item(sp, j);
        if (cover[id] != want)
            continue;
        if ((*count)++ < 5 && len + 24 < cap)
            len += (size_t)snprintf(buf + len, cap - len, "%s%zu", shown++ ? ", " : "", id);
    }
    if (*count > 5 && len + 8 < cap)
        snprintf(buf + len, cap - len, ", ...");
    return *count;
}

static int sql_exec(sqlite3 *db, const char *sql, const char *what, pa_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = pa_errf(err, PA_EIO, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return rc;
    }
    return PA_OK;
}

/* "name" quoted for SQL (double quotes doubled), into buf. */
static const char *quote_ident(char *buf, size_t cap, const char *name)
{
    size_t k = 0;
    buf[k++] = '"';
    for (const char *p = name; *p && k + 3 < cap; p++) {
        if (*p == '"')
            buf[k++] = '"';
        buf[k++] = *p;
    }
    buf[k++] = '"';
    buf[k] = 0;
    return buf;
}

/* 1 if table `name` of the attached schema has a column named col. */
static int has_column(sqlite3 *db, const char *schema_name, const char *name, const char *col)
{
    sqlite3_stmt *s;
    int yes = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1, ?2) WHERE name = ?3", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, schema_name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 3, col, -1, SQLITE_TRANSIENT);
        yes = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_finalize(s);
    }
    return yes;
}

/* cols = the quoted, comma-separated columns of table `name` in the shard
 * "s", in its order, each checked to exist in main's table: a shard written
 * by an older build lacks columns added since (they take main's default,
 * NULL), one by a newer build has columns this build does not know (refused:
 * its rows would lose them). */
static int shard_columns(sqlite3 *db, const shard_db *d, const char *name, char *cols, size_t cap, pa_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1, 's') ORDER BY cid", -1, &q, NULL) != SQLITE_OK)
        return pa_errf(err, PA_EIO, "%s: table %s: %s", d->path, name, sqlite3_errmsg(db));
    sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
    size_t k = 0;
    int rc = PA_OK;
    cols[0] = 0;
    while (!rc && sqlite3_step(q) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(q, 0);
        char qc[300];
        if (!has_column(db, "main", name, c)) {
            rc = pa_errf(err, PA_EINPUT, "%s: table %s has a column \"%s\" that this privaudit's database does not "
                         "know (the shard was written by a newer build: merge with that build)", d->path, name, c);
            break;
        }
        quote_ident(qc, sizeof qc, c);
        int w = snprintf(cols + k, cap - k, "%s%s", k ? ", " : "", qc);
        if (w < 0 || (size_t)w >= cap - k)
            rc = pa_errf(err, PA_EINPUT, "%s: table %s: too many columns", d->path, name);
        else
            k += (size_t)w;
    }
    sqlite3_finalize(q);
    if (!rc && k == 0)
        rc = pa_errf(err, PA_EINPUT, "%s: table %s has no columns", d->path, name);
    return rc;
}

/* Copies every table of the attached shard "s" into main (see the top of
 * this file), column by name (shard_columns); `first` also copies the
 * experiment row. */
static int copy_shard(sqlite3 *db, const shard_db *d, int first, const char *first_path, pa_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, sql FROM s.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                           " ORDER BY name",
                           -1, &s, NULL) != SQLITE_OK)
        return pa_errf(err, PA_EIO, "%s: %s", d->path, sqlite3_errmsg(db));
    int rc = PA_OK;
    char qt[300], cols[4096], sql[2 * sizeof cols + 2 * sizeof qt + 128]; /* room for every statement below */
    while (!rc && sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0), *create = (const char *)sqlite3_column_text(s, 1);
        if (!strcmp(name, "meta") || (!first && !strcmp(name, "experiment")))
            continue;
        quote_ident(qt, sizeof qt, name);
        /* a table this build's store did not create (written by another module): take the shard's definition */
        sqlite3_stmt *q;
        int exists = 0;
        if (sqlite3_prepare_v2(db, "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?", -1, &q,
                               NULL) == SQLITE_OK) {
            sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
            exists = sqlite3_step(q) == SQLITE_ROW;
            sqlite3_finalize(q);
        }
        if (!exists && create && (rc = sql_exec(db, create, d->path, err)))
            break;
        if ((rc = shard_columns(db, d, name, cols, sizeof cols, err)))
            break;
        int partitioned = !strcmp(name, "trial") || !strcmp(name, "shadow") || has_column(db, "s", name, "trial_id");
        if (partitioned || !strcmp(name, "experiment")) {
            snprintf(sql, sizeof sql, "INSERT INTO main.%s (%s) SELECT %s FROM s.%s", qt, cols, cols, qt);
            if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
                rc = pa_errf(err, PA_EINPUT, "%s: table %s: %s (a row another shard already gave?)", d->path, name,
                             sqlite3_errmsg(db));
                break;
            }
            continue;
        }
        /* the experiment's own table: the same rows in every shard */
        snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO main.%s (%s) SELECT %s FROM s.%s", qt, cols, cols, qt);
        if ((rc = sql_exec(db, sql, d->path, err)))
            break;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT %s FROM s.%s EXCEPT SELECT %s FROM main.%s)", cols, qt,
                 cols, qt);
        if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
            rc = pa_errf(err, PA_EIO, "%s: table %s: %s", d->path, name, sqlite3_errmsg(db));
            break;
        }
        int64_t differ = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
        sqlite3_finalize(q);
        if (differ != 0)
            rc = pa_errf(err, PA_EINPUT, "%s: table %s differs from %s's (%lld rows): not the same experiment", d->path,
                         name, first_path, (long long)differ);
    }
    sqlite3_finalize(s);
    return rc;
}

static void unlink_db(const char *path)
{
    char p[4200];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-journal", path);
    unlink(p);
}

int merge_shards(const char *out, const char *const *paths, size_t n, const merge_opts *o, merge_info *info,
                 pa_err *err)
{
    memset(info, 0, sizeof *info);
    if (n == 0)
        return pa_errf(err, PA_EINPUT, "no shard databases given");
    if (access(out, F_OK) == 0)
        return pa_errf(err, PA_EINPUT, "%s exists: merge writes a new database (remove it or choose another name)",
                       out);
    shard_db *d = pa_calloc(n, sizeof *d);
    config *c = NULL;
    schema *sch = NULL;
    unsigned short *tcover = NULL, *scover = NULL;
    const char **owner = NULL;
    store *st = NULL;
    run_layout L = {0};
    char part[4200] = "";
    int rc = d ? PA_OK : pa_errf(err, PA_ENOMEM, "out of memory");
    double t0 = util_now();
    /* 1. every shard belongs to the first one's experiment */
    for (size_t i = 0; i < n && !rc; i++) {
        if ((rc = shard_db_read(paths[i], &d[i], err)))
            break;
        const shard_db *a = &d[0], *b = &d[i];
        const char *what = strcmp(a->config_hash, b->config_hash) ? "config hash"
                           : strcmp(a->seed, b->seed)              ? "seed"
                           : strcmp(a->data_hash, b->data_hash)    ? "data hash"
                           : strcmp(a->code_version, b->code_version) ? "code version"
                                                                      : NULL;
        if (what) {
            const char *va = !strcmp(what, "config hash") ? a->config_hash
                             : !strcmp(what, "seed")      ? a->seed
                             : !strcmp(what, "data hash") ? a->data_hash
                                                          : a->code_version;
            const char *vb = !strcmp(what, "config hash") ? b->config_hash
                             : !strcmp(what, "seed")      ? b->seed
                             : !strcmp(what, "data hash") ? b->data_hash
                                                          : b->code_version;
            rc = pa_errf(err, PA_EINPUT, "%s is a shard of another experiment: %s %s (\"%s\"), but %s has %s (\"%s\")",
                         b->path, what, vb, b->name, a->path, va, a->name);
        } else if (b->sp.count != a->sp.count) {
            rc = pa_errf(err, PA_EINPUT, "%s is shard %zu/%zu but %s is shard %zu/%zu: the shards of a merge split the "
                         "trials the same way", b->path, b->sp.index, b->sp.count, a->path, a->sp.index, a->sp.count);
        }
    }
    if (rc)
        goto out;
    /* the config as the shards ran it */
    uint64_t seed = 0;
    util_parse_u64(d[0].seed, &seed);
    if ((rc = config_parse(d[0].path, d[0].config_json, &seed, &c, err))) {
        pa_err_prefix(err, "the stored config");
        goto out;
    }
    if (strcmp(c->hash, d[0].config_hash) != 0) {
        rc = pa_errf(err, PA_EINPUT, "%s: its stored config hashes to %s, not the stored %s", d[0].path, c->hash,
                     d[0].config_hash);
        goto out;
    }
    if ((rc = schema_parse(d[0].schema_json, d[0].path, &sch, err)))
        goto out;
    if ((rc = run_layout_make(c, sch, &L, err)))
        goto out;
    /* shadow releases are played only for configs with a shadow-model attack */
    const size_t N = d[0].sp.count, n_trials = c->n_cells * c->games, n_sh = L.S ? c->n_cells * c->shadow_games : 0;
    if ((size_t)d[0].n_trials != n_trials) {
        rc = pa_errf(err, PA_EINPUT, "%s: plans %lld trials, its config %zu", d[0].path, (long long)d[0].n_trials,
                     n_trials);
        goto out;
    }
    /* 2. each shard once, every shard there */
    owner = pa_calloc(N, sizeof *owner);
    tcover = pa_calloc(n_trials + 1, sizeof *tcover);
    scover = pa_calloc(n_sh + 1, sizeof *scover);
    if (!owner || !tcover || !scover) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        const shard_spec *sp = &d[i].sp;
        if (owner[sp->index]) {
            char ids[160] = "";
            size_t cnt;
            unsigned short *all = pa_calloc(n_trials + 1, sizeof *all);
            if (all)
                list_ids(ids, sizeof ids, all, n_trials, sp, 0, &cnt);
            free(all);
            rc = pa_errf(err, PA_EINPUT, "%s and %s are both shard %zu/%zu: its %zu trials (%s) would be counted "
                         "twice; give each shard once", owner[sp->index], d[i].path, sp->index, N,
                         shard_size(sp, n_trials), ids);
        }
        owner[sp->index] = d[i].path;
    }
    for (size_t j = 0; j < N && !rc; j++)
        if (!owner[j]) {
            shard_spec sp = {j, N};
            char ids[160] = "";
            size_t cnt;
            list_ids(ids, sizeof ids, tcover, n_trials, &sp, 0, &cnt);
            rc = pa_errf(err, PA_EINPUT, "missing shard %zu/%zu: its %zu trials (%s) are in none of the %zu databases "
                         "given; run privaudit run CONFIG --shard %zu/%zu", j, N, cnt, ids, n, j, N);
        }
    if (rc)
        goto out;
    /* 3. each shard complete: every trial and shadow release it owns, once */
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(d[i].path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
            rc = pa_errf(err, PA_EINPUT, "%s: cannot open: %s", d[i].path, db ? sqlite3_errmsg(db) : "out of memory");
            sqlite3_close(db);
            break;
        }
        cover_ctx ct = {.cover = tcover, .n = n_trials, .sp = &d[i].sp, .foreign = -1};
        cover_ctx cs = {.cover = scover, .n = n_sh, .sp = &d[i].sp, .foreign = -1};
        char sq[128];
        snprintf(sq, sizeof sq, "SELECT cell_id * %zu + game FROM shadow", c->shadow_games);
        rc = each_id(db, d[i].path, "SELECT id FROM trial", cover_id, &ct, err);
        if (!rc)
            rc = each_id(db, d[i].path, sq, cover_id, &cs, err);
        sqlite3_close(db);
        if (rc)
            break;
        if (ct.foreign >= 0 || cs.foreign >= 0) {
            rc = pa_errf(err, PA_EINPUT, "%s (shard %zu/%zu) holds %s %lld, which is not its own", d[i].path,
                         d[i].sp.index, N, ct.foreign >= 0 ? "trial" : "shadow release",
                         (long long)(ct.foreign >= 0 ? ct.foreign : cs.foreign));
            break;
        }
        char tids[160] = "", sids[160] = "";
        size_t tm, sm;
        list_ids(tids, sizeof tids, tcover, n_trials, &d[i].sp, 0, &tm);
        list_ids(sids, sizeof sids, scover, n_sh, &d[i].sp, 0, &sm);
        if (tm || sm) {
            rc = pa_errf(err, PA_EINPUT, "%s (shard %zu/%zu) is incomplete: %zu of its %zu %s are missing (%s); finish "
                         "it with privaudit run CONFIG --shard %zu/%zu --db %s --resume", d[i].path, d[i].sp.index, N,
                         tm ? tm : sm, shard_size(&d[i].sp, tm ? n_trials : n_sh), tm ? "trials" : "shadow releases",
                         tm ? tids : sids, d[i].sp.index, N, d[i].path);
            break;
        }
        info->trials += shard_size(&d[i].sp, n_trials);
        info->shadows += shard_size(&d[i].sp, n_sh);
    }
    if (rc)
        goto out;
    /* 4. copy, into out.part */
    snprintf(part, sizeof part, "%s.part", out);
    unlink_db(part);
    if ((rc = store_open_run(part, 1, &st, err)))
        goto out;
    sqlite3 *db = store_db(st);
    /* rows arrive table by table in name order: the references are checked once all are in */
    rc = sql_exec(db, "PRAGMA foreign_keys = OFF; CREATE TABLE merge_source(shard TEXT NOT NULL, path TEXT NOT NULL,"
                  " trials INTEGER NOT NULL, shadows INTEGER NOT NULL)", part, err);
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_stmt *a;
        if (sqlite3_prepare_v2(db, "ATTACH DATABASE ? AS s", -1, &a, NULL) != SQLITE_OK) {
            rc = pa_errf(err, PA_EIO, "database: %s", sqlite3_errmsg(db));
            break;
        }
        sqlite3_bind_text(a, 1, d[i].path, -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(a);
        sqlite3_finalize(a);
        if (r != SQLITE_DONE) {
            rc = pa_errf(err, PA_EIO, "%s: cannot attach: %s", d[i].path, sqlite3_errmsg(db));
            break;
        }
        rc = sql_exec(db, "BEGIN IMMEDIATE", part, err);
        if (!rc)
            rc = copy_shard(db, &d[i], i == 0, d[0].path, err);
        if (!rc) {
            sqlite3_stmt *m;
            if (sqlite3_prepare_v2(db,
                                   "INSERT INTO merge_source(shard, path, trials, shadows) VALUES (?, ?, ?, ?)", -1, &m,
                                   NULL) == SQLITE_OK) {
                char spec[64];
                snprintf(spec, sizeof spec, "%zu/%zu", d[i].sp.index, N);
                sqlite3_bind_text(m, 1, spec, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(m, 2, d[i].path, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(m, 3, (sqlite3_int64)shard_size(&d[i].sp, n_trials));
                sqlite3_bind_int64(m, 4, (sqlite3_int64)shard_size(&d[i].sp, n_sh));
                if (sqlite3_step(m) != SQLITE_DONE)
                    rc = pa_errf(err, PA_EIO, "database: merge_source: %s", sqlite3_errmsg(db));
                sqlite3_finalize(m);
            } else {
                rc = pa_errf(err, PA_EIO, "database: merge_source: %s", sqlite3_errmsg(db));
            }
        }
        if (rc)
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        else
            rc = sql_exec(db, "COMMIT", part, err);
        sqlite3_exec(db, "DETACH DATABASE s", NULL, NULL, NULL);
        if (!rc && o->progress)
            fprintf(stderr, "[merge] %zu/%zu: %s (shard %zu/%zu)\n", i + 1, n, d[i].path, d[i].sp.index, N);
    }
    if (!rc) {
        sqlite3_stmt *fk;
        if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &fk, NULL) != SQLITE_OK) {
            rc = pa_errf(err, PA_EIO, "database: %s", sqlite3_errmsg(db));
        } else {
            if (sqlite3_step(fk) == SQLITE_ROW)
                rc = pa_errf(err, PA_EINPUT, "the merged rows of table %s refer to a missing row of table %s",
                             (const char *)sqlite3_column_text(fk, 0), (const char *)sqlite3_column_text(fk, 2));
            sqlite3_finalize(fk);
        }
    }
    if (!rc)
        rc = sql_exec(db, "PRAGMA foreign_keys = ON", part, err);
    if (rc)
        goto out;
    info->shards = n;
    info->copy_s = util_now() - t0;
    /* 5. what a single run does after its games */
    double t1 = util_now();
    pool_serial_blas();
    run_finish_info fi;
    if ((rc = run_finish(st, c, &L, c->n_targets, o->jobs, o->progress, &fi, err)))
        goto out;
    info->unscored = fi.unscored;
    snprintf(info->first_error, sizeof info->first_error, "%s", fi.first_error);
    info->finish_s = util_now() - t1;
    store_close(st);
    st = NULL;
    if (access(out, F_OK) == 0) {
        rc = pa_errf(err, PA_EINPUT, "%s appeared while merging: the merge is left in %s", out, part);
        part[0] = 0;
        goto out;
    }
    if (rename(part, out) != 0) {
        rc = pa_errf(err, PA_EIO, "%s: cannot rename to %s: %s", part, out, strerror(errno));
        goto out;
    }
    part[0] = 0;
out:
    store_close(st);
    if (rc && part[0])
        unlink_db(part);
    run_layout_free(&L);
    for (size_t i = 0; d && i < n; i++)
        shard_db_clear(&d[i]);
    free(d);
    free(owner);
    free(tcover);
    free(scover);
    schema_free(sch);
    config_free(c);
    return rc;
}
