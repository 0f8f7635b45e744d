"""Anomalies by density: every family's log p(x), fitted to digits 0-4, scores unseen digit
classes and digits with flipped pixels (AUROC per family).

    .venv/bin/python examples/analyze_anomaly.py [--size small|full] [--seed N]
        [--families NAME ...] [--out DIR]

Prints the finding and the table; writes result.json and anomaly.png into --out.
"""

from __future__ import annotations

import sys

from zoo.analyses.anomaly import FAMILIES
from zoo.analyses.cli import example_main, run_example


def add_flags(p) -> None:
    p.add_argument("--families", nargs="+", choices=list(FAMILIES), help="default: all")


def main(argv=None) -> int:
    return example_main(__doc__, "anomaly", add_flags, run_example, argv)


if __name__ == "__main__":
    sys.exit(main())
