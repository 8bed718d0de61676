/* gen.h — the one interface every generator sits behind.
 *
 * A generator is fitted on a training table and then samples synthetic
 * tables of the same schema. Each generator reports the privacy it spent and
 * how it was accounted. Generator-specific parameters come as a JSON object
 * (from a config file or from `--param k=v` on the command line); each
 * generator rejects keys it does not know.
 */
#ifndef PA_GEN_H
#define PA_GEN_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <gsl/gsl_rng.h>

#include "core/err.h"
#include "core/table.h"

/* The noise a fit actually added, for the property tests of tests/test_gen.c:
 * a generator given cfg->noise != NULL reports every noisy measurement of
 * private data through gen_noise_gauss / gen_noise_laplace / gen_noise_sgd,
 * with the noise scale and sensitivity its accountant assumes. Plain sums;
 * zero-initialise before the fit. */
typedef struct gen_noise {
    size_t n_gauss;          /* Gaussian-noised values (no subsampling) */
    double ss_gauss;         /* Σ ((noisy − exact)/sd)², ~χ²(n_gauss) */
    double rho;              /* Σ over measurements of Δ₂²/(2 sd²): their zCDP cost */
    size_t n_lap;            /* Laplace-noised values */
    double sa_lap;           /* Σ |noisy − exact|/b, mean 1 */
    double ss_lap;           /* Σ ((noisy − exact)/b)², mean 2 */
    double eps_lap;          /* Σ over measurements of Δ₁/b: their pure-ε cost */
    size_t n_sgd;            /* noisy coordinates of subsampled-Gaussian steps */
    double ss_sgd;           /* Σ ((noisy − exact)/sd)² over them, sd = σ·sensitivity */
    double sgd_comps;        /* compositions of the subsampled Gaussian (rate sgd_q, multiplier sgd_sigma) */
    double sgd_sigma, sgd_q; /* the last composition's σ and q (-1 if they ever differed) */
    double sgd_sens;         /* the sensitivity the code assumed (clip C, 2C, ...; -1 if it ever differed) */
} gen_noise;

typedef struct gen_config {
    double epsilon;          /* target ε; INFINITY for a non-private fit */
    double delta;            /* target δ (ignored by pure-ε mechanisms) */
    const cJSON *params;     /* generator-specific parameters (object), or NULL */
    gen_noise *noise;        /* NULL, or where the fit reports its noise (tests) */
    /* NULL, or called by a long fit (aim) with the step's name, work done
     * and work in total (done == total at the end of a step), from the
     * fitting thread; it must not print into the release or touch the RNG.
     * Same form as rel_opts.progress (attacks/release.h); the CLI passes
     * cli_progress_cb (harness/progress.h). */
    void (*progress)(void *ctx, const char *step, size_t done, size_t total);
    void *progress_ctx;
    /* the rows that will be sampled (m), when the caller knows them before the fit (a run's
     * synth_size), for checks that depend on it (external's max_rows); 0: not known */
    size_t rows;
} gen_config;

/* One Gaussian measurement: n values exact[i] released as noisy[i] =
 * exact[i] + N(0, sd²), with L2 sensitivity l2 for the whole vector.
 * No-op for g == NULL. */
void gen_noise_gauss(gen_noise *g, const double *exact, const double *noisy, size_t n, double sd, double l2);

/* One Laplace measurement: n values with noise Laplace(b), L1 sensitivity l1. */
void gen_noise_laplace(gen_noise *g, const double *exact, const double *noisy, size_t n, double b, double l1);

/* One composition of the subsampled Gaussian (rate q, multiplier sigma =
 * sd/clip): n coordinates of a clipped sum (float) and their noisy values. */
void gen_noise_sgd(gen_noise *g, const float *exact, const float *noisy, size_t n, double sd, double clip,
                   double q);

/* The smallest noise scale a count mechanism may use under a finite ε:
 * 16 units in the last place of the largest count a table can hold (2^32),
 * 2^-16 ≈ 1.5e-5. Below it, adding the noise to a count leaves the count
 * unchanged in double precision, so the "noisy" release would be the exact
 * statistic. The bound is public (no data enters it). */
#define GEN_NOISE_COUNT_BOUND 4294967296.0
double gen_noise_min_scale(void);

/* 0 when `scale` (a Gaussian sd or Laplace scale on counts, for generator
 * `gen` and its measurement `what`) is at least gen_noise_min_scale();
 * otherwise PA_EINPUT with a message that names ε and the scale: the
 * mechanism refuses rather than release unnoised statistics. */
int gen_noise_scale_check(const char *gen, const char *what, double scale, double epsilon, pa_err *err);

