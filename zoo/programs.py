"""A user's own NumPyro program in the zoo: load it from ``path.py:function``, bind a JSON
data file to its arguments and observed sites (every key must land somewhere), fit it with
NUTS or SVI, and summarise every latent and deterministic element.

Checks run before any fit, so bad input costs no compile: an unknown file or function, a
function that records no ``numpyro.sample`` site, a data key that matches no argument and
no site (named, with the closest names), observed data whose shape differs from the
distribution's (an ``(N, 1)`` array where ``(N,)`` is expected would broadcast into an
``(N, N)`` log-likelihood: a wrong answer, not an error), a program with nothing latent,
and a discrete latent site (NUTS and SVI need it summed out).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import inspect as _pyinspect
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .inspection import ProgramStructure, structure, trace

SPEC_HINT = "expected path/to/file.py:function"


def is_program_spec(text: str) -> bool:
    """True when ``text`` names a program (``file.py:function``) rather than a family."""
    return ":" in text and text.rsplit(":", 1)[0].endswith(".py")


def load_program(spec: str) -> Callable:
    """The function named by ``path/to/file.py:function``; ``ValueError`` if either is
    missing, the file does not import, or the name is not a function."""
    if ":" not in spec:
        raise ValueError(f"program {spec!r}: {SPEC_HINT}")
    path_text, func = spec.rsplit(":", 1)
    path = Path(path_text)
    if not func.isidentifier():
        raise ValueError(f"program {spec!r}: {func!r} is not a function name ({SPEC_HINT})")
    if not path.is_file():
        raise ValueError(f"program file {path_text!r} not found")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    modname = f"_zoo_program_{digest}"
    loader = importlib.util.spec_from_file_location(modname, path)
    if loader is None or loader.loader is None:
        raise ValueError(f"program file {path_text!r} is not a Python file")
    module = importlib.util.module_from_spec(loader)
    sys.modules[modname] = module
    try:
        loader.loader.exec_module(module)
    except Exception as err:
        sys.modules.pop(modname, None)
        msg = " ".join(str(err).split())
        raise ValueError(
            f"program file {path_text!r} failed to import: {type(err).__name__}: {msg}"
        ) from err
    if not hasattr(module, func):
        names = [n for n, v in vars(module).items() if callable(v) and not n.startswith("_")]
        near = difflib.get_close_matches(func, names, n=1)
        hint = (
            f"; did you mean {near[0]!r}?"
            if near
            else f"; functions there: {', '.join(names) or 'none'}"
        )
        raise ValueError(f"function {func!r} not found in {path_text!r}{hint}")
    fn = getattr(module, func)
    if not callable(fn):
        raise ValueError(f"{spec!r} is not a function")
    return fn


def read_data(path: str | os.PathLike) -> dict:
    """A JSON object mapping names to numbers, (nested) lists or strings."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"data file {str(path)!r} not found")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"data file {str(path)!r} is not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"data file {str(path)!r} must hold a JSON object (name -> value)")
    return data


def _as_value(key: str, value):
    """JSON values as program inputs: numbers stay numbers, lists become arrays."""
    if isinstance(value, bool | int | float | str) or value is None:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"data key {key!r} is {value}: NaN and inf are not data")
        return value
    if isinstance(value, list):
        try:
            arr = np.asarray(value)
        except ValueError as err:
            raise ValueError(f"data key {key!r}: ragged lists do not form an array") from err
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            raise ValueError(f"data key {key!r}: expected numbers, got {arr.dtype} values")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise ValueError(f"data key {key!r} holds NaN or inf")
        if arr.dtype.kind == "b":
            arr = arr.astype(np.int32)
        return arr.astype(np.int32) if arr.dtype.kind in "iu" else arr.astype(np.float32)
    raise ValueError(f"data key {key!r}: unsupported JSON value of type {type(value).__name__}")


@dataclass
class BoundProgram:
    """A program with its data: ``fn`` conditioned on the observed sites, and ``kwargs``;
    ``raw`` is the program as written."""

    name: str
    raw: Callable
    fn: Callable
    kwargs: dict
    observed: dict  # site -> value conditioned from the data (not through arguments)
    structure: ProgramStructure


