"""The data every peer is given: the tabular models' counts and per-item rows, the digits at
a scale, and the example programs' JSON data."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "programs"
#: the example programs benchmarked and their data files
DATA_OF = {"eight_schools_nc": "eight_schools", "linear_regression": "linear"}


def site_name(card: int) -> str:
    """The zoo's name for the stacked CPD rows of variables with ``card`` states."""
    return "theta" if card == 2 else f"probs{card}"


@dataclass
class Tabular:
    """A tabular Bayesian network's data as the peers take it, per card group ``c``:

    * ``counts[c]``: ``(rows, c)`` counts of each state in each CPD row (the sufficient
      statistics; ``TabularModel.counts(data)``);
    * ``rows[c]``, ``values[c]``: ``(items, variables)`` the CPD row that each (item,
      variable) pair falls in and its observed state, for the per-item likelihood.

    Every row has a Dirichlet(alpha) prior (a Beta(alpha, alpha) on ``p(state 1)`` when c = 2).
    """

    counts: dict[int, np.ndarray]
    rows: dict[int, np.ndarray] | None = None
    values: dict[int, np.ndarray] | None = None
    alpha: float = 1.0

    def exact_means(self) -> dict[str, np.ndarray]:
        """Posterior means, exact by conjugacy: (n_k + alpha) / (n + c alpha); for c = 2 the
        mean of ``theta = p(state 1)``, (n1 + 1) / (n + 2) under Beta(1, 1)."""
        out = {}
        for c, n in self.counts.items():
            mean = (n + self.alpha) / (n.sum(axis=1, keepdims=True) + c * self.alpha)
            out[site_name(c)] = mean[:, 1] if c == 2 else mean
        return out

    def save(self, path: str | os.PathLike) -> None:
        arrays = {f"counts{c}": v for c, v in self.counts.items()}
        for c, v in (self.rows or {}).items():
            arrays[f"rows{c}"] = v
            arrays[f"values{c}"] = self.values[c]
        np.savez(path, alpha=self.alpha, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Tabular:
        with np.load(path) as f:
            counts = {int(k[6:]): f[k] for k in f.files if k.startswith("counts")}
            rows = {int(k[4:]): f[k] for k in f.files if k.startswith("rows")}
            values = {int(k[6:]): f[k] for k in f.files if k.startswith("values")}
            alpha = float(f["alpha"])
        return cls(counts, rows or None, values or None, alpha)


def tabular_from_zoo(model, data, items: bool = True) -> Tabular:
    """The :class:`Tabular` of a zoo ``TabularModel`` on a zoo ``Dataset``."""
    counts = model.counts(data)
    rows = values = None
    if items:  # flat index = row * c + state (TabularModel.flat_index)
        flat = model.flat_index(model.full_values(data))
        rows = {c: (f // c).astype(np.int32) for c, f in flat.items()}
        values = {c: (f % c).astype(np.int32) for c, f in flat.items()}
    return Tabular(counts, rows, values, model.alpha)


def digits_data(scale: int = 1, seed: int = 20260101):
    """The zoo's bundled digits (1,797 binarised images with labels); ``scale > 1`` draws
    ``scale x 1,797`` items from them with replacement (``default_rng(seed)``)."""
    from zoo.data import digits

    data = digits()
    if scale == 1:
        return data
    idx = np.random.default_rng(seed).integers(0, data.n_items, size=scale * data.n_items)
    return data.take(idx)


def read_json(name: str) -> dict:
    """An example program's data (``examples/programs/data/NAME.json``) as float arrays."""
    raw = json.loads((EXAMPLES / "data" / f"{name}.json").read_text())
    return {k: np.asarray(v, dtype=np.float64) for k, v in raw.items()}
