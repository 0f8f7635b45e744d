"""NUTS compiled once per model shape and reused, chains in parallel across host devices.

``numpyro.infer.MCMC`` re-traces and recompiles its loop on every ``run`` (numpyro 0.22), and
``warmup()`` followed by ``run()`` compiles twice. Here numpyro's own NUTS kernels
(``hmc(algo="NUTS")``) advance every chain by a fixed number of iterations per call of one
compiled function whose arguments are the sampler state and the data; warm-up and sampling
call the same function (the kernel's iteration counter tells them apart), so a fit compiles
once, and a later fit of the same shape (same program, same array shapes, same settings)
compiles nothing. Between calls the host reports progress.

Each chain starts uniformly in [-2, 2] on the unconstrained scale (numpyro's
``init_to_uniform``), adapts its step size and a diagonal mass matrix over the warm-up as
``MCMC`` does, and records the sampler statistics ``MCMC`` records.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from . import _jax

#: sampler statistics recorded per draw, as ``MCMC``'s ``extra_fields`` name them
FIELDS = ("diverging", "energy", "num_steps", "accept_prob", "potential_energy")
#: iterations per compiled call: progress granularity against per-call dispatch
MAX_CHUNK = 250
#: compiled samplers kept in memory, least recently used dropped first
CACHE_SIZE = 16

_lock = threading.Lock()
_cache: dict[Hashable, _Sampler] = {}


@dataclass
class Stats:
    """What one :func:`sample` call did: compiled or reused, gradient evaluations, chunks."""

    compiled: bool
    gradients: int
    chunk: int
    layout: tuple[int, int]

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


def _constant(support) -> bool:
    """True when a support's bounds are plain numbers, not values computed in the program."""
    bounds = [getattr(support, k, 0.0) for k in ("lower_bound", "upper_bound")]
    return all(isinstance(v, int | float) for v in bounds)


def model_info(program, kwargs: dict):
    """``(potential_fn_gen, postprocess_fn_gen, unconstrained shapes, transforms)`` of
    ``program``: what numpyro's NUTS kernels need, and each latent site's bijection.

    The program is traced abstractly (``jax.eval_shape``), so nothing computes or compiles
    here; ``numpyro.infer.util.initialize_model`` instead runs an initial-value search op by
    op, which costs seconds of compilation before sampling starts.
    """
    from numpyro import handlers
    from numpyro.distributions.transforms import biject_to
    from numpyro.infer.initialization import init_to_uniform
    from numpyro.infer.util import get_potential_fn

    found = {}
    # values come from the initialisation rule, not the prior: an improper prior has no sampler
    seeded = handlers.substitute(handlers.seed(program, 0), substitute_fn=init_to_uniform)

    def probe(kw):
        tr = handlers.trace(seeded).get_trace(**kw)
        found["trace"] = {
            name: (site["type"], site.get("is_observed"), site.get("fn"))
            for name, site in tr.items()
        }
        return {
            name: site["value"]
            for name, site in tr.items()
            if site["type"] == "sample" and not site["is_observed"]
        }

    values = jax.eval_shape(probe, kwargs)
    transforms, replay = {}, False
    for name, (kind, observed, fn) in found["trace"].items():
        if kind in ("param", "mutable"):
            raise ValueError(f"site {name!r}: NUTS here samples programs without param sites")
        if kind == "deterministic":
            replay = True
        if kind != "sample" or observed:
            continue
        if fn.support.is_discrete:
            raise ValueError(f"site {name!r} is a discrete latent site; NUTS needs it summed out")
        if not _constant(fn.support):
            replay = True  # a support computed in the program: constrain by replaying it
        transforms[name] = biject_to(fn.support)
    shapes = {
        name: (t.inverse_shape(values[name].shape), values[name].dtype)
        for name, t in transforms.items()
    }
    potential_gen, postprocess_gen = get_potential_fn(
        handlers.seed(program, 0), transforms, replay_model=replay, dynamic_args=True
    )
    return potential_gen, postprocess_gen, shapes, transforms


