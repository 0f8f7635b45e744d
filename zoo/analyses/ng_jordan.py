"""``ng-jordan``: generative against discriminative learning curves (Ng and Jordan, 2002).

Naive Bayes (generative: ``p(y) prod_i p(x_i | y)``, its exact conjugate posterior, classified
by Bayes' rule) against Bayesian logistic regression (discriminative: ``p(y | x)`` directly;
MAP by SVI plus a Laplace approximation, predictions averaged over posterior draws), with
scikit-learn's ``LogisticRegression`` at the matching penalty (``C`` = prior variance)
alongside. Test error against training-set size, averaged over repeated random splits (a
third of the items held out each time; training sets are nested prefixes of one random
order that starts with an item of every class).

Datasets: ``digits-3v8`` (binarised digits, 3 against 8), ``digits-10`` (all ten classes),
``breast-cancer`` (scikit-learn's bundled set, 30 features binarised at the training
items' median of each split). Ng and Jordan predict that naive Bayes nears its asymptote
after about log n items while logistic regression reaches a lower asymptotic error, so
the curves cross.

JSON contract (``AnalysisResult.to_json()``):

* ``table``: one row per dataset and training size: ``dataset``, ``train_items``,
  ``naive_bayes_error``, ``naive_bayes_se``, ``logistic_error``, ``logistic_se``,
  ``sklearn_error`` (errors are test error rates, ``_se`` their standard errors over repeats).
* ``summary``: ``datasets`` maps each dataset to ``crossing_n`` (training items where the
  logistic curve drops to naive Bayes', interpolated on a log scale; null when it does not
  cross inside the measured range), ``crossing`` (``"crossed"``, ``"logistic-ahead"``,
  ``"naive-bayes-ahead"``), ``smallest`` and ``largest`` (``train_items`` and both errors
  there), and ``near_final_n`` (per model, the fewest items whose error is within 0.01 of
  that model's own error with all items); plus ``finding``, one sentence built from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ZooError
from ..validate import some_of
from . import _run
from ._checks import check_fractions, check_int, check_sizes
from ._common import error_rate, naive_bayes_fit, nested_subsets, split_indices
from ._run import AnalysisResult, Progress, one_blas_thread, reporter, rounded, settings_for

DATASETS = ("digits-3v8", "digits-10", "breast-cancer")
PRESETS = {
    "small": {
        "datasets": ("digits-3v8", "breast-cancer"),
        "repeats": 4,
        "sizes": (10, 20, 40, 80, 160),
        "test_fraction": 1 / 3,
        "prior_scale": 1.0,
        "stratify": False,
    },
    "full": {
        "datasets": DATASETS,
        "repeats": 20,
        "sizes": (10, 14, 20, 28, 40, 57, 80, 113, 160, 226, 320, 453, 640),
        "test_fraction": 1 / 3,
        "prior_scale": 1.0,
        "stratify": False,
    },
}
NEAR = 0.01  # "near its final error": within one percentage point


def load(
    name: str,
) -> tuple[np.ndarray, np.ndarray, int, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """``(x, y, classes, binarise)`` of a dataset; ``binarise(x, train_idx)`` turns raw
    features into 0/1 using only the training items."""
    from zoo.data import digits

    if name in ("digits-3v8", "digits-10"):
        data = digits()
        if name == "digits-10":
            return data.x, data.labels, 10, _as_is
        keep = np.isin(data.labels, (3, 8))
        return data.x[keep], (data.labels[keep] == 8).astype(np.int32), 2, _as_is
    if name == "breast-cancer":
        from sklearn.datasets import load_breast_cancer

        raw = load_breast_cancer()
        return raw.data, raw.target.astype(np.int32), 2, _at_train_median
    raise ZooError(f"unknown dataset {name!r}; expected some of {list(DATASETS)}")


def _as_is(x: np.ndarray, _train: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.int32)


def _at_train_median(x: np.ndarray, train: np.ndarray) -> np.ndarray:
    binary: np.ndarray = (x > np.median(x[train], axis=0)).astype(np.int32)
    return binary


@one_blas_thread
def run_ng_jordan(
    *, size: str = "small", seed: int = 0, progress: Progress = None, **overrides: Any
) -> AnalysisResult:
    """Learning curves of naive Bayes against Bayesian logistic regression.

    ``size="small"`` runs two binary datasets 4 times (seconds), ``"full"`` all three 20
    times (the docs' numbers). ``seed`` seeds the splits, the training orders and the
    posterior draws; ``progress`` receives one line per dataset and repeat. The rest
    override the preset: ``datasets`` (names), ``repeats`` (random splits), ``sizes``
    (training sizes; each dataset adds all its training items as the last point),
    ``test_fraction`` (the held-out share), ``prior_scale`` (of the weights;
    scikit-learn's ``C`` is its square) and ``stratify`` (whether training sets keep the
    class shares of the split; default: random, as Ng and Jordan drew them; every class
    always appears at least once).
    """
    s = settings_for(size, seed, PRESETS, **overrides)
    some_of(s["datasets"], DATASETS, "dataset", "datasets")
    check_int("repeats", s["repeats"], 2)
    check_sizes("sizes", s["sizes"], 2)
    check_fractions("test_fraction", [s["test_fraction"]], 0.05, 0.95)
    if not isinstance(s["stratify"], bool):
        raise ZooError(f"stratify must be True or False, got {s['stratify']!r}")
    if not (isinstance(s["prior_scale"], int | float) and s["prior_scale"] > 0):
        raise ZooError(f"prior_scale must be a positive number, got {s['prior_scale']!r}")
    say = reporter(progress, "ng-jordan")
    table, summary = [], {}
    for k, name in enumerate(s["datasets"]):
        seconds = _run.stopwatch()
        rows = _curve(name, k, s, say)
        table += rows
        summary[name] = _crossing(rows)
        say(f"{name}: done in {seconds():.0f} s")
    from .figures import learning_curves_figure

    figures = {"learning_curves.png": learning_curves_figure(table, summary)}
    out = {"datasets": summary, "finding": _finding(summary)}
    s["test_fraction"] = rounded(s["test_fraction"])
    return AnalysisResult("ng-jordan", out, table, figures, s)


def _curve(name: str, k: int, s: dict, say: Callable[[str], None]) -> list[dict]:
    from ._logistic import fit_logistic, sklearn_logistic

    x_raw, y, classes, binarise = load(name)
    errors: dict[str, list[list[float]]] = {"naive_bayes": [], "logistic": [], "sklearn": []}
    used: list[int] = []  # set by every repeat (there are at least two)
    for r in range(s["repeats"]):
        rng = np.random.default_rng([s["seed"], k, r])
        train, test = split_indices(len(y), s["test_fraction"], rng)
        x = binarise(x_raw, train)
        xtr, ytr, xte, yte = x[train], y[train], x[test], y[test]
        used = [m for m in s["sizes"] if classes <= m < len(train)] + [len(train)]
        subsets = nested_subsets(ytr, used, rng, classes, stratify=bool(s["stratify"]))
        blr = fit_logistic(xtr, ytr, subsets, classes=classes, prior_scale=s["prior_scale"])
        per: dict[str, list[float]] = {key: [] for key in errors}
        for i, idx in enumerate(subsets):
            nb = naive_bayes_fit(xtr[idx], ytr[idx], classes)
            per["naive_bayes"].append(error_rate(nb.predict_proba(xte), yte))
            lr = blr.predict_proba(xte, i, seed=s["seed"] * 1000 + r)
            per["logistic"].append(error_rate(lr, yte))
            sk = sklearn_logistic(xtr[idx], ytr[idx], s["prior_scale"])
            per["sklearn"].append(error_rate(sk.predict_proba(xte), yte))
        for key in errors:
            errors[key].append(per[key])
        say(
            f"{name}: repeat {r + 1}/{s['repeats']} (all {len(train)} items: naive Bayes "
            f"{per['naive_bayes'][-1]:.3f}, logistic {per['logistic'][-1]:.3f})"
        )
    arr = {key: np.asarray(v) for key, v in errors.items()}  # (repeats, sizes)
    se = {key: v.std(axis=0, ddof=1) / math.sqrt(len(v)) for key, v in arr.items()}
    return [
        {
            "dataset": name,
            "train_items": int(m),
            "naive_bayes_error": rounded(arr["naive_bayes"][:, j].mean()),
            "naive_bayes_se": rounded(se["naive_bayes"][j]),
            "logistic_error": rounded(arr["logistic"][:, j].mean()),
            "logistic_se": rounded(se["logistic"][j]),
            "sklearn_error": rounded(arr["sklearn"][:, j].mean()),
        }
        for j, m in enumerate(used)
    ]


def _crossing(rows: list[dict]) -> dict:
    """Where logistic regression's mean error drops to naive Bayes' and stays there."""
    m = np.array([r["train_items"] for r in rows], dtype=float)
    nb = np.array([r["naive_bayes_error"] for r in rows])
    lr = np.array([r["logistic_error"] for r in rows])
    diff = lr - nb  # > 0: naive Bayes ahead
    ahead = np.nonzero(diff > 0)[0]
    if len(ahead) == 0:
        crossing, at = "logistic-ahead", None
    elif ahead[-1] == len(m) - 1:
        crossing, at = "naive-bayes-ahead", None
    else:
        j = ahead[-1]  # last size where naive Bayes leads; logistic leads (or ties) after
        frac = diff[j] / (diff[j] - diff[j + 1])
        at = rounded(math.exp(math.log(m[j]) + frac * (math.log(m[j + 1]) - math.log(m[j]))), 1)
        crossing = "crossed"

    def near(errors):
        return int(m[np.nonzero(errors <= errors[-1] + NEAR)[0][0]])

    return {
        "crossing_n": at,
        "crossing": crossing,
        "smallest": {
            "train_items": int(m[0]),
            "naive_bayes_error": rows[0]["naive_bayes_error"],
            "logistic_error": rows[0]["logistic_error"],
        },
        "largest": {
            "train_items": int(m[-1]),
            "naive_bayes_error": rows[-1]["naive_bayes_error"],
            "logistic_error": rows[-1]["logistic_error"],
        },
        "near_final_n": {"naive_bayes": near(nb), "logistic": near(lr)},
    }


def _finding(summary: dict) -> str:
    parts = []
    for name, s in summary.items():
        small, large = s["smallest"], s["largest"]

        def leader(point):
            nb_wins = point["naive_bayes_error"] < point["logistic_error"]
            return "naive Bayes" if nb_wins else "logistic regression"

        first, last = leader(small), leader(large)
        if first == last:
            lead = f"{first} errs less at {small['train_items']} and {large['train_items']} items"
        else:
            lead = (
                f"{first} errs less at {small['train_items']} items, {last} at "
                f"{large['train_items']}"
            )
        where = (
            f"the curves cross near {s['crossing_n']:g} items"
            if s["crossing"] == "crossed"
            else "the curves do not cross"
        )
        parts.append(f"{name}: {lead}; {where}")
    return "; ".join(parts)
