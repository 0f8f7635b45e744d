"""Argument checks shared across the zoo. Each one raises ``ValueError`` naming what it
expected and what it got (:func:`int_flag`, an ``argparse`` type, raises
``argparse.ArgumentTypeError``), and returns the value in its plain Python type.

Light on purpose: the standard library only, so any module may check its input with it.
"""

from __future__ import annotations

import argparse
import math
import numbers
from collections.abc import Callable, Collection, Iterable
from typing import Any, TypeVar

from .errors import ZooError

T = TypeVar("T")


def _is_int(value: Any) -> bool:
    # bool is an int to Python, never a count to a user; NumPy integers are counts
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(name: str, value: Any) -> int:
    """``value`` as an ``int`` if it is an integer >= 1 (a bool is not);
    ``"{name} must be a positive int, got {value!r}"`` otherwise."""
    if not _is_int(value) or value < 1:
        raise ZooError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def positive_ints(**values: Any) -> None:
    """:func:`positive_int` on each keyword, named by its keyword."""
    for name, value in values.items():
        positive_int(name, value)


def positive_numbers(**values: Any) -> None:
    """Each keyword a finite real number > 0 (a bool is not);
    ``"{name} must be a positive number, got {value!r}"`` otherwise."""
    for name, value in values.items():
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not (ok and math.isfinite(value) and value > 0):
            raise ZooError(f"{name} must be a positive number, got {value!r}")


def with_defaults(defaults: dict[str, Any], given: dict[str, Any], what: str) -> dict[str, Any]:
    """``defaults`` updated by ``given``; a ``TypeError`` naming an unknown key of ``what``
    and the known ones otherwise (as Python reports an unknown keyword)."""
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise TypeError(f"{what}: unknown option {unknown[0]!r}; expected some of {list(defaults)}")
    return {**defaults, **given}


#: the largest seed: JAX's keys and NumPy's generators take any seed up to 2**32 - 1 alike
SEED_MAX = 2**32 - 1


def seed(name: str, value: Any) -> int:
    """``value`` as a seed: an integer in ``0..SEED_MAX`` (``"{name} must be ..."``)."""
    if not _is_int(value) or not 0 <= value <= SEED_MAX:
        raise ZooError(f"{name} must be an integer in 0..{SEED_MAX} (2**32 - 1), got {value!r}")
    return int(value)


def int_at_least(name: str, value: Any, low: int, *, noun: str = "int") -> int:
    """``value`` as an ``int`` if it is an integer >= ``low`` (a bool is not);
    ``"{name} must be an {noun} >= {low}, got {value!r}"`` otherwise. ``noun`` keeps the
    wording of callers whose messages users and tests already know (``"integer"``)."""
    if not _is_int(value) or value < low:
        raise ZooError(f"{name} must be an {noun} >= {low}, got {value!r}")
    return int(value)


def fraction(name: str, value: Any) -> float:
    """``value`` as a ``float`` if it is a number strictly between 0 and 1 (a bool is not);
    ``"{name} must be a number in (0, 1), got {value!r}"`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ZooError(f"{name} must be a number in (0, 1), got {value!r}")
    return float(value)


def choice(value: T, allowed: Collection[object], what: str) -> T:
    """``value`` if it is one of ``allowed``;
    ``"unknown {what} {value!r}; expected one of {list(allowed)}"`` otherwise."""
    if value not in allowed:
        raise ZooError(f"unknown {what} {value!r}; expected one of {list(allowed)}")
    return value


def some_of(
    values: Iterable[T], allowed: Collection[object], what: str, plural: str
) -> tuple[T, ...]:
    """``values`` as a tuple if it holds at least one item and each is one of ``allowed``;
    ``"unknown {what} ...; expected some of [...]"`` or ``"{plural} must name at least one
    {what}"`` otherwise."""
    chosen = tuple(values)
    for value in chosen:
        if value not in allowed:
            raise ZooError(f"unknown {what} {value!r}; expected some of {list(allowed)}")
    if not chosen:
        raise ZooError(f"{plural} must name at least one {what}")
    return chosen


def int_flag(low: int, flag: str | None = None, high: int | None = None) -> Callable[[str], int]:
    """An ``argparse`` type: an integer no smaller than ``low``. The message names ``flag``
    when given (``"--n must be >= 1, got 0"``) and otherwise says what was expected
    (``"expected an integer >= 1, got 0"``); argparse puts the flag in front of either."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            what = f"{flag} must be an integer" if flag else "expected an integer"
            raise argparse.ArgumentTypeError(f"{what}, got {text!r}") from None
        if value < low:
            what = f"{flag} must be >= {low}" if flag else f"expected an integer >= {low}"
            raise argparse.ArgumentTypeError(f"{what}, got {value}")
        if high is not None and value > high:
            what = f"{flag} must be <= {high}" if flag else f"expected an integer <= {high}"
            raise argparse.ArgumentTypeError(f"{what}, got {value}")
        return value

    return parse


__all__ = ["choice", "fraction", "int_at_least", "int_flag", "positive_int", "some_of"]
