"""Few labels: a mixture that sums out unknown labels (EM over labelled and unlabelled
digits) against logistic regression and naive Bayes on the labelled digits alone.

    .venv/bin/python examples/analyze_semi_supervised.py --size full --labels 10 50 250

Prints the finding and the table; writes result.json and semi_supervised.png into --out.
"""

from __future__ import annotations

import sys

import zoo


def main(argv=None) -> int:
    return zoo.scripts.analysis_main(__doc__, "semi-supervised", argv)


if __name__ == "__main__":
    sys.exit(main())
