"""SVI for any :class:`~zoo.inference._target.Target`: numpyro's ``SVI`` with an autoguide,
Adam and ``Trace_ELBO``, run by :class:`SviRunner`, the one compiled optimisation loop that
:func:`zoo.fit.fit` and simulation-based calibration share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _jax
from ..models._base import as_numpy
from ..validate import choice
from ._common import progress_printer
from ._idata import FitResult, build

if TYPE_CHECKING:
    from ._target import Target

GUIDES = ("normal", "map", "lowrank")


def make_guide(name: str, program: Callable[..., Any], **options: Any) -> Any:
    """The autoguide called ``name`` in :data:`GUIDES` for ``program``."""
    from numpyro.infer import autoguide

    guides = {
        "normal": autoguide.AutoDiagonalNormal,  # mean-field, and exposes q for PSIS
        "map": autoguide.AutoDelta,
        "lowrank": autoguide.AutoLowRankMultivariateNormal,
    }
    choice(name, GUIDES, "guide")
    return guides[name](program, **options)


def _split(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Array arguments (the compiled loop's inputs) apart from the rest (fixed into it)."""
    from ..nuts import _is_data

    data = {k: v for k, v in kwargs.items() if _is_data(v)}
    return data, {k: v for k, v in kwargs.items() if k not in data}


class SviRunner:
    """One ``SVI`` and its optimisation loop: a ``lax.scan`` over ``svi.update``, jitted with
    the data as its argument, so every data set of the same shapes reuses the compile
    (``svi.run`` jits a fresh closure per call). With progress the loop runs in blocks of a
    twentieth, which gives the same numbers as one scan.

    ``jit_draws`` also compiles the guide's draws once (for reuse across data sets); unjitted
    they run op by op, as ``svi.run``'s callers draw (the numbers differ in the last bit).
    """

    def __init__(
        self,
        program: Callable[..., Any],
        guide: Any,
        learning_rate: float,
        steps: int,
        *,
        jit_draws: bool = False,
    ) -> None:
        from numpyro.infer import SVI, Trace_ELBO
        from numpyro.optim import Adam

        self.guide, self.steps, self.jit_draws = guide, steps, jit_draws
        self.svi = SVI(program, guide, Adam(learning_rate), Trace_ELBO())
        self._compiled: dict[tuple[Any, ...], Any] = {}

    def _loop(self, fixed: dict[str, Any]) -> Any:
        name = ("loop", repr(sorted(fixed.items())))
        if name not in self._compiled:
            svi = self.svi

            def loop(state, data, length):
                def body(s, _):
                    return svi.update(s, **data, **fixed)

                return jax.lax.scan(body, state, None, length=length)

            self._compiled[name] = jax.jit(loop, static_argnums=2)
        return self._compiled[name]

    def run(
        self, key: Any, kwargs: dict[str, Any], progress: Callable[[int, int], None] | None = None
    ) -> tuple[dict[str, Any], Any]:
        """``(params, losses)`` after ``steps`` Adam steps from ``svi.init(key)``;
        ``progress(done, total)`` is called between blocks."""
        data, fixed = _split(kwargs)
        loop = self._loop(fixed)
        state = self.svi.init(key, **kwargs)
        block = self.steps if progress is None else max(self.steps // 20, 1)
        parts, done = [], 0
        while done < self.steps:
            state, part = loop(state, data, min(block, self.steps - done))
            parts.append(part)
            done += len(part)
            if progress is not None:
                progress(done, self.steps)
        losses = parts[0] if len(parts) == 1 else jnp.concatenate(parts)
        return self.svi.get_params(state), losses

    def draw(
        self, key: Any, params: dict[str, Any], n: int, kwargs: dict[str, Any]
    ) -> dict[str, np.ndarray]:
        """``n`` draws of every site from the guide at ``params``, as NumPy arrays."""
        data, fixed = _split(kwargs)
        if not self.jit_draws:
            post = self.guide.sample_posterior(key, params, sample_shape=(n,), **kwargs)
        else:
            name = ("draw", n, repr(sorted(fixed.items())))
            if name not in self._compiled:
                guide = self.guide
                self._compiled[name] = jax.jit(
                    lambda key, params, data: guide.sample_posterior(
                        key, params, sample_shape=(n,), **data, **fixed
                    )
                )
            post = self._compiled[name](key, params, data)
        return {k: as_numpy(v) for k, v in post.items()}


def svi_fit(target: Target, key: Any, settings: dict[str, Any], progress: bool) -> FitResult:
    """SVI with ``settings`` (steps, guide, learning_rate, batch_size, seed, chains x draws
    draws from the guide)."""
    full = target.svi_kwargs()
    batch = settings.get("batch_size")
    kwargs = target.minibatch(full, batch) if batch else full
    fit_key, draw_key = jax.random.split(key)
    n = settings["chains"] * settings["draws"]
    with _jax.stopwatch() as clock:
        options = target.guide_options(settings["seed"])  # e.g. an EM start: timed too
        guide = make_guide(settings["guide"], target.program, **options)
        runner = SviRunner(target.program, guide, settings["learning_rate"], settings["steps"])
        show = progress_printer(f"{target.name} SVI") if progress else None
        params, losses = runner.run(fit_key, kwargs, show)
        post = runner.draw(draw_key, params, n, full)
        losses = as_numpy(losses)
    extra = {"guide": guide, "params": params, "program_kwargs": full}
    return build(
        target,
        "svi",
        post,
        settings["chains"],
        clock,
        settings,
        key=draw_key,
        elbo=-losses,
        extra=extra,
    )
