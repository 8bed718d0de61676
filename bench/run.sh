#!/usr/bin/env bash
# bench/run.sh BUILD — runs every benchmark; each prints its figures as ratios
# against a reference run side by side in the same run, and the command that
# reproduces it. Latest figures: docs/BENCHMARKS.md.
set -uo pipefail
B=${1:-build}
ADULT=${ADULT:-../shared/data/adult}
status=0
echo "== machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== DP-SGD step vs PyTorch (Opacus-style) and numpy: $B/bench/bench_dpsgd"
"$B/bench/bench_dpsgd" || status=1
echo "== DP-SGD conv step vs PyTorch (Opacus-style): $B/bench/bench_net (PSG ConvNet) and --model dcgan (GS-WGAN discriminator)"
"$B/bench/bench_net" || status=1
"$B/bench/bench_net" --model dcgan || status=1
if [ -f "$ADULT/adult.csv" ]; then
  echo "== MST / PrivBayes on coded Adult: $B/bench/bench_mst $ADULT/adult.csv $ADULT/adult-domain.json"
  "$B/bench/bench_mst" "$ADULT/adult.csv" "$ADULT/adult-domain.json" || status=1
else
  echo "== MST / PrivBayes: skipped ($ADULT/adult.csv not found; set ADULT=DIR)"
fi
if [ -f "$ADULT/adult.csv" ]; then
  echo "== AIM / Private-GSD beside MST on coded Adult: $B/bench/bench_tabgen $ADULT/adult.csv $ADULT/adult-domain.json 3"
  "$B/bench/bench_tabgen" "$ADULT/adult.csv" "$ADULT/adult-domain.json" 3 || status=1
else
  echo "== AIM / Private-GSD: skipped ($ADULT/adult.csv not found; set ADULT=DIR)"
fi
if [ -f "$ADULT/adult.csv" ]; then
  echo "== linear reconstruction LP (GLPK) vs scipy HiGHS: $B/bench/bench_recon $ADULT/adult.csv $ADULT/adult-domain.json 5"
  "$B/bench/bench_recon" "$ADULT/adult.csv" "$ADULT/adult-domain.json" 5 || status=1
else
  echo "== linear reconstruction: skipped ($ADULT/adult.csv not found; set ADULT=DIR)"
fi
echo "== reconstruction LP: Clp (grouped) vs scipy HiGHS, recon LPs n = 1,000/4,000/16,000 and the audit LPs: $B/bench/bench_lp $ADULT/adult.csv $ADULT/adult-domain.json $B/data"
"$B/bench/bench_lp" "$ADULT/adult.csv" "$ADULT/adult-domain.json" "$B/data" || status=1
echo "== a fixed-game trial's inner loops (discrete draws, cell counts) vs GSL and the plain loop: $B/bench/bench_sample"
"$B/bench/bench_sample" || status=1
echo "== DCR membership game (HealthInsurance, 3,000 trials) vs numpy: $B/bench/bench_dcr_game"
"$B/bench/bench_dcr_game" bench/dcr-game.json "$B/data/healthinsurance.csv" "$B/data/healthinsurance.schema.json" || status=1
if [ -f "$ADULT/adult.csv" ]; then
  echo "== scaling (issue 16): --jobs 2 over --jobs 1, shards + merge, growth with games: bench/scale.sh $B"
  ADULT="$ADULT" bash bench/scale.sh "$B" || status=1
else
  echo "== scaling: skipped ($ADULT/adult.csv not found; set ADULT=DIR)"
fi
echo "== Bayesian interval vs scipy dblquad (takes minutes: the reference is slow): $B/bench/bench_bayes"
"$B/bench/bench_bayes" || status=1
exit $status
