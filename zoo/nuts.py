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
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import tempfile
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

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


def _functions(info, settings: dict, data_tree) -> dict:
    """The sampler as three jitted functions of arrays only, so that they export (``data``
    is the list of the data's leaves, ``data_tree`` their structure):

    - ``init(key, data, reference) -> (state leaves, potential (chains,))``
    - ``advance(state leaves, data) -> (state leaves, z, stats)``: ``chunk`` iterations;
      ``z`` and ``stats`` are ``(chains, chunk, ...)``
    - ``constrain(z (n, ...), data) -> draws (n, ...)``, every sample and deterministic site.

    The devices run side by side under ``shard_map``, each on its own block of chains (one
    chain alone, or several vmapped), so no device waits for another's trajectories.
    """
    from jax.sharding import Mesh, PartitionSpec
    from numpyro.infer.hmc import hmc

    potential_gen, postprocess_gen, shapes, transforms = info
    init_kernel, sample_kernel = hmc(potential_fn_gen=potential_gen, algo="NUTS")
    names = sorted(shapes)
    warmup, chunk = settings["warmup"], settings["chunk"]
    devices, per_device = settings["layout"]
    tree = {}  # the state's structure, seen when init is traced and reused by advance

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
        """Diagonal inverse mass matrix: the variance of reference draws of the posterior on
        the unconstrained scale, or the identity without them."""
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

    def data(leaves):
        return jax.tree_util.tree_unflatten(data_tree, leaves)

    def each_chain(f, in_axes):
        """``f`` over the device's chains: vmapped, or (one chain per device) called on it
        alone, which spares XLA the batched while loops NUTS would otherwise compile."""
        if per_device > 1:
            return jax.vmap(f, in_axes=in_axes)

        def one(*args):
            args = [
                a if ax is None else jax.tree.map(lambda x: x[0], a)
                for a, ax in zip(args, in_axes, strict=True)
            ]
            return jax.tree.map(lambda x: x[None], f(*args))

        return one

    def init_block(key, leaves, reference):
        kwargs = data(leaves)
        # every device splits the same key for all chains and keeps its own block of them
        keys = jax.random.split(key, devices * per_device).reshape(devices, per_device, -1)
        keys = keys[jax.lax.axis_index("chains")]
        state = each_chain(init_one, in_axes=(0, None, None))(keys, kwargs, reference)
        leaves, tree["state"] = jax.tree_util.tree_flatten(state)
        return leaves, state.potential_energy

    def advance_one(state, kwargs):
        def step(st, _):
            st = sample_kernel(st, model_kwargs=kwargs)
            return st, (st.z, {f: getattr(st, f) for f in FIELDS})

        return jax.lax.scan(step, state, None, length=chunk)

    def advance_block(leaves, data_leaves):
        state = jax.tree_util.tree_unflatten(tree["state"], leaves)
        state, out = each_chain(advance_one, in_axes=(0, None))(state, data(data_leaves))
        return jax.tree_util.tree_leaves(state), *out

    mesh = Mesh(np.array(jax.devices()[:devices]), ("chains",))
    split, whole = PartitionSpec("chains"), PartitionSpec()

    def blocks(f, in_specs):
        return jax.shard_map(f, mesh=mesh, in_specs=in_specs, out_specs=split, check_vma=False)

    return {
        "init": jax.jit(blocks(init_block, (whole, whole, whole))),
        "advance": jax.jit(blocks(advance_block, (split, whole)), donate_argnums=0),
        "constrain": jax.jit(
            jax.vmap(lambda z, leaves: postprocess_gen(**data(leaves))(z), in_axes=(0, None))
        ),
        "mesh": mesh,
    }


def _export(functions: dict, key, data, reference, shapes, chains: int, draws: int) -> dict:
    """``jax.export`` of the three functions at these shapes (traced and lowered here)."""
    from jax.sharding import NamedSharding, PartitionSpec

    mesh = functions["mesh"]
    split = NamedSharding(mesh, PartitionSpec("chains"))
    whole = NamedSharding(mesh, PartitionSpec())

    def spec(a, sharding=None):
        return jax.ShapeDtypeStruct(np.shape(a), jnp.asarray(a).dtype, sharding=sharding)

    data_spec = jax.tree_util.tree_map(lambda a: spec(a, whole), data)
    ref_spec = jax.tree_util.tree_map(lambda a: spec(a, whole), reference)
    init = jax.export.export(functions["init"])(spec(key, whole), data_spec, ref_spec)
    leaves = [jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=split) for a in init.out_avals]
    leaves = leaves[: len(leaves) - 1]  # the last output is the potential
    advance = jax.export.export(functions["advance"])(leaves, data_spec)
    n = chains * draws
    z = {k: jax.ShapeDtypeStruct((n, *s), d) for k, (s, d) in shapes.items()}
    constrain = jax.export.export(functions["constrain"])(z, data)
    return {"init": init, "advance": advance, "constrain": constrain}


