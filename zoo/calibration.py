"""Simulation-based calibration (SBC; Talts et al. 2018) of the zoo's inference methods.

Each replication draws true parameters from the prior, simulates data from them, fits the
model and ranks each true scalar among ``L`` (thinned) posterior draws. If the posterior
draws come from the exact posterior, every rank is uniform on ``0..L``; an overconfident
posterior piles ranks at both ends, a biased one at one end. Uniformity is tested per
quantity with a chi-square test (bins with expected counts >= 5), and the per-quantity
p-values are combined with Holm's step-down procedure, which stays valid when the
quantities are dependent (they are: they share the data). The combined p-value is the
smallest Holm-adjusted p-value (equal to ``Q x`` the smallest raw one, capped at 1).

Accuracy is reported on the posterior's own scale: per quantity the mean over replications
of ``|posterior mean - truth| / posterior sd``. For a calibrated, roughly Gaussian
posterior this is ``sqrt(2 / pi) = 0.80``; overconfidence pushes it up.

Quantities ranked: up to :data:`MAX_SCALARS` parameter elements (evenly spaced over the
flattened sites, so the choice is deterministic) plus ``log_lik``, the log-likelihood of
the simulated data under the parameters. A function of parameters *and* data is a valid
SBC statistic (Modrák et al. 2023), and ``log_lik`` is sensitive to errors no single
parameter shows. Families identified only up to permutation (``model.invariant_only``:
latent class, neural autoregressive) rank permutation-invariant quantities only: the
latent class ``log_lik`` and its sorted mixture weights; the MADE ``log_lik`` and its
output biases and direct weights (relabelling the hidden units leaves those unchanged).

Cost: JAX compilation dominates a tiny fit. NUTS goes through :func:`zoo.nuts.sample`, which
compiles once per model shape; SVI here does not call :func:`zoo.fit.fit` per replication
(each call builds a new guide, so compiles again) but keeps one of its compiled SVI loops
(:class:`zoo.inference._svi.SviRunner`) across replications of the same shapes, with
:func:`zoo.fit.fit`'s settings (the same autoguides, Adam).
``engine="fit"`` calls :func:`zoo.fit.fit` instead, for a cross-check. Compile seconds are
recorded per replication, so :attr:`SBCResult.seconds` shows whether code was reused.

``numpyro.infer.calibration.vsbc_diagnostic`` (numpyro 0.22) implements the variational
SBC of Yao et al. 2018 for SVI; the rank statistics here are computed directly so that
NUTS, SVI and exact draws go through one code path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._records import fields
from ._sbc_plot import plot_ranks
from ._sbc_samplers import _exact, _Nuts, _Svi, _ViaFit
from ._sbc_stats import MAX_SCALARS, chi2_uniform, holm, ranks_of, scalar_picks
from .errors import ZooError
from .progress import tasks, wanted
from .validate import int_at_least

if TYPE_CHECKING:
    import jax

    from .data import Dataset
    from .models import Family

__all__ = [
    "ALPHA",
    "DEFAULTS",
    "ENGINES",
    "MAX_SCALARS",
    "METHODS",
    "SBCResult",
    "chi2_uniform",
    "holm",
    "plot_ranks",
    "quantities",
    "ranks_of",
    "sbc",
    "sbc_task",
    "scalar_picks",
    "simulate_from_prior",
]

METHODS = ("nuts", "svi", "exact")
ENGINES = ("reuse", "fit")
#: Holm-combined p-value below which a family x method fails
ALPHA = 0.01
#: defaults per method; ``fit_kwargs`` overrides them
DEFAULTS: dict[str, dict[str, Any]] = {
    "nuts": {"chains": 1, "warmup": 300, "thin": 2, "target_accept": 0.8},
    "svi": {"steps": 2000, "learning_rate": 0.01, "guide": "normal"},
    "exact": {},
}

Sampler = Callable[..., Mapping[str, Any]]  # (model, data, key, L) -> {site: (L, ...) draws}


@dataclass
class SBCResult:
    """Ranks and tests of one family x method SBC run.

    Attributes
    ----------
    ranks : ndarray, shape (replications, quantities)
        Rank of each truth among the ``draws`` posterior draws, in ``0..draws``.
    histograms : ndarray, shape (quantities, bins)
        Rank counts per chi-square bin.
    pvalues : ndarray, shape (quantities,)
        Chi-square p-value of uniformity per quantity.
    combined_p : float
        Smallest Holm-adjusted p-value over quantities.
    z_abs : ndarray, shape (replications, quantities)
        ``|posterior mean - truth| / posterior sd``.
    seconds : dict
        ``total``, ``compile`` (all replications), ``compile_first`` and
        ``compile_rest`` (compile seconds in replication 1 and in all later ones).
    """

    family: str
    method: str
    options: dict
    replications: int
    n_items: int
    draws: int
    seed: int
    quantities: list[str]
    invariant_only: bool
    ranks: np.ndarray
    histograms: np.ndarray
    expected: np.ndarray
    chi2: np.ndarray
    pvalues: np.ndarray
    combined_p: float
    z_abs: np.ndarray
    z_signed: np.ndarray
    seconds: dict
    settings: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """``True`` when the Holm-combined p-value is at least :data:`ALPHA`."""
        return bool(self.combined_p >= ALPHA)

    @property
    def accuracy(self) -> float:
        """Mean over replications and quantities of ``|mean - truth| / sd``."""
        return float(np.mean(self.z_abs))

    def summary(self) -> dict:
        """One JSON-ready row: the verdict, the p-values and the accuracy."""
        return {
            **fields(self, "family", "method", "options", "replications", "n_items", "draws"),
            "quantities": len(self.quantities),
            "invariant_only": self.invariant_only,
            "combined_p": float(self.combined_p),
            "min_p": float(self.pvalues.min()),
            "pass": self.passed,
            "accuracy": self.accuracy,
            "accuracy_max": float(self.z_abs.mean(axis=0).max()),
            "seconds": self.seconds,
        }

    def to_dict(self) -> dict:
        """Everything, arrays as lists (JSON-ready)."""
        out = {}
        for k, v in asdict(self).items():
            out[k] = v.tolist() if isinstance(v, np.ndarray) else v
        out.update(passed=self.passed, accuracy=self.accuracy)
        return out

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> SBCResult:
        """The result of :meth:`to_dict` (a sweep task's JSON) as a result again."""
        arrays = ("ranks", "histograms", "expected", "chi2", "pvalues", "z_abs", "z_signed")
        values: dict[str, Any] = {f.name: record[f.name] for f in dataclasses.fields(cls)}
        values.update({k: np.asarray(values[k]) for k in arrays})
        return cls(**values)


def quantities(
    model: Family, draws: Mapping, truth: Mapping, data: Dataset
) -> tuple[list[str], np.ndarray]:
    """Names and ``(L + 1, Q)`` values of the ranked quantities: row 0 the truth, then
    the ``L`` posterior draws."""
    import jax.numpy as jnp

    both = {k: np.concatenate([np.asarray(truth[k])[None], np.asarray(draws[k])]) for k in truth}
    sites = model.calibration_sites()
    keep = sorted(both) if sites is None else sites
    flat = {k: both[k].reshape(len(both[k]), -1) for k in keep}
    picks = scalar_picks({k: v.shape[1] for k, v in flat.items()})
    names = [f"{s}[{i}]" for s, i in picks]
    cols = [flat[s][:, i] for s, i in picks]
    for name, col in model.calibration_extras(both).items():
        names.append(name)
        cols.append(col)
    ll = model.log_likelihood({k: jnp.asarray(v) for k, v in both.items()}, data)
    names.append("log_lik")
    cols.append(np.asarray(ll, dtype=np.float64).sum(axis=1))
    return names, np.stack(cols, axis=1)


# -- simulation and posterior draws ----------------------------------------------------------
def simulate_from_prior(model: Family, key: jax.Array, n_items: int) -> tuple[Dataset, dict]:
    """(data, truth) with the truth drawn from the *fitting* prior, in the program's layout
    (:meth:`~zoo.models.Family.simulate_prior`)."""
    return model.simulate_prior(key, n_items)


# -- the run -----------------------------------------------------------------------------------
def sbc(
    family: str,
    options: Mapping | None = None,
    *,
    method: str | Sampler = "nuts",
    replications: int = 100,
    n_items: int = 30,
    draws: int = 99,
    seed: int = 0,
    fit_kwargs: Mapping | None = None,
    engine: str = "reuse",
    bins: int | None = None,
    progress: bool | None = None,
) -> SBCResult:
    """Simulation-based calibration of ``method`` on the zoo family ``family``.

    Parameters
    ----------
    family : str
        A zoo family name (``zoo.models.FAMILIES``).
    options : mapping, optional
        Options for :func:`zoo.models.make_model` (``n``, ``classes``, ``network``...).
    method : {"nuts", "svi", "exact"} or callable
        The inference method; ``"exact"`` for the conjugate tabular families. A callable
        ``(model, data, key, L) -> {site: (L, ...) draws}`` is used as the posterior
        sampler (e.g. a deliberately wrong one, to check the test can fail).
    replications : int
        Simulated data sets (>= 2; >= 10 for a meaningful test).
    n_items : int
        Items per simulated data set (the same every replication, so shapes repeat).
    draws : int
        ``L``, posterior draws kept per replication (thinned); ranks lie in ``0..L``.
        ``L + 1`` a multiple of the bin count keeps bins equal (e.g. 99).
    seed : int
        Seeds the truths, the data, the fits and the tie-breaking: same seed, same numbers.
    fit_kwargs : mapping, optional
        Overrides of :data:`DEFAULTS` for the method (NUTS ``chains``, ``warmup``,
        ``thin``, ``target_accept``; SVI ``steps``, ``learning_rate``, ``guide``).
    engine : {"reuse", "fit"}
        ``"reuse"`` keeps one compiled sampler/optimiser for all replications;
        ``"fit"`` calls :func:`zoo.fit.fit` each time (slow: it compiles each time).
    bins : int, optional
        Chi-square bins; default the most (<= 20) with expected counts >= 5.
    progress : bool, optional
        Show a progress bar; by default when stderr is a terminal.

    Returns
    -------
    SBCResult

    Raises
    ------
    ValueError
        Unknown family, method or engine, ``replications < 2``, non-positive ``n_items``
        or ``draws``, unknown ``fit_kwargs``, or ``"exact"`` on a non-conjugate family.
    """
    import jax

    from . import _jax

    _jax.ensure()
    from .models import make_model

    options = dict(options or {})
    sampler, method_name = (method, "") if callable(method) else (None, method)
    custom = sampler is not None
    if not custom and method not in METHODS:
        raise ZooError(f"unknown method {method!r}; expected one of {list(METHODS)}")
    if engine not in ENGINES:
        raise ZooError(f"unknown engine {engine!r}; expected one of {list(ENGINES)}")
    int_at_least("replications", replications, 2)
    int_at_least("n_items", n_items, 1)
    int_at_least("draws", draws, 1)
    if bins is not None:
        int_at_least("bins", bins, 2)
    settings = dict(DEFAULTS.get(method_name, {})) if not custom else {}
    unknown = set(fit_kwargs or {}) - set(settings)
    if unknown:
        raise ZooError(
            f"unknown fit_kwargs {sorted(unknown)} for method {method!r}; "
            f"expected some of {sorted(settings)}"
        )
    settings.update(fit_kwargs or {})
    model = make_model(family, **options)  # ValueError on an unknown family or option

    posterior: Callable[[Dataset, jax.Array], dict[str, np.ndarray]]
    if sampler is not None:
        name = getattr(method, "__name__", "custom")

        def posterior(data: Dataset, key: jax.Array) -> dict[str, np.ndarray]:
            return {k: np.asarray(v) for k, v in sampler(model, data, key, draws).items()}
    else:
        name = method_name
        if method == "exact":
            posterior = _exact(model, draws)
        elif engine == "fit":
            posterior = _ViaFit(model, method_name, settings, draws)
        elif method == "nuts":
            posterior = _Nuts(model, settings, draws)
        else:
            posterior = _Svi(model, settings, draws)

    show = wanted() if progress is None else bool(progress)
    reps: Iterable[int] = range(replications)
    if show:
        reps = tasks(reps, f"SBC {family} {name}", replications, leave=False)
    rng = np.random.default_rng([seed, 1])  # tie-breaking, apart from JAX's streams
    root = jax.random.PRNGKey(seed)
    names: list[str] = []  # the first replication's (they all have the same)
    rank_rows, z_abs, z_signed, compiles = [], [], [], []
    with _jax.stopwatch() as total:
        for r in reps:
            k_sim, k_fit = jax.random.split(jax.random.fold_in(root, r))
            with _jax.stopwatch() as clock:
                data, truth = simulate_from_prior(model, k_sim, n_items)
                post = posterior(data, k_fit)
                q_names, values = quantities(model, post, truth, data)
            compiles.append(clock["compile"])
            if not names:
                names = q_names
            rank_rows.append(ranks_of(values[0], values[1:], rng))
            sd = values[1:].std(axis=0, ddof=1)
            err = (values[1:].mean(axis=0) - values[0]) / np.where(sd > 0, sd, np.nan)
            z_abs.append(np.abs(err))
            z_signed.append(err)
    ranks = np.stack(rank_rows)
    hist, expected, chi2, pvals = chi2_uniform(ranks, draws + 1, bins)
    seconds = {
        "total": total["total"],
        "compile": float(np.sum(compiles)),
        "compile_first": float(compiles[0]),
        "compile_rest": float(np.sum(compiles[1:])),
    }
    return SBCResult(
        family=family,
        method=name,
        options=options,
        replications=replications,
        n_items=n_items,
        draws=draws,
        seed=seed,
        quantities=names,
        invariant_only=bool(model.invariant_only),
        ranks=ranks,
        histograms=hist,
        expected=expected,
        chi2=chi2,
        pvalues=pvals,
        combined_p=float(holm(pvals).min()),
        z_abs=np.stack(z_abs),
        z_signed=np.stack(z_signed),
        seconds=seconds,
        settings={
            **settings,
            "engine": engine if not custom else "custom",
            "divergences": getattr(posterior, "divergences", None),
        },
    )


def sbc_task(spec: Mapping[str, Any]) -> dict:
    """One family x method SBC run as a sweep task (:mod:`zoo.sweep_exec`): the keyword
    arguments of :func:`sbc` as JSON in, :meth:`SBCResult.to_dict` out. Its replications
    stay in one task, where they share one compiled sampler."""
    from . import _jax

    _jax.ensure()
    kwargs = {k: v for k, v in spec.items() if k not in ("family", "options", "label")}
    return sbc(spec["family"], spec["options"], progress=False, **kwargs).to_dict()
