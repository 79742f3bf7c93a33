#!/usr/bin/python3
"""Read a sortie run.h5 into pandas DataFrames (layout: docs/hdf5.md).

    import sys; sys.path.insert(0, "scripts")
    import sortie_h5
    tasks = sortie_h5.load_tasks("run.h5")      # one row per task
    table = sortie_h5.load_results("run.h5")    # one row per task, a column per result key
    table[table.state == "DONE"].groupby("nodes")["time"].mean()

Needs only Debian's python3-h5py and python3-pandas (run with /usr/bin/python3).
Strings are decoded as UTF-8 with errors="replace", so a task id or output
that is not UTF-8 never raises. Works on files written before /results
existed (load_results then returns no key columns).
"""
import json
import os
import sys

import h5py
import numpy as np
import pandas as pd

__all__ = ["load_tasks", "load_results", "load_events", "load_nodes"]

TAG_PREFIX = "tag_"
RESOURCES = ["nodes", "ranks_per_node", "cores_per_rank", "gpus_per_rank"]


def _table(group):
    """One group of run.h5 columns as a DataFrame, strings decoded."""
    columns = {}
    for name in group.attrs["columns"]:
        data = group[name]
        if data.dtype.kind == "S":
            columns[name] = data.asstr(errors="replace")[:]
        else:
            columns[name] = data[:]
    return pd.DataFrame(columns)


def _blob(f, name):
    """Every task's `name` ("stdout_tail" or "stderr_tail") as text."""
    offsets = f[f"tasks/{name}_offsets"][:]
    data = f[f"tasks/{name}_blob"][:].tobytes()
    return [data[a:b].decode("utf-8", "replace")
            for a, b in zip(offsets[:-1], offsets[1:])]


def _expand_tags(tasks):
    """Adds one column per top-level key of the `tags` JSON objects.

    A tag named like an existing column (say "nodes", which /tasks already
    has) gets TAG_PREFIX in front. Tasks without that tag get None. The new
    columns' names are listed in tasks.attrs["tag_columns"].
    """
    parsed = [json.loads(text) if text else {} for text in tasks["tags"]]
    keys = []
    for tags in parsed:
        keys.extend(k for k in tags if k not in keys)
    added = []
    for key in keys:
        column = TAG_PREFIX + key if key in tasks.columns else key
        tasks[column] = [tags.get(key) for tags in parsed]
        added.append(column)
    tasks.attrs["tag_columns"] = added
    return tasks


def load_tasks(path, tails=False):
    """/tasks as a DataFrame, one row per task in manifest order.

    Adds `task` (the row number, what /results and /events call a task),
    `runtime` (end_time - start_time: NaN for a task that never ended) and a
    column per tag (see _expand_tags). With `tails`, also `stdout_tail` and
    `stderr_tail`, the last 4 KiB of each task's output.
    """
    with h5py.File(path, "r") as f:
        tasks = _table(f["tasks"])
        if tails:
            for name in ("stdout_tail", "stderr_tail"):
                tasks[name] = _blob(f, name)
    tasks.insert(0, "task", np.arange(len(tasks), dtype=np.int64))
    tasks["runtime"] = tasks["end_time"] - tasks["start_time"]
    return _expand_tags(tasks)


def _result_column(rows):
    """A key's values: numbers when every one is a number, else the texts."""
    if not rows["value"].isna().any():
        return rows["value"]
    return rows["text"]


def load_results(path, with_tasks=True):
    """/results pivoted: one row per task, one column per result key.

    A key's column holds floats when every value of that key is a number,
    and the raw texts otherwise; a task that did not report a key has NaN
    there. With `with_tasks` (the default) every task has a row, results or
    not, next to `task`, `id`, `state`, `exit_code`, `runtime`, the resource
    columns (`nodes`, `ranks_per_node`, `cores_per_rank`, `gpus_per_rank`)
    and its tag columns, so a scaling table is one groupby away:

        load_results("run.h5").groupby("nodes")["time"].mean()

    Where a result key and a task column share a name, the result keeps the
    name and the task column gets "_task" appended. Without `with_tasks`,
    only tasks with results have a row, indexed by `task`.
    """
    with h5py.File(path, "r") as f:
        long = _table(f["results"]) if "results" in f else pd.DataFrame(
            {"task": [], "key": [], "value": [], "text": []})
    wide = pd.DataFrame(index=pd.Index(sorted(set(long["task"])), name="task"))
    for key, rows in long.groupby("key", sort=False):
        wide[key] = _result_column(rows).set_axis(rows["task"])
    if not with_tasks:
        return wide
    tasks = load_tasks(path)
    keep = ["task", "id", "state", "exit_code", "runtime"] + RESOURCES
    keep += tasks.attrs["tag_columns"]
    # Joined on the row under a name no key can have: a result key may be
    # called "task" itself.
    row = "\0row"
    wide = wide.rename_axis(row).reset_index()
    table = tasks[keep].merge(wide, left_on="task", right_on=row, how="left",
                              suffixes=("_task", ""))
    return table.drop(columns=row)


def load_events(path):
    """/events as a DataFrame (one row per start or end of an attempt, in
    the order recorded), with each task's `id` added."""
    with h5py.File(path, "r") as f:
        events = _table(f["events"])
        ids = f["tasks/id"].asstr(errors="replace")[:]
    events["id"] = ids[events["task"].to_numpy()] if len(events) else []
    return events


def load_nodes(path):
    """/nodes as a DataFrame: one row per node of each allocation (rank,
    host, cores, gpus, allocation); the row number is what /tasks `node_ids`
    lists."""
    with h5py.File(path, "r") as f:
        return _table(f["nodes"])


def _main(argv):
    """Prints the results table of a run: sortie_h5.py RUN.h5"""
    if len(argv) != 2:
        print(_main.__doc__)
        return 2
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        text = load_results(argv[1]).to_string(index=False)
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # `| head` stopped reading: not an error. Point stdout at /dev/null
        # so the flush at exit does not raise again (Python docs' recipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
