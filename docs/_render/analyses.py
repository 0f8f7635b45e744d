"""The checks and saved analyses the concept pages show: the diagnostics of ``zoo.diagnostics``
with their thresholds and advice, the Ng-Jordan summary, and small CSV files as tables."""

from __future__ import annotations

import csv

from mkdocs.exceptions import PluginError

from .common import DOCS, existing, md, num, read_json, table


def csv_table(path: str) -> str:
    with existing(DOCS / path).open(encoding="utf-8", newline="") as fh:
        head, *rows = list(csv.reader(fh))
    return table(head, rows) + f"\n\n*From `docs/{path}`.*"


def diagnostics_table() -> str:
    from zoo import diagnostics as d

    need = {
        "rhat": f"max R-hat < {d.RHAT_MAX}",
        "ess_bulk": f"min bulk ESS >= {d.ESS_PER_CHAIN} per chain",
        "ess_tail": f"min tail ESS >= {d.ESS_PER_CHAIN} per chain",
        "divergences": "no divergent transition",
        "ebfmi": f"min E-BFMI >= {d.EBFMI_MIN}",
        "elbo_converged": "last tenth of the ELBO trace within 3 s.e. of the tenth before",
        "converged": "a trained family's objective (`OBJECTIVE_converged`): the same test on "
        "its trace",
        "khat": f"k-hat <= {d.KHAT_MAX} (not for a MAP guide)",
    }
    if set(need) != set(d.ADVICE):  # a new check must be explained on the page
        raise PluginError(f"docs hook: ADVICE has {sorted(d.ADVICE)}, the page {sorted(need)}")
    rows = [[f"`{k}`", need[k], md(advice)] for k, advice in d.ADVICE.items()]
    return table(["check", "passes when", "what a failure means (the warning's advice)"], rows)


def ng_jordan() -> str:
    summary = read_json(DOCS / "figures" / "analyses" / "ng_jordan.json")["summary"]["datasets"]
    rows = []
    for name, s in summary.items():
        small, large = s["smallest"], s["largest"]
        rows.append(
            [
                name,
                f"{small['naive_bayes_error']:.3f} / {small['logistic_error']:.3f}",
                f"{large['train_items']:,}",
                f"{large['naive_bayes_error']:.3f} / {large['logistic_error']:.3f}",
                num(s["crossing_n"], "{:.0f}"),
            ]
        )
    head = [
        "dataset",
        "error with 10 items (NB / LR)",
        "all items",
        "error with all (NB / LR)",
        "curves cross near",
    ]
    return table(head, rows) + "\n\n*From `docs/figures/analyses/ng_jordan.json`.*"


RENDER = {
    "csv": csv_table,
    "diagnostics-table": diagnostics_table,
    "ng-jordan": ng_jordan,
}
