/* recon_store.h — tables of the reconstruction game in a run's SQLite file
 * (docs/recon.md: recon_point and recon_game).
 *
 * Opened on a store (harness/store.h) and using its connection (store_db);
 * prepared statements only. Not thread safe: call from one thread (the CLI
 * writes each (ε, m) point from the main thread once its games are done).
 */
#ifndef PA_RECON_STORE_H
#define PA_RECON_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "attacks/recon.h"
#include "core/err.h"
#include "harness/store.h"

typedef struct recon_store recon_store;

/* Creates the tables if absent and prepares the statements. On success *out
 * is a new handle (free with recon_store_close before store_close); on error
 * *out is NULL. */
int recon_store_open(store *st, recon_store **out, pa_err *err);

/* Closes the statements; accepts NULL. */
void recon_store_close(recon_store *rs);

typedef struct recon_point_row {
    const char *generator;
    double epsilon;          /* INFINITY is stored as NULL */
    size_t n, m, games;
    const char *qi;          /* comma-separated QI column names */
    const char *secret;      /* secret column name */
    int32_t secret_code;
    int k_min, k_max;
    size_t bins;
    uint64_t seed;
} recon_point_row;

/* Inserts one (generator, ε, m) point; *id gets its row id. */
int recon_store_put_point(recon_store *rs, const recon_point_row *p, int64_t *id, pa_err *err);

/* Inserts game rec of point `point_id`: one row per attack that ran
 * (target_correct ≥ 0), with the LP statistics on the "lp" row. */
int recon_store_put_game(recon_store *rs, int64_t point_id, const recon_game_rec *rec, pa_err *err);

#endif
