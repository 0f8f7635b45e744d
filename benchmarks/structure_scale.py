"""What ``zoo show`` costs as the structure grows: ``zoo show markov-chain --n N --json`` for
N = 10^4, 10^5 and 10^6 variables, one fresh process per size, with its wall time and peak
memory (the child's max RSS, from ``os.wait4``). Goal (issue #18): 10^6 variables in < 5 s
and < 1 GiB, and the cost growing no faster than N.

    .venv/bin/python benchmarks/structure_scale.py [--sizes N ...] [--json PATH]

Prints the table, the growth between sizes and the goal; writes the raw numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

from _measure import measured_zoo

HERE = Path(__file__).resolve().parent
SIZES = (10_000, 100_000, 1_000_000)
#: (seconds, GiB) that the largest size should stay under
GOALS = {1_000_000: (5.0, 1.0)}


def run_show(n: int) -> dict:
    """``zoo show markov-chain --n n --json`` in a fresh process: wall seconds, peak RSS."""
    card, wall, peak = measured_zoo(["show", "markov-chain", "--n", str(n)])
    assert card["listed"]["nodes"] == n
    return {"n": n, "wall": wall, "peak_gib": peak}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    p.add_argument("--json", default=str(HERE / "results" / "structure_scale.json"))
    args = p.parse_args(argv)
    print(f"{'variables':>10} {'wall s':>8} {'peak GiB':>9}")
    rows = []
    for n in args.sizes:
        r = run_show(n)
        rows.append(r)
        print(f"{n:>10,} {r['wall']:>8.2f} {r['peak_gib']:>9.3f}", flush=True)
    slopes = [
        {
            "n": [a["n"], b["n"]],
            "time": math.log(b["wall"] / a["wall"]) / math.log(b["n"] / a["n"]),
            "memory": math.log(b["peak_gib"] / a["peak_gib"]) / math.log(b["n"] / a["n"]),
        }
        for a, b in zip(rows, rows[1:], strict=False)
    ]
    for sl in slopes:  # 1.0 is linear; less while start-up still dominates
        print(
            f"  slope {sl['n'][0]:>9,} -> {sl['n'][1]:>9,}: time {sl['time']:.2f}, "
            f"memory {sl['memory']:.2f}"
        )
    met = {}
    for r in rows:
        if r["n"] in GOALS:
            secs, gib = GOALS[r["n"]]
            met[str(r["n"])] = ok = r["wall"] < secs and r["peak_gib"] < gib
            verdict = "met" if ok else "MISSED"
            print(f"goal at {r['n']:,}: < {secs:.0f} s and < {gib:.0f} GiB: {verdict}")
    Path(args.json).write_text(
        json.dumps(
            {"rows": rows, "slopes": slopes, "goals_met": met, "cpus": os.cpu_count()}, indent=2
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
