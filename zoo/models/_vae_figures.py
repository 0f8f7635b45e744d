"""Figures of a fitted VAE (not yet saved by ``zoo fit --out``): the decoded 2-D latent map
(a grid of z through the decoder, beside the held-out images' encoded means) and straight
interpolations in z between pairs of images.

matplotlib is imported when a figure is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ZooError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..data import Dataset
    from .vae import Vae


def _mosaic(images: np.ndarray, rows: int, cols: int, shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    tiles = images.reshape(rows, cols, h, w).transpose(0, 2, 1, 3)
    return tiles.reshape(rows * h, cols * w)


def latent_map(model: Vae, draws: Any, data: Dataset, steps: int = 12, span: float = 2.5) -> Figure:
    """A latent-2 VAE's decoder over a ``steps x steps`` grid of z in ``[-span, span]^2``,
    and the encoded means of ``data`` (coloured by label when it has labels)."""
    from matplotlib.figure import Figure

    if model.latent != 2:
        raise ZooError(f"the latent map needs latent=2, this VAE has latent={model.latent}")
    shape = data.shape or (1, model.n)
    g = np.linspace(-span, span, steps)
    z = np.stack(np.meshgrid(g, -g), -1).reshape(-1, 2)  # rows from top (high z2) down
    fig = Figure(figsize=(10, 5), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.imshow(_mosaic(model.decode(draws, z), steps, steps, shape), cmap="gray_r")
    left.set(title="decoded grid of z", xticks=[], yticks=[])
    mean, _ = model.encode(draws, data)
    labelled = {"c": data.y, "cmap": "tab10"} if data.y is not None else {}
    right.scatter(mean[:, 0], mean[:, 1], s=8, **labelled)
    right.set(title="encoded means of the items", xlabel="z1", ylabel="z2")
    return fig


def interpolations(model: Vae, draws: Any, data: Dataset, pairs: int = 4, steps: int = 8) -> Figure:
    """Decoded images along straight lines in z between the encoded means of ``pairs``
    pairs of consecutive items of ``data``, one row per pair."""
    from matplotlib.figure import Figure

    if data.n_items < 2 * pairs:
        raise ZooError(f"interpolations need {2 * pairs} items, the data have {data.n_items}")
    shape = data.shape or (1, model.n)
    mean, _ = model.encode(draws, data.take(slice(0, 2 * pairs)))
    t = np.linspace(0.0, 1.0, steps)[None, :, None]
    z = (1 - t) * mean[0::2, None] + t * mean[1::2, None]  # (pairs, steps, L)
    images = model.decode(draws, z.reshape(-1, model.latent))
    fig = Figure(figsize=(steps, pairs + 0.5), layout="constrained")
    ax = fig.subplots()
    ax.imshow(_mosaic(images, pairs, steps, shape), cmap="gray_r")
    ax.set(title="interpolations in z", xticks=[], yticks=[])
    return fig
