"""Naive Bayes with the label observed.

    p(y, x) = p(y) prod_i p(x_i | y)
    p(y) ~ Dirichlet(alpha),   p(x_i = 1 | y = k) ~ Beta(alpha, alpha)

The label ``y`` (K classes) is observed in training; ``(K - 1) + K n`` free parameters. New
items are classified by Bayes' rule, ``p(y | x) ∝ p(y) prod_i p(x_i | y)``. The held-out
score is ``log p(x) = log sum_y p(y, x)``, the label summed out, so it sits in the same
column as every other family.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from graphs import DAG

from ..data import Dataset
from ._base import Draws, as_numpy
from ._tabular import TabularModel


class NaiveBayes(TabularModel):
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

    def accuracy(self, draws: Draws, data: Dataset) -> float:
        if data.y is None:
            raise ValueError("accuracy needs labelled data")
        return float(np.mean(self.predict_proba(draws, data).argmax(axis=1) == data.y))


def build(dag: DAG, alpha: float = 1.0, **_) -> NaiveBayes:
    return NaiveBayes(dag, alpha=alpha)
