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
from typing import Any

import numpy as np

import graphs
from graphs import DAG

from .._lazy import dist, jax, jnp, numpyro
from ..data import Dataset, square_shape
from ..errors import ZooError
from ..validate import positive_int
from ._base import Draws, Family, ItemPlate, MapFits, as_numpy, chunked, pick_draws
from ._made import (
    MaskedNet,
    _complete_order,
    _direct_mask,
    _distribution,
    _map_adam,
    _permutation,
    _reordered,
)
from ._spec import FamilySpec, Row, binary_only

CONDITIONALS = ("logistic", "neural")
ACTIVATIONS = ("tanh", "relu")
#: prior scale of the weights when none is given; the neural one is tuned on the digits split
PRIOR_SCALE = {"logistic": 1.0, "neural": 0.5}


class Autoregressive(ItemPlate, Family, MapFits, MaskedNet):
    """A fully visible autoregressive model with a logistic or masked-MLP conditional.

    The network itself (``dense``, ``logits``, log p(x), ancestral sampling) is
    ``MaskedNet`` (in ``_made``).

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
        positive_int("hidden", hidden)
        positive_int("masks", masks)
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
            width = int(hidden)  # self.hidden, known here not to be None
            per = [graphs.made_masks(n, width, o) for o in orders]
            layers += [
                ("w_hidden", self.prior_scale, np.stack([m[0][0] for m in per])),
                ("b_hidden", self.bias_scale, width),
                ("w_out", self.prior_scale, np.stack([m[0][1] for m in per])),
            ]
            direct_masks = np.stack([m[1] for m in per])
        else:
            direct_masks = np.stack([_direct_mask(order)])
        if self.direct:
            layers.append(("w_direct", self.prior_scale, direct_masks))
        layers.append(("b_out", self.bias_scale, n))
        self._lay_out(layers)

    # -- structure ------------------------------------------------------------------------
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
    ) -> Any:  # the weights, or (weights, losses) with return_losses, as in MapFits
        """MAP weights fitted to the first ``m`` items of ``data`` for each ``m`` in
        ``sizes``, as ``(len(sizes), ...)`` draws: Adam (optax) on the log posterior, as SVI with a
        MAP guide does, started like it.

        Every size weighs the same padded array with a 0/1 item mask and the sizes run
        under one ``vmap``, so a whole learning curve costs one compile. With
        ``return_losses`` also the ``(len(sizes), steps)`` negative log joint at each step
        (the negative ELBO of a MAP guide).
        """
        positive_int("steps", steps)
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

    # -- the program and what follows from draws --------------------------------------------
    def global_sites(self) -> dict[str, jnp.ndarray]:
        """The weights, from their priors."""
        return {
            name: numpyro.sample(
                name, dist.Normal(0.0, self._scales[name]).expand([size]).to_event(1)
            )
            for name, size in self._sizes.items()
        }

    def item_sites(self, params: Any, x: jnp.ndarray | None, size: int) -> None:
        """Every item's bits through the autoregressive net."""
        numpyro.sample("x", _distribution()(self, params, (size,)), obs=x)

    def program_items(self, values: jnp.ndarray | None = None, n_items: int = 1) -> None:
        """The loop form, for reading the graph out of the code: one site per variable,
        each variable's logit computed from the sites before it only (the net is run once
        per variable, so this is for inspection at small sizes, not for fitting)."""
        if self.masks != 1:
            raise ZooError(
                "the loop form needs one ordering (masks=1); a mixture of "
                "orderings has no single per-variable factorisation"
            )
        params = self.global_sites()
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
        positive_int("n", n)
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
    unsupported=binary_only,
    order=50,
)
