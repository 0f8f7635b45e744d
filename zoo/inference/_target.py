"""What the driver fits: a family model with its data, or a user's bound program, behind one
small protocol (:class:`Target`), so that NUTS, SVI and the InferenceData builder are
written once."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np

from ..data import Dataset
from ..errors import ZooError
from ..models._base import Model, as_numpy
from ._common import check_memory

if TYPE_CHECKING:
    from ..models import Conjugate
    from ..programs import BoundProgram


class Target(Protocol):
    """What the driver needs of what it fits (read-only, so a target may narrow the types)."""

    @property
    def name(self) -> str: ...  # shown in the progress line
    @property
    def model(self) -> Model | ProgramTarget: ...  # FitResult.model: its program, invariant_only
    @property
    def data(self) -> Dataset | None: ...  # what FitResult.data holds
    @property
    def program(self) -> Callable[..., Any]: ...
    @property
    def methods(self) -> tuple[str, ...]: ...
    @property
    def default_method(self) -> str: ...
    @property
    def default_guide(self) -> str: ...
    @property
    def batches(self) -> bool: ...  # takes batch_size (and its SVI settings record it)
    @property
    def dims(self) -> dict[str, list[str]] | None: ...  # ArviZ dims of the log-likelihood group

    def check(self, total_draws: int, pointwise: bool = True) -> None:
        """``ValueError`` for data the program cannot fit, or draws (and, with
        ``pointwise``, their per-item log-likelihoods) that would not fit in memory: before
        any compile."""

    def nuts_kwargs(self) -> tuple[dict, float]:
        """The program's arguments for NUTS and the constant they drop from the log density."""

    def cache_key(self) -> Hashable:
        """Names the program with all it closes over: equal keys share a compiled NUTS."""

    def reference_draws(self, seed: int) -> dict | None:
        """Posterior draws known without sampling (NUTS's starting mass matrix), or None."""

    def svi_kwargs(self) -> dict:
        """The program's arguments for SVI (all the data)."""

    def minibatch(self, kwargs: dict, batch_size: int) -> dict:
        """``kwargs`` with ``batch_size`` items drawn per SVI step (targets that ``batches``)."""

    def guide_options(self, seed: int) -> dict:
        """Keyword arguments for the autoguide (an initialisation, say)."""

    def posterior(self, flat: dict[str, Any], key: Any) -> dict[str, Any]:
        """The posterior group's sites, from ``(draws, ...)`` draws (``key`` for any site
        computed from them)."""

    def log_likelihood(self, flat: dict) -> dict:
        """Pointwise log-likelihood arrays, ``(draws, ...)``, by name."""

    def observed_data(self) -> dict:
        """The observed_data group."""


def check_exact(model: Model) -> Conjugate:
    """``model`` as a :class:`Conjugate`; ``ValueError`` unless it draws its posterior exactly
    (conjugate families)."""
    from ..models import Conjugate

    if not isinstance(model, Conjugate):
        raise ZooError(f"method 'exact' needs a conjugate family; {model.family!r} is not one")
    return model


class FamilyTarget:
    """A zoo family model with the data it is fitted to."""

    batches = True
    dims = {"obs": ["item"]}

    def __init__(self, model: Model, data: Dataset) -> None:
        self.model, self.data = model, data
        self.name = model.family
        self.methods = model.methods
        self.program = model.program
        self.default_method = model.default_method
        self.default_guide = getattr(model, "default_guide", "normal")

    def check(self, total_draws: int, pointwise: bool = True) -> None:
        self.model.check_data(self.data)
        self.model.check_training(self.data)
        items = self.data.n_items if pointwise else 0
        check_memory(self.model.param_count(), total_draws, items)

    def nuts_kwargs(self) -> tuple[dict, float]:
        return self.model.sampler_kwargs(self.data)

    def cache_key(self) -> Hashable:
        return self.model.program_key() or ("model", id(self.model))

    def reference_draws(self, seed: int) -> dict | None:
        return self.model.reference_draws(self.data, seed=seed)

    def svi_kwargs(self) -> dict:
        return self.model.program_kwargs(self.data)

    def minibatch(self, kwargs: dict, batch_size: int) -> dict:
        return self.model.minibatch_kwargs(kwargs, batch_size)

    def guide_options(self, seed: int) -> dict:
        return self.model.guide_options(self.data, seed)

    def exact_draws(self, key: Any, n: int) -> dict[str, np.ndarray]:
        model = check_exact(self.model)
        return {k: as_numpy(v) for k, v in model.exact_draws(self.data, key, n).items()}

    def posterior(self, flat: dict[str, Any], key: Any) -> dict[str, Any]:
        sites = self.model.param_sites() | self.model.auxiliary_sites()
        return {k: v for k, v in flat.items() if k in sites}

    def log_likelihood(self, flat: dict) -> dict:
        draws = {k: jnp.asarray(v) for k, v in flat.items()}
        return {"obs": as_numpy(self.model.log_likelihood(draws, self.data))}

    def observed_data(self) -> dict:
        observed = {"x": self.data.x}
        if self.data.y is not None:
            observed["y"] = self.data.y
        return observed


