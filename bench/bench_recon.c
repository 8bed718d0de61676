/* bench_recon.c — linear-reconstruction attack: LP speed against scipy's HiGHS
 * and reconstruction accuracy on the coded UCI Adult.
 *
 * n = real records, m = synthetic records, q = queries, G = games.
 *
 * Build (from the repository root, after `make` has built the library):
 *   make BUILD=build build/bench/bench_recon
 * Run:
 *   build/bench/bench_recon [adult.csv adult-domain.json [games]]
 * (default ../shared/data/adult/adult.csv and adult-domain.json, 10 games;
 * without the files a synthetic population of 20,000 records on 10
 * attributes of 8 codes is made here instead).
 *
 * QIs: age, workclass, education-num, marital-status, occupation,
 * relationship, race, sex, hours-per-week, native-country; secret income>50K.
 *
 * Prints:
 *   1. one attack on n = 1,000 records with all 3-way queries (k = 3: two QI
 *      equalities + secret) against `resample` with m = 10 n: build and solve
 *      time with glp_simplex and glp_interior (the target: < 2 s);
 *      the same LP written as triplets and solved by bench/recon_ref.py
 *      (scipy linprog "highs") in this run; objectives must agree to 1e-6
 *      relative; the time ratio and the reproducing command;
 *   2. accuracy (target with 95% Clopper–Pearson interval, all records for the
 *      LP, the classifier and nearest-record comparators, majority baseline)
 *      against `resample` and `marginals` (ε = 10) for m = n, 10 n,
 *      100 n, and the all-records accuracy of the LP from exact counts
 *      (synthetic = real), i.e. how many secrets the queries determine.
 * This program prints; it is not library code. Exit 1 if a check fails.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glpk.h>

#include "attacks/recon.h"
#include "core/blas.h"
#include "core/rng.h"
#include "generators/gen.h"

static const char *const QI[] = {"age", "workclass", "education-num", "marital-status", "occupation",
                                 "relationship", "race", "sex", "hours-per-week", "native-country"};
#define NQI 10
#define SECRET "income>50K"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Columns QI + secret of t, in that order, with roles set. */
static table *project(const table *t, pa_err *err)
{
    schema *s = schema_new(NQI + 1);
    int src[NQI + 1];
    for (size_t a = 0; a <= NQI; a++) {
        const char *name = a < NQI ? QI[a] : SECRET;
        src[a] = schema_col(t->s, name);
        if (src[a] < 0) {
            pa_errf(err, PA_EINPUT, "column \"%s\" not in the schema", name);
            schema_free(s);
            return NULL;
        }
        const col_spec *c = &t->s->cols[src[a]];
        s->cols[a] = *c;
        s->cols[a].name = pa_strdup(c->name);
        s->cols[a].labels = NULL;
        s->cols[a].roles = a < NQI ? ROLE_QI : ROLE_SECRET;
    }
    table *out = tbl_new(s, t->n);
    for (size_t a = 0; a <= NQI; a++)
        for (size_t i = 0; i < t->n; i++) {
            if (out->cat[a])
                out->cat[a][i] = t->cat[src[a]][i];
            else
                out->num[a][i] = t->num[src[a]][i];
        }
    schema_free(s);
    return out;
}

/* A population when Adult is absent: 10 QIs of 8 codes, secret = a noisy
 * function of three of them. */
static table *make_pop(size_t N)
{
    schema *s = schema_new(NQI + 1);
    for (size_t a = 0; a <= NQI; a++) {
        s->cols[a].name = pa_strdup(a < NQI ? QI[a] : SECRET);
        s->cols[a].kind = COL_CAT;
        s->cols[a].size = a < NQI ? 8 : 2;
        s->cols[a].roles = a < NQI ? ROLE_QI : ROLE_SECRET;
    }
    table *t = tbl_new(s, N);
    gsl_rng *r = rng_stream(99, 0);
    for (size_t i = 0; i < N; i++) {
        for (size_t a = 0; a < NQI; a++)
            t->cat[a][i] = (int32_t)rng_below(r, 8);
        int v = (t->cat[0][i] + t->cat[3][i] + t->cat[7][i]) % 3 == 0;
        t->cat[NQI][i] = rng_below(r, 10) < 8 ? v : !v;
    }
    gsl_rng_free(r);
    schema_free(s);
    return t;
}

