"""What every family model provides, so that ``fit``, evaluation and reports treat them alike.

A model knows its DAG and exact parameter count, its NumPyro program, the pointwise
log-likelihood of items given posterior draws, how to sample new items from the posterior
predictive, and how to simulate data with known truth.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from graphs import DAG

from ..data import Dataset

Draws = Mapping[str, jnp.ndarray]  # site name -> array with a leading draw axis


class Model:
    """Base class of the zoo's family models."""

    family: str = ""
    #: "nuts" or "svi", with the reason shown in reports
    default_method: str = "nuts"
    method_reason: str = ""
    #: the SVI guide used when the caller names none
    default_guide: str = "normal"
    #: quantities whose R-hat is meaningful (None: every parameter)
    invariant_only: bool = False

    def __init__(self, dag: DAG) -> None:
        self.dag = dag

    # -- structure ------------------------------------------------------------------------
    @property
    def observed(self) -> tuple[str, ...]:
        return tuple(n for n in self.dag.nodes if self.dag.role(n) == "observed")

    def param_count(self) -> int:
        raise NotImplementedError

    # -- data -----------------------------------------------------------------------------
    def check_data(self, data: Dataset) -> None:
        """Raise ``ValueError`` when ``data`` does not fit this model's variables."""
        want = self.observed
        if data.n_vars != len(want):
            raise ValueError(
                f"{self.family}: the data have {data.n_vars} columns but the model has "
                f"{len(want)} observed variables"
            )
        if tuple(data.names) != want:
            diff = next((a, b) for a, b in zip(data.names, want, strict=True) if a != b)
            raise ValueError(
                f"{self.family}: data column {diff[0]!r} does not match model variable {diff[1]!r}"
            )
        for name, card in zip(data.names, data.cards, strict=True):
            if card != self.dag.card(name):
                raise ValueError(
                    f"{self.family}: variable {name!r} has {card} states in the data but "
                    f"{self.dag.card(name)} in the model"
                )

    def check_training(self, data: Dataset) -> None:
        """Raise ``ValueError`` when ``data`` cannot train this model (beyond its shape)."""

    def program_kwargs(self, data: Dataset) -> dict:
        """Keyword arguments that condition the program on ``data``."""
        raise NotImplementedError

    def sampler_kwargs(self, data: Dataset) -> tuple[dict, float]:
        """NUTS's program arguments and the constant they drop from the log density (which
        is added back to the reported one); by default :meth:`program_kwargs` and 0."""
        return self.program_kwargs(data), 0.0

    def reference_draws(self, data: Dataset, n: int = 256, seed: int = 0) -> dict | None:
        """Posterior draws known without sampling (conjugate families), from which NUTS
        takes its starting mass matrix; ``None`` when the family has none."""
        return None

    def program_key(self):
        """A hashable naming the program with everything it depends on beyond its
        arguments' shapes: fits with equal keys share one compiled NUTS. ``None`` (the
        default): only fits of this very model share it."""
        return None

    def minibatch_kwargs(self, kwargs: dict, batch_size: int) -> dict:
        """Program arguments for minibatch SVI (families with a per-item likelihood)."""
        raise ValueError(
            f"{self.family} computes its likelihood from counts (O(parameters) per step); "
            "minibatching does not apply"
        )

    def param_sites(self) -> frozenset[str]:
        """Names of the global parameter sites (what goes into the posterior group)."""
        raise NotImplementedError

    def guide_options(self, data: Dataset, seed: int = 0) -> dict:
        """Keyword arguments for the SVI autoguide (e.g. an initialisation from ``data``)."""
        return {}

    # -- the program and what follows from draws --------------------------------------------
    def program(self, **kwargs) -> None:
        raise NotImplementedError

    def log_likelihood(self, draws: Draws, data: Dataset) -> jnp.ndarray:
        """``(draws, items)`` log-likelihood of what the program observes for each item."""
        raise NotImplementedError

    def log_px(self, draws: Draws, data: Dataset) -> jnp.ndarray:
        """``(draws, items)`` log p(x) of each item: the held-out score's ingredient."""
        return self.log_likelihood(draws, data)

    def sample(self, draws: Draws, key: jax.Array, n: int) -> np.ndarray:
        """``n`` items from the posterior predictive (each from a random posterior draw)."""
        raise NotImplementedError

    def simulate(self, key: jax.Array, n: int) -> tuple[Dataset, dict]:
        """``n`` items from parameters drawn from the prior; returns (data, true parameters)."""
        raise NotImplementedError

    def invariants(self, draws: Draws, data: Dataset) -> dict[str, jnp.ndarray]:
        """Permutation-invariant scalars per draw for convergence checks."""
        return {"log_lik": self.log_likelihood(draws, data).sum(axis=1)}


def chunked(fn, draws: Draws, size: int = 64):
    """Apply ``fn`` to draws in chunks along the leading axis, bounding memory."""
    n = len(next(iter(draws.values())))
    parts = [fn({k: v[i : i + size] for k, v in draws.items()}) for i in range(0, n, size)]
    return jnp.concatenate(parts, axis=0)


def pick_draws(draws: Draws, key: jax.Array, n: int) -> dict:
    """``n`` draws picked at random (with replacement) from the posterior."""
    total = len(next(iter(draws.values())))
    idx = jax.random.randint(key, (n,), 0, total)
    return {k: jnp.asarray(v)[idx] for k, v in draws.items()}


def as_numpy(a) -> np.ndarray:
    return np.asarray(jax.device_get(a))
