"""The Chow–Liu tree: the maximum-likelihood tree over the observed variables.

    p(x) = p(x_r) prod_{i != r} p(x_i | x_pa(i)),   p(x_i = 1 | x_pa(i) = j) ~ Beta(alpha, alpha)

Among all trees, the one whose edges carry the largest total mutual information (plug-in
estimate from the training items) maximises the likelihood (Chow and Liu, 1968): a maximum
spanning tree (:func:`graphs.learn.chow_liu`), rooted at the first variable ``x0`` and
oriented away from it. Then it is a tabular Bayesian network like any other (NUTS, or the
exact conjugate posterior): one Beta for the root, two per other variable, so ``2n - 1``
parameters whichever tree the data pick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphs import DAG
from graphs.learn import chow_liu

from ..data import Dataset
from ._learned_dag import as_option, default_data, learned, pixel_dag
from ._spec import FamilySpec, Row, binary_only
from ._tabular import TabularModel


class ChowLiu(TabularModel):
    family = "chow-liu"


def build(
    dag: DAG, alpha: float = 1.0, edges: Sequence[Sequence[int]] | None = None, **_: Any
) -> ChowLiu:
    return ChowLiu(dag, alpha=alpha)


def _edges(data: Dataset) -> list[list[int]]:
    edges, _ = learned(chow_liu, data.x, cards=tuple(data.cards), root=0)
    return as_option(edges)


def _dag(n: int = 64, edges: Sequence[Sequence[int]] | None = None, **_: Any) -> DAG:
    if edges is None:
        edges = _edges(default_data("chow-liu", n))
    return pixel_dag(n, edges, "chow-liu")


def _learn(data: Dataset, options: Mapping[str, Any]) -> dict[str, Any]:
    return {} if options.get("edges") is not None else {"edges": _edges(data)}


SPEC = FamilySpec(
    "chow-liu",
    "Chow–Liu tree: the maximum-likelihood tree, learned from the training items",
    "p(x) = p(x_r) prod_{i != r} p(x_i | x_pa(i)), one parent each",
    "2n - 1 (a root and n - 1 edges of a tree over binary variables)",
    _dag,
    ("n",),
    model=ChowLiu,
    make=build,
    rows=(Row("chow-liu", anomaly=False),),  # the anomaly analysis keeps its rows
    unsupported=binary_only,
    order=22,
    example={"n": 4, "edges": ((0, 1), (1, 2), (1, 3))},
    learn=_learn,
)
