"""``zoo list``: the families, their factorisations, parameter formulas and options."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from ..models import FAMILIES

if TYPE_CHECKING:
    from ._args import Subparsers


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("list", help="the families, their factorisations and parameter formulas")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> None:
    rows = [
        {
            "name": s.name,
            "title": s.title,
            "factorisation": s.factorisation,
            "params": s.formula,
            "options": [f"--{o.replace('_', '-')}" for o in s.options],
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
