"""A family defined outside the zoo, in one file: every pixel a flip of the same coin.

    p(x) = prod_i Bernoulli(x_i | p),   p ~ Beta(1, 1)

One free parameter whatever the width, and a conjugate posterior, Beta(1 + ones, 1 +
zeros). ``test_toy_family.py`` registers it and checks that the CLI, ``zoo compare`` and the
contract suite take it with no other file edited.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist

import graphs
from zoo.data import Dataset
from zoo.models import Conjugate, Family, FamilySpec


class Coin(Family, Conjugate):
    default_method = "nuts"
    method_reason = "one Beta parameter: NUTS is exact enough and quick"

    def param_count(self) -> int:
        return 1

    def param_sites(self) -> frozenset[str]:
        return frozenset({"p"})

    def program_kwargs(self, data: Dataset) -> dict:
        x = np.asarray(data.x)
        return {"ones": jnp.float32(x.sum()), "total": jnp.float32(x.size)}

    def program(self, ones=None, total=None) -> None:
        p = numpyro.sample("p", dist.Beta(1.0, 1.0))
        if ones is not None:
            numpyro.factor("loglik", ones * jnp.log(p) + (total - ones) * jnp.log1p(-p))

    def program_items(self, values=None, n_items: int = 1) -> None:
        p = numpyro.sample("p", dist.Beta(1.0, 1.0))
        n = n_items if values is None else values.shape[0]
        with numpyro.plate("items", n):
            for i, node in enumerate(self.observed):
                obs = None if values is None else values[:, i]
                numpyro.sample(node, dist.Bernoulli(p), obs=obs)

    def log_likelihood(self, draws, data: Dataset):
        p = jnp.asarray(draws["p"])[:, None]
        ones = jnp.asarray(np.asarray(data.x).sum(axis=1))[None, :]
        width = data.n_vars
        return ones * jnp.log(p) + (width - ones) * jnp.log1p(-p)

    def sample(self, draws, key, n: int) -> np.ndarray:
        idx = jax.random.randint(key, (n,), 0, len(draws["p"]))
        p = jnp.asarray(draws["p"])[idx][:, None]
        u = jax.random.uniform(jax.random.fold_in(key, 1), (n, len(self.observed)))
        return np.asarray(u < p, dtype=np.int32)

    def simulate(self, key, n: int) -> tuple[Dataset, dict]:
        p = jax.random.beta(key, 1.0, 1.0)
        truth = {"p": np.asarray(p)}
        x = self.sample({"p": jnp.asarray(p)[None]}, jax.random.fold_in(key, 2), n)
        names = self.observed
        return Dataset(x, names, (2,) * len(names), source="simulated coin"), truth

    def exact_draws(self, data: Dataset, key, n: int) -> dict:
        x = np.asarray(data.x)
        return {"p": jax.random.beta(key, 1.0 + x.sum(), 1.0 + x.size - x.sum(), (n,))}


def _dag(n: int = 64, **_: Any) -> graphs.DAG:
    return graphs.independent(n)


SPEC = FamilySpec(
    "coin",
    "One coin for every pixel",
    "p(x) = prod_i p(x_i), all with the same p",
    "1",
    _dag,
    ("n",),
    model=Coin,
    count=lambda dag, **_: 1,
    order=5,
)
