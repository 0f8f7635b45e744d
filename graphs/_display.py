"""Notebook display: a figure as image bytes and an ``<img>`` with a data URI, small HTML
tables with every text escaped, and the DAG's own display (:func:`dag_bundle`).

Jupyter calls ``_repr_mimebundle_``/``_repr_html_``/``_repr_svg_``; a terminal never does, so
matplotlib loads here only when a notebook asks for a picture.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .dag import DAG

#: above these sizes a DAG is shown as PNG: SVG grows with every node and edge
SVG_MAX_NODES = 200
SVG_MAX_EDGES = 400
_MIME = {"svg": "image/svg+xml", "png": "image/png"}
_STYLE = (
    "<style>.zoo-display table{border-collapse:collapse;font-size:0.9em;margin:0.3em 0}"
    ".zoo-display td,.zoo-display th{padding:0.15em 0.6em;border-bottom:1px solid #ddd;"
    "text-align:left}.zoo-display td.fail{color:#a40e26;background:#fde8eb;font-weight:bold}"
    "</style>"
)
#: a cell ending in this mark is a failed check: drawn in red
FAIL_MARK = "\N{BALLOT X}"


def _td(cell: object) -> str:
    text = html.escape(str(cell))
    return f'<td class="fail">{text}</td>' if text.endswith(FAIL_MARK) else f"<td>{text}</td>"


def figure_bytes(fig: Figure, fmt: str = "svg") -> bytes:
    """``fig`` as SVG or PNG bytes (100 dpi, tight), written nowhere."""
    buffer = io.BytesIO()
    from matplotlib import rc_context

    # no date and fixed ids in the SVG: the same figure gives the same bytes
    metadata = {"Date": None} if fmt == "svg" else None
    with rc_context({"svg.hashsalt": "zoo"}):
        fig.savefig(buffer, format=fmt, dpi=100, bbox_inches="tight", metadata=metadata)
    return buffer.getvalue()


def img(data: bytes, fmt: str, alt: str) -> str:
    """An ``<img>`` holding ``data`` as a data URI (no ids that could clash with other SVG
    on the same notebook page, nothing to fetch)."""
    uri = f"data:{_MIME[fmt]};base64,{base64.b64encode(data).decode('ascii')}"
    return f'<img src="{uri}" alt="{html.escape(alt, quote=True)}" style="max-width:100%">'


def table(rows: Iterable[Sequence[object]], head: Sequence[str] | None = None) -> str:
    """An HTML table of ``rows`` (cells as text, escaped), with an optional heading row; a
    cell ending in :data:`FAIL_MARK` is marked ``class="fail"``."""
    parts = ["<table>"]
    if head is not None:
        parts.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>")
    for row in rows:
        parts.append("<tr>" + "".join(_td(c) for c in row) + "</tr>")
    parts.append("</table>")
    return "\n".join(parts)


def block(title: str, *parts: str) -> str:
    """A titled box holding ``parts`` (HTML already escaped): tables, images."""
    body = "\n".join(parts)
    return f'<div class="zoo-display">{_STYLE}\n<b>{html.escape(title)}</b>\n{body}\n</div>'


def dag_format(dag: DAG) -> str:
    """``"svg"`` for a DAG small enough to stay light as SVG, ``"png"`` otherwise."""
    small = len(dag) <= SVG_MAX_NODES and len(dag.edges) <= SVG_MAX_EDGES
    return "svg" if small else "png"


def dag_picture(dag: DAG, title: str | None = None) -> tuple[bytes, str]:
    """``(image bytes, "svg" or "png")`` of :func:`graphs.draw_dag`'s drawing of ``dag``."""
    from .draw import draw_dag

    fmt = dag_format(dag)
    return figure_bytes(draw_dag(dag, title=title), fmt), fmt


def dag_rows(dag: DAG) -> list[tuple[str, str]]:
    """The facts of a DAG's HTML table: nodes by role, edges, plates and the full joint."""
    from .counting import full_joint_count, log10

    roles = [f"{role} {len(dag.with_role(role))}" for role in _roles(dag)]
    rows = [("nodes", f"{len(dag)} ({', '.join(roles)})"), ("edges", str(len(dag.edges)))]
    if dag.plates:
        rows.append(("plates", ", ".join(f"{p.name} (N={p.size})" for p in dag.plates)))
    if dag.variables and all(v.card is not None for v in dag.variables):
        rows.append(("full joint parameters, log10", f"{log10(full_joint_count(dag)):.2f}"))
    return rows


def _roles(dag: DAG) -> list[str]:
    seen: list[str] = []
    for v in dag.variables:
        if v.role not in seen:
            seen.append(v.role)
    return seen


def dag_bundle(dag: DAG) -> dict[str, str]:
    """The DAG's notebook display, drawn once: its table and picture as ``text/html``, and
    the picture alone as ``image/svg+xml`` or ``image/png`` (base64)."""
    data, fmt = dag_picture(dag, title=dag.name)
    page = block(f"DAG {dag.name!r}", table(dag_rows(dag)), img(data, fmt, f"DAG {dag.name}"))
    picture = data.decode("utf-8") if fmt == "svg" else base64.b64encode(data).decode("ascii")
    return {"text/html": page, _MIME[fmt]: picture}
