"""Ng and Jordan's learning curves: naive Bayes against Bayesian logistic regression (and
scikit-learn's) on binarised digits and breast cancer.

    .venv/bin/python examples/analyze_ng_jordan.py [--size small|full] [--seed N]
        [--repeats N] [--datasets NAME ...] [--stratify] [--out DIR]

Prints the finding and the table; writes result.json and learning_curves.png into --out.
"""

from __future__ import annotations

import sys

from zoo.analyses.cli import example_main, run_example
from zoo.analyses.ng_jordan import DATASETS


def add_flags(p) -> None:
    p.add_argument("--repeats", type=int, help="random splits per dataset (preset: 4 / 20)")
    p.add_argument("--datasets", nargs="+", choices=DATASETS, help="default: the preset's")
    p.add_argument(
        "--stratify", action="store_true", help="training sets keep the class shares of the split"
    )


def main(argv=None) -> int:
    return example_main(__doc__, "ng-jordan", add_flags, run_example, argv)


if __name__ == "__main__":
    sys.exit(main())
