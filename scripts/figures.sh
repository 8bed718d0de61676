#!/usr/bin/env bash
# scripts/figures.sh BUILD — the gallery docs/figures.md (make figures): real runs, their reports drawn
# by privaudit report, and the PNGs the gallery shows copied into docs/figures/.
#
#   HealthInsurance  configs/figures-healthinsurance.json (make data)
#   coded Adult      configs/figures-adult.json, read from $ADULT (default ../shared/data/adult)
#   white-box sweep  privaudit whitebox: threat all and final, epsilon 0.5..8, a planted bug
#   recon sweep      privaudit recon on Adult: resample, marginals, mst, privbayes, m = 10..10^4
#   gradinv grid     privaudit gradinv on digits: analytic and Inverting Gradients, B = 1, 4
#
# The reports are drawn in --style screen (the gallery is read on a screen); a PNG is copied into
# docs/figures/ only when it is under 200 KB. Environment: ADULT, JOBS (default 2), STYLE, and
# REUSE=1 to redraw the reports and the gallery from the databases of an earlier run.
set -euo pipefail
BUILD=${1:-build}
OUT="$BUILD/figures"
ADULT=${ADULT:-../shared/data/adult}
JOBS=${JOBS:-2}
STYLE=${STYLE:-screen}
P=./privaudit
GALLERY=docs/figures
MAX_PNG=200000

[ -x "$P" ] || { echo "figures.sh: build privaudit first (make)" >&2; exit 1; }
[ -f "$BUILD/data/healthinsurance.csv" ] || { echo "figures.sh: $BUILD/data/healthinsurance.csv missing: make data" >&2; exit 1; }
[ -f "$BUILD/data/digits.csv" ] || { echo "figures.sh: $BUILD/data/digits.csv missing: make data" >&2; exit 1; }
[ -f "$ADULT/adult.csv" ] || { echo "figures.sh: $ADULT/adult.csv missing: set ADULT to the coded Adult's folder" >&2; exit 1; }
ADULT=$(cd "$ADULT" && pwd)
t0=$(date +%s)
step() { echo "[figures] $* ($(( $(date +%s) - t0 )) s)" >&2; }
if [ "${REUSE:-0}" != 1 ]; then
rm -rf "$OUT"
mkdir -p "$OUT" "$GALLERY"

step "membership run on HealthInsurance"
$P run configs/figures-healthinsurance.json --db "$OUT/healthinsurance.db" --jobs "$JOBS" --quiet
step "membership run on the coded Adult"
sed "s|../../shared/data/adult|$ADULT|g" configs/figures-adult.json > "$OUT/figures-adult.json"
$P run "$OUT/figures-adult.json" --db "$OUT/adult.db" --jobs "$JOBS" --quiet
step "white-box sweep"
for eps in 0.5 1 2 4 8; do
  $P whitebox --epsilon $eps --threat all --runs 2000 --canaries 16 --jobs "$JOBS" --db "$OUT/whitebox.db" > /dev/null 2>&1
  $P whitebox --epsilon $eps --threat final --steps 4 --q 0.5 --runs 2000 --canaries 16 --jobs "$JOBS" \
    --db "$OUT/whitebox.db" > /dev/null 2>&1
done
for eps in 1 2 4; do
  $P whitebox --epsilon $eps --threat all --bug noise_div10 --runs 2000 --canaries 16 --jobs "$JOBS" \
    --db "$OUT/whitebox.db" > /dev/null 2>&1
done
step "reconstruction sweep on the coded Adult"
for g in resample marginals mst privbayes; do
  E=1,10,100; [ $g = resample ] && E=inf
  $P recon --data "$ADULT/adult.csv" --schema "$ADULT/adult-domain.json" --generator $g --epsilon $E \
    --n 500 --m 10,100,1000,10000 --games 40 --jobs "$JOBS" --seed 2024 \
    --qi workclass,education-num,marital-status,occupation,relationship,sex --secret 'income>50K' \
    --db "$OUT/recon.db" --out "$OUT/recon-$g" > /dev/null 2>&1
