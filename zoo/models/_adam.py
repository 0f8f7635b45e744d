"""Adam over an Equinox module's arrays in one ``lax.scan``: the training loop of the 2-D toy
models (energy, diffusion)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._lazy import jax


def adam_scan(
    net: Any, loss: Callable[[Any, Any], Any], key: Any, steps: int, learning_rate: float
) -> tuple[Any, Any]:
    """Minimise ``loss(model, key)`` over ``net``'s inexact arrays by ``steps`` Adam steps, a
    fresh key each; returns the trained module and each step's loss. Call it inside a jit."""
    import equinox as eqx
    import optax

    adam = optax.adam(learning_rate)
    params, static = eqx.partition(net, eqx.is_inexact_array)

    def step(state: Any, k: Any) -> Any:
        p, opt = state
        value, g = jax.value_and_grad(lambda q: loss(eqx.combine(q, static), k))(p)
        updates, opt = adam.update(g, opt, p)
        return (optax.apply_updates(p, updates), opt), value

    keys = jax.random.split(key, steps)
    (params, _), losses = jax.lax.scan(step, (params, adam.init(params)), keys)
    return eqx.combine(params, static), losses


@functools.cache
def trainer(make_loss: Callable[..., Callable[[Any, Any], Any]]) -> Callable[..., Any]:
    """``run(net, key, steps, learning_rate, *args)``: :func:`adam_scan` on the loss
    ``make_loss(*args)``, jitted once per ``make_loss`` (Equinox's ``filter_jit``: arrays are
    traced, Python numbers static), so toys of one shape share a compilation."""
    import equinox as eqx

    @eqx.filter_jit
    def run(net: Any, key: Any, steps: int, learning_rate: float, *args: Any) -> Any:
        return adam_scan(net, make_loss(*args), key, steps, learning_rate)

    return run
