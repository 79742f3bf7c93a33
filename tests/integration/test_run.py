#!/usr/bin/python3
"""End-to-end scenarios: run build/sortie under mpiexec on real manifests and
check run.h5 with h5py. Run one scenario: test_run.py --sortie BIN --mpiexec
MPIEXEC --np N --workdir DIR CaseName"""
import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import unittest

import h5py
import numpy as np

ARGS = None


def run_sortie(*args, np_ranks=None, env=None, cwd=None):
    """Runs sortie (under mpiexec unless --np 0); returns CompletedProcess."""
    np_ranks = ARGS.np if np_ranks is None else np_ranks
    cmd = [ARGS.sortie, *args]
    if np_ranks > 0:
        cmd = [ARGS.mpiexec, "-n", str(np_ranks), *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env,
                          cwd=cwd or ARGS.workdir, timeout=100)


def write_manifest(path, tasks):
    with open(path, "w", encoding="utf-8") as f:
        for t in tasks:
            f.write((t if isinstance(t, str) else json.dumps(t, ensure_ascii=False)) + "\n")


def load_tasks(path):
    with h5py.File(path, "r") as f:
        t = f["tasks"]
        cols = {k: (t[k].asstr()[:] if t[k].dtype.kind in "SO" else t[k][:])
                for k in t.keys()}
        attrs = dict(f.attrs)
    return cols, attrs


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = ARGS.workdir
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def expected_ranks(self):
        """Rank 0 runs command tasks on its own node too."""
        return set(range(max(ARGS.np, 1)))


class MixedTasks(Base):
    COUNT = 40

    def test_mixed(self):
        os.makedirs(self.path("sub dir"))
        tasks = []
        for i in range(self.COUNT):
            kind = i % 8
            t = {"id": f"t{i}"}
            if kind == 0:
                t["command"] = "exit 0"
            elif kind == 1:
                t["command"] = f"exit {i % 7 + 1}"
            elif kind == 2:
                t["command"] = "kill -SEGV $$"
            elif kind == 3:
                t["command"] = ["/bin/sh", "-c", "echo array-$0", "x"]
            elif kind == 4:
                t["command"] = "env"
                t["env"] = {"MY_VAR": "v a l"}
            elif kind == 5:
                t["command"] = ["/bin/pwd"]
                t["cwd"] = self.path("sub dir")
            elif kind == 6:
                t["id"] = f"タスク-{i}-naïve"
                t["command"] = ["/bin/echo", "$HOME"]
                t["tags"] = {"n": i, "kind": "utf8"}
            else:
                t["command"] = ["/no/such/program"]
            tasks.append(t)
        write_manifest(self.path("m.jsonl"), tasks)
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        cols, attrs = load_tasks(self.path("R.h5"))
        self.assertEqual(list(cols["id"]), [t["id"] for t in tasks])
        for i, t in enumerate(tasks):
            kind = i % 8
            with self.subTest(i=i):
                want = {0: ("DONE", 0, 0), 1: ("FAILED", i % 7 + 1, 0),
                        2: ("FAILED", -1, 11), 7: ("FAILED", 127, 0)}.get(
                            kind, ("DONE", 0, 0))
                self.assertEqual((cols["state"][i], cols["exit_code"][i],
                                  cols["signal"][i]), want)
                self.assertEqual(cols["attempts"][i], 1)
                self.assertIn(cols["rank"][i], self.expected_ranks())
                self.assertTrue(cols["host"][i])
                self.assertLessEqual(cols["start_time"][i], cols["end_time"][i])
                out = open(cols["stdout"][i], encoding="utf-8").read()
                if kind == 3:
                    self.assertEqual(out, "array-x\n")
                if kind == 4:
                    self.assertIn("MY_VAR=v a l\n", out)
                    self.assertIn(f"SORTIE_TASK_ID=t{i}\n", out)
                    self.assertIn("SORTIE_ATTEMPT=1\n", out)
                    self.assertNotIn("PMI_", out)
                    self.assertNotIn("HYDRA_", out)
                    self.assertNotIn("OMPI_", out)
                    self.assertNotIn("PMIX_", out)
                    self.assertNotIn("MPI_LOCALRANKID", out)
                if kind == 5:
                    self.assertEqual(out, self.path("sub dir") + "\n")
                if kind == 6:
                    self.assertEqual(out, "$HOME\n")
                    self.assertEqual(json.loads(cols["tags"][i]),
                                     {"n": i, "kind": "utf8"})
                if kind == 7:
                    err = open(cols["stderr"][i], encoding="utf-8").read()
                    self.assertIn("/no/such/program", err)
        self.assertEqual(attrs["schema_version"], 1)
        self.assertEqual(attrs["world_size"], max(ARGS.np, 1))
        want_library = {"mpich": "MPICH", "openmpi": "Open MPI"}.get(ARGS.mpi_flavour)
        if want_library:
            self.assertIn(want_library, attrs["mpi_library"])
        self.assertTrue(os.path.exists(self.path("R.h5.journal")))


