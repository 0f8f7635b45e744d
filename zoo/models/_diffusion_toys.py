"""A continuous denoising diffusion on the 2-D toys (the digits' discrete one is
:mod:`zoo.models.diffusion`): Gaussian noising ``q(x_t | x_{t-1}) = N(sqrt(1 - beta_t)
x_{t-1}, beta_t I)`` over ``T`` steps, so ``q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t)
I)`` with ``abar_t = prod_{s<=t} (1 - beta_s)``, and an Equinox MLP ``eps(x_t, t)`` that
predicts the noise, trained with the DDPM simple loss ``E ||eps - eps(x_t, t)||^2`` (Ho et
al. 2020). Samples are drawn ancestrally: ``x_T ~ N(0, I)``, then ``x_{t-1} ~ N(mu(x_t, t),
v_t I)``, the variances ``v_t`` fitted after training (:func:`fitted_variance`).

The schedule is the cosine one (Nichol and Dhariwal 2021), where the digits' diffusion
keeps ``abar_t = 1 - t / T``: with continuous noise a linear ``abar`` leaves a noise scale
of ``sqrt(1 / T)`` at the first step, too coarse for the pinwheel's thin arms. Its betas
are capped at 0.5 (not 0.999): the bound's last term is weighed by ``1 / (1 - beta_T)``.

Held-out score: the variational bound ``-log p(x_0) <= KL(q(x_T | x_0) || N(0, I)) +
sum_{t>=2} KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) - E log p(x_0 | x_1)``, each
Gaussian KL in closed form given ``x_t``, and ``x_t`` drawn once per step and point.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._lazy import jax, jnp
from ..validate import with_defaults
from ._adam import trainer

STEPS = 100
#: sinusoidal features of t / T fed to the network beside x
FREQUENCIES = 6


@dataclass(frozen=True)
class Schedule:
    """``beta[t - 1]`` and ``abar[t - 1]`` for t = 1..T, and the variance of ``q(x_{t-1} |
    x_t, x_0)``, ``beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t)`` (0 at t = 1)."""

    beta: np.ndarray
    abar: np.ndarray

    @property
    def steps(self) -> int:
        return len(self.beta)

    @property
    def posterior_var(self) -> np.ndarray:
        before = np.r_[1.0, self.abar[:-1]]
        out: np.ndarray = self.beta * (1 - before) / (1 - self.abar)
        return out


def cosine_schedule(steps: int = STEPS, offset: float = 0.008, cap: float = 0.5) -> Schedule:
    """``abar_t = f(t) / f(0)``, ``f(t) = cos^2(pi / 2 (t / T + s) / (1 + s))``, with each
    ``beta_t = 1 - abar_t / abar_{t-1}`` capped at ``cap``."""
    t = np.arange(steps + 1) / steps
    f = np.cos(np.pi / 2 * (t + offset) / (1 + offset)) ** 2
    beta = np.minimum(1 - f[1:] / f[:-1], cap)
    return Schedule(beta, np.cumprod(1 - beta))


def eps_net(key: Any, hidden: int = 128, depth: int = 3) -> Any:
    """An MLP from ``x`` and the time features to the predicted noise."""
    import equinox as eqx

    return eqx.nn.MLP(2 + 2 * FREQUENCIES, 2, hidden, depth, activation=jax.nn.silu, key=key)


def predict(net: Any, x: Any, t: Any, steps: Any) -> Any:
    """The network's noise for one point ``x`` at step ``t`` (1..steps)."""
    phase = (t / steps) * (2.0 ** jnp.arange(FREQUENCIES)) * math.pi
    return net(jnp.concatenate([x, jnp.sin(phase), jnp.cos(phase)]))


@dataclass(frozen=True)
class ToyDiffusion:
    """A trained noise predictor, its schedule, the reverse variances and the objective
    trace."""

    net: Any
    schedule: Schedule
    variance: np.ndarray
    losses: np.ndarray

    def eps(self) -> Any:
        """The noise predictor as ``eps(x, t)`` (one point), an Equinox partial."""
        return _partial(self.net, self.schedule)

    def sample(self, key: Any, n: int, keep: tuple[int, ...] = ()) -> tuple[np.ndarray, dict]:
        """``n`` ancestral samples, and ``x_t`` at each step in ``keep``."""
        return ancestral(self.eps(), self.schedule, self.variance, key, n, keep)

    def bound(self, points: Any, key: Any) -> np.ndarray:
        """Per point, one-sample estimate of the variational bound on -log p (nats)."""
        return variational_bound(self.eps(), self.schedule, self.variance, points, key)


