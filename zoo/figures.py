"""The figures ``zoo fit --out`` saves: the DAG, posterior-predictive samples as images, a
rank plot of a few parameters (NUTS, exact) and the ELBO curve (SVI); and those of the
``zoo compare`` report (:func:`compare_figures`).

Figures are built on matplotlib ``Figure`` objects (no pyplot state) and returned, so the
caller decides where and whether to write them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from .compare import CompareResult
    from .data import Dataset
    from .fit import FitResult

RANK_VARIABLES = 4  # rank plots stay readable for a few parameters


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def samples_figure(items: np.ndarray, shape: tuple[int, int], title: str = "") -> Figure:
    """A square grid of items drawn as ``shape`` images (state codes as grey levels)."""
    items = np.asarray(items)
    side = int(np.ceil(np.sqrt(len(items))))
    fig = _figure(1.2 * side, 1.2 * side + 0.4)
    axes = fig.subplots(side, side, squeeze=False)
    top = max(1, int(items.max())) if items.size else 1
    for k, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if k < len(items):
            ax.imshow(items[k].reshape(shape), cmap="gray_r", vmin=0, vmax=top)
    fig.suptitle(title or f"{len(items)} posterior-predictive samples")
    return fig


def rank_figure(result: FitResult, max_vars: int = RANK_VARIABLES) -> Figure:
    """ArviZ rank plots of the ``max_vars`` parameter elements with the worst R-hat (or, for
    families whose labels can swap, of their permutation-invariant quantities), each under
    a readable name where the model gives one (``P(x10=1 | x9=0)``, not ``theta[37]``)."""
    from ._az import az

    post = result.idata["posterior"]
    chains = post.sizes["chain"]
    inv = result.invariants()
    if inv is not None:
        series = {k: np.asarray(v).reshape(chains, -1) for k, v in inv.items()}
    else:
        series = worst_rhat_series(post, result.model, max_vars)
    fig = _figure(6.0, 1.6 * len(series) + 0.6)
    axes = np.atleast_1d(fig.subplots(len(series), 1, squeeze=False).ravel())
    az.plot_rank(az.convert_to_dataset(series), ax=axes, show=False)
    which = "" if inv is not None else f", the {len(series)} parameters with the worst R-hat"
    fig.suptitle(f"rank plots ({chains} chains{which}): uniform bars mean the chains agree")
    fig.tight_layout()
    return fig


def worst_rhat_series(post: Any, model: Any, k: int) -> dict[str, np.ndarray]:
    """``(chains, draws)`` series of the ``k`` scalar elements of ``post`` with the largest
    R-hat (NaN counts as worst), worst first, keyed by the model's name for each element."""
    from ._az import az

    chains = post.sizes["chain"]
    rhat = az.rhat(post)
    scored = []
    for name in post.data_vars:
        values = np.asarray(rhat[name].values, dtype=float).ravel()
        for j, r in enumerate(values):
            scored.append((-np.inf if np.isnan(r) else -r, str(name), j))
    scored.sort()
    label = getattr(model, "element_label", None)
    series = {}
    for _, name, j in scored[:k]:
        var = post[name].values.reshape(chains, post.sizes["draw"], -1)
        key = (label(name, j) if label else None) or f"{name}[{j}]"
        series[f"{key}  R-hat {float(rhat[name].values.ravel()[j]):.3f}"] = var[:, :, j]
    return series


def elbo_figure(elbo: np.ndarray | None, objective: str = "elbo") -> Figure:
    """The ELBO per SVI step (or a trained family's ``objective``); the y range skips the
    first steps' large negative values."""
    if elbo is None:  # FitResult.elbo of a fit that is not SVI
        raise TypeError("no ELBO trace to draw: not an SVI fit")
    elbo = np.asarray(elbo, dtype=float)
    fig = _figure(6.0, 3.5)
    ax = fig.add_subplot()
    ax.plot(np.arange(1, len(elbo) + 1), elbo, lw=0.8)
    finite = elbo[np.isfinite(elbo)]
    if finite.size:
        low, high = np.percentile(finite, [10, 100])
        pad = 0.05 * (high - low) or 1.0
        ax.set_ylim(low - pad, high + pad)
    ax.set_xlabel("step")
    if objective == "elbo":
        ax.set_ylabel("ELBO")
        ax.set_title("SVI: evidence lower bound")
    else:
        ax.set_ylabel(objective.replace("_", " "))
        ax.set_title(f"training: {objective.replace('_', ' ')} per step (higher is better)")
    fig.tight_layout()
    return fig