static table *sample_rows(const table *pop, size_t n, uint64_t seed)
{
    gsl_rng *r = rng_stream(seed, 0);
    size_t *perm = malloc(pop->n * sizeof *perm);
    for (size_t i = 0; i < pop->n; i++)
        perm[i] = i;
    for (size_t i = 0; i < n; i++) {
        size_t j = i + (size_t)rng_below(r, pop->n - i), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    table *out = tbl_rows(pop, perm, n);
    free(perm);
    gsl_rng_free(r);
    return out;
}

static int speed(const table *pop)
{
    int ok = 1;
    size_t n = 1000, m = 10 * n;
    table *train = sample_rows(pop, n, 1);
    gen_config gc = {.epsilon = INFINITY, .delta = 0, .params = NULL};
    gsl_rng *r = rng_stream(1, 1);
    gen_model *gm = NULL;
    table *syn = NULL;
    pa_err e;
    if (gen_fit("resample", train, &gc, r, &gm, &e) || gen_sample(gm, m, r, &syn, &e)) {
        fprintf(stderr, "bench_recon: %s\n", e.msg);
        return 0;
    }
    recon_opts o;
    recon_opts_default(&o);
    o.k_min = o.k_max = 3;
    double *x = malloc(n * sizeof *x), obj[2] = {NAN, NAN};
    printf("-- 1. one attack: n = %zu, m = %zu (resample), all 3-way queries of %d QIs\n", n, m, NQI);
    double best = INFINITY;
    for (int s = 0; s < 2; s++) {
        o.solver = s;
        recon_stats st;
        double t0 = now();
        if (recon_attack(train, syn, NQI, 1, &o, x, &st, &e)) {
            /* glp_interior is not required (the attack uses the simplex); report and go on */
            printf("   %-8s FAILED: %s\n", s ? "interior" : "simplex", e.msg);
            if (s == RECON_SIMPLEX)
                ok = 0;
            continue;
        }
        double tot = now() - t0;
        obj[s] = st.objective;
        if (st.seconds < best)
            best = st.seconds;
        size_t right = 0;
        for (size_t i = 0; i < n; i++)
            right += (x[i] > 0.5) == (train->cat[NQI][i] == 1);
        printf("   %-8s q = %zu, nnz = %zu, build %.3f s, solve %.3f s, total %.3f s (target < 2 s: %s), "
               "objective %.10g, accuracy %.3f\n", s ? "interior" : "simplex", st.queries, st.nonzeros,
               st.build_seconds, st.seconds, tot, tot < 2 ? "ok" : "MISSED", st.objective, (double)right / (double)n);
        if (tot >= 2)
            ok = 0;
    }
    const char *lp = "/tmp/bench_recon.triplets";
    o.solver = RECON_SIMPLEX;
    if (recon_write_lp(train, syn, NQI, 1, &o, lp, "triplets", NULL, &e)) {
        fprintf(stderr, "bench_recon: %s\n", e.msg);
        ok = 0;
    } else {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 bench/recon_ref.py %s", lp);
        FILE *p = popen(cmd, "r");
        double ref = NAN, rs = NAN;
        char line[512];
        int parsed = 0;
        while (p && fgets(line, sizeof line, p)) /* read to EOF before pclose */
            parsed |= sscanf(line, "objective %lf seconds %lf", &ref, &rs) == 2;
        if (!p || !parsed) {
            fprintf(stderr, "bench_recon: could not run or parse `%s`\n", cmd);
            ok = 0;
        }
        if (p)
            pclose(p);
        double rel = fabs(obj[0] - ref) / fmax(1.0, fabs(ref));
        double rel2 = isnan(obj[1]) ? 0 : fabs(obj[1] - ref) / fmax(1.0, fabs(ref));
        printf("   scipy linprog(highs): objective %.10g, solve %.3f s; relative difference simplex %.2g, "
               "interior %.2g%s (need <= 1e-6: %s)\n", ref, rs, rel, rel2, isnan(obj[1]) ? " (not solved)" : "", rel <= 1e-6 && rel2 <= 1e-6 ? "ok" : "FAILED");
        printf("   time ratio GLPK (best) / HiGHS = %.2f\n", best / rs);
        printf("   reproduce: build/bench/bench_recon ADULT.csv ADULT-domain.json && %s\n", cmd);
        if (!(rel <= 1e-6 && rel2 <= 1e-6))
            ok = 0;
    }
    free(x);
    tbl_free(syn);
    tbl_free(train);
    gen_free(gm);
    gsl_rng_free(r);
    return ok;
}

static void accuracy(const table *pop, size_t games)
{
    size_t n = 1000, ms[] = {1000, 10000, 100000};
    const char *gens[] = {"resample", "marginals"};
    recon_opts o;
    recon_opts_default(&o);
    o.k_min = o.k_max = 3;
    printf("-- 2. accuracy, n = %zu, %zu games per point, all 3-way queries; target: 95%% Clopper-Pearson\n", n,
           games);
    printf("   %-10s %7s %-24s %8s %8s %8s %8s %7s\n", "generator", "m", "LP target acc [CI]", "LP all", "clf all",
           "nn all", "majority", "LP s");
    recon_game_rec *recs = calloc(games, sizeof *recs);
    for (size_t gi = 0; gi < 2; gi++)
        for (size_t k = 0; k < 3; k++) {
            gen_config gc = {.epsilon = gi ? 10.0 : INFINITY, .delta = 1e-9, .params = NULL};
            recon_game_cfg cfg = {.generator = gens[gi], .gc = &gc, .n = n, .m = ms[k], .secret_col = NQI,
                                  .secret_code = 1, .seed = 2024};
            recon_summary s;
            pa_err e;
            double t0 = now();
            if (recon_game(pop, &cfg, &o, games, recs, &s, &e)) {
                fprintf(stderr, "bench_recon: %s\n", e.msg);
                continue;
            }
            char ci[64];
            snprintf(ci, sizeof ci, "%.3f [%.3f, %.3f]", s.target_acc[0], s.target_lo[0], s.target_hi[0]);
            printf("   %-10s %7zu %-24s %8.4f %8.4f %8.4f %8.4f %7.3f  (%.1f s)\n", gens[gi], ms[k], ci,
                   s.acc_all_mean[0], s.acc_all_mean[1], s.acc_all_mean[2], s.majority_mean, s.lp_seconds_mean,
                   now() - t0);
            fflush(stdout);
        }
    /* exact counts: how many secrets the 3-way queries determine */
    double acc = 0;
    for (size_t g = 0; g < games; g++) {
        table *train = sample_rows(pop, n, 500 + g);
        double *x = malloc(n * sizeof *x);
        pa_err e;
        if (!recon_attack(train, train, NQI, 1, &o, x, NULL, &e)) {
            size_t right = 0;
            for (size_t i = 0; i < n; i++)
                right += (x[i] > 0.5) == (train->cat[NQI][i] == 1);
            acc += (double)right / (double)n;
        }
        free(x);
        tbl_free(train);
    }
    printf("   exact counts (synthetic = real): LP all-records accuracy %.4f (mean of %zu samples)\n",
           acc / (double)games, games);
    free(recs);
}

int main(int argc, char **argv)
{
    pa_blas_select_kernels(argv); /* as privaudit: the fast kernels where a hypervisor hides the CPU (core/blas.h) */
    const char *csv = argc > 2 ? argv[1] : "../shared/data/adult/adult.csv";
    const char *dom = argc > 2 ? argv[2] : "../shared/data/adult/adult-domain.json";
    size_t games = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 10;
    schema *s = NULL;
    table *raw = NULL, *pop = NULL;
    pa_err e;
    FILE *f = fopen(csv, "r");
    if (f) {
        fclose(f);
        if (schema_read(dom, &s, &e) || tbl_read_csv(csv, s, &raw, &e) || !(pop = project(raw, &e))) {
            fprintf(stderr, "bench_recon: %s\n", e.msg);
            return 1;
        }
        printf("== data: %s (%zu records)\n", csv, pop->n);
    } else {
        pop = make_pop(20000);
        printf("== data: %s not found; synthetic population of %zu records, 10 QIs of 8 codes\n", csv, pop->n);
    }
    int ok = speed(pop);
    accuracy(pop, games);
    tbl_free(pop);
    tbl_free(raw);
    schema_free(s);
    glp_free_env();
    return ok ? 0 : 1;
}
