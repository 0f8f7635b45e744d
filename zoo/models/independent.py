"""Full independence: every variable on its own.

    p(x) = prod_i p(x_i),   p(x_i = 1) = theta_i ~ Beta(alpha, alpha)

All variables are observed. n free parameters: the strongest assumption and the fewest
parameters, so its samples are static with the right per-pixel brightness.
"""

from typing import Any

import graphs
from graphs import DAG

from ..errors import ZooError
from ._spec import FamilySpec
from ._tabular import TabularModel


class Independent(TabularModel):
    family = "independent"


def build(dag: DAG, alpha: float = 1.0, **_: Any) -> Independent:
    if dag.edges:
        raise ZooError("full independence takes a DAG without edges")
    return Independent(dag, alpha=alpha)


def _dag(n: int = 64, **_: Any) -> DAG:
    return graphs.independent(n)


SPEC = FamilySpec(
    "independent",
    "Full independence",
    "p(x) = prod_i p(x_i)",
    "n",
    _dag,
    ("n",),
    model=Independent,
    make=build,
    order=10,
)
