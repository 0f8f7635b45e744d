"""What a fit costs as the data grow: against the number of items (200, 1,797, 17,970) and
against the number of variables (16, 64, 256 pixels), in one run.

``--rows``: the whole command end to end, ``zoo fit markov-chain --data FILE.npy --json`` at
the default budget (4 chains x 1000 + 1000) on 2,000 to 1,000,000 rows (the digits resampled,
5 percent of pixels flipped, seeded), one fresh process per size, with its wall time and
peak memory (the child's max RSS, from ``os.wait4``). Goals: 200,000 rows in < 30 s and
< 2 GB, 1,000,000 rows in < 120 s and < 3 GB, and the cost growing no faster than N.

Tabular families (NUTS on sufficient statistics) should cost the same whatever the number of
items (goal: 17,970 items within 1.2x of 200); latent families (SVI on a per-item likelihood)
grow linearly. Items beyond the 1,797 digits are drawn with replacement (seeded); the
variable sweep fits data simulated from each model (a 16-, 64- or 256-pixel chain). Every
fit is run twice in the process: the first pays tracing and compilation (the persistent XLA
cache on disk makes later processes cheaper), the second is the warm cost.

    .venv/bin/python benchmarks/scaling.py [--quick] [--json PATH] [--plot PATH]
    .venv/bin/python benchmarks/scaling.py --rows [--sizes N ...] [--json PATH]

Prints the table and the ratios; writes every raw number as JSON and a two-panel plot.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _measure import measured_zoo  # noqa: E402
from peers import environment  # noqa: E402

import zoo  # noqa: E402

zoo.setup()  # host devices before JAX starts

ITEMS = (200, 1797, 17970)
PIXELS = (16, 64, 256)
ROWS = (2_000, 20_000, 50_000, 200_000, 500_000, 1_000_000)
#: (seconds, GiB) that --rows should stay under, by rows
ROW_GOALS = {200_000: (30.0, 2.0), 1_000_000: (120.0, 3.0)}


def rows_file(n: int, folder: Path) -> Path:
    """``n`` rows of the binarised digits resampled with 5 percent of pixels flipped."""
    from zoo.data import digits

    full = digits().x
    rng = np.random.default_rng(n)
    x = full[rng.integers(0, len(full), n)].astype(np.int8)
    x ^= (rng.random(x.shape) < 0.05).astype(np.int8)
    path = folder / f"rows{n}.npy"
    np.save(path, x)
    return path


def run_rows(path: Path) -> dict:
    """``zoo fit markov-chain`` on ``path`` in a fresh process: wall seconds, peak RSS and the
    card's own seconds."""
    card, wall, peak = measured_zoo(["fit", "markov-chain", "--data", str(path)])
    return {
        "wall": wall,
        "peak_gib": peak,
        "seconds": card["seconds"],
        "nats_per_item": card["heldout"]["nats_per_item"],
        "exact": card["heldout"].get("exact", False),
    }


