#!/usr/bin/env bash
# bench/startup.sh: time from launch to the first task started.
#
# Usage: bench/startup.sh [--ranks K] [--tasks N] [--runs R] [--sortie PATH]
#
#   --ranks K     MPI ranks (default 8; oversubscribing the cores is fine)
#   --tasks N     tasks `/bin/true` in the manifest (default 16)
#   --runs R      runs (default 5)
#   --sortie PATH sortie binary (default: build/sortie beside this script)
#
# t0 is python's time.time() taken just before mpiexec is started. From the
# run's RUN.h5 (read with h5dump) come the master's `started_at` attribute
# and the earliest /tasks/start_time: the headline is first start - t0.
# For the breakdown, each run also times the floor at the same rank count:
# `mpiexec -n K mpi_init` (mpi_init.c: MPI_Init + a barrier; it prints when
# rank 0 got through), and `mpiexec -n K /bin/true` (the launcher alone).
# Needs: bash, /usr/bin/python3, h5dump (Debian hdf5-tools), mpicc.mpich
# and mpiexec.mpich (override: MPICC=..., MPIEXEC=...).
# BENCH_SUMMARY=FILE: headline number for bench/all.sh.
# Exit status: 0 when every run succeeded, 1 otherwise, 2 for bad usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

ranks=8
tasks=16
runs=5
sortie="$root/build/sortie"
mpiexec=${MPIEXEC:-/usr/bin/mpiexec.mpich}
mpicc=${MPICC:-/usr/bin/mpicc.mpich}

while [ $# -gt 0 ]; do
    case "$1" in
        --ranks) ranks=$2; shift 2 ;;
        --tasks) tasks=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --sortie) sortie=$2; shift 2 ;;
        -h|--help) bench_usage; exit 0 ;;
        *) bench_unknown_argument "$1" ;;
    esac
done
bench_positive "$ranks" "$tasks" "$runs"
sortie=$(bench_sortie_binary "$sortie")
bench_executable "$mpiexec" "MPI launcher"
command -v h5dump >/dev/null || bench_fail "needs h5dump (hdf5-tools)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sortie-startbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$mpicc" -O2 -o "$tmp/mpi_init" "$here/mpi_init.c"
for _ in $(seq "$tasks"); do echo '{"command": ["/bin/true"]}'; done > "$tmp/manifest.jsonl"

export BENCH_RANKS=$ranks BENCH_TASKS=$tasks BENCH_RUNS=$runs BENCH_TMP=$tmp \
       BENCH_SORTIE=$sortie BENCH_MPIEXEC=$mpiexec PYTHONPATH=$here
/usr/bin/python3 - <<'EOF'
import os, re, subprocess, sys, time
from benchlib import sortie_ok, log, med, table, summary

k = os.environ["BENCH_RANKS"]
n = int(os.environ["BENCH_TASKS"])
runs = int(os.environ["BENCH_RUNS"])
tmp, sortie, mpiexec = (os.environ[v] for v in
                        ("BENCH_TMP", "BENCH_SORTIE", "BENCH_MPIEXEC"))
h5 = f"{tmp}/run.h5"

def h5floats(*what):
    """The float values h5dump prints for one dataset or attribute."""
    out = subprocess.run(["h5dump", "-m", "%.6f", *what, h5], check=True,
                         capture_output=True, text=True).stdout
    data = out[out.index("DATA {"):]
    data = re.sub(r"\(\d+(,\d+)*\):", "", data)
    return [float(x) for x in re.findall(r"-?\d+\.\d+|nan", data, re.I)]

def launch(argv):
    """(t0, t after exit, output) with t0 taken just before the launch."""
    t0 = time.time()
    p = subprocess.run(argv, cwd=tmp, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    return t0, time.time(), p.returncode, p.stdout.decode(errors="replace")

cols = {c: [] for c in ("first", "master", "init", "true", "exit")}
failed = {}
for r in range(runs):
    t0, t1, rc, out = launch([mpiexec, "-n", k, sortie, "run",
                              f"{tmp}/manifest.jsonl", "--out", h5, "--overwrite"])
    if rc == 0 and sortie_ok(out, n):
        first = min(x for x in h5floats("-d", "/tasks/start_time") if x == x)
        started = h5floats("-a", "/started_at")[0]
        cols["first"].append(first - t0)
        cols["master"].append(started - t0)
        cols["exit"].append(t1 - t0)
        log(f"run {r + 1}/{runs}: first task {first - t0:.3f} s, "
            f"started_at {started - t0:.3f} s, exit {t1 - t0:.3f} s")
    else:
        failed.setdefault("sortie", f"exit {rc}: {out.strip()[-300:]}")
    t0, t1, rc, out = launch([mpiexec, "-n", k, f"{tmp}/mpi_init"])
    if rc == 0:
        cols["init"].append(float(out.split()[0]) - t0)
    else:
        failed.setdefault("mpi_init", f"exit {rc}: {out.strip()[-300:]}")
    t0, t1, rc, out = launch([mpiexec, "-n", k, "/bin/true"])
    if rc == 0:
        cols["true"].append(t1 - t0)

def row(name, xs):
    return [name] + ([f"{med(xs):.3f}", f"{min(xs):.3f}", f"{max(xs):.3f}"]
                     if xs else ["FAILED", "", ""])

print(f"`mpiexec -n {k}`, {n} tasks `/bin/true`, {runs} run(s); seconds "
      "after t0 (just before mpiexec starts).\n")
table(["point", "median s", "min s", "max s"], [
    row("sortie: first task started (/tasks/start_time)", cols["first"]),
    row("sortie: run started_at (master, after MPI init)", cols["master"]),
    row("sortie: mpiexec exited (whole run)", cols["exit"]),
    row(f"floor: mpi_init.c past MPI_Init + barrier, -n {k}", cols["init"]),
    row(f"floor: `mpiexec -n {k} /bin/true` exited", cols["true"]),
])
summary("(6) fast start", f"launch to first task, -n {k}, /bin/true",
        med(cols["first"]), "s", "<=", 0.3)
for name, why in failed.items():
    print(f"\nFAILED: {name}: {why}")
sys.exit(1 if failed else 0)
EOF