typedef struct gen_privacy {
    double epsilon;          /* ε spent (INFINITY: not private) */
    double delta;            /* δ of that ε */
    double rho;              /* ρ-zCDP spent, or NAN when not accounted in zCDP */
    char accountant[32];     /* "zcdp", "rdp", "prv", "pure", "none", "declared" (external: also
                                "declared-zcdp", "declared-gdp" when it declares rho) */
    int declared;            /* 1 if taken from a config without verification */
    int replace_one;         /* 1: ε is stated for replace-one neighbours (n public);
                                0: for add/remove-one (the default) */
} gen_privacy;

typedef struct gen_vtable {
    const char *name;        /* e.g. "marginals" */
    const char *summary;     /* one line for --help */
    /* Validates cfg->params (unknown key, bad value: PA_EINPUT naming the
     * key and what was expected) without fitting. May be NULL. */
    int (*check)(const schema *s, const gen_config *cfg, pa_err *err);
    /* Fits on train; on success *state is owned by the caller (free with
     * free_state). On error *state is NULL. */
    int (*fit)(const table *train, const gen_config *cfg, gsl_rng *r,
               void **state, pa_err *err);
    /* Samples m records; *out is a new table (caller frees). */
    int (*sample)(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err);
    /* Privacy spent by the fit. */
    void (*privacy)(const void *state, gen_privacy *out);
    void (*free_state)(void *state);
    /* 1: every private measurement is a Gaussian mechanism (adaptive composition, then post-processing
     * only), so the fit's ρ-zCDP is exactly μ-GDP with μ = √(2ρ) for the relation its ε is stated for;
     * the profile test then uses the Gaussian trade-off curve (audit/profile.h). 0 for anything that
     * also spends budget on an exponential mechanism, Laplace noise or subsampling. */
    int gaussian_only;
    /* When set, replaces gaussian_only for a cell's params (a generator whose params declare it,
     * as external's "gaussian_only"). May be NULL. Read through gen_gaussian_only. */
    int (*gaussian_of)(const cJSON *params);
} gen_vtable;

typedef struct gen_model gen_model;

/* The generator named `name`, or NULL. */
const gen_vtable *gen_find(const char *name);

/* 1 if generator `name` with these params is Gaussian-only (gen_vtable.gaussian_only or
 * .gaussian_of); 0 for an unknown name. */
int gen_gaussian_only(const char *name, const cJSON *params);

/* Every registered generator, NULL-terminated. */
const gen_vtable *const *gen_all(void);

/* The largest categorical domain any generator accepts: one limit for all
 * (a marginal of 2^24 doubles is 128 MB; MST and PrivBayes add their own
 * limits on the tables they build from pairs of columns). */
#define GEN_MAX_CODES ((size_t)1 << 24)

/* Validates name and parameters against schema s without fitting: epsilon,
 * delta, every categorical column within GEN_MAX_CODES, then the
 * generator's own check. */
int gen_check(const char *name, const schema *s, const gen_config *cfg, pa_err *err);

/* For a generator that accounts in ρ-zCDP (marginals, mst, aim, gsd): a finite
 * epsilon whose conversion to ρ (acct_zcdp_rho) fails, or gives a ρ whose ε is
 * 0 or above the epsilon asked (ε near 1e308, or below ~1e-18 at δ = 1e-5,
 * where ρ stops at the one of ε = 0), is PA_EINPUT naming the
 * generator, so that a run refuses it before anything is written instead of
 * failing every trial. PA_OK for ε = ∞. */
int gen_zcdp_check(const char *name, const gen_config *cfg, pa_err *err);

/* Fits generator `name` on train. On success *out is a new model (free with
 * gen_free); on error *out is NULL and err says why. */
int gen_fit(const char *name, const table *train, const gen_config *cfg,
            gsl_rng *r, gen_model **out, pa_err *err);

/* Samples m records from a fitted model; *out is a new table. */
int gen_sample(const gen_model *g, size_t m, gsl_rng *r, table **out, pa_err *err);

/* Privacy spent by the fit. */
void gen_privacy_of(const gen_model *g, gen_privacy *out);

/* Frees g; accepts NULL. */
void gen_free(gen_model *g);

/* Reads a numeric parameter `key` of params (NULL or absent: *out = def).
 * PA_EINPUT if present but not a number or outside [lo, hi]. */
int gen_param_num(const cJSON *params, const char *gen, const char *key,
                  double def, double lo, double hi, double *out, pa_err *err);

/* As gen_param_num, and the value must also be an integer. */
int gen_param_int(const cJSON *params, const char *gen, const char *key,
                  double def, double lo, double hi, double *out, pa_err *err);

/* PA_EINPUT naming the first key of params not in the NULL-terminated list. */
int gen_param_known(const cJSON *params, const char *gen, const char *const *keys,
                    pa_err *err);

#endif
