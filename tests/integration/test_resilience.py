#!/usr/bin/python3
"""End-to-end scenarios of what a run survives: timeouts, retries and
dependencies, tasks that misbehave, SIGTERM then --resume, kill -9 then
--resume, kill -9 of one rank (its tasks die with the job), and the scratch
directories of killed ranks. Same command line as
test_run.py (the harness is it_harness.py)."""
import os
import re
import resource
import signal
import subprocess
import sys
import time

import h5py

from it_harness import (ARGS, Base, load_tasks, main, run_sortie, sortie_tool,
                        status_json, write_manifest)


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
            {"id": "no-program", "command": ["/no/such/program"]},
            {"id": "no-stderr", "command": "true", "stderr": "/proc/none/e.txt"},
            {"id": "no-library", "function": "/no/such/lib.so:f"},
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
        # A task that could not start says why in /tasks/reason, even when
        # it has no stderr file to say it in (or, a function, none at all).
        reason = dict(zip(cols["id"], cols["reason"]))
        self.assertEqual(reason["no-cwd"],
                         f"working directory {self.path('missing')} does not exist")
        self.assertEqual(got["no-program"], ("FAILED", 127, 0))
        self.assertRegex(reason["no-program"], "^cannot run /no/such/program: ")
        self.assertRegex(reason["no-stderr"], "^cannot create directory /proc/none: ")
        self.assertEqual(got["no-library"], ("FAILED", 127, 0))
        self.assertRegex(reason["no-library"], "^cannot load /no/such/lib.so: ")
        self.assertEqual(reason["abort"], "")
        shown = {f["id"]: f["reason"] for f in status_json("R.h5")["failures"]}
        self.assertEqual(shown["no-library"], reason["no-library"])
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


def process_state(pid):
    """'R', 'S', 'Z' (a zombie: dead, not yet reaped), ...; 'gone'."""
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return "gone"


class TasksDieWithTheirRank(Base):
    """kill -9 of one worker rank (a node failure, the OOM killer): the
    launcher ends the job, and no task of any rank runs on with parent 1
    beside the copies a --resume would start."""

    def test_kill_9_of_a_rank_leaves_no_task_running(self):
        pids = self.path("pids")
        os.makedirs(pids)
        # Each task notes its pid, its parent (the rank that started it) and
        # that rank's number, then becomes the sleep under the same pid.
        tasks = [{"id": f"long{i}", "command":
                  f"echo $$ $PPID $SORTIE_RANK > {pids}/{i}.tmp && "
                  f"mv {pids}/{i}.tmp {pids}/{i}; exec sleep 60"}
                 for i in range(ARGS.np)]
        write_manifest(self.path("m.jsonl"), tasks)
        proc = subprocess.Popen(
            [ARGS.mpiexec, "-n", str(ARGS.np), ARGS.sortie, "run", "m.jsonl",
             "--out", "R.h5", "--progress", "0"],
            cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, start_new_session=True)
        started = []  # (task pid, its rank's pid, its rank)
        try:
            # One core-wide task per rank: all of them run at once.
            deadline = time.monotonic() + 60
            noted = []
            while len(noted) < len(tasks):
                self.assertIsNone(proc.poll(), "the run ended before its tasks ran")
                self.assertLess(time.monotonic(), deadline, "the tasks did not start")
                time.sleep(0.05)
                noted = [n for n in os.listdir(pids) if not n.endswith(".tmp")]
            for name in noted:
                task, rank_pid, rank = map(int, open(f"{pids}/{name}").read().split())
                started.append((task, rank_pid, rank))
            task, victim, _ = next(t for t in started if t[2] != 0)
            self.assertIn(b"sortie", open(f"/proc/{victim}/cmdline", "rb").read())
            self.assertNotIn(process_state(task), ("gone", "Z"))
            os.kill(victim, signal.SIGKILL)
            proc.communicate(timeout=30)  # the launcher ends the job
            deadline = time.monotonic() + 5
            alive = [t for t, _, _ in started]
            while alive and time.monotonic() < deadline:
                alive = [t for t in alive if process_state(t) not in ("gone", "Z")]
                time.sleep(0.05)
            self.assertEqual(alive, [], "tasks outlived the job (rank pid, rank): "
                             f"{[(r, n) for t, r, n in started if t in alive]}")
        finally:  # whatever happened, leave nothing running
            for name in os.listdir(pids):
                try:
                    task = int(open(f"{pids}/{name}").read().split()[0])
                    if process_state(task) not in ("gone", "Z"):
                        os.kill(task, signal.SIGKILL)
                except (OSError, ValueError, IndexError):
                    pass
            if proc.poll() is None:
                kill_whole_run(proc.pid)
                proc.wait()


def load_group(path, group):
    """The columns of one run.h5 group by name, strings decoded."""
    with h5py.File(path, "r") as f:
        g = f[group]
        return {k: (g[k].asstr()[:] if g[k].dtype.kind == "S" else g[k][:])
                for k in g.attrs["columns"]}


