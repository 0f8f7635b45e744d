"""Pieces the example scripts share: an integer flag with a floor, progress lines, JSON
written whole, and a ``main`` that turns a bad ``--out`` or bad input into one line. (The
``analyze_*`` scripts share theirs in :mod:`zoo.analyses.cli`.)"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from graphs.files import atomic_path, writable_folder

from .validate import int_flag


def count(low: int) -> Callable[[str], int]:
    """An argparse type: an integer no smaller than ``low`` (:func:`zoo.validate.int_flag`,
    whose messages say what was expected, for flags that argparse names in front)."""
    return int_flag(low)


def note(line: str) -> None:
    """A progress line on standard error."""
    print(line, file=sys.stderr, flush=True)


def write_json(data: dict, path: Path) -> None:
    """``data`` (made JSON-ready by :func:`zoo.card.jsonable`) written atomically."""
    from .card import jsonable

    text = json.dumps(jsonable(data), indent=2, ensure_ascii=False) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def script_main(
    script: str,
    parser: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace, Path], tuple[dict, dict, list[str]]],
    argv: Sequence[str] | None = None,
) -> int:
    """Parse ``argv``, check ``--out``, call ``run(args, out) -> (result, timings, files)``
    and write ``result.json`` and ``timings.json``; a ``ValueError`` is one line and exit 2."""
    args = parser.parse_args(argv)
    try:
        out = writable_folder(args.out)
        out.mkdir(parents=True, exist_ok=True)
        result, timings, files = run(args, out)
    except ValueError as err:
        print(f"{Path(script).name}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    write_json(result, out / "result.json")
    write_json(timings, out / "timings.json")
    note(f"wrote {out}/: result.json, timings.json, {', '.join(files)}")
    return 0
