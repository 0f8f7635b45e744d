"""``zoo analyze NAME``: the subcommand lives in :mod:`zoo.analyses.cli`; this module sets
JAX up before it runs."""

from __future__ import annotations


def add_parser(sub) -> None:
    from ..analyses.cli import add_parser as add_analyze

    add_analyze(sub)


def run(args) -> None:
    from .. import setup
    from ..analyses.cli import run as run_analysis

    setup()
    run_analysis(args)
