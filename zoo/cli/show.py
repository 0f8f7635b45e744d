"""``zoo show FAMILY``: a family's structure card, its DAG and d-separation heat map."""

from __future__ import annotations

import argparse
import json

from ..errors import ZooError
from ..models import FAMILIES
from ._args import Subparsers, add_family_options, build
from ._shared import save

#: the most nodes ``--draw`` and ``--heatmap`` draw
DRAWN_NODES = 2000


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("show", help="a family's structure card")
    p.add_argument("family", metavar="FAMILY", help=f"one of {', '.join(FAMILIES)}")
    add_family_options(p)
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


def run(args: argparse.Namespace) -> None:
    import graphs

    from ..card import format_card, structure_card

    spec, dag, options = build(args.family, args)
    dag.check_nodes(args.given)
    for flag, value in (("--draw", args.draw), ("--heatmap", args.heatmap)):
        if value and len(dag) > DRAWN_NODES:
            raise ZooError(
                f"{flag} draws every node (the heat map n x n cells); {len(dag):,} nodes is "
                f"more than it shows legibly (at most {DRAWN_NODES:,})"
            )
    card = structure_card(spec, dag, options)
    if args.draw:
        save(graphs.draw_dag(dag), args.draw)
    if args.heatmap:
        save(graphs.draw_pairwise(graphs.pairwise_matrix(dag, given=args.given)), args.heatmap)
    print(json.dumps(card, indent=2, ensure_ascii=False) if args.json else format_card(card))
