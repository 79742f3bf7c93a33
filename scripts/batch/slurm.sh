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
# `srun --overlap` (--launcher srun). sortie also asks squeue for the time
# left and drains --walltime-margin (60 s) before it.
# --resume makes this script continue an earlier allocation's run.
srun --ntasks-per-node=1 --cpus-per-task="${SLURM_CPUS_ON_NODE}" \
  ./build/sortie run tasks.jsonl --out run.h5 --resume --launcher srun
status=$?
[ "${status}" -eq 4 ] && echo "sortie: not finished; sbatch this script again to resume"
exit "${status}"
