"""What a fit returns: :class:`FitResult`, and the one builder of its ArviZ
``InferenceData`` (posterior, sample_stats, log_likelihood, observed_data) and seconds."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jax.numpy as jnp
import numpy as np

from .. import _jax
from ..data import Dataset

if TYPE_CHECKING:
    from arviz import InferenceData

    from ..models._base import Family
    from ._target import ProgramTarget, Target

#: the seconds key of each method's own work, beside compile and log_likelihood (a trained
#: family's other methods: "training")
PHASES = {"nuts": "warmup_and_sampling", "svi": "optimisation", "exact": "sampling"}


@dataclass
class FitResult:
    """A fitted model: the ``InferenceData``, the settings and the seconds spent."""

    model: Family | ProgramTarget
    method: str
    idata: InferenceData
    seconds: dict[str, float]
    settings: dict[str, Any]
    data: Dataset | None
    elbo: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def draws(self) -> dict[str, jnp.ndarray]:
        """Posterior draws of every site, chains and draws merged into one leading axis."""
        post = self.idata["posterior"]
        return {
            str(k): jnp.asarray(v.values.reshape(-1, *v.shape[2:]))
            for k, v in post.data_vars.items()
        }

    @property
    def family_model(self) -> Family:
        """``model`` as the family model it is (``TypeError`` for a program's fit)."""
        from ..models._base import Family

        if not isinstance(self.model, Family):
            raise TypeError(f"this is a fit of a program, not of a family: {self.model!r}")
        return self.model

    def invariants(self) -> dict[str, Any] | None:
        """The permutation-invariant quantities of the draws when the model is judged on them
        (``invariant_only``: labels can swap), else ``None``."""
        from ..models._base import Family

        if not self.model.invariant_only:
            return None
        # only families set invariant_only, and a family's fit keeps its data
        assert isinstance(self.model, Family) and self.data is not None
        return self.model.invariants(self.draws(), self.data)


def build(
    target: Target,
    method: str,
    flat: dict[str, Any],
    chains: int,
    clock: dict[str, float],
    settings: dict[str, Any],
    *,
    stats: dict[str, Any] | None = None,
    key: Any = None,
    elbo: np.ndarray | None = None,
    extra: dict[str, Any] | None = None,
) -> FitResult:
    """The :class:`FitResult` of ``target`` from ``(chains x draws, ...)`` draws ``flat``;
    ``clock`` timed the method, and the seconds add what this takes (the pointwise
    log-likelihood, skipped when ``settings["pointwise"]`` is false)."""
    from .._az import az

    with _jax.stopwatch() as ll_clock:
        post = target.posterior(flat, key)
        loglik = target.log_likelihood(post) if settings.get("pointwise", True) else {}
        observed = target.observed_data()
    total = len(next(iter(post.values())))

    def split(v: Any) -> np.ndarray:
        return np.asarray(v).reshape(chains, total // chains, *np.shape(v)[1:])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = az.from_dict(
            posterior={k: split(v) for k, v in post.items()},
            sample_stats=stats,
            log_likelihood={k: split(v) for k, v in loglik.items()} or None,
            observed_data=observed or None,
            dims=target.dims,
        )
    seconds = {
        "compile": clock["compile"],
        PHASES.get(method, "training"): clock["total"] - clock["compile"],
        "log_likelihood": ll_clock["total"],
    }
    seconds["total"] = clock["total"] + ll_clock["total"]
    return FitResult(target.model, method, idata, seconds, settings, target.data, elbo, extra or {})
