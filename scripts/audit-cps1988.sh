#!/usr/bin/env bash
# scripts/audit-cps1988.sh [BUILD] — the CPS1988 release audit of docs/audit.md.
#
# From build/data/cps1988.csv (`make data`: 28,155 rows): a reproducible split
# into 25,000 real and 3,155 holdout records (GNU shuf with the random source
# `yes 42`); four releases of 25,000 rows made from the real records: `mst`
# at epsilon 1, `marginals` at epsilon 0.5 (privaudit gen, seed 1), `resample`
# (a bootstrap copy) and two hand-made noisy copies (awk below: every real
# record with its wage multiplied by exp(s Z), Z standard normal, s = 0.05 or
# 0.10; the noisier one also moves experience by -1, 0 or +1; each categorical
# column changed to another value with probability 0.05); then
#   1. each release audited against the holdout as control, --jobs 2, timed;
#   2. the same with --jobs 1, whose verdict (JSON) must be identical;
#   3. each release audited with --real = one half of the holdout and the
#      control = the other half: records the generator never saw, so nothing
#      may be flagged.
# Prints a table; everything is kept in BUILD/audit-cps1988/.
set -euo pipefail
B=${1:-build}
P=${PRIVAUDIT:-./privaudit}
D=$B/data
S=$D/cps1988.schema.json
O=$B/audit-cps1988
[ -f "$D/cps1988.csv" ] || { echo "audit-cps1988: $D/cps1988.csv not found: run make data" >&2; exit 1; }
mkdir -p "$O"
head -1 "$D/cps1988.csv" > "$O/header.csv"
tail -n +2 "$D/cps1988.csv" | shuf --random-source=<(yes 42) > "$O/body.csv"
(cat "$O/header.csv"; sed -n '1,25000p' "$O/body.csv") > "$O/real.csv"
(cat "$O/header.csv"; sed -n '25001,$p' "$O/body.csv") > "$O/holdout.csv"
(cat "$O/header.csv"; sed -n '25001,26578p' "$O/body.csv") > "$O/holdout-a.csv"
(cat "$O/header.csv"; sed -n '26579,$p' "$O/body.csv") > "$O/holdout-b.csv"
echo "== split: $(($(wc -l < "$O/real.csv") - 1)) real, $(($(wc -l < "$O/holdout.csv") - 1)) holdout" \
     "($(($(wc -l < "$O/holdout-a.csv") - 1)) + $(($(wc -l < "$O/holdout-b.csv") - 1)))"
"$P" gen mst --data "$O/real.csv" --schema "$S" --epsilon 1 --rows 25000 --seed 1 --out "$O/syn-mst.csv" 2>/dev/null
"$P" gen marginals --data "$O/real.csv" --schema "$S" --epsilon 0.5 --rows 25000 --seed 1 --out "$O/syn-marginals.csv" 2>/dev/null
"$P" gen resample --data "$O/real.csv" --schema "$S" --epsilon inf --rows 25000 --seed 1 --out "$O/syn-resample.csv" 2>/dev/null
# the noisy copies: Park-Miller generator (exact in awk's doubles), Box-Muller normals
noisy() { # SIGMA JITTER SEED
  awk -F, -v OFS=, -v sigma="$1" -v jitter="$2" -v seed="$3" '
    function u() { seed = (16807 * seed) % 2147483647; return seed / 2147483647 }
    function z() { return sqrt(-2 * log(u())) * cos(6.283185307179586 * u()) }
    function other(v, n, labs,   k, a) { split(labs, a, " "); do k = a[1 + int(u() * n)]; while (k == v); return k }
    NR == 1 { print; next }
    { w = $1 * exp(sigma * z()); if (w > 150000) w = 150000; $1 = sprintf("%.2f", w)
      if (jitter) { e = $3 + int(u() * 3) - 1; if (e < -6) e = -6; if (e > 64) e = 64; $3 = e }
      if (u() < 0.05) $4 = other($4, 2, "cauc afam")
      if (u() < 0.05) $5 = other($5, 2, "no yes")
      if (u() < 0.05) $6 = other($6, 4, "northeast midwest south west")
      if (u() < 0.05) $7 = other($7, 2, "no yes")
      print }' "$O/real.csv"
}
noisy 0.05 0 2024 > "$O/syn-noisy.csv"
noisy 0.10 1 2025 > "$O/syn-noisier.csv"
echo "== machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %7s  %-30s %-30s %-30s %-30s %s\n' release seconds "singling out" linkability "inference (parttime)" \
       membership "jobs 1 = jobs 2"
fail=0
for r in mst marginals resample noisy noisier; do
  rm -rf "$O/$r" "$O/$r-jobs1"
  t0=$(date +%s.%N)
  "$P" audit --real "$O/real.csv" --synth "$O/syn-$r.csv" --schema "$S" --holdout "$O/holdout.csv" --jobs 2 \
      --out "$O/$r" --json --quiet > "$O/$r.json"
  t1=$(date +%s.%N)
  "$P" audit --real "$O/real.csv" --synth "$O/syn-$r.csv" --schema "$S" --holdout "$O/holdout.csv" --jobs 1 \
      --out "$O/$r-jobs1" --json --quiet --no-figures > "$O/$r-jobs1.json"
  same=$(cmp -s "$O/$r.json" "$O/$r-jobs1.json" && echo yes || { fail=1; echo NO; })
  line=$(/usr/bin/env python3 - "$O/$r.json" <<'PY' 2>/dev/null || true
import json, sys
d = json.load(open(sys.argv[1]))
def f(R):
    return "%.3f [%.3f, %.3f]%s" % (R["risk"], R["lo"], R["hi"], " FLAG" if R["flag"] else "")
r = d["risks"]
print("\t".join([f(r["singling_out"]), f(r["linkability"]), f(r["inference"][0]), f(r["membership"])]))
PY
)
  IFS=$'\t' read -r so li inf me <<< "$line"
  printf '%-10s %7.1f  %-30s %-30s %-30s %-30s %s\n' "$r" "$(echo "$t1 - $t0" | bc)" "$so" "$li" "$inf" "$me" "$same"
done
echo "== the same releases with --real = holdout half A (1,578 records never seen) and control = half B"
for r in mst marginals resample noisy noisier; do
  rm -rf "$O/$r-unseen"
  "$P" audit --real "$O/holdout-a.csv" --synth "$O/syn-$r.csv" --schema "$S" --holdout "$O/holdout-b.csv" --jobs 2 \
      --out "$O/$r-unseen" --json --quiet --no-figures > "$O/$r-unseen.json"
  flagged=$(grep -o '"flagged":[a-z]*' "$O/$r-unseen.json" | head -1 | cut -d: -f2)
  echo "$r: flagged $flagged"
  [ "$flagged" = false ] || fail=1
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg); reports: $O/<release>/report.md"
exit $fail
