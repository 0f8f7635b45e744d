"""Deep autoregressive models over binary variables: every pixel a logistic function of the
pixels before it.

    p(x) = prod_i p(x_i | x_<i),   x_i ~ Bernoulli(sigmoid(f_i(x_<i)))

Two conditionals ``f_i``:

* ``"logistic"``, the fully visible sigmoid belief net (FVSBN):
  ``f_i = b_i + sum_{j<i} W_ij x_j``. ``W`` is strictly lower triangular in the order, so
  ``n(n+1)/2`` free parameters (``graphs.logistic_count``).
* ``"neural"``, a MADE (Germain et al. 2015): one hidden layer of ``H`` units,
  ``f(x) = b + V (M_V * x) + W2 (M_2 * act(b1 + (M_1 * W1) x))`` with the masks of
  ``graphs.made_masks(n, H, ordering)`` (``act`` is tanh or relu, ``V`` the optional direct
  input-to-output connections). ``graphs.made_count(n, H, ordering, direct=...)`` free
  parameters: only the unmasked weights count.

Priors: every weight ``Normal(0, prior_scale)``, every bias ``Normal(0, bias_scale)``. Each
weight site is a flat vector of the *free* weights only, scattered into a dense matrix that
is zero wherever the mask is; so masked entries are not parameters, carry no prior and the
trace holds exactly ``param_count()`` numbers (``direct`` is ignored by the logistic form,
which is all direct weights). With only 1,437 training images a MADE overfits fast and the
prior is what keeps it honest: on the digits split, MAP with ``prior_scale`` 0.5 (chosen on a
validation split of the training images) scores 16.8 held-out nats per image, the same net
with ``prior_scale`` 100 (next to no prior) 23.9, the logistic form 18.1.

Fitting: SVI (``default_method``); ``default_guide`` is ``"map"`` for the MADE (a
mean-field guide over thousands of tanh weights underfits: about 18 nats) and ``"normal"`` for
the logistic form. The zoo's 3,000 Adam steps at learning rate 0.01 converge for both.

``masks=K > 1`` averages ``K`` orderings (the DAG's and ``K - 1`` seeded random ones) as an
equal-weight mixture, ``p(x) = (1/K) sum_k p_k(x)``; the ``K`` networks share one set of
weights (as in MADE's order-agnostic training), each seeing it through its own masks, so
the free parameters are the weights that at least one mask lets through (``masks=4``: 16.7
nats on the digits split, at twice the fitting time).

All variables are observed; the likelihood is per item, so SVI can minibatch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from functools import cache, partial
from typing import Any

import numpy as np

import graphs
from graphs import DAG

from .._lazy import dist, jax, jit, jnp, numpyro
from ..data import Dataset, square_shape
from ..errors import ZooError
from ._base import Draws, Family, MapFits, as_numpy, chunked, pick_draws
from ._spec import FamilySpec, Row

CONDITIONALS = ("logistic", "neural")
ACTIVATIONS = ("tanh", "relu")
#: prior scale of the weights when none is given; the neural one is tuned on the digits split
PRIOR_SCALE = {"logistic": 1.0, "neural": 0.5}


class Autoregressive(Family, MapFits):
    """A fully visible autoregressive model with a logistic or masked-MLP conditional.

    ``default_guide`` names the SVI guide this family fits best with (see the module notes).
    """

    family = "autoregressive"
    default_method = "svi"
    method_reason = (
        "hundreds to thousands of weights (n(n+1)/2 logistic, ~10^4 for a MADE): SVI with a "
        "MAP or mean-field guide is the default; NUTS still runs at small sizes"
    )

    def __init__(
        self,
        dag: DAG,
        conditional: str = "logistic",
        hidden: int = 64,
        prior_scale: float | None = None,
        bias_scale: float = 5.0,
        direct: bool = True,
        activation: str = "tanh",
        ordering: Sequence[int] | None = None,
        masks: int = 1,
        mask_seed: int = 0,
    ) -> None:
        if conditional not in CONDITIONALS:
            raise ZooError(f"unknown conditional {conditional!r}; expected one of {CONDITIONALS}")
        if activation not in ACTIVATIONS:
            raise ZooError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")
        _positive_int(hidden=hidden, masks=masks)
        prior_scale = PRIOR_SCALE[conditional] if prior_scale is None else prior_scale
        for name, v in (("prior_scale", prior_scale), ("bias_scale", bias_scale)):
            ok = isinstance(v, numbers.Real) and not isinstance(v, bool)
            if not (ok and math.isfinite(v) and v > 0):
                raise ZooError(f"{name} must be a positive number, got {v!r}")
        if conditional == "logistic" and masks != 1:
            raise ZooError("masks > 1 (a mixture of orderings) needs conditional='neural'")
        order = _complete_order(dag)
        if ordering is not None:
            order = _permutation(ordering, len(dag))
            dag = _reordered(dag, order)
        super().__init__(dag)
        n = len(dag)
        self.n = n
        self.conditional = conditional
        self.hidden = int(hidden) if conditional == "neural" else None
        self.direct = bool(direct) or conditional == "logistic"
        self.activation = activation
        self.prior_scale = float(prior_scale)
        self.bias_scale = float(bias_scale)
        # weight-sharing hidden units are only identified up to permutation: R-hat on log_lik
        self.invariant_only = conditional == "neural"
        self.default_guide = "map" if conditional == "neural" else "normal"
        rng = np.random.default_rng(mask_seed)
        orders = [order] + [list(rng.permutation(n)) for _ in range(masks - 1)]
        self.orderings = np.asarray(orders, dtype=np.int32)  # (K, n): variable at each step
        # (site, prior scale, stacked masks (K, fan_in, fan_out), or the size of a bias)
        layers: list[tuple[str, float, np.ndarray | int]] = []
        if conditional == "neural":
            per = [graphs.made_masks(n, self.hidden, o) for o in orders]
            layers += [
                ("w_hidden", self.prior_scale, np.stack([m[0][0] for m in per])),
                ("b_hidden", self.bias_scale, self.hidden),
                ("w_out", self.prior_scale, np.stack([m[0][1] for m in per])),
            ]
            direct_masks = np.stack([m[1] for m in per])
        else:
            direct_masks = np.stack([_direct_mask(order)])
        if self.direct:
            layers.append(("w_direct", self.prior_scale, direct_masks))
        layers.append(("b_out", self.bias_scale, n))
        self._scales = {name: scale for name, scale, _ in layers}
        self._sizes: dict[str, int] = {}
        self._scatter: dict[str, tuple] = {}  # weight site -> (shape, rows, cols, masks or None)
        for name, _, m in layers:
            if isinstance(m, int):
                self._sizes[name] = m
                continue
            union = m.any(axis=0)
            rows, cols = np.nonzero(union)
            self._sizes[name] = len(rows)
            # one ordering: the scatter alone zeroes the masked entries
            stack = None if len(m) == 1 else jnp.asarray(m, dtype=jnp.float32)
            self._scatter[name] = (union.shape, jnp.asarray(rows), jnp.asarray(cols), stack)
        # one compiled op even when numpyro runs the program eagerly (its initialisation
        # would otherwise compile each small op on its own: seconds per fit)
        self._log_px_jit = jax.jit(self._log_px_one)
        self._log_px = jax.jit(jax.vmap(self._log_px_one, in_axes=(0, None)))
        self._ancestral_jit = jax.jit(self._ancestral_impl)

    # -- structure ------------------------------------------------------------------------
    @property
    def masks(self) -> int:
        return len(self.orderings)

    def param_count(self) -> int:
        """Free parameters: biases plus the weights some mask lets through."""
        return sum(self._sizes.values())

    def param_sites(self) -> frozenset[str]:
        return frozenset(self._sizes)

    def calibration_sites(self) -> list[str] | None:
        """The output biases and direct weights: hidden units can swap, these cannot."""
        if not self.invariant_only:
            return None
        return [s for s in ("b_out", "w_direct") if s in self._sizes]

    def site_sizes(self) -> dict[str, int]:
        """Free elements of each sample site, in program order."""
        return dict(self._sizes)

    def guide_options(self, data: Dataset, seed: int = 0) -> dict:
        # A MADE at all-zero weights sits on a saddle (tanh(0) = 0 kills every gradient),
        # so start it at small random weights; the convex logistic starts at the prior median.
        if self.conditional == "neural":
            return {"init_loc_fn": numpyro.infer.init_to_uniform(radius=0.1)}
        return {}

    def map_fits(
        self,
        data: Dataset,
        sizes: Sequence[int],
        *,
        steps: int,
        learning_rate: float = 0.01,
        seed: int = 0,
        return_losses: bool = False,
    ):
        """MAP weights fitted to the first ``m`` items of ``data`` for each ``m`` in
        ``sizes``, as ``(len(sizes), ...)`` draws: Adam (optax) on the log posterior, as SVI with a
        MAP guide does, started like it.

        Every size weighs the same padded array with a 0/1 item mask and the sizes run
        under one ``vmap``, so a whole learning curve costs one compile. With
        ``return_losses`` also the ``(len(sizes), steps)`` negative log joint at each step
        (the negative ELBO of a MAP guide).
        """
        _positive_int(steps=steps)
        x = self._x(data)
        sizes = [int(m) for m in sizes]
        if not sizes or min(sizes) < 1 or max(sizes) > x.shape[0]:
            raise ZooError(f"sizes must lie in 1..{x.shape[0]}, got {sizes}")
        masks = jnp.asarray(np.arange(x.shape[0])[None, :] < np.asarray(sizes)[:, None])
        key = jax.random.PRNGKey(seed)
        radius = 0.1 if self.conditional == "neural" else 0.0
        init = {
            name: jax.random.uniform(
                jax.random.fold_in(key, i), (size,), minval=-radius, maxval=radius
            )
            for i, (name, size) in enumerate(self._sizes.items())
        }
        fitted, losses = _map_adam(self, x, masks, init, int(steps), float(learning_rate))
        return (fitted, losses) if return_losses else fitted

    # -- data -----------------------------------------------------------------------------
    def _x(self, data: Dataset) -> jnp.ndarray:
        self.check_data(data)
        return jnp.asarray(data.x, dtype=jnp.float32)

    def program_kwargs(self, data: Dataset) -> dict:
        return {"x": self._x(data)}

    def minibatch_kwargs(self, kwargs: dict, batch_size: int) -> dict:
        """The same data, with the items plate drawing ``batch_size`` of them per step."""
        items = int(kwargs["x"].shape[0])
        return {**kwargs, "subsample_size": min(int(batch_size), items)}

    # -- the network ------------------------------------------------------------------------
    def dense(self, params: dict) -> dict[str, jnp.ndarray]:
        """Dense ``(K, fan_in, fan_out)`` weights of one draw, zero wherever masked."""
        out = {}
        for name, (shape, rows, cols, stack) in self._scatter.items():
            w = jnp.zeros(shape, params[name].dtype).at[rows, cols].set(params[name])
            out[name] = w[None] if stack is None else w[None] * stack
        return out

    def logits(self, params: dict, x: jnp.ndarray) -> jnp.ndarray:
        """``(K, items, n)`` logits of every variable given ``x`` (items, n), one draw.

        Logit ``i`` of ordering ``k`` depends only on the variables before ``i`` in it.
        """
        w = self.dense(params)
        if self.masks == 1:  # plain matrix products: XLA's batched ones cost 15% more per step
            w = {k: v[0] for k, v in w.items()}
            first = second = jnp.matmul
        else:
            first, second = partial(jnp.einsum, "in,knh->kih"), partial(jnp.einsum, "kih,khn->kin")
        out = params["b_out"]
        if self.direct:
            out = out + first(x, w["w_direct"])
        if self.conditional == "neural":
            h = _activation(self.activation)(first(x, w["w_hidden"]) + params["b_hidden"])
            out = out + second(h, w["w_out"])
        return jnp.broadcast_to(out, (self.masks, *x.shape))

    def _log_px_one(self, params: dict, x: jnp.ndarray) -> jnp.ndarray:
        """``(items,)`` log p(x) under one draw: a mixture over the orderings."""
        lg = self.logits(params, x)
        per_order = jnp.sum(x * lg - jax.nn.softplus(lg), axis=-1)  # Bernoulli(logits) log pmf
        if self.masks == 1:
            return per_order[0]
        return jax.nn.logsumexp(per_order, axis=0) - math.log(self.masks)

    def _ancestral_impl(self, params: dict, key: jax.Array) -> jnp.ndarray:
        """``(m, n)`` items, item ``r`` from the draw ``params[.][r]``, one variable at a time."""
        m = len(params["b_out"])
        k_order, k_u = jax.random.split(key)
        which = jax.random.randint(k_order, (m,), 0, self.masks)  # mixture component per item
        order = jnp.asarray(self.orderings)[which]  # (m, n)
        u = jax.random.uniform(k_u, (m, self.n))
        rows = jnp.arange(m)

        def logits_one(p, xi, c):
            return self.logits(p, xi[None])[c, 0]

        def step(t, x):
            lg = jax.vmap(logits_one)(params, x, which)  # (m, n); unfilled inputs are 0
            d = order[:, t]
            bit = (u[rows, d] < jax.nn.sigmoid(lg[rows, d])).astype(x.dtype)
            return x.at[rows, d].set(bit)

        return jax.lax.fori_loop(0, self.n, step, jnp.zeros((m, self.n), jnp.float32))

    # -- the program and what follows from draws --------------------------------------------
    def _params(self) -> dict[str, jnp.ndarray]:
        return {
            name: numpyro.sample(
                name, dist.Normal(0.0, self._scales[name]).expand([size]).to_event(1)
            )
            for name, size in self._sizes.items()
        }

    def program(
        self,
        x: jnp.ndarray | None = None,
        n_items: int | None = None,
        subsample_size: int | None = None,
    ) -> None:
        """Weights from their priors, then every item's bits through the autoregressive net.

        ``x`` (items, n) observes the data; without it ``n_items`` items are drawn.
        ``subsample_size`` draws that many items per call (minibatch SVI; the likelihood is
        scaled up by the plate).
        """
        params = self._params()
        if x is None and n_items is None:
            raise ZooError("program needs the data x or a number of items n_items")
        items = int(x.shape[0]) if x is not None else int(n_items)
        with numpyro.plate("items", items, subsample_size=subsample_size) as idx:
            obs = None
            if x is not None:
                obs = x if subsample_size is None else x[idx]
            numpyro.sample("x", _distribution()(self, params, (len(idx),)), obs=obs)

    def program_items(self, values: jnp.ndarray | None = None, n_items: int = 1) -> None:
        """The loop form, for reading the graph out of the code: one site per variable,
        each variable's logit computed from the sites before it only (the net is run once
        per variable, so this is for inspection at small sizes, not for fitting)."""
        if self.masks != 1:
            raise ZooError(
                "the loop form needs one ordering (masks=1); a mixture of "
                "orderings has no single per-variable factorisation"
            )
        params = self._params()
        n = n_items if values is None else values.shape[0]
        names = self.dag.nodes
        seen: dict[int, jnp.ndarray] = {}
        with numpyro.plate("items", n):
            for var in self.orderings[0].tolist():
                cols = [seen.get(j, jnp.zeros(n)) for j in range(self.n)]
                x = jnp.stack([jnp.asarray(c, jnp.float32) for c in cols], axis=1)
                logit = self.logits(params, x)[0, :, var]
                obs = None if values is None else values[:, var]
                seen[var] = numpyro.sample(names[var], dist.Bernoulli(logits=logit), obs=obs)

    def log_likelihood(self, draws: Draws, data: Dataset) -> jnp.ndarray:
        x = self._x(data)
        own = {k: jnp.asarray(draws[k]) for k in self._sizes}
        total = len(own["b_out"])
        if total > 1 and all(bool(jnp.all(v == v[:1])) for v in own.values()):
            # a MAP guide repeats one point: compute it once, not once per draw
            one = self._log_px({k: v[:1] for k, v in own.items()}, x)
            return jnp.broadcast_to(one, (total, one.shape[1]))
        return chunked(lambda d: self._log_px(d, x), own)

    def sample(self, draws: Draws, key: jax.Array, n: int) -> np.ndarray:
        """``n`` items, each from its own posterior draw, by ancestral sampling."""
        own = {k: draws[k] for k in self._sizes}
        picked = pick_draws(own, key, n)
        x = self._ancestral_jit(picked, jax.random.fold_in(key, 1))
        return as_numpy(x).astype(np.int32)

    # -- known answers -----------------------------------------------------------------------
    def prior_draws(self, key: jax.Array, n: int) -> dict[str, jnp.ndarray]:
        """``n`` draws of every site from the prior."""
        return {
            name: self._scales[name] * jax.random.normal(jax.random.fold_in(key, i), (n, size))
            for i, (name, size) in enumerate(self._sizes.items())
        }

    def simulate(self, key: jax.Array, n: int) -> tuple[Dataset, dict]:
        _positive_int(n=n)
        truth = self.prior_draws(jax.random.fold_in(key, 0), 1)
        x = self.sample(truth, jax.random.fold_in(key, 1), n)
        names = self.observed
        shape = square_shape(self.n)
        data = Dataset(x, names, (2,) * len(names), shape=shape, source=f"simulated {self.family}")
        return data, {k: as_numpy(v[0]) for k, v in truth.items()}

    def weight_matrix(self, params: dict) -> np.ndarray:
        """The logistic ``W`` of one draw as ``(n, n)``, ``W[i, j]`` the weight of x_j on x_i."""
        if self.conditional != "logistic":
            raise ZooError("weight_matrix is the logistic conditional's W")
        return as_numpy(self.dense({k: jnp.asarray(v) for k, v in params.items()})["w_direct"][0].T)


def _activation(name: str) -> Any:
    return jnp.tanh if name == "tanh" else jax.nn.relu


@cache
def _distribution() -> type:
    """The items' distribution class, made on first use: it subclasses NumPyro's
    ``Distribution``, which must not be imported when the module loads."""
    from numpyro.distributions import constraints

    class AutoregressiveBernoulli(dist.Distribution):
        """Items of ``n`` bits under one draw of an :class:`Autoregressive` model's weights."""

        support = constraints.independent(constraints.boolean, 1)
        pytree_data_fields = ("params",)
        pytree_aux_fields = ("model",)

        def __init__(self, model: Autoregressive, params: dict, batch_shape: tuple = ()) -> None:
            self.model, self.params = model, params
            super().__init__(batch_shape=batch_shape, event_shape=(model.n,))

        def log_prob(self, value):
            flat = value.reshape(-1, self.model.n)
            return self.model._log_px_jit(self.params, flat).reshape(value.shape[:-1])

        def sample(self, key, sample_shape=()):
            shape = tuple(sample_shape) + self.batch_shape
            m = math.prod(shape)
            tiled = {k: jnp.broadcast_to(v, (m, *v.shape)) for k, v in self.params.items()}
            return self.model._ancestral_impl(tiled, key).reshape(*shape, self.model.n)

    return AutoregressiveBernoulli


