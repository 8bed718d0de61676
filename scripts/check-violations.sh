#!/bin/bash
# check-violations.sh BUILD — the profile test against a planted order-of-magnitude accounting bug
# (docs/BENCHMARKS.md): MST at epsilon 1 with bug_noise_divisor 10 must be flagged VIOLATION in at
# least 9 of seeds 1-10, the correct MST in none of seeds 1-20 (fixed game, crafted target, marginal
# attack, 2,000 games; configs/tight/mst-noise-divisor.json). Needs build/data (make data). ~10 min on 2 cores.
set -euo pipefail
build=${1:-build}
cfg=configs/tight/mst-noise-divisor.json
mkdir -p "$build/check-violations"
bug=0; ok=0
for s in $(seq 1 20); do
  db=$build/check-violations/s$s.db
  rm -f "$db"
  if [ "$s" -le 10 ]; then c=$cfg; else c=configs/tight/mst-correct-eps1.json; fi
  ./privaudit run "$c" --db "$db" --seed "$s" --jobs 2 --quiet
  nb=$(sqlite3 "$db" "SELECT count(*) FROM estimate e JOIN cell c ON c.id = e.cell_id WHERE e.violation = 1 AND c.params_json LIKE '%bug_noise_divisor%'")
  nc=$(sqlite3 "$db" "SELECT count(*) FROM estimate e JOIN cell c ON c.id = e.cell_id WHERE e.violation = 1 AND c.params_json NOT LIKE '%bug_noise_divisor%'")
  [ "$s" -le 10 ] && [ "$nb" -gt 0 ] && bug=$((bug + 1))
  [ "$nc" -gt 0 ] && ok=$((ok + 1))
  echo "seed $s: bug flagged rows $nb, correct flagged rows $nc"
done
echo "bug_noise_divisor 10 flagged in $bug of 10 seeds; the correct MST in $ok of 20"
[ "$bug" -ge 9 ] && [ "$ok" -eq 0 ]
