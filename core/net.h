/* net.h — a sequential network of dense, convolution, transposed-convolution,
 * pooling, group-norm and activation layers: forward, backward, per-example
 * gradient norms (ghost norms), the clipped sum in one GEMM per layer, and
 * double backpropagation (forward-mode tangents of the forward and backward
 * passes, Pearlmutter 1994's R-operator).
 *
 * Dimensions (used in every comment and in net_impl.h):
 *   L = layers; layer l maps a tensor of shape (H_l, W_l, C_l) to
 *       (H_{l+1}, W_{l+1}, C_{l+1}); n_l = H_l·W_l·C_l values per example
 *   B = examples in the current batch, P = total parameters
 *   conv layers: k = kernel side, s = stride, pad = zero padding,
 *       T = output pixels H_{l+1}·W_{l+1} (transpose: input pixels H_l·W_l),
 *       K = k·k·C_l unfolded input width
 *
 * Layout: every tensor is channels-last (NHWC): example i's values are the
 * contiguous row i of a (B, n_l) matrix, pixel (y, x) channel c at
 * (y·W + x)·C + c. A grey image (C = 1) is the same in NCHW and NHWC.
 * Flatten is therefore free (NET_FLATTEN only relabels the shape), and a
 * dense layer after a conv reads the NHWC order.
 *
 * Parameters, one flat vector θ (P) in layer order:
 *   NET_DENSE      W (out, n_in) as nn.Linear, then b (out)
 *   NET_CONV       W (C_out, k, k, C_in) — PyTorch's (C_out, C_in, k, k)
 *                  permuted to channels-last — then b (C_out)
 *   NET_CONVT      W (C_in, k, k, C_out) — PyTorch's ConvTranspose2d
 *                  (C_in, C_out, k, k) permuted — then b (C_out)
 *   NET_GROUPNORM  γ (C), β (C)
 * Output sizes: conv H' = (H + 2pad − k)/s + 1; transposed conv
 * H' = (H − 1)s − 2pad + k (+ out_pad); pooling H' = (H − k)/s + 1.
 *
 * Two engines with the same API: net_* in float (OpenBLAS sgemm: the fast
 * one) and netd_* in double (dgemm: the reference for the double-backprop
 * check against central differences). Both come from one body, net_impl.h.
 *
 * Training flow (as core/mlp.h):
 *   net_forward(X)                      stores each layer's output and, for
 *                                       conv layers, the unfolded input
 *   net_loss_xent / net_loss_mse /      seed ∂ℓ_i/∂Y_i
 *     net_seed(dY)
 *   net_backprop(need_dx)               ∂ℓ_i/∂(output of every layer), per example
 *   net_grad_accumulate(c, scale, beta) grads = β·grads + scale·Σ_i c_i ∇θ ℓ_i
 *                                       (ONE GEMM per weight layer over all B·T rows)
 *   net_example_sqnorms(sq)             ‖∇θ ℓ_i‖² without the per-example gradient
 *                                       when cheaper (mixed ghost clipping)
 *   net_clip_sum(C, sq, c)              the two above: Σ_i min(1, C/‖∇θℓ_i‖)∇θℓ_i
 *
 * Double backpropagation (second-order terms for WGAN-GP and gradient
 * matching). After forward, seed and backprop on a batch:
 *   net_tangent_forward(dθ, dX)         tangents of every layer output in the
 *                                       direction (θ̇, Ẋ) (either may be NULL = 0)
 *   net_tangent_seed_xent(y) /          tangent of the seed: for cross-entropy
 *     net_tangent_seed_mse() /          (diag(p) − ppᵀ)Ẏ, for MSE Ẏ, or a caller's
 *     net_tangent_seed(dG)              (NULL = 0: a seed that does not depend on Y,
 *                                       e.g. a critic's ∂D/∂Y = 1)
 *   net_tangent_backprop(need_dx)       tangents of every backprop signal
 *   net_tangent_grad(c, scale, out)     out (P) = scale · d/dε Σ_i c_i ∇θ ℓ_i
 *   net_tangent_dx()                    (B, n_0) d/dε ∂ℓ_i/∂X_i
 * Uses:
 *   WGAN-GP: u_i = ∂D/∂x_i (backprop with need_dx), v_i = ∂R/∂u_i for the
 *     penalty R = λΣ(‖u_i‖−1)²; then ∇θR = net_tangent_grad after
 *     net_tangent_forward(NULL, v), seed tangent NULL.
 *   Gradient matching (PSG): g = ∇θ Σ_j ℓ(S_j), loss φ(g), v = ∇φ(g);
 *     ∂φ/∂S_j = net_tangent_dx after net_tangent_forward(v, NULL) and
 *     net_tangent_seed_xent(y).
 *
 * Threads: with a BLAS cap above 1 (core/blas.h), GEMMs above the BLAS
 * threshold are cut into chunks of rows or columns, and the per-example
 * kernels of large layers (and the kept per-example gradients) into chunks
 * of examples, which the calling thread and pa_par_for's helper take as they
 * finish. The per-example kernels compute every value as one call would; a
 * GEMM cut into chunks agrees with the whole one to float rounding (relative
 * 4e-7 on bench_net's gradients), as OpenBLAS's own threads do. One network
 * is used by one thread at a time.
 */