class MixedTasks500(MixedTasks):
    """The spine's acceptance run: 500 mixed tasks."""
    COUNT = 500


class AllDone(Base):
    def test_all_done(self):
        write_manifest(self.path("m.jsonl"),
                       [{"command": f"echo {i}"} for i in range(25)])
        proc = run_sortie("run", "m.jsonl", "--out", "out/all.h5")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("25 DONE", proc.stdout)
        cols, attrs = load_tasks(self.path("out", "all.h5"))
        self.assertTrue((cols["state"] == "DONE").all())
        self.assertEqual(list(cols["id"]), [str(i + 1) for i in range(25)])
        for i in range(25):
            self.assertEqual(open(cols["stdout"][i]).read(), f"{i}\n")
            self.assertTrue(cols["stdout"][i].startswith(self.path("out", "all.logs")))
        self.assertLess(attrs["started_at"], attrs["finished_at"])
        self.assertEqual(attrs["exit_status"], 0)
        self.assertFalse(os.path.exists(self.path("out", "all.h5.tmp")))


class BadManifest(Base):
    def test_refused_with_every_bad_line_and_nothing_runs(self):
        marker = self.path("ran")
        write_manifest(self.path("bad.jsonl"), [
            {"command": f"touch {marker}"},
            '{"command": "echo", "comand": 1}',
            '{"command": ',
            '[1, 2]',
            {"id": "dup", "command": "true"},
            {"id": "dup", "command": "true"},
            {"command": ""},
        ])
        want = [f"bad.jsonl:{n}:" for n in (2, 3, 4, 6, 7)]
        proc = run_sortie("validate", "bad.jsonl", np_ranks=0)
        self.assertEqual(proc.returncode, 2)
        for prefix in want:
            self.assertIn(prefix, proc.stderr)
        open(self.path("R.h5"), "w").write("previous results")
        proc = run_sortie("run", "bad.jsonl", "--out", "R.h5")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        for prefix in want:
            self.assertIn(prefix, proc.stderr)
        self.assertIn("nothing was run", proc.stderr)
        self.assertFalse(os.path.exists(marker))
        self.assertEqual(open(self.path("R.h5")).read(), "previous results")


class PlainList(Base):
    def test_plain_text_lines_are_shell_commands(self):
        with open(self.path("tasks.txt"), "w") as f:
            f.write("# a comment\n\necho one | tr a-z A-Z\nexit 4\n")
        proc = run_sortie("run", "tasks.txt", "--out", "p.h5")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        cols, _ = load_tasks(self.path("p.h5"))
        self.assertEqual(list(cols["id"]), ["3", "4"])
        self.assertEqual(list(cols["state"]), ["DONE", "FAILED"])
        self.assertEqual(cols["exit_code"][1], 4)
        self.assertEqual(open(cols["stdout"][0]).read(), "ONE\n")
        self.assertEqual(cols["command"][0], "echo one | tr a-z A-Z")


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


def busy_cores_never_exceed_capacity(test, cols, nodes):
    """Replays /tasks over time: no node ever holds more cores than it has.
    Returns the largest number of tasks seen running at once on one node."""
    events = []
    for i in range(len(cols["id"])):
        cores = int(cols["ranks_per_node"][i] * cols["cores_per_rank"][i])
        ids = [int(n) for n in cols["node_ids"][i].split(",") if n]
        whole = cols["nodes"][i] > 1
        for n in ids:
            need = nodes["cores"][n] if whole else cores
            events.append((cols["end_time"][i], 0, n, -need, -1))
            events.append((cols["start_time"][i], 1, n, need, 1))
    busy, running, most = {}, {}, 0
    for _, _, n, cores, count in sorted(events):
        busy[n] = busy.get(n, 0) + cores
        running[n] = running.get(n, 0) + count
        test.assertLessEqual(busy[n], nodes["cores"][n], f"node {n} oversubscribed")
        most = max(most, running[n])
    return most


def load_nodes(path):
    with h5py.File(path, "r") as f:
        g = f["nodes"]
        return {k: (g[k].asstr()[:] if g[k].dtype.kind in "SO" else g[k][:]) for k in g}


