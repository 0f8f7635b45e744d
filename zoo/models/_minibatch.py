"""Minibatch SVI over a family's ``items`` plate with the minibatch drawn by the training
loop: each step's ``B`` indices are uniform on the ``N`` items, with replacement, and go to
the ``items`` plate of both the program and the guide.

NumPyro's subsampled plate draws its own indices without replacement, on CPU by a partial
Fisher-Yates shuffle (a serial loop of ``B`` swaps over all ``N`` items), which cost most
of a VAE step. With replacement each index is uniform on the items, so the plate's scale
``N / B`` keeps the minibatch log-likelihood unbiased:
``E[(N / B) sum_b f(x_{i_b})] = sum_i f(x_i)``.

JAX and NumPyro are imported on first use, as in the family modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._lazy import jax, jnp

#: the plate the indices go to (:class:`~zoo.models._base.ItemPlate`'s)
PLATE = "items"


def with_indices(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` (a program or guide) that also takes ``batch_idx``: when given, the indices
    of the ``items`` plate, whose ``subsample_size`` must be their length."""
    from numpyro import handlers

    def wrapped(*args: Any, batch_idx: Any = None, **kwargs: Any) -> Any:
        if batch_idx is None:
            return fn(*args, **kwargs)
        with handlers.substitute(data={PLATE: batch_idx}):
            return fn(*args, **kwargs)

    return wrapped


def batch_indices(key: Any, step: Any, items: int, batch: int) -> jax.Array:
    """Step ``step``'s minibatch: ``batch`` indices uniform on ``range(items)``, drawn
    with replacement from ``key`` folded with the step."""
    return jax.random.randint(jax.random.fold_in(key, step), (batch,), 0, items)


def step_kwargs(kwargs: dict, key: Any, step: Any) -> dict:
    """``kwargs`` of one SVI step: with ``batch_idx`` added when they ask for a minibatch
    (a ``subsample_size`` below the items of ``x``)."""
    batch, items = kwargs.get("subsample_size"), int(kwargs["x"].shape[0])
    if batch is None or batch >= items:
        return kwargs
    return {**kwargs, "batch_idx": batch_indices(key, step, items, int(batch))}


def svi_steps(svi: Any, state: Any, key: Any, kwargs: dict, steps: int) -> tuple[Any, Any]:
    """``(state, losses)`` after ``steps`` updates of ``svi`` (whose program and guide are
    :func:`with_indices`'s) in one ``lax.scan``, step ``t`` on the minibatch drawn from
    ``key`` and ``t`` (the whole of ``kwargs`` when they ask for none)."""

    def body(s: Any, t: Any) -> tuple[Any, Any]:
        s, loss = svi.update(s, **step_kwargs(kwargs, key, t))
        return s, loss

    state, losses = jax.lax.scan(body, state, jnp.arange(steps))
    return state, losses
