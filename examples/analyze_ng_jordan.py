"""Ng and Jordan's learning curves: naive Bayes against Bayesian logistic regression (and
scikit-learn's) on binarised digits and breast cancer.

    .venv/bin/python examples/analyze_ng_jordan.py --datasets digits-3v8 --repeats 8 --stratify

Prints the finding and the table; writes result.json and learning_curves.png into --out.
"""

from __future__ import annotations

import sys

import zoo


def main(argv=None) -> int:
    return zoo.scripts.analysis_main(__doc__, "ng-jordan", argv)


if __name__ == "__main__":
    sys.exit(main())
