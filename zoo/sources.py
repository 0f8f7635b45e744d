"""Which data a fit saw, as a record: :func:`open_data` reads the training and held-out data
named on the command line and says where they came from (a :class:`zoo.cards.DataSource`);
:func:`reopen` reads the same items again from that record (``zoo.load``); :func:`describe`
gives the card's ``data`` block. No JAX.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cards import DataSource, FitData
from .data import Dataset, digits_split, load_data
from .errors import ZooError

if TYPE_CHECKING:
    from graphs import DAG

#: the held-out share and split seed of every fit without --test (one split for all seeds)
TEST_FRACTION, SPLIT_SEED = 0.2, 0


def _origin(name: str, data: Dataset, dag: DAG | None, seed: int) -> dict[str, Any]:
    """The fields of a DataSource that say where ``data``, read as ``name``, came from."""
    if name == "digits":
        return {"kind": "digits", "n": data.n_items}
    if name == "sample" or name.startswith("sample:"):
        assert dag is not None  # load_data samples only from a network
        return {"kind": "sample", "network": dag.name, "n": data.n_items, "seed": seed}
    return {"kind": "file", "path": str(Path(name)), "n": data.n_items}


def open_data(
    data: str | None, test: str | None, dag: DAG | None = None, *, seed: int = 0
) -> tuple[Dataset, Dataset, DataSource]:
    """(train, test, source) for ``zoo fit --data DATA [--test TEST] --seed SEED``.

    ``data`` defaults to the digits (with their fixed split) or, for a ``dag`` with CPDs,
    ``"sample"``; without ``test`` a seeded 20 percent is held out (seed 0, whatever
    ``seed``); sampled data are drawn with ``seed`` (the test file's with ``seed + 1``).
    ``dag`` lends variable names and states (see :func:`zoo.data.load_data`).
    """
    name = str(data or ("digits" if dag is None else "sample"))
    if name == "digits" and test is None:
        train, held = digits_split()
        return train, held, DataSource("digits", n=train.n_items + held.n_items, split="fixed")
    whole = load_data(name, dag, seed=seed)
    origin = _origin(name, whole, dag, seed)
    if test is not None:
        held = load_data(test, dag, seed=seed + 1)
        other = DataSource(**_origin(str(test), held, dag, seed + 1), split=None)
        return whole, held, DataSource(**origin, split="test", test=other)
    train, held = whole.split(TEST_FRACTION, seed=SPLIT_SEED)
    source = DataSource(
        **origin, split="fraction", test_fraction=TEST_FRACTION, split_seed=SPLIT_SEED
    )
    return train, held, source


def _read(source: DataSource, dag: DAG | None) -> Dataset:
    if source.kind == "digits":
        data = load_data("digits")
    elif source.kind == "sample":
        if dag is not None and dag.name != source.network:
            raise ZooError(
                f"the fit's data were sampled from {source.network!r}, but the model's network "
                f"is {dag.name!r}"
            )
        assert source.seed is not None  # DataSource checks a sample's fields
        data = load_data(f"sample:{source.n}", dag, seed=source.seed)
    else:
        assert source.path is not None  # DataSource checks a file's path
        data = load_data(source.path, dag)
    if source.n is not None and data.n_items != source.n:
        raise ZooError(
            f"{data.source}: the fit saw {source.n} items but the data now have {data.n_items}"
        )
    return data


def reopen(source: DataSource, dag: DAG | None = None) -> tuple[Dataset, Dataset]:
    """The (train, test) that ``source`` names, read again: the same items :func:`open_data`
    gave. Relative file paths are read from the current folder; ``ValueError`` when a file
    is missing or no longer holds the items the fit saw."""
    if source.split == "fixed":
        return digits_split()
    whole = _read(source, dag)
    if source.split == "test":
        assert source.test is not None  # DataSource checks a 'test' split's source
        return whole, _read(source.test, dag)
    assert source.test_fraction is not None and source.split_seed is not None
    return whole.split(source.test_fraction, seed=source.split_seed)


def describe(source: DataSource, train: Dataset, test: Dataset) -> FitData:
    """The card's ``data`` block: the names printed since before the record existed
    (``train``, ``test``, ``split``), the sizes, and ``source`` itself."""
    if source.split == "fixed":
        names = ("digits", "digits", "fixed digits split")
    elif source.split == "test":
        names = (train.source, test.source, "--test")
    else:
        assert source.test_fraction is not None  # DataSource checks a 'fraction' split
        share, seed = f"{100 * source.test_fraction:g}", source.split_seed
        names = (train.source, train.source, f"a seeded {share} percent split, seed {seed}")
    return FitData(*names, train.n_items, test.n_items, train.n_vars, source)