#ifndef PA_NET_H
#define PA_NET_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "core/err.h"

typedef enum net_kind {
    NET_DENSE = 0,      /* out = units; bias always */
    NET_CONV = 1,       /* out = C_out; k, stride, pad; bias always */
    NET_CONVT = 2,      /* out = C_out; k, stride, pad, out_pad; bias always */
    NET_AVGPOOL = 3,    /* k, stride (pad 0) */
    NET_GROUPNORM = 4,  /* groups (divides C); eps 1e-5; affine γ, β per channel.
                           groups = C is instance norm, groups = 1 layer norm */
    NET_ACT = 5,        /* act (slope for NET_LRELU) */
    NET_FLATTEN = 6     /* (H, W, C) -> (1, 1, H·W·C); no work */
} net_kind;

typedef enum net_act {
    NET_IDENTITY = 0,
    NET_RELU = 1,
    NET_LRELU = 2,      /* x > 0 ? x : slope·x, 0 < slope < 1 */
    NET_TANH = 3,
    NET_SIGMOID = 4
} net_act;

/* One layer; fields not used by its kind are ignored (designated
 * initialisers: {.kind = NET_CONV, .out = 32, .k = 3, .stride = 1, .pad = 1}). */
typedef struct net_layer_spec {
    net_kind kind;
    size_t out;         /* NET_DENSE: units; NET_CONV/NET_CONVT: output channels */
    size_t k;           /* kernel side (conv, convT, pool), >= 1 */
    size_t stride;      /* >= 1 (conv, convT, pool); 0 is read as 1 */
    size_t pad;         /* zero padding (conv, convT), < k */
    size_t out_pad;     /* NET_CONVT: extra rows/cols at the bottom/right, < stride */
    size_t groups;      /* NET_GROUPNORM: number of groups, divides C */
    net_act act;        /* NET_ACT */
    double slope;       /* NET_LRELU negative slope (e.g. 0.2) */
} net_layer_spec;

typedef struct net_spec {
    size_t H, W, C;                 /* input shape of one example (a vector: 1, 1, d) */
    size_t L;                       /* layers, >= 1 */
    const net_layer_spec *layer;    /* (L) */
} net_spec;

/* Validates spec (shapes positive, kernels fit, groups divide C, ...):
 * PA_EINPUT naming the layer and field, else PA_OK. */
int net_spec_check(const net_spec *spec, pa_err *err);

