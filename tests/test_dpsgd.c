/* test_dpsgd.c — core/dpsgd.h: ghost clipping vs the naive per-example
 * reference, Poisson sampling, Gaussian noise statistics, canaries, training,
 * accounting.
 *
 * Statistical tests use fixed seeds and acceptance regions computed from the
 * exact distribution of the statistic (chi-square, binomial, normal) at a
 * false-alarm level of 1e-6 each, so a correct sampler fails them with
 * probability ~1e-6 per seed, while the sizes are chosen so that the
 * smallest error worth catching (2% in the variance, a wrong tail) falls far
 * outside. N = examples, B = batch, P = parameters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "audit/acct.h"
#include "core/dpsgd.h"

TestSuite(dpsgd);

static gsl_rng *new_rng(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

static mlp *new_mlp(size_t L, const size_t *w, mlp_act hidden, unsigned long seed)
{
    mlp_spec s = {.L = L, .width = w, .hidden = hidden, .out = MLP_IDENTITY};
    mlp *m = NULL;
    pa_err e = {0};
    cr_assert_eq(mlp_new(&s, &m, &e), PA_OK, "%s", e.msg);
    gsl_rng *r = new_rng(seed);
    mlp_init(m, r);
    gsl_rng_free(r);
    return m;
}

static dpsgd *new_engine(mlp *m, size_t n, double q, double sigma, double clip, int adam)
{
    dpsgd_cfg c = {.n = n, .q = q, .sigma = sigma, .clip = clip};
    mlp_adam_cfg a = {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    dpsgd *s = NULL;
    pa_err e = {0};
    cr_assert_eq(dpsgd_new(m, &c, adam ? &a : NULL, &s, &e), PA_OK, "%s", e.msg);
    return s;
}

/* Central acceptance interval [lo, hi] of Binomial(n, p) at total level a. */
static void binom_interval(unsigned n, double p, double a, unsigned *lo, unsigned *hi)
{
    /* walk in from np ∓ 8 sd (beyond any quantile at a >= 1e-9) */
    double mu = n * p, sd = sqrt(n * p * (1 - p)), s = mu - 8 * sd - 1, t = mu + 8 * sd + 1;
    unsigned k = s > 0 ? (unsigned)s : 0;
    while (k < n && gsl_cdf_binomial_P(k, p, n) < a / 2)
        k++;
    *lo = k;
    k = t < n ? (unsigned)t : n;
    while (k > 0 && gsl_cdf_binomial_Q(k - 1, p, n) < a / 2)
        k--;
    *hi = k;
}

/* Two Gaussian blobs N(±μ·1, I) in d dims, labels alternating. */
static void blobs(gsl_rng *r, size_t N, size_t d, double mu, float *X, int32_t *y)
{
    for (size_t i = 0; i < N; i++) {
        y[i] = (int32_t)(i % 2);
        for (size_t j = 0; j < d; j++)
            X[i * d + j] = (float)((y[i] ? mu : -mu) + gsl_ran_gaussian_ziggurat(r, 1.0));
    }
}

typedef struct clip_case {
    mlp_act hidden;
    double clip;    /* C as a multiple of the batch's median per-example norm */
    int mse;
} clip_case;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static clip_case clip_cases[] = {
    {.hidden = MLP_TANH, .clip = 1.0, .mse = 0},
    {.hidden = MLP_RELU, .clip = 0.5, .mse = 1},
    {.hidden = MLP_SIGMOID, .clip = 0.9, .mse = 0},
    {.hidden = MLP_TANH, .clip = INFINITY, .mse = 0},
};

ParameterizedTestParameters(dpsgd, ghost_clipped_sum_equals_the_naive_materialised_reference)
{
    return cr_make_param_array(clip_case, clip_cases, sizeof clip_cases / sizeof clip_cases[0]);
}

/* Fast (norm identity + one GEMM per layer, float) against naive (every
 * per-example gradient materialised and clipped in double): norms and clip
 * factors to 1e-5 relative, the clipped sum to 1e-5 relative per coordinate
 * plus 1e-6 of the largest coordinate. A finite C must clip some examples and
 * not others, so the comparison exercises both branches. */
