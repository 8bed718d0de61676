/* gen.c — the generator registry and the model wrapper. */
#include "generators/gen.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit/acct.h"

extern const gen_vtable gen_resample;
extern const gen_vtable gen_marginals;
extern const gen_vtable gen_mst;
extern const gen_vtable gen_aim;
extern const gen_vtable gen_gsd;
extern const gen_vtable gen_privbayes;
extern const gen_vtable gen_dpmerf;
extern const gen_vtable gen_psg;
extern const gen_vtable gen_gswgan;
extern const gen_vtable gen_dpgan, gen_external;

static const gen_vtable *const registry[] = {
    &gen_resample,
    &gen_marginals,
    &gen_mst,
    &gen_aim,
    &gen_gsd,
    &gen_privbayes,
    &gen_dpmerf,
    &gen_psg,
    &gen_gswgan,
    &gen_dpgan,
    &gen_external,
    NULL,
};

struct gen_model {
    const gen_vtable *vt;
    void *state;
};

const gen_vtable *const *gen_all(void)
{
    return registry;
}

const gen_vtable *gen_find(const char *name)
{
    for (size_t k = 0; registry[k]; k++)
        if (strcmp(registry[k]->name, name) == 0)
            return registry[k];
    return NULL;
}

static int unknown_generator(const char *name, pa_err *err)
{
    char list[512] = "";
    for (size_t k = 0; registry[k]; k++) {
        if (k)
            strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, registry[k]->name, sizeof list - strlen(list) - 1);
    }
    return pa_errf(err, PA_EINPUT, "unknown generator \"%s\": expected one of %s", name, list);
}

int gen_check(const char *name, const schema *s, const gen_config *cfg, pa_err *err)
{
    const gen_vtable *vt = gen_find(name);
    if (!vt)
        return unknown_generator(name, err);
    if (!(cfg->epsilon > 0) || isnan(cfg->epsilon))
        return pa_errf(err, PA_EINPUT, "generator \"%s\": epsilon must be > 0 (or inf), got %g", name,
                       cfg->epsilon);
    if (!(cfg->delta >= 0 && cfg->delta < 1))
        return pa_errf(err, PA_EINPUT, "generator \"%s\": delta must be in [0, 1), got %g", name, cfg->delta);
    if (cfg->params && !cJSON_IsObject(cfg->params))
        return pa_errf(err, PA_EINPUT, "generator \"%s\": params must be a JSON object", name);
    for (size_t j = 0; s && j < s->d; j++)
        if (s->cols[j].kind == COL_CAT && s->cols[j].size > GEN_MAX_CODES)
            return pa_errf(err, PA_EINPUT, "generator \"%s\": column \"%s\" has %zu codes: every generator "
                           "accepts at most %zu codes per column (coarsen the schema)", name, s->cols[j].name,
                           s->cols[j].size, (size_t)GEN_MAX_CODES);
    int rc = schema_check_scale(s, err);
    if (rc)
        return pa_err_prefix(err, "generator \"%s\"", name), rc;
    return vt->check ? vt->check(s, cfg, err) : PA_OK;
}

int gen_zcdp_check(const char *name, const gen_config *cfg, pa_err *err)
{
    if (!isfinite(cfg->epsilon) || !(cfg->delta > 0 && cfg->delta < 1))
        return PA_OK; /* ε = ∞, or a δ the generator's own check refuses */
    double rho = acct_zcdp_rho(cfg->epsilon, cfg->delta);
    double back = rho > 0 && isfinite(rho) ? acct_zcdp_to_eps(rho, cfg->delta) : NAN;
    if (!(back > 0 && isfinite(back) && back <= cfg->epsilon * (1 + 1e-6)))
        return pa_errf(err, PA_EINPUT, "generator \"%s\": epsilon %.17g at delta %.17g has no zCDP conversion "
                       "(rho %g, its epsilon %g): expected an epsilon the accountant can convert", name,
                       cfg->epsilon, cfg->delta, rho, back);
    return PA_OK;
}

int gen_fit(const char *name, const table *train, const gen_config *cfg, gsl_rng *r, gen_model **out,
            pa_err *err)
{
    *out = NULL;
    int rc = gen_check(name, train->s, cfg, err);
    if (rc)
        return rc;
    const gen_vtable *vt = gen_find(name);
    gen_model *g = calloc(1, sizeof *g);
    if (!g)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    g->vt = vt;
    rc = vt->fit(train, cfg, r, &g->state, err);
    if (rc) {
        free(g);
        return rc;
    }
    *out = g;
    return PA_OK;
}

int gen_sample(const gen_model *g, size_t m, gsl_rng *r, table **out, pa_err *err)
{
    *out = NULL;
    return g->vt->sample(g->state, m, r, out, err);
}

void gen_privacy_of(const gen_model *g, gen_privacy *out)
{
    memset(out, 0, sizeof *out);
    g->vt->privacy(g->state, out);
}

