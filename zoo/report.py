"""The ``zoo compare`` report: the terminal table, ``results.json``, ``timings.json``, PNG
figures and a self-contained ``index.html`` that links only the PNGs beside it.

The report reads the comparison's rows and figures; it runs no inference and imports no JAX
(the figures are drawn by :func:`zoo.figures.compare_figures`).

``results.json`` holds every number of the table except the seconds, so two runs with the
same seed write the same bytes; the seconds go to ``timings.json``.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from graphs._display import FAIL_MARK
from graphs.files import atomic_path

from .cards import jsonable
from .compare import DECIMALS, CompareResult
from .diagnostics import EBFMI_MIN, ESS_PER_CHAIN, KHAT_MAX, RHAT_MAX

#: (heading, row key) of the table, in order; "seconds" comes from the timings
COLUMNS = (
    ("family", "family"),
    ("params", "params"),
    ("log10 full/params", "log10_ratio"),
    ("local Markov", "local_markov"),
    ("d-sep marginal", "dsep_marginal"),
    ("d-sep given", "dsep_given"),
    ("method", "method"),
    ("R-hat max", "rhat_max"),
    ("ESS bulk", "ess_bulk_min"),
    ("ESS tail", "ess_tail_min"),
    ("div", "divergences"),
    ("E-BFMI | k-hat", "ebfmi_or_khat"),
    ("nats/item", "nats_per_item"),
    ("bits/dim", "bits_per_dim"),
    ("claims contradicted", "claims_contradicted"),
    ("seconds", "seconds"),
)


#: the checks each column shows; a failed check not listed marks the method cell
_CHECKS_SHOWN = {
    "rhat_max": ("rhat",),
    "ess_bulk_min": ("ess_bulk",),
    "ess_tail_min": ("ess_tail",),
    "divergences": ("divergences",),
    "ebfmi_or_khat": ("ebfmi", "khat"),
}
FAIL = " " + FAIL_MARK
#: what the mark means, under the table and in the report
FAIL_LEGEND = (
    f"{FAIL.strip()} marks a failed diagnostic: R-hat >= {RHAT_MAX}, ESS < {ESS_PER_CHAIN} per "
    f"chain, any divergence, E-BFMI < {EBFMI_MIN}, k-hat > {KHAT_MAX}; on the method, an "
    "objective still moving or a family's own check"
)


def _failed(row: dict, key: str) -> bool:
    failed = set(row.get("diagnostics_failed") or ())
    if key == "method":
        return bool(failed - {c for checks in _CHECKS_SHOWN.values() for c in checks})
    return bool(failed & set(_CHECKS_SHOWN.get(key, ())))


def _cell(row: dict, key: str, timings: dict | None) -> str:
    text = _value(row, key, timings)
    return text + FAIL if _failed(row, key) else text


def _value(row: dict, key: str, timings: dict | None) -> str:
    if key == "seconds":
        total = (timings or {}).get(row["family"], {}).get("total")
        return "-" if total is None else f"{total:.1f}"
    if key == "method":
        text: str = row["method"] + (f" ({row['guide']})" if row.get("guide") else "")
        return text
    if key == "ebfmi_or_khat":
        key = "ebfmi_min" if row["method"] == "nuts" else "khat"
    value = row.get(key)
    if value is None:
        return "-"
    if key in DECIMALS and DECIMALS[key] > 0:
        return f"{value:.{DECIMALS[key]}f}"
    return str(value)


def table_cells(rows: list[dict], timings: dict | None = None) -> list[list[str]]:
    """The table as text cells, heading row first."""
    return [[h for h, _ in COLUMNS]] + [
        [_cell(row, key, timings) for _, key in COLUMNS] for row in rows
    ]


def aligned(cells: list[list[str]]) -> list[str]:
    """Text cells (heading row first) as lines of columns: the first left-aligned, the
    others right-aligned, a rule under the heading."""
    widths = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
    lines = []
    for i, r in enumerate(cells):
        lines.append(
            "  ".join(
                c.ljust(w) if j == 0 else c.rjust(w)
                for j, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def format_table(rows: list[dict], timings: dict | None = None) -> str:
    """The comparison as a terminal table, then each row's reason for its method."""
    lines = aligned(table_cells(rows, timings))
    lines.append("")
    if any(row.get("diagnostics_failed") for row in rows):
        lines += [FAIL_LEGEND, ""]
    lines.append("why each method:")
    lines += [f"  {row['family']}: {row['method_reason']}" for row in rows]
    return "\n".join(lines)