def _positive_int(**values) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ZooError(f"{name} must be a positive int, got {v!r}")


@jit(static_argnums=(0, 4, 5))
def _map_adam(model, x, masks, init, steps: int, lr: float):
    """Adam (optax) on the negative log joint of the masked items, every mask under one
    ``vmap``: ``(params, losses)`` with a leading mask axis."""
    import optax

    scales = model._scales
    adam = optax.adam(lr)

    def loss(params, mask):
        ll = jnp.sum(mask * model._log_px_one(params, x))
        prior = sum(
            jnp.sum(jax.scipy.stats.norm.logpdf(v, 0.0, scales[k])) for k, v in params.items()
        )
        return -(ll + prior)

    def one(mask):
        def step(state, _):
            params, opt = state
            value, g = jax.value_and_grad(loss)(params, mask)
            updates, opt = adam.update(g, opt, params)
            return (optax.apply_updates(params, updates), opt), value

        (params, _), losses = jax.lax.scan(step, (init, adam.init(init)), None, length=steps)
        return params, losses

    return jax.vmap(one)(masks)


def _permutation(ordering, n: int) -> list[int]:
    order = [int(i) for i in ordering]
    if sorted(order) != list(range(n)):
        raise ZooError(f"ordering must be a permutation of range({n}), got {list(ordering)}")
    return order


