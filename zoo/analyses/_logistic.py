"""Bayesian logistic regression, the discriminative side of every analysis.

    w_jk ~ Normal(0, prior_scale),   b_k ~ Normal(0, bias_scale)
    p(y = k | x, w, b) = softmax(x w + b)_k          (K > 2 classes, K weight columns)
    p(y = 1 | x, w, b) = sigmoid(x w + b)            (2 classes, one column)

With two classes one weight column is the parametrisation scikit-learn uses, so the MAP is
scikit-learn's ``LogisticRegression(C=prior_scale**2)`` (its intercept is unpenalised; ours
has a wide prior). Fitting: SVI with a MAP guide (``AutoDelta``, Adam) gets near the MAP,
Newton steps on the program's log density finish it, and a Laplace approximation there
(what NumPyro's ``AutoLaplaceApproximation`` does) is the posterior: predictions average
``softmax`` over draws from ``Normal(MAP, H^-1)``, ``H`` the Hessian of ``-log p(W, b | D)``.

JAX compiles dominate the cost, so items and features are padded to fixed buckets (an item
weight of 0 removes a padded item from the likelihood; a zero feature column gets the prior
only and changes no prediction): one compiled fit serves every training size, repeat and
dataset of the same bucket. Fits run one after another through that compiled function; on
a 2-core machine vmapping them compiled three times slower for no gain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from threadpoolctl import threadpool_limits

from zoo import _jax

from ..errors import ZooError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike
    from sklearn.linear_model import LogisticRegression

BIAS_SCALE = 10.0
STEPS = 500  # Adam steps of SVI, then Newton steps
NEWTON_STEPS = 4
LEARNING_RATE = 0.1
DRAWS = 256
ITEM_BUCKET = 512  # items are padded to a multiple of this
FEATURE_BUCKET = 64  # features are padded to a multiple of this


def program(
    x: jax.Array, y: jax.Array, weight: jax.Array, columns: int = 1, prior_scale: float = 1.0
) -> None:
    """The NumPyro program: Normal priors, then the weighted log-likelihood of the labels.

    ``columns`` is 1 for two classes (a sigmoid) or K (a softmax); ``weight`` (0/1 per
    item) multiplies each item's log-likelihood, so padded items count for nothing.
    """
    d = x.shape[-1]
    w = numpyro.sample("W", dist.Normal(0.0, prior_scale).expand([d, columns]).to_event(2))
    b = numpyro.sample("b", dist.Normal(0.0, BIAS_SCALE).expand([columns]).to_event(1))
    logp = _log_probs(x @ w + b)
    ll = jnp.take_along_axis(logp, y[:, None], axis=1)[:, 0]
    numpyro.factor("loglik", jnp.sum(weight * ll))


def _log_probs(logits: jax.Array) -> jax.Array:
    """``(items, K)`` log class probabilities; one column means the logit of class 1."""
    if logits.shape[-1] == 1:
        logits = jnp.concatenate([jnp.zeros_like(logits), logits], axis=-1)
    return jax.nn.log_softmax(logits, axis=-1)


def _bucket(n: int, size: int) -> int:
    return max(size, -(-n // size) * size)


@lru_cache(maxsize=8)
def _svi(n: int, d: int, columns: int, prior_scale: float) -> Callable[..., jax.Array]:
    """A compiled ``(x, y, weight) -> [W; b]`` for one bucket: SVI with a MAP guide."""
    from numpyro.infer import SVI, Trace_ELBO, init_to_value
    from numpyro.infer.autoguide import AutoDelta
    from numpyro.optim import Adam

    kwargs = {"columns": columns, "prior_scale": prior_scale}
    start = {"W": jnp.zeros((d, columns)), "b": jnp.zeros(columns)}

    def fit_one(x, y, weight):
        # a fresh guide per trace: an autoguide keeps state from the first program it sees
        guide = AutoDelta(program, init_loc_fn=init_to_value(values=start))
        schedule = lambda i: LEARNING_RATE * 0.05 ** (i / STEPS)  # noqa: E731
        svi = SVI(program, guide, Adam(schedule), Trace_ELBO())
        state = svi.init(jax.random.PRNGKey(0), x, y, weight, **kwargs)  # deterministic guide
        state, _ = jax.lax.scan(
            lambda s, _: svi.update(s, x, y, weight, **kwargs), state, None, length=STEPS
        )
        params = svi.get_params(state)
        return jnp.concatenate([params["W_auto_loc"], params["b_auto_loc"][None]])

    return jax.jit(fit_one)


@lru_cache(maxsize=8)
def _curvature(
    n: int, d: int, columns: int, prior_scale: float
) -> Callable[..., tuple[jax.Array, jax.Array, jax.Array]]:
    """A compiled ``(x, y, weight, [W; b]) -> (H, gradient, loss)`` of the negative log
    posterior, the loss and gradient from NumPyro's log density of :func:`program`."""
    from numpyro.infer.util import log_density

    kwargs = {"columns": columns, "prior_scale": prior_scale}

    def parts(x, y, weight, theta):
        def loss(t):
            return -log_density(program, (x, y, weight), kwargs, {"W": t[:d], "b": t[d]})[0]

        value, grad = jax.value_and_grad(loss)(theta)
        h = _precision(x, weight, theta[:d], theta[d], prior_scale)
        return h, grad.reshape(-1), value

    return jax.jit(parts)


