#!/usr/bin/python3
"""Prints or checks a sortie run.h5 (schema version 1, see docs/hdf5.md).

  check_run_h5.py RUN.h5            attributes, nodes, state counts, first rows
  check_run_h5.py --check RUN.h5    exit 1 listing every schema violation,
                                    including a node holding more cores or
                                    GPUs than it has, events that disagree
                                    with /tasks, a finished run's attempt
                                    without an end, and node_ids outside the
                                    attempt's allocation
  check_run_h5.py --json RUN.h5     attributes, counts, every task (with its
                                    output tails) and every event as JSON

Uses Debian's h5py (python3-h5py), so run it with /usr/bin/python3.
"""
import argparse
import json
import math
import sys

import h5py
import numpy as np

STATES = ("PENDING", "RUNNING", "DONE", "FAILED", "TIMEOUT", "SKIPPED",
          "INTERRUPTED")
EVENTS = ("STARTED", "DONE", "FAILED", "TIMEOUT", "SKIPPED", "INTERRUPTED")
STATE_WIDTH = 12
STRING_ATTRS = ("sortie_version", "manifest", "manifest_sha256", "mpi_library")
FLOAT_ATTRS = ("started_at", "finished_at")
INT32_COLUMNS = ("exit_code", "signal", "attempts", "rank", "nodes",
                 "ranks_per_node", "cores_per_rank", "gpus_per_rank",
                 "priority",
                 # /nodes
                 "cores", "gpus", "allocation",
                 # /allocations
                 "ranks",
                 # /events
                 "task", "attempt")
FLOAT64_COLUMNS = ("start_time", "end_time", "est_runtime", "time",
                   # /allocations
                   "started_at", "ended_at",
                   # /results
                   "value")
TEXT_COLUMNS = ("id", "host", "stdout", "stderr", "command", "tags",
                "node_ids", "function", "reason",
                # /results
                "key", "text")
ASCII_COLUMNS = ("state", "event")
COLUMNS = ("id", "state", "exit_code", "signal", "attempts", "start_time",
           "end_time", "rank", "host", "stdout", "stderr", "command", "tags",
           "nodes", "ranks_per_node", "cores_per_rank", "gpus_per_rank",
           "node_ids", "priority", "est_runtime", "function", "reason")
NODE_COLUMNS = ("rank", "host", "cores", "gpus", "allocation")
ALLOCATION_COLUMNS = ("started_at", "ended_at", "ranks", "nodes")
EVENT_COLUMNS = ("task", "attempt", "time", "event", "rank")
RESULT_COLUMNS = ("task", "key", "value", "text")
GROUPS = {"tasks": COLUMNS, "nodes": NODE_COLUMNS,
          "allocations": ALLOCATION_COLUMNS, "events": EVENT_COLUMNS,
          "results": RESULT_COLUMNS}
# Seconds a task's start may lie outside its allocation's span: the hosts'
# clocks differ a little.
CLOCK_SLACK = 1.0
# Per-task bytes of /tasks stored as NAME_blob + NAME_offsets.
BLOBS = ("stdout_tail", "stderr_tail")


def read_columns(f, group="tasks"):
    """The columns of a group as numpy arrays, strings as str (bytes that
    are not UTF-8, possible in `reason`, become U+FFFD)."""
    if group not in f:
        return {}
    g = f[group]
    return {name: g[name].asstr(errors="replace")[:]
            if g[name].dtype.kind == "S" else g[name][:]
            for name in GROUPS[group] if name in g}


def read_blob(f, name):
    """Every task's NAME (e.g. "stderr_tail") as bytes, in task order."""
    offsets = f[f"tasks/{name}_offsets"][:]
    blob = f[f"tasks/{name}_blob"][:].tobytes()
    return [blob[a:b] for a, b in zip(offsets[:-1], offsets[1:])]


