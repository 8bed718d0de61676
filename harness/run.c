/* run.c — the membership game (DESIGN.md "The audit game").
 *
 * For each cell (generator × ε) and each game g: draw D of train_size records
 * from the population split (never containing a target), flip a fair coin b_t
 * for every target t, fit the generator on D ∪ {t : b_t = 1}, release
 * synth_size records, and let every attack score every target. Trial ids are
 * cell * games + g; each trial draws from its own stream rng_stream(seed,
 * id + 1) (stream 0 splits the data), so results are identical for any
 * --jobs. Games g < calibration * games form the calibration split (which
 * fixes the threshold); the others are the test split (which is counted).
 *
 * Shadow-model attacks (MIA_SHADOW; Stadler et al. 2022, TAPAS) add a first
 * phase: for each cell and shadow game s < shadow_games, the attacker draws
 * D' of n records from the auxiliary split, flips a coin per target, fits the
 * cell's generator on D' ∪ {t : b_t = 1}, releases m records and computes
 * every shadow attack's features for every target (stream
 * rng_stream(rng_derive(seed, SHADOW_TAG), cell * shadow_games + s)); each
 * release is stored (table shadow) so a killed run resumes there too. A
 * target game stores the shadow attacks' features of its real release
 * (table feature), not a score. After the games, one classifier per (cell,
 * shadow attack, target) is trained on every shadow release of the cell, and
 * a shadow attack's score is its P(member) on the stored features
 * (harness/finish.c). Both phases run on all --jobs workers. So no game
 * depends on another, and --shard i/n (harness/shard.h) plays the trials
 * and shadow releases whose id ≡ i (mod n), leaving the classifiers, the
 * shadow scores and the metrics to `privaudit merge`.
 *
 * Utility: every release's k-way TVD against its own training table (config
 * "utility") and optionally TSTR accuracy/AUC on the holdout split are
 * stored with the trial (table utility), for privacy-utility curves.
 *
 * N = rows of the data set, n = train_size, m = synth_size, k = targets,
 * A = attacks, S = shadow attacks, F = shadow features per target.
 */
#include "harness/run.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "attacks/craft.h"
#include "attacks/isolation.h"
#include "attacks/mia.h"
#include "audit/cellest.h"
#include "audit/utility.h"
#include "audit/eps.h"
#include "audit/roc.h"
#include "core/rng.h"
#include "core/util.h"
#include "core/version.h"
#include "generators/gen.h"
#include "harness/finish.h"
#include "harness/pool.h"

/* isolation is measured against at most this many reference rows, and at
 * most this many candidates are considered (random subsets beyond). */
#define ISO_MAX_REF 5000
#define ISO_MAX_CAND 20000
#define SHADOW_TAG RUN_SHADOW_TAG

typedef struct game_ctx {
    const config *c;
    const table *data;      /* all N rows */
    const size_t *pop;      /* (n_pop) population rows */
    size_t n_pop;
    const table *aux;       /* attacker's auxiliary table (the fixed game: D itself) */
    const table *fixed;     /* the fixed game's D (train_size rows), or NULL (average game) */
    const table *holdout;   /* holdout split (TSTR), may be empty */
    const table *targets;   /* (k) target records */
    int phase;              /* 0: shadow releases, 1: target games */
    size_t S;               /* shadow attacks */
    size_t *sa;             /* (S) their indices in c->attacks */
    size_t *sdim, *soff;    /* (S) feature dimension and offset within F */
    size_t *twin;           /* (S) an earlier attack with the same features, or itself (finish.h) */
    size_t F;               /* features per target, all shadow attacks */
    shard_spec shard;       /* the slice of ids played */
    const int64_t *target_id;
    store *st;
    const unsigned char *done;
    size_t n_trials;
    atomic_size_t next;
    atomic_size_t finished;
    atomic_size_t failed;
    atomic_int abort;
    pthread_mutex_t err_mu;
    pa_err first_err;
    double t0;
    size_t todo;
    int progress;
    pthread_mutex_t prog_mu;
    double last_print;
} game_ctx;

