#!/usr/bin/python3
"""dcr_game_ref.py — the membership game of bench/dcr-game.json (the
quickstart's: HealthInsurance, 1,000 games in each of three cells, resample
and marginals at epsilon 1 and 10, one isolated target, training sets of
1,000, 1,000 synthetic rows, distance-to-closest-record attack), written in
numpy/scipy the way a careful Python user would, to time privaudit's
`run_experiment` against (bench/bench_dcr_game.c, same run).

The same steps as harness/run.c: the target = the record with the largest
mean distance to its 5 nearest among 5,000 reference rows (up to 20,000
candidates; mia_distance: Hamming on categorical columns plus
range-normalised L1 on numeric ones); the other rows split aux 25% /
holdout 10% / population; per trial a training set of 1,000 population rows,
a fair coin adding the target, the generator fitted and sampled (resample:
1,000 rows with replacement; marginals: each column's histogram - codes, or
32 equal-width bins of a numeric column - with Gaussian noise of sd
sqrt(d / (2 rho)), rho from (epsilon, delta) by Canonne-Kamath-Steinke's
conversion, clipped at 0, normalised, sampled independently, a numeric value
uniform in its bin and rounded for an integer column), the score = minus the
distance from the target to its closest synthetic row; per cell the
threshold maximising the Clopper-Pearson lower bound of epsilon on the
calibration half of the games (alpha 0.1, delta 1e-5) and the counts and
bound on the test half. Not done here (privaudit does them besides, so the
comparison favours this script): SQLite storage of every trial and score,
the Bayesian and GDP estimators.

Prints "games G trials T seconds S" and one line per cell.
Usage: /usr/bin/python3 bench/dcr_game_ref.py DATA.csv SCHEMA.json [GAMES]
"""
import csv
import json
import math
import sys
import time

import numpy as np
from scipy.stats import beta, norm


def load(csv_path, schema_path):
    cols = json.load(open(schema_path))["columns"]
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    cat, num, kinds = [], [], []
    for c in cols:
        if c["type"] == "categorical":
            lab = {v: i for i, v in enumerate(c["labels"])} if "labels" in c else None
            cat.append(np.array([lab[r[c["name"]]] if lab else int(r[c["name"]]) for r in rows], dtype=np.int32))
            kinds.append(("cat", len(c["labels"]) if "labels" in c else c["size"]))
        else:
            num.append(np.array([float(r[c["name"]]) for r in rows]))
            kinds.append(("num", c["min"], c["max"], bool(c.get("integer", False))))
    return np.stack(cat, 1), np.stack(num, 1), kinds


def cdp_delta(rho, eps):
    # Canonne, Kamath, Steinke 2020 (private-pgm cdp2adp.cdp_delta)
    amin, amax = 1.01, (eps + 1) / (2 * rho) + 2
    for _ in range(1000):
        alpha = (amin + amax) / 2
        deriv = (2 * alpha - 1) * rho - eps + math.log1p(-1.0 / alpha)
        if deriv < 0:
            amin = alpha
        else:
            amax = alpha
    alpha = (amin + amax) / 2
    d = math.exp((alpha - 1) * (alpha * rho - eps) + alpha * math.log1p(-1 / alpha)) / (alpha - 1.0)
    return min(d, 1.0)


def cdp_rho(eps, delta):
    lo, hi = 0.0, eps + 1
    for _ in range(1000):
        mid = (lo + hi) / 2
        if cdp_delta(mid, eps) <= delta:
            lo = mid
        else:
            hi = mid
    return lo


class Data:
    def __init__(self, C, X, kinds):
        self.C, self.X, self.kinds = C, X, kinds
        num = [k for k in kinds if k[0] == "num"]
        self.rng_ = np.array([k[2] - k[1] for k in num])

    def dist(self, Ca, Xa, Cb, Xb):
        """distance of every row a to every row b: (len a, len b)"""
        h = (Ca[:, None, :] != Cb[None, :, :]).sum(2)
        l1 = (np.abs(Xa[:, None, :] - Xb[None, :, :]) / self.rng_).sum(2)
        return h + l1


def isolated_target(D, order):
    n_ref, n_cand = min(len(order), 5000), min(len(order), 20000)
    ref, cand = order[:n_ref], order[:n_cand]
    iso = np.empty(n_cand)
    for s in range(0, n_cand, 200):
        c = cand[s:s + 200]
        d = D.dist(D.C[c], D.X[c], D.C[ref], D.X[ref])
        for k, i in enumerate(range(s, s + len(c))):
            if i < n_ref:
                d[k, i] = np.inf  # itself
        d.partition(4, axis=1)
        iso[s:s + len(c)] = d[:, :5].mean(1)
    return cand[np.argsort(-iso, kind="stable")[0]]


