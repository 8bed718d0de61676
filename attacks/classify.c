/* classify.c — logistic regression (Newton/IRLS) and random forest (CART,
 * Gini) for shadow-model attacks. Contracts in classify.h.
 *
 * n = training records, p = features, q = features kept by logreg (those
 * with non-zero variance), T = trees, N = nodes of a tree.
 */
#include "attacks/classify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* gsl_linalg.h pulls in GSL's gsl_cblas.h, which clashes with OpenBLAS's
 * <cblas.h>; its prototypes are the standard CBLAS ones and link to OpenBLAS. */
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_rng.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/rng.h"

typedef enum clf_kind { CLF_LOGREG = 0, CLF_FOREST = 1, CLF_NB = 2 } clf_kind;

typedef struct tnode {
    int feat;        /* split feature, -1 for a leaf */
    double thr;      /* x[feat] <= thr goes left */
    size_t left, right;
    double val;      /* leaf: fraction of label-1 records */
} tnode;

typedef struct tree {
    tnode *nodes;    /* (N) */
    size_t nn, cap;
} tree;

struct clf {
    clf_kind kind;
    size_t p;
    /* logreg */
    size_t q;
    size_t *keep;    /* (q) indices of the kept features */
    double *mean;    /* (q) */
    double *sd;      /* (q) */
    double *w;       /* (q) coefficients on standardised features */
    double b;        /* intercept */
    /* nb: eta = b + Σ_a w[a]·x[keep[a]] (mean, sd unused) */
    /* forest */
    size_t T;
    tree *trees;     /* (T) */
};

/* ---- parameters ---- */

typedef struct clf_opts {
    double l2;
    double max_iter;
    double tol;
    double n_trees;
    double max_depth;
    double min_leaf;
    double max_features;   /* 0: floor(sqrt(p)) */
} clf_opts;

static int opt_num(const cJSON *it, const char *kind, int integer, double lo, double hi, double *out,
                   pa_err *err)
{
    if (!cJSON_IsNumber(it) || !(it->valuedouble >= lo && it->valuedouble <= hi) ||
        (integer && it->valuedouble != floor(it->valuedouble)))
        return pa_errf(err, PA_EINPUT, "classifier \"%s\": parameter \"%s\": expected %s in [%g, %g]", kind,
                       it->string, integer ? "an integer" : "a number", lo, hi);
    *out = it->valuedouble;
    return PA_OK;
}

static int clf_opts_read(const char *kind, const cJSON *params, clf_opts *o, pa_err *err)
{
    *o = (clf_opts){.l2 = 1, .max_iter = 100, .tol = 1e-10, .n_trees = 100, .max_depth = 16, .min_leaf = 1,
                    .max_features = 0};
    if (!kind)
        return pa_errf(err, PA_EINPUT, "classifier: no kind given (expected \"logreg\", \"forest\" or \"nb\")");
    int lr = strcmp(kind, "logreg") == 0, rf = strcmp(kind, "forest") == 0, nb = strcmp(kind, "nb") == 0;
    if (!lr && !rf && !nb)
        return pa_errf(err, PA_EINPUT, "unknown classifier \"%s\": expected \"logreg\", \"forest\" or \"nb\"",
                       kind);
    if (!params)
        return PA_OK;
    if (!cJSON_IsObject(params))
        return pa_errf(err, PA_EINPUT, "classifier \"%s\": params must be a JSON object", kind);
    for (const cJSON *it = params->child; it; it = it->next) {
        const char *k = it->string;
        int rc;
        if (lr && strcmp(k, "l2") == 0) {
            rc = opt_num(it, kind, 0, 1e-12, 1e12, &o->l2, err);
        } else if (lr && strcmp(k, "max_iter") == 0) {
            rc = opt_num(it, kind, 1, 1, 10000, &o->max_iter, err);
        } else if (lr && strcmp(k, "tol") == 0) {
            rc = opt_num(it, kind, 0, 0, 1, &o->tol, err);
        } else if (rf && strcmp(k, "n_trees") == 0) {
            rc = opt_num(it, kind, 1, 1, 100000, &o->n_trees, err);
        } else if (rf && strcmp(k, "max_depth") == 0) {
            rc = opt_num(it, kind, 1, 1, 64, &o->max_depth, err);
        } else if (rf && strcmp(k, "min_leaf") == 0) {
            rc = opt_num(it, kind, 1, 1, 1e9, &o->min_leaf, err);
        } else if (rf && strcmp(k, "max_features") == 0) {
            rc = opt_num(it, kind, 1, 1, 1e9, &o->max_features, err);
        } else {
            return pa_errf(err, PA_EINPUT, "classifier \"%s\": unknown parameter \"%s\" (known: %s)", kind, k,
                           lr ? "l2, max_iter, tol" : "n_trees, max_depth, min_leaf, max_features");
        }
        if (rc)
            return rc;
    }
    return PA_OK;
}

