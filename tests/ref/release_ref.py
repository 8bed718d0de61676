#!/usr/bin/python3
"""release_ref.py — an independent transcription, in numpy, of the release
audit's estimators and of the attacks whose outcome is deterministic, run once
to give tests/test_release.c its reference numbers.

1. Anonymeter's estimators, transcribed from statice/anonymeter
   src/anonymeter/stats/confidence.py: success_rate (Wilson centre and error),
   residual_success (risk and its propagated error) and bind_value (clip to
   [0, 1]).
2. On the fixture of tests/data/release (written by this script with a fixed
   seed, `--write`): the univariate singling-out predicates (every numeric
   column's min and max, every value seen once among the distinct synthetic
   rows; kept if they match one distinct synthetic row) and how many match
   exactly one distinct row of the training and of the control table; the
   linkability rule (some synthetic row at the minimum distance on set A and
   at the minimum on set B, ties included; Gower-style distance); the
   nearest-record inference (the secret's majority among the synthetic rows
   at the smallest Hamming distance on the quasi-identifiers); the distances
   to the closest synthetic record.

Usage: /usr/bin/python3 tests/ref/release_ref.py [--write]
"""
import sys

import numpy as np
from scipy.stats import norm

D = "tests/data/release"
COLS = ["x", "y", "c1", "c2", "c3", "s"]
NUM = {"x": (0.0, 100.0), "y": (0.0, 20.0)}
CAT = {"c1": 3, "c2": 4, "c3": 5, "s": 2}


def write_fixture():
    rng = np.random.default_rng(20261201)

    def draw(n):
        t = {
            "x": np.round(rng.uniform(0, 100, n), 3),
            "y": rng.integers(0, 21, n).astype(float),
            "c1": rng.integers(0, 3, n),
            "c2": rng.integers(0, 4, n),
            "c3": rng.integers(0, 5, n),
        }
        # the secret depends on c1 (a population-level fact) and on chance
        p = np.array([0.1, 0.5, 0.9])[t["c1"]]
        t["s"] = (rng.uniform(size=n) < p).astype(int)
        return t

    n = 300
    train, control, fresh = draw(n), draw(n), draw(n)
    # the release: the first 150 training rows verbatim, then 150 fresh rows
    synth = {c: np.concatenate([train[c][:150], fresh[c][150:]]) for c in COLS}
    for name, t in (("train", train), ("control", control), ("synth", synth)):
        with open(f"{D}/{name}.csv", "w") as f:
            f.write(",".join(COLS) + "\n")
            for i in range(n):
                f.write(",".join(fmt(c, t[c][i]) for c in COLS) + "\n")


def fmt(c, v):
    return ("%.3f" % v) if c == "x" else ("%d" % v)


def read(name):
    a = np.genfromtxt(f"{D}/{name}.csv", delimiter=",", names=True)
    return {c: a[c] for c in COLS}


# ---- 1. Anonymeter's estimators ----
def success_rate(n_total, n_success, confidence):
    z = norm.ppf(0.5 * (1.0 + confidence))
    z2 = z * z
    var = n_success * (n_total - n_success) / n_total
    den = n_total + z2
    return (n_success + 0.5 * z2) / den, (z / den) * np.sqrt(var + 0.25 * z2)


def residual(a, ea, c, ec):
    r = (a - c) / (1.0 - c)
    da = 1 / abs(1 - c)
    dc = (a - 1) / (1 - c) ** 2
    return r, np.sqrt((ea * da) ** 2 + (ec * dc) ** 2)


def bind(v, e):
    return min(max(v, 0.0), 1.0), min(max(v - e, 0.0), 1.0), min(max(v + e, 0.0), 1.0)


def risk_line(name, k, n, kc, nc, conf):
    a, ea = success_rate(n, k, conf)
    c, ec = success_rate(nc, kc, conf)
    r, er = residual(a, ea, c, ec)
    v, lo, hi = bind(r, er)
    print("%-14s k=%d/%d kc=%d/%d rate %.17g err %.17g control %.17g err %.17g risk %.17g [%.17g, %.17g]"
          % (name, k, n, kc, nc, a, ea, c, ec, v, lo, hi))


