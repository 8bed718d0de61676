/* cmd_audit.c — privaudit audit: the release audit a data custodian runs
 * before publishing a synthetic data set (docs/audit.md).
 *
 *   privaudit audit --real REAL.csv --synth SYNTH.csv --schema JSON [--secret COL[,COL]]
 *                   [--holdout CSV] [--generator-cmd "PROG ARG ..."] [--db FILE] [--out DIR] ...
 *
 * Three parts, each optional but the first:
 * 1. attribute inference: for every secret column (ROLE_SECRET, or --secret)
 *    and every bit "secret = code" (code 1 of a binary column; each code of a
 *    larger one), the linear-reconstruction attack and its two comparators
 *    (attacks/recon.h) on every real record, scored against the
 *    majority-class baseline;
 * 2. membership by distance to the closest synthetic record (DCR), real
 *    records against a holdout that the generator never saw (--holdout);
 * 3. the shadow-generator membership game of `privaudit run` played on the
 *    generator as a black box (--generator-cmd, through generators/external.c).
 * Everything goes into SQLite (the audit_* tables, docs/audit.md; the game
 * into the run tables, docs/database.md) and into OUT/audit.md in plain words.
 *
 * n = real records, m = synthetic records, h = holdout records.
 * Every input is read and checked before anything is written: bad input exits
 * 2 with a message naming the file, line or option, and leaves no output.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <gsl/gsl_cdf.h>
#include <sqlite3.h>

#include "attacks/mia.h"
#include "attacks/recon.h"
#include "audit/roc.h"
#include "core/util.h"
#include "core/version.h"
#include "generators/gen.h"
#include "harness/args.h"
#include "harness/cli.h"
#include "harness/config.h"
#include "harness/run.h"
#include "harness/store.h"

#define CMD "audit"
#define MAX_SECRETS 64
#define MAX_ARGV 64
#define N_BANDS 6

/* confidence bands of a score s = estimated P(bit = 1); the prediction is
 * s > ½ (recon.h), so ½ itself belongs to the band below it */
static const double band_edge[N_BANDS + 1] = {0, 0.05, 0.25, 0.5, 0.75, 0.95, 1};

static int band_of(double s)
{
    if (s < 0.05)
        return 0;
    if (s < 0.25)
        return 1;
    if (s <= 0.5)
        return 2;
    if (s <= 0.75)
        return 3;
    if (s <= 0.95)
        return 4;
    return 5;
}

/* ---- options ---- */

typedef struct audit_args {
    const char *real, *synth, *schema, *holdout, *gen_cmd, *db, *out;
    const char *secret_list[MAX_SECRETS];
    size_t n_secret_list;
    uint64_t seed, k, bins, games, targets, train_size, jobs;
    int scaling, quiet;
    double alpha, epsilon, delta;
} audit_args;

static void audit_usage(FILE *f)
{
    fprintf(f,
            "usage: privaudit audit --real REAL.csv --synth SYNTH.csv --schema JSON [--secret COL[,COL...]]\n"
            "                       [--holdout CSV] [--generator-cmd \"PROG ARG ...\"] [--db FILE] [--out DIR]\n"
            "                       [--k K] [--bins B] [--scaling global|cond] [--alpha A] [--seed S]\n"
            "                       [--games G] [--targets T] [--train-size N] [--epsilon E] [--delta D]\n"
            "                       [--jobs J] [--quiet]\n\n"
            "The audit a data custodian runs before publishing SYNTH.csv, made from REAL.csv:\n"
            "  - attribute inference: for each secret column (schema role \"secret\", or --secret), the\n"
            "    linear-reconstruction attack (Annamalai et al. 2024) and two comparators (a classifier\n"
            "    trained on the synthetic data; nearest synthetic record) guess every real record's secret\n"
            "    from its quasi-identifiers (schema role \"qi\"); accuracy is compared with guessing the most\n"
            "    common value;\n"
            "  - with --holdout (real records the generator never saw): distance-to-closest-record\n"
            "    membership inference, real records against the holdout;\n"
            "  - with --generator-cmd: the shadow-generator membership game of `privaudit run`, on that\n"
            "    program as a black box (argv, no shell; placeholders {train} {out} {rows} {seed} {epsilon}\n"
            "    {delta}, see the external generator in docs/generators.md).\n"
            "Writes OUT/audit.md (plain words) and the database (docs/audit.md). Progress on stderr.\n\n"
            "  --secret COL     secret column(s), instead of the schema's roles (categorical columns)\n"
            "  --out DIR        output folder (default audit-out)\n"
            "  --db FILE        database (default OUT/audit.db; audits accumulate, one id each)\n"
            "  --k K            largest query order of the reconstruction, secret included (2..%d, default 3)\n"
            "  --bins B         bins per numeric quasi-identifier (default %d)\n"
            "  --scaling S      synthetic counts scaled by n/m (global, default) or conditional rates (cond)\n"
            "  --alpha A        intervals are two-sided at level 1-A (default 0.05)\n"
            "  --seed S         seed of the shadow game (default 1)\n"
            "  --games G        shadow games (default 100); --targets T challenge records (default 5)\n"
            "  --train-size N   shadow training set size (default min(1000, population/2))\n"
            "  --epsilon E      the generator's claimed epsilon for the shadow game (default inf), --delta D\n"
            "  --jobs J         shadow games run in J threads (default 1)\n",
            RECON_MAX_K, RECON_DEFAULT_BINS);
}

static int parse_args(int argc, char **argv, audit_args *a)
{
    memset(a, 0, sizeof *a);
    a->seed = 1;
    a->k = 3;
    a->bins = RECON_DEFAULT_BINS;
    a->games = 100;
    a->targets = 5;
    a->jobs = 1;
    a->alpha = 0.05;
    a->epsilon = INFINITY;
    a->delta = 1e-5;
    a->scaling = RECON_SCALE_GLOBAL;
    const char *v;
    int r;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            audit_usage(stdout);
            return 1;
        }
        if (!strcmp(argv[i], "--quiet")) {
            a->quiet = 1;
            continue;
        }
        static const char *const opts[] = {"--real",    "--synth", "--schema", "--holdout", "--generator-cmd",
                                           "--db",      "--out",   "--secret", "--seed",    "--k",
                                           "--bins",    "--games", "--targets", "--train-size", "--jobs",
                                           "--scaling", "--alpha", "--epsilon", "--delta",  NULL};
        size_t o = 0;
        r = 0;
        while (opts[o] && !(r = args_opt(argc, argv, &i, CMD, opts[o], &v)))
            o++;
        if (r < 0)
            return -1;
        if (r == 0) {
            fprintf(stderr, "privaudit audit: unknown argument \"%s\" (see privaudit audit --help)\n", argv[i]);
            return -1;
        }
        switch (o) {
        case 0: a->real = v; break;
        case 1: a->synth = v; break;
        case 2: a->schema = v; break;
        case 3: a->holdout = v; break;
        case 4: a->gen_cmd = v; break;
        case 5: a->db = v; break;
        case 6: a->out = v; break;
        case 7:
            if (a->n_secret_list >= MAX_SECRETS) {
                fprintf(stderr, "privaudit audit: --secret: at most %d options\n", MAX_SECRETS);
                return -1;
            }
            a->secret_list[a->n_secret_list++] = v;
            break;
        case 8:
            if (args_u64(CMD, "--seed", v, 0, UINT64_MAX, &a->seed))
                return -1;
            break;
        case 9:
            if (args_u64(CMD, "--k", v, 2, RECON_MAX_K, &a->k))
                return -1;
            break;
        case 10:
            if (args_u64(CMD, "--bins", v, 1, 100000, &a->bins))
                return -1;
            break;
        case 11:
            if (args_u64(CMD, "--games", v, 4, 1000000, &a->games))
                return -1;
            break;
        case 12:
            if (args_u64(CMD, "--targets", v, 1, 1000, &a->targets))
                return -1;
            break;
        case 13:
            if (args_u64(CMD, "--train-size", v, 1, 100000000, &a->train_size))
                return -1;
            break;
        case 14:
            if (args_u64(CMD, "--jobs", v, 1, 256, &a->jobs))
                return -1;
            break;
        case 15:
            if (!strcmp(v, "global")) {
                a->scaling = RECON_SCALE_GLOBAL;
            } else if (!strcmp(v, "cond")) {
                a->scaling = RECON_SCALE_COND;
            } else {
                fprintf(stderr, "privaudit audit: --scaling: got \"%s\", expected global or cond\n", v);
                return -1;
            }
            break;
        case 16:
            if (args_double(CMD, "--alpha", v, 1e-6, 0.5, &a->alpha))
                return -1;
            break;
        case 17:
            if (args_double(CMD, "--epsilon", v, 1e-9, INFINITY, &a->epsilon))
                return -1;
            break;
        default:
            if (args_double(CMD, "--delta", v, 0, 0.999999, &a->delta))
                return -1;
        }
    }
    if (!a->real || !a->synth || !a->schema) {
        fprintf(stderr, "privaudit audit: expected --real, --synth and --schema (see privaudit audit --help)\n");
        return -1;
    }
    if (!a->out)
        a->out = "audit-out";
    /* paths (harness/args.c), before anything is read or written */
    const args_input in[] = {{"--real", a->real}, {"--synth", a->synth}, {"--schema", a->schema},
                             {"--holdout", a->holdout}, {NULL, NULL}};
    char def_db[PATH_MAX];
    snprintf(def_db, sizeof def_db, "%s/audit.db", a->out);
    if (args_in_file(CMD, "--real", a->real) || args_in_file(CMD, "--synth", a->synth) ||
        args_in_file(CMD, "--schema", a->schema) || (a->holdout && args_in_file(CMD, "--holdout", a->holdout)) ||
        args_out_dir(CMD, "--out", a->out) || (a->db && args_db_file(CMD, "--db", a->db, in)) ||
        (!a->db && access(def_db, F_OK) == 0 && args_db_file(CMD, "the database OUT/audit.db", def_db, in)))
        return -1;
    return 0;
}

