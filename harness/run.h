/* run.h — plays the membership game of a config and stores it (DESIGN.md,
 * "The audit game"), then computes the metrics and ε estimates. */
#ifndef PA_RUN_H
#define PA_RUN_H

#include "core/err.h"
#include "harness/config.h"
#include "harness/store.h"

typedef struct run_opts {
    const char *db_path;   /* SQLite file */
    int jobs;              /* worker threads (>= 1) */
    int resume;            /* continue an interrupted run in db_path */
    int progress;          /* print progress on stderr */
} run_opts;

typedef struct run_summary {
    size_t planned, done_before, ran, failed;
    double seconds;
} run_summary;

/* Runs every planned trial not yet stored, then (re)computes metrics.
 * Returns PA_OK, PA_EINPUT for bad data/config (nothing is written then),
 * or another error. */
int run_experiment(const config *c, const run_opts *o, run_summary *sum, pa_err *err);

/* Recomputes metrics and estimates of every cell from the stored scores
 * (one transaction). */
int run_compute_metrics(store *st, const config *c, pa_err *err);

#endif