#: :func:`train_diffusion`'s options and their defaults (``schedule``: the cosine one)
DIFFUSION_OPTIONS: dict[str, Any] = {
    "hidden": 128,
    "depth": 3,
    "steps": 3000,
    "batch": 256,
    "learning_rate": 0.001,
    "schedule": None,
}


def train_diffusion(points: np.ndarray, key: Any, **options: Any) -> ToyDiffusion:
    """Fit the noise predictor to ``points`` (m, 2) with the simple loss (Adam, minibatches
    of ``batch`` points, t uniform on 1..T), then the reverse variances on ``points``.
    ``options``: those of :data:`DIFFUSION_OPTIONS`."""
    o = with_defaults(DIFFUSION_OPTIONS, options, "train_diffusion")
    schedule = o["schedule"] or cosine_schedule()
    k0, k1, k2 = jax.random.split(key, 3)
    start = eps_net(k0, o["hidden"], o["depth"])
    loss = (jnp.asarray(points, jnp.float32), jnp.asarray(schedule.abar, jnp.float32), o["batch"])
    net, losses = trainer(_simple_loss)(start, k1, o["steps"], o["learning_rate"], *loss)
    eps = _partial(net, schedule)
    return ToyDiffusion(
        net, schedule, fitted_variance(eps, schedule, points, k2), np.asarray(losses)
    )


def _partial(net: Any, schedule: Schedule) -> Any:
    import equinox as eqx

    return eqx.Partial(predict, net, steps=schedule.steps)


def _simple_loss(x: Any, abar: Any, batch: int) -> Callable[[Any, Any], Any]:
    """The DDPM simple loss on a minibatch of ``batch`` points, ``t`` uniform on 1..T."""
    total = abar.shape[0]

    def loss(model: Any, k: Any) -> Any:
        ki, kt, ke = jax.random.split(k, 3)
        x0 = x[jax.random.randint(ki, (batch,), 0, x.shape[0])]
        t = jax.random.randint(kt, (batch,), 1, total + 1)
        noise = jax.random.normal(ke, x0.shape)
        a = abar[t - 1][:, None]
        xt = jnp.sqrt(a) * x0 + jnp.sqrt(1 - a) * noise
        guess = jax.vmap(lambda xi, ti: predict(model, xi, ti, total))(xt, t)
        return jnp.mean(jnp.sum((noise - guess) ** 2, axis=1))

    return loss


def ancestral(
    eps: Callable[[Any, Any], Any],
    schedule: Schedule,
    variance: np.ndarray,
    key: Any,
    n: int,
    keep: tuple[int, ...] = (),
) -> tuple[np.ndarray, dict]:
    """``n`` samples by ancestral sampling with noise predictor ``eps(x, t)`` (one point;
    an Equinox module or partial, or a function) and reverse variances ``variance`` (the
    last step adds no noise), and ``{t: x_t}`` for each ``t`` in ``keep`` (``T`` is the
    starting noise)."""
    arrays = tuple(jnp.asarray(a, jnp.float32) for a in (schedule.beta, schedule.abar, variance))
    out, path = _ancestral()(eps, arrays, key, n)
    path = np.asarray(path)  # path[i] is x_{T - i}
    T = schedule.steps
    return np.asarray(out), {t: path[T - t] for t in keep}


