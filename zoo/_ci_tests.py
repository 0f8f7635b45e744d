"""One conditional-independence test on samples, :func:`ci_test`, and the batched machinery
:func:`zoo.claims.check_claims` runs its many tests through (one call per tested node):

* discrete columns (integer values, at most :data:`MAX_LEVELS` distinct): a G-test
  (likelihood-ratio chi-square) stratified by the joint configuration of the conditioners;
* any continuous column involved: a partial-correlation Fisher-z test (both columns
  regressed on the conditioners by least squares, the residuals correlated).

NumPy and SciPy only: nothing here imports JAX. The public names are re-exported by
:mod:`zoo.claims`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import chdtrc, ndtr

from .errors import ZooError

MAX_LEVELS = 32  # an integer-valued column with more distinct values is read as continuous
MIN_SAMPLES = 10
_MAX_CELLS = 1 << 22  # count cells per batched bincount, bounds memory on many strata
_CONST_TOL = 1e-12  # residual share of variance below which a column counts as constant


@dataclass(frozen=True)
class CITest:
    """One test of ``x ⟂ y | given``.

    ``method`` is ``"g-test"`` (``statistic`` is G, ``dof`` its degrees of freedom) or
    ``"fisher-z"`` (``statistic`` is the signed z of the partial correlation, ``dof`` is
    ``None``); ``p_value`` is the raw p-value and ``n`` the number of samples. ``effect`` is
    the size of the dependence in nats: the plug-in conditional mutual information
    ``G / 2n`` (G-test) or its Gaussian form ``-0.5 log(1 - r^2)`` (Fisher-z, ``r`` the
    partial correlation).
    """

    x: str
    y: str
    given: tuple[str, ...]
    method: str
    statistic: float
    dof: int | None
    p_value: float
    n: int
    effect: float | None = None

    def __str__(self) -> str:
        given = f" | {', '.join(self.given)}" if self.given else ""
        if self.method == "g-test":
            stat = f"G = {self.statistic:.4g}, dof {self.dof}"
        else:
            stat = f"z = {self.statistic:.4g}"
        return f"{self.x} ⟂ {self.y}{given}: {stat}, p = {self.p_value:.3g}"


# -- columns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    """A checked column: float values, integer codes of its distinct values, kind."""

    values: np.ndarray
    codes: np.ndarray
    levels: int
    discrete: bool


def _encode(name: str, raw: ArrayLike, discrete: bool | None) -> _Column:
    arr = np.asarray(raw)
    if arr.ndim != 1:
        raise ZooError(f"column {name!r} must be 1-D (one value per sample), got {arr.shape}")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iuf":
        raise ZooError(f"column {name!r} must hold numbers, got dtype {arr.dtype}")
    values = arr.astype(np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ZooError(
            f"column {name!r} has {values[i]} at row {i} ({int(bad.sum())} non-finite values)"
        )
    uniq, codes = np.unique(values, return_inverse=True)
    if discrete is None:
        discrete = len(uniq) <= MAX_LEVELS and bool(np.all(uniq == np.round(uniq)))
    return _Column(values, codes.astype(np.int64).ravel(), len(uniq), bool(discrete))


def _check_discrete(discrete: Mapping[str, bool] | None, names: Collection[str]) -> dict[str, bool]:
    if discrete is None:
        return {}
    unknown = [k for k in discrete if k not in names]
    if unknown:
        raise ZooError(f"discrete names unknown columns {unknown}; columns are {_preview(names)}")
    return {k: bool(v) for k, v in discrete.items()}


class _Table:
    """Checked columns of equal length, stacked row-wise so that a batch of tests gathers
    its columns with one fancy index."""

    def __init__(
        self, columns: Mapping[str, np.ndarray], names: Sequence[str], discrete: dict[str, bool]
    ) -> None:
        cols: list[_Column] = []
        for name in names:
            col = _encode(name, columns[name], discrete.get(name))
            if cols and len(col.values) != len(cols[0].values):
                raise ZooError(
                    f"columns differ in length: {names[0]!r} has {len(cols[0].values)} values, "
                    f"{name!r} has {len(col.values)}"
                )
            cols.append(col)
        self.n = len(cols[0].values) if cols else 0
        if cols and self.n < MIN_SAMPLES:
            raise ZooError(
                f"{self.n} samples are too few to test independence (need >= {MIN_SAMPLES})"
            )
        self.index = {name: j for j, name in enumerate(names)}
        shape = (len(cols), self.n)
        self.codes = np.stack([c.codes for c in cols]) if cols else np.zeros(shape, np.int64)
        self.values = np.stack([c.values for c in cols]) if cols else np.zeros(shape)
        self.levels = np.array([c.levels for c in cols], dtype=np.int64)
        self.discrete = np.array([c.discrete for c in cols], dtype=bool)
        # k log k for every count k, so that G-tests look counts up in a table
        k = np.arange(self.n + 1, dtype=np.float64)
        self.xlogx = k * np.log(np.maximum(k, 1.0))

    def __contains__(self, name: str) -> bool:
        return name in self.index


def _preview(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(map(repr, names[:8])) + (", ..." if len(names) > 8 else "")


# -- the tests, batched over y --------------------------------------------------------------


def _strata(table: _Table, given: Sequence[int]) -> tuple[np.ndarray, int]:
    """Codes ``0..S-1`` of the joint configuration of the ``given`` columns; only the
    configurations seen are numbered, so ``S <= n``."""
    s = np.zeros(table.n, dtype=np.int64)
    if not given:
        return s, 1
    size = 1
    for j in given:
        k = int(table.levels[j])
        if size * k > 1 << 40:  # re-number before mixed-radix codes overflow
            _, s = np.unique(s, return_inverse=True)
            size = int(s.max()) + 1
        s = s * k + table.codes[j]
        size *= k
    uniq, s = np.unique(s, return_inverse=True)
    return s.ravel(), len(uniq)


def _g_tests(
    table: _Table, x: int, ys: np.ndarray, given: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """G statistics, dofs and p-values of ``x ⟂ y | given`` for each column ``y`` in ``ys``."""
    s, n_strata = _strata(table, given)
    kx, ky = int(table.levels[x]), int(table.levels[ys].max())
    xlogx = table.xlogx
    cells = n_strata * kx * ky
    batch = max(1, _MAX_CELLS // cells)
    base = (s * kx + table.codes[x]) * ky
    g_out, dof_out = [], []
    for start in range(0, len(ys), batch):
        chunk = ys[start : start + batch]
        m = len(chunk)
        # one bincount for the whole batch: test j counts into cells j*cells .. (j+1)*cells
        idx = table.codes[chunk] + base + (np.arange(m, dtype=np.int64) * cells)[:, None]
        counts = np.bincount(idx.ravel(), minlength=m * cells)
        counts = counts.reshape(m, n_strata, kx, ky)
        rows, cols = counts.sum(axis=3), counts.sum(axis=2)
        total = rows.sum(axis=2)
        # 2 sum O log(O/E) with E = row * col / total, written with k log k terms
        g = 2.0 * (
            xlogx[counts].sum(axis=(2, 3))
            - xlogx[rows].sum(axis=2)
            - xlogx[cols].sum(axis=2)
            + xlogx[total]
        )
        dof = ((rows > 0).sum(axis=2) - 1) * ((cols > 0).sum(axis=2) - 1)
        # a stratum with one level of x or y carries no information: skip it
        g_out.append(np.where(dof > 0, np.maximum(g, 0.0), 0.0).sum(axis=1))
        dof_out.append(np.maximum(dof, 0).sum(axis=1))
    g, dof = np.concatenate(g_out), np.concatenate(dof_out)
    p = np.where(dof > 0, chdtrc(np.maximum(dof, 1), g), 1.0)
    return g, dof, p


def _basis(table: _Table, given: Sequence[int]) -> np.ndarray:
    """An orthonormal basis of the regression design: intercept, continuous conditioners
    as they are, discrete ones one-hot. Dependent columns are dropped by the SVD's rank,
    so the basis has ``1 + k`` columns for ``k`` independent conditioner columns."""
    parts = [np.ones((table.n, 1))]
    for j in given:
        if table.discrete[j]:
            levels = np.arange(1, int(table.levels[j]))  # the intercept stands for level 0
            parts.append((table.codes[j][:, None] == levels).astype(np.float64))
        else:
            parts.append(table.values[j][:, None])
    design = np.concatenate(parts, axis=1)
    u, sv, _ = np.linalg.svd(design, full_matrices=False)
    rank = int(np.sum(sv > sv[0] * max(design.shape) * np.finfo(float).eps))
    return u[:, :rank]


def _fisher_tests(
    table: _Table, x: int, ys: np.ndarray, given: Sequence[int]
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray] | None, int]:
    """Fisher-z statistics, p-values and partial correlations of ``x ⟂ y | given``, and the
    number ``k`` of conditioner columns; ``None`` in place of the results when
    ``n - k - 3 < 1``."""
    n = table.n
    basis = _basis(table, given)
    k = basis.shape[1] - 1
    if n - k - 3 < 1:
        return None, k
    values = table.values[np.concatenate([[x], ys])]  # (1 + m, n)
    resid = values - (values @ basis) @ basis.T
    centred = values - values.mean(axis=1, keepdims=True)
    ss_tot = np.einsum("ij,ij->i", centred, centred)
    ss_res = np.einsum("ij,ij->i", resid, resid)
    # a column with (almost) no variation left after the conditioners: nothing to correlate
    flat = (ss_tot == 0) | (ss_res <= _CONST_TOL * ss_tot)
    dead = flat[0] | flat[1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (resid[1:] @ resid[0]) / np.sqrt(ss_res[0] * ss_res[1:])
    edge = np.nextafter(1.0, 0.0)  # keep z finite (JSON-ready) when |r| rounds to 1
    r = np.where(dead, 0.0, np.clip(r, -edge, edge))
    z = np.arctanh(r) * math.sqrt(n - k - 3)
    p = np.where(dead, 1.0, 2.0 * ndtr(-np.abs(z)))
    return (z, p, r), k


def _run(
    table: _Table, x: str, ys: Sequence[str], given: Sequence[str]
) -> tuple[list[CITest], list[tuple[str, str]]]:
    """Test ``x ⟂ y | given`` for each ``y``: the tests, and ``(y, reason)`` for those that
    cannot be run."""
    given = tuple(given)
    n, ix, disc = table.n, table.index, table.discrete
    xi, gi = ix[x], [ix[g] for g in given]
    all_discrete = bool(disc[xi]) and all(disc[j] for j in gi)
    g_names = [y for y in ys if all_discrete and disc[ix[y]]]
    f_names = [y for y in ys if not (all_discrete and disc[ix[y]])]
    found: dict[str, CITest] = {}
    failed: list[tuple[str, str]] = []
    if g_names:
        g, dof, p = _g_tests(table, xi, np.array([ix[y] for y in g_names]), gi)
        for y, gj, dj, pj in zip(g_names, g.tolist(), dof.tolist(), p.tolist(), strict=True):
            gj = gj if dj > 0 else 0.0
            found[y] = CITest(x, y, given, "g-test", gj, dj, pj, n, gj / (2 * n))
    if f_names:
        res, k = _fisher_tests(table, xi, np.array([ix[y] for y in f_names]), gi)
        if res is None:
            why = f"too few samples ({n}) for a Fisher-z test with {k} conditioner columns"
            failed.extend((y, why) for y in f_names)
        else:
            z, p, r = (a.tolist() for a in res)
            for y, zj, pj, rj in zip(f_names, z, p, r, strict=True):
                cmi = -0.5 * math.log1p(-rj * rj)
                found[y] = CITest(x, y, given, "fisher-z", zj, None, pj, n, cmi)
    return [found[y] for y in ys if y in found], failed


# -- one test on named columns ------------------------------------------------------------


def ci_test(
    columns: Mapping[str, np.ndarray],
    x: str,
    y: str,
    given: Sequence[str] = (),
    *,
    discrete: Mapping[str, bool] | None = None,
) -> CITest:
    """Test ``x ⟂ y | given`` on samples.

    Parameters
    ----------
    columns:
        ``name -> 1-D array`` of one value per sample; only ``x``, ``y`` and ``given`` are
        read (and must all have the same length, at least 10).
    x, y:
        The two column names.
    given:
        Names of the conditioning columns.
    discrete:
        Per-column override of the discrete/continuous decision. By default a column is
        discrete when all its values are integers and it has at most 32 distinct values.

    Returns
    -------
    CITest
        When ``x``, ``y`` and every conditioner are discrete: a G-test,
        ``G = 2 sum O log(O / E)`` within each stratum (joint configuration of ``given``),
        with ``(levels of x seen - 1) * (levels of y seen - 1)`` degrees of freedom per
        stratum, strata with 0 dof skipped, ``p = chi2.sf(G, dof)``. Otherwise a Fisher-z
        test of the partial correlation ``r`` of ``x`` and ``y`` (the correlation of their
        least-squares residuals on an intercept, the continuous conditioners and the
        discrete conditioners one-hot): ``z = atanh(r) sqrt(n - k - 3)`` with ``k``
        conditioner columns (the design's rank less the intercept), two-sided ``p``.
        A test with no variation to test (0 dof: ``x`` or ``y`` constant within every
        stratum, or constant after regressing out the conditioners) gives statistic 0 and
        ``p = 1``, not an error.

    Raises
    ------
    ValueError
        On an unknown column name, ``x == y``, ``x`` or ``y`` among ``given``, a repeated
        conditioner, columns of different lengths, a non-numeric, non-1-D or non-finite
        column, fewer than 10 samples, or too few samples for the Fisher-z conditioners.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.integers(0, 2, 500)
    >>> b = (a ^ (rng.random(500) < 0.1)).astype(int)  # b copies a, 10% flipped
    >>> t = ci_test({"a": a, "b": b}, "a", "b")
    >>> t.method, t.dof, t.p_value < 1e-10
    ('g-test', 1, True)
    """
    given = tuple(given)
    unknown = [c for c in (x, y, *given) if c not in columns]
    if unknown:
        raise ZooError(
            f"unknown columns {unknown}; the columns are {_preview(columns)}"
            if len(unknown) > 1
            else f"unknown column {unknown[0]!r}; the columns are {_preview(columns)}"
        )
    if x == y:
        raise ZooError(f"x and y are the same column {x!r}: nothing to test it against")
    for c in (x, y):
        if c in given:
            raise ZooError(f"column {c!r} is both tested and conditioned on (in given)")
    repeated = sorted({g for g in given if given.count(g) > 1})
    if repeated:
        raise ZooError(f"given repeats columns {repeated}")
    flags = _check_discrete(discrete, columns)
    table = _Table(columns, (x, y, *given), flags)
    tests, failed = _run(table, x, [y], given)
    if failed:
        raise ZooError(f"cannot test {x} ⟂ {y}: {failed[0][1]}")
    return tests[0]
