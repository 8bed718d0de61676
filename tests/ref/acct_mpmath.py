# Reference values for tests/test_acct.c (run with /usr/bin/python3; needs python3-mpmath).
#   acct_mpmath.py          the (sigma, q, T, delta) grid rows
#   acct_mpmath.py extras   fractional orders, the mu ~ 1e3 rows, one exact PRV step, zCDP
# Independent accountant references in mpmath (50 digits), for tests/test_acct.c.
#  - RDP of the Poisson-subsampled Gaussian at integer orders a: the exact binomial sum
#    A_a = sum_k C(a,k) (1-q)^(a-k) q^k exp((k^2-k)/(2 s^2)); eps = min over the orders of the
#    Balle et al. 2020 conversion rdp + ln(1-1/a) - ln(delta a)/(a-1) (>= 0), with
#    dp_accounting's KL shortcut (eps = 0 when delta^2 + expm1(-rdp) > 0).
#  - RDP at fractional orders from its definition E_{z~N(0,s^2)}[((1-q) + q e^{(2z-1)/(2s^2)})^a]
#    by mpmath.quad (an integral, not the series the code sums).
#  - GDP (CLT): mu = q sqrt(T (e^{1/s^2} - 1)), eps solving Phi(-e/mu+mu/2) - e^e Phi(-e/mu-mu/2) = delta.
#  - one step of the subsampled Gaussian (remove relation), exact:
#    delta(eps) = (1-q) Q(z/s) + q Q((z-1)/s) - e^eps Q(z/s), z = s^2 ln((e^eps-(1-q))/q) + 1/2.
#  - zCDP: delta(rho, eps) = min_a exp((a-1)(a rho - eps) + a ln(1-1/a))/(a-1) (Canonne, Kamath,
#    Steinke 2020 Prop. 7), minimised over a by findroot on its derivative.
import mpmath as mp
mp.mp.dps = 50
ORDERS = list(range(2, 65)) + [128, 256]
def log_A_int(q, s, a):
    q = mp.mpf(q); s = mp.mpf(s)
    return mp.log(mp.fsum(mp.binomial(a, k) * (1 - q) ** (a - k) * q ** k * mp.exp(mp.mpf(k * k - k) / (2 * s * s)) for k in range(a + 1)))
def rdp_eps(s, q, T, delta, orders=ORDERS):
    best = mp.inf
    for a in orders:
        if q == 1: r = T * mp.mpf(a) / (2 * mp.mpf(s) ** 2)
        else: r = T * log_A_int(q, s, a) / (a - 1)
        if r <= 0 or mp.mpf(delta) ** 2 + mp.expm1(-r) > 0: e = mp.mpf(0)
        else: e = r + mp.log1p(-mp.mpf(1) / a) - mp.log(mp.mpf(delta) * a) / (a - 1)
        best = min(best, e)
    return max(best, 0)
def rdp_frac(s, q, a):
    s = mp.mpf(s); q = mp.mpf(q); a = mp.mpf(a)
    f = lambda z: mp.npdf(z, 0, s) * ((1 - q) + q * mp.exp((2 * z - 1) / (2 * s * s))) ** a
    A = mp.quad(f, [-mp.inf, -10 * s, 0, 0.5, 1, 10 * s + a / s ** 0 , mp.inf])
    return mp.log(A) / (a - 1)
def gdp_delta(mu, e):
    mu = mp.mpf(mu); e = mp.mpf(e)
    return mp.ncdf(-e / mu + mu / 2) - mp.exp(e) * mp.ncdf(-e / mu - mu / 2)
def gdp_eps(mu, d):
    d = mp.mpf(d)
    if gdp_delta(mu, 0) <= d: return mp.mpf(0)
    lo, hi = mp.mpf(0), mp.mpf(max(1, mu * mu / 2 + 2 * mu))
    while gdp_delta(mu, hi) > d: lo, hi = hi, hi * 2
    for _ in range(400):
        m = (lo + hi) / 2
        if gdp_delta(mu, m) > d: lo = m
        else: hi = m
    return (lo + hi) / 2
