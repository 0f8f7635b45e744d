"""The denoiser of ``zoo.models.diffusion`` and its training: an Equinox MLP whose weights
are the family's sample sites, and Adam (optax) on the bound plus the weights' log prior.

The MLP reads ``(2 x_t - 1, one_hot(t))`` and returns the logits of x_0. Its weights come
from a dict of arrays (the sample sites), poured into an ``eqx.nn.MLP`` template with
``eqx.tree_at``, so the family's point and its network are the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, cast

import numpy as np

from .._lazy import jax, jnp
from ._diffusion_bound import prior_term, step_term


@cache
def template(n: int, steps: int, hidden: int, depth: int) -> Any:
    """An ``eqx.nn.MLP`` of the denoiser's shape (its weights at Equinox's initialisation)."""
    import equinox as eqx

    return eqx.nn.MLP(n + steps, n, hidden, depth, activation=jax.nn.relu, key=jax.random.key(0))


def site_shapes(n: int, steps: int, hidden: int, depth: int) -> dict[str, tuple[int, ...]]:
    """Site name -> shape: ``w{i}``, ``b{i}`` of each linear layer (no JAX needed)."""
    sizes = [n + steps] + [hidden] * depth + [n]
    out: dict[str, tuple[int, ...]] = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        out[f"w{i}"] = (fan_out, fan_in)
        out[f"b{i}"] = (fan_out,)
    return out


def initial(n: int, steps: int, hidden: int, depth: int) -> dict[str, Any]:
    """The template's weights as sites: the training's starting point."""
    mlp = template(n, steps, hidden, depth)
    out = {}
    for i, layer in enumerate(mlp.layers):
        out[f"w{i}"], out[f"b{i}"] = layer.weight, layer.bias
    return out


def denoiser(
    params: dict, n: int, steps: int, hidden: int, depth: int
) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """``denoise(x_t, t) -> x_0 logits`` of one set of weights, over any leading axes."""
    import equinox as eqx

    mlp = template(n, steps, hidden, depth)
    k = len(mlp.layers)
    mlp = eqx.tree_at(
        lambda m: [layer.weight for layer in m.layers] + [layer.bias for layer in m.layers],
        mlp,
        [params[f"w{i}"] for i in range(k)] + [params[f"b{i}"] for i in range(k)],
    )

    def denoise(xt: jax.Array, t: jax.Array) -> jax.Array:
        t = jnp.broadcast_to(t, xt.shape[:-1])
        inputs = jnp.concatenate([2 * xt - 1, jax.nn.one_hot(t - 1, steps)], axis=-1)
        flat = inputs.reshape(-1, inputs.shape[-1])
        out: jax.Array = jax.vmap(mlp)(flat)
        return out.reshape(xt.shape)

    return denoise


def log_prior(params: dict, scale: float) -> jnp.ndarray:
    # params is never empty, so the sum is an array, not sum's start 0
    terms = (jnp.sum(jax.scipy.stats.norm.logpdf(v, 0.0, scale)) for v in params.values())
    return cast(jnp.ndarray, sum(terms))


def train_scan(
    shape: tuple[int, int, int, int],
    abar: jax.Array,
    x: jax.Array,
    init: dict,
    key: jax.Array,
    *,
    steps: int,
    lr: float,
    batch: int,
    scale: float,
) -> tuple[dict, jax.Array]:
    """Adam on ``N * mean estimated negative ELBO of a minibatch - log prior``; each item's ELBO
    estimate is ``L_T + T * term(t)`` at one ``t ~ U{1..T}`` and one ``x_t ~ q(x_t | x_0)``
    (unbiased for the full sum). Returns the point and the objective at each step."""
    import optax

    T = shape[1]
    items = x.shape[0]
    adam = optax.adam(lr)

    def loss(params, k):
        kb, kt, ku = jax.random.split(k, 3)
        x0 = x[jax.random.randint(kb, (batch,), 0, items)]
        t = jax.random.randint(kt, (batch,), 1, T + 1)
        keep = abar[t][:, None]
        xt = (jax.random.uniform(ku, x0.shape) < keep * x0 + (1 - keep) / 2).astype(x0.dtype)
        denoise = denoiser(params, *shape)
        neg = prior_term(abar, x0) + T * step_term(denoise, abar, t - 1, t, x0, xt)
        return items * jnp.mean(neg) - log_prior(params, scale)

    def step(state, k):
        params, opt = state
        value, grad = jax.value_and_grad(loss)(params, k)
        updates, opt = adam.update(grad, opt, params)
        return (optax.apply_updates(params, updates), opt), -value

    keys = jax.random.split(key, steps)
    (params, _), trace = jax.lax.scan(step, (init, adam.init(init)), keys)
    return params, trace


_train_jit = None


def train(
    shape: tuple[int, int, int, int],
    abar: jax.Array,
    x: jax.Array,
    init: dict,
    key: jax.Array,
    **settings: Any,
) -> tuple[dict, np.ndarray]:
    """:func:`train_scan` (``settings``: its keywords), compiled once per shape and settings."""
    global _train_jit
    if _train_jit is None:
        _train_jit = jax.jit(train_scan, static_argnames=("shape", "steps", "lr", "batch", "scale"))
    params, trace = _train_jit(shape, abar, x, init, key, **settings)
    return params, np.asarray(trace)
