"""NUTS for any :class:`~zoo.inference._target.Target`, through :func:`zoo.nuts.sample`
(compiled once per program shape, the data an argument): the draws simulation-based
calibration ranks, and the fit :func:`zoo.fit.fit` returns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _jax
from ._common import progress_printer
from ._idata import FitResult, build

if TYPE_CHECKING:
    from ..nuts import Stats
    from ._target import Target


def nuts_draws(
    target: Target,
    key: Any,
    *,
    chains: int,
    warmup: int,
    draws: int,
    target_accept: float,
    seed: int = 0,
    progress: bool = False,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], Stats]:
    """``(draws, sample_stats, zoo.nuts.Stats)``: draws ``(chains, draws, ...)`` per site,
    the sampler statistics under ArviZ's names with the log density's offset added back."""
    from .. import nuts

    kwargs, offset = target.nuts_kwargs()
    samples, extra, info = nuts.sample(
        target.program,
        kwargs,
        key,
        chains=chains,
        warmup=warmup,
        draws=draws,
        target_accept=target_accept,
        cache_key=target.cache_key(),
        reference=target.reference_draws(seed),
        progress=progress_printer(f"{target.name} NUTS", warmup) if progress else None,
    )
    return samples, nuts.arviz_stats(extra, offset), info


def nuts_fit(target: Target, key: Any, settings: dict[str, Any], progress: bool) -> FitResult:
    """NUTS with ``settings`` (chains, warmup, draws, target_accept, seed)."""
    with _jax.stopwatch() as clock:
        samples, stats, info = nuts_draws(
            target,
            key,
            chains=settings["chains"],
            warmup=settings["warmup"],
            draws=settings["draws"],
            target_accept=settings["target_accept"],
            seed=settings["seed"],
            progress=progress,
        )
    settings["chain_method"] = info.chain_method
    flat = {k: v.reshape(-1, *v.shape[2:]) for k, v in samples.items()}
    return build(
        target, "nuts", flat, settings["chains"], clock, settings, stats=stats, extra={"nuts": info}
    )