def marginals_sample(D, Ctr, Xtr, m, sigma, rng):
    Cs = np.empty((m, Ctr.shape[1]), dtype=np.int32)
    Xs = np.empty((m, Xtr.shape[1]))
    ci = ni = 0
    for k in D.kinds:
        if k[0] == "cat":
            K = k[1]
            h = np.bincount(Ctr[:, ci], minlength=K).astype(float) + rng.normal(0, sigma, K)
            p = np.clip(h, 0, None)
            p = p / p.sum() if p.sum() > 0 else np.full(K, 1 / K)
            Cs[:, ci] = rng.choice(K, m, p=p)
            ci += 1
        else:
            lo, hi, integer = k[1], k[2], k[3]
            B = 32
            b = np.minimum(((Xtr[:, ni] - lo) / (hi - lo) * B).astype(int), B - 1)
            h = np.bincount(b, minlength=B).astype(float) + rng.normal(0, sigma, B)
            p = np.clip(h, 0, None)
            p = p / p.sum() if p.sum() > 0 else np.full(B, 1 / B)
            cell = rng.choice(B, m, p=p)
            v = lo + (cell + rng.uniform(size=m)) * (hi - lo) / B
            Xs[:, ni] = np.round(v) if integer else v
            ni += 1
    return Cs, Xs


def cp_eps(tp, fn, fp, tn, alpha=0.1, delta=1e-5):
    """Clopper-Pearson lower bound of epsilon (rates bounded at alpha/4 each, as the CLI's convention)"""
    fnr_u = np.where(fn + tp > 0, beta.ppf(1 - alpha / 4, fn + 1, np.maximum(tp, 1e-300)), 1.0)
    fpr_u = np.where(fp + tn > 0, beta.ppf(1 - alpha / 4, fp + 1, np.maximum(tn, 1e-300)), 1.0)
    fnr_u = np.where(tp == 0, 1.0, fnr_u)
    fpr_u = np.where(tn == 0, 1.0, fpr_u)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.log((1 - delta - fnr_u) / fpr_u)
        b = np.log((1 - delta - fpr_u) / fnr_u)
    return np.maximum(0, np.nan_to_num(np.maximum(a, b), nan=0.0, neginf=0.0))


def counts(score, label, thr):
    pred = score >= thr
    tp = np.sum(pred & (label == 1))
    fp = np.sum(pred & (label == 0))
    return tp, np.sum(label == 1) - tp, fp, np.sum(label == 0) - fp


def main():
    data, schema = sys.argv[1], sys.argv[2]
    games = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    t0 = time.perf_counter()
    C, X, kinds = load(data, schema)
    D = Data(C, X, kinds)
    N = len(C)
    rng = np.random.default_rng(20261123)
    order = rng.permutation(N)
    target = isolated_target(D, order)
    rest = np.array([i for i in rng.permutation(N) if i != target])
    n_aux, n_hold = int(len(rest) * 0.25), int(len(rest) * 0.1)
    pop = rest[n_aux + n_hold:]
    d = C.shape[1] + X.shape[1]
    cells = [("resample", math.inf), ("marginals", 1.0), ("marginals", 10.0)]
    n_cal = int(round(0.5 * games))
    for gen, eps in cells:
        sigma = math.sqrt(d / (2 * cdp_rho(eps, 1e-5))) if gen == "marginals" else 0
        score = np.empty(games)
        member = np.empty(games, dtype=int)
        for g in range(games):
            idx = rng.choice(pop, 1000, replace=False)
            member[g] = rng.integers(2)
            if member[g]:
                idx = np.append(idx, target)
            Ctr, Xtr = C[idx], X[idx]
            if gen == "resample":
                pick = rng.integers(len(idx), size=1000)
                Cs, Xs = Ctr[pick], Xtr[pick]
            else:
                Cs, Xs = marginals_sample(D, Ctr, Xtr, 1000, sigma, rng)
            score[g] = -D.dist(C[target][None, :], X[target][None, :], Cs, Xs).min()
        cal, test = slice(0, n_cal), slice(n_cal, games)
        thr = np.unique(score[cal])
        sc, lc = score[cal], member[cal]
        tp = np.array([np.sum((sc >= t) & (lc == 1)) for t in thr])
        fp = np.array([np.sum((sc >= t) & (lc == 0)) for t in thr])
        P, Nn = np.sum(lc == 1), np.sum(lc == 0)
        lb = cp_eps(tp, P - tp, fp, Nn - fp)
        j = tp / max(P, 1) - fp / max(Nn, 1)
        best = np.lexsort((-j, -lb))[0] if len(thr) else 0
        TP, FN, FP, TN = counts(score[test], member[test], thr[best])
        e = cp_eps(np.array([TP]), np.array([FN]), np.array([FP]), np.array([TN]))[0]
        print("cell %s eps %g: threshold %.6g, test TP %d FN %d FP %d TN %d, CP lower bound %.4f"
              % (gen, eps, thr[best], TP, FN, FP, TN, e))
    secs = time.perf_counter() - t0
    print("games %d trials %d seconds %.3f" % (games, 3 * games, secs))


if __name__ == "__main__":
    main()
