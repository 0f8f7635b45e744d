"""Exact free-parameter counts, as Python ints (2^784 - 1 is printed whole).

A categorical variable with ``c`` states has ``c - 1`` free parameters per distribution, so a
Bernoulli has one, not two.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NoReturn

import numpy as np

from .dag import DAG
from .errors import GraphError

COUNTED_ROLES = ("observed", "label")  # the variables a full joint table is over


def _finite_cards(dag: DAG, nodes: Iterable[str]) -> dict[str, int]:
    """The card of each of ``nodes``; ``ValueError`` naming the first with no finite number
    of states."""
    cards = {}
    for n in nodes:
        card = dag.card(n)
        if card is None:
            _no_card(dag, n)
        cards[n] = card
    return cards


def _no_card(dag: DAG, node: str) -> NoReturn:
    raise GraphError(
        f"node {node!r} of DAG {dag.name!r} has no finite number of states; "
        f"tabular counts need discrete variables"
    )


def _node_cards(dag: DAG) -> list[int]:
    """Every node's card in node order (one pass, no lookup by name)."""
    cards = [v.card for v in dag.variables]
    if None in cards:
        _no_card(dag, dag.nodes[cards.index(None)])
    return cards  # type: ignore[return-value]  # None ruled out above


def param_count(dag: DAG) -> int:
    """Free parameters of tabular CPDs: ``sum_i (card_i - 1) * prod(card of parents of i)``.

    Raises ``ValueError`` naming the first node whose card is ``None``.

    >>> from graphs.families import naive_bayes
    >>> param_count(naive_bayes(64, classes=10))  # (K - 1) + K n
    649
    """
    cards = _node_cards(dag)
    indptr, indices = dag._parent_arrays()
    if len(set(cards)) == 1:  # one card c: (c - 1) c^k per node with k parents, by k
        c = cards[0]
        degrees = np.bincount(np.diff(indptr))
        return sum(int(m) * (c - 1) * c**k for k, m in enumerate(degrees.tolist()))
    ptr, idx = indptr.tolist(), indices.tolist()
    return sum(
        (c - 1) * math.prod(cards[j] for j in idx[ptr[i] : ptr[i + 1]]) for i, c in enumerate(cards)
    )


def _powers(dag: DAG, nodes: Iterable[str] | None) -> dict[int, int]:
    """How many of ``nodes`` (default: the observed and label ones) have each card."""
    if nodes is None:
        counted = [v for v in dag.variables if v.role in COUNTED_ROLES]
        missing = next((v.name for v in counted if v.card is None), None)
        if missing is not None:
            _no_card(dag, missing)
        found = Counter(v.card for v in counted)
    else:
        names = list(nodes)
        dag.check_nodes(names)
        found = Counter(_finite_cards(dag, names).values())
    return dict(found)  # type: ignore[arg-type]  # None ruled out above


def full_joint_count(dag: DAG, nodes: Iterable[str] | None = None) -> int:
    """Free parameters of an unrestricted joint table, ``prod(cards) - 1``.

    By default over the variables a user sees (observed and label); latent variables are
    summed out of the distribution being modelled and deterministic ones are functions of
    the others, so both are left out. Raises ``ValueError`` naming the first counted node
    whose card is ``None``.
    """
    # by powers: multiplying state counts in one at a time is quadratic in the digits
    total: int = math.prod(c**k for c, k in _powers(dag, nodes).items())
    return total - 1


def full_joint_formula(dag: DAG, nodes: Iterable[str] | None = None) -> str:
    """:func:`full_joint_count` as a formula, ``"2^784 - 1"`` (``"2^63 * 10 - 1"``): what a
    card shows where the number itself has too many digits to print."""
    powers = _powers(dag, nodes)
    factors = [f"{c}^{k}" if k > 1 else str(c) for c, k in sorted(powers.items())]
    return f"{' * '.join(factors) or '1'} - 1"


def log10(count: int) -> float:
    """``log10`` of an exact count of any size (``-inf`` for zero)."""
    if count < 0:
        raise GraphError(f"a parameter count is never negative, got {count}")
    return -math.inf if count == 0 else math.log10(count)


def logistic_count(dag: DAG) -> int:
    """Free parameters when each variable is a (multinomial) logistic regression on its
    parents, one-hot coded: per non-reference state, a bias plus one weight per parent
    state beyond the first. Fully visible sigmoid belief net over ``n`` bits: ``n(n+1)/2``.
    """
    card = _finite_cards(dag, dag.nodes)
    return sum((card[n] - 1) * (1 + sum(card[p] - 1 for p in dag.parents(n))) for n in dag.nodes)


def dense_count(shapes: Sequence[tuple[int, int]], bias: bool = True) -> int:
    """Parameters of a stack of dense layers given their weight shapes ``(fan_in, fan_out)``."""
    total = 0
    for shape in shapes:
        fan_in, fan_out = (int(s) for s in shape)
        if fan_in < 1 or fan_out < 1:
            raise GraphError(f"layer shapes must be positive, got {tuple(shape)}")
        total += fan_in * fan_out + (fan_out if bias else 0)
    return total


def masked_count(
    masks: Sequence[np.ndarray], bias: bool = True, skip: np.ndarray | None = None
) -> int:
    """Parameters of a masked MLP: the weights its masks let through, plus biases.

    ``masks[l]`` has shape ``(fan_in, fan_out)``; ``skip`` is the optional direct
    input-to-output mask.
    """
    total = sum(int(np.count_nonzero(m)) + (m.shape[1] if bias else 0) for m in masks)
    if skip is not None:
        total += int(np.count_nonzero(skip))
    return total


def made_masks(
    n: int, hidden: int | Sequence[int], ordering: Sequence[int] | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """Masks of a MADE network (Germain et al. 2015) over ``n`` variables.

    Input ``d`` gets degree ``rank(d) + 1`` in ``ordering``; hidden unit ``k`` of each layer
    gets degree ``k mod (n - 1) + 1`` (deterministic, so counts are reproducible). A unit sees
    only inputs of lower or equal degree; output ``d`` sees units of strictly lower degree.
    Returns ``(masks, direct)``: the layer masks, ``(fan_in, fan_out)`` each, and the strictly
    autoregressive input-to-output mask for direct connections.
    """
    if n < 2:
        raise GraphError(f"a MADE needs at least 2 variables, got n={n}")
    sizes = [hidden] if isinstance(hidden, int) else list(hidden)
    if not sizes or any(h < 1 for h in sizes):
        raise GraphError(f"hidden sizes must be positive ints, got {hidden!r}")
    order = list(range(n)) if ordering is None else [int(i) for i in ordering]
    if sorted(order) != list(range(n)):
        raise GraphError(f"ordering must be a permutation of range({n})")
    deg_in = np.empty(n, dtype=int)
    deg_in[order] = np.arange(1, n + 1)
    masks, prev = [], deg_in
    for h in sizes:
        deg = np.arange(h) % (n - 1) + 1
        masks.append(deg[None, :] >= prev[:, None])
        prev = deg
    masks.append(deg_in[None, :] > prev[:, None])
    direct = deg_in[None, :] > deg_in[:, None]
    return masks, direct


def made_count(
    n: int, hidden: int | Sequence[int], ordering: Sequence[int] | None = None, direct: bool = False
) -> int:
    """Free parameters of a MADE over ``n`` binary variables (one logit per output)."""
    masks, skip = made_masks(n, hidden, ordering)
    return masked_count(masks, skip=skip if direct else None)
