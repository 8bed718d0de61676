/* eps.h — empirical ε from the outcomes of a membership-inference audit.
 *
 * Dimensions and symbols used throughout audit/eps*.c:
 *   counts  TP, FN (members: guessed in / guessed out), FP, TN (non-members);
 *   x = FNR = FN/(FN+TP), y = FPR = FP/(FP+TN);
 *   δ       the δ of the (ε,δ) guarantee being audited;
 *   α       a one-sided error level (each end of an interval has its own α);
 *   k       number of thresholds tried (Bonferroni correction over k);
 *   m, r, v one-run auditing: canaries, guesses made, guesses correct.
 *
 * Interval convention (shared/REFERENCES.md): every interval function takes
 * the one-sided level α of each end. The CLI's `--alpha A` (two-sided) calls
 * these with α = A/2. Clopper-Pearson and Jeffreys bound each of the two
 * rates at one-sided level α/2 (union bound over the two rates).
 *
 * Functions returning a plain double return NAN on invalid input (negative
 * or non-finite counts, an empty class, δ outside [0,1)); functions returning
 * int return PA_OK or PA_EINPUT (message in *err when err is not NULL) and
 * leave their outputs set to NAN on failure. An infinite upper end is
 * INFINITY. No function prints, allocates global state or exits; the GSL
 * error handler is switched off (gsl_set_error_handler_off) on first use so a
 * GSL failure becomes a status, never an abort.
 */
#ifndef PA_EPS_H
#define PA_EPS_H

#include <stddef.h>

#include "core/err.h"

typedef struct eps_counts { double tp, fn, fp, tn; } eps_counts;   /* doubles: may be large */

/* ---- point estimates and frequentist intervals (audit/eps.c) ---- */

/* ε from two rates by the point formula of both test directions:
 * max(0, ln((1-δ-fnr)/fpr), ln((1-δ-fpr)/fnr)); INFINITY when a numerator is
 * positive and its denominator is 0. NAN if a rate is outside [0,1]. */
double eps_from_rates(double fnr, double fpr, double delta);

/* Point formula on the observed rates, >= 0 (INFINITY with FP = 0 or FN = 0
 * and the other rate below 1-δ). */
double eps_point(const eps_counts *c, double delta);

/* Clopper-Pearson: lo = one-sided lower bound at level alpha using rate upper bounds at
 * alpha/2 each (union bound); hi likewise upper bound. Per REFERENCES "interval convention", the CLI
 * calls this with alpha = A/2. Rate upper bound U(k,n) = BetaInv(1-α/2; k+1, n-k) (1 if k = n),
 * lower bound L(k,n) = BetaInv(α/2; k, n-k+1) (0 if k = 0). hi is INFINITY when FN = 0 or FP = 0. */
int eps_clopper_pearson(const eps_counts *c, double delta, double alpha, double *lo, double *hi);

/* Jeffreys: as Clopper-Pearson with each rate's bounds the α/2 and 1-α/2
 * quantiles of Beta(k+½, n-k+½) (U = 1 if k = n, L = 0 if k = 0; Brown, Cai,
 * DasGupta 2001). */
int eps_jeffreys(const eps_counts *c, double delta, double alpha, double *lo, double *hi);

/* One-sided Clopper-Pearson rate bounds at level alpha each: *lo = L(k,n),
 * *hi = U(k,n) for k successes out of n (0 <= k <= n, n > 0). */
int eps_rate_cp(double k, double n, double alpha, double *lo, double *hi);

/* *P = P[X <= x], *Q = P[X > x] for X ~ Beta(a, b), each with full
 * relative precision in its tail (audit/eps_beta.c: GSL's incomplete beta
 * where its own error estimate is below 1e-13, else an accurate log
 * prefactor with the continued fraction, or quadrature of the density near
 * the mean of a large-parameter Beta). Returns PA_OK, PA_EINPUT for a, b <= 0
 * or NaN x, PA_EINTERNAL if no method converged (outputs NAN then). */
int eps_beta_cdf(double x, double a, double b, double *P, double *Q);

/* As eps_beta_cdf, in log space: *lnP = ln P[X <= x], *lnQ = ln P[X > x]
 * (finite far beyond where P or Q underflow a double). */
int eps_beta_logcdf(double x, double a, double b, double *lnP, double *lnQ);

