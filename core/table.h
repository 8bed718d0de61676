/* table.h — columnar tables and their schema.
 *
 * n = records, d = columns.
 * A column is categorical (int32 codes in [0, size), optionally with labels)
 * or numeric (double within bounds [lo, hi] that come from the schema file,
 * never from the data: bounds read off private data leak).
 * Roles mark quasi-identifiers and secret (sensitive) attributes.
 */
#ifndef PA_TABLE_H
#define PA_TABLE_H

/* The largest |bound| of a numeric column that generators, utility metrics
 * and audits compute with (schema_check_scale): the width hi - lo scales
 * values, bins and noise (and is squared by some of them), so it must stay
 * far from overflow. schema_read itself accepts any finite bounds. */
#define SCHEMA_MAX_BOUND 1e100

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef enum col_kind { COL_CAT = 0, COL_NUM = 1 } col_kind;

enum col_role {
    ROLE_QI = 1u,      /* quasi-identifier: known to an attacker */
    ROLE_SECRET = 2u   /* sensitive attribute an attacker wants to infer */
};

typedef struct col_spec {
    char *name;          /* column name, as in the CSV header */
    col_kind kind;       /* COL_CAT or COL_NUM */
    unsigned roles;      /* OR of enum col_role */
    size_t size;         /* COL_CAT: number of codes; codes are 0..size-1 */
    char **labels;       /* COL_CAT: size labels (CSV holds labels), or NULL (CSV holds codes) */
    double lo, hi;       /* COL_NUM: bounds given by the schema */
    int integer;         /* COL_NUM: 1 if values are integers */
    int has_missing;     /* 1 if a missing CSV value maps to missing_code / missing_value */
    int32_t missing_code;/* COL_CAT: code a missing value becomes (if has_missing) */
    double missing_value;/* COL_NUM: value a missing value becomes (if has_missing) */
} col_spec;

typedef struct schema {
    size_t d;            /* number of columns */
    col_spec *cols;      /* (d) */
    int inferred;        /* 1 if drafted from data by schema_infer: not valid for DP runs */
    size_t n_missing;    /* number of CSV tokens that mean "missing" */
    char **missing;      /* (n_missing) tokens, default {"", "NA"} */
} schema;

/* A new schema with d zeroed columns and the default missing tokens.
 * Returns NULL on allocation failure. Free with schema_free. */
schema *schema_new(size_t d);

/* Deep copy; NULL on allocation failure or if s is NULL. */
schema *schema_copy(const schema *s);

/* Frees s and everything it owns; accepts NULL. */
void schema_free(schema *s);

/* Index of the column named `name`, or -1. */
int schema_col(const schema *s, const char *name);

/* PA_OK when every numeric column has |lo|, |hi| <= SCHEMA_MAX_BOUND; else
 * PA_EINPUT naming the first column that does not and its bounds. */
int schema_check_scale(const schema *s, pa_err *err);

/* Reads a schema JSON file (docs/schema.md): either privaudit's own form
 * {"format": "privaudit-schema/1", "columns": [...]} or the integer-coded
 * domain form used for UCI Adult in the literature {"col": size, ...}, whose
 * columns all become categorical code columns. Unknown keys are rejected,
 * and the JSON is read strictly (core/json.h: no trailing text, NUL,
 * duplicate key or \u0000).
 * On success *out owns a new schema; on error *out is NULL and err names the
 * file, the field and what was expected. */
int schema_read(const char *path, schema **out, pa_err *err);

/* Same, from a JSON text; `name` is used in messages in place of a path. */
int schema_parse(const char *json, const char *name, schema **out, pa_err *err);

/* Checks that s is well formed (names unique and non-empty, sizes > 0,
 * lo < hi, missing codes in range, no control character in a name or label,
 * labels unique...), in time linear in columns and labels. Returns PA_OK or
 * PA_EINPUT with a message. */
int schema_validate(const schema *s, pa_err *err);

