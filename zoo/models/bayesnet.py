"""A Bayesian network on any DAG, from pgmpy's bundled networks or a BIF file.

    p(x) = prod_i p(x_i | pa(x_i)),   p(x_i | pa(x_i) = j) ~ Dirichlet(alpha, ..., alpha)

Any cardinality; all variables observed. ``alpha = 1`` is the K2 prior (one pseudo-count per
state), as in pgmpy's ``BayesianEstimator(prior_type="K2")``.
"""

from typing import Any

import graphs
from graphs import DAG

from ..errors import ZooError
from ._spec import FamilySpec
from ._tabular import TabularModel


class BayesNet(TabularModel):
    family = "bayesnet"


def build(dag: DAG, alpha: float = 1.0, **_: Any) -> BayesNet:
    return BayesNet(dag, alpha=alpha)


def _dag(network: str | None = None, bif: str | None = None, **_: Any) -> DAG:
    if (network is None) == (bif is None):
        raise ZooError("bayesnet needs exactly one of --network NAME or --bif FILE")
    if network is not None:
        return graphs.load_network(network)
    assert bif is not None  # exactly one of the two, checked above
    return graphs.from_bif(bif)


SPEC = FamilySpec(
    "bayesnet",
    "Bayesian network from any DAG (pgmpy network or BIF file)",
    "p(x) = prod_i p(x_i | parents(x_i))",
    "sum_i (card_i - 1) prod_{p in parents(i)} card_p",
    _dag,
    ("network", "bif"),
    model=BayesNet,
    make=build,
    rows=(),  # a network's own data, not the digits: no compare row
    order=60,
    example={"network": "asia"},
)
