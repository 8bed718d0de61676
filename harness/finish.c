/* finish.c — after the games (finish.h): shadow classifiers, shadow-attack
 * scores, metrics.
 *
 * C = cells, S = shadow attacks, k = targets, F = features per target (all
 * shadow attacks), p = one attack's features, n = shadow releases of a cell.
 * Classifier ix = (cell * S + q) * k + t is trained on the n releases'
 * features of target t for attack q, with the seed rng_derive(rng_derive(
 * seed, SHADOW_TAG + 1), ix); it scores target t in every ok trial of the
 * cell by its P(member) on the real release's features. Both depend only
 * on the stored rows, so a merge of shards scores exactly as a single run.
 */
#include "harness/finish.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attacks/classify.h"
#include "attacks/mia.h"
#include "core/rng.h"
#include "core/util.h"
#include "harness/pool.h"
#include "harness/run.h"

int run_layout_make(const config *c, const schema *s, run_layout *L, pa_err *err)
{
    memset(L, 0, sizeof *L);
    size_t S = 0;
    for (size_t a = 0; a < c->n_attacks; a++)
        S += mia_find(c->attacks[a].name)->kind == MIA_SHADOW;
    if (!S)
        return PA_OK;
    L->sa = pa_calloc(S, sizeof *L->sa);
    L->sdim = pa_calloc(S, sizeof *L->sdim);
    L->soff = pa_calloc(S, sizeof *L->soff);
    L->twin = pa_calloc(S, sizeof *L->twin);
    char **fkey = pa_calloc(S, sizeof *fkey);
    if (!L->sa || !L->sdim || !L->soff || !L->twin || !fkey) {
        free(fkey);
        run_layout_free(L);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    for (size_t a = 0, q = 0; a < c->n_attacks; a++) {
        const mia_vtable *vt = mia_find(c->attacks[a].name);
        if (vt->kind != MIA_SHADOW)
            continue;
        L->sa[q] = a;
        int rc = vt->feature_dim(s, c->attacks[a].params, &L->sdim[q], err);
        if (rc) {
            pa_err_prefix(err, "attack \"%s\"", c->attacks[a].label);
            for (size_t r = 0; r < q; r++)
                free(fkey[r]);
            free(fkey);
            run_layout_free(L);
            return rc;
        }
        L->soff[q] = L->F;
        L->F += L->sdim[q];
        /* the features depend on the attack and its params, not on the classifier */
        cJSON *fp = c->attacks[a].params ? cJSON_Duplicate(c->attacks[a].params, 1) : cJSON_CreateObject();
        if (fp) {
            cJSON_DeleteItemFromObjectCaseSensitive(fp, "classifier");
            cJSON_DeleteItemFromObjectCaseSensitive(fp, "classifier_params");
            char *t = cJSON_PrintUnformatted(fp);
            if (t) {
                size_t len = strlen(c->attacks[a].name) + strlen(t) + 2;
                fkey[q] = malloc(len);
                if (fkey[q])
                    snprintf(fkey[q], len, "%s:%s", c->attacks[a].name, t);
            }
            free(t);
            cJSON_Delete(fp);
        }
        L->twin[q] = q;
        for (size_t r = 0; r < q && fkey[q]; r++)
            if (fkey[r] && !strcmp(fkey[r], fkey[q]) && L->sdim[r] == L->sdim[q]) {
                L->twin[q] = r;
                break;
            }
        q++;
    }
    for (size_t q = 0; q < S; q++)
        free(fkey[q]);
    free(fkey);
    L->S = S;
    return PA_OK;
}

void run_layout_free(run_layout *L)
{
    if (!L)
        return;
    free(L->sa);
    free(L->sdim);
    free(L->soff);
    free(L->twin);
    memset(L, 0, sizeof *L);
}

/* classifier training: one task per (cell, shadow attack, target) */
typedef struct clf_job {
    const config *c;
    const run_layout *L;
    size_t k;
    int **member;           /* (C) (ns[cell], k) */
    double **feat;          /* (C) (ns[cell], k, F) */
    size_t *ns;             /* (C) */
    clf **clfs;             /* (C, S, k) */
    char **clf_err;         /* (C, S, k) */
    int jobs;
    atomic_size_t next;
} clf_job;

static void *clf_worker(void *arg)
{
    clf_job *J = arg;
    const config *c = J->c;
    const run_layout *L = J->L;
    const size_t k = J->k, total = c->n_cells * L->S * k;
    for (;;) {
        size_t ix = atomic_fetch_add(&J->next, 1);
        if (ix >= total)
            break;
        size_t cell = ix / (L->S * k), q = ix / k % L->S, t = ix % k, n = J->ns[cell], p = L->sdim[q];
        const cfg_attack *at = &c->attacks[L->sa[q]];
        double *X = pa_malloc(n * p + 1, sizeof *X);
        int *y = pa_malloc(n + 1, sizeof *y);
        pa_err e = {0};
        if (!X || !y) {
            pa_errf(&e, PA_ENOMEM, "out of memory");
        } else {
            for (size_t i = 0; i < n; i++) {
                memcpy(X + i * p, J->feat[cell] + (i * k + t) * L->F + L->soff[q], p * sizeof *X);
                y[i] = J->member[cell][i * k + t];
            }
            const cJSON *kind = at->params ? cJSON_GetObjectItemCaseSensitive(at->params, "classifier") : NULL;
            const cJSON *cp = at->params ? cJSON_GetObjectItemCaseSensitive(at->params, "classifier_params") : NULL;
            /* a forest grows its trees on every thread: with fewer classifiers than threads, or a
             * quick logreg beside a forest, no core idles (the forest is the same whatever jobs) */
            clf_fit_jobs(cJSON_IsString(kind) ? kind->valuestring : "forest", X, y, n, p, cp,
                         rng_derive(rng_derive(c->seed, RUN_SHADOW_TAG + 1), ix), J->jobs, &J->clfs[ix], &e);
        }
        if (!J->clfs[ix])
            J->clf_err[ix] = pa_strdup(e.msg[0] ? e.msg : "classifier training failed");
        free(X);
        free(y);
    }
    return NULL;
}

/* prediction: rows of one cell's feature table, in chunks */
typedef struct pred_job {
    const run_layout *L;
    clf *const *clfs;       /* (S, k) of the cell */
    size_t k, n;
    const int64_t *target;  /* (n) */
    const double *feat;     /* (n, F) */
    double *out;            /* (n, S), NAN where there is no classifier */
    atomic_size_t next;
} pred_job;

#define PRED_CHUNK 64

static void *pred_worker(void *arg)
{
    pred_job *P = arg;
    const run_layout *L = P->L;
    for (;;) {
        size_t lo = atomic_fetch_add(&P->next, PRED_CHUNK);
        if (lo >= P->n)
            break;
        size_t hi = lo + PRED_CHUNK < P->n ? lo + PRED_CHUNK : P->n;
        for (size_t i = lo; i < hi; i++) {
            size_t t = (size_t)P->target[i];
            for (size_t q = 0; q < L->S; q++) {
                const clf *m = t < P->k ? P->clfs[q * P->k + t] : NULL;
                P->out[i * L->S + q] = m ? clf_predict(m, P->feat + i * L->F + L->soff[q]) : NAN;
            }
        }
    }
    return NULL;
}

/* Scores every ok trial of cell ci with the cell's classifiers (one
 * transaction). */
static int score_cell(store *st, const config *c, const run_layout *L, size_t ci, size_t k, clf *const *clfs,
                      int jobs, size_t *scored, pa_err *err)
{
    int64_t *trial = NULL, *target = NULL;
    double *feat = NULL;
    size_t n = 0;
    int rc = store_features(st, (int64_t)ci, L->F, &trial, &target, &feat, &n, err);
    if (rc)
        return rc;
    double *out = pa_malloc(n * L->S + 1, sizeof *out);
    if (!out) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto done;
    }
    pred_job P = {.L = L, .clfs = clfs, .k = k, .n = n, .target = target, .feat = feat, .out = out};
    atomic_init(&P.next, 0);
    pool_run(jobs, pred_worker, &P);
    if ((rc = store_begin(st, err)))
        goto done;
    for (size_t i = 0; i < n && !rc; i++)
        for (size_t q = 0; q < L->S && !rc; q++)
            if (!isnan(out[i * L->S + q])) {
                rc = store_put_score(st, trial[i], target[i], c->attacks[L->sa[q]].label, out[i * L->S + q], err);
                (*scored)++;
            }
    pa_err ignore;
    if (rc)
        store_commit(st, &ignore);
    else
        rc = store_commit(st, err);
done:
    free(out);
    free(trial);
    free(target);
    free(feat);
    return rc;
}

