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
 *     under x_S ~ N(count, V_S): (x_S − c_S − ½)/V_S (for MST's 1-way cells
 *     c_S − λ in place of c_S, λ the shift of its projection onto the
 *     simplex, Σ_k E[max(0, c_k + σ1 Z − λ)] = n), or, when no synthetic
 *     record falls in the cell (a count clipped at 0),
 *     log Φ(−(c_S+1)/√V_S) − log Φ(−c_S/√V_S).
 * In the fixed game the score is the sum over S (the optimal test when the
 * marginals' noises are independent). In the average game (param "gls",
 * default on there, off in the fixed game) the target's cells are scored
 * jointly: D's own draw, the aux estimate and the release's m records are
 * multinomial, so a record matching the target on S ∪ S' adds to both
 * cells, Cov(x_S, x_S') = κ(p_{S∪S'} − p_S p_S'), κ = n²/m + n + n²/n_aux
 * (fixed game: n²/m), p the aux rows' shares matching the target; for
 * "mst" (param "mst_cov", default on) MST's measurement noise is mapped
 * onto the released cells through its estimation, linearised: a 1-way cell
 * pools its measurement with the tree pairs' margins (weights ∝ 1/v_j and
 * 1/(K_o·v2)), a pair's cell is raked to those 1-way cells
 * (y_ab + r_a(x̂_a − y_a·) + r_b(x̂_b − y_·b), r_a = P(b | a), r_b = P(a | b)
 * from aux). With Σ the cells' covariance (V_S on its diagonal, MST's
 * pooled variance in place of σ_S² with "mst_cov") and r = x − c − ½ over
 * the cells holding a synthetic record, the score is wᵀr, w = Σ⁻¹·1 (the
 * Neyman-Pearson test of a mean shift of 1 under N(c, Σ)), plus the
 * censored cells' terms as above; a Σ that is not positive definite has
 * its covariances halved until it is (8 times, then independent cells).
 * The matching counts come from the superset sums of the aux rows' match
 * masks (d ≤ 20; beyond, counted per pair of cells). Marginal sets:
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
 * "bins" (numeric binning; default the generator's "bins" or 32), "fuse", "gls", "mst_cov" (true | false).
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
