"""What guards a run's files (RUN.h5 and its journal): one sortie run at a
time per RUN.h5, and what a plain --resume refuses and says. Run one
scenario with
test_resume_guards.py --sortie BIN --mpiexec MPIEXEC --np N --workdir DIR Case"""
import os
import re
import subprocess
import sys
import time

from it_harness import (ARGS, Base, load_tasks, main, run_sortie, status_json,
                        write_manifest)

IN_USE = "R.h5 is in use by another sortie run (its journal is locked); nothing was run"


class ConcurrentRun(Base):
    """A second run on the same --out while one is going is refused and
    touches nothing; the first completes as if alone."""

    def second_run(self, *args):
        """(status, stdout, stderr) of a run that must be refused at once;
        one that is not waits at the gate like the first, and is killed."""
        proc = subprocess.Popen([ARGS.mpiexec, "-n", str(ARGS.np), ARGS.sortie, *args],
                                cwd=self.dir, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.communicate()
            self.fail(f"a second run ({' '.join(args)}) was not refused: it ran tasks")
        return proc.returncode, out, err

    def test_a_second_run_on_the_same_out_is_refused(self):
        ran, gate = self.path("ran.log"), self.path("go")
        n = 4
        # Each task appends its id, then waits for the gate (at most 60 s),
        # so the first run lasts exactly as long as the test needs.
        wait = (f"i=0; while [ ! -e {gate} ] && [ $i -lt 600 ]; "
                "do sleep 0.1; i=$((i+1)); done")
        write_manifest(self.path("m.jsonl"),
                       [{"id": f"t{i}", "command": f"echo t{i} >> {ran}; {wait}"}
                        for i in range(n)])
        run = ["run", "m.jsonl", "--out", "R.h5", "--progress", "0"]
        first = subprocess.Popen([ARGS.mpiexec, "-n", str(ARGS.np), ARGS.sortie, *run],
                                 cwd=self.dir, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not os.path.exists(ran) and time.monotonic() < deadline:
                self.assertIsNone(first.poll(), "the first run ended before any task started")
                time.sleep(0.05)
            # status takes no lock: it reads the running run.
            self.assertFalse(status_json("R.h5")["finished"])
            for extra in (["--resume"], ["--overwrite"], []):
                code, out, err = self.second_run(*run, *extra)
                self.assertEqual(code, 2, err)
                self.assertIn(IN_USE, err)
                self.assertEqual(out, "")
            self.assertIsNone(first.poll(), "the second runs ended the first")
        finally:
            open(gate, "w").close()
        out, err = first.communicate(timeout=60)
        self.assertEqual(first.returncode, 0, err)
        self.assertNotIn("in use", err)
        # Every task ran exactly once.
        self.assertEqual(sorted(open(ran).read().split()), [f"t{i}" for i in range(n)])
        cols, attrs = load_tasks(self.path("R.h5"))
        self.assertTrue((cols["state"] == "DONE").all())
        self.assertTrue((cols["attempts"] == 1).all())
        # The journal replays cleanly: a resume finds every task DONE and
        # cuts nothing.
        again = run_sortie(*run, "--resume")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertRegex(again.stdout, rf"resuming \S+: {n} tasks DONE, 0 to run\n")
        self.assertNotIn("cut", again.stdout + again.stderr)
        self.assertEqual(len(open(ran).read().split()), n)


def flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


class ResumeRefusals(Base):
    """What --resume refuses without --force, and says so."""

    def run_once(self, tasks, *extra, manifest="m.jsonl"):
        write_manifest(self.path(manifest), tasks)
        return run_sortie("run", manifest, "--out", "R.h5", "--progress", "0", *extra)

    def test_run_h5_without_its_journal_cannot_be_resumed(self):
        tasks = [{"id": "a", "command": "true"}]
        # Neither file: --resume starts the run.
        proc = self.run_once(tasks, "--resume")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("resuming", proc.stdout)
        os.remove(self.path("R.h5.journal"))
        before = open(self.path("R.h5"), "rb").read()
        for extra in (["--resume"], []):
            proc = self.run_once(tasks, *extra)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertNotIn("add --resume", proc.stderr)
            self.assertIn("R.h5.journal", proc.stderr)
            self.assertIn("--overwrite starts a new run in its place; nothing was run",
                          proc.stderr)
            self.assertFalse(os.path.exists(self.path("R.h5.journal")))
            self.assertEqual(open(self.path("R.h5"), "rb").read(), before)
        self.assertIn("does not exist, so nothing records which of its tasks ran",
                      self.run_once(tasks, "--resume").stderr)
        proc = self.run_once(tasks, "--overwrite")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # The journal alone: it is the truth, and run.h5 is written anew.
        os.remove(self.path("R.h5"))
        proc = self.run_once(tasks, "--resume")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("1 tasks DONE, 0 to run", proc.stdout)
        self.assertTrue(os.path.exists(self.path("R.h5")))

    def test_a_journal_damaged_before_its_end_is_not_cut_without_force(self):
        log = self.path("log.txt")
        tasks = [{"id": f"c{i}", "command": f"echo c{i} >> {log}"} for i in range(40)]
        self.assertEqual(self.run_once(tasks).returncode, 0)
        os.remove(log)
        journal = self.path("R.h5.journal")
        flip_byte(journal, 600)
        damaged = open(journal, "rb").read()
        proc = self.run_once(tasks, "--resume")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        m = re.search(r"is damaged at byte (\d+) of (\d+): (\d+) good records follow", proc.stderr)
        self.assertIsNotNone(m, proc.stderr)
        self.assertLessEqual(int(m.group(1)), 600)
        self.assertEqual(int(m.group(2)), len(damaged))
        self.assertGreater(int(m.group(3)), 30)
        self.assertIn("--force", proc.stderr)
        self.assertNotIn("torn tail", proc.stdout + proc.stderr)
        self.assertEqual(open(journal, "rb").read(), damaged)  # not cut
        self.assertFalse(os.path.exists(log))  # nothing ran

        proc = self.run_once(tasks, "--resume", "--force")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        m = re.search(r"kept a copy in (\S+),", proc.stderr)
        self.assertIsNotNone(m, proc.stderr)
        self.assertEqual(open(m.group(1), "rb").read(), damaged)
        self.assertIn("(damaged journal cut)", proc.stdout)
        self.assertTrue(os.path.exists(log))  # the lost DONE tasks ran again
        cols, _ = load_tasks(self.path("R.h5"))
        self.assertTrue((cols["state"] == "DONE").all())

    def test_tasks_that_ran_cut_off_the_manifest_are_not_dropped_without_force(self):
        tasks = [{"id": f"t{i}", "command": "true"} for i in range(5)]
        self.assertEqual(self.run_once(tasks).returncode, 0)
        before = open(self.path("R.h5"), "rb").read()
        proc = self.run_once(tasks[:3], "--resume", manifest="m3.jsonl")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn('m3.jsonl has 3 tasks, but the run in ', proc.stderr)
        self.assertIn('has 5: its last 2 tasks are missing from the manifest, and 2 of '
                      'those had started (rows 3 (id "t3"), 4 (id "t4"))', proc.stderr)
        self.assertIn("--force", proc.stderr)
        self.assertEqual(open(self.path("R.h5"), "rb").read(), before)
        proc = self.run_once(tasks[:3], "--resume", "--force", manifest="m3.jsonl")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("--force: dropping the last 2 tasks of the run", proc.stderr)
        cols, _ = load_tasks(self.path("R.h5"))
        self.assertEqual(list(cols["id"]), ["t0", "t1", "t2"])


if __name__ == "__main__":
    main(sys.modules[__name__])
