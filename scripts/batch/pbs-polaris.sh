#!/bin/bash
# sortie on a PBS Pro machine with Cray PALS (ALCF Polaris and similar).
# Submit: qsub scripts/batch/pbs-polaris.sh   (edit the #PBS lines first)
#PBS -l select=4:system=polaris
#PBS -l place=scatter
#PBS -l walltime=01:00:00
#PBS -l filesystems=home:eagle
#PBS -q debug
#PBS -A YOUR_PROJECT
#PBS -N sortie

cd "${PBS_O_WORKDIR}"
NNODES=$(sort -u "${PBS_NODEFILE}" | wc -l)

# One sortie rank per node (mpiexec is PALS's: -n NODES --ppn 1);
# multi-node tasks start through a nested PALS mpiexec (--launcher pals).
# Walltime: sortie asks qstat for the time left and drains
# --walltime-margin seconds before it: running tasks are interrupted, the
# journal and run.h5 are written, and the exit status is 4. (Where compute
# nodes cannot run qstat, add --walltime 01:00:00, the #PBS walltime above.)
# Signal: PBS's SIGTERM at the walltime or a qdel drains the run too, but
# SIGKILL follows kill_delay (often 10 s) later: the margin is what leaves
# time for a clean drain.
#
# --resume continues the run recorded in run.h5.journal, so this same script
# submitted again (qsub) picks up where the last allocation stopped; on the
# first submission it simply starts the run.
# Progress: a line a minute in the job's log (stderr).
mpiexec -n "${NNODES}" --ppn 1 --depth 64 --cpu-bind none \
  ./build/sortie run tasks.jsonl --out run.h5 --resume --launcher pals \
  --walltime-margin 120 --progress 60
status=$?

# 0: every task DONE; 1: some FAILED/TIMEOUT/SKIPPED; 4: cut short, resubmit.
if [ "${status}" -eq 4 ]; then
  echo "sortie: not finished; to resume: qsub scripts/batch/pbs-polaris.sh"
fi
exit "${status}"
