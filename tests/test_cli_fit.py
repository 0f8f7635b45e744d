"""``zoo fit``: the card's JSON contract for NUTS, SVI and exact fits, ``--out`` files, the
text card's marks, and errors that stop before anything is fitted or written.

Fits use tiny budgets on 16 pixels (a 4x4 crop of the digits) or asia, each run once per
module and shared by the tests.
"""

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

import graphs
from zoo.cli import main
from zoo.data import Dataset, digits_split, sample_network, save_csv

TINY = ["--chains", "2", "--warmup", "100", "--draws", "100"]


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("fit")
    train, _ = digits_split()
    crop = [8 * r + c for r in range(2, 6) for c in range(2, 6)]  # the busy centre, 4x4
    pixels = Dataset(
        train.x[:300, crop], tuple(f"x{j}" for j in range(16)), (2,) * 16, train.y[:300], 10
    )
    asia = sample_network(graphs.load_network("asia"), 300, seed=0)
    return {
        "root": root,
        "pixels": save_csv(pixels, root / "pixels.csv", label="label"),
        "asia": save_csv(asia, root / "asia.csv"),
    }


@pytest.fixture(scope="module")
def nuts(files):
    out = files["root"] / "nuts-out"
    code, text, err = run(
        "fit", "independent", "--n", 16, "--data", files["pixels"], *TINY, "--json", "--out", out
    )
    assert code == 0, err
    return json.loads(text), text, out


@pytest.fixture(scope="module")
def svi(files):
    argv = ["fit", "markov-chain", "--data", files["pixels"], "--method", "svi"]
    out = files["root"] / "svi-out"
    code, text, err = run(*argv, "--steps", 200, "--draws", 50, "--json", "--out", out)
    assert code == 0, err
    card = json.loads(text)
    card["_out"] = out
    return card


@pytest.fixture(scope="module")
def asia(files):
    out = files["root"] / "asia-out"
    argv = ["fit", "bayesnet", "--network", "asia", "--data", files["asia"], "--method", "exact"]
    code, text, err = run(*argv, "--draws", 200, "--out", out)
    assert code == 0, err
    return text, json.loads((out / "card.json").read_text()), out


def test_nuts_json_contract(nuts):
    card, _, _ = nuts
    assert card["family"] == "independent" and card["method"] == "nuts"
    assert card["params"]["model"] == 16 and card["params"]["full_joint"] == 2**16 - 1
    d = card["diagnostics"]
    for key in ("rhat_max", "ess_bulk_min", "ess_tail_min", "divergences", "ebfmi_min"):
        assert d[key] is None or isinstance(d[key], int | float), key
    assert isinstance(d["divergences"], int) and d["rhat_max"] > 0.9
    assert {"rhat", "ess_bulk", "ess_tail", "divergences", "ebfmi"} == set(d["checks"])
    assert d["pass"] == all(c["pass"] for c in d["checks"].values())
    h = card["heldout"]
    assert h["items"] == 60 and card["data"]["train_items"] == 240  # a 20 percent split
    assert h["bits_per_dim"] == pytest.approx(h["nats_per_item"] / (16 * np.log(2)))
    assert 0 < h["bits_per_dim"] < 1
    assert card["seconds"]["total"] > 0 and card["settings"]["chains"] == 2
    assert len(card["independence"]["local_markov"]) == 16
    assert card["independence"]["local_markov"][0]["node"] == "x0"


def test_out_saves_inference_data_card_and_figures(nuts, files):
    import arviz as az

    card, text, out = nuts
    idata = az.from_netcdf(out / "idata.nc")
    assert {"posterior", "log_likelihood", "observed_data", "sample_stats"} <= set(idata.groups())
    assert idata.posterior["theta"].shape == (2, 100, 16)
    assert idata.log_likelihood["obs"].shape == (2, 100, 240)
    import hashlib

    saved = json.loads((out / "card.json").read_text())
    digest = hashlib.sha256((out / "idata.nc").read_bytes()).hexdigest()
    assert saved.pop("saved") == {"idata_sha256": digest, "data": {"train": "data/train.csv"}}
    assert saved == card  # the card as printed, plus the saved block
    assert json.dumps(saved, indent=2, ensure_ascii=False) == text.strip()
    assert (out / "data" / "train.csv").read_bytes() == Path(files["pixels"]).read_bytes()
    for name in ("dag.png", "samples.png", "rank.png"):  # samples: 16 pixels are a 4x4 image
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temp files


