# Independent Bayesian joint-beta P(eps) and interval ends (scipy 1.10, /usr/bin/python3):
# P(eps) = int p_x(x) [F_y(hi(x)) - F_y(lo(x))] dx, Jeffreys posteriors, the x-integral by
# scipy.integrate.quad split at the kinks of lo/hi and at posterior quantiles of x; the ends
# by brentq (xtol 1e-12).
import sys, math
import numpy as np
from scipy import stats, integrate, optimize
def P(c, delta, eps):
    tp, fn, fp, tn = c
    X = stats.beta(fn + .5, tp + .5); Y = stats.beta(fp + .5, tn + .5)
    ee, eme = math.exp(eps), math.exp(-eps)
    def f(x):
        lo = max(0.0, 1 - delta - ee * x, eme * (1 - delta - x))
        hi = min(1.0, 1 - eme * (x - delta), delta + ee * (1 - x))
        if hi <= lo: return 0.0
        return X.pdf(x) * (Y.sf(lo) - Y.sf(hi))
    k1 = (1 - delta) / (1 + ee)
    pts = [k1, 1 - delta, delta, 1 - k1] + [X.ppf(q) for q in (1e-12, 1e-9, 1e-6, 1e-3, .02, .1, .25, .5, .75, .9, .98, 1 - 1e-3, 1 - 1e-6, 1 - 1e-9, 1 - 1e-12)]
    pts = sorted(p for p in pts if 0 < p < 1 and X.ppf(1e-13) <= p <= X.ppf(1 - 1e-13))
    edges = [X.ppf(1e-13)] + pts + [X.ppf(1 - 1e-13)]
    tot = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        if b > a:
            tot += integrate.quad(f, a, b, epsabs=1e-14, epsrel=1e-12, limit=400)[0]
    return tot
def ends(c, delta, alpha):
    lo = 0.0 if P(c, delta, 0) > alpha else optimize.brentq(lambda e: P(c, delta, e) - alpha, 0, 50, xtol=1e-12)
    hi = optimize.brentq(lambda e: P(c, delta, e) - (1 - alpha), 0, 50, xtol=1e-12)
    return lo, hi
if __name__ == "__main__":
    c = [float(v) for v in sys.argv[1:5]]
    print(repr(ends(c, float(sys.argv[5]), float(sys.argv[6]))))
