"""Wall time of ``zoo compare`` at each budget against its limit, each in a fresh process
(as a user runs it: JAX compilation included). Machines are noisy: read the ratios.

    .venv/bin/python benchmarks/compare_budgets.py [--budgets quick default] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

LIMITS = {"quick": 60.0, "default": 300.0}  # seconds on 2 cores, from the issue


def run(budget: str) -> dict:
    zoo = os.path.join(os.path.dirname(sys.executable), "zoo")
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        proc = subprocess.run(
            [zoo, "compare", "--budget", budget, "--out", out, "--json"],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"zoo compare --budget {budget} failed: {proc.stderr.strip()[-400:]}")
    limit = LIMITS.get(budget)
    return {
        "budget": budget,
        "seconds": seconds,
        "limit": limit,
        "ratio_to_limit": None if limit is None else seconds / limit,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", nargs="+", default=["quick", "default"])
    parser.add_argument("--json", metavar="PATH", help="write the raw numbers here")
    args = parser.parse_args(argv)
    rows = [run(b) for b in args.budgets]
    print(f"{'budget':<10}{'seconds':>10}{'limit':>8}{'ratio':>8}  (cores: {os.cpu_count()})")
    for r in rows:
        limit = f"{r['limit']:.0f}" if r["limit"] else "-"
        ratio = f"{r['ratio_to_limit']:.2f}" if r["ratio_to_limit"] is not None else "-"
        print(f"{r['budget']:<10}{r['seconds']:>10.1f}{limit:>8}{ratio:>8}")
    if args.json:
        meta = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cores": os.cpu_count(),
        }
        with open(args.json, "w") as fh:
            json.dump({"meta": meta, "rows": rows}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