def _complete_order(dag: DAG) -> list[int]:
    """The variable order of a complete DAG over binary observed variables; else ValueError."""
    if len(dag) < 2:
        raise ZooError(f"an autoregressive model needs at least 2 variables, got {len(dag)}")
    for node in dag.nodes:
        if dag.role(node) != "observed":
            raise ZooError(f"autoregressive: every variable is observed; {node!r} is not")
        if dag.card(node) != 2:
            raise ZooError(
                f"autoregressive: variables are binary; {node!r} has {dag.card(node)} states"
            )
    topo = dag.topological_order()
    for k, node in enumerate(topo):
        if len(dag.parents(node)) != k:
            raise ZooError(
                f"autoregressive: the DAG must be complete (x_i <- every earlier x_j); "
                f"{node!r} has {len(dag.parents(node))} parents, expected {k}"
            )
    return [dag.index(node) for node in topo]


def _direct_mask(order: list[int]) -> np.ndarray:
    """``(n, n)`` input-to-output mask: ``[j, i]`` when x_j comes before x_i."""
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order))
    return rank[:, None] < rank[None, :]


def _reordered(dag: DAG, order: list[int]) -> DAG:
    names = dag.nodes
    edges = [(names[order[j]], names[order[i]]) for i in range(len(order)) for j in range(i)]
    return DAG(dag.variables, edges, name=dag.name)


