/* acct_prv.c — PRV accountant (Gopi, Lee, Wutschitz, "Numerical Composition
 * of Differential Privacy", NeurIPS 2021), parameters as opacus PRVAccountant.
 *
 * Symbols: t privacy loss; n domain points (even) with spacing dt on
 * [t_min, t_max] = [-k dt, (k+1) dt]; N >= n the FFT length (factors 2,3,5
 * only, so GSL's mixed-radix FFT stays O(N log N)); phase j has (σ_j, q_j,
 * T_j); δ_err, ε_err the error budget.
 *
 * The privacy loss of one step of the Poisson-subsampled Gaussian (remove
 * relation, Prop. B.4 of the paper) has, for t > ln(1-q), with
 * z = ln((e^t - (1-q))/q), u± = (2zσ² ± 1)/(2√2σ):
 *   S(t) = P[L > t] = q/2 erfc(u-) + (1-q)/2 erfc(u+),   F(t) = 1 - S(t),
 * and F = 0 for t <= ln(1-q). F is evaluated as q/2 erfc(-u-) + (1-q)/2
 * erfc(-u+) so that both tails keep full relative precision.
 */
#include "audit/acct.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_erf.h>

#define PRV_MAX_POINTS ((size_t)1 << 24)

typedef struct prv1 { double q, sigma; } prv1;

/* erfc(u) and erfc(-u) from one evaluation, each with full relative precision. */
static void erfc_pair(double u, double *ep, double *em)
{
    double e = erfc(fabs(u))   /* C99 erfc: 10x faster than gsl_sf_erfc, same accuracy */;
    *ep = u >= 0 ? e : 2 - e;
    *em = u >= 0 ? 2 - e : e;
}

/* F(t) and S(t) = 1 - F(t) of one step. */
static void prv_cdf(const prv1 *p, double t, double *F, double *S)
{
    double q = p->q, s = p->sigma;
    double w = expm1(t) + q;            /* e^t - (1-q) */
    if (!(w > 0)) {
        *F = 0;
        *S = 1;
        return;
    }
    double z = log(w / q);
    double um = (2 * z * s * s - 1) / (2 * M_SQRT2 * s);
    double up = (2 * z * s * s + 1) / (2 * M_SQRT2 * s);
    double a, am, b, bm;
    erfc_pair(um, &a, &am);
    erfc_pair(up, &b, &bm);
    *S = q / 2 * a + (1 - q) / 2 * b;
    *F = q / 2 * am + (1 - q) / 2 * bm;
}

typedef struct prv_trunc { prv1 p; double tmin, tmax, Fmin, Smax, mass; } prv_trunc;

/* Truncated CDF (below 0: the lower-tail form; above 0: 1 - upper tail). */
static double tr_F(const prv_trunc *r, double t)
{
    if (t < r->tmin)
        return 0;
    if (t >= r->tmax)
        return 1;
    double F, S;
    prv_cdf(&r->p, t, &F, &S);
    return (F - r->Fmin) / r->mass;
}

static double tr_S(const prv_trunc *r, double t)
{
    if (t < r->tmin)
        return 1;
    if (t >= r->tmax)
        return 0;
    double F, S;
    prv_cdf(&r->p, t, &F, &S);
    return (S - r->Smax) / r->mass;
}

static double f_lower(double t, void *vp) { return tr_F(vp, t); }
static double f_upper(double t, void *vp) { return tr_S(vp, t); }

/* Mean of the truncated PRV: -∫_{tmin}^{0} F + ∫_0^{tmax} S, pieces split
 * at ±1e-5..1e-1 as opacus does and at the support edge ln(1-q). */
static int tr_mean(const prv_trunc *r, double *mean)
{
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(500);
    if (!ws)
        return PA_ENOMEM;
    double pts[16];
    size_t n = 0;
    pts[n++] = r->tmin;
    double edge = log1p(-r->p.q);
    if (edge > r->tmin && edge < -1e-1)
        pts[n++] = edge;
    for (int e = -1; e >= -5; e--)
        pts[n++] = -pow(10, e);
    pts[n++] = 0;
    for (int e = -5; e <= -1; e++)
        pts[n++] = pow(10, e);
    pts[n++] = r->tmax;
    double m = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        double a = pts[i], b = pts[i + 1], v = 0, e = 0;
        if (!(b > a))
            continue;
        gsl_function F = { b <= 0 ? f_lower : f_upper, (void *)r };
        gsl_integration_qags(&F, a, b, 1e-14, 1e-12, 500, ws, &v, &e);
        m += b <= 0 ? -v : v;
    }
    gsl_integration_workspace_free(ws);
    *mean = m;
    return PA_OK;
}

static size_t nice_size(size_t n)
{
    for (size_t m = n;; m++) {
        size_t r = m;
        while (r % 2 == 0)
            r /= 2;
        while (r % 3 == 0)
            r /= 3;
        while (r % 5 == 0)
            r /= 5;
        if (r == 1)
            return m;
    }
}

