# One-run audit (Steinke, Nasr, Jagielski 2023): the (eps, delta) p-value of their appendix,
#   p = min(1, P[Bin(r,q) >= v] + 2 m delta max_{i=1..v} P[v-i <= Bin(r,q) < v] / i),
# q = e^eps/(1+e^eps), and eps_lb = the largest eps with p <= alpha, by brentq on log p
# (scipy 1.10 binom.logsf/logpmf, the running sum in log space; xtol 1e-13).
import sys, math
import numpy as np
from scipy import stats, optimize
from scipy.special import logsumexp
def logp(m, r, v, delta, eps):
    q = 1 / (1 + math.exp(-eps))
    lb = stats.binom.logsf(v - 1, r, q)
    if delta == 0 or v == 0: return min(lb, 0.0)
    j = np.arange(v - 1, -1, -1)
    lp = stats.binom.logpmf(j, r, q)
    cs = np.logaddexp.accumulate(lp)             # log P[v-i <= X < v], i = 1..v
    la = np.max(cs - np.log(np.arange(1, v + 1)))
    return min(np.logaddexp(lb, math.log(2 * m * delta) + la), 0.0)
def eps_lb(m, r, v, delta, alpha):
    f = lambda e: logp(m, r, v, delta, e) - math.log(alpha)
    if v == 0 or f(0) > 0: return 0.0
    hi = 1.0
    while f(hi) <= 0: hi *= 2
    return optimize.brentq(f, 0, hi, xtol=1e-13, rtol=1e-15)
if __name__ == "__main__":
    for a in sys.argv[1:]:
        m, r, v, d, al = [float(x) for x in a.split(',')]
        print(a, repr(eps_lb(m, int(r), int(v), d, al)))
