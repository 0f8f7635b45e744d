"""Notebook display of the zoo's results: structure and fit cards, ``zoo compare`` results and
claims reports as HTML tables with a picture (the DAG as :func:`graphs.draw_dag` draws it,
the frontier of :func:`zoo.figures.frontier_figure`), and their one-line terminal reprs.

The records' ``_repr_html_`` methods call in here; every name a user gave is escaped, and
matplotlib loads only when a notebook asks for a picture. Nothing here runs inference.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from graphs._display import block, dag_picture, figure_bytes, img, table

if TYPE_CHECKING:
    from graphs import DAG

    from .cards import JSON, FitCard, ProgramFitCard, StructureCard
    from .claims import ClaimsReport
    from .claims_data import DataClaims
    from .compare import CompareResult
    from .data import Dataset


class CardDisplay:
    """The card records' one-line ``repr`` and their HTML in a notebook."""

    def __repr__(self) -> str:
        return short_repr(self)

    def _repr_html_(self) -> str:
        card: Any = self  # one of the three card classes that mix this in
        kind = type(card).__name__
        if kind == "StructureCard":
            return structure_html(card)
        return fit_html(card) if kind == "FitCard" else program_html(card)


def short_repr(card: Any) -> str:
    """``<StructureCard 'name': n nodes, e edges>``, ``<FitCard 'family': method, nats,
    verdict>`` or ``<ProgramFitCard 'program': method, verdict>``."""
    kind = type(card).__name__
    if kind == "StructureCard":
        nodes, edges = counts(card.to_json())
        return f"<StructureCard {card.name!r}: {nodes} nodes, {edges} edges>"
    verdict = "diagnostics pass" if card.diagnostics.passed else "diagnostics fail"
    if kind == "FitCard":
        score = card.heldout.nats_per_item
        nats = "" if score is None else f", {score:.4g} nats per item"
        return f"<FitCard {card.family!r}: {card.method}{nats}, {verdict}>"
    return f"<ProgramFitCard {card.program!r}: {card.method}, {verdict}>"


#: contradicted claims listed in a claims report's table, worst first
CLAIMS_SHOWN = 20
#: posterior elements listed in a program's fit card
POSTERIOR_SHOWN = 30


def _num(value: Any) -> str:
    from .analyses.cli import cell

    return cell(value)


def counts(card: JSON) -> tuple[int, int]:
    """A structure card's numbers of nodes and edges (its lists may be cut short)."""
    listed = card.get("listed")
    if listed:
        return listed["nodes"], listed["edges"]
    return len(card["nodes"]), len(card["edges"])


def dag_of(card: JSON) -> DAG | None:
    """The DAG a card's JSON describes (``nodes``, ``edges``, ``plates``); None when its nodes
    do not make one (a program site the drawing cannot show, or lists cut short)."""
    from graphs import DAG, ROLES, GraphError, Plate, Variable

    if card.get("listed"):
        return None
    try:
        variables = [
            Variable(
                n["name"],
                n.get("card") if isinstance(n.get("card"), int) else None,
                n["role"] if n.get("role") in ROLES else "latent",
                tuple(n["pos"]) if n.get("pos") else None,
            )
            for n in card["nodes"]
        ]
        plates = [Plate(p["name"], p["size"], tuple(p["members"])) for p in card.get("plates", [])]
        edges = [(u, v) for u, v in card["edges"]]
        return DAG(variables, edges, name=str(card.get("dag") or card["name"]), plates=plates)
    except (GraphError, KeyError, TypeError, ValueError):
        return None


def _picture(card: JSON) -> str:
    dag = dag_of(card)
    if dag is None:
        return ""
    data, fmt = dag_picture(dag, title=str(card["name"]))
    return img(data, fmt, f"DAG of {card['name']}")


def _structure_rows(c: JSON) -> list[tuple[str, str]]:
    p, ind = c["params"], c["independence"]
    rows = [("title", str(c.get("title", "")))]
    if c.get("factorisation"):
        rows.append(("factorisation", c["factorisation"]))
    if c.get("options"):
        rows.append(("options", ", ".join(f"{k}={v}" for k, v in c["options"].items())))
    rows += [
        ("nodes, edges", "{}, {}".format(*counts(c))),
        ("parameters", _num(p["model"])),
        ("full joint parameters, log10", _num(p.get("log10_full_joint"))),
        ("log10 full joint / parameters", _num(p.get("log10_ratio"))),
        ("local Markov statements", _num(ind.get("local_markov_count"))),
        ("pairs d-separated given nothing", _num(ind.get("dsep_share_marginal"))),
    ]
    if ind.get("dsep_given"):
        given = ", ".join(ind["dsep_given"])
        rows.append((f"pairs d-separated given {given}", _num(ind.get("dsep_share_given"))))
    return rows


def structure_html(card: StructureCard) -> str:
    """A structure card (``zoo show``) as HTML: its facts and its DAG."""
    c = card.to_json()
    return block(f"{c['name']}: structure", table(_structure_rows(c)), _picture(c))


def _checks_table(diagnostics: JSON) -> str:
    rows = [
        (name, _num(c["value"]), _num(c["threshold"]), "✓" if c["pass"] else "✗")
        for name, c in diagnostics["checks"].items()
    ]
    return table(rows, ("check", "value", "threshold", "pass"))


def _seconds(seconds: dict[str, float]) -> str:
    total = seconds.get("total")
    return "-" if total is None else f"{total:.1f}"