class MultiNode(Base):
    """The multi-node acceptance run: 5 virtual nodes of 4 cores."""

    def test_mixed_mpi_and_packed_tasks(self):
        hello = ARGS.mpi_hello
        tasks = []
        for i in range(2):
            tasks.append(mpi_task({"id": f"mpi2x2-{i}", "command": [hello],
                                   "nodes": 2, "ranks_per_node": 2,
                                   "tags": {"want": 4}}))
        for i in range(2):
            tasks.append(mpi_task({"id": f"mpi1x4-{i}", "command": [hello],
                                   "ranks_per_node": 4, "tags": {"want": 4}}))
        for i in range(24):
            tasks.append({"id": f"one-{i}", "command": "sleep 0.3"})
        for i in range(4):
            tasks.append({"id": f"two-{i}", "command": "sleep 0.2",
                          "cores_per_rank": 2})
        marker = self.path("allreduce.size")
        tasks.append({"id": "allreduce3", "function": "sortie:allreduce",
                      "nodes": 3, "args": {"size": 3}})
        tasks.append({"id": "user-fn", "function": f"{ARGS.function_lib}:record_size",
                      "nodes": 2, "args": {"file": marker}})
        write_manifest(self.path("m.jsonl"), tasks)
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5", "--virtual-nodes",
                          "--cores-per-node", "4", *launcher_flags())
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        cols, _ = load_tasks(self.path("R.h5"))
        nodes = load_nodes(self.path("R.h5"))
        self.assertEqual(list(nodes["cores"]), [4] * 5)
        self.assertEqual(list(nodes["rank"]), [0, 1, 2, 3, 4])
        self.assertTrue((cols["state"] == "DONE").all(), list(zip(cols["id"], cols["state"])))
        for i, task_id in enumerate(cols["id"]):
            if task_id.startswith("mpi"):
                lines = open(cols["stdout"][i]).read().split("\n")
                lines = [l for l in lines if l.startswith("size=")]
                self.assertEqual(len(lines), 4, task_id)
                self.assertTrue(all(l.startswith("size=4 ") for l in lines), lines)
                self.assertTrue(all("sum_ok=1" in l for l in lines), lines)
            want_nodes = {"mpi2x2": 2, "allreduce3": 3, "user": 2}.get(task_id.split("-")[0], 1)
            self.assertEqual(len(cols["node_ids"][i].split(",")), want_nodes, task_id)
        self.assertNotIn("0", cols["node_ids"][list(cols["id"]).index("allreduce3")].split(","))
        self.assertEqual(open(marker).read(), "2\n")
        most = busy_cores_never_exceed_capacity(self, cols, nodes)
        self.assertGreaterEqual(most, 2, "1-core tasks never ran several to a node")


class WideTaskNotStarved(Base):
    """A 4-node task behind whole-node tasks and ahead of fifty small ones."""

    def test_wide_task_starts_early(self):
        tasks = [{"id": f"whole-{i}", "command": "sleep 1", "cores_per_rank": 2}
                 for i in range(4)]
        tasks.append(mpi_task({"id": "wide", "command": [ARGS.mpi_hello],
                               "nodes": 4}))
        tasks += [{"id": f"small-{i}", "command": "sleep 0.1"} for i in range(50)]
        write_manifest(self.path("m.jsonl"), tasks)
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5", "--virtual-nodes",
                          "--cores-per-node", "2", *launcher_flags())
        self.assertEqual(proc.returncode, 0, proc.stderr + proc.stdout)
        cols, _ = load_tasks(self.path("R.h5"))
        start = dict(zip(cols["id"], cols["start_time"]))
        small = sorted(v for k, v in start.items() if k.startswith("small-"))
        self.assertLess(start["wide"], small[0], "small tasks overtook the wide one")
        lines = [l for l in open(cols["stdout"][4]).read().split("\n") if l]
        self.assertEqual(len(lines), 4)


class TooBigRefused(Base):
    def test_request_larger_than_allocation_is_refused(self):
        marker = self.path("ran")
        write_manifest(self.path("m.jsonl"), [
            {"command": f"touch {marker}"},
            {"command": "true", "nodes": 7},
            {"command": "true", "cores_per_rank": 64},
        ])
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5", "--cores-per-node", "4")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("m.jsonl:2:", proc.stderr)
        self.assertIn("m.jsonl:3:", proc.stderr)
        self.assertFalse(os.path.exists(marker))
        self.assertFalse(os.path.exists(self.path("R.h5")))


def load_events(path):
    with h5py.File(path, "r") as f:
        g = f["events"]
        return list(zip(g["task"][:], g["attempt"][:], g["event"].asstr()[:]))


