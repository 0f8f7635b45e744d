"""``missing``: classifying digits with missing pixels. A generative model sums out what it
does not see; a discriminative one must be told what to assume.

Training images are complete; at test time each pixel is hidden independently with
probability ``rate`` (missing completely at random; NaN marks a hidden pixel). The
generative classifiers compute ``p(y | x_seen) ∝ sum_{x_hidden} p(y, x_seen, x_hidden)``
exactly; for products of Bernoullis the sum drops the hidden pixels' factors:

* ``naive_bayes``: ``p(y) prod_{i seen} p(x_i | y)``, the zoo's naive Bayes, exact posterior;
* ``class_mixture``: ``p(y) sum_z p(z | y) prod_{i seen} p(x_i | y, z)``, a latent class
  model per digit (the zoo's MAP-EM under Beta(2, 2) priors) that keeps some of the
  pixel correlations naive Bayes cuts.

Bayesian logistic regression (``logistic``) models ``p(y | x)`` for complete ``x`` only, so
hidden pixels are imputed with their training means before it predicts.

JSON contract:

* ``table``: one row per rate and model: ``missing`` (the rate), ``model``, ``accuracy``,
  ``log_loss`` (nats), each averaged over the random masks.
* ``summary``: ``rates``, ``accuracy`` and ``log_loss`` (model -> list over rates),
  ``at_half`` (model -> ``accuracy`` and ``log_loss`` at rate 0.5, when measured), and
  ``finding``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import check_fractions, check_int
from ._common import NaiveBayesPosterior, log_loss, logsumexp, naive_bayes_fit, softmax
from ._run import AnalysisResult, Progress, one_blas_thread, reporter, rounded, settings_for

MODELS = ("naive_bayes", "class_mixture", "logistic")
PRESETS = {
    "small": {"rates": (0.0, 0.5, 0.9), "masks": 2, "components": 3},
    "full": {
        "rates": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
        "masks": 5,
        "components": 5,
    },
}


@dataclass(frozen=True)
class ClassMixture:
    """``p(y = k) = prior[k]``, ``p(z = c | y = k) = weights[k, c]``, ``p(x_i = 1 | y = k,
    z = c) = theta[k, c, i]``."""

    prior: np.ndarray
    weights: np.ndarray
    theta: np.ndarray

    def log_joint(self, x: np.ndarray) -> np.ndarray:
        """``(items, K)`` log p(y = k, x_seen): NaN pixels summed out (factors dropped)."""
        x = np.asarray(x, dtype=np.float64)
        seen = ~np.isnan(x)
        on, off = np.where(seen, x, 0.0), np.where(seen, 1.0 - x, 0.0)
        lt, l1 = np.log(self.theta), np.log1p(-self.theta)  # (K, C, d)
        comp = np.einsum("nd,kcd->nkc", on, lt) + np.einsum("nd,kcd->nkc", off, l1)
        scores: np.ndarray = np.log(self.prior) + logsumexp(comp + np.log(self.weights)[None])
        return scores

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(self.log_joint(x))


def class_mixture_fit(
    x: np.ndarray, y: np.ndarray, classes: int, components: int, seed: int = 0
) -> ClassMixture:
    """One latent class model per class (:func:`zoo.models.latent_class.em`, MAP under
    Beta(2, 2) and Dirichlet(2): add-one smoothing, so no probability is 0 or 1)."""
    from zoo.models.latent_class import em

    counts = np.bincount(y, minlength=classes)
    prior = (counts + 1.0) / (counts.sum() + classes)
    weights, theta = [], []
    for k in range(classes):
        sol = em(x[y == k], components, seed=seed + k, alpha=2.0, restarts=2)
        weights.append(sol.pi)
        theta.append(sol.theta)
    return ClassMixture(prior, np.stack(weights), np.stack(theta))


def hide(x: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """A float copy of ``x`` with each entry set to NaN with probability ``rate``."""
    out = np.asarray(x, dtype=np.float64).copy()
    out[rng.random(out.shape) < rate] = np.nan
    return out


def mean_impute(x: np.ndarray, means: np.ndarray) -> np.ndarray:
    """NaN entries replaced by the column ``means`` (of the training items)."""
    return np.where(np.isnan(x), means[None], x)


@one_blas_thread
def run_missing(
    *, size: str = "small", seed: int = 0, progress: Progress = None, **overrides: Any
) -> AnalysisResult:
    """Accuracy and log loss on digits with a share of the test pixels hidden.

    ``size="small"`` hides 0, 50 and 90 % of the pixels under 2 masks each, ``"full"`` 0 to
    90 % by tens under 5 (the docs' numbers). ``seed`` seeds the masks, EM and the
    posterior draws; ``progress`` receives one line per rate. The rest override the preset:
    ``rates`` (shares of hidden pixels, each in [0, 1)), ``masks`` (random masks per rate)
    and ``components`` (of the mixture per digit).
    """
    s = settings_for(size, seed, PRESETS, **overrides)
    s["rates"] = check_fractions("rates", s["rates"], 0.0, 1.0)
    check_int("masks", s["masks"])
    check_int("components", s["components"])
    say = reporter(progress, "missing")
    from zoo.data import digits_split

    from ._logistic import fit_logistic

    train, test = digits_split()
    say("fitting naive Bayes, a mixture per class and logistic regression ...")
    models: dict[str, NaiveBayesPosterior | ClassMixture] = {
        "naive_bayes": naive_bayes_fit(train.x, train.labels, 10),
        "class_mixture": class_mixture_fit(train.x, train.labels, 10, s["components"], seed),
    }
    blr = fit_logistic(train.x, train.labels, classes=10)
    means = train.x.mean(axis=0)
    table = []
    for j, rate in enumerate(s["rates"]):
        scores: dict[str, list[tuple[float, float]]] = {m: [] for m in MODELS}
        for r in range(s["masks"]):
            x = hide(test.x, rate, np.random.default_rng([seed, j, r]))
            pred = {m: models[m].predict_proba(x) for m in ("naive_bayes", "class_mixture")}
            pred["logistic"] = blr.predict_proba(mean_impute(x, means), seed=seed)
            for m in MODELS:
                acc = float(np.mean(pred[m].argmax(axis=1) == test.labels))
                scores[m].append((acc, log_loss(pred[m], test.labels)))
        for m in MODELS:
            acc, ll = np.mean(scores[m], axis=0)
            table.append(
                {
                    "missing": rounded(rate),
                    "model": m,
                    "accuracy": rounded(acc),
                    "log_loss": rounded(ll),
                }
            )
        row = {r["model"]: r for r in table[-3:]}
        say(
            f"{rate:.0%} hidden: accuracy naive Bayes {row['naive_bayes']['accuracy']}, mixture "
            f"{row['class_mixture']['accuracy']}, logistic {row['logistic']['accuracy']}"
        )
    summary = _summary(table, s["rates"])
    from .figures import missing_figure

    figures = {"missing.png": missing_figure(summary)}
    s["rates"] = [rounded(r) for r in s["rates"]]
    return AnalysisResult("missing", summary, table, figures, s)


def _summary(table: list[dict], rates: Sequence[float]) -> dict:
    out: dict[str, Any] = {"rates": [rounded(r) for r in rates]}
    for key in ("accuracy", "log_loss"):
        out[key] = {m: [r[key] for r in table if r["model"] == m] for m in MODELS}
    half = {r["model"]: r for r in table if r["missing"] == 0.5}
    if half:
        out["at_half"] = {
            m: {"accuracy": half[m]["accuracy"], "log_loss": half[m]["log_loss"]} for m in MODELS
        }
    last = {r["model"]: r for r in table[-3:]}
    first = {r["model"]: r for r in table[:3]}
    top = max(rates)
    out["finding"] = (
        f"with {min(rates):.0%} hidden, accuracy: naive Bayes {first['naive_bayes']['accuracy']}, "
        f"class mixture {first['class_mixture']['accuracy']}, mean-imputed logistic "
        f"{first['logistic']['accuracy']}; with {top:.0%} hidden: "
        f"{last['naive_bayes']['accuracy']}, {last['class_mixture']['accuracy']} and "
        f"{last['logistic']['accuracy']} (log loss {last['naive_bayes']['log_loss']}, "
        f"{last['class_mixture']['log_loss']}, {last['logistic']['log_loss']})"
    )
    return out
