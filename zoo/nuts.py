"""NUTS compiled once per model shape and reused, chains in parallel across host devices.

``numpyro.infer.MCMC`` re-traces and recompiles its loop on every ``run`` (numpyro 0.22), and
``warmup()`` followed by ``run()`` compiles twice. Here numpyro's own NUTS kernels
(``hmc(algo="NUTS")``) advance every chain by a fixed number of iterations per call of one
compiled function whose arguments are the sampler state and the data; warm-up and sampling
call the same function (the kernel's iteration counter tells them apart), so a fit compiles
once, and a later fit of the same shape (same program, same array shapes, same settings)
compiles nothing. Between calls the host reports progress.

Tracing and lowering numpyro's kernels costs seconds in every new process, which the
persistent XLA cache cannot save (it keys on the lowered module). So the sampler is exported
(``jax.export``) to :data:`zoo._jax.EXPORT_DIR` under a digest of the program's log density
as a jaxpr, the shapes and the settings; a later process that computes the same digest
deserialises it, traces one call, and gets the compiled code from the XLA cache.

Each chain starts uniformly in [-2, 2] on the unconstrained scale (numpyro's
``init_to_uniform``), adapts its step size and a diagonal mass matrix over the warm-up as
``MCMC`` does, and records the sampler statistics ``MCMC`` records.

This module runs and caches samplers; ``zoo._nuts_engine`` builds their functions and
``zoo._nuts_export`` persists them.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _jax
from ._nuts_engine import FIELDS, _functions, chain_mesh, model_info
from ._nuts_export import _callable, _digest, _export, _read, _write
from .errors import ZooError

__all__ = [
    "CACHE_SIZE",
    "FIELDS",
    "MAX_CHUNK",
    "Stats",
    "arviz_stats",
    "chunk_size",
    "clear_cache",
    "layout",
    "model_info",
    "sample",
]

#: iterations per compiled call: progress granularity against per-call dispatch
MAX_CHUNK = 250
#: compiled samplers kept in memory, least recently used dropped first
CACHE_SIZE = 16

_lock = threading.Lock()
_cache: dict[Hashable, _Sampler] = {}


@dataclass
class Stats:
    """What one :func:`sample` call did: where its sampler came from, gradient evaluations,
    chunks. ``source`` is ``"traced"`` (built here), ``"disk"`` (an earlier process's export:
    nothing traced, the compiled code from the persistent XLA cache) or ``"memory"``
    (reused in this process: nothing traced or compiled)."""

    source: str
    gradients: int
    chunk: int
    layout: tuple[int, int]

    @property
    def compiled(self) -> bool:
        """True unless the compiled sampler was reused from memory."""
        return self.source != "memory"

    @property
    def chain_method(self) -> str:
        """``"parallel"`` when chains ran on several devices, else ``"vectorized"``."""
        return "parallel" if self.layout[0] > 1 else "vectorized"


def arviz_stats(stats: dict, offset: float = 0.0) -> dict:
    """The sampler statistics under ArviZ's ``sample_stats`` names; ``lp`` is the log density
    with ``offset`` (a constant the program dropped) added back in float64."""
    return {
        "diverging": stats["diverging"],
        "energy": stats["energy"],
        "n_steps": stats["num_steps"],
        "acceptance_rate": stats["accept_prob"],
        "lp": offset - stats["potential_energy"].astype(np.float64),
    }


def chunk_size(warmup: int, draws: int) -> int:
    """The largest divisor of ``gcd(warmup, draws)`` no bigger than :data:`MAX_CHUNK`, so both
    phases end on a call boundary."""
    g = math.gcd(warmup, draws)
    return max(d for d in range(1, min(g, MAX_CHUNK) + 1) if g % d == 0)


def layout(chains: int, devices: int) -> tuple[int, int]:
    """``(devices used, chains per device)``: as many devices as divide the chains evenly."""
    used = max(d for d in range(1, min(chains, devices) + 1) if chains % d == 0)
    return used, chains // used


class _Sampler:
    """One program's sampler at one set of shapes and settings: traced here (and exported
    to :data:`zoo._jax.EXPORT_DIR`), or read back from an earlier process's export."""

    def __init__(self, calls: dict, settings: dict) -> None:
        from jax.sharding import NamedSharding, PartitionSpec

        self.settings = settings
        self._init, self._advance = calls["init"], calls["advance"]
        self._constrain = calls["constrain"]
        self._compiled: tuple[Any, ...] | None = None  # (init, advance, constrain) once compiled
        self.devices, self.per_device = settings["layout"]
        self._whole = NamedSharding(calls["mesh"], PartitionSpec())  # the functions' own mesh

    @classmethod
    def build(
        cls,
        program: Callable[..., Any],
        data: dict[str, Any],
        reference: dict[str, Any] | None,
        key: Any,
        settings: dict[str, Any],
    ) -> tuple[_Sampler, str, str]:
        """``(sampler, digest, source)``: from memory or the export on disk when there is
        one, else traced (and exported for the next process)."""
        info = model_info(program, data)
        digest = _digest(info, data, reference, settings)
        with _lock:
            if digest in _cache:
                return _cache[digest], digest, "memory"
        path = os.path.join(_jax.EXPORT_DIR, f"{digest}.nuts") if _jax.EXPORT_DIR else None
        exported = _read(path) if path and os.path.exists(path) else None
        if exported is not None:
            mesh = chain_mesh(settings["layout"][0])
            return cls(_callable(exported, mesh), settings), digest, "disk"
        functions = _functions(info, settings, jax.tree_util.tree_structure(data))
        try:
            chains = settings["layout"][0] * settings["layout"][1]
            leaves = jax.tree_util.tree_leaves(data)
            draws = settings["draws"]
            exported = _export(functions, key, leaves, reference, info[2], chains, draws)
        except Exception:  # a program jax.export refuses (host callbacks, say): run it jitted
            return cls(functions, settings), digest, "traced"
        if path:
            _write(path, exported)
        return cls(_callable(exported, functions["mesh"]), settings), digest, "traced"

    def _compile(self, key: Any, kwargs: Any, reference: Any, one: Any) -> tuple[Any, ...]:
        """The three functions lowered here and compiled side by side in threads (XLA
        compiles without the GIL): cold, the start and the block of iterations take seconds
        each. The threads' seconds count as compilation in the caller's stopwatch."""
        from concurrent.futures import ThreadPoolExecutor

        init = self._init.lower(key, kwargs, reference)
        state = init.out_info[0]
        advance = self._advance.lower(state, kwargs)
        z = advance.out_info[1]
        n = self.devices * self.per_device * self.settings["draws"]
        z = {k: jax.ShapeDtypeStruct((n, *v.shape[2:]), v.dtype) for k, v in z.items()}
        constrain = self._constrain.lower(z, one)
        start = time.perf_counter()
        with ThreadPoolExecutor(3) as pool:
            jobs = [pool.submit(lowered.compile) for lowered in (init, advance, constrain)]
            done = tuple(job.result() for job in jobs)
        _jax.add_compile(time.perf_counter() - start)
        return done

    def run(
        self,
        key: Any,
        kwargs: dict[str, Any],
        reference: dict[str, Any] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], int]:
        """``(constrained draws (chains, draws, ...), stats (chains, draws), gradients)``."""
        s = self.settings
        chains = self.devices * self.per_device
        leaves = jax.tree_util.tree_leaves(kwargs)
        key, leaves, reference = jax.device_put((key, leaves, reference), self._whole)
        one = jax.device_put(leaves, jax.devices()[0])  # constrain runs on one device
        if self._compiled is None:
            self._compiled = self._compile(key, leaves, reference, one)
        init, advance, constrain = self._compiled
        state, potential = init(key, leaves, reference)
        if not np.isfinite(np.asarray(potential)).all():
            raise ZooError(
                "NUTS found no starting point with a finite log density and gradient in 100 "
                "uniform draws on [-2, 2] (unconstrained scale); check the program's priors "
                "and that the data lie in the likelihood's support"
            )
        total = s["warmup"] + s["draws"]
        zs, stats, gradients = [], [], 0
        for done in range(0, total, s["chunk"]):
            state, z, st = advance(state, leaves)
            gradients += int(np.asarray(st["num_steps"]).sum())
            if done >= s["warmup"]:
                zs.append(z)
                stats.append(st)
            if progress is not None:
                progress(done + s["chunk"], total)

        def merge(parts):  # (chains, chunk, ...) per call -> (chains, draws, ...)
            return np.concatenate([np.asarray(p) for p in parts], axis=1)

        z = jax.tree_util.tree_map(lambda *p: merge(p), *zs)
        st = {f: merge([x[f] for x in stats]) for f in FIELDS}
        flat = jax.tree_util.tree_map(lambda a: a.reshape(-1, *a.shape[2:]), z)
        draws = constrain(flat, one)
        draws = {
            k: np.asarray(v).reshape(chains, s["draws"], *v.shape[1:]) for k, v in draws.items()
        }
        return draws, st, gradients


