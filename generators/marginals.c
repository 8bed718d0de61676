/* marginals.c — independent 1-way marginals with Gaussian noise under ρ-zCDP.
 *
 * d = columns, K_j = number of cells of column j (its codes, or the bins of
 * the shared binning rule of audit/utility.h for a numeric column).
 * Neighbouring data sets differ by adding or removing one record, so each
 * histogram has L2 sensitivity 1; the Gaussian mechanism with noise σ costs
 * ρ = 1/(2σ²) per histogram (Bun and Steinke 2016), and the d histograms
 * share ρ equally: σ = sqrt(d / (2ρ)). ρ comes from the target (ε, δ) by the
 * conversion of Canonne, Kamath and Steinke 2020 (audit/acct.h). Noisy counts
 * are clipped at 0 and normalised (uniform if nothing is left); a numeric
 * value is drawn uniformly inside its bin (pgm_decode_column).
 *
 * Planted bug for audit tests: param "bug_noiseless_column" = j measures
 * column j without noise while still claiming the full ε — a broken
 * mechanism that privaudit's audit must flag.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "audit/acct.h"
#include "core/rng.h"
#include "core/rng_discrete.h"
#include "audit/utility.h"
#include "generators/gen.h"
#include "generators/pgm.h"

typedef struct marg_state {
    schema *s;
    size_t bins;                 /* cells per numeric column */
    gsl_ran_discrete_t **dist;   /* (d) sampling tables */
    gen_privacy priv;
} marg_state;

static const char *const marg_keys[] = {"bins", "bug_noiseless_column", NULL};

static int marg_params(const schema *s, const gen_config *cfg, double *bins, double *bug, pa_err *err)
{
    int rc = gen_param_known(cfg->params, "marginals", marg_keys, err);
    if (!rc)
        rc = gen_param_int(cfg->params, "marginals", "bins", 32, 1, 1e6, bins, err);
    if (!rc)
        rc = gen_param_int(cfg->params, "marginals", "bug_noiseless_column", -1, -1, (double)s->d - 1, bug, err);
    return rc;
}

/* The Gaussian mechanism under zCDP is (ε, δ)-DP only for δ > 0: a finite
 * ε with δ = 0 has no mechanism behind it and is refused. */
static int marg_privacy_check(const gen_config *cfg, pa_err *err)
{
    if (isfinite(cfg->epsilon) && !(cfg->delta > 0 && cfg->delta < 1))
        return pa_errf(err, PA_EINPUT,
                       "generator \"marginals\": delta must be in (0, 1) for a finite epsilon (got %.17g): "
                       "its Gaussian noise under zCDP gives no pure-epsilon guarantee",
                       cfg->delta);
    return PA_OK;
}

/* refuses an ε whose noise rounding could drop (gen_noise_scale_check) */
static int marg_noise_floor(size_t d, const gen_config *cfg, pa_err *err)
{
    double rho = isfinite(cfg->epsilon) ? acct_zcdp_rho(cfg->epsilon, cfg->delta) : INFINITY;
    if (!(rho > 0 && isfinite(rho)))
        return PA_OK; /* exact, or a failed conversion the fit reports */
    return gen_noise_scale_check("marginals", "1-way marginals", sqrt((double)d / (2 * rho)), cfg->epsilon, err);
}

static int marg_check(const schema *s, const gen_config *cfg, pa_err *err)
{
    double bins, bug;
    int rc = marg_params(s, cfg, &bins, &bug, err);
    if (!rc)
        rc = marg_privacy_check(cfg, err);
    if (!rc)
        rc = gen_zcdp_check("marginals", cfg, err);
    return rc || !s ? rc : marg_noise_floor(s->d, cfg, err);
}

static size_t cells_of(const col_spec *c, size_t bins)
{
    return util_col_bins(c, bins);
}

static size_t cell_of(const col_spec *c, size_t bins, double v)
{
    return util_col_bin(c, bins, v);
}

static void marg_free(void *state)
{
    marg_state *st = state;
    if (!st)
        return;
    if (st->dist)
        for (size_t j = 0; j < st->s->d; j++)
            if (st->dist[j])
                gsl_ran_discrete_free(st->dist[j]);
    free(st->dist);
    schema_free(st->s);
    free(st);
}

