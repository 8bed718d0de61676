/* test_jtree.c — junction-tree models and mirror descent (generators/jtree.c).
 *
 * d = attributes, c = cells, m = records sampled.
 */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/rng.h"
#include "generators/jtree.h"

#define D 5
static const size_t card5[D] = {2, 3, 2, 4, 3};

/* index of x's cells over clique cl (ascending attributes, lowest slowest) */
static size_t index_in(const size_t *card, size_t d, jt_clique cl, const size_t *x)
{
    size_t idx = 0;
    for (size_t j = 0; j < d; j++)
        if (cl >> j & 1)
            idx = idx * card[j] + x[j];
    return idx;
}

/* A loopy set of measurements with random noisy counts around 1000 total. */
static jt_model *loopy_model(size_t iters, double *ys[8], jt_meas *m, size_t *nm)
{
    static const jt_clique cl[] = {0x03, 0x06, 0x0c, 0x09, 0x18, 0x15, 0x01};
    gsl_rng *r = rng_stream(42, 1);
    size_t n = sizeof cl / sizeof cl[0];
    for (size_t q = 0; q < n; q++) {
        size_t c = jt_clique_cells(card5, cl[q], 1000);
        ys[q] = malloc(c * sizeof **ys);
        for (size_t i = 0; i < c; i++)
            ys[q][i] = 1000.0 / (double)c * (0.2 + 1.6 * gsl_rng_uniform(r));
        m[q] = (jt_meas){.clique = cl[q], .y = ys[q], .sigma = 1 + 4 * gsl_rng_uniform(r)};
    }
    gsl_rng_free(r);
    *nm = n;
    jt_model *g = NULL;
    pa_err err = {0};
    cr_assert_eq(jt_fit(card5, D, m, n, jt_total_estimate(card5, m, n), NULL, iters, &g, &err), PA_OK, "%s", err.msg);
    return g;
}

/* Brute force over the 144 cells of the full domain: p(x) ∝ exp Σ_k θ_k(x_k),
 * scaled to the model's total. */
static void brute_joint(const jt_model *g, double total, double *joint)
{
    size_t nk, x[D], cells = 1;
    const jt_clique *K = jt_cliques(g, &nk);
    for (size_t j = 0; j < D; j++)
        cells *= card5[j];
    double mx = -INFINITY;
    for (size_t i = 0; i < cells; i++) {
        size_t rem = i;
        for (size_t j = D; j-- > 0;) {
            x[j] = rem % card5[j];
            rem /= card5[j];
        }
        double s = 0;
        for (size_t k = 0; k < nk; k++)
            s += jt_theta(g, k)[index_in(card5, D, K[k], x)];
        joint[i] = s;
        mx = fmax(mx, s);
    }
    double z = 0;
    for (size_t i = 0; i < cells; i++)
        z += joint[i] = exp(joint[i] - mx);
    for (size_t i = 0; i < cells; i++)
        joint[i] *= total / z;
}

static void brute_marginal(const double *joint, jt_clique cl, double *out)
{
    size_t x[D], cells = 144;
    memset(out, 0, jt_clique_cells(card5, cl, 1000) * sizeof *out);
    for (size_t i = 0; i < cells; i++) {
        size_t rem = i;
        for (size_t j = D; j-- > 0;) {
            x[j] = rem % card5[j];
            rem /= card5[j];
        }
        out[index_in(card5, D, cl, x)] += joint[i];
    }
}

TestSuite(jtree);

/* Belief propagation and projection against brute force: every 1-, 2- and
 * 3-way marginal (inside one junction-tree clique or across several) of a
 * loopy model equals the sum over the full joint of its potentials, to
 * 1e-9 of the total (double rounding over ≤ 144 terms is ~1e-13). */
Test(jtree, projects_every_marginal_of_a_loopy_model_as_the_brute_force_joint)
{
    double *ys[8];
    jt_meas m[8];
    size_t nm;
    jt_model *g = loopy_model(30, ys, m, &nm);
    double total = jt_total_estimate(card5, m, nm), joint[144], a[144], b[144];
    brute_joint(g, total, joint);
    size_t checked = 0;
    for (jt_clique cl = 1; cl < (1u << D); cl++) {
        if (__builtin_popcountll(cl) > 3)
            continue;
        pa_err err = {0};
        cr_assert_eq(jt_project(g, cl, a, &err), PA_OK, "%s", err.msg);
        brute_marginal(joint, cl, b);
        size_t c = jt_clique_cells(card5, cl, 1000);
        for (size_t i = 0; i < c; i++)
            cr_assert(fabs(a[i] - b[i]) < 1e-9 * total, "clique %llx cell %zu: %.12g vs %.12g", (unsigned long long)cl,
                      i, a[i], b[i]);
        checked++;
    }
    cr_assert_eq(checked, 25);
    jt_free(g);
    for (size_t q = 0; q < nm; q++)
        free(ys[q]);
}

/* Mirror descent lowers the loss, and with consistent exact measurements
 * (the marginals of one table, σ = 1) it converges to them: after 3000
 * steps every measured cell is within 0.5 of its count out of 2000 (the
 * convergence tolerance; the loss at the start is in the thousands). */
