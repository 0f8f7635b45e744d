"""Unrolling plates: the DAG over every instance of every plated node.

A plate says "this part of the graph repeats ``size`` times". Independence queries are about
instances (is ``theta[0]`` independent of ``theta[1]`` given ``mu``?), so they run on the
unrolled DAG, where each plated node becomes one node per index combination.
"""

from __future__ import annotations

import itertools
import math

from .dag import DAG, Variable
from .errors import GraphError


def instance_name(node: str, index: tuple[int, ...]) -> str:
    """ArviZ-style element name: ``theta[3]``, ``x[0,2]``; ``node`` itself for no index.

    >>> instance_name("x", (0, 2)), instance_name("mu", ())
    ('x[0,2]', 'mu')
    """
    return f"{node}[{','.join(str(i) for i in index)}]" if index else node


def unrolled_size(dag: DAG) -> int:
    """Number of nodes :func:`unroll` would make: each node counts the product of the
    sizes of its plates (1 when it is in none)."""
    sizes = {p.name: p.size for p in dag.plates}
    return sum(math.prod(sizes[q] for q in dag.plates_of(n)) for n in dag.nodes)


def unroll(dag: DAG, max_nodes: int = 2000) -> DAG:
    """The DAG with every plate expanded into its instances.

    A node in no plate stays as it is. A node in plates ``(p1, ..., pk)`` (in
    :meth:`DAG.plates_of` order) becomes one node per index combination, named
    ``node[i1,...,ik]``, in C order. An edge ``u -> v`` becomes the edges ``u[i] -> v[j]``
    whose indices agree on every plate ``u`` and ``v`` share: a plate only ``u`` is in
    connects all of its instances to each instance of ``v``, and each instance of ``v`` in
    a plate ``u`` is not in gets the instances of ``u`` that agree on the shared plates.
    Roles, cards and state names carry over, positions of plated nodes do not; the result
    has no plates and no CPDs, and is named ``"<name> (unrolled)"``.

    Raises
    ------
    ValueError
        When the unrolled DAG would have more than ``max_nodes`` nodes (checked before any
        node is made).

    Examples
    --------
    >>> from graphs import DAG, Plate, Variable
    >>> dag = DAG(
    ...     ["mu", "theta", "y"],
    ...     [("mu", "theta"), ("theta", "y")],
    ...     plates=[Plate("schools", 3, ("theta", "y"))],
    ... )
    >>> flat = unroll(dag)
    >>> flat.nodes
    ('mu', 'theta[0]', 'theta[1]', 'theta[2]', 'y[0]', 'y[1]', 'y[2]')
    >>> flat.parents("y[2]")
    ('theta[2]',)
    """
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise GraphError(f"max_nodes must be a positive int, got {max_nodes!r}")
    total = unrolled_size(dag)
    if total > max_nodes:
        raise GraphError(
            f"unrolling DAG {dag.name!r} would make {total} nodes, more than "
            f"max_nodes={max_nodes}; pass a larger max_nodes or shrink the plates"
        )
    sizes = {p.name: p.size for p in dag.plates}

    def indices(node: str, fixed: dict[str, int]) -> list[tuple[int, ...]]:
        # Index tuples of ``node`` (C order) agreeing with ``fixed`` on the plates it names.
        ranges = [(fixed[q],) if q in fixed else range(sizes[q]) for q in dag.plates_of(node)]
        return list(itertools.product(*ranges))

    variables = []
    for var in dag.variables:
        if not dag.plates_of(var.name):
            variables.append(var)
            continue
        for index in indices(var.name, {}):
            name = instance_name(var.name, index)
            variables.append(Variable(name, var.card, role=var.role, states=var.states))
    edges: list[tuple[str, str]] = []
    for u, v in dag.edges:
        plates_u = set(dag.plates_of(u))
        for j in indices(v, {}):
            at = dict(zip(dag.plates_of(v), j, strict=True))
            shared = {q: i for q, i in at.items() if q in plates_u}
            child = instance_name(v, j)
            edges.extend((instance_name(u, i), child) for i in indices(u, shared))
    return DAG(variables, edges, name=f"{dag.name} (unrolled)")


__all__ = ["instance_name", "unroll", "unrolled_size"]
