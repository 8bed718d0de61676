/* rng_discrete.h — many draws from one GSL discrete distribution.
 * (Apart from rng.h: gsl_randist.h pulls in GSL's CBLAS declarations,
 * which clash with OpenBLAS' cblas.h in the files that use both.) */
#ifndef PA_RNG_DISCRETE_H
#define PA_RNG_DISCRETE_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* m draws of gsl_ran_discrete(r, g) into out[0..m), the same values in the
 * same order as m calls of it (tests/test_rng.c checks), without its
 * data-dependent branch: a release of 50,000 records of 11 columns is
 * 550,000 draws per trial, and GSL's "u < F[c]" comparison mispredicts
 * about half the time for mixed probabilities (docs/BENCHMARKS.md). For a
 * generator of another type than rng_xoshiro256ss it calls GSL. */
void rng_discrete_fill(gsl_rng *r, const gsl_ran_discrete_t *g, int32_t *out, size_t m);

#endif
