"""Exact conditionals ``p(bottom | top)`` where the bottom can be summed out in closed form:
tabular Bayesian networks (a summed-out root such as naive Bayes' label or a latent class
allowed) and autoregressive models whose order starts with the top.

The top pixels are the first ``top`` of the raster order; the bottom is the rest.

* A network whose top is *ancestral* (no top pixel has a bottom parent: true of full
  independence, raster-order chains and the up/left grid) gives ``p(top) = prod over the
  top nodes of their CPDs``: the bottom nodes are descendants and sum to one. With a
  summed-out root ``y`` (naive Bayes' label, a latent class) ``p(top) = sum_y p(y) prod_top
  p(x_i | pa_i)``, so ``p(bottom | top)`` mixes the bottoms by the posterior ``p(y | top)``.
* An autoregressive model whose order starts with the top has ``log p(bottom | top) =
  sum_{i >= top} log p(x_i | x_<i)``: the chain rule.

Everything is per posterior draw; the posterior predictive is ``log mean_s p(x | theta_s)``
and ``log mean_s p(top | theta_s)``, and their difference is the conditional. For the
conjugate tabular families a single draw at the posterior mean is that predictive exactly
(each parameter enters an item's likelihood once, so the mean of the product is the product
of the means).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import logsumexp

from ..errors import ZooError

if TYPE_CHECKING:
    from graphs import DAG

    from ..models.autoregressive import Autoregressive


@dataclass(frozen=True)
class Network:
    """A discrete network as CPDs: ``cpds[node]`` shaped ``(card, *parent_cards)`` as in
    ``graphs``, the observed pixels in raster order and at most one summed-out root."""

    dag: DAG
    cpds: Mapping[str, np.ndarray]
    observed: tuple[str, ...]

    @property
    def root(self) -> str | None:
        """The one unobserved node (a label or latent class), summed out; or ``None``."""
        hidden = [n for n in self.dag.nodes if n not in self.observed]
        if len(hidden) > 1:
            raise ZooError(f"at most one summed-out node is supported, got {hidden}")
        if hidden and self.dag.parents(hidden[0]):
            raise ZooError(f"the summed-out node {hidden[0]!r} must be a root")
        return hidden[0] if hidden else None

    def check_top(self, top: int) -> None:
        """The top must be ancestral: no top pixel may have a bottom parent."""
        bottom = set(self.observed[top:])
        for node in self.observed[:top]:
            late = [p for p in self.dag.parents(node) if p in bottom]
            if late:
                raise ZooError(f"top pixel {node!r} has bottom parents {late}: not ancestral")

    def _terms(self, x: np.ndarray, state: int | None) -> dict[str, np.ndarray]:
        """Per node, ``(items,)`` log p(node | parents) with the root at ``state``."""
        values: dict[str, np.ndarray] = dict(zip(self.observed, np.asarray(x).T, strict=True))
        root = self.root
        if root is not None:
            values[root] = np.full(len(x), state, dtype=np.int64)
        out = {}
        for node in self.dag.nodes:
            index = (values[node], *(values[p] for p in self.dag.parents(node)))
            out[node] = np.log(np.asarray(self.cpds[node], np.float64)[index])
        return out

    def _states(self) -> list[int | None]:
        root = self.root
        return [None] if root is None else list(range(int(self.cpds[root].shape[0])))

    def log_joint(self, x: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
        """``(log p(x), log p(top))`` per item of 0/1 ``x`` (items, pixels), exactly."""
        self.check_top(top)
        keep = [*self.observed[:top], *([self.root] if self.root else [])]
        full, head = [], []
        for k in self._states():
            terms = self._terms(x, k)
            full.append(sum(terms.values()))
            head.append(sum(terms[n] for n in keep))
        return logsumexp(np.stack(full), axis=0), logsumexp(np.stack(head), axis=0)

    def complete(self, x: np.ndarray, top: int, rng: np.random.Generator) -> np.ndarray:
        """A copy of ``x`` with its bottom drawn from ``p(bottom | top)``: the root from its
        posterior given the top, then each bottom node from its CPD in topological order."""
        self.check_top(top)
        out = np.array(x, dtype=np.int64, copy=True)
        values: dict[str, np.ndarray] = dict(zip(self.observed, out.T, strict=True))
        root = self.root
        if root is not None:
            head = np.stack(
                [
                    sum(self._terms(x, k)[n] for n in [*self.observed[:top], root])
                    for k in self._states()
                ],
                axis=1,
            )
            post = np.exp(head - logsumexp(head, axis=1, keepdims=True))
            values[root] = _categorical(post, rng)
        bottom = set(self.observed[top:])
        for node in self.dag.topological_order():
            if node in bottom:
                table = np.asarray(self.cpds[node], np.float64)
                rows: tuple[Any, ...] = (slice(None), *(values[p] for p in self.dag.parents(node)))
                probs = table[rows].T
                probs = np.broadcast_to(probs, (len(out), table.shape[0]))
                values[node][:] = _categorical(probs, rng)
        return out


def _categorical(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One state per row of ``(items, states)`` probabilities."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random((len(probs), 1))
    out: np.ndarray = np.minimum((u > cum).sum(axis=1), probs.shape[1] - 1)
    return out


def tabular_network(model: Any, data: Any) -> Network:
    """A conjugate tabular model's exact posterior predictive as a :class:`Network`: its
    CPDs at the posterior mean (see the module notes)."""
    mean = {site: m[None] for site, (m, _) in model.exact_moments(data).items()}
    return Network(model.dag, model.cpds(mean), model.observed)


def mixture_network(dag: DAG, pi: np.ndarray, theta: np.ndarray, floor: float) -> Network:
    """A latent class point (``pi`` (K,), ``theta`` (K, n)) as a :class:`Network` over its
    DAG, with the family's floor on the Bernoulli probabilities."""
    theta = np.clip(np.asarray(theta, np.float64), floor, 1.0 - floor)
    observed = tuple(n for n in dag.nodes if dag.role(n) == "observed")
    cpds: dict[str, np.ndarray] = {"z": np.clip(np.asarray(pi, np.float64), 1e-30, None)}
    for i, node in enumerate(observed):
        cpds[node] = np.stack([1.0 - theta[:, i], theta[:, i]])
    return Network(dag, cpds, observed)


