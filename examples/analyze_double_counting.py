"""Double counting: naive Bayes against logistic regression on a generated spam corpus in
which BANK and ACCOUNT almost always appear together.

    .venv/bin/python examples/analyze_double_counting.py --size full --train-items 1000

Prints the finding and the table; writes result.json and double_counting.png into --out.
"""

from __future__ import annotations

import sys

import zoo


def main(argv=None) -> int:
    return zoo.scripts.analysis_main(__doc__, "double-counting", argv)


if __name__ == "__main__":
    sys.exit(main())
