"""Double counting: naive Bayes against logistic regression on a generated spam corpus in
which BANK and ACCOUNT almost always appear together.

    .venv/bin/python examples/analyze_double_counting.py [--size small|full] [--seed N]
        [--train-items N] [--out DIR]

Prints the finding and the table; writes result.json and double_counting.png into --out.
"""

from __future__ import annotations

import sys

from zoo.analyses import run_double_counting
from zoo.analyses.cli import example_parser, run_example


def main(argv=None) -> int:
    p = example_parser(__doc__, "double-counting")
    p.add_argument("--train-items", type=int, help="training emails (preset: 500 / 2000)")
    args = p.parse_args(argv)
    return run_example(
        run_double_counting,
        args,
        train_items=args.train_items,
    )


if __name__ == "__main__":
    sys.exit(main())
