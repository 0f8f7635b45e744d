"""The structure card: a model's nodes and edges, its parameter count beside the full
joint's, and its independence structure, as a plain dict (the JSON contract) and as text.

JSON keys are a contract scripts rely on: ``name``, ``nodes``, ``edges``, ``params.model``,
``params.full_joint``, ``params.log10_full_joint``, ``independence.local_markov`` and
``independence.markov_blankets`` are stable.
"""

from __future__ import annotations

from typing import Any

import graphs
from graphs import DAG

from .models import FamilySpec

_SHOW = 6  # statements and blankets listed in text before "... N more"


def structure_card(spec: FamilySpec, dag: DAG, options: dict[str, Any] | None = None) -> dict:
    """Everything ``zoo show`` reports about a family's structure, as JSON-ready data."""
    options = {k: v for k, v in (options or {}).items() if v is not None}
    model = spec.count(dag, **options)
    full = graphs.full_joint_count(dag)
    return {
        "name": spec.name,
        "title": spec.title,
        "dag": dag.name,
        "factorisation": spec.factorisation,
        "options": options,
        "nodes": [
            {"name": v.name, "card": v.card, "role": v.role, "pos": list(v.pos) if v.pos else None}
            for v in dag.variables
        ],
        "edges": [list(e) for e in dag.edges],
        "params": {
            "model": model,
            "conditional": spec.conditional(**options),
            "formula": spec.formula,
            "tabular": graphs.param_count(dag),
            "full_joint": full,
            "full_joint_over": [n for n in dag.nodes if dag.role(n) != "latent"],
            "log10_model": graphs.log10(model),
            "log10_full_joint": graphs.log10(full),
            "log10_ratio": graphs.log10(full) - graphs.log10(model),
        },
        "independence": graphs.independence_summary(dag),
    }


def _more(items: list, shown: int) -> list[str]:
    return [f"    ... {len(items) - shown} more"] if len(items) > shown else []


def format_card(card: dict) -> str:
    """The card as terminal text."""
    p, ind, nodes = card["params"], card["independence"], card["nodes"]
    roles: dict[str, int] = {}
    for node in nodes:
        roles[node["role"]] = roles.get(node["role"], 0) + 1
    role_text = ", ".join(f"{k} {v}" for k, v in roles.items())
    lines = [
        f"{card['name']}: {card['title']}",
        f"  {card['factorisation']}",
        f"  {len(nodes)} nodes ({role_text}), {len(card['edges'])} edges",
        "parameters",
        f"  model       {p['model']:,}  ({p['conditional']}: {p['formula']})",
        f"  full joint  {p['full_joint']}",
        f"              = prod(cards over {len(p['full_joint_over'])} visible variables) - 1,"
        f" log10 = {p['log10_full_joint']:.2f}",
        f"  the full joint needs 10^{p['log10_ratio']:.2f} times as many parameters",
        "independence",
        f"  local Markov statements: {ind['local_markov_count']}",
    ]
    for s in ind["local_markov"][:_SHOW]:
        rest = s["independent_of"]
        right = ", ".join(rest[:6]) + (f", ... ({len(rest)} nodes)" if len(rest) > 6 else "")
        given = " | " + ", ".join(s["given"]) if s["given"] else ""
        lines.append(f"    {s['node']} ⟂ {{{right}}}{given}")
    lines += _more(ind["local_markov"], _SHOW)
    blankets = list(ind["markov_blankets"].items())
    lines.append("  Markov blankets:")
    for node, blanket in blankets[:_SHOW]:
        shown = ", ".join(blanket[:8]) + (
            f", ... ({len(blanket)} nodes)" if len(blanket) > 8 else ""
        )
        lines.append(f"    {node}: {{{shown}}}")
    lines += _more(blankets, _SHOW)
    lines.append(f"  pairs d-separated given nothing: {100 * ind['dsep_share_marginal']:.1f}%")
    if "dsep_given" in ind:
        given = ", ".join(ind["dsep_given"])
        lines.append(f"  pairs d-separated given {{{given}}}: {100 * ind['dsep_share_given']:.1f}%")
    return "\n".join(lines)
