"""Markov chain of order k over the pixels in raster order, and the 2-D neighbourhood variant.

    p(x) = prod_i p(x_i | x_{i-k}, ..., x_{i-1}),   p(x_i = 1 | parents = j) ~ Beta(alpha, alpha)

or, with ``--grid``, the parents of a pixel are its left, up, up-left and up-right
neighbours. All variables are observed; one Beta per variable and parent configuration,
so ``sum_i 2^(number of parents of i)`` free parameters.
"""

from graphs import DAG

from ._tabular import TabularModel


class MarkovChain(TabularModel):
    family = "markov-chain"


def build(dag: DAG, alpha: float = 1.0, **_) -> MarkovChain:
    return MarkovChain(dag, alpha=alpha)
