/* cmd_recon.c — privaudit recon: the linear-reconstruction game of
 * Annamalai et al. (attacks/recon.h) for every (ε, m), stored in SQLite
 * (harness/recon_store.h), printed as a table and drawn (reports/recon_plot.h). */
#include <math.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <glpk.h>

#include "attacks/recon.h"
#include "core/rng.h"
#include "core/util.h"
#include "generators/gen.h"
#include "harness/args.h"
#include "harness/cli.h"
#include "harness/recon_store.h"
#include "harness/store.h"
#include "reports/recon_plot.h"

#define MAX_LIST 64

static void recon_usage(FILE *f)
{
    fprintf(f,
            "usage: privaudit recon --data CSV --schema JSON --generator G --n N --m M[,M...] --games G\n"
            "                       [--epsilon E[,E...]] [--delta D] [--param key=value ...]\n"
            "                       [--qi COL,...] [--secret COL] [--secret-code C] [--kmin K] [--kmax K]\n"
            "                       [--bins B] [--db FILE] [--out DIR] [--jobs J] [--seed S]\n\n"
            "Linear-reconstruction attribute inference (Annamalai, Gadotti, Rocher 2024). Each game samples N\n"
            "records, picks a target with unique quasi-identifiers, redraws its secret bit, fits generator G\n"
            "(on the QI and secret columns only), releases M synthetic rows, and runs the LP attack with all\n"
            "queries of orders kmin..kmax (k counts the secret; default 3..3), a logistic-regression classifier\n"
            "and nearest-record completion. Defaults: --epsilon inf, --delta 1e-9, QIs and secret from the\n"
            "schema roles, --secret-code 1, --bins 10, --out recon-out, --db OUT/recon.sqlite, --jobs 1,\n"
            "--seed 1. Results do not depend on --jobs. Prints accuracy with 95%% Clopper-Pearson intervals;\n"
            "draws recon_acc_m and recon_acc_tvd (PNG, PDF) into --out. Exit 2 on bad input (nothing written).\n");
}


/* Comma list of numbers; "inf" allowed when lo allows it. */
static int parse_list(const char *name, const char *s, double lo, double hi, int integer, double *out, size_t *n)
{
    *n = 0;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double x;
        if (!strcmp(tok, "inf") || !strcmp(tok, "infinity"))
            x = INFINITY;
        else if (util_parse_double(tok, &x))
            x = NAN;
        if (*n >= MAX_LIST || !(x >= lo && x <= hi) ||
            (integer && x != floor(x))) {
            fprintf(stderr, "privaudit recon: %s: got \"%s\", expected a comma-separated list of at most %d %s in "
                    "[%g, %g]\n", name, tok, MAX_LIST, integer ? "integers" : "numbers", lo, hi);
            return -1;
        }
        out[(*n)++] = x;
    }
    if (*n == 0) {
        fprintf(stderr, "privaudit recon: %s: empty list\n", name);
        return -1;
    }
    return 0;
}

/* ---- parallel games ---- */

typedef struct pool {
    const table *pop;
    const recon_game_cfg *cfg;
    const recon_opts *o;
    recon_game_rec *recs;
    size_t games, next, done;
    int rc;
    pa_err err;
    pthread_mutex_t mu;
    const char *label;
} pool;

static void *worker(void *arg)
{
    pool *P = arg;
    for (;;) {
        pthread_mutex_lock(&P->mu);
        size_t g = P->next < P->games && !P->rc ? P->next++ : P->games;
        pthread_mutex_unlock(&P->mu);
        if (g >= P->games)
            break;
        pa_err e;
        int rc = recon_game_play(P->pop, P->cfg, P->o, g, &P->recs[g], &e);
        pthread_mutex_lock(&P->mu);
        if (rc && !P->rc) {
            P->rc = rc;
            P->err = e;
        }
        P->done++;
        /* a terminal gets a live counter; a log file a line every tenth of the games */
        if (isatty(2))
            fprintf(stderr, "\rrecon: %s: game %zu/%zu ", P->label, P->done, P->games);
        else if (P->done == P->games || P->done % (P->games / 10 ? P->games / 10 : 1) == 0)
            fprintf(stderr, "recon: %s: game %zu/%zu\n", P->label, P->done, P->games);
        pthread_mutex_unlock(&P->mu);
    }
    glp_free_env(); /* GLPK's per-thread environment */
    return NULL;
}