class ProgramTarget:
    """A user's program bound to its data (:func:`zoo.programs.bind`); also the
    ``FitResult.model`` of its fits, with what the diagnostics read of a model."""

    family = "program"
    methods = ("nuts", "svi")
    default_method = "nuts"
    default_guide = "normal"
    invariant_only = False
    batches = False
    dims = None
    data = None

    def __init__(self, bound: BoundProgram) -> None:
        self.bound = bound
        self.name = bound.name
        self.program = bound.fn
        self.model = self

    def check(self, total_draws: int, pointwise: bool = True) -> None:
        from ..programs import check_fittable

        check_fittable(self.bound)
        check_memory(self.bound.structure.params["total"], total_draws, 0)

    def nuts_kwargs(self) -> tuple[dict, float]:
        return self.bound.kwargs, 0.0

    def cache_key(self) -> Hashable:
        return ("program", self.bound.fn)

    def reference_draws(self, seed: int) -> None:
        return None

    def svi_kwargs(self) -> dict[str, Any]:
        return self.bound.kwargs

    def guide_options(self, seed: int) -> dict:
        return {}

    def minibatch(self, kwargs: dict, batch_size: int) -> dict:
        # fit refuses batch_size first (batches is False); here for the protocol's sake
        raise ZooError(f"batch_size applies to the zoo's families, not to {self.name}")

    def posterior(self, flat: dict[str, Any], key: Any) -> dict[str, Any]:
        """Latent and deterministic sites; deterministic ones the draws lack (a guide's)
        are computed from the latent draws."""
        from numpyro.infer import Predictive

        st = self.bound.structure
        flat = {k: v for k, v in flat.items() if k in st.sites}
        missing = [n for n in st.deterministic if n not in flat]
        if missing:
            key = jax.random.PRNGKey(0) if key is None else key
            pred = Predictive(self.bound.fn, posterior_samples=flat, return_sites=missing)
            flat.update({k: np.asarray(v) for k, v in pred(key, **self.bound.kwargs).items()})
        wanted = set(st.latent) | set(st.deterministic)
        return {k: v for k, v in flat.items() if k in wanted}

    def log_likelihood(self, flat: dict) -> dict:
        from numpyro.infer import log_likelihood

        latent = {k: v for k, v in flat.items() if k in self.bound.structure.latent}
        ll = log_likelihood(self.bound.fn, latent, **self.bound.kwargs)
        return {k: np.asarray(v) for k, v in ll.items() if k in self._observed_sites}

    @property
    def _observed_sites(self) -> list[str]:
        st = self.bound.structure
        return [n for n in st.observed if st.sites[n].kind != "factor"]

    def observed_data(self) -> dict:
        return dict(self._observed_values)

    @cached_property
    def _observed_values(self) -> dict[str, np.ndarray]:
        """The data at each observed site (one run of the program, compiled as a whole: op
        by op it compiles every primitive on its own, which costs more than the run)."""
        from numpyro import handlers
        from numpyro.infer.initialization import init_to_sample

        from ..nuts import _is_data

        bound, wanted = self.bound, self._observed_sites
        data = {k: v for k, v in bound.kwargs.items() if _is_data(v)}
        fixed = {k: v for k, v in bound.kwargs.items() if k not in data}

        def run(data: dict[str, Any]) -> dict[str, Any]:
            seeded = handlers.substitute(
                handlers.seed(bound.fn, jax.random.PRNGKey(0)), substitute_fn=init_to_sample
            )
            tr = handlers.trace(seeded).get_trace(**data, **fixed)
            return {n: tr[n]["value"] for n in wanted if n in tr}

        return {n: np.asarray(v) for n, v in jax.jit(run)(data).items()}


def as_target(target: Model | BoundProgram, data: Dataset | None) -> FamilyTarget | ProgramTarget:
    """The :class:`Target` for a family model and its data, or for a bound program."""
    from ..programs import BoundProgram

    if isinstance(target, BoundProgram):
        if data is not None:
            raise ZooError("a bound program carries its data: pass data=None")
        return ProgramTarget(target)
    if not hasattr(target, "program_kwargs"):
        raise TypeError(
            f"fit takes a zoo family model or a bound program (zoo.programs.bind), "
            f"got {type(target).__name__}"
        )
    if data is None:
        raise ZooError(f"fitting {target.family} needs data (a zoo.data.Dataset)")
    return FamilyTarget(target, data)
