#!/usr/bin/python3
"""What a perfect attacker could see of the `marginals` generator in the fixed game (issue 11, MS1).

marginals releases m records drawn from d noisy 1-way histograms (Gaussian noise sigma per cell,
sigma = sqrt(d / (2 rho)), clipped at 0 and normalised). A target adds 1 to one cell per column.
An attacker who knows D, sigma and the algorithm sees, per column, the synthetic count s_j of the
target's cell: s_j ~ Poisson(m * max(0, c_j + b + sigma Z) / n), b = 1 (member) or 0. The release's
sampling noise adds about c_j * n / m to each cell's variance (in units of counts of D), so the mu a
perfect attacker reaches is about sqrt(sum_j 1 / (sigma^2 + c_j n / m)), not mu_theory =
sqrt(d) / sigma. This script prints that cap for several m (Gaussian approximation) and, for one m,
the exact likelihood-ratio attack's mu = sqrt(2) Phi^-1(AUC) by simulation (clipping and Poisson
sampling included).

c_j, the count in D of the target's cell of column j, is estimated as n times the cell's share in
the whole data set (the fixed game's D is a random train_size subset of it).

usage: scripts/marginals-cap.py DATA.csv SCHEMA.json TARGET_JSON n m_exact [eps delta]
  TARGET_JSON: the crafted target's record as `privaudit run` stores it (table target, column record)
"""
import csv
import json
import math
import os
import sys

import numpy as np
from scipy.optimize import brentq
from scipy.stats import mannwhitneyu, norm, poisson

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
from gdp_ref import cdp_delta  # noqa: E402  (private-pgm's cdp_delta, the tests' reference)


def main():
    data, schema_p, target_j, n, m_exact = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    eps = float(sys.argv[6]) if len(sys.argv) > 6 else 4.0
    delta = float(sys.argv[7]) if len(sys.argv) > 7 else 1e-5
    schema = {c["name"]: c for c in json.load(open(schema_p))["columns"]}
    target = json.loads(target_j)
    rows = list(csv.DictReader(open(data)))
    bins = 32  # marginals' default "bins" (UTIL_DEFAULT_BINS)

    def cell(col, v):
        """the bin of audit/utility.c util_col_bin: one per integer, log-spaced, or equal-width"""
        c = schema[col]
        if c["type"] == "categorical":
            return v
        lo, hi, v = c["min"], c["max"], float(v)
        if c.get("integer") and math.floor(hi) - math.ceil(lo) + 1 <= bins:
            b = int(math.copysign(math.floor(abs(v) + 0.5), v)) - math.ceil(lo)  # C round(): half away from 0
        elif lo >= 0 and hi - lo >= 1e4:  # UTIL_LOG_DECADES = 4
            s, lg = (hi - lo) / 1e4, math.log1p(1e4) / bins
            b = math.floor(math.log1p((v - lo) / s) / lg) if v > lo else 0
        else:
            b = math.floor((v - lo) / (hi - lo) * bins)
        return min(max(b, 0), bins - 1)

    c = np.array([n * sum(cell(k, r[k]) == cell(k, v) for r in rows) / len(rows) for k, v in target.items()])
    d = len(c)
    rho = brentq(lambda r: cdp_delta(r, eps) - delta, 1e-9, eps + 1)
    sigma = math.sqrt(d / (2 * rho))
    mu_theory = math.sqrt(d) / sigma
    print(f"d = {d}, n = {n}, eps = {eps}, delta = {delta}: rho = {rho:.6g}, sigma = {sigma:.4f}, "
          f"mu_theory = {mu_theory:.4f}")
    print("c_j (expected counts in D of the target's cells):", " ".join(f"{x:.1f}" for x in c))
    for m in (5000, 20000, 50000, 100000, 1000000):
        mu = math.sqrt(sum(1 / (sigma ** 2 + max(x, 0.5) * n / m) for x in c))
        print(f"m = {m:>8}: Gaussian-approximation cap mu = {mu:.4f} = {mu / mu_theory:.3f} of mu_theory")
    rng = np.random.default_rng(1)
    z = np.linspace(-8, 8, 801)
    wz = norm.pdf(z)
    wz /= wz.sum()

    def loglik(s, mean):
        lam = m_exact * np.maximum(0, mean + sigma * z) / n
        return np.log(np.maximum(poisson.pmf(s[:, None], lam[None, :]) @ wz, 1e-300))

    games = 40000
    score = {}
    for b in (0, 1):
        tot = np.zeros(games)
        for x in c:
            s = rng.poisson(m_exact * np.maximum(0, x + b + sigma * rng.standard_normal(games)) / n)
            us, inv = np.unique(s, return_inverse=True)
            tot += (loglik(us, x + 1) - loglik(us, x))[inv]
        score[b] = tot
    auc = mannwhitneyu(score[1], score[0]).statistic / games ** 2
    mu = math.sqrt(2) * norm.ppf(auc)
    print(f"m = {m_exact}: exact likelihood-ratio attack (clipping, Poisson sampling; {games} games per class): "
          f"AUC {auc:.4f}, mu = {mu:.4f} = {mu / mu_theory:.3f} of mu_theory")


if __name__ == "__main__":
    main()
