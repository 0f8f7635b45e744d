"""What the families whose DAG is learned from data share: the DAG over the pixels from
column-index edges (the ``edges`` option, JSON-ready), the learning run once per data set
and settings (a process-wide cache by the data's digest), and the digits' training split as
the data when no ``edges`` are given (``zoo show``: the structure ``zoo fit`` would learn).

JAX-free: ``zoo show`` builds these DAGs.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from graphs import DAG
from graphs.families import pixels

from ..data import Dataset
from ..errors import ZooError

Edges = tuple[tuple[int, int], ...]
_CACHE: dict[tuple[Any, ...], tuple[Edges, float]] = {}
_CACHE_SIZE = 16


def pixel_dag(n: int, edges: Iterable[Sequence[int]], name: str) -> DAG:
    """Binary pixels ``x0 .. x{n-1}`` (on the grid when ``n`` is square) with ``edges``
    given as ``(parent, child)`` column indices."""
    nodes = pixels(n)
    pairs = [(int(u), int(v)) for u, v in edges]
    bad = [p for p in pairs if not (0 <= p[0] < n and 0 <= p[1] < n)]
    if bad:
        raise ZooError(f"{name}: edge {list(bad[0])} names a column outside 0 .. {n - 1}")
    return DAG(nodes, [(nodes[u].name, nodes[v].name) for u, v in pairs], name=name)


def as_option(edges: Edges) -> list[list[int]]:
    """Edges as the ``edges`` option holds them (what JSON gives back on load)."""
    return [[u, v] for u, v in edges]


def learned(learn: Callable[..., Edges], x: np.ndarray, **settings: Any) -> tuple[Edges, float]:
    """``learn(x, **settings)`` and the seconds it took, once per data set and settings in
    this process (a compare row, its figures and the card share one run)."""
    x = np.ascontiguousarray(x)
    digest = hashlib.sha256(x.tobytes()).hexdigest()
    key = (
        learn.__module__,
        learn.__name__,
        x.shape,
        str(x.dtype),
        digest,
        *sorted(settings.items()),
    )
    if key not in _CACHE:
        start = time.perf_counter()
        edges = learn(x, **settings)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (edges, time.perf_counter() - start)
    return _CACHE[key]


def default_data(family: str, n: int) -> Dataset:
    """The data a DAG is learned from when no ``edges`` are given: the digits' training
    split, the ``zoo fit`` default (the only data known without being given)."""
    from ..data import digits_split

    train, _ = digits_split()
    if n != train.n_vars:
        raise ZooError(
            f"{family} learns its DAG from data: fit it to data (zoo fit, zoo compare) or give "
            f"edges=[[parent, child], ...]; without either, n must be {train.n_vars} (the "
            f"digits' pixels), got n={n}"
        )
    return train
