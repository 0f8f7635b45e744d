"""Pieces the example scripts share: an integer flag with a floor, progress lines, JSON
written whole, and a ``main`` that turns a bad ``--out`` or bad input into one line; the
``examples/analyze_*.py`` scripts are each one call of :func:`analysis_main`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from graphs.files import atomic_path, writable_folder

from .validate import SEED_MAX, int_flag


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


def analysis_flags(name: str) -> list[tuple[str, dict]]:
    """The flags of ``examples/analyze_NAME.py`` beyond ``--size``, ``--seed`` and ``--out``:
    ``(flag, argparse options)`` pairs, each flag named after the keyword of analysis
    ``name`` that it overrides (none given keeps the preset's value)."""
    from .analyses.anomaly import FAMILIES
    from .analyses.inpaint import FAMILIES as INPAINT
    from .analyses.ng_jordan import DATASETS
    from .models._flow_toys import TOYS

    flags: dict[str, list[tuple[str, dict[str, Any]]]] = {
        "ng-jordan": [
            ("--repeats", {"type": int, "help": "random splits per dataset (preset: 4 / 20)"}),
            ("--datasets", {"nargs": "+", "choices": DATASETS, "help": "default: the preset's"}),
            (
                "--stratify",
                {
                    "action": "store_true",
                    "help": "training sets keep the class shares of the split",
                },
            ),
        ],
        "double-counting": [
            ("--train-items", {"type": int, "help": "training emails (preset: 500 / 2000)"})
        ],
        "missing": [
            (
                "--rates",
                {"type": float, "nargs": "+", "help": "shares of hidden pixels, in [0, 1)"},
            ),
            ("--masks", {"type": int, "help": "random masks per rate (preset: 2 / 5)"}),
        ],
        "anomaly": [
            ("--families", {"nargs": "+", "choices": list(FAMILIES), "help": "default: all"})
        ],
        "inpaint": [
            (
                "--families",
                {"nargs": "+", "choices": list(INPAINT), "help": "default: the preset's"},
            )
        ],
        "semi-supervised": [
            ("--labels", {"type": int, "nargs": "+", "help": "numbers of labelled digits"}),
            ("--repeats", {"type": int, "help": "random labellings (preset: 2 / 5)"}),
        ],
        "toys": [
            ("--toys", {"nargs": "+", "choices": TOYS, "help": "default: all three"}),
            ("--diffusion-steps", {"type": int, "help": "training steps (preset: 3000 / 10000)"}),
        ],
    }
    return flags[name]


def analysis_main(doc: str, name: str, argv: Sequence[str] | None = None) -> int:
    """The ``main`` of ``examples/analyze_NAME.py`` for analysis ``name`` (whose description
    is the first line of ``doc``): parse ``argv`` (``--size``, ``--seed``, ``--out`` and
    :func:`analysis_flags`), then :func:`run_example` with the flags given."""
    from .analyses import SIZES, get_analysis
    from .analyses.cli import DEFAULT_OUT

    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--size", choices=SIZES, default="small")
    p.add_argument("--seed", type=int_flag(0, "--seed", SEED_MAX), default=0)
    p.add_argument("--out", default=f"{DEFAULT_OUT}/{name}")
    for flag, options in analysis_flags(name):
        p.add_argument(flag, **options)
    args = p.parse_args(argv)
    flags = {k: v for k, v in vars(args).items() if k not in ("size", "seed", "out")}
    return run_example(get_analysis(name), args, **flags)


def run_example(run_fn: Callable[..., Any], args: argparse.Namespace, **options: Any) -> int:
    """Run an analysis for an example script, print its finding and table, and write its
    result and figures into ``args.out``; a bad ``--out`` is one line on standard error and
    exit status 2."""
    from .analyses import write_result
    from .analyses.cli import check_out, format_result

    try:
        check_out(args.out)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    result = run_fn(size=args.size, seed=args.seed, progress=note, **options)
    files = write_result(result, args.out)
    print(format_result(result))
    note(f"wrote {args.out}/: {', '.join(files)}")
    return 0
