/* test_mlp.c — core/mlp.h: forward, losses, backprop, per-example norms, Adam.
 *
 * References: libm in double (activations), a naive double-precision forward
 * pass written here (finite-difference gradients), PyTorch's torch.optim.Adam
 * (pasted values), and exact per-example gradients from batches of one.
 * B = batch, d = inputs, p = outputs, P = parameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "core/mlp.h"

TestSuite(mlp);

static gsl_rng *new_rng(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

static mlp *new_mlp(size_t L, const size_t *w, mlp_act hidden, mlp_act out, unsigned long seed)
{
    mlp_spec s = {.L = L, .width = w, .hidden = hidden, .out = out};
    mlp *m = NULL;
    pa_err e = {0};
    cr_assert_eq(mlp_new(&s, &m, &e), PA_OK, "%s", e.msg);
    gsl_rng *r = new_rng(seed);
    mlp_init(m, r);
    gsl_rng_free(r);
    return m;
}

static float *random_matrix(gsl_rng *r, size_t n, double scale)
{
    float *x = malloc(n * sizeof *x);
    for (size_t k = 0; k < n; k++)
        x[k] = (float)(scale * (2.0 * gsl_rng_uniform(r) - 1.0));
    return x;
}

static double act_d(mlp_act a, double z)
{
    switch (a) {
    case MLP_TANH: return tanh(z);
    case MLP_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case MLP_RELU: return z > 0 ? z : 0;
    default: return z;
    }
}

/* Naive double forward of example x with parameters theta (layout of mlp.h),
 * then the loss: xent with label y if T == NULL, else ½‖Y − T‖². Written
 * independently of mlp.c (loops, no BLAS). */
static double loss_naive(const double *theta, const double *x, size_t L, const size_t *w,
                         mlp_act hidden, mlp_act outact, int32_t y, const float *T)
{
    double a[64], z[64];
    for (size_t k = 0; k < w[0]; k++)
        a[k] = x[k];
    const double *p = theta;
    for (size_t l = 0; l < L; l++) {
        size_t in = w[l], out = w[l + 1];
        const double *W = p, *b = p + out * in;
        for (size_t r = 0; r < out; r++) {
            double s = b[r];
            for (size_t c = 0; c < in; c++)
                s += W[r * in + c] * a[c];
            z[r] = act_d(l + 1 == L ? outact : hidden, s);
        }
        memcpy(a, z, out * sizeof *a);
        p += out * (in + 1);
    }
    size_t P = w[L];
    if (T) {
        double s = 0;
        for (size_t j = 0; j < P; j++)
            s += 0.5 * (a[j] - T[j]) * (a[j] - T[j]);
        return s;
    }
    double mx = a[0], s = 0;
    for (size_t j = 1; j < P; j++)
        mx = a[j] > mx ? a[j] : mx;
    for (size_t j = 0; j < P; j++)
        s += exp(a[j] - mx);
    return mx + log(s) - a[y];
}

static void assert_close(double got, double want, double rel, double abs_floor, const char *what,
                         size_t k)
{
    double tol = rel * fabs(want) + abs_floor;
    cr_assert(fabs(got - want) <= tol, "%s[%zu]: got %.9g, want %.9g (tol %.3g)", what, k, got,
              want, tol);
}

Test(mlp, tanh_sigmoid_relu_match_libm_to_a_few_float_ulps)
{
    /* Reference: libm tanh/exp in double. Tolerance 6e-7 relative (≈ 5 float
     * ulps) plus 1e-30 absolute; grid covers tiny, mid, large and huge inputs. */
    const mlp_act acts[] = {MLP_TANH, MLP_SIGMOID, MLP_RELU, MLP_IDENTITY};
    size_t w[2] = {1, 1};
    enum { N = 40003 };
    float *X = malloc(N * sizeof *X);
    for (size_t i = 0; i < N; i++)
        X[i] = (float)(((double)i - N / 2) * 1e-3);
    X[0] = 1e-30f;
    X[1] = -3e-8f;
    X[2] = 80.0f;
    X[3] = -1e30f;
    for (size_t a = 0; a < 4; a++) {
        mlp *m = new_mlp(1, w, MLP_IDENTITY, acts[a], 1);
        mlp_params(m)[0] = 1.0f;   /* W */
        mlp_params(m)[1] = 0.0f;   /* b */
        const float *Y;
        cr_assert_eq(mlp_forward(m, X, N, &Y, NULL), PA_OK);
        for (size_t i = 0; i < N; i++)
            assert_close(Y[i], act_d(acts[a], X[i]), 6e-7, 1e-30, "act(x)", i);
        mlp_free(m);
    }
    free(X);
}