ParameterizedTest(clip_case *cc, dpsgd, ghost_clipped_sum_equals_the_naive_materialised_reference)
{
    const size_t w[4] = {12, 24, 16, 3}, B = 40;
    mlp *m = new_mlp(3, w, cc->hidden, 17);
    gsl_rng *r = new_rng(4);
    float *X = malloc(B * w[0] * sizeof *X), *T = malloc(B * w[3] * sizeof *T);
    int32_t y[40];
    for (size_t k = 0; k < B * w[0]; k++)
        X[k] = (float)gsl_ran_gaussian(r, 1.0 + (double)(k / w[0]) / 10.0);
    for (size_t k = 0; k < B * w[3]; k++)
        T[k] = (float)gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < B; i++)
        y[i] = (int32_t)(i % 3);
    cr_assert_eq(mlp_forward(m, X, B, NULL, NULL), PA_OK);
    if (cc->mse)
        cr_assert_eq(mlp_loss_mse(m, T, NULL, NULL, NULL), PA_OK);
    else
        cr_assert_eq(mlp_loss_xent(m, y, NULL, NULL, NULL), PA_OK);
    mlp_backprop(m, 0);
    double sorted[40], C = cc->clip;
    mlp_example_sqnorms(m, sorted);
    qsort(sorted, B, sizeof *sorted, cmp_double);
    if (isfinite(C))
        C *= sqrt(sorted[B / 2]);
    dpsgd *s = new_engine(m, B, 1.0, 0.0, C, 0);
    size_t P = mlp_nparams(m);
    double sq_naive[40];
    float c_naive[40], *g_naive = malloc(P * sizeof *g_naive);
    cr_assert_eq(dpsgd_clip_sum_naive(s, NULL), PA_OK);
    memcpy(sq_naive, dpsgd_sqnorms(s), sizeof sq_naive);
    memcpy(c_naive, dpsgd_factors(s), sizeof c_naive);
    memcpy(g_naive, mlp_grads(m), P * sizeof *g_naive);
    dpsgd_clip_sum(s);
    size_t nclip = 0;
    for (size_t i = 0; i < B; i++) {
        double sq = dpsgd_sqnorms(s)[i];
        cr_assert(fabs(sq - sq_naive[i]) <= 1e-5 * sq_naive[i], "sqnorm[%zu] %.9g vs %.9g", i, sq,
                  sq_naive[i]);
        cr_assert(fabs(dpsgd_factors(s)[i] - c_naive[i]) <= 1e-5 * c_naive[i], "c[%zu]", i);
        nclip += c_naive[i] < 1.0f;
        /* a clipped example's norm is exactly C */
        if (c_naive[i] < 1.0f)
            cr_assert(fabs(c_naive[i] * sqrt(sq_naive[i]) - C) <= 1e-6 * C);
    }
    if (isfinite(C))
        cr_assert(nclip > 0 && nclip < B, "C = %g clips %zu of %zu: pick C inside the norm range",
                  C, nclip, B);
    else
        cr_assert_eq(nclip, 0);
    double mx = 0;
    for (size_t k = 0; k < P; k++)
        mx = fmax(mx, fabs(g_naive[k]));
    for (size_t k = 0; k < P; k++) {
        double got = mlp_grads(m)[k], want = g_naive[k];
        cr_assert(fabs(got - want) <= 1e-5 * fabs(want) + 1e-6 * mx,
                  "clipped sum [%zu]: fast %.9g naive %.9g", k, got, want);
    }
    free(g_naive);
    free(X);
    free(T);
    gsl_rng_free(r);
    dpsgd_free(s);
    mlp_free(m);
}

Test(dpsgd, unclipped_noiseless_full_batch_gradient_is_the_mean_gradient)
{
    /* σ = 0, C = ∞, q = 1: the private gradient must be the plain mean
     * gradient (1/N)Σ∇ℓ_i from mlp_backward — same code path, 1e-6 relative. */
    const size_t w[3] = {5, 8, 2}, N = 30;
    mlp *m = new_mlp(2, w, MLP_TANH, 2);
    dpsgd *s = new_engine(m, N, 1.0, 0.0, INFINITY, 0);
    gsl_rng *r = new_rng(1);
    float X[30 * 5];
    int32_t y[30];
    blobs(r, N, 5, 1.0, X, y);
    dpsgd_data D = {.n = N, .X = X, .y = y};
    dpsgd_stats st;
    cr_assert_eq(dpsgd_private_grad(s, &D, NULL, r, &st, NULL), PA_OK);
    cr_assert_eq(st.batch, N);
    cr_assert_eq(st.clipped_frac, 0.0);
    size_t P = mlp_nparams(m);
    float *g = malloc(P * sizeof *g);
    memcpy(g, mlp_grads(m), P * sizeof *g);
    cr_assert_eq(mlp_forward(m, X, N, NULL, NULL), PA_OK);
    cr_assert_eq(mlp_loss_xent(m, y, NULL, NULL, NULL), PA_OK);
    mlp_backward(m, 1.0f / (float)N);
    for (size_t k = 0; k < P; k++)
        cr_assert(fabs(g[k] - mlp_grads(m)[k]) <= 1e-6 * fabs(mlp_grads(m)[k]) + 1e-9,
                  "g[%zu] %.9g vs %.9g", k, g[k], mlp_grads(m)[k]);
    free(g);
    gsl_rng_free(r);
    dpsgd_free(s);
    mlp_free(m);
}