def fit_html(card: FitCard) -> str:
    """A family's fit card (``zoo fit FAMILY``) as HTML: the fit's facts, each diagnostic
    check with its mark, the held-out score, and the DAG."""
    c = card.to_json()
    h, data = c["heldout"], c["data"]
    rows = [
        ("method", f"{c['method']} ({c['method_reason']})"),
        ("data", f"{data.get('train', '-')}: {_num(data.get('train_items'))} training items"),
        ("settings", ", ".join(f"{k} {v}" for k, v in c["settings"].items() if v is not None)),
        ("held-out nats per item", _num(h.get("nats_per_item"))),
        ("held-out bits per dim", _num(h.get("bits_per_dim"))),
        ("diagnostics", "pass" if c["diagnostics"]["pass"] else "fail"),
        ("seconds", _seconds(c["seconds"])),
    ]
    title = f"{c['family']}: fitted by {c['method']}"
    return block(title, table(rows), _checks_table(c["diagnostics"]), _picture(c))


def program_html(card: ProgramFitCard) -> str:
    """A program's fit card (``zoo fit FILE.py:FUNCTION``) as HTML: the posterior summary,
    the diagnostic checks and the program's DAG."""
    c = card.to_json()
    post = c.get("posterior") or {}
    rows = _posterior_rows(post)
    heads = ("site", *_posterior_columns(post))
    parts = [table(rows[:POSTERIOR_SHOWN], heads)]
    if len(rows) > POSTERIOR_SHOWN:
        parts.append(f"<p>... and {len(rows) - POSTERIOR_SHOWN} more</p>")
    title = f"{c['program']}: fitted by {c['method']}"
    return block(title, *parts, _checks_table(c["diagnostics"]), _picture(c))


def _posterior_columns(post: JSON) -> tuple[str, ...]:
    first = next(iter(post.values()), None)
    return tuple(first) if isinstance(first, dict) else ("value",)


def _posterior_rows(post: JSON) -> list[tuple[str, ...]]:
    cols = _posterior_columns(post)
    rows = []
    for site, stats in post.items():
        values = [stats.get(k) for k in cols] if isinstance(stats, dict) else [stats]
        rows.append((site, *(_num(v) for v in values)))
    return rows


def compare_html(result: CompareResult) -> str:
    """A ``zoo compare`` result as HTML: the report's table and its frontier figure."""
    from .figures import frontier_figure
    from .report import table_cells

    cells = table_cells(result.rows, result.timings)
    picture = img(figure_bytes(frontier_figure(result.rows), "png"), "png", "frontier")
    title = f"zoo compare: {len(result.rows)} families, budget {result.budget}, seed {result.seed}"
    why = table(((r["family"], r["method_reason"]) for r in result.rows), ("family", "why"))
    return block(title, table(cells[1:], cells[0]), picture, why)


def claims_html(report: ClaimsReport) -> str:
    """A claims report as HTML: the counts, then the contradicted claims, worst first."""
    from .claims import format_claims

    text = format_claims(report).splitlines()
    summary = [text[0], *(line for line in text if line.startswith("untestable"))]
    rows = [
        (
            t.node,
            t.other,
            ", ".join(t.given) or "-",
            _num(t.test.statistic),
            _num(t.p_value),
            _num(t.p_adjusted),
        )
        for t in report.contradicted[:CLAIMS_SHOWN]
    ]
    parts = ["<p>" + "<br>".join(html.escape(line) for line in summary) + "</p>"]
    if rows:
        parts.append(table(rows, ("node", "independent of", "given", "statistic", "p", "adjusted")))
    more = len(report.contradicted) - CLAIMS_SHOWN
    if more > 0:
        parts.append(f"<p>... and {more} more</p>")
    mark = "✓ no claim contradicted" if report.ok else "✗ claims contradicted"
    return block(f"claims: {mark}", *parts)


def dataset_html(data: Dataset) -> str:
    """A data set as HTML: its sizes and, for images, its first items drawn."""
    rows = [
        ("items", f"{data.n_items:,}"),
        ("variables", f"{data.n_vars} (states {', '.join(map(str, sorted(set(data.cards))))})"),
        ("labels", f"{data.label_card} classes" if data.y is not None else "none"),
    ]
    parts = [table(rows)]
    if data.shape is not None and data.n_items:
        from .figures import samples_figure

        fig = samples_figure(data.x[:16], data.shape, f"the first {min(16, data.n_items)} items")
        parts.append(img(figure_bytes(fig, "png"), "png", "items"))
    return block(f"data: {data.source}", *parts)


def data_claims_html(report: DataClaims) -> str:
    """``zoo check``'s result as HTML: the counts, then the most contradicted claims."""
    from .claims_data import format_data_claims, most_contradicted

    text = format_data_claims(report, limit=0).splitlines()
    summary = [line.strip() for line in text[:4] if line.strip()]
    bad = most_contradicted(report)
    rows = [
        (
            f"{t.node} ⟂ {t.other}" + (f" | {', '.join(t.given)}" if t.given else ""),
            t.test.method,
            _num(t.p_value),
            _num(t.p_adjusted),
            _num(t.test.effect),
        )
        for t in bad[:CLAIMS_SHOWN]
    ]
    parts = ["<p>" + "<br>".join(html.escape(line) for line in summary) + "</p>"]
    if rows:
        parts.append(table(rows, ("claim", "test", "p", "p (Holm)", "effect (nats)")))
    if len(bad) > CLAIMS_SHOWN:
        parts.append(f"<p>... and {len(bad) - CLAIMS_SHOWN} more</p>")
    mark = "✗ claims contradicted" if bad else "✓ no claim contradicted"
    return block(f"{report.dag} on {report.source or 'data'}: {mark}", *parts)


__all__ = [
    "CLAIMS_SHOWN",
    "POSTERIOR_SHOWN",
    "claims_html",
    "compare_html",
    "data_claims_html",
    "dataset_html",
    "dag_of",
    "fit_html",
    "program_html",
    "structure_html",
]
