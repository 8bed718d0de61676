/* cmd_account.c — privaudit account --sigma S --q Q --steps T --delta D
 *                 [--accountant rdp|prv|gdp] [--orders NAME|LIST]
 *                 [--conversion balle|basic] [--json]
 *             or  privaudit account --target-epsilon E --q Q --steps T --delta D ...
 * The theoretical ε of T steps of the Poisson-subsampled Gaussian, or the σ
 * that meets a target ε (audit/acct.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "audit/acct.h"
#include "harness/args.h"
#include "harness/cli.h"

static void account_usage(FILE *f)
{
    fprintf(f,
            "usage: privaudit account --sigma S --q Q --steps T --delta D [--accountant rdp|prv|gdp]\n"
            "                         [--orders NAME|LIST] [--conversion balle|basic] [--json]\n"
            "       privaudit account --target-epsilon E --q Q --steps T --delta D [same options]\n\n"
            "Theoretical epsilon of T steps of DP-SGD (Poisson sampling rate Q, noise multiplier S),\n"
            "or with --target-epsilon the smallest noise multiplier that meets E.\n\n"
            "  --accountant  rdp (default; Mironov et al. 2019, Balle et al. 2020 conversion),\n"
            "                prv (Gopi et al. 2021; prints lower, estimate, upper; epsilon = upper),\n"
            "                gdp (CLT, Bu et al. 2020)\n"
            "  --orders      RDP orders: opacus (default), tf, dp_accounting, or a list like 2,4,8.5\n"
            "  --conversion  RDP to (epsilon, delta): balle (default) or basic (rdp + ln(1/delta)/(a-1))\n"
            "  --json        JSON keys: epsilon, order (rdp), lower/estimate/upper (prv), sigma\n"
            "                (with --target-epsilon)\n");
}

static int bad(const char *opt, const char *what)
{
    fprintf(stderr, "privaudit account: %s: %s\n", opt, what);
    return 2;
}

int cmd_account(int argc, char **argv)
{
    static const char *const opts[] = { "--sigma", "--q", "--steps", "--delta",
                                        "--target-epsilon", "--accountant", "--orders",
                                        "--conversion", NULL };
    double sigma = NAN, q = NAN, steps = NAN, delta = NAN, target = NAN;
    const char *accountant = "rdp", *orders_spec = NULL, *conversion = "balle", *v;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            account_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        size_t o = 0;
        int r = 0;
        while (opts[o] && !(r = args_opt(argc, argv, &i, "account", opts[o], &v)))
            o++;
        if (r < 0)
            return 2;
        if (r == 0)
            return bad(argv[i], "unknown option (expected --sigma --q --steps --delta "
                                "--target-epsilon --accountant --orders --conversion --json --help)");
        int e = 0;
        switch (o) {
        case 0: e = args_double("account", "--sigma", v, 1e-6, 1e6, &sigma); break;
        case 1: e = args_double("account", "--q", v, 0, 1, &q); break;
        case 2: e = args_double("account", "--steps", v, 0, 1e12, &steps); break;
        case 3: e = args_double("account", "--delta", v, 1e-300, 0.999999, &delta); break;
        case 4: e = args_double("account", "--target-epsilon", v, 1e-6, 1e4, &target); break;
        case 5: accountant = v; break;
        case 6: orders_spec = v; break;
        case 7: conversion = v; break;
        }
        if (e)
            return 2;
    }
    enum acct_kind kind;
    if (!strcmp(accountant, "rdp"))
        kind = ACCT_RDP;
    else if (!strcmp(accountant, "prv"))
        kind = ACCT_PRV;
    else if (!strcmp(accountant, "gdp"))
        kind = ACCT_GDP;
    else
        return bad("--accountant", "expected rdp, prv or gdp");
    enum acct_conversion conv;
    if (!strcmp(conversion, "balle"))
        conv = ACCT_CONV_BALLE;
    else if (!strcmp(conversion, "basic"))
        conv = ACCT_CONV_BASIC;
    else
        return bad("--conversion", "expected balle or basic");
    if (isnan(q))
        return bad("--q", "missing; expected a sampling rate in [0, 1]");
    if (isnan(steps))
        return bad("--steps", "missing; expected a number of steps");
    if (isnan(delta))
        return bad("--delta", "missing; expected a number in (0, 1)");
    if (isnan(sigma) == isnan(target))
        return bad("--sigma/--target-epsilon", "expected exactly one of them");
    if (kind != ACCT_RDP && (orders_spec || conv != ACCT_CONV_BALLE))
        return bad(orders_spec ? "--orders" : "--conversion", "applies to --accountant rdp only");
    if (steps != floor(steps))
        return bad("--steps", "expected a whole number of steps");

    pa_err err = { 0 };
    double *orders = NULL;
    size_t n_orders = 0;
    if (orders_spec && acct_orders_parse(orders_spec, &orders, &n_orders, &err))
        return bad("--orders", err.msg);

    cJSON *o = cJSON_CreateObject();
    int rc = 0;
    if (!isnan(target)) {
        if (conv != ACCT_CONV_BALLE) {
            rc = bad("--conversion", "calibration uses the balle conversion only");
            goto out;
        }
        double s;
        if (acct_calibrate_sigma(kind, target, q, steps, delta, orders, n_orders, &s, &err)) {
            fprintf(stderr, "privaudit account: %s\n", err.msg);
            rc = err.code == PA_EINPUT ? 2 : 1;
            goto out;
        }
        double e = NAN;
        acct_epsilon(kind, s, q, steps, delta, orders, n_orders, &e, NULL);
        if (json) {
            cJSON_AddNumberToObject(o, "sigma", s);
            cJSON_AddNumberToObject(o, "epsilon", e);
        } else {
            printf("sigma = %.17g   (%s accountant: epsilon = %.6g at delta = %g, q = %g, steps = %.17g)\n",
                   s, accountant, e, delta, q, steps);
        }
    } else if (kind == ACCT_RDP) {
        acct_phase ph = { sigma, q, steps };
        double e, a;
        if (acct_rdp_epsilon_phases(&ph, 1, delta, orders, n_orders, conv, &e, &a, &err)) {
            fprintf(stderr, "privaudit account: %s\n", err.msg);
            rc = err.code == PA_EINPUT ? 2 : 1;
            goto out;
        }
        if (json) {
            if (isfinite(e))
                cJSON_AddNumberToObject(o, "epsilon", e);
            else
                cJSON_AddNullToObject(o, "epsilon");
            cJSON_AddNumberToObject(o, "order", a);
        } else {
            printf("epsilon = %.17g   (rdp, %s conversion, best order %g)\n", e, conversion, a);
        }
    } else if (kind == ACCT_PRV) {
        acct_phase ph = { sigma, q, steps };
        acct_prv_result r;
        if (acct_prv_epsilon(&ph, 1, delta, 0, 0, &r, &err)) {
            fprintf(stderr, "privaudit account: %s\n", err.msg);
            rc = err.code == PA_EINPUT ? 2 : 1;
            goto out;
        }
        if (json) {
            cJSON_AddNumberToObject(o, "epsilon", r.upper);
            cJSON_AddNumberToObject(o, "lower", r.lower);
            cJSON_AddNumberToObject(o, "estimate", r.estimate);
            cJSON_AddNumberToObject(o, "upper", r.upper);
        } else {
            printf("epsilon = %.17g   (prv upper bound; lower %.17g, estimate %.17g; eps_error 0.01, "
                   "delta_error delta/1000)\n", r.upper, r.lower, r.estimate);
        }
    } else {
        double e;
        if (acct_epsilon(ACCT_GDP, sigma, q, steps, delta, NULL, 0, &e, &err)) {
            fprintf(stderr, "privaudit account: %s\n", err.msg);
            rc = err.code == PA_EINPUT ? 2 : 1;
            goto out;
        }
        acct_phase ph = { sigma, q, steps };
        if (json) {
            cJSON_AddNumberToObject(o, "epsilon", e);
            cJSON_AddNumberToObject(o, "mu", acct_gdp_mu(&ph, 1));
        } else {
            printf("epsilon = %.17g   (gdp CLT, mu = %.17g)\n", e, acct_gdp_mu(&ph, 1));
        }
    }
    if (json) {
        char *s = cJSON_Print(o);
        if (!s) {
            fprintf(stderr, "privaudit account: out of memory\n");
            rc = 1;
            goto out;
        }
        printf("%s\n", s);
        cJSON_free(s);
    }
out:
    cJSON_Delete(o);
    free(orders);
    return rc;
}
