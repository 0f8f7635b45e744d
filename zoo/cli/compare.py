"""``zoo compare``: fit every family the data allow; one table and an HTML report."""

from __future__ import annotations

import argparse

from ..errors import ZooError
from ..progress import wanted
from ..validate import SEED_MAX
from ._args import Subparsers, int_at_least
from ._shared import check_out, note


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


def run(args: argparse.Namespace) -> None:
    from ..data import digits_split, load_data

    out = check_out(args.out)
    if args.data == "digits":
        train, test = digits_split()
        info: dict[str, str | int] = {"train": "digits", "split": "fixed digits split"}
    else:
        train, test = load_data(args.data, None, seed=args.seed).split(0.2, seed=0)
        info = {"train": train.source, "split": "a seeded 20 percent split, seed 0"}
    info.update(train_items=train.n_items, test_items=test.n_items, variables=train.n_vars)

    from ..compare import check_families

    families = check_families(args.families, train)  # before JAX and before any fit
    if not families:
        raise ZooError(f"no family can be fitted to {args.data}")
    from .. import setup  # JAX from here on
    from ..compare import compare
    from ..report import format_table, results_json, write_report

    setup()
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
    note("writing the report ...")
    from .. import figures

    names = write_report(result, out, figures.compare_figures(result))
    note(f"wrote {out}/: {len(names)} files; open {out / 'index.html'}")
    print(results_json(result).rstrip() if args.json else format_table(result.rows, result.timings))
