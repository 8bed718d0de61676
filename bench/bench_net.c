/* bench_net.c — (--model psg, the default) one DP-SGD step of the PSG / dataset-condensation ConvNet on
 * 28×28 grey images (batch B = 64, σ = 1, C = 1) in core/net.h, against
 * PyTorch in the same run (bench/net_ref.py: per-sample gradients
 * materialised as Opacus does, and functorch vmap):
 *
 *   3 × [conv 3×3 (128, pad 1) – instance norm – ReLU – avgpool 2], flatten,
 *   dense 10, softmax cross-entropy; P = 301,066.
 *
 * --model dcgan: GS-WGAN's discriminator body (conv 5×5 stride 2, 1→64→128→256,
 * LeakyReLU 0.2, 28→14→7→4) with a dense 10 head, where the ghost norm
 * replaces per-example gradients of 0.2 and 0.8 M entries per example.
 *
 * A "DP step" is forward, loss, backprop, per-example norms (ghost or
 * materialised per layer), the clipped sum, Gaussian noise σC on every
 * coordinate and division by B; the "non-private step" forward, loss and
 * the mean gradient. Neither includes the optimiser.
 *
 * Usage: bench_net [--reps R] [--python PATH] [--ref SCRIPT] [--no-ref]
 * Prints "key: value" lines (medians over R reps, ms), the CPU model and the
 * load average.
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
#include "core/net.h"
#include "core/rng.h"

enum { B = 64, HW = 28, WIDTH = 128, NCLS = 10 };

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
    printf("machine: %s | OpenBLAS %s | core %s | threads %d | load %.2f %.2f %.2f\n", model,
           openblas_get_config(), openblas_get_corename(), openblas_get_num_threads(), la[0], la[1],
           la[2]);
}

static int run_ref(const char *python, const char *script, const char *model, int reps, double *tdp, double *tvm,
                   double *tnp)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s --reps %d --model %s", python, script, reps, model);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        double v;
        fputs("  ref| ", stdout);
        fputs(line, stdout);
        if (sscanf(line, "torch_dp_step_ms: %lf", &v) == 1)
            *tdp = v;
        else if (sscanf(line, "torch_vmap_dp_step_ms: %lf", &v) == 1)
            *tvm = v;
        else if (sscanf(line, "torch_nonprivate_step_ms: %lf", &v) == 1)
            *tnp = v;
    }
    return pclose(f);
}

int main(int argc, char **argv)
{
    pa_blas_select_kernels(argv); /* as privaudit: the fast kernels where a hypervisor hides the CPU (core/blas.h) */
    int reps = 20, ref = 1, dcgan = 0;
    const char *python = "/usr/bin/python3", *script = "bench/net_ref.py";
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--reps") && k + 1 < argc)
            reps = atoi(argv[++k]);
        else if (!strcmp(argv[k], "--python") && k + 1 < argc)
            python = argv[++k];
        else if (!strcmp(argv[k], "--ref") && k + 1 < argc)
            script = argv[++k];
        else if (!strcmp(argv[k], "--model") && k + 1 < argc) {
            k++;
            if (!strcmp(argv[k], "dcgan"))
                dcgan = 1;
            else if (strcmp(argv[k], "psg")) {
                fprintf(stderr, "--model: expected psg or dcgan, got '%s'\n", argv[k]);
                return 2;
            }
        } else if (!strcmp(argv[k], "--no-ref"))
            ref = 0;
        else {
            fprintf(stderr, "usage: %s [--reps R] [--python PATH] [--ref SCRIPT] [--no-ref] [--model psg|dcgan]\n",
                    argv[0]);
            return 2;
        }
    }
    if (reps < 3)
        reps = 3;
    print_machine();

    net_layer_spec ls[14];
    size_t L = 0;
    for (int b = 0; b < 3; b++) {
        if (dcgan) {
            ls[L++] = (net_layer_spec){.kind = NET_CONV, .out = 64u << b, .k = 5, .stride = 2, .pad = 2};
            ls[L++] = (net_layer_spec){.kind = NET_ACT, .act = NET_LRELU, .slope = 0.2};
            continue;
        }
        ls[L++] = (net_layer_spec){.kind = NET_CONV, .out = WIDTH, .k = 3, .stride = 1, .pad = 1};
        ls[L++] = (net_layer_spec){.kind = NET_GROUPNORM, .groups = WIDTH};
        ls[L++] = (net_layer_spec){.kind = NET_ACT, .act = NET_RELU};
        ls[L++] = (net_layer_spec){.kind = NET_AVGPOOL, .k = 2, .stride = 2};
    }
    ls[L++] = (net_layer_spec){.kind = NET_FLATTEN};
    ls[L++] = (net_layer_spec){.kind = NET_DENSE, .out = NCLS};
    net_spec spec = {.H = HW, .W = HW, .C = 1, .L = L, .layer = ls};
    net *m = NULL;
    pa_err err = {0};
    if (net_new(&spec, &m, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    gsl_rng *r = rng_stream(1, 0);
    net_init(m, r);
    size_t P = net_nparams(m), n0 = net_size(m, 0);
    float *X = malloc(B * n0 * sizeof *X);
    if (!X) {
        fprintf(stderr, "bench_net: out of memory\n");
        return 1;
    }
    int32_t y[B];
    for (size_t k = 0; k < B * n0; k++)
        X[k] = (float)gsl_rng_uniform(r);
    for (int i = 0; i < B; i++)
        y[i] = (int32_t)gsl_rng_uniform_int(r, NCLS);
    double *noise = malloc(P * sizeof *noise);
    double *t_dp = malloc((size_t)reps * sizeof *t_dp), *t_np = malloc((size_t)reps * sizeof *t_np);
    if (!noise || !t_dp || !t_np) {
        fprintf(stderr, "bench_net: out of memory\n");
        return 1;
    }
    const double sigma = 1.0, C = 1.0;
    /* as bench/net_ref.py does for torch: measure with 1 BLAS thread and with
     * OpenBLAS's own count, keep the faster of each (on a shared machine a
     * second thread may wait for a busy core) */
    int nth = openblas_get_num_threads();
    double ms_np = INFINITY, ms_dp = INFINITY;
    int th_np = 1, th_dp = 1;
    for (int th = 1; th <= nth; th += nth > 1 ? nth - 1 : 1) {
        pa_blas_cap(th);
        for (int k = -2; k < reps; k++) {
            double t0 = now();
            net_forward(m, X, B, NULL, NULL);
            net_loss_xent(m, y, NULL, NULL, NULL);
            net_backward(m, 1.0f / B);
            double t1 = now();
            net_forward(m, X, B, NULL, NULL);
            net_loss_xent(m, y, NULL, NULL, NULL);
            net_backprop(m, 0);
            net_clip_sum(m, C, NULL, NULL);
            dpsgd_gaussian(r, noise, P);
            float *g = net_grads(m);
            for (size_t j = 0; j < P; j++)
                g[j] = (float)((g[j] + sigma * C * noise[j]) / B);
            double t2 = now();
            if (k >= 0) {
                t_np[k] = 1e3 * (t1 - t0);
                t_dp[k] = 1e3 * (t2 - t1);
            }
        }
        double np_ = median(t_np, reps), dp_ = median(t_dp, reps);
        printf("  blas threads=%d nonprivate_step_ms: %.2f dp_step_ms: %.2f\n", th, np_, dp_);
        if (np_ < ms_np)
            ms_np = np_, th_np = th;
        if (dp_ < ms_dp)
            ms_dp = dp_, th_dp = th;
    }
    /* Winograd against im2col (net_set_winograd) in the same process, the two
     * alternated rep by rep so that the machine's drift falls on both alike */
    double ms_wino = NAN, ms_im2col = NAN;
    if (!dcgan) {
        pa_blas_cap(th_dp);
        double *t_on = malloc((size_t)reps * sizeof *t_on), *t_off = malloc((size_t)reps * sizeof *t_off);
        if (!t_on || !t_off) {
            fprintf(stderr, "bench_net: out of memory\n");
            return 1;
        }
        for (int k = -2; k < reps; k++)
            for (int on = 1; on >= 0; on--) {
                net_set_winograd(m, on);
                double t1 = now();
                net_forward(m, X, B, NULL, NULL);
                net_loss_xent(m, y, NULL, NULL, NULL);
                net_backprop(m, 0);
                net_clip_sum(m, C, NULL, NULL);
                double t2 = now();
                if (k >= 0)
                    (on ? t_on : t_off)[k] = 1e3 * (t2 - t1);
            }
        net_set_winograd(m, 1);
        ms_wino = median(t_on, reps);
        ms_im2col = median(t_off, reps);
        free(t_on);
        free(t_off);
    }
    pa_blas_cap(0);
    if (!dcgan)
        printf("clipped-sum step (no noise), blas threads=%d, alternated: winograd %.2f ms, im2col %.2f ms: "
               "winograd %.2fx faster\n", th_dp, ms_wino, ms_im2col, ms_im2col / ms_wino);
    printf("model: %s, 28x28x1, P = %zu, B = %d\n",
           dcgan ? "GS-WGAN discriminator 3x[conv5x5 s2 (64,128,256) lrelu] dense 10"
                 : "PSG ConvNet 3x[conv3x3(128) instnorm relu avgpool2] dense 10", P, B);
    printf("privaudit_nonprivate_step_ms: %.2f (blas threads=%d)\n", ms_np, th_np);
    printf("privaudit_dp_step_ms: %.2f (blas threads=%d)\n", ms_dp, th_dp);
    printf("ratio dp/nonprivate (privaudit): %.3f\n", ms_dp / ms_np);
    int status = 0;
    if (ref) {
        double tdp = NAN, tvm = NAN, tnp = NAN;
        int rc = run_ref(python, script, dcgan ? "dcgan" : "psg", reps < 10 ? reps : 10, &tdp, &tvm, &tnp);
        if (rc != 0 || !(tdp > 0 && tvm > 0 && tnp > 0)) {
            printf("reference script failed (status %d): no speedups\n", rc);
            status = 1;
        } else {
            printf("speedup vs torch (Opacus-style per-sample gradients): %.1fx (goal >= 5)\n",
                   tdp / ms_dp);
            printf("speedup vs torch (functorch vmap(grad)): %.1fx\n", tvm / ms_dp);
            printf("nonprivate speedup vs torch: %.1fx\n", tnp / ms_np);
        }
    }
    print_machine();
    free(X);
    free(noise);
    free(t_dp);
    free(t_np);
    net_free(m);
    gsl_rng_free(r);
    return status;
}
