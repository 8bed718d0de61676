/* report_audit.h — the release audit's report, drawn from its database
 * alone (the tables of harness/audit_store.h, and the run tables of the
 * shadow game when there is one; docs/audit.md). Its section of report.md is
 * the report kind report_kind_audit (reports/report_kind.h), drawn by
 * report_write (reports/report.h) with REPORT_KIND_AUDIT; this header adds
 * what the audit command needs besides.
 *
 * Reads SQLite only: no attack, generator or audit structs.
 */
#ifndef PA_REPORT_AUDIT_H
#define PA_REPORT_AUDIT_H

#include <stdio.h>

#include <sqlite3.h>

#include "core/err.h"

/* 1 if db holds release audits that this report can read, 0 if none;
 * PA_EINPUT-worthy (an older audit format) gives -1. */
int report_audit_present(sqlite3 *db);

/* The id of the latest audit in db, or 0 if none. */
long long report_audit_latest(sqlite3 *db);

/* Prints audit `id` (0 = the latest) as one JSON object on f:
 * {"audit_id", "flagged", "excess_measured", "risks": {"singling_out": R,
 * "linkability": R, "inference": [R, one per secret column], "membership":
 * R}}, each R with attack, status, rate, rate_lo, rate_hi, control_rate,
 * control_lo, control_hi, baseline_rate, risk, lo, hi, flag, level,
 * attempts, successes, control_attempts, control_successes (null where not
 * measured). */
int report_audit_json(sqlite3 *db, long long id, FILE *f, pa_err *err);

#endif
