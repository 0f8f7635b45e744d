"""``toys``: three ways to a 2-D density, side by side on scikit-learn's moons and circles
and a pinwheel (standardised points).

* **flow** (:mod:`zoo.models._flow_toys`): spline MAF layers by maximum likelihood;
  normalised by construction, so its held-out nats are exact.
* **energy** (:mod:`zoo.models._energy_toys`): an MLP energy on the box ``[-4, 4]^2``,
  maximum likelihood with ``Z`` summed on a grid (exact up to quadrature); held-out nats
  with the fine grid's log Z; samples by unadjusted Langevin dynamics.
* **diffusion** (:mod:`zoo.models._diffusion_toys`): an MLP noise predictor (DDPM simple
  loss, cosine schedule, T = 100) with ancestral sampling; held-out nats are its
  variational bound (an upper bound on -log p).

Each toy has ``train`` points to fit and ``heldout`` fresh points to score. ``∫p`` is
summed on a ``grid`` x ``grid`` midpoint grid (flow: ``[-6, 6]^2``; energy: its box, a grid
other than the one that gave its log Z). Sample quality is the same statistic for all
three: the squared energy distance ``2 E|X - Y| - E|X - X'| - E|Y - Y'|`` between
``samples`` model draws and the held-out points (within-set means over distinct pairs, so it
is unbiased: 0 for the same distribution, up to noise), beside the same statistic for
``samples`` further points of the toy (the floor). Fit seconds go to the progress lines,
not the JSON (the same seed gives the same ``result.json``).

JSON contract:

* ``table``: one row per toy and model: ``toy``, ``model`` (``"flow"``, ``"energy"`` or
  ``"diffusion"``), ``heldout_nats`` (mean -log p per held-out point, or the diffusion's
  bound), ``nats`` (``"exact"``, ``"grid log Z"`` or ``"variational bound"``),
  ``integral`` (∫p on the grid; null for the diffusion, whose density is not available),
  ``energy_distance`` (samples against held-out points).
* ``summary``: ``toys`` maps each toy to ``flow``, ``energy`` and ``diffusion`` (each
  ``heldout_nats``, ``integral``, ``energy_distance``) and ``energy_distance_floor``;
  ``best_nats`` and ``best_samples`` map each toy to the model with the lowest held-out
  nats and energy distance; ``finding``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .._lazy import jax, jnp
from ..errors import ZooError
from ._checks import check_int
from ._run import (
    AnalysisResult,
    Progress,
    one_blas_thread,
    reporter,
    rounded,
    settings_for,
    stopwatch,
)

MODELS = ("flow", "energy", "diffusion")
NATS = {"flow": "exact", "energy": "grid log Z", "diffusion": "variational bound"}
PRESETS: dict[str, dict[str, Any]] = {
    "small": {
        "toys": ("moons", "circles", "pinwheel"),
        "train": 1000,
        "heldout": 500,
        "samples": 1000,
        "flow_layers": 2,
        "flow_steps": 400,
        "energy_steps": 600,
        "langevin_steps": 1000,
        "langevin_step": 0.003,
        "diffusion_steps": 3000,
        "grid": 700,
        "warp_figures": False,
    },
    "full": {
        "toys": ("moons", "circles", "pinwheel"),
        "train": 2000,
        "heldout": 1000,
        "samples": 2000,
        "flow_layers": 4,
        "flow_steps": 1500,
        "energy_steps": 2000,
        "langevin_steps": 3000,
        "langevin_step": 0.003,
        "diffusion_steps": 10000,
        "grid": 1000,
        "warp_figures": True,
    },
}
INTEGER_KEYS = (
    "train",
    "heldout",
    "samples",
    "flow_layers",
    "flow_steps",
    "energy_steps",
    "langevin_steps",
    "diffusion_steps",
)


def energy_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Squared energy distance between point sets ``a`` and ``b`` (rows are points), with
    the within-set means over distinct pairs (unbiased; 0 in expectation when both come
    from one distribution)."""

    def mean_dist(x: np.ndarray, y: np.ndarray, same: bool) -> float:
        d = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))
        pairs = len(x) * (len(y) - 1) if same else d.size
        return float(d.sum() / pairs)

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return 2 * mean_dist(a, b, False) - mean_dist(a, a, True) - mean_dist(b, b, True)


