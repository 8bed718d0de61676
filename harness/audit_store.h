/* audit_store.h — the release audit's tables in SQLite (docs/audit.md:
 * audit, audit_risk, audit_bit, audit_band, audit_record, audit_singling_out,
 * audit_query, audit_link, audit_dcr, audit_dcr_record).
 *
 * Opened on a store (harness/store.h), using its connection; prepared
 * statements only; one audit is written in one transaction. Audits
 * accumulate in a database, one `audit` row and id each. Not thread safe:
 * call from one thread.
 */
#ifndef PA_AUDIT_STORE_H
#define PA_AUDIT_STORE_H

#include "attacks/release.h"
#include "core/err.h"
#include "core/table.h"
#include "harness/store.h"

#define AUDIT_FORMAT "privaudit-audit/2"

/* What the audit was run on, as the report shows it. */
typedef struct audit_meta {
    const char *real_path, *synth_path, *holdout_path, *schema_path; /* holdout_path NULL: none */
    const table *real, *synth, *holdout;                               /* holdout NULL: none */
    const char *options_json;    /* the options, as JSON text */
    const char *generator_cmd;   /* --generator-cmd, or NULL */
    const char *shadow_config;   /* path of the shadow game's config when it was played, or NULL */
    const char *shadow_error;    /* why the shadow game failed, or NULL */
} audit_meta;

/* Writes the audit (creating the tables if absent). On success *audit_id is
 * its id. PA_EINPUT if the database holds audit tables of another format
 * (written by an older privaudit: use another --db); PA_EIO on a database
 * error (nothing is written then). */
int audit_store_write(store *st, const audit_meta *meta, const rel_result *r, long long *audit_id, pa_err *err);

#endif
