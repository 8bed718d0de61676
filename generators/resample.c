/* resample.c — the non-private leak reference: m records drawn with
 * replacement from the training table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "generators/gen.h"

static int resample_check(const schema *s, const gen_config *cfg, pa_err *err)
{
    static const char *const keys[] = {NULL};
    if (isfinite(cfg->epsilon))
        return pa_errf(err, PA_EINPUT, "generator \"resample\": it is not private (it releases training "
                       "rows); expected epsilon = inf, got %g", cfg->epsilon);
    return gen_param_known(cfg->params, "resample", keys, err);
}

static int resample_fit(const table *train, const gen_config *cfg, gsl_rng *r, void **state, pa_err *err)
{
    *state = NULL;
    if (train->n == 0)
        return pa_errf(err, PA_EINPUT, "generator \"resample\": the training table is empty");
    size_t *all = pa_malloc(train->n, sizeof *all);
    if (!all)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t i = 0; i < train->n; i++)
        all[i] = i;
    table *copy = tbl_rows(train, all, train->n);
    free(all);
    if (!copy)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    *state = copy;
    return PA_OK;
}

static int resample_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    const table *t = state;
    size_t *idx = pa_malloc(m, sizeof *idx);
    if (!idx)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t i = 0; i < m; i++)
        idx[i] = (size_t)rng_below(r, t->n);
    *out = tbl_rows(t, idx, m);
    free(idx);
    return *out ? PA_OK : pa_errf(err, PA_ENOMEM, "out of memory");
}

static void resample_privacy(const void *state, gen_privacy *out)
{
    out->epsilon = INFINITY;
    out->delta = 0;
    out->rho = INFINITY;
    strcpy(out->accountant, "none");
}

static void resample_free(void *state)
{
    tbl_free(state);
}

const gen_vtable gen_resample = {
    .name = "resample",
    .summary = "non-private: m rows drawn with replacement from the training set (the leak reference)",
    .check = resample_check,
    .fit = resample_fit,
    .sample = resample_sample,
    .privacy = resample_privacy,
    .free_state = resample_free,
};