Test(jtree, fits_consistent_marginals_of_a_table)
{
    size_t n = 2000;
    gsl_rng *r = rng_stream(7, 1);
    size_t x[2000][D];
    for (size_t i = 0; i < n; i++) {
        x[i][0] = gsl_rng_uniform(r) < 0.3;
        x[i][1] = (x[i][0] + (gsl_rng_uniform(r) < 0.8 ? 0 : 1 + gsl_rng_uniform_int(r, 2))) % 3;
        x[i][2] = gsl_rng_uniform(r) < (x[i][1] == 2 ? 0.9 : 0.2);
        x[i][3] = gsl_rng_uniform(r) < 0.7 ? (x[i][2] * 2 + x[i][0]) : gsl_rng_uniform_int(r, 4);
        x[i][4] = gsl_rng_uniform(r) < 0.6 ? x[i][1] : gsl_rng_uniform_int(r, 3);
    }
    gsl_rng_free(r);
    static const jt_clique cl[] = {0x03, 0x06, 0x0d, 0x12};
    size_t nm = 4;
    double *ys[4];
    jt_meas m[4];
    for (size_t q = 0; q < nm; q++) {
        size_t c = jt_clique_cells(card5, cl[q], 1000);
        ys[q] = calloc(c, sizeof **ys);
        for (size_t i = 0; i < n; i++)
            ys[q][index_in(card5, D, cl[q], x[i])] += 1;
        m[q] = (jt_meas){.clique = cl[q], .y = ys[q], .sigma = 1};
    }
    jt_model *g0 = NULL, *g = NULL;
    pa_err err = {0};
    cr_assert_eq(jt_fit(card5, D, m, nm, (double)n, NULL, 0, &g0, &err), PA_OK, "%s", err.msg);
    cr_assert_eq(jt_fit(card5, D, m, nm, (double)n, g0, 3000, &g, &err), PA_OK, "%s", err.msg);
    cr_assert(jt_loss(g) < 1e-3 * jt_loss(g0), "loss %g from %g", jt_loss(g), jt_loss(g0));
    double out[64];
    for (size_t q = 0; q < nm; q++) {
        cr_assert_eq(jt_project(g, cl[q], out, &err), PA_OK, "%s", err.msg);
        size_t c = jt_clique_cells(card5, cl[q], 1000);
        for (size_t i = 0; i < c; i++)
            cr_assert(fabs(out[i] - ys[q][i]) < 0.5, "clique %llx cell %zu: %.4f vs %.0f", (unsigned long long)cl[q],
                      i, out[i], ys[q][i]);
        free(ys[q]);
    }
    jt_free(g0);
    jt_free(g);
}

/* Model sizes: a chain of binary attributes triangulates to its edges
 * (3 × 4 cells); a 4-cycle needs a chord, giving two triangles (2 × 8). */
Test(jtree, counts_the_cells_of_the_triangulated_model)
{
    size_t card[4] = {2, 2, 2, 2};
    jt_clique chain[] = {0x3, 0x6, 0xc}, cycle[] = {0x3, 0x6, 0xc, 0x9};
    double c;
    pa_err err = {0};
    cr_assert_eq(jt_model_cells(card, 4, chain, 3, &c, &err), PA_OK);
    cr_assert_eq(c, 12);
    cr_assert_eq(jt_model_cells(card, 4, cycle, 4, &c, &err), PA_OK);
    cr_assert_eq(c, 16);
    /* an attribute in no clique counts its own cells */
    cr_assert_eq(jt_model_cells(card, 4, chain, 2, &c, &err), PA_OK);
    cr_assert_eq(c, 10);
}

/* Forward sampling draws from the model: over m = 200,000 records each
 * cell of every pairwise marginal is within 5 binomial standard deviations
 * of the projected probability (two-sided 5.7e-7 per cell, 77 cells). */
Test(jtree, samples_records_from_the_model_marginals)
{
    double *ys[8];
    jt_meas m[8];
    size_t nm;
    jt_model *g = loopy_model(30, ys, m, &nm);
    size_t n = 200000;
    int32_t *x = malloc(D * n * sizeof *x);
    gsl_rng *r = rng_stream(5, 5);
    pa_err err = {0};
    cr_assert_eq(jt_sample(g, n, r, x, &err), PA_OK, "%s", err.msg);
    gsl_rng_free(r);
    double total = jt_total_estimate(card5, m, nm), p[16], f[16];
    for (size_t a = 0; a < D; a++)
        for (size_t b = a + 1; b < D; b++) {
            jt_clique cl = (jt_clique)1 << a | (jt_clique)1 << b;
            cr_assert_eq(jt_project(g, cl, p, &err), PA_OK);
            memset(f, 0, sizeof f);
            for (size_t i = 0; i < n; i++)
                f[(size_t)x[a * n + i] * card5[b] + (size_t)x[b * n + i]] += 1;
            for (size_t c = 0; c < card5[a] * card5[b]; c++) {
                double q = p[c] / total, sd = sqrt(q * (1 - q) / (double)n);
                cr_assert(fabs(f[c] / (double)n - q) <= 5 * sd, "pair (%zu,%zu) cell %zu: %.5f vs %.5f", a, b, c,
                          f[c] / (double)n, q);
            }
        }
    free(x);
    jt_free(g);
    for (size_t q = 0; q < nm; q++)
        free(ys[q]);
}

Test(jtree, refuses_bad_measurements)
{
    double y[6] = {1, 2, 3, 4, 5, 6};
    jt_meas m = {.clique = 0x03, .y = y, .sigma = 0};
    jt_model *g = (jt_model *)1;
    pa_err err = {0};
    cr_assert_eq(jt_fit(card5, D, &m, 1, 10, NULL, 5, &g, &err), PA_EINPUT);
    cr_assert(g == NULL && strstr(err.msg, "sigma"));
    m.sigma = 1;
    m.clique = (jt_clique)1 << 7;
    cr_assert_eq(jt_fit(card5, D, &m, 1, 10, NULL, 5, &g, &err), PA_EINPUT);
    cr_assert(strstr(err.msg, "clique"));
    m.clique = 0x03;
    cr_assert_eq(jt_fit(card5, D, &m, 1, 0, NULL, 5, &g, &err), PA_EINPUT);
    cr_assert(strstr(err.msg, "total"));
}