# -- autoregressive: the chain rule ----------------------------------------------------------


def _check_prefix(model: Autoregressive, top: int) -> None:
    order = model.orderings
    if len(order) != 1 or set(order[0][:top].tolist()) != set(range(top)):
        raise ZooError("the chain rule needs one ordering that starts with the top pixels")


def autoregressive_log_joint(
    model: Autoregressive, draws: Mapping[str, Any], x: np.ndarray, top: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(log p(x), log p(top))`` per item: each the posterior predictive over ``draws``
    of the sum of the pixels' conditionals (all of them; the top's only)."""
    import jax
    import jax.numpy as jnp

    _check_prefix(model, top)
    xj = jnp.asarray(x, jnp.float32)
    full, head = [], []
    for s in range(len(draws["b_out"])):
        params = {k: jnp.asarray(draws[k][s]) for k in model.site_sizes()}
        lg = model.logits(params, xj)[0]
        terms = np.asarray(xj * lg - jax.nn.softplus(lg), np.float64)
        full.append(terms.sum(axis=1))
        head.append(terms[:, :top].sum(axis=1))
    m = np.log(len(full))
    return logsumexp(np.stack(full), axis=0) - m, logsumexp(np.stack(head), axis=0) - m


def autoregressive_complete(
    model: Autoregressive, draws: Mapping[str, Any], x: np.ndarray, top: int, key: Any
) -> np.ndarray:
    """A copy of ``x`` with its bottom drawn pixel by pixel from the chain rule, item ``r``
    under a random posterior draw."""
    import jax
    import jax.numpy as jnp

    _check_prefix(model, top)
    order = model.orderings[0]
    n = len(x)
    which = np.asarray(jax.random.randint(jax.random.fold_in(key, 0), (n,), 0, len(draws["b_out"])))
    params = {k: jnp.asarray(np.asarray(draws[k])[which]) for k in model.site_sizes()}
    out = jnp.asarray(x, jnp.float32)
    u = jax.random.uniform(jax.random.fold_in(key, 1), out.shape)

    def logits_one(p: dict, xi: Any) -> Any:
        return model.logits(p, xi[None])[0, 0]

    step = jax.jit(jax.vmap(logits_one))
    for d in order[top:].tolist():
        lg = step(params, out)[:, d]
        out = out.at[:, d].set((u[:, d] < jax.nn.sigmoid(lg)).astype(jnp.float32))
    return np.asarray(out).astype(np.int64)
