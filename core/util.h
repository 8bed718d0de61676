/* util.h — small file and parsing helpers shared by the modules. */
#ifndef PA_UTIL_H
#define PA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Reads a whole file into a new NUL-terminated buffer (*out, caller frees);
 * *len (if not NULL) gets its length. On error *out is NULL. */
int util_read_file(const char *path, char **out, size_t *len, pa_err *err);

/* Writes len bytes to path.tmp.<pid>, fsyncs and renames it over path, so
 * that readers never see a half-written file. */
int util_write_file_atomic(const char *path, const void *buf, size_t len, pa_err *err);

/* Strict number parsing: the whole string must be the number ("C" locale
 * syntax, no leading/trailing space). Return 0 on success, -1 otherwise. */
int util_parse_double(const char *s, double *out);
int util_parse_i64(const char *s, int64_t *out);
int util_parse_u64(const char *s, uint64_t *out);

/* FNV-1a 64-bit hash of bytes, continuing from h (start with UTIL_FNV_INIT). */
#define UTIL_FNV_INIT 14695981039346656037ULL
uint64_t util_fnv(uint64_t h, const void *p, size_t len);

/* Wall-clock seconds from a monotonic clock. */
double util_now(void);

/* mkdir -p; PA_OK if it exists already. */
int util_mkdir_p(const char *path, pa_err *err);

#endif
