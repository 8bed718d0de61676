/* dpsgd.h — DP-SGD (Abadi et al., CCS 2016) on a core/mlp.h network.
 *
 * Dimensions: N = examples in the private data set, B = examples in the
 * current (Poisson-sampled) batch, d = inputs, p = outputs, P = parameters,
 * L = layers. Symbols: q = sampling rate, C = clipping norm, σ = noise
 * multiplier.
 *
 * One step, on the flat gradient vector of the MLP:
 *   1. Poisson sampling: every example joins the batch with probability q
 *      (so B ~ Binomial(N, q)), drawn from the gsl_rng given;
 *   2. forward, loss, backprop — per-example backprop signals G_l kept;
 *   3. per-example gradient norms by the dense-layer identity
 *        ‖∇θ ℓ_i‖² = Σ_l ‖G_l[i]‖² (‖A_l[i]‖² + 1)
 *      and clip factors c_i = min(1, C/‖∇θ ℓ_i‖);
 *   4. clipped sum Σ_i c_i ∇θ ℓ_i = per layer G_lᵀ diag(c) A_l, one GEMM —
 *      no per-example gradient is ever materialised (Li, Tramèr, Liang,
 *      Hashimoto 2021 "ghost clipping"; Bu, Mao, Xu 2022 "book-keeping");
 *   5. optionally one more crafted gradient (a white-box canary), clipped to C;
 *   6. Gaussian noise N(0, (σC)²) on every coordinate of the sum;
 *   7. division by the expected batch size qN (not by B: B is private);
 *   8. an Adam step on the parameters.
 * σ = 0 and C = INFINITY run plain minibatch training on the same code path.
 *
 * The steps are also exposed one by one (dpsgd_sample, dpsgd_clip_sum,
 * dpsgd_add_example, dpsgd_noise) for callers that build their own loop: a
 * GAN that sanitises only the gradient reaching the generator, an attack that
 * reads the gradient of one batch (mlp_grads after mlp_backward), an audit
 * that injects a canary gradient.
 *
 * Noise is drawn in double by a 256-layer ziggurat (Marsaglia and Tsang 2000)
 * from a xoshiro256** stream seeded from the gsl_rng given, then rounded to
 * float. (Float rounding of Gaussian noise is the subject of floating-point
 * attacks on DP, Mironov 2012 / Jin et al. 2022; the accountant here, like
 * Opacus and TF-Privacy, does not account for it.)
 */
#ifndef PA_DPSGD_H
#define PA_DPSGD_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "core/err.h"
#include "core/mlp.h"

typedef struct dpsgd_cfg {
    size_t n;               /* N: examples in the private data set, >= 1 */
    double q;               /* Poisson sampling rate in (0, 1]; expected batch qN */
    double sigma;           /* noise multiplier σ >= 0: noise std σC per coordinate */
    double clip;            /* C > 0 per-example L2 clipping norm; INFINITY: no clipping
                               (then σ must be 0) */
} dpsgd_cfg;

/* The private data set, row-aligned. Exactly one of y, T is non-NULL. */
typedef struct dpsgd_data {
    size_t n;               /* N rows (must equal cfg.n) */
    const float *X;         /* (N, d) inputs, row-major */
    const int32_t *y;       /* (N) labels in [0, p): softmax cross-entropy; or NULL */
    const float *T;         /* (N, p) targets: squared error ½‖Y_i − T_i‖²; or NULL */
} dpsgd_data;

/* What one step saw (for logging; these numbers are NOT private). */
typedef struct dpsgd_stats {
    size_t batch;           /* B drawn by Poisson sampling */
    double loss;            /* mean loss over the batch before the step (NAN if B = 0) */
    double mean_norm;       /* mean per-example gradient norm before clipping (NAN if B = 0) */
    double clipped_frac;    /* fraction of the batch with norm > C */
} dpsgd_stats;

typedef struct dpsgd dpsgd;

/* Validates cfg: PA_EINPUT naming the field and the expected range, else PA_OK. */
int dpsgd_cfg_check(const dpsgd_cfg *cfg, pa_err *err);

/* A DP-SGD engine training m (borrowed: m must outlive the engine). opt gives
 * the Adam settings for dpsgd_step, or NULL if the caller only uses the
 * gradient (dpsgd_private_grad) and steps on its own. Buffers for a batch of
 * up to N rows are allocated here, so steps do not allocate (except the MLP's
 * activations on the first large batch). On error *out = NULL. */
int dpsgd_new(mlp *m, const dpsgd_cfg *cfg, const mlp_adam_cfg *opt, dpsgd **out,
              pa_err *err);

/* Frees s (not its MLP); accepts NULL. */
void dpsgd_free(dpsgd *s);

