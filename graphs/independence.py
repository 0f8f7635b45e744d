"""Conditional independencies a DAG claims: local Markov statements, Markov blankets,
d-separation queries, minimal separators and the pairwise d-separation matrix.

Nothing here enumerates every independence (that is exponential); each function answers a
bounded question. The pairwise matrix runs one Bayes-ball reachability pass per node
(Koller and Friedman, Algorithm 3.1), so it costs O(n (V + E)).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from .dag import DAG, as_names
from .errors import GraphError


@dataclass(frozen=True)
class Statement:
    """``node`` is independent of ``independent_of`` given ``given``."""

    node: str
    independent_of: tuple[str, ...]
    given: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The statement as JSON-ready data: ``node``, ``independent_of``, ``given``."""
        return {
            "node": self.node,
            "independent_of": list(self.independent_of),
            "given": list(self.given),
        }

    def __str__(self) -> str:
        given = f" | {', '.join(self.given)}" if self.given else ""
        return f"{self.node} ⟂ {{{', '.join(self.independent_of)}}}{given}"


def local_markov(dag: DAG) -> list[Statement]:
    """Each node is independent of its non-descendants given its parents.

    Statements with nothing on the right (a node whose non-descendants are all its parents)
    are left out, so the complete autoregressive DAG claims none.
    """
    anc, adj = dag.ancestor_matrix(), dag.adjacency()
    names = dag.nodes
    out = []
    for i, node in enumerate(names):
        # the rest = not a descendant, not a parent, not the node itself
        rest = ~anc[:, i] & ~adj[:, i]
        rest[i] = False
        if rest.any():
            out.append(
                Statement(node, tuple(names[j] for j in np.flatnonzero(rest)), dag.parents(node))
            )
    return out


def _blanket_matrix(dag: DAG) -> np.ndarray:
    adj = dag.adjacency()
    a = adj.astype(np.float32)
    blanket: np.ndarray = adj | adj.T | ((a @ a.T) > 0)  # parents, children, co-parents of a child
    np.fill_diagonal(blanket, False)
    return blanket


def markov_blanket(dag: DAG, node: str) -> tuple[str, ...]:
    """Parents, children and the children's other parents, in node order."""
    children = dag.children(node)
    blanket = set(dag.parents(node)) | set(children)
    for child in children:
        blanket.update(dag.parents(child))
    blanket.discard(node)
    return tuple(n for n in dag.nodes if n in blanket)


def markov_blankets(dag: DAG) -> dict[str, tuple[str, ...]]:
    """Every node's Markov blanket (computed with matrices, fast on dense DAGs)."""
    names = dag.nodes
    return {
        n: tuple(names[j] for j in np.flatnonzero(row))
        for n, row in zip(names, _blanket_matrix(dag), strict=True)
    }


def _sets(
    dag: DAG, xs: str | Iterable[str], ys: str | Iterable[str], given: str | Iterable[str]
) -> tuple[set[str], set[str], set[str]]:
    x_set, y_set, zs = (set(as_names(s)) for s in (xs, ys, given))
    for s in (x_set, y_set, zs):
        dag.check_nodes(sorted(s))
    if not x_set or not y_set:
        raise GraphError("d-separation needs at least one node on each side")
    for a, b, what in (
        (x_set, y_set, "X and Y"),
        (x_set, zs, "X and the given set"),
        (y_set, zs, "Y and the given set"),
    ):
        common = a & b
        if common:
            raise GraphError(f"{what} must not overlap; both contain {sorted(common)}")
    return x_set, y_set, zs


def is_d_separated(
    dag: DAG, xs: str | Iterable[str], ys: str | Iterable[str], given: str | Iterable[str] = ()
) -> bool:
    """True when every path between ``xs`` and ``ys`` is blocked by ``given``.

    >>> from graphs.families import naive_bayes
    >>> nb = naive_bayes(3, classes=2)
    >>> is_d_separated(nb, "x0", "x1", given="y"), is_d_separated(nb, "x0", "x1")
    (True, False)
    """
    xs, ys, zs = _sets(dag, xs, ys, given)
    return nx.is_d_separator(dag.graph, xs, ys, zs)


