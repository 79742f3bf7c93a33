#!/bin/sh
# A stand-in for a parallel application in a strong-scaling study: it
# "solves" a fixed problem by sleeping 0.1 s (the serial part) plus 0.8 s
# shared among its nodes, then reports its time the two ways sortie reads:
# a line on stdout (matched by the manifest's "results" pattern) and
# key=value lines in $SORTIE_RESULT.
#
# Usage: app.sh NODES [INPUT]   (INPUT, when given, must exist)
# Started by sortie through the MPI launcher when NODES > 1, so every rank
# runs it; only rank 0 reports.
nodes=${1:?usage: app.sh NODES [INPUT]}
input=$2
# Rank and size as MPICH/PALS (PMI_*), Open MPI or Slurm give them.
rank=${PMI_RANK:-${OMPI_COMM_WORLD_RANK:-${SLURM_PROCID:-0}}}
size=${PMI_SIZE:-${OMPI_COMM_WORLD_SIZE:-${SLURM_NTASKS:-1}}}
if [ -n "$input" ] && [ ! -e "$input" ]; then
  echo "app.sh: cannot open input $input: No such file or directory" >&2
  exit 2
fi
start=$(date +%s.%N)
sleep "$(awk -v n="$nodes" 'BEGIN { printf "%.3f", 0.1 + 0.8 / n }')"
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f", e - s }')
[ "$rank" = 0 ] || exit 0
echo "step 1 of 1 done"
echo "elapsed: $elapsed s"
{
  echo "# written by app.sh"
  echo "time=$elapsed"
  echo "nodes=$nodes"
  echo "ranks=$size"
  echo "hosts=$SORTIE_NODES"
} > "$SORTIE_RESULT"
