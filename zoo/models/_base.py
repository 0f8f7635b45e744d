"""The family protocol: what every family model provides, so that ``fit``, evaluation,
calibration, comparison and reports treat them alike without knowing any family by name.

A model knows its DAG and exact parameter count, its NumPyro program, the pointwise
log-likelihood of items given posterior draws, how to sample new items from the posterior
predictive, and how to simulate data with known truth. Those methods are abstract: a
concrete family that lacks one fails when its class is created, not at its first fit.

Optional abilities are declared by inheriting their mixin, and code asks
``isinstance(model, Conjugate)`` rather than probing for attributes:

* :class:`Conjugate`: exact posterior draws (``method="exact"``, NUTS's starting mass
  matrix, exact learning curves);
* :class:`Classifier`: class probabilities and accuracy on labelled items;
* :class:`MapFits`: MAP fits of several training prefixes in one compiled run;
* :class:`PointEstimate`: a cheap point estimate of the posterior (EM, say);
* :class:`Trained`: fitted by optimising its own objective to one point (a network's
  weights: the VAE, flows, energy models, diffusion), not by sampling a posterior.

This module imports no JAX: the family modules are read by ``zoo list`` and ``zoo show``.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from graphs import DAG

from .._lazy import jax, jnp, numpyro
from ..data import Dataset
from ..errors import ZooError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from . import FamilySpec

Draws = Mapping[str, Any]  # site name -> array with a leading draw axis


def _check_complete(cls: type, abstract: bool) -> None:
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing and not abstract:
        raise TypeError(
            f"family class {cls.__name__} does not implement {', '.join(missing)}; "
            "implement them, or declare it a base with `class "
            f"{cls.__name__}(..., abstract=True)`"
        )


class Family(abc.ABC):
    """Base class of the zoo's family models.

    Subclasses implement every abstract method, or say ``abstract=True`` in their class
    statement (a shared engine such as the tabular one).
    """

    #: the registry entry; set by :func:`zoo.models.register` on the class it builds
    spec: FamilySpec | None = None
    family: str = ""
    #: the methods ``fit`` accepts for this family; ``default_method`` is one of them,
    #: shown in reports with ``method_reason``
    methods: tuple[str, ...] = ("nuts", "svi", "exact")
    default_method: str = "nuts"
    method_reason: str = ""
    #: the SVI guide used when the caller names none
    default_guide: str = "normal"
    #: True when some parameters are identified only up to relabelling (mixtures, hidden
    #: units): convergence is then judged on :meth:`invariants` and :meth:`calibration_sites`
    invariant_only: bool = False

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # ABCMeta fills __abstractmethods__ after this hook runs; compute it the same way
        names = {n for n, v in vars(cls).items() if getattr(v, "__isabstractmethod__", False)}
        for base in cls.__mro__[1:]:
            for n in getattr(base, "__abstractmethods__", ()):
                if getattr(getattr(cls, n, None), "__isabstractmethod__", False):
                    names.add(n)
        cls.__abstractmethods__ = frozenset(names)
        _check_complete(cls, abstract)

    def __init__(self, dag: DAG) -> None:
        self.dag = dag

    # -- structure ------------------------------------------------------------------------
    @property
    def observed(self) -> tuple[str, ...]:
        """The observed variables, in DAG order (the data's columns)."""
        return tuple(n for n in self.dag.nodes if self.dag.role(n) == "observed")

    @abc.abstractmethod
    def param_count(self) -> int:
        """Free parameters, exactly (the traced program must hold this many numbers)."""

    @abc.abstractmethod
    def param_sites(self) -> frozenset[str]:
        """Names of the global parameter sites (what goes into the posterior group)."""

    def auxiliary_sites(self) -> frozenset[str]:
        """Fitted sites kept with the posterior that are not the model's parameters (an
        amortised encoder, say): saved and passed back in ``draws``, never counted."""
        return frozenset()

    # -- data -----------------------------------------------------------------------------
    def check_data(self, data: Dataset) -> None:
        """Raise ``ValueError`` when ``data`` does not fit this model's variables."""
        want = self.observed
        if data.n_vars != len(want):
            raise ZooError(
                f"{self.family}: the data have {data.n_vars} columns but the model has "
                f"{len(want)} observed variables"
            )
        if tuple(data.names) != want:
            diff = next((a, b) for a, b in zip(data.names, want, strict=True) if a != b)
            raise ZooError(
                f"{self.family}: data column {diff[0]!r} does not match model variable {diff[1]!r}"
            )
        for name, card in zip(data.names, data.cards, strict=True):
            if card != self.dag.card(name):
                raise ZooError(
                    f"{self.family}: variable {name!r} has {card} states in the data but "
                    f"{self.dag.card(name)} in the model"
                )

    def check_training(self, data: Dataset) -> None:  # noqa: B027 (optional hook)
        """Raise ``ValueError`` when ``data`` cannot train this model (beyond its shape)."""

    @abc.abstractmethod
    def program_kwargs(self, data: Dataset) -> dict:
        """Keyword arguments that condition the program on ``data``."""

    def sampler_kwargs(self, data: Dataset) -> tuple[dict, float]:
        """NUTS's program arguments and the constant they drop from the log density (which
        is added back to the reported one); by default :meth:`program_kwargs` and 0."""
        return self.program_kwargs(data), 0.0

    def reference_draws(self, data: Dataset, n: int = 256, seed: int = 0) -> dict | None:
        """Posterior draws known without sampling, from which NUTS takes its starting mass
        matrix; ``None`` when the family has none."""
        return None

    def program_key(self) -> Any:
        """A hashable naming the program with everything it depends on beyond its
        arguments' shapes: fits with equal keys share one compiled NUTS. ``None`` (the
        default): only fits of this very model share it."""
        return None

    def minibatch_kwargs(self, kwargs: dict, batch_size: int) -> dict:
        """Program arguments for minibatch SVI (families with a per-item likelihood)."""
        raise ZooError(
            f"{self.family} computes its likelihood from counts (O(parameters) per step); "
            "minibatching does not apply"
        )

    def guide_options(self, data: Dataset, seed: int = 0) -> dict:
        """Keyword arguments for the SVI autoguide (e.g. an initialisation from ``data``)."""
        return {}

    def shared_guide_options(self, data: Dataset) -> dict:
        """Guide options for a guide reused across data sets (SBC replications): none that
        depend on one data set's values. By default :meth:`guide_options`."""
        return self.guide_options(data)

    # -- the program and what follows from draws --------------------------------------------
    @abc.abstractmethod
    def program(self, *args: Any, **kwargs: Any) -> None:
        """The NumPyro program, conditioned by :meth:`program_kwargs`."""

    @abc.abstractmethod
    def program_items(self, values: Any = None, n_items: int = 1) -> None:
        """The loop form of the program, one site per variable (given ``values``, items x
        variables, or drawing ``n_items``): what the graph is read from, so it must have the
        same density as :meth:`program` and no vectorised shortcut."""

    @abc.abstractmethod
    def log_likelihood(self, draws: Draws, data: Dataset) -> Any:
        """``(draws, items)`` log-likelihood of what the program observes for each item."""

    def log_px(self, draws: Draws, data: Dataset) -> Any:
        """``(draws, items)`` log p(x) of each item: the held-out score's ingredient."""
        return self.log_likelihood(draws, data)

    @abc.abstractmethod
    def sample(self, draws: Draws, key: Any, n: int) -> np.ndarray:
        """``n`` items from the posterior predictive (each from a random posterior draw)."""

    @abc.abstractmethod
    def simulate(self, key: Any, n: int) -> tuple[Dataset, dict]:
        """``n`` items from parameters drawn from the prior; returns (data, true parameters)."""

    def simulate_prior(self, key: Any, n: int) -> tuple[Dataset, dict]:
        """Like :meth:`simulate`, with the truth drawn from the *fitting* prior itself (what
        simulation-based calibration needs); by default :meth:`simulate`."""
        return self.simulate(key, n)

    def invariants(self, draws: Draws, data: Dataset) -> dict[str, Any]:
        """Permutation-invariant scalars per draw for convergence checks."""
        return {"log_lik": self.log_likelihood(draws, data).sum(axis=1)}

    def calibration_sites(self) -> list[str] | None:
        """Sites whose every element is identified (unchanged by the family's relabellings),
        ranked by SBC; ``None`` when every site is."""
        return [] if self.invariant_only else None

    def family_figures(self, draws: Draws, data: Dataset, seed: int = 0) -> dict[str, Figure]:
        """The family's own figures of fitted ``draws``, by file name (``zoo fit --out``
        saves them beside the common ones); ``data`` are held-out items. None by default."""
        return {}

    def calibration_extras(self, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Further identified ``(draws, k)`` quantities for SBC, from site values with a
        leading draw axis (e.g. a mixture's sorted weights); none by default."""
        return {}


class Conjugate(abc.ABC):
    """Ability: the posterior is known in closed form."""

    @abc.abstractmethod
    def exact_draws(self, data: Dataset, key: Any, n: int) -> dict:
        """``n`` exact posterior draws given ``data``."""


class Classifier(abc.ABC):
    """Ability: the model has a label and classifies items by Bayes' rule."""

    @abc.abstractmethod
    def predict_proba(self, draws: Draws, data: Dataset, plugin: bool = False) -> np.ndarray:
        """``(items, K)`` class probabilities."""

    @abc.abstractmethod
    def accuracy(self, draws: Draws, data: Dataset) -> float:
        """Share of labelled items classified right."""


class MapFits(abc.ABC):
    """Ability: the MAP of the SVI objective for several training prefixes at once."""

    @abc.abstractmethod
    def map_fits(
        self,
        data: Dataset,
        sizes: Sequence[int],
        *,
        steps: int,
        learning_rate: float = 0.01,
        seed: int = 0,
        return_losses: bool = False,
    ) -> Any:
        """Stacked MAP parameters, one row per prefix size (and the losses if asked)."""


class PointEstimate(abc.ABC):
    """Ability: a cheap point estimate of the posterior (EM, say), as one-draw draws."""

    @abc.abstractmethod
    def point_estimate(self, data: Dataset, *, seed: int | None = None) -> dict:
        """Draws of the estimate with a leading axis of one."""


@cache
def items_distribution() -> type:
    """The base of a family's items distribution, made on first use (it subclasses NumPyro's
    ``Distribution``, which must not load with the module): items of ``model.n`` variables
    under one draw ``params`` of the model's weights. A subclass sets ``support`` and
    implements ``log_px(flat)`` (items, n) -> (items,) and ``draw(key, m)`` -> (m, n)."""
    from numpyro.distributions import Distribution

    class Items(Distribution):
        pytree_data_fields = ("params",)
        pytree_aux_fields = ("model",)

        def __init__(self, model: Any, params: Any, batch_shape: tuple = ()) -> None:
            self.model, self.params = model, params
            super().__init__(batch_shape=batch_shape, event_shape=(model.n,))

        def log_prob(self, value: Any) -> Any:
            flat = value.reshape(-1, self.model.n)
            return self.log_px(flat).reshape(value.shape[:-1])

        def sample(self, key: Any, sample_shape: tuple = ()) -> Any:
            shape = tuple(sample_shape) + self.batch_shape
            return self.draw(key, math.prod(shape)).reshape(*shape, self.model.n)

    return Items


class ItemPlate(abc.ABC):
    """Ability: a program of global sites, then its items in one ``items`` plate, observed
    or drawn, that minibatch SVI subsamples. List it before :class:`Family` in the bases."""

    #: with neither ``x`` nor ``n_items`` the program is the global sites alone (a prior)
    priors_alone = False

    def program(
        self,
        x: jnp.ndarray | None = None,
        n_items: int | None = None,
        subsample_size: int | None = None,
    ) -> None:
        """The global sites, then each item: ``x`` (items, n) observes them, or ``n_items``
        are drawn. ``subsample_size`` draws that many items per call (minibatch SVI; the
        plate scales their likelihood up)."""
        params = self.global_sites()
        if x is None and n_items is None and self.priors_alone:
            return
        with numpyro.plate("items", item_count(x, n_items), subsample_size=subsample_size) as idx:
            batch = None if x is None else (x if subsample_size is None else x[idx])
            self.item_sites(params, batch, len(idx))

    def minibatch_kwargs(self, kwargs: dict, batch_size: int) -> dict:
        """The same data, with the items plate drawing ``batch_size`` of them per step."""
        items = int(kwargs["x"].shape[0])
        return {**kwargs, "subsample_size": min(int(batch_size), items)}

    @abc.abstractmethod
    def global_sites(self) -> Any:
        """Sample the sites shared by all items; returns what :meth:`item_sites` reads."""

    @abc.abstractmethod
    def item_sites(self, params: Any, x: jnp.ndarray | None, size: int) -> None:
        """The sites of ``size`` items inside the plate, observing ``x`` when given."""


class Trained(abc.ABC):
    """Ability: fitted by optimising the family's own objective to one point (network
    weights), for the methods in ``methods``; ``fit`` calls :meth:`train` and keeps the
    point as a posterior of one draw (NUTS over ten thousand weights would teach nothing).

    The card adds what the family measures of its fit (:meth:`fit_diagnostics`) and of its
    held-out score (:meth:`heldout_details`).
    """

    #: the name its settings and reports give the objective's trace (higher is better)
    objective: str = "elbo"
    #: the optimiser's step size when the caller names none
    learning_rate: float = 0.01

    @abc.abstractmethod
    def train(
        self,
        data: Dataset,
        key: Any,
        *,
        steps: int,
        learning_rate: float,
        batch_size: int | None = None,
        progress: Any = None,
    ) -> tuple[dict[str, Any], np.ndarray]:
        """The fitted point (site -> array, the :meth:`Family.param_sites` and any
        :meth:`Family.auxiliary_sites`) and the objective at each step. ``progress(done,
        total)``, when given, is called as the steps go."""

    def fit_diagnostics(self, draws: Draws, data: Dataset) -> dict[str, Any]:
        """What the family checks of a fitted point: name -> a value, or -> ``(value,
        threshold, passed)`` for a check the card passes or fails."""
        return {}

    def heldout_details(self, draws: Draws, test: Dataset) -> dict[str, Any]:
        """Held-out numbers beyond nats per item (a bound's convergence, an interval)."""
        return {}


#: the name the rest of the zoo has always used
Model = Family


def item_count(x: Any, n_items: int | None) -> int:
    """Items a program runs over: the data's rows, or ``n_items`` when it draws them."""
    if x is not None:
        return int(x.shape[0])
    if n_items is not None:
        return int(n_items)
    raise ZooError("program needs the data x or a number of items n_items")


def chunked(fn: Callable[[Draws], Any], draws: Draws, size: int = 64) -> jax.Array:
    """Apply ``fn`` to draws in chunks along the leading axis, bounding memory."""
    n = len(next(iter(draws.values())))
    parts = [fn({k: v[i : i + size] for k, v in draws.items()}) for i in range(0, n, size)]
    return jnp.concatenate(parts, axis=0)


def pick_draws(draws: Draws, key: Any, n: int) -> dict:
    """``n`` draws picked at random (with replacement) from the posterior."""
    total = len(next(iter(draws.values())))
    idx = jax.random.randint(key, (n,), 0, total)
    return {k: jnp.asarray(v)[idx] for k, v in draws.items()}


def as_numpy(a: Any) -> np.ndarray:
    return np.asarray(jax.device_get(a))
