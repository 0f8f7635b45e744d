"""Restricted Boltzmann machine: an energy-based model over binary pixels, with ``H`` binary
hidden units that are summed out.

    E(x, h) = -b.x - c.h - x W h,   p(x, h) = exp(-E(x, h)) / Z
    p(x) = exp(-F(x)) / Z,   F(x) = -b.x - sum_j softplus(c_j + x W_j)
    W_ij ~ Normal(0, prior_scale),   b_i, c_j ~ Normal(0, bias_scale)

``n H + n + H`` free parameters. Unlike every other family, the density is not normalised
by construction: ``Z = sum_x exp(-F(x))`` runs over 2^n images and is *estimated*, by
annealed importance sampling (AIS, with a standard error), or computed exactly when the
smaller layer has at most 20 units (``_rbm_engine.EXACT_MAX``). Held-out nats per image are
``mean F(x) + log Z``; they carry log Z's interval.

The graph. An RBM's own graph is undirected and bipartite (x_i ⟂ x_k | h and h_j ⟂ h_l | x).
Summing the hidden units out couples every pair of pixels, so the visible marginal is a
Markov network complete over the pixels: it claims no independence among them, and the
only DAGs that claim no more than it does are complete. The family declares the complete
DAG in raster order (the autoregressive family's graph) and says so; the hidden units are
not nodes (no DAG over x and h states both of the RBM's conditional independences). The
count ``n H + n + H`` comes from the energy, not from the graph.

The programs. :meth:`RBM.program` samples the weights from their priors and adds
``-F(x)`` per item with ``numpyro.factor``: an *unnormalised* density (Z depends on the
weights and is left out), which is why the family is trained by persistent contrastive
divergence, not by NUTS or SVI. The loop form :meth:`RBM.program_items` has the same density
with one site per pixel: pixel ``i`` is drawn from the Gibbs conditional with the later
pixels off, ``q(x_i | x_<i)``, and a factor adds ``-F(x) - sum_i log q(x_i | x_<i)``, so the
read graph is the complete DAG and the density is still ``-F(x)``.

Training (``method="pcd"``): Adam on the log posterior per item, its intractable term
``E_model[grad F]`` estimated from persistent Gibbs chains (Tieleman 2008), one compiled
``lax.scan``. The objective's trace is the pseudo-log-likelihood per training image of each
step's minibatch, ``sum_i log p(x_i | x_-i)`` (exact, needs no Z: higher is better). Once
trained, AIS estimates log Z and keeps it with the point (auxiliary sites ``log_z``,
``log_z_se``, ``ais_ess``), so every later score uses the same estimate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import graphs
from graphs import DAG

from .._lazy import dist, jax, jit, jnp, numpyro
from ..data import Dataset, square_shape
from ..errors import ZooError
from ..validate import positive_int, positive_numbers
from . import _rbm_engine as eng
from ._base import Draws, Family, Trained, as_numpy, pick_draws
from ._spec import FamilySpec, Row, binary_only

SITES = ("w", "b_visible", "b_hidden")
#: persistent chains, minibatch and Gibbs sweeps before a sample
PARTICLES, BATCH, SWEEPS = 100, 100, 500


class RBM(Family, Trained):
    """A binary RBM with ``hidden`` units over the DAG's ``n`` binary pixels."""

    family = "rbm"
    methods = ("pcd",)
    default_method = "pcd"
    method_reason = (
        "an energy model's likelihood needs Z, intractable for 2^n images: trained by "
        "persistent contrastive divergence, log Z estimated by AIS (normalisation estimated, "
        "not exact); the graph is complete over the pixels, what the hidden units imply"
    )
    objective = "pseudo_log_lik"
    learning_rate = 0.01
    invariant_only = True  # hidden units swap freely

    def __init__(
        self, dag: DAG, hidden: int = 64, prior_scale: float = 1.0, bias_scale: float = 5.0
    ) -> None:
        positive_int("hidden", hidden)
        positive_numbers(prior_scale=prior_scale, bias_scale=bias_scale)
        super().__init__(dag)
        self.n, self.hidden = len(dag), hidden
        self.scales = {"w": float(prior_scale), "b_visible": float(bias_scale)}
        self.scales["b_hidden"] = float(bias_scale)
        self.shapes = {"w": (self.n, hidden), "b_visible": (self.n,), "b_hidden": (hidden,)}

    # -- structure ------------------------------------------------------------------------
    def param_count(self) -> int:
        return self.n * self.hidden + self.n + self.hidden

    def param_sites(self) -> frozenset[str]:
        return frozenset(SITES)

    def auxiliary_sites(self) -> frozenset[str]:
        return frozenset({"log_z", "log_z_se", "ais_ess"})

    def calibration_sites(self) -> list[str] | None:
        return ["b_visible"]

    def program_kwargs(self, data: Dataset) -> dict:
        self.check_data(data)
        return {"x": jnp.asarray(data.x, jnp.float32)}

    # -- programs ---------------------------------------------------------------------------
    def _params(self) -> dict:
        return {
            k: numpyro.sample(k, dist.Normal(0.0, self.scales[k]).expand(s).to_event(len(s)))
            for k, s in self.shapes.items()
        }

    def program(self, x: Any = None) -> None:
        """The weights from their priors, then ``-F(x)`` per item: unnormalised (no Z)."""
        if x is None:
            raise ZooError("rbm: the program scores data x; draw items with sample()")
        p = self._params()
        with numpyro.plate("items", x.shape[0]):
            numpyro.factor("energy", -eng.free_energy(p, x))

    def program_items(self, values: Any = None, n_items: int = 1) -> None:
        """One site per pixel, each drawn from the Gibbs conditional with the later pixels
        off; a factor corrects the density to ``-F(x)`` (the module notes say why)."""
        p = self._params()
        m = n_items if values is None else values.shape[0]
        seen: dict[int, Any] = {}
        log_q = 0.0
        with numpyro.plate("items", m):
            for i, node in enumerate(self.observed):
                cols = [seen.get(j, jnp.zeros(m)) for j in range(self.n)]
                x = jnp.stack([jnp.asarray(c, jnp.float32) for c in cols], axis=1)
                q = dist.Bernoulli(logits=eng.later_off_logit(p, x, i))
                obs = None if values is None else values[:, i]
                seen[i] = numpyro.sample(node, q, obs=obs)
                log_q = log_q + q.log_prob(seen[i])
            x = jnp.stack([jnp.asarray(seen[j], jnp.float32) for j in range(self.n)], axis=1)
            numpyro.factor("energy", -eng.free_energy(p, x) - log_q)

    # -- training ---------------------------------------------------------------------------
    def train(self, data, key, *, steps, learning_rate, batch_size=None, progress=None):
        """PCD for ``steps`` steps, then log Z by AIS from the data's pixel marginals."""
        self.check_data(data)
        x = jnp.asarray(data.x, jnp.float32)
        mean = np.clip(np.asarray(data.x).mean(axis=0), 0.01, 0.99)
        base = np.log(mean / (1 - mean)).astype(np.float32)
        k_init, k_pcd, k_ais = jax.random.split(key, 3)
        init = {  # small weights, visible biases at the pixels' log-odds (Hinton 2010)
            "w": 0.01 * jax.random.normal(k_init, self.shapes["w"]),
            "b_visible": jnp.asarray(base),
            "b_hidden": jnp.zeros(self.hidden),
        }
        batch = min(int(batch_size or BATCH), data.n_items)
        scales = tuple(sorted(self.scales.items()))
        p, trace = eng.pcd(init, x, k_pcd, int(steps), batch, learning_rate, PARTICLES, scales)
        point = {k: as_numpy(v) for k, v in p.items()}
        if progress is not None:
            progress(steps, steps)
        point.update(self._normaliser(p, k_ais, base))
        return point, as_numpy(trace)

    def _normaliser(self, p: dict, key: Any, base: Any = None) -> dict:
        if min(self.n, self.hidden) <= eng.EXACT_MAX:
            z, se, ess = eng.exact_log_z(p), 0.0, math.nan
        else:
            z, se, ess = eng.ais(p, key, base)
        return {"log_z": np.float32(z), "log_z_se": np.float32(se), "ais_ess": np.float32(ess)}

    # -- from draws ---------------------------------------------------------------------------
    def _draw(self, draws: Draws, r: int) -> dict:
        return {k: jnp.asarray(draws[k][r], jnp.float32) for k in SITES}

    def log_z(self, draws: Draws) -> np.ndarray:
        """``(draws,)`` log Z: the one kept with a trained point, else computed (exact when
        small, AIS from the visible biases with a fixed key otherwise)."""
        if "log_z" in draws:
            return np.asarray(draws["log_z"], np.float64).reshape(-1)
        total = len(draws["w"])
        key = jax.random.PRNGKey(0)
        return np.array(
            [self._normaliser(self._draw(draws, r), key)["log_z"] for r in range(total)]
        )

    def log_likelihood(self, draws: Draws, data: Dataset) -> Any:
        """``(draws, items)`` log p(x) = -F(x) - log Z, normalised with the (estimated) Z."""
        x = self.program_kwargs(data)["x"]
        p = {k: jnp.asarray(draws[k], jnp.float32) for k in SITES}
        neg_f = -_free_energies(p, x)
        return neg_f - jnp.asarray(self.log_z(draws), jnp.float32)[:, None]

    def sample(self, draws: Draws, key: Any, n: int) -> np.ndarray:
        """``n`` items, each from a fresh Gibbs chain of ``SWEEPS`` sweeps under its own draw,
        started from the visible biases alone."""
        picked = pick_draws({k: draws[k] for k in SITES}, key, n)
        picked = {k: v.astype(jnp.float32) for k, v in picked.items()}
        k0, k1 = jax.random.split(jax.random.fold_in(key, 1))
        start = jax.random.uniform(k0, (n, self.n)) < jax.nn.sigmoid(picked["b_visible"])
        x = eng.gibbs_chains(picked, start.astype(jnp.float32), k1, SWEEPS)
        return as_numpy(x).astype(np.int32)

    def fit_diagnostics(self, draws: Draws, data: Dataset) -> dict[str, Any]:
        """log Z, and AIS's standard error (under 0.1 nats passes) and effective runs."""
        se, ess = float(draws["log_z_se"][0]), float(draws["ais_ess"][0])
        out: dict[str, Any] = {"log_z": float(draws["log_z"][0])}
        if math.isnan(ess):
            out["normalisation"] = "exact (enumerated)"
            return out
        out.update(normalisation="estimated (AIS)", ais_runs=eng.AIS_RUNS)
        out.update(ais_temperatures=eng.AIS_TEMPS, ais_ess=ess)
        out["ais_se"] = (se, 0.1, se < 0.1)
        return out

    def heldout_details(self, draws: Draws, test: Dataset) -> dict[str, Any]:
        """log Z with its se, and held-out nats per image with ± 2 se (log Z's error is
        shared by every item, so it shifts the mean as a whole)."""
        z = self.log_z(draws)
        se = float(np.asarray(draws.get("log_z_se", [0.0]))[0])
        nats = -float(np.mean(as_numpy(self.log_likelihood(draws, test))[0]))
        exact = se == 0.0 and min(self.n, self.hidden) <= eng.EXACT_MAX
        return {
            "normalisation": "exact (enumerated)" if exact else "estimated (AIS)",
            "log_z": float(z[0]),
            "log_z_se": se,
            "nats_per_item": nats,
            "nats_interval": [nats - 2 * se, nats + 2 * se],
        }

    # -- known answers -----------------------------------------------------------------------
    def simulate(self, key: Any, n: int) -> tuple[Dataset, dict]:
        """``n`` items by Gibbs sampling from weights drawn from the prior."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ZooError(f"n must be a positive int, got {n!r}")
        truth = {
            k: self.scales[k] * jax.random.normal(jax.random.fold_in(key, i), s)
            for i, (k, s) in enumerate(self.shapes.items())
        }
        x = self.sample({k: v[None] for k, v in truth.items()}, jax.random.fold_in(key, 9), n)
        names = self.observed
        data = Dataset(x, names, (2,) * self.n, shape=square_shape(self.n), source="simulated rbm")
        return data, {k: as_numpy(v) for k, v in truth.items()}


@jit
def _free_energies(p: dict, x: Any) -> Any:
    return jax.vmap(eng.free_energy, in_axes=(0, None))(p, x)


def _dag(n: int = 64, **_: Any) -> DAG:
    complete = graphs.autoregressive(n)
    return DAG(complete.variables, complete.edges, name="rbm")


def _count(dag: DAG, hidden: int = 64, **_: Any) -> int:
    n = len(dag)
    return n * hidden + n + hidden


SPEC = FamilySpec(
    "rbm",
    "Restricted Boltzmann machine (energy-based; hidden units summed out, Z estimated by AIS)",
    "p(x) = exp(-F(x)) / Z,  F(x) = -b.x - sum_j softplus(c_j + x W_j)",
    "n H + n + H (weights, visible and hidden biases)",
    _dag,
    ("n", "hidden"),
    model=RBM,
    count=_count,
    conditional=lambda **_: "energy",
    # 64 hidden units: 100 scored no better (16.53 against 16.52 nats at 10,000 steps)
    rows=(
        Row(
            "rbm",
            {"hidden": 64},
            anomaly=False,
            steps={"quick": 2000, "default": 10000, "thorough": 20000},
        ),
    ),
    unsupported=binary_only,
    example={"n": 4, "hidden": 3},
    order=60,
)
