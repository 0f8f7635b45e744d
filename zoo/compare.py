"""``compare``: fit every family to one dataset and collect one row per family.

A row holds the structure (parameter count, log10 of full joint / parameters, the
independence summary, the share of its local Markov statements the training data contradict:
:func:`zoo.claims_data.claims_cells`), the method and why it was chosen, the diagnostics,
the held-out score and posterior-predictive samples; learning curves score each family on
growing prefixes of the training items. Numbers in a row are rounded to what the table
shows, so the printed table and ``results.json`` agree digit for digit; seconds are kept
apart (``timings``) because they differ from run to run while everything else repeats for
the same seed.

Budgets are data (:data:`BUDGETS`): ``quick`` (the tests' budget, about a minute) draws the
tabular families' exact conjugate posterior, runs few SVI steps and scores learning curves
by the exact posterior (tabular) and EM (latent class) only; ``default`` runs NUTS for the
tabular families and full SVI fits, SVI learning curves included; ``thorough`` runs more.
"""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import models
from ._compare_budgets import BUDGETS, DECIMALS, ROW_KEYS, Budget, rounded
from ._compare_curves import curve
from .claims_data import ClaimShares
from .data import Dataset
from .errors import ZooError
from .models import Conjugate, MapFits, Trained

if TYPE_CHECKING:
    from .fit import FitResult
    from .models import Family

__all__ = [
    "BUDGETS",
    "DECIMALS",
    "FAMILY_ROWS",
    "ROW_KEYS",
    "SAMPLES",
    "TABULAR",
    "Budget",
    "CompareResult",
    "FamilyFit",
    "check_families",
    "compare",
    "fit_family",
]


class _Rows(Mapping[str, tuple[str, dict]]):
    """Row name -> (registry family, fixed options), read from the registry on each use."""

    def __getitem__(self, name: str) -> tuple[str, dict]:
        family, row = models.rows()[name]
        return family, dict(row.options)

    def __iter__(self) -> Iterator[str]:
        return iter(models.rows())

    def __len__(self) -> int:
        return len(models.rows())


class _Conjugate(Sequence[str]):
    """The rows whose family has an exact posterior (the tabular ones), from the registry."""

    def _names(self) -> list[str]:
        return [n for n, (f, _) in models.rows().items() if _spec(f).has(Conjugate)]

    def __getitem__(self, i: Any) -> Any:
        return self._names()[i]

    def __len__(self) -> int:
        return len(self._names())


def _spec(family: str) -> models.FamilySpec:
    return models.get_family(family)


#: row name -> (registry family, fixed options); latent classes' K comes from the budget
FAMILY_ROWS: Mapping[str, tuple[str, dict]] = _Rows()
#: the rows fitted with the tabular budget: families with an exact conjugate posterior
TABULAR: Sequence[str] = _Conjugate()
SAMPLES = 16  # posterior-predictive items per family in the sample grid


@dataclass
class CompareResult:
    """Rows (JSON-ready, repeatable), seconds per family, learning curves, and the fits and
    samples the figures need."""

    rows: list[dict]
    timings: dict[str, dict]
    curves: dict[str, list[dict]]
    budget: str
    seed: int
    data: dict
    shape: tuple[int, int] | None
    fits: dict[str, FitResult] = field(default_factory=dict)
    samples: dict[str, np.ndarray] = field(default_factory=dict)
    #: splits x seeds (``zoo.sweep_compare``): per-split numbers, intervals, paired differences
    sweep: dict | None = None
    task_seconds: list[dict] = field(default_factory=list)  # each sweep task's (not repeatable)
    #: a sweep's per-family figures, drawn where the fit ran: file name -> PNG bytes
    rendered: dict[str, bytes] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"<CompareResult: {len(self.rows)} families, budget {self.budget!r}, seed {self.seed}>"
        )

    def _repr_html_(self) -> str:
        from .display import compare_html

        return compare_html(self)

    def results(self) -> dict:
        """Everything repeatable: what ``results.json`` holds (no seconds)."""
        b = BUDGETS[self.budget]
        return {
            "budget": self.budget,
            "seed": self.seed,
            "data": self.data,
            "settings": {"tabular": b.tabular, "svi": b.svi, "steps": b.steps, "guides": b.guides},
            "rows": self.rows,
            "learning_curves": self.curves,
        } | ({} if self.sweep is None else {"sweep": self.sweep})


