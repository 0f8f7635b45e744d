"""The pinned ``zoo`` invocations (the one list the capture script and the test share) and
how one is run: in-process through ``zoo.cli.main``, from the repository root, its stdout
parsed as JSON.

Paths are relative to the repository root, so the saved JSON names the same files in any
checkout; ``{out}`` becomes a fresh temporary folder. ``data/pixels16.csv`` is a fixed file:
the busy 4x4 centre of the first 300 bundled digits, with their labels.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Tiny budgets: the numbers only have to be the same, not good.
_WORDS = {
    "pixels": "tests/golden/data/pixels16.csv",
    "models": "examples/programs/models.py",
    "pdata": "examples/programs/data",
    "nuts": "--chains 2 --warmup 50 --draws 50 --seed 3",
    "svi": "--steps 50 --draws 50 --seed 3",
    "exact": "--method exact --draws 50 --seed 3",
}

#: case name (its golden file is ``<name>.json``) -> ``zoo`` arguments, ``--json`` added
CASES: dict[str, str] = {
    "list": "list",
    "show_markov_chain_order2": "show markov-chain --n 9 --order 2",
    "show_bayesnet_asia": "show bayesnet --network asia",
    "dsep_naive_bayes": "dsep naive-bayes x0 x1 --n 3 --given y",
    "dsep_asia": "dsep smoke dysp --network asia --given bronc lung",
    "inspect_eight_schools": "inspect {models}:eight_schools --data {pdata}/eight_schools.json",
    "inspect_sprinkler_check": (
        "inspect {models}:sprinkler --data {pdata}/sprinkler.json --check 50 --seed 3"
    ),
    "fit_independent_nuts": "fit independent --data {pixels} {nuts}",
    "fit_independent_exact": "fit independent --data {pixels} {exact}",
    "fit_markov_chain_svi_normal": (
        "fit markov-chain --data {pixels} --method svi --guide normal --learning-rate 0.05 {svi}"
    ),
    "fit_markov_chain_grid_exact": "fit markov-chain --grid --data {pixels} {exact}",
    "fit_naive_bayes_exact": "fit naive-bayes --data {pixels} {exact}",
    "fit_latent_class_svi": "fit latent-class --classes 3 --data {pixels} {svi}",
    "fit_autoregressive_logistic_map": (
        "fit autoregressive --data {pixels} --guide map --batch-size 64 {svi}"
    ),
    "fit_autoregressive_neural_lowrank": (
        "fit autoregressive --conditional neural --hidden 8 --data {pixels} --guide lowrank {svi}"
    ),
    "fit_bayesnet_asia_exact": "fit bayesnet --network asia --data sample:200 {exact}",
    "fit_bayesnet_asia_nuts": "fit bayesnet --network asia --data sample:200 {nuts}",
    "fit_program_eight_schools_nuts": (
        "fit {models}:eight_schools_nc --data {pdata}/eight_schools.json {nuts}"
    ),
    "fit_program_linear_svi": (
        "fit {models}:linear_regression --data {pdata}/linear.json --method svi {svi}"
    ),
    "compare_quick": (
        "compare --data {pixels} --families independent markov-chain naive-bayes "
        "--budget quick --seed 3 --out {out}"
    ),
    "analyze_double_counting": "analyze double-counting --seed 3 --out {out}",
}


def argv(name: str, out: str = "{out}") -> list[str]:
    """The arguments of case ``name``, ``{out}`` replaced by ``out``."""
    return shlex.split(CASES[name].format(out=out, **_WORDS)) + ["--json"]


def run_case(name: str) -> object:
    """Run case ``name`` and return its parsed stdout; ``RuntimeError`` with the exit code
    and stderr when the command fails."""
    from zoo.cli import main

    with tempfile.TemporaryDirectory() as tmp, _in_root():
        args = argv(name, out=tmp)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
        if code != 0:
            raise RuntimeError(f"zoo {shlex.join(args)} exited {code}:\n{err.getvalue()}")
        text = out.getvalue()
        # a temporary folder or this checkout's location is no part of the answer
        for path in sorted({tmp, os.path.realpath(tmp)}, key=len, reverse=True):
            text = text.replace(path, "<out>")
        return json.loads(text.replace(str(ROOT), "<root>"))


@contextlib.contextmanager
def _in_root():
    before = os.getcwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(before)
