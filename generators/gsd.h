/* gsd.h — what a Private-GSD fit did, for tests and benchmarks.
 *
 * The generator itself is gen_gsd behind generators/gen.h; `state` is the
 * `void *state` of gen_gsd.fit.
 */
#ifndef PA_GSD_H
#define PA_GSD_H

#include <stddef.h>

/* Generations the genetic search ran, and its final fitness: the squared L2
 * distance between the synthetic set's normalised k-way marginals and the
 * noisy (clipped) answers, summed over the workload. */
void gsd_info(const void *state, size_t *generations, double *fitness);

/* The noise standard deviation of each normalised answer (0 for ε = ∞) and
 * the number Q of workload marginals measured: ρ = Q·(√2/n)²/(2σ²). */
void gsd_noise(const void *state, double *sigma, size_t *Q, size_t *n);

#endif
