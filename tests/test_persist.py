"""``zoo.save`` and ``zoo.load`` side by side: a fit saved with its card and its data's
``DataSource`` loads back and gives the same card again, exactly; a card of the older format
(no ``data.source``) still loads; and the card built by :mod:`zoo.assess` is the JSON that
``fit_card`` has always printed.

Small exact fits (and one short SVI run) on a 16-pixel crop of the digits and on asia,
each made once per module.
"""

import json
import shutil

import numpy as np
import pytest

import graphs
import zoo
from zoo.assess import _label_scores, fit_card
from zoo.card import format_card, structure_card
from zoo.cards import DIAGNOSTIC_KEYS, FitCard, dumps
from zoo.data import Dataset, conform, digits_split, save_csv
from zoo.models import get_family, make_model
from zoo.sources import describe, open_data


@pytest.fixture(scope="module")
def pixels(tmp_path_factory):
    root = tmp_path_factory.mktemp("persist")
    train, _ = digits_split()
    crop = [8 * r + c for r in range(2, 6) for c in range(2, 6)]
    data = Dataset(
        train.x[:250, crop], tuple(f"x{j}" for j in range(16)), (2,) * 16, train.y[:250], 10
    )
    return save_csv(data, root / "pixels.csv", label="label")


def _fit(family, options, data, method, *, dag=None, **budget):
    """What ``zoo fit`` does: data and their record, the fit, the card."""
    from zoo.fit import fit

    train, test, source = open_data(str(data), None, dag, seed=0)
    model = make_model(family, **options)
    train, test = conform(train, model.dag), conform(test, model.dag)
    result = fit(model, train, method=method, seed=0, **budget)
    card = fit_card(result, test, options=options, data=describe(source, train, test))
    return {"result": result, "test": test, "card": card, "source": source, "options": options}


@pytest.fixture(scope="module")
def fits(pixels):
    asia = graphs.load_network("asia")
    return {
        "naive-bayes": _fit("naive-bayes", {"n": 16, "classes": 10}, pixels, "exact", draws=100),
        "asia": _fit("bayesnet", {"network": "asia"}, "sample:300", "exact", dag=asia, draws=100),
        "svi": _fit("markov-chain", {"n": 16}, pixels, "svi", steps=100, draws=50),
    }


def test_the_card_is_the_json_fit_card_always_built(fits):
    """The card of old, assembled here from its parts: the structure card, ``diagnose``
    with every diagnostics key filled, the held-out score with the label's, LOO and the
    seconds, in that order."""
    from zoo.diagnostics import diagnose
    from zoo.evaluate import heldout, loo

    f = fits["naive-bayes"]
    result, test, card = f["result"], f["test"], f["card"]
    model = result.model
    old = structure_card(get_family("naive-bayes"), model.dag, f["options"])
    diagnostics = diagnose(result)
    for key in DIAGNOSTIC_KEYS:
        diagnostics.setdefault(key, None)
    scores = heldout(result, test)
    scores.pop("per_item")
    scores.update(_label_scores(model, result, test))
    old.update(
        family="naive-bayes",
        method="exact",
        method_reason=model.method_reason
        if model.default_method == "exact"
        else "chosen with --method",
        default_method=model.default_method,
        data=card.data.to_json(),
        settings=dict(result.settings),
        diagnostics=diagnostics,
        heldout=scores,
        loo=loo(result),
        seconds=card.seconds,
    )
    new = card.to_json()
    assert json.dumps(new) == json.dumps(zoo.card.jsonable(old))  # keys in the same order
    assert "accuracy" in new["heldout"] and new["diagnostics"]["khat"] is None
    # the old entry point gives the same JSON (seconds aside)
    again = zoo.card.fit_card(
        get_family("naive-bayes"), model, result, test, f["options"], data=card.data.to_json()
    )
    again["seconds"] = new["seconds"]
    assert again == new


@pytest.mark.parametrize("which", ["naive-bayes", "asia", "svi"])
def test_save_load_recompute_gives_the_same_card(fits, which, tmp_path):
    f = fits[which]
    names = zoo.save(f["result"], tmp_path, card=f["card"])
    assert set(names) == {"idata.nc", "card.json"} | ({"svi.npz"} if which == "svi" else set())
    doc = json.loads((tmp_path / "card.json").read_text())
    saved_block = doc.pop("saved")  # the card as printed, plus what load checks
    assert json.dumps(doc, indent=2, ensure_ascii=False) == dumps(f["card"])
    assert set(saved_block) == {"idata_sha256"} | ({"data"} if which != "asia" else set())
    saved = zoo.load(tmp_path)
    assert saved.source == f["source"]
    assert np.array_equal(saved.test.x, f["test"].x)
    again = json.loads(json.dumps(saved.recompute()))
    assert again == saved.card == doc
    # the record read back from its JSON prints the same text
    assert format_card(FitCard.from_json(saved.card)) == format_card(f["card"])


