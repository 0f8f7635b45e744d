"""``zoo fit FILE.py:FUNCTION``: fit the user's own NumPyro program by NUTS or SVI."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import ZooError
from ..progress import wanted
from ._args import OPTION_NAMES
from ._shared import check_out, load_bound, note, timeout, user_program, warn
from .fit import PROGRAM_TIMEOUT

_FAMILY_ONLY = ("test", "guide", "batch_size")


def run(args: argparse.Namespace) -> None:
    from .. import save, setup
    from ..card import format_card
    from ..cards import dumps

    given = [f"--{k.replace('_', '-')}" for k in OPTION_NAMES if getattr(args, k) is not None]
    given += [f"--{k.replace('_', '-')}" for k in _FAMILY_ONLY if getattr(args, k) is not None]
    if given:
        raise ZooError(f"option {given[0]} applies to the zoo's families, not to a program")
    if args.method == "exact":
        raise ZooError("method 'exact' needs a conjugate family; a program takes nuts or svi")
    out = check_out(args.out) if args.out else None
    setup()  # before the program's module imports and runs JAX
    with user_program(args.family, args.json):  # the card's scores run the program too
        card, result, method, bound = _fit(args)
        warn(card.diagnostics.to_json())
        if out is not None:
            import graphs

            from ..figures import elbo_figure, rank_figure

            figures = {"dag.png": graphs.draw_dag(bound.structure.dag)}
            figures["ranks.png" if method == "nuts" else "elbo.png"] = (
                rank_figure(result) if method == "nuts" else elbo_figure(result.elbo)
            )
            names = save(result, out, card=card, figures=figures)
            note(f"wrote {out}/: {', '.join(names)}")
    print(dumps(card) if args.json else format_card(card))


def _fit(args: argparse.Namespace) -> tuple[Any, Any, str, Any]:
    """``(card, result, method, bound)``: the program loaded (within --timeout), fitted and
    scored."""
    from ..assess import fit_card
    from ..programs import check_fittable, fit_program

    with timeout(args.timeout or PROGRAM_TIMEOUT, args.family):
        bound = load_bound(args.family, args.data)
    kwargs = {
        k: getattr(args, k)
        for k in ("chains", "warmup", "draws", "steps", "learning_rate")
        if getattr(args, k) is not None
    }
    method = args.method or "nuts"
    check_fittable(bound)
    note(f"fitting {args.family} by {method} (seed {args.seed}) ...")
    result = fit_program(bound, method, seed=args.seed, progress=wanted(args.json), **kwargs)
    return fit_card(result, program=args.family), result, method, bound
