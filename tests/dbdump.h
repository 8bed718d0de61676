/* dbdump.h — every result a run database holds, as one text, for comparing
 * two databases (tests/test_shard.c; tests/dbdump.c for make test-slurm).
 *
 * Every table but merge_source (a merge's provenance), every column but the
 * wall-clock ones (TIMING_COLUMNS), every row in the order of all its
 * columns; the meta entry "shard" is left out. Doubles with %.17g, blobs in
 * hex, NULL as NULL. */
#ifndef PA_DBDUMP_H
#define PA_DBDUMP_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int dbdump_is_timing(const char *col)
{
    static const char *const t[] = {"fit_s", "sample_s", "attack_s", "finished_at", "created_at", "seconds", NULL};
    for (size_t k = 0; t[k]; k++)
        if (!strcmp(col, t[k]))
            return 1;
    return 0;
}

/* The dump of db_path (malloc'd), or NULL with *why set (static text or
 * SQLite's message, valid until the next call). */
static inline char *dbdump(const char *db_path, const char **why)
{
    static char msg[512];
    sqlite3 *db = NULL;
    *why = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(msg, sizeof msg, "%s: %s", db_path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        *why = msg;
        return NULL;
    }
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    sqlite3_stmt *tl = NULL;
    if (!f || sqlite3_prepare_v2(db,
                                 "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                                 " AND name != 'merge_source' ORDER BY name",
                                 -1, &tl, NULL) != SQLITE_OK)
        goto fail;
    while (sqlite3_step(tl) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(tl, 0);
        char cols[4096] = "", sql[8400];
        sqlite3_stmt *ci, *s;
        if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?)", -1, &ci, NULL) != SQLITE_OK)
            goto fail;
        sqlite3_bind_text(ci, 1, t, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(ci) == SQLITE_ROW) {
            const char *c = (const char *)sqlite3_column_text(ci, 0);
            if (!dbdump_is_timing(c))
                snprintf(cols + strlen(cols), sizeof cols - strlen(cols), "%s\"%s\"", cols[0] ? "," : "", c);
        }
        sqlite3_finalize(ci);
        snprintf(sql, sizeof sql, "SELECT %s FROM \"%s\"%s ORDER BY %s", cols, t,
                 !strcmp(t, "meta") ? " WHERE key != 'shard'" : "", cols);
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
            goto fail;
        fprintf(f, "== %s\n", t);
        while (sqlite3_step(s) == SQLITE_ROW) {
            for (int k = 0; k < sqlite3_column_count(s); k++) {
                int ty = sqlite3_column_type(s, k);
                if (ty == SQLITE_FLOAT) {
                    fprintf(f, "%.17g|", sqlite3_column_double(s, k));
                } else if (ty == SQLITE_BLOB) {
                    const unsigned char *b = sqlite3_column_blob(s, k);
                    for (int q = 0; q < sqlite3_column_bytes(s, k); q++)
                        fprintf(f, "%02x", b[q]);
                    fputc('|', f);
                } else if (ty == SQLITE_NULL) {
                    fputs("NULL|", f);
                } else {
                    fprintf(f, "%s|", (const char *)sqlite3_column_text(s, k));
                }
            }
            fputc('\n', f);
        }
        sqlite3_finalize(s);
    }
    sqlite3_finalize(tl);
    fclose(f);
    sqlite3_close(db);
    return out;
fail:
    snprintf(msg, sizeof msg, "%s: %s", db_path, sqlite3_errmsg(db));
    *why = msg;
    sqlite3_finalize(tl);
    if (f)
        fclose(f);
    free(out);
    sqlite3_close(db);
    return NULL;
}

#endif
