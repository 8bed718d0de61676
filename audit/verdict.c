/* verdict.c — family-wise verdict of a setting's violation tests (verdict.h). */
#include "audit/verdict.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "audit/eps.h"

/* Does test t reject at one-sided level a? (verdict.h: bayes by its four
 * edges at a/4 each) */
static int rejects(const verdict_test *t, double a, int *rej, pa_err *err)
{
    eps_counts c = {t->tp, t->fn, t->fp, t->tn};
    if (!strcmp(t->method, "profile")) {
        if (!(t->p_exceeds >= 0 && t->p_exceeds <= 1))
            return pa_errf(err, PA_EINPUT, "verdict: profile test without P(outside) (%g)", t->p_exceeds);
        *rej = t->p_exceeds > 1 - a;
        return PA_OK;
    }
    if (!(c.tp >= 0 && c.fn >= 0 && c.fp >= 0 && c.tn >= 0) || c.tp + c.fn <= 0 || c.fp + c.tn <= 0)
        return pa_errf(err, PA_EINPUT, "verdict: %s test needs counts with members and non-members "
                       "(tp %g, fn %g, fp %g, tn %g)", t->method, c.tp, c.fn, c.fp, c.tn);
    if (!strcmp(t->method, "bayes")) {
        double p = eps_bayes_min_edge(&c, t->delta, t->claimed);
        if (!(p >= 0 && p <= 1))
            return pa_errf(err, PA_EINTERNAL, "verdict: the posterior mass of an edge of the eps = %g region "
                           "failed (%g)", t->claimed, p);
        *rej = p < a / 4;
        return PA_OK;
    }
    if (!strcmp(t->method, "clopper_pearson")) {
        double lo, hi;
        if (eps_clopper_pearson(&c, t->delta, a, &lo, &hi) != PA_OK || isnan(lo))
            return pa_errf(err, PA_EINTERNAL, "verdict: the Clopper-Pearson interval at level %g failed", a);
        *rej = lo > t->claimed;
        return PA_OK;
    }
    return pa_errf(err, PA_EINPUT, "verdict: no violation test for method \"%s\"", t->method);
}

/* The row's own flag at α/2, as the estimate table stores it: for bayes
 * the lower bound above the claim, i.e. P(ε ≤ claimed) < α/2. */
static int raw_flag(const verdict_test *t, double a, int *rej, pa_err *err)
{
    if (strcmp(t->method, "bayes"))
        return rejects(t, a, rej, err);
    eps_counts c = {t->tp, t->fn, t->fp, t->tn};
    double p = eps_bayes_prob_le(&c, t->delta, t->claimed);
    if (!(p >= 0 && p <= 1))
        return pa_errf(err, PA_EINTERNAL, "verdict: the Bayesian posterior P(eps <= %g) failed (%g)", t->claimed,
                       p);
    *rej = p < a;
    return PA_OK;
}

int verdict_family(const verdict_test *tests, size_t k, verdict *out, pa_err *err)
{
    *out = (verdict){.k = k, .reject = SIZE_MAX, .nraw = 0};
    if (k == 0)
        return pa_errf(err, PA_EINPUT, "verdict: no tests");
    const double alpha = tests[0].alpha;
    if (!(alpha > 0 && alpha < 1))
        return pa_errf(err, PA_EINPUT, "verdict: alpha %g outside (0, 1)", alpha);
    for (size_t i = 0; i < k; i++) {
        const verdict_test *t = &tests[i];
        if (t->alpha != alpha)
            return pa_errf(err, PA_EINPUT, "verdict: tests at different levels (%g and %g)", alpha, t->alpha);
        if (!isfinite(t->claimed) || t->claimed < 0 || !(t->delta >= 0 && t->delta < 1))
            return pa_errf(err, PA_EINPUT, "verdict: test %zu has claim %g, delta %g", i, t->claimed, t->delta);
        int raw, fam;
        int rc = raw_flag(t, alpha / 2, &raw, err);
        if (!rc)
            rc = rejects(t, alpha / 2 / (double)k / (strcmp(t->method, "profile") ? 1 : 2), &fam, err);
        if (rc)
            return rc;
        out->nraw += raw;
        if (fam && out->reject == SIZE_MAX)
            out->reject = i;
    }
    return PA_OK;
}