void gen_free(gen_model *g)
{
    if (!g)
        return;
    g->vt->free_state(g->state);
    free(g);
}

int gen_param_num(const cJSON *params, const char *gen, const char *key, double def, double lo, double hi,
                  double *out, pa_err *err)
{
    const cJSON *v = params ? cJSON_GetObjectItemCaseSensitive(params, key) : NULL;
    if (!v) {
        *out = def;
        return PA_OK;
    }
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi)) {
        char got[64];
        if (cJSON_IsNumber(v))
            snprintf(got, sizeof got, "%.17g", v->valuedouble);
        else if (cJSON_IsString(v))
            snprintf(got, sizeof got, "\"%.40s%s\"", v->valuestring, strlen(v->valuestring) > 40 ? "..." : "");
        else
            snprintf(got, sizeof got, "%s", cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? "true" : "false")
                                            : cJSON_IsNull(v) ? "null" : cJSON_IsArray(v) ? "a list" : "an object");
        return pa_errf(err, PA_EINPUT, "generator \"%s\": parameter \"%s\": expected a number in [%g, %g], got %s",
                       gen, key, lo, hi, got);
    }
    *out = v->valuedouble;
    return PA_OK;
}

int gen_param_int(const cJSON *params, const char *gen, const char *key, double def, double lo, double hi,
                  double *out, pa_err *err)
{
    int rc = gen_param_num(params, gen, key, def, lo, hi, out, err);
    if (!rc && *out != floor(*out))
        rc = pa_errf(err, PA_EINPUT, "generator \"%s\": parameter \"%s\": expected an integer in [%g, %g], got %.17g",
                     gen, key, lo, hi, *out);
    return rc;
}

int gen_param_known(const cJSON *params, const char *gen, const char *const *keys, pa_err *err)
{
    if (!params)
        return PA_OK;
    for (const cJSON *it = params->child; it; it = it->next) {
        size_t k = 0;
        while (keys[k] && strcmp(keys[k], it->string) != 0)
            k++;
        if (!keys[k]) {
            char list[256] = "";
            for (size_t q = 0; keys[q]; q++) {
                if (q)
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, keys[q], sizeof list - strlen(list) - 1);
            }
            return pa_errf(err, PA_EINPUT, "generator \"%s\": unknown parameter \"%s\" (known: %s)", gen,
                           it->string, keys[0] ? list : "none");
        }
    }
    return PA_OK;
}

double gen_noise_min_scale(void)
{
    return 16.0 * DBL_EPSILON * GEN_NOISE_COUNT_BOUND;
}

int gen_noise_scale_check(const char *gen, const char *what, double scale, double epsilon, pa_err *err)
{
    const double lo = gen_noise_min_scale();
    if (scale >= lo && isfinite(scale))
        return 0;
    return pa_errf(err, PA_EINPUT,
                   "generator \"%s\": epsilon = %g gives the %s a noise scale of %.3g, below %.3g (16 units in "
                   "the last place of a count of 2^32): rounding could drop the noise and release the exact "
                   "statistics; use a smaller epsilon (or epsilon inf for a declared non-private fit)",
                   gen, epsilon, what, scale, lo);
}

void gen_noise_gauss(gen_noise *g, const double *exact, const double *noisy, size_t n, double sd, double l2)
{
    if (!g || n == 0 || !(sd > 0))
        return;
    for (size_t i = 0; i < n; i++) {
        double z = (noisy[i] - exact[i]) / sd;
        g->ss_gauss += z * z;
    }
    g->n_gauss += n;
    g->rho += l2 * l2 / (2 * sd * sd);
}

void gen_noise_laplace(gen_noise *g, const double *exact, const double *noisy, size_t n, double b, double l1)
{
    if (!g || n == 0 || !(b > 0))
        return;
    for (size_t i = 0; i < n; i++) {
        double z = (noisy[i] - exact[i]) / b;
        g->sa_lap += fabs(z);
        g->ss_lap += z * z;
    }
    g->n_lap += n;
    g->eps_lap += l1 / b;
}

void gen_noise_sgd(gen_noise *g, const float *exact, const float *noisy, size_t n, double sd, double clip,
                   double q)
{
    if (!g || !(sd > 0))
        return;
    for (size_t i = 0; i < n; i++) {
        double z = ((double)noisy[i] - (double)exact[i]) / sd;
        g->ss_sgd += z * z;
    }
    g->n_sgd += n;
    double sigma = sd / clip;
    if (g->sgd_comps == 0) {
        g->sgd_sigma = sigma;
        g->sgd_q = q;
        g->sgd_sens = clip;
    } else if (g->sgd_sigma != sigma || g->sgd_q != q || g->sgd_sens != clip) {
        g->sgd_sigma = g->sgd_q = g->sgd_sens = -1;
    }
    g->sgd_comps += 1;
}
