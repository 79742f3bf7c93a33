#!/usr/bin/python3
"""End-to-end scenarios for task results and the user-side scripts: tasks
write $SORTIE_RESULT and print lines the manifest's `results` patterns
match; /results is checked with h5py, and scripts/sortie_h5.py,
scripts/make_sweep.py and the inputs/scaling example are run for real.
Same command line as test_run.py (the harness is it_harness.py)."""
import json
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

import it_harness as it
from it_harness import Base, run_sortie, write_manifest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPTS = os.path.join(ROOT, "scripts")
sys.path.insert(0, SCRIPTS)
import sortie_h5  # noqa: E402

PYTHON = "/usr/bin/python3"
CHECKER = os.path.join(ROOT, "tests", "tools", "check_run_h5.py")


def read_results(path):
    """/results as a list of (task id, key, value or None for NaN, text)."""
    with h5py.File(path, "r") as f:
        g = f["results"]
        ids = f["tasks/id"].asstr()[:]
        self_check = list(g.attrs["columns"])
        assert self_check == ["task", "key", "value", "text"], self_check
        assert g["task"].dtype == np.dtype("<i4") and g["value"].dtype == np.dtype("<f8")
        return [(ids[t], k, None if np.isnan(v) else float(v), x)
                for t, k, v, x in zip(g["task"][:], g["key"].asstr()[:],
                                      g["value"][:], g["text"].asstr()[:])]


