/* gdp_fit.h — μ of the Gaussian trade-off curve fitted to an attack's
 * scores, with a confidence interval.
 *
 * A μ-GDP mechanism (Dong, Roth, Su 2022, "Gaussian differential privacy")
 * has trade-off curve G_μ(α) = Φ(Φ⁻¹(1 − α) − μ); the best test against it
 * has the binormal ROC of two unit-variance normals μ apart, whose area is
 * AUC = Φ(μ/√2). The fit inverts that: μ̂ = √2·Φ⁻¹(AUC), with AUC the
 * Mann-Whitney statistic of the scores (ties ½). This is the binormal
 * (equal-variance) fit of the ROC that Nasr et al. 2023 ("Tight auditing of
 * differentially private machine learning") compare with the GDP curve.
 *
 * Interval: the DeLong, DeLong, Clarke-Pearson (1988) variance of the AUC
 * (placement values), carried to probit space by the delta method
 * (se_p = se_AUC / φ(Φ⁻¹(AUC))), each end a one-sided (1 − alpha) bound:
 * μ ∈ √2·[p − z·se_p, p + z·se_p], z = Φ⁻¹(1 − alpha). When the DeLong
 * variance is 0 (complete separation, AUC ∈ {0, 1}, or every score tied),
 * the AUC's bound comes instead from Bamber's (1975) inequality
 * Var(AUC) ≤ A(1 − A)/min(n₁, n₀), solved for A as a Wilson-type bound.
 *
 * The fit is a summary, not a bound: a ROC that is not binormal (e.g. a
 * few records found with certainty, the rest at chance) has an AUC that says
 * little about its low-FPR corner. It is never used to flag a violation.
 */
#ifndef PA_GDP_FIT_H
#define PA_GDP_FIT_H

#include <stddef.h>

#include "core/err.h"

typedef struct gdp_fit {
    double auc;             /* Mann-Whitney AUC, ties ½ */
    double se_auc;          /* DeLong standard error of the AUC (0 when degenerate) */
    double mu, lo, hi;      /* μ̂ = √2 Φ⁻¹(AUC) (±inf at AUC 1 / 0) and its interval */
    size_t n1, n0;          /* members, non-members */
} gdp_fit;

/* Fits μ to n scores with labels (1 = member). alpha: one-sided level of each
 * end, in (0, ½). PA_EINPUT for a NaN/infinite score, a label not 0/1,
 * no member or no non-member, alpha out of range; PA_EINTERNAL if a normal
 * quantile fails; PA_ENOMEM. The result does not depend on the order of
 * the scores (they are sorted). */
int gdp_fit_scores(const double *score, const int *label, size_t n, double alpha, gdp_fit *out, pa_err *err);

/* μ_theory of a ρ-zCDP claim, √(2ρ): the μ of the Gaussian mechanism with
 * that ρ (ρ = Δ²/(2σ²), μ = Δ/σ). NAN for ρ < 0 or NaN. */
double gdp_mu_of_rho(double rho);

#endif
