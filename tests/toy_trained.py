"""A trained family defined outside the zoo, in one file: a logit per pixel, fitted to its
MAP by the family's own Adam loop rather than sampled.

    p(x) = prod_i Bernoulli(x_i | sigmoid(l_i)),   l_i ~ Normal(0, 3)

``test_trained_family.py`` registers it and checks the driver, the card, ``zoo compare``
and saving take a :class:`zoo.models.Trained` family with no other file edited; the MAP
has a closed-form check (Newton's method on each pixel's stationarity condition).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import optax

import graphs
from zoo.data import Dataset
from zoo.models import Family, FamilySpec, Row, Trained

SCALE = 3.0


class Logits(Family, Trained):
    methods = ("map",)
    default_method = "map"
    method_reason = "a point is all it needs: Adam on the log joint"
    objective = "log_joint"
    learning_rate = 0.5

    def param_count(self) -> int:
        return len(self.observed)

    def param_sites(self) -> frozenset[str]:
        return frozenset({"logit"})

    def program_kwargs(self, data: Dataset) -> dict:
        return {"x": jnp.asarray(data.x, jnp.float32)}

    def program(self, x=None) -> None:
        logit = numpyro.sample("logit", dist.Normal(0.0, SCALE).expand([self.param_count()]))
        with numpyro.plate("items", x.shape[0]):
            numpyro.sample("x", dist.Bernoulli(logits=logit).to_event(1), obs=x)

    def program_items(self, values=None, n_items: int = 1) -> None:
        logit = numpyro.sample("logit", dist.Normal(0.0, SCALE).expand([self.param_count()]))
        n = n_items if values is None else values.shape[0]
        with numpyro.plate("items", n):
            for i, node in enumerate(self.observed):
                obs = None if values is None else values[:, i]
                numpyro.sample(node, dist.Bernoulli(logits=logit[i]), obs=obs)

    def train(self, data, key, *, steps, learning_rate, batch_size=None, progress=None):
        x = jnp.asarray(data.x, jnp.float32)
        opt = optax.adam(learning_rate)

        def log_joint(logit):
            prior = dist.Normal(0.0, SCALE).log_prob(logit).sum()
            return prior + dist.Bernoulli(logits=logit).log_prob(x).sum()

        def step(state, _):
            logit, opt_state = state
            value, grad = jax.value_and_grad(lambda v: -log_joint(v))(logit)
            updates, opt_state = opt.update(grad, opt_state)
            return (optax.apply_updates(logit, updates), opt_state), -value

        # not at 0 exactly: numpyro's Bernoulli takes a zero subgradient of |logit| there
        start = jax.random.uniform(key, (self.param_count(),), minval=-0.1, maxval=0.1)
        (logit, _), trace = jax.lax.scan(step, (start, opt.init(start)), None, length=steps)
        if progress is not None:
            progress(steps, steps)
        return {"logit": logit}, np.asarray(trace)

    def fit_diagnostics(self, draws, data) -> dict[str, Any]:
        largest = float(jnp.max(jnp.abs(draws["logit"])))
        return {"largest_logit": largest, "logits_bounded": (largest, 10.0, largest < 10.0)}

    def heldout_details(self, draws, test) -> dict[str, Any]:
        return {"pixels": test.n_vars}

    def log_likelihood(self, draws, data: Dataset):
        logit = jnp.asarray(draws["logit"])[:, None, :]
        x = jnp.asarray(data.x, jnp.float32)[None]
        return dist.Bernoulli(logits=logit).log_prob(x).sum(-1)

    def sample(self, draws, key, n: int) -> np.ndarray:
        idx = jax.random.randint(key, (n,), 0, len(draws["logit"]))
        p = jax.nn.sigmoid(jnp.asarray(draws["logit"])[idx])
        u = jax.random.uniform(jax.random.fold_in(key, 1), p.shape)
        return np.asarray(u < p, dtype=np.int32)

    def simulate(self, key, n: int) -> tuple[Dataset, dict]:
        logit = SCALE * jax.random.normal(key, (self.param_count(),))
        x = self.sample({"logit": logit[None]}, jax.random.fold_in(key, 2), n)
        names = self.observed
        return Dataset(x, names, (2,) * len(names), source="simulated logits"), {"logit": logit}


def exact_map(x: np.ndarray) -> np.ndarray:
    """Each pixel's MAP logit: the root of ones - N sigmoid(l) - l / SCALE^2 (Newton)."""
    ones, total = x.sum(axis=0).astype(float), float(len(x))
    logit = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-logit))
        grad = ones - total * p - logit / SCALE**2
        logit += grad / (total * p * (1 - p) + 1 / SCALE**2)
    return logit


SPEC = FamilySpec(
    "toy-trained",
    "A logit per pixel, trained to its MAP",
    "p(x) = prod_i p(x_i)",
    "n",
    lambda n=64, **_: graphs.independent(n),
    ("n",),
    model=Logits,
    count=lambda dag, **_: len(dag),
    rows=(Row("toy-trained", steps={"quick": 300, "default": 1000}),),
    order=6,
)
