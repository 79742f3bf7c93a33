#!/usr/bin/env bash
# bench/run.sh: time sortie against process-spawning baselines on the same
# task set, interleaved in one invocation, and print a markdown table.
#
# Usage: bench/run.sh [--tasks N] [--runs R] [--ranks "1 2 3"] [--sortie PATH]
#                     [--procs P] [--settle S] [--settle-us U]
#
#   --tasks N     tasks in the set (default 10000); every task is /bin/true
#   --runs R      timed runs of every tool (default 5)
#   --ranks LIST  MPI rank counts for sortie, space- or comma-separated
#                 (default "1 2 3"); each is a separate row
#   --sortie PATH sortie binary (default: build/sortie beside this script)
#   --procs P     concurrency of the baselines (default: nproc)
#   --settle S    before the first round, wait up to S seconds (default 600;
#                 0: do not wait) until creating an empty file in the runs'
#                 directory costs at most U microseconds (default 40)
#
# Needs: bash, cc, /usr/bin/python3, xargs, mpiexec.mpich.
# Optional: GNU parallel (skipped with a note when not installed).
# With BENCH_SUMMARY=FILE, appends the headline ratio for bench/all.sh.
# Exit status: 0 when every tool ran all tasks successfully, 1 otherwise.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

tasks=10000
runs=5
ranks="1 2 3"
sortie="$root/build/sortie"
procs=$(nproc)
settle=600
settle_us=40
mpiexec=${MPIEXEC:-/usr/bin/mpiexec.mpich}

while [ $# -gt 0 ]; do
    case "$1" in
        --tasks) tasks=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --ranks) ranks=${2//,/ }; shift 2 ;;
        --sortie) sortie=$2; shift 2 ;;
        --procs) procs=$2; shift 2 ;;
        --settle) settle=$2; shift 2 ;;
        --settle-us) settle_us=$2; shift 2 ;;
        -h|--help) bench_usage; exit 0 ;;
        *) bench_unknown_argument "$1" ;;
    esac
done

case "$settle" in ''|*[!0-9]*) bench_fail "--settle '$settle' is not a number of seconds" ;; esac
bench_positive "$tasks" "$runs" "$procs" "$settle_us" $ranks
sortie=$(bench_sortie_binary "$sortie")
bench_executable "$mpiexec" "MPI launcher"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sortie-bench.XXXXXX")
parallel_tmp=$tmp/parallel-tmp  # may move to a tmpfs, below
trap 'rm -rf "$tmp" "$parallel_tmp"' EXIT

# The raw baseline: posix_spawn + waitpid, nothing else.
cc -O2 -o "$tmp/spawn_loop" "$here/spawn_loop.c"

# The task set: N x /bin/true, as a sortie manifest (JSON Lines) and as an
# xargs/parallel argument list (one line per task; /bin/true ignores it).
/usr/bin/python3 - "$tasks" "$tmp" <<'EOF'
import sys
n, tmp = int(sys.argv[1]), sys.argv[2]
with open(f"{tmp}/manifest.jsonl", "w") as f:
    f.writelines('{"command": ["/bin/true"]}\n' for _ in range(n))
with open(f"{tmp}/list", "w") as f:
    f.writelines(f"{i}\n" for i in range(n))
EOF

have_parallel=0
if command -v parallel >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
    have_parallel=1
fi
# GNU parallel creates and deletes two temp files per job (its buffered
# output). On ext4 without a journal, creating files near many recently
# deleted ones is slow for minutes (it skips them one by one), so its rounds
# in the same file system would slow the sortie rounds after them, which
# create two output files per task. Its temp files go to a tmpfs when there
# is one, which makes GNU parallel no slower.
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
    parallel_tmp=$(mktemp -d /dev/shm/sortie-bench-parallel.XXXXXX)
else
    mkdir "$parallel_tmp"
fi

export BENCH_TASKS=$tasks BENCH_RUNS=$runs BENCH_RANKS=$ranks BENCH_PROCS=$procs \
       BENCH_TMP=$tmp BENCH_SORTIE=$sortie BENCH_MPIEXEC=$mpiexec \
       BENCH_PARALLEL=$have_parallel BENCH_PARALLEL_TMP=$parallel_tmp \
       BENCH_SETTLE=$settle BENCH_SETTLE_US=$settle_us \
       PYTHONPATH=$here

