#!/usr/bin/python3
"""bayes_ref.py — reference joint-beta credible interval for ε, the slow way.

The same model as audit/eps_bayes.c (Zanella-Béguelin et al., ICML 2023):
FNR ~ Beta(FN+1/2, TP+1/2), FPR ~ Beta(FP+1/2, TN+1/2), independent; P(ε) is
the posterior mass of the (ε,δ) region lo(x) <= y <= hi(x) of the (FNR, FPR)
square. As the published privacy-estimates implementation does, P(ε) is a
2-D adaptive quadrature of the joint density (scipy.integrate.dblquad over
x, then y between the region's boundaries), and the interval ends are roots
of P(ε) = α and P(ε) = 1-α (scipy.optimize.brentq). Written for privaudit's
benchmark from the paper's formulas; no code copied.

usage: bayes_ref.py TP FN FP TN DELTA ALPHA
  ALPHA is the one-sided level of each end (the CLI's --alpha A gives A/2).
prints one line: "lo hi seconds"
"""
import math
import sys
import time
import warnings

from scipy import integrate, optimize, stats


def region(x, eps, delta):
    e = math.exp(eps)
    lo = max(0.0, 1 - delta - e * x, (1 - delta - x) / e)
    hi = min(1.0, 1 - (x - delta) / e, delta + e * (1 - x))
    return lo, max(lo, hi)


def prob(tp, fn, fp, tn, delta, eps):
    px = stats.beta(fn + 0.5, tp + 0.5)
    py = stats.beta(fp + 0.5, tn + 0.5)
    # dblquad integrates func(y, x) with y inner
    val, _ = integrate.dblquad(lambda y, x: px.pdf(x) * py.pdf(y), 0.0, 1.0,
                               lambda x: region(x, eps, delta)[0],
                               lambda x: region(x, eps, delta)[1])
    return val


def interval(tp, fn, fp, tn, delta, alpha, eps_max=60.0, xtol=1e-4):
    f = lambda e, target: prob(tp, fn, fp, tn, delta, e) - target
    lo = 0.0 if f(0.0, alpha) > 0 else optimize.brentq(f, 0.0, eps_max, args=(alpha,), xtol=xtol)
    if f(eps_max, 1 - alpha) < 0:
        hi = math.inf
    else:
        hi = optimize.brentq(f, 0.0, eps_max, args=(1 - alpha,), xtol=xtol)
    return lo, hi


def main(argv):
    if len(argv) != 7:
        sys.stderr.write(__doc__)
        return 2
    tp, fn, fp, tn, delta, alpha = (float(a) for a in argv[1:])
    warnings.filterwarnings("ignore")   # IntegrationWarning on the singular Beta densities
    t0 = time.perf_counter()
    lo, hi = interval(tp, fn, fp, tn, delta, alpha)
    print("%.6f %.6f %.3f" % (lo, hi, time.perf_counter() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
