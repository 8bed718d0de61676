/* mia.c — the membership-inference registry and the record distance. */
#include "attacks/mia.h"

#include <math.h>
#include <string.h>

extern const mia_vtable mia_dcr;
extern const mia_vtable mia_query;
extern const mia_vtable mia_shadow, mia_domias, mia_ganleaks, mia_marginal;

static const mia_vtable *const registry[] = {
    &mia_dcr,
    &mia_query,
    &mia_shadow,
    &mia_domias,
    &mia_ganleaks,
    &mia_marginal,
    NULL,
};

const mia_vtable *const *mia_all(void)
{
    return registry;
}

const mia_vtable *mia_find(const char *name)
{
    for (size_t k = 0; registry[k]; k++)
        if (strcmp(registry[k]->name, name) == 0)
            return registry[k];
    return NULL;
}

int mia_check(const char *name, const schema *s, const cJSON *params, pa_err *err)
{
    const mia_vtable *vt = mia_find(name);
    if (!vt) {
        char list[512] = "";
        for (size_t k = 0; registry[k]; k++) {
            if (k)
                strncat(list, ", ", sizeof list - strlen(list) - 1);
            strncat(list, registry[k]->name, sizeof list - strlen(list) - 1);
        }
        return pa_errf(err, PA_EINPUT, "unknown attack \"%s\": expected one of %s", name, list);
    }
    if (params && !cJSON_IsObject(params))
        return pa_errf(err, PA_EINPUT, "attack \"%s\": params must be a JSON object", name);
    return vt->check ? vt->check(s, params, err) : PA_OK;
}

int mia_score(const char *name, const mia_input *in, const cJSON *params, double *scores, pa_err *err)
{
    const mia_vtable *vt = mia_find(name);
    if (!vt)
        return mia_check(name, in->synth->s, params, err);
    if (vt->needs_aux && !in->aux)
        return pa_errf(err, PA_EINPUT, "attack \"%s\" needs auxiliary data", name);
    if (vt->kind != MIA_DIRECT)
        return pa_errf(err, PA_EINTERNAL, "attack \"%s\" is a shadow-model attack: score it through its features", name);
    return vt->score(in, params, scores, err);
}

double mia_distance(const table *a, size_t i, const table *b, size_t k)
{
    double dist = 0;
    for (size_t j = 0; j < a->d; j++) {
        if (a->cat[j]) {
            dist += a->cat[j][i] != b->cat[j][k];
        } else {
            const col_spec *c = &a->s->cols[j];
            dist += fabs(a->num[j][i] - b->num[j][k]) / (c->hi - c->lo);
        }
    }
    return dist;
}

void mia_nearest(const table *q, const table *ref, int exclude_self, double *out)
{
    for (size_t i = 0; i < q->n; i++) {
        double best = INFINITY;
        for (size_t k = 0; k < ref->n; k++) {
            if (exclude_self && q == ref && k == i)
                continue;
            double dist = mia_distance(q, i, ref, k);
            if (dist < best) {
                best = dist;
                if (best == 0)
                    break;
            }
        }
        out[i] = best;
    }
}
