/* risk.h — privacy risks of a released data set measured against a control,
 * as Anonymeter measures them (Giomi, Boenisch, Wehmeyer, Tasnádi, "A Unified
 * Framework for Quantifying Privacy Risk in Synthetic Data", PoPETs 2023;
 * statice/anonymeter, src/anonymeter/stats/confidence.py).
 *
 * An attack is run k times against the records the generator was trained on
 * (k_a successes out of n_a), the same attack against control records the
 * generator never saw (k_c of n_c), and a naive attack that ignores the
 * release (k_b of n_b). Each success rate is estimated by the Wilson score
 * centre with Anonymeter's symmetric error, and the risk is the excess of the
 * training rate over the control rate, normalised by what was left to gain:
 *
 *   z        = Φ⁻¹((1 + confidence) / 2)
 *   rate     = (k + z²/2) / (n + z²)
 *   error    = z / (n + z²) · sqrt(k (n − k) / n + z²/4)
 *   risk     = (rate_a − rate_c) / (1 − rate_c)
 *   risk_err = sqrt((err_a / (1 − rate_c))² + (err_c (rate_a − 1) / (1 − rate_c)²)²)
 *
 * and every reported value and interval end is clipped to [0, 1] (Anonymeter's
 * bind_value). Counts are doubles because a success count may be a mean over
 * several equal-sized slices (docs/audit.md).
 *
 * No function prints, allocates or keeps state; all are thread safe.
 */
#ifndef PA_RISK_H
#define PA_RISK_H

#include <stddef.h>

/* Φ⁻¹((1 + confidence) / 2): 1.959964 for confidence 0.95 (Anonymeter's
 * probit). NAN unless 0 ≤ confidence < 1. */
double risk_probit(double confidence);

/* One success rate. */
typedef struct risk_rate {
    double k, n;          /* successes and attempts (n > 0) */
    double rate;          /* Wilson centre (k + z²/2)/(n + z²), not clipped (it lies in (0, 1)) */
    double err;           /* Anonymeter's error bound on rate */
    double lo, hi;        /* rate ∓ err, clipped to [0, 1] */
} risk_rate;

/* Fills *out for k successes in n attempts at the given confidence
 * (Anonymeter's success_rate). Everything is NAN when n ≤ 0, k < 0, k > n or
 * the confidence is outside [0, 1). */
void risk_success_rate(double k, double n, double confidence, risk_rate *out);

/* The residual risk of an attack rate over a control rate. */
typedef struct risk_excess {
    double raw;           /* (rate_a − rate_c)/(1 − rate_c), unclipped (negative: control more attackable) */
    double err;           /* propagated error of raw */
    double value;         /* raw clipped to [0, 1] */
    double lo, hi;        /* raw ∓ err, each clipped to [0, 1] */
} risk_excess;

/* Anonymeter's residual_success followed by bind_value. All NAN if a rate is
 * NAN or the control rate is 1 (nothing left to gain). */
void risk_residual(const risk_rate *attack, const risk_rate *control, risk_excess *out);

typedef enum risk_status {
    RISK_OK = 0,            /* attack, control and baseline measured */
    RISK_NO_CONTROL = 1,    /* no control records: the excess cannot be measured */
    RISK_WEAK = 2,          /* measured, but the attack did not beat the naive baseline: a risk of 0
                             * then says little (Anonymeter's "results cannot be trusted") */
    RISK_NOT_RUN = 3        /* the attack could not be run (no attempts; the caller says why) */
} risk_status;

/* Name of a status ("ok", "no_control", "weak", "not_run"), or "?". */
const char *risk_status_name(int status);

/* Everything the audit reports about one attack. */
typedef struct risk_result {
    int status;             /* risk_status */
    double confidence;      /* level of every interval below */
    risk_rate attack;       /* against the training records */
    risk_rate control;      /* against the control records (all NAN without control) */
    risk_rate baseline;     /* the naive attack against the training records (NAN if not run) */
    risk_excess risk;       /* residual risk (all NAN without control) */
    double threshold;       /* flag when risk.lo > threshold */
    int flag;               /* 1: the excess is significantly above threshold */
} risk_result;

/* Evaluates one attack. k_c, n_c NAN (or n_c ≤ 0): no control; k_b, n_b NAN:
 * no baseline (the status is then never RISK_WEAK). The flag is risk.lo >
 * threshold, and only with status RISK_OK or RISK_WEAK. Status RISK_NOT_RUN
 * when n_a ≤ 0. */
void risk_evaluate(double k_a, double n_a, double k_c, double n_c, double k_b, double n_b, double confidence,
                   double threshold, risk_result *out);

/* Index of the result among r[0..n-1] with the largest risk.lo (ties: the
 * largest risk.value, then the first), skipping RISK_NOT_RUN; -1 if none.
 * When no result has a control, the one with the largest attack.rate. Callers
 * that pick the strongest of n attacks this way should have evaluated each at
 * confidence 1 − (1 − c)/n (Bonferroni), which keeps the chosen one's
 * intervals at level c. */
int risk_strongest(const risk_result *r, size_t n);

#endif
