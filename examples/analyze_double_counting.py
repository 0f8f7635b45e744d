"""Double counting: naive Bayes against logistic regression on a generated spam corpus in
which BANK and ACCOUNT almost always appear together.

    .venv/bin/python examples/analyze_double_counting.py [--size small|full] [--seed N]
        [--train-items N] [--out DIR]

Prints the finding and the table; writes result.json and double_counting.png into --out.
"""

from __future__ import annotations

import argparse
import sys

from zoo.analyses import run_double_counting, write_result
from zoo.analyses.cli import format_result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=("small", "full"), default="small")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-items", type=int, help="training emails (preset: 500 / 2000)")
    p.add_argument("--out", default="zoo-analyses/double-counting")
    args = p.parse_args(argv)
    result = run_double_counting(
        size=args.size,
        seed=args.seed,
        train_items=args.train_items,
        progress=lambda line: print(line, file=sys.stderr),
    )
    files = write_result(result, args.out)
    print(format_result(result))
    print(f"wrote {args.out}/: {', '.join(files)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
