"""``inpaint``: fill in the bottom half of a digit given its top half, family by family.

Every family is fitted to the training images of the digits split that ``zoo compare`` uses
(:func:`zoo.data.digits_split`), with the compare rows' options and the budget's steps
(``quick`` for the small preset, ``default`` for the full one). The top is rows 0-3 of the
8x8 image (pixels 0-31 in raster order), the bottom rows 4-7. Each family scores the
held-out conditional ``-mean_i log p(bottom_i | top_i)`` (nats per image; lower is better)
and draws completions: the top given, several bottoms sampled.

How each conditional is computed (the table's ``method``):

* tabular families (``independent``, ``markov-chain``, ``markov-grid``, ``naive-bayes``):
  exactly, from the conjugate posterior predictive (:mod:`._inpaint_exact`); the top is
  ancestral in every one of their graphs, so ``p(top)`` drops the bottom's CPDs, and naive
  Bayes mixes the bottoms by the label's posterior given the top;
* ``latent-class``: exactly at the MAP-EM point, by the class's posterior given the top;
* ``autoregressive-*``: the chain rule at the MAP (the raster order starts with the top);
* ``vae``: importance sampling in z (:mod:`._inpaint_deep`): an estimate, not a bound;
* ``diffusion``: completions by guided denoising; no conditional nats (a difference of two
  variational bounds bounds nothing);
* ``rbm``: completions by Gibbs sampling with the top clamped; no conditional nats (it
  needs ``Z(top)`` for every test image);
* ``flow``: not run (it models dequantised pixels: the conditional needs the bottom's
  32-dimensional cube integrated for each image).

JSON contract:

* ``table``: one row per family: ``family``, ``method``, ``nats_bottom`` (held-out
  conditional nats per image, null where not computed), ``bits_per_pixel`` (the same per
  bottom pixel, in bits), ``nats_top`` and ``nats_image`` (held-out ``-log p(top)`` and
  ``-log p(x)``, whose difference is ``nats_bottom``), ``note`` (why a number is missing,
  or what it is).
* ``summary``: ``families`` maps each family to ``nats_bottom``, ``bits_per_pixel`` and
  ``method``; ``best`` (the lowest conditional nats); ``top_pixels``, ``bottom_pixels``,
  ``test_items``, ``shown`` (the test items drawn in the figure); ``finding``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import models as _models
from ..errors import ZooError
from ..validate import some_of
from . import _run
from ._checks import check_int
from ._run import AnalysisResult, Progress, one_blas_thread, reporter, rounded, settings_for

if TYPE_CHECKING:
    from ..data import Dataset

TOP = 32  # pixels 0..31: rows 0-3 of the 8x8 digits
#: the rows this analysis runs, in table order
FAMILIES = (
    "independent",
    "markov-chain",
    "markov-grid",
    "naive-bayes",
    "latent-class",
    "autoregressive-logistic",
    "autoregressive-neural",
    "vae",
    "diffusion",
    "rbm",
    "flow",
)
PRESETS: dict[str, dict[str, Any]] = {
    "small": {
        "families": (
            "independent",
            "markov-chain",
            "naive-bayes",
            "latent-class",
            "autoregressive-logistic",
            "vae",
            "diffusion",
        ),
        "budget": "quick",
        "steps": None,
        "importance": 500,
        "show": 4,
        "samples": 3,
        "sweeps": 200,
    },
    "full": {
        "families": FAMILIES,
        "budget": "default",
        "steps": None,
        "importance": 5000,
        "show": 6,
        "samples": 4,
        "sweeps": 1000,
    },
}
NO_FLOW = "not run: a flow models dequantised pixels; p(bottom | top) needs a 32-d integral"


@dataclass
class Outcome:
    """One family's result: the per-item log densities (or ``None``) and completions."""

    method: str
    log_px: np.ndarray | None = None
    log_top: np.ndarray | None = None
    completions: np.ndarray | None = None
    note: str | None = None