def _callable(exported: dict) -> dict:
    """Jitted calls of exported functions: tracing one is a single call, and its compiled
    code is what the persistent XLA cache keeps."""
    return {
        "init": jax.jit(exported["init"].call),
        "advance": jax.jit(exported["advance"].call, donate_argnums=0),
        "constrain": jax.jit(exported["constrain"].call),
    }


def _digest(info, data: dict, reference, settings: dict) -> str:
    """A name for the sampler that two processes agree on: the log density's and the
    constraining map's jaxprs (with their constants and the names in and out), the shapes,
    the settings, and the code that builds the sampler around them."""
    import numpyro

    potential_gen, postprocess_gen, shapes, _ = info
    z = {n: jax.ShapeDtypeStruct(s, d) for n, (s, d) in shapes.items()}
    h = hashlib.sha256()
    for gen in (potential_gen, postprocess_gen):
        closed, out = jax.make_jaxpr(lambda z, kw, gen=gen: gen(**kw)(z), return_shape=True)(
            z, data
        )
        h.update(str(closed.jaxpr).encode())
        h.update(str(jax.tree_util.tree_map(lambda a: (a.shape, str(a.dtype)), out)).encode())
        for c in closed.consts:
            if jnp.issubdtype(jnp.asarray(c).dtype, jax.dtypes.prng_key):
                c = jax.random.key_data(c)  # the seed handler's key
            c = np.asarray(c)
            h.update(f"{c.dtype}{c.shape}".encode() + c.tobytes())
    refs = jax.tree_util.tree_map(lambda a: (np.shape(a), str(jnp.asarray(a).dtype)), reference)
    h.update(
        repr(
            (
                sorted((n, s, str(d)) for n, (s, d) in shapes.items()),
                str(jax.tree_util.tree_structure(data)),
                str(refs),
                sorted(settings.items()),
                jax.__version__,
                jax.lib.__version__ if hasattr(jax.lib, "__version__") else "",
                numpyro.__version__,
                jax.default_backend(),
                _SOURCE,
            )
        ).encode()
    )
    return h.hexdigest()


def _read(path: str) -> dict | None:
    """Exported functions saved by an earlier process, or None (absent or unreadable)."""
    try:
        with open(path, "rb") as f:
            blobs = pickle.load(f)
        return {k: jax.export.deserialize(bytearray(blobs[k])) for k in _PARTS}
    except Exception:  # a missing, partial or foreign file: trace again and overwrite it
        return None


def _write(path: str, exported: dict) -> None:
    """Save exported functions, atomically (a concurrent reader sees all or nothing)."""
    try:
        blobs = {k: bytes(exported[k].serialize()) for k in _PARTS}
    except Exception:  # a structure the serialisation refuses: nothing to keep
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(blobs, f)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache: the next process traces again


_PARTS = ("init", "advance", "constrain")
_SOURCE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # the sampler's own code


class _Sampler:
    """One program's sampler at one set of shapes and settings: traced here (and exported
    to :data:`zoo._jax.EXPORT_DIR`), or read back from an earlier process's export."""

    def __init__(self, calls: dict, settings: dict) -> None:
        from jax.sharding import Mesh, NamedSharding, PartitionSpec

        self.settings = settings
        self._init, self._advance = calls["init"], calls["advance"]
        self._constrain = calls["constrain"]
        self._compiled = None  # (init, advance, constrain) once compiled
        devices, self.per_device = settings["layout"]
        self.devices = devices
        mesh = Mesh(np.array(jax.devices()[:devices]), ("chains",))
        self._whole = NamedSharding(mesh, PartitionSpec())

    @classmethod
    def build(cls, program, data: dict, reference, key, settings: dict):
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
            return cls(_callable(exported), settings), digest, "disk"
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
        return cls(_callable(exported), settings), digest, "traced"

    def _compile(self, key, kwargs, reference, one) -> tuple:
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

    def run(self, key, kwargs, reference=None, progress: Callable[[int, int], None] | None = None):
        """``(constrained draws (chains, draws, ...), stats (chains, draws), gradients)``."""
        s = self.settings
        chains = self.devices * self.per_device
        kwargs = jax.tree_util.tree_leaves(kwargs)
        key, kwargs, reference = jax.device_put((key, kwargs, reference), self._whole)
        one = jax.device_put(kwargs, jax.devices()[0])  # constrain runs on one device
        if self._compiled is None:
            self._compiled = self._compile(key, kwargs, reference, one)
        init, advance, constrain = self._compiled
        state, potential = init(key, kwargs, reference)
        if not np.isfinite(np.asarray(potential)).all():
            raise ValueError(
                "NUTS found no starting point with a finite log density and gradient in 100 "
                "uniform draws on [-2, 2] (unconstrained scale); check the program's priors "
                "and that the data lie in the likelihood's support"
            )
        total = s["warmup"] + s["draws"]
        zs, stats, gradients = [], [], 0
        for done in range(0, total, s["chunk"]):
            state, z, st = advance(state, kwargs)
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
    names, source = ([full_key] if full_key is not None else []), "memory"
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
