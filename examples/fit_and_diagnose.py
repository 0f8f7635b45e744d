"""Fit and read the diagnostics: a conjugate family on the bundled digits by NUTS, checked
against its exact posterior, and a family whose own method is SVI; each with its card.

    .venv/bin/python examples/fit_and_diagnose.py [--size small|full] [--nuts-family NAME]
        [--svi-family NAME] [--chains N] [--warmup N] [--draws N] [--steps N] [--items N]
        [--seed N] [--out DIR]

--size full (the default) runs 4 chains x 1000 warm-up + 1000 draws and 3000 SVI steps;
small runs 2 x 200 + 200 and 500 steps; the other flags override the preset. --items fits
the first N training digits (the held-out 360 stay the same); --svi-family none skips the
SVI fit. Prints both cards (R-hat, ESS, divergences and E-BFMI for NUTS; the ELBO and the
guide's k-hat for SVI; every failed check as a warning on stderr) and NUTS's posterior
means against the exact conjugate ones in Monte Carlo standard errors. Writes result.json
(every number but the seconds, which go to timings.json) and PNG figures: each fit's DAG
and posterior-predictive samples, the NUTS rank plots, the z-scores against the exact
posterior and the SVI ELBO curve.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

import zoo

PRESETS = {
    "small": {"chains": 2, "warmup": 200, "draws": 200, "steps": 500, "classes": 10},
    "full": {"chains": 4, "warmup": 1000, "draws": 1000, "steps": 3000, "classes": 30},
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=list(PRESETS), default="full", help="preset (full)")
    p.add_argument(
        "--nuts-family",
        choices=zoo.compare.TABULAR,
        default="markov-chain",
        help="a conjugate family, fitted by NUTS and checked against its exact posterior",
    )
    p.add_argument(
        "--svi-family",
        choices=[*zoo.compare.FAMILY_ROWS, "none"],
        default="autoregressive-logistic",
        help="a family fitted by SVI with its own guide (default: the logistic "
        "autoregressive, mean-field, so k-hat is defined); none skips the SVI fit",
    )
    for name, what in (
        ("chains", "NUTS chains (SVI: draws from the guide are chains x draws)"),
        ("warmup", "NUTS warm-up iterations per chain"),
        ("draws", "draws per chain"),
        ("steps", "SVI steps"),
        ("classes", "latent classes, when --svi-family latent-class"),
        ("items", "training digits to fit (default: all 1,437)"),
    ):
        p.add_argument(f"--{name}", type=zoo.scripts.count(1), help=what)
    p.add_argument(
        "--seed", type=zoo.scripts.count(0), default=0, help="seed (0): same seed, same numbers"
    )
    p.add_argument("--out", default="zoo-examples/fit_and_diagnose", help="output folder")
    return p


def options_for(row: str, train, classes: int) -> tuple[str, dict]:
    """The registry family and its options for a row name of ``zoo compare``."""
    family, fixed = zoo.compare.FAMILY_ROWS[row]
    options = {"n": train.n_vars, **fixed}
    if family == "naive-bayes":
        options["classes"] = train.label_card
    if family == "latent-class":
        options["classes"] = classes
    return family, options


def fit_with_card(row: str, method: str, train, test, settings: dict, seed: int):
    """Fit one family by ``method``; returns (model, result, card) and prints the card."""
    family, options = options_for(row, train, settings["classes"])
    model = zoo.make_model(family, **options)
    budget = {k: settings[k] for k in ("chains", "warmup", "draws")}
    if method == "svi":
        budget["steps"] = settings["steps"]
    zoo.scripts.note(f"fitting {row} to {train.n_items:,} digits by {method} (seed {seed}) ...")
    result = zoo.fit(model, train, method=method, seed=seed, progress=sys.stderr.isatty(), **budget)
    data = {
        "train": "digits",
        "test": "digits",
        "split": "fixed digits split",
        "train_items": train.n_items,
        "test_items": test.n_items,
        "variables": train.n_vars,
    }
    card = zoo.fit_card(result, test, options=options, data=data).to_json()
    print(zoo.format_card(card))
    for line in card["diagnostics"]["warnings"]:
        zoo.scripts.note(f"warning: {line}")
    return model, result, card


def exact_check(model, result, train) -> dict:
    """NUTS's posterior means against the exact conjugate posterior's, in Monte Carlo
    standard errors (MCSE), and its posterior sds against the exact ones."""
    import arviz as az

    post = result.idata.posterior
    mcse = az.mcse(result.idata, method="mean")
    z, exact_means, nuts_means, sd_ratio = [], [], [], []
    for site, (mean, sd) in model.exact_moments(train).items():
        draws = post[site].values
        got = draws.mean(axis=(0, 1))
        z.append(((got - mean) / mcse[site].values).ravel())
        sd_ratio.append((draws.std(axis=(0, 1)) / sd).ravel())
        exact_means.append(np.ravel(mean))
        nuts_means.append(got.ravel())
    z, ratio = np.concatenate(z), np.concatenate(sd_ratio)
    n = len(z)
    return {
        "elements": n,
        "z": z,
        "exact_mean": np.concatenate(exact_means),
        "nuts_mean": np.concatenate(nuts_means),
        "max_abs_z": float(np.abs(z).max()),
        # the largest of n standard normals is about sqrt(2 ln n)
        "expected_max_abs_z": math.sqrt(2 * math.log(2 * n)),
        "share_within_3_mcse": float(np.mean(np.abs(z) <= 3)),
        "sd_ratio_median": float(np.median(ratio)),
        "sd_ratio_range": [float(ratio.min()), float(ratio.max())],
    }


def check_figure(check: dict):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.0, 3.8))
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    left.scatter(check["exact_mean"], check["nuts_mean"], s=8, color="#1f4e79")
    left.plot([0, 1], [0, 1], color="#999999", lw=0.8)
    left.set_xlabel("exact posterior mean")
    left.set_ylabel("NUTS posterior mean")
    left.set_title("every parameter")
    grid = np.linspace(-4, 4, 200)
    right.hist(check["z"], bins=np.linspace(-4, 4, 33), density=True, color="#9ecae1")
    right.plot(grid, np.exp(-(grid**2) / 2) / math.sqrt(2 * math.pi), color="#1f4e79")
    right.set_xlabel("(NUTS mean - exact mean) / MCSE")
    right.set_title("z-scores against N(0, 1)")
    fig.tight_layout()
    return fig


def run(args: argparse.Namespace, out: Path) -> tuple[dict, dict, list[str]]:
    import graphs

    settings = dict(PRESETS[args.size])
    settings.update({k: getattr(args, k) for k in settings if getattr(args, k) is not None})
    train, test = zoo.digits_split()
    if args.items is not None:
        if args.items > train.n_items:
            raise ValueError(f"--items {args.items}: the training split has {train.n_items}")
        train = train.take(slice(0, args.items))  # the split is a seeded shuffle already

    print(f"== {args.nuts_family} by NUTS ==")
    model, nuts, nuts_card = fit_with_card(
        args.nuts_family, "nuts", train, test, settings, args.seed
    )
    check = exact_check(model, nuts, train)
    exact = zoo.fit(
        model,
        train,
        method="exact",
        seed=args.seed,
        chains=nuts.settings["chains"],
        draws=nuts.settings["draws"],
    )
    # from each set of draws (the cards give the closed form, the limit both estimate)
    exact_nats = zoo.evaluate.score(model, exact.draws(), test)["nats_per_item"]
    print(f"\n== {args.nuts_family}: NUTS against the exact conjugate posterior ==")
    print(
        f"  {check['elements']} posterior means: {100 * check['share_within_3_mcse']:.1f}% within "
        f"3 MCSE of the exact mean, largest |z| {check['max_abs_z']:.2f} (about "
        f"{check['expected_max_abs_z']:.2f} expected from {check['elements']} normal draws)"
    )
    lo, hi = check["sd_ratio_range"]
    print(
        f"  posterior sd, NUTS / exact: median {check['sd_ratio_median']:.3f} "
        f"(range {lo:.2f} .. {hi:.2f})"
    )
    nuts_nats = zoo.evaluate.score(model, nuts.draws(), test)["nats_per_item"]
    closed = nuts_card["heldout"]["nats_per_item"]
    print(
        f"  held-out nats per digit: NUTS draws {nuts_nats:.3f}, exact draws {exact_nats:.3f}, "
        f"closed form {closed:.3f}"
    )

    figures = {
        f"nuts-{k}": v for k, v in zoo.figures.fit_figures(nuts, train.shape, args.seed).items()
    }
    figures["nuts-vs-exact.png"] = check_figure(check)
    timings = {"nuts": nuts_card.pop("seconds"), "exact": exact.seconds}
    svi_card = None
    if args.svi_family != "none":
        print(f"\n== {args.svi_family} by SVI ==")
        _, svi, svi_card = fit_with_card(args.svi_family, "svi", train, test, settings, args.seed)
        figures.update(
            {f"svi-{k}": v for k, v in zoo.figures.fit_figures(svi, train.shape, args.seed).items()}
        )
        timings["svi"] = svi_card.pop("seconds")
    for name, fig in figures.items():
        graphs.save_figure(fig, out / name)

    summary = {k: v for k, v in check.items() if k not in ("z", "exact_mean", "nuts_mean")}
    result = {
        "seed": args.seed,
        "settings": settings,
        "train_items": train.n_items,
        "nuts": nuts_card,
        "exact_check": {**summary, "nats_nuts": nuts_nats, "nats_exact": exact_nats},
        "svi": svi_card,
    }
    return result, timings, list(figures)


def main(argv=None) -> int:
    return zoo.scripts.script_main(__file__, parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
