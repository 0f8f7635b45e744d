"""``python benchmarks/peers --job JOB.json --out RESULT.json``: run one job (``worker``)."""

import sys
from pathlib import Path

# Run as a folder, this folder is on sys.path: there its modules would shadow libraries
# (``import pymc`` must not find a sibling), so the benchmarks folder stands there instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from peers.worker import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
