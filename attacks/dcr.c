/* dcr.c — distance to closest record: a target whose nearest synthetic record
 * is close is more likely a member. Score = -(distance to the nearest
 * synthetic record), distance as mia_distance (Hamming + range-normalised L1).
 * With auxiliary data and "calibrate": true, the score is the nearest
 * auxiliary distance minus the nearest synthetic distance, which discounts
 * targets that are close to everything (typical records). */
#include <stdlib.h>
#include <string.h>

#include "attacks/mia.h"

static int dcr_check(const schema *s, const cJSON *params, pa_err *err)
{
    if (!params)
        return PA_OK;
    for (const cJSON *it = params->child; it; it = it->next) {
        if (strcmp(it->string, "calibrate") != 0)
            return pa_errf(err, PA_EINPUT, "attack \"dcr\": unknown parameter \"%s\" (known: calibrate)",
                           it->string);
        if (!cJSON_IsBool(it))
            return pa_errf(err, PA_EINPUT, "attack \"dcr\": parameter \"calibrate\": expected true or false");
    }
    return PA_OK;
}

static int dcr_score(const mia_input *in, const cJSON *params, double *scores, pa_err *err)
{
    const table *t = in->targets;
    mia_nearest(t, in->synth, 0, scores);
    int calibrate = params && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "calibrate"));
    if (calibrate && !in->aux)
        return pa_errf(err, PA_EINPUT, "attack \"dcr\": \"calibrate\" needs auxiliary data");
    double *ref = NULL;
    if (calibrate) {
        ref = malloc(t->n * sizeof *ref);
        if (!ref)
            return pa_errf(err, PA_ENOMEM, "out of memory");
        mia_nearest(t, in->aux, 0, ref);
    }
    for (size_t i = 0; i < t->n; i++)
        scores[i] = (ref ? ref[i] : 0) - scores[i];
    free(ref);
    return PA_OK;
}

const mia_vtable mia_dcr = {
    .name = "dcr",
    .summary = "distance to closest synthetic record (Hamming + range-normalised L1); optional aux calibration",
    .needs_aux = 0,
    .kind = MIA_DIRECT,
    .check = dcr_check,
    .score = dcr_score,
};
