"""Empirical checks that samples honour the conditional independencies a DAG claims.

Every local Markov statement ``node ⟂ rest | parents`` of a DAG is tested on samples through
its pairwise consequences ``node ⟂ other | parents``, one test per ``other``:

* discrete columns (integer values, at most :data:`MAX_LEVELS` distinct): a G-test
  (likelihood-ratio chi-square) of ``x ⟂ y`` stratified by the joint configuration of the
  conditioners;
* any continuous column involved: a partial-correlation Fisher-z test (``x`` and ``y``
  regressed on the conditioners by least squares, the residuals correlated).

:func:`check_claims` corrects for multiple testing (Holm-Bonferroni by default, so the
chance of any false contradiction on data that do follow the DAG is at most ``alpha``).
NumPy and SciPy only: nothing here imports JAX.

* :func:`ci_test`: one conditional-independence test on named columns.
* :func:`check_claims`: every pairwise test a DAG's local Markov statements imply.
* :func:`format_claims`: a short terminal summary of a :class:`ClaimsReport`.
* :func:`samples_from_dataset`: the columns of a zoo :class:`~zoo.data.Dataset`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from graphs.independence import Statement, local_markov

from ._ci_tests import MAX_LEVELS, MIN_SAMPLES, CITest, _check_discrete, _run, _Table, ci_test
from ._records import fields
from .errors import ZooError

if TYPE_CHECKING:  # only the interfaces are needed
    from graphs import DAG

    from .data import Dataset

__all__ = [
    "CORRECTIONS",
    "MAX_LEVELS",
    "MIN_SAMPLES",
    "CITest",
    "ClaimTest",
    "ClaimsReport",
    "check_claims",
    "ci_test",
    "format_claims",
    "samples_from_dataset",
]

CORRECTIONS = ("holm", "bonferroni", "none")


@dataclass(frozen=True)
class ClaimTest:
    """A :class:`CITest` of one claim, with its p-value adjusted for multiple testing;
    ``contradicted`` when ``p_adjusted < alpha``."""

    test: CITest
    p_adjusted: float
    contradicted: bool

    @property
    def node(self) -> str:
        """The node the claim is about (the test's ``x``)."""
        return self.test.x

    @property
    def other(self) -> str:
        """The node it is claimed independent of (the test's ``y``)."""
        return self.test.y

    @property
    def given(self) -> tuple[str, ...]:
        """The conditioning set of the test."""
        return self.test.given

    @property
    def p_value(self) -> float:
        """The test's p-value before the multiple-testing adjustment."""
        return self.test.p_value

    def to_dict(self) -> dict:
        """The test as JSON-ready data (plain Python numbers, lists and strings)."""
        t = self.test
        return {
            "node": t.x,
            "other": t.y,
            "given": list(t.given),
            "method": t.method,
            "statistic": t.statistic,
            "dof": t.dof,
            "p_value": t.p_value,
            "p_adjusted": self.p_adjusted,
            "contradicted": self.contradicted,
        }


@dataclass(frozen=True)
class ClaimsReport:
    """The outcome of :func:`check_claims`.

    ``tests`` are in statement order (DAG node order), then in the order of each statement's
    right-hand side; ``untestable`` holds ``(statement text, reason)`` pairs for claims the
    samples cannot test; ``statements`` counts the local Markov statements that were tested.
    """

    tests: tuple[ClaimTest, ...]
    alpha: float
    correction: str
    n_samples: int
    untestable: tuple[tuple[str, str], ...] = ()
    statements: int = 0

    @property
    def claimed(self) -> int:
        """The number of pairwise independencies tested."""
        return len(self.tests)

    @property
    def contradicted(self) -> list[ClaimTest]:
        """The contradicted tests, worst (smallest adjusted, then raw, p-value) first."""
        bad = [t for t in self.tests if t.contradicted]
        return sorted(bad, key=lambda t: (t.p_adjusted, t.p_value))

    @property
    def ok(self) -> bool:
        """True when no test contradicts the DAG."""
        return not any(t.contradicted for t in self.tests)

    def __repr__(self) -> str:
        return (
            f"<ClaimsReport: {self.claimed} claimed, {len(self.contradicted)} contradicted "
            f"({self.correction}, alpha {self.alpha:g})>"
        )

    def _repr_html_(self) -> str:
        from .display import claims_html

        return claims_html(self)

    def to_dict(self) -> dict:
        """A JSON-ready dictionary (plain Python numbers, lists and strings)."""
        return {
            **fields(self, "alpha", "correction", "n_samples", "statements", "claimed"),
            "contradicted": sum(t.contradicted for t in self.tests),
            "tests": [t.to_dict() for t in self.tests],
            "untestable": [{"statement": s, "reason": r} for s, r in self.untestable],
        }


# -- public API -----------------------------------------------------------------------------


def _adjust(p: np.ndarray, correction: str) -> np.ndarray:
    """Adjusted p-values: Holm's step-down (monotone), Bonferroni, or none; capped at 1."""
    m = len(p)
    if correction == "none" or m == 0:
        return p.copy()
    if correction == "bonferroni":
        adjusted: np.ndarray = np.minimum(p * m, 1.0)
        return adjusted
    order = np.argsort(p, kind="stable")  # stable: ties keep test order, so runs repeat
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out


def check_claims(
    samples: Mapping[str, np.ndarray],
    dag: DAG,
    *,
    alpha: float = 0.05,
    correction: str = "holm",
    discrete: Mapping[str, bool] | None = None,
) -> ClaimsReport:
    """Test the local Markov statements of ``dag`` on ``samples``.

    Each statement ``node ⟂ {o1, o2, ...} | parents`` (see :func:`graphs.local_markov`) is
    tested through its pairwise consequences ``node ⟂ o | parents``, one :func:`ci_test`
    per ``o``; jointly they are implied by, but do not imply, the statement. A statement
    whose node or conditioners have no sample column (a summed-out latent, say) is not
    tested and is listed as untestable with the missing columns named; right-hand-side
    variables without a column are listed likewise and the rest tested. A pair implied by
    two statements (naive Bayes: ``x0 ⟂ x1 | y`` and ``x1 ⟂ x0 | y``) is tested, and
    counted, once for each.

    Parameters
    ----------
    samples:
        ``name -> 1-D array``, one value per sample (see :func:`samples_from_dataset`);
        columns that are not nodes of ``dag`` are ignored.
    dag:
        A :class:`graphs.DAG`.
    alpha:
        Level of the family of tests.
    correction:
        ``"holm"`` (Holm-Bonferroni over all tests of the call: the family-wise error rate
        is at most ``alpha``), ``"bonferroni"`` (likewise, less powerful) or ``"none"``.
    discrete:
        Per-column override of the discrete/continuous decision (see :func:`ci_test`).

    Returns
    -------
    ClaimsReport
        A test is contradicted when its adjusted p-value is below ``alpha``. Constant
        columns are not errors: their tests have ``p = 1`` (0 dof).

    Raises
    ------
    ValueError
        On a bad ``alpha`` or ``correction``, and on the column problems of :func:`ci_test`
        (checked for every node's column).
    """
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ZooError(f"alpha must be a number in (0, 1), got {alpha!r}")
    if correction not in CORRECTIONS:
        raise ZooError(f"unknown correction {correction!r}; expected one of {list(CORRECTIONS)}")
    if not isinstance(samples, Mapping):
        raise ZooError(
            f"samples must be a mapping of column name -> 1-D array, got "
            f"{type(samples).__name__} (for a zoo Dataset use samples_from_dataset)"
        )
    flags = _check_discrete(discrete, samples)
    table = _Table(samples, [v for v in dag.nodes if v in samples], flags)

    tests: list[CITest] = []
    untestable: list[tuple[str, str]] = []
    tested = 0
    for stmt in local_markov(dag):
        missing = [v for v in (stmt.node, *stmt.given) if v not in table]
        if missing:
            untestable.append((str(stmt), _missing(missing)))
            continue
        others = [o for o in stmt.independent_of if o in table]
        absent = tuple(o for o in stmt.independent_of if o not in table)
        if absent:
            part = Statement(stmt.node, absent, stmt.given)
            untestable.append((str(part), _missing(absent)))
        if not others:
            continue
        found, failed = _run(table, stmt.node, others, stmt.given)
        if failed:
            part = Statement(stmt.node, tuple(o for o, _ in failed), stmt.given)
            untestable.append((str(part), failed[0][1]))
        tests.extend(found)
        tested += bool(found)

    p = np.array([t.p_value for t in tests], dtype=float)
    adjusted = _adjust(p, correction)
    rows = tuple(
        ClaimTest(t, float(a), bool(a < alpha)) for t, a in zip(tests, adjusted, strict=True)
    )
    return ClaimsReport(rows, float(alpha), correction, table.n, tuple(untestable), tested)


def _missing(names: Sequence[str]) -> str:
    what = "column" if len(names) == 1 else "columns"
    return f"no sample {what} for {', '.join(map(repr, names))}"


def format_claims(report: ClaimsReport, limit: int = 10) -> str:
    """A short terminal summary: the counts, then up to ``limit`` contradicted tests, worst
    first, with their raw and adjusted p-values, then the untestable statements counted."""
    level = {
        "holm": f"at FWER {report.alpha:g} (Holm)",
        "bonferroni": f"at FWER {report.alpha:g} (Bonferroni)",
        "none": f"at alpha {report.alpha:g} (no correction)",
    }[report.correction]
    noun = "statement" if report.statements == 1 else "statements"
    bad = report.contradicted
    lines = [
        f"claimed {report.claimed} pairwise independencies (from {report.statements} local "
        f"Markov {noun}), contradicted {len(bad)} {level}"
    ]
    for row in bad[: max(limit, 0)]:
        lines.append(f"  {row.test}, adjusted {row.p_adjusted:.3g}")
    if len(bad) > max(limit, 0):
        lines.append(f"  ... and {len(bad) - max(limit, 0)} more")
    if report.untestable:
        reason = report.untestable[0][1]
        more = "" if len(report.untestable) == 1 else ", ..."
        lines.append(f"untestable: {len(report.untestable)} ({reason}{more})")
    return "\n".join(lines)


def samples_from_dataset(data: Dataset, *, label: str = "y") -> dict[str, np.ndarray]:
    """The columns of a zoo :class:`~zoo.data.Dataset`: ``data.names[j] -> data.x[:, j]``,
    plus the labels under ``label`` (the DAG's label variable) when ``data.y`` is set.

    Raises
    ------
    ValueError
        When ``label`` is also the name of a variable column.
    """
    out = {name: np.asarray(data.x[:, j]) for j, name in enumerate(data.names)}
    if data.y is not None:
        if label in out:
            raise ZooError(
                f"label name {label!r} is also a variable column of {data.source!r}; "
                f"pass another label="
            )
        out[label] = np.asarray(data.y)
    return out