def fit_figures(
    result: FitResult, shape: tuple[int, int] | None, seed: int = 0, data: Dataset | None = None
) -> dict[str, Figure]:
    """The figures of a fit, by file name: ``dag.png``, ``samples.png`` (when the data have
    an image ``shape``), ``rank.png`` (NUTS and exact draws), ``elbo.png`` (SVI) or
    ``objective.png`` (a trained family's other methods); with held-out ``data``, the
    family's own figures too (``Family.family_figures``)."""
    import graphs

    from .evaluate import samples

    model = result.family_model
    figures = {"dag.png": graphs.draw_dag(model.dag)}
    n_obs = len(model.observed)
    if shape is not None and shape[0] * shape[1] == n_obs:
        figures["samples.png"] = samples_figure(samples(result, 16, seed), shape)
    trace = _trace_figure(result)
    if trace is not None:
        figures[f"{trace[0]}.png"] = trace[1]
    else:
        figures["rank.png"] = rank_figure(result)
    if data is not None:
        figures.update(model.family_figures(result.draws(), data, seed))
    return figures


def _trace_figure(result: FitResult) -> tuple[str, Figure] | None:
    """``("elbo", figure)`` for SVI, ``("objective", figure)`` for a trained family's other
    methods, ``None`` for draws from a sampler (whose figure is the rank plot)."""
    from .models import Trained

    model = result.model
    if isinstance(model, Trained) and result.elbo is not None:
        kind = "elbo" if result.method == "svi" else "objective"
        return kind, elbo_figure(result.elbo, model.objective)
    if result.method == "svi":
        return "elbo", elbo_figure(result.elbo)
    return None


# -- compare: figures across families ----------------------------------------------------


