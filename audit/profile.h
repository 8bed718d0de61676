/* profile.h — a violation test against a claim's whole privacy profile.
 *
 * A mechanism that is (ε, δ(ε))-DP for every ε ≥ 0 (a privacy profile) has
 * every test's (x, y) = (FNR, FPR) inside the intersection over ε of the
 * (ε, δ(ε)) regions lo_ε(x) <= y <= 1 − lo_ε(1 − x),
 *   lo_ε(x) = max(0, 1 − δ(ε) − e^ε x, e^-ε (1 − δ(ε) − x))
 * (Kairouz, Oh, Viswanath 2015; the region of eps_bayes, docs/estimators.md).
 * Profiles:
 *   - ρ-zCDP: δ(ε) of Canonne, Kamath, Steinke 2020 (acct_zcdp_delta) at
 *     every ε: sound for any ρ-zCDP mechanism, whatever it composes
 *     (Gaussian measurements, exponential-mechanism selections, ...).
 *   - μ-GDP: δ(ε) = Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2) (Dong, Roth, Su
 *     2022), the profile of the Gaussian trade-off curve: sound only for a
 *     mechanism that is μ-GDP, e.g. an adaptive composition of Gaussian
 *     measurements with Σ (Δ/σ)² = μ² — not for one accounted in zCDP that
 *     also spends ρ on an exponential mechanism (MST's and AIM's selection).
 * The profile is taken at a finite grid ε_j = j·ε_max/(K − 1), j < K,
 * ε_max the ε whose δ is 1e-15: an intersection over fewer ε is a larger
 * region, so the grid can only make the test miss a violation, never raise
 * a false one.
 *
 * The test as run (eps_profile_choose, eps_profile_p_outside_edge): the
 * posterior probability (independent Jeffreys Beta posteriors of FNR and FPR,
 * as eps_bayes) that (x, y) lies beyond one supporting line of the region,
 * the line and the threshold chosen on a disjoint calibration split.
 * eps_profile_p_outside (the mass outside the whole region) is kept as the
 * quadrature's reference in tests/test_gdp.c; it is not a p-value at the
 * region's corners.
 */
#ifndef PA_PROFILE_H
#define PA_PROFILE_H

#include <stddef.h>

#include "audit/eps.h"
#include "core/err.h"

#define EPS_PROFILE_K 256

typedef struct eps_profile {
    size_t n;                       /* grid points */
    double eps[EPS_PROFILE_K];      /* ε_j */
    double ee[EPS_PROFILE_K];       /* e^ε_j */
    double eme[EPS_PROFILE_K];      /* e^-ε_j */
    double delta[EPS_PROFILE_K];    /* δ(ε_j) (capped at 1) */
    /* the lower edge lo(x) as its upper envelope of lines: line i, c_i − s_i·x, holds on
     * [kx[i-1], kx[i]] (kx[-1] = 0, kx[nh-1] = 1); the last line may be 0 */
    size_t nh;
    double hc[2 * EPS_PROFILE_K + 1], hs[2 * EPS_PROFILE_K + 1], kx[2 * EPS_PROFILE_K + 1];
} eps_profile;

/* The ρ-zCDP profile (ρ > 0 finite); PA_EINPUT otherwise, PA_EINTERNAL if a
 * conversion fails. */
int eps_profile_zcdp(double rho, eps_profile *p, pa_err *err);

/* The μ-GDP profile (μ > 0 finite). */
int eps_profile_gdp(double mu, eps_profile *p, pa_err *err);

/* The region's lower edge: the least FPR the profile allows at FNR x ∈ [0, 1]
 * (0 where every y is allowed); *slope (may be NULL) its derivative. */
double eps_profile_lo(const eps_profile *p, double x, double *slope);

/* Threshold on a calibration split: among the distinct score values (at most
 * 4096 of them, evenly spaced in rank, when there are more), the one
 * maximising the margin lo(x_U) − y_U, x_U and y_U the one-sided 95% Wilson
 * upper bounds of FNR and FPR (member predicted at score >= threshold; ties:
 * the highest threshold). The bounds keep a corner (FN = 0, or FP = n₀)
 * from looking like a violation on few scores. When no margin is positive
 * (no violation seen on the calibration split), the threshold of the largest
 * TPR − FPR instead: the margin's maximum is then in a corner, where the
 * posterior of a rate near 0 is wide and P_out can be large by chance. +inf when the split lacks members
 * or non-members. PA_EINPUT for a NaN score, PA_ENOMEM. */
int eps_profile_choose_threshold(const double *score, const int *label, size_t n, const eps_profile *p,
                                 double *thr, pa_err *err);

/* One supporting line of the region's lower edge, y >= 1 − δ_j − e^ε_j x
 * (side 1) or y >= e^−ε_j (1 − δ_j − x) (side 2), at a grid point j. */
typedef struct eps_profile_edge {
    double eps, delta;
    int side;
} eps_profile_edge;

/* The test as run (cellest, epsilon --scores): the threshold of
 * eps_profile_choose_threshold and, on the same calibration split, the line
 * of the profile most violated there (the largest c − s·x_U − y_U over the
 * 2K lines, x_U and y_U the Wilson upper bounds at that threshold). Testing
 * that one line on the test split, and not the whole region, is what makes
 * the posterior mass a p-value: the region is an intersection of many
 * half-planes with corners (at FNR = 0 or FPR = 0, and near the chance line
 * when ρ is small) where the posterior outside it approaches 1 even when the
 * truth is inside (QA, 2026-12-02: a constant score refuted ε = 0.02). edge
 * is untouched when *thr is +inf. */
int eps_profile_choose(const double *score, const int *label, size_t n, const eps_profile *p, double *thr,
                       eps_profile_edge *edge, pa_err *err);

/* P_out of the chosen line: 1 − the Jeffreys posterior mass of its allowed
 * half-plane (eps_bayes_edge_mass) for counts c. PA_EINTERNAL if the
 * quadrature fails, PA_EINPUT for bad counts or edge. */
int eps_profile_p_outside_edge(const eps_counts *c, const eps_profile_edge *edge, double *pout, pa_err *err);

/* P_out for counts c: 1 − ∫ p(x) [F_y(hi(x)) − F_y(lo(x))] dx by QAGS on
 * pieces split at posterior quantiles of x (num_qags: a failed quadrature
 * is PA_EINTERNAL with a message), split also at the kinks of the region's edges. Accurate to 1e-9. */
int eps_profile_p_outside(const eps_counts *c, const eps_profile *p, double *pout, pa_err *err);

#endif
