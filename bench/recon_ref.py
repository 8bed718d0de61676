#!/usr/bin/python3
"""recon_ref.py — solves the linear-reconstruction LP written by bench_recon or
bench_lp (the "triplets" or "groups" format of recon_write_lp: "n q nnz", nnz
lines "i j 1", q lines b_i, and for "groups" n more lines with the bound of
each column) with scipy's linprog(method="highs"), in the same split form as
attacks/recon.c:  min sum(u + v)  s.t.  A x - u + v = b, 0 <= x <= ub, u, v >= 0
(ub = 1 for the per-record LP, the group's size for the grouped one).
Prints one line: "objective <value> seconds <solve seconds> n <n> q <q>".
Usage: /usr/bin/python3 bench/recon_ref.py LP.triplets [REPEATS]
(the seconds printed are the fastest of REPEATS solves, default 1)
"""
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog


def main(path, repeats=1):
    with open(path) as f:
        n, q, nnz = (int(t) for t in f.readline().split())
        trip = np.loadtxt(f, max_rows=nnz, dtype=np.int64, ndmin=2)
        rest = np.loadtxt(f, ndmin=1)
    rows, cols = trip[:, 0], trip[:, 1]
    b = rest[:q]
    ub = rest[q:q + n] if len(rest) >= q + n else np.ones(n)
    A = sp.csr_matrix((np.ones(nnz), (rows, cols)), shape=(q, n))
    eye = sp.identity(q, format="csr")
    A_eq = sp.hstack([A, -eye, eye], format="csr")
    c = np.concatenate([np.zeros(n), np.ones(2 * q)])
    bounds = np.concatenate([np.stack([np.zeros(n), ub], 1), np.stack([np.zeros(2 * q), np.full(2 * q, np.inf)], 1)])
    secs = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = linprog(c, A_eq=A_eq, b_eq=b, bounds=bounds, method="highs")
        secs = min(secs, time.perf_counter() - t0)
    if res.status != 0:
        print("linprog failed:", res.message, file=sys.stderr)
        return 1
    print("objective %.17g seconds %.6f n %d q %d" % (res.fun, secs, n, q))
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 1))