/* Splits a command line into words without a shell: blanks separate words,
 * '...' is literal, "..." allows \" and \\. Returns the word count or -1
 * (message printed). words[] point into buf (a copy of s). */
static int split_command(const char *s, char *buf, size_t cap, char **words, int max_words)
{
    size_t k = 0;
    int nw = 0;
    const char *p = s;
    if (strlen(s) + (size_t)max_words + 1 > cap) { /* the words never outgrow the text plus their NULs */
        fprintf(stderr, "privaudit audit: --generator-cmd: longer than %zu characters\n", cap - (size_t)max_words - 1);
        return -1;
    }
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        if (nw >= max_words) {
            fprintf(stderr, "privaudit audit: --generator-cmd: more than %d words\n", max_words);
            return -1;
        }
        words[nw++] = buf + k;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (*p == '\'') {
                const char *q = strchr(p + 1, '\'');
                if (!q) {
                    fprintf(stderr, "privaudit audit: --generator-cmd: unterminated ' quote\n");
                    return -1;
                }
                for (p++; p < q; p++)
                    buf[k++] = *p;
                p = q + 1;
            } else if (*p == '"') {
                for (p++; *p && *p != '"'; p++) {
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                        p++;
                    buf[k++] = *p;
                }
                if (*p != '"') {
                    fprintf(stderr, "privaudit audit: --generator-cmd: unterminated \" quote\n");
                    return -1;
                }
                p++;
            } else {
                buf[k++] = *p++;
            }
        }
        buf[k++] = 0;
    }
    if (nw == 0) {
        fprintf(stderr, "privaudit audit: --generator-cmd: empty command\n");
        return -1;
    }
    return nw;
}

/* ---- results ---- */

/* one attack's result on one secret bit */
typedef struct method_res {
    int ran;                      /* 0 if the attack failed (msg says why) */
    char msg[1024];
    size_t correct;               /* records whose bit the attack got right */
    double acc, lo, hi;           /* accuracy and its two-sided Clopper-Pearson interval */
    long excess;                  /* correct - (records of the majority bit) */
    size_t minority_correct;      /* minority-bit records got right */
    size_t says_minority;         /* records predicted to have the minority bit */
    double min_lo, min_hi;        /* interval of minority_correct / says_minority (precision) */
    int singles_out;              /* min_lo > share of the minority bit */
    size_t conf_n, conf_correct;  /* records with score < 0.05 or > 0.95; of them right */
    size_t band_n[N_BANDS], band_correct[N_BANDS];
    int at_risk;                  /* lo > baseline */
    recon_stats st;               /* LP statistics (lp only) */
    double seconds;
    double *score;                /* (n) */
} method_res;

/* one secret bit "column = code" */
typedef struct secret_res {
    int col;
    int32_t code;
    char name[256], value[256];
    size_t ones;                  /* real records with bit 1 */
    int majority_bit;
    double baseline;              /* share of the majority bit */
    int *bit;                     /* (n) */
    method_res m[RECON_N_ATT];
} secret_res;

typedef struct dcr_res {
    int ran;
    size_t n, h;
    double auc, tpr[3];           /* tpr at fpr 0.1, 0.01, 0.001 */
    double beyond;                /* share of real records closer than every holdout record */
    double exact_real, exact_hold;/* share at distance 0 (a verbatim copy in the release) */
    double med_real, med_hold;    /* median distances */
    double auc_sd;                /* sd of the AUC when real and holdout are exchangeable (no ties) */
    int leak;                     /* AUC or the verbatim share significantly above chance (level alpha) */
    double *d_real, *d_hold;      /* (n), (h) */
} dcr_res;

typedef struct shadow_row {
    char attack[64];
    double auc, tpr01;            /* pooled over targets and games */
    double bayes_lo, bayes_hi, cp_lo, p_exceeds;
    int violation;
} shadow_row;

typedef struct shadow_res {
    int ran;
    char config_path[PATH_MAX];
    size_t planned, ran_trials, failed, games, targets, train_size, synth_size;
    double seconds;
    char err[1024];               /* when the game failed */
    size_t n_rows;
    shadow_row rows[16];
} shadow_res;

static void scores_evaluate(method_res *r, const secret_res *s, size_t n, double alpha)
{
    r->correct = r->minority_correct = r->says_minority = r->conf_n = r->conf_correct = 0;
    memset(r->band_n, 0, sizeof r->band_n);
    memset(r->band_correct, 0, sizeof r->band_correct);
    for (size_t j = 0; j < n; j++) {
        int pred = r->score[j] > 0.5;
        int ok = pred == s->bit[j];
        int b = band_of(r->score[j]);
        r->correct += (size_t)ok;
        r->band_n[b]++;
        r->band_correct[b] += (size_t)ok;
        if (s->bit[j] != s->majority_bit)
            r->minority_correct += (size_t)ok;
        r->says_minority += (size_t)(pred != s->majority_bit);
        if (b == 0 || b == N_BANDS - 1) {
            r->conf_n++;
            r->conf_correct += (size_t)ok;
        }
    }
    size_t maj = s->majority_bit ? s->ones : n - s->ones;
    r->excess = (long)r->correct - (long)maj;
    r->acc = n ? (double)r->correct / (double)n : NAN;
    recon_binom_ci(r->correct, n, alpha, &r->lo, &r->hi);
    r->at_risk = r->lo > s->baseline;
    recon_binom_ci(r->minority_correct, r->says_minority, alpha, &r->min_lo, &r->min_hi);
    r->singles_out = r->says_minority > 0 && r->min_lo > 1 - s->baseline;
}

