"""The ``zoo`` command.

``list``, ``show`` and ``dsep`` read structure only and never import JAX; ``fit`` imports it
once the data and options have passed their checks. Bad input ends with one line on stderr
that names the problem and exit code 2, never a traceback, and nothing written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from graphs.files import atomic_path, writable_folder

from .models import FAMILIES, get_family

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def _int_at_least(low: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{what} must be >= {low}, got {value}")
        return value

    return parse


def _family_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("family options (each family takes the ones it lists in `zoo list`)")
    g.add_argument(
        "--n", type=_int_at_least(1, "--n"), help="variables (default 64; fit: the data's width)"
    )
    g.add_argument("--classes", type=_int_at_least(2, "--classes"), help="classes K (default 10)")
    g.add_argument("--order", type=_int_at_least(1, "--order"), help="Markov order k (default 1)")
    g.add_argument("--grid", action="store_true", default=None, help="2-D neighbourhood chain")
    g.add_argument("--conditional", choices=["logistic", "neural"], help="autoregressive form")
    g.add_argument("--hidden", type=_int_at_least(1, "--hidden"), help="MADE hidden units (64)")
    g.add_argument("--network", metavar="NAME", help="a pgmpy bundled network, e.g. alarm")
    g.add_argument("--bif", metavar="FILE", help="a BIF file")


_OPTION_NAMES = ("n", "classes", "order", "grid", "conditional", "hidden", "network", "bif")


def _given(spec, args: argparse.Namespace) -> dict:
    """The family options given on the command line; an error for one the family lacks."""
    given = {k: getattr(args, k) for k in _OPTION_NAMES if getattr(args, k) is not None}
    foreign = [k for k in given if k not in spec.options]
    if foreign:
        allowed = ", ".join(f"--{o}" for o in spec.options) or "none"
        raise ValueError(
            f"option --{foreign[0]} does not apply to family {spec.name!r} (its options: {allowed})"
        )
    return given


def _build(family: str, args: argparse.Namespace):
    spec = get_family(family)
    given = _given(spec, args)
    return spec, spec.build(**given), given


def _positive_float(what: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{what} must be a positive number, got {text}")
        return value

    return parse


def _fit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "family",
        metavar="FAMILY|FILE.py:FUNCTION",
        help=f"one of {', '.join(FAMILIES)}, or your own NumPyro program (--data: a JSON "
        "file whose keys name its arguments and observed sites)",
    )
    _family_options(p)
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
    g.add_argument("--method", choices=["nuts", "svi", "exact"], help="default: the family's")
    g.add_argument("--chains", type=_int_at_least(1, "--chains"), help="chains (default 4)")
    g.add_argument("--warmup", type=_int_at_least(1, "--warmup"), help="warmup (default 1000)")
    g.add_argument("--draws", type=_int_at_least(1, "--draws"), help="draws per chain (1000)")
    g.add_argument("--steps", type=_int_at_least(1, "--steps"), help="SVI steps (default 3000)")
    g.add_argument("--seed", type=_int_at_least(0, "--seed"), default=0, help="seed (0)")
    g.add_argument(
        "--guide", choices=["normal", "map", "lowrank"], help="SVI guide (default: the family's)"
    )
    g.add_argument("--learning-rate", type=_positive_float("--learning-rate"), help="Adam (0.01)")
    g.add_argument("--batch-size", type=_int_at_least(1, "--batch-size"), help="SVI minibatch")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="save idata.nc (ArviZ InferenceData), card.json and figures (PNG) in DIR",
    )
    p.add_argument("--json", action="store_true", help="print the card as JSON")


def _parser() -> _Parser:
    parser = _Parser(prog="zoo", description="A zoo of generative models: structure, fits, cards.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="the families, their factorisations and parameter formulas")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("show", help="a family's structure card")
    p.add_argument("family", metavar="FAMILY", help=f"one of {', '.join(FAMILIES)}")
    _family_options(p)
    p.add_argument("--draw", metavar="PATH", help="draw the DAG to PATH (.png or .svg)")
    p.add_argument("--heatmap", metavar="PATH", help="draw the pairwise d-separation matrix")
    p.add_argument(
        "--given",
        nargs="+",
        action="extend",
        default=[],
        metavar="Z",
        help="condition the heat map on these nodes",
    )
    p.add_argument("--json", action="store_true", help="print the card as JSON")

    p = sub.add_parser("dsep", help="are X and Y d-separated given Z?")
    p.add_argument(
        "names",
        nargs="+",
        metavar="[FAMILY] X Y",
        help="a family (omit with --network/--bif) and two nodes",
    )
    _family_options(p)
    p.add_argument("--given", nargs="+", action="extend", default=[], metavar="Z")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("fit", help="fit a family to data: its card with diagnostics and score")
    _fit_arguments(p)

    p = sub.add_parser("compare", help="fit every family: one table and an HTML report")
    _compare_arguments(p)

    p = sub.add_parser("inspect", help="the structure card of your own NumPyro program")
    p.add_argument("program", metavar="FILE.py:FUNCTION", help="the program to read")
    p.add_argument(
        "--data",
        metavar="JSON",
        help="a JSON object: keys naming arguments are passed, keys naming sample sites "
        "are observed there",
    )
    p.add_argument("--draw", metavar="PATH", help="draw the DAG, plates as boxes (.png/.svg)")
    p.add_argument(
        "--check",
        type=_int_at_least(10, "--check"),
        metavar="N",
        help="draw N items from the prior predictive (observations left unset) and test "
        "every local Markov statement on them",
    )
    p.add_argument("--seed", type=_int_at_least(0, "--seed"), default=0, help="seed (0)")
    p.add_argument("--json", action="store_true", help="print the card as JSON")

    from .analyses.cli import add_parser as add_analyze

    add_analyze(sub)
    return parser


def _compare_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        metavar="digits|PATH",
        default="digits",
        help="the bundled digits (default; its fixed 360-item split is held out) or a "
        ".csv/.npy/.npz file (a seeded 20 percent, seed 0, is held out)",
    )
    p.add_argument(
        "--families", nargs="+", metavar="FAMILY", help="rows to fit (default: all the data allow)"
    )
    p.add_argument(
        "--budget",
        choices=["quick", "default", "thorough"],
        default="default",
        help="quick (about a minute), default (a few minutes) or thorough",
    )
    p.add_argument("--seed", type=_int_at_least(0, "--seed"), default=0, help="seed (0)")
    p.add_argument(
        "--out", metavar="DIR", default="zoo-report", help="report folder (default zoo-report/)"
    )
    p.add_argument("--json", action="store_true", help="print results.json instead of the table")


def _cmd_list(args) -> None:
    rows = [
        {
            "name": s.name,
            "title": s.title,
            "factorisation": s.factorisation,
            "params": s.formula,
            "options": [f"--{o}" for o in s.options],
        }
        for s in FAMILIES.values()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        print(f"{r['name']:<15} {r['title']}")
        print(f"{'':<15} {r['factorisation']}")
        print(f"{'':<15} params: {r['params']}")
        print(f"{'':<15} options: {' '.join(r['options'])}\n")


def _save(fig, path: str) -> None:
    import graphs

    out = graphs.save_figure(fig, path)
    print(f"wrote {out}", file=sys.stderr)


def _cmd_show(args) -> None:
    import graphs

    from .card import format_card, structure_card

    spec, dag, options = _build(args.family, args)
    dag.check_nodes(args.given)
    card = structure_card(spec, dag, options)
    if args.draw:
        _save(graphs.draw_dag(dag), args.draw)
    if args.heatmap:
        _save(graphs.draw_pairwise(graphs.pairwise_matrix(dag, given=args.given)), args.heatmap)
    print(json.dumps(card, indent=2, ensure_ascii=False) if args.json else format_card(card))


def _cmd_dsep(args) -> None:
    import graphs

    names = list(args.names)
    if args.network or args.bif:
        family = "bayesnet"
        if len(names) == 3 and names[0] == "bayesnet":
            names = names[1:]
    elif len(names) == 3:
        family, names = names[0], names[1:]
    else:
        raise ValueError(f"expected FAMILY X Y (or X Y with --network/--bif), got {names}")
    if len(names) != 2:
        raise ValueError(f"expected two nodes X Y, got {names}")
    spec, dag, _ = _build(family, args)
    x, y = names
    answer = graphs.is_d_separated(dag, x, y, given=args.given)
    separator = graphs.minimal_separator(dag, x, y)
    result = {
        "d_separated": answer,
        "x": x,
        "y": y,
        "given": list(args.given),
        "family": spec.name,
        "dag": dag.name,
        "minimal_separator": None if separator is None else list(separator),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    given = "{" + ", ".join(args.given) + "}"
    verdict = "d-separated" if answer else "d-connected"
    print(f"{x} and {y} are {verdict} given {given} in {dag.name}")
    if separator is None:
        print(f"no set separates {x} and {y} (they are adjacent)")
    else:
        print(f"a minimal separator: {{{', '.join(separator)}}}")


def _check_out(path: str) -> Path:
    """``--out`` must be, or be creatable as, a writable folder; checked before any work."""
    return writable_folder(path)


def _note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _warn(diagnostics: dict) -> None:
    """The diagnostics gate: every failed check as a warning on stderr (the JSON card
    carries the same lines under ``diagnostics.warnings`` and ``diagnostics.pass``)."""
    for line in diagnostics.get("warnings", []):
        _note(f"zoo: warning: {line}")


def _fit_data(spec, args, source_dag):
    """(train, test, description) before any model exists; the DAG only lends state names."""
    from .data import digits_split, load_data

    default = "digits" if source_dag is None else "sample"
    name = args.data or default
    if name == "digits" and args.test is None:
        train, test = digits_split()
        return train, test, {"train": "digits", "test": "digits", "split": "fixed digits split"}
    train = load_data(name, source_dag, seed=args.seed)
    if args.test is not None:
        test = load_data(args.test, source_dag, seed=args.seed + 1)
        return train, test, {"train": train.source, "test": test.source, "split": "--test"}
    train, test = train.split(0.2, seed=0)  # seed 0, not --seed: one split for every fit
    split = "a seeded 20 percent split, seed 0"
    return train, test, {"train": train.source, "test": train.source, "split": split}


def _fit_options(spec, given: dict, args, train, test) -> dict:
    """The family options with ``--n`` (and naive Bayes' ``--classes``) from the data."""
    options = dict(given)
    if "n" in spec.options:
        if args.n is not None and args.n != train.n_vars:
            raise ValueError(
                f"--n {args.n} does not match the data: {train.source} has {train.n_vars} "
                "variable columns"
            )
        options["n"] = train.n_vars
    if "classes" in spec.options and args.classes is None and train.y is not None:
        if spec.build(**options).with_role("label"):  # the classes are the data's labels
            cards = [d.label_card for d in (train, test) if d.y is not None]
            options["classes"] = max(cards)
    return options


def _load_bound(spec: str, data_path: str | None):
    """The user's program with its data bound; every check runs before any compile."""
    from .programs import bind, load_program, read_data

    data = read_data(data_path) if data_path else None  # a bad file fails before import
    fn = load_program(spec)
    return bind(fn, data, name=spec.rsplit(":", 1)[1])


def _cmd_inspect(args) -> None:
    import graphs

    from .inspection import card, format_card

    if args.draw:
        _check_figure_path(args.draw)
    bound = _load_bound(args.program, args.data)
    c = card(bound.structure)
    c["program"] = args.program
    if args.check:
        from .claims import format_claims
        from .inspection import check
        from .programs import prior_kwargs

        report = check(bound.raw, kwargs=prior_kwargs(bound), n_samples=args.check, seed=args.seed)
        c["claims"] = report.to_dict()
    if args.draw:
        _save(graphs.draw_dag(bound.structure.dag), args.draw)
    if args.json:
        from .card import jsonable

        print(json.dumps(jsonable(c), indent=2, ensure_ascii=False))
        return
    print(format_card(c))
    if args.check:
        print(format_claims(report))


def _check_figure_path(path: str) -> None:
    if Path(path).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ValueError(f"--draw {path!r}: expected a .png, .svg or .pdf file name")
    _check_out(str(Path(path).parent))


_FAMILY_ONLY = ("test", "guide", "batch_size")


def _cmd_fit_program(args) -> None:
    from .programs import fit_card, fit_program, format_fit

    given = [f"--{k}" for k in _OPTION_NAMES if getattr(args, k) is not None]
    given += [f"--{k.replace('_', '-')}" for k in _FAMILY_ONLY if getattr(args, k) is not None]
    if given:
        raise ValueError(f"option {given[0]} applies to the zoo's families, not to a program")
    if args.method == "exact":
        raise ValueError("method 'exact' needs a conjugate family; a program takes nuts or svi")
    out = _check_out(args.out) if args.out else None
    bound = _load_bound(args.family, args.data)
    kwargs = {
        k: getattr(args, k)
        for k in ("chains", "warmup", "draws", "steps", "learning_rate")
        if getattr(args, k) is not None
    }
    method = args.method or "nuts"
    from .programs import check_fittable

    check_fittable(bound)
    _note(f"fitting {args.family} by {method} (seed {args.seed}) ...")
    progress = sys.stderr.isatty() and not args.json
    result = fit_program(bound, method, seed=args.seed, progress=progress, **kwargs)
    card = fit_card(bound, result, args.family)
    _warn(card["diagnostics"])
    text = json.dumps(card, indent=2, ensure_ascii=False)
    if out is not None:
        import graphs

        from .figures import elbo_figure, rank_figure

        figures = {"dag.png": graphs.draw_dag(bound.structure.dag)}
        figures["ranks.png" if method == "nuts" else "elbo.png"] = (
            rank_figure(result) if method == "nuts" else elbo_figure(result.elbo)
        )
        _write_out(out, result, text, figures)
    print(text if args.json else format_fit(card))


def _cmd_fit(args) -> None:
    from .card import fit_card, format_fit_card
    from .data import conform
    from .programs import is_program_spec

    if is_program_spec(args.family):
        _cmd_fit_program(args)
        return
    spec = get_family(args.family)
    given = _given(spec, args)
    out = _check_out(args.out) if args.out else None
    # A family without --n (bayesnet) has its variables, and their states, before the data.
    source_dag = None if "n" in spec.options else spec.build(**given)
    train, test, data_info = _fit_data(spec, args, source_dag)
    options = _fit_options(spec, given, args, train, test)
    dag = spec.build(**options)
    renamed = train.names
    train, test = conform(train, dag), conform(test, dag)
    if tuple(renamed) != train.names:
        _note(f"columns {', '.join(renamed[:3])}, ... read as {', '.join(train.names[:3])}, ...")

    from .fit import fit  # JAX from here on
    from .models import make_model

    try:
        model = make_model(spec.name, **options)
    except ModuleNotFoundError as err:  # a family whose program has not landed yet
        if not (err.name or "").startswith(f"zoo.models.{spec.module}"):
            raise
        raise ValueError(f"family {spec.name!r} has no NumPyro program yet") from None
    model.check_data(train)
    model.check_data(test)
    model.check_training(train)
    same = (train.x == train.x[:1]).all(axis=0)
    constant = [n for n, c in zip(train.names, same, strict=True) if c]
    if constant:
        shown = ", ".join(constant[:8]) + (
            f", ... ({len(constant)} in all)" if len(constant) > 8 else ""
        )
        _note(f"note: constant in the training data (their posteriors rest on one value): {shown}")
    method = args.method or model.default_method
    kwargs = {
        k: getattr(args, k)
        for k in ("chains", "warmup", "draws", "steps", "guide", "learning_rate", "batch_size")
        if getattr(args, k) is not None
    }
    progress = sys.stderr.isatty() and not args.json
    _note(
        f"fitting {spec.name} ({train.n_vars} variables) to {train.n_items:,} items by "
        f"{method} (seed {args.seed}) ..."
    )
    result = fit(model, train, method=args.method, seed=args.seed, progress=progress, **kwargs)
    _note(f"fitted in {result.seconds['total']:.1f} s; diagnostics and held-out score ...")
    data_info.update(train_items=train.n_items, test_items=test.n_items, variables=train.n_vars)
    card = fit_card(spec, model, result, test, options, data=data_info)
    _warn(card["diagnostics"])
    text = json.dumps(card, indent=2, ensure_ascii=False)
    if out is not None:
        from .figures import fit_figures

        _write_out(out, result, text, fit_figures(result, train.shape, seed=args.seed))
    print(text if args.json else format_fit_card(card))


def _write_out(out: Path, result, card_json: str, figures: dict) -> None:
    """idata.nc, card.json and the figures, each written to a temporary name and renamed."""
    import numpy as np

    import graphs

    from .saved import SVI_FILE, svi_arrays

    out.mkdir(parents=True, exist_ok=True)
    writes = [
        ("idata.nc", lambda tmp: result.idata.to_netcdf(str(tmp))),
        ("card.json", lambda tmp: tmp.write_text(card_json + "\n", encoding="utf-8")),
    ]
    arrays = svi_arrays(result) if result.data is not None else None
    if arrays is not None:  # zoo.load needs the guide and the ELBO to redo the checks

        def write_svi(tmp):
            with open(tmp, "wb") as fh:  # a file object: savez would append .npz to a name
                np.savez(fh, **arrays)

        writes.append((SVI_FILE, write_svi))
    for name, write in writes:
        with atomic_path(out / name) as tmp:
            write(tmp)
    for name, fig in figures.items():
        graphs.save_figure(fig, out / name)
    names = [name for name, _ in writes] + list(figures)
    _note(f"wrote {out}/: {', '.join(names)}")


def _cmd_analyze(args) -> None:
    from .analyses.cli import run

    run(args)


def _cmd_compare(args) -> None:
    from .data import digits_split, load_data

    out = _check_out(args.out)
    if args.data == "digits":
        train, test = digits_split()
        info = {"train": "digits", "split": "fixed digits split"}
    else:
        train, test = load_data(args.data, None, seed=args.seed).split(0.2, seed=0)
        info = {"train": train.source, "split": "a seeded 20 percent split, seed 0"}
    info.update(train_items=train.n_items, test_items=test.n_items, variables=train.n_vars)

    from .compare import check_families

    families = check_families(args.families, train)  # before JAX and before any fit
    if not families:
        raise ValueError(f"no family can be fitted to {args.data}")
    from .compare import compare  # JAX from here on
    from .report import format_table, results_json, write_report

    result = compare(
        train, test, families, budget=args.budget, seed=args.seed, progress=_note, data=info
    )
    _note("writing the report ...")
    names = write_report(result, out)
    _note(f"wrote {out}/: {len(names)} files; open {out / 'index.html'}")
    print(results_json(result).rstrip() if args.json else format_table(result.rows, result.timings))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``zoo`` command; returns the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise _UsageError(
                "missing COMMAND; expected one of list, show, dsep, fit, compare, inspect, analyze "
                "(see zoo --help)"
            )
        commands = {"list": _cmd_list, "show": _cmd_show, "dsep": _cmd_dsep, "fit": _cmd_fit}
        commands.update(compare=_cmd_compare, inspect=_cmd_inspect, analyze=_cmd_analyze)
        commands[args.command](args)
    except (_UsageError, ValueError, OSError) as err:
        message = " ".join(str(err).split())
        print(f"zoo: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    sys.exit(main())