Test(dpsgd, noise_has_variance_sigma_c_squared_per_coordinate)
{
    /* Zero gradient, q·N = 1: the output is the noise alone, P i.i.d.
     * N(0, (σC)²) coordinates if the sampler is right. With S² the sample
     * variance, (P−1)S²/(σC)² ~ χ²(P−1); accept between its 5e-7 and 1−5e-7
     * quantiles (total level 1e-6). P = 240,800: the region is about ±1.4%
     * of (σC)², so a 2% variance error is rejected. The mean must lie within
     * ±z(1−5e-7)·σC/√P (normal), and the fraction of |z| > 2 within the
     * Binomial(P, 2Φ(−2)) region at 1e-6. */
    const size_t w[3] = {200, 600, 200};
    mlp *m = new_mlp(2, w, MLP_IDENTITY, 1);
    const double sigma = 1.7, C = 0.6, sd = sigma * C;
    dpsgd *s = new_engine(m, 1, 1.0, sigma, C, 0);
    size_t P = mlp_nparams(m);
    cr_assert_eq(P, 240800);
    memset(mlp_grads(m), 0, P * sizeof(float));
    gsl_rng *r = new_rng(2024);
    dpsgd_noise(s, r);
    const float *g = mlp_grads(m);
    double mean = 0, ss = 0;
    size_t over2 = 0;
    for (size_t k = 0; k < P; k++)
        mean += g[k];
    mean /= (double)P;
    for (size_t k = 0; k < P; k++) {
        ss += (g[k] - mean) * (g[k] - mean);
        over2 += fabs(g[k]) > 2 * sd;
    }
    double var = ss / (double)(P - 1), a = 1e-6, nu = (double)(P - 1);
    double lo = gsl_cdf_chisq_Pinv(a / 2, nu) / nu * sd * sd;
    double hi = gsl_cdf_chisq_Qinv(a / 2, nu) / nu * sd * sd;
    cr_assert(var >= lo && var <= hi, "variance %.6g outside [%.6g, %.6g] (σC)² = %.6g", var, lo,
              hi, sd * sd);
    cr_assert(hi / lo < 1.03, "region narrow enough to catch a 2%% error");
    double zq = gsl_cdf_ugaussian_Qinv(a / 2);
    cr_assert(fabs(mean) <= zq * sd / sqrt((double)P), "mean %.3g", mean);
    unsigned blo, bhi;
    binom_interval((unsigned)P, 2 * gsl_cdf_ugaussian_Q(2.0), a, &blo, &bhi);
    cr_assert(over2 >= blo && over2 <= bhi, "|z|>2 count %zu outside [%u, %u]", over2, blo, bhi);
    /* a different stream gives different noise: */
    float first = g[0];
    memset(mlp_grads(m), 0, P * sizeof(float));
    dpsgd_noise(s, r);
    cr_assert(mlp_grads(m)[0] != first);
    gsl_rng_free(r);
    dpsgd_free(s);
    mlp_free(m);
}

Test(dpsgd, gaussian_sampler_has_normal_tails_beyond_the_ziggurat_base)
{
    /* 4e6 draws; counts of |z| > t for t = 1, 2, 3, 3.6541 (the ziggurat's
     * tail start r) and 4.5 must each lie in the Binomial(n, 2Φ(−t)) region
     * at level 1e-6 — this tests the layer, wedge and tail code paths. */
    enum { N = 4000000 };
    double *v = malloc(N * sizeof *v);
    gsl_rng *r = new_rng(99);
    dpsgd_gaussian(r, v, N);
    const double ts[] = {0.5, 1.0, 2.0, 3.0, 3.6541528853610088, 4.5};
    for (size_t j = 0; j < sizeof ts / sizeof ts[0]; j++) {
        unsigned cnt = 0, lo, hi;
        for (size_t k = 0; k < N; k++)
            cnt += fabs(v[k]) > ts[j];
        binom_interval(N, 2 * gsl_cdf_ugaussian_Q(ts[j]), 1e-6, &lo, &hi);
        cr_assert(cnt >= lo && cnt <= hi, "|z| > %g: %u outside [%u, %u]", ts[j], cnt, lo, hi);
    }
    unsigned neg = 0, lo, hi;
    for (size_t k = 0; k < N; k++)
        neg += v[k] < 0;
    binom_interval(N, 0.5, 1e-6, &lo, &hi);
    cr_assert(neg >= lo && neg <= hi, "negative count %u outside [%u, %u]", neg, lo, hi);
    free(v);
    gsl_rng_free(r);
}

