"""The command line as users meet it (run without mpiexec: these errors come
before MPI starts): every numeric option of every subcommand refuses a bad
value with a plain message naming it and exits 2, --resume and
--overwrite do not go together, and --force and --retry-failed need
--resume. Run with
test_cli.py --sortie BIN --mpiexec MPIEXEC --np 0 --workdir DIR Cli"""
import os
import re
import sys

from it_harness import Base, main, sortie_tool, write_manifest

WHOLE = "must be a whole number >= {} (got {})"
SECONDS = "must be a number of seconds >= 0 (got {})"

# (subcommand and its required arguments, option, bad value, message)
CASES = [
    (["simulate", "m.jsonl"], "--nodes", "0", WHOLE.format(1, 0)),
    (["simulate", "m.jsonl"], "--nodes", "-1", WHOLE.format(1, -1)),
    (["simulate", "m.jsonl"], "--nodes", "1.5", WHOLE.format(1, 1.5)),
    (["simulate", "m.jsonl", "--nodes", "2"], "--cores-per-node", "0", WHOLE.format(1, 0)),
    (["simulate", "m.jsonl", "--nodes", "2"], "--gpus-per-node", "-1", WHOLE.format(0, -1)),
    (["simulate", "m.jsonl", "--nodes", "2"], "--default-runtime", "0",
     "must be a number of seconds > 0 (got 0)"),
    (["run", "m.jsonl"], "--cores-per-node", "0", WHOLE.format(1, 0)),
    (["run", "m.jsonl"], "--gpus-per-node", "-1", WHOLE.format(0, -1)),
    (["run", "m.jsonl"], "--snapshot-interval", "-1", SECONDS.format(-1)),
    (["run", "m.jsonl"], "--progress", "nan", SECONDS.format("nan")),
    (["run", "m.jsonl"], "--grace", "-1", SECONDS.format(-1)),
    (["run", "m.jsonl"], "--walltime-margin", "-5", SECONDS.format(-5)),
    (["run", "m.jsonl"], "--walltime", "soon",
     "must be a duration HH:MM:SS (or D-HH:MM:SS, MM:SS, SECONDS; got soon)"),
]


class Cli(Base):
    def setUp(self):
        super().setUp()
        write_manifest(self.path("m.jsonl"), [{"id": "a", "command": "true"}])

    def test_numeric_options_say_plainly_what_they_take(self):
        for args, option, value, message in CASES:
            with self.subTest(args=args, option=option, value=value):
                proc = sortie_tool(*args, option, value)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn(f"{option}: {message}", proc.stderr)
                self.assertIsNone(re.search(r"\d{20}", proc.stderr), proc.stderr)
        self.assertEqual(sorted(os.listdir(self.dir)), ["m.jsonl"])  # nothing ran

    def test_resume_and_overwrite_exclude_each_other(self):
        for order in (["--resume", "--overwrite"], ["--overwrite", "--resume"]):
            proc = sortie_tool("run", "m.jsonl", "--out", "R.h5", *order)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            first = proc.stderr.splitlines()[0]
            self.assertIn("--resume", first)
            self.assertIn("--overwrite", first)
            self.assertIn("excludes", first)
        self.assertEqual(sorted(os.listdir(self.dir)), ["m.jsonl"])

    def test_resume_options_need_resume(self):
        for flag in ("--force", "--retry-failed"):
            proc = sortie_tool("run", "m.jsonl", "--out", "R.h5", flag)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn(f"{flag} requires --resume", proc.stderr)
        self.assertEqual(sorted(os.listdir(self.dir)), ["m.jsonl"])


if __name__ == "__main__":
    main(sys.modules[__name__])
