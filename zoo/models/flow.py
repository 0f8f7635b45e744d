"""A normalizing flow over uniformly dequantised pixels: each binary pixel x_i becomes
y_i = x_i + u_i, u ~ U[0, 1)^n, and a flow gives y a density by pulling back a standard
normal through an invertible map:

    t = probit(y / 2),   z = f(t),   p(y) = N(z; 0, I) |det df/dt| |dt/dy|
    x_i = floor(y_i)

``f`` is FlowJAX's masked autoregressive flow (MAF, Papamakarios et al. 2017) with
rational-quadratic spline transformers (Durkan et al. 2019): every layer in the same pixel
order, so ``f`` is triangular and p(y) = prod_i p(y_i | y_<i), each conditional explicit.
The graph (``_dag``) says that: the dequantised y_i form a complete autoregressive DAG and
each pixel is its y_i's cell. Over the pixels it claims no independence at all.

Why FlowJAX: it is built on Equinox, the zoo's one network library, and its bijections
give the layer-by-layer maps the 2-D figures draw (:mod:`zoo.models._flow_toys`).

**The score is a bound.** P(x) = ∫_{[0,1)^n} p(x + u) du, and by Jensen
E_u[log p(x + u)] <= log P(x): the dequantised log density is a lower bound on the discrete
log-likelihood, so its negation sits in the held-out table beside exact nats (Theis et al.
2016). It is the ELBO of the guide q(y | x) = U[x, x + 1), whose log density is 0; so the
fit is NumPyro SVI: the model ``program`` (weights, then y ~ flow, then x = floor(y)) with
that guide and a point (delta) guide on the weights. The bound is tight only when p is
constant on each unit cell; a smooth flow spends mass on the in-between values and on
slopes across cell edges, which is why it loses to the discrete families.

Parameters: the live weights of the masked networks (FlowJAX masks by ``where``; masked
entries change nothing and are not counted), one flat ``weights`` site with a Normal prior,
fitted to a point.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy as np

import graphs
from graphs import DAG, Variable

from .._lazy import dist, jax, jnp, numpyro
from ..data import Dataset, square_shape
from ..errors import ZooError
from ..validate import positive_ints, positive_numbers
from ._base import Draws, Family, ItemPlate, Trained, as_numpy, pick_draws
from ._flow_net import Layout, build_chain, distributions, log_density_y, maf_count, unsqueeze
from ._spec import FamilySpec, Row, binary_only

#: dequantisation noise samples per item for the held-out bound (Monte Carlo over u)
MC_SAMPLES = 16
#: the spline acts on [-INTERVAL, INTERVAL] (the identity outside, where p is uniform)
INTERVAL = 4.0


class Flow(ItemPlate, Family, Trained):
    """A spline MAF over dequantised binary pixels, fitted by SVI to a point."""

    family = "flow"
    methods = ("svi",)
    default_method = "svi"
    default_guide = "dequantise"
    method_reason = (
        "maximum likelihood of the dequantised bound: SVI with the uniform dequantiser "
        "U[x, x + 1) as the guide of y and a point guide on the weights"
    )
    objective = "elbo"
    learning_rate = 0.005

    def __init__(
        self,
        dag: DAG,
        knots: int = 4,
        hidden: int = 64,
        layers: int = 1,
        prior_scale: float = 1.0,
        batch_size: int = 128,
        mc_samples: int = MC_SAMPLES,
    ) -> None:
        positive_ints(knots=knots, hidden=hidden, layers=layers, batch_size=batch_size)
        positive_ints(mc_samples=mc_samples)
        positive_numbers(prior_scale=prior_scale)
        super().__init__(dag)
        self.n = len(self.observed)
        if self.n < 2:
            raise ZooError(f"a flow needs at least 2 pixels, got {self.n}")
        self.knots, self.hidden, self.layers = int(knots), int(hidden), int(layers)
        self.prior_scale, self.batch_size = float(prior_scale), int(batch_size)
        self.mc_samples = int(mc_samples)
        self.layout = Layout(self._template(jax.random.PRNGKey(0)))
        self._bound = jax.jit(jax.vmap(self._bound_one, in_axes=(0, None, None)))
        self._sample_jit = jax.jit(self._sample_impl)

    def _template(self, key: Any) -> Any:
        return build_chain(key, self.n, self.knots, self.hidden, self.layers, INTERVAL, False)

    # -- structure ------------------------------------------------------------------------
    def param_count(self) -> int:
        return self.layout.size

    def param_sites(self) -> frozenset[str]:
        return frozenset({"weights"})

    # -- data -----------------------------------------------------------------------------
    def _x(self, data: Dataset) -> Any:
        self.check_data(data)
        return jnp.asarray(data.x, dtype=jnp.float32)

    def program_kwargs(self, data: Dataset) -> dict:
        return {"x": self._x(data)}

    # -- the program ----------------------------------------------------------------------
    def global_sites(self) -> Any:
        """The flow's weights, from their prior."""
        prior = dist.Normal(0.0, self.prior_scale).expand([self.layout.size]).to_event(1)
        return numpyro.sample("weights", prior)

    def item_sites(self, params: Any, x: jnp.ndarray | None, size: int) -> None:
        """Each item's dequantised y from the flow, and its pixels floor(y)."""
        dequantised, _, cell = distributions()
        y = numpyro.sample("y", dequantised(self, params, (size,)))
        numpyro.sample("x", cell(y).to_event(1), obs=x)

    def guide(self, x=None, n_items=None, subsample_size=None, init=None):
        """The weights at a point (from ``init``); y uniform on x's unit cell (log q = 0:
        the ELBO is the dequantised bound plus the log prior)."""
        init = jnp.zeros(self.layout.size) if init is None else init
        loc = numpyro.param("weights_loc", init)
        numpyro.sample("weights", dist.Delta(loc, event_dim=1))
        with numpyro.plate("items", x.shape[0], subsample_size=subsample_size) as idx:
            numpyro.sample("y", dist.Uniform(x[idx], x[idx] + 1.0).to_event(1))

    def program_items(self, values: Any = None, n_items: int = 1) -> None:
        """The loop form: y_i from its conditional given y_<i (the rest filled with 1, which
        a triangular map ignores), then pixel x_i = floor(y_i)."""
        _, conditional, cell = distributions()
        weights = self.global_sites()
        n = n_items if values is None else values.shape[0]
        names = [v for v in self.dag.nodes if self.dag.role(v) == "latent"]
        ys: list = []
        with numpyro.plate("items", n):
            for i, pixel in enumerate(self.observed):
                prev = jnp.stack(ys + [jnp.ones(n)] * (self.n - i), axis=1)
                y = numpyro.sample(names[i], conditional(self, weights, prev, i))
                ys.append(y)
                numpyro.sample(pixel, cell(y), obs=None if values is None else values[:, i])

    # -- training -------------------------------------------------------------------------
    def train(self, data, key, *, steps, learning_rate, batch_size=None, progress=None):
        import optax
        from numpyro.infer import SVI, Trace_ELBO

        x = self._x(data)
        batch = min(int(batch_size or self.batch_size), int(x.shape[0]))
        init = self.layout.vector(self._template(jax.random.fold_in(key, 0)))
        guide = partial(self.guide, init=init)
        svi = SVI(self.program, guide, optax.adam(learning_rate), Trace_ELBO())
        state = svi.init(jax.random.fold_in(key, 1), x=x, subsample_size=batch)
        chunks = 10 if steps % 10 == 0 and steps >= 10 else 1

        @jax.jit
        def run(state):
            def step(s, _):
                s, loss = svi.update(s, x=x, subsample_size=batch)
                return s, loss

            return jax.lax.scan(step, state, None, length=steps // chunks)

        losses = []
        for c in range(chunks):
            state, part = run(state)
            losses.append(np.asarray(part))
            if progress is not None:
                progress((c + 1) * (steps // chunks), steps)
        point = svi.get_params(state)["weights_loc"]
        return {"weights": point}, -np.concatenate(losses)

    def fit_diagnostics(self, draws: Draws, data: Dataset) -> dict[str, Any]:
        bound = -float(np.mean(as_numpy(self.log_likelihood(draws, data))))
        return {"train_nats_per_item": bound}

    def heldout_details(self, draws: Draws, test: Dataset) -> dict[str, Any]:
        per_sample = as_numpy(self._bound_samples(draws, test))[0]  # (samples, items)
        se = float(np.std(per_sample.mean(axis=1), ddof=1) / math.sqrt(len(per_sample)))
        return {
            "score": "dequantised bound E_u log p(x + u) <= log P(x)",
            "dequantisation_samples": self.mc_samples,
            "mc_se_nats": se,
        }

    # -- what follows from draws ----------------------------------------------------------
    def _bound_one(self, weights: Any, x: Any, u: Any) -> Any:
        """``(samples, items)`` log p(x + u) under one draw."""
        chain = self.layout.module(weights)
        one = jax.vmap(lambda y: log_density_y(chain, y))
        return jax.vmap(lambda uk: one(x + uk))(u)

    def _bound_samples(self, draws: Draws, data: Dataset) -> Any:
        x = self._x(data)
        # a fixed key: the same items get the same score on every call
        u = jax.random.uniform(jax.random.PRNGKey(0), (self.mc_samples, *x.shape))
        return self._bound(jnp.asarray(draws["weights"]), x, u)

    def log_likelihood(self, draws: Draws, data: Dataset) -> Any:
        """``(draws, items)``: the dequantised bound, averaged over ``mc_samples`` u's."""
        return jnp.mean(self._bound_samples(draws, data), axis=1)

    def _sample_impl(self, weights: Any, key: Any) -> Any:
        z = jax.random.normal(key, (len(weights), self.n))
        y = jax.vmap(lambda w, zi: unsqueeze(self.layout.module(w).inverse(zi)))(weights, z)
        return jnp.clip(jnp.floor(y), 0, 1)

    def sample(self, draws: Draws, key: Any, n: int) -> np.ndarray:
        """``n`` items: y from the flow, each pixel the floor of its y."""
        picked = pick_draws({"weights": draws["weights"]}, key, n)
        x = self._sample_jit(picked["weights"], jax.random.fold_in(key, 1))
        return as_numpy(x).astype(np.int32)

    def simulate(self, key: Any, n: int) -> tuple[Dataset, dict]:
        positive_ints(n=n)
        w = self.prior_scale * jax.random.normal(jax.random.fold_in(key, 0), (self.layout.size,))
        x = self.sample({"weights": w[None]}, jax.random.fold_in(key, 1), n)
        names = self.observed
        shape = square_shape(self.n)
        data = Dataset(x, names, (2,) * len(names), shape=shape, source="simulated flow")
        return data, {"weights": as_numpy(w)}


#: the model from its DAG and options
build = Flow


def _dag(n: int = 64, **_: Any) -> DAG:
    """Each pixel x_i is the cell of a dequantised y_i; the y's form a complete DAG."""
    pixels = graphs.independent(n).variables
    variables: list[Variable] = []
    edges: list[tuple[str, str]] = []
    for i, pixel in enumerate(pixels):
        variables += [Variable(f"y{i}", card=None, role="latent"), pixel]
        edges += [(f"y{j}", f"y{i}") for j in range(i)] + [(f"y{i}", pixel.name)]
    return DAG(variables, edges, name="flow")


def _count(dag: DAG, knots: int = 4, hidden: int = 64, layers: int = 1, **_: Any) -> int:
    n = sum(1 for v in dag.nodes if dag.role(v) == "observed")
    return layers * maf_count(n, knots, hidden)


def _conditional(knots: int = 4, hidden: int = 64, layers: int = 1, **_: Any) -> str:
    return f"spline MAF ({layers} x {hidden} hidden, {knots} knots) on dequantised pixels"


SPEC = FamilySpec(
    "flow",
    "Normalizing flow (FlowJAX spline MAF) on uniformly dequantised pixels",
    "p(y) = N(f(t(y))) |det df/dt| |dt/dy|,  y = x + u,  x_i = floor(y_i)",
    "the MAF's live (unmasked) weights + biases, per layer",
    _dag,
    ("n", "knots", "hidden", "layers"),
    model=Flow,
    count=_count,
    conditional=_conditional,
    rows=(Row("flow", anomaly=False, steps={"quick": 150, "default": 1000, "thorough": 3000}),),
    unsupported=binary_only,
    example={"n": 4, "hidden": 8, "knots": 3},
    order=70,
)
