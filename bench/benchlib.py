"""Shared helpers of the bench/ scripts (python3 standard library only).

Why a module: every script times commands from the outside, checks sortie's
summary line, prints medians as a markdown table and, for bench/all.sh,
appends its headline numbers to a summary file. Doing that one way keeps
the numbers comparable between scripts.
"""
import os
import statistics
import subprocess
import sys
import time


def run_timed(argv, cwd=None, env=None, stdin=None):
    """Run argv to completion; return (wall seconds, exit status, output).

    Wall time is taken with perf_counter around subprocess.run, so it covers
    process start to exit (mpiexec start-up and MPI init included)."""
    fin = open(stdin) if stdin else subprocess.DEVNULL
    t0 = time.perf_counter()
    proc = subprocess.run(argv, stdin=fin, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, cwd=cwd, env=env)
    dt = time.perf_counter() - t0
    if stdin:
        fin.close()
    return dt, proc.returncode, proc.stdout.decode(errors="replace")


def sortie_ok(out, n):
    """sortie run's summary says every one of the n tasks ended DONE."""
    noun = "task" if n == 1 else "tasks"
    return f"sortie: {n} {noun} in " in out and f"{n} DONE" in out


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def med(xs):
    return statistics.median(xs) if xs else None


def table(header, rows):
    """Print a markdown table; rows are lists of already formatted cells."""
    print("| " + " | ".join(header) + " |")
    print("| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |")
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")


def summary(item, measure, value, unit, op, target):
    """Append one headline number for bench/all.sh (when it asked for one).

    op is ">=" or "<=": the value passes when `value op target` holds."""
    path = os.environ.get("BENCH_SUMMARY")
    if not path:
        return
    with open(path, "a") as f:
        v = "nan" if value is None else repr(float(value))
        f.write(f"{item}\t{measure}\t{v}\t{unit}\t{op}\t{target}\n")
