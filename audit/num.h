/* num.h — numerical steps that report failure: a bracketing root finder and
 * an adaptive quadrature whose failures are errors with a message, never a
 * value. Every root and every integral in audit/ goes through these.
 *
 * Symbols: f the function, [lo, hi] the bracket, tol_abs/tol_rel the
 * tolerances on the root's position (|hi − lo| <= tol_abs + tol_rel·|x|), or
 * on the integral (GSL's epsabs/epsrel).
 */
#ifndef PA_NUM_H
#define PA_NUM_H

#include <stddef.h>

#include <gsl/gsl_integration.h>

#include "core/err.h"

typedef double (*num_fn)(double x, void *par);

/* A root of f in [lo, hi] by GSL's Brent solver. f(lo) and f(hi) must be
 * finite and of opposite signs (or one of them 0, which is then the root).
 * On success *root is the end of the final bracket on the side where f has
 * the sign of f(lo) when `keep_lo_side` is 1 (for "the largest x still
 * rejected"), the side of f(hi) when it is 0, or GSL's estimate when -1.
 * PA_EINTERNAL with a message naming `what` when the bracket does not
 * bracket, f is NaN, or it does not converge within maxit iterations
 * (*root is NAN then). */
int num_root(num_fn f, void *par, double lo, double hi, double tol_abs, double tol_rel, int maxit,
             int keep_lo_side, const char *what, double *root, pa_err *err);

/* ∫_a^b f by GSL QAGS on workspace ws (limit <= its size; NULL: one is
 * allocated for the call), judged relative to the magnitude `scale`:
 * the call fails (PA_EINTERNAL naming `what`) when GSL reports an error AND
 * its error estimate exceeds max(epsabs, epsrel·|result|, accept·scale) —
 * GSL often reports "roundoff" for pieces whose result is already exact to
 * far below what the caller needs, which is not a failure. A NaN result is
 * always a failure. PA_ENOMEM if the workspace cannot be had. */
int num_qags(num_fn f, void *par, double a, double b, double epsabs, double epsrel, double accept,
             double scale, size_t limit, gsl_integration_workspace *ws, const char *what,
             double *result, double *abserr, pa_err *err);

#endif