done
step "gradient inversion on digits"
D="$BUILD/data"
$P gradinv --data "$D/digits.csv" --schema "$D/digits.schema.json" --batch 1,4 --sigma 0,0.001,0.01,0.3 --clip 1 \
  --attack analytic --batches 6 --tag digits --db "$OUT/gradinv.db" --out "$OUT/gradinv-analytic" --jobs "$JOBS" > /dev/null
$P gradinv --data "$D/digits.csv" --schema "$D/digits.schema.json" --batch 4 --sigma 0,0.01,0.3 --clip 1 \
  --attack ig --iters 300 --batches 2 --tag digits --db "$OUT/gradinv.db" --out "$OUT/gradinv-ig" --jobs "$JOBS" > /dev/null
fi
step "reports"
mkdir -p "$GALLERY"
for k in healthinsurance whitebox recon gradinv; do
  $P report --db "$OUT/$k.db" --out "$OUT/$k-report" --style "$STYLE" --quiet
done
# Adult's privacy-utility figure in TSTR AUC, with its real-data reference line
$P report --db "$OUT/adult.db" --out "$OUT/adult-report" --style "$STYLE" --utility tstr_auc --quiet
$P report --db "$OUT/healthinsurance.db" --out "$OUT/healthinsurance-paper" --style paper --quiet
step "gallery"

# copy a report's PNG into the gallery if small enough; prints the Markdown that shows it
shown=0; skipped=""
show() { # show REPORT FIGURE CAPTION
  local src="$OUT/$1-report/$2.png" dst="$GALLERY/$1-$2.png" size
  [ -f "$src" ] || { echo "figures.sh: $src missing" >&2; exit 1; }
  size=$(stat -c %s "$src")
  if [ "$size" -lt $MAX_PNG ]; then
    cp "$src" "$dst"; shown=$((shown + 1))
    printf '![%s](figures/%s-%s.png)\n\n*%s* (%s KB; `make figures` leaves it in `build/figures/%s-report/` with its PDF, SVG, `.dat` and `.gp`)\n\n' \
      "$2" "$1" "$2" "$3" "$((size / 1000))" "$1"
  else
    rm -f "$dst"; skipped="$skipped $1/$2"
    printf '*%s* (`build/figures/%s-report/%s.png`, %s KB: over the 200 KB the repository keeps; run `make figures` to draw it)\n\n' \
      "$3" "$1" "$2" "$((size / 1000))"
  fi
}
# the bold verdict sentences of a report
verdict() { grep -h '\*\*' "$OUT/$1-report/report.md" | grep -v '^|' | sed 's/^/> /' || true; echo; }

