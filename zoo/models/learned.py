"""A Bayesian network whose DAG is learned from the training items by score-based search.

    G = argmax_G score(G; training items)  (a local maximum, at most k parents per node)
    p(x) = prod_i p(x_i | x_pa_G(i)),   p(x_i = 1 | x_pa_G(i) = j) ~ Beta(alpha, alpha)

The search is pgmpy's hill climbing (:func:`graphs.learn.hill_climb`: add, remove or reverse
one edge at a time, starting from the Chow–Liu tree) on BIC (default) or K2, with
``max_indegree`` parents at most (default 2). Then it is a tabular Bayesian network like any
other (NUTS, or the exact conjugate posterior): ``sum_i 2^|pa(i)|`` parameters for binary
pixels. The DAG is fixed before the fit: its posterior says nothing of the doubt about the
structure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from graphs import DAG
from graphs.learn import SCORES, Edges, chow_liu, hill_climb

from ..data import Dataset
from ..errors import ZooError
from ._base import Draws
from ._learned_dag import as_option, default_data, learned, pixel_dag
from ._spec import FamilySpec, Row, binary_only
from ._tabular import TabularModel

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_INDEGREE = 2  # 3 learns ~40% more edges on the digits but searches ~5 times longer


class Learned(TabularModel):
    family = "learned"

    def family_figures(self, draws: Draws, data: Dataset, seed: int = 0) -> dict[str, Figure]:
        """``structures.png``: the learned DAG on the pixel grid beside the hand-made ones,
        and its edges against each of theirs (shared, missing, extra)."""
        from ._learned_figures import reference_dags, structures_figure

        if not self.dag.has_positions:
            return {}
        return {"structures.png": structures_figure(self.dag, reference_dags(self.dag, data))}


def build(
    dag: DAG,
    alpha: float = 1.0,
    edges: Sequence[Sequence[int]] | None = None,
    **_: Any,
) -> Learned:
    return Learned(dag, alpha=alpha)


def _settings(max_indegree: int | None, score: str | None) -> dict[str, Any]:
    score = score or "bic"
    if score not in SCORES:
        raise ZooError(f"learned: unknown score {score!r}; expected one of {list(SCORES)}")
    k = MAX_INDEGREE if max_indegree is None else max_indegree
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ZooError(f"learned: max_indegree must be an int >= 1, got {k!r}")
    return {"score": score, "max_indegree": k}


def search(x: np.ndarray, score: str = "bic", max_indegree: int = MAX_INDEGREE) -> Edges:
    """Hill climbing from the Chow–Liu tree of ``x``: from the empty graph the search stops
    at worse local maxima (on asia, BIC -22,448 against -22,427 from the tree)."""
    start = chow_liu(x)
    return hill_climb(x, score=score, max_indegree=max_indegree, start=start)


def _edges(data: Dataset, max_indegree: int | None, score: str | None) -> list[list[int]]:
    edges, _ = learned(search, data.x, **_settings(max_indegree, score))
    return as_option(edges)


def _dag(
    n: int = 64,
    edges: Sequence[Sequence[int]] | None = None,
    max_indegree: int | None = None,
    score: str | None = None,
    **_: Any,
) -> DAG:
    if edges is None:
        edges = _edges(default_data("learned", n), max_indegree, score)
    return pixel_dag(n, edges, "learned")


def _learn(data: Dataset, options: Mapping[str, Any]) -> dict[str, Any]:
    if options.get("edges") is not None:
        return {}
    return {"edges": _edges(data, options.get("max_indegree"), options.get("score"))}


SPEC = FamilySpec(
    "learned",
    "Bayesian network on a DAG learned from the training items (hill climbing, BIC or K2)",
    "p(x) = prod_i p(x_i | parents_G(x_i)), G learned from the training items",
    "sum_i 2^|parents_G(i)| (binary)",
    _dag,
    ("n", "max_indegree", "score"),
    model=Learned,
    make=build,
    rows=(Row("learned", anomaly=False),),  # the anomaly analysis keeps its rows
    unsupported=binary_only,
    order=24,
    example={"n": 4, "edges": ((0, 1), (0, 2), (1, 2), (2, 3))},
    learn=_learn,
)
