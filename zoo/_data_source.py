"""Where a fit's data came from, as records of the fit card: :class:`DataSource` (enough to
read the same items again) and :class:`FitData` (the card's ``data`` block). Re-exported by
:mod:`zoo.cards`; no JAX.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import ZooError

KINDS = ("digits", "file", "sample")
SPLITS = ("fixed", "test", "fraction")


@dataclass(frozen=True)
class DataSource:
    """Where a fit's items came from, enough to read the same items again.

    ``kind`` is ``"digits"`` (the bundled images), ``"file"`` (``path``, as given) or
    ``"sample"`` (``n`` items drawn from ``network``'s CPDs with ``seed``); ``n`` is the
    number of items the source gave before any split. ``split`` says how the held-out items
    were made: ``"fixed"`` (the digits' own 360-item split), ``"test"`` (read from ``test``,
    another source, whose own ``split`` is ``None``) or ``"fraction"`` (``test_fraction`` of
    the items, seeded by ``split_seed``).
    """

    kind: str
    path: str | None = None
    network: str | None = None
    n: int | None = None
    seed: int | None = None
    split: str | None = None
    test_fraction: float | None = None
    split_seed: int | None = None
    test: DataSource | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ZooError(f"Unknown data kind {self.kind!r}; expected one of {list(KINDS)}")
        if self.split is not None and self.split not in SPLITS:
            raise ZooError(f"Unknown split {self.split!r}; expected one of {list(SPLITS)}")
        if (self.split == "test") != (self.test is not None):
            raise ZooError("a DataSource has a test source exactly when its split is 'test'")
        if self.split == "fraction" and (self.test_fraction is None or self.split_seed is None):
            raise ZooError("a 'fraction' split needs test_fraction and split_seed")
        if self.kind == "file" and not self.path:
            raise ZooError("a 'file' DataSource needs its path")
        if self.kind == "sample" and (self.network is None or self.n is None or self.seed is None):
            raise ZooError("a 'sample' DataSource needs network, n and seed")

    def to_json(self) -> dict:
        """This record as its JSON dict."""
        out = {k: getattr(self, k) for k in ("kind", "path", "network", "n", "seed", "split")}
        out.update(test_fraction=self.test_fraction, split_seed=self.split_seed)
        out["test"] = None if self.test is None else self.test.to_json()
        return out

    @classmethod
    def from_json(cls, d: dict) -> DataSource:
        """The record of a JSON dict that :meth:`to_json` wrote."""
        test = d.get("test")
        fields = {k: v for k, v in d.items() if k != "test"}
        return cls(**fields, test=None if test is None else cls.from_json(test))


@dataclass(frozen=True)
class FitData:
    """A fit card's ``data`` block: the names of the training and held-out data as printed
    (``train``, ``test``, ``split``), their sizes and, for fits that record it, the
    structured :class:`DataSource` (JSON key ``data.source``)."""

    train: str
    test: str | None
    split: str
    train_items: int
    test_items: int
    variables: int
    source: DataSource | None = None

    def to_json(self) -> dict:
        """This record as its JSON dict."""
        out: dict[str, Any] = {"train": self.train}
        if self.test is not None:
            out["test"] = self.test
        out.update(
            split=self.split,
            train_items=self.train_items,
            test_items=self.test_items,
            variables=self.variables,
        )
        if self.source is not None:
            out["source"] = self.source.to_json()
        return out

    @classmethod
    def from_json(cls, d: dict) -> FitData:
        """The record of a JSON dict that :meth:`to_json` wrote."""
        source = d.get("source")
        return cls(
            d["train"],
            d.get("test"),
            d["split"],
            d["train_items"],
            d["test_items"],
            d["variables"],
            None if source is None else DataSource.from_json(source),
        )
