"""What every analysis's ``run_*`` function shares: the result record, the size presets and
their overrides, progress lines with timings, and JSON-ready numbers (its argument checks
are in :mod:`._checks`).

A run reads ``s = settings_for(size, seed, PRESETS, **overrides)``, checks what it must,
reports through ``say = reporter(progress, NAME)`` and ends with ``AnalysisResult(NAME,
summary, table, figures, s)``.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from zoo._records import fields, lists_for_tuples
from zoo.validate import choice

SIZES = ("small", "full")
DECIMALS = 4  # numbers in summaries and tables: enough to compare, stable across runs

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class AnalysisResult:
    """One analysis: the headline numbers and finding (``summary``), one JSON-ready row per
    measured point (``table``), figures by file name, and the settings that produced them
    (tuples become lists, as in JSON)."""

    name: str
    summary: dict
    table: list[dict]
    figures: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    def __post_init__(self):
        self.settings = lists_for_tuples(self.settings)

    def to_json(self) -> dict:
        """Everything repeatable (what ``result.json`` holds): the same seed, the same dict."""
        return {"analysis": self.name, **fields(self, "settings", "summary", "table")}


def one_blas_thread(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with NumPy's BLAS on one thread: the analyses' products are small, and on
    a busy machine threaded BLAS only contends (ten times slower here)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper


def settings_for(size: str, seed: int, presets: dict[str, dict], **given: Any) -> dict:
    """The settings of one run: ``size``, its preset with every explicitly ``given`` (not
    None) value replacing the preset's (as a tuple where the preset holds one), then
    ``seed``."""
    choice(size, presets, "size")
    out = dict(presets[size])
    unknown = sorted(set(given) - set(out))
    if unknown:
        raise TypeError(f"unknown keyword {unknown[0]!r}; expected one of {sorted(out)}")
    for key, value in given.items():
        if value is not None:
            out[key] = tuple(value) if isinstance(out[key], tuple) else value
    return {"size": size, **out, "seed": seed}


#: what an analysis's ``progress`` may be: a callback for one line at a time, or nothing
Progress = Callable[[str], None] | None


def reporter(progress: Progress, name: str) -> Callable[[str], None]:
    """A progress callback that prefixes lines with the analysis name (or does nothing)."""
    if progress is None:
        return lambda _line: None
    return lambda line: progress(f"{name}: {line}")


def stopwatch() -> Callable[[], float]:
    """A clock started now: calling it gives the seconds since (for progress lines)."""
    start = time.perf_counter()
    return lambda: time.perf_counter() - start


def rounded(value: Any, decimals: int = DECIMALS) -> float | None:
    """A JSON-ready float (None for NaN or inf), rounded so repeated runs print alike."""
    if value is None:
        return None
    value = float(value)
    return round(value, decimals) if math.isfinite(value) else None
