/* acct.h — privacy accountants: the theoretical ε of a DP mechanism.
 *
 * Symbols used throughout audit/acct*.c:
 *   σ  noise multiplier (Gaussian std / L2 sensitivity);
 *   q  Poisson sampling rate in [0,1];
 *   T  number of steps (compositions);
 *   a  an RDP order (> 1), "orders" a list of them;
 *   ρ  a zCDP parameter; μ a GDP parameter;
 *   δ  target δ.
 * A "phase" is T steps of the Poisson-subsampled Gaussian at (σ, q);
 * heterogeneous training is a list of phases, composed.
 *
 * Functions returning int return PA_OK, PA_EINPUT (bad parameter; the message
 * names it), PA_ENOMEM or PA_EINTERNAL, and leave their outputs NAN on
 * failure. Functions returning double return NAN on invalid input. Nothing
 * prints, exits or keeps global state; the GSL error handler is switched off
 * (gsl_set_error_handler_off) so GSL failures become statuses.
 */
#ifndef PA_ACCT_H
#define PA_ACCT_H

#include <stddef.h>

#include "core/err.h"

typedef struct acct_phase {
    double sigma;   /* noise multiplier σ > 0 */
    double q;       /* sampling rate in [0,1] */
    double steps;   /* T >= 0 (an integer for the PRV accountant) */
} acct_phase;

/* ---- zCDP (audit/acct.c) ---- */

/* δ of ρ-zCDP at ε (Canonne, Kamath, Steinke 2020, Prop. 7; private-pgm
 * cdp_delta): min over a > 1 of exp((a-1)(aρ-ε) + a ln(1-1/a))/(a-1), capped at 1. */
double acct_zcdp_delta(double rho, double eps);
double acct_zcdp_to_eps(double rho, double delta);  /* CKS 2020 conversion (private-pgm cdp_eps) */
double acct_zcdp_rho(double eps, double delta);     /* the rho whose conversion gives eps (cdp_rho) */

/* ---- RDP of the Poisson-subsampled Gaussian (audit/acct.c) ---- */

/* Named order sets. "opacus": 1.1..10.9 step 0.1, 12..63 (151 orders);
 * "tf": 1.25,1.5,1.75,2,2.25,2.5,3,3.5,4,4.5, 5..63, 128,256,512 (72);
 * "dp_accounting": dp_accounting.rdp DEFAULT_RDP_ORDERS = 1.1..10.9 step 0.1,
 * 11..63, 128, 256, 512, 1024 (156). Returns the number of orders and points
 * *orders at a static array (do not free); 0 and NULL for an unknown name. */
size_t acct_orders_named(const char *name, const double **orders);

/* The largest RDP order a list may hold: the named sets stop at 1024, and
 * near 1e5 the fractional-order series (Mironov et al. 2019, Sec. 3.3)
 * needs more terms than it is given. */
#define ACCT_ORDER_MAX 1e4

/* Parse an order spec: a set name above or a comma-separated list of numbers
 * in (1, ACCT_ORDER_MAX] ("2,4,8.5"). On success *orders is a new array (free
 * with free()) of *n entries; PA_EINPUT for anything else. */
int acct_orders_parse(const char *spec, double **orders, size_t *n, pa_err *err);

/* RDP of ONE step at order a (Mironov, Talwar, Zhang 2019), in log space.
 * Integer a: the binomial sum; fractional a: the two-sided erfc series with
 * alternating signs of C(a,k), as opacus analysis/rdp.py (this reproduces
 * opacus's 7.32911117143; dp_accounting adds |C(a,k)| and gets 7.32933).
 * 0 if q = 0, a/(2σ²) if q = 1, INFINITY if σ = 0. */
double acct_rdp_order(double sigma, double q, double order);

/* rdp[j] = Σ_phases T·RDP_1step(σ, q, orders[j]) for j < n_orders. */
int acct_rdp_curve(const acct_phase *ph, size_t n_ph, const double *orders, size_t n_orders,
                   double *rdp, pa_err *err);

enum acct_conversion {
    ACCT_CONV_BALLE = 0,  /* Balle et al. 2020: ε = rdp + ln(1-1/a) - ln(δa)/(a-1), with
                             dp_accounting's guards (KL shortcut to 0; orders a <= 1.01
                             skipped) */
    ACCT_CONV_BASIC = 1   /* Mironov 2017: ε = rdp + ln(1/δ)/(a-1) */
};

/* (ε, δ) from an RDP curve: min over orders. *order receives the minimising
 * order (may be NULL). ε >= 0; INFINITY if every order is infinite. */
int acct_rdp_to_eps(const double *orders, const double *rdp, size_t n, double delta,
                    enum acct_conversion conv, double *eps, double *order, pa_err *err);

int acct_rdp_epsilon(double sigma, double q, double steps, double delta,
                     const double *orders, size_t n_orders,   /* NULL,0 -> the opacus set */
                     double *eps, double *best_order, pa_err *err);