def _is_data(value: Any) -> bool:
    leaves = jax.tree_util.tree_leaves(value)
    return bool(leaves) and all(isinstance(v, np.ndarray | jax.Array) for v in leaves)


def sample(
    program: Callable[..., Any],
    kwargs: dict[str, Any],
    key: Any,
    *,
    chains: int,
    warmup: int,
    draws: int,
    target_accept: float = 0.8,
    cache_key: Hashable | None = None,
    reference: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], Stats]:
    """Run NUTS on ``program(**kwargs)``; returns ``(draws, stats, Stats)``.

    ``draws`` maps every sample and deterministic site to ``(chains, draws, ...)``, ``stats``
    every name in :data:`FIELDS` to ``(chains, draws)``. Array arguments are the compiled
    function's inputs; any other argument (a number of states, say) is fixed into it.

    The compiled sampler is kept, in memory and (exported with ``jax.export``) on disk, under
    a digest of the program's log density as a jaxpr, the array shapes and the settings: a
    later fit of the same program at the same shapes, in this process or another, traces
    nothing, and the persistent XLA cache then gives its compiled code. ``cache_key``, when
    given, names the program together with everything it closes over, and lets a fit in this
    process skip even the digest. ``progress(done, total)`` is called between calls.

    ``reference`` (site -> ``(n, ...)`` draws, constrained) sets the starting diagonal mass
    matrix to their variance on the unconstrained scale: where a family knows its posterior
    (the conjugate tabular ones draw it exactly), the early warm-up then takes short
    trajectories instead of ones sized for the identity. Warm-up still adapts it, and the
    chains still start uniformly in [-2, 2], so the target and the checks are unchanged.
    """
    _jax.ensure()
    chunk = chunk_size(warmup, draws)
    devices, per_device = layout(chains, _jax.device_count())
    settings = {
        "warmup": warmup,
        "draws": draws,
        "target_accept": float(target_accept),
        "chunk": chunk,
        "layout": (devices, per_device),
    }
    data = {k: v for k, v in kwargs.items() if _is_data(v)}
    fixed = {k: v for k, v in kwargs.items() if k not in data}
    if fixed:
        program = partial(program, **fixed)
    if jnp.issubdtype(jnp.asarray(key).dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    key = np.asarray(key)
    full_key = None
    if cache_key is not None:
        shapes = jax.tree_util.tree_map(lambda a: (a.shape, str(a.dtype)), data)
        full_key = (
            cache_key,
            str(jax.tree_util.tree_structure(data)),
            str(shapes),
            repr(sorted(fixed.items())),
            None if reference is None else str(jax.tree_util.tree_map(np.shape, reference)),
            tuple(sorted(settings.items())),
        )
    with _lock:
        sampler = _cache.get(full_key) if full_key is not None else None
    names: list[Hashable] = [full_key] if full_key is not None else []
    source = "memory"
    if sampler is None:
        sampler, digest, source = _Sampler.build(program, data, reference, key, settings)
        names.append(digest)
    with _lock:  # most recently used last; the oldest go past CACHE_SIZE
        for name in names:
            _cache.pop(name, None)
            _cache[name] = sampler
        while len(_cache) > CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
    out, stats, gradients = sampler.run(key, data, reference, progress)
    return out, stats, Stats(source, gradients, chunk, (devices, per_device))


def clear_cache() -> None:
    """Forget every compiled sampler (the persistent XLA cache on disk stays)."""
    with _lock:
        _cache.clear()
