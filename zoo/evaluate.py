"""Evaluation of a fit: held-out log predictive density, PSIS-LOO on the training items, and
posterior-predictive samples.

The held-out score of an item is the log of its posterior-mean likelihood,
``log (1/S) sum_s p(x | theta_s)``, averaged over items: nats per item, and bits per
dimension (nats / (variables x ln 2)). Every family scores log p(x), so a label is summed out.

Memory stays bounded whatever the data's size: items are scored in chunks of at most
:data:`CHUNK_VALUES` draw-by-item values. A conjugate tabular family whose draws target its
exact posterior (NUTS or exact draws) is scored in closed form from its counts instead
(:class:`zoo.models.ExactPredictive`): the posterior-mean likelihood is the limit the
draws estimate, and LOO is exact (``"exact": true`` in both records).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from .data import Dataset
from .models._base import as_numpy
from .models._exact import ExactPredictive, item_chunks

if TYPE_CHECKING:
    from arviz import InferenceData

    from .fit import FitResult
    from .models._base import Draws, Family


def predictive_per_item(log_lik: jnp.ndarray) -> jnp.ndarray:
    """Per item, the log of the posterior-mean likelihood, from ``(draws, items)`` logs."""
    return jax.nn.logsumexp(log_lik, axis=0) - math.log(log_lik.shape[0])


#: the most (draws x items) log-likelihood values one chunk of evaluation holds
CHUNK_VALUES = 2**22

#: the methods whose draws target the exact posterior (closed forms apply to them)
EXACT_METHODS = ("nuts", "exact")


def per_item_predictive(
    fn: Callable[[Draws, Dataset], Any], draws: Draws, data: Dataset, chunk: int | None = None
) -> jnp.ndarray:
    """:func:`predictive_per_item` of ``fn(draws, items)`` (``(draws, items)`` logs), over
    chunks of ``chunk`` items (default: as many as keep :data:`CHUNK_VALUES` values)."""
    total = len(next(iter(draws.values())))
    size = chunk or max(1, CHUNK_VALUES // total)
    if size >= data.n_items:
        return predictive_per_item(fn(draws, data))
    parts = [predictive_per_item(fn(draws, data.take(r))) for r in item_chunks(data.n_items, size)]
    return jnp.concatenate(parts)


def _scores(per_item: Any, test: Dataset) -> dict[str, Any]:
    # a closed form's float64 is averaged in float64; draws' float32 as it always was
    mean = np.mean if isinstance(per_item, np.ndarray) else jnp.mean
    nats = -float(mean(per_item))
    return {
        "nats_per_item": nats,
        "bits_per_dim": nats / (test.n_vars * math.log(2)),
        "items": test.n_items,
        "per_item": as_numpy(per_item),
    }


def score(model: Family, draws: Draws, test: Dataset, chunk: int | None = None) -> dict[str, Any]:
    """Held-out log predictive density of ``test`` under posterior ``draws`` of ``model``
    (items in chunks: see :func:`per_item_predictive`)."""
    model.check_data(test)
    return _scores(per_item_predictive(model.log_px, draws, test, chunk), test)


def exact_applies(result: FitResult) -> bool:
    """Whether ``result``'s scores come in closed form: a conjugate tabular family fitted by
    a method whose draws target its exact posterior, with its training data kept."""
    return (
        isinstance(result.model, ExactPredictive)
        and result.method in EXACT_METHODS
        and result.data is not None
    )


def exact_score(model: ExactPredictive, train: Dataset, test: Dataset) -> dict[str, Any]:
    """Held-out log predictive density of ``test`` in closed form, from ``train``'s counts."""
    return {**_scores(model.exact_log_predictive(train, test), test), "exact": True}


def heldout(result: FitResult, test: Dataset) -> dict[str, Any]:
    """Held-out log predictive density of ``test`` under the posterior of ``result``: in
    closed form where :func:`exact_applies` (``"exact": True``), else from the draws."""
    model = result.family_model
    if exact_applies(result):
        assert isinstance(model, ExactPredictive) and result.data is not None
        model.check_data(test)
        return exact_score(model, result.data, test)
    return score(model, result.draws(), test)


