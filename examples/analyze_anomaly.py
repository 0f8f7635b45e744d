"""Anomalies by density: every family's log p(x), fitted to digits 0-4, scores unseen digit
classes and digits with flipped pixels (AUROC per family).

    .venv/bin/python examples/analyze_anomaly.py [--size small|full] [--seed N]
        [--families NAME ...] [--out DIR]

Prints the finding and the table; writes result.json and anomaly.png into --out.
"""

from __future__ import annotations

import sys

from zoo.analyses import run_anomaly
from zoo.analyses.anomaly import FAMILIES
from zoo.analyses.cli import example_parser, run_example


def main(argv=None) -> int:
    p = example_parser(__doc__, "anomaly")
    p.add_argument("--families", nargs="+", choices=list(FAMILIES), help="default: all")
    args = p.parse_args(argv)
    return run_example(
        run_anomaly,
        args,
        families=args.families,
    )


if __name__ == "__main__":
    sys.exit(main())
