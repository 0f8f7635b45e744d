"""The networks under ``zoo.models.vae`` and what is computed from them: the Equinox decoder
and encoder (one-hidden-layer tanh MLPs), the SVI guide (a Delta on the decoder's weights,
the encoder's Gaussian on z through ``numpyro.contrib.module.eqx_module``), and the
importance weights of the IWAE bound, computed in fixed-size chunks of items so that one
compile serves every data set and memory stays bounded at K = 5000.

JAX, NumPyro and Equinox are imported on first use, as in the family module.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .._lazy import dist, jax, jit, jnp, numpyro
from ._minibatch import first_kwargs, svi_steps, with_indices

if TYPE_CHECKING:
    from .vae import Vae

#: the decoder's sample sites, in program order, and their Equinox leaves
DECODER_SITES = ("w_hidden", "b_hidden", "w_out", "b_out")
#: samples per chunk of the IWAE weights (items per chunk = this // K): ~64 MB at hidden 128
CHUNK_SAMPLES = 80_000
#: the step size decays (cosine) to this share of its start
ALPHA = 0.0


def mlp(n_in: int, n_out: int, hidden: int, seed: Any = 0) -> Any:
    """A one-hidden-layer tanh MLP (Equinox), the decoder's and the encoder's shape, with
    Equinox's initialisation (uniform within 1 / sqrt(fan in)) drawn by NumPy from ``seed``
    (each eager JAX random op would compile on its own, and this also runs inside traces)."""
    import equinox as eqx

    skeleton = eqx.filter_eval_shape(_mlp, n_in, n_out, hidden)
    rng = np.random.default_rng(seed)
    shapes = [((hidden, n_in), n_in), ((hidden,), n_in), ((n_out, hidden), hidden)]
    shapes.append(((n_out,), hidden))
    leaves = tuple(
        np.asarray(rng.uniform(-1.0, 1.0, shape) / math.sqrt(fan_in), np.float32)
        for shape, fan_in in shapes
    )
    return eqx.tree_at(_leaves, skeleton, leaves)


def _mlp(n_in: int, n_out: int, hidden: int) -> Any:
    import equinox as eqx

    key = jax.random.PRNGKey(0)  # shapes only: traced by filter_eval_shape
    return eqx.nn.MLP(n_in, n_out, hidden, depth=1, activation=jnp.tanh, key=key)


def key_seed(key: Any) -> list[int]:
    """A NumPy seed from a JAX key (outside traces)."""
    return np.asarray(jax.random.key_data(key)).ravel().tolist()


def _leaves(net: Any) -> tuple:
    return (net.layers[0].weight, net.layers[0].bias, net.layers[1].weight, net.layers[1].bias)


def decoder_weights(net: Any) -> dict[str, Any]:
    """The decoder sites' values held by an Equinox MLP."""
    return dict(zip(DECODER_SITES, _leaves(net), strict=True))


def with_weights(template: Any, weights: dict[str, Any]) -> Any:
    """``template`` (an Equinox MLP) carrying the decoder sites' ``weights``."""
    import equinox as eqx

    return eqx.tree_at(_leaves, template, tuple(weights[k] for k in DECODER_SITES))


def split_encoding(out: Any, latent: int) -> tuple[Any, Any]:
    """The encoder's output as (mean, log standard deviation) of q(z | x)."""
    return out[..., :latent], out[..., latent:]


def make_guide(model: Vae, decoder0: dict, encoder0: Any) -> Callable[..., None]:
    """The SVI guide: the decoder's weights at a point (a Delta: their MAP), z per item from
    the amortised encoder's Gaussian. ``decoder0`` and ``encoder0`` are the starting point."""
    from numpyro.contrib.module import eqx_module

    def guide(
        x: jax.Array | None = None, n_items: int | None = None, subsample_size: int | None = None
    ) -> None:
        assert x is not None, "the guide's encoder reads the items x"
        for name, start in decoder0.items():
            value = numpyro.param(f"{name}_map", start)
            numpyro.sample(name, dist.Delta(value, event_dim=jnp.ndim(start)))
        encoder = eqx_module("encoder", encoder0)
        with numpyro.plate("items", x.shape[0], subsample_size=subsample_size) as idx:
            batch = x if subsample_size is None else x[idx]
            mean, log_sd = split_encoding(jax.vmap(encoder)(batch), model.latent)
            numpyro.sample("z", dist.Normal(mean, jnp.exp(log_sd)).to_event(1))

    return guide


