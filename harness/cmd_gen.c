/* cmd_gen.c — privaudit gen NAME --data CSV --schema JSON --epsilon E
 *             [--delta D] --rows M --out CSV [--param k=v ...] [--seed S] [--quiet] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "audit/utility.h"
#include "core/rng.h"
#include "core/util.h"
#include "generators/gen.h"
#include "harness/args.h"
#include "harness/cli.h"
#include "harness/progress.h"

static void gen_usage(FILE *f)
{
    fprintf(f, "usage: privaudit gen NAME --data CSV --schema JSON --epsilon E [--delta D] --rows M --out CSV\n"
               "                     [--param key=value ...] [--seed S] [--quiet]\n\n"
               "Fits generator NAME on the CSV and writes M synthetic rows. --epsilon inf fits without privacy.\n"
               "Parameter values are numbers, true/false, JSON arrays (starting with [) or strings. The privacy\n"
               "spent is printed on stderr, and so is the progress of long fits (aim's rounds; --quiet: none).\n\n"
               "generators:\n");
    for (const gen_vtable *const *g = gen_all(); *g; g++)
        fprintf(f, "  %-10s %s\n", (*g)->name, (*g)->summary);
}


int cmd_gen(int argc, char **argv)
{
    const char *name = NULL, *data = NULL, *sch = NULL, *out = NULL, *v;
    double eps = NAN, delta = 1e-5;
    uint64_t rows = 0, seed = 1;
    int r, have_rows = 0, quiet = 0;
    cJSON *params = cJSON_CreateObject();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            gen_usage(stdout);
            cJSON_Delete(params);
            return 0;
        }
        if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
            continue;
        }
        static const char *const opts[] = {"--data", "--schema", "--out", "--epsilon", "--delta",
                                           "--rows", "--seed", "--param", NULL};
        size_t o = 0;
        r = 0;
        while (opts[o] && !(r = args_opt(argc, argv, &i, "gen", opts[o], &v)))
            o++;
        if (r < 0)
            goto bad;
        if (r > 0) {
            switch (o) {
            case 0: data = v; break;
            case 1: sch = v; break;
            case 2: out = v; break;
            case 3:
                if (args_double("gen", "--epsilon", v, 1e-9, INFINITY, &eps))
                    goto bad;
                break;
            case 4:
                if (args_double("gen", "--delta", v, 0, 0.999999, &delta))
                    goto bad;
                break;
            case 5:
                if (args_u64("gen", "--rows", v, 1, 1000000000, &rows))
                    goto bad;
                have_rows = 1;
                break;
            case 6:
                if (args_u64("gen", "--seed", v, 0, UINT64_MAX, &seed))
                    goto bad;
                break;
            default:
                if (args_param("gen", params, v))
                    goto bad;
            }
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "privaudit gen: unknown option \"%s\" (see privaudit gen --help)\n", argv[i]);
            goto bad;
        } else if (!name) {
            name = argv[i];
        } else {
            fprintf(stderr, "privaudit gen: unexpected argument \"%s\"\n", argv[i]);
            goto bad;
        }
    }
    if (!name || !data || !sch || !out || isnan(eps) || !have_rows) {
        fprintf(stderr, "privaudit gen: expected NAME, --data, --schema, --epsilon, --rows and --out\n");
        goto bad;
    }
    const args_input gen_inputs[] = {{"--data", data}, {"--schema", sch}, {NULL, NULL}};
    if (args_in_file("gen", "--data", data) || args_in_file("gen", "--schema", sch) ||
        args_out_file("gen", "--out", out, gen_inputs))
        goto bad;
    pa_err err = {0};
    schema *s = NULL;
    table *t = NULL, *syn = NULL;
    gen_model *g = NULL;
    gsl_rng *rng = NULL;
    int rc = schema_read(sch, &s, &err);
    if (!rc && isfinite(eps) && s->inferred)
        rc = pa_errf(&err, PA_EINPUT,
                     "%s: the schema was inferred from data (\"inferred\": true); a DP run needs public bounds", sch);
    if (!rc)
        rc = tbl_read_csv(data, s, &t, &err);
    cli_progress pg;
    cli_progress_init(&pg, "gen", quiet);
    gen_config gc = {.epsilon = eps, .delta = delta, .params = params, .progress = cli_progress_cb,
                     .progress_ctx = &pg};
    if (!rc && !(rng = rng_stream(seed, 0)))
        rc = pa_errf(&err, PA_ENOMEM, "out of memory");
    if (!rc)
        rc = gen_fit(name, t, &gc, rng, &g, &err);
    if (!rc)
        rc = gen_sample(g, rows, rng, &syn, &err);
    if (!rc)
        rc = tbl_write_csv(syn, out, &err);
    if (!rc) {
        gen_privacy pv;
        gen_privacy_of(g, &pv);
        /* rho only where the accounting has one (zCDP, GDP; not RDP or pure epsilon) */
        char rho[48] = "";
        if (!isnan(pv.rho))
            snprintf(rho, sizeof rho, " rho=%g", pv.rho);
        fprintf(stderr, "[gen] %s: %zu training rows -> %llu synthetic rows in %s; spent epsilon=%g delta=%g%s (%s%s)\n",
                name, t->n, (unsigned long long)rows, out, pv.epsilon, pv.delta, rho, pv.accountant,
                pv.declared ? ", declared, not verified" : "");
    } else {
        fprintf(stderr, "privaudit gen: %s\n", err.msg);
    }
    cli_progress_destroy(&pg);
    gen_free(g);
    tbl_free(syn);
    tbl_free(t);
    schema_free(s);
    if (rng)
        gsl_rng_free(rng);
    cJSON_Delete(params);
    return rc == PA_OK ? 0 : rc == PA_EINPUT ? 2 : 1;
