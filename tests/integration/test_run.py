#!/usr/bin/python3
"""End-to-end scenarios of plain runs: run build/sortie under mpiexec on real
manifests (mixed task kinds, bad manifests, plain lists, multi-node and MPI
tasks, requests too big, an idle pilot's cost) and check run.h5 with h5py.
Run one scenario: test_run.py --sortie BIN --mpiexec MPIEXEC --np N
--workdir DIR CaseName (the harness is it_harness.py)."""
import json
import os
import resource
import sys
import time

import h5py

from it_harness import (ARGS, Base, launcher_flags, load_tasks, main, mpi_task,
                        run_sortie, write_manifest)


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
        self.assertIn("sortie: 2 tasks in ", proc.stdout)

    def test_one_task_is_counted_in_the_singular(self):
        with open(self.path("one.txt"), "w") as f:
            f.write("true\n")
        proc = run_sortie("run", "one.txt", "--out", "one.h5")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("sortie: 1 task in ", proc.stdout)

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


if __name__ == "__main__":
    main(sys.modules[__name__])
