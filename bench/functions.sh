#!/usr/bin/env bash
# bench/functions.sh: in-process (function) tasks end to end: N tasks of
# {"function": "sortie:noop"} through `mpiexec -n K sortie run`, timed from
# the outside (manifest parsing, journal and run.h5 included), against an
# empty function called N times through a function pointer (call_loop.c).
#
# Usage: bench/functions.sh [--tasks N] [--runs R] [--warmup W]
#                           [--ranks "2 3"] [--sortie PATH]
#
#   --tasks N     function tasks in the manifest (default 1000000)
#   --runs R      timed runs of every layout (default 3)
#   --warmup W    untimed runs of every layout first (default 1): on a
#                 virtual machine the first run after other work may get
#                 guest memory the host has not backed yet (bench/RESULTS.md)
#   --ranks LIST  MPI rank counts, space- or comma-separated (default "2 3");
#                 each must be >= 2: rank 0 runs no function task
#   --sortie PATH sortie binary (default: build/sortie beside this script)
#
# Needs: bash, cc, /usr/bin/python3, mpiexec.mpich (override: MPIEXEC=...).
# With BENCH_SUMMARY=FILE, appends the headline number for bench/all.sh.
# Exit status: 0 when every run ran all tasks, 1 otherwise, 2 for bad usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

tasks=1000000
runs=3
warmup=1
ranks="2 3"
sortie="$root/build/sortie"
mpiexec=${MPIEXEC:-/usr/bin/mpiexec.mpich}

while [ $# -gt 0 ]; do
    case "$1" in
        --tasks) tasks=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --ranks) ranks=${2//,/ }; shift 2 ;;
        --sortie) sortie=$2; shift 2 ;;
        -h|--help) bench_usage; exit 0 ;;
        *) bench_unknown_argument "$1" ;;
    esac
done
bench_positive "$tasks" "$runs" $ranks
case "$warmup" in
    ''|*[!0-9]*) bench_fail "--warmup '$warmup' is not a whole number" ;;
esac
for k in $ranks; do
    [ "$k" -ge 2 ] || bench_fail "--ranks $k: function tasks need >= 2 ranks"
done
sortie=$(bench_sortie_binary "$sortie")
bench_executable "$mpiexec" "MPI launcher"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sortie-fnbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cc -O2 -o "$tmp/call_loop" "$here/call_loop.c"
/usr/bin/python3 -c '
import sys
with open(sys.argv[2], "w") as f:
    f.writelines("{\"function\": \"sortie:noop\"}\n" for _ in range(int(sys.argv[1])))
' "$tasks" "$tmp/manifest.jsonl"

export BENCH_TASKS=$tasks BENCH_RUNS=$runs BENCH_WARMUP=$warmup BENCH_RANKS=$ranks BENCH_TMP=$tmp \
       BENCH_SORTIE=$sortie BENCH_MPIEXEC=$mpiexec PYTHONPATH=$here
/usr/bin/python3 - <<'EOF'
import os, sys
from benchlib import run_timed, sortie_ok, log, med, table, summary

n = int(os.environ["BENCH_TASKS"])
runs = int(os.environ["BENCH_RUNS"])
warmup = int(os.environ["BENCH_WARMUP"])
ranks = [int(k) for k in os.environ["BENCH_RANKS"].split()]
tmp, sortie, mpiexec = (os.environ[k] for k in
                        ("BENCH_TMP", "BENCH_SORTIE", "BENCH_MPIEXEC"))

layouts = {f"sortie, mpiexec -n {k}":
           [mpiexec, "-n", str(k), sortie, "run", f"{tmp}/manifest.jsonl",
            "--out", f"{tmp}/run-{k}.h5", "--overwrite"] for k in ranks}
times = {name: [] for name in layouts}
loop = []
failed = {}
for r in range(warmup):
    for name, argv in layouts.items():
        dt, rc, out = run_timed(argv, cwd=tmp)
        log(f"warm-up {r + 1}/{warmup}: {name}: {dt:.3f} s (not counted)")
for r in range(runs):
    # The baseline's own clock: it measures only the calls, not process start.
    dt, rc, out = run_timed([f"{tmp}/call_loop", str(n)])
    if rc == 0:
        loop.append(float(out.split()[0]))
    for name, argv in layouts.items():
        dt, rc, out = run_timed(argv, cwd=tmp)
        ok = rc == 0 and sortie_ok(out, n)
        if ok:
            times[name].append(dt)
        else:
            failed.setdefault(name, f"exit {rc}: {out.strip()[-300:]}")
        log(f"run {r + 1}/{runs}: {name}: {dt:.3f} s{'' if ok else ' FAILED'}")

print(f"{n} function tasks (sortie:noop), {runs} run(s) after {warmup} "
      "untimed warm-up(s); sortie timed from the outside (mpiexec start to "
      "exit).\n")
rows = []
for name, ts in times.items():
    if ts:
        rows.append([name, f"{med(ts):.3f}", f"{min(ts):.3f}", f"{max(ts):.3f}",
                     f"{n / med(ts):,.0f}"])
    else:
        rows.append([name, "FAILED", "", "", ""])
if loop:
    rows.append(["empty function via pointer (call_loop.c, calls only)",
                 f"{med(loop):.6f}", f"{min(loop):.6f}", f"{max(loop):.6f}",
                 f"{n / med(loop):,.0f}"])
table(["layout", "median s", "min s", "max s", "tasks/s (median)"], rows)

ok = [name for name in times if times[name]]
best = min(ok, key=lambda s: med(times[s])) if ok else None
if best:
    print(f"\nBest layout: {best}, {n / med(times[best]):,.0f} tasks/s.")
    summary("(3) function tasks", f"noop tasks/s, {n:,} tasks, {best}",
            n / med(times[best]), "tasks/s", ">=", 1000000)
else:
    summary("(3) function tasks", f"noop tasks/s, {n:,} tasks", None,
            "tasks/s", ">=", 1000000)
for name, why in failed.items():
    print(f"\nFAILED: {name}: {why}")
sys.exit(1 if failed else 0)
EOF
