"""Missing pixels: naive Bayes and a mixture per class sum hidden pixels out; logistic
regression gets them imputed with training means.

    .venv/bin/python examples/analyze_missing.py [--size small|full] [--seed N]
        [--rates R ...] [--masks N] [--out DIR]

Prints the finding and the table; writes result.json and missing.png into --out.
"""

from __future__ import annotations

import sys

from zoo.analyses.cli import example_main, run_example


def add_flags(p) -> None:
    p.add_argument("--rates", type=float, nargs="+", help="shares of hidden pixels, in [0, 1)")
    p.add_argument("--masks", type=int, help="random masks per rate (preset: 2 / 5)")


def main(argv=None) -> int:
    return example_main(__doc__, "missing", add_flags, run_example, argv)


if __name__ == "__main__":
    sys.exit(main())