/* Picks k target rows (rows[], isolation[]) by the config's rule. */
static int choose_targets(const config *c, const table *data, int jobs, size_t *rows, double *iso, pa_err *err)
{
    const size_t N = data->n, k = c->n_targets;
    if (c->select == SELECT_GIVEN) {
        for (size_t t = 0; t < k; t++) {
            rows[t] = (size_t)c->target_rows[t];
            iso[t] = NAN;
        }
        return PA_OK;
    }
    gsl_rng *r = rng_stream(c->seed, UINT64_MAX);
    if (!r)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    size_t *perm = pa_malloc(N, sizeof *perm);
    if (!perm) {
        gsl_rng_free(r);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < N; i++)
        perm[i] = i;
    for (size_t i = N; i > 1; i--) { /* Fisher-Yates */
        size_t j = (size_t)rng_below(r, i);
        size_t tmp = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = tmp;
    }
    gsl_rng_free(r);
    if (c->select == SELECT_RANDOM) {
        for (size_t t = 0; t < k; t++) {
            rows[t] = perm[t];
            iso[t] = NAN;
        }
        free(perm);
        return PA_OK;
    }
    size_t n_ref = N < ISO_MAX_REF ? N : ISO_MAX_REF;
    size_t n_cand = N < ISO_MAX_CAND ? N : ISO_MAX_CAND;
    /* the candidates (the first n_cand rows of perm) in data-row order, so
     * that iso_select's ties (lower candidate first) go to the lower row;
     * the reference is the first n_ref rows of perm */
    size_t *crow = pa_malloc(n_cand, sizeof *crow), *self = pa_malloc(n_cand, sizeof *self);
    size_t *pos = pa_malloc(N, sizeof *pos), *pick = pa_malloc(k + 1, sizeof *pick);
    table *ref = tbl_rows(data, perm, n_ref), *cand = NULL;
    int rc = PA_OK;
    if (!crow || !self || !pos || !pick || !ref) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < N; i++)
        pos[i] = SIZE_MAX;
    for (size_t i = 0; i < n_cand; i++)
        pos[perm[i]] = i;
    for (size_t row = 0, i = 0; row < N; row++)
        if (pos[row] != SIZE_MAX)
            crow[i++] = row;
    for (size_t i = 0; i < n_cand; i++)
        self[i] = pos[crow[i]] < n_ref ? pos[crow[i]] : SIZE_MAX;
    if (!(cand = tbl_rows(data, crow, n_cand))) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = iso_select(cand, ref, self, k, jobs, pick, iso, err)))
        goto out;
    for (size_t t = 0; t < k; t++)
        rows[t] = crow[pick[t]];
out:
    tbl_free(ref);
    tbl_free(cand);
    free(crow);
    free(self);
    free(pos);
    free(pick);
    free(perm);
    return rc;
}

static void progress_line(game_ctx *g, int final)
{
    if (!g->progress)
        return;
    pthread_mutex_lock(&g->prog_mu);
    double now = util_now();
    if (final || now - g->last_print >= (isatty(2) ? 0.25 : 5.0)) {
        g->last_print = now;
        size_t done = atomic_load(&g->finished);
        double el = now - g->t0;
        double rate = el > 0 ? (double)done / el : 0;
        double left = rate > 0 ? (double)(g->todo - done) / rate : 0;
        const char *what = g->phase == 0 ? "shadow releases" : "trials";
        fprintf(stderr, "%s[run] %zu/%zu %s (%.1f%%), %.1f %s/s, elapsed %.0fs, ~%.0fs left%s",
                isatty(2) ? "\r" : "", done, g->todo, what,
                g->todo ? 100.0 * (double)done / (double)g->todo : 100.0, rate, what, el, left,
                (isatty(2) && !final) ? "" : "\n");
        fflush(stderr);
    }
    pthread_mutex_unlock(&g->prog_mu);
}

static void set_abort(game_ctx *g, const pa_err *e)
{
    pthread_mutex_lock(&g->err_mu);
    if (!atomic_load(&g->abort)) {
        g->first_err = *e;
        atomic_store(&g->abort, 1);
    }
    pthread_mutex_unlock(&g->err_mu);
}

/* One game's training set: n = train_size rows of src drawn without
 * replacement from the row ids pool (n_pool of them; NULL: all rows of
 * src), a fair coin per target into member (k), and the targets whose coin
 * is 1 added (add-remove) or put in place of as many drawn rows
 * (replace-one). The draws come from r in that order. NULL when out of
 * memory. */
static table *draw_training_set(const config *c, gsl_rng *r, const table *src, const size_t *pool, size_t n_pool,
                                const table *targets, int *member)
{
    const size_t n = c->train_size, k = targets->n;

    size_t *idx = pa_malloc(n, sizeof *idx), *tin = pa_malloc(k + 1, sizeof *tin), *all = NULL;
    if (!pool && idx && tin) {
        all = pa_malloc(n_pool, sizeof *all);
        for (size_t i = 0; all && i < n_pool; i++)
            all[i] = i;
        pool = all;
    }
    table *train = NULL;
    if (idx && tin && pool) {
        /* gsl_ran_choose keeps the pool's order (Floyd's selection would avoid its O(n_pool) pass) */
        gsl_ran_choose(r, idx, n, (void *)pool, n_pool, sizeof(size_t));
        size_t n_in = 0;
        for (size_t t = 0; t < k; t++) {
            member[t] = (int)rng_below(r, 2);
            if (member[t])
                tin[n_in++] = t;
        }
        table *d_tab = tbl_rows(src, idx, c->replace_one ? n - n_in : n);
        table *t_in = tbl_rows(targets, tin, n_in);
        train = (d_tab && t_in) ? tbl_concat(d_tab, t_in) : NULL;
        tbl_free(d_tab);
        tbl_free(t_in);
    }
    free(all);
    free(idx);
    free(tin);
    return train;
}

/* The fixed game's training set: D (all train_size rows) and a fair coin per
 * target from r; the targets whose coin is 1 are added (add-remove) or put in
 * place of D's last rows (replace-one: the member replaces one record of the
 * attacker's known D). NULL when out of memory. */
