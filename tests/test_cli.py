"""The structure commands: list, show, dsep; their JSON contract and their errors."""

import gc
import json
import math

import pytest

import graphs
from zoo.cli import main
from zoo.models import FAMILIES


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_list_names_every_family(capsys):
    rows = run_json(capsys, "list")
    assert [r["name"] for r in rows] == list(FAMILIES)
    assert {
        "independent",
        "markov-chain",
        "chow-liu",
        "learned",
        "naive-bayes",
        "latent-class",
        "autoregressive",
        "bayesnet",
        "vae",
        "diffusion",
        "rbm",
        "flow",
    } == set(FAMILIES)
    code, text, _ = run(capsys, "list")
    assert code == 0 and "(K - 1) + K n" in text


@pytest.mark.parametrize(
    ("argv", "model", "n_nodes"),
    [
        (["independent", "--n", "8"], 8, 8),
        (["markov-chain", "--n", "8"], 15, 8),
        (["markov-chain", "--n", "8", "--order", "3"], 1 + 2 + 4 + 5 * 8, 8),
        (["markov-chain", "--n", "64", "--grid"], 1 + 7 * 2 + 7 * 4 + 7 * 8 + 42 * 16, 64),
        (["naive-bayes", "--n", "8", "--classes", "3"], 2 + 3 * 8, 9),
        (["latent-class", "--n", "8", "--classes", "4"], 3 + 4 * 8, 9),
        (["autoregressive", "--n", "8"], 8 * 9 // 2, 8),
        (
            ["autoregressive", "--n", "8", "--conditional", "neural", "--hidden", "16"],
            graphs.made_count(8, 16, direct=True),
            8,
        ),
    ],
)
def test_show_json_contract(capsys, argv, model, n_nodes):
    card = run_json(capsys, "show", *argv)
    assert card["name"] == argv[0]
    assert card["params"]["model"] == model
    assert len(card["nodes"]) == n_nodes
    visible = [n for n in card["nodes"] if n["role"] != "latent"]
    assert card["params"]["full_joint"] == math.prod(n["card"] for n in visible) - 1
    assert card["params"]["log10_full_joint"] == pytest.approx(
        graphs.log10(card["params"]["full_joint"])
    )
    ind = card["independence"]
    assert set(ind["markov_blankets"]) == {n["name"] for n in card["nodes"]}
    for s in ind["local_markov"]:
        assert set(s) == {"node", "independent_of", "given"}
    assert all(len(e) == 2 for e in card["edges"])


def test_show_784_prints_the_full_joint_whole(capsys):
    card = run_json(capsys, "show", "independent", "--n", "784")
    assert card["params"]["full_joint"] == 2**784 - 1
    code, text, _ = run(capsys, "show", "independent", "--n", "784")
    assert code == 0 and str(2**784 - 1) in text


def test_show_bayesnet_network_and_bif(capsys, tmp_path):
    card = run_json(capsys, "show", "bayesnet", "--network", "asia")
    assert len(card["nodes"]) == 8 and card["params"]["model"] == 18
    asia = graphs.load_network("asia")
    path = tmp_path / "asia.bif"
    graphs.to_bif(asia, path)
    from_file = run_json(capsys, "show", "bayesnet", "--bif", str(path))
    # BIF lists variables alphabetically, so compare as sets
    assert sorted(from_file["edges"]) == sorted(card["edges"])
    assert from_file["params"]["model"] == card["params"]["model"]


def test_show_draws_files(capsys, tmp_path):
    code, _, err = run(
        capsys,
        "show",
        "naive-bayes",
        "--n",
        "16",
        "--draw",
        str(tmp_path / "nb.svg"),
        "--heatmap",
        str(tmp_path / "h.png"),
        "--given",
        "y",
    )
    assert code == 0, err
    assert (tmp_path / "nb.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dsep(capsys):
    ans = run_json(capsys, "dsep", "naive-bayes", "x0", "x1", "--n", "4", "--given", "y")
    assert ans["d_separated"] is True and ans["given"] == ["y"]
    ans = run_json(capsys, "dsep", "naive-bayes", "x0", "x1", "--n", "4")
    assert ans["d_separated"] is False and ans["minimal_separator"] == ["y"]
    ans = run_json(capsys, "dsep", "--network", "asia", "asia", "dysp", "--given", "either")
    assert ans["d_separated"] is graphs.is_d_separated(
        graphs.load_network("asia"), "asia", "dysp", "either"
    )
    code, text, _ = run(capsys, "dsep", "markov-chain", "x0", "x2", "--n", "3", "--given", "x1")
    assert code == 0 and "d-separated" in text


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["show", "nope"], "unknown family 'nope'"),
        (["show", "naive-bays"], "did you mean 'naive-bayes'"),
        (["show", "independent", "--n", "0"], "--n must be >= 1, got 0"),
        (["show", "independent", "--n", "ten"], "--n must be an integer, got 'ten'"),
        (["show", "independent", "--classes", "3"], "option --classes does not apply"),
        (["show", "independent", "--bogus"], "unrecognized arguments: --bogus"),
        (["show", "markov-chain", "--n", "10", "--grid"], "n=10 is not a perfect square"),
        (["show", "bayesnet"], "exactly one of --network NAME or --bif FILE"),
        (["show", "bayesnet", "--network", "alrm"], "unknown network 'alrm'"),
        (["show", "bayesnet", "--bif", "/nonexistent/x.bif"], "/nonexistent/x.bif"),
        (["show", "independent", "--n", "4", "--draw", "out.pdf"], "'.pdf'"),
        (["dsep", "naive-bayes", "x0", "x9", "--n", "4"], "unknown node 'x9'"),
        (["dsep", "naive-bayes", "x0"], "expected FAMILY X Y"),
        ([], "missing COMMAND"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, match):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("zoo: error: ")
    assert match in err
    assert "Traceback" not in err and out == ""
    assert list(tmp_path.iterdir()) == []  # nothing written half-way


def test_console_script_exit_code(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "zoo.cli", "show", "nope"], capture_output=True, text=True
    )
    assert proc.returncode == 2 and proc.stderr.strip().startswith("zoo: error: unknown family")


def test_console_script_freezes_what_is_left_for_a_prompt_exit(capsys):
    from importlib.metadata import entry_points

    from zoo.cli import run as console

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "zoo"]
    assert script.value == "zoo.cli:run"
    try:
        assert console([]) == 2  # main's code: a missing command is the user's mistake
        assert gc.get_freeze_count() > 0  # the last collection at exit skips these
    finally:
        gc.unfreeze()
    assert "missing COMMAND" in capsys.readouterr().err
