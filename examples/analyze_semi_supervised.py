"""Few labels: a mixture that sums out unknown labels (EM over labelled and unlabelled
digits) against logistic regression and naive Bayes on the labelled digits alone.

    .venv/bin/python examples/analyze_semi_supervised.py [--size small|full] [--seed N]
        [--labels N ...] [--repeats N] [--out DIR]

Prints the finding and the table; writes result.json and semi_supervised.png into --out.
"""

from __future__ import annotations

import sys

from zoo.analyses import run_semi_supervised
from zoo.analyses.cli import example_parser, run_example


def main(argv=None) -> int:
    p = example_parser(__doc__, "semi-supervised")
    p.add_argument("--labels", type=int, nargs="+", help="numbers of labelled digits")
    p.add_argument("--repeats", type=int, help="random labellings (preset: 2 / 5)")
    args = p.parse_args(argv)
    return run_example(
        run_semi_supervised,
        args,
        labels=args.labels,
        repeats=args.repeats,
    )


if __name__ == "__main__":
    sys.exit(main())
