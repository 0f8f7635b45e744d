"""Evaluation of a fit: held-out log predictive density, PSIS-LOO on the training items, and
posterior-predictive samples.

The held-out score of an item is the log of its posterior-mean likelihood,
``log (1/S) sum_s p(x | theta_s)``, averaged over items: nats per item, and bits per
dimension (nats / (variables x ln 2)). Every family scores log p(x), so a label is summed out.
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .data import Dataset
from .models._base import as_numpy


def predictive_per_item(log_lik: jnp.ndarray) -> jnp.ndarray:
    """Per item, the log of the posterior-mean likelihood, from ``(draws, items)`` logs."""
    return jax.nn.logsumexp(log_lik, axis=0) - math.log(log_lik.shape[0])


def score(model, draws, test: Dataset) -> dict:
    """Held-out log predictive density of ``test`` under posterior ``draws`` of ``model``."""
    model.check_data(test)
    per_item = predictive_per_item(model.log_px(draws, test))
    nats = -float(jnp.mean(per_item))
    return {
        "nats_per_item": nats,
        "bits_per_dim": nats / (test.n_vars * math.log(2)),
        "items": test.n_items,
        "per_item": as_numpy(per_item),
    }


def heldout(result, test: Dataset) -> dict:
    """Held-out log predictive density of ``test`` under the posterior of ``result``."""
    return score(result.model, result.draws(), test)


def loo(result) -> dict:
    """PSIS-LOO on the training items (ArviZ), with the share of items whose k-hat > 0.7."""
    from ._az import az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = az.loo(result.idata, pointwise=True)
    khat = np.asarray(res.pareto_k)
    return {
        "elpd_loo": float(res.elpd_loo),
        "se": float(res.se),
        "p_loo": float(res.p_loo),
        "khat_over_0.7": float(np.mean(khat > 0.7)),
    }


def samples(result, n: int = 16, seed: int = 0) -> np.ndarray:
    """``n`` new items from the posterior predictive."""
    return result.model.sample(result.draws(), jax.random.PRNGKey(seed), n)
