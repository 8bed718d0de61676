/* test_recon.c — linear-reconstruction attribute inference, its comparators
 * and the game (attacks/recon.c).
 *
 * n = real records, m = synthetic records, Q = QI columns.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <glpk.h>
#include <sqlite3.h>
#include <gsl/gsl_rng.h>

#include "attacks/recon.h"
#include "core/rng.h"
#include "testutil.h"

/* A schema of categorical columns c0..c{d-1} with the given sizes; the last
 * column is the secret, the others are QIs. */
static schema *mk_schema(size_t d, const size_t *size)
{
    schema *s = schema_new(d);
    for (size_t j = 0; j < d; j++) {
        char name[24];
        snprintf(name, sizeof name, "c%zu", j);
        s->cols[j].name = pa_strdup(name);
        s->cols[j].kind = COL_CAT;
        s->cols[j].size = size[j];
        s->cols[j].roles = j + 1 == d ? ROLE_SECRET : ROLE_QI;
    }
    return s;
}

/* rows[i*d + j] = code of record i, column j */
static table *mk_table(const schema *s, size_t n, const int *rows)
{
    table *t = tbl_new(s, n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < s->d; j++)
            t->cat[j][i] = rows[i * s->d + j];
    return t;
}

static void assert_close(double got, double want, double tol, const char *what)
{
    cr_assert(fabs(got - want) <= tol, "%s: got %.17g, expected %.17g (tol %g)", what, got, want, tol);
}

static void fini(void)
{
    glp_free_env();
}

TestSuite(recon, .fini = fini);

/* Hand-solved LP. Real: r0 = (a0, b0), r1 = (a0, b1). Synthetic (m = n = 2,
 * scale 1): two rows (a0, b0, secret 1). Queries of orders 2..3 and their
 * answers: a=0 → {r0, r1}: 2; b=0 → {r0}: 2; b=1 → {r1}: 0;
 * (a0,b0) → {r0}: 2; (a0,b1) → {r1}: 0. Objective
 * |x0+x1−2| + 2|x0−2| + 2|x1|: ∂/∂x1 = −1 + 2 > 0 so x1 = 0; x0 = 1 at the
 * bound; optimum 1 + 1 + 1 = 3 at x = (1, 0). */
Test(recon, solves_a_hand_solvable_lp_to_its_known_optimum)
{
    size_t size[] = {1, 2, 2};
    schema *s = mk_schema(3, size);
    int rr[] = {0, 0, 0, 0, 1, 0};
    int ss[] = {0, 0, 1, 0, 0, 1};
    table *real = mk_table(s, 2, rr), *syn = mk_table(s, 2, ss);
    recon_opts o;
    recon_opts_default(&o);
    for (int solver = 0; solver < 2; solver++) {
        o.solver = solver;
        double x[2];
        recon_stats st;
        pa_err e;
        cr_assert_eq(recon_attack(real, syn, 2, 1, &o, x, &st, &e), PA_OK, "%s", e.msg);
        cr_assert_eq(st.queries, 5);
        cr_assert_eq(st.nonzeros, 6);
        assert_close(st.objective, 3.0, 1e-7, "objective");
        assert_close(x[0], 1.0, 1e-7, "x0");
        assert_close(x[1], 0.0, 1e-7, "x1");
    }
    tbl_free(real);
    tbl_free(syn);
    schema_free(s);
}

/* 64 records on an 8 × 8 grid of (c0, c1) plus 4 records that duplicate
 * grid cells: 2 duplicates with the same bit (determined), 2 with the other
 * bit (only their sum is determined). With synth = real (exact counts), the
 * 3-way query of a unique cell isolates its record, so x is its bit. */