static int run_point(pool *P, size_t jobs)
{
    pthread_t th[64];
    size_t nt = jobs < 64 ? jobs : 64;
    if (nt > P->games)
        nt = P->games;
    pthread_mutex_init(&P->mu, NULL);
    size_t started = 0;
    for (size_t t = 0; t < nt; t++)
        if (pthread_create(&th[t], NULL, worker, P) == 0)
            started++;
    if (started == 0)
        worker(P);
    for (size_t t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&P->mu);
    fprintf(stderr, "\n");
    return P->rc;
}

/* The QI + secret columns of t as a new table with roles set; qi[a] and
 * secret index t's columns. */
static table *project(const table *t, const int *qi, size_t nq, int secret)
{
    schema *s = schema_new(nq + 1);
    if (!s)
        return NULL;
    for (size_t a = 0; a <= nq; a++) {
        int j = a < nq ? qi[a] : secret;
        const col_spec *c = &t->s->cols[j];
        col_spec *d = &s->cols[a];
        *d = *c;
        d->name = pa_strdup(c->name);
        d->labels = NULL;
        if (c->labels) {
            d->labels = pa_calloc(c->size, sizeof *d->labels);
            for (size_t k = 0; d->labels && k < c->size; k++)
                d->labels[k] = pa_strdup(c->labels[k]);
        }
        d->roles = a < nq ? ROLE_QI : ROLE_SECRET;
    }
    table *out = tbl_new(s, t->n);
    schema_free(s);
    if (!out)
        return NULL;
    for (size_t a = 0; a <= nq; a++) {
        int j = a < nq ? qi[a] : secret;
        if (t->cat[j])
            memcpy(out->cat[a], t->cat[j], t->n * sizeof *t->cat[j]);
        else
            memcpy(out->num[a], t->num[j], t->n * sizeof *t->num[j]);
    }
    return out;
}