@one_blas_thread
def run_inpaint(
    *, size: str = "small", seed: int = 0, progress: Progress = None, **overrides: Any
) -> AnalysisResult:
    """Held-out nats of the bottom half of a digit given its top half, and completions.

    ``size="small"`` runs seven families at the quick budget's steps (seconds), ``"full"``
    every family at the default budget's (the docs' numbers). ``seed`` seeds the fits,
    the importance samples and the completions; ``progress`` receives one line per family.
    The rest override the preset: ``families`` (some of :data:`FAMILIES`), ``budget``
    (``zoo compare``'s, for the steps and latent classes), ``steps`` (every fitted row's
    optimisation steps, replacing the budget's), ``importance`` (the VAE's
    importance samples per item), ``show`` (test digits in the figure), ``samples``
    (completions per digit) and ``sweeps`` (the RBM's clamped Gibbs sweeps).
    """
    from ..compare import BUDGETS

    s = settings_for(size, seed, PRESETS, **overrides)
    some_of(s["families"], FAMILIES, "family", "families")
    if s["budget"] not in BUDGETS:
        raise ZooError(f"unknown budget {s['budget']!r}; expected one of {list(BUDGETS)}")
    for key in ("importance", "show", "samples", "sweeps"):
        check_int(key, s[key])
    if s["steps"] is not None:
        check_int("steps", s["steps"])
    say = reporter(progress, "inpaint")
    from ..data import digits_split

    train, test = digits_split()
    shown = np.sort(np.random.default_rng([seed, 1]).choice(test.n_items, s["show"], False))
    given = np.repeat(test.x[shown], s["samples"], axis=0)
    table, summary, pictures = [], {}, {}
    for name in s["families"]:
        seconds = _run.stopwatch()
        out = _run_family(name, train, test.x, given, s)
        row = _row(name, out)
        table.append(row)
        summary[name] = {k: row[k] for k in ("nats_bottom", "bits_per_pixel", "method")}
        if out.completions is not None:
            pictures[name] = out.completions
        say(f"{name}: {row['nats_bottom']} nats for the bottom ({seconds():.0f} s)")
    scored = {f: v["nats_bottom"] for f, v in summary.items() if v["nats_bottom"] is not None}
    best = min(scored, key=lambda f: scored[f]) if scored else None
    result = {
        "families": summary,
        "best": best,
        "top_pixels": TOP,
        "bottom_pixels": test.n_vars - TOP,
        "test_items": test.n_items,
        "shown": [int(i) for i in shown],
        "finding": _finding(scored, best),
    }
    from ._inpaint_figure import completions_figure

    figures = {"inpaint.png": completions_figure(test.x[shown], pictures, s["samples"], TOP)}
    s.update(train_items=train.n_items)
    return AnalysisResult("inpaint", result, table, figures, s)


def _row(name: str, out: Outcome) -> dict[str, Any]:
    nats: dict[str, float | None] = {"nats_bottom": None, "nats_top": None, "nats_image": None}
    if out.log_px is not None and out.log_top is not None:
        nats = {
            "nats_bottom": -float(np.mean(out.log_px - out.log_top)),
            "nats_top": -float(np.mean(out.log_top)),
            "nats_image": -float(np.mean(out.log_px)),
        }
    bottom = nats["nats_bottom"]
    return {
        "family": name,
        "method": out.method,
        "nats_bottom": rounded(bottom),
        "bits_per_pixel": None if bottom is None else rounded(bottom / ((64 - TOP) * math.log(2))),
        "nats_top": rounded(nats["nats_top"]),
        "nats_image": rounded(nats["nats_image"]),
        "note": out.note,
    }


def _model(name: str, train: Dataset, budget: Any) -> Any:
    family, row = _models.rows()[name]
    options = _models.get_family(family).row_options(row, train, budget.latent_classes)
    return _models.make_model(family, **options), row


def _steps(name: str, row: Any, budget: Any) -> int:
    return int(budget.steps.get(name) or row.steps.get(budget.name) or budget.default_steps)


