"""``zoo fit FAMILY``: fit a family to data and print its card (diagnostics and held-out
score); ``--out`` saves the fit. A program (``FILE.py:FUNCTION``) goes to
:mod:`zoo.cli.fit_program`.

Every check on the data and options runs before JAX is imported.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from ..errors import ZooError
from ..models import FAMILIES, get_family, methods
from ..options import family_options
from ..progress import wanted
from ..validate import SEED_MAX
from ._args import Subparsers, add_family_options, given, int_at_least, positive_float
from ._shared import check_out, note, warn

if TYPE_CHECKING:
    from ..data import Dataset

#: seconds a program may take to load and trace, unless --timeout says otherwise
PROGRAM_TIMEOUT = 300.0


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("fit", help="fit a family to data: its card with diagnostics and score")
    p.add_argument(
        "family",
        metavar="FAMILY|FILE.py:FUNCTION",
        help=f"one of {', '.join(FAMILIES)}, or your own NumPyro program (--data: a JSON "
        "file whose keys name its arguments and observed sites)",
    )
    add_family_options(p)
    g = p.add_argument_group("data")
    g.add_argument(
        "--data",
        metavar="digits|sample[:N]|PATH",
        help="training data: the bundled digits (the default; held-out items are its fixed "
        "360-item split), N items drawn from a network's CPDs (the default for bayesnet), "
        "or a .csv/.npy/.npz file; for a program, a .json file",
    )
    g.add_argument(
        "--test",
        metavar="PATH",
        help="held-out data (default: a seeded 20 percent of --data, or the digits split)",
    )
    g = p.add_argument_group("inference")
    g.add_argument("--method", choices=methods(), help="default: the family's")
    g.add_argument("--chains", type=int_at_least(1, "--chains"), help="chains (default 4)")
    g.add_argument("--warmup", type=int_at_least(1, "--warmup"), help="warmup (default 1000)")
    g.add_argument("--draws", type=int_at_least(1, "--draws"), help="draws per chain (1000)")
    g.add_argument("--steps", type=int_at_least(1, "--steps"), help="SVI steps (default 3000)")
    g.add_argument("--seed", type=int_at_least(0, "--seed", SEED_MAX), default=0, help="seed (0)")
    g.add_argument(
        "--guide", choices=["normal", "map", "lowrank"], help="SVI guide (default: the family's)"
    )
    g.add_argument("--learning-rate", type=positive_float("--learning-rate"), help="Adam (0.01)")
    g.add_argument("--batch-size", type=int_at_least(1, "--batch-size"), help="SVI minibatch")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="save idata.nc (ArviZ InferenceData), card.json and figures (PNG) in DIR",
    )
    p.add_argument("--json", action="store_true", help="print the card as JSON")
    p.add_argument(
        "--timeout",
        type=positive_float("--timeout"),
        metavar="SECONDS",
        help="a program only: stop with an error if loading and tracing it takes longer "
        f"(default {PROGRAM_TIMEOUT:g} s; an endless loop ends here)",
    )


def _note_constant(train: Dataset) -> None:
    same = (train.x == train.x[:1]).all(axis=0)
    constant = [n for n, c in zip(train.names, same, strict=True) if c]
    if constant:
        shown = ", ".join(constant[:8]) + (
            f", ... ({len(constant)} in all)" if len(constant) > 8 else ""
        )
        note(f"note: constant in the training data (their posteriors rest on one value): {shown}")


def run(args: argparse.Namespace) -> None:
    from ..programs import is_program_spec

    if is_program_spec(args.family):
        from .fit_program import run as run_program

        run_program(args)
        return
    from ..card import format_card
    from ..data import conform
    from ..sources import describe, open_data

    if args.timeout is not None:
        raise ZooError("option --timeout applies to a program (FILE.py:FUNCTION), not a family")
    spec = get_family(args.family)
    options = given(spec, args)
    out = check_out(args.out) if args.out else None
    # A family without --n (bayesnet) has its variables, and their states, before the data.
    source_dag = None if "n" in spec.options else spec.build(**options)
    train, test, source = open_data(args.data, args.test, source_dag, seed=args.seed)
    data_info = describe(source, train, test)
    start = time.perf_counter()
    options = family_options(spec, options, train, test)
    learning = time.perf_counter() - start if spec.learn else None
    dag = spec.build(**options)
    renamed = train.names
    train, test = conform(train, dag), conform(test, dag)
    if tuple(renamed) != train.names:
        note(f"columns {', '.join(renamed[:3])}, ... read as {', '.join(train.names[:3])}, ...")

    from .. import save, setup  # JAX from here on
    from ..assess import fit_card
    from ..cards import dumps
    from ..fit import fit
    from ..models import make_model

    setup()
    model = make_model(spec.name, **options)
    model.check_data(train)
    model.check_data(test)
    model.check_training(train)
    _note_constant(train)
    method = args.method or model.default_method
    kwargs = {
        k: getattr(args, k)
        for k in ("chains", "warmup", "draws", "steps", "guide", "learning_rate", "batch_size")
        if getattr(args, k) is not None
    }
    progress = wanted(args.json)
    note(
        f"fitting {spec.name} ({train.n_vars} variables) to {train.n_items:,} items by "
        f"{method} (seed {args.seed}) ..."
    )
    result = fit(model, train, method=args.method, seed=args.seed, progress=progress, **kwargs)
    note(f"fitted in {result.seconds['total']:.1f} s; diagnostics and held-out score ...")
    if learning is not None:  # the structure learned from the training items, before the fit
        result.seconds["structure_learning"] = learning
    card = fit_card(result, test, options=options, data=data_info)
    warn(card.diagnostics.to_json())
    if out is not None:
        from ..figures import fit_figures

        figures = fit_figures(result, train.shape, seed=args.seed, data=test)
        names = save(result, out, card=card, figures=figures)
        note(f"wrote {out}/: {', '.join(names)}")
    print(dumps(card) if args.json else format_card(card))
