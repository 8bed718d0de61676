/* ganleaks.c — GAN-leaks, full black-box setting (Chen, Yu, Zhang, Fritz,
 * "GAN-Leaks: A Taxonomy of Membership Inference Attacks against Generative
 * Models", CCS 2020), adapted to tables.
 *
 * m = synthetic records, n = auxiliary records, k = neighbours.
 *
 * Chen et al. score a query x by how well the generator's samples
 * reconstruct it, L(x) = min_i dist(x, s_i), and (calibrated variant) subtract
 * the same loss under a reference generator trained on other data, so that
 * records easy to reconstruct for any generator are discounted:
 *     score = −L_synth(x)                         (calibrate false)
 *     score = L_ref(x) − L_synth(x)                (calibrate true)
 * Here the reference release is the attacker's auxiliary data (a stand-in
 * for a reference generator's output), and the reconstruction loss is a
 * soft minimum over the k nearest records with temperature τ:
 *     L(x) = −τ · log( (1/k) Σ_{i ∈ kNN(x)} exp(−dist(x, s_i)/τ) ),
 * dist = mia_distance (Hamming + range-normalised L1). With k = 1 it is the
 * plain minimum and the attack equals "dcr". With k > 1, L ≥ min dist, and
 * among records at the same nearest distance (frequent on discrete data) the
 * one with more near copies gets a smaller loss: a released duplicate of the
 * target counts more than a single match. (If the set has fewer than k
 * records, all of them are used.)
 *
 * Params: "k" (integer ≥ 1, default 5), "temperature" (τ > 0, default 0.1,
 * in distance units: one categorical mismatch is 1), "calibrate" (bool,
 * default false; true needs auxiliary data).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attacks/mia.h"

typedef struct gl_opts {
    size_t k;
    double tau;
    int calibrate;
} gl_opts;

static int gl_opts_read(const cJSON *params, gl_opts *o, pa_err *err)
{
    *o = (gl_opts){.k = 5, .tau = 0.1, .calibrate = 0};
    if (!params)
        return PA_OK;
    for (const cJSON *it = params->child; it; it = it->next) {
        if (strcmp(it->string, "k") == 0) {
            if (!cJSON_IsNumber(it) || !(it->valuedouble >= 1 && it->valuedouble <= 1e6) ||
                it->valuedouble != floor(it->valuedouble))
                return pa_errf(err, PA_EINPUT, "attack \"ganleaks\": parameter \"k\": expected an integer in "
                               "[1, 1000000]");
            o->k = (size_t)it->valuedouble;
        } else if (strcmp(it->string, "temperature") == 0) {
            if (!cJSON_IsNumber(it) || !(it->valuedouble > 0 && it->valuedouble <= 1e6))
                return pa_errf(err, PA_EINPUT, "attack \"ganleaks\": parameter \"temperature\": expected a number "
                               "> 0");
            o->tau = it->valuedouble;
        } else if (strcmp(it->string, "calibrate") == 0) {
            if (!cJSON_IsBool(it))
                return pa_errf(err, PA_EINPUT, "attack \"ganleaks\": parameter \"calibrate\": expected true or "
                               "false");
            o->calibrate = cJSON_IsTrue(it);
        } else {
            return pa_errf(err, PA_EINPUT, "attack \"ganleaks\": unknown parameter \"%s\" (known: k, temperature, "
                           "calibrate)", it->string);
        }
    }
    return PA_OK;
}

static int gl_check(const schema *s, const cJSON *params, pa_err *err)
{
    gl_opts o;
    return gl_opts_read(params, &o, err);
}

/* Soft-min reconstruction loss of row t of x against ref; near (k) is
 * scratch for the k smallest distances, kept sorted ascending. */
static double gl_loss(const table *x, size_t t, const table *ref, const gl_opts *o, double *near)
{
    size_t k = o->k < ref->n ? o->k : ref->n, have = 0;
    for (size_t i = 0; i < ref->n; i++) {
        double dist = mia_distance(x, t, ref, i);
        if (have == k && dist >= near[k - 1])
            continue;
        size_t at = have < k ? have++ : k - 1;
        while (at > 0 && near[at - 1] > dist) {
            near[at] = near[at - 1];
            at--;
        }
        near[at] = dist;
    }
    /* −τ log((1/k) Σ exp(−d/τ)), shifted by the minimum for stability */
    double sum = 0;
    for (size_t a = 0; a < k; a++)
        sum += exp(-(near[a] - near[0]) / o->tau);
    return near[0] - o->tau * (log(sum) - log((double)k));
}

static int gl_score(const mia_input *in, const cJSON *params, double *scores, pa_err *err)
{
    gl_opts o;
    int rc = gl_opts_read(params, &o, err);
    if (rc)
        return rc;
    if (o.calibrate && !in->aux)
        return pa_errf(err, PA_EINPUT, "attack \"ganleaks\": \"calibrate\" needs auxiliary data");
    if (in->synth->n == 0 || (o.calibrate && in->aux->n == 0))
        return pa_errf(err, PA_EINPUT, "attack \"ganleaks\": the %s set is empty",
                       in->synth->n == 0 ? "synthetic" : "auxiliary");
    double *near = pa_malloc(o.k, sizeof *near);
    if (!near)
        return pa_errf(err, PA_ENOMEM, "attack \"ganleaks\": out of memory");
    const table *t = in->targets;
    for (size_t i = 0; i < t->n; i++) {
        scores[i] = -gl_loss(t, i, in->synth, &o, near);
        if (o.calibrate)
            scores[i] += gl_loss(t, i, in->aux, &o, near);
    }
    free(near);
    return PA_OK;
}

const mia_vtable mia_ganleaks = {
    .name = "ganleaks",
    .summary = "GAN-leaks full black-box (Chen et al. 2020): soft-min distance over the k nearest synthetic "
               "records; optional calibration by aux data",
    .needs_aux = 0,
    .kind = MIA_DIRECT,
    .check = gl_check,
    .score = gl_score,
};
