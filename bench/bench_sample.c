/* bench_sample.c — the two inner loops of a fixed-game trial of `marginals`
 * against the `marginal` attack, each beside its reference in one process:
 *   - rng_discrete_fill (core/rng_discrete.h) against m calls of GSL's
 *     gsl_ran_discrete on the same table and stream (the draws are equal;
 *     the bench checks it), for a binary column, a 7-code column and a
 *     32-bin column;
 *   - util_hist_add (audit/utility.h) against the plain h[cell[i]] += 1.
 * m = 50,000 cells per call, as a release of 50,000 records; the figures
 * are ns per draw / per counted cell, alternated rep by rep, median of 9.
 *
 * Run (after `make bench`, which builds it): build/bench/bench_sample
 * This program prints; it is not library code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/utility.h"
#include "core/rng.h"
#include "core/rng_discrete.h"

enum { M = 50000, CALLS = 200, REPS = 9 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, REPS, sizeof *v, cmp);
    return v[REPS / 2];
}

int main(void)
{
    char model[256] = "?";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
                snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
                model[strcspn(model, "\n")] = 0;
                break;
            }
        fclose(f);
    }
    printf("bench_sample: %s; m = %d cells per call, %d calls per rep, median of %d reps\n", model, M, CALLS, REPS);
    int32_t *a = malloc(M * sizeof *a), *b = malloc(M * sizeof *b);
    if (!a || !b)
        return 1;
    static const double w2[] = {0.55, 0.45};
    static const double w7[] = {0.31, 0.02, 0.2, 0.07, 0.15, 0.05, 0.2};
    double w32[32];
    for (int k = 0; k < 32; k++)
        w32[k] = 1.0 / (1 + (k * 7) % 11);
    const double *ws[] = {w2, w7, w32};
    const size_t ks[] = {2, 7, 32};
    int status = 0;
    for (int t = 0; t < 3; t++) {
        gsl_ran_discrete_t *g = gsl_ran_discrete_preproc(ks[t], ws[t]);
        gsl_rng *r1 = rng_stream(7, (uint64_t)t), *r2 = rng_stream(7, (uint64_t)t);
        if (!g || !r1 || !r2)
            return 1;
        double tg[REPS], tf[REPS], tp[REPS], th[REPS];
        double *h1 = calloc(ks[t], sizeof *h1), *h2 = calloc(ks[t], sizeof *h2);
        if (!h1 || !h2)
            return 1;
        for (int rep = 0; rep < REPS; rep++) {
            double t0 = now();
            for (int c = 0; c < CALLS; c++)
                for (size_t i = 0; i < M; i++)
                    a[i] = (int32_t)gsl_ran_discrete(r1, g);
            double t1 = now();
            for (int c = 0; c < CALLS; c++)
                rng_discrete_fill(r2, g, b, M);
            double t2 = now();
            if (memcmp(a, b, M * sizeof *a)) {
                fprintf(stderr, "bench_sample: rng_discrete_fill drew other values than gsl_ran_discrete\n");
                status = 1;
            }
            tg[rep] = (t1 - t0) / ((double)CALLS * M) * 1e9;
            tf[rep] = (t2 - t1) / ((double)CALLS * M) * 1e9;
            double t3 = now();
            for (int c = 0; c < CALLS; c++)
                for (size_t i = 0; i < M; i++)
                    h1[b[i]] += 1; /* the same cells as below */
            double t4 = now();
            for (int c = 0; c < CALLS; c++)
                util_hist_add(h2, b, NULL, M, 0, ks[t]);
            double t5 = now();
            tp[rep] = (t4 - t3) / ((double)CALLS * M) * 1e9;
            th[rep] = (t5 - t4) / ((double)CALLS * M) * 1e9;
        }
        if (memcmp(h1, h2, ks[t] * sizeof *h1)) {
            fprintf(stderr, "bench_sample: util_hist_add counted otherwise than the plain loop\n");
            status = 1;
        }
        double mg = median(tg), mf = median(tf), mp = median(tp), mh = median(th);
        printf("K = %2zu: draws gsl_ran_discrete %.2f ns, rng_discrete_fill %.2f ns: %.2fx; "
               "counting plain %.2f ns, util_hist_add %.2f ns: %.2fx\n",
               ks[t], mg, mf, mg / mf, mp, mh, mp / mh);
        free(h1);
        free(h2);
        gsl_rng_free(r1);
        gsl_rng_free(r2);
        gsl_ran_discrete_free(g);
    }
    printf("reproduce: make build/bench/bench_sample && build/bench/bench_sample\n");
    free(a);
    free(b);
    return status;
}
