/* test_classify.c — logistic regression and random forest for shadow attacks. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "attacks/classify.h"
#include "core/rng.h"

TestSuite(classify);

/* A fixed data set (n = 40, p = 3) drawn once by numpy
 * (default_rng(7); X ~ N(0,1)*[1,2,0.5]+[0,1,-1] rounded to 3 decimals,
 * y ~ Bernoulli(sigmoid(0.5 + x0 - 0.7 x1 + 2 x2))). */
static const double lr_X[40][3] = {
    {0.001, 1.597, -1.137},
    {-0.891, 0.091, -1.496},
    {0.06, 3.68, -1.246},
    {-0.62, 1.98, -0.822},
    {0.105, -0.861, -1.015},
    {0.695, -1.688, -1.229},
    {-1.901, -1.579, -1.921},
    {-0.235, -1.535, -0.864},
    {0.157, 0.626, -2.258},
    {-0.539, 0.903, -0.943},
    {-1.53, 0.044, -1.489},
    {-0.809, 3.122, -1.404},
    {-0.033, 2.769, -1.292},
    {-0.112, 1.221, -0.968},
    {-1.225, 1.152, -0.321},
    {-1.547, 2.719, -0.94},
    {-0.641, 5.001, -0.619},
    {-1.199, 1.149, -0.712},
    {-0.189, 2.366, -1.033},
    {0.667, 3.877, -1.338},
    {0.203, 0.073, -0.936},
    {-1.187, -0.159, -1.098},
    {0.899, 3.29, -1.662},
    {-0.795, 2.294, -1.996},
    {-0.463, 0.805, -0.371},
    {0.689, 0.346, -1.184},
    {-0.25, 4.047, -1.214},
    {-0.304, 1.705, -1.06},
    {-0.197, -1.228, -1.006},
    {-0.444, 3.332, -0.673},
    {-0.024, 2.337, -1.17},
    {1.052, 0.989, -0.708},
    {-1.291, 1.693, -1.844},
    {-2.035, 0.391, -1.45},
    {0.164, 5.49, -1.416},
    {-0.624, 1.411, -0.753},
    {-0.176, 0.588, -0.649},
    {0.52, -1.067, -1.04},
    {0.035, -1.109, -0.87},
    {-0.858, 2.944, -0.904},
};
static const int lr_y[40] = {0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                             0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0};

static cJSON *params_of(const char *json)
{
    cJSON *p = cJSON_Parse(json);
    cr_assert_not_null(p, "bad JSON in test: %s", json);
    return p;
}

static void assert_logreg_matches(const double *X, size_t p, const char *json, const double *w_ref, double b_ref,
                                  double tol)
{
    cJSON *par = params_of(json);
    clf *c;
    pa_err e = {0};
    cr_assert_eq(clf_fit("logreg", X, lr_y, 40, p, par, 1, &c, &e), PA_OK, "%s", e.msg);
    double w[4], b;
    cr_assert_eq(clf_logreg_coef(c, w, &b, &e), PA_OK);
    for (size_t j = 0; j < p; j++)
        cr_assert_float_eq(w[j], w_ref[j], tol, "%s: w[%zu] = %.17g, scipy %.17g", json, j, w[j], w_ref[j]);
    cr_assert_float_eq(b, b_ref, tol, "%s: b = %.17g, scipy %.17g", json, b, b_ref);
    /* the prediction is the logistic of the linear predictor */
    double eta = b;
    for (size_t j = 0; j < p; j++)
        eta += w[j] * X[j];
    cr_assert_float_eq(clf_predict(c, X), 1 / (1 + exp(-eta)), 1e-12);
    clf_free(c);
    cJSON_Delete(par);
}

/* Reference: scipy.optimize.minimize (BFGS, gtol 1e-12, final gradient
 * max-norm < 1e-9) of Σ log(1+e^η) − yη + (l2/2)‖w‖² on features
 * standardised with numpy's population sd (X.std(0)), intercept unpenalised,
 * coefficients mapped back to the original scale. Tolerance 1e-6. */
