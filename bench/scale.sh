#!/usr/bin/env bash
# bench/scale.sh BUILD [part...] — issue 16 (docs/cluster.md): how a run scales on one machine.
#   jobs     --jobs 2 over --jobs 1, side by side: make repro-tapas's config, and a 1,000-game
#            Adult cell with 3 isolated targets and 4 attacks
#   shards   a 20,000-game cell: --jobs 2, against 4 shards run two at a time (--jobs 1 each)
#            and merged (the merge's own cost apart); the merge must equal the single run
#   growth   run time and database size of that cell at 1,000, 4,000 and 16,000 games
# Default: all three. Needs the coded Adult (ADULT=DIR, default ../shared/data/adult). Each figure
# is printed with the load average before and after it: timings on a shared machine move with it.
set -uo pipefail
B=${1:-build}
shift || true
parts=${*:-jobs shards growth}
ADULT=$(cd "${ADULT:-../shared/data/adult}" 2>/dev/null && pwd) || { echo "bench/scale.sh: no coded Adult (set ADULT=DIR)"; exit 0; }
P=$(pwd)/privaudit
DUMP=$B/tests/dbdump
W=$(mkdir -p "$B/bench-scale" && cd "$B/bench-scale" && pwd)
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "== machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load $(load)"

# a config on the coded Adult: cell NAME GAMES TARGETS ATTACKS [SHADOW_GAMES]
cell() {
    local sg=""
    [ -n "${5:-}" ] && sg="\"shadow_games\": $5,"
    cat >"$W/$1.json" <<EOF
{"format": "privaudit-config/1", "name": "$1", "seed": 20261123,
 "data": {"csv": "$ADULT/adult.csv", "schema": "$ADULT/adult-domain.json"},
 "split": {"aux": 0.25, "holdout": 0.1}, "train_size": 500, "synth_size": 500, "games": $2, $sg
 "targets": {"select": "isolated", "count": $3},
 "generators": [{"name": "mst", "epsilon": 10, "delta": 1e-5}], "attacks": [$4]}
EOF
    echo "$W/$1.json"
}

# wall seconds of a command (its output to $W/last.log)
wall() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >"$W/last.log" 2>&1 || { echo "FAILED: $*"; tail -3 "$W/last.log"; return 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
sum() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a + b }'; }

if [[ " $parts " == *" jobs "* ]]; then
    tapas=$W/tapas-adult.json
    sed "s#../../shared/data/adult#$ADULT#g" configs/tapas-adult.json >"$tapas"
    iso=$(cell adult-iso-1k 1000 3 '{"name": "dcr"}, {"name": "ganleaks", "params": {"calibrate": true}}, {"name": "domias"}, {"name": "query"}')
    for cfg in "$tapas" "$iso"; do
        name=$(basename "$cfg" .json)
        l0=$(load)
        rm -f "$W/$name-j1.db"* "$W/$name-j2.db"*
        t1=$(wall "$P" run "$cfg" --db "$W/$name-j1.db" --jobs 1 --quiet) || exit 1
        t2=$(wall "$P" run "$cfg" --db "$W/$name-j2.db" --jobs 2 --quiet) || exit 1
        echo "== $name: --jobs 1 ${t1}s, --jobs 2 ${t2}s: $(ratio "$t1" "$t2")x (load before $l0, after $(load))"
        echo "   reproduce: ./privaudit run $cfg --db A.db --jobs 1; ./privaudit run $cfg --db B.db --jobs 2"
        if [ -x "$DUMP" ]; then
            cmp -s <("$DUMP" "$W/$name-j1.db") <("$DUMP" "$W/$name-j2.db") && echo "   the two databases are equal (but timings)" ||
                echo "   DIFFER: --jobs changed the results"
        fi
    done
fi

big_attacks='{"name": "shadow", "label": "shadow-lr", "params": {"classifier": "logreg"}}, {"name": "dcr"}, {"name": "domias"}'
if [[ " $parts " == *" shards "* ]]; then
    cfg=$(cell adult-cell-20k 20000 1 "$big_attacks" 1000)
    rm -f "$W"/cell20k*.db*
    l0=$(load)
    tj=$(wall "$P" run "$cfg" --db "$W/cell20k-j2.db" --jobs 2 --quiet) || exit 1
    echo "== 20,000-game cell, --jobs 2: ${tj}s (load before $l0, after $(load))"
    l0=$(load)
    ts=$(wall bash -c "printf '%s\n' 0 1 2 3 | xargs -P 2 -I{} '$P' run '$cfg' --shard {}/4 --db '$W/cell20k-s{}.db' --jobs 1 --quiet") || exit 1
    tm=$(wall "$P" merge "$W/cell20k-merged.db" "$W"/cell20k-s[0-3].db --jobs 2) || exit 1
    echo "== the same as 4 shards two at a time (--jobs 1 each): ${ts}s, then merge --jobs 2: ${tm}s;" \
         "total $(sum "$ts" "$tm")s = $(ratio "$(sum "$ts" "$tm")" "$tj")x the --jobs 2 run (load before $l0, after $(load))"
    grep "\[merge\] done" "$W/last.log" | sed 's/^/   /'
    echo "   shard databases $(du -cb "$W"/cell20k-s[0-3].db | tail -1 | cut -f1) bytes, merged $(stat -c %s "$W/cell20k-merged.db") bytes"
    echo "   reproduce: for i in 0 1 2 3; do echo \$i; done | xargs -P 2 -I{} ./privaudit run $cfg --shard {}/4 --db s{}.db --jobs 1; ./privaudit merge m.db s?.db --jobs 2"
    if [ -x "$DUMP" ]; then
        cmp -s <("$DUMP" "$W/cell20k-j2.db") <("$DUMP" "$W/cell20k-merged.db") && echo "   merged = the --jobs 2 run (every table but timings)" ||
            echo "   DIFFER: the merge is not the single run"
    fi
fi

if [[ " $parts " == *" growth "* ]]; then
    for g in 1000 4000 16000; do
        cfg=$(cell "adult-cell-$g" "$g" 1 "$big_attacks" 1000)
        rm -f "$W/growth-$g.db"*
        l0=$(load)
        t=$(wall "$P" run "$cfg" --db "$W/growth-$g.db" --jobs 2 --quiet) || exit 1
        sz=$(stat -c %s "$W/growth-$g.db")
        echo "== $g games (+1,000 shadow releases), --jobs 2: ${t}s, database $((sz / 1024)) KiB (load before $l0, after $(load))"
    done
    echo "   reproduce: ./privaudit run $W/adult-cell-GAMES.json --db G.db --jobs 2"
fi
