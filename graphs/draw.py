"""Drawings of DAGs and of pairwise d-separation matrices, with matplotlib only.

This module owns node placement (:func:`layout`: a pixel grid or topological layers, with
each plate's members kept together), the DAG picture (:func:`draw_dag`: nodes, edges and
plate boxes), the d-separation heat map (:func:`draw_pairwise`) and atomic saving
(:func:`save_figure`). It builds :class:`~matplotlib.figure.Figure` objects
directly on the Agg canvas and never touches pyplot's global state, so it is safe in
tests, servers and threads.
"""

from __future__ import annotations

import bisect
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import networkx as nx
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerPatch
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Patch

from .dag import DAG
from .errors import GraphError
from .files import atomic_path
from .independence import PairwiseMatrix

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.legend import Legend

KINDS = ("auto", "layered", "grid")
SUFFIXES = (".png", ".svg")
ROLE_STYLE = {  # role -> (face, edge): observed shaded, latent open, label gold
    "observed": ("#a9a9a9", "#333333"),
    "latent": ("#ffffff", "#000000"),
    "label": ("#f5b300", "#7a5900"),
    "deterministic": ("#ffffff", "#000000"),  # open like latent, but with a dashed outline
}
ROLE_LINESTYLE = {"deterministic": (0, (2.5, 1.5))}  # role -> outline dash (default solid)
MAX_ARROWS = 400  # above this, per-edge arrows are slow and unreadable: use one LineCollection
RADIUS = 0.3  # node radius in layout units (grid cells and layers are 1 unit apart)
PLATE_PAD = 0.4  # gap from a plate's outermost member centres to its box, in layout units
PLATE_STEP = 0.14  # extra gap per plate nested inside, so nested boxes do not touch
PLATE_LABEL = 0.17  # room for a plate's "name  N=size" label along its bottom edge
PLATE_MAX_PAD = 0.95  # under one layer: a box never reaches the centres of the next layer


def layout(dag: DAG, kind: str = "auto") -> dict[str, tuple[float, float]]:
    """Node centres ``{name: (x, y)}`` in layout units.

    ``"grid"`` puts each positioned node at ``(col, -row)`` and the unpositioned latent or
    label nodes in a row centred above the grid; ``"layered"`` puts the topological
    generations in rows (roots on top) ordered by the barycentre of their parents;
    ``"auto"`` picks ``"grid"`` when ``dag.has_positions`` and ``"layered"`` otherwise.

    When the DAG has plates, the layered layout gives each plate a band of columns of its
    own across all layers: its members sit inside the band, every other node outside it,
    so a box around the members encloses no other node. This holds for disjoint and nested
    plates; crossed plates (a node in two plates neither of which holds the other) are
    placed as well as they can be.
    """
    if kind not in KINDS:
        raise GraphError(f"unknown layout kind {kind!r}; expected one of {list(KINDS)}")
    if kind == "auto":
        kind = "grid" if dag.has_positions else "layered"
    return _grid(dag) if kind == "grid" else _layered(dag)


def _grid(dag: DAG) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    above = []
    for n in dag.nodes:
        var = dag.variable(n)
        if var.pos is not None:
            out[n] = (float(var.pos[1]), -float(var.pos[0]))
        elif var.role == "observed":
            raise GraphError(
                f"grid layout needs a (row, col) pos on every observed node; {n!r} has none "
                f"(use kind='layered')"
            )
        else:
            above.append(n)
    if not out:
        raise GraphError("grid layout needs positioned nodes; this DAG has none")
    xs, ys = zip(*out.values(), strict=True)
    centre, top = (min(xs) + max(xs)) / 2, max(ys) + 1.5
    gap = max(1.0, (max(xs) - min(xs)) / max(len(above), 1) / 2)
    for i, n in enumerate(above):
        out[n] = (centre + (i - (len(above) - 1) / 2) * gap, top)
    return out


def _layered(dag: DAG) -> dict[str, tuple[float, float]]:
    layers, x = _barycentre_layers(dag)
    depth = {n: d for d, layer in enumerate(layers) for n in layer}
    if dag.plates:
        x = _plate_columns(dag, x, depth)
    return {n: (x[n], -float(d)) for d, layer in enumerate(layers) for n in layer}