def sample_grid_figure(samples: dict[str, np.ndarray], shape: tuple[int, int]) -> Figure:
    """One row of images per family (gid ``samples:<family>`` on each image), so the
    full-independence static sits beside the structured families' digits."""
    names = list(samples)
    cols = max((len(v) for v in samples.values()), default=1)
    fig = _figure(0.6 * cols + 2.2, 0.7 * len(names) + 0.6)
    axes = fig.subplots(len(names), cols, squeeze=False)
    for r, name in enumerate(names):
        items = np.asarray(samples[name])
        top = max(1, int(items.max())) if items.size else 1
        for k, ax in enumerate(axes[r]):
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if k < len(items):
                im = ax.imshow(items[k].reshape(shape), cmap="gray_r", vmin=0, vmax=top)
                im.set_gid(f"samples:{name}")
        axes[r][0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(f"{cols} posterior-predictive samples per family")
    return fig


def frontier_figure(rows: list[dict], intervals: list[dict] | None = None) -> Figure:
    """log10 parameter count against held-out nats per item, one point per family (the
    scatter has gid ``frontier``). With a sweep's ``intervals`` (``sweep["summary"]``) each
    point is the mean over splits, with its 95% interval as an error bar (gid ``intervals``)."""
    rows = [r for r in rows if r.get("nats_per_item") is not None]
    by = {s["family"]: s for s in intervals or [] if s.get("low") is not None}
    # a family without an interval (one unit, or failed tasks) keeps its own point
    spans = [by.get(r["family"], {}) for r in rows]
    x = np.array([np.log10(r["params"]) for r in rows], dtype=float)
    y = np.array([s.get("mean", r["nats_per_item"]) for r, s in zip(rows, spans, strict=True)])
    fig = _figure(6.5, 4.5)
    ax = fig.add_subplot()
    if by:
        low = np.array([s.get("low", v) for s, v in zip(spans, y, strict=True)])
        high = np.array([s.get("high", v) for s, v in zip(spans, y, strict=True)])
        bars = ax.errorbar(x, y, yerr=[y - low, high - y], fmt="none", ecolor="#6b8fb5", lw=1)
        bars[2][0].set_gid("intervals")
    pts = ax.scatter(x, y, s=30, color="#1f4e79", zorder=3)
    pts.set_gid("frontier")
    ax.set_xlabel("log10 parameter count")
    ax.set_ylabel("held-out nats per item (lower is better)")
    ax.set_title("what structure costs and buys")
    ax.grid(alpha=0.3)
    ax.margins(x=0.12, y=0.08)  # room for the labels of the outermost points
    fig.tight_layout()
    _labels(ax, x, y, [r["family"] for r in rows])
    return fig


#: where a point's label may go, in offset points and alignment, tried in this order
_LABEL_SPOTS = (
    (5, 4, "left", "bottom"),
    (5, -4, "left", "top"),
    (-5, 4, "right", "bottom"),
    (-5, -4, "right", "top"),
    (0, 8, "center", "bottom"),
    (0, -8, "center", "top"),
)


def _labels(ax: Any, x: np.ndarray, y: np.ndarray, names: list[str]) -> None:
    """Label each point at the first spot whose text overlaps no point and no label placed
    before and stays inside the axes (else at the first spot): the frontier's points crowd."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)

    def put(xi: float, yi: float, name: str, spot: tuple) -> Any:
        dx, dy, ha, va = spot
        return ax.annotate(
            name, (xi, yi), textcoords="offset points", xytext=(dx, dy), ha=ha, va=va, fontsize=8
        )

    from matplotlib.transforms import Bbox

    r = 4.0  # a marker's half-width in pixels: labels keep off every point too
    centres = ax.transData.transform(np.column_stack([x, y]))
    placed: list[Any] = [Bbox([[cx - r, cy - r], [cx + r, cy + r]]) for cx, cy in centres]
    for xi, yi, name in zip(x, y, names, strict=True):
        for spot in _LABEL_SPOTS:
            box = put(xi, yi, name, spot).get_window_extent(renderer)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(other) for other in placed):
                break
            ax.texts[-1].remove()
        else:
            box = put(xi, yi, name, _LABEL_SPOTS[0]).get_window_extent(renderer)
        placed.append(box)


def learning_figure(curves: dict[str, list[dict]], bands: dict | None = None) -> Figure:
    """Held-out nats per item against training items (log axis), one line per family with
    points (each line has gid ``curve:<family>``). With a sweep's ``bands``
    (``sweep["learning_curve_intervals"]``) the lines are means over splits, each in a
    shaded 95% interval (gid ``band:<family>``)."""
    fig = _figure(6.5, 4.5)
    ax = fig.add_subplot()
    for name, points in curves.items():
        band = [p for p in (bands or {}).get(name, []) if p.get("low") is not None]
        if band:
            points = [{"train_items": p["train_items"], "nats_per_item": p["mean"]} for p in band]
        if not points:
            continue
        m = [p["train_items"] for p in points]
        nats = [p["nats_per_item"] for p in points]
        (line,) = ax.plot(m, nats, marker="o", ms=3, lw=1, label=name)
        line.set_gid(f"curve:{name}")
        if band:
            low, high = [p["low"] for p in band], [p["high"] for p in band]
            shade = ax.fill_between(m, low, high, color=line.get_color(), alpha=0.15, lw=0)
            shade.set_gid(f"band:{name}")
    ax.set_xscale("log")
    ax.set_xlabel("training items")
    ax.set_ylabel("held-out nats per item")
    ax.set_title("learning curves: strong assumptions win with little data")
    ax.grid(alpha=0.3)
    if ax.get_lines():
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def family_figures(name: str, fitted: FitResult) -> dict[str, Figure]:
    """One compare row's figures, by file name: its DAG, its independence heat map, and its
    rank plot or training curve."""
    import graphs

    dag = fitted.family_model.dag
    figures = {f"dag-{name}.png": graphs.draw_dag(dag, title=name)}
    hidden = [n for n in dag.nodes if dag.role(n) in ("label", "latent")]
    figures[f"independence-{name}.png"] = graphs.draw_pairwise(
        graphs.pairwise_matrix(dag, given=hidden), title=name
    )
    trace = _trace_figure(fitted)
    if trace is not None:
        figures[f"{trace[0]}-{name}.png"] = trace[1]
    else:
        figures[f"rank-{name}.png"] = rank_figure(fitted)
    return figures


def compare_figures(result: CompareResult) -> dict[str, Figure | bytes]:
    """The ``zoo compare`` report's figures of a :class:`zoo.compare.CompareResult`, by file
    name (not yet saved): each fit's DAG, heat map and rank plot or ELBO curve (already
    rendered, as PNG bytes, where a sweep's worker drew them), then the sample grid, the
    frontier and the learning curves."""
    figures: dict[str, Figure | bytes] = {}
    for name, fitted in result.fits.items():
        figures.update(family_figures(name, fitted))
    figures.update(result.rendered)
    if result.shape is not None and result.samples:
        figures["samples.png"] = sample_grid_figure(result.samples, result.shape)
    sweep = result.sweep or {}
    figures["frontier.png"] = frontier_figure(result.rows, sweep.get("summary"))
    figures["learning.png"] = learning_figure(result.curves, sweep.get("learning_curve_intervals"))
    return figures
