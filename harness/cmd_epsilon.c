/* cmd_epsilon.c — privaudit epsilon --tp N --fn N --fp N --tn N [--delta D]
 *                 [--alpha A] [--claimed E] [--json]
 * Every empirical-ε estimator of audit/eps.h on one set of counts. Interval
 * convention (shared/REFERENCES.md): --alpha A gives each end a one-sided
 * (1 - A/2) bound, so the library functions are called with alpha = A/2. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "audit/eps.h"
#include "harness/args.h"
#include "harness/cli.h"

static void epsilon_usage(FILE *f)
{
    fprintf(f,
            "usage: privaudit epsilon --tp N --fn N --fp N --tn N [--delta D] [--alpha A]\n"
            "                         [--claimed E] [--json]\n"
            "       privaudit epsilon --scores FILE ...   (an attack's scores: privaudit epsilon --scores x --help)\n\n"
            "Empirical epsilon of a membership-inference audit from its counts (TP, FN on members;\n"
            "FP, TN on non-members), by every estimator: point formula, Bayesian joint-beta credible\n"
            "interval (Zanella-Beguelin et al. 2023), Clopper-Pearson and Jeffreys intervals, and the\n"
            "mu-GDP lower bound (Nasr et al. 2023).\n\n"
            "  --delta D     delta of the audited guarantee (default 1e-5)\n"
            "  --alpha A     two-sided level (default 0.1): each end is a one-sided (1 - A/2) bound\n"
            "  --claimed E   also print the posterior probability that the true epsilon exceeds E\n"
            "  --json        one JSON object: point, bayes {lo, hi[, p_exceeds]}, clopper_pearson\n"
            "                {lo, hi}, jeffreys {lo, hi}, gdp {mu, lo}; an infinite bound is null\n");
}

/* A number, or null for an infinite/undefined value (JSON has no infinity). */
static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static cJSON *interval(double lo, double hi)
{
    cJSON *o = cJSON_CreateObject();
    add_num(o, "lo", lo);
    add_num(o, "hi", hi);
    return o;
}