def _run_family(
    name: str, train: Dataset, x: np.ndarray, given: np.ndarray, s: dict[str, Any]
) -> Outcome:
    """Fit row ``name`` to ``train``; score the test images ``x`` and complete ``given``."""
    import jax

    from ..compare import BUDGETS
    from ..models import Conjugate
    from ..models.autoregressive import Autoregressive
    from ..models.diffusion import Diffusion
    from ..models.latent_class import LatentClass
    from ..models.rbm import RBM
    from ..models.vae import Vae
    from . import _inpaint_deep as deep
    from . import _inpaint_exact as exact

    if name == "flow":
        return Outcome("none", note=NO_FLOW)
    budget = BUDGETS[s["budget"]]
    model, row = _model(name, train, budget)
    key = jax.random.PRNGKey(s["seed"])
    rng = np.random.default_rng([s["seed"], 2])
    if isinstance(model, Conjugate):
        net = exact.tabular_network(model, train)
        return _exact(net, x, given, rng, "exact: conjugate posterior predictive")
    if isinstance(model, LatentClass):
        from ..models._em import FLOOR

        draws = model.point_estimate(train, seed=s["seed"])
        pi, theta = (np.asarray(draws[k])[0] for k in ("pi", "theta"))
        net = exact.mixture_network(model.dag, pi, theta, FLOOR)
        return _exact(net, x, given, rng, "exact at the MAP-EM point: p(class | top)")
    steps = s["steps"] or _steps(name, row, budget)
    if isinstance(model, Autoregressive):
        draws = model.map_fits(train, [train.n_items], steps=steps, seed=s["seed"])
        log_px, log_top = exact.autoregressive_log_joint(model, draws, x, TOP)
        done = exact.autoregressive_complete(model, draws, given, TOP, key)
        return Outcome("chain rule at the MAP (exact)", log_px, log_top, done)
    if not isinstance(model, Vae | Diffusion | RBM):
        raise ZooError(f"inpaint has no conditional for family row {name!r}")
    point, _ = model.train(train, key, steps=steps, learning_rate=model.learning_rate)
    draws = {k: np.asarray(v)[None] for k, v in point.items()}
    k_score, k_done = jax.random.split(jax.random.fold_in(key, 1))
    if isinstance(model, Vae):
        k = s["importance"]
        log_px, log_top = deep.vae_log_joint(model, draws, x, TOP, k, k_score)
        fill = train.x[:, TOP:].mean(axis=0)
        done, ess = deep.vae_complete(model, draws, given, TOP, fill, k, k_done)
        note = (
            f"ratio of two importance estimates (K = {k}): consistent, not a bound; "
            f"completions' median ESS {np.median(ess):.0f} of {k}"
        )
        return Outcome("importance sampling in z", log_px, log_top, done, note)
    if isinstance(model, Diffusion):
        done = deep.diffusion_complete(model, draws, given, TOP, k_done)
        note = "no conditional nats: a difference of two variational bounds is not a bound"
        return Outcome("guided denoising (replacement)", completions=done, note=note)
    done = deep.rbm_complete(model, draws, given, TOP, k_done, s["sweeps"])
    note = "no conditional nats: log p(bottom | top) needs Z(top) per image (AIS each)"
    return Outcome(f"Gibbs, top clamped ({s['sweeps']} sweeps)", completions=done, note=note)


def _exact(
    net: Any, x: np.ndarray, given: np.ndarray, rng: np.random.Generator, method: str
) -> Outcome:
    log_px, log_top = net.log_joint(x, TOP)
    return Outcome(method, log_px, log_top, net.complete(given, TOP, rng))


def _finding(scored: dict[str, float], best: str | None) -> str:
    if best is None:
        return "no family scored the bottom half"
    ranked = ", ".join(f"{f} {v}" for f, v in sorted(scored.items(), key=lambda p: p[1]))
    return f"held-out nats of the bottom half given the top (lower is better): {ranked}"