Test(dpsgd, poisson_sampling_includes_every_index_with_probability_q)
{
    /* N = 50, q = 0.13, K = 40000 draws: each index's inclusion count is
     * Binomial(K, q); all 50 must lie in the region at level 1e-6/50
     * (Bonferroni), and the total Binomial(KN, q) in its region at 1e-6
     * (±0.9% of KNq: a 1% error in the rate fails). The indices of every draw
     * are sorted and distinct. */
    const size_t N = 50, K = 40000;
    const double q = 0.13;
    const size_t w[2] = {1, 2};
    mlp *m = new_mlp(1, w, MLP_IDENTITY, 1);
    dpsgd *s = new_engine(m, N, q, 0.0, 1.0, 0);
    gsl_rng *r = new_rng(77);
    unsigned cnt[50] = {0}, lo, hi;
    for (size_t t = 0; t < K; t++) {
        const size_t *idx;
        size_t B;
        dpsgd_sample(s, r, &idx, &B);
        for (size_t i = 0; i < B; i++) {
            cr_assert(idx[i] < N);
            if (i)
                cr_assert(idx[i] > idx[i - 1]);
            cnt[idx[i]]++;
        }
    }
    unsigned total = 0;
    for (size_t i = 0; i < N; i++)
        total += cnt[i];
    binom_interval(K * N, q, 1e-6, &lo, &hi);
    cr_assert(total >= lo && total <= hi, "total %u outside [%u, %u]", total, lo, hi);
    binom_interval(K, q, 1e-6 / N, &lo, &hi);
    for (size_t i = 0; i < N; i++)
        cr_assert(cnt[i] >= lo && cnt[i] <= hi, "index %zu: %u outside [%u, %u]", i, cnt[i], lo, hi);
    dpsgd_free(s);
    /* q = 1 takes everything */
    s = new_engine(m, N, 1.0, 0.0, 1.0, 0);
    const size_t *idx;
    size_t B;
    dpsgd_sample(s, r, &idx, &B);
    cr_assert_eq(B, N);
    gsl_rng_free(r);
    dpsgd_free(s);
    mlp_free(m);
}

Test(dpsgd, canary_gradient_enters_the_sum_clipped_to_c)
{
    /* A canary of norm 10C adds exactly C·g/‖g‖; one of norm C/2 adds g. */
    const size_t w[2] = {3, 2};
    mlp *m = new_mlp(1, w, MLP_IDENTITY, 1);
    const double C = 0.8;
    dpsgd *s = new_engine(m, 4, 0.5, 0.0, C, 0);
    size_t P = mlp_nparams(m);
    cr_assert_eq(P, 8);
    float g[8] = {0}, big[8] = {0};
    g[3] = (float)(0.5 * C);
    big[2] = (float)(6 * C);
    big[5] = (float)(-8 * C);      /* norm 10C */
    memset(mlp_grads(m), 0, P * sizeof(float));
    dpsgd_add_example(s, big);
    cr_assert_float_eq(mlp_grads(m)[2], (float)(0.6 * C), 1e-7);
    cr_assert_float_eq(mlp_grads(m)[5], (float)(-0.8 * C), 1e-7);
    dpsgd_add_example(s, g);
    cr_assert_float_eq(mlp_grads(m)[3], (float)(0.5 * C), 1e-7);
    /* noise with σ = 0 only divides by qN = 2 */
    dpsgd_noise(s, NULL);
    cr_assert_float_eq(mlp_grads(m)[5], (float)(-0.4 * C), 1e-7);
    dpsgd_free(s);
    mlp_free(m);
}