@one_blas_thread
def run_toys(
    *, size: str = "small", seed: int = 0, progress: Progress = None, **overrides: Any
) -> AnalysisResult:
    """A flow, an energy model and a diffusion fitted to each 2-D toy: held-out nats, ∫p on
    a grid, and the energy distance of their samples to held-out points.

    ``size="small"`` fits briefly (seconds per toy), ``"full"`` longer, on more points and
    with finer grids (the docs' numbers, and the flows' layer-by-layer warp figures).
    ``seed`` seeds the data, every fit and every sampler; ``progress`` receives one line per
    toy and model, with its fit seconds. The rest override the preset: ``toys`` (some of
    ``moons``, ``circles``, ``pinwheel``), ``train``, ``heldout`` and ``samples`` (points),
    ``flow_layers``, ``flow_steps``, ``energy_steps``, ``langevin_steps``,
    ``langevin_step`` (its step size), ``diffusion_steps``, ``grid`` (points per side of the
    ∫p grids) and ``warp_figures``.
    """
    from ..models._flow_toys import TOYS

    s = settings_for(size, seed, PRESETS, **overrides)
    if not s["toys"] or any(t not in TOYS for t in s["toys"]):
        raise ZooError(f"toys must be some of {list(TOYS)}, got {list(s['toys'])}")
    for key in INTEGER_KEYS:
        check_int(key, s[key])
    check_int("grid", s["grid"], 10)
    say = reporter(progress, "toys")
    table, summary, drawn = [], {}, {}
    for i, toy in enumerate(s["toys"]):
        fits = _fit_toy(toy, i, s, say)
        drawn[toy] = fits.pop("_draw")
        summary[toy] = fits
        for model in MODELS:
            table.append({"toy": toy, "model": model, "nats": NATS[model], **fits[model]})
            table[-1] = {k: table[-1][k] for k in _ROW_KEYS}
    out = {
        "toys": summary,
        "best_nats": {t: min(MODELS, key=lambda m: summary[t][m]["heldout_nats"]) for t in summary},
        "best_samples": {
            t: min(MODELS, key=lambda m: summary[t][m]["energy_distance"]) for t in summary
        },
    }
    out["finding"] = _finding(summary)
    from ._toys_figures import toys_figure

    figures = {"toys.png": toys_figure(drawn)}
    if s["warp_figures"]:
        from ..models._flow_toys import warp_figure

        for toy, d in drawn.items():
            figures[f"warp-{toy}.png"] = warp_figure(d["flow"], d["data"], seed=seed)
    return AnalysisResult("toys", out, table, figures, s)


_ROW_KEYS = ("toy", "model", "heldout_nats", "nats", "integral", "energy_distance")


def _fit_toy(toy: str, index: int, s: dict, say: Any) -> dict:
    """Fit the three models to one toy; their numbers, and what the figure draws."""
    from ..models import _diffusion_toys, _energy_toys, _flow_toys

    seed, n = s["seed"], s["samples"]
    points = _flow_toys.toy_data(toy, s["train"] + s["heldout"] + n, seed)
    train, test = points[: s["train"]], points[s["train"] : s["train"] + s["heldout"]]
    floor = energy_distance(points[s["train"] + s["heldout"] :], test)
    key = jax.random.fold_in(jax.random.PRNGKey(seed), index)
    kf, ke, kd, kl, ks, kb = jax.random.split(key, 6)
    out: dict[str, Any] = {}

    clock = stopwatch()
    flow = _flow_toys.train_toy(train, kf, layers=s["flow_layers"], steps=s["flow_steps"])
    seconds = clock()
    z = np.random.default_rng([seed, index]).standard_normal((n, 2)).astype(np.float32)
    flow_samples = _flow_inverse()(flow.chain, jnp.asarray(z))
    nats = -flow.log_density(test).mean()
    integral = _flow_toys.grid_integral(flow, resolution=s["grid"])
    out["flow"] = _record(nats, integral, flow_samples, test)
    say(f"{toy}: flow {_line(out['flow'])} (fit {seconds:.1f} s)")

    clock = stopwatch()
    energy = _energy_toys.train_energy(train, ke, steps=s["energy_steps"])
    seconds = clock()
    langevin = energy.sample(kl, n, steps=s["langevin_steps"], step_size=s["langevin_step"])
    nats = -energy.log_density(test).mean()
    out["energy"] = _record(nats, energy.grid_integral(s["grid"]), langevin, test)
    say(f"{toy}: energy {_line(out['energy'])} (fit {seconds:.1f} s)")

    clock = stopwatch()
    diffusion = _diffusion_toys.train_diffusion(train, kd, steps=s["diffusion_steps"])
    seconds = clock()
    steps = diffusion.schedule.steps
    samples, path = diffusion.sample(ks, n, keep=tuple(range(steps + 1)))
    nats = diffusion.bound(test, kb).mean()
    out["diffusion"] = _record(nats, None, samples, test)
    say(f"{toy}: diffusion {_line(out['diffusion'])} (fit {seconds:.1f} s)")

    out["energy_distance_floor"] = rounded(floor)
    out["_draw"] = {
        "data": train,
        "flow": flow,
        "flow_samples": flow_samples,
        "base": z,
        "energy": energy,
        "langevin": langevin,
        "diffusion": samples,
        "path": np.stack([path[t] for t in range(steps, -1, -1)]),
    }
    return out


@functools.cache
def _flow_inverse() -> Callable[[Any, Any], np.ndarray]:
    """Base points -> data space through a flow chain, compiled once per chain shape."""
    import equinox as eqx

    run = eqx.filter_jit(lambda chain, z: jax.vmap(chain.inverse)(z))
    return lambda chain, z: np.asarray(run(chain, z))


def _record(nats: float, integral: float | None, samples: np.ndarray, test: np.ndarray) -> dict:
    return {
        "heldout_nats": rounded(nats),
        "integral": rounded(integral, 6),
        "energy_distance": rounded(energy_distance(samples, test)),
    }


def _line(r: dict) -> str:
    integral = "" if r["integral"] is None else f", ∫p {r['integral']}"
    return f"{r['heldout_nats']} nats{integral}, energy distance {r['energy_distance']}"


def _finding(summary: dict) -> str:
    parts = []
    for toy, r in summary.items():
        nats = ", ".join(f"{m} {r[m]['heldout_nats']}" for m in MODELS)
        dist = ", ".join(f"{m} {r[m]['energy_distance']}" for m in MODELS)
        parts.append(
            f"{toy}: held-out nats {nats}; energy distance {dist} "
            f"(floor {r['energy_distance_floor']})"
        )
    return (
        "flow (exact) and energy (grid log Z) integrate to 1 on the grid; the diffusion's "
        "nats are a bound. " + "; ".join(parts)
    )
