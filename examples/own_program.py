"""Your own NumPyro program in the zoo: its graph read out of the code and drawn with its
plates, its independence claims tested on simulated data, and NUTS and SVI fits with the
posterior summary, put beside the exact posterior.

    .venv/bin/python examples/own_program.py [--size small|full] [--days N] [--check N]
        [--program FILE.py:FUNCTION --data JSON] [--methods nuts svi] [--chains N]
        [--warmup N] [--draws N] [--steps N] [--seed N] [--out DIR]

The program written below is Poole's fire alarm: each day, tampering and fire may set off
the alarm, fire makes smoke, the alarm makes people leave; a flat prior sits on every
probability. Its data are simulated from the program itself with the probabilities held at
known values, and every site is observed, so each posterior is a Beta known in closed form.
--program and --data bring another program instead (e.g.
examples/programs/models.py:eight_schools_nc with examples/programs/data/eight_schools.json);
then there is no closed form to compare with. --size full (the default) runs 4 chains x 1000
warm-up + 1000 draws and 3000 SVI steps on 1,000 days (2,000 simulated to test the claims);
small 2 x 200 + 200 and 1000 steps on 500 days (500 to test). Writes result.json (every
number but the seconds, which go to timings.json) and PNG figures: the DAG with its plates,
the per-day independence heat map, the NUTS rank plots, the ELBO curve and the posterior
against the known answer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import zoo

PRESETS = {
    "small": dict(days=500, check=500, chains=2, warmup=200, draws=200, steps=1000),
    "full": dict(days=1000, check=2000, chains=4, warmup=1000, draws=1000, steps=3000),
}
# the probabilities the data are simulated with; p_alarm[fire, tampering]
TRUTH = {
    "p_tamper": 0.1,
    "p_fire": 0.2,
    "p_alarm": [[0.05, 0.7], [0.9, 0.6]],
    "p_smoke": [0.05, 0.9],
    "p_leave": [0.1, 0.8],
}
DAY_SITES = ("tampering", "fire", "alarm", "smoke", "leaving")
# the known-answer table: (key, decimals) per column after the element's name
COLUMNS = (
    ("truth", 3),
    ("exact_mean", 4),
    ("exact_sd", 4),
    ("nuts_mean", 4),
    ("nuts_z", 2),
    ("svi_mean", 4),
    ("svi_sds_off", 2),
)
WIDTHS = (14, 7, 9, 8, 9, 7, 9, 7)


def fire_alarm(tampering=None, fire=None, alarm=None, smoke=None, leaving=None, days=365):
    """Poole's fire alarm network, one plate element per day, a flat prior on every
    probability."""
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    # Uniform(0, 1) is Beta(1, 1); NumPyro draws it without a gamma sampler to compile
    flat = dist.Uniform(0.0, 1.0)
    p_tamper = numpyro.sample("p_tamper", flat)
    p_fire = numpyro.sample("p_fire", flat)
    p_alarm = numpyro.sample("p_alarm", flat.expand([2, 2]).to_event(2))  # [fire, tampering]
    p_smoke = numpyro.sample("p_smoke", flat.expand([2]).to_event(1))
    p_leave = numpyro.sample("p_leave", flat.expand([2]).to_event(1))
    n = days if fire is None else len(fire)
    with numpyro.plate("days", n):
        t = numpyro.sample("tampering", dist.Bernoulli(p_tamper), obs=tampering)
        f = numpyro.sample("fire", dist.Bernoulli(p_fire), obs=fire)
        t, f = t.astype(jnp.int32), f.astype(jnp.int32)
        a = numpyro.sample("alarm", dist.Bernoulli(p_alarm[f, t]), obs=alarm)
        numpyro.sample("smoke", dist.Bernoulli(p_smoke[f]), obs=smoke)
        numpyro.sample("leaving", dist.Bernoulli(p_leave[a.astype(jnp.int32)]), obs=leaving)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", choices=list(PRESETS), default="full", help="preset (full)")
    p.add_argument(
        "--days", type=zoo.scripts.count(10), help="days simulated for the fire alarm's data"
    )
    p.add_argument("--check", type=zoo.scripts.count(10), help="items simulated to test the claims")
    p.add_argument("--program", metavar="FILE.py:FUNCTION", help="your program instead")
    p.add_argument("--data", metavar="JSON", help="its data: keys name arguments or sites")
    p.add_argument(
        "--methods",
        nargs="+",
        choices=["nuts", "svi"],
        default=["nuts", "svi"],
        help="the fits to run (default: both)",
    )
    p.add_argument("--chains", type=zoo.scripts.count(1), help="chains")
    p.add_argument("--warmup", type=zoo.scripts.count(1), help="NUTS warm-up iterations per chain")
    p.add_argument("--draws", type=zoo.scripts.count(1), help="draws per chain")
    p.add_argument("--steps", type=zoo.scripts.count(1), help="SVI steps")
    p.add_argument("--seed", type=zoo.scripts.count(0), default=0, help="seed (0)")
    p.add_argument("--out", default="zoo-examples/own_program", help="output folder")
    return p


# -- the known answer ----------------------------------------------------------------------


def exact_posterior(data: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every probability's Beta(1 + yes, 1 + no) posterior (mean, sd), from the counts."""
    t, f, a, s, leave = (np.asarray(data[k], dtype=int) for k in DAY_SITES)

    def beta(yes, trials):
        yes, trials = np.asarray(yes, float), np.asarray(trials, float)
        a_, b_ = 1 + yes, 1 + trials - yes
        mean = a_ / (a_ + b_)
        return mean, np.sqrt(mean * (1 - mean) / (a_ + b_ + 1))

    cell = [[(f == i) & (t == j) for j in (0, 1)] for i in (0, 1)]
    return {
        "p_tamper": beta(t.sum(), len(t)),
        "p_fire": beta(f.sum(), len(f)),
        "p_alarm": beta(
            [[a[c].sum() for c in row] for row in cell], [[c.sum() for c in row] for row in cell]
        ),
        "p_smoke": beta([s[f == i].sum() for i in (0, 1)], [(f == i).sum() for i in (0, 1)]),
        "p_leave": beta([leave[a == i].sum() for i in (0, 1)], [(a == i).sum() for i in (0, 1)]),
    }