int clf_check(const char *kind, const cJSON *params, pa_err *err)
{
    clf_opts o;
    return clf_opts_read(kind, params, &o, err);
}

/* ---- logistic regression ---- */

static double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

static double sigmoid(double x)
{
    if (x >= 0)
        return 1 / (1 + exp(-x));
    double e = exp(x);
    return e / (1 + e);
}

/* Penalised negative log-likelihood at beta (q+1) given eta = Z beta (n). */
static double lr_objective(const double *eta, const int *y, size_t n, const double *beta, size_t q,
                           double l2)
{
    double f = 0;
    for (size_t i = 0; i < n; i++)
        f += softplus(eta[i]) - (y[i] ? eta[i] : 0);
    f += 0.5 * l2 * cblas_ddot((int)q, beta, 1, beta, 1);
    return f;
}

static int lr_fit(clf *c, const double *X, const int *y, size_t n, size_t p, const clf_opts *o, pa_err *err)
{
    int rc = PA_ENOMEM;
    size_t q = 0;
    c->keep = pa_malloc(p ? p : 1, sizeof *c->keep);
    c->mean = pa_malloc(p ? p : 1, sizeof *c->mean);
    c->sd = pa_malloc(p ? p : 1, sizeof *c->sd);
    if (!c->keep || !c->mean || !c->sd)
        return pa_errf(err, PA_ENOMEM, "classifier \"logreg\": out of memory");
    for (size_t j = 0; j < p; j++) {
        double m = 0, v = 0;
        for (size_t i = 0; i < n; i++)
            m += X[i * p + j];
        m /= (double)n;
        for (size_t i = 0; i < n; i++)
            v += (X[i * p + j] - m) * (X[i * p + j] - m);
        v /= (double)n;
        double sd = sqrt(v);
        if (!(sd > 1e-12 * fmax(1, fabs(m))))   /* constant: dropped */
            continue;
        c->keep[q] = j;
        c->mean[q] = m;
        c->sd[q] = sd;
        q++;
    }
    c->q = q;
    size_t k = q + 1;   /* coefficients + intercept (last) */
    double *Z = pa_malloc(n * k, sizeof *Z);      /* (n, k) standardised features and a 1 column */
    double *WZ = pa_malloc(n * k, sizeof *WZ);    /* (n, k) rows scaled by sqrt(mu(1-mu)) */
    double *beta = pa_calloc(k, sizeof *beta);    /* (k) */
    double *trial = pa_malloc(k, sizeof *trial);  /* (k) */
    double *g = pa_malloc(k, sizeof *g);          /* (k) gradient */
    double *H = pa_malloc(k * k, sizeof *H);      /* (k, k) Hessian */
    double *eta = pa_malloc(n, sizeof *eta);      /* (n) */
    double *r = pa_malloc(n, sizeof *r);          /* (n) mu - y */
    c->w = pa_malloc(k, sizeof *c->w);
    if (!Z || !WZ || !beta || !trial || !g || !H || !eta || !r || !c->w) {
        pa_errf(err, PA_ENOMEM, "classifier \"logreg\": out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t a = 0; a < q; a++)
            Z[i * k + a] = (X[i * p + c->keep[a]] - c->mean[a]) / c->sd[a];
        Z[i * k + q] = 1;
    }
    /* start from the intercept of the class balance */
    size_t n1 = 0;
    for (size_t i = 0; i < n; i++)
        n1 += y[i] != 0;
    beta[q] = log((double)n1 / (double)(n - n1));
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, 1.0, Z, (int)k, beta, 1, 0.0, eta, 1);
    double f = lr_objective(eta, y, n, beta, q, o->l2);
    int converged = 0;
    gsl_matrix_view Hv = gsl_matrix_view_array(H, k, k);
    gsl_vector_view gv = gsl_vector_view_array(g, k);
    for (int it = 0; it < (int)o->max_iter && !converged; it++) {
        for (size_t i = 0; i < n; i++) {
            double mu = sigmoid(eta[i]);
            r[i] = mu - (y[i] ? 1 : 0);
            double s = sqrt(mu * (1 - mu));
            for (size_t a = 0; a < k; a++)
                WZ[i * k + a] = s * Z[i * k + a];
        }
        /* g = Zᵀ r + l2 [w; 0];  H = (WZ)ᵀ WZ + l2 diag(1..1, 0) */
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)k, 1.0, Z, (int)k, r, 1, 0.0, g, 1);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)k, (int)n, 1.0, WZ, (int)k, WZ,
                    (int)k, 0.0, H, (int)k);
        for (size_t a = 0; a < q; a++) {
            g[a] += o->l2 * beta[a];
            H[a * k + a] += o->l2;
        }
        /* the intercept's curvature can vanish when every mu saturates */
        H[q * k + q] += 1e-12 * (double)n;
        double gmax = 0;
        for (size_t a = 0; a < k; a++)
            gmax = fmax(gmax, fabs(g[a]));
        if (gmax <= o->tol * (double)n) {
            converged = 1;
            break;
        }
        gsl_error_handler_t *old = gsl_set_error_handler_off();
        int st = gsl_linalg_cholesky_decomp1(&Hv.matrix);
        if (!st)
            st = gsl_linalg_cholesky_svx(&Hv.matrix, &gv.vector);   /* g <- H^-1 g */
        gsl_set_error_handler(old);
        if (st) {
            pa_errf(err, PA_EINTERNAL, "classifier \"logreg\": Newton step failed (%s)", gsl_strerror(st));
            rc = PA_EINTERNAL;
            goto done;
        }
        double t = 1, fnew = f, step = 0;
        for (int h = 0; h < 60; h++, t *= 0.5) {
            for (size_t a = 0; a < k; a++)
                trial[a] = beta[a] - t * g[a];
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, 1.0, Z, (int)k, trial, 1, 0.0, eta, 1);
            fnew = lr_objective(eta, y, n, trial, q, o->l2);
            if (fnew <= f)
                break;
        }
        for (size_t a = 0; a < k; a++)
            step = fmax(step, fabs(trial[a] - beta[a]));
        if (!(fnew <= f)) {   /* no descent at any step size: at the optimum to rounding */
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, 1.0, Z, (int)k, beta, 1, 0.0, eta, 1);
            converged = 1;
            break;
        }
        memcpy(beta, trial, k * sizeof *beta);
        if (step <= o->tol || f - fnew <= 1e-15 * fabs(f))
            converged = 1;
        f = fnew;
    }
    if (!converged) {
        pa_errf(err, PA_EINTERNAL, "classifier \"logreg\": Newton did not converge in %g iterations", o->max_iter);
        rc = PA_EINTERNAL;
        goto done;
    }
    memcpy(c->w, beta, q * sizeof *beta);
    c->b = beta[q];
    rc = PA_OK;