Test(recon, reconstructs_exactly_every_secret_the_exact_counts_determine)
{
    size_t size[] = {8, 8, 3, 2};
    schema *s = mk_schema(4, size);
    size_t n = 68;
    int *rows = calloc(n * 4, sizeof *rows);
    gsl_rng *r = rng_stream(42, 0);
    for (size_t i = 0; i < 64; i++) {
        rows[i * 4 + 0] = (int)(i / 8);
        rows[i * 4 + 1] = (int)(i % 8);
        rows[i * 4 + 2] = (int)rng_below(r, 3);
        rows[i * 4 + 3] = (int)rng_below(r, 2);
    }
    size_t dup_of[] = {5, 17, 30, 41};
    for (size_t t = 0; t < 4; t++) {
        size_t i = 64 + t, src = dup_of[t];
        memcpy(rows + i * 4, rows + src * 4, 4 * sizeof *rows);
        if (t >= 2)
            rows[i * 4 + 3] = 1 - rows[src * 4 + 3];
    }
    table *real = mk_table(s, n, rows);
    recon_opts o;
    recon_opts_default(&o);
    double *x = malloc(n * sizeof *x);
    recon_stats st;
    pa_err e;
    cr_assert_eq(recon_attack(real, real, 3, 1, &o, x, &st, &e), PA_OK, "%s", e.msg);
    assert_close(st.objective, 0.0, 1e-7, "objective with exact counts");
    for (size_t i = 0; i < n; i++) {
        int bit = rows[i * 4 + 3];
        int undetermined = i == 30 || i == 41 || i == 66 || i == 67;
        if (!undetermined)
            assert_close(x[i], bit, 1e-7, "determined record");
    }
    assert_close(x[30] + x[66], 1.0, 1e-7, "sum over a cell with bits 0 and 1");
    assert_close(x[41] + x[67], 1.0, 1e-7, "sum over a cell with bits 0 and 1");
    free(x);
    free(rows);
    gsl_rng_free(r);
    tbl_free(real);
    schema_free(s);
}

/* 20 random 3-way queries only (k_max = 0) on the 8 × 8 grid plus a third
 * QI: 3 subsets × up to 64 tuples leave room for 20 distinct ones, each a
 * row of A with at least one record; the same seed gives the same LP. */
