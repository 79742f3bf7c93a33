#!/usr/bin/python3
"""Acceptance test of "the user's day": the inputs/scaling study run as
docs/running.md shows it, then everything a user does with the result:
/results from $SORTIE_RESULT and from the stdout pattern, load_results and a
groupby for the scaling table, `sortie report` (failures with their stderr,
--by nodes, --html rendered by headless Chromium), `sortie status`, and the
progress line in the run's output. Same command line as test_run.py."""
import os
import shutil
import subprocess
import sys

import it_harness as it
from it_harness import Base, sortie_tool, status_json
from it_png import near, read_png
from test_results import ROOT, read_results, sortie_h5


class UsersDay(Base):
    """The whole chain on one real run of the scaling example."""

    def test_scaling_study_end_to_end(self):
        self.out = self.path("scaling.h5")
        proc = subprocess.run(
            [it.ARGS.mpiexec, "-n", "5", it.ARGS.sortie, "run",
             it.manifest_for_this_mpi(
                 os.path.join(ROOT, "inputs/scaling/manifest.jsonl"),
                 self.path("manifest.jsonl")),
             "--out", self.out,
             "--virtual-nodes", "--cores-per-node", "1",
             *it.launcher_flags(), "--progress", "1"],
            cwd=ROOT, capture_output=True, text=True, timeout=100)
        self.assertEqual(proc.returncode, 1, proc.stderr)  # broken-input fails
        self.check_output(proc)
        self.check_results()
        self.check_scaling_table()
        self.check_report()
        self.check_status()
        self.check_html_in_chromium()

    def check_output(self, proc):
        """The summary on stdout; progress lines on stderr, one per second
        (the run takes about 2.7 s) and a final one, no '\\r' in a log."""
        self.assertIn("sortie: 10 tasks in", proc.stdout)
        self.assertIn("9 DONE 1 FAILED", proc.stdout)
        self.assertNotIn("progress", proc.stdout)
        lines = [l for l in proc.stderr.splitlines()
                 if l.startswith("sortie: progress ")]
        self.assertGreaterEqual(len(lines), 2, proc.stderr)
        self.assertIn("tasks/s | ETA", lines[0])
        self.assertRegex(lines[-1], r"\| 10/10 ended: 9 DONE, 1 FAILED \| "
                                    r"0 RUNNING, 0 PENDING \| [0-9.]+ tasks/s$")
        self.assertNotIn("\r", proc.stderr)

    def check_results(self):
        """Both sources land in /results: `elapsed` from the stdout pattern,
        `time`, `nodes`, `ranks` from $SORTIE_RESULT; they agree."""
        rows = read_results(self.out)
        by_key = {(task, key): value for task, key, value, _ in rows}
        for n in (1, 2, 4):
            for rep in range(3):
                task = f"scale-n{n}-r{rep}"
                self.assertAlmostEqual(by_key[(task, "elapsed")],
                                       by_key[(task, "time")], delta=0.002)
                self.assertEqual(by_key[(task, "nodes")], float(n))
                self.assertEqual(by_key[(task, "ranks")], float(n))
        self.assertFalse([r for r in rows if r[0] == "broken-input"])

    def check_scaling_table(self):
        """load_results -> groupby nodes: one row per node count, three
        repetitions each, the mean time falling with the nodes and close to
        app.sh's 0.1 + 0.8 / nodes seconds."""
        table = sortie_h5.load_results(self.out)
        done = table[table.state == "DONE"]
        scaling = done.groupby("nodes")["time"].agg(["mean", "count"])
        self.assertEqual(list(scaling.index), [1, 2, 4])
        self.assertEqual(list(scaling["count"]), [3, 3, 3])
        mean = list(scaling["mean"])
        self.assertTrue(mean[0] > mean[1] > mean[2], mean)
        for nodes, seconds in zip((1, 2, 4), mean):
            self.assertLess(abs(seconds - (0.1 + 0.8 / nodes)), 0.15, scaling)
        broken = table.set_index("id").loc["broken-input"]
        self.assertEqual(broken["state"], "FAILED")

    def check_report(self):
        """The text report names the failure with its stderr tail; --by nodes
        has the scaling table, /results' time per node count."""
        proc = sortie_tool("report", self.out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("tasks: 10  DONE 9  FAILED 1", proc.stdout)
        self.assertIn("broken-input  FAILED exit 2", proc.stdout)
        self.assertIn("| app.sh: cannot open input inputs/scaling/missing.dat: "
                      "No such file or directory", proc.stdout)
        proc = sortie_tool("report", self.out, "--by", "nodes",
                           "--html", "report.html")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn('by tag "nodes" (3 values)', proc.stdout)
        lines = [l.strip().split("\t") for l in proc.stdout.splitlines()
                 if l.startswith("  ") and "\t" in l]
        header, rows = lines[0], {row[0]: row for row in lines[1:]}
        self.assertEqual(header[:3], ["nodes", "tasks", "done"])
        self.assertEqual([rows[n][1:3] for n in ("1", "2", "4")],
                         [["4", "3"], ["3", "3"], ["3", "3"]])
        time = header.index("time")
        means = [float(rows[n][time].split()[0]) for n in ("1", "2", "4")]
        self.assertTrue(means[0] > means[1] > means[2], means)

    def check_status(self):
        """`sortie status` after the run: finished, the right counts."""
        status = status_json(self.out)
        self.assertTrue(status["finished"])
        self.assertEqual(status["exit_status"], 1)
        self.assertEqual(status["total"], 10)
        counts = {k: v for k, v in status["counts"].items() if v}
        self.assertEqual(counts, {"DONE": 9, "FAILED": 1})
        self.assertEqual(status["running"], [])
        self.assertEqual(status["failures"][0]["id"], "broken-input")
        self.assertIn("No such file", status["failures"][0]["stderr_last_line"])

    def check_html_in_chromium(self):
        """The HTML page draws its charts: Gantt bars in the state colours,
        the failed task's bar, the tag chart's points."""
        html = open(self.path("report.html"), encoding="utf-8").read()
        self.assertEqual(html.count("<svg"), 3)
        self.assertIn("time against tag nodes", html)
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            self.skipTest("chromium is not installed (apt-get install chromium)")
        shot = self.path("shot.png")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--user-data-dir={self.path('profile')}",
                        f"--screenshot={shot}", "--window-size=1200,2000",
                        "file://" + self.path("report.html")],
                       capture_output=True, timeout=90, check=True)
        charts = read_png(shot)[:1400]
        self.assertGreater((~near(charts, (255, 255, 255), 4)).mean(), 0.05)
        for name, rgb in [("DONE bars", (0x2c, 0xa0, 0x2c)),
                          ("FAILED bar", (0xd6, 0x27, 0x28)),
                          ("tag chart points", (0xff, 0x7f, 0x0e))]:
            self.assertGreater(int(near(charts, rgb).sum()), 40,
                               f"no {name} in the screenshot")


if __name__ == "__main__":
    it.main(sys.modules[__name__])