def test_svi_card_has_elbo_and_khat(svi):
    svi = {k: v for k, v in svi.items() if k != "_out"}
    assert svi["family"] == "markov-chain" and svi["method"] == "svi"
    assert svi["method_reason"] == "chosen with --method"
    d = svi["diagnostics"]
    assert isinstance(d["elbo_final"], float) and "khat" in d and d["divergences"] is None
    assert "elbo_converged" in d["checks"] and svi["settings"]["steps"] == 200
    assert svi["options"]["n"] == 16 and svi["params"]["model"] == 1 + 2 * 15


def test_bayesnet_reads_states_from_the_network(asia):
    text, card, _ = asia
    assert card["family"] == "bayesnet" and card["method"] == "exact"
    assert [n["name"] for n in card["nodes"]] == list(graphs.load_network("asia").nodes)
    assert card["params"]["model"] == 18 and card["heldout"]["items"] == 60
    # the text card: structure, then every check with its mark, the score and the time
    checks = card["diagnostics"]["checks"]
    marked = [line for line in text.splitlines() if line.strip()[:1] in ("✓", "✗")]
    assert len(marked) == len(checks)
    for line, (name, check) in zip(marked, checks.items(), strict=True):
        assert name in line and line.strip()[0] == ("✓" if check["pass"] else "✗")
    assert "parameters" in text and "independence" in text and "Markov blankets" in text
    assert "nats per item" in text and "seconds" in text


def test_naive_bayes_reads_the_label_column(files):
    code, text, err = run(
        "fit",
        "naive-bayes",
        "--data",
        files["pixels"],
        "--method",
        "exact",
        "--draws",
        100,
        "--json",
    )
    assert code == 0, err
    card = json.loads(text)
    assert card["options"] == {"n": 16, "classes": 10}
    h = card["heldout"]
    assert 0.2 < h["accuracy"] <= 1 and h["nats_per_item_joint"] > h["nats_per_item"]


def _one_error(code, out, err):
    assert code == 2 and out == ""
    assert err.startswith("zoo: error: ") and err.count("\n") == 1
    return err


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["fit", "independant"], "did you mean 'independent'"),
        (["fit", "independent", "--order", "2"], "option --order does not apply"),
        (["fit", "independent", "--n", "9", "--data", "{pixels}"], "--n 9 does not match"),
        (["fit", "markov-chain", "--data", "{asia}"], "'no' is not an integer state code"),
        (["fit", "bayesnet", "--network", "asia", "--data", "{pixels}"], "column 'x0' is not"),
        (["fit", "independent", "--method", "gibbs"], "invalid choice: 'gibbs'"),
        (["fit", "independent", "--data", "{root}/data.txt"], "unknown data file type"),
        (["fit", "independent", "--out", "{pixels}/sub"], "is a file, not a folder"),
    ],
)
def test_errors_exit_2_with_one_line_and_write_nothing(files, argv, match):
    argv = [a.format(**files) for a in argv]
    before = sorted(Path(files["root"]).rglob("*"))
    out = files["root"] / "never"
    err = _one_error(*run(*argv, "--out", out) if "--out" not in argv else run(*argv))
    assert match in err
    assert sorted(Path(files["root"]).rglob("*")) == before and not out.exists()


def test_width_mismatch_against_the_test_file(files, tmp_path):
    narrow = tmp_path / "narrow.csv"
    narrow.write_text("x0,x1\n0,1\n")
    argv = ["fit", "independent", "--data", files["pixels"], "--test", narrow]
    err = _one_error(*run(*argv))
    assert "the data have 2 columns" in err and "16 observed variables" in err


