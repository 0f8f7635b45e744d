"""Layering: ``graphs`` and the structure-only CLI never load JAX, NumPyro or ArviZ."""

import subprocess
import sys

HEAVY = ("jax", "jaxlib", "numpyro", "arviz")

PROBE = """
import sys
{body}
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))
print(",".join(loaded))
"""


def _loaded(body: str) -> list[str]:
    code = PROBE.format(body=body, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_import_graphs_loads_no_jax():
    assert _loaded("import graphs; graphs.markov_chain(8)") == []


def test_graphs_drawing_and_interop_load_no_jax():
    body = "import graphs; graphs.draw_dag(graphs.naive_bayes(9, 2)); graphs.load_network('asia')"
    assert _loaded(body) == []


def test_structure_cli_loads_no_jax(tmp_path):
    body = (
        "import contextlib, io\n"
        "from zoo.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['list']) == 0\n"
        f"    png = r'{tmp_path}/nb.png'\n"
        "    assert main(['show', 'naive-bayes', '--n', '9', '--draw', png]) == 0\n"
        "    assert main(['show', 'bayesnet', '--network', 'asia', '--json']) == 0\n"
        "    assert main(['dsep', 'markov-chain', 'x0', 'x2', '--n', '4', '--given', 'x1']) == 0\n"
    )
    assert _loaded(body) == []


def test_the_probe_can_fail():
    assert _loaded("import jax.numpy") == ["jax", "jaxlib"]