done:
    free(Z);
    free(WZ);
    free(beta);
    free(trial);
    free(g);
    free(H);
    free(eta);
    free(r);
    return rc;
}

static double lr_predict(const clf *c, const double *x)
{
    double eta = c->b;
    for (size_t a = 0; a < c->q; a++)
        eta += c->w[a] * (x[c->keep[a]] - c->mean[a]) / c->sd[a];
    return sigmoid(eta);
}

/* ---- Gaussian naive Bayes, pooled variance ---- */

/* Per feature: the class means μ0, μ1 and the pooled within-class variance
 * σ² (divisor n − 2); a feature with σ² ≤ 1e-12·(1 + μ0² + μ1²) is dropped.
 * log P(1|x)/P(0|x) = log(n1/n0) + Σ_a (μ1 − μ0)/σ² · (x_a − (μ0 + μ1)/2). */
static int nb_fit(clf *c, const double *X, const int *y, size_t n, size_t p, pa_err *err)
{
    double *m0 = pa_calloc(p, sizeof *m0), *m1 = pa_calloc(p, sizeof *m1), *v = pa_calloc(p, sizeof *v);
    c->keep = pa_malloc(p, sizeof *c->keep);
    c->w = pa_malloc(p, sizeof *c->w);
    if (!m0 || !m1 || !v || !c->keep || !c->w) {
        free(m0);
        free(m1);
        free(v);
        return pa_errf(err, PA_ENOMEM, "classifier \"nb\": out of memory");
    }
    size_t n1 = 0;
    for (size_t i = 0; i < n; i++)
        n1 += (size_t)y[i];
    const size_t n0 = n - n1;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < p; a++)
            (y[i] ? m1 : m0)[a] += X[i * p + a];
    for (size_t a = 0; a < p; a++) {
        m0[a] /= (double)n0;
        m1[a] /= (double)n1;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < p; a++) {
            double e = X[i * p + a] - (y[i] ? m1 : m0)[a];
            v[a] += e * e;
        }
    c->b = log((double)n1 / (double)n0);
    c->q = 0;
    for (size_t a = 0; a < p; a++) {
        double s2 = n > 2 ? v[a] / (double)(n - 2) : v[a];
        if (!(s2 > 1e-12 * (1 + m0[a] * m0[a] + m1[a] * m1[a])))
            continue;
        double w = (m1[a] - m0[a]) / s2;
        c->keep[c->q] = a;
        c->w[c->q++] = w;
        c->b -= w * 0.5 * (m0[a] + m1[a]);
    }
    free(m0);
    free(m1);
    free(v);
    return PA_OK;
}

