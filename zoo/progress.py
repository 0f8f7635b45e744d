"""Progress on standard error: whether to show it (a terminal, and no ``--json``) and the tqdm
bars that NUTS, SVI, trained families, ``zoo compare`` rows and calibration draw.

Bars only read counts the loops already report between compiled calls, so a run draws the
same numbers with or without them. Nothing here imports tqdm until a bar is drawn.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any, TypeVar

T = TypeVar("T")

#: the iterations bar: "<what>: 450/2,000 iterations |####      | 00:03<00:07"
ITERATIONS = "{desc}: {n_fmt}/{total_fmt} iterations |{bar}| {elapsed}<{remaining}"
#: a bar over named tasks (compare's families, calibration's replications)
TASKS = "{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed}<{remaining}"


def wanted(json: bool = False, stream: IO[str] | None = None) -> bool:
    """Whether to draw bars: ``stream`` (standard error) is a terminal and JSON output was
    not asked for (a pipe, a log file or a notebook's captured stderr gets none)."""
    if json:
        return False
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # a closed stream
        return False


def _tqdm() -> Any:
    # the notebook widget only where a kernel runs and ipywidgets is there (tqdm.auto warns
    # when it is missing); plain text bars elsewhere
    if "ipykernel" in sys.modules and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm as notebook

        return notebook
    from tqdm.std import tqdm

    return tqdm


def iterations(what: str, warmup: int = 0) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback that draws one bar on standard error and closes it
    when ``done`` reaches ``total``. With ``warmup`` (NUTS) the bar names the phase: ``<what>
    warmup`` up to that many iterations, then ``<what> sampling``."""
    state: dict[str, Any] = {}

    def phase(done: int) -> str:
        if not warmup:
            return what
        return f"{what} warmup" if done < warmup else f"{what} sampling"

    def show(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None or bar.total != total:
            if bar is not None:
                bar.close()
            bar = state["bar"] = _tqdm()(
                total=total, desc=phase(0), bar_format=ITERATIONS, file=sys.stderr, leave=None
            )
        done = min(done, total)
        bar.update(done - bar.n)
        if phase(done) != bar.desc:  # shown at once, whatever tqdm's refresh interval
            bar.set_description_str(phase(done))
        if done >= total:
            bar.close()
            state.pop("bar")

    return show


def tasks(
    items: Iterable[T], what: str, total: int | None = None, leave: bool = True
) -> Iterator[T]:
    """``items`` with a bar on standard error that advances as each one finishes (``leave``:
    keep the finished bar on screen)."""
    bar = _tqdm()(items, desc=what, total=total, bar_format=TASKS, file=sys.stderr, leave=leave)
    return iter(bar)


@contextmanager
def writing() -> Iterator[None]:
    """Lines written to standard error inside this block go above any open bar instead of
    through it."""
    tqdm = _tqdm()
    with tqdm.external_write_mode(file=sys.stderr):
        yield


__all__ = ["ITERATIONS", "TASKS", "iterations", "tasks", "wanted", "writing"]
