"""The NUTS sampler as jitted functions of arrays: the program's log density and
constraining map (:func:`model_info`) and numpyro's own NUTS kernels around them
(``_functions``), chains split across host devices under ``shard_map``. :mod:`zoo.nuts`
runs, caches and exports what is built here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from .errors import ZooError

if TYPE_CHECKING:
    from jax.sharding import Mesh

#: sampler statistics recorded per draw, as ``MCMC``'s ``extra_fields`` name them
FIELDS = ("diverging", "energy", "num_steps", "accept_prob", "potential_energy")


def chain_mesh(devices: int) -> Mesh:
    """The mesh the chains are split over: the first ``devices`` devices, axis ``chains``."""
    from jax.sharding import Mesh

    return Mesh(np.array(jax.devices()[:devices]), ("chains",))


def _constant(support: Any) -> bool:
    """True when a support's bounds are plain numbers, not values computed in the program."""
    bounds = [getattr(support, k, 0.0) for k in ("lower_bound", "upper_bound")]
    return all(isinstance(v, int | float) for v in bounds)


def model_info(
    program: Callable[..., Any], kwargs: dict[str, Any]
) -> tuple[Any, Any, dict[str, tuple[tuple[int, ...], Any]], dict[str, Any]]:
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
            raise ZooError(f"site {name!r}: NUTS here samples programs without param sites")
        if kind == "deterministic":
            replay = True
        if kind != "sample" or observed:
            continue
        if fn.support.is_discrete:
            raise ZooError(f"site {name!r} is a discrete latent site; NUTS needs it summed out")
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


def _functions(info: tuple[Any, ...], settings: dict[str, Any], data_tree: Any) -> dict[str, Any]:
    """The sampler as three jitted functions of arrays only, so that they export (``data``
    is the list of the data's leaves, ``data_tree`` their structure):

    - ``init(key, data, reference) -> (state leaves, potential (chains,))``
    - ``advance(state leaves, data) -> (state leaves, z, stats)``: ``chunk`` iterations;
      ``z`` and ``stats`` are ``(chains, chunk, ...)``
    - ``constrain(z (n, ...), data) -> draws (n, ...)``, every sample and deterministic site.

    The devices run side by side under ``shard_map``, each on its own block of chains (one
    chain alone, or several vmapped), so no device waits for another's trajectories.
    """
    from jax.sharding import PartitionSpec
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
            picked = [
                a if ax is None else jax.tree.map(lambda x: x[0], a)
                for a, ax in zip(args, in_axes, strict=True)
            ]
            return jax.tree.map(lambda x: x[None], f(*picked))

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

    mesh = chain_mesh(devices)
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