def check_attributes(f, problems):
    attrs = f.attrs
    if attrs.get("schema_version") != 1:
        problems.append(f"schema_version is {attrs.get('schema_version')!r}, "
                        "want 1")
    for name in STRING_ATTRS:
        if not isinstance(attrs.get(name), str):
            problems.append(f"attribute {name} is {attrs.get(name)!r}, "
                            "want a str")
    for name in ("world_size", "exit_status"):
        if not isinstance(attrs.get(name), (int, np.integer)):
            problems.append(f"attribute {name} missing or not an integer")
    for name in FLOAT_ATTRS:
        if not isinstance(attrs.get(name), (float, np.floating)):
            problems.append(f"attribute {name} missing or not a float")
    # Newer than the rest of schema 1: optional, but a float when present,
    # and never before the start or the end it reports.
    written = attrs.get("written_at")
    if written is not None:
        if not isinstance(written, (float, np.floating)):
            problems.append("attribute written_at is not a float")
        elif not np.isfinite(written):
            problems.append(f"written_at is {written}, want a time")
        elif not written >= attrs.get("started_at", -np.inf):
            problems.append(f"written_at {written} is before started_at")
        elif written < attrs.get("finished_at", np.nan):
            problems.append(f"written_at {written} is before finished_at")


def column_type_problem(name, ds):
    """What is wrong with the dtype of column `name`, or None."""
    info = h5py.check_string_dtype(ds.dtype)
    if name in ASCII_COLUMNS:
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


def check_columns(f, problems, group="tasks"):
    """Every column of /`group` present, 1-D, typed, compressed, same length."""
    if group not in f:
        problems.append(f"group /{group} missing")
        return
    g = f[group]
    names = list(g.attrs.get("columns", []))
    if names != list(GROUPS[group]):
        problems.append(f"/{group} attribute columns is {names}, want "
                        f"{list(GROUPS[group])}")
    lengths = set()
    for name in GROUPS[group]:
        if name not in g:
            problems.append(f"dataset {group}/{name} missing")
            continue
        ds = g[name]
        if ds.ndim != 1:
            problems.append(f"{group}/{name} has {ds.ndim} dimensions, want 1")
            continue
        lengths.add(ds.shape[0])
        problem = column_type_problem(name, ds)
        if problem:
            problems.append(f"{group}/{name}: {problem}")
        if not compressed(ds):
            problems.append(f"{group}/{name} not chunked with shuffle+gzip")
    if len(lengths) > 1:
        problems.append(f"/{group} columns differ in length: {sorted(lengths)}")


def compressed(ds):
    """Chunked with shuffle+gzip, or empty (an empty dataset cannot be)."""
    return ds.shape[0] == 0 or bool(ds.chunks and ds.shuffle and
                                    ds.compression == "gzip")


def check_blob(f, name, tasks, problems):
    """NAME_blob is uint8 and NAME_offsets int64, tasks + 1 entries from 0
    up to the blob's length, never decreasing."""
    g = f["tasks"]
    blob, offsets = f"{name}_blob", f"{name}_offsets"
    for ds_name, dtype in ((blob, "<u1"), (offsets, "<i8")):
        if ds_name not in g:
            problems.append(f"dataset tasks/{ds_name} missing")
            return
        ds = g[ds_name]
        if ds.ndim != 1 or ds.dtype != np.dtype(dtype):
            problems.append(f"tasks/{ds_name}: {ds.ndim}-D {ds.dtype}, want "
                            f"1-D {np.dtype(dtype)}")
            return
        if not compressed(ds):
            problems.append(f"tasks/{ds_name} not chunked with shuffle+gzip")
    ends = g[offsets][:]
    if len(ends) != tasks + 1:
        problems.append(f"tasks/{offsets} has {len(ends)} entries, want "
                        f"{tasks + 1} (tasks + 1)")
    elif ends[0] != 0 or ends[-1] != len(g[blob]) or np.any(np.diff(ends) < 0):
        problems.append(f"tasks/{offsets} does not rise from 0 to the "
                        f"{len(g[blob])} bytes of tasks/{blob}")


def check_blobs(f, problems):
    """The `blobs` attribute and every blob it names."""
    if "tasks" not in f or "id" not in f["tasks"]:
        return
    names = list(f["tasks"].attrs.get("blobs", []))
    if names != list(BLOBS):
        problems.append(f"/tasks attribute blobs is {names}, want "
                        f"{list(BLOBS)}")
    for name in BLOBS:
        check_blob(f, name, len(f["tasks/id"]), problems)


def report_rows(cols, bad, problems, limit=20):
    """One problem per row of each mask in `bad` ({what: mask}), capped."""
    for what, mask in bad.items():
        rows = np.flatnonzero(mask)
        for row in rows[:limit]:
            problems.append(f"task {cols['id'][row]!r} (row {row}, state "
                            f"{cols['state'][row]!r}): {what}")
        if len(rows) > limit:
            problems.append(f"... and {len(rows) - limit} more: {what}")


