"""``anomaly``: each family's log p(x) as an anomaly score.

Every family is fitted to digits of the in-distribution classes only (0 to 4 by default)
and scores fresh items by their log posterior predictive density, ``log p(x | D)``; a low
density flags an anomaly. Two kinds of anomaly: digits of the held-out classes (5 to 9),
and in-distribution test digits with ``k`` random pixels flipped. The AUROC (scikit-learn's
``roc_auc_score``) is the chance that a random anomaly scores below a random normal item
(1 perfect, 0.5 blind).

Families and fits (the zoo's models): ``independent``, ``markov-chain`` (raster order 1),
``markov-grid`` (left, up, up-left, up-right parents) and ``naive-bayes`` (the label summed
out) by their exact conjugate posteriors; ``latent-class`` by MAP-EM; the logistic
``autoregressive`` model by SVI with a MAP guide.

JSON contract:

* ``table``: one row per family and kind of anomaly: ``family``, ``anomalies``
  (``"held-out classes"`` or ``"flipped pixels"``), ``flipped`` (pixels flipped; null for
  held-out classes), ``auroc``.
* ``summary``: ``families`` maps each family to ``nats_in_distribution`` (held-out nats
  per normal test image), ``auroc_heldout_classes`` and ``auroc_flipped`` (flipped pixels
  -> AUROC); ``best_heldout`` (the family with the highest held-out-class AUROC);
  ``finding``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import models as _models
from ..errors import ZooError
from ..validate import some_of
from . import _run
from ._checks import check_int, check_sizes
from ._common import binary_dataset, split_indices
from ._run import AnalysisResult, Progress, one_blas_thread, reporter, rounded, settings_for

if TYPE_CHECKING:
    from ..data import Dataset

#: row name -> (zoo family, options): the registry's rows that the anomaly analysis scores
FAMILIES = {
    row.anomaly_name: (family, dict(row.options))
    for family, row in _models.rows().values()
    if row.anomaly_name
}
PRESETS = {
    "small": {
        "families": tuple(FAMILIES),
        "inliers": (0, 1, 2, 3, 4),
        "flipped": (4,),
        "components": 10,
        "svi_steps": 600,
        "draws": 50,
    },
    "full": {
        "families": tuple(FAMILIES),
        "inliers": (0, 1, 2, 3, 4),
        "flipped": (2, 4, 8, 16),
        "components": 20,
        "svi_steps": 3000,
        "draws": 200,
    },
}
TEST_FRACTION = 0.3


def flip(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """A copy of 0/1 ``x`` with ``k`` distinct random pixels of each row flipped."""
    out = np.array(x, copy=True)
    for row in out:
        idx = rng.choice(len(row), size=k, replace=False)
        row[idx] = 1 - row[idx]
    return out


@one_blas_thread
def run_anomaly(
    *, size: str = "small", seed: int = 0, progress: Progress = None, **overrides: Any
) -> AnalysisResult:
    """AUROC of each family's log p(x) for held-out digit classes and corrupted digits.

    ``size="small"`` flips one number of pixels and runs a short SVI, ``"full"`` flips 2 to
    16 pixels and runs 3,000 SVI steps (the docs' numbers). ``seed`` seeds the split, the
    corruptions, EM, SVI and the posterior draws; ``progress`` receives one line per
    family. The rest override the preset: ``families`` (rows, some of :data:`FAMILIES`),
    ``inliers`` (the in-distribution digit classes), ``flipped`` (numbers of flipped
    pixels), ``components`` (of latent-class), ``svi_steps`` (of the autoregressive fit)
    and ``draws`` (posterior draws of the conjugate families).
    """
    s = settings_for(size, seed, PRESETS, **overrides)
    some_of(s["families"], FAMILIES, "family", "families")
    inl = sorted(set(s["inliers"]))
    if not inl or not all(isinstance(c, int | np.integer) and 0 <= c <= 9 for c in inl):
        raise ZooError(f"inliers must be digit classes 0..9, got {list(s['inliers'])}")
    if len(inl) == 10:
        raise ZooError("inliers must leave at least one digit class out")
    s["inliers"] = tuple(int(c) for c in inl)
    check_sizes("flipped", s["flipped"], 1)
    if s["flipped"][-1] > 64:
        raise ZooError(f"at most 64 pixels can be flipped, got {s['flipped'][-1]}")
    for key in ("components", "svi_steps", "draws"):
        check_int(key, s[key])
    say = reporter(progress, "anomaly")
    from zoo.data import digits

    data = digits()
    inside = np.isin(data.labels, s["inliers"])
    rng = np.random.default_rng([seed, 0])
    xin, yin = data.x[inside], data.labels[inside]
    train_idx, test_idx = split_indices(len(xin), TEST_FRACTION, rng)
    labels = np.searchsorted(s["inliers"], yin)  # 0..K-1 for naive Bayes
    train = binary_dataset(xin[train_idx], labels[train_idx], len(s["inliers"]))
    normal = xin[test_idx]
    parts = {"normal": normal, "held-out classes": data.x[~inside]}
    for k in s["flipped"]:
        parts[f"flip-{k}"] = flip(normal, k, np.random.default_rng([seed, 1, k]))
    everything = binary_dataset(np.concatenate(list(parts.values())))
    bounds = np.cumsum([0] + [len(v) for v in parts.values()])
    table, summary = [], {}
    for name in s["families"]:
        seconds = _run.stopwatch()
        log_px = _scores(name, train, everything, s)
        per = {p: log_px[bounds[i] : bounds[i + 1]] for i, p in enumerate(parts)}
        fam: dict[str, Any] = {
            "nats_in_distribution": rounded(-per["normal"].mean()),
            "auroc_heldout_classes": rounded(_auroc(per["normal"], per["held-out classes"])),
            "auroc_flipped": {
                str(k): rounded(_auroc(per["normal"], per[f"flip-{k}"])) for k in s["flipped"]
            },
        }
        summary[name] = fam
        table.append(
            {
                "family": name,
                "anomalies": "held-out classes",
                "flipped": None,
                "auroc": fam["auroc_heldout_classes"],
            }
        )
        for k in s["flipped"]:
            table.append(
                {
                    "family": name,
                    "anomalies": "flipped pixels",
                    "flipped": int(k),
                    "auroc": fam["auroc_flipped"][str(k)],
                }
            )
        say(
            f"{name}: AUROC held-out classes {fam['auroc_heldout_classes']}, flipped "
            f"{fam['auroc_flipped']} ({seconds():.0f} s)"
        )
    best = max(summary, key=lambda f: summary[f]["auroc_heldout_classes"])
    out = {"families": summary, "best_heldout": best, "finding": _finding(summary, best, s)}
    from .figures import anomaly_figure

    figures = {"anomaly.png": anomaly_figure(out)}
    s.update(train_items=train.n_items, normal_items=len(normal))
    s["outlier_items"] = int((~inside).sum())
    return AnalysisResult("anomaly", out, table, figures, s)


def _auroc(normal: np.ndarray, anomalous: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    truth = np.r_[np.zeros(len(normal)), np.ones(len(anomalous))]
    return float(roc_auc_score(truth, -np.r_[normal, anomalous]))  # low density: anomalous


def _scores(name: str, train: Dataset, test: Dataset, s: dict) -> np.ndarray:
    """Per item of ``test``, log p(x | train) under family row ``name``."""
    import jax

    from zoo.evaluate import score
    from zoo.models import Classifier, Conjugate, PointEstimate, make_model

    family, options = FAMILIES[name]
    spec = _models.get_family(family)
    options = spec.row_options(_models.Row(name, options), train, s["components"])
    model = make_model(family, **options)
    # the label is part of a classifier's model only
    data = train if isinstance(model, Classifier) else binary_dataset(train.x)
    key = jax.random.PRNGKey(s["seed"])
    if isinstance(model, Conjugate):
        draws = model.exact_draws(data, key, s["draws"])
    elif isinstance(model, PointEstimate):
        draws = model.point_estimate(data, seed=s["seed"])
    else:
        from zoo.fit import fit

        fitted = fit(
            model,
            data,
            "svi",
            guide="map",
            steps=s["svi_steps"],
            chains=1,
            draws=1,
            seed=s["seed"],
        )
        draws = fitted.draws()
    return np.asarray(score(model, draws, test)["per_item"], dtype=np.float64)


def _finding(summary: dict, best: str, s: dict) -> str:
    k = str(s["flipped"][0])
    held = ", ".join(f"{f} {v['auroc_heldout_classes']}" for f, v in summary.items())
    flips = ", ".join(f"{f} {v['auroc_flipped'][k]}" for f, v in summary.items())
    return (
        f"AUROC for held-out digit classes: {held} (best: {best}); for {k} flipped pixels: {flips}"
    )
