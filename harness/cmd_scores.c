/* cmd_scores.c — scores in and out of the estimators:
 *   privaudit epsilon --scores FILE [--calibration SHARE] [--seed S] [--delta D] [--alpha A]
 *                     [--claimed E] [--rho R] [--json]
 *   privaudit export-scores --db D --cell N --attack LABEL [--target T] --out F.csv
 * The CSV is `score,member[,split]` (docs/estimators.md, "Scores from any
 * attack"); the estimates are audit/cellest.h's, the very function `run`
 * stores, so the exported scores of a run give back its stored rows. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "audit/cellest.h"
#include "audit/verdict.h"
#include "core/rng.h"
#include "core/util.h"
#include "generators/gen.h"
#include "harness/args.h"
#include "harness/cli.h"
#include "harness/store.h"

int cmd_epsilon_scores(int argc, char **argv);

static void scores_usage(FILE *f)
{
    fprintf(f,
            "usage: privaudit epsilon --scores FILE [--calibration SHARE] [--seed S] [--delta D]\n"
            "                         [--alpha A] [--claimed E] [--rho R [--gaussian]] [--json]\n\n"
            "Every estimate a run stores, from a CSV of an attack's scores: header `score,member` or\n"
            "`score,member,split`; score a finite number (higher = more likely a member), member 0 or 1,\n"
            "split `calibration` or `test`. The threshold is chosen on the calibration rows and counted\n"
            "on the test rows (docs/metrics.md).\n\n"
            "  --calibration SHARE  without a split column: the share of rows (0.05..0.95, default 0.5)\n"
            "                       drawn as the calibration split with --seed (default 1)\n"
            "  --delta D            delta of the estimates (default 1e-5)\n"
            "  --alpha A            two-sided level (default 0.1): each end a one-sided (1 - A/2) bound\n"
            "  --claimed E          claimed epsilon: P(eps > E), each row's own flag at alpha/2, and the\n"
            "                       verdict a run's report gives one attack and target: the Bayesian (and\n"
            "                       with --rho the profile) test, family-wise at alpha/2 (docs/metrics.md)\n"
            "  --rho R              the generator's rho-zCDP accounting: mu_theory = sqrt(2 rho) and the\n"
            "                       profile test against the rho-zCDP profile (docs/metrics.md)\n"
            "  --gaussian           with --rho: the mechanism is Gaussian measurements only, so the profile\n"
            "                       test uses the mu-GDP curve, mu = sqrt(2 rho) (sound only then)\n"
            "  --json               one JSON object: n, n_calibration, delta, alpha, estimates [{method, lo,\n"
            "                       point, hi, threshold, tp, fn, fp, tn, claimed, p_exceeds, violation}] and,\n"
            "                       with --claimed, verdict {tests, violation[, by]}; notes [text] when a\n"
            "                       split lacks members or non-members\n");
}

/* A number printed with 17 significant digits, so that it reads back as the same double (cJSON's own
 * printing settles for 15 when they agree to within DBL_EPSILON); null when not finite. */
static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v)) {
        char b[40];
        snprintf(b, sizeof b, "%.17g", v);
        cJSON_AddRawToObject(o, k, b);
    } else {
        cJSON_AddNullToObject(o, k);
    }
}

