#!/bin/bash
# sortie on a Slurm cluster.
# Submit: sbatch scripts/batch/slurm.sh   (edit the #SBATCH lines first)
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=1
#SBATCH --exclusive
#SBATCH --time=02:00:00
#SBATCH --job-name=sortie
# SIGTERM to the job step 120 s before the time limit: sortie drains (tasks
# interrupted, journal and run.h5 written) well before Slurm's SIGKILL.
#SBATCH --signal=TERM@120

# One sortie rank per node; multi-node tasks start through a nested
# `srun --overlap` (--launcher srun).
# Walltime: sortie also asks squeue for the time left and drains
# --walltime-margin seconds before it (tasks interrupted, journal and run.h5
# written, exit status 4); the --signal above is the backstop.
# --resume continues an earlier allocation's run (or starts a fresh one).
# Progress: a line a minute in the job's log (stderr).
srun --ntasks-per-node=1 --cpus-per-task="${SLURM_CPUS_ON_NODE}" \
  ./build/sortie run tasks.jsonl --out run.h5 --resume --launcher srun \
  --walltime-margin 120 --progress 60
status=$?

# 0: every task DONE; 1: some FAILED/TIMEOUT/SKIPPED; 4: cut short.
if [ "${status}" -eq 4 ]; then
  # Or chain it before this job ends:
  #   sbatch --dependency=afterany:${SLURM_JOB_ID} scripts/batch/slurm.sh
  echo "sortie: not finished; to resume: sbatch scripts/batch/slurm.sh"
fi
exit "${status}"
