"""Evaluation of a fit: held-out log predictive density, PSIS-LOO on the training items, and
posterior-predictive samples.

The held-out score of an item is the log of its posterior-mean likelihood,
``log (1/S) sum_s p(x | theta_s)``, averaged over items: nats per item, and bits per
dimension (nats / (variables x ln 2)). Every family scores log p(x), so a label is summed out.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from .data import Dataset
from .models._base import as_numpy

if TYPE_CHECKING:
    from arviz import InferenceData

    from .fit import FitResult
    from .models._base import Draws, Family


def predictive_per_item(log_lik: jnp.ndarray) -> jnp.ndarray:
    """Per item, the log of the posterior-mean likelihood, from ``(draws, items)`` logs."""
    return jax.nn.logsumexp(log_lik, axis=0) - math.log(log_lik.shape[0])


def score(model: Family, draws: Draws, test: Dataset) -> dict[str, Any]:
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


def heldout(result: FitResult, test: Dataset) -> dict[str, Any]:
    """Held-out log predictive density of ``test`` under the posterior of ``result``."""
    return score(result.family_model, result.draws(), test)


#: the Pareto k-hat above which an item's importance weights are unreliable
KHAT = 0.7


@dataclass(frozen=True)
class Loo:
    """PSIS-LOO of the training items: ArviZ's estimate and each item's Pareto k-hat."""

    elpd_loo: float
    se: float
    p_loo: float
    pareto_k: np.ndarray

    @property
    def khat_max(self) -> float:
        """The largest k-hat over the items."""
        return float(np.max(self.pareto_k))

    @property
    def khat_count(self) -> int:
        """Items whose k-hat exceeds :data:`KHAT`."""
        return int(np.sum(self.pareto_k > KHAT))

    @property
    def khat_share(self) -> float:
        """The share of items whose k-hat exceeds :data:`KHAT`."""
        return float(np.mean(self.pareto_k > KHAT))

    def summary(self) -> dict[str, float]:
        """``elpd_loo``, ``se`` and ``p_loo``: what every card reports."""
        return {"elpd_loo": self.elpd_loo, "se": self.se, "p_loo": self.p_loo}


def psis_loo(idata: InferenceData) -> Loo:
    """PSIS-LOO (ArviZ) of an ``InferenceData`` with one pointwise log-likelihood."""
    from ._az import az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = az.loo(idata, pointwise=True)
    return Loo(float(res.elpd_loo), float(res.se), float(res.p_loo), np.asarray(res.pareto_k))


def loo(result: FitResult) -> dict[str, float]:
    """PSIS-LOO on the training items of a family fit (see :func:`psis_loo`), with the share
    of items whose k-hat > 0.7: the family card's keys."""
    res = psis_loo(result.idata)
    return {**res.summary(), f"khat_over_{KHAT}": res.khat_share}


def samples(result: FitResult, n: int = 16, seed: int = 0) -> np.ndarray:
    """``n`` new items from the posterior predictive."""
    return result.family_model.sample(result.draws(), jax.random.PRNGKey(seed), n)
