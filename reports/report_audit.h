/* report_audit.h — the release audit's report, drawn from its database
 * alone (the tables of harness/audit_store.h, and the run tables of the
 * shadow game when there is one; docs/audit.md).
 *
 * Reads SQLite only: no attack, generator or audit structs. Labels that
 * reach a gnuplot script are escaped (report_gp_quote).
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

/* Writes out_dir/audit.md for audit `id` (0 = the latest) of the database
 * db (opened from db_path, which the text names), and beside it its tables
 * as CSV and LaTeX booktabs (audit-risks.{csv,tex}, audit-inference.{csv,tex})
 * and, when figures is 1, the figure audit-risks (.dat, .gp, and .png, .pdf,
 * .svg by gnuplot). out_dir must exist. PA_EINPUT if there is no such audit;
 * PA_EIO if a file cannot be written; if gnuplot fails, everything else is
 * written and *warn (if not NULL) is set to 1 with the message in err. */
int report_audit_write(sqlite3 *db, const char *db_path, long long id, const char *out_dir, int figures, int *warn,
                       pa_err *err);

/* Prints audit `id` (0 = the latest) as one JSON object on f:
 * {"audit_id", "flagged", "excess_measured", "risks": {"singling_out": R,
 * "linkability": R, "inference": [R, one per secret column], "membership":
 * R}}, each R with attack, status, rate, rate_lo, rate_hi, control_rate,
 * control_lo, control_hi, baseline_rate, risk, lo, hi, flag, level,
 * attempts, successes, control_attempts, control_successes (null where not
 * measured). */
int report_audit_json(sqlite3 *db, long long id, FILE *f, pa_err *err);

#endif
