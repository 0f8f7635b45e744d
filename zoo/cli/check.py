"""``zoo check FAMILY|FILE.py:FUNCTION|--network N --data D``: a structure's independence
claims tested against data (:mod:`zoo.claims_data`); ``--out`` draws where they fail."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ZooError
from ..models import FAMILIES
from ..validate import SEED_MAX
from ._args import Subparsers, add_family_options, given, int_at_least, positive_float
from ._shared import check_out, note

if TYPE_CHECKING:
    from graphs import DAG

    from ..programs import BoundProgram


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "check", help="which of a structure's independence claims do data contradict?"
    )
    p.add_argument(
        "target",
        nargs="?",
        metavar="FAMILY|FILE.py:FUNCTION",
        help=f"one of {', '.join(FAMILIES)} (omit with --network/--bif), or your own NumPyro "
        "program (--data: a JSON file whose keys name its arguments and observed sites)",
    )
    add_family_options(p)
    p.add_argument(
        "--data",
        metavar="digits|sample[:N]|PATH",
        help="the data, read as zoo fit reads them, tested on the training part: the bundled "
        "digits (default; the fixed 1,437-item training split), N items drawn from a "
        "network's CPDs (default for --network/--bif), a .csv/.npy/.npz file (the seeded 80 "
        "percent a fit trains on); for a program, a .json file",
    )
    p.add_argument(
        "--alpha", type=positive_float("--alpha"), default=0.05, help="family-wise level (0.05)"
    )
    p.add_argument(
        "--limit", type=int_at_least(0, "--limit"), default=15, help="contradicted claims shown"
    )
    p.add_argument("--seed", type=int_at_least(0, "--seed", SEED_MAX), default=0, help="seed (0)")
    p.add_argument(
        "--out", metavar="DIR", help="write claims.json and claims.png (where the claims fail)"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> None:
    from ..claims_data import check_data, format_data_claims
    from ..programs import is_program_spec

    if not args.alpha < 1:
        raise ZooError(f"--alpha must be below 1, got {args.alpha}")
    out = check_out(args.out) if args.out else None
    if args.target and is_program_spec(args.target):
        columns, dag, shape, source = _program(args)
    else:
        columns, dag, shape, source = _family(args)
    report = check_data(columns, dag, alpha=args.alpha, source=source)
    if out is not None:
        import graphs
        from graphs.files import staged_folder

        from .._claims_figure import claims_figure

        with staged_folder(out) as stage:
            (stage / "claims.json").write_text(
                json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
            graphs.save_figure(claims_figure(report, dag, shape), stage / "claims.png")
        note(f"wrote {out}/: claims.json, claims.png")
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    print(format_data_claims(report, limit=args.limit))


def _family(args: argparse.Namespace) -> tuple[dict, DAG, tuple[int, int] | None, str]:
    from ..claims import samples_from_dataset
    from ..data import conform
    from ..models import get_family
    from ..options import family_options
    from ..sources import open_data

    name = args.target
    if args.network or args.bif:
        if name not in (None, "bayesnet"):
            raise ZooError(f"--network/--bif name a bayesnet; got family {name!r} as well")
        name = "bayesnet"
    elif name is None:
        raise ZooError("expected FAMILY or FILE.py:FUNCTION (or --network/--bif)")
    spec = get_family(name)
    options = given(spec, args)
    source_dag = None if "n" in spec.options else spec.build(**options)
    train, test, _ = open_data(args.data, None, source_dag, seed=args.seed)
    options = family_options(spec, options, train, test)
    dag = spec.build(**options)
    train = conform(train, dag)
    labels = dag.with_role("label")
    columns = samples_from_dataset(train, label=labels[0] if labels else "y")
    what = f"{spec.name} ({dag.name})" if dag.name != spec.name else spec.name
    note(f"testing the claims of {what} on {train.n_items:,} training items of {train.source}")
    return columns, dag, train.shape, what


def _program(args: argparse.Namespace) -> tuple[dict, DAG, tuple[int, int] | None, str]:
    from .. import setup
    from ._shared import load_bound, timeout, user_program
    from .fit import PROGRAM_TIMEOUT

    if args.data is None:
        raise ZooError(f"{args.target}: --data must name a .json file of its observations")
    setup()  # before the program's module imports and runs JAX
    with user_program(args.target, args.json), timeout(PROGRAM_TIMEOUT, args.target):
        bound = load_bound(args.target, args.data)
        dag = bound.structure.item_dag()
        columns = _observed_columns(bound, dag)
    if not columns:
        raise ZooError(f"{args.target}: no per-item observed site in --data to test claims on")
    return columns, dag, None, args.target


def _observed_columns(bound: BoundProgram, dag: DAG) -> dict[str, np.ndarray]:
    """The observed per-item sites' values, one 1-D column each (from a trace of the bound
    program, so observations passed as arguments count too)."""
    from numpyro import handlers

    tr = handlers.trace(handlers.seed(bound.fn, 0)).get_trace(**bound.kwargs)
    return {
        name: np.asarray(site["value"]).reshape(-1)
        for name, site in tr.items()
        if name in dag.nodes and site["type"] == "sample" and site["is_observed"]
    }
