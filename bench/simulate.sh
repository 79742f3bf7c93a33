#!/usr/bin/env bash
# bench/simulate.sh: time `sortie simulate` on a generated manifest of N tasks
# on M nodes (default: 1,000,000 tasks on 10,000 nodes of 64 cores) and
# print a markdown table: wall seconds (median, min, max), the simulator's own
# split (manifest read, simulation, scheduler), and peak RSS.
#
# Usage: bench/simulate.sh [--tasks N] [--nodes M] [--runs R] [--sortie PATH]
#
#   --tasks N     tasks in the manifest (default 1000000)
#   --nodes M     simulated nodes of 64 cores (default 10000)
#   --runs R      timed runs (default 3)
#   --sortie PATH sortie binary (default: build/sortie beside this script)
#
# The manifest: one wide task (1, 2, 8, 32 or 128 whole nodes, 300-1200 s)
# every ~3,300 lines, the rest one-core tasks of 10-600 s, a tenth of them
# 4-core; est_runtime on every line; fixed seed, so every run is the same.
# Needs: bash, /usr/bin/python3 (standard library), GNU time (/usr/bin/time).
# Exit status: 0 when every run succeeded, 1 otherwise, 2 for bad arguments.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

tasks=1000000
nodes=10000
runs=3
sortie="$root/build/sortie"

while [ $# -gt 0 ]; do
    case "$1" in
        --tasks) tasks=$2; shift 2 ;;
        --nodes) nodes=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --sortie) sortie=$2; shift 2 ;;
        -h|--help) bench_usage; exit 0 ;;
        *) bench_unknown_argument "$1" ;;
    esac
done
bench_positive "$tasks" "$nodes" "$runs"
[ -x "$sortie" ] || bench_fail "no sortie binary at $sortie (build first)"
[ -x /usr/bin/time ] || bench_fail "needs GNU time at /usr/bin/time"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sortie-simbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 - "$tasks" "$tmp/manifest.jsonl" <<'EOF'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(1)
with open(path, "w") as f:
    for i in range(n):
        if i % 3331 == 1000:
            nodes = rng.choice([1, 2, 8, 32, 128])
            f.write(f'{{"id": "w{i}", "command": ["./wide"], "nodes": {nodes}, '
                    f'"ranks_per_node": 64, "est_runtime": {rng.randint(300, 1200)}}}\n')
        else:
            cores = 4 if rng.random() < 0.1 else 1
            f.write(f'{{"id": "t{i}", "command": ["./task", "{i}"], '
                    f'"cores_per_rank": {cores}, "est_runtime": {rng.randint(10, 600)}}}\n')
EOF

export BENCH_RUNS=$runs BENCH_TMP=$tmp BENCH_SORTIE=$sortie BENCH_NODES=$nodes \
       BENCH_TASKS=$tasks
/usr/bin/python3 - <<'EOF'
import json, os, re, statistics, subprocess, sys, time

runs = int(os.environ["BENCH_RUNS"])
tmp, sortie = os.environ["BENCH_TMP"], os.environ["BENCH_SORTIE"]
nodes, tasks = os.environ["BENCH_NODES"], int(os.environ["BENCH_TASKS"])
argv = ["/usr/bin/time", "-v", sortie, "simulate", f"{tmp}/manifest.jsonl",
        "--nodes", nodes, "--cores-per-node", "64", "--json"]
walls, rss, reports = [], [], []
for r in range(runs):
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(f"run {r + 1}: FAILED (exit {proc.returncode})\n{proc.stderr[-2000:]}")
        sys.exit(1)
    report = json.loads(proc.stdout)
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                       proc.stderr).group(1))
    walls.append(wall)
    rss.append(kb / 1024)
    reports.append(report)
    print(f"run {r + 1}/{runs}: {wall:.2f} s, {kb / 1024:.0f} MiB", file=sys.stderr,
          flush=True)

def med(key):
    return statistics.median(x[key] for x in reports)

first = reports[0]
print(f"`sortie simulate` of {tasks:,} tasks on {nodes} nodes x 64 cores, "
      f"{runs} run(s); wall seconds timed from outside (process start to exit).\n")
print("| measure | median | min | max |")
print("| --- | ---: | ---: | ---: |")
print(f"| wall s (whole command) | {statistics.median(walls):.2f} | {min(walls):.2f} | {max(walls):.2f} |")
for key, label in [("read_seconds", "manifest read s"),
                   ("simulate_seconds", "simulation s"),
                   ("scheduler_seconds", "inside the scheduler s")]:
    xs = [x[key] for x in reports]
    print(f"| {label} | {statistics.median(xs):.2f} | {min(xs):.2f} | {max(xs):.2f} |")
xs = [1e6 * x["seconds_per_decision"] for x in reports]
print(f"| scheduler µs per decision | {statistics.median(xs):.2f} | {min(xs):.2f} | {max(xs):.2f} |")
print(f"| peak RSS MiB | {statistics.median(rss):.0f} | {min(rss):.0f} | {max(rss):.0f} |")
print(f"\nSchedule (identical in every run): makespan {first['makespan']:.0f} s, "
      f"lower bound {first['lower_bound']:.0f} s ({first['bound_by']}), "
      f"ratio {first['ratio']:.4f}, utilization {100 * first['utilization']:.1f}%, "
      f"{first['attempts']:,} placements in {first['place_calls']:,} Place() calls.")
EOF
