"""The analyses' argument checks, in their wording ("must be an integer >= ..."), on top of
:mod:`zoo.validate`."""

from __future__ import annotations

import math
from typing import Any

from zoo.validate import int_at_least

from ..errors import ZooError


def check_int(name: str, value: Any, low: int = 1) -> int:
    """An integer >= ``low`` (the analyses' wording: "must be an integer >= ...")."""
    return int_at_least(name, value, low, noun="integer")


def check_sizes(name: str, values: Any, low: int = 1) -> tuple[int, ...]:
    """A non-empty, strictly increasing tuple of integers >= ``low``."""
    try:
        items = tuple(values)
    except TypeError:
        raise ZooError(f"{name} must be a sequence of integers, got {values!r}") from None
    if not items:
        raise ZooError(f"{name} must not be empty")
    for v in items:
        check_int(f"each of {name}", v, low)
    if any(b <= a for a, b in zip(items, items[1:], strict=False)):
        raise ZooError(f"{name} must be strictly increasing, got {list(items)}")
    return tuple(int(v) for v in items)


def check_fractions(
    name: str, values: Any, low: float = 0.0, high: float = 1.0
) -> tuple[float, ...]:
    """A non-empty tuple of numbers in ``[low, high)``."""
    try:
        items = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise ZooError(f"{name} must be a sequence of numbers, got {values!r}") from None
    if not items:
        raise ZooError(f"{name} must not be empty")
    for v in items:
        if not (math.isfinite(v) and low <= v < high):
            raise ZooError(f"each of {name} must lie in [{low}, {high}), got {v}")
    return items
