/* test_roc.c — ROC, AUC, TPR@FPR and the calibration threshold rule. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "audit/roc.h"

TestSuite(roc);

/* AUC by its definition: P(score of a member > score of a non-member)
 * + ½ P(tie), counted over all pairs. */
static double auc_by_pairs(const double *s, const int *y, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (y[i] && !y[j]) {
                num += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
                den += 1;
            }
    return num / den;
}

Test(roc, auc_equals_the_pairwise_probability_with_ties_halved)
{
    const double s[] = {0.9, 0.8, 0.8, 0.7, 0.5, 0.5, 0.3, 0.2, 0.2, 0.1};
    const int y[] = {1, 1, 0, 1, 0, 1, 0, 0, 1, 0};
    roc_curve *c;
    pa_err e;
    cr_assert_eq(roc_build(s, y, 10, &c, &e), PA_OK);
    cr_assert_float_eq(roc_auc(c), auc_by_pairs(s, y, 10), 1e-12);
    cr_assert_eq(c->pos, 5);
    cr_assert_eq(c->np, 8, "7 distinct scores plus the origin");
    cr_assert_eq(c->fpr[c->np - 1], 1);
    cr_assert_eq(c->tpr[c->np - 1], 1);
    /* at threshold 0.8: TP = 2 of 5, FP = 1 of 5 */
    cr_assert_float_eq(c->tpr[2], 0.4, 1e-15);
    cr_assert_float_eq(c->fpr[2], 0.2, 1e-15);
    cr_assert_float_eq(roc_tpr_at(c, 0.0), 0.2, 1e-15);
    cr_assert_float_eq(roc_tpr_at(c, 0.2), 0.6, 1e-15, "0.7 gives TPR 0.6 at FPR 0.2");
    roc_free(c);
}

Test(roc, a_perfect_attack_has_auc_one_and_full_tpr_at_zero_fpr)
{
    const double s[] = {5, 4, 3, 2, 1, 0};
    const int y[] = {1, 1, 1, 0, 0, 0};
    roc_curve *c;
    cr_assert_eq(roc_build(s, y, 6, &c, NULL), PA_OK);
    cr_assert_eq(roc_auc(c), 1);
    cr_assert_eq(roc_tpr_at(c, 0), 1);
    roc_free(c);
}

Test(roc, one_class_only_is_an_input_error)
{
    const double s[] = {1, 2};
    const int y[] = {1, 1};
    roc_curve *c = (roc_curve *)0x1;
    pa_err e;
    cr_assert_eq(roc_build(s, y, 2, &c, &e), PA_EINPUT);
    cr_assert_null(c);
    cr_assert(strstr(e.msg, "members and non-members"));
}

Test(roc, counts_split_by_the_threshold)
{
    const double s[] = {0.9, 0.8, 0.8, 0.7, 0.1};
    const int y[] = {1, 0, 1, 1, 0};
    eps_counts k;
    roc_counts(s, y, 5, 0.8, &k);
    cr_assert_eq(k.tp, 2);
    cr_assert_eq(k.fn, 1);
    cr_assert_eq(k.fp, 1);
    cr_assert_eq(k.tn, 1);
}

Test(roc, the_chosen_threshold_maximises_the_clopper_pearson_bound)
{
    /* 200 members scoring 10 (a leak) or 0, 200 non-members scoring 0 or 1:
     * the only threshold giving FP = 0 with many TP is 10. */
    double s[400];
    int y[400];
    for (int i = 0; i < 400; i++) {
        y[i] = i < 200;
        s[i] = y[i] ? (i % 2 ? 10 : 0) : (i % 3 ? 0 : 1);
    }
    double thr;
    cr_assert_eq(roc_choose_threshold(s, y, 400, 1e-5, 0.05, &thr, NULL), PA_OK);
    cr_assert_eq(thr, 10);
    /* and the bound at that threshold is the best over all thresholds */
    eps_counts k;
    roc_counts(s, y, 400, thr, &k);
    double lo, hi, best_lo;
    eps_clopper_pearson(&k, 1e-5, 0.05, &best_lo, &hi);
    const double others[] = {1, 0, -1};
    for (int t = 0; t < 3; t++) {
        roc_counts(s, y, 400, others[t], &k);
        eps_clopper_pearson(&k, 1e-5, 0.05, &lo, &hi);
        cr_assert_leq(lo, best_lo);
    }
}