def against_exact(fits: dict, exact: dict) -> list[dict]:
    """Per element: the truth, the exact mean and sd, NUTS's mean and its error in Monte
    Carlo standard errors, SVI's mean and its error in posterior sds (for the fits run)."""
    import arviz as az

    mcse = az.mcse(fits["nuts"].idata, method="mean") if "nuts" in fits else None
    rows = []
    for site, (mean, sd) in exact.items():
        got = {m: f.idata.posterior[site].values.mean(axis=(0, 1)) for m, f in fits.items()}
        truth = np.asarray(TRUTH[site], float)
        for idx in np.ndindex(np.shape(mean)):
            row = {
                "element": site + (f"[{', '.join(map(str, idx))}]" if idx else ""),
                "truth": float(truth[idx]),
                "exact_mean": float(mean[idx]),
                "exact_sd": float(sd[idx]),
                "nuts_mean": None,
                "nuts_z": None,
                "svi_mean": None,
                "svi_sds_off": None,
            }
            if "nuts" in got:
                row["nuts_mean"] = float(got["nuts"][idx])
                row["nuts_z"] = float((got["nuts"][idx] - mean[idx]) / mcse[site].values[idx])
            if "svi" in got:
                row["svi_mean"] = float(got["svi"][idx])
                row["svi_sds_off"] = float((got["svi"][idx] - mean[idx]) / sd[idx])
            rows.append(row)
    return rows