/* Declarations of one engine: NET_DECL(net, float) gives the float API,
 * NET_DECL(netd, double) the double one. Contracts (T = float or double):
 *
 * X_new(spec, out, err)    a new network, parameters zero; on error *out =
 *                          NULL and PA_EINPUT names the bad spec field, or PA_ENOMEM.
 * X_free(n)                frees; accepts NULL.
 * X_init(n, r)             PyTorch defaults: dense/conv/convT W and b ~
 *                          U(±1/√fan_in) (fan_in = n_in, k²C_in, resp. k²C_out
 *                          as torch computes it for ConvTranspose2d), γ = 1, β = 0;
 *                          drawn from r in parameter order.
 * X_copy_params(dst, src)  same spec, else PA_EINPUT.
 * X_nparams, X_params, X_grads   P and the flat θ / gradient (owned by n).
 * X_nlayers(n)             L;  X_size(n, l): n_l (l = 0..L; n_0 input, n_L output)
 * X_shape(n, l, &H, &W, &C)      shape of tensor l (l = 0..L)
 * X_param_offset(n, l)     offset of layer l's parameters in θ (its count:
 *                          X_param_count(n, l), 0 for layers without parameters)
 * X_batch(n)               B of the last forward.
 * X_forward(n, X, B, &Y, err)    X (B, n_0); *Y (B, n_L) owned by n, valid until
 *                          the next forward. PA_ENOMEM if buffers cannot grow
 *                          (then *Y = NULL, n unchanged). Y may be NULL.
 * X_output(n, l)           (B, n_l) output of layer l−1 (l = 0: the input copy).
 * X_loss_xent(n, y, loss, sum, err)  softmax cross-entropy on the logits Y
 *                          (n_L >= 2); y (B) in [0, n_L) else PA_EINPUT naming the
 *                          row; loss (B) / *sum optional. Seeds softmax − e_y.
 * X_loss_mse(n, T, loss, sum, err)   ½‖Y_i − T_i‖², seeds Y − T.
 * X_seed(n, dY)            seeds ∂ℓ_i/∂Y_i = dY (B, n_L).
 * X_accuracy(n, y)         argmax accuracy of the last forward.
 * X_backprop(n, need_dx)   fills every layer's output gradient (per example)
 *                          and, if need_dx, ∂ℓ_i/∂X_i (X_dx).
 * X_dx(n)                  (B, n_0) input gradient of the last backprop.
 * X_grad_accumulate(n, c, scale, beta)  grads = beta·grads + scale·Σ_i c_i ∇θℓ_i;
 *                          c (B) or NULL (all 1). One GEMM per weight layer.
 * X_backward(n, scale)     backprop(0) + accumulate(NULL, scale, 0).
 * X_example_sqnorms(n, sq) sq (B) = ‖∇θ ℓ_i‖², accumulated in double: per conv
 *                          layer the per-example gradient materialised and kept
 *                          (for the next X_grad_accumulate: one GEMV instead of a
 *                          GEMM, until the next forward/loss/seed/backprop) where
 *                          32·K·C_out < T²(K + C_out)/2 and B·ΣK·C_out reals fit
 *                          in 256 MiB; else the ghost norm Σ_{t,t'}(a_t·a_t')(g_t·g_t')
 *                          when 2T² < K·C_out, else materialised and dropped (Bu et
 *                          al. 2022 mixed ghost clipping; keeping is their BK).
 *                          The bias and group-norm parts are kept too.
 * X_example_grad_naive(n, i, g)  reference: example i's gradient (P, double)
 *                          by direct loops, no BLAS, no unfolding.
 * X_clip_sum(n, C, sq, c)  grads = Σ_i min(1, C/‖∇θℓ_i‖) ∇θℓ_i (C > 0, INFINITY:
 *                          no clipping); sq (B) and c (B) receive the squared
 *                          norms and factors (either may be NULL).
 * X_clip_sum_naive(n, C, sq, c, err)  the same from X_example_grad_naive (tests);
 *                          PA_ENOMEM if its O(P) work vector cannot be had.
 * X_tangent_forward(n, dtheta, dX, err)  dtheta (P) or NULL, dX (B, n_0) or NULL;
 *                          PA_ENOMEM if the tangent buffers cannot be had.
 * X_tangent_output(n)      (B, n_L) tangent of Y.
 * X_tangent_seed_xent(n, y) / X_tangent_seed_mse(n) / X_tangent_seed(n, dG)
 *                          tangent of the seed (dG (B, n_L) or NULL = 0).
 * X_tangent_backprop(n, need_dx)  tangents of every backprop signal.
 * X_tangent_grad(n, c, scale, out)  out (P) = scale·d/dε Σ_i c_i ∇θℓ_i
 *                          (c (B) or NULL), one GEMM pair per weight layer.
 * X_tangent_dx(n)          (B, n_0) d/dε ∂ℓ_i/∂X_i (after need_dx = 1).
 * X_set_winograd(n, on)    conv layers with k = 3, stride 1 and C_in >= 16 compute
 *                          forward, input gradient, weight gradient and per-example
 *                          gradients by Winograd F(2×2, 3×3) (on != 0) or by im2col
 *                          (0, the reference) from the next forward on. Default: on
 *                          for net_ (float), off for netd_ (double). Ghost norms and
 *                          tangents still read the unfolded input (made on demand).
 */
