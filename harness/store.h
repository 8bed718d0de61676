/* store.h — the SQLite store of one experiment (docs/database.md).
 *
 * One file per experiment, WAL mode, one writer, prepared statements only.
 * A trial is written in one transaction when it finishes, so a killed run
 * loses at most the trials in flight; --resume asks which trials are done.
 * Every function returns PA_OK or an error code with err filled; the store
 * is safe to call from several threads (calls are serialised by a mutex).
 */
#ifndef PA_STORE_H
#define PA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct store store;

#define STORE_FORMAT 1

/* Opens (creating if needed) the database at path and its tables, and takes
 * an exclusive lock on it (flock) held until store_close: while one privaudit
 * writes a database, another store_open of it fails with PA_EINPUT ("in use
 * by another privaudit"). A file that is not an SQLite database (or a
 * corrupt one) is PA_EINPUT too. A file this call created is removed if the
 * open fails. */
int store_open(const char *path, store **out, pa_err *err);

/* The number of tables of the SQLite database open at db (a sqlite3 *) when
 * none of them is privaudit's meta, which every privaudit database has: > 0
 * for another program's database; 0 for a privaudit database, an empty file
 * or one that cannot be read. */
long long store_foreign_tables(void *db);

/* store_open for a run: with create_new the file must not exist and is
 * created atomically (O_EXCL: of two runs started together on one path,
 * one creates it, the other gets PA_EINPUT "PATH exists: pass --resume");
 * without it the file must exist (PA_EINPUT "no such database to resume").
 * The lock is taken as in store_open. */
int store_open_run(const char *path, int create_new, store **out, pa_err *err);

/* Closes; accepts NULL. */
void store_close(store *st);

typedef struct store_experiment {
    const char *name;
    const char *config_json;     /* the config as given */
    const char *config_hash;     /* hex FNV-1a of the canonical config */
    const char *code_version;    /* git describe of the build */
    const char *data_path;
    const char *data_hash;       /* hex tbl_hash of the data set */
    const char *schema_json;
    uint64_t seed;
    size_t n_trials;             /* planned */
    const char *game;            /* "average" (NULL) or "fixed" (config "game") */
} store_experiment;

/* Records the experiment. If one is already stored: PA_OK when its config
 * hash, data hash and seed agree (a resume), PA_EINPUT otherwise. *existing
 * is set to 1 when an experiment was already there. */
int store_put_experiment(store *st, const store_experiment *e, int *existing, pa_err *err);

typedef struct store_cell {
    int64_t id;
    const char *generator;
    const char *params_json;
    double epsilon;              /* claimed (target) ε; INFINITY if non-private */
    double delta;
} store_cell;

int store_put_cell(store *st, const store_cell *c, pa_err *err);

typedef struct store_target {
    int64_t id;
    int64_t row;                 /* row of the data set (0-based, header excluded) */
    const char *how;             /* "given", "isolated", "random", "crafted" (row -1) */
    double isolation;            /* mean distance to its nearest neighbours */
    const char *record;          /* a crafted target's values as JSON, or NULL */
} store_target;

int store_put_target(store *st, const store_target *t, pa_err *err);

typedef struct store_trial {
    int64_t id;
    int64_t cell_id;
    int64_t game;
    const char *split;           /* "calibration" or "test" */
    uint64_t stream_seed;        /* rng_derive(seed, id) */
    const char *status;          /* "ok" or "failed" */
    const char *error;           /* message if failed, else NULL */
    double eps_spent, delta_spent, rho_spent;
    const char *accountant;
    int claim_nb;                /* the claim's neighbours: 0 unknown (NULL), 1 add/remove, 2 replace-one
                                    (stored as trial.replace_one NULL, 0, 1) */
    const char *synth_hash;      /* hex tbl_hash of the synthetic table */
    double fit_s, sample_s, attack_s;
    size_t k;                    /* targets */
    const int64_t *target_id;    /* (k) */
    const int *member;           /* (k) */
    size_t n_attacks;
    const char *const *attack;   /* (n_attacks) labels */
    const double *score;         /* (n_attacks, k) row-major */
    size_t n_util;               /* utility metrics of the release (table utility) */
    const char *const *util_name;/* (n_util) e.g. "tvd2" */
    const double *util_value;    /* (n_util) */
    size_t dim;                  /* shadow-attack features per target (table feature); 0: none */
    const double *features;      /* (k, dim) row-major, or NULL */
} store_trial;

/* Writes a finished trial with its memberships and scores in one transaction.
 * A trial already stored is left as it is (PA_OK). */
int store_put_trial(store *st, const store_trial *t, pa_err *err);

/* One shadow release of a cell (table shadow): the features of every
 * shadow attack for every target, and the coin of every target. */
typedef struct store_shadow {
    int64_t cell_id;
    int64_t game;                /* shadow game index within the cell */
    const char *status;          /* "ok" or "failed" */
    const char *error;           /* message if failed, else NULL */
    size_t k;                    /* targets */
    size_t dim;                  /* features per target (all shadow attacks) */
    const int *member;           /* (k), or NULL if failed */
    const double *features;      /* (k, dim) row-major, or NULL if failed */
    double seconds;              /* fit + sample + features */
} store_shadow;

/* Writes one shadow release (one transaction); an existing (cell, game) is
 * left as it is. */
