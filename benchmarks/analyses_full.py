"""Every posterior analysis at full size: the numbers and figures of docs/analyses.md.

    .venv/bin/python benchmarks/analyses_full.py [--out docs/figures/analyses] [--seed 0]
        [--only NAME ...]

Writes, per analysis, ``<out>/<name>.json`` (its result: settings, summary, table; the same
for the same seed) and its figures (PNG), then ``<out>/timings.json`` (seconds per analysis
and the machine, which differ from run to run). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    from zoo.analyses import ANALYSES, write_result

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "docs" / "figures" / "analyses"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", nargs="+", choices=list(ANALYSES), help="default: every one")
    args = p.parse_args(argv)
    out = Path(args.out)
    timings = {}
    for name in args.only or list(ANALYSES):
        fn, _ = ANALYSES[name]
        print(f"== {name} (full, seed {args.seed})", file=sys.stderr, flush=True)
        start = time.perf_counter()
        result = fn(size="full", seed=args.seed, progress=lambda line: print(line, file=sys.stderr))
        timings[name] = round(time.perf_counter() - start, 1)
        scratch = out / f".{name}"
        write_result(result, scratch)  # result.json and figures, written atomically
        os.replace(scratch / "result.json", out / f"{name.replace('-', '_')}.json")
        for fig in result.figures:
            os.replace(scratch / fig, out / fig)
        scratch.rmdir()
        print(f"{name}: {result.summary['finding']}", file=sys.stderr)
        print(f"{name}: {timings[name]} s", file=sys.stderr, flush=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count()}
    path = out / "timings.json"
    if args.only and path.exists():  # a partial run keeps the other analyses' seconds
        timings = {**json.loads(path.read_text())["seconds"], **timings}
    path.write_text(json.dumps({"seconds": timings, **machine}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