static table *fixed_training_set(const config *c, gsl_rng *r, const table *D, const table *targets, int *member)
{
    const size_t k = targets->n;
    size_t *tin = pa_malloc(k + 1, sizeof *tin), *idx = pa_malloc(D->n + 1, sizeof *idx);
    table *train = NULL;
    if (tin && idx) {
        size_t n_in = 0;
        for (size_t t = 0; t < k; t++) {
            member[t] = (int)rng_below(r, 2);
            if (member[t])
                tin[n_in++] = t;
        }
        for (size_t i = 0; i < D->n; i++)
            idx[i] = i;
        table *d_tab = tbl_rows(D, idx, c->replace_one ? D->n - n_in : D->n);
        table *t_in = tbl_rows(targets, tin, n_in);
        train = (d_tab && t_in) ? tbl_concat(d_tab, t_in) : NULL;
        tbl_free(d_tab);
        tbl_free(t_in);
    }
    free(tin);
    free(idx);
    return train;
}

/* Record t of a table as a JSON object {"column": label or number, ...}
 * (malloc'd; NULL when out of memory): a crafted target's values for the store. */
static char *tbl_row_json(const table *tb, size_t t)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t j = 0; o && j < tb->d; j++) {
        const col_spec *cs = &tb->s->cols[j];
        cJSON *v = cs->kind == COL_CAT && cs->labels ? cJSON_CreateString(cs->labels[tb->cat[j][t]])
                                                     : cJSON_CreateNumber(tbl_get(tb, t, j));
        if (!v || !cJSON_AddItemToObject(o, cs->name, v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            return NULL;
        }
    }
    char *txt = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return txt;
}

/* Plays trial `id`; returns PA_OK or a store error (generator failures are
 * recorded as failed trials). */
static int play_trial(game_ctx *g, size_t id, pa_err *err)
{
    const config *c = g->c;
    const size_t games = c->games, k = g->targets->n, A = c->n_attacks;
    const size_t cell_ix = id / games, game = id % games;
    const cfg_cell *cell = &c->cells[cell_ix];
    uint64_t stream_seed = rng_derive(c->seed, id + 1);
    gsl_rng *r = rng_stream(c->seed, id + 1);
    int *member = pa_calloc(k, sizeof *member);
    double *score = pa_calloc(A * k, sizeof *score);
    double *feat = pa_calloc(k * g->F + 1, sizeof *feat);
    const char **labels = pa_calloc(A, sizeof *labels);
    table *train = NULL, *synth = NULL;
    gen_model *model = NULL;
    int rc = PA_OK;
    if (!r || !member || !score || !feat || !labels) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    /* D from the population split (average game), or the fixed D and only the coins */
    train = g->fixed ? fixed_training_set(c, r, g->fixed, g->targets, member)
                     : draw_training_set(c, r, g->data, g->pop, g->n_pop, g->targets, member);
    if (!train) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    store_trial tr = {
        .id = (int64_t)id, .cell_id = (int64_t)cell_ix, .game = (int64_t)game,
        .split = game < (size_t)llround(c->calibration * (double)games) ? "calibration" : "test",
        .stream_seed = stream_seed, .status = "ok", .k = k, .target_id = g->target_id, .member = member,
        .n_attacks = 0, .attack = labels, .score = score,
        .eps_spent = NAN, .delta_spent = NAN, .rho_spent = NAN,
    };
    gen_config gc = {.epsilon = cell->epsilon, .delta = cell->delta, .params = cell->params};
    pa_err gerr = {0};
    double t0 = util_now();
    int grc = gen_fit(cell->generator, train, &gc, r, &model, &gerr);
    double t1 = util_now();
    if (!grc)
        grc = gen_sample(model, c->synth_size, r, &synth, &gerr);
    double t2 = util_now();
    tr.fit_s = t1 - t0;
    tr.sample_s = t2 - t1;
    char hash[17] = "";
    const char *util_name[7];
    double util_value[7];
    size_t n_util = 0;
    gen_privacy pv; /* outlives the block: tr.accountant points into it */
    if (!grc) {
        gen_privacy_of(model, &pv);
        tr.eps_spent = pv.epsilon;
        tr.delta_spent = pv.delta;
        tr.rho_spent = pv.rho;
        tr.accountant = pv.accountant;
        tr.claim_nb = pv.replace_one ? 2 : 1;
        snprintf(hash, sizeof hash, "%016llx", (unsigned long long)tbl_digest(synth));
        tr.synth_hash = hash;
        mia_input in = {.synth = synth, .aux = g->aux, .targets = g->targets, .fixed = g->fixed != NULL,
                        .n_train = c->train_size, .replace_one = c->replace_one, .generator = cell->generator,
                        .epsilon = cell->epsilon, .delta = cell->delta, .gen_params = cell->params};
        /* direct attacks score now (compacted into labels/score); shadow
         * attacks store their features, scored after the games (finish.h) */
        size_t n_direct = 0;
        for (size_t a = 0; a < A && !grc; a++) {
            size_t q = 0;
            while (q < g->S && g->sa[q] != a)
                q++;
            if (q == g->S) {
                labels[n_direct] = c->attacks[a].label;
                grc = mia_score(c->attacks[a].name, &in, c->attacks[a].params, score + n_direct * k, &gerr);
                n_direct++;
                continue;
            }
            const mia_vtable *vt = mia_find(c->attacks[a].name);
            for (size_t t = 0; t < k && !grc; t++)
                if (g->twin[q] != q) /* the same features as an earlier shadow attack's */
                    memcpy(feat + t * g->F + g->soff[q], feat + t * g->F + g->soff[g->twin[q]],
                           g->sdim[q] * sizeof *feat);
                else
                    grc = vt->features(synth, g->targets, t, c->attacks[a].params, feat + t * g->F + g->soff[q],
                                       &gerr);
        }
        tr.n_attacks = n_direct;
        tr.dim = g->F;
        tr.features = g->F ? feat : NULL;
        tr.attack_s = util_now() - t2;
        if (!grc) {
            unsigned orders = 0;
            double tvd[3];
            for (int o = 0; o < 3; o++)
                orders |= c->util_tvd[o] && (size_t)(o + 1) <= train->d ? 1u << o : 0;
            if (orders && !util_tvd_orders(train, synth, orders, c->util_max_sets, 0, c->seed, tvd, NULL))
                for (int o = 0; o < 3; o++)
                    if (orders & (1u << o)) {
                        util_name[n_util] = o == 0 ? "tvd1" : o == 1 ? "tvd2" : "tvd3";
                        util_value[n_util++] = tvd[o];
                    }
            if (c->util_tstr && g->holdout && g->holdout->n > 0) {
                double acc = NAN, auc = NAN;
                util_tstr(synth, g->holdout, c->util_tstr, UTIL_LOGREG, &acc, &auc, NULL);
                util_name[n_util] = "tstr_acc";
                util_value[n_util++] = acc;
                util_name[n_util] = "tstr_auc";
                util_value[n_util++] = auc;
                /* the same classifier trained on the real training set: the reference of the
                 * privacy-utility figures (reports/report_run.c) */
                acc = auc = NAN;
                util_tstr(train, g->holdout, c->util_tstr, UTIL_LOGREG, &acc, &auc, NULL);
                util_name[n_util] = "trtr_acc";
                util_value[n_util++] = acc;
                util_name[n_util] = "trtr_auc";
                util_value[n_util++] = auc;
            }
            tr.n_util = n_util;
            tr.util_name = util_name;
            tr.util_value = util_value;
        }
    }
    if (grc) {
        tr.status = "failed";
        tr.error = gerr.msg;
        tr.score = NULL;
        tr.features = NULL;
        atomic_fetch_add(&g->failed, 1);
    }
    rc = store_put_trial(g->st, &tr, err);
out:
    gen_free(model);
    tbl_free(train);
    tbl_free(synth);
    free(member);
    free(score);
    free(feat);
    free(labels);
    if (r)
        gsl_rng_free(r);
    return rc;
}

