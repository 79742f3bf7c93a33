#!/usr/bin/python3
"""Prints or checks a sortie run.h5 (schema version 1, see docs/hdf5.md).

  check_run_h5.py RUN.h5            attributes, state counts, first rows
  check_run_h5.py --check RUN.h5    exit 1 listing every schema violation
  check_run_h5.py --json RUN.h5     attributes, counts and every task as JSON

Uses Debian's h5py (python3-h5py), so run it with /usr/bin/python3.
"""
import argparse
import json
import math
import sys

import h5py
import numpy as np

STATES = ("PENDING", "RUNNING", "DONE", "FAILED")
STATE_WIDTH = 12
STRING_ATTRS = ("sortie_version", "manifest", "manifest_sha256", "mpi_library")
FLOAT_ATTRS = ("started_at", "finished_at")
INT32_COLUMNS = ("exit_code", "signal", "attempts", "rank")
FLOAT64_COLUMNS = ("start_time", "end_time")
TEXT_COLUMNS = ("id", "host", "stdout", "stderr", "command", "tags")
COLUMNS = ("id", "state", "exit_code", "signal", "attempts", "start_time",
           "end_time", "rank", "host", "stdout", "stderr", "command", "tags")


def read_columns(f):
    """The /tasks columns as numpy arrays, strings decoded to str."""
    tasks = f["tasks"]
    return {name: tasks[name].asstr()[:] if tasks[name].dtype.kind == "S"
            else tasks[name][:] for name in COLUMNS if name in tasks}


def check_attributes(f, problems):
    attrs = f.attrs
    if attrs.get("schema_version") != 1:
        problems.append(f"schema_version is {attrs.get('schema_version')!r}, "
                        "want 1")
    for name in STRING_ATTRS:
        if not isinstance(attrs.get(name), str):
            problems.append(f"attribute {name} is {attrs.get(name)!r}, "
                            "want a str")
    if not isinstance(attrs.get("world_size"), (int, np.integer)):
        problems.append("attribute world_size missing or not an integer")
    for name in FLOAT_ATTRS:
        if not isinstance(attrs.get(name), (float, np.floating)):
            problems.append(f"attribute {name} missing or not a float")


def column_type_problem(name, ds):
    """What is wrong with the dtype of column `name`, or None."""
    info = h5py.check_string_dtype(ds.dtype)
    if name == "state":
        if info is None or info.length != STATE_WIDTH:
            return f"dtype {ds.dtype}, want fixed-length S{STATE_WIDTH}"
    elif name in TEXT_COLUMNS:
        if info is None or info.length is None or info.encoding != "utf-8":
            return f"dtype {ds.dtype} ({info}), want fixed-length UTF-8"
    elif name in INT32_COLUMNS and ds.dtype != np.dtype("<i4"):
        return f"dtype {ds.dtype}, want int32"
    elif name in FLOAT64_COLUMNS and ds.dtype != np.dtype("<f8"):
        return f"dtype {ds.dtype}, want float64"
    return None


def check_columns(f, problems):
    if "tasks" not in f:
        problems.append("group /tasks missing")
        return
    lengths = set()
    for name in COLUMNS:
        if name not in f["tasks"]:
            problems.append(f"dataset tasks/{name} missing")
            continue
        ds = f["tasks"][name]
        if ds.ndim != 1:
            problems.append(f"tasks/{name} has {ds.ndim} dimensions, want 1")
            continue
        lengths.add(ds.shape[0])
        problem = column_type_problem(name, ds)
        if problem:
            problems.append(f"tasks/{name}: {problem}")
        if ds.shape[0] > 0 and not (ds.chunks and ds.shuffle and
                                    ds.compression == "gzip"):
            problems.append(f"tasks/{name} not chunked with shuffle+gzip")
    if len(lengths) > 1:
        problems.append(f"/tasks columns differ in length: {sorted(lengths)}")


def check_values(f, problems, limit=20):
    """DONE/FAILED agree with exit_code and signal; states are known."""
    cols = read_columns(f)
    if set(cols) != set(COLUMNS):
        return
    state = cols["state"]
    clean = (cols["exit_code"] == 0) & (cols["signal"] == 0)
    bad = {
        "unknown state": ~np.isin(state, STATES),
        "DONE with a non-zero exit or signal": (state == "DONE") & ~clean,
        "FAILED with exit 0 and no signal": (state == "FAILED") & clean,
    }
    for what, mask in bad.items():
        rows = np.flatnonzero(mask)
        for row in rows[:limit]:
            problems.append(f"task {cols['id'][row]!r} (row {row}, state "
                            f"{state[row]!r}): {what}")
        if len(rows) > limit:
            problems.append(f"... and {len(rows) - limit} more: {what}")


def check(path):
    problems = []
    with h5py.File(path, "r") as f:
        check_attributes(f, problems)
        check_columns(f, problems)
        if not problems:
            check_values(f, problems)
    return problems


def plain(value):
    """A JSON-friendly Python value: numpy scalars unwrapped, NaN -> None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def summary(path, max_rows=None):
    """Attributes, task and per-state counts, and the first max_rows rows."""
    with h5py.File(path, "r") as f:
        attrs = {name: plain(value) for name, value in f.attrs.items()}
        cols = read_columns(f)
    count = len(cols.get("id", []))
    states = {state: int(np.sum(cols["state"] == state)) for state in STATES}
    shown = count if max_rows is None else min(count, max_rows)
    rows = [{name: plain(col[row]) for name, col in cols.items()}
            for row in range(shown)]
    return {"attrs": attrs, "tasks": count, "states": states, "rows": rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="validate against schema version 1")
    mode.add_argument("--json", action="store_true",
                      help="print everything as JSON")
    parser.add_argument("--rows", type=int, default=10,
                        help="rows to print in the default mode")
    args = parser.parse_args()
    if args.check:
        problems = check(args.path)
        for problem in problems:
            print(f"{args.path}: {problem}")
        return 1 if problems else 0
    info = summary(args.path, None if args.json else args.rows)
    if args.json:
        json.dump(info, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    for name, value in info["attrs"].items():
        print(f"{name}: {value}")
    print(f"tasks: {info['tasks']}  " +
          "  ".join(f"{s}={n}" for s, n in info["states"].items()))
    for task in info["rows"]:
        print("  ".join(f"{k}={v}" for k, v in task.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
