#!/usr/bin/env bash
# scripts/demo.sh [BUILD] — what `make demo` runs: fetch HealthInsurance, play
# configs/quickstart.json into BUILD/demo.db (default build/), draw its report
# into BUILD/demo-report. Safe to run again: an existing BUILD/demo.db is
# resumed (stored trials are kept, the missing ones run, the metrics are
# recomputed); one holding another experiment (the config, data or seed
# changed) is moved to BUILD/demo.db.old and the demo starts over.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
bash data/fetch.sh "$B/data" healthinsurance
db=$B/demo.db
run() { ./privaudit run configs/quickstart.json --db "$db" --jobs 2 "$@"; }
if [ -f "$db" ]; then
    echo "demo: reusing $db (its stored trials are kept; delete it to start over)" >&2
    log=$(mktemp)
    # stderr goes to the terminal and to $log (stdout stays stdout)
    if ! { run --resume 2>&1 >&3 | tee "$log" >&2; } 3>&1; then
        if grep -q "the database holds an experiment" "$log"; then
            echo "demo: $db holds another experiment: moving it to $db.old and starting over" >&2
            mv -f "$db" "$db.old"
            rm -f "$db-wal" "$db-shm"
            rm -f "$log"
            run
        else
            rm -f "$log"
            exit 1
        fi
    fi
    rm -f "$log"
else
    run
fi
./privaudit report --db "$db" --out "$B/demo-report"