def parse_node_ids(text, node_count):
    """The /nodes rows in a node_ids value, or None if it is malformed."""
    if text == "":
        return []
    parts = text.split(",")
    if not all(p.isdigit() and p.isascii() for p in parts):
        return None
    rows = [int(p) for p in parts]
    if max(rows) >= node_count or len(set(rows)) != len(rows):
        return None
    return rows


def check_values(f, problems):
    """States agree with exit codes; resources are in range; node_ids name
    existing nodes, as many as the task asked for."""
    cols = read_columns(f)
    state = cols["state"]
    clean = (cols["exit_code"] == 0) & (cols["signal"] == 0)
    node_count = len(f["nodes/rank"])
    placements = [parse_node_ids(t, node_count) for t in cols["node_ids"]]
    malformed = np.array([p is None for p in placements], dtype=bool)
    wrong_count = np.array(
        [p is not None and len(p) not in (0, n)
         for p, n in zip(placements, cols["nodes"])], dtype=bool)
    function = cols["function"] != ""
    report_rows(cols, {
        "unknown state": ~np.isin(state, STATES),
        "DONE with a non-zero exit or signal": (state == "DONE") & ~clean,
        "FAILED with exit 0 and no signal": (state == "FAILED") & clean,
        "nodes, ranks_per_node or cores_per_rank below 1":
            (cols["nodes"] < 1) | (cols["ranks_per_node"] < 1) |
            (cols["cores_per_rank"] < 1),
        "gpus_per_rank below 0": cols["gpus_per_rank"] < 0,
        "est_runtime neither NaN nor > 0": ~(np.isnan(cols["est_runtime"]) |
                                              (cols["est_runtime"] > 0)),
        "both a command and a function": function & (cols["command"] != ""),
        f"node_ids not distinct /nodes rows below {node_count}": malformed,
        "node_ids does not list one row per node": wrong_count,
        "node_ids set but never started":
            (cols["node_ids"] != "") & np.isnan(cols["start_time"]),
    }, problems)
    nodes = read_columns(f, "nodes")
    allocations = read_columns(f, "allocations")
    if not problems:
        check_allocations(nodes, allocations, f.attrs.get("finished_at"),
                          problems)
    if not problems:
        check_placement_allocations(cols, placements, nodes, allocations,
                                    problems)
    if not problems:
        check_node_load(cols, placements, nodes, problems)
    if not problems:
        check_events(cols, read_columns(f, "events"),
                     not math.isnan(f.attrs.get("finished_at")), problems)
    if not problems:
        check_results(cols, read_columns(f, "results"), problems)


def check_allocations(nodes, allocations, finished_at, problems):
    """Allocations in order of their start, each ended before the next (only
    the last may still run, and not once the run finished), with as many
    /nodes rows as it says, the rows of one allocation together."""
    started, ended = allocations["started_at"], allocations["ended_at"]
    count = len(started)
    owner = nodes["allocation"]
    if np.any((owner < 0) | (owner >= count)):
        problems.append(f"/nodes allocation outside 0..{count - 1}")
        return
    if np.any(np.diff(owner) < 0):
        problems.append("/nodes rows of the allocations are not in order")
    rows = np.bincount(owner, minlength=count) if count else np.array([])
    for a in np.flatnonzero(rows != allocations["nodes"]):
        problems.append(f"allocation {a} says {allocations['nodes'][a]} nodes "
                        f"but /nodes has {rows[a]} rows of it")
    if np.any(np.isnan(started)) or np.any(np.diff(started) < 0):
        problems.append("/allocations started_at is NaN or not in order")
    running = np.isnan(ended)
    if np.any(running[:-1]) or (count and running[-1] and
                                not math.isnan(finished_at)):
        problems.append("an allocation has ended_at NaN, but a later one "
                        "started or the run finished")
    if np.any(ended[~running] < started[~running]) or \
            np.any(ended[:-1][~running[:-1]] > started[1:][~running[:-1]]):
        problems.append("an allocation ended before it started or after "
                        "the next one started")