Test(mlp, cross_entropy_and_squared_error_losses_match_closed_forms)
{
    /* logits (1,2,3): ln(e + e² + e³) − z_y; ln(e+e²+e³) = 3.40760596444438
     * (python: math.log(math.e+math.e**2+math.e**3)). Tolerance 1e-6. */
    size_t w[2] = {3, 3};
    mlp *m = new_mlp(1, w, MLP_IDENTITY, MLP_IDENTITY, 1);
    float *th = mlp_params(m);
    memset(th, 0, 12 * sizeof *th);
    th[0] = th[4] = th[8] = 1.0f;            /* W = I, b = 0: Y = X */
    float X[6] = {1, 2, 3, 1, 2, 3};
    int32_t y[2] = {0, 2};
    float loss[2];
    double sum;
    cr_assert_eq(mlp_forward(m, X, 2, NULL, NULL), PA_OK);
    cr_assert_eq(mlp_loss_xent(m, y, loss, &sum, NULL), PA_OK);
    assert_close(loss[0], 3.40760596444438 - 1, 1e-6, 0, "xent", 0);
    assert_close(loss[1], 3.40760596444438 - 3, 1e-6, 0, "xent", 1);
    assert_close(sum, 2 * 3.40760596444438 - 4, 1e-6, 0, "xent sum", 0);
    float T[6] = {0, 2, 5, 1, 1, 1};
    cr_assert_eq(mlp_loss_mse(m, T, loss, &sum, NULL), PA_OK);
    assert_close(loss[0], 0.5 * (1 + 0 + 4), 1e-7, 0, "mse", 0);
    assert_close(loss[1], 0.5 * (0 + 1 + 4), 1e-7, 0, "mse", 1);
    int32_t bad[2] = {0, 3};
    pa_err e = {0};
    cr_assert_eq(mlp_loss_xent(m, bad, NULL, NULL, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "y[1]") != NULL, "message names the row: %s", e.msg);
    mlp_free(m);
}

typedef struct grad_case {
    mlp_act hidden, out;
    int mse;
} grad_case;

static grad_case grad_cases[] = {
    {.hidden = MLP_TANH, .out = MLP_IDENTITY, .mse = 0},
    {.hidden = MLP_SIGMOID, .out = MLP_IDENTITY, .mse = 0},
    {.hidden = MLP_RELU, .out = MLP_IDENTITY, .mse = 1},
    {.hidden = MLP_TANH, .out = MLP_SIGMOID, .mse = 1},
};

ParameterizedTestParameters(mlp, backward_matches_finite_differences_of_a_naive_double_forward)
{
    return cr_make_param_array(grad_case, grad_cases, sizeof grad_cases / sizeof grad_cases[0]);
}

/* Parameter and input gradients of the summed loss against central
 * differences (h = 1e-4) of loss_naive in double: truncation O(h²) ~ 1e-8
 * and float rounding of the backward pass ~1e-6 relative, so the tolerance
 * is 2e-5·max|g| + 1e-5·|g_k|. */