/* Plays shadow release `id` (cell id / shadow_games, game id % shadow_games):
 * D' from the auxiliary split, coins, fit, sample, features; stores it.
 * Generator failures are stored as failed shadows. */
static int play_shadow(game_ctx *g, size_t id, pa_err *err)
{
    const config *c = g->c;
    const size_t k = g->targets->n, cell_ix = id / c->shadow_games, game = id % c->shadow_games;
    const cfg_cell *cell = &c->cells[cell_ix];
    gsl_rng *r = rng_stream(rng_derive(c->seed, SHADOW_TAG), id);
    int *member = pa_calloc(k, sizeof *member);
    double *feat = pa_calloc(k * g->F + 1, sizeof *feat);
    table *train = NULL, *synth = NULL;
    gen_model *model = NULL;
    int rc = PA_OK;
    if (!r || !member || !feat) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    double t0 = util_now();
    /* D' from the attacker's auxiliary split */
    train = draw_training_set(c, r, g->aux, NULL, g->aux->n, g->targets, member);
    if (!train) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    gen_config gc = {.epsilon = cell->epsilon, .delta = cell->delta, .params = cell->params};
    pa_err gerr = {0};
    int grc = gen_fit(cell->generator, train, &gc, r, &model, &gerr);
    if (!grc)
        grc = gen_sample(model, c->synth_size, r, &synth, &gerr);
    for (size_t q = 0; q < g->S && !grc; q++) {
        const cfg_attack *at = &c->attacks[g->sa[q]];
        const mia_vtable *vt = mia_find(at->name);
        for (size_t t = 0; t < k && !grc; t++)
            if (g->twin[q] != q)
                memcpy(feat + t * g->F + g->soff[q], feat + t * g->F + g->soff[g->twin[q]], g->sdim[q] * sizeof *feat);
            else
                grc = vt->features(synth, g->targets, t, at->params, feat + t * g->F + g->soff[q], &gerr);
    }
    store_shadow sh = {.cell_id = (int64_t)cell_ix, .game = (int64_t)game, .status = grc ? "failed" : "ok",
                       .error = grc ? gerr.msg : NULL, .k = k, .dim = g->F, .member = grc ? NULL : member,
                       .features = grc ? NULL : feat, .seconds = util_now() - t0};
    if (grc)
        atomic_fetch_add(&g->failed, 1);
    rc = store_put_shadow(g->st, &sh, err);
out:
    gen_free(model);
    tbl_free(train);
    tbl_free(synth);
    free(member);
    free(feat);
    if (r)
        gsl_rng_free(r);
    return rc;
}

