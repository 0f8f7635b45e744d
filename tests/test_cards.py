"""The cards as data (no fits here): the formatter and report modules load no JAX, a
``DataSource`` round-trips through JSON for each kind, and :mod:`zoo.sources` reads the same
items again from the record it wrote, with the card's ``data`` strings of old."""

import json
import subprocess
import sys

import numpy as np
import pytest

import graphs
from zoo.cards import (
    Check,
    DataSource,
    Diagnostics,
    FitCard,
    FitData,
    Heldout,
    Loo,
    StructureCard,
    from_json,
)
from zoo.data import Dataset, digits_split, sample_network, save_csv
from zoo.models import get_family
from zoo.sources import describe, open_data, reopen

HEAVY = ("jax", "jaxlib", "numpyro", "arviz")


def _fit_card(source: DataSource | None = None) -> FitCard:
    """A hand-made fit card of naive Bayes on 4 pixels (no fit behind it)."""
    spec = get_family("naive-bayes")
    structure = StructureCard.of(spec, spec.build(n=4, classes=3), {"n": 4, "classes": 3})
    diag = Diagnostics(
        {"scope": "every parameter", "rhat_max": 1.002, "ess_bulk_min": 812.5},
        {"rhat": Check(1.002, 1.01, True), "ess_bulk": Check(812.5, 400, True)},
        True,
    )
    data = FitData("toy.csv", "toy.csv", "a seeded 20 percent split, seed 0", 80, 20, 4, source)
    return FitCard(
        structure,
        "naive-bayes",
        "exact",
        "conjugate",
        "exact",
        data,
        {"seed": 0, "draws": 100},
        diag,
        Heldout(2.5, 0.9, 20, nats_per_item_joint=3.1, accuracy=0.75),
        Loo(-200.0, 5.0, 12.0, khat_share=0.0),
        {"total": 0.5, "evaluation": 0.1},
    )


def test_formatter_and_report_load_no_jax(tmp_path):
    """The text formatter, the records and the HTML report read cards and rows only."""
    body = f"""
import json, sys
from zoo.card import format_card
from zoo.cards import dumps, from_json
from zoo.compare import CompareResult
from zoo.report import format_table, write_report
card = from_json(json.loads({json.dumps(_fit_card().to_json())!r}))
assert "accuracy 75.0%" in format_card(card) and format_card(card.to_json()) == format_card(card)
assert '"family": "naive-bayes"' in dumps(card)
row = dict(family="independent", params=4, method="exact", method_reason="conjugate")
result = CompareResult([row], {{}}, {{}}, "quick", 0, {{"train": "toy"}}, None)
assert "independent" in format_table(result.rows)
write_report(result, {str(tmp_path)!r}, figures={{}})
print(",".join(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))))
"""
    out = subprocess.run([sys.executable, "-c", body], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
    assert (tmp_path / "index.html").read_text().count("<td>independent</td>") == 1


def test_fit_card_record_round_trips_through_its_json():
    card = _fit_card(
        DataSource("file", path="toy.csv", n=100, split="fraction", test_fraction=0.2, split_seed=0)
    )
    d = card.to_json()
    assert from_json(json.loads(json.dumps(d))) == card
    assert list(d)[-11:] == [
        "independence",
        "family",
        "method",
        "method_reason",
        "default_method",
        "data",
        "settings",
        "diagnostics",
        "heldout",
        "loo",
        "seconds",
    ]
    # every diagnostics key is there, null where the method has no such number
    assert d["diagnostics"]["divergences"] is None and d["diagnostics"]["rhat_max"] == 1.002
    assert d["loo"] == {"elpd_loo": -200.0, "se": 5.0, "p_loo": 12.0, "khat_over_0.7": 0.0}
    assert Loo(error="no").to_json() == {"error": "no"}
    assert d["data"]["source"]["path"] == "toy.csv"
    assert "source" not in _fit_card().to_json()["data"]  # a card of old: its keys only


SOURCES = {
    "digits": DataSource("digits", n=1797, split="fixed"),
    "file": DataSource(
        "file", path="a.csv", n=300, split="fraction", test_fraction=0.2, split_seed=0
    ),
    "sample": DataSource(
        "sample", network="asia", n=2000, seed=3, split="fraction", test_fraction=0.25, split_seed=0
    ),
    "file+test": DataSource(
        "file",
        path="a.csv",
        n=300,
        split="test",
        test=DataSource("sample", network="asia", n=50, seed=4),
    ),
}


@pytest.mark.parametrize("name", SOURCES)
def test_data_source_round_trips_through_json(name):
    source = SOURCES[name]
    text = json.dumps(source.to_json())
    assert DataSource.from_json(json.loads(text)) == source
    assert set(json.loads(text)) == {
        "kind",
        "path",
        "network",
        "n",
        "seed",
        "split",
        "test_fraction",
        "split_seed",
        "test",
    }


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"kind": "url"}, r"Unknown data kind 'url'; expected one of \['digits'"),
        ({"kind": "file", "split": "fixed"}, "a 'file' DataSource needs its path"),
        ({"kind": "digits", "split": "random"}, "Unknown split 'random'"),
        ({"kind": "digits", "split": "test"}, "a test source exactly when its split is 'test'"),
        ({"kind": "digits", "split": "fraction"}, "needs test_fraction and split_seed"),
        ({"kind": "sample", "network": "asia", "n": 5}, "needs network, n and seed"),
    ],
)
def test_data_source_rejects_an_incomplete_record(fields, match):
    with pytest.raises(ValueError, match=match):
        DataSource(**fields)