@pytest.mark.parametrize("which", ["nuts", "svi", "asia"])
def test_a_saved_fit_loads_back_and_reproduces_its_card(which, nuts, svi, asia):
    """zoo.load rebuilds the model and data from the card: the card computed again from
    the saved draws equals the saved one (held-out scores, diagnostics, LOO), exactly."""
    import zoo

    out = {"nuts": nuts[2], "svi": svi["_out"], "asia": asia[2]}[which]
    saved = zoo.load(out)
    again = json.loads(json.dumps(saved.recompute()))
    assert again == saved.card
    assert saved.card["heldout"]["nats_per_item"] == again["heldout"]["nats_per_item"]
    if which == "svi":
        assert saved.card["diagnostics"]["khat"] is not None


def test_load_names_what_is_missing(tmp_path, nuts):
    import shutil

    import zoo

    with pytest.raises(ValueError, match="card.json is missing"):
        zoo.load(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(nuts[2], copy)
    (copy / "data" / "train.csv").unlink()  # the saved copy of the data is what load reads
    with pytest.raises(ValueError, match="'data/train.csv' is missing from the folder"):
        zoo.load(copy)


def test_same_seed_same_card_other_seed_other_draws(files, nuts):
    """Apart from wall-clock seconds, a rerun with the same seed prints the same card; a
    different seed draws differently."""
    card, _, _ = nuts
    argv = ["fit", "independent", "--n", 16, "--data", files["pixels"], *TINY, "--json"]
    again = json.loads(run(*argv)[1])
    other = json.loads(run(*argv, "--seed", 1)[1])
    strip = lambda c: {k: v for k, v in c.items() if k != "seconds"}  # noqa: E731
    assert strip(again) == strip(card)
    assert other["diagnostics"]["rhat_max"] != card["diagnostics"]["rhat_max"]
    # a conjugate family's held-out score is in closed form: the draws do not move it
    assert card["heldout"]["exact"] is True
    assert other["heldout"]["nats_per_item"] == card["heldout"]["nats_per_item"]
    assert other["settings"]["seed"] == 1


def test_a_fit_on_sampled_network_data_loads_back(tmp_path):
    """The card names sampled data by their source ("2000 samples from asia"); zoo.load
    draws the same items again from the network with the fit's seed."""
    import zoo
    from zoo.data import conform, load_data

    out = tmp_path / "asia-sampled"
    code, _, err = run("fit", "bayesnet", "--network", "asia", "--method", "exact", "--out", out)
    assert code == 0, err
    saved = zoo.load(out)
    train, _ = load_data("sample:2000", saved.model.dag, seed=0).split(0.2, seed=0)
    assert np.array_equal(saved.train.x, conform(train, saved.model.dag).x)


def test_the_deep_families_options_are_flags(files):
    import argparse

    from zoo.cli import _parser
    from zoo.models import FAMILIES, get_family, make_model

    (sub,) = (a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    fit = sub.choices["fit"]
    helps = {a.dest: a.help for a in fit._actions}
    # --hidden names every family that takes it
    for name in FAMILIES:
        if "hidden" in get_family(name).options:
            assert name.split("-")[0] in helps["hidden"], name
    args = fit.parse_args(["flow", "--layers", "2", "--knots", "3", "--timesteps", "5"])
    assert (args.layers, args.knots, args.timesteps, args.depth) == (2, 3, 5, None)
    code, _, err = run("fit", "vae", "--timesteps", 5)
    assert code == 2 and "--timesteps does not apply to family 'vae'" in err
    # a tiny flow fit takes them: two layers of 3-knot splines over 16 pixels
    argv = ["fit", "flow", "--data", files["pixels"], "--layers", 2, "--knots", 3]
    code, text, err = run(*argv, "--hidden", 4, "--steps", 5, "--json")
    assert code == 0, err
    count = make_model("flow", n=16, layers=2, knots=3, hidden=4).param_count()
    assert json.loads(text)["params"]["model"] == count
    assert count == 2 * make_model("flow", n=16, knots=3, hidden=4).param_count()
