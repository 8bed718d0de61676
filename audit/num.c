/* num.c — root finding and quadrature that report failure (see num.h). */
#include "audit/num.h"

#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

int num_root(num_fn f, void *par, double lo, double hi, double tol_abs, double tol_rel, int maxit,
             int keep_lo_side, const char *what, double *root, pa_err *err)
{
    gsl_set_error_handler_off();
    *root = NAN;
    double flo = f(lo, par), fhi = f(hi, par);
    if (isnan(flo) || isnan(fhi))
        return pa_errf(err, PA_EINTERNAL, "%s: the function is undefined at the bracket [%.17g, %.17g]",
                       what, lo, hi);
    if (flo == 0) {
        *root = lo;
        return PA_OK;
    }
    if (fhi == 0) {
        *root = hi;
        return PA_OK;
    }
    if ((flo > 0) == (fhi > 0))
        return pa_errf(err, PA_EINTERNAL,
                       "%s: [%.17g, %.17g] does not bracket a root (f = %g and %g)", what, lo, hi, flo,
                       fhi);
    gsl_function F = { f, par };
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s)
        return pa_errf(err, PA_ENOMEM, "%s: out of memory", what);
    int st = gsl_root_fsolver_set(s, &F, lo, hi);
    int ok = 0;
    for (int it = 0; st == GSL_SUCCESS && it < maxit; it++) {
        st = gsl_root_fsolver_iterate(s);
        if (st != GSL_SUCCESS)
            break;
        double a = gsl_root_fsolver_x_lower(s), b = gsl_root_fsolver_x_upper(s);
        if (gsl_root_test_interval(a, b, tol_abs, tol_rel) == GSL_SUCCESS) {
            if (keep_lo_side < 0) {
                *root = gsl_root_fsolver_root(s);
            } else {
                /* which end has f of the sign of f(lo)? */
                double fa = f(a, par);
                int a_like_lo = (fa > 0) == (flo > 0) && fa != 0;
                if (keep_lo_side)
                    *root = a_like_lo ? a : b;
                else
                    *root = a_like_lo ? b : a;
            }
            ok = 1;
            break;
        }
    }
    double last = gsl_root_fsolver_root(s);
    gsl_root_fsolver_free(s);
    if (!ok) {
        *root = NAN;
        if (st != GSL_SUCCESS)
            return pa_errf(err, PA_EINTERNAL, "%s: root finding failed near %.17g (%s)", what, last,
                           gsl_strerror(st));
        return pa_errf(err, PA_EINTERNAL, "%s: root finding did not converge in %d iterations "
                       "(last estimate %.17g)", what, maxit, last);
    }
    return PA_OK;
}

int num_qags(num_fn f, void *par, double a, double b, double epsabs, double epsrel, double accept,
             double scale, size_t limit, gsl_integration_workspace *ws, const char *what,
             double *result, double *abserr, pa_err *err)
{
    gsl_set_error_handler_off();
    *result = NAN;
    if (abserr)
        *abserr = NAN;
    gsl_integration_workspace *own = NULL;
    if (!ws) {
        ws = own = gsl_integration_workspace_alloc(limit);
        if (!ws)
            return pa_errf(err, PA_ENOMEM, "%s: out of memory", what);
    }
    if (limit > ws->limit)
        limit = ws->limit;
    gsl_function F = { f, par };
    double r = NAN, e = NAN;
    int st = gsl_integration_qags(&F, a, b, epsabs, epsrel, limit, ws, &r, &e);
    gsl_integration_workspace_free(own);
    if (isnan(r) || isnan(e))
        return pa_errf(err, PA_EINTERNAL, "%s: the integral over [%.17g, %.17g] is undefined", what, a, b);
    if (st != GSL_SUCCESS) {
        double tol = fmax(fmax(epsabs, epsrel * fabs(r)), accept * fabs(scale));
        if (!(e <= tol))
            return pa_errf(err, PA_EINTERNAL,
                           "%s: quadrature over [%.17g, %.17g] failed (%s; error estimate %g, needed %g)",
                           what, a, b, gsl_strerror(st), e, tol);
    }
    *result = r;
    if (abserr)
        *abserr = e;
    return PA_OK;
}