def svi_run(
    model: Vae, guide: Any, kwargs: dict, steps: int, learning_rate: float
) -> Callable[[jax.Array, jax.Array], tuple[dict, jax.Array]]:
    """The compiled run of ``steps`` SVI steps, ``run(key, x) -> (params, losses)``
    (Trace_ELBO, Adam with the step size cosine-decayed to ``ALPHA`` of its start, so the
    last steps settle): ``svi.init`` and a ``lax.scan`` over ``svi.update`` in one jitted
    function (an eager ``init`` costs seconds of small compiles). ``x`` is ``kwargs["x"]``;
    the other ``kwargs`` are fixed. With a ``subsample_size``, the loop deals each step's
    minibatch from a shuffle per epoch (``_minibatch``)."""
    import optax
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.optim import optax_to_numpyro

    schedule = optax.cosine_decay_schedule(learning_rate, steps, alpha=ALPHA)
    optim = optax_to_numpyro(optax.adam(schedule))
    svi = SVI(with_indices(model.program), with_indices(guide), optim, Trace_ELBO())
    fixed = {k: v for k, v in kwargs.items() if k != "x"}

    @jax.jit
    def run(key: jax.Array, x: jax.Array) -> tuple[dict, jax.Array]:
        k_init, k_batch = jax.random.split(key)
        state = svi.init(k_init, **first_kwargs({"x": x, **fixed}, k_batch))
        state, losses = svi_steps(svi, state, k_batch, {"x": x, **fixed}, steps)
        return svi.get_params(state), losses

    return run


def _bernoulli(x: Any, logits: Any) -> jax.Array:
    return jnp.sum(x * logits - jax.nn.softplus(logits), axis=-1)


@jit(static_argnums=(0, 4))
def _chunk_log_weights(
    model: Vae, weights: dict, encoder: Any, x: Any, k: int, key: Any
) -> jax.Array:
    """``(items, k)`` log p(x, z) - log q(z | x) for ``k`` draws of z per item of ``x``: from
    the encoder's Gaussian, or from the prior when ``encoder`` is ``None``."""
    decoder = with_weights(model.decoder_template, weights)
    eps = jax.random.normal(key, (x.shape[0], k, model.latent))
    log_q_minus_prior: jax.Array | float
    if encoder is None:
        z, log_q_minus_prior = eps, 0.0
    else:
        mean, log_sd = split_encoding(jax.vmap(model.encoder_net(encoder))(x), model.latent)
        z = mean[:, None] + jnp.exp(log_sd)[:, None] * eps
        # log q(z) - log p(z): the 2 pi terms cancel
        log_q_minus_prior = jnp.sum(-0.5 * eps**2 - log_sd[:, None] + 0.5 * z**2, axis=-1)
    logits = jax.vmap(jax.vmap(decoder))(z)
    return _bernoulli(x[:, None], logits) - log_q_minus_prior


class WeightCache:
    """The last log weights computed, by what they were computed from: the card reads the
    same weights for the score, the bound's convergence and the k-hats."""

    def __init__(self) -> None:
        self._key: str | None = None
        self._value: np.ndarray | None = None

    def get(self, model: Vae, weights: dict, encoder: Any, x: np.ndarray, k: int) -> np.ndarray:
        h = hashlib.sha1(f"{k}".encode())
        for v in (*weights.values(), encoder, x):
            if v is not None:
                h.update(np.ascontiguousarray(np.asarray(v, np.float32)).tobytes())
        if h.hexdigest() != self._key:
            self._value = log_weights(model, weights, encoder, x, k)
            self._key = h.hexdigest()
        assert self._value is not None  # set together with the key
        return self._value


def log_weights(model: Vae, weights: dict, encoder: Any, x: np.ndarray, k: int) -> np.ndarray:
    """``(items, k)`` importance log weights of every item of ``x``, chunk by chunk (items
    padded to a whole chunk, so each (k, chunk) compiles once). Seeded: same inputs, same
    numbers."""
    size = max(1, CHUNK_SAMPLES // k)
    n = x.shape[0]
    padded = np.zeros((-(-n // size) * size, x.shape[1]), np.float32)
    padded[:n] = x
    key = jax.random.PRNGKey(0)
    parts = [
        np.asarray(
            _chunk_log_weights(
                model, weights, encoder, padded[i : i + size], k, jax.random.fold_in(key, i)
            )
        )
        for i in range(0, len(padded), size)
    ]
    return np.concatenate(parts)[:n]


def iwae(lw: np.ndarray, k: int | None = None) -> np.ndarray:
    """Per item, the IWAE bound log (1/k) sum_j w_j from ``(items, K)`` log weights: with
    ``k < K``, the mean over the ``K // k`` disjoint blocks of ``k`` (the same bound,
    estimated with less noise)."""
    from scipy.special import logsumexp

    k = lw.shape[1] if k is None else k
    blocks = lw[:, : (lw.shape[1] // k) * k].reshape(lw.shape[0], -1, k)
    return np.asarray(np.mean(logsumexp(blocks, axis=-1) - math.log(k), axis=1))


def khats(lw: np.ndarray) -> np.ndarray:
    """The Pareto k-hat (PSIS, ArviZ) of each item's importance weights."""
    import warnings

    from .._az import az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, k = az.psislw(np.asarray(lw, dtype=float))
    return np.asarray(k, dtype=float)
