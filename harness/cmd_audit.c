/* cmd_audit.c — privaudit audit: the release audit a data custodian runs
 * before publishing a synthetic data set (docs/audit.md).
 *
 *   privaudit audit --real REAL.csv --synth SYNTH.csv --schema JSON [--holdout CSV]
 *                   [--secret COL[,COL]] [--generator-cmd "PROG ARG ..."] [--db FILE] [--out DIR] [--json] ...
 *
 * The command line only: it parses and checks the options, reads the tables,
 * runs the audit (attacks/release.h: singling out, linkability, inference and
 * membership, each against the holdout as control), plays the optional
 * shadow-generator game (harness/run.h), stores everything
 * (harness/audit_store.h) and has the reports module draw OUT/report.md
 * (reports/report.h, the audit kind of reports/report_audit.c) from the
 * database it just wrote; --json prints the verdict from it too.
 *
 * Every input is read and checked before anything is written: bad input exits
 * 2 with a message naming the file, line or option, and leaves no output.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "attacks/release.h"
#include "core/util.h"
#include "generators/gen.h"
#include "harness/args.h"
#include "harness/audit_store.h"
#include "harness/cli.h"
#include "harness/progress.h"
#include "harness/config.h"
#include "harness/run.h"
#include "harness/store.h"
#include "reports/report.h"
#include "reports/report_audit.h"

#define CMD "audit"
#define MAX_LISTS 64
#define MAX_ARGV 64

/* ---- options ---- */

typedef struct audit_args {
    const char *real, *synth, *schema, *holdout, *gen_cmd, *db, *out, *link;
    const char *secret_list[MAX_LISTS], *qi_list[MAX_LISTS];
    size_t n_secret_list, n_qi_list;
    uint64_t seed, k, bins, games, targets, train_size, jobs, so_attacks, so_cols;
    int scaling, quiet, json, figures;
    double alpha, epsilon, delta, threshold;
} audit_args;

