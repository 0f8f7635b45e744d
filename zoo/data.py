"""Data: the embedded digits, the user's CSV/NPY files, samples from pgmpy networks, and
validation before any model is built.

A :class:`Dataset` holds integer state codes ``x`` (items x variables), optional labels
``y``, and the names and cardinalities of the variables. Nothing here imports JAX.

* :func:`digits`, :func:`digits_split`: scikit-learn's bundled 8x8 digits, binarised.
* :func:`load_data`: ``"digits"``, ``"sample[:N]"`` or a ``.csv``/``.npy``/``.npz`` path.
* :func:`load_csv`, :func:`load_npy`, :func:`save_csv`: files (values read as text; the
  readers and writer live in ``zoo._data_files``).
* :func:`sample_network`: items drawn from a network's CPDs.
* :func:`conform`: data checked against a model's DAG (width, names, codes, labels).

Every problem is a ``ValueError`` that names the file and, where there is one, the column,
the row (or file line) and the offending value.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._data_files import load_csv, load_npy, save_csv
from .errors import ZooError
from .validate import positive_int

if TYPE_CHECKING:  # graphs is light, but data needs only the DAG's interface
    from graphs import DAG

__all__ = [
    "DIGITS_THRESHOLD",
    "DIGITS_TRAIN",
    "LABEL_COLUMNS",
    "SAMPLE_DEFAULT",
    "SUFFIXES",
    "Dataset",
    "conform",
    "digits",
    "digits_split",
    "load_csv",
    "load_data",
    "load_npy",
    "sample_network",
    "save_csv",
    "square_shape",
]

DIGITS_THRESHOLD = 7  # a pixel is on when its 0..16 intensity is above this
DIGITS_TRAIN = 1437  # first items of a default_rng(0) permutation; the other 360 are held out


@dataclass(frozen=True)
class Dataset:
    """Discrete data: ``x[i, j]`` is the state code of variable ``names[j]`` in item ``i``."""

    x: np.ndarray
    names: tuple[str, ...]
    cards: tuple[int, ...]
    y: np.ndarray | None = None
    label_card: int | None = None
    shape: tuple[int, int] | None = None
    states: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = "data"
    #: each item's place in its file (a CSV's line number, an array's row), for errors
    rows: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        x = np.asarray(self.x)
        if x.ndim != 2:
            raise ZooError(f"{self.source}: x must be 2-D (items, variables), got shape {x.shape}")
        if x.shape[1] != len(self.names) or len(self.cards) != len(self.names):
            raise ZooError(
                f"{self.source}: {x.shape[1]} columns but {len(self.names)} names and "
                f"{len(self.cards)} cards"
            )
        x = _as_codes(x, self.names, self.cards, self.source, self.rows)
        object.__setattr__(self, "x", x)
        if self.y is not None:
            if self.label_card is None:
                raise ZooError(f"{self.source}: labels given without label_card")
            y = np.asarray(self.y)
            if y.shape != (x.shape[0],):
                raise ZooError(
                    f"{self.source}: labels must have shape ({x.shape[0]},), got {y.shape}"
                )
            y = _as_codes(y[:, None], ("y",), (self.label_card,), self.source, self.rows)[:, 0]
            object.__setattr__(self, "y", y)

    def __repr__(self) -> str:
        labels = f", labels with {self.label_card} classes" if self.y is not None else ""
        return (
            f"<Dataset {self.source!r}: {self.n_items:,} items x {self.n_vars} variables{labels}>"
        )

    def _repr_html_(self) -> str:
        from .display import dataset_html

        return dataset_html(self)

    @property
    def n_items(self) -> int:
        """Number of items (rows of ``x``)."""
        return int(self.x.shape[0])

    @property
    def n_vars(self) -> int:
        """Number of variables (columns of ``x``)."""
        return int(self.x.shape[1])

    @property
    def labels(self) -> np.ndarray:
        """The class labels ``y``; ``ZooError`` when the data carry none."""
        if self.y is None:
            raise ZooError(f"{self.source}: the data carry no class labels")
        return self.y

    def take(self, index: np.ndarray | slice) -> Dataset:
        """The items at ``index`` (an index array or slice), as a new dataset."""
        y = None if self.y is None else self.y[index]
        return Dataset(
            self.x[index],
            self.names,
            self.cards,
            y,
            self.label_card,
            self.shape,
            self.states,
            self.source,
            None if self.rows is None else self.rows[index],
        )

    def split(self, test_fraction: float = 0.2, seed: int = 0) -> tuple[Dataset, Dataset]:
        """A seeded random split into (train, test)."""
        if not 0 < test_fraction < 1:
            raise ZooError(f"test_fraction must be in (0, 1), got {test_fraction}")
        perm = np.random.default_rng(seed).permutation(self.n_items)
        n_test = max(1, int(round(test_fraction * self.n_items)))
        if n_test >= self.n_items:
            raise ZooError(f"{self.source}: {self.n_items} items are too few to hold some out")
        return self.take(perm[n_test:]), self.take(perm[:n_test])


def _place(source: str, rows: np.ndarray | None, i: int) -> str:
    """Where item ``i`` is in its file: the line of a CSV, the row of an array (shuffling
    and splitting keep ``rows``, so the place is the file's, not the split's)."""
    if rows is None:
        return f"row {i}"
    return f"line {rows[i]}" if source.lower().endswith(".csv") else f"row {rows[i]}"


def _number(value: Any) -> str:
    """A value as written: whole numbers in full (no 9.22337e+18 for 2**63 - 1)."""
    return str(int(value)) if np.isfinite(value) and value == int(value) else f"{value:g}"


def _as_codes(
    x: np.ndarray,
    names: Sequence[str],
    cards: Sequence[int],
    source: str,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Check that every value is an integer state code in range; name the first bad one
    (at its place in the file when ``rows`` are known)."""
    if x.size == 0:
        raise ZooError(f"{source}: the data are empty (shape {x.shape})")
    if x.dtype.kind == "b":
        x = x.astype(np.int32)
    if x.dtype.kind not in "iuf":
        raise ZooError(f"{source}: values must be numbers (state codes), got dtype {x.dtype}")
    if x.dtype.kind == "f":
        bad = ~np.isfinite(x)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            at = _place(source, rows, i)
            raise ZooError(f"{source}: column {names[j]!r} has {x[i, j]} at {at}")
        frac = x != np.round(x)
        if frac.any():
            i, j = np.argwhere(frac)[0]
            raise ZooError(
                f"{source}: column {names[j]!r} has non-integer value {x[i, j]} at "
                f"{_place(source, rows, i)}"
            )
    cards_arr = np.asarray(cards)
    out = (x < 0) | (x >= cards_arr[None, :])
    if out.any():
        i, j = np.argwhere(out)[0]
        kind = "binary (0/1)" if cards[j] == 2 else f"states 0..{cards[j] - 1}"
        raise ZooError(
            f"{source}: column {names[j]!r} has value {_number(x[i, j])} at "
            f"{_place(source, rows, i)}; "
            f"the model expects {kind}"
        )
    return np.ascontiguousarray(x.astype(np.int32))


