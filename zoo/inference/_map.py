"""MAP points found outside SVI (a family's own vmapped optimiser, ``map_fits``) returned as
the SVI result a MAP guide would give, and the MAP fit that carries a learning curve."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _jax
from ..data import Dataset
from ..models._base import MapFits, as_numpy
from ._idata import FitResult, build
from ._target import FamilyTarget

if TYPE_CHECKING:
    from ..models._base import Model


def map_result(
    model: Model, data: Dataset, point: dict[str, Any], elbo: Any, settings: dict, clock: dict
) -> FitResult:
    """A MAP point found outside :func:`zoo.fit.fit` (e.g. by ``map_fits``) as an SVI result
    with a MAP guide: ``chains x draws`` copies of the point, as the Delta guide draws."""
    n = settings["chains"] * settings["draws"]
    flat = {k: np.broadcast_to(as_numpy(v), (n, *np.shape(v))).copy() for k, v in point.items()}
    settings = {**settings, "guide": "map"}
    target = FamilyTarget(model, data)
    return build(target, "svi", flat, settings["chains"], clock, settings, elbo=np.asarray(elbo))


def map_fit(
    model: Model,
    data: Dataset,
    sizes: Sequence[int],
    *,
    steps: int,
    seed: int = 0,
    chains: int = 1,
    draws: int = 1,
    learning_rate: float = 0.01,
) -> FitResult:
    """The MAP fit of ``model`` to ``data`` (a MAP-guided SVI result) together with MAP fits
    to its first ``m`` items for each ``m`` in ``sizes``, in one compiled run of the family's
    ``map_fits``; ``extra["curve_maps"]`` holds ``(sizes, {site: (len(sizes), ...)})``."""
    import jax

    sizes = [int(m) for m in sizes]
    assert isinstance(model, MapFits)  # callers ask only families that have map_fits
    with _jax.stopwatch() as clock:
        params, losses = model.map_fits(
            data,
            [*sizes, data.n_items],
            steps=steps,
            learning_rate=learning_rate,
            seed=seed,
            return_losses=True,
        )
        jax.block_until_ready(params)
    settings = {
        "seed": seed,
        "chains": chains,
        "draws": draws,
        "steps": steps,
        "learning_rate": learning_rate,
        "batch_size": None,
    }
    point = {k: v[-1] for k, v in params.items()}
    fitted = map_result(model, data, point, -losses[-1], settings, clock)
    fitted.extra["curve_maps"] = (sizes, {k: v[:-1] for k, v in params.items()})
    return fitted