/* Reads FILE; exit code 2 with file:line:field on bad input. */
static int read_scores(const char *path, double **score, int **member, int **is_cal, size_t *n, int *has_split)
{
    *score = NULL;
    *member = *is_cal = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "privaudit epsilon: --scores: %s: cannot open (%s)\n", path, strerror(errno));
        return 2;
    }
    char *line = NULL;
    size_t cap = 0, cap_rows = 0, lineno = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (strlen(line) != (size_t)len) { /* a NUL would silently end the line's last field */
            fprintf(stderr, "privaudit epsilon: %s:%zu: contains a NUL byte: expected a text CSV file\n", path,
                    lineno);
            rc = 2;
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (lineno == 1) {
            if (!strncmp(line, "\xef\xbb\xbf", 3)) /* a UTF-8 byte-order mark (spreadsheets write one), as tbl_read_csv */
                memmove(line, line + 3, (size_t)len - 2), len -= 3;
            if (!strcmp(line, "score,member"))
                *has_split = 0;
            else if (!strcmp(line, "score,member,split"))
                *has_split = 1;
            else {
                fprintf(stderr, "privaudit epsilon: %s:1: header: expected `score,member` or "
                                "`score,member,split`, got `%.60s`\n", path, line);
                rc = 2;
                break;
            }
            continue;
        }
        char *fld[4] = {0};
        int nf = 0;
        for (char *p = line, *q; nf < 4; nf++) {
            fld[nf] = p;
            if (!(q = strchr(p, ','))) {
                nf++;
                break;
            }
            *q = 0;
            p = q + 1;
        }
        int want = *has_split ? 3 : 2;
        if (nf != want) {
            fprintf(stderr, "privaudit epsilon: %s:%zu: expected %d comma-separated fields (%s), got %d\n", path,
                    lineno, want, *has_split ? "score,member,split" : "score,member", nf);
            rc = 2;
            break;
        }
        char *end;
        errno = 0;
        double s = strtod(fld[0], &end);
        if (!*fld[0] || *end || errno == ERANGE || !isfinite(s)) {
            fprintf(stderr, "privaudit epsilon: %s:%zu: score: expected a finite number, got `%.40s`\n", path,
                    lineno, fld[0]);
            rc = 2;
            break;
        }
        if (strcmp(fld[1], "0") && strcmp(fld[1], "1")) {
            fprintf(stderr, "privaudit epsilon: %s:%zu: member: expected 0 or 1, got `%.40s`\n", path, lineno,
                    fld[1]);
            rc = 2;
            break;
        }
        int cal = 0;
        if (*has_split) {
            if (!strcmp(fld[2], "calibration"))
                cal = 1;
            else if (strcmp(fld[2], "test")) {
                fprintf(stderr, "privaudit epsilon: %s:%zu: split: expected `calibration` or `test`, got "
                                "`%.40s`\n", path, lineno, fld[2]);
                rc = 2;
                break;
            }
        }
        if (*n == cap_rows) {
            cap_rows = cap_rows ? 2 * cap_rows : 1024;
            double *ns = realloc(*score, cap_rows * sizeof *ns);
            if (ns)
                *score = ns;
            int *nm = realloc(*member, cap_rows * sizeof *nm);
            if (nm)
                *member = nm;
            int *nc = realloc(*is_cal, cap_rows * sizeof *nc);
            if (nc)
                *is_cal = nc;
            if (!ns || !nm || !nc) {
                fprintf(stderr, "privaudit epsilon: out of memory\n");
                rc = 1;
                break;
            }
        }
        (*score)[*n] = s;
        (*member)[*n] = fld[1][0] == '1';
        (*is_cal)[*n] = cal;
        (*n)++;
    }
    if (!rc && ferror(f)) {
        fprintf(stderr, "privaudit epsilon: --scores: %s: read error\n", path);
        rc = 2;
    }
    if (!rc && lineno == 0) {
        fprintf(stderr, "privaudit epsilon: %s: empty file: expected the header `score,member[,split]`\n", path);
        rc = 2;
    }
    if (!rc && *n == 0) {
        fprintf(stderr, "privaudit epsilon: %s: no rows after the header\n", path);
        rc = 2;
    }
    free(line);
    fclose(f);
    return rc;
}