class KillResumeKeepsHistory(Base):
    """kill -9 while long tasks run, then --resume: tasks that ended before
    the kill keep the nodes they ran on (rows of the first allocation), the
    attempts the kill lost end INTERRUPTED, and the file passes
    check_run_h5.py --check."""

    def test_history_survives_a_kill(self):
        marks = self.path("marks")
        os.makedirs(marks)
        # Short tasks end before the kill; long ones run (10 s) past it,
        # and take a second when the resume runs them again.
        tasks = [{"id": f"short{i}", "command": f"sleep 0.2; touch {marks}/short{i}"}
                 for i in range(4)]
        tasks += [{"id": f"long{i}", "command":
                   f"if [ -e {marks}/long{i} ]; then sleep 1; "
                   f"else touch {marks}/long{i}; sleep 10; fi"}
                  for i in range(ARGS.np)]
        write_manifest(self.path("m.jsonl"), tasks)
        cmd = [ARGS.mpiexec, "-n", str(ARGS.np), ARGS.sortie, "run", "m.jsonl",
               "--out", "R.h5", "--snapshot-interval", "0"]
        proc = subprocess.Popen(cmd, cwd=self.dir, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while len(os.listdir(marks)) < len(tasks) and time.monotonic() < deadline:
            self.assertIsNone(proc.poll(), "the run ended before the kill")
            time.sleep(0.05)
        self.assertEqual(len(os.listdir(marks)), len(tasks), "tasks did not start")
        time.sleep(1.0)  # the short tasks' ends reach the journal
        kill_whole_run(proc.pid)
        proc.wait()
        time.sleep(2.0)  # a wait between allocations, which the report leaves out
        proc = run_sortie("run", "m.jsonl", "--out", "R.h5", "--resume")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"{ARGS.np} attempts lost", proc.stdout)

        cols, attrs = load_tasks(self.path("R.h5"))
        nodes = load_group(self.path("R.h5"), "nodes")
        allocations = load_group(self.path("R.h5"), "allocations")
        events = load_group(self.path("R.h5"), "events")
        self.assertEqual(len(allocations["started_at"]), 2)
        self.assertLessEqual(allocations["ended_at"][0], allocations["started_at"][1])
        self.assertEqual(allocations["ended_at"][1], attrs["finished_at"])
        self.assertEqual(list(nodes["allocation"]),
                         [0] * allocations["nodes"][0] + [1] * allocations["nodes"][1])
        resumed_at = allocations["started_at"][1]
        row = {k: i for i, k in enumerate(cols["id"])}
        for i in range(4):  # ended before the kill: allocation 0's nodes
            r = row[f"short{i}"]
            self.assertEqual(cols["state"][r], "DONE")
            self.assertLess(cols["end_time"][r], resumed_at)
            node_ids = [int(n) for n in cols["node_ids"][r].split(",")]
            self.assertEqual(len(node_ids), 1, cols["node_ids"][r])
            self.assertEqual(nodes["allocation"][node_ids[0]], 0)
            self.assertEqual(nodes["rank"][node_ids[0]], cols["rank"][r])
        for i in range(ARGS.np):  # lost in the kill, run again after it
            r = row[f"long{i}"]
            self.assertEqual((cols["state"][r], cols["attempts"][r]), ("DONE", 2))
            self.assertEqual(nodes["allocation"][int(cols["node_ids"][r])], 1)
            ends = [(a, e, t) for task, a, e, t in zip(events["task"], events["attempt"],
                                                       events["event"], events["time"])
                    if task == r and e != "STARTED"]
            self.assertEqual([(a, e) for a, e, _ in ends], [(1, "INTERRUPTED"), (2, "DONE")])
            self.assertEqual(ends[0][2], allocations["ended_at"][0])
            self.assertEqual(cols["reason"][r], "")  # the rerun's, not "lost: ..."
        started = {(t, a) for t, a, e in zip(events["task"], events["attempt"],
                                             events["event"]) if e == "STARTED"}
        ended = {(t, a) for t, a, e in zip(events["task"], events["attempt"],
                                           events["event"]) if e != "STARTED"}
        self.assertEqual(started - ended, set())
        checker = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "..", "tools", "check_run_h5.py")
        check = subprocess.run([sys.executable, checker, "--check", self.path("R.h5")],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        status = status_json("R.h5")
        self.assertEqual(status["counts"]["RUNNING"], 0)
        # The rate is over the allocations' own time, not the wait.
        durations = [allocations["ended_at"][i] - allocations["started_at"][i]
                     for i in range(2)]
        self.assertEqual(status["allocations"], 2)
        self.assertAlmostEqual(status["allocated_s"], sum(durations), delta=2e-3)
        self.assertLess(status["allocated_s"], status["elapsed_s"] - 1.5)
        self.assertAlmostEqual(status["tasks_per_s"] * status["allocated_s"]
                               / status["ended"], 1.0, delta=1e-3)
        text = sortie_tool("status", "R.h5")
        self.assertIn(" (2 allocations, ", text.stdout)
        report = sortie_tool("report", "R.h5", "--html", "report.html")
        self.assertEqual(report.returncode, 0, report.stderr)
        with open(self.path("report.html"), encoding="utf-8") as f:
            page = f.read()
        self.assertNotIn(" RUNNING", page)
        # Both charts hatch the wait; the Gantt chart labels the allocations.
        self.assertIn('fill="url(#usage-wait)"', page)
        self.assertIn('fill="url(#gantt-wait)"', page)
        self.assertIn(">allocation 2</text>", page)
        # Allocated node-hours: each allocation's nodes x its own duration.
        self.assertIn("allocations: 2, ", report.stdout)
        given = sum(allocations["nodes"][i] *
                    (allocations["ended_at"][i] - allocations["started_at"][i])
                    for i in range(2)) / 3600
        allocated = re.search(r"node-hours: (\S+) allocated", report.stdout)
        self.assertIsNotNone(allocated, report.stdout)
        self.assertAlmostEqual(float(allocated.group(1)) / given, 1.0, delta=2e-3,
                               msg=report.stdout)


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


if __name__ == "__main__":
    main(sys.modules[__name__])
