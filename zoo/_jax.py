"""JAX set-up shared by the inference modules: host devices for parallel chains, a
persistent compilation cache, and a clock for compilation time.

Parallel NUTS chains need one host device per chain, which XLA reads from ``XLA_FLAGS``
when its CPU backend starts; so this module sets the flag before anything computes.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager

HOST_DEVICES = 4
_FLAG = "--xla_force_host_platform_device_count"

if _FLAG not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_FLAG}={HOST_DEVICES}".strip()

import jax  # noqa: E402  (after the flag, on purpose)
from jax import monitoring  # noqa: E402

#: where compiled XLA programs persist between processes; ZOO_JAX_CACHE=off turns it off
CACHE_DIR = os.environ.get(
    "ZOO_JAX_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "model-zoo", "jax")
)


def _persistent_cache() -> None:
    if CACHE_DIR.lower() in ("", "0", "off", "none") or jax.config.jax_compilation_cache_dir:
        return  # off, or the user's own cache is set
    try:
        os.makedirs(CACHE_DIR, exist_ok=True)
    except OSError:
        return  # a read-only home: compile every time rather than fail
    jax.config.update("jax_compilation_cache_dir", CACHE_DIR)
    # only programs that took a while to compile: small ones are cheaper to rebuild than to read
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)


_persistent_cache()

#: where :mod:`zoo.nuts` keeps exported samplers (``jax.export``), so that a later process
#: traces nothing; None when the cache is off
EXPORT_DIR = (
    None if CACHE_DIR.lower() in ("", "0", "off", "none") else os.path.join(CACHE_DIR, "nuts")
)

_COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)
_local = threading.local()


def _listener(event: str, duration: float, **_) -> None:
    if event in _COMPILE_EVENTS and getattr(_local, "clocks", None):
        for clock in _local.clocks:
            clock["compile"] += duration


monitoring.register_event_duration_secs_listener(_listener)


@contextmanager
def stopwatch():
    """Measures wall seconds and the part of them JAX spent tracing and compiling."""
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
    return jax.local_device_count()