int store_put_shadow(store *st, const store_shadow *sh, pa_err *err);

/* done[c * games + g] = 1 for every stored shadow (cell c, game g) inside
 * the (n) array (zeroed by the caller). */
int store_done_shadows(store *st, size_t games, unsigned char *done, size_t n, pa_err *err);

/* The successful shadow releases of a cell with this (k, dim), by game:
 * *member (n, k) and *features (n, k, dim), malloc'd (caller frees); on
 * error both NULL and *n = 0. */
int store_shadows(store *st, int64_t cell_id, size_t k, size_t dim, int **member, double **features, size_t *n,
                  pa_err *err);

/* The shadow-attack features of the real releases of a cell (table
 * feature), for the trials whose status is ok and whose feature rows have
 * this dim: *trial_id (n), *target_id (n) and *features (n, dim), ordered by
 * trial then target; malloc'd (caller frees); on error all NULL, *n = 0. */
int store_features(store *st, int64_t cell_id, size_t dim, int64_t **trial_id, int64_t **target_id,
                   double **features, size_t *n, pa_err *err);

/* Writes (or replaces) one score row; call between store_begin and
 * store_commit when writing many. */
int store_put_score(store *st, int64_t trial_id, int64_t target_id, const char *attack, double score, pa_err *err);

/* done[i] = 1 for each stored trial id i < n (done is (n), zeroed by the caller). */
int store_done_trials(store *st, unsigned char *done, size_t n, pa_err *err);

/* Scores of one (cell, attack, target) ordered by game; target_id < 0 pools
 * every target. Arrays are malloc'd (caller frees); is_cal[i] = 1 for the
 * calibration split. */
int store_scores(store *st, int64_t cell_id, const char *attack, int64_t target_id, double **score,
                 int **member, int **is_cal, size_t *n, pa_err *err);

/* The ρ-zCDP the generator accounted in the cell's ok trials: their largest
 * rho_spent when every one is accounted "zcdp" (or, for an external program
 * that declares ρ, "declared-zcdp" or "declared-gdp"), NAN otherwise (or with
 * no ok trial). */
int store_cell_rho(store *st, int64_t cell_id, double *rho, pa_err *err);

/* The generator of cell cell_id into name (cap bytes; "" when there is no such cell) and, when
 * params_json is not NULL, its params as stored (a new string, caller frees; NULL when no cell). */
int store_cell_generator(store *st, int64_t cell_id, char *name, size_t cap, char **params_json, pa_err *err);

/* alpha, delta and claimed ε of the stored estimates of (cell, attack,
 * target; < 0 pooled): all NAN when there is none. */
int store_estimate_params(store *st, int64_t cell_id, const char *attack, int64_t target_id, double *alpha,
                          double *delta, double *claimed, pa_err *err);

/* Metrics and estimates of a cell, replaced as a whole in one transaction:
 * call store_begin, then the puts, then store_commit. */
int store_begin(store *st, pa_err *err);
int store_commit(store *st, pa_err *err);
int store_clear_results(store *st, pa_err *err);

typedef struct store_metric {
    int64_t cell_id;
    const char *attack;
    int64_t target_id;           /* < 0: pooled over targets (stored as NULL) */
    const char *name;            /* "auc", "tpr@0.1", "tpr@0.01", "tpr@0.001", "threshold" */
    double value;
} store_metric;

int store_put_metric(store *st, const store_metric *m, pa_err *err);

typedef struct store_estimate {
    int64_t cell_id;
    const char *attack;
    int64_t target_id;           /* < 0: pooled */
    const char *method;          /* "point", "bayes", "clopper_pearson", "gdp_fit", "profile" */
    double lo, hi;               /* interval (point: lo = hi) */
    double point;                /* the method's point estimate (point, gdp_fit), NAN otherwise */
    double alpha, delta;
    double threshold;
    double tp, fn, fp, tn;       /* test-split counts */
    double claimed;              /* claimed ε (INFINITY if none); gdp_fit: μ_theory = √(2ρ), NAN if none */
    double p_exceeds;            /* P(ε > claimed) (bayes), P(outside the ρ-zCDP region) (profile), NAN otherwise */
    int violation;               /* lo > claimed (clopper_pearson, bayes); p_exceeds > 1 − alpha/2 (profile) */
} store_estimate;

int store_put_estimate(store *st, const store_estimate *e, pa_err *err);

/* Rows kept in memory to be written later, so that work done in parallel
 * writes in a fixed order. While a batch is captured on the calling thread,
 * store_put_metric and store_put_estimate (from any store) copy their row
 * into it and return PA_OK instead of writing. */
typedef struct store_batch store_batch;

/* An empty batch, or NULL when out of memory. */
store_batch *store_batch_new(void);

/* Frees; accepts NULL. */
void store_batch_free(store_batch *b);

/* Captures the calling thread's metric and estimate puts into b (NULL:
 * stop capturing). PA_ENOMEM from a put that could not copy its row is
 * remembered and returned by store_batch_write. */
void store_batch_capture(store_batch *b);

/* Writes b's rows to st in the order they were put (no transaction of its
 * own: call inside store_begin/store_commit). */
int store_batch_write(store *st, const store_batch *b, pa_err *err);

/* Read access for reports: the raw handle (sqlite3 *), read-only use. */
void *store_db(store *st);

#endif
