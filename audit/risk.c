/* risk.c — Anonymeter's success rates and residual risk; contracts in risk.h.
 * Transcribed from the formulas of statice/anonymeter stats/confidence.py
 * (success_rate, residual_success, bind_value, EvaluationResults). */
#include <math.h>

#include <gsl/gsl_cdf.h>

#include "audit/risk.h"

static double clip01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

double risk_probit(double confidence)
{
    if (!(confidence >= 0 && confidence < 1))
        return NAN;
    return gsl_cdf_ugaussian_Pinv(0.5 * (1.0 + confidence));
}

void risk_success_rate(double k, double n, double confidence, risk_rate *out)
{
    out->k = k;
    out->n = n;
    out->rate = out->err = out->lo = out->hi = NAN;
    double z = risk_probit(confidence);
    if (!(n > 0) || !(k >= 0) || k > n || isnan(z))
        return;
    double z2 = z * z, den = n + z2;
    out->rate = (k + 0.5 * z2) / den;
    out->err = z / den * sqrt(k * (n - k) / n + 0.25 * z2);
    out->lo = clip01(out->rate - out->err);
    out->hi = clip01(out->rate + out->err);
}

void risk_residual(const risk_rate *a, const risk_rate *c, risk_excess *out)
{
    out->raw = out->err = out->value = out->lo = out->hi = NAN;
    if (isnan(a->rate) || isnan(c->rate) || c->rate >= 1)
        return;
    double m = 1 - c->rate;
    out->raw = (a->rate - c->rate) / m;
    double da = 1 / fabs(m), dc = (a->rate - 1) / (m * m);
    out->err = sqrt(a->err * da * a->err * da + c->err * dc * c->err * dc);
    out->value = clip01(out->raw);
    out->lo = clip01(out->raw - out->err);
    out->hi = clip01(out->raw + out->err);
}

const char *risk_status_name(int status)
{
    switch (status) {
    case RISK_OK: return "ok";
    case RISK_NO_CONTROL: return "no_control";
    case RISK_WEAK: return "weak";
    case RISK_NOT_RUN: return "not_run";
    default: return "?";
    }
}

void risk_evaluate(double k_a, double n_a, double k_c, double n_c, double k_b, double n_b, double confidence,
                   double threshold, risk_result *out)
{
    out->confidence = confidence;
    out->threshold = threshold;
    out->flag = 0;
    risk_success_rate(k_a, n_a, confidence, &out->attack);
    risk_success_rate(k_c, isnan(n_c) ? 0 : n_c, confidence, &out->control);
    risk_success_rate(k_b, isnan(n_b) ? 0 : n_b, confidence, &out->baseline);
    if (!(n_a > 0) || isnan(out->attack.rate)) {
        out->status = RISK_NOT_RUN;
        risk_residual(&out->attack, &out->control, &out->risk); /* all NAN */
        return;
    }
    risk_residual(&out->attack, &out->control, &out->risk);
    if (isnan(out->control.rate)) {
        out->status = RISK_NO_CONTROL;
        return;
    }
    out->status = !isnan(out->baseline.rate) && out->baseline.rate >= out->attack.rate ? RISK_WEAK : RISK_OK;
    out->flag = !isnan(out->risk.lo) && out->risk.lo > threshold;
}

int risk_strongest(const risk_result *r, size_t n)
{
    int best = -1, any_control = 0;
    for (size_t i = 0; i < n; i++)
        any_control |= r[i].status == RISK_OK || r[i].status == RISK_WEAK;
    for (size_t i = 0; i < n; i++) {
        if (r[i].status == RISK_NOT_RUN)
            continue;
        if (best < 0) {
            best = (int)i;
            continue;
        }
        const risk_result *b = &r[best], *c = &r[i];
        if (any_control) {
            double cl = isnan(c->risk.lo) ? -1 : c->risk.lo, bl = isnan(b->risk.lo) ? -1 : b->risk.lo;
            double cv = isnan(c->risk.value) ? -1 : c->risk.value, bv = isnan(b->risk.value) ? -1 : b->risk.value;
            if (cl > bl || (cl == bl && cv > bv))
                best = (int)i;
        } else if (c->attack.rate > b->attack.rate) {
            best = (int)i;
        }
    }
    return best;
}
