"""Missing pixels: naive Bayes and a mixture per class sum hidden pixels out; logistic
regression gets them imputed with training means.

    .venv/bin/python examples/analyze_missing.py --rates 0.5 0.9 --masks 3

Prints the finding and the table; writes result.json and missing.png into --out.
"""

from __future__ import annotations

import sys

import zoo


def main(argv=None) -> int:
    return zoo.scripts.analysis_main(__doc__, "missing", argv)


if __name__ == "__main__":
    sys.exit(main())