static int marg_fit(const table *train, const gen_config *cfg, gsl_rng *r, void **state, pa_err *err)
{
    *state = NULL;
    double bins_d, bug_d;
    int rc = marg_params(train->s, cfg, &bins_d, &bug_d, err);
    if (!rc)
        rc = marg_privacy_check(cfg, err);
    if (rc)
        return rc;
    if (train->n == 0) /* as every other generator: noise alone is no release of a data set */
        return pa_errf(err, PA_EINPUT, "generator \"marginals\": the training table has no records");
    /* ρ from (ε, δ); a failed conversion is an error, never "no noise" */
    double rho = isinf(cfg->epsilon) ? INFINITY : acct_zcdp_rho(cfg->epsilon, cfg->delta);
    double eps_spent = isinf(rho) ? INFINITY : acct_zcdp_to_eps(rho, cfg->delta);
    if (!isinf(cfg->epsilon) && !(rho > 0 && isfinite(rho) && eps_spent > 0 && isfinite(eps_spent)))
        return pa_errf(err, PA_EINTERNAL,
                       "generator \"marginals\": the zCDP conversion of epsilon=%.17g delta=%.17g failed "
                       "(rho=%g, epsilon back=%g)", cfg->epsilon, cfg->delta, rho, eps_spent);
    const size_t d = train->d, n = train->n, bins = (size_t)bins_d;
    const long bug = (long)bug_d;
    if ((rc = marg_noise_floor(d, cfg, err)))
        return rc;
    marg_state *st = calloc(1, sizeof *st);
    if (!st)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    st->s = schema_copy(train->s);
    st->bins = bins;
    st->dist = pa_calloc(d, sizeof *st->dist);
    if (!st->s || !st->dist) {
        marg_free(st);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    double sigma = isinf(rho) ? 0 : sqrt((double)d / (2 * rho));
    for (size_t j = 0; j < d; j++) {
        const col_spec *c = &train->s->cols[j];
        size_t K = cells_of(c, bins);
        double *h = pa_calloc(K, sizeof *h);
        if (!h) {
            marg_free(st);
            return pa_errf(err, PA_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
            h[cell_of(c, bins, tbl_get(train, i, j))] += 1;
        double *h0 = cfg->noise && sigma > 0 ? pa_malloc(K, sizeof *h0) : NULL;
        if (h0)
            memcpy(h0, h, K * sizeof *h);
        for (size_t k = 0; k < K; k++)
            if (sigma > 0 && (long)j != bug)
                h[k] += gsl_ran_gaussian_ziggurat(r, sigma);
        /* one histogram: L2 sensitivity 1 (add/remove one record) */
        if (h0 && (long)j != bug)
            gen_noise_gauss(cfg->noise, h0, h, K, sigma, 1);
        free(h0);
        double total = 0;
        for (size_t k = 0; k < K; k++) {
            if (h[k] < 0)
                h[k] = 0;
            total += h[k];
        }
        if (!(total > 0))
            for (size_t k = 0; k < K; k++)
                h[k] = 1;
        st->dist[j] = gsl_ran_discrete_preproc(K, h);
        free(h);
        if (!st->dist[j]) {
            marg_free(st);
            return pa_errf(err, PA_ENOMEM, "out of memory");
        }
    }
    st->priv.epsilon = eps_spent;
    st->priv.delta = isinf(rho) ? 0 : cfg->delta;
    st->priv.rho = rho;
    strcpy(st->priv.accountant, isinf(rho) ? "none" : "zcdp");
    *state = st;
    return PA_OK;
}

static int marg_sample(const void *state, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    const marg_state *st = state;
    table *t = tbl_new(st->s, m);
    if (!t)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    int32_t *code = malloc((m ? m : 1) * sizeof *code);
    if (!code) {
        tbl_free(t);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < st->s->d; j++) {
        rng_discrete_fill(r, st->dist[j], code, m);
        if (pgm_decode_column(t, j, code, st->bins, r)) {
            free(code);
            tbl_free(t);
            return pa_errf(err, PA_ENOMEM, "out of memory");
        }
    }
    free(code);
    *out = t;
    return PA_OK;
}

static void marg_privacy(const void *state, gen_privacy *out)
{
    *out = ((const marg_state *)state)->priv;
}

const gen_vtable gen_marginals = {
    .name = "marginals",
    .summary = "independent 1-way marginals with Gaussian noise under rho-zCDP (sigma = sqrt(d/(2 rho)))",
    .check = marg_check,
    .fit = marg_fit,
    .sample = marg_sample,
    .privacy = marg_privacy,
    .free_state = marg_free,
    .gaussian_only = 1,
};
