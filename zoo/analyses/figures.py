"""The analyses' figures, built from their JSON rows (so a figure shows exactly the numbers
the table holds) on matplotlib ``Figure`` objects without pyplot state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

COLOURS = {
    "naive_bayes": "#c0392b",
    "logistic": "#1f4e79",
    "sklearn": "#7f8c8d",
    "truth": "#2d2d2d",
    "mixture": "#8e44ad",
    "class_mixture": "#8e44ad",
}


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _panels(n: int, width: float = 4.2, height: float = 3.4) -> tuple[Figure, np.ndarray]:
    fig = _figure(width * n, height)
    return fig, np.atleast_1d(fig.subplots(1, n, squeeze=False).ravel())


def _curve(ax: Axes, x: ArrayLike, y: ArrayLike, model: str, label: str, gid: str) -> None:
    """One model's line with dots; ``gid`` lets tests find it in the figure."""
    (line,) = ax.plot(x, y, marker="o", ms=3, color=COLOURS.get(model), label=label)
    line.set_gid(gid)


def _band(ax: Axes, x: ArrayLike, y: np.ndarray, se: np.ndarray, model: str) -> None:
    """A shaded band of one standard error around ``y``."""
    ax.fill_between(x, y - se, y + se, color=COLOURS[model], alpha=0.15, lw=0)


def _legend(ax: Axes, **where: Any) -> None:
    ax.legend(fontsize=7, frameon=False, **where)


