"""Anomalies by density: every family's log p(x), fitted to digits 0-4, scores unseen digit
classes and digits with flipped pixels (AUROC per family).

    .venv/bin/python examples/analyze_anomaly.py --families independent latent-class --seed 1

Prints the finding and the table; writes result.json and anomaly.png into --out.
"""

from __future__ import annotations

import sys

import zoo


def main(argv=None) -> int:
    return zoo.scripts.analysis_main(__doc__, "anomaly", argv)


if __name__ == "__main__":
    sys.exit(main())