static void *worker(void *arg)
{
    game_ctx *g = arg;
    for (;;) {
        if (atomic_load(&g->abort))
            break;
        size_t j = atomic_fetch_add(&g->next, 1);
        if (j >= shard_size(&g->shard, g->n_trials))
            break;
        size_t id = shard_item(&g->shard, j);
        if (g->done[id])
            continue;
        pa_err e = {0};
        if (g->phase == 0 ? play_shadow(g, id, &e) : play_trial(g, id, &e)) {
            set_abort(g, &e);
            break;
        }
        atomic_fetch_add(&g->finished, 1);
        progress_line(g, 0);
    }
    return NULL;
}

/* Runs g->n_trials items of the current phase on `jobs` workers. */
static void run_phase(game_ctx *g, int jobs)
{
    atomic_store(&g->next, 0);
    pool_run(jobs, worker, g);
    progress_line(g, 1);
}

/* Metrics of one (cell, attack, target or pooled). */
static int cell_metrics(store *st, const config *c, size_t cell_ix, const cfg_attack *at, int64_t target_id,
                        pa_err *err)
{
    double *score;
    int *member, *is_cal;
    size_t n;
    int rc = store_scores(st, (int64_t)cell_ix, at->label, target_id, &score, &member, &is_cal, &n, err);
    if (rc)
        return rc;
    const cfg_cell *cell = &c->cells[cell_ix];
    roc_curve *roc = NULL;
    pa_err rerr;
    if (n == 0 || roc_build(score, member, n, &roc, &rerr) != PA_OK) {
        free(score);
        free(member);
        free(is_cal);
        return PA_OK; /* nothing to measure (all failed, or one class only) */
    }
    store_metric m = {.cell_id = (int64_t)cell_ix, .attack = at->label, .target_id = target_id};
    const char *names[] = {"auc", "tpr@0.1", "tpr@0.01", "tpr@0.001"};
    double vals[] = {roc_auc(roc), roc_tpr_at(roc, 0.1), roc_tpr_at(roc, 0.01), roc_tpr_at(roc, 0.001)};
    for (size_t q = 0; q < 4 && !rc; q++) {
        m.name = names[q];
        m.value = vals[q];
        rc = store_put_metric(st, &m, err);
    }
    roc_free(roc);
    /* every estimate (audit/cellest.h): thresholds on the calibration split, counts on the test split */
    double delta = isfinite(cell->epsilon) && cell->delta > c->audit_delta ? cell->delta : c->audit_delta;
    double rho = NAN;
    cellest_row rows[CELLEST_MAX_ROWS];
    size_t nr = 0;
    if (!rc)
        rc = store_cell_rho(st, (int64_t)cell_ix, &rho, err);
    if (!rc) {
        cellest_in in = {.score = score, .member = member, .is_cal = is_cal, .n = n, .delta = delta,
                         .alpha = c->alpha, .claimed = cell->epsilon, .rho = rho,
                         .gaussian = gen_gaussian_only(cell->generator, cell->params)};
        rc = cellest_compute(&in, rows, &nr, err);
    }
    for (size_t q = 0; q < nr && !rc; q++) {
        const cellest_row *w = &rows[q];
        store_estimate e = {
            .cell_id = (int64_t)cell_ix, .attack = at->label, .target_id = target_id, .method = w->method,
            .lo = w->lo, .hi = w->hi, .point = w->point, .alpha = c->alpha, .delta = delta,
            .threshold = w->threshold, .tp = w->tp, .fn = w->fn, .fp = w->fp, .tn = w->tn,
            .claimed = w->claimed, .p_exceeds = w->p_exceeds, .violation = w->violation,
        };
        rc = store_put_estimate(st, &e, err);
    }
    free(score);
    free(member);
    free(is_cal);
    return rc;
}

/* Metrics tasks, one per (cell, attack, target or pooled) in the order a
 * serial loop takes them; computed on the threads, written in that order. */
typedef struct metrics_job {
    store *st;
    const config *c;
    size_t n;
    size_t *cell, *attack;
    int64_t *target;
    store_batch **batch;
    int *rc;
    pa_err *err;
    atomic_size_t next;
} metrics_job;

static void *metrics_worker(void *arg)
{
    metrics_job *M = arg;
    for (;;) {
        size_t j = atomic_fetch_add(&M->next, 1);
        if (j >= M->n)
            break;
        store_batch_capture(M->batch[j]);
        M->rc[j] = cell_metrics(M->st, M->c, M->cell[j], &M->c->attacks[M->attack[j]], M->target[j], &M->err[j]);
        store_batch_capture(NULL);
    }
    return NULL;
}

int run_compute_metrics(store *st, const config *c, pa_err *err)
{
    return run_compute_metrics_jobs(st, c, 1, err);
}

