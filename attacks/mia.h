/* mia.h — the membership-inference interface.
 *
 * An attack sees what the game releases (the synthetic table), the
 * attacker's auxiliary data, and the challenge targets, and returns one score
 * per target: higher = more likely a member of the training set.
 */
#ifndef PA_MIA_H
#define PA_MIA_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/err.h"
#include "core/table.h"

typedef struct mia_input {
    const table *synth;      /* the released synthetic table (m records) */
    const table *aux;        /* attacker's auxiliary data from the same population, or NULL */
    const table *targets;    /* k challenge records */
} mia_input;

typedef struct mia_vtable {
    const char *name;        /* e.g. "dcr" */
    const char *summary;     /* one line for --help */
    int needs_aux;           /* 1 if in->aux must be given */
    /* Validates params (unknown key: PA_EINPUT). May be NULL. */
    int (*check)(const schema *s, const cJSON *params, pa_err *err);
    /* scores is (targets->n); returns PA_OK or an error. */
    int (*score)(const mia_input *in, const cJSON *params, double *scores, pa_err *err);
} mia_vtable;

/* The attack named `name`, or NULL. */
const mia_vtable *mia_find(const char *name);

/* Every registered attack, NULL-terminated. */
const mia_vtable *const *mia_all(void);

/* Validates an attack name and its params against schema s. */
int mia_check(const char *name, const schema *s, const cJSON *params, pa_err *err);

/* Scores every target with attack `name`; scores is (in->targets->n). */
int mia_score(const char *name, const mia_input *in, const cJSON *params, double *scores, pa_err *err);

/* Record distance used by the distance attacks: Hamming on categorical
 * columns (0 or 1 each) plus range-normalised L1 |a-b|/(hi-lo) on numeric
 * columns, between row i of a and row k of b (same schema). */
double mia_distance(const table *a, size_t i, const table *b, size_t k);

/* For each row i of q, the distance to its nearest row of ref (excluding
 * row i itself when q == ref and exclude_self is set); out is (q->n). */
void mia_nearest(const table *q, const table *ref, int exclude_self, double *out);

#endif
