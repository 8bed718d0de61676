/* mlp.h — multilayer perceptron: forward, backward, per-example gradients, Adam.
 *
 * Dimensions (used in every comment and in mlp.c):
 *   L = dense layers (>= 1); layer l = 0..L-1 maps width[l] -> width[l+1]
 *   B = examples in the current batch (rows), d = width[0] inputs,
 *   h = a hidden width, p = width[L] outputs, P = total parameters.
 *
 * Numbers are float (32-bit). Every matrix product goes through BLAS
 * (cblas_sgemm / sgemv / sdot), and the point of comparison for speed is the
 * machine's sgemm peak. DP noise (σC per coordinate) swamps float rounding by
 * many orders of magnitude, and float halves memory traffic and doubles SIMD
 * width against double.
 *
 * Matrices are row-major. Layer l holds W_l (width[l+1], width[l]) — the
 * PyTorch nn.Linear layout — and b_l (width[l+1]). The forward pass is
 *   Z_l = A_l W_lᵀ + 1 b_lᵀ,  A_{l+1} = act(Z_l)
 * with A_0 = X (B, d) and Y = A_L (B, p); hidden layers use spec.hidden, the
 * last layer spec.out (MLP_IDENTITY for logits / regression outputs).
 *
 * Buffers (one contiguous allocation per role, llm.c style):
 *   params (P)   W_0, b_0, W_1, b_1, ... — the flat parameter vector θ
 *   grads  (P)   same layout — the flat gradient
 *   acts         A_0 (B,d), A_1 (B,width[1]), ..., A_L (B,p)
 *   deltas       G_0 (B,width[1]), ..., G_{L-1} (B,p), dX (B,d)
 *                where G_l = ∂ℓ_i/∂Z_l row by row: the backprop signal at the
 *                output of layer l, one row per example (not summed).
 * acts and deltas grow when a batch larger than any seen so far arrives.
 *
 * Training flow:
 *   mlp_forward(X)                       fills acts, returns Y
 *   mlp_loss_xent / mlp_loss_mse /       seed ∂ℓ_i/∂Y for every example i
 *     mlp_seed(dY)                       (custom losses: GAN, WGAN critics)
 *   mlp_backprop(need_dx)                fills deltas G_l (and dX = ∂ℓ_i/∂X)
 *   mlp_grad_accumulate(c, scale, beta)  grads = beta·grads + scale·Σ_i c_i ∇θ ℓ_i
 *                                        (one GEMM per layer, c = NULL: all 1)
 * mlp_backward() is backprop + accumulate for plain (non-private) training.
 * The per-example quantities DP-SGD needs (norms, clipped sum) read the same
 * stored A_l and G_l: see core/dpsgd.h.
 */
#ifndef PA_MLP_H
#define PA_MLP_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "core/err.h"

typedef enum mlp_act {
    MLP_IDENTITY = 0,
    MLP_TANH = 1,
    MLP_SIGMOID = 2,
    MLP_RELU = 3
} mlp_act;

typedef struct mlp_spec {
    size_t L;               /* number of dense layers, >= 1 */
    const size_t *width;    /* (L+1) widths, each >= 1: width[0] = d, width[L] = p */
    mlp_act hidden;         /* activation after layers 0..L-2 */
    mlp_act out;            /* activation after layer L-1 (MLP_IDENTITY for logits) */
} mlp_spec;

/* A view of layer l: pointers into the model's buffers (valid until the next
 * mlp_forward with a larger batch than before, which may move acts/deltas;
 * W, b, dW, db never move). */
typedef struct mlp_layer_view {
    size_t in, out;         /* width[l], width[l+1] */
    mlp_act act;            /* activation applied after this layer */
    float *W;               /* (out, in) weights, inside mlp_params */
    float *b;               /* (out) bias */
    float *dW;              /* (out, in) gradient, inside mlp_grads */
    float *db;              /* (out) */
    const float *A_in;      /* (B, in) input of the layer from the last forward */
    const float *A_out;     /* (B, out) output after activation */
    const float *G;         /* (B, out) ∂ℓ_i/∂Z_l from the last backprop */
} mlp_layer_view;

typedef struct mlp mlp;

/* A new MLP with the given architecture, parameters zero (call mlp_init).
 * On success *out owns everything (free with mlp_free); on error *out = NULL
 * and PA_EINPUT names the bad spec field, or PA_ENOMEM. */
int mlp_new(const mlp_spec *spec, mlp **out, pa_err *err);

/* Frees m; accepts NULL. */
void mlp_free(mlp *m);

/* PyTorch's nn.Linear default: every W and b entry ~ U(-1/√in, 1/√in),
 * drawn from r in parameter order. */
void mlp_init(mlp *m, gsl_rng *r);

/* Copies parameters from src into dst (same architecture, else PA_EINPUT). */
int mlp_copy_params(mlp *dst, const mlp *src, pa_err *err);

/* P, the number of parameters. */
size_t mlp_nparams(const mlp *m);

/* The flat parameter vector θ (P); owned by m. */
float *mlp_params(mlp *m);

/* The flat gradient vector (P), same layout as θ; owned by m. */
float *mlp_grads(mlp *m);

/* Number of layers L, and width[l] for l = 0..L. */
size_t mlp_nlayers(const mlp *m);
size_t mlp_width(const mlp *m, size_t l);