int run_compute_metrics_jobs(store *st, const config *c, int jobs, pa_err *err)
{
    /* pooled rows (target_id NULL) always, as docs/database.md says; with one target they repeat its rows */
    const size_t per = c->n_targets + 1, n = c->n_cells * c->n_attacks * per;
    metrics_job M = {.st = st, .c = c, .n = n};
    M.cell = pa_calloc(n + 1, sizeof *M.cell);
    M.attack = pa_calloc(n + 1, sizeof *M.attack);
    M.target = pa_calloc(n + 1, sizeof *M.target);
    M.batch = pa_calloc(n + 1, sizeof *M.batch);
    M.rc = pa_calloc(n + 1, sizeof *M.rc);
    M.err = pa_calloc(n + 1, sizeof *M.err);
    int rc = M.cell && M.attack && M.target && M.batch && M.rc && M.err ? PA_OK
                                                                        : pa_errf(err, PA_ENOMEM, "out of memory");
    for (size_t ci = 0, j = 0; ci < c->n_cells && !rc; ci++)
        for (size_t a = 0; a < c->n_attacks && !rc; a++)
            for (size_t q = 0; q < per && !rc; q++, j++) {
                M.cell[j] = ci;
                M.attack[j] = a;
                M.target[j] = (int64_t)q - 1; /* pooled (-1) first */
                if (!(M.batch[j] = store_batch_new()))
                    rc = pa_errf(err, PA_ENOMEM, "out of memory");
            }
    if (!rc)
        rc = store_begin(st, err);
    if (!rc) {
        rc = store_clear_results(st, err);
        if (!rc) {
            atomic_init(&M.next, 0);
            pool_run(jobs, metrics_worker, &M);
        }
        for (size_t j = 0; j < n && !rc; j++)
            if ((rc = M.rc[j]) != PA_OK) {
                if (err)
                    *err = M.err[j];
            } else {
                rc = store_batch_write(st, M.batch[j], err);
            }
        pa_err ignore;
        if (rc)
            store_commit(st, &ignore); /* release the transaction; results are recomputed on the next run */
        else
            rc = store_commit(st, err);
    }
    for (size_t j = 0; M.batch && j < n; j++)
        store_batch_free(M.batch[j]);
    free(M.cell);
    free(M.attack);
    free(M.target);
    free(M.batch);
    free(M.rc);
    free(M.err);
    return rc;
}