Test(dpsgd, noiseless_unclipped_dpsgd_learns_a_separable_problem)
{
    /* Blobs N(±1.2·1, I) in d = 8 (Bayes accuracy Φ(1.2·√8) ≈ 0.9997),
     * N = 1000, q = 0.05, 400 steps of σ = 0, C = ∞: held-out accuracy >= 0.97.
     * Then the same with σ = 0.8, C = 1 (a private run) must still reach >= 0.9. */
    const size_t w[3] = {8, 16, 2}, N = 1000;
    gsl_rng *r = new_rng(5);
    float *X = malloc(2 * N * 8 * sizeof *X);
    int32_t *y = malloc(2 * N * sizeof *y);
    blobs(r, 2 * N, 8, 1.2, X, y);
    dpsgd_data D = {.n = N, .X = X, .y = y};
    const double sig[2] = {0.0, 0.8}, clip[2] = {INFINITY, 1.0}, need[2] = {0.97, 0.9};
    for (int run = 0; run < 2; run++) {
        mlp *m = new_mlp(2, w, MLP_TANH, 8);
        dpsgd *s = new_engine(m, N, 0.05, sig[run], clip[run], 1);
        dpsgd_stats st;
        double clipped = 0;
        for (int t = 0; t < 400; t++) {
            cr_assert_eq(dpsgd_step(s, &D, NULL, r, &st, NULL), PA_OK);
            clipped += st.clipped_frac;
        }
        if (run == 1)
            cr_assert(clipped > 0, "C = 1 clips some examples during training");
        cr_assert_eq(mlp_forward(m, X + N * 8, N, NULL, NULL), PA_OK);
        double acc = mlp_accuracy(m, y + N);
        cr_assert(acc >= need[run], "run %d (σ = %g): held-out accuracy %.4f", run, sig[run], acc);
        dpsgd_free(s);
        mlp_free(m);
    }
    free(X);
    free(y);
    gsl_rng_free(r);
}

Test(dpsgd, empty_poisson_batch_yields_pure_noise)
{
    /* N = 3, q = 1e-9: B = 0 almost surely; the gradient is N(0,(σC)²)/(qN),
     * finite and not all zero. */
    const size_t w[2] = {2, 2};
    mlp *m = new_mlp(1, w, MLP_IDENTITY, 1);
    dpsgd *s = new_engine(m, 3, 1e-9, 1.0, 1.0, 1);
    gsl_rng *r = new_rng(3);
    float X[6] = {0};
    int32_t y[3] = {0, 1, 0};
    dpsgd_data D = {.n = 3, .X = X, .y = y};
    dpsgd_stats st;
    cr_assert_eq(dpsgd_private_grad(s, &D, NULL, r, &st, NULL), PA_OK);
    cr_assert_eq(st.batch, 0);
    cr_assert(isnan(st.loss));
    int nonzero = 0;
    for (size_t k = 0; k < mlp_nparams(m); k++) {
        cr_assert(isfinite(mlp_grads(m)[k]));
        nonzero += mlp_grads(m)[k] != 0.0f;
    }
    cr_assert(nonzero > 0);
    gsl_rng_free(r);
    dpsgd_free(s);
    mlp_free(m);
}

Test(dpsgd, noise_drawn_ahead_on_a_helper_thread_equals_noise_drawn_in_place)
{
    /* dpsgd_noise_prepare seeds from r and draws on another thread; with no
     * draw from r in between, the noised gradient is bit-for-bit the same */
    const size_t w[3] = {5, 7, 3};
    mlp *m = new_mlp(2, w, MLP_TANH, 2);
    dpsgd *s = new_engine(m, 10, 1.0, 1.3, 0.7, 0);
    size_t P = mlp_nparams(m);
    float *a = malloc(P * sizeof *a);
    unsigned long next[2];
    for (int ahead = 0; ahead <= 1; ahead++) {
        dpsgd_set_noise_thread(s, ahead);   /* the helper thread whatever the machine's load */
        gsl_rng *r = new_rng(77);
        for (size_t k = 0; k < P; k++)
            mlp_grads(m)[k] = (float)k * 0.01f;
        if (ahead)
            cr_assert_eq(dpsgd_noise_prepare(s, r), PA_OK);
        dpsgd_noise(s, r);
        if (!ahead)
            memcpy(a, mlp_grads(m), P * sizeof *a);
        else
            cr_expect_arr_eq(a, mlp_grads(m), P * sizeof *a);
        next[ahead] = gsl_rng_get(r);   /* r has advanced by the same draws either way */
        gsl_rng_free(r);
    }
    cr_expect_eq(next[0], next[1]);
    /* a whole private gradient: helper thread always vs never, bit-for-bit */
    float X[10 * 5];
    int32_t y[10];
    for (size_t k = 0; k < 50; k++)
        X[k] = (float)sin((double)k);
    for (size_t i = 0; i < 10; i++)
        y[i] = (int32_t)(i % 3);
    dpsgd_data D = {.n = 10, .X = X, .y = y};
    dpsgd *s2 = new_engine(m, 10, 0.5, 1.1, 0.8, 0);
    for (int mode = -1; mode <= 1; mode += 2) {
        dpsgd_set_noise_thread(s2, mode);
        gsl_rng *r = new_rng(9);
        cr_assert_eq(dpsgd_private_grad(s2, &D, NULL, r, NULL, NULL), PA_OK);
        if (mode < 0)
            memcpy(a, mlp_grads(m), P * sizeof *a);
        else
            cr_expect_arr_eq(a, mlp_grads(m), P * sizeof *a);
        gsl_rng_free(r);
    }
    dpsgd_free(s2);
    /* a prepared draw that is never used is joined by dpsgd_free */
    gsl_rng *r = new_rng(5);
    cr_assert_eq(dpsgd_noise_prepare(s, r), PA_OK);
    gsl_rng_free(r);
    free(a);
    dpsgd_free(s);
    mlp_free(m);
}

