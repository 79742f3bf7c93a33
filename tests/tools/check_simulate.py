#!/usr/bin/python3
"""`sortie simulate` end to end, without mpiexec.

check_simulate.py --sortie BIN --manifest inputs/scaling-study.jsonl \\
    --workdir DIR [--nodes 128] [--max-ratio 1.05] CASE

CASE is ScalingStudy (the shipped study is scheduled within --max-ratio of
the lower bound) or Cli (text output, exit statuses and FILE:LINE errors).
Standard library only.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import unittest

ARGS = None


def simulate(*args):
    """Runs `sortie simulate ARGS` directly (no MPI launcher, no PMI)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PMI_", "OMPI_", "HYDRA_"))}
    return subprocess.run([ARGS.sortie, "simulate", *args], capture_output=True,
                          text=True, env=env, cwd=ARGS.workdir, timeout=100)


class ScalingStudy(unittest.TestCase):
    def test_within_ratio_of_the_lower_bound(self):
        proc = simulate(ARGS.manifest, "--nodes", str(ARGS.nodes), "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        r = json.loads(proc.stdout)
        print(json.dumps(r, indent=1))
        self.assertEqual(r["nodes"], ARGS.nodes)
        self.assertGreater(r["tasks"], 100)
        self.assertEqual(r["done"], r["tasks"])
        self.assertEqual(r["bound_by"], "node-seconds")
        self.assertGreaterEqual(r["makespan"], r["lower_bound"])
        self.assertAlmostEqual(r["ratio"], r["makespan"] / r["lower_bound"])
        self.assertLessEqual(r["ratio"], ARGS.max_ratio)


class Cli(unittest.TestCase):
    def setUp(self):
        shutil.rmtree(ARGS.workdir, ignore_errors=True)
        os.makedirs(ARGS.workdir)

    def write(self, name, lines):
        with open(os.path.join(ARGS.workdir, name), "w") as f:
            f.write("".join(line + "\n" for line in lines))
        return name

    def test_text_summary_of_a_hand_computable_case(self):
        m = self.write("four.jsonl", ['{"command": "x", "est_runtime": 10}'] * 4)
        proc = simulate(m, "--nodes", "2")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = proc.stdout
        self.assertIn("four.jsonl on 2 nodes of 1 core and 0 GPUs", out)
        self.assertIn("4: 4 DONE, 0 TIMEOUT, 0 SKIPPED", out)
        self.assertIn("makespan         20.0 s (0:00:20)", out)
        self.assertIn("utilization 100.0%", out)
        self.assertIn("lower bound      20.0 s", out)
        self.assertIn("makespan / bound 1.0000", out)

    def test_default_runtime_and_machine_options(self):
        m = self.write("bare.jsonl", ['{"command": "x", "cores_per_rank": 2}'] * 4)
        proc = simulate(m, "--nodes", "1", "--cores-per-node", "4",
                        "--default-runtime", "30", "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        r = json.loads(proc.stdout)
        self.assertEqual((r["cores_per_node"], r["gpus_per_node"]), (4, 0))
        self.assertEqual(r["makespan"], 60)

    def test_missing_runtime_is_refused_with_file_and_line(self):
        m = self.write("bare.jsonl", ['{"id": "a", "command": "x"}'])
        proc = simulate(m, "--nodes", "1")
        self.assertEqual(proc.returncode, 2)
        self.assertIn('bare.jsonl:1: task "a" has no est_runtime', proc.stderr)

    def test_bad_manifest_gets_the_validate_messages(self):
        m = self.write("bad.jsonl", ['{"command": "x", "est_runtime": 1}',
                                     '{"command": "x", "nodes": 0}'])
        proc = simulate(m, "--nodes", "4")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("bad.jsonl:2: ", proc.stderr)
        self.assertEqual(proc.stdout, "")

    def test_function_with_a_timeout_is_refused_not_timed_out(self):
        # `run` cannot enforce it (the function runs inside the pilot), so
        # `simulate` must not count it TIMEOUT either: the manifest is refused.
        m = self.write("fto.jsonl", [
            '{"command": "x", "est_runtime": 1}',
            '{"id": "fnto", "function": "sortie:sleep", "args": {"seconds": 3},'
            ' "timeout": 1, "est_runtime": 3}'])
        proc = simulate(m, "--nodes", "2", "--json")
        self.assertEqual(proc.returncode, 2, proc.stdout)
        self.assertIn('fto.jsonl:2: "timeout" is not allowed with "function"',
                      proc.stderr)
        self.assertEqual(proc.stdout, "")

    def test_task_too_big_for_the_machine_names_its_line(self):
        m = self.write("big.jsonl", ['{"command": "x", "est_runtime": 1}',
                                     '{"id": "big", "command": "x", "nodes": 8,'
                                     ' "est_runtime": 1}'])
        proc = simulate(m, "--nodes", "4")
        self.assertEqual(proc.returncode, 2)
        self.assertIn('big.jsonl:2: task "big" asks for 8 nodes; the '
                      'allocation has 4', proc.stderr)
        self.assertIn("nothing was simulated", proc.stderr)

    def test_nodes_is_required_and_positive(self):
        m = self.write("one.jsonl", ['{"command": "x", "est_runtime": 1}'])
        self.assertEqual(simulate(m).returncode, 2)
        self.assertEqual(simulate(m, "--nodes", "0").returncode, 2)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--sortie", required=True)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--nodes", type=int, default=128)
    parser.add_argument("--max-ratio", type=float, default=1.05)
    parser.add_argument("case")
    ARGS = parser.parse_args()
    ARGS.manifest = os.path.abspath(ARGS.manifest)
    os.makedirs(ARGS.workdir, exist_ok=True)
    suite = unittest.defaultTestLoader.loadTestsFromName(ARGS.case,
                                                         sys.modules[__name__])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
