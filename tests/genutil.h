/* genutil.h — fitting, sampling and refusal checks of one generator, shared
 * by the generator suites (test_dpmerf, test_psg, test_gswgan). Criterion
 * assertions; header-only like testutil.h. */
#ifndef PA_TEST_GENUTIL_H
#define PA_TEST_GENUTIL_H

#include <string.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "core/rng.h"
#include "generators/gen.h"

/* Fits generator `name` on t at (eps, delta) with params `json` (NULL: none)
 * from stream (seed, 0), recording its noise in nz (may be NULL); asserts
 * the return code is `want` and returns the model (NULL unless PA_OK). */
static inline gen_model *tu_gen_fit(const char *name, const table *t, double eps, double delta, const char *json,
                                    uint64_t seed, gen_noise *nz, int want)
{
    cJSON *params = json ? cJSON_Parse(json) : NULL;
    cr_assert(!json || params, "bad JSON %s", json);
    gen_config cfg = {.epsilon = eps, .delta = delta, .params = params, .noise = nz};
    gsl_rng *r = rng_stream(seed, 0);
    gen_model *g = NULL;
    pa_err e = {0};
    int rc = gen_fit(name, t, &cfg, r, &g, &e);
    cr_assert_eq(rc, want, "%s: rc %d: %s", name, rc, e.msg);
    gsl_rng_free(r);
    cJSON_Delete(params);
    return g;
}

/* m records of g from stream (seed, 1); asserts success. */
static inline table *tu_gen_sample(const gen_model *g, size_t m, uint64_t seed)
{
    gsl_rng *r = rng_stream(seed, 1);
    table *s = NULL;
    pa_err e = {0};
    cr_assert_eq(gen_sample(g, m, r, &s, &e), PA_OK, "%s", e.msg);
    gsl_rng_free(r);
    return s;
}

/* Case `c` of a bad-parameter table: the fit of `name` on t refuses params
 * `json` at (eps, delta) with PA_EINPUT, no model, and a message holding
 * `needle`; with `check`, gen_check (no data) refuses it too. */
static inline void tu_gen_refused(const char *name, const table *t, const char *json, double eps, double delta,
                                  const char *needle, int check, size_t c)
{
    cJSON *params = json ? cJSON_Parse(json) : NULL;
    gen_config cfg = {.epsilon = eps, .delta = delta, .params = params};
    gsl_rng *r = rng_stream(1, 0);
    gen_model *g = (gen_model *)1;
    pa_err e = {0};
    cr_assert_eq(gen_fit(name, t, &cfg, r, &g, &e), PA_EINPUT, "case %zu", c);
    cr_assert_null(g, "case %zu", c);
    cr_assert(strstr(e.msg, needle), "case %zu: %s", c, e.msg);
    if (check)
        cr_assert_eq(gen_check(name, t->s, &cfg, &e), PA_EINPUT, "case %zu", c);
    gsl_rng_free(r);
    cJSON_Delete(params);
}

#endif