int run_experiment(const config *c, const run_opts *o, run_summary *sum, pa_err *err)
{
    memset(sum, 0, sizeof *sum);
    double t_start = util_now();
    schema *s = NULL;
    table *data = NULL, *aux = NULL, *targets = NULL, *holdout = NULL, *fixed = NULL;
    size_t *perm = NULL, *trow = NULL;
    run_layout L = {0};
    double *tiso = NULL;
    int64_t *tid = NULL;
    unsigned char *done = NULL;
    store *st = NULL;
    char *schema_json = NULL;
    /* the data's own errors name their file and line; the config's field comes first */
    int rc = schema_read(c->data_schema, &s, err);
    if (rc && rc != PA_ENOMEM)
        pa_err_prefix(err, "%s: data.schema", c->path);
    if (!rc && (rc = schema_check_scale(s, err)))
        pa_err_prefix(err, "%s: data.schema: %s", c->path, c->data_schema);
    if (!rc && (rc = tbl_read_csv(c->data_csv, s, &data, err)) && rc != PA_ENOMEM)
        pa_err_prefix(err, "%s: data.csv", c->path);
    if (!rc)
        rc = config_check_data(c, s, data->n, err);
    if (rc)
        goto out;
    const size_t N = data->n, k = c->n_targets;
    trow = pa_calloc(k, sizeof *trow);
    tiso = pa_calloc(k, sizeof *tiso);
    tid = pa_calloc(k, sizeof *tid);
    perm = pa_malloc(N, sizeof *perm);
    if (!trow || !tiso || !tid || !perm) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    const int crafted = c->select == SELECT_CRAFTED;
    if (crafted) {
        for (size_t t = 0; t < k; t++) {
            trow[t] = SIZE_MAX; /* not a row of the data */
            tiso[t] = NAN;
        }
    } else {
        if ((rc = choose_targets(c, data, o->jobs, trow, tiso, err)))
            goto out;
        targets = tbl_rows(data, trow, k);
    }
    /* split the other rows: aux | holdout | population (stream 0) */
    size_t m_rest = 0;
    for (size_t i = 0; i < N; i++) {
        int is_t = 0;
        for (size_t t = 0; t < k; t++)
            is_t |= trow[t] == i;
        if (!is_t)
            perm[m_rest++] = i;
    }
    gsl_rng *r0 = rng_stream(c->seed, 0);
    if (!r0 || (!targets && !crafted)) {
        if (r0)
            gsl_rng_free(r0);
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = m_rest; i > 1; i--) {
        size_t j = (size_t)rng_below(r0, i);
        size_t tmp = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = tmp;
    }
    gsl_rng_free(r0);
    size_t n_aux = (size_t)((double)m_rest * c->aux_frac);
    size_t n_hold = (size_t)((double)m_rest * c->holdout_frac);
    aux = tbl_rows(data, perm, n_aux);
    holdout = tbl_rows(data, perm + n_aux, n_hold);
    const size_t *pop = perm + n_aux + n_hold;
    size_t n_pop = m_rest - n_aux - n_hold;
    if (n_pop < c->train_size) {
        rc = pa_errf(err, PA_EINPUT, "the population split has %zu rows, fewer than train_size %zu", n_pop,
                     c->train_size);
        goto out;
    }
    /* the fixed game: one D of train_size population rows for every trial (its own stream), and it is the
     * attacker's knowledge in place of the aux split */
    if (c->fixed_game) {
        gsl_rng *rf = rng_stream(rng_derive(c->seed, RUN_FIXED_TAG), 0);
        size_t *fidx = pa_malloc(c->train_size, sizeof *fidx);
        if (rf && fidx) {
            gsl_ran_choose(rf, fidx, c->train_size, (void *)pop, n_pop, sizeof(size_t));
            fixed = tbl_rows(data, fidx, c->train_size);
        }
        if (rf)
            gsl_rng_free(rf);
        free(fidx);
        if (!fixed) {
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
            goto out;
        }
    }
    /* crafted targets stand out from D (fixed game) or from the population split (average game) */
    if (crafted) {
        table *ref = c->fixed_game ? NULL : tbl_rows(data, pop, n_pop);
        if (!c->fixed_game && !ref) {
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
            goto out;
        }
        rc = craft_targets(c->fixed_game ? fixed : ref, k, UTIL_DEFAULT_BINS, &targets, err);
        tbl_free(ref);
        if (rc)
            goto out;
    }
    /* a worst-case D: target_copies copies of every target first, then D's first records (replace-one
     * members take the place of D's last rows, never of a copy) */
    if (fixed && c->target_copies) {
        const size_t nc = k * c->target_copies;
        size_t *ci = pa_malloc(nc, sizeof *ci), *di = pa_malloc(c->train_size - nc, sizeof *di);
        table *cp = NULL, *rest = NULL, *worst = NULL;
        if (ci && di) {
            for (size_t i = 0; i < nc; i++)
                ci[i] = i % k;
            for (size_t i = 0; i < c->train_size - nc; i++)
                di[i] = i;
            cp = tbl_rows(targets, ci, nc);
            rest = tbl_rows(fixed, di, c->train_size - nc);
            worst = cp && rest ? tbl_concat(cp, rest) : NULL;
        }
        free(ci);
        free(di);
        tbl_free(cp);
        tbl_free(rest);
        if (!worst) {
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
            goto out;
        }
        tbl_free(fixed);
        fixed = worst;
    }
    /* shadow attacks: their feature layout */
    if ((rc = run_layout_make(c, s, &L, err)))
        goto out;
    if (L.S && !fixed) {
        if (!aux || aux->n < c->train_size) {
            rc = pa_errf(err, PA_EINPUT,
                         "shadow-model attacks train shadow generators on %zu auxiliary records, but the aux split "
                         "has %zu rows: raise split.aux or lower train_size",
                         c->train_size, aux ? aux->n : 0);
            goto out;
        }
    }
    /* the store: created atomically (or opened to resume) and locked until the end */
    if ((rc = store_open_run(o->db_path, !o->resume, &st, err)))
        goto out;
    schema_json = schema_to_json(s);
    char dhash[17];
    snprintf(dhash, sizeof dhash, "%016llx", (unsigned long long)tbl_hash(data));
    const size_t n_trials = c->n_cells * c->games;
    store_experiment ex = {
        .name = c->name, .config_json = c->json, .config_hash = c->hash, .code_version = pa_version(),
        .data_path = c->data_csv, .data_hash = dhash, .schema_json = schema_json ? schema_json : "{}",
        .seed = c->seed, .n_trials = n_trials, .game = c->fixed_game ? "fixed" : "average",
    };
    int existing;
    if ((rc = store_put_experiment(st, &ex, &existing, err)))
        goto out;
    /* a shard database holds one shard; a whole run's database none */
    shard_spec had;
    if ((rc = shard_get(st, &had, err)))
        goto out;
    if (existing && (had.count != o->shard.count || had.index != o->shard.index)) {
        if (had.count && o->shard.count)
            rc = pa_errf(err, PA_EINPUT, "%s holds shard %zu/%zu, not %zu/%zu", o->db_path, had.index, had.count,
                         o->shard.index, o->shard.count);
        else if (had.count)
            rc = pa_errf(err, PA_EINPUT, "%s holds shard %zu/%zu: resume it with --shard %zu/%zu", o->db_path,
                         had.index, had.count, had.index, had.count);
        else
            rc = pa_errf(err, PA_EINPUT, "%s holds a whole (unsharded) run: a shard needs its own --db", o->db_path);
        goto out;
    }
    if (!existing && (rc = shard_put(st, &o->shard, err)))
        goto out;
    for (size_t ci = 0; ci < c->n_cells && !rc; ci++) {
        store_cell sc = {.id = (int64_t)ci, .generator = c->cells[ci].generator,
                         .params_json = c->cells[ci].params_json, .epsilon = c->cells[ci].epsilon,
                         .delta = c->cells[ci].delta};
        rc = store_put_cell(st, &sc, err);
    }
    for (size_t t = 0; t < k && !rc; t++) {
        tid[t] = (int64_t)t;
        char *rec = crafted ? tbl_row_json(targets, t) : NULL;
        store_target stt = {.id = (int64_t)t, .row = crafted ? -1 : (int64_t)trow[t],
                            .how = c->select == SELECT_GIVEN      ? "given"
                                   : c->select == SELECT_ISOLATED ? "isolated"
                                   : crafted                      ? "crafted"
                                                                  : "random",
                            .isolation = tiso[t], .record = rec};
        if (crafted && !rec) {
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
            break;
        }
        rc = store_put_target(st, &stt, err);
        free(rec);
    }
    if (rc)
        goto out;
    done = pa_calloc(n_trials, 1);
    if (!done) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = store_done_trials(st, done, n_trials, err)))
        goto out;
    size_t before = 0, n_mine = shard_size(&o->shard, n_trials);
    for (size_t j = 0; j < n_mine; j++)
        before += done[shard_item(&o->shard, j)];
    sum->planned = n_mine;
    sum->done_before = before;
    game_ctx g = {
        .c = c, .data = data, .pop = pop, .n_pop = n_pop, .aux = fixed ? fixed : aux, .fixed = fixed, .holdout = holdout, .targets = targets,
        .target_id = tid, .st = st, .done = done, .n_trials = n_trials, .todo = n_mine - before,
        .progress = o->progress, .t0 = util_now(), .phase = 1, .S = L.S, .sa = L.sa, .sdim = L.sdim, .soff = L.soff,
        .twin = L.twin, .F = L.F, .shard = o->shard,
    };
    atomic_init(&g.next, 0);
    atomic_init(&g.finished, 0);
    atomic_init(&g.failed, 0);
    atomic_init(&g.abort, 0);
    pthread_mutex_init(&g.err_mu, NULL);
    pthread_mutex_init(&g.prog_mu, NULL);
    if (o->progress && o->shard.count)
        fprintf(stderr, "[run] %s, shard %zu/%zu: %zu of the %zu cells x %zu games = %zu trials, %zu stored already, "
                "%d job%s\n", c->name, o->shard.index, o->shard.count, n_mine, c->n_cells, c->games, n_trials, before,
                o->jobs, o->jobs == 1 ? "" : "s");
    else if (o->progress)
        fprintf(stderr, "[run] %s: %zu cells x %zu games = %zu trials, %zu stored already, %d job%s\n", c->name,
                c->n_cells, c->games, n_trials, before, o->jobs, o->jobs == 1 ? "" : "s");
    int jobs = o->jobs < 1 ? 1 : o->jobs;
    pool_serial_blas(); /* parallel over trials, not inside BLAS, whatever the jobs */
    if (L.S) {
        /* phase 0: shadow releases (resumable) */
        size_t n_sh = c->n_cells * c->shadow_games, sh_before = 0, sh_mine = shard_size(&o->shard, n_sh);
        unsigned char *sdone = pa_calloc(n_sh, 1);
        if (!sdone) {
            rc = pa_errf(err, PA_ENOMEM, "out of memory");
            goto phase_end;
        }
        if ((rc = store_done_shadows(st, c->shadow_games, sdone, n_sh, err))) {
            free(sdone);
            goto phase_end;
        }
        for (size_t j = 0; j < sh_mine; j++)
            sh_before += sdone[shard_item(&o->shard, j)];
        g.phase = 0;
        g.done = sdone;
        g.n_trials = n_sh;
        g.todo = sh_mine - sh_before;
        if (o->progress && o->shard.count)
            fprintf(stderr, "[run] shadow phase: %zu of the %zu cells x %zu shadow games = %zu releases, %zu stored "
                    "already\n", sh_mine, c->n_cells, c->shadow_games, n_sh, sh_before);
        else if (o->progress)
            fprintf(stderr, "[run] shadow phase: %zu cells x %zu shadow games = %zu releases, %zu stored already\n",
                    c->n_cells, c->shadow_games, n_sh, sh_before);
        if (g.todo)
            run_phase(&g, jobs);
        free(sdone);
        atomic_store(&g.finished, 0);
        atomic_store(&g.failed, 0);
        g.phase = 1;
        g.done = done;
        g.n_trials = n_trials;
        g.todo = n_mine - before;
        g.t0 = util_now();
        g.last_print = 0;
    }
    if (!atomic_load(&g.abort) && g.todo)
        run_phase(&g, jobs);
