/* gswgan.h — the pieces of GS-WGAN (generators/gswgan.c) that the tests
 * check on their own: the gradient penalty's parameter gradient by double
 * backpropagation, in both engines of core/net.h.
 *
 * B = examples, n_0 = values per example (the critic's input), P = critic
 * parameters, c = classes (the critic's outputs: one head per class).
 */
#ifndef PA_GSWGAN_H
#define PA_GSWGAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/net.h"

/* The WGAN-GP penalty of a class-conditional critic D (its output (B, c),
 * D(x, y) = output y) on the points X (B, n_0) with labels y (B) in [0, c):
 *   R = λ/B Σ_i (‖∂D(x_i, y_i)/∂x_i‖ − 1)²,
 * its value in *R and ∇θ R in grad (P), by double backpropagation (core/net.h:
 * backprop with the input gradient u_i, v_i = ∂R/∂u_i, then the θ-gradient
 * of Σ_i ⟨u_i, v_i⟩ as the tangent in the input direction v). D's gradient
 * buffer (X_grads) is not touched; its forward buffers are overwritten.
 * work: (B·n_0) scratch. PA_EINPUT for a label outside [0, c), PA_ENOMEM;
 * grad is then unspecified. */
int gsw_gp_grad(net *D, const float *X, const int32_t *y, size_t B, double lambda, float *work, double *R,
                float *grad, pa_err *err);
int gsw_gp_grad_d(netd *D, const double *X, const int32_t *y, size_t B, double lambda, double *work, double *R,
                  double *grad, pa_err *err);

#endif