def step_delta(s, q, e):
    s = mp.mpf(s); q = mp.mpf(q); e = mp.mpf(e)
    z = s * s * mp.log((mp.exp(e) - (1 - q)) / q) + mp.mpf(1) / 2
    Q = lambda x: mp.ncdf(-x)
    return (1 - q) * Q(z / s) + q * Q((z - 1) / s) - mp.exp(e) * Q(z / s)
def step_eps(s, q, d):
    lo, hi = mp.mpf(0), mp.mpf(1)
    while step_delta(s, q, hi) > d: lo, hi = hi, hi * 2
    for _ in range(300):
        m = (lo + hi) / 2
        if step_delta(s, q, m) > d: lo = m
        else: hi = m
    return (lo + hi) / 2
def zcdp_delta(rho, e):
    rho = mp.mpf(rho); e = mp.mpf(e)
    g = lambda a: (a - 1) * (a * rho - e) + a * mp.log1p(-1 / a) - mp.log(a - 1)
    dg = lambda a: mp.diff(g, a)
    a0 = (e + 1) / (2 * rho) + 1
    try: a = mp.findroot(dg, a0)
    except Exception: a = a0
    if a <= 1: a = mp.mpf(1.0001)
    return min(mp.mpf(1), mp.exp(g(a)))
def zcdp_eps(rho, d):
    lo, hi = mp.mpf(0), rho + 2 * mp.sqrt(rho * mp.log(1 / mp.mpf(d)))
    for _ in range(200):
        m = (lo + hi) / 2
        if zcdp_delta(rho, m) > d: lo = m
        else: hi = m
    return (lo + hi) / 2
def extras():
    for s, q, a in [(1.5, 0.04, 1.5), (1.0, 0.01, 2.5), (2.0, 0.1, 10.5), (0.8, 0.002, 32.7), (5.0, 0.5, 3.3), (1.0, 0.25, 7.25)]:
        print("    { %r, %r, %r, %s }," % (s, q, a, mp.nstr(rdp_frac(s, q, a), 17)))
    s, q, T = 0.5, 1.0, 20000
    for d in (1e-5, 1e-9):
        mu = mp.mpf(q) * mp.sqrt(T * mp.expm1(1 / mp.mpf(s) ** 2))
        print("    { %r, %r, %r, %r, %.6g, %s, %s }," % (s, q, float(T), d, float(mu), mp.nstr(rdp_eps(s, q, T, d), 17), mp.nstr(gdp_eps(mu, d), 17)))
    for s, q, d in [(1.0, 0.1, 1e-5), (2.0, 0.5, 1e-5), (0.8, 0.02, 1e-6)]:
        print("    { %r, %r, %r, %s }," % (s, q, d, mp.nstr(step_eps(s, q, mp.mpf(d)), 17)))
    for rho, d in [(0.014973, 1e-9), (0.1, 1e-5), (1.0, 1e-6), (10.0, 1e-5), (1e-4, 1e-5)]:
        print("    { %r, %r, %s }," % (rho, d, mp.nstr(zcdp_eps(mp.mpf(rho), mp.mpf(d)), 17)))

if __name__ == "__main__":
    import math, sys
    grid = []
    for s in (0.5, 0.8, 1.0, 2.0, 5.0, 20.0):
        for q in (0.002, 0.01, 0.1, 1.0):
            for T in (1, 100, 10000):
                mu = q * math.sqrt(T * math.expm1(1 / (s * s)))
                if 1e-3 <= mu <= 1e3: grid.append((mu, s, q, T))
    grid.sort()
    # about 2 points per decade of mu
    pick, last = [], None
    for g in grid:
        if last is None or math.log10(g[0]) - math.log10(last) >= 0.45:
            pick.append(g); last = g[0]
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which == "extras":
        extras()
        sys.exit(0)
    for mu, s, q, T in pick:
        for d in (1e-5, 1e-9):
            gd = gdp_eps(mp.mpf(q) * mp.sqrt(T * mp.expm1(1 / mp.mpf(s) ** 2)), d)
            rd = rdp_eps(s, q, T, d) if which == "all" else mp.nan
            print("    { .sigma = %r, .q = %r, .T = %r, .delta = %r, .mu = %.6g, .rdp = %s, .gdp = %s }," % (s, q, float(T), d, mu, mp.nstr(rd, 17), mp.nstr(gd, 17)))
