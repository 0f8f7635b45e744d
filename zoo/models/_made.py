"""The network under ``zoo.models.autoregressive`` and its helpers: ``MaskedNet`` (the free
weights' layout and the forward pass), the order and mask checks, the items' distribution
class and the vmapped Adam of ``Autoregressive.map_fits``.

JAX, NumPyro and optax are imported on first use (:mod:`zoo._lazy`), as in the family module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache, partial
from typing import TYPE_CHECKING, Any

import numpy as np

from graphs import DAG

from .._lazy import jax, jit, jnp
from ..errors import ZooError
from ._base import items_distribution

if TYPE_CHECKING:
    from .autoregressive import Autoregressive


def _activation(name: str) -> Any:
    return jnp.tanh if name == "tanh" else jax.nn.relu


@cache
def _distribution() -> type:
    """The items' distribution class, made on first use: it subclasses NumPyro's
    ``Distribution``, which must not be imported when the module loads."""
    from numpyro.distributions import constraints

    class AutoregressiveBernoulli(items_distribution()):  # type: ignore[misc]
        """Items of ``n`` bits under one draw of an :class:`Autoregressive` model's weights."""

        support = constraints.independent(constraints.boolean, 1)

        def log_px(self, flat: jax.Array) -> Any:
            return self.model._log_px_jit(self.params, flat)

        def draw(self, key: jax.Array, m: int) -> Any:
            tiled = {k: jnp.broadcast_to(v, (m, *v.shape)) for k, v in self.params.items()}
            return self.model._ancestral_impl(tiled, key)

    return AutoregressiveBernoulli


@jit(static_argnums=(0, 4, 5))
def _map_adam(
    model: Autoregressive,
    x: jax.Array,
    masks: jax.Array,
    init: dict[str, jax.Array],
    steps: int,
    lr: float,
) -> tuple[dict[str, jax.Array], jax.Array]:
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

    fitted: tuple[dict[str, jax.Array], jax.Array] = jax.vmap(one)(masks)
    return fitted


def _permutation(ordering: Sequence[int], n: int) -> list[int]:
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


class MaskedNet:
    """The network of an ``Autoregressive`` model: the free weights' layout, the dense masked
    weights of one draw, the logits, log p(x) and ancestral sampling. The model sets ``n``,
    ``conditional``, ``direct``, ``activation`` and ``orderings`` before ``_lay_out``."""

    n: int
    conditional: str
    direct: bool
    activation: str
    orderings: np.ndarray  # (K, n): the variable at each step of each ordering

    def _lay_out(self, layers: list[tuple[str, float, np.ndarray | int]]) -> None:
        """Sites, prior scales and scatter indices from ``(site, scale, masks or size)``."""
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

    @property
    def masks(self) -> int:
        """The number of orderings mixed."""
        return len(self.orderings)

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

        x: jax.Array = jax.lax.fori_loop(0, self.n, step, jnp.zeros((m, self.n), jnp.float32))
        return x
