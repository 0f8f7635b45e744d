"""``zoo sweep FILE.py:FUNCTION --data D --grid key=v1,v2 ...``: a user's own NumPyro program
fitted at every point of a grid of its arguments, with several seeds, as Dask tasks
(:mod:`zoo.sweep_exec`); a table of diagnostics and PSIS-LOO scores per point, and a figure.

A task binds the data file and the grid point's arguments to the program (a grid value
replaces the data file's key of the same name), fits it with the given method and seed and
returns the diagnostics and LOO numbers, rounded to the digits the table prints so that any
executor gives the same ``sweep.json``.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._compare_budgets import rounded
from .errors import ZooError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["TASK", "format_sweep", "parse_grid", "points", "program_task", "sweep_figure", "sweep"]

TASK = "zoo.program_sweep:program_task"
#: decimals kept per number (the table prints exactly these)
DIGITS = {
    "rhat_max": 3,
    "ess_bulk_min": 0,
    "ess_tail_min": 0,
    "ebfmi_min": 2,
    "khat": 2,
    "elpd_loo": 2,
    "se": 2,
    "p_loo": 2,
    "pareto_k_max": 2,
}


def _value(text: str) -> Any:
    try:
        return json.loads(text)  # 3, 0.5, true, "name"
    except ValueError:
        return text


def parse_grid(items: Sequence[str]) -> dict[str, list]:
    """``["K=1,2,3", "scale=0.5,1"]`` as ``{"K": [1, 2, 3], "scale": [0.5, 1]}``."""
    grid: dict[str, list] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier() or not values.strip():
            raise ZooError(f"--grid {item!r}: expected key=v1,v2,... (an argument of the program)")
        if key in grid:
            raise ZooError(f"--grid {key!r} is given twice")
        grid[key] = [_value(v.strip()) for v in values.split(",")]
    return grid


def points(grid: dict[str, list]) -> list[dict]:
    """Every combination of the grid's values, the first key varying slowest."""
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def program_task(spec: dict) -> dict:
    """One grid point with one seed: bind, fit, and the card's diagnostics and LOO."""
    from . import _jax
    from .assess import program_card
    from .programs import bind, check_fittable, fit_program, load_program, read_data

    _jax.ensure()
    fn = load_program(spec["program"])
    data = read_data(spec["data"]) if spec["data"] else {}
    name = spec["program"].rsplit(":", 1)[1]
    bound = bind(fn, {**data, **spec["args"]}, name=name)
    check_fittable(bound)
    result = fit_program(bound, spec["method"], seed=spec["seed"], **spec["options"])
    card = program_card(bound, result, name).to_json()
    diag = card["diagnostics"]
    out = {k: diag.get(k) for k in ("rhat_max", "ess_bulk_min", "ess_tail_min", "ebfmi_min")}
    out.update(divergences=diag.get("divergences"), khat=diag.get("khat"), pass_=diag["pass"])
    loo = card.get("loo") or {}
    out.update({k: loo.get(k) for k in ("elpd_loo", "se", "p_loo", "pareto_k_max")})
    out["loo_error"] = loo.get("error")
    for key, digits in DIGITS.items():
        out[key] = rounded(out[key], digits)
    out["diagnostics_pass"] = bool(out.pop("pass_"))
    return {"scores": out, "seconds": card["seconds"]}