int cmd_recon(int argc, char **argv)
{
    const char *data = NULL, *sch = NULL, *gen = NULL, *epss = "inf", *ms = NULL, *qis = NULL, *secs = NULL,
               *db = NULL, *out = "recon-out", *v;
    double delta = 1e-9, eps[MAX_LIST], mv[MAX_LIST];
    size_t neps = 0, nm = 0;
    uint64_t n = 0, games = 0, jobs = 1, seed = 1, code = 1, kmin = 3, kmax = 3, bins = RECON_DEFAULT_BINS;
    int have_code = 0, r, ret = 2;
    cJSON *params = cJSON_CreateObject();
    schema *s = NULL;
    table *raw = NULL, *pop = NULL;
    store *st = NULL;
    recon_store *rs = NULL;
    recon_game_rec *recs = NULL;
    recon_plot_point *pts = NULL;
    char qi_names[4096] = "";
    pa_err e;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            recon_usage(stdout);
            cJSON_Delete(params);
            return 0;
        }
        static const char *const opts[] = {"--data", "--schema", "--generator", "--epsilon", "--delta", "--param",
                                           "--n", "--m", "--games", "--qi", "--secret", "--secret-code", "--kmin",
                                           "--kmax", "--bins", "--db", "--out", "--jobs", "--seed", NULL};
        size_t o = 0;
        r = 0;
        while (opts[o] && !(r = args_opt(argc, argv, &i, "recon", opts[o], &v)))
            o++;
        if (r < 0)
            goto done;
        if (r == 0) {
            fprintf(stderr, "privaudit recon: unknown option \"%s\" (see privaudit recon --help)\n", argv[i]);
            goto done;
        }
        int bad = 0;
        switch (o) {
        case 0: data = v; break;
        case 1: sch = v; break;
        case 2: gen = v; break;
        case 3: epss = v; break;
        case 4: bad = args_double("recon", "--delta", v, 0, 1, &delta); break;
        case 5: bad = args_param("recon", params, v); break;
        case 6: bad = args_u64("recon", "--n", v, 2, 100000000, &n); break;
        case 7: ms = v; break;
        case 8: bad = args_u64("recon", "--games", v, 1, 100000000, &games); break;
        case 9: qis = v; break;
        case 10: secs = v; break;
        case 11: bad = args_u64("recon", "--secret-code", v, 0, 1000000, &code), have_code = 1; break;
        case 12: bad = args_u64("recon", "--kmin", v, 2, RECON_MAX_K, &kmin); break;
        case 13: bad = args_u64("recon", "--kmax", v, 2, RECON_MAX_K, &kmax); break;
        case 14: bad = args_u64("recon", "--bins", v, 1, 100000, &bins); break;
        case 15: db = v; break;
        case 16: out = v; break;
        case 17: bad = args_u64("recon", "--jobs", v, 1, 64, &jobs); break;
        case 18: bad = args_u64("recon", "--seed", v, 0, UINT64_MAX, &seed); break;
        }
        if (bad)
            goto done;
    }
    if (!data || !sch || !gen || !n || !ms || !games) {
        fprintf(stderr, "privaudit recon: --data, --schema, --generator, --n, --m and --games are required "
                        "(see privaudit recon --help)\n");
        goto done;
    }
    {
        const args_input in[] = {{"--data", data}, {"--schema", sch}, {NULL, NULL}};
        char def_db[4096];
        snprintf(def_db, sizeof def_db, "%s/recon.sqlite", out);
        if (args_in_file("recon", "--data", data) || args_in_file("recon", "--schema", sch) ||
            args_out_dir("recon", "--out", out) || (db && args_db_file("recon", "--db", db, in)) ||
            (!db && access(def_db, F_OK) == 0 && args_db_file("recon", "the database OUT/recon.sqlite", def_db, in)))
            goto done;
    }
    if (kmin > kmax) {
        fprintf(stderr, "privaudit recon: --kmin %llu > --kmax %llu\n", (unsigned long long)kmin,
                (unsigned long long)kmax);
        goto done;
    }
    if (parse_list("--epsilon", epss, 1e-9, INFINITY, 0, eps, &neps) ||
        parse_list("--m", ms, 1, 1e9, 1, mv, &nm))
        goto done;
    if (!gen_find(gen)) {
        fprintf(stderr, "privaudit recon: --generator: unknown generator \"%s\" (privaudit gen --help lists them)\n",
                gen);
        goto done;
    }
    if (schema_read(sch, &s, &e) || tbl_read_csv(data, s, &raw, &e)) {
        fprintf(stderr, "privaudit recon: %s\n", e.msg);
        goto done;
    }
    /* secret and QI columns */
    int secret = -1, qi[256];
    size_t nq = 0;
    if (secs) {
        secret = schema_col(s, secs);
        if (secret < 0) {
            fprintf(stderr, "privaudit recon: --secret: no column \"%s\" in %s\n", secs, sch);
            goto done;
        }
    } else {
        for (size_t j = 0; j < s->d; j++)
            if (s->cols[j].roles & ROLE_SECRET) {
                secret = (int)j;
                break;
            }
        if (secret < 0) {
            fprintf(stderr, "privaudit recon: no secret column: give --secret COL or a secret role in %s\n", sch);
            goto done;
        }
    }
    const col_spec *sc = &s->cols[secret];
    if (sc->kind != COL_CAT || sc->size < 2) {
        fprintf(stderr, "privaudit recon: --secret: column \"%s\" must be categorical with at least 2 codes\n",
                sc->name);
        goto done;
    }
    if (!have_code && sc->size != 2) {
        fprintf(stderr, "privaudit recon: --secret-code: column \"%s\" has %zu codes; choose the code c of the "
                        "bit \"secret = c\"\n", sc->name, sc->size);
        goto done;
    }
    if (code >= sc->size) {
        fprintf(stderr, "privaudit recon: --secret-code %llu: expected 0..%zu for column \"%s\"\n",
                (unsigned long long)code, sc->size - 1, sc->name);
        goto done;
    }
    if (qis) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", qis);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            int j = schema_col(s, tok);
            if (j < 0 || j == secret || nq >= 256) {
                fprintf(stderr, "privaudit recon: --qi: \"%s\" is %s\n", tok,
                        j < 0 ? "not a column of the schema" : j == secret ? "the secret column" : "one too many");
                goto done;
            }
            for (size_t a = 0; a < nq; a++)
                if (qi[a] == j) {
                    fprintf(stderr, "privaudit recon: --qi: \"%s\" given twice\n", tok);
                    goto done;
                }
            qi[nq++] = j;
        }
    } else {
        for (size_t j = 0; j < s->d && nq < 256; j++)
            if ((s->cols[j].roles & ROLE_QI) && (int)j != secret)
                qi[nq++] = (int)j;
    }
    if (nq == 0) {
        fprintf(stderr, "privaudit recon: no quasi-identifier: give --qi COL,... or QI roles in %s\n", sch);
        goto done;
    }
    if ((size_t)kmax - 1 > nq) {
        fprintf(stderr, "privaudit recon: --kmax %llu needs %llu QI columns; %zu given\n", (unsigned long long)kmax,
                (unsigned long long)kmax - 1, nq);
        goto done;
    }
    for (size_t a = 0; a < nq; a++) {
        size_t l = strlen(qi_names);
        snprintf(qi_names + l, sizeof qi_names - l, "%s%s", a ? "," : "", s->cols[qi[a]].name);
    }
    if (n > raw->n) {
        fprintf(stderr, "privaudit recon: --n %llu: the data has only %zu records\n", (unsigned long long)n, raw->n);
        goto done;
    }
    pop = project(raw, qi, nq, secret);
    if (!pop) {
        fprintf(stderr, "privaudit recon: out of memory\n");
        ret = 1;
        goto done;
    }
    for (size_t k = 0; k < neps; k++) {
        gen_config gc = {.epsilon = eps[k], .delta = delta, .params = cJSON_GetArraySize(params) ? params : NULL};
        if (gen_check(gen, pop->s, &gc, &e)) {
            fprintf(stderr, "privaudit recon: %s\n", e.msg);
            goto done;
        }
    }
    /* input is valid: from here on failures are exit 1 */
    ret = 1;
    if (util_mkdir_p(out, &e)) {
        fprintf(stderr, "privaudit recon: %s\n", e.msg);
        goto done;
    }
    char dbpath[4096];
    snprintf(dbpath, sizeof dbpath, "%s", db ? db : "");
    if (!db)
        snprintf(dbpath, sizeof dbpath, "%s/recon.sqlite", out);
    if (store_open(dbpath, &st, &e) || recon_store_open(st, &rs, &e)) {
        fprintf(stderr, "privaudit recon: %s\n", e.msg);
        goto done;
    }
    recs = pa_calloc(games, sizeof *recs);
    pts = pa_calloc(neps * nm, sizeof *pts);
    if (!recs || !pts) {
        fprintf(stderr, "privaudit recon: out of memory\n");
        goto done;
    }
    recon_opts o;
    recon_opts_default(&o);
    o.k_min = (int)kmin;
    o.k_max = (int)kmax;
    o.bins = bins;
    o.seed = seed;
    printf("recon: %s, n = %llu, %llu games per point, QIs %s, secret %s = %llu, queries k = %llu..%llu\n", gen,
           (unsigned long long)n, (unsigned long long)games, qi_names, sc->name, (unsigned long long)code,
           (unsigned long long)kmin, (unsigned long long)kmax);
    printf("%-10s %6s %7s %-22s %7s %-22s %7s %-22s %7s %8s %7s %7s\n", "generator", "eps", "m",
           "LP target [95% CI]", "LP all", "clf target [95% CI]", "clf all", "nn target [95% CI]", "nn all",
           "majority", "tvd3", "LP s");
    size_t np = 0;
    for (size_t k = 0; k < neps; k++)
        for (size_t t = 0; t < nm; t++) {
            gen_config gc = {.epsilon = eps[k], .delta = delta, .params = cJSON_GetArraySize(params) ? params : NULL};
            recon_game_cfg cfg = {.generator = gen, .gc = &gc, .n = (size_t)n, .m = (size_t)mv[t],
                                  .secret_col = (int)nq, .secret_code = (int32_t)code, .want_tvd = 1,
                                  .seed = rng_derive(seed, k * 1000003u + t)};
            char label[128];
            snprintf(label, sizeof label, "%s eps=%g m=%zu", gen, eps[k], cfg.m);
            memset(recs, 0, games * sizeof *recs);
            pool P = {.pop = pop, .cfg = &cfg, .o = &o, .recs = recs, .games = (size_t)games, .label = label};
            if (run_point(&P, (size_t)jobs)) {
                fprintf(stderr, "privaudit recon: %s\n", P.err.msg);
                goto done;
            }
            recon_point_row row = {gen, eps[k], (size_t)n, cfg.m, (size_t)games, qi_names, sc->name,
                                   (int32_t)code, (int)kmin, (int)kmax, (size_t)bins, seed};
            int64_t pid;
            if (store_begin(st, &e) || recon_store_put_point(rs, &row, &pid, &e)) {
                fprintf(stderr, "privaudit recon: %s\n", e.msg);
                goto done;
            }
            for (size_t g = 0; g < games; g++)
                if (recon_store_put_game(rs, pid, &recs[g], &e)) {
                    fprintf(stderr, "privaudit recon: %s\n", e.msg);
                    goto done;
                }
            if (store_commit(st, &e)) {
                fprintf(stderr, "privaudit recon: %s\n", e.msg);
                goto done;
            }
            recon_summary sm;
            recon_summarise(recs, (size_t)games, &sm);
            char ci[3][64];
            for (int a = 0; a < RECON_N_ATT; a++)
                snprintf(ci[a], sizeof ci[a], "%.3f [%.3f, %.3f]", sm.target_acc[a], sm.target_lo[a],
                         sm.target_hi[a]);
            printf("%-10s %6g %7zu %-22s %7.4f %-22s %7.4f %-22s %7.4f %8.4f %7.4f %7.3f\n", gen, eps[k], cfg.m,
                   ci[0], sm.acc_all_mean[0], ci[1], sm.acc_all_mean[1], ci[2], sm.acc_all_mean[2], sm.majority_mean,
                   sm.tvd3_mean, sm.lp_seconds_mean);
            fflush(stdout);
            pts[np++] = (recon_plot_point){gen, eps[k], cfg.m, sm.target_acc[0], sm.target_lo[0], sm.target_hi[0],
                                           sm.acc_all_mean[0], sm.majority_mean, sm.tvd3_mean};
        }
    if (recon_plot_write(out, pts, np, &e))
        fprintf(stderr, "privaudit recon: warning: figures not drawn: %s\n", e.msg);
    fprintf(stderr, "recon: stored in %s (tables recon_point, recon_game); figures in %s\n", dbpath, out);
    ret = 0;
done:
    recon_store_close(rs);
    store_close(st);
    free(recs);
    free(pts);
    tbl_free(pop);
    tbl_free(raw);
    schema_free(s);
    cJSON_Delete(params);
    return ret;
}