/usr/bin/python3 - <<'EOF'
import os, statistics, subprocess, sys, time
from benchlib import summary

n = int(os.environ["BENCH_TASKS"])
runs = int(os.environ["BENCH_RUNS"])
ranks = [int(k) for k in os.environ["BENCH_RANKS"].split()]
p = int(os.environ["BENCH_PROCS"])
tmp = os.environ["BENCH_TMP"]
sortie = os.environ["BENCH_SORTIE"]
mpiexec = os.environ["BENCH_MPIEXEC"]
lst = f"{tmp}/list"
man = f"{tmp}/manifest.jsonl"

def check_sortie(out):
    return f"{n} tasks" in out and f"{n} DONE" in out

# name -> (argv, stdin file or None, success check on combined output or None)
tools = [("raw posix_spawn loop (P=%d)" % p,
          [f"{tmp}/spawn_loop", str(n), str(p), "/bin/true"], None, None, True),
         ("xargs -P %d -n1" % p,
          ["xargs", "-P", str(p), "-n1", "/bin/true"], lst, None, True)]
notes = []
if os.environ["BENCH_PARALLEL"] == "1":
    tools.append(("GNU parallel -j %d" % p,
                  ["parallel", "--will-cite", "--tmpdir",
                   os.environ["BENCH_PARALLEL_TMP"], "-j", str(p),
                   "/bin/true", "{}"],
                  lst, None, True))
else:
    notes.append("GNU parallel not installed: skipped (optional; "
                 "`apt-get install parallel` to include it).")
# Every sortie run writes a new run file and logs directory, so that each
# run creates its 2N output files as a user's run does (with --overwrite the
# files would exist from the first run on and only be truncated). The runs'
# outputs stay until the end: deleting a few hundred thousand files makes
# ext4 slow to create new ones for minutes (it skips recently freed inodes).
for k in ranks:
    tools.append((f"sortie, mpiexec -n {k}",
                  [mpiexec, "-n", str(k), sortie, "run", man,
                   "--out", f"{tmp}/sortie-{k}-run{{run}}.h5"],
                  None, check_sortie, False))

