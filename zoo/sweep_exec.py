"""Sweeps as Dask tasks: many small fits (a family on one split with one seed) run serially in
this process, on a local cluster of worker processes, or on an existing Dask cluster.

A task is a plain JSON-able spec (``{"family": ..., "split": ..., "seed": ...}``) handed to a
top-level function named as ``"module:function"``, so that any worker that can import the
zoo can run it. Results come back JSON-able and in the order of the specs, whatever order the
workers finish in, so the same specs give the same results on any executor.

* ``workers=0``: serial, in this process (for debugging; the same code path otherwise).
* default: a ``LocalCluster`` of worker processes, one thread each, started by spawn (no
  forked JAX state), each with its JAX set up before it computes (:class:`JaxSetup`).
* ``scheduler="tcp://HOST:PORT"`` (or ``$ZOO_SCHEDULER``): an existing cluster.

A task that raises is reported by name (family, split, seed) and the others still finish.
Finished results are cached as JSON, keyed by a digest of the function, the spec and the
zoo's code, so an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ZooError

__all__ = [
    "SCHEDULER_ENV",
    "CACHE_ENV",
    "Outcome",
    "cache_folder",
    "describe",
    "file_key",
    "local_cluster",
    "run_tasks",
    "worker_env",
]

SCHEDULER_ENV = "ZOO_SCHEDULER"
CACHE_ENV = "ZOO_SWEEP_CACHE"
_OFF = ("", "0", "off", "none")
#: the spec keys that name a task in progress lines and failures, in this order
_NAMING = ("family", "program", "split", "seed", "replication", "size")


@dataclass
class Outcome:
    """What a sweep gave: ``results[i]`` for ``specs[i]`` (None where the task failed),
    the failures (each ``{"task", "spec", "error"}``), and how many came from the cache."""

    results: list[dict | None]
    failures: list[dict] = field(default_factory=list)
    cached: int = 0
    ran: int = 0


def describe(spec: dict) -> str:
    """A task's name for people: ``family naive-bayes, split 2, seed 1``."""
    parts = [f"{k} {spec[k]}" for k in _NAMING if k in spec]
    return ", ".join(parts) or json.dumps(spec, sort_keys=True)


def cache_folder(cache: str | os.PathLike[str] | bool | None = True) -> Path | None:
    """The result cache: True for ``$ZOO_SWEEP_CACHE`` or else ``~/.cache/model-zoo/sweeps``;
    a folder; False/None/"off" for none."""
    if cache is True:
        env = os.environ.get(CACHE_ENV)
        if env is None:
            return Path.home() / ".cache" / "model-zoo" / "sweeps"
        cache = env
    if cache is None or cache is False or str(cache).lower() in _OFF:
        return None
    return Path(cache)


def file_key(path: str, what: str) -> dict[str, str]:
    """A file as a task names it: ``{what: absolute path, what_sha256: content digest}``, so
    that workers find it on a shared file system and an edited file is a new task."""
    resolved = Path(path).resolve()
    try:
        digest = hashlib.sha256(resolved.read_bytes()).hexdigest()
    except OSError as err:
        raise ZooError(f"{what} file {path!r}: cannot read it ({err.strerror})") from None
    return {what: str(resolved), f"{what}_sha256": digest}


