/* rng.h — reproducible random streams.
 *
 * One seed per experiment; every trial derives its own stream from
 * (experiment seed, stream id), so results do not depend on --jobs or on how
 * trials are sharded. Streams are GSL generators (gsl_rng) of a type
 * implemented here: xoshiro256** (Blackman and Vigna 2018) seeded through
 * splitmix64, so every GSL distribution can draw from them.
 */
#ifndef PA_RNG_H
#define PA_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* splitmix64 finaliser: a bijective 64-bit mix. */
uint64_t rng_mix64(uint64_t x);

/* The 64-bit seed of stream `id` of experiment `seed` (a hash of both). */
uint64_t rng_derive(uint64_t seed, uint64_t id);

/* A new generator for stream `id` of experiment `seed`; free with
 * gsl_rng_free. NULL on allocation failure. */
gsl_rng *rng_stream(uint64_t seed, uint64_t id);

/* Uniform integer in [0, n) (n > 0), unbiased, full 64-bit range. */
uint64_t rng_below(gsl_rng *r, uint64_t n);

/* The GSL type behind rng_stream ("xoshiro256**"). */
extern const gsl_rng_type *rng_xoshiro256ss;

#endif
