#!/bin/bash
# sortie on a generic PBS cluster with MPICH's Hydra mpiexec.
# Submit: qsub scripts/batch/pbs-hydra.sh   (edit the #PBS lines first)
#PBS -l nodes=4:ppn=32
#PBS -l walltime=02:00:00
#PBS -N sortie

cd "${PBS_O_WORKDIR}"
NNODES=$(sort -u "${PBS_NODEFILE}" | wc -l)

# One sortie rank per node; multi-node tasks start through a nested Hydra
# mpiexec (--launcher hydra). The walltime comes from qstat; the run drains
# 60 s before it, or on PBS's SIGTERM, which Hydra forwards to every rank.
# --resume makes this script continue an earlier allocation's run.
mpiexec -n "${NNODES}" -ppn 1 -f "${PBS_NODEFILE}" \
  ./build/sortie run tasks.jsonl --out run.h5 --resume --launcher hydra
status=$?
[ "${status}" -eq 4 ] && echo "sortie: not finished; qsub this script again to resume"
exit "${status}"
