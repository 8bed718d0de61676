/* cmd_whitebox.c — privaudit whitebox: the white-box DP-SGD canary audit
 * (attacks/whitebox.h) from the command line; results into SQLite with --db
 * (harness/whitebox_store.h). Interval convention (shared/REFERENCES.md):
 * --alpha A gives each end a one-sided (1 - A/2) bound. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "attacks/whitebox.h"
#include "harness/args.h"
#include "harness/cli.h"
#include "harness/store.h"
#include "harness/whitebox_store.h"

static void whitebox_usage(FILE *f)
{
    fprintf(f,
        "usage: privaudit whitebox --epsilon E [--delta D] [--threat all|final]\n"
        "                          [--canary gradient|input] [--runs R] [--steps T] [--q Q]\n"
        "                          [--clip C] [--bug none|noise_div10|no_clip] [--canaries K]\n"
        "                          [--db FILE] [--jobs J] [--seed S] [--n N] [--hidden H]\n"
        "                          [--lr ETA] [--cal-frac F] [--alpha A]\n\n"
        "White-box audit of DP-SGD (Nasr et al. 2021, 2023): a small MLP is trained R times with\n"
        "the DP-SGD engine for T steps at Poisson rate Q, clip C and the noise multiplier sigma the\n"
        "RDP accountant gives for the claimed (E, D); K canaries per run, each in the training set\n"
        "by a fair coin, are scored by the attacker; scores of the first F of the runs choose the\n"
        "threshold, the rest are counted, and every estimator bounds the empirical epsilon.\n\n"
        "  --epsilon E    claimed epsilon (required), in (0, 100]\n"
        "  --delta D      delta (default 1e-5)\n"
        "  --threat       all: the attacker sees every private gradient (likelihood-ratio score of\n"
        "                 Nasr 2023); final: only the initial and final parameters (default all)\n"
        "  --canary       gradient: a Dirac gradient of norm 10C on a coordinate no data touches;\n"
        "                 input: an out-of-distribution record with a rare label (default gradient)\n"
        "  --runs R       independent trainings (default 1000)\n"
        "  --steps T      DP-SGD steps per training (default 1)\n"
        "  --q Q          Poisson sampling rate (default 1)\n"
        "  --clip C       clipping norm (default 1)\n"
        "  --bug B        planted bug: noise_div10 (engine uses sigma/10) or no_clip (no clipping,\n"
        "                 noise still sigma*C); the claimed epsilon is unchanged (default none)\n"
        "  --canaries K   canaries per run, 1..4096 (default 16)\n"
        "  --db FILE      store the audit, its estimates and every score in this SQLite file\n"
        "  --jobs J       worker threads (default 1); results do not depend on J\n"
        "  --seed S       experiment seed (default 1); run r uses stream (S, r)\n"
        "  --n N          training rows of the synthetic data set (default 64)\n"
        "  --hidden H     hidden units of the MLP (default 8)\n"
        "  --lr ETA       SGD step size (default 0.1)\n"
        "  --cal-frac F   share of runs in the calibration split (default 0.5)\n"
        "  --alpha A      two-sided level (default 0.1): each bound is one-sided 1 - A/2\n\n"
        "VIOLATION is printed (and stored) when the Bayesian test rejects the claimed epsilon: one\n"
        "of the four edges of the claim's (FNR, FPR) region has posterior mass below alpha/8\n"
        "(docs/metrics.md, \"A setting's verdict\"; stricter than the lower bound above the claim).\n"
        "Exit codes: 0 success, 1 failure, 2 bad usage or bad input.\n");
}

typedef struct progress_ctx { size_t step; double t_post, t_said; } progress_ctx;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void progress(void *ctx, size_t done, size_t total)
{
    progress_ctx *p = ctx;
    if (done == total || done % p->step == 0)
        fprintf(stderr, "privaudit whitebox: run %zu / %zu\n", done, total);
    if (done == total)
        p->t_post = p->t_said = now_s();
}

/* the steps after the runs, with the time since the last run finished */
static void stage(void *ctx, const char *what, size_t done, size_t total)
{
    progress_ctx *p = ctx;
    double now = now_s(), t = now - p->t_post;
    if (!strcmp(what, "threshold") && done < total && now - p->t_said < 2)
        return;   /* at most one line every 2 s while scanning */
    p->t_said = now;
    if (!strcmp(what, "threshold"))
        fprintf(stderr, "privaudit whitebox: choosing the threshold: %zu / %zu calibration scores "
                "(%.1f s)\n", done, total, t);
    else if (!strcmp(what, "test split"))
        fprintf(stderr, "privaudit whitebox: counted the test split, %zu scores (%.1f s)\n", total, t);
    else
        fprintf(stderr, "privaudit whitebox: estimators done; post-processing took %.2f s\n", t);
}

