"""Run the notebooks of examples/notebooks/ top to bottom at full size and save them with
their outputs, which the docs site shows (mkdocs-jupyter does not re-run them).

    .venv/bin/python docs/scripts/run_notebooks.py [NAME.ipynb ...]

The tests run the same notebooks at the small size without saving them (tests/test_notebooks.py).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

FOLDER = Path(__file__).resolve().parents[2] / "examples" / "notebooks"


def main(names: list[str]) -> int:
    os.environ["ZOO_NOTEBOOK_SIZE"] = "full"
    for path in [FOLDER / n for n in names] or sorted(FOLDER.glob("*.ipynb")):
        book = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(book, timeout=1800, kernel_name="python3").execute()
        nbformat.write(book, path)
        print(f"{path.name}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