class NeverLose(Base):
    """Timeouts, retries and dependencies on a real run."""

    def test_timeouts_retries_and_dependencies(self):
        flaky = self.path("flaky.count")
        tasks = [
            {"id": "hang", "command": "echo started; sleep 30", "timeout": 0.5},
            {"id": "flaky", "retries": 2, "command":
             f"echo x >> {flaky}; test $(wc -l < {flaky}) -ge 3"},
            {"id": "broken", "command": "echo 'bad things' >&2; exit 3"},
            {"id": "after-broken", "command": "true", "after": ["broken"]},
            {"id": "after-skipped", "command": "true", "after": ["after-broken"]},
            {"id": "after-flaky", "command": "true", "after": ["flaky"]},
            {"id": "no-such", "command": ["/no/such/binary"]},
        ]
        write_manifest(self.path("m.jsonl"), tasks)
        start = time.monotonic()
        # --master-only: every task crosses the wire to a worker rank.
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5", "--grace", "0.5",
                          "--master-only")
        self.assertLess(time.monotonic() - start, 20)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        cols, _ = load_tasks(self.path("R.h5"))
        state = dict(zip(cols["id"], cols["state"]))
        self.assertEqual(state, {"hang": "TIMEOUT", "flaky": "DONE", "broken": "FAILED",
                                 "after-broken": "SKIPPED", "after-skipped": "SKIPPED",
                                 "after-flaky": "DONE", "no-such": "FAILED"})
        row = {k: i for i, k in enumerate(cols["id"])}
        self.assertEqual(cols["attempts"][row["flaky"]], 3)
        self.assertEqual(cols["exit_code"][row["no-such"]], 127)
        self.assertIn("broken", cols["reason"][row["after-broken"]])
        self.assertIn("FAILED", cols["reason"][row["after-broken"]])
        with h5py.File(self.path("R.h5"), "r") as f:
            t = f["tasks"]
            def tail(name, i):
                blob, offsets = t[name + "_blob"], t[name + "_offsets"]
                return bytes(blob[offsets[i]:offsets[i + 1]]).decode()
            self.assertEqual(tail("stderr_tail", row["broken"]), "bad things\n")
            self.assertEqual(tail("stdout_tail", row["hang"]), "started\n")
        events = load_events(self.path("R.h5"))
        flaky_events = [e[2] for e in events if e[0] == row["flaky"]]
        self.assertEqual(flaky_events, ["STARTED", "FAILED", "STARTED", "FAILED",
                                        "STARTED", "DONE"])
        self.assertIn((row["hang"], 1, "TIMEOUT"), events)


class TaskFaults(Base):
    """Tasks that misbehave hurt only themselves."""

    def test_faulty_tasks(self):
        tasks = [
            {"id": "abort", "command": "kill -ABRT $$"},
            {"id": "segv", "command": "kill -SEGV $$"},
            {"id": "closed-stdout", "command": "exec 1>&- 2>&-; sleep 0.1; exit 0"},
            {"id": "flood", "command": "head -c 300000000 /dev/zero; echo end"},
            {"id": "orphan", "command": "sleep 60 & echo $! > orphan.pid"},
            {"id": "no-cwd", "command": "true", "cwd": self.path("missing")},
        ]
        write_manifest(self.path("m.jsonl"), tasks)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5", "--master-only")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        cols, _ = load_tasks(self.path("R.h5"))
        got = {k: (s, int(e), int(g)) for k, s, e, g in
               zip(cols["id"], cols["state"], cols["exit_code"], cols["signal"])}
        self.assertEqual(got["abort"], ("FAILED", -1, 6))
        self.assertEqual(got["segv"], ("FAILED", -1, 11))
        self.assertEqual(got["closed-stdout"], ("DONE", 0, 0))
        self.assertEqual(got["flood"], ("DONE", 0, 0))
        self.assertEqual(got["orphan"], ("DONE", 0, 0))
        self.assertEqual(got["no-cwd"][0], "FAILED")
        # 300 MB went through the task's stdout file, not through the pilot.
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        self.assertLess(max(peak_kb, before), 150_000)
        pid = int(open(self.path("orphan.pid")).read())
        time.sleep(0.2)
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            state = "gone"
        self.assertIn(state, ("gone", "Z"), "the orphaned child survived its task")


