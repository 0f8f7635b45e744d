"""Closed-form scores of the conjugate tabular families, from counts (the sufficient
statistics), in memory bounded by the parameters and one chunk of items.

The posterior is a product of independent Dirichlets, one per CPD row, and an item uses one
row of each variable, so no row twice: the expectation of its likelihood is the product of
the posterior-mean probabilities of its rows,

    p(x | D) = prod_i (alpha + n_i[pa_i, x_i]) / (c_i alpha + n_i[pa_i]),

and leaving a training item out subtracts its own count (one) from each of its rows:

    p(x_j | D without j) = prod_i (alpha + n_i[pa_i, x_ji] - 1) / (c_i alpha + n_i[pa_i] - 1).

Exact leave-one-out, no draws and no importance weights (so no PSIS and no k-hat).
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

import numpy as np

from ..data import Dataset, finite_card

if TYPE_CHECKING:
    from ._tabular import TabularModel

#: items per chunk when a computation walks over the data
ITEM_CHUNK = 8192


def item_chunks(n: int, size: int | None = None) -> list[slice]:
    """Slices covering ``range(n)`` in order, ``size`` items each (the last one fewer;
    default :data:`ITEM_CHUNK`)."""
    size = max(1, int(size or ITEM_CHUNK))
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


class ExactPredictive(abc.ABC):
    """Ability: the posterior predictive and the leave-one-out predictive in closed form."""

    @abc.abstractmethod
    def exact_log_predictive(
        self, train: Dataset, data: Dataset, joint: bool = False
    ) -> np.ndarray:
        """``(items,)`` log p(x | train) of ``data``'s items, a label summed out, or with
        ``joint`` log p(x, label | train)."""

    @abc.abstractmethod
    def exact_loo(self, train: Dataset) -> tuple[np.ndarray, np.ndarray]:
        """``(items,)`` log p(item | train without it) and log p(item | train) of the training
        items (with the label, when the model has one: the pointwise log-likelihood's terms)."""


def with_labels(data: Dataset, card: int, value: int = 0) -> Dataset:
    """``data`` with every label set to ``value`` (of ``card`` classes)."""
    y = np.full(data.n_items, value, dtype=np.int32)
    return Dataset(data.x, data.names, data.cards, y, card, data.shape, data.states, data.source)


def _log_tables(model: TabularModel, counts: dict[int, np.ndarray], shift: float) -> dict:
    """Per card group, log of the numerators (flat, per row and state) and denominators
    (per row) of the predictive with ``shift`` subtracted from every count."""
    out = {}
    # shifted, a cell no training item falls in goes to log(alpha - 1): never indexed
    with np.errstate(divide="ignore", invalid="ignore"):
        for c, n in counts.items():
            num = np.log(model.alpha + n.ravel() - shift)
            den = np.log(c * model.alpha + n.sum(axis=1) - shift)
            out[c] = (num, den)
    return out


def _terms(model: TabularModel, tables: dict, values: np.ndarray) -> np.ndarray:
    total = np.zeros(len(values))
    for c, idx in model.flat_index(values).items():
        num, den = tables[c]
        total += (num[idx] - den[idx // c]).sum(axis=1)
    return total


def log_predictive(
    model: TabularModel, train: Dataset, data: Dataset, joint: bool = False
) -> np.ndarray:
    """:meth:`ExactPredictive.exact_log_predictive` of a tabular model."""
    tables = _log_tables(model, model.counts(train), 0.0)
    label = model.label
    summed = label is not None and not joint
    if summed and data.y is None:
        assert label is not None
        data = with_labels(data, finite_card(model.dag, label))
    out = np.empty(data.n_items)
    for rows in item_chunks(data.n_items):
        values = model.full_values(data, rows)
        if not summed:
            out[rows] = _terms(model, tables, values)
            continue
        assert label is not None
        col = model.dag.nodes.index(label)
        per_state = []
        for k in range(finite_card(model.dag, label)):
            values[:, col] = k
            per_state.append(_terms(model, tables, values))
        out[rows] = np.logaddexp.reduce(np.stack(per_state), axis=0)
    return out


def loo(model: TabularModel, train: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`ExactPredictive.exact_loo` of a tabular model."""
    counts = model.counts(train)
    left_out, whole = _log_tables(model, counts, 1.0), _log_tables(model, counts, 0.0)
    loo_i, lppd_i = np.empty(train.n_items), np.empty(train.n_items)
    for rows in item_chunks(train.n_items):
        values = model.full_values(train, rows)
        loo_i[rows] = _terms(model, left_out, values)
        lppd_i[rows] = _terms(model, whole, values)
    return loo_i, lppd_i
