#!/usr/bin/env bash
# fuzz/run.sh BUILD SECONDS JOBS NAME... — what `make fuzz` runs (docs/fuzzing.md).
# Runs each harness BUILD/fuzz/fuzz_NAME for SECONDS on its corpus
# BUILD/corpus/NAME (kept between runs; new inputs go there), seeded from
# BUILD/seeds/NAME, JOBS harnesses at a time, one process each. Crashes go
# to BUILD/crashes/NAME/, logs to BUILD/logs/NAME.log. Exit 1 if any harness
# found a crash, a leak, a timeout or an out-of-memory.
set -uo pipefail
B=$1 S=$2 J=$3
shift 3
mkdir -p "$B/logs"
one() {
    local n=$1 B=$2 S=$3
    mkdir -p "$B/corpus/$n" "$B/crashes/$n"
    "$B/fuzz/fuzz_$n" -max_total_time="$S" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$B/crashes/$n/" "$B/corpus/$n" "$B/seeds/$n" >"$B/logs/$n.log" 2>&1
    local rc=$?
    local runs cov
    runs=$(grep -E '^stat::number_of_executed_units' "$B/logs/$n.log" | awk '{print $2}')
    cov=$(grep -oE 'cov: [0-9]+' "$B/logs/$n.log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "fuzz $n: clean, ${runs:-?} inputs in ${S} s, ${cov:-cov: ?}, corpus $(ls "$B/corpus/$n" | wc -l) files"
    else
        echo "fuzz $n: FAILED (exit $rc) after ${runs:-?} inputs: see $B/logs/$n.log and $B/crashes/$n/"
        grep -E 'ERROR|fuzz property broken|SUMMARY' "$B/logs/$n.log" | head -n 5
    fi
    return $rc
}
export -f one
printf '%s\n' "$@" | xargs -P "$J" -I{} bash -c 'one "$@"' _ {} "$B" "$S"
