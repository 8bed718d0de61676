#!/usr/bin/python3
"""Reference values for tests/test_gdp.c (scipy 1.10.1), independent of the C code.

fit:     the 60-score data set of ref_scores(); AUC and the DeLong variance from the O(n1 n0)
         pairwise kernel psi (1, 1/2, 0); mu = sqrt(2) Phi^-1(AUC); ends sqrt(2)(p -/+ z se/phi(p)).
profile: P(outside the rho-zCDP region) for counts; the region's lower edge is the max over the
         grid eps_j = j eps_max/255 (eps_max: delta(eps_max) = 1e-15, CKS conversion by bisection,
         as private-pgm cdp2adp) of both constraint lines, evaluated line by line (no hull); the
         x-integral by scipy.integrate.quad over the middle of x's posterior, split at its quantiles.
Usage: tests/ref/gdp_ref.py fit | profile
"""
import math
import sys

import numpy as np
from scipy import integrate, stats


def ref_scores():
    m = [1 if (i * 7) % 3 == 0 else 0 for i in range(60)]
    s = [((i * 37) % 23) / 4.0 + (1.5 if m[i] else 0) for i in range(60)]
    return np.array(s), np.array(m)


def fit():
    s, m = ref_scores()
    X, Y = s[m == 1], s[m == 0]
    psi = (X[:, None] > Y[None, :]) + 0.5 * (X[:, None] == Y[None, :])
    A = psi.mean()
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    var = v10.var(ddof=1) / len(X) + v01.var(ddof=1) / len(Y)
    se = math.sqrt(var)
    z = stats.norm.ppf(0.95)
    p = stats.norm.ppf(A)
    sp = se / stats.norm.pdf(p)
    print("auc %.17g se %.15g mu %.14g lo %.14g hi %.14g n1 %d n0 %d" %
          (A, se, math.sqrt(2) * p, math.sqrt(2) * (p - z * sp), math.sqrt(2) * (p + z * sp), len(X), len(Y)))


def cdp_delta(rho, eps):
    amin, amax = 1.01, (eps + 1) / (2 * rho) + 2
    for _ in range(1000):
        a = (amin + amax) / 2
        if (2 * a - 1) * rho - eps + math.log1p(-1 / a) < 0:
            amin = a
        else:
            amax = a
    d = math.exp((a - 1) * (a * rho - eps) + a * math.log1p(-1 / a)) / (a - 1)
    return min(d, 1.0)


def cdp_eps(rho, delta):
    lo, hi = 0.0, rho + 2 * math.sqrt(rho * math.log(1 / delta)) + 10
    for _ in range(200):
        mid = (lo + hi) / 2
        if cdp_delta(rho, mid) > delta:
            lo = mid
        else:
            hi = mid
    return hi


def profile_p(rho, tp, fn, fp, tn):
    emax = cdp_eps(rho, 1e-15)
    E = np.array([emax * j / 255 for j in range(256)])
    D = np.array([cdp_delta(rho, e) for e in E])

    def lo(x):
        return max(0.0, float(np.max(1 - D - np.exp(E) * x)), float(np.max(np.exp(-E) * (1 - D - x))))

    px = stats.beta(fn + 0.5, tp + 0.5)
    py = stats.beta(fp + 0.5, tn + 0.5)

    def f(x):
        l, kh = lo(x), lo(1 - x)
        if l + kh >= 1:
            return 0.0
        return px.pdf(x) * (py.cdf(1 - kh) - py.cdf(l))

    q = [px.ppf(t) for t in (1e-12, 1e-6, 1e-3, 0.02, 0.25, 0.75, 0.98, 1 - 1e-3, 1 - 1e-6, 1 - 1e-12)]
    tot = 0.0
    for a, b in zip(q[:-1], q[1:]):
        if b > a:
            tot += integrate.quad(f, a, b, limit=2000, epsabs=1e-12, epsrel=1e-11)[0]
    return 1 - tot


if __name__ == "__main__":
    if sys.argv[1:] == ["fit"]:
        fit()
    else:
        for c in [(0.125, 300, 200, 150, 350), (0.125, 260, 240, 200, 300), (0.0305565951976396, 17, 68, 11, 54),
                  (0.0305565951976396, 83, 2, 65, 0), (0.5, 40, 0, 3, 60), (0.5, 5000, 5000, 5000, 5000)]:
            print(c, "%.11f" % profile_p(*c))