def _barycentre_layers(dag: DAG) -> tuple[list[list[str]], dict[str, float]]:
    index = {n: i for i, n in enumerate(dag.nodes)}
    depth = {n: d for d, g in enumerate(nx.topological_generations(dag.graph)) for n in g}
    # A root sits just above its highest child, so edges from roots stay short.
    for n in dag.nodes:
        children = dag.children(n)
        if not dag.parents(n) and children:
            depth[n] = min(depth[c] for c in children) - 1
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for n in sorted(depth, key=index.__getitem__):
        layers[depth[n]].append(n)
    x: dict[str, float] = {}

    def place(layer: list[str]) -> None:
        for i, n in enumerate(layer):
            x[n] = i - (len(layer) - 1) / 2

    def reorder(layer: list[str], neighbours: Callable[[str], tuple[str, ...]]) -> list[str]:
        # Barycentre heuristic; a stable sort keeps ties (and neighbourless nodes) in order.
        def key(n: str) -> float:
            near = [x[m] for m in neighbours(n) if m in x]
            return sum(near) / len(near) if near else x.get(n, 0.0)

        return sorted(layer, key=key)

    for layer in layers:
        place(layer)
    for sweep in range(3):  # down, up, down: enough to untangle most small networks
        down = sweep % 2 == 0
        order = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        for i in order:
            layers[i] = reorder(layers[i], dag.parents if down else dag.children)
            place(layers[i])
    return layers, x


def _plate_chains(dag: DAG) -> dict[str, tuple[str, ...]]:
    """Each node's plates, outermost first: a plate with more members encloses one with
    fewer (exact for nested plates), ties broken by plate order."""
    rank = {p.name: (-len(p.members), i) for i, p in enumerate(dag.plates)}
    return {n: tuple(sorted(dag.plates_of(n), key=rank.__getitem__)) for n in dag.nodes}


def _plate_heights(dag: DAG) -> dict[str, int]:
    """How many levels of plates are drawn inside each plate (0 for an innermost one)."""
    members = {p.name: frozenset(p.members) for p in dag.plates}
    order = {p.name: i for i, p in enumerate(dag.plates)}

    def inside(q: str, p: str) -> bool:
        # Same members: the later plate is drawn inside (as in _plate_chains).
        if q == p or not members[q] <= members[p]:
            return False
        return members[q] < members[p] or order[q] > order[p]

    height: dict[str, int] = {}
    for p in sorted(members, key=lambda q: (len(members[q]), -order[q])):  # innermost first
        height[p] = 1 + max((height[q] for q in height if inside(q, p)), default=-1)
    return height


def _plate_pads(dag: DAG) -> dict[str, float]:
    """Gap from each plate's outermost member centres to the sides and top of its box:
    ``PLATE_PAD`` plus ``PLATE_STEP`` per level of plates inside it."""
    heights = _plate_heights(dag)
    return {p: min(PLATE_PAD + PLATE_STEP * h, PLATE_MAX_PAD) for p, h in heights.items()}


