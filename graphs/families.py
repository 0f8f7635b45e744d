"""Constructors for the structure of each zoo family.

Observed variables are named ``x0 .. x{n-1}``; the label of naive Bayes is ``y`` and the
hidden class of the latent-class model is ``z``. When ``shape`` is ``"auto"`` and ``n`` is a
perfect square, the variables get pixel positions in raster order, so an 8x8 image's DAG
draws as an 8x8 grid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from .dag import DAG, Variable, gc_paused, observed_variables
from .errors import GraphError

# "auto": a square grid when n is a perfect square; None: no positions.
Shape = tuple[int, int] | Literal["auto"] | None

GRID_NEIGHBOURS = {"left": (0, -1), "up": (-1, 0), "up_left": (-1, -1), "up_right": (-1, 1)}


#: the most variables a family's DAG may have, and the most edges: refused before building
MAX_NODES = 10_000_000
MAX_EDGES = 50_000_000


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise GraphError(f"n must be a positive int (the number of variables), got {n!r}")
    if n > MAX_NODES:
        raise GraphError(f"n={n:,} variables is more than the zoo builds (at most {MAX_NODES:,})")
    return n


def _check_edges(count: int, what: str) -> None:
    """Refuse, before any allocation, a DAG with more edges than the zoo builds."""
    if count > MAX_EDGES:
        raise GraphError(
            f"{what} has {count:,} edges, more than the zoo builds (at most {MAX_EDGES:,})"
        )


def _shape(n: int, shape: Shape) -> tuple[int, int] | None:
    if shape is None:
        return None
    if shape == "auto":
        side = math.isqrt(n)
        return (side, side) if side * side == n and n >= 4 else None
    rows, cols = shape
    if rows * cols != n:
        raise GraphError(f"shape {tuple(shape)} holds {rows * cols} pixels, but n is {n}")
    return (int(rows), int(cols))


def pixels(n: int, card: int = 2, shape: Shape = "auto") -> list[Variable]:
    """Observed variables ``x0..x{n-1}``, with raster positions when ``shape`` gives a grid."""
    _check_n(n)
    grid = _shape(n, shape)
    with gc_paused():
        names = [f"x{i}" for i in range(n)]
        positions = [divmod(i, grid[1]) for i in range(n)] if grid else [None] * n
        return observed_variables(names, card, positions)


def _order(n: int, ordering: Sequence[int] | None) -> list[int]:
    if ordering is None:
        return list(range(n))
    order = [int(i) for i in ordering]
    if sorted(order) != list(range(n)):
        raise GraphError(f"ordering must be a permutation of range({n}), got {list(ordering)}")
    return order


def independent(n: int, card: int = 2, shape: Shape = "auto") -> DAG:
    """Full independence, ``p(x) = prod_i p(x_i)``: no edges."""
    return DAG(pixels(n, card, shape), name="independent")


def markov_chain(
    n: int,
    order: int = 1,
    card: int = 2,
    ordering: Sequence[int] | None = None,
    shape: Shape = "auto",
) -> DAG:
    """Markov chain of order ``order``: each variable's parents are the ``order`` before it
    in ``ordering`` (raster order by default)."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise GraphError(f"order must be an int >= 1, got {order!r}")
    _check_n(n)
    k = min(order, n - 1)
    _check_edges(k * n - k * (k + 1) // 2, f"a Markov chain of order {order} over {n:,} variables")
    vars_ = pixels(n, card, shape)
    seq = _order(n, ordering)
    # parents by index: a million names in an edge list cost more than the DAG itself
    given: list[list[int] | None] = [None] * n
    with gc_paused():
        for i in range(1, n):
            given[seq[i]] = seq[i - order if i > order else 0 : i]
    return DAG._of_indices(vars_, given, name=f"markov_chain(order={order})")


def markov_grid(
    rows: int,
    cols: int,
    neighbours: Sequence[str] = ("left", "up", "up_left", "up_right"),
    card: int = 2,
) -> DAG:
    """The 2-D image neighbourhood: each pixel's parents are among its left, up, up-left and
    up-right neighbours (those inside the image), all earlier in raster order."""
    bad = [k for k in neighbours if k not in GRID_NEIGHBOURS]
    if bad:
        raise GraphError(f"unknown neighbour {bad[0]!r}; expected some of {list(GRID_NEIGHBOURS)}")
    if rows < 1 or cols < 1:
        raise GraphError(f"rows and cols must be >= 1, got {rows}x{cols}")
    _check_n(rows * cols)
    vars_ = pixels(rows * cols, card, (rows, cols))
    given: list[list[int] | None] = [None] * (rows * cols)
    with gc_paused():
        for r in range(rows):
            for c in range(cols):
                ps = [
                    (r + dr) * cols + c + dc
                    for dr, dc in (GRID_NEIGHBOURS[key] for key in neighbours)
                    if 0 <= r + dr < rows and 0 <= c + dc < cols
                ]
                if ps:
                    given[r * cols + c] = ps
    return DAG._of_indices(vars_, given, name="markov_grid")


def naive_bayes(n: int, classes: int = 10, card: int = 2, shape: Shape = "auto") -> DAG:
    """Naive Bayes, ``p(y, x) = p(y) prod_i p(x_i | y)``, with the label ``y`` observed."""
    label = Variable("y", card=classes, role="label")
    return _one_parent(label, pixels(n, card, shape), f"naive_bayes(K={classes})")


def _one_parent(root: Variable, vars_: list[Variable], name: str) -> DAG:
    """``root`` first, then ``vars_``, each with ``root`` as its one parent."""
    only = [0]  # one shared list: a single parent is never rewritten
    return DAG._of_indices([root, *vars_], [None, *([only] * len(vars_))], name=name)


def latent_class(n: int, components: int = 10, card: int = 2, shape: Shape = "auto") -> DAG:
    """Latent class (mixture of products), ``p(x) = sum_z p(z) prod_i p(x_i | z)``, ``z`` hidden."""
    hidden = Variable("z", card=components, role="latent")
    return _one_parent(hidden, pixels(n, card, shape), f"latent_class(K={components})")


def autoregressive(
    n: int, card: int = 2, ordering: Sequence[int] | None = None, shape: Shape = "auto"
) -> DAG:
    """Complete autoregressive DAG, ``p(x) = prod_i p(x_i | x_<i)`` in ``ordering``."""
    _check_n(n)
    _check_edges(n * (n - 1) // 2, f"the complete autoregressive DAG over {n:,} variables")
    vars_ = pixels(n, card, shape)
    seq = _order(n, ordering)
    edges = [(vars_[seq[j]].name, vars_[seq[i]].name) for i in range(n) for j in range(i)]
    return DAG(vars_, edges, name="autoregressive")