def results_json(result: CompareResult) -> str:
    """The text of ``results.json``: every repeatable number, keys sorted."""
    return json.dumps(jsonable(result.results()), indent=2, sort_keys=True) + "\n"


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_report(
    result: CompareResult, out_dir: str | os.PathLike[str], figures: dict
) -> list[str]:
    """Write ``results.json``, ``timings.json``, the figures and ``index.html`` into
    ``out_dir``, whole: into a temporary folder beside it that moves in at the end, so a
    killed run or a full disk leaves no half report. Returns the file names.

    ``figures`` (file name -> matplotlib figure, or PNG bytes) are those of
    :func:`zoo.figures.compare_figures` (this layer only writes).
    """
    import graphs
    from graphs.files import staged_folder

    with staged_folder(out_dir, last=("index.html",)) as out:
        for name, fig in figures.items():
            if isinstance(fig, bytes):  # drawn by a sweep's worker
                with atomic_path(out / name) as tmp:
                    tmp.write_bytes(fig)
            else:
                graphs.save_figure(fig, out / name)
        _write_text(out / "results.json", results_json(result))
        timings = json.dumps(jsonable(result.timings), indent=2, sort_keys=True) + "\n"
        _write_text(out / "timings.json", timings)
        _write_text(out / "index.html", _html(result, list(figures)))
        names = ["index.html", "results.json", "timings.json"]
        if result.task_seconds:  # a sweep's seconds per task (family, split, seed)
            text = json.dumps(jsonable(result.task_seconds), indent=2, sort_keys=True) + "\n"
            _write_text(out / "sweep_timings.json", text)
            names.append("sweep_timings.json")
    return names + list(figures)


def _table_html(cells: list[list[str]]) -> str:
    from graphs._display import table

    return table(cells[1:], cells[0])


def _img(name: str, alt: str) -> str:
    src = html.escape(name, quote=True)
    return f'<a href="{src}"><img src="{src}" alt="{html.escape(alt, quote=True)}"></a>'


_CSS = """
body { font-family: sans-serif; margin: 2em; max-width: 80em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.fail { color: #a40e26; background: #fde8eb; font-weight: bold; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.3em 0; }
.pair { display: flex; gap: 1em; flex-wrap: wrap; align-items: flex-start; }
.pair img { max-width: 38em; }
"""