#: the model from its DAG and options (the class itself: its arguments are the options)
build = Autoregressive


def _dag(n: int = 64, **_: Any) -> DAG:
    return graphs.autoregressive(n)


def _count(dag: DAG, conditional: str = "logistic", hidden: int = 64, **_: Any) -> int:
    if conditional == "logistic":
        return graphs.logistic_count(dag)
    return graphs.made_count(len(dag), hidden, direct=True)


def _conditional(conditional: str = "logistic", **_: Any) -> str:
    return conditional


def _unsupported(data: Dataset, options: Any) -> str | None:
    return None if all(c == 2 for c in data.cards) else "it models binary variables only"


SPEC = FamilySpec(
    "autoregressive",
    "Deep autoregressive (logistic FVSBN or a masked MLP, MADE style)",
    "p(x) = prod_i p(x_i | x_<i)",
    "logistic: n(n+1)/2; neural: the MADE's unmasked weights (direct ones too) + biases",
    _dag,
    ("n", "conditional", "hidden"),
    model=Autoregressive,
    count=_count,
    conditional=_conditional,
    rows=(
        Row("autoregressive-logistic", {"conditional": "logistic"}, anomaly="autoregressive"),
        Row("autoregressive-neural", {"conditional": "neural", "hidden": 64}, anomaly=False),
    ),
    unsupported=_unsupported,
    order=50,
)
