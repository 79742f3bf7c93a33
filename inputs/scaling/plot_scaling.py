#!/usr/bin/python3
"""Strong-scaling plot of a sortie run: time and speedup against nodes.

  plot_scaling.py RUN.h5 [OUT.png] [--key time]

Reads the run with scripts/sortie_h5.py, keeps the DONE tasks that reported
`--key` (default `time`, written by app.sh to $SORTIE_RESULT), and draws the
mean time per node count (error bars: min to max over repetitions) and the
speedup over the smallest node count, each next to the ideal line. Prints
the table it plotted. Needs Debian's python3-matplotlib (Agg, no display).
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only: no display on a login or compute node
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import sortie_h5  # noqa: E402


def scaling_table(path, key):
    """Mean, min and max of `key` per node count over the DONE tasks, and
    the speedup of the mean over the smallest node count."""
    runs = sortie_h5.load_results(path)
    if key not in runs.columns:
        raise SystemExit(f"{path}: no task reported a result named {key!r}")
    done = runs[(runs.state == "DONE") & runs[key].notna()]
    if done.empty:
        raise SystemExit(f"{path}: no DONE task has a {key!r} result")
    # The result the app wrote wins; the tag is there for apps that do not.
    nodes = done["nodes"] if "nodes" in done.columns else done["tag_nodes"]
    table = done.groupby(nodes.astype(int))[key].agg(["mean", "min", "max",
                                                      "count"])
    table.index.name = "nodes"
    table["speedup"] = table["mean"].iloc[0] / table["mean"]
    table["efficiency"] = table["speedup"] / (table.index / table.index[0])
    return table


def plot(table, key, out):
    """Two panels against nodes (log2 axis): `key`, and the speedup."""
    nodes = table.index.to_numpy()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    # Repetitions that measured the same value can average an ulp outside
    # their own range (three times 0.7 has a mean below 0.7); matplotlib
    # refuses a negative error bar.
    errors = [(table["mean"] - table["min"]).clip(lower=0),
              (table["max"] - table["mean"]).clip(lower=0)]
    left.errorbar(nodes, table["mean"], yerr=errors, marker="o", capsize=3,
                  label="measured")
    left.plot(nodes, table["mean"].iloc[0] * nodes[0] / nodes, "--",
              color="grey", label="ideal")
    left.set(xlabel="nodes", ylabel=f"{key} (s)", title="Time to solution")
    left.set_ylim(bottom=0)
    right.plot(nodes, table["speedup"], marker="o", label="measured")
    right.plot(nodes, nodes / nodes[0], "--", color="grey", label="ideal")
    right.set(xlabel="nodes", ylabel="speedup", title="Strong scaling")
    for axes in (left, right):
        axes.set_xscale("log", base=2)
        axes.set_xticks(nodes, [str(n) for n in nodes])
        axes.minorticks_off()
        axes.grid(True, alpha=0.3)
        axes.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="the run's run.h5")
    parser.add_argument("out", nargs="?", default="scaling.png")
    parser.add_argument("--key", default="time", help="result to plot")
    args = parser.parse_args()
    table = scaling_table(args.run, args.key)
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    plot(table, args.key, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
