"""The bad-input matrix: each case through the library (a ``ValueError`` that names the
problem) and through the CLI (one line on stderr, exit code 2, nothing written)."""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest

import graphs
from zoo.cli import main
from zoo.data import Dataset, load_csv

# -- files ---------------------------------------------------------------------------------


def _csv(path, header, rows):
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(0)
    names = ["x0", "x1", "x2", "x3"]
    good = rng.integers(0, 2, (30, 4)).tolist()
    f = {
        "root": root,
        "thirty": _csv(root / "thirty.csv", names, good),
        "nan": _csv(root / "nan.csv", names, [*good[:5], [0, "nan", 1, 0]]),
        "inf": _csv(root / "inf.csv", names, [*good[:5], [0, 1, "inf", 0]]),
        "two": _csv(root / "two.csv", names, [*good[:5], [0, 2, 1, 0]]),
        "empty": _csv(root / "empty.csv", names, []),
        "one": _csv(root / "one.csv", names, good[:1]),
        "const": _csv(root / "const.csv", names, [[*r[:3], 0] for r in good]),
        "asia": _csv(
            root / "asia.csv",
            list(graphs.load_network("asia").nodes),
            [["yes"] * 8, ["no", "maybe", "no", "no", "no", "no", "no", "no"]],
        ),
        "afile": _csv(root / "afile", ["a"], [[1]]),
    }
    f["cyclic"] = root / "cyclic.bif"
    f["cyclic"].write_text(
        "network n {}\n"
        "variable a { type discrete [ 2 ] { y, n }; }\n"
        "variable b { type discrete [ 2 ] { y, n }; }\n"
        "probability ( a | b ) { (y) 0.5, 0.5; (n) 0.5, 0.5; }\n"
        "probability ( b | a ) { (y) 0.5, 0.5; (n) 0.5, 0.5; }\n"
    )
    f["program"] = root / "user.py"
    f["program"].write_text(
        "import numpyro, numpyro.distributions as dist\n"
        "def plain(x=1.0):\n    return 2 * x\n"
        "def reg(x, y=None):\n"
        "    b = numpyro.sample('b', dist.Normal(0, 1))\n"
        "    with numpyro.plate('n', len(x)):\n"
        "        numpyro.sample('y', dist.Normal(b * x, 1), obs=y)\n"
    )
    f["typo"] = root / "typo.json"
    f["typo"].write_text('{"x": [1.0, 2.0], "Y": [1.0, 2.0]}')
    return f


def cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


# -- through the CLI -------------------------------------------------------------------------

CLI = [
    ("nan", ["fit", "independent", "--data", "{nan}"], r"'nan' is not an integer state code"),
    ("inf", ["fit", "independent", "--data", "{inf}"], r"'inf' is not an integer state code"),
    ("not 0/1", ["fit", "independent", "--data", "{two}"], r"x1.*value 2.*binary"),
    ("unknown state", ["fit", "bayesnet", "--network", "asia", "--data", "{asia}"], "'maybe'"),
    ("width", ["fit", "independent", "--n", "5", "--data", "{thirty}"], r"--n 5 does not match"),
    ("empty", ["fit", "independent", "--data", "{empty}"], r"the data are empty"),
    ("single row", ["fit", "independent", "--data", "{one}"], r"1 items are too few"),
    ("K > items", ["fit", "latent-class", "--classes", "50", "--data", "{thirty}"], r"K = 50"),
    ("family", ["fit", "naive-bayse", "--data", "{thirty}"], r"unknown family 'naive-bayse'"),
    ("node", ["dsep", "naive-bayes", "x0", "zz", "--n", "4"], r"unknown node 'zz'"),
    ("network", ["show", "bayesnet", "--network", "alarmm"], r"alarmm"),
    ("option", ["show", "independent", "--order", "2"], r"--order does not apply"),
    ("method", ["fit", "independent", "--method", "hmc"], r"invalid choice: 'hmc'"),
    ("cyclic", ["show", "bayesnet", "--bif", "{cyclic}"], r"[Ll]oop|cycle"),
    ("misspelt key", ["fit", "{program}:reg", "--data", "{typo}"], r"data key 'Y'.*'y'"),
    ("not a program", ["inspect", "{program}:plain"], r"not a NumPyro program"),
    ("--out under a file", ["fit", "independent", "--out", "{afile}/sub"], r"is a file"),
    (
        "too much memory",
        ["fit", "independent", "--data", "{thirty}", "--draws", "100000000"],
        r"would need about \d+\.\d GiB",
    ),
]


