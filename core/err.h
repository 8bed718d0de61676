/* err.h — error reporting for library code.
 *
 * Library functions never print and never exit. They return an int status
 * (PA_OK = 0 on success) and, when given a non-NULL pa_err, fill it with a
 * one-line message naming the file, line, column or field and what was
 * expected. Only harness/ prints messages and chooses exit codes.
 */
#ifndef PA_ERR_H
#define PA_ERR_H

#include <stddef.h>

enum pa_status {
    PA_OK = 0,
    PA_EINPUT = 2,     /* bad input: malformed file, bad parameter, bad config */
    PA_EIO = 3,        /* the operating system refused a read or a write */
    PA_ENOMEM = 4,     /* an allocation failed */
    PA_EINTERNAL = 5,  /* a numerical or library failure that is not the input's fault */
    PA_ECHILD = 6      /* an external program failed or timed out */
};

typedef struct pa_err {
    int code;          /* the status last returned through this struct */
    char msg[1024];    /* the message, NUL-terminated */
} pa_err;

/* Fill `e` (if not NULL) with code and a printf-style message; returns code,
 * so that `return pa_errf(err, PA_EINPUT, "...")` reads naturally. */
int pa_errf(pa_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend "prefix: " to an existing message (no-op if e is NULL); returns e->code. */
int pa_err_prefix(pa_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Allocation helpers: calloc/malloc/strdup that return NULL on failure
 * (and on n*size overflow). */
void *pa_calloc(size_t n, size_t size);
void *pa_malloc(size_t n, size_t size);
char *pa_strdup(const char *s);

#endif