Test(classify, logreg_coefficients_match_scipy_on_a_known_logit_problem)
{
    const double w1[3] = {1.459061140879605, -0.96740097464143315, 0.30944979219094765};
    assert_logreg_matches(&lr_X[0][0], 3, "{\"l2\": 1}", w1, -0.67346937927582795, 1e-6);
    assert_logreg_matches(&lr_X[0][0], 3, "{}", w1, -0.67346937927582795, 1e-6);
    const double w2[3] = {8.9661416048825231, -5.3028468962211832, -2.9280175409276077};
    assert_logreg_matches(&lr_X[0][0], 3, "{\"l2\": 0.01}", w2, -7.2565984867081541, 1e-6);
}

Test(classify, logreg_drops_a_constant_feature_and_keeps_the_others_unchanged)
{
    double X[40][4];
    for (size_t i = 0; i < 40; i++) {
        X[i][0] = lr_X[i][0];
        X[i][1] = 3.5;   /* constant */
        X[i][2] = lr_X[i][1];
        X[i][3] = lr_X[i][2];
    }
    const double w1[4] = {1.459061140879605, 0, -0.96740097464143315, 0.30944979219094765};
    assert_logreg_matches(&X[0][0], 4, "{\"l2\": 1}", w1, -0.67346937927582795, 1e-6);
}

Test(classify, logreg_separates_separable_data_with_a_finite_fit)
{
    double X[20];
    int y[20];
    for (size_t i = 0; i < 20; i++) {
        X[i] = (double)i - 9.5;   /* -9.5 .. 9.5 */
        y[i] = X[i] > 0;
    }
    clf *c;
    pa_err e = {0};
    cr_assert_eq(clf_fit("logreg", X, y, 20, 1, NULL, 0, &c, &e), PA_OK, "%s", e.msg);
    for (size_t i = 0; i < 20; i++)
        cr_assert_eq(clf_predict(c, &X[i]) > 0.5, y[i], "record %zu (x = %g)", i, X[i]);
    double far = 9.5, near = 0.5;
    cr_assert_gt(clf_predict(c, &far), clf_predict(c, &near));
    double w, b;
    cr_assert_eq(clf_logreg_coef(c, &w, &b, &e), PA_OK);
    /* the L2 penalty keeps w finite; scipy BFGS on the same objective
     * (l2 = 1, standardised x) gives w = 0.34567792789069152, P(9.5) =
     * 0.96387374; tolerance 1e-6 */
    cr_assert_float_eq(w, 0.34567792789069152, 1e-6, "w = %.17g", w);
    cr_assert_float_eq(clf_predict(c, &far), 0.9638737410011019, 1e-6);
    cr_assert_float_eq(b, 0, 1e-9, "the data are symmetric about 0, so is the fit (b = %g)", b);
    clf_free(c);
}

/* XOR on [-1,1]²: y = 1 iff the coordinates have opposite signs. */
static void xor_data(uint64_t seed, size_t n, double *X, int *y)
{
    gsl_rng *r = rng_stream(seed, 0);
    for (size_t i = 0; i < n; i++) {
        X[2 * i] = 2 * gsl_rng_uniform(r) - 1;
        X[2 * i + 1] = 2 * gsl_rng_uniform(r) - 1;
        y[i] = (X[2 * i] > 0) != (X[2 * i + 1] > 0);
    }
    gsl_rng_free(r);
}

static double accuracy(const clf *c, const double *X, const int *y, size_t n, size_t p)
{
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += (clf_predict(c, X + i * p) > 0.5) == y[i];
    return (double)ok / (double)n;
}

