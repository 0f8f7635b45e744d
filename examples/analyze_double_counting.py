"""Double counting: naive Bayes against logistic regression on a generated spam corpus in
which BANK and ACCOUNT almost always appear together.

    .venv/bin/python examples/analyze_double_counting.py [--size small|full] [--seed N]
        [--train-items N] [--out DIR]

Prints the finding and the table; writes result.json and double_counting.png into --out.
"""

from __future__ import annotations

import sys

from zoo.analyses.cli import example_main, run_example


def add_flags(p) -> None:
    p.add_argument("--train-items", type=int, help="training emails (preset: 500 / 2000)")


def main(argv=None) -> int:
    return example_main(__doc__, "double-counting", add_flags, run_example, argv)


if __name__ == "__main__":
    sys.exit(main())
