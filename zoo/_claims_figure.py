"""The figure of ``zoo check --out``: where a structure's claims fail on the data.

Three panels: over the pixel grid (when the data have a square shape), each variable's
share of contradicted claims among the tested claims that involve it; the pairwise map of
claims (contradicted, held, untestable, not claimed); and beside it the structure's own
d-separation heat map (:func:`graphs.draw_pairwise`, given its labels and latents), which
says what is claimed but not whether the data agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from graphs import DAG

    from .claims_data import DataClaims

#: pair map codes and colours: not claimed, claimed and held, contradicted, untestable
_PAIR_COLOURS = {
    "not claimed": "#ffffff",
    "claimed, held": "#cfe3c4",
    "contradicted": "#b2182b",
    "untestable": "#bdbdbd",
}


def _shown(report: DataClaims) -> tuple[str, ...]:
    """The columns of the pair map: those the report's claims are about (a label such as
    naive Bayes' ``y`` is only ever conditioned on)."""
    involved = {t.node for t in report.tests} | {t.other for t in report.tests}
    involved |= {s.node for s, _ in report.untestable}
    involved |= {o for s, _ in report.untestable for o in s.independent_of}
    return tuple(v for v in report.columns if v in involved)


def pair_codes(report: DataClaims) -> np.ndarray:
    """``(v, v)`` codes over the report's columns that claims involve: 0 not claimed, 1
    claimed and held, 2 contradicted (in either direction), 3 claimed but untestable (a
    statement listed as untestable names its pairs)."""
    index = {v: i for i, v in enumerate(_shown(report))}
    codes = np.zeros((len(index), len(index)), dtype=np.int64)
    for stmt, _ in report.untestable:
        for o in stmt.independent_of:
            if stmt.node in index and o in index:
                codes[index[stmt.node], index[o]] = codes[index[o], index[stmt.node]] = 3
    for t in report.tests:
        i, j = index[t.node], index[t.other]
        code = 2 if t.contradicted else 1
        if codes[i, j] != 2:
            codes[i, j] = codes[j, i] = code
    return codes


def claims_figure(report: DataClaims, dag: DAG, shape: tuple[int, int] | None) -> Figure:
    """The three panels (two without a square ``shape`` matching the report's columns)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    import graphs

    nodes = report.per_node()
    observed = [n for n in nodes if dag.role(n["node"]) == "observed"]
    grid = shape is not None and shape[0] * shape[1] == len(observed)
    panels = 3 if grid else 2
    fig = Figure(figsize=(6.0 * panels, 5.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, panels)
    share = report.statement_share
    fig.suptitle(
        f"{report.source}: claims tested on {report.items:,} items (Holm, FWER "
        f"{report.alpha:g}); statements contradicted: "
        + ("-" if share is None else f"{share:.1%}"),
        fontsize=11,
    )
    k = 0
    if grid:
        assert shape is not None  # grid implies a shape
        values = np.array([np.nan if n["share"] is None else n["share"] for n in observed])
        ax = axes[0]
        im = ax.imshow(values.reshape(shape), cmap="Reds", vmin=0, vmax=1)
        im.set_gid("claims-grid")
        ax.set_facecolor("#bdbdbd")  # NaN: nothing tested on this pixel
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("share of each pixel's claims contradicted\n(grey: none testable)")
        fig.colorbar(im, ax=ax, fraction=0.046)
        k = 1
    ax = axes[k]
    codes = pair_codes(report)
    cmap = ListedColormap(list(_PAIR_COLOURS.values()))
    im = ax.imshow(codes, cmap=cmap, vmin=0, vmax=3, interpolation="nearest")
    im.set_gid("claims-pairs")
    shown = _shown(report)
    step = 1 if len(shown) <= 40 else int(np.ceil(len(shown) / 16))
    ticks = list(range(0, len(shown), step))
    ax.set_xticks(ticks, [shown[i] for i in ticks], rotation=90, fontsize=7)
    ax.set_yticks(ticks, [shown[i] for i in ticks], fontsize=7)
    ax.set_title("pairwise claims against the data")
    ax.legend(
        [Patch(fc=c, ec="#555555") for c in _PAIR_COLOURS.values()],
        list(_PAIR_COLOURS),
        loc="upper left",
        bbox_to_anchor=(0.0, -0.12),
        ncol=2,
        frameon=False,
        fontsize=8,
    )
    hidden = [v for v in dag.nodes if dag.role(v) in ("label", "latent")]
    graphs.draw_pairwise(graphs.pairwise_matrix(dag, given=hidden), ax=axes[k + 1])
    fig.tight_layout()
    return fig
