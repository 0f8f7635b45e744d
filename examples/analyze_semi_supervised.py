"""Few labels: a mixture that sums out unknown labels (EM over labelled and unlabelled
digits) against logistic regression and naive Bayes on the labelled digits alone.

    .venv/bin/python examples/analyze_semi_supervised.py [--size small|full] [--seed N]
        [--labels N ...] [--repeats N] [--out DIR]

Prints the finding and the table; writes result.json and semi_supervised.png into --out.
"""

from __future__ import annotations

import sys

from zoo.analyses.cli import example_main, run_example


def add_flags(p) -> None:
    p.add_argument("--labels", type=int, nargs="+", help="numbers of labelled digits")
    p.add_argument("--repeats", type=int, help="random labellings (preset: 2 / 5)")


def main(argv=None) -> int:
    return example_main(__doc__, "semi-supervised", add_flags, run_example, argv)


if __name__ == "__main__":
    sys.exit(main())