/* Batch size of the last forward pass. */
size_t mlp_batch(const mlp *m);

/* Fills *v with layer l (l < L) of m. */
void mlp_layer(const mlp *m, size_t l, mlp_layer_view *v);

/* Forward pass of B rows of X (B, d) (B >= 1). Stores every activation and,
 * on success, sets *Y to the output (B, p), owned by m and valid until the
 * next forward. PA_ENOMEM if the activation buffers could not grow (then *Y
 * = NULL and m keeps its previous buffers). Y may be NULL. */
int mlp_forward(mlp *m, const float *X, size_t B, const float **Y, pa_err *err);

/* Softmax cross-entropy on the last forward's output (logits, B×p, p >= 2):
 * ℓ_i = logsumexp(Y_i) − Y_i[y_i]. Seeds ∂ℓ_i/∂Y_i = softmax(Y_i) − e_{y_i}.
 * y: (B) labels in [0, p), else PA_EINPUT naming the row. loss (B) receives
 * ℓ_i if not NULL; *sum (if not NULL) receives Σ_i ℓ_i. */
int mlp_loss_xent(mlp *m, const int32_t *y, float *loss, double *sum, pa_err *err);

/* Squared error on the last forward's output: ℓ_i = ½ Σ_j (Y_ij − T_ij)².
 * Seeds ∂ℓ_i/∂Y_i = Y_i − T_i. T: (B, p). loss, sum as for mlp_loss_xent. */
int mlp_loss_mse(mlp *m, const float *T, float *loss, double *sum, pa_err *err);

/* Seeds ∂ℓ_i/∂Y_i = dY_i for a loss computed by the caller; dY: (B, p). */
void mlp_seed(mlp *m, const float *dY);

/* Accuracy of argmax(Y_i) against y_i over the last forward (fraction in [0,1]). */
double mlp_accuracy(const mlp *m, const int32_t *y);

/* Backpropagates the seed through the layers: fills every G_l (B, width[l+1])
 * with ∂ℓ_i/∂Z_l, and, if need_dx, dX (B, d) with ∂ℓ_i/∂X_i (input gradient,
 * e.g. for a generator trained through a discriminator). Parameter gradients
 * are not touched. Requires a forward and a seed on the same batch. */
void mlp_backprop(mlp *m, int need_dx);

/* ∂ℓ_i/∂X_i (B, d) from the last mlp_backprop(m, 1); owned by m. */
const float *mlp_dx(const mlp *m);

/* grads = beta·grads + scale·Σ_i c_i ∇θ ℓ_i, one GEMM (weights) and one GEMV
 * (bias) per layer: dW_l = beta·dW_l + scale·G_lᵀ diag(c) A_l. c: (B)
 * per-example weights, or NULL for all ones. Reads the G_l of the last
 * mlp_backprop; does not modify them. */
void mlp_grad_accumulate(mlp *m, const float *c, float scale, float beta);

/* mlp_backprop(m, 0) + mlp_grad_accumulate(m, NULL, scale, 0):
 * grads = scale·Σ_i ∇θ ℓ_i (scale = 1/B gives the mean-loss gradient). */
void mlp_backward(mlp *m, float scale);

/* Per-example squared gradient norms without materialising the gradients:
 * sq[i] = Σ_l ‖G_l[i]‖² (‖A_l[i]‖² + 1)  (dense layer with bias; Li et al.
 * 2021 "ghost clipping", Bu et al. 2022 "book-keeping"). sq: (B). Reads the
 * last forward and backprop. Sums are accumulated in double. */
void mlp_example_sqnorms(const mlp *m, double *sq);

/* Reference for the above (naive, O(P) per example): materialises example
 * i's gradient ∇θ ℓ_i into g (P, same layout as θ), in double. */
void mlp_example_grad_naive(const mlp *m, size_t i, double *g);

/* ---- Adam (Kingma and Ba 2015), on a flat float vector ---- */

typedef struct mlp_adam_cfg {
    double lr;              /* step size α > 0 (e.g. 1e-3) */
    double beta1, beta2;    /* moment decay, in [0, 1) (0.9, 0.999) */
    double eps;             /* denominator guard > 0 (1e-8) */
    double weight_decay;    /* decoupled (AdamW) decay λ >= 0; 0 = plain Adam */
} mlp_adam_cfg;

typedef struct mlp_adam mlp_adam;

/* An Adam state for P parameters: m and v (P) in one buffer, zeroed, t = 0.
 * PA_EINPUT names a bad cfg field; on error *out = NULL. */
int mlp_adam_new(size_t P, const mlp_adam_cfg *cfg, mlp_adam **out, pa_err *err);

/* Frees a; accepts NULL. */
void mlp_adam_free(mlp_adam *a);

/* One Adam update of theta (P) with gradient g (P):
 *   t += 1; m = β1 m + (1−β1) g; v = β2 v + (1−β2) g²;
 *   θ −= α [ m/(1−β1ᵗ) / (√(v/(1−β2ᵗ)) + ε) + λ θ ]. */
void mlp_adam_step(mlp_adam *a, float *theta, const float *g);

/* Changes the step size (schedules). */
void mlp_adam_set_lr(mlp_adam *a, double lr);

#endif
