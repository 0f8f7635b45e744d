"""Missing pixels: naive Bayes and a mixture per class sum hidden pixels out; logistic
regression gets them imputed with training means.

    .venv/bin/python examples/analyze_missing.py [--size small|full] [--seed N]
        [--rates R ...] [--masks N] [--out DIR]

Prints the finding and the table; writes result.json and missing.png into --out.
"""

from __future__ import annotations

import sys

from zoo.analyses import run_missing
from zoo.analyses.cli import example_parser, run_example


def main(argv=None) -> int:
    p = example_parser(__doc__, "missing")
    p.add_argument("--rates", type=float, nargs="+", help="shares of hidden pixels, in [0, 1)")
    p.add_argument("--masks", type=int, help="random masks per rate (preset: 2 / 5)")
    args = p.parse_args(argv)
    return run_example(
        run_missing,
        args,
        rates=args.rates,
        masks=args.masks,
    )


if __name__ == "__main__":
    sys.exit(main())
