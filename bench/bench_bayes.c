/* bench_bayes.c — our joint-beta credible interval against the 2-D quadrature
 * reference (bench/bayes_ref.py, scipy dblquad) on the same counts, side by
 * side: both intervals, their largest difference (goal <= 0.01) and the
 * speed ratio (goal >= 1000x).
 *
 * build: cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I. $(pkg-config --cflags gsl) \
 *          -o build/bench_bayes bench/bench_bayes.c build/libprivaudit.a -lgsl -lm
 * usage: bench_bayes [--python PATH] [--script PATH] [--reps N] [TP FN FP TN ...]
 *   default counts: the privacy-estimates README case (487 0 512 1) and the
 *   REFERENCES Clopper-Pearson case (200 12 58 200); δ = 1e-5, two-sided
 *   α = 0.1 (each end one-sided 0.05). Exit status 1 if an interval differs
 *   from the reference by more than 0.01.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/eps.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const char *python = "/usr/bin/python3", *script = "bench/bayes_ref.py";
    int reps = 20;
    double counts[64];
    int nc = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--python") && i + 1 < argc)
            python = argv[++i];
        else if (!strcmp(argv[i], "--script") && i + 1 < argc)
            script = argv[++i];
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (nc < 64)
            counts[nc++] = atof(argv[i]);
    }
    if (nc == 0) {
        static const double def[8] = { 487, 0, 512, 1, 200, 12, 58, 200 };
        memcpy(counts, def, sizeof def);
        nc = 8;
    }
    if (nc % 4 || reps < 1) {
        fprintf(stderr, "bench_bayes: expected counts in groups of four (TP FN FP TN) and --reps >= 1\n");
        return 2;
    }
    const double delta = 1e-5, alpha = 0.05;
    int fail = 0;
    printf("joint-beta credible interval, delta = %g, each end one-sided %g (CLI --alpha %g)\n",
           delta, 1 - alpha, 2 * alpha);
    for (int k = 0; k < nc; k += 4) {
        eps_counts c = { .tp = counts[k], .fn = counts[k + 1], .fp = counts[k + 2],
                         .tn = counts[k + 3] };
        double lo = NAN, hi = NAN;
        pa_err err = { 0 };
        double t0 = now();
        for (int r = 0; r < reps; r++)
            if (eps_bayes_interval(&c, delta, alpha, &lo, &hi, &err)) {
                fprintf(stderr, "bench_bayes: %s\n", err.msg);
                return 1;
            }
        double ours = (now() - t0) / reps;
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s %s %.17g %.17g %.17g %.17g %.17g %.17g", python, script, c.tp,
                 c.fn, c.fp, c.tn, delta, alpha);
        printf("\ncounts TP=%g FN=%g FP=%g TN=%g\n", c.tp, c.fn, c.fp, c.tn);
        printf("  ours       [%.6f, %.6f]  %.3f ms (mean of %d)\n", lo, hi, ours * 1e3, reps);
        fflush(stdout);
        double t1 = now();
        FILE *p = popen(cmd, "r");
        double rlo = NAN, rhi = NAN, rsec = NAN;
        int got = p ? fscanf(p, "%lf %lf %lf", &rlo, &rhi, &rsec) : 0;
        int st = p ? pclose(p) : -1;
        double wall = now() - t1;
        if (got != 3 || st != 0) {
            printf("  reference  failed (%s)\n", cmd);
            fail = 1;
            continue;
        }
        double diff = fmax(fabs(lo - rlo), fabs(hi - rhi));
        printf("  reference  [%.6f, %.6f]  %.1f s (scipy dblquad; %.1f s with interpreter start)\n",
               rlo, rhi, rsec, wall);
        printf("  max |difference| %.1e (goal <= 0.01: %s)   speed ratio %.0fx (goal >= 1000x: %s)\n",
               diff, diff <= 0.01 ? "met" : "NOT MET", rsec / ours,
               rsec / ours >= 1000 ? "met" : "NOT MET");
        printf("  reproduce: %s\n", cmd);
        if (!(diff <= 0.01))
            fail = 1;
    }
    return fail;
}
