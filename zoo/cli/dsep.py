"""``zoo dsep [FAMILY] X Y --given Z``: d-separation in a family's DAG, and a minimal
separator."""

from __future__ import annotations

import argparse
import json

from ..errors import ZooError
from ._args import Subparsers, add_family_options, build


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("dsep", help="are X and Y d-separated given Z?")
    p.add_argument(
        "names",
        nargs="+",
        metavar="[FAMILY] X Y",
        help="a family (omit with --network/--bif) and two nodes",
    )
    add_family_options(p)
    p.add_argument("--given", nargs="+", action="extend", default=[], metavar="Z")
    p.add_argument("--json", action="store_true", help="print JSON")


def _family_and_nodes(args: argparse.Namespace) -> tuple[str, list[str]]:
    names = list(args.names)
    if args.network or args.bif:
        family = "bayesnet"
        if len(names) == 3 and names[0] == "bayesnet":
            names = names[1:]
    elif len(names) == 3:
        family, names = names[0], names[1:]
    else:
        raise ZooError(f"expected FAMILY X Y (or X Y with --network/--bif), got {names}")
    if len(names) != 2:
        raise ZooError(f"expected two nodes X Y, got {names}")
    return family, names


def run(args: argparse.Namespace) -> None:
    import graphs

    family, (x, y) = _family_and_nodes(args)
    spec, dag, _ = build(family, args)
    answer = graphs.is_d_separated(dag, x, y, given=args.given)
    separator = graphs.minimal_separator(dag, x, y)
    result = {
        "d_separated": answer,
        "x": x,
        "y": y,
        "given": list(args.given),
        "family": spec.name,
        "dag": dag.name,
        "minimal_separator": None if separator is None else list(separator),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    given = "{" + ", ".join(args.given) + "}"
    verdict = "d-separated" if answer else "d-connected"
    print(f"{x} and {y} are {verdict} given {given} in {dag.name}")
    if separator is None:
        print(f"no set separates {x} and {y} (they are adjacent)")
    else:
        print(f"a minimal separator: {{{', '.join(separator)}}}")
