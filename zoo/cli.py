"""The ``zoo`` command.

``list``, ``show`` and ``dsep`` read structure only and never import JAX. Bad input ends
with one line on stderr that names the problem and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .models import FAMILIES, get_family

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def _int_at_least(low: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{what} must be >= {low}, got {value}")
        return value

    return parse


def _family_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("family options (each family takes the ones it lists in `zoo list`)")
    g.add_argument("--n", type=_int_at_least(1, "--n"), help="number of variables (default 64)")
    g.add_argument("--classes", type=_int_at_least(2, "--classes"), help="classes K (default 10)")
    g.add_argument("--order", type=_int_at_least(1, "--order"), help="Markov order k (default 1)")
    g.add_argument("--grid", action="store_true", default=None, help="2-D neighbourhood chain")
    g.add_argument("--conditional", choices=["logistic", "neural"], help="autoregressive form")
    g.add_argument("--hidden", type=_int_at_least(1, "--hidden"), help="MADE hidden units (64)")
    g.add_argument("--network", metavar="NAME", help="a pgmpy bundled network, e.g. alarm")
    g.add_argument("--bif", metavar="FILE", help="a BIF file")


_OPTION_NAMES = ("n", "classes", "order", "grid", "conditional", "hidden", "network", "bif")


def _build(family: str, args: argparse.Namespace):
    spec = get_family(family)
    given = {k: getattr(args, k) for k in _OPTION_NAMES if getattr(args, k) is not None}
    foreign = [k for k in given if k not in spec.options]
    if foreign:
        allowed = ", ".join(f"--{o}" for o in spec.options) or "none"
        raise ValueError(
            f"option --{foreign[0]} does not apply to family {family!r} (its options: {allowed})"
        )
    return spec, spec.build(**given), given


def _parser() -> _Parser:
    parser = _Parser(prog="zoo", description="A zoo of generative models: structure, fits, cards.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="the families, their factorisations and parameter formulas")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("show", help="a family's structure card")
    p.add_argument("family", metavar="FAMILY", help=f"one of {', '.join(FAMILIES)}")
    _family_options(p)
    p.add_argument("--draw", metavar="PATH", help="draw the DAG to PATH (.png or .svg)")
    p.add_argument("--heatmap", metavar="PATH", help="draw the pairwise d-separation matrix")
    p.add_argument(
        "--given",
        nargs="+",
        action="extend",
        default=[],
        metavar="Z",
        help="condition the heat map on these nodes",
    )
    p.add_argument("--json", action="store_true", help="print the card as JSON")

    p = sub.add_parser("dsep", help="are X and Y d-separated given Z?")
    p.add_argument(
        "names",
        nargs="+",
        metavar="[FAMILY] X Y",
        help="a family (omit with --network/--bif) and two nodes",
    )
    _family_options(p)
    p.add_argument("--given", nargs="+", action="extend", default=[], metavar="Z")
    p.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _cmd_list(args) -> None:
    rows = [
        {
            "name": s.name,
            "title": s.title,
            "factorisation": s.factorisation,
            "params": s.formula,
            "options": [f"--{o}" for o in s.options],
        }
        for s in FAMILIES.values()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        print(f"{r['name']:<15} {r['title']}")
        print(f"{'':<15} {r['factorisation']}")
        print(f"{'':<15} params: {r['params']}")
        print(f"{'':<15} options: {' '.join(r['options'])}\n")


def _save(fig, path: str) -> None:
    import graphs

    out = graphs.save_figure(fig, path)
    print(f"wrote {out}", file=sys.stderr)


def _cmd_show(args) -> None:
    import graphs

    from .card import format_card, structure_card

    spec, dag, options = _build(args.family, args)
    dag.check_nodes(args.given)
    card = structure_card(spec, dag, options)
    if args.draw:
        _save(graphs.draw_dag(dag), args.draw)
    if args.heatmap:
        _save(graphs.draw_pairwise(graphs.pairwise_matrix(dag, given=args.given)), args.heatmap)
    print(json.dumps(card, indent=2, ensure_ascii=False) if args.json else format_card(card))


def _cmd_dsep(args) -> None:
    import graphs

    names = list(args.names)
    if args.network or args.bif:
        family = "bayesnet"
        if len(names) == 3 and names[0] == "bayesnet":
            names = names[1:]
    elif len(names) == 3:
        family, names = names[0], names[1:]
    else:
        raise ValueError(f"expected FAMILY X Y (or X Y with --network/--bif), got {names}")
    if len(names) != 2:
        raise ValueError(f"expected two nodes X Y, got {names}")
    spec, dag, _ = _build(family, args)
    x, y = names
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``zoo`` command; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise _UsageError("missing COMMAND; expected one of list, show, dsep (see zoo --help)")
        {"list": _cmd_list, "show": _cmd_show, "dsep": _cmd_dsep}[args.command](args)
    except (_UsageError, ValueError, OSError) as err:
        message = " ".join(str(err).split())
        print(f"zoo: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    sys.exit(main())
