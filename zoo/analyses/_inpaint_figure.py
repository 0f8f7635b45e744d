"""The inpainting figure: for a few test digits, the truth and the top given, then each
family's sampled completions, with a line where the given top ends."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .figures import _figure

SIDE = 8


def _image(ax: Axes, pixels: np.ndarray | None, top: int, gid: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if pixels is None:
        return
    img = np.asarray(pixels, np.float64).reshape(SIDE, SIDE)
    ax.imshow(img, cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest").set_gid(gid)
    ax.axhline(top / SIDE - 0.5, color="#c0392b", lw=1.2)


def completions_figure(
    truth: np.ndarray, completions: Mapping[str, np.ndarray], samples: int, top: int
) -> Figure:
    """Rows: the truth (and the top alone, its bottom blank), then one row per family;
    columns: ``samples`` per shown digit. ``completions[family]`` holds ``samples`` items
    per digit, digit by digit. Each image has gid ``inpaint:<row>:<digit>:<sample>``."""
    shown = len(truth)
    rows = ["truth", *completions]
    cols = shown * samples
    fig = _figure(0.55 * cols + 1.6, 0.6 * len(rows) + 0.6)
    grid = fig.subplots(len(rows), cols, squeeze=False)
    for r, name in enumerate(rows):
        for d in range(shown):
            for j in range(samples):
                ax = grid[r, d * samples + j]
                if name == "truth":
                    head = truth[d].astype(np.float64)
                    head[top:] = 0.15  # the bottom the families are not shown
                    picture = [truth[d], head, None][min(j, 2)]
                else:
                    picture = completions[name][d * samples + j]
                _image(ax, picture, top, f"inpaint:{name}:{d}:{j}")
        grid[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=7)
    fig.suptitle("bottom halves sampled given the top (above the red line)", fontsize=10)
    fig.subplots_adjust(left=0.2, right=0.99, top=0.9, bottom=0.02, wspace=0.08, hspace=0.1)
    return fig