def rows_main(sizes: list[int], json_path: str) -> int:
    """The --rows table: one fresh ``zoo fit`` per size, then the growth and the goals."""
    import tempfile

    print(f"{'rows':>10} {'wall s':>8} {'peak GiB':>9} {'fit s':>7} {'eval s':>7}  s per 1e5 rows")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            r = {"rows": n, **run_rows(rows_file(n, Path(tmp)))}
            rows.append(r)
            sec = r["seconds"]
            print(
                f"{n:>10,} {r['wall']:>8.1f} {r['peak_gib']:>9.2f} {sec['total']:>7.1f} "
                f"{sec['evaluation']:>7.1f}  {1e5 * r['wall'] / n:>8.2f}",
                flush=True,
            )
    first, last = rows[0], rows[-1]
    growth = (last["wall"] / first["wall"]) / (last["rows"] / first["rows"])
    times = last["wall"] / first["wall"]
    print(
        f"\n{last['rows']:,} vs {first['rows']:,} rows: wall time x{times:.1f} for "
        f"x{last['rows'] / first['rows']:.0f} the rows (relative to linear: {growth:.3f})"
    )
    # the log-log slope between neighbouring sizes: at most 1 is no faster than N
    slopes = [
        {
            "rows": [a["rows"], b["rows"]],
            "time": math.log(b["wall"] / a["wall"]) / math.log(b["rows"] / a["rows"]),
            "memory": math.log(b["peak_gib"] / a["peak_gib"]) / math.log(b["rows"] / a["rows"]),
        }
        for a, b in zip(rows, rows[1:], strict=False)
    ]
    for sl in slopes:
        print(
            f"  slope {sl['rows'][0]:>9,} -> {sl['rows'][1]:>9,}: time {sl['time']:.2f}, "
            f"memory {sl['memory']:.2f}"
        )
    met = {}
    for r in rows:
        if r["rows"] in ROW_GOALS:
            secs, gib = ROW_GOALS[r["rows"]]
            ok = r["wall"] < secs and r["peak_gib"] < gib
            met[str(r["rows"])] = ok
            print(
                f"goal at {r['rows']:,} rows: < {secs:.0f} s and < {gib:.0f} GiB: "
                f"{r['wall']:.1f} s, {r['peak_gib']:.2f} GiB: {'met' if ok else 'MISSED'}"
            )
    out = {
        "environment": environment(),
        "command": "zoo fit markov-chain --data ROWS.npy --json (default budget)",
        "rows": rows,
        "growth_vs_linear": growth,
        "slopes": slopes,
        "goals": {str(k): {"seconds": v[0], "gib": v[1]} for k, v in ROW_GOALS.items()},
        "goals_met": met,
    }
    Path(json_path).parent.mkdir(parents=True, exist_ok=True)
    Path(json_path).write_text(json.dumps(out, indent=2))
    print(f"wrote {json_path}")
    return 0 if all(met.values()) else 1


def resample(data, n: int, seed: int = 0):
    import dataclasses

    idx = np.random.default_rng(seed).choice(data.n_items, size=n, replace=n > data.n_items)
    y = None if data.y is None else data.y[idx]
    return dataclasses.replace(data, x=data.x[idx], y=y)


