"""The notebooks of ``examples/notebooks/`` run top to bottom in a kernel (nbclient) at the
small size (``ZOO_NOTEBOOK_SIZE=small``), the three side by side in their own processes;
no cell errors, and the cells show what the text around them says they show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "examples" / "notebooks"
NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
# one notebook in a kernel; an error names its cell (nbclient's CellExecutionError)
RUN = """
import sys, nbformat
from nbclient import NotebookClient
book = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(book, timeout=600, kernel_name="python3").execute()
nbformat.write(book, sys.argv[2])
"""


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("notebooks")
    env = {**os.environ, "ZOO_NOTEBOOK_SIZE": "small"}
    runs = {
        name: subprocess.Popen(
            [sys.executable, "-c", RUN, str(NOTEBOOKS / name), str(out / name)],
            cwd=out,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in NAMES
    }
    failed = {}
    for name, run in runs.items():
        _, err = run.communicate(timeout=900)
        if run.returncode:
            failed[name] = err[-3000:]
    assert not failed, failed
    return {name: json.loads((out / name).read_text()) for name in NAMES}


def _outputs(book: dict, kind: str) -> list[str]:
    """The ``kind`` outputs of every code cell (MIME data or stream text), in order."""
    found = []
    for cell in book["cells"]:
        for output in cell.get("outputs", []):
            if kind == "stream" and output["output_type"] == "stream":
                found.append("".join(output["text"]))
            data = output.get("data", {})
            if kind in data:
                value = data[kind]
                found.append("".join(value) if isinstance(value, list) else value)
    return found


def test_there_are_the_three_notebooks():
    assert NAMES == [
        "01-explosion-and-structures.ipynb",
        "02-fit-diagnose-compare.ipynb",
        "03-your-own-program.ipynb",
    ]


def test_every_cell_runs_without_error(executed):
    for name, book in executed.items():
        for cell in book["cells"]:
            for output in cell.get("outputs", []):
                assert output["output_type"] != "error", (name, output.get("evalue"))
        code = [c for c in book["cells"] if c["cell_type"] == "code"]
        assert all(c["execution_count"] for c in code), name  # top to bottom, every cell


def test_objects_display_themselves_in_the_notebook(executed):
    explosion = executed["01-explosion-and-structures.ipynb"]
    pages = _outputs(explosion, "text/html")
    assert sum("<svg" in p or "data:image/svg+xml" in p for p in pages) >= 3  # the DAGs
    assert any("StructureCard" in p or "parameters" in p for p in pages)
    assert len(_outputs(explosion, "image/png")) >= 3  # counts plot, two heat maps
    fitted = executed["02-fit-diagnose-compare.ipynb"]
    pages = _outputs(fitted, "text/html")
    assert any("<th>check</th>" in p for p in pages)  # the fit card
    assert any("zoo compare: 3 families" in p for p in pages)  # the compare result
    own = executed["03-your-own-program.ipynb"]
    assert any("<th>site</th>" in p for p in _outputs(own, "text/html"))  # program fit card


def test_the_checks_in_the_notebooks_hold(executed):
    text = "".join(_outputs(executed["02-fit-diagnose-compare.ipynb"], "stream"))
    share = float(text.split("within 3 MCSE: ")[1].split("%")[0])
    assert share >= 95.0, text  # NUTS agrees with the exact conjugate posterior
    text = "".join(_outputs(executed["03-your-own-program.ipynb"], "stream"))
    for line in text.splitlines():
        if line.startswith("p_fire:"):
            exact, nuts = (
                float(line.split("exact ")[1].split()[0]),
                float(line.split("NUTS ")[1].split()[0]),
            )
            assert abs(exact - nuts) < 0.02, line


def test_the_saved_notebooks_carry_their_outputs_for_the_docs():
    for name in NAMES:
        book = json.loads((NOTEBOOKS / name).read_text())
        pictures = [o for o in _outputs(book, "image/png") + _outputs(book, "text/html")]
        assert len(pictures) >= 3, name