def check_placement_allocations(cols, placements, nodes, allocations,
                                problems):
    """A task's node_ids name nodes of one allocation: the one that was
    running when the attempt started (within CLOCK_SLACK), and one of them
    served by the task's rank, the attempt's leader."""
    if len(allocations["started_at"]) == 0:
        return
    ended = np.where(np.isnan(allocations["ended_at"]), np.inf,
                     allocations["ended_at"])
    bad = np.zeros(len(placements), dtype=bool)
    for row, placement in enumerate(placements):
        if not placement:
            continue
        owners = set(nodes["allocation"][placement].tolist())
        start = cols["start_time"][row]
        owner = owners.pop()
        bad[row] = bool(owners) or \
            cols["rank"][row] not in nodes["rank"][placement] or \
            not (allocations["started_at"][owner] - CLOCK_SLACK <= start <=
                 ended[owner] + CLOCK_SLACK)
    report_rows(cols, {
        "node_ids not of the allocation its latest attempt started in, or "
        "none of them served by its rank": bad,
    }, problems)


def check_results(cols, results, problems):
    """Results name existing tasks, one row per (task, key), non-empty keys."""
    task, key = results["task"], results["key"]
    count = len(cols["id"])
    outside = np.flatnonzero((task < 0) | (task >= count))
    problems.extend(f"/results row {r}: task {task[r]} outside 0..{count - 1}"
                    for r in outside[:20])
    pairs = list(zip(task.tolist(), key.tolist()))
    if len(set(pairs)) != len(pairs):
        problems.append("/results has a (task, key) pair twice")
    if any(k == "" for k in key):
        problems.append("/results has an empty key")


def check_events(cols, events, finished, problems, limit=20):
    """Events name known transitions of existing tasks, each task that
    started has as many attempts in /tasks as its latest event's attempt,
    only tasks that started have node_ids, and once the run finished every
    attempt that started has ended (a lost one INTERRUPTED by the resume)."""
    task, attempt, name = events["task"], events["attempt"], events["event"]
    count = len(cols["id"])
    bad = {
        "unknown event": ~np.isin(name, EVENTS),
        f"task outside 0..{count - 1}": (task < 0) | (task >= count),
        "negative attempt": attempt < 0,
    }
    for what, mask in bad.items():
        rows = np.flatnonzero(mask)
        problems.extend(
            f"event {row} (task {task[row]}, {name[row]!r}): {what}"
            for row in rows[:limit])
        if len(rows) > limit:
            problems.append(f"... and {len(rows) - limit} more: {what}")
    if problems:
        return
    started = np.zeros(count, dtype=bool)
    started[task[name == "STARTED"]] = True
    # Highest attempt per task: sort by task then attempt, keep each last.
    order = np.lexsort((attempt, task))
    task, attempt = task[order], attempt[order]
    last = np.r_[task[1:] != task[:-1], True] if len(task) else []
    latest = np.full(count, -1, dtype=np.int64)
    latest[task[last]] = attempt[last]
    report_rows(cols, {
        "attempts differs from its latest attempt in /events":
            started & (cols["attempts"] != latest),
        "node_ids set but no STARTED event": (cols["node_ids"] != "") &
        ~started,
    }, problems)
    if finished:
        check_attempts_ended(events, problems, limit)


def check_attempts_ended(events, problems, limit):
    """Every (task, attempt) with a STARTED event has an end event."""
    task, attempt, name = events["task"], events["attempt"], events["event"]
    is_start = name == "STARTED"
    ends = set(zip(task[~is_start].tolist(), attempt[~is_start].tolist()))
    open_attempts = [(t, a) for t, a in zip(task[is_start].tolist(),
                                            attempt[is_start].tolist())
                     if (t, a) not in ends]
    problems.extend(f"task {t} attempt {a}: STARTED but never ended, in a "
                    "finished run" for t, a in open_attempts[:limit])
    if len(open_attempts) > limit:
        problems.append(f"... and {len(open_attempts) - limit} more attempts "
                        "that never ended")


