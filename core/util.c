#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int util_read_file(const char *path, char **out, size_t *len, pa_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return pa_errf(err, PA_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return pa_errf(err, PA_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return pa_errf(err, PA_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return pa_errf(err, PA_EIO, "%s: read error", path);
    }
    buf[n] = 0;
    *out = buf;
    if (len)
        *len = n;
    return PA_OK;
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
    if (*end || errno == ERANGE || !isfinite(v))
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
