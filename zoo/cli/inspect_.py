"""``zoo inspect FILE.py:FUNCTION``: the structure card of the user's own NumPyro program;
``--check`` tests its local Markov statements on prior predictive draws."""

from __future__ import annotations

import argparse
import json

from ..validate import SEED_MAX
from ._args import Subparsers, int_at_least
from ._shared import check_figure_path, load_bound, save, timeout, user_program
from .fit import PROGRAM_TIMEOUT


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("inspect", help="the structure card of your own NumPyro program")
    p.add_argument("program", metavar="FILE.py:FUNCTION", help="the program to read")
    p.add_argument(
        "--data",
        metavar="JSON",
        help="a JSON object: keys naming arguments are passed, keys naming sample sites "
        "are observed there",
    )
    p.add_argument("--draw", metavar="PATH", help="draw the DAG, plates as boxes (.png/.svg)")
    p.add_argument(
        "--check",
        type=int_at_least(10, "--check"),
        metavar="N",
        help="draw N items from the prior predictive (observations left unset) and test "
        "every local Markov statement on them",
    )
    p.add_argument("--seed", type=int_at_least(0, "--seed", SEED_MAX), default=0, help="seed (0)")
    p.add_argument("--json", action="store_true", help="print the card as JSON")


def run(args: argparse.Namespace) -> None:
    import graphs

    from ..inspection import card, format_card

    if args.draw:
        check_figure_path(args.draw)
    if args.check:
        from .. import setup

        setup()  # before the program's module imports and runs JAX
    with user_program(args.program, args.json):
        with timeout(PROGRAM_TIMEOUT, args.program):
            bound = load_bound(args.program, args.data)
        c = card(bound.structure)
        c["program"] = args.program
        if args.check:
            from ..claims import format_claims
            from ..inspection import check
            from ..programs import prior_kwargs

            kwargs = prior_kwargs(bound)
            report = check(bound.raw, kwargs=kwargs, n_samples=args.check, seed=args.seed)
            c["claims"] = report.to_dict()
    if args.draw:
        save(graphs.draw_dag(bound.structure.dag), args.draw)
    if args.json:
        from ..card import jsonable

        print(json.dumps(jsonable(c), indent=2, ensure_ascii=False))
        return
    print(format_card(c))
    if args.check:
        print(format_claims(report))
