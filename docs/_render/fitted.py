"""The fitted numbers of the family pages: one row of ``docs/figures/compare/results.json``
(with its seconds from ``timings.json``), every row side by side, the learning curves, and a
fit card saved by ``zoo fit ... --out DIR``."""

from __future__ import annotations

from functools import cache

from mkdocs.exceptions import PluginError

from .common import DOCS, num, read_json, table

COMPARE = DOCS / "figures" / "compare"


@cache
def _results() -> dict:
    return read_json(COMPARE / "results.json")


@cache
def _timings() -> dict:
    path = COMPARE / "timings.json"
    return read_json(path) if path.is_file() else {}


def _row(name: str) -> dict:
    rows = {r["family"]: r for r in _results()["rows"]}
    if name not in rows:
        raise PluginError(f"docs hook: no row {name!r} in results.json; rows: {list(rows)}")
    return rows[name]


def fitted(name: str) -> str:
    row, res = _row(name), _results()
    seconds = _timings().get(name, {}).get("total")
    method = row["method"] + (f" ({row['guide']} guide)" if row.get("guide") else "")
    rows = [
        ["method", f"{method}: {row['method_reason']}"],
        ["held-out nats per image", num(row["nats_per_item"], "{:.3f}")],
        ["bits per dimension", num(row["bits_per_dim"], "{:.4f}")],
        ["R-hat (max)", num(row["rhat_max"], "{:.3f}")],
        ["ESS bulk / tail (min)", f"{num(row['ess_bulk_min'])} / {num(row['ess_tail_min'])}"],
    ]
    if row["method"] == "nuts":
        rows += [
            ["divergences", num(row["divergences"])],
            ["E-BFMI (min)", num(row["ebfmi_min"], "{:.2f}")],
        ]
    else:
        khat = num(row["khat"], "{:.2f}") if row["khat"] is not None else "- (a MAP guide)"
        rows += [["guide k-hat", khat]]
    rows += [
        ["every diagnostic passes", "yes" if row["diagnostics_pass"] else "**no**"],
        ["seconds (fit, scoring, learning curve)", num(seconds, "{:.1f}")],
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
        note += table(
            ["training images", *[f"{p['train_items']:,}" for p in curve]],
            [["nats per image", *[f"{p['nats_per_item']:.3f}" for p in curve]]],
        )
    return table(["", "on the digits"], rows) + note


def fitted_card(path: str) -> str:
    card = read_json(DOCS / path)
    d, h, data = card["diagnostics"], card["heldout"], card["data"]
    rows = [
        ["data", f"{data['train']}: {data['train_items']:,} to fit, {data['test_items']} held out"],
        ["method", f"{card['method']}: {card['method_reason']}"],
        ["held-out nats per item", f"{h['nats_per_item']:.3f}"],
        ["bits per dimension", f"{h['bits_per_dim']:.4f}"],
        ["R-hat (max)", num(d.get("rhat_max"), "{:.3f}")],
        ["ESS bulk / tail (min)", f"{d['ess_bulk_min']:.0f} / {d['ess_tail_min']:.0f}"],
    ]
    if card["method"] == "nuts":
        rows += [["divergences", d["divergences"]], ["E-BFMI (min)", f"{d['ebfmi_min']:.2f}"]]
    rows += [
        ["every diagnostic passes", "yes" if d["pass"] else "**no**"],
        ["seconds", f"{card['seconds']['total']:.1f}"],
    ]
    return table(["", "value"], rows) + f"\n\n*From `docs/{path}`.*"


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
                num(r["rhat_max"], "{:.3f}"),
                num(r["ess_bulk_min"]),
                f"{r['nats_per_item']:.3f}",
                f"{r['bits_per_dim']:.4f}",
                num(seconds, "{:.1f}"),
            ]
        )
    return table(head, rows) + "\n\n*From `docs/figures/compare/results.json` and `timings.json`.*"


def learning_table() -> str:
    curves = _results()["learning_curves"]
    sizes = sorted({p["train_items"] for curve in curves.values() for p in curve})
    rows = []
    for name in [r["family"] for r in _results()["rows"] if r["family"] in curves]:
        by_size = {p["train_items"]: p["nats_per_item"] for p in curves[name]}
        rows.append([name, *[num(by_size.get(n), "{:.2f}") for n in sizes]])
    head = ["row", *[f"{n:,}" for n in sizes]]
    return table(head, rows) + "\n\n*From `docs/figures/compare/results.json`.*"


RENDER = {
    "fitted": fitted,
    "fitted-card": fitted_card,
    "compare-table": compare_table,
    "learning-table": learning_table,
}
