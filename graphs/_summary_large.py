"""The independence summary of a large DAG, in time and memory about linear in its size.

Up to :data:`EXACT_NODES` nodes the summary lists everything (``graphs.independence``, whose
matrices cost O(n^2)). Beyond, nothing quadratic is built:

- the count of local Markov statements is exact. Node i claims one unless every other node
  is a parent or a descendant of i. Every node before i in a topological order is a
  non-descendant, so only a node whose predecessors in that order are all its parents can
  claim none: a handful, each settled by one search of its descendants;
- the first :data:`SHOWN` statements are listed, each naming its first :data:`NAMES` nodes
  and counting them all (``independent_of_count``);
- the first :data:`SHOWN` Markov blankets are listed;
- the share of d-separated pairs given nothing is exact from root sets (two nodes are
  d-connected given nothing iff they share an ancestor, self included, iff they share a
  root ancestor), or estimated from :data:`PAIR_SAMPLES` random pairs with its standard
  error (``..._se``) when the root sets are too many to compare all pairs of groups. Given
  root nodes (a label, a hidden class), the same holds in the graph without them.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from .dag import DAG

#: up to this many nodes the summary is complete (every statement and blanket)
EXACT_NODES = 2000
#: statements and blankets listed beyond EXACT_NODES
SHOWN = 20
#: names listed per statement beyond EXACT_NODES
NAMES = 20
#: distinct root sets compared pair by pair; beyond, pairs are sampled
ROOT_GROUPS = 2000
#: random pairs behind an estimated share
PAIR_SAMPLES = 20000


class _Reach:
    """Each node's children as a sparse matrix, searched in C (scipy, imported on use)."""

    def __init__(self, dag: DAG) -> None:
        from scipy.sparse import csr_matrix

        self.nodes = nodes = dag.nodes  # a new tuple per call: read once
        n = len(nodes)
        indptr, indices = dag._parent_arrays()  # row i: the parents of node i
        data = np.ones(len(indices), dtype=np.int8)
        # the transpose: row i holds the children of node i
        self.graph = csr_matrix((data, indices, indptr), shape=(n, n)).T.tocsr()
        self.graph.sort_indices()
        self.out_degree = np.diff(self.graph.indptr)
        self.in_degree = np.diff(indptr)

    def children(self, i: int) -> list[int]:
        """Indices of the children of node ``i``, in node order."""
        g = self.graph
        return [int(j) for j in g.indices[g.indptr[i] : g.indptr[i + 1]]]

    def descendants(self, start: int) -> np.ndarray:
        """Indices of the strict descendants of node ``start``."""
        from scipy.sparse.csgraph import breadth_first_order

        reached = breadth_first_order(self.graph, start, directed=True, return_predecessors=False)
        return np.asarray(reached[1:], dtype=np.int64)


def _topological_steps(dag: DAG) -> range | list[int]:
    """The node indices of ``dag.topological_order()``."""
    order, nodes = dag.topological_order(), dag.nodes
    if order == nodes:  # node order is topological (every zoo family)
        return range(len(nodes))
    index = {n: i for i, n in enumerate(nodes)}
    return [index[n] for n in order]


def _statement(dag: DAG, i: int, reach: _Reach, names: int) -> dict[str, Any] | None:
    """Node i's local Markov statement with its first ``names`` nodes and their count, or
    None when it claims nothing."""
    node = reach.nodes[i]
    rest = np.ones(len(dag), dtype=bool)
    rest[reach.descendants(i)] = False
    indptr, indices = dag._parent_arrays()
    rest[indices[indptr[i] : indptr[i + 1]]] = False
    rest[i] = False
    count = int(rest.sum())
    if count == 0:
        return None
    first = np.flatnonzero(rest)[:names]
    return {
        "node": node,
        "independent_of": [reach.nodes[j] for j in first],
        "given": list(dag.parents(node)),
        "independent_of_count": count,
    }


def local_markov_count(dag: DAG, reach: _Reach | None = None) -> int:
    """How many nodes claim a local Markov statement (see the module's note)."""
    n, reach = len(dag), reach or _Reach(dag)
    pos = np.empty(n, dtype=np.int64)
    pos[np.asarray(_topological_steps(dag), dtype=np.int64)] = np.arange(n)
    claims = pos > reach.in_degree  # an earlier node that is no parent: a non-descendant
    count = int(claims.sum())
    for i in np.flatnonzero(~claims).tolist():  # else every later node must be a child
        later = n - 1 - int(pos[i])
        if reach.out_degree[i] < later:
            count += len(reach.descendants(i)) < later
    return count


def local_markov_head(
    dag: DAG, shown: int = SHOWN, names: int = NAMES, reach: _Reach | None = None
) -> list[dict[str, Any]]:
    """The first ``shown`` local Markov statements in node order (see :func:`_statement`)."""
    reach = reach or _Reach(dag)
    out: list[dict[str, Any]] = []
    for i in range(len(dag)):
        if len(out) >= shown:
            break
        statement = _statement(dag, i, reach, names)
        if statement is not None:
            out.append(statement)
    return out


