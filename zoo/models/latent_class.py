"""Latent class model: a mixture of K products of Bernoullis, the class ``z`` hidden.

    p(x) = sum_z p(z) prod_i p(x_i | z)
    pi ~ Dirichlet(alpha),   theta[k, i] = p(x_i = 1 | z = k) ~ Beta(alpha, alpha)

``(K - 1) + K n`` free parameters. The class ``z`` is never sampled: the program sums it out
with a logsumexp per item, ``log p(x_n) = logsumexp_k [log pi_k + x_n . logit(theta_k) +
sum_i log(1 - theta_ki)]``, one ``(items x n) @ (n x K)`` product. NUTS needs a continuous
density, and the sum is cheaper than NumPyro's enumeration of ``z``.

The K! relabellings of the components give the same density, so the posterior has K! copies
of every mode (and a mixture also has genuinely different local optima). A chain stays in
one copy; two chains land in different ones, which makes per-component R-hat meaningless.
Convergence is therefore reported on permutation-invariant quantities: the total training
log-likelihood per draw and the entropy of ``pi``. SVI, started from a MAP-EM solution
(:func:`em`), is the default.

Every Bernoulli probability is floored at ``FLOOR = 1e-6`` (and capped at ``1 - FLOOR``) in
the likelihood, in EM and in scoring alike. With the flat prior (``alpha = 1``) the MAP puts
a pixel that a component never turns on at ``theta = 0``; unfloored, a MAP guide keeps pushing
such logits down, for ~3e-5 nats per training item while the held-out score of digits slid
from 18.57 to 18.76 nats in 3,000 Adam steps. A posterior draw rarely falls below the floor
(with probability about 1e-6 times the items in its component).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np

import graphs
from graphs import DAG

from .._lazy import dist, jax, jit, jnp, numpyro
from ..data import Dataset, finite_card
from ..errors import ZooError
from ._base import Draws, Family, ItemPlate, PointEstimate, as_numpy, chunked, pick_draws
from ._em import FLOOR, EMResult, em
from ._em import mixture_log_lik as mixture_log_lik  # re-exported: tests and benchmarks use it
from ._spec import FamilySpec, binary_only


class LatentClass(ItemPlate, Family, PointEstimate):
    """Mixture of Bernoulli products with ``K = card(z)`` components over binary ``x``."""

    family = "latent-class"
    default_method = "svi"
    method_reason = (
        "a mixture has K! label-switched copies of every mode and NUTS chains land in "
        "different ones; SVI started from an EM solution is the default. NUTS still runs, "
        "with R-hat and ESS reported on permutation-invariant quantities"
    )
    invariant_only = True
    #: the SVI guide this family recommends (``fit`` uses ``"normal"`` unless told): the MAP
    #: from EM keeps EM's training fit and passes the ELBO check; the mean-field guide scores
    #: better held out but its ELBO converges slowly and its k-hat is far above 0.7
    default_guide = "map"
    #: seed and restarts of the EM run that initialises SVI (EM is deterministic given them)
    em_seed = 0
    em_restarts = 3

    def __init__(self, dag: DAG, alpha: float = 1.0) -> None:
        super().__init__(dag)
        if dag.with_role("latent") != ("z",):
            raise ZooError(
                f"latent-class needs exactly one latent node 'z', got {dag.with_role('latent')}"
            )
        if dag.with_role("label"):
            raise ZooError("latent-class has no label variable")
        for v in self.observed:
            if dag.card(v) != 2:
                raise ZooError(
                    f"latent-class models binary variables; {v!r} has card {dag.card(v)}"
                )
            if dag.parents(v) != ("z",):
                raise ZooError(
                    f"every observed variable has parent 'z' only; {v!r} has {dag.parents(v)}"
                )
        if dag.parents("z"):
            raise ZooError("the latent class 'z' is a root node")
        if not alpha > 0:
            raise ZooError(f"alpha (the Dirichlet/Beta concentration) must be > 0, got {alpha}")
        self.alpha = float(alpha)
        self.K = finite_card(dag, "z")
        self.n = len(self.observed)
        self._em_cache: dict[str, EMResult] = {}

    def param_count(self) -> int:
        return graphs.param_count(self.dag)

    def param_sites(self) -> frozenset[str]:
        return frozenset({"pi", "theta"})

    # -- data ---------------------------------------------------------------------------------
    def check_training(self, data: Dataset) -> None:
        if self.K > data.n_items:
            raise ZooError(
                f"latent-class: K = {self.K} classes is more than the {data.n_items} items; "
                "some classes could hold no item at all (use --classes <= items)"
            )

    def values(self, data: Dataset) -> np.ndarray:
        """``(items, n)`` 0/1 matrix of ``data`` after checking it fits the model."""
        self.check_data(data)
        return data.x

    def program_kwargs(self, data: Dataset) -> dict:
        """``{"x": (items, n) float32}``; remembers ``data`` so SVI can start from EM on it."""
        x = self.values(data)
        return {"x": jnp.asarray(x, dtype=jnp.float32)}

    def minibatch_kwargs(self, kwargs: dict, batch_size: int) -> dict:
        n_items = kwargs["x"].shape[0]
        return {**kwargs, "subsample_size": batch_size if batch_size < n_items else None}

    def guide_options(self, data: Dataset, seed: int = 0) -> dict:
        """Start the guide at the MAP-EM solution for ``data``."""
        from numpyro.infer import init_to_value

        sol = self.em_solution(data)
        values = {"pi": jnp.asarray(sol.pi), "theta": jnp.asarray(sol.theta)}
        return {"init_loc_fn": init_to_value(values=values)}

    def shared_guide_options(self, data: Dataset) -> dict:
        """None: an EM start fits one data set, and a shared guide serves many (it starts
        from the prior median like the other families)."""
        return {}

    def point_estimate(self, data: Dataset, *, seed: int | None = None) -> dict:
        """The MAP-EM solution as one draw (``seed`` None: the model's EM seed, cached)."""
        if seed is None:
            sol = self.em_solution(data)
        else:
            sol = em(data, self.K, seed=seed, alpha=self.alpha, restarts=self.em_restarts)
        return {"pi": jnp.asarray(sol.pi)[None], "theta": jnp.asarray(sol.theta)[None]}

    def em_solution(self, data: Dataset) -> EMResult:
        """:func:`em` on ``data`` with this model's K, alpha and EM seed, cached by content."""
        x = self.values(data)
        h = hashlib.sha1(np.ascontiguousarray(x).tobytes())
        h.update(repr((x.shape, self.K, self.alpha, self.em_seed, self.em_restarts)).encode())
        key = h.hexdigest()
        if key not in self._em_cache:
            if len(self._em_cache) >= 4:  # a few datasets (train, bootstrap...) suffice
                self._em_cache.pop(next(iter(self._em_cache)))
            self._em_cache[key] = em(
                x, self.K, seed=self.em_seed, alpha=self.alpha, restarts=self.em_restarts
            )
        return self._em_cache[key]

    # -- the program --------------------------------------------------------------------------
    priors_alone = True

    def global_sites(self) -> tuple[jnp.ndarray, jnp.ndarray]:
        """The mixing weights and each class's pixel probabilities, from their priors."""
        pi = numpyro.sample("pi", dist.Dirichlet(jnp.full(self.K, self.alpha)))
        theta = numpyro.sample(
            "theta", dist.Beta(self.alpha, self.alpha).expand([self.K, self.n]).to_event(2)
        )
        return pi, theta

    def item_sites(self, params: Any, x: jnp.ndarray | None, size: int) -> None:
        """Per item ``log p(x_n)`` with ``z`` summed out; without ``x``, ``z`` and ``x`` are
        drawn (prior predictive)."""
        pi, theta = params
        if x is None:
            z = numpyro.sample("z", dist.Categorical(pi))
            numpyro.sample("x", dist.Bernoulli(theta[z]).to_event(1))
        else:
            numpyro.factor("loglik", _mixture_ll(x, pi, theta))

    def program_items(self, values: jnp.ndarray | None = None, n_items: int = 1) -> None:
        """The loop form, for reading the graph out of the code: ``z`` sampled per item and
        one site per variable, ``x_i ~ Bernoulli(theta[z, i])``. Same density as
        :meth:`program` once ``z`` is summed out (a test checks it); NUTS cannot run it."""
        pi = numpyro.sample("pi", dist.Dirichlet(jnp.full(self.K, self.alpha)))
        theta = numpyro.sample(
            "theta", dist.Beta(self.alpha, self.alpha).expand([self.K, self.n]).to_event(2)
        )
        n = n_items if values is None else values.shape[0]
        with numpyro.plate("items", n):
            z = numpyro.sample("z", dist.Categorical(pi))
            for i, node in enumerate(self.observed):
                obs = None if values is None else values[:, i]
                numpyro.sample(node, dist.Bernoulli(theta[z, i]), obs=obs)

    # -- from draws ---------------------------------------------------------------------------
    def log_likelihood(self, draws: Draws, data: Dataset) -> jnp.ndarray:
        x = jnp.asarray(self.values(data), dtype=jnp.float32)
        params = {k: draws[k] for k in ("pi", "theta")}
        return chunked(partial(_draws_ll, x), params, _chunk(x.shape[0], self.K))

    def invariants(self, draws: Draws, data: Dataset) -> dict[str, jnp.ndarray]:
        """Per draw: total training log-likelihood and the entropy of ``pi`` (both unchanged
        by relabelling the components)."""
        pi = jnp.clip(jnp.asarray(draws["pi"]), 1e-30)
        return {
            "log_lik": self.log_likelihood(draws, data).sum(axis=1),
            "pi_entropy": -jnp.sum(pi * jnp.log(pi), axis=-1),
        }

    def responsibilities(self, draws: Draws, data: Dataset) -> np.ndarray:
        """``(items, K)`` p(z | x), averaged over draws (meaningful within one mode only)."""
        x = jnp.asarray(self.values(data), dtype=jnp.float32)
        params = {k: draws[k] for k in ("pi", "theta")}
        out = chunked(partial(_draws_resp, x), params, _chunk(x.shape[0], self.K))
        return as_numpy(out.mean(axis=0))

    def sample(self, draws: Draws, key: jax.Array, n: int) -> np.ndarray:
        """``n`` items, each from its own random draw: ``z ~ pi``, then ``x_i ~ theta[z, i]``."""
        picked = pick_draws(draws, key, n)
        kz, kx = jax.random.split(jax.random.fold_in(key, 1))
        z = jax.random.categorical(kz, jnp.log(jnp.clip(picked["pi"], 1e-30)))
        return _bernoulli(kx, picked["theta"][jnp.arange(n), z])

    def calibration_extras(self, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The sorted mixture weights: the components can swap labels, their sorted
        weights cannot."""
        pi = np.sort(np.asarray(values["pi"]), axis=1)
        return {f"pi_sorted[{k}]": pi[:, k] for k in range(pi.shape[1])}

    # -- known answers ------------------------------------------------------------------------
    def simulate_prior(self, key: Any, n: int) -> tuple[Dataset, dict]:
        """``LatentClass.simulate`` draws ``theta`` from a U-shaped Beta(0.5, 0.5) by
        default (realistic clusters), which is not its prior; this draws from the prior."""
        return self.simulate(key, n, theta_conc=self.alpha, pi_conc=self.alpha)

    def simulate(
        self, key: jax.Array, n: int, *, theta_conc: float = 0.5, pi_conc: float | None = None
    ) -> tuple[Dataset, dict]:
        """``n`` items from ``pi ~ Dirichlet(pi_conc)``, ``theta ~ Beta(theta_conc, theta_conc)``.

        The default ``theta_conc = 0.5`` (U-shaped, pixels mostly near 0 or 1) gives clusters
        that are distinct, like real binary data, rather than the flat Beta(1, 1) of the
        fitting prior; ``pi_conc`` defaults to the model's alpha. Truth: ``pi``, ``theta``.
        """
        pi_conc = self.alpha if pi_conc is None else float(pi_conc)
        k_pi, k_theta, k_x = jax.random.split(key, 3)
        pi = jax.random.dirichlet(k_pi, jnp.full(self.K, pi_conc))
        theta = jax.random.beta(k_theta, theta_conc, theta_conc, (self.K, self.n))
        kz, kx = jax.random.split(k_x)
        z = jax.random.categorical(kz, jnp.log(jnp.clip(pi, 1e-30)), shape=(n,))
        x = _bernoulli(kx, theta[z])
        data = Dataset(
            x,
            self.observed,
            (2,) * self.n,
            shape=_image_shape(self.dag, self.observed),
            source=f"simulated {self.family}",
        )
        return data, {"pi": as_numpy(pi), "theta": as_numpy(theta)}


def _bernoulli(key: jax.Array, p: jax.Array) -> np.ndarray:
    """0/1 int32 draws with the likelihood's floor and cap on ``p``."""
    p = jnp.clip(p, FLOOR, 1.0 - FLOOR)
    return as_numpy(jax.random.bernoulli(key, p).astype(jnp.int32))


def _chunk(n_items: int, k: int) -> int:
    """Draws per chunk so that a chunk's ``(draws, items, K)`` array stays near 80 MB."""
    return max(1, min(1024, 20_000_000 // (n_items * k)))


def _image_shape(dag: DAG, names: Sequence[str]) -> tuple[int, int] | None:
    """The image shape of the observed pixels when they carry positions."""
    pos = [p for v in names if (p := dag.variable(v).pos) is not None]
    if len(pos) < len(names):  # some pixel has no position
        return None
    rows, cols = max(p[0] for p in pos) + 1, max(p[1] for p in pos) + 1
    return (rows, cols) if rows * cols == len(names) else None


# -- the mixture log-likelihood in JAX ---------------------------------------------------------
def _joint(x: jax.Array, pi: jax.Array, theta: jax.Array) -> jax.Array:
    """``(..., items, K)`` log pi_k + log p(x_n | theta_k); x (items, n), theta (..., K, n)."""
    theta = jnp.clip(theta, FLOOR, 1.0 - FLOOR)
    log_t, log_1mt = jnp.log(theta), jnp.log1p(-theta)
    lin = jnp.einsum("ni,...ki->...nk", x, log_t - log_1mt)
    return jnp.log(jnp.clip(pi, 1e-30))[..., None, :] + lin + log_1mt.sum(-1)[..., None, :]


@jit  # one compiled kernel, also in NumPyro's eager initialisation
def _mixture_ll(x: jax.Array, pi: jax.Array, theta: jax.Array) -> jax.Array:
    """``(items,)`` log p(x_n) with z summed out."""
    return jax.nn.logsumexp(_joint(x, pi, theta), axis=-1)


@jit
def _draws_ll(x: jax.Array, draws: Draws) -> jax.Array:
    return _mixture_ll(x, draws["pi"], draws["theta"])


@jit
def _draws_resp(x: jax.Array, draws: Draws) -> jax.Array:
    return jax.nn.softmax(_joint(x, draws["pi"], draws["theta"]), axis=-1)


def build(dag: DAG, alpha: float = 1.0, **_: Any) -> LatentClass:
    """The latent class model over ``dag`` (K from ``card('z')``, n from the observed nodes)."""
    return LatentClass(dag, alpha=alpha)


def _dag(n: int = 64, classes: int = 10, **_: Any) -> DAG:
    return graphs.latent_class(n, components=classes)


SPEC = FamilySpec(
    "latent-class",
    "Latent class (mixture of Bernoulli products, z summed out)",
    "p(x) = sum_z p(z) prod_i p(x_i | z)",
    "(K - 1) + K n",
    _dag,
    ("n", "classes"),
    model=LatentClass,
    make=build,
    classes="setting",
    unsupported=binary_only,
    order=40,
    example={"n": 4, "classes": 3},
)
