"""MkDocs hooks: the numbers, tables and the CLI reference on the site are rendered from the
repository's code and saved results at build time, so a page cannot disagree with them.

A page asks for generated content with an HTML comment on a line of its own:

``<!-- fitted: ROW -->``
    one row of ``docs/figures/compare/results.json`` (and its seconds, ``timings.json``);
``<!-- fitted-card: PATH -->``
    the fit card ``zoo fit ... --out DIR`` saved as ``DIR/card.json``;
``<!-- compare-table -->`` and ``<!-- learning-table -->``
    every row of ``results.json`` side by side, and every learning curve;
``<!-- structure: FAMILY [key=value ...] -->`` or ``<!-- structure: card=PATH -->``
    the parameter count and independence statements of ``zoo show`` (``zoo.structure_card``);
``<!-- counts -->`` and ``<!-- order-table -->``
    parameter counts of every family, and of raster chains of growing order, on 64 pixels;
``<!-- dsep: FAMILY [key=value ...]; X Y | Z; ... -->`` (or ``dsep: card=PATH; ...``)
    d-separation queries answered by ``graphs.is_d_separated``;
``<!-- csv: PATH -->``
    a small CSV file as a table;
``<!-- diagnostics-table -->`` and ``<!-- ng-jordan -->``
    the checks of ``zoo.diagnostics`` with their thresholds and advice; the Ng-Jordan summary;
``<!-- cli-reference -->``
    every ``zoo`` command and option, walked from the parser of ``zoo.cli``;
``<!-- api-names: PACKAGE -->``
    the names in ``PACKAGE.__all__`` with the module that documents each.

PATH is relative to ``docs/``. An unknown marker or a missing file stops the build.
"""

from __future__ import annotations

import argparse
import csv
import html
import importlib
import inspect
import json
import re
import sys
from functools import cache
from pathlib import Path

from mkdocs.exceptions import PluginError

