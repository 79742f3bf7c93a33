#!/usr/bin/python3
"""Checks the documentation against the tree: README.md links every
docs/*.md page, every relative link in README.md and docs/ names a file
that exists, README shows the two set-up commands, and docs/manifest.md's
key table lists every key of master/manifest_keys.h with a type, a default
and an example, and its example "known keys" message lists them in the
reader's order. Usage: check_docs.py"""
import glob
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def check_links(problems):
    readme = read("README.md")
    for page in sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))):
        name = "docs/" + os.path.basename(page)
        if f"]({name})" not in readme:
            problems.append(f"README.md does not link {name}")
    for path in ["README.md"] + glob.glob(os.path.join(ROOT, "docs", "*.md")):
        path = os.path.join(ROOT, path)
        for target, _ in LINK.findall(read(path)):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
            if not os.path.exists(resolved):
                problems.append(f"{os.path.relpath(path, ROOT)}: broken link {target}")
    for command in ("scripts/quickstart.sh", "scripts/test.sh"):
        if command not in readme or not os.path.exists(os.path.join(ROOT, command)):
            problems.append(f"README.md: no {command}")


def check_manifest_keys(problems):
    header = read("master", "manifest_keys.h")
    block = re.search(r"kKeys = \{(.*?)\};", header, re.S).group(1)
    keys = re.findall(r'"([a-z_]+)"', block)
    rows = {}
    for line in read("docs", "manifest.md").splitlines():
        match = re.match(r"\| `([a-z_]+)` \|(.*)\|$", line)
        if match and match.group(1) not in rows:
            rows[match.group(1)] = [c.strip() for c in match.group(2).split("|")]
    for key in keys:
        cells = rows.get(key)
        if cells is None:
            problems.append(f"docs/manifest.md: key {key} not in the table")
        elif len(cells) < 4 or not all(cells[:4]) or f'"{key}":' not in cells[3]:
            problems.append(f"docs/manifest.md: key {key} lacks type, default, "
                            f"meaning or example: {cells}")
    # The example "unknown key" message lists the keys as the reader does.
    listed = re.findall(r"\(known keys: ([a-z_, ]+)\)", read("docs", "manifest.md"))
    if not listed:
        problems.append("docs/manifest.md: no example \"known keys: ...\" message")
    for shown in listed:
        if shown != ", ".join(keys):
            problems.append(f"docs/manifest.md: known keys {shown!r} are not "
                            f"those of manifest_keys.h: {', '.join(keys)!r}")
    print(f"{len(keys)} manifest keys")


def main():
    problems = []
    check_links(problems)
    check_manifest_keys(problems)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
