/* bench_dpsgd.c — one DP-SGD step of an MLP 128→256→256→2 (tanh, softmax
 * cross-entropy), batch B = 256, three ways in one run:
 *   privaudit  (core/dpsgd.h: norm identity + one GEMM per layer, float)
 *   PyTorch    (per-example gradients materialised as Opacus does, then clip,
 *               sum, noise) — bench/dpsgd_ref.py
 *   numpy      (the same norm identity and one-GEMM clipped sum as privaudit)
 *               — bench/dpsgd_ref.py
 * and the machine's OpenBLAS sgemm peak (a large square sgemm), so every
 * step's GFLOP/s can be read as a fraction of it.
 *
 * Usage: bench_dpsgd [--reps R] [--python PATH] [--ref SCRIPT] [--no-ref]
 * Prints one "key: value" line per figure (times are medians over R reps, ms).
 *
 * A "DP step" here is: forward, loss, backprop, per-example norms, clipped
 * sum, Gaussian noise σC on every coordinate, division by the (expected)
 * batch size. The "non-private step" is forward, loss, backward (mean
 * gradient). Neither includes the optimiser update (timed separately as
 * "dpsgd_step"). B, d, h, p as in core/mlp.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <gsl/gsl_rng.h>

#include "core/blas.h"
#include "core/dpsgd.h"
#include "core/mlp.h"
#include "core/rng.h"

enum { B = 256, D = 128, H = 256, PO = 2 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* GFLOP/s of sgemm on n×n matrices, best of 10 runs (on a shared machine the
 * best run is the least disturbed one). */
static double sgemm_peak(int n)
{
    float *a = malloc((size_t)n * n * sizeof *a), *b = malloc((size_t)n * n * sizeof *b),
          *c = malloc((size_t)n * n * sizeof *c);
    for (size_t k = 0; k < (size_t)n * n; k++) {
        a[k] = (float)((k % 7) * 0.1);
        b[k] = (float)((k % 5) * 0.1);
    }
    double best = 0;
    for (int r = 0; r < 10; r++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f,
                    c, n);
        double g = 2.0 * n * n * (double)n / (now() - t0) / 1e9;
        if (g > best)
            best = g;
    }
    free(a);
    free(b);
    free(c);
    return best;
}

/* The CPU model (/proc/cpuinfo) and the load average. */
static void print_machine(void)
{
    char line[512], model[256] = "?";
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10)) {
            char *p = strchr(line, ':');
            if (p) {
                snprintf(model, sizeof model, "%s", p + 2);
                model[strcspn(model, "\n")] = 0;
            }
            break;
        }
    if (f)
        fclose(f);
    double la[3] = {NAN, NAN, NAN};
    f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
            la[0] = NAN;
        fclose(f);
    }
    printf("cpu: %s | load %.2f %.2f %.2f\n", model, la[0], la[1], la[2]);
}

/* Runs the reference script and reads its "key: value" lines. */
static int run_ref(const char *python, const char *script, int reps, double *torch_dp,
                   double *torch_pre, double *torch_vmap, double *torch_np, double *numpy_dp,
                   double *numpy_np)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s --reps %d", python, script, reps);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        double v;
        fputs("  ref| ", stdout);
        fputs(line, stdout);
        if (sscanf(line, "torch_dp_step_ms: %lf", &v) == 1)
            *torch_dp = v;
        else if (sscanf(line, "torch_prealloc_dp_step_ms: %lf", &v) == 1)
            *torch_pre = v;
        else if (sscanf(line, "torch_vmap_dp_step_ms: %lf", &v) == 1)
            *torch_vmap = v;
        else if (sscanf(line, "torch_nonprivate_step_ms: %lf", &v) == 1)
            *torch_np = v;
        else if (sscanf(line, "numpy_dp_step_ms: %lf", &v) == 1)
            *numpy_dp = v;
        else if (sscanf(line, "numpy_nonprivate_step_ms: %lf", &v) == 1)
            *numpy_np = v;
    }
    return pclose(f);
}