def blankets_head(
    dag: DAG, shown: int = SHOWN, reach: _Reach | None = None
) -> dict[str, list[str]]:
    """The Markov blankets of the first ``shown`` nodes (parents, children, co-parents)."""
    reach = reach or _Reach(dag)
    indptr, indices = dag._parent_arrays()
    out = {}
    for i in range(min(shown, len(reach.nodes))):
        blanket = set(indices[indptr[i] : indptr[i + 1]].tolist())
        for c in reach.children(i):
            blanket.add(c)
            blanket.update(indices[indptr[c] : indptr[c + 1]].tolist())
        blanket.discard(i)
        out[reach.nodes[i]] = [reach.nodes[j] for j in sorted(blanket)]
    return out


def _root_sets(dag: DAG, removed: frozenset[str]) -> list[frozenset[int]]:
    """Per node not ``removed`` (node order), the indices of its root ancestors (itself if a
    root) in the graph without ``removed``; equal sets are often one shared object."""
    gone = {dag.index(n) for n in removed}
    indptr, indices = dag._parent_arrays()
    ptr, idx = indptr.tolist(), indices.tolist()  # Python ints: no lookup by name per node
    sets: list[frozenset[int]] = [frozenset()] * len(dag)
    for i in _topological_steps(dag):
        if i in gone:
            continue
        parents = [p for p in idx[ptr[i] : ptr[i + 1]] if p not in gone]
        if not parents:
            sets[i] = frozenset((i,))
            continue
        acc = sets[parents[0]]
        for p in parents[1:]:
            other = sets[p]
            if other is not acc and not other <= acc:
                acc = acc | other
        sets[i] = acc
    return [s for i, s in enumerate(sets) if i not in gone] if gone else sets


def dsep_share(
    dag: DAG,
    given_roots: tuple[str, ...] = (),
    *,
    groups: int = ROOT_GROUPS,
    samples: int = PAIR_SAMPLES,
    seed: int = 0,
) -> tuple[float, float | None]:
    """The share of unordered pairs of the other nodes d-separated given ``given_roots``
    (root nodes), and its standard error (None when exact)."""
    sets = _root_sets(dag, frozenset(given_roots))
    m = len(sets)
    if m < 2:
        return 0.0, None
    pairs = m * (m - 1) / 2
    sizes = Counter(sets)
    if all(len(s) == 1 for s in sizes):  # one root each: connected iff the same root
        connected = sum(k * (k - 1) / 2 for k in sizes.values())
        return 1.0 - connected / pairs, None
    if len(sizes) <= groups:
        keys = list(sizes)
        connected = sum(k * (k - 1) / 2 for k in sizes.values())
        for a in range(len(keys)):
            for b in range(a + 1, len(keys)):
                if not keys[a].isdisjoint(keys[b]):
                    connected += sizes[keys[a]] * sizes[keys[b]]
        return 1.0 - connected / pairs, None
    rng = np.random.default_rng(seed)
    first = rng.integers(0, m, samples)
    second = (first + rng.integers(1, m, samples)) % m  # a different node, uniformly
    hits = sum(sets[a].isdisjoint(sets[b]) for a, b in zip(first, second, strict=True))
    share = hits / samples
    return share, math.sqrt(max(share * (1 - share), 1.0 / samples) / samples)


def summary_large(dag: DAG) -> dict[str, Any]:
    """The independence section of a structure card for a DAG over :data:`EXACT_NODES`
    nodes: the same keys, lists cut to their first entries (``..._shown`` says how many),
    counts exact, shares exact or estimated with their standard error (``..._se``)."""
    reach = _Reach(dag)
    statements = local_markov_head(dag, reach=reach)
    blankets = blankets_head(dag, reach=reach)
    out: dict[str, Any] = {
        "local_markov": statements,
        "local_markov_count": local_markov_count(dag, reach),
        "local_markov_shown": len(statements),
        "markov_blankets": blankets,
        "markov_blankets_shown": len(blankets),
    }
    share, se = dsep_share(dag)
    out["dsep_share_marginal"] = share
    if se is not None:
        out["dsep_share_marginal_se"] = se
    hidden = tuple(v.name for v in dag.variables if v.role in ("label", "latent"))
    if hidden:
        out["dsep_given"] = list(hidden)
        if all(not dag.parents(h) for h in hidden):
            share, se = dsep_share(dag, hidden)
            out["dsep_share_given"] = share
            if se is not None:
                out["dsep_share_given_se"] = se
        else:  # conditioning on a non-root can open colliders: no linear-time answer here
            out["dsep_share_given"] = None
    return out