#: the Pareto k-hat above which an item's importance weights are unreliable
KHAT = 0.7


@dataclass(frozen=True)
class Loo:
    """PSIS-LOO of the training items: ArviZ's estimate and each item's Pareto k-hat."""

    elpd_loo: float
    se: float
    p_loo: float
    pareto_k: np.ndarray
    #: computed in closed form (no importance weights: every k-hat is 0)
    exact: bool = False

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


def exact_loo(model: ExactPredictive, train: Dataset) -> Loo:
    """Exact leave-one-out of the training items in closed form, in ArviZ's terms:
    ``elpd_loo`` the sum of log p(item | the rest), ``se`` from their spread, ``p_loo`` the
    in-sample log predictive density minus ``elpd_loo``."""
    loo_i, lppd_i = model.exact_loo(train)
    se = math.sqrt(len(loo_i) * float(np.var(loo_i)))
    p_loo = float(np.sum(lppd_i - loo_i))
    return Loo(float(np.sum(loo_i)), se, p_loo, np.zeros(len(loo_i)), exact=True)


def loo(result: FitResult) -> dict[str, Any]:
    """LOO on the training items of a family fit, with the share of items whose k-hat > 0.7:
    the family card's keys. In closed form where :func:`exact_applies` (``"exact": True``),
    else PSIS-LOO (see :func:`psis_loo`)."""
    if exact_applies(result):
        model = result.family_model
        assert isinstance(model, ExactPredictive) and result.data is not None
        res = exact_loo(model, result.data)
        return {**res.summary(), f"khat_over_{KHAT}": res.khat_share, "exact": True}
    if "log_likelihood" in result.idata.groups():
        res = psis_loo(result.idata)
    elif result.data is not None:  # a large fit: the log-likelihood again, item chunk by chunk
        res = chunked_psis_loo(result)
    else:
        raise ValueError("the fit kept no pointwise log-likelihood, which PSIS-LOO needs")
    return {**res.summary(), f"khat_over_{KHAT}": res.khat_share}


def chunked_psis_loo(result: FitResult, chunk: int | None = None) -> Loo:
    """PSIS-LOO of a family fit's training items computed ``chunk`` items at a time (default:
    :data:`CHUNK_VALUES` draw-by-item values), from the draws, never holding the whole
    pointwise log-likelihood: what ``az.loo`` gives on it, with the same relative efficiency
    (from the posterior's mean ESS)."""
    from ._az import az

    model, data, post = result.family_model, result.data, result.idata["posterior"]
    assert data is not None
    draws = result.draws()
    total = len(next(iter(draws.values())))
    reff = 1.0
    if len(post.chain) > 1:
        ess = az.ess(post, method="mean")
        reff = float(np.hstack([ess[v].values.ravel() for v in ess.data_vars]).mean()) / total
    loo_i, lppd_i, khat = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rows in item_chunks(data.n_items, chunk or CHUNK_VALUES // total):
            ll = as_numpy(model.log_likelihood(draws, data.take(rows))).T  # (items, draws)
            log_w, k = az.psislw(-ll, reff)
            loo_i.append(np.asarray(jax.nn.logsumexp(jnp.asarray(log_w + ll), axis=1)))
            lppd_i.append(np.asarray(jax.nn.logsumexp(jnp.asarray(ll), axis=1)) - math.log(total))
            khat.append(np.asarray(k))
    elpd_i = np.concatenate(loo_i)
    elpd = float(elpd_i.sum())
    se = math.sqrt(len(elpd_i) * float(np.var(elpd_i)))
    return Loo(elpd, se, float(np.concatenate(lppd_i).sum()) - elpd, np.concatenate(khat))


def samples(result: FitResult, n: int = 16, seed: int = 0) -> np.ndarray:
    """``n`` new items from the posterior predictive."""
    return result.family_model.sample(result.draws(), jax.random.PRNGKey(seed), n)
