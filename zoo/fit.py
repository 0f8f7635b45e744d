"""``fit(model, data, method=...)``: NUTS through :mod:`zoo.nuts` (numpyro's kernels, compiled
once per model shape), SVI through
``numpyro.infer.SVI`` with autoguides, and exact conjugate draws where they exist; every
result holds an ArviZ ``InferenceData`` with the same groups and the timings.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from . import _jax
from .data import Dataset
from .models._base import Model, as_numpy

METHODS = ("nuts", "svi", "exact")
GUIDES = ("normal", "map", "lowrank")


@dataclass
class FitResult:
    """A fitted model: the ``InferenceData``, the settings and the seconds spent."""

    model: Model
    method: str
    idata: object
    seconds: dict
    settings: dict
    data: Dataset
    elbo: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    def draws(self) -> dict[str, jnp.ndarray]:
        """Posterior draws of every site, chains and draws merged into one leading axis."""
        post = self.idata.posterior
        return {
            k: jnp.asarray(v.values.reshape(-1, *v.shape[2:])) for k, v in post.data_vars.items()
        }


def _check_choice(value: str, allowed, what: str) -> None:
    if value not in allowed:
        raise ValueError(f"Unknown {what} {value!r}; expected one of {list(allowed)}")


def _positive(**values) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")


#: the most memory a fit's draws may take before it is refused up front (bytes)
MEMORY_LIMIT = int(os.environ.get("ZOO_MEMORY_LIMIT", 8 * 2**30))


def memory_estimate(params: int, total_draws: int, items: int) -> int:
    """Bytes a fit holds at its peak: every parameter and every item's log-likelihood per
    draw, as float32, about three copies (JAX, NumPy, ArviZ)."""
    return 3 * 4 * total_draws * (params + items)


def check_memory(params: int, total_draws: int, items: int) -> None:
    """Refuse up front, with the estimate, a fit whose draws would not fit in memory."""
    need = memory_estimate(params, total_draws, items)
    if need > MEMORY_LIMIT:
        raise ValueError(
            f"this fit would need about {need / 2**30:.1f} GiB for {total_draws:,} draws of "
            f"{params:,} parameters and {items:,} items' log-likelihoods (limit "
            f"{MEMORY_LIMIT / 2**30:.0f} GiB, ZOO_MEMORY_LIMIT); ask for fewer chains or draws"
        )


def check_budget(chains, warmup, draws, steps, target_accept) -> None:
    """``ValueError`` unless the counts are positive ints and ``target_accept`` in (0, 1)."""
    _positive(chains=chains, warmup=warmup, draws=draws, steps=steps)
    if not 0 < target_accept < 1:
        raise ValueError(f"target_accept must be in (0, 1), got {target_accept}")


def fit(
    model: Model,
    data: Dataset,
    method: str | None = None,
    *,
    seed: int = 0,
    chains: int = 4,
    warmup: int = 1000,
    draws: int = 1000,
    target_accept: float = 0.8,
    steps: int = 3000,
    guide: str | None = None,
    learning_rate: float = 0.01,
    batch_size: int | None = None,
    progress: bool = False,
    pointwise: bool = True,
) -> FitResult:
    """Fit ``model`` to ``data`` and return a :class:`FitResult`.

    ``method`` is ``"nuts"``, ``"svi"`` or ``"exact"`` (conjugate tabular families only);
    by default the family's own choice. NUTS runs ``chains`` chains of ``warmup`` + ``draws``
    iterations; SVI runs ``steps`` Adam steps with a mean-field Normal (``"normal"``), MAP
    (``"map"``) or low-rank (``"lowrank"``) guide (by default the family's own choice), then
    draws ``chains x draws`` times from the guide.
    ``pointwise=False`` skips the per-item log-likelihood group (what LOO and the held-out
    comparisons read), which costs draws x items: for timing the posterior alone.
    The same ``seed`` gives the same numbers.
    """
    method = model.default_method if method is None else method
    guide = getattr(model, "default_guide", "normal") if guide is None else guide
    _check_choice(method, METHODS, "method")
    _check_choice(guide, GUIDES, "guide")
    check_budget(chains, warmup, draws, steps, target_accept)
    if batch_size is not None:
        _positive(batch_size=batch_size)
    model.check_data(data)
    model.check_training(data)
    check_memory(model.param_count(), chains * draws, data.n_items)
    settings = {"seed": seed, "chains": chains, "warmup": warmup, "draws": draws}
    settings["pointwise"] = pointwise
    key = jax.random.PRNGKey(seed)
    if method == "nuts":
        settings["target_accept"] = target_accept
        return _nuts(model, data, key, settings, progress)
    if method == "svi":
        settings.update(
            steps=steps, guide=guide, learning_rate=learning_rate, batch_size=batch_size
        )
        return _svi(model, data, key, settings, progress)
    from .models import Conjugate

    if not isinstance(model, Conjugate):
        raise ValueError(f"method 'exact' needs a conjugate family; {model.family!r} is not one")
    with _jax.stopwatch() as clock:
        post = model.exact_draws(data, key, chains * draws)
        post = {k: as_numpy(v).reshape(chains, draws, *v.shape[1:]) for k, v in post.items()}
    return _result(model, data, "exact", post, None, clock, settings)


def progress_printer(what: str):
    """A ``progress(done, total)`` callback that rewrites one line on standard error."""
    import sys

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{what}: {min(done, total):,}/{total:,} iterations{end}")
        sys.stderr.flush()

    return show


def _nuts(model: Model, data: Dataset, key, settings: dict, progress: bool) -> FitResult:
    from . import nuts

    kwargs, offset = model.sampler_kwargs(data)
    cache_key = model.program_key() or ("model", id(model))
    with _jax.stopwatch() as clock:
        samples, extra, info = nuts.sample(
            model.program,
            kwargs,
            key,
            chains=settings["chains"],
            warmup=settings["warmup"],
            draws=settings["draws"],
            target_accept=settings["target_accept"],
            cache_key=cache_key,
            reference=model.reference_draws(data, seed=settings["seed"]),
            progress=progress_printer(f"{model.family} NUTS") if progress else None,
        )
    settings["chain_method"] = info.chain_method
    stats = nuts.arviz_stats(extra, offset)
    result = _result(model, data, "nuts", samples, stats, clock, settings)
    result.extra["nuts"] = info
    return result


def make_guide(name: str, program, **options):
    """The autoguide called ``name`` in :data:`GUIDES` for ``program``."""
    from numpyro.infer import autoguide

    guides = {
        "normal": autoguide.AutoDiagonalNormal,  # mean-field, and exposes q for PSIS
        "map": autoguide.AutoDelta,
        "lowrank": autoguide.AutoLowRankMultivariateNormal,
    }
    _check_choice(name, GUIDES, "guide")
    return guides[name](program, **options)


def _svi(model: Model, data: Dataset, key, settings: dict, progress: bool) -> FitResult:
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.optim import Adam

    full = model.program_kwargs(data)
    kwargs = full
    if settings["batch_size"]:
        kwargs = model.minibatch_kwargs(full, settings["batch_size"])
    fit_key, draw_key = jax.random.split(key)
    with _jax.stopwatch() as clock:
        options = model.guide_options(data, settings["seed"])  # e.g. an EM start: timed too
        guide = make_guide(settings["guide"], model.program, **options)
        svi = SVI(model.program, guide, Adam(settings["learning_rate"]), Trace_ELBO())
        run = svi.run(fit_key, settings["steps"], progress_bar=progress, **kwargs)
        n = settings["chains"] * settings["draws"]
        post = guide.sample_posterior(draw_key, run.params, sample_shape=(n,))
        post = {k: as_numpy(v) for k, v in post.items() if not k.startswith("_")}
        losses = as_numpy(run.losses)
    sites = model.param_sites()
    post = {
        k: v.reshape(settings["chains"], settings["draws"], *v.shape[1:])
        for k, v in post.items()
        if k in sites
    }
    result = _result(model, data, "svi", post, None, clock, settings, elbo=-losses)
    result.extra["guide"] = guide
    result.extra["params"] = run.params
    result.extra["program_kwargs"] = full  # k-hat weighs the whole data, not a minibatch
    return result


def map_result(model, data: Dataset, point: dict, elbo, settings: dict, clock: dict) -> FitResult:
    """A MAP point found outside :func:`fit` (e.g. by :meth:`map_fits`) as an SVI result
    with a MAP guide: ``chains x draws`` copies of the point, as the Delta guide draws."""
    chains, draws = settings["chains"], settings["draws"]
    post = {
        k: np.broadcast_to(as_numpy(v), (chains, draws, *np.shape(v))).copy()
        for k, v in point.items()
    }
    settings = {**settings, "guide": "map"}
    return _result(model, data, "svi", post, None, clock, settings, elbo=np.asarray(elbo))


def _result(model, data, method, post, stats, clock, settings, elbo=None) -> FitResult:
    from ._az import az

    flat = {k: jnp.asarray(v.reshape(-1, *v.shape[2:])) for k, v in post.items()}
    chains, draws = next(iter(post.values())).shape[:2]
    loglik = None
    with _jax.stopwatch() as ll_clock:
        if settings.get("pointwise", True):
            loglik = as_numpy(model.log_likelihood(flat, data)).reshape(chains, draws, -1)
    observed = {"x": data.x}
    if data.y is not None:
        observed["y"] = data.y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = az.from_dict(
            posterior=post,
            sample_stats=stats,
            log_likelihood=None if loglik is None else {"obs": loglik},
            observed_data=observed,
            dims={"obs": ["item"]},
        )
    seconds = {
        "compile": clock["compile"],
        (
            "warmup_and_sampling"
            if method == "nuts"
            else "optimisation"
            if method == "svi"
            else "sampling"
        ): clock["total"] - clock["compile"],
        "log_likelihood": ll_clock["total"],
    }
    seconds["total"] = clock["total"] + ll_clock["total"]
    return FitResult(model, method, idata, seconds, settings, data, elbo)
