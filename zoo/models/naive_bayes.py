"""Naive Bayes with the label observed.

    p(y, x) = p(y) prod_i p(x_i | y)
    p(y) ~ Dirichlet(alpha),   p(x_i = 1 | y = k) ~ Beta(alpha, alpha)

The label ``y`` (K classes) is observed in training; ``(K - 1) + K n`` free parameters. New
items are classified by Bayes' rule, ``p(y | x) ∝ p(y) prod_i p(x_i | y)``. The held-out
score is ``log p(x) = log sum_y p(y, x)``, the label summed out, so it sits in the same
column as every other family.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

import graphs
from graphs import DAG

from .._lazy import jax, jnp
from ..data import Dataset
from ..errors import ZooError
from ._base import Classifier, Draws, as_numpy
from ._spec import FamilySpec
from ._tabular import TabularModel


class NaiveBayes(TabularModel, Classifier):
    family = "naive-bayes"

    def class_log_joint(self, draws: Draws, data: Dataset) -> jnp.ndarray:
        """``(draws, items, K)`` log p(y = k, x | theta)."""
        return self.label_log_joint(draws, data)

    def predict_proba(self, draws: Draws, data: Dataset, plugin: bool = False) -> np.ndarray:
        """``(items, K)`` class probabilities by Bayes' rule.

        By default the posterior predictive, ``p(y | x, D) ∝ E[p(y, x | theta)]``; with
        ``plugin=True`` Bayes' rule at the posterior-mean parameters, as a point-estimate
        classifier such as scikit-learn's ``BernoulliNB`` does.
        """
        if plugin:
            draws = {k: jnp.asarray(v).mean(axis=0, keepdims=True) for k, v in draws.items()}
        lj = self.class_log_joint(draws, data)
        pred = jax.nn.logsumexp(lj, axis=0)  # log sum_s p(y, x | theta_s): S cancels
        return as_numpy(jax.nn.softmax(pred, axis=-1))

    def check_training(self, data: Dataset) -> None:
        problem = None if data.y is None else _unsupported(data, {})  # (no labels: later)
        if problem is not None:
            raise ZooError(f"{data.source}: {problem}")

    def accuracy(self, draws: Draws, data: Dataset) -> float:
        if data.y is None:
            raise ZooError("accuracy needs labelled data")
        return float(np.mean(self.predict_proba(draws, data).argmax(axis=1) == data.y))


def build(dag: DAG, alpha: float = 1.0, **_: Any) -> NaiveBayes:
    return NaiveBayes(dag, alpha=alpha)


def _dag(n: int = 64, classes: int = 10, **_: Any) -> DAG:
    return graphs.naive_bayes(n, classes=classes)


def _unsupported(data: Dataset, options: Mapping[str, Any]) -> str | None:
    if data.y is None:
        return "naive Bayes needs class labels (a y or label column)"
    seen = np.unique(data.y)
    if len(seen) < 2:  # nothing to tell apart: every item would be "classified" right
        return f"naive Bayes needs at least two classes, but every training label is {seen[0]}"
    return None


SPEC = FamilySpec(
    "naive-bayes",
    "Naive Bayes (label y observed)",
    "p(y, x) = p(y) prod_i p(x_i | y)",
    "(K - 1) + K n",
    _dag,
    ("n", "classes"),
    model=NaiveBayes,
    make=build,
    classes="labels",
    unsupported=_unsupported,
    order=30,
    example={"n": 4, "classes": 3},
)
