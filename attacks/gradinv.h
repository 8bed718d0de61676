/* gradinv.h — gradient inversion: rebuild a batch of training records from
 * one shared update of an MLP (issue #7; docs/gradinv.md).
 *
 * Dimensions (used in every comment and in attacks/gradinv*.c):
 *   B = records in the victim's batch, d = inputs (width[0]), p = classes
 *   (width[L]), L = dense layers, P = parameters, h = a hidden width,
 *   H, W = image height and width (d = H·W, one channel).
 *
 * The victim: a core/mlp.h network with softmax cross-entropy on its logits
 * (spec.out = MLP_IDENTITY) takes one step on B records; the update is the
 * mean gradient (1/B) Σ_i ∇θ ℓ_i, or the DP-SGD private gradient (clip C,
 * noise σC, divided by qN). The attacker knows θ and the update g* (P).
 *
 * Attacks:
 *  - analytic (B = 1 exact): the first dense layer's weight gradient row i is
 *    ∂L/∂b_0[i] · x, so x = Σ_i sign(db_i) dW_i / Σ_i |db_i| (the rows
 *    averaged with weights |db_i|). For B > 1 this is the db-weighted mixture
 *    Σ_b (Σ_i |db_i| w_ib x_b) / Σ|db| of the batch — reported as such.
 *  - iDLG labels (Zhao, Mopuri, Bilen 2020): the last layer's bias gradient
 *    (1/B) Σ_b (softmax_b − e_{y_b}) is negative exactly at labels present
 *    when the model is not yet confident; the B most negative entries.
 *  - optimisation (DLG, Zhu, Liu, Han 2019: L2 matching; Inverting
 *    Gradients, Geiping, Bauermeister, Dröge, Moeller 2020: cosine matching +
 *    total variation, Adam on the sign of the gradient, box projection,
 *    restarts). The gradient of the matching loss with respect to the dummy
 *    inputs is computed exactly by reverse-over-forward double
 *    backpropagation in double precision (gi_match_grad; derivation in
 *    attacks/gradinv.c).
 *
 * Everything here is in double: the float weights of the victim are copied
 * into a gi_net. Nothing prints; functions return PA_OK or a pa_status.
 */
#ifndef PA_GRADINV_H
#define PA_GRADINV_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "core/err.h"
#include "core/mlp.h"

/* ---- the victim's network in double precision ---- */

typedef struct gi_net gi_net;

/* A double copy of m's architecture and parameters (same flat layout as
 * mlp_params: W_0, b_0, W_1, b_1, ...). The output activation must be
 * MLP_IDENTITY (logits) and width[L] >= 2, else PA_EINPUT. On error *out = NULL. */
int gi_net_from_mlp(const mlp *m, gi_net **out, pa_err *err);

/* Frees n; accepts NULL. */
void gi_net_free(gi_net *n);

size_t gi_net_nparams(const gi_net *n);   /* P */
size_t gi_net_inputs(const gi_net *n);    /* d */
size_t gi_net_classes(const gi_net *n);   /* p */

/* The flat parameter vector θ (P), owned by n (writable: tests perturb it). */
double *gi_net_params(gi_net *n);

/* g (P) = ∇θ of the mean softmax cross-entropy (1/B) Σ_b ℓ(X_b, y_b) at
 * X (B, d), labels y (B) in [0, p). *loss (if not NULL) receives the mean
 * loss. PA_EINPUT for a bad label, PA_ENOMEM. */
int gi_net_grad(gi_net *n, const double *X, const int32_t *y, size_t B, double *g, double *loss,
                pa_err *err);

/* Double backpropagation: dX (B, d) = ∂/∂X ⟨∇θ L(X, y), v⟩ for a direction
 * v (P), with L the mean cross-entropy as in gi_net_grad; also g (P) =
 * ∇θ L if g is not NULL. Exact for MLP_IDENTITY, TANH, SIGMOID and RELU
 * hidden layers (relu'' = 0 away from 0). */
int gi_net_grad_dot_dx(gi_net *n, const double *X, const int32_t *y, size_t B, const double *v,
                       double *dX, double *g, pa_err *err);

/* ---- matching loss and its gradient ---- */

typedef enum gi_match { GI_MATCH_L2 = 0, GI_MATCH_COS = 1 } gi_match;

typedef struct gi_prior {
    gi_match match;     /* L2: ‖g − g*‖²; COS: 1 − ⟨g, g*⟩ / (‖g‖ ‖g*‖) */
    double tv;          /* total-variation weight α >= 0 (images only; 0 = none) */
    size_t H, W;        /* image shape for TV (H·W = d), 0 when not an image */
} gi_prior;

