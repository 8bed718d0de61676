/* whitebox.h — white-box audit of DP-SGD with canaries (Nasr, Song,
 * Thakurta, Papernot, Carlini 2021 "Adversary Instantiation"; Nasr, Hayes,
 * Steinke, Balle, Tramèr, Jagielski, Carlini, Terzis 2023 "Tight Auditing of
 * Differentially Private Machine Learning").
 *
 * Dimensions and symbols (used in whitebox.c too):
 *   N  training examples of the synthetic data set, d = d_live + K inputs
 *      (d_live informative features, K "dead" features that are 0 in every
 *      training row), h hidden units, p = 3 classes (data labels 0/1 only),
 *      P parameters of the MLP d -> h (tanh) -> p;
 *   R  runs (independent trainings), K canaries per run, T steps, q Poisson
 *      rate, C clipping norm, σ noise multiplier, η SGD step size.
 *
 * One run: θ_0 ~ mlp_init; for each canary k a fair coin b_k decides whether
 * it is in the training set; T steps of DP-SGD (core/dpsgd.h, plain SGD
 * update θ -= η g_t so that θ_T − θ_0 = −η Σ_t g_t) in which every canary
 * with b_k = 1 joins each batch with probability q, independently, like any
 * Poisson-sampled example, and enters the clipped sum clipped to C.
 *
 * Canaries (canary k lives on dead feature k, so no training row and no other
 * canary has any gradient there):
 *   gradient  a Dirac gradient (Nasr 2023): 10·C on the single coordinate
 *             W_0[0, d_live + k] (hidden unit 0, dead input k), zero
 *             elsewhere. Clipped to C by a correct engine.
 *   input     a record whose live features are 0, dead feature k = 10 and
 *             label 2 (a class no training row has): an out-of-distribution
 *             input with a rare label, whose gradient on the dead column
 *             W_0[:, d_live + k] is isolated from the data.
 *
 * Scores (higher = "member"), in units where one inclusion of the canary's
 * clipped gradient counts 1:
 *   all updates  the attacker sees every private gradient g_t. For each step
 *     x_t = ⟨qN g_t, u_t⟩ / ‖u_t‖² with u_t the canary's clipped gradient
 *     restricted to its dead column (gradient canary: C e_j), noise std in
 *     these units s_t = σC/‖u_t‖. The score is the log-likelihood ratio of
 *     Nasr 2023 for the mixture "canary in the batch with probability q":
 *       Σ_t ln(1 − q + q exp((2 x_t − 1) / (2 s_t²)))
 *     (for q = 1 a monotone function of Σ_t x_t / s_t², the optimal test of
 *     the Gaussian shift).
 *   final model  the attacker sees θ_0 and θ_T only:
 *     qN ⟨θ_0 − θ_T, u_0⟩ / (η ‖u_0‖²) with u_0 the canary's clipped dead-column
 *     gradient at θ_0 (for the gradient canary this equals Σ_t x_t exactly).
 *
 * Planted bugs (the claimed ε and σ stay those of the correct engine):
 *   noise_div10  the engine runs with σ/10;
 *   no_clip      the engine runs with C_eng = 1e6·C and σ_eng = σ·C/C_eng, so
 *                the noise std stays σC but no gradient is clipped: the 10·C
 *                gradient canary (and an input canary's gradient, if larger
 *                than C) enters the sum at full norm.
 *
 * Estimators: the R·K (score, member) pairs of runs r < R·cal_frac form the
 * calibration split (threshold by roc_choose_threshold), the others the test
 * split (counts -> Bayesian joint-beta, Clopper-Pearson, Jeffreys, μ-GDP of
 * audit/eps.h). Canaries of one run are independent observations for the
 * gradient canary (disjoint coordinates, independent sampling and noise, SGD
 * linear); for input canaries they share the model, so pooling them is an
 * approximation (use K = 1 for a strict many-runs game). The one-run
 * estimator (Steinke, Nasr, Jagielski 2023) guesses, in every run, "in" for
 * the K/4 highest-scored canaries and "out" for the K/4 lowest; correct
 * guesses are pooled over the first runs, up to 100,000 guesses (each run's
 * count is dominated by a binomial, so the sum is too), and bounded with the
 * (ε, δ) p-value at the audit's δ (eps_one_run_delta): DP-SGD is only
 * (ε, δ)-DP, and the pure-ε p-value would overstate the bound.
 */
#ifndef PA_WHITEBOX_H
#define PA_WHITEBOX_H

#include <stddef.h>
#include <stdint.h>

#include "audit/eps.h"
#include "core/err.h"

typedef enum wb_threat { WB_THREAT_ALL = 0, WB_THREAT_FINAL = 1 } wb_threat;
typedef enum wb_canary { WB_CANARY_GRADIENT = 0, WB_CANARY_INPUT = 1 } wb_canary;
typedef enum wb_bug { WB_BUG_NONE = 0, WB_BUG_NOISE_DIV10 = 1, WB_BUG_NO_CLIP = 2 } wb_bug;

/* Names <-> enums ("all"/"final", "gradient"/"input", "none"/"noise_div10"/
 * "no_clip"). The parsers return 0 on success, -1 for an unknown name. */
const char *wb_threat_name(wb_threat t);
const char *wb_canary_name(wb_canary c);
const char *wb_bug_name(wb_bug b);
int wb_threat_parse(const char *s, wb_threat *out);
int wb_canary_parse(const char *s, wb_canary *out);
int wb_bug_parse(const char *s, wb_bug *out);

