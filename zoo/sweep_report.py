"""The sweep's part of the ``zoo compare`` report (``--splits``/``--seeds``): each family's
mean held-out nats with its sd and 95% interval, and the paired differences between families
on the same splits, as text cells for the terminal and the HTML page. No JAX here."""

from __future__ import annotations

from .report import aligned

__all__ = ["format_sweep", "paired_cells", "summary_cells", "sweep_heading"]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _span(low: float | None, high: float | None) -> str:
    return "-" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"


def sweep_heading(sweep: dict) -> str:
    """What the intervals are over, in one line."""
    k, s = sweep["splits"], len(sweep["seeds"])
    return (
        f"{k} split{'s' if k != 1 else ''} x {s} seed{'s' if s != 1 else ''}: {sweep['interval']}"
    )


def summary_cells(sweep: dict) -> list[list[str]]:
    """Each family's mean ± sd and 95% interval of held-out nats per item."""
    cells = [["family", sweep["units"] + "s", "nats/item mean ± sd", "95% interval"]]
    for s in sweep["summary"]:
        spread = _num(s["mean"]) + ("" if s["sd"] is None else f" ± {s['sd']:.3f}")
        cells.append([s["family"], str(s["n"]), spread, _span(s["low"], s["high"])])
    return cells


def paired_cells(sweep: dict) -> list[list[str]]:
    """Each pair's mean difference (a - b; negative: a scores better), its interval and the
    verdict ("not distinguishable" where the interval covers 0)."""
    cells = [["a", "b", sweep["units"] + "s", "a - b", "95% interval", "verdict"]]
    for p in sweep["paired_differences"]:
        cells.append(
            [p["a"], p["b"], str(p["n"]), _num(p["mean"]), _span(p["low"], p["high"]), p["verdict"]]
        )
    return cells


def format_sweep(sweep: dict | None) -> str:
    """The sweep's tables as text, to follow the compare table ("" without a sweep)."""
    if not sweep:
        return ""
    lines = ["", "", f"across {sweep_heading(sweep)}", *aligned(summary_cells(sweep))]
    lines += ["", "paired differences in held-out nats per item (a - b; negative: a better):"]
    lines += aligned(paired_cells(sweep))
    for f in sweep["failures"]:
        lines.append(f"failed: {f['task']}: {f['error']}")
    return "\n".join(lines)
