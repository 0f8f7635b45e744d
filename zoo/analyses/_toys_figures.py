"""The figure of ``zoo analyze toys``: one row per toy; columns the data, the flow's
density, its samples coloured by where they started in N(0, I) (the warp's end), the energy
model's density with Langevin samples on top, the diffusion's samples, and snapshots of
its denoising chains from noise (light) to data (red)."""

from __future__ import annotations

from typing import Any

import numpy as np

LIMIT = 3.5  # standardised toys lie within about 2.7 of the origin
TITLES = (
    "data",
    "flow p(x)",
    "flow: N(0, I) warped",
    "energy p(x) + Langevin",
    "diffusion samples",
    "denoising: x_t, t = T .. 0",
)
#: the denoising column's snapshots, as shares of the T steps (noise first)
SNAPSHOTS = (1.0, 0.5, 0.25, 0.1, 0.0)


def toys_figure(drawn: dict[str, dict], resolution: int = 150) -> Any:
    """Rows = toys of ``drawn`` (each: data, flow, flow_samples, base, energy, langevin,
    diffusion, path), columns = :data:`TITLES`."""
    import matplotlib.pyplot as plt

    rows = len(drawn)
    fig, axes = plt.subplots(rows, len(TITLES), figsize=(2.4 * len(TITLES), 2.4 * rows))
    axes = np.atleast_2d(axes)
    mid = np.linspace(-LIMIT, LIMIT, resolution)
    gx, gy = np.meshgrid(mid, mid)
    cells = np.stack([gx.ravel(), gy.ravel()], axis=1)
    extent = (-LIMIT, LIMIT, -LIMIT, LIMIT)
    for r, (toy, d) in enumerate(drawn.items()):
        row = axes[r]
        _dots(row[0], d["data"], "k")
        flow = np.exp(d["flow"].log_density(cells)).reshape(resolution, resolution)
        row[1].imshow(flow, origin="lower", extent=extent, cmap="viridis")
        base = d["base"]
        _dots(row[2], d["flow_samples"], np.arctan2(base[:, 1], base[:, 0]), cmap="hsv")
        energy = np.exp(d["energy"].log_density(cells)).reshape(resolution, resolution)
        row[3].imshow(energy, origin="lower", extent=extent, cmap="viridis")
        _dots(row[3], d["langevin"], "w", size=0.5)
        _dots(row[4], d["diffusion"], "C3")
        path = d["path"]  # (T + 1, n, 2), noise first
        steps = path.shape[0] - 1
        for t, shade in zip(SNAPSHOTS, ("0.85", "0.65", "0.45", "C1", "C3"), strict=True):
            _dots(row[5], path[steps - round(t * steps)], shade, size=1.0)
        row[0].set_ylabel(toy)
        for c, ax in enumerate(row):
            ax.set(xlim=(-LIMIT, LIMIT), ylim=(-LIMIT, LIMIT), xticks=[], yticks=[])
            ax.set_aspect("equal")
            if r == 0:
                ax.set_title(TITLES[c], fontsize=9)
    fig.tight_layout()
    return fig


def _dots(
    ax: Any, points: np.ndarray, colour: Any, size: float = 1.5, cmap: str | None = None
) -> None:
    ax.scatter(points[:, 0], points[:, 1], s=size, c=colour, cmap=cmap, linewidths=0)
