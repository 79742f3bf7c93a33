#!/usr/bin/env bash
# bench/all.sh: every number of the "fast at scale" issue in one go.
#
# Usage: bench/all.sh [--size full|smoke] [--runs R] [--only "LIST"]
#                     [--sortie PATH]
#
#   --size full   the issue's sizes (default): 10,000 process tasks,
#                 1,000,000 function tasks, a 1,000,000-line manifest,
#                 8 ranks for start-up; about 15 minutes on 2 cores
#   --size smoke  tiny sizes, seconds: checks that everything runs
#   --runs R      runs of every measurement (default 3; start-up takes 5 at
#                 least); the tables give medians
#   --only LIST   a subset of: process functions memory idle startup
#   --sortie PATH sortie binary (default: build/sortie beside this script)
#
# It runs run.sh (item 2), functions.sh (3), memory.sh (4), idle.sh (5) and
# startup.sh (6), each printing its own table, then one markdown table of
# the headline medians with the issue's target and PASS/FAIL.
# Exit status: 0 when every script ran (targets missed or not), 1 when any
# script failed, 2 for bad usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

size=full
runs=3
only="process functions memory idle startup"
sortie="$root/build/sortie"

while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --only) only=${2//,/ }; shift 2 ;;
        --sortie) sortie=$2; shift 2 ;;
        -h|--help) bench_usage; exit 0 ;;
        *) bench_unknown_argument "$1" ;;
    esac
done
case "$runs" in ''|*[!0-9]*|0) bench_fail "--runs '$runs' is not a positive integer" ;; esac
start_runs=$(( runs > 5 ? runs : 5 ))
case "$size" in
    full)
        process=(--tasks 10000 --runs "$runs" --ranks "1 2 3")
        functions=(--tasks 1000000 --runs "$runs" --ranks "2 3")
        memory=(--tasks 1000000 --runs "$runs")
        idle=(--ranks "2 4" --seconds 10 --runs "$runs")
        startup=(--ranks 8 --runs "$start_runs") ;;
    smoke)
        process=(--tasks 200 --runs 1 --ranks "1 2" --settle 0)
        functions=(--tasks 2000 --runs 1 --ranks 2)
        memory=(--tasks 2000 --runs 1)
        idle=(--ranks 2 --seconds 3 --runs 1)
        startup=(--ranks 2 --tasks 2 --runs 1) ;;
    *) bench_fail "--size must be full or smoke" ;;
esac

export BENCH_SUMMARY
BENCH_SUMMARY=$(mktemp "${TMPDIR:-/tmp}/sortie-bench-summary.XXXXXX")
trap 'rm -f "$BENCH_SUMMARY"' EXIT

status=0
for part in $only; do
    case "$part" in
        process) script=run.sh; args=("${process[@]}") ;;
        functions) script=functions.sh; args=("${functions[@]}") ;;
        memory) script=memory.sh; args=("${memory[@]}") ;;
        idle) script=idle.sh; args=("${idle[@]}") ;;
        startup) script=startup.sh; args=("${startup[@]}") ;;
        *) bench_fail "unknown part '$part'" ;;
    esac
    echo "## $part: bench/$script ${args[*]}"
    echo
    "$here/$script" "${args[@]}" --sortie "$sortie" || status=1
    echo
done

echo "## Summary ($size size; medians)"
echo
/usr/bin/python3 - "$BENCH_SUMMARY" <<'EOF'
import math, sys
print("| item | measure | median | target | result |")
print("| --- | --- | ---: | ---: | --- |")
for line in open(sys.argv[1]):
    item, measure, v, unit, op, target = line.rstrip("\n").split("\t")
    v, t = float(v), float(target)
    if math.isnan(v):
        shown, result = "n/a", "FAILED to run"
    else:
        shown = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
        ok = v >= t if op == ">=" else v <= t
        result = "PASS" if ok else "FAIL"
    tshown = f"{t:,.0f}" if t >= 1000 else f"{t:g}"
    print(f"| {item} | {measure} | {shown} {unit} | {op} {tshown} {unit} | {result} |")
EOF
exit "$status"