/* The configuration s was built with. */
const dpsgd_cfg *dpsgd_config(const dpsgd *s);

/* Poisson sampling: each of the N indices joins with probability q, drawn
 * from r (geometric gaps, so the cost is O(B), not O(N)). Sets *idx to the
 * sorted indices (B), owned by s and valid until the next call, and *B. */
void dpsgd_sample(dpsgd *s, gsl_rng *r, const size_t **idx, size_t *B);

/* Fast clipped sum on the MLP's last forward + loss + mlp_backprop (B >= 1):
 * mlp_grads(m) = Σ_i min(1, C/‖∇θ ℓ_i‖) ∇θ ℓ_i, via the norm identity and one
 * GEMM per layer. Per-example squared norms and clip factors of this batch
 * are kept (dpsgd_sqnorms, dpsgd_factors). */
void dpsgd_clip_sum(dpsgd *s);

/* Reference for dpsgd_clip_sum: materialises every per-example gradient (in
 * double, O(B·P) time, O(P) memory), clips it and sums; writes the same
 * outputs. For tests; PA_ENOMEM if the O(P) work vector cannot be had. */
int dpsgd_clip_sum_naive(dpsgd *s, pa_err *err);

/* Per-example squared gradient norms (B) and clip factors c_i (B) of the last
 * dpsgd_clip_sum / _naive; owned by s. */
const double *dpsgd_sqnorms(const dpsgd *s);
const float *dpsgd_factors(const dpsgd *s);

/* Adds one more example's gradient g (P) to the clipped sum, clipped to C
 * first — a white-box canary (Nasr et al. 2023) enters the sum exactly as a
 * training example would. Call between dpsgd_clip_sum and dpsgd_noise. */
void dpsgd_add_example(dpsgd *s, const float *g);

/* grads = (grads + N(0, (σC)² I)) / (qN): adds the Gaussian noise and divides
 * by the expected batch size. The noise stream is seeded from r. */
void dpsgd_noise(dpsgd *s, gsl_rng *r);

/* Seeds the noise stream of the next dpsgd_noise from r now and draws its P
 * normals on a helper thread (run while the caller does the forward and
 * backward pass) if a core is idle (pa_idle_core(): BLAS may use more than
 * one core and the load average leaves one free), else here and now. The next dpsgd_noise(s, ·) adds these instead of seeding
 * from its r; if nothing draws from r in between, the result is bit-for-bit
 * that of calling dpsgd_noise without it. σ = 0: does nothing. A second call
 * discards the first draw. PA_ENOMEM if the (P) buffer cannot be had.
 * dpsgd_private_grad calls it right after sampling. */
int dpsgd_noise_prepare(dpsgd *s, gsl_rng *r);

/* When dpsgd_noise_prepare uses its helper thread: mode 0 (the default)
 * when a core is idle, 1 always, −1 never (the values are the same). */
void dpsgd_set_noise_thread(dpsgd *s, int mode);

/* Called by dpsgd_noise with the clipped sum before (P, unscaled), the
 * result after (P, scaled by inv = 1/(qN)) and the noise std sd = σC: lets
 * tests measure the noise a caller's training really added. */
typedef void (*dpsgd_noise_hook)(void *ctx, const float *before, const float *after, size_t P, double sd,
                                 double inv);

/* Installs (or with hook = NULL removes) the hook; it costs one copy of P
 * floats per step. PA_ENOMEM if that buffer cannot be had. */
int dpsgd_set_noise_hook(dpsgd *s, dpsgd_noise_hook hook, void *ctx);

/* Steps 1–7 above: samples a batch from D, runs forward, loss, backprop,
 * clipped sum, canary (if canary != NULL: a (P) gradient added as one more
 * example), noise and scaling; the private gradient is left in mlp_grads(m).
 * An empty batch leaves pure noise. st (if not NULL) receives the batch
 * statistics. PA_EINPUT if D does not match cfg / the MLP (naming the field). */
int dpsgd_private_grad(dpsgd *s, const dpsgd_data *D, const float *canary, gsl_rng *r,
                       dpsgd_stats *st, pa_err *err);

/* dpsgd_private_grad followed by an Adam step on the MLP's parameters.
 * PA_EINPUT if s was built without Adam settings. */
int dpsgd_step(dpsgd *s, const dpsgd_data *D, const float *canary, gsl_rng *r,
               dpsgd_stats *st, pa_err *err);

/* Draws v (n) i.i.d. standard normal doubles from a stream seeded by r —
 * the sampler behind dpsgd_noise, exposed for its statistical test. */
void dpsgd_gaussian(gsl_rng *r, double *v, size_t n);

#endif
