#!/usr/bin/python3
# A user-style external generator for the HealthInsurance table (docs/BENCHMARKS.md, issue 11):
# noisy 2-way marginals by the Gaussian mechanism in zCDP, rho = (sqrt(ln(1/delta) + eps) - sqrt(ln(1/delta)))^2
# (the classical conversion of Bun and Steinke 2016, delta = 1e-5), sigma = sqrt(pairs / (2 rho)) / divisor:
# divisor 10 is a planted accounting bug (about 100x the rho spent), 1 the correct program.
# Noisy tables are clipped at 0; the release is sampled along the chain x1, x2 | x1, ...
# argv: train out rows seed epsilon mode divisor; mode = chain (measure the d-1 chain pairs) | all
# (measure all pairs, sample along the chain). Run from privaudit external (docs/generators.md).
import sys, csv, math
import numpy as np
train, out, rows, seed, eps, mode, div = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6], float(sys.argv[7])
delta = 1e-5
rho = (math.sqrt(math.log(1/delta) + eps) - math.sqrt(math.log(1/delta)))**2
rng = np.random.default_rng(seed)
cols = ["health","age","limit","gender","insurance","married","selfemp","family","region","ethnicity","education"]
cats = {"health":["no","yes"],"limit":["no","yes"],"gender":["female","male"],"insurance":["no","yes"],"married":["no","yes"],
        "selfemp":["no","yes"],"region":["northeast","midwest","south","west"],"ethnicity":["other","afam","cauc"],
        "education":["none","ged","highschool","bachelor","master","phd","other"]}
def code(c, v):
    if c == "age": return min(int(float(v)) // 10, 10)
    if c == "family": return int(float(v)) - 1
    return cats[c].index(v)
size = {c: (11 if c == "age" else 20 if c == "family" else len(cats[c])) for c in cols}
with open(train) as f:
    r = csv.reader(f); hdr = next(r); idx = [hdr.index(c) for c in cols]
    X = np.array([[code(c, row[i]) for c, i in zip(cols, idx)] for row in r], dtype=int)
d = len(cols)
pairs = [(j - 1, j) for j in range(1, d)] if mode == "chain" else [(a, b) for a in range(d) for b in range(a + 1, d)]
sigma = math.sqrt(len(pairs) / (2 * rho)) / div
noisy = {}
for a, b in pairs:
    t = np.zeros((size[cols[a]], size[cols[b]]))
    np.add.at(t, (X[:, a], X[:, b]), 1)
    noisy[(a, b)] = np.maximum(t + rng.normal(0, sigma, t.shape), 0)
S = np.zeros((rows, d), dtype=int)
p0 = noisy[(0, 1)].sum(1); p0 = p0 / p0.sum() if p0.sum() > 0 else np.full(len(p0), 1 / len(p0))
S[:, 0] = rng.choice(len(p0), rows, p=p0)
for j in range(1, d):
    t = noisy[(j - 1, j)]
    for v in range(t.shape[0]):
        sel = S[:, j - 1] == v
        if not sel.any(): continue
        p = t[v]; p = p / p.sum() if p.sum() > 0 else np.full(len(p), 1 / len(p))
        S[sel, j] = rng.choice(len(p), sel.sum(), p=p)
with open(out, "w", newline="") as f:
    w = csv.writer(f); w.writerow(cols)
    for s in S:
        row = []
        for c, v in zip(cols, s):
            if c == "age": row.append(min(10 * v + int(rng.integers(0, 10)), 100))
            elif c == "family": row.append(v + 1)
            else: row.append(cats[c][v])
        w.writerow(row)