def create_cost(tag, files=2000):
    """Microseconds to create one empty file here (kept until the end).
    sortie creates two per task and the baselines none, so a slow file
    system (ext4 for minutes after a mass deletion) slows sortie alone."""
    probe = f"{tmp}/probe-{tag}"
    os.mkdir(probe)
    t0 = time.perf_counter()
    for i in range(files):
        os.close(os.open(f"{probe}/{i}.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
    return (time.perf_counter() - t0) / files * 1e6

def settle(max_s, limit_us):
    """Wait up to max_s seconds until creating a file costs <= limit_us.
    Returns (seconds waited, first cost, last cost). A probe creates as
    many files as one sortie run (2N, at least 1,000, at most 20,000): the
    cost grows as allocation moves past the freed inodes, and a run's
    files fill its directory's inode group and spill into the groups that
    a previous benchmark's clean-up freed. 100 files once read 15 µs where
    the next 2,000 took 36, and 1,000 read 31 µs before runs that created
    files at several hundred. Probes are 30 s apart: each dirties
    inode-table blocks, and ext4 skips the inodes freed near a dirty block
    for longer."""
    t0 = time.monotonic()
    first = last = None
    k = 0
    while True:
        last = create_cost(f"settle-{k}", files=min(max(2 * n, 1000), 20000))
        first = last if first is None else first
        k += 1
        waited = time.monotonic() - t0
        if last <= limit_us or waited >= max_s:
            return waited, first, last
        print(f"file system slow: {last:.0f} µs per file created, over "
              f"{limit_us} µs; waiting ({waited:.0f} of up to {max_s} s)",
              file=sys.stderr, flush=True)
        time.sleep(min(30, max_s - waited))

times = {t[0]: [] for t in tools}
failures = {}
settle_max = int(os.environ["BENCH_SETTLE"])
settle_us = int(os.environ["BENCH_SETTLE_US"])
settled = settle(settle_max, settle_us) if settle_max > 0 else None
create_before = create_cost("before")
for r in range(runs):
    # Interleave the tools within each run and rotate their order from run
    # to run, so that slow drifts of the machine hit every tool alike.
    order = tools[r % len(tools):] + tools[:r % len(tools)]
    for name, argv, stdin, check, _ in order:
        argv = [a.replace("{run}", str(r + 1)) for a in argv]
        fin = open(stdin) if stdin else subprocess.DEVNULL
        t0 = time.perf_counter()
        proc = subprocess.run(argv, stdin=fin, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, cwd=tmp)
        dt = time.perf_counter() - t0
        if stdin:
            fin.close()
        out = proc.stdout.decode(errors="replace")
        ok = proc.returncode == 0 and (check is None or check(out))
        if ok:
            times[name].append(dt)
        else:
            failures.setdefault(name, f"exit {proc.returncode}: "
                                + out.strip()[-300:])
        print(f"run {r + 1}/{runs}: {name}: {dt:.3f} s{'' if ok else ' FAILED'}",
              file=sys.stderr, flush=True)

create_after = create_cost("after")

def med(name):
    return statistics.median(times[name]) if times[name] else None

baselines = [t[0] for t in tools if t[4]]
sorties = [t[0] for t in tools if not t[4]]
ok_sorties = [s for s in sorties if times[s]]
best = min(ok_sorties, key=med) if ok_sorties else None

print(f"{n} tasks of /bin/true, {runs} run(s) per tool, baselines at "
      f"P={p} concurrent children; wall seconds, timed from the outside "
      f"(process start to exit, mpiexec included for sortie).\n")
print("| tool | median s | min s | max s | tasks/s (median) |")
print("| --- | ---: | ---: | ---: | ---: |")
for name, *_ in tools:
    ts = times[name]
    if not ts:
        print(f"| {name} | FAILED | | | |")
        continue
    m = statistics.median(ts)
    mark = " (best sortie)" if name == best else ""
    print(f"| {name}{mark} | {m:.3f} | {min(ts):.3f} | {max(ts):.3f} | {n / m:,.0f} |")

if best:
    print(f"\nRatio of sortie's best layout ({best}) to each baseline: "
          "sortie tasks/s ÷ baseline tasks/s (median); 1.00 = as fast, "
          "> 1 = sortie faster.\n")
    print("| baseline | sortie ÷ baseline |")
    print("| --- | ---: |")
    for b in baselines:
        if times[b]:
            print(f"| {b} | {med(b) / med(best):.2f}x |")
        else:
            print(f"| {b} | n/a (baseline failed) |")

print(f"\nCreating an empty file in the runs' directory (2,000 in a row, "
      f"Python): {create_before:.1f} µs each before the runs, "
      f"{create_after:.1f} µs after. sortie creates 2 per task, the baselines "
      "none; several times the usual (about 20 µs on ext4, 6 µs on tmpfs) "
      "means the file system is slowing sortie alone, e.g. for minutes after "
      "a mass deletion (bench/RESULTS.md).")
if settled:
    waited, first, last = settled
    verdict = ("settled" if last <= settle_us else
               f"had not settled (over {settle_us} µs) when the wait ended")
    print(f"Before the first round: {first:.1f} µs per file created at first, "
          f"{last:.1f} µs after waiting {waited:.0f} s; the file system "
          f"{verdict}.")
if os.environ["BENCH_PARALLEL"] == "1":
    print(f"GNU parallel's temp files (two per job, each deleted) went to "
          f"{os.environ['BENCH_PARALLEL_TMP']}, away from the runs' "
          "directory unless that is where it is.")

raw = baselines[0]
summary("(2) process tasks", f"best sortie layout ÷ raw posix_spawn, {n:,} x /bin/true"
        + (f" ({best})" if best else ""),
        med(raw) / med(best) if best and times[raw] else None, "x", ">=", 0.8)

for note in notes:
    print(f"\nNote: {note}")
for name, why in failures.items():
    print(f"\nFAILED: {name}: {why}")
sys.exit(1 if failures else 0)
EOF
