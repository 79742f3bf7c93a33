#!/usr/bin/env bash
# bench/rank0-time.sh: run a command under GNU time on MPI rank 0 only.
#
# Usage: mpiexec -n K bench/rank0-time.sh OUTFILE COMMAND [ARG...]
#
# On rank 0 (PMI_RANK=0, set by MPICH's Hydra; OMPI_COMM_WORLD_RANK for
# Open MPI) it runs `/usr/bin/time -v -o OUTFILE COMMAND...`, so OUTFILE gets
# rank 0's peak RSS ("Maximum resident set size") and CPU times. Every other
# rank execs COMMAND unchanged: wrapping them too would only add processes.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
out=$1
shift
if [ "${PMI_RANK:-${OMPI_COMM_WORLD_RANK:-}}" = 0 ]; then
    exec /usr/bin/time -v -o "$out" "$@"
fi
exec "$@"
