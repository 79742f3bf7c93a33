"""The command line as users meet it (run without mpiexec: these errors come
before MPI starts): --resume and --overwrite do not go together. Run with
test_cli.py --sortie BIN --mpiexec MPIEXEC --np 0 --workdir DIR Cli"""
import os
import sys

from it_harness import Base, main, sortie_tool, write_manifest


class Cli(Base):
    def setUp(self):
        super().setUp()
        write_manifest(self.path("m.jsonl"), [{"id": "a", "command": "true"}])

    def test_resume_and_overwrite_exclude_each_other(self):
        for order in (["--resume", "--overwrite"], ["--overwrite", "--resume"]):
            proc = sortie_tool("run", "m.jsonl", "--out", "R.h5", *order)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            first = proc.stderr.splitlines()[0]
            self.assertIn("--resume", first)
            self.assertIn("--overwrite", first)
            self.assertIn("excludes", first)
        self.assertEqual(sorted(os.listdir(self.dir)), ["m.jsonl"])


if __name__ == "__main__":
    main(sys.modules[__name__])
