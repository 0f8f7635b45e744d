"""Three ways to a 2-D density: a flow, an energy model (Z on a grid, Langevin samples) and
a denoising diffusion on the moons, circles and pinwheel toys (held-out nats, ∫p, sample
energy distance).

    .venv/bin/python examples/analyze_toys.py --toys moons --diffusion-steps 2000

Prints the finding and the table; writes result.json and toys.png into --out.
"""

from __future__ import annotations

import sys

import zoo


def main(argv=None) -> int:
    return zoo.scripts.analysis_main(__doc__, "toys", argv)


if __name__ == "__main__":
    sys.exit(main())
