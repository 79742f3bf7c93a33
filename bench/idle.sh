#!/usr/bin/env bash
# bench/idle.sh: CPU used by the pilot itself while its tasks run.
#
# Usage: bench/idle.sh [--ranks "2 4"] [--seconds S] [--runs R] [--sortie PATH]
#
#   --ranks LIST  MPI rank counts, space- or comma-separated (default "2 4")
#   --seconds S   length of every task, `sleep S` (default 10)
#   --runs R      runs of every rank count (default 3)
#   --sortie PATH sortie binary (default: build/sortie beside this script)
#
# Each run starts `mpiexec -n K sortie run --virtual-nodes --cores-per-node 1`
# on a manifest of K tasks `sleep S`, so every rank (rank 0 included) has one
# task running and nothing else to do. The window starts 1 s after mpiexec
# (once all tasks run) and lasts S - 2 s; in it, the CPU time of every sortie
# process under this mpiexec is read from /proc/PID/schedstat (nanoseconds;
# /proc/PID/stat utime+stime, in clock ticks, when schedstat is missing).
# Reported: CPU seconds / window seconds per rank, as % of one core.
# Needs: bash, /usr/bin/python3, mpiexec.mpich (override: MPIEXEC=...).
# BENCH_SUMMARY=FILE: headline number for bench/all.sh.
# Exit status: 0 when every run succeeded, 1 otherwise, 2 for bad usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

ranks="2 4"
seconds=10
runs=3
sortie="$root/build/sortie"
mpiexec=${MPIEXEC:-/usr/bin/mpiexec.mpich}

while [ $# -gt 0 ]; do
    case "$1" in
        --ranks) ranks=${2//,/ }; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --sortie) sortie=$2; shift 2 ;;
        -h|--help) bench_usage; exit 0 ;;
        *) bench_unknown_argument "$1" ;;
    esac
done
bench_positive "$seconds" "$runs" $ranks
[ "$seconds" -ge 3 ] || bench_fail "--seconds must be >= 3"
sortie=$(bench_sortie_binary "$sortie")
bench_executable "$mpiexec" "MPI launcher"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sortie-idlebench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

export BENCH_RANKS=$ranks BENCH_SECONDS=$seconds BENCH_RUNS=$runs BENCH_TMP=$tmp \
       BENCH_SORTIE=$sortie BENCH_MPIEXEC=$mpiexec PYTHONPATH=$here
/usr/bin/python3 - <<'EOF'
import os, subprocess, sys, time
from benchlib import sortie_ok, log, med, table, summary

ranks = [int(k) for k in os.environ["BENCH_RANKS"].split()]
s = int(os.environ["BENCH_SECONDS"])
runs = int(os.environ["BENCH_RUNS"])
tmp, sortie, mpiexec = (os.environ[v] for v in
                        ("BENCH_TMP", "BENCH_SORTIE", "BENCH_MPIEXEC"))
tick = os.sysconf("SC_CLK_TCK")
# The kernel keeps the first 15 bytes of a process's name: --sortie may
# name a binary other than build/sortie.
sortie_comm = os.path.basename(sortie)[:15]

def stat(pid):
    """(comm, ppid) of a process, or None when it is gone."""
    try:
        raw = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    return comm, int(raw[raw.rindex(")") + 2:].split()[1])

def sortie_pids(root):
    """The sortie processes below root (mpiexec -> proxy -> sortie): only
    this run's, never another sortie running on the machine."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit() and (st := stat(int(d))):
            parent[int(d)] = st
    out = []
    for pid, (comm, _) in parent.items():
        p = pid
        while p in parent and p != root:
            p = parent[p][1]
        if p == root and comm == sortie_comm:
            out.append(pid)
    return out

def cpu_s(pid):
    try:
        return int(open(f"/proc/{pid}/schedstat").read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / tick

results = {k: [] for k in ranks}   # k -> per run, list of per-rank %
failed = {}
for r in range(runs):
    for k in ranks:
        man = f"{tmp}/sleep-{k}.jsonl"
        with open(man, "w") as f:
            f.writelines(f'{{"command": ["sleep", "{s}"]}}\n' for _ in range(k))
        proc = subprocess.Popen(
            [mpiexec, "-n", str(k), sortie, "run", man, "--out",
             f"{tmp}/run-{k}.h5", "--overwrite", "--virtual-nodes",
             "--cores-per-node", "1"],
            cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(1.0)
        pids = sortie_pids(proc.pid)
        t0, c0 = time.monotonic(), {p: cpu_s(p) for p in pids}
        time.sleep(s - 2)
        t1, c1 = time.monotonic(), {p: cpu_s(p) for p in pids}
        out = proc.communicate()[0].decode(errors="replace")
        pct = sorted(100 * (c1[p] - c0[p]) / (t1 - t0) for p in pids)
        if proc.returncode == 0 and sortie_ok(out, k) and len(pids) == k:
            results[k].append(pct)
            log(f"run {r + 1}/{runs}: -n {k}: % of a core per rank: "
                + " ".join(f"{x:.3f}" for x in pct))
        else:
            failed.setdefault(k, f"exit {proc.returncode}, {len(pids)} sortie "
                              f"processes found: {out.strip()[-300:]}")

print(f"Tasks `sleep {s}`, one per rank; window of {s - 2} s while all run; "
      f"{runs} run(s). CPU of each sortie process as % of one core.\n")
rows = []
for k in ranks:
    rs = results[k]
    if not rs:
        rows.append([f"mpiexec -n {k}", "FAILED", "", ""])
        continue
    rows.append([f"mpiexec -n {k}", f"{med([max(x) for x in rs]):.3f}",
                 f"{med([med(x) for x in rs]):.3f}",
                 f"{max(max(x) for x in rs):.3f}"])
table(["layout", "busiest rank % (median of runs)", "median rank %",
       "busiest rank % (worst run)"], rows)
worst = [med([max(x) for x in results[k]]) for k in ranks if results[k]]
summary("(5) idle pilot", "busiest sortie process, % of a core, tasks sleeping",
        max(worst) if worst and len(worst) == len(ranks) else None, "%", "<=", 1)
for k, why in failed.items():
    print(f"\nFAILED: -n {k}: {why}")
sys.exit(1 if failed else 0)
EOF
