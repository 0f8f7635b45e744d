"""Inpainting: each family fills in the bottom half of a digit given its top half; held-out
conditional nats of the bottom per family, and sampled completions.

    .venv/bin/python examples/analyze_inpaint.py --families independent naive-bayes vae

Prints the finding and the table; writes result.json and inpaint.png into --out.
"""

from __future__ import annotations

import sys

import zoo


def main(argv=None) -> int:
    return zoo.scripts.analysis_main(__doc__, "inpaint", argv)


if __name__ == "__main__":
    sys.exit(main())