/* As eps_beta_logcdf with y = 1 − x given too (so a point near 1 keeps
 * its precision: y is used wherever 1 − x would be). */
int eps_beta_logcdf2(double x, double y, double a, double b, double *lnP, double *lnQ);

/* ln of the Beta(a, b) density at x in (0, 1), with the prefactor of
 * eps_beta_logcdf (exact to ~1e-15 absolute for any a, b); NAN outside. */
double eps_beta_lnpdf(double x, double a, double b);

/* ln P[X = k] for X ~ Binomial(r, q) (q1 = 1 − q given separately), exact
 * to ~1e-14 relative for r up to 1e12 (Stirling-difference form of C(r, k),
 * no lnΓ(r) cancellation). NAN for k outside [0, r]. */
double eps_binom_lnpmf(double k, double r, double q, double q1);

/* *ln_ge = ln P[X >= v], *ln_lt = ln P[X < v] for X ~ Binomial(r, q),
 * through P[X >= v] = I_q(v, r − v + 1) (eps_beta_logcdf2). */
int eps_binom_logtail(double v, double r, double q, double q1, double *ln_ge, double *ln_lt);

/* The p-quantile of Beta(a, b) (a, b > 0, 0 < p < 1), solving ln tail(x) =
 * ln target (tail P for p < ½, Q otherwise, so either end keeps its relative
 * precision) by bracketed Newton steps; no GSL inverse (which can loop for
 * parameters beyond ~1e6). PA_EINPUT on invalid input, PA_EINTERNAL with a
 * message if it does not converge in 300 steps; *x is NAN on error. */
int eps_beta_quantile_e(double p, double a, double b, double *x, pa_err *err);

/* eps_beta_quantile_e without the message: NAN on any error. */
double eps_beta_quantile(double p, double a, double b);

/* Maximum of the Clopper-Pearson lower bound over k thresholds (counts c[0..k-1]),
 * each computed at level alpha/k (Bonferroni), so the maximum is a one-sided
 * (1-alpha) lower bound. *best (may be NULL) receives the index attaining it. */
int eps_cp_max_thresholds(const eps_counts *c, size_t k, double delta, double alpha,
                          double *lo, size_t *best, pa_err *err);

/* ---- Bayesian joint-beta posterior (audit/eps_bayes.c) ----
 * Zanella-Béguelin et al., ICML 2023. Jeffreys priors: x ~ Beta(FN+½, TP+½),
 * y ~ Beta(FP+½, TN+½), independent. P(ε) = posterior mass of the region
 * lo(x) <= y <= hi(x) with lo(x) = max(0, 1-δ-e^ε x, e^-ε (1-δ-x)),
 * hi(x) = min(1, 1-e^-ε (x-δ), δ+e^ε (1-x)): the inner integral is a Beta
 * CDF difference; the outer one is GSL QAGS over x split at the kinks of lo
 * and hi and at posterior quantiles of x. P is nondecreasing in ε, P(∞) = 1. */

/* P(eps) as above; NAN on invalid input. */
double eps_bayes_prob_le(const eps_counts *c, double delta, double eps);  /* P(ε_true-region mass) = P(eps) */
/* The region is the intersection of four half-planes (y >= 1-δ-e^ε x,
 * y >= e^-ε (1-δ-x), y <= 1-e^-ε (x-δ), y <= δ+e^ε (1-x)); the smallest of
 * their posterior masses, each a posterior probability of one linear
 * constraint on (FNR, FPR). Unlike P(eps), whose region has corners, each
 * behaves like a p-value when the truth is on its edge (audit/verdict.h).
 * NAN on invalid input or a failed quadrature. */
double eps_bayes_min_edge(const eps_counts *c, double delta, double eps);
/* The posterior mass of one of those half-planes (side 1-4, in that order),
 * at (eps, delta); NAN on invalid input or a failed quadrature. */
double eps_bayes_edge_mass(const eps_counts *c, double delta, double eps, int side);
/* Posterior probability that the true ε exceeds eps_claimed: 1 - P(eps_claimed). */
double eps_bayes_p_exceeds(const eps_counts *c, double delta, double eps_claimed); /* 1 - P(claimed) */

