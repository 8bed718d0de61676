/* bench_mst.c — MST and PrivBayes on the coded UCI Adult: timings and utility.
 *
 * n = records, d = columns, m = synthetic records.
 *
 * Build (from the repository root, after `make` has built the library):
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -I. \
 *      $(pkg-config --cflags gsl openblas libcjson) bench/bench_mst.c \
 *      build/libprivaudit.a $(pkg-config --libs openblas sqlite3 libcjson zlib liblzma) \
 *      -lgsl -lglpk -lbz2 -lpthread -lm -o build/bench_mst
 * Run:
 *   build/bench_mst [adult.csv adult-domain.json [seeds]]
 * (default: ../shared/data/adult/adult.csv and adult-domain.json, 3 seeds).
 *
 * Prints, for ε = 1, δ = 1e-9:
 *   - fit + sample wall time of MST and PrivBayes on the first 1,000 records
 *     and on all records (m = n), with the ratio to the targets
 *     (0.5 s and 10 s);
 *   - on an 80/20 split (seeded shuffle): mean 2-way TVD between each
 *     generator's synthetic table (m = training size) and the real training
 *     table, and TSTR logistic-regression accuracy for income>50K on the real
 *     holdout, beside the accuracy of training on the real training table.
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

extern const gen_vtable gen_mst;
extern const gen_vtable gen_privbayes;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* fit on train with params (may be NULL) and sample m records; returns the synthetic table or NULL */
static table *run_p(const gen_vtable *g, const cJSON *params, const table *train, size_t m, uint64_t seed,
                    double *secs)
{
    gen_config cfg = {.epsilon = 1.0, .delta = 1e-9, .params = params};
    gsl_rng *r = rng_stream(seed, 1);
    void *st = NULL;
    table *out = NULL;
    pa_err err = {0};
    double t0 = now();
    if (g->fit(train, &cfg, r, &st, &err) || g->sample(st, m, r, &out, &err))
        fprintf(stderr, "%s: %s\n", g->name, err.msg);
    *secs = now() - t0;
    g->free_state(st);
    gsl_rng_free(r);
    return out;
}


int main(int argc, char **argv)
{
    pa_blas_select_kernels(argv); /* as privaudit: the fast kernels where a hypervisor hides the CPU (core/blas.h) */
    const char *csv = argc > 1 ? argv[1] : "../shared/data/adult/adult.csv";
    const char *dom = argc > 2 ? argv[2] : "../shared/data/adult/adult-domain.json";
    int seeds = argc > 3 ? atoi(argv[3]) : 5;
    schema *s = NULL;
    table *t = NULL;
    pa_err err = {0};
    if (schema_read(dom, &s, &err) || tbl_read_csv(csv, s, &t, &err)) {
        fprintf(stderr, "bench_mst: %s\n", err.msg);
        return 1;
    }
    printf("data: %s (%zu records, %zu columns)\n", csv, t->n, t->d);
    const gen_vtable *gens[4] = {&gen_mst, &gen_mst, &gen_privbayes, gen_find("marginals")};
    const char *label[4] = {"mst", "mst-K16", "privbayes", "marginals"};
    cJSON *k16 = cJSON_Parse("{\"max_codes\": 16}");
    const cJSON *gparams[4] = {NULL, k16, NULL, NULL};
    size_t ngen = gens[3] ? 4 : 3;

    /* timings */
    printf("\n%-10s %8s %10s %10s %8s\n", "generator", "n", "seconds", "target", "ratio");
    size_t first[1000];
    for (size_t i = 0; i < 1000; i++)
        first[i] = i;
    table *small = tbl_rows(t, first, 1000);
    for (size_t g = 0; g < 3; g++) {
        const table *tabs[2] = {small, t};
        const double target[2] = {0.5, 10.0};
        for (int q = 0; q < 2; q++) {
            double secs;
            table *y = run_p(gens[g], gparams[g], tabs[q], tabs[q]->n, 1, &secs);
            printf("%-10s %8zu %10.3f %10.1f %8.3f\n", label[g], tabs[q]->n, secs, target[q], secs / target[q]);
            tbl_free(y);
        }
    }
    tbl_free(small);

    /* utility on an 80/20 split */
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
        fprintf(stderr, "bench_mst: %s\n", err.msg);
        return 1;
    }
    printf("\nsplit: %zu training, %zu holdout records; eps = 1, delta = 1e-9, %d seeds (mean ± sd)\n", ntr,
           n - ntr, seeds);
    printf("%-10s %18s %18s %18s %10s\n", "generator", "2-way TVD", "TSTR accuracy", "TSTR AUC", "seconds");
    printf("%-10s %18s %11.4f %6s %11.4f %6s %10s\n", "real", "0", acc, "", auc, "", "-");
    for (size_t g = 0; g < ngen; g++) {
        double sv[3][64], tv = 0;
        int k = seeds > 64 ? 64 : seeds;
        for (int q = 0; q < k; q++) {
            double secs, mean, mx;
            table *y = run_p(gens[g], gparams[g], train, ntr, 100 + (uint64_t)q, &secs);
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
            for (int q = 0; q < k; q++)
                mu[c] += sv[c][q] / k;
            sd[c] = 0;
            for (int q = 0; q < k; q++)
                sd[c] += (sv[c][q] - mu[c]) * (sv[c][q] - mu[c]) / (k > 1 ? k - 1 : 1);
            sd[c] = sqrt(sd[c]);
        }
        printf("%-10s %9.4f ± %6.4f %9.4f ± %6.4f %9.4f ± %6.4f %10.3f\n", label[g], mu[0], sd[0], mu[1], sd[1],
               mu[2], sd[2], tv / k);
    }
    tbl_free(train);
    tbl_free(hold);
    tbl_free(t);
    schema_free(s);
    cJSON_Delete(k16);
    return 0;
}
