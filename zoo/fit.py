"""``fit(target, data, method=...)``: the one inference driver, for a zoo family model with
its data or a user's program bound to its data (:func:`zoo.programs.bind`).

NUTS goes through :mod:`zoo.nuts` (numpyro's kernels, compiled once per program shape), SVI
through ``numpyro.infer.SVI`` with autoguides (one compiled loop, shared with simulation-based
calibration), and exact conjugate draws where a family has them; every result holds an ArviZ
``InferenceData`` with the same groups and the timings. The pieces live in
:mod:`zoo.inference`; this module is their public face.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

import jax

from . import _jax
from .data import Dataset
from .errors import ZooError
from .inference._common import (
    MEMORY_LIMIT,
    POINTWISE_LIMIT,
    check_budget,
    check_memory,
    keeps_pointwise,
    memory_estimate,
    progress_printer,
)
from .inference._idata import FitResult, build
from .inference._map import map_fit, map_result
from .inference._nuts import nuts_fit
from .inference._svi import GUIDES, make_guide, svi_fit
from .inference._target import FamilyTarget, as_target
from .inference._trained import trained_fit
from .models import Trained
from .validate import choice, positive_int
from .validate import seed as check_seed

if TYPE_CHECKING:
    from .models import Model
    from .programs import BoundProgram

METHODS = ("nuts", "svi", "exact")

__all__ = [
    "GUIDES",
    "MEMORY_LIMIT",
    "METHODS",
    "POINTWISE_LIMIT",
    "FitResult",
    "check_budget",
    "check_memory",
    "fit",
    "make_guide",
    "map_fit",
    "map_result",
    "memory_estimate",
    "progress_printer",
]


def fit(
    target: Model | BoundProgram,
    data: Dataset | None = None,
    method: str | None = None,
    *,
    seed: int = 0,
    chains: int = 4,
    warmup: int = 1000,
    draws: int = 1000,
    target_accept: float = 0.8,
    steps: int = 3000,
    guide: str | None = None,
    learning_rate: float | None = None,
    batch_size: int | None = None,
    progress: bool = False,
    pointwise: bool | None = None,
) -> FitResult:
    """Fit ``target`` and return a :class:`FitResult`.

    ``target`` is a zoo family model, fitted to ``data`` (a :class:`zoo.data.Dataset`), or a
    :class:`zoo.programs.BoundProgram`, which carries its data (``data`` stays ``None``).
    ``method`` is ``"nuts"``, ``"svi"`` or ``"exact"`` (conjugate tabular families only);
    by default the family's own choice (a program's: NUTS). NUTS runs ``chains`` chains of
    ``warmup`` + ``draws`` iterations; SVI runs ``steps`` Adam steps with a mean-field Normal
    (``"normal"``), MAP (``"map"``) or low-rank (``"lowrank"``) guide at ``learning_rate``
    (default 0.01) (by default the
    family's own choice), on ``batch_size`` items per step when given (families with a
    per-item likelihood), then draws ``chains x draws`` times from the guide.
    ``pointwise=False`` skips the per-item log-likelihood group (what PSIS-LOO reads), which
    costs draws x items: for timing the posterior alone; by default (``None``) it is kept
    while it holds at most :data:`POINTWISE_LIMIT` values, so large data fit in bounded
    memory (a conjugate family's LOO is exact without it; the settings record the choice).
    A trained family (:class:`zoo.models.Trained`: the VAE, flows, energy models,
    diffusion) is fitted by its own objective and guide for ``steps`` steps (at its own
    learning rate unless one is given), to one point.
    ``progress=True`` shows the iterations on standard error.
    The same ``seed`` gives the same numbers.
    """
    _jax.ensure()  # host devices and caches, before anything computes
    fitted = as_target(target, data)
    method = fitted.default_method if method is None else method
    choice(method, fitted.methods, "method")
    check_budget(chains, warmup, draws, steps, target_accept)
    seed = check_seed("seed", seed)
    trained = isinstance(fitted.model, Trained)
    if trained and guide is not None:
        raise ZooError(f"{fitted.name} is trained with its own guide; guide does not apply")
    guide = fitted.default_guide if guide is None else guide
    if not trained:
        choice(guide, GUIDES, "guide")
    if batch_size is not None:
        positive_int("batch_size", batch_size)
        if not fitted.batches:
            raise ZooError(f"batch_size applies to the zoo's families, not to {fitted.name}")
    items = fitted.data.n_items if fitted.data is not None else 0
    pointwise = keeps_pointwise(pointwise, chains * draws, items)
    fitted.check(chains * draws, pointwise)
    settings: dict[str, Any] = {"seed": seed, "chains": chains, "warmup": warmup, "draws": draws}
    settings["pointwise"] = pointwise
    key = jax.random.PRNGKey(seed)
    if learning_rate is None:
        model = fitted.model
        learning_rate = model.learning_rate if isinstance(model, Trained) else 0.01
    if trained:
        settings.update(steps=steps, learning_rate=learning_rate, batch_size=batch_size)
        if method == "svi":
            settings["guide"] = guide
        return trained_fit(fitted, key, method, settings, progress)
    if method == "nuts":
        settings["target_accept"] = target_accept
        return nuts_fit(fitted, key, settings, progress)
    if method == "svi":
        settings.update(steps=steps, guide=guide, learning_rate=learning_rate)
        if fitted.batches:
            settings["batch_size"] = batch_size
        return svi_fit(fitted, key, settings, progress)
    assert isinstance(fitted, FamilyTarget)  # a program's methods exclude "exact"
    with _jax.stopwatch() as clock:
        flat = fitted.exact_draws(key, chains * draws)
    return build(fitted, "exact", flat, chains, clock, settings)


class _Callable(types.ModuleType):
    """This module, callable as :func:`fit` (``zoo.fit`` is the module and the verb)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return fit(*args, **kwargs)


sys.modules[__name__].__class__ = _Callable