int run_finish(store *st, const config *c, const run_layout *L, size_t k, int jobs, int progress,
               run_finish_info *info, pa_err *err)
{
    memset(info, 0, sizeof *info);
    int rc = PA_OK;
    if (L->S) {
        const size_t C = c->n_cells, total = C * L->S * k;
        clf_job J = {.c = c, .L = L, .k = k, .jobs = jobs};
        J.member = pa_calloc(C, sizeof *J.member);
        J.feat = pa_calloc(C, sizeof *J.feat);
        J.ns = pa_calloc(C, sizeof *J.ns);
        J.clfs = pa_calloc(total, sizeof *J.clfs);
        J.clf_err = pa_calloc(total, sizeof *J.clf_err);
        if (!J.member || !J.feat || !J.ns || !J.clfs || !J.clf_err)
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
        for (size_t ci = 0; ci < C && !rc; ci++)
            rc = store_shadows(st, (int64_t)ci, k, L->F, &J.member[ci], &J.feat[ci], &J.ns[ci], err);
        double t0 = util_now();
        if (!rc) {
            atomic_init(&J.next, 0);
            pool_run(jobs, clf_worker, &J);
            for (size_t ix = 0; ix < total; ix++) {
                if (J.clfs[ix]) {
                    info->classifiers++;
                    continue;
                }
                if (!info->unscored++) {
                    size_t cell = ix / (L->S * k), q = ix / k % L->S, t = ix % k;
                    snprintf(info->first_error, sizeof info->first_error,
                             "cell %zu, attack \"%s\", target %zu: no shadow classifier: %s", cell,
                             c->attacks[L->sa[q]].label, t, J.clf_err[ix] ? J.clf_err[ix] : "not trained");
                }
            }
            if (progress)
                fprintf(stderr, "[run] trained %zu shadow classifier%s in %.1f s\n", info->classifiers,
                        info->classifiers == 1 ? "" : "s", util_now() - t0);
        }
        /* the cells' shadow releases are no longer needed */
        for (size_t ci = 0; ci < C && J.member && J.feat; ci++) {
            free(J.member[ci]);
            free(J.feat[ci]);
            J.member[ci] = NULL;
            J.feat[ci] = NULL;
        }
        t0 = util_now();
        for (size_t ci = 0; ci < C && !rc; ci++)
            rc = score_cell(st, c, L, ci, k, J.clfs + ci * L->S * k, jobs, &info->scored, err);
        if (!rc && progress)
            fprintf(stderr, "[run] %zu shadow-attack scores from the stored features in %.1f s\n", info->scored,
                    util_now() - t0);
        for (size_t ix = 0; J.clfs && ix < total; ix++) {
            clf_free(J.clfs[ix]);
            free(J.clf_err[ix]);
        }
        free(J.member);
        free(J.feat);
        free(J.ns);
        free(J.clfs);
        free(J.clf_err);
    }
    if (!rc)
        rc = run_compute_metrics_jobs(st, c, jobs, err);
    return rc;
}
