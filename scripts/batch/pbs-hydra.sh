#!/bin/bash
# sortie on a generic PBS cluster with MPICH's Hydra mpiexec.
# Submit: qsub scripts/batch/pbs-hydra.sh   (edit the #PBS lines first)
#PBS -l nodes=4:ppn=32
#PBS -l walltime=02:00:00
#PBS -N sortie

cd "${PBS_O_WORKDIR}"
NNODES=$(sort -u "${PBS_NODEFILE}" | wc -l)

# One sortie rank per node; multi-node tasks start through a nested Hydra
# mpiexec (--launcher hydra).
# Walltime: sortie asks qstat for the time left and drains
# --walltime-margin seconds before it: running tasks are interrupted, the
# journal and run.h5 are written, exit status 4. (Where compute nodes
# cannot run qstat, add --walltime 02:00:00, the #PBS walltime above.)
# Signal: PBS sends SIGTERM at the walltime or a qdel, and SIGKILL
# kill_delay (often 10 s) later; Hydra forwards SIGTERM to every rank and
# the run drains, but only the margin leaves time for a clean drain.
# --resume continues an earlier allocation's run (or starts a fresh one).
# Progress: a line a minute in the job's log (stderr).
mpiexec -n "${NNODES}" -ppn 1 -f "${PBS_NODEFILE}" \
  ./build/sortie run tasks.jsonl --out run.h5 --resume --launcher hydra \
  --walltime-margin 120 --progress 60
status=$?

# 0: every task DONE; 1: some FAILED/TIMEOUT/SKIPPED; 4: cut short.
if [ "${status}" -eq 4 ]; then
  # The next allocation resumes with this same script (it passes --resume).
  echo "sortie: not finished; to resume: qsub scripts/batch/pbs-hydra.sh"
fi
exit "${status}"
