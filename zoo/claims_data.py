"""A structure's independence claims tested against data: which claims do the data
contradict?

:func:`check_data` tests every local Markov statement ``node ⟂ rest | parents`` of a DAG on
data columns through its pairwise consequences ``node ⟂ other | parents`` (the tests of
:func:`zoo.claims.check_claims`: a G-test when every column involved is discrete, a
partial-correlation Fisher-z test otherwise), drops the tests the data cannot support
(:data:`MIN_PER_DOF`), and corrects the rest together by Holm, so that on data that follow
the DAG the chance of any contradiction is at most ``alpha``. A statement is contradicted
when one of its pairwise tests is. Each test carries its effect size in nats: the
conditional mutual information ``G / 2n`` (G-test) or ``-0.5 log(1 - r^2)`` (Fisher-z).

Untestable (never counted as claimed or contradicted), with the reason named:

* a node without a data column: a latent variable (a latent class ``z``, a VAE's code) or
  a label the data lack; a statement conditioned on one is untestable as a whole;
* a G-test with 0 degrees of freedom (``x`` or ``y`` takes one value within every stratum:
  no variation to test), or with fewer than :data:`MIN_PER_DOF` items per degree of
  freedom (``n < 5 dof``, ``dof = sum over strata of (levels of x - 1)(levels of y - 1)``);
* a Fisher-z test with ``n - k - 3 < 1`` for ``k`` conditioner columns.

:meth:`DataClaims.to_dict` is the JSON of ``zoo check --json``; its keys are stable:

* ``source`` (what the structure is: a family, a program or a network), ``dag`` (its
  name), ``items`` (data rows), ``alpha``, ``correction`` (``"holm"``), ``rule`` (the
  untestable rule, in words);
* ``statements`` and ``claims``: ``{"total", "tested", "contradicted", "untestable",
  "share_contradicted"}`` over local Markov statements and over their pairwise claims;
  ``share_contradicted`` is ``contradicted / tested``, ``null`` when nothing was tested;
* ``note``: why ``statements.share_contradicted`` is ``null`` (else ``null``);
* ``nodes``: per DAG node with a data column, ``{"node", "status", "tested",
  "contradicted", "share"}``: ``status`` of its own statement (``"contradicted"``,
  ``"claimed"``, ``"untestable"`` or ``"none"`` when the DAG claims nothing about it),
  counts and share over the tested claims that involve the node on either side;
* ``tests``: every tested claim, most contradicted first (smallest adjusted p-value, then
  largest effect): ``{"node", "other", "given", "method", "statistic", "dof", "p_value",
  "p_adjusted", "contradicted", "effect_nats"}``;
* ``untestable``: ``{"statement", "reason"}`` per untestable (part of a) statement.

NumPy and SciPy only: nothing here imports JAX.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from graphs.independence import Statement, local_markov

from .claims import ClaimTest, _adjust, check_claims

if TYPE_CHECKING:
    from graphs import DAG

    from .data import Dataset

__all__ = [
    "MIN_PER_DOF",
    "RULE",
    "DataClaims",
    "check_data",
    "claims_cells",
    "format_data_claims",
    "most_contradicted",
]

#: items per degree of freedom a G-test needs before its chi-square p-value is trusted
MIN_PER_DOF = 5
RULE = (
    f"a G-test needs at least {MIN_PER_DOF} items per degree of freedom and at least one "
    "degree of freedom; a Fisher-z test needs n - k - 3 >= 1 for k conditioner columns; a "
    "statement about a variable without a data column is untestable"
)


@dataclass(frozen=True)
class DataClaims:
    """The outcome of :func:`check_data`: the tested claims (Holm-adjusted), the
    untestable ones with reasons, and the statements' outcome per node."""

    source: str
    dag: str
    items: int
    alpha: float
    tests: tuple[ClaimTest, ...]
    untestable: tuple[tuple[Statement, str], ...]
    status: Mapping[str, str]  # node -> contradicted / claimed / untestable / none
    columns: tuple[str, ...]  # DAG nodes with a data column, in DAG order
    total_statements: int
    total_claims: int

    def __repr__(self) -> str:
        shown = self.statement_share
        share = "none tested" if shown is None else f"{shown:.1%} contradicted"
        return f"<DataClaims {self.dag!r} on {self.source or 'data'}: {share}>"

    def _repr_html_(self) -> str:
        from .display import data_claims_html

        return data_claims_html(self)

    def count(self, status: str) -> int:
        """Statements with ``status``."""
        return sum(s == status for s in self.status.values())

    @property
    def statement_share(self) -> float | None:
        """Contradicted over tested statements; ``None`` when none was tested."""
        bad, ok = self.count("contradicted"), self.count("claimed")
        return bad / (bad + ok) if bad + ok else None

    @property
    def claim_share(self) -> float | None:
        """Contradicted over tested pairwise claims; ``None`` when none was tested."""
        return sum(t.contradicted for t in self.tests) / len(self.tests) if self.tests else None

    @property
    def note(self) -> str | None:
        """Why :attr:`statement_share` is ``None``, else ``None``."""
        if self.statement_share is not None:
            return None
        if not self.total_statements:
            return "the structure claims no independence (every pair is joined)"
        if self.untestable and all("column" in r for _, r in self.untestable):
            return "every claim involves a variable the data lack (" + self.untestable[0][1] + ")"
        return f"no claim is testable on these data ({len(self.untestable)} untestable)"

    def worst(self) -> list[ClaimTest]:
        """The tests, most contradicted first (adjusted p, raw p, then larger effect)."""
        return sorted(self.tests, key=lambda t: (t.p_adjusted, t.p_value, -_effect(t)))

    def per_node(self) -> list[dict[str, Any]]:
        """Per node with a column: its statement's status and the tested claims on it."""
        tested = dict.fromkeys(self.columns, 0)
        bad = dict.fromkeys(self.columns, 0)
        for t in self.tests:
            for v in (t.node, t.other):
                tested[v] += 1
                bad[v] += t.contradicted
        return [
            {
                "node": v,
                "status": self.status.get(v, "none"),
                "tested": tested[v],
                "contradicted": bad[v],
                "share": bad[v] / tested[v] if tested[v] else None,
            }
            for v in self.columns
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data with the keys of the module docstring."""
        n_bad = sum(t.contradicted for t in self.tests)
        return {
            "source": self.source,
            "dag": self.dag,
            "items": self.items,
            "alpha": self.alpha,
            "correction": "holm",
            "rule": RULE,
            "statements": {
                "total": self.total_statements,
                "tested": self.count("contradicted") + self.count("claimed"),
                "contradicted": self.count("contradicted"),
                "untestable": self.count("untestable"),
                "share_contradicted": self.statement_share,
            },
            "claims": {
                "total": self.total_claims,
                "tested": len(self.tests),
                "contradicted": n_bad,
                "untestable": self.total_claims - len(self.tests),
                "share_contradicted": self.claim_share,
            },
            "note": self.note,
            "nodes": self.per_node(),
            "tests": [{**t.to_dict(), "effect_nats": _effect(t)} for t in self.worst()],
            "untestable": [{"statement": str(s), "reason": r} for s, r in self.untestable],
        }


def _effect(t: ClaimTest) -> float:
    return float(t.test.effect or 0.0)


def _why(test_dof: int, n: int) -> str | None:
    """The untestable rule for a G-test of ``test_dof`` degrees of freedom on ``n`` items."""
    if test_dof == 0:
        return "0 degrees of freedom: x or y takes one value within every stratum"
    if n < MIN_PER_DOF * test_dof:
        return f"fewer than {MIN_PER_DOF} items per degree of freedom (n = {n}, dof = {test_dof})"
    return None


def _missing(dag: DAG, names: Sequence[str]) -> str:
    parts = [f"{v!r} ({dag.role(v)})" for v in names]
    what = "column" if len(names) == 1 else "columns"
    return f"no data {what} for {', '.join(parts)}"


def check_data(
    columns: Mapping[str, np.ndarray],
    dag: DAG,
    *,
    alpha: float = 0.05,
    source: str = "",
) -> DataClaims:
    """Test the local Markov statements of ``dag`` on the data ``columns`` (``name -> 1-D
    array``, e.g. :func:`zoo.claims.samples_from_dataset`); see the module docstring for
    the tests, the untestable rule and the correction. ``ValueError`` on the problems
    :func:`zoo.claims.check_claims` names (bad ``alpha``, bad columns)."""
    raw = check_claims(columns, dag, alpha=alpha, correction="none")
    # check_claims names Fisher-z failures per statement; keep its reason
    failed_why = {s.split(" ⟂ ")[0]: r for s, r in raw.untestable if "no sample" not in r}
    ran = {(t.node, t.other) for t in raw.tests}
    untestable: list[tuple[Statement, str]] = []
    status: dict[str, str] = {}
    statements = local_markov(dag)
    for stmt in statements:
        missing = [v for v in (stmt.node, *stmt.given) if v not in columns]
        status[stmt.node] = "untestable"
        if missing:
            untestable.append((stmt, _missing(dag, missing)))
            continue
        absent = tuple(o for o in stmt.independent_of if o not in columns)
        if absent:
            untestable.append((Statement(stmt.node, absent, stmt.given), _missing(dag, absent)))
        failed = tuple(o for o in stmt.independent_of if o in columns and (stmt.node, o) not in ran)
        if failed:
            reason = failed_why.get(stmt.node, "the test could not run")
            untestable.append((Statement(stmt.node, failed, stmt.given), reason))
    kept: list[ClaimTest] = []
    sparse: dict[tuple[str, tuple[str, ...], str], list[str]] = {}
    for t in raw.tests:
        why = _why(int(t.test.dof or 0), t.test.n) if t.test.method == "g-test" else None
        if why is None:
            kept.append(t)
        else:
            sparse.setdefault((t.node, t.given, why), []).append(t.other)
    for (node, given, why), others in sparse.items():
        untestable.append((Statement(node, tuple(others), given), why))
    adjusted = _adjust(np.array([t.p_value for t in kept], dtype=float), "holm")
    tests = tuple(
        ClaimTest(t.test, float(a), bool(a < alpha)) for t, a in zip(kept, adjusted, strict=True)
    )
    for t in tests:
        if t.contradicted:
            status[t.node] = "contradicted"
        elif status[t.node] == "untestable":
            status[t.node] = "claimed"
    total = sum(len(s.independent_of) for s in statements)
    return DataClaims(
        source or dag.name,
        dag.name,
        raw.n_samples,
        float(alpha),
        tests,
        tuple(untestable),
        status,
        tuple(v for v in dag.nodes if v in columns),
        len(statements),
        total,
    )


def most_contradicted(report: DataClaims) -> list[ClaimTest]:
    """The contradicted tests, worst first; a pair claimed both ways (x ⟂ y, y ⟂ x) once."""
    bad, seen = [], set()
    for t in report.worst():
        pair = (frozenset((t.node, t.other)), t.given)
        if t.contradicted and pair not in seen:
            seen.add(pair)
            bad.append(t)
    return bad


def format_data_claims(report: DataClaims, limit: int = 15) -> str:
    """A terminal table: the counts, the most contradicted claims (up to ``limit``) with
    p-values and effects, then the untestable statements counted with their first reason."""
    d = report.to_dict()
    s, c = d["statements"], d["claims"]

    def share(x: float | None) -> str:
        return "-" if x is None else f"{x:.1%}"

    lines = [
        f"{report.source} on {report.items:,} items: Holm-corrected at FWER {report.alpha:g}",
        f"  statements: {s['tested']} tested of {s['total']}, {s['contradicted']} contradicted "
        f"({share(s['share_contradicted'])}), {s['untestable']} untestable",
        f"  pairwise claims: {c['tested']} tested of {c['total']}, {c['contradicted']} "
        f"contradicted ({share(c['share_contradicted'])}), {c['untestable']} untestable",
    ]
    if report.note:
        lines.append(f"  note: {report.note}")
    bad = most_contradicted(report)
    if bad:
        lines += ["", "most contradicted claims (a pair claimed both ways shown once):"]
        cells = [["claim", "test", "p", "p (Holm)", "effect (nats)"]]
        for t in bad[: max(limit, 0)]:
            given = f" | {', '.join(t.given)}" if t.given else ""
            if len(given) > 24:
                given = given[:21] + "..."
            cells.append(
                [
                    f"{t.node} ⟂ {t.other}{given}",
                    t.test.method,
                    f"{t.p_value:.3g}",
                    f"{t.p_adjusted:.3g}",
                    f"{_effect(t):.4f}",
                ]
            )
        widths = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
        for i, r in enumerate(cells):
            lines.append(
                "  "
                + "  ".join(
                    x.ljust(w) if j == 0 else x.rjust(w)
                    for j, (x, w) in enumerate(zip(r, widths, strict=True))
                )
            )
            if i == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        if len(bad) > max(limit, 0):
            lines.append(f"  ... and {len(bad) - max(limit, 0)} more")
    if report.untestable:
        lines += ["", f"untestable (parts of) statements: {len(report.untestable)} (rule: {RULE})"]
        reasons: dict[str, int] = {}
        for _, reason in report.untestable:
            head = reason.split(" (n =")[0]
            reasons[head] = reasons.get(head, 0) + 1
        lines += [f"  {k}: {v}" for k, v in reasons.items()]
    return "\n".join(lines)


def claims_cells(dag: DAG, columns: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """``zoo compare``'s two cells for a family: ``claims_contradicted`` (the share of its
    testable local Markov statements that ``columns`` contradict, 3 decimals, ``None``
    when none is testable) and ``claims_note`` (why it is ``None``)."""
    report = check_data(columns, dag)
    share = report.statement_share
    return {
        "claims_contradicted": None if share is None else round(share, 3),
        "claims_note": report.note,
    }


class ClaimShares:
    """A row's claims cells (:func:`zoo.claims_data.claims_cells`) on the training data,
    computed once per distinct DAG."""

    def __init__(self, train: Dataset) -> None:
        from .claims import samples_from_dataset

        self.columns = samples_from_dataset(train)
        self.cache: dict[tuple, dict[str, Any]] = {}

    def __call__(self, dag: Any) -> dict[str, Any]:
        key = (dag.nodes, dag.edges, tuple(dag.role(v) for v in dag.nodes))
        if key not in self.cache:
            self.cache[key] = claims_cells(dag, self.columns)
        return dict(self.cache[key])
