"""A :class:`zoo.models.Trained` family registered by a test is fitted by its own
``train``, kept as a point, and carried through the card, ``zoo compare`` and saving."""

import json

import numpy as np
import pytest
import toy_trained
from contract import cases, check_graph, check_param_count, check_shapes

import zoo
from zoo import models
from zoo.cli import main


@pytest.fixture(scope="module")
def family():
    models.register(toy_trained.SPEC)
    yield toy_trained.SPEC
    models.unregister("toy-trained")


@pytest.fixture(scope="module")
def fitted(family):
    train, test = zoo.digits_split()
    model = zoo.make_model("toy-trained", n=train.n_vars)
    return model, zoo.fit(model, train, steps=1000), train, test


def _card(fitted):
    from zoo.sources import describe, open_data

    model, result, train, test = fitted
    _, _, source = open_data(None, None)  # the digits' fixed split, as zoo.digits_split
    data = describe(source, train, test)
    return zoo.fit_card(result, test, options={"n": train.n_vars}, data=data)


def test_it_passes_the_contract(family):
    for check in (check_param_count, check_graph, check_shapes):
        check(*cases(["toy-trained"])[0])


def test_train_reaches_the_closed_form_map(fitted):
    model, result, train, _ = fitted
    assert (result.method, result.settings["chains"], result.settings["draws"]) == ("map", 1, 1)
    assert "warmup" not in result.settings and "guide" not in result.settings
    assert result.settings["learning_rate"] == 0.5  # the family's own
    point = np.asarray(result.draws()["logit"])
    assert point.shape == (1, train.n_vars)
    np.testing.assert_allclose(point[0], toy_trained.exact_map(np.asarray(train.x)), atol=1e-3)
    assert result.seconds["training"] > 0


def test_the_card_shows_its_objective_and_its_own_checks(fitted):
    model, result, train, test = fitted
    card = _card(fitted).to_json()
    d = card["diagnostics"]
    assert {"log_joint_converged", "logits_bounded"} <= set(d["checks"])
    assert d["log_joint_final"] == pytest.approx(float(np.mean(result.elbo[-100:])))
    assert d["largest_logit"] < 10 and d["pass"]
    assert card["heldout"]["details"] == {"pixels": train.n_vars}
    assert "error" in card["loo"]
    text = zoo.format_card(card)
    assert "pixels: 64" in text and "steps 1000" in text


def test_other_methods_and_guides_are_refused(fitted):
    model, _, train, _ = fitted
    with pytest.raises(zoo.ZooError, match="unknown method 'nuts'.*'map'"):
        zoo.fit(model, train, "nuts")
    with pytest.raises(zoo.ZooError, match="own guide"):
        zoo.fit(model, train, guide="normal")


def test_it_saves_and_loads(fitted, tmp_path):
    model, result, train, test = fitted
    folder = tmp_path / "fit"
    zoo.save(result, folder, card=_card(fitted))
    back = zoo.load(folder)
    np.testing.assert_array_equal(back.result.draws()["logit"], result.draws()["logit"])
    np.testing.assert_array_equal(back.result.elbo, result.elbo)
    again = back.recompute()
    assert again["diagnostics"] == back.card["diagnostics"]


def test_it_is_a_compare_row_with_its_own_steps(family, capsys, tmp_path):
    argv = ["compare", "--families", "toy-trained", "independent", "--budget", "quick"]
    assert main([*argv, "--json", "--out", str(tmp_path)]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    toy, independent = rows
    assert toy["method"] == "map" and toy["params"] == independent["params"] == 64
    # a MAP logit per pixel scores as the independent family's posterior predictive does
    assert abs(toy["nats_per_item"] - independent["nats_per_item"]) < 0.2


def test_it_fits_from_the_command_line(family, capsys):
    assert main(["fit", "toy-trained", "--steps", "300", "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert (card["method"], card["settings"]["steps"], card["settings"]["learning_rate"]) == (
        "map",
        300,
        0.5,
    )
    assert card["heldout"]["details"] == {"pixels": 64}