Test(classify, forest_learns_xor_where_logreg_cannot)
{
    enum { N = 400 };
    static double X[2 * N], Xt[2 * N];
    static int y[N], yt[N];
    xor_data(11, N, X, y);
    xor_data(12, N, Xt, yt);
    clf *rf, *lr;
    pa_err e = {0};
    cJSON *par = params_of("{\"n_trees\": 50}");
    cr_assert_eq(clf_fit("forest", X, y, N, 2, par, 5, &rf, &e), PA_OK, "%s", e.msg);
    cr_assert_eq(clf_fit("logreg", X, y, N, 2, NULL, 5, &lr, &e), PA_OK, "%s", e.msg);
    double acc_rf = accuracy(rf, Xt, yt, N, 2), acc_lr = accuracy(lr, Xt, yt, N, 2);
    /* The forest's boundaries are axis-aligned, XOR's are the axes: only
     * points within a bin's width of an axis can be misclassified. */
    cr_assert_geq(acc_rf, 0.93, "forest accuracy on XOR %g", acc_rf);
    /* No linear predictor separates XOR: on the symmetric square the
     * population logistic fit is w = 0, so the fitted probabilities stay near
     * 1/2 and accuracy near chance (|acc - 0.5| over 400 test points and a
     * sampling-noise w: well under 0.15). */
    cr_assert_lt(fabs(acc_lr - 0.5), 0.15, "logreg accuracy on XOR %g", acc_lr);
    double corner[2] = {0.9, -0.9};
    cr_assert_lt(fabs(clf_predict(lr, corner) - 0.5), 0.15);
    cr_assert_gt(clf_predict(rf, corner), 0.9);
    clf_free(rf);
    clf_free(lr);
    cJSON_Delete(par);
}

Test(classify, forest_is_a_deterministic_function_of_the_seed)
{
    enum { N = 200 };
    static double X[2 * N], Xt[2 * N];
    static int y[N], yt[N];
    xor_data(21, N, X, y);
    xor_data(22, N, Xt, yt);
    /* label noise so the trees are not all identical */
    for (size_t i = 0; i < N; i += 7)
        y[i] = !y[i];
    cJSON *par = params_of("{\"n_trees\": 20, \"max_depth\": 6, \"min_leaf\": 2}");
    clf *a, *b, *c;
    cr_assert_eq(clf_fit("forest", X, y, N, 2, par, 99, &a, NULL), PA_OK);
    /* the same forest when its trees grow on 3 threads (tree t always draws from stream (seed, t)) */
    cr_assert_eq(clf_fit_jobs("forest", X, y, N, 2, par, 99, 3, &b, NULL), PA_OK);
    cr_assert_eq(clf_fit("forest", X, y, N, 2, par, 100, &c, NULL), PA_OK);
    size_t differ = 0;
    for (size_t i = 0; i < N; i++) {
        double pa = clf_predict(a, Xt + 2 * i), pb = clf_predict(b, Xt + 2 * i), pc = clf_predict(c, Xt + 2 * i);
        cr_assert_eq(pa, pb, "same seed, 1 and 3 threads, different prediction at %zu: %.17g vs %.17g", i, pa, pb);
        cr_assert(pa >= 0 && pa <= 1);
        differ += pa != pc;
    }
    cr_assert_gt(differ, 0, "another seed should give another forest");
    clf_free(a);
    clf_free(b);
    clf_free(c);
    cJSON_Delete(par);
}

Test(classify, a_forest_of_one_deep_tree_fits_a_threshold_exactly)
{
    double X[30];
    int y[30];
    for (size_t i = 0; i < 30; i++) {
        X[i] = (double)i;
        y[i] = i >= 17;
    }
    cJSON *par = params_of("{\"n_trees\": 25}");
    clf *c;
    cr_assert_eq(clf_fit("forest", X, y, 30, 1, par, 3, &c, NULL), PA_OK);
    double lo = 0, hi = 29;
    cr_assert_eq(clf_predict(c, &lo), 0, "every tree's leftmost leaf is pure 0");
    cr_assert_eq(clf_predict(c, &hi), 1, "every tree's rightmost leaf is pure 1");
    cr_assert_eq(clf_dim(c), 1);
    pa_err e = {0};
    double w, b;
    cr_assert_eq(clf_logreg_coef(c, &w, &b, &e), PA_EINPUT);
    clf_free(c);
    cJSON_Delete(par);
}

/* char arrays, not pointers: Criterion copies parameters into the test's
 * own process, where pointers into the parent's image are not valid */
typedef struct bad_case {
    char kind[16];
    char params[48];
    char needle[48];   /* must appear in the message */
} bad_case;