/* The full scan the threshold rule is defined by (the code before the
 * exact pruning): the Clopper-Pearson lower bound at every distinct score,
 * ties within 1e-12 to the larger Youden's J, scanning from the top. */
static double naive_threshold(const double *s, const int *y, size_t n, double delta, double alpha)
{
    size_t pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += y[i] != 0;
    size_t neg = n - pos;
    /* distinct scores, descending (n is small: quadratic is fine) */
    double best = -1, best_j = -2, best_thr = INFINITY, prev = INFINITY;
    for (;;) {
        double next = -INFINITY;
        for (size_t i = 0; i < n; i++)
            if (s[i] < prev && s[i] > next)
                next = s[i];
        if (next == -INFINITY)
            break;
        prev = next;
        eps_counts c;
        roc_counts(s, y, n, next, &c);
        double lo, hi;
        if (eps_clopper_pearson(&c, delta, alpha, &lo, &hi) != PA_OK)
            continue;
        double j = c.tp / (double)pos - c.fp / (double)neg;
        if (lo > best + 1e-12 || (lo > best - 1e-12 && j > best_j)) {
            best = lo;
            best_j = j;
            best_thr = next;
        }
    }
    return best_thr;
}

/* xorshift draws for the random score sets */
static double urand(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return (double)(*st >> 11) / 9007199254740992.0;
}

Test(roc, the_fast_threshold_rule_picks_the_same_threshold_as_the_full_scan)
{
    /* 60 random score sets: member shift from -1.5 (worse than chance) to
     * +4 (a leak), rounded to a grid of 0.01..1 so that ties are common,
     * and both balanced and unbalanced classes */
    uint64_t st = 88172645463325252ULL;
    enum { N = 600 };
    double s[N];
    int y[N];
    for (int k = 0; k < 60; k++) {
        double shift = -1.5 + 5.5 * k / 59.0, grid = k % 3 == 0 ? 1 : k % 3 == 1 ? 0.1 : 0.01;
        size_t n = 50 + (size_t)(urand(&st) * (N - 50));
        double pmem = k % 4 == 0 ? 0.1 : 0.5;
        for (size_t i = 0; i < n; i++) {
            y[i] = urand(&st) < pmem;
            /* a Gaussian by Box-Muller */
            double g = sqrt(-2 * log(urand(&st) + 1e-300)) * cos(2 * M_PI * urand(&st));
            s[i] = round((g + (y[i] ? shift : 0)) / grid) * grid;
        }
        double fast, slow = naive_threshold(s, y, n, 1e-5, 0.05);
        cr_assert_eq(roc_choose_threshold(s, y, n, 1e-5, 0.05, &fast, NULL), PA_OK);
        cr_expect_eq(fast, slow, "set %d (n %zu, shift %g, grid %g): %.17g vs the full scan's %.17g", k, n, shift,
                     grid, fast, slow);
    }
}

struct prog { size_t calls, last, total; };

static void on_progress(void *ctx, size_t done, size_t total)
{
    struct prog *p = ctx;
    cr_expect(done >= p->last && done <= total, "progress went from %zu to %zu of %zu", p->last, done, total);
    p->calls++;
    p->last = done;
    p->total = total;
}

Test(roc, threshold_choice_reports_progress_and_refuses_bad_levels)
{
    enum { N = 5000 };
    static double s[N];
    static int y[N];
    for (int i = 0; i < N; i++) {
        y[i] = i % 2;
        s[i] = (double)((i * 7919) % N) + (y[i] ? 300 : 0);
    }
    struct prog p = { 0, 0, 0 };
    double thr;
    cr_assert_eq(roc_choose_threshold_cb(s, y, N, 1e-5, 0.05, on_progress, &p, &thr, NULL), PA_OK);
    cr_expect(p.calls >= 10 && p.last == N && p.total == N, "%zu calls, last %zu of %zu", p.calls, p.last, p.total);
    pa_err err = { 0 };
    cr_expect_eq(roc_choose_threshold(s, y, N, 1e-5, 1.5, &thr, &err), PA_EINPUT);
    cr_expect(strstr(err.msg, "alpha") != NULL, "%s", err.msg);
}
