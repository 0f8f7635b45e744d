"""Fits of :class:`~zoo.models.Trained` families: the family optimises its own objective
(an ELBO through its own guide, contrastive divergence, a diffusion bound) and the driver
keeps the point it reaches as a posterior of one draw, with the objective's trace."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _jax
from ..models._base import as_numpy
from ._common import progress_printer
from ._idata import FitResult, build


def trained_fit(target: Any, key: Any, method: str, settings: dict, progress: bool) -> FitResult:
    """The family's :meth:`~zoo.models.Trained.train` by ``method`` with ``settings``
    (steps, learning_rate, batch_size), kept as one chain of one draw."""
    model = target.model
    show = progress_printer(f"{target.name} {method}") if progress else None
    with _jax.stopwatch() as clock:
        point, objective = model.train(
            target.data,
            key,
            steps=settings["steps"],
            learning_rate=settings["learning_rate"],
            batch_size=settings.get("batch_size"),
            progress=show,
        )
        flat = {k: as_numpy(v)[None] for k, v in point.items()}
    settings = {**{k: v for k, v in settings.items() if k != "warmup"}, "chains": 1, "draws": 1}
    trace = np.asarray(objective, dtype=float)
    return build(target, method, flat, 1, clock, settings, elbo=trace)