static double nb_predict(const clf *c, const double *x)
{
    double eta = c->b;
    for (size_t a = 0; a < c->q; a++)
        eta += c->w[a] * x[c->keep[a]];
    return sigmoid(eta);
}

/* ---- random forest ---- */

typedef struct rf_item {
    double v;        /* feature value */
    int y;
} rf_item;

typedef struct rf_work {
    const double *X;
    const int *y;
    size_t p;
    size_t mtry, min_leaf, max_depth;
    gsl_rng *r;
    rf_item *items;  /* (n) scratch for sorting */
    size_t *feats;   /* (p) feature permutation */
    size_t *idx;     /* (n) bootstrap sample, partitioned in place */
} rf_work;

static int by_value(const void *a, const void *b)
{
    double x = ((const rf_item *)a)->v, z = ((const rf_item *)b)->v;
    return (x > z) - (x < z);
}

static long tree_add(tree *t)
{
    if (t->nn == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        tnode *nodes = realloc(t->nodes, cap * sizeof *nodes);
        if (!nodes)
            return -1;
        t->nodes = nodes;
        t->cap = cap;
    }
    t->nodes[t->nn] = (tnode){.feat = -1};
    return (long)t->nn++;
}

/* Grows the subtree over w->idx[lo, hi) at the given depth into node `at`. */
static int rf_grow(rf_work *w, tree *t, size_t at, size_t lo, size_t hi, size_t depth)
{
    size_t m = hi - lo, m1 = 0;
    for (size_t i = lo; i < hi; i++)
        m1 += w->y[w->idx[i]] != 0;
    t->nodes[at].val = (double)m1 / (double)m;
    if (m1 == 0 || m1 == m || depth >= w->max_depth || m < 2 * w->min_leaf)
        return PA_OK;
    /* choose mtry features by a partial Fisher-Yates shuffle */
    for (size_t j = 0; j < w->p; j++)
        w->feats[j] = j;
    double best = -1;
    int bfeat = -1;
    double bthr = 0;
    for (size_t f = 0; f < w->mtry; f++) {
        size_t pick = f + (size_t)rng_below(w->r, w->p - f);
        size_t tmp = w->feats[f];
        w->feats[f] = w->feats[pick];
        w->feats[pick] = tmp;
        size_t j = w->feats[f];
        for (size_t i = 0; i < m; i++) {
            w->items[i].v = w->X[w->idx[lo + i] * w->p + j];
            w->items[i].y = w->y[w->idx[lo + i]] != 0;
        }
        qsort(w->items, m, sizeof *w->items, by_value);
        size_t l1 = 0;
        for (size_t i = 0; i + 1 < m; i++) {
            l1 += (size_t)w->items[i].y;
            size_t nl = i + 1, nr = m - nl;
            if (w->items[i].v == w->items[i + 1].v || nl < w->min_leaf || nr < w->min_leaf)
                continue;
            size_t l0 = nl - l1, r1 = m1 - l1, r0 = nr - r1;
            double sc = ((double)l1 * (double)l1 + (double)l0 * (double)l0) / (double)nl +
                        ((double)r1 * (double)r1 + (double)r0 * (double)r0) / (double)nr;
            if (sc > best) {
                best = sc;
                bfeat = (int)j;
                double a = w->items[i].v, b = w->items[i + 1].v;
                bthr = a + (b - a) / 2;
                if (!(bthr < b))
                    bthr = a;
            }
        }
    }
    /* The children's weighted Gini never exceeds the parent's, so the best
     * valid split is taken even without gain (as scikit-learn's CART):
     * interactions such as XOR show no gain at the first split. The score
     * maximised above, Σ_sides Σ_classes count²/size, is the weighted Gini
     * impurity's complement. */
    if (bfeat < 0)
        return PA_OK;
    /* partition idx[lo, hi) by x <= thr */
    size_t a = lo, b = hi;
    while (a < b) {
        if (w->X[w->idx[a] * w->p + (size_t)bfeat] <= bthr) {
            a++;
        } else {
            size_t tmp = w->idx[a];
            w->idx[a] = w->idx[--b];
            w->idx[b] = tmp;
        }
    }
    long L = tree_add(t), R = tree_add(t);
    if (L < 0 || R < 0)
        return PA_ENOMEM;
    t->nodes[at].feat = bfeat;
    t->nodes[at].thr = bthr;
    t->nodes[at].left = (size_t)L;
    t->nodes[at].right = (size_t)R;
    int rc = rf_grow(w, t, (size_t)L, lo, a, depth + 1);
    if (!rc)
        rc = rf_grow(w, t, (size_t)R, a, hi, depth + 1);
    return rc;
}

