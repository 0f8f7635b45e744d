"""The benchmark figures for docs/benchmarks.md, from the raw JSON the scripts wrote.

    .venv/bin/python benchmarks/plot.py [--nuts PATH] [--svi PATH] [--out DIR]

``nuts.png``: end-to-end and warm ESS/s per model and sampler (log scale);
``svi.png``: steps per second per model, guide and sampler (log scale).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
SAMPLERS = ("zoo", "numpyro", "pymc", "nutpie", "pyro")
COLOURS = dict(zip(SAMPLERS, ("C3", "C0", "C1", "C2", "C4"), strict=True))


def _bars(ax, groups: list[str], values: dict[str, list], ylabel: str, title: str) -> None:
    present = [s for s in SAMPLERS if s in values]
    width = 0.8 / max(len(present), 1)
    x = np.arange(len(groups))
    for i, s in enumerate(present):
        v = [np.nan if a is None else a for a in values[s]]
        ax.bar(x + (i - (len(present) - 1) / 2) * width, v, width, label=s, color=COLOURS[s])
    ax.set_xticks(x, groups, rotation=30, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, axis="y", which="both", alpha=0.3)


def nuts_figure(path: Path, out: Path) -> None:
    rows = [r for r in json.loads(path.read_text())["rows"] if r["likelihood"] != "items"]
    groups = sorted({(r["model"], r["scale"]) for r in rows}, key=lambda g: (g[1], g[0]))
    names = [f"{m} x{s}" for m, s in groups]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    for ax, key, title in zip(
        axes,
        ("ess_per_s", "ess_per_s_warm"),
        ("end to end (fresh process: imports, compile, sampling)", "warm (second fit)"),
        strict=True,
    ):
        values = {}
        for s in SAMPLERS:
            got = {(r["model"], r["scale"]): r.get(key) for r in rows if r["sampler"] == s}
            if got:
                values[s] = [got.get(g) for g in groups]
        _bars(ax, names, values, "min bulk ESS per second", title)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "nuts.png", dpi=110)


def svi_figure(path: Path, out: Path) -> None:
    rows = json.loads(path.read_text())["rows"]
    groups = sorted({(r["model"], r["guide"], r["init"]) for r in rows})
    names = [f"{m} {g} ({i})" for m, g, i in groups]
    values = {}
    for s in SAMPLERS:
        got = {
            (r["model"], r["guide"], r["init"]): r["steps_per_s"] for r in rows if r["sampler"] == s
        }
        if got:
            values[s] = [got.get(g) for g in groups]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    _bars(ax, names, values, "Adam steps per second (warm)", "SVI steps per second")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "svi.png", dpi=110)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--nuts", default=str(HERE / "results" / "nuts_peers.json"))
    p.add_argument("--svi", default=str(HERE / "results" / "svi_peers.json"))
    p.add_argument("--out", default=str(HERE.parent / "docs" / "figures" / "benchmarks"))
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    nuts_figure(Path(args.nuts), out)
    svi_figure(Path(args.svi), out)
    print(f"wrote {out / 'nuts.png'} and {out / 'svi.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
