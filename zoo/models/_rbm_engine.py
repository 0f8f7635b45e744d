"""The maths under ``zoo.models.rbm``: free energy, block Gibbs sweeps, persistent contrastive
divergence (one compiled ``lax.scan``), the pseudo-log-likelihood, annealed importance
sampling of log Z and the exact log Z by enumeration at small sizes.

``p`` is one draw's parameters: ``w`` (n, H), ``b_visible`` (n,), ``b_hidden`` (H,).
JAX and optax are imported on first use (:mod:`zoo._lazy`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._lazy import jax, jit, jnp

#: enumerate the smaller layer's states when it has at most this many units
EXACT_MAX = 20
#: AIS at the default: independent runs and intermediate temperatures
AIS_RUNS = 200
AIS_TEMPS = 1000


def free_energy(p: dict, x: Any) -> Any:
    """``F(x) = -b.x - sum_j softplus(c_j + x W_j)``: the hidden units summed out, so that
    ``p(x) = exp(-F(x)) / Z``."""
    return -(x @ p["b_visible"]) - jnp.sum(jax.nn.softplus(x @ p["w"] + p["b_hidden"]), -1)


def _bits(key: Any, logits: Any) -> Any:
    return (jax.random.uniform(key, logits.shape) < jax.nn.sigmoid(logits)).astype(jnp.float32)


def gibbs_sweep(p: dict, x: Any, key: Any) -> Any:
    """One block Gibbs sweep ``x -> h -> x'`` (each layer's units are independent given the
    other)."""
    kh, kx = jax.random.split(key)
    h = _bits(kh, x @ p["w"] + p["b_hidden"])
    return _bits(kx, h @ p["w"].T + p["b_visible"])


def _flip_gaps(p: dict, x: Any) -> Any:
    """``(items, n)``: ``F(x with bit i flipped) - F(x)`` for every pixel ``i``."""
    pre = x @ p["w"] + p["b_hidden"]  # (B, H)
    sign = 1.0 - 2.0 * x  # +1 turns a pixel on, -1 off
    flipped = pre[:, None, :] + sign[:, :, None] * p["w"][None]  # (B, n, H)
    hidden = jnp.sum(jax.nn.softplus(flipped) - jax.nn.softplus(pre)[:, None, :], -1)
    return -(sign * p["b_visible"]) - hidden


def pseudo_log_lik(p: dict, x: Any) -> Any:
    """``(items,)`` ``sum_i log p(x_i | x_-i)``: exact, no Z needed (the objective's trace)."""
    return -jnp.sum(jax.nn.softplus(-_flip_gaps(p, x)), -1)


def pseudo_log_lik_one(p: dict, x: Any, key: Any) -> Any:
    """``(items,)`` unbiased estimate of :func:`pseudo_log_lik` from one random pixel per
    item, ``n log p(x_i | x_-i)`` (n times cheaper; the training trace uses it)."""
    n = x.shape[1]
    i = jax.random.randint(key, (x.shape[0],), 0, n)
    pre = x @ p["w"] + p["b_hidden"]
    sign = 1.0 - 2.0 * jnp.take_along_axis(x, i[:, None], 1)[:, 0]
    flipped = pre + sign[:, None] * p["w"][i]
    hidden = jnp.sum(jax.nn.softplus(flipped) - jax.nn.softplus(pre), -1)
    gap = -(sign * p["b_visible"][i]) - hidden
    return -n * jax.nn.softplus(-gap)


def log_prior(p: dict, scales: dict) -> Any:
    return sum(jnp.sum(jax.scipy.stats.norm.logpdf(p[k], 0.0, s)) for k, s in scales.items())


def pcd(init: dict, x: Any, key: Any, *settings: Any) -> tuple[dict, Any]:
    """``settings``: ``steps, batch, lr, particles, scales`` as :func:`_pcd` takes them.

    Persistent contrastive divergence: ``steps`` Adam steps (a cosine-decayed rate) on the
    log posterior per item, its gradient ``-E_data grad F + E_model grad F + grad log prior /
    N`` with the model expectation over ``particles`` persistent chains advanced one Gibbs
    sweep a step. Returns the parameters and each step's pseudo-log-likelihood per item of
    the minibatch (:func:`pseudo_log_lik_one`).

    The items are padded to a power of two (at least 4096) so that fits to different
    training sizes (a learning curve) share one compile."""
    items = x.shape[0]
    size = max(4096, 1 << (items - 1).bit_length())
    padded = jnp.zeros((size, x.shape[1]), jnp.float32).at[:items].set(x)
    return _pcd(init, padded, items, key, *settings)


@jit(static_argnums=(4, 5, 7, 8))
def _pcd(
    init: dict,
    x: Any,
    items: int,
    key: Any,
    steps: int,
    batch: int,
    lr: float,
    particles: int,
    scales: tuple[tuple[str, float], ...],
) -> tuple[dict, Any]:
    import optax

    opt = optax.adam(optax.cosine_decay_schedule(lr, steps, alpha=0.05))
    prior = dict(scales)

    def loss(p, xb, xm):
        data_term = jnp.mean(free_energy(p, xb)) - jnp.mean(free_energy(p, xm))
        return data_term - log_prior(p, prior) / items

    def step(state, k):
        p, o, chains = state
        kb, kg, kp = jax.random.split(k, 3)
        xb = x[jax.random.randint(kb, (batch,), 0, items)]
        chains = gibbs_sweep(p, chains, kg)
        g = jax.grad(loss)(p, xb, chains)
        updates, o = opt.update(g, o, p)
        pll = jnp.mean(pseudo_log_lik_one(p, xb, kp))
        return (optax.apply_updates(p, updates), o, chains), pll

    k0, ks = jax.random.split(key)
    start = x[jax.random.randint(k0, (particles,), 0, items)]  # chains start at data
    state = (init, opt.init(init), start)
    (p, _, _), trace = jax.lax.scan(step, state, jax.random.split(ks, steps))
    return p, trace


def schedule(temps: int) -> np.ndarray:
    """``temps + 1`` inverse temperatures from 0 to 1, denser near 1 where the distribution
    changes fastest (10% of the steps to 0.5, 40% to 0.9, 50% to 1; Salakhutdinov & Murray
    2008 space them the same way)."""
    a, b = max(1, temps // 10), max(1, 4 * temps // 10)
    c = temps - a - b
    return np.concatenate(
        [np.linspace(0, 0.5, a, endpoint=False), np.linspace(0.5, 0.9, b, endpoint=False)]
        + [np.linspace(0.9, 1.0, c + 1)]
    ).astype(np.float32)


@jit(static_argnums=(3, 4))
def _ais_log_weights(p: dict, base: Any, key: Any, runs: int, temps: int) -> Any:
    w, b, c = p["w"], p["b_visible"], p["b_hidden"]
    betas = jnp.asarray(schedule(temps))

    def step(carry, inp):
        x, lw = carry
        before, after, k = inp
        act, gap = x @ w + c, x @ (b - base)
        # log f_after(x) - log f_before(x), log f_beta(x) = x.base + beta x.(b - base)
        #   + sum_j softplus(beta (c_j + x W_j)): the unnormalised marginal at beta
        soft = jax.nn.softplus(after * act) - jax.nn.softplus(before * act)
        lw = lw + (after - before) * gap + jnp.sum(soft, -1)
        kh, kx = jax.random.split(k)
        h = _bits(kh, after * act)
        x = _bits(kx, (1 - after) * base + after * (h @ w.T + b))
        return (x, lw), None

    k0, ks = jax.random.split(key)
    x = _bits(k0, jnp.broadcast_to(base, (runs, base.shape[0])))
    steps = (betas[:-1], betas[1:], jax.random.split(ks, temps))
    (_, lw), _ = jax.lax.scan(step, (x, jnp.zeros(runs)), steps)
    log_z0 = jnp.sum(jax.nn.softplus(base)) + c.shape[0] * math.log(2.0)
    return log_z0 + lw


def ais(
    p: dict, key: Any, base: Any = None, runs: int = AIS_RUNS, temps: int = AIS_TEMPS
) -> tuple[float, float, float]:
    """log Z by annealed importance sampling from the base ``p_0(x) ∝ exp(base . x)`` (all
    hidden units off: W = 0) to the RBM, through the geometric path at :func:`schedule`'s
    temperatures, one Gibbs sweep each: ``(log Z, its standard error, effective sample size
    of the runs' weights)``. The se is the delta method's, ``sd(w) / (mean(w) sqrt(runs))``.
    ``base`` defaults to the visible biases. E[log Ẑ] <= log Z (Jensen): an estimate errs
    low, so nats computed with it err optimistic."""
    base = p["b_visible"] if base is None else jnp.asarray(base, jnp.float32)
    lw = np.asarray(_ais_log_weights(p, base, key, int(runs), int(temps)), dtype=np.float64)
    top = lw.max()
    wts = np.exp(lw - top)
    log_z = top + math.log(wts.mean())
    se = wts.std() / (wts.mean() * math.sqrt(len(wts)))
    ess = wts.sum() ** 2 / (wts**2).sum()
    return float(log_z), float(se), float(ess)


def exact_log_z(p: dict, block: int = 4096) -> float:
    """log Z exactly, enumerating the smaller layer (at most :data:`EXACT_MAX` units) with
    the other summed out analytically: ``log sum_h exp(c.h + sum_i softplus(b_i + W_i.h))``
    or ``log sum_x exp(-F(x))``."""
    n, hidden = p["w"].shape
    m = min(n, hidden)
    if m > EXACT_MAX:
        raise ValueError(f"exact log Z enumerates 2^{m} states; at most {EXACT_MAX} units")
    return float(_exact(p, m == hidden, m, min(block, 2**m)))


@jit(static_argnums=(1, 2, 3))
def _exact(p: dict, over_hidden: bool, m: int, block: int) -> Any:
    shifts = jnp.arange(m)

    def chunk(start):
        idx = start + jnp.arange(block)
        s = ((idx[:, None] >> shifts) & 1).astype(jnp.float32)
        if over_hidden:
            return s @ p["b_hidden"] + jnp.sum(jax.nn.softplus(s @ p["w"].T + p["b_visible"]), -1)
        return -free_energy(p, s)

    parts = jax.lax.map(chunk, jnp.arange(0, 2**m, block))
    return jax.nn.logsumexp(parts)


def log_z(p: dict, key: Any) -> tuple[float, float, float, str]:
    """``(log Z, se, ESS, how)``: exact (se 0) when the smaller layer can be enumerated,
    else :func:`ais` from the visible biases."""
    if min(p["w"].shape) <= EXACT_MAX:
        return exact_log_z(p), 0.0, math.nan, "exact"
    return (*ais(p, key), "ais")


@jit(static_argnums=(3,))
def gibbs_chains(p: dict, x: Any, key: Any, sweeps: int) -> Any:
    """``x`` (m, n) after ``sweeps`` Gibbs sweeps, chain ``r`` under draw ``p[.][r]``."""

    def one(pr, xr, kr):
        def body(xc, k):
            return gibbs_sweep(pr, xc[None], k)[0], None

        return jax.lax.scan(body, xr, jax.random.split(kr, sweeps))[0]

    return jax.vmap(one)(p, x, jax.random.split(key, x.shape[0]))


def later_off_logit(p: dict, x: Any, i: int) -> Any:
    """The logit of ``p(x_i = 1 | x_<i, x_>i = 0)`` (the Gibbs conditional with the pixels
    after ``i`` off; ``x``'s columns from ``i`` on must be 0): the loop form's proposal."""
    pre = x @ p["w"] + p["b_hidden"]
    gain = jax.nn.softplus(pre + p["w"][i]) - jax.nn.softplus(pre)
    return p["b_visible"][i] + jnp.sum(gain, -1)
