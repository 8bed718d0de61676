/* progress.c — the CLI's progress lines (harness/progress.h). */
#include "harness/progress.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

void cli_progress_init(cli_progress *p, const char *tag, int quiet)
{
    memset(p, 0, sizeof *p);
    p->tag = tag;
    p->quiet = quiet;
    pthread_mutex_init(&p->mu, NULL);
}

void cli_progress_destroy(cli_progress *p)
{
    pthread_mutex_destroy(&p->mu);
}

void cli_progress_cb(void *ctx, const char *step, size_t done, size_t total)
{
    cli_progress *p = ctx;
    if (!p || p->quiet || !step)
        return;
    pthread_mutex_lock(&p->mu);
    double now = util_now();
    if (strcmp(step, p->step)) {
        snprintf(p->step, sizeof p->step, "%s", step);
        p->t0 = now;
        p->last = now;
    }
    double el = now - p->t0, f = total ? (double)done / (double)total : 1;
    if (done >= total) {
        fprintf(stderr, "[%s] %s: done in %.1f s\n", p->tag, step, el);
        p->step[0] = 0;
    } else if (el > 2 && now - p->last >= 1 && f > 0) {
        fprintf(stderr, "[%s] %s: %.0f%%, %.0f s elapsed, ~%.0f s left\n", p->tag, step, 100 * f, el,
                el * (1 - f) / f);
        p->last = now;
    }
    pthread_mutex_unlock(&p->mu);
}
