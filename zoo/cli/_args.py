"""Argument types and the family options shared by ``show``, ``dsep`` and ``fit``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..models import get_family
from ..options import given_options

if TYPE_CHECKING:
    from graphs import DAG

    from ..models import FamilySpec

#: the family options, as ``argparse`` dests
OPTION_NAMES = (
    "n",
    "classes",
    "order",
    "grid",
    "conditional",
    "hidden",
    "latent",
    "timesteps",
    "depth",
    "layers",
    "knots",
    "network",
    "bif",
    "max_indegree",
    "score",
)


class Subparsers(Protocol):
    """What a command's ``add_parser`` uses of ``ArgumentParser.add_subparsers()``."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def int_at_least(low: int, what: str, high: int | None = None) -> Callable[[str], int]:
    """An ``argparse`` type: an integer >= ``low`` (and <= ``high``); ``what`` names the
    flag in errors."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{what} must be >= {low}, got {value}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{what} must be <= {high}, got {value}")
        return value

    return parse


def positive_float(what: str) -> Callable[[str], float]:
    """An ``argparse`` type: a finite number > 0."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{what} must be a positive number, got {text}")
        return value

    return parse


def add_family_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("family options (each family takes the ones it lists in `zoo list`)")
    g.add_argument(
        "--n", type=int_at_least(1, "--n"), help="variables (default 64; fit: the data's width)"
    )
    g.add_argument("--classes", type=int_at_least(2, "--classes"), help="classes K (default 10)")
    g.add_argument("--order", type=int_at_least(1, "--order"), help="Markov order k (default 1)")
    g.add_argument("--grid", action="store_true", default=None, help="2-D neighbourhood chain")
    g.add_argument("--conditional", choices=["logistic", "neural"], help="autoregressive form")
    g.add_argument(
        "--hidden",
        type=int_at_least(1, "--hidden"),
        help="hidden units: autoregressive neural (MADE) 64, vae 128, rbm 64, diffusion 256 "
        "(per layer), flow 64",
    )
    g.add_argument("--latent", type=int, choices=[2, 8, 16], help="vae latent dimensions (8)")
    g.add_argument(
        "--timesteps", type=int_at_least(1, "--timesteps"), help="diffusion noising steps T (20)"
    )
    g.add_argument(
        "--depth", type=int_at_least(1, "--depth"), help="diffusion denoiser hidden layers (2)"
    )
    g.add_argument(
        "--layers", type=int_at_least(1, "--layers"), help="flow depth: stacked MAF layers (1)"
    )
    g.add_argument("--knots", type=int_at_least(1, "--knots"), help="flow spline knots (4)")
    g.add_argument(
        "--max-indegree",
        type=int_at_least(1, "--max-indegree"),
        help="learned: most parents per node in the search (2)",
    )
    g.add_argument("--score", choices=["bic", "k2"], help="learned: the search's score (bic)")
    g.add_argument("--network", metavar="NAME", help="a pgmpy bundled network, e.g. alarm")
    g.add_argument("--bif", metavar="FILE", help="a BIF file")


def given(spec: FamilySpec, args: argparse.Namespace) -> dict:
    """The family options on the command line, checked against the family."""
    return given_options(spec, {k: getattr(args, k) for k in OPTION_NAMES})


def build(family: str, args: argparse.Namespace) -> tuple[FamilySpec, DAG, dict]:
    """(spec, DAG, options) of ``family`` with the options on the command line."""
    spec = get_family(family)
    options = given(spec, args)
    return spec, spec.build(**options), options