int cmd_epsilon_scores(int argc, char **argv)
{
    static const char *const opts[] = {"--scores", "--calibration", "--seed", "--delta", "--alpha",
                                       "--claimed", "--rho", NULL};
    double val[7] = {NAN, NAN, NAN, 1e-5, 0.1, INFINITY, NAN};
    static const double lo_lim[7] = {0, 0.05, 0, 0, 1e-12, 0, 0};
    static const double hi_lim[7] = {0, 0.95, 0, 0.5, 0.999999, 1e3, 1e6}; /* --scores, --seed: not numbers */
    const char *path = NULL;
    int json = 0, gaussian = 0;
    uint64_t seed = 1;
    const char *v;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            scores_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        if (!strcmp(argv[i], "--gaussian")) {
            gaussian = 1;
            continue;
        }
        size_t o = 0;
        int r = 0;
        while (opts[o] && !(r = args_opt(argc, argv, &i, "epsilon", opts[o], &v)))
            o++;
        if (r < 0)
            return 2;
        if (r == 0) {
            fprintf(stderr, "privaudit epsilon: %s: unknown option with --scores (expected one of --calibration "
                            "--seed --delta --alpha --claimed --rho --gaussian --json --help)\n", argv[i]);
            return 2;
        }
        if (o == 0) {
            path = v;
            if (args_in_file("epsilon", "--scores", v))
                return 2;
        } else if (o == 2) {
            if (args_u64("epsilon", "--seed", v, 0, UINT64_MAX, &seed))
                return 2;
            val[2] = 0; /* given */
        } else if (args_double("epsilon", opts[o], v, lo_lim[o], hi_lim[o], &val[o]))
            return 2;
    }
    if (!isnan(val[6]) && !(val[6] > 0)) {
        fprintf(stderr, "privaudit epsilon: --rho: expected a number > 0\n");
        return 2;
    }
    if (gaussian && isnan(val[6])) {
        fprintf(stderr, "privaudit epsilon: --gaussian: needs --rho (the Gaussian mechanism's rho)\n");
        return 2;
    }
    double *score;
    int *member, *is_cal, has_split = 0;
    size_t n;
    int rc = read_scores(path, &score, &member, &is_cal, &n, &has_split);
    if (rc)
        goto out;
    if (has_split && !isnan(val[1])) {
        fprintf(stderr, "privaudit epsilon: --calibration: %s has a split column; the option is for a file "
                        "without one\n", path);
        rc = 2;
        goto out;
    }
    if (!has_split) {
        /* a random calibration set of round(share·n) rows, with the seed */
        double share = isnan(val[1]) ? 0.5 : val[1];
        size_t *perm = pa_malloc(n, sizeof *perm);
        gsl_rng *r = rng_stream(seed, 0);
        if (!perm || !r) {
            free(perm);
            if (r)
                gsl_rng_free(r);
            fprintf(stderr, "privaudit epsilon: out of memory\n");
            rc = 1;
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)rng_below(r, i), t = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = t;
        }
        size_t nc = (size_t)llround(share * (double)n);
        for (size_t i = 0; i < n; i++)
            is_cal[perm[i]] = i < nc;
        free(perm);
        gsl_rng_free(r);
    } else if (!isnan(val[2])) {
        fprintf(stderr, "privaudit epsilon: --seed: %s has a split column; nothing is drawn\n", path);
        rc = 2;
        goto out;
    }
    size_t n1 = 0, nc = 0, nc1 = 0, nt1 = 0;
    for (size_t i = 0; i < n; i++) {
        n1 += member[i];
        nc += is_cal[i];
        nc1 += is_cal[i] && member[i];
        nt1 += !is_cal[i] && member[i];
    }
    /* a split without one of the classes gives no threshold (calibration) or no counts (test):
     * said in words, never left to a missing row */
    char note[2][200] = {"", ""};
    if (nc1 == 0 || nc1 == nc)
        snprintf(note[0], sizeof note[0], "the calibration split (%zu of %zu rows) holds no %s: no threshold "
                 "can be chosen on it, the counts are at threshold +inf", nc, n, nc1 ? "non-members" : "members");
    if (nt1 == 0 || nt1 == n - nc)
        snprintf(note[1], sizeof note[1], "the test split (%zu of %zu rows) holds no %s: no counts, so no "
                 "point, clopper_pearson or bayes estimate and no verdict", n - nc, n,
                 nt1 ? "non-members" : "members");
    if (n1 == 0 || n1 == n) {
        fprintf(stderr, "privaudit epsilon: %s: member: expected both members (1) and non-members (0), got "
                        "only %s\n", path, n1 ? "members" : "non-members");
        rc = 2;
        goto out;
    }
    cellest_in in = {.score = score, .member = member, .is_cal = is_cal, .n = n, .delta = val[3],
                     .alpha = val[4], .claimed = val[5], .rho = val[6], .gaussian = gaussian};
    cellest_row rows[CELLEST_MAX_ROWS];
    size_t nr;
    pa_err err = {0};
    if (cellest_compute(&in, rows, &nr, &err)) {
        fprintf(stderr, "privaudit epsilon: %s\n", err.msg);
        rc = err.code == PA_EINPUT ? 2 : 1;
        goto out;
    }
    /* the family-wise verdict a run's report gives this one attack and target:
     * the Bayesian and the profile test (audit/verdict.h) */
    verdict_test vt[2];
    size_t vk = 0;
    for (size_t k = 0; k < nr; k++)
        if (isfinite(rows[k].claimed) && (!strcmp(rows[k].method, "bayes") || !strcmp(rows[k].method, "profile")))
            vt[vk++] = (verdict_test){.method = rows[k].method, .claimed = rows[k].claimed, .delta = val[3],
                                      .alpha = val[4], .tp = rows[k].tp, .fn = rows[k].fn, .fp = rows[k].fp,
                                      .tn = rows[k].tn, .p_exceeds = rows[k].p_exceeds};
    verdict vd = {.k = 0, .reject = SIZE_MAX};
    if (vk && verdict_family(vt, vk, &vd, &err)) {
        fprintf(stderr, "privaudit epsilon: %s: the verdict: %s\n", path, err.msg);
        rc = 1;
        goto out;
    }
    if (json) {
        cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
        cJSON_AddNumberToObject(o, "n", (double)n);
        cJSON_AddNumberToObject(o, "n_calibration", (double)nc);
        cJSON_AddNumberToObject(o, "delta", val[3]);
        cJSON_AddNumberToObject(o, "alpha", val[4]);
        add_num(o, "claimed", val[5]);
        add_num(o, "rho", val[6]);
        cJSON_AddBoolToObject(o, "gaussian", gaussian);
        for (size_t k = 0; k < nr; k++) {
            const cellest_row *w = &rows[k];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "method", w->method);
            add_num(e, "lo", w->lo);
            add_num(e, "point", w->point);
            add_num(e, "hi", w->hi);
            add_num(e, "threshold", w->threshold);
            add_num(e, "tp", w->tp);
            add_num(e, "fn", w->fn);
            add_num(e, "fp", w->fp);
            add_num(e, "tn", w->tn);
            add_num(e, "claimed", w->claimed);
            add_num(e, "p_exceeds", w->p_exceeds);
            cJSON_AddBoolToObject(e, "violation", w->violation);
            cJSON_AddItemToArray(arr, e);
        }
        cJSON_AddItemToObject(o, "estimates", arr);
        if (note[0][0] || note[1][0]) {
            cJSON *na = cJSON_CreateArray();
            for (int q = 0; q < 2; q++)
                if (note[q][0])
                    cJSON_AddItemToArray(na, cJSON_CreateString(note[q]));
            cJSON_AddItemToObject(o, "notes", na);
        }
        if (vk) {
            cJSON *vj = cJSON_CreateObject();
            cJSON_AddNumberToObject(vj, "tests", (double)vd.k);
            cJSON_AddBoolToObject(vj, "violation", vd.reject != SIZE_MAX);
            if (vd.reject != SIZE_MAX)
                cJSON_AddStringToObject(vj, "by", vt[vd.reject].method);
            cJSON_AddItemToObject(o, "verdict", vj);
        }
        char *s = cJSON_Print(o);
        cJSON_Delete(o);
        if (!s) {
            fprintf(stderr, "privaudit epsilon: out of memory\n");
            rc = 1;
            goto out;
        }
        printf("%s\n", s);
        cJSON_free(s);
        goto out;
    }
    printf("%zu scores (%zu members), %zu calibration / %zu test   delta=%g   alpha=%g\n\n", n, n1, nc, n - nc,
           val[3], val[4]);
    printf("%-16s %11s %11s %11s %12s %8s %8s %8s %8s %10s %s\n", "method", "lower", "point", "upper",
           "threshold", "TP", "FN", "FP", "TN", "P(exceeds)", "own flag (alpha/2)");
    for (size_t k = 0; k < nr; k++) {
        const cellest_row *w = &rows[k];
        /* a field an estimator does not have is "-", never "nan" */
        const double col[9] = {w->lo, w->point, w->hi, w->threshold, w->tp, w->fn, w->fp, w->tn, w->p_exceeds};
        static const int width[9] = {11, 11, 11, 12, 8, 8, 8, 8, 10}, prec[9] = {5, 5, 5, 6, 0, 0, 0, 0, 4};
        printf("%-16s", w->method);
        for (int j = 0; j < 9; j++) {
            if (!isfinite(col[j]))
                printf(" %*s", width[j], "-");
            else if (j >= 4 && j < 8) /* counts */
                printf(" %*.0f", width[j], col[j]);
            else
                printf(" %*.*g", width[j], prec[j], col[j]);
        }
        printf(" %s\n", w->violation ? "VIOLATION" : "");
    }
    for (size_t k = 0; k < nr; k++)
        if (!strcmp(rows[k].method, "gdp_fit") && isfinite(rows[k].claimed))
            printf("\nGDP fit: mu in [%.4g, %.4g], point %.4g; mu_theory = sqrt(2 rho) = %.4g; point/theory = %.3g\n",
                   rows[k].lo, rows[k].hi, rows[k].point, rows[k].claimed, rows[k].point / rows[k].claimed);
    if (vk && vd.reject != SIZE_MAX)
        printf("\nverdict: VIOLATION of the claimed epsilon %g: the %s test rejects at alpha/(2k), k = %zu tests "
               "(family-wise, as a run's report; docs/metrics.md)\n", val[5],
               strcmp(vt[vd.reject].method, "bayes") ? "profile" : "Bayesian", vd.k);
    else if (vk)
        printf("\nverdict: no violation of the claimed epsilon %g seen (k = %zu tests, family-wise at alpha/2; "
               "docs/metrics.md)\n", val[5], vd.k);
    else if (isfinite(val[5]))
        printf("\nverdict: none for the claimed epsilon %g (no Bayesian or profile test could be computed)\n",
               val[5]);
    for (int q = 0; q < 2; q++)
        if (note[q][0])
            printf("\nnote: %s.\n", note[q]);
    printf("\ngdp_fit: mu of the Gaussian trade-off curve (units of mu, not epsilon); profile: P(the operating\n"
           "point lies beyond the %s region's edge chosen on the calibration split) at its own threshold\n"
           "(docs/metrics.md).\n",
           gaussian ? "mu-GDP" : "rho-zCDP");