/* Writes s as privaudit-schema/1 JSON (each double with the fewest of 15, 16
 * or 17 digits that read back to it exactly). */
int schema_write(const schema *s, const char *path, pa_err *err);

/* Serialises s to a malloc'd JSON string (caller frees), NULL on failure. */
char *schema_to_json(const schema *s);

/* Size of column j's one-hot/code domain: size for COL_CAT, 0 for COL_NUM. */
size_t schema_card(const schema *s, size_t j);

typedef struct table {
    size_t n;            /* records */
    size_t d;            /* columns (== s->d) */
    schema *s;           /* owned copy of the schema */
    int32_t **cat;       /* (d): cat[j] is (n) codes if column j is COL_CAT, else NULL */
    double **num;        /* (d): num[j] is (n) values if column j is COL_NUM, else NULL */
} table;

/* A table of n zeroed records with a private copy of s. NULL on failure. */
table *tbl_new(const schema *s, size_t n);

/* Frees t; accepts NULL. */
void tbl_free(table *t);

/* New table holding rows idx[0..k-1] of t (in that order; repeats allowed). */
table *tbl_rows(const table *t, const size_t *idx, size_t k);

/* New table with the rows of a followed by those of b (same schema). */
table *tbl_concat(const table *a, const table *b);

/* Value of record i, column j as a double (code for COL_CAT). */
double tbl_get(const table *t, size_t i, size_t j);

/* Reads a CSV with a header row whose names match the schema's columns (in
 * any order; extra CSV columns are an error). RFC 4180 quotes are handled.
 * Values: labels (or codes when the column has no labels) for COL_CAT,
 * numbers within [lo, hi] for COL_NUM; a missing token becomes the column's
 * missing code/value or is an error. Errors name file:line, the column and
 * what was expected. On error *out is NULL. */
int tbl_read_csv(const char *path, const schema *s, table **out, pa_err *err);

/* Limits for tbl_read_csv_opts (a zero field means no limit / no check). */
typedef struct tbl_read_opts {
    size_t max_rows;     /* more data rows than this is PA_EINPUT ("more than N rows") */
    size_t max_bytes;    /* a file larger than this is PA_EINPUT, read no further */
    int regular_only;    /* refuse anything but a regular file: opened without following a
                          * symbolic link and without blocking (a FIFO is refused, not read) */
    int over_rows;       /* out: 1 if max_rows was exceeded */
    int over_bytes;      /* out: 1 if max_bytes was exceeded */
    int not_regular;     /* out: 1 if regular_only refused the file */
} tbl_read_opts;

/* tbl_read_csv with the limits of *o (NULL: none), for files written by
 * programs privaudit does not trust (generators/external.c). */
int tbl_read_csv_opts(const char *path, const schema *s, tbl_read_opts *o, table **out, pa_err *err);

/* Writes t as CSV with a header (labels where the schema has them, doubles
 * with %.17g, "C" locale). Writes to path.tmp and renames, so a failed write
 * leaves nothing half-written. */
int tbl_write_csv(const table *t, const char *path, pa_err *err);

/* 64-bit FNV-1a hash of the schema and every value: equal tables, equal hash. */
uint64_t tbl_hash(const table *t);

/* A faster 64-bit digest of the same content (equal tables, equal digest),
 * for per-trial fingerprints of large releases; tbl_hash stays the stored
 * data hash that --resume and merge compare across versions. */
uint64_t tbl_digest(const table *t);

/* Drafts a schema from a CSV: a column whose every non-missing value parses
 * as a number becomes COL_NUM with the observed min/max as bounds (a
 * constant column gets max = min + 1, or the next double), others COL_CAT
 * with sorted distinct labels plus a missing label when any value of the
 * column is a missing token. The draft accepts the CSV it came from. Sets
 * s->inferred = 1: such bounds leak private information and must be
 * replaced before a DP run. */
int schema_infer(const char *csv_path, schema **out, pa_err *err);

#endif
