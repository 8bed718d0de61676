#include "core/err.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pa_errf(pa_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}

int pa_err_prefix(pa_err *e, const char *fmt, ...)
{
    if (!e)
        return PA_EINTERNAL;
    char pre[512], joined[sizeof pre + sizeof e->msg + 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    snprintf(joined, sizeof joined, "%s: %s", pre, e->msg);
    memcpy(e->msg, joined, sizeof e->msg - 1);
    e->msg[sizeof e->msg - 1] = 0;
    return e->code;
}

void *pa_calloc(size_t n, size_t size)
{
    if (n == 0 || size == 0)
        return calloc(1, 1);
    return calloc(n, size);
}

void *pa_malloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t total = n * size;
    return malloc(total ? total : 1);
}

char *pa_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}