/* Heterogeneous composition of phases, then conversion `conv`. */
int acct_rdp_epsilon_phases(const acct_phase *ph, size_t n_ph, double delta,
                            const double *orders, size_t n_orders, enum acct_conversion conv,
                            double *eps, double *best_order, pa_err *err);

/* ---- PRV accountant (audit/acct_prv.c) ----
 * Gopi, Lee, Wutschitz 2021, with the parameters of opacus PRVAccountant:
 * domain [-L, L] with L = 3 + max(eps_error, RDP ε at δ_err/4 of the whole
 * composition, RDP ε at δ_err/(8 T) of one step), mesh
 * eps_error / sqrt(T ln(12/δ_err)/2); each phase's privacy-loss RV is
 * truncated to the domain, discretised by CDF differences, shifted to keep
 * its mean, and all phases composed by one FFT (GSL mixed radix; the
 * spectrum raised to the power T_j, multiplied over phases). */
typedef struct acct_prv_result {
    double lower;     /* ε(δ + δ_err) - eps_error: a lower bound on the true ε */
    double estimate;  /* ε(δ) of the discretised composition */
    double upper;     /* ε(δ - δ_err) + eps_error: an upper bound on the true ε */
} acct_prv_result;

/* eps_error <= 0 selects 0.01, delta_error <= 0 selects δ/1000 (opacus
 * defaults). Phase steps must be integers. */
int acct_prv_epsilon(const acct_phase *ph, size_t n_ph, double delta, double eps_error,
                     double delta_error, acct_prv_result *out, pa_err *err);

/* ---- GDP / CLT accountant (audit/acct.c) ---- */

/* μ of T steps of the Poisson-subsampled Gaussian by the CLT (Bu, Dong, Long,
 * Su 2020): q √T √(e^{1/σ²} - 1); for phases, √(Σ_j q_j² T_j (e^{1/σ_j²} - 1)). */
double acct_gdp_mu(const acct_phase *ph, size_t n_ph);

/* δ(ε) of μ-GDP: Φ(-ε/μ + μ/2) - e^ε Φ(-ε/μ - μ/2) (Dong, Roth, Su 2019),
 * computed in log space through the Mills ratio (no cancellation of e^ε
 * terms; relative precision ~1e-14 for μ in [1e-8, 1e4] and δ down to
 * 1e-300). 0 for μ = 0 or ε = ∞; NAN for a negative argument. */
double acct_gdp_delta(double mu, double eps);

/* The ε >= 0 with acct_gdp_delta(μ, ε) = δ: 0 if δ(0) <= δ (or μ = 0),
 * INFINITY for δ = 0 and μ > 0 (μ-GDP has no pure-ε guarantee) or when ε
 * would exceed 1e300 (μ beyond ~1e150: +inf is then its safe upper bound),
 * else the root of ln δ(ε) = ln δ by Brent to 4e-16 relative. PA_EINPUT for
 * μ < 0 or δ outside [0, 1); PA_EINTERNAL with a message if δ(ε) is
 * undefined or the root does not converge (*eps is NAN then). */
int acct_gdp_to_eps(double mu, double delta, double *eps, pa_err *err);

/* acct_gdp_to_eps without the message: NAN on any error. */
double acct_gdp_eps(double mu, double delta);

/* ---- one entry point per accountant, and calibration (audit/acct.c) ---- */

enum acct_kind { ACCT_RDP = 0, ACCT_PRV = 1, ACCT_GDP = 2 };

/* ε of T steps at (σ, q) by accountant `kind` (RDP: Balle conversion on
 * `orders`, NULL,0 = opacus set; PRV: the upper bound; GDP: CLT). */
int acct_epsilon(enum acct_kind kind, double sigma, double q, double steps, double delta,
                 const double *orders, size_t n_orders, double *eps, pa_err *err);

/* The smallest σ (to relative 1e-6) whose ε by `kind` is <= target_eps, by
 * bracketing and Brent on ln σ over [0.05, 1e4]. PA_EINPUT if no σ in that
 * range reaches the target. */
int acct_calibrate_sigma(enum acct_kind kind, double target_eps, double q, double steps,
                         double delta, const double *orders, size_t n_orders, double *sigma,
                         pa_err *err);

/* ε of `steps` steps of the DP-SGD engine (core/dpsgd.h) with cfg's (q, σ)
 * at δ, by the RDP accountant above (Mironov, Talwar, Zhang 2019; Balle et
 * al. 2020 conversion) on the default (opacus) order set. *eps = INFINITY
 * when σ = 0. On error *eps = NAN and err says why. Lives in audit/ so that
 * core/ does not depend on audit/. */
struct dpsgd_cfg;
int acct_dpsgd_epsilon(const struct dpsgd_cfg *cfg, size_t steps, double delta, double *eps, pa_err *err);

#endif
