"""``zoo compare --splits K --seeds S``: every family on K random train/test splits, each
with S seeds, as Dask tasks (:mod:`zoo.sweep_exec`); then intervals and paired differences
(:mod:`zoo._sweep_stats`).

One task fits one family on one split with one seed and returns its row, learning curve and
seconds as JSON (and, for the report's fit, its samples and figures). Split 0 is the fixed
default split and the first seed is ``--seed``, so the report's table and figures show the
same fits as a plain ``zoo compare``; the sweep adds ``results.json["sweep"]`` with every
per-split number.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _sweep_stats as stats
from .compare import BUDGETS, CompareResult
from .data import Dataset
from .errors import ZooError

__all__ = ["TASK", "compare_task", "split_data", "sweep_compare", "sweep_specs"]

#: the task function, as workers import it
TASK = "zoo._compare_sweep:compare_task"
TEST_FRACTION = 0.2  # held out of a file's items on each split


def split_data(data: str, split: int) -> tuple[Dataset, Dataset, dict[str, Any]]:
    """(train, test, description) of split ``split`` of ``data`` (``"digits"`` or a file);
    split 0 is the split a plain ``zoo compare`` uses."""
    from .data import digits_split, load_data

    if data == "digits":
        train, test = digits_split(split)
        how = "fixed digits split" if split == 0 else f"digits split {split}"
        info: dict[str, Any] = {"train": "digits", "split": how}
    else:
        train, test = load_data(data).split(TEST_FRACTION, seed=split)
        info = {"train": train.source, "split": f"a seeded 20 percent split, seed {split}"}
    info.update(train_items=train.n_items, test_items=test.n_items, variables=train.n_vars)
    return train, test, info


def compare_task(spec: dict) -> dict:
    """One sweep task: ``spec["family"]`` fitted on split ``spec["split"]`` of
    ``spec["data"]`` with ``spec["seed"]`` at ``spec["budget"]``."""
    from . import _jax
    from .claims_data import ClaimShares
    from .compare import fit_family

    if spec["budget"] not in BUDGETS:
        raise ZooError(f"unknown budget {spec['budget']!r}; expected one of {list(BUDGETS)}")
    start = time.perf_counter()
    _jax.ensure()
    train, test, _ = split_data(spec["data"], spec["split"])
    b = BUDGETS[spec["budget"]]
    want = bool(spec.get("samples"))
    one = fit_family(spec["family"], b, train, test, spec["seed"], ClaimShares(train), False, want)
    figures = _rendered(spec["family"], one.fitted) if want else {}
    return {
        "row": one.row,
        "curve": one.curve,
        "samples": None if one.samples is None else np.asarray(one.samples).tolist(),
        "figures": figures,
        "seconds": one.seconds,
        # the whole task where it ran (data, fit, figures): what a sweep's timing adds up
        "task_seconds": time.perf_counter() - start,
    }


def _rendered(name: str, fitted: Any) -> dict[str, str]:
    """The report's figures of this fit as base64 PNG: drawn here, where the fit is, since
    the fit itself does not travel back from a worker."""
    import graphs

    from .figures import family_figures

    return {
        file: base64.b64encode(graphs.figure_bytes(fig)).decode("ascii")
        for file, fig in family_figures(name, fitted).items()
    }


def _data_key(data: str) -> dict[str, str]:
    """The data as a task names it: the digits by name, a file by path and digest."""
    from .sweep_exec import file_key

    return {"data": data} if data == "digits" else file_key(data, "data")


def sweep_specs(
    data: str, families: Sequence[str], budget: str, seeds: Sequence[int], splits: int
) -> list[dict]:
    """The tasks, split by split, seed by seed, family by family; the first fit of each
    family also draws the report's posterior-predictive samples and figures."""
    base = _data_key(data)
    return [
        {**base, "family": f, "budget": budget, "split": k, "seed": s, "samples": k == 0 and j == 0}
        for k in range(splits)
        for j, s in enumerate(seeds)
        for f in families
    ]