def sweep(
    program: str,
    data: str | None,
    grid: dict[str, list],
    *,
    seeds: int = 1,
    seed: int = 0,
    method: str = "nuts",
    options: dict | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    cache: str | os.PathLike[str] | bool | None = True,
    progress: bool = False,
    say: Callable[[str], None] | None = None,
) -> dict:
    """Fit ``program`` at every grid point with seeds ``seed .. seed + seeds - 1``; the
    record ``sweep.json`` holds: every run, each point's summary over its seeds, failures."""
    from .sweep_exec import run_tasks

    if method not in ("nuts", "svi"):
        raise ZooError(f"unknown method {method!r}; a program takes nuts or svi")
    from .sweep_exec import file_key

    base: dict[str, Any] = {"data": None, **file_key(program.rsplit(":", 1)[0], "program")}
    if data is not None:
        base.update(file_key(data, "data"))
    base["program"] = f"{base['program']}:{program.rsplit(':', 1)[1]}"
    seed_list = [seed + j for j in range(seeds)]
    grid_points = points(grid)
    specs = [
        {**base, "args": args, "seed": s, "method": method, "options": dict(options or {})}
        for args in grid_points
        for s in seed_list
    ]
    outcome = run_tasks(
        TASK, specs, workers=workers, scheduler=scheduler, cache=cache, progress=progress,
        what="sweep", say=say, affinity=None,
    )  # fmt: skip
    runs = [
        {"args": spec["args"], "seed": spec["seed"], **res["scores"]}
        for spec, res in zip(specs, outcome.results, strict=True)
        if res is not None
    ]
    return {
        "program": program,
        "data": data,
        "method": method,
        "options": dict(options or {}),
        "grid": grid,
        "seeds": seed_list,
        "runs": runs,
        "points": [_summary(args, [r for r in runs if r["args"] == args]) for args in grid_points],
        "failures": [
            {
                "task": f"{json.dumps(f['spec']['args'])}, seed {f['spec']['seed']}",
                "error": f["error"],
            }
            for f in outcome.failures
        ],
        "seconds": [
            {"args": spec["args"], "seed": spec["seed"], **res["seconds"]}
            for spec, res in zip(specs, outcome.results, strict=True)
            if res is not None
        ],
    }


def _summary(args: dict, runs: list[dict]) -> dict:
    elpd = [r["elpd_loo"] for r in runs if r["elpd_loo"] is not None]
    rhats = [r["rhat_max"] for r in runs if r["rhat_max"] is not None]
    ess = [r["ess_bulk_min"] for r in runs if r["ess_bulk_min"] is not None]
    return {
        "args": args,
        "runs": len(runs),
        "passed": sum(r["diagnostics_pass"] for r in runs),
        "rhat_max": max(rhats) if rhats else None,
        "ess_bulk_min": min(ess) if ess else None,
        "divergences": sum(r["divergences"] or 0 for r in runs),
        "elpd_loo_mean": rounded(np.mean(elpd), 2) if elpd else None,
        "elpd_loo_sd": rounded(np.std(elpd, ddof=1), 2) if len(elpd) > 1 else None,
    }


def _label(args: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in args.items())


def format_sweep(record: dict) -> str:
    """The sweep's table: one line per grid point (over its seeds), then any failures."""
    from .report import aligned

    cells = [["point", "runs", "passed", "R-hat max", "ESS bulk min", "div", "elpd_loo"]]
    for p in record["points"]:
        elpd = "-" if p["elpd_loo_mean"] is None else f"{p['elpd_loo_mean']:.2f}"
        if p["elpd_loo_sd"] is not None:
            elpd += f" ± {p['elpd_loo_sd']:.2f}"
        cells.append(
            [
                _label(p["args"]),
                str(p["runs"]),
                str(p["passed"]),
                "-" if p["rhat_max"] is None else f"{p['rhat_max']:.3f}",
                "-" if p["ess_bulk_min"] is None else str(p["ess_bulk_min"]),
                str(p["divergences"]),
                elpd,
            ]
        )
    lines = aligned(cells)
    lines += [f"failed: {f['task']}: {f['error']}" for f in record["failures"]]
    return "\n".join(lines)


def sweep_figure(record: dict) -> Figure:
    """PSIS-LOO elpd of each grid point: every seed's run as a dot, the mean as a bar
    (higher is better; the dots have gid ``runs``)."""
    from .figures import _figure

    pts = record["points"]
    fig = _figure(max(4.0, 0.9 * len(pts) + 2), 3.8)
    ax = fig.add_subplot()
    xs, ys = [], []
    for i, p in enumerate(pts):
        for r in record["runs"]:
            if r["args"] == p["args"] and r["elpd_loo"] is not None:
                xs.append(i)
                ys.append(r["elpd_loo"])
        if p["elpd_loo_mean"] is not None:
            ax.hlines(p["elpd_loo_mean"], i - 0.3, i + 0.3, color="#1f4e79", lw=2)
    dots = ax.scatter(xs, ys, s=16, color="#6b8fb5", zorder=3)
    dots.set_gid("runs")
    ax.set_xticks(range(len(pts)), [_label(p["args"]) for p in pts], rotation=30, ha="right")
    ax.set_ylabel("PSIS-LOO elpd (higher is better)")
    ax.set_title(f"{record['program']}: {len(record['seeds'])} seed(s) per point")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
