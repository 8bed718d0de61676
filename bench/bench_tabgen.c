/* bench_tabgen.c — AIM and Private-GSD beside MST on the coded UCI Adult.
 *
 * n = records, d = columns, m = synthetic records.
 *
 * Run (after `make bench`, which builds it):
 *   build/bench/bench_tabgen [adult.csv adult-domain.json [seeds]]
 * (default: ../shared/data/adult/adult.csv and adult-domain.json, 3 seeds).
 *
 * Prints, for ε = 1, δ = 1e-9, with the CPU model and the load average before
 * and after:
 *   - fit + sample wall and CPU time on all n = 48,842 records (m = n) of MST,
 *     AIM and GSD (single-threaded fits: CPU time is what a quiet core takes),
 *     with AIM's CPU time as a ratio to the 60 s target (issue 11);
 *   - on the 80/20 split of bench_mst (seeded shuffle): mean 2-way TVD
 *     against the real training table and TSTR logistic-regression accuracy
 *     and AUC for income>50K on the real holdout, mean ± sd over the seeds,
 *     and each generator's TVD as a ratio to MST's (reference settings) in
 *     the same run.
 * This program prints; it is not library code.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/utility.h"
#include "core/blas.h"
#include "core/rng.h"
#include "generators/gen.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void machine(const char *when)
{
    char model[256] = "?", load[128] = "?";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c) {
                    snprintf(model, sizeof model, "%s", c + 2);
                    model[strcspn(model, "\n")] = 0;
                }
                break;
            }
        fclose(f);
    }
    f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fgets(load, sizeof load, f))
            load[strcspn(load, "\n")] = 0;
        fclose(f);
    }
    printf("machine (%s): %s; load average %s\n", when, model, load);
}

static table *run_p(const char *name, const cJSON *params, const table *train, size_t m, uint64_t seed, double *secs,
                    double *cpu)
{
    gen_config cfg = {.epsilon = 1.0, .delta = 1e-9, .params = params};
    gsl_rng *r = rng_stream(seed, 1);
    gen_model *g = NULL;
    table *out = NULL;
    pa_err err = {0};
    double t0 = now(), c0 = cpu_now();
    if (gen_fit(name, train, &cfg, r, &g, &err) || gen_sample(g, m, r, &out, &err))
        fprintf(stderr, "%s: %s\n", name, err.msg);
    *secs = now() - t0;
    *cpu = cpu_now() - c0;
    gen_free(g);
    gsl_rng_free(r);
    return out;
}

int main(int argc, char **argv)
{
    pa_blas_select_kernels(argv); /* as privaudit: the fast kernels where a hypervisor hides the CPU (core/blas.h) */
    const char *csv = argc > 1 ? argv[1] : "../shared/data/adult/adult.csv";
    const char *dom = argc > 2 ? argv[2] : "../shared/data/adult/adult-domain.json";
    int seeds = argc > 3 ? atoi(argv[3]) : 3;
    if (seeds < 1 || seeds > 64)
        seeds = 3;
    schema *s = NULL;
    table *t = NULL;
    pa_err err = {0};
    if (schema_read(dom, &s, &err) || tbl_read_csv(csv, s, &t, &err)) {
        fprintf(stderr, "bench_tabgen: %s\n", err.msg);
        return 1;
    }
    machine("start");
    printf("data: %s (%zu records, %zu columns); eps = 1, delta = 1e-9\n", csv, t->n, t->d);
    cJSON *k16 = cJSON_Parse("{\"max_codes\": 16}");
    enum { NG = 4 };
    const char *name[NG] = {"mst", "mst", "aim", "gsd"};
    const char *label[NG] = {"mst", "mst-K16", "aim", "gsd"};
    const cJSON *par[NG] = {NULL, k16, NULL, NULL};

    printf("\n%-10s %8s %10s %10s %10s %8s\n", "generator", "n", "wall s", "CPU s", "target", "CPU/target");
    for (size_t g = 0; g < NG; g++) {
        if (g == 1)
            continue;
        double secs, cpu;
        table *y = run_p(name[g], par[g], t, t->n, 1, &secs, &cpu);
        if (!y)
            return 1;
        if (g == 2)
            printf("%-10s %8zu %10.2f %10.2f %10.1f %8.3f\n", label[g], t->n, secs, cpu, 60.0, cpu / 60.0);
        else
            printf("%-10s %8zu %10.2f %10.2f %10s %8s\n", label[g], t->n, secs, cpu, "-", "-");
        fflush(stdout);
        tbl_free(y);
    }

    size_t n = t->n, ntr = n * 4 / 5;
    size_t *perm = malloc(n * sizeof *perm);
    gsl_rng *r = rng_stream(2024, 0);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)rng_below(r, i + 1), x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
    }
    gsl_rng_free(r);
    table *train = tbl_rows(t, perm, ntr), *hold = tbl_rows(t, perm + ntr, n - ntr);
    free(perm);
    double acc, auc;
    if (util_tstr(train, hold, "income>50K", UTIL_LOGREG, &acc, &auc, &err)) {
        fprintf(stderr, "bench_tabgen: %s\n", err.msg);
        return 1;
    }
    printf("\nsplit: %zu training, %zu holdout records, %d seeds (mean ± sd)\n", ntr, n - ntr, seeds);
    printf("%-10s %18s %10s %18s %18s %10s\n", "generator", "2-way TVD", "vs mst", "TSTR accuracy", "TSTR AUC",
           "seconds");
    printf("%-10s %18s %10s %11.4f %6s %11.4f %6s %10s\n", "real", "0", "-", acc, "", auc, "", "-");
    double tvd_mst = NAN;
    for (size_t g = 0; g < NG; g++) {
        double sv[3][64], tv = 0;
        for (int q = 0; q < seeds; q++) {
            double secs, cpu, mean, mx;
            table *y = run_p(name[g], par[g], train, ntr, 100 + (uint64_t)q, &secs, &cpu);
            if (!y)
                return 1;
            tv += secs;
            util_tvd(train, y, 2, 0, 0, 1, &mean, &mx, NULL);
            util_tstr(y, hold, "income>50K", UTIL_LOGREG, &acc, &auc, NULL);
            sv[0][q] = mean;
            sv[1][q] = acc;
            sv[2][q] = auc;
            tbl_free(y);
        }
        double mu[3], sd[3];
        for (int c = 0; c < 3; c++) {
            mu[c] = 0;
            for (int q = 0; q < seeds; q++)
                mu[c] += sv[c][q] / seeds;
            sd[c] = 0;
            for (int q = 0; q < seeds; q++)
                sd[c] += (sv[c][q] - mu[c]) * (sv[c][q] - mu[c]) / (seeds > 1 ? seeds - 1 : 1);
            sd[c] = sqrt(sd[c]);
        }
        if (g == 0)
            tvd_mst = mu[0];
        printf("%-10s %9.4f ± %6.4f %10.3f %9.4f ± %6.4f %9.4f ± %6.4f %10.2f\n", label[g], mu[0], sd[0],
               mu[0] / tvd_mst, mu[1], sd[1], mu[2], sd[2], tv / seeds);
        fflush(stdout);
    }
    machine("end");
    tbl_free(train);
    tbl_free(hold);
    tbl_free(t);
    schema_free(s);
    cJSON_Delete(k16);
    return 0;
}