class Results(Base):
    """Both sources, the file winning a shared key, text values, malformed
    lines, a failed task's results and a retry dropping the first attempt's."""

    def test_results_table(self):
        flaky = self.path("flaky.once")
        tasks = [
            {"id": "file", "command": "printf 'time=0.52\\n# note\\nlabel = big run\\n"
                                      "oops\\nn=4\\n' > \"$SORTIE_RESULT\""},
            {"id": "stdout", "command": "echo 'elapsed: 1.5 s'; echo 'elapsed: 2.25 s'; "
                                        "echo 'mode: fast'",
             "results": {"time": "elapsed: (\\S+) s", "mode": "mode: (\\w+)",
                         "absent": "nothing here ([0-9]+)"}},
            {"id": "both", "command": "echo 'elapsed: 9 s'; echo time=3 > \"$SORTIE_RESULT\"",
             "results": {"time": "elapsed: (\\S+) s"}},
            {"id": "failed", "command": "echo partial=1 > \"$SORTIE_RESULT\"; exit 3"},
            {"id": "retried", "retries": 1,
             "command": f"if [ ! -e {flaky} ]; then touch {flaky}; "
                        "echo first=1 > \"$SORTIE_RESULT\"; exit 1; fi"},
            {"id": "quiet", "command": "true"},
        ]
        write_manifest(self.path("m.jsonl"), tasks)
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5")
        self.assertEqual(proc.returncode, 1, proc.stderr)  # "failed" failed
        self.assertEqual(read_results(self.path("R.h5")), [
            ("file", "label", None, "big run"),
            ("file", "n", 4.0, "4"),
            ("file", "time", 0.52, "0.52"),
            ("stdout", "mode", None, "fast"),
            ("stdout", "time", 2.25, "2.25"),
            ("both", "time", 3.0, "3"),
            ("failed", "partial", 1.0, "1"),
        ])
        err = open(self.path("R.logs", "file.err")).read()
        self.assertIn("line 4: no '=' (ignored)", err)
        check = subprocess.run([PYTHON, CHECKER, "--check", self.path("R.h5")],
                               capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.check_helpers()

    def check_helpers(self):
        """sortie_h5 on the same file: tasks with runtime, results pivoted."""
        tasks = sortie_h5.load_tasks(self.path("R.h5"))
        self.assertEqual(list(tasks["id"]), ["file", "stdout", "both", "failed",
                                             "retried", "quiet"])
        self.assertTrue((tasks["runtime"] >= 0).all())
        table = sortie_h5.load_results(self.path("R.h5")).set_index("id")
        self.assertEqual(len(table), 6)
        self.assertEqual(table.loc["stdout", "time"], 2.25)
        self.assertEqual(table.loc["both", "time"], 3.0)
        self.assertEqual(table.loc["stdout", "mode"], "fast")
        self.assertTrue(np.isnan(table.loc["quiet", "time"]))
        self.assertEqual(table.loc["retried", "state"], "DONE")
        self.assertNotIn("first", table.columns)
        self.assertEqual(table["time"].dtype, np.float64)
        self.assertEqual(list(table["nodes"]), [1] * 6)  # the resource column


class KeysNamedLikeColumns(Base):
    """A result key may be named like a task column, even `task`: the
    result keeps the name, the task column gets "_task" appended."""

    def test_result_keys_task_id_and_state(self):
        write_manifest(self.path("m.jsonl"), [
            {"id": "a", "command": "printf 'task=7\\nid=x\\nstate=ok\\n' > \"$SORTIE_RESULT\""},
            {"id": "b", "command": "true"},
        ])
        proc = run_sortie("run", "m.jsonl", "--out", "K.h5")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        table = sortie_h5.load_results(self.path("K.h5"))
        self.assertEqual(list(table["task_task"]), [0, 1])
        self.assertEqual(list(table["id_task"]), ["a", "b"])
        self.assertEqual(list(table["state_task"]), ["DONE", "DONE"])
        self.assertEqual(table["task"][0], 7.0)
        self.assertEqual(table["id"][0], "x")
        self.assertEqual(table["state"][0], "ok")
        self.assertTrue(np.isnan(table["task"][1]))
        self.assertNotIn("\0row", table.columns)


class BadPattern(Base):
    """A pattern without one capture group stops the run before it starts."""

    def test_bad_pattern_refused_with_file_and_line(self):
        write_manifest(self.path("m.jsonl"), [
            {"id": "ok", "command": "true", "results": {"t": "t=([0-9]+)"}},
            {"id": "bad", "command": "true", "results": {"t": "t=[0-9]+"}}])
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("m.jsonl:2: \"results\" key \"t\": pattern \"t=[0-9]+\" needs "
                      "exactly one capture group", proc.stderr)
        self.assertFalse(os.path.exists(self.path("R.h5")))
        self.assertFalse(os.path.exists(self.path("R.logs")))


class ResultsSurviveKill(Base):
    """A DONE task's results come back from the journal after kill -9."""

    def test_kill_then_resume_keeps_results(self):
        go = self.path("go")
        marks = self.path("marks")
        os.makedirs(marks)
        tasks = [{"id": f"q{i}", "command": f"echo run >> {marks}/q{i}; "
                                           f"echo v={i} > \"$SORTIE_RESULT\""}
                 for i in range(4)]
        tasks.append({"id": "wait", "command": f"while [ ! -e {go} ]; do sleep 0.05; done; "
                                               "echo w=1 > \"$SORTIE_RESULT\""})
        write_manifest(self.path("m.jsonl"), tasks)
        cmd = [it.ARGS.mpiexec, "-n", str(it.ARGS.np), it.ARGS.sortie, "run", "m.jsonl",
               "--out", "R.h5", "--snapshot-interval", "0.1"]
        # The killed ranks' scratch directories stay here, not in /tmp.
        os.makedirs(self.path("tmp"))
        proc = subprocess.Popen(cmd, cwd=self.dir, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True,
                                env=dict(os.environ, TMPDIR=self.path("tmp")))
        deadline = time.monotonic() + 30
        while not self.quick_tasks_done() and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self.assertTrue(self.quick_tasks_done(), "the quick tasks never ended")
        open(go, "w").close()
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5", "--resume")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for i in range(4):
            self.assertEqual(open(f"{marks}/q{i}").read(), "run\n", f"q{i} ran again")
        self.assertEqual(read_results(self.path("R.h5")),
                         [(f"q{i}", "v", float(i), str(i)) for i in range(4)] +
                         [("wait", "w", 1.0, "1")])

    def quick_tasks_done(self):
        """Whether a snapshot shows every q task DONE (so it is journaled)."""
        try:
            with h5py.File(self.path("R.h5"), "r") as f:
                states = f["tasks/state"].asstr()[:]
        except (OSError, KeyError):
            return False
        return all(s == "DONE" for s in states[:4])


class SweepManifest(Base):
    """make_sweep.py: a grid times repetitions, valid for sortie, tagged."""

    def make(self, *args):
        return subprocess.run([PYTHON, os.path.join(SCRIPTS, "make_sweep.py"), *args],
                              capture_output=True, text=True, cwd=self.dir)

    def test_grid_is_valid_and_tagged(self):
        proc = self.make("--param", "nodes=1,2,4,8", "--param", "input=a.dat,b.dat",
                         "--repeat", "3", "--command", "app --in {input}",
                         "--nodes", "{nodes}", "--id", "run-{nodes}-{input}-{rep}",
                         "--result", "time=elapsed: (\\S+) s")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(self.path("sweep.jsonl"), "w") as f:
            f.write(proc.stdout)
        lines = [json.loads(line) for line in proc.stdout.splitlines()]
        self.assertEqual(len(lines), 4 * 2 * 3)
        self.assertEqual(lines[0], {
            "id": "run-1-a.dat-0", "command": "app --in a.dat", "nodes": 1,
            "results": {"time": "elapsed: (\\S+) s"},
            "tags": {"nodes": 1, "input": "a.dat", "rep": 0}})
        self.assertEqual([t["tags"]["rep"] for t in lines], [0] * 8 + [1] * 8 + [2] * 8)
        self.assertEqual({t["nodes"] for t in lines}, {1, 2, 4, 8})
        self.assertTrue(all(t["nodes"] == t["tags"]["nodes"] for t in lines))
        self.assertTrue(all(t["command"] == f"app --in {t['tags']['input']}" for t in lines))
        check = run_sortie("validate", "sweep.jsonl", np_ranks=0)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("OK, 24 tasks", check.stdout)

    def test_bad_templates_are_refused(self):
        for args, message in [
                (["--param", "n=1", "--command", "x {m}"], "unknown field {m}"),
                (["--param", "n=1,2", "--command", "x", "--id", "same"], "same id"),
                (["--param", "n=a", "--command", "x", "--nodes", "{n}"], "not an integer"),
                (["--param", "n=", "--command", "x"], "empty value")]:
            proc = self.make(*args)
            self.assertEqual(proc.returncode, 2, args)
            self.assertIn(message, proc.stderr)
            self.assertEqual(proc.stdout, "")


class ScalingExample(Base):
    """inputs/scaling end to end: the documented run, the table, the plot."""

    def test_scaling_run_table_and_plot(self):
        out = self.path("scaling.h5")
        proc = subprocess.run(
            [it.ARGS.mpiexec, "-n", "5", it.ARGS.sortie, "run",
             it.manifest_for_this_mpi(os.path.join(ROOT, "inputs/scaling/manifest.jsonl"),
                                      self.path("manifest.jsonl")),
             "--out", out, "--virtual-nodes",
             "--cores-per-node", "1", *it.launcher_flags()],
            cwd=ROOT, capture_output=True, text=True, timeout=100)
        self.assertEqual(proc.returncode, 1, proc.stderr)  # broken-input fails
        rows = read_results(out)
        keys = {(task_id, key) for task_id, key, _, _ in rows}
        for n in (1, 2, 4):
            for rep in range(3):
                task_id = f"scale-n{n}-r{rep}"
                for key in ("elapsed", "time", "nodes", "ranks", "hosts"):
                    self.assertIn((task_id, key), keys)  # stdout and file both
        table = sortie_h5.load_results(out)
        self.assertEqual(len(table), 10)
        done = table[table.state == "DONE"]
        self.assertEqual(len(done), 9)
        self.assertTrue((done["time"] > 0.2).all())
        self.assertTrue((abs(done["time"] - done["elapsed"]) < 0.002).all())
        self.assertEqual(list(done["ranks"]), [float(n) for n in (1, 2, 4) * 3])
        mean = done.groupby("nodes")["time"].mean()
        self.assertLess(mean[4.0], mean[1.0])
        broken = table.set_index("id").loc["broken-input"]
        self.assertEqual(broken["state"], "FAILED")
        self.assertTrue(np.isnan(broken["time"]))
        tails = sortie_h5.load_tasks(out, tails=True).set_index("id")
        self.assertIn("No such file", tails.loc["broken-input", "stderr_tail"])
        png = self.path("scaling.png")
        plot = subprocess.run([PYTHON, os.path.join(ROOT, "inputs", "scaling",
                                                    "plot_scaling.py"), out, png],
                              capture_output=True, text=True)
        self.assertEqual(plot.returncode, 0, plot.stderr)
        self.assertIn("speedup", plot.stdout)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertGreater(os.path.getsize(png), 10000)

    def test_plot_takes_repetitions_that_measured_the_same(self):
        # Three times 0.7 s averages an ulp below 0.7: no negative error bar.
        sys.path.insert(0, os.path.join(ROOT, "inputs", "scaling"))
        import pandas as pd
        import plot_scaling
        table = pd.DataFrame({"mean": [pd.Series([0.7] * 3).mean(), 0.4],
                              "min": [0.7, 0.3], "max": [0.7, 0.5]},
                             index=pd.Index([1, 2], name="nodes"))
        table["speedup"] = table["mean"].iloc[0] / table["mean"]
        self.assertLess(table["mean"].iloc[0], table["min"].iloc[0])
        png = self.path("same.png")
        plot_scaling.plot(table, "time", png)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    it.main(sys.modules[__name__])
