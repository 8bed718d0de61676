# Reference Beta CDF tails for tests/test_eps.c (needs python3-mpmath):
#   beta_mpmath.py A1,A2,...   a b x lnP lnQ terms on the grid of parameters A x A, x = mean + z sd
#   beta_mpmath.py extras      the quantile and binomial rows
# Reference ln P, ln Q of Beta(a, b) at x: the continued fraction of DLMF 8.17.22 on its
# convergent side, in mpmath at 50 digits with the exact prefactor x^a y^b/(a B(a,b)),
# and (where it converges quickly) the hypergeometric series as a cross-check.
import mpmath as mp, sys
mp.mp.dps = 50
def cf_lower(a,b,x):
    a=mp.mpf(a);b=mp.mpf(b);x=mp.mpf(x)
    tiny=mp.mpf(10)**-200
    f=mp.mpf(1);C=f;D=mp.mpf(0);n=1
    while True:
        m=n//2
        if n%2: d=-(a+m)*(a+b+m)*x/((a+2*m)*(a+2*m+1))
        else: d=m*(b-m)*x/((a+2*m-1)*(a+2*m))
        D=1+d*D
        if abs(D)<tiny: D=tiny
        D=1/D; C=1+d/C
        if abs(C)<tiny: C=tiny
        de=C*D; f*=de; n+=1
        if abs(de-1)<mp.mpf(10)**-45: break
    lpre=a*mp.log(x)+b*mp.log1p(-x)-(mp.loggamma(a)+mp.loggamma(b)-mp.loggamma(a+b))-mp.log(a)
    return lpre-mp.log(f), n
def tails(a,b,x):
    x=mp.mpf(x)
    if x < (mp.mpf(a)+1)/(a+b+2):
        l,n=cf_lower(a,b,x); return l, mp.log1p(-mp.exp(l)), n
    l,n=cf_lower(b,a,1-x); return mp.log1p(-mp.exp(l)), l, n
def extras():
    def lpmf(k, r, q):
        k = mp.mpf(k); r = mp.mpf(r); q = mp.mpf(q)
        return mp.loggamma(r + 1) - mp.loggamma(k + 1) - mp.loggamma(r - k + 1) + k * mp.log(q) + (r - k) * mp.log1p(-q)
    for k, r, q in [(63933, 100000, 0.6), (9e7, 1e8, 0.9), (5, 1e8, 1e-7), (1e8, 1e8, 0.999999)]:
        lP, lQ, n = tails(k, r - k + 1, q)   # P[X >= k] = I_q(k, r-k+1)
        print("    { %r, %r, %r, %s, %s }," % (k, r, q, mp.nstr(lpmf(k, r, q), 17), mp.nstr(lP, 17)))
    for p, a, b, x0 in [(0.975, 48, 800000, 7.81197e-05), (0.975, 400001, 400001, 0.501096), (0.0125, 100000001.0, 5, 0.99999988721),
                        (0.9875, 3, 1e8, 8.12226e-08), (0.025, 50000000.5, 50000000.5, 0.499902), (0.975, 1, 1e6, 3.68887e-06)]:
        lo, hi = mp.mpf(x0) * (1 - mp.mpf(1e-4)), mp.mpf(x0) * (1 + mp.mpf(1e-4))
        for _ in range(90):
            m = (lo + hi) / 2
            if mp.exp(tails(a, b, m)[0]) < p: lo = m
            else: hi = m
        print("    { %r, %r, %r, %s }," % (p, a, b, mp.nstr((lo + hi) / 2, 17)))

if __name__=="__main__":
    if sys.argv[1] == "extras":
        extras(); sys.exit(0)
    As=[float(v) for v in sys.argv[1].split(',')]
    Zs=[-30,-12,-5,-2,-0.5,0,0.3,1,3,8,20]
    for a in As:
      for b in As:
        m=mp.mpf(a)/(a+b); sd=mp.sqrt(mp.mpf(a)*b/((a+b)**2*(a+b+1)))
        for z in Zs:
          x=float(m+z*sd)
          if not (0<x<1): continue
          lP,lQ,n=tails(a,b,x)
          print("%r %r %r %s %s %d"%(a,b,x,mp.nstr(lP,22),mp.nstr(lQ,22),n), flush=True)
