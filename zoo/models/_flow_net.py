"""The network under ``zoo.models.flow`` and ``zoo.models._flow_toys``: FlowJAX's masked
autoregressive bijections with rational-quadratic spline transformers, their *live* weights
as one flat vector (what the family's ``weights`` site holds), the squeeze (a probit)
that maps a dequantised pixel in (0, 2) onto the real line, and the log densities built from them.

FlowJAX masks a weight by ``where(mask, w, 0)``: a masked entry changes nothing, so it is
not a parameter. :class:`Layout` finds the live entries from the gradient of the unwrapped
weights (exactly the mask) and scatters a vector of those back into the module.

JAX, Equinox, paramax and FlowJAX are imported on first use.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._lazy import jax, jnp
from ._base import items_distribution

#: y / 2 is clipped to [EPS, 1 - EPS] before the probit: finite at the cube's faces (a set
#: of measure zero, which u ~ U[0, 1) hits with probability ~1e-7)
EPS = 1e-7


def spline_params(knots: int) -> int:
    """Trainable numbers of one FlowJAX ``RationalQuadraticSpline``: knot x and y positions
    (``knots + 1`` each) and derivatives (``knots + 2``)."""
    return 3 * knots + 4


def maf_count(dim: int, knots: int, hidden: int) -> int:
    """Live weights of one FlowJAX ``MaskedAutoregressive`` layer (one hidden layer of
    ``hidden`` units, MADE masks with hidden ranks ``arange(hidden) % (dim - 1)``)."""
    ranks = np.arange(hidden) % (dim - 1)
    per = spline_params(knots)
    first = int(np.sum(ranks + 1)) + hidden  # hidden unit of rank r sees inputs 0..r
    out_ranks = np.repeat(np.arange(dim), per)
    second = int(np.sum(ranks[None, :] < out_ranks[:, None])) + dim * per
    return first + second


def build_chain(
    key: Any, dim: int, knots: int, hidden: int, layers: int, interval: float, flip: bool
) -> Any:
    """``layers`` spline MAF layers (data -> noise); ``flip`` reverses the order between
    them (the 2-D toys), otherwise every layer keeps one order (the digits' DAG)."""
    from flowjax.bijections import Chain, Flip, MaskedAutoregressive, RationalQuadraticSpline

    spline = RationalQuadraticSpline(knots=knots, interval=interval)
    parts: list = []
    for i, k in enumerate(jax.random.split(key, layers)):
        if flip and i:
            # mypy takes the base's abstract cond_shape for a field; Flip makes it a ClassVar
            parts.append(Flip((dim,)))  # type: ignore[call-arg]
        parts.append(
            MaskedAutoregressive(
                k, transformer=spline, dim=dim, nn_width=hidden, nn_depth=1, nn_activation=jnp.tanh
            )
        )
    return Chain(parts)


def _partition(module: Any) -> tuple[Any, Any]:
    import equinox as eqx
    import paramax

    return eqx.partition(
        module, eqx.is_inexact_array, is_leaf=lambda leaf: isinstance(leaf, paramax.NonTrainable)
    )


class Layout:
    """The live weights of FlowJAX modules of one structure as a flat vector, and back."""

    def __init__(self, template: Any) -> None:
        import equinox as eqx
        import paramax
        from jax.flatten_util import ravel_pytree

        params, self.static = _partition(template)
        full, self.unravel = ravel_pytree(params)

        def total(p):
            used = eqx.filter(paramax.unwrap(eqx.combine(p, self.static)), eqx.is_inexact_array)
            return sum(jnp.sum(leaf) for leaf in jax.tree.leaves(used))

        grad = ravel_pytree(jax.grad(total)(params))[0]
        self.index = np.flatnonzero(np.asarray(grad) != 0)
        self.full_size = int(full.size)
        self.size = len(self.index)

    def vector(self, module: Any) -> Any:
        """The live weights of ``module`` (same structure as the template)."""
        from jax.flatten_util import ravel_pytree

        return ravel_pytree(_partition(module)[0])[0][self.index]

    def module(self, weights: Any) -> Any:
        """The usable (unwrapped) module holding ``weights``; masked entries are zero."""
        import equinox as eqx
        import paramax

        full = jnp.zeros(self.full_size, weights.dtype).at[self.index].set(weights)
        return paramax.unwrap(eqx.combine(self.unravel(full), self.static))


def _std_normal(z: Any) -> Any:
    return -0.5 * z**2 - 0.5 * math.log(2 * math.pi)


def squeeze(y: Any) -> tuple[Any, Any]:
    """``t = probit(y / 2)`` and ``log dt/dy`` per element: a bijection from (0, 2) onto the
    real line, so the cube holds all the flow's mass, and the identity flow is the uniform
    density 1/2 per pixel (no mass lost near the faces, as a logit's would be)."""
    t = jax.scipy.special.ndtri(jnp.clip(y / 2, EPS, 1 - EPS))
    return t, math.log(0.5) - _std_normal(t)


def unsqueeze(t: Any) -> Any:
    """The inverse of :func:`squeeze`: back to (0, 2)."""
    return 2 * jax.scipy.special.ndtr(t)


def log_density(chain: Any, t: Any) -> Any:
    """log p(t) of one point on the real line: a standard normal pulled back by ``chain``."""
    z, log_det = chain.transform_and_log_det(t)
    return jnp.sum(_std_normal(z)) + log_det


def log_density_y(chain: Any, y: Any) -> Any:
    """log p(y) of one dequantised item in (0, 2)^n (the squeeze's Jacobian included)."""
    t, log_dt = squeeze(y)
    return log_density(chain, t) + jnp.sum(log_dt)


def conditional_terms(chain: Any, y: Any) -> Any:
    """``(n,)`` log p(y_i | y_<i) of one item: the map is triangular in one order, so each
    term is the normal density of z_i times the i-th diagonal entry of its Jacobian
    (a forward-mode product per column) times the squeeze's."""
    t, log_dt = squeeze(y)
    z = chain.transform(t)
    columns = jax.vmap(lambda e: jax.jvp(chain.transform, (t,), (e,))[1])(jnp.eye(len(t)))
    return _std_normal(z) + jnp.log(jnp.abs(jnp.diagonal(columns))) + log_dt


def conditional_sample(chain: Any, prev: Any, i: int, eps: Any) -> Any:
    """y_i given y_<i (``prev``'s first ``i`` entries) from the standard normal ``eps``: the
    inverse of a triangular map gives t_i from z_<=i alone."""
    t, _ = squeeze(prev)
    z = chain.transform(t).at[i].set(eps)
    return unsqueeze(chain.inverse(z))[i]


def distributions() -> tuple[type, type, type]:
    """NumPyro's view of the flow, made on first use (NumPyro must not load with the
    module): the items' density over (0, 2)^n, one pixel's conditional given the pixels
    before it, and the pixel a dequantised value falls in."""
    global _DISTS
    if _DISTS is None:
        _DISTS = _make_distributions()
    return _DISTS


_DISTS: tuple[type, type, type] | None = None


def _make_distributions() -> tuple[type, type, type]:
    from numpyro.distributions import Distribution, constraints

    class Dequantised(items_distribution()):  # type: ignore[misc]
        """Items in (0, 2)^n under one draw ``params`` of the flow's weights."""

        support = constraints.independent(constraints.interval(0.0, 2.0), 1)

        def log_px(self, flat: Any) -> Any:
            chain = self.model.layout.module(self.params)
            return jax.vmap(lambda y: log_density_y(chain, y))(flat)

        def draw(self, key: Any, m: int) -> Any:
            chain = self.model.layout.module(self.params)
            z = jax.random.normal(key, (m, self.model.n))
            return unsqueeze(jax.vmap(chain.inverse)(z))

    class PixelConditional(Distribution):
        """y_i given the earlier entries of ``prev`` (items, n), one per item."""

        support = constraints.interval(0.0, 2.0)
        pytree_data_fields = ("weights", "prev")
        pytree_aux_fields = ("model", "i")

        def __init__(self, model: Any, weights: Any, prev: Any, i: int) -> None:
            self.model, self.weights, self.prev, self.i = model, weights, prev, i
            super().__init__(batch_shape=prev.shape[:-1])

        def log_prob(self, value):
            chain = self.model.layout.module(self.weights)
            y = self.prev.at[..., self.i].set(value)
            return jax.vmap(lambda v: conditional_terms(chain, v)[self.i])(y)

        def sample(self, key, sample_shape=()):
            chain = self.model.layout.module(self.weights)
            eps = jax.random.normal(key, tuple(sample_shape) + self.batch_shape)
            flat = eps.reshape(-1, *self.batch_shape)
            one = jax.vmap(lambda p, e: conditional_sample(chain, p, self.i, e))
            return jax.vmap(lambda e: one(self.prev, e))(flat).reshape(eps.shape)

    class Cell(Distribution):
        """The binary pixel whose unit cell holds ``y``: probability one on floor(y)."""

        support = constraints.boolean
        pytree_data_fields = ("y",)

        def __init__(self, y: Any) -> None:
            self.y = y
            super().__init__(batch_shape=jnp.shape(y))

        def log_prob(self, value):
            cell = jnp.floor(jax.lax.stop_gradient(self.y))
            return jnp.where(cell == value, 0.0, -jnp.inf)

        def sample(self, key, sample_shape=()):
            cell = jnp.clip(jnp.floor(self.y), 0, 1)
            return jnp.broadcast_to(cell, tuple(sample_shape) + self.batch_shape)

    return Dequantised, PixelConditional, Cell
