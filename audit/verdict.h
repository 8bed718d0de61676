/* verdict.h — one verdict for a setting from all of its violation tests,
 * with the family-wise error controlled (Bonferroni).
 *
 * A setting (one generator at one claimed ε) is audited by several tests:
 * every attack, pooled over the targets and per target, by the primary
 * estimator (bayes or clopper_pearson) and the profile test. Each test
 * flags a violation at one-sided level α/2 (the lower end of its two-sided
 * level-α interval). Flagging the setting when ANY of k such tests rejects
 * raises a false alarm against a correct generator with probability up to
 * k·α/2: a near-optimal attack on a correct generator is flagged about α/2
 * of the time per test, so a run of five attacks with ten targets each
 * would alarm most of the time. The verdict therefore rejects only when
 * some test rejects at level α/(2k) (Bonferroni; for the decision "any
 * rejects", Holm's procedure gives the same answer), so the probability of
 * a false VIOLATION for a setting is at most α/2 whatever the tests'
 * dependence.
 *
 * Each test is redone at a corrected level from what the store keeps:
 *   clopper_pearson — the lower end of the interval at α/(2k) from the
 *                     counts; rejects when it exceeds the claim;
 *   bayes           — rejects when the posterior mass of one of the four
 *                     half-planes whose intersection is the claim's (FNR,
 *                     FPR) region is below α/(8k) (eps_bayes_min_edge: each
 *                     edge at a quarter of the test's level α/(2k));
 *   profile         — the stored P(outside), the posterior mass beyond the
 *                     one supporting line of the profile region chosen on
 *                     the calibration split (eps_profile_choose); rejects
 *                     when it exceeds 1 − α/(4k).
 * Why not the Bayesian lower bound itself (P(ε ≤ claimed) < α/2, the row's
 * own flag): P(ε ≤ claimed) is the posterior mass of a region with corners,
 * a credible level, not a p-value. An attack exactly on the claim's
 * trade-off curve at its corner (FNR = FPR = 1/(1+e^ε), the strongest
 * attack an ε-DP mechanism permits) sits where two edges meet, and there
 * the mass falls below a far more often than a: simulated (2,000 per class,
 * ε = 1), a = 0.1, 0.05, 0.01 reject 0.19, 0.11, 0.024 of the time; at ε = 4
 * with 500 per class 0.30, 0.21, 0.06. One edge is one linear constraint on
 * two independent binomial rates, whose Jeffreys posterior mass behaves as
 * a p-value (Bernstein-von Mises), so testing the four edges at a/4 each
 * bounds the rate by a: measured 0.039, 0.019, 0.004 (ε = 1) and 0.045,
 * 0.043, 0.003 (ε = 4) for the same a. The profile region is convex with a
 * smooth edge: its level is halved for the curvature, not proven.
 * tests/test_verdict.c checks the whole family's rate on the worst case.
 * A test whose number cannot be computed is an error, never a silent pass.
 */
#ifndef PA_VERDICT_H
#define PA_VERDICT_H

#include <stddef.h>

#include "core/err.h"

typedef struct verdict_test {
    const char *method;          /* "bayes", "clopper_pearson" or "profile" */
    double claimed;              /* the claimed ε (finite) */
    double delta;                /* δ of the estimate */
    double alpha;                /* the two-sided level the row was computed at */
    double tp, fn, fp, tn;       /* its test-split counts (bayes, clopper_pearson) */
    double p_exceeds;            /* profile: P(outside the claimed region) */
} verdict_test;

typedef struct verdict {
    size_t k;                    /* tests in the family */
    size_t reject;               /* index of the first test that rejects at its corrected level, or SIZE_MAX */
    size_t nraw;                 /* tests whose own flag is raised at α/2 (uncorrected; bayes: the lower bound) */
} verdict;

/* The family-wise verdict of tests[0..k-1] (k ≥ 1; every alpha equal, in
 * (0, 1)). PA_EINPUT for an unknown method, a non-finite claim, counts
 * without a member or a non-member, alphas that differ; PA_EINTERNAL when an
 * estimator fails. */
int verdict_family(const verdict_test *tests, size_t k, verdict *out, pa_err *err);

#endif
