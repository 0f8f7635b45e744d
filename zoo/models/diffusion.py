"""Discrete (Bernoulli) diffusion over binary pixels: learn to undo a gradual noising, and
generate by denoising step by step (Sohl-Dickstein et al. 2015; Austin et al. 2021, D3PM).

Forward process (fixed), each pixel on its own: at step t a pixel is kept with probability
``1 - beta_t``, else redrawn from a fair coin, so ``q(x_t | x_0)`` keeps it with probability
``abar_t = prod_{s<=t} (1 - beta_s) = 1 - t / T`` and ``q(x_T)`` is uniform exactly.

Reverse process (learned), a Markov chain over time steps:

    p(x_0) = sum_{x_1..x_T} p(x_T) prod_{t=1}^T p(x_{t-1} | x_t),   p(x_T) = Bernoulli(1/2)^n
    p(x_{t-1} | x_t) = prod_i sum_{x_0i} q(x_{t-1,i} | x_t, x_0i) p_theta(x_0i | x_t)

with ``p_theta(x_0 | x_t)`` the logits of an Equinox MLP of ``(x_t, one_hot(t))`` (``depth``
hidden layers of ``hidden`` units); at ``t = 1`` the step is ``p_theta(x_0 | x_1)`` itself.
Every weight is a global sample site with a ``Normal(0, prior_scale)`` prior, fitted to a
point (the MAP of the bound) by Adam: ``params.model`` counts them all.

Held-out score: the negative ELBO,

    -log p(x_0) <= L_T + sum_{t=2}^T E_q KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) + L_0,
    L_T = KL(q(x_T | x_0) || p(x_T)) (0 here),   L_0 = E_q[-log p_theta(x_0 | x_1)],

every KL analytic (between Bernoullis), every step summed; the expectation over each x_t is
a Monte Carlo mean of ``bound_samples`` draws (fixed seed, so the same point scores the same).

The graph: one observed node per pixel of x_0 (``x0 .. x{n-1}``), one latent node per
noisy image ``z1 .. zT`` (``z_t`` = x_t, all ``n`` pixels: ``2^n`` states), and the chain
``zT -> ... -> z1 -> x_i``. So the pixels of x_0 are independent given x_1, and each step
depends on the past only through the step before; within a step every pixel of x_{t-1}
depends on all of x_t. The loop form (``program_items``) samples each ``z_t`` as that
integer, so it is kept to ``n <= 24`` pixels (the contract's sizes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import numpy as np

import graphs
from graphs import DAG, Variable

from .._lazy import dist, jax, jnp, numpyro
from ..data import Dataset, square_shape
from ..errors import ZooError
from ..validate import positive_ints, positive_numbers
from . import _diffusion_bound as bound
from . import _diffusion_net as net
from ._base import Draws, Family, Trained, as_numpy, pick_draws
from ._spec import FamilySpec, Row, binary_only

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: pixels the loop form can hold as one integer per noisy image
LOOP_MAX_PIXELS = 24


class Diffusion(Family, Trained):
    """A Bernoulli diffusion with an MLP denoiser predicting x_0 (see the module notes)."""

    family = "diffusion"
    methods = ("elbo",)
    default_method = "elbo"
    method_reason = (
        "a denoiser's ~10^5 weights fitted to the MAP of the variational bound by Adam, each "
        "item's bound estimated at one random step (unbiased for the full sum)"
    )
    objective = "elbo"
    learning_rate = 0.002
    invariant_only = True  # hidden units can swap

    def __init__(
        self,
        dag: DAG,
        timesteps: int = 20,
        hidden: int = 256,
        depth: int = 2,
        prior_scale: float = 1.0,
        bound_samples: int = 4,
    ) -> None:
        positive_ints(timesteps=timesteps, hidden=hidden, depth=depth, bound_samples=bound_samples)
        positive_numbers(prior_scale=prior_scale)
        super().__init__(dag)
        self.n = len(self.observed)
        if len(dag) != self.n + timesteps:
            raise ZooError(
                f"diffusion: the DAG has {len(dag) - self.n} latent steps, timesteps is {timesteps}"
            )
        self.timesteps = int(timesteps)
        self.shape = (self.n, self.timesteps, int(hidden), int(depth))
        self.prior_scale = float(prior_scale)
        self.bound_samples = int(bound_samples)
        self._sizes = net.site_shapes(*self.shape)
        self.abar = jnp.asarray(bound.linear_schedule(self.timesteps), jnp.float32)
        self._neg_bound = jax.jit(self._neg_bound_impl, static_argnames=("times", "samples"))

    # -- structure ------------------------------------------------------------------------
    def param_count(self) -> int:
        return sum(math.prod(s) for s in self._sizes.values())

    def param_sites(self) -> frozenset[str]:
        return frozenset(self._sizes)

    def calibration_sites(self) -> list[str] | None:
        return ["b" + str(len(self._sizes) // 2 - 1)]  # the output biases: no unit swaps them

    def _x(self, data: Dataset) -> jnp.ndarray:
        self.check_data(data)
        return jnp.asarray(data.x, jnp.float32)

    def program_kwargs(self, data: Dataset) -> dict:
        return {"x": self._x(data)}

    # -- the program ------------------------------------------------------------------------
    def _params(self) -> dict:
        return {
            k: numpyro.sample(k, dist.Normal(0.0, self.prior_scale).expand(s).to_event(len(s)))
            for k, s in self._sizes.items()
        }

    def program(self, x: jnp.ndarray | None = None, n_items: int | None = None) -> None:
        """Weights from their prior, then each item's reverse chain from noise to ``x``."""
        denoise = net.denoiser(self._params(), *self.shape)
        items = int(x.shape[0]) if x is not None else int(cast(int, n_items))
        T, abar = self.timesteps, self.abar
        with numpyro.plate("items", items):
            xt = numpyro.sample(f"z{T}", dist.Bernoulli(0.5 * jnp.ones(self.n)).to_event(1))
            for t in range(T, 1, -1):
                full = jnp.full((items,), t)
                on, off = bound.reverse_log_probs(abar, full - 1, full, xt, denoise(xt, full))
                step = dist.Bernoulli(logits=on - off).to_event(1)
                xt = numpyro.sample(f"z{t - 1}", step)
            logits = denoise(xt, jnp.ones((items,), jnp.int32))
            numpyro.sample("x", dist.Bernoulli(logits=logits).to_event(1), obs=x)

    def program_items(self, values: jnp.ndarray | None = None, n_items: int = 1) -> None:
        """The loop form: each noisy image one site (an integer whose binary digits are its
        pixels), each pixel of x_0 one site, so the graph reads as the chain over steps."""
        if self.n > LOOP_MAX_PIXELS:
            raise ZooError(
                f"diffusion's loop form holds each noisy image as one integer: n <= "
                f"{LOOP_MAX_PIXELS}, got {self.n}"
            )
        image = _image_distribution()
        denoise = net.denoiser(self._params(), *self.shape)
        items = n_items if values is None else values.shape[0]
        T, abar = self.timesteps, self.abar
        with numpyro.plate("items", items):
            z = numpyro.sample(f"z{T}", image(jnp.zeros((items, self.n))))
            for t in range(T, 1, -1):
                xt, full = _bits(z, self.n), jnp.full((items,), t)
                on, off = bound.reverse_log_probs(abar, full - 1, full, xt, denoise(xt, full))
                z = numpyro.sample(f"z{t - 1}", image(on - off))
            logits = denoise(_bits(z, self.n), jnp.ones((items,), jnp.int32))
            for i, node in enumerate(self.observed):
                obs = None if values is None else values[:, i]
                numpyro.sample(node, dist.Bernoulli(logits=logits[:, i]), obs=obs)

    # -- training ---------------------------------------------------------------------------
    def train(self, data, key, *, steps, learning_rate, batch_size=None, progress=None):
        positive_ints(steps=steps)
        x = self._x(data)
        batch = min(int(batch_size or 128), x.shape[0])
        init = net.initial(*self.shape)
        point, trace = net.train(
            self.shape,
            self.abar,
            x,
            init,
            key,
            steps=int(steps),
            lr=float(learning_rate),
            batch=batch,
            scale=self.prior_scale,
        )
        if progress is not None:
            progress(steps, steps)
        return point, trace

    # -- the bound --------------------------------------------------------------------------
    def _neg_bound_impl(self, params, x0, key, times, samples):
        denoise = net.denoiser(params, *self.shape)
        return bound.bound_terms(denoise, self.abar, times, x0, key, samples)

    def bound_terms(
        self, draws: Draws, data: Dataset, times: tuple[int, ...] | None = None
    ) -> dict[str, jnp.ndarray]:
        """``L_T``, ``kl`` (each step's) and ``L_0`` per draw and item, on the grid ``times``
        (default: every step; a sub-grid scores the strided chain the same denoiser
        defines). Monte Carlo over x_t with ``bound_samples`` draws and a fixed key."""
        x = self._x(data)
        times = tuple(range(self.timesteps + 1)) if times is None else tuple(int(t) for t in times)
        if times[0] != 0 or times[-1] != self.timesteps or list(times) != sorted(set(times)):
            raise ZooError(f"times must rise from 0 to {self.timesteps}, got {list(times)}")
        own = {k: jnp.asarray(draws[k]) for k in self._sizes}
        parts = [
            self._neg_bound(
                {k: v[d] for k, v in own.items()},
                x,
                jax.random.PRNGKey(d),
                times=times,
                samples=self.bound_samples,
            )
            for d in range(len(own["b0"]))
        ]
        return {
            name: jnp.stack([p[i] for p in parts]) for i, name in enumerate(("L_T", "kl", "L_0"))
        }

    def log_likelihood(self, draws: Draws, data: Dataset) -> jnp.ndarray:
        """The variational bound on log p(x) of each item (its negative ELBO, negated)."""
        terms = self.bound_terms(draws, data)
        return -(terms["L_T"] + terms["kl"].sum(-1) + terms["L_0"])

    def heldout_details(self, draws: Draws, test: Dataset) -> dict[str, Any]:
        terms = self.bound_terms(draws, test)
        return {
            "L_T": float(terms["L_T"].mean()),
            "sum_kl": float(terms["kl"].sum(-1).mean()),
            "L_0": float(terms["L_0"].mean()),
            "timesteps": self.timesteps,
            "x_t_draws_per_step": self.bound_samples,
        }

    def fit_diagnostics(self, draws: Draws, data: Dataset) -> dict[str, Any]:
        kl = self.bound_terms(draws, data)["kl"].mean(axis=(0, 1))
        # where the bound is paid: the noisiest third of the steps against the cleanest
        third = max(1, len(kl) // 3)
        return {
            "kl_first_steps": float(kl[:third].sum()),
            "kl_last_steps": float(kl[-third:].sum()),
        }

    # -- sampling -----------------------------------------------------------------------------
    def trajectory(
        self, draws: Draws, key: Any, n: int, times: Sequence[int] | None = None
    ) -> np.ndarray:
        """``(len(times), n, pixels)``: the reverse chain from noise (first) to samples
        (last), each item from a random draw, on ``times`` (default every step)."""
        times = tuple(range(self.timesteps + 1)) if times is None else tuple(times)
        own = {k: draws[k] for k in self._sizes}
        picked = pick_draws(own, key, 1) if len(own["b0"]) > 1 else own
        params = {k: jnp.asarray(v)[0] for k, v in picked.items()}
        denoise = net.denoiser(params, *self.shape)
        path = bound.reverse_chain(
            denoise, self.abar, times, jax.random.fold_in(key, 1), int(n), self.n
        )
        return as_numpy(path).astype(np.int32)

    def sample(self, draws: Draws, key: Any, n: int) -> np.ndarray:
        return np.asarray(self.trajectory(draws, key, n)[-1])

    def family_figures(self, draws: Draws, data: Dataset, seed: int = 0) -> dict[str, Figure]:
        """The denoising trajectory, and samples with the held-out bound (on ``data``)
        against the number of sampling steps."""
        from . import _diffusion_figures as figures

        return {
            "denoising.png": figures.trajectory(self, draws, seed=seed),
            "steps.png": figures.steps(self, draws, data, seed=seed)[0],
        }

    def prior_draws(self, key: Any) -> dict[str, jnp.ndarray]:
        return {
            name: self.prior_scale * jax.random.normal(jax.random.fold_in(key, i), shape)
            for i, (name, shape) in enumerate(self._sizes.items())
        }

    def simulate(self, key: Any, n: int) -> tuple[Dataset, dict]:
        positive_ints(n=n)
        truth = self.prior_draws(jax.random.fold_in(key, 0))
        x = self.sample({k: v[None] for k, v in truth.items()}, jax.random.fold_in(key, 1), n)
        names = self.observed
        data = Dataset(
            x, names, (2,) * self.n, shape=square_shape(self.n), source="simulated diffusion"
        )
        return data, {k: as_numpy(v) for k, v in truth.items()}


def _bits(z: jnp.ndarray, n: int) -> jnp.ndarray:
    """``(..., n)`` binary digits of the integers ``z`` (pixel i is bit i)."""
    return ((z[..., None] >> jnp.arange(n)) & 1).astype(jnp.float32)


@cache
def _image_distribution() -> type:
    """A noisy image as one discrete variable: ``n`` independent Bernoulli(logits) pixels,
    valued as the integer whose binary digits they are (the loop form's latent sites)."""
    from numpyro.distributions import constraints

    class Image(dist.Distribution):
        pytree_data_fields = ("logits",)

        def __init__(self, logits):
            self.logits = logits
            super().__init__(batch_shape=logits.shape[:-1])

        @property
        def n(self) -> int:
            return int(self.logits.shape[-1])

        @property
        def support(self):
            return constraints.integer_interval(0, 2**self.n - 1)

        def sample(self, key, sample_shape=()):
            shape = tuple(sample_shape) + self.logits.shape
            on = jax.random.uniform(key, shape) < jax.nn.sigmoid(self.logits)
            return jnp.sum(on.astype(jnp.int32) << jnp.arange(self.n), axis=-1)

        def log_prob(self, value):
            x = _bits(value, self.n)
            lg = self.logits
            return jnp.sum(x * jax.nn.log_sigmoid(lg) + (1 - x) * jax.nn.log_sigmoid(-lg), -1)

    return Image


def _dag(n: int = 64, timesteps: int = 20, **_: Any) -> DAG:
    positive_ints(n=n, timesteps=timesteps)
    pixels = graphs.families.pixels(n)
    steps = [Variable(f"z{t}", card=2**n, role="latent") for t in range(timesteps, 0, -1)]
    chain = [(f"z{t}", f"z{t - 1}") for t in range(timesteps, 1, -1)]
    return DAG(
        [*steps, *pixels],
        chain + [("z1", v.name) for v in pixels],
        name=f"diffusion(T={timesteps})",
    )


def _count(dag: DAG, hidden: int = 256, depth: int = 2, **_: Any) -> int:
    n = sum(1 for v in dag.nodes if dag.role(v) == "observed")
    steps = len(dag) - n
    return sum(math.prod(s) for s in net.site_shapes(n, steps, hidden, depth).values())


def _conditional(hidden: int = 256, depth: int = 2, **_: Any) -> str:
    return f"MLP denoiser ({depth} x {hidden}) predicting x_0"


SPEC = FamilySpec(
    "diffusion",
    "Discrete (Bernoulli) diffusion with an MLP denoiser",
    "p(x_0) = sum_{x_1..T} p(x_T) prod_t p(x_{t-1} | x_t)",
    "MLP weights: (n+T)H + H + (depth-1)(H^2 + H) + Hn + n",
    _dag,
    ("n", "timesteps", "hidden", "depth"),
    model=Diffusion,
    count=_count,
    conditional=_conditional,
    rows=(Row("diffusion", steps={"quick": 300, "default": 3000, "thorough": 10000}),),
    unsupported=binary_only,
    order=90,
    example={"n": 4, "timesteps": 3, "hidden": 8},
)
