"""A user's own NumPyro program in the zoo: load it from ``path.py:function``, bind a JSON
data file to its arguments and observed sites (every key must land somewhere), fit it with
NUTS or SVI (:func:`zoo.fit.fit` takes the bound program as its target), and summarise every
latent and deterministic element.

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
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ZooError
from .inspection import ProgramStructure, structure, trace

if TYPE_CHECKING:
    from arviz import InferenceData

    from .fit import FitResult

SPEC_HINT = "expected path/to/file.py:function"


def is_program_spec(text: str) -> bool:
    """True when ``text`` names a program (``file.py:function``) rather than a family."""
    return ":" in text and text.rsplit(":", 1)[0].endswith(".py")


def load_program(spec: str) -> Callable:
    """The function named by ``path/to/file.py:function``; ``ValueError`` if either is
    missing, the file does not import, or the name is not a function."""
    if ":" not in spec:
        raise ZooError(f"program {spec!r}: {SPEC_HINT}")
    path_text, func = spec.rsplit(":", 1)
    path = Path(path_text)
    if not func.isidentifier():
        raise ZooError(f"program {spec!r}: {func!r} is not a function name ({SPEC_HINT})")
    if not path.is_file():
        raise ZooError(f"program file {path_text!r} not found")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    modname = f"_zoo_program_{digest}"
    loader = importlib.util.spec_from_file_location(modname, path)
    if loader is None or loader.loader is None:
        raise ZooError(f"program file {path_text!r} is not a Python file")
    module = importlib.util.module_from_spec(loader)
    sys.modules[modname] = module
    try:
        loader.loader.exec_module(module)
    except Exception as err:
        sys.modules.pop(modname, None)
        msg = " ".join(str(err).split())
        raise ZooError(
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
        raise ZooError(f"function {func!r} not found in {path_text!r}{hint}")
    fn: Callable[..., Any] = getattr(module, func)
    if not callable(fn):
        raise ZooError(f"{spec!r} is not a function")
    return fn


def read_data(path: str | os.PathLike) -> dict:
    """A JSON object mapping names to numbers, (nested) lists or strings."""
    p = Path(path)
    if not p.is_file():
        raise ZooError(f"data file {str(path)!r} not found")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ZooError(f"data file {str(path)!r} is not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise ZooError(f"data file {str(path)!r} must hold a JSON object (name -> value)")
    return data


def _as_value(key: str, value: Any) -> Any:
    """JSON values as program inputs: numbers stay numbers, lists become arrays."""
    if isinstance(value, bool | int | float | str) or value is None:
        if isinstance(value, float) and not math.isfinite(value):
            raise ZooError(f"data key {key!r} is {value}: NaN and inf are not data")
        return value
    if isinstance(value, list):
        try:
            arr = np.asarray(value)
        except ValueError as err:
            raise ZooError(f"data key {key!r}: ragged lists do not form an array") from err
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            raise ZooError(f"data key {key!r}: expected numbers, got {arr.dtype} values")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise ZooError(f"data key {key!r} holds NaN or inf")
        if arr.dtype.kind == "b":
            arr = arr.astype(np.int32)
        return arr.astype(np.int32) if arr.dtype.kind in "iu" else arr.astype(np.float32)
    raise ZooError(f"data key {key!r}: unsupported JSON value of type {type(value).__name__}")


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


def _signature(fn: Callable[..., Any]) -> _pyinspect.Signature | None:
    try:
        return _pyinspect.signature(fn)
    except (TypeError, ValueError):
        return None


def bind(fn: Callable, data: Mapping | None = None, *, name: str | None = None) -> BoundProgram:
    """Bind ``data`` onto ``fn``: a key naming a parameter of ``fn`` becomes a keyword
    argument, a key naming one of its sample sites conditions that site, anything else is
    an error that names the key. Then check observed shapes and trace the structure."""
    from numpyro import handlers

    name = name or str(getattr(fn, "__name__", "program"))
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
        raise ZooError(
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
            raise ZooError(
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
        raise ZooError(
            f"{bound.name} samples no latent site: every site is observed, so there is "
            "nothing to infer"
        )
    discrete = [n for n in latent if st.sites[n].discrete]
    if discrete:
        raise ZooError(
            f"{bound.name}: latent site {discrete[0]!r} is discrete; NUTS and SVI need it "
            "summed out in the program (logsumexp over its states)"
        )


def fit_program(bound: BoundProgram, method: str = "nuts", **options: Any) -> FitResult:
    """Fit a bound program: :func:`zoo.fit.fit` with ``bound`` as its target and the same
    keyword ``options`` (``seed``, ``chains``, ``warmup``, ``draws``, ``target_accept``,
    ``steps``, ``learning_rate``, ``progress``, ``pointwise``). The result's ``idata`` holds
    the posterior of every latent and deterministic site, the log-likelihood of each observed
    site (skipped with ``pointwise=False``, for timing the posterior alone) and the observed
    data."""
    from .fit import fit

    return fit(bound, None, method, **options)


def posterior_summary(idata: InferenceData) -> dict[str, dict[str, float]]:
    """Per element of every posterior variable (ArviZ's names, ``theta[0]``): ``mean``,
    ``sd``, ``mcse_mean``, ``ess_bulk``, ``ess_tail``, ``r_hat``, unrounded."""
    from ._az import az

    keys = ("mean", "sd", "mcse_mean", "ess_bulk", "ess_tail", "r_hat")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = az.summary(idata, kind="all", round_to="none")
    return {str(name): {k: float(row[k]) for k in keys} for name, row in table.iterrows()}


def fit_card(bound: BoundProgram, result: FitResult, spec: str | None = None) -> dict[str, Any]:
    """What ``zoo fit path.py:function --json`` prints: the JSON of
    :func:`zoo.assess.fit_card` (the structure card, the method and settings,
    ``posterior`` (see :func:`posterior_summary`), ``diagnostics``, ``loo`` and ``seconds``),
    kept under its old name."""
    from .assess import program_card

    return program_card(bound, result, spec or bound.name).to_json()


def _loo(idata: InferenceData) -> dict[str, Any]:
    """The program card's PSIS-LOO keys (a count of k-hat over 0.7), or why there is none."""
    from .evaluate import KHAT, psis_loo

    if "log_likelihood" not in idata.groups() or len(idata["log_likelihood"].data_vars) != 1:
        return {"error": "PSIS-LOO needs exactly one observed site"}
    try:
        res = psis_loo(idata)
    except Exception as err:  # a bonus: never lose the fit over it
        return {"error": " ".join(str(err).split()) or type(err).__name__}
    return {
        **res.summary(),
        "pareto_k_max": res.khat_max,
        f"pareto_k_over_{KHAT}": res.khat_count,
    }


def format_fit(c: Any) -> str:
    """The program fit card as terminal text: :func:`zoo.card.format_card`, kept under its
    old name."""
    from .card import format_card

    return format_card(c)
