/* shard.h — a deterministic slice of an experiment's trials (DESIGN.md
 * "Scale"; docs/cluster.md), and `privaudit merge` of the slices.
 *
 * Shard i/n owns the trials whose id ≡ i (mod n) and the shadow releases
 * whose index cell * shadow_games + game ≡ i (mod n): every shard holds a
 * share of every cell, and the union of the n shards is the whole run. A
 * shard's database is an ordinary run database (docs/database.md) whose
 * meta table holds shard = "i/n"; it has no metrics, no estimates and no
 * shadow-attack scores: those are computed by the merge. */
#ifndef PA_SHARD_H
#define PA_SHARD_H

#include <stddef.h>

#include "core/err.h"
#include "harness/store.h"

typedef struct shard_spec {
    size_t index;     /* i, in [0, count) */
    size_t count;     /* n; 0 = not sharded (the whole run) */
} shard_spec;

/* Parses "i/n" (0 <= i < n <= 100000). PA_EINPUT naming what was expected. */
int shard_parse(const char *text, shard_spec *out, pa_err *err);

/* Items of n_items (ids 0..n_items-1) the shard owns: index, index + count, ...
 * (all of them when count is 0). */
size_t shard_size(const shard_spec *sp, size_t n_items);

/* The j-th item the shard owns (j < shard_size). */
static inline size_t shard_item(const shard_spec *sp, size_t j)
{
    return sp->count ? sp->index + j * sp->count : j;
}

/* The shard recorded in the store's meta table: *sp = {0, 0} when none. */
int shard_get(store *st, shard_spec *sp, pa_err *err);

/* Records the shard in the meta table (count 0: nothing is written). */
int shard_put(store *st, const shard_spec *sp, pa_err *err);

/* 1 (and *sp filled) if the database file at path is a shard's, 0 if it
 * is not or cannot be read as one (read-only; nothing is created). */
int shard_peek(const char *path, shard_spec *sp);

typedef struct merge_opts {
    int jobs;          /* threads for the classifiers and scores */
    int progress;      /* progress on stderr */
} merge_opts;

typedef struct merge_info {
    size_t shards, trials, shadows;
    size_t unscored;          /* shadow classifiers that could not be trained */
    char first_error[512];    /* why the first of them failed */
    double copy_s, finish_s;  /* seconds spent copying, and finishing (classifiers, scores, metrics) */
} merge_info;

/* Merges the shard databases paths[0..n-1] into a new database out (which
 * must not exist): checks that every shard belongs to the same experiment
 * (config hash, seed, data hash, code version) and that together they hold
 * every trial and shadow release exactly once, copies every row, then
 * trains the shadow classifiers and computes scores, metrics and estimates
 * as a single run does (finish.h). The output is written to out + ".part"
 * and renamed when complete: on any error nothing is left at out. PA_EINPUT
 * (the message naming the shard and what is wrong) for shards that do not
 * make one experiment; PA_EIO for database failures. */
int merge_shards(const char *out, const char *const *paths, size_t n, const merge_opts *o, merge_info *info,
                 pa_err *err);

#endif