ParameterizedTest(grad_case *gc, mlp, backward_matches_finite_differences_of_a_naive_double_forward)
{
    const size_t L = 3, w[4] = {5, 7, 6, 3}, B = 4;
    mlp *m = new_mlp(L, w, gc->hidden, gc->out, 7);
    gsl_rng *r = new_rng(11);
    float *X = random_matrix(r, B * w[0], 1.5), *T = random_matrix(r, B * w[L], 1.0);
    int32_t y[4] = {0, 2, 1, 2};
    cr_assert_eq(mlp_forward(m, X, B, NULL, NULL), PA_OK);
    if (gc->mse)
        cr_assert_eq(mlp_loss_mse(m, T, NULL, NULL, NULL), PA_OK);
    else
        cr_assert_eq(mlp_loss_xent(m, y, NULL, NULL, NULL), PA_OK);
    mlp_backprop(m, 1);
    mlp_grad_accumulate(m, NULL, 1.0f, 0.0f);
    size_t P = mlp_nparams(m);
    double *th = malloc(P * sizeof *th), *fd = malloc(P * sizeof *fd);
    for (size_t k = 0; k < P; k++)
        th[k] = mlp_params(m)[k];
    const double h = 1e-4;
    double gmax = 0;
    for (size_t k = 0; k < P; k++) {
        double s = 0;
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            th[k] = mlp_params(m)[k] + sgn * h;
            for (size_t i = 0; i < B; i++) {
                double x[8];
                for (size_t j = 0; j < w[0]; j++)
                    x[j] = X[i * w[0] + j];
                s += sgn * loss_naive(th, x, L, w, gc->hidden, gc->out, y[i],
                                      gc->mse ? T + i * w[L] : NULL);
            }
        }
        th[k] = mlp_params(m)[k];
        fd[k] = s / (2 * h);
        gmax = fmax(gmax, fabs(fd[k]));
    }
    cr_assert(gmax > 1e-3, "gradient is not trivially zero");
    for (size_t k = 0; k < P; k++)
        assert_close(mlp_grads(m)[k], fd[k], 1e-5, 2e-5 * gmax, "dθ", k);
    /* input gradient of example i */
    const float *dX = mlp_dx(m);
    for (size_t i = 0; i < B; i++)
        for (size_t j = 0; j < w[0]; j++) {
            double x[8], s = 0;
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                for (size_t c = 0; c < w[0]; c++)
                    x[c] = X[i * w[0] + c];
                x[j] += sgn * h;
                s += sgn * loss_naive(th, x, L, w, gc->hidden, gc->out, y[i],
                                      gc->mse ? T + i * w[L] : NULL);
            }
            assert_close(dX[i * w[0] + j], s / (2 * h), 1e-5, 2e-5 * gmax, "dX", i * w[0] + j);
        }
    free(th);
    free(fd);
    free(X);
    free(T);
    gsl_rng_free(r);
    mlp_free(m);
}

Test(mlp, per_example_gradient_equals_the_gradient_of_a_batch_of_one)
{
    /* mlp_example_grad_naive(i) must be exactly what a forward/backward on
     * row i alone gives (float GEMM vs double loop: 1e-6 relative). */
    const size_t w[4] = {6, 9, 8, 3}, B = 5;
    mlp *m = new_mlp(3, w, MLP_TANH, MLP_IDENTITY, 3);
    gsl_rng *r = new_rng(5);
    float *X = random_matrix(r, B * w[0], 2.0);
    int32_t y[5] = {0, 1, 2, 1, 0};
    size_t P = mlp_nparams(m);
    double *g = malloc(B * P * sizeof *g);
    cr_assert_eq(mlp_forward(m, X, B, NULL, NULL), PA_OK);
    cr_assert_eq(mlp_loss_xent(m, y, NULL, NULL, NULL), PA_OK);
    mlp_backprop(m, 0);
    for (size_t i = 0; i < B; i++)
        mlp_example_grad_naive(m, i, g + i * P);
    for (size_t i = 0; i < B; i++) {
        cr_assert_eq(mlp_forward(m, X + i * w[0], 1, NULL, NULL), PA_OK);
        cr_assert_eq(mlp_loss_xent(m, y + i, NULL, NULL, NULL), PA_OK);
        mlp_backward(m, 1.0f);
        for (size_t k = 0; k < P; k++)
            assert_close(mlp_grads(m)[k], g[i * P + k], 1e-5, 1e-7, "g_i", k);
    }
    free(g);
    free(X);
    gsl_rng_free(r);
    mlp_free(m);
}