/* Trees are grown on `jobs` threads, each with its own scratch; tree t
 * always draws from rng_stream(seed, t), so the forest does not depend on
 * jobs. */
typedef struct rf_job {
    clf *c;
    rf_work base;            /* X, y, p and the options; no scratch */
    size_t n;
    uint64_t seed;
    atomic_size_t next;
    atomic_int rc;
} rf_job;

static void *rf_worker(void *arg)
{
    rf_job *J = arg;
    rf_work w = J->base;
    const size_t n = J->n;
    w.items = pa_malloc(n, sizeof *w.items);
    w.feats = pa_malloc(w.p, sizeof *w.feats);
    w.idx = pa_malloc(n, sizeof *w.idx);
    if (!w.items || !w.feats || !w.idx)
        atomic_store(&J->rc, PA_ENOMEM);
    while (!atomic_load(&J->rc)) {
        size_t t = atomic_fetch_add(&J->next, 1);
        if (t >= J->c->T)
            break;
        int rc = PA_OK;
        w.r = rng_stream(J->seed, t);
        if (!w.r) {
            rc = PA_ENOMEM;
        } else {
            for (size_t i = 0; i < n; i++)
                w.idx[i] = (size_t)rng_below(w.r, n);
            rc = tree_add(&J->c->trees[t]) < 0 ? PA_ENOMEM : rf_grow(&w, &J->c->trees[t], 0, 0, n, 0);
            gsl_rng_free(w.r);
        }
        if (rc)
            atomic_store(&J->rc, rc);
    }
    free(w.items);
    free(w.feats);
    free(w.idx);
    return NULL;
}

static int rf_fit(clf *c, const double *X, const int *y, size_t n, size_t p, const clf_opts *o, uint64_t seed,
                  int jobs, pa_err *err)
{
    size_t mtry = o->max_features > 0 ? (size_t)o->max_features : (size_t)floor(sqrt((double)p));
    if (mtry < 1)
        mtry = 1;
    if (mtry > p)
        return pa_errf(err, PA_EINPUT, "classifier \"forest\": parameter \"max_features\": expected at most %zu "
                       "(the number of features), got %zu", p, mtry);
    rf_job J = {.c = c, .n = n, .seed = seed,
                .base = {.X = X, .y = y, .p = p, .mtry = mtry, .min_leaf = (size_t)o->min_leaf,
                         .max_depth = (size_t)o->max_depth}};
    c->T = (size_t)o->n_trees;
    c->trees = pa_calloc(c->T, sizeof *c->trees);
    if (!c->trees)
        return pa_errf(err, PA_ENOMEM, "classifier \"forest\": out of memory");
    atomic_init(&J.next, 0);
    atomic_init(&J.rc, PA_OK);
    if (jobs < 1)
        jobs = 1;
    if ((size_t)jobs > c->T)
        jobs = (int)c->T;
    pthread_t *th = jobs > 1 ? calloc((size_t)jobs, sizeof *th) : NULL;
    int started = 0;
    for (int j = 1; th && j < jobs; j++)
        if (pthread_create(&th[j], NULL, rf_worker, &J) == 0)
            started = j;
        else
            break;
    rf_worker(&J);
    for (int j = 1; j <= started; j++)
        pthread_join(th[j], NULL);
    free(th);
    int rc = atomic_load(&J.rc);
    if (rc)
        return pa_errf(err, rc, "classifier \"forest\": out of memory");
    return PA_OK;
}