rm -f "$GALLERY"/*.png
{
cat <<EOF
# Figure gallery

Every kind of figure \`privaudit report\` draws, from real runs: written by \`make figures\`
(\`scripts/figures.sh\`), which runs the experiments below, draws their reports with
\`--style $STYLE\` and copies the PNGs shown here into \`docs/figures/\` (PNGs over 200 KB are not
kept). Each figure also exists as PDF and SVG, with the data (\`.dat\`) and the gnuplot script
(\`.gp\`) an author edits to restyle it; \`--style paper\` (the default) draws them 3.5 in wide in 8 pt.
How they are drawn: [report.md](report.md). Drawn $(date -u +%Y-%m-%d) by privaudit $(git describe --always --dirty 2>/dev/null || echo unknown).

## Membership inference on HealthInsurance

\`privaudit run configs/figures-healthinsurance.json\`: the non-private \`resample\` reference and
\`marginals\`, \`mst\`, \`privbayes\` at ε = 1, 4, 16 and ∞, attacks \`dcr\`, \`ganleaks\`, \`domias\`,
\`query\` on 2 isolated targets, 200 games per setting (train 400, release 400).

EOF
verdict healthinsurance
show healthinsurance eps "Empirical ε against the claimed ε, one panel per generator: the Bayesian credible interval of each attack (bar), its lower end (marker), the claim (segment). ∞ has its own slot past the break."
show healthinsurance utility "Privacy-utility: the utility metric that best separates the settings (mean ± standard error over the 200 releases of a setting) against the claimed ε, and against the strongest attack's empirical ε interval."
show healthinsurance roc "ROC of every attack pooled over targets and games, one panel per setting; the best attack (largest AUC) thick."
show healthinsurance roc-log "The same on log-log axes (the low false-positive region)."
show healthinsurance posterior "Posterior density of ε for every setting with a finite claim: every attack, the strongest one's credible interval shaded, the claim dashed (or named at the right edge when it lies far beyond the posterior)."
cat <<EOF
## Membership inference on the coded UCI Adult

\`privaudit run configs/figures-adult.json\` (the coded Adult beside the checkout, never committed):
the same generators at ε = 1, 10, 100 and ∞, the same attacks, 100 games per setting (train 500, release 500).

EOF
verdict adult
show adult eps "Empirical ε against the claimed ε on Adult."
show adult utility "Privacy-utility on Adult, drawn with --utility tstr_auc: the AUC of a logistic regression trained on each release and tested on the real holdout, predicting income>50K; dashed, the same classifier trained on the real training sets."
show adult roc "ROC per setting on Adult."
cat <<EOF
## White-box DP-SGD audit

\`privaudit whitebox\` into one database: threat \`all\` (T = 1, q = 1) and \`final\` (T = 4, q = 0.5) at
ε = 0.5, 1, 2, 4, 8, and the planted bug \`noise_div10\` (noise divided by 10, the claim unchanged) at
ε = 1, 2, 4; 2,000 trainings × 16 canaries each.

EOF
verdict whitebox
show whitebox whitebox_tightness "Tightness: each estimator's lower bound over the accountant's ε, against the claimed ε, one panel per estimator (the GDP fit's in units of μ: μ_lo / μ_theory). Above 1: a violation (the planted bug)."
show whitebox whitebox_scores "Scores of the canaries, members and non-members, with the threshold chosen on the calibration runs."
cat <<EOF
## Linear reconstruction on the coded Adult

\`privaudit recon\` with n = 500, m = 10 … 10⁴, 40 games per point, QIs workclass, education-num,
marital-status, occupation, relationship, sex and the secret income>50K: \`resample\` and
\`marginals\`, \`mst\`, \`privbayes\` at ε = 1, 10, 100, into one database.

EOF
verdict recon
show recon recon_m "Target accuracy (95% Clopper-Pearson interval) of the LP reconstruction and its two comparators against m, one panel per generator and ε; 0.5 is a guess."
show recon recon_tvd "Target accuracy against the releases' 3-way TVD, one panel per attack."
cat <<EOF
## Gradient inversion on digits

\`privaudit gradinv\` on the 8×8 digits: the analytic attack at B = 1, 4 and Inverting Gradients at
B = 4, each without noise and with DP-SGD noise σ (clip C = 1).

EOF
verdict gradinv
show gradinv gradinv_grid "The first batch of every setting: originals on the left, reconstructions on the right under the column of their matched original, each with its PSNR."
show gradinv gradinv_eps "Mean PSNR against the ε of the training, with the data-independent guesses."
if [ "${REUSE:-0}" = 1 ]; then
  echo "$shown figures shown${skipped:+; not kept (over 200 KB):$skipped}; the reports were redrawn from the databases of an earlier \`make figures\` (REUSE=1)."
else
  echo "$shown figures shown${skipped:+; not kept (over 200 KB):$skipped}. \`make figures\` took $(( $(date +%s) - t0 )) s (load average $(cut -d' ' -f1-3 /proc/loadavg))."
fi
} > docs/figures.md.tmp
mv docs/figures.md.tmp docs/figures.md
step "docs/figures.md written ($shown figures${skipped:+; over 200 KB:$skipped})"
