#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__ /* defined by the headers above */
#include <malloc.h>
#endif

static const char *file_kind(mode_t m)
{
    return S_ISDIR(m) ? "a folder" : S_ISFIFO(m) ? "a FIFO" : S_ISLNK(m) ? "a symbolic link" : S_ISSOCK(m) ? "a socket"
           : S_ISCHR(m) || S_ISBLK(m) ? "a device" : "not a plain file";
}

int util_read_file_limited(const char *path, size_t max_bytes, int regular_only, char **out, size_t *len,
                           int *over_bytes, int *not_regular, pa_err *err)
{
    *out = NULL;
    if (over_bytes)
        *over_bytes = 0;
    if (not_regular)
        *not_regular = 0;
    if (!path || !*path)
        return pa_errf(err, PA_EINPUT, "expected a file path, got an empty string");
    int flags = O_RDONLY | O_CLOEXEC | (regular_only ? O_NOFOLLOW | O_NONBLOCK : 0);
    int fd = open(path, flags);
    if (fd < 0) {
        int e = errno;
        struct stat lb;
        if (regular_only && (e == ELOOP || e == ENXIO) && lstat(path, &lb) == 0) {
            if (not_regular)
                *not_regular = 1;
            return pa_errf(err, PA_EINPUT, "%s: not a regular file (%s)", path, file_kind(lb.st_mode));
        }
        return pa_errf(err, PA_EINPUT, "%s: cannot open: %s", path, strerror(e));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return pa_errf(err, PA_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        return pa_errf(err, PA_EINPUT, "%s: is a folder: expected a file", path);
    }
    if (regular_only && !S_ISREG(sb.st_mode)) {
        close(fd);
        if (not_regular)
            *not_regular = 1;
        return pa_errf(err, PA_EINPUT, "%s: not a regular file (%s)", path, file_kind(sb.st_mode));
    }
    if (regular_only) { /* reads of a regular file never block: back to blocking mode */
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
            fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    if (max_bytes && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size > (uint64_t)max_bytes) {
        close(fd);
        if (over_bytes)
            *over_bytes = 1;
        return pa_errf(err, PA_EINPUT, "%s: %lld bytes, more than the %zu allowed", path, (long long)sb.st_size,
                       max_bytes);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return pa_errf(err, PA_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                close(fd);
                return pa_errf(err, PA_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + n, cap - n - 1);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            return pa_errf(err, PA_EIO, "%s: read error: %s", path, strerror(e));
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (max_bytes && n > max_bytes) {
            free(buf);
            close(fd);
            if (over_bytes)
                *over_bytes = 1;
            return pa_errf(err, PA_EINPUT, "%s: more than the %zu bytes allowed", path, max_bytes);
        }
    }
    close(fd);
    buf[n] = 0;
    *out = buf;
    if (len)
        *len = n;
    return PA_OK;
}

int util_read_file(const char *path, char **out, size_t *len, pa_err *err)
{
    return util_read_file_limited(path, 0, 0, out, len, NULL, NULL, err);
}

int util_write_file_atomic(const char *path, const void *buf, size_t len, pa_err *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return pa_errf(err, PA_EINPUT, "%s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return pa_errf(err, PA_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    const char *p = buf;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return pa_errf(err, PA_EIO, "%s: write failed: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return pa_errf(err, PA_EIO, "%s: write failed: %s", path, strerror(errno));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return pa_errf(err, PA_EIO, "%s: cannot rename into place: %s", path, strerror(e));
    }
    return PA_OK;
}

int util_parse_double(const char *s, double *out)
{
    if (!s || !*s || (*s == ' ' || *s == '\t'))
        return -1;
    /* reject hex floats and "inf"/"nan" spelled as data */
    for (const char *p = s; *p; p++)
        if (*p == 'x' || *p == 'X' || *p == 'n' || *p == 'N' || *p == 'i' || *p == 'I')
            return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    /* ERANGE with a finite result is an underflow: the value is the correctly
     * rounded subnormal (or zero), as printed by %.17g; overflow gives inf */
    if (*end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int util_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s || *s == ' ' || *s == '\t')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

int util_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == ' ' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

uint64_t util_fnv(uint64_t h, const void *p, size_t len)
{
    const unsigned char *b = p;
    for (size_t k = 0; k < len; k++) {
        h ^= b[k];
        h *= 1099511628211ULL;
    }
    return h;
}

double util_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int util_mkdir_p(const char *path, pa_err *err)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return pa_errf(err, PA_EINPUT, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return pa_errf(err, PA_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
            *p = '/';
        }
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return pa_errf(err, PA_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
    return PA_OK;
}

int util_ctrl_char(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return *p;
    return 0;
}

int util_same_file(const char *a, const char *b)
{
    struct stat x, y;
    if (!a || !b || stat(a, &x) != 0 || stat(b, &y) != 0)
        return 0;
    return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

struct util_strindex {
    char *const *strs;
    size_t cap;      /* power of two, >= 2n */
    size_t *slot;    /* (cap) index + 1, 0 = empty */
};

util_strindex *util_strindex_new(char *const *strs, size_t n, size_t *dup_first, size_t *dup_again)
{
    if (dup_first)
        *dup_first = SIZE_MAX;
    if (dup_again)
        *dup_again = SIZE_MAX;
    util_strindex *ix = calloc(1, sizeof *ix);
    if (!ix)
        return NULL;
    ix->strs = strs;
    ix->cap = 16;
    while (ix->cap < 2 * n)
        ix->cap *= 2;
    ix->slot = calloc(ix->cap, sizeof *ix->slot);
    if (!ix->slot) {
        free(ix);
        return NULL;
    }
    int dup = 0;
    for (size_t k = 0; k < n; k++) {
        size_t h = (size_t)util_fnv(UTIL_FNV_INIT, strs[k], strlen(strs[k])) & (ix->cap - 1);
        int seen = 0;
        while (ix->slot[h]) {
            if (strcmp(strs[ix->slot[h] - 1], strs[k]) == 0) {
                seen = 1;
                break;
            }
            h = (h + 1) & (ix->cap - 1);
        }
        if (seen) {
            if (!dup) {
                dup = 1;
                if (dup_first)
                    *dup_first = ix->slot[h] - 1;
                if (dup_again)
                    *dup_again = k;
            }
            continue; /* lookups find the first occurrence */
        }
        ix->slot[h] = k + 1;
    }
    return ix;
}

long util_strindex_find(const util_strindex *ix, const char *s)
{
    size_t h = (size_t)util_fnv(UTIL_FNV_INIT, s, strlen(s)) & (ix->cap - 1);
    while (ix->slot[h]) {
        size_t k = ix->slot[h] - 1;
        if (strcmp(ix->strs[k], s) == 0)
            return (long)k;
        h = (h + 1) & (ix->cap - 1);
    }
    return -1;
}

void util_strindex_free(util_strindex *ix)
{
    if (!ix)
        return;
    free(ix->slot);
    free(ix);
}

void util_malloc_keep(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#endif
}
