"""Few labels: a mixture that sums out unknown labels (EM over labelled and unlabelled
digits) against logistic regression and naive Bayes on the labelled digits alone.

    .venv/bin/python examples/analyze_semi_supervised.py [--size small|full] [--seed N]
        [--labels N ...] [--repeats N] [--out DIR]

Prints the finding and the table; writes result.json and semi_supervised.png into --out.
"""

from __future__ import annotations

import argparse
import sys

from zoo.analyses import run_semi_supervised, write_result
from zoo.analyses.cli import format_result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=("small", "full"), default="small")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--labels", type=int, nargs="+", help="numbers of labelled digits")
    p.add_argument("--repeats", type=int, help="random labellings (preset: 2 / 5)")
    p.add_argument("--out", default="zoo-analyses/semi-supervised")
    args = p.parse_args(argv)
    result = run_semi_supervised(
        size=args.size,
        seed=args.seed,
        labels=args.labels,
        repeats=args.repeats,
        progress=lambda line: print(line, file=sys.stderr),
    )
    files = write_result(result, args.out)
    print(format_result(result))
    print(f"wrote {args.out}/: {', '.join(files)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
