#!/usr/bin/python3
"""Writes a sortie manifest (JSON Lines) for a parameter sweep: every
combination of the --param values, --repeat times, one task each.

  make_sweep.py --param nodes=1,2,4,8 --param input=a.dat,b.dat --repeat 3 \\
      --command 'app --in {input}' --nodes '{nodes}' \\
      --id 'run-{nodes}-{input}-{rep}' > sweep.jsonl

Templates (--command, --argv, --id, --cwd, --stdout, --stderr, --env values
and every resource option) are Python format strings over the parameters,
`rep` (the repetition, from 0) and `index` (the task's line, from 0); write
a literal brace as {{ or }}. Each task's `tags` hold every parameter and
`rep`, numbers as JSON numbers, so run.h5 can be grouped by them (see
scripts/sortie_h5.py). Repetitions are the outer loop: every combination
runs once before any runs twice, so a slow period of the machine does not
land on one combination. --result KEY=REGEX adds a `results` pattern
(not templated: regexes use braces). Standard library only.
"""
import argparse
import itertools
import json
import math
import sys

# Option -> (manifest key, type) for the templated resource keys.
RESOURCES = {
    "nodes": ("nodes", int),
    "ranks_per_node": ("ranks_per_node", int),
    "cores_per_rank": ("cores_per_rank", int),
    "gpus_per_rank": ("gpus_per_rank", int),
    "priority": ("priority", int),
    "retries": ("retries", int),
    "timeout": ("timeout", float),
    "est_runtime": ("est_runtime", float),
}


class SweepError(Exception):
    """A problem with the command line, reported as one line on stderr."""


def parse_param(text):
    """"name=v1,v2,..." -> (name, [v1, v2, ...])."""
    name, sep, values = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise SweepError(f"--param {text!r}: want NAME=V1,V2,... with NAME "
                         "a plain identifier")
    if name in ("rep", "index"):
        raise SweepError(f"--param {name}: the name is reserved")
    items = [v.strip() for v in values.split(",")]
    if not values or any(v == "" for v in items):
        raise SweepError(f"--param {text!r}: empty value")
    return name, items


def as_json_value(text):
    """A tag value: an int or finite float when the text is one, else the
    text (JSON has no NaN or infinity)."""
    for convert in (int, float):
        try:
            value = convert(text)
        except ValueError:
            continue
        if math.isfinite(value):
            return value
    return text


def fill(option, template, fields):
    """`template` formatted with `fields`; unknown fields are errors."""
    try:
        return template.format(**fields)
    except KeyError as error:
        raise SweepError(f"{option} {template!r}: unknown field {{{error.args[0]}}}; "
                         f"fields are {', '.join(fields)}") from None
    except (ValueError, IndexError) as error:
        raise SweepError(f"{option} {template!r}: {error}") from None


def resource(option, template, kind, fields):
    """A templated resource key as the number the manifest needs."""
    text = fill(option, template, fields)
    try:
        return kind(text)
    except ValueError:
        raise SweepError(f"{option} {template!r} gives {text!r}, not "
                         f"{'an integer' if kind is int else 'a number'}") from None


def default_id(names):
    """run-<name><value>-...-rep<rep>: unique across the sweep."""
    return "-".join(["run"] + [f"{n}{{{n}}}" for n in names] + ["rep{rep}"])


def task(args, fields):
    """One manifest line's object for one point of the sweep."""
    obj = {"id": fill("--id", args.id or default_id(args.names), fields)}
    if args.argv:
        obj["command"] = [fill("--argv", a, fields) for a in args.argv]
    else:
        obj["command"] = fill("--command", args.command, fields)
    for option in ("cwd", "stdout", "stderr"):
        if getattr(args, option) is not None:
            obj[option] = fill("--" + option, getattr(args, option), fields)
    if args.env:
        obj["env"] = {}
        for entry in args.env:
            name, sep, value = entry.partition("=")
            if not sep or not name:
                raise SweepError(f"--env {entry!r}: want NAME=VALUE")
            obj["env"][name] = fill("--env", value, fields)
    for option, (key, kind) in RESOURCES.items():
        if getattr(args, option) is not None:
            obj[key] = resource("--" + option.replace("_", "-"),
                                getattr(args, option), kind, fields)
    if args.result:
        obj["results"] = dict(r.partition("=")[::2] for r in args.result)
    obj["tags"] = {name: as_json_value(fields[name]) for name in args.names}
    obj["tags"]["rep"] = fields["rep"]
    return obj


def sweep(args):
    """Every task of the sweep, repetitions outermost."""
    params = [parse_param(p) for p in args.param]
    args.names = [name for name, _ in params]
    if len(set(args.names)) != len(args.names):
        raise SweepError("a --param name is given twice")
    for r in args.result:
        if "=" not in r or r.startswith("="):
            raise SweepError(f"--result {r!r}: want KEY=REGEX")
    index = 0
    for rep in range(args.repeat):
        for values in itertools.product(*[v for _, v in params]):
            fields = dict(zip(args.names, values), rep=rep, index=index)
            yield task(args, fields)
            index += 1


def parser():
    """The command line."""
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 2)[2])
    p.add_argument("--param", action="append", default=[], metavar="NAME=V1,V2",
                   help="a swept parameter (repeatable)")
    p.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="run every combination N times (tag rep = 0..N-1)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--command", metavar="TEMPLATE",
                      help="shell command (run by /bin/sh -c)")
    what.add_argument("--argv", action="append", metavar="TEMPLATE",
                      help="one argv element; repeat for each (no shell)")
    p.add_argument("--id", metavar="TEMPLATE",
                   help="task id (default run-<name><value>...-rep<rep>)")
    for option in ("cwd", "stdout", "stderr"):
        p.add_argument("--" + option, metavar="TEMPLATE")
    p.add_argument("--env", action="append", default=[], metavar="NAME=TEMPLATE")
    for option in RESOURCES:
        p.add_argument("--" + option.replace("_", "-"), dest=option,
                       metavar="TEMPLATE")
    p.add_argument("--result", action="append", default=[], metavar="KEY=REGEX",
                   help="a `results` pattern with one capture group")
    return p


def main(argv=None):
    """Prints the sweep's manifest; exit status 2 on a bad command line."""
    args = parser().parse_args(argv)
    if args.repeat < 1:
        print("make_sweep: --repeat must be at least 1", file=sys.stderr)
        return 2
    try:
        lines = [json.dumps(t, ensure_ascii=False) for t in sweep(args)]
    except SweepError as error:
        print(f"make_sweep: {error}", file=sys.stderr)
        return 2
    ids = set()
    for line in lines:
        ids.add(json.loads(line)["id"])
    if len(ids) != len(lines):
        print("make_sweep: the --id template gives the same id to two tasks "
              "(put every parameter and {rep} in it)", file=sys.stderr)
        return 2
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