bad:
    cJSON_Delete(params);
    return 2;
}

/* ---- privaudit utility ---- */

#define UTIL_MAX_ALL_SETS 2e6 /* 3-way subsets compared when --max-sets is not given (C(230, 3) ~ 2e6) */

static void utility_usage(FILE *f)
{
    fprintf(f, "usage: privaudit utility --real CSV --synth CSV --schema JSON [--target COL] [--holdout CSV]\n"
               "                         [--model logreg|mlp|cnn] [--max-sets K] [--bins B] [--seed S] [--tstr-only]\n"
               "                         [--json]\n\n"
               "Compares a synthetic table with the real one: mean and max total variation distance of the\n"
               "1-, 2- and 3-way marginals (all subsets, or K random ones per order; without --max-sets a table\n"
               "with more than 2 million 3-way subsets, about 230 columns, is refused), the association-matrix\n"
               "difference, and with --target, train-on-synthetic-test-on-real accuracy and AUC of logistic\n"
               "regression (--model logreg, the default) or of an MLP classifier (--model mlp: one hidden\n"
               "layer of 100 ReLU units, Adam lr 1e-3, batch 128, 20 epochs, seeded by --seed) or of a\n"
               "ConvNet for square grey images (--model cnn: two blocks conv 3x3 with 32 channels, instance\n"
               "norm, ReLU, 2x2 average pool, then dense; Adam lr 1e-3, batch 128, 5 epochs), tested on\n"
               "--holdout if given (records the generator never saw), else on --real.\n"
               "With --holdout, the same classifier trained on --real is reported beside it as the reference.\n"
               "--tstr-only skips the marginals and associations (slow for wide tables such as images).\n"
               "Numeric columns are also compared on their raw values: Wasserstein-1 and Kolmogorov-Smirnov\n"
               "distances, means and quantiles, Pearson correlation differences over numeric pairs; a warning\n"
               "(stderr) when a synthetic column puts more than half its mass in one decile bin of the real\n"
               "column where the real one does not (a collapse), or when the binning of --bins puts more than\n"
               "half of the real column into one bin (marginal generators cannot see its shape).\n");
}

/* "0.6667", or why there is no AUC (util_tstr gives NAN for a target with
 * more than 2 codes or a test set of one class): never a printed nan. */
static void tstr_auc_text(char *buf, size_t cap, double auc)
{
    if (isnan(auc))
        snprintf(buf, cap, "n/a (the target has more than 2 classes, or the test set holds only one)");
    else
        snprintf(buf, cap, "%.4f", auc);
}