def _code_digest() -> str:
    """A digest of the zoo's source: a changed zoo never reads results the old one cached."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _key(function: str, spec: dict, code: str) -> str:
    text = json.dumps({"function": function, "spec": spec, "code": code}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _read(folder: Path | None, key: str, spec: dict) -> dict | None:
    if folder is None:
        return None
    try:
        record = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # absent, or cut short by a crash: computed again
    if not isinstance(record, dict) or record.get("spec") != spec:
        return None
    result = record.get("result")
    return result if isinstance(result, dict) else None


def _write(folder: Path | None, key: str, spec: dict, result: dict) -> None:
    if folder is None:
        return
    from graphs.files import atomic_path

    with atomic_path(folder / f"{key}.json") as tmp:
        tmp.write_text(json.dumps({"spec": spec, "result": result}, sort_keys=True), "utf-8")


def _open_cache(folder: Path | None) -> Path | None:
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.chmod(0o700)  # results of the user's data: theirs alone
    except OSError as err:
        raise ZooError(f"sweep cache {str(folder)!r}: cannot use it ({err.strerror})") from None
    return folder


def call(function: str, spec: dict) -> dict:
    """Run one task: ``function`` (``"module:function"``) on ``spec``; what workers execute."""
    import importlib

    module, _, name = function.partition(":")
    result = getattr(importlib.import_module(module), name)(spec)
    if not isinstance(result, dict):
        raise TypeError(f"{function} returned {type(result).__name__}, expected a dict")
    return result


def _jsonable(result: dict) -> dict:
    """``result`` as its JSON round trip: a fresh result equals the cached one."""
    out: dict = json.loads(json.dumps(result, sort_keys=True))
    return out


def _error(err: BaseException) -> str:
    return " ".join(f"{type(err).__name__}: {err}".split())


def run_tasks(
    function: str,
    specs: Sequence[dict],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    cache: str | os.PathLike[str] | bool | None = True,
    progress: bool = False,
    what: str = "tasks",
    say: Callable[[str], None] | None = None,
    affinity: str | None = None,
) -> Outcome:
    """Run ``function`` on every spec and return the :class:`Outcome`, results in spec order.

    ``workers``: 0 for serial in this process, N for a local cluster of N worker processes
    (default: one per core); ``scheduler``: an existing cluster's address (default
    ``$ZOO_SCHEDULER``), which wins over ``workers``. ``cache``: see :func:`cache_folder`.
    ``progress``: a bar of tasks done/total on standard error; ``say``: one line per failure.
    ``affinity``: a spec key (``"family"``) whose tasks prefer one worker, so that a worker
    compiles each family's programs once; an idle worker still steals them.
    """
    specs = [_jsonable(dict(s)) for s in specs]  # as the cache stores them
    if workers is not None and (isinstance(workers, bool) or workers < 0):
        raise ZooError(f"--workers must be an integer >= 0, got {workers!r}")
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    folder = _open_cache(cache_folder(cache))
    code = _code_digest()
    keys = [_key(function, s, code) for s in specs]
    outcome = Outcome([None] * len(specs))
    todo = []
    for i, (key, spec) in enumerate(zip(keys, specs, strict=True)):
        hit = _read(folder, key, spec)
        if hit is None:
            todo.append(i)
        else:
            outcome.results[i] = hit
            outcome.cached += 1

    failed: list[tuple[int, dict]] = []
    if say is not None and progress:
        say = _above_bar(say)

    def done(i: int, result: dict | None, err: BaseException | None) -> None:
        if err is not None:
            failure = {"task": describe(specs[i]), "spec": specs[i], "error": _error(err)}
            failed.append((i, failure))
            if say is not None:
                say(f"task failed: {failure['task']}: {failure['error']}")
            return
        assert result is not None
        outcome.results[i] = result = _jsonable(result)
        _write(folder, keys[i], specs[i], result)
        outcome.ran += 1

    if todo:
        if scheduler is None and workers == 0:
            _serial(function, specs, todo, done, progress, what)
        else:
            groups = [specs[i].get(affinity) for i in todo] if affinity else None
            with _client(workers, scheduler) as client:
                _distributed(client, function, specs, keys, todo, done, progress, what, groups)
    outcome.failures = [f for _, f in sorted(failed, key=lambda pair: pair[0])]
    return outcome


def _above_bar(say: Callable[[str], None]) -> Callable[[str], None]:
    from .progress import writing

    def above(line: str) -> None:
        with writing():
            say(line)

    return above


def _bar(items: Iterator[Any], progress: bool, what: str, total: int) -> Iterator[Any]:
    if not progress:
        return items
    from .progress import tasks

    return tasks(items, what, total)


def _serial(
    function: str,
    specs: list[dict],
    todo: list[int],
    done: Callable[[int, dict | None, BaseException | None], None],
    progress: bool,
    what: str,
) -> None:
    for i in _bar(iter(todo), progress, what, len(todo)):
        try:
            result = call(function, specs[i])
        except Exception as err:  # named and reported; the other tasks still run
            done(i, None, err)
        else:
            done(i, result, None)


def worker_env() -> dict[str, str]:
    """The environment of each local worker process: JAX on the CPU with the zoo's host
    devices, and the same compilation cache folder as this process."""
    from . import _jax

    env = {
        "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu"),
        "XLA_FLAGS": os.environ.get("XLA_FLAGS")
        or f"{_jax._FLAG}={_jax.HOST_DEVICES}",  # the flag the zoo's setup() writes
    }
    folder = _jax.cache_dir()
    env["ZOO_JAX_CACHE"] = folder if folder is not None else "off"
    return env


def local_cluster(workers: int) -> Any:
    """A ``LocalCluster`` of ``workers`` spawned processes with one thread each (the caller
    closes it)."""
    import logging

    import dask
    from distributed import LocalCluster

    settings = {
        "distributed.worker.multiprocessing-method": "spawn",
        # Dask sets MALLOC_TRIM_THRESHOLD_ in each worker, which also turns off glibc's
        # adaptive mmap threshold: large arrays are then mapped and faulted in afresh each
        # time, and a sweep's tasks ran 7% slower (serial on one core, with it set)
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    }
    with dask.config.set(settings):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # no dashboard, and the scheduler's other HTTP routes on a free port, not 8787
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
            env=worker_env(),
        )


@contextmanager
def _client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    from distributed import Client

    from ._sweep_worker import JaxSetup

    cluster = None
    local = 0
    if scheduler is not None:
        if "://" not in scheduler:
            raise ZooError(f"--scheduler {scheduler!r}: expected an address like tcp://HOST:PORT")
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:
            raise ZooError(f"--scheduler {scheduler}: cannot connect ({_error(err)})") from None
    else:
        n = workers or os.cpu_count() or 1
        try:
            cluster = local_cluster(n)
        except Exception as err:  # most often a script without a main guard (spawn)
            raise ZooError(
                f"could not start {n} local Dask worker processes ({_error(err)}); a script "
                "that runs a sweep needs an `if __name__ == '__main__':` guard, or use "
                "--workers 0 (serial)"
            ) from err
        client = Client(cluster)
        local = n
    try:
        client.register_plugin(JaxSetup(local), name="zoo-jax-setup")
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class _Dealer:
    """Which task a worker runs next. With groups (``affinity``), a worker keeps to the group
    it holds, so it compiles each group's programs once; one that has finished its group takes
    the next unclaimed group, and when none is left, a task of the group with the most left,
    rather than sit idle. Without groups, tasks go in spec order."""

    def __init__(self, todo: list[int], groups: list | None) -> None:
        self.left: dict[Any, list[int]] = {}
        for i, g in zip(todo, groups or [None] * len(todo), strict=True):
            self.left.setdefault(g, []).append(i)
        self.unclaimed = list(self.left)  # in order of first appearance
        self.held: dict[str, Any] = {}

    def next_for(self, worker: str) -> int | None:
        g = self.held.get(worker)
        if worker not in self.held or not self.left[g]:  # None is a group: tasks without one
            while self.unclaimed and not self.left[self.unclaimed[0]]:
                self.unclaimed.pop(0)
            if self.unclaimed:
                g = self.unclaimed.pop(0)
            else:
                busiest = max(self.left, key=lambda k: len(self.left[k]))
                if not self.left[busiest]:
                    return None
                g = busiest
            self.held[worker] = g
        return self.left[g].pop(0)


def _slots(client: Any) -> dict[str, int]:
    """Each worker's address and how many tasks it runs at once (its threads)."""
    return {addr: max(1, int(n)) for addr, n in client.ncores().items()}