static bad_case bad_cases[] = {
    {.kind = "svm", .params = "{}", .needle = "unknown classifier \"svm\""},
    {.kind = "logreg", .params = "{\"n_trees\": 10}", .needle = "unknown parameter \"n_trees\""},
    {.kind = "forest", .params = "{\"l2\": 1}", .needle = "unknown parameter \"l2\""},
    {.kind = "logreg", .params = "{\"l2\": 0}", .needle = "\"l2\""},
    {.kind = "forest", .params = "{\"n_trees\": 2.5}", .needle = "\"n_trees\": expected an integer"},
    {.kind = "forest", .params = "{\"max_depth\": \"deep\"}", .needle = "\"max_depth\""},
    {.kind = "forest", .params = "[1]", .needle = "must be a JSON object"},
};

ParameterizedTestParameters(classify, bad_params_are_input_errors_that_name_the_key)
{
    return cr_make_param_array(bad_case, bad_cases, sizeof bad_cases / sizeof bad_cases[0]);
}

ParameterizedTest(bad_case *bc, classify, bad_params_are_input_errors_that_name_the_key)
{
    cJSON *par = cJSON_Parse(bc->params);
    pa_err e = {0};
    cr_assert_eq(clf_check(bc->kind, par, &e), PA_EINPUT, "%s %s", bc->kind, bc->params);
    cr_assert(strstr(e.msg, bc->needle), "message \"%s\" lacks \"%s\"", e.msg, bc->needle);
    double X[2] = {0, 1};
    int y[2] = {0, 1};
    clf *c = (clf *)0x1;
    cr_assert_eq(clf_fit(bc->kind, X, y, 2, 1, par, 0, &c, &e), PA_EINPUT);
    cr_assert_null(c);
    cJSON_Delete(par);
}

Test(classify, one_class_and_too_many_features_per_split_are_refused)
{
    double X[4] = {0, 1, 2, 3};
    int y1[4] = {1, 1, 1, 1}, y2[4] = {0, 1, 0, 1};
    clf *c = (clf *)0x1;
    pa_err e = {0};
    cr_assert_eq(clf_fit("logreg", X, y1, 4, 1, NULL, 0, &c, &e), PA_EINPUT);
    cr_assert_null(c);
    cr_assert(strstr(e.msg, "both labels"), "%s", e.msg);
    cJSON *par = params_of("{\"max_features\": 2}");
    cr_assert_eq(clf_fit("forest", X, y2, 4, 1, par, 0, &c, &e), PA_EINPUT);
    cr_assert(strstr(e.msg, "max_features"), "%s", e.msg);
    cJSON_Delete(par);
    clf_free(NULL);
}

/* Gaussian naive Bayes on two Gaussian classes with a shared diagonal
 * covariance: x0 ~ N(0, 1) | N(1, 1), x1 ~ N(0, 4) | N(2, 4), x2 = 3 always
 * (dropped), n0 = n1 = 20,000. The Bayes log-odds is (x0 − 0.5) + (x1 − 1)/2;
 * the fitted one's error at points within 2 sd of the means is a few
 * standard errors of the class means (≈ 0.01 each), asserted below 0.06. */
Test(classify, nb_recovers_the_bayes_log_odds_of_two_gaussian_classes)
{
    const size_t n = 40000, p = 3;
    double *X = malloc(n * p * sizeof *X);
    int *y = malloc(n * sizeof *y);
    gsl_rng *r = rng_stream(11, 0);
    cr_assert(X && y && r);
    for (size_t i = 0; i < n; i++) {
        y[i] = (int)(i % 2);
        X[i * p] = y[i] + gsl_ran_gaussian(r, 1);
        X[i * p + 1] = 2.0 * y[i] + gsl_ran_gaussian(r, 2);
        X[i * p + 2] = 3;
    }
    clf *c = NULL;
    pa_err e = {0};
    cr_assert_eq(clf_fit("nb", X, y, n, p, NULL, 0, &c, &e), PA_OK, "%s", e.msg);
    const double pts[4][3] = {{0, 0, 3}, {1, 2, 3}, {-1, 4, 3}, {2, -2, 3}};
    for (size_t k = 0; k < 4; k++) {
        double pr = clf_predict(c, pts[k]), lo = log(pr / (1 - pr));
        double want = (pts[k][0] - 0.5) + (pts[k][1] - 1) / 2;
        cr_assert(fabs(lo - want) < 0.06, "point %zu: log-odds %g, Bayes %g", k, lo, want);
    }
    clf_free(c);
    gsl_rng_free(r);
    free(X);
    free(y);
}
