"""Intervals of a sweep's scores: each family's mean held-out nats over splits, its spread,
a 95% interval, and paired differences between families on the same splits.

Random train/test splits share most of their items, so their scores are correlated and the
plain t interval over splits is too narrow. The interval here is the corrected resampled t
interval (Nadeau and Bengio, 2003): the variance of the mean is ``sd^2 (1/K + n_test/n_train)``
rather than ``sd^2 / K``, with ``K - 1`` degrees of freedom. The seeds of one split are
averaged first (they vary only the fit's randomness). With a single split the seeds are the
units and the plain t interval applies: it then says nothing about another split.

Numbers are rounded to the table's three decimals, from per-split values that are rounded
too, so the same per-split numbers give the same intervals on any machine.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import combinations

import numpy as np

from ._compare_budgets import rounded

__all__ = ["interval", "learning_bands", "paired", "summary", "units"]

LEVEL = 0.95


def interval(values: Sequence[float], ratio: float = 0.0) -> dict:
    """Mean, sd and the 95% interval of the mean of ``values`` (one per unit); ``ratio``:
    held-out over training items when the units are overlapping random splits, else 0.
    With fewer than two units sd and the interval are None."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    out: dict = {"n": n, "mean": rounded(v.mean(), 3) if n else None}
    out.update(sd=None, low=None, high=None)
    if n >= 2:
        from scipy.stats import t

        sd = float(v.std(ddof=1))
        half = float(t.ppf(0.5 + LEVEL / 2, n - 1)) * sd * math.sqrt(1 / n + ratio)
        mean = float(v.mean())
        out.update(sd=rounded(sd, 3), low=rounded(mean - half, 3), high=rounded(mean + half, 3))
    return out


def units(per_split: Iterable[dict], family: str, by: str, key: str = "nats_per_item") -> dict:
    """``{unit: value}`` of ``family``: by ``"split"`` the mean over its seeds, by ``"seed"``
    each seed's value."""
    groups: dict[int, list[float]] = {}
    for rec in per_split:
        if rec["family"] == family and rec.get(key) is not None:
            groups.setdefault(rec[by], []).append(rec[key])
    return {u: float(np.mean(vals)) for u, vals in sorted(groups.items())}


def summary(per_split: list[dict], families: Sequence[str], by: str, ratio: float) -> list[dict]:
    """One interval per family (in ``families`` order) of its held-out nats per item."""
    return [
        {"family": f, **interval(list(units(per_split, f, by).values()), ratio)} for f in families
    ]


def _verdict(low: float | None, high: float | None, a: str, b: str) -> str:
    if low is None or high is None:
        return "one unit: no interval"
    if low > 0:
        return f"{b} better"
    if high < 0:
        return f"{a} better"
    return "not distinguishable"


def paired(per_split: list[dict], families: Sequence[str], by: str, ratio: float) -> list[dict]:
    """For each pair (a, b) in ``families`` order: the interval of a's nats minus b's on
    the units both have (negative: a scores better), and the verdict."""
    scores = {f: units(per_split, f, by) for f in families}
    pairs = []
    for a, b in combinations(families, 2):
        common = sorted(set(scores[a]) & set(scores[b]))
        diff = [scores[a][u] - scores[b][u] for u in common]
        stats = interval(diff, ratio)
        pairs.append(
            {"a": a, "b": b, **stats, "verdict": _verdict(stats["low"], stats["high"], a, b)}
        )
    return pairs


def learning_bands(per_split: list[dict], families: Sequence[str], by: str, ratio: float) -> dict:
    """``{family: [{"train_items", "n", "mean", "sd", "low", "high"}, ...]}``: the interval of
    each learning-curve point over the units."""
    bands: dict[str, list[dict]] = {}
    for f in families:
        points: dict[int, list[dict]] = {}
        for rec in per_split:
            if rec["family"] != f:
                continue
            for p in rec.get("learning_curve") or []:
                if p.get("nats_per_item") is not None:
                    flat = {"family": f, by: rec[by], "nats_per_item": p["nats_per_item"]}
                    points.setdefault(p["train_items"], []).append(flat)
        bands[f] = [
            {"train_items": m, **interval(list(units(recs, f, by).values()), ratio)}
            for m, recs in sorted(points.items())
        ]
    return bands
