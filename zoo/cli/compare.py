"""``zoo compare``: fit every family the data allow; one table and an HTML report."""

from __future__ import annotations

import argparse

from ..errors import ZooError
from ..progress import wanted
from ..validate import SEED_MAX
from ._args import Subparsers, int_at_least
from ._shared import add_sweep_options, check_out, note, sweep_executor


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("compare", help="fit every family: one table and an HTML report")
    p.add_argument(
        "--data",
        metavar="digits|PATH",
        default="digits",
        help="the bundled digits (default; its fixed 360-item split is held out) or a "
        ".csv/.npy/.npz file (a seeded 20 percent, seed 0, is held out)",
    )
    p.add_argument(
        "--families", nargs="+", metavar="FAMILY", help="rows to fit (default: all the data allow)"
    )
    p.add_argument(
        "--budget",
        choices=["quick", "default", "thorough"],
        default="default",
        help="quick (about a minute), default (a few minutes) or thorough",
    )
    p.add_argument("--seed", type=int_at_least(0, "--seed", SEED_MAX), default=0, help="seed (0)")
    p.add_argument(
        "--out", metavar="DIR", default="zoo-report", help="report folder (default zoo-report/)"
    )
    p.add_argument("--json", action="store_true", help="print results.json instead of the table")
    add_sweep_options(p)
    p.add_argument(
        "--splits",
        type=int_at_least(1, "--splits"),
        default=1,
        help="random train/test splits (1: the fixed split only); each family is fitted on "
        "every split with every seed, as Dask tasks, and rows gain intervals",
    )
    p.add_argument(
        "--seeds",
        type=int_at_least(1, "--seeds"),
        default=1,
        help="seeds per split: --seed, --seed + 1, ... (1)",
    )


def run(args: argparse.Namespace) -> None:
    from .._compare_sweep import split_data

    out = check_out(args.out)
    train, test, info = split_data(args.data, 0)

    from ..compare import check_families

    families = check_families(args.families, train)  # before JAX and before any fit
    if not families:
        raise ZooError(f"no family can be fitted to {args.data}")
    executor = sweep_executor(args)  # a bad --scheduler or --cache fails before any fit
    from .. import setup  # JAX from here on
    from ..report import format_table, results_json, write_report

    setup()
    if args.splits == 1 and args.seeds == 1:
        from ..compare import compare

        result = compare(
            train,
            test,
            families,
            budget=args.budget,
            seed=args.seed,
            progress=note,
            data=info,
            progress_bars=wanted(args.json),
        )
    else:
        from .._compare_sweep import sweep_compare

        tasks = args.splits * args.seeds * len(families)
        shape = f"{args.splits} splits x {args.seeds} seeds x {len(families)} families"
        note(f"{tasks} tasks ({shape}): {executor}")
        result = sweep_compare(
            args.data,
            families,
            args.budget,
            args.seed,
            args.splits,
            args.seeds,
            progress=wanted(args.json),
            say=note,
            **executor.kwargs(),
        )
    note("writing the report ...")
    from .. import figures

    names = write_report(result, out, figures.compare_figures(result))
    note(f"wrote {out}/: {len(names)} files; open {out / 'index.html'}")
    if args.json:
        print(results_json(result).rstrip())
    else:
        from ..sweep_report import format_sweep

        print(format_table(result.rows, result.timings) + format_sweep(result.sweep))
    sweep = result.sweep or {}
    if sweep.get("failures"):
        first = sweep["failures"][0]
        raise ZooError(
            f"{len(sweep['failures'])} of {sweep['tasks']} tasks failed (the report has the "
            f"others; results.json lists each under sweep.failures); first: {first['task']}: "
            f"{first['error']}"
        )