phase_end:
    pthread_mutex_destroy(&g.err_mu);
    pthread_mutex_destroy(&g.prog_mu);
    sum->ran = atomic_load(&g.finished);
    sum->failed = atomic_load(&g.failed);
    if (rc)
        goto out;
    if (atomic_load(&g.abort)) {
        if (err)
            *err = g.first_err;
        rc = g.first_err.code ? g.first_err.code : PA_EIO;
        goto out;
    }
    if (o->shard.count) {
        if (o->progress)
            fprintf(stderr, "[run] shard %zu/%zu stored; metrics come from privaudit merge OUT.db SHARD.db...\n",
                    o->shard.index, o->shard.count);
        goto out;
    }
    run_finish_info fi;
    rc = run_finish(st, c, &L, k, jobs, o->progress, &fi, err);
    sum->unscored = fi.unscored;
    snprintf(sum->unscored_why, sizeof sum->unscored_why, "%s", fi.first_error);
out:
    sum->seconds = util_now() - t_start;
    store_close(st);
    free(schema_json);
    free(done);
    free(perm);
    free(trow);
    free(tiso);
    free(tid);
    run_layout_free(&L);
    tbl_free(targets);
    tbl_free(aux);
    tbl_free(fixed);
    tbl_free(holdout);
    tbl_free(data);
    schema_free(s);
    return rc;
}
