"""Conditionals of the trained families, where the bottom cannot be summed out exactly.

* VAE: importance sampling in z. One proposal serves ``p(x)`` and ``p(top)``: the defensive
  mixture ``q(z) = 1/2 q_phi(z | x_in) + 1/2 N(0, I)`` (Hesterberg 1995): the encoder's
  Gaussian where the posterior is, the prior so that every weight ``p(., z) / q(z)`` stays
  below ``2 p(. | z)`` (a bounded, finite-variance estimate even where the encoder is too
  narrow, as it is for ``p(z | top)``). Scoring a test image reads the encoder at the image
  (a proposal may depend on anything: the estimate is of the model's own ``p(bottom | top)``);
  a completion sees only the top, the bottom filled with the training pixels' means.
  ``log p^(x) - log p^(top)`` is the log of the self-normalised estimate ``sum_k w_k
  p(bottom | z_k)`` with ``w`` the normalised top weights: consistent, not a bound.
* Diffusion: guided denoising by replacement (as in RePaint, without its resampling): at each
  reverse step the top is overwritten by the known top noised to that step's level,
  ``x_s,top ~ q(x_s | x_0)``, and at the last step by the top itself.
* RBM: block Gibbs sweeps with the top clamped, a chain whose stationary law is the RBM's
  ``p(bottom | top)`` exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import logsumexp

from .._lazy import jit

if TYPE_CHECKING:
    from ..models.diffusion import Diffusion
    from ..models.rbm import RBM
    from ..models.vae import Vae

#: items per compiled chunk of the VAE's importance weights
VAE_CHUNK = 8


def _first(draws: Mapping[str, Any], sites: Any) -> dict[str, Any]:
    import jax.numpy as jnp

    return {k: jnp.asarray(np.asarray(draws[k])[0], jnp.float32) for k in sites}


@jit(static_argnums=(0, 5, 6))
def _vae_weights(
    model: Vae, weights: dict, encoder: Any, x_in: Any, x: Any, k: int, top: int, key: Any
) -> tuple[Any, Any, Any]:
    """``z`` (items, k, L) from the defensive proposal at ``x_in``, and the log weights of
    ``x`` and of its top, each ``(items, k)``."""
    import jax
    import jax.numpy as jnp

    from ..models import _vae_net as net

    decoder = net.with_weights(model.decoder_template, weights)
    mean, log_sd = net.split_encoding(jax.vmap(model.encoder_net(encoder))(x_in), model.latent)
    k_eps, k_pick = jax.random.split(key)
    eps = jax.random.normal(k_eps, (x.shape[0], k, model.latent))
    from_encoder = jax.random.bernoulli(k_pick, 0.5, (x.shape[0], k, 1))
    z = jnp.where(from_encoder, mean[:, None] + jnp.exp(log_sd)[:, None] * eps, eps)
    # log N(z | 0, I) and log N(z | mean, sd), less the shared 2 pi term
    log_prior = -0.5 * jnp.sum(z**2, -1)
    std = (z - mean[:, None]) / jnp.exp(log_sd)[:, None]
    log_enc = -0.5 * jnp.sum(std**2, -1) - jnp.sum(log_sd, -1)[:, None]
    log_q = jnp.logaddexp(log_enc, log_prior) - math.log(2.0)
    logits = jax.vmap(jax.vmap(decoder))(z)
    bits = x[:, None] * logits - jax.nn.softplus(logits)
    lw_x = bits.sum(-1) + log_prior - log_q
    lw_top = bits[..., :top].sum(-1) + log_prior - log_q
    return z, lw_x, lw_top


def _vae_chunks(
    model: Vae,
    draws: Mapping[str, Any],
    x_in: np.ndarray,
    x: np.ndarray,
    k: int,
    top: int,
    key: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_vae_weights` over fixed-size chunks of items (one compile per ``k``)."""
    import jax

    weights = _first(draws, model.param_sites())
    encoder = np.asarray(draws["encoder"])[0]
    n = len(x)
    pad = -(-n // VAE_CHUNK) * VAE_CHUNK
    xs_in, xs = (np.zeros((pad, x.shape[1]), np.float32) for _ in range(2))
    xs_in[:n], xs[:n] = x_in, x
    parts = [
        _vae_weights(
            model,
            weights,
            encoder,
            xs_in[i : i + VAE_CHUNK],
            xs[i : i + VAE_CHUNK],
            k,
            top,
            jax.random.fold_in(key, i),
        )
        for i in range(0, pad, VAE_CHUNK)
    ]
    z, lw_x, lw_top = (np.concatenate([np.asarray(p[j]) for p in parts])[:n] for j in range(3))
    return z, lw_x, lw_top


def vae_log_joint(
    model: Vae, draws: Mapping[str, Any], x: np.ndarray, top: int, k: int, key: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Importance estimates of ``(log p(x), log p(top))`` per item, ``k`` shared samples
    from the defensive proposal at the whole image."""
    x32 = np.asarray(x, np.float32)
    _, lw_x, lw_top = _vae_chunks(model, draws, x32, x32, k, top, key)
    return logsumexp(lw_x, axis=1) - math.log(k), logsumexp(lw_top, axis=1) - math.log(k)


def vae_complete(
    model: Vae,
    draws: Mapping[str, Any],
    x: np.ndarray,
    top: int,
    fill: np.ndarray,
    k: int,
    key: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """A copy of ``x`` with its bottom drawn from ``p(bottom | top)``: ``z`` resampled from
    ``k`` importance samples by their top weights (the proposal reads the top and ``fill``
    below it, never the item's bottom), then the bottom from the decoder. Also each item's
    effective sample size of the top weights."""
    import jax

    x32 = np.asarray(x, np.float32)
    x_in = x32.copy()
    x_in[:, top:] = fill
    z, _, lw_top = _vae_chunks(model, draws, x_in, x32, k, top, key)
    w = np.exp(lw_top - logsumexp(lw_top, axis=1, keepdims=True))
    ess = 1.0 / np.sum(w**2, axis=1)
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel().tolist())
    pick = np.array([rng.choice(k, p=row / row.sum()) for row in w])
    probs = model.decode(draws, z[np.arange(len(z)), pick])
    out = np.array(x, dtype=np.int64, copy=True)
    out[:, top:] = rng.random(probs[:, top:].shape) < probs[:, top:]
    return out, ess


def diffusion_complete(
    model: Diffusion, draws: Mapping[str, Any], x: np.ndarray, top: int, key: Any
) -> np.ndarray:
    """A copy of ``x`` with its bottom drawn by guided denoising (replacement; see the
    module notes), under the first draw."""
    import jax.numpy as jnp

    params = _first(draws, model.param_sites())
    out = _guided(model, params, jnp.asarray(x, jnp.float32), key, top)
    return np.asarray(out).astype(np.int64)


@jit(static_argnums=(0, 4))
def _guided(model: Diffusion, params: dict, x0: Any, key: Any, top: int) -> Any:
    import jax
    import jax.numpy as jnp

    from ..models import _diffusion_bound as bound
    from ..models import _diffusion_net as net

    denoise = net.denoiser(params, *model.shape)
    items, n, steps = x0.shape[0], x0.shape[1], model.timesteps
    keys = jax.random.split(key, 2 * steps + 2)

    def known(s: int, k: Any) -> Any:
        if s == 0:
            return x0[:, :top]
        p = bound.marginal_one(model.abar, jnp.asarray(s), x0[:, :top])
        return (jax.random.uniform(k, p.shape) < p).astype(jnp.float32)

    xt = (jax.random.uniform(keys[0], (items, n)) < 0.5).astype(jnp.float32)
    xt = xt.at[:, :top].set(known(steps, keys[1]))
    for j, t in enumerate(range(steps, 0, -1)):
        s = t - 1
        logits = denoise(xt, jnp.full((items,), t))
        if s == 0:
            log_on = jax.nn.log_sigmoid(logits)
        else:
            full = jnp.full((items,), 0, jnp.int32)
            log_on, _ = bound.reverse_log_probs(model.abar, full + s, full + t, xt, logits)
        u = jax.random.uniform(keys[2 * j + 2], xt.shape)
        xt = (jnp.log(u) < log_on).astype(jnp.float32)
        xt = xt.at[:, :top].set(known(s, keys[2 * j + 3]))
    return xt


def rbm_complete(
    model: RBM, draws: Mapping[str, Any], x: np.ndarray, top: int, key: Any, sweeps: int
) -> np.ndarray:
    """A copy of ``x`` with its bottom after ``sweeps`` block Gibbs sweeps with the top
    clamped, started from the visible biases, under the first draw."""
    import jax

    from ..models.rbm import SITES

    p = _first(draws, SITES)
    k0, k1 = jax.random.split(key)
    start = np.asarray(jax.random.uniform(k0, x.shape) < jax.nn.sigmoid(p["b_visible"]))
    start = start.astype(np.float32)
    start[:, :top] = x[:, :top]
    out = _clamped_gibbs(p, start, k1, sweeps, top)
    return np.asarray(out).astype(np.int64)


@jit(static_argnums=(3, 4))
def _clamped_gibbs(p: dict, x: Any, key: Any, sweeps: int, top: int) -> Any:
    import jax

    from ..models import _rbm_engine as eng

    clamp = x[:, :top]

    def body(xc: Any, k: Any) -> tuple[Any, None]:
        return eng.gibbs_sweep(p, xc, k).at[:, :top].set(clamp), None

    return jax.lax.scan(body, x, jax.random.split(key, sweeps))[0]
