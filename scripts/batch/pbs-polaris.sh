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

# One sortie rank per node. sortie asks qstat for the walltime and drains
# 60 s before it (--walltime-margin): running tasks are interrupted, the
# journal and run.h5 are written, and the exit status is 4. PBS's own SIGTERM
# at the walltime drains it too, if the margin was not enough.
#
# --resume continues the run recorded in run.h5.journal, so this same script
# submitted again (qsub) picks up where the last allocation stopped; on the
# first submission it simply starts the run.
mpiexec -n "${NNODES}" --ppn 1 --depth 64 --cpu-bind none \
  ./build/sortie run tasks.jsonl --out run.h5 --resume --launcher pals
status=$?

# 0: every task DONE; 1: some FAILED/TIMEOUT/SKIPPED; 4: cut short, resubmit.
if [ "${status}" -eq 4 ]; then
  echo "sortie: not finished; resubmit this script to continue (it uses --resume)"
fi
exit "${status}"