typedef struct wb_cfg {
    double epsilon;         /* claimed ε > 0: σ is calibrated for it (RDP accountant) */
    double delta;           /* δ in (0, 1) */
    wb_threat threat;
    wb_canary canary;
    wb_bug bug;
    size_t runs;            /* R >= 2 */
    size_t steps;           /* T >= 1 */
    double q;               /* Poisson rate in (0, 1] */
    double clip;            /* C > 0 */
    size_t canaries;        /* K in [1, 4096] */
    size_t n;               /* N training rows >= 1 (default 64) */
    size_t d_live;          /* informative features >= 1 (default 8) */
    size_t hidden;          /* h >= 1 (default 8) */
    double lr;              /* η > 0 (default 0.1) */
    double cal_frac;        /* share of runs in the calibration split, in (0, 1) (default 0.5) */
    double alpha;           /* two-sided level A in (0, 1): every bound is one-sided 1 − A/2 */
    uint64_t seed;
    size_t jobs;            /* worker threads >= 1; results do not depend on it */
} wb_cfg;

/* The defaults above: ε = 1, δ = 1e-5, all updates, gradient canary, no bug,
 * R = 1000, T = 1, q = 1, C = 1, K = 16, N = 64, d_live = 8, h = 8, η = 0.1,
 * cal_frac = 0.5, A = 0.1, seed 1, 1 job. */
void wb_cfg_default(wb_cfg *cfg);

/* Validates cfg: PA_EINPUT naming the field and the expected range, else PA_OK. */
int wb_cfg_check(const wb_cfg *cfg, pa_err *err);

/* The noise multiplier σ the accountant (acct_calibrate_sigma, RDP, opacus
 * orders) gives for cfg's claimed (ε, δ) at (q, T), and the RDP and PRV ε of
 * exactly that training (T steps of the Poisson Gaussian at (σ, q)). Any
 * output pointer may be NULL. On error outputs are NAN. */
int wb_sigma(const wb_cfg *cfg, double *sigma, double *eps_rdp, double *eps_prv, pa_err *err);

/* One run (index `run`, stream rng_stream(cfg->seed, run)) at noise
 * multiplier sigma (the claimed one; the bug changes what the engine uses).
 * score (K) and member (K) receive each canary's score and coin. sigma = 0
 * is allowed (no noise, for tests). PA_EINPUT / PA_ENOMEM as the engine. */
int wb_run(const wb_cfg *cfg, double sigma, size_t run, double *score, int *member, pa_err *err);

typedef struct wb_result {
    double sigma;           /* claimed σ (calibrated) */
    double eps_theory;      /* RDP ε of the training that ran with the claimed σ */
    double eps_prv;         /* PRV accountant ε (estimate) of the same; for q = 1 the
                               exact ε of the Gaussian mechanism, √T/σ-GDP */
    size_t nobs;            /* R·K observations */
    double *score;          /* (nobs) run-major: score[r·K + k] */
    int *member;            /* (nobs) */
    int *is_cal;            /* (nobs) 1 = calibration split */
    double auc;             /* AUC on the test split */
    double tpr_at_001;      /* TPR at FPR <= 0.01 on the test split */
    double threshold;       /* chosen on the calibration split */
    eps_counts counts;      /* test-split counts at the threshold */
    double point;           /* point ε of the counts */
    double bayes_lo, bayes_hi, cp_lo, cp_hi, jeff_lo, jeff_hi;
    double gdp_mu, gdp_eps; /* μ-GDP lower bound and its (ε, δ) */
    double fit_mu, fit_lo, fit_hi; /* GDP fit of the test split's scores (audit/gdp_fit.h): μ̂ = √2 Φ⁻¹(AUC)
                               and its DeLong interval, each end one-sided 1 − A/2 (a summary, never a flag) */
    double mu_theory;       /* μ of the claimed training: √T/σ for q = 1 (T Gaussian mechanisms, exactly
                               μ-GDP); for q < 1 the CLT μ = q√(T(e^{1/σ²} − 1)) (Bu et al. 2020, `privaudit
                               account --accountant gdp`), an approximation: the subsampled mixture is not μ-GDP */
    double p_exceeds;       /* posterior P(ε > claimed) */
    int violation;          /* the Bayesian test of audit/verdict.h rejects the claim (k = 1) */
    double one_run_m, one_run_r, one_run_v, one_run_eps; /* pooled one-run audit: canaries
                               m, guesses r, correct v, ε lower bound */
    double seconds;         /* wall time of the runs */
} wb_result;

/* Progress callback: called (serialised) after each finished run. */
typedef void (*wb_progress_fn)(void *ctx, size_t done, size_t total);

/* The whole audit: σ, R runs on cfg->jobs threads (run r always from stream
 * r, so results are identical for any jobs), split, threshold, counts, every
 * estimator. *out is owned by the caller (wb_result_free); NULL on error. */
int wb_audit(const wb_cfg *cfg, wb_progress_fn progress, void *ctx, wb_result **out, pa_err *err);

/* Progress of the steps after the runs: `stage` names the step ("threshold"
 * over the calibration scores, "test split", "estimators"), done/total its
 * items (0/0 when it has none). Called from the calling thread. */
typedef void (*wb_stage_fn)(void *ctx, const char *stage, size_t done, size_t total);

/* wb_audit with a stage callback as well (either callback may be NULL). */
int wb_audit_staged(const wb_cfg *cfg, wb_progress_fn progress, wb_stage_fn stage, void *ctx,
                    wb_result **out, pa_err *err);

/* Frees r; accepts NULL. */
void wb_result_free(wb_result *r);

/* The all-updates log-likelihood ratio of one step: ln(1 − q + q e^z),
 * z = (2x − 1)/(2 s²), computed stably (log-sum-exp). q in (0, 1], s > 0. */
double wb_step_llr(double x, double s, double q);

#endif
