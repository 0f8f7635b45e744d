"""The user's data files: :func:`load_csv` and :func:`load_npy` read them into a
:class:`~zoo.data.Dataset`, :func:`save_csv` writes one back. Values are read as text, so
a state called ``None`` or ``NA`` stays a state.

Every problem is a ``ValueError`` that names the file and, where there is one, the column,
the line (or row) and the offending value. The public names are re-exported by
:mod:`zoo.data`.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from graphs.files import atomic_path

from .errors import ZooError

if TYPE_CHECKING:
    from graphs import DAG

    from .data import Dataset


#: the largest state code a file may hold (codes are stored as int32)
MAX_CODE = int(np.iinfo(np.int32).max) - 1


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ZooError(f"data file not found: {str(path)!r}")


def load_csv(path: str | os.PathLike, dag: DAG | None = None) -> Dataset:
    """Read a CSV file: a header of variable names, then one item per line.

    Every value is read as text, so a state called ``None`` or ``NA`` stays a state. With a
    ``dag`` the columns are matched to its observed variables by name (any order; missing
    or extra columns are errors), state names are mapped to codes through each variable's
    ``states`` (a column that names no state and holds only integers is read as codes
    ``0 .. card-1``, as is a variable without state names), and the column of the DAG's
    label variable, if any, becomes the labels. Without a ``dag`` every value must be an
    integer code, the cardinality of a column is its largest code + 1 (at least 2), and a
    column named ``y`` or ``label`` holds class labels (``Dataset.y``), not a variable.
    Blank lines are skipped; errors name the file, column, line and value.
    """
    path = Path(path)
    src = str(path)
    _check_file(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            rows: list[tuple[int, list[str]]] = []
            for row in reader:
                if any(cell.strip() for cell in row):
                    rows.append((reader.line_num, [cell.strip() for cell in row]))
    except UnicodeDecodeError as err:
        raise ZooError(f"{src}: not a UTF-8 text file ({err.reason})") from None
    except csv.Error as err:
        raise ZooError(f"{src}: not a valid CSV file ({err})") from None
    if header is None or not any(h.strip() for h in header):
        raise ZooError(f"{src}: the file is empty (expected a header of variable names)")
    names = [h.strip() for h in header]
    for j, name in enumerate(names):
        if not name:
            raise ZooError(f"{src}: header column {j + 1} has no name")
        if names.index(name) != j:
            raise ZooError(f"{src}: column {name!r} appears twice in the header")
    if not rows:
        raise ZooError(f"{src}: the data are empty (a header but no rows)")
    for line, row in rows:
        if len(row) != len(names):
            raise ZooError(
                f"{src}: line {line} has {len(row)} values but the header names "
                f"{len(names)} columns"
            )
    lines = [line for line, _ in rows]
    column = {name: [row[j] for _, row in rows] for j, name in enumerate(names)}
    if dag is None:
        return _csv_plain(src, names, column, lines)
    return _csv_dag(src, names, column, lines, dag)


def _parse_codes(
    src: str, name: str, values: list[str], lines: list[int], card: int | None = None
) -> np.ndarray:
    """Integer state codes of one column; the first bad value named with its line."""
    out = np.empty(len(values), dtype=np.int64)
    for i, text in enumerate(values):
        try:
            code = int(text)
        except ValueError:
            want = f"0..{card - 1}" if card else "0, 1, ..."
            raise ZooError(
                f"{src}: column {name!r}, line {lines[i]}: {text!r} is not an integer state "
                f"code (expected {want})"
            ) from None
        if code < 0 or (card is not None and code >= card):
            want = "binary (0/1)" if card == 2 else f"0..{card - 1}" if card else "codes >= 0"
            raise ZooError(
                f"{src}: column {name!r}, line {lines[i]}: state code {code} is out of range "
                f"(expected {want})"
            )
        if code > MAX_CODE:
            raise ZooError(
                f"{src}: column {name!r}, line {lines[i]}: state code {code} is too large (a "
                f"state code is at most {MAX_CODE:,})"
            )
        out[i] = code
    return out


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _parse_states(
    src: str, name: str, values: list[str], lines: list[int], states: Sequence[str]
) -> np.ndarray:
    index = {s: k for k, s in enumerate(states)}
    out = np.empty(len(values), dtype=np.int64)
    for i, text in enumerate(values):
        if text not in index:
            raise ZooError(
                f"{src}: column {name!r}, line {lines[i]}: unknown state {text!r}; "
                f"expected one of {list(states)}"
            )
        out[i] = index[text]
    return out


def _csv_plain(src: str, names: list[str], column: dict, lines: list[int]) -> Dataset:
    labels = [n for n in names if n in _data.LABEL_COLUMNS]
    if len(labels) > 1:
        raise ZooError(f"{src}: both {labels[0]!r} and {labels[1]!r} look like label columns")
    y = label_card = None
    if labels:
        y = _parse_codes(src, labels[0], column[labels[0]], lines)
        label_card = max(2, int(y.max()) + 1)
    variables = [n for n in names if n not in labels]
    if not variables:
        raise ZooError(f"{src}: no variable columns besides the label {labels[0]!r}")
    x = np.stack([_parse_codes(src, n, column[n], lines) for n in variables], axis=1)
    cards = tuple(max(2, int(c) + 1) for c in x.max(axis=0))
    shape = _data.square_shape(len(variables)) if _pixel_names(variables) else None
    rows = np.asarray(lines)
    return _data.Dataset(x, tuple(variables), cards, y, label_card, shape, source=src, rows=rows)


def _csv_dag(src: str, names: list[str], column: dict, lines: list[int], dag: DAG) -> Dataset:
    observed = [n for n in dag.nodes if dag.role(n) == "observed"]
    labels = list(dag.with_role("label"))
    wanted = observed + labels
    for name in names:
        if name not in wanted:
            raise ZooError(
                f"{src}: column {name!r} is not an observed variable of {dag.name!r} "
                f"(its variables: {_data._preview(wanted)})"
            )
    for name in wanted:
        if name not in column:
            raise ZooError(f"{src}: no column for variable {name!r} of {dag.name!r}")

    def codes(name: str) -> np.ndarray:
        var, values = dag.variable(name), column[name]
        # A column of a named variable holds its state names, or else only integer codes.
        if var.states is not None and (
            any(v in var.states for v in values) or not all(_is_int(v) for v in values)
        ):
            return _parse_states(src, name, values, lines, var.states)
        return _parse_codes(src, name, values, lines, var.card)

    x = np.stack([codes(n) for n in observed], axis=1)
    y = codes(labels[0]) if labels else None
    label_card = dag.card(labels[0]) if labels else None
    states = {v.name: v.states for v in dag.variables if v.states is not None}
    cards = tuple(_data.finite_card(dag, n) for n in observed)
    shape = _data._dag_shape(dag)
    rows = np.asarray(lines)
    return _data.Dataset(x, tuple(observed), cards, y, label_card, shape, states, src, rows)


def load_npy(path: str | os.PathLike, dag: DAG | None = None) -> Dataset:
    """Read a 2-D integer or boolean array of state codes (items x variables) from ``.npy``,
    or arrays ``x`` and optional labels ``y`` from ``.npz``.

    Columns are the variables ``x0 .. x{n-1}`` (or, with a ``dag``, its observed variables in
    node order, with their cardinalities and state names). Without a ``dag`` a column's
    cardinality is its largest code + 1 (at least 2). Floats are accepted only when every
    value is a whole number; NaN, inf, negative codes and empty arrays are errors.
    """
    path = Path(path)
    src = str(path)
    _check_file(path)
    try:
        loaded = np.load(path, allow_pickle=False)
    except Exception as err:  # numpy raises several kinds for a bad file; report one
        raise ZooError(f"{src}: cannot read as a NumPy array ({err})") from None
    y = None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            if "x" not in loaded.files:
                raise ZooError(f"{src}: an .npz file needs an array named 'x' (has {loaded.files})")
            x = loaded["x"]
            y = loaded["y"] if "y" in loaded.files else None
    else:
        x = loaded
    if x.ndim != 2:
        raise ZooError(f"{src}: expected a 2-D array (items, variables), got shape {x.shape}")
    if x.size == 0:
        raise ZooError(f"{src}: the data are empty (shape {x.shape})")
    if dag is not None:
        observed = tuple(n for n in dag.nodes if dag.role(n) == "observed")
        if x.shape[1] != len(observed):
            raise ZooError(
                f"{src}: {x.shape[1]} columns but {dag.name!r} has {len(observed)} observed "
                "variables"
            )
        labels = dag.with_role("label")
        states = {v.name: v.states for v in dag.variables if v.states is not None}
        return _data.Dataset(
            x,
            observed,
            tuple(_data.finite_card(dag, n) for n in observed),
            y if labels else None,
            dag.card(labels[0]) if labels and y is not None else None,
            _data._dag_shape(dag),
            states,
            source=src,
            rows=np.arange(x.shape[0]),
        )
    names = tuple(f"x{j}" for j in range(x.shape[1]))
    x = _whole_codes(x, names, src)
    cards = tuple(max(2, int(c) + 1) for c in x.max(axis=0))
    label_card = None
    if y is not None:
        y = _whole_codes(np.asarray(y).reshape(-1, 1), ("y",), src)[:, 0]
        label_card = max(2, int(y.max()) + 1)
    shape = _data.square_shape(len(names))
    rows = np.arange(x.shape[0])
    return _data.Dataset(x, names, cards, y, label_card, shape, source=src, rows=rows)


def _whole_codes(x: np.ndarray, names: Sequence[str], src: str) -> np.ndarray:
    """Check finiteness, wholeness and sign before any cardinality is known."""
    if x.size == 0:
        raise ZooError(f"{src}: the data are empty (shape {x.shape})")
    return _data._as_codes(x, names, (MAX_CODE + 1,) * len(names), src)


def save_csv(data: Dataset, path: str | os.PathLike, label: str = "y") -> Path:
    """Write ``data`` as CSV that :func:`load_csv` reads back: state names where the data
    have them, else integer codes; the labels, if any, as a last column named ``label``
    (``"y"`` by default). Written to a temporary name, then moved into place."""
    path = Path(path)
    header = list(data.names)
    cols = [_column_text(data, j, name) for j, name in enumerate(data.names)]
    if data.y is not None:
        header.append(label)
        states = data.states.get(label)
        cols.append([states[c] for c in data.y] if states else [str(c) for c in data.y])
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(zip(*cols, strict=True))
    return path


def _column_text(data: Dataset, j: int, name: str) -> list[str]:
    states = data.states.get(name)
    codes = data.x[:, j]
    return [states[c] for c in codes] if states else [str(c) for c in codes]


def _pixel_names(names: Sequence[str]) -> bool:
    return list(names) == [f"x{j}" for j in range(len(names))]


# Last, and the module rather than its names: zoo.data re-exports this module's functions,
# which build its Dataset, so whichever of the two is imported first, the other finds what
# it needs already defined.
from . import data as _data  # noqa: E402
