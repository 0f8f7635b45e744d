"""The maths of ``zoo.models.diffusion`` with no network in it: the Bernoulli forward
process, the reverse step formed from a denoiser's x_0 logits, and the variational bound's
terms (by Monte Carlo over x_t, or exactly by enumerating every state of a few pixels).

A denoiser is any ``denoise(x_t, t) -> logits of x_0`` over arrays ``(..., n)`` and ``(...)``.
Schedules are ``abar``, the keep probabilities ``abar[t] = prod_{s<=t} (1 - beta_s)`` for
``t = 0..T`` (``abar[0] = 1``), strictly decreasing. A time grid ``times = (0, t_1, ..., T)``
names the steps a chain takes: ``range(T + 1)`` is the full chain; a sub-grid is the
strided chain the same denoiser also defines (fewer steps, its own valid bound).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from .._lazy import jax, jnp

Denoiser = Callable[..., "jnp.ndarray"]


def linear_schedule(steps: int) -> np.ndarray:
    """``abar[t] = 1 - t / T``: ``beta_t = 1 / (T - t + 1)`` (Sohl-Dickstein et al. 2015),
    so ``q(x_T | x_0)`` is uniform exactly and ``L_T = 0``."""
    return 1.0 - np.arange(steps + 1) / steps


def marginal_one(abar: jnp.ndarray, t: jnp.ndarray, x0: jnp.ndarray) -> jnp.ndarray:
    """``q(x_t = 1 | x_0)``: kept with probability ``abar[t]``, else a fair coin."""
    a = abar[t][..., None]
    return a * x0 + (1 - a) / 2


def log_posterior(
    abar: jnp.ndarray, s: jnp.ndarray, t: jnp.ndarray, xt: jnp.ndarray, x0: jnp.ndarray
) -> tuple[jnp.ndarray, jnp.ndarray]:
    """``log q(x_s = 1 | x_t, x_0)`` and ``log q(x_s = 0 | ...)`` for ``0 < s < t``:
    Bayes' rule with ``q(x_t | x_s)`` (kept with probability ``abar[t] / abar[s]``)."""
    keep = (abar[t] / abar[s])[..., None]
    a = abar[s][..., None]
    m1 = a * x0 + (1 - a) / 2
    l1 = jnp.log(keep * xt + (1 - keep) / 2) + jnp.log(m1)
    l0 = jnp.log(keep * (1 - xt) + (1 - keep) / 2) + jnp.log(1 - m1)
    norm = jnp.logaddexp(l1, l0)
    return l1 - norm, l0 - norm


def reverse_log_probs(
    abar: jnp.ndarray, s: jnp.ndarray, t: jnp.ndarray, xt: jnp.ndarray, logits: jnp.ndarray
) -> tuple[jnp.ndarray, jnp.ndarray]:
    """``log p(x_s = 1 | x_t)`` and ``log p(x_s = 0 | x_t)``: the posterior averaged over
    the denoiser's x_0, ``sum_{x_0} q(x_s | x_t, x_0) p(x_0 | x_t)``, pixel by pixel."""
    on, off = jax.nn.log_sigmoid(logits), jax.nn.log_sigmoid(-logits)
    q1 = log_posterior(abar, s, t, xt, jnp.ones_like(xt))
    q0 = log_posterior(abar, s, t, xt, jnp.zeros_like(xt))
    return jnp.logaddexp(on + q1[0], off + q0[0]), jnp.logaddexp(on + q1[1], off + q0[1])


def _kl(q1: jnp.ndarray, q0: jnp.ndarray, p1: jnp.ndarray, p0: jnp.ndarray) -> jnp.ndarray:
    """KL between Bernoullis given both log probabilities, summed over pixels; floored at 0
    (a true KL never is below; rounding can be)."""
    kl = jnp.exp(q1) * (q1 - p1) + jnp.exp(q0) * (q0 - p0)
    return jnp.maximum(jnp.sum(kl, axis=-1), 0.0)


def prior_term(abar: jnp.ndarray, x0: jnp.ndarray) -> jnp.ndarray:
    """``L_T = KL(q(x_T | x_0) || Bernoulli(1/2)^n)`` per item."""
    q = marginal_one(abar, jnp.asarray(len(abar) - 1), x0)
    return _kl(jnp.log(q), jnp.log1p(-q), jnp.log(0.5), jnp.log(0.5))