Test(recon, draws_the_requested_number_of_distinct_random_queries)
{
    size_t size[] = {8, 8, 3, 2};
    schema *s = mk_schema(4, size);
    int rows[64 * 4];
    for (int i = 0; i < 64; i++) {
        rows[i * 4] = i / 8, rows[i * 4 + 1] = i % 8, rows[i * 4 + 2] = i % 3, rows[i * 4 + 3] = (i * 7) % 2;
    }
    table *t = mk_table(s, 64, rows);
    recon_opts o;
    recon_opts_default(&o);
    o.k_max = 0;
    o.k_rand = 3;
    o.budget_rand = 20;
    o.seed = 9;
    double x1[64], x2[64];
    recon_stats st1, st2;
    pa_err e;
    cr_assert_eq(recon_attack(t, t, 3, 1, &o, x1, &st1, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(recon_attack(t, t, 3, 1, &o, x2, &st2, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(st1.queries, 20);
    cr_assert_geq(st1.nonzeros, 20);
    cr_assert_eq(st1.nonzeros, st2.nonzeros);
    assert_close(st1.objective, 0.0, 1e-7, "exact counts are consistent");
    for (int i = 0; i < 64; i++)
        cr_assert_eq(x1[i], x2[i]);
    tbl_free(t);
    schema_free(s);
}

/* Real and synthetic secrets independent of everything: the predictions
 * (functions of the real QIs and the synthetic table only) are independent of
 * the real bits, which are iid Bernoulli(½), so the number of correct guesses
 * is Binomial(400, ½): P(X ≤ 166 or X ≥ 234) < 0.001 (scipy binom.ppf(0.0005,
 * 400, .5) = 167, binom.isf(0.0005, 400, .5) = 233). Fixed seed. */
Test(recon, gets_baseline_accuracy_from_a_synthetic_table_independent_of_the_secret)
{
    size_t size[] = {4, 4, 4, 4, 2};
    schema *s = mk_schema(5, size);
    size_t n = 400, m = 400;
    int *rr = malloc(n * 5 * sizeof *rr), *ss = malloc(m * 5 * sizeof *ss);
    gsl_rng *r = rng_stream(7, 1);
    for (size_t i = 0; i < n * 5; i++)
        rr[i] = (int)rng_below(r, i % 5 == 4 ? 2 : 4);
    for (size_t i = 0; i < m * 5; i++)
        ss[i] = (int)rng_below(r, i % 5 == 4 ? 2 : 4);
    table *real = mk_table(s, n, rr), *syn = mk_table(s, m, ss);
    recon_opts o;
    recon_opts_default(&o);
    double *x = malloc(n * sizeof *x);
    pa_err e;
    for (int a = 0; a < RECON_N_ATT; a++) {
        int rc = a == RECON_ATT_LP ? recon_attack(real, syn, 4, 1, &o, x, NULL, &e)
                 : a == RECON_ATT_CLF ? recon_classifier(real, syn, 4, 1, &o, x, &e)
                                      : recon_nearest(real, syn, 4, 1, &o, x, &e);
        cr_assert_eq(rc, PA_OK, "%s", e.msg);
        size_t right = 0;
        for (size_t i = 0; i < n; i++)
            right += (x[i] > 0.5) == (rr[i * 5 + 4] == 1);
        cr_assert(right >= 167 && right <= 233, "%s: %zu of 400 right, outside the 99.9%% binomial range [167, 233]",
                  recon_att_name(a), right);
    }
    free(x);
    free(rr);
    free(ss);
    gsl_rng_free(r);
    tbl_free(real);
    tbl_free(syn);
    schema_free(s);
}

/* Conditional scaling, read back from the triplet file. Real: (a0),(a0),(a1);
 * synthetic (m = 4): (a0,1),(a0,0),(a0,0),(a1,1). 2-way queries only:
 * a=0: global 3/4·1 = 0.75, conditional (1/3)·2 = 0.6667; a=1: global 0.75,
 * conditional (1/1)·1 = 1. */
Test(recon, scales_synthetic_counts_globally_or_conditionally)
{
    size_t size[] = {2, 2};
    schema *s = mk_schema(2, size);
    int rr[] = {0, 0, 0, 1, 1, 0};
    int ss[] = {0, 1, 0, 0, 0, 0, 1, 1};
    table *real = mk_table(s, 3, rr), *syn = mk_table(s, 4, ss);
    recon_opts o;
    recon_opts_default(&o);
    o.k_max = 2;
    char path[] = "/tmp/privaudit-recon-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    double want[2][2] = {{0.75, 0.75}, {2.0 / 3.0, 1.0}};
    for (int sc = 0; sc < 2; sc++) {
        o.scaling = sc;
        pa_err e;
        cr_assert_eq(recon_write_lp(real, syn, 1, 1, &o, path, "triplets", NULL, &e), PA_OK, "%s", e.msg);
        FILE *f = fopen(path, "r");
        size_t n, q, nnz;
        cr_assert_eq(fscanf(f, "%zu %zu %zu", &n, &q, &nnz), 3);
        cr_assert(n == 3 && q == 2 && nnz == 3);
        for (size_t t = 0; t < nnz; t++) {
            size_t i, j, v;
            cr_assert_eq(fscanf(f, "%zu %zu %zu", &i, &j, &v), 3);
        }
        for (size_t i = 0; i < q; i++) {
            double b;
            cr_assert_eq(fscanf(f, "%lf", &b), 1);
            assert_close(b, want[sc][i], 1e-15, "b");
        }
        fclose(f);
    }
    remove(path);
    tbl_free(real);
    tbl_free(syn);
    schema_free(s);
}

/* Logistic regression reference: scipy.optimize.minimize (BFGS, gtol 1e-12)
 * of Σ log-loss + ½‖w[1:]‖² on these 10 synthetic rows with features
 * [1, onehot(a, 3), onehot(b, 2)]; tolerance 1e-6. */
Test(recon, classifier_matches_a_scipy_logistic_regression)
{
    size_t size[] = {3, 2, 2};
    schema *s = mk_schema(3, size);
    int ss[] = {0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 2, 0, 0, 2, 1, 1, 2, 1, 0, 0, 1, 1};
    int rr[] = {0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 2, 0, 0, 2, 1, 0};
    double want[] = {0.7257923403944668, 0.5262063167666889, 0.5570934529193952,
                     0.3454539449602821, 0.5570934529193952, 0.3454539449602821};
    table *real = mk_table(s, 6, rr), *syn = mk_table(s, 10, ss);
    recon_opts o;
    recon_opts_default(&o);
    double p[6];
    pa_err e;
    cr_assert_eq(recon_classifier(real, syn, 2, 1, &o, p, &e), PA_OK, "%s", e.msg);
    for (int i = 0; i < 6; i++)
        assert_close(p[i], want[i], 1e-6, "P(secret = 1)");
    tbl_free(real);
    tbl_free(syn);
    schema_free(s);
}

/* Nearest: real (0,0) has an exact match (0,0,1) → 1; real (2,2) is at
 * Hamming distance 1 from (2,0,1), (0,2,0), (2,1,0) → 1/3; real (1,1) is at
 * distance 1 from (2,1,0) only (the others are at 2) → 0. */
Test(recon, nearest_takes_the_majority_among_tied_closest_rows)
{
    size_t size[] = {3, 3, 2};
    schema *s = mk_schema(3, size);
    int ss[] = {0, 0, 1, 2, 0, 1, 0, 2, 0, 2, 1, 0};
    int rr[] = {0, 0, 0, 2, 2, 0, 1, 1, 0};
    table *real = mk_table(s, 3, rr), *syn = mk_table(s, 4, ss);
    recon_opts o;
    recon_opts_default(&o);
    double p[3];
    pa_err e;
    cr_assert_eq(recon_nearest(real, syn, 2, 1, &o, p, &e), PA_OK, "%s", e.msg);
    assert_close(p[0], 1.0, 0, "exact match");
    assert_close(p[1], 1.0 / 3.0, 1e-15, "three tied rows");
    assert_close(p[2], 0.0, 0, "one row at distance 1");
    tbl_free(real);
    tbl_free(syn);
    schema_free(s);
}

/* scipy.stats.beta.ppf(0.025, 7, 14) and beta.ppf(0.975, 8, 13). */
Test(recon, clopper_pearson_interval_matches_scipy)
{
    double lo, hi;
    recon_binom_ci(7, 20, 0.05, &lo, &hi);
    assert_close(lo, 0.15390920478454118, 1e-9, "lower");
    assert_close(hi, 0.5921885345328282, 1e-9, "upper");
    recon_binom_ci(0, 10, 0.05, &lo, &hi);
    cr_assert(lo == 0 && hi < 1);
}

Test(recon, rejects_bad_columns_codes_and_orders)
{
    size_t size[] = {3, 2};
    schema *s = mk_schema(2, size);
    int rr[] = {0, 0, 1, 1};
    table *t = mk_table(s, 2, rr);
    recon_opts o;
    recon_opts_default(&o);
    double x[2];
    pa_err e;
    cr_assert_eq(recon_attack(t, t, 5, 1, &o, x, NULL, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "secret column"), "%s", e.msg);
    cr_assert_eq(recon_attack(t, t, 1, 2, &o, x, NULL, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "secret code"), "%s", e.msg);
    o.k_min = 4, o.k_max = 3;
    cr_assert_eq(recon_attack(t, t, 1, 1, &o, x, NULL, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "k_min"), "%s", e.msg);
    tbl_free(t);
    schema_free(s);
}

/* A population of 300 random records on 4 QIs; games on resample with
 * m = 100 n are reproducible, and the all-records accuracy of the LP is high
 * (resample copies records, so the 3-way counts are near exact). */
typedef struct job {
    const table *pop;
    const recon_game_cfg *cfg;
    const recon_opts *o;
    size_t g;
    recon_game_rec rec;
    int rc;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    pa_err e;
    j->rc = recon_game_play(j->pop, j->cfg, j->o, j->g, &j->rec, &e);
    glp_free_env();
    return NULL;
}

Test(recon, games_are_reproducible_and_thread_safe)
{
    size_t size[] = {5, 5, 4, 3, 2};
    schema *s = mk_schema(5, size);
    size_t N = 300;
    int *rows = malloc(N * 5 * sizeof *rows);
    gsl_rng *r = rng_stream(3, 3);
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < 4; j++)
            rows[i * 5 + j] = (int)rng_below(r, size[j]);
        rows[i * 5 + 4] = (rows[i * 5] + rows[i * 5 + 1]) % 2;
    }
    table *pop = mk_table(s, N, rows);
    gen_config gc = {.epsilon = INFINITY, .delta = 0, .params = NULL};
    recon_game_cfg cfg = {.generator = "resample", .gc = &gc, .n = 100, .m = 10000, .secret_col = 4,
                          .secret_code = 1, .want_tvd = 1, .seed = 11};
    recon_opts o;
    recon_opts_default(&o);
    recon_game_rec serial[4];
    recon_summary sum;
    pa_err e;
    cr_assert_eq(recon_game(pop, &cfg, &o, 4, serial, &sum, &e), PA_OK, "%s", e.msg);
    job jobs[4];
    pthread_t th[4];
    for (size_t g = 0; g < 4; g++) {
        jobs[g] = (job){pop, &cfg, &o, g, {0}, -1};
        pthread_create(&th[g], NULL, run_job, &jobs[g]);
    }
    for (size_t g = 0; g < 4; g++) {
        pthread_join(th[g], NULL);
        cr_assert_eq(jobs[g].rc, PA_OK);
        for (int a = 0; a < RECON_N_ATT; a++) {
            cr_assert_eq(jobs[g].rec.acc_all[a], serial[g].acc_all[a]);
            cr_assert_eq(jobs[g].rec.target_correct[a], serial[g].target_correct[a]);
        }
        cr_assert_eq(jobs[g].rec.target, serial[g].target);
        cr_assert(serial[g].acc_all[RECON_ATT_LP] >= 0.9, "game %zu: LP accuracy %g", g,
                  serial[g].acc_all[RECON_ATT_LP]);
        cr_assert(serial[g].tvd3 >= 0 && serial[g].tvd3 < 0.5);
    }
    cr_assert_eq(sum.games, 4);
    free(rows);
    gsl_rng_free(r);
    tbl_free(pop);
    schema_free(s);
}

/* ---- the CLI (privaudit recon) ---- */

/* A CSV of 300 records: 4 QIs (a..d, codes 0..4) and a secret s = (a + b) mod 2,
 * with its schema (roles set). */
static void write_data(const char *dir)
{
    char *csv = tu_path(dir, "d.csv");
    FILE *f = fopen(csv, "w");
    fprintf(f, "a,b,c,d,s\n");
    gsl_rng *r = rng_stream(5, 5);
    for (int i = 0; i < 300; i++) {
        int a = (int)rng_below(r, 5), b = (int)rng_below(r, 5);
        fprintf(f, "%d,%d,%d,%d,%d\n", a, b, (int)rng_below(r, 5), (int)rng_below(r, 5), (a + b) % 2);
    }
    fclose(f);
    gsl_rng_free(r);
    free(csv);
    free(tu_write(dir, "s.json",
                  "{\"format\": \"privaudit-schema/1\", \"columns\": ["
                  "{\"name\": \"a\", \"type\": \"categorical\", \"size\": 5, \"role\": \"qi\"},"
                  "{\"name\": \"b\", \"type\": \"categorical\", \"size\": 5, \"role\": \"qi\"},"
                  "{\"name\": \"c\", \"type\": \"categorical\", \"size\": 5, \"role\": \"qi\"},"
                  "{\"name\": \"d\", \"type\": \"categorical\", \"size\": 5, \"role\": \"qi\"},"
                  "{\"name\": \"s\", \"type\": \"categorical\", \"size\": 2, \"role\": \"secret\"}]}"));
}

Test(recon, cli_rejects_bad_input_with_exit_2_and_writes_nothing)
{
    char *dir = tu_tmpdir();
    write_data(dir);
    char *csv = tu_path(dir, "d.csv"), *sch = tu_path(dir, "s.json"), *out = tu_path(dir, "out");
    const char *bad[][20] = {
        {"recon", "--data", csv, "--schema", sch, "--generator", "nope", "--n", "100", "--m", "100", "--games", "2",
         "--out", out, NULL},
        {"recon", "--data", csv, "--schema", sch, "--generator", "resample", "--n", "1000", "--m", "100", "--games",
         "2", "--out", out, NULL},
        {"recon", "--data", csv, "--schema", sch, "--generator", "resample", "--n", "100", "--m", "100", "--games",
         "2", "--qi", "a,zz", "--out", out, NULL},
        {"recon", "--data", csv, "--schema", sch, "--generator", "resample", "--n", "100", "--m", "10,x", "--games",
         "2", "--out", out, NULL},
    };
    const char *want[] = {"unknown generator", "only 300 records", "\"zz\" is not a column", "--m"};
    for (size_t k = 0; k < 4; k++) {
        tu_result r = tu_run(dir, bad[k]);
        cr_assert_eq(r.code, 2, "case %zu: exit %d, stderr %s", k, r.code, r.err);
        cr_assert(strstr(r.err, want[k]), "case %zu: stderr \"%s\" lacks \"%s\"", k, r.err, want[k]);
        cr_assert(!tu_exists(out), "case %zu wrote %s", k, out);
        tu_result_free(&r);
    }
    free(csv), free(sch), free(out);
    tu_rmtree(dir);
    free(dir);
}

/* The printed table without its last column (LP seconds, a wall time). */
static char *drop_last_field(const char *text)
{
    char *out = malloc(strlen(text) + 1), *w = out;
    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        size_t keep = len;
        while (keep > 0 && line[keep - 1] != ' ')
            keep--;
        memcpy(w, line, keep);
        w += keep;
        *w++ = '\n';
        line += len + (eol != NULL);
    }
    *w = 0;
    return out;
}

Test(recon, cli_stores_every_game_and_gives_the_same_table_for_any_jobs)
{
    char *dir = tu_tmpdir();
    write_data(dir);
    char *csv = tu_path(dir, "d.csv"), *sch = tu_path(dir, "s.json"), *o1 = tu_path(dir, "o1"),
         *o2 = tu_path(dir, "o2");
    const char *a1[] = {"recon", "--data", csv, "--schema", sch, "--generator", "resample", "--n", "100", "--m",
                        "100,1000", "--games", "6", "--kmin", "2", "--out", o1, "--jobs", "1", NULL};
    const char *a2[] = {"recon", "--data", csv, "--schema", sch, "--generator", "resample", "--n", "100", "--m",
                        "100,1000", "--games", "6", "--kmin", "2", "--out", o2, "--jobs", "2", NULL};
    tu_result r1 = tu_run(dir, a1), r2 = tu_run(dir, a2);
    cr_assert_eq(r1.code, 0, "stderr: %s", r1.err);
    cr_assert_eq(r2.code, 0, "stderr: %s", r2.err);
    char *t1 = drop_last_field(r1.out), *t2 = drop_last_field(r2.out);
    cr_assert_str_eq(t1, t2);
    free(t1), free(t2);
    cr_assert(strstr(r1.out, "resample"), "%s", r1.out);
    char *db = tu_path(o1, "recon.sqlite");
    cr_assert(tu_exists(db));
    sqlite3 *h;
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT COUNT(*) FROM recon_game", -1, &q, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(q, 0), 2 * 6 * RECON_N_ATT);
    sqlite3_finalize(q);
    sqlite3_close(h);
    tu_result_free(&r1);
    tu_result_free(&r2);
    free(db), free(csv), free(sch), free(o1), free(o2);
    tu_rmtree(dir);
    free(dir);
}