Test(mlp, dense_layer_norm_identity_matches_materialised_per_example_norms)
{
    /* ‖∇ℓ_i‖² = Σ_l ‖G_l[i]‖²(‖A_l[i]‖²+1) against Σ_k g_ik² from the
     * materialised gradients; float inputs, double sums: 1e-5 relative. */
    const size_t w[4] = {20, 32, 16, 4}, B = 33;
    mlp_act hs[3] = {MLP_TANH, MLP_RELU, MLP_SIGMOID};
    for (size_t a = 0; a < 3; a++) {
        mlp *m = new_mlp(3, w, hs[a], MLP_IDENTITY, 9 + a);
        gsl_rng *r = new_rng(21 + a);
        float *X = random_matrix(r, B * w[0], 1.0);
        int32_t y[33];
        for (size_t i = 0; i < B; i++)
            y[i] = (int32_t)(i % 4);
        size_t P = mlp_nparams(m);
        double *g = malloc(P * sizeof *g), sq[33];
        cr_assert_eq(mlp_forward(m, X, B, NULL, NULL), PA_OK);
        cr_assert_eq(mlp_loss_xent(m, y, NULL, NULL, NULL), PA_OK);
        mlp_backprop(m, 0);
        mlp_example_sqnorms(m, sq);
        for (size_t i = 0; i < B; i++) {
            mlp_example_grad_naive(m, i, g);
            double s = 0;
            for (size_t k = 0; k < P; k++)
                s += g[k] * g[k];
            cr_assert(s > 0);
            assert_close(sq[i], s, 1e-5, 0, "sqnorm", i);
        }
        free(g);
        free(X);
        gsl_rng_free(r);
        mlp_free(m);
    }
}

Test(mlp, weighted_accumulate_equals_weighted_sum_of_per_example_gradients)
{
    /* Σ_i c_i ∇ℓ_i via one GEMM per layer vs the double sum of materialised
     * gradients; beta = 1 adds to what was there. 1e-5 relative + 1e-6·max. */
    const size_t w[3] = {7, 11, 3}, B = 9;
    mlp *m = new_mlp(2, w, MLP_SIGMOID, MLP_IDENTITY, 4);
    gsl_rng *r = new_rng(8);
    float *X = random_matrix(r, B * w[0], 1.0), *T = random_matrix(r, B * w[2], 1.0);
    float c[9];
    for (size_t i = 0; i < B; i++)
        c[i] = (float)(0.1 * (double)(i + 1));
    size_t P = mlp_nparams(m);
    double *g = malloc(P * sizeof *g), *want = calloc(P, sizeof *want);
    cr_assert_eq(mlp_forward(m, X, B, NULL, NULL), PA_OK);
    cr_assert_eq(mlp_loss_mse(m, T, NULL, NULL, NULL), PA_OK);
    mlp_backprop(m, 0);
    for (size_t k = 0; k < P; k++)
        mlp_grads(m)[k] = 1.0f;
    mlp_grad_accumulate(m, c, 0.5f, 1.0f);
    double mx = 0;
    for (size_t i = 0; i < B; i++) {
        mlp_example_grad_naive(m, i, g);
        for (size_t k = 0; k < P; k++)
            want[k] += 0.5 * c[i] * g[k];
    }
    for (size_t k = 0; k < P; k++)
        mx = fmax(mx, fabs(want[k]));
    for (size_t k = 0; k < P; k++)
        assert_close(mlp_grads(m)[k], 1.0 + want[k], 1e-5, 1e-6 * mx, "grad", k);
    free(g);
    free(want);
    free(X);
    free(T);
    gsl_rng_free(r);
    mlp_free(m);
}

