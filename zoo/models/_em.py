"""MAP-EM for a mixture of Bernoulli products, in NumPy: the start of the latent class
model's SVI, its point estimate, and a yardstick for the benchmarks. Re-exported by
``zoo.models.latent_class``, whose docstring explains ``FLOOR``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import logsumexp as np_logsumexp
from threadpoolctl import threadpool_limits

from ..data import Dataset
from ..errors import ZooError
from ..validate import positive_int

#: floor (and 1 - cap) of every Bernoulli probability; see zoo.models.latent_class
FLOOR = 1e-6


@dataclass(frozen=True)
class EMResult:
    """A MAP-EM solution: parameters, training log-likelihood, log posterior, the iterations
    of the best restart, whether it converged, and the seconds all restarts took."""

    pi: np.ndarray
    theta: np.ndarray
    log_lik: float
    log_post: float
    iterations: int
    converged: bool
    seconds: float = 0.0


def em(
    data: Dataset | np.ndarray,
    K: int,
    seed: int = 0,
    *,
    alpha: float = 1.0,
    restarts: int = 3,
    max_iter: int = 1000,
    tol: float = 1e-7,
) -> EMResult:
    """MAP-EM for a mixture of Bernoulli products under the model's priors.

    The M-step is the mode of the conditional posterior: ``theta = (sum_n r_nk x_n + alpha
    - 1) / (N_k + 2 alpha - 2)`` and ``pi ∝ N_k + alpha - 1`` (plain ML when ``alpha = 1``),
    clipped into ``[FLOOR, 1 - FLOOR]`` like the program's likelihood. Each restart starts
    from random responsibilities (a Dirichlet(1) row per item) and stops when the log
    posterior gains less than ``tol`` per item. The restart with the highest log posterior
    wins; the same ``seed`` gives the same answer.
    """
    x = np.asarray(data.x if isinstance(data, Dataset) else data, dtype=np.float64)
    if x.ndim != 2 or not np.isin(x, (0.0, 1.0)).all():
        raise ZooError("em needs a 2-D 0/1 matrix (items x variables)")
    positive_int("K", K)
    if not alpha > 0:
        raise ZooError(f"alpha must be > 0, got {alpha}")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    best: EMResult | None = None
    # the products are small: threaded BLAS only contends (50x slower on a busy machine)
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(max(1, restarts)):
            resp = rng.dirichlet(np.ones(K), size=len(x))
            sol = _em_run(x, resp, alpha, max_iter, tol)
            if best is None or sol.log_post > best.log_post:
                best = sol
    assert best is not None  # max(1, restarts) runs at least once
    return replace(best, seconds=time.perf_counter() - start)


def _em_run(x: np.ndarray, resp: np.ndarray, alpha: float, max_iter: int, tol: float) -> EMResult:
    prev = -np.inf
    iterations, converged = 0, False
    while iterations < max_iter and not converged:
        iterations += 1
        nk = resp.sum(axis=0)
        theta = (resp.T @ x + alpha - 1) / np.maximum(nk[:, None] + 2 * alpha - 2, 1e-12)
        theta = np.clip(theta, FLOOR, 1 - FLOOR)
        pi = np.clip(nk + alpha - 1, FLOOR, None)
        pi = pi / pi.sum()
        joint = _np_joint(x, pi, theta)
        top = joint.max(axis=1, keepdims=True)
        resp = np.exp(joint - top)
        total = resp.sum(axis=1, keepdims=True)
        resp /= total
        log_lik = float((np.log(total) + top).sum())
        log_post = log_lik + _np_log_prior(pi, theta, alpha)
        converged = log_post - prev < tol * len(x)
        prev = log_post
    return EMResult(pi, theta, log_lik, log_post, iterations, converged)


def _np_joint(x: np.ndarray, pi: np.ndarray, theta: np.ndarray) -> np.ndarray:
    theta = np.clip(theta, FLOOR, 1 - FLOOR)
    log_1mt = np.log1p(-theta)
    out: np.ndarray = np.log(pi) + x @ (np.log(theta) - log_1mt).T + log_1mt.sum(axis=1)
    return out


def _np_log_prior(pi: np.ndarray, theta: np.ndarray, alpha: float) -> float:
    """Log density of Dirichlet(alpha) x Beta(alpha, alpha) at (pi, theta), normalised."""
    K = len(pi)
    lp = math.lgamma(K * alpha) - K * math.lgamma(alpha) + (alpha - 1) * np.log(pi).sum()
    lbeta = 2 * math.lgamma(alpha) - math.lgamma(2 * alpha)
    lp += ((alpha - 1) * (np.log(theta) + np.log1p(-theta)) - lbeta).sum()
    return float(lp)


def mixture_log_lik(x: np.ndarray, pi: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``(items,)`` log p(x_n) of a Bernoulli mixture, in numpy (float64)."""
    out: np.ndarray = np_logsumexp(_np_joint(np.asarray(x, dtype=np.float64), pi, theta), axis=1)
    return out