def timed_fit(model, data, method: str, **budget) -> dict:
    """Two fits of the same model and data: cold (first in the process) and warm."""
    from zoo.diagnostics import diagnose
    from zoo.fit import fit

    runs = []
    for _ in range(2):
        start = time.perf_counter()
        result = fit(model, data, method, seed=0, **budget)
        wall = time.perf_counter() - start
        sec = result.seconds
        # inference alone: the pointwise log-likelihood kept for LOO is per item by nature
        row = {
            "wall": wall,
            "compile": sec["compile"],
            "inference": sec["total"] - sec["log_likelihood"],
            "log_likelihood": sec["log_likelihood"],
        }
        if method == "nuts":
            d = diagnose(result)
            row.update(
                ess_bulk_min=d["ess_bulk_min"],
                rhat_max=d["rhat_max"],
                gradients=result.extra["nuts"].gradients,
            )
            row["ess_per_s"] = row["ess_bulk_min"] / wall
        else:
            row["steps_per_s"] = budget["steps"] / result.seconds["optimisation"]
        runs.append(row)
    return {"cold": runs[0], "warm": runs[1]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small budgets: a smoke run")
    p.add_argument("--json", default=str(HERE / "results" / "scaling.json"))
    p.add_argument("--replot", action="store_true", help="redraw the plot from --json only")
    p.add_argument(
        "--plot", default=str(HERE.parent / "docs" / "figures" / "benchmarks" / "scaling.png")
    )
    p.add_argument("--rows", action="store_true", help="zoo fit end to end against rows")
    p.add_argument("--sizes", type=int, nargs="+", default=list(ROWS), help="--rows' sizes")
    args = p.parse_args(argv)
    if args.rows:
        json_path = args.json
        if json_path == p.get_default("json"):
            json_path = str(HERE / "results" / "scaling_rows.json")
        return rows_main(args.sizes, json_path)
    if args.replot:
        plot(json.loads(Path(args.json).read_text())["rows"], args.plot)
        return 0

    import jax

    from zoo.data import digits
    from zoo.models import make_model

    nuts = (
        {"chains": 4, "warmup": 200, "draws": 200}
        if args.quick
        else {"chains": 4, "warmup": 1000, "draws": 1000}
    )
    svi = {"steps": 300 if args.quick else 2000, "chains": 1, "draws": 200, "guide": "map"}
    full = digits()
    rows = []

    def record(kind, family, axis, size, runs):
        rows.append({"kind": kind, "family": family, "axis": axis, "size": size, **runs})
        w = runs["warm"]
        print(
            f"  {family:<14} {axis:<6}={size:>6,}  first fit {runs['cold']['wall']:6.2f} s  "
            f"warm: inference {w['inference']:6.2f} s, log-lik {w['log_likelihood']:5.2f} s"
            + (f"  ESS/s {w['ess_per_s']:7.0f}" if "ess_per_s" in w else "")
            + (f"  steps/s {w['steps_per_s']:7.0f}" if "steps_per_s" in w else ""),
            flush=True,
        )

    print("items (the digits, resampled):", flush=True)
    for n in ITEMS:
        data = resample(full, n)
        record(
            "nuts",
            "markov-chain",
            "items",
            n,
            timed_fit(make_model("markov-chain"), data, "nuts", **nuts),
        )
        record(
            "svi",
            "latent-class",
            "items",
            n,
            timed_fit(make_model("latent-class", classes=10), data, "svi", **svi),
        )
    print("variables (simulated from each model, 1,797 items):", flush=True)
    for n in PIXELS:
        model = make_model("markov-chain", n=n)
        data, _ = model.simulate(jax.random.PRNGKey(0), 1797)
        record("nuts", "markov-chain", "pixels", n, timed_fit(model, data, "nuts", **nuts))
        lc = make_model("latent-class", n=n, classes=10)
        data, _ = lc.simulate(jax.random.PRNGKey(0), 1797)
        record("svi", "latent-class", "pixels", n, timed_fit(lc, data, "svi", **svi))

    def warm(kind, axis, size):
        return next(
            r for r in rows if r["kind"] == kind and r["axis"] == axis and r["size"] == size
        )["warm"]["inference"]

    flat = warm("nuts", "items", ITEMS[-1]) / warm("nuts", "items", ITEMS[0])
    linear = warm("svi", "items", ITEMS[-1]) / warm("svi", "items", ITEMS[0])
    print(
        f"\ninference cost (warm), tabular NUTS, {ITEMS[-1]:,} vs {ITEMS[0]:,} items: "
        f"{flat:.2f}x (goal <= 1.2)"
    )
    print(
        f"latent-class SVI, {ITEMS[-1]:,} vs {ITEMS[0]:,} items: {linear:.1f}x "
        f"(linear would be up to {ITEMS[-1] / ITEMS[0]:.0f}x)"
    )
    out = {
        "environment": environment(),
        "budgets": {"nuts": nuts, "svi": svi},
        "rows": rows,
        "ratios": {"tabular_items": flat, "latent_items": linear},
        "goals": {"tabular_items": 1.2},
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=2))
    plot(rows, args.plot)
    print(f"wrote {args.json} and {args.plot}")
    return 0


def plot(rows, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, axis, label in zip(
        axes, ("items", "pixels"), ("items", "variables (pixels)"), strict=True
    ):
        for kind, family, style in (("nuts", "markov-chain", "o-"), ("svi", "latent-class", "s--")):
            pts = [r for r in rows if r["axis"] == axis and r["kind"] == kind]
            x = [r["size"] for r in pts]
            ax.plot(
                x,
                [r["warm"]["inference"] for r in pts],
                style,
                label=f"{family} ({kind.upper()}): inference, warm",
            )
            ax.plot(
                x,
                [r["cold"]["wall"] for r in pts],
                style,
                alpha=0.35,
                label=f"{family}: first fit (compile, pointwise log-lik)",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("seconds per fit")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_title("cost against items")
    axes[1].set_title("cost against variables")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