/* Matching objective M(X) = match(g(X), g*) + α·TV(X) at X (B, d), where
 * TV(X) = mean over the B images of the mean absolute difference of
 * horizontally and vertically adjacent pixels (Geiping et al.'s anisotropic
 * TV). *value receives M; dX (B, d), if not NULL, its gradient (TV by its
 * subgradient sign(0) = 0). gstar: (P). */
int gi_match_grad(gi_net *n, const gi_prior *pr, const double *gstar, const double *X,
                  const int32_t *y, size_t B, double *value, double *dX, pa_err *err);

/* ---- attacks ---- */

/* Analytic recovery from the first layer's gradient: xhat (d) = Σ_i sign(db_i)
 * dW_i / Σ_i |db_i| over rows with |db_i| > 1e-12·max|db|. g: (P) in n's
 * layout. *best_row (if not NULL) receives argmax_i |db_i|. PA_EINPUT when the
 * whole first-layer bias gradient is 0 (nothing to recover). */
int gi_analytic(const gi_net *n, const double *g, double *xhat, size_t *best_row, pa_err *err);

/* iDLG labels: y (B) = the B entries of the last layer's bias gradient in
 * increasing order (the most negative first; B <= p). For B = 1 this is the
 * argmin. PA_EINPUT if B > p. */
int gi_idlg_labels(const gi_net *n, const double *g, size_t B, int32_t *y, pa_err *err);

/* The box/domain of the inputs: one entry per input column group. */
typedef struct gi_domain {
    size_t n_blocks;            /* number of one-hot blocks (0 for images) */
    const size_t *block_start;  /* (n_blocks) first input of each one-hot block */
    const size_t *block_len;    /* (n_blocks) its length (>= 2) */
    /* every input not in a block is boxed to [0, 1] */
} gi_domain;

/* Euclidean projection of X (B, d) onto the domain: inputs outside blocks
 * clipped to [0, 1], each one-hot block projected onto the probability
 * simplex (Duchi, Shalev-Shwartz, Singer, Chandra 2008). dom NULL: [0,1]^d. */
void gi_project(const gi_domain *dom, double *X, size_t B, size_t d);

typedef struct gi_opt_cfg {
    gi_prior prior;             /* matching loss and TV */
    size_t iters;               /* Adam iterations per restart (>= 1) */
    size_t restarts;            /* independent random starts (>= 1); the lowest M wins */
    double lr;                  /* Adam step size (Geiping: 0.1), decayed ×0.1 at 3/8, 5/8, 7/8 */
    int sign;                   /* 1: Adam on sign(∇M) (Geiping et al.), 0: on ∇M */
    const gi_domain *dom;       /* projection after every step (NULL: [0,1]^d) */
    double tol;                 /* stop a restart when M < tol (0: never) */
} gi_opt_cfg;

/* Validates cfg: PA_EINPUT naming the field. */
int gi_opt_cfg_check(const gi_opt_cfg *cfg, size_t d, pa_err *err);

/* Optimisation-based inversion: minimises M over dummy inputs X (B, d) with
 * labels y (B) (from gi_idlg_labels or known), starting from U(0,1) draws of r
 * projected onto the domain. On success Xhat (B, d) holds the best restart's
 * inputs and *value (if not NULL) its M. */
int gi_invert(gi_net *n, const gi_opt_cfg *cfg, const double *gstar, const int32_t *y, size_t B,
              gsl_rng *r, double *Xhat, double *value, pa_err *err);

/* ---- metrics ---- */

/* Mean squared error of a and b (d). */
double gi_mse(const double *a, const double *b, size_t d);

/* PSNR in dB with peak 1: 10 log10(1 / MSE); INFINITY when MSE = 0. */
double gi_psnr(double mse);

/* SSIM (Wang, Bovik, Sheikh, Simoncelli 2004) of two H×W images with values
 * in [0, 1] (dynamic range 1, K1 = 0.01, K2 = 0.03), a uniform w×w window
 * (w odd, w <= min(H, W)), population (1/w²) moments, averaged over every
 * window position fully inside the image (the "valid" positions: (H−w+1)·
 * (W−w+1) of them) — scikit-image's structural_similarity with
 * use_sample_covariance=False and gaussian_weights=False. NAN for a bad w. */
double gi_ssim(const double *a, const double *b, size_t H, size_t W, size_t w);

/* Assignment of B reconstructions to B true records minimising the summed
 * MSE: brute force over all B! permutations for B <= 8, greedy (smallest
 * remaining MSE first) above. perm[k] = the true record matched to
 * reconstruction k. Xhat, X: (B, d). PA_ENOMEM. */
int gi_match_records(const double *Xhat, const double *X, size_t B, size_t d, size_t *perm,
                     pa_err *err);

/* Multiset overlap of recovered and true labels, divided by B. */
double gi_label_accuracy(const int32_t *yhat, const int32_t *y, size_t B);

#endif
