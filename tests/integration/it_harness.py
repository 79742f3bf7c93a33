"""The harness of the end-to-end scenarios (test_run.py, test_resilience.py,
test_status_report.py, test_results.py, test_users_day.py): the command line
every scenario file takes, running sortie under the real mpiexec, manifests,
reading run.h5's /tasks, and the base class of the scenarios. A scenario file
ends with `main(sys.modules[__name__])`; run one scenario with
FILE --sortie BIN --mpiexec MPIEXEC --np N --workdir DIR CaseName"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import unittest

import h5py

# The parsed command line. Filled in place by main(), so that scenario files
# may bind it with `from it_harness import ARGS` before main() runs.
ARGS = argparse.Namespace()


def run_sortie(*args, np_ranks=None, env=None, cwd=None):
    """Runs sortie (under mpiexec unless --np 0); returns CompletedProcess."""
    np_ranks = ARGS.np if np_ranks is None else np_ranks
    cmd = [ARGS.sortie, *args]
    if np_ranks > 0:
        cmd = [ARGS.mpiexec, "-n", str(np_ranks), *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env,
                          cwd=cwd or ARGS.workdir, timeout=100)


def write_manifest(path, tasks):
    """Writes `tasks` one a line: dicts as JSON (UTF-8 kept), strings as is."""
    with open(path, "w", encoding="utf-8") as f:
        for t in tasks:
            f.write((t if isinstance(t, str) else json.dumps(t, ensure_ascii=False)) + "\n")


def load_tasks(path):
    """(columns of /tasks by name, strings decoded; the file's attributes)."""
    with h5py.File(path, "r") as f:
        t = f["tasks"]
        cols = {k: (t[k].asstr()[:] if t[k].dtype.kind in "SO" else t[k][:])
                for k in t.keys()}
        attrs = dict(f.attrs)
    return cols, attrs


class Base(unittest.TestCase):
    """A scenario in a fresh, empty --workdir (self.dir)."""

    def setUp(self):
        self.dir = ARGS.workdir
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def expected_ranks(self):
        """Rank 0 runs command tasks on its own node too."""
        return set(range(max(ARGS.np, 1)))


def launcher_flags():
    """Nested MPI programs start with the same mpiexec as the pilot, through
    the preset of its MPI."""
    preset = "openmpi" if ARGS.mpi_flavour == "openmpi" else "hydra"
    return ["--launcher", f"{preset}:{ARGS.mpiexec}"]


def mpi_task(task):
    """`task` with what its nested launcher needs here: Open MPI's mpirun
    refuses to run as root unless told, and a task's environment is
    scrubbed of OMPI_* variables, so it is told on the command line."""
    if ARGS.mpi_flavour == "openmpi" and os.geteuid() == 0:
        task = dict(task, launcher_args=["--allow-run-as-root"])
    return task


def manifest_for_this_mpi(src, dst):
    """`src`, or a copy at `dst` whose multi-rank tasks get mpi_task()'s
    launcher arguments when this MPI needs them (other keys unchanged)."""
    if mpi_task({}) == {}:
        return src
    with open(src) as f, open(dst, "w") as out:
        for line in f:
            text = line.strip()
            task = json.loads(text) if text and not text.startswith("#") else None
            if task and task.get("nodes", 1) * task.get("ranks_per_node", 1) > 1:
                task = mpi_task(task)
            out.write(json.dumps(task) + "\n" if task else line)
    return dst


def sortie_tool(*args):
    """Runs a sortie subcommand that needs no MPI (status, report)."""
    return subprocess.run([ARGS.sortie, *args], capture_output=True, text=True,
                          cwd=ARGS.workdir, timeout=60)


def status_json(path):
    """`sortie status PATH --json`, parsed; raises if status fails."""
    proc = sortie_tool("status", path, "--json")
    if proc.returncode != 0:
        raise AssertionError(f"status failed ({proc.returncode}): {proc.stderr}")
    return json.loads(proc.stdout)


SKIPPED = 77  # ctest's SKIP_RETURN_CODE for these scenarios


def main(module):
    """Runs the case named on the command line, from the scenario file
    `module` (the caller passes itself); exits 0, 1, or SKIPPED when every
    test of the case skipped itself."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sortie", required=True)
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("--np", type=int, required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--sanitized", action="store_true",
                        help="the binary is built with sanitizers: skip timing checks")
    parser.add_argument("--mpi-hello", help="path of the test MPI program")
    parser.add_argument("--function-lib", help="path of the test function library")
    parser.add_argument("--mpi-flavour", choices=["mpich", "openmpi", "other"],
                        default="mpich",
                        help="the MPI --mpiexec belongs to (checks that differ)")
    parser.add_argument("case")
    parser.parse_known_args(namespace=ARGS)
    ARGS.workdir = os.path.abspath(ARGS.workdir)
    suite = unittest.defaultTestLoader.loadTestsFromName(ARGS.case, module)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if result.wasSuccessful() and result.skipped and \
            len(result.skipped) == result.testsRun:
        sys.exit(SKIPPED)
    sys.exit(0 if result.wasSuccessful() else 1)
