"""What the family and concept pages say about structure: the ``zoo show`` card of a family
(parameter count, independence statements, Markov blankets), parameter counts of every family
in ``zoo.models.FAMILIES`` and of raster chains of growing order, and d-separation queries."""

from __future__ import annotations

from mkdocs.exceptions import PluginError

from .common import DOCS, options, read_json, table

N = 64  # the digits' pixels

# The rows of the counts table per family, on N pixels: (label, options). A family of the
# registry that is not named here gets one row at its defaults, under its title.
VARIANTS: dict[str, list[tuple[str, dict]]] = {
    "independent": [("full independence", {})],
    "markov-chain": [
        ("raster Markov chain, order 1", {}),
        ("raster Markov chain, order 2", {"order": 2}),
        ("2-D neighbourhood chain", {"grid": True}),
    ],
    "naive-bayes": [("naive Bayes, K = 10", {})],
    "latent-class": [("latent class, K = 30", {"classes": 30})],
    "autoregressive": [
        ("autoregressive, logistic", {}),
        ("autoregressive, MADE with 64 hidden", {"conditional": "neural"}),
    ],
    "bayesnet": [],  # a given network, with no size to set to N
}


def _card(args: str) -> dict:
    words = args.split()
    if words and words[0].startswith("card="):
        return read_json(DOCS / words[0].removeprefix("card="))
    from zoo import get_family, structure_card

    spec, opts = get_family(words[0]), options(words[1:])
    return structure_card(spec, spec.build(**opts), opts)


def _statement(s: dict, show: int = 8) -> str:
    rest = s["independent_of"]
    right = ", ".join(rest[:show]) + (f", ... ({len(rest)} in all)" if len(rest) > show else "")
    given = " | " + ", ".join(s["given"]) if s["given"] else ""
    return f"`{s['node']} ⟂ {{{right}}}{given}`"


def structure(args: str) -> str:
    card = _card(args)
    p, ind = card["params"], card["independence"]
    lines = [
        f"- factorisation: `{card['factorisation']}`",
        f"- parameter formula ({p['conditional']}): `{p['formula']}`",
        f"- parameters: **{p['model']:,}**; the full joint over its visible variables: "
        f"{p['full_joint']:,} (10^{p['log10_ratio']:.2f} times as many)",
        f"- local Markov statements: {ind['local_markov_count']}",
    ]
    shares = f"- share of node pairs d-separated given nothing: {ind['dsep_share_marginal']:.3f}"
    if ind.get("dsep_given"):
        given = ", ".join(ind["dsep_given"])
        shares += f"; given {{{given}}}: {ind['dsep_share_given']:.3f}"
    lines.append(shares)
    statements = ind["local_markov"]
    if statements:
        picked = statements[:3] + ([statements[-1]] if len(statements) > 3 else [])
        lines += ["", "Some of its local Markov statements (node ⟂ non-descendants | parents):", ""]
        lines += [f"- {_statement(s)}" for s in picked]
    else:
        lines += [
            "",
            "It claims no local Markov statement: every node has all earlier nodes as parents.",
        ]
    blankets = ind["markov_blankets"]
    if isinstance(blankets, dict):
        blankets = list(blankets.items())
    if blankets:
        middle = blankets[len(blankets) // 2]
        lines += ["", "Markov blankets (what screens a node off from everything else):", ""]
        for node, blanket in [blankets[0], middle]:
            lines.append(f"- `{node}`: `{{{', '.join(blanket)}}}`")
    return "\n".join(lines)


def counts() -> str:
    from zoo import structure_card
    from zoo.models import FAMILIES

    stale = sorted(set(VARIANTS) - set(FAMILIES))
    if stale:  # a family renamed or removed in the registry
        raise PluginError(f"docs hook: VARIANTS names {stale}, not in {list(FAMILIES)}")
    rows = []
    for spec in FAMILIES.values():
        for label, opts in VARIANTS.get(spec.name, [(spec.title, {})]):
            card = structure_card(spec, spec.build(n=N, **opts), opts)
            p = card["params"]
            rows.append(
                [
                    label,
                    f"`{_formula(p['formula'], opts)}`",
                    f"{p['model']:,}",
                    f"{p['log10_ratio']:.2f}",
                ]
            )
    return table(["family (64 pixels)", "formula", "parameters", "log10(full / params)"], rows)


def _formula(formula: str, options: dict) -> str:
    """The part of a registry formula (``"logistic: ...; neural: ..."``) that ``options`` pick."""
    parts = dict(part.split(": ", 1) for part in formula.split("; ")[1:] if ": " in part)
    first = formula.split("; ")[0]
    if options.get("grid"):
        return parts.get("--grid", formula)
    if "conditional" in options or first.startswith("logistic: "):
        parts["logistic"] = first.removeprefix("logistic: ")
        return parts.get(options.get("conditional", "logistic"), formula)
    return first


def order_table() -> str:
    import graphs

    rows = []
    for k in (63, 32, 16, 8, 4, 2, 1, 0):
        dag = graphs.markov_chain(N, order=k) if k else graphs.independent(N)
        rows.append([k, f"{len(dag.edges):,}", f"{graphs.param_count(dag):,}"])
    return table(["order k", "edges kept", "tabular parameters"], rows)


def _dag_of(words: list[str]):
    """``(dag, family words of the command, options)`` for a family and its options, or for a
    saved ``card=PATH`` (no pgmpy import: the card lists the nodes and edges)."""
    import graphs
    from zoo import get_family

    if words[0].startswith("card="):
        card = read_json(DOCS / words[0].removeprefix("card="))
        nodes = [graphs.Variable(n["name"], card=n["card"], role=n["role"]) for n in card["nodes"]]
        dag = graphs.DAG(nodes, [tuple(e) for e in card["edges"]])
        return dag, [], card["options"]
    opts = options(words[1:])
    return get_family(words[0]).build(**opts), [words[0]], opts


def dsep(args: str) -> str:
    import graphs

    head, *queries = [q.strip() for q in args.split(";") if q.strip()]
    dag, family, opts = _dag_of(head.split())
    flags = " ".join(f"--{k}" if v is True else f"--{k} {v}" for k, v in opts.items())
    rows = []
    for query in queries:
        pair, _, given = query.partition("|")
        x, y = pair.split()
        z = given.split()
        answer = graphs.is_d_separated(dag, x, y, given=z)
        command = " ".join(["zoo dsep", *family, x, y] + (["--given", *z] if z else []))
        command += f" {flags}" if flags else ""
        shown = f"{x} ⟂ {y}" + (f" | {', '.join(z)}" if z else "")
        rows.append([f"`{shown}`", "yes" if answer else "no", f"`{command}`"])
    return table(["query", "d-separated", "command"], rows)


RENDER = {
    "structure": structure,
    "counts": counts,
    "order-table": order_table,
    "dsep": dsep,
}
