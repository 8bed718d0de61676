/* cellest.c — the estimates of one (cell, attack, target) (cellest.h). */
#include "audit/cellest.h"

#include <math.h>
#include <stdlib.h>

#include "audit/eps.h"
#include "audit/gdp_fit.h"
#include "audit/profile.h"
#include "audit/roc.h"

static cellest_row blank(const char *m, double claimed)
{
    return (cellest_row){.method = m, .lo = NAN, .point = NAN, .hi = NAN, .threshold = NAN, .tp = NAN, .fn = NAN,
                         .fp = NAN, .tn = NAN, .claimed = claimed, .p_exceeds = NAN};
}

static void set_counts(cellest_row *r, double thr, const eps_counts *c)
{
    r->threshold = thr;
    r->tp = c->tp;
    r->fn = c->fn;
    r->fp = c->fp;
    r->tn = c->tn;
}

int cellest_compute(const cellest_in *in, cellest_row *rows, size_t *nrows, pa_err *err)
{
    *nrows = 0;
    const size_t n = in->n;
    size_t nc = 0, nt = 0, n1 = 0;
    for (size_t i = 0; i < n; i++) {
        in->is_cal[i] ? nc++ : nt++;
        n1 += in->member[i] != 0;
    }
    if (n1 == 0 || n1 == n)
        return PA_OK;
    double *cs = pa_malloc(nc + 1, sizeof *cs), *ts = pa_malloc(nt + 1, sizeof *ts);
    int *cl = pa_malloc(nc + 1, sizeof *cl), *tl = pa_malloc(nt + 1, sizeof *tl);
    int rc = PA_OK;
    if (!cs || !ts || !cl || !tl) {
        rc = pa_errf(err, PA_ENOMEM, "out of memory");
        goto out;
    }
    nc = nt = 0;
    for (size_t i = 0; i < n; i++) {
        if (in->is_cal[i]) {
            cs[nc] = in->score[i];
            cl[nc++] = in->member[i];
        } else {
            ts[nt] = in->score[i];
            tl[nt++] = in->member[i];
        }
    }
    const double delta = in->delta, a2 = in->alpha / 2, claimed = in->claimed;
    const int has_rho = in->rho > 0 && isfinite(in->rho);
    gdp_fit g;
    if ((rc = gdp_fit_scores(in->score, in->member, n, a2, &g, err)))
        goto out;
    cellest_row gr = blank("gdp_fit", has_rho ? gdp_mu_of_rho(in->rho) : NAN);
    gr.lo = g.lo;
    gr.point = g.mu;
    gr.hi = g.hi;
    double thr;
    if ((rc = roc_choose_threshold(cs, cl, nc, delta, a2, &thr, err)))
        goto out;
    eps_counts cnt;
    roc_counts(ts, tl, nt, thr, &cnt);
    if (cnt.tp + cnt.fn == 0 || cnt.fp + cnt.tn == 0) {
        rows[(*nrows)++] = gr; /* a test split with one class only: the fit alone */
        goto out;
    }
    cellest_row r = blank("point", claimed);
    set_counts(&r, thr, &cnt);
    r.lo = r.hi = r.point = eps_point(&cnt, delta);
    rows[(*nrows)++] = r;
    r = blank("clopper_pearson", claimed);
    set_counts(&r, thr, &cnt);
    if (eps_clopper_pearson(&cnt, delta, a2, &r.lo, &r.hi) == PA_OK) {
        r.violation = isfinite(claimed) && r.lo > claimed;
        rows[(*nrows)++] = r;
    }
    r = blank("bayes", claimed);
    set_counts(&r, thr, &cnt);
    pa_err berr;
    if (eps_bayes_interval(&cnt, delta, a2, &r.lo, &r.hi, &berr) == PA_OK) {
        r.violation = isfinite(claimed) && r.lo > claimed;
        r.p_exceeds = isfinite(claimed) ? eps_bayes_p_exceeds(&cnt, delta, claimed) : NAN;
        rows[(*nrows)++] = r;
    }
    rows[(*nrows)++] = gr;
    if (has_rho) {
        eps_profile prof;
        double pthr, pout;
        eps_counts pc;
        eps_profile_edge edge;
        if ((rc = in->gaussian ? eps_profile_gdp(gdp_mu_of_rho(in->rho), &prof, err)
                               : eps_profile_zcdp(in->rho, &prof, err)) ||
            (rc = eps_profile_choose(cs, cl, nc, &prof, &pthr, &edge, err)))
            goto out;
        roc_counts(ts, tl, nt, pthr, &pc);
        if ((rc = eps_profile_p_outside_edge(&pc, &edge, &pout, err)))
            goto out;
        r = blank("profile", claimed);
        set_counts(&r, pthr, &pc);
        r.p_exceeds = pout;
        r.violation = pout > 1 - a2;
        rows[(*nrows)++] = r;
    }
out:
    free(cs);
    free(ts);
    free(cl);
    free(tl);
    return rc;
}
