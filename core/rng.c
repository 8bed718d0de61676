/* rng.c — xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom
 * number generators", 2018) as a GSL generator type, seeded by splitmix64
 * from a hash of (experiment seed, stream id). */
#include "core/rng.h"
#include "core/rng_discrete.h"

#include <stdint.h>

typedef struct xo_state {
    uint64_t s[4];
} xo_state;

uint64_t rng_mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

uint64_t rng_derive(uint64_t seed, uint64_t id)
{
    return rng_mix64(rng_mix64(seed) ^ rng_mix64(id + 0x632BE59BD9B4E019ULL));
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t xo_next(xo_state *st)
{
    uint64_t *s = st->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void xo_seed64(xo_state *st, uint64_t seed)
{
    uint64_t x = seed;
    for (int k = 0; k < 4; k++) {
        x += 0x9E3779B97F4A7C15ULL;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        st->s[k] = z ^ (z >> 31);
    }
}

static void xo_set(void *vstate, unsigned long seed)
{
    xo_seed64(vstate, (uint64_t)seed);
}

static unsigned long xo_get(void *vstate)
{
    return (unsigned long)(xo_next(vstate) >> 32);
}

static double xo_get_double(void *vstate)
{
    /* 53 random bits in [0, 1) */
    return (double)(xo_next(vstate) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xo_type = {
    "xoshiro256**", 0xFFFFFFFFUL, 0, sizeof(xo_state), xo_set, xo_get, xo_get_double,
};

const gsl_rng_type *rng_xoshiro256ss = &xo_type;

gsl_rng *rng_stream(uint64_t seed, uint64_t id)
{
    gsl_rng *r = gsl_rng_alloc(rng_xoshiro256ss);
    if (!r)
        return NULL;
    xo_seed64(r->state, rng_derive(seed, id));
    return r;
}

uint64_t rng_below(gsl_rng *r, uint64_t n)
{
    if (r->type != rng_xoshiro256ss) {
        /* foreign GSL generator: fall back on its 32-bit interface */
        if (n <= 0xFFFFFFFFULL)
            return gsl_rng_uniform_int(r, (unsigned long)n);
        return (uint64_t)(gsl_rng_uniform(r) * (double)n) % n;
    }
    /* Lemire's nearly divisionless method */
    xo_state *st = r->state;
    __uint128_t m = (__uint128_t)xo_next(st) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t thr = -n % n;
        while (lo < thr) {
            m = (__uint128_t)xo_next(st) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

void rng_discrete_fill(gsl_rng *r, const gsl_ran_discrete_t *g, int32_t *out, size_t m)
{
    if (r->type != rng_xoshiro256ss) {
        for (size_t i = 0; i < m; i++)
            out[i] = (int32_t)gsl_ran_discrete(r, g);
        return;
    }
    /* GSL's rule (randist/discrete.c): u uniform, c = floor(u K), c if
     * u < F[c] (F[c] = 1 included: u < 1), else A[c]; u is what
     * gsl_rng_uniform takes from this type, called directly. */
    void *st = r->state;
    const double Kd = (double)g->K, *F = g->F;
    const size_t *A = g->A;
    for (size_t i = 0; i < m; i++) {
        double u = xo_get_double(st);
        size_t c = (size_t)(u * Kd);
        size_t a = A[c];
        out[i] = (int32_t)(u < F[c] ? c : a);
    }
}
