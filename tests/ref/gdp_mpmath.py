# Reference GDP epsilons (mpmath, 60 digits) for tests/test_regress.c.
import mpmath as mp
mp.mp.dps=60
def delta(mu,eps):
    mu=mp.mpf(mu); eps=mp.mpf(eps)
    return mp.ncdf(-eps/mu+mu/2)-mp.exp(eps)*mp.ncdf(-eps/mu-mu/2)
def eps_of(mu,d):
    mu=mp.mpf(mu); d=mp.mpf(d)
    if delta(mu,0)<=d: return mp.mpf(0)
    lo=mp.mpf(0); hi=mp.mpf(max(1,float(mu*mu/2+2*mu)))
    while delta(mu,hi)>d: lo=hi; hi*=2
    return mp.findroot(lambda e: mp.log(delta(mu,e))-mp.log(d),(lo,hi),solver='anderson',tol=mp.mpf(10)**-40)
for mu,d in [(60.000000000000014,1e-5),(2315.000000000005,1e-5),(0.017875731311481236,1.2e-9),(0.0095055332521293747,1e-5)]:
    print(mu,d,mp.nstr(eps_of(mu,d),17))
