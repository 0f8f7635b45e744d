"""The DAG value type: a frozen, validated directed acyclic graph.

A :class:`DAG` keeps its nodes and parents in plain dicts, checks them once at construction
and never changes afterwards; the networkx graph (:attr:`DAG.graph`) is built on first use,
so a family's DAG over a million nodes costs a few hundred bytes per node. Each variable
carries its number of states (``card``; ``None`` for a continuous or otherwise unbounded
variable), a ``role`` (observed, latent, label or deterministic), an optional pixel position
``(row, col)`` and optional state names. The DAG may carry conditional probability tables
(CPDs) for discrete variables, as read from pgmpy or a BIF file, and :class:`Plate` objects:
named groups of nodes that repeat ``size`` times, as in a NumPyro ``plate`` (see
:func:`graphs.unroll`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from types import MappingProxyType
from typing import TypedDict

import networkx as nx
import numpy as np

from .errors import GraphError

# "deterministic" is a NumPyro ``deterministic`` site: a function of its parents.
ROLES = ("observed", "latent", "label", "deterministic")

#: beyond this many nodes, ancestors and descendants come from a search, not the n x n
#: ancestor matrix (built only when asked for)
MATRIX_NODES = 2000


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector off while a DAG's objects are made: they hold no cycles, and
    each full collection would walk all of them again (a third of the time at 10^6 nodes)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class _Derived(TypedDict, total=False):
    """What a DAG computes on first use and keeps (safe: a DAG never changes)."""

    adjacency: np.ndarray
    ancestors: np.ndarray
    children: dict[str, tuple[str, ...]]
    topo: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Variable:
    """One variable of a DAG.

    ``card`` is the number of states (2 for binary), or ``None`` when the variable has no
    finite set of states (a Normal, a Poisson, a vector-valued site); ``role`` is one of
    :data:`ROLES`, ``pos`` an optional ``(row, col)`` pixel position, ``states`` optional
    state names (only for a finite ``card``).
    """

    name: str
    card: int | None = 2
    role: str = "observed"
    pos: tuple[int, int] | None = None
    states: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise GraphError(f"variable names must be non-empty strings, got {self.name!r}")
        # plain ints and (int, int) tuples skip the conversions (a family makes millions)
        if self.card is not None and (type(self.card) is not int or self.card < 2):
            self._check_card()
        if self.role not in ROLES:
            raise GraphError(
                f"variable {self.name!r}: unknown role {self.role!r}; expected one of {list(ROLES)}"
            )
        pos = self.pos
        if pos is not None and not (
            type(pos) is tuple and len(pos) == 2 and type(pos[0]) is int and type(pos[1]) is int
        ):
            self._check_pos()
        if self.states is not None:
            if self.card is None:
                raise GraphError(
                    f"variable {self.name!r}: state names need a finite card, but card is None"
                )
            states = tuple(str(s) for s in self.states)
            if len(states) != self.card:
                raise GraphError(
                    f"variable {self.name!r}: {len(states)} state names for card {self.card}"
                )
            if len(set(states)) != len(states):
                raise GraphError(f"variable {self.name!r}: state names repeat: {list(states)}")
            object.__setattr__(self, "states", states)

    def _check_card(self) -> None:
        if isinstance(self.card, bool) or not isinstance(self.card, int | np.integer):
            raise GraphError(
                f"variable {self.name!r}: card must be an int >= 2 or None, got {self.card!r}"
            )
        if self.card < 2:
            raise GraphError(
                f"variable {self.name!r}: card must be >= 2 (a variable needs at least two "
                f"states), got {self.card}"
            )
        object.__setattr__(self, "card", int(self.card))

    def _check_pos(self) -> None:
        assert self.pos is not None
        pos = tuple(self.pos)
        if len(pos) != 2 or not all(isinstance(v, int | np.integer) for v in pos):
            raise GraphError(
                f"variable {self.name!r}: pos must be a (row, col) pair of ints, got {self.pos!r}"
            )
        object.__setattr__(self, "pos", (int(pos[0]), int(pos[1])))


def observed_variables(
    names: Sequence[str], card: int, positions: Sequence[tuple[int, int] | None]
) -> list[Variable]:
    """Observed variables sharing one ``card``, as ``Variable(name, card, pos=pos)`` each
    would make them: the first is checked, the rest (a family's made-up names, ``divmod``
    positions) are set directly, a third faster at a million."""
    if not names:
        return []
    first = Variable(names[0], card, pos=positions[0])
    card_ = first.card
    new, put = object.__new__, object.__setattr__
    out = [first]
    for name, pos in zip(names[1:], positions[1:], strict=True):
        v = new(Variable)
        put(v, "name", name)
        put(v, "card", card_)
        put(v, "role", "observed")
        put(v, "pos", pos)
        put(v, "states", None)
        out.append(v)
    return out


@dataclass(frozen=True)
class Plate:
    """A named group of nodes repeated ``size`` times (a NumPyro ``plate``).

    ``members`` are node names; a :class:`DAG` checks that they are its nodes and keeps them
    in its node order.

    >>> Plate("schools", 8, ("theta", "y"))
    Plate(name='schools', size=8, members=('theta', 'y'))
    """

    name: str
    size: int
    members: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise GraphError(f"plate names must be non-empty strings, got {self.name!r}")
        if isinstance(self.size, bool) or not isinstance(self.size, int | np.integer):
            raise GraphError(f"plate {self.name!r}: size must be a positive int, got {self.size!r}")
        if self.size < 1:
            raise GraphError(f"plate {self.name!r}: size must be a positive int, got {self.size}")
        object.__setattr__(self, "size", int(self.size))
        # A bare string would silently become one member per character.
        if isinstance(self.members, str):
            raise GraphError(
                f"plate {self.name!r}: members must be a sequence of node names, "
                f"got the string {self.members!r}"
            )
        members = tuple(self.members)
        if not members:
            raise GraphError(f"plate {self.name!r} has no members")
        for m in members:
            if not isinstance(m, str) or not m:
                raise GraphError(
                    f"plate {self.name!r}: members must be non-empty node names, got {m!r}"
                )
        seen: set[str] = set()
        for m in members:
            if m in seen:
                raise GraphError(f"plate {self.name!r}: member {m!r} appears twice")
            seen.add(m)
        object.__setattr__(self, "members", members)


class DAG:
    """A validated, immutable DAG.

    Parameters
    ----------
    variables:
        :class:`Variable` objects or plain names (binary, observed). Their order is the
        DAG's node order; parents are listed in this order too.
    edges:
        ``(parent, child)`` pairs of names.
    name:
        A label for reports and drawings.
    cpds:
        Optional mapping ``node -> array`` of shape ``(card, *parent_cards)`` with parents in
        :meth:`parents` order; each column sums to one. Every variable needs a finite card.
    plates:
        :class:`Plate` objects. They keep the order given (for nested plates, outermost
        first: it is the index order of :func:`graphs.unroll`); each plate's members are
        kept in node order.

    Raises
    ------
    ValueError
        On a repeated name, an edge to an unknown node, a self-loop or a cycle (named),
        a CPD of the wrong shape or for a variable without a finite card, a repeated plate
        name or a plate member that is not a node.

    Examples
    --------
    >>> dag = DAG(["rain", "sprinkler", "wet"], [("rain", "wet"), ("sprinkler", "wet")])
    >>> dag.parents("wet")
    ('rain', 'sprinkler')
    """

    __slots__ = (
        "_cache",
        "_cpds",
        "_graph",
        "_index",
        "_n_edges",
        "_name",
        "_parent_index",
        "_parents",
        "_plates",
        "_plates_of",
        "_vars",
    )

    def __init__(
        self,
        variables: Iterable[Variable | str],
        edges: Iterable[tuple[str, str]] = (),
        *,
        name: str = "dag",
        cpds: Mapping[str, np.ndarray] | None = None,
        plates: Iterable[Plate] = (),
    ) -> None:
        with gc_paused():
            self._parse(variables, edges, name, cpds, plates)

    def _parse(
        self,
        variables: Iterable[Variable | str],
        edges: Iterable[tuple[str, str]],
        name: str,
        cpds: Mapping[str, np.ndarray] | None,
        plates: Iterable[Plate],
    ) -> None:
        vars_: dict[str, Variable] = {}
        for v in variables:
            var = v if isinstance(v, Variable) else Variable(v)
            if var.name in vars_:
                raise GraphError(f"node names must be unique: {var.name!r} appears twice")
            vars_[var.name] = var
        index = {n: i for i, n in enumerate(vars_)}
        given: list[list[int] | None] = [None] * len(vars_)  # parent indices by child index
        for edge in edges:
            if len(edge) != 2:
                raise GraphError(f"an edge is a (parent, child) pair, got {edge!r}")
            u, v = edge
            iu, iv = index.get(u), index.get(v)
            if iu is None or iv is None:
                end = u if iu is None else v
                raise GraphError(f"edge {u!r} -> {v!r} names unknown node {end!r}")
            if iu == iv:
                raise GraphError(f"self-loop on node {u!r}: a DAG has no cycles")
            ps = given[iv]
            if ps is None:
                given[iv] = [iu]
            else:
                ps.append(iu)
        self._setup(vars_, index, given, name, cpds, plates)

    @classmethod
    def _of_indices(
        cls, variables: Sequence[Variable], given: list[list[int] | None], name: str
    ) -> DAG:
        """The DAG whose node ``i`` has the parents ``given[i]`` (node indices; ``None`` for
        none): how the families build a million nodes without an edge list of names. The
        caller vouches for the indices; cycles are still refused."""
        vars_ = {v.name: v for v in variables}
        if len(vars_) != len(variables):
            raise GraphError("node names must be unique")
        dag = cls.__new__(cls)
        with gc_paused():
            dag._setup(vars_, {n: i for i, n in enumerate(vars_)}, given, name, None, ())
        return dag

    def _setup(
        self,
        vars_: dict[str, Variable],
        index: dict[str, int],
        given: list[list[int] | None],
        name: str,
        cpds: Mapping[str, np.ndarray] | None,
        plates: Iterable[Plate],
    ) -> None:
        names = tuple(vars_)
        forward = True  # every edge forward in node order (every zoo family): no cycle
        none: tuple[str, ...] = ()
        parents: dict[str, tuple[str, ...]] = {}
        for i, (n, ps) in enumerate(zip(names, given, strict=True)):
            if ps is None:
                parents[n] = none
                continue
            if len(ps) == 1:
                parents[n] = (names[ps[0]],)
            else:  # a repeated edge counts once
                ps[:] = sorted(set(ps))
                parents[n] = tuple([names[j] for j in ps])
            if ps[-1] > i:
                forward = False
        degree = np.fromiter((0 if ps is None else len(ps) for ps in given), np.int64, len(names))
        indptr = np.zeros(len(names) + 1, dtype=np.int64)
        np.cumsum(degree, out=indptr[1:])
        flat = chain.from_iterable(ps for ps in given if ps is not None)
        indices = np.fromiter(flat, np.int64, int(indptr[-1]))
        indptr.setflags(write=False)
        indices.setflags(write=False)
        self._vars = vars_
        self._index = index
        self._parents = parents
        self._parent_index = (indptr, indices)
        self._n_edges = len(indices)
        self._graph: nx.DiGraph[str] | None = None
        self._cache: _Derived = {}
        if forward:  # node order is topological, and then it is the tie-broken order itself
            self._cache["topo"] = names
        else:
            graph = self.graph
            if not nx.is_directed_acyclic_graph(graph):
                cycle = [u for u, _ in nx.find_cycle(graph)]
                path = " -> ".join(map(repr, [*cycle, cycle[0]]))
                raise GraphError(f"the graph has a cycle: {path}")
        self._name = str(name)
        self._plates = self._check_plates(plates)
        plates_of: dict[str, tuple[str, ...]] = {}  # members only: most nodes are in none
        for p in self._plates:
            for m in p.members:
                plates_of[m] = (*plates_of.get(m, ()), p.name)
        self._plates_of = plates_of
        self._cpds = None if cpds is None else self._check_cpds(cpds)

    # -- reading -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The DAG's label, shown in reports and drawings."""
        return self._name

    @property
    def graph(self) -> nx.DiGraph[str]:
        """The frozen networkx graph (node attributes ``card``, ``role``, ``pos``), built on
        first use."""
        if self._graph is None:
            graph: nx.DiGraph[str] = nx.DiGraph()
            graph.add_nodes_from(
                (n, {"card": v.card, "role": v.role, "pos": v.pos}) for n, v in self._vars.items()
            )
            graph.add_edges_from(self.edges)
            self._graph = nx.freeze(graph)
        return self._graph

    @property
    def nodes(self) -> tuple[str, ...]:
        """Node names in the DAG's node order."""
        return tuple(self._vars)

    @property
    def edges(self) -> tuple[tuple[str, str], ...]:
        """Edges sorted by (child, parent) in node order."""
        return tuple((p, c) for c, ps in self._parents.items() for p in ps)  # in node order

    @property
    def variables(self) -> tuple[Variable, ...]:
        """The :class:`Variable` of every node, in node order."""
        return tuple(self._vars.values())

    @property
    def cpds(self) -> Mapping[str, np.ndarray] | None:
        """Read-only CPD arrays, or ``None`` when the DAG carries no parameters."""
        return None if self._cpds is None else MappingProxyType(self._cpds)

    @property
    def plates(self) -> tuple[Plate, ...]:
        """The plates, in the order given; members in node order."""
        return self._plates

    def plates_of(self, node: str) -> tuple[str, ...]:
        """Names of the plates that contain ``node``, in :attr:`plates` order."""
        self.check_nodes([node])
        return self._plates_of.get(node, ())

    def __len__(self) -> int:
        return len(self._vars)

    def __contains__(self, node: object) -> bool:
        return node in self._vars

    def __iter__(self) -> Iterator[str]:
        return iter(self._vars)

    def variable(self, node: str) -> Variable:
        """The :class:`Variable` of ``node``; ``ValueError`` for an unknown node."""
        var = self._vars.get(node) if isinstance(node, str) else None
        if var is None:
            self.check_nodes([node])  # raises, naming it
        assert var is not None
        return var

    def card(self, node: str) -> int | None:
        """Number of states, or ``None`` when ``node`` has no finite set of states."""
        return self.variable(node).card

    def role(self, node: str) -> str:
        """The role of ``node``: one of :data:`ROLES`."""
        return self.variable(node).role

    def parents(self, node: str) -> tuple[str, ...]:
        """The parents of ``node``, in node order."""
        parents = self._parents.get(node) if isinstance(node, str) else None
        if parents is None:
            self.check_nodes([node])  # raises, naming it
        assert parents is not None
        return parents

    def children(self, node: str) -> tuple[str, ...]:
        """The children of ``node``, in node order."""
        self.check_nodes([node])
        return self._children()[node]

    def _children(self) -> dict[str, tuple[str, ...]]:
        if "children" not in self._cache:
            found: dict[str, list[str]] = {}
            for child, parents in self._parents.items():  # node order, so children are too
                for p in parents:
                    kids = found.get(p)
                    if kids is None:
                        found[p] = [child]
                    else:
                        kids.append(child)
            none: tuple[str, ...] = ()
            self._cache["children"] = {
                n: tuple(found[n]) if n in found else none for n in self._vars
            }
        return self._cache["children"]

    def _parent_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(indptr, indices)``: the parents of node ``i`` are the nodes
        ``indices[indptr[i]:indptr[i + 1]]``, in node order (read-only; for linear-time
        passes over a large DAG without a lookup by name per node)."""
        return self._parent_index

    def _search(self, node: str, step: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
        """Every node reached from ``node`` by ``step`` (parents or children), itself excluded."""
        self.check_nodes([node])
        seen: set[str] = set()
        todo = [node]
        while todo:
            for m in step[todo.pop()]:
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        return frozenset(seen)

    def ancestors(self, node: str) -> frozenset[str]:
        """Every node with a directed path to ``node`` (``node`` itself excluded)."""
        if len(self) > MATRIX_NODES and "ancestors" not in self._cache:  # one search, not n^2
            return self._search(node, self._parents)
        row = self.ancestor_matrix()[self.index(node)]
        nodes = self.nodes
        return frozenset(nodes[j] for j in np.flatnonzero(row))

    def descendants(self, node: str) -> frozenset[str]:
        """Every node reachable from ``node`` along directed edges (``node`` excluded)."""
        if len(self) > MATRIX_NODES and "ancestors" not in self._cache:
            return self._search(node, self._children())
        col = self.ancestor_matrix()[:, self.index(node)]
        nodes = self.nodes
        return frozenset(nodes[j] for j in np.flatnonzero(col))

    def index(self, node: str) -> int:
        """Position of ``node`` in the DAG's node order."""
        self.check_nodes([node])
        return self._index[node]

    def adjacency(self) -> np.ndarray:
        """Boolean matrix ``A[i, j]``: an edge from node i to node j (node order)."""
        if "adjacency" not in self._cache:
            adj = np.zeros((len(self), len(self)), dtype=bool)
            for child, parents in self._parents.items():
                adj[[self._index[p] for p in parents], self._index[child]] = True
            adj.setflags(write=False)
            self._cache["adjacency"] = adj
        return self._cache["adjacency"]

    def ancestor_matrix(self) -> np.ndarray:
        """Boolean matrix ``C[i, j]``: node j is a strict ancestor of node i."""
        if "ancestors" not in self._cache:
            closure = np.zeros((len(self), len(self)), dtype=bool)
            for node in self.topological_order():
                ps = [self._index[p] for p in self._parents[node]]
                if ps:
                    i = self._index[node]
                    closure[i] = closure[ps].any(axis=0)
                    closure[i, ps] = True
            closure.setflags(write=False)
            self._cache["ancestors"] = closure
        return self._cache["ancestors"]

    def topological_order(self) -> tuple[str, ...]:
        """A topological order that breaks ties by node order (deterministic)."""
        if "topo" not in self._cache:  # set at construction when node order is topological
            key = self._index.__getitem__
            order = nx.lexicographical_topological_sort(self.graph, key=key)
            self._cache["topo"] = tuple(order)
        return self._cache["topo"]

    def with_role(self, role: str) -> tuple[str, ...]:
        """Nodes whose role is ``role`` (one of :data:`ROLES`), in node order."""
        if role not in ROLES:
            raise GraphError(f"unknown role {role!r}; expected one of {list(ROLES)}")
        return tuple(n for n, v in self._vars.items() if v.role == role)

    @property
    def has_positions(self) -> bool:
        """True when every observed variable has a pixel position."""
        obs = [v for v in self._vars.values() if v.role == "observed"]
        return bool(obs) and all(v.pos is not None for v in obs)

    def check_nodes(self, nodes: Iterable[str]) -> None:
        """Raise ``ValueError`` naming the first node not in the DAG."""
        for n in nodes:
            if not isinstance(n, str) or n not in self._vars:
                hint = ", ".join(list(self._vars)[:8]) + (", ..." if len(self._vars) > 8 else "")
                raise GraphError(f"unknown node {n!r} in DAG {self._name!r}; nodes are: {hint}")

    # -- making new values ---------------------------------------------------------------
    def with_cpds(self, cpds: Mapping[str, np.ndarray] | None) -> DAG:
        """A copy of this DAG carrying ``cpds`` (``None``: no parameters)."""
        return DAG(self.variables, self.edges, name=self._name, cpds=cpds, plates=self._plates)

    def renamed(self, name: str) -> DAG:
        """A copy of this DAG labelled ``name``."""
        return DAG(self.variables, self.edges, name=name, cpds=self._cpds, plates=self._plates)

    def restricted(self, nodes: str | Iterable[str]) -> DAG:
        """The sub-DAG induced by ``nodes``: those variables (in this DAG's node order), the
        edges among them, plates trimmed to the kept members (a plate left empty is
        dropped), and no CPDs (a kept node may lose parents).

        >>> dag = DAG(["a", "b", "c"], [("a", "b"), ("b", "c")])
        >>> dag.restricted(["c", "b"]).edges
        (('b', 'c'),)
        """
        names = as_names(nodes)
        self.check_nodes(names)
        keep = set(names)
        plates = []
        for p in self._plates:
            members = tuple(m for m in p.members if m in keep)
            if members:
                plates.append(Plate(p.name, p.size, members))
        return DAG(
            [v for n, v in self._vars.items() if n in keep],
            [(u, v) for u, v in self.edges if u in keep and v in keep],
            name=self._name,
            plates=plates,
        )

    def _check_plates(self, plates: Iterable[Plate]) -> tuple[Plate, ...]:
        out: list[Plate] = []
        names: set[str] = set()
        for p in plates:
            if not isinstance(p, Plate):
                raise GraphError(f"plates must be Plate objects, got {p!r}")
            if p.name in names:
                raise GraphError(f"plate names must be unique: {p.name!r} appears twice")
            names.add(p.name)
            for m in p.members:
                if m not in self._vars:
                    raise GraphError(
                        f"plate {p.name!r} names unknown node {m!r} (not in DAG {self._name!r})"
                    )
            # Node order makes equal plates compare equal whatever order members were listed.
            members = tuple(sorted(p.members, key=self._index.__getitem__))
            out.append(p if members == p.members else Plate(p.name, p.size, members))
        return tuple(out)

    def _check_cpds(self, cpds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        for n, var in self._vars.items():
            if var.card is None:
                raise GraphError(
                    f"CPDs given, but node {n!r} has no finite number of states "
                    f"(card None); CPD tables need discrete variables"
                )
        missing = [n for n in self._vars if n not in cpds]
        if missing:
            raise GraphError(f"CPDs given but missing for nodes {missing}")
        self.check_nodes(cpds)
        out = {}
        for n in self._vars:
            arr = np.array(cpds[n], dtype=float)
            want = (self._vars[n].card, *(self._vars[p].card for p in self._parents[n]))
            if arr.shape != want:
                raise GraphError(
                    f"CPD of {n!r} has shape {arr.shape}; expected {want} "
                    f"(card, then the cards of parents {list(self._parents[n])})"
                )
            if np.any(arr < 0) or not np.allclose(arr.sum(axis=0), 1.0, atol=1e-6):
                raise GraphError(f"CPD of {n!r}: every column must be a distribution summing to 1")
            arr.setflags(write=False)
            out[n] = arr
        return out

    # -- value semantics -----------------------------------------------------------------
    def _key(self) -> tuple[tuple[Variable, ...], frozenset[tuple[str, str]], tuple[Plate, ...]]:
        return (self.variables, frozenset(self.edges), self._plates)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DAG):
            return NotImplemented
        if self._key() != other._key():
            return False
        mine, theirs = self._cpds, other._cpds
        if mine is None or theirs is None:
            return mine is theirs
        return all(np.array_equal(mine[n], theirs[n]) for n in self._vars)

    def __hash__(self) -> int:
        return hash(self._key())

    # -- notebook display (drawn on demand; a terminal shows only the one-line repr) ------
    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        from ._display import dag_bundle

        return dag_bundle(self)

    def _repr_html_(self) -> str:
        return self._repr_mimebundle_()["text/html"]

    def _repr_svg_(self) -> str | None:
        return self._repr_mimebundle_().get("image/svg+xml")  # None: too big, shown as PNG

    def __repr__(self) -> str:
        k = len(self._plates)
        plates = f", {k} plate{'s' if k > 1 else ''}" if k else ""
        return f"DAG({self._name!r}, {len(self._vars)} nodes, {self._n_edges} edges{plates})"


def as_names(nodes: str | Sequence[str] | Iterable[str]) -> tuple[str, ...]:
    """Accept one node name or an iterable of names."""
    if isinstance(nodes, str):
        return (nodes,)
    return tuple(nodes)