def posterior_figure(rows: list[dict]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 0.4 * len(rows) + 1.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    at = np.arange(len(rows))[::-1]
    mean = np.array([r["exact_mean"] for r in rows])
    sd = np.array([r["exact_sd"] for r in rows])
    ax.errorbar(mean, at, xerr=2 * sd, fmt="none", color="#9ecae1", lw=6, label="exact ± 2 sd")
    if rows[0]["nuts_mean"] is not None:
        ax.plot([r["nuts_mean"] for r in rows], at, "o", color="#1f4e79", label="NUTS mean")
    if rows[0]["svi_mean"] is not None:
        svi = [r["svi_mean"] for r in rows]
        ax.plot(svi, at + 0.2, "s", color="#e6550d", ms=4, label="SVI mean")
    ax.plot([r["truth"] for r in rows], at, "x", color="black", label="simulated with")
    ax.set_yticks(at, [r["element"] for r in rows])
    ax.set_xlabel("probability")
    ax.set_title("posterior means against the known answer")
    ax.legend(frameon=False, fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


# -- the script ----------------------------------------------------------------------------


def simulate_days(days: int, seed: int) -> dict:
    """``days`` of data drawn from the program itself, its probabilities held at TRUTH."""
    fixed = {k: np.asarray(v, dtype=np.float32) for k, v in TRUTH.items()}
    columns, _ = zoo.inspection.simulate(
        fire_alarm, kwargs={"days": days}, n_samples=days, seed=seed, fixed=fixed
    )
    return {k: np.asarray(columns[k]).astype(int).tolist() for k in DAY_SITES}


def claims_report(bound, settings: dict, seed: int, own: bool) -> dict:
    """The program's local Markov statements tested on simulated items; for the fire alarm,
    also the claims of a DAG that forgets the edge fire -> smoke, which the data refute."""
    import graphs

    n = settings["check"]
    fixed = {k: np.asarray(v, dtype=np.float32) for k, v in TRUTH.items()} if own else None
    kwargs = {"days": n} if own else zoo.programs.prior_kwargs(bound)
    seed += 1  # fresh items, not the fitted ones
    try:
        report = zoo.inspection.check(bound.raw, kwargs=kwargs, n_samples=n, seed=seed, fixed=fixed)
    except ValueError as err:
        print(f"  no claims to test: {err}")
        return {"error": str(err)}
    print(zoo.claims.format_claims(report))
    out = {"claims": report.to_dict()}
    if own:
        items = bound.structure.item_dag()
        edges = [e for e in items.edges if e != ("fire", "smoke")]
        wrong = graphs.DAG(items.variables, edges, name="without fire -> smoke")
        bad = zoo.inspection.check(
            bound.raw, kwargs=kwargs, n_samples=n, seed=seed, fixed=fixed, dag=wrong
        )
        print("\na DAG that forgets fire -> smoke, tested on the same kind of data:")
        print(zoo.claims.format_claims(bad))
        out["wrong_dag"] = bad.to_dict()
    return out


def run(args: argparse.Namespace, out: Path) -> tuple[dict, dict, list[str]]:
    import graphs

    settings = dict(PRESETS[args.size])
    settings.update({k: getattr(args, k) for k in settings if getattr(args, k) is not None})
    own = args.program is None
    if own and args.data:
        raise ValueError("--data goes with --program; the fire alarm simulates its own")
    if own:
        data = simulate_days(settings["days"], args.seed)
        bound = zoo.programs.bind(fire_alarm, data, name="fire_alarm")
        name = "fire_alarm"
        print(f"fire_alarm: {settings['days']} simulated days (seed {args.seed})")
    else:
        data = zoo.programs.read_data(args.data) if args.data else None
        bound = zoo.programs.bind(
            zoo.programs.load_program(args.program), data, name=args.program.rsplit(":", 1)[1]
        )
        name = args.program
    zoo.programs.check_fittable(bound)

    print("\n== the graph read out of the code ==")
    card = zoo.inspection.card(bound.structure)
    print(zoo.inspection.format_card(card))
    items = bound.structure.item_dag() if bound.structure.data_plates else bound.structure.dag
    graphs.save_figure(graphs.draw_dag(bound.structure.dag, title=bound.name), out / "dag.png")
    heat = graphs.draw_pairwise(graphs.pairwise_matrix(items), title=f"{bound.name}, per item")
    graphs.save_figure(heat, out / "independence.png")

    print(f"\n== its independence claims, tested on {settings['check']:,} simulated items ==")
    claims = claims_report(bound, settings, args.seed, own)

    fits, cards = {}, {}
    for method in dict.fromkeys(args.methods):
        print(f"\n== {method.upper()} ==")
        zoo.scripts.note(f"fitting {bound.name} by {method} (seed {args.seed}) ...")
        budget = {k: settings[k] for k in ("chains", "warmup", "draws", "steps")}
        fits[method] = zoo.programs.fit_program(
            bound, method, seed=args.seed, progress=sys.stderr.isatty(), **budget
        )
        cards[method] = zoo.programs.fit_card(bound, fits[method], name)
        # the structure part of the card is printed above; here the fit's own lines
        lines = zoo.programs.format_fit(cards[method]).splitlines()
        print("\n".join(lines[len(zoo.inspection.format_card(cards[method]).splitlines()) :]))
        for line in cards[method]["diagnostics"]["warnings"]:
            zoo.scripts.note(f"warning: {line}")

    figures = {}
    if "nuts" in fits:
        figures["nuts-rank.png"] = zoo.figures.rank_figure(fits["nuts"])
    if "svi" in fits:
        figures["svi-elbo.png"] = zoo.figures.elbo_figure(fits["svi"].elbo)
    known = None
    if own:
        known = against_exact(fits, exact_posterior(data))
        print("\n== the posterior against the known answer (Beta, from the counts) ==")
        head = ("element", "truth", "exact", "± sd", "NUTS", "z", "SVI", "sds")
        table = [head] + [[r["element"], *(_cell(r[k], d) for k, d in COLUMNS)] for r in known]
        for cells in table:
            right = "".join(f"{c:>{w}}" for c, w in zip(cells[1:], WIDTHS[1:], strict=True))
            print(f"  {cells[0]:<{WIDTHS[0]}}{right}")
        print("  z: NUTS's error in Monte Carlo standard errors; sds: SVI's in posterior sds")
        figures["posterior.png"] = posterior_figure(known)
    for fname, fig in figures.items():
        graphs.save_figure(fig, out / fname)

    timings = {m: c.pop("seconds") for m, c in cards.items()}
    summary = {
        "program": name,
        "seed": args.seed,
        "settings": settings,
        "structure": card,
        **claims,
        "nuts": cards.get("nuts"),
        "svi": cards.get("svi"),
        "known_answer": known,
    }
    return summary, timings, ["dag.png", "independence.png", *figures]


def _cell(value, decimals: int) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


def main(argv=None) -> int:
    return zoo.scripts.script_main(__file__, parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
