"""Records as plain data: the pieces every ``to_dict`` / ``to_json`` / ``summary`` of a result
dataclass repeats, so each of them lists only its keys."""

from __future__ import annotations

from typing import Any


def fields(obj: object, *names: str) -> dict[str, Any]:
    """``{name: obj.name}`` for each of ``names``, in their order (JSON keys keep it)."""
    return {name: getattr(obj, name) for name in names}


def lists_for_tuples(mapping: dict[str, Any]) -> dict[str, Any]:
    """``mapping`` with its tuple values as lists (what ``json`` writes them as), so the
    record equals its own JSON round trip."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in mapping.items()}


__all__ = ["fields", "lists_for_tuples"]
