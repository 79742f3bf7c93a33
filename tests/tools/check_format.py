#!/usr/bin/env python3
"""Every C and C++ file git tracks is as .clang-format makes it.

Skips (exit 77) where it cannot judge: no git checkout (a source tarball),
or no clang-format of the major version the tree was formatted with (other
versions format some constructs differently). Prints each file that
differs and exits 1.
"""
import argparse
import re
import shutil
import subprocess
import sys

SKIPPED = 77
# The Debian 12 clang-format the tree is formatted with (docs/development.md).
MAJOR = 14


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, help="the source tree")
    args = parser.parse_args()

    tool = shutil.which(f"clang-format-{MAJOR}") or shutil.which("clang-format")
    if tool is None:
        print("no clang-format: skipped")
        return SKIPPED
    version = subprocess.run([tool, "--version"], capture_output=True,
                             text=True).stdout
    found = re.search(r"version (\d+)\.", version)
    if not found or int(found.group(1)) != MAJOR:
        print(f"{tool} is not clang-format {MAJOR} ({version.strip()}): skipped")
        return SKIPPED
    listed = subprocess.run(
        ["git", "-C", args.root, "ls-files", "*.c", "*.cc", "*.h"],
        capture_output=True, text=True)
    if listed.returncode != 0:
        print("not a git checkout: skipped")
        return SKIPPED

    paths = listed.stdout.split()
    result = subprocess.run([tool, "--dry-run", "--Werror", *paths],
                            cwd=args.root, capture_output=True, text=True)
    unformatted = sorted({line.split(":", 1)[0]
                          for line in result.stderr.splitlines()
                          if "clang-format-violations" in line})
    if result.returncode != 0 and not unformatted:
        print(result.stderr.strip())
        return 1
    for path in unformatted:
        print(f"{path}: not as .clang-format makes it")
    if unformatted:
        print(f"{len(unformatted)} file(s) differ: run clang-format -i on them")
        return 1
    print(f"{len(paths)} files formatted")
    return 0

if __name__ == "__main__":
    sys.exit(main())