def test_a_card_without_data_source_still_loads(fits, tmp_path):
    """Cards saved before ``data.source`` name their data in words only."""
    f = fits["asia"]
    zoo.save(f["result"], tmp_path, card=f["card"])
    card = json.loads((tmp_path / "card.json").read_text())
    del card["data"]["source"]
    (tmp_path / "card.json").write_text(json.dumps(card))
    card.pop("saved")
    saved = zoo.load(tmp_path)
    assert saved.source.kind == "sample" and saved.source.n == 300
    assert np.array_equal(saved.train.x, f["result"].data.x)
    assert json.loads(json.dumps(saved.recompute())) == card


def test_load_names_a_missing_or_changed_file(fits, pixels, tmp_path):
    zoo.save(fits["naive-bayes"]["result"], tmp_path / "fit", card=fits["naive-bayes"]["card"])
    card = json.loads((tmp_path / "fit" / "card.json").read_text())
    card["saved"]["data"]["train"] = "data/gone.csv"
    (tmp_path / "fit" / "card.json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match="gone.csv"):
        zoo.load(tmp_path / "fit")
    shorter = tmp_path / "fit" / "data" / "shorter.csv"
    shutil.copy(pixels, shorter)
    shorter.write_text("".join(shorter.read_text().splitlines(keepends=True)[:-1]))
    card["saved"]["data"]["train"] = "data/shorter.csv"
    (tmp_path / "fit" / "card.json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match="the fit saw 250 items but the data now have 249"):
        zoo.load(tmp_path / "fit")


def test_a_fit_to_the_digits_split_made_in_python_reloads(tmp_path):
    """The library journey: digits_split, fit, fit_card, save, load, with no data record
    given; the card recognises the fixed split, and other data are left unrecorded."""
    train, test = zoo.digits_split()
    model = zoo.make_model("independent")
    result = zoo.fit(model, train, "exact", chains=1, draws=20)
    card = zoo.fit_card(result, test)
    assert card.data is not None and card.data.source.split == "fixed"
    zoo.save(result, tmp_path, card=card)
    saved = zoo.load(tmp_path)
    assert np.array_equal(saved.train.x, train.x) and np.array_equal(saved.test.x, test.x)
    assert saved.recompute()["heldout"] == card.heldout.to_json()
    other = zoo.fit(model, train.take(slice(0, 100)), "exact", chains=1, draws=20)
    assert zoo.fit_card(other, test).data is None


@pytest.fixture
def saved_nb(fits, tmp_path):
    folder = tmp_path / "fit"
    zoo.save(fits["naive-bayes"]["result"], folder, card=fits["naive-bayes"]["card"])
    outside = tmp_path / "secret.csv"
    outside.write_text("TOP-SECRET-HEADER,x1\n0,1\n")
    return folder, outside


def _edit(folder, change):
    card = json.loads((folder / "card.json").read_text())
    change(card)
    (folder / "card.json").write_text(json.dumps(card))


@pytest.mark.parametrize("how", ["absolute", "dotdot", "legacy-absolute", "link"])
def test_load_reads_only_inside_its_folder(saved_nb, how):
    """A crafted card.json cannot make load read, or echo, a file outside the folder."""
    folder, outside = saved_nb
    if how == "absolute":
        _edit(folder, lambda c: c["saved"]["data"].update(train=str(outside)))
    elif how == "dotdot":
        _edit(folder, lambda c: c["saved"]["data"].update(train="../secret.csv"))
    elif how == "legacy-absolute":  # a card from before the copies: its own path
        _edit(folder, lambda c: (c.pop("saved"), c["data"]["source"].update(path=str(outside))))
    else:
        (folder / "data" / "train.csv").unlink()
        (folder / "data" / "train.csv").symlink_to(outside)
    with pytest.raises(ValueError, match="outside the folder") as err:
        zoo.load(folder)
    assert "TOP-SECRET" not in str(err.value)


def test_load_refuses_an_idata_from_another_fit(fits, saved_nb, tmp_path):
    """The card records the SHA-256 of its idata.nc: a folder that mixes two fits (what a
    killed write could once leave) is refused."""
    folder, _ = saved_nb
    other = tmp_path / "other"
    zoo.save(fits["svi"]["result"], other, card=fits["svi"]["card"])
    shutil.copy(other / "idata.nc", folder / "idata.nc")
    with pytest.raises(ValueError, match="mixes two fits"):
        zoo.load(folder)


def test_save_is_whole_or_nothing(fits, saved_nb, monkeypatch):
    """A save that fails half-way (here a full disk while writing a figure) leaves the
    folder as it was and no temporary behind; a temporary of a killed run (a process that
    no longer exists) is removed by the next save."""
    import errno
    import subprocess
    import sys

    import matplotlib.pyplot as plt

    import graphs

    folder, _ = saved_nb
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stale = [folder / f".idata.nc.{dead}.0123abcd.tmp", folder.parent / f".fit.{dead}.89abcdef.tmp"]
    stale[0].write_text("half")
    stale[1].mkdir()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(graphs, "save_figure", full)
    f = fits["svi"]
    fig = plt.figure()
    with pytest.raises(ValueError, match="no space left on the device; nothing was written"):
        zoo.save(f["result"], folder, card=f["card"], figures={"x.png": fig})
    plt.close(fig)
    after = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before  # the stale temporaries were not the fit's files
    assert not stale[0].exists() and not stale[1].exists()
    assert [p.name for p in folder.parent.iterdir() if p.name.endswith(".tmp")] == []