def _signature(fn: Callable):
    try:
        return _pyinspect.signature(fn)
    except (TypeError, ValueError):
        return None


def bind(fn: Callable, data: Mapping | None = None, *, name: str | None = None) -> BoundProgram:
    """Bind ``data`` onto ``fn``: a key naming a parameter of ``fn`` becomes a keyword
    argument, a key naming one of its sample sites conditions that site, anything else is
    an error that names the key. Then check observed shapes and trace the structure."""
    from numpyro import handlers

    name = name or getattr(fn, "__name__", "program")
    data = {str(k): _as_value(str(k), v) for k, v in (data or {}).items()}
    sig = _signature(fn)
    accepts_any = sig is not None and any(
        p.kind is _pyinspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()
    )
    params = (
        []
        if sig is None
        else [
            p.name
            for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
    )
    kwargs = {k: v for k, v in data.items() if k in params or accepts_any}
    rest = {k: v for k, v in data.items() if k not in kwargs}
    tr = trace(fn, **kwargs)  # names the failure when an argument is missing
    sites = [n for n, s in tr.items() if s["type"] == "sample"]
    unknown = [k for k in rest if k not in sites]
    if unknown:
        k = unknown[0]
        names = params + sites
        near = [n for n in names if n.lower() == k.lower()]  # a case slip first
        near = near or difflib.get_close_matches(k, names, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ValueError(
            f"data key {k!r} matches no argument of {name} ({', '.join(params) or 'none'}) "
            f"and no sample site ({', '.join(sites)}){hint}"
        )
    observed = {k: rest[k] for k in rest}
    program = handlers.condition(fn, data=observed) if observed else fn
    if observed:
        tr = trace(program, **kwargs)
    _check_shapes(name, tr)
    st = structure(program, **kwargs)
    return BoundProgram(name, fn, program, kwargs, observed, st)


def _check_shapes(name: str, tr: dict) -> None:
    for sname, rec in tr.items():
        if rec["type"] != "sample" or not rec["observed"] or rec["factor"]:
            continue
        want, got = rec["shape"], rec["value_shape"]
        if want != got:
            raise ValueError(
                f"{name}: observed site {sname!r} has data of shape {got} but its "
                f"distribution has shape {want}; they would broadcast into a wrong answer "
                "(reshape the data, e.g. an (N, 1) array to (N,))"
            )


def prior_kwargs(bound: BoundProgram) -> dict:
    """The bound arguments with each one that defaults to ``None`` (NumPyro's convention
    for an observation, ``y=None``) left unset, so that :attr:`BoundProgram.raw` draws it."""
    sig = _signature(bound.raw)
    if sig is None:
        return dict(bound.kwargs)
    optional = {p.name for p in sig.parameters.values() if p.default is None}
    return {k: v for k, v in bound.kwargs.items() if k not in optional}


def check_fittable(bound: BoundProgram) -> None:
    """``ValueError`` unless the program has a continuous latent site to infer."""
    st = bound.structure
    latent = st.latent
    if not latent:
        raise ValueError(
            f"{bound.name} samples no latent site: every site is observed, so there is "
            "nothing to infer"
        )
    discrete = [n for n in latent if st.sites[n].discrete]
    if discrete:
        raise ValueError(
            f"{bound.name}: latent site {discrete[0]!r} is discrete; NUTS and SVI need it "
            "summed out in the program (logsumexp over its states)"
        )


class _ProgramModel:
    """What the zoo's diagnostics need of a model, for a user's program."""

    family = "program"
    default_method = "nuts"
    invariant_only = False

    def __init__(self, bound: BoundProgram) -> None:
        self.bound = bound
        self.program = bound.fn


def fit_program(
    bound: BoundProgram,
    method: str = "nuts",
    *,
    seed: int = 0,
    chains: int = 4,
    warmup: int = 1000,
    draws: int = 1000,
    target_accept: float = 0.8,
    steps: int = 3000,
    learning_rate: float = 0.01,
    progress: bool = False,
    pointwise: bool = True,
):
    """Fit a bound program; returns a :class:`zoo.fit.FitResult` whose ``idata`` holds the
    posterior of every latent and deterministic site, the log-likelihood of each observed
    site (skipped with ``pointwise=False``, for timing the posterior alone) and the observed
    data."""
    from .fit import FitResult, _check_choice, check_budget, check_memory

    _check_choice(method, ("nuts", "svi"), "method")
    check_budget(chains, warmup, draws, steps, target_accept)
    check_fittable(bound)
    check_memory(bound.structure.params["total"], chains * draws, 0)
    settings = {"seed": seed, "chains": chains, "warmup": warmup, "draws": draws}
    settings["pointwise"] = pointwise
    model = _ProgramModel(bound)
    if method == "nuts":
        settings["target_accept"] = target_accept
        idata, seconds, extra, elbo = _nuts(bound, settings, progress)
    else:
        settings.update(steps=steps, guide="normal", learning_rate=learning_rate)
        idata, seconds, extra, elbo = _svi(bound, settings, progress)
    return FitResult(model, method, idata, seconds, settings, None, elbo, extra)


def _nuts(bound: BoundProgram, settings: dict, progress: bool):
    import jax

    from . import _jax, nuts
    from .fit import progress_printer

    with _jax.stopwatch() as clock:
        samples, extra, info = nuts.sample(
            bound.fn,
            bound.kwargs,
            jax.random.PRNGKey(settings["seed"]),
            chains=settings["chains"],
            warmup=settings["warmup"],
            draws=settings["draws"],
            target_accept=settings["target_accept"],
            cache_key=("program", bound.fn),
            progress=progress_printer(f"{bound.name} NUTS") if progress else None,
        )
    settings["chain_method"] = info.chain_method
    stats = nuts.arviz_stats(extra)
    flat = {k: v.reshape(-1, *v.shape[2:]) for k, v in samples.items()}
    start = time.perf_counter()
    idata = _to_idata(
        bound, samples=flat, chains=settings["chains"], stats=stats, pointwise=settings["pointwise"]
    )
    seconds = {
        "compile": clock["compile"],
        "warmup_and_sampling": clock["total"] - clock["compile"],
        "log_likelihood": time.perf_counter() - start,
    }
    seconds["total"] = clock["total"] + seconds["log_likelihood"]
    return idata, seconds, {"nuts": info}, None


def _svi(bound: BoundProgram, settings: dict, progress: bool):
    import jax
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.infer.autoguide import AutoDiagonalNormal
    from numpyro.optim import Adam

    from . import _jax
    from .models._base import as_numpy

    key = jax.random.PRNGKey(settings["seed"])
    fit_key, draw_key = jax.random.split(key)
    guide = AutoDiagonalNormal(bound.fn)
    with _jax.stopwatch() as clock:
        svi = SVI(bound.fn, guide, Adam(settings["learning_rate"]), Trace_ELBO())
        run = svi.run(fit_key, settings["steps"], progress_bar=progress, **bound.kwargs)
        n = settings["chains"] * settings["draws"]
        post = guide.sample_posterior(draw_key, run.params, sample_shape=(n,))
        post = {k: as_numpy(v) for k, v in post.items() if k in bound.structure.sites}
    start = time.perf_counter()
    idata = _to_idata(
        bound,
        samples=post,
        chains=settings["chains"],
        key=draw_key,
        pointwise=settings["pointwise"],
    )
    seconds = {
        "compile": clock["compile"],
        "optimisation": clock["total"] - clock["compile"],
        "log_likelihood": time.perf_counter() - start,
    }
    seconds["total"] = clock["total"] + seconds["log_likelihood"]
    extra = {"guide": guide, "params": run.params, "program_kwargs": bound.kwargs}
    return idata, seconds, extra, -as_numpy(run.losses)


def _to_idata(bound: BoundProgram, *, samples, chains=1, key=None, stats=None, pointwise=True):
    """InferenceData with posterior (latent and deterministic sites), log_likelihood (unless
    ``pointwise`` is false) and observed_data groups."""
    import jax
    from numpyro.infer import Predictive, log_likelihood

    from ._az import az

    st = bound.structure
    flat = dict(samples)
    wanted = set(st.latent) | set(st.deterministic)
    missing_det = [n for n in st.deterministic if n not in flat]
    if missing_det:
        key = jax.random.PRNGKey(0) if key is None else key
        pred = Predictive(bound.fn, posterior_samples=flat, return_sites=missing_det)
        flat.update({k: np.asarray(v) for k, v in pred(key, **bound.kwargs).items()})
    flat = {k: v for k, v in flat.items() if k in wanted}
    total = len(next(iter(flat.values())))
    post = {k: v.reshape(chains, total // chains, *v.shape[1:]) for k, v in flat.items()}
    ll = {}
    if pointwise:
        latent = {k: v for k, v in flat.items() if k in st.latent}
        ll = log_likelihood(bound.fn, latent, **bound.kwargs)
        ll = {
            k: np.asarray(v).reshape(chains, total // chains, *np.shape(v)[1:])
            for k, v in ll.items()
        }
    observed = _observed_values(bound)
    ll = {k: v for k, v in ll.items() if k in observed}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.from_dict(
            posterior=post,
            sample_stats=stats,
            log_likelihood=ll or None,
            observed_data=observed or None,
        )


def _observed_values(bound: BoundProgram) -> dict[str, np.ndarray]:
    """The data at each observed site (one run of the program, compiled as a whole: op by op
    it compiles every primitive on its own, which costs more than the run)."""
    import jax
    from numpyro import handlers
    from numpyro.infer.initialization import init_to_sample

    from .nuts import _is_data

    st = bound.structure
    data = {k: v for k, v in bound.kwargs.items() if _is_data(v)}
    fixed = {k: v for k, v in bound.kwargs.items() if k not in data}
    wanted = [n for n in st.observed if st.sites[n].kind != "factor"]

    def run(data):
        seeded = handlers.substitute(
            handlers.seed(bound.fn, jax.random.PRNGKey(0)), substitute_fn=init_to_sample
        )
        tr = handlers.trace(seeded).get_trace(**data, **fixed)
        return {n: tr[n]["value"] for n in wanted if n in tr}

    return {n: np.asarray(v) for n, v in jax.jit(run)(data).items()}


def posterior_summary(idata) -> dict[str, dict]:
    """Per element of every posterior variable (ArviZ's names, ``theta[0]``): ``mean``,
    ``sd``, ``mcse_mean``, ``ess_bulk``, ``ess_tail``, ``r_hat``, unrounded."""
    from ._az import az

    keys = ("mean", "sd", "mcse_mean", "ess_bulk", "ess_tail", "r_hat")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = az.summary(idata, kind="all", round_to="none")
    return {str(name): {k: float(row[k]) for k in keys} for name, row in table.iterrows()}


def fit_card(bound: BoundProgram, result, spec: str | None = None) -> dict:
    """What ``zoo fit path.py:function --json`` prints: the JSON of
    :func:`zoo.assess.fit_card` (the structure card, the method and settings,
    ``posterior`` (see :func:`posterior_summary`), ``diagnostics``, ``loo`` and ``seconds``),
    kept under its old name."""
    from .assess import program_card

    return program_card(bound, result, spec or bound.name).to_json()


def _loo(idata) -> dict:
    from ._az import az

    if "log_likelihood" not in idata.groups() or len(idata.log_likelihood.data_vars) != 1:
        return {"error": "PSIS-LOO needs exactly one observed site"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = az.loo(idata, pointwise=True)
    except Exception as err:  # a bonus: never lose the fit over it
        return {"error": " ".join(str(err).split()) or type(err).__name__}
    k = np.asarray(res.pareto_k)
    return {
        "elpd_loo": float(res.elpd_loo),
        "se": float(res.se),
        "p_loo": float(res.p_loo),
        "pareto_k_max": float(np.max(k)),
        "pareto_k_over_0.7": int(np.sum(k > 0.7)),
    }


def format_fit(c) -> str:
    """The program fit card as terminal text: :func:`zoo.card.format_card`, kept under its
    old name."""
    from .card import format_card

    return format_card(c)