def _plate_columns(dag: DAG, key: dict[str, float], depth: dict[str, int]) -> dict[str, float]:
    """New x positions that give each plate its own band of columns.

    The plates form a tree by nesting (:func:`_plate_chains`). Inside each plate (and at
    the top), the sub-plates are laid side by side in the order of their members' mean
    ``key`` (the plain barycentre x); the nodes directly in the plate go into the free
    bands between sub-plates, by their own ``key``, one unit apart and centred per layer.
    """
    chains, pads = _plate_chains(dag), _plate_pads(dag)

    def gap_after(pad: float | None, nxt: float | None) -> float:
        if pad is not None and nxt is not None:  # box to box: both pads and a little air
            return pad + nxt + 0.3
        box = pad if pad is not None else nxt
        # a node beside a box: its circle stays clear of the box
        return 1.0 if box is None else max(1.0, box + RADIUS + 0.15)

    def block(prefix: tuple[str, ...]) -> tuple[float, dict[str, float]]:
        # Returns the span of the block's centres and their x, the left-most at 0.
        k = len(prefix)
        inside = [n for n in dag.nodes if chains[n][:k] == prefix]
        subs: dict[tuple[str, ...], list[str]] = {}
        for n in inside:
            if len(chains[n]) > k:
                subs.setdefault(chains[n][: k + 1], []).append(n)

        def mean_key(c: tuple[str, ...]) -> float:
            return sum(key[m] for m in subs[c]) / len(subs[c])

        order = sorted(subs, key=mean_key)
        cuts = [mean_key(c) for c in order]
        free: list[list[str]] = [[] for _ in range(len(order) + 1)]
        for n in sorted((n for n in inside if len(chains[n]) == k), key=key.__getitem__):
            free[bisect.bisect_right(cuts, key[n])].append(n)
        out: dict[str, float] = {}
        # right-most centre so far; pad of the box there
        right: float | None = None
        last_pad: float | None = None
        for i, nodes in enumerate(free):
            if nodes:
                counts: dict[int, int] = {}
                for n in nodes:
                    counts[depth[n]] = counts.get(depth[n], 0) + 1
                width: float = max(counts.values()) - 1
                start = 0.0 if right is None else right + gap_after(last_pad, None)
                seen: dict[int, int] = {}
                for n in nodes:  # already in key order
                    d = depth[n]
                    out[n] = start + (width - (counts[d] - 1)) / 2 + seen.get(d, 0)
                    seen[d] = seen.get(d, 0) + 1
                right, last_pad = start + width, None
            if i < len(order):
                pad = pads[order[i][-1]]
                width, inner = block(order[i])
                start = 0.0 if right is None else right + gap_after(last_pad, pad)
                out.update({n: start + v for n, v in inner.items()})
                right, last_pad = start + width, pad
        return (0.0 if right is None else right), out

    width, x = block(())
    x = {n: v - width / 2 for n, v in x.items()}
    # A layer that no plate box reaches needs no bands: there, nodes sit over (or under)
    # their neighbours instead, e.g. the global parameters centred above a plate.
    boxed: set[int] = set()
    for p in dag.plates:
        layers = [depth[m] for m in p.members]
        boxed.update(range(min(layers), max(layers) + 1))
    for d in sorted(set(depth.values()) - boxed):
        layer = sorted((n for n in dag.nodes if depth[n] == d), key=x.__getitem__)
        want = []
        for n in layer:
            near = [x[m] for m in (*dag.parents(n), *dag.children(n))]
            want.append(sum(near) / len(near) if near else x[n])
        x.update(zip(layer, _spread(want), strict=True))
    return x


