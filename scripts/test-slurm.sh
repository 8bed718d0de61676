#!/usr/bin/env bash
# make test-slurm: a real SLURM run of privaudit's shards on this machine.
#
# Starts munged, slurmctld and slurmd as a one-node cluster with 2 CPUs, all
# configured in a temporary folder (its own slurm.conf, munge key and socket,
# state and spool folders, two free unprivileged ports), writes a small
# config with a shadow-model attack, lets `privaudit slurm` write the job
# array, submits it, waits (bounded), and checks that the merge SLURM ran
# equals a single run of the config in every table but timings. squeue and
# scontrol output go to the log. Every daemon it started is stopped by PID
# on every exit path, and the script fails if one is left.
#
# Needs root (slurmd runs jobs as their user) and the packages of
# scripts/install-deps.sh --cluster. Usage: scripts/test-slurm.sh [BUILD]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
BIN=${PRIVAUDIT_BIN:-$ROOT/privaudit}
DUMP="$BUILD/tests/dbdump"
WAIT_S=${TEST_SLURM_WAIT:-600}   # bound on the array + merge, in seconds
SHARDS=4

say() { echo "[test-slurm] $*"; }
die() { echo "[test-slurm] FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (slurmd starts the jobs' processes as their user)"
for c in munged munge slurmctld slurmd sbatch squeue scontrol scancel; do
    command -v "$c" >/dev/null || die "$c not found: scripts/install-deps.sh --cluster"
done
[ -x "$BIN" ] || die "$BIN not built (make)"
[ -x "$DUMP" ] || die "$DUMP not built (make $BUILD/tests/dbdump)"

STEPD_BEFORE=$(pgrep -x slurmstepd | sort || true)
T=$(mktemp -d /tmp/privaudit-slurm-XXXXXX)
chmod 755 "$T"
PIDS=()          # daemons started here, in start order
NAMES=()

stop_all() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [ ${#PIDS[@]} -gt 1 ] && kill -0 "${PIDS[1]}" 2>/dev/null; then
        scancel --quiet --full -u root 2>/dev/null   # only this cluster's jobs: SLURM_CONF points at it
    fi
    for ((k = ${#PIDS[@]} - 1; k >= 0; k--)); do   # slurmd, slurmctld, munged
        local p=${PIDS[k]}
        kill -TERM "$p" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$p" 2>/dev/null; then
            say "${NAMES[k]} (pid $p) ignored SIGTERM: SIGKILL"
            kill -KILL "$p" 2>/dev/null
        fi
        wait "$p" 2>/dev/null
    done
    local left
    left=$(pgrep -f "$T" || true)
    if [ -n "$left" ]; then
        say "left running: $(ps -o pid=,args= -p $(echo $left | tr ' ' ,))"
        kill -KILL $left 2>/dev/null
        rc=1
    else
        say "daemons stopped: ${#PIDS[@]} started, none left running (pgrep -f $T finds nothing)"
    fi
    local stepd=""
    for _ in $(seq 50); do   # a job's step daemon may take a moment to exit after the job
        stepd=$(comm -13 <(echo "$STEPD_BEFORE") <(pgrep -x slurmstepd | sort) | tr '\n' ' ')
        [ -z "${stepd// /}" ] && break
        sleep 0.2
    done
    if [ -n "${stepd// /}" ]; then
        say "slurmstepd processes of this cluster still running after 10s: $stepd (SIGKILL)"
        kill -KILL $stepd 2>/dev/null
        rc=1
    fi
    if [ "$rc" -eq 0 ]; then
        rm -rf "$T"
    else
        say "kept $T for inspection (logs: slurmctld.log slurmd.log munged.log shared/logs/)"
    fi
    exit "$rc"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

free_port() { # a TCP port nothing listens on, in 20000..59999, not in $1
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 40000))
        [ "$p" = "${1:-}" ] && continue
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return; fi
    done
    die "no free port"
}

# ---- munge: its own key, socket, pid, log and seed files ----
mkdir -p "$T/munge"
chmod 711 "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge/munge.key"
SOCK="$T/munge/munge.socket"
munged -F -f --key-file="$T/munge/munge.key" --socket="$SOCK" --pid-file="$T/munge/munged.pid" \
    --log-file="$T/munge/munged.log" --seed-file="$T/munge/munged.seed" >"$T/munged.out" 2>&1 &
PIDS+=($!); NAMES+=(munged)
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
munge -S "$SOCK" -n | unmunge -S "$SOCK" >/dev/null || die "munge does not answer on $SOCK ($(cat "$T/munged.out"))"
say "munged pid ${PIDS[0]}, socket $SOCK"

# ---- SLURM: one node (this machine, 2 CPUs), one partition ----
H=$(hostname -s)
P1=$(free_port)
P2=$(free_port "$P1")
mkdir -p "$T/state" "$T/spool" "$T/shared"
cat >"$T/slurm.conf" <<EOF
# written by scripts/test-slurm.sh
ClusterName=privaudit-test
SlurmctldHost=$H(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$P1
SlurmdPort=$P2
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$T/jobcomp.log
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
MinJobAge=3600
NodeName=$H NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$T/slurm.conf"
slurmctld -D -f "$SLURM_CONF" >"$T/slurmctld.out" 2>&1 &
PIDS+=($!); NAMES+=(slurmctld)
for _ in $(seq 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.2; done
scontrol ping >/dev/null 2>&1 || die "slurmctld did not come up: $(tail -5 "$T/slurmctld.log" 2>/dev/null)"
slurmd -D -f "$SLURM_CONF" >"$T/slurmd.out" 2>&1 &
PIDS+=($!); NAMES+=(slurmd)
for _ in $(seq 100); do
    state=$(sinfo -h -n "$H" -o %t 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.2
done
[ "$state" = idle ] || die "node $H is \"$state\", not idle: $(tail -5 "$T/slurmd.log" 2>/dev/null)"
say "slurmctld pid ${PIDS[1]} (port $P1), slurmd pid ${PIDS[2]} (port $P2); config $SLURM_CONF"
sinfo -N -o "%N %c %t %P"

# ---- a small experiment: fixture data, two cells, a shadow attack ----
awk 'BEGIN { s = 4242; print "colour,size,region,age,income"; print "violet,XL,north,99,250000";
             split("red green blue", C, " "); split("S M L", Z, " "); split("east west south", R, " ");
             for (i = 1; i < 1200; i++) {
                 s = (s * 1103515245 + 12345) % 2147483648; c = C[1 + int(s / 65536) % 3];
                 s = (s * 1103515245 + 12345) % 2147483648; z = Z[1 + int(s / 65536) % 3];
                 s = (s * 1103515245 + 12345) % 2147483648; r = R[1 + int(s / 65536) % 3];
                 s = (s * 1103515245 + 12345) % 2147483648; a = 20 + int(s / 65536) % 40;
                 s = (s * 1103515245 + 12345) % 2147483648; m = 20000 + 1000 * (int(s / 65536) % 60);
                 print c "," z "," r "," a "," m } }' >"$T/data.csv"
cat >"$T/schema.json" <<'EOF'
{"format": "privaudit-schema/1", "columns": [
 {"name": "colour", "type": "categorical", "labels": ["red", "green", "blue", "violet"]},
 {"name": "size", "type": "categorical", "labels": ["S", "M", "L", "XL"]},
 {"name": "region", "type": "categorical", "labels": ["east", "west", "south", "north"]},
 {"name": "age", "type": "numeric", "min": 0, "max": 100, "integer": true},
 {"name": "income", "type": "numeric", "min": 0, "max": 300000}]}
EOF
cat >"$T/slurmtest.json" <<'EOF'
{"format": "privaudit-config/1", "name": "slurmtest", "seed": 31,
 "data": {"csv": "data.csv", "schema": "schema.json"},
 "split": {"aux": 0.4, "holdout": 0.1}, "train_size": 200, "synth_size": 200,
 "games": 400, "shadow_games": 60, "targets": {"select": "isolated", "count": 2},
 "generators": [{"name": "resample"}, {"name": "marginals", "epsilon": 5}],
 "attacks": [{"name": "shadow", "label": "shadow-lr", "params": {"classifier": "logreg", "queries": 10}},
             {"name": "dcr"}],
 "utility": {"tvd": [1, 2]}}
EOF

# ---- the job array, as a user would write and submit it ----
script=$("$BIN" slurm "$T/slurmtest.json" --shards $SHARDS --cpus 1 --partition test --time 00:20:00 \
         --dir "$T/shared" 2>"$T/slurm-cmd.err") || die "privaudit slurm: $(cat "$T/slurm-cmd.err")"
say "privaudit slurm wrote $script"
sed -n '1,12p' "$script"
cd "$T"
submitted=$(PRIVAUDIT="$BIN" bash "$script") || die "submitting failed: $submitted"
echo "$submitted"
array=$(echo "$submitted" | sed -n 's/.*job array \([0-9]*\).*/\1/p')
merge=$(echo "$submitted" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')
[ -n "$array" ] && [ -n "$merge" ] || die "no job ids in: $submitted"

# ---- wait, bounded, showing the queue as SLURM schedules it ----
t0=$SECONDS
saw_running=0
while squeue -h -j "$array,$merge" 2>/dev/null | grep -q .; do
    (( SECONDS - t0 < WAIT_S )) || die "jobs still queued after ${WAIT_S}s: $(squeue -j "$array,$merge")"
    out=$(squeue -j "$array,$merge" -o "%.12i %.9P %.22j %.2t %.8M %.6C %R")
    if [ "$out" != "${last:-}" ]; then   # print the queue when it changes
        echo "--- squeue at +$((SECONDS - t0))s"
        echo "$out"
        last=$out
    fi
    echo "$out" | awk 'NR > 1 && $4 == "R"' | grep -q . && saw_running=1
    sleep 0.5
done
say "queue empty after $((SECONDS - t0))s"
fields='^(JobId|ArrayJobId|ArrayTaskId|JobName|JobState|ExitCode|NodeList|StartTime|EndTime|Dependency)$'
echo "--- scontrol show job: the array $array and the merge $merge as SLURM ran them"
scontrol -o show job | awk -v a="$array" -v m="$merge" -v f="$fields" '{
    keep = 0; out = ""
    for (i = 1; i <= NF; i++) {
        k = $i; sub(/=.*/, "", k); v = substr($i, length(k) + 2)
        if ((k == "JobId" && v == m) || (k == "ArrayJobId" && v == a)) keep = 1
        if (k ~ f) out = out " " $i
    }
    if (keep) print out }'
echo "--- job completion log ($T/jobcomp.log; sacct needs slurmdbd, which this one-node cluster does not run)"
awk -v f="$fields" '{ out = ""; for (i = 1; i <= NF; i++) { k = $i; sub(/=.*/, "", k); if (k ~ f) out = out " " $i }
    print out }' "$T/jobcomp.log"
ntask=$(grep -c "ArrayJobId=$array " "$T/jobcomp.log" || true)
nok=$(grep "ArrayJobId=$array " "$T/jobcomp.log" | grep -c "JobState=COMPLETED" || true)
grep -E "(^| )JobId=$merge " "$T/jobcomp.log" | grep -q "JobState=COMPLETED" || die "the merge job $merge did not complete: $(cat "$T"/shared/logs/merge-*.out 2>/dev/null)"
[ "$ntask" -eq $SHARDS ] && [ "$nok" -eq $SHARDS ] ||
    die "$nok of $ntask array tasks completed, expected $SHARDS: $(tail -3 "$T"/shared/logs/shard-*.out)"
say "SLURM ran $SHARDS array tasks of job $array (each COMPLETED) and merge job $merge afterok"
[ "$saw_running" -eq 1 ] || say "note: no squeue snapshot caught a task in state R (they were fast)"
for i in $(seq 0 $((SHARDS - 1))); do
    [ -e "$T/shared/shard-$i-of-$SHARDS.db.done" ] || die "shard $i has no .done marker"
done

# ---- the merge SLURM ran equals a single run ----
"$BIN" run "$T/slurmtest.json" --db "$T/single.db" --jobs 2 --quiet || die "single run failed"
"$DUMP" "$T/single.db" >"$T/single.dump"
"$DUMP" "$T/shared/slurmtest.db" >"$T/merged.dump"
lines=$(wc -l <"$T/single.dump")
[ "$lines" -gt 1000 ] || die "the single run's dump has only $lines lines"
cmp -s "$T/single.dump" "$T/merged.dump" ||
    die "the merged database differs from the single run: $(diff "$T/single.dump" "$T/merged.dump" | head -5)"
say "merged = single run in every table but timings ($lines lines compared)"

# ---- submitting again skips every finished shard ----
again=$(PRIVAUDIT="$BIN" bash "$script")
echo "$again"
echo "$again" | grep -q "all $SHARDS shards finished already" || die "resubmission did not skip the finished shards"
m2=$(echo "$again" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')
for _ in $(seq 100); do squeue -h -j "$m2" 2>/dev/null | grep -q . || break; sleep 1; done
grep -q "merged already" "$T"/shared/logs/merge-"$m2".out || die "the second merge job did not find the merge done"
say "PASS"
