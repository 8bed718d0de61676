/* marginal.h — the marginal attack (config attack "marginal").
 *
 * A likelihood-ratio test on the counts of the target's cells in the
 * marginals a release reproduces. n = records of D, m = synthetic records,
 * d = columns, K_j = cells of column j (codes, or the generator's bins of a
 * numeric column). For every marginal S in the attack's set (the 1-way
 * marginals of every column and some 2-way ones, below) and target t:
 *   - x_S = (synthetic records in t's cell of S) · T_S / m, the release's
 *     estimate of that cell's count, T_S the total its histogram was
 *     normalised to (n; for the "marginals" generator the expected sum of
 *     its clipped noisy counts, computed from the known counts);
 *   - c_S = the cell's count in D: exact in the fixed game (aux is D),
 *     n·(aux count)/(aux rows) in the average game;
 *   - V_S = σ_S² (the generator's noise variance for that cell, from its ε,
 *     δ and algorithm) + n²q(1−q)/m (sampling m records, q = (c_S+½)/n)
 *     + in the average game nq(1−q) (D's own draw) + n²q(1−q)/n_aux;
 *     the o other targets that share the cell add o/2 to c_S and o/4 to V_S
 *     (each is a member with probability ½);
 *   - the log likelihood ratio of "the cell holds c_S + 1" against "c_S"
 *     under x_S ~ N(count, V_S): (x_S − c_S − ½)/V_S, or, when no synthetic
 *     record falls in the cell (a count clipped at 0),
 *     log Φ(−(c_S+1)/√V_S) − log Φ(−c_S/√V_S).
 * The score is the sum over S (the optimal test when the marginals'
 * noises are independent). Marginal sets:
 *   - generator "marginals" (known): the d 1-way marginals, σ² = d/(2ρ);
 *   - generator "mst": the d 1-way marginals, σ1² = 3d/(2ρ), and the d−1
 *     pairs of its tree, σ2² = 3(d−1)/(2ρ); the tree is read off the release
 *     (the maximum spanning tree of the pairs' mutual information in it,
 *     Chow and Liu 1968, which recovers a tree-structured release's tree);
 *   - otherwise (an unknown or external generator, or "model": "generic"):
 *     every 1-way and (with "ways": 2, the default) every 2-way marginal,
 *     σ² = param "noise_var" (default 0).
 * ρ = acct_zcdp_rho(ε, δ) of the cell's claim (the attacker knows the
 * algorithm and its parameters, not its coins); ε = inf: σ = 0.
 * Params: "model" ("auto" | "generic"), "ways" (1 | 2), "noise_var" (≥ 0), "tree" ("release" | "aux"),
 * "bins" (numeric binning; default the generator's "bins" or 32).
 */
#ifndef PA_MARGINAL_H
#define PA_MARGINAL_H

#include "attacks/mia.h"

extern const mia_vtable mia_marginal;

/* The Gaussian log likelihood ratio of a mean shift b against none, for x ~ N(μ, Σ) (L cells):
 * *llr = wᵀr with w = Σ⁻¹b (the generalised-least-squares weights, into wt (L)) and r = x − μ − b/2 (L).
 * Sigma (L, L) row-major, symmetric; work holds L·L doubles. Returns PA_OK, or PA_EINPUT (*llr and wt
 * undefined) when Sigma is not positive definite (a Cholesky pivot ≤ 1e-12 of its diagonal). */
int marginal_gls_llr(double *llr, double *wt, double *work, const double *Sigma, const double *b, const double *r,
                     size_t L);

#endif
