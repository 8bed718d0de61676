#!/usr/bin/env bash
# scripts/check-violations.sh [SEEDS_BUG SEEDS_OK] — issue 11, must-show 2 (`make check-violations`).
# The fixed game (one D of HealthInsurance records for every game, given whole to the attacker),
# one crafted target, the `marginal` attack, δ = 1e-5: every planted accounting bug of `marginals`,
# `mst` and `aim` is played with SEEDS_BUG experiment seeds (default 10), each correct generator with
# SEEDS_OK (default 20), at the audit level CHECK_ALPHA (default 0.002, below). CHECK_INFO=1 adds the bugs
# that are printed but not required. `marginals`' bug is put on a column where the crafted target's value is
# absent from D (age at its schema bound), where one noiseless count shows the target; a noiseless
# column where the target is an ordinary value would be hidden by the sampling noise of m records. A cell counts as flagged when
# its verdict in the report (verdicts.csv) is VIOLATION: all of its tests — the Bayesian test at the chosen
# threshold and the profile test, pooled and per target — weighed together with a Bonferroni correction
# (audit/verdict.h, docs/metrics.md), exactly what a user reads. The script fails
# unless every bug that must be caught is flagged in >= 90% of its seeds and no correct generator in
# any. Bugs whose size the black-box attack cannot see (MST's and AIM's 2-3x rho bugs) are printed,
# not required: docs/audit-games.md says why. Needs build/data/healthinsurance.csv (make data).
set -uo pipefail
SB=${1:-10}
SO=${2:-20}
# the audit level: VIOLATION when a one-sided (1 - ALPHA/2) bound or posterior probability says so.
# "never in 20 correct runs" needs a false-alarm rate well below 1/20 even for a near-optimal attack,
# whose operating point sits on the claim's boundary: 0.001 per run (ALPHA = 0.002), not the default 0.05.
ALPHA=${CHECK_ALPHA:-0.002}
P=$(pwd)/privaudit
DATA=$(pwd)/build/data
W=$(mkdir -p build/check-violations && cd build/check-violations && pwd)
[ -f "$DATA/healthinsurance.csv" ] || { echo "check-violations: no $DATA/healthinsurance.csv (run make data)"; exit 2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "== check-violations: $SB seeds per bug, $SO per correct generator, audit alpha $ALPHA; $(date -u +%H:%MZ), load $(load)"

# config NAME SEED GAMES TRAIN SYNTH NEIGHBOURS GENERATORS_JSON
config() {
    cat >"$W/$1-$2.json" <<JSON
{"format": "privaudit-config/1", "name": "$1", "seed": $2,
 "data": {"csv": "$DATA/healthinsurance.csv", "schema": "$DATA/healthinsurance.schema.json"},
 "game": "fixed", "neighbours": "$6", "train_size": $4, "synth_size": $5, "games": $3, "calibration": 0.5,
 "targets": {"select": "crafted", "count": 1},
 "generators": [$7],
 "attacks": [{"name": "marginal"}], "audit": {"alpha": $ALPHA, "delta": 1e-5}, "utility": {"tvd": []}}
JSON
    echo "$W/$1-$2.json"
}

G='"epsilon": 1, "delta": 1e-5'
# AIM with 20 rounds (its default is 16 per column): the same accounting, a shorter fit
AIM='"rounds": 20'
# label|set|config name|games|n|m|neighbours|generator (the cells of one config share its games)
cells=(
  "marginals|ok|tabok|2000|1000|5000|add-remove|{\"name\": \"marginals\", $G}"
  "mst|ok|tabok|2000|1000|5000|add-remove|{\"name\": \"mst\", $G}"
  "aim|ok|aimok|200|500|2000|add-remove|{\"name\": \"aim\", $G, \"params\": {$AIM}}"
  "marginals bug_noiseless_column=1 (age)|must|margbug|8000|1000|20000|add-remove|{\"name\": \"marginals\", $G, \"params\": {\"bug_noiseless_column\": 1}}"
  "mst bug_noise_divisor=10|must|mstbug|4000|1000|20000|add-remove|{\"name\": \"mst\", $G, \"params\": {\"bug_noise_divisor\": 10}}"
  "aim bug_noise_divisor=10|must|aimbug|600|500|8000|add-remove|{\"name\": \"aim\", $G, \"params\": {$AIM, \"bug_noise_divisor\": 10}}"
  "mst bug_full_rho_per_phase (3 rho)|info|mstinfo|2000|1000|5000|add-remove|{\"name\": \"mst\", $G, \"params\": {\"bug_full_rho_per_phase\": 1}}"
  "aim bug_full_rho_per_phase (1.95 rho)|info|aiminfo|200|500|2000|add-remove|{\"name\": \"aim\", $G, \"params\": {$AIM, \"bug_full_rho_per_phase\": 1}}"
  "mst bug_replace_one_sensitivity (8/3 rho)|info|r1|2000|1000|5000|replace-one|{\"name\": \"mst\", $G, \"params\": {\"bug_replace_one_sensitivity\": 1}}"
  "aim bug_replace_one_sensitivity (2.2 rho)|info|r1aim|200|500|2000|replace-one|{\"name\": \"aim\", $G, \"params\": {$AIM, \"bug_replace_one_sensitivity\": 1}}"
)
declare -A flagged seeds
status=0
groups=${CHECK_GROUPS:-"mstbug aimbug margbug tabok aimok"}
[ "${CHECK_INFO:-0}" = 1 ] && groups="$groups mstinfo aiminfo r1 r1aim"
for name in $groups; do
    gens="" games="" n="" m="" nb="" labels=()
    for c in "${cells[@]}"; do
        IFS='|' read -r label set cname g nn mm nbr gen <<<"$c"
        [ "$cname" = "$name" ] || continue
        gens="${gens:+$gens, }$gen"; games=$g; n=$nn; m=$mm; nb=$nbr; labels+=("$label|$set")
    done
    # correct generators get SO seeds, bugs SB (a config holds one kind)
    ns=$SB
    [ "${labels[0]##*|}" = ok ] && ns=$SO
    t0=$(date +%s)
    for s in $(seq 1 "$ns"); do
        cfg=$(config "$name" "$((20261200 + s))" "$games" "$n" "$m" "$nb" "$gens")
        db="$W/$name-$s.db"
        rm -f "$db" "$db"-*
        "$P" run "$cfg" --db "$db" --jobs 2 --quiet >"$W/$name-$s.log" 2>&1 || { echo "FAILED: $P run $cfg (see $W/$name-$s.log)"; tail -3 "$W/$name-$s.log"; exit 1; }
        # the setting's verdict as the report draws it: all of its tests, Bonferroni (audit/verdict.h)
        rm -rf "$W/$name-$s.report"
        "$P" report --db "$db" --out "$W/$name-$s.report" --no-figures --quiet >/dev/null 2>&1 ||
            { echo "FAILED: $P report --db $db"; exit 1; }
        for i in "${!labels[@]}"; do
            l=${labels[$i]}
            # row i + 2 of verdicts.csv is cell i (one line per setting, the header first)
            v=$(sed -n "$((i + 2))p" "$W/$name-$s.report/verdicts.csv" | grep -c VIOLATION)
            flagged[$l]=$(( ${flagged[$l]:-0} + v ))
            seeds[$l]=$(( ${seeds[$l]:-0} + 1 ))
        done
    done
    echo "   ($name: $ns seeds x ${#labels[@]} cells x $games games, n = $n, m = $m, $nb, in $(( $(date +%s) - t0 )) s, load $(load))"
done
echo "| generator | flagged VIOLATION | required |"
echo "|---|--:|---|"
for c in "${cells[@]}"; do
    IFS='|' read -r label set _ <<<"$c"
    k="$label|$set"
    [ -n "${seeds[$k]:-}" ] || continue
    f=${flagged[$k]:-0} t=${seeds[$k]:-0}
    case $set in
        ok) req="never"; [ "$f" -eq 0 ] || status=1 ;;
        must) req=">= 90% of seeds"; [ $((10 * f)) -ge $((9 * t)) ] || status=1 ;;
        info) req="(not required: below what the attack sees)" ;;
    esac
    echo "| $label | $f / $t | $req |"
done
[ $status -eq 0 ] && echo "check-violations: passed" || echo "check-violations: FAILED"
exit $status