DOCS = Path(__file__).parent
COMPARE = DOCS / "figures" / "compare"
MARKER = re.compile(r"^<!-- ([a-z-]+)(?::\s*(.*?))? -->$", re.MULTILINE)
# Sphinx roles in docstrings (:func:`x`): the name as code, without the role.
ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|exc|obj):`~?([^`]+)`")
N = 64  # the digits' pixels


# -- helpers ----------------------------------------------------------------------------


def _json(path: Path) -> dict:
    if not path.is_file():
        raise PluginError(f"docs hook: {path} is missing; see the command on the page")
    return json.loads(path.read_text(encoding="utf-8"))


def _table(head: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _md(text: str) -> str:
    """Plain text made safe inside Markdown (help strings hold ``|``, ``*``, ``<``, ``_``)."""
    text = html.escape(str(text), quote=False)
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", text)


def _num(value, fmt: str = "{}") -> str:
    return "-" if value is None else fmt.format(value)


def _options(words: list[str]) -> dict:
    out = {}
    for word in words:
        key, _, value = word.partition("=")
        out[key] = int(value) if value.isdigit() else {"true": True}.get(value, value)
    return out


@cache
def _results() -> dict:
    return _json(COMPARE / "results.json")


@cache
def _timings() -> dict:
    path = COMPARE / "timings.json"
    return _json(path) if path.is_file() else {}


def _row(name: str) -> dict:
    rows = {r["family"]: r for r in _results()["rows"]}
    if name not in rows:
        raise PluginError(f"docs hook: no row {name!r} in results.json; rows: {list(rows)}")
    return rows[name]


# -- fitted numbers ---------------------------------------------------------------------


def fitted(name: str) -> str:
    row, res = _row(name), _results()
    seconds = _timings().get(name, {}).get("total")
    method = row["method"] + (f" ({row['guide']} guide)" if row.get("guide") else "")
    rows = [
        ["method", f"{method}: {row['method_reason']}"],
        ["held-out nats per image", _num(row["nats_per_item"], "{:.3f}")],
        ["bits per dimension", _num(row["bits_per_dim"], "{:.4f}")],
        ["R-hat (max)", _num(row["rhat_max"], "{:.3f}")],
        ["ESS bulk / tail (min)", f"{_num(row['ess_bulk_min'])} / {_num(row['ess_tail_min'])}"],
    ]
    if row["method"] == "nuts":
        rows += [
            ["divergences", _num(row["divergences"])],
            ["E-BFMI (min)", _num(row["ebfmi_min"], "{:.2f}")],
        ]
    else:
        khat = _num(row["khat"], "{:.2f}") if row["khat"] is not None else "- (a MAP guide)"
        rows += [["guide k-hat", khat]]
    rows += [
        ["every diagnostic passes", "yes" if row["diagnostics_pass"] else "**no**"],
        ["seconds (fit, scoring, learning curve)", _num(seconds, "{:.1f}")],
    ]
    data = res["data"]
    note = (
        f"\n\n*From `docs/figures/compare/results.json`: budget `{res['budget']}`, seed "
        f"{res['seed']}, {data['train_items']:,} training and {data['test_items']} held-out "
        f"images of {data['variables']} pixels. Seconds are wall time on the 2-core machine "
        "that made the run (`timings.json`).*"
    )
    curve = res["learning_curves"].get(name, [])
    if curve:
        note += "\n\nLearning curve (held-out nats per image against training images):\n\n"
        note += _table(
            ["training images", *[f"{p['train_items']:,}" for p in curve]],
            [["nats per image", *[f"{p['nats_per_item']:.3f}" for p in curve]]],
        )
    return _table(["", "on the digits"], rows) + note


def fitted_card(path: str) -> str:
    card = _json(DOCS / path)
    d, h, data = card["diagnostics"], card["heldout"], card["data"]
    rows = [
        ["data", f"{data['train']}: {data['train_items']:,} to fit, {data['test_items']} held out"],
        ["method", f"{card['method']}: {card['method_reason']}"],
        ["held-out nats per item", f"{h['nats_per_item']:.3f}"],
        ["bits per dimension", f"{h['bits_per_dim']:.4f}"],
        ["R-hat (max)", _num(d.get("rhat_max"), "{:.3f}")],
        ["ESS bulk / tail (min)", f"{d['ess_bulk_min']:.0f} / {d['ess_tail_min']:.0f}"],
    ]
    if card["method"] == "nuts":
        rows += [["divergences", d["divergences"]], ["E-BFMI (min)", f"{d['ebfmi_min']:.2f}"]]
    rows += [
        ["every diagnostic passes", "yes" if d["pass"] else "**no**"],
        ["seconds", f"{card['seconds']['total']:.1f}"],
    ]
    return _table(["", "value"], rows) + f"\n\n*From `docs/{path}`.*"


def compare_table() -> str:
    head = ["row", "params", "method", "R-hat", "ESS bulk", "nats/image", "bits/dim", "seconds"]
    rows = []
    for r in _results()["rows"]:
        seconds = _timings().get(r["family"], {}).get("total")
        method = r["method"] + (f" ({r['guide']})" if r.get("guide") else "")
        rows.append(
            [
                r["family"],
                f"{r['params']:,}",
                method,
                _num(r["rhat_max"], "{:.3f}"),
                _num(r["ess_bulk_min"]),
                f"{r['nats_per_item']:.3f}",
                f"{r['bits_per_dim']:.4f}",
                _num(seconds, "{:.1f}"),
            ]
        )
    return _table(head, rows) + "\n\n*From `docs/figures/compare/results.json` and `timings.json`.*"


def learning_table() -> str:
    curves = _results()["learning_curves"]
    sizes = sorted({p["train_items"] for curve in curves.values() for p in curve})
    rows = []
    for name in [r["family"] for r in _results()["rows"] if r["family"] in curves]:
        by_size = {p["train_items"]: p["nats_per_item"] for p in curves[name]}
        rows.append([name, *[_num(by_size.get(n), "{:.2f}") for n in sizes]])
    head = ["row", *[f"{n:,}" for n in sizes]]
    return _table(head, rows) + "\n\n*From `docs/figures/compare/results.json`.*"


# -- structure --------------------------------------------------------------------------


def _card(args: str) -> dict:
    words = args.split()
    if words and words[0].startswith("card="):
        return _json(DOCS / words[0].removeprefix("card="))
    from zoo import get_family, structure_card

    spec, options = get_family(words[0]), _options(words[1:])
    return structure_card(spec, spec.build(**options), options)


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
    from zoo import get_family, structure_card

    rows = []
    for label, family, options in [
        ("full independence", "independent", {}),
        ("raster Markov chain, order 1", "markov-chain", {}),
        ("raster Markov chain, order 2", "markov-chain", {"order": 2}),
        ("2-D neighbourhood chain", "markov-chain", {"grid": True}),
        ("naive Bayes, K = 10", "naive-bayes", {}),
        ("latent class, K = 30", "latent-class", {"classes": 30}),
        ("autoregressive, logistic", "autoregressive", {}),
        ("autoregressive, MADE with 64 hidden", "autoregressive", {"conditional": "neural"}),
    ]:
        spec = get_family(family)
        card = structure_card(spec, spec.build(n=N, **options), options)
        p = card["params"]
        rows.append(
            [
                label,
                f"`{_formula(p['formula'], options)}`",
                f"{p['model']:,}",
                f"{p['log10_ratio']:.2f}",
            ]
        )
    return _table(["family (64 pixels)", "formula", "parameters", "log10(full / params)"], rows)


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
    return _table(["order k", "edges kept", "tabular parameters"], rows)


def _dag_of(words: list[str]):
    """``(dag, family words of the command, options)`` for a family and its options, or for a
    saved ``card=PATH`` (no pgmpy import: the card lists the nodes and edges)."""
    import graphs
    from zoo import get_family

    if words[0].startswith("card="):
        card = _json(DOCS / words[0].removeprefix("card="))
        nodes = [graphs.Variable(n["name"], card=n["card"], role=n["role"]) for n in card["nodes"]]
        dag = graphs.DAG(nodes, [tuple(e) for e in card["edges"]])
        return dag, [], card["options"]
    options = _options(words[1:])
    return get_family(words[0]).build(**options), [words[0]], options


def dsep(args: str) -> str:
    import graphs

    head, *queries = [q.strip() for q in args.split(";") if q.strip()]
    dag, family, options = _dag_of(head.split())
    flags = " ".join(f"--{k}" if v is True else f"--{k} {v}" for k, v in options.items())
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
    return _table(["query", "d-separated", "command"], rows)


def csv_table(path: str) -> str:
    file = DOCS / path
    if not file.is_file():
        raise PluginError(f"docs hook: {file} is missing; see the command on the page")
    with file.open(encoding="utf-8", newline="") as fh:
        head, *rows = list(csv.reader(fh))
    return _table(head, rows) + f"\n\n*From `docs/{path}`.*"


def diagnostics_table() -> str:
    from zoo import diagnostics as d

    need = {
        "rhat": f"max R-hat < {d.RHAT_MAX}",
        "ess_bulk": f"min bulk ESS >= {d.ESS_PER_CHAIN} per chain",
        "ess_tail": f"min tail ESS >= {d.ESS_PER_CHAIN} per chain",
        "divergences": "no divergent transition",
        "ebfmi": f"min E-BFMI >= {d.EBFMI_MIN}",
        "elbo_converged": "last tenth of the ELBO trace within 3 s.e. of the tenth before",
        "khat": f"k-hat <= {d.KHAT_MAX} (not for a MAP guide)",
    }
    if set(need) != set(d.ADVICE):  # a new check must be explained on the page
        raise PluginError(f"docs hook: ADVICE has {sorted(d.ADVICE)}, the page {sorted(need)}")
    rows = [[f"`{k}`", need[k], _md(advice)] for k, advice in d.ADVICE.items()]
    return _table(["check", "passes when", "what a failure means (the warning's advice)"], rows)


def ng_jordan() -> str:
    summary = _json(DOCS / "figures" / "analyses" / "ng_jordan.json")["summary"]["datasets"]
    rows = []
    for name, s in summary.items():
        small, large = s["smallest"], s["largest"]
        rows.append(
            [
                name,
                f"{small['naive_bayes_error']:.3f} / {small['logistic_error']:.3f}",
                f"{large['train_items']:,}",
                f"{large['naive_bayes_error']:.3f} / {large['logistic_error']:.3f}",
                _num(s["crossing_n"], "{:.0f}"),
            ]
        )
    head = [
        "dataset",
        "error with 10 items (NB / LR)",
        "all items",
        "error with all (NB / LR)",
        "curves cross near",
    ]
    return _table(head, rows) + "\n\n*From `docs/figures/analyses/ng_jordan.json`.*"


# -- references -------------------------------------------------------------------------


def _option_line(action: argparse.Action) -> str:
    if action.option_strings:
        name = ", ".join(action.option_strings)
        if action.nargs != 0:
            metavar = action.metavar or (
                "{" + ",".join(action.choices) + "}" if action.choices else action.dest.upper()
            )
            name += f" {metavar}" + (" ..." if action.nargs in ("+", "*") else "")
    else:
        name = action.metavar or action.dest
    line = f"- `{name}`" + (f": {_md(action.help)}" if action.help else "")
    if action.choices and action.option_strings and action.metavar:
        line += f" (one of {', '.join(f'`{c}`' for c in action.choices)})"
    return line


def _command(parser: argparse.ArgumentParser, level: str) -> list[str]:
    out = [f"{level} `{parser.prog}`", ""]
    if parser.description:
        if isinstance(parser.formatter_class, type) and issubclass(
            parser.formatter_class, argparse.RawDescriptionHelpFormatter
        ):
            out += ["```text", parser.description, "```", ""]
        else:
            out += [_md(parser.description), ""]
    out += ["```text", parser.format_usage().strip(), "```", ""]
    for group in parser._action_groups:
        actions = [
            a
            for a in group._group_actions
            if a.help != argparse.SUPPRESS
            and not isinstance(a, argparse._SubParsersAction)
            and not isinstance(a, argparse._HelpAction)
        ]
        if actions:
            out += [f"**{_md(group.title)}**", ""]
            out += [_option_line(a) for a in actions] + [""]
    return out


def cli_reference() -> str:
    from zoo.cli import _parser

    parser = _parser()
    out = _command(parser, "##")
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    out += ["| command | what it does |", "|---|---|"]
    out += [f"| [`zoo {name}`](#zoo-{name}) | {_md(helps.get(name, ''))} |" for name in sub.choices]
    out.append("")
    for child in sub.choices.values():
        out += _command(child, "##")
    return "\n".join(out)


def _home(package: str, name: str, obj) -> str:
    """The dotted path under which the API pages document ``package.name``."""
    if inspect.isfunction(obj) or inspect.isclass(obj):
        return f"{obj.__module__}.{obj.__qualname__}"
    # a constant: the documented module that holds it (only those already loaded, so that
    # building the docs never imports JAX)
    for module_name in _documented():
        module = sys.modules.get(module_name)
        if (
            module is not None
            and module_name.startswith(f"{package}.")
            and (vars(module).get(name) is obj)
        ):
            return f"{module_name}.{name}"
    return f"{package}.{name}"


@cache
def _documented() -> list[str]:
    """The modules the API pages render (their ``::: module`` lines)."""
    return re.findall(
        r"^::: ([\w.]+)$",
        "\n".join(
            page.read_text(encoding="utf-8") for page in sorted((DOCS / "reference").glob("*.md"))
        ),
        re.MULTILINE,
    )


def api_names(package: str) -> str:
    module = importlib.import_module(package)
    rows = []
    for name in module.__all__:
        obj = getattr(module, name)
        home = _home(package, name, obj)
        doc = (inspect.getdoc(obj) or "") if callable(obj) else ""
        summary = ROLE.sub(r"``\1``", doc.split("\n\n")[0].replace("\n", " "))
        # an autorefs link: the build fails if the API pages do not document the name
        rows.append([f"[`{name}`][{home}]", f"`{home}`", summary.replace("|", "\\|")])
    return _table(["name", "documented as", "summary"], rows)


# -- benchmarks (benchmarks/results/*.json) ----------------------------------------------


def _bench(path: str) -> dict:
    return _json(DOCS.parent / path.strip())


def bench_env(path: str) -> str:
    env = _bench(path)["environment"]
    v, h = env["versions"], env["hardware"]
    names = ", ".join(f"{k} {x}" for k, x in v.items() if x)
    return f"{h.get('cpu_count')} cores ({h.get('cpu_model')}), {h.get('memory_gib')} GiB; {names}"


def bench_nuts(args: str) -> str:
    """End-to-end and warm ESS/s per model and sampler, the ratio and the overhead."""
    path, *scale = args.split()
    data = _bench(path)
    rows = []
    for r in data["rows"]:
        if scale and str(r["scale"]) != scale[0]:
            continue
        rows.append(
            [
                r["model"] + (" (per item)" if r["likelihood"] == "items" else ""),
                f"x{r['scale']}",
                f"**{r['sampler']}**" if r["sampler"] == "zoo" else r["sampler"],
                _num(r["seconds"], "{:.1f}"),
                _num(r.get("seconds_warm"), "{:.1f}"),
                _num(r["ess_per_s"], "{:,.0f}"),
                _num(r.get("ess_per_s_warm"), "{:,.0f}"),
                _num(r.get("grads"), "{:,}"),
                _num(r.get("overhead_warm"), "{:.1f}"),
                _num(r.get("max_err_mcse"), "{:.2f}"),
            ]
        )
    head = ["model", "items", "sampler", "s (first)", "s (warm)", "ESS/s", "ESS/s warm"]
    return _table([*head, "gradients", "overhead (warm)", "max err / MCSE"], rows)


def bench_nuts_ratios(path: str) -> str:
    rows = []
    for r in _bench(path)["ratios"]:
        e2e, warm = r["ess_per_s"], r["ess_per_s_warm"]
        rows.append(
            [
                r["model"],
                f"x{r['scale']}",
                f"{e2e['ratio']:.2f} (vs {e2e['best_peer']})",
                f"{warm['ratio']:.2f} (vs {warm['best_peer']})",
            ]
        )
    return _table(["model", "items", "zoo / best peer, end to end", "warm"], rows)


def bench_svi(path: str) -> str:
    rows = []
    for r in _bench(path)["rows"]:
        rows.append(
            [
                r["model"],
                r["guide"],
                r["init"],
                f"**{r['sampler']}**" if r["sampler"] == "zoo" else r["sampler"],
                _num(r["steps_per_s"], "{:,.0f}"),
                _num(r.get("seconds"), "{:.1f}"),
                _num(r.get("heldout_final"), "{:.3f}"),
                _num(r.get("within_0p1_seconds"), "{:.1f}"),
            ]
        )
    head = ["model", "guide", "start", "sampler", "steps/s (warm)", "s (first)"]
    return _table([*head, "held-out nats", "s to within 0.1 nats"], rows)


def bench_svi_ratios(path: str) -> str:
    rows = [
        [
            r["model"],
            r["guide"],
            f"{r['pyro']['steps_per_s']:.1f}",
            f"{r['pyro']['steps_per_s_e2e']:.2f}",
            f"{r['pyro']['within_0p1_seconds']:.2f}",
        ]
        for r in _bench(path)["ratios"]
    ]
    head = ["model", "guide", "zoo / Pyro steps/s", "end to end", "Pyro / zoo time to 0.1 nats"]
    return _table(head, rows)


def bench_scaling(path: str) -> str:
    data = _bench(path)
    rows = [
        [
            r["family"],
            r["kind"].upper(),
            r["axis"],
            f"{r['size']:,}",
            f"{r['cold']['wall']:.2f}",
            f"{r['warm']['inference']:.2f}",
            f"{r['warm']['log_likelihood']:.2f}",
            _num(r["warm"].get("gradients"), "{:,}"),
        ]
        for r in data["rows"]
    ]
    head = ["family", "method", "axis", "size", "s (first fit)", "s inference (warm)"]
    table = _table([*head, "s pointwise log-lik", "gradients"], rows)
    ratio = data["ratios"]
    return (
        f"{table}\n\nTabular NUTS inference, most items over fewest: "
        f"**{ratio['tabular_items']:.2f}x** (goal 1.2); latent-class SVI: "
        f"{ratio['latent_items']:.1f}x."
    )


def bench_overhead(path: str) -> str:
    rows = [
        [
            r["form"],
            r["sampler"],
            f"{r['wall']:.2f}",
            f"{r['gradients']:,}",
            f"{r['seconds_per_gradient'] * 1e6:.1f}",
            f"**{r['overhead']:.2f}**" if r["sampler"] == "zoo" else f"{r['overhead']:.2f}",
        ]
        for r in _bench(path)["rows"]
    ]
    head = ["likelihood", "sampler", "s (warm)", "gradients", "µs per gradient", "overhead"]
    return _table(head, rows)


# -- MkDocs events ----------------------------------------------------------------------

RENDER = {
    "fitted": fitted,
    "fitted-card": fitted_card,
    "compare-table": compare_table,
    "learning-table": learning_table,
    "structure": structure,
    "counts": counts,
    "order-table": order_table,
    "dsep": dsep,
    "csv": csv_table,
    "diagnostics-table": diagnostics_table,
    "ng-jordan": ng_jordan,
    "cli-reference": cli_reference,
    "api-names": api_names,
    "bench-env": bench_env,
    "bench-nuts": bench_nuts,
    "bench-nuts-ratios": bench_nuts_ratios,
    "bench-svi": bench_svi,
    "bench-svi-ratios": bench_svi_ratios,
    "bench-scaling": bench_scaling,
    "bench-overhead": bench_overhead,
}


def _replace(match: re.Match) -> str:
    kind, args = match.group(1), match.group(2)
    if kind not in RENDER:
        raise PluginError(f"docs hook: unknown marker {match.group(0)!r}")
    try:
        return RENDER[kind](args) if args is not None else RENDER[kind]()
    except PluginError:
        raise
    except Exception as err:  # name the marker, not just the traceback
        raise PluginError(f"docs hook: {match.group(0)} failed: {err!r}") from err


def on_page_markdown(markdown: str, **_) -> str:
    return MARKER.sub(_replace, markdown)


# -- docstrings as Markdown (a griffe extension, listed in mkdocs.yml) -------------------


def markdown_docstring(text: str) -> str:
    """A docstring in the code's own style made into Markdown: doctest examples fenced as
    ``pycon`` (else ``d["key"]`` reads as a link), Sphinx roles as plain code."""
    out, block, indent, fenced = [], [], 0, False

    def close() -> None:
        pad = " " * indent
        out.extend(["", pad + "```pycon", *(pad + b for b in block), pad + "```", ""])
        block.clear()

    lines = text.splitlines()
    examples = False  # inside a numpy "Examples" section, whose parser fences doctests itself
    for i, line in enumerate(lines):
        underlined = i + 1 < len(lines) and re.fullmatch(r"\s*-{3,}\s*", lines[i + 1])
        if underlined and line.strip():
            examples = line.strip() == "Examples"
        if line.lstrip().startswith("```"):
            fenced = not fenced  # already fenced: leave it alone
        prompt = not (fenced or examples) and line.lstrip().startswith(">>>")
        if prompt and not block:
            indent = len(line) - len(line.lstrip())
        if prompt or (block and line.strip()):
            block.append(line[indent:])
            continue
        if block:
            close()
        out.append(line if fenced else ROLE.sub(r"``\1``", line))
    if block:
        close()
    return "\n".join(out)


try:
    import griffe

    class DocstringsAsMarkdown(griffe.Extension):
        """Rewrite every docstring with :func:`markdown_docstring` once griffe has read it."""

        def on_object(self, *, obj, **_) -> None:
            if not obj.is_alias and obj.docstring is not None:
                obj.docstring.value = markdown_docstring(obj.docstring.value)

except ImportError:  # griffe comes with mkdocstrings; without it there is no API page to render
    pass
