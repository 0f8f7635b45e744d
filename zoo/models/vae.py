"""The variational autoencoder (Kingma & Welling 2014) over binary pixels: a Gaussian latent
vector per image, every pixel a Bernoulli whose logit a decoder network reads from it.

    p(x, z | w) = N(z | 0, I_L) prod_i Bernoulli(x_i | sigmoid(f_w(z)_i))
    p(x | w)    = integral of p(x, z | w) dz

``f_w`` is a one-hidden-layer tanh MLP (Equinox), ``L -> H -> n``; its weights ``w`` are the
model's parameters (``H (L + 1) + n (H + 1)``), every weight ``Normal(0, prior_scale)`` and
every bias ``Normal(0, bias_scale)``, fitted to their MAP. The DAG is ``z -> x_i`` for every
pixel: the pixels are independent given z (``x_i ⟂ x_j | z``) and nothing else, since z is
summed out of what is modelled. Each decoder pours exactly one unit of mass over the 2^n
images for every z, so p(x | w) is normalised by construction.

Fitting: SVI on the ELBO, through a guide with a Delta on ``w`` (its MAP) and the amortised
encoder ``q(z | x) = N(mu(x), diag sigma(x)^2)``, another MLP ``n -> H -> 2L`` declared
with ``numpyro.contrib.module.eqx_module``. The encoder is not part of the model: it is kept
beside the weights as the flat vector ``encoder`` (an auxiliary site) and counted apart as
amortisation (``n H + H + 2 L H + 2 L``). Minibatches of 128 images, dealt in blocks
from a shuffle per epoch by the training loop (``_minibatch``), Adam from 0.01,
cosine-decayed to zero over the steps.

Held-out score: the importance-weighted bound (IWAE, Burda et al. 2016)
``log (1/K) sum_k p(x, z_k | w) / q(z_k | x)``, ``z_k ~ q(. | x)``, at K = 5000; it rises
towards log p(x | w) as K grows (the card shows K = 1 ... 5000). Without an encoder (draws
from :meth:`Vae.simulate`) the prior is the proposal. The card's checks: the PSIS k-hat of
each training item's importance weights (a share above 0.7 says the bound is unreliable
there) and the active latent units (mean KL(q(z_d | x) || N(0, 1)) above 0.01 nats;
fewer than L is partial posterior collapse).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from graphs import DAG, Variable
from graphs.families import pixels

from .._lazy import dist, jax, jnp, numpyro
from ..data import Dataset, square_shape
from ..errors import ZooError
from ..validate import positive_ints, positive_numbers
from . import _vae_net as net
from ._base import Draws, Family, ItemPlate, Trained, as_numpy, pick_draws
from ._spec import FamilySpec, Row, binary_only

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LATENTS = (2, 8, 16)
#: importance samples per item for the held-out score and for the training items' log-lik
K_HELDOUT, K_TRAIN = 5000, 200
#: the bound's convergence on the card
K_SHOWN = (1, 10, 100, 1000, 5000)
ACTIVE_KL = 0.01


class Vae(ItemPlate, Family, Trained):
    """A VAE with a Bernoulli MLP decoder (the model) and an amortised Gaussian encoder."""

    methods = ("svi",)
    default_method = "svi"
    default_guide = "amortised"
    method_reason = (
        "a continuous latent per image under a neural decoder: SVI on the ELBO, with the "
        "decoder's weights at their MAP and q(z | x) from an amortised encoder"
    )
    objective = "elbo"
    learning_rate = 0.01
    #: images per SVI step when the caller names no batch size
    batch_size = 128

    def __init__(
        self,
        dag: DAG,
        latent: int = 8,
        hidden: int = 128,
        prior_scale: float = 1.0,
        bias_scale: float = 5.0,
    ) -> None:
        if latent not in LATENTS:
            raise ZooError(f"latent must be one of {LATENTS}, got {latent!r}")
        positive_ints(hidden=hidden)
        positive_numbers(prior_scale=prior_scale, bias_scale=bias_scale)
        super().__init__(dag)
        self.n = len(self.observed)
        self.latent, self.hidden = int(latent), int(hidden)
        self.prior_scale, self.bias_scale = float(prior_scale), float(bias_scale)
        h, n, lat = self.hidden, self.n, self.latent
        self._shapes = {"w_hidden": (h, lat), "b_hidden": (h,), "w_out": (n, h), "b_out": (n,)}
        self._cache = net.WeightCache()

    # -- structure ------------------------------------------------------------------------
    def param_count(self) -> int:
        return sum(math.prod(s) for s in self._shapes.values())

    def param_sites(self) -> frozenset[str]:
        return frozenset(self._shapes)

    def auxiliary_sites(self) -> frozenset[str]:
        return frozenset({"encoder"})

    # -- the networks -----------------------------------------------------------------------
    @property
    def decoder_template(self) -> Any:
        """The decoder's Equinox MLP (its weights are replaced by each draw's)."""
        if not hasattr(self, "_decoder0"):
            self._decoder0 = net.mlp(self.latent, self.n, self.hidden)
        return self._decoder0

    def encoder_net(self, flat: Any) -> Any:
        """The encoder's Equinox MLP from its flat vector (the ``encoder`` site)."""
        import equinox as eqx
        from jax.flatten_util import ravel_pytree

        if not hasattr(self, "_encoder0"):
            template = net.mlp(self.n, 2 * self.latent, self.hidden)
            params, static = eqx.partition(template, eqx.is_inexact_array)
            self._encoder0 = (ravel_pytree(params)[1], static)
        unravel, static = self._encoder0
        return eqx.combine(unravel(jnp.asarray(flat)), static)

    # -- data -----------------------------------------------------------------------------
    def _x(self, data: Dataset) -> np.ndarray:
        self.check_data(data)
        return np.asarray(data.x, dtype=np.float32)

    def program_kwargs(self, data: Dataset) -> dict:
        return {"x": jnp.asarray(self._x(data))}

    # -- the program ----------------------------------------------------------------------
    def _weights(self) -> dict:
        return {
            name: numpyro.sample(
                name,
                dist.Normal(0.0, self.prior_scale if name[0] == "w" else self.bias_scale)
                .expand(list(shape))
                .to_event(len(shape)),
            )
            for name, shape in self._shapes.items()
        }

    def global_sites(self) -> Any:
        """The decoder, its weights from their priors."""
        return net.with_weights(self.decoder_template, self._weights())

    def item_sites(self, params: Any, x: jnp.ndarray | None, size: int) -> None:
        """Per item z ~ N(0, I), then the pixels through the decoder."""
        z = numpyro.sample("z", dist.Normal(0.0, 1.0).expand([self.latent]).to_event(1))
        numpyro.sample("x", dist.Bernoulli(logits=jax.vmap(params)(z)).to_event(1), obs=x)

    def program_items(self, values: jnp.ndarray | None = None, n_items: int = 1) -> None:
        """The loop form: one site per pixel, each reading only z (and the weights)."""
        decoder = self.global_sites()
        n = n_items if values is None else values.shape[0]
        with numpyro.plate("items", n):
            z = numpyro.sample("z", dist.Normal(0.0, 1.0).expand([self.latent]).to_event(1))
            logits = jax.vmap(decoder)(z)
            for i, name in enumerate(self.observed):
                obs = None if values is None else values[:, i]
                numpyro.sample(name, dist.Bernoulli(logits=logits[:, i]), obs=obs)

    # -- training -------------------------------------------------------------------------
    def svi_run(
        self, data: Dataset, key: Any, steps: int, learning_rate: float, batch: int | None
    ) -> tuple[Callable[..., tuple[dict, Any]], tuple[Any, Any]]:
        """The compiled SVI run :meth:`train` calls and its arguments: ``run(*args)`` gives
        ``(params, losses)`` (benchmarks/vae_torch.py times it apart from its compile);
        ``batch`` items per step (``None``: the family's ``batch_size``)."""
        k_dec, k_enc, k_fit = jax.random.split(key, 3)
        decoder = net.mlp(self.latent, self.n, self.hidden, net.key_seed(k_dec))
        decoder0 = net.decoder_weights(decoder)
        encoder0 = net.mlp(self.n, 2 * self.latent, self.hidden, net.key_seed(k_enc))
        guide = net.make_guide(self, decoder0, encoder0)
        kwargs = self.program_kwargs(data)
        batch = self.batch_size if batch is None else int(batch)
        if batch < data.n_items:
            kwargs = self.minibatch_kwargs(kwargs, batch)
        run = net.svi_run(self, guide, kwargs, int(steps), learning_rate)
        return run, (k_fit, kwargs["x"])

    def train(self, data, key, *, steps, learning_rate, batch_size=None, progress=None):
        """SVI on the ELBO through the guide of ``_vae_net.make_guide``; the point is the
        decoder's MAP weights and the encoder as a flat vector."""
        from jax.flatten_util import ravel_pytree

        run, args = self.svi_run(data, key, steps, learning_rate, batch_size)
        params, losses = run(*args)
        if progress is not None:
            progress(steps, steps)
        point = {name: params[f"{name}_map"] for name in self._shapes}
        point["encoder"] = ravel_pytree(params["encoder$params"])[0]
        return point, -as_numpy(losses)

    # -- what follows from draws ------------------------------------------------------------
    def _points(self, draws: Draws) -> list[tuple[dict, Any]]:
        """Each draw's (decoder weights, encoder vector or None)."""
        total = len(draws["b_out"])
        enc = draws.get("encoder")
        return [
            (
                {k: jnp.asarray(draws[k][s]) for k in self._shapes},
                None if enc is None else jnp.asarray(enc[s]),
            )
            for s in range(total)
        ]

    def _per_draw(self, draws: Draws, fn: Callable[[dict, Any], np.ndarray]) -> np.ndarray:
        """``fn(weights, encoder)`` for each draw, once per distinct draw (a trained fit
        repeats one point)."""
        out, seen = [], {}
        for weights, enc in self._points(draws):
            key = tuple(np.asarray(v).tobytes() for v in (*weights.values(), enc) if v is not None)
            if key not in seen:
                seen[key] = fn(weights, enc)
            out.append(seen[key])
        return np.stack(out)

    def iwae_weights(self, draws: Draws, data: Dataset, k: int) -> np.ndarray:
        """``(draws, items, k)`` importance log weights log p(x, z) - log q(z | x)."""
        x = self._x(data)
        return self._per_draw(draws, lambda w, e: self._cache.get(self, w, e, x, k))

    def log_likelihood(self, draws: Draws, data: Dataset) -> np.ndarray:
        """The IWAE bound on log p(x | w) with ``K_TRAIN`` samples (the training items'
        pointwise group; the held-out score takes ``K_HELDOUT``)."""
        return net.iwae(self.iwae_weights(draws, data, K_TRAIN).reshape(-1, K_TRAIN)).reshape(
            len(draws["b_out"]), data.n_items
        )

    def log_px(self, draws: Draws, data: Dataset) -> np.ndarray:
        """The IWAE bound on log p(x | w) at K = 5000."""
        lw = self.iwae_weights(draws, data, K_HELDOUT)
        return net.iwae(lw.reshape(-1, K_HELDOUT)).reshape(lw.shape[:2])

    def heldout_details(self, draws: Draws, test: Dataset) -> dict[str, Any]:
        """The held-out bound in nats per item at each K of ``K_SHOWN`` (from the same
        5000 weights per item: smaller K average their disjoint blocks), and the share of
        held-out items whose weights have a k-hat above 0.7."""
        lw = self.iwae_weights(draws, test, K_HELDOUT)[0]
        bound = {str(k): -float(np.mean(net.iwae(lw, k))) for k in K_SHOWN}
        return {
            "iwae_nats_by_k": bound,
            "khat_over_0.7": float(np.mean(net.khats(lw) > 0.7)),
        }

    def fit_diagnostics(self, draws: Draws, data: Dataset) -> dict[str, Any]:
        """PSIS k-hats of the training items' importance weights (``K_TRAIN`` each), and the
        active units (a check: at least one, else the posterior has collapsed)."""
        lw = self.iwae_weights(draws, data, K_TRAIN)[0]
        k = net.khats(lw)
        # a value, not a check: a Gaussian q(z | x) is a heavy-tailed proposal for many
        # items (about one in seven above 0.7 on the digits), which loosens the bound there
        out: dict[str, Any] = {
            "khat_over_0.7": float(np.mean(k > 0.7)),
            "khat_max": float(np.max(k)),
        }
        if "encoder" in draws:
            kl = self.kl_per_dim(draws, data)
            active = int(np.sum(kl > ACTIVE_KL))
            out["kl_per_dim"] = [round(float(v), 4) for v in kl]
            out["active_units"] = (active, 1, active >= 1)
        return out

    def encode(self, draws: Draws, data: Dataset) -> tuple[np.ndarray, np.ndarray]:
        """The first draw's q(z | x) of each item: ``(items, L)`` means and standard
        deviations."""
        enc = self.encoder_net(jnp.asarray(draws["encoder"][0]))
        out = jax.vmap(enc)(jnp.asarray(self._x(data)))
        mean, log_sd = net.split_encoding(out, self.latent)
        return as_numpy(mean), as_numpy(jnp.exp(log_sd))

    def kl_per_dim(self, draws: Draws, data: Dataset) -> np.ndarray:
        """Mean over items of KL(q(z_d | x) || N(0, 1)) for each latent dimension d."""
        mean, sd = self.encode(draws, data)
        return np.asarray(np.mean(0.5 * (mean**2 + sd**2 - 1.0) - np.log(sd), axis=0))

    def decode(self, draws: Draws, z: Any) -> np.ndarray:
        """``(m, n)`` pixel probabilities at the latent points ``z`` (m, L), first draw."""
        weights = {k: jnp.asarray(draws[k][0]) for k in self._shapes}
        decoder = net.with_weights(self.decoder_template, weights)
        return as_numpy(jax.nn.sigmoid(jax.vmap(decoder)(jnp.asarray(z, jnp.float32))))

    def sample(self, draws: Draws, key: Any, n: int) -> np.ndarray:
        """``n`` items, each from its own draw: z from the prior, then the pixels."""
        picked = pick_draws({k: draws[k] for k in self._shapes}, key, n)
        z = jax.random.normal(jax.random.fold_in(key, 1), (n, self.latent))
        logits = jax.vmap(lambda w, zi: net.with_weights(self.decoder_template, w)(zi))(picked, z)
        u = jax.random.uniform(jax.random.fold_in(key, 2), logits.shape)
        return as_numpy(u < jax.nn.sigmoid(logits)).astype(np.int32)

    def family_figures(self, draws: Draws, data: Dataset, seed: int = 0) -> dict[str, Figure]:
        """The decoded 2-D latent map (a latent-2 VAE only) and interpolations in z between
        pairs of ``data``'s items (when it has two or more)."""
        from . import _vae_figures

        out: dict[str, Figure] = {}
        if self.latent == 2:
            out["latent_map.png"] = _vae_figures.latent_map(self, draws, data)
        pairs = min(4, data.n_items // 2)
        if pairs:
            out["interpolations.png"] = _vae_figures.interpolations(self, draws, data, pairs)
        return out

    # -- known answers -----------------------------------------------------------------------
    def simulate(self, key: Any, n: int) -> tuple[Dataset, dict]:
        """``n`` images from decoder weights drawn from their priors."""
        positive_ints(n=n)
        truth = {
            name: (self.prior_scale if name[0] == "w" else self.bias_scale)
            * jax.random.normal(jax.random.fold_in(key, i), shape)
            for i, (name, shape) in enumerate(self._shapes.items())
        }
        x = self.sample({k: v[None] for k, v in truth.items()}, jax.random.fold_in(key, 9), n)
        names = self.observed
        shape = square_shape(self.n)
        data = Dataset(x, names, (2,) * len(names), shape=shape, source="simulated vae")
        return data, {k: as_numpy(v) for k, v in truth.items()}


def _dag(n: int = 64, latent: int = 8, **_: Any) -> DAG:
    z = Variable("z", card=None, role="latent")
    xs = pixels(n)
    return DAG([z, *xs], [("z", v.name) for v in xs], name=f"vae(L={latent})")


def _count(dag: DAG, latent: int = 8, hidden: int = 128, **_: Any) -> int:
    n = len(dag) - 1
    return hidden * (latent + 1) + n * (hidden + 1)


def _amortisation(dag: DAG, latent: int = 8, hidden: int = 128, **_: Any) -> int:
    n = len(dag) - 1
    return hidden * (n + 1) + 2 * latent * (hidden + 1)


def _conditional(latent: int = 8, hidden: int = 128, **_: Any) -> str:
    return f"MLP decoder {latent} -> {hidden} -> n"


SPEC = FamilySpec(
    "vae",
    "Variational autoencoder (Bernoulli MLP decoder, Gaussian latent, amortised encoder)",
    "p(x) = integral N(z | 0, I) prod_i p(x_i | z) dz",
    "decoder weights and biases: H (L + 1) + n (H + 1)",
    _dag,
    ("n", "latent", "hidden"),
    model=Vae,
    count=_count,
    conditional=_conditional,
    amortisation=_amortisation,
    rows=(Row("vae", steps={"quick": 800, "default": 3000, "thorough": 6000}),),
    unsupported=binary_only,
    example={"n": 4, "latent": 2, "hidden": 3},
    order=60,
)