static double rf_predict(const clf *c, const double *x)
{
    double s = 0;
    for (size_t t = 0; t < c->T; t++) {
        const tnode *nd = c->trees[t].nodes;
        size_t at = 0;
        while (nd[at].feat >= 0)
            at = x[nd[at].feat] <= nd[at].thr ? nd[at].left : nd[at].right;
        s += nd[at].val;
    }
    return s / (double)c->T;
}

/* ---- public ---- */

int clf_fit(const char *kind, const double *X, const int *y, size_t n, size_t p, const cJSON *params,
            uint64_t seed, clf **out, pa_err *err)
{
    return clf_fit_jobs(kind, X, y, n, p, params, seed, 1, out, err);
}

int clf_fit_jobs(const char *kind, const double *X, const int *y, size_t n, size_t p, const cJSON *params,
                 uint64_t seed, int jobs, clf **out, pa_err *err)
{
    *out = NULL;
    clf_opts o;
    int rc = clf_opts_read(kind, params, &o, err);
    if (rc)
        return rc;
    if (p == 0)
        return pa_errf(err, PA_EINPUT, "classifier \"%s\": no features (p = 0)", kind);
    size_t n1 = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 0 && y[i] != 1)
            return pa_errf(err, PA_EINPUT, "classifier \"%s\": label %zu is %d, expected 0 or 1", kind, i, y[i]);
        n1 += (size_t)y[i];
    }
    if (n1 == 0 || n1 == n)
        return pa_errf(err, PA_EINPUT, "classifier \"%s\": training needs both labels (got %zu of %zu with "
                       "label 1)", kind, n1, n);
    for (size_t i = 0; i < n * p; i++)
        if (!isfinite(X[i]))
            return pa_errf(err, PA_EINPUT, "classifier \"%s\": feature %zu of record %zu is not finite", kind,
                           i % p, i / p);
    clf *c = pa_calloc(1, sizeof *c);
    if (!c)
        return pa_errf(err, PA_ENOMEM, "classifier \"%s\": out of memory", kind);
    c->p = p;
    c->kind = strcmp(kind, "logreg") == 0 ? CLF_LOGREG : strcmp(kind, "nb") == 0 ? CLF_NB : CLF_FOREST;
    rc = c->kind == CLF_LOGREG ? lr_fit(c, X, y, n, p, &o, err)
         : c->kind == CLF_NB   ? nb_fit(c, X, y, n, p, err)
                               : rf_fit(c, X, y, n, p, &o, seed, jobs, err);
    if (rc) {
        clf_free(c);
        return rc;
    }
    *out = c;
    return PA_OK;
}

double clf_predict(const clf *c, const double *x)
{
    return c->kind == CLF_LOGREG ? lr_predict(c, x) : c->kind == CLF_NB ? nb_predict(c, x) : rf_predict(c, x);
}

size_t clf_dim(const clf *c)
{
    return c->p;
}

int clf_logreg_coef(const clf *c, double *w, double *b, pa_err *err)
{
    if (c->kind != CLF_LOGREG)
        return pa_errf(err, PA_EINPUT, "clf_logreg_coef: the classifier is not a logistic regression");
    double b0 = c->b;
    for (size_t j = 0; j < c->p; j++)
        w[j] = 0;
    for (size_t a = 0; a < c->q; a++) {
        w[c->keep[a]] = c->w[a] / c->sd[a];
        b0 -= c->w[a] * c->mean[a] / c->sd[a];
    }
    *b = b0;
    return PA_OK;
}

void clf_free(clf *c)
{
    if (!c)
        return;
    free(c->keep);
    free(c->mean);
    free(c->sd);
    free(c->w);
    for (size_t t = 0; c->trees && t < c->T; t++)
        free(c->trees[t].nodes);
    free(c->trees);
    free(c);
}
