"""The analyses' shared models and data: naive Bayes' exact posterior predictive (with
missing features summed out), nested stratified training sets and the scores (error, log
loss, calibration). What their ``run_*`` functions share lives in :mod:`._run`.

Naive Bayes' posterior ``Dirichlet(alpha + n_k) x prod Beta(alpha + c_ki, alpha + n_k -
c_ki)`` makes every parameter independent, so the posterior predictive
``p(y, x | D) = E[p(y) prod_i p(x_i | y)]`` is the product of the posterior means: Bayes'
rule at ``(count + alpha) / (n + 2 alpha)`` is the exact Bayesian classifier, not a
plug-in approximation. Nothing here imports JAX until a naive Bayes model is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, cast

import numpy as np

from ..errors import ZooError

if TYPE_CHECKING:
    from ..data import Dataset
    from ..models.naive_bayes import NaiveBayes

# -- data helpers -------------------------------------------------------------------------


def nested_subsets(
    y: np.ndarray,
    sizes: Sequence[int],
    rng: np.random.Generator,
    classes: int,
    stratify: bool = False,
) -> list[np.ndarray]:
    """Index arrays of the ``sizes`` first items of one random order of ``y``'s items.

    The order starts with one item of each class (a classifier cannot learn a class it
    never sees); after that it is random, or with ``stratify`` the classes are interleaved
    in proportion to their counts, so that every prefix keeps the class shares of ``y``.
    """
    y = np.asarray(y)
    counts = np.bincount(y, minlength=classes)[:classes]
    if (counts == 0).any():
        raise ZooError(f"class {int(np.flatnonzero(counts == 0)[0])} has no items to train on")
    order = rng.permutation(len(y))
    rank = np.empty(len(y))
    for k in range(classes):
        mine = order[y[order] == k]
        rank[mine] = np.arange(len(mine))
    u = rng.random(len(y))
    # each class's first item leads (in random class order); then either the random order
    # or item r of class k at (r + u) / count_k, which spreads each class evenly
    rest = (rank + u) / counts[y] if stratify else np.argsort(order) / len(y)
    key = np.where(rank == 0, u - 1.0, rest)
    order = np.argsort(key, kind="stable")
    return [order[:m] for m in sizes]


def split_indices(
    n: int, test_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A random (train, test) split of ``range(n)``."""
    perm = rng.permutation(n)
    n_test = int(round(test_fraction * n))
    return perm[n_test:], perm[:n_test]


# -- naive Bayes' exact posterior predictive ------------------------------------------------


@dataclass(frozen=True)
class NaiveBayesPosterior:
    """Posterior means of naive Bayes: ``prior[k] = p(y = k | D)``, ``theta[k, i] =
    p(x_i = 1 | y = k, D)``; Bayes' rule with them is the exact posterior predictive."""

    prior: np.ndarray
    theta: np.ndarray

    def log_joint(self, x: np.ndarray) -> np.ndarray:
        """``(items, K)`` log p(y = k, x_observed | D); NaN entries of ``x`` are missing and
        summed out exactly (for a product of Bernoullis: their factors are dropped)."""
        x = np.asarray(x, dtype=np.float64)
        seen = ~np.isnan(x)
        on = np.where(seen, x, 0.0)
        off = np.where(seen, 1.0 - x, 0.0)
        scores: np.ndarray = (
            np.log(self.prior) + on @ np.log(self.theta).T + off @ np.log1p(-self.theta).T
        )
        return scores

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """``(items, K)`` p(y | x_observed, D) by Bayes' rule."""
        return softmax(self.log_joint(x))

    def log_px(self, x: np.ndarray) -> np.ndarray:
        """``(items,)`` log p(x_observed | D), the label summed out."""
        return logsumexp(self.log_joint(x))


@lru_cache(maxsize=16)
def naive_bayes_model(n: int, classes: int, alpha: float = 1.0) -> NaiveBayes:
    """The zoo's naive Bayes model over ``n`` binary features (imports JAX)."""
    from zoo.models import make_model

    return cast("NaiveBayes", make_model("naive-bayes", n=n, classes=classes, alpha=alpha))


def binary_dataset(
    x: np.ndarray, y: np.ndarray | None = None, classes: int | None = None
) -> Dataset:
    """A zoo :class:`~zoo.data.Dataset` of binary features ``x0 .. x{n-1}``."""
    from zoo.data import Dataset

    x = np.asarray(x)
    names = tuple(f"x{i}" for i in range(x.shape[1]))
    return Dataset(x, names, (2,) * x.shape[1], y, classes, source="analysis data")


def naive_bayes_fit(
    x: np.ndarray, y: np.ndarray, classes: int, alpha: float = 1.0
) -> NaiveBayesPosterior:
    """The exact posterior of the zoo's naive Bayes (``make_model("naive-bayes")``) on
    binary ``x`` and labels ``y``, as posterior means read from its CPDs."""
    x = np.asarray(x)
    model = naive_bayes_model(x.shape[1], classes, float(alpha))
    data = binary_dataset(x, y, classes)
    mean = {site: m[None] for site, (m, _) in model.exact_moments(data).items()}
    cpds = model.cpds(mean)
    theta = np.stack([cpds[f"x{i}"][1] for i in range(x.shape[1])], axis=1)
    return NaiveBayesPosterior(np.asarray(cpds["y"], dtype=np.float64), theta)


# -- scores ----------------------------------------------------------------------------------


def softmax(a: np.ndarray) -> np.ndarray:
    a = a - a.max(axis=-1, keepdims=True)
    e = np.exp(a)
    probs: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return probs


def logsumexp(a: np.ndarray) -> np.ndarray:
    top = a.max(axis=-1)
    out: np.ndarray = top + np.log(np.exp(a - top[..., None]).sum(axis=-1))
    return out


def error_rate(proba: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(proba, axis=1) != y))


def log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log probability of the true class (nats), floored at 1e-12."""
    p = np.clip(proba[np.arange(len(y)), y], 1e-12, 1.0)
    return float(-np.mean(np.log(p)))


def reliability(p1: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict]:
    """Equal-width bins of the predicted ``p(y = 1)``: mean prediction, observed frequency
    and count per non-empty bin."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p1, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        hit = which == b
        if hit.any():
            out.append(
                {
                    "bin": b,
                    "predicted": float(p1[hit].mean()),
                    "observed": float(y[hit].mean()),
                    "count": int(hit.sum()),
                }
            )
    return out


def expected_calibration_error(p1: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """ECE of a binary classifier: the count-weighted mean |predicted - observed| over the
    equal-width bins of :func:`reliability`."""
    rows = reliability(p1, y, bins)
    return float(sum(r["count"] * abs(r["predicted"] - r["observed"]) for r in rows) / len(y))
