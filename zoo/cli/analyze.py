"""``zoo analyze NAME``: the subcommand lives in :mod:`zoo.analyses.cli`; this module sets
JAX up before it runs."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._args import Subparsers


def add_parser(sub: Subparsers) -> None:
    from ..analyses.cli import add_parser as add_analyze

    add_analyze(sub)


def run(args: argparse.Namespace) -> None:
    from .. import setup
    from ..analyses.cli import run as run_analysis

    setup()
    run_analysis(args)
