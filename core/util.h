/* util.h — small file and parsing helpers shared by the modules. */
#ifndef PA_UTIL_H
#define PA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Reads a whole file into a new NUL-terminated buffer (*out, caller frees);
 * *len (if not NULL) gets its length. On error *out is NULL. */
int util_read_file(const char *path, char **out, size_t *len, pa_err *err);

/* util_read_file with limits: a file larger than max_bytes (0 = no limit) is
 * PA_EINPUT (*over_bytes = 1); with regular_only the file is opened with
 * O_NOFOLLOW | O_NONBLOCK and anything but a regular file is PA_EINPUT
 * (*not_regular = 1), so a FIFO or a link planted at path is never followed
 * or waited on. over_bytes and not_regular may be NULL. */
int util_read_file_limited(const char *path, size_t max_bytes, int regular_only, char **out, size_t *len,
                           int *over_bytes, int *not_regular, pa_err *err);

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

/* The first control character of s (a byte < 0x20, or 0x7F), or 0 if it
 * has none: names and labels with one are refused (they break reports and
 * the line-oriented files gnuplot reads). */
int util_ctrl_char(const char *s);

/* 1 if paths a and b name the same existing file (same device and inode,
 * following symbolic links), 0 otherwise (also when either does not exist). */
int util_same_file(const char *a, const char *b);

/* A hash index of n strings (not copied: they must outlive the index), for
 * lookups and duplicate checks in linear expected time. */
typedef struct util_strindex util_strindex;

/* Builds the index of strs[0..n-1]. If a string appears twice, *dup_first
 * and *dup_again (when not NULL) get the indices of its first occurrence and
 * of the earliest repeat; else both get SIZE_MAX. NULL when out of memory. */
util_strindex *util_strindex_new(char *const *strs, size_t n, size_t *dup_first, size_t *dup_again);

/* Index of the first occurrence of s, or -1. */
long util_strindex_find(const util_strindex *ix, const char *s);

/* Frees ix; accepts NULL. */
void util_strindex_free(util_strindex *ix);

/* Keep freed memory in the process for reuse: glibc's malloc hands blocks
 * of a few MB (a release of 50,000 records is 4.4 MB) back to the kernel
 * when they are freed and faults them in again, zeroed, at the next
 * trial — a fifth of a fixed-game trial's time (docs/BENCHMARKS.md). Sets
 * glibc's mmap threshold to its maximum (32 MiB on 64-bit) and the trim
 * threshold to 256 MiB: up to 256 MiB of freed memory stays in the process
 * (the resident size no longer shrinks after a large trial). A failed
 * mallopt leaves glibc's defaults, which are correct, only slower. A no-op
 * outside glibc. */
void util_malloc_keep(void);

#endif