#define NET_DECL(X, T)                                                                      \
    typedef struct X X;                                                                     \
    int X##_new(const net_spec *spec, X **out, pa_err *err);                                \
    void X##_free(X *n);                                                                    \
    void X##_init(X *n, gsl_rng *r);                                                        \
    int X##_copy_params(X *dst, const X *src, pa_err *err);                                 \
    size_t X##_nparams(const X *n);                                                         \
    T *X##_params(X *n);                                                                    \
    T *X##_grads(X *n);                                                                     \
    size_t X##_nlayers(const X *n);                                                         \
    size_t X##_size(const X *n, size_t l);                                                  \
    void X##_shape(const X *n, size_t l, size_t *H, size_t *W, size_t *C);                 \
    size_t X##_param_offset(const X *n, size_t l);                                          \
    size_t X##_param_count(const X *n, size_t l);                                           \
    size_t X##_batch(const X *n);                                                           \
    int X##_forward(X *n, const T *Xin, size_t B, const T **Y, pa_err *err);                \
    const T *X##_output(const X *n, size_t l);                                              \
    int X##_loss_xent(X *n, const int32_t *y, T *loss, double *sum, pa_err *err);           \
    int X##_loss_mse(X *n, const T *Tg, T *loss, double *sum, pa_err *err);                 \
    void X##_seed(X *n, const T *dY);                                                       \
    double X##_accuracy(const X *n, const int32_t *y);                                      \
    void X##_backprop(X *n, int need_dx);                                                   \
    const T *X##_dx(const X *n);                                                            \
    void X##_grad_accumulate(X *n, const T *c, T scale, T beta);                            \
    void X##_backward(X *n, T scale);                                                       \
    void X##_example_sqnorms(X *n, double *sq);                                             \
    void X##_example_grad_naive(const X *n, size_t i, double *g);                           \
    void X##_clip_sum(X *n, double C, double *sq, T *c);                                    \
    int X##_clip_sum_naive(X *n, double C, double *sq, T *c, pa_err *err);                  \
    int X##_tangent_forward(X *n, const T *dtheta, const T *dX, pa_err *err);               \
    const T *X##_tangent_output(const X *n);                                                \
    void X##_tangent_seed_xent(X *n, const int32_t *y);                                     \
    void X##_tangent_seed_mse(X *n);                                                        \
    void X##_tangent_seed(X *n, const T *dG);                                               \
    void X##_tangent_backprop(X *n, int need_dx);                                           \
    void X##_tangent_grad(X *n, const T *c, T scale, T *out);                               \
    const T *X##_tangent_dx(const X *n);                                                    \
    void X##_set_winograd(X *n, int on);

NET_DECL(net, float)
NET_DECL(netd, double)

/* The naive reference kernels beside the fast ones (direct loops over NHWC
 * tensors, double), exposed for the tests. Y (B, H', W', C_out), X (B, H, W,
 * C_in), W and b in the layouts above. */
void net_conv_naive(double *Y, const double *X, const double *W, const double *b, size_t B,
                    size_t H, size_t Wd, size_t Cin, size_t Cout, size_t k, size_t s, size_t pad);
void net_convt_naive(double *Y, const double *X, const double *W, const double *b, size_t B,
                     size_t H, size_t Wd, size_t Cin, size_t Cout, size_t k, size_t s, size_t pad,
                     size_t out_pad);

#endif
