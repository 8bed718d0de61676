/* progress.h — the CLI's progress lines for library work that reports
 * through a callback of the form
 *     void (*progress)(void *ctx, const char *step, size_t done, size_t total)
 * (rel_opts.progress in attacks/release.h, gen_config.progress in
 * generators/gen.h). One line per step on stderr, "[TAG] STEP: 40%, 12 s
 * elapsed, ~18 s left" once the step has run 2 s (then at most one a
 * second), and "[TAG] STEP: done in 31.0 s" when done reaches total.
 * Nothing when quiet. Safe to call from several threads. */
#ifndef PA_PROGRESS_H
#define PA_PROGRESS_H

#include <pthread.h>
#include <stddef.h>

typedef struct cli_progress {
    const char *tag;     /* "audit", "gen", ... (not copied) */
    int quiet;           /* 1: print nothing */
    pthread_mutex_t mu;
    char step[128];      /* the step being timed ("" between steps) */
    double t0, last;     /* its start and the last line's time (util_now) */
} cli_progress;

/* Prepares p; undo with cli_progress_destroy. */
void cli_progress_init(cli_progress *p, const char *tag, int quiet);
void cli_progress_destroy(cli_progress *p);

/* The callback: ctx is a cli_progress. A NULL step is ignored. */
void cli_progress_cb(void *ctx, const char *step, size_t done, size_t total);

#endif
