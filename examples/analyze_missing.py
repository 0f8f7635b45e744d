"""Missing pixels: naive Bayes and a mixture per class sum hidden pixels out; logistic
regression gets them imputed with training means.

    .venv/bin/python examples/analyze_missing.py [--size small|full] [--seed N]
        [--rates R ...] [--masks N] [--out DIR]

Prints the finding and the table; writes result.json and missing.png into --out.
"""

from __future__ import annotations

import argparse
import sys

from zoo.analyses import run_missing, write_result
from zoo.analyses.cli import format_result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=("small", "full"), default="small")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rates", type=float, nargs="+", help="shares of hidden pixels, in [0, 1)")
    p.add_argument("--masks", type=int, help="random masks per rate (preset: 2 / 5)")
    p.add_argument("--out", default="zoo-analyses/missing")
    args = p.parse_args(argv)
    result = run_missing(
        size=args.size,
        seed=args.seed,
        rates=args.rates,
        masks=args.masks,
        progress=lambda line: print(line, file=sys.stderr),
    )
    files = write_result(result, args.out)
    print(format_result(result))
    print(f"wrote {args.out}/: {', '.join(files)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
