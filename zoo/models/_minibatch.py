"""Minibatch SVI over a family's ``items`` plate with the minibatches chosen by the
training loop: each epoch shuffles the ``N`` items once and deals its first ``N // B``
blocks of ``B`` as that many steps' minibatches; the indices go to the ``items`` plate of
both the program and the guide.

NumPyro's subsampled plate draws fresh indices at every step, on CPU by a partial
Fisher-Yates shuffle (a serial loop of ``B`` swaps over all ``N`` items), which cost most
of a VAE step; here the shuffle is paid once per epoch. Each step's minibatch is still a
uniformly random ``B``-subset of the items (the shuffle is uniform and the blocks are
fixed positions in it), so the plate's scale ``N / B`` keeps the minibatch log-likelihood
unbiased: ``E[(N / B) sum_{i in batch} f(x_i)] = sum_i f(x_i)``.

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


def _sizes(kwargs: dict) -> tuple[int, int] | None:
    """``(items, batch)`` when ``kwargs`` ask for minibatches (a ``subsample_size`` below
    the items of ``x``), else ``None``."""
    batch, items = kwargs.get("subsample_size"), int(kwargs["x"].shape[0])
    return None if batch is None or batch >= items else (items, int(batch))


def epoch_order(key: Any, epoch: Any, items: int) -> jax.Array:
    """Epoch ``epoch``'s shuffle of ``range(items)``."""
    return jax.random.permutation(jax.random.fold_in(key, epoch), items)


def _block(order: Any, slot: Any, batch: int) -> jax.Array:
    return jax.lax.dynamic_slice(order, (slot * batch,), (batch,))


def batch_indices(key: Any, step: Any, items: int, batch: int) -> jax.Array:
    """Step ``step``'s minibatch: block ``step % (items // batch)`` of its epoch's
    shuffle (what :func:`svi_steps` hands the plates, recomputed)."""
    per_epoch = items // batch
    return _block(epoch_order(key, step // per_epoch, items), step % per_epoch, batch)


def first_kwargs(kwargs: dict, key: Any) -> dict:
    """``kwargs`` for ``svi.init``: the first step's minibatch when they ask for one."""
    sizes = _sizes(kwargs)
    return kwargs if sizes is None else {**kwargs, "batch_idx": batch_indices(key, 0, *sizes)}


def svi_steps(svi: Any, state: Any, key: Any, kwargs: dict, steps: int) -> tuple[Any, Any]:
    """``(state, losses)`` after ``steps`` updates of ``svi`` (whose program and guide are
    :func:`with_indices`'s) in one ``lax.scan``: step ``t`` on :func:`batch_indices`'s
    minibatch, each epoch's shuffle computed once and carried; on the whole of ``kwargs``
    when they ask for no minibatch."""
    sizes = _sizes(kwargs)
    if sizes is None:

        def whole(s: Any, _: Any) -> tuple[Any, Any]:
            s, loss = svi.update(s, **kwargs)
            return s, loss

        state, losses = jax.lax.scan(whole, state, None, length=steps)
        return state, losses
    items, batch = sizes
    per_epoch = items // batch

    def body(carry: tuple[Any, Any], t: Any) -> tuple[tuple[Any, Any], Any]:
        s, order = carry
        epoch, slot = t // per_epoch, t % per_epoch
        order = jax.lax.cond(slot == 0, lambda: epoch_order(key, epoch, items), lambda: order)
        s, loss = svi.update(s, **kwargs, batch_idx=_block(order, slot, batch))
        return (s, order), loss

    (state, _), losses = jax.lax.scan(body, (state, jnp.arange(items)), jnp.arange(steps))
    return state, losses
