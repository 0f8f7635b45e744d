"""JAX set-up for the inference modules: host devices for parallel chains, a persistent
compilation cache, the folder of exported samplers, and a clock for compilation time.

Importing this module changes nothing and imports no JAX. :func:`setup` (public as
``zoo.setup``) applies the settings; :func:`ensure` applies the defaults once where nobody
called :func:`setup`, and the inference entry points call it before they compute.

Parallel NUTS chains need one host device per chain, which XLA reads from ``XLA_FLAGS`` when
its CPU backend starts (the first computation, not ``import jax``); so :func:`setup` has to
come before anything computes.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

HOST_DEVICES = 4
_FLAG = "--xla_force_host_platform_device_count"
#: the values of ``ZOO_JAX_CACHE`` (or of ``setup(cache=...)``) that turn the cache off
CACHE_OFF = ("", "0", "off", "none")

_lock = threading.RLock()
# what setup applied: whether it ran, the cache folder (None: off), the XLA_FLAGS value it
# wrote and the JAX cache folder it set (so that a second call may replace its own values)
_state: dict = {"done": False, "cache": None, "xla_flags": None, "jax_cache": None}
_warned = False
_listening = False


def setup(
    host_devices: int | None = HOST_DEVICES, cache: str | os.PathLike[str] | bool | None = True
) -> None:
    """Set JAX up for the zoo: ``host_devices`` CPU devices for parallel chains and a
    persistent compilation cache. Call it before the first JAX computation.

    ``host_devices``: the number of host (CPU) devices XLA makes, one per parallel NUTS chain;
    None leaves ``XLA_FLAGS`` alone. A device count already in ``XLA_FLAGS`` that the zoo did
    not write is the user's and wins. Once JAX's backend has started the count is fixed: a
    different one is a warning (once), not an error.

    ``cache``: True for ``$ZOO_JAX_CACHE`` or else ``~/.cache/model-zoo/jax``; a folder; or
    False/None (or ``"off"``) for none. Compiled XLA programs persist there between processes
    (unless JAX's own cache folder is already set), and :mod:`zoo.nuts` keeps exported
    samplers in its ``nuts`` subfolder. A folder that cannot be created means no cache.
    """
    from .errors import ZooError

    if host_devices is not None and (
        isinstance(host_devices, bool) or not isinstance(host_devices, int) or host_devices < 1
    ):
        raise ZooError(f"host_devices must be an integer >= 1 or None, got {host_devices!r}")
    with _lock:
        if host_devices is not None:
            _host_devices(host_devices)
        folder = _cache_folder(cache)
        _state.update(done=True, cache=folder)
        _persistent_cache(folder)
    _quiet_tqdm_auto()


def _quiet_tqdm_auto() -> None:
    # NumPyro imports tqdm.auto, which in a notebook kernel without ipywidgets warns that it
    # cannot draw widgets; the zoo draws its own bars (zoo.progress), so the warning says
    # nothing to its users. Imported once here, quietly, it stays imported.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        import tqdm.auto  # noqa: F401


def ensure() -> None:
    """Apply :func:`setup`'s defaults unless it has run: for the entry points that compute."""
    with _lock:
        if not _state["done"]:
            setup()


def _cache_folder(cache: str | os.PathLike[str] | bool | None) -> str | None:
    if cache is True:
        cache = os.environ.get("ZOO_JAX_CACHE")
        if cache is None:
            return os.path.join(os.path.expanduser("~"), ".cache", "model-zoo", "jax")
    if cache is None or cache is False:
        return None
    cache = os.fspath(cache)
    return None if cache.lower() in CACHE_OFF else cache


def cache_dir() -> str | None:
    """The persistent cache folder: :func:`setup`'s, or the one it would choose by default;
    None when off."""
    return _state["cache"] if _state["done"] else _cache_folder(True)


def export_dir() -> str | None:
    """Where :mod:`zoo.nuts` keeps exported samplers (``jax.export``), so that a later process
    traces nothing; None when the cache is off."""
    folder = cache_dir()
    return None if folder is None else os.path.join(folder, "nuts")


def __getattr__(name: str) -> str | None:
    # CACHE_DIR and EXPORT_DIR follow setup(): read at use, never fixed at import
    if name == "CACHE_DIR":
        return cache_dir()
    if name == "EXPORT_DIR":
        return export_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _backend_started() -> bool:
    if "jax" not in sys.modules:
        return False
    from jax._src import xla_bridge

    return xla_bridge.backends_are_initialized()


def _host_devices(count: int) -> None:
    global _warned
    if _backend_started():
        import jax

        have = len(jax.devices("cpu"))
        if have != count and not _warned:
            _warned = True
            warnings.warn(
                f"zoo.setup(host_devices={count}) came after JAX started with {have} host "
                "devices; parallel chains use those (call zoo.setup before anything computes)",
                RuntimeWarning,
                stacklevel=3,
            )
        return
    flags = os.environ.get("XLA_FLAGS", "")
    ours = _state["xla_flags"]
    if _FLAG in flags and flags != ours:
        return  # the user's own count
    if flags == ours:  # replace the count written before
        flags = re.sub(rf"\s*{_FLAG}=\d+", "", flags)
    value = f"{flags} {_FLAG}={count}".strip()
    os.environ["XLA_FLAGS"] = value
    _state["xla_flags"] = value


def _persistent_cache(folder: str | None) -> None:
    import jax

    current = jax.config.jax_compilation_cache_dir  # type: ignore[attr-defined]  # set at run time
    if current and current != _state["jax_cache"]:
        return  # the user's own cache
    if folder is not None:
        try:
            private_folder(folder)
        except OSError:
            folder = None  # a read-only home: compile every time rather than fail
    if folder == current:
        return
    jax.config.update("jax_compilation_cache_dir", folder)
    _state["jax_cache"] = folder
    if folder is not None:
        # only programs that took a while to compile: small ones are cheaper to rebuild
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
        _drop_corrupt_entries()


def private_folder(folder: str | os.PathLike[str]) -> None:
    """Make ``folder`` (and any missing parents) readable by its owner only (0700): the
    caches hold code that later runs. A folder that exists already keeps its mode."""
    missing = []
    path = os.path.abspath(folder)
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        missing.append(path)
        path = os.path.dirname(path)
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue  # made meanwhile by another process
        os.chmod(path, 0o700)  # whatever the umask


def _drop_corrupt_entries() -> None:
    """JAX warns about a persistent-cache entry it cannot read and compiles afresh, but never
    replaces the entry (it writes only absent keys), so the warning came back on every run.
    Deleting the entry when its read fails lets the fresh compile write it again."""
    try:  # JAX internals: where they have moved, JAX's own behaviour stays
        from jax._src import compilation_cache, lru_cache

        read = compilation_cache.get_executable_and_time
        suffixes = (lru_cache._CACHE_SUFFIX, getattr(lru_cache, "_ATIME_SUFFIX", ""))
    except (ImportError, AttributeError):
        return
    if getattr(read, "_zoo", False):
        return

    def get_executable_and_time(cache_key: str, *args: object, **kwargs: object) -> object:
        try:
            return read(cache_key, *args, **kwargs)
        except Exception:
            folder = _state["jax_cache"]
            if folder is not None:
                for suffix in filter(None, suffixes):
                    try:
                        os.remove(os.path.join(folder, f"{cache_key}{suffix}"))
                    except OSError:
                        pass
            raise  # JAX warns once and compiles

    get_executable_and_time._zoo = True  # type: ignore[attr-defined]
    compilation_cache.get_executable_and_time = get_executable_and_time  # type: ignore[assignment]


_COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)
_local = threading.local()


def _listener(event: str, duration_secs: float, **_: str | int) -> None:
    if event in _COMPILE_EVENTS and getattr(_local, "clocks", None):
        for clock in _local.clocks:
            clock["compile"] += duration_secs


def _listen() -> None:
    global _listening
    with _lock:
        if not _listening:
            from jax import monitoring

            monitoring.register_event_duration_secs_listener(_listener)
            _listening = True


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """Measures wall seconds and the part of them JAX spent tracing and compiling."""
    _listen()
    clock = {"compile": 0.0, "total": 0.0}
    _local.clocks = [*getattr(_local, "clocks", []), clock]
    start = time.perf_counter()
    try:
        yield clock
    finally:
        clock["total"] = time.perf_counter() - start
        _local.clocks = [c for c in _local.clocks if c is not clock]


def add_compile(seconds: float) -> None:
    """Count ``seconds`` as compilation in this thread's open stopwatches: for compiles run
    in other threads, whose events this thread's stopwatches do not see."""
    for clock in getattr(_local, "clocks", None) or []:
        clock["compile"] += seconds


def device_count() -> int:
    """Host devices JAX sees: parallel NUTS chains run one per device."""
    import jax

    return jax.local_device_count()