def _precision(
    x: jax.Array, weight: jax.Array, w: jax.Array, b: jax.Array, prior_scale: float
) -> jax.Array:
    """Hessian of -log p(W, b | data) over the flattened ``[W; b]`` (rows, then columns)."""
    xt = jnp.concatenate([x, jnp.ones((x.shape[0], 1))], axis=1)  # bias as a last feature
    logits = x @ w + b
    if w.shape[1] == 1:
        p = jax.nn.sigmoid(logits[:, 0])
        a = (weight * p * (1 - p))[:, None, None]
    else:
        p = jax.nn.softmax(logits, axis=-1)
        a = weight[:, None, None] * (jax.vmap(jnp.diag)(p) - p[:, :, None] * p[:, None, :])
    h = jnp.einsum("ni,nab,nj->iajb", xt, a, xt)
    size = xt.shape[1] * w.shape[1]
    h = h.reshape(size, size)
    prior = jnp.concatenate(
        [jnp.full(size - w.shape[1], prior_scale**-2), jnp.full(w.shape[1], BIAS_SCALE**-2)]
    )
    return h + jnp.diag(prior)


@lru_cache(maxsize=8)
def _predictor(n: int, d: int, columns: int, draws: int) -> Callable[..., jax.Array]:
    def predict(x, loc, chol, key):
        eps = jax.random.normal(key, (draws, loc.size))
        # theta = loc + L^-T eps has covariance (L L^T)^-1 = H^-1
        offset = jax.scipy.linalg.solve_triangular(chol.T, eps.T, lower=False).T
        theta = loc.reshape(-1)[None] + offset
        theta = theta.reshape(draws, d + 1, columns)
        xt = jnp.concatenate([x, jnp.ones((n, 1))], axis=1)
        logits = jnp.einsum("ni,sic->snc", xt, theta)
        return jnp.exp(_log_probs(logits)).mean(axis=0)

    return jax.jit(predict)


@dataclass(frozen=True)
class LogisticFit:
    """Fitted Bayesian logistic regressions: one MAP and Laplace precision per fit.

    ``loc`` is ``(fits, d + 1, columns)`` with the bias as the last row; ``chol`` the
    ``(fits, P, P)`` lower Cholesky factors of the Laplace precision (the Hessian of the
    negative log posterior over the flattened ``loc``); ``d`` the real feature count;
    ``final_loss`` the negative log posterior at the MAP and ``gradient`` the largest
    absolute entry of its gradient there (near 0 when the fit converged).
    """

    loc: np.ndarray
    chol: np.ndarray
    classes: int
    d: int
    prior_scale: float
    final_loss: np.ndarray
    gradient: np.ndarray

    @property
    def coef(self) -> np.ndarray:
        """``(fits, d, columns)`` MAP weights (without padding)."""
        return self.loc[:, : self.d]

    @property
    def intercept(self) -> np.ndarray:
        return self.loc[:, -1]

    def map_proba(self, x: np.ndarray, fit: int = 0) -> np.ndarray:
        """``(items, K)`` class probabilities at the MAP of fit ``fit``."""
        logits = np.asarray(x, dtype=np.float64) @ self.coef[fit] + self.intercept[fit]
        if logits.shape[1] == 1:
            p1 = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.stack([1 - p1, p1], axis=1)
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        probs: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return probs

    def predict_proba(
        self, x: np.ndarray, fit: int = 0, *, seed: int = 0, draws: int = DRAWS
    ) -> np.ndarray:
        """``(items, K)`` posterior-predictive probabilities: softmax averaged over ``draws``
        draws from the Laplace posterior of fit ``fit`` (same seed, same numbers)."""
        x = _as_features(x, self.d)
        n, d_pad = _bucket(len(x), ITEM_BUCKET), self.loc.shape[1] - 1
        xp = np.zeros((n, d_pad), np.float32)
        xp[: len(x), : self.d] = x
        fn = _predictor(n, d_pad, self.loc.shape[2], draws)
        key = jax.random.fold_in(jax.random.PRNGKey(seed), fit)
        loc, chol = (jnp.asarray(a[fit], dtype=jnp.float32) for a in (self.loc, self.chol))
        out = fn(jnp.asarray(xp), loc, chol, key)
        return np.asarray(out, dtype=np.float64)[: len(x)]


