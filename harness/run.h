/* run.h — plays the membership game of a config and stores it (DESIGN.md,
 * "The audit game"), then computes the metrics and ε estimates. */
#ifndef PA_RUN_H
#define PA_RUN_H

#include "core/err.h"
#include "harness/config.h"
#include "harness/shard.h"
#include "harness/store.h"

/* stream tag of the shadow phase ("shadow" in ASCII); + 1 seeds the shadow classifiers */
#define RUN_SHADOW_TAG 0x736861646f77ULL
#define RUN_FIXED_TAG 0x6669786564ULL /* the fixed game's D: rng_stream(rng_derive(seed, RUN_FIXED_TAG), 0) */

typedef struct run_opts {
    const char *db_path;   /* SQLite file */
    int jobs;              /* worker threads (>= 1) */
    int resume;            /* continue an interrupted run in db_path */
    int progress;          /* print progress on stderr */
    shard_spec shard;      /* run only this slice (shard.h); count 0: the whole run */
} run_opts;

typedef struct run_summary {
    size_t planned, done_before, ran, failed;   /* trials (of the shard, when sharded) */
    size_t unscored;         /* shadow classifiers that could not be trained (their scores are missing) */
    char unscored_why[512];  /* the first one's reason */
    double seconds;
} run_summary;

/* Runs every planned trial (of o->shard) not yet stored; unsharded, then
 * trains the shadow classifiers, scores the shadow attacks and (re)computes
 * metrics (finish.h); a shard leaves that to the merge. Returns PA_OK,
 * PA_EINPUT for bad data/config or a database of another experiment or
 * shard (nothing is written then), or another error. */
int run_experiment(const config *c, const run_opts *o, run_summary *sum, pa_err *err);

/* Recomputes metrics and estimates of every cell from the stored scores
 * (one transaction). */
int run_compute_metrics(store *st, const config *c, pa_err *err);

/* The same on `jobs` threads: each (cell, attack, target) is computed on a
 * thread and its rows are written in the serial order, so the database does
 * not depend on jobs. */
int run_compute_metrics_jobs(store *st, const config *c, int jobs, pa_err *err);

#endif
