#!/usr/bin/env bash
# bench/memory.sh: the master's memory per task and `sortie validate` speed.
#
# Usage: bench/memory.sh [--tasks N] [--runs R] [--ranks K] [--sortie PATH]
#
#   --tasks N     tasks in the big manifest (default 1000000)
#   --runs R      runs of every measurement (default 3)
#   --ranks K     MPI ranks of `sortie run` (default 2, the least that runs
#                 function tasks)
#   --sortie PATH sortie binary (default: build/sortie beside this script)
#
# The manifest is N lines of {"function": "sortie:noop"}: function tasks
# finish fast, so the run measures what the master keeps per task, not
# process spawning. Rank 0's peak RSS comes from GNU time run by
# rank0-time.sh on rank 0 only. Then
#   bytes/task = (peak RSS, N tasks - peak RSS, 1 task - manifest bytes) / N
# and validate lines/s = N / wall seconds of `sortie validate MANIFEST`.
# Needs: bash, /usr/bin/python3, GNU time (/usr/bin/time), mpiexec.mpich
# (override: MPIEXEC=...). BENCH_SUMMARY=FILE: headline numbers for all.sh.
# Exit status: 0 when every run succeeded, 1 otherwise, 2 for bad usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

tasks=1000000
runs=3
ranks=2
sortie="$root/build/sortie"
mpiexec=${MPIEXEC:-/usr/bin/mpiexec.mpich}

while [ $# -gt 0 ]; do
    case "$1" in
        --tasks) tasks=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --ranks) ranks=$2; shift 2 ;;
        --sortie) sortie=$2; shift 2 ;;
        -h|--help) bench_usage; exit 0 ;;
        *) bench_unknown_argument "$1" ;;
    esac
done
bench_positive "$tasks" "$runs" "$ranks"
[ "$ranks" -ge 2 ] || bench_fail "--ranks must be >= 2 (function tasks)"
sortie=$(bench_sortie_binary "$sortie")
bench_executable "$mpiexec" "MPI launcher"
[ -x /usr/bin/time ] || bench_fail "needs GNU time at /usr/bin/time"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sortie-membench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 -c '
import sys
line = "{\"function\": \"sortie:noop\"}\n"
with open(sys.argv[2], "w") as f:
    f.writelines(line for _ in range(int(sys.argv[1])))
with open(sys.argv[3], "w") as f:
    f.write(line)
' "$tasks" "$tmp/big.jsonl" "$tmp/one.jsonl"

export BENCH_TASKS=$tasks BENCH_RUNS=$runs BENCH_RANKS=$ranks BENCH_TMP=$tmp \
       BENCH_SORTIE=$sortie BENCH_MPIEXEC=$mpiexec BENCH_HERE=$here PYTHONPATH=$here
/usr/bin/python3 - <<'EOF'
import os, re, sys
from benchlib import run_timed, sortie_ok, log, med, table, summary

n = int(os.environ["BENCH_TASKS"])
runs = int(os.environ["BENCH_RUNS"])
k = os.environ["BENCH_RANKS"]
tmp, sortie, mpiexec, here = (os.environ[v] for v in
    ("BENCH_TMP", "BENCH_SORTIE", "BENCH_MPIEXEC", "BENCH_HERE"))
big, one = f"{tmp}/big.jsonl", f"{tmp}/one.jsonl"
mbytes = os.path.getsize(big)
failed = {}

def peak_rss(manifest, count, tag):
    """Rank 0's peak RSS in bytes for one `sortie run`, or None."""
    tfile = f"{tmp}/time-{tag}.txt"
    argv = [mpiexec, "-n", k, f"{here}/rank0-time.sh", tfile, sortie, "run",
            manifest, "--out", f"{tmp}/{tag}.h5", "--overwrite"]
    dt, rc, out = run_timed(argv, cwd=tmp)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                  open(tfile).read()) if os.path.exists(tfile) else None
    if rc != 0 or not sortie_ok(out, count) or not m:
        failed.setdefault(tag, f"exit {rc}: {out.strip()[-300:]}")
        return None
    log(f"  {tag}: rank 0 peak RSS {int(m.group(1)) / 1024:.1f} MiB, {dt:.2f} s")
    return int(m.group(1)) * 1024

rss_big, rss_one, per_task, val = [], [], [], []
for r in range(runs):
    log(f"run {r + 1}/{runs}")
    b, o = peak_rss(big, n, "big"), peak_rss(one, 1, "one")
    if b and o:
        rss_big.append(b); rss_one.append(o)
        per_task.append((b - o - mbytes) / n)
    dt, rc, out = run_timed([sortie, "validate", big])
    if rc == 0 and f"OK, {n} tasks" in out:
        val.append(dt)
        log(f"  validate: {dt:.3f} s")
    else:
        failed.setdefault("validate", f"exit {rc}: {out.strip()[-300:]}")

def row(name, xs, fmt):
    return [name] + ([fmt(med(xs)), fmt(min(xs)), fmt(max(xs))] if xs
                     else ["FAILED", "", ""])

mib = lambda b: f"{b / 2**20:.1f}"
print(f"Manifest of {n:,} function tasks ({mbytes:,} bytes, "
      f"{mbytes / n:.1f} bytes/line), `mpiexec -n {k} sortie run`, "
      f"{runs} run(s).\n")
table(["measure", "median", "min", "max"], [
    row(f"rank 0 peak RSS MiB, {n:,} tasks", rss_big, mib),
    row("rank 0 peak RSS MiB, 1 task", rss_one, mib),
    row("rank 0 bytes per task beyond the manifest", per_task, lambda x: f"{x:.0f}"),
    row(f"`sortie validate` s, {n:,} lines", val, lambda x: f"{x:.3f}"),
    row("`sortie validate` lines/s", [n / v for v in val], lambda x: f"{x:,.0f}"),
])
summary("(4) memory", f"rank 0 bytes/task beyond the manifest, {n:,} tasks",
        med(per_task), "B/task", "<=", 512)
summary("(4) validate", f"`sortie validate` lines/s, {n:,} lines",
        n / med(val) if val else None, "lines/s", ">=", 1000000)
for name, why in failed.items():
    print(f"\nFAILED: {name}: {why}")
sys.exit(1 if failed else 0)
EOF