class DrainAndResume(Base):
    """SIGTERM (as at the walltime) drains the run; --resume finishes it."""

    def test_sigterm_drains_then_resume_completes(self):
        marks = self.path("marks")
        os.makedirs(marks)
        tasks = [{"id": f"t{i}", "command": f"echo run >> {marks}/t{i}; sleep 2"}
                 for i in range(6)]
        write_manifest(self.path("m.jsonl"), tasks)
        cmd = [ARGS.mpiexec, "-n", str(ARGS.np), ARGS.sortie, "run", "m.jsonl",
               "--out", "R.h5", "--grace", "1"]
        proc = subprocess.Popen(cmd, cwd=self.dir, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        # Signal once tasks run (not after a fixed delay: a loaded machine
        # or a sanitizer build can take longer than that to start up).
        deadline = time.monotonic() + 60
        while not os.listdir(marks) and time.monotonic() < deadline:
            self.assertIsNone(proc.poll(), "the run ended before any task started")
            time.sleep(0.05)
        time.sleep(0.2)
        # Hydra forwards SIGTERM to the ranks and exits with their status.
        # Open MPI's mpirun treats its own SIGTERM as an abort (it signals
        # the ranks, which drain, but exits 1 even when they return 4); it
        # forwards SIGUSR1, which drains sortie the same way.
        proc.send_signal(signal.SIGUSR1 if ARGS.mpi_flavour == "openmpi"
                         else signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        cols, attrs = load_tasks(self.path("R.h5"))
        self.assertEqual(attrs["exit_status"], 4, err)
        # Hydra now and then loses its ranks' status after a signal and
        # exits 0 (pmodels/mpich#7057); run.h5 has sortie's own, above.
        if not (ARGS.mpi_flavour != "openmpi" and proc.returncode == 0):
            self.assertEqual(proc.returncode, 4, err)
        states = set(cols["state"])
        self.assertIn("INTERRUPTED", states, err)
        self.assertNotIn("DONE", states)
        self.assertNotIn("FAILED", states)
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--resume", proc.stderr)
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5", "--resume")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        cols, attrs = load_tasks(self.path("R.h5"))
        self.assertTrue((cols["state"] == "DONE").all())
        self.assertEqual(attrs["exit_status"], 0)
        interrupted = [i for i in range(6)
                       if open(f"{marks}/t{i}").read().count("run") == 2]
        self.assertTrue(interrupted)
        for i in interrupted:
            self.assertEqual(cols["attempts"][i], 2)
        events = load_events(self.path("R.h5"))
        self.assertIn("INTERRUPTED", [e[2] for e in events])


def children_of(pid):
    """Pids of the processes whose parent is `pid` (from /proc)."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(entry))
    return kids


def kill_whole_run(launcher_pid):
    """SIGKILL to the launcher's process group and, under Open MPI, to each
    rank's: Hydra keeps its ranks in the launcher's group, Open MPI's mpirun
    puts every rank in a group of its own, and a rank that outlived the kill
    would keep running the old master beside the resumed one. Tasks keep
    their own groups and may finish, as after a real crash."""
    groups = set()
    for rank in children_of(launcher_pid) if ARGS.mpi_flavour == "openmpi" else []:
        try:
            groups.add(os.getpgid(rank))
        except ProcessLookupError:
            pass
    os.killpg(launcher_pid, 9)
    for group in groups - {launcher_pid}:
        try:
            os.killpg(group, 9)
        except ProcessLookupError:
            pass


class KillAndResume(Base):
    """kill -9 of the whole run at random moments, then --resume, until all
    tasks are DONE: no task recorded DONE runs again, and run.h5 always opens."""

    def test_kill_9_at_random_moments(self):
        import random
        rng = random.Random(1234)
        marks = self.path("marks")
        os.makedirs(marks)
        n = 400  # enough work to outlast 20 kills
        tasks = [{"id": f"t{i}", "command": f"sleep 0.05; echo run >> {marks}/t{i}"}
                 for i in range(n)]
        write_manifest(self.path("m.jsonl"), tasks)
        base = [ARGS.mpiexec, "-n", str(ARGS.np), ARGS.sortie, "run", "m.jsonl",
                "--out", "R.h5", "--snapshot-interval", "0.05", "--resume"]

        def runs(i):
            path = f"{marks}/t{i}"
            return open(path).read().count("run") if os.path.exists(path) else 0

        recorded = {}  # task -> runs when a snapshot first showed it DONE

        def check_and_record():
            if not os.path.exists(self.path("R.h5")):
                return
            cols, _ = load_tasks(self.path("R.h5"))  # must always open
            for i, count in recorded.items():
                self.assertEqual(runs(i), count, f"t{i} ran again after DONE")
            for i in range(n):
                if cols["state"][i] == "DONE" and i not in recorded:
                    recorded[i] = runs(i)

        # Killed ranks leave their scratch directories (nodefiles) behind:
        # here, not in the machine's /tmp.
        killed_tmp = self.path("tmp-killed")
        os.makedirs(killed_tmp)
        killed_env = dict(os.environ, TMPDIR=killed_tmp)
        kills = 0
        while kills < 20:
            proc = subprocess.Popen(base, cwd=self.dir, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True,
                                    env=killed_env)
            time.sleep(rng.uniform(0.1, 0.6))
            if proc.poll() is not None:
                self.fail(f"the run ended (status {proc.returncode}) before kill {kills + 1}")
            kill_whole_run(proc.pid)
            proc.wait()
            kills += 1
            time.sleep(0.1)  # let orphaned tasks (own process groups) finish
            check_and_record()
        final_tmp = self.path("tmp-final")
        os.makedirs(final_tmp)
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5", "--resume",
                          env=dict(os.environ, TMPDIR=final_tmp))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(os.listdir(final_tmp), [])  # a run that ends cleans up
        check_and_record()
        cols, _ = load_tasks(self.path("R.h5"))
        self.assertTrue((cols["state"] == "DONE").all())
        self.assertGreater(len(recorded), 0)
        for i in range(n):
            self.assertGreaterEqual(runs(i), 1)


class ScratchDirsOfKilledRanks(Base):
    """A rank killed with SIGKILL leaves its hostfile directory in TMPDIR; the
    next run on the host removes it, and only it."""

    def test_next_run_sweeps_what_gone_ranks_left(self):
        import socket
        tmp = self.path("tmp")
        host = socket.gethostname()
        gone = subprocess.Popen(["true"])
        gone.wait()  # reaped: its PID names no process now
        gone_pid = gone.pid

        def planted(host_name, pid, rank):
            d = os.path.join(tmp, f"sortie-{host_name}-{pid}-rank{rank}")
            os.makedirs(d)
            with open(os.path.join(d, f"host-{host_name}.nodes"), "w") as f:
                f.write(host_name + "\n")
            return os.path.basename(d)

        swept = [planted(host, gone_pid, r) for r in (1, 2)]
        kept = [planted(host, os.getpid(), 1),  # alive: this test
                planted(host + "x", gone_pid, 1)]  # another host's
        write_manifest(self.path("m.jsonl"),
                       [{"command": ["true"]} for _ in range(2 * max(ARGS.np, 1))])
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5",
                          env=dict(os.environ, TMPDIR=tmp))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sorted(os.listdir(tmp)), sorted(kept))
        self.assertTrue(set(swept).isdisjoint(os.listdir(tmp)))


class IdleCost(Base):
    def test_waiting_pilot_uses_under_5_percent_cpu(self):
        if ARGS.sanitized:
            self.skipTest("CPU cost is meaningless under sanitizers")
        write_manifest(self.path("sleep.jsonl"),
                       [{"command": ["sleep", "3"]} for _ in range(ARGS.np - 1)] * 2)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        proc = run_sortie("run", "sleep.jsonl", "--out", "s.h5")
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        budget = 0.05 * wall * ARGS.np
        print(f"wall {wall:.2f} s, cpu {cpu:.3f} s, budget {budget:.3f} s")
        self.assertGreater(wall, 6.0)
        self.assertLess(cpu, budget)


def sortie_tool(*args):
    """Runs a sortie subcommand that needs no MPI (status, report)."""
    return subprocess.run([ARGS.sortie, *args], capture_output=True, text=True,
                          cwd=ARGS.workdir, timeout=60)


def status_json(path):
    proc = sortie_tool("status", path, "--json")
    if proc.returncode != 0:
        raise AssertionError(f"status failed ({proc.returncode}): {proc.stderr}")
    return json.loads(proc.stdout)


def add_results(path, rows):
    """Adds a /results group to a run.h5 as the results engineer's schema has
    it: task (int64 row in /tasks), key, value (float64, NaN for text) and
    text, strings fixed-length NULL-padded UTF-8 like the /tasks columns."""
    def write_strings(group, name, values):
        width = max([len(v.encode()) for v in values] + [1])
        tid = h5py.h5t.C_S1.copy()
        tid.set_size(width)
        tid.set_strpad(h5py.h5t.STR_NULLPAD)
        tid.set_cset(h5py.h5t.CSET_UTF8)
        data = np.array([v.encode() for v in values], dtype=f"S{width}")
        dataset = h5py.h5d.create(group.id, name.encode(), tid,
                                  h5py.h5s.create_simple((len(values),)))
        dataset.write(h5py.h5s.ALL, h5py.h5s.ALL, data, mtype=tid)
    with h5py.File(path, "a") as f:
        if "results" in f:  # the writer's own, empty in these runs
            del f["results"]
        g = f.create_group("results")
        g.create_dataset("task", data=np.array([r[0] for r in rows], dtype="<i8"))
        write_strings(g, "key", [r[1] for r in rows])
        write_strings(g, "text", [str(r[2]) for r in rows])
        value = [float(r[2]) if isinstance(r[2], (int, float)) else float("nan")
                 for r in rows]
        g.create_dataset("value", data=np.array(value, dtype="<f8"))
        g.attrs["columns"] = ["task", "key", "value", "text"]


class StatusWhileRunning(Base):
    """`sortie status` during a real run (from the journal) and after it."""

    def test_status_live_then_final(self):
        tasks = [{"id": f"sleep-{i}", "command": "sleep 1.5"} for i in range(6)]
        tasks.append({"id": "broken", "command": "echo 'disk full' >&2; exit 5"})
        write_manifest(self.path("m.jsonl"), tasks)
        # No mid-run snapshot: only the journal can know what is running.
        cmd = [ARGS.sortie, "run", "m.jsonl", "--out", "R.h5",
               "--snapshot-interval", "0"]
        if ARGS.np > 0:
            cmd = [ARGS.mpiexec, "-n", str(ARGS.np), *cmd]
        run = subprocess.Popen(cmd, cwd=self.dir, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        seen = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and run.poll() is None:
            if os.path.exists(self.path("R.h5.journal")):
                status = status_json("R.h5")
                if status["counts"]["RUNNING"] > 0 and not status["finished"]:
                    seen = status
                    break
            time.sleep(0.1)
        self.assertIsNotNone(seen, "status never showed a running task")
        self.assertFalse(os.path.exists(self.path("R.h5")))
        self.assertEqual(seen["source"], "journal")
        self.assertEqual(seen["total"], len(tasks))
        c = seen["counts"]
        self.assertEqual(c["DONE"] + c["RUNNING"] + c["PENDING"] + c["FAILED"],
                         len(tasks), c)
        self.assertEqual(len(seen["running"]), c["RUNNING"])
        self.assertIsNone(seen["exit_status"])
        ids = {t["id"] for t in tasks}
        for task in seen["running"]:
            self.assertIn(task["id"], ids)  # named from the manifest
            self.assertIn(task["rank"], self.expected_ranks())
            self.assertTrue(task["host"])
            self.assertGreaterEqual(task["elapsed_s"], 0)
        text = sortie_tool("status", "R.h5")
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertIn("RUNNING", text.stdout)
        self.assertNotIn("exit status", text.stdout)
        self.assertIn("from its journal", text.stdout)
        by_journal = sortie_tool("status", "R.h5.journal", "--json")
        self.assertEqual(json.loads(by_journal.stdout)["total"], len(tasks))
        # Before the first snapshot the report reads the journal too.
        report = sortie_tool("report", "R.h5")
        self.assertEqual(report.returncode, 0, report.stderr)
        self.assertIn("run snapshot", report.stdout)
        self.assertIn(f"tasks: {len(tasks)}", report.stdout)
        out, err = run.communicate(timeout=60)
        self.assertEqual(run.returncode, 1, err)

        final = status_json("R.h5")
        self.assertEqual(final["source"], "run.h5")
        self.assertTrue(final["finished"])
        self.assertEqual(final["exit_status"], 1)
        cols, attrs = load_tasks(self.path("R.h5"))
        for state, count in final["counts"].items():
            self.assertEqual(count, int((cols["state"] == state).sum()), state)
        self.assertEqual(final["counts"]["DONE"], 6)
        self.assertEqual(final["started_at"], round(attrs["started_at"], 3))
        self.assertEqual(final["running"], [])
        self.assertEqual(final["failures_total"], 1)
        failure = final["failures"][0]
        self.assertEqual((failure["id"], failure["state"], failure["exit_code"]),
                         ("broken", "FAILED", 5))
        self.assertEqual(failure["stderr_last_line"], "disk full")
        self.assertGreater(final["tasks_per_s"], 0)

    def test_status_refuses_what_is_not_a_run(self):
        proc = sortie_tool("status", "missing.h5")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("no such file", proc.stderr)
        with open(self.path("junk.h5"), "w") as f:
            f.write("not hdf5")
        for tool in ("status", "report"):
            proc = sortie_tool(tool, "junk.h5")
            self.assertEqual(proc.returncode, 2, tool)
            self.assertIn("not a sortie run", proc.stderr)


def scaling_run(test):
    """A real run with a `nodes` tag, a failing task and /results added the
    way the results group stores them. Returns the rows of the run."""
    tasks = []
    for nodes in (1, 2, 4):
        for rep in range(2):
            tasks.append({"id": f"scale-{nodes}-{rep}", "tags": {"nodes": nodes},
                          "command": f"sleep 0.{nodes}"})
    tasks.append({"id": "crash", "tags": {"nodes": 4},
                  "command": "echo 'step 1 ok'; echo 'solver diverged at t=0.5' >&2;"
                             " exit 7"})
    write_manifest(test.path("m.jsonl"), tasks)
    proc = run_sortie("run", "m.jsonl", "--out", "R.h5", "--virtual-nodes",
                      "--cores-per-node", "2")
    test.assertEqual(proc.returncode, 1, proc.stderr)
    rows = []
    for i, t in enumerate(tasks[:-1]):
        nodes = t["tags"]["nodes"]
        rows.append((i, "time", 12.0 / nodes + (i % 2)))
        rows.append((i, "solver", "cg"))
    add_results(test.path("R.h5"), rows)
    return tasks


class ReportRun(Base):
    """`sortie report` on a real run: failures with their stderr, the scaling
    table by tag with /results, and the HTML page."""

    def test_report_text_and_html(self):
        scaling_run(self)
        proc = sortie_tool("report", "R.h5", "--by", "nodes", "--html", "r.html")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = proc.stdout
        self.assertIn("tasks: 7  DONE 6  FAILED 1", out)
        self.assertIn("crash  FAILED exit 7", out)
        self.assertIn("| solver diverged at t=0.5", out)
        self.assertIn('by tag "nodes" (3 values)', out)
        lines = {l.split("\t")[0].strip(): l.split("\t")
                 for l in out.splitlines() if l.startswith("  ") and "\t" in l}
        # nodes=4: tasks 4, 5 and the crash; time 3 and 4 from /results.
        self.assertEqual(lines["4"][1:3], ["3", "2"])
        self.assertEqual(lines["4"][4], "3.5 [3, 4]")
        self.assertEqual(lines["1"][4], "12.5 [12, 13]")
        self.assertIn("node-hours:", out)
        self.assertIn("pilot overhead:", out)
        html = open(self.path("r.html"), encoding="utf-8").read()
        self.assertEqual(html.count("<svg"), 3)
        self.assertIn("solver diverged at t=0.5", html)
        self.assertIn("time against tag nodes", html)
        self.assertNotIn("<script", html)

    def test_report_without_results_or_tags(self):
        write_manifest(self.path("m.jsonl"), [{"command": "true"}] * 3)
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc = sortie_tool("report", "R.h5", "--html", "r.html")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("tasks: 3  DONE 3", proc.stdout)
        self.assertIn("no /results", proc.stdout)
        self.assertEqual(open(self.path("r.html")).read().count("<svg"), 2)


SKIPPED = 77  # ctest's SKIP_RETURN_CODE for these scenarios


def read_png(path):
    """Decodes an 8-bit RGB or RGBA non-interlaced PNG (what Chromium
    writes) with zlib and numpy: returns an array (height, width, 3)."""
    import struct
    import zlib
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        if kind == 2:
            line = (line + prev) & 0xFF
        elif kind in (1, 3, 4):
            line = unfilter_row(kind, line.tolist(), prev.tolist(), bpp)
        out[y] = line
        prev = out[y].astype(np.int32)
    return out.reshape(height, width, bpp)[:, :, :3]


def unfilter_row(kind, line, prev, bpp):
    """PNG filters Sub (1), Average (3) and Paeth (4) for one row."""
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        if kind == 1:
            line[i] = (line[i] + a) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (a + b) // 2) & 0xFF
        else:
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 0xFF
    return np.array(line, dtype=np.int32)


def near(image, rgb, tolerance=12):
    """Mask of pixels within `tolerance` of colour `rgb` in every channel."""
    return (np.abs(image.astype(np.int32) - np.array(rgb)) <= tolerance).all(axis=2)


class ReportRendersInChromium(Base):
    """The HTML page really draws its charts: headless Chromium renders it and
    the screenshot has the state colours and the charts' pixels."""

    def test_screenshot_shows_the_charts(self):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            self.skipTest("chromium is not installed (apt-get install chromium)")
        scaling_run(self)
        proc = sortie_tool("report", "R.h5", "--html", "r.html")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        shot = self.path("shot.png")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--user-data-dir={self.path('profile')}",
                        f"--screenshot={shot}", "--window-size=1200,2000",
                        "file://" + self.path("r.html")],
                       capture_output=True, timeout=90, check=True)
        image = read_png(shot)
        self.assertEqual(image.shape[:2], (2000, 1200))
        charts = image[:1400]  # the three charts come first on the page
        non_white = ~near(charts, (255, 255, 255), 4)
        self.assertGreater(non_white.mean(), 0.05, "the chart area is blank")
        colours = {
            "DONE bars": near(charts, (0x2c, 0xa0, 0x2c)),
            "FAILED bar": near(charts, (0xd6, 0x27, 0x28)),
            "busy-cores fill": near(charts, (199, 221, 236), 6),
            "tag chart points": near(charts, (0xff, 0x7f, 0x0e)),
        }
        for name, mask in colours.items():
            self.assertGreater(int(mask.sum()), 40, f"no {name} in the screenshot")
        # The Gantt bars sit above the busy-cores chart, which is above the
        # tag chart: the page was laid out as drawn, not just coloured.
        def top(mask):
            return int(np.argmax(mask.any(axis=1)))
        self.assertLess(top(colours["DONE bars"]), top(colours["busy-cores fill"]))
        self.assertLess(top(colours["busy-cores fill"]),
                        top(colours["tag chart points"]))
        self.assertGreater(int(colours["DONE bars"].sum()), 2000)


def main(module=None):
    """Runs the case named on the command line, from `module` (default:
    this file; other scenario files pass themselves)."""
    global ARGS
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
    ARGS, _ = parser.parse_known_args()
    ARGS.workdir = os.path.abspath(ARGS.workdir)
    suite = unittest.defaultTestLoader.loadTestsFromName(
        ARGS.case, module or sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if result.wasSuccessful() and result.skipped and \
            len(result.skipped) == result.testsRun:
        sys.exit(SKIPPED)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