def _done(fig: Figure, title: str | None = None) -> Figure:
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def learning_curves_figure(table: list[dict], summary: dict) -> Figure:
    """Test error against training items (log axis), one panel per dataset: naive Bayes,
    Bayesian logistic regression (with standard-error bands) and scikit-learn's logistic
    regression (dashed); a dotted line where the curves cross."""
    names = list(summary)
    fig, axes = _panels(len(names))
    for ax, name in zip(axes, names, strict=True):
        rows = [r for r in table if r["dataset"] == name]
        m = np.array([r["train_items"] for r in rows])
        for key, label in (("naive_bayes", "naive Bayes"), ("logistic", "Bayesian logistic")):
            err = np.array([r[f"{key}_error"] for r in rows])
            se = np.array([r[f"{key}_se"] for r in rows])
            _curve(ax, m, err, key, label, f"curve:{name}:{key}")
            _band(ax, m, err, se, key)
        sk = [r["sklearn_error"] for r in rows]
        ax.plot(m, sk, ls="--", lw=1, color=COLOURS["sklearn"], label="scikit-learn logistic")
        at = summary[name]["crossing_n"]
        if at is not None:
            ax.axvline(at, ls=":", color="#555555", lw=1)
            ax.annotate(f"cross ~{at:g}", (at, ax.get_ylim()[1]), fontsize=7, ha="left", va="top")
        ax.set_xscale("log")
        ax.set_xlabel("training items")
        ax.set_title(name, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test error")
    _legend(axes[0])
    return _done(fig, "generative vs discriminative: naive Bayes learns fast, logistic ends lower")


LABELS = {
    "truth": "truth (exact p(y|x))",
    "naive_bayes": "naive Bayes",
    "logistic": "Bayesian logistic",
    "sklearn": "scikit-learn logistic",
}


def double_counting_figure(summary: dict) -> Figure:
    """Left: reliability diagram (observed spam rate against predicted p(spam), marker area
    by count). Right: log loss against extra copies of BANK, per model."""
    fig, (left, right) = _panels(2)
    left.plot([0, 1], [0, 1], color="#bbbbbb", lw=1)
    for model, bins in summary["reliability"].items():
        pred = [b["predicted"] for b in bins]
        obs = [b["observed"] for b in bins]
        size = [max(4.0, 60 * b["count"] / max(c["count"] for c in bins)) for b in bins]
        (line,) = left.plot(pred, obs, marker="", color=COLOURS[model], lw=1)
        line.set_gid(f"reliability:{model}")
        left.scatter(pred, obs, s=size, color=COLOURS[model], label=LABELS[model], zorder=3)
    left.set_xlabel("predicted p(spam)")
    left.set_ylabel("observed spam rate")
    ece = summary["ece"]
    left.set_title(
        f"ECE: naive Bayes {ece['naive_bayes']:.3f}, logistic {ece['logistic']:.3f}", fontsize=9
    )
    _legend(left, loc="upper left")
    dup = summary["duplication"]
    for model in ("truth", "naive_bayes", "logistic"):
        gid = f"duplication:{model}"
        _curve(right, dup["copies"], dup[model]["log_loss"], model, LABELS[model], gid)
    right.set_xlabel("extra copies of BANK")
    right.set_ylabel("test log loss (nats)")
    right.set_title("duplicating a feature", fontsize=9)
    _legend(right)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    return _done(fig, "double counting: BANK and ACCOUNT almost always come together")


MISSING_LABELS = {
    "naive_bayes": "naive Bayes, summed out",
    "class_mixture": "mixture per class, summed out",
    "logistic": "Bayesian logistic, mean-imputed",
}


def _rate_curves(ax: Axes, rates: Sequence[float], values: dict, ylabel: str, gid: str) -> None:
    for model, ys in values.items():
        label = MISSING_LABELS.get(model, model)
        _curve(ax, np.asarray(rates) * 100, ys, model, label, f"{gid}:{model}")
    ax.set_xlabel("pixels hidden (%)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def missing_figure(summary: dict) -> Figure:
    """Accuracy and log loss against the share of hidden pixels, one line per model."""
    fig, (left, right) = _panels(2)
    _rate_curves(left, summary["rates"], summary["accuracy"], "test accuracy", "accuracy")
    _rate_curves(right, summary["rates"], summary["log_loss"], "test log loss (nats)", "log_loss")
    _legend(left)
    return _done(fig, "missing pixels: summed out (generative) or mean-imputed (logistic)")


def anomaly_figure(summary: dict) -> Figure:
    """Grouped bars: per family, the AUROC for held-out classes and for each number of
    flipped pixels (bars have gid ``auroc:<family>:<anomalies>``); 0.5 is chance."""
    fams = summary["families"]
    names = list(fams)
    kinds = ["held-out classes"] + [
        f"{k} flipped" for k in next(iter(fams.values()))["auroc_flipped"]
    ]
    fig = _figure(1.2 * len(names) + 3.0, 3.8)
    ax = fig.add_subplot()
    width = 0.8 / len(kinds)
    greys = np.linspace(0.75, 0.25, max(1, len(kinds) - 1))
    for j, kind in enumerate(kinds):
        if j == 0:
            values = [fams[f]["auroc_heldout_classes"] for f in names]
            colour = COLOURS["logistic"]
        else:
            values = [list(fams[f]["auroc_flipped"].values())[j - 1] for f in names]
            colour = str(greys[j - 1])
        pos = np.arange(len(names)) + (j - (len(kinds) - 1) / 2) * width
        bars = ax.bar(pos, values, width, color=colour, label=kind)
        for bar, f in zip(bars, names, strict=True):
            bar.set_gid(f"auroc:{f}:{kind}")
    ax.axhline(0.5, color="#999999", lw=1, ls=":")
    ax.set_xticks(np.arange(len(names)), names, rotation=20, fontsize=8)
    ax.set_ylim(0.4, 1.1)
    ax.set_yticks(np.arange(0.4, 1.01, 0.1))
    ax.set_ylabel("AUROC of -log p(x)")
    _legend(ax, ncol=len(kinds), loc="upper center")
    ax.set_title("anomaly detection by density, family by family")
    ax.grid(alpha=0.3, axis="y")
    return _done(fig)


def semi_supervised_figure(table: list[dict]) -> Figure:
    """Test accuracy against the number of labels (log axis): the semi-supervised mixture,
    and logistic regression and naive Bayes on the labelled items alone."""
    fig = _figure(5.5, 3.8)
    ax = fig.add_subplot()
    n = [r["labels"] for r in table]
    names = {
        "mixture": "mixture, unlabelled items summed over",
        "naive_bayes": "naive Bayes, labelled only",
        "logistic": "Bayesian logistic, labelled only",
    }
    for model, label in names.items():
        acc = np.array([r[model] for r in table])
        _curve(ax, n, acc, model, label, f"curve:{model}")
        if f"{model}_se" in table[0]:
            _band(ax, n, acc, np.array([r[f"{model}_se"] for r in table]), model)
    ax.set_xscale("log")
    ax.set_xlabel("labelled training items (the rest unlabelled)")
    ax.set_ylabel("test accuracy")
    ax.set_title("few labels: the generative model learns from unlabelled digits")
    _legend(ax)
    ax.grid(alpha=0.3)
    return _done(fig)
