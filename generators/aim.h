/* aim.h — AIM's privacy ledger, for tests and audits of the accounting.
 *
 * The generator itself is gen_aim behind generators/gen.h. Its fitted state
 * (the `void *state` of gen_aim.fit) keeps one ledger entry per private
 * step, so a test can recompute the ρ that the steps really spent.
 */
#ifndef PA_AIM_H
#define PA_AIM_H

#include <stddef.h>
#include <stdint.h>

typedef struct aim_step {
    char kind;          /* 'g': Gaussian measurement, 'e': exponential-mechanism selection */
    double sigma;       /* 'g': noise standard deviation (L2 sensitivity 1 under add/remove) */
    double eps;         /* 'e': ε of the selection (score sensitivity: the largest weight) */
    double sens;        /* 'e': that sensitivity; 'g': 1 */
    uint64_t clique;    /* 'g': the marginal measured (bit mask of attributes); 'e': the one chosen */
} aim_step;

/* The ledger of a state fitted by gen_aim.fit: *n steps, borrowed from the
 * state. Under add/remove neighbours a 'g' step is 1/(2σ²)-zCDP and an 'e'
 * step ε²/8-zCDP (Cesar and Rogers 2021), so the fit is Σ of those. */
const aim_step *aim_ledger(const void *state, size_t *n);

/* Rounds run, and the number of times the annealing rule halved σ. */
void aim_rounds(const void *state, size_t *rounds, size_t *anneals);

#endif