def _spread(want: list[float], gap: float = 1.0) -> list[float]:
    """The positions closest to ``want`` (least squares) that keep their order and stay
    ``gap`` apart: with ``y_i = x_i - i gap`` this is isotonic regression, solved by
    pooling adjacent violators."""
    blocks: list[list[float]] = []  # [mean of y, count]
    for i, w in enumerate(want):
        blocks.append([w - i * gap, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, c2 = blocks.pop()
            m1, c1 = blocks.pop()
            blocks.append([(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2])
    ys = [m for m, c in blocks for _ in range(int(c))]
    return [y + i * gap for i, y in enumerate(ys)]


def plate_boxes(
    dag: DAG, pos: Mapping[str, tuple[float, float]], below: float = 0.0
) -> dict[str, tuple[float, float, float, float]]:
    """Each plate's box ``(x0, y0, x1, y1)`` around its members' centres, in layout units.

    The sides and top are ``PLATE_PAD`` from the outermost centres, plus ``PLATE_STEP`` per
    level of plates inside; the bottom also leaves room for the plate's label (one more per
    level, so nested labels do not overlap) and ``below`` for node names under the circles.
    No side reaches a whole layer (1 unit) from the centres.
    """
    heights, pads = _plate_heights(dag), _plate_pads(dag)
    out = {}
    for p in dag.plates:
        xy = np.array([pos[m] for m in p.members])
        pad = pads[p.name]
        lo, hi = xy.min(0), xy.max(0)
        bottom = min(pad + PLATE_LABEL * (1 + heights[p.name]) + below, PLATE_MAX_PAD)
        out[p.name] = (lo[0] - pad, lo[1] - bottom, hi[0] + pad, hi[1] + pad)
    return out


def draw_dag(
    dag: DAG,
    ax: Axes | None = None,
    kind: str = "auto",
    labels: bool | Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Draw ``dag`` and return the figure.

    Nodes are circles with gid ``node:<name>`` (observed shaded grey, latent and
    deterministic open, deterministic with a dashed outline, label gold; a continuous node
    looks like a discrete one); edges are arrows with gid ``edge:<u>-><v>``, or, above
    ``MAX_ARROWS`` edges, one faint ``LineCollection`` with gid ``edges``. Each plate is a
    rounded box with gid ``plate:<name>`` around its members (nested plates nest), labelled
    ``"<name>  N=<size>"`` in its lower right corner (a text with gid
    ``plate-label:<name>``). ``labels`` is ``None`` (names when they stay readable),
    ``True``/``False``, or a mapping from node to display text; it does not affect plate
    labels. Drawing goes on ``ax`` (an Axes of a ``Figure``, not of a ``SubFigure``) when
    given, otherwise on a new figure sized to the layout.
    """
    pos = layout(dag, kind)
    n = len(dag)
    xy = np.array([pos[v] for v in dag.nodes]) if n else np.zeros((0, 2))
    lo, hi = (xy.min(0), xy.max(0)) if n else (np.zeros(2), np.zeros(2))
    names = {v: v for v in dag.nodes}
    if isinstance(labels, Mapping):
        names.update({k: str(t) for k, t in labels.items() if k in names})
    longest = max((len(t) for t in names.values()), default=1)
    # Short names fit inside the circles; long ones go below them, so widen the layers to
    # the longest name (about 0.68 em per capital letter at 6.5 pt).
    inside = longest <= 4
    unit = 0.7 if inside else max(0.8, longest * 0.68 * 6.5 / 72 + 0.12)
    boxes = plate_boxes(dag, pos, below=0.0 if inside else 0.2)
    if boxes:  # the boxes stick out past the outermost centres: make room for them
        corners = np.array(list(boxes.values()))
        lo = np.minimum(lo, corners[:, :2].min(0) + 0.55)
        hi = np.maximum(hi, corners[:, 2:].max(0) - 0.55)
    xlim = (lo[0] - 0.7, hi[0] + 0.7)
    ylim = (lo[1] - (0.7 if inside else 0.95), hi[1] + 0.7)
    width, height = xlim[1] - xlim[0], ylim[1] - ylim[0]
    if ax is None:
        scale = min(unit, 18 / width, 16 / height)  # inches per layout unit
        w, h = width * scale, height * scale
        fig = Figure(figsize=(max(w, 3.0), h + 0.9))  # 0.5 in for the title, 0.4 for the legend
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0.4 / (h + 0.9), 1, h / (h + 0.9)))
    fig = cast(Figure, ax.figure)  # ax on a SubFigure is not supported (see the docstring)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_title(dag.name if title is None else title)
    box, (fw, fh) = ax.get_position(), fig.get_size_inches()
    points = 72 * min(box.width * fw / width, box.height * fh / height)  # points per unit

    _draw_plates(ax, dag, boxes)
    for v, (cx, cy) in zip(dag.nodes, xy, strict=True):
        role = dag.role(v)
        face, edge = ROLE_STYLE[role]
        c = Circle(
            (cx, cy),
            RADIUS,
            facecolor=face,
            edgecolor=edge,
            linewidth=0.8,
            linestyle=ROLE_LINESTYLE.get(role, "solid"),
            zorder=3,
        )
        c.set_gid(f"node:{v}")
        ax.add_patch(c)
    # In a grid, bend edges between cells around the cells in between; edges from the nodes
    # above the grid stay straight (a clean fan). In layers every edge may bend.
    grid = kind == "grid" or (kind == "auto" and dag.has_positions)
    bendable = {v for v in dag.nodes if not grid or dag.variable(v).pos is not None}
    _draw_edges(ax, dag, pos, points, bendable)

    fontsize = min(9.0, 2 * RADIUS * points * 0.9 / (0.6 * longest)) if inside else 6.5
    if labels is not False and (labels is not None or fontsize >= 4.5):
        for v, (cx, cy) in zip(dag.nodes, xy, strict=True):
            text: dict[str, Any] = dict(fontsize=max(fontsize, 4.5), zorder=4, ha="center")
            if inside:
                ax.text(cx, cy, names[v], va="center", **text)
            else:  # below the circle, on a faint backing so edges do not hide it
                bg = dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.75)
                ax.text(cx, cy - RADIUS - 0.04, names[v], va="top", bbox=bg, **text)
    roles = [r for r in ROLE_STYLE if dag.with_role(r)]
    marks: dict[str, Artist] = {
        r: Line2D([], [], ls="", marker="o", ms=9, mfc=f, mec=e) for r, (f, e) in ROLE_STYLE.items()
    }
    # A marker cannot have a dashed edge, so dashed roles get a circle patch in the legend.
    for r, dash in ROLE_LINESTYLE.items():
        face, edge = ROLE_STYLE[r]
        marks[r] = Circle((0, 0), 1, facecolor=face, edgecolor=edge, linewidth=0.8, linestyle=dash)
    if roles:
        legend: dict[str, Any] = dict(
            loc="upper center", bbox_to_anchor=(0.5, 0.0), frameon=False, fontsize=8
        )
        handler = HandlerPatch(patch_func=_legend_circle)
        ax.legend(
            [marks[r] for r in roles],
            roles,
            ncol=len(roles),
            handler_map={marks[r]: handler for r in ROLE_LINESTYLE},
            **legend,
        )
    return fig


def _legend_circle(
    legend: Legend,
    orig_handle: Artist,
    xdescent: float,
    ydescent: float,
    width: float,
    height: float,
    fontsize: float,
) -> Circle:
    # Legend handle boxes are in points; 4.5 pt matches the ms=9 markers of the other roles.
    return Circle((width / 2 - xdescent, height / 2 - ydescent), 4.5)


def _draw_plates(
    ax: Axes, dag: DAG, boxes: Mapping[str, tuple[float, float, float, float]]
) -> None:
    for p in dag.plates:
        x0, y0, x1, y1 = boxes[p.name]
        box = FancyBboxPatch(
            (x0, y0),
            x1 - x0,
            y1 - y0,
            boxstyle="round,pad=0,rounding_size=0.12",
            facecolor="none",
            edgecolor="#555555",
            linewidth=0.9,
            zorder=1,
        )
        box.set_gid(f"plate:{p.name}")
        ax.add_patch(box)
        text = ax.text(
            x1 - 0.06,
            y0 + 0.05,
            f"{p.name}  N={p.size}",
            ha="right",
            va="bottom",
            fontsize=6,
            color="#333333",
            zorder=4,
        )
        text.set_gid(f"plate-label:{p.name}")


def _draw_edges(
    ax: Axes,
    dag: DAG,
    pos: Mapping[str, tuple[float, float]],
    points: float,
    bendable: set[str],
) -> None:
    edges = dag.edges
    if not edges:
        return
    a = np.array([pos[u] for u, _ in edges])
    b = np.array([pos[v] for _, v in edges])
    if len(edges) > MAX_ARROWS:
        # Trim the segments to the circle boundaries; no arrowheads at this density.
        d = b - a
        unit = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
        segs = np.stack([a + RADIUS * unit, b - RADIUS * unit], axis=1)
        # The stub asks for a Sequence; an (edges, 2, 2) array is what matplotlib documents.
        lc = LineCollection(
            segs,  # type: ignore[arg-type]
            colors="#1f3b73",
            linewidths=0.4,
            alpha=0.25,
            zorder=1,
        )
        lc.set_gid("edges")
        ax.add_collection(lc)
        return
    names = list(pos)
    xy = np.array([pos[n] for n in names])
    index = {n: i for i, n in enumerate(names)}
    box = np.array([xy.min(0) - 0.7, xy.max(0) + 0.7])  # the axes limits
    shrink = RADIUS * points  # stop at the circle boundary (cheaper than patchA/patchB clipping)
    head = max(5.0, min(10.0, RADIUS * points * 0.45))
    width = 0.5 if len(edges) > 100 else 0.8
    for (u, v), p, q in zip(edges, a, b, strict=True):
        others = np.delete(xy, [index[u], index[v]], axis=0)
        rad = _bend(p, q, others, box) if u in bendable and v in bendable else 0.0
        arrow = FancyArrowPatch(
            tuple(p),
            tuple(q),
            arrowstyle="-|>",
            mutation_scale=head,
            linewidth=width,
            color="#333333",
            shrinkA=shrink,
            shrinkB=shrink + 1,
            connectionstyle=f"arc3,rad={rad}",
            zorder=2,
        )
        arrow.set_gid(f"edge:{u}->{v}")
        ax.add_patch(arrow)


_T = np.linspace(0.02, 0.98, 33)[:, None]


def _bend(p: np.ndarray, q: np.ndarray, others: np.ndarray, box: np.ndarray) -> float:
    """The arc3 curvature, smallest first, whose curve passes through the fewest other
    circles (0 when the straight line is clear); curves leaving ``box`` (the drawn area,
    ``[[xmin, ymin], [xmax, ymax]]``) count as blocked."""
    d = q - p
    best, fewest = 0.0, None
    for rad in (0.0, 0.15, -0.15, 0.3, -0.3, 0.5, -0.5):
        c = (p + q) / 2 + rad * np.array([d[1], -d[0]])  # arc3's control point
        curve = (1 - _T) ** 2 * p + 2 * _T * (1 - _T) * c + _T**2 * q
        near = np.linalg.norm(curve[:, None] - others[None], axis=2).min(0) < RADIUS * 1.1
        hits = int(near.sum()) if len(others) else 0
        if (curve < box[0]).any() or (curve > box[1]).any():
            hits = len(others) + 1
        if fewest is None or hits < fewest:
            best, fewest = rad, hits
        if hits == 0:
            break
    return best


def draw_pairwise(
    matrix: PairwiseMatrix, ax: Axes | None = None, title: str | None = None
) -> Figure:
    """Heat map of a pairwise d-separation matrix (image gid ``pairwise``).

    The title names the conditioning set and the share of d-separated pairs.
    """
    n = len(matrix.nodes)
    if ax is None:
        side = min(8.0, max(4.5, 0.12 * n + 2.5))
        fig = Figure(figsize=(side + 1.6, side))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    fig = cast(Figure, ax.figure)  # ax on a SubFigure is not supported (see the docstring)
    colours = {"d-separated": "#e3ecf4", "d-connected": "#1f4e79", "same node": "#9a9a9a"}
    cmap = ListedColormap([colours["d-connected"], colours["d-separated"]])
    im = ax.imshow(matrix.separated.astype(int), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    im.set_gid("pairwise")
    # The diagonal is False by definition; grey it out so it does not read as "dependent".
    eye = np.eye(n, dtype=bool)
    diag = ax.imshow(
        np.ma.masked_where(~eye, eye),
        cmap=ListedColormap([colours["same node"]]),
        interpolation="nearest",
    )
    diag.set_gid("diagonal")
    step = 1 if n <= 40 else math.ceil(n / 16)
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks, [matrix.nodes[i] for i in ticks], rotation=90, fontsize=7)
    ax.set_yticks(ticks, [matrix.nodes[i] for i in ticks], fontsize=7)
    given = "{" + ", ".join(matrix.given) + "}" if matrix.given else "nothing"
    heading = "pairwise d-separation" if title is None else title
    ax.set_title(f"{heading}\ngiven {given}: {matrix.share:.1%} of pairs d-separated", fontsize=10)
    handles = [Patch(fc=c, ec="#555555") for c in colours.values()]
    ax.legend(
        handles,
        list(colours),
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        fontsize=8,
    )
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` as PNG (150 dpi) or SVG, chosen by suffix, and return the path.

    The file is written under a temporary name in the same folder and then renamed, so a
    reader never sees a half-written file. Missing parent folders are created.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise GraphError(
            f"cannot save a figure as {path.suffix or '(no suffix)'!r}; use one of {list(SUFFIXES)}"
        )
    existing = next(p for p in path.parents if p.exists())  # the nearest existing parent
    if not existing.is_dir():
        raise GraphError(f"cannot save a figure to {str(path)!r}: {str(existing)!r} is a file")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "xb") as fh:
        fh.write(figure_bytes(fig, suffix))
    return path


def figure_bytes(fig: Figure, suffix: str = ".png") -> bytes:
    """``fig`` as the bytes :func:`save_figure` writes for a file ending in ``suffix``: for
    a figure drawn in one process and saved in another."""
    import io

    suffix = suffix.lower()
    if suffix not in SUFFIXES:
        raise GraphError(f"cannot render a figure as {suffix!r}; use one of {list(SUFFIXES)}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=suffix[1:], dpi=150, bbox_inches="tight")
    return buffer.getvalue()