# ---- 2. the attacks on the fixture ----
def distinct(t):
    rows = np.stack([t[c] for c in COLS], 1)
    _, idx = np.unique(rows, axis=0, return_index=True)
    return {c: t[c][np.sort(idx)] for c in COLS}


def univariate(syn):
    ds = distinct(syn)
    preds = []
    for c in COLS:
        v = ds[c]
        if c in NUM:
            preds.append((c, "<=", v.min()))
            preds.append((c, ">=", v.max()))
        vals, cnt = np.unique(v, return_counts=True)
        preds += [(c, "==", x) for x in vals[cnt == 1]]
    return [p for p in preds if count(ds, p) == 1]


def count(t, p):
    c, op, v = p
    x = t[c]
    m = {"<=": x <= v, ">=": x >= v, "==": x == v}[op]
    return int(m.sum())


def gower(t, i, s, cols):
    d = np.zeros(len(s[cols[0]]))
    for c in cols:  # summed in column order, as the C code does
        if c in NUM:
            lo, hi = NUM[c]
            d = d + np.abs(t[c][i] - s[c]) / (hi - lo)
        else:
            d = d + (t[c][i] != s[c])
    return d


def linked(t, syn, A, B):
    k = 0
    for i in range(len(t["x"])):
        da, db = gower(t, i, syn, A), gower(t, i, syn, B)
        k += bool(np.any((da == da.min()) & (db == db.min())))
    return k


def nearest_inference(t, syn, qi):
    right = 0
    for i in range(len(t["x"])):
        h = sum((t[c][i] != syn[c]).astype(int) for c in qi)
        near = h == h.min()
        share = syn["s"][near].mean()
        right += int((share > 0.5) == (t["s"][i] == 1))
    return right


def main():
    if "--write" in sys.argv:
        write_fixture()
    tr, ct, syn = read("train"), read("control"), read("synth")
    preds = univariate(syn)
    dtr, dct = distinct(tr), distinct(ct)
    k_so = sum(count(dtr, p) == 1 for p in preds)
    kc_so = sum(count(dct, p) == 1 for p in preds)
    A, B = ["y", "c1", "c2", "c3"], ["x", "s"]
    k_li, kc_li = linked(tr, syn, A, B), linked(ct, syn, A, B)
    qi = ["c1", "c2", "c3"]
    k_in, kc_in = nearest_inference(tr, syn, qi), nearest_inference(ct, syn, qi)
    allc = COLS
    dcr_tr = sum(gower(tr, i, syn, allc).min() for i in range(300))
    dcr_ct = sum(gower(ct, i, syn, allc).min() for i in range(300))
    print("univariate predicates", len(preds))
    conf = 1 - 0.05 / 7  # the audit's level: 7 attacks with one secret column
    print("confidence %.17g" % conf)
    risk_line("singling_out", k_so, 1000, kc_so, 1000, conf)
    risk_line("linkability", k_li, 300, kc_li, 300, conf)
    risk_line("inference", k_in, 300, kc_in, 300, conf)
    print("dcr sum training %.17g control %.17g" % (dcr_tr, dcr_ct))
    # Anonymeter's own test values (tests/test_confidence.py) and two more
    for n, k in ((1000, 850), (1000, 0), (1000, 1000), (500, 37), (3155, 2897)):
        r, e = success_rate(n, k, 0.95)
        print("success_rate n=%d k=%d: %.17g %.17g" % (n, k, r, e))
    for a, ea, c, ec in ((0.9, 0.02, 0.85, 0.02), (0.14037178823151641, 0.011, 0.0333768, 0.0148)):
        r, er = residual(a, ea, c, ec)
        print("residual %.17g %.17g %.17g %.17g: %.17g %.17g" % (a, ea, c, ec, r, er))


if __name__ == "__main__":
    main()