class _Sampler:
    """The compiled pieces for one (program, shapes, settings) key."""

    def __init__(self, program, kwargs, settings: dict) -> None:
        from numpyro.infer.hmc import hmc

        self.settings = settings
        potential_gen, postprocess_gen, shapes, transforms = model_info(program, kwargs)
        init_kernel, sample_kernel = hmc(potential_fn_gen=potential_gen, algo="NUTS")
        names = sorted(shapes)
        warmup, chunk = settings["warmup"], settings["chunk"]
        devices, per_device = settings["layout"]

        def start(key, kwargs):
            """A uniform draw in [-2, 2] with a finite potential and gradient (100 tries)."""
            grad = jax.value_and_grad(potential_gen(**kwargs))

            def draw(i):
                keys = jax.random.split(jax.random.fold_in(key, i), len(names))
                z = {
                    n: jax.random.uniform(k, shapes[n][0], shapes[n][1], -2.0, 2.0)
                    for k, n in zip(keys, names, strict=True)
                }
                pe, g = grad(z)
                finite = jnp.isfinite(pe) & jnp.all(
                    jnp.array([jnp.all(jnp.isfinite(v)) for v in jax.tree_util.tree_leaves(g)])
                )
                return z, finite

            def again(carry):
                i, _, ok = carry
                return (~ok) & (i < 100)

            def body(carry):
                i = carry[0] + 1
                z, ok = draw(i)
                return i, z, ok

            z, ok = draw(0)
            return jax.lax.while_loop(again, body, (0, z, ok))[1]

        def scale(reference):
            """Diagonal inverse mass matrix: the variance of reference draws of the
            posterior on the unconstrained scale, or the identity without them."""
            if reference is None:
                return None
            var = {n: jnp.var(transforms[n].inv(reference[n]), axis=0) for n in names}
            flat = ravel_pytree(var)[0]
            return jnp.where(jnp.isfinite(flat), jnp.maximum(flat, 1e-8), 1.0)

        def init_one(key, kwargs, reference):
            k_init, k_run = jax.random.split(key)
            return init_kernel(
                start(k_init, kwargs),
                num_warmup=warmup,
                inverse_mass_matrix=scale(reference),
                target_accept_prob=settings["target_accept"],
                model_kwargs=kwargs,
                rng_key=k_run,
            )

        def advance_one(state, kwargs):
            def step(st, _):
                st = sample_kernel(st, model_kwargs=kwargs)
                return st, (st.z, {f: getattr(st, f) for f in FIELDS})

            return jax.lax.scan(step, state, None, length=chunk)

        # chains on a device are vmapped; devices run in parallel under pmap
        self._init = jax.pmap(jax.vmap(init_one, in_axes=(0, None, None)), in_axes=(0, None, None))
        self._advance = jax.pmap(
            jax.vmap(advance_one, in_axes=(0, None)), in_axes=(0, None), donate_argnums=0
        )
        self._constrain = jax.jit(
            jax.vmap(lambda z, kw: postprocess_gen(**kw)(z), in_axes=(0, None))
        )
        self.devices, self.per_device = devices, per_device

    def run(self, key, kwargs, reference=None, progress: Callable[[int, int], None] | None = None):
        """``(constrained draws (chains, draws, ...), stats (chains, draws), gradients)``."""
        s = self.settings
        chains = self.devices * self.per_device
        keys = jax.random.split(key, chains).reshape(self.devices, self.per_device, -1)
        state = self._init(keys, kwargs, reference)
        if not np.isfinite(np.asarray(state.potential_energy)).all():
            raise ValueError(
                "NUTS found no starting point with a finite log density and gradient in 100 "
                "uniform draws on [-2, 2] (unconstrained scale); check the program's priors "
                "and that the data lie in the likelihood's support"
            )
        total = s["warmup"] + s["draws"]
        zs, stats, gradients = [], [], 0
        for done in range(0, total, s["chunk"]):
            state, (z, st) = self._advance(state, kwargs)
            gradients += int(np.asarray(st["num_steps"]).sum())
            if done >= s["warmup"]:
                zs.append(z)
                stats.append(st)
            if progress is not None:
                progress(done + s["chunk"], total)

        def merge(parts):  # (devices, per_device, chunk, ...) per call -> (chains, draws, ...)
            joined = np.concatenate([np.asarray(p) for p in parts], axis=2)
            return joined.reshape(chains, *joined.shape[2:])

        z = jax.tree_util.tree_map(lambda *p: merge(p), *zs)
        st = {f: merge([x[f] for x in stats]) for f in FIELDS}
        flat = jax.tree_util.tree_map(lambda a: a.reshape(-1, *a.shape[2:]), z)
        draws = self._constrain(flat, kwargs)
        draws = {
            k: np.asarray(v).reshape(chains, s["draws"], *v.shape[1:]) for k, v in draws.items()
        }
        return draws, st, gradients


def _is_data(value) -> bool:
    leaves = jax.tree_util.tree_leaves(value)
    return bool(leaves) and all(isinstance(v, np.ndarray | jax.Array) for v in leaves)


def sample(
    program,
    kwargs: dict,
    key,
    *,
    chains: int,
    warmup: int,
    draws: int,
    target_accept: float = 0.8,
    cache_key: Hashable | None = None,
    reference: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
):
    """Run NUTS on ``program(**kwargs)``; returns ``(draws, stats, Stats)``.

    ``draws`` maps every sample and deterministic site to ``(chains, draws, ...)``, ``stats``
    every name in :data:`FIELDS` to ``(chains, draws)``. Array arguments are the compiled
    function's inputs; any other argument (a number of states, say) is fixed into it.
    ``cache_key`` names the program together with everything it closes over: fits with the
    same key, the same fixed arguments, array shapes and settings reuse one compiled
    sampler. Without it nothing is kept. ``progress(done, total)`` is called between calls.

    ``reference`` (site -> ``(n, ...)`` draws, constrained) sets the starting diagonal mass
    matrix to their variance on the unconstrained scale: where a family knows its posterior
    (the conjugate tabular ones draw it exactly), the early warm-up then takes short
    trajectories instead of ones sized for the identity. Warm-up still adapts it, and the
    chains still start uniformly in [-2, 2], so the target and the checks are unchanged.
    """
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
        sampler = _cache.pop(full_key, None) if full_key is not None else None
    compiled = sampler is None
    if sampler is None:
        sampler = _Sampler(program, data, settings)
    if full_key is not None:
        with _lock:  # most recently used last; the oldest go past CACHE_SIZE
            _cache[full_key] = sampler
            while len(_cache) > CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
    out, stats, gradients = sampler.run(key, data, reference, progress)
    return out, stats, Stats(compiled, gradients, chunk, (devices, per_device))


def clear_cache() -> None:
    """Forget every compiled sampler (the persistent XLA cache on disk stays)."""
    with _lock:
        _cache.clear()