static int run_method(int a, const table *real, const table *synth, secret_res *s, const recon_opts *o,
                      method_res *r, pa_err *err)
{
    double t0 = util_now();
    int rc;
    if (a == RECON_ATT_LP)
        rc = recon_attack(real, synth, s->col, s->code, o, r->score, &r->st, err);
    else if (a == RECON_ATT_CLF)
        rc = recon_classifier(real, synth, s->col, s->code, o, r->score, err);
    else
        rc = recon_nearest(real, synth, s->col, s->code, o, r->score, err);
    r->seconds = util_now() - t0;
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* DCR of real records against the holdout: score = -distance. */
static int dcr_compute(const table *real, const table *synth, const table *hold, double alpha, dcr_res *d,
                       pa_err *err)
{
    d->n = real->n;
    d->h = hold->n;
    d->d_real = pa_malloc(d->n, sizeof *d->d_real);
    d->d_hold = pa_malloc(d->h, sizeof *d->d_hold);
    double *score = pa_malloc(d->n + d->h, sizeof *score);
    int *label = pa_malloc(d->n + d->h, sizeof *label);
    double *sorted = pa_malloc(d->n > d->h ? d->n : d->h, sizeof *sorted);
    if (!d->d_real || !d->d_hold || !score || !label || !sorted) {
        free(score);
        free(label);
        free(sorted);
        return pa_errf(err, PA_ENOMEM, "out of memory");
    }
    mia_nearest(real, synth, 0, d->d_real);
    mia_nearest(hold, synth, 0, d->d_hold);
    double hmin = INFINITY;
    size_t ex_r = 0, ex_h = 0, beyond = 0;
    for (size_t i = 0; i < d->h; i++) {
        hmin = d->d_hold[i] < hmin ? d->d_hold[i] : hmin;
        ex_h += d->d_hold[i] == 0;
        score[d->n + i] = -d->d_hold[i];
        label[d->n + i] = 0;
    }
    for (size_t i = 0; i < d->n; i++) {
        ex_r += d->d_real[i] == 0;
        beyond += d->d_real[i] < hmin;
        score[i] = -d->d_real[i];
        label[i] = 1;
    }
    d->beyond = (double)beyond / (double)d->n;
    d->exact_real = (double)ex_r / (double)d->n;
    d->exact_hold = (double)ex_h / (double)d->h;
    roc_curve *roc = NULL;
    int rc = roc_build(score, label, d->n + d->h, &roc, err);
    if (!rc) {
        d->auc = roc_auc(roc);
        d->tpr[0] = roc_tpr_at(roc, 0.1);
        d->tpr[1] = roc_tpr_at(roc, 0.01);
        d->tpr[2] = roc_tpr_at(roc, 0.001);
        d->ran = 1;
        /* Mann-Whitney null: var(AUC) = (n + h + 1) / (12 n h) (no ties; ties
         * only lower it, so the test is conservative) */
        double nn = (double)d->n, hh = (double)d->h;
        d->auc_sd = sqrt((nn + hh + 1) / (12 * nn * hh));
        double rlo, rhi, hlo, hhi;
        recon_binom_ci(ex_r, d->n, alpha, &rlo, &rhi);
        recon_binom_ci(ex_h, d->h, alpha, &hlo, &hhi);
        d->leak = d->auc > 0.5 + gsl_cdf_ugaussian_Qinv(alpha / 2) * d->auc_sd || rlo > hhi;
    }
    roc_free(roc);
    /* medians (lower median for even counts) */
    memcpy(sorted, d->d_real, d->n * sizeof *sorted);
    qsort(sorted, d->n, sizeof *sorted, cmp_double);
    d->med_real = sorted[(d->n - 1) / 2];
    memcpy(sorted, d->d_hold, d->h * sizeof *sorted);
    qsort(sorted, d->h, sizeof *sorted, cmp_double);
    d->med_hold = sorted[(d->h - 1) / 2];
    free(score);
    free(label);
    free(sorted);
    return rc;
}

/* ---- the shadow-generator membership game (--generator-cmd) ---- */

/* The game's config (docs/config.md) as JSON text (caller frees), with the
 * generator `external` running argv words[0..nw-1]. */
static char *shadow_config_json(const audit_args *a, char **words, int nw, const char *real_abs,
                                const char *schema_abs, size_t train, size_t m)
{
    cJSON *c = cJSON_CreateObject(), *o, *g, *arr;
    cJSON_AddStringToObject(c, "format", CONFIG_FORMAT);
    cJSON_AddStringToObject(c, "name", "audit-shadow");
    cJSON_AddNumberToObject(c, "seed", (double)a->seed);
    o = cJSON_AddObjectToObject(c, "data");
    cJSON_AddStringToObject(o, "csv", real_abs);
    cJSON_AddStringToObject(o, "schema", schema_abs);
    o = cJSON_AddObjectToObject(c, "split");
    cJSON_AddNumberToObject(o, "aux", 0.25);
    cJSON_AddNumberToObject(o, "holdout", 0.1);
    cJSON_AddNumberToObject(c, "train_size", (double)train);
    cJSON_AddNumberToObject(c, "synth_size", (double)m);
    cJSON_AddNumberToObject(c, "games", (double)a->games);
    cJSON_AddNumberToObject(c, "calibration", 0.5);
    o = cJSON_AddObjectToObject(c, "targets");
    cJSON_AddStringToObject(o, "select", "isolated");
    cJSON_AddNumberToObject(o, "count", (double)a->targets);
    arr = cJSON_AddArrayToObject(c, "generators");
    g = cJSON_CreateObject();
    cJSON_AddStringToObject(g, "name", "external");
    if (isfinite(a->epsilon))
        cJSON_AddNumberToObject(g, "epsilon", a->epsilon);
    else
        cJSON_AddStringToObject(g, "epsilon", "inf");
    cJSON_AddNumberToObject(g, "delta", a->delta);
    o = cJSON_AddObjectToObject(g, "params");
    cJSON *av = cJSON_AddArrayToObject(o, "argv");
    for (int i = 0; i < nw; i++)
        cJSON_AddItemToArray(av, cJSON_CreateString(words[i]));
    cJSON_AddItemToArray(arr, g);
    arr = cJSON_AddArrayToObject(c, "attacks");
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", "dcr");
    cJSON_AddItemToArray(arr, o);
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", "dcr");
    cJSON_AddStringToObject(o, "label", "dcr-cal");
    cJSON_AddBoolToObject(cJSON_AddObjectToObject(o, "params"), "calibrate", 1);
    cJSON_AddItemToArray(arr, o);
    o = cJSON_AddObjectToObject(c, "audit");
    cJSON_AddNumberToObject(o, "alpha", a->alpha);
    cJSON_AddNumberToObject(o, "delta", a->delta);
    char *txt = cJSON_Print(c);
    cJSON_Delete(c);
    return txt;
}

/* Sizes of the shadow game for n real records (run.c's split: targets out,
 * then aux and holdout shares of the rest; the population is what remains). */
static size_t shadow_population(size_t n, size_t targets)
{
    size_t rest = n > targets ? n - targets : 0;
    return rest - (size_t)((double)rest * 0.25) - (size_t)((double)rest * 0.1);
}

static double sql_double(sqlite3 *db, const char *sql, const char *attack, const char *name)
{
    sqlite3_stmt *q;
    double v = NAN;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return NAN;
    sqlite3_bind_text(q, 1, attack, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
        v = sqlite3_column_double(q, 0);
    sqlite3_finalize(q);
    return v;
}

/* Reads the game's pooled metrics and estimates back from the database. */
static int shadow_summarise(store *st, shadow_res *sh, pa_err *err)
{
    sqlite3 *db = store_db(st);
    sqlite3_stmt *q;
    if (!sh->err[0] && sqlite3_prepare_v2(db, "SELECT error FROM trial WHERE status = 'failed' ORDER BY id LIMIT 1", -1,
                                          &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
            snprintf(sh->err, sizeof sh->err, "%s", (const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
    }
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT attack FROM metric WHERE target_id IS NULL ORDER BY attack", -1,
                           &q, NULL) != SQLITE_OK)
        return pa_errf(err, PA_EIO, "database: %s", sqlite3_errmsg(db));
    sh->n_rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW && sh->n_rows < sizeof sh->rows / sizeof sh->rows[0]) {
        shadow_row *r = &sh->rows[sh->n_rows++];
        snprintf(r->attack, sizeof r->attack, "%s", (const char *)sqlite3_column_text(q, 0));
        const char *met = "SELECT value FROM metric WHERE target_id IS NULL AND attack = ?1 AND name = ?2";
        r->auc = sql_double(db, met, r->attack, "auc");
        r->tpr01 = sql_double(db, met, r->attack, "tpr@0.1");
        const char *est = "SELECT lo FROM estimate WHERE target_id IS NULL AND attack = ?1 AND method = ?2";
        const char *esth = "SELECT hi FROM estimate WHERE target_id IS NULL AND attack = ?1 AND method = ?2";
        r->bayes_lo = sql_double(db, est, r->attack, "bayes");
        r->bayes_hi = sql_double(db, esth, r->attack, "bayes");
        r->cp_lo = sql_double(db, est, r->attack, "clopper_pearson");
        r->p_exceeds = sql_double(db,
                                  "SELECT p_exceeds FROM estimate WHERE target_id IS NULL AND attack = ?1 AND method = ?2",
                                  r->attack, "bayes");
        r->violation = sql_double(db,
                                  "SELECT violation FROM estimate WHERE target_id IS NULL AND attack = ?1 AND method = ?2",
                                  r->attack, "bayes") == 1;
    }
    sqlite3_finalize(q);
    return PA_OK;
}

/* ---- the database (docs/audit.md) ---- */

static const char *const audit_schema_sql =
    "CREATE TABLE IF NOT EXISTS audit("
    " id INTEGER PRIMARY KEY, created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    " code_version TEXT NOT NULL, real_path TEXT NOT NULL, real_hash TEXT NOT NULL, real_rows INTEGER NOT NULL,"
    " synth_path TEXT NOT NULL, synth_hash TEXT NOT NULL, synth_rows INTEGER NOT NULL,"
    " holdout_path TEXT, holdout_hash TEXT, holdout_rows INTEGER, schema_json TEXT NOT NULL,"
    " qi TEXT NOT NULL, options_json TEXT NOT NULL, generator_cmd TEXT, shadow_config TEXT);"
    "CREATE TABLE IF NOT EXISTS audit_recon("
    " audit_id INTEGER NOT NULL REFERENCES audit(id), secret TEXT NOT NULL, code INTEGER NOT NULL,"
    " value TEXT NOT NULL, method TEXT NOT NULL, status TEXT NOT NULL, error TEXT, n INTEGER NOT NULL,"
    " ones INTEGER NOT NULL, baseline REAL NOT NULL, correct INTEGER, accuracy REAL, lo REAL, hi REAL,"
    " excess INTEGER, minority_correct INTEGER, says_minority INTEGER, minority_lo REAL, minority_hi REAL,"
    " singles_out INTEGER, confident INTEGER, confident_correct INTEGER,"
    " at_risk INTEGER, queries INTEGER, objective REAL, seconds REAL,"
    " PRIMARY KEY (audit_id, secret, code, method));"
    "CREATE TABLE IF NOT EXISTS audit_band("
    " audit_id INTEGER NOT NULL REFERENCES audit(id), secret TEXT NOT NULL, code INTEGER NOT NULL,"
    " method TEXT NOT NULL, band INTEGER NOT NULL, score_lo REAL NOT NULL, score_hi REAL NOT NULL,"
    " n INTEGER NOT NULL, correct INTEGER NOT NULL, PRIMARY KEY (audit_id, secret, code, method, band));"
    "CREATE TABLE IF NOT EXISTS audit_record("
    " audit_id INTEGER NOT NULL REFERENCES audit(id), secret TEXT NOT NULL, code INTEGER NOT NULL,"
    " row INTEGER NOT NULL, bit INTEGER NOT NULL, lp REAL, classifier REAL, nearest REAL,"
    " PRIMARY KEY (audit_id, secret, code, row));"
    "CREATE TABLE IF NOT EXISTS audit_dcr("
    " audit_id INTEGER PRIMARY KEY REFERENCES audit(id), real_rows INTEGER NOT NULL,"
    " holdout_rows INTEGER NOT NULL, auc REAL, tpr_at_0_1 REAL, tpr_at_0_01 REAL, tpr_at_0_001 REAL,"
    " beyond_holdout REAL, exact_real REAL, exact_holdout REAL, median_real REAL, median_holdout REAL,"
    " auc_null_sd REAL, leak INTEGER);"
    "CREATE TABLE IF NOT EXISTS audit_dcr_record("
    " audit_id INTEGER NOT NULL REFERENCES audit(id), part TEXT NOT NULL CHECK (part IN ('real','holdout')),"
    " row INTEGER NOT NULL, distance REAL NOT NULL, PRIMARY KEY (audit_id, part, row));";

typedef struct audit_run {
    const audit_args *a;
    const table *real, *synth, *hold;
    const char *qi_names;
    const char *db_path;
    char *options_json;
    size_t n_sec;
    secret_res *sec;
    dcr_res dcr;
    shadow_res sh;
    long long audit_id;
} audit_run;

static void bind_num(sqlite3_stmt *q, int k, double v)
{
    if (isnan(v))
        sqlite3_bind_null(q, k);
    else
        sqlite3_bind_double(q, k, v);
}

static int step_reset(sqlite3 *db, sqlite3_stmt *q, pa_err *err)
{
    int r = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return r == SQLITE_DONE ? PA_OK : pa_errf(err, PA_EIO, "database: %s", sqlite3_errmsg(db));
}

static void hex_hash(const table *t, char buf[17])
{
    snprintf(buf, 17, "%016llx", (unsigned long long)tbl_hash(t));
}

/* Writes the audit's rows in one transaction; run->audit_id gets the new id. */
static int audit_store(store *st, audit_run *run, pa_err *err)
{
    sqlite3 *db = store_db(st);
    const audit_args *a = run->a;
    sqlite3_stmt *q[6] = {0};
    char *msg = NULL;
    int rc = PA_OK;
    if (sqlite3_exec(db, audit_schema_sql, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
        rc = pa_errf(err, PA_EIO, "database %s: %s", run->db_path, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return rc;
    }
    static const char *const sql[6] = {
        "INSERT INTO audit(code_version, real_path, real_hash, real_rows, synth_path, synth_hash, synth_rows,"
        " holdout_path, holdout_hash, holdout_rows, schema_json, qi, options_json, generator_cmd, shadow_config)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "INSERT INTO audit_recon(audit_id, secret, code, value, method, status, error, n, ones, baseline, correct,"
        " accuracy, lo, hi, excess, minority_correct, confident, confident_correct, at_risk, queries, objective,"
        " seconds, says_minority, minority_lo, minority_hi, singles_out)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "INSERT INTO audit_band(audit_id, secret, code, method, band, score_lo, score_hi, n, correct)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        "INSERT INTO audit_record(audit_id, secret, code, row, bit, lp, classifier, nearest) VALUES (?,?,?,?,?,?,?,?)",
        "INSERT INTO audit_dcr(audit_id, real_rows, holdout_rows, auc, tpr_at_0_1, tpr_at_0_01, tpr_at_0_001,"
        " beyond_holdout, exact_real, exact_holdout, median_real, median_holdout, auc_null_sd, leak)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "INSERT INTO audit_dcr_record(audit_id, part, row, distance) VALUES (?,?,?,?)",
    };
    for (int k = 0; k < 6 && !rc; k++)
        if (sqlite3_prepare_v2(db, sql[k], -1, &q[k], NULL) != SQLITE_OK)
            rc = pa_errf(err, PA_EIO, "database: %s", sqlite3_errmsg(db));
    char rh[17], sh[17], hh[17];
    char *schema_json = schema_to_json(run->real->s);
    if (!rc && !schema_json)
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
    if (!rc) {
        hex_hash(run->real, rh);
        hex_hash(run->synth, sh);
        sqlite3_bind_text(q[0], 1, pa_version(), -1, SQLITE_STATIC);
        sqlite3_bind_text(q[0], 2, a->real, -1, SQLITE_STATIC);
        sqlite3_bind_text(q[0], 3, rh, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q[0], 4, (sqlite3_int64)run->real->n);
        sqlite3_bind_text(q[0], 5, a->synth, -1, SQLITE_STATIC);
        sqlite3_bind_text(q[0], 6, sh, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q[0], 7, (sqlite3_int64)run->synth->n);
        if (run->hold) {
            hex_hash(run->hold, hh);
            sqlite3_bind_text(q[0], 8, a->holdout, -1, SQLITE_STATIC);
            sqlite3_bind_text(q[0], 9, hh, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q[0], 10, (sqlite3_int64)run->hold->n);
        }
        sqlite3_bind_text(q[0], 11, schema_json, -1, SQLITE_STATIC);
        sqlite3_bind_text(q[0], 12, run->qi_names, -1, SQLITE_STATIC);
        sqlite3_bind_text(q[0], 13, run->options_json ? run->options_json : "{}", -1, SQLITE_STATIC);
        if (a->gen_cmd)
            sqlite3_bind_text(q[0], 14, a->gen_cmd, -1, SQLITE_STATIC);
        if (run->sh.ran)
            sqlite3_bind_text(q[0], 15, run->sh.config_path, -1, SQLITE_STATIC);
        rc = step_reset(db, q[0], err);
        run->audit_id = sqlite3_last_insert_rowid(db);
    }
    for (size_t i = 0; i < run->n_sec && !rc; i++) {
        const secret_res *s = &run->sec[i];
        for (int m = 0; m < RECON_N_ATT && !rc; m++) {
            const method_res *r = &s->m[m];
            sqlite3_stmt *p = q[1];
            sqlite3_bind_int64(p, 1, run->audit_id);
            sqlite3_bind_text(p, 2, s->name, -1, SQLITE_STATIC);
            sqlite3_bind_int(p, 3, s->code);
            sqlite3_bind_text(p, 4, s->value, -1, SQLITE_STATIC);
            sqlite3_bind_text(p, 5, recon_att_name(m), -1, SQLITE_STATIC);
            sqlite3_bind_text(p, 6, r->ran ? "ok" : "failed", -1, SQLITE_STATIC);
            if (!r->ran)
                sqlite3_bind_text(p, 7, r->msg, -1, SQLITE_STATIC);
            sqlite3_bind_int64(p, 8, (sqlite3_int64)run->real->n);
            sqlite3_bind_int64(p, 9, (sqlite3_int64)s->ones);
            sqlite3_bind_double(p, 10, s->baseline);
            if (r->ran) {
                sqlite3_bind_int64(p, 11, (sqlite3_int64)r->correct);
                bind_num(p, 12, r->acc);
                bind_num(p, 13, r->lo);
                bind_num(p, 14, r->hi);
                sqlite3_bind_int64(p, 15, r->excess);
                sqlite3_bind_int64(p, 16, (sqlite3_int64)r->minority_correct);
                sqlite3_bind_int64(p, 17, (sqlite3_int64)r->conf_n);
                sqlite3_bind_int64(p, 18, (sqlite3_int64)r->conf_correct);
                sqlite3_bind_int(p, 19, r->at_risk);
                if (m == RECON_ATT_LP) {
                    sqlite3_bind_int64(p, 20, (sqlite3_int64)r->st.queries);
                    bind_num(p, 21, r->st.objective);
                }
                bind_num(p, 22, r->seconds);
                sqlite3_bind_int64(p, 23, (sqlite3_int64)r->says_minority);
                bind_num(p, 24, r->min_lo);
                bind_num(p, 25, r->min_hi);
                sqlite3_bind_int(p, 26, r->singles_out);
            }
            rc = step_reset(db, p, err);
            for (int b = 0; b < N_BANDS && r->ran && !rc; b++) {
                p = q[2];
                sqlite3_bind_int64(p, 1, run->audit_id);
                sqlite3_bind_text(p, 2, s->name, -1, SQLITE_STATIC);
                sqlite3_bind_int(p, 3, s->code);
                sqlite3_bind_text(p, 4, recon_att_name(m), -1, SQLITE_STATIC);
                sqlite3_bind_int(p, 5, b);
                sqlite3_bind_double(p, 6, band_edge[b]);
                sqlite3_bind_double(p, 7, band_edge[b + 1]);
                sqlite3_bind_int64(p, 8, (sqlite3_int64)r->band_n[b]);
                sqlite3_bind_int64(p, 9, (sqlite3_int64)r->band_correct[b]);
                rc = step_reset(db, p, err);
            }
        }
        for (size_t j = 0; j < run->real->n && !rc; j++) {
            sqlite3_stmt *p = q[3];
            sqlite3_bind_int64(p, 1, run->audit_id);
            sqlite3_bind_text(p, 2, s->name, -1, SQLITE_STATIC);
            sqlite3_bind_int(p, 3, s->code);
            sqlite3_bind_int64(p, 4, (sqlite3_int64)j);
            sqlite3_bind_int(p, 5, s->bit[j]);
            for (int m = 0; m < RECON_N_ATT; m++)
                if (s->m[m].ran)
                    bind_num(p, 6 + m, s->m[m].score[j]);
            rc = step_reset(db, p, err);
        }
    }
    if (!rc && run->dcr.ran) {
        const dcr_res *d = &run->dcr;
        sqlite3_stmt *p = q[4];
        sqlite3_bind_int64(p, 1, run->audit_id);
        sqlite3_bind_int64(p, 2, (sqlite3_int64)d->n);
        sqlite3_bind_int64(p, 3, (sqlite3_int64)d->h);
        bind_num(p, 4, d->auc);
        bind_num(p, 5, d->tpr[0]);
        bind_num(p, 6, d->tpr[1]);
        bind_num(p, 7, d->tpr[2]);
        bind_num(p, 8, d->beyond);
        bind_num(p, 9, d->exact_real);
        bind_num(p, 10, d->exact_hold);
        bind_num(p, 11, d->med_real);
        bind_num(p, 12, d->med_hold);
        bind_num(p, 13, d->auc_sd);
        sqlite3_bind_int(p, 14, d->leak);
        rc = step_reset(db, p, err);
        for (int part = 0; part < 2 && !rc; part++) {
            size_t k = part ? d->h : d->n;
            const double *dist = part ? d->d_hold : d->d_real;
            for (size_t j = 0; j < k && !rc; j++) {
                p = q[5];
                sqlite3_bind_int64(p, 1, run->audit_id);
                sqlite3_bind_text(p, 2, part ? "holdout" : "real", -1, SQLITE_STATIC);
                sqlite3_bind_int64(p, 3, (sqlite3_int64)j);
                sqlite3_bind_double(p, 4, dist[j]);
                rc = step_reset(db, p, err);
            }
        }
    }
    for (int k = 0; k < 6; k++)
        sqlite3_finalize(q[k]);
    free(schema_json);
    if (sqlite3_exec(db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, &msg) != SQLITE_OK && !rc)
        rc = pa_errf(err, PA_EIO, "database %s: %s", run->db_path, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return rc;
}

/* ---- the report (OUT/audit.md) ---- */

/* n with thousands separators ("8,802"); a rotating set of buffers so that
 * several can appear in one printf */
static const char *cnt(long long n)
{
    static char buf[8][32];
    static int k;
    char *b = buf[k++ & 7], tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%lld", n < 0 ? -n : n), o = 0;
    if (n < 0)
        b[o++] = '-';
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            b[o++] = ',';
        b[o++] = tmp[i];
    }
    b[o] = 0;
    return b;
}

/* "12.3%" or "–" for 0/0, in a rotating buffer like cnt() */
static const char *pct(size_t k, size_t n)
{
    static char buf[8][32];
    static int i;
    char *b = buf[i++ & 7];
    if (n)
        snprintf(b, 32, "%.1f%%", 100.0 * (double)k / (double)n);
    else
        snprintf(b, 32, "–");
    return b;
}

/* "%.3g", "inf", or "–" for NaN (not applicable), in a rotating buffer */
static const char *g3(double v)
{
    static char buf[8][32];
    static int i;
    char *b = buf[i++ & 7];
    if (isnan(v))
        snprintf(b, 32, "–");
    else
        snprintf(b, 32, "%.3g", v);
    return b;
}

static const char *const method_words[RECON_N_ATT] = {
    "linear reconstruction", "classifier trained on the synthetic data", "nearest synthetic record"};

static void report_secret(FILE *f, const audit_run *run, const secret_res *s, double lvl)
{
    size_t n = run->real->n;
    fprintf(f, "\n### %s = %s\n\n", s->name, s->value);
    fprintf(f, "%s of %s real records (%s) have %s = %s. Always guessing the most common answer (%s %s) is right "
               "for %.1f%% of records: that is the baseline every attack must beat. Where an attack says a record "
               "has the less common answer, compare how often it is right with that answer's share, %.1f%%: the "
               "excess is what the release teaches about those people.\n\n",
            cnt((long long)s->ones), cnt((long long)n), pct(s->ones, n), s->name, s->value,
            s->majority_bit ? "=" : "≠", s->value, 100 * s->baseline, 100 * (1 - s->baseline));
    fprintf(f, "| attack | records right | accuracy [%g%% interval] | beyond the baseline | "
               "less common answer recovered | says the less common answer: records, right [interval] | "
               "confident (score < 0.05 or > 0.95): records, accuracy | seconds |\n",
            lvl);
    fprintf(f, "|---|---:|---|---:|---:|---|---|---:|\n");
    for (int m = 0; m < RECON_N_ATT; m++) {
        const method_res *r = &s->m[m];
        if (!r->ran) {
            fprintf(f, "| %s | failed: %s | | | | | | |\n", method_words[m], r->msg);
            continue;
        }
        size_t minority = s->majority_bit ? n - s->ones : s->ones;
        char says[160] = "0, –";
        if (r->says_minority)
            snprintf(says, sizeof says, "%s, %s [%.1f%%, %.1f%%]%s", cnt((long long)r->says_minority),
                     pct(r->minority_correct, r->says_minority), 100 * r->min_lo, 100 * r->min_hi,
                     r->singles_out ? " **(above the share)**" : "");
        fprintf(f, "| %s%s | %s | %.1f%% [%.1f%%, %.1f%%] | %s | %s of %s | %s | %s, %s | %.2f |\n", method_words[m],
                r->at_risk ? " **(beats the baseline)**" : "", cnt((long long)r->correct), 100 * r->acc, 100 * r->lo,
                100 * r->hi, cnt(r->excess), cnt((long long)r->minority_correct), cnt((long long)minority), says,
                cnt((long long)r->conf_n), pct(r->conf_correct, r->conf_n), r->seconds);
    }
    const method_res *lp = &s->m[RECON_ATT_LP];
    if (lp->ran) {
        fprintf(f, "\nLinear reconstruction by confidence (score = the LP's x, the attacker's estimate that the "
                   "answer is %s):\n\n| score | records | right | accuracy |\n|---|---:|---:|---:|\n",
                s->value);
        for (int b = 0; b < N_BANDS; b++)
            fprintf(f, "| %s%.2f, %.2f%s | %s | %s | %s |\n", b <= 2 ? "[" : "(", band_edge[b], band_edge[b + 1],
                    b == 0 || b == 1 ? ")" : "]", cnt((long long)lp->band_n[b]), cnt((long long)lp->band_correct[b]),
                    pct(lp->band_correct[b], lp->band_n[b]));
        fprintf(f, "\nThe LP had %s queries (%s-way and lower) and residual %.4g; solved in %.2f s.\n",
                cnt((long long)lp->st.queries), cnt((long long)run->a->k), lp->st.objective, lp->st.seconds);
    }
}

static int report_write(const audit_run *run, const char *path, pa_err *err)
{
    const audit_args *a = run->a;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return pa_errf(err, PA_ENOMEM, "out of memory");
    double lvl = 100 * (1 - a->alpha);
    char when[32];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    fprintf(f, "# Release audit of %s\n\n", a->synth);
    fprintf(f, "privaudit %s, %s. Real data: `%s` (%s records). Synthetic data: `%s` (%s records). Schema: `%s`.",
            pa_version(), when, a->real, cnt((long long)run->real->n), a->synth, cnt((long long)run->synth->n),
            a->schema);
    if (run->hold)
        fprintf(f, " Holdout: `%s` (%s records).", a->holdout, cnt((long long)run->hold->n));
    fprintf(f, " Every figure is stored in `%s` (audit id %lld; docs/audit.md).\n\n", run->db_path, run->audit_id);
    fprintf(f, "The attacker is assumed to know, for every real person, the quasi-identifiers **%s**, and to hold "
               "the synthetic data set. The question is what else the synthetic data lets them learn.\n",
            run->qi_names);

    /* verdict */
    fprintf(f, "\n## Verdict\n\n");
    for (size_t i = 0; i < run->n_sec; i++) {
        const secret_res *s = &run->sec[i];
        int best = -1;
        for (int m = 0; m < RECON_N_ATT; m++)
            if (s->m[m].ran && (best < 0 || s->m[m].acc > s->m[best].acc))
                best = m;
        int risk = 0;
        for (int m = 0; m < RECON_N_ATT; m++)
            risk |= s->m[m].ran && s->m[m].at_risk;
        if (best < 0) {
            fprintf(f, "- **%s = %s: not assessed** (every attack failed; see below).\n", s->name, s->value);
            continue;
        }
        const method_res *r = &s->m[best];
        if (risk)
            fprintf(f, "- **%s = %s is AT RISK.** The %s recovers it correctly for %s of %s real records (%.1f%%, "
                       "%g%% interval %.1f–%.1f%%), against %.1f%% from always guessing the most common answer: "
                       "%s records beyond guessing. It is confident (score < 0.05 or > 0.95) for %s records and right "
                       "for %s of them; it recovers the less common answer for %s records (of the %s it "
                       "attributes that answer to, %s have it, against %.1f%% of all records).\n",
                    s->name, s->value, method_words[best], cnt((long long)r->correct), cnt((long long)run->real->n),
                    100 * r->acc, lvl, 100 * r->lo, 100 * r->hi, 100 * s->baseline, cnt(r->excess),
                    cnt((long long)r->conf_n), pct(r->conf_correct, r->conf_n), cnt((long long)r->minority_correct),
                    cnt((long long)r->says_minority), pct(r->minority_correct, r->says_minority),
                    100 * (1 - s->baseline));
        else
            fprintf(f, "- **%s = %s: no attack beat guessing overall.** The best, the %s, is right for %.1f%% of "
                       "records (%g%% interval %.1f–%.1f%%), against %.1f%% from always guessing the most common "
                       "answer.\n",
                    s->name, s->value, method_words[best], 100 * r->acc, lvl, 100 * r->lo, 100 * r->hi,
                    100 * s->baseline);
        /* the records an attack singles out for the less common answer */
        int so = -1;
        for (int m = 0; m < RECON_N_ATT; m++)
            if (s->m[m].ran && s->m[m].singles_out && (so < 0 || s->m[m].minority_correct > s->m[so].minority_correct))
                so = m;
        if (so >= 0) {
            const method_res *q = &s->m[so];
            fprintf(f, "  **Some records are exposed:** the %s says %s %s %s for %s records and is right for %s of "
                       "them (%s, %g%% interval %.1f–%.1f%%), against %.1f%% of all records: for those people the "
                       "release raises the odds of the less common answer.\n",
                    method_words[so], s->name, s->majority_bit ? "≠" : "=", s->value, cnt((long long)q->says_minority),
                    cnt((long long)q->minority_correct), pct(q->minority_correct, q->says_minority), lvl,
                    100 * q->min_lo, 100 * q->min_hi, 100 * (1 - s->baseline));
        }
    }
    if (run->dcr.ran) {
        const dcr_res *d = &run->dcr;
        fprintf(f, "- **Membership (distance to the closest synthetic record): %s.** Real records are told apart from "
                   "holdout records with AUC %.3f (0.5 = no better than chance, ± %.3f by chance at the %g%% level); "
                   "%.1f%% of real records appear verbatim in the synthetic data, against %.1f%% of holdout records "
                   "the generator never saw.\n",
                d->leak ? "the release reveals who was in the real data" : "no significant signal", d->auc,
                gsl_cdf_ugaussian_Qinv(a->alpha / 2) * d->auc_sd, lvl, 100 * d->exact_real, 100 * d->exact_hold);
    } else {
        fprintf(f, "- Membership by distance: not measured (give `--holdout` with real records the generator never "
                   "saw).\n");
    }
    if (run->sh.ran) {
        const shadow_res *sh = &run->sh;
        double best_lo = 0, best_auc = NAN;
        int viol = 0;
        for (size_t i = 0; i < sh->n_rows; i++) {
            if (sh->rows[i].bayes_lo > best_lo)
                best_lo = sh->rows[i].bayes_lo;
            if (isnan(best_auc) || sh->rows[i].auc > best_auc)
                best_auc = sh->rows[i].auc;
            viol |= sh->rows[i].violation;
        }
        if (isnan(best_auc)) { /* no attack measured: say why instead of "best AUC nan" */
            if (sh->failed >= sh->planned)
                fprintf(f, "- Shadow-generator membership game: **failed**: every one of the %s games failed%s%s\n",
                        cnt((long long)sh->planned), sh->err[0] ? "; the first error: " : "", sh->err);
            else
                fprintf(f, "- Shadow-generator membership game: **no measure**: %s of %s games failed and the rest "
                           "gave no attack a score to measure%s%s\n", cnt((long long)sh->failed),
                        cnt((long long)sh->planned), sh->err[0] ? "; the first error: " : "", sh->err);
        } else {
            fprintf(f, "- **Shadow-generator membership game** (%s games on the generator command): best AUC %.3f, "
                       "empirical epsilon at least %.3g (lower end of the Bayesian %g%% interval)%s.\n",
                    cnt((long long)sh->games), best_auc, best_lo, lvl,
                    viol ? " — **above the claimed epsilon: the generator's privacy claim is violated**" : "");
        }
    } else if (a->gen_cmd) {
        fprintf(f, "- Shadow-generator membership game: **failed**: %s\n", run->sh.err);
    }

    /* details */
    fprintf(f, "\n## Attribute inference\n\nEach attack guesses every real record's secret from its "
               "quasi-identifiers and the synthetic data. *Linear reconstruction* (Annamalai, Gadotti, Rocher, "
               "USENIX Security 2024) asks the synthetic data every counting query \"how many people have these %s "
               "quasi-identifier values and this secret\" and solves for the secrets that best explain all "
               "answers at once (a linear program); its score is the solved value in [0, 1]. The *classifier* "
               "is a logistic regression trained on the synthetic rows; the *nearest synthetic record* copies the "
               "secret of the most similar synthetic row. An answer is **at risk** when the lower end of an "
               "attack's %g%% interval (Clopper–Pearson) is above the baseline. *Beyond the baseline* = records "
               "right minus the records that always guessing the common answer gets right.\n",
            a->k > 2 ? "one or two" : "one", lvl);
    for (size_t i = 0; i < run->n_sec; i++)
        report_secret(f, run, &run->sec[i], lvl);

    if (run->dcr.ran) {
        const dcr_res *d = &run->dcr;
        fprintf(f, "\n## Membership: distance to the closest synthetic record\n\n"
                   "For every real record and every holdout record, the distance to its closest synthetic record "
                   "(Hamming on categorical columns, range-normalised L1 on numeric ones). If the synthetic data "
                   "did not depend on who was in the real data, real and holdout records would look alike. Many "
                   "records at the same distance (ties, common with categorical data) make the TPR at a low FPR "
                   "zero: then read the verbatim-copy shares.\n\n"
                   "| measure | value |\n|---|---:|\n"
                   "| AUC, real vs holdout (score = minus the distance) | %.4f |\n"
                   "| TPR at FPR 10%% / 1%% / 0.1%% | %.4f / %.4f / %.4f |\n"
                   "| real records closer than every holdout record | %.2f%% (1/(holdout+1) = %.2f%% expected without a "
                   "leak, when distances do not tie) |\n"
                   "| at distance 0 (verbatim copies): real / holdout | %.2f%% / %.2f%% |\n"
                   "| median distance: real / holdout | %.4g / %.4g |\n",
                d->auc, d->tpr[0], d->tpr[1], d->tpr[2], 100 * d->beyond, 100.0 / (double)(d->h + 1),
                100 * d->exact_real, 100 * d->exact_hold, d->med_real, d->med_hold);
    }
    if (a->gen_cmd) {
        const shadow_res *sh = &run->sh;
        fprintf(f, "\n## Shadow-generator membership game\n\n");
        if (!sh->ran) {
            fprintf(f, "Not played: %s\n", sh->err);
        } else {
            fprintf(f, "The generator command `%s` was run as a black box %s times (%s games, %s challenge records "
                       "each with its own coin, training sets of %s real records, %s synthetic records each; config "
                       "`%s`; %s trials failed; %.0f s). Attacks: `dcr` (distance to the closest synthetic record) "
                       "and `dcr-cal` (the same, calibrated by the distance to the attacker's auxiliary data). The "
                       "threshold is chosen on half of the games and counted on the other half (docs/metrics.md).\n\n",
                    a->gen_cmd, cnt((long long)sh->ran_trials), cnt((long long)sh->games),
                    cnt((long long)sh->targets), cnt((long long)sh->train_size), cnt((long long)sh->synth_size),
                    sh->config_path, cnt((long long)sh->failed), sh->seconds);
            fprintf(f, "| attack | AUC | TPR at FPR 10%% | epsilon, Bayesian %g%% interval | Clopper–Pearson lower "
                       "bound | P(epsilon > claimed) |\n|---|---:|---:|---|---:|---:|\n",
                    lvl);
            for (size_t i = 0; i < sh->n_rows; i++) {
                const shadow_row *r = &sh->rows[i];
                fprintf(f, "| %s | %s | %s | [%s, %s] | %s | %s |\n", r->attack, g3(r->auc), g3(r->tpr01),
                        g3(r->bayes_lo), g3(r->bayes_hi), g3(r->cp_lo), g3(r->p_exceeds));
            }
            fprintf(f, "\nClaimed epsilon: %g. `privaudit report --db %s --out DIR` draws the game's figures.\n",
                    a->epsilon, run->db_path);
        }
    }
    fclose(f);
    int rc = util_write_file_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

/* ---- the command ---- */

static void progress(const audit_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const audit_args *a, const char *fmt, ...)
{
    if (a->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("[audit] ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Adds the secret bits of column j to run->sec (one per code; code 1 only
 * for a binary column). */
static int add_secret_column(audit_run *run, const schema *s, int j, size_t *cap, pa_err *err)
{
    const col_spec *c = &s->cols[j];
    for (size_t i = 0; i < run->n_sec; i++)
        if (run->sec[i].col == j)
            return PA_OK; /* named twice */
    if (c->kind != COL_CAT)
        return pa_errf(err, PA_EINPUT,
                       "secret column \"%s\" is numeric: the attacks infer a categorical secret (name categorical "
                       "columns with --secret, or bin it into a categorical column)",
                       c->name);
    if (c->size < 2)
        return pa_errf(err, PA_EINPUT, "secret column \"%s\" has %zu value: nothing to infer", c->name, c->size);
    int32_t first = c->size == 2 ? 1 : 0;
    for (int32_t code = first; code < (int32_t)c->size; code++) {
        if (run->n_sec == *cap) {
            size_t nc = *cap ? 2 * *cap : 8;
            secret_res *ns = realloc(run->sec, nc * sizeof *ns);
            if (!ns)
                return pa_errf(err, PA_ENOMEM, "out of memory");
            run->sec = ns;
            *cap = nc;
        }
        secret_res *r = &run->sec[run->n_sec++];
        memset(r, 0, sizeof *r);
        r->col = j;
        r->code = code;
        snprintf(r->name, sizeof r->name, "%s", c->name);
        if (c->labels)
            snprintf(r->value, sizeof r->value, "%s", c->labels[code]);
        else
            snprintf(r->value, sizeof r->value, "%d", (int)code);
    }
    return PA_OK;
}

static int words_have(char **w, int nw, const char *ph)
{
    for (int i = 0; i < nw; i++)
        if (strstr(w[i], ph))
            return 1;
    return 0;
}

static void run_free(audit_run *run)
{
    for (size_t i = 0; i < run->n_sec; i++) {
        free(run->sec[i].bit);
        for (int m = 0; m < RECON_N_ATT; m++)
            free(run->sec[i].m[m].score);
    }
    free(run->sec);
    free(run->dcr.d_real);
    free(run->dcr.d_hold);
    free(run->options_json);
}

int cmd_audit(int argc, char **argv)
{
    audit_args a;
    int pr = parse_args(argc, argv, &a);
    if (pr)
        return pr > 0 ? 0 : 2;
    char cmdbuf[8192], *words[MAX_ARGV];
    int nw = 0;
    if (a.gen_cmd) {
        if ((nw = split_command(a.gen_cmd, cmdbuf, sizeof cmdbuf, words, MAX_ARGV)) < 0)
            return 2;
        if (!words_have(words, nw, "{train}") || !words_have(words, nw, "{out}")) {
            fprintf(stderr, "privaudit audit: --generator-cmd: expected the placeholders {train} (the training CSV "
                            "privaudit writes) and {out} (where the program writes its synthetic CSV)\n");
            return 2;
        }
        if (!gen_find("external")) {
            fprintf(stderr, "privaudit audit: --generator-cmd: not available in this build (the generator "
                            "\"external\" is not registered)\n");
            return 2;
        }
    }
    pa_err err = {0};
    schema *s = NULL;
    table *real = NULL, *synth = NULL, *hold = NULL;
    audit_run run = {.a = &a};
    char qi_names[4096] = "", db_buf[PATH_MAX], md_path[PATH_MAX];
    char real_abs[PATH_MAX], schema_abs[PATH_MAX];
    size_t cap = 0, train = 0, shadow_m = 0;
    int rc = schema_read(a.schema, &s, &err);
    if (!rc)
        rc = tbl_read_csv(a.real, s, &real, &err);
    if (!rc)
        rc = tbl_read_csv(a.synth, s, &synth, &err);
    if (!rc && a.holdout)
        rc = tbl_read_csv(a.holdout, s, &hold, &err);
    if (!rc && real->n == 0)
        rc = pa_errf(&err, PA_EINPUT, "%s: no records", a.real);
    if (!rc && synth->n == 0)
        rc = pa_errf(&err, PA_EINPUT, "%s: no records", a.synth);
    if (!rc && hold && hold->n == 0)
        rc = pa_errf(&err, PA_EINPUT, "%s: no records", a.holdout);
    /* secrets: --secret names, else the schema's roles */
    for (size_t i = 0; i < a.n_secret_list && !rc; i++) {
        char list[1024], *save = NULL;
        snprintf(list, sizeof list, "%s", a.secret_list[i]);
        for (char *tok = strtok_r(list, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
            int j = schema_col(s, tok);
            if (j < 0)
                rc = pa_errf(&err, PA_EINPUT, "--secret %s: %s has no such column", tok, a.schema);
            else
                rc = add_secret_column(&run, s, j, &cap, &err);
        }
    }
    if (!rc && a.n_secret_list == 0)
        for (size_t j = 0; j < s->d && !rc; j++)
            if (s->cols[j].roles & ROLE_SECRET)
                rc = add_secret_column(&run, s, (int)j, &cap, &err);
    if (!rc && run.n_sec == 0)
        rc = pa_errf(&err, PA_EINPUT,
                     "%s: no secret column: give one a \"role\": \"secret\" in the schema or name it with --secret",
                     a.schema);
    /* quasi-identifiers: the schema's, minus the secrets (a secret is never
     * known to the attacker, whatever role the schema gives it; the role is
     * cleared in every table's schema alike, so they still match) */
    for (size_t i = 0; i < run.n_sec && !rc; i++) {
        table *ts[3] = {real, synth, hold};
        for (int t = 0; t < 3; t++)
            if (ts[t])
                ts[t]->s->cols[run.sec[i].col].roles &= ~(unsigned)ROLE_QI;
    }
    size_t n_qi = 0;
    for (size_t j = 0; j < s->d && !rc; j++) {
        int is_secret = 0;
        for (size_t i = 0; i < run.n_sec; i++)
            is_secret |= run.sec[i].col == (int)j;
        if ((s->cols[j].roles & ROLE_QI) && !is_secret) {
            size_t l = strlen(qi_names);
            snprintf(qi_names + l, sizeof qi_names - l, "%s%s", n_qi ? ", " : "", s->cols[j].name);
            n_qi++;
        }
    }
    if (!rc && n_qi == 0)
        rc = pa_errf(&err, PA_EINPUT,
                     "%s: no quasi-identifier: give the columns an attacker knows \"role\": \"qi\" in the schema",
                     a.schema);
    /* the shadow game: everything checked before anything is written */
    if (!rc && a.gen_cmd) {
        if (isfinite(a.epsilon) && s->inferred)
            rc = pa_errf(&err, PA_EINPUT,
                         "%s: the schema was inferred from data; a game with a claimed --epsilon needs public bounds",
                         a.schema);
        size_t pop = shadow_population(real->n, a.targets);
        train = a.train_size ? a.train_size : (pop / 2 < 1000 ? pop / 2 : 1000);
        if (!rc && (train < 1 || train > pop))
            rc = pa_errf(&err, PA_EINPUT,
                         "--train-size: the shadow game's population has %zu of the %zu real records (after %llu "
                         "targets, 25%% auxiliary and 10%% holdout); expected a training size in [1, %zu]",
                         pop, real->n, (unsigned long long)a.targets, pop);
        shadow_m = (size_t)llround((double)train * (double)synth->n / (double)real->n);
        shadow_m = shadow_m ? shadow_m : 1;
        if (!rc && (!realpath(a.real, real_abs) || !realpath(a.schema, schema_abs)))
            rc = pa_errf(&err, PA_EIO, "%s: %s", a.real, strerror(errno));
        if (!rc) {
            cJSON *params = cJSON_CreateObject(), *av = cJSON_AddArrayToObject(params, "argv");
            for (int i = 0; i < nw; i++)
                cJSON_AddItemToArray(av, cJSON_CreateString(words[i]));
            gen_config gc = {.epsilon = a.epsilon, .delta = a.delta, .params = params};
            rc = gen_check("external", s, &gc, &err);
            if (rc)
                pa_err_prefix(&err, "--generator-cmd");
            cJSON_Delete(params);
        }
    }
    if (rc) {
        fprintf(stderr, "privaudit audit: %s\n", err.msg);
        goto done;
    }
    run.real = real;
    run.synth = synth;
    run.hold = hold;
    run.qi_names = qi_names;
    snprintf(db_buf, sizeof db_buf, "%s/audit.db", a.out);
    run.db_path = a.db ? a.db : db_buf;
    snprintf(md_path, sizeof md_path, "%s/audit.md", a.out);
    {
        char o[512];
        snprintf(o, sizeof o,
                 "{\"k\": %llu, \"bins\": %llu, \"scaling\": \"%s\", \"alpha\": %.17g, \"seed\": %llu, \"games\": %llu,"
                 " \"targets\": %llu, \"train_size\": %zu, \"epsilon\": %s%.17g%s, \"delta\": %.17g}",
                 (unsigned long long)a.k, (unsigned long long)a.bins,
                 a.scaling == RECON_SCALE_COND ? "cond" : "global", a.alpha, (unsigned long long)a.seed,
                 (unsigned long long)a.games, (unsigned long long)a.targets, train, isfinite(a.epsilon) ? "" : "\"",
                 a.epsilon, isfinite(a.epsilon) ? "" : "\"", a.delta);
        run.options_json = pa_strdup(o);
    }

    /* ---- from here on, output is written ---- */
    if ((rc = util_mkdir_p(a.out, &err))) {
        fprintf(stderr, "privaudit audit: %s\n", err.msg);
        goto done;
    }
    progress(&a, "%zu real, %zu synthetic%s records; %zu secret bit%s; quasi-identifiers: %s", real->n, synth->n,
             hold ? " and holdout" : "", run.n_sec, run.n_sec == 1 ? "" : "s", qi_names);
    recon_opts ro;
    recon_opts_default(&ro);
    ro.k_min = 2;
    ro.k_max = (int)a.k;
    ro.bins = a.bins;
    ro.scaling = a.scaling;
    ro.seed = a.seed;
    int partial = 0;
    for (size_t i = 0; i < run.n_sec && !rc; i++) {
        secret_res *sr = &run.sec[i];
        if (!(sr->bit = pa_malloc(real->n, sizeof *sr->bit))) {
            rc = pa_errf(&err, PA_ENOMEM, "out of memory");
            break;
        }
        for (size_t j = 0; j < real->n; j++) {
            sr->bit[j] = real->cat[sr->col][j] == sr->code;
            sr->ones += (size_t)sr->bit[j];
        }
        sr->majority_bit = 2 * sr->ones > real->n;
        sr->baseline = (double)(sr->majority_bit ? sr->ones : real->n - sr->ones) / (double)real->n;
        for (int m = 0; m < RECON_N_ATT && !rc; m++) {
            method_res *r = &sr->m[m];
            if (!(r->score = pa_malloc(real->n, sizeof *r->score))) {
                rc = pa_errf(&err, PA_ENOMEM, "out of memory");
                break;
            }
            pa_err merr = {0};
            if (run_method(m, real, synth, sr, &ro, r, &merr) == PA_OK) {
                r->ran = 1;
                scores_evaluate(r, sr, real->n, a.alpha);
                progress(&a, "%s = %s, %s: %zu/%zu right (%.1f%%; baseline %.1f%%) in %.2fs", sr->name, sr->value,
                         recon_att_name(m), r->correct, real->n, 100 * r->acc, 100 * sr->baseline, r->seconds);
            } else {
                snprintf(r->msg, sizeof r->msg, "%s", merr.msg);
                partial = 1;
                progress(&a, "%s = %s, %s: failed: %s", sr->name, sr->value, recon_att_name(m), merr.msg);
            }
        }
    }
    if (!rc && hold) {
        double t0 = util_now();
        rc = dcr_compute(real, synth, hold, a.alpha, &run.dcr, &err);
        if (!rc)
            progress(&a, "distance to closest record: AUC %.4f, real vs holdout, in %.2fs", run.dcr.auc,
                     util_now() - t0);
    }
    if (!rc && a.gen_cmd) {
        shadow_res *sh = &run.sh;
        snprintf(sh->config_path, sizeof sh->config_path, "%s/shadow-config.json", a.out);
        char *txt = shadow_config_json(&a, words, nw, real_abs, schema_abs, train, shadow_m);
        config *c = NULL;
        pa_err serr = {0};
        int src = txt ? util_write_file_atomic(sh->config_path, txt, strlen(txt), &serr)
                      : pa_errf(&serr, PA_ENOMEM, "out of memory");
        free(txt);
        if (!src)
            src = config_read(sh->config_path, NULL, &c, &serr);
        if (!src) {
            progress(&a, "shadow game: %llu games on \"%s\", training sets of %zu, %zu synthetic rows",
                     (unsigned long long)a.games, a.gen_cmd, train, shadow_m);
            run_opts o = {.db_path = run.db_path, .jobs = (int)a.jobs, .resume = access(run.db_path, F_OK) == 0,
                          .progress = !a.quiet};
            run_summary sum = {0};
            src = run_experiment(c, &o, &sum, &serr);
            sh->planned = sum.planned;
            sh->ran_trials = sum.ran + sum.done_before;
            sh->failed = sum.failed;
            sh->seconds = sum.seconds;
            sh->games = a.games;
            sh->targets = a.targets;
            sh->train_size = train;
            sh->synth_size = shadow_m;
        }
        config_free(c);
        if (src) {
            snprintf(sh->err, sizeof sh->err, "%s", serr.msg);
            progress(&a, "shadow game failed: %s", serr.msg);
            partial = 1;
        } else {
            sh->ran = 1;
            if (sh->failed)
                partial = 1;
        }
    }
    store *st = NULL;
    if (!rc)
        rc = store_open(run.db_path, &st, &err);
    if (!rc && run.sh.ran)
        rc = shadow_summarise(st, &run.sh, &err);
    if (!rc)
        rc = audit_store(st, &run, &err);
    store_close(st);
    if (!rc)
        rc = report_write(&run, md_path, &err);
    if (rc) {
        fprintf(stderr, "privaudit audit: %s\n", err.msg);
    } else {
        progress(&a, "report: %s; database: %s (audit id %lld)", md_path, run.db_path, run.audit_id);
        if (partial)
            rc = PA_EINTERNAL;
    }
done:
    run_free(&run);
    tbl_free(real);
    tbl_free(synth);
    tbl_free(hold);
    schema_free(s);
    return rc == PA_OK ? 0 : rc == PA_EINPUT ? 2 : 1;
}