def _html(result: CompareResult, figures: list[str]) -> str:
    esc = html.escape
    data = result.data
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>zoo compare</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>zoo compare: every family on one dataset</h1>",
        f"<p>Data: {esc(str(data.get('train', 'data')))} "
        f"({esc(str(data.get('train_items', '?')))} training items, "
        f"{esc(str(data.get('test_items', '?')))} held out); budget "
        f"<code>{esc(result.budget)}</code>, seed {result.seed}.</p>",
        '<p>Numbers below are those of <a href="results.json">results.json</a>, which a '
        "second run with the same seed reproduces exactly; seconds vary between runs and are "
        'kept apart in <a href="timings.json">timings.json</a>. "log10 full/params" is the '
        "log10 of the full joint table's parameter count over the family's; d-sep shares are "
        "the shares of variable pairs d-separated given nothing and given the label or latent "
        "class; held-out scores are nats per item and bits per dimension (lower is better); "
        '"claims contradicted" is the share of the family\'s testable local Markov statements '
        "that the training data contradict (Holm-corrected G-tests at FWER 0.05; - when none "
        "is testable, the reason under each family; zoo check FAMILY tests them one by one).</p>",
        "<h2>The table</h2>",
        _table_html(table_cells(result.rows, result.timings)),
        f"<p>{esc(FAIL_LEGEND)}.</p>"
        if any(r.get("diagnostics_failed") for r in result.rows)
        else "",
    ]
    if result.sweep:
        parts.append(_sweep_html(result.sweep))
    parts += [
        "<h2>Why each method</h2>",
        "<ul>",
    ]
    parts += [
        f"<li><b>{esc(r['family'])}</b> ({esc(r['method'])}): {esc(r['method_reason'])}"
        + (f"; claims: {esc(r['claims_note'])}" if r.get("claims_note") else "")
        + "</li>"
        for r in result.rows
    ]
    parts.append("</ul>")
    shown = set(figures)
    for name, heading in (
        ("frontier.png", "Frontier: parameters against held-out nats"),
        ("learning.png", "Learning curves: held-out nats against training items"),
        ("samples.png", "Posterior-predictive samples"),
    ):
        if name in shown:
            parts += [f"<h2>{esc(heading)}</h2>", _img(name, heading)]
    if "learning.png" in shown:
        parts.append(_curves_html(result))
    each = [(row["family"], _family_images(row["family"], shown)) for row in result.rows]
    parts.append("<h2>Each family</h2>" if any(images for _, images in each) else "")
    for fam, images in each:
        if images:
            parts += [f'<h3>{esc(fam)}</h3><div class="pair">', *images, "</div>"]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


_FAMILY_FIGURES = (
    ("dag", "DAG"),
    ("independence", "independence heat map"),
    ("rank", "rank plots"),
    ("elbo", "ELBO curve"),
    ("objective", "training objective"),
)


def _family_images(fam: str, shown: set[str]) -> list[str]:
    return [
        _img(f"{prefix}-{fam}.png", f"{fam}: {alt}")
        for prefix, alt in _FAMILY_FIGURES
        if f"{prefix}-{fam}.png" in shown
    ]


def _curves_html(result: CompareResult) -> str:
    sizes = sorted({p["train_items"] for pts in result.curves.values() for p in pts})
    if not sizes:
        return "<p>No learning curves at this budget.</p>"
    cells = [["family", *[str(m) for m in sizes], "how"]]
    for name, pts in result.curves.items():
        by = {p["train_items"]: p for p in pts}
        how = sorted({p["method"] for p in pts} - {"fit"})
        row = [name] + [
            "-" if by.get(m, {}).get("nats_per_item") is None else f"{by[m]['nats_per_item']:.3f}"
            for m in sizes
        ]
        cells.append(row + [", ".join(how) or "not at this budget"])
    return _table_html(cells)


def _sweep_html(sweep: dict) -> str:
    from .sweep_report import paired_cells, summary_cells, sweep_heading

    esc = html.escape
    parts = [
        "<h2>Across splits and seeds</h2>",
        f"<p>The table above is split 0 with the first seed. Across {esc(sweep_heading(sweep))}."
        " Every per-split number is in results.json under <code>sweep.per_split</code>. The "
        "fits stay on the workers, so each family's DAG, heat map and rank plots or ELBO curve "
        "come with a plain <code>zoo compare</code>.</p>",
        _table_html(summary_cells(sweep)),
        "<h3>Paired differences (a - b, held-out nats per item; negative: a better)</h3>",
        _table_html(paired_cells(sweep)),
    ]
    if sweep["failures"]:
        parts.append("<ul>")
        parts += [
            f"<li>failed: {esc(f['task'])}: {esc(f['error'])}</li>" for f in sweep["failures"]
        ]
        parts.append("</ul>")
    return "\n".join(parts)