/* Bayesian: lo = 0 if P(0) > alpha else root of P(eps) = alpha; hi = root of P(eps) = 1 - alpha
 * (hi may be INFINITY). Per the convention the CLI calls it with alpha = A/2.
 * Roots by GSL Brent to 1e-7 in ε; search range [0, 300] (beyond it: INFINITY). */
int eps_bayes_interval(const eps_counts *c, double delta, double alpha, double *lo, double *hi, pa_err *err);
/* The lower end alone (one-sided (1-alpha) credible lower bound). */
int eps_bayes_lower(const eps_counts *c, double delta, double alpha, double *lo, pa_err *err);
/* The upper end alone (one-sided (1-alpha) credible upper bound; may be INFINITY). */
int eps_bayes_upper(const eps_counts *c, double delta, double alpha, double *hi, pa_err *err);

/* Posterior density of ε on a grid, for plots: dens[i] = dP/dε at grid[i]
 * (central difference of P with step 1e-4, one-sided at 0). grid[i] >= 0,
 * dens has n entries, owned by the caller. */
int eps_bayes_density(const eps_counts *c, double delta, const double *grid, size_t n,
                      double *dens, pa_err *err);

/* ---- μ-GDP, one-run auditing, separation (audit/eps.c) ---- */

/* μ-GDP lower bound (Nasr et al. 2023): max over the k thresholds of
 * Φ⁻¹(1-FPR_U) - Φ⁻¹(FNR_U) (clamped at 0), each rate's Clopper-Pearson upper
 * bound at level alpha/(2k) (union bound over rates, Bonferroni over k).
 * *best (may be NULL) is the index attaining it. */
int eps_gdp_mu_lower(const eps_counts *c, size_t k, double alpha, double *mu, size_t *best,
                     pa_err *err);

/* The (ε,δ) lower bound implied by a μ-GDP lower bound: the ε with
 * Φ(-ε/μ+μ/2) - e^ε Φ(-ε/μ-μ/2) = δ (0 if δ(0) <= δ, so 0 for μ = 0;
 * INFINITY for δ = 0 and μ > 0). Same as acct_gdp_to_eps. */
int eps_gdp_epsilon(double mu, double delta, double *eps, pa_err *err);

/* One-run auditing (Steinke, Nasr, Jagielski 2023), pure-ε form: m canaries,
 * r guesses, v correct (0 <= v <= r <= m, integers). The largest ε with
 * P[Bin(r, e^ε/(1+e^ε)) >= v] <= alpha; 0 if even ε = 0 is not rejected.
 * Same as eps_one_run_delta with δ = 0. */
int eps_one_run(double m, double r, double v, double alpha, double *eps_lb, pa_err *err);

/* One-run auditing of an (ε, δ)-DP mechanism (Steinke, Nasr, Jagielski
 * 2023, the approximate-DP p-value of their appendix): with q = e^ε/(1+e^ε)
 * and X ~ Bin(r, q),
 *   p(ε) = min(1, P[X >= v] + 2 m δ · max_{i=1..v} P[v−i <= X < v]/i),
 * and ε_lb is the largest ε with p(ε) <= alpha (0 if p(0) > alpha). δ = 0
 * gives the pure-ε form; a mechanism that is only (ε, δ)-DP (DP-SGD) must
 * be audited with its δ, or the bound overstates. The maximum over i is
 * found by bisection: the binomial pmf is log-concave, so the running mean
 * P[v−i <= X < v]/i rises while the next term exceeds it and falls after.
 * Each p(ε) costs O(log v) binomial tails (eps_binom_logtail), whatever r.
 * PA_EINPUT for bad m, r, v, δ or alpha; PA_EINTERNAL (message) if the root
 * cannot be found. */
int eps_one_run_delta(double m, double r, double v, double delta, double alpha, double *eps_lb,
                      pa_err *err);

/* Separation κ of μ-GDP: (2Φ(μ/2) - 1)/√2, the largest distance between its
 * trade-off curve and the line β = 1-α. NAN if mu < 0. */
double eps_kappa_gdp(double mu);

/* Separation of an empirical ROC of n points (fpr[i], tpr[i]):
 * max_i (tpr[i] - fpr[i])/√2, clamped at 0 (the point (0,0)/(1,1) gives 0). */
int eps_kappa_roc(const double *fpr, const double *tpr, size_t n, double *kappa, pa_err *err);

#endif