@pytest.mark.parametrize(("case", "argv", "match"), CLI, ids=[c[0] for c in CLI])
def test_cli_refuses_with_one_line_and_writes_nothing(case, argv, match, files):
    out_dir = files["root"] / f"out-{case.replace(' ', '-').replace('/', '')}"
    argv = [a.format(**files) for a in argv]
    if argv[0] == "fit" and "--out" not in argv:
        argv += ["--out", out_dir]
    code, out, err = cli(argv)
    lines = [line for line in err.splitlines() if line.startswith("zoo: error:")]
    assert code == 2, err
    assert out == "" and len(lines) == 1, err
    assert re.search(match, lines[0]), lines[0]
    assert not out_dir.exists()


def test_constant_columns_fit_with_a_note(files, tmp_path):
    code, out, err = cli(
        ["fit", "independent", "--data", files["const"], "--method", "exact", "--draws", 50]
    )
    assert code == 0, err
    assert "note: constant in the training data" in err and "x3" in err


# -- through the library ---------------------------------------------------------------------


def test_library_names_each_problem(files):
    from zoo.fit import check_memory
    from zoo.models import get_family, make_model
    from zoo.programs import bind, load_program

    cases = [
        (lambda: Dataset(np.array([[0, np.nan]]), ("a", "b"), (2, 2)), r"'b' has nan"),
        (lambda: Dataset(np.array([[0, np.inf]]), ("a", "b"), (2, 2)), r"'b' has inf"),
        (lambda: Dataset(np.array([[0, 2]]), ("a", "b"), (2, 2)), r"'b' has value 2"),
        (lambda: Dataset(np.zeros((0, 4)), tuple("abcd"), (2,) * 4), r"empty"),
        (
            lambda: Dataset(np.zeros((3, 2)), ("a", "b"), (2, 2), np.zeros((3, 1)), 2),
            r"labels must have shape \(3,\), got \(3, 1\)",
        ),
        (lambda: load_csv(files["one"]).split(0.2), r"too few"),
        (lambda: load_csv(files["asia"], graphs.load_network("asia")), r"'maybe'"),
        (lambda: get_family("nope"), r"unknown family 'nope'"),
        (lambda: graphs.naive_bayes(3, 2).check_nodes(["zz"]), r"unknown node 'zz'"),
        (lambda: graphs.load_network("nope"), r"nope"),
        (lambda: graphs.DAG(["a", "b"], [("a", "b"), ("b", "a")]), r"cycle"),
        (lambda: make_model("independent", n=4, order=2), r"order"),
        (lambda: bind(load_program(f"{files['program']}:reg"), {"x": [1.0], "yy": [1.0]}), "yy"),
        (lambda: bind(load_program(f"{files['program']}:plain")), r"not a NumPyro program"),
        (lambda: check_memory(10**6, 10**6, 0), r"would need about"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match):
            call()


def test_width_and_too_many_classes_in_fit(files):
    from zoo.fit import fit
    from zoo.models import make_model

    data = load_csv(files["thirty"])
    with pytest.raises(ValueError, match="4 columns but the model has 5"):
        fit(make_model("independent", n=5), data, method="exact")
    with pytest.raises(ValueError, match="K = 40 classes is more than the 30 items"):
        fit(make_model("latent-class", n=4, classes=40), data, method="svi")


def test_784_pixels_counts_stay_exact_and_a_fit_works(tmp_path):
    """28x28 binary images: 2^784 - 1 printed whole; a tabular fit runs in seconds."""
    import json

    code, out, _ = cli(["show", "markov-chain", "--n", 784, "--json"])
    card = json.loads(out)
    assert code == 0 and card["params"]["full_joint"] == 2**784 - 1
    assert card["params"]["model"] == 1 + 2 * 783
    rng = np.random.default_rng(1)
    big = _csv(tmp_path / "big.csv", [f"x{j}" for j in range(784)], rng.integers(0, 2, (40, 784)))
    code, out, err = cli(["fit", "markov-chain", "--data", big, "--method", "exact", "--json"])
    assert code == 0, err
    assert json.loads(out)["params"]["model"] == 1 + 2 * 783
