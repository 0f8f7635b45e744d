"""The helpers every renderer shares: reading saved files, Markdown tables and cells."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

from mkdocs.exceptions import PluginError

DOCS = Path(__file__).resolve().parent.parent


def existing(path: Path) -> Path:
    """``path``, or a build error if a page names a file that was never made."""
    if not path.is_file():
        raise PluginError(f"docs hook: {path} is missing; see the command on the page")
    return path


def read_json(path: Path) -> dict:
    return json.loads(existing(path).read_text(encoding="utf-8"))


def table(head: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def md(text: str) -> str:
    """Plain text made safe inside Markdown (help strings hold ``|``, ``*``, ``<``, ``_``)."""
    text = html.escape(str(text), quote=False)
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", text)


def num(value, fmt: str = "{}") -> str:
    return "-" if value is None else fmt.format(value)


def options(words: list[str]) -> dict:
    """``key=value`` words as the options of a family (``true`` and digits parsed)."""
    out = {}
    for word in words:
        key, _, value = word.partition("=")
        out[key] = int(value) if value.isdigit() else {"true": True}.get(value, value)
    return out


# A column: its header, what it shows (a dotted key into the record, or a function of the
# record) and the format of the value; a missing or null value shows as "-".
Column = tuple[str, str | Callable[[dict], object], str]


def _value(record: dict, key: str | Callable[[dict], object]):
    if callable(key):
        return key(record)
    for part in key.split("."):
        record = record.get(part) if isinstance(record, dict) else None
    return record


def records_table(records: list[dict], columns: list[Column]) -> str:
    """One row per record, one cell per column."""
    rows = [[num(_value(r, key), fmt) for _, key, fmt in columns] for r in records]
    return table([head for head, _, _ in columns], rows)
