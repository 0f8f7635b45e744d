"""The ``zoo`` command's JSON, pinned: every case in ``tests/golden/cases.py`` re-run and
compared with the JSON saved before a change (``tests/golden/<name>.json``), so that a
refactor can show it changed no key and no number for the same seed.

The cases run in one fresh worker process (``tests/golden/capture.py``), each in-process
through ``zoo.cli.main``, under the conditions the golden files were captured in: CPU, four
host devices and a fixed ``PYTHONHASHSEED`` (see capture.py), none of which this pytest
process can promise (its JAX may have started with other devices, its hash seed is random).
To re-capture after an intended change: ``python tests/golden/capture.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from golden.capture import worker_env
from golden.cases import CASES
from golden.diff import IGNORED_KEYS, differences

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def rerun(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """Every case run again: (folder of <name>.json or <name>.error, the worker's run)."""
    out = tmp_path_factory.mktemp("golden")
    proc = subprocess.run(
        [sys.executable, str(GOLDEN / "capture.py"), "--out", str(out)],
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    return out, proc


@pytest.mark.parametrize("name", list(CASES))
def test_same_json_as_before_the_change(name, rerun):
    out, proc = rerun
    error = out / f"{name}.error"
    assert not error.exists(), error.read_text()
    assert (out / f"{name}.json").exists(), (
        f"the worker wrote no {name}.json:\n{proc.stderr[-4000:]}"
    )
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    actual = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
    problems = differences(expected, actual)
    assert not problems, f"zoo {CASES[name]}:\n" + "\n".join(problems[:40])


def test_the_worker_ran_every_case_under_the_fixed_conditions(rerun):
    _, proc = rerun
    assert proc.returncode == 0, proc.stderr[-4000:]  # 1: a case failed, or not 4 devices
    assert proc.stderr.count(": ok (") == len(CASES), proc.stderr[-4000:]


def test_every_case_has_its_golden_file_and_no_other():
    saved = {p.stem for p in GOLDEN.glob("*.json")}
    assert saved == set(CASES)


# -- the comparison can fail ------------------------------------------------------------------

CARD = {
    "family": "independent",
    "params": {"model": 16},
    "heldout": {"nats_per_item": 10.66649341583252, "items": 60},
    "diagnostics": {"pass": False, "warnings": ["rhat 1.097"], "khat": None},
    "nodes": [{"name": "x0", "card": 2}, {"name": "x1", "card": 2}],
    "seconds": {"total": 2.9, "compile": 2.5},
}


_DELETE = object()


def _changed(**edits) -> dict:
    """A copy of CARD with ``a__b__0=value`` set (``_DELETE``: removed) at path a.b[0]."""
    card = json.loads(json.dumps(CARD))
    for path, value in edits.items():
        *keys, last = path.split("__")
        target = card
        for key in keys:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return card


def test_identical_json_and_run_dependent_keys_pass():
    assert differences(CARD, _changed()) == []
    assert differences(CARD, _changed(seconds__total=41.0, seconds__compile=0.1)) == []
    assert differences(CARD, _changed(heldout__nats_per_item=10.66649341583252 * (1 + 1e-9))) == []
    assert "seconds" in IGNORED_KEYS


@pytest.mark.parametrize(
    "edits, expected",
    [
        ({"heldout__nats_per_item": 10.6666}, "$.heldout.nats_per_item: 10.6666, expected"),
        ({"params__model": 17}, "$.params.model: 17, expected 16"),
        ({"params__model": 16.0}, "$.params.model: 16.0 (float), expected 16"),
        ({"diagnostics__pass": True}, "$.diagnostics.pass: True, expected False"),
        ({"diagnostics__pass": 0}, "$.diagnostics.pass: 0 (int), expected False"),
        ({"diagnostics__khat": 0.3}, "$.diagnostics.khat: 0.3 (float), expected None"),
        ({"diagnostics__warnings__0": "rhat 1.098"}, "$.diagnostics.warnings[0]: 'rhat 1.098'"),
        ({"nodes__1__card": 3}, "$.nodes[1].card: 3, expected 2"),
        ({"heldout__items": _DELETE}, "$.heldout.items: missing"),
        ({"seconds": _DELETE}, "$.seconds: missing"),
        ({"heldout__bits_per_dim": 0.96}, "$.heldout.bits_per_dim: unexpected key"),
        ({"nodes__1__shape": [2]}, "$.nodes[1].shape: unexpected key"),
        ({"family": "markov-chain"}, "$.family: 'markov-chain', expected 'independent'"),
    ],
)
def test_a_changed_missing_or_extra_value_is_reported(edits, expected):
    problems = differences(CARD, _changed(**edits))
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_lists_of_other_length_and_nan_are_compared():
    card = _changed()
    card["nodes"].append({"name": "x2", "card": 2})
    assert differences(CARD, card) == ["$.nodes: 3 items, expected 2"]
    assert differences({"a": float("nan")}, {"a": float("nan")}) == []
    assert differences({"a": float("nan")}, {"a": 1.0}) == ["$.a: 1.0, expected nan"]