def minimal_separator(
    dag: DAG, x: str, y: str, included: Iterable[str] = (), restricted: Iterable[str] | None = None
) -> tuple[str, ...] | None:
    """A minimal set that d-separates ``x`` and ``y``, containing ``included`` and drawn from
    ``restricted`` (all nodes by default); ``None`` when no such set exists (for example
    when ``x`` and ``y`` are adjacent)."""
    _sets(dag, x, y, included)
    inc = set(as_names(included))
    res = set(dag.nodes) if restricted is None else set(as_names(restricted))
    dag.check_nodes(sorted(res))
    found = nx.find_minimal_d_separator(dag.graph, {x}, {y}, included=inc, restricted=res | inc)
    if found is None:
        return None
    return tuple(n for n in dag.nodes if n in found)


def reachable(dag: DAG, source: str, given: Iterable[str] = ()) -> set[str]:
    """Nodes d-connected to ``source`` given ``given`` (Bayes ball), excluding ``source``
    and the given nodes themselves."""
    zs = set(as_names(given))
    dag.check_nodes([source, *sorted(zs)])
    g = dag.graph
    active_colliders = set(zs)
    for z in zs:
        active_colliders |= dag.ancestors(z)
    seen: set[tuple[str, bool]] = set()
    out: set[str] = set()
    queue = deque([(source, True)])  # (node, arrived from a child)
    while queue:
        node, up = queue.popleft()
        if (node, up) in seen:
            continue
        seen.add((node, up))
        if node not in zs:
            out.add(node)
        if up and node not in zs:
            queue.extend((p, True) for p in g.predecessors(node))
            queue.extend((c, False) for c in g.successors(node))
        elif not up:
            if node not in zs:
                queue.extend((c, False) for c in g.successors(node))
            if node in active_colliders:
                queue.extend((p, True) for p in g.predecessors(node))
    out.discard(source)
    return out


@dataclass(frozen=True)
class PairwiseMatrix:
    """``separated[i, j]`` is True when ``nodes[i]`` and ``nodes[j]`` are d-separated given
    ``given``. The diagonal is False."""

    nodes: tuple[str, ...]
    given: tuple[str, ...]
    separated: np.ndarray

    @property
    def share(self) -> float:
        """Share of unordered pairs that are d-separated (0.0 with fewer than two nodes)."""
        n = len(self.nodes)
        if n < 2:
            return 0.0
        return float(np.triu(self.separated, 1).sum()) / (n * (n - 1) / 2)


def pairwise_matrix(
    dag: DAG, given: Iterable[str] = (), nodes: Iterable[str] | None = None
) -> PairwiseMatrix:
    """The pairwise d-separation matrix given ``given``, over ``nodes`` (default: every node
    not in ``given``)."""
    zs = tuple(n for n in dag.nodes if n in set(as_names(given)))
    dag.check_nodes(as_names(given))
    names = tuple(n for n in dag.nodes if n not in zs) if nodes is None else as_names(nodes)
    dag.check_nodes(names)
    clash = set(names) & set(zs)
    if clash:
        raise GraphError(f"nodes {sorted(clash)} are both queried and given")
    if not zs:
        # given nothing, two nodes are d-connected iff they share an ancestor (self included)
        idx = [dag.index(n) for n in names]
        anc = dag.ancestor_matrix()[np.ix_(idx, range(len(dag)))].astype(np.float32)
        anc[range(len(idx)), idx] = 1.0
        sep = (anc @ anc.T) == 0
        np.fill_diagonal(sep, False)
        return PairwiseMatrix(names, zs, sep)
    index = {n: i for i, n in enumerate(names)}
    sep = np.ones((len(names), len(names)), dtype=bool)
    for n in names:
        i = index[n]
        sep[i, i] = False
        for m in reachable(dag, n, zs):
            if m in index:
                sep[i, index[m]] = False
    return PairwiseMatrix(names, zs, sep)


def summary(dag: DAG) -> dict[str, Any]:
    """The independence section of a structure card: complete up to
    :data:`graphs._summary_large.EXACT_NODES` nodes, beyond in about linear time and memory
    (lists cut short, counts exact, shares exact or estimated with their standard error: see
    :func:`graphs._summary_large.summary_large`)."""
    from ._summary_large import EXACT_NODES, summary_large

    if len(dag) > EXACT_NODES:
        return summary_large(dag)
    hidden = [n for n in dag.nodes if dag.role(n) in ("label", "latent")]
    statements = local_markov(dag)
    out: dict[str, Any] = {
        "local_markov": [s.to_dict() for s in statements],
        "local_markov_count": len(statements),
        "markov_blankets": {n: list(b) for n, b in markov_blankets(dag).items()},
        "dsep_share_marginal": pairwise_matrix(dag).share,
    }
    if hidden:
        out["dsep_given"] = hidden
        out["dsep_share_given"] = pairwise_matrix(dag, given=hidden).share
    return out
