"""The rank histograms of :mod:`zoo.calibration` results (matplotlib, imported on use)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .calibration import SBCResult


def plot_ranks(
    results: Sequence[SBCResult],
    path: str | os.PathLike[str] | None = None,
    max_quantities: int = 4,
) -> Figure:
    """Rank histograms: one row per result, up to ``max_quantities`` panels (``log_lik``
    first, then the quantity with the smallest p-value...), the expected count dashed.
    Saved as PNG to ``path`` when given; returns the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = len(results)
    fig, axes = plt.subplots(
        rows, max_quantities, figsize=(2.4 * max_quantities, 1.5 * rows), squeeze=False
    )
    for ax_row, res in zip(axes, results, strict=True):
        order = [len(res.quantities) - 1] + [
            int(i) for i in np.argsort(res.pvalues) if i != len(res.quantities) - 1
        ]
        for j, ax in enumerate(ax_row):
            if j >= len(order):
                ax.axis("off")
                continue
            q = order[j]
            hist = res.histograms[q]
            ax.bar(np.arange(len(hist)), hist, width=1.0, color="C0" if res.passed else "C3")
            ax.plot(np.arange(len(hist)), res.expected, "k--", lw=0.8)
            ax.set_xticks([])
            ax.tick_params(labelsize=6)
            ax.set_title(f"{res.quantities[q]}  p={res.pvalues[q]:.2g}", fontsize=7)
            if j == 0:
                ax.set_ylabel(f"{res.family}\n{res.method}", fontsize=7)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