def digits(threshold: int = DIGITS_THRESHOLD) -> Dataset:
    """scikit-learn's bundled 8x8 digits (1,797 images), binarised at ``pixel > threshold``."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    x = (raw.data > threshold).astype(np.int32)
    names = tuple(f"x{i}" for i in range(64))
    return Dataset(x, names, (2,) * 64, raw.target.astype(np.int32), 10, (8, 8), source="digits")


def digits_split(split: int = 0) -> tuple[Dataset, Dataset]:
    """A train/test split of the digits: the first 1,437 items of a ``default_rng(split)``
    permutation train, the other 360 are held out; split 0 is the fixed default split."""
    data = digits()
    perm = np.random.default_rng(split).permutation(data.n_items)
    return data.take(perm[:DIGITS_TRAIN]), data.take(perm[DIGITS_TRAIN:])


def square_shape(n: int) -> tuple[int, int] | None:
    """``(side, side)`` when ``n`` variables fill a square image (``n >= 4``), else ``None``."""
    side = math.isqrt(n)
    return (side, side) if side * side == n and n >= 4 else None


# -- data by name, checked against a DAG, drawn from a network ------------------------

#: column names read as class labels (``Dataset.y``) when no DAG says otherwise
LABEL_COLUMNS = ("y", "label")
SUFFIXES = (".csv", ".npy", ".npz")
SAMPLE_DEFAULT = 2000  # items drawn by ``sample`` without a count


def load_data(spec: str | os.PathLike, dag: DAG | None = None, *, seed: int = 0) -> Dataset:
    """Data by name: ``"digits"`` (all 1,797 images), ``"sample"`` or ``"sample:N"`` (``N``
    items drawn from ``dag``'s CPDs with ``seed``), or a ``.csv``, ``.npy`` or ``.npz`` file.

    ``dag``, when given, supplies variable names, cardinalities and state names (see
    :func:`load_csv`). Any other suffix is a ``ValueError``.
    """
    text = os.fspath(spec)
    if text == "digits":
        return digits()
    if text == "sample" or text.startswith("sample:"):
        if dag is None or dag.cpds is None:
            raise ZooError(f"data {text!r} draws from a network's CPDs; this model has none")
        count = text.partition(":")[2] or str(SAMPLE_DEFAULT)
        if not count.isdigit() or int(count) < 1:
            raise ZooError(f"data {text!r}: expected sample:N with N a positive integer")
        from .inference._common import MEMORY_LIMIT

        need = 16 * int(count) * len(dag)  # the draws' uniforms and the codes, in bytes
        if need > MEMORY_LIMIT:
            raise ZooError(
                f"data {text!r}: {int(count):,} items of {len(dag)} variables would need "
                f"about {need / 2**30:.3g} GiB to draw (limit {MEMORY_LIMIT / 2**30:.0f} GiB, "
                "ZOO_MEMORY_LIMIT); ask for fewer items"
            )
        return sample_network(dag, int(count), seed=seed)
    suffix = Path(text).suffix.lower()
    if suffix not in SUFFIXES:
        raise ZooError(
            f"unknown data file type {suffix or '(no suffix)'!r} for {text!r}; expected "
            f"'digits', 'sample[:N]' or a file ending in {', '.join(SUFFIXES)}"
        )
    if suffix == ".csv":
        return load_csv(text, dag)
    return load_npy(text, dag)


def conform(data: Dataset, dag: DAG) -> Dataset:
    """``data`` checked against, and shaped for, the observed variables of ``dag``.

    The width must match (the error names both). Columns are reordered by name; when the
    names differ but no variable has state names (the pixel families, ``x0 .. x{n-1}``),
    the columns are taken as the variables in file order. Every code must lie within its
    variable's cardinality (an error names column, row and value, e.g. a 2 in a binary
    model), and a DAG with a label variable needs labels within its classes.
    """
    observed = tuple(n for n in dag.nodes if dag.role(n) == "observed")
    src = data.source
    if data.n_vars != len(observed):
        raise ZooError(
            f"{src}: the data have {data.n_vars} columns ({_preview(data.names)}) but "
            f"{dag.name!r} has {len(observed)} observed variables ({_preview(observed)})"
        )
    x = data.x
    if tuple(data.names) != observed:
        if set(data.names) == set(observed):
            x = x[:, [data.names.index(n) for n in observed]]
        elif any(dag.variable(n).states is not None for n in observed):
            bad = next(n for n in data.names if n not in observed)
            raise ZooError(
                f"{src}: column {bad!r} is not a variable of {dag.name!r} "
                f"(its variables: {_preview(observed)})"
            )
    cards = tuple(finite_card(dag, n) for n in observed)
    for name in observed:  # state names in the data must be the DAG's
        var = dag.variable(name)
        have = data.states.get(name)
        if have is not None and var.states is not None and tuple(have) != var.states:
            raise ZooError(
                f"{src}: variable {name!r} has states {list(have)} in the data but "
                f"{list(var.states)} in {dag.name!r}"
            )
    x = _as_codes(x, observed, cards, src, data.rows)
    y, label_card = data.y, data.label_card
    labels = dag.with_role("label")
    if labels:
        card = finite_card(dag, labels[0])
        if y is None:
            raise ZooError(
                f"{src}: {dag.name!r} needs class labels for {labels[0]!r}: a column named "
                f"{' or '.join(map(repr, LABEL_COLUMNS))} in a CSV file, or 'y' in an .npz file"
            )
        y = _as_codes(y[:, None], (labels[0],), (card,), src, data.rows)[:, 0]
        label_card = card
    states = {v.name: v.states for v in dag.variables if v.states is not None}
    shape = _dag_shape(dag) or (
        data.shape if data.shape and math.prod(data.shape) == len(observed) else None
    )
    return Dataset(x, observed, cards, y, label_card, shape, states, src, data.rows)


def sample_network(dag: DAG, n: int, seed: int = 0) -> Dataset:
    """``n`` items drawn from ``dag``'s CPDs (a pgmpy or BIF network) by ancestral sampling.

    NumPy in topological order with ``default_rng(seed)``: the same seed gives the same
    items, and the first ``k`` items are the same whatever ``n``. Columns are the observed
    variables in DAG node order; a label variable becomes the labels; latent variables are
    drawn and dropped.
    """
    if dag.cpds is None:
        raise ZooError(f"{dag.name!r} carries no CPDs to sample from")
    n = positive_int("the number of items", n)
    # One row of uniforms per item, so the first k items do not depend on n.
    uniforms = np.random.default_rng(seed).random((n, len(dag)))
    values: dict[str, np.ndarray] = {}
    for k, node in enumerate(dag.topological_order()):
        cpd = dag.cpds[node]
        parents = dag.parents(node)
        if parents:
            index: tuple[Any, ...] = (slice(None), *(values[p] for p in parents))
            probs = cpd[index]  # (card, n)
        else:
            probs = np.broadcast_to(cpd[:, None], (cpd.shape[0], n))
        # Inverse CDF; the clip guards against the last cumulative sum falling below 1.
        below = uniforms[None, :, k] >= np.cumsum(probs, axis=0)
        values[node] = np.minimum(below.sum(axis=0), cpd.shape[0] - 1)
    observed = tuple(v for v in dag.nodes if dag.role(v) == "observed")
    labels = dag.with_role("label")
    x = np.stack([values[v] for v in observed], axis=1)
    return Dataset(
        x,
        observed,
        tuple(finite_card(dag, v) for v in observed),
        values[labels[0]] if labels else None,
        dag.card(labels[0]) if labels else None,
        _dag_shape(dag),
        {v.name: v.states for v in dag.variables if v.states is not None},
        source=f"{n} samples from {dag.name}",
    )


def finite_card(dag: DAG, node: str) -> int:
    """``dag.card(node)`` of a variable with finite states, as every variable of the zoo's
    data and tabular families has (graphs also allows ``None``, for a program's sites)."""
    card = dag.card(node)
    assert card is not None, f"{node!r} has no finite set of states"
    return card


def _dag_shape(dag: DAG) -> tuple[int, int] | None:
    """The image shape when the observed variables are pixels in raster order."""
    observed = [dag.variable(n) for n in dag.nodes if dag.role(n) == "observed"]
    if not dag.has_positions:
        return None
    pos = [v.pos for v in observed if v.pos is not None]  # all of them, has_positions says
    rows = max(p[0] for p in pos) + 1
    cols = max(p[1] for p in pos) + 1
    raster = all(v.pos == divmod(j, cols) for j, v in enumerate(observed))
    return (rows, cols) if raster and rows * cols == len(observed) else None


def _preview(names: Iterable[str], k: int = 5) -> str:
    names = list(names)
    return ", ".join(names[:k]) + (f", ... ({len(names)} in all)" if len(names) > k else "")