Test(mlp, adam_matches_pytorch_over_three_steps)
{
    /* torch 1.13 (Debian python3-torch), float64:
     *   th = [0.5,-1,2,0]; Adam(lr=0.01, betas=(0.9,0.999), eps=1e-8);
     *   grads [1,-2,.5,0], [.3,.1,-4,1e-3], [-1,2,.25,-2e-3]; 3 × step()
     * Tolerance 2e-7 absolute (float parameters). */
    const double want[4] = {0.48108935030632854, -0.9847409605189533, 2.0012136206832514,
                            -0.0042984256662675115};
    const float gs[3][4] = {{1, -2, 0.5f, 0}, {0.3f, 0.1f, -4, 1e-3f}, {-1, 2, 0.25f, -2e-3f}};
    float th[4] = {0.5f, -1, 2, 0};
    mlp_adam_cfg cfg = {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    mlp_adam *a = NULL;
    cr_assert_eq(mlp_adam_new(4, &cfg, &a, NULL), PA_OK);
    for (int t = 0; t < 3; t++)
        mlp_adam_step(a, th, gs[t]);
    for (size_t k = 0; k < 4; k++)
        assert_close(th[k], want[k], 0, 2e-7, "theta", k);
    mlp_adam_free(a);
    cfg.beta2 = 1.0;
    pa_err e = {0};
    cr_assert_eq(mlp_adam_new(4, &cfg, &a, &e), PA_EINPUT);
    cr_assert_null(a);
    cr_assert(strstr(e.msg, "beta2") != NULL, "%s", e.msg);
}

Test(mlp, plain_adam_training_separates_two_gaussian_blobs)
{
    /* Two classes N(±1.5·1, I) in d = 4: Bayes accuracy Φ(1.5·2) ≈ 0.9987;
     * after 300 full-batch Adam steps the training accuracy must be >= 0.97. */
    const size_t w[3] = {4, 16, 2}, N = 400;
    mlp *m = new_mlp(2, w, MLP_TANH, MLP_IDENTITY, 2);
    gsl_rng *r = new_rng(3);
    float *X = malloc(N * 4 * sizeof *X);
    int32_t *y = malloc(N * sizeof *y);
    for (size_t i = 0; i < N; i++) {
        y[i] = (int32_t)(i % 2);
        for (size_t j = 0; j < 4; j++)
            X[i * 4 + j] = (float)((y[i] ? 1.5 : -1.5) + gsl_ran_gaussian_ziggurat(r, 1.0));
    }
    mlp_adam_cfg cfg = {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    mlp_adam *a = NULL;
    cr_assert_eq(mlp_adam_new(mlp_nparams(m), &cfg, &a, NULL), PA_OK);
    double first = 0, last = 0;
    for (int t = 0; t < 300; t++) {
        cr_assert_eq(mlp_forward(m, X, N, NULL, NULL), PA_OK);
        cr_assert_eq(mlp_loss_xent(m, y, NULL, &last, NULL), PA_OK);
        if (t == 0)
            first = last;
        mlp_backward(m, 1.0f / (float)N);
        mlp_adam_step(a, mlp_params(m), mlp_grads(m));
    }
    cr_assert_eq(mlp_forward(m, X, N, NULL, NULL), PA_OK);
    double acc = mlp_accuracy(m, y);
    cr_assert(acc >= 0.97, "accuracy %.4f", acc);
    cr_assert(last < 0.5 * first, "loss %.4g -> %.4g", first, last);
    mlp_adam_free(a);
    free(X);
    free(y);
    gsl_rng_free(r);
    mlp_free(m);
}

Test(mlp, bad_specs_are_rejected_naming_the_field)
{
    size_t w[3] = {4, 0, 2};
    mlp_spec s = {.L = 2, .width = w, .hidden = MLP_TANH, .out = MLP_IDENTITY};
    mlp *m = (mlp *)&s;
    pa_err e = {0};
    cr_assert_eq(mlp_new(&s, &m, &e), PA_EINPUT);
    cr_assert_null(m);
    cr_assert(strstr(e.msg, "width[1]") != NULL, "%s", e.msg);
    s.L = 0;
    cr_assert_eq(mlp_new(&s, &m, &e), PA_EINPUT);
    w[1] = 3;
    s.L = 2;
    s.hidden = (mlp_act)42;
    cr_assert_eq(mlp_new(&s, &m, &e), PA_EINPUT);
    mlp_free(NULL);
    mlp_adam_free(NULL);
}

Test(mlp, batches_larger_than_before_grow_the_buffers_and_give_the_same_rows)
{
    /* Row i of a forward on 3 rows equals row i of a forward on 300 rows that
     * starts with the same 3 rows (bitwise: same code, same GEMM shapes per row
     * are not guaranteed, so 1e-6 relative). */
    const size_t w[3] = {3, 5, 2};
    mlp *m = new_mlp(2, w, MLP_RELU, MLP_IDENTITY, 6);
    gsl_rng *r = new_rng(1);
    float *X = random_matrix(r, 300 * 3, 1.0);
    const float *Y;
    float small[6];
    cr_assert_eq(mlp_forward(m, X, 3, &Y, NULL), PA_OK);
    memcpy(small, Y, sizeof small);
    cr_assert_eq(mlp_forward(m, X, 300, &Y, NULL), PA_OK);
    cr_assert_eq(mlp_batch(m), 300);
    for (size_t k = 0; k < 6; k++)
        assert_close(Y[k], small[k], 1e-6, 1e-7, "Y", k);
    free(X);
    gsl_rng_free(r);
    mlp_free(m);
}
