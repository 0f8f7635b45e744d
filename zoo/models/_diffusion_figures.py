"""Figures of a fitted ``diffusion``: the denoising trajectory (noise to digit, step by
step) and sample quality against the number of sampling steps (samples of each strided
chain beside its held-out bound). ``zoo fit diffusion --out`` saves both
(``Diffusion.family_figures``); ``*_figure(..., path)`` write one file.

Figures are matplotlib ``Figure`` objects (no pyplot state), as in :mod:`zoo.figures`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._lazy import jax
from ..data import Dataset

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ._base import Draws
    from .diffusion import Diffusion


def _image(ax: Axes, values: np.ndarray) -> None:
    side = math.isqrt(len(values))
    ax.imshow(values.reshape(side, -1), cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])


def _strided(steps: int, count: int) -> tuple[int, ...]:
    """``count`` steps evenly spaced on ``0..steps`` (the grid of a strided chain)."""
    return tuple(sorted({int(round(v)) for v in np.linspace(0, steps, count + 1)}))


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def trajectory(
    model: Diffusion, draws: Draws, n: int = 6, columns: int = 8, seed: int = 0
) -> Figure:
    """``n`` reverse chains (rows), from x_T (left) to x_0 (right) at ``columns`` steps."""
    states = model.trajectory(draws, jax.random.PRNGKey(seed), n)
    shown = np.unique(np.linspace(0, len(states) - 1, columns).round().astype(int))
    fig = _new_figure(1.1 * len(shown), 1.1 * n)
    axes = fig.subplots(n, len(shown), squeeze=False)
    for c, k in enumerate(shown):
        axes[0, c].set_title(f"t={model.timesteps - k}", fontsize=8)
        for r in range(n):
            _image(axes[r, c], states[k, r])
    fig.suptitle("Denoising: noise (left) to samples (right)", fontsize=9)
    return fig


def steps(
    model: Diffusion,
    draws: Draws,
    test: Dataset,
    counts: Sequence[int] = (1, 2, 5, 10, 20),
    n: int = 8,
    seed: int = 0,
) -> tuple[Figure, dict[int, float]]:
    """Samples of the chain with each number of steps in ``counts`` (a row each, those up
    to the model's steps), titled with its held-out bound in nats per image; the figure and
    those bounds."""
    counts = [c for c in counts if c <= model.timesteps]
    fig = _new_figure(1.0 * n, 1.2 * len(counts))
    axes = fig.subplots(len(counts), n, squeeze=False)
    nats: dict[int, float] = {}
    for r, count in enumerate(counts):
        times = _strided(model.timesteps, count)
        terms = model.bound_terms(draws, test, times=times)
        nats[count] = float((terms["L_T"] + terms["kl"].sum(-1) + terms["L_0"]).mean())
        samples = model.trajectory(draws, jax.random.PRNGKey(seed), n, times=times)[-1]
        for c in range(n):
            _image(axes[r, c], samples[c])
        axes[r, 0].set_ylabel(f"{count} steps\n{nats[count]:.1f} nats", fontsize=8)
    fig.suptitle("Samples and held-out bound against sampling steps", fontsize=9)
    return fig, nats


def trajectory_figure(
    model: Diffusion, draws: Draws, path: str | Path, n: int = 6, columns: int = 8, seed: int = 0
) -> str | Path:
    """:func:`trajectory` written to ``path``."""
    trajectory(model, draws, n, columns, seed).savefig(path, dpi=100, bbox_inches="tight")
    return path


def steps_figure(
    model: Diffusion,
    draws: Draws,
    test: Dataset,
    path: str | Path,
    counts: Sequence[int] = (1, 2, 5, 10, 20),
    n: int = 8,
    seed: int = 0,
) -> dict[int, float]:
    """:func:`steps` written to ``path``; returns the bounds."""
    fig, nats = steps(model, draws, test, counts, n, seed)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return nats


__all__: list[Any] = ["steps", "steps_figure", "trajectory", "trajectory_figure"]
