"""The learned family's figure: its DAG on the pixel grid beside hand-made structures, and
its edges against each of theirs (shared, missing, extra), compared as undirected edges
(a reversed edge is shared: hill climbing fixes a direction only up to equivalence).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import graphs
from graphs import DAG
from graphs.learn import chow_liu

from ..data import Dataset
from ._learned_dag import pixel_dag

COLOURS = {"shared": "#555555", "missing": "#1f77b4", "extra": "#d62728"}


def reference_dags(learned: DAG, data: Dataset) -> dict[str, DAG]:
    """The structures to set beside ``learned``: the raster chain, the 2-D grid when the
    pixels are square, and the Chow–Liu tree of ``data`` (held-out items: the family sees
    no training items when it draws)."""
    n = len(learned)
    out = {"markov-chain": graphs.markov_chain(n)}
    side = math.isqrt(n)
    if side * side == n:
        out["markov-grid"] = graphs.markov_grid(side, side)
    tree = chow_liu(data.x, tuple(data.cards))
    out[f"chow-liu ({data.n_items} held-out items)"] = pixel_dag(n, tree, "chow-liu")
    return out


def edge_sets(learned: DAG, other: DAG) -> dict[str, set[frozenset[str]]]:
    """Undirected edges ``shared`` by both DAGs, ``missing`` from ``learned`` and ``extra``
    in it."""
    mine = {frozenset(e) for e in learned.edges}
    theirs = {frozenset(e) for e in other.edges}
    return {"shared": mine & theirs, "missing": theirs - mine, "extra": mine - theirs}


def structures_figure(learned: DAG, others: Mapping[str, DAG]) -> Figure:
    """Top row: each DAG of ``others`` and ``learned`` drawn on the pixel grid; bottom row:
    ``learned`` against each of ``others``, edges coloured shared / missing / extra (gid
    ``edges:<name>:<kind>`` on each coloured set)."""
    cols = len(others) + 1
    fig = Figure(figsize=(3.2 * cols, 7.4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, cols, squeeze=False)
    for ax, (name, dag) in zip(axes[0], [*others.items(), ("learned", learned)], strict=True):
        graphs.draw_dag(dag, ax=ax, labels=False, title=f"{name}: {len(dag.edges)} edges")
    pos = graphs.layout(learned, "grid")
    for ax, (name, dag) in zip(axes[1], others.items(), strict=False):
        sets = edge_sets(learned, dag)
        for kind, edges in sets.items():
            segments = [np.array([pos[u], pos[v]]) for u, v in (sorted(e) for e in edges)]
            lines = LineCollection(segments, colors=COLOURS[kind], linewidths=1.2, alpha=0.8)
            lines.set_gid(f"edges:{name}:{kind}")
            ax.add_collection(lines)
        xy = np.array(list(pos.values()))
        ax.scatter(xy[:, 0], xy[:, 1], s=6, color="#999999", zorder=3)
        ax.set_xlim(xy[:, 0].min() - 0.7, xy[:, 0].max() + 0.7)
        ax.set_ylim(xy[:, 1].min() - 0.7, xy[:, 1].max() + 0.7)
        ax.set_aspect("equal")
        ax.set_axis_off()
        counts = ", ".join(f"{len(v)} {k}" for k, v in sets.items())
        ax.set_title(f"learned vs {name.split(' ')[0]}\n{counts}", fontsize=8)
    legend = axes[1][-1]
    legend.set_axis_off()
    handles = [Line2D([], [], color=c, lw=2) for c in COLOURS.values()]
    labels = ["shared (either direction)", "missing: theirs only", "extra: learned only"]
    legend.legend(handles, labels, loc="center", frameon=False, fontsize=9)
    fig.suptitle("the learned DAG against hand-made structures")
    fig.tight_layout()
    return fig