def _cho_solve(chol: np.ndarray, g: np.ndarray) -> np.ndarray:
    from scipy.linalg import solve_triangular

    step: np.ndarray = solve_triangular(chol.T, solve_triangular(chol, g, lower=True), lower=False)
    return step


def _as_features(values: ArrayLike, d: int) -> np.ndarray:
    x = np.asarray(values, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != d:
        raise ZooError(f"expected features of shape (items, {d}), got {x.shape}")
    if not np.isfinite(x).all():
        raise ZooError("logistic regression needs complete features (impute NaN first)")
    return x


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    subsets: list[np.ndarray] | None = None,
    *,
    classes: int,
    prior_scale: float = 1.0,
    pad_items: int | None = None,
) -> LogisticFit:
    """Fit one Bayesian logistic regression per subset of the items of ``(x, y)``.

    ``x`` is ``(items, d)`` (or ``(fits, items, d)``, one design per fit, e.g. when features
    are binarised per split), ``y`` integer labels in ``0..classes-1``; ``subsets`` lists the
    item indices each fit trains on (default: one fit on all items). ``pad_items`` fixes the
    padded item count (so several calls share one compiled fit).
    """
    _jax.ensure()  # host devices before the first computation
    x = np.asarray(x, dtype=np.float32)
    shared = x.ndim == 2
    xs = x[None] if shared else x
    y = np.asarray(y)
    ys = y[None] if y.ndim == 1 else y
    if not np.isfinite(xs).all():
        raise ZooError("logistic regression needs complete features (impute NaN first)")
    if classes < 2:
        raise ZooError(f"classes must be >= 2, got {classes}")
    if ys.min() < 0 or ys.max() >= classes:
        raise ZooError(f"labels must lie in 0..{classes - 1}")
    n_items, d = xs.shape[1], xs.shape[2]
    subsets = [np.arange(n_items)] if subsets is None else [np.asarray(s) for s in subsets]
    if not shared and len(xs) != len(subsets):
        raise ZooError(f"{len(xs)} designs for {len(subsets)} fits")
    biggest = max(len(s) for s in subsets)
    n = _bucket(max(biggest, pad_items or 0), ITEM_BUCKET)
    d_pad = _bucket(d, FEATURE_BUCKET)
    columns = 1 if classes == 2 else classes
    svi = _svi(n, d_pad, columns, float(prior_scale))
    curvature = _curvature(n, d_pad, columns, float(prior_scale))
    fits = []
    with threadpool_limits(limits=1, user_api="blas"):  # threaded BLAS fights XLA's threads
        for i, idx in enumerate(subsets):
            xi, yi = xs[0 if shared else i], ys[0 if len(ys) == 1 else i]
            xp = np.zeros((n, d_pad), np.float32)
            yp = np.zeros(n, np.int32)
            wp = np.zeros(n, np.float32)
            xp[: len(idx), :d] = xi[idx]
            yp[: len(idx)] = yi[idx]
            wp[: len(idx)] = 1.0
            fits.append(_fit_one(svi, curvature, xp, yp, wp))
    locs, chols, losses, grads = zip(*fits, strict=True)
    return LogisticFit(
        np.stack(locs),
        np.stack(chols),
        classes,
        d,
        float(prior_scale),
        np.array(losses),
        np.array(grads),
    )


def _fit_one(
    svi: Callable[..., jax.Array],
    curvature: Callable[..., tuple[jax.Array, jax.Array, jax.Array]],
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(MAP, Cholesky factor of the precision there, loss, largest |gradient|) of one fit."""
    args = (jnp.asarray(x), jnp.asarray(y), jnp.asarray(weight))
    theta = np.asarray(svi(*args), dtype=np.float64)
    # Adam crawls along the valley where the bias trades off against pixels that are almost
    # always on; Newton steps on the same log density cross it. The solves run in NumPy
    # (float64): XLA's CPU Cholesky took 0.14 s for 650 x 650 here, NumPy's 0.01 s
    for k in range(NEWTON_STEPS + 1):
        h, g, loss = curvature(*args, jnp.asarray(theta, dtype=jnp.float32))
        chol = np.linalg.cholesky(np.asarray(h, dtype=np.float64))
        if k == NEWTON_STEPS:  # at the MAP: keep its curvature for the Laplace draws
            break
        step = _cho_solve(chol, np.asarray(g, dtype=np.float64))
        theta = theta - step.reshape(theta.shape)
    return theta, chol, float(loss), float(np.abs(g).max())


def sklearn_logistic(x: ArrayLike, y: ArrayLike, prior_scale: float = 1.0) -> LogisticRegression:
    """scikit-learn's L2 logistic regression at the matching penalty, ``C = prior_scale**2``."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=prior_scale**2, max_iter=2000, tol=1e-6).fit(x, y)