def check_families(families: Iterable[str] | None, data: Dataset | None = None) -> list[str]:
    """The row names to fit (default: every one the data allow); ``ValueError`` for an
    unknown name, or for one the data cannot support when named explicitly."""
    import difflib

    if families is None:
        names = list(FAMILY_ROWS)
        explicit = False
    else:
        names, explicit = list(dict.fromkeys(families)), True
    for name in names:
        if name not in FAMILY_ROWS:
            close = difflib.get_close_matches(name, FAMILY_ROWS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ZooError(f"unknown family {name!r}{hint}; expected some of {list(FAMILY_ROWS)}")
    if data is None:
        return names
    kept = []
    for name in names:
        problem = _unsupported(name, data)
        if problem and explicit:
            raise ZooError(f"family {name!r} cannot be fitted: {problem}")
        if not problem:
            kept.append(name)
    return kept


def _unsupported(name: str, data: Dataset) -> str | None:
    family, row = models.rows()[name]
    return _spec(family).unsupported(data, row.options)


def _options(name: str, budget: Budget, data: Dataset) -> dict:
    family, row = models.rows()[name]
    return _spec(family).row_options(row, data, budget.latent_classes)


def _fit_kwargs(name: str, budget: Budget) -> dict:
    if name in TABULAR:
        return dict(budget.tabular)
    _, row = models.rows()[name]
    steps = budget.steps.get(name) or row.steps.get(budget.name) or budget.default_steps
    kwargs = {**budget.svi, "steps": steps}
    if name in budget.guides:
        kwargs["guide"] = budget.guides[name]
    return kwargs


def compare(
    train: Dataset,
    test: Dataset,
    families: Iterable[str] | None = None,
    budget: str = "default",
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    data: dict[str, Any] | None = None,
    progress_bars: bool = False,
) -> CompareResult:
    """Fit every family in ``families`` (row names of :data:`FAMILY_ROWS`; default: all the
    data allow) to ``train``, score them on ``test`` and return a :class:`CompareResult`.

    ``progress`` receives one line per family as it starts and ends; ``progress_bars`` adds
    bars on standard error (the families, each fit's iterations: :mod:`zoo.progress`). The
    same ``seed`` gives the same rows and curves, with bars or without.
    """
    from . import _jax

    _jax.ensure()
    if budget not in BUDGETS:
        raise ZooError(f"unknown budget {budget!r}; expected one of {list(BUDGETS)}")
    b = BUDGETS[budget]
    names = check_families(families, train)
    if not names:
        raise ZooError("no family can be fitted to these data")
    say = _say(progress, progress_bars)
    claims = ClaimShares(train)
    result = CompareResult(
        [], {}, {}, budget, seed, dict(data or {}), train.shape, fits={}, samples={}
    )
    rows: Iterable[str] = names
    if progress_bars:
        from .progress import tasks

        rows = tasks(names, "compare", len(names))
    for i, name in enumerate(rows, 1):
        say(f"[{i}/{len(names)}] {name}: fitting ...")
        one = fit_family(name, b, train, test, seed, claims, progress_bars)
        result.rows.append(one.row)
        result.fits[name] = one.fitted
        result.timings[name] = one.seconds
        result.curves[name] = one.curve
        if one.samples is not None:
            result.samples[name] = one.samples
        say(
            f"[{i}/{len(names)}] {name}: {one.row['method']}, {one.row['nats_per_item']} nats "
            f"per item, {one.seconds['total']:.1f} s"
        )
    return result


@dataclass
class FamilyFit:
    """One row of a comparison: the row, its fit, seconds, samples and learning curve."""

    row: dict[str, Any]
    fitted: FitResult
    seconds: dict[str, float | None]
    samples: np.ndarray | None
    curve: list[dict]


def fit_family(
    name: str,
    b: Budget,
    train: Dataset,
    test: Dataset,
    seed: int,
    claims: ClaimShares,
    bars: bool = False,
    samples: bool = True,
) -> FamilyFit:
    """Fit row ``name`` to ``train`` and score it on ``test``: what :func:`compare` does for
    each family, and what each task of a sweep (:mod:`zoo._compare_sweep`) does."""
    start = time.perf_counter()
    row, fitted, seconds = _row(name, b, train, test, seed, bars)
    claims_start = time.perf_counter()
    row.update(claims(fitted.family_model.dag))
    seconds["claims"] = time.perf_counter() - claims_start
    drawn = _samples(fitted, seed) if samples else None
    curve_start = time.perf_counter()
    points = curve(b, _fit_kwargs(name, b), fitted, train, test, seed, row["nats_per_item"])
    seconds["learning_curve"] = time.perf_counter() - curve_start
    seconds["total"] = time.perf_counter() - start
    return FamilyFit(row, fitted, seconds, drawn, points)


def _say(progress: Callable[[str], None] | None, bars: bool) -> Callable[[str], None]:
    """``progress`` for each line, written above the bars when there are bars."""
    if progress is None:
        return lambda _line: None
    if not bars:
        return progress
    from .progress import writing

    def say(line: str) -> None:
        with writing():
            progress(line)

    return say


def _row(
    name: str, b: Budget, train: Dataset, test: Dataset, seed: int, bars: bool = False
) -> tuple[dict[str, Any], FitResult, dict[str, float | None]]:
    from .card import structure_card
    from .diagnostics import diagnose
    from .evaluate import heldout
    from .fit import fit
    from .models import get_family, make_model

    family, _ = FAMILY_ROWS[name]
    start = time.perf_counter()
    options = _options(name, b, train)
    learning = time.perf_counter() - start
    model = make_model(family, **options)
    kwargs = _fit_kwargs(name, b)
    fit_start = time.perf_counter()
    if _map_row(model, b, kwargs):
        fitted = _map_fit(model, b, kwargs, train, seed)
    else:
        fitted = fit(model, train, seed=seed, progress=bars, **kwargs)
    fit_seconds = time.perf_counter() - fit_start
    card = structure_card(get_family(family), model.dag, options)
    diag = diagnose(fitted)
    score = heldout(fitted, test)
    ind = card["independence"]
    if fitted.method == model.default_method:
        reason = model.method_reason
        if name in b.guides:
            reason += (
                f"; {b.name} budget: {b.guides[name]} guide (the family's own, "
                f"{model.default_guide}, at the default budget)"
            )
        if "curve_maps" in fitted.extra:
            reason += "; the MAP and its learning curve in one compiled Adam run"
        if isinstance(model, Trained) and b.name != "default":
            reason += f"; {b.name} budget: {kwargs['steps']:,} steps"
    else:
        reason = b.tabular_reason or f"{b.name} budget: {fitted.method}"
    row = {
        "family": name,
        "params": card["params"]["model"],
        "log10_ratio": card["params"]["log10_ratio"],
        "local_markov": ind["local_markov_count"],
        "dsep_marginal": ind["dsep_share_marginal"],
        "dsep_given": ind.get("dsep_share_given"),
        "dsep_given_nodes": ind.get("dsep_given", []),
        "method": fitted.method,
        "guide": fitted.settings.get("guide"),
        "method_reason": reason,
        "rhat_max": diag.get("rhat_max"),
        "ess_bulk_min": diag.get("ess_bulk_min"),
        "ess_tail_min": diag.get("ess_tail_min"),
        "divergences": diag.get("divergences"),
        "ebfmi_min": diag.get("ebfmi_min"),
        "khat": diag.get("khat"),
        "nats_per_item": score["nats_per_item"],
        "bits_per_dim": score["bits_per_dim"],
        "diagnostics_pass": bool(diag["pass"]),
        "diagnostics_failed": sorted(k for k, c in diag["checks"].items() if not c["pass"]),
    }
    for key, decimals in DECIMALS.items():
        if key in row:  # the claims cells are added, already rounded, by compare()
            row[key] = rounded(row[key], decimals)
    seconds = {"fit": fit_seconds, "compile": fitted.seconds.get("compile")}
    if get_family(family).learn is not None:
        seconds["structure_learning"] = learning
    return row, fitted, seconds


def _map_row(model: Family, b: Budget, kwargs: dict[str, Any]) -> bool:
    """At budgets without SVI curves, a MAP-guided autoregressive row is fitted together
    with its learning curve: one compile instead of two."""
    guide = kwargs.get("guide", model.default_guide)
    return isinstance(model, MapFits) and not b.svi_curve_sizes and guide == "map"


def _map_fit(
    model: Family, b: Budget, kwargs: dict[str, Any], train: Dataset, seed: int
) -> FitResult:
    from .fit import map_fit

    sizes = [m for m in b.curve_sizes if m < train.n_items]
    return map_fit(
        model,
        train,
        sizes,
        steps=kwargs["steps"],
        seed=seed,
        chains=kwargs["chains"],
        draws=kwargs["draws"],
    )


def _samples(fitted: FitResult, seed: int) -> np.ndarray:
    from .evaluate import samples

    return np.asarray(samples(fitted, SAMPLES, seed))


class _Callable(types.ModuleType):
    """This module, callable as :func:`compare` (``zoo.compare`` is the module and the verb)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return compare(*args, **kwargs)


sys.modules[__name__].__class__ = _Callable