int main(int argc, char **argv)
{
    pa_blas_select_kernels(argv); /* as privaudit: the fast kernels where a hypervisor hides the CPU (core/blas.h) */
    int reps = 200, ref = 1;
    const char *python = "/usr/bin/python3", *script = "bench/dpsgd_ref.py";
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--reps") && k + 1 < argc)
            reps = atoi(argv[++k]);
        else if (!strcmp(argv[k], "--python") && k + 1 < argc)
            python = argv[++k];
        else if (!strcmp(argv[k], "--ref") && k + 1 < argc)
            script = argv[++k];
        else if (!strcmp(argv[k], "--no-ref"))
            ref = 0;
        else if (!strcmp(argv[k], "--threshold") && k + 1 < argc)
            pa_blas_set_threshold(atof(argv[++k]));
        else {
            fprintf(stderr, "usage: %s [--reps R] [--python PATH] [--ref SCRIPT] [--no-ref] [--threshold MADDS]\n",
                    argv[0]);
            return 2;
        }
    }
    if (reps < 3)
        reps = 3;

    /* sgemm peak with 1 thread and with OpenBLAS's own count, before and after the steps */
    int nth = openblas_get_num_threads();
    openblas_set_num_threads(1);
    double peak1 = sgemm_peak(2048);
    openblas_set_num_threads(nth);
    double peak = sgemm_peak(2048);
    print_machine();
    printf("machine: OpenBLAS %s | core %s | threads %d | OPENBLAS_CORETYPE=%s\n",
           openblas_get_config(), openblas_get_corename(), openblas_get_num_threads(),
           getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "(unset)");

    size_t w[4] = {D, H, H, PO};
    mlp_spec spec = {.L = 3, .width = w, .hidden = MLP_TANH, .out = MLP_IDENTITY};
    mlp *m = NULL;
    pa_err err = {0};
    if (mlp_new(&spec, &m, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    gsl_rng *r = rng_stream(1, 0);
    mlp_init(m, r);
    size_t P = mlp_nparams(m);

    /* fixed batch for the step-vs-step comparison; N = 60000 data set for
     * the full dpsgd_step (Poisson sampling at q = B/N, gather, Adam) */
    const size_t N = 60000;
    float *X = malloc(N * D * sizeof *X);
    int32_t *y = malloc(N * sizeof *y);
    for (size_t k = 0; k < N * D; k++)
        X[k] = (float)(2.0 * gsl_rng_uniform(r) - 1.0);
    for (size_t i = 0; i < N; i++)
        y[i] = (int32_t)(gsl_rng_uniform(r) < 0.5);

    dpsgd_cfg cfg = {.n = B, .q = 1.0, .sigma = 1.0, .clip = 1.0};
    dpsgd *s = NULL;
    if (dpsgd_new(m, &cfg, NULL, &s, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double *t_dp = malloc((size_t)reps * sizeof *t_dp), *t_np = malloc((size_t)reps * sizeof *t_np),
           *t_full = malloc((size_t)reps * sizeof *t_full);
    /* interleave the two so that frequency drift hits both equally */
    for (int k = -10; k < reps; k++) {
        double t0 = now();
        mlp_forward(m, X, B, NULL, NULL);
        mlp_loss_xent(m, y, NULL, NULL, NULL);
        mlp_backward(m, 1.0f / B);
        double t1 = now();
        dpsgd_noise_prepare(s, r);          /* as dpsgd_private_grad: normals drawn on the idle core */
        mlp_forward(m, X, B, NULL, NULL);
        mlp_loss_xent(m, y, NULL, NULL, NULL);
        mlp_backprop(m, 0);
        dpsgd_clip_sum(s);
        dpsgd_noise(s, r);
        double t2 = now();
        if (k >= 0) {
            t_np[k] = 1e3 * (t1 - t0);
            t_dp[k] = 1e3 * (t2 - t1);
        }
    }
    double ms_np = median(t_np, reps), ms_dp = median(t_dp, reps);
    int step_threads = pa_blas_current();   /* the GEMMs of the step all have the same size class */

    /* full dpsgd_step: Poisson sampling from N, gather, DP step, Adam */
    dpsgd_free(s);
    dpsgd_cfg cfull = {.n = N, .q = (double)B / (double)N, .sigma = 1.0, .clip = 1.0};
    mlp_adam_cfg acfg = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    if (dpsgd_new(m, &cfull, &acfg, &s, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    dpsgd_data data = {.n = N, .X = X, .y = y};
    for (int k = -10; k < reps; k++) {
        double t0 = now();
        dpsgd_step(s, &data, NULL, r, NULL, NULL);
        if (k >= 0)
            t_full[k] = 1e3 * (now() - t0);
    }
    double ms_full = median(t_full, reps);

    /* FLOPs (weights; biases and elementwise work not counted): forward
     * 2B·Σ in·out, backprop of G to layers 1..L-1 2B·Σ_{l>=1} in·out, weight
     * gradients 2B·Σ in·out. */
    double sum_io = (double)D * H + (double)H * H + (double)H * PO;
    double flops = 2.0 * B * (3.0 * sum_io - (double)D * H);
    openblas_set_num_threads(1);
    double p1b = sgemm_peak(2048);
    openblas_set_num_threads(nth);
    double peak2 = sgemm_peak(2048);
    if (peak2 > peak)
        peak = peak2;
    if (p1b > peak1)
        peak1 = p1b;
    double pk = step_threads == 1 ? peak1 : peak;

    printf("model: MLP %d-%d-%d-%d tanh, softmax cross-entropy, P = %zu, B = %d\n", D, H, H, PO,
           P, B);
    printf("sgemm_peak_gflops: %.1f with 1 thread, %.1f with %d (2048^3, best of 20 runs before "
           "and after)\n", peak1, peak, nth);
    printf("blas_threads_in_step: %d (GEMMs under %.3g multiply-adds run single-threaded)\n",
           step_threads, pa_blas_threshold());
    printf("flops_per_step: %.4g\n", flops);
    printf("privaudit_nonprivate_step_ms: %.4f (%.1f GFLOP/s, %.1f%% of the %d-thread peak, "
           "%.1f%% of the %d-thread peak)\n", ms_np, flops / ms_np / 1e6,
           100 * flops / ms_np / 1e6 / pk, step_threads, 100 * flops / ms_np / 1e6 / peak, nth);
    printf("privaudit_dp_step_ms: %.4f (%.1f GFLOP/s, %.1f%% of the %d-thread peak, %.1f%% of the "
           "%d-thread peak; goal >= 60%%)\n", ms_dp, flops / ms_dp / 1e6,
           100 * flops / ms_dp / 1e6 / pk, step_threads, 100 * flops / ms_dp / 1e6 / peak, nth);
    printf("privaudit_dpsgd_step_ms: %.4f (Poisson q = %d/%zu, gather, DP step, Adam)\n", ms_full,
           B, N);
    printf("ratio dp/nonprivate (privaudit): %.3f (goal <= 1.3)\n", ms_dp / ms_np);

    if (ref) {
        double tdp = NAN, tpre = NAN, tvm = NAN, tnp = NAN, ndp = NAN, nnp = NAN;
        int rc = run_ref(python, script, reps < 30 ? reps : 30, &tdp, &tpre, &tvm, &tnp, &ndp,
                         &nnp);
        if (rc != 0)
            printf("reference script failed (status %d)\n", rc);
        double tbest = INFINITY;
        const double tv[3] = {tdp, tpre, tvm};
        for (int k = 0; k < 3; k++)
            if (!isnan(tv[k]) && tv[k] < tbest)
                tbest = tv[k];
        printf("speedup vs torch (Opacus-style hooks + einsum): %.1fx\n", tdp / ms_dp);
        printf("speedup vs torch (hooks, preallocated per-example buffers): %.1fx\n",
               tpre / ms_dp);
        printf("speedup vs torch (functorch vmap(grad)): %.1fx\n", tvm / ms_dp);
        printf("speedup vs best torch: %.1fx (goal >= 30)\n", tbest / ms_dp);
        printf("speedup vs numpy (same algorithm): %.1fx (goal >= 5)\n", ndp / ms_dp);
        printf("nonprivate speedup vs torch: %.1fx, vs numpy: %.1fx\n", tnp / ms_np, nnp / ms_np);
    }
    print_machine();
    free(t_dp);
    free(t_np);
    free(t_full);
    free(X);
    free(y);
    dpsgd_free(s);
    mlp_free(m);
    gsl_rng_free(r);
    return 0;
}
