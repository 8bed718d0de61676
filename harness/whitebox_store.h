/* whitebox_store.h — the white-box DP-SGD audit's tables in the experiment's
 * SQLite store (harness/store.h; schema in docs/whitebox.md):
 *   whitebox_audit(id, configuration, σ, accountant ε, AUC, counts, one-run
 *                  audit, violation flag, time)
 *   whitebox_estimate(audit_id, method, lo, hi, alpha, delta, claimed, violation)
 *   whitebox_score(audit_id, run, canary, split, member, score)
 * Written through prepared statements in one transaction. Not thread-safe
 * with respect to other writers of the same store: call it from one thread
 * after the runs are done. */
#ifndef PA_WHITEBOX_STORE_H
#define PA_WHITEBOX_STORE_H

#include <stdint.h>

#include "attacks/whitebox.h"
#include "core/err.h"
#include "harness/store.h"

/* Creates the tables if needed (idempotent). PA_EIO naming the table on failure. */
int wbstore_init(store *st, pa_err *err);

/* Stores one audit (cfg and its result, with every score) as a new row;
 * *audit_id (may be NULL) receives its id. Everything or nothing is written.
 * PA_EIO with SQLite's message on failure. */
int wbstore_put(store *st, const wb_cfg *cfg, const wb_result *res, int64_t *audit_id, pa_err *err);

#endif
