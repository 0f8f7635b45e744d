"""Property: whatever CSV, NPY or JSON file a user hands the ``zoo`` command, it ends with
exit 0 and its output written, or exit 2 with exactly one error line on stderr (its last)
and nothing written; never a traceback. Hypothesis generates the files (derandomised, so
CI sees the same examples every run); the command runs in-process.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from zoo.cli import main

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

PROGRAM = """
import numpyro
import numpyro.distributions as dist


def model(y=None, scale=1.0):
    mu = numpyro.sample("mu", dist.Normal(0.0, scale))
    with numpyro.plate("items", 3):
        numpyro.sample("y", dist.Normal(mu, 1.0), obs=y)
"""


def _check(argv: list[str], written: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    text = err.getvalue()
    assert "Traceback" not in text, text
    if code == 0:
        assert written.exists(), text
        return
    lines = text.splitlines()
    errors = [line for line in lines if line.startswith("zoo: error: ")]
    assert code == 2, text
    assert len(errors) == 1 and lines[-1] == errors[0], text
    assert out.getvalue() == ""
    assert not written.exists(), text
    leftovers = [p.name for p in written.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


# -- CSV ------------------------------------------------------------------------------------

_cells = st.one_of(
    st.sampled_from(["0", "1", "1", "0", "2", "-1", "", "nan", "inf", "1.5", "yes", " 1"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r"), max_size=4),
)
_names = st.one_of(
    st.sampled_from(["x0", "x1", "x2", "x3", "y", "label", ""]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=5),
)


@st.composite
def csv_text(draw) -> str:
    if draw(st.booleans()):  # well-formed binary rows, a cell or a name gone wrong at most
        header = ["x0", "x1", draw(st.sampled_from(["x2", "label", "y", "x0"]))]
        rows = np.random.default_rng(0).integers(0, 2, (25, 3)).astype(str).tolist()
        if draw(st.booleans()):
            rows[draw(st.integers(0, 24))][draw(st.integers(0, 2))] = draw(_cells)
        # one shape, so one compile
    else:
        width = draw(st.integers(1, 4))
        header = draw(st.lists(_names, min_size=width, max_size=width))
        cells = st.lists(_cells, min_size=width - 1, max_size=width + 1)
        rows = draw(st.lists(cells, min_size=0, max_size=30))
    return ",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows)


@SETTINGS
@given(text=csv_text())
def test_any_csv_is_a_fit_or_one_error_line(text):
    with tempfile.TemporaryDirectory() as root:
        data = Path(root) / "data.csv"
        data.write_text(text, encoding="utf-8")
        out = Path(root) / "out"
        argv = ["fit", "independent", "--method", "exact", "--draws", "20", "--data", str(data)]
        _check([*argv, "--out", str(out)], out)


# -- NPY ------------------------------------------------------------------------------------

_dtypes = st.sampled_from([np.int8, np.int32, np.int64, np.uint64, np.float32, np.float64, bool])


@st.composite
def arrays(draw) -> np.ndarray:
    dtype = np.dtype(draw(_dtypes))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=30))
    if draw(st.booleans()):
        shape = (draw(st.integers(1, 40)), draw(st.integers(1, 4)))
    if dtype.kind in "iub":
        values = hnp.from_dtype(dtype)
        if draw(st.booleans()) and dtype.kind != "b":
            values = st.integers(0, 1).map(dtype.type)
    else:
        values = st.one_of(
            st.sampled_from([0.0, 1.0, math.nan, math.inf, 0.5, -1.0, 1e300]),
            st.integers(0, 1).map(float),
        )
    return draw(hnp.arrays(dtype, shape, elements=values))


@SETTINGS
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@given(array=arrays())
def test_any_npy_is_a_fit_or_one_error_line(array):
    with tempfile.TemporaryDirectory() as root:
        data = Path(root) / "data.npy"
        np.save(data, array)
        out = Path(root) / "out"
        argv = ["fit", "independent", "--method", "exact", "--draws", "20", "--data", str(data)]
        _check([*argv, "--out", str(out)], out)


# -- JSON (a program's data) ----------------------------------------------------------------

_json = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=4),
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
_values = st.one_of(
    _json,
    st.lists(st.floats(-5, 5), min_size=3, max_size=3),
    st.floats(0.1, 5),
)


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "prog.py"
    path.write_text(PROGRAM)
    return path


@SETTINGS
@given(doc=st.dictionaries(st.sampled_from(["y", "scale", "mu", "z"]), _values, max_size=3) | _json)
def test_any_json_is_an_inspection_or_one_error_line(program, doc):
    with tempfile.TemporaryDirectory() as root:
        data = Path(root) / "data.json"
        data.write_text(json.dumps(doc), encoding="utf-8")
        out = Path(root) / "dag.png"
        argv = ["inspect", f"{program}:model", "--data", str(data), "--draw", str(out)]
        _check(argv, out)
