"""The learning curves of ``zoo compare``: each row's held-out nats on growing prefixes of
the training items, by the cheapest honest posterior the family has at that size."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._compare_budgets import Budget, rounded
from .data import Dataset
from .models import Conjugate, MapFits, PointEstimate

if TYPE_CHECKING:
    from .fit import FitResult
    from .models import Family


def _point_score(model: Family, draws: Mapping[str, Any], test: Dataset) -> float:
    """Held-out nats per item of a posterior given as ``draws`` (no fit object needed)."""
    from .evaluate import score

    return float(score(model, draws, test)["nats_per_item"])


def curve(
    b: Budget,
    kwargs: dict,
    fitted: FitResult,
    train: Dataset,
    test: Dataset,
    seed: int,
    full: float,
) -> list[dict[str, Any]]:
    """Held-out nats on the first ``m`` training items for each budget size, then all;
    ``kwargs``: the row's fit settings.

    Tabular families: the exact conjugate posterior (cheap, and the same posterior NUTS
    samples). Latent class: SVI from EM at budgets with SVI curves, else the EM (MAP) point.
    Autoregressive families: SVI refits at budgets with SVI curves, else MAP fits of every
    size at once (one compile, the row's steps).
    """
    import jax

    from .fit import fit

    model = fitted.family_model
    refit = not isinstance(model, Conjugate) and b.svi_curve_sizes
    budget_sizes = b.svi_curve_sizes if refit else b.curve_sizes
    sizes = [m for m in budget_sizes if m < train.n_items]
    maps = None
    if "curve_maps" in fitted.extra:
        sizes, maps = fitted.extra["curve_maps"]
    elif not refit and isinstance(model, MapFits) and sizes:
        maps = model.map_fits(train, sizes, steps=kwargs["steps"], seed=seed)
    points = []
    for i, m in enumerate(sizes):
        part = train.take(slice(0, m))
        if isinstance(model, Conjugate):
            key = jax.random.fold_in(jax.random.PRNGKey(seed), m)
            draws = model.exact_draws(part, key, 200)
            nats, how = _point_score(model, draws, test), "exact"
        elif refit:
            again = fit(model, part, seed=seed, **kwargs)
            nats, how = _point_score(model, again.draws(), test), again.method
        elif maps is not None:
            draws = {k: v[i : i + 1] for k, v in maps.items()}
            nats, how = _point_score(model, draws, test), "map"
        elif isinstance(model, PointEstimate):
            draws = model.point_estimate(part)
            nats, how = _point_score(model, draws, test), "em"
        else:
            continue  # no cheap way to a posterior at this size
        points.append({"train_items": m, "nats_per_item": rounded(nats, 3), "method": how})
    if points:  # the full training set: the row's own fit
        points.append({"train_items": train.n_items, "nats_per_item": full, "method": "fit"})
    return points
