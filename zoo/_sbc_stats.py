"""The rank statistics of simulation-based calibration (:mod:`zoo.calibration`): ranks with
ties split, the chi-square test of uniform ranks, Holm's adjustment, and which parameter
elements are ranked. NumPy and SciPy only.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

#: most parameter elements ranked per family (chosen evenly over the flattened sites)
MAX_SCALARS = 20


# -- rank statistics -----------------------------------------------------------------------
def ranks_of(truth: np.ndarray, draws: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rank of each ``truth[q]`` among ``draws[:, q]``: draws below it, plus a uniform share
    of the ties (so that discrete or repeated draws, e.g. a MAP point, stay uniform under
    calibration instead of piling at 0)."""
    truth = np.asarray(truth, dtype=np.float64)
    draws = np.asarray(draws, dtype=np.float64)
    below = (draws < truth).sum(axis=0)
    ties = (draws == truth).sum(axis=0)
    ranks: np.ndarray = below + rng.integers(0, ties + 1)
    return ranks


def chi2_uniform(
    ranks: np.ndarray, n_ranks: int, bins: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Chi-square test that each column of ``ranks`` is uniform on ``0..n_ranks - 1``.

    ``bins`` defaults to the most (at most 20) that keep every expected count >= 5. Bins
    split the rank values as evenly as integers allow and each expects ``R x width /
    n_ranks``, so unequal widths stay exact. Returns (histograms, expected, chi2, p).
    """
    from scipy import stats

    ranks = np.asarray(ranks)
    reps = ranks.shape[0]
    if bins is None:
        bins = max(2, min(20, reps // 5, n_ranks))
    edges = np.floor(np.linspace(0, n_ranks, bins + 1)).astype(int)
    expected = reps * np.diff(edges) / n_ranks
    which = np.searchsorted(edges, ranks, side="right") - 1
    hist = np.stack([np.bincount(which[:, q], minlength=bins) for q in range(ranks.shape[1])])
    chi2 = ((hist - expected) ** 2 / expected).sum(axis=1)
    return hist, expected, chi2, stats.chi2.sf(chi2, bins - 1)


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (valid under any dependence)."""
    p = np.asarray(pvalues, dtype=np.float64)
    order = np.argsort(p)
    m = len(p)
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


# -- what is ranked ------------------------------------------------------------------------
def scalar_picks(sizes: Mapping[str, int], limit: int = MAX_SCALARS) -> list[tuple[str, int]]:
    """At most ``limit`` (site, flat index) pairs, evenly spaced over the sites in sorted
    order: deterministic, and covering every site when there are few."""
    flat = [(s, i) for s in sorted(sizes) for i in range(sizes[s])]
    if len(flat) <= limit:
        return flat
    idx = np.unique(np.round(np.linspace(0, len(flat) - 1, limit)).astype(int))
    return [flat[i] for i in idx]
