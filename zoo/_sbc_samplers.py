"""The posterior samplers of :func:`zoo.calibration.sbc`: NUTS and SVI compiled once and
reused across replications, :func:`zoo.fit.fit` per replication, and exact conjugate draws.
JAX and the inference modules are imported when a sampler runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import jax

    from .data import Dataset
    from .inference._svi import SviRunner
    from .models import Family


class _Nuts:
    """NUTS as :func:`zoo.fit.fit` runs it (:func:`zoo.nuts.sample`, whose compiled sampler
    takes the data as an argument, so every replication after the first reuses it)."""

    def __init__(self, model: Family, settings: dict, n_keep: int) -> None:
        self.model, self.settings, self.n_keep = model, settings, n_keep
        self.divergences = 0

    def __call__(self, data: Dataset, key: jax.Array) -> dict[str, np.ndarray]:
        from .inference._nuts import nuts_draws
        from .inference._target import FamilyTarget

        s = self.settings
        samples, stats, _ = nuts_draws(
            FamilyTarget(self.model, data),
            key,
            chains=s["chains"],
            warmup=s["warmup"],
            draws=math.ceil(self.n_keep * s["thin"] / s["chains"]),
            target_accept=s["target_accept"],
        )
        self.divergences += int(stats["diverging"].sum())
        sites = self.model.param_sites()
        return {
            k: _thin(np.asarray(v).reshape(-1, *v.shape[2:]), self.n_keep)
            for k, v in samples.items()
            if k in sites
        }


class _Svi:
    """One :class:`zoo.inference._svi.SviRunner` (the SVI loop :func:`zoo.fit.fit` runs,
    compiled with the data as its argument) reused across replications."""

    runner: SviRunner  # made with the guide, at the first replication

    def __init__(self, model: Family, settings: dict, n_keep: int) -> None:
        from .fit import make_guide

        self.model, self.settings, self.n_keep = model, settings, n_keep
        self.guide: Any = None  # a NumPyro autoguide, made at the first replication
        self._make = lambda opts: make_guide(settings["guide"], model.program, **opts)

    def _setup(self, data: Dataset) -> None:
        from .inference._svi import SviRunner

        # one guide serves every replication: no start fitted to one data set
        opts = self.model.shared_guide_options(data)
        self.guide = self._make(opts)
        s = self.settings
        self.runner = SviRunner(
            self.model.program, self.guide, s["learning_rate"], s["steps"], jit_draws=True
        )

    def __call__(self, data: Dataset, key: jax.Array) -> dict[str, np.ndarray]:
        import jax

        if self.guide is None:
            self._setup(data)
        kwargs = self.model.program_kwargs(data)
        k_init, k_draw = jax.random.split(key)
        params, _ = self.runner.run(k_init, kwargs)
        post = self.runner.draw(k_draw, params, self.n_keep, kwargs)
        sites = self.model.param_sites()
        return {k: v for k, v in post.items() if k in sites}


class _ViaFit:
    """:func:`zoo.fit.fit` per replication (recompiles each time): the cross-check path."""

    def __init__(self, model: Family, method: str, settings: dict, n_keep: int) -> None:
        self.model, self.method, self.n_keep = model, method, n_keep
        self.kwargs = {k: v for k, v in settings.items() if k != "thin"}
        if method == "nuts":
            chains = settings["chains"]
            self.kwargs["draws"] = math.ceil(n_keep * settings["thin"] / chains)
        else:
            self.kwargs.update(chains=1, draws=n_keep)

    def __call__(self, data: Dataset, key: jax.Array) -> dict[str, np.ndarray]:
        from .fit import fit

        seed = int(np.asarray(key)[-1])
        result = fit(self.model, data, self.method, seed=seed, **self.kwargs)
        return {k: _thin(np.asarray(v), self.n_keep) for k, v in result.draws().items()}


def _thin(v: np.ndarray, n_keep: int) -> np.ndarray:
    """``n_keep`` draws evenly spaced over the chain (thinning cuts autocorrelation)."""
    idx = np.floor(np.linspace(0, len(v), n_keep, endpoint=False)).astype(int)
    kept: np.ndarray = v[idx]
    return kept


def _exact(model: Family, n_keep: int) -> Callable[[Dataset, jax.Array], dict[str, np.ndarray]]:
    """Exact conjugate draws, as :func:`zoo.fit.fit` draws them."""
    from .inference._target import FamilyTarget, check_exact

    check_exact(model)

    def draw(data: Dataset, key: jax.Array) -> dict[str, np.ndarray]:
        return FamilyTarget(model, data).exact_draws(key, n_keep)

    return draw
