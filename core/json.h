/* json.h — strict JSON for every JSON text privaudit reads (configs, schemas).
 *
 * cJSON alone is lenient: it ignores anything after the document (trailing
 * garbage, or all that follows a NUL byte), keeps both copies of a duplicate
 * key (and lookups then see the first), silently cuts a string at an escaped
 * \u0000, and accepts numbers such as 01, +1 or 1. that RFC 8259 forbids.
 * json_parse_strict first checks the whole text against RFC 8259 and
 * privaudit's stricter rules, then lets cJSON build the tree:
 *   - exactly one JSON value, then only white space, to the end of the text
 *     (a NUL byte anywhere is refused);
 *   - no key twice in one object (compared after unescaping);
 *   - no \u0000 escape, no raw control character (< 0x20) inside a string,
 *     no unpaired UTF-16 surrogate escape;
 *   - numbers in RFC 8259 syntax that fit a finite double;
 *   - nesting at most JSON_MAX_DEPTH deep.
 * Messages name the text (`name`), line and column (1-based) and, where it
 * applies, the key path ("generators[0].params"), e.g.
 *   "c.json:3:2: duplicate key \"seed\" at the top level (first at line 2)".
 */
#ifndef PA_JSON_H
#define PA_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/err.h"

#define JSON_MAX_DEPTH 512

/* Parses the len bytes at text (which need not be NUL-terminated). On
 * success *out is a new tree (free with cJSON_Delete); on error *out is NULL
 * and PA_EINPUT is returned with err naming name:line:col and what is wrong
 * (PA_ENOMEM when memory runs out). */
int json_parse_strict(const char *text, size_t len, const char *name, cJSON **out, pa_err *err);

/* Reads the file at path and parses it as json_parse_strict does; *text (if
 * not NULL) gets the file's bytes, NUL-terminated (caller frees). On error
 * *out and *text are NULL. */
int json_read_file(const char *path, cJSON **out, char **text, pa_err *err);

#endif
