"""``zoo analyze NAME``: run one analysis (or ``all``), print its finding and table (or its
JSON), and write ``result.json`` and the figures into ``--out``.

:func:`add_parser` registers the subcommand on the ``zoo`` parser's subparsers and
:func:`run` carries it out; bad input raises ``ValueError`` naming the problem (the ``zoo``
command turns it into one line on stderr), checked before any work starts.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphs.files import writable_folder
from zoo.scripts import note
from zoo.validate import SEED_MAX, choice, int_at_least, int_flag

from . import ANALYSES, SIZES, get_analysis, write_result

if TYPE_CHECKING:
    from zoo.cli._args import Subparsers

    from ._run import AnalysisResult

DEFAULT_OUT = "zoo-analyses"
_seed = int_flag(0, "--seed", SEED_MAX)


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Add ``analyze`` to ``subparsers`` (from ``ArgumentParser.add_subparsers``)."""
    lines = "\n".join(f"  {name:<16} {desc}" for name, (_, desc) in ANALYSES.items())
    p = subparsers.add_parser(
        "analyze",
        help="run a posterior analysis: ng-jordan, double-counting, missing, anomaly, ...",
        description=f"Run a posterior analysis.\n\n{lines}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "name", metavar="NAME", choices=[*ANALYSES, "all"], help="an analysis above, or all"
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help=f"folder for result.json and the figures (default {DEFAULT_OUT}/NAME; with "
        "all, one subfolder per analysis)",
    )
    p.add_argument("--seed", type=_seed, default=0, metavar="N", help="seed (default 0)")
    p.add_argument(
        "--size",
        choices=SIZES,
        default="small",
        help="small: a quick run, under a minute each (default); full: the docs' numbers, minutes",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    return p


def check_out(path: str | os.PathLike) -> Path:
    """``path`` must be, or be creatable as, a writable folder; checked before any work."""
    return writable_folder(path)


def run(args: argparse.Namespace) -> None:
    """Carry out ``zoo analyze`` for parsed ``args`` (``name``, ``out``, ``seed``, ``size``,
    ``json``)."""
    names = list(ANALYSES) if args.name == "all" else [args.name]
    functions = {n: get_analysis(n) for n in names}
    choice(args.size, SIZES, "size")
    int_at_least("--seed", args.seed, 0, noun="integer")
    default = DEFAULT_OUT if args.name == "all" else f"{DEFAULT_OUT}/{args.name}"
    base = check_out(args.out or default)
    results = {}
    for name in names:
        out = base / name if args.name == "all" else base
        note(f"{name}: running ({args.size}, seed {args.seed}) ...")
        result = functions[name](size=args.size, seed=args.seed, progress=note)
        files = write_result(result, out)
        note(f"{name}: wrote {out}/: {', '.join(files)}")
        results[name] = result
    if args.json:
        payload = {n: r.to_json() for n, r in results.items()}
        print(json.dumps(payload[names[0]] if len(names) == 1 else payload, indent=2))
        return
    print("\n\n".join(format_result(r) for r in results.values()))


def format_result(result: AnalysisResult) -> str:
    """The finding, then the table as aligned text columns."""
    rows = result.table
    lines = [f"{result.name}: {result.summary.get('finding', '')}", ""]
    if not rows:
        return "\n".join(lines)
    keys = list(rows[0])
    cells = [[cell(r.get(k)) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    for row in [keys, ["-" * w for w in widths], *cells]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def cell(value: Any) -> str:
    """A table cell: ``-`` for none, four significant digits for a float."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
