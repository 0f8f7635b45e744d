"""What several commands share: progress lines on stderr, the diagnostics gate, figures,
output folders and the user's program."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from graphs.files import writable_folder

from ..errors import ZooError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..programs import BoundProgram


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def warn(diagnostics: dict) -> None:
    """The diagnostics gate: every failed check as a warning on stderr (the JSON card
    carries the same lines under ``diagnostics.warnings`` and ``diagnostics.pass``)."""
    for line in diagnostics.get("warnings", []):
        note(f"zoo: warning: {line}")


def save(fig: Figure, path: str) -> None:
    import graphs

    out = graphs.save_figure(fig, path)
    print(f"wrote {out}", file=sys.stderr)


def check_out(path: str) -> Path:
    """``--out`` must be, or be creatable as, a writable folder; checked before any work."""
    return writable_folder(path)


def check_figure_path(path: str) -> None:
    if Path(path).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ZooError(f"--draw {path!r}: expected a .png, .svg or .pdf file name")
    check_out(str(Path(path).parent))


def load_bound(spec: str, data_path: str | None) -> BoundProgram:
    """The user's program with its data bound; every check runs before any compile."""
    from ..programs import bind, load_program, read_data

    data = read_data(data_path) if data_path else None  # a bad file fails before import
    fn = load_program(spec)
    return bind(fn, data, name=spec.rsplit(":", 1)[1])


class _TimedOut(BaseException):
    """Raised in the program by the alarm: a BaseException, so that the program's own
    ``except Exception`` does not swallow it."""


@contextlib.contextmanager
def timeout(seconds: float | None, spec: str) -> Iterator[None]:
    """Stop the user's program ``spec`` with one clear error after ``seconds`` (None: no
    limit), for an infinite loop at trace time. Main thread only (where signals land)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(signum: int, frame: object) -> None:
        raise _TimedOut

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _TimedOut:
        raise ZooError(
            f"program {spec!r} was still running after --timeout {seconds:g} s while being "
            "traced (an endless loop?); fix it or give a larger --timeout"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def user_program(spec: str, json_out: bool) -> Iterator[None]:
    """Where the user's program runs: with ``--json`` its ``print`` goes to stderr, so that
    stdout stays one JSON document; ``sys.exit`` in it is one clear error, not a silent
    exit."""
    redirect = contextlib.redirect_stdout(sys.stderr) if json_out else contextlib.nullcontext()
    try:
        with redirect:
            yield
    except SystemExit as exit_:
        raise ZooError(
            f"program {spec!r} called sys.exit({exit_.code!r}) while being run; a program "
            "must return (or raise), not exit"
        ) from None


def add_sweep_options(p: argparse.ArgumentParser) -> None:
    """Where a sweep's tasks run (:mod:`zoo.sweep_exec`) and where their results are kept."""
    from ._args import int_at_least

    g = p.add_argument_group("sweep executor (Dask)")
    g.add_argument(
        "--workers",
        type=int_at_least(0, "--workers"),
        help="local worker processes (default: one per core); 0 runs serially in this process",
    )
    g.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="an existing Dask scheduler to send the tasks to (default: $ZOO_SCHEDULER, "
        "else a local cluster)",
    )
    g.add_argument(
        "--cache",
        metavar="DIR|off",
        help="finished tasks' results, so an interrupted sweep resumes (default: "
        "$ZOO_SWEEP_CACHE, else ~/.cache/model-zoo/sweeps)",
    )


@dataclass(frozen=True)
class Executor:
    """The sweep options, checked: what :func:`zoo.sweep_exec.run_tasks` takes."""

    workers: int | None
    scheduler: str | None
    cache: str | bool

    def kwargs(self) -> dict:
        return {"workers": self.workers, "scheduler": self.scheduler, "cache": self.cache}

    def __str__(self) -> str:
        if self.scheduler:
            return f"Dask scheduler {self.scheduler}"
        if self.workers == 0:
            return "serial, in this process"
        n = self.workers or os.cpu_count() or 1
        return f"a local Dask cluster of {n} worker process{'es' if n != 1 else ''}"


def sweep_executor(args: argparse.Namespace) -> Executor:
    """The executor the options name; a malformed address or unusable cache folder fails
    here, before any work."""
    from ..sweep_exec import SCHEDULER_ENV, cache_folder

    scheduler = args.scheduler or os.environ.get(SCHEDULER_ENV) or None
    if scheduler is not None and "://" not in scheduler:
        raise ZooError(f"--scheduler {scheduler!r}: expected an address like tcp://HOST:PORT")
    cache: str | bool = True if args.cache is None else args.cache
    folder = cache_folder(cache)
    if folder is not None:
        writable_folder(folder, "--cache")
    return Executor(args.workers, scheduler, cache)