Test(dpsgd, bad_configurations_and_data_are_rejected_naming_the_field)
{
    const size_t w[2] = {2, 2};
    mlp *m = new_mlp(1, w, MLP_IDENTITY, 1);
    struct {
        dpsgd_cfg c;
        const char *field;
    } bad[] = {
        {{.n = 0, .q = 0.1, .sigma = 1, .clip = 1}, "cfg.n"},
        {{.n = 5, .q = 0, .sigma = 1, .clip = 1}, "cfg.q"},
        {{.n = 5, .q = 1.5, .sigma = 1, .clip = 1}, "cfg.q"},
        {{.n = 5, .q = 0.1, .sigma = -1, .clip = 1}, "cfg.sigma"},
        {{.n = 5, .q = 0.1, .sigma = 1, .clip = 0}, "cfg.clip"},
        {{.n = 5, .q = 0.1, .sigma = 1, .clip = INFINITY}, "cfg.clip"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        dpsgd *s = (dpsgd *)m;
        pa_err e = {0};
        cr_assert_eq(dpsgd_new(m, &bad[k].c, NULL, &s, &e), PA_EINPUT, "case %zu", k);
        cr_assert_null(s);
        cr_assert(strstr(e.msg, bad[k].field) != NULL, "case %zu: %s", k, e.msg);
    }
    dpsgd *s = new_engine(m, 3, 0.5, 1.0, 1.0, 0);
    float X[6] = {0};
    int32_t y[3] = {0, 1, 0};
    dpsgd_data D = {.n = 4, .X = X, .y = y};
    pa_err e = {0};
    gsl_rng *r = new_rng(1);
    cr_assert_eq(dpsgd_private_grad(s, &D, NULL, r, NULL, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "data.n") != NULL, "%s", e.msg);
    D.n = 3;
    cr_assert_eq(dpsgd_step(s, &D, NULL, r, NULL, &e), PA_EINPUT);   /* no Adam */
    cr_assert(strstr(e.msg, "Adam") != NULL, "%s", e.msg);
    gsl_rng_free(r);
    dpsgd_free(s);
    dpsgd_free(NULL);
    mlp_free(m);
}

Test(dpsgd, epsilon_comes_from_the_rdp_accountant)
{
    /* REF (opacus tests/accountants_test.py, shared/REFERENCES.md): σ = 1.5,
     * q = 0.04, T = 2250, δ = 1e-5 → ε = 7.32911117143 on opacus's orders.
     * Tolerance 1e-6 relative. σ = 0 → ∞. */
    dpsgd_cfg c = {.n = 25000, .q = 0.04, .sigma = 1.5, .clip = 1.0};
    double eps;
    pa_err e = {0};
    cr_assert_eq(acct_dpsgd_epsilon(&c, 2250, 1e-5, &eps, &e), PA_OK, "%s", e.msg);
    cr_assert(fabs(eps - 7.32911117143) <= 1e-6 * 7.32911117143, "eps %.12g", eps);
    c.sigma = 0;
    cr_assert_eq(acct_dpsgd_epsilon(&c, 10, 1e-5, &eps, NULL), PA_OK);
    cr_assert(isinf(eps));
    cr_assert_eq(acct_dpsgd_epsilon(&c, 10, 0.0, &eps, &e), PA_EINPUT);
    cr_assert(isnan(eps));
}