@functools.cache
def _ancestral() -> Callable[..., Any]:
    import equinox as eqx

    @eqx.filter_jit
    def run(eps: Any, arrays: tuple[Any, ...], key: Any, n: int) -> Any:
        beta, abar, var = arrays
        T = beta.shape[0]
        k0, k1 = jax.random.split(key)
        start = jax.random.normal(k0, (n, 2))

        def step(x: Any, inputs: Any) -> Any:
            t, k = inputs
            i = t - 1
            guess = jax.vmap(lambda xi: eps(xi, t))(x)
            mean = (x - beta[i] / jnp.sqrt(1 - abar[i]) * guess) / jnp.sqrt(1 - beta[i])
            noise = jnp.where(t > 1, jnp.sqrt(var[i]), 0.0) * jax.random.normal(k, x.shape)
            return mean + noise, x

        ts = jnp.arange(T, 0, -1)
        x, path = jax.lax.scan(step, start, (ts, jax.random.split(k1, T)))
        return x, jnp.concatenate([path, x[None]])

    return run


def fitted_variance(
    eps: Callable[[Any, Any], Any], schedule: Schedule, points: Any, key: Any
) -> np.ndarray:
    """The reverse steps' variances that minimise the bound for the fitted means (the
    analytic-DPM idea, Bao et al. 2022): ``beta~_t + c_t E||eps - eps(x_t, t)||^2 / d``,
    where ``c_t ||eps - eps(x_t)||^2`` is the squared distance between the posterior mean
    ``mu~(x_t, x_0)`` and the model's; the average is over ``points`` (the training data)."""
    x0 = np.asarray(points)
    errors = _errors(eps, schedule, x0, key).mean(axis=1)
    out: np.ndarray = schedule.posterior_var + _mean_gap(schedule) * errors / x0.shape[1]
    return out


def variational_bound(
    eps: Callable[[Any, Any], Any], schedule: Schedule, variance: np.ndarray, points: Any, key: Any
) -> np.ndarray:
    """Per point of ``points`` (m, 2), a one-sample estimate of the bound on -log p(x_0)
    (nats) with reverse variances ``variance``: the prior term in closed form, then for
    each t one draw of ``x_t`` and the Gaussian KL (t >= 2) or the decoder's -log density
    (t = 1); the means differ by ``c_t ||eps - eps(x_t, t)||^2``."""
    abar, v = schedule.abar, np.asarray(variance, np.float64)
    x0 = np.asarray(points, np.float64)
    dim = x0.shape[1]
    prior = 0.5 * np.sum((1 - abar[-1]) + abar[-1] * x0**2 - 1 - np.log(1 - abar[-1]), axis=1)
    ratio = schedule.posterior_var[1:] / v[1:]
    spread = 0.5 * dim * np.r_[np.log(2 * np.pi * v[0]), ratio - 1 - np.log(ratio)]
    gaps = _mean_gap(schedule) / (2 * v) @ _errors(eps, schedule, x0, key)
    out: np.ndarray = prior + spread.sum() + gaps
    return out


def _mean_gap(schedule: Schedule) -> np.ndarray:
    """``c_t``: ``||mu~ - mu||^2 = c_t ||eps - eps(x_t)||^2``, ``c_t = beta_t^2 / ((1 -
    beta_t) (1 - abar_t))`` (at t = 1, ``x_0 - mu``: the same formula, ``beta_1 / (1 -
    beta_1)``)."""
    beta = schedule.beta
    out: np.ndarray = beta**2 / ((1 - beta) * (1 - schedule.abar))
    return out


def _errors(eps: Callable[[Any, Any], Any], schedule: Schedule, x0: np.ndarray, key: Any) -> Any:
    """``(T, m)``: ``||eps - eps(x_t, t)||^2`` with one ``x_t`` per step and point."""
    abar = jnp.asarray(schedule.abar, jnp.float32)
    return np.asarray(_squared_errors()(eps, jnp.asarray(x0, jnp.float32), abar, key), np.float64)


@functools.cache
def _squared_errors() -> Callable[..., Any]:
    import equinox as eqx

    @eqx.filter_jit
    def run(eps: Any, x0: Any, abar: Any, key: Any) -> Any:
        T = abar.shape[0]

        def one(t: Any, k: Any) -> Any:
            noise = jax.random.normal(k, x0.shape)
            a = abar[t - 1]
            xt = jnp.sqrt(a) * x0 + jnp.sqrt(1 - a) * noise
            guess = jax.vmap(lambda xi: eps(xi, t))(xt)
            return jnp.sum((noise - guess) ** 2, axis=1)

        return jax.vmap(one)(jnp.arange(1, T + 1), jax.random.split(key, T))

    return run
