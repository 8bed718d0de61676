/* finish.h — what follows the games of a membership experiment, once every
 * trial and shadow release is stored: the shadow-model classifiers are
 * trained from table shadow, the shadow attacks' scores are computed from
 * the features of each real release (table feature) and written to table
 * score, and the metrics and estimates are (re)computed. A run does this
 * after its games; a sharded run leaves it to `privaudit merge`, which does
 * it on the merged store exactly as a single run would (docs/database.md). */
#ifndef PA_FINISH_H
#define PA_FINISH_H

#include <stddef.h>

#include "core/err.h"
#include "core/table.h"
#include "harness/config.h"
#include "harness/store.h"

/* Feature layout of the shadow-model attacks of a config: S attacks, the
 * q-th at index sa[q] of c->attacks, its sdim[q] features at offset soff[q]
 * of the F features stored per target (config order). */
typedef struct run_layout {
    size_t S;
    size_t *sa;            /* (S) */
    size_t *sdim;          /* (S) */
    size_t *soff;          /* (S) */
    size_t *twin;          /* (S) twin[q] < q: attack q's features are attack twin[q]'s (the same
                              attack and params but for the classifier); twin[q] = q otherwise */
    size_t F;
} run_layout;

/* Fills *L for config c on schema s (all zero/NULL when there is no shadow
 * attack). PA_EINPUT naming the attack if a feature dimension cannot be
 * computed; *L is then empty. Free with run_layout_free. */
int run_layout_make(const config *c, const schema *s, run_layout *L, pa_err *err);

/* Frees what run_layout_make allocated; accepts an empty layout. */
void run_layout_free(run_layout *L);

typedef struct run_finish_info {
    size_t classifiers;    /* (cell, shadow attack, target) classifiers trained */
    size_t unscored;       /* ... that could not be trained: their scores are missing */
    char first_error[512]; /* why the first of those failed ("" if none) */
    size_t scored;         /* shadow-attack scores written */
} run_finish_info;

/* Trains the classifiers (on `jobs` threads), writes every shadow attack's
 * score of every ok trial (replacing any stored), then recomputes the
 * metrics (run_compute_metrics). A classifier that cannot be trained is not
 * an error: its scores stay missing and info->unscored counts it. k is the
 * number of targets. Progress on stderr when `progress` (the harness's own
 * convention: this module lives in harness/). Returns PA_OK or a store error. */
int run_finish(store *st, const config *c, const run_layout *L, size_t k, int jobs, int progress,
               run_finish_info *info, pa_err *err);

#endif