static int parse_size(const char *name, const char *v, uint64_t lo, uint64_t hi, size_t *out)
{
    uint64_t u;
    if (args_u64("whitebox", name, v, lo, hi, &u))
        return -1;
    *out = (size_t)u;
    return 0;
}

int cmd_whitebox(int argc, char **argv)
{
    wb_cfg c;
    wb_cfg_default(&c);
    const char *db = NULL, *v;
    int have_eps = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            whitebox_usage(stdout);
            return 0;
        }
        int r, bad = 0;
        if ((r = args_opt(argc, argv, &i, "whitebox", "--epsilon", &v))) {
            bad = r < 0 || args_double("whitebox", "--epsilon", v, 1e-9, 100, &c.epsilon);
            have_eps = 1;
        } else if ((r = args_opt(argc, argv, &i, "whitebox", "--delta", &v)))
            bad = r < 0 || args_double("whitebox", "--delta", v, 1e-300, 0.5, &c.delta);
        else if ((r = args_opt(argc, argv, &i, "whitebox", "--threat", &v))) {
            if (r > 0 && wb_threat_parse(v, &c.threat)) {
                fprintf(stderr, "privaudit whitebox: --threat: expected all or final, got \"%s\"\n", v);
                return 2;
            }
            bad = r < 0;
        } else if ((r = args_opt(argc, argv, &i, "whitebox", "--canary", &v))) {
            if (r > 0 && wb_canary_parse(v, &c.canary)) {
                fprintf(stderr, "privaudit whitebox: --canary: expected gradient or input, got \"%s\"\n", v);
                return 2;
            }
            bad = r < 0;
        } else if ((r = args_opt(argc, argv, &i, "whitebox", "--bug", &v))) {
            if (r > 0 && wb_bug_parse(v, &c.bug)) {
                fprintf(stderr, "privaudit whitebox: --bug: expected none, noise_div10 or no_clip, "
                                "got \"%s\"\n", v);
                return 2;
            }
            bad = r < 0;
        } else if ((r = args_opt(argc, argv, &i, "whitebox", "--runs", &v)))
            bad = r < 0 || parse_size("--runs", v, 2, (uint64_t)1 << 40, &c.runs);
        else if ((r = args_opt(argc, argv, &i, "whitebox", "--steps", &v)))
            bad = r < 0 || parse_size("--steps", v, 1, 1000000, &c.steps);
        else if ((r = args_opt(argc, argv, &i, "whitebox", "--q", &v)))
            bad = r < 0 || args_double("whitebox", "--q", v, 1e-12, 1, &c.q);
        else if ((r = args_opt(argc, argv, &i, "whitebox", "--clip", &v)))
            bad = r < 0 || args_double("whitebox", "--clip", v, 1e-12, 1e6, &c.clip);
        else if ((r = args_opt(argc, argv, &i, "whitebox", "--canaries", &v)))
            bad = r < 0 || parse_size("--canaries", v, 1, 4096, &c.canaries);
        else if ((r = args_opt(argc, argv, &i, "whitebox", "--db", &v))) {
            bad = r < 0;
            db = v;
        } else if ((r = args_opt(argc, argv, &i, "whitebox", "--jobs", &v)))
            bad = r < 0 || parse_size("--jobs", v, 1, 1024, &c.jobs);
        else if ((r = args_opt(argc, argv, &i, "whitebox", "--seed", &v)))
            bad = r < 0 || args_u64("whitebox", "--seed", v, 0, UINT64_MAX, &c.seed);
        else if ((r = args_opt(argc, argv, &i, "whitebox", "--n", &v)))
            bad = r < 0 || parse_size("--n", v, 1, 10000000, &c.n);
        else if ((r = args_opt(argc, argv, &i, "whitebox", "--hidden", &v)))
            bad = r < 0 || parse_size("--hidden", v, 1, 4096, &c.hidden);
        else if ((r = args_opt(argc, argv, &i, "whitebox", "--lr", &v)))
            bad = r < 0 || args_double("whitebox", "--lr", v, 1e-12, 1e6, &c.lr);
        else if ((r = args_opt(argc, argv, &i, "whitebox", "--cal-frac", &v)))
            bad = r < 0 || args_double("whitebox", "--cal-frac", v, 1e-9, 1 - 1e-9, &c.cal_frac);
        else if ((r = args_opt(argc, argv, &i, "whitebox", "--alpha", &v)))
            bad = r < 0 || args_double("whitebox", "--alpha", v, 1e-12, 0.999999, &c.alpha);
        else {
            fprintf(stderr, "privaudit whitebox: %s: unknown option (see privaudit whitebox --help)\n",
                    argv[i]);
            return 2;
        }
        if (bad)
            return 2;
    }
    if (!have_eps) {
        fprintf(stderr, "privaudit whitebox: --epsilon: missing; expected the claimed epsilon in (0, 100]\n");
        return 2;
    }
    pa_err err = {0};
    if (wb_cfg_check(&c, &err)) {
        fprintf(stderr, "privaudit %s\n", err.msg);
        return 2;
    }
    if (db && args_db_file("whitebox", "--db", db, NULL))
        return 2;
    store *st = NULL;
    if (db && store_open(db, &st, &err)) {
        fprintf(stderr, "privaudit whitebox: --db %s: %s\n", db, err.msg);
        return err.code == PA_EINPUT ? 2 : 1;
    }
    progress_ctx pc = {.step = c.runs / 10 ? c.runs / 10 : 1};
    wb_result *res;
    int rc = wb_audit_staged(&c, progress, stage, &pc, &res, &err);
    if (rc) {
        fprintf(stderr, "privaudit %s\n", err.msg);
        store_close(st);
        return rc == PA_EINPUT ? 2 : 1;
    }
    int64_t id = -1;
    double t_store = now_s(), c_store = cpu_s();
    if (st && wbstore_put(st, &c, res, &id, &err)) {
        fprintf(stderr, "privaudit whitebox: --db %s: %s\n", db, err.msg);
        wb_result_free(res);
        store_close(st);
        return 1;
    }
    if (st)
        fprintf(stderr, "privaudit whitebox: stored %zu scores in %s (%.1f s, %.1f s CPU)\n", res->nobs, db,
                now_s() - t_store, cpu_s() - c_store);
    store_close(st);

    const eps_counts *k = &res->counts;
    printf("white-box DP-SGD audit: threat %s, canary %s, bug %s\n", wb_threat_name(c.threat),
           wb_canary_name(c.canary), wb_bug_name(c.bug));
    printf("training: T = %zu steps, q = %g, C = %g, N = %zu, K = %zu canaries/run, R = %zu runs, "
           "seed %llu, %zu jobs\n", c.steps, c.q, c.clip, c.n, c.canaries, c.runs,
           (unsigned long long)c.seed, c.jobs);
    printf("claimed epsilon %g at delta %g: sigma = %.6g (RDP); accountant epsilon of this training: "
           "RDP %.6g, PRV or exact (q = 1) %.6g\n", c.epsilon, c.delta, res->sigma, res->eps_theory, res->eps_prv);
    printf("runs took %.3f s; AUC %.6f, TPR@1%%FPR %.6f (test split)\n", res->seconds, res->auc,
           res->tpr_at_001);
    printf("threshold %.17g (calibration split); test counts TP=%.17g FN=%.17g FP=%.17g TN=%.17g\n\n",
           res->threshold, k->tp, k->fn, k->fp, k->tn);
    printf("%-28s %12s %12s   (each end one-sided %g)\n", "estimator", "lower", "upper", 1 - c.alpha / 2);
    printf("%-28s %12.6g %12s\n", "point", res->point, "");
    printf("%-28s %12.6g %12.6g\n", "bayes (joint beta)", res->bayes_lo, res->bayes_hi);
    printf("%-28s %12.6g %12.6g\n", "clopper-pearson", res->cp_lo, res->cp_hi);
    printf("%-28s %12.6g %12.6g\n", "jeffreys", res->jeff_lo, res->jeff_hi);
    printf("%-28s %12.6g %12s   (mu >= %.6g)\n", "mu-GDP", res->gdp_eps, "", res->gdp_mu);
    printf("%-28s %12.6g %12s   (m = %.17g, r = %.17g, v = %.17g)\n", "one-run (pooled)",
           res->one_run_eps, "", res->one_run_m, res->one_run_r, res->one_run_v);
    printf("\neps_lo / eps_theory = %.6g (Bayesian lower bound / RDP epsilon)\n",
           res->bayes_lo / res->eps_theory);
    printf("GDP fit (units of mu): mu = %.6g [%.6g, %.6g] against mu_theory %.6g%s: ratio %.4g\n", res->fit_mu,
           res->fit_lo, res->fit_hi, res->mu_theory, c.q >= 1 ? " (sqrt(T)/sigma, exact)" : " (CLT, approximate)",
           res->fit_mu / res->mu_theory);
    printf("P(epsilon > %g | counts) = %.6g\n", c.epsilon, res->p_exceeds);
    printf("%s\n", res->violation ? "VIOLATION: the Bayesian test rejects the claimed epsilon"
                                  : res->bayes_lo > c.epsilon ? "no violation (the lower bound is above the claim, but "
                                                                  "the test by the region's edges does not reject)"
                                                                : "no violation");
    if (st || db)
        printf("stored as whitebox_audit id %lld in %s\n", (long long)id, db);
    wb_result_free(res);
    return 0;
}
