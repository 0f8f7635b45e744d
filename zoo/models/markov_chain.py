"""Markov chain of order k over the pixels in raster order, and the 2-D neighbourhood variant.

    p(x) = prod_i p(x_i | x_{i-k}, ..., x_{i-1}),   p(x_i = 1 | parents = j) ~ Beta(alpha, alpha)

or, with ``--grid``, the parents of a pixel are its left, up, up-left and up-right
neighbours. All variables are observed; one Beta per variable and parent configuration,
so ``sum_i 2^(number of parents of i)`` free parameters.
"""

import math
from collections.abc import Mapping
from typing import Any

import graphs
from graphs import DAG

from ..data import Dataset
from ..errors import ZooError
from ._spec import FamilySpec, Row
from ._tabular import TabularModel


class MarkovChain(TabularModel):
    family = "markov-chain"


def build(dag: DAG, alpha: float = 1.0, **_: Any) -> MarkovChain:
    return MarkovChain(dag, alpha=alpha)


def _grid_side(n: int) -> int:
    side = math.isqrt(n)
    if side * side != n:
        raise ZooError(f"--grid needs a square image: n={n} is not a perfect square")
    return side


def _dag(n: int = 64, order: int = 1, grid: bool = False, **_: Any) -> DAG:
    if grid:
        side = _grid_side(n)
        return graphs.markov_grid(side, side)
    return graphs.markov_chain(n, order=order)


def _unsupported(data: Dataset, options: Mapping[str, Any]) -> str | None:
    if options.get("grid") and math.isqrt(data.n_vars) ** 2 != data.n_vars:
        return f"the 2-D neighbourhood needs a square image; {data.n_vars} variables"
    return None


SPEC = FamilySpec(
    "markov-chain",
    "Markov chain (order k, or the 2-D neighbourhood with --grid)",
    "p(x) = prod_i p(x_i | x_{i-k}, ..., x_{i-1})",
    "sum_i 2^min(i-1, k); --grid: sum_i 2^(number of left/up/up-left/up-right neighbours)",
    _dag,
    ("n", "order", "grid"),
    model=MarkovChain,
    make=build,
    rows=(Row("markov-chain"), Row("markov-grid", {"grid": True})),
    unsupported=_unsupported,
    order=20,
)
