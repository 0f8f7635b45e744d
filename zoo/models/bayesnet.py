"""A Bayesian network on any DAG, from pgmpy's bundled networks or a BIF file.

    p(x) = prod_i p(x_i | pa(x_i)),   p(x_i | pa(x_i) = j) ~ Dirichlet(alpha, ..., alpha)

Any cardinality; all variables observed. ``alpha = 1`` is the K2 prior (one pseudo-count per
state), as in pgmpy's ``BayesianEstimator(prior_type="K2")``.
"""

from graphs import DAG

from ._tabular import TabularModel


class BayesNet(TabularModel):
    family = "bayesnet"


def build(dag: DAG, alpha: float = 1.0, **_) -> BayesNet:
    return BayesNet(dag, alpha=alpha)
