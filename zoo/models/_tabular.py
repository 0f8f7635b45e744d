"""Tabular Bayesian networks over fully observed discrete variables, the engine behind full
independence, the Markov chains, naive Bayes and any Bayesian network:

    p(x) = prod_i Cat(x_i | theta_i[pa(x_i)]),  theta_i[j] ~ Dirichlet(alpha)  (Beta when binary)

Every CPD row of every variable with the same number of states is stacked into one sample
site (``theta`` for binary variables, ``probs{c}`` for c states), so the program has a
handful of sites whatever the size of the DAG. The likelihood is computed from counts (the
sufficient statistics), so a gradient costs O(parameters), not O(items x variables); the
per-item form (``program_items``) is kept for inspection and to prove the two agree.
"""

from __future__ import annotations

import math
from functools import cached_property, partial

import numpy as np

import graphs
from graphs import DAG

from .._lazy import dist, jax, jit, jnp, numpyro
from ..data import Dataset, finite_card
from ..errors import ZooError
from . import _exact
from ._base import Conjugate, Draws, Family, as_numpy, chunked, pick_draws
from ._exact import ExactPredictive, item_chunks


def site_name(card: int) -> str:
    return "theta" if card == 2 else f"probs{card}"


class TabularModel(Family, Conjugate, ExactPredictive, abstract=True):
    """A Dirichlet (Beta) per parent configuration of every variable; no latent variables."""

    family = "bayesnet"
    method_reason = "conjugate and smooth: NUTS mixes well and runs in seconds"

    def __init__(self, dag: DAG, alpha: float = 1.0) -> None:
        super().__init__(dag)
        latent = dag.with_role("latent")
        if latent:
            raise ZooError(f"a tabular model observes every variable; {latent} are latent")
        if len(dag.with_role("label")) > 1:
            raise ZooError("at most one label variable is supported")
        if not alpha > 0:
            raise ZooError(f"alpha (the Dirichlet concentration) must be > 0, got {alpha}")
        self.alpha = float(alpha)
        nodes = dag.nodes
        self.cards = sorted({finite_card(dag, n) for n in nodes})
        self._rows: dict[str, tuple[int, int]] = {}  # node -> (row offset in its group, configs)
        self._strides: dict[str, np.ndarray] = {}
        size = dict.fromkeys(self.cards, 0)
        for n in nodes:
            pcards = [finite_card(dag, p) for p in dag.parents(n)]
            configs = math.prod(pcards)
            c = finite_card(dag, n)
            self._rows[n] = (size[c], configs)
            size[c] += configs
            # C order over parents, so a CPD of shape (card, *parent_cards) reshapes directly
            self._strides[n] = np.array(
                [math.prod(pcards[k + 1 :]) for k in range(len(pcards))], dtype=np.int64
            )
        self.group_rows = size
        self.group_nodes = {c: [n for n in nodes if dag.card(n) == c] for c in self.cards}
        self._col = {n: i for i, n in enumerate(nodes)}

    def param_count(self) -> int:
        return graphs.param_count(self.dag)

    def element_label(self, site: str, index: int) -> str | None:
        """What element ``index`` of the flattened ``site`` is, as a conditional probability
        (``P(x10=1 | x9=0)``); ``None`` for a site that is not a CPD table."""
        card = 2 if site == "theta" else next((c for c in self.cards if site_name(c) == site), None)
        if card is None:
            return None
        row, state = (index, 1) if card == 2 else divmod(index, card)
        for n in self.group_nodes[card]:
            offset, configs = self._rows[n]
            if offset <= row < offset + configs:
                config, given = row - offset, []
                for p, stride in zip(self.dag.parents(n), self._strides[n], strict=True):
                    given.append(f"{p}={config // int(stride) % finite_card(self.dag, p)}")
                return f"P({n}={state}" + (f" | {', '.join(given)})" if given else ")")
        return None

    def param_sites(self) -> frozenset[str]:
        return frozenset(site_name(c) for c in self.cards)

    # -- data to indices -------------------------------------------------------------------
    def full_values(self, data: Dataset, rows: slice = slice(None)) -> np.ndarray:
        """``(items, nodes)`` state codes in DAG node order (labels included) of the items
        at ``rows`` (all by default)."""
        self.check_data(data)
        x = data.x[rows]
        out = np.empty((len(x), len(self.dag)), dtype=np.int64)
        obs = {n: j for j, n in enumerate(data.names)}
        for n, i in self._col.items():
            if self.dag.role(n) == "label":
                if data.y is None:
                    raise ZooError(f"{self.family}: the data carry no labels for {n!r}")
                if data.label_card != self.dag.card(n):
                    raise ZooError(
                        f"{self.family}: labels have {data.label_card} classes, the model "
                        f"{self.dag.card(n)}"
                    )
                out[:, i] = data.y[rows]
            else:
                out[:, i] = x[:, obs[n]]
        return out

    def flat_index(self, values: np.ndarray) -> dict[int, np.ndarray]:
        """Per card group, ``(items, nodes in group)`` indices into the flattened CPD rows."""
        out = {}
        for c, group in self.group_nodes.items():
            cols = []
            for n in group:
                offset, _ = self._rows[n]
                parents = [self._col[p] for p in self.dag.parents(n)]
                config = values[:, parents] @ self._strides[n] if parents else 0
                cols.append((offset + config) * c + values[:, self._col[n]])
            out[c] = np.stack(cols, axis=1)
        return out

    def _config(self, node: str, values: dict, n: int) -> jnp.ndarray:
        """Row of each item's parent configuration, from per-node value vectors."""
        pairs = zip(self.dag.parents(node), self._strides[node], strict=True)
        return sum((values[p] * int(s) for p, s in pairs), start=jnp.zeros(n, dtype=jnp.int32))

    def counts(self, data: Dataset) -> dict[int, np.ndarray]:
        """Sufficient statistics: per card group, ``(rows, c)`` counts of each state (summed
        over chunks of items, so memory stays bounded whatever the data's size)."""
        flat = {c: np.zeros(self.group_rows[c] * c) for c in self.cards}
        for rows in item_chunks(data.n_items):
            for c, idx in self.flat_index(self.full_values(data, rows)).items():
                flat[c] += np.bincount(idx.ravel(), minlength=len(flat[c]))
        return {c: v.reshape(self.group_rows[c], c) for c, v in flat.items()}

    def program_kwargs(self, data: Dataset) -> dict:
        counts = self.counts(data)
        return {"counts": {c: jnp.asarray(v, dtype=jnp.float32) for c, v in counts.items()}}

    # -- the programs ------------------------------------------------------------------------
    def _params(self) -> dict[int, jnp.ndarray]:
        probs = {}
        for c in self.cards:
            rows = self.group_rows[c]
            if c == 2:
                theta = numpyro.sample("theta", dist.Beta(self.alpha, self.alpha).expand([rows]))
                probs[c] = jnp.stack([1.0 - theta, theta], axis=-1)
            else:
                conc = jnp.full((rows, c), self.alpha)
                probs[c] = numpyro.sample(site_name(c), dist.Dirichlet(conc))
        return probs

    def program(self, counts: dict | None = None, centre: dict | None = None) -> None:
        """The count form: one ``factor`` of ``sum(counts * log probs)`` per card group.

        With ``centre`` (see :meth:`sampler_kwargs`) each factor is
        ``sum(counts * (log probs - centre))``: the same posterior, shifted by a constant.
        """
        probs = self._params()
        if counts is not None:
            for c, p in probs.items():
                logp = jnp.log(jnp.clip(p, 1e-30))
                if centre is not None:
                    logp = logp - centre[c]
                numpyro.factor(f"loglik{c}", jnp.sum(counts[c] * logp))

    def sampler_kwargs(self, data: Dataset) -> tuple[dict, float]:
        """NUTS's program arguments and the log density's offset: the count likelihood
        centred at the maximum-likelihood point.

        Uncentred, the log density of the digits is about -57,000 nats (-570,000 at ten times
        the items), where float32's spacing is 0.004 (0.03) nats, so the differences NUTS
        accepts and weighs by would be rounded that coarsely; centred, it is a few hundred
        nats near the posterior and the differences keep full precision. The offset (added
        back in float64 to the reported log density) is ``sum(counts * log mle)``.
        """
        counts = self.counts(data)
        centre, offset = {}, 0.0
        for c, n in counts.items():
            total = n.sum(axis=1, keepdims=True)
            log_mle = np.where(n > 0, np.log(np.where(n > 0, n, 1.0) / np.maximum(total, 1)), 0)
            centre[c] = jnp.asarray(log_mle, dtype=jnp.float32)
            offset += float(np.sum(n * log_mle))
        kwargs = {"counts": {c: jnp.asarray(v, dtype=jnp.float32) for c, v in counts.items()}}
        return {**kwargs, "centre": centre}, offset

    def program_key(self):
        """Everything the program depends on beyond its arguments' shapes."""
        return ("tabular", self.alpha)

    def program_items(self, values: jnp.ndarray | None = None, n_items: int = 1) -> None:
        """The per-item form: each variable observed item by item, parents by value."""
        probs = self._params()
        n = n_items if values is None else values.shape[0]
        seen: dict[str, jnp.ndarray] = {}
        with numpyro.plate("items", n):
            for node in self.dag.topological_order():
                c = finite_card(self.dag, node)
                offset, _ = self._rows[node]
                config = self._config(node, seen, n)
                obs = None if values is None else values[:, self._col[node]]
                seen[node] = numpyro.sample(
                    node, dist.Categorical(probs[c][offset + config]), obs=obs
                )

    # -- from draws --------------------------------------------------------------------------
    def group_probs(self, draws: Draws) -> dict[int, jnp.ndarray]:
        """Per card group, ``(draws, rows, c)`` probabilities."""
        out = {}
        for c in self.cards:
            if c == 2:
                t = jnp.asarray(draws["theta"])
                out[c] = jnp.stack([1.0 - t, t], axis=-1)
            else:
                out[c] = jnp.asarray(draws[site_name(c)])
        return out

    def _log_joint(self, draws: Draws, values: np.ndarray) -> jnp.ndarray:
        idx = {c: jnp.asarray(v) for c, v in self.flat_index(values).items()}
        return chunked(partial(_log_joint, tuple(self.cards), idx), draws)

    def log_likelihood(self, draws: Draws, data: Dataset) -> jnp.ndarray:
        return self._log_joint(draws, self.full_values(data))

    def label_log_joint(self, draws: Draws, data: Dataset) -> jnp.ndarray:
        """``(draws, items, K)`` log p(label = k, x | theta) for each of the label's states
        (the data's own labels, if any, are ignored)."""
        label = self.label
        if label is None:
            raise ZooError(f"{self.family} has no label variable")
        filled = (
            data if data.y is not None else _exact.with_labels(data, finite_card(self.dag, label))
        )
        values = self.full_values(filled)
        col = self._col[label]
        per_state = []
        for k in range(finite_card(self.dag, label)):
            values[:, col] = k
            per_state.append(self._log_joint(draws, values))
        return jnp.stack(per_state, axis=-1)

    def log_px(self, draws: Draws, data: Dataset) -> jnp.ndarray:
        """log p(x): the label, if any, summed out exactly over its states."""
        if self.label is None:
            return self.log_likelihood(draws, data)
        return jax.nn.logsumexp(self.label_log_joint(draws, data), axis=-1)

    def cpds(self, draws: Draws) -> dict[str, np.ndarray]:
        """Posterior-mean CPDs, shaped ``(card, *parent_cards)`` as in ``graphs``."""
        probs = {}
        for c in self.cards:
            if c == 2:
                t = np.asarray(draws["theta"], dtype=np.float64).mean(axis=0)
                probs[c] = np.stack([1.0 - t, t], axis=-1)
            else:
                probs[c] = np.asarray(draws[site_name(c)], dtype=np.float64).mean(axis=0)
        out = {}
        for n in self.dag.nodes:
            offset, configs = self._rows[n]
            c = finite_card(self.dag, n)
            table = probs[c][offset : offset + configs].T
            out[n] = table.reshape(c, *(finite_card(self.dag, p) for p in self.dag.parents(n)))
        return out

    def sample(self, draws: Draws, key: jax.Array, n: int) -> np.ndarray:
        return self._ancestral(pick_draws(draws, key, n), jax.random.fold_in(key, 1), n)[0]

    def _ancestral(
        self, draws: Draws, key: jax.Array, n: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        probs = self.group_probs(draws)  # one draw per item
        values: dict[str, jax.Array] = {}
        for i, node in enumerate(self.dag.topological_order()):
            offset, _ = self._rows[node]
            config = self._config(node, values, n)
            p = probs[finite_card(self.dag, node)][jnp.arange(n), offset + config]
            values[node] = jax.random.categorical(jax.random.fold_in(key, i), jnp.log(p))
        x = np.stack([as_numpy(values[v]) for v in self.observed], axis=1)
        labels = self.dag.with_role("label")
        y = as_numpy(values[labels[0]]) if labels else None
        return x, y

    # -- known answers -----------------------------------------------------------------------
    def prior_draws(self, key: jax.Array, n: int) -> dict[str, jnp.ndarray]:
        out = {}
        for i, c in enumerate(self.cards):
            k = jax.random.fold_in(key, i)
            rows = self.group_rows[c]
            if c == 2:
                out["theta"] = jax.random.beta(k, self.alpha, self.alpha, (n, rows))
            else:
                conc = jnp.full((rows, c), self.alpha)
                out[site_name(c)] = jax.random.dirichlet(k, conc, (n, rows))
        return out

    def simulate(self, key: jax.Array, n: int) -> tuple[Dataset, dict]:
        truth = self.prior_draws(jax.random.fold_in(key, 0), 1)
        one = {k: jnp.repeat(v, n, axis=0) for k, v in truth.items()}
        x, y = self._ancestral(one, jax.random.fold_in(key, 1), n)
        labels = self.dag.with_role("label")
        data = Dataset(
            x,
            self.observed,
            tuple(finite_card(self.dag, v) for v in self.observed),
            y,
            self.dag.card(labels[0]) if labels else None,
            source=f"simulated {self.family}",
        )
        return data, {k: as_numpy(v[0]) for k, v in truth.items()}

    def posterior_params(self, data: Dataset) -> dict[int, np.ndarray]:
        """Conjugate posterior concentrations per card group: ``alpha + counts``."""
        return {c: self.alpha + v for c, v in self.counts(data).items()}

    def exact_draws(self, data: Dataset, key: jax.Array, n: int) -> dict[str, jnp.ndarray]:
        """Independent draws from the exact posterior (conjugacy), in the program's layout."""
        out = {}
        for i, (c, conc) in enumerate(self.posterior_params(data).items()):
            k = jax.random.fold_in(key, i)
            if c == 2:
                out["theta"] = jax.random.beta(k, conc[:, 1], conc[:, 0], (n, len(conc)))
            else:
                out[site_name(c)] = jax.random.dirichlet(k, jnp.asarray(conc), (n, len(conc)))
        return out

    def reference_draws(self, data: Dataset, n: int = 256, seed: int = 0) -> dict[str, np.ndarray]:
        """Exact posterior draws in NumPy (no JAX compile), float32, clipped off 0 and 1: the
        scale NUTS's warm-up starts from (see :func:`zoo.nuts.sample`)."""
        rng = np.random.default_rng(seed)
        out = {}
        for c, conc in self.posterior_params(data).items():
            g = rng.gamma(conc, size=(n, *conc.shape))
            p = np.clip(g / g.sum(axis=-1, keepdims=True), 1e-12, 1.0)
            p = p / p.sum(axis=-1, keepdims=True)
            value = np.clip(p[..., 1], 1e-12, 1 - 1e-12) if c == 2 else p
            out[site_name(c)] = value.astype(np.float32)
        return out

    def exact_moments(self, data: Dataset) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Exact posterior (mean, sd) of every site element."""
        out = {}
        for c, conc in self.posterior_params(data).items():
            total = conc.sum(axis=1, keepdims=True)
            mean = conc / total
            sd = np.sqrt(mean * (1 - mean) / (total + 1))
            out[site_name(c)] = (mean[:, 1], sd[:, 1]) if c == 2 else (mean, sd)
        return out

    def exact_mode(self, data: Dataset) -> dict[str, np.ndarray]:
        out = {}
        for c, conc in self.posterior_params(data).items():
            mode = (conc - 1) / (conc.sum(axis=1, keepdims=True) - c)
            out[site_name(c)] = mode[:, 1] if c == 2 else mode
        return out

    def exact_log_predictive(
        self, train: Dataset, data: Dataset, joint: bool = False
    ) -> np.ndarray:
        return _exact.log_predictive(self, train, data, joint)

    def exact_loo(self, train: Dataset) -> tuple[np.ndarray, np.ndarray]:
        return _exact.loo(self, train)

    @cached_property
    def label(self) -> str | None:
        labels = self.dag.with_role("label")
        return labels[0] if labels else None


@jit(static_argnums=0)
def _log_joint(cards: tuple[int, ...], idx: dict[int, jax.Array], draws: Draws) -> jax.Array:
    total: float | jax.Array = 0.0
    for c in cards:
        if c == 2:
            t = draws["theta"]
            lp = jnp.log(jnp.clip(jnp.stack([1.0 - t, t], axis=-1), 1e-30))
        else:
            lp = jnp.log(jnp.clip(draws[site_name(c)], 1e-30))
        flat = lp.reshape(lp.shape[0], -1)
        total = total + flat[:, idx[c]].sum(axis=-1)
    return jnp.asarray(total)  # an array already (cards is never empty); for the checker