static void audit_usage(FILE *f)
{
    fprintf(f,
            "usage: privaudit audit --real REAL.csv --synth SYNTH.csv --schema JSON [--holdout HOLDOUT.csv]\n"
            "                       [--secret COL[,COL...]] [--qi COL[,COL...]] [--link A1,A2:B1,B2]\n"
            "                       [--generator-cmd \"PROG ARG ...\"] [--db FILE] [--out DIR] [--json] [--no-figures]\n"
            "                       [--alpha A] [--threshold T] [--predicates N] [--predicate-cols C] [--k K]\n"
            "                       [--bins B] [--scaling global|cond] [--seed S] [--jobs J] [--quiet]\n"
            "                       [--games G] [--targets T] [--train-size N] [--epsilon E] [--delta D]\n\n"
            "The audit a data custodian runs before publishing SYNTH.csv, made from REAL.csv. Every attack runs\n"
            "against the real records and, the same way, against HOLDOUT.csv, real records from the same source\n"
            "that the generator never saw (the control); the risk is the excess, (r_real - r_control) /\n"
            "(1 - r_control), with Anonymeter's interval (Giomi et al. 2023). Without --holdout no excess can be\n"
            "measured and the report says so. The risks:\n"
            "  - singling out: predicates built from the synthetic data that match one record (univariate and\n"
            "    multivariate) and match exactly one real record;\n"
            "  - linkability: joining a person's columns A to their columns B through the nearest synthetic\n"
            "    record (default: the quasi-identifiers against the other columns);\n"
            "  - inference, per secret column: the nearest synthetic record, a classifier trained on the\n"
            "    synthetic data and linear reconstruction (Annamalai et al. 2024) guess the secret from the\n"
            "    quasi-identifiers (schema role \"qi\");\n"
            "  - membership: distance to the closest synthetic record, threshold chosen on half the records.\n"
            "Each is checked against a naive attack that ignores the release. With --generator-cmd, also the\n"
            "shadow-generator membership game of `privaudit run` on that program as a black box (argv, no shell;\n"
            "placeholders {train} {out} {rows} {seed} {epsilon} {delta}, see docs/generators.md).\n"
            "Writes the database (docs/audit.md) and OUT/report.md with its tables (CSV, LaTeX) and figure\n"
            "(PDF, SVG, PNG); `privaudit report --db FILE --out DIR` draws the same report again. Progress on\n"
            "stderr.\n\n"
            "  --secret COL     secret column(s), instead of the schema's roles (categorical columns)\n"
            "  --qi COL         the attacker's quasi-identifiers, instead of the schema's roles\n"
            "  --link A:B       linkability column sets, comma-separated, e.g. age,sex:income,health\n"
            "  --out DIR        output folder (default audit-out)\n"
            "  --db FILE        database (default OUT/audit.db; audits accumulate, one id each)\n"
            "  --json           print the verdict as one JSON object on stdout\n"
            "  --no-figures     do not run gnuplot\n"
            "  --alpha A        error level: every interval at 1 - A/(number of attacks) (default 0.05)\n"
            "  --threshold T    flag a risk whose interval lies above T (default 0: any significant excess)\n"
            "  --predicates N   singling-out predicates per mode (default 1000); --predicate-cols C columns\n"
            "                   of a multivariate one (default 3)\n"
            "  --k K            largest query order of the reconstruction, secret included (2..%d, default 3)\n"
            "  --bins B         bins per numeric quasi-identifier for inference (default %d)\n"
            "  --scaling S      reconstruction: synthetic counts scaled by n/m (global, default) or cond\n"
            "  --seed S         slices, splits, random predicates, shadow game (default 1)\n"
            "  --jobs J         worker threads for every step and the shadow game (default 1); results do\n"
            "                   not depend on J\n"
            "  --games G        shadow games (default 100); --targets T challenge records (default 5)\n"
            "  --train-size N   shadow training set size (default min(1000, population/2))\n"
            "  --epsilon E      the generator's claimed epsilon for the shadow game (default inf), --delta D\n",
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
    a->threshold = REL_DEFAULT_THRESHOLD;
    a->so_attacks = 1000;
    a->so_cols = 3;
    a->figures = 1;
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
        if (!strcmp(argv[i], "--json")) {
            a->json = 1;
            continue;
        }
        if (!strcmp(argv[i], "--no-figures")) {
            a->figures = 0;
            continue;
        }
        static const char *const opts[] = {"--real",    "--synth",  "--schema",  "--holdout",      "--generator-cmd",
                                           "--db",      "--out",    "--secret",  "--seed",         "--k",
                                           "--bins",    "--games",  "--targets", "--train-size",   "--jobs",
                                           "--scaling", "--alpha",  "--epsilon", "--delta",        "--qi",
                                           "--link",    "--threshold", "--predicates", "--predicate-cols", NULL};
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
        case 19: {
            const char **list = o == 7 ? a->secret_list : a->qi_list;
            size_t *nl = o == 7 ? &a->n_secret_list : &a->n_qi_list;
            if (*nl >= MAX_LISTS) {
                fprintf(stderr, "privaudit audit: %s: at most %d options\n", opts[o], MAX_LISTS);
                return -1;
            }
            list[(*nl)++] = v;
            break;
        }
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
        case 18:
            if (args_double(CMD, "--delta", v, 0, 0.999999, &a->delta))
                return -1;
            break;
        case 20: a->link = v; break;
        case 21:
            if (args_double(CMD, "--threshold", v, 0, 0.99, &a->threshold))
                return -1;
            break;
        case 22:
            if (args_u64(CMD, "--predicates", v, 1, 1000000, &a->so_attacks))
                return -1;
            break;
        default:
            if (args_u64(CMD, "--predicate-cols", v, 1, REL_MAX_SO_COLS, &a->so_cols))
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

static int words_have(char **w, int nw, const char *ph)
{
    for (int i = 0; i < nw; i++)
        if (strstr(w[i], ph))
            return 1;
    return 0;
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

/* ---- column lists ---- */

/* Appends the columns named in a comma-separated list to cols (no
 * duplicates). */
static int parse_columns(const schema *s, const char *list, const char *what, int *cols, size_t *n, size_t cap,
                         pa_err *err)
{
    char buf[4096], *save = NULL;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int j = schema_col(s, tok);
        if (j < 0)
            return pa_errf(err, PA_EINPUT, "%s %s: the schema has no such column", what, tok);
        int dup = 0;
        for (size_t k = 0; k < *n; k++)
            dup |= cols[k] == j;
        if (!dup && *n < cap)
            cols[(*n)++] = j;
    }
    if (*n == 0)
        return pa_errf(err, PA_EINPUT, "%s \"%s\": expected column names", what, list);
    return PA_OK;
}

/* ---- progress: harness/progress.h ---- */

static void say(const audit_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const audit_args *a, const char *fmt, ...)
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

/* the shadow game: writes its config and plays it into db_path */
static int play_shadow(const audit_args *a, char **words, int nw, const char *real_abs, const char *schema_abs,
                       size_t train, size_t m, const char *db_path, char *config_path, size_t cap, size_t *failed,
                       pa_err *err)
{
    snprintf(config_path, cap, "%s/shadow-config.json", a->out);
    char *txt = shadow_config_json(a, words, nw, real_abs, schema_abs, train, m);
    config *c = NULL;
    int rc = txt ? util_write_file_atomic(config_path, txt, strlen(txt), err) : pa_errf(err, PA_ENOMEM, "out of memory");
    free(txt);
    if (!rc)
        rc = config_read(config_path, NULL, &c, err);
    if (!rc) {
        say(a, "shadow game: %llu games on \"%s\", training sets of %zu, %zu synthetic rows",
            (unsigned long long)a->games, a->gen_cmd, train, m);
        run_opts o = {.db_path = db_path, .jobs = (int)a->jobs, .resume = access(db_path, F_OK) == 0,
                      .progress = !a->quiet};
        run_summary sum = {0};
        rc = run_experiment(c, &o, &sum, err);
        *failed = sum.failed;
    }
    config_free(c);
    return rc;
}

static char *options_json(const audit_args *a, size_t train)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "alpha", a->alpha);
    cJSON_AddNumberToObject(o, "threshold", a->threshold);
    cJSON_AddNumberToObject(o, "predicates", (double)a->so_attacks);
    cJSON_AddNumberToObject(o, "predicate_cols", (double)a->so_cols);
    cJSON_AddNumberToObject(o, "k", (double)a->k);
    cJSON_AddNumberToObject(o, "bins", (double)a->bins);
    cJSON_AddStringToObject(o, "scaling", a->scaling == RECON_SCALE_COND ? "cond" : "global");
    cJSON_AddNumberToObject(o, "seed", (double)a->seed);
    if (a->gen_cmd) {
        cJSON_AddNumberToObject(o, "games", (double)a->games);
        cJSON_AddNumberToObject(o, "targets", (double)a->targets);
        cJSON_AddNumberToObject(o, "train_size", (double)train);
        if (isfinite(a->epsilon))
            cJSON_AddNumberToObject(o, "epsilon", a->epsilon);
        else
            cJSON_AddStringToObject(o, "epsilon", "inf");
        cJSON_AddNumberToObject(o, "delta", a->delta);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
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
    rel_result *res = NULL;
    char db_buf[PATH_MAX], real_abs[PATH_MAX], schema_abs[PATH_MAX], shadow_cfg[PATH_MAX] = "";
    char *opts_txt = NULL;
    int secrets[MAX_LISTS * 8], qis[256], la[256], lb[256];
    size_t n_sec = 0, n_qi = 0, n_la = 0, n_lb = 0, train = 0, shadow_m = 0;
    int rc = schema_read(a.schema, &s, &err);
    if (!rc && (rc = schema_check_scale(s, &err)))
        pa_err_prefix(&err, "%s", a.schema);
    if (!rc)
        rc = tbl_read_csv(a.real, s, &real, &err);
    if (!rc)
        rc = tbl_read_csv(a.synth, s, &synth, &err);
    if (!rc && a.holdout)
        rc = tbl_read_csv(a.holdout, s, &hold, &err);
    if (!rc && real->n < 2)
        rc = pa_errf(&err, PA_EINPUT, "%s: %zu records: expected at least 2", a.real, real->n);
    if (!rc && synth->n == 0)
        rc = pa_errf(&err, PA_EINPUT, "%s: no records", a.synth);
    if (!rc && hold && hold->n < 2)
        rc = pa_errf(&err, PA_EINPUT, "%s: %zu records: expected at least 2", a.holdout, hold->n);
    for (size_t i = 0; i < a.n_secret_list && !rc; i++)
        rc = parse_columns(s, a.secret_list[i], "--secret", secrets, &n_sec, sizeof secrets / sizeof *secrets, &err);
    for (size_t i = 0; i < a.n_qi_list && !rc; i++)
        rc = parse_columns(s, a.qi_list[i], "--qi", qis, &n_qi, sizeof qis / sizeof *qis, &err);
    if (!rc && a.link) {
        const char *colon = strchr(a.link, ':');
        char left[4096];
        if (!colon || colon == a.link || !colon[1]) {
            rc = pa_errf(&err, PA_EINPUT, "--link \"%s\": expected two comma-separated column lists joined by ':'",
                         a.link);
        } else {
            snprintf(left, sizeof left, "%.*s", (int)(colon - a.link), a.link);
            rc = parse_columns(s, left, "--link", la, &n_la, 256, &err);
            if (!rc)
                rc = parse_columns(s, colon + 1, "--link", lb, &n_lb, 256, &err);
        }
    }
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
    /* the audit itself: computing only, so a bad secret or QI still leaves nothing written */
    if (!rc) {
        char qn[4096] = "";
        for (size_t j = 0; j < s->d; j++)
            if (s->cols[j].roles & ROLE_QI) {
                size_t l = strlen(qn);
                snprintf(qn + l, sizeof qn - l, "%s%s", l ? ", " : "", s->cols[j].name);
            }
        if (hold)
            say(&a, "%zu real, %zu synthetic and %zu holdout (control) records", real->n, synth->n, hold->n);
        else
            say(&a, "%zu real and %zu synthetic records; no holdout: no excess over a control can be measured",
                real->n, synth->n);
        rel_opts ro;
        rel_opts_default(&ro);
        cli_progress pg;
        cli_progress_init(&pg, "audit", a.quiet);
        ro.secrets = n_sec ? secrets : NULL;
        ro.n_secrets = n_sec;
        ro.qi = n_qi ? qis : NULL;
        ro.n_qi = n_qi;
        ro.link_a = n_la ? la : NULL;
        ro.link_b = n_lb ? lb : NULL;
        ro.n_link_a = n_la;
        ro.n_link_b = n_lb;
        ro.so_attacks = a.so_attacks;
        ro.so_cols = a.so_cols;
        ro.k = (int)a.k;
        ro.bins = a.bins;
        ro.scaling = a.scaling;
        ro.alpha = a.alpha;
        ro.threshold = a.threshold;
        ro.seed = a.seed;
        ro.jobs = (int)a.jobs;
        ro.progress = cli_progress_cb;
        ro.progress_ctx = &pg;
        rc = rel_audit(real, synth, hold, &ro, &res, &err);
        cli_progress_destroy(&pg);
        if (!rc)
            say(&a, "audit computed in %.1f s: %s", res->seconds, res->flagged ? "FLAGGED" : "no risk flagged");
    }
    if (!rc && !(opts_txt = options_json(&a, train)))
        rc = pa_errf(&err, PA_ENOMEM, "out of memory");
    if (rc) {
        fprintf(stderr, "privaudit audit: %s\n", err.msg);
        goto done;
    }
    snprintf(db_buf, sizeof db_buf, "%s/audit.db", a.out);
    const char *db_path = a.db ? a.db : db_buf;

    /* ---- from here on, output is written ---- */
    if ((rc = util_mkdir_p(a.out, &err))) {
        fprintf(stderr, "privaudit audit: %s\n", err.msg);
        goto done;
    }
    int partial = 0;
    for (size_t i = 0; i < res->n_attacks; i++)
        if (res->attacks[i].r.status == RISK_NOT_RUN) {
            partial = 1;
            say(&a, "%s (%s) not assessed: %s", res->attacks[i].risk, res->attacks[i].name, res->attacks[i].note);
        }
    pa_err serr = {0};
    int shadow_ok = 0;
    if (a.gen_cmd) {
        size_t failed = 0;
        if (play_shadow(&a, words, nw, real_abs, schema_abs, train, shadow_m, db_path, shadow_cfg, sizeof shadow_cfg,
                        &failed, &serr)) {
            say(&a, "shadow game failed: %s", serr.msg);
            partial = 1;
        } else {
            shadow_ok = 1;
            partial |= failed > 0;
        }
    }
    store *st = NULL;
    long long audit_id = 0;
    audit_meta meta = {.real_path = a.real, .synth_path = a.synth, .holdout_path = a.holdout, .schema_path = a.schema,
                       .real = real, .synth = synth, .holdout = hold, .options_json = opts_txt,
                       .generator_cmd = a.gen_cmd, .shadow_config = shadow_ok ? shadow_cfg : NULL,
                       .shadow_error = a.gen_cmd && !shadow_ok ? serr.msg : NULL};
    rc = store_open(db_path, &st, &err);
    if (!rc)
        rc = audit_store_write(st, &meta, res, &audit_id, &err);
    store_close(st);
    if (!rc) {
        report_opts ro = {.db_path = db_path, .out_dir = a.out, .figures = a.figures, .style = PLOT_SCREEN,
                          .kinds = REPORT_KIND_AUDIT};
        report_result rr;
        rc = report_write(&ro, &rr, &err);
        if (!rc && rr.figures_failed)
            say(&a, "figure not drawn: %s", rr.figures_msg);
    }
    if (!rc && a.json) {
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
            rc = pa_errf(&err, PA_EIO, "%s: cannot open: %s", db_path, sqlite3_errmsg(db));
        if (!rc)
            rc = report_audit_json(db, audit_id, stdout, &err);
        sqlite3_close(db);
    }
    if (rc) {
        fprintf(stderr, "privaudit audit: %s\n", err.msg);
    } else {
        say(&a, "report: %s/report.md; database: %s (audit id %lld)", a.out, db_path, audit_id);
        if (partial)
            rc = PA_EINTERNAL;
    }
done:
    rel_result_free(res);
    free(opts_txt);
    tbl_free(real);
    tbl_free(synth);
    tbl_free(hold);
    schema_free(s);
    return rc == PA_OK ? 0 : rc == PA_EINPUT ? 2 : 1;
}