@pytest.fixture(scope="module")
def asia_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("sources")
    asia = graphs.load_network("asia")
    save_csv(sample_network(asia, 120, seed=5), root / "train.csv")
    save_csv(sample_network(asia, 30, seed=6), root / "test.csv")
    return root, asia


def _same(a: Dataset, b: Dataset) -> bool:
    return np.array_equal(a.x, b.x) and a.names == b.names and a.source == b.source


@pytest.mark.parametrize(
    ("data", "test", "expected"),
    [
        (None, None, ("{n} samples from asia", "{n} samples from asia", "seeded")),
        ("sample:200", "{root}/test.csv", ("200 samples from asia", "{root}/test.csv", "--test")),
        ("{root}/train.csv", None, ("{root}/train.csv", "{root}/train.csv", "seeded")),
        ("{root}/train.csv", "sample:40", ("{root}/train.csv", "40 samples from asia", "--test")),
    ],
)
def test_open_data_records_what_reopen_reads_again(asia_files, data, test, expected):
    """What ``zoo fit`` printed before the record existed (``data.train``, ``data.test``,
    ``data.split``) is unchanged, and the record gives back the same items."""
    root, asia = asia_files
    data, test = (None if t is None else t.format(root=root) for t in (data, test))
    train, held, source = open_data(data, test, asia, seed=2)
    assert DataSource.from_json(json.loads(json.dumps(source.to_json()))) == source
    again = reopen(source, asia)
    assert _same(again[0], train) and _same(again[1], held)
    block = describe(source, train, held).to_json()
    n = 2000
    want = [e.format(root=root, n=n) for e in expected]
    want[2] = "a seeded 20 percent split, seed 0" if want[2] == "seeded" else want[2]
    assert [block["train"], block["test"], block["split"]] == want
    assert (block["train_items"], block["test_items"]) == (train.n_items, held.n_items)
    assert list(block) == [
        "train",
        "test",
        "split",
        "train_items",
        "test_items",
        "variables",
        "source",
    ]


def test_digits_default_is_the_fixed_split():
    train, held, source = open_data(None, None, None, seed=7)
    fixed = digits_split()
    assert _same(train, fixed[0]) and _same(held, fixed[1])
    assert source == DataSource("digits", n=1797, split="fixed")
    block = describe(source, train, held).to_json()
    assert {k: block[k] for k in ("train", "test", "split")} == {
        "train": "digits",
        "test": "digits",
        "split": "fixed digits split",
    }
    again = reopen(source)
    assert _same(again[0], train) and _same(again[1], held)


def test_reopen_names_a_file_that_changed(asia_files, tmp_path):
    root, asia = asia_files
    path = tmp_path / "data.csv"
    save_csv(sample_network(asia, 50, seed=0), path)
    _, _, source = open_data(str(path), None, asia)
    save_csv(sample_network(asia, 40, seed=0), path)
    with pytest.raises(ValueError, match="the fit saw 50 items but the data now have 40"):
        reopen(source, asia)
    path.unlink()
    with pytest.raises(ValueError, match="data.csv"):
        reopen(source, asia)
    sampled = open_data("sample:30", None, asia)[2]
    with pytest.raises(ValueError, match="sampled from 'asia', but the model's network is"):
        reopen(sampled, graphs.load_network("cancer"))
