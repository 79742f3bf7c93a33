#!/usr/bin/python3
"""Checks scripts/batch/*.sh: valid bash, a walltime request, a drain before
it (--walltime-margin; Slurm's --signal), --resume and a printed resume
line, one sortie rank per node; then runs each script for real with a
stand-in launcher (mpiexec/srun on PATH that start the real sortie as a
singleton) on a two-task manifest, so its sortie options are accepted.

Usage: check_batch_scripts.py --sortie BIN --workdir DIR"""
import argparse
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BATCH = os.path.join(ROOT, "scripts", "batch")

# Per script: its batch system's walltime directive, how it asks for one
# rank per node, the launcher for multi-node tasks and the resubmit command.
EXPECTED = {
    "pbs-polaris.sh": (r"^#PBS -l walltime=\d+:\d\d:\d\d$",
                       r"mpiexec -n \"\$\{NNODES\}\" --ppn 1 ", "pals", "qsub"),
    "pbs-hydra.sh": (r"^#PBS -l walltime=\d+:\d\d:\d\d$",
                     r"mpiexec -n \"\$\{NNODES\}\" -ppn 1 ", "hydra", "qsub"),
    "slurm.sh": (r"^#SBATCH --time=\d+:\d\d:\d\d$", r"--ntasks-per-node=1 ",
                 "srun", "sbatch"),
}

# mpiexec or srun as the script calls it: drops the launcher's options and
# starts the sortie command line alone (a singleton MPI process).
FAKE_LAUNCHER = """#!/bin/sh
while [ $# -gt 0 ] && [ "$1" != ./build/sortie ]; do shift; done
shift
exec "$SORTIE_BIN" "$@"
"""


def check_text(name, text, problems):
    walltime, per_node, launcher, resubmit = EXPECTED[name]
    checks = [
        (re.search(walltime, text, re.M), "no walltime request"),
        (re.search(per_node, text), "not one sortie rank per node"),
        ("--resume" in text, "no --resume"),
        (re.search(r"--walltime-margin \d+", text), "no --walltime-margin"),
        (f"--launcher {launcher}" in text, f"no --launcher {launcher}"),
        (re.search(rf'"\$\{{status\}}" -eq 4 \]; then\n\s+(#.*\n\s+)*'
                   rf'echo ".*to resume: {resubmit} scripts/batch/{name}"', text),
         "no resume line printed on exit status 4"),
        ('exit "${status}"' in text, "does not exit with sortie's status"),
    ]
    if name == "slurm.sh":
        checks.append((re.search(r"^#SBATCH --signal=TERM@\d+$", text, re.M),
                       "no --signal=TERM@SECONDS"))
    else:
        checks.append(("SIGTERM" in text and "kill_delay" in text,
                       "does not explain PBS's SIGTERM and kill_delay"))
    for ok, problem in checks:
        if not ok:
            problems.append(f"{name}: {problem}")


def run_script(name, sortie, workdir, problems):
    """Runs the script in `workdir` with the stand-in launcher; the run must
    end with both tasks DONE and status 0."""
    work = os.path.join(workdir, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "bin"))
    os.makedirs(os.path.join(work, "build"))
    os.symlink(sortie, os.path.join(work, "build", "sortie"))
    for tool in ("mpiexec", "srun"):
        path = os.path.join(work, "bin", tool)
        with open(path, "w") as f:
            f.write(FAKE_LAUNCHER)
        os.chmod(path, 0o755)
    with open(os.path.join(work, "tasks.jsonl"), "w") as f:
        f.write('{"id": "a", "command": "true"}\n{"id": "b", "command": "true"}\n')
    with open(os.path.join(work, "nodefile"), "w") as f:
        f.write("localhost\n")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PBS_", "SLURM_"))}
    env.update(PATH=os.path.join(work, "bin") + ":" + env["PATH"],
               SORTIE_BIN=sortie, PBS_O_WORKDIR=work,
               PBS_NODEFILE=os.path.join(work, "nodefile"),
               SLURM_CPUS_ON_NODE="1",
               # A singleton under Open MPI as root (CI) needs these too.
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    proc = subprocess.run(["bash", os.path.join(BATCH, name)], cwd=work,
                          env=env, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0 or "2 tasks in" not in proc.stdout:
        problems.append(f"{name}: run ended {proc.returncode}:\n{proc.stdout}"
                        f"{proc.stderr}")
    elif "sortie: progress" not in proc.stderr:
        problems.append(f"{name}: no progress line on stderr:\n{proc.stderr}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sortie", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    names = sorted(f for f in os.listdir(BATCH) if f.endswith(".sh"))
    problems = []
    if names != sorted(EXPECTED):
        problems.append(f"scripts/batch has {names}, expected {sorted(EXPECTED)}")
    for name in names:
        path = os.path.join(BATCH, name)
        syntax = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
        if syntax.returncode != 0:
            problems.append(f"{name}: bash -n: {syntax.stderr}")
            continue
        check_text(name, open(path).read(), problems)
        run_script(name, os.path.abspath(args.sortie), args.workdir, problems)
    for problem in problems:
        print(problem)
    print(f"{len(names)} batch scripts, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