def node_peaks(cols, placements, need):
    """Per node, the largest sum of `need` (per task) over tasks running on
    it at one moment, and when that was. A task holds its node from
    start_time to end_time (for ever while end_time is NaN); one that ends
    at t frees its node for one that starts at t."""
    rows = [row for row, p in enumerate(placements) for _ in p]
    nodes = np.array([n for p in placements for n in p], dtype=np.int64)
    rows = np.array(rows, dtype=np.int64)
    amount = need[rows].astype(np.int64)
    end = cols["end_time"][rows]
    node = np.concatenate([nodes, nodes])
    time = np.concatenate([cols["start_time"][rows],
                           np.where(np.isnan(end), np.inf, end)])
    delta = np.concatenate([amount, -amount])
    order = np.lexsort((delta, time, node))  # by node, time, ends first
    node, time, delta = node[order], time[order], delta[order]
    total = np.cumsum(delta)
    first = np.r_[True, node[1:] != node[:-1]] if len(node) else node
    group_start = np.maximum.accumulate(
        np.where(first, np.arange(len(node)), 0))
    busy = total - (total - delta)[group_start]
    peaks = {}
    # Most busy last, and of equally busy moments the earliest last, so the
    # last write per node is its peak and when it began.
    for i in np.lexsort((-time, busy)):
        peaks[int(node[i])] = (int(busy[i]), float(time[i]))
    return peaks


def check_node_load(cols, placements, nodes, problems):
    """No node ever holds more cores (or GPUs) than /nodes says it has."""
    per_node = {
        "cores": cols["ranks_per_node"].astype(np.int64) *
        cols["cores_per_rank"],
        "gpus": cols["ranks_per_node"].astype(np.int64) *
        cols["gpus_per_rank"],
    }
    for what, need in per_node.items():
        for node, (peak, when) in node_peaks(cols, placements, need).items():
            if peak > nodes[what][node]:
                problems.append(
                    f"node {node} ({nodes['host'][node]!r}) has "
                    f"{nodes[what][node]} {what} but tasks held {peak} at "
                    f"once, at time {when}")


def check(path):
    problems = []
    with h5py.File(path, "r") as f:
        check_attributes(f, problems)
        for group in GROUPS:
            check_columns(f, problems, group)
        check_blobs(f, problems)
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
    """Attributes, task and per-state counts, the first max_rows rows (with
    their output tails when every row is wanted) and the events."""
    with h5py.File(path, "r") as f:
        attrs = {name: plain(value) for name, value in f.attrs.items()}
        cols = read_columns(f)
        node_cols = read_columns(f, "nodes")
        allocation_cols = read_columns(f, "allocations")
        event_cols = read_columns(f, "events")
        if max_rows is None:
            for name in BLOBS:
                if f"tasks/{name}_offsets" in f:
                    cols[name] = [b.decode("utf-8", "replace")
                                  for b in read_blob(f, name)]
    count = len(cols.get("id", []))
    states = {state: int(np.sum(cols["state"] == state)) for state in STATES}
    shown = count if max_rows is None else min(count, max_rows)
    rows = [{name: plain(col[row]) for name, col in cols.items()}
            for row in range(shown)]
    nodes = [{name: plain(col[row]) for name, col in node_cols.items()}
             for row in range(len(node_cols.get("rank", [])))]
    shown_events = len(event_cols.get("task", []))
    if max_rows is not None:
        shown_events = min(shown_events, max_rows)
    events = [{name: plain(col[row]) for name, col in event_cols.items()}
              for row in range(shown_events)]
    allocations = [{name: plain(col[row])
                    for name, col in allocation_cols.items()}
                   for row in range(len(allocation_cols.get("ranks", [])))]
    return {"attrs": attrs, "tasks": count, "states": states, "rows": rows,
            "nodes": nodes, "allocations": allocations,
            "events": len(event_cols.get("task", [])), "event_rows": events}


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
    print(f"allocations: {len(info['allocations'])}")
    for allocation in info["allocations"]:
        print("  " + "  ".join(f"{k}={v}" for k, v in allocation.items()))
    print(f"nodes: {len(info['nodes'])}")
    for node in info["nodes"][:args.rows]:
        print("  " + "  ".join(f"{k}={v}" for k, v in node.items()))
    print(f"tasks: {info['tasks']}  " +
          "  ".join(f"{s}={n}" for s, n in info["states"].items()))
    for task in info["rows"]:
        print("  ".join(f"{k}={v}" for k, v in task.items()))
    print(f"events: {info['events']}")
    for event in info["event_rows"]:
        print("  " + "  ".join(f"{k}={v}" for k, v in event.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