int cmd_utility(int argc, char **argv)
{
    const char *real_p = NULL, *syn_p = NULL, *sch_p = NULL, *target = NULL, *hold_p = NULL, *v;
    util_model model = UTIL_LOGREG;
    uint64_t max_sets = 0, bins = 0, seed = 1;
    int json = 0, tstr_only = 0, r;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            utility_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--tstr-only")) {
            tstr_only = 1;
            continue;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        static const char *const opts[] = {"--real", "--synth", "--schema", "--target", "--holdout",
                                           "--max-sets", "--bins", "--seed", "--model", NULL};
        size_t o = 0;
        r = 0;
        while (opts[o] && !(r = args_opt(argc, argv, &i, "utility", opts[o], &v)))
            o++;
        if (r < 0)
            return 2;
        if (r == 0) {
            fprintf(stderr, "privaudit utility: unknown argument \"%s\" (see privaudit utility --help)\n", argv[i]);
            return 2;
        }
        switch (o) {
        case 0: real_p = v; break;
        case 1: syn_p = v; break;
        case 2: sch_p = v; break;
        case 3: target = v; break;
        case 4: hold_p = v; break;
        case 5:
            if (args_u64("utility", "--max-sets", v, 0, 100000000, &max_sets))
                return 2;
            break;
        case 6:
            if (args_u64("utility", "--bins", v, 1, 100000, &bins))
                return 2;
            break;
        case 7:
            if (args_u64("utility", "--seed", v, 0, UINT64_MAX, &seed))
                return 2;
            break;
        default:
            if (!strcmp(v, "logreg")) {
                model = UTIL_LOGREG;
            } else if (!strcmp(v, "mlp")) {
                model = UTIL_MLP;
            } else if (!strcmp(v, "cnn")) {
                model = UTIL_CNN;
            } else {
                fprintf(stderr, "privaudit utility: --model: got \"%s\", expected logreg, mlp or cnn\n", v);
                return 2;
            }
        }
    }
    if (!real_p || !syn_p || !sch_p) {
        fprintf(stderr, "privaudit utility: expected --real, --synth and --schema\n");
        return 2;
    }
    if (args_in_file("utility", "--real", real_p) || args_in_file("utility", "--synth", syn_p) ||
        args_in_file("utility", "--schema", sch_p) || (hold_p && args_in_file("utility", "--holdout", hold_p)) ||
        (target && args_text("utility", "--target", target, 0)))
        return 2;
    if (tstr_only && !target) {
        fprintf(stderr, "privaudit utility: --tstr-only needs --target\n");
        return 2;
    }
    pa_err err = {0};
    schema *s = NULL;
    table *real = NULL, *syn = NULL, *hold = NULL;
    int rc = schema_read(sch_p, &s, &err);
    if (!rc && (rc = schema_check_scale(s, &err)))
        pa_err_prefix(&err, "%s", sch_p);
    if (!rc)
        rc = tbl_read_csv(real_p, s, &real, &err);
    if (!rc)
        rc = tbl_read_csv(syn_p, s, &syn, &err);
    if (!rc && hold_p)
        rc = tbl_read_csv(hold_p, s, &hold, &err);
    /* a header without rows: named here, not as "a table has no records" deep in a metric */
    const char *empty = !rc && real->n == 0 ? real_p : !rc && syn->n == 0 ? syn_p : !rc && hold && hold->n == 0 ? hold_p
                                                                                                             : NULL;
    if (empty)
        rc = pa_errf(&err, PA_EINPUT, "%s: a header without rows: expected at least one record to compare", empty);
    /* all 3-way marginals of a wide table (785 pixels: 80 million subsets) run for hours without a
     * word: refused, naming the way out, before any work */
    if (!rc && !tstr_only && max_sets == 0) {
        double d = (double)s->d, all = d * (d - 1) * (d - 2) / 6;
        if (all > UTIL_MAX_ALL_SETS)
            rc = pa_errf(&err, PA_EINPUT, "%s: %zu columns have %.0f 3-way marginals (more than %.0f to compare "
                         "all of them): give --max-sets K (random subsets per order, e.g. 1000) or --tstr-only",
                         sch_p, s->d, all, (double)UTIL_MAX_ALL_SETS);
    }
    if (!rc && target && (schema_col(s, target) < 0 || s->cols[schema_col(s, target)].kind != COL_CAT))
        rc = pa_errf(&err, PA_EINPUT, "--target %s: expected a categorical column of %s", target, sch_p);
    double tv_mean[3] = {NAN, NAN, NAN}, tv_max[3] = {NAN, NAN, NAN}, cd_mean = NAN, cd_max = NAN;
    double acc = NAN, auc = NAN, racc = NAN, rauc = NAN;
    for (int k = 1; k <= 3 && !rc && !tstr_only; k++)
        if ((size_t)k <= s->d)
            rc = util_tvd(real, syn, k, max_sets, bins, seed, &tv_mean[k - 1], &tv_max[k - 1], &err);
    if (!rc && !tstr_only)
        rc = util_corr_diff(real, syn, bins, &cd_mean, &cd_max, &err);
    if (!rc && target) {
        util_mlp_cfg mc = UTIL_MLP_DEFAULTS, cc = UTIL_CNN_DEFAULTS;
        mc.seed = seed;
        cc.seed = seed;
        if (model == UTIL_MLP)
            rc = util_tstr_mlp(syn, hold ? hold : real, target, &mc, &acc, &auc, &err);
        else if (model == UTIL_CNN)
            rc = util_tstr_cnn(syn, hold ? hold : real, target, &cc, &acc, &auc, &err);
        else
            rc = util_tstr(syn, hold ? hold : real, target, UTIL_LOGREG, &acc, &auc, &err);
        if (!rc && hold)
            rc = model == UTIL_MLP   ? util_tstr_mlp(real, hold, target, &mc, &racc, &rauc, &err)
                 : model == UTIL_CNN ? util_tstr_cnn(real, hold, target, &cc, &racc, &rauc, &err)
                                     : util_tstr(real, hold, target, UTIL_LOGREG, &racc, &rauc, &err);
    }
    /* raw values of the numeric columns */
    size_t nnum = 0, ncorr = 0;
    util_num_stats *ns = NULL;
    double nc_mean = NAN, nc_max = NAN;
    if (!rc && !tstr_only) {
        ns = calloc(s->d ? s->d : 1, sizeof *ns);
        if (!ns)
            rc = pa_errf(&err, PA_ENOMEM, "out of memory");
        for (size_t j = 0; j < s->d && !rc; j++)
            if (s->cols[j].kind == COL_NUM) {
                rc = util_num_compare(real, syn, j, bins, &ns[j], &err);
                nnum++;
            }
        if (!rc && nnum)
            rc = util_num_corr_diff(real, syn, &nc_mean, &nc_max, &ncorr, &err);
    }
    if (!rc && nnum) {
        for (size_t j = 0; j < s->d; j++) {
            if (s->cols[j].kind != COL_NUM)
                continue;
            if (ns[j].collapse)
                fprintf(stderr,
                        "privaudit utility: warning: column '%s': the synthetic column puts %.1f%% of its mass in one "
                        "decile bin of the real column, which holds %.1f%% of the real one (more than %.0f%% where the "
                        "real column has at most that): its distribution collapsed\n",
                        s->cols[j].name, 100 * ns[j].decile_share_synth, 100 * ns[j].decile_share_real,
                        100 * UTIL_COLLAPSE_SHARE);
            if (ns[j].coarse)
                fprintf(stderr,
                        "privaudit utility: warning: column '%s': the binning (%zu bins) puts %.1f%% of the real column "
                        "into bin %zu: marginal-based generators see almost nothing of its shape\n",
                        s->cols[j].name, util_col_bins(&s->cols[j], bins), 100 * ns[j].bin_share_real,
                        ns[j].bin_real);
        }
    }
    if (rc) {
        fprintf(stderr, "privaudit utility: %s\n", err.msg);
    } else if (json) {
        cJSON *o = cJSON_CreateObject();
        for (int k = 1; k <= 3; k++) {
            char key[32];
            snprintf(key, sizeof key, "tvd%d_mean", k);
            isnan(tv_mean[k - 1]) ? cJSON_AddNullToObject(o, key) : cJSON_AddNumberToObject(o, key, tv_mean[k - 1]);
            snprintf(key, sizeof key, "tvd%d_max", k);
            isnan(tv_max[k - 1]) ? cJSON_AddNullToObject(o, key) : cJSON_AddNumberToObject(o, key, tv_max[k - 1]);
        }
        cJSON_AddNumberToObject(o, "corr_diff_mean", cd_mean);
        cJSON_AddNumberToObject(o, "corr_diff_max", cd_max);
        if (target) {
            cJSON_AddStringToObject(o, "tstr_model", model == UTIL_MLP ? "mlp" : model == UTIL_CNN ? "cnn" : "logreg");
            cJSON_AddNumberToObject(o, "tstr_accuracy", acc);
            isnan(auc) ? cJSON_AddNullToObject(o, "tstr_auc") : cJSON_AddNumberToObject(o, "tstr_auc", auc);
            if (hold) {
                cJSON_AddNumberToObject(o, "real_accuracy", racc);
                isnan(rauc) ? cJSON_AddNullToObject(o, "real_auc") : cJSON_AddNumberToObject(o, "real_auc", rauc);
            }
        }
        if (nnum) {
            cJSON *arr = cJSON_AddArrayToObject(o, "numeric");
            for (size_t j = 0; j < s->d; j++) {
                if (s->cols[j].kind != COL_NUM)
                    continue;
                cJSON *c = cJSON_CreateObject();
                cJSON_AddStringToObject(c, "column", s->cols[j].name);
                cJSON_AddNumberToObject(c, "w1", ns[j].w1);
                cJSON_AddNumberToObject(c, "ks", ns[j].ks);
                cJSON_AddNumberToObject(c, "mean_real", ns[j].mean_real);
                cJSON_AddNumberToObject(c, "mean_synth", ns[j].mean_synth);
                cJSON_AddItemToObject(c, "quantile_levels", cJSON_CreateDoubleArray(util_quantile_levels, UTIL_NQ));
                cJSON_AddItemToObject(c, "quantiles_real", cJSON_CreateDoubleArray(ns[j].q_real, UTIL_NQ));
                cJSON_AddItemToObject(c, "quantiles_synth", cJSON_CreateDoubleArray(ns[j].q_synth, UTIL_NQ));
                cJSON_AddNumberToObject(c, "decile_share_synth", ns[j].decile_share_synth);
                cJSON_AddNumberToObject(c, "decile_share_real", ns[j].decile_share_real);
                cJSON_AddBoolToObject(c, "collapse", ns[j].collapse);
                cJSON_AddNumberToObject(c, "bin_share_real", ns[j].bin_share_real);
                cJSON_AddBoolToObject(c, "coarse", ns[j].coarse);
                cJSON_AddItemToArray(arr, c);
            }
            if (ncorr) {
                cJSON_AddNumberToObject(o, "numeric_corr_diff_mean", nc_mean);
                cJSON_AddNumberToObject(o, "numeric_corr_diff_max", nc_max);
            }
        }
        char *txt = cJSON_Print(o);
        printf("%s\n", txt);
        free(txt);
        cJSON_Delete(o);
    } else {
        if (!tstr_only) {
            printf("metric                 mean      max\n");
            for (int k = 1; k <= 3; k++)
                if ((size_t)k <= s->d)
                    printf("%d-way marginal TVD     %-9.4f %-9.4f\n", k, tv_mean[k - 1], tv_max[k - 1]);
                else
                    printf("%d-way marginal TVD     n/a (the schema has %zu column%s)\n", k, s->d, s->d == 1 ? "" : "s");
            printf("association difference %-9.4f %-9.4f\n", cd_mean, cd_max);
        }
        if (nnum) {
            printf("\nnumeric columns, raw values (no binning)\n");
            printf("%-16s %12s %7s %12s %12s %12s %12s %12s %12s\n", "column", "W1", "KS", "mean real", "mean synth",
                   "median real", "median synth", "q95 real", "q95 synth");
            for (size_t j = 0; j < s->d; j++)
                if (s->cols[j].kind == COL_NUM)
                    printf("%-16s %12.4g %7.4f %12.6g %12.6g %12.6g %12.6g %12.6g %12.6g%s\n", s->cols[j].name,
                           ns[j].w1, ns[j].ks, ns[j].mean_real, ns[j].mean_synth, ns[j].q_real[2], ns[j].q_synth[2],
                           ns[j].q_real[4], ns[j].q_synth[4],
                           ns[j].collapse ? "  COLLAPSED" : ns[j].coarse ? "  COARSE BINS" : "");
            if (ncorr)
                printf("Pearson correlation difference over %zu numeric pairs: mean %.4f, max %.4f\n", ncorr, nc_mean,
                       nc_max);
        }
        if (target) {
            char a1[96], a2[96];
            tstr_auc_text(a1, sizeof a1, auc);
            tstr_auc_text(a2, sizeof a2, rauc);
            printf("TSTR (%s, target %s): accuracy %.4f, AUC %s\n",
                   model == UTIL_MLP ? "MLP" : model == UTIL_CNN ? "ConvNet" : "logistic regression", target, acc, a1);
            if (hold)
                printf("train on real, same test set:          accuracy %.4f, AUC %s\n", racc, a2);
        }
    }
    free(ns);
    tbl_free(real);
    tbl_free(syn);
    tbl_free(hold);
    schema_free(s);
    return rc == PA_OK ? 0 : rc == PA_EINPUT ? 2 : 1;
}