out:
    free(score);
    free(member);
    free(is_cal);
    return rc;
}

static void export_usage(FILE *f)
{
    fprintf(f,
            "usage: privaudit export-scores --db D --cell N --attack LABEL [--target T] --out F.csv\n\n"
            "Writes one (cell, attack) of a run's stored scores as `score,member,split` (the split the run\n"
            "used), in the order the run's estimates read them, and prints the `privaudit epsilon --scores`\n"
            "command that gives back the run's stored estimates exactly. --target T: one target's scores\n"
            "(default: every target, pooled).\n");
}

int cmd_export_scores(int argc, char **argv);

int cmd_export_scores(int argc, char **argv)
{
    static const char *const opts[] = {"--db", "--cell", "--attack", "--target", "--out", NULL};
    const char *val[5] = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            export_usage(stdout);
            return 0;
        }
        size_t o = 0;
        int r = 0;
        const char *v;
        while (opts[o] && !(r = args_opt(argc, argv, &i, "export-scores", opts[o], &v)))
            o++;
        if (r < 0)
            return 2;
        if (r == 0) {
            fprintf(stderr, "privaudit export-scores: %s: unknown option (expected one of --db --cell --attack "
                            "--target --out --help)\n", argv[i]);
            return 2;
        }
        val[o] = v;
    }
    for (size_t o = 0; o < 5; o++)
        if (o != 3 && !val[o]) {
            fprintf(stderr, "privaudit export-scores: %s: missing\n", opts[o]);
            return 2;
        }
    uint64_t cell, target = 0;
    if (args_u64("export-scores", "--cell", val[1], 0, INT64_MAX, &cell) ||
        (val[3] && args_u64("export-scores", "--target", val[3], 0, INT64_MAX, &target)) ||
        args_text("export-scores", "--attack", val[2], 0) || args_in_file("export-scores", "--db", val[0]))
        return 2;
    const args_input ins[] = {{"--db", val[0]}, {NULL, NULL}};
    if (args_out_file("export-scores", "--out", val[4], ins))
        return 2;
    if (access(val[0], R_OK) != 0) {
        fprintf(stderr, "privaudit export-scores: --db: %s: cannot read (%s)\n", val[0], strerror(errno));
        return 2;
    }
    pa_err err = {0};
    store *st = NULL;
    double *score = NULL;
    int *member = NULL, *is_cal = NULL;
    size_t n = 0;
    int64_t tid = val[3] ? (int64_t)target : -1;
    int rc = store_open(val[0], &st, &err);
    if (!rc)
        rc = store_scores(st, (int64_t)cell, val[2], tid, &score, &member, &is_cal, &n, &err);
    double alpha = NAN, delta = NAN, claimed = NAN, rho = NAN;
    if (!rc)
        rc = store_estimate_params(st, (int64_t)cell, val[2], tid, &alpha, &delta, &claimed, &err);
    if (!rc)
        rc = store_cell_rho(st, (int64_t)cell, &rho, &err);
    char gname[64];
    if (!rc)
        rc = store_cell_generator(st, (int64_t)cell, gname, sizeof gname, &err);
    const gen_vtable *gv = gen_find(gname);
    if (rc) {
        fprintf(stderr, "privaudit export-scores: %s\n", err.msg);
        store_close(st);
        return rc == PA_EINPUT ? 2 : 1;
    }
    store_close(st);
    if (n == 0) {
        fprintf(stderr, "privaudit export-scores: %s: no stored score for cell %s, attack \"%s\"%s%s\n", val[0],
                val[1], val[2], val[3] ? ", target " : "", val[3] ? val[3] : "");
        free(score);
        free(member);
        free(is_cal);
        return 2;
    }
    size_t cap = 64 + n * 48, len = 0;
    char *buf = malloc(cap);
    if (buf) {
        len += (size_t)snprintf(buf, cap, "score,member,split\n");
        for (size_t i = 0; i < n; i++)
            len += (size_t)snprintf(buf + len, cap - len, "%.17g,%d,%s\n", score[i], member[i] ? 1 : 0,
                                    is_cal[i] ? "calibration" : "test");
    }
    free(score);
    free(member);
    free(is_cal);
    if (!buf) {
        fprintf(stderr, "privaudit export-scores: out of memory\n");
        return 1;
    }
    rc = util_write_file_atomic(val[4], buf, len, &err);
    free(buf);
    if (rc) {
        fprintf(stderr, "privaudit export-scores: --out: %s\n", err.msg);
        return rc == PA_EINPUT ? 2 : 1;
    }
    printf("%zu scores written to %s\n", n, val[4]);
    if (!isnan(delta)) {
        printf("privaudit epsilon --scores %s --delta %.17g --alpha %.17g", val[4], delta, alpha);
        if (isfinite(claimed))
            printf(" --claimed %.17g", claimed);
        if (!isnan(rho))
            printf(" --rho %.17g%s", rho, gv && gv->gaussian_only ? " --gaussian" : "");
        printf("\n");
    }
    return 0;
}