int cmd_epsilon(int argc, char **argv)
{
    static const char *const opts[] = { "--tp", "--fn", "--fp", "--tn", "--delta", "--alpha",
                                        "--claimed", NULL };
    double val[7] = { NAN, NAN, NAN, NAN, 1e-5, 0.1, NAN };
    static const double lo_lim[7] = { 0, 0, 0, 0, 0, 1e-12, 0 };
    static const double hi_lim[7] = { 1e18, 1e18, 1e18, 1e18, 0.5, 0.999999, 1e3 };
    int json = 0;
    const char *v;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--scores"))
            return cmd_epsilon_scores(argc, argv); /* harness/cmd_scores.c */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            epsilon_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        size_t o = 0;
        int r = 0;
        while (opts[o] && !(r = args_opt(argc, argv, &i, "epsilon", opts[o], &v)))
            o++;
        if (r < 0)
            return 2;
        if (r == 0) {
            fprintf(stderr, "privaudit epsilon: %s: unknown option (expected one of --tp --fn "
                            "--fp --tn --delta --alpha --claimed --json --help)\n", argv[i]);
            return 2;
        }
        if (args_double("epsilon", opts[o], v, lo_lim[o], hi_lim[o], &val[o]))
            return 2;
        if (o < 4 && val[o] != floor(val[o])) {
            fprintf(stderr, "privaudit epsilon: %s: got \"%s\", expected a whole count (an integer in [0, 1e+18])\n",
                    opts[o], v);
            return 2;
        }
    }
    for (int k = 0; k < 4; k++)
        if (isnan(val[k])) {
            fprintf(stderr, "privaudit epsilon: %s: missing; expected a count >= 0\n", opts[k]);
            return 2;
        }
    eps_counts c = { .tp = val[0], .fn = val[1], .fp = val[2], .tn = val[3] };
    double delta = val[4], A = val[5], claimed = val[6];
    if (c.tp + c.fn <= 0 || c.fp + c.tn <= 0) {
        fprintf(stderr, "privaudit epsilon: --tp/--fn and --fp/--tn: expected at least one member "
                        "(TP+FN > 0) and one non-member (FP+TN > 0)\n");
        return 2;
    }
    double a = A / 2;
    pa_err err = { 0 };
    double point = eps_point(&c, delta);
    double b_lo, b_hi, cp_lo, cp_hi, j_lo, j_hi, mu, g_lo = NAN;
    if (eps_bayes_interval(&c, delta, a, &b_lo, &b_hi, &err)) {
        fprintf(stderr, "privaudit epsilon: bayes: %s\n", err.msg);
        return err.code == PA_EINPUT ? 2 : 1;
    }
    if (eps_clopper_pearson(&c, delta, a, &cp_lo, &cp_hi)) {
        fprintf(stderr, "privaudit epsilon: clopper-pearson: a Beta quantile failed\n");
        return 1;
    }
    if (eps_jeffreys(&c, delta, a, &j_lo, &j_hi)) {
        fprintf(stderr, "privaudit epsilon: jeffreys: a Beta quantile failed\n");
        return 1;
    }
    if (eps_gdp_mu_lower(&c, 1, a, &mu, NULL, &err) || eps_gdp_epsilon(mu, delta, &g_lo, &err)) {
        fprintf(stderr, "privaudit epsilon: gdp: %s\n", err.msg);
        return 1;
    }
    double pex = isnan(claimed) ? NAN : eps_bayes_p_exceeds(&c, delta, claimed);
    if (!isnan(claimed) && isnan(pex)) {
        fprintf(stderr, "privaudit epsilon: bayes: P(epsilon > %g) could not be computed (quadrature "
                        "failed)\n", claimed);
        return 1;
    }

    if (json) {
        cJSON *o = cJSON_CreateObject();
        add_num(o, "point", point);
        cJSON *b = interval(b_lo, b_hi);
        if (!isnan(claimed)) {
            cJSON_AddNumberToObject(b, "claimed", claimed);
            add_num(b, "p_exceeds", pex);
        }
        cJSON_AddItemToObject(o, "bayes", b);
        cJSON_AddItemToObject(o, "clopper_pearson", interval(cp_lo, cp_hi));
        cJSON_AddItemToObject(o, "jeffreys", interval(j_lo, j_hi));
        cJSON *g = cJSON_CreateObject();
        add_num(g, "mu", mu);
        add_num(g, "lo", g_lo);
        cJSON_AddItemToObject(o, "gdp", g);
        cJSON_AddNumberToObject(o, "delta", delta);
        cJSON_AddNumberToObject(o, "alpha", A);
        char *s = cJSON_Print(o);
        if (!s) {
            cJSON_Delete(o);
            fprintf(stderr, "privaudit epsilon: out of memory\n");
            return 1;
        }
        printf("%s\n", s);
        cJSON_free(s);
        cJSON_Delete(o);
        return 0;
    }
    printf("counts: TP=%.17g FN=%.17g FP=%.17g TN=%.17g   delta=%g   alpha=%g (each end one-sided "
           "%g)\n\n", c.tp, c.fn, c.fp, c.tn, delta, A, 1 - a);
    printf("%-28s %12s %12s\n", "estimator", "lower", "upper");
    printf("%-28s %12.6g %12s\n", "point", point, "");
    printf("%-28s %12.6g %12.6g\n", "bayes (joint beta)", b_lo, b_hi);
    printf("%-28s %12.6g %12.6g\n", "clopper-pearson", cp_lo, cp_hi);
    printf("%-28s %12.6g %12.6g\n", "jeffreys", j_lo, j_hi);
    printf("%-28s %12.6g %12s   (mu >= %.6g)\n", "mu-GDP", g_lo, "", mu);
    if (!isnan(claimed))
        printf("\nP(epsilon > %g | counts) = %.6g   (Bayesian posterior)\n", claimed, pex);
    if (c.fn / (c.fn + c.tp) + c.fp / (c.fp + c.tn) > 1)
        printf("\nnote: the attack is worse than chance (TPR < FPR). point, clopper-pearson, jeffreys and\n"
               "mu-GDP evaluate it as oriented (member = predicted member) and give 0 from that side;\n"
               "the Bayesian interval is the posterior mass of the whole (epsilon, delta) region, which\n"
               "also bounds the flipped test, so it can be above 0 (docs/metrics.md).\n");
    return 0;
}
