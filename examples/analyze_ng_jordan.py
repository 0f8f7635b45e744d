"""Ng and Jordan's learning curves: naive Bayes against Bayesian logistic regression (and
scikit-learn's) on binarised digits and breast cancer.

    .venv/bin/python examples/analyze_ng_jordan.py [--size small|full] [--seed N]
        [--repeats N] [--datasets NAME ...] [--stratify] [--out DIR]

Prints the finding and the table; writes result.json and learning_curves.png into --out.
"""

from __future__ import annotations

import argparse
import sys

from zoo.analyses import run_ng_jordan, write_result
from zoo.analyses.cli import format_result
from zoo.analyses.ng_jordan import DATASETS


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=("small", "full"), default="small")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, help="random splits per dataset (preset: 4 / 20)")
    p.add_argument("--datasets", nargs="+", choices=DATASETS, help="default: the preset's")
    p.add_argument(
        "--stratify", action="store_true", help="training sets keep the class shares of the split"
    )
    p.add_argument("--out", default="zoo-analyses/ng-jordan")
    args = p.parse_args(argv)
    result = run_ng_jordan(
        size=args.size,
        seed=args.seed,
        repeats=args.repeats,
        datasets=args.datasets,
        stratify=args.stratify,
        progress=lambda line: print(line, file=sys.stderr),
    )
    files = write_result(result, args.out)
    print(format_result(result))
    print(f"wrote {args.out}/: {', '.join(files)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