/* Halfcomplex index helpers (GSL mixed-radix layout): c[0] real; for
 * 1 <= k < N/2: Re c[2k-1], Im c[2k]; N even: c[N-1] real (Nyquist). */
static void hc_pow_mul(double *acc, const double *c, size_t N, double T)
{
    acc[0] *= pow(c[0], T);
    for (size_t k = 1; 2 * k < N; k++) {
        double complex z = c[2 * k - 1] + I * c[2 * k];
        double complex a = acc[2 * k - 1] + I * acc[2 * k];
        double complex r = a * cpow(z, T);
        acc[2 * k - 1] = creal(r);
        acc[2 * k] = cimag(r);
    }
    if (N % 2 == 0)
        acc[N - 1] *= pow(c[N - 1], T);
}

int acct_prv_epsilon(const acct_phase *ph, size_t n_ph, double delta, double eps_error,
                     double delta_error, acct_prv_result *out, pa_err *err)
{
    gsl_set_error_handler_off();
    out->lower = out->estimate = out->upper = NAN;
    if (!ph || n_ph == 0)
        return pa_errf(err, PA_EINPUT, "prv: expected >= 1 phase");
    if (!(delta > 0 && delta < 1))
        return pa_errf(err, PA_EINPUT, "delta: expected a number in (0, 1), got %g", delta);
    if (eps_error <= 0)
        eps_error = 0.01;
    if (delta_error <= 0)
        delta_error = delta / 1000;
    if (!(delta_error < delta))
        return pa_errf(err, PA_EINPUT, "delta_error: expected a number below delta=%g, got %g",
                       delta, delta_error);
    double Ttot = 0;
    for (size_t j = 0; j < n_ph; j++) {
        const acct_phase *p = &ph[j];
        if (!(p->sigma > 0 && isfinite(p->sigma)))
            return pa_errf(err, PA_EINPUT, "phase %zu: sigma: expected a number > 0, got %g", j,
                           p->sigma);
        if (!(p->q > 0 && p->q < 1))
            return pa_errf(err, PA_EINPUT, "phase %zu: q: expected a rate in (0, 1), got %g", j,
                           p->q);
        if (!(p->steps >= 1 && p->steps == floor(p->steps) && p->steps < 1e9))
            return pa_errf(err, PA_EINPUT, "phase %zu: steps: expected an integer >= 1, got %g",
                           j, p->steps);
        Ttot += p->steps;
    }

    /* Domain size: Remark 5.6 of the paper, as opacus compute_safe_domain_size. */
    const double *ord;
    size_t nord = acct_orders_named("opacus", &ord);
    double L, e1, a1;
    int rc = acct_rdp_epsilon_phases(ph, n_ph, delta_error / 4, ord, nord, ACCT_CONV_BALLE, &L,
                                     &a1, err);
    if (rc)
        return pa_err_prefix(err, "prv domain");
    for (size_t j = 0; j < n_ph; j++) {
        acct_phase one = { ph[j].sigma, ph[j].q, 1 };
        rc = acct_rdp_epsilon_phases(&one, 1, delta_error / (8 * Ttot), ord, nord,
                                     ACCT_CONV_BALLE, &e1, &a1, err);
        if (rc)
            return pa_err_prefix(err, "prv domain");
        L = fmax(L, e1);
    }
    L = fmax(L, eps_error) + 3;
    double mesh = eps_error / sqrt(Ttot * log(12 / delta_error) / 2);
    if (!isfinite(L) || L / mesh > (double)PRV_MAX_POINTS)
        return pa_errf(err, PA_EINPUT,
                       "prv: domain [-%g, %g] with mesh %g needs more than %zu points (sigma "
                       "too small for this accountant)", L, L, mesh, PRV_MAX_POINTS);
    /* Domain.create_aligned(-L, L, mesh) */
    double tmin = floor(-L / mesh) * mesh, tmax = ceil(L / mesh) * mesh;
    size_t n = (size_t)llround((tmax - tmin) / mesh) + 1;
    if (n % 2) {
        n++;
        tmax += mesh;
    }
    double dt = (tmax - tmin) / (double)(n - 1);
    long i0 = lround(tmin / dt);           /* grid offset of t_min: -k */
    size_t N = nice_size(n);

    double *acc = malloc(N * sizeof *acc), *buf = malloc(N * sizeof *buf);
    gsl_fft_real_wavetable *rw = gsl_fft_real_wavetable_alloc(N);
    gsl_fft_halfcomplex_wavetable *hw = gsl_fft_halfcomplex_wavetable_alloc(N);
    gsl_fft_real_workspace *fw = gsl_fft_real_workspace_alloc(N);
    rc = PA_OK;
    if (!acc || !buf || !rw || !hw || !fw) {
        rc = pa_errf(err, PA_ENOMEM, "prv: out of memory for %zu points", N);
        goto done;
    }
    double shift_total = 0;
    for (size_t j = 0; j < n_ph; j++) {
        prv_trunc tr = { { ph[j].q, ph[j].sigma }, tmin, tmax, 0, 0, 0 };
        double F, S;
        prv_cdf(&tr.p, tmin, &tr.Fmin, &S);
        prv_cdf(&tr.p, tmax, &F, &tr.Smax);
        tr.mass = 1 - tr.Fmin - tr.Smax;
        /* pmf[i] = F(t_i + dt/2) - F(t_i - dt/2) of the truncated PRV, each
         * difference taken in the tail (F or S) where it keeps precision.
         * Grid offset i0 + i goes to circular position (i0 + i) mod N. */
        memset(buf, 0, N * sizeof *buf);
        double mean_d = 0, fl = 0, sl = 1;   /* truncated F and S at the left edge */
        for (size_t i = 0; i < n; i++) {
            double fr = 1, sr = 0;
            if (i + 1 < n) {
                prv_cdf(&tr.p, tmin + ((double)i + 0.5) * dt, &F, &S);
                fr = (F - tr.Fmin) / tr.mass;
                sr = (S - tr.Smax) / tr.mass;
            }
            double pm = fr < 0.5 ? fr - fl : sl - sr;
            long off = i0 + (long)i;
            buf[(size_t)((off % (long)N + (long)N) % (long)N)] = pm;
            mean_d += (tmin + (double)i * dt) * pm;
            fl = fr;
            sl = sr;
        }
        double mean_c;
        if (tr_mean(&tr, &mean_c)) {
            rc = pa_errf(err, PA_ENOMEM, "prv: out of memory");
            goto done;
        }
        double shift = mean_c - mean_d;
        if (!(fabs(shift) < dt / 2)) {
            rc = pa_errf(err, PA_EINTERNAL,
                         "prv: phase %zu: discrete mean differs from the continuous one by %g "
                         "(mesh %g)", j, shift, dt);
            goto done;
        }
        shift_total += ph[j].steps * shift;
        if (gsl_fft_real_transform(buf, 1, N, rw, fw) != GSL_SUCCESS) {
            rc = pa_errf(err, PA_EINTERNAL, "prv: FFT of %zu points failed", N);
            goto done;
        }
        if (j == 0) {
            for (size_t i = 0; i < N; i++)
                acc[i] = 1;
            for (size_t k = 1; 2 * k < N; k++)
                acc[2 * k] = 0;   /* 1 + 0i in every bin */
        }
        hc_pow_mul(acc, buf, N, ph[j].steps);
    }
    if (gsl_fft_halfcomplex_inverse(acc, 1, N, hw, fw) != GSL_SUCCESS) {
        rc = pa_errf(err, PA_EINTERNAL, "prv: inverse FFT of %zu points failed", N);
        goto done;
    }
    if (2.2e-16 * (double)N > delta - delta_error) {
        rc = pa_errf(err, PA_EINPUT, "prv: delta=%g too small for the rounding error of %zu "
                     "points", delta, N);
        goto done;
    }
    /* Circular position m holds grid offset m (m < N/2) or m - N; walk the
     * offsets from the top down, accumulating d1 = Σ_{l>=i} p_l and
     * d2 = Σ_{l>=i} p_l e^{-t_l}, so δ(t_i) = d1 - e^{t_i} d2 increases as i
     * falls. For each target δ' the answer is the smallest i with
     * δ(t_i) <= δ' (numpy searchsorted on -δ, as opacus), and
     * ε = ln((d1_i - δ')/d2_i). */
    double targets[3] = { delta - delta_error, delta, delta + delta_error }, eps[3];
    double s1 = 0, s2 = 0, prev1 = NAN, prev2 = NAN;
    int k = 0;
    long top = (long)(N / 2) - 1, bottom = -(long)(N / 2);
    for (long off = top; off >= bottom && k < 3; off--) {
        size_t m = (size_t)(off >= 0 ? off : off + (long)N);
        double t = (double)off * dt + shift_total;
        s1 += acc[m];
        s2 += acc[m] * exp(-t);
        while (k < 3 && s1 - exp(t) * s2 > targets[k]) {
            if (off == top) {
                rc = pa_errf(err, PA_EINTERNAL, "prv: delta=%g outside the discretised domain",
                             targets[k]);
                goto done;
            }
            eps[k] = log((prev1 - targets[k]) / prev2);
            k++;
        }
        prev1 = s1;
        prev2 = s2;
    }
    if (k < 3) {
        rc = pa_errf(err, PA_EINTERNAL, "prv: delta=%g not reached on the discretised domain",
                     targets[k]);
        goto done;
    }
    out->upper = eps[0] + eps_error;
    out->estimate = eps[1];
    out->lower = eps[2] - eps_error;
done:
    free(acc);
    free(buf);
    if (rw)
        gsl_fft_real_wavetable_free(rw);
    if (hw)
        gsl_fft_halfcomplex_wavetable_free(hw);
    if (fw)
        gsl_fft_real_workspace_free(fw);
    return rc;
}