def _record(spec: dict, result: dict) -> dict:
    row = result["row"]
    curve = [{k: p[k] for k in ("train_items", "nats_per_item")} for p in result["curve"]]
    return {
        "family": spec["family"],
        "split": spec["split"],
        "seed": spec["seed"],
        "method": row["method"],
        "nats_per_item": row["nats_per_item"],
        "bits_per_dim": row["bits_per_dim"],
        "diagnostics_pass": row["diagnostics_pass"],
        "learning_curve": curve,
    }


def sweep_compare(
    data: str,
    families: Sequence[str],
    budget: str = "quick",
    seed: int = 0,
    splits: int = 2,
    seeds: int = 1,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    cache: str | os.PathLike[str] | bool | None = True,
    progress: bool = False,
    say: Callable[[str], None] | None = None,
) -> CompareResult:
    """Every family on ``splits`` splits with seeds ``seed .. seed + seeds - 1``, run by
    :func:`zoo.sweep_exec.run_tasks`; the result's rows and per-family figures are split
    0's with the first seed, and ``result.sweep`` holds the rest. The same arguments give
    the same ``results()`` whatever the executor."""
    from .sweep_exec import run_tasks

    if budget not in BUDGETS:
        raise ZooError(f"unknown budget {budget!r}; expected one of {list(BUDGETS)}")
    if splits < 1 or seeds < 1:
        raise ZooError(f"--splits and --seeds must be >= 1, got {splits} and {seeds}")
    seed_list = [seed + j for j in range(seeds)]
    specs = sweep_specs(data, families, budget, seed_list, splits)
    outcome = run_tasks(
        TASK,
        specs,
        workers=workers,
        scheduler=scheduler,
        cache=cache,
        progress=progress,
        what="compare",
        say=say,
        affinity="family",  # a worker compiles a family's programs once, for all its splits
    )
    train, test, info = split_data(data, 0)
    if splits > 1:
        info["split"] = f"{splits} random splits; split 0: {info['split']}"
    result = CompareResult([], {}, {}, budget, seed, info, train.shape)
    per_split, task_seconds = [], []
    for spec, res in zip(specs, outcome.results, strict=True):
        if res is None:
            continue
        per_split.append(_record(spec, res))
        named = {k: spec[k] for k in ("family", "split", "seed")}
        task_seconds.append(named | res["seconds"] | {"task": res["task_seconds"]})
        if spec["split"] == 0 and spec["seed"] == seed:
            name = spec["family"]
            result.rows.append(res["row"])
            result.curves[name] = res["curve"]
            result.timings[name] = res["seconds"]
            if res["samples"] is not None:
                result.samples[name] = np.asarray(res["samples"])
            for file, text in res["figures"].items():
                result.rendered[file] = base64.b64decode(text)
    by = "split" if splits > 1 else "seed"
    ratio = test.n_items / train.n_items if splits > 1 else 0.0
    names = list(families)
    result.sweep = {
        "splits": splits,
        "seeds": seed_list,
        "units": by,
        "interval": _how(by),
        "heldout_over_train": round(ratio, 4),
        "tasks": len(specs),
        "per_split": per_split,
        "summary": stats.summary(per_split, names, by, ratio),
        "paired_differences": stats.paired(per_split, names, by, ratio),
        "learning_curve_intervals": stats.learning_bands(per_split, names, by, ratio),
        "failures": [{k: f[k] for k in ("task", "error")} for f in outcome.failures],
    }
    result.task_seconds = task_seconds
    if say is not None and outcome.cached:
        say(f"{outcome.cached} of {len(specs)} tasks read from the sweep cache")
    return result


def _how(by: str) -> str:
    if by == "split":
        return (
            "95% corrected resampled t interval over splits (seeds averaged within a split; "
            "variance sd^2 (1/K + held-out/train), Nadeau and Bengio 2003)"
        )
    return "95% t interval over seeds on one split (fit randomness only, not the split's)"
