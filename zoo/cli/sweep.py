"""``zoo sweep FILE.py:FUNCTION --data D --grid key=v1,v2 ...``: the user's program fitted over
a grid of its arguments and several seeds, as Dask tasks; a table and a figure."""

from __future__ import annotations

import argparse
import json

from ..errors import ZooError
from ..progress import wanted
from ._args import Subparsers, int_at_least, positive_float
from ._shared import add_sweep_options, check_out, note, sweep_executor


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "sweep", help="fit your program over a grid of arguments and seeds (Dask tasks)"
    )
    p.add_argument("program", metavar="FILE.py:FUNCTION", help="your NumPyro program")
    p.add_argument("--data", metavar="FILE.json", help="its data (as for zoo fit)")
    p.add_argument(
        "--grid",
        nargs="+",
        metavar="KEY=V1,V2",
        required=True,
        help="arguments of the program and their values (JSON: 3, 0.5, true, or text); "
        "every combination is fitted",
    )
    p.add_argument("--seeds", type=int_at_least(1, "--seeds"), default=1, help="seeds per point")
    p.add_argument("--seed", type=int_at_least(0, "--seed"), default=0, help="first seed (0)")
    p.add_argument("--method", choices=["nuts", "svi"], default="nuts", help="nuts (default)")
    p.add_argument("--chains", type=int_at_least(1, "--chains"), help="NUTS chains")
    p.add_argument("--warmup", type=int_at_least(1, "--warmup"), help="NUTS warm-up draws")
    p.add_argument("--draws", type=int_at_least(1, "--draws"), help="posterior draws")
    p.add_argument("--steps", type=int_at_least(1, "--steps"), help="SVI steps")
    p.add_argument(
        "--learning-rate", type=positive_float("--learning-rate"), help="SVI learning rate"
    )
    p.add_argument("--out", metavar="DIR", help="write sweep.json and sweep.png here")
    p.add_argument("--json", action="store_true", help="print sweep.json instead of the table")
    add_sweep_options(p)


def run(args: argparse.Namespace) -> None:
    from ..program_sweep import parse_grid, points
    from ..programs import SPEC_HINT, is_program_spec, load_program, read_data

    if not is_program_spec(args.program):
        raise ZooError(f"program {args.program!r}: {SPEC_HINT}")
    grid = parse_grid(args.grid)
    out = check_out(args.out) if args.out else None
    executor = sweep_executor(args)
    from .. import setup

    setup()  # before the program's module imports and runs JAX
    load_program(args.program)  # a missing file or function fails here, once
    if args.data:
        read_data(args.data)
    options = {
        k: getattr(args, k)
        for k in ("chains", "warmup", "draws", "steps", "learning_rate")
        if getattr(args, k) is not None
    }
    from ..program_sweep import format_sweep, sweep, sweep_figure

    n = len(points(grid)) * args.seeds
    note(f"{n} tasks ({len(points(grid))} grid points x {args.seeds} seeds each): {executor}")
    record = sweep(
        args.program,
        args.data,
        grid,
        seeds=args.seeds,
        seed=args.seed,
        method=args.method,
        options=options,
        progress=wanted(args.json),
        say=note,
        **executor.kwargs(),
    )
    seconds = record.pop("seconds")
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    if out is not None:
        import graphs
        from graphs.files import atomic_path

        out.mkdir(parents=True, exist_ok=True)
        for name, body in (("sweep.json", text), ("timings.json", json.dumps(seconds) + "\n")):
            with atomic_path(out / name) as tmp:
                tmp.write_text(body, encoding="utf-8")
        graphs.save_figure(sweep_figure(record), out / "sweep.png")
        note(f"wrote {out}/: sweep.json, timings.json, sweep.png")
    print(text.rstrip() if args.json else format_sweep(record))
    if record["failures"]:
        first = record["failures"][0]
        raise ZooError(
            f"{len(record['failures'])} of {n} tasks failed; first: {first['task']}: "
            f"{first['error']}"
        )