def _distributed(
    client: Any,
    function: str,
    specs: list[dict],
    keys: list[str],
    todo: list[int],
    done: Callable[[int, dict | None, BaseException | None], None],
    progress: bool,
    what: str,
    groups: list | None,
) -> None:
    """Tasks handed to workers as they free up (one per worker thread), not all at once: a
    worker then runs its group's tasks back to back and never waits behind another's queue,
    and a worker that joins mid-sweep gets work at the next completion."""
    from distributed import as_completed

    dealer = _Dealer(todo, groups)
    running: dict[Any, tuple[int, str]] = {}
    pending = as_completed()

    def feed() -> None:
        slots = _slots(client)
        busy: dict[str, int] = {}
        for _, addr in running.values():
            busy[addr] = busy.get(addr, 0) + 1
        for addr in sorted(slots):
            for _ in range(slots[addr] - busy.get(addr, 0)):
                i = dealer.next_for(addr)
                if i is None:
                    return
                # a worker that leaves hands its task to another (allow_other_workers)
                future = client.submit(
                    call,
                    function,
                    specs[i],
                    key=f"zoo-{what}-{i}-{keys[i][:16]}",
                    workers=[addr],
                    allow_other_workers=True,
                )
                running[future] = (i, addr)
                pending.add(future)

    if not _slots(client):
        try:
            client.wait_for_workers(1, timeout=60)
        except TimeoutError:
            raise ZooError("no Dask worker joined the scheduler within 60 s") from None
    feed()
    for future in _bar(pending, progress, what, len(todo)):
        i, _ = running.pop(future)
        if future.status == "error":
            done(i, None, future.exception())
        else:
            done(i, future.result(), None)
        future.release()
        feed()
