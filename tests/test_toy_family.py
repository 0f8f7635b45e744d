"""A family registered by a test appears in ``zoo list``, ``zoo fit``, ``zoo compare
--families`` and the contract suite, with no other file edited."""

import json

import pytest
import toy_family
from contract import cases, check_conjugate, check_graph, check_param_count, check_shapes

from zoo import models
from zoo.cli import main


@pytest.fixture(scope="module")
def coin():
    models.register(toy_family.SPEC)
    yield toy_family.SPEC
    models.unregister("coin")


def test_it_is_listed(coin, capsys):
    assert "coin" in models.FAMILIES and list(models.FAMILIES)[0] == "coin"  # order=5
    assert main(["list"]) == 0
    assert "coin" in capsys.readouterr().out


def test_it_passes_the_contract(coin):
    (case,) = cases(["coin"])
    assert case == ("coin", {"n": 4})
    for check in (check_param_count, check_graph, check_shapes, check_conjugate):
        check(*case)


def test_it_fits_from_the_command_line(coin, capsys):
    argv = ["fit", "coin", "--method", "exact", "--draws", "200", "--chains", "2", "--json"]
    assert main(argv) == 0
    card = json.loads(capsys.readouterr().out)
    assert (card["family"], card["method"], card["params"]["model"]) == ("coin", "exact", 1)
    assert card["heldout"]["nats_per_item"] > 0


def test_it_is_a_compare_row(coin, capsys, tmp_path):
    argv = ["compare", "--families", "coin", "independent", "--budget", "quick", "--json"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["family"] for r in rows] == ["coin", "independent"]
    coin_row, independent = rows
    # one shared p fits the digits worse than a p per pixel
    assert coin_row["params"] == 1 and coin_row["nats_per_item"] > independent["nats_per_item"]


def test_a_second_registration_is_refused(coin):
    with pytest.raises(ValueError, match="already registered"):
        models.register(toy_family.SPEC)
