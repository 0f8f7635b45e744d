"""Anomalies by density: every family's log p(x), fitted to digits 0-4, scores unseen digit
classes and digits with flipped pixels (AUROC per family).

    .venv/bin/python examples/analyze_anomaly.py [--size small|full] [--seed N]
        [--families NAME ...] [--out DIR]

Prints the finding and the table; writes result.json and anomaly.png into --out.
"""

from __future__ import annotations

import argparse
import sys

from zoo.analyses import run_anomaly, write_result
from zoo.analyses.anomaly import FAMILIES
from zoo.analyses.cli import format_result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=("small", "full"), default="small")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--families", nargs="+", choices=list(FAMILIES), help="default: all")
    p.add_argument("--out", default="zoo-analyses/anomaly")
    args = p.parse_args(argv)
    result = run_anomaly(
        size=args.size,
        seed=args.seed,
        families=args.families,
        progress=lambda line: print(line, file=sys.stderr),
    )
    files = write_result(result, args.out)
    print(format_result(result))
    print(f"wrote {args.out}/: {', '.join(files)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
