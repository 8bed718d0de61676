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
    /* What the game tells the attacker besides (all may be zero/NULL: unknown). The DP adversary knows the
     * algorithm and its parameters, never its coins. */
    int fixed;               /* 1: the fixed game, aux is D itself (every record but the targets) */
    size_t n_train;          /* n, records of D besides the targets (0: unknown) */
    int replace_one;         /* 1: a member replaces a record of D (n + 0), 0: is added (n + 1) */
    const char *generator;   /* the generator's registered name, or NULL */
    double epsilon, delta;   /* its claimed (ε, δ) (0: unknown) */
    const cJSON *gen_params; /* its parameters, or NULL */
} mia_input;

/* Two kinds of attack:
 * - MIA_DIRECT scores targets from what is released (and aux data): `score`.
 * - MIA_SHADOW (Stadler et al.; TAPAS) is a feature map of a synthetic set
 *   with respect to one target, plus a classifier (attacks/classify.h)
 *   trained by the harness on shadow sets: it fits the target's generator on
 *   auxiliary data with and without the target, computes `features` of each
 *   shadow release, and trains the classifier named by params "classifier"
 *   to tell in from out; a target trial's score is then the classifier's
 *   P(member) on the features of the real release. */
typedef enum mia_kind { MIA_DIRECT = 0, MIA_SHADOW = 1 } mia_kind;

typedef struct mia_vtable {
    const char *name;        /* e.g. "dcr" */
    const char *summary;     /* one line for --help */
    int needs_aux;           /* 1 if in->aux must be given */
    mia_kind kind;
    /* Validates params (unknown key: PA_EINPUT). May be NULL. */
    int (*check)(const schema *s, const cJSON *params, pa_err *err);
    /* MIA_DIRECT: scores is (targets->n); returns PA_OK or an error. */
    int (*score)(const mia_input *in, const cJSON *params, double *scores, pa_err *err);
    /* MIA_SHADOW: length of the feature vector for schema s and params. */
    int (*feature_dim)(const schema *s, const cJSON *params, size_t *dim, pa_err *err);
    /* MIA_SHADOW: features of `synth` with respect to target row t of
     * `targets` into out (dim). Must be a deterministic function of its
     * arguments (any randomness, such as the attribute subsets of targeted
     * queries, derives from params and t), so shadow and target releases are
     * described alike. */
    int (*features)(const table *synth, const table *targets, size_t t, const cJSON *params, double *out,
                    pa_err *err);
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