def step_term(
    denoise: Denoiser,
    abar: jnp.ndarray,
    s: jnp.ndarray,
    t: jnp.ndarray,
    x0: jnp.ndarray,
    xt: jnp.ndarray,
) -> jnp.ndarray:
    """The bound's term for the step ``x_t -> x_s`` at one state ``x_t``, per item:
    ``-log p(x_0 | x_t)`` when ``s = 0`` (the reconstruction ``L_0``), else
    ``KL(q(x_s | x_t, x_0) || p(x_s | x_t))``. ``s`` and ``t`` may differ per item."""
    logits = denoise(xt, t)
    recon = -jnp.sum(x0 * jax.nn.log_sigmoid(logits) + (1 - x0) * jax.nn.log_sigmoid(-logits), -1)
    # the KL branch at safe steps when s = 0, so that neither branch yields NaN gradients
    s_kl = jnp.maximum(s, 1)
    t_kl = jnp.maximum(t, s_kl + 1)
    kl = _kl(
        *log_posterior(abar, s_kl, t_kl, xt, x0), *reverse_log_probs(abar, s_kl, t_kl, xt, logits)
    )
    return jnp.where(s == 0, recon, kl)


def bound_terms(
    denoise: Denoiser,
    abar: jnp.ndarray,
    times: Sequence[int],
    x0: jnp.ndarray,
    key: jax.Array,
    samples: int = 1,
) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
    """``(L_T, KLs, L_0)`` per item, ``(items,)``, ``(items, K - 1)``, ``(items,)``, with the
    expectation over each ``x_t ~ q(x_t | x_0)`` a mean over ``samples`` draws."""
    grid = np.asarray(times)
    s, t = jnp.asarray(grid[:-1]), jnp.asarray(grid[1:])  # K steps x_t -> x_s
    p = marginal_one(abar, t[:, None, None], x0[None, None])  # (K, 1, items, n)
    u = jax.random.uniform(key, (len(t), samples, *x0.shape))
    xt = (u < p).astype(x0.dtype)
    shape = xt.shape[:-1]

    def one(sk: jnp.ndarray, tk: jnp.ndarray, xtk: jnp.ndarray) -> jnp.ndarray:
        return step_term(denoise, abar, jnp.full(shape[1:], sk), jnp.full(shape[1:], tk), x0, xtk)

    terms = jax.vmap(one)(s, t, xt).mean(axis=1)  # (K, items)
    return prior_term(abar, x0), terms[1:].T, terms[0]


def exact_bound_terms(
    denoise: Denoiser, abar: jnp.ndarray, times: Sequence[int], x0: jnp.ndarray
) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
    """:func:`bound_terms` with each expectation summed over all ``2^n`` states of ``x_t``
    (a few pixels only)."""
    n = x0.shape[-1]
    states = jnp.asarray(list(itertools.product((0.0, 1.0), repeat=n)))  # (2^n, n)
    out = []
    for s, t in itertools.pairwise(times):
        p = marginal_one(abar, jnp.asarray(t), x0)[:, None]  # (items, 1, n)
        w = jnp.prod(jnp.where(states == 1, p, 1 - p), axis=-1)  # (items, 2^n)
        xt = jnp.broadcast_to(states, w.shape + (n,))
        x0s = jnp.broadcast_to(x0[:, None], xt.shape)
        full = jnp.full(w.shape, 0, jnp.int32)
        term = step_term(denoise, abar, full + s, full + t, x0s, xt)
        out.append(jnp.sum(w * term, axis=-1))
    return prior_term(abar, x0), jnp.stack(out[1:], axis=-1), out[0]


def reverse_chain(
    denoise: Denoiser,
    abar: jnp.ndarray,
    times: Sequence[int],
    key: jax.Array,
    items: int,
    n: int,
) -> jnp.ndarray:
    """Samples by running the reverse chain along ``times`` from uniform noise: the
    ``(len(times), items, n)`` states, ``x_T`` first and ``x_0`` last."""
    keys = jax.random.split(key, len(times))
    x = (jax.random.uniform(keys[0], (items, n)) < 0.5).astype(jnp.float32)
    path = [x]
    for k, (s, t) in enumerate(reversed(list(itertools.pairwise(times)))):
        logits = denoise(x, jnp.full((items,), t))
        if s == 0:
            log_on = jax.nn.log_sigmoid(logits)
        else:
            full = jnp.full((items,), 0, jnp.int32)
            log_on, _ = reverse_log_probs(abar, full + s, full + t, x, logits)
        u = jax.random.uniform(keys[k + 1], x.shape)
        x = (jnp.log(u) < log_on).astype(jnp.float32)
        path.append(x)
    return jnp.stack(path)
