#!/usr/bin/python3
"""End-to-end scenarios of `sortie status` and `sortie report` on real runs:
status from the journal while a run goes and from run.h5 after it, the text
and HTML report, and the HTML page rendered in headless Chromium. Same
command line as test_run.py (the harness is it_harness.py)."""
import json
import os
import shutil
import subprocess
import sys
import time

import h5py
import numpy as np

from it_harness import (ARGS, Base, load_tasks, main, run_sortie, sortie_tool,
                        status_json, write_manifest)
from it_png import near, read_png


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

    def test_a_run_that_has_just_taken_its_lock_is_starting(self):
        # The run's lock creates the journal empty, before its header.
        open(self.path("new.h5.journal"), "w").close()
        status = sortie_tool("status", "new.h5")
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertIn("starting", status.stdout)
        self.assertIsNone(status_json("new.h5")["started_at"])
        report = sortie_tool("report", "new.h5")
        self.assertEqual(report.returncode, 0, report.stderr)
        self.assertIn("starting", report.stdout)


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


if __name__ == "__main__":
    main(sys.modules[__name__])
